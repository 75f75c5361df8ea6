/* Winograd F(4x4, 3x3) and F(2x2, 3x3) on nChw8c activations with AVX2
 * and FMA (see wino.h).  This file is compiled with -mavx2 -mfma
 * (net/CMakeLists.txt); nothing in it runs unless vgg_wino_supported()
 * (wino.c, compiled for any x86-64) said yes.
 *
 * Layouts (floats; cinp = cin rounded up to 8, coutq = cout rounded up to
 * 16, P = (m + 2)^2 points, tb tiles a block, in groups of 6):
 *   packed weights  U[P][coutq / 16][cinp][16], then bias[coutq]
 *   V (a block)     [P][tb / 6][cinp / 8][6][8]: the product's left
 *                   operand, six tiles' eight channels side by side
 *   M (a block)     [P][tb][coutq]
 * Tiles are numbered over (image, tile row, tile column) of the output,
 * m x m each, the last ones of a row or column cut at the image's edge. */
#include "wino.h"

#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "gemm_avx2.h"

#define MR 6
#define NR 16

const bool vgg_wino_compiled = true;

typedef struct geom {
    int m, a, P;             /* output tile side, input tile side (m + 2), points */
    int cinp, coutq, cout8;
    int th, tw, tiles;       /* tiles per column, per row, in all */
    bool shared;             /* the threads share each block (else a block a thread) */
    int tb;                  /* tiles a block (multiple of MR) */
    int slots;               /* blocks of scratch: 1 shared, else one a thread */
    size_t vps, mps;             /* floats from one point's V (M) of a block to the next */
    size_t v_floats, m_floats;   /* a block's V and M */
} geom;

/* A point's plane of V or M: rounded up to 4 KB and 64 bytes on, so that
 * the 36 planes a tile touches fall into 36 sets of the L1 cache (planes 2
 * or 4 KB apart shared two sets and thrashed them). */
static size_t plane_floats(size_t floats)
{
    return (floats + 1023) / 1024 * 1024 + 16;
}

static int round_up(int v, int to) { return (v + to - 1) / to * to; }

/* Weights of at most this many bytes (all points) are read again for
 * every block of a thread's own (they stay in the caches): the narrow
 * layers, many tiles each; wider ones share large blocks.  conv3_1's 4.7
 * MB (128 -> 256) ran in 0.78-0.83x the time of shared blocks on the Zen
 * 3; conv3_x's 9.4 MB took 1.05-1.18x, conv4_1's and wider 2.2x. */
#define OWN_BLOCKS_MAX_WEIGHTS ((size_t)5 << 20)
/* a thread's own block: V and M within about 448 KB (the L2 of a Zen 3 core
 * is 512 KB) */
#define OWN_BLOCK_BYTES ((size_t)448 << 10)
/* a shared block: V and M within 32 MB */
#define SHARED_BLOCK_BYTES ((size_t)32 << 20)

static void geom_of(const vgg_wino_shape *s, geom *g)
{
    g->m = s->m;
    g->a = s->m + 2;
    g->P = g->a * g->a;
    g->cinp = round_up(s->cin, 8);
    g->coutq = round_up(s->cout, NR);
    g->cout8 = round_up(s->cout, 8);
    g->th = (s->h + s->m - 1) / s->m;
    g->tw = (s->w + s->m - 1) / s->m;
    g->tiles = s->n * g->th * g->tw;
    const size_t per_tile = (size_t)g->P * (g->cinp + g->coutq) * sizeof(float);
    g->shared = (size_t)g->P * g->cinp * g->coutq * sizeof(float) > OWN_BLOCKS_MAX_WEIGHTS;
    int tb = s->tile_block;
    if (tb <= 0)
        tb = (int)((g->shared ? SHARED_BLOCK_BYTES : OWN_BLOCK_BYTES) / per_tile);
    tb = round_up(tb < MR ? MR : tb, MR);
    if (tb > round_up(g->tiles, MR))
        tb = round_up(g->tiles, MR);
    g->tb = tb;
    g->slots = g->shared || s->threads < 1 ? 1 : s->threads;
    g->vps = plane_floats((size_t)tb * g->cinp);
    g->mps = plane_floats((size_t)tb * g->coutq);
    g->v_floats = (size_t)g->P * g->vps;
    g->m_floats = (size_t)g->P * g->mps;
}

size_t vgg_wino_packed_floats(int m, int cin, int cout)
{
    if (m == 1)
        return vgg_direct8_packed_floats(cin, cout);
    const size_t P = (size_t)(m + 2) * (m + 2);
    return P * round_up(cout, NR) * round_up(cin, 8) + round_up(cout, NR);
}

size_t vgg_wino_scratch_bytes(const vgg_wino_shape *s)
{
    if (s->m == 1)
        return vgg_direct8_scratch_bytes(s);
    geom g;
    geom_of(s, &g);
    return (g.v_floats + g.m_floats) * sizeof(float) * g.slots + 64;
}

/* ---- the weights: U = G g G^T ---- */

/* F(4x4): the points 0, 1, -1, 1/2, -2 and infinity */
static const double G4[6][3] = {
    {1.0, 0.0, 0.0},
    {1.0 / 3, 1.0 / 3, 1.0 / 3},
    {-1.0 / 3, 1.0 / 3, -1.0 / 3},
    {-16.0 / 15, -8.0 / 15, -4.0 / 15},
    {1.0 / 15, -2.0 / 15, 4.0 / 15},
    {0.0, 0.0, 1.0},
};
/* F(2x2): 0, 1, -1 and infinity */
static const double G2[4][3] = {
    {1.0, 0.0, 0.0},
    {0.5, 0.5, 0.5},
    {0.5, -0.5, 0.5},
    {0.0, 0.0, 1.0},
};

typedef struct pack_job {
    int m, cin, cout, cinp, coutq;
    const float *weight;
    float *packed;
} pack_job;

/* U for the NR filters of output channels o0 .. o0 + NR and input channel
 * c (zero past cout or cin), four filters a vector of doubles: t = G g,
 * then t G^T, each sum 0 + x0 + x1 + x2 of rounded products in that order
 * (as the scalar expression in ISO C, no fused multiply-add), rounded
 * once to float.  Written a point at a time: NR floats, one cache line of
 * the packed weights (a filter at a time wrote a float into each of 36
 * lines far apart, and each line was fetched again for each of the NR
 * filters that share it). */
