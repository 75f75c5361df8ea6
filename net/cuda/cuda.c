/* The CUDA backend: device memory through a cache, copies through pinned
 * staging buffers, one stream for everything, cuDNN for LRN and softmax,
 * cuBLAS and cuDNN for products (conv.c), our kernels for the rest
 * (kernels.cu).
 *
 * Operations are queued on the stream and return at once; download() and
 * sync() wait, and report a failure of the queued work there.  A backend
 * is used by one thread at a time (as a net is); every operation makes
 * the backend's device current for the calling thread first. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_internal.h"

/* ---- statuses ---- */

vgg_status vgg_cuda_failed_rt(cudaError_t e, const char *call, const char *file, int line)
{
    return vgg_fail(e == cudaErrorMemoryAllocation ? VGG_STATUS_NOMEM : VGG_STATUS_DEVICE,
                    "CUDA: %s failed: %s (%s) at %s:%d", call, cudaGetErrorString(e),
                    cudaGetErrorName(e), file, line);
}

vgg_status vgg_cuda_failed_dnn(cudnnStatus_t e, const char *call, const char *file, int line)
{
    return vgg_fail(e == CUDNN_STATUS_ALLOC_FAILED ? VGG_STATUS_NOMEM : VGG_STATUS_DEVICE,
                    "cuDNN: %s failed: %s at %s:%d", call, cudnnGetErrorString(e), file, line);
}

vgg_status vgg_cuda_failed_blas(cublasStatus_t e, const char *call, const char *file, int line)
{
    return vgg_fail(e == CUBLAS_STATUS_ALLOC_FAILED ? VGG_STATUS_NOMEM : VGG_STATUS_DEVICE,
                    "cuBLAS: %s failed: %s (%s) at %s:%d", call, vgg_cublas.status_string(e),
                    vgg_cublas.status_name(e), file, line);
}

static vgg_status enter(vgg_backend *be)
{
    cuda_impl *c = be->impl;
    CUDA_CHECK(cudaSetDevice(c->device));
    return VGG_STATUS_OK;
}

/* ---- the cached allocator ---- */

static size_t round_bytes(size_t bytes)
{
    const size_t small = 512, big = (size_t)2 << 20;
    if (bytes == 0)
        bytes = 1;
    return bytes <= ((size_t)1 << 20) ? (bytes + small - 1) / small * small
                                      : (bytes + big - 1) / big * big;
}

/* Give every free cached block back to the driver. */
static void trim(cuda_impl *c)
{
    int kept = 0;
    for (int i = 0; i < c->n_blocks; i++) {
        if (c->blocks[i].used) {
            c->blocks[kept++] = c->blocks[i];
            continue;
        }
        cudaFree(c->blocks[i].p);
        c->cached -= c->blocks[i].bytes;
    }
    c->n_blocks = kept;
}

vgg_status vgg_cuda_malloc(vgg_backend *be, size_t bytes, void **out)
{
    cuda_impl *c = be->impl;
    *out = NULL;
    const size_t want = round_bytes(bytes);
    /* the smallest free block that fits without wasting a quarter */
    int best = -1;
    for (int i = 0; i < c->n_blocks; i++) {
        const cuda_block *b = &c->blocks[i];
        if (!b->used && b->bytes >= want && b->bytes <= want + want / 4 &&
            (best < 0 || b->bytes < c->blocks[best].bytes))
            best = i;
    }
    if (best >= 0) {
        c->blocks[best].used = true;
        c->in_use += c->blocks[best].bytes;
        c->cached -= c->blocks[best].bytes;
        *out = c->blocks[best].p;
        return VGG_STATUS_OK;
    }
    if (c->n_blocks == c->cap_blocks) {
        int cap = c->cap_blocks ? 2 * c->cap_blocks : 256;
        cuda_block *nb = realloc(c->blocks, sizeof *nb * cap);
        if (!nb)
            return vgg_fail(VGG_STATUS_NOMEM, "%s: out of host memory", be->name);
        c->blocks = nb;
        c->cap_blocks = cap;
    }
    void *p = NULL;
    cudaError_t e = cudaMalloc(&p, want);
    if (e == cudaErrorMemoryAllocation) {
        cudaGetLastError();   /* clear it, give the cache back, try once more */
        trim(c);
        e = cudaMalloc(&p, want);
    }
    if (e == cudaErrorMemoryAllocation) {
        cudaGetLastError();
        size_t free_b = 0, total_b = 0;
        cudaMemGetInfo(&free_b, &total_b);
        return vgg_fail(VGG_STATUS_NOMEM,
                        "%s: out of GPU memory: asked for %.1f MiB with %.1f MiB held by this "
                        "process's nets and %.1f MiB free of %.1f MiB; lower the batch size "
                        "(--batch), the largest scale Q, the micro-batch, or the convolution "
                        "workspace (--workspace or VGG_WORKSPACE_MB, now %zu)",
                        be->name, bytes / 1048576.0, c->in_use / 1048576.0, free_b / 1048576.0,
                        total_b / 1048576.0, c->ws_limit >> 20);
    }
    CUDA_CHECK(e);
    c->blocks[c->n_blocks++] = (cuda_block){ p, want, true };
    c->in_use += want;
    *out = p;
    return VGG_STATUS_OK;
}

