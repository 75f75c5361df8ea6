/* vggdata caltech: seeded train/test splits of Caltech-101 / Caltech-256. */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/datasets.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggdata caltech DIR [--train N] [--test N] [--splits K] [--seed S]\n"
            "                       [--exclude CLASS[,CLASS...]] -o OUTDIR\n\n"
            "DIR is a Caltech-101 or Caltech-256 copy: the folder holding 101_ObjectCategories/\n"
            "or 256_ObjectCategories/, or that folder itself (one folder of images per class;\n"
            "Caltech-101 has 102 classes with BACKGROUND_Google, Caltech-256 has 257 with\n"
            "257.clutter; all are kept unless --exclude names them).\n\n"
            "  --train N    training images per class (default 30 for Caltech-101, 60 for 256)\n"
            "  --test N     test images per class, at most (default 50 for 101, 0 for 256);\n"
            "               0 means all the rest\n"
            "  --splits K   number of random splits (default 3)\n"
            "  --seed S     seed (default 1); the same seed gives the same splits everywhere\n"
            "  -o OUTDIR    writes OUTDIR/classes.txt (class index, one name a line) and\n"
            "               OUTDIR/split<k>/{train,test}.list for k = 1..K (path<TAB>class)\n");
}

static int parse_int(const char *opt, const char *s, long min, long *v)
{
    char *end;
    long x = strtol(s, &end, 10);
    if (end == s || *end || x < min || x > INT_MAX) {
        fprintf(stderr, "vggdata caltech: %s '%s': expected an integer >= %ld\n", opt, s, min);
        return 2;
    }
    *v = x;
    return 0;
}

static void note_split(void *ctx, int k, size_t n_train, size_t n_test)
{
    printf("vggdata caltech: %s/split%d: %zu train, %zu test\n", (const char *)ctx, k, n_train,
           n_test);
}

int cmd_caltech(int argc, char **argv)
{
    static const struct option opts[] = {
        { "train", required_argument, NULL, 't' }, { "test", required_argument, NULL, 'e' },
        { "splits", required_argument, NULL, 'k' }, { "seed", required_argument, NULL, 's' },
        { "exclude", required_argument, NULL, 'x' }, { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    long n_train = -1, n_test = -1, splits = 3, seed = 1;
    const char *outdir = NULL, *excl = NULL;
    int c, rc;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 't': if ((rc = parse_int("--train", optarg, 1, &n_train))) return rc; break;
        case 'e': if ((rc = parse_int("--test", optarg, 0, &n_test))) return rc; break;
        case 'k': if ((rc = parse_int("--splits", optarg, 1, &splits))) return rc; break;
        case 's': if ((rc = parse_int("--seed", optarg, 0, &seed))) return rc; break;
        case 'x': excl = optarg; break;
        case 'o': outdir = optarg; break;
        case 'h': usage(stdout); return 0;
        default:
            return vgg_cli_option_error("vggdata", "caltech", argc, argv, "o:h", opts, usage);
        }
    }
    if (optind != argc - 1 || !outdir) {
        fprintf(stderr, "vggdata caltech: %s\n", !outdir ? "-o OUTDIR is required" : "expected one DIR");
        usage(stderr);
        return 2;
    }
    char *root = NULL;
    vgg_caltech_kind kind;
    vgg_ds_folders *f = NULL;
    vgg_status st = vgg_caltech_find_root(argv[optind], &root, &kind);
    if (st == VGG_STATUS_OK)
        st = vgg_ds_scan_folders(root, &f);
    free(root);
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggdata caltech: %s\n", vgg_last_error());
        return 1;
    }
    if (excl && vgg_ds_exclude(f, excl) != VGG_STATUS_OK) {
        fprintf(stderr, "vggdata caltech: --exclude: %s\n", vgg_last_error());
        vgg_ds_folders_free(f);
        return 2;
    }
    /* before anything is written: a name a list cannot hold is refused */
    if ((st = vgg_ds_check_names(f, argv[optind])) != VGG_STATUS_OK) {
        fprintf(stderr, "vggdata caltech: %s\n", vgg_last_error());
        vgg_ds_folders_free(f);
        return 1;
    }
    if (n_train < 0)
        n_train = kind == VGG_CALTECH_256 ? 60 : 30;
    if (n_test < 0)
        n_test = kind == VGG_CALTECH_256 ? 0 : 50;
    size_t total = 0;
    for (size_t i = 0; i < f->n_classes; i++)
        total += f->n_images[i];
    char test_text[64];
    if (n_test)
        snprintf(test_text, sizeof test_text, "up to %ld", n_test);
    else
        snprintf(test_text, sizeof test_text, "the rest");
    printf("vggdata caltech: %s, %zu classes, %zu images; %ld splits of %ld train / %s test per class, seed %ld\n",
           kind == VGG_CALTECH_101 ? "Caltech-101" : kind == VGG_CALTECH_256 ? "Caltech-256" : "class folders",
           f->n_classes, total, splits, n_train, test_text, seed);
    st = vgg_ds_write_splits(f, outdir, (int)n_train, (int)n_test, (int)splits, (uint64_t)seed,
                             note_split, (void *)outdir);
    if (st != VGG_STATUS_OK)
        fprintf(stderr, "vggdata caltech: %s\n", vgg_last_error());
    vgg_ds_folders_free(f);
    return st == VGG_STATUS_OK ? 0 : 1;
}
