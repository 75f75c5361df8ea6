/* Every convolution of the CUDA backend, kept in this one file (a later
 * move to cuDNN's graph API touches only it): spatial convolutions
 * through cuDNN's C API, forward and both backward passes; fully
 * connected layers (a 1x1 output without padding: fc6, fc7, fc8 of a
 * training crop) through cuBLAS.  Bias and ReLU are one kernel after the
 * product (the CPU's arithmetic exactly).
 *
 * Algorithms, one per shape and direction, kept in a table: for a fixed
 * shape (training; vgg_conv_desc.fixed_shape) measured once by cudnnFind*,
 * for the many shapes of dense extraction, and for every run with
 * deterministic options, taken from cuDNN's heuristics (cudnnGet*_v7,
 * which time nothing, so that two processes choose alike).  Of cuDNN's
 * list, the first entry that the options allow: deterministic ones only
 * when asked; in fp32 no tensor-op entry and none of FFT, FFT_TILING and
 * WINOGRAD_NONFUSED, run with CUDNN_FMA_MATH.  The math type is set
 * first, then the workspace is asked for that algorithm and math type
 * and must fit the limit.  fp32 runs pedantic cuBLAS (no TF32); tf32 lets
 * both use tensor cores.  VGG_LOG_ALGOS=1 writes each choice to stderr,
 * one line per shape and direction ("vgg-algo cuda:0 fp32 forward n=2
 * cin=64 256x341 cout=64 k=3 pad=1: IMPLICIT_PRECOMP_GEMM math=FMA
 * workspace=0.0MiB heuristics"). */