void vgg_cuda_free(vgg_backend *be, void *p)
{
    cuda_impl *c = be->impl;
    if (!p)
        return;
    for (int i = 0; i < c->n_blocks; i++)
        if (c->blocks[i].p == p && c->blocks[i].used) {
            c->blocks[i].used = false;
            c->in_use -= c->blocks[i].bytes;
            c->cached += c->blocks[i].bytes;
            return;
        }
    VGG_ASSERT(!"vgg_cuda_free: pointer not from this backend");
}

/* grow a backend-owned buffer (contents not kept) */
static vgg_status grow(vgg_backend *be, void **buf, size_t *cap, size_t bytes)
{
    if (bytes <= *cap && *buf)
        return VGG_STATUS_OK;
    vgg_cuda_free(be, *buf);
    *buf = NULL;
    *cap = 0;
    vgg_status st = vgg_cuda_malloc(be, bytes, buf);
    if (st == VGG_STATUS_OK)
        *cap = bytes;
    return st;
}

vgg_status vgg_cuda_scratch(vgg_backend *be, size_t bytes, float **out)
{
    cuda_impl *c = be->impl;
    vgg_status st = grow(be, (void **)&c->scratch, &c->scratch_cap, bytes);
    *out = c->scratch;
    return st;
}

vgg_status vgg_cuda_workspace(vgg_backend *be, size_t bytes)
{
    cuda_impl *c = be->impl;
    return bytes ? grow(be, &c->ws, &c->ws_cap, bytes) : VGG_STATUS_OK;
}

static vgg_status cu_alloc(vgg_backend *be, size_t bytes, void **out)
{
    *out = NULL;
    vgg_status st = enter(be);
    return st ? st : vgg_cuda_malloc(be, bytes, out);
}

static void cu_release(vgg_backend *be, void *p) { vgg_cuda_free(be, p); }

/* ---- copies and waiting ---- */

/* Wait for the stream; a failure of queued work is reported here, and so
 * is a bad argmax seen by maxpool_backward. */
static vgg_status wait_stream(vgg_backend *be)
{
    cuda_impl *c = be->impl;
    cudaError_t e = cudaStreamSynchronize(c->stream);
    if (e != cudaSuccess)
        return vgg_fail(VGG_STATUS_DEVICE,
                        "%s: a queued GPU operation failed: %s (%s), reported by "
                        "cudaStreamSynchronize at %s:%d",
                        be->name, cudaGetErrorString(e), cudaGetErrorName(e), __FILE__, __LINE__);
    if (*c->flag) {
        *c->flag = 0;
        return vgg_fail(VGG_STATUS_INVALID, "%s: maxpool_backward met an argmax outside its "
                        "input plane", be->name);
    }
    return VGG_STATUS_OK;
}

static vgg_status cu_sync(vgg_backend *be)
{
    vgg_status st = enter(be);
    return st ? st : wait_stream(be);
}

