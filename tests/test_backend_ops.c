/* Every backend operation, forward and backward, through upload / run /
 * download, so that the same cases run on every backend:
 *
 *   test_backend_ops                     every backend of the registry
 *   test_backend_ops cpu-ref | cpu | cuda:0   one device
 *
 * Each case is checked against a reference written here (double-precision
 * loops, the CPU's pooling and dropout rules restated), and on a backend
 * other than cpu-ref also against cpu-ref's operation: within 1e-5 of the
 * largest reference value for fp32 arithmetic (1e-4 for the LRN backward),
 * bit for bit for pooling, argmax, dropout masks, SGD, fill and flip.
 * Without an argument every backend of the registry (net/src/registry.c)
 * runs on its first device, and a table says which passed, failed or were
 * skipped: a backend this build lacks, or a GPU that cannot be opened (no
 * driver, no device), is skipped with its reason, never counted as passed.
 * With a device, one that cannot be opened for those reasons makes the
 * program print the message and exit 77, which CTest reports as skipped.
 *
 *   test_backend_ops --no-gpu-message
 *
 * checks that opening each GPU backend's device 0 where it cannot work
 * fails with a status and a message naming the device and the cause (exit
 * 77 where every GPU works). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "vgg/train.h"

static vgg_backend *be;    /* under test */
static vgg_backend *ref;   /* cpu-ref */
static bool is_ref;        /* be is cpu-ref itself */

/* ---- helpers ---- */

static uint32_t rng = 12345u;   /* each case that draws seeds it: it stands alone */
static float frand(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static float *randv(size_t n, float scale)
{
    float *x = malloc(sizeof *x * (n ? n : 1));
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = frand() * scale;
    return x;
}

static void *up(vgg_backend *b, const void *h, size_t bytes)
{
    void *d = NULL;
    assert_int_equal(b->ops->alloc(b, bytes ? bytes : 4, &d), VGG_STATUS_OK);
    if (h)
        assert_int_equal(b->ops->upload(b, d, h, bytes), VGG_STATUS_OK);
    return d;
}

static void *down(vgg_backend *b, const void *d, size_t bytes)
{
    void *h = malloc(bytes ? bytes : 4);
    assert_non_null(h);
    assert_int_equal(b->ops->download(b, h, d, bytes), VGG_STATUS_OK);
    return h;
}

/* max |a - want| / max |want| (the op-test error measure) */
static double rel_err(const float *a, const double *want, size_t n)
{
    double md = 0.0, mr = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - want[i]);
        md = d > md ? d : md;
        mr = fabs(want[i]) > mr ? fabs(want[i]) : mr;
    }
    return mr > 0 ? md / mr : md;
}

static void close_to(const char *what, const float *a, const double *want, size_t n, double bound)
{
    double e = rel_err(a, want, n);
    if (!(e <= bound))
        fail_msg("%s on %s: max|diff|/max|ref| = %.3g, bound %.1g", what, be->name, e, bound);
}

static void close_to_f(const char *what, const float *a, const float *b, size_t n, double bound)
{
    double *w = malloc(sizeof *w * (n ? n : 1));
    assert_non_null(w);
    for (size_t i = 0; i < n; i++)
        w[i] = b[i];
    double e = rel_err(a, w, n);
    free(w);
    if (!(e <= bound))
        fail_msg("%s on %s vs cpu-ref: max|diff|/max|ref| = %.3g, bound %.1g", what, be->name, e,
                 bound);
}

static void same_bits(const char *what, const void *a, const void *b, size_t bytes)
{
    if (memcmp(a, b, bytes) != 0)
        fail_msg("%s on %s: not bit-identical to the reference", what, be->name);
}

/* ---- convolution ---- */

typedef struct conv_case {
    int n, cin, h, w, cout, k, pad;
    bool relu;
} conv_case;

/* The convolutions: small odd shapes, then shapes wide enough for the
 * CPU's blocked layouts (16 channels and more), batches over 1, 1x1 and
 * padded 3x3 layers and fc6 as a 7x7 convolution (the backward: each with
 * and without the gradient of the input, dx NULL in a net's first
 * layer). */
static const conv_case conv_cases[] = {
    { 2, 3, 7, 9, 4, 3, 1, true },      /* a VGG conv */
    { 1, 5, 4, 4, 6, 1, 0, false },     /* fc7-like 1x1 over a map */
    { 3, 8, 7, 7, 5, 7, 0, true },      /* fully connected (fc6 of a crop) */
    { 2, 4, 10, 6, 3, 3, 0, false },    /* no padding */
    { 3, 16, 9, 11, 32, 3, 1, true },   /* conv on blocked layouts, odd sizes */
    { 2, 32, 6, 6, 48, 3, 1, false },
    { 4, 3, 12, 10, 16, 3, 1, true },   /* conv1_1: 3 channels in */
    { 2, 32, 5, 7, 16, 1, 0, true },    /* 1x1 over a map */
    { 2, 24, 7, 7, 40, 7, 0, true },    /* fc6 of a crop */
    { 2, 16, 9, 8, 24, 7, 0, false },   /* fc6 over a larger map (dense) */
};

