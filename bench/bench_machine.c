/* The machine's own limits, which the CPU benchmarks are measured against:
 * the FMA peak of its cores (AVX-512F, else AVX2 + FMA where the CPU has
 * them, else SSE2 multiply-adds; where AVX-512 is the peak, AVX2's is
 * printed beside it, and AVX512-BF16's and AVX512-VNNI's dot products
 * where the CPU has them)
 * and its memory bandwidth (STREAM-like read, copy and triad over arrays
 * far larger than the caches), with 1 and N threads.
 *
 *   bench_machine [--threads N] [--mb M] [--repeat R]
 *
 * FMA peak: each thread runs 12 independent chains of 16- or 8-lane fused
 * multiply-adds (enough to cover the FMA latency on both pipes), counted
 * as 2 flops per lane; the clock is the peak divided by the flops a cycle
 * allows (2 pipes x 16 lanes x 2 = 64 a core on AVX-512, 32 on AVX2),
 * printed as a check: a core with one AVX-512 pipe shows half its clock.
 * bf16: the same with vdpbf16ps (a lane adds two bf16 products to its
 * fp32 sum: 4 flops), the rate that --precision bf16's convolutions can
 * reach on AVX512-BF16 without AMX.  int8: vpdpbusd (a lane adds four
 * u8 x s8 products to its s32 sum: 8 ops), the rate of --precision int8's
 * products (bench_cpu --vnni).
 * Bandwidth: each thread owns its slice of each array (first touched by
 * that thread); read = one array summed, copy = a[i] = b[i] (bytes read
 * plus written), triad = a[i] = b[i] + s c[i] (STREAM's counting).  Best
 * of --repeat passes.  Never part of the tests. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#define MAX_THREADS 64

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- the FMA peak ---- */

static volatile float sink;

#ifdef HAVE_X86
__attribute__((target("avx2,fma"))) static double fma_loop(long iters)
{
    const __m256 m = _mm256_set1_ps(0.999999f), c = _mm256_set1_ps(1e-7f);
    __m256 a0 = _mm256_set1_ps(0.f), a1 = _mm256_set1_ps(1.f), a2 = _mm256_set1_ps(2.f),
           a3 = _mm256_set1_ps(3.f), a4 = _mm256_set1_ps(4.f), a5 = _mm256_set1_ps(5.f),
           a6 = _mm256_set1_ps(6.f), a7 = _mm256_set1_ps(7.f), a8 = _mm256_set1_ps(8.f),
           a9 = _mm256_set1_ps(9.f), a10 = _mm256_set1_ps(10.f), a11 = _mm256_set1_ps(11.f);
    /* 12 chains in registers: with a 4-cycle latency and 2 pipes, 8 are
     * needed */
    for (long it = 0; it < iters; it++) {
        a0 = _mm256_fmadd_ps(a0, m, c);
        a1 = _mm256_fmadd_ps(a1, m, c);
        a2 = _mm256_fmadd_ps(a2, m, c);
        a3 = _mm256_fmadd_ps(a3, m, c);
        a4 = _mm256_fmadd_ps(a4, m, c);
        a5 = _mm256_fmadd_ps(a5, m, c);
        a6 = _mm256_fmadd_ps(a6, m, c);
        a7 = _mm256_fmadd_ps(a7, m, c);
        a8 = _mm256_fmadd_ps(a8, m, c);
        a9 = _mm256_fmadd_ps(a9, m, c);
        a10 = _mm256_fmadd_ps(a10, m, c);
        a11 = _mm256_fmadd_ps(a11, m, c);
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)),
                             _mm256_add_ps(_mm256_add_ps(a4, a5), _mm256_add_ps(a6, a7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(a8, a9), _mm256_add_ps(a10, a11)));
    float out[8];
    _mm256_storeu_ps(out, s);
    sink = out[0];
    return (double)iters * 12 * 8 * 2;
}

