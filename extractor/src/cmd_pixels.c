/* vggfeat pixels: raw-pixel baseline features.  Each image is resized to
 * exactly SIZE x SIZE (Pillow BILINEAR), its RGB values scaled to [0, 1]
 * and, by default, the vector L2-normalised.  A linear SVM on these is the
 * control the learned descriptors must beat. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "inputs.h"
#include "vgg/features.h"
#include "vgg/image.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggfeat pixels --list FILE [--size N] [--no-l2] [--on-error MODE] -o FEATURES\n"
            "Raw-pixel baseline features: every image of the list (one path per line,\n"
            "optionally a TAB and a label) resized to exactly N x N (default 32),\n"
            "RGB values in [0, 1], L2-normalised (--no-l2 to skip), one row each.\n"
            "The store is new (an existing file is never overwritten).\n"
            "  --on-error MODE    fail (default) or skip unreadable images\n");
}

/* why an image was skipped, for the summary */
enum { N_WHY = 5 };
static const char *const why_names[N_WHY] = { "empty", "truncated", "not an image", "too large",
                                              "unreadable" };

static int why_kind(const char *msg)
{
    static const char *const keys[N_WHY - 1] = { "empty", "truncated", "not an image", "too large" };
    for (int k = 0; k < N_WHY - 1; k++)
        if (strstr(msg, keys[k]))
            return k;
    return N_WHY - 1;
}

static int first_why(const size_t *why)
{
    int k = 0;
    while (k < N_WHY && !why[k])
        k++;
    return k;
}

/* the row for one image: resized RGB in [0, 1] (CHW), optionally L2 */
static vgg_status pixel_row(const char *path, int size, bool l2, float *row)
{
    vgg_image *img = NULL, *sized = NULL;
    vgg_status st = vgg_image_load(path, NULL, &img);
    if (st == VGG_STATUS_OK)
        st = vgg_image_check_scale(path, img->w, img->h, size);
    if (st == VGG_STATUS_OK)
        st = vgg_image_resize(img, size, size, &sized);
    vgg_image_free(img);
    if (st != VGG_STATUS_OK)
        return st;
    const size_t plane = (size_t)size * size;
    double ss = 0;
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++) {
            float v = sized->px[3 * i + c] / 255.0f;
            row[c * plane + i] = v;
            ss += (double)v * v;
        }
    vgg_image_free(sized);
    if (l2 && ss > 0) {
        const double inv = 1.0 / sqrt(ss);
        for (size_t i = 0; i < 3 * plane; i++)
            row[i] = (float)(row[i] * inv);
    }
    return VGG_STATUS_OK;
}

int cmd_pixels(int argc, char **argv)
{
    enum { O_NO_L2 = 256, O_ON_ERROR };
    static const struct option opts[] = {
        { "list", required_argument, NULL, 'l' },
        { "size", required_argument, NULL, 's' },
        { "no-l2", no_argument, NULL, O_NO_L2 },
        { "on-error", required_argument, NULL, O_ON_ERROR },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *list = NULL, *out = NULL;
    int size = 32;
    bool l2 = true, skip = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "l:s:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': list = optarg; break;
        case 's': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 1 || v > 1024) {
                fprintf(stderr, "vggfeat pixels: --size '%s': expected 1 to 1024\n", optarg);
                return 2;
            }
            size = (int)v;
            break;
        }
        case O_NO_L2: l2 = false; break;
        case O_ON_ERROR:
            if (strcmp(optarg, "skip") == 0)
                skip = true;
            else if (strcmp(optarg, "fail") == 0)
                skip = false;
            else {
                fprintf(stderr, "vggfeat pixels: --on-error '%s': expected fail or skip\n", optarg);
                return 2;
            }
            break;
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!list || !out || optind != argc) {
        usage(stderr);
        return 2;
    }
    if (vgg_output_check(out, &list, 1) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat pixels: %s\n", vgg_last_error());
        return 1;
    }
    input_list in = { 0 };
    if (inputs_add_list_file(&in, list, "vggfeat pixels") != 0) {
        inputs_free(&in);
        return 1;
    }
    if (in.n == 0) {
        fprintf(stderr, "vggfeat pixels: '%s': no images listed\n", list);
        inputs_free(&in);
        return 1;
    }
    vgg_featdesc d;
    memset(&d, 0, sizeof d);
    d.dim = 3 * size * size;
    d.n_nets = 0;
    d.n_scales = 1;
    d.scales[0] = size;
    strcpy(d.aggregate, "stack");
    strcpy(d.layer, "pixels");
    d.flip = false;
    d.l2 = l2;
    snprintf(d.version, sizeof d.version, "vggfeat %s", VGG_VERSION_STRING);

    vgg_featlayout layout;
    if (inputs_layout(&in, &layout, "vggfeat pixels") != 0) {
        inputs_free(&in);
        return 1;
    }
    vgg_featwriter *w = NULL;
    float *row = malloc((size_t)d.dim * sizeof *row);
    int rc = 1;
    size_t done = 0, skipped = 0, why[N_WHY] = { 0 };
    double t0 = vgg_now_seconds();
    if (!row) {
        fprintf(stderr, "vggfeat pixels: out of memory\n");
        goto end;
    }
    if (vgg_featwriter_open_layout(out, &d, &layout, false, &w, NULL) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat pixels: %s\n", vgg_last_error());
        goto end;
    }
    for (size_t i = 0; i < in.n; i++) {
        if (pixel_row(in.v[i].path, size, l2, row) != VGG_STATUS_OK) {
            if (!skip) {
                fprintf(stderr, "vggfeat pixels: %s\n", vgg_last_error());
                goto end;
            }
            fprintf(stderr, "vggfeat pixels: skipped: %s\n", vgg_last_error());
            skipped++;
            why[why_kind(vgg_last_error())]++;
            continue;
        }
        if (vgg_featwriter_append_at(w, i, in.v[i].path, in.v[i].label, row) != VGG_STATUS_OK) {
            fprintf(stderr, "vggfeat pixels: %s\n", vgg_last_error());
            goto end;
        }
        done++;
    }
    rc = done > 0 ? 0 : 1;
    if (done == 0)
        fprintf(stderr, "vggfeat pixels: no image could be read\n");
end:
    if (w && vgg_featwriter_close(w) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat pixels: %s\n", vgg_last_error());
        rc = 1;
    }
    if (rc == 0) {
        fprintf(stderr, "vggfeat pixels: %zu listed, %zu images (%d-D), %zu skipped", in.n, done,
                d.dim, skipped);
        for (int k = 0; k < N_WHY; k++)
            if (why[k])
                fprintf(stderr, "%s%zu %s", k == first_why(why) ? " (" : ", ", why[k],
                        why_names[k]);
        fprintf(stderr, "%s, %.1f s\n", skipped ? ")" : "", vgg_now_seconds() - t0);
    }
    free(row);
    inputs_free(&in);
    return rc;
}