static void pack_filters(const pack_job *j, int o0, int c, float u[36][NR])
{
    const int a = j->m + 2;
    const double(*G)[3] = j->m == 4 ? G4 : G2;
    for (int q = 0; q < NR; q += 4) {
        __m256d gf[3][3], t[6][3];
        for (int ky = 0; ky < 3; ky++)
            for (int kx = 0; kx < 3; kx++) {
                double v[4];
                for (int l = 0; l < 4; l++) {
                    const int o = o0 + q + l;
                    v[l] = o < j->cout && c < j->cin
                               ? j->weight[(((size_t)o * j->cin + c) * 3 + ky) * 3 + kx]
                               : 0.0;
                }
                gf[ky][kx] = _mm256_loadu_pd(v);
            }
        for (int i = 0; i < a; i++)
            for (int kx = 0; kx < 3; kx++) {
                __m256d s = _mm256_setzero_pd();
                for (int ky = 0; ky < 3; ky++)
                    s = _mm256_add_pd(s, _mm256_mul_pd(_mm256_set1_pd(G[i][ky]), gf[ky][kx]));
                t[i][kx] = s;
            }
        for (int i = 0; i < a; i++)
            for (int k = 0; k < a; k++) {
                __m256d s = _mm256_setzero_pd();
                for (int kx = 0; kx < 3; kx++)
                    s = _mm256_add_pd(s, _mm256_mul_pd(t[i][kx], _mm256_set1_pd(G[k][kx])));
                _mm_storeu_ps(&u[i * a + k][q], _mm256_cvtpd_ps(s));
            }
    }
}

/* input channels a packing job transforms before it writes them out, a
 * point at a time (PACK_C lines in a row) */
#define PACK_C 32

void vgg_wino_pack(int m, int cin, int cout, const float *weight, const float *bias,
                   float *packed, int threads)
{
    if (m == 1) {
        vgg_direct8_pack(cin, cout, weight, bias, packed);
        return;
    }
    pack_job j = {m, cin, cout, round_up(cin, 8), round_up(cout, NR), weight, packed};
    const int blocks = j.coutq / NR, cbs = (j.cinp + PACK_C - 1) / PACK_C, a = m + 2;
    const size_t nbk = (size_t)blocks;
#pragma omp parallel for num_threads(threads) schedule(static)
    for (int it = 0; it < blocks * cbs; it++) {
        const int ob = it / cbs, c0 = it % cbs * PACK_C;
        const int cn = j.cinp - c0 < PACK_C ? j.cinp - c0 : PACK_C;
        float u[PACK_C][36][NR];
        for (int c = 0; c < cn; c++)
            pack_filters(&j, ob * NR, c0 + c, u[c]);
        for (int p = 0; p < a * a; p++) {
            float *dst = packed + (((size_t)p * nbk + ob) * j.cinp + c0) * NR;
            for (int c = 0; c < cn; c++)
                memcpy(dst + (size_t)c * NR, u[c][p], sizeof u[c][p]);
        }
    }
    float *b = packed + vgg_wino_packed_floats(m, cin, cout) - j.coutq;
    for (int o = 0; o < j.coutq; o++)
        b[o] = o < cout ? bias[o] : 0.0f;
}

/* ---- the input transform: V = B^T d B ---- */

static inline __m256 v_set(float v) { return _mm256_set1_ps(v); }

/* r = B^T d for F(4x4)'s points */
static inline void bt6(const __m256 d[6], __m256 r[6])
{
    const __m256 h = v_set(0.5f), t = v_set(1.5f), f = v_set(2.5f), two = v_set(2.0f);
    const __m256 d41 = _mm256_sub_ps(d[4], d[1]), d42 = _mm256_sub_ps(d[4], d[2]);
    const __m256 d31 = _mm256_sub_ps(d[3], d[1]);
    r[0] = _mm256_fnmadd_ps(two, d[2], _mm256_fmadd_ps(t, d31, _mm256_add_ps(d[0], d[4])));
    r[1] = _mm256_fmadd_ps(f, d[3], _mm256_fmadd_ps(h, d[2], d41));
    r[2] = _mm256_fmadd_ps(h, d[3], _mm256_fnmadd_ps(f, d[2], _mm256_add_ps(d[4], d[1])));
    r[3] = _mm256_fmadd_ps(two, d31, d42);
    r[4] = _mm256_fnmadd_ps(h, d31, d42);
    r[5] = _mm256_fnmadd_ps(two, d[3], _mm256_fmadd_ps(t, d42, _mm256_add_ps(d[1], d[5])));
}

/* r = B^T d for F(2x2) */
static inline void bt4(const __m256 d[4], __m256 r[4])
{
    r[0] = _mm256_sub_ps(d[0], d[2]);
    r[1] = _mm256_add_ps(d[1], d[2]);
    r[2] = _mm256_sub_ps(d[2], d[1]);
    r[3] = _mm256_sub_ps(d[1], d[3]);
}

typedef struct run_ctx {
    const vgg_wino_shape *s;
    geom g;
    const float *packed, *x, *bias;
    float *y, *v, *mm;
    bool stream;            /* V and M written past the caches (a shared block) */
    bool wide;              /* the products on AVX-512 (vgg_tile512) */
} run_ctx;

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* r = B^T d for the input tile side A (6: F(4x4), 4: F(2x2)) */
ALWAYS_INLINE void bt(const __m256 *d, __m256 *r, const int A)
{
    if (A == 6)
        bt6(d, r);
    else
        bt4(d, r);
}

/* Point p's vector v of the tile in slot, at dst.  Where V is streamed
 * (pend not NULL), a tile of an even slot leaves its vectors in pend, and
 * the next slot's (the other half of each cache line) writes both halves
 * past the caches: V, too large for them, is not read into them first. */
ALWAYS_INLINE void v_put(float *dst, int p, __m256 v, int slot, float *pend)
{
    if (!pend)
        _mm256_store_ps(dst, v);
    else if (slot % 2 == 0)
        _mm256_store_ps(pend + p * 8, v);
    else {
        _mm256_stream_ps(dst - 8, _mm256_load_ps(pend + p * 8));
        _mm256_stream_ps(dst, v);
    }
}

/* Tile t (global number), channels cb * 8 .. + 8, into V's slot of the
 * block (A * A vectors, one a point).  Rows are transformed as they are
 * loaded, then the columns.  pend: see v_put. */
