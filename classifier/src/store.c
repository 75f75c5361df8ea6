/* Labels for the rows of a feature store (read through features.h only). */
#include <stdlib.h>
#include <string.h>

#include "svm_internal.h"

typedef struct name_row {
    const char *name;
    size_t row;
} name_row;

static int cmp_name_row(const void *a, const void *b)
{
    const name_row *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->row < y->row ? -1 : x->row > y->row;
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
    name_row *ix = NULL;
    vgg_svm_labelfile *lf = NULL;
    vgg_status st = VGG_STATUS_OK;
    char what[1100];
    if (!text || !rows || !kept) {
        st = vgg_fail(VGG_STATUS_NOMEM, "out of memory for %zu rows", n);
        goto done;
    }
    if (labels_path) {
        snprintf(what, sizeof what, "'%s'", labels_path);
        st = vgg_svm_labelfile_read(labels_path, &lf);
        if (st != VGG_STATUS_OK)
            goto done;
        ix = malloc((n ? n : 1) * sizeof *ix);
        if (!ix) {
            st = vgg_fail(VGG_STATUS_NOMEM, "out of memory for %zu rows", n);
            goto done;
        }
        for (size_t i = 0; i < n; i++)
            ix[i] = (name_row){ vgg_featstore_name(fs, i), i };
        qsort(ix, n, sizeof *ix, cmp_name_row);
        size_t missing = 0;
        char list[512] = "";
        size_t used = 0;
        for (size_t j = 0; j < lf->n; j++) {
            name_row key = { lf->names[j], 0 };
            /* lower bound: the first row of that name */
            size_t lo = 0, hi = n;
            while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(ix[mid].name, key.name) < 0)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < n && strcmp(ix[lo].name, key.name) == 0) {
                text[ix[lo].row] = lf->texts[j];
            } else {
                if (missing < 5 && used < sizeof list - 80) {
                    used += (size_t)snprintf(list + used, sizeof list - used, "%s'%.60s'",
                                             missing ? ", " : "", lf->names[j]);
                }
                missing++;
            }
        }
        if (missing) {
            st = vgg_fail(VGG_STATUS_NOT_FOUND,
                          "%zu of the %zu names in '%s' are not in the store '%s': %s%s",
                          missing, lf->n, labels_path, store_path, list,
                          missing > 5 ? ", ..." : "");
            goto done;
        }
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
    free(ix);
    free(text);
    free(kept);
    if (st != VGG_STATUS_OK) {
        free(rows);
        return st;
    }
    *rows_out = rows;
    return VGG_STATUS_OK;
}
