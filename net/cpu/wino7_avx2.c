/* fc6 as a 7x7 convolution by Winograd F(2x2, 7x7) with AVX2 and FMA
 * (see fc.h, VGG_FC_WINO7).  This file is compiled with -mavx2 -mfma
 * (net/CMakeLists.txt); nothing in it runs unless vgg_fc_supported() said
 * yes.
 *
 * The points 0, 1, -1, 1/2, -1/2, 2, -2 and infinity: 8x8 input tiles,
 * 64 points, 2x2 outputs a tile, 64 multiplies where the direct sum has
 * 4 x 49 = 196.  G holds the powers of the points (exact in binary), B^T
 * the interpolation's fractions, A^T the powers 0 and 1.
 *
 * The weights are the net's own (cout, c, 7, 7), read in place: for each
 * 16 outputs and VGG_WINO7_KC input channels U = G g G^T is made on the
 * fly (in float, the sums in a fixed order) into the core's cache and
 * used for every tile of the block, so that nothing the size of the
 * weights is stored and the weights are read once a block of tiles.
 *
 * Layouts (floats; cinp = c rounded up to 8, tb tiles a block, a
 * multiple of 6):
 *   V (a block, shared)     [chunks][64][tb / 6][VGG_WINO7_KC / 8][6][8]
 *                           (a chunk of VGG_WINO7_KC channels at a point one run, as the
 *                           products read it: 0.77-0.94x their time against [64][tb / 6]
 *                           [cinp / 8][6][8])
 *   U (a thread's)          [64][VGG_WINO7_KC][16]
 *   M (a thread's)          [64][tb][16]
 * each point's plane padded by 64 bytes (geom7_of).
 * Tiles are numbered over (image, tile row, tile column) of the output. */
#include "fc.h"

#include <omp.h>
#include <stdint.h>

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "gemm_avx2.h"
#include "wino.h"

#define MR VGG_MR
#define NR VGG_NR
/* at most this many tiles a block: a thread's M within 192 KB.  Each block
 * reads the weights and makes U again; yet twice the tiles (M out of the
 * L2 cache) took 1.7x the time, and U kept for several blocks (2 MB a
 * thread, read back from L3) 1.3-1.8x. */
#define TB_MAX 48

#define ALWAYS_INLINE static inline __attribute__((always_inline))

/* B^T of the points above (rows: points; columns: the tile's 8 inputs) */
static const float BT[8][8] = {
    {1.0f, 0.0f, -21.0f / 4, 0.0f, 21.0f / 4, 0.0f, -1.0f, 0.0f},
    {0.0f, -2.0f / 9, -2.0f / 9, 17.0f / 18, 17.0f / 18, -2.0f / 9, -2.0f / 9, 0.0f},
    {0.0f, 2.0f / 9, -2.0f / 9, -17.0f / 18, 17.0f / 18, 2.0f / 9, -2.0f / 9, 0.0f},
    {0.0f, 64.0f / 45, 128.0f / 45, -16.0f / 9, -32.0f / 9, 16.0f / 45, 32.0f / 45, 0.0f},
    {0.0f, -64.0f / 45, 128.0f / 45, 16.0f / 9, -32.0f / 9, -16.0f / 45, 32.0f / 45, 0.0f},
    {0.0f, 1.0f / 180, 1.0f / 360, -1.0f / 36, -1.0f / 72, 1.0f / 45, 1.0f / 90, 0.0f},
    {0.0f, -1.0f / 180, 1.0f / 360, 1.0f / 36, -1.0f / 72, -1.0f / 45, 1.0f / 90, 0.0f},
    {0.0f, -1.0f, 0.0f, 21.0f / 4, 0.0f, -21.0f / 4, 0.0f, 1.0f},
};

typedef struct geom7 {
    int oh, ow, th, tw, tiles;
    int cinp, cbs;            /* channels rounded up to 8, and their blocks */
    int tb, blocks;           /* tiles a block (a multiple of MR), blocks */
    size_t vps, ups, mps;     /* floats from a point's plane of V, U, M to the next */
    int ldm;                  /* floats from a tile's row of M to the next: 16 outputs, or 32
                               * where the products take two blocks of 16 at once (wide) */
    size_t v_floats, u_floats, m_floats, g_floats;
} geom7;