ALWAYS_INLINE void input_tile_a(const run_ctx *c, int t, int cb, int slot, float *pend,
                                const int A)
{
    const vgg_wino_shape *s = c->s;
    const geom *g = &c->g;
    float *vbase = c->v + (size_t)(slot / MR) * MR * g->cinp + (size_t)cb * MR * 8 +
                   (size_t)(slot % MR) * 8;
    const size_t ps = g->vps;
    if (t >= g->tiles) {
        for (int p = 0; p < A * A; p++)
            v_put(vbase + p * ps, p, _mm256_setzero_ps(), slot, pend);
        return;
    }
    const int per_img = g->th * g->tw;
    const int img = t / per_img, r = t - img * per_img;
    const int ty = r / g->tw;
    const int y0 = ty * s->m - 1, x0 = (r - ty * g->tw) * s->m - 1;
    const int h = s->h, w = s->w;
    const float *plane = c->x + ((size_t)img * (g->cinp / 8) + cb) * h * w * 8;
    /* the lanes past cin (the last block) are zero whatever the padding
     * holds */
    const int live = s->cin - cb * 8;
    const __m256 mask = _mm256_castsi256_ps(_mm256_cmpgt_epi32(
        _mm256_set1_epi32(live < 8 ? live : 8), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
    __m256 tr[6][6];
    if (y0 >= 0 && x0 >= 0 && y0 + A <= h && x0 + A <= w) {
        const float *row = plane + ((size_t)y0 * w + x0) * 8;
        /* the tile two to the right: its new columns, into the cache (the
         * rows are short streams, 6 of them a plane, 8 planes a block) */
        if (x0 + A + 2 * s->m <= w)
            for (int yy = 0; yy < A; yy++) {
                _mm_prefetch((const char *)(row + (size_t)yy * w * 8 + (A + s->m) * 8),
                             _MM_HINT_T0);
                _mm_prefetch((const char *)(row + (size_t)yy * w * 8 + (A + s->m) * 8 + 16),
                             _MM_HINT_T0);
            }
        for (int yy = 0; yy < A; yy++, row += (size_t)w * 8) {
            __m256 d[6];
            for (int xx = 0; xx < A; xx++)
                d[xx] = _mm256_and_ps(_mm256_loadu_ps(row + xx * 8), mask);
            bt(d, tr[yy], A);
        }
    } else {
        for (int yy = 0; yy < A; yy++) {
            const int iy = y0 + yy;
            __m256 d[6];
            for (int xx = 0; xx < A; xx++) {
                const int ix = x0 + xx;
                d[xx] = iy >= 0 && iy < h && ix >= 0 && ix < w
                            ? _mm256_and_ps(_mm256_loadu_ps(plane + ((size_t)iy * w + ix) * 8),
                                            mask)
                            : _mm256_setzero_ps();
            }
            bt(d, tr[yy], A);
        }
    }
    for (int j = 0; j < A; j++) {
        __m256 col[6], out[6];
        for (int yy = 0; yy < A; yy++)
            col[yy] = tr[yy][j];
        bt(col, out, A);
        for (int i = 0; i < A; i++)
            v_put(vbase + (size_t)(i * A + j) * ps, i * A + j, out[i], slot, pend);
    }
}

static void input_tile(const run_ctx *c, int t, int cb, int slot, float *pend)
{
    if (c->g.a == 6)
        input_tile_a(c, t, cb, slot, pend, 6);
    else
        input_tile_a(c, t, cb, slot, pend, 4);
}

/* ---- the input transform on AVX-512: two blocks of 8 channels ---- */

/* bt6 and bt4 on sixteen lanes: the same operations lane by lane */
static inline __attribute__((always_inline)) VGG_TARGET512 void bt6_512(const __m512 d[6],
                                                                       __m512 r[6])
{
    const __m512 h = _mm512_set1_ps(0.5f), t = _mm512_set1_ps(1.5f), f = _mm512_set1_ps(2.5f),
                 two = _mm512_set1_ps(2.0f);
    const __m512 d41 = _mm512_sub_ps(d[4], d[1]), d42 = _mm512_sub_ps(d[4], d[2]);
    const __m512 d31 = _mm512_sub_ps(d[3], d[1]);
    r[0] = _mm512_fnmadd_ps(two, d[2], _mm512_fmadd_ps(t, d31, _mm512_add_ps(d[0], d[4])));
    r[1] = _mm512_fmadd_ps(f, d[3], _mm512_fmadd_ps(h, d[2], d41));
    r[2] = _mm512_fmadd_ps(h, d[3], _mm512_fnmadd_ps(f, d[2], _mm512_add_ps(d[4], d[1])));
    r[3] = _mm512_fmadd_ps(two, d31, d42);
    r[4] = _mm512_fnmadd_ps(h, d31, d42);
    r[5] = _mm512_fnmadd_ps(two, d[3], _mm512_fmadd_ps(t, d42, _mm512_add_ps(d[1], d[5])));
}

static inline __attribute__((always_inline)) VGG_TARGET512 void bt4_512(const __m512 d[4],
                                                                       __m512 r[4])
{
    r[0] = _mm512_sub_ps(d[0], d[2]);
    r[1] = _mm512_add_ps(d[1], d[2]);
    r[2] = _mm512_sub_ps(d[2], d[1]);
    r[3] = _mm512_sub_ps(d[1], d[3]);
}

/* the vectors of a pixel of two planes side by side, the lanes past cin
 * (keep) zero whatever the padding holds */
static inline __attribute__((always_inline)) VGG_TARGET512 __m512
load2(const float *lo, const float *hi, __mmask16 keep)
{
    const __m512 v = _mm512_castps256_ps512(_mm256_loadu_ps(lo));
    const __m512d w = _mm512_insertf64x4(_mm512_castps_pd(v),
                                         _mm256_castps_pd(hi ? _mm256_loadu_ps(hi)
                                                             : _mm256_setzero_ps()),
                                         1);
    return _mm512_maskz_mov_ps(keep, _mm512_castpd_ps(w));
}

/* input_tile_a for blocks cb (even) and cb + 1 (where the layer has it)
 * at once, each lane computed as input_tile_a computes it (the same V);
 * pend: two of input_tile_a's, one a block */
static inline __attribute__((always_inline)) VGG_TARGET512 void
input_tile2_a(const run_ctx *c, int t, int cb, int slot, float *pend, const int A)
{
    const vgg_wino_shape *s = c->s;
    const geom *g = &c->g;
    float *vbase = c->v + (size_t)(slot / MR) * MR * g->cinp + (size_t)cb * MR * 8 +
                   (size_t)(slot % MR) * 8;
    const bool second = cb + 1 < g->cinp / 8;
    float *pend1 = pend ? pend + 36 * 8 : NULL;
    const size_t ps = g->vps;
    __m512 tr[6][6];
    if (t >= g->tiles) {
        for (int p = 0; p < A * A; p++) {
            v_put(vbase + p * ps, p, _mm256_setzero_ps(), slot, pend);
            if (second)
                v_put(vbase + MR * 8 + p * ps, p, _mm256_setzero_ps(), slot, pend1);
        }
        return;
    }
    const int per_img = g->th * g->tw;
    const int img = t / per_img, r = t - img * per_img;
    const int ty = r / g->tw;
    const int y0 = ty * s->m - 1, x0 = (r - ty * g->tw) * s->m - 1;
    const int h = s->h, w = s->w;
    const float *p0 = c->x + ((size_t)img * (g->cinp / 8) + cb) * h * w * 8;
    const float *p1 = second ? p0 + (size_t)h * w * 8 : NULL;
    const int live = s->cin - cb * 8;
    const __mmask16 keep = live >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << live) - 1);
    if (y0 >= 0 && x0 >= 0 && y0 + A <= h && x0 + A <= w) {
        const size_t base = ((size_t)y0 * w + x0) * 8;
        if (x0 + A + 2 * s->m <= w)
            for (int yy = 0; yy < A; yy++) {
                const size_t ahead = base + (size_t)yy * w * 8 + (A + s->m) * 8;
                _mm_prefetch((const char *)(p0 + ahead), _MM_HINT_T0);
                _mm_prefetch((const char *)(p0 + ahead + 16), _MM_HINT_T0);
                if (p1) {
                    _mm_prefetch((const char *)(p1 + ahead), _MM_HINT_T0);
                    _mm_prefetch((const char *)(p1 + ahead + 16), _MM_HINT_T0);
                }
            }
        for (int yy = 0; yy < A; yy++) {
            __m512 d[6];
            for (int xx = 0; xx < A; xx++) {
                const size_t at = base + ((size_t)yy * w + xx) * 8;
                d[xx] = load2(p0 + at, p1 ? p1 + at : NULL, keep);
            }
            if (A == 6)
                bt6_512(d, tr[yy]);
            else
                bt4_512(d, tr[yy]);
        }
    } else {
        for (int yy = 0; yy < A; yy++) {
            const int iy = y0 + yy;
            __m512 d[6];
            for (int xx = 0; xx < A; xx++) {
                const int ix = x0 + xx;
                const size_t at = ((size_t)iy * w + ix) * 8;
                d[xx] = iy >= 0 && iy < h && ix >= 0 && ix < w
                            ? load2(p0 + at, p1 ? p1 + at : NULL, keep)
                            : _mm512_setzero_ps();
            }
            if (A == 6)
                bt6_512(d, tr[yy]);
            else
                bt4_512(d, tr[yy]);
        }
    }
    for (int j = 0; j < A; j++) {
        __m512 col[6], out[6];
        for (int yy = 0; yy < A; yy++)
            col[yy] = tr[yy][j];
        if (A == 6)
            bt6_512(col, out);
        else
            bt4_512(col, out);
        for (int i = 0; i < A; i++) {
            const size_t at = (size_t)(i * A + j) * ps;
            v_put(vbase + at, i * A + j, _mm512_castps512_ps256(out[i]), slot, pend);
            if (second)
                v_put(vbase + MR * 8 + at, i * A + j, vgg_hi256(out[i]), slot, pend1);
        }
    }
}

