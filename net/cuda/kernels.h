/* Launchers of the CUDA backend's kernels (kernels.cu), callable from C.
 * Each queues its kernel on stream s and returns the launch's status. */
#ifndef VGG_NET_CUDA_KERNELS_H
#define VGG_NET_CUDA_KERNELS_H

#include <stddef.h>
#include <stdint.h>

#include <cuda_runtime.h>

#ifdef __cplusplus
extern "C" {
#endif

cudaError_t vgg_k_fill(cudaStream_t s, float *x, size_t n, float v);
/* y (n floats, (., c, plane)) += bias[channel]; ReLU if relu (bias may be NULL) */
cudaError_t vgg_k_bias_act(cudaStream_t s, float *y, const float *bias, size_t n, int c,
                           size_t plane, int relu);
cudaError_t vgg_k_relu_back(cudaStream_t s, const float *y, const float *dy, float *dz, size_t n);
/* dbias (c) += sums of dz (n, c, plane) */
cudaError_t vgg_k_bias_grad(cudaStream_t s, const float *dz, float *dbias, int n, int c,
                            size_t plane);
/* y (planes) = mean of each plane of x (planes, plane) */
cudaError_t vgg_k_global_avgpool(cudaStream_t s, const float *x, float *y, int planes,
                                 size_t plane);
cudaError_t vgg_k_maxpool(cudaStream_t s, const float *x, float *y, int32_t *argmax, int planes,
                          int h, int w, int oh, int ow);
/* dx must be zero; *bad (device int) set to 1 for an argmax out of range */
cudaError_t vgg_k_maxpool_back(cudaStream_t s, const int32_t *argmax, const float *dy, float *dx,
                               int planes, int hw, int ohw, int *bad);
cudaError_t vgg_k_dropout(cudaStream_t s, const float *x, float *y, uint8_t *mask, size_t n,
                          uint64_t state0, uint32_t thresh, float scale);
cudaError_t vgg_k_dropout_back(cudaStream_t s, const uint8_t *mask, const float *dy, float *dx,
                               size_t n, float scale);
cudaError_t vgg_k_sgd(cudaStream_t s, size_t n, float lr, float momentum, float wd, float *w,
                      const float *g, float *v);
/* logp (n, classes) log-softmax -> loss (n), dlogits, prob (each may be NULL but loss) */
cudaError_t vgg_k_xent(cudaStream_t s, const float *logp, const int32_t *labels, int n,
                       int classes, float divisor, float *loss, float *dlogits, float *prob);
/* y (rows, w) = x with each row reversed */
cudaError_t vgg_k_flip(cudaStream_t s, const float *x, float *y, size_t rows, int w);

#ifdef __cplusplus
}
#endif
#endif
