/* vggfeat training: initialisation schemes, a trainer (training forward
 * keeping activations, backward through every layer, gradient
 * accumulation, momentum SGD with weight decay) and checkpoints, over a
 * vgg_net.  Everything device-specific goes through the backend's training
 * operations (backend.h); a backend without them returns
 * VGG_STATUS_UNSUPPORTED.
 *
 * The optimiser is the paper's (section 3.1): mini-batch SGD on the mean
 * multinomial logistic loss, momentum 0.9, weight decay 5e-4 and dropout
 * 0.5 on fc6 and fc7.  Weight decay applies to weights only, never to
 * biases.  The update is Caffe's form:
 *     v = momentum * v - lr * (g + wd * w);   w = w + v
 * (the same as PyTorch's SGD while lr is constant; when lr changes the
 * velocity keeps the old lr's scale, as in Caffe).
 */
#ifndef VGG_TRAIN_H
#define VGG_TRAIN_H

#include <stdint.h>

#include "vgg/net.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Initialisation                                                      */
/* ------------------------------------------------------------------ */

typedef enum vgg_init_scheme {
    VGG_INIT_NORMAL = 0,  /* weights ~ N(0, std^2), std 0.01 in the paper */
    VGG_INIT_GLOROT,      /* uniform(-a, a), a = sqrt(6 / (fan_in + fan_out)) */
    VGG_INIT_HE,          /* N(0, 2 / fan_in) (not in the paper; for deep nets from scratch) */
    VGG_INIT_TORCHVISION, /* torchvision's VGG: conv N(0, 2 / fan_out), fc N(0, std^2) */
    VGG_INIT_PYTORCH      /* PyTorch's nn.Conv2d / nn.Linear default: weights and biases
                             uniform(-b, b), b = 1 / sqrt(fan_in) */
} vgg_init_scheme;

/* "normal", "glorot" (or "xavier"), "he" (or "kaiming"), "torchvision",
 * "pytorch". */
vgg_status vgg_init_scheme_parse(const char *text, vgg_init_scheme *out);

/* Every weight drawn by scheme (std used by VGG_INIT_NORMAL and by
 * VGG_INIT_TORCHVISION for the fc layers), every bias 0 (VGG_INIT_PYTORCH:
 * drawn as the weights).  fan_in = cin * k * k, fan_out = cout * k * k.  The same seed gives
 * the same weights.  Calls vgg_net_params_changed(). */
vgg_status vgg_train_init(vgg_net *net, vgg_init_scheme scheme, float std, uint64_t seed);

/* The paper's scheme for the deeper nets: initialise by vgg_train_init,
 * then copy from a trained net A the first four convolutional layers
 * (conv1_1, conv2_1, conv3_1, conv3_2: the same names and shapes in
 * every configuration) and the three fully connected layers.  A layer of
 * src whose shape differs from net's is VGG_STATUS_MISMATCH naming it.
 * *copied (may be NULL) receives the number of layers copied (7). */
vgg_status vgg_train_init_from(vgg_net *net, const vgg_net *src, vgg_init_scheme rest, float std,
                               uint64_t seed, int *copied);

/* ------------------------------------------------------------------ */
/* Trainer                                                             */
/* ------------------------------------------------------------------ */

typedef struct vgg_trainer vgg_trainer;

typedef struct vgg_train_opts {
    float momentum;      /* 0.9 */
    float weight_decay;  /* 5e-4 (weights only) */
    float dropout;       /* 0.5: dropout probability after fc6 and fc7; 0 turns it off */
    int micro_batch;     /* images per forward/backward pass; 32.  A batch of more
                            images is done in several passes with the gradients
                            accumulated (the result equals one pass, up to float
                            summation order) */
    uint64_t seed;       /* dropout masks; 1 */
} vgg_train_opts;

void vgg_train_opts_default(vgg_train_opts *o);