static VGG_TARGET512 void input_tile2(const run_ctx *c, int t, int cb, int slot, float *pend)
{
    if (c->g.a == 6)
        input_tile2_a(c, t, cb, slot, pend, 6);
    else
        input_tile2_a(c, t, cb, slot, pend, 4);
}

/* ---- the product: M[p] (6 tiles x 16) = V[p] (6 x cinp) U[p] (cinp x 16) ---- */

/* a: [cinp / 8][6][8]; b: [cinp][16]; cm: 6 rows of ldc.  The sum over
 * the channels in partial sums of VGG_WINO_KC, each started at zero and
 * added to the total in order.  stream: the total is kept in the L1 cache
 * and written to cm past the caches (M of a shared block is too large for
 * them: its lines are not read in first). */
static void micro_6x16(const float *a, const float *b, float *cm, size_t ldc, int cinp,
                       bool stream)
{
    if (stream) {
        float t[MR * NR] __attribute__((aligned(32)));
        for (int k0 = 0; k0 < cinp; k0 += VGG_WINO_KC) {
            const int kn = cinp - k0 < VGG_WINO_KC ? cinp - k0 : VGG_WINO_KC;
            vgg_partial_6x16(a + (size_t)(k0 / 8) * MR * 8, b + (size_t)k0 * NR, t, NR, kn / 8,
                         k0 == 0);
        }
        for (int i = 0; i < MR; i++) {
            _mm256_stream_ps(cm + i * ldc, _mm256_load_ps(t + i * NR));
            _mm256_stream_ps(cm + i * ldc + 8, _mm256_load_ps(t + i * NR + 8));
        }
        return;
    }
    for (int k0 = 0; k0 < cinp; k0 += VGG_WINO_KC) {
        const int kn = cinp - k0 < VGG_WINO_KC ? cinp - k0 : VGG_WINO_KC;
        vgg_partial_6x16(a + (size_t)(k0 / 8) * MR * 8, b + (size_t)k0 * NR, cm, ldc, kn / 8,
                     k0 == 0);
    }
}

/* the same for g groups of 6 tiles (a + q * as, cm + q * cs) by np blocks
 * of 16 columns (b + p * bs, cm + p * 16) on AVX-512 (gemm_avx2.h): the
 * same sums, the same bits */
