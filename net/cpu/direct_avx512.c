/* The direct 3x3 convolution of a layer with few input channels (conv1_1:
 * 3), on AVX-512: vgg_wino_run's m = 1 (F(1x1, 3x3), wino.h).  With 3
 * input channels a Winograd's products have almost nothing to multiply
 * and its transforms are the whole cost; here each output pixel's 64
 * channels are 27 multiply-adds of four sixteen-lane vectors.
 *
 * Input and output nChw8c as the chain keeps them (the input's channels
 * past cin, its padding, are never read).  A thread takes whole output
 * rows: the three input rows it needs are copied into its scratch with a
 * zero border (padding 1, and DP zeros past the right edge so that a tile
 * of DP pixels never reads past them), then tiles of DP pixels by up to
 * four blocks of 16 output channels keep 24 vectors of sums in registers,
 * each tap's 16-channel weights loaded once for the DP pixels.
 *
 * Bits: every output is the sum over its taps in the order (input
 * channel, row, column) by fused multiply-adds from zero, then the bias,
 * then ReLU (max(v, 0): NaN to 0), whatever the threads, the batch or
 * where the pixel falls in a tile.  Compiled with -mavx2 -mfma; its
 * functions are AVX-512 (VGG_TARGET512) and run only where vgg_tile512()
 * says so. */
#include "wino.h"

#include <omp.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

#include "gemm_avx2.h"

#define DP 6       /* output pixels a tile */
#define NBMAX 4    /* blocks of 16 output channels a tile */

static size_t coutq16(int cout) { return (size_t)(cout + 15) / 16 * 16; }

/* floats of one thread's three padded input rows */
static size_t rows_floats(int w) { return (size_t)3 * (w + 2 + DP) * 8; }

size_t vgg_direct8_packed_floats(int cin, int cout)
{
    (void)cin;
    return (size_t)8 * 9 * coutq16(cout) + coutq16(cout);
}

void vgg_direct8_pack(int cin, int cout, const float *weight, const float *bias, float *packed)
{
    const size_t cq = coutq16(cout);
    /* [input channel][tap][cq], then the bias [cq]; zero past cin, cout */
    for (int ci = 0; ci < 8; ci++)
        for (int t = 0; t < 9; t++)
            for (size_t o = 0; o < cq; o++)
                packed[((size_t)ci * 9 + t) * cq + o] =
                    ci < cin && (int)o < cout ? weight[((size_t)o * cin + ci) * 9 + t] : 0.0f;
    for (size_t o = 0; o < cq; o++)
        packed[(size_t)72 * cq + o] = bias && (int)o < cout ? bias[o] : 0.0f;
}

size_t vgg_direct8_scratch_bytes(const vgg_wino_shape *s)
{
    const int threads = s->threads < 1 ? 1 : s->threads;
    return (size_t)threads * rows_floats(s->w) * sizeof(float) + 64;
}

/* DP pixels from column x0 of output row yy by nb blocks of 16 channels
 * from block ob: the sums, + bias, ReLU, stored into y's planes. */
