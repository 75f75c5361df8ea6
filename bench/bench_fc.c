/* The fully connected products of the "cpu" backend (net/cpu/fc_avx2.c) on
 * their own: y (M, N) = x (M, K) w (N, K)^T at fc6's and fc7's shapes, M the
 * rows of a batch (an image and its flip at Q=256: 16; at Q=384: 120).
 * Per shape and product (fc.h: the dot products "own" and the panel
 * product, alternating call by call): milliseconds (best of --repeat
 * after a warm-up), GFLOP/s and the weights' GB/s, beside the machine's
 * limits (bench_machine), and the largest difference between the two.
 *
 *   bench_fc [--threads T] [--repeat R] [--shapes MxNxK,...] */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fc.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    int threads = 2, repeat = 5;
    const char *shapes = "16x4096x25088,16x4096x4096,120x4096x25088,120x4096x4096,2x4096x25088";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shapes") && i + 1 < argc)
            shapes = argv[++i];
        else {
            fprintf(stderr, "usage: bench_fc [--threads T] [--repeat R] [--shapes MxNxK,...]\n");
            return 2;
        }
    }
    if (!vgg_fc_supported()) {
        printf("bench_fc: this CPU has no AVX2 + FMA: nothing to measure\n");
        return 0;
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
        float *y[2] = {malloc((size_t)M * N * 4), malloc((size_t)M * N * 4)};
        const vgg_fc_shape s[2] = {{M, N, K, true, threads, VGG_FC_OWN},
                                   {M, N, K, true, threads, VGG_FC_PANEL}};
        const size_t sb0 = vgg_fc_scratch_bytes(&s[0]), sb1 = vgg_fc_scratch_bytes(&s[1]);
        void *scratch = aligned_alloc(64, ((sb0 > sb1 ? sb0 : sb1) + 63) / 64 * 64);
        if (!w || !x || !b || !y[0] || !y[1] || !scratch) {
            fprintf(stderr, "bench_fc: out of memory at %s\n", tok);
            return 1;
        }
        for (size_t i = 0; i < (size_t)N * K; i++)
            w[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
        for (size_t i = 0; i < (size_t)M * K; i++)
            x[i] = (float)((i * 40503u) % 1000) * 1e-3f;
        for (int i = 0; i < N; i++)
            b[i] = 0.01f * (float)(i % 7);
        double best[2] = {1e30, 1e30};
        for (int r = 0; r <= repeat; r++)
            for (int a = 0; a < 2; a++) {
                const double t0 = now_s();
                vgg_fc_run(&s[a], w, b, x, y[a], scratch);
                const double t = now_s() - t0;
                if (r > 0 && t < best[a])
                    best[a] = t;
            }
        double diff = 0, big = 0;
        for (size_t i = 0; i < (size_t)M * N; i++) {
            const double d = fabs((double)y[0][i] - y[1][i]), v = fabs((double)y[0][i]);
            diff = d > diff ? d : diff;
            big = v > big ? v : big;
        }
        for (int a = 0; a < 2; a++)
            printf("| %d | %d | %d | %s | %.2f | %.1f | %.2f |\n", M, N, K,
                   vgg_fc_algo_name(s[a].algo), best[a] * 1e3,
                   2.0 * M * N * K / best[a] * 1e-9, (double)N * K * 4 / best[a] * 1e-9);
        printf("  (the two differ by at most %.2e of the largest output)\n",
               big > 0 ? diff / big : diff);
        free(w);
        free(x);
        free(b);
        free(y[0]);
        free(y[1]);
        free(scratch);
    }
    free(list);
    return 0;
}
