/* vggdata ilsvrc: class index and lists from the ILSVRC-2012 layout. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/datasets.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggdata ilsvrc DIR [--devkit-gt FILE --synsets FILE | --val-csv FILE] -o OUTDIR\n\n"
            "DIR holds train/<wnid>/*.JPEG (one folder per class) and val/.  The class order is\n"
            "the sorted wnids of train/ (the order of the usual 0..999 class indexes).\n"
            "Validation labels, one of:\n"
            "  --devkit-gt FILE  ILSVRC2012_validation_ground_truth.txt from the devkit (line i:\n"
            "                    the 1-based ILSVRC2012_ID of ILSVRC2012_val_<i>.JPEG), with\n"
            "  --synsets FILE    the ILSVRC2012_ID of each wnid, as text (meta.mat itself is not\n"
            "                    read): lines 'wnid ID' or 'ID wnid' (tab, space or comma; a header\n"
            "                    line is skipped), or one 'wnid [name]' per line in ILSVRC2012_ID\n"
            "                    order.  The devkit's ID order is not the sorted order: Kaggle's\n"
            "                    LOC_synset_mapping.txt is sorted and is refused here; use\n"
            "  --val-csv FILE    Kaggle's LOC_val_solution.csv (ImageId,PredictionString) instead.\n"
            "  (none)            val/ already sorted into val/<wnid>/ folders.\n"
            "Writes OUTDIR/classes.txt (one wnid a line), OUTDIR/train.list and OUTDIR/val.list\n"
            "(path<TAB>wnid).\n");
}

int cmd_ilsvrc(int argc, char **argv)
{
    static const struct option opts[] = {
        { "devkit-gt", required_argument, NULL, 'g' }, { "synsets", required_argument, NULL, 'm' },
        { "val-csv", required_argument, NULL, 'v' }, { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    vgg_ilsvrc_opts o = { 0 };
    const char *outdir = NULL;
    int c;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'g': o.gt_path = optarg; break;
        case 'm': o.synsets_path = optarg; break;
        case 'v': o.val_csv_path = optarg; break;
        case 'o': outdir = optarg; break;
        case 'h': usage(stdout); return 0;
        default:
            return vgg_cli_option_error("vggdata", "ilsvrc", argc, argv, "o:h", opts, usage);
        }
    }
    if (optind != argc - 1 || !outdir) {
        fprintf(stderr, "vggdata ilsvrc: %s\n", !outdir ? "-o OUTDIR is required" : "expected one DIR");
        usage(stderr);
        return 2;
    }
    if (!o.gt_path != !o.synsets_path) {
        fprintf(stderr, "vggdata ilsvrc: --devkit-gt and --synsets go together\n");
        return 2;
    }
    if (o.gt_path && o.val_csv_path) {
        fprintf(stderr, "vggdata ilsvrc: give --devkit-gt/--synsets or --val-csv, not both\n");
        return 2;
    }
    vgg_ilsvrc *d = NULL;
    vgg_status st = vgg_ilsvrc_load(argv[optind], &o, &d);
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggdata ilsvrc: %s\n", vgg_last_error());
        return 1;
    }
    if (make_dirs("ilsvrc", outdir) != 0) {
        vgg_ilsvrc_free(d);
        return 1;
    }
    char cls[4096], tr[4096], va[4096];
    snprintf(cls, sizeof cls, "%s/classes.txt", outdir);
    snprintf(tr, sizeof tr, "%s/train.list", outdir);
    snprintf(va, sizeof va, "%s/val.list", outdir);
    /* the lists check every name before the first is written; the class
     * index after them, so a refused name leaves nothing behind */
    st = vgg_ilsvrc_write_lists(d, tr, va);
    if (st == VGG_STATUS_OK)
        st = vgg_ds_write_classes(cls, d->train->classes, d->train->n_classes);
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggdata ilsvrc: %s\n", vgg_last_error());
        vgg_ilsvrc_free(d);
        return 1;
    }
    size_t n = 0;
    for (size_t i = 0; i < d->train->n_classes; i++)
        n += d->train->n_images[i];
    printf("vggdata ilsvrc: %zu classes, %zu training and %zu validation images -> %s\n",
           d->train->n_classes, n, d->n_val, outdir);
    vgg_ilsvrc_free(d);
    return 0;
}
