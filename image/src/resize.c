/* Resizing exactly as Pillow's Image.resize(size, Image.BILINEAR) does
 * (libImaging/Resample.c): a separable triangle filter whose support grows
 * with the downscale factor (antialiasing), coefficients computed in double,
 * normalised to sum 1, then turned into fixed point with 22 fraction bits
 * (PRECISION_BITS = 32 - 8 - 2), rounded half away from zero; each output
 * sample starts from half an LSB and is shifted back and clipped to 0..255.
 * Horizontal pass first (over the rows the vertical pass needs), its result
 * rounded to 8 bits, then the vertical pass; a pass whose size does not
 * change is skipped, and an unchanged size is a plain copy.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

#define PRECISION_BITS (32 - 8 - 2)

typedef struct coeffs {
    int ksize;
    int *bounds;     /* per output sample: first input index, count */
    int32_t *k;      /* per output sample: ksize fixed-point weights */
} coeffs;

static double triangle(double x)
{
    if (x < 0.0)
        x = -x;
    return x < 1.0 ? 1.0 - x : 0.0;
}

static void coeffs_free(coeffs *c)
{
    free(c->bounds);
    free(c->k);
}

static vgg_status precompute(int in_size, int out_size, coeffs *c)
{
    const double support_1 = 1.0; /* the bilinear filter's support */
    double scale = (double)in_size / out_size;
    double filterscale = scale < 1.0 ? 1.0 : scale;
    double support = support_1 * filterscale;
    if (support > (1 << 20))
        return vgg_fail(VGG_STATUS_TOO_LARGE, "resize: %d -> %d is too strong a reduction",
                        in_size, out_size);
    int ksize = (int)ceil(support) * 2 + 1;

    c->ksize = ksize;
    c->bounds = malloc(sizeof *c->bounds * 2 * (size_t)out_size);
    c->k = malloc(sizeof *c->k * (size_t)ksize * (size_t)out_size);
    double *kk = malloc(sizeof *kk * (size_t)ksize);
    if (!c->bounds || !c->k || !kk) {
        free(kk);
        coeffs_free(c);
        return vgg_fail(VGG_STATUS_NOMEM, "resize: out of memory for %d -> %d coefficients",
                        in_size, out_size);
    }
    for (int xx = 0; xx < out_size; xx++) {
        double center = (xx + 0.5) * scale;
        double ww = 0.0, ss = 1.0 / filterscale;
        int xmin = (int)(center - support + 0.5);
        if (xmin < 0)
            xmin = 0;
        int xmax = (int)(center + support + 0.5);
        if (xmax > in_size)
            xmax = in_size;
        xmax -= xmin;
        int x;
        for (x = 0; x < xmax; x++) {
            double w = triangle((x + xmin - center + 0.5) * ss);
            kk[x] = w;
            ww += w;
        }
        for (x = 0; x < xmax; x++)
            if (ww != 0.0)
                kk[x] /= ww;
        for (; x < ksize; x++)
            kk[x] = 0;
        int32_t *k = c->k + (size_t)xx * ksize;
        for (x = 0; x < ksize; x++)
            k[x] = kk[x] < 0 ? (int32_t)(-0.5 + kk[x] * (1 << PRECISION_BITS))
                             : (int32_t)(0.5 + kk[x] * (1 << PRECISION_BITS));
        c->bounds[2 * xx] = xmin;
        c->bounds[2 * xx + 1] = xmax;
    }
    free(kk);
    return VGG_STATUS_OK;
}

static inline uint8_t clip8(int32_t v)
{
    v >>= PRECISION_BITS;
    return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
}

/* one row: ow output pixels from an input row */
static void horizontal_row(const uint8_t *src, uint8_t *dst, int ow, const coeffs *c)
{
    for (int xx = 0; xx < ow; xx++) {
        const int xmin = c->bounds[2 * xx], xmax = c->bounds[2 * xx + 1];
        const int32_t *k = c->k + (size_t)xx * c->ksize;
        int32_t s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
        const uint8_t *p = src + (size_t)xmin * 3;
        for (int x = 0; x < xmax; x++, p += 3) {
            s0 += p[0] * k[x];
            s1 += p[1] * k[x];
            s2 += p[2] * k[x];
        }
        dst[3 * xx] = clip8(s0);
        dst[3 * xx + 1] = clip8(s1);
        dst[3 * xx + 2] = clip8(s2);
    }
}

