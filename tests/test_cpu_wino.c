/* The "cpu" backend's own Winograd convolutions (net/cpu/wino_avx2.c):
 * F(4x4, 3x3) and F(2x2, 3x3) against a double-precision direct
 * convolution written here, on the channel counts of every VGG layer
 * class, odd channel counts (not multiples of 4, 8 or 16), sizes that are
 * not multiples of the tile (down to 1x1) and batches of 1 and 2, within
 * 1e-5 of the largest reference value (the measure of
 * tests/test_backend_ops.c); then the bits: the same whatever the number
 * of threads, the size of the tile blocks, or the batch an image is in;
 * and whatever the padding channels of the input hold (NaN), the padding
 * channels of the output being zero.  And the max-pooling on nChw8c
 * beside them (vgg_pool8_run) against cpu-ref's, bit for bit; and the
 * pooling taken into the Winograd's output (pool_h, pool_w) against the
 * Winograd then vgg_pool8_run, bit for bit.
 *
 * Skipped (exit 77) where the CPU lacks AVX2 or FMA.  The errors measured
 * are printed (net/README.md quotes them). */
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
#include "test_skip.h"
#include "wino.h"

static uint32_t rng;   /* each case seeds it */

static float frand(void)   /* [-1, 1) */
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static void *amalloc(size_t bytes)
{
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    assert_non_null(p);
    return p;
}

/* NCHW -> nChw8c; the padding channels get pad */
static float *to_blocked(const float *x, int n, int c, int h, int w, float pad)
{
    const int cb = (c + 7) / 8;
    float *b = amalloc(sizeof *b * (size_t)n * cb * 8 * h * w);
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < cb * 8; ch++)
            for (int p = 0; p < h * w; p++)
                b[(((size_t)i * cb + ch / 8) * h * w + p) * 8 + ch % 8] =
                    ch < c ? x[((size_t)i * c + ch) * h * w + p] : pad;
    return b;
}

typedef struct wcase {
    int m, n, cin, cout, h, w;
    bool relu;
} wcase;

typedef struct layer {
    wcase c;
    float *x, *wt, *bias, *xb, *packed;
    double *ref;   /* (n, cout, h, w) */
} layer;

/* inputs as after a ReLU (half zero) for the wide layers, centred for the
 * narrow ones; weights He-scaled; bias small */
static void layer_make(layer *L, const wcase *c, uint32_t seed)
{
    memset(L, 0, sizeof *L);
    L->c = *c;
    rng = seed;
    const size_t nx = (size_t)c->n * c->cin * c->h * c->w, nw = (size_t)c->cout * c->cin * 9;
    L->x = malloc(sizeof *L->x * nx);
    L->wt = malloc(sizeof *L->wt * nw);
    L->bias = malloc(sizeof *L->bias * c->cout);
    assert_non_null(L->x);
    assert_non_null(L->wt);
    assert_non_null(L->bias);
    const float scale = (float)sqrt(6.0 / (c->cin * 9.0));
    for (size_t i = 0; i < nx; i++) {
        float v = frand();
        L->x[i] = c->cin >= 64 ? (v > 0 ? 2 * v : 0.0f) : v;
    }
    for (size_t i = 0; i < nw; i++)
        L->wt[i] = frand() * scale;
    for (int i = 0; i < c->cout; i++)
        L->bias[i] = 0.1f * frand();
    L->xb = to_blocked(L->x, c->n, c->cin, c->h, c->w, 0.0f);
    L->packed = amalloc(sizeof(float) * vgg_wino_packed_floats(c->m, c->cin, c->cout));
    vgg_wino_pack(c->m, c->cin, c->cout, L->wt, L->bias, L->packed, 2);
    /* the reference: direct, in double */
    const size_t ny = (size_t)c->n * c->cout * c->h * c->w;
    L->ref = malloc(sizeof *L->ref * ny);
    assert_non_null(L->ref);
    for (int i = 0; i < c->n; i++)
        for (int o = 0; o < c->cout; o++)
            for (int y = 0; y < c->h; y++)
                for (int x = 0; x < c->w; x++) {
                    double s = L->bias[o];
                    for (int ch = 0; ch < c->cin; ch++)
                        for (int ky = 0; ky < 3; ky++) {
                            const int iy = y + ky - 1;
                            if (iy < 0 || iy >= c->h)
                                continue;
                            for (int kx = 0; kx < 3; kx++) {
                                const int ix = x + kx - 1;
                                if (ix < 0 || ix >= c->w)
                                    continue;
                                s += (double)L->x[(((size_t)i * c->cin + ch) * c->h + iy) * c->w +
                                                  ix] *
                                     L->wt[(((size_t)o * c->cin + ch) * 3 + ky) * 3 + kx];
                            }
                        }
                    L->ref[(((size_t)i * c->cout + o) * c->h + y) * c->w + x] =
                        c->relu && s < 0 ? 0.0 : s;
                }
}