static vgg_status cu_upload(vgg_backend *be, void *dst, const void *src, size_t bytes)
{
    cuda_impl *c = be->impl;
    vgg_status st = enter(be);
    for (size_t off = 0, k = 0; st == VGG_STATUS_OK && off < bytes; off += CUDA_STAGE_BYTES, k++) {
        const size_t len = bytes - off < CUDA_STAGE_BYTES ? bytes - off : CUDA_STAGE_BYTES;
        const int i = (int)(k % 2);
        /* the staging buffer is free once its last copy has run */
        CUDA_CHECK(cudaEventSynchronize(c->stage_done[i]));
        memcpy(c->stage[i], (const char *)src + off, len);
        CUDA_CHECK(cudaMemcpyAsync((char *)dst + off, c->stage[i], len, cudaMemcpyHostToDevice,
                                   c->stream));
        CUDA_CHECK(cudaEventRecord(c->stage_done[i], c->stream));
    }
    return st;
}

static vgg_status cu_download(vgg_backend *be, void *dst, const void *src, size_t bytes)
{
    cuda_impl *c = be->impl;
    vgg_status st = enter(be);
    size_t prev_off = 0, prev_len = 0;
    for (size_t off = 0, k = 0; st == VGG_STATUS_OK && off < bytes; off += CUDA_STAGE_BYTES, k++) {
        const size_t len = bytes - off < CUDA_STAGE_BYTES ? bytes - off : CUDA_STAGE_BYTES;
        const int i = (int)(k % 2);
        CUDA_CHECK(cudaMemcpyAsync(c->stage[i], (const char *)src + off, len,
                                   cudaMemcpyDeviceToHost, c->stream));
        CUDA_CHECK(cudaEventRecord(c->stage_done[i], c->stream));
        if (k > 0) {   /* the previous chunk, while this one copies */
            CUDA_CHECK(cudaEventSynchronize(c->stage_done[1 - i]));
            memcpy((char *)dst + prev_off, c->stage[1 - i], prev_len);
        }
        prev_off = off;
        prev_len = len;
    }
    if (st == VGG_STATUS_OK)
        st = wait_stream(be);
    if (st == VGG_STATUS_OK && prev_len)
        memcpy((char *)dst + prev_off, c->stage[((bytes - 1) / CUDA_STAGE_BYTES) % 2], prev_len);
    return st;
}

/* ---- forward operations ---- */

static vgg_status cu_fill(vgg_backend *be, float *x, size_t n, float value)
{
    vgg_status st = enter(be);
    if (st == VGG_STATUS_OK)
        CUDA_CHECK(vgg_k_fill(((cuda_impl *)be->impl)->stream, x, n, value));
    return st;
}

static vgg_status cu_conv2d(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                            const float *weight, const float *bias, float *y)
{
    vgg_status st = enter(be);
    return st ? st : vgg_cuda_conv2d(be, d, x, weight, bias, y);
}

static vgg_status cu_maxpool(vgg_backend *be, int n, int c, int h, int w, vgg_pool_round r,
                             const float *x, float *y, int32_t *argmax)
{
    int oh = vgg_pool_out(h, r), ow = vgg_pool_out(w, r);
    if (n < 0 || c <= 0 || oh <= 0 || ow <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "maxpool: input %dx%d is too small to pool", h, w);
    vgg_status st = enter(be);
    if (st == VGG_STATUS_OK)
        CUDA_CHECK(vgg_k_maxpool(((cuda_impl *)be->impl)->stream, x, y, argmax, n * c, h, w, oh,
                                 ow));
    return st;
}

static vgg_status set_lrn(cuda_impl *c, int n, int ch, int h, int w, const vgg_lrn_desc *d)
{
    if (d->size < 1 || d->size > 16)
        return vgg_fail(VGG_STATUS_INVALID, "lrn: size %d outside 1..16 (cuDNN)", d->size);
    CUDNN_CHECK(cudnnSetLRNDescriptor(c->lrnd, (unsigned)d->size, d->alpha, d->beta, d->k));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(c->xd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, ch, h,
                                           w));
    return VGG_STATUS_OK;
}

