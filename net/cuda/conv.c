/* Every convolution of the CUDA backend, kept in this one file (a later
 * move to cuDNN's graph API touches only it): spatial convolutions
 * through cuDNN's C API, forward and both backward passes; fully
 * connected layers (a 1x1 output without padding: fc6, fc7, fc8 of a
 * training crop) through cuBLAS.  Bias and ReLU are one kernel after the
 * product (the CPU's arithmetic exactly).
 *
 * Algorithms: for a fixed shape (training; vgg_conv_desc.fixed_shape)
 * measured once by cudnnFind*, for the many shapes of dense extraction
 * taken from cuDNN's heuristics (cudnnGet*_v7); either way kept in a
 * table by shape and direction.  Only algorithms within the workspace
 * limit, and only deterministic ones when the options ask for it.  fp32
 * runs CUDNN_FMA_MATH and pedantic cuBLAS (no TF32); tf32 lets both use
 * tensor cores. */
#include <string.h>

#include "cuda_internal.h"

enum { DIR_FWD = 0, DIR_BWD_DATA, DIR_BWD_FILTER };

static const float one = 1.0f, zero = 0.0f;

vgg_status vgg_cuda_conv_init(vgg_backend *be)
{
    cuda_impl *c = be->impl;
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&c->xd));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&c->yd));
    CUDNN_CHECK(cudnnCreateTensorDescriptor(&c->bd));
    CUDNN_CHECK(cudnnCreateFilterDescriptor(&c->wd));
    CUDNN_CHECK(cudnnCreateConvolutionDescriptor(&c->cd));
    CUBLAS_CHECK(cublasSetMathMode(c->blas, c->opts.precision == VGG_PRECISION_TF32
                                                ? CUBLAS_TF32_TENSOR_OP_MATH
                                                : CUBLAS_PEDANTIC_MATH));
    return VGG_STATUS_OK;
}

void vgg_cuda_conv_free(vgg_backend *be)
{
    cuda_impl *c = be->impl;
    if (c->xd)
        cudnnDestroyTensorDescriptor(c->xd);
    if (c->yd)
        cudnnDestroyTensorDescriptor(c->yd);
    if (c->bd)
        cudnnDestroyTensorDescriptor(c->bd);
    if (c->wd)
        cudnnDestroyFilterDescriptor(c->wd);
    if (c->cd)
        cudnnDestroyConvolutionDescriptor(c->cd);
}

static cudnnMathType_t mode_math(const cuda_impl *c)
{
    return c->opts.precision == VGG_PRECISION_TF32 ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
}

