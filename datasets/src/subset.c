/* A feature store holding the rows of another whose names a list names. */
#include "vgg/datasets.h"
#include "datasets_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgg/features.h"

void vgg_ds_list_free(vgg_ds_list *l)
{
    if (!l)
        return;
    free(l->text);
    free(l->paths);
    free(l->labels);
    free(l);
}

vgg_status vgg_ds_list_read(const char *path, vgg_ds_list **out)
{
    *out = NULL;
    vgg_ds_list *l = calloc(1, sizeof *l);
    if (!l)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    size_t len;
    vgg_status st = vgg_read_file(path, 0, &l->text, &len);
    if (st != VGG_STATUS_OK) {
        free(l);
        return st;
    }
    if (strlen(l->text) != len) {
        vgg_ds_list_free(l);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': holds a NUL byte: not a list file", path);
    }
    size_t cap = 1;
    for (const char *p = l->text; *p; p++)
        cap += *p == '\n';
    l->paths = malloc(cap * sizeof *l->paths);
    l->labels = malloc(cap * sizeof *l->labels);
    if (!l->paths || !l->labels) {
        vgg_ds_list_free(l);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    char *p = l->text;
    while (*p) {
        char *nl = strchr(p, '\n');
        char *next = nl ? nl + 1 : p + strlen(p);
        if (nl)
            *nl = 0;
        size_t n = strlen(p);
        if (n && p[n - 1] == '\r')
            p[--n] = 0;
        if (n) {
            char *tab = strchr(p, '\t');
            if (tab)
                *tab = 0;
            l->paths[l->n] = p;
            l->labels[l->n] = tab ? tab + 1 : p + n;
            l->n++;
        }
        p = next;
    }
    *out = l;
    return VGG_STATUS_OK;
}

typedef struct name_row {
    const char *name;
    size_t row;
} name_row;

static int cmp_name(const void *a, const void *b)
{
    return strcmp(((const name_row *)a)->name, ((const name_row *)b)->name);
}

vgg_status vgg_ds_subset_store(const char *in_path, const char *list_path, const char *out_path,
                               size_t *rows_out)
{
    if (rows_out)
        *rows_out = 0;
    vgg_ds_list *l = NULL;
    vgg_featstore *fs = NULL;
    vgg_featwriter *w = NULL;
    name_row *index = NULL;
    char *tmp = NULL;
    vgg_status st = vgg_ds_list_read(list_path, &l);
    if (st != VGG_STATUS_OK)
        return st;
    if (l->n == 0) {
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': lists no images", list_path);
        goto done;
    }
    st = vgg_featstore_open(in_path, &fs);
    if (st != VGG_STATUS_OK)
        goto done;
    size_t rows = vgg_featstore_rows(fs);
    index = malloc((rows ? rows : 1) * sizeof *index);
    if (!index) {
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", in_path);
        goto done;
    }
    for (size_t r = 0; r < rows; r++)
        index[r] = (name_row){ vgg_featstore_name(fs, r), r };
    qsort(index, rows, sizeof *index, cmp_name);
    /* every name must be there before anything is written */
    size_t missing = 0;
    char first[3][256];
    for (size_t i = 0; i < l->n; i++) {
        name_row key = { l->paths[i], 0 };
        if (!rows || !bsearch(&key, index, rows, sizeof *index, cmp_name)) {
            if (missing < 3)
                snprintf(first[missing], sizeof first[missing], "%s", l->paths[i]);
            missing++;
        }
    }
    if (missing) {
        st = vgg_fail(VGG_STATUS_NOT_FOUND,
                      "'%s': %zu of the %zu images of '%s' have no row (first: '%s'%s%s%s%s)", in_path,
                      missing, l->n, list_path, first[0], missing > 1 ? ", '" : "",
                      missing > 1 ? first[1] : "", missing > 1 ? "'" : "", missing > 2 ? ", ..." : "");
        goto done;
    }
    size_t n = strlen(out_path) + 32;
    tmp = malloc(n);
    if (!tmp) {
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", out_path);
        goto done;
    }
    snprintf(tmp, n, "%s.tmp.%ld", out_path, (long)getpid());
    unlink(tmp);
    st = vgg_featwriter_open(tmp, vgg_featstore_desc(fs), false, &w, NULL);
    if (st != VGG_STATUS_OK)
        goto done;
    for (size_t i = 0; i < l->n && st == VGG_STATUS_OK; i++) {
        name_row key = { l->paths[i], 0 };
        const name_row *hit = bsearch(&key, index, rows, sizeof *index, cmp_name);
        const char *label = *l->labels[i] ? l->labels[i] : vgg_featstore_label(fs, hit->row);
        st = vgg_featwriter_append(w, l->paths[i], label, vgg_featstore_row(fs, hit->row));
    }
    vgg_status cst = vgg_featwriter_close(w);
    w = NULL;
    if (st == VGG_STATUS_OK)
        st = cst;
    if (st == VGG_STATUS_OK && rename(tmp, out_path) != 0)
        st = vgg_fail(VGG_STATUS_IO, "'%s': cannot rename into place: %s", out_path, strerror(errno));
    if (st == VGG_STATUS_OK && rows_out)
        *rows_out = l->n;
done:
    if (tmp && st != VGG_STATUS_OK)
        unlink(tmp);
    free(tmp);
    free(index);
    vgg_featstore_close(fs);
    vgg_ds_list_free(l);
    return st;
}
