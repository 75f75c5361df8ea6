/* The options of `vggsvm train`: the usage text, and the command line
 * parsed and checked here, so that the command only parses, checks,
 * calls and reports. */
#include "train_cli.h"
#include "vgg/cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vgg_svm_train_cli_usage(FILE *fp)
{
    fprintf(fp,
"usage: vggsvm train --features STORE [--labels FILE] [-o MODEL] [options]\n"
"  --features STORE   feature store from vggfeat extract\n"
"  --labels FILE      'name<TAB>label[,label...]' per line; a trailing '?' marks\n"
"                     the image difficult for that class (left out of its training).\n"
"                     Default: the store's own labels.  Store rows without a label\n"
"                     are left out.\n"
"  -o, --output MODEL model file (LIBLINEAR format) plus MODEL.json (default svm.model),\n"
"                     both regular files (a device, FIFO or '-' is refused)\n"
"  -s, --solver N     LIBLINEAR solver (-s of liblinear-train): 0 L2 logistic,\n"
"                     1 L2-loss SVM dual (default), 2 L2-loss SVM primal,\n"
"                     3 L1-loss SVM dual, 5 L1-regularised L2-loss SVM,\n"
"                     6 L1-regularised logistic, 7 L2 logistic dual\n"
"  -c, --C C          fix C (no search)\n"
"      --cv K         choose C by K-fold cross-validation on the training set (at\n"
"                     most as many folds as the smallest class has images: said so)\n"
"      --holdout F    without --cv or -c: choose C on a held-out fraction F (0.2)\n"
"      --grid LIST    C values to try (default 0.01,0.1,1,10,100)\n"
"  -B, --bias B       bias feature value; -1 for none (default 1)\n"
"  -w, --weight CLASS=W  multiply C for CLASS's positives by W (repeatable)\n"
"  -e, --eps E        stopping tolerance (default: LIBLINEAR's for the solver)\n"
"      --multilabel   one binary SVM per class (default: automatic, multi-label if\n"
"                     any image has several classes or a '?')\n"
"      --single-label every image has exactly one class\n"
"      --seed N       seed of the held-out split and folds (default 1)\n"
"  Numbers must be finite (nan and inf are refused).  '--' ends the options.\n"
"      --json         print the training report as JSON\n"
"  -q, --quiet        print nothing on success\n");
}

/* "0.1,1,10" -> malloc'd doubles; 0 on success, -1 on a bad list. */
static int parse_double_list(const char *text, double **out, int *count)
{
    *out = NULL;
    *count = 0;
    int cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    double *v = malloc((size_t)cap * sizeof *v);
    if (!v)
        return -1;
    const char *p = text;
    int n = 0;
    for (;;) {
        char *end;
        errno = 0;
        double d = strtod(p, &end);
        if (end == p || errno || !isfinite(d) || (*end != ',' && *end != 0)) {
            free(v);
            return -1;
        }
        v[n++] = d;
        if (*end == 0)
            break;
        p = end + 1;
    }
    *out = v;
    *count = n;
    return 0;
}

/* The whole of text a finite number (NaN and infinities are no value of
 * any option here) into *v; INVALID naming the option otherwise. */
static vgg_status finite_value(const char *opt, const char *text, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(text, &end);
    if (*end || end == text || !isfinite(*v))
        return vgg_fail(VGG_STATUS_INVALID, "%s: bad value '%s' (a finite number)", opt, text);
    return VGG_STATUS_OK;
}

/* The whole of text an integer in [lo, hi] into *v; INVALID naming the
 * option otherwise. */
static vgg_status int_value(const char *opt, const char *text, long lo, long hi, int *v)
{
    char *end;
    errno = 0;
    long x = strtol(text, &end, 10);
    if (*end || end == text || errno || x < lo || x > hi)
        return vgg_fail(VGG_STATUS_INVALID, "%s: bad value '%s' (an integer from %ld to %ld)", opt,
                        text, lo, hi);
    *v = (int)x;
    return VGG_STATUS_OK;
}

