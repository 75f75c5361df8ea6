/* The backend line: everything device-specific sits behind this table.
 * Layers and the training code call these operations only; net/cpu/
 * fills the table with the reference implementation (and oneDNN's
 * forward chain), net/cuda/ with cuDNN, cuBLAS and a few kernels.  All
 * pointers to tensor data passed to an operation are device pointers from
 * alloc() (host memory where the backend's host_memory is true); every
 * other pointer (loss, rng_state) is host memory.  Tensors are float32
 * NCHW.  Every operation returns a vgg_status.
 *
 * Asynchronous errors: operations run in the order they are called and
 * may return before their work is done (the CUDA backend queues them on
 * one stream).  An operation's status covers what it could check when
 * called (shapes, launches, allocation); a failure of the queued work
 * itself surfaces at the next download() or sync(), whose message then
 * names the failing call if it is known.  Callers that must know a result
 * is complete call download() or sync().
 */
#ifndef VGG_NET_BACKEND_H
#define VGG_NET_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vgg/net.h"

/* A k x k convolution, stride 1, zero padding pad on every side:
 * x (n, cin, h, w), weight (cout, cin, k, k), bias (cout),
 * y (n, cout, h + 2 pad - k + 1, w + 2 pad - k + 1); ReLU applied if relu. */
typedef struct vgg_conv_desc {
    int n, cin, h, w;
    int cout, k, pad;
    bool relu;
    /* a shape that recurs (training): a backend may measure its
     * algorithms once and keep the fastest; false (dense extraction, many
     * image sizes): heuristics */
    bool fixed_shape;
} vgg_conv_desc;

static inline int vgg_conv_out_h(const vgg_conv_desc *d) { return d->h + 2 * d->pad - d->k + 1; }
static inline int vgg_conv_out_w(const vgg_conv_desc *d) { return d->w + 2 * d->pad - d->k + 1; }

/* 2x2 max-pool, stride 2.  Output size: floor: in / 2; ceil: (in + 1) / 2,
 * the last window clipped to the input. */
static inline int vgg_pool_out(int in, vgg_pool_round r) { return r == VGG_POOL_CEIL ? (in + 1) / 2 : in / 2; }

typedef struct vgg_lrn_desc {
    int size;      /* 5 */
    float alpha;   /* 1e-4 (divided by size, as PyTorch/Caffe do) */
    float beta;    /* 0.75 */
    float k;       /* 2 */
} vgg_lrn_desc;

/* One layer of a forward chain (vgg_backend_ops.forward).  CONV and FC
 * are convolutions (stride 1, padding pad, ReLU if relu); POOL the 2x2/2
 * max-pool with rounding round; LRN across channels.  cin/cout are the
 * layer's channels (POOL and LRN: cin == cout). */
typedef struct vgg_fwd_layer {
    vgg_layer_kind kind;
    int cin, cout, k, pad;
    bool relu;
    vgg_pool_round round;
    vgg_lrn_desc lrn;
    const float *weight;   /* (cout, cin, k, k) device pointer; CONV and FC */
    const float *bias;     /* (cout) */
} vgg_fwd_layer;

/* Forward operations (inference and training), and the backend's life. */
typedef struct vgg_backend_ops {
    /* device memory; release accepts NULL.  Out of memory is
     * VGG_STATUS_NOMEM saying how much was asked and what to lower. */
    vgg_status (*alloc)(vgg_backend *be, size_t bytes, void **out);
    void (*release)(vgg_backend *be, void *p);
    /* host -> device (src may be reused when upload returns);
     * device -> host (waits for every operation before it, and reports
     * their asynchronous errors) */
    vgg_status (*upload)(vgg_backend *be, void *dst, const void *src, size_t bytes);
    vgg_status (*download)(vgg_backend *be, void *dst, const void *src, size_t bytes);
    /* wait for every queued operation; their errors surface here */
    vgg_status (*sync)(vgg_backend *be);
    /* free the backend and everything it allocated (be may be NULL) */
    void (*close)(vgg_backend *be);
    vgg_status (*fill)(vgg_backend *be, float *x, size_t n, float value);

    vgg_status (*conv2d)(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                         const float *weight, const float *bias, float *y);
    /* argmax (may be NULL): for each output, the index into its (h*w) input plane */
    vgg_status (*maxpool)(vgg_backend *be, int n, int c, int h, int w, vgg_pool_round r,
                          const float *x, float *y, int32_t *argmax);
    vgg_status (*lrn)(vgg_backend *be, int n, int c, int h, int w, const vgg_lrn_desc *d,
                      const float *x, float *y);
    /* y (n, c) = mean over h*w of x (n, c, h, w) */
    vgg_status (*global_avgpool)(vgg_backend *be, int n, int c, int h, int w, const float *x,
                                 float *y);
    /* y (rows, w) = x (rows, w) with each row reversed (horizontal flips
     * of a batch, (n, c, h) rows); x != y */
    vgg_status (*flip)(vgg_backend *be, size_t rows, int w, const float *x, float *y);

    /* A chain of layers in one call, so that a backend can keep the
     * activations in its own layout between layers and reuse what it
     * prepared for a shape (NULL: the net runs the operations above one
     * layer at a time).  x (n, layers[0].cin, h, w) and y (the last
     * layer's output, (n, cout, oh, ow)) are NCHW device pointers.
     * *cache is the backend's state for one net (primitives by shape,
     * weights in its layout), made on first use and freed by
     * forward_release; gen must change whenever the weights behind the
     * layers' pointers may have changed.  Only backends with host memory
     * fill it so far (x and y are then host pointers).  seconds (may be
     * NULL): per
     * layer, the time spent is added to seconds[l]. */
    vgg_status (*forward)(vgg_backend *be, void **cache, uint64_t gen,
                          const vgg_fwd_layer *layers, int n_layers, int n, int h, int w,
                          const float *x, float *y, double *seconds);
    void (*forward_release)(vgg_backend *be, void *cache);
} vgg_backend_ops;

