/* CPU training operations (backward passes, dropout, loss, SGD).
 *
 * The reference implementation of vgg_backend_train_ops: convolutions go
 * through im2col/col2im and OpenBLAS sgemm, everything else is plain loops.
 * The operations read the backend argument only for its threads
 * (vgg_cpu_parallel_for), so they may be called with be == NULL, on one
 * thread (the unit tests do).  Results depend only on the inputs
 * and on OpenBLAS's (deterministic) partitioning, so a run repeated with
 * the same thread count gives bit-identical numbers.
 */
#include <cblas.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cpu.h"

/* The valid output columns [lo, hi) of kernel column kx: 0 <= ox + kx - pad < w. */
static void col_range(int kx, int pad, int w, int ow, int *lo, int *hi)
{
    int a = pad - kx, b = w + pad - kx;
    *lo = a < 0 ? 0 : (a > ow ? ow : a);
    *hi = b > ow ? ow : (b < *lo ? *lo : b);
}

/* (cin, h, w) image -> (cin * k * k, oh * ow) columns, zero padding. */
static void im2col(const float *x, int cin, int h, int w, int k, int pad, int oh, int ow,
                   float *col)
{
    for (int c = 0; c < cin; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                float *row = col + ((size_t)(c * k + ky) * k + kx) * oh * ow;
                const float *plane = x + (size_t)c * h * w;
                int lo, hi;
                col_range(kx, pad, w, ow, &lo, &hi);
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy + ky - pad;
                    float *r = row + (size_t)oy * ow;
                    if (iy < 0 || iy >= h) {
                        memset(r, 0, sizeof *r * ow);
                        continue;
                    }
                    if (lo > 0)
                        memset(r, 0, sizeof *r * lo);
                    if (hi > lo)
                        memcpy(r + lo, plane + (size_t)iy * w + lo + kx - pad,
                               sizeof *r * (hi - lo));
                    if (hi < ow)
                        memset(r + hi, 0, sizeof *r * (ow - hi));
                }
            }
}

/* The adjoint of im2col: columns are summed back into a zeroed image. */
static void col2im(const float *col, int cin, int h, int w, int k, int pad, int oh, int ow,
                   float *x)
{
    memset(x, 0, sizeof *x * (size_t)cin * h * w);
    for (int c = 0; c < cin; c++)
        for (int ky = 0; ky < k; ky++)
            for (int kx = 0; kx < k; kx++) {
                const float *row = col + ((size_t)(c * k + ky) * k + kx) * oh * ow;
                float *plane = x + (size_t)c * h * w;
                int lo, hi;
                col_range(kx, pad, w, ow, &lo, &hi);
                for (int oy = 0; oy < oh; oy++) {
                    int iy = oy + ky - pad;
                    if (iy < 0 || iy >= h)
                        continue;
                    const float *r = row + (size_t)oy * ow;
                    float *dst = plane + (size_t)iy * w;
                    for (int ox = lo; ox < hi; ox++)
                        dst[ox + kx - pad] += r[ox];
                }
            }
}

