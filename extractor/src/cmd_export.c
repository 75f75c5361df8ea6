/* vggfeat export FEATURES --format npy|liblinear|csv -o FILE */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/features.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggfeat export FEATURES --format npy|liblinear|csv -o FILE\n"
            "  npy        float32 matrix (rows, dim), for numpy.load\n"
            "  liblinear  'label 1:v1 2:v2 ...' per row (zeros left out); labels that are\n"
            "             all integers are kept, others are numbered 1, 2, ... in sorted\n"
            "             order (as vggsvm numbers classes) and the numbering is written\n"
            "             to FILE.labels;\n"
            "             a store without labels gets label 0 on every row\n"
            "  csv        name,label,x1,...,xD with a header line\n"
            "Rows are written in the store's order, a row at a time.  A regular FILE is\n"
            "replaced atomically; '-' or /dev/stdout (standard output), a character device\n"
            "or a FIFO is written in place, as a stream (not for liblinear labels that\n"
            "need FILE.labels).\n");
}

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *format = NULL, *out = NULL;
    int c;
    optind = 1;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return 0;
        default:
            return vgg_cli_option_error("vggfeat", "export", argc, argv, "f:o:h", opts, usage);
        }
    }
    if (optind != argc - 1 || !format || !out) {
        usage(stderr);
        return 2;
    }
    vgg_feat_export_format f;
    if (vgg_feat_export_format_parse(format, &f) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat export: %s\n", vgg_last_error());
        return 2;
    }
    const char *in = argv[optind];
    vgg_featstore *fs = NULL;
    if (vgg_output_check_kind(out, VGG_OUTPUT_STREAM) != VGG_STATUS_OK ||
        vgg_output_check(out, &in, 1) != VGG_STATUS_OK ||
        vgg_featstore_open(in, &fs) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat export: %s\n", vgg_last_error());
        return 1;
    }
    char tail[1024];
    if (vgg_featstore_tail_note(in, tail, sizeof tail))
        fprintf(stderr, "vggfeat export: %s\n", tail);
    size_t rows = vgg_featstore_rows(fs), named = 0;
    vgg_status st = vgg_featstore_export(fs, in, f, out, &named);
    vgg_featstore_close(fs);
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat export: %s\n", vgg_last_error());
        return 1;
    }
    fprintf(stderr, "vggfeat export: %zu rows to '%s' (%s)", rows, out, format);
    if (named)
        fprintf(stderr, "; label numbers in '%s.labels'", out);
    fputc('\n', stderr);
    return 0;
}
