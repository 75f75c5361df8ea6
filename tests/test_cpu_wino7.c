/* The "cpu" backend's fc6 by Winograd F(2x2, 7x7) (net/cpu/wino7_avx2.c,
 * fc.h): y = ReLU?(conv7x7(x, w) + bias), x nChw8c, y rows (image, oy,
 * ox) of cout, against a double-precision direct sum written here, on
 * odd shapes: channels and outputs not multiples of 8 or 16, odd output
 * sides (tiles cut at the edge), batches whose tiles fill several blocks,
 * with and without ReLU and bias; within 2e-5 of the largest reference
 * value and 1e-5 relative L2 (the 8 points round more than the direct
 * sum: about 3e-6).  Then its bits: the same whatever the number of
 * threads and whatever images share the batch (an image alone, or among
 * others whose tiles put its own in other blocks); padding channels of x
 * holding garbage change nothing; ReLU maps NaN to 0.
 *
 * Skipped (exit 77) where the CPU lacks AVX2 or FMA. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fc.h"
#include "wino.h"
#include "test_skip.h"

static uint32_t rng;

static float frand(void)   /* [-1, 1) */
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static void need_avx2(void)
{
    if (!vgg_fc_supported())
        skip_here("this CPU (or build) has no AVX2 + FMA for the Winograd fc kernel");
}

typedef struct map {
    int n, c, h, w;
    float *plain;   /* (n, c, h, w) */
    float *b8;      /* nChw8c, the padding channels filled with `pad` */
} map;

static size_t b8_floats(int n, int c, int h, int w)
{
    return (size_t)n * ((c + 7) / 8) * 8 * h * w;
}

/* activations as after a ReLU and a pooling: non-negative, a third zero,
 * channels of different scales */
static map make_map(int n, int c, int h, int w, float pad)
{
    map m = {n, c, h, w, malloc(sizeof(float) * n * c * h * w), NULL};
    const size_t nb = b8_floats(n, c, h, w);
    m.b8 = aligned_alloc(64, (nb * sizeof(float) + 63) / 64 * 64);
    assert_non_null(m.plain);
    assert_non_null(m.b8);
    for (size_t i = 0; i < nb; i++)
        m.b8[i] = pad;
    const int cb = (c + 7) / 8;
    for (int i = 0; i < n; i++)
        for (int ch = 0; ch < c; ch++) {
            const float scale = 0.5f + 1.5f * (frand() + 1.0f);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    float v = frand();
                    v = v > -0.33f ? (v + 0.33f) * scale : 0.0f;
                    m.plain[(((size_t)i * c + ch) * h + y) * w + x] = v;
                    m.b8[((((size_t)i * cb + ch / 8) * h + y) * w + x) * 8 + ch % 8] = v;
                }
        }
    return m;
}

static void free_map(map *m)
{
    free(m->plain);
    free(m->b8);
}

/* vgg_wino7_run with its own scratch */
static void run(const map *m, int cout, bool relu, int threads, const float *w, const float *b,
                float *y)
{
    const vgg_wino7_shape s = {m->n, m->c, m->h, m->w, cout, relu, threads};
    const size_t bytes = vgg_wino7_scratch_bytes(&s);
    void *scratch = malloc(bytes);
    assert_non_null(scratch);
    vgg_wino7_run(&s, w, b, m->b8, y, scratch);
    free(scratch);
}

typedef struct wcase {
    int n, c, h, w, cout;
    bool relu, bias;
} wcase;