static vgg_status conv2d_backward(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                                  const float *weight, const float *y, const float *dy,
                                  float *dx, float *dweight, float *dbias)
{
    (void)be;
    if (d->n <= 0 || d->cin <= 0 || d->cout <= 0 || d->k <= 0 || d->pad < 0)
        return vgg_fail(VGG_STATUS_INVALID, "conv2d_backward: bad descriptor");
    const int oh = vgg_conv_out_h(d), ow = vgg_conv_out_w(d);
    if (oh <= 0 || ow <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "conv2d_backward: input %dx%d smaller than kernel %d",
                        d->h, d->w, d->k);
    const size_t P = (size_t)oh * ow;
    const size_t K = (size_t)d->cin * d->k * d->k;
    const size_t in_plane = (size_t)d->cin * d->h * d->w;
    const size_t out_n = (size_t)d->cout * P;

    /* dz = dy through the ReLU (y > 0), whole batch */
    float *dz = malloc(sizeof *dz * out_n * d->n);
    if (!dz)
        return vgg_fail(VGG_STATUS_NOMEM, "conv2d_backward: out of memory");
    for (size_t i = 0; i < out_n * d->n; i++)
        dz[i] = (!d->relu || y[i] > 0.0f) ? dy[i] : 0.0f;

    for (int n = 0; n < d->n; n++)
        for (int o = 0; o < d->cout; o++) {
            const float *g = dz + n * out_n + (size_t)o * P;
            double s = 0.0;
            for (size_t p = 0; p < P; p++)
                s += g[p];
            dbias[o] += (float)s;
        }

    if (P == 1 && d->pad == 0) {
        /* fully connected: x is (n, K), dz is (n, cout), one GEMM each */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, d->cout, (int)K, d->n, 1.0f, dz,
                    d->cout, x, (int)K, 1.0f, dweight, (int)K);
        if (dx)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->n, (int)K, d->cout, 1.0f,
                        dz, d->cout, weight, (int)K, 0.0f, dx, (int)K);
        free(dz);
        return VGG_STATUS_OK;
    }

    const bool direct = d->k == 1 && d->pad == 0;   /* columns are the input itself */
    float *col = NULL;
    if (!direct) {
        col = malloc(sizeof *col * K * P);
        if (!col) {
            free(dz);
            return vgg_fail(VGG_STATUS_NOMEM, "conv2d_backward: out of memory for %zu columns",
                            K * P);
        }
    }
    for (int n = 0; n < d->n; n++) {
        const float *xn = x + n * in_plane;
        const float *g = dz + n * out_n;
        const float *cn = xn;
        if (!direct) {
            im2col(xn, d->cin, d->h, d->w, d->k, d->pad, oh, ow, col);
            cn = col;
        }
        /* dW (cout, K) += g (cout, P) * cols^T (P, K) */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, d->cout, (int)K, (int)P, 1.0f, g,
                    (int)P, cn, (int)P, 1.0f, dweight, (int)K);
        if (dx) {
            /* dcols (K, P) = W^T (K, cout) * g (cout, P) */
            float *dcol = direct ? dx + n * in_plane : col;
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)K, (int)P, d->cout, 1.0f,
                        weight, (int)K, g, (int)P, 0.0f, dcol, (int)P);
            if (!direct)
                col2im(col, d->cin, d->h, d->w, d->k, d->pad, oh, ow, dx + n * in_plane);
        }
    }
    free(col);
    free(dz);
    return VGG_STATUS_OK;
}

typedef struct unpool_job {
    int hw, ohw;
    const int32_t *argmax;
    const float *dy;
    float *dx;
    int bad_plane, bad_index;   /* the first bad argmax seen (-1: none) */
    pthread_mutex_t mu;
} unpool_job;

static void unpool_planes(void *ctx, int begin, int end)
{
    unpool_job *j = ctx;
    for (int p = begin; p < end; p++) {
        const int32_t *am = j->argmax + (size_t)p * j->ohw;
        const float *g = j->dy + (size_t)p * j->ohw;
        float *out = j->dx + (size_t)p * j->hw;
        memset(out, 0, sizeof *out * j->hw);
        for (int i = 0; i < j->ohw; i++) {
            if (am[i] < 0 || am[i] >= j->hw) {
                pthread_mutex_lock(&j->mu);
                if (j->bad_plane < 0 || p < j->bad_plane)
                    j->bad_plane = p, j->bad_index = am[i];
                pthread_mutex_unlock(&j->mu);
                break;
            }
            out[am[i]] += g[i];
        }
    }
}

static vgg_status maxpool_backward(vgg_backend *be, int n, int c, int h, int w,
                                   vgg_pool_round r, const int32_t *argmax, const float *dy,
                                   float *dx)
{
    const int oh = vgg_pool_out(h, r), ow = vgg_pool_out(w, r);
    unpool_job j = {h * w, oh * ow, argmax, dy, dx, -1, 0, PTHREAD_MUTEX_INITIALIZER};
    vgg_cpu_parallel_for(be, n * c, unpool_planes, &j);
    pthread_mutex_destroy(&j.mu);
    if (j.bad_plane >= 0)
        return vgg_fail(VGG_STATUS_INVALID, "maxpool_backward: argmax %d outside %dx%d",
                        j.bad_index, h, w);
    return VGG_STATUS_OK;
}

