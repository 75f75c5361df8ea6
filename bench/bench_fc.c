/* The fully connected product of the "cpu" backend (net/cpu/fc_avx2.c) on
 * its own: y (M, N) = x (M, K) w (N, K)^T at fc6's and fc7's shapes, M the
 * rows of a batch (an image and its flip at Q=256: 16; at Q=384: 120).
 * Per shape: milliseconds (best of --repeat after a warm-up), GFLOP/s and
 * the weights' GB/s, beside the machine's limits (bench_machine).  With
 * --hot the same weights are read again (they stay in the cache when they
 * fit: the kernel's arithmetic alone).
 *
 *   bench_fc [--threads T] [--repeat R] [--shapes MxNxK,...] */
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
    printf("fully connected product (ours), %d threads, best of %d\n", threads, repeat);
    printf("| M | N | K | ms | GFLOP/s | weights GB/s |\n| --- | --- | --- | --- | --- | --- |\n");
    char *list = strdup(shapes);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        int M, N, K;
        if (sscanf(tok, "%dx%dx%d", &M, &N, &K) != 3 || M < 1 || N < 1 || K < 1) {
            fprintf(stderr, "bench_fc: bad shape %s (MxNxK)\n", tok);
            return 2;
        }
        float *w = aligned_alloc(64, ((size_t)N * K * 4 + 63) / 64 * 64);
        float *x = aligned_alloc(64, ((size_t)M * K * 4 + 63) / 64 * 64);
        float *b = malloc((size_t)N * 4), *y = malloc((size_t)M * N * 4);
        const vgg_fc_shape s = {M, N, K, true, threads};
        void *scratch = aligned_alloc(64, (vgg_fc_scratch_bytes(&s) + 63) / 64 * 64);
        if (!w || !x || !b || !y || !scratch) {
            fprintf(stderr, "bench_fc: out of memory at %s\n", tok);
            return 1;
        }
        for (size_t i = 0; i < (size_t)N * K; i++)
            w[i] = (float)((i * 2654435761u) % 1000) * 1e-3f - 0.5f;
        for (size_t i = 0; i < (size_t)M * K; i++)
            x[i] = (float)((i * 40503u) % 1000) * 1e-3f;
        for (int i = 0; i < N; i++)
            b[i] = 0.01f * (float)(i % 7);
        double best = 1e30;
        for (int r = 0; r <= repeat; r++) {
            const double t0 = now_s();
            vgg_fc_run(&s, w, b, x, y, scratch);
            const double t = now_s() - t0;
            if (r > 0 && t < best)
                best = t;
        }
        printf("| %d | %d | %d | %.2f | %.1f | %.2f |\n", M, N, K, best * 1e3,
               2.0 * M * N * K / best * 1e-9, (double)N * K * 4 / best * 1e-9);
        free(w);
        free(x);
        free(b);
        free(y);
        free(scratch);
    }
    free(list);
    return 0;
}