static const wcase cases[] = {
    {1, 8, 7, 7, 16, false, true},      /* one position: a tile with three of its four cut */
    {1, 3, 8, 9, 5, true, true},        /* 3 channels, 5 outputs */
    {2, 20, 12, 13, 37, true, true},    /* odd columns of outputs */
    {1, 64, 12, 16, 64, false, false},  /* fc6 of Q=384 on 384x512, narrow */
    {3, 60, 15, 9, 50, true, true},     /* odd rows, 60 channels (not of 8, a partial chunk) */
    {2, 36, 16, 21, 19, true, false},   /* two blocks of tiles (80) */
    {4, 16, 20, 25, 33, false, true},   /* 280 tiles: six blocks */
    {1, 520, 8, 10, 24, true, true},    /* channels past 16 chunks of 32 */
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static void agrees_with_double(void **state)
{
    (void)state;
    need_avx2();
    for (int ci = 0; ci < N_CASES; ci++) {
        const wcase *k = &cases[ci];
        rng = 101u + (uint32_t)ci;
        map m = make_map(k->n, k->c, k->h, k->w, 0.0f);
        const int oh = k->h - 6, ow = k->w - 6;
        const size_t nw = (size_t)k->cout * k->c * 49, ny = (size_t)k->n * oh * ow * k->cout;
        float *w = malloc(nw * sizeof *w), *b = malloc((size_t)k->cout * sizeof *b);
        float *y = malloc(ny * sizeof *y);
        assert_non_null(w);
        assert_non_null(b);
        assert_non_null(y);
        const float ws = sqrtf(3.0f / (k->c * 49.0f));
        for (size_t i = 0; i < nw; i++)
            w[i] = frand() * ws;
        for (int i = 0; i < k->cout; i++)
            b[i] = 0.2f * frand();
        run(&m, k->cout, k->relu, 2, w, k->bias ? b : NULL, y);
        double big = 0, worst = 0, num = 0, den = 0;
        for (int i = 0; i < k->n; i++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++)
                    for (int o = 0; o < k->cout; o++) {
                        double r = k->bias ? b[o] : 0.0;
                        for (int ch = 0; ch < k->c; ch++)
                            for (int ky = 0; ky < 7; ky++)
                                for (int kx = 0; kx < 7; kx++)
                                    r += (double)w[(((size_t)o * k->c + ch) * 7 + ky) * 7 + kx] *
                                         m.plain[(((size_t)i * k->c + ch) * k->h + oy + ky) *
                                                     k->w +
                                                 ox + kx];
                        if (k->relu && r < 0)
                            r = 0;
                        const double got =
                            y[(((size_t)i * oh + oy) * ow + ox) * k->cout + o];
                        big = fabs(r) > big ? fabs(r) : big;
                        worst = fabs(got - r) > worst || isnan(got) ? fabs(got - r) : worst;
                        num += (got - r) * (got - r);
                        den += r * r;
                    }
        const double rel = worst / big, l2 = sqrt(num / den);
        printf("  n %d, %d channels %dx%d -> %d (%s, %s): max %.2e of the largest, rel L2 "
               "%.2e\n",
               k->n, k->c, k->h, k->w, k->cout, k->relu ? "ReLU" : "no ReLU",
               k->bias ? "bias" : "no bias", rel, l2);
        if (!(rel <= 2e-5) || !(l2 <= 1e-5))
            fail_msg("case %d: max error %.3e of the largest, rel L2 %.3e", ci, rel, l2);
        free(w);
        free(b);
        free(y);
        free_map(&m);
    }
}

/* The same bits with 1, 2 or 3 threads; an image's rows the same alone or
 * in a batch of four (its tiles in other blocks); garbage in x's padding
 * channels ignored. */
static void same_bits_whatever_threads_and_batch(void **state)
{
    (void)state;
    need_avx2();
    rng = 7u;
    const int n = 4, c = 44, h = 15, w = 17, cout = 40, oh = h - 6, ow = w - 6;
    map m = make_map(n, c, h, w, 0.0f);
    const size_t nw = (size_t)cout * c * 49, per = (size_t)oh * ow * cout;
    float *wt = malloc(nw * sizeof *wt), *b = malloc(cout * sizeof *b);
    float *y1 = malloc(n * per * sizeof *y1), *y2 = malloc(n * per * sizeof *y2);
    assert_non_null(wt);
    assert_non_null(b);
    assert_non_null(y1);
    assert_non_null(y2);
    for (size_t i = 0; i < nw; i++)
        wt[i] = frand() * 0.05f;
    for (int i = 0; i < cout; i++)
        b[i] = 0.1f * frand();
    run(&m, cout, true, 2, wt, b, y1);
    for (int t = 1; t <= 3; t += 2) {
        run(&m, cout, true, t, wt, b, y2);
        assert_memory_equal(y1, y2, n * per * sizeof *y1);
    }
    /* each image alone (one block each; in the batch of 4, 4 x 30 tiles
     * make three blocks, and image 1 straddles the first two) */
    for (int i = 0; i < n; i++) {
        map one = make_map(1, c, h, w, 0.0f);
        memcpy(one.b8, m.b8 + (size_t)i * b8_floats(1, c, h, w),
               b8_floats(1, c, h, w) * sizeof(float));
        run(&one, cout, true, 2, wt, b, y2);
        assert_memory_equal(y1 + i * per, y2, per * sizeof *y1);
        free_map(&one);
    }
    /* NaN and huge values in the padding channels (44 -> 48: lanes 4 to 7
     * of the sixth block), the same data (the same seed) */
    rng = 7u;
    map g = make_map(n, c, h, w, NAN);
    for (int i = 0; i < n; i++)
        for (int px = 0; px < h * w; px++)
            for (int lane = 4; lane < 8; lane += 2)
                g.b8[(((size_t)i * 6 + 5) * h * w + px) * 8 + lane] = 1e30f;
    run(&g, cout, true, 2, wt, b, y2);
    assert_memory_equal(y1, y2, n * per * sizeof *y1);
    free_map(&g);
    free_map(&m);
    free(wt);
    free(b);
    free(y1);
    free(y2);
}

/* The products on AVX-512 (four groups of 6 tiles a register tile, where
 * the CPU has it) give the bits of the AVX2 ones: blocks of 1, 2, 3, 5, 7
 * and 8 groups (every remainder of four), a partial chunk of channels. */
static void avx512_products_give_the_same_bits(void **state)
{
    (void)state;
    need_avx2();
    if (!vgg_tile512_possible())
        skip_here("this CPU (or its system) has no AVX-512F for the products");
    /* tiles: 1, 8, 16, 30, 42, 2 x 30 (blocks of 48 and 12) */
    static const int sizes[][3] = {{1, 7, 8}, {1, 9, 13}, {1, 13, 13},
                                   {1, 15, 17}, {1, 17, 19}, {2, 15, 17}};
    for (int k = 0; k < 6; k++) {
        rng = 11u + (uint32_t)k;
        const int n = sizes[k][0], h = sizes[k][1], w = sizes[k][2], c = 44, cout = 40;
        map m = make_map(n, c, h, w, 0.0f);
        const size_t nw = (size_t)cout * c * 49, ny = (size_t)n * (h - 6) * (w - 6) * cout;
        float *wt = malloc(nw * sizeof *wt), *b = malloc(cout * sizeof *b);
        float *y0 = malloc(ny * sizeof *y0), *y1 = malloc(ny * sizeof *y1);
        assert_non_null(wt);
        assert_non_null(b);
        assert_non_null(y0);
        assert_non_null(y1);
        for (size_t i = 0; i < nw; i++)
            wt[i] = frand() * 0.05f;
        for (int i = 0; i < cout; i++)
            b[i] = 0.1f * frand();
        vgg_set_tile512(0);
        run(&m, cout, true, 2, wt, b, y0);
        vgg_set_tile512(1);
        run(&m, cout, true, 2, wt, b, y1);
        vgg_set_tile512(-1);
        if (memcmp(y0, y1, ny * sizeof *y0) != 0)
            fail_msg("%d x %dx%d: AVX-512 products give other bits than AVX2", n, h, w);
        free_map(&m);
        free(wt);
        free(b);
        free(y0);
        free(y1);
    }
}

/* ReLU maps a NaN to 0, as cpu-ref does (a NaN bias makes every sum NaN) */
static void relu_maps_nan_to_zero(void **state)
{
    (void)state;
    need_avx2();
    rng = 3u;
    map m = make_map(1, 8, 9, 9, 0.0f);
    float w[10 * 8 * 49], b[10], y[9 * 10], z[9 * 10];
    for (int i = 0; i < 10 * 8 * 49; i++)
        w[i] = frand();
    for (int i = 0; i < 10; i++)
        b[i] = i % 3 == 0 ? NAN : 0.0f;
    run(&m, 10, true, 2, w, b, y);
    run(&m, 10, false, 2, w, b, z);
    for (int r = 0; r < 9; r++)
        for (int o = 0; o < 10; o++) {
            if (o % 3 == 0) {
                assert_true(y[r * 10 + o] == 0.0f && !signbit(y[r * 10 + o]));
                assert_true(isnan(z[r * 10 + o]));
            } else {
                assert_false(isnan(y[r * 10 + o]));
                assert_true(y[r * 10 + o] >= 0.0f);
            }
        }
    free_map(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(agrees_with_double),
        cmocka_unit_test(same_bits_whatever_threads_and_batch),
        cmocka_unit_test(relu_maps_nan_to_zero),
        cmocka_unit_test(avx512_products_give_the_same_bits),
    };
    return tests_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