/* One option with its value into a. */
static vgg_status parse_one(int c, const char *arg, vgg_svm_train_cli *a)
{
    char *end;
    vgg_status st;
    switch (c) {
    case 'f': a->features = arg; return VGG_STATUS_OK;
    case 'l': a->labels = arg; return VGG_STATUS_OK;
    case 'o': a->output = arg; return VGG_STATUS_OK;
    case 's':
        return int_value("-s", arg, 0, 99, &a->o.solver);
    case 'c':
        if (finite_value("-c", arg, &a->o.C) != VGG_STATUS_OK || !(a->o.C > 0))
            return vgg_fail(VGG_STATUS_INVALID, "-c needs a positive number, not '%s'", arg);
        return VGG_STATUS_OK;
    case 'k':
        if (int_value("--cv", arg, 2, INT_MAX, &a->o.cv_folds) != VGG_STATUS_OK)
            return vgg_fail(VGG_STATUS_INVALID, "--cv needs K >= 2, not '%s'", arg);
        return VGG_STATUS_OK;
    case 'H':
        if (finite_value("--holdout", arg, &a->o.holdout) != VGG_STATUS_OK ||
            !(a->o.holdout > 0 && a->o.holdout < 1))
            return vgg_fail(VGG_STATUS_INVALID, "--holdout needs a fraction in (0, 1)");
        return VGG_STATUS_OK;
    case 'g':
        free(a->grid);
        if (parse_double_list(arg, &a->grid, &a->n_grid) != 0)
            return vgg_fail(VGG_STATUS_INVALID, "--grid needs numbers like 0.1,1,10");
        return VGG_STATUS_OK;
    case 'B':
        return finite_value("-B", arg, &a->o.bias);
    case 'e':
        st = finite_value("-e", arg, &a->o.eps);
        if (st == VGG_STATUS_OK && !(a->o.eps > 0))
            return vgg_fail(VGG_STATUS_INVALID, "-e: bad value '%s' (a positive number)", arg);
        return st;
    case 'M': a->mode = VGG_SVM_LABELS_MULTI; return VGG_STATUS_OK;
    case 'S': a->mode = VGG_SVM_LABELS_SINGLE; return VGG_STATUS_OK;
    case 'r':
        errno = 0;
        a->o.seed = strtoull(arg, &end, 10);
        if (*end || end == arg || errno || arg[strspn(arg, " ")] == '-')
            return vgg_fail(VGG_STATUS_INVALID, "--seed: bad value '%s' (a non-negative integer)",
                            arg);
        return VGG_STATUS_OK;
    case 'j': a->json = true; return VGG_STATUS_OK;
    case 'q': a->quiet = true; return VGG_STATUS_OK;
    default: return vgg_fail(VGG_STATUS_INVALID, "unknown option");
    }
}

/* One more --weight CLASS=W. */
static vgg_status add_weight(vgg_svm_train_cli *a, char *arg)
{
    char **nw = realloc(a->weights, (size_t)(a->n_weights + 1) * sizeof *nw);
    if (!nw)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    a->weights = nw;
    a->weights[a->n_weights++] = arg;
    return VGG_STATUS_OK;
}

static const struct option long_opts[] = {
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

vgg_status vgg_svm_train_cli_parse(int argc, char **argv, vgg_svm_train_cli *a)
{
    memset(a, 0, sizeof *a);
    a->output = "svm.model";
    a->mode = VGG_SVM_LABELS_AUTO;
    vgg_svm_options_default(&a->o);
    int c;
    optind = 1;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "f:l:o:s:c:B:w:e:qh", long_opts, NULL)) != -1) {
        if (c == 'h') {
            a->help = true;
            return VGG_STATUS_OK;
        }
        if (c == '?')
            return vgg_cli_bad_option(argc, argv, "f:l:o:s:c:B:w:e:qh", long_opts);
        vgg_status st = c == 'w' ? add_weight(a, optarg) : parse_one(c, optarg, a);
        if (st != VGG_STATUS_OK)
            return st;
    }
    a->o.grid = a->grid;
    a->o.n_grid = a->n_grid;
    if (optind < argc)
        return vgg_fail(VGG_STATUS_INVALID, "unexpected argument '%s'", argv[optind]);
    if (!a->features)
        return vgg_fail(VGG_STATUS_INVALID, "--features is required");
    if (a->o.C > 0 && a->o.cv_folds)
        return vgg_fail(VGG_STATUS_INVALID, "-c fixes C; --cv chooses it: give one");
    return VGG_STATUS_OK;
}

void vgg_svm_train_cli_free(vgg_svm_train_cli *a)
{
    free(a->grid);
    free(a->weights);
    a->grid = NULL;
    a->weights = NULL;
    a->o.grid = NULL;
}