static vgg_status cu_lrn(vgg_backend *be, int n, int c, int h, int w, const vgg_lrn_desc *d,
                         const float *x, float *y)
{
    cuda_impl *ci = be->impl;
    const float one = 1.0f, zero = 0.0f;
    vgg_status st = enter(be);
    if (st == VGG_STATUS_OK)
        st = set_lrn(ci, n, c, h, w, d);
    if (st == VGG_STATUS_OK && n > 0)
        CUDNN_CHECK(cudnnLRNCrossChannelForward(ci->dnn, ci->lrnd, CUDNN_LRN_CROSS_CHANNEL_DIM1,
                                                &one, ci->xd, x, &zero, ci->xd, y));
    return st;
}

static vgg_status cu_global_avgpool(vgg_backend *be, int n, int c, int h, int w, const float *x,
                                    float *y)
{
    if (h <= 0 || w <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "global_avgpool: empty %dx%d map", h, w);
    vgg_status st = enter(be);
    if (st == VGG_STATUS_OK)
        CUDA_CHECK(vgg_k_global_avgpool(((cuda_impl *)be->impl)->stream, x, y, n * c,
                                        (size_t)h * w));
    return st;
}

static vgg_status cu_flip(vgg_backend *be, size_t rows, int w, const float *x, float *y)
{
    if (w <= 0 || x == y)
        return vgg_fail(VGG_STATUS_INVALID, "flip: width %d, or in place", w);
    vgg_status st = enter(be);
    if (st == VGG_STATUS_OK)
        CUDA_CHECK(vgg_k_flip(((cuda_impl *)be->impl)->stream, x, y, rows, w));
    return st;
}

/* ---- training operations ---- */

static vgg_status cu_conv2d_backward(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                                     const float *weight, const float *y, const float *dy,
                                     float *dx, float *dweight, float *dbias)
{
    vgg_status st = enter(be);
    return st ? st : vgg_cuda_conv2d_backward(be, d, x, weight, y, dy, dx, dweight, dbias);
}

static vgg_status cu_maxpool_backward(vgg_backend *be, int n, int c, int h, int w,
                                      vgg_pool_round r, const int32_t *argmax, const float *dy,
                                      float *dx)
{
    cuda_impl *ci = be->impl;
    const int oh = vgg_pool_out(h, r), ow = vgg_pool_out(w, r);
    vgg_status st = enter(be);
    if (st != VGG_STATUS_OK)
        return st;
    CUDA_CHECK(cudaMemsetAsync(dx, 0, sizeof(float) * n * c * h * w, ci->stream));
    /* the flag is mapped host memory: wait_stream reads it */
    int *flag_dev = NULL;
    CUDA_CHECK(cudaHostGetDevicePointer((void **)&flag_dev, ci->flag, 0));
    CUDA_CHECK(vgg_k_maxpool_back(ci->stream, argmax, dy, dx, n * c, h * w, oh * ow, flag_dev));
    return VGG_STATUS_OK;
}

static vgg_status cu_lrn_backward(vgg_backend *be, int n, int c, int h, int w,
                                  const vgg_lrn_desc *d, const float *x, const float *y,
                                  const float *dy, float *dx)
{
    cuda_impl *ci = be->impl;
    const float one = 1.0f, zero = 0.0f;
    vgg_status st = enter(be);
    if (st == VGG_STATUS_OK)
        st = set_lrn(ci, n, c, h, w, d);
    if (st == VGG_STATUS_OK)
        CUDNN_CHECK(cudnnLRNCrossChannelBackward(ci->dnn, ci->lrnd, CUDNN_LRN_CROSS_CHANNEL_DIM1,
                                                 &one, ci->xd, y, ci->xd, dy, ci->xd, x, &zero,
                                                 ci->xd, dx));
    return st;
}