/* A trainer over net (borrowed; must outlive the trainer).  Training
 * images are (n, 3, S, S), S = arch.input_size, fc6 being then a fully
 * connected layer (a k x k convolution over the k x k pool5 map, k =
 * S/32).  Allocates activations for micro_batch images, gradients and
 * momentum (zero).  Errors: INVALID (options), UNSUPPORTED (backend
 * cannot train), NOMEM. */
vgg_status vgg_trainer_create(vgg_net *net, const vgg_train_opts *o, vgg_trainer **out);
void vgg_trainer_free(vgg_trainer *t);
vgg_net *vgg_trainer_net(vgg_trainer *t);

/* One SGD iteration on a batch: x (n, 3, S, S) preprocessed host floats,
 * labels[n] in 0..classes-1.  The gradient is that of the mean loss over
 * all n images (split into micro-batches), then every parameter is
 * updated with learning rate lr.  *loss (mean over the batch) and
 * *correct (top-1 hits) may be NULL.  Dropout masks depend only on the
 * seed, the iteration count and each image's index in the batch, so they
 * do not depend on micro_batch. */
vgg_status vgg_trainer_step(vgg_trainer *t, const float *x, const int32_t *labels, int n,
                            float lr, float *loss, int *correct);

/* The parts of vgg_trainer_step, for callers that want the gradients:
 * zero_grad; accumulate (any number of times) adds the gradient of
 * (sum of the losses of these n images) / batch_total and adds the loss
 * sum and top-1 hits to *loss_sum / *correct (may be NULL); first is the
 * index of x's first image in the whole batch (for the dropout masks);
 * apply updates with lr and advances the iteration count. */
vgg_status vgg_trainer_zero_grad(vgg_trainer *t);
vgg_status vgg_trainer_accumulate(vgg_trainer *t, const float *x, const int32_t *labels, int n,
                                  int first, int batch_total, double *loss_sum, int *correct);
vgg_status vgg_trainer_apply(vgg_trainer *t, float lr);

/* Data parallelism.  A host reduction: grad (count floats, host memory)
 * replaced in place by its sum over every rank (MPI_Allreduce, or the
 * slices of one process summed in order); returns a status with a
 * message on failure. */
typedef vgg_status (*vgg_grad_reduce_fn)(void *ctx, float *grad, size_t count);

/* Sum the gradient buffer (every parameter's gradient, one contiguous
 * buffer) over the ranks in one call, between the last accumulate and
 * apply.  fn non-NULL: fn over host memory (the buffer itself on a
 * backend with host memory, else a copy downloaded and uploaded back).
 * fn NULL: the backend's own collective over the communicator it joined
 * (vgg_backend_join), on its stream; UNSUPPORTED for a backend
 * without one. */
vgg_status vgg_trainer_reduce_grad(vgg_trainer *t, vgg_grad_reduce_fn fn, void *ctx);

/* Make every rank's trainer rank 0's: fn (in place, from rank 0; host
 * memory) carries the iteration count, the dropout seed, every parameter
 * (batch normalisation statistics included) and every momentum buffer.
 * Used after rank 0 alone has read a checkpoint. */
typedef vgg_status (*vgg_bcast_fn)(void *ctx, void *buf, size_t bytes);
vgg_status vgg_trainer_broadcast(vgg_trainer *t, vgg_bcast_fn fn, void *ctx);

/* Collectives of the backend's own (NCCL for cuda devices), through its
 * descriptor in the registry of backends.  A backend without them (the
 * CPU's) leaves the sum to the caller's host reduction
 * (vgg_trainer_reduce_grad with fn: MPI, or the threads of one process).
 * has_collective: whether be has them (false for NULL). */
bool vgg_backend_has_collective(const vgg_backend *be);
/* The id of a new communicator of be's backend, made once, on rank 0,
 * and given to every rank by the caller (e.g. by MPI_Bcast). */
#define VGG_COLLECTIVE_ID_BYTES 128
vgg_status vgg_backend_collective_id(const vgg_backend *be,
                                     unsigned char id[VGG_COLLECTIVE_ID_BYTES]);
