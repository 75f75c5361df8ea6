/* Winograd convolutions of our own for the "cpu" backend's forward chain
 * (net/cpu/wino_avx2.c): 3x3, stride 1, padding 1, with bias and ReLU
 * fused, on activations in oneDNN's nChw8c layout ((n, ceil(c / 8), h, w,
 * 8): eight channels a vector, the padding channels zero), written with
 * AVX2 and FMA intrinsics and run only where the CPU has them
 * (vgg_wino_supported).
 *
 * F(m x m, 3 x 3), m = 4 (6x6 input tiles, 36 points; the points 0, 1,
 * -1, 1/2, -2 and infinity, which round less than 0, +-1, +-2) or m = 2
 * (4x4 input tiles, 16 points).  Per block of tiles: the input transform
 * (V = B^T d B per tile and channel), one matrix product per point over
 * the channels (M = V U, register tiles of 6 tiles x 16 output channels),
 * the output transform (Y = A^T M A, + bias, ReLU).  The weights are
 * transformed once (U = G g G^T in double, rounded once) and packed for
 * the product (vgg_wino_pack).
 *
 * Bits: every output value is computed by one thread in an order fixed by
 * m and the layer's channels alone (the sum over the input channels in
 * partial sums of VGG_WINO_KC channels, added in order): the result does
 * not depend on the number of threads, on the batch, on the size of the
 * tile blocks or on where an image's tiles fall in them. */
#ifndef VGG_NET_WINO_H
#define VGG_NET_WINO_H

#include <stdbool.h>
#include <stddef.h>

/* input channels per partial sum of the product (a multiple of 8): the
 * two-level sum halves the rounding of a sequential one over 512 channels */
#define VGG_WINO_KC 32

typedef struct vgg_wino_shape {
    int m;             /* 4 or 2; 1: the direct convolution (below) */
    int n, cin, cout, h, w;
    bool relu;
    int threads;       /* OpenMP threads to run on */
    int tile_block;    /* tiles a block (rounded up to 6; 0: the default); speed only */
    int pool_h, pool_w; /* > 0: y is the 2x2 / 2 max-pooling of the convolution's output,
                         * pool_h x pool_w (the net's rounding); only with relu (see
                         * vgg_wino_run) */
} vgg_wino_shape;

/* m = 1, F(1x1, 3x3): the direct convolution of a layer of at most 8
 * input channels (conv1_1) on AVX-512 (net/cpu/direct_avx512.c), through
 * the same functions (packed weights [channel][tap][16-channel blocks] and
 * the bias; no pooling taken in).  Each output is its taps' sum in the
 * order (channel, row, column) by fused multiply-adds from zero, then the
 * bias: the same bits whatever the threads or the batch.  Only where
 * vgg_tile512() and cin <= 8. */
size_t vgg_direct8_packed_floats(int cin, int cout);
void vgg_direct8_pack(int cin, int cout, const float *weight, const float *bias, float *packed);
size_t vgg_direct8_scratch_bytes(const vgg_wino_shape *s);
void vgg_direct8_run(const vgg_wino_shape *s, const float *packed, const float *x, float *y,
                     void *scratch);

/* The CPU has AVX2 and FMA (and the system saves their registers), and
 * this build has the kernels (wino_avx2.c compiled for them: x86-64 with
 * GCC or Clang; vgg_wino_compiled). */
bool vgg_wino_supported(void);
extern const bool vgg_wino_compiled;

/* Floats of the packed weights (with the bias) of a layer. */
size_t vgg_wino_packed_floats(int m, int cin, int cout);

/* Transform and pack weight (cout, cin, 3, 3) and bias (cout) into packed
 * (vgg_wino_packed_floats; 32-byte aligned).  threads: how many to use. */
void vgg_wino_pack(int m, int cin, int cout, const float *weight, const float *bias,
                   float *packed, int threads);

/* Bytes of scratch vgg_wino_run needs for s (its tile blocks). */
size_t vgg_wino_scratch_bytes(const vgg_wino_shape *s);

/* y (n, cout, h, w) = ReLU?(conv3x3(x) + bias), x (n, cin, h, w), both
 * nChw8c; scratch of vgg_wino_scratch_bytes(s).  Runs on s->threads
 * OpenMP threads: narrow layers (small weights) a block of tiles a thread
 * at a time, whole (no barrier inside); wide ones a few large blocks, the
 * threads sharing each one's three phases. */
void vgg_wino_run(const vgg_wino_shape *s, const float *packed, const float *x, float *y,
                  void *scratch);