static vgg_status cu_dropout(vgg_backend *be, size_t count, float p, uint64_t *rng_state,
                             const float *x, float *y, uint8_t *mask)
{
    if (!(p >= 0.0f && p < 1.0f))
        return vgg_fail(VGG_STATUS_INVALID, "dropout: probability %g outside [0, 1)", p);
    vgg_status st = enter(be);
    if (st != VGG_STATUS_OK)
        return st;
    /* the CPU's splitmix64 stream: element i takes draw i + 1 from the state */
    const uint64_t state0 = *rng_state;
    *rng_state = state0 + (uint64_t)count * 0x9e3779b97f4a7c15ULL;
    CUDA_CHECK(vgg_k_dropout(((cuda_impl *)be->impl)->stream, x, y, mask, count, state0,
                             (uint32_t)((double)p * 16777216.0), 1.0f / (1.0f - p)));
    return VGG_STATUS_OK;
}

static vgg_status cu_dropout_backward(vgg_backend *be, size_t count, float p, const uint8_t *mask,
                                      const float *dy, float *dx)
{
    if (!(p >= 0.0f && p < 1.0f))
        return vgg_fail(VGG_STATUS_INVALID, "dropout_backward: probability %g outside [0, 1)", p);
    vgg_status st = enter(be);
    if (st == VGG_STATUS_OK)
        CUDA_CHECK(vgg_k_dropout_back(((cuda_impl *)be->impl)->stream, mask, dy, dx, count,
                                      1.0f / (1.0f - p)));
    return st;
}

static vgg_status cu_softmax_xent(vgg_backend *be, int n, int classes, const float *logits,
                                  const int32_t *labels, float divisor, float *loss,
                                  float *dlogits, float *prob)
{
    cuda_impl *c = be->impl;
    const float one = 1.0f, zero = 0.0f;
    if (n <= 0 || classes <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "softmax_xent: %d samples of %d classes", n, classes);
    if (!(divisor > 0.0f))
        return vgg_fail(VGG_STATUS_INVALID, "softmax_xent: divisor %g is not positive", divisor);
    vgg_status st = enter(be);
    float *logp = NULL;
    const size_t total = (size_t)n * classes;
    if (st == VGG_STATUS_OK)
        st = vgg_cuda_scratch(be, sizeof(float) * (total + n), &logp);
    if (st != VGG_STATUS_OK)
        return st;
    float *losses = logp + total;
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(c->xd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, n, classes,
                                           1, 1));
    CUDNN_CHECK(cudnnSoftmaxForward(c->dnn, CUDNN_SOFTMAX_LOG, CUDNN_SOFTMAX_MODE_INSTANCE, &one,
                                    c->xd, logits, &zero, c->xd, logp));
    CUDA_CHECK(vgg_k_xent(c->stream, logp, labels, n, classes, divisor, losses, dlogits, prob));
    float *host = malloc(sizeof *host * n);
    if (!host)
        return vgg_fail(VGG_STATUS_NOMEM, "softmax_xent: out of memory");
    st = cu_download(be, host, losses, sizeof *host * n);
    double sum = 0.0;
    for (int i = 0; i < n && st == VGG_STATUS_OK; i++) {
        if (!(host[i] == host[i]) || host[i] > 3.0e38f)
            st = vgg_fail(VGG_STATUS_NUMERIC, "softmax_xent: the loss of sample %d is not finite "
                          "(a non-finite logit, or a label outside 0..%d)", i, classes - 1);
        sum += host[i];
    }
    free(host);
    if (st == VGG_STATUS_OK)
        *loss = (float)(sum / n);
    return st;
}

static vgg_status cu_sgd_update(vgg_backend *be, size_t count, float lr, float momentum, float wd,
                                float *w, const float *g, float *v)
{
    vgg_status st = enter(be);
    if (st != VGG_STATUS_OK)
        return st;
    be->weights_epoch++;
    CUDA_CHECK(vgg_k_sgd(((cuda_impl *)be->impl)->stream, count, lr, momentum, wd, w, g, v));
    return VGG_STATUS_OK;
}

/* ---- life ---- */