static vgg_status set_descs(cuda_impl *c, const vgg_conv_desc *d)
{
    const int oh = vgg_conv_out_h(d), ow = vgg_conv_out_w(d);
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(c->xd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d->n,
                                           d->cin, d->h, d->w));
    CUDNN_CHECK(cudnnSetFilter4dDescriptor(c->wd, CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW, d->cout,
                                           d->cin, d->k, d->k));
    CUDNN_CHECK(cudnnSetConvolution2dDescriptor(c->cd, d->pad, d->pad, 1, 1, 1, 1,
                                                CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
    CUDNN_CHECK(cudnnSetConvolutionMathType(c->cd, mode_math(c)));
    CUDNN_CHECK(cudnnSetTensor4dDescriptor(c->yd, CUDNN_TENSOR_NCHW, CUDNN_DATA_FLOAT, d->n,
                                           d->cout, oh, ow));
    return VGG_STATUS_OK;
}

static conv_choice *lookup(cuda_impl *c, int dir, const vgg_conv_desc *d)
{
    for (int i = 0; i < c->n_choices && i < CUDA_MAX_CHOICES; i++) {
        conv_choice *e = &c->choices[i];
        if (e->dir == dir && e->n == d->n && e->cin == d->cin && e->h == d->h && e->w == d->w &&
            e->cout == d->cout && e->k == d->k && e->pad == d->pad)
            return e;
    }
    return NULL;
}

/* The first usable result of a cuDNN perf list (sorted fastest first). */
#define PICK(perf, count, out, found)                                                              \
    do {                                                                                           \
        for (int i_ = 0; i_ < (count) && !(found); i_++) {                                         \
            if ((perf)[i_].status != CUDNN_STATUS_SUCCESS || (perf)[i_].memory > c->ws_limit)     \
                continue;                                                                          \
            if (c->opts.deterministic && (perf)[i_].determinism != CUDNN_DETERMINISTIC)            \
                continue;                                                                          \
            if (c->opts.precision == VGG_PRECISION_FP32 &&                                         \
                ((perf)[i_].mathType == CUDNN_TENSOR_OP_MATH ||                                    \
                 (perf)[i_].mathType == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION))                    \
                continue;                                                                          \
            (out).algo = (int)(perf)[i_].algo;                                                     \
            (out).math = (perf)[i_].mathType;                                                      \
            (out).ws = (perf)[i_].memory;                                                          \
            (found) = true;                                                                        \
        }                                                                                          \
    } while (0)

/* The algorithm for direction dir of shape d (descriptors already set),
 * from the table or chosen now. */
static vgg_status choose(vgg_backend *be, int dir, const vgg_conv_desc *d, conv_choice **out)
{
    cuda_impl *c = be->impl;
    conv_choice *e = lookup(c, dir, d);
    if (e) {
        *out = e;
        return VGG_STATUS_OK;
    }
    conv_choice ch = { .dir = dir, .n = d->n, .cin = d->cin, .h = d->h, .w = d->w,
                       .cout = d->cout, .k = d->k, .pad = d->pad };
    bool found = false;
    enum { MAXP = 16 };
    int got = 0;
    /* measuring needs memory of its own: if that fails, heuristics */
    bool measure = d->fixed_shape;
    if (dir == DIR_FWD) {
        cudnnConvolutionFwdAlgoPerf_t perf[MAXP];
        if (measure && cudnnFindConvolutionForwardAlgorithm(c->dnn, c->xd, c->wd, c->cd, c->yd,
                                                            MAXP, &got, perf) ==
                           CUDNN_STATUS_SUCCESS)
            PICK(perf, got, ch, found);
        if (!found) {
            CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(c->dnn, c->xd, c->wd, c->cd,
                                                               c->yd, MAXP, &got, perf));
            PICK(perf, got, ch, found);
        }
    } else if (dir == DIR_BWD_DATA) {
        cudnnConvolutionBwdDataAlgoPerf_t perf[MAXP];
        if (measure && cudnnFindConvolutionBackwardDataAlgorithm(c->dnn, c->wd, c->yd, c->cd,
                                                                 c->xd, MAXP, &got, perf) ==
                           CUDNN_STATUS_SUCCESS)
            PICK(perf, got, ch, found);
        if (!found) {
            CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(c->dnn, c->wd, c->yd, c->cd,
                                                                    c->xd, MAXP, &got, perf));
            PICK(perf, got, ch, found);
        }
    } else {
        cudnnConvolutionBwdFilterAlgoPerf_t perf[MAXP];
        if (measure && cudnnFindConvolutionBackwardFilterAlgorithm(c->dnn, c->xd, c->yd, c->cd,
                                                                   c->wd, MAXP, &got, perf) ==
                           CUDNN_STATUS_SUCCESS)
            PICK(perf, got, ch, found);
        if (!found) {
            CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(c->dnn, c->xd, c->yd, c->cd,
                                                                      c->wd, MAXP, &got, perf));
            PICK(perf, got, ch, found);
        }
    }
    if (!found)
        return vgg_fail(VGG_STATUS_UNSUPPORTED,
                        "%s: no cuDNN %s algorithm for conv (n %d, cin %d, %dx%d, cout %d, k %d) "
                        "within the workspace limit of %zu MiB%s (raise --workspace or VGG_WORKSPACE_MB)",
                        be->name, dir == DIR_FWD ? "forward" : dir == DIR_BWD_DATA
                                                                   ? "backward-data"
                                                                   : "backward-filter",
                        d->n, d->cin, d->h, d->w, d->cout, d->k, c->ws_limit >> 20,
                        c->opts.deterministic ? " that is deterministic" : "");
    if (c->opts.precision == VGG_PRECISION_FP32)
        ch.math = CUDNN_FMA_MATH;
    /* a ring: the oldest shape makes room */
    e = &c->choices[c->n_choices % CUDA_MAX_CHOICES];
    *e = ch;
    c->n_choices++;
    if (c->n_choices == 2 * CUDA_MAX_CHOICES)
        c->n_choices = CUDA_MAX_CHOICES;
    *out = e;
    return VGG_STATUS_OK;
}

static vgg_status check_shape(const char *what, const vgg_conv_desc *d)
{
    const int oh = vgg_conv_out_h(d), ow = vgg_conv_out_w(d);
    if (d->n < 0 || d->cin <= 0 || d->cout <= 0 || d->k <= 0 || d->pad < 0 || oh <= 0 || ow <= 0)
        return vgg_fail(VGG_STATUS_INVALID,
                        "%s: bad shape (n %d, cin %d, %dx%d, cout %d, k %d, pad %d)", what, d->n,
                        d->cin, d->h, d->w, d->cout, d->k, d->pad);
    return VGG_STATUS_OK;
}

static bool fully_connected(const vgg_conv_desc *d)
{
    return vgg_conv_out_h(d) == 1 && vgg_conv_out_w(d) == 1 && d->pad == 0;
}