static void layer_free(layer *L)
{
    free(L->x);
    free(L->wt);
    free(L->bias);
    free(L->xb);
    free(L->packed);
    free(L->ref);
}

/* Run L with the given threads and tile block on input xb (nChw8c);
 * returns the nChw8c output (malloc'd). */
static float *run(const layer *L, const float *xb, int n, int threads, int tile_block)
{
    const wcase *c = &L->c;
    vgg_wino_shape s = {c->m, n, c->cin, c->cout, c->h, c->w, c->relu, threads, tile_block, 0, 0};
    const size_t ny = (size_t)n * ((c->cout + 7) / 8) * 8 * c->h * c->w;
    float *yb = amalloc(sizeof *yb * ny);
    for (size_t i = 0; i < ny; i++)   /* whatever was there: a NaN */
        yb[i] = NAN;
    void *scratch = amalloc(vgg_wino_scratch_bytes(&s));
    vgg_wino_run(&s, L->packed, xb, yb, scratch);
    free(scratch);
    return yb;
}

/* max |y - ref| / max |ref| over the real channels; the padding channels
 * of yb must be exactly zero */
static double error_of(const layer *L, const float *yb)
{
    const wcase *c = &L->c;
    const int ob = (c->cout + 7) / 8;
    double md = 0, mr = 0;
    for (int i = 0; i < c->n; i++)
        for (int o = 0; o < ob * 8; o++)
            for (int p = 0; p < c->h * c->w; p++) {
                const float v = yb[(((size_t)i * ob + o / 8) * c->h * c->w + p) * 8 + o % 8];
                if (o >= c->cout) {
                    if (v != 0.0f)
                        fail_msg("padding channel %d of image %d holds %g", o, i, v);
                    continue;
                }
                const double r = L->ref[((size_t)i * c->cout + o) * c->h * c->w + p];
                const double d = fabs((double)v - r);
                if (d > md || isnan(d))
                    md = isnan(d) ? INFINITY : d;
                mr = fabs(r) > mr ? fabs(r) : mr;
            }
    return mr > 0 ? md / mr : md;
}

static int setup(void **state)
{
    (void)state;
    return 0;
}

static void need_avx2(void)
{
    if (!vgg_wino_supported())
        skip_here("this CPU (or build) has no AVX2 + FMA for the Winograd kernels");
}

/* ---- agreement with the double reference ---- */

