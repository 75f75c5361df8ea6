/* Fully connected layers of our own for the "cpu" backend's forward chain
 * (net/cpu/fc_avx2.c): y (M, N) = ReLU?(x (M, K) w^T + bias), the weights
 * w the net's own (N, K) rows read in place (no second copy), written
 * with AVX2 and FMA intrinsics and run only where the CPU has them
 * (vgg_fc_supported).  Two products: the dot products for the fewest
 * rows (up to 4 positions an image: a 224 crop is 1), the panel product
 * past them (fc.c's rule):
 *
 * VGG_FC_OWN, a dot product a output.  At an image and its flip at
 * Q = 256, fc6 of VGG-16 is 16 rows of 25088 against 4096 rows of 25088:
 * 411 MB of weights for 3.3 GFLOP, each weight used 16 times, a product
 * between memory and arithmetic (on the 2-core Zen 3 we measure on, 35 ms
 * to read the weights at 12 GB/s, 19 ms of multiply-adds at 176
 * GFLOP/s).  Each output is a dot product of a row of x with a row of w,
 * which is the layout w has: each thread streams its own range of output
 * columns, six rows of w at a time against two rows of x (register tiles
 * of 2 x 6 eight-lane sums), x packed once a call so that it streams from
 * the core's cache whatever K's stride.
 *   Bits: every output is y = ((s_0 + s_1) + ...) + bias in that order,
 * s_c the chunk c's (VGG_FC_KC) eight lane sums (each over its k = lane
 * mod 8 in order) added by one fixed tree; ReLU as cpu-ref's (NaN -> 0).
 *
 * VGG_FC_PANEL, outer products, each lane one sum along k in order.  Up
 * to 160 rows, x's rows are packed 16 to a tile (two vectors) and each k
 * of 6 rows of w is broadcast from w itself, read in place in runs of
 * 32 KB a row (6 x 16 register tiles); at fc6 of Q=256 (16 rows) this
 * took 0.69x the dot products' time, the weights read at 12 GB/s.  Past
 * 160 rows (bound by arithmetic: fc6 at Q=512 on 512x683 is 300 rows,
 * 62 GFLOP) a panel of 16 rows of w over a span of VGG_FC_SPAN k's is
 * transposed into the core's cache and register tiles of 6 rows of x by
 * its 16 outputs run over it (the classic 6 x 16 tile of AVX2 GEMMs),
 * reusing each weight for every row.  Both ways read the weights once a
 * call and keep no copy, and give the same bits.
 *   Bits: every output is y = ((t_0 + t_1) + ...) + bias in that order,
 * t_c the chunk c's (VGG_FC_KC) sum from zero of x[k] w[k] over its k in
 * order, one fused multiply-add each; ReLU as cpu-ref's (NaN -> 0).  The
 * spans (multiples of the chunk) are cache blocking only.
 *
 * Both: a function of K alone, not of M (the batch, the positions), of N
 * or of the number of threads. */
#ifndef VGG_NET_FC_H
#define VGG_NET_FC_H

#include <stdbool.h>
#include <stddef.h>

/* K a chunk (a multiple of 8): 2 KB of each weight row */
#define VGG_FC_KC 512
/* K a span of the panel product (a multiple of VGG_FC_KC): a panel of w
 * over it is 128 KB */
#define VGG_FC_SPAN 2048

/* Which implementation a fully connected layer of the chain gets (fp32):
 * see vgg_fc_choose. */
typedef enum vgg_fc_algo {
    VGG_FC_ONEDNN = 0,
    VGG_FC_OWN,
    VGG_FC_PANEL,
    VGG_FC_WINO7    /* a 7x7 window (fc6): Winograd F(2x2, 7x7), vgg_wino7_run */
} vgg_fc_algo;

typedef struct vgg_fc_shape {
    int m, n, k;       /* rows of x and y, outputs (rows of w), inputs */
    bool relu;
    int threads;       /* OpenMP threads to run on */
    vgg_fc_algo algo;  /* VGG_FC_PANEL: the panel product; otherwise the dot products */
} vgg_fc_shape;