static vgg_conv_desc desc_of(const conv_case *c)
{
    return (vgg_conv_desc){ c->n, c->cin, c->h, c->w, c->cout, c->k, c->pad, c->relu, false };
}

/* y (n, cout, oh, ow) in double, before the ReLU */
static void conv_ref(const vgg_conv_desc *d, const float *x, const float *wt, const float *b,
                     double *z)
{
    const int oh = vgg_conv_out_h(d), ow = vgg_conv_out_w(d);
    for (int n = 0; n < d->n; n++)
        for (int o = 0; o < d->cout; o++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double s = b[o];
                    for (int c = 0; c < d->cin; c++)
                        for (int ky = 0; ky < d->k; ky++)
                            for (int kx = 0; kx < d->k; kx++) {
                                int iy = oy + ky - d->pad, ix = ox + kx - d->pad;
                                if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w)
                                    continue;
                                s += (double)x[((size_t)(n * d->cin + c) * d->h + iy) * d->w + ix] *
                                     wt[((size_t)(o * d->cin + c) * d->k + ky) * d->k + kx];
                            }
                    z[((size_t)(n * d->cout + o) * oh + oy) * ow + ox] = s;
                }
}

static void conv2d_forward_matches(void **state)
{
    (void)state;
    rng = 12345u;
    for (size_t t = 0; t < sizeof conv_cases / sizeof conv_cases[0]; t++) {
        vgg_conv_desc d = desc_of(&conv_cases[t]);
        const size_t nx = (size_t)d.n * d.cin * d.h * d.w, nw = (size_t)d.cout * d.cin * d.k * d.k;
        const size_t ny = (size_t)d.n * d.cout * vgg_conv_out_h(&d) * vgg_conv_out_w(&d);
        float *x = randv(nx, 1.0f), *wt = randv(nw, 0.5f), *b = randv(d.cout, 0.5f);
        double *z = malloc(sizeof *z * ny);
        conv_ref(&d, x, wt, b, z);
        for (size_t i = 0; i < ny; i++)
            z[i] = d.relu && z[i] < 0 ? 0.0 : z[i];
        float *dx = up(be, x, nx * 4), *dw = up(be, wt, nw * 4), *db = up(be, b, d.cout * 4);
        float *dy = up(be, NULL, ny * 4);
        assert_int_equal(be->ops->conv2d(be, &d, dx, dw, db, dy), VGG_STATUS_OK);
        float *y = down(be, dy, ny * 4);
        close_to("conv2d", y, z, ny, 1e-5);
        if (be->host_memory) {
            /* the same bits again (a training step's forward) */
            assert_int_equal(be->ops->conv2d(be, &d, dx, dw, db, dy), VGG_STATUS_OK);
            same_bits("conv2d, run twice", dy, y, ny * 4);
        }
        if (!is_ref) {
            float *want = malloc(ny * 4);
            assert_int_equal(ref->ops->conv2d(ref, &d, x, wt, b, want), VGG_STATUS_OK);
            close_to_f("conv2d", y, want, ny, 1e-5);
            free(want);
        }
        be->ops->release(be, dx);
        be->ops->release(be, dw);
        be->ops->release(be, db);
        be->ops->release(be, dy);
        free(x), free(wt), free(b), free(z), free(y);
    }
}