static void geom7_of(const vgg_wino7_shape *s, geom7 *g, bool wide)
{
    g->oh = s->h - 6;
    g->ow = s->w - 6;
    g->th = (g->oh + 1) / 2;
    g->tw = (g->ow + 1) / 2;
    g->tiles = s->n * g->th * g->tw;
    g->cinp = (s->c + 7) / 8 * 8;
    g->cbs = g->cinp / 8;
    g->blocks = (g->tiles + TB_MAX - 1) / TB_MAX;
    if (g->blocks < 1)
        g->blocks = 1;
    const int per = (g->tiles + g->blocks - 1) / g->blocks;
    g->tb = (per + MR - 1) / MR * MR;
    if (g->tb < MR)
        g->tb = MR;
    /* each plane 64 bytes past a multiple of its size, so that the 64
     * planes a tile or a filter touches fall into 64 sets of the L1 cache
     * (U's planes 2 KB apart, in two sets, thrashed them) */
    g->vps = (size_t)g->tb * VGG_WINO7_KC + 16;
    g->ups = (size_t)VGG_WINO7_KC * NR + 16;
    g->ldm = wide ? 2 * NR : NR;
    g->mps = (size_t)g->tb * g->ldm + 16;
    g->v_floats = (size_t)((g->cinp + VGG_WINO7_KC - 1) / VGG_WINO7_KC) * 64 * g->vps;
    g->u_floats = (size_t)(wide ? 2 : 1) * 64 * g->ups;   /* wide: two blocks' U */
    g->m_floats = 64 * g->mps;
    g->g_floats = (size_t)VGG_WINO7_KC * 49 * NR;
}

/* floats of a thread's scratch: a chunk's U, M, the gathered weights */
static size_t thread_floats(const geom7 *g) { return g->u_floats + g->m_floats + g->g_floats; }

static int threads_of(const vgg_wino7_shape *s) { return s->threads < 1 ? 1 : s->threads; }

size_t vgg_wino7_scratch_bytes(const vgg_wino7_shape *s)
{
    geom7 g;
    geom7_of(s, &g, true);   /* the larger of the two */
    return (g.v_floats + thread_floats(&g) * threads_of(s)) * sizeof(float) + 64;
}

/* ---- the input transform: V = B^T d B ---- */

/* r = B^T d (8 vectors to 8) */
ALWAYS_INLINE void bt8(const __m256 d[8], __m256 r[8])
{
#pragma GCC unroll 8
    for (int i = 0; i < 8; i++) {
        __m256 acc = _mm256_setzero_ps();
#pragma GCC unroll 8
        for (int j = 0; j < 8; j++)
            if (BT[i][j] != 0.0f)
                acc = _mm256_fmadd_ps(_mm256_set1_ps(BT[i][j]), d[j], acc);
        r[i] = acc;
    }
}

/* Tile t (global; zero past the last) of channel block cb into slot sl of
 * the block's V. */
