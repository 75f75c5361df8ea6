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

#include "gemm_avx2.h"
#include "wino.h"

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

static size_t own_scratch_bytes(const vgg_fc_shape *s)
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

static void own_run(const vgg_fc_shape *s, const float *w, const float *bias, const float *x,
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
        int pb0, pb1;
        vgg_share(mb, t, nt, &pb0, &pb1);
        for (int b = pb0; b < pb1; b++) {
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
        int b0, b1;
        vgg_share(blocks, t, nt, &b0, &b1);
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

/* ---- the panel product (VGG_FC_PANEL, fc.h): many rows ----
 *
 * Register tiles of PM rows of x by PN outputs (12 eight-lane sums: 6
 * rows x 2 vectors of 8 outputs), each lane one output summed along k in
 * order over a chunk of VGG_FC_KC, then added to y.  K is walked in spans of VGG_FC_SPAN; per span, x's rows are
 * packed by the threads together as [row block][k][PM] (double-buffered:
 * one barrier a span), and each thread, for each panel of PN of its own
 * outputs, transposes the panel's PN rows of w over the span into bp
 * ([k][PN], 128 KB, kept in the core's L2) and runs every row block of x
 * against it.  A weight is read from memory once a call.  Tried and left
 * out, on the Zen 3: software prefetch of the next panel's rows while the
 * tiles run (T0, T1: the same or slower), spans of 512 and 1024 (the
 * transpose's 16 short runs read memory worse). */
#define PM 6
#define PN 16

static size_t panel_rows(int m) { return (size_t)(m + PM - 1) / PM * PM; }

/* bp[k * PN + j] = w[j * ldw + k] for k < len and the panel's nv rows
 * (zero past them, and past len up to len rounded up to 8) */
static void pack_panel(const float *w, size_t ldw, int nv, int len, float *bp)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    for (int g = 0; g < PN / 8; g++)
        for (int k = 0; k < len; k += 8) {
            const __m256i mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(len - k), lane);
            __m256 r[8];
            for (int j = 0; j < 8; j++) {
                const int row = g * 8 + j;
                r[j] = row >= nv     ? _mm256_setzero_ps()
                       : len - k >= 8 ? _mm256_loadu_ps(w + (size_t)row * ldw + k)
                                      : _mm256_maskload_ps(w + (size_t)row * ldw + k, mask);
            }
            vgg_transpose8(r);
            for (int q = 0; q < 8; q++)
                _mm256_store_ps(bp + (size_t)(k + q) * PN + g * 8, r[q]);
        }
}

/* How a tile's chunk sums meet y: the first chunk of the first span sets,
 * the others add; the last chunk of the last span then adds the bias and
 * applies ReLU. */
enum { SPAN_FIRST = 1, SPAN_LAST = 2 };

/* mr rows (a constant where inlined) of the packed span ap ([k][PM]) by
 * the panel bp over len k's, a chunk of VGG_FC_KC at a time (each summed
 * from zero, then added to y); y the tile's first output (row stride
 * ldy), nv of its PN outputs real, bias at the tile's first output (or
 * NULL). */