/* Across-channel LRN as PyTorch and Caffe define it:
 *   s_c = k + alpha / size * sum_{c' in [c - size/2, c + (size-1)/2]} x_c'^2
 *   y_c = x_c * s_c^-beta
 *   dx_c = dy_c s_c^-beta
 *          - 2 beta alpha / size * x_c * sum_{c': c in window(c')} dy_c' y_c' / s_c'
 * Computed per image over blocks of pixels, split over the threads, each
 * channel's block a vector the compiler can keep in registers; s and the
 * terms dy y / s of a block in float, the sums in double.  In a small
 * A-LRN's training step (bench_train --profile) this took 2.8 ms where one
 * pixel at a time on one thread, a pow per element, took 10 ms, 38% of
 * the step.  oneDNN has no faster LRN for plain NCHW: its forward took
 * 5.0 ms there against the reference's 3.4, so both directions stay here. */
#define LRN_BWD_BLOCK 64
/* the block loops vectorised (GCC's cost model left them scalar); clang,
 * which does without, warns where it cannot honour the request */
#if defined(__clang__)
#define SIMD
#else
#define SIMD _Pragma("omp simd")
#endif

typedef struct lrn_bwd_job {
    int c, plane, blocks;
    vgg_lrn_desc d;
    const float *x, *y, *dy;
    float *dx;
    atomic_int failed;   /* a chunk could not get its scratch */
} lrn_bwd_job;

static void lrn_bwd_block(const lrn_bwd_job *j, int img, int b, float *s, float *t)
{
    const int c = j->c, lo = j->d.size / 2, hi = (j->d.size - 1) / 2;
    const int p0 = b * LRN_BWD_BLOCK;
    const int np = p0 + LRN_BWD_BLOCK > j->plane ? j->plane - p0 : LRN_BWD_BLOCK;
    const double a = (double)j->d.alpha / j->d.size;
    const size_t base = (size_t)img * c * j->plane + p0;
    for (int ch = 0; ch < c; ch++) {
        double sum[LRN_BWD_BLOCK] = {0};
        for (int q = ch - lo; q <= ch + hi; q++) {
            if (q < 0 || q >= c)
                continue;
            const float *xq = j->x + base + (size_t)q * j->plane;
            SIMD
            for (int i = 0; i < np; i++)
                sum[i] += (double)xq[i] * xq[i];
        }
        const size_t o = base + (size_t)ch * j->plane;
        SIMD
        for (int i = 0; i < np; i++) {
            s[ch * LRN_BWD_BLOCK + i] = (float)(j->d.k + a * sum[i]);
            t[ch * LRN_BWD_BLOCK + i] =
                (float)((double)j->dy[o + i] * j->y[o + i] / s[ch * LRN_BWD_BLOCK + i]);
        }
    }
    const double g = 2.0 * j->d.beta * a;
    /* s^-0.75 = 1 / sqrt(s sqrt(s)): two square roots instead of a pow */
    const bool three_quarters = j->d.beta == 0.75f;
    for (int ch = 0; ch < c; ch++) {
        double acc[LRN_BWD_BLOCK] = {0};
        for (int q = ch - hi; q <= ch + lo; q++) {
            if (q < 0 || q >= c)
                continue;
            SIMD
            for (int i = 0; i < np; i++)
                acc[i] += t[q * LRN_BWD_BLOCK + i];
        }
        const size_t o = base + (size_t)ch * j->plane;
        SIMD
        for (int i = 0; i < np; i++) {
            const double si = s[ch * LRN_BWD_BLOCK + i];
            const double r = three_quarters ? 1.0 / sqrt(si * sqrt(si)) : pow(si, -j->d.beta);
            j->dx[o + i] = (float)(j->dy[o + i] * r - g * j->x[o + i] * acc[i]);
        }
    }
}