static void input_tile(const vgg_wino7_shape *s, const geom7 *g, const float *x, float *v,
                       int t, int cb, int sl)
{
    const int kb = VGG_WINO7_KC / 8;
    float *dst = v + (size_t)(cb / kb) * 64 * g->vps + ((size_t)(sl / MR) * kb + cb % kb) * MR * 8 +
                 (size_t)(sl % MR) * 8;
    const size_t ps = g->vps;
    if (t >= g->tiles) {
        for (int p = 0; p < 64; p++)
            _mm256_store_ps(dst + p * ps, _mm256_setzero_ps());
        return;
    }
    const int per_img = g->th * g->tw;
    const int img = t / per_img, r = t - img * per_img;
    const int ty = r / g->tw, y0 = 2 * ty, x0 = 2 * (r - ty * g->tw);
    const float *plane = x + ((size_t)img * g->cbs + cb) * s->h * s->w * 8;
    /* the lanes past c are zero whatever the padding channels hold */
    const int live = s->c - cb * 8;
    const __m256 mask = _mm256_castsi256_ps(_mm256_cmpgt_epi32(
        _mm256_set1_epi32(live < 8 ? live : 8), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
    __m256 tr[8][8];
    for (int yy = 0; yy < 8; yy++) {
        const int iy = y0 + yy;
        __m256 d[8];
        for (int xx = 0; xx < 8; xx++) {
            const int ix = x0 + xx;
            d[xx] = iy < s->h && ix < s->w
                        ? _mm256_and_ps(_mm256_loadu_ps(plane + ((size_t)iy * s->w + ix) * 8),
                                        mask)
                        : _mm256_setzero_ps();
        }
        bt8(d, tr[yy]);
    }
    for (int j = 0; j < 8; j++) {
        __m256 col[8], out[8];
        for (int yy = 0; yy < 8; yy++)
            col[yy] = tr[yy][j];
        bt8(col, out);
        for (int i = 0; i < 8; i++)
            _mm256_store_ps(dst + (size_t)(i * 8 + j) * ps, out[i]);
    }
}

/* ---- the weights: U = G g G^T, on the fly ---- */

/* r = G v (7 taps to 8 points); the pairs +-a share their even and odd
 * parts (Horner's rule in a^2) */
ALWAYS_INLINE void g7(const __m256 v[7], __m256 r[8])
{
    const __m256 q = _mm256_set1_ps(0.25f), f = _mm256_set1_ps(4.0f);
    r[0] = v[0];
    const __m256 e1 = _mm256_add_ps(_mm256_add_ps(v[0], v[2]), _mm256_add_ps(v[4], v[6]));
    const __m256 o1 = _mm256_add_ps(_mm256_add_ps(v[1], v[3]), v[5]);
    r[1] = _mm256_add_ps(e1, o1);
    r[2] = _mm256_sub_ps(e1, o1);
    /* a = 1/2: v0 + (v2 + (v4 + v6 / 4) / 4) / 4, (v1 + (v3 + v5 / 4) / 4) / 2 */
    const __m256 eh = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_fmadd_ps(v[6], q, v[4]), q, v[2]),
                                      q, v[0]);
    const __m256 oh = _mm256_mul_ps(_mm256_fmadd_ps(_mm256_fmadd_ps(v[5], q, v[3]), q, v[1]),
                                    _mm256_set1_ps(0.5f));
    r[3] = _mm256_add_ps(eh, oh);
    r[4] = _mm256_sub_ps(eh, oh);
    /* a = 2: v0 + 4 (v2 + 4 (v4 + 4 v6)), 2 (v1 + 4 (v3 + 4 v5)) */
    const __m256 e2 = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_fmadd_ps(v[6], f, v[4]), f, v[2]),
                                      f, v[0]);
    const __m256 o2h = _mm256_fmadd_ps(_mm256_fmadd_ps(v[5], f, v[3]), f, v[1]);
    const __m256 o2 = _mm256_add_ps(o2h, o2h);
    r[5] = _mm256_add_ps(e2, o2);
    r[6] = _mm256_sub_ps(e2, o2);
    r[7] = v[6];
}

/* The weights of outputs ob * NR .. + NR (zero past cout) and input
 * channels c0 .. c0 + kn (kn <= c - c0) into gc [kn * 49][NR]: each tap
 * a vector of the NR filters.  The rows are read as short streams side by
 * side, 8 at a time, and turned by 8 x 8 transposes. */
static void gather_chunk(const vgg_wino7_shape *s, const float *w, int ob, int c0, int kn,
                         float *gc)
{
    const int len = kn * 49, full = len / 8 * 8;
    for (int h = 0; h < 2; h++) {
        const int o0 = ob * NR + h * 8;
        const float *rows[8];
        for (int l = 0; l < 8; l++)
            rows[l] = o0 + l < s->cout ? w + ((size_t)(o0 + l) * s->c + c0) * 49 : NULL;
        if (o0 + 8 <= s->cout) {
            for (int k = 0; k < full; k += 8) {
                __m256 r[8];
                for (int l = 0; l < 8; l++)
                    r[l] = _mm256_loadu_ps(rows[l] + k);
                vgg_transpose8(r);
                for (int q = 0; q < 8; q++)
                    _mm256_store_ps(gc + (size_t)(k + q) * NR + h * 8, r[q]);
            }
        } else {
            for (int k = 0; k < full; k++)
                for (int l = 0; l < 8; l++)
                    gc[(size_t)k * NR + h * 8 + l] = rows[l] ? rows[l][k] : 0.0f;
        }
        for (int k = full; k < len; k++)
            for (int l = 0; l < 8; l++)
                gc[(size_t)k * NR + h * 8 + l] = rows[l] ? rows[l][k] : 0.0f;
    }
}

/* U of 8 filters (lanes) of one input channel from its 49 taps g (a
 * vector each, NR floats apart) into u (64 points, ustride floats apart):
 * t = G g along ky (a column kx at a time), then U = t G^T along kx. */