static const wcase agree_cases[] = {
    /* every VGG 3x3 layer class (channels), small maps */
    {4, 2, 64, 64, 17, 23, true},     /* conv1_2 */
    {4, 1, 64, 128, 12, 13, true},    /* conv2_1 */
    {4, 2, 128, 128, 9, 10, true},    /* conv2_2 */
    {4, 1, 128, 256, 11, 8, true},    /* conv3_1 */
    {4, 1, 256, 256, 8, 9, false},    /* conv3_x, no ReLU */
    {4, 1, 256, 512, 7, 6, true},     /* conv4_1 */
    {4, 2, 512, 512, 5, 7, true},     /* conv4_x, conv5_x */
    {4, 1, 3, 64, 13, 14, true},      /* conv1_1's 3 channels */
    /* channels not multiples of 4, 8 or 16; sizes below a tile */
    {4, 1, 5, 7, 6, 9, true},
    {4, 2, 20, 36, 11, 5, false},
    {4, 1, 24, 40, 1, 1, true},
    {4, 2, 12, 20, 2, 3, true},
    {4, 1, 40, 24, 4, 4, true},
    {4, 1, 33, 17, 5, 13, true},
    /* F(2x2) on the same kinds */
    {2, 2, 64, 64, 17, 23, true},
    {2, 1, 128, 256, 11, 8, true},
    {2, 2, 512, 512, 5, 7, false},
    {2, 1, 5, 7, 6, 9, true},
    {2, 2, 20, 36, 1, 3, true},
    {2, 1, 3, 64, 13, 14, true},
};

static void agrees_with_double_reference(void **state)
{
    (void)state;
    need_avx2();
    for (size_t t = 0; t < sizeof agree_cases / sizeof agree_cases[0]; t++) {
        const wcase *c = &agree_cases[t];
        layer L;
        layer_make(&L, c, 1000u + (uint32_t)t);
        float *yb = run(&L, L.xb, c->n, 2, 0);
        double e = error_of(&L, yb);
        printf("  F(%dx%d) %3d -> %3d, n %d, %2dx%-2d%s: max rel error %.2e\n", c->m, c->m,
               c->cin, c->cout, c->n, c->h, c->w, c->relu ? "" : ", no ReLU", e);
        if (!(e <= 1e-5))
            fail_msg("F(%dx%d) %d -> %d, %dx%d: max rel error %.3e above 1e-5", c->m, c->m,
                     c->cin, c->cout, c->h, c->w, e);
        free(yb);
        layer_free(&L);
    }
}

/* ---- the packed weights ---- */

/* The transform the header promises, written out here for one filter:
 * t = G g, then U = t G^T, each sum 0 + x0 + x1 + x2 of double products
 * in that order (ISO C: no fused multiply-add), rounded once to float. */
static float u_ref(int m, const float *g, int i, int k)
{
    static const double G4[6][3] = {{1.0, 0.0, 0.0},
                                    {1.0 / 3, 1.0 / 3, 1.0 / 3},
                                    {-1.0 / 3, 1.0 / 3, -1.0 / 3},
                                    {-16.0 / 15, -8.0 / 15, -4.0 / 15},
                                    {1.0 / 15, -2.0 / 15, 4.0 / 15},
                                    {0.0, 0.0, 1.0}};
    static const double G2[4][3] = {
        {1.0, 0.0, 0.0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0.0, 0.0, 1.0}};
    const double(*G)[3] = m == 4 ? G4 : G2;
    double s = 0;
    for (int kx = 0; kx < 3; kx++) {
        double t = 0;
        for (int ky = 0; ky < 3; ky++)
            t += G[i][ky] * (double)g[ky * 3 + kx];
        s += t * G[k][kx];
    }
    return (float)s;
}

/* vgg_wino_pack against u_ref, float for float (memcmp), in the layout
 * wino_avx2.c states: U[P][coutq / 16][cinp][16] (zero past cout and
 * cin), then the bias (zero past cout); for odd channel counts, both
 * transforms and 1 to 3 threads.  Then three values of a filter of ones
 * at F(2x2), worked by hand. */