/* be joins communicator id as rank of nranks (every rank calls it; it
 * returns when all have); the communicator is the backend's until it is
 * closed.  INVALID for a rank outside 0..nranks-1; UNSUPPORTED (saying
 * why) for a backend without collectives (the CPU's; cuda in a build
 * without NCCL); DEVICE with NCCL's message. */
vgg_status vgg_backend_join(vgg_backend *be, int nranks, int rank,
                            const unsigned char id[VGG_COLLECTIVE_ID_BYTES]);
/* One process, n backends of one kind on distinct devices (one thread
 * each drives one): a communicator over all of them (ncclCommInitAll);
 * backend i is rank i. */
vgg_status vgg_backend_join_all(vgg_backend *const *bes, int n);

/* The names these had before backends were registered: NCCL's id (of the
 * first backend of this build with collectives), join, join_all. */
#define VGG_NCCL_ID_BYTES VGG_COLLECTIVE_ID_BYTES
vgg_status vgg_nccl_unique_id(unsigned char id[VGG_NCCL_ID_BYTES]);
static inline vgg_status vgg_backend_join_nccl(vgg_backend *be, int nranks, int rank,
                                               const unsigned char id[VGG_NCCL_ID_BYTES])
{
    return vgg_backend_join(be, nranks, rank, id);
}
static inline vgg_status vgg_backend_join_nccl_all(vgg_backend *const *bes, int n)
{
    return vgg_backend_join_all(bes, n);
}

/* Train mode flag for dropout (true after create).  With false, the
 * training forward uses no dropout (the gradient-check mode). */
void vgg_trainer_set_dropout(vgg_trainer *t, bool on);

/* Copy parameter i's gradient / momentum (vgg_net_param order, numel
 * floats) to host memory; set the momentum from host memory. */
vgg_status vgg_trainer_get_grad(vgg_trainer *t, int i, float *out);
vgg_status vgg_trainer_get_momentum(vgg_trainer *t, int i, float *out);
vgg_status vgg_trainer_set_momentum(vgg_trainer *t, int i, const float *in);

/* Iterations applied so far (restored by a checkpoint). */
int64_t vgg_trainer_iteration(const vgg_trainer *t);

/* Bring the net's host parameter copies up to date after training on a
 * device (no-op on the CPU).  vgg_trainer_save_checkpoint and the
 * callers of vgg_net_save after training need it. */
vgg_status vgg_trainer_sync_host(vgg_trainer *t);

/* ------------------------------------------------------------------ */
/* Checkpoints                                                         */
/* ------------------------------------------------------------------ */

/* Write a checkpoint atomically (a safetensors file): every parameter
 * under its torchvision key, every momentum buffer as "momentum.<key>",
 * the net's metadata (as vgg_net_save writes it) and the trainer's
 * iteration count and dropout seed, plus the caller's own (key, value)
 * strings (schedule, data position, RNG state...), and "train.sha256", a
 * SHA-256 of every tensor (name, dtype, shape, bytes, in file order) and
 * every other metadata pair (in key order).  At most 100 caller keys; they
 * must not start with "train.". */
vgg_status vgg_trainer_save_checkpoint(vgg_trainer *t, const char *path,
                                       const char *const *keys, const char *const *values,
                                       int n);

/* Restore parameters, momentum, iteration count and dropout seed from a
 * checkpoint written by vgg_trainer_save_checkpoint for a net of the same
 * shapes (MISMATCH naming the tensor otherwise; FORMAT for a file that is
 * not a checkpoint, one that fails its checksum, checked before anything
 * is restored, or one of the earlier format without it).  *meta (may be
 * NULL) receives the open file, for the caller's keys through
 * vgg_st_meta(); the caller closes it. */
vgg_status vgg_trainer_load_checkpoint(vgg_trainer *t, const char *path, vgg_safetensors **meta);

#ifdef __cplusplus
}
#endif
#endif
