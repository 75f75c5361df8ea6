/* Training and validation sets: a folder per class, or a list file with a
 * class index. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pretrain.h"
#include "vgg/datasets.h"

void pt_dataset_free(pt_dataset *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->paths[i]);
    for (int c = 0; c < d->n_classes; c++)
        free(d->classes[c]);
    free(d->paths);
    free(d->labels);
    free(d->classes);
    free(d);
}

vgg_status pt_dataset_from_folders(const char *root, pt_dataset **out)
{
    *out = NULL;
    vgg_ds_folders *f = NULL;
    vgg_status st = vgg_ds_scan_folders(root, &f);
    if (st != VGG_STATUS_OK)
        return st;
    pt_dataset *d = calloc(1, sizeof *d);
    size_t total = 0;
    for (size_t c = 0; c < f->n_classes; c++)
        total += f->n_images[c];
    if (d) {
        d->paths = calloc(total ? total : 1, sizeof *d->paths);
        d->labels = calloc(total ? total : 1, sizeof *d->labels);
        d->classes = calloc(f->n_classes, sizeof *d->classes);
    }
    if (!d || !d->paths || !d->labels || !d->classes) {
        pt_dataset_free(d);
        vgg_ds_folders_free(f);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", root);
    }
    for (size_t c = 0; c < f->n_classes; c++) {
        /* the scanner refuses empty class folders; keep the check here too */
        if (f->n_images[c] == 0) {
            st = vgg_fail(VGG_STATUS_INVALID, "'%s/%s': class folder has no images", root,
                          f->classes[c]);
            break;
        }
        d->classes[d->n_classes++] = strdup(f->classes[c]);
        for (size_t i = 0; i < f->n_images[c]; i++) {
            d->paths[d->n] = strdup(f->images[c][i]);
            d->labels[d->n++] = (int32_t)c;
        }
    }
    vgg_ds_folders_free(f);
    if (st != VGG_STATUS_OK) {
        pt_dataset_free(d);
        return st;
    }
    *out = d;
    return VGG_STATUS_OK;
}

static char *next_line(char **cur)
{
    char *s = *cur;
    if (!*s)
        return NULL;
    char *nl = strchr(s, '\n');
    if (nl) {
        *nl = '\0';
        *cur = nl + 1;
    } else {
        *cur = s + strlen(s);
    }
    size_t len = strlen(s);
    if (len && s[len - 1] == '\r')
        s[len - 1] = '\0';
    return s;
}

vgg_status pt_dataset_from_list(const char *list, const char *classes, pt_dataset **out)
{
    *out = NULL;
    char *ctext = NULL, *ltext = NULL;
    size_t len;
    vgg_status st = vgg_read_file(classes, 0, &ctext, &len);
    if (st != VGG_STATUS_OK)
        return st;
    st = vgg_read_file(list, 0, &ltext, &len);
    if (st != VGG_STATUS_OK) {
        free(ctext);
        return st;
    }
    pt_dataset *d = calloc(1, sizeof *d);
    if (!d) {
        free(ctext);
        free(ltext);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", list);
    }
    size_t cap_c = 0, cap_n = 0;
    char *cur = ctext, *line;
    int lineno = 0;
    while (st == VGG_STATUS_OK && (line = next_line(&cur))) {
        lineno++;
        if (!*line)
            continue;
        if ((size_t)d->n_classes == cap_c) {
            cap_c = cap_c ? 2 * cap_c : 64;
            char **nc = realloc(d->classes, cap_c * sizeof *nc);
            if (!nc) {
                st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", classes);
                break;
            }
            d->classes = nc;
        }
        d->classes[d->n_classes++] = strdup(line);
    }
    if (st == VGG_STATUS_OK && d->n_classes == 0)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': the class index names no class", classes);
    cur = ltext;
    lineno = 0;
    while (st == VGG_STATUS_OK && (line = next_line(&cur))) {
        lineno++;
        if (!*line)
            continue;
        char *tab = strrchr(line, '\t');
        if (!tab || tab == line || !tab[1]) {
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s', line %d: expected path<TAB>class", list, lineno);
            break;
        }
        *tab = '\0';
        const char *cls = tab + 1;
        int label = -1;
        for (int c = 0; c < d->n_classes && label < 0; c++)
            if (strcmp(d->classes[c], cls) == 0)
                label = c;
        if (label < 0) {
            char *end = NULL;
            errno = 0;
            long v = strtol(cls, &end, 10);
            if (end != cls && !*end && !errno && v >= 0 && v < d->n_classes)
                label = (int)v;
        }
        if (label < 0) {
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s', line %d: class '%s' is not in '%s'", list,
                          lineno, cls, classes);
            break;
        }
        if (d->n == cap_n) {
            cap_n = cap_n ? 2 * cap_n : 1024;
            char **np = realloc(d->paths, cap_n * sizeof *np);
            int32_t *nl = np ? realloc(d->labels, cap_n * sizeof *nl) : NULL;
            if (np)
                d->paths = np;
            if (!np || !nl) {
                st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", list);
                break;
            }
            d->labels = nl;
        }
        d->paths[d->n] = strdup(line);
        d->labels[d->n++] = label;
    }
    if (st == VGG_STATUS_OK && d->n == 0)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': the list names no image", list);
    free(ctext);
    free(ltext);
    if (st != VGG_STATUS_OK) {
        pt_dataset_free(d);
        return st;
    }
    *out = d;
    return VGG_STATUS_OK;
}
