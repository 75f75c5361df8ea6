/* The CUDA backend's own kernels: the elementwise and small operations
 * that must match the CPU reference bit for bit (built with -fmad=false,
 * so that no multiply-add is contracted into an FMA the CPU does not do).
 * Each launcher queues its kernel on the given stream and returns the
 * launch's status (cudaGetLastError); the kernel's own faults surface at
 * the next synchronisation. */
#include <math.h>
#include <stdint.h>

#include "kernels.h"

#define THREADS 256

static unsigned blocks_for(size_t n)
{
    size_t b = (n + THREADS - 1) / THREADS;
    return (unsigned)(b > 65535u * 32u ? 65535u * 32u : (b ? b : 1));
}

#define GRID_LOOP(i, n) \
    for (size_t i = blockIdx.x * (size_t)blockDim.x + threadIdx.x; i < (n); \
         i += (size_t)blockDim.x * gridDim.x)

__global__ void fill_k(float *x, size_t n, float v)
{
    GRID_LOOP(i, n) x[i] = v;
}

extern "C" cudaError_t vgg_k_fill(cudaStream_t s, float *x, size_t n, float v)
{
    if (n)
        fill_k<<<blocks_for(n), THREADS, 0, s>>>(x, n, v);
    return cudaGetLastError();
}

/* y (n, c, plane) += bias[c], then ReLU if relu: the CPU's v = y + b;
 * max(v, 0) */
__global__ void bias_act_k(float *y, const float *bias, size_t n, int c, size_t plane, int relu)
{
    GRID_LOOP(i, n) {
        float v = y[i] + (bias ? bias[(i / plane) % c] : 0.0f);
        y[i] = relu ? (v > 0.0f ? v : 0.0f) : v;
    }
}

extern "C" cudaError_t vgg_k_bias_act(cudaStream_t s, float *y, const float *bias, size_t n,
                                      int c, size_t plane, int relu)
{
    if (n)
        bias_act_k<<<blocks_for(n), THREADS, 0, s>>>(y, bias, n, c, plane, relu);
    return cudaGetLastError();
}