static void conv2d_backward_matches(void **state)
{
    (void)state;
    rng = 12345u;
    for (size_t t = 0; t < 2 * sizeof conv_cases / sizeof conv_cases[0]; t++) {
        vgg_conv_desc d = desc_of(&conv_cases[t / 2]);
        const bool want_dx = t % 2 == 0;
        d.fixed_shape = t % 4 < 2;   /* measured and heuristic algorithms both */
        const int oh = vgg_conv_out_h(&d), ow = vgg_conv_out_w(&d);
        const size_t nx = (size_t)d.n * d.cin * d.h * d.w, nw = (size_t)d.cout * d.cin * d.k * d.k;
        const size_t ny = (size_t)d.n * d.cout * oh * ow;
        float *x = randv(nx, 1.0f), *wt = randv(nw, 0.5f), *b = randv(d.cout, 0.5f);
        float *g = randv(ny, 1.0f), *w0 = randv(nw, 0.1f), *b0 = randv(d.cout, 0.1f);
        /* y = the forward's output (for the ReLU's mask), in float */
        double *z = malloc(sizeof *z * ny);
        float *y = malloc(ny * 4);
        conv_ref(&d, x, wt, b, z);
        for (size_t i = 0; i < ny; i++)
            y[i] = d.relu && z[i] < 0 ? 0.0f : (float)z[i];
        /* references: dz = g through the ReLU; dW = w0 + sum dz x; db = b0 +
         * sum dz; dx = sum dz W */
        double *rdx = calloc(nx, sizeof *rdx), *rdw = malloc(sizeof *rdw * nw),
               *rdb = malloc(sizeof *rdb * d.cout);
        for (size_t i = 0; i < nw; i++)
            rdw[i] = w0[i];
        for (int o = 0; o < d.cout; o++)
            rdb[o] = b0[o];
        for (int n = 0; n < d.n; n++)
            for (int o = 0; o < d.cout; o++)
                for (int oy = 0; oy < oh; oy++)
                    for (int ox = 0; ox < ow; ox++) {
                        size_t yi = ((size_t)(n * d.cout + o) * oh + oy) * ow + ox;
                        double dz = (!d.relu || y[yi] > 0) ? g[yi] : 0.0;
                        rdb[o] += dz;
                        for (int c = 0; c < d.cin; c++)
                            for (int ky = 0; ky < d.k; ky++)
                                for (int kx = 0; kx < d.k; kx++) {
                                    int iy = oy + ky - d.pad, ix = ox + kx - d.pad;
                                    if (iy < 0 || iy >= d.h || ix < 0 || ix >= d.w)
                                        continue;
                                    size_t xi = ((size_t)(n * d.cin + c) * d.h + iy) * d.w + ix;
                                    size_t wi = ((size_t)(o * d.cin + c) * d.k + ky) * d.k + kx;
                                    rdw[wi] += dz * x[xi];
                                    rdx[xi] += dz * wt[wi];
                                }
                    }
        float *ex = up(be, x, nx * 4), *ew = up(be, wt, nw * 4), *ey = up(be, y, ny * 4),
              *eg = up(be, g, ny * 4), *edx = up(be, NULL, nx * 4), *edw = up(be, w0, nw * 4),
              *edb = up(be, b0, d.cout * 4);
        assert_int_equal(be->train->conv2d_backward(be, &d, ex, ew, ey, eg, want_dx ? edx : NULL,
                                                    edw, edb),
                         VGG_STATUS_OK);
        float *gdx = down(be, edx, nx * 4), *gdw = down(be, edw, nw * 4),
              *gdb = down(be, edb, d.cout * 4);
        if (want_dx)
            close_to("conv2d_backward dx", gdx, rdx, nx, 1e-5);
        close_to("conv2d_backward dweight", gdw, rdw, nw, 1e-5);
        close_to("conv2d_backward dbias", gdb, rdb, d.cout, 1e-5);
        if (be->host_memory) {
            /* the CPU backends: the same call again from the same starting
             * gradients gives the same bits (training resumes byte for
             * byte; cuDNN is deterministic only when asked) */
            assert_int_equal(be->ops->upload(be, edw, w0, nw * 4), VGG_STATUS_OK);
            assert_int_equal(be->ops->upload(be, edb, b0, d.cout * 4), VGG_STATUS_OK);
            assert_int_equal(be->train->conv2d_backward(be, &d, ex, ew, ey, eg,
                                                        want_dx ? edx : NULL, edw, edb),
                             VGG_STATUS_OK);
            float *adx = down(be, edx, nx * 4), *adw = down(be, edw, nw * 4),
                  *adb = down(be, edb, d.cout * 4);
            if (want_dx)
                same_bits("conv2d_backward dx, run twice", adx, gdx, nx * 4);
            same_bits("conv2d_backward dweight, run twice", adw, gdw, nw * 4);
            same_bits("conv2d_backward dbias, run twice", adb, gdb, d.cout * 4);
            free(adx), free(adw), free(adb);
        }
        if (!is_ref) {
            float *cdx = malloc(nx * 4), *cdw = malloc(nw * 4), *cdb = malloc(d.cout * 4);
            memcpy(cdw, w0, nw * 4);
            memcpy(cdb, b0, d.cout * 4);
            assert_int_equal(ref->train->conv2d_backward(ref, &d, x, wt, y, g, cdx, cdw, cdb),
                             VGG_STATUS_OK);
            if (want_dx)
                close_to_f("conv2d_backward dx", gdx, cdx, nx, 1e-5);
            close_to_f("conv2d_backward dweight", gdw, cdw, nw, 1e-5);
            close_to_f("conv2d_backward dbias", gdb, cdb, d.cout, 1e-5);
            free(cdx), free(cdw), free(cdb);
        }
        float *all[] = { ex, ew, ey, eg, edx, edw, edb };
        for (int i = 0; i < 7; i++)
            be->ops->release(be, all[i]);
        free(x), free(wt), free(b), free(g), free(w0), free(b0), free(z), free(y);
        free(rdx), free(rdw), free(rdb), free(gdx), free(gdw), free(gdb);
    }
}

/* ---- max-pooling ---- */

/* The CPU's rule restated: windows clipped, the first largest in
 * row-major order wins, a NaN wins at once. */