static void u_filters(const float *g, float *u, size_t ustride)
{
    __m256 t[8][7];
    for (int kx = 0; kx < 7; kx++) {
        __m256 col[7], r[8];
        for (int ky = 0; ky < 7; ky++)
            col[ky] = _mm256_load_ps(g + (size_t)(ky * 7 + kx) * NR);
        g7(col, r);
        for (int j = 0; j < 8; j++)
            t[j][kx] = r[j];
    }
    for (int j = 0; j < 8; j++) {
        __m256 r[8];
        g7(t[j], r);
        for (int l = 0; l < 8; l++)
            _mm256_store_ps(u + (size_t)(j * 8 + l) * ustride, r[l]);
    }
}

/* g7 and u_filters on sixteen lanes (both halves of a block of 16
 * outputs at once): the same operations lane by lane, so the same U */
static inline __attribute__((always_inline)) VGG_TARGET512 void g7_512(const __m512 v[7],
                                                                      __m512 r[8])
{
    const __m512 q = _mm512_set1_ps(0.25f), f = _mm512_set1_ps(4.0f);
    r[0] = v[0];
    const __m512 e1 = _mm512_add_ps(_mm512_add_ps(v[0], v[2]), _mm512_add_ps(v[4], v[6]));
    const __m512 o1 = _mm512_add_ps(_mm512_add_ps(v[1], v[3]), v[5]);
    r[1] = _mm512_add_ps(e1, o1);
    r[2] = _mm512_sub_ps(e1, o1);
    const __m512 eh = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_fmadd_ps(v[6], q, v[4]), q, v[2]),
                                      q, v[0]);
    const __m512 oh = _mm512_mul_ps(_mm512_fmadd_ps(_mm512_fmadd_ps(v[5], q, v[3]), q, v[1]),
                                    _mm512_set1_ps(0.5f));
    r[3] = _mm512_add_ps(eh, oh);
    r[4] = _mm512_sub_ps(eh, oh);
    const __m512 e2 = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_fmadd_ps(v[6], f, v[4]), f, v[2]),
                                      f, v[0]);
    const __m512 o2h = _mm512_fmadd_ps(_mm512_fmadd_ps(v[5], f, v[3]), f, v[1]);
    const __m512 o2 = _mm512_add_ps(o2h, o2h);
    r[5] = _mm512_add_ps(e2, o2);
    r[6] = _mm512_sub_ps(e2, o2);
    r[7] = v[6];
}

static VGG_TARGET512 void u_filters512(const float *g, float *u, size_t ustride)
{
    __m512 t[8][7];
    for (int kx = 0; kx < 7; kx++) {
        __m512 col[7], r[8];
        for (int ky = 0; ky < 7; ky++)
            col[ky] = _mm512_loadu_ps(g + (size_t)(ky * 7 + kx) * NR);
        g7_512(col, r);
        for (int j = 0; j < 8; j++)
            t[j][kx] = r[j];
    }
    for (int j = 0; j < 8; j++) {
        __m512 r[8];
        g7_512(t[j], r);
        for (int l = 0; l < 8; l++)
            _mm512_storeu_ps(u + (size_t)(j * 8 + l) * ustride, r[l]);
    }
}

/* ---- the output transform: Y = A^T M A, + bias, ReLU ---- */

/* y = A^T m (8 points to 2 outputs) */
ALWAYS_INLINE void at8(const __m256 m[8], __m256 y[2])
{
    y[0] = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(m[0], m[1]), _mm256_add_ps(m[2], m[3])),
                         _mm256_add_ps(_mm256_add_ps(m[4], m[5]), m[6]));
    const __m256 d12 = _mm256_sub_ps(m[1], m[2]), d34 = _mm256_sub_ps(m[3], m[4]);
    const __m256 d56 = _mm256_sub_ps(m[5], m[6]);
    y[1] = _mm256_add_ps(
        _mm256_fmadd_ps(_mm256_set1_ps(2.0f), d56, _mm256_fmadd_ps(_mm256_set1_ps(0.5f), d34, d12)),
        m[7]);
}

/* Tile t (global) in slot sl of the block, outputs o0 .. o0 + 8 (the lanes
 * past cout not written): y rows (img, oy, ox) of cout. */
