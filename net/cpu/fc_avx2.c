/* Fully connected layers with AVX2 and FMA (see fc.h).  This file is
 * compiled with -mavx2 -mfma (net/CMakeLists.txt); nothing in it runs
 * unless vgg_fc_supported() (fc.c, compiled for any x86-64) said yes.
 *
 * x is packed first (scratch), in blocks of MR rows interleaved by eight
 * lanes.  Then a thread owns a contiguous range of output columns (rows
 * of w), and walks K in spans of FC_SPAN: for each block of NR of its
 * columns, each chunk of VGG_FC_KC in the span, each block of x's rows,
 * MR x NR eight-lane sums in registers over the chunk, then each summed
 * across its lanes and added to the output's running sum (kept in y).
 * The chunk of w (NR x 2 KB) is read from memory by the first block of
 * rows and from the L1 cache by the others; the packed x of a span stays
 * in L2.  Tried and left out, on the Zen 3: tiles of 4 x 3 and 3 x 4
 * (slower), software prefetch of the next chunk (slower than the
 * hardware's), chunks of 256 (more lane sums, no faster). */
#include "fc.h"

#include <omp.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

/* the register tile: MR rows of x by NR rows of w (12 sums, 2 rows of
 * x and one row of w in registers: 15 of the 16) */
#define MR 2
#define NR 6

const bool vgg_fc_compiled = true;

/* The sum of v's eight lanes, by one fixed tree. */
static inline float hsum8(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
    return _mm_cvtss_f32(s);
}

/* Rows of x a tile takes (their padded count) and K padded to whole
 * eight-lane steps: x is packed, per block of MR rows, as [k / 8][row][8],
 * so that a tile's rows are one contiguous stream whatever K's stride (a
 * stride that is a multiple of 4 KB put every row of x and w in the same
 * sets of the L1 cache). */
static size_t rows_padded(int m) { return (size_t)(m + MR - 1) / MR * MR; }
static size_t k_padded(int k) { return (size_t)(k + 7) / 8 * 8; }

size_t vgg_fc_scratch_bytes(const vgg_fc_shape *s)
{
    return rows_padded(s->m) * k_padded(s->k) * sizeof(float);
}

/* acc[i][j] (i < MR, j < nr) over k in [0, len) of the packed block xp
 * (at the chunk's start) and the rows w + j * ldw; each summed across its
 * lanes and added to y[i * ldy + j] for the block's mv real rows.  nr is
 * a constant where it is inlined: every output gets the same operations
 * in the same order whatever the tile it falls in. */
static inline __attribute__((always_inline)) void tile(int nr, const float *xp, const float *w,
                                                       size_t ldw, int len, float *y,
                                                       size_t ldy, int mv)
{
    __m256 acc[MR][NR];
    for (int i = 0; i < MR; i++)
        for (int j = 0; j < nr; j++)
            acc[i][j] = _mm256_setzero_ps();
    int k = 0;
    for (; k + 8 <= len; k += 8, xp += MR * 8) {
        __m256 xv[MR];
        for (int i = 0; i < MR; i++)
            xv[i] = _mm256_load_ps(xp + i * 8);
        for (int j = 0; j < nr; j++) {
            __m256 wv = _mm256_loadu_ps(w + j * ldw + k);
            /* one load of the weights for all MR rows (the compiler would
             * otherwise fold a load into each multiply-add) */
            __asm__("" : "+x"(wv));
            for (int i = 0; i < MR; i++)
                acc[i][j] = _mm256_fmadd_ps(xv[i], wv, acc[i][j]);
        }
    }
    if (k < len) {
        /* K's tail (not a multiple of 8): the lanes past it load zero
         * weights against x's zero padding, and add a zero product */
        const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
        const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(len - k), lane);
        for (int j = 0; j < nr; j++) {
            const __m256 wv = _mm256_maskload_ps(w + j * ldw + k, mask);
            for (int i = 0; i < MR; i++)
                acc[i][j] = _mm256_fmadd_ps(_mm256_load_ps(xp + i * 8), wv, acc[i][j]);
        }
    }
    for (int i = 0; i < mv; i++)
        for (int j = 0; j < nr; j++)
            y[i * ldy + j] += hsum8(acc[i][j]);
}