/* The CPU has AVX2 and FMA (and the system saves their registers), and
 * this build has the kernel (fc_avx2.c compiled for them). */
bool vgg_fc_supported(void);
extern const bool vgg_fc_compiled;

/* y (s->m, s->n) = ReLU?(x (s->m, s->k) w (s->n, s->k)^T + bias (s->n)),
 * all row-major; bias may be NULL (zero). */
void vgg_fc_run(const vgg_fc_shape *s, const float *w, const float *bias, const float *x,
                float *y, void *scratch);
/* Bytes of scratch (32-byte aligned) vgg_fc_run needs for s: x packed. */
size_t vgg_fc_scratch_bytes(const vgg_fc_shape *s);

/* ---- fc6 by Winograd F(2x2, 7x7) (wino7_avx2.c) ----
 *
 * fc6 of VGG is a 7x7 convolution without padding over pool5's map.  Past
 * a few positions an image the product is bound by arithmetic (Q=384 on
 * 384x512: 6x10 positions, 120 rows with the flip, 24.7 GFLOP); F(2x2,
 * 7x7) makes each 2x2 block of outputs from an 8x8 tile of the input with
 * 64 multiplies where the direct sum has 196, and makes the transformed
 * weights on the fly, 16 outputs by VGG_WINO7_KC inputs at a time, from
 * the net's own (cout, c, 7, 7) weights read in place (no copy kept).
 *   Bits: every output is A^T M A + bias, M summed over the input channels
 * in partial sums of VGG_WINO7_KC added in order, each lane by fused
 * multiply-adds in order; a function of c alone, not of the batch, the
 * tiles' blocks or the threads.
 *   Rounding: the 8 points round more than the direct sum: 2.8e-6 to
 * 2.9e-6 relative L2 on the outputs of VGG's fc6 (a double-precision sum
 * the reference) where the panel product has 3.2e-7; a dense descriptor,
 * an average over the positions, keeps less of it (fc.c's rule keeps the
 * Winograd to images of many positions; net/README.md). */

/* input channels a partial sum (a multiple of 8) */
#define VGG_WINO7_KC 32

typedef struct vgg_wino7_shape {
    int n, c, h, w;    /* x: (n, c, h, w) nChw8c (oneDNN's aBcd8b) */
    int cout;          /* y: rows (image, oy, ox) of cout, oy < h - 6, ox < w - 6 */
    bool relu;
    int threads;       /* OpenMP threads to run on */
} vgg_wino7_shape;

/* Bytes of scratch (any alignment) vgg_wino7_run needs for s. */
size_t vgg_wino7_scratch_bytes(const vgg_wino7_shape *s);
/* y = ReLU?(conv7x7(x, w) + bias) with w (cout, c, 7, 7), bias (cout) or
 * NULL. */
void vgg_wino7_run(const vgg_wino7_shape *s, const float *w, const float *bias, const float *x,
                   float *y, void *scratch);

/* Which implementation a fully connected layer of the chain gets (fp32):
 * where the CPU's class has our kernels, the dot products up to a bound
 * of an image's positions (the rows of the product per image: 1 for a
 * 224 crop, 8 at Q=256), the panel product past it, and for a window of
 * side 7 (fc6) the Winograd F(2x2, 7x7) from a larger bound on (18
 * positions, Q=288 on 288x384; fc.c).  On AVX-512 with bf16, past the
 * panel's bound (8 positions) oneDNN's matmul, but for fc6 the Winograd
 * from 28 positions on.  oneDNN's matmul on every other class.  k: the
 * layer's inputs (c * side * side).  A
 * function of the layer and the image size alone, never of the batch
 * (whose rows both compute independently), so descriptors keep their
 * bits however images are batched.  Pinned by
 * tests/test_cpu_conv_table.c. */
vgg_fc_algo vgg_fc_choose(int isa, int positions, int k, int side);
const char *vgg_fc_algo_name(vgg_fc_algo a);

#endif
