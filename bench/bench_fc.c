/* The fully connected products of the "cpu" backend (net/cpu/fc_avx2.c) on
 * their own: y (M, N) = x (M, K) w (N, K)^T at fc6's and fc7's shapes, M the
 * rows of a batch (an image and its flip at Q=256: 16; at Q=384: 120).
 * Per shape and product (fc.h: the dot products "own" and the panel
 * product, alternating call by call): milliseconds (best of --repeat
 * after a warm-up), GFLOP/s and the weights' GB/s, beside the machine's
 * limits (bench_machine), and the largest difference between the two.
 *
 * --maps HxW,...: fc6 of VGG (512 -> 4096, 7x7) on pool5 maps of that
 * size, an image and its flip (n = 2): the panel product on the patches
 * (gathered as the chain's im2col does, the gathering timed too) against
 * the Winograd F(2x2, 7x7) on the map (wino7_avx2.c), alternating call by
 * call; effective GFLOP/s are the direct sum's flops over the time; and
 * the relative L2 distance between the two.
 *
 *   bench_fc [--threads T] [--repeat R] [--shapes MxNxK,...] [--maps HxW,...] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fc.h"
#include "wino.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* fc6 on n pool5 maps of h x w: the panel product on gathered patches
 * against the Winograd on the map itself */