static inline __attribute__((always_inline)) VGG_TARGET512 void
tile(const vgg_wino_shape *s, const float *rows, size_t rw, const float *packed, size_t cq,
     int img, int yy, int x0, int np, int ob, const int nb, float *y)
{
    __m512 acc[DP][NBMAX];
#pragma GCC unroll 6
    for (int p = 0; p < DP; p++)
#pragma GCC unroll 4
        for (int b = 0; b < nb; b++)
            acc[p][b] = _mm512_setzero_ps();
    for (int ci = 0; ci < s->cin; ci++)
        for (int ky = 0; ky < 3; ky++) {
            const float *row = rows + ky * rw + (size_t)x0 * 8 + ci;
#pragma GCC unroll 3
            for (int kx = 0; kx < 3; kx++) {
                const float *wt = packed + ((size_t)ci * 9 + ky * 3 + kx) * cq + (size_t)ob * 16;
                __m512 wv[NBMAX];
#pragma GCC unroll 4
                for (int b = 0; b < nb; b++)
                    wv[b] = _mm512_loadu_ps(wt + b * 16);
#pragma GCC unroll 6
                for (int p = 0; p < DP; p++) {
                    const __m512 a = _mm512_set1_ps(row[(size_t)(p + kx) * 8]);
#pragma GCC unroll 4
                    for (int b = 0; b < nb; b++)
                        acc[p][b] = _mm512_fmadd_ps(a, wv[b], acc[p][b]);
                }
            }
        }
    const int cb = (s->cout + 7) / 8;
    const __m512 zero = _mm512_setzero_ps();
#pragma GCC unroll 4
    for (int b = 0; b < nb; b++) {
        const __m512 bv = _mm512_loadu_ps(packed + (size_t)72 * cq + (size_t)(ob + b) * 16);
        const int c8 = (ob + b) * 2;   /* its first block of 8 channels */
        float *d0 = y + (((size_t)img * cb + c8) * s->h + yy) * s->w * 8;
        /* the second block of 8 where the layer has it */
        float *d1 = c8 + 1 < cb ? d0 + (size_t)s->h * s->w * 8 : NULL;
#pragma GCC unroll 6
        for (int p = 0; p < DP; p++) {
            if (p >= np)
                break;
            __m512 v = _mm512_add_ps(acc[p][b], bv);
            /* max(v, 0) is 0 for a NaN v, as the reference's v > 0 ? v : 0 */
            if (s->relu)
                v = _mm512_max_ps(v, zero);
            vgg_put2_512(d0 + (size_t)(x0 + p) * 8, d1 ? d1 + (size_t)(x0 + p) * 8 : NULL, v);
        }
    }
}

static VGG_TARGET512 void row_of(const vgg_wino_shape *s, const float *packed, const float *x,
                                 float *y, float *rows, int img, int yy)
{
    const int h = s->h, w = s->w;
    const size_t rw = (size_t)(w + 2 + DP) * 8, cq = coutq16(s->cout);
    const int cbi = (s->cin + 7) / 8;   /* 1: cin <= 8 */
    /* the three input rows, zero outside the image */
    for (int ky = 0; ky < 3; ky++) {
        float *r = rows + ky * rw;
        const int iy = yy + ky - 1;
        memset(r, 0, rw * sizeof(float));
        if (iy >= 0 && iy < h)
            memcpy(r + 8, x + ((size_t)img * cbi * h + iy) * w * 8, (size_t)w * 8 * sizeof(float));
    }
    const int nbk = (int)(cq / 16);
    for (int x0 = 0; x0 < w; x0 += DP) {
        const int np = w - x0 < DP ? w - x0 : DP;
        for (int ob = 0; ob < nbk; ob += NBMAX) {
            switch (nbk - ob) {
            case 1: tile(s, rows, rw, packed, cq, img, yy, x0, np, ob, 1, y); break;
            case 2: tile(s, rows, rw, packed, cq, img, yy, x0, np, ob, 2, y); break;
            case 3: tile(s, rows, rw, packed, cq, img, yy, x0, np, ob, 3, y); break;
            default: tile(s, rows, rw, packed, cq, img, yy, x0, np, ob, 4, y); break;
            }
        }
    }
}

void vgg_direct8_run(const vgg_wino_shape *s, const float *packed, const float *x, float *y,
                     void *scratch)
{
    const int threads = s->threads < 1 ? 1 : s->threads;
    float *base = (float *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63);
    const int rows = s->n * s->h;
#pragma omp parallel num_threads(threads)
    {
        float *mine = base + (size_t)omp_get_thread_num() * rows_floats(s->w);
#pragma omp for schedule(static)
        for (int r = 0; r < rows; r++)
            row_of(s, packed, x, y, mine, r / s->h, r % s->h);
    }
}

#else /* no AVX2 at compile time: vgg_tile512() is false, nothing runs */

size_t vgg_direct8_packed_floats(int cin, int cout) { return 0; }
void vgg_direct8_pack(int cin, int cout, const float *weight, const float *bias, float *packed) {}
size_t vgg_direct8_scratch_bytes(const vgg_wino_shape *s) { return 0; }
void vgg_direct8_run(const vgg_wino_shape *s, const float *packed, const float *x, float *y,
                     void *scratch)
{
}

#endif