/* dz = y > 0 ? dy : 0 (the ReLU's backward, as the CPU) */
__global__ void relu_back_k(const float *y, const float *dy, float *dz, size_t n)
{
    GRID_LOOP(i, n) dz[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}

extern "C" cudaError_t vgg_k_relu_back(cudaStream_t s, const float *y, const float *dy, float *dz,
                                       size_t n)
{
    if (n)
        relu_back_k<<<blocks_for(n), THREADS, 0, s>>>(y, dy, dz, n);
    return cudaGetLastError();
}

/* Block-wide sum of one double per thread (THREADS a power of two). */
__device__ double block_sum(double v)
{
    __shared__ double part[THREADS];
    part[threadIdx.x] = v;
    __syncthreads();
    for (int half = THREADS / 2; half > 0; half /= 2) {
        if ((int)threadIdx.x < half)
            part[threadIdx.x] += part[threadIdx.x + half];
        __syncthreads();
    }
    double r = part[0];
    __syncthreads();
    return r;
}

/* dbias[c] += sum over (n, plane) of dz (n, c, plane); one block per
 * channel, summed in double (the CPU sums in double too) */
__global__ void bias_grad_k(const float *dz, float *dbias, int n, int c, size_t plane)
{
    const int ch = blockIdx.x;
    double s = 0.0;
    for (int i = 0; i < n; i++) {
        const float *p = dz + ((size_t)i * c + ch) * plane;
        for (size_t j = threadIdx.x; j < plane; j += THREADS)
            s += p[j];
    }
    s = block_sum(s);
    if (threadIdx.x == 0)
        dbias[ch] += (float)s;
}

extern "C" cudaError_t vgg_k_bias_grad(cudaStream_t s, const float *dz, float *dbias, int n, int c,
                                       size_t plane)
{
    if (c > 0)
        bias_grad_k<<<c, THREADS, 0, s>>>(dz, dbias, n, c, plane);
    return cudaGetLastError();
}

/* y (planes) = mean of each plane of x, in double as the CPU */
__global__ void gap_k(const float *x, float *y, size_t plane)
{
    const float *p = x + blockIdx.x * plane;
    double s = 0.0;
    for (size_t j = threadIdx.x; j < plane; j += THREADS)
        s += p[j];
    s = block_sum(s);
    if (threadIdx.x == 0)
        y[blockIdx.x] = (float)(s / (double)plane);
}

extern "C" cudaError_t vgg_k_global_avgpool(cudaStream_t s, const float *x, float *y, int planes,
                                            size_t plane)
{
    if (planes > 0)
        gap_k<<<planes, THREADS, 0, s>>>(x, y, plane);
    return cudaGetLastError();
}

/* 2x2/2 max-pool; the CPU's rules: windows clipped at the border (ceil
 * rounding), the first largest value in row-major order wins a tie, a NaN
 * wins at once; argmax the index in the input plane */
__global__ void maxpool_k(const float *x, float *y, int32_t *argmax, size_t n, int h, int w,
                          int oh, int ow)
{
    GRID_LOOP(i, n) {
        const int ox = (int)(i % ow), oy = (int)((i / ow) % oh);
        const size_t p = i / ((size_t)ow * oh);
        const float *xp = x + p * h * w;
        const int y0 = 2 * oy, y1 = y0 + 2 > h ? h : y0 + 2;
        const int x0 = 2 * ox, x1 = x0 + 2 > w ? w : x0 + 2;
        float best = -INFINITY;
        int32_t where = y0 * w + x0;
        bool stop = false;
        for (int yy = y0; yy < y1 && !stop; yy++)
            for (int xx = x0; xx < x1; xx++) {
                float v = xp[yy * w + xx];
                if (v > best || isnan(v)) {
                    best = v;
                    where = yy * w + xx;
                    if (isnan(v)) {
                        stop = true;
                        break;
                    }
                }
            }
        y[i] = best;
        if (argmax)
            argmax[i] = where;
    }
}

extern "C" cudaError_t vgg_k_maxpool(cudaStream_t s, const float *x, float *y, int32_t *argmax,
                                     int planes, int h, int w, int oh, int ow)
{
    size_t n = (size_t)planes * oh * ow;
    if (n)
        maxpool_k<<<blocks_for(n), THREADS, 0, s>>>(x, y, argmax, n, h, w, oh, ow);
    return cudaGetLastError();
}

/* dx (planes, h, w) already zero; each output sends its gradient to its
 * argmax.  2x2/2 windows do not overlap, so every input takes at most one
 * (+= onto zero as the CPU).  A bad index sets *bad. */
__global__ void maxpool_back_k(const int32_t *argmax, const float *dy, float *dx, size_t n,
                               int hw, int ohw, int *bad)
{
    GRID_LOOP(i, n) {
        const int32_t a = argmax[i];
        if (a < 0 || a >= hw) {
            *bad = 1;
            continue;
        }
        dx[(i / ohw) * hw + a] += dy[i];
    }
}

extern "C" cudaError_t vgg_k_maxpool_back(cudaStream_t s, const int32_t *argmax, const float *dy,
                                          float *dx, int planes, int hw, int ohw, int *bad)
{
    size_t n = (size_t)planes * ohw;
    if (n)
        maxpool_back_k<<<blocks_for(n), THREADS, 0, s>>>(argmax, dy, dx, n, hw, ohw, bad);
    return cudaGetLastError();
}

/* Inverted dropout with the CPU's generator: element i draws the
 * (i+1)-th output of splitmix64 from state0 (a counter-based function),
 * keeps its top 24 bits and keeps the element when they reach thresh. */
__global__ void dropout_k(const float *x, float *y, uint8_t *mask, size_t n, uint64_t state0,
                          uint32_t thresh, float scale)
{
    GRID_LOOP(i, n) {
        uint64_t z = state0 + (uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
        const uint32_t r = (uint32_t)(z >> 40);
        const uint8_t m = r >= thresh;
        mask[i] = m;
        y[i] = m ? x[i] * scale : 0.0f;
    }
}

extern "C" cudaError_t vgg_k_dropout(cudaStream_t s, const float *x, float *y, uint8_t *mask,
                                     size_t n, uint64_t state0, uint32_t thresh, float scale)
{
    if (n)
        dropout_k<<<blocks_for(n), THREADS, 0, s>>>(x, y, mask, n, state0, thresh, scale);
    return cudaGetLastError();
}

__global__ void dropout_back_k(const uint8_t *mask, const float *dy, float *dx, size_t n,
                               float scale)
{
    GRID_LOOP(i, n) dx[i] = mask[i] ? dy[i] * scale : 0.0f;
}

extern "C" cudaError_t vgg_k_dropout_back(cudaStream_t s, const uint8_t *mask, const float *dy,
                                          float *dx, size_t n, float scale)
{
    if (n)
        dropout_back_k<<<blocks_for(n), THREADS, 0, s>>>(mask, dy, dx, n, scale);
    return cudaGetLastError();
}

/* momentum SGD, the CPU's order of operations:
 * v = momentum * v - lr * (g + wd * w); w += v */
__global__ void sgd_k(size_t n, float lr, float momentum, float wd, float *w, const float *g,
                      float *v)
{
    GRID_LOOP(i, n) {
        float vi = momentum * v[i] - lr * (g[i] + wd * w[i]);
        v[i] = vi;
        w[i] += vi;
    }
}

extern "C" cudaError_t vgg_k_sgd(cudaStream_t s, size_t n, float lr, float momentum, float wd,
                                 float *w, const float *g, float *v)
{
    if (n)
        sgd_k<<<blocks_for(n), THREADS, 0, s>>>(n, lr, momentum, wd, w, g, v);
    return cudaGetLastError();
}

/* From log-softmax logp (n, classes): per-sample loss -logp[label] (NaN
 * for a label out of range), dlogits (exp(logp) - onehot) / divisor and
 * the softmax in prob (may be NULL). */
__global__ void xent_k(const float *logp, const int32_t *labels, int n, int classes,
                       float divisor, float *loss, float *dlogits, float *prob)
{
    const size_t total = (size_t)n * classes;
    GRID_LOOP(i, total) {
        const int s = (int)(i / classes), j = (int)(i % classes);
        const int32_t lab = labels[s];
        const bool ok = lab >= 0 && lab < classes;
        const double p = exp((double)logp[i]);
        if (prob)
            prob[i] = (float)p;
        if (dlogits)
            dlogits[i] = (float)((p - (j == lab ? 1.0 : 0.0)) / divisor);
        if (j == 0)
            loss[s] = ok ? -logp[(size_t)s * classes + lab] : NAN;
    }
}

extern "C" cudaError_t vgg_k_xent(cudaStream_t s, const float *logp, const int32_t *labels, int n,
                                  int classes, float divisor, float *loss, float *dlogits,
                                  float *prob)
{
    size_t total = (size_t)n * classes;
    if (total)
        xent_k<<<blocks_for(total), THREADS, 0, s>>>(logp, labels, n, classes, divisor, loss,
                                                     dlogits, prob);
    return cudaGetLastError();
}

/* Mirror each row: y (rows, w) = x with columns reversed (a batch's
 * horizontal flips, made on the device). */
__global__ void flip_k(const float *x, float *y, size_t n, int w)
{
    GRID_LOOP(i, n) {
        const size_t row = i / w;
        const int c = (int)(i % w);
        y[i] = x[row * w + (w - 1 - c)];
    }
}

extern "C" cudaError_t vgg_k_flip(cudaStream_t s, const float *x, float *y, size_t rows, int w)
{
    size_t n = rows * (size_t)w;
    if (n)
        flip_k<<<blocks_for(n), THREADS, 0, s>>>(x, y, n, w);
    return cudaGetLastError();
}