ALWAYS_INLINE VGG_TARGET512 void micro_512(const float *a, size_t as, const float *b, size_t bs,
                                           float *cm, size_t cs, size_t ldc, int cinp,
                                           bool stream, const int g, const int np)
{
    if (stream) {
        float t[4 * MR * NR] __attribute__((aligned(64)));
        const size_t tl = (size_t)np * NR;   /* t's rows */
        for (int k0 = 0; k0 < cinp; k0 += VGG_WINO_KC) {
            const int kn = cinp - k0 < VGG_WINO_KC ? cinp - k0 : VGG_WINO_KC;
            vgg_partial_512(a + (size_t)(k0 / 8) * MR * 8, as, b + (size_t)k0 * NR, bs, t,
                            MR * tl, tl, kn / 8, k0 == 0, g, np);
        }
        for (int q = 0; q < g; q++)
            for (int i = 0; i < MR; i++)
                for (int h = 0; h < 2 * np; h++)
                    _mm256_stream_ps(cm + q * cs + i * ldc + h * 8,
                                     _mm256_load_ps(t + (q * MR + i) * tl + h * 8));
        return;
    }
    for (int k0 = 0; k0 < cinp; k0 += VGG_WINO_KC) {
        const int kn = cinp - k0 < VGG_WINO_KC ? cinp - k0 : VGG_WINO_KC;
        vgg_partial_512(a + (size_t)(k0 / 8) * MR * 8, as, b + (size_t)k0 * NR, bs, cm, cs, ldc,
                        kn / 8, k0 == 0, g, np);
    }
}

/* ---- the output transform: Y = A^T M A, + bias, ReLU ---- */

static inline void at6(const __m256 m[6], __m256 y[4])
{
    const __m256 s12 = _mm256_add_ps(m[1], m[2]), d12 = _mm256_sub_ps(m[1], m[2]);
    y[0] = _mm256_add_ps(_mm256_add_ps(m[0], s12), _mm256_add_ps(m[3], m[4]));
    y[1] = _mm256_fnmadd_ps(v_set(2.0f), m[4], _mm256_fmadd_ps(v_set(0.5f), m[3], d12));
    y[2] = _mm256_fmadd_ps(v_set(4.0f), m[4], _mm256_fmadd_ps(v_set(0.25f), m[3], s12));
    y[3] = _mm256_add_ps(_mm256_fnmadd_ps(v_set(8.0f), m[4],
                                          _mm256_fmadd_ps(v_set(0.125f), m[3], d12)),
                         m[5]);
}

static inline void at4(const __m256 m[4], __m256 y[2])
{
    y[0] = _mm256_add_ps(_mm256_add_ps(m[0], m[1]), m[2]);
    y[1] = _mm256_sub_ps(_mm256_sub_ps(m[1], m[2]), m[3]);
}

ALWAYS_INLINE void at(const __m256 *m, __m256 *y, const int A)
{
    if (A == 6)
        at6(m, y);
    else
        at4(m, y);
}

/* Tile t (global), in slot of the block, output channels ob * 8 .. + 8:
 * the rows of M transformed as loaded, then the columns, + bias, ReLU. */
ALWAYS_INLINE void output_tile_a(const run_ctx *c, int t, int slot, int ob, const int A)
{
    const vgg_wino_shape *s = c->s;
    const geom *g = &c->g;
    const int m = A - 2;
    const size_t ps = g->mps;
    const float *mb = c->mm + (size_t)slot * g->coutq + (size_t)ob * 8;
    __m256 tr[6][4];
    for (int i = 0; i < A; i++) {
        __m256 row[6];
        for (int j = 0; j < A; j++)
            row[j] = _mm256_load_ps(mb + (size_t)(i * A + j) * ps);
        at(row, tr[i], A);
    }
    const __m256 bv = _mm256_loadu_ps(c->bias + ob * 8), zero = _mm256_setzero_ps();
    __m256 out[4][4];
    for (int j = 0; j < m; j++) {
        __m256 col[6], y[4];
        for (int i = 0; i < A; i++)
            col[i] = tr[i][j];
        at(col, y, A);
        for (int i = 0; i < m; i++) {
            const __m256 v = _mm256_add_ps(y[i], bv);
            /* max(v, 0) is 0 for a NaN v, as the reference's v > 0 ? v : 0 */
            out[i][j] = s->relu ? _mm256_max_ps(v, zero) : v;
        }
    }
    const int per_img = g->th * g->tw;
    const int img = t / per_img, r = t - img * per_img;
    const int ty = r / g->tw;
    const int y0 = ty * m, x0 = (r - ty * g->tw) * m;
    if (s->pool_h > 0) {
        /* the tile's 2x2 windows (m / 2 x m / 2 of them, y0 and x0 even);
         * a window the ceil rounding clips at the last row or column
         * takes what it has, one past the floor rounding's windows is
         * not written */
        const int ph = s->pool_h, pw = s->pool_w;
        float *pplane = c->y + ((size_t)img * (g->cout8 / 8) + ob) * ph * pw * 8;
        for (int py = 0; py < m / 2; py++) {
            const int oy = y0 / 2 + py;
            if (oy >= ph)
                break;
            const bool two_rows = y0 + 2 * py + 1 < s->h;
            for (int px = 0; px < m / 2; px++) {
                const int ox = x0 / 2 + px;
                if (ox >= pw)
                    break;
                const bool two_cols = x0 + 2 * px + 1 < s->w;
                __m256 v = out[2 * py][2 * px];
                if (two_cols)
                    v = _mm256_max_ps(out[2 * py][2 * px + 1], v);
                if (two_rows)
                    v = _mm256_max_ps(out[2 * py + 1][2 * px], v);
                if (two_rows && two_cols)
                    v = _mm256_max_ps(out[2 * py + 1][2 * px + 1], v);
                _mm256_storeu_ps(pplane + ((size_t)oy * pw + ox) * 8, v);
            }
        }
        return;
    }
    float *plane = c->y + ((size_t)img * (g->cout8 / 8) + ob) * s->h * s->w * 8;
    const int ny = s->h - y0 < m ? s->h - y0 : m, nx = s->w - x0 < m ? s->w - x0 : m;
    float *row = plane + ((size_t)y0 * s->w + x0) * 8;
    if (ny == m && nx == m) {
        /* the rows of the tile two to the right, into the cache before
         * they are written */
        if (x0 + 3 * m <= s->w)
            for (int i = 0; i < m; i++) {
                _mm_prefetch((const char *)(row + (size_t)i * s->w * 8 + 2 * m * 8), _MM_HINT_T0);
                _mm_prefetch((const char *)(row + (size_t)i * s->w * 8 + 2 * m * 8 + 16),
                             _MM_HINT_T0);
            }
        for (int i = 0; i < m; i++, row += (size_t)s->w * 8)
            for (int j = 0; j < m; j++)
                _mm256_storeu_ps(row + j * 8, out[i][j]);
        return;
    }
    for (int i = 0; i < ny; i++, row += (size_t)s->w * 8)
        for (int j = 0; j < nx; j++)
            _mm256_storeu_ps(row + j * 8, out[i][j]);
}

