/* Labels for the rows of a feature store (read through features.h only). */
#include <stdlib.h>
#include <string.h>

#include "svm_internal.h"

/* text[row] of every row named in the labels file (*lf, read here, owns
 * the texts; *ix the store's index, both the caller's to free); NOT_FOUND
 * naming the first few names the store lacks. */
static vgg_status texts_from_labelfile(const vgg_featstore *fs, const char *store_path,
                                       const char *labels_path, const char **text,
                                       vgg_svm_labelfile **lf_out, vgg_featindex **ix_out)
{
    vgg_status st = vgg_svm_labelfile_read(labels_path, lf_out);
    if (st != VGG_STATUS_OK)
        return st;
    st = vgg_featindex_of_store(fs, ix_out);
    if (st != VGG_STATUS_OK)
        return st;
    const vgg_svm_labelfile *lf = *lf_out;
    size_t missing = 0;
    char list[512] = "";
    size_t used = 0;
    for (size_t j = 0; j < lf->n; j++) {
        size_t row = vgg_featindex_find(*ix_out, lf->names[j]);
        if (row != VGG_FEAT_NO_ROW) {
            text[row] = lf->texts[j];
        } else {
            if (missing < 5 && used < sizeof list - 80) {
                used += (size_t)snprintf(list + used, sizeof list - used, "%s'%.60s'",
                                         missing ? ", " : "", lf->names[j]);
            }
            missing++;
        }
    }
    if (missing)
        return vgg_fail(VGG_STATUS_NOT_FOUND,
                        "%zu of the %zu names in '%s' are not in the store '%s': %s%s", missing,
                        lf->n, labels_path, store_path, list, missing > 5 ? ", ..." : "");
    return VGG_STATUS_OK;
}

vgg_status vgg_svm_labels_for_store(const vgg_featstore *fs, const char *store_path,
                                    const char *labels_path, vgg_svm_label_mode mode,
                                    const char *const *classes, int n_classes,
                                    vgg_svm_labels **out, size_t **rows_out)
{
    *out = NULL;
    *rows_out = NULL;
    size_t n = vgg_featstore_rows(fs);
    const char **text = calloc(n ? n : 1, sizeof *text);
    size_t *rows = malloc((n ? n : 1) * sizeof *rows);
    const char **kept = malloc((n ? n : 1) * sizeof *kept);
    vgg_featindex *ix = NULL;
    vgg_svm_labelfile *lf = NULL;
    vgg_status st = VGG_STATUS_OK;
    char what[1100];
    if (!text || !rows || !kept) {
        st = vgg_fail(VGG_STATUS_NOMEM, "out of memory for %zu rows", n);
        goto done;
    }
    if (labels_path) {
        snprintf(what, sizeof what, "'%s'", labels_path);
        st = texts_from_labelfile(fs, store_path, labels_path, text, &lf, &ix);
        if (st != VGG_STATUS_OK)
            goto done;
    } else {
        snprintf(what, sizeof what, "the labels of store '%s'", store_path);
        for (size_t i = 0; i < n; i++) {
            const char *t = vgg_featstore_label(fs, i);
            text[i] = (t && *t) ? t : NULL;
        }
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (text[i]) {
            rows[m] = i;
            kept[m] = text[i];
            m++;
        }
    if (m == 0) {
        st = vgg_fail(VGG_STATUS_NOT_FOUND, "no row of the store '%s' has a label%s%s%s",
                      store_path, labels_path ? " in '" : "", labels_path ? labels_path : "",
                      labels_path ? "'" : "");
        goto done;
    }
    st = vgg_svm_labels_build(kept, m, mode, classes, n_classes, what, out);
done:
    vgg_svm_labelfile_free(lf);
    vgg_featindex_free(ix);
    free(text);
    free(kept);
    if (st != VGG_STATUS_OK) {
        free(rows);
        return st;
    }
    *rows_out = rows;
    return VGG_STATUS_OK;
}