/* one row: the weighted sum of n rows of stride samples (acc: stride sums),
 * row by row so the inner loop runs along memory */
static void vertical_row(const uint8_t *const *rows, const int32_t *k, int n, size_t stride,
                         int32_t *acc, uint8_t *dst)
{
    for (size_t i = 0; i < stride; i++)
        acc[i] = 1 << (PRECISION_BITS - 1);
    for (int y = 0; y < n; y++) {
        const uint8_t *p = rows[y];
        const int32_t ky = k[y];
        for (size_t i = 0; i < stride; i++)
            acc[i] += p[i] * ky;
    }
    for (size_t i = 0; i < stride; i++)
        dst[i] = clip8(acc[i]);
}

vgg_status vgg_image_resize(const vgg_image *in, int w, int h, vgg_image **out)
{
    *out = NULL;
    if (!in || !in->px || in->w <= 0 || in->h <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "resize: no input image");
    if (w <= 0 || h <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "resize: target size %dx%d is not positive", w, h);

    vgg_image *res = NULL;
    vgg_status st = vgg_image_new(w, h, &res);
    if (st != VGG_STATUS_OK)
        return vgg_fail_context(st, "resize %dx%d -> %dx%d: ", in->w, in->h, w, h);
    if (w == in->w && h == in->h) {
        memcpy(res->px, in->px, (size_t)w * h * 3);
        *out = res;
        return VGG_STATUS_OK;
    }

    coeffs ch = { 0 }, cv = { 0 };
    uint8_t *ring = NULL;
    int32_t *acc = NULL;
    const uint8_t **rows = NULL;
    st = precompute(in->w, w, &ch);
    if (st == VGG_STATUS_OK)
        st = precompute(in->h, h, &cv);
    if (st != VGG_STATUS_OK)
        goto done;

    const bool need_h = w != in->w, need_v = h != in->h;
    const size_t in_stride = (size_t)in->w * 3, stride = (size_t)w * 3;
    if (!need_v) {
        for (int y = 0; y < h; y++)
            horizontal_row(in->px + y * in_stride, res->px + y * stride, w, &ch);
        goto done;
    }
    acc = malloc(sizeof *acc * stride);
    rows = malloc(sizeof *rows * (size_t)cv.ksize);
    /* Horizontally resized rows, computed once each, live in a ring of
     * ksize rows: the rows one output row needs span at most ksize, and
     * their start never moves back. */
    if (need_h)
        ring = malloc(stride * (size_t)cv.ksize);
    if (!acc || !rows || (need_h && !ring)) {
        st = vgg_fail(VGG_STATUS_NOMEM, "resize: out of memory");
        goto done;
    }
    int done_to = 0; /* rows [0, done_to) have been resized horizontally */
    for (int yy = 0; yy < h; yy++) {
        const int ymin = cv.bounds[2 * yy], n = cv.bounds[2 * yy + 1];
        for (int y = 0; y < n; y++) {
            const int r = ymin + y;
            if (!need_h) {
                rows[y] = in->px + (size_t)r * in_stride;
                continue;
            }
            uint8_t *slot = ring + (size_t)(r % cv.ksize) * stride;
            if (r >= done_to) {
                horizontal_row(in->px + (size_t)r * in_stride, slot, w, &ch);
                done_to = r + 1;
            }
            rows[y] = slot;
        }
        vertical_row(rows, cv.k + (size_t)yy * cv.ksize, n, stride, acc,
                     res->px + (size_t)yy * stride);
    }

done:
    free(rows);
    free(acc);
    free(ring);
    coeffs_free(&ch);
    coeffs_free(&cv);
    if (st != VGG_STATUS_OK) {
        vgg_image_free(res);
        return st;
    }
    *out = res;
    return VGG_STATUS_OK;
}