vgg_status vgg_cuda_conv2d(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                           const float *weight, const float *bias, float *y)
{
    cuda_impl *c = be->impl;
    vgg_status st = check_shape("conv2d", d);
    if (st != VGG_STATUS_OK || d->n == 0)
        return st;
    const size_t plane = (size_t)vgg_conv_out_h(d) * vgg_conv_out_w(d);
    if (fully_connected(d)) {
        /* row-major y (n, cout) = x (n, K) W^T: column-major y' = W'^T x' */
        const int K = d->cin * d->k * d->k;
        CUBLAS_CHECK(cublasSgemm(c->blas, CUBLAS_OP_T, CUBLAS_OP_N, d->cout, d->n, K, &one,
                                 weight, K, x, K, &zero, y, d->cout));
    } else {
        conv_choice *ch = NULL;
        if ((st = set_descs(c, d)) != VGG_STATUS_OK || (st = choose(be, DIR_FWD, d, &ch)))
            return st;
        if ((st = vgg_cuda_workspace(be, ch->ws)) != VGG_STATUS_OK)
            return st;
        CUDNN_CHECK(cudnnSetConvolutionMathType(c->cd, ch->math));
        CUDNN_CHECK(cudnnConvolutionForward(c->dnn, &one, c->xd, x, c->wd, weight, c->cd,
                                            (cudnnConvolutionFwdAlgo_t)ch->algo, c->ws, ch->ws,
                                            &zero, c->yd, y));
    }
    CUDA_CHECK(vgg_k_bias_act(c->stream, y, bias, (size_t)d->n * d->cout * plane, d->cout, plane,
                              d->relu));
    return VGG_STATUS_OK;
}

vgg_status vgg_cuda_conv2d_backward(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                                    const float *weight, const float *y, const float *dy,
                                    float *dx, float *dweight, float *dbias)
{
    cuda_impl *c = be->impl;
    vgg_status st = check_shape("conv2d_backward", d);
    if (st != VGG_STATUS_OK)
        return st;
    if (d->n == 0)
        return vgg_fail(VGG_STATUS_INVALID, "conv2d_backward: bad descriptor");
    const size_t plane = (size_t)vgg_conv_out_h(d) * vgg_conv_out_w(d);
    const size_t count = (size_t)d->n * d->cout * plane;
    const float *dz = dy;
    if (d->relu) {
        float *buf = NULL;
        if ((st = vgg_cuda_scratch(be, count * sizeof(float), &buf)) != VGG_STATUS_OK)
            return st;
        CUDA_CHECK(vgg_k_relu_back(c->stream, y, dy, buf, count));
        dz = buf;
    }
    CUDA_CHECK(vgg_k_bias_grad(c->stream, dz, dbias, d->n, d->cout, plane));
    if (fully_connected(d)) {
        const int K = d->cin * d->k * d->k;
        /* dW (cout, K) += dz^T (cout, n) x (n, K) */
        CUBLAS_CHECK(cublasSgemm(c->blas, CUBLAS_OP_N, CUBLAS_OP_T, K, d->cout, d->n, &one, x, K,
                                 dz, d->cout, &one, dweight, K));
        /* dx (n, K) = dz (n, cout) W (cout, K) */
        if (dx)
            CUBLAS_CHECK(cublasSgemm(c->blas, CUBLAS_OP_N, CUBLAS_OP_N, K, d->n, d->cout, &one,
                                     weight, K, dz, d->cout, &zero, dx, K));
        return VGG_STATUS_OK;
    }
    conv_choice *ch = NULL;
    if ((st = set_descs(c, d)) != VGG_STATUS_OK || (st = choose(be, DIR_BWD_FILTER, d, &ch)) ||
        (st = vgg_cuda_workspace(be, ch->ws)))
        return st;
    CUDNN_CHECK(cudnnSetConvolutionMathType(c->cd, ch->math));
    CUDNN_CHECK(cudnnConvolutionBackwardFilter(c->dnn, &one, c->xd, x, c->yd, dz, c->cd,
                                               (cudnnConvolutionBwdFilterAlgo_t)ch->algo, c->ws,
                                               ch->ws, &one, c->wd, dweight));
    if (!dx)
        return VGG_STATUS_OK;
    if ((st = choose(be, DIR_BWD_DATA, d, &ch)) || (st = vgg_cuda_workspace(be, ch->ws)))
        return st;
    CUDNN_CHECK(cudnnSetConvolutionMathType(c->cd, ch->math));
    CUDNN_CHECK(cudnnConvolutionBackwardData(c->dnn, &one, c->wd, weight, c->yd, dz, c->cd,
                                             (cudnnConvolutionBwdDataAlgo_t)ch->algo, c->ws,
                                             ch->ws, &zero, c->xd, dx));
    return VGG_STATUS_OK;
}
