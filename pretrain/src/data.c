/* Training and validation sets: a folder per class, or a list file with a
 * class index. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/pretrain.h"
#include "vgg/datasets.h"

void vgg_pretrain_dataset_free(vgg_pretrain_dataset *d)
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

vgg_status vgg_pretrain_dataset_from_folders(const char *root, vgg_pretrain_dataset **out)
{
    *out = NULL;
    vgg_ds_folders *f = NULL;
    vgg_status st = vgg_ds_scan_folders(root, &f);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_pretrain_dataset *d = calloc(1, sizeof *d);
    size_t total = 0;
    for (size_t c = 0; c < f->n_classes; c++)
        total += f->n_images[c];
    if (d) {
        d->paths = calloc(total ? total : 1, sizeof *d->paths);
        d->labels = calloc(total ? total : 1, sizeof *d->labels);
        d->classes = calloc(f->n_classes, sizeof *d->classes);
    }
    if (!d || !d->paths || !d->labels || !d->classes) {
        vgg_pretrain_dataset_free(d);
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
        vgg_pretrain_dataset_free(d);
        return st;
    }
    *out = d;
    return VGG_STATUS_OK;
}

/* the class of one list line: a name of the index, else its number */
static int class_of(const vgg_pretrain_dataset *d, const char *cls)
{
    for (int c = 0; c < d->n_classes; c++)
        if (strcmp(d->classes[c], cls) == 0)
            return c;
    char *end = NULL;
    errno = 0;
    long v = strtol(cls, &end, 10);
    if (end != cls && !*end && !errno && v >= 0 && v < d->n_classes)
        return (int)v;
    return -1;
}

/* The class index (one name per line) and the list ("path<TAB>class" per
 * line), both read by vgg_list_read: the first TAB splits a line. */
vgg_status vgg_pretrain_dataset_from_list(const char *list, const char *classes, vgg_pretrain_dataset **out)
{
    *out = NULL;
    vgg_list *cl = NULL, *ll = NULL;
    vgg_status st = vgg_list_read(classes, 0, &cl);
    if (st != VGG_STATUS_OK)
        return st;
    st = vgg_list_read(list, VGG_LIST_LABELS, &ll);
    if (st != VGG_STATUS_OK) {
        vgg_list_free(cl);
        return st;
    }
    vgg_pretrain_dataset *d = calloc(1, sizeof *d);
    if (d) {
        d->classes = calloc(cl->n ? cl->n : 1, sizeof *d->classes);
        d->paths = calloc(ll->n ? ll->n : 1, sizeof *d->paths);
        d->labels = calloc(ll->n ? ll->n : 1, sizeof *d->labels);
    }
    if (!d || !d->classes || !d->paths || !d->labels)
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", list);
    for (size_t i = 0; st == VGG_STATUS_OK && i < cl->n; i++)
        if (!(d->classes[d->n_classes++] = strdup(cl->paths[i])))
            st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", classes);
    if (st == VGG_STATUS_OK && d->n_classes == 0)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': the class index names no class", classes);
    for (size_t i = 0; st == VGG_STATUS_OK && i < ll->n; i++) {
        const char *cls = ll->labels[i];
        int label = *cls ? class_of(d, cls) : -1;
        if (!*cls)
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: expected path<TAB>class", list,
                          ll->lines[i]);
        else if (label < 0)
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: class '%s' is not in '%s'", list,
                          ll->lines[i], cls, classes);
        else if (!(d->paths[d->n] = strdup(ll->paths[i])))
            st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", list);
        else
            d->labels[d->n++] = label;
    }
    if (st == VGG_STATUS_OK && d->n == 0)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': the list names no image", list);
    vgg_list_free(cl);
    vgg_list_free(ll);
    if (st != VGG_STATUS_OK) {
        vgg_pretrain_dataset_free(d);
        return st;
    }
    *out = d;
    return VGG_STATUS_OK;
}