static inline __attribute__((always_inline)) void panel_tile(int mr, const float *ap,
                                                             const float *bp, int len, float *y,
                                                             size_t ldy, int nv, int where,
                                                             const float *bias, bool relu)
{
    for (int c0 = 0; c0 < len; c0 += VGG_FC_KC) {
        const int end = len - c0 < VGG_FC_KC ? len : c0 + VGG_FC_KC;
        const bool first = (where & SPAN_FIRST) && c0 == 0, last = (where & SPAN_LAST) && end == len;
        __m256 acc[PM][2];
        for (int i = 0; i < mr; i++)
            acc[i][0] = acc[i][1] = _mm256_setzero_ps();
        for (int k = c0; k < end; k++) {
            const __m256 b0 = _mm256_load_ps(bp + (size_t)k * PN);
            const __m256 b1 = _mm256_load_ps(bp + (size_t)k * PN + 8);
            for (int i = 0; i < mr; i++) {
                const __m256 a = _mm256_broadcast_ss(ap + (size_t)k * PM + i);
                acc[i][0] = _mm256_fmadd_ps(a, b0, acc[i][0]);
                acc[i][1] = _mm256_fmadd_ps(a, b1, acc[i][1]);
            }
        }
        if (nv == PN && !last) {
            for (int i = 0; i < mr; i++) {
                float *yi = y + (size_t)i * ldy;
                if (first) {
                    _mm256_storeu_ps(yi, acc[i][0]);
                    _mm256_storeu_ps(yi + 8, acc[i][1]);
                } else {
                    _mm256_storeu_ps(yi, _mm256_add_ps(_mm256_loadu_ps(yi), acc[i][0]));
                    _mm256_storeu_ps(yi + 8, _mm256_add_ps(_mm256_loadu_ps(yi + 8), acc[i][1]));
                }
            }
            continue;
        }
        float t[PM][PN];
        for (int i = 0; i < mr; i++) {
            _mm256_storeu_ps(t[i], acc[i][0]);
            _mm256_storeu_ps(t[i] + 8, acc[i][1]);
        }
        for (int i = 0; i < mr; i++) {
            float *yi = y + (size_t)i * ldy;
            for (int j = 0; j < nv; j++) {
                float v = first ? t[i][j] : yi[j] + t[i][j];
                if (last) {
                    v += bias ? bias[j] : 0.0f;
                    v = relu && !(v > 0.0f) ? 0.0f : v;
                }
                yi[j] = v;
            }
        }
    }
}

/* Blocks b0 .. b1 - 1 of r rows of x (M rows of K) over the span
 * [ks, ks + len), each as [k][r] at dst + b * r * len; rows past M zero. */
static void pack_row_blocks(const float *x, int M, int K, int ks, int len, int r, int b0, int b1,
                            float *dst)
{
    for (int b = b0; b < b1; b++) {
        float *d = dst + (size_t)b * r * len;
        for (int i = 0; i < r; i++) {
            const int row = b * r + i;
            const float *src = x + (size_t)row * K + ks;
            if (row < M)
                for (int k = 0; k < len; k++)
                    d[(size_t)k * r + i] = src[k];
            else
                for (int k = 0; k < len; k++)
                    d[(size_t)k * r + i] = 0.0f;
        }
    }
}

/* x's row blocks of two spans, then a panel for each thread */
static size_t panel_scratch_bytes(const vgg_fc_shape *s)
{
    const int threads = s->threads < 1 ? 1 : s->threads;
    return (2 * panel_rows(s->m) + (size_t)threads * PN) * VGG_FC_SPAN * sizeof(float);
}

