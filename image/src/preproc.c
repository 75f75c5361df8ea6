/* Crops, flips, grid offsets, the colour shift and the
 * conversion to the network's float CHW input. */
#include <math.h>
#include <string.h>

#include "image_internal.h"

vgg_status vgg_image_crop(const vgg_image *in, int x, int y, int w, int h, vgg_image **out)
{
    *out = NULL;
    if (!in || !in->px)
        return vgg_fail(VGG_STATUS_INVALID, "crop: no input image");
    if (w <= 0 || h <= 0 || x < 0 || y < 0 || x > in->w - w || y > in->h - h)
        return vgg_fail(VGG_STATUS_INVALID, "crop: %dx%d at (%d, %d) is not inside a %dx%d image",
                        w, h, x, y, in->w, in->h);
    vgg_image *img = NULL;
    vgg_status st = vgg_image_new(w, h, &img);
    if (st != VGG_STATUS_OK)
        return st;
    for (int r = 0; r < h; r++)
        memcpy(img->px + (size_t)r * w * 3, in->px + ((size_t)(y + r) * in->w + x) * 3,
               (size_t)w * 3);
    img->damaged = in->damaged;
    *out = img;
    return VGG_STATUS_OK;
}

/* Python's int(round(d / 2.0)) for d >= 0: halves go to the even neighbour. */
static int half_round_even(int d)
{
    int q = d / 2;
    if (d % 2 != 0 && q % 2 != 0)
        q++;
    return q;
}

vgg_status vgg_image_center_crop(const vgg_image *in, int w, int h, vgg_image **out)
{
    *out = NULL;
    if (!in || !in->px)
        return vgg_fail(VGG_STATUS_INVALID, "centre crop: no input image");
    if (w <= 0 || h <= 0 || w > in->w || h > in->h)
        return vgg_fail(VGG_STATUS_INVALID, "centre crop: %dx%d does not fit in a %dx%d image",
                        w, h, in->w, in->h);
    return vgg_image_crop(in, half_round_even(in->w - w), half_round_even(in->h - h), w, h, out);
}

void vgg_image_flip(vgg_image *img)
{
    if (!img || !img->px)
        return;
    for (int y = 0; y < img->h; y++) {
        uint8_t *row = img->px + (size_t)y * img->w * 3;
        for (int a = 0, b = img->w - 1; a < b; a++, b--) {
            for (int c = 0; c < 3; c++) {
                uint8_t t = row[3 * a + c];
                row[3 * a + c] = row[3 * b + c];
                row[3 * b + c] = t;
            }
        }
    }
}

static void grid_1d(int size, int c, int grid, int *out)
{
    int span = size - c;
    for (int i = 0; i < grid; i++) {
        if (span <= 0)
            out[i] = 0;
        else if (grid == 1)
            out[i] = half_round_even(span);
        else
            out[i] = (int)(((long long)i * span * 2 + (grid - 1)) / (2LL * (grid - 1)));
    }
}

void vgg_image_grid_offsets(int w, int h, int c, int grid, int *xs, int *ys)
{
    if (grid <= 0)
        return;
    grid_1d(w, c, grid, xs);
    grid_1d(h, c, grid, ys);
}

/* ---- RNG: splitmix64 over the single 64-bit state ---- */

void vgg_image_random_offset(int w, int h, int cw, int ch, uint64_t *rng_state, int *x, int *y)
{
    int sx = w - cw, sy = h - ch;
    *x = sx > 0 ? (int)(vgg_rng_uniform(rng_state) * (sx + 1)) : 0;
    *y = sy > 0 ? (int)(vgg_rng_uniform(rng_state) * (sy + 1)) : 0;
}

/* ---- colour shift: AlexNet's PCA lighting with the ImageNet statistics ---- */

static const float eigval[3] = { 0.2175f, 0.0188f, 0.0045f };
/* rows R, G, B; column j is eigenvector j */
static const float eigvec[3][3] = {
    { -0.5675f, 0.7192f, 0.4009f },
    { -0.5808f, -0.0045f, -0.8140f },
    { -0.5836f, -0.6948f, 0.4203f },
};

void vgg_color_shift_draw(uint64_t *rng_state, float sigma, float shift_rgb[3])
{
    float a[3];
    for (int i = 0; i < 3; i++)
        a[i] = (float)vgg_rng_normal(rng_state) * sigma * eigval[i];
    for (int c = 0; c < 3; c++)
        shift_rgb[c] = (eigvec[c][0] * a[0] + eigvec[c][1] * a[1] + eigvec[c][2] * a[2]) * 255.0f;
}

/* ---- float CHW input ---- */

void vgg_image_to_input_shifted(const vgg_image *img, const vgg_preproc *p, bool flip,
                                const float shift_rgb[3], float *out)
{
    const int w = img->w, h = img->h;
    const size_t plane = (size_t)w * h;
    for (int c = 0; c < 3; c++) {
        /* network channel c reads RGB channel src */
        const int src = p->order == VGG_CHANNELS_BGR ? 2 - c : c;
        const float shift = shift_rgb ? shift_rgb[src] : 0.0f;
        float lut[256];
        for (int v = 0; v < 256; v++)
            lut[v] = (((float)v + shift) / 255.0f * p->range - p->mean[c]) / p->std[c];
        float *o = out + plane * c;
        for (int y = 0; y < h; y++) {
            const uint8_t *row = img->px + (size_t)y * w * 3 + src;
            float *orow = o + (size_t)y * w;
            if (flip) {
                for (int x = 0; x < w; x++)
                    orow[w - 1 - x] = lut[row[3 * x]];
            } else {
                for (int x = 0; x < w; x++)
                    orow[x] = lut[row[3 * x]];
            }
        }
    }
}

void vgg_image_to_input(const vgg_image *img, const vgg_preproc *p, bool flip, float *out)
{
    vgg_image_to_input_shifted(img, p, flip, NULL, out);
}
