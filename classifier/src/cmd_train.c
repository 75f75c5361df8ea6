/* vggsvm train: one-vs-rest SVMs from a feature store and labels. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

typedef struct train_args {
    const char *features, *labels, *output;
    vgg_svm_options o;
    vgg_svm_label_mode mode;
    double *grid;
    int n_grid;
    char **weights;
    int n_weights;
    bool json, quiet;
} train_args;

/* One option into a; 0, or 2 after printing a usage error. */
static int train_option(int c, train_args *a)
{
    char *end;
    switch (c) {
    case 'f': a->features = optarg; return 0;
    case 'l': a->labels = optarg; return 0;
    case 'o': a->output = optarg; return 0;
    case 's':
        a->o.solver = (int)strtol(optarg, &end, 10);
        break;
    case 'c':
        a->o.C = strtod(optarg, &end);
        if (*end || end == optarg || !(a->o.C > 0)) {
            fprintf(stderr, "vggsvm train: -c needs a positive number, not '%s'\n", optarg);
            return 2;
        }
        return 0;
    case 'k':
        a->o.cv_folds = (int)strtol(optarg, &end, 10);
        if (*end || end == optarg || a->o.cv_folds < 2) {
            fprintf(stderr, "vggsvm train: --cv needs K >= 2, not '%s'\n", optarg);
            return 2;
        }
        return 0;
    case 'H':
        a->o.holdout = strtod(optarg, &end);
        if (*end || end == optarg || !(a->o.holdout > 0 && a->o.holdout < 1)) {
            fprintf(stderr, "vggsvm train: --holdout needs a fraction in (0, 1)\n");
            return 2;
        }
        return 0;
    case 'g':
        free(a->grid);
        if (parse_double_list(optarg, &a->grid, &a->n_grid) != 0) {
            fprintf(stderr, "vggsvm train: --grid needs numbers like 0.1,1,10\n");
            return 2;
        }
        return 0;
    case 'B':
        a->o.bias = strtod(optarg, &end);
        break;
    case 'e':
        a->o.eps = strtod(optarg, &end);
        if (!*end && end != optarg && !(a->o.eps > 0))
            end = optarg;
        break;
    case 'M': a->mode = VGG_SVM_LABELS_MULTI; return 0;
    case 'S': a->mode = VGG_SVM_LABELS_SINGLE; return 0;
    case 'r':
        a->o.seed = strtoull(optarg, &end, 10);
        break;
    case 'j': a->json = true; return 0;
    case 'q': a->quiet = true; return 0;
    default: return 2;
    }
    if (*end || end == optarg) {
        fprintf(stderr, "vggsvm train: bad value '%s'\n", optarg);
        return 2;
    }
    return 0;
}

/* The command line into a: -1 to go on, else the exit code (0 after
 * --help, 1 out of memory, 2 a usage error, the usage printed). */
static int parse_train_args(int argc, char **argv, train_args *a)
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
    optind = 1;
    int c;
    while ((c = getopt_long(argc, argv, "f:l:o:s:c:B:w:e:qh", longopts, NULL)) != -1) {
        if (c == 'h') {
            train_usage(stdout);
            return 0;
        }
        if (c == 'w') {
            char **nw = realloc(a->weights, (size_t)(a->n_weights + 1) * sizeof *nw);
            if (!nw)
                return 1;
            a->weights = nw;
            a->weights[a->n_weights++] = optarg;
        } else if (train_option(c, a) != 0) {
            train_usage(stderr);
            return 2;
        }
    }
    const char *err = NULL;
    if (optind < argc)
        fprintf(stderr, "vggsvm train: unexpected argument '%s'\n", argv[optind]);
    else if (!a->features)
        err = "--features is required";
    else if (a->o.C > 0 && a->o.cv_folds)
        err = "-c fixes C; --cv chooses it: give one";
    else
        return -1;
    if (err)
        fprintf(stderr, "vggsvm train: %s\n", err);
    train_usage(stderr);
    return 2;
}

/* Both outputs (MODEL and MODEL.json) pass the output rule. */
static vgg_status check_outputs(const char *output, const char *const ins[2])
{
    size_t on = strlen(output) + 6;
    char *out_json = malloc(on);
    if (!out_json)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    snprintf(out_json, on, "%s.json", output);
    vgg_status st = check_output(output, ins, 2);
    if (st == VGG_STATUS_OK)
        st = check_output(out_json, ins, 2);
    free(out_json);
    return st;
}

int cmd_train(int argc, char **argv)
{
    train_args a = { .output = "svm.model", .mode = VGG_SVM_LABELS_AUTO };
    vgg_svm_options_default(&a.o);
    int rc = parse_train_args(argc, argv, &a);
    if (rc >= 0)
        goto done;
    a.o.grid = a.grid;
    a.o.n_grid = a.n_grid;

    double t0 = vgg_now_seconds();
    vgg_svm_labels *l = NULL;
    vgg_svm_model *m = NULL;
    vgg_svm_report *rep = NULL;
    int dim = 0;
    const char *ins[2] = { a.features, a.labels };
    vgg_status st = check_outputs(a.output, ins);
    if (st == VGG_STATUS_OK) {
        note_store_tail("train", a.features);
        st = vgg_svm_train_store(a.features, a.labels, a.mode, a.weights, a.n_weights, &a.o, &l,
                                 &m, &rep, &dim);
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
        rc = 0;
    }
    vgg_svm_report_free(rep);
    vgg_svm_model_free(m);
    vgg_svm_labels_free(l);
done:
    free(a.grid);
    free(a.weights);
    return rc;
}