#include <stdio.h>
#include <stdlib.h>
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
    const char *log_env = getenv("VGG_LOG_ALGOS");
    c->log_algos = log_env && strcmp(log_env, "1") == 0;
    CUBLAS_CHECK(vgg_cublas.set_math_mode(c->blas, c->opts.precision == VGG_PRECISION_TF32
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

/* One entry of a cuDNN perf list (forward, backward-data and
 * backward-filter lists have the same fields, of different types). */
typedef struct candidate {
    int algo;
    cudnnStatus_t status;
    cudnnDeterminism_t determinism;
    cudnnMathType_t math;
} candidate;

enum { MAX_CANDIDATES = 16 };

#define TAKE(perf, got, cand, nc)                                                                  \
    do {                                                                                           \
        for (int i_ = 0; i_ < (got) && (nc) < MAX_CANDIDATES; i_++)                                \
            (cand)[(nc)++] = (candidate){ (int)(perf)[i_].algo, (perf)[i_].status,                 \
                                          (perf)[i_].determinism, (perf)[i_].mathType };           \
    } while (0)

static const char *algo_name(int dir, int algo)
{
    static const char *const fwd[] = { "IMPLICIT_GEMM", "IMPLICIT_PRECOMP_GEMM", "GEMM",
                                       "DIRECT", "FFT", "FFT_TILING", "WINOGRAD",
                                       "WINOGRAD_NONFUSED" };
    static const char *const bwd_data[] = { "ALGO_0", "ALGO_1", "FFT", "FFT_TILING", "WINOGRAD",
                                            "WINOGRAD_NONFUSED" };
    static const char *const bwd_filter[] = { "ALGO_0", "ALGO_1", "FFT", "ALGO_3", "WINOGRAD",
                                              "WINOGRAD_NONFUSED", "FFT_TILING" };
    if (dir == DIR_FWD && algo >= 0 && algo < 8)
        return fwd[algo];
    if (dir == DIR_BWD_DATA && algo >= 0 && algo < 6)
        return bwd_data[algo];
    if (dir == DIR_BWD_FILTER && algo >= 0 && algo < 7)
        return bwd_filter[algo];
    return "unknown";
}

static const char *math_name(cudnnMathType_t m)
{
    switch (m) {
    case CUDNN_DEFAULT_MATH:
        return "DEFAULT";
    case CUDNN_TENSOR_OP_MATH:
        return "TENSOR_OP";
    case CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION:
        return "TENSOR_OP_ALLOW_CONVERSION";
    case CUDNN_FMA_MATH:
        return "FMA";
    }
    return "unknown";
}

static const char *dir_name(int dir)
{
    return dir == DIR_FWD ? "forward" : dir == DIR_BWD_DATA ? "backward-data" : "backward-filter";
}

/* FFT, FFT_TILING and WINOGRAD_NONFUSED transform their operands and
 * miss fp32 agreement by 1e-3 to 1e-2: never in fp32 */
static bool inexact_transform(int dir, int algo)
{
    if (dir == DIR_FWD)
        return algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT ||
               algo == CUDNN_CONVOLUTION_FWD_ALGO_FFT_TILING ||
               algo == CUDNN_CONVOLUTION_FWD_ALGO_WINOGRAD_NONFUSED;
    if (dir == DIR_BWD_DATA)
        return algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT ||
               algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_FFT_TILING ||
               algo == CUDNN_CONVOLUTION_BWD_DATA_ALGO_WINOGRAD_NONFUSED;
    return algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT ||
           algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_FFT_TILING ||
           algo == CUDNN_CONVOLUTION_BWD_FILTER_ALGO_WINOGRAD_NONFUSED;
}

/* The math type an entry runs with, or -1 where the options rule the
 * entry out: fp32 takes no tensor-op entry and no inexact transform, and
 * runs the rest with CUDNN_FMA_MATH; tf32 runs an entry as listed. */
static int math_for(const cuda_impl *c, int dir, const candidate *e)
{
    if (e->status != CUDNN_STATUS_SUCCESS)
        return -1;
    if (c->opts.deterministic && e->determinism != CUDNN_DETERMINISTIC)
        return -1;
    if (c->opts.precision != VGG_PRECISION_FP32)
        return (int)e->math;
    if (e->math == CUDNN_TENSOR_OP_MATH || e->math == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION ||
        inexact_transform(dir, e->algo))
        return -1;
    return (int)CUDNN_FMA_MATH;
}

/* The workspace of algo with the math type already set on c->cd */
static cudnnStatus_t workspace_of(cuda_impl *c, int dir, int algo, size_t *bytes)
{
    if (dir == DIR_FWD)
        return cudnnGetConvolutionForwardWorkspaceSize(c->dnn, c->xd, c->wd, c->cd, c->yd,
                                                       (cudnnConvolutionFwdAlgo_t)algo, bytes);
    if (dir == DIR_BWD_DATA)
        return cudnnGetConvolutionBackwardDataWorkspaceSize(
            c->dnn, c->wd, c->yd, c->cd, c->xd, (cudnnConvolutionBwdDataAlgo_t)algo, bytes);
    return cudnnGetConvolutionBackwardFilterWorkspaceSize(
        c->dnn, c->xd, c->yd, c->cd, c->wd, (cudnnConvolutionBwdFilterAlgo_t)algo, bytes);
}

/* The first entry of a list (cuDNN's order, best first) that the options
 * allow: its math type set on the descriptor first, then the workspace
 * asked for that algorithm and math type, within the limit.  An entry
 * whose workspace query fails (not supported with that math type) is
 * passed over. */
static vgg_status pick(cuda_impl *c, int dir, const candidate *cand, int nc, conv_choice *ch,
                       bool *found)
{
    for (int i = 0; i < nc && !*found; i++) {
        const int math = math_for(c, dir, &cand[i]);
        if (math < 0)
            continue;
        size_t ws = 0;
        CUDNN_CHECK(cudnnSetConvolutionMathType(c->cd, (cudnnMathType_t)math));
        if (workspace_of(c, dir, cand[i].algo, &ws) != CUDNN_STATUS_SUCCESS || ws > c->ws_limit)
            continue;
        ch->algo = cand[i].algo;
        ch->math = (cudnnMathType_t)math;
        ch->ws = ws;
        *found = true;
    }
    return VGG_STATUS_OK;
}

/* cuDNN's list for direction dir: measured (cudnnFind*, which times
 * every algorithm on the device) or from its heuristics (cudnnGet*_v7,
 * which times nothing).  A measurement that fails gives an empty list. */
static vgg_status list_algos(cuda_impl *c, int dir, bool measure, candidate *cand, int *nc)
{
    int got = 0;
    *nc = 0;
    if (dir == DIR_FWD) {
        cudnnConvolutionFwdAlgoPerf_t perf[MAX_CANDIDATES];
        if (measure) {
            if (cudnnFindConvolutionForwardAlgorithm(c->dnn, c->xd, c->wd, c->cd, c->yd,
                                                     MAX_CANDIDATES, &got, perf) ==
                CUDNN_STATUS_SUCCESS)
                TAKE(perf, got, cand, *nc);
        } else {
            CUDNN_CHECK(cudnnGetConvolutionForwardAlgorithm_v7(c->dnn, c->xd, c->wd, c->cd, c->yd,
                                                               MAX_CANDIDATES, &got, perf));
            TAKE(perf, got, cand, *nc);
        }
    } else if (dir == DIR_BWD_DATA) {
        cudnnConvolutionBwdDataAlgoPerf_t perf[MAX_CANDIDATES];
        if (measure) {
            if (cudnnFindConvolutionBackwardDataAlgorithm(c->dnn, c->wd, c->yd, c->cd, c->xd,
                                                          MAX_CANDIDATES, &got, perf) ==
                CUDNN_STATUS_SUCCESS)
                TAKE(perf, got, cand, *nc);
        } else {
            CUDNN_CHECK(cudnnGetConvolutionBackwardDataAlgorithm_v7(
                c->dnn, c->wd, c->yd, c->cd, c->xd, MAX_CANDIDATES, &got, perf));
            TAKE(perf, got, cand, *nc);
        }
    } else {
        cudnnConvolutionBwdFilterAlgoPerf_t perf[MAX_CANDIDATES];
        if (measure) {
            if (cudnnFindConvolutionBackwardFilterAlgorithm(c->dnn, c->xd, c->yd, c->cd, c->wd,
                                                            MAX_CANDIDATES, &got, perf) ==
                CUDNN_STATUS_SUCCESS)
                TAKE(perf, got, cand, *nc);
        } else {
            CUDNN_CHECK(cudnnGetConvolutionBackwardFilterAlgorithm_v7(
                c->dnn, c->xd, c->yd, c->cd, c->wd, MAX_CANDIDATES, &got, perf));
            TAKE(perf, got, cand, *nc);
        }
    }
    return VGG_STATUS_OK;
}

/* VGG_LOG_ALGOS=1: one line on stderr per shape and direction chosen */
static void log_choice(const vgg_backend *be, const conv_choice *ch, const vgg_conv_desc *d,
                       bool measured)
{
    const cuda_impl *c = be->impl;
    fprintf(stderr,
            "vgg-algo %s %s%s %s n=%d cin=%d %dx%d cout=%d k=%d pad=%d: %s math=%s "
            "workspace=%.1fMiB %s\n",
            be->name, c->opts.precision == VGG_PRECISION_TF32 ? "tf32" : "fp32",
            c->opts.deterministic ? " deterministic" : "", dir_name(ch->dir), d->n, d->cin, d->h,
            d->w, d->cout, d->k, d->pad, algo_name(ch->dir, ch->algo), math_name(ch->math),
            ch->ws / 1048576.0, measured ? "measured" : "heuristics");
}

/* The algorithm for direction dir of shape d (descriptors already set),
 * from the table or chosen now: for a fixed shape (training) measured by
 * cuDNN unless the options ask for determinism, else (dense extraction's
 * many shapes, and every deterministic run) from cuDNN's heuristics; a
 * measurement that leaves nothing usable falls back on the heuristics. */
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
    candidate cand[MAX_CANDIDATES];
    int nc = 0;
    bool found = false, measured = d->fixed_shape && !c->opts.deterministic;
    vgg_status st = VGG_STATUS_OK;
    if (measured && (st = list_algos(c, dir, true, cand, &nc)) == VGG_STATUS_OK)
        st = pick(c, dir, cand, nc, &ch, &found);
    if (st == VGG_STATUS_OK && !found) {
        measured = false;
        if ((st = list_algos(c, dir, false, cand, &nc)) == VGG_STATUS_OK)
            st = pick(c, dir, cand, nc, &ch, &found);
    }
    if (st != VGG_STATUS_OK)
        return st;
    if (!found)
        return vgg_fail(VGG_STATUS_UNSUPPORTED,
                        "%s: no cuDNN %s algorithm for conv (n %d, cin %d, %dx%d, cout %d, k %d) "
                        "within the workspace limit of %zu MiB%s%s (raise --workspace or "
                        "VGG_WORKSPACE_MB)",
                        be->name, dir_name(dir), d->n, d->cin, d->h, d->w, d->cout, d->k,
                        c->ws_limit >> 20, c->opts.deterministic ? " that is deterministic" : "",
                        c->opts.precision == VGG_PRECISION_FP32 ? " and exact in fp32" : "");
    if (c->log_algos)
        log_choice(be, &ch, d, measured);
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
        CUBLAS_CHECK(vgg_cublas.sgemm(c->blas, CUBLAS_OP_T, CUBLAS_OP_N, d->cout, d->n, K, &one,
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
        CUBLAS_CHECK(vgg_cublas.sgemm(c->blas, CUBLAS_OP_N, CUBLAS_OP_T, K, d->cout, d->n, &one, x, K,
                                 dz, d->cout, &one, dweight, K));
        /* dx (n, K) = dz (n, cout) W (cout, K) */
        if (dx)
            CUBLAS_CHECK(vgg_cublas.sgemm(c->blas, CUBLAS_OP_N, CUBLAS_OP_N, K, d->n, d->cout, &one,
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