static void output_tile(const vgg_wino7_shape *s, const geom7 *g, const float *mm,
                        const float *bias, float *y, int t, int sl, int o0)
{
    __m256 tr[8][2];
    for (int i = 0; i < 8; i++) {
        __m256 row[8];
        for (int j = 0; j < 8; j++)
            row[j] = _mm256_load_ps(mm + (size_t)(i * 8 + j) * g->mps + (size_t)sl * g->ldm);
        at8(row, tr[i]);
    }
    int live = s->cout - o0;
    if (live > 8)
        live = 8;
    const __m256i lanes = _mm256_cmpgt_epi32(_mm256_set1_epi32(live),
                                             _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
    float bb[8] = {0};
    for (int l = 0; l < live; l++)
        bb[l] = bias ? bias[o0 + l] : 0.0f;
    const __m256 bv = _mm256_loadu_ps(bb), zero = _mm256_setzero_ps();
    const int per_img = g->th * g->tw;
    const int img = t / per_img, r = t - img * per_img;
    const int ty = r / g->tw, y0 = 2 * ty, x0 = 2 * (r - ty * g->tw);
    for (int j = 0; j < 2; j++) {
        __m256 col[8], out[2];
        for (int i = 0; i < 8; i++)
            col[i] = tr[i][j];
        at8(col, out);
        for (int i = 0; i < 2; i++) {
            if (y0 + i >= g->oh || x0 + j >= g->ow)
                continue;
            __m256 v = _mm256_add_ps(out[i], bv);
            /* max(v, 0) is 0 for a NaN v, as the reference's v > 0 ? v : 0 */
            if (s->relu)
                v = _mm256_max_ps(v, zero);
            float *dst = y + (((size_t)img * g->oh + y0 + i) * g->ow + x0 + j) * s->cout + o0;
            if (live == 8)
                _mm256_storeu_ps(dst, v);
            else
                _mm256_maskstore_ps(dst, lanes, v);
        }
    }
}

/* ---- the run ---- */

/* tiles of block b */
static int tiles_of(const geom7 *g, int b)
{
    const int left = g->tiles - b * g->tb;
    return left < g->tb ? left : g->tb;
}

/* The products of chunk c0 (kn channels) for a block's groups of tiles:
 * M[p] (+)= V[p] U[p], the first chunk storing its sums. */
static void products(const geom7 *g, const float *vb, const float *uc, float *mm, int c0, int kn,
                     int groups)
{
    for (int p = 0; p < 64; p++) {
        const float *vp = vb + ((size_t)(c0 / VGG_WINO7_KC) * 64 + p) * g->vps;
        const float *up = uc + (size_t)p * g->ups;
        float *mp = mm + (size_t)p * g->mps;
        for (int gi = 0; gi < groups; gi++)
            vgg_partial_6x16(vp + (size_t)gi * VGG_WINO7_KC * MR, up, mp + (size_t)gi * MR * NR, NR,
                             kn / 8, c0 == 0);
    }
}

/* the same on AVX-512 for nb blocks of 16 outputs (1 or 2; their U
 * g->u_floats / 2 apart, their sums side by side in M's rows of 32): two
 * groups of tiles by the two blocks at a time, or four by one */
static VGG_TARGET512 void products512(const geom7 *g, const float *vb, const float *uc, float *mm,
                                      int c0, int kn, int groups, int nb)
{
    const size_t as = (size_t)VGG_WINO7_KC * MR, cs = (size_t)MR * g->ldm, bs = 64 * g->ups;
    const size_t ldc = (size_t)g->ldm;
    const bool first = c0 == 0;
    for (int p = 0; p < 64; p++) {
        const float *vp = vb + ((size_t)(c0 / VGG_WINO7_KC) * 64 + p) * g->vps;
        const float *up = uc + (size_t)p * g->ups;
        float *mp = mm + (size_t)p * g->mps;
        if (nb == 2) {
            int gi = 0;
            for (; gi + 2 <= groups; gi += 2)
                vgg_partial_512(vp + gi * as, as, up, bs, mp + gi * cs, cs, ldc, kn / 8, first, 2,
                                2);
            if (gi < groups)
                vgg_partial_512(vp + gi * as, as, up, bs, mp + gi * cs, cs, ldc, kn / 8, first, 1,
                                2);
            continue;
        }
        int gi = 0;
        for (; gi + 4 <= groups; gi += 4)
            vgg_partial_512(vp + gi * as, as, up, 0, mp + gi * cs, cs, ldc, kn / 8, first, 4, 1);
        switch (groups - gi) {
        case 3:
            vgg_partial_512(vp + gi * as, as, up, 0, mp + gi * cs, cs, ldc, kn / 8, first, 3, 1);
            break;
        case 2:
            vgg_partial_512(vp + gi * as, as, up, 0, mp + gi * cs, cs, ldc, kn / 8, first, 2, 1);
            break;
        case 1:
            vgg_partial_512(vp + gi * as, as, up, 0, mp + gi * cs, cs, ldc, kn / 8, first, 1, 1);
            break;
        }
    }
}

/* U of chunk c0 (kn channels, live of them with weights) of outputs ob * NR
 * .. + NR into uc, from the weights gathered into gc. */
static void u_chunk(const vgg_wino7_shape *s, const geom7 *g, const float *w, int ob, int c0,
                    int kn, float *gc, float *uc, bool wide)
{
    const int left = s->c - c0, live = left < kn ? left : kn;
    gather_chunk(s, w, ob, c0, live, gc);
    if (wide)   /* the 16 outputs at once */
        for (int ci = 0; ci < live; ci++)
            u_filters512(gc + (size_t)ci * 49 * NR, uc + (size_t)ci * NR, g->ups);
    for (int ci = wide ? live : 0; ci < kn; ci++)
        for (int h = 0; h < 2; h++) {
            float *u = uc + (size_t)ci * NR + h * 8;
            if (ci < live)
                u_filters(gc + (size_t)ci * 49 * NR + h * 8, u, g->ups);
            else   /* channels past c (up to cinp) have no weights */
                for (int p = 0; p < 64; p++)
                    _mm256_store_ps(u + p * g->ups, _mm256_setzero_ps());
        }
}

void vgg_wino7_run(const vgg_wino7_shape *s, const float *w, const float *bias, const float *x,
                   float *y, void *scratch)
{
    const bool wide = vgg_tile512();
    geom7 g;
    geom7_of(s, &g, wide);
    if (g.oh <= 0 || g.ow <= 0 || s->n <= 0 || s->cout <= 0)
        return;
    const int threads = threads_of(s);
    float *v = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    const int obs = (s->cout + NR - 1) / NR;
    for (int b = 0; b < g.blocks; b++) {
        const int t0 = b * g.tb, nt = tiles_of(&g, b), groups = (nt + MR - 1) / MR;
#pragma omp parallel num_threads(threads)
        {
            /* V of the block (tiles past the last one are zero) */
#pragma omp for schedule(static)
            for (int it = 0; it < g.cbs * groups * MR; it++)
                input_tile(s, &g, x, v, t0 + it % (groups * MR), it / (groups * MR),
                           it % (groups * MR));
            /* (the barrier: every thread reads all of V) */
            const int me = omp_get_thread_num(), nth = omp_get_num_threads();
            float *u = v + g.v_floats + thread_floats(&g) * me;
            float *mm = u + g.u_floats, *gc = mm + g.m_floats;
            int ob0, ob1;
            vgg_share(obs, me, nth, &ob0, &ob1);
            /* wide: two blocks of 16 outputs at a time (their U side by
             * side, their sums in M's rows of 32) */
            const int step = wide ? 2 : 1;
            for (int ob = ob0; ob < ob1; ob += step) {
                const int nb = ob + step <= ob1 ? step : 1;
                /* each chunk's U made and used at once, in the L2 cache */
                for (int c0 = 0; c0 < g.cinp; c0 += VGG_WINO7_KC) {
                    const int kn = g.cinp - c0 < VGG_WINO7_KC ? g.cinp - c0 : VGG_WINO7_KC;
                    for (int k = 0; k < nb; k++)
                        u_chunk(s, &g, w, ob + k, c0, kn, gc, u + (size_t)k * 64 * g.ups, wide);
                    if (wide)
                        products512(&g, v, u, mm, c0, kn, groups, nb);
                    else
                        products(&g, v, u, mm, c0, kn, groups);
                }
                for (int k = 0; k < nb; k++)
                    for (int sl = 0; sl < nt; sl++)
                        for (int h = 0; h < 2 && (ob + k) * NR + h * 8 < s->cout; h++)
                            output_tile(s, &g, mm + k * NR + h * 8, bias, y, t0 + sl, sl,
                                        (ob + k) * NR + h * 8);
            }
        }
    }
}

#else /* no AVX2 at compile time: vgg_fc_supported() says no, nothing runs */

size_t vgg_wino7_scratch_bytes(const vgg_wino7_shape *s)
{
    return 0;
}

void vgg_wino7_run(const vgg_wino7_shape *s, const float *w, const float *bias, const float *x,
                   float *y, void *scratch)
{
}

#endif
