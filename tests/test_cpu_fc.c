/* The "cpu" backend's own fully connected products (net/cpu/fc_avx2.c),
 * each test run for both, the dot products (VGG_FC_OWN) and the panel
 * product (VGG_FC_PANEL): y = ReLU?(x w^T + bias) against a
 * double-precision product written here (odd M, N and K: K not a multiple
 * of 8, shorter and longer than a chunk and a span; M not a multiple of
 * the tiles' rows, N not of a panel; with and without ReLU and bias),
 * within 1e-5 of the largest reference value; then its bits against a
 * scalar model of the order fc.h promises (the dot products: each chunk's
 * eight lane sums by fmaf in k order, one fixed tree across the lanes,
 * the chunks added in order, then the bias; the panel product: each
 * chunk's sum by fmaf in k order from zero, the chunks added in order,
 * then the bias): equal, bit for bit; and the same bits whatever the number of
 * threads, the rows beside a row (an image alone or in a batch, small or
 * past the 160 rows where the panel product changes its way) or the
 * columns beside a column.  ReLU maps NaN to 0 as cpu-ref does.
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
static vgg_fc_algo algo;   /* the product under test: the test's state */

static void take_algo(void **state)
{
    algo = *(const vgg_fc_algo *)*state;
}

static float frand(void)   /* [-1, 1) */
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static float *floats(size_t n, float scale)
{
    float *p = aligned_alloc(64, (n * sizeof(float) + 63) / 64 * 64);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = frand() * scale;
    return p;
}

static void need_avx2(void)
{
    if (!vgg_fc_supported())
        skip_here("this CPU (or build) has no AVX2 + FMA for the fully connected kernel");
}

/* vgg_fc_run with its own scratch */
static void run(int m, int n, int k, bool relu, int threads, const float *w, const float *b,
                const float *x, float *y)
{
    const vgg_fc_shape s = {m, n, k, relu, threads, algo};
    const size_t bytes = vgg_fc_scratch_bytes(&s);
    void *scratch = aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
    assert_non_null(scratch);
    vgg_fc_run(&s, w, b, x, y, scratch);
    free(scratch);
}

/* The order fc.h promises, in scalar code: for each chunk of VGG_FC_KC,
 * lane l sums x[k] w[k] over its k (k mod 8 == l) in order with fmaf;
 * the lanes are added as (l, l + 4), then (0, 2) and (1, 3), then the two;
 * the chunks' sums are added in order from 0; then the bias; then ReLU. */
static float model_own(const float *x, const float *w, int k, float bias, bool relu)
{
    float y = 0.0f;
    for (int k0 = 0; k0 < k; k0 += VGG_FC_KC) {
        const int end = k - k0 < VGG_FC_KC ? k : k0 + VGG_FC_KC;
        float lane[8] = {0};
        for (int i = k0; i < end; i++)
            lane[(i - k0) % 8] = fmaf(x[i], w[i], lane[(i - k0) % 8]);
        float s4[4];
        for (int l = 0; l < 4; l++)
            s4[l] = lane[l] + lane[l + 4];
        const float s0 = s4[0] + s4[2], s1 = s4[1] + s4[3];
        y += s0 + s1;
    }
    y += bias;
    return relu && !(y > 0.0f) ? 0.0f : y;
}

/* The panel product's order: for each chunk of VGG_FC_KC, its sum from
 * zero by fmaf in k order; the chunks' sums added in order from the first
 * (which is taken as it is); then the bias; then ReLU. */
static float model_panel(const float *x, const float *w, int k, float bias, bool relu)
{
    float y = 0.0f;
    for (int k0 = 0; k0 < k; k0 += VGG_FC_KC) {
        const int end = k - k0 < VGG_FC_KC ? k : k0 + VGG_FC_KC;
        float t = 0.0f;
        for (int i = k0; i < end; i++)
            t = fmaf(x[i], w[i], t);
        y = k0 == 0 ? t : y + t;
    }
    y += bias;
    return relu && !(y > 0.0f) ? 0.0f : y;
}

static float model(const float *x, const float *w, int k, float bias, bool relu)
{
    return algo == VGG_FC_PANEL ? model_panel(x, w, k, bias, relu)
                                : model_own(x, w, k, bias, relu);
}

typedef struct fcase {
    int m, n, k;
    bool relu, bias;
} fcase;

static const fcase cases[] = {
    {1, 1, 1, false, true},      {3, 7, 9, true, true},      {5, 13, 517, false, false},
    {2, 6, 512, true, true},     {17, 50, 1030, true, true}, {16, 37, 4096, false, true},
    {4, 9, 3000, true, false},   {1, 23, 25088, true, true}, {9, 11, 8, false, true},
    {7, 5, 1543, false, true},   {13, 33, 2048, true, true}, {8, 17, 2049, false, true},
    {25, 16, 6151, true, true},  {6, 32, 4096, true, false}, {161, 21, 1100, true, true},
    {200, 33, 2563, false, true},
};
#define N_CASES ((int)(sizeof cases / sizeof cases[0]))

