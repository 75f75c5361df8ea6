/* vggtrain import-idx IMAGES LABELS [--classes 0-4] [--limit N] -o DIR */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/pretrain.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggtrain import-idx IMAGES LABELS [--classes LIST] [--limit N] -o DIR\n"
            "  IMAGES, LABELS  idx3 images and idx1 labels, gzip'd or not (Debian's\n"
            "                  /usr/share/datasets/fashion-mnist/*-ubyte.gz)\n"
            "  --classes LIST  labels to keep: \"0-4\", \"0,2,7\" (default: all)\n"
            "  --limit N       write at most N images (the first ones kept)\n"
            "  -o DIR          writes DIR/images/NNNNN.png, DIR/list.txt (path<TAB>class),\n"
            "                  DIR/classes.txt (Fashion-MNIST class names)\n");
}

static int parse_classes(const char *text, bool use[256])
{
    memset(use, 0, 256);
    const char *p = text;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        if (end == p)
            return -1;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1)
                return -1;
            p = end;
        }
        if (a < 0 || b > 255 || a > b)
            return -1;
        for (long c = a; c <= b; c++)
            use[c] = true;
        if (*p == ',')
            p++;
        else if (*p)
            return -1;
    }
    return 0;
}

int cmd_import_idx(int argc, char **argv)
{
    static const struct option opts[] = {
        { "classes", required_argument, NULL, 'c' },
        { "limit", required_argument, NULL, 'n' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vgg_pretrain_idx_opts o;
    memset(&o, 0, sizeof o);
    for (int c = 0; c < 256; c++)
        o.use_class[c] = true;
    const char *dir = NULL;
    int c;
    optind = 1;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            if (parse_classes(optarg, o.use_class) != 0) {
                fprintf(stderr, "vggtrain import-idx: bad --classes '%s'\n", optarg);
                return 2;
            }
            break;
        case 'n': {
            char *end;
            long long v = strtoll(optarg, &end, 10);
            if (*end || v < 1) {
                fprintf(stderr, "vggtrain import-idx: bad --limit '%s'\n", optarg);
                return 2;
            }
            o.limit = (size_t)v;
            break;
        }
        case 'o': dir = optarg; break;
        case 'h': usage(stdout); return 0;
        default:
            return vgg_cli_option_error("vggtrain", "import-idx", argc, argv, "o:h", opts, usage);
        }
    }
    if (argc - optind != 2 || !dir) {
        if (!dir)
            fprintf(stderr, "vggtrain import-idx: -o DIR is required\n");
        else
            fprintf(stderr, "vggtrain import-idx: give two files, IMAGES and LABELS (%d given)\n",
                    argc - optind);
        usage(stderr);
        return 2;
    }
    size_t n = 0;
    vgg_status st = vgg_pretrain_import_idx(argv[optind], argv[optind + 1], &o, dir, &n);
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggtrain import-idx: %s\n", vgg_last_error());
        return 1;
    }
    printf("vggtrain import-idx: %zu images in %s/images, list %s/list.txt, classes %s/classes.txt\n",
           n, dir, dir, dir);
    return 0;
}