static void pool_ref(int planes, int h, int w, vgg_pool_round r, const float *x, float *y,
                     int32_t *am)
{
    const int oh = vgg_pool_out(h, r), ow = vgg_pool_out(w, r);
    for (int p = 0; p < planes; p++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                float best = -INFINITY;
                int32_t where = 2 * oy * w + 2 * ox;
                bool nan_seen = false;
                for (int yy = 2 * oy; yy < 2 * oy + 2 && yy < h && !nan_seen; yy++)
                    for (int xx = 2 * ox; xx < 2 * ox + 2 && xx < w && !nan_seen; xx++) {
                        float v = x[(size_t)p * h * w + yy * w + xx];
                        if (isnan(v) || v > best) {
                            best = v;
                            where = yy * w + xx;
                            nan_seen = isnan(v);
                        }
                    }
                y[(size_t)p * oh * ow + oy * ow + ox] = best;
                am[(size_t)p * oh * ow + oy * ow + ox] = where;
            }
}

static void maxpool_and_backward_bit_identical(void **state)
{
    (void)state;
    rng = 12345u;
    const int n = 2, c = 3;
    const int sizes[][2] = { { 5, 5 }, { 2, 3 }, { 9, 8 }, { 7, 11 } };
    for (size_t s = 0; s < 4; s++)
        for (int r = 0; r < 2; r++) {
            const int h = sizes[s][0], w = sizes[s][1];
            const int oh = vgg_pool_out(h, (vgg_pool_round)r), ow = vgg_pool_out(w, (vgg_pool_round)r);
            const size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * oh * ow;
            float *x = randv(nx, 1.0f);
            /* ties (equal values in a window), a NaN */
            for (size_t i = 0; i + 1 < nx; i += 5)
                x[i + 1] = x[i];
            x[nx / 2] = NAN;
            /* a window of -inf only (rows 2-3, columns 2-3): its first element */
            if (h >= 4 && w >= 4)
                x[2 * w + 2] = x[2 * w + 3] = x[3 * w + 2] = x[3 * w + 3] = -INFINITY;
            float *ry = malloc(ny * 4);
            int32_t *ram = malloc(ny * 4);
            pool_ref(n * c, h, w, (vgg_pool_round)r, x, ry, ram);
            float *ex = up(be, x, nx * 4), *ey = up(be, NULL, ny * 4);
            int32_t *eam = up(be, NULL, ny * 4);
            assert_int_equal(be->ops->maxpool(be, n, c, h, w, (vgg_pool_round)r, ex, ey, eam),
                             VGG_STATUS_OK);
            float *y = down(be, ey, ny * 4);
            int32_t *am = down(be, eam, ny * 4);
            same_bits("maxpool", y, ry, ny * 4);
            same_bits("maxpool argmax", am, ram, ny * 4);
            /* backward: each output's gradient to its argmax */
            float *g = randv(ny, 1.0f), *rdx = calloc(nx, 4);
            for (size_t i = 0; i < ny; i++)
                rdx[(i / ((size_t)oh * ow)) * h * w + ram[i]] += g[i];
            float *eg = up(be, g, ny * 4), *edx = up(be, NULL, nx * 4);
            assert_int_equal(be->train->maxpool_backward(be, n, c, h, w, (vgg_pool_round)r, eam,
                                                         eg, edx), VGG_STATUS_OK);
            float *dx = down(be, edx, nx * 4);
            same_bits("maxpool_backward", dx, rdx, nx * 4);
            void *all[] = { ex, ey, eam, eg, edx };
            for (int i = 0; i < 5; i++)
                be->ops->release(be, all[i]);
            free(x), free(ry), free(ram), free(y), free(am), free(g), free(rdx), free(dx);
        }
}

/* ---- LRN, global average pooling ---- */