static void packed_weights_are_the_transform_rounded_once(void **state)
{
    (void)state;
    need_avx2();
    const int cases[][3] = {{4, 64, 64}, {4, 3, 64}, {4, 33, 17}, {4, 100, 37}, {2, 20, 36},
                            {2, 7, 5},   {4, 8, 16}, {2, 64, 129}};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const int m = cases[t][0], cin = cases[t][1], cout = cases[t][2];
        const int a = m + 2, cinp = (cin + 7) / 8 * 8, coutq = (cout + 15) / 16 * 16;
        const size_t n = vgg_wino_packed_floats(m, cin, cout);
        assert_int_equal(n, (size_t)a * a * coutq * cinp + coutq);
        rng = 77u + (uint32_t)t;
        float *w = malloc(sizeof *w * (size_t)cout * cin * 9), *b = malloc(sizeof *b * cout);
        float *want = malloc(sizeof *want * n);
        assert_non_null(w);
        assert_non_null(b);
        assert_non_null(want);
        for (size_t i = 0; i < (size_t)cout * cin * 9; i++) {
            /* signed zeros, tiny and large values beside the usual ones */
            const float v = frand();
            w[i] = i % 29 == 0 ? -0.0f : i % 31 == 0 ? v * 1e-30f : i % 37 == 0 ? v * 1e30f : v;
        }
        for (int o = 0; o < cout; o++)
            b[o] = frand();
        for (int p = 0; p < a * a; p++)
            for (int o = 0; o < coutq; o++)
                for (int c = 0; c < cinp; c++) {
                    const float *g = w + ((size_t)o * cin + c) * 9;
                    want[(((size_t)p * (coutq / 16) + o / 16) * cinp + c) * 16 + o % 16] =
                        o < cout && c < cin ? u_ref(m, g, p / a, p % a) : 0.0f;
                }
        for (int o = 0; o < coutq; o++)
            want[n - coutq + o] = o < cout ? b[o] : 0.0f;
        for (int threads = 1; threads <= 3; threads++) {
            float *got = amalloc(sizeof *got * n);
            memset(got, 0xA5, sizeof *got * n);   /* every float must be written */
            vgg_wino_pack(m, cin, cout, w, b, got, threads);
            if (memcmp(got, want, sizeof *got * n) != 0) {
                size_t i = 0;
                while (memcmp(&got[i], &want[i], sizeof *got) == 0)
                    i++;
                fail_msg("F(%dx%d) %d -> %d, %d threads: packed float %zu of %zu is %a, "
                         "expected %a",
                         m, m, cin, cout, threads, i, n, (double)got[i], (double)want[i]);
            }
            free(got);
        }
        free(w);
        free(b);
        free(want);
    }
    /* by hand: ones at F(2x2); G2's row 1 is (0.5, 0.5, 0.5), so t's row 1
     * is 1.5 in each column and U(1, 1) = 1.5 * 0.5 * 3 = 2.25 */
    float ones[9], bias = 0.0f;
    for (int i = 0; i < 9; i++)
        ones[i] = 1.0f;
    float *got = amalloc(sizeof *got * vgg_wino_packed_floats(2, 1, 1));
    vgg_wino_pack(2, 1, 1, ones, &bias, got, 1);
    /* point (1, 1) = 5; one block of 16 columns, 8 padded channels */
    assert_true(got[5 * 8 * 16] == 2.25f);
    assert_true(got[0] == 1.0f);                 /* point (0, 0): g(0, 0) */
    assert_true(got[1 * 8 * 16] == 1.5f);        /* point (0, 1): row 0 of g, 0.5 each */
    free(got);
}

/* ---- the bits ---- */