static void output_tile(const run_ctx *c, int t, int slot, int ob)
{
    if (c->g.a == 6)
        output_tile_a(c, t, slot, ob, 6);
    else
        output_tile_a(c, t, slot, ob, 4);
}

/* ---- the output transform on AVX-512: two blocks of 8 channels ---- */

/* at6 and at4 on sixteen lanes: the same operations lane by lane */
static inline __attribute__((always_inline)) VGG_TARGET512 void at6_512(const __m512 m[6],
                                                                       __m512 y[4])
{
    const __m512 s12 = _mm512_add_ps(m[1], m[2]), d12 = _mm512_sub_ps(m[1], m[2]);
    y[0] = _mm512_add_ps(_mm512_add_ps(m[0], s12), _mm512_add_ps(m[3], m[4]));
    y[1] = _mm512_fnmadd_ps(_mm512_set1_ps(2.0f), m[4],
                            _mm512_fmadd_ps(_mm512_set1_ps(0.5f), m[3], d12));
    y[2] = _mm512_fmadd_ps(_mm512_set1_ps(4.0f), m[4],
                           _mm512_fmadd_ps(_mm512_set1_ps(0.25f), m[3], s12));
    y[3] = _mm512_add_ps(_mm512_fnmadd_ps(_mm512_set1_ps(8.0f), m[4],
                                          _mm512_fmadd_ps(_mm512_set1_ps(0.125f), m[3], d12)),
                         m[5]);
}

static inline __attribute__((always_inline)) VGG_TARGET512 void at4_512(const __m512 m[4],
                                                                       __m512 y[2])
{
    y[0] = _mm512_add_ps(_mm512_add_ps(m[0], m[1]), m[2]);
    y[1] = _mm512_sub_ps(_mm512_sub_ps(m[1], m[2]), m[3]);
}

/* output_tile_a for blocks ob (even) and ob + 1 (where the layer has it)
 * at once: M's 16 columns of the two in one vector, each lane computed as
 * output_tile_a computes it, so the same bits */
static inline __attribute__((always_inline)) VGG_TARGET512 void
output_tile2_a(const run_ctx *c, int t, int slot, int ob, const int A)
{
    const vgg_wino_shape *s = c->s;
    const geom *g = &c->g;
    const int m = A - 2;
    const size_t ps = g->mps;
    const bool second = ob + 1 < g->cout8 / 8;
    const float *mb = c->mm + (size_t)slot * g->coutq + (size_t)ob * 8;
    __m512 tr[6][4];
    for (int i = 0; i < A; i++) {
        __m512 row[6];
        for (int j = 0; j < A; j++)
            row[j] = _mm512_loadu_ps(mb + (size_t)(i * A + j) * ps);
        if (A == 6)
            at6_512(row, tr[i]);
        else
            at4_512(row, tr[i]);
    }
    const __m512 bv = _mm512_loadu_ps(c->bias + ob * 8), zero = _mm512_setzero_ps();
    __m512 out[4][4];
    for (int j = 0; j < m; j++) {
        __m512 col[6], y[4];
        for (int i = 0; i < A; i++)
            col[i] = tr[i][j];
        if (A == 6)
            at6_512(col, y);
        else
            at4_512(col, y);
        for (int i = 0; i < m; i++) {
            const __m512 v = _mm512_add_ps(y[i], bv);
            out[i][j] = s->relu ? _mm512_max_ps(v, zero) : v;
        }
    }
    const int per_img = g->th * g->tw;
    const int img = t / per_img, r = t - img * per_img;
    const int ty = r / g->tw;
    const int y0 = ty * m, x0 = (r - ty * g->tw) * m;
    if (s->pool_h > 0) {
        const int ph = s->pool_h, pw = s->pool_w;
        float *p0 = c->y + ((size_t)img * (g->cout8 / 8) + ob) * ph * pw * 8;
        float *p1 = second ? p0 + (size_t)ph * pw * 8 : NULL;
        for (int py = 0; py < m / 2; py++) {
            const int oy = y0 / 2 + py;
            if (oy >= ph)
                break;
            const bool two_rows = y0 + 2 * py + 1 < s->h;
            for (int px = 0; px < m / 2; px++) {
                const int ox = x0 / 2 + px;
                if (ox >= pw)
                    break;
                const bool two_cols = x0 + 2 * px + 1 < s->w;
                __m512 v = out[2 * py][2 * px];
                if (two_cols)
                    v = _mm512_max_ps(out[2 * py][2 * px + 1], v);
                if (two_rows)
                    v = _mm512_max_ps(out[2 * py + 1][2 * px], v);
                if (two_rows && two_cols)
                    v = _mm512_max_ps(out[2 * py + 1][2 * px + 1], v);
                const size_t at = ((size_t)oy * pw + ox) * 8;
                vgg_put2_512(p0 + at, p1 ? p1 + at : NULL, v);
            }
        }
        return;
    }
    float *p0 = c->y + ((size_t)img * (g->cout8 / 8) + ob) * s->h * s->w * 8;
    float *p1 = second ? p0 + (size_t)s->h * s->w * 8 : NULL;
    const int ny = s->h - y0 < m ? s->h - y0 : m, nx = s->w - x0 < m ? s->w - x0 : m;
    const size_t base = ((size_t)y0 * s->w + x0) * 8;
    if (ny == m && nx == m && x0 + 3 * m <= s->w)
        for (int i = 0; i < m; i++) {
            const size_t ahead = base + (size_t)i * s->w * 8 + 2 * m * 8;
            _mm_prefetch((const char *)(p0 + ahead), _MM_HINT_T0);
            _mm_prefetch((const char *)(p0 + ahead + 16), _MM_HINT_T0);
            if (p1) {
                _mm_prefetch((const char *)(p1 + ahead), _MM_HINT_T0);
                _mm_prefetch((const char *)(p1 + ahead + 16), _MM_HINT_T0);
            }
        }
    for (int i = 0; i < ny; i++)
        for (int j = 0; j < nx; j++) {
            const size_t at = base + ((size_t)i * s->w + j) * 8;
            vgg_put2_512(p0 + at, p1 ? p1 + at : NULL, out[i][j]);
        }
}

