/* A feature store holding the rows of another whose names a list names. */
#include "vgg/datasets.h"
#include "datasets_internal.h"

#include <stdlib.h>
#include <string.h>

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

vgg_status vgg_ds_subset_store(const char *in_path, const char *list_path, const char *out_path,
                               size_t *rows_out)
{
    if (rows_out)
        *rows_out = 0;
    vgg_ds_list *l = NULL;
    vgg_status st = vgg_ds_list_read(list_path, &l);
    if (st != VGG_STATUS_OK)
        return st;
    if (l->n == 0)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': lists no images", list_path);
    else
        st = vgg_featstore_subset(in_path, (const char *const *)l->paths,
                                  (const char *const *)l->labels, l->n, list_path, out_path);
    if (st == VGG_STATUS_OK && rows_out)
        *rows_out = l->n;
    vgg_ds_list_free(l);
    return st;
}
