/* Shared by the CUDA backend's files: its state, the status checks and
 * the convolution entry points (conv.c).  Only net/cuda/ includes CUDA
 * headers. */
#ifndef VGG_NET_CUDA_INTERNAL_H
#define VGG_NET_CUDA_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include "backend.h"
#include "kernels.h"

/* One device allocation the cache knows: in use or free for reuse. */
typedef struct cuda_block {
    void *p;
    size_t bytes;   /* rounded size */
    bool used;
} cuda_block;

/* Algorithms chosen for one convolution shape and direction. */
typedef struct conv_choice {
    int dir;                      /* 0 forward, 1 backward data, 2 backward filter */
    int n, cin, h, w, cout, k, pad;
    int algo;
    cudnnMathType_t math;
    size_t ws;                    /* workspace bytes */
} conv_choice;

#define CUDA_MAX_CHOICES 512
#define CUDA_STAGE_BYTES ((size_t)32 << 20)

typedef struct cuda_impl {
    int device;
    pthread_mutex_t lock;         /* one operation at a time queues work */
    cudaStream_t stream;
    cudnnHandle_t dnn;
    cublasHandle_t blas;
    /* the cached allocator */
    cuda_block *blocks;
    int n_blocks, cap_blocks;
    size_t in_use, cached;        /* bytes */
    /* pinned staging for copies, double-buffered */
    void *stage[2];
    cudaEvent_t stage_done[2];
    /* scratch owned by the backend: convolution workspace, dz of a
     * backward, log-softmax, losses, a flag */
    void *ws;
    size_t ws_cap;
    float *scratch;
    size_t scratch_cap;           /* bytes */
    int *flag;
    size_t ws_limit;              /* bytes, from the device options */
    bool log_algos;               /* VGG_LOG_ALGOS=1: each choice on stderr (conv.c) */
    /* reused descriptors */
    cudnnTensorDescriptor_t xd, yd, bd;
    cudnnFilterDescriptor_t wd;
    cudnnConvolutionDescriptor_t cd;
    cudnnLRNDescriptor_t lrnd;
    conv_choice choices[CUDA_MAX_CHOICES];
    int n_choices;
    vgg_device_opts opts;
    void *nccl;                   /* ncclComm_t the backend joined (nccl.c), or NULL */
} cuda_impl;

/* cuBLAS's functions the backend calls, from the library opened at run
 * time (blas.c): vgg_cuda_blas_load fills the table (once; DEVICE naming
 * the library and why when it cannot), before any other use. */
typedef struct vgg_cublas_api {
    cublasStatus_t (*create)(cublasHandle_t *handle);
    cublasStatus_t (*destroy)(cublasHandle_t handle);
    cublasStatus_t (*set_stream)(cublasHandle_t handle, cudaStream_t stream);
    cublasStatus_t (*set_math_mode)(cublasHandle_t handle, cublasMath_t mode);
    cublasStatus_t (*sgemm)(cublasHandle_t handle, cublasOperation_t ta, cublasOperation_t tb,
                            int m, int n, int k, const float *alpha, const float *a, int lda,
                            const float *b, int ldb, const float *beta, float *c, int ldc);
    const char *(*status_string)(cublasStatus_t status);
    const char *(*status_name)(cublasStatus_t status);
} vgg_cublas_api;
extern vgg_cublas_api vgg_cublas;
vgg_status vgg_cuda_blas_load(void);
/* the library it opens ("libcublas.so.13") */
const char *vgg_cuda_blas_soname(void);

vgg_status vgg_cuda_failed_rt(cudaError_t e, const char *call, const char *file, int line);
vgg_status vgg_cuda_failed_dnn(cudnnStatus_t e, const char *call, const char *file, int line);
vgg_status vgg_cuda_failed_blas(cublasStatus_t e, const char *call, const char *file, int line);

/* Each returns from the enclosing function (which returns vgg_status)
 * with a message naming the call, the file and the line. */
#define CUDA_CHECK(call)                                                                           \
    do {                                                                                           \
        cudaError_t e_ = (call);                                                                   \
        if (e_ != cudaSuccess)                                                                     \
            return vgg_cuda_failed_rt(e_, #call, __FILE__, __LINE__);                              \
    } while (0)
#define CUDNN_CHECK(call)                                                                          \
    do {                                                                                           \
        cudnnStatus_t e_ = (call);                                                                 \
        if (e_ != CUDNN_STATUS_SUCCESS)                                                            \
            return vgg_cuda_failed_dnn(e_, #call, __FILE__, __LINE__);                             \
    } while (0)
#define CUBLAS_CHECK(call)                                                                         \
    do {                                                                                           \
        cublasStatus_t e_ = (call);                                                                \
        if (e_ != CUBLAS_STATUS_SUCCESS)                                                           \
            return vgg_cuda_failed_blas(e_, #call, __FILE__, __LINE__);                            \
    } while (0)

/* Device memory from the cache (cuda.c); the lock is held by the caller. */
vgg_status vgg_cuda_malloc(vgg_backend *be, size_t bytes, void **out);
void vgg_cuda_free(vgg_backend *be, void *p);
/* The backend's scratch of at least bytes (contents not kept) */
vgg_status vgg_cuda_scratch(vgg_backend *be, size_t bytes, float **out);
vgg_status vgg_cuda_workspace(vgg_backend *be, size_t bytes);

/* Convolutions (conv.c): cuDNN for spatial ones, cuBLAS for fully
 * connected ones (a 1x1 output without padding); the lock is held. */
vgg_status vgg_cuda_conv_init(vgg_backend *be);
void vgg_cuda_conv_free(vgg_backend *be);
vgg_status vgg_cuda_conv2d(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                           const float *weight, const float *bias, float *y);
vgg_status vgg_cuda_conv2d_backward(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                                    const float *weight, const float *y, const float *dy,
                                    float *dx, float *dweight, float *dbias);

/* NCCL (nccl.c, in a build with NCCL; without it the gradient
 * reduction and the descriptor's collective entries are left NULL): the
 * descriptor's collective_id, join and join_all (vgg_backend_reg), the
 * backend's allreduce_sum on its stream, and the communicator's end at
 * close. */
#ifdef VGG_HAVE_NCCL
vgg_status vgg_cuda_nccl_unique_id(unsigned char *id, size_t size);
vgg_status vgg_cuda_nccl_join(vgg_backend *be, int nranks, int rank, const unsigned char *id,
                              size_t size);
vgg_status vgg_cuda_nccl_join_all(vgg_backend *const *bes, int n);
vgg_status vgg_cuda_allreduce_sum(vgg_backend *be, float *grad, size_t count);
void vgg_cuda_nccl_free(vgg_backend *be);
#endif

/* Open GPU device (VGG_STATUS_DEVICE with the driver's message when there
 * is no driver or GPU); describe the GPUs into buf, returning their number
 * (0: buf says why there are none).  Through the descriptor vgg_cuda_reg
 * at the end of cuda.c, which the registry lists in a build with CUDA. */
vgg_status vgg_cuda_backend_open(int device, const vgg_device_opts *o, vgg_backend **out);
int vgg_cuda_describe(char *buf, size_t size);

#endif