/* One block of nr columns (rows of w from w, outputs from y) against
 * every block of x over one chunk [k0, k0 + len). */
static inline __attribute__((always_inline)) void column_block(int nr, const vgg_fc_shape *s,
                                                               const float *xp, const float *w,
                                                               int k0, int len, float *y)
{
    const size_t K = (size_t)s->k, N = (size_t)s->n, Kp = k_padded(s->k);
    for (int i = 0; i < s->m; i += MR)
        tile(nr, xp + (size_t)i * Kp + (size_t)k0 * MR, w, K, len, y + (size_t)i * N, N,
             s->m - i < MR ? s->m - i : MR);
}

/* Weights a thread reads along each row before moving to its next block
 * of rows (a multiple of VGG_FC_KC): the packed x over that span (M rows
 * x 16 KB) stays in the core's L2 while each block's rows stream from
 * memory in 16 KB runs. */
#define FC_SPAN 4096

void vgg_fc_run(const vgg_fc_shape *s, const float *w, const float *bias, const float *x,
                float *y, void *scratch)
{
    const int M = s->m, N = s->n, K = s->k;
    const int threads = s->threads < 1 ? 1 : s->threads;
    if (M <= 0 || N <= 0)
        return;
    const int blocks = (N + NR - 1) / NR;
    const size_t Kp = k_padded(K), Mp = rows_padded(M);
    float *xp = scratch;
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        /* pack x: this thread's share of the row blocks */
        const int mb = (int)(Mp / MR);
        for (int b = (int)((int64_t)mb * t / nt); b < (int)((int64_t)mb * (t + 1) / nt); b++) {
            float *dst = xp + (size_t)b * MR * Kp;
            for (size_t kk = 0; kk < Kp; kk += 8)
                for (int i = 0; i < MR; i++) {
                    const int row = b * MR + i;
                    for (int l = 0; l < 8; l++)
                        dst[kk * MR + (size_t)i * 8 + (size_t)l] =
                            row < M && kk + (size_t)l < (size_t)K
                                ? x[(size_t)row * K + kk + (size_t)l]
                                : 0.0f;
                }
        }
        /* this thread's columns: a contiguous range of blocks */
        const int b0 = (int)((int64_t)blocks * t / nt), b1 = (int)((int64_t)blocks * (t + 1) / nt);
        const int j0 = b0 * NR, j1 = b1 * NR < N ? b1 * NR : N;
        for (int i = 0; i < M; i++)
            for (int j = j0; j < j1; j++)
                y[(size_t)i * N + j] = 0.0f;
#pragma omp barrier
        for (int ks = 0; ks < K; ks += FC_SPAN) {
            const int send = K - ks < FC_SPAN ? K : ks + FC_SPAN;
            for (int j = j0; j < j1; j += NR) {
                const int nr = j1 - j < NR ? j1 - j : NR;
                for (int k0 = ks; k0 < send; k0 += VGG_FC_KC) {
                    const int len = send - k0 < VGG_FC_KC ? send - k0 : VGG_FC_KC;
                    const float *wj = w + (size_t)j * K + k0;
                    switch (nr) {
                    case NR: column_block(NR, s, xp, wj, k0, len, y + j); break;
                    case 5: column_block(5, s, xp, wj, k0, len, y + j); break;
                    case 4: column_block(4, s, xp, wj, k0, len, y + j); break;
                    case 3: column_block(3, s, xp, wj, k0, len, y + j); break;
                    case 2: column_block(2, s, xp, wj, k0, len, y + j); break;
                    default: column_block(1, s, xp, wj, k0, len, y + j); break;
                    }
                }
            }
        }
        /* + bias, ReLU */
        for (int i = 0; i < M; i++)
            for (int j = j0; j < j1; j++) {
                const float v = y[(size_t)i * N + j] + (bias ? bias[j] : 0.0f);
                y[(size_t)i * N + j] = s->relu && !(v > 0.0f) ? 0.0f : v;
            }
    }
}

#else /* no AVX2 at compile time: vgg_fc_supported() says no, nothing runs */

const bool vgg_fc_compiled = false;

size_t vgg_fc_scratch_bytes(const vgg_fc_shape *s)
{
    return 0;
}

void vgg_fc_run(const vgg_fc_shape *s, const float *w, const float *bias, const float *x,
                float *y, void *scratch)
{
}

#endif