static void same_bits_any_threads_blocks_batch(void **state)
{
    (void)state;
    need_avx2();
    const wcase cases[] = {
        {4, 2, 64, 64, 21, 30, true},
        {4, 2, 24, 40, 9, 11, true},
        {2, 2, 64, 128, 13, 18, true},
        /* wide: the threads share each block, and V and M are written past
         * the caches, V two tiles a line (blocks of 6 and 30 tiles: one
         * group, an odd number of groups) */
        {4, 2, 256, 150, 9, 11, true},
        {2, 2, 320, 260, 7, 5, true},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const wcase *c = &cases[t];
        layer L;
        layer_make(&L, c, 77u + (uint32_t)t);
        const size_t ny = (size_t)c->n * ((c->cout + 7) / 8) * 8 * c->h * c->w;
        float *y0 = run(&L, L.xb, c->n, 1, 0);
        const int threads[] = {2, 3, 2, 1}, blocks[] = {0, 6, 12, 30};
        for (int k = 0; k < 4; k++) {
            float *y = run(&L, L.xb, c->n, threads[k], blocks[k]);
            if (memcmp(y, y0, ny * sizeof *y) != 0)
                fail_msg("case %zu: %d threads, tile block %d: other bits than 1 thread", t,
                         threads[k], blocks[k]);
            free(y);
        }
        /* the second image alone: the bits it had in the batch */
        const size_t in1 = (size_t)((c->cin + 7) / 8) * 8 * c->h * c->w;
        float *y1 = run(&L, L.xb + in1, 1, 2, 0);
        if (memcmp(y1, y0 + ny / 2, ny / 2 * sizeof *y1) != 0)
            fail_msg("case %zu: the second image alone has other bits than in the batch", t);
        free(y1);
        free(y0);
        layer_free(&L);
    }
}

static void padding_channels_neither_read_nor_left(void **state)
{
    (void)state;
    need_avx2();
    const wcase c = {4, 1, 20, 12, 10, 9, false};
    layer L;
    layer_make(&L, &c, 5u);
    float *clean = run(&L, L.xb, 1, 2, 0);
    float *nan_pad = to_blocked(L.x, c.n, c.cin, c.h, c.w, NAN);
    float *y = run(&L, nan_pad, 1, 2, 0);
    const size_t ny = (size_t)c.n * 16 * c.h * c.w;
    assert_memory_equal(y, clean, ny * sizeof *y);
    assert_true(error_of(&L, y) <= 1e-5);   /* and the output's padding is zero */
    free(nan_pad);
    free(y);
    free(clean);
    layer_free(&L);
}

/* ---- max-pooling 2x2 / 2 on nChw8c (vgg_pool8_run) ---- */

/* Against cpu-ref's max-pooling on NCHW, bit for bit: floor and ceil,
 * odd and even sizes down to 1x1, channels not a multiple of 8, values
 * with ties, -0 beside +0, infinities and NaNs of different payloads. */
static void pooling_matches_reference_bit_for_bit(void **state)
{
    (void)state;
    need_avx2();
    vgg_backend *ref = NULL;
    assert_int_equal(vgg_backend_open("cpu-ref", 1, &ref), VGG_STATUS_OK);
    static const struct {
        int n, c, h, w;
    } shapes[] = {{2, 13, 7, 9}, {1, 16, 8, 6}, {1, 8, 1, 1}, {3, 5, 3, 3}, {1, 24, 2, 5}};
    const float nan1 = NAN, nan2 = -NAN;
    for (size_t k = 0; k < sizeof shapes / sizeof shapes[0]; k++)
        for (int r = 0; r < 2; r++) {
            const vgg_pool_round round = r ? VGG_POOL_CEIL : VGG_POOL_FLOOR;
            const int n = shapes[k].n, c = shapes[k].c, h = shapes[k].h, w = shapes[k].w;
            const int oh = vgg_pool_out(h, round), ow = vgg_pool_out(w, round);
            if (oh <= 0 || ow <= 0)
                continue;
            rng = 4242u + (uint32_t)k;
            const size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * oh * ow;
            float *x = malloc(sizeof *x * nx), *want = malloc(sizeof *want * ny);
            assert_non_null(x);
            assert_non_null(want);
            for (size_t i = 0; i < nx; i++) {
                /* few distinct values, so that windows hold ties */
                const float v = (float)((int)(frand() * 3.0f)) * 0.5f;
                const uint32_t pick = rng >> 24;
                x[i] = pick < 8    ? nan1
                       : pick < 14 ? nan2
                       : pick < 40 ? -0.0f
                       : pick < 50 ? -INFINITY
                       : pick < 56 ? INFINITY
                                   : v;
            }
            assert_int_equal(ref->ops->maxpool(ref, n, c, h, w, round, x, want, NULL),
                             VGG_STATUS_OK);
            float *xb = to_blocked(x, n, c, h, w, 0.0f);
            const int cb = (c + 7) / 8;
            float *yb = amalloc(sizeof *yb * (size_t)n * cb * 8 * oh * ow);
            for (int threads = 1; threads <= 3; threads += 2) {
                vgg_pool8_run(n, c, h, w, oh, ow, xb, yb, threads);
                for (int i = 0; i < n; i++)
                    for (int ch = 0; ch < c; ch++)
                        for (int p = 0; p < oh * ow; p++) {
                            const float got =
                                yb[(((size_t)i * cb + ch / 8) * oh * ow + p) * 8 + ch % 8];
                            const float exp = want[((size_t)i * c + ch) * oh * ow + p];
                            if (memcmp(&got, &exp, sizeof got) != 0)
                                fail_msg("pool %dx%dx%dx%d %s, (%d, %d, %d): %g, cpu-ref %g", n,
                                         c, h, w, r ? "ceil" : "floor", i, ch, p, got, exp);
                        }
            }
            free(x);
            free(want);
            free(xb);
            free(yb);
        }
    vgg_backend_close(ref);
}