/* Training operations; a backend without them leaves the pointer NULL and
 * training returns VGG_STATUS_UNSUPPORTED.  Gradients are accumulated
 * (+=) into dweight/dbias, written (=) into dx. */
typedef struct vgg_backend_train_ops {
    /* given y = conv(x) (after ReLU if d->relu) and dy, compute dx (may be
     * NULL for the first layer), dweight, dbias */
    vgg_status (*conv2d_backward)(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                                  const float *weight, const float *y, const float *dy,
                                  float *dx, float *dweight, float *dbias);
    vgg_status (*maxpool_backward)(vgg_backend *be, int n, int c, int h, int w,
                                   vgg_pool_round r, const int32_t *argmax, const float *dy,
                                   float *dx);
    vgg_status (*lrn_backward)(vgg_backend *be, int n, int c, int h, int w,
                               const vgg_lrn_desc *d, const float *x, const float *y,
                               const float *dy, float *dx);
    /* inverted dropout: y = x * mask / (1 - p); mask drawn from *rng_state */
    vgg_status (*dropout)(vgg_backend *be, size_t count, float p, uint64_t *rng_state,
                          const float *x, float *y, uint8_t *mask);
    vgg_status (*dropout_backward)(vgg_backend *be, size_t count, float p, const uint8_t *mask,
                                   const float *dy, float *dx);
    /* logits (n, classes) and labels (n) -> *loss (host) the mean loss
     * over the n samples; dlogits (n, classes) the gradient of (sum of the
     * n losses) / divisor, i.e. (softmax - onehot) / divisor (divisor n:
     * of the mean; a micro-batch of a larger batch passes the batch's
     * size); per-sample softmax in prob (may be NULL) */
    vgg_status (*softmax_xent)(vgg_backend *be, int n, int classes, const float *logits,
                               const int32_t *labels, float divisor, float *loss, float *dlogits,
                               float *prob);
    /* momentum SGD: v = momentum * v - lr * (g + wd * w); w += v */
    vgg_status (*sgd_update)(vgg_backend *be, size_t count, float lr, float momentum, float wd,
                             float *w, const float *g, float *v);
    /* batch normalisation in training, then ReLU: x (n, c, hw) -> per channel
     * the batch mean and biased variance over (n, hw), y = max(0, gamma *
     * (x - mean) / sqrt(var + eps) + beta); save_mean and save_invstd (c)
     * keep the mean and 1 / sqrt(var + eps) for the backward; the running
     * statistics become (1 - momentum) running + momentum batch, the
     * variance unbiased (n hw / (n hw - 1)), as PyTorch does */
    vgg_status (*batchnorm_relu)(vgg_backend *be, int n, int c, int hw, float eps, float momentum,
                                 const float *x, const float *gamma, const float *beta,
                                 float *running_mean, float *running_var, float *y,
                                 float *save_mean, float *save_invstd);
    /* its backward: dy (n, c, hw) of the ReLU's output y; dx written,
     * dgamma and dbeta (c) accumulated */
    vgg_status (*batchnorm_relu_backward)(vgg_backend *be, int n, int c, int hw, const float *x,
                                          const float *y, const float *dy, const float *gamma,
                                          const float *save_mean, const float *save_invstd,
                                          float *dx, float *dgamma, float *dbeta);
    /* data parallelism: grad (count floats, device memory) replaced in
     * place by its sum over the ranks of the communicator the backend
     * joined (vgg_backend_join), queued on the backend's stream; NULL
     * where the backend has no collectives of its own (the CPU backends:
     * the caller's host reduction serves them, vgg_trainer_reduce_grad) */
    vgg_status (*allreduce_sum)(vgg_backend *be, float *grad, size_t count);
} vgg_backend_train_ops;

/* ---- the registry of backends ---- */

/* What kind of device a backend drives (as ggml's device types): the
 * environment's VGG_PRECISION is a GPU setting, listings say which is
 * which.  Memory is a separate question (vgg_backend_reg.is_host). */
typedef enum vgg_backend_kind {
    VGG_BACKEND_CPU = 0,
    VGG_BACKEND_GPU
} vgg_backend_kind;