static void agrees_with_double_and_with_the_model(void **state)
{
    take_algo(state);
    need_avx2();
    for (int c = 0; c < N_CASES; c++) {
        const fcase *f = &cases[c];
        rng = 0x9E3779B9u + (uint32_t)c;
        float *x = floats((size_t)f->m * f->k, 1.0f);
        float *w = floats((size_t)f->n * f->k, (float)sqrt(3.0 / f->k));
        float *b = f->bias ? floats((size_t)f->n, 0.5f) : NULL;
        float *y = floats((size_t)f->m * f->n, 0.0f);
        run(f->m, f->n, f->k, f->relu, 2, w, b, x, y);
        double maxref = 0, maxerr = 0;
        int bits_differ = 0;
        for (int i = 0; i < f->m; i++)
            for (int j = 0; j < f->n; j++) {
                double r = 0;
                for (int k = 0; k < f->k; k++)
                    r += (double)x[(size_t)i * f->k + k] * w[(size_t)j * f->k + k];
                r += b ? b[j] : 0.0;
                if (f->relu && !(r > 0))
                    r = 0;
                const float got = y[(size_t)i * f->n + j];
                maxref = fabs(r) > maxref ? fabs(r) : maxref;
                maxerr = fabs(got - r) > maxerr || isnan(got) ? fabs(got - r) : maxerr;
                const float want =
                    model(x + (size_t)i * f->k, w + (size_t)j * f->k, f->k, b ? b[j] : 0.0f,
                          f->relu);
                if (memcmp(&got, &want, sizeof got) != 0) {
                    if (bits_differ++ < 3)
                        print_message("%dx%dx%d (%d, %d): %.9g, the model %.9g\n", f->m, f->n,
                                      f->k, i, j, got, want);
                }
            }
        const double rel = maxref > 0 ? maxerr / maxref : maxerr;
        printf("  %s %3dx%-3dx%-5d relu %d bias %d: max error %.2e of the largest value\n",
               vgg_fc_algo_name(algo), f->m, f->n, f->k, f->relu, f->bias, rel);
        if (!(rel <= 1e-5))
            fail_msg("%dx%dx%d: max error %.3e of the largest value, above 1e-5", f->m, f->n,
                     f->k, rel);
        assert_int_equal(bits_differ, 0);
        free(x);
        free(w);
        free(b);
        free(y);
    }
}

static void same_bits_whatever_threads_rows_and_columns(void **state)
{
    take_algo(state);
    need_avx2();
    const int m = 11, n = 29, k = 1543;
    rng = 12345u;
    float *x = floats((size_t)m * k, 1.0f);
    float *w = floats((size_t)n * k, 0.05f);
    float *b = floats((size_t)n, 0.5f);
    float *y1 = floats((size_t)m * n, 0.0f), *y = floats((size_t)m * n, 0.0f);
    run(m, n, k, true, 1, w, b, x, y1);
    for (int t = 2; t <= 5; t++) {
        run(m, n, k, true, t, w, b, x, y);
        assert_memory_equal(y, y1, sizeof(float) * (size_t)m * n);
    }
    /* each row alone (an image alone, not in a batch) */
    float *row = floats((size_t)n, 0.0f);
    for (int i = 0; i < m; i++) {
        run(1, n, k, true, 2, w, b, x + (size_t)i * k, row);
        assert_memory_equal(row, y1 + (size_t)i * n, sizeof(float) * (size_t)n);
    }
    /* each column alone, and the last columns without the first (other
     * tiles, other tails) */
    float *col = floats((size_t)m, 0.0f);
    for (int j = 0; j < n; j++) {
        run(m, 1, k, true, 3, w + (size_t)j * k, b + j, x, col);
        for (int i = 0; i < m; i++)
            assert_memory_equal(&col[i], &y1[(size_t)i * n + j], sizeof(float));
    }
    /* the same rows in a batch of 170 (the panel product takes another way
     * past 160 rows, with the same bits) */
    const int big = 170;
    float *xbig = floats((size_t)big * k, 1.0f), *ybig = floats((size_t)big * n, 0.0f);
    memcpy(xbig + (size_t)(big - m) * k, x, sizeof(float) * (size_t)m * k);
    run(big, n, k, true, 2, w, b, xbig, ybig);
    assert_memory_equal(ybig + (size_t)(big - m) * n, y1, sizeof(float) * (size_t)m * n);
    free(xbig);
    free(ybig);
    float *part = floats((size_t)m * (n - 3), 0.0f);
    run(m, n - 3, k, true, 2, w + (size_t)3 * k, b + 3, x, part);
    for (int i = 0; i < m; i++)
        assert_memory_equal(part + (size_t)i * (n - 3), y1 + (size_t)i * n + 3,
                            sizeof(float) * (size_t)(n - 3));
    free(x);
    free(w);
    free(b);
    free(y1);
    free(y);
    free(row);
    free(col);
    free(part);
}

