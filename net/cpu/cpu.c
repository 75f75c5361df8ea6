/* The CPU backend: the reference implementation of the backend operations.
 * Matrix products go to OpenBLAS (which runs its own threads); the rest is
 * split over threads with vgg_cpu_parallel_for. */
#include "cpu.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- threads ---- */

/* A pool of (threads - 1) workers kept for the backend's life; the calling
 * thread runs chunk 0.  Creating threads on every call cost more than the
 * work for small layers (and far more on a busy machine).  One caller at a
 * time uses the pool; another caller meanwhile runs its loop alone. */
typedef struct cpu_pool {
    pthread_mutex_t mu;
    pthread_cond_t work_cv;
    pthread_cond_t done_cv;
    pthread_mutex_t call;          /* held by the caller that owns the pool */
    int nworkers;
    pthread_t tids[VGG_MAX_THREADS - 1];
    uint64_t generation;           /* bumped per job */
    int pending;                   /* workers yet to finish the current job */
    bool stop;
    void (*fn)(void *ctx, int begin, int end);
    void *ctx;
    int n, t;                      /* items and chunks of the current job */
} cpu_pool;

typedef struct worker_arg {
    cpu_pool *pool;
    int index;                     /* chunk number, 1..nworkers */
} worker_arg;

/* ---- the backend's private state ---- */

/* The scratch buffer for im2col is kept between calls so that its pages
 * are faulted in once; a call that finds it busy (another thread on the
 * same backend) allocates its own. */
typedef struct cpu_impl {
    pthread_mutex_t lock;
    float *scratch;
    size_t cap;   /* floats */
    cpu_pool pool;
    bool pool_ok;
    worker_arg args[VGG_MAX_THREADS - 1];
    void *fast;                    /* oneDNN's state (dnnl.c); NULL for cpu-ref */
    void *fast_train;              /* its convolution backward (dnnl_train.c); NULL for cpu-ref */
    vgg_backend_ops fast_ops;      /* cpu_ops, the oneDNN forward chain and convolution */
    vgg_backend_train_ops train_ops;
} cpu_impl;

static void *pool_worker(void *arg)
{
    worker_arg *wa = arg;
    cpu_pool *p = wa->pool;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->stop && p->generation == seen)
            pthread_cond_wait(&p->work_cv, &p->mu);
        if (p->stop)
            break;
        seen = p->generation;
        const int i = wa->index;
        if (i < p->t) {
            void (*fn)(void *, int, int) = p->fn;
            void *ctx = p->ctx;
            const int b = (int)((int64_t)p->n * i / p->t);
            const int e = (int)((int64_t)p->n * (i + 1) / p->t);
            pthread_mutex_unlock(&p->mu);
            fn(ctx, b, e);
            pthread_mutex_lock(&p->mu);
        }
        if (--p->pending == 0)
            pthread_cond_signal(&p->done_cv);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

static void pool_stop(cpu_impl *impl);

/* cpu-ref's pool of threads - 1 workers; a worker that cannot be started
 * (a process or address-space limit) stops the ones started and fails,
 * naming it: running on with fewer would hide the limit until later */
static vgg_status pool_start(cpu_impl *impl, int threads)
{
    cpu_pool *p = &impl->pool;
    memset(p, 0, sizeof *p);
    if (pthread_mutex_init(&p->mu, NULL) != 0 || pthread_mutex_init(&p->call, NULL) != 0 ||
        pthread_cond_init(&p->work_cv, NULL) != 0 || pthread_cond_init(&p->done_cv, NULL) != 0)
        return vgg_fail(VGG_STATUS_NOMEM, "cpu: cannot set up the thread pool");
    impl->pool_ok = true;
    for (int i = 0; i < threads - 1 && i < VGG_MAX_THREADS - 1; i++) {
        impl->args[i] = (worker_arg){p, i + 1};
        int e = pthread_create(&p->tids[i], NULL, pool_worker, &impl->args[i]);
        if (e != 0) {
            pool_stop(impl);
            impl->pool_ok = false;
            return vgg_fail(VGG_STATUS_NOMEM, "cpu: cannot start thread %d of %d: %s; give "
                            "fewer threads", i + 2, threads, strerror(e));
        }
        p->nworkers++;
    }
    return VGG_STATUS_OK;
}

