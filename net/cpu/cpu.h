/* Helpers shared by the CPU backend's files (forward ops in cpu.c, training
 * ops in cpu_train.c). */
#ifndef VGG_NET_CPU_H
#define VGG_NET_CPU_H

#include "backend.h"

/* Run fn(ctx, begin, end) over [0, n) split into contiguous chunks, one per
 * worker thread of be (at most vgg_backend_threads(be) threads, fewer for
 * small n); returns when all chunks are done.  fn must only write memory
 * that belongs to its own chunk.  Calls fn directly when there is one
 * thread or n <= 1.  Never fails: the threads are started (or found
 * missing, an error of the open) when the backend opens; a call that
 * finds cpu-ref's pool busy with another caller runs alone. */
void vgg_cpu_parallel_for(vgg_backend *be, int n, void (*fn)(void *ctx, int begin, int end),
                          void *ctx);

/* Open the CPU backend: fast, "cpu" (the reference's operations plus
 * oneDNN's forward chain and training convolutions); else "cpu-ref" (the
 * plain reference alone).  Through the descriptors vgg_cpu_reg and
 * vgg_cpu_ref_reg at the end of cpu.c, which the registry lists. */
vgg_status vgg_cpu_backend_open(int threads, bool fast, vgg_backend **out);
/* VGG_STATUS_OK where oneDNN can run bf16 on this CPU (AVX512-BF16 or
 * AMX), else UNSUPPORTED saying so (dnnl.c). */
vgg_status vgg_dnnl_bf16_check(void);
/* OK where oneDNN has VNNI (AVX512-VNNI or AVX-VNNI) for --precision int8 */
vgg_status vgg_dnnl_int8_check(void);
extern const vgg_backend_reg vgg_cpu_reg;
extern const vgg_backend_reg vgg_cpu_ref_reg;

/* The im2col buffer budget for one convolution tile, in floats. */
#define VGG_CPU_COL_BUDGET ((size_t)8 << 20)

/* The oneDNN forward chain (dnnl.c) of the "cpu" backend.  vgg_dnnl_open
 * makes the backend-wide state (engine, stream, the activation workspace
 * shared by every net on the backend); vgg_dnnl_forward and
 * vgg_dnnl_forward_release fill vgg_backend_ops.forward and
 * forward_release. */
vgg_status vgg_dnnl_open(vgg_backend *be, void **state);
void vgg_dnnl_close(void *state);
vgg_status vgg_dnnl_forward(vgg_backend *be, void **cache, uint64_t gen,
                            const vgg_fwd_layer *layers, int n_layers, int n, int h, int w,
                            const float *x, float *y, double *seconds);
void vgg_dnnl_forward_release(vgg_backend *be, void *cache);
/* How many forward chains be has run, and the batch (images) of the last
 * one (0 for cpu-ref): the tests check that an image and its flip, and
 * the same-sized images of a batch, go through in one call. */
void vgg_dnnl_calls(vgg_backend *be, uint64_t *calls, int *last_n);
/* The state vgg_dnnl_open made for be (NULL for cpu-ref). */
void *vgg_cpu_fast_state(vgg_backend *be);

/* The oneDNN training convolutions (dnnl_train.c) of the "cpu" backend:
 * vgg_dnnl_train_open makes their state (engine, stream, primitives by
 * shape, buffers); vgg_dnnl_conv2d_forward and vgg_dnnl_conv2d_backward
 * have the contracts of vgg_backend_ops.conv2d and of
 * vgg_backend_train_ops.conv2d_backward on that state, and set *done
 * false, touching nothing, where they leave the shape to the reference
 * operation (shapes without a direct oneDNN implementation, bad
 * descriptors). */
vgg_status vgg_dnnl_train_open(void **state);
void vgg_dnnl_train_close(void *state);
vgg_status vgg_dnnl_conv2d_forward(vgg_backend *be, void *state, const vgg_conv_desc *d,
                                   const float *x, const float *weight, const float *bias,
                                   float *y, bool *done);
vgg_status vgg_dnnl_conv2d_backward(vgg_backend *be, void *state, const vgg_conv_desc *d,
                                    const float *x, const float *weight, const float *y,
                                    const float *dy, float *dx, float *dweight, float *dbias,
                                    bool *done);

/* How the 3x3 convolutions of the chain are computed: AUTO (the default)
 * is the table of conv_table.c (wino.h: by the CPU's class and the
 * layer's channels); the others force one for the plans made from then
 * on (ours only where they apply: 3x3, padding 1, fp32, AVX2 + FMA;
 * oneDNN's rule elsewhere).  For tests and benchmarks; applies to the
 * whole process.  vgg_cpu_set_wino_tile_block: the tiles a block of our
 * Winograd (0: its default; speed only, never the bits). */
#include "wino.h"
void vgg_cpu_set_conv_algo(vgg_conv_algo a);
void vgg_cpu_set_wino_tile_block(int tiles);

/* How the fully connected layers of the chain are computed: -1 (the
 * default) is fc.c's rule (vgg_fc_choose); VGG_FC_ONEDNN, VGG_FC_OWN or
 * VGG_FC_PANEL force one for the plans made from then on (ours only in fp32 on a CPU
 * with AVX2 + FMA).  For tests and benchmarks, the whole process. */
#include "fc.h"
void vgg_cpu_set_fc_algo(int a);

#endif