static void lrn_forward_and_backward_match(void **state)
{
    (void)state;
    rng = 12345u;
    const int n = 2, c = 7, h = 3, w = 4;
    const size_t nx = (size_t)n * c * h * w, hw = (size_t)h * w;
    vgg_lrn_desc d = { 5, 1e-4f, 0.75f, 2.0f };
    /* large values, so that the normalisation matters */
    float *x = randv(nx, 60.0f), *g = randv(nx, 1.0f);
    double *ry = malloc(sizeof *ry * nx);
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
            for (size_t p = 0; p < hw; p++) {
                double s = 0.0;
                for (int j = ch - 2; j <= ch + 2; j++)
                    if (j >= 0 && j < c) {
                        double v = x[((size_t)b * c + j) * hw + p];
                        s += v * v;
                    }
                size_t i = ((size_t)b * c + ch) * hw + p;
                ry[i] = x[i] * pow(d.k + d.alpha / d.size * s, -d.beta);
            }
    float *ex = up(be, x, nx * 4), *ey = up(be, NULL, nx * 4);
    assert_int_equal(be->ops->lrn(be, n, c, h, w, &d, ex, ey), VGG_STATUS_OK);
    float *y = down(be, ey, nx * 4);
    close_to("lrn", y, ry, nx, 1e-5);
    float *eg = up(be, g, nx * 4), *edx = up(be, NULL, nx * 4);
    assert_int_equal(be->train->lrn_backward(be, n, c, h, w, &d, ex, ey, eg, edx), VGG_STATUS_OK);
    float *dx = down(be, edx, nx * 4);
    /* the backward against central differences of the double forward */
    double *num = malloc(sizeof *num * nx);
    for (size_t i = 0; i < nx; i++) {
        const size_t b = i / (c * hw), p = i % hw;
        double acc = 0.0;
        for (int sgn = -1; sgn <= 1; sgn += 2) {
            const double eps = 1e-3 * (fabs(x[i]) + 1.0);
            double out = 0.0;
            for (int ch = 0; ch < c; ch++) {
                double s = 0.0;
                for (int j = ch - 2; j <= ch + 2; j++)
                    if (j >= 0 && j < c) {
                        size_t q = (b * c + j) * hw + p;
                        double v = x[q] + (q == i ? sgn * eps : 0.0);
                        s += v * v;
                    }
                size_t q = (b * c + ch) * hw + p;
                double v = x[q] + (q == i ? sgn * eps : 0.0);
                out += g[q] * v * pow(d.k + d.alpha / d.size * s, -d.beta);
            }
            acc += sgn * out / (2 * eps);
        }
        num[i] = acc;
    }
    close_to("lrn_backward", dx, num, nx, 1e-4);
    void *all[] = { ex, ey, eg, edx };
    for (int i = 0; i < 4; i++)
        be->ops->release(be, all[i]);
    free(x), free(g), free(ry), free(y), free(dx), free(num);
}

static void global_avgpool_matches(void **state)
{
    (void)state;
    rng = 12345u;
    const int n = 3, c = 5, h = 6, w = 7;
    const size_t nx = (size_t)n * c * h * w;
    float *x = randv(nx, 3.0f);
    double want[15];
    for (int p = 0; p < n * c; p++) {
        double s = 0.0;
        for (int i = 0; i < h * w; i++)
            s += x[(size_t)p * h * w + i];
        want[p] = s / (h * w);
    }
    float *ex = up(be, x, nx * 4), *ey = up(be, NULL, n * c * 4);
    assert_int_equal(be->ops->global_avgpool(be, n, c, h, w, ex, ey), VGG_STATUS_OK);
    float *y = down(be, ey, n * c * 4);
    close_to("global_avgpool", y, want, n * c, 1e-6);
    be->ops->release(be, ex);
    be->ops->release(be, ey);
    free(x), free(y);
}

/* ---- fill, flip, dropout, SGD, softmax cross-entropy ---- */

static void fill_and_flip_bit_identical(void **state)
{
    (void)state;
    rng = 12345u;
    const size_t rows = 6;
    const int w = 5;
    float *x = randv(rows * w, 1.0f), want[30];
    for (size_t r = 0; r < rows; r++)
        for (int i = 0; i < w; i++)
            want[r * w + i] = x[r * w + w - 1 - i];
    float *ex = up(be, x, sizeof want), *ey = up(be, NULL, sizeof want);
    assert_int_equal(be->ops->flip(be, rows, w, ex, ey), VGG_STATUS_OK);
    float *y = down(be, ey, sizeof want);
    same_bits("flip", y, want, sizeof want);
    assert_int_equal(be->ops->fill(be, ey, 30, -2.5f), VGG_STATUS_OK);
    float *f = down(be, ey, sizeof want);
    for (int i = 0; i < 30; i++)
        assert_true(f[i] == -2.5f);
    be->ops->release(be, ex);
    be->ops->release(be, ey);
    free(x), free(y), free(f);
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void dropout_masks_bit_identical(void **state)
{
    (void)state;
    rng = 12345u;
    const size_t n = 5000;
    const float p = 0.5f;
    float *x = randv(n, 2.0f), *y = malloc(n * 4), *g = randv(n, 1.0f), *gx = malloc(n * 4);
    uint8_t *mask = malloc(n);
    uint64_t s0 = 0x1234abcdULL, mine = s0, theirs = s0;
    const float scale = 1.0f / (1.0f - p);
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        mask[i] = (uint32_t)(splitmix(&mine) >> 40) >= (uint32_t)(p * 16777216.0);
        y[i] = mask[i] ? x[i] * scale : 0.0f;
        gx[i] = mask[i] ? g[i] * scale : 0.0f;
        kept += mask[i];
    }
    assert_true(kept > n * 45 / 100 && kept < n * 55 / 100);
    float *ex = up(be, x, n * 4), *ey = up(be, NULL, n * 4), *eg = up(be, g, n * 4),
          *edx = up(be, NULL, n * 4);
    uint8_t *em = up(be, NULL, n);
    assert_int_equal(be->train->dropout(be, n, p, &theirs, ex, ey, em), VGG_STATUS_OK);
    assert_true(theirs == mine);   /* the state advanced as the CPU's */
    assert_int_equal(be->train->dropout_backward(be, n, p, em, eg, edx), VGG_STATUS_OK);
    uint8_t *m = down(be, em, n);
    float *yy = down(be, ey, n * 4), *dx = down(be, edx, n * 4);
    same_bits("dropout mask", m, mask, n);
    same_bits("dropout", yy, y, n * 4);
    same_bits("dropout_backward", dx, gx, n * 4);
    void *all[] = { ex, ey, eg, edx, em };
    for (int i = 0; i < 5; i++)
        be->ops->release(be, all[i]);
    free(x), free(y), free(g), free(gx), free(mask), free(m), free(yy), free(dx);
}