static void panel_run(const vgg_fc_shape *s, const float *w, const float *bias, const float *x,
                      float *y, float *scratch)
{
    const int M = s->m, N = s->n, K = s->k;
    const int threads = s->threads < 1 ? 1 : s->threads;
    const int mb = (int)(panel_rows(M) / PM), panels = (N + PN - 1) / PN;
    const size_t span_floats = panel_rows(M) * VGG_FC_SPAN;
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        float *bp = scratch + 2 * span_floats + (size_t)t * PN * VGG_FC_SPAN;
        int p0, p1, b0, b1;
        vgg_share(panels, t, nt, &p0, &p1);
        vgg_share(mb, t, nt, &b0, &b1);
        for (int ks = 0, c = 0; ks < K; ks += VGG_FC_SPAN, c ^= 1) {
            const int len = K - ks < VGG_FC_SPAN ? K - ks : VGG_FC_SPAN;
            /* this thread's row blocks of x over the span, as [k][PM]
             * (rows past M zero), in the buffer the span before last
             * used: every thread left it at the last span's barrier */
            float *ap = scratch + (size_t)c * span_floats;
            pack_row_blocks(x, M, K, ks, len, PM, b0, b1, ap);
#pragma omp barrier
            const int where = (ks == 0 ? SPAN_FIRST : 0) | (ks + len >= K ? SPAN_LAST : 0);
            for (int p = p0; p < p1; p++) {
                const int n0 = p * PN, nv = N - n0 < PN ? N - n0 : PN;
                const float *pb = bias ? bias + n0 : NULL;
                pack_panel(w + (size_t)n0 * K + ks, (size_t)K, nv, len, bp);
                for (int b = 0; b < mb; b++) {
                    const int mr = M - b * PM < PM ? M - b * PM : PM;
                    const float *a = ap + (size_t)b * PM * len;
                    float *yt = y + (size_t)b * PM * N + n0;
                    switch (mr) {
                    case 6: panel_tile(6, a, bp, len, yt, N, nv, where, pb, s->relu); break;
                    case 5: panel_tile(5, a, bp, len, yt, N, nv, where, pb, s->relu); break;
                    case 4: panel_tile(4, a, bp, len, yt, N, nv, where, pb, s->relu); break;
                    case 3: panel_tile(3, a, bp, len, yt, N, nv, where, pb, s->relu); break;
                    case 2: panel_tile(2, a, bp, len, yt, N, nv, where, pb, s->relu); break;
                    default: panel_tile(1, a, bp, len, yt, N, nv, where, pb, s->relu); break;
                    }
                }
            }
        }
    }
}

/* ---- the panel product's other way, for up to XT_MAX_ROWS rows ----
 *
 * The same sums in the same order (so the same bits) with the operands'
 * roles swapped: x's rows packed as [block of XM rows][k][XM] (two
 * vectors of 8 rows), and each k of XN rows of w broadcast from w itself,
 * so that w is read in place in long runs (a span of XT_SPAN of each
 * row) with no transpose.  Register tiles of XN outputs by XM rows, each
 * lane one row, chunk by chunk of VGG_FC_KC; each tile's running sums
 * stay in the thread's scratch over a span and in y between spans.  On
 * the Zen 3 it took 0.70x the dot products' time at 16 rows (fc6 at
 * Q=256) and 0.9-1.0x the transposed panels' at 120; past about 160 rows
 * the panels' reuse of w wins.  Where the CPU has AVX-512 (vgg_tile512),
 * tiles of XN512 outputs by the XM rows in one sixteen-lane vector each:
 * each lane's sum the same, so the same bits.  On a 2-core Emerald Rapids
 * (bench_fc, 2 threads, the two alternating) fc6 at 16 rows took 17.4
 * against 21.8 ms (23.7 GB/s of weights, about the machine's read
 * bandwidth), fc7 2.5 against 3.4; tiles of 8 and 16 outputs were no
 * faster. */
#define XN 6
#define XN512 12
#define XM 16
#define XT_SPAN 8192
#define XT_MAX_ROWS 160

static size_t xt_rows(int m) { return (size_t)(m + XM - 1) / XM * XM; }

/* x's row blocks of two spans, then each thread's running sums */
static size_t xt_scratch_bytes(const vgg_fc_shape *s)
{
    const int threads = s->threads < 1 ? 1 : s->threads;
    return (2 * xt_rows(s->m) * XT_SPAN + (size_t)threads * xt_rows(s->m) * XN512) * sizeof(float);
}

/* The chunk's sums of nr (a constant where inlined) rows of w from w (row
 * stride ldw) by the packed rows xt ([k][XM]) over len k's, set into
 * (first) or added to the running sums t. */
