/* The register tile of our AVX2 matrix products (wino_avx2.c's Winograd
 * points, wino7_avx2.c's): 6 rows by 16 columns, twelve vectors of sums;
 * the 8x8 transpose of fc_avx2.c's panels and wino7_avx2.c's weights; and
 * the threads' even split of their items.
 * Include only from files compiled with -mavx2 -mfma. */
#ifndef VGG_NET_GEMM_AVX2_H
#define VGG_NET_GEMM_AVX2_H

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VGG_MR 6
#define VGG_NR 16

/* One partial sum: 6 x 16 over nb8 blocks of 8 k, then stored (first)
 * or added to what the earlier partial sums left in cm.  a: [nb8][6][8]
 * (six rows' eight k side by side); b: [8 * nb8][16]; cm: 6 rows of ldc.
 * Each lane's sum runs over k in order, one fused multiply-add each. */
static inline __attribute__((always_inline)) void
vgg_partial_6x16(const float *a, const float *b, float *cm, size_t ldc, int nb8, bool first)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (int k = 0; k < nb8; k++, a += VGG_MR * 8, b += 8 * VGG_NR) {
#pragma GCC unroll 8
        for (int kk = 0; kk < 8; kk++) {
            const __m256 b0 = _mm256_load_ps(b + kk * VGG_NR);
            const __m256 b1 = _mm256_load_ps(b + kk * VGG_NR + 8);
            __m256 a0 = _mm256_broadcast_ss(a + kk), a1 = _mm256_broadcast_ss(a + 8 + kk);
            c00 = _mm256_fmadd_ps(a0, b0, c00);
            c01 = _mm256_fmadd_ps(a0, b1, c01);
            c10 = _mm256_fmadd_ps(a1, b0, c10);
            c11 = _mm256_fmadd_ps(a1, b1, c11);
            a0 = _mm256_broadcast_ss(a + 16 + kk);
            a1 = _mm256_broadcast_ss(a + 24 + kk);
            c20 = _mm256_fmadd_ps(a0, b0, c20);
            c21 = _mm256_fmadd_ps(a0, b1, c21);
            c30 = _mm256_fmadd_ps(a1, b0, c30);
            c31 = _mm256_fmadd_ps(a1, b1, c31);
            a0 = _mm256_broadcast_ss(a + 32 + kk);
            a1 = _mm256_broadcast_ss(a + 40 + kk);
            c40 = _mm256_fmadd_ps(a0, b0, c40);
            c41 = _mm256_fmadd_ps(a0, b1, c41);
            c50 = _mm256_fmadd_ps(a1, b0, c50);
            c51 = _mm256_fmadd_ps(a1, b1, c51);
        }
    }
#define OUT_ROW(i, x0, x1)                                                                         \
    do {                                                                                           \
        float *r_ = cm + (size_t)(i) * ldc;                                                        \
        if (first) {                                                                               \
            _mm256_store_ps(r_, x0);                                                               \
            _mm256_store_ps(r_ + 8, x1);                                                           \
        } else {                                                                                   \
            _mm256_store_ps(r_, _mm256_add_ps(_mm256_load_ps(r_), x0));                            \
            _mm256_store_ps(r_ + 8, _mm256_add_ps(_mm256_load_ps(r_ + 8), x1));                    \
        }                                                                                          \
    } while (0)
    OUT_ROW(0, c00, c01);
    OUT_ROW(1, c10, c11);
    OUT_ROW(2, c20, c21);
    OUT_ROW(3, c30, c31);
    OUT_ROW(4, c40, c41);
    OUT_ROW(5, c50, c51);
#undef OUT_ROW
}

/* The same products on AVX-512 (functions marked VGG_TARGET512, called
 * only where vgg_tile512() says so, wino.h): g groups of 6 rows by np
 * panels of 16 columns (g x np at most 4, constants where it is inlined:
 * 24 sixteen-lane sums in registers), group q's a at a + q * as, panel
 * p's b at b + p * bs, the sums of group q and panel p at cm + q * cs +
 * p * 16 (rows ldc apart).  Each row of a panel is loaded once for the
 * g groups, each value of a broadcast once for the np panels.  Every
 * lane's sum runs over k in the same order, one fused multiply-add each,
 * and is stored or added as vgg_partial_6x16 does: the same bits as g x
 * np of its calls. */
#define VGG_TARGET512 __attribute__((target("avx512f,avx2,fma")))

static inline __attribute__((always_inline)) VGG_TARGET512 void
vgg_partial_512(const float *a, size_t as, const float *b, size_t bs, float *cm, size_t cs,
                size_t ldc, int nb8, bool first, const int g, const int np)
{
    __m512 c[4][VGG_MR][4];
#pragma GCC unroll 4
    for (int q = 0; q < g; q++)
#pragma GCC unroll 6
        for (int i = 0; i < VGG_MR; i++)
#pragma GCC unroll 4
            for (int p = 0; p < np; p++)
                c[q][i][p] = _mm512_setzero_ps();
    for (int k = 0; k < nb8; k++, a += VGG_MR * 8, b += 8 * VGG_NR) {
#pragma GCC unroll 8
        for (int kk = 0; kk < 8; kk++) {
            __m512 bv[4];
#pragma GCC unroll 4
            for (int p = 0; p < np; p++)
                bv[p] = _mm512_loadu_ps(b + p * bs + kk * VGG_NR);
#pragma GCC unroll 4
            for (int q = 0; q < g; q++)
#pragma GCC unroll 6
                for (int i = 0; i < VGG_MR; i++) {
                    const __m512 av = _mm512_set1_ps(a[q * as + i * 8 + kk]);
#pragma GCC unroll 4
                    for (int p = 0; p < np; p++)
                        c[q][i][p] = _mm512_fmadd_ps(av, bv[p], c[q][i][p]);
                }
        }
    }
#pragma GCC unroll 4
    for (int q = 0; q < g; q++)
#pragma GCC unroll 6
        for (int i = 0; i < VGG_MR; i++)
#pragma GCC unroll 4
            for (int p = 0; p < np; p++) {
                float *r = cm + q * cs + (size_t)i * ldc + p * VGG_NR;
                _mm512_storeu_ps(r, first ? c[q][i][p]
                                          : _mm512_add_ps(_mm512_loadu_ps(r), c[q][i][p]));
            }
}

/* The upper eight lanes of v (AVX-512F alone: no AVX512-DQ) */
static inline __attribute__((always_inline)) VGG_TARGET512 __m256 vgg_hi256(__m512 v)
{
    return _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
}

/* v's two halves, sixteen channels of a pixel, into their two nChw8c
 * planes: the lower into lo, the upper into hi (none where hi is NULL) */
static inline __attribute__((always_inline)) VGG_TARGET512 void
vgg_put2_512(float *lo, float *hi, __m512 v)
{
    _mm256_storeu_ps(lo, _mm512_castps512_ps256(v));
    if (hi)
        _mm256_storeu_ps(hi, vgg_hi256(v));
}

/* r[i], row i of an 8x8 block, becomes its column i */
static inline void vgg_transpose8(__m256 r[8])
{
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
    r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
    r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
    r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
    r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
    r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
    r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
    r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

/* Thread t of nt's share of n items: [*a, *b), the shares in order and
 * within one of each other. */
static inline void vgg_share(int n, int t, int nt, int *a, int *b)
{
    *a = (int)((int64_t)n * t / nt);
    *b = (int)((int64_t)n * (t + 1) / nt);
}

#endif