static void relu_maps_nan_to_zero(void **state)
{
    take_algo(state);
    need_avx2();
    const int m = 3, n = 4, k = 20;
    rng = 777u;
    float *x = floats((size_t)m * k, 1.0f), *w = floats((size_t)n * k, 1.0f);
    float *y = floats((size_t)m * n, 0.0f);
    x[k + 5] = NAN;   /* row 1 */
    run(m, n, k, true, 2, w, NULL, x, y);
    for (int j = 0; j < n; j++)
        assert_true(y[n + j] == 0.0f && !signbit(y[n + j]));
    run(m, n, k, false, 2, w, NULL, x, y);
    for (int j = 0; j < n; j++) {
        assert_true(isnan(y[n + j]));
        assert_false(isnan(y[j]));
        assert_false(isnan(y[2 * n + j]));
    }
    free(x);
    free(w);
    free(y);
}

/* A product with exact integer values: every sum is exact in fp32. */
static void exact_small_integers(void **state)
{
    take_algo(state);
    need_avx2();
    const int m = 2, n = 3, k = 1000;
    float *x = floats((size_t)m * k, 0.0f), *w = floats((size_t)n * k, 0.0f);
    float b[3] = {1.0f, -2.0f, -1e9f};
    float y[6];
    for (int i = 0; i < k; i++) {
        x[i] = 1.0f;                         /* row 0: ones */
        x[k + i] = (float)(i % 3);           /* row 1: 0 1 2 0 1 2 ... */
        w[i] = 1.0f;                         /* column 0: ones */
        w[k + i] = (float)(i % 2);           /* column 1: 0 1 0 1 ... */
        w[2 * k + i] = 1.0f;                 /* column 2: ones, a bias below zero */
    }
    run(m, n, k, true, 2, w, b, x, y);
    assert_true(y[0] == 1001.0f);            /* 1000 + 1 */
    assert_true(y[1] == 498.0f);             /* 500 - 2 */
    assert_true(y[2] == 0.0f);               /* ReLU */
    assert_true(y[3] == 1000.0f);            /* 333 * (0 + 1 + 2) + 0 (i = 999) + 1 */
    /* column 1 of row 1: sum over odd i of i % 3 = 500 values, 0 1 2 in
     * turn from i = 1 (1, 0, 2, 1, 0, 2, ...): 166 * 3 + 1 + 0 = 499 */
    assert_true(y[4] == 499.0f - 2.0f);
    assert_true(y[5] == 0.0f);
    free(x);
    free(w);
}

/* The panel product's AVX-512 tile (up to 160 rows, 12 outputs by 16 rows
 * a tile, where the CPU has it) gives the bits of its AVX2 tile: every
 * case above, K past a span included. */
static void avx512_tile_gives_the_same_bits(void **state)
{
    (void)state;
    need_avx2();
    if (!vgg_tile512_possible())
        skip_here("this CPU (or its system) has no AVX-512F for the panel product");
    algo = VGG_FC_PANEL;
    for (int c = 0; c < N_CASES; c++) {
        const fcase *f = &cases[c];
        rng = 5u + (uint32_t)c;
        float *x = floats((size_t)f->m * f->k, 1.0f), *w = floats((size_t)f->n * f->k, 0.05f);
        float *b = f->bias ? floats((size_t)f->n, 0.5f) : NULL;
        float *y0 = malloc((size_t)f->m * f->n * sizeof *y0);
        float *y1 = malloc((size_t)f->m * f->n * sizeof *y1);
        assert_non_null(y0);
        assert_non_null(y1);
        vgg_set_tile512(0);
        run(f->m, f->n, f->k, f->relu, 2, w, b, x, y0);
        vgg_set_tile512(1);
        run(f->m, f->n, f->k, f->relu, 2, w, b, x, y1);
        vgg_set_tile512(-1);
        if (memcmp(y0, y1, (size_t)f->m * f->n * sizeof *y0) != 0)
            fail_msg("%dx%dx%d: the AVX-512 tile gives other bits than AVX2's", f->m, f->n,
                     f->k);
        free(x);
        free(w);
        free(b);
        free(y0);
        free(y1);
    }
}

int main(void)
{
    static const vgg_fc_algo own = VGG_FC_OWN, panel = VGG_FC_PANEL;
#define BOTH(f) {"own: " #f, f, NULL, NULL, (void *)&own}, {"panel: " #f, f, NULL, NULL, (void *)&panel}
    const struct CMUnitTest tests[] = {
        BOTH(agrees_with_double_and_with_the_model),
        BOTH(same_bits_whatever_threads_rows_and_columns),
        BOTH(relu_maps_nan_to_zero),
        BOTH(exact_small_integers),
        cmocka_unit_test(avx512_tile_gives_the_same_bits),
    };
    return tests_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
