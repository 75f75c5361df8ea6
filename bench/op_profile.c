/* bench_train --profile: the time a training step spends in each backend
 * operation.  The backend's two operation tables are replaced by copies
 * whose entries time the call and pass it on; the CPU backends compute
 * synchronously, so a call's time is its work. */
#include "op_profile.h"

#include <stdio.h>

#include "../net/src/backend.h"

enum { P_CONV, P_POOL, P_LRN, P_CONV_B, P_POOL_B, P_LRN_B, P_DROP, P_DROP_B, P_XENT, P_SGD,
       P_BN, P_BN_B, N_P };
static const char *const names[N_P] = {
    "conv2d (forward)", "maxpool", "lrn", "conv2d_backward", "maxpool_backward",
    "lrn_backward", "dropout", "dropout_backward", "softmax_xent", "sgd_update",
    "batchnorm_relu", "batchnorm_relu_backward",
};
static double spent[N_P];
static long calls[N_P];
static const vgg_backend_ops *ops0;
static const vgg_backend_train_ops *train0;
static vgg_backend_ops ops1;
static vgg_backend_train_ops train1;

#define TIMED(k, call)                               \
    do {                                             \
        double t0_ = vgg_now_seconds();              \
        vgg_status st_ = (call);                     \
        spent[k] += vgg_now_seconds() - t0_;         \
        calls[k]++;                                  \
        return st_;                                  \
    } while (0)

static vgg_status conv(vgg_backend *be, const vgg_conv_desc *d, const float *x, const float *w,
                       const float *b, float *y)
{
    TIMED(P_CONV, ops0->conv2d(be, d, x, w, b, y));
}

static vgg_status pool(vgg_backend *be, int n, int c, int h, int w, vgg_pool_round r,
                       const float *x, float *y, int32_t *am)
{
    TIMED(P_POOL, ops0->maxpool(be, n, c, h, w, r, x, y, am));
}

static vgg_status lrn(vgg_backend *be, int n, int c, int h, int w, const vgg_lrn_desc *d,
                      const float *x, float *y)
{
    TIMED(P_LRN, ops0->lrn(be, n, c, h, w, d, x, y));
}

static vgg_status conv_b(vgg_backend *be, const vgg_conv_desc *d, const float *x,
                         const float *w, const float *y, const float *dy, float *dx, float *dw,
                         float *db)
{
    TIMED(P_CONV_B, train0->conv2d_backward(be, d, x, w, y, dy, dx, dw, db));
}

static vgg_status pool_b(vgg_backend *be, int n, int c, int h, int w, vgg_pool_round r,
                         const int32_t *am, const float *dy, float *dx)
{
    TIMED(P_POOL_B, train0->maxpool_backward(be, n, c, h, w, r, am, dy, dx));
}

static vgg_status lrn_b(vgg_backend *be, int n, int c, int h, int w, const vgg_lrn_desc *d,
                        const float *x, const float *y, const float *dy, float *dx)
{
    TIMED(P_LRN_B, train0->lrn_backward(be, n, c, h, w, d, x, y, dy, dx));
}

static vgg_status drop(vgg_backend *be, size_t count, float p, uint64_t *rs, const float *x,
                       float *y, uint8_t *mask)
{
    TIMED(P_DROP, train0->dropout(be, count, p, rs, x, y, mask));
}

static vgg_status drop_b(vgg_backend *be, size_t count, float p, const uint8_t *mask,
                         const float *dy, float *dx)
{
    TIMED(P_DROP_B, train0->dropout_backward(be, count, p, mask, dy, dx));
}

static vgg_status xent(vgg_backend *be, int n, int classes, const float *logits,
                       const int32_t *labels, float divisor, float *loss, float *dlogits,
                       float *prob)
{
    TIMED(P_XENT, train0->softmax_xent(be, n, classes, logits, labels, divisor, loss, dlogits,
                                       prob));
}

static vgg_status sgd(vgg_backend *be, size_t count, float lr, float momentum, float wd,
                      float *w, const float *g, float *v)
{
    TIMED(P_SGD, train0->sgd_update(be, count, lr, momentum, wd, w, g, v));
}

static vgg_status bn(vgg_backend *be, int n, int c, int hw, float eps, float momentum,
                     const float *x, const float *gamma, const float *beta, float *rm, float *rv,
                     float *y, float *sm, float *si)
{
    TIMED(P_BN, train0->batchnorm_relu(be, n, c, hw, eps, momentum, x, gamma, beta, rm, rv, y,
                                       sm, si));
}

static vgg_status bn_b(vgg_backend *be, int n, int c, int hw, const float *x, const float *y,
                       const float *dy, const float *gamma, const float *sm, const float *si,
                       float *dx, float *dgamma, float *dbeta)
{
    TIMED(P_BN_B, train0->batchnorm_relu_backward(be, n, c, hw, x, y, dy, gamma, sm, si, dx,
                                                  dgamma, dbeta));
}

void op_profile_attach(vgg_backend *be)
{
    ops0 = be->ops;
    train0 = be->train;
    ops1 = *ops0;
    train1 = *train0;
    ops1.conv2d = conv;
    ops1.maxpool = pool;
    ops1.lrn = lrn;
    train1.conv2d_backward = conv_b;
    train1.maxpool_backward = pool_b;
    train1.lrn_backward = lrn_b;
    train1.dropout = drop;
    train1.dropout_backward = drop_b;
    train1.softmax_xent = xent;
    train1.sgd_update = sgd;
    train1.batchnorm_relu = bn;
    train1.batchnorm_relu_backward = bn_b;
    be->ops = &ops1;
    be->train = &train1;
}

void op_profile_reset(void)
{
    for (int k = 0; k < N_P; k++) {
        spent[k] = 0.0;
        calls[k] = 0;
    }
}

void op_profile_print(int steps, double step_seconds)
{
    double sum = 0.0;
    printf("    %-26s %10s %8s %7s\n", "operation", "ms/step", "calls", "share");
    for (int k = 0; k < N_P; k++) {
        sum += spent[k];
        if (calls[k])
            printf("    %-26s %10.2f %8ld %6.1f%%\n", names[k], 1e3 * spent[k] / steps,
                   calls[k] / steps, 100.0 * spent[k] / steps / step_seconds);
    }
    printf("    %-26s %10.2f %8s %6.1f%%\n", "(the rest: copies, loops)",
           1e3 * (step_seconds - sum / steps), "", 100.0 * (1.0 - sum / steps / step_seconds));
}