/* ---- the pooling taken into the output transform ---- */

/* The Winograd with pool_h x pool_w set against the Winograd then
 * vgg_pool8_run, bit for bit (the padding channels too, and every cell
 * written: the buffer starts as NaN): F(4x4) and F(2x2), floor and ceil,
 * odd and even sizes (a last tile cut short, a clipped window), down to
 * 1x1; narrow layers (a block a thread) and wide ones (shared blocks);
 * 1 to 3 threads and two tile blocks; an input NaN (ReLU takes it to 0).
 * And where it cannot pool: without ReLU, or sizes that are no 2x2 / 2
 * pooling of the output. */
static void pooling_taken_into_the_output_transform(void **state)
{
    (void)state;
    need_avx2();
    const wcase cases[] = {
        {4, 2, 24, 40, 9, 11, true},  {4, 1, 64, 64, 17, 22, true}, {4, 2, 512, 512, 7, 5, true},
        {4, 1, 20, 12, 1, 1, true},   {4, 1, 13, 21, 6, 2, true},   {2, 2, 64, 128, 13, 18, true},
        {2, 1, 33, 17, 5, 7, true},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++)
        for (int r = 0; r < 2; r++) {
            const wcase *c = &cases[t];
            const vgg_pool_round round = r ? VGG_POOL_CEIL : VGG_POOL_FLOOR;
            const int oh = vgg_pool_out(c->h, round), ow = vgg_pool_out(c->w, round);
            if (oh <= 0 || ow <= 0)
                continue;
            layer L;
            layer_make(&L, c, 900u + (uint32_t)t);
            L.xb[1] = NAN;   /* channel 1 of the first pixel of the first image */
            float *full = run(&L, L.xb, c->n, 2, 0);
            const int cb = (c->cout + 7) / 8;
            const size_t ny = (size_t)c->n * cb * 8 * oh * ow;
            float *want = amalloc(sizeof *want * ny), *got = amalloc(sizeof *got * ny);
            vgg_pool8_run(c->n, c->cout, c->h, c->w, oh, ow, full, want, 2);
            const int threads[] = {1, 2, 3}, blocks[] = {0, 6, 0};
            for (int k = 0; k < 3; k++) {
                vgg_wino_shape s = {c->m, c->n, c->cin, c->cout, c->h, c->w, true,
                                    threads[k], blocks[k], oh, ow};
                assert_true(vgg_wino_can_pool(&s));
                for (size_t i = 0; i < ny; i++)
                    got[i] = NAN;
                void *scratch = amalloc(vgg_wino_scratch_bytes(&s));
                vgg_wino_run(&s, L.packed, L.xb, got, scratch);
                free(scratch);
                if (memcmp(got, want, ny * sizeof *got) != 0)
                    fail_msg("F(%dx%d) %dx%dx%dx%d %s, %d threads, tile block %d: the pooled "
                             "output differs from the output pooled",
                             c->m, c->m, c->n, c->cout, c->h, c->w, r ? "ceil" : "floor",
                             threads[k], blocks[k]);
            }
            free(full);
            free(want);
            free(got);
            layer_free(&L);
        }
    /* where it cannot */
    vgg_wino_shape s = {4, 1, 8, 8, 9, 11, true, 1, 0, 4, 5};
    assert_true(vgg_wino_can_pool(&s));
    s.pool_h = 5, s.pool_w = 6;   /* ceil */
    assert_true(vgg_wino_can_pool(&s));
    s.relu = false;
    assert_false(vgg_wino_can_pool(&s));
    s.relu = true;
    s.pool_h = 3;
    assert_false(vgg_wino_can_pool(&s));
    s.pool_h = 4, s.pool_w = 11;
    assert_false(vgg_wino_can_pool(&s));
}

