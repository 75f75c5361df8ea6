/* Helpers shared by the CPU backend's files (forward ops in cpu.c, training
 * ops in cpu_train.c). */
#ifndef VGG_NET_CPU_H
#define VGG_NET_CPU_H

#include "backend.h"

/* Run fn(ctx, begin, end) over [0, n) split into contiguous chunks, one per
 * worker thread of be (at most vgg_backend_threads(be) threads, fewer for
 * small n); returns when all chunks are done.  fn must only write memory
 * that belongs to its own chunk.  Calls fn directly when there is one
 * thread or n <= 1.  Never fails (falls back to the calling thread if a
 * thread cannot be started). */
void vgg_cpu_parallel_for(vgg_backend *be, int n, void (*fn)(void *ctx, int begin, int end),
                          void *ctx);

/* The im2col buffer budget for one convolution tile, in floats. */
#define VGG_CPU_COL_BUDGET ((size_t)8 << 20)

#endif
