/* vggdata caltech's library side: classes left out by name, folders
 * made, and the class index and seeded splits written (vgg/datasets.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vgg/datasets.h"
#include "datasets_internal.h"

static void drop_class(vgg_ds_folders *f, size_t c)
{
    free(f->classes[c]);
    vgg_ds_strings_free(f->images[c], f->n_images[c]);
    memmove(f->classes + c, f->classes + c + 1, (f->n_classes - c - 1) * sizeof *f->classes);
    memmove(f->images + c, f->images + c + 1, (f->n_classes - c - 1) * sizeof *f->images);
    memmove(f->n_images + c, f->n_images + c + 1, (f->n_classes - c - 1) * sizeof *f->n_images);
    f->n_classes--;
}

vgg_status vgg_ds_exclude(vgg_ds_folders *f, const char *names)
{
    char *copy = strdup(names);
    if (!copy)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    char *save = NULL;
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        size_t c = 0;
        while (c < f->n_classes && strcmp(f->classes[c], name) != 0)
            c++;
        if (c == f->n_classes) {
            vgg_status st = vgg_fail(VGG_STATUS_NOT_FOUND, "no class '%s'", name);
            free(copy);
            return st;
        }
        drop_class(f, c);
    }
    free(copy);
    if (f->n_classes == 0)
        return vgg_fail(VGG_STATUS_INVALID, "no class is left");
    return VGG_STATUS_OK;
}

vgg_status vgg_ds_make_dirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': path too long", path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return vgg_fail(VGG_STATUS_IO, "'%s': cannot create folder: %s", buf,
                                strerror(errno));
            *p = c;
            if (!c)
                break;
        }
    }
    return VGG_STATUS_OK;
}

/* split k: outdir/split<k>/{train,test}.list */
static vgg_status write_split(const vgg_ds_folders *f, const char *outdir, int n_train,
                              int n_test, uint64_t seed, int k, size_t *ntr, size_t *nte)
{
    vgg_ds_item *tr = NULL, *te = NULL;
    char path[4096];
    vgg_status st = vgg_ds_split(f, n_train, n_test, seed, k, &tr, ntr, &te, nte);
    if (st == VGG_STATUS_OK) {
        snprintf(path, sizeof path, "%s/split%d", outdir, k);
        st = vgg_ds_make_dirs(path);
    }
    if (st == VGG_STATUS_OK) {
        snprintf(path, sizeof path, "%s/split%d/train.list", outdir, k);
        st = vgg_ds_write_list(path, f, tr, *ntr);
    }
    if (st == VGG_STATUS_OK) {
        snprintf(path, sizeof path, "%s/split%d/test.list", outdir, k);
        st = vgg_ds_write_list(path, f, te, *nte);
    }
    free(tr);
    free(te);
    return st;
}

vgg_status vgg_ds_write_splits(const vgg_ds_folders *f, const char *outdir, int n_train,
                               int n_test, int splits, uint64_t seed, vgg_ds_split_note note,
                               void *ctx)
{
    char path[4096];
    vgg_status st = vgg_ds_make_dirs(outdir);
    if (st == VGG_STATUS_OK) {
        snprintf(path, sizeof path, "%s/classes.txt", outdir);
        st = vgg_ds_write_classes(path, f->classes, f->n_classes);
    }
    for (int k = 1; k <= splits && st == VGG_STATUS_OK; k++) {
        size_t ntr = 0, nte = 0;
        st = write_split(f, outdir, n_train, n_test, seed, k, &ntr, &nte);
        if (st == VGG_STATUS_OK && note)
            note(ctx, k, ntr, nte);
    }
    return st;
}