static inline __attribute__((always_inline)) void xt_tile(int nr, const float *w, size_t ldw,
                                                          const float *xt, int len, float *t,
                                                          bool first)
{
    __m256 acc[XN][2];
    for (int j = 0; j < nr; j++)
        acc[j][0] = acc[j][1] = _mm256_setzero_ps();
    for (int k = 0; k < len; k++) {
        const __m256 x0 = _mm256_load_ps(xt + (size_t)k * XM);
        const __m256 x1 = _mm256_load_ps(xt + (size_t)k * XM + 8);
        for (int j = 0; j < nr; j++) {
            const __m256 a = _mm256_broadcast_ss(w + (size_t)j * ldw + k);
            acc[j][0] = _mm256_fmadd_ps(a, x0, acc[j][0]);
            acc[j][1] = _mm256_fmadd_ps(a, x1, acc[j][1]);
        }
    }
    for (int j = 0; j < nr; j++) {
        float *tj = t + j * XM;
        _mm256_store_ps(tj, first ? acc[j][0] : _mm256_add_ps(_mm256_load_ps(tj), acc[j][0]));
        _mm256_store_ps(tj + 8,
                        first ? acc[j][1] : _mm256_add_ps(_mm256_load_ps(tj + 8), acc[j][1]));
    }
}

/* The same on AVX-512: up to XN512 rows of w by the XM rows of x, one
 * sixteen-lane sum each (each lane's sum the same as xt_tile's) */
static inline __attribute__((always_inline)) VGG_TARGET512 void
xt_tile512(int nr, const float *w, size_t ldw, const float *xt, int len, float *t, bool first)
{
    __m512 acc[XN512];
#pragma GCC unroll 16
    for (int j = 0; j < nr; j++)
        acc[j] = _mm512_setzero_ps();
    for (int k = 0; k < len; k++) {
        const __m512 x0 = _mm512_load_ps(xt + (size_t)k * XM);
#pragma GCC unroll 16
        for (int j = 0; j < nr; j++)
            acc[j] = _mm512_fmadd_ps(_mm512_set1_ps(w[(size_t)j * ldw + k]), x0, acc[j]);
    }
#pragma GCC unroll 16
    for (int j = 0; j < nr; j++) {
        float *tj = t + j * XM;
        _mm512_store_ps(tj, first ? acc[j] : _mm512_add_ps(_mm512_load_ps(tj), acc[j]));
    }
}

/* xt_run's chunk for nr (1 to XN512) rows of w over every row block */
static VGG_TARGET512 void xt_chunk512(int nr, const float *wp, size_t ldw, const float *xt,
                                      size_t len, int c0, int cl, int mbs, float *sums,
                                      bool first)
{
    for (int b = 0; b < mbs; b++) {
        const float *xp = xt + (size_t)b * XM * len + (size_t)c0 * XM;
        float *tb = sums + (size_t)b * XN512 * XM;
        switch (nr) {
#define XT_CASE(n)                                                                                 \
    case n: xt_tile512(n, wp, ldw, xp, cl, tb, first); break;
            XT_CASE(12) XT_CASE(11) XT_CASE(10) XT_CASE(9) XT_CASE(8) XT_CASE(7) XT_CASE(6)
            XT_CASE(5) XT_CASE(4) XT_CASE(3) XT_CASE(2)
#undef XT_CASE
        default: xt_tile512(1, wp, ldw, xp, cl, tb, first); break;
        }
    }
}