static void sgd_update_bit_identical(void **state)
{
    (void)state;
    rng = 12345u;
    const size_t n = 1000;
    float *w = randv(n, 1.0f), *g = randv(n, 1.0f), *v = randv(n, 0.1f);
    float *ew = up(be, w, n * 4), *eg = up(be, g, n * 4), *ev = up(be, v, n * 4);
    const float lr = 0.01f, mom = 0.9f, wd = 5e-4f;
    for (size_t i = 0; i < n; i++) {
        v[i] = mom * v[i] - lr * (g[i] + wd * w[i]);
        w[i] += v[i];
    }
    assert_int_equal(be->train->sgd_update(be, n, lr, mom, wd, ew, eg, ev), VGG_STATUS_OK);
    float *gw = down(be, ew, n * 4), *gv = down(be, ev, n * 4);
    same_bits("sgd_update weights", gw, w, n * 4);
    same_bits("sgd_update momentum", gv, v, n * 4);
    void *all[] = { ew, eg, ev };
    for (int i = 0; i < 3; i++)
        be->ops->release(be, all[i]);
    free(w), free(g), free(v), free(gw), free(gv);
}

static void softmax_xent_with_divisor(void **state)
{
    (void)state;
    rng = 12345u;
    const int n = 4, C = 10;
    const float divisor = 16.0f;   /* a micro-batch of 4 in a batch of 16 */
    float *z = randv((size_t)n * C, 4.0f);
    int32_t labels[4] = { 0, 9, 3, 3 };
    double rd[40], rp[40], loss = 0.0;
    for (int i = 0; i < n; i++) {
        double m = -INFINITY, s = 0.0;
        for (int j = 0; j < C; j++)
            m = z[i * C + j] > m ? z[i * C + j] : m;
        for (int j = 0; j < C; j++)
            s += exp(z[i * C + j] - m);
        for (int j = 0; j < C; j++) {
            rp[i * C + j] = exp(z[i * C + j] - m) / s;
            rd[i * C + j] = (rp[i * C + j] - (j == labels[i])) / divisor;
        }
        loss += -log(rp[i * C + labels[i]]) / n;
    }
    float *ez = up(be, z, sizeof rd / 2), *ed = up(be, NULL, sizeof rd / 2),
          *ep = up(be, NULL, sizeof rd / 2);
    int32_t *el = up(be, labels, sizeof labels);
    float got = 0.0f;
    assert_int_equal(be->train->softmax_xent(be, n, C, ez, el, divisor, &got, ed, ep),
                     VGG_STATUS_OK);
    float *d = down(be, ed, sizeof rd / 2), *p = down(be, ep, sizeof rd / 2);
    double lw = loss;
    close_to("softmax_xent loss", &got, &lw, 1, 1e-5);
    close_to("softmax_xent dlogits", d, rd, (size_t)n * C, 1e-5);
    close_to("softmax_xent prob", p, rp, (size_t)n * C, 1e-5);
    void *all[] = { ez, ed, ep, el };
    for (int i = 0; i < 4; i++)
        be->ops->release(be, all[i]);
    free(z), free(d), free(p);
}

/* ---- through a net: pooled forward, one training step ---- */

static void small_arch(vgg_arch *a)
{
    vgg_arch_default(a, VGG_CONFIG_A_LRN);
    a->width = 0.0625f;
    a->fc_dim = 24;
    a->num_classes = 6;
    a->input_size = 32;
}

static void random_params(vgg_net *net)
{
    rng = 777u;
    for (int i = 0; i < vgg_net_param_count(net); i++) {
        vgg_param *p = vgg_net_param(net, i);
        for (size_t j = 0; j < p->numel; j++)
            p->data[j] = frand() * 0.3f;
    }
    assert_int_equal(vgg_net_params_changed(net), VGG_STATUS_OK);
}