/* The precisions a backend computes, as a mask: VGG_PRECISION_BIT(p). */
#define VGG_PRECISION_BIT(p) (1u << (unsigned)(p))

/* One backend, as its folder exports it (net/cpu/cpu.c: "cpu" and
 * "cpu-ref"; net/cuda/cuda.c: "cuda").  net/src/registry.c lists the
 * descriptors this build has; every choice of a backend (opening one by
 * name, listing devices, parsing device lists, joining a communicator) goes
 * through them, and nothing outside a backend's folder and the registry
 * names its entry points.  Device names are name, or name:N for a backend
 * whose devices are numbered; names are matched without regard to case. */
typedef struct vgg_backend_reg vgg_backend_reg;
struct vgg_backend_reg {
    const char *name;            /* "cpu", "cpu-ref", "cuda": a device name, or its part before ':' */
    const char *forms;           /* how its devices are written, for messages: "cuda, cuda:N" */
    const char *summary;         /* one line for listings: "cuDNN, cuBLAS and our kernels" */
    vgg_backend_kind kind;
    bool is_host;                /* alloc() returns host memory (vgg_backend.host_memory) */
    bool numbered;               /* its devices are numbered, name:N (parse takes an index) */
    unsigned precisions;         /* VGG_PRECISION_BIT of each precision it computes */
    /* The part of device after the name (rest: "" or ":..."): *index the
     * device's number, -1 where none is given; INVALID naming device
     * otherwise.  vgg_backend_parse_index where numbered, else
     * vgg_backend_parse_none. */
    vgg_status (*parse)(const vgg_backend_reg *reg, const char *device, const char *rest,
                        int *index);
    /* The device options it refuses, in its own words (INVALID, or
     * UNSUPPORTED where this machine lacks what they need); NULL: it takes
     * every precision in precisions (checked by the registry in any case). */
    vgg_status (*check_opts)(const char *device, const vgg_device_opts *o);
    /* Open device index (0 where the name gave none) with threads worker
     * threads (0: all cores; a backend may ignore it) and options o
     * (already checked).  The registry sets opts and reg afterwards. */
    vgg_status (*open)(int index, int threads, const vgg_device_opts *o, vgg_backend **out);
    /* One line per device this build can use ("cuda:0  NVIDIA H200 ..."),
     * into buf (NUL-terminated, cut at size); returns their number.  With
     * none, returns 0 and buf says why ("no GPUs: ..."). */
    int (*list)(char *buf, size_t size);
    /* Collectives of its own (NCCL): the id of a new communicator (size
     * bytes, made on one rank and handed to every rank by the caller);
     * be joins it as rank of nranks; bes (n backends of this kind, one
     * process) join one communicator.  NULL where the backend has none:
     * its gradients are summed on the host by the caller (MPI, or the
     * threads of one process: vgg_trainer_reduce_grad with a function),
     * and no_collective says so. */
    vgg_status (*collective_id)(unsigned char *id, size_t size);
    vgg_status (*join)(vgg_backend *be, int nranks, int rank, const unsigned char *id,
                       size_t size);
    vgg_status (*join_all)(vgg_backend *const *bes, int n);
    const char *no_collective;
    /* Only in the registry's stand-ins for backends this build lacks
     * (name, forms, kind, parse and precisions set; open NULL): why. */
    const char *missing;
};

/* The registry (net/src/registry.c): every backend this build knows,
 * in a fixed order (the CPU's first), the ones it lacks included as
 * stand-ins (missing set); i from 0 to vgg_backend_reg_count() - 1. */
int vgg_backend_reg_count(void);
const vgg_backend_reg *vgg_backend_reg_at(int i);

/* Parsers of the part after a backend's name: none ("" only), or an
 * index (":N", N from 0 to 255; "" gives -1). */
vgg_status vgg_backend_parse_none(const vgg_backend_reg *reg, const char *device,
                                  const char *rest, int *index);
vgg_status vgg_backend_parse_index(const vgg_backend_reg *reg, const char *device,
                                   const char *rest, int *index);

/* The descriptor of device's backend (NULL: no backend is named so); on
 * success *rest points at what follows its name ("" or ":..."). */
const vgg_backend_reg *vgg_backend_reg_find(const char *device, const char **rest);

struct vgg_backend {
    const vgg_backend_ops *ops;
    const vgg_backend_train_ops *train;   /* NULL: cannot train */
    char name[16];
    int threads;
    /* alloc() returns host memory: the net's parameters serve as device
     * pointers as they are.  Otherwise the net keeps device copies. */
    bool host_memory;
    vgg_device_opts opts;                 /* as opened */
    const vgg_backend_reg *reg;           /* its descriptor (set by vgg_backend_open_opts) */
    void *impl;
    /* Bumped by every sgd_update: weights a backend prepared in its own
     * layout (forward's cache) are stale once this changes. */
    uint64_t weights_epoch;
};

/* The reference training operations (net/cpu/cpu_train.c), which the
 * CPU backends fill their tables with and the tests call directly. */
extern const vgg_backend_train_ops vgg_cpu_train_ops;

#endif
