/* vggfeat pixels: raw-pixel baseline features.  Each image is resized to
 * exactly SIZE x SIZE (Pillow BILINEAR), its RGB values scaled to [0, 1]
 * and, by default, the vector L2-normalised.  A linear SVM on these is the
 * control the learned descriptors must beat. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "inputs.h"
#include "vgg/extract.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggfeat pixels --list FILE [--size N] [--no-l2] [--alpha MODE] [--on-error MODE]\n"
            "                      -o FEATURES\n"
            "Raw-pixel baseline features: every image of the list (one path per line,\n"
            "optionally a TAB and a label) resized to exactly N x N (default 32),\n"
            "RGB values in [0, 1], L2-normalised (--no-l2 to skip), one row each.\n"
            "The store is new (an existing file is never overwritten), a regular file\n"
            "(a device, FIFO or '-' is refused).\n"
            "  --on-error MODE    fail (default) or skip unreadable images\n"
            "  --alpha MODE       transparency: drop (default, Pillow's convert(\"RGB\")) or\n"
            "                     white (composed on white); recorded in the store\n");
}

static void note_skipped(void *ctx, const char *why)
{
    (void)ctx;
    fprintf(stderr, "vggfeat pixels: skipped: %s\n", why);
}

/* The list's images as items, or NULL (printed) out of memory. */
static vgg_extract_item *list_items(const input_list *in)
{
    vgg_extract_item *items = calloc(in->n, sizeof *items);
    if (!items) {
        fprintf(stderr, "vggfeat pixels: out of memory\n");
        return NULL;
    }
    for (size_t i = 0; i < in->n; i++)
        items[i] = (vgg_extract_item){ .path = in->v[i].path, .label = in->v[i].label,
                                       .index = i };
    return items;
}

typedef struct pixels_args {
    const char *list, *out;
    int size;
    bool l2, skip;
    vgg_alpha_mode alpha;
} pixels_args;

/* The command line into a: -1 to go on, else the exit code (0 after
 * --help, 2 after a usage error). */
static int parse_pixels_args(int argc, char **argv, pixels_args *a)
{
    enum { O_NO_L2 = 256, O_ON_ERROR, O_ALPHA };
    static const struct option opts[] = {
        { "list", required_argument, NULL, 'l' },
        { "size", required_argument, NULL, 's' },
        { "no-l2", no_argument, NULL, O_NO_L2 },
        { "on-error", required_argument, NULL, O_ON_ERROR },
        { "alpha", required_argument, NULL, O_ALPHA },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 1;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "l:s:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': a->list = optarg; break;
        case 's': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 1024) {
                fprintf(stderr, "vggfeat pixels: --size '%s': expected 1 to 1024\n", optarg);
                return 2;
            }
            a->size = (int)v;
            break;
        }
        case O_NO_L2: a->l2 = false; break;
        case O_ON_ERROR:
            if (strcmp(optarg, "skip") != 0 && strcmp(optarg, "fail") != 0) {
                fprintf(stderr, "vggfeat pixels: --on-error '%s': expected fail or skip\n", optarg);
                return 2;
            }
            a->skip = strcmp(optarg, "skip") == 0;
            break;
        case O_ALPHA:
            if (vgg_alpha_mode_parse(optarg, &a->alpha) != VGG_STATUS_OK) {
                fprintf(stderr, "vggfeat pixels: --alpha '%s': expected drop or white\n", optarg);
                return 2;
            }
            break;
        case 'o': a->out = optarg; break;
        case 'h': usage(stdout); return 0;
        default:
            return vgg_cli_option_error("vggfeat", "pixels", argc, argv, "l:s:o:h", opts, usage);
        }
    }
    if (!a->list || !a->out || optind != argc) {
        usage(stderr);
        return 2;
    }
    return -1;
}

int cmd_pixels(int argc, char **argv)
{
    pixels_args a = { .size = 32, .l2 = true };
    int rc = parse_pixels_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (vgg_output_check(a.out, &a.list, 1) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat pixels: %s\n", vgg_last_error());
        return 1;
    }
    input_list in = { 0 };
    if (inputs_add_list_file(&in, a.list, "vggfeat pixels") != 0) {
        inputs_free(&in);
        return 1;
    }
    if (in.n == 0) {
        fprintf(stderr, "vggfeat pixels: '%s': no images listed\n", a.list);
        inputs_free(&in);
        return 1;
    }
    vgg_featdesc d;
    vgg_pixels_desc(a.size, a.l2, a.alpha, &d);
    vgg_featlayout layout;
    vgg_extract_item *items = NULL;
    vgg_featwriter *w = NULL;
    vgg_pixels_report r;
    double t0 = vgg_now_seconds();
    rc = 1;
    if (inputs_layout(&in, &layout, "vggfeat pixels") == 0 && (items = list_items(&in))) {
        vgg_status st = vgg_featwriter_open_layout(a.out, &d, &layout, false, &w, NULL);
        if (st == VGG_STATUS_OK)
            st = vgg_pixels_write(w, items, in.n, a.size, a.l2, a.alpha, a.skip, note_skipped, NULL,
                                  &r);
        if (w && vgg_featwriter_close(w) != VGG_STATUS_OK && st == VGG_STATUS_OK)
            st = VGG_STATUS_IO;
        if (st != VGG_STATUS_OK)
            fprintf(stderr, "vggfeat pixels: %s\n", vgg_last_error());
        else
            vgg_pixels_report_print(stderr, in.n, d.dim, &r, vgg_now_seconds() - t0);
        rc = st == VGG_STATUS_OK ? 0 : 1;
    }
    free(items);
    inputs_free(&in);
    return rc;
}