/* The products on AVX-512 (two groups of 6 tiles by two blocks of 16
 * columns a register tile, where the CPU has it), and the transforms two
 * blocks of 8 channels at a time, give the bits of the AVX2 ones: blocks
 * of 1 to 5 groups, runs of blocks of columns even and odd, odd numbers of
 * blocks of 8 channels, narrow and wide (streamed) layers, F(4x4) and
 * F(2x2). */
static void avx512_products_give_the_same_bits(void **state)
{
    (void)state;
    need_avx2();
    if (!vgg_tile512_possible())
        skip_here("this CPU (or its system) has no AVX-512F for the products");
    const wcase cases[] = {
        {4, 2, 64, 64, 21, 30, true},
        {4, 1, 3, 64, 13, 14, true},
        {4, 2, 24, 40, 9, 11, true},   /* three blocks of 16 columns: one alone */
        {2, 2, 64, 128, 13, 18, false},
        {4, 2, 256, 150, 9, 11, true},
        {2, 2, 320, 260, 7, 5, true},
        {4, 1, 324, 264, 7, 9, true},  /* wide, 41 blocks of 8 channels, the last a half */
    };
    const int blocks[] = {0, 6, 12, 18, 24, 30};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const wcase *c = &cases[t];
        layer L;
        layer_make(&L, c, 91u + (uint32_t)t);
        const size_t ny = (size_t)c->n * ((c->cout + 7) / 8) * 8 * c->h * c->w;
        for (int k = 0; k < 6; k++) {
            vgg_set_tile512(0);
            float *y0 = run(&L, L.xb, c->n, 2, blocks[k]);
            vgg_set_tile512(1);
            float *y1 = run(&L, L.xb, c->n, 2, blocks[k]);
            vgg_set_tile512(-1);
            if (memcmp(y0, y1, ny * sizeof *y0) != 0)
                fail_msg("case %zu, tile block %d: AVX-512 products give other bits than AVX2",
                         t, blocks[k]);
            assert_true(error_of(&L, y1) < 1e-4);
            free(y0);
            free(y1);
        }
        layer_free(&L);
    }
}

/* The direct convolution for few input channels (m = 1, AVX-512): every
 * output bit for bit the scalar order wino.h states (the taps in the
 * order channel, row, column by fmaf from zero, out-of-image taps as
 * zeros, then the bias, then ReLU), with 1 to 3 threads; within 1e-5 of
 * the double reference; NaN in the input's padding channels never read;
 * the output's padding channels zero. */
