/* vggsvm train's report of a finished run: in words or as JSON, on stdout. */
#include <math.h>
#include <stdio.h>

#include <json-c/json.h>

#include "commands.h"
#include "svm_internal.h"

static json_object *jnum(double v)
{
    return isnan(v) ? NULL : json_object_new_double(v);
}

/* the run as JSON on stdout */
void train_print_json(const vgg_svm_labels *l, const vgg_svm_report *rep,
                       const vgg_svm_options *o, const char *output, int dim, double secs)
{
    int K = l->n_classes;
    json_object *r = json_object_new_object();
    json_object_object_add(r, "model", svm_json_escaped(output));
    json_object_object_add(r, "rows", json_object_new_int64((int64_t)l->n_rows));
    json_object_object_add(r, "rows_left_out", json_object_new_int64((int64_t)rep->n_skipped));
    json_object_object_add(r, "dim", json_object_new_int(dim));
    json_object_object_add(r, "multilabel", json_object_new_boolean(l->multilabel));
    json_object_object_add(r, "solver", json_object_new_int(o->solver));
    json_object_object_add(r, "bias", json_object_new_double(o->bias));
    json_object_object_add(r, "selection",
                           json_object_new_string(o->C > 0 ? "fixed" : o->cv_folds ? "cv" : "holdout"));
    if (o->C <= 0 && o->cv_folds)
        json_object_object_add(r, "cv_folds", json_object_new_int(rep->cv_folds));
    json_object *g = json_object_new_array();
    for (int i = 0; i < rep->n_grid; i++)
        json_object_array_add(g, json_object_new_double(rep->grid[i]));
    json_object_object_add(r, "grid", g);
    if (!l->multilabel && rep->n_grid) {
        json_object *s = json_object_new_array();
        for (int i = 0; i < rep->n_grid; i++)
            json_object_array_add(s, jnum(rep->score[(size_t)i * K]));
        json_object_object_add(r, "validation_mean_class_recall", s);
    }
    json_object *cl = json_object_new_array();
    for (int k = 0; k < K; k++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "name", svm_json_escaped(l->class_names[k]));
        size_t pos = 0, diff = 0;
        for (size_t i = 0; i < l->n_rows; i++) {
            pos += l->truth[i * (size_t)K + k] > 0;
            diff += l->truth[i * (size_t)K + k] == 0;
        }
        json_object_object_add(e, "positives", json_object_new_int64((int64_t)pos));
        json_object_object_add(e, "difficult", json_object_new_int64((int64_t)diff));
        json_object_object_add(e, "C", json_object_new_double(rep->C[k]));
        if (l->multilabel && rep->n_grid) {
            json_object *s = json_object_new_array();
            for (int i = 0; i < rep->n_grid; i++)
                json_object_array_add(s, jnum(rep->score[(size_t)i * K + k]));
            json_object_object_add(e, "validation_ap", s);
        }
        json_object_array_add(cl, e);
    }
    json_object_object_add(r, "classes", cl);
    json_object_object_add(r, "seconds", json_object_new_double(secs));
    json_object_object_add(r, "peak_rss_bytes", json_object_new_int64((int64_t)vgg_peak_rss_bytes()));
    printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY |
                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(r);
}

/* the run in words on stdout */
void train_print_text(const vgg_svm_labels *l, const vgg_svm_report *rep,
                       const vgg_svm_options *o, const char *output, int dim, double secs)
{
    int K = l->n_classes;
    if (rep->n_grid) {
        if (o->cv_folds)
            printf("C by %d-fold cross-validation on the training set\n", rep->cv_folds);
        else
            printf("C by a held-out %.0f%% of the training set\n", o->holdout * 100);
        if (!l->multilabel) {
            for (int i = 0; i < rep->n_grid; i++)
                printf("  C %-10g mean class recall %.4f%s\n", rep->grid[i],
                       rep->score[(size_t)i * K], rep->grid[i] == rep->C[0] ? "  <- chosen" : "");
        } else {
            printf("  %-20s %10s  validation AP per C (", "class", "chosen C");
            for (int i = 0; i < rep->n_grid; i++)
                printf("%s%g", i ? ", " : "", rep->grid[i]);
            printf(")\n");
            for (int k = 0; k < K; k++) {
                printf("  %-20s %10g ", l->class_names[k], rep->C[k]);
                for (int i = 0; i < rep->n_grid; i++) {
                    double v = rep->score[(size_t)i * K + k];
                    if (isnan(v))
                        printf("    -  ");
                    else
                        printf(" %.4f", v);
                }
                printf("\n");
            }
        }
    }
    char cdesc[64];
    if (rep->n_grid && l->multilabel)
        snprintf(cdesc, sizeof cdesc, "C per class (above)");
    else
        snprintf(cdesc, sizeof cdesc, "C %g", rep->C[0]);
    printf("trained %d %s SVMs on %zu images (%zu store rows without labels left out), "
           "dim %d, %s, in %.1f s, peak RSS %.1f MiB\n",
           K, l->multilabel ? "binary (multi-label)" : "one-vs-rest", l->n_rows,
           rep->n_skipped, dim, cdesc, secs, (double)vgg_peak_rss_bytes() / (1024.0 * 1024.0));
    printf("model: %s (and %s.json)\n", output, output);
}