static void pooled_forward_is_the_mean_of_the_map(void **state)
{
    (void)state;
    rng = 12345u;
    vgg_arch a;
    small_arch(&a);
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    random_params(net);
    const int n = 3, h = 80, w = 70;
    int oc, oh, ow;
    assert_int_equal(vgg_net_output_shape(net, h, w, VGG_OUTPUT_FC7, &oc, &oh, &ow), VGG_STATUS_OK);
    assert_true(oh * ow > 1);
    float *x = randv((size_t)n * 3 * h * w, 1.0f), *map = malloc(sizeof(float) * n * oc * oh * ow);
    float *pooled = malloc(sizeof(float) * n * oc);
    assert_int_equal(vgg_net_forward(net, x, n, h, w, VGG_OUTPUT_FC7, map), VGG_STATUS_OK);
    assert_int_equal(vgg_net_forward_pooled(net, x, n, h, w, VGG_OUTPUT_FC7, pooled),
                     VGG_STATUS_OK);
    double *mean = malloc(sizeof *mean * n * oc);
    for (int p = 0; p < n * oc; p++) {
        double s = 0.0;
        for (int i = 0; i < oh * ow; i++)
            s += map[(size_t)p * oh * ow + i];
        mean[p] = s / (oh * ow);
    }
    close_to("forward_pooled", pooled, mean, (size_t)n * oc, 1e-6);
    if (!is_ref) {
        vgg_net *rn = NULL;
        float *want = malloc(sizeof(float) * n * oc);
        assert_int_equal(vgg_net_create(&a, ref, &rn), VGG_STATUS_OK);
        random_params(rn);
        assert_int_equal(vgg_net_forward_pooled(rn, x, n, h, w, VGG_OUTPUT_FC7, want),
                         VGG_STATUS_OK);
        close_to_f("forward_pooled", pooled, want, (size_t)n * oc, 1e-5);
        vgg_net_free(rn);
        free(want);
    }
    vgg_net_free(net);
    free(x), free(map), free(pooled), free(mean);
}

/* (not run on cpu-ref itself: the reference trainer is checked by test_train) */
static void training_step_gradients_match_cpu_ref(void **state)
{
    (void)state;
    vgg_arch a;
    small_arch(&a);
    vgg_train_opts o;
    vgg_train_opts_default(&o);
    o.micro_batch = 3;   /* two micro-batches of a batch of 5 */
    vgg_net *nets[2] = { NULL, NULL };
    vgg_trainer *tr[2] = { NULL, NULL };
    vgg_backend *bes[2] = { be, ref };
    const int n = 5, S = a.input_size;
    rng = 99u;
    float *x = randv((size_t)n * 3 * S * S, 1.0f);
    int32_t labels[5] = { 0, 5, 2, 2, 1 };
    for (int k = 0; k < 2; k++) {
        assert_int_equal(vgg_net_create(&a, bes[k], &nets[k]), VGG_STATUS_OK);
        random_params(nets[k]);
        assert_int_equal(vgg_trainer_create(nets[k], &o, &tr[k]), VGG_STATUS_OK);
        assert_int_equal(vgg_trainer_zero_grad(tr[k]), VGG_STATUS_OK);
        double loss = 0.0;
        int hits = 0;
        assert_int_equal(vgg_trainer_accumulate(tr[k], x, labels, n, 0, n, &loss, &hits),
                         VGG_STATUS_OK);
    }
    for (int i = 0; i < vgg_net_param_count(nets[0]); i++) {
        const size_t cnt = vgg_net_param(nets[0], i)->numel;
        float *g0 = malloc(cnt * 4), *g1 = malloc(cnt * 4);
        assert_int_equal(vgg_trainer_get_grad(tr[0], i, g0), VGG_STATUS_OK);
        assert_int_equal(vgg_trainer_get_grad(tr[1], i, g1), VGG_STATUS_OK);
        close_to_f(vgg_net_param(nets[0], i)->name, g0, g1, cnt, 1e-4);
        free(g0), free(g1);
    }
    for (int k = 0; k < 2; k++) {
        vgg_trainer_free(tr[k]);
        vgg_net_free(nets[k]);
    }
    free(x);
}

/* ---- a GPU that cannot be opened ---- */

/* Every GPU backend of the registry: opening its device 0 where that
 * cannot work fails with a status and a message naming the device and
 * the cause, and the list of GPUs says why there are none (77 where every
 * GPU backend works). */
static int no_gpu_message(void)
{
    int bad = 0, checked = 0;
    for (int i = 0; i < vgg_backend_reg_count(); i++) {
        const vgg_backend_reg *r = vgg_backend_reg_at(i);
        if (r->kind != VGG_BACKEND_GPU)
            continue;
        char device[32];
        snprintf(device, sizeof device, r->numbered ? "%s:0" : "%s", r->name);
        vgg_backend *b = NULL;
        vgg_status st = vgg_backend_open(device, 1, &b);
        if (st == VGG_STATUS_OK) {
            printf("a GPU is present (%s): nothing to check for %s\n", vgg_backend_name(b),
                   r->name);
            vgg_backend_close(b);
            continue;
        }
        checked++;
        const char *msg = vgg_last_error();
        printf("vgg_backend_open(\"%s\"): status %d: %s\n", device, (int)st, msg);
        bad |= b != NULL;
        bad |= st != VGG_STATUS_DEVICE && st != VGG_STATUS_UNSUPPORTED;
        bad |= strstr(msg, device) == NULL;   /* names the device */
        /* and a cause: the driver's words or the build's */
        bad |= strstr(msg, "without") == NULL && strstr(msg, "driver") == NULL &&
               strstr(msg, "device") == NULL && strstr(msg, "GPU") == NULL;
    }
    if (!checked)
        return 77;
    char list[1024];
    int count = vgg_backend_list_gpus(list, sizeof list);
    printf("vgg_backend_list_gpus: %d: %s\n", count, list);
    bad |= count != 0 || strncmp(list, "no GPUs: ", 9) != 0;
    return bad ? 1 : 0;
}