/* the same on AVX-512: 12 chains of 16-lane fused multiply-adds */
__attribute__((target("avx512f"))) static double fma512_loop(long iters)
{
    const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
    __m512 a[12];
    for (int i = 0; i < 12; i++)
        a[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            a[i] = _mm512_fmadd_ps(a[i], m, c);
    }
    __m512 s = a[0];
    for (int i = 1; i < 12; i++)
        s = _mm512_add_ps(s, a[i]);
    sink = _mm512_reduce_add_ps(s);
    return (double)iters * 12 * 16 * 2;
}

/* AVX512-BF16's dot product (vdpbf16ps): 12 chains, each instruction 16
 * fp32 lanes of two bf16 products added, counted as 4 flops a lane */
__attribute__((target("avx512f,avx512bf16"))) static double bf16_loop(long iters)
{
    const __m512bh m = (__m512bh)_mm512_set1_epi16(0x3f80), c = (__m512bh)_mm512_set1_epi16(0x3380);
    __m512 a[12];
    for (int i = 0; i < 12; i++)
        a[i] = _mm512_set1_ps((float)i);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            a[i] = _mm512_dpbf16_ps(a[i], m, c);
    }
    __m512 s = a[0];
    for (int i = 1; i < 12; i++)
        s = _mm512_add_ps(s, a[i]);
    sink = _mm512_reduce_add_ps(s);
    return (double)iters * 12 * 16 * 4;
}

/* AVX512-VNNI's dot product (vpdpbusd): 12 chains, each instruction 16
 * s32 lanes of four u8 x s8 products added, counted as 8 ops a lane (a
 * multiply and an add each), the rate of --precision int8's products */
__attribute__((target("avx512f,avx512vnni"))) static double vnni_loop(long iters)
{
    const __m512i m = _mm512_set1_epi8(1), c = _mm512_set1_epi8(-1);
    __m512i a[12];
    for (int i = 0; i < 12; i++)
        a[i] = _mm512_set1_epi32(i);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < 12; i++)
            a[i] = _mm512_dpbusd_epi32(a[i], m, c);
    }
    __m512i s = a[0];
    for (int i = 1; i < 12; i++)
        s = _mm512_add_epi32(s, a[i]);
    sink = (float)_mm512_reduce_add_epi32(s);
    return (double)iters * 12 * 16 * 8;
}

/* the sum of n floats (n a multiple of 32), 4 vectors in flight */
__attribute__((target("avx2"))) static double read_avx2(const float *b, size_t n)
{
    __m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i + 32 <= n; i += 32) {
        s0 = _mm256_add_ps(s0, _mm256_load_ps(b + i));
        s1 = _mm256_add_ps(s1, _mm256_load_ps(b + i + 8));
        s2 = _mm256_add_ps(s2, _mm256_load_ps(b + i + 16));
        s3 = _mm256_add_ps(s3, _mm256_load_ps(b + i + 24));
    }
    float out[8];
    _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3)));
    return out[0] + out[7];
}
#endif

static double mul_add_loop(long iters)   /* SSE2 without FMA: 4 lanes, mul + add */
{
    float a[12][4];
    for (int i = 0; i < 12; i++)
        for (int j = 0; j < 4; j++)
            a[i][j] = (float)(i + j);
    for (long it = 0; it < iters; it++)
        for (int i = 0; i < 12; i++)
            for (int j = 0; j < 4; j++)
                a[i][j] = a[i][j] * 0.999999f + 1e-7f;
    sink = a[0][0];
    return (double)iters * 12 * 4 * 2;
}