/* With s->pool_h and s->pool_w set (and s->relu), y (n, cout, pool_h,
 * pool_w) is the max-pooling 2x2 / 2 of that output, each tile's windows
 * taken as the tile is written (F(4x4)'s and F(2x2)'s tiles start on
 * even rows and columns, so no window straddles two): the convolution's
 * output is never written.  The same bits as vgg_pool8_run after the
 * convolution: ReLU's max(v, 0) leaves neither NaN nor -0, so a window's
 * maximum does not depend on the order it is taken in.  vgg_wino_can_pool
 * says whether s may pool: ReLU, an even tile side, and pool_h x pool_w a
 * 2x2 / 2 pooling of h x w by the floor or the ceil rounding. */
bool vgg_wino_can_pool(const vgg_wino_shape *s);

/* Max-pooling 2x2 / 2 of x (n, c, h, w) into y (n, c, oh, ow), both
 * nChw8c (32-byte aligned), oh and ow by the net's rounding (a ceil
 * window past the edge clipped); each value as cpu-ref gives it (the
 * first of equals, the first NaN of a window in row-major order).  The
 * padding channels are pooled like the others. */
void vgg_pool8_run(int n, int c, int h, int w, int oh, int ow, const float *x, float *y,
                   int threads);

/* Whether our products (gemm_avx2.h) run on AVX-512: where the CPU and
 * the system have AVX-512F (and AVX2 + FMA), unless vgg_set_tile512(0)
 * said no (benches, tests; -1 gives the choice back).  The bits are the
 * same either way: only the vectors' width changes, not a sum's order. */
bool vgg_tile512(void);
void vgg_set_tile512(int on);
/* Whether this CPU and system could run them (whatever vgg_set_tile512
 * said). */
bool vgg_tile512_possible(void);

/* ---- which algorithm a 3x3 convolution of the chain gets ---- */

/* The CPU's class for the table: oneDNN's effective ISA (which
 * ONEDNN_MAX_CPU_ISA may lower) and AVX2 + FMA for our kernels. */
typedef enum vgg_cpu_isa {
    VGG_ISA_BASE = 0,      /* neither AVX2 + FMA nor AVX-512 */
    VGG_ISA_AVX2,          /* AVX2 + FMA, no AVX-512 (Zen 3, Haswell to Comet Lake) */
    VGG_ISA_AVX512,        /* AVX-512 (avx512_core), no bf16 */
    VGG_ISA_AVX512_BF16    /* AVX-512 with AVX512-BF16 (or AMX) */
} vgg_cpu_isa;

typedef enum vgg_conv_algo {
    VGG_CONV_AUTO = 0,          /* (a choice: the table decides) */
    VGG_CONV_ONEDNN,            /* oneDNN's Winograd where it has one for the shape and one
                                 * image's scratchpad stays under 128 MB, its direct otherwise */
    VGG_CONV_ONEDNN_DIRECT,     /* oneDNN's direct convolution */
    VGG_CONV_ONEDNN_WINOGRAD,   /* oneDNN's Winograd where it has one, direct otherwise */
    VGG_CONV_WINO4,             /* ours, F(4x4, 3x3) */
    VGG_CONV_WINO2,             /* ours, F(2x2, 3x3) */
    VGG_CONV_DIRECT8            /* ours, direct, up to 8 input channels, AVX-512 (m = 1) */
} vgg_conv_algo;

/* One row of the table: the first row whose isa matches and whose bounds
 * hold the layer's channels (cin <= cin_max, cout <= cout_max) gives its
 * algorithm.  The table (conv_table.c) was measured offline
 * (bench/wino_table.sh) and is pinned by tests/test_cpu_conv_table.c: it
 * never depends on timing at run time, so a layer's algorithm (and with it
 * the bits of a descriptor) is a function of the layer and the CPU's class
 * alone. */
typedef struct vgg_conv_rule {
    vgg_cpu_isa isa;
    int cin_max, cout_max;
    vgg_conv_algo algo;
} vgg_conv_rule;

extern const vgg_conv_rule vgg_conv_table[];
extern const int vgg_conv_table_len;

/* This CPU's class (asked once; oneDNN's ISA as it reports it). */
vgg_cpu_isa vgg_cpu_isa_class(void);
/* The table's algorithm for a 3x3, stride 1, padding 1 convolution. */
vgg_conv_algo vgg_conv_choose(vgg_cpu_isa isa, int cin, int cout);
const char *vgg_conv_algo_name(vgg_conv_algo a);
const char *vgg_cpu_isa_name(vgg_cpu_isa isa);

#endif