static void direct8_is_the_stated_sum(void **state)
{
    (void)state;
    need_avx2();
    if (!vgg_tile512_possible())
        skip_here("this CPU (or its system) has no AVX-512F for the direct kernel");
    const wcase cases[] = {
        {1, 2, 3, 64, 17, 23, true},  /* conv1_1 */
        {1, 1, 3, 64, 1, 1, true},    {1, 2, 5, 7, 6, 9, false}, {1, 1, 8, 100, 11, 13, true},
        {1, 3, 1, 40, 7, 20, true},   {1, 1, 3, 16, 2, 5, false},
    };
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        const wcase *c = &cases[t];
        layer L;
        layer_make(&L, c, 300u + (uint32_t)t);
        const int cb = (c->cout + 7) / 8;
        const size_t ny = (size_t)c->n * cb * 8 * c->h * c->w;
        float *y1 = run(&L, L.xb, c->n, 1, 0);
        const double e = error_of(&L, y1);
        if (!(e <= 1e-5))
            fail_msg("direct %d -> %d, %dx%d: max rel error %.3e above 1e-5", c->cin, c->cout,
                     c->h, c->w, e);
        for (int i = 0; i < c->n; i++)
            for (int o = 0; o < c->cout; o++)
                for (int y = 0; y < c->h; y++)
                    for (int x = 0; x < c->w; x++) {
                        float acc = 0.0f;
                        for (int ch = 0; ch < c->cin; ch++)
                            for (int ky = 0; ky < 3; ky++)
                                for (int kx = 0; kx < 3; kx++) {
                                    const int iy = y + ky - 1, ix = x + kx - 1;
                                    const float v =
                                        iy < 0 || iy >= c->h || ix < 0 || ix >= c->w
                                            ? 0.0f
                                            : L.x[(((size_t)i * c->cin + ch) * c->h + iy) * c->w +
                                                  ix];
                                    acc = fmaf(v, L.wt[(((size_t)o * c->cin + ch) * 3 + ky) * 3 +
                                                       kx],
                                               acc);
                                }
                        acc += L.bias[o];
                        if (c->relu)
                            acc = acc > 0.0f ? acc : 0.0f;
                        const float got =
                            y1[(((size_t)i * cb + o / 8) * c->h * c->w + (size_t)y * c->w + x) *
                                   8 +
                               o % 8];
                        if (memcmp(&got, &acc, sizeof acc) != 0)
                            fail_msg("direct %d -> %d, %dx%d: image %d channel %d (%d, %d) is %a, "
                                     "the stated sum %a",
                                     c->cin, c->cout, c->h, c->w, i, o, y, x, (double)got,
                                     (double)acc);
                    }
        for (int th = 2; th <= 3; th++) {
            float *y = run(&L, L.xb, c->n, th, 0);
            if (memcmp(y, y1, ny * sizeof *y) != 0)
                fail_msg("direct %d -> %d: %d threads give other bits", c->cin, c->cout, th);
            free(y);
        }
        /* NaN in the input's padding channels: the same bits */
        float *xg = to_blocked(L.x, c->n, c->cin, c->h, c->w, NAN);
        float *yg = run(&L, xg, c->n, 2, 0);
        if (memcmp(yg, y1, ny * sizeof *yg) != 0)
            fail_msg("direct %d -> %d: the input's padding channels were read", c->cin, c->cout);
        free(xg);
        free(yg);
        free(y1);
        layer_free(&L);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(agrees_with_double_reference),
        cmocka_unit_test(packed_weights_are_the_transform_rounded_once),
        cmocka_unit_test(same_bits_any_threads_blocks_batch),
        cmocka_unit_test(padding_channels_neither_read_nor_left),
        cmocka_unit_test(pooling_matches_reference_bit_for_bit),
        cmocka_unit_test(pooling_taken_into_the_output_transform),
        cmocka_unit_test(avx512_products_give_the_same_bits),
        cmocka_unit_test(direct8_is_the_stated_sum),
    };
    return tests_exit(cmocka_run_group_tests(tests, setup, NULL));
}