static void xt_run(const vgg_fc_shape *s, const float *w, const float *bias, const float *x,
                   float *y, float *scratch)
{
    const int M = s->m, N = s->n, K = s->k;
    const int threads = s->threads < 1 ? 1 : s->threads;
    const bool wide = vgg_tile512();
    const int xn = wide ? XN512 : XN;
    const int mbs = (int)(xt_rows(M) / XM), nbs = (N + xn - 1) / xn;
    const size_t span_floats = xt_rows(M) * XT_SPAN;
#pragma omp parallel num_threads(threads)
    {
        const int t = omp_get_thread_num(), nt = omp_get_num_threads();
        /* the running sums of this thread's tile column: [row block][XN][XM] */
        float *sums = scratch + 2 * span_floats + (size_t)t * mbs * XN512 * XM;
        int n0b, n1b, m0b, m1b;
        vgg_share(nbs, t, nt, &n0b, &n1b);
        vgg_share(mbs, t, nt, &m0b, &m1b);
        for (int ks = 0, c = 0; ks < K; ks += XT_SPAN, c ^= 1) {
            const int len = K - ks < XT_SPAN ? K - ks : XT_SPAN;
            const bool last = ks + len >= K;
            /* this thread's row blocks of x over the span, as [k][XM]
             * (rows past M zero), in the buffer the span before last
             * used: every thread left it at the last span's barrier */
            float *xt = scratch + (size_t)c * span_floats;
            pack_row_blocks(x, M, K, ks, len, XM, m0b, m1b, xt);
#pragma omp barrier
            for (int nb = n0b; nb < n1b; nb++) {
                const int n0 = nb * xn, nr = N - n0 < xn ? N - n0 : xn;
                /* the sums so far, from y */
                if (ks > 0)
                    for (int b = 0; b < mbs; b++)
                        for (int j = 0; j < nr; j++)
                            for (int i = 0; i < XM; i++) {
                                const int row = b * XM + i;
                                sums[((size_t)b * XN512 + j) * XM + i] =
                                    row < M ? y[(size_t)row * N + n0 + j] : 0.0f;
                            }
                for (int c0 = 0; c0 < len; c0 += VGG_FC_KC) {
                    const int cl = len - c0 < VGG_FC_KC ? len - c0 : VGG_FC_KC;
                    const bool first = ks == 0 && c0 == 0;
                    const float *wp = w + (size_t)n0 * K + ks + c0;
                    if (wide) {
                        xt_chunk512(nr, wp, (size_t)K, xt, (size_t)len, c0, cl, mbs, sums, first);
                        continue;
                    }
                    for (int b = 0; b < mbs; b++) {
                        const float *xp = xt + (size_t)b * XM * len + (size_t)c0 * XM;
                        float *tb = sums + (size_t)b * XN512 * XM;
                        switch (nr) {
                        case 6: xt_tile(6, wp, (size_t)K, xp, cl, tb, first); break;
                        case 5: xt_tile(5, wp, (size_t)K, xp, cl, tb, first); break;
                        case 4: xt_tile(4, wp, (size_t)K, xp, cl, tb, first); break;
                        case 3: xt_tile(3, wp, (size_t)K, xp, cl, tb, first); break;
                        case 2: xt_tile(2, wp, (size_t)K, xp, cl, tb, first); break;
                        default: xt_tile(1, wp, (size_t)K, xp, cl, tb, first); break;
                        }
                    }
                }
                /* back into y; after the last span with the bias and ReLU */
                for (int b = 0; b < mbs; b++)
                    for (int j = 0; j < nr; j++)
                        for (int i = 0; i < XM && b * XM + i < M; i++) {
                            float v = sums[((size_t)b * XN512 + j) * XM + i];
                            if (last) {
                                v += bias ? bias[n0 + j] : 0.0f;
                                v = s->relu && !(v > 0.0f) ? 0.0f : v;
                            }
                            y[(size_t)(b * XM + i) * N + n0 + j] = v;
                        }
            }
        }
    }
}

size_t vgg_fc_scratch_bytes(const vgg_fc_shape *s)
{
    if (s->algo != VGG_FC_PANEL)
        return own_scratch_bytes(s);
    return s->m <= XT_MAX_ROWS ? xt_scratch_bytes(s) : panel_scratch_bytes(s);
}

void vgg_fc_run(const vgg_fc_shape *s, const float *w, const float *bias, const float *x,
                float *y, void *scratch)
{
    if (s->m <= 0 || s->n <= 0)
        return;
    if (s->algo != VGG_FC_PANEL)
        own_run(s, w, bias, x, y, scratch);
    else if (s->m <= XT_MAX_ROWS)
        xt_run(s, w, bias, x, y, scratch);   /* the same bits, w read in place */
    else
        panel_run(s, w, bias, x, y, scratch);
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