static int maps(int threads, int repeat, int h, int w)
{
    const int n = 2, c = 512, cout = 4096, oh = h - 6, ow = w - 6;
    if (oh < 1 || ow < 1) {
        fprintf(stderr, "bench_fc: a map of %dx%d is smaller than fc6's 7x7\n", h, w);
        return 2;
    }
    const int M = n * oh * ow, K = c * 49;
    const size_t nx = (size_t)n * c * h * w;
    float *x = aligned_alloc(64, (nx * 4 + 63) / 64 * 64);   /* nChw8c (c is of 8) */
    float *wt = aligned_alloc(64, ((size_t)cout * K * 4 + 63) / 64 * 64);
    float *col = aligned_alloc(64, ((size_t)M * K * 4 + 63) / 64 * 64);
    float *b = malloc((size_t)cout * 4);
    float *y[3] = {malloc((size_t)M * cout * 4), malloc((size_t)M * cout * 4),
                   malloc((size_t)M * cout * 4)};
    const vgg_fc_shape fs = {M, cout, K, true, threads, VGG_FC_PANEL};
    const vgg_wino7_shape ws = {n, c, h, w, cout, true, threads};
    const size_t sb0 = vgg_fc_scratch_bytes(&fs), sb1 = vgg_wino7_scratch_bytes(&ws);
    void *scratch = aligned_alloc(64, ((sb0 > sb1 ? sb0 : sb1) + 63) / 64 * 64);
    if (!x || !wt || !col || !b || !y[0] || !y[1] || !y[2] || !scratch) {
        fprintf(stderr, "bench_fc: out of memory at %dx%d\n", h, w);
        return 1;
    }
    for (size_t i = 0; i < nx; i++)   /* non-negative, a third zero, as after ReLU */
        x[i] = (float)((i * 40503u) % 1000) * 1.5e-3f - 0.5f > 0.0f
                   ? (float)((i * 40503u) % 1000) * 1.5e-3f - 0.5f
                   : 0.0f;
    for (size_t i = 0; i < (size_t)cout * K; i++)
        wt[i] = ((float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f) * 0.02f;
    for (int i = 0; i < cout; i++)
        b[i] = 0.01f * (float)(i % 7);
    /* the Winograd's products on AVX2 and, where the CPU has it, AVX-512 */
    const int wide = vgg_tile512_possible(), algos = wide ? 3 : 2;
    double best[3] = {1e30, 1e30, 1e30};
    for (int r = 0; r <= repeat; r++)
        for (int a = 0; a < algos; a++) {
            const double t0 = now_s();
            if (a == 0) {
                /* the chain's im2col from NCHW, here from nChw8c: the same bytes */
#pragma omp parallel for collapse(2) num_threads(threads)
                for (int i = 0; i < n; i++)
                    for (int oy = 0; oy < oh; oy++)
                        for (int ox = 0; ox < ow; ox++) {
                            float *row = col + (((size_t)i * oh + oy) * ow + ox) * K;
                            for (int ch = 0; ch < c; ch++)
                                for (int ky = 0; ky < 7; ky++)
                                    for (int kx = 0; kx < 7; kx++)
                                        row[(ch * 7 + ky) * 7 + kx] =
                                            x[((((size_t)i * (c / 8) + ch / 8) * h + oy + ky) * w +
                                               ox + kx) *
                                                  8 +
                                              ch % 8];
                        }
                vgg_fc_run(&fs, wt, b, col, y[0], scratch);
            } else {
                vgg_set_tile512(a == 2);
                vgg_wino7_run(&ws, wt, b, x, y[a], scratch);
                vgg_set_tile512(-1);
            }
            const double t = now_s() - t0;
            if (r > 0 && t < best[a])
                best[a] = t;
        }
    double num = 0, den = 0;
    for (size_t i = 0; i < (size_t)M * cout; i++) {
        const double d = (double)y[1][i] - y[0][i];
        num += d * d;
        den += (double)y[0][i] * y[0][i];
    }
    const double flops = 2.0 * M * cout * K;
    printf("| %dx%d | %d | panel (+ patches) | %.1f | %.1f | |\n", h, w, M, best[0] * 1e3,
           flops / best[0] * 1e-9);
    printf("| %dx%d | %d | wino7%s | %.1f | %.1f | %.2fx |\n", h, w, M, wide ? " (AVX2)" : "",
           best[1] * 1e3, flops / best[1] * 1e-9, best[0] / best[1]);
    if (wide)
        printf("| %dx%d | %d | wino7 (AVX-512) | %.1f | %.1f | %.2fx |\n", h, w, M,
               best[2] * 1e3, flops / best[2] * 1e-9, best[0] / best[2]);
    printf("  (wino7 against the panel: relative L2 %.2e", den > 0 ? sqrt(num / den) : 0.0);
    if (wide)
        printf("; AVX-512 and AVX2 %s", memcmp(y[1], y[2], (size_t)M * cout * 4) == 0
                                             ? "the same bits"
                                             : "DIFFER");
    printf(")\n");
    free(x);
    free(wt);
    free(col);
    free(b);
    free(y[0]);
    free(y[1]);
    free(y[2]);
    free(scratch);
    return 0;
}

int main(int argc, char **argv)
{
    int threads = 2, repeat = 5;
    const char *shapes = "16x4096x25088,16x4096x4096,120x4096x25088,120x4096x4096,2x4096x25088";
    const char *map_list = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shapes") && i + 1 < argc)
            shapes = argv[++i];
        else if (!strcmp(argv[i], "--maps") && i + 1 < argc)
            map_list = argv[++i];
        else {
            fprintf(stderr, "usage: bench_fc [--threads T] [--repeat R] [--shapes MxNxK,...] "
                            "[--maps HxW,...]\n");
            return 2;
        }
    }
    if (!vgg_fc_supported()) {
        printf("bench_fc: this CPU has no AVX2 + FMA: nothing to measure\n");
        return 0;
    }
    if (map_list) {
        printf("fc6 (512 -> 4096, 7x7) on pool5 maps, an image and its flip, %d threads, best of "
               "%d\n| map | rows | product | ms | effective GFLOP/s | speed-up |\n"
               "| --- | --- | --- | --- | --- | --- |\n",
               threads, repeat);
        char *ml = strdup(map_list);
        int rc = 0;
        for (char *tok = strtok(ml, ","); tok && rc == 0; tok = strtok(NULL, ",")) {
            int h, w;
            if (sscanf(tok, "%dx%d", &h, &w) != 2) {
                fprintf(stderr, "bench_fc: bad map %s (HxW)\n", tok);
                rc = 2;
            } else {
                rc = maps(threads, repeat, h, w);
            }
        }
        free(ml);
        return rc;
    }
    printf("fully connected products (ours), %d threads, best of %d\n", threads, repeat);
    printf("| M | N | K | product | ms | GFLOP/s | weights GB/s |\n"
           "| --- | --- | --- | --- | --- | --- | --- |\n");
    char *list = strdup(shapes);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        int M, N, K;
        if (sscanf(tok, "%dx%dx%d", &M, &N, &K) != 3 || M < 1 || N < 1 || K < 1) {
            fprintf(stderr, "bench_fc: bad shape %s (MxNxK)\n", tok);
            return 2;
        }
        float *w = aligned_alloc(64, ((size_t)N * K * 4 + 63) / 64 * 64);
        float *x = aligned_alloc(64, ((size_t)M * K * 4 + 63) / 64 * 64);
        float *b = malloc((size_t)N * 4);
        float *y[3] = {malloc((size_t)M * N * 4), malloc((size_t)M * N * 4),
                       malloc((size_t)M * N * 4)};
        const vgg_fc_shape s[2] = {{M, N, K, true, threads, VGG_FC_OWN},
                                   {M, N, K, true, threads, VGG_FC_PANEL}};
        const size_t sb0 = vgg_fc_scratch_bytes(&s[0]), sb1 = vgg_fc_scratch_bytes(&s[1]);
        void *scratch = aligned_alloc(64, ((sb0 > sb1 ? sb0 : sb1) + 63) / 64 * 64);
        if (!w || !x || !b || !y[0] || !y[1] || !y[2] || !scratch) {
            fprintf(stderr, "bench_fc: out of memory at %s\n", tok);
            return 1;
        }
        for (size_t i = 0; i < (size_t)N * K; i++)
            w[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
        for (size_t i = 0; i < (size_t)M * K; i++)
            x[i] = (float)((i * 40503u) % 1000) * 1e-3f;
        for (int i = 0; i < N; i++)
            b[i] = 0.01f * (float)(i % 7);
        /* the panel product's AVX-512 tile (up to 160 rows) beside its
         * AVX2 one where the CPU has it */
        const int wide = vgg_tile512_possible() && M <= 160, algos = wide ? 3 : 2;
        double best[3] = {1e30, 1e30, 1e30};
        for (int r = 0; r <= repeat; r++)
            for (int a = 0; a < algos; a++) {
                vgg_set_tile512(a == 2);
                const double t0 = now_s();
                vgg_fc_run(&s[a < 2 ? a : 1], w, b, x, y[a], scratch);
                const double t = now_s() - t0;
                vgg_set_tile512(-1);
                if (r > 0 && t < best[a])
                    best[a] = t;
            }
        double diff = 0, big = 0;
        for (size_t i = 0; i < (size_t)M * N; i++) {
            const double d = fabs((double)y[0][i] - y[1][i]), v = fabs((double)y[0][i]);
            diff = d > diff ? d : diff;
            big = v > big ? v : big;
        }
        for (int a = 0; a < algos; a++)
            printf("| %d | %d | %d | %s%s | %.2f | %.1f | %.2f |\n", M, N, K,
                   vgg_fc_algo_name(s[a < 2 ? a : 1].algo),
                   a == 2 ? " (AVX-512)" : a == 1 && wide ? " (AVX2)" : "", best[a] * 1e3,
                   2.0 * M * N * K / best[a] * 1e-9, (double)N * K * 4 / best[a] * 1e-9);
        printf("  (the two differ by at most %.2e of the largest output",
               big > 0 ? diff / big : diff);
        if (wide)
            printf("; the panel's AVX-512 and AVX2 tiles %s",
                   memcmp(y[1], y[2], (size_t)M * N * 4) == 0 ? "the same bits" : "DIFFER");
        printf(")\n");
        free(w);
        free(x);
        free(b);
        free(y[0]);
        free(y[1]);
        free(y[2]);
        free(scratch);
    }
    free(list);
    return 0;
}