void vgg_image_size_for_short_side(int w, int h, int q, int *ow, int *oh)
{
    /* torchvision 0.14 _compute_resized_output_size: the short side (w on a
     * tie) becomes q, the long one int(q * long / short) in double. */
    int sh = w <= h ? w : h, lg = w <= h ? h : w;
    int nl = (int)((double)((long long)q * lg) / (double)sh);
    if (w <= h) {
        *ow = q;
        *oh = nl;
    } else {
        *ow = nl;
        *oh = q;
    }
}

/* bytes as "3.5 GiB" / "200 MiB" */
static void format_bytes(double bytes, char *buf, size_t n)
{
    const double gib = 1024.0 * 1024.0 * 1024.0;
    if (bytes >= gib)
        snprintf(buf, n, "%.1f GiB", bytes / gib);
    else
        snprintf(buf, n, "%.0f MiB", bytes / (1024.0 * 1024.0));
}

vgg_status vgg_image_check_input(const char *name, int w, int h, int q,
                                 const vgg_input_budget *b)
{
    if (q <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': scale (short side) %d is not positive", name,
                        q);
    if (w <= 0 || h <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': image is %dx%d", name, w, h);
    const size_t max = b && b->max_pixels ? b->max_pixels : VGG_IMAGE_MAX_INPUT_PIXELS;
    const int views = b && b->views > 0 ? b->views : 1;
    long long sh = w <= h ? w : h, lg = w <= h ? h : w;
    /* the size it would have, in 64 bits: int(q * long / short) */
    long long nl = (long long)((double)(q * lg) / (double)sh);
    long long rw = w <= h ? q : nl, rh = w <= h ? nl : q;
    /* rw * rh without overflow: nl <= 2^31 * 2^31 / 1 would not fit */
    if ((unsigned long long)nl <= max / (unsigned long long)q)
        return VGG_STATUS_OK;
    const double pixels = (double)rw * (double)rh;
    char need[32], have[32];
    format_bytes(pixels * VGG_IMAGE_NET_BYTES_PER_PIXEL * views, need, sizeof need);
    format_bytes((double)max * VGG_IMAGE_NET_BYTES_PER_PIXEL * views, have, sizeof have);
    return vgg_fail(VGG_STATUS_TOO_LARGE,
                    "'%s': image is %dx%d; at scale %d it would be %lldx%lld = %.0f pixels "
                    "of network input, about %s of the net's memory (%d bytes a pixel%s), "
                    "over the budget of %zu pixels (%s)%s%s%s", name, w, h, q, rw, rh, pixels,
                    need, VGG_IMAGE_NET_BYTES_PER_PIXEL, views == 2 ? ", twice with the flip"
                    : views > 2 ? ", times the views" : "", max, have,
                    b && b->option ? "; raise it with " : "; use a smaller scale",
                    b && b->option ? b->option : "", b && b->option ? " or use a smaller scale" : "");
}

vgg_status vgg_image_check_scale(const char *name, int w, int h, int q)
{
    return vgg_image_check_input(name, w, h, q, NULL);
}

vgg_status vgg_image_resize_short_within(const vgg_image *in, int q, const vgg_input_budget *b,
                                         vgg_image **out)
{
    *out = NULL;
    if (!in || in->w <= 0 || in->h <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "resize: no input image");
    vgg_status st = vgg_image_check_input("image", in->w, in->h, q, b);
    if (st != VGG_STATUS_OK)
        return st;
    int w, h;
    vgg_image_size_for_short_side(in->w, in->h, q, &w, &h);
    if (w <= 0 || h <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "resize: %dx%d to short side %d gives an empty image",
                        in->w, in->h, q);
    return vgg_image_resize(in, w, h, out);
}

vgg_status vgg_image_resize_short(const vgg_image *in, int q, vgg_image **out)
{
    return vgg_image_resize_short_within(in, q, NULL, out);
}