/* ---- running the cases on backends ---- */

static const struct CMUnitTest cases[] = {
    cmocka_unit_test(conv2d_forward_matches),
    cmocka_unit_test(conv2d_backward_matches),
    cmocka_unit_test(maxpool_and_backward_bit_identical),
    cmocka_unit_test(lrn_forward_and_backward_match),
    cmocka_unit_test(global_avgpool_matches),
    cmocka_unit_test(fill_and_flip_bit_identical),
    cmocka_unit_test(dropout_masks_bit_identical),
    cmocka_unit_test(sgd_update_bit_identical),
    cmocka_unit_test(softmax_xent_with_divisor),
    cmocka_unit_test(pooled_forward_is_the_mean_of_the_map),
    cmocka_unit_test(training_step_gradients_match_cpu_ref),   /* last: not on cpu-ref */
};

/* every case on be (opened), against the references and cpu-ref; the
 * number of failed cases */
static int run_cases(vgg_backend *b)
{
    be = b;
    is_ref = be->reg == ref->reg;
    rng = 12345u;   /* the same inputs on every backend */
    printf("backend %s (host memory: %s) against the references%s\n", vgg_backend_name(be),
           be->host_memory ? "yes" : "no", is_ref ? "" : " and cpu-ref");
    const size_t n = sizeof cases / sizeof cases[0] - (is_ref ? 1 : 0);
    int failed = _cmocka_run_group_tests(vgg_backend_name(be), cases, n, NULL, NULL);
    be = NULL;
    return failed;
}

/* Every backend of the registry, each on its first device: a backend this
 * build lacks, or whose device cannot be opened (a GPU without a driver
 * or device: DEVICE or UNSUPPORTED), is reported skipped with the reason,
 * not passed; any other failure to open fails.  0 where every backend
 * that ran passed. */
static int run_registry(void)
{
    char lines[4096];
    size_t used = 0;
    int failures = 0;
    for (int i = 0; i < vgg_backend_reg_count() && used < sizeof lines; i++) {
        const vgg_backend_reg *r = vgg_backend_reg_at(i);
        char device[32];
        snprintf(device, sizeof device, r->numbered ? "%s:0" : "%s", r->name);
        const char *verdict = "passed";
        char why[1024] = "";
        vgg_backend *b = NULL;
        vgg_status st = r->missing ? VGG_STATUS_UNSUPPORTED : vgg_backend_open(device, 2, &b);
        if (r->missing) {
            verdict = "skipped";
            snprintf(why, sizeof why, ": %s", r->missing);
        } else if (st == VGG_STATUS_DEVICE || st == VGG_STATUS_UNSUPPORTED) {
            verdict = "skipped";
            snprintf(why, sizeof why, ": %s", vgg_last_error());
        } else if (st != VGG_STATUS_OK) {
            verdict = "FAILED";
            snprintf(why, sizeof why, ": cannot be opened: %s", vgg_last_error());
            failures++;
        } else {
            int failed = run_cases(b);
            if (failed) {
                verdict = "FAILED";
                snprintf(why, sizeof why, ": %d case%s", failed, failed == 1 ? "" : "s");
                failures++;
            }
        }
        vgg_backend_close(b);
        used += (size_t)snprintf(lines + used, sizeof lines - used, "  %-8s %s%s\n", device,
                                 verdict, why);
    }
    printf("backends of this build (net/src/registry.c):\n%s", lines);
    return failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--no-gpu-message") == 0)
        return no_gpu_message();
    if (vgg_backend_open("cpu-ref", 2, &ref) != VGG_STATUS_OK) {
        printf("cpu-ref: %s\n", vgg_last_error());
        return 1;
    }
    int rc = 0;
    if (argc < 2) {
        rc = run_registry();
    } else {
        /* one device: 77 (skipped) where it cannot be opened for want of
         * the device or the build */
        vgg_backend *b = NULL;
        vgg_status st = vgg_backend_open(argv[1], 2, &b);
        if (st != VGG_STATUS_OK) {
            printf("skipped: %s\n", vgg_last_error());
            rc = st == VGG_STATUS_DEVICE || st == VGG_STATUS_UNSUPPORTED ? 77 : 1;
        } else {
            rc = run_cases(b) ? 1 : 0;
            vgg_backend_close(b);
        }
    }
    vgg_backend_close(ref);
    return rc;
}