static void lrn_bwd_blocks(void *ctx, int begin, int end)
{
    lrn_bwd_job *j = ctx;
    float *s = malloc(sizeof *s * 2 * (size_t)j->c * LRN_BWD_BLOCK);
    if (!s) {
        atomic_store(&j->failed, 1);
        return;
    }
    for (int k = begin; k < end; k++)
        lrn_bwd_block(j, k / j->blocks, k % j->blocks, s, s + (size_t)j->c * LRN_BWD_BLOCK);
    free(s);
}

static vgg_status lrn_backward(vgg_backend *be, int n, int c, int h, int w,
                               const vgg_lrn_desc *d, const float *x, const float *y,
                               const float *dy, float *dx)
{
    if (d->size <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "lrn_backward: size %d", d->size);
    const int plane = h * w, blocks = (plane + LRN_BWD_BLOCK - 1) / LRN_BWD_BLOCK;
    lrn_bwd_job j = {c, plane, blocks, *d, x, y, dy, dx, 0};
    vgg_cpu_parallel_for(be, n * blocks, lrn_bwd_blocks, &j);
    if (atomic_load(&j.failed))
        return vgg_fail(VGG_STATUS_NOMEM, "lrn_backward: out of memory");
    return VGG_STATUS_OK;
}

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static vgg_status dropout(vgg_backend *be, size_t count, float p, uint64_t *rng_state,
                          const float *x, float *y, uint8_t *mask)
{
    (void)be;
    if (!(p >= 0.0f && p < 1.0f))
        return vgg_fail(VGG_STATUS_INVALID, "dropout: probability %g outside [0, 1)", p);
    const float scale = 1.0f / (1.0f - p);
    /* 24 random bits per element, compared with p scaled to 2^24 */
    const uint32_t thresh = (uint32_t)((double)p * 16777216.0);
    for (size_t i = 0; i < count; i++) {
        uint32_t r = (uint32_t)(splitmix64(rng_state) >> 40);
        mask[i] = r >= thresh;
        y[i] = mask[i] ? x[i] * scale : 0.0f;
    }
    return VGG_STATUS_OK;
}

static vgg_status dropout_backward(vgg_backend *be, size_t count, float p, const uint8_t *mask,
                                   const float *dy, float *dx)
{
    (void)be;
    if (!(p >= 0.0f && p < 1.0f))
        return vgg_fail(VGG_STATUS_INVALID, "dropout_backward: probability %g outside [0, 1)", p);
    const float scale = 1.0f / (1.0f - p);
    for (size_t i = 0; i < count; i++)
        dx[i] = mask[i] ? dy[i] * scale : 0.0f;
    return VGG_STATUS_OK;
}

static vgg_status softmax_xent(vgg_backend *be, int n, int classes, const float *logits,
                               const int32_t *labels, float divisor, float *loss, float *dlogits,
                               float *prob)
{
    (void)be;
    if (n <= 0 || classes <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "softmax_xent: %d samples of %d classes", n, classes);
    if (!(divisor > 0.0f))
        return vgg_fail(VGG_STATUS_INVALID, "softmax_xent: divisor %g is not positive", divisor);
    for (int i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= classes)
            return vgg_fail(VGG_STATUS_INVALID, "softmax_xent: label %d of sample %d outside 0..%d",
                            labels[i], i, classes - 1);
    double total = 0.0;
    for (int i = 0; i < n; i++) {
        const float *z = logits + (size_t)i * classes;
        double m = z[0];
        for (int j = 1; j < classes; j++)
            m = z[j] > m ? z[j] : m;
        if (!isfinite(m))
            return vgg_fail(VGG_STATUS_NUMERIC, "softmax_xent: non-finite logit in sample %d", i);
        double sum = 0.0;
        for (int j = 0; j < classes; j++)
            sum += exp(z[j] - m);
        const double lse = m + log(sum);
        total += lse - z[labels[i]];
        for (int j = 0; j < classes; j++) {
            const double pj = exp(z[j] - lse);
            if (prob)
                prob[(size_t)i * classes + j] = (float)pj;
            if (dlogits)
                dlogits[(size_t)i * classes + j] = (float)((pj - (j == labels[i])) / divisor);
        }
    }
    *loss = (float)(total / n);
    if (!isfinite(*loss))
        return vgg_fail(VGG_STATUS_NUMERIC, "softmax_xent: loss is not finite");
    return VGG_STATUS_OK;
}

