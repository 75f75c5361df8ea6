/* vggsvm train: one-vs-rest SVMs from a feature store and labels. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "commands.h"
#include "vgg/svm.h"
#include "svm_internal.h"

static void train_usage(FILE *fp)
{
    fprintf(fp,
"usage: vggsvm train --features STORE [--labels FILE] [-o MODEL] [options]\n"
"  --features STORE   feature store from vggfeat extract\n"
"  --labels FILE      'name<TAB>label[,label...]' per line; a trailing '?' marks\n"
"                     the image difficult for that class (left out of its training).\n"
"                     Default: the store's own labels.  Store rows without a label\n"
"                     are left out.\n"
"  -o, --output MODEL model file (LIBLINEAR format) plus MODEL.json (default svm.model)\n"
"  -s, --solver N     LIBLINEAR solver (-s of liblinear-train): 0 L2 logistic,\n"
"                     1 L2-loss SVM dual (default), 2 L2-loss SVM primal,\n"
"                     3 L1-loss SVM dual, 5 L1-regularised L2-loss SVM,\n"
"                     6 L1-regularised logistic, 7 L2 logistic dual\n"
"  -c, --C C          fix C (no search)\n"
"      --cv K         choose C by K-fold cross-validation on the training set\n"
"      --holdout F    without --cv or -c: choose C on a held-out fraction F (0.2)\n"
"      --grid LIST    C values to try (default 0.01,0.1,1,10,100)\n"
"  -B, --bias B       bias feature value; -1 for none (default 1)\n"
"  -w, --weight CLASS=W  multiply C for CLASS's positives by W (repeatable)\n"
"  -e, --eps E        stopping tolerance (default: LIBLINEAR's for the solver)\n"
"      --multilabel   one binary SVM per class (default: automatic, multi-label if\n"
"                     any image has several classes or a '?')\n"
"      --single-label every image has exactly one class\n"
"      --seed N       seed of the held-out split and folds (default 1)\n"
"      --json         print the training report as JSON\n"
"  -q, --quiet        print nothing on success\n");
}

static json_object *jnum(double v)
{
    return isnan(v) ? NULL : json_object_new_double(v);
}

/* the run as JSON on stdout */
static void print_json(const vgg_svm_labels *l, const vgg_svm_report *rep,
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
static void print_text(const vgg_svm_labels *l, const vgg_svm_report *rep,
                       const vgg_svm_options *o, const char *output, int dim, double secs)
{
    int K = l->n_classes;
    if (rep->n_grid) {
        if (o->cv_folds)
            printf("C by %d-fold cross-validation on the training set\n", o->cv_folds);
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

int cmd_train(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "features", required_argument, 0, 'f' }, { "labels", required_argument, 0, 'l' },
        { "output", required_argument, 0, 'o' },   { "solver", required_argument, 0, 's' },
        { "C", required_argument, 0, 'c' },        { "cv", required_argument, 0, 'k' },
        { "holdout", required_argument, 0, 'H' },  { "grid", required_argument, 0, 'g' },
        { "bias", required_argument, 0, 'B' },     { "weight", required_argument, 0, 'w' },
        { "eps", required_argument, 0, 'e' },      { "multilabel", no_argument, 0, 'M' },
        { "single-label", no_argument, 0, 'S' },   { "seed", required_argument, 0, 'r' },
        { "json", no_argument, 0, 'j' },           { "quiet", no_argument, 0, 'q' },
        { "help", no_argument, 0, 'h' },           { 0, 0, 0, 0 },
    };
    const char *features = NULL, *labels = NULL, *output = "svm.model";
    vgg_svm_options o;
    vgg_svm_options_default(&o);
    vgg_svm_label_mode mode = VGG_SVM_LABELS_AUTO;
    double *grid = NULL;
    int n_grid = 0;
    char **weights = NULL;
    int n_weights = 0;
    bool json = false, quiet = false;
    int rc = 1;
    char *end;
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "f:l:o:s:c:B:w:e:qh", longopts, NULL)) != -1) {
        switch (c) {
        case 'f': features = optarg; break;
        case 'l': labels = optarg; break;
        case 'o': output = optarg; break;
        case 's':
            o.solver = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg)
                goto bad;
            break;
        case 'c':
            o.C = strtod(optarg, &end);
            if (*end || end == optarg || !(o.C > 0)) {
                fprintf(stderr, "vggsvm train: -c needs a positive number, not '%s'\n", optarg);
                goto usage_error;
            }
            break;
        case 'k':
            o.cv_folds = (int)strtol(optarg, &end, 10);
            if (*end || end == optarg || o.cv_folds < 2) {
                fprintf(stderr, "vggsvm train: --cv needs K >= 2, not '%s'\n", optarg);
                goto usage_error;
            }
            break;
        case 'H':
            o.holdout = strtod(optarg, &end);
            if (*end || end == optarg || !(o.holdout > 0 && o.holdout < 1)) {
                fprintf(stderr, "vggsvm train: --holdout needs a fraction in (0, 1)\n");
                goto usage_error;
            }
            break;
        case 'g':
            free(grid);
            if (parse_double_list(optarg, &grid, &n_grid) != 0) {
                fprintf(stderr, "vggsvm train: --grid needs numbers like 0.1,1,10\n");
                goto usage_error;
            }
            break;
        case 'B':
            o.bias = strtod(optarg, &end);
            if (*end || end == optarg)
                goto bad;
            break;
        case 'w': {
            char **nw = realloc(weights, (size_t)(n_weights + 1) * sizeof *nw);
            if (!nw)
                goto done;
            weights = nw;
            weights[n_weights++] = optarg;
            break;
        }
        case 'e':
            o.eps = strtod(optarg, &end);
            if (*end || end == optarg || !(o.eps > 0))
                goto bad;
            break;
        case 'M': mode = VGG_SVM_LABELS_MULTI; break;
        case 'S': mode = VGG_SVM_LABELS_SINGLE; break;
        case 'r':
            o.seed = strtoull(optarg, &end, 10);
            if (*end || end == optarg)
                goto bad;
            break;
        case 'j': json = true; break;
        case 'q': quiet = true; break;
        case 'h': train_usage(stdout); rc = 0; goto done;
        default: goto usage_error;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vggsvm train: unexpected argument '%s'\n", argv[optind]);
        goto usage_error;
    }
    if (!features) {
        fprintf(stderr, "vggsvm train: --features is required\n");
        goto usage_error;
    }
    if (o.C > 0 && o.cv_folds) {
        fprintf(stderr, "vggsvm train: -c fixes C; --cv chooses it: give one\n");
        goto usage_error;
    }
    o.grid = grid;
    o.n_grid = n_grid;

    double t0 = vgg_now_seconds();
    vgg_svm_labels *l = NULL;
    vgg_svm_model *m = NULL;
    vgg_svm_report *rep = NULL;
    int dim = 0;
    const char *ins[2] = { features, labels };
    size_t on = strlen(output) + 6;
    char *out_json = malloc(on);
    vgg_status st = out_json ? VGG_STATUS_OK : vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    if (out_json)
        snprintf(out_json, on, "%s.json", output);
    if (st == VGG_STATUS_OK)
        st = check_output(output, ins, 2);
    if (st == VGG_STATUS_OK)
        st = check_output(out_json, ins, 2);
    free(out_json);
    if (st == VGG_STATUS_OK) {
        note_store_tail("train", features);
        st = vgg_svm_train_store(features, labels, mode, weights, n_weights, &o, &l, &m, &rep,
                                 &dim);
    }
    if (st == VGG_STATUS_OK)
        st = vgg_svm_model_save(m, output);
    if (st != VGG_STATUS_OK) {
        rc = report_failure("train");
        goto cleanup;
    }
    double secs = vgg_now_seconds() - t0;
    if (json)
        print_json(l, rep, &o, output, dim, secs);
    else if (!quiet)
        print_text(l, rep, &o, output, dim, secs);
    rc = 0;
cleanup:
    vgg_svm_report_free(rep);
    vgg_svm_model_free(m);
    vgg_svm_labels_free(l);
    goto done;
bad:
    fprintf(stderr, "vggsvm train: bad value '%s'\n", optarg);
usage_error:
    train_usage(stderr);
    rc = 2;
done:
    free(grid);
    free(weights);
    return rc;
}
