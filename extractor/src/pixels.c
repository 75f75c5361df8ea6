/* vggfeat pixels' library side: the raw-pixel baseline row of an image
 * and a store of them (vgg_pixels_* in vgg/extract.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/extract.h"

const char *const vgg_pixels_why_names[VGG_PIXELS_N_WHY] = { "empty", "truncated",
                                                             "not an image", "too large",
                                                             "unreadable" };

/* the reason in an image's error message; the last, "unreadable", if none */
static int why_kind(const char *msg)
{
    for (int k = 0; k < VGG_PIXELS_N_WHY - 1; k++)
        if (strstr(msg, vgg_pixels_why_names[k]))
            return k;
    return VGG_PIXELS_N_WHY - 1;
}

vgg_status vgg_pixels_row(const char *path, int size, bool l2, vgg_alpha_mode alpha, float *row)
{
    vgg_image *img = NULL, *sized = NULL;
    vgg_decode_opts o;
    vgg_decode_opts_default(&o);
    o.alpha = alpha;
    /* resized to size x size, whatever its shape: no budget to check */
    vgg_status st = vgg_image_load(path, &o, &img);
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

void vgg_pixels_desc(int size, bool l2, vgg_alpha_mode alpha, vgg_featdesc *d)
{
    memset(d, 0, sizeof *d);
    d->dim = 3 * size * size;
    d->n_nets = 0;
    d->n_scales = 1;
    d->scales[0] = size;
    strcpy(d->aggregate, "stack");
    strcpy(d->layer, "pixels");
    d->flip = false;
    d->l2 = l2;
    d->alpha_white = alpha == VGG_ALPHA_WHITE;
    snprintf(d->version, sizeof d->version, "vggfeat %s", VGG_VERSION_STRING);
}

vgg_status vgg_pixels_write(vgg_featwriter *w, const vgg_extract_item *items, size_t n, int size,
                            bool l2, vgg_alpha_mode alpha, bool skip, void (*skipped)(void *ctx, const char *why),
                            void *ctx, vgg_pixels_report *r)
{
    memset(r, 0, sizeof *r);
    float *row = malloc((size_t)3 * size * size * sizeof *row);
    if (!row)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory for a %dx%d pixel row", size, size);
    vgg_status st = VGG_STATUS_OK;
    for (size_t i = 0; i < n && st == VGG_STATUS_OK; i++) {
        st = vgg_pixels_row(items[i].path, size, l2, alpha, row);
        if (st != VGG_STATUS_OK && skip) {
            if (skipped)
                skipped(ctx, vgg_last_error());
            r->skipped++;
            r->why[why_kind(vgg_last_error())]++;
            st = VGG_STATUS_OK;
            continue;
        }
        if (st == VGG_STATUS_OK)
            st = vgg_featwriter_append_at(w, items[i].index, items[i].path, items[i].label, row);
        r->done += st == VGG_STATUS_OK;
    }
    free(row);
    if (st == VGG_STATUS_OK && r->done == 0)
        st = vgg_fail(VGG_STATUS_FORMAT, "no image could be read");
    return st;
}

void vgg_pixels_report_print(FILE *fp, size_t listed, int dim, const vgg_pixels_report *r,
                             double secs)
{
    fprintf(fp, "vggfeat pixels: %zu listed, %zu images (%d-D), %zu skipped", listed, r->done, dim,
            r->skipped);
    bool first = true;
    for (int k = 0; k < VGG_PIXELS_N_WHY; k++)
        if (r->why[k]) {
            fprintf(fp, "%s%zu %s", first ? " (" : ", ", r->why[k], vgg_pixels_why_names[k]);
            first = false;
        }
    fprintf(fp, "%s, %.1f s\n", r->skipped ? ")" : "", secs);
}