static VGG_TARGET512 void output_tile2(const run_ctx *c, int t, int slot, int ob)
{
    if (c->g.a == 6)
        output_tile2_a(c, t, slot, ob, 6);
    else
        output_tile2_a(c, t, slot, ob, 4);
}

/* ---- the three phases ---- */

/* the product's work items: a point and a run of 16-column blocks whose
 * weights (cinp x 16 each) stay within about 128 KB */
static int product_run(const geom *g)
{
    const int nbk = g->coutq / NR;
    int run = 2048 / g->cinp;
    return run < 1 ? 1 : run > nbk ? nbk : run;
}

/* item (a point and a run of column blocks) of the product of a block of
 * ngroups groups of tiles */
static VGG_TARGET512 void product_item512(const run_ctx *c, int it, int ngroups);

static void product_item(const run_ctx *c, int it, int ngroups)
{
    if (c->wide) {
        product_item512(c, it, ngroups);
        return;
    }
    const geom *g = &c->g;
    const int nbk = g->coutq / NR, run = product_run(g), runs = (nbk + run - 1) / run;
    const int p = it / runs, nb0 = (it % runs) * run;
    const int nb1 = nb0 + run < nbk ? nb0 + run : nbk;
    const float *vp = c->v + (size_t)p * g->vps;
    const float *up = c->packed + (size_t)p * nbk * g->cinp * NR;
    float *mp = c->mm + (size_t)p * g->mps;
    for (int gi = 0; gi < ngroups; gi++)
        for (int nb = nb0; nb < nb1; nb++)
            micro_6x16(vp + (size_t)gi * MR * g->cinp, up + (size_t)nb * g->cinp * NR,
                       mp + (size_t)gi * MR * g->coutq + (size_t)nb * NR, g->coutq, g->cinp,
                       c->stream);
}

/* the same on AVX-512: two groups of tiles by two blocks of columns at a
 * time (a remainder of one group or one block by the narrower tiles) */
static VGG_TARGET512 void product_item512(const run_ctx *c, int it, int ngroups)
{
    const geom *g = &c->g;
    const int nbk = g->coutq / NR, run = product_run(g), runs = (nbk + run - 1) / run;
    const int p = it / runs, nb0 = (it % runs) * run;
    const int nb1 = nb0 + run < nbk ? nb0 + run : nbk;
    const float *vp = c->v + (size_t)p * g->vps;
    const float *up = c->packed + (size_t)p * nbk * g->cinp * NR;
    float *mp = c->mm + (size_t)p * g->mps;
    const size_t as = (size_t)MR * g->cinp, cs = (size_t)MR * g->coutq, bs = (size_t)g->cinp * NR;
    const size_t ldc = g->coutq;
    const int cinp = g->cinp;
    const bool st = c->stream;
    for (int gi = 0; gi < ngroups; gi += 2) {
        const float *a = vp + gi * as;
        const bool two = ngroups - gi >= 2;
        for (int nb = nb0; nb < nb1; nb += 2) {
            const float *b = up + nb * bs;
            float *cm = mp + gi * cs + nb * NR;
            if (nb + 2 <= nb1) {
                if (two)
                    micro_512(a, as, b, bs, cm, cs, ldc, cinp, st, 2, 2);
                else
                    micro_512(a, as, b, bs, cm, cs, ldc, cinp, st, 1, 2);
            } else if (two) {
                micro_512(a, as, b, bs, cm, cs, ldc, cinp, st, 2, 1);
            } else {
                micro_512(a, as, b, bs, cm, cs, ldc, cinp, st, 1, 1);
            }
        }
    }
}

/* a 2x2 / 2 pooling of the output by either rounding, after ReLU, on
 * tiles of an even side */
bool vgg_wino_can_pool(const vgg_wino_shape *s)
{
    return s->relu && s->m % 2 == 0 && s->pool_h >= 1 && s->pool_w >= 1 &&
           (s->pool_h == s->h / 2 || s->pool_h == (s->h + 1) / 2) &&
           (s->pool_w == s->w / 2 || s->pool_w == (s->w + 1) / 2);
}

