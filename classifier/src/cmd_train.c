/* vggsvm train: one-vs-rest SVMs from a feature store and labels; the
 * options are parsed and checked by vgg_svm_train_cli_parse (train_cli.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/svm.h"
#include "svm_internal.h"
#include "train_cli.h"

/* Both outputs (MODEL and MODEL.json) pass the output rule, and are
 * regular files (a model is a pair of files, never a stream). */
static vgg_status check_outputs(const char *output, const char *const ins[2])
{
    size_t on = strlen(output) + 6;
    char *out_json = malloc(on);
    if (!out_json)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    snprintf(out_json, on, "%s.json", output);
    vgg_status st = vgg_output_check_kind(output, 0);
    if (st == VGG_STATUS_OK)
        st = vgg_output_check_kind(out_json, 0);
    if (st == VGG_STATUS_OK)
        st = check_output(output, ins, 2);
    if (st == VGG_STATUS_OK)
        st = check_output(out_json, ins, 2);
    free(out_json);
    return st;
}

int cmd_train(int argc, char **argv)
{
    vgg_svm_train_cli a;
    vgg_status st = vgg_svm_train_cli_parse(argc, argv, &a);
    if (st != VGG_STATUS_OK || a.help) {
        int rc = st == VGG_STATUS_NOMEM ? report_failure("train") : st == VGG_STATUS_OK ? 0 : 2;
        if (rc == 2)
            fprintf(stderr, "vggsvm train: %s\n", vgg_last_error());
        if (rc != 1)
            vgg_svm_train_cli_usage(rc == 0 ? stdout : stderr);
        vgg_svm_train_cli_free(&a);
        return rc;
    }

    double t0 = vgg_now_seconds();
    vgg_svm_labels *l = NULL;
    vgg_svm_model *m = NULL;
    vgg_svm_report *rep = NULL;
    int dim = 0, rc = 0;
    const char *ins[2] = { a.features, a.labels };
    st = check_outputs(a.output, ins);
    if (st == VGG_STATUS_OK) {
        note_store_tail("train", a.features);
        st = vgg_svm_train_store(a.features, a.labels, a.mode, a.weights, a.n_weights, &a.o, &l,
                                 &m, &rep, &dim);
    }
    if (st == VGG_STATUS_OK && rep->cv_folds && rep->cv_folds < a.o.cv_folds && !a.quiet) {
        int k;
        size_t n;
        vgg_svm_cv_folds(l, a.o.cv_folds, &k, &n);
        const char *what = l->multilabel ? "positive" : "image";
        if ((size_t)rep->cv_folds == n)
            fprintf(stderr, "vggsvm train: --cv %d: used %d folds, as many as the smallest class "
                    "('%s') has %ss (more would hold no %s of it)\n", a.o.cv_folds,
                    rep->cv_folds, l->class_names[k], what, what);
        else
            fprintf(stderr, "vggsvm train: --cv %d: used %d folds, the fewest; the smallest "
                    "class ('%s') has %zu %s%s\n", a.o.cv_folds, rep->cv_folds,
                    l->class_names[k], n, what, n == 1 ? "" : "s");
    }
    if (st == VGG_STATUS_OK)
        st = vgg_svm_model_save(m, a.output);
    if (st != VGG_STATUS_OK) {
        rc = report_failure("train");
    } else {
        double secs = vgg_now_seconds() - t0;
        if (a.json)
            train_print_json(l, rep, &a.o, a.output, dim, secs);
        else if (!a.quiet)
            train_print_text(l, rep, &a.o, a.output, dim, secs);
    }
    vgg_svm_report_free(rep);
    vgg_svm_model_free(m);
    vgg_svm_labels_free(l);
    vgg_svm_train_cli_free(&a);
    return rc;
}