static void cu_close(vgg_backend *be)
{
    if (!be)
        return;
    cuda_impl *c = be->impl;
    if (c) {
        cudaSetDevice(c->device);
        if (c->stream)
            cudaStreamSynchronize(c->stream);
#ifdef VGG_HAVE_NCCL
        vgg_cuda_nccl_free(be);
#endif
        vgg_cuda_conv_free(be);
        if (c->lrnd)
            cudnnDestroyLRNDescriptor(c->lrnd);
        for (int i = 0; i < c->n_blocks; i++)
            cudaFree(c->blocks[i].p);
        free(c->blocks);
        for (int i = 0; i < 2; i++) {
            if (c->stage[i])
                cudaFreeHost(c->stage[i]);
            if (c->stage_done[i])
                cudaEventDestroy(c->stage_done[i]);
        }
        if (c->flag)
            cudaFreeHost(c->flag);
        if (c->blas)
            vgg_cublas.destroy(c->blas);
        if (c->dnn)
            cudnnDestroy(c->dnn);
        if (c->stream)
            cudaStreamDestroy(c->stream);
        free(c);
    }
    free(be);
}

static const vgg_backend_ops cuda_ops = {
    .alloc = cu_alloc,
    .release = cu_release,
    .upload = cu_upload,
    .download = cu_download,
    .sync = cu_sync,
    .close = cu_close,
    .fill = cu_fill,
    .conv2d = cu_conv2d,
    .maxpool = cu_maxpool,
    .lrn = cu_lrn,
    .global_avgpool = cu_global_avgpool,
    .flip = cu_flip,
};

static const vgg_backend_train_ops cuda_train_ops = {
    .conv2d_backward = cu_conv2d_backward,
    .maxpool_backward = cu_maxpool_backward,
    .lrn_backward = cu_lrn_backward,
    .dropout = cu_dropout,
    .dropout_backward = cu_dropout_backward,
    .softmax_xent = cu_softmax_xent,
    .sgd_update = cu_sgd_update,
#ifdef VGG_HAVE_NCCL
    .allreduce_sum = vgg_cuda_allreduce_sum,
#endif
    /* batch normalisation: not yet on the GPU (training a -BN net there
     * returns VGG_STATUS_UNSUPPORTED; its forward uses the folded convs) */
};

/* The versions, for messages: "driver 12.4, runtime 13.0". */
static void versions(char *buf, size_t size)
{
    int drv = 0, rt = 0;
    cudaDriverGetVersion(&drv);
    cudaRuntimeGetVersion(&rt);
    if (drv)
        snprintf(buf, size, "CUDA driver %d.%d, runtime %d.%d", drv / 1000, drv % 1000 / 10,
                 rt / 1000, rt % 1000 / 10);
    else
        snprintf(buf, size, "no CUDA driver, runtime %d.%d", rt / 1000, rt % 1000 / 10);
}

static vgg_status device_count(int *count)
{
    *count = 0;
    cudaError_t e = cudaGetDeviceCount(count);
    if (e != cudaSuccess) {
        char v[64];
        versions(v, sizeof v);
        cudaGetLastError();
        *count = 0;
        return vgg_fail(VGG_STATUS_DEVICE, "%s (%s from cudaGetDeviceCount; %s)",
                        cudaGetErrorString(e), cudaGetErrorName(e), v);
    }
    return VGG_STATUS_OK;
}

static vgg_status open_impl(vgg_backend *be, int device)
{
    cuda_impl *c = be->impl;
    CUDA_CHECK(cudaSetDevice(device));
    CUDA_CHECK(cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking));
    CUDNN_CHECK(cudnnCreate(&c->dnn));
    CUDNN_CHECK(cudnnSetStream(c->dnn, c->stream));
    vgg_status st = vgg_cuda_blas_load();
    if (st != VGG_STATUS_OK)
        return st;
    CUBLAS_CHECK(vgg_cublas.create(&c->blas));
    CUBLAS_CHECK(vgg_cublas.set_stream(c->blas, c->stream));
    CUDNN_CHECK(cudnnCreateLRNDescriptor(&c->lrnd));
    for (int i = 0; i < 2; i++) {
        CUDA_CHECK(cudaMallocHost(&c->stage[i], CUDA_STAGE_BYTES));
        CUDA_CHECK(cudaEventCreateWithFlags(&c->stage_done[i], cudaEventDisableTiming));
    }
    CUDA_CHECK(cudaHostAlloc((void **)&c->flag, sizeof(int), cudaHostAllocMapped));
    *c->flag = 0;
    return vgg_cuda_conv_init(be);
}