static void *idle(void *arg) { return arg; }

/* The "cpu" backend's threads are OpenMP's (oneDNN's team), which ends the
 * process when one cannot be created: n threads are started here first,
 * all at once, then joined, so such a limit is an error of the open. */
static vgg_status probe_threads(int n, int threads)
{
    pthread_t tids[VGG_MAX_THREADS];
    int started = 0, e = 0;
    while (started < n && started < VGG_MAX_THREADS &&
           (e = pthread_create(&tids[started], NULL, idle, NULL)) == 0)
        started++;
    for (int i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    if (e != 0)
        return vgg_fail(VGG_STATUS_NOMEM, "cpu: cannot start thread %d of %d: %s; give fewer "
                        "threads", started + 2, threads, strerror(e));
    return VGG_STATUS_OK;
}

static void pool_stop(cpu_impl *impl)
{
    cpu_pool *p = &impl->pool;
    pthread_mutex_lock(&p->mu);
    p->stop = true;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nworkers; i++)
        pthread_join(p->tids[i], NULL);
    pthread_cond_destroy(&p->work_cv);
    pthread_cond_destroy(&p->done_cv);
    pthread_mutex_destroy(&p->call);
    pthread_mutex_destroy(&p->mu);
}

void vgg_cpu_parallel_for(vgg_backend *be, int n, void (*fn)(void *ctx, int begin, int end),
                          void *ctx)
{
    if (n <= 0)
        return;
    cpu_impl *impl = be ? be->impl : NULL;
    if (impl && impl->fast && be->threads > 1 && n > 1) {
        /* the "cpu" backend: oneDNN's OpenMP threads, which would keep
         * spinning beside the pool's after a oneDNN call */
        const int t = be->threads < n ? be->threads : n;
#pragma omp parallel for num_threads(t) schedule(static, 1)
        for (int i = 0; i < t; i++)
            fn(ctx, (int)((int64_t)n * i / t), (int)((int64_t)n * (i + 1) / t));
        return;
    }
    if (!impl || !impl->pool_ok || impl->pool.nworkers == 0 || n == 1 ||
        pthread_mutex_trylock(&impl->pool.call) != 0) {
        fn(ctx, 0, n);
        return;
    }
    cpu_pool *p = &impl->pool;
    int t = p->nworkers + 1;
    if (t > n)
        t = n;
    pthread_mutex_lock(&p->mu);
    p->fn = fn;
    p->ctx = ctx;
    p->n = n;
    p->t = t;
    p->pending = p->nworkers;
    p->generation++;
    pthread_cond_broadcast(&p->work_cv);
    pthread_mutex_unlock(&p->mu);
    fn(ctx, 0, (int)((int64_t)n / t));
    pthread_mutex_lock(&p->mu);
    while (p->pending > 0)
        pthread_cond_wait(&p->done_cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    pthread_mutex_unlock(&p->call);
}

/* ---- memory ---- */

static vgg_status cpu_alloc(vgg_backend *be, size_t bytes, void **out)
{
    *out = NULL;
    size_t rounded = (bytes + 63) / 64 * 64;
    if (rounded == 0)
        rounded = 64;
    void *p = aligned_alloc(64, rounded);
    if (!p)
        return vgg_fail(VGG_STATUS_NOMEM, "cpu: out of memory allocating %zu bytes", bytes);
    *out = p;
    return VGG_STATUS_OK;
}

static void cpu_release(vgg_backend *be, void *p) { free(p); }

static vgg_status cpu_copy(vgg_backend *be, void *dst, const void *src, size_t bytes)
{
    if (bytes && dst != src)
        memmove(dst, src, bytes);
    return VGG_STATUS_OK;
}

static vgg_status cpu_fill(vgg_backend *be, float *x, size_t n, float value)
{
    for (size_t i = 0; i < n; i++)
        x[i] = value;
    return VGG_STATUS_OK;
}

/* ---- convolution: im2col over a band of output rows, then one sgemm ---- */

typedef struct im2col_job {
    const float *x;   /* (cin, h, w) of one image */
    float *col;       /* (cin * k * k, rows * ow) */
    int h, w, k, pad, ow;
    int r0, rows;
} im2col_job;

static void im2col_rows(void *ctx, int begin, int end)
{
    const im2col_job *j = ctx;
    const int k = j->k, w = j->w, ow = j->ow, kk = k * k;
    const size_t ncol = (size_t)j->rows * ow;
    for (int row = begin; row < end; row++) {   /* row = c * k * k + ky * k + kx */
        int c = row / kk, ky = (row % kk) / k, kx = row % k;
        const float *xc = j->x + (size_t)c * j->h * w;
        float *dst = j->col + (size_t)row * ncol;
        for (int r = 0; r < j->rows; r++) {
            int iy = j->r0 + r + ky - j->pad;
            float *d = dst + (size_t)r * ow;
            if (iy < 0 || iy >= j->h) {
                memset(d, 0, sizeof(float) * ow);
                continue;
            }
            const float *src = xc + (size_t)iy * w;
            int ox_lo = j->pad - kx;           /* first ox with ix >= 0 */
            int ox_hi = w + j->pad - kx;       /* first ox with ix >= w */
            if (ox_lo < 0) ox_lo = 0;
            if (ox_hi > ow) ox_hi = ow;
            int ox = 0;
            for (; ox < ox_lo && ox < ow; ox++)
                d[ox] = 0.0f;
            if (ox_hi > ox_lo)
                memcpy(d + ox_lo, src + ox_lo + kx - j->pad, sizeof(float) * (ox_hi - ox_lo));
            for (ox = ox_hi > ox_lo ? ox_hi : ox_lo; ox < ow; ox++)
                d[ox] = 0.0f;
        }
    }
}

typedef struct bias_job {
    float *y;          /* (cout, oh, ow) of one image */
    const float *bias;
    size_t plane;      /* oh * ow */
    size_t off, len;   /* the band inside each plane */
    bool relu;
} bias_job;

static void bias_relu_channels(void *ctx, int begin, int end)
{
    const bias_job *j = ctx;
    for (int c = begin; c < end; c++) {
        float b = j->bias ? j->bias[c] : 0.0f;
        float *p = j->y + (size_t)c * j->plane + j->off;
        if (j->relu) {
            for (size_t i = 0; i < j->len; i++) {
                float v = p[i] + b;
                p[i] = v > 0.0f ? v : 0.0f;
            }
        } else {
            for (size_t i = 0; i < j->len; i++)
                p[i] += b;
        }
    }
}

static vgg_status cpu_conv2d(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                             const float *weight, const float *bias, float *y)
{
    const int oh = vgg_conv_out_h(d), ow = vgg_conv_out_w(d);
    if (d->n < 0 || d->cin <= 0 || d->cout <= 0 || d->k <= 0 || d->pad < 0 || oh <= 0 || ow <= 0)
        return vgg_fail(VGG_STATUS_INVALID,
                        "conv2d: bad shape (n %d, cin %d, %dx%d, cout %d, k %d, pad %d)", d->n,
                        d->cin, d->h, d->w, d->cout, d->k, d->pad);
    const size_t K = (size_t)d->cin * d->k * d->k;
    const size_t plane_in = (size_t)d->h * d->w, plane_out = (size_t)oh * ow;
    /* a 1x1 convolution without padding reads x directly */
    const bool direct = d->k == 1 && d->pad == 0;
    int band = oh;
    float *col = NULL;
    cpu_impl *impl = be->impl;
    bool shared = false;
    if (!direct) {
        size_t per_row = K * ow;
        size_t rows = VGG_CPU_COL_BUDGET / per_row;
        if (rows < 1)
            rows = 1;
        if (rows < (size_t)band)
            band = (int)rows;
        size_t need = per_row * band;
        if (impl && pthread_mutex_trylock(&impl->lock) == 0) {
            shared = true;
            if (impl->cap < need) {
                free(impl->scratch);
                impl->scratch = NULL;
                impl->cap = 0;
                vgg_status st = cpu_alloc(be, sizeof(float) * need, (void **)&impl->scratch);
                if (st != VGG_STATUS_OK) {
                    pthread_mutex_unlock(&impl->lock);
                    return st;
                }
                impl->cap = need;
            }
            col = impl->scratch;
        } else {
            vgg_status st = cpu_alloc(be, sizeof(float) * need, (void **)&col);
            if (st != VGG_STATUS_OK)
                return st;
        }
    }
    for (int i = 0; i < d->n; i++) {
        const float *xi = x + (size_t)i * d->cin * plane_in;
        float *yi = y + (size_t)i * d->cout * plane_out;
        for (int r0 = 0; r0 < oh; r0 += band) {
            int rows = oh - r0 < band ? oh - r0 : band;
            const float *B;
            int ldb;
            if (direct) {
                B = xi + (size_t)r0 * ow;
                ldb = (int)plane_in;
            } else {
                im2col_job job = {xi, col, d->h, d->w, d->k, d->pad, ow, r0, rows};
                vgg_cpu_parallel_for(be, (int)K, im2col_rows, &job);
                B = col;
                ldb = rows * ow;
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->cout, rows * ow, (int)K,
                        1.0f, weight, (int)K, B, ldb, 0.0f, yi + (size_t)r0 * ow,
                        (int)plane_out);
            bias_job bj = {yi, bias, plane_out, (size_t)r0 * ow, (size_t)rows * ow, d->relu};
            vgg_cpu_parallel_for(be, d->cout, bias_relu_channels, &bj);
        }
    }
    if (shared)
        pthread_mutex_unlock(&impl->lock);
    else
        free(col);
    return VGG_STATUS_OK;
}

/* ---- max-pooling 2x2 / 2 ---- */

typedef struct pool_job {
    int h, w, oh, ow;
    const float *x;
    float *y;
    int32_t *argmax;
} pool_job;

/* One window [y0, y1) x [x0, x1): the maximum and where it is (row-major
 * scan, the first of equals; a NaN wins at once, the first one). */
static float pool_window(const float *xp, int w, int y0, int y1, int x0, int x1, int32_t *where)
{
    float best = -INFINITY;
    *where = y0 * w + x0;
    for (int yy = y0; yy < y1; yy++)
        for (int xx = x0; xx < x1; xx++) {
            float v = xp[yy * w + xx];
            if (v > best || isnan(v)) {
                best = v;
                *where = yy * w + xx;
                if (isnan(v))
                    return best;
            }
        }
    return best;
}

/* Whole 2x2 windows take the short way: the same scan unrolled, and the
 * general one only where a NaN is among the four.  (The loop that ran
 * every window through the general scan was a sixth of a small net's
 * training step: bench_train --profile.) */
static void pool_planes(void *ctx, int begin, int end)
{
    const pool_job *j = ctx;
    const int w = j->w, ow = j->ow;
    for (int p = begin; p < end; p++) {
        const float *xp = j->x + (size_t)p * j->h * w;
        float *yp = j->y + (size_t)p * j->oh * ow;
        int32_t *ap = j->argmax ? j->argmax + (size_t)p * j->oh * ow : NULL;
        for (int oy = 0; oy < j->oh; oy++) {
            const int y0 = 2 * oy, y1 = y0 + 2 > j->h ? j->h : y0 + 2;
            const float *r0 = xp + (size_t)y0 * w, *r1 = r0 + w;
            for (int ox = 0; ox < ow; ox++) {
                const int x0 = 2 * ox;
                float best;
                int32_t where;
                if (y1 - y0 == 2 && x0 + 2 <= w) {
                    const float a = r0[x0], b = r0[x0 + 1], c = r1[x0], d = r1[x0 + 1];
                    if (isnan(a) || isnan(b) || isnan(c) || isnan(d)) {
                        best = pool_window(xp, w, y0, y1, x0, x0 + 2, &where);
                    } else {
                        int k = 0;
                        best = a;
                        if (b > best) best = b, k = 1;
                        if (c > best) best = c, k = 2;
                        if (d > best) best = d, k = 3;
                        where = (y0 + (k >> 1)) * w + x0 + (k & 1);
                    }
                } else {
                    best = pool_window(xp, w, y0, y1, x0, x0 + 2 > w ? w : x0 + 2, &where);
                }
                yp[oy * ow + ox] = best;
                if (ap)
                    ap[oy * ow + ox] = where;
            }
        }
    }
}

static vgg_status cpu_maxpool(vgg_backend *be, int n, int c, int h, int w, vgg_pool_round r,
                              const float *x, float *y, int32_t *argmax)
{
    int oh = vgg_pool_out(h, r), ow = vgg_pool_out(w, r);
    if (n < 0 || c <= 0 || oh <= 0 || ow <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "maxpool: input %dx%d is too small to pool", h, w);
    pool_job j = {h, w, oh, ow, x, y, argmax};
    vgg_cpu_parallel_for(be, n * c, pool_planes, &j);
    return VGG_STATUS_OK;
}

/* ---- LRN across channels (PyTorch's LocalResponseNorm) ---- */

typedef struct lrn_job {
    int c, plane;
    vgg_lrn_desc d;
    const float *x;
    float *y;
} lrn_job;

/* chunks over (image, pixel-block) pairs */
#define LRN_BLOCK 256

static void lrn_blocks(void *ctx, int begin, int end)
{
    const lrn_job *j = ctx;
    int blocks = (j->plane + LRN_BLOCK - 1) / LRN_BLOCK;
    int lo_off = j->d.size / 2, hi_off = (j->d.size - 1) / 2;
    float a = j->d.alpha / (float)j->d.size;
    for (int t = begin; t < end; t++) {
        int img = t / blocks, b = t % blocks;
        int p0 = b * LRN_BLOCK, p1 = p0 + LRN_BLOCK > j->plane ? j->plane : p0 + LRN_BLOCK;
        const float *xi = j->x + (size_t)img * j->c * j->plane;
        float *yi = j->y + (size_t)img * j->c * j->plane;
        for (int ch = 0; ch < j->c; ch++) {
            int c0 = ch - lo_off < 0 ? 0 : ch - lo_off;
            int c1 = ch + hi_off >= j->c ? j->c - 1 : ch + hi_off;
            for (int p = p0; p < p1; p++) {
                float s = 0.0f;
                for (int cc = c0; cc <= c1; cc++) {
                    float v = xi[(size_t)cc * j->plane + p];
                    s += v * v;
                }
                float v = xi[(size_t)ch * j->plane + p];
                yi[(size_t)ch * j->plane + p] = v * powf(j->d.k + a * s, -j->d.beta);
            }
        }
    }
}

static vgg_status cpu_lrn(vgg_backend *be, int n, int c, int h, int w, const vgg_lrn_desc *d,
                          const float *x, float *y)
{
    if (d->size <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "lrn: size %d must be positive", d->size);
    lrn_job j = {c, h * w, *d, x, y};
    int blocks = (h * w + LRN_BLOCK - 1) / LRN_BLOCK;
    vgg_cpu_parallel_for(be, n * blocks, lrn_blocks, &j);
    return VGG_STATUS_OK;
}

/* ---- global average pooling ---- */

typedef struct gap_job {
    size_t plane;
    const float *x;
    float *y;
} gap_job;

static void gap_planes(void *ctx, int begin, int end)
{
    const gap_job *j = ctx;
    for (int p = begin; p < end; p++) {
        const float *xp = j->x + (size_t)p * j->plane;
        double s = 0.0;
        for (size_t i = 0; i < j->plane; i++)
            s += xp[i];
        j->y[p] = (float)(s / (double)j->plane);
    }
}

static vgg_status cpu_global_avgpool(vgg_backend *be, int n, int c, int h, int w, const float *x,
                                     float *y)
{
    if (h <= 0 || w <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "global_avgpool: empty %dx%d map", h, w);
    gap_job j = {(size_t)h * w, x, y};
    vgg_cpu_parallel_for(be, n * c, gap_planes, &j);
    return VGG_STATUS_OK;
}

static vgg_status cpu_flip(vgg_backend *be, size_t rows, int w, const float *x, float *y)
{
    if (w <= 0 || x == y)
        return vgg_fail(VGG_STATUS_INVALID, "flip: width %d, or in place", w);
    for (size_t r = 0; r < rows; r++)
        for (int i = 0; i < w; i++)
            y[r * w + i] = x[r * w + (w - 1 - i)];
    return VGG_STATUS_OK;
}

static vgg_status cpu_sync(vgg_backend *be) { return VGG_STATUS_OK; }   /* synchronous */
static void cpu_close(vgg_backend *be);

static const vgg_backend_ops cpu_ops = {
    .alloc = cpu_alloc,
    .release = cpu_release,
    .upload = cpu_copy,
    .download = cpu_copy,
    .sync = cpu_sync,
    .close = cpu_close,
    .fill = cpu_fill,
    .conv2d = cpu_conv2d,
    .maxpool = cpu_maxpool,
    .lrn = cpu_lrn,
    .global_avgpool = cpu_global_avgpool,
    .flip = cpu_flip,
};

void *vgg_cpu_fast_state(vgg_backend *be)
{
    cpu_impl *impl = be ? be->impl : NULL;
    return impl ? impl->fast : NULL;
}

/* The reference update, then a note that the weights changed (forward
 * chains drop the copies they made in their own layout). */
static vgg_status cpu_sgd_update(vgg_backend *be, size_t count, float lr, float momentum,
                                 float wd, float *w, const float *g, float *v)
{
    be->weights_epoch++;
    return vgg_cpu_train_ops.sgd_update(be, count, lr, momentum, wd, w, g, v);
}

/* oneDNN's convolution forward (training, direct), the reference one for
 * what it leaves. */
static vgg_status cpu_conv2d_fast(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                                  const float *weight, const float *bias, float *y)
{
    cpu_impl *impl = be->impl;
    bool done = false;
    vgg_status st = vgg_dnnl_conv2d_forward(be, impl->fast_train, d, x, weight, bias, y, &done);
    if (st != VGG_STATUS_OK || done)
        return st;
    return cpu_conv2d(be, d, x, weight, bias, y);
}

/* oneDNN's convolution backward, the reference one for what it leaves. */
static vgg_status cpu_conv2d_backward(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                                      const float *weight, const float *y, const float *dy,
                                      float *dx, float *dweight, float *dbias)
{
    cpu_impl *impl = be->impl;
    bool done = false;
    vgg_status st = vgg_dnnl_conv2d_backward(be, impl->fast_train, d, x, weight, y, dy, dx,
                                             dweight, dbias, &done);
    if (st != VGG_STATUS_OK || done)
        return st;
    return vgg_cpu_train_ops.conv2d_backward(be, d, x, weight, y, dy, dx, dweight, dbias);
}

/* The address space one compute thread beyond the first takes: its stack
 * in cpu-ref's pool or OpenMP's team, an OpenBLAS thread's stack and its
 * buffer (128 MiB in OpenBLAS 0.3), a malloc arena (64 MiB reserved), and
 * oneDNN's scratch.  vggtrain eval measured about 175 MiB a thread (VmSize
 * for 1 to 32 threads); this is an upper bound. */
static size_t bytes_per_thread(void)
{
    return 2 * vgg_threads_stack_bytes() + ((size_t)128 << 20) + ((size_t)64 << 20) +
           ((size_t)32 << 20);
}

vgg_status vgg_cpu_backend_open(int threads, bool fast, vgg_backend **out)
{
    *out = NULL;
    if (threads < 0 || threads > VGG_MAX_THREADS)
        return vgg_fail(VGG_STATUS_INVALID, "cpu: %d threads: give 1 to %d, or 0 for one per "
                        "core", threads, VGG_MAX_THREADS);
    /* 0: one per core, as many as the address-space limit leaves room for */
    const bool all = threads == 0;
    if (all)
        threads = vgg_threads_all();
    vgg_status st = vgg_threads_fit("cpu", &threads, bytes_per_thread(), all);
    if (st == VGG_STATUS_OK && fast && threads > 1)
        st = probe_threads(threads - 1, threads);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_backend *be = calloc(1, sizeof *be);
    cpu_impl *impl = calloc(1, sizeof *impl);
    if (!be || !impl || pthread_mutex_init(&impl->lock, NULL) != 0) {
        free(be);
        free(impl);
        return vgg_fail(VGG_STATUS_NOMEM, "cpu: out of memory");
    }
    be->impl = impl;
    impl->fast_ops = cpu_ops;
    impl->train_ops = vgg_cpu_train_ops;
    impl->train_ops.sgd_update = cpu_sgd_update;
    be->ops = &impl->fast_ops;
    be->train = &impl->train_ops;
    strcpy(be->name, fast ? "cpu" : "cpu-ref");
    be->threads = threads;
    be->host_memory = true;
    /* cpu-ref's loops run on its pool, the "cpu" backend's on OpenMP's
     * team (vgg_cpu_parallel_for): it has no pool */
    if (!fast && (st = pool_start(impl, threads)) != VGG_STATUS_OK) {
        cpu_close(be);
        return st;
    }
    openblas_set_num_threads(threads);
    if (fast) {
        st = vgg_dnnl_open(be, &impl->fast);
        if (st != VGG_STATUS_OK) {
            cpu_close(be);
            return st;
        }
        st = vgg_dnnl_train_open(&impl->fast_train);
        if (st != VGG_STATUS_OK) {
            cpu_close(be);
            return st;
        }
        impl->train_ops.conv2d_backward = cpu_conv2d_backward;
        impl->fast_ops.conv2d = cpu_conv2d_fast;
        impl->fast_ops.forward = vgg_dnnl_forward;
        impl->fast_ops.forward_release = vgg_dnnl_forward_release;
    }
    *out = be;
    return VGG_STATUS_OK;
}

static void cpu_close(vgg_backend *be)
{
    if (!be)
        return;
    cpu_impl *impl = be->impl;
    if (impl) {
        vgg_dnnl_close(impl->fast);
        vgg_dnnl_train_close(impl->fast_train);
        if (impl->pool_ok)
            pool_stop(impl);
        pthread_mutex_destroy(&impl->lock);
        free(impl->scratch);
        free(impl);
    }
    free(be);
}

/* ---- the descriptors of "cpu" and "cpu-ref" (net/src/registry.c) ---- */

/* tf32 is a GPU's; bf16 is "cpu"'s where the CPU has the instructions */
static vgg_status cpu_check_opts(const char *device, const vgg_device_opts *o)
{
    if (o->precision == VGG_PRECISION_TF32)
        return vgg_fail(VGG_STATUS_INVALID,
                        "device '%s' computes in fp32 only: precision tf32 needs a GPU (cuda:N)",
                        device);
    if (o->precision == VGG_PRECISION_BF16 || o->precision == VGG_PRECISION_INT8) {
        vgg_status st = o->precision == VGG_PRECISION_BF16 ? vgg_dnnl_bf16_check()
                                                            : vgg_dnnl_int8_check();
        if (st != VGG_STATUS_OK)
            return vgg_fail_context(st, "device '%s': ", device);
    }
    return VGG_STATUS_OK;
}

static vgg_status cpu_ref_check_opts(const char *device, const vgg_device_opts *o)
{
    if (o->precision == VGG_PRECISION_BF16 || o->precision == VGG_PRECISION_INT8)
        return vgg_fail(VGG_STATUS_INVALID, "device '%s' is the fp32 reference: precision %s "
                        "needs the device cpu", device,
                        o->precision == VGG_PRECISION_BF16 ? "bf16" : "int8");
    return cpu_check_opts(device, o);
}

static vgg_status cpu_open(int index, int threads, const vgg_device_opts *o, vgg_backend **out)
{
    (void)index, (void)o;
    return vgg_cpu_backend_open(threads, true, out);
}

static vgg_status cpu_ref_open(int index, int threads, const vgg_device_opts *o,
                               vgg_backend **out)
{
    (void)index, (void)o;
    return vgg_cpu_backend_open(threads, false, out);
}

static int cores(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

static int cpu_list(char *buf, size_t size)
{
    const bool bf16 = vgg_dnnl_bf16_check() == VGG_STATUS_OK;
    const bool int8 = vgg_dnnl_int8_check() == VGG_STATUS_OK;
    snprintf(buf, size, "cpu       %d cores  %s (fp32; %s; %s)\n", cores(), vgg_cpu_reg.summary,
             bf16 ? "bf16" : "no bf16 instructions for oneDNN on this CPU",
             int8 ? "int8" : "no VNNI for int8 on this CPU");
    return 1;
}

static int cpu_ref_list(char *buf, size_t size)
{
    snprintf(buf, size, "cpu-ref   %d cores  %s (fp32)\n", cores(), vgg_cpu_ref_reg.summary);
    return 1;
}

/* The CPU's gradients are summed on the host by the caller: MPI between
 * processes (pretrain/src/dist.c), shared memory between the threads of
 * one process; the CPU backends have no collectives of their own. */
#define CPU_NO_COLLECTIVE "its gradients are summed on the host by the caller (MPI between " \
                          "processes, shared memory between the threads of one)"

const vgg_backend_reg vgg_cpu_reg = {
    .name = "cpu",
    .forms = "cpu",
    .summary = "oneDNN forward chain and training convolutions, the reference elsewhere",
    .kind = VGG_BACKEND_CPU,
    .is_host = true,
    .precisions = VGG_PRECISION_BIT(VGG_PRECISION_FP32) | VGG_PRECISION_BIT(VGG_PRECISION_BF16) |
                  VGG_PRECISION_BIT(VGG_PRECISION_INT8),
    .parse = vgg_backend_parse_none,
    .check_opts = cpu_check_opts,
    .open = cpu_open,
    .list = cpu_list,
    .no_collective = CPU_NO_COLLECTIVE,
};

const vgg_backend_reg vgg_cpu_ref_reg = {
    .name = "cpu-ref",
    .forms = "cpu-ref",
    .summary = "the plain reference: im2col and OpenBLAS, one layer at a time",
    .kind = VGG_BACKEND_CPU,
    .is_host = true,
    .precisions = VGG_PRECISION_BIT(VGG_PRECISION_FP32),
    .parse = vgg_backend_parse_none,
    .check_opts = cpu_ref_check_opts,
    .open = cpu_ref_open,
    .list = cpu_ref_list,
    .no_collective = CPU_NO_COLLECTIVE,
};
