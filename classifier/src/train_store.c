/* vggsvm train's library half: SVMs from a feature store, read row by row. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "svm_internal.h"

/* Training rows from the store (the store's rows stay where they lie;
 * only the LIBLINEAR nodes are a copy). */
typedef struct store_source {
    const char *path;
    const size_t *rows;   /* store row of each training row (ascending) */
    size_t n_store_rows;
    int dim;
    vgg_featstore *fs;
} store_source;

static vgg_status store_row(void *ctx, size_t i, const float **row, const char **name)
{
    store_source *s = ctx;
    if (!s->fs) {
        vgg_status st = vgg_featstore_open(s->path, &s->fs);
        if (st != VGG_STATUS_OK)
            return st;
        if (vgg_featstore_dim(s->fs) != s->dim || vgg_featstore_rows(s->fs) < s->n_store_rows)
            return vgg_fail(VGG_STATUS_MISMATCH, "'%s' changed while it was being read", s->path);
    }
    *row = vgg_featstore_row(s->fs, s->rows[i]);
    *name = vgg_featstore_name(s->fs, s->rows[i]);
    return VGG_STATUS_OK;
}

/* "CLASS=WEIGHT" items into per-class weights (1 for the others) */
static vgg_status class_weights(const vgg_svm_labels *l, char *const *weights, int n_weights,
                                double **out)
{
    double *cw = malloc((size_t)l->n_classes * sizeof *cw);
    *out = cw;
    if (!cw)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    for (int k = 0; k < l->n_classes; k++)
        cw[k] = 1.0;
    for (int i = 0; i < n_weights; i++) {
        const char *eq = strrchr(weights[i], '=');
        char *end = NULL;
        double wv = eq ? strtod(eq + 1, &end) : 0;
        if (!eq || *end || end == eq + 1 || !(wv > 0) || !isfinite(wv))
            return vgg_fail(VGG_STATUS_INVALID, "-w needs CLASS=WEIGHT (a positive finite "
                            "number), not '%s'", weights[i]);
        int k = -1;
        for (int c = 0; c < l->n_classes && k < 0; c++)
            if (strncmp(l->class_names[c], weights[i], (size_t)(eq - weights[i])) == 0 &&
                l->class_names[c][eq - weights[i]] == 0)
                k = c;
        if (k < 0)
            return vgg_fail(VGG_STATUS_NOT_FOUND, "-w: no class '%.*s' in the labels",
                            (int)(eq - weights[i]), weights[i]);
        cw[k] = wv;
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_svm_train_store(const char *features, const char *labels_path,
                               vgg_svm_label_mode mode, char *const *weights, int n_weights,
                               vgg_svm_options *o, vgg_svm_labels **l, vgg_svm_model **m,
                               vgg_svm_report **rep, int *dim)
{
    *l = NULL, *m = NULL, *rep = NULL, *dim = 0;
    vgg_featstore *fs = NULL;
    size_t *rows = NULL;
    double *cw = NULL;
    store_source src;
    memset(&src, 0, sizeof src);
    vgg_status st = vgg_featstore_open(features, &fs);
    if (st == VGG_STATUS_OK)
        st = vgg_svm_labels_for_store(fs, features, labels_path, mode, NULL, 0, l, &rows);
    if (st == VGG_STATUS_OK && n_weights)
        st = class_weights(*l, weights, n_weights, &cw);
    if (st != VGG_STATUS_OK)
        goto done;
    o->class_weight = cw;
    /* what is needed of the store from here on; closed so that the pages
     * read for names and labels leave memory before the nodes are made */
    vgg_featdesc desc = *vgg_featstore_desc(fs);
    vgg_featdesc_forget_list(&desc);   /* the model is of the kind of features, not of the images */
    size_t store_rows = vgg_featstore_rows(fs);
    *dim = vgg_featstore_dim(fs);
    vgg_featstore_close(fs);
    fs = NULL;
    src.path = features;
    src.rows = rows;
    src.n_store_rows = store_rows;
    src.dim = *dim;
    st = vgg_svm_train_source(store_row, &src, (*l)->n_rows, *dim, *l, o, &desc, m, rep);
    if (st == VGG_STATUS_OK)
        (*rep)->n_skipped = store_rows - (*l)->n_rows;
done:
    o->class_weight = NULL;
    vgg_featstore_close(src.fs);
    vgg_featstore_close(fs);
    free(cw);
    free(rows);
    if (st != VGG_STATUS_OK) {
        vgg_svm_labels_free(*l);
        vgg_svm_model_free(*m);
        vgg_svm_report_free(*rep);
        *l = NULL, *m = NULL, *rep = NULL;
    }
    return st;
}
