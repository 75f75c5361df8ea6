/* Fully connected layers of our own for the "cpu" backend's forward chain
 * (net/cpu/fc_avx2.c): y (M, N) = ReLU?(x (M, K) w^T + bias), the weights
 * w the net's own (N, K) rows read in place (no copy, no packing: each
 * output is a dot product of a row of x with a row of w, which is the
 * layout the product wants), written with AVX2 and FMA intrinsics and run
 * only where the CPU has them (vgg_fc_supported).
 *
 * At an image and its flip at Q = 256, fc6 of VGG-16 is 16 rows of 25088
 * against 4096 rows of 25088: 411 MB of weights for 3.3 GFLOP, each
 * weight used 16 times, a product between memory and arithmetic (on the
 * 2-core Zen 3 we measure on, 24 ms to read the weights at 17 GB/s, 18 ms
 * of multiply-adds at 179 GFLOP/s).  oneDNN's matmul copies the weights
 * into its blocks on every call (or keeps a second 411 MB copy); here they
 * are read once a call, straight from the net, each thread streaming its
 * own range of output columns, six rows of w at a time against two rows
 * of x (register tiles of 2 x 6 eight-lane sums), x packed once a call so
 * that it streams from the core's cache whatever K's stride.  Past a few
 * dozen positions an image the product is bound by arithmetic, where
 * oneDNN's packed blocks do better (fc.c's rule).
 *
 * Bits: every output is y = ((s_0 + s_1) + ...) + bias in that order,
 * s_c the chunk c's eight lane sums (each over its k = lane mod 8 in
 * order) added by one fixed tree; ReLU as cpu-ref's (NaN -> 0): a
 * function of K alone, not of M (the batch, the positions), of N or of
 * the number of threads. */
#ifndef VGG_NET_FC_H
#define VGG_NET_FC_H

#include <stdbool.h>
#include <stddef.h>

/* K a chunk (a multiple of 8): 2 KB of each weight row */
#define VGG_FC_KC 512

typedef struct vgg_fc_shape {
    int m, n, k;       /* rows of x and y, outputs (rows of w), inputs */
    bool relu;
    int threads;       /* OpenMP threads to run on */
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

/* Which implementation a fully connected layer of the chain gets (fp32):
 * ours where the CPU's class has the kernel and an image's positions (the
 * rows of the product per image: 1 for a 224 crop, 8 at Q=256) are at
 * most the rule's bound for the layer's inputs k (fc.c), oneDNN's matmul
 * otherwise.  A function of the
 * layer and the image size alone, never of the batch (whose rows ours
 * computes independently), so descriptors keep their bits however images
 * are batched.  Pinned by tests/test_cpu_conv_table.c. */
typedef enum vgg_fc_algo { VGG_FC_ONEDNN = 0, VGG_FC_OWN } vgg_fc_algo;
vgg_fc_algo vgg_fc_choose(int isa, int positions, int k);
const char *vgg_fc_algo_name(vgg_fc_algo a);

#endif