static int have_fma(void)
{
#ifdef HAVE_X86
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

static int have_avx512(void)
{
#ifdef HAVE_X86
    __builtin_cpu_init();
    return have_fma() && __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}

static int have_vnni(void)
{
#ifdef HAVE_X86
    __builtin_cpu_init();
    return have_avx512() && __builtin_cpu_supports("avx512vnni");
#else
    return 0;
#endif
}

static int have_bf16(void)
{
#ifdef HAVE_X86
    __builtin_cpu_init();
    return have_avx512() && __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

typedef struct job {
    int kind;          /* 0 fma, 1 read, 2 copy, 3 triad, 4 AVX-512 fma, 5 bf16 dot,
                        * 6 int8 dot */
    long iters;
    float *a, *b, *c;
    size_t n;          /* floats of this thread's slice */
    double flops, sum;
    pthread_barrier_t *bar;
    double t0, t1;
} job;

static void run_kind(job *j)
{
    if (j->kind >= 4) {
#ifdef HAVE_X86
        j->flops = j->kind == 4   ? fma512_loop(j->iters)
                   : j->kind == 5 ? bf16_loop(j->iters)
                                  : vnni_loop(j->iters);
#endif
        return;
    }
    if (j->kind == 0) {
#ifdef HAVE_X86
        if (have_fma()) {
            j->flops = fma_loop(j->iters);
            return;
        }
#endif
        j->flops = mul_add_loop(j->iters);
    } else if (j->kind == 1) {
#ifdef HAVE_X86
        if (have_fma()) {
            j->sum = read_avx2(j->b, j->n);
            return;
        }
#endif
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        const float *b = j->b;
        for (size_t i = 0; i + 4 <= j->n; i += 4) {
            s0 += b[i];
            s1 += b[i + 1];
            s2 += b[i + 2];
            s3 += b[i + 3];
        }
        j->sum = s0 + s1 + s2 + s3;
    } else if (j->kind == 2) {
        memcpy(j->a, j->b, j->n * sizeof(float));
    } else {
        for (size_t i = 0; i < j->n; i++)
            j->a[i] = j->b[i] + 3.0f * j->c[i];
    }
}

static void *thread_main(void *arg)
{
    job *j = arg;
    pthread_barrier_wait(j->bar);
    j->t0 = now();
    run_kind(j);
    j->t1 = now();
    pthread_barrier_wait(j->bar);
    return NULL;
}

static void *first_touch(void *arg)
{
    job *j = arg;
    for (size_t i = 0; i < j->n; i++) {
        j->a[i] = 1.0f;
        j->b[i] = 2.0f;
        j->c[i] = 0.5f;
    }
    return NULL;
}

/* Run kind on t threads; seconds from the first start to the last end. */
static double run(job *jobs, int t, pthread_barrier_t *bar)
{
    pthread_t tid[MAX_THREADS];
    for (int i = 0; i < t; i++) {
        jobs[i].bar = bar;
        pthread_create(&tid[i], NULL, thread_main, &jobs[i]);
    }
    for (int i = 0; i < t; i++)
        pthread_join(tid[i], NULL);
    double t0 = jobs[0].t0, t1 = jobs[0].t1;
    for (int i = 1; i < t; i++) {
        t0 = jobs[i].t0 < t0 ? jobs[i].t0 : t0;
        t1 = jobs[i].t1 > t1 ? jobs[i].t1 : t1;
    }
    return t1 - t0;
}

int main(int argc, char **argv)
{
    int threads = 2, repeat = 5;
    long mb = 512;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--mb") == 0 && i + 1 < argc)
            mb = atol(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_machine [--threads N] [--mb M] [--repeat R]\n");
            return 2;
        }
    }
    if (threads < 1 || threads > MAX_THREADS || mb < 16 || repeat < 1) {
        fprintf(stderr, "bench_machine: bad arguments\n");
        return 2;
    }
    const int fma = have_fma();
    printf("machine limits, best of %d: %s\n", repeat,
           have_avx512() ? "AVX-512F (16 lanes, 2 flops a lane)"
           : fma         ? "AVX2 + FMA (8 lanes, 2 flops a lane)"
                         : "no AVX2/FMA: SSE2 mul + add");
    int counts[2] = {1, threads};
    /* the widest FMA first: its lines are the machine's "FMA peak" (the
     * tables' %peak); AVX2's, bf16's and int8's dot products beside it */
    const int kinds[4] = {have_avx512() ? 4 : 0, have_avx512() ? 0 : -1, have_bf16() ? 5 : -1,
                          have_vnni() ? 6 : -1};
    for (int ki = 0; ki < 4; ki++) {
        const int kind = kinds[ki];
        if (kind < 0)
            continue;
        for (int ci = 0; ci < (threads > 1 ? 2 : 1); ci++) {
            const int t = counts[ci];
            job jobs[MAX_THREADS];
            pthread_barrier_t bar;
            pthread_barrier_init(&bar, NULL, (unsigned)t);
            double best = 0;
            for (int r = 0; r < repeat; r++) {
                for (int i = 0; i < t; i++)
                    jobs[i] = (job){.kind = kind, .iters = 100000000 / 4};
                double s = run(jobs, t, &bar);
                double flops = 0;
                for (int i = 0; i < t; i++)
                    flops += jobs[i].flops;
                best = flops / s > best ? flops / s : best;
            }
            pthread_barrier_destroy(&bar);
            const char *what = ki == 0     ? "FMA peak"
                               : kind == 0 ? "AVX2 FMA"
                               : kind == 5 ? "bf16 dot (vdpbf16ps)"
                                           : "int8 dot (vpdpbusd)";
            printf("  %s, %d thread%s: %.1f %s", what, t, t > 1 ? "s" : "", best * 1e-9,
                   kind == 6 ? "GOP/s" : "GFLOP/s");
            if (kind == 4)
                printf("  (%.2f GHz a core at 64 flops a cycle, 2 pipes)", best * 1e-9 / 64 / t);
            else if (kind == 0 && fma)
                printf("  (%.2f GHz a core at 32 flops a cycle)", best * 1e-9 / 32 / t);
            else if (kind == 5)
                printf("  (%.2f GHz a core at 128 flops a cycle, 2 pipes)", best * 1e-9 / 128 / t);
            else if (kind == 6)
                printf("  (%.2f GHz a core at 256 ops a cycle, 2 pipes)", best * 1e-9 / 256 / t);
            printf("\n");
        }
    }
    /* memory: three arrays of mb MB each */
    const size_t n = (size_t)mb << 18;   /* floats */
    float *a = aligned_alloc(4096, n * 4), *b = aligned_alloc(4096, n * 4),
          *c = aligned_alloc(4096, n * 4);
    if (!a || !b || !c) {
        fprintf(stderr, "bench_machine: out of memory for 3 x %ld MB\n", mb);
        return 1;
    }
    static const char *names[4] = {"", "read", "copy", "triad"};
    static const double bytes_per[4] = {0, 4, 8, 12};
    for (int ci = 0; ci < (threads > 1 ? 2 : 1); ci++) {
        const int t = counts[ci];
        job jobs[MAX_THREADS];
        pthread_t tid[MAX_THREADS];
        for (int i = 0; i < t; i++) {
            size_t b0 = n * i / t / 32 * 32, b1 = n * (i + 1) / t / 32 * 32;
            jobs[i] = (job){.a = a + b0, .b = b + b0, .c = c + b0, .n = b1 - b0};
            pthread_create(&tid[i], NULL, first_touch, &jobs[i]);
        }
        for (int i = 0; i < t; i++)
            pthread_join(tid[i], NULL);
        printf("  memory, %d thread%s, 3 arrays of %ld MB:", t, t > 1 ? "s" : "", mb);
        for (int kind = 1; kind <= 3; kind++) {
            pthread_barrier_t bar;
            pthread_barrier_init(&bar, NULL, (unsigned)t);
            double best = 0;
            for (int r = 0; r < repeat; r++) {
                for (int i = 0; i < t; i++)
                    jobs[i].kind = kind;
                double s = run(jobs, t, &bar);
                double gbs = bytes_per[kind] * (double)n / s * 1e-9;
                best = gbs > best ? gbs : best;
            }
            pthread_barrier_destroy(&bar);
            printf("  %s %.1f GB/s", names[kind], best);
        }
        printf("\n");
    }
    free(a);
    free(b);
    free(c);
    return 0;
}