void vgg_wino_run(const vgg_wino_shape *s, const float *packed, const float *x, float *y,
                  void *scratch)
{
    if (s->m == 1) {
        vgg_direct8_run(s, packed, x, y, scratch);
        return;
    }
    run_ctx c0;
    c0.s = s;
    geom_of(s, &c0.g);
    const geom *g = &c0.g;
    c0.packed = packed;
    c0.x = x;
    c0.y = y;
    c0.stream = false;
    c0.wide = vgg_tile512();
    c0.bias = packed + vgg_wino_packed_floats(s->m, s->cin, s->cout) - g->coutq;
    float *base = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    const int blocks = (g->tiles + g->tb - 1) / g->tb;
    const int cbs = g->cinp / 8, obs = g->cout8 / 8, nbk = g->coutq / NR;
    const int obs2 = c0.wide ? (obs + 1) / 2 : obs;   /* the output transform's items a tile */
    const int cbs2 = c0.wide ? (cbs + 1) / 2 : cbs;   /* the input transform's */
    const int run = product_run(g), items = g->P * ((nbk + run - 1) / run);
    const int threads = s->threads < 1 ? 1 : s->threads;
    if (!g->shared) {
        /* a block a thread, whole, taken in turn: no barrier, and a thread
         * that the machine's load holds back holds up no other */
#pragma omp parallel num_threads(threads)
        {
            run_ctx c = c0;
            const int slot = omp_get_thread_num() < g->slots ? omp_get_thread_num() : 0;
            c.v = base + (g->v_floats + g->m_floats) * slot;
            c.mm = c.v + g->v_floats;
#pragma omp for schedule(dynamic, 1)
            for (int b = 0; b < blocks; b++) {
                const int t0 = b * g->tb;
                const int nt = g->tiles - t0 < g->tb ? g->tiles - t0 : g->tb;
                const int ngroups = (nt + MR - 1) / MR;
                for (int cb = 0; cb < cbs; cb += c.wide ? 2 : 1)
                    for (int sl = 0; sl < ngroups * MR; sl++) {
                        if (c.wide)
                            input_tile2(&c, t0 + sl, cb, sl, NULL);
                        else
                            input_tile(&c, t0 + sl, cb, sl, NULL);
                    }
                for (int it = 0; it < items; it++)
                    product_item(&c, it, ngroups);
                /* a plane of output channels at a time: the tiles' rows
                 * are written one after the other, as streams */
                for (int ob = 0; ob < obs; ob += c.wide ? 2 : 1)
                    for (int sl = 0; sl < nt; sl++) {
                        if (c.wide)
                            output_tile2(&c, t0 + sl, sl, ob);
                        else
                            output_tile(&c, t0 + sl, sl, ob);
                    }
            }
        }
        return;
    }
    /* wide layers: few large blocks, each phase shared by the threads; V
     * and M, each up to 16 MB, written past the caches */
    c0.v = base;
    c0.mm = base + g->v_floats;
    c0.stream = true;
    const run_ctx *c = &c0;
#pragma omp parallel num_threads(threads)
    {
        float pend[2 * 36 * 8] __attribute__((aligned(32)));   /* two: input_tile2 */
        for (int b = 0; b < blocks; b++) {
            const int t0 = b * g->tb;
            const int nt = g->tiles - t0 < g->tb ? g->tiles - t0 : g->tb;
            const int ngroups = (nt + MR - 1) / MR;
            /* 1: input transform (tiles past the last one are zero).  The
             * chunks (of an even size) hold the two tiles of each line of V
             * (an even slot and the next, see v_put). */
#pragma omp for schedule(dynamic, 16) nowait
            for (int it = 0; it < cbs2 * ngroups * MR; it++) {
                const int cb = it / (ngroups * MR), sl = it % (ngroups * MR);
                if (c->wide)
                    input_tile2(c, t0 + sl, 2 * cb, sl, pend);
                else
                    input_tile(c, t0 + sl, cb, sl, pend);
            }
            /* the streamed stores, seen by every thread after the barrier */
            _mm_sfence();
#pragma omp barrier
            /* 2: the products, one point and a run of columns an item */
#pragma omp for schedule(dynamic, 1) nowait
            for (int it = 0; it < items; it++)
                product_item(c, it, ngroups);
            _mm_sfence();
#pragma omp barrier
            /* 3: output transform; the next block's input transform may
             * start beside it (it writes V, which this reads nothing of) */
#pragma omp for schedule(dynamic, 16) nowait
            for (int it = 0; it < nt * obs2; it++) {
                if (c->wide)
                    output_tile2(c, t0 + it % nt, it % nt, 2 * (it / nt));
                else
                    output_tile(c, t0 + it % nt, it % nt, it / nt);
            }
        }
    }
}

/* ---- max-pooling 2x2 / 2 on nChw8c ---- */

/* The first of a, b, c, d (in that order) that is a NaN, lane by lane,
 * where there is one; m elsewhere. */
static inline __m256 first_nan(__m256 m, __m256 a, __m256 b, __m256 c, __m256 d)
{
    const __m256 na = _mm256_cmp_ps(a, a, _CMP_UNORD_Q), nb = _mm256_cmp_ps(b, b, _CMP_UNORD_Q);
    const __m256 nc = _mm256_cmp_ps(c, c, _CMP_UNORD_Q), nd = _mm256_cmp_ps(d, d, _CMP_UNORD_Q);
    const __m256 any = _mm256_or_ps(_mm256_or_ps(na, nb), _mm256_or_ps(nc, nd));
    __m256 t = d;
    t = _mm256_blendv_ps(t, c, nc);
    t = _mm256_blendv_ps(t, b, nb);
    t = _mm256_blendv_ps(t, a, na);
    return _mm256_blendv_ps(m, t, any);
}

void vgg_pool8_run(int n, int c, int h, int w, int oh, int ow, const float *x, float *y,
                   int threads)
{
    const int cb = (c + 7) / 8, rows = n * cb * oh;
#pragma omp parallel for num_threads(threads < 1 ? 1 : threads) schedule(static)
    for (int r = 0; r < rows; r++) {
        const int plane = r / oh, oy = r % oh;
        const float *xp = x + (size_t)plane * h * w * 8;
        float *yp = y + ((size_t)plane * oh + oy) * ow * 8;
        const int y0 = 2 * oy;
        const bool two_rows = y0 + 1 < h;
        const float *r0 = xp + (size_t)y0 * w * 8, *r1 = two_rows ? r0 + (size_t)w * 8 : r0;
        for (int ox = 0; ox < ow; ox++) {
            const int x0 = 2 * ox;
            const bool two_cols = x0 + 1 < w;
            /* a window clipped by the ceil rounding repeats its first
             * element where it has none: the maximum and the first NaN
             * stay the same */
            const __m256 a = _mm256_load_ps(r0 + x0 * 8);
            const __m256 b = two_cols ? _mm256_load_ps(r0 + (x0 + 1) * 8) : a;
            const __m256 cc = two_rows ? _mm256_load_ps(r1 + x0 * 8) : a;
            const __m256 d = two_rows && two_cols ? _mm256_load_ps(r1 + (x0 + 1) * 8) : a;
            /* max_ps(v, m) keeps m unless v > m: the first of equals,
             * as cpu-ref's scan (-0 before +0 stays -0) */
            __m256 m = _mm256_max_ps(b, a);
            m = _mm256_max_ps(cc, m);
            m = _mm256_max_ps(d, m);
            _mm256_store_ps(yp + ox * 8, first_nan(m, a, b, cc, d));
        }
    }
}

#else /* no AVX2 at compile time: vgg_wino_supported() says no, nothing runs */

const bool vgg_wino_compiled = false;

size_t vgg_wino_packed_floats(int m, int cin, int cout) { return 0; }
size_t vgg_wino_scratch_bytes(const vgg_wino_shape *s) { return 0; }
bool vgg_wino_can_pool(const vgg_wino_shape *s) { return false; }
void vgg_wino_pack(int m, int cin, int cout, const float *weight, const float *bias,
                   float *packed, int threads) {}
void vgg_wino_run(const vgg_wino_shape *s, const float *packed, const float *x, float *y,
                  void *scratch) {}
void vgg_pool8_run(int n, int c, int h, int w, int oh, int ow, const float *x, float *y,
                   int threads) {}

#endif