static vgg_status sgd_update(vgg_backend *be, size_t count, float lr, float momentum, float wd,
                             float *w, const float *g, float *v)
{
    (void)be;
    for (size_t i = 0; i < count; i++) {
        v[i] = momentum * v[i] - lr * (g[i] + wd * w[i]);
        w[i] += v[i];
    }
    return VGG_STATUS_OK;
}

static vgg_status batchnorm_relu(vgg_backend *be, int n, int c, int hw, float eps, float momentum,
                                 const float *x, const float *gamma, const float *beta,
                                 float *running_mean, float *running_var, float *y,
                                 float *save_mean, float *save_invstd)
{
    (void)be;
    const size_t m = (size_t)n * hw;
    if (n < 1 || c < 1 || hw < 1 || m < 2)
        return vgg_fail(VGG_STATUS_INVALID,
                        "batchnorm: %d images of %d values per channel: batch statistics need "
                        "at least two", n, hw);
    for (int ch = 0; ch < c; ch++) {
        double sum = 0.0, sq = 0.0;
        for (int i = 0; i < n; i++) {
            const float *p = x + ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++)
                sum += p[j];
        }
        const double mean = sum / (double)m;
        for (int i = 0; i < n; i++) {
            const float *p = x + ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) {
                double d = p[j] - mean;
                sq += d * d;
            }
        }
        const double var = sq / (double)m;
        const double invstd = 1.0 / sqrt(var + eps);
        save_mean[ch] = (float)mean;
        save_invstd[ch] = (float)invstd;
        running_mean[ch] = (float)((1.0 - momentum) * running_mean[ch] + momentum * mean);
        running_var[ch] = (float)((1.0 - momentum) * running_var[ch] +
                                  momentum * var * (double)m / (double)(m - 1));
        const float a = (float)(gamma[ch] * invstd), b = (float)(beta[ch] - mean * a);
        for (int i = 0; i < n; i++) {
            const float *p = x + ((size_t)i * c + ch) * hw;
            float *q = y + ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) {
                float v = a * p[j] + b;
                q[j] = v > 0.0f ? v : 0.0f;
            }
        }
    }
    return VGG_STATUS_OK;
}

static vgg_status batchnorm_relu_backward(vgg_backend *be, int n, int c, int hw, const float *x,
                                          const float *y, const float *dy, const float *gamma,
                                          const float *save_mean, const float *save_invstd,
                                          float *dx, float *dgamma, float *dbeta)
{
    (void)be;
    const double m = (double)n * hw;
    for (int ch = 0; ch < c; ch++) {
        const double mean = save_mean[ch], invstd = save_invstd[ch];
        double sg = 0.0, sgx = 0.0;   /* sums of g and g * xhat, g = dy through the ReLU */
        for (int i = 0; i < n; i++) {
            const size_t o = ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) {
                double g = y[o + j] > 0.0f ? dy[o + j] : 0.0;
                sg += g;
                sgx += g * (x[o + j] - mean) * invstd;
            }
        }
        dbeta[ch] += (float)sg;
        dgamma[ch] += (float)sgx;
        const double k = gamma[ch] * invstd;
        for (int i = 0; i < n; i++) {
            const size_t o = ((size_t)i * c + ch) * hw;
            for (int j = 0; j < hw; j++) {
                double g = y[o + j] > 0.0f ? dy[o + j] : 0.0;
                double xhat = (x[o + j] - mean) * invstd;
                dx[o + j] = (float)(k * (g - sg / m - xhat * sgx / m));
            }
        }
    }
    return VGG_STATUS_OK;
}

const vgg_backend_train_ops vgg_cpu_train_ops = {
    .conv2d_backward = conv2d_backward,
    .maxpool_backward = maxpool_backward,
    .lrn_backward = lrn_backward,
    .dropout = dropout,
    .dropout_backward = dropout_backward,
    .softmax_xent = softmax_xent,
    .sgd_update = sgd_update,
    .batchnorm_relu = batchnorm_relu,
    .batchnorm_relu_backward = batchnorm_relu_backward,
};