vgg_status vgg_cuda_backend_open(int device, const vgg_device_opts *o, vgg_backend **out)
{
    *out = NULL;
    int count = 0;
    vgg_status st = device_count(&count);
    if (st != VGG_STATUS_OK)
        return vgg_fail_context(st, "device 'cuda:%d': ", device);
    if (device >= count)
        return vgg_fail(VGG_STATUS_DEVICE, "device 'cuda:%d': this machine has %d GPU%s", device,
                        count, count == 1 ? " (cuda:0)" : "s");
    vgg_backend *be = calloc(1, sizeof *be);
    cuda_impl *c = calloc(1, sizeof *c);
    if (!be || !c) {
        free(be);
        free(c);
        return vgg_fail(VGG_STATUS_NOMEM, "cuda: out of memory");
    }
    be->impl = c;
    be->ops = &cuda_ops;
    be->train = &cuda_train_ops;
    be->threads = 1;
    be->host_memory = false;
    snprintf(be->name, sizeof be->name, "cuda:%d", device & 0xff);
    c->device = device;
    c->opts = *o;
    c->ws_limit = (o->workspace_mb ? o->workspace_mb : 1024) << 20;
    st = open_impl(be, device);
    if (st != VGG_STATUS_OK) {
        cu_close(be);
        return vgg_fail_context(st, "device 'cuda:%d': ", device);
    }
    *out = be;
    return VGG_STATUS_OK;
}

int vgg_cuda_describe(char *buf, size_t size)
{
    char v[64];
    int count = 0;
    if (device_count(&count) != VGG_STATUS_OK) {
        if (size)
            snprintf(buf, size, "no GPUs: %s", vgg_last_error());
        return 0;
    }
    versions(v, sizeof v);
    if (count == 0) {
        if (size)
            snprintf(buf, size, "no GPUs: the driver reports none (%s)", v);
        return 0;
    }
    size_t used = (size_t)snprintf(buf, size, "%s, cuDNN %zu\n", v, (size_t)cudnnGetVersion());
    for (int i = 0; i < count && used < size; i++) {
        struct cudaDeviceProp p;
        if (cudaGetDeviceProperties(&p, i) != cudaSuccess)
            continue;
        used += (size_t)snprintf(buf + used, size - used, "cuda:%d  %s  %.1f GiB  compute %d.%d\n",
                                 i, p.name, p.totalGlobalMem / 1073741824.0, p.major, p.minor);
    }
    return count;
}

/* ---- the descriptor of "cuda" (net/src/registry.c) ---- */

static vgg_status cuda_open(int index, int threads, const vgg_device_opts *o, vgg_backend **out)
{
    (void)threads;
    return vgg_cuda_backend_open(index, o, out);
}

const vgg_backend_reg vgg_cuda_reg = {
    .name = "cuda",
    .forms = "cuda, cuda:N",
    .summary = "cuDNN, cuBLAS and our kernels",
    .kind = VGG_BACKEND_GPU,
    .is_host = false,
    .numbered = true,
    .precisions = VGG_PRECISION_BIT(VGG_PRECISION_FP32) | VGG_PRECISION_BIT(VGG_PRECISION_TF32),
    .parse = vgg_backend_parse_index,
    .open = cuda_open,
    .list = vgg_cuda_describe,
#ifdef VGG_HAVE_NCCL
    .collective_id = vgg_cuda_nccl_unique_id,
    .join = vgg_cuda_nccl_join,
    .join_all = vgg_cuda_nccl_join_all,
#else
    .no_collective = "this build has no NCCL (nccl.h or libnccl was not found at configure "
                     "time)",
#endif
};
