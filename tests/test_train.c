/* Training operations of the CPU backend: every backward pass against
 * central finite differences of a double-precision forward written here,
 * independently of the engine's own forward code; the loss, dropout and
 * SGD against numbers worked by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"

static uint64_t rng_state = 12345;   /* each case that draws seeds it */
static double urand(void)   /* [-1, 1) */
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static double *drand_vec(size_t n)
{
    double *v = malloc(sizeof *v * n);
    for (size_t i = 0; i < n; i++)
        v[i] = urand();
    return v;
}

static float *to_f(const double *v, size_t n)
{
    float *f = malloc(sizeof *f * n);
    for (size_t i = 0; i < n; i++)
        f[i] = (float)v[i];
    return f;
}

/* ---- double-precision forward references ---- */

static void ref_conv(const vgg_conv_desc *d, const double *x, const double *wt, const double *b,
                     double *y)
{
    int oh = vgg_conv_out_h(d), ow = vgg_conv_out_w(d);
    for (int n = 0; n < d->n; n++)
        for (int o = 0; o < d->cout; o++)
            for (int oy = 0; oy < oh; oy++)
                for (int ox = 0; ox < ow; ox++) {
                    double s = b[o];
                    for (int c = 0; c < d->cin; c++)
                        for (int ky = 0; ky < d->k; ky++)
                            for (int kx = 0; kx < d->k; kx++) {
                                int iy = oy + ky - d->pad, ix = ox + kx - d->pad;
                                if (iy < 0 || iy >= d->h || ix < 0 || ix >= d->w)
                                    continue;
                                s += wt[((o * d->cin + c) * d->k + ky) * d->k + kx] *
                                     x[((n * d->cin + c) * d->h + iy) * d->w + ix];
                            }
                    if (d->relu && s < 0)
                        s = 0;
                    y[((n * d->cout + o) * oh + oy) * ow + ox] = s;
                }
}

static void ref_pool(int n, int c, int h, int w, vgg_pool_round r, const double *x, double *y,
                     int32_t *am)
{
    int oh = vgg_pool_out(h, r), ow = vgg_pool_out(w, r);
    for (int p = 0; p < n * c; p++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                double best = -INFINITY;
                int bi = 0;
                for (int dy = 0; dy < 2; dy++)
                    for (int dx = 0; dx < 2; dx++) {
                        int iy = 2 * oy + dy, ix = 2 * ox + dx;
                        if (iy >= h || ix >= w)
                            continue;
                        double v = x[(size_t)p * h * w + iy * w + ix];
                        if (v > best) {
                            best = v;
                            bi = iy * w + ix;
                        }
                    }
                y[(size_t)p * oh * ow + oy * ow + ox] = best;
                if (am)
                    am[(size_t)p * oh * ow + oy * ow + ox] = bi;
            }
}

static void ref_lrn(int n, int c, int h, int w, const vgg_lrn_desc *d, const double *x, double *y)
{
    int hw = h * w;
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < c; ch++)
            for (int p = 0; p < hw; p++) {
                double s = 0;
                for (int j = ch - d->size / 2; j <= ch + (d->size - 1) / 2; j++)
                    if (j >= 0 && j < c) {
                        double v = x[(b * c + j) * hw + p];
                        s += v * v;
                    }
                s = d->k + d->alpha / d->size * s;
                y[(b * c + ch) * hw + p] = x[(b * c + ch) * hw + p] * pow(s, -d->beta);
            }
}

/* L = sum(y * r): the gradient of L with respect to y is r. */
static double dot(const double *a, const double *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

static void assert_close(const float *got, const double *want, size_t n, double rel,
                         const char *what)
{
    double maxabs = 0;
    for (size_t i = 0; i < n; i++)
        maxabs = fmax(maxabs, fabs(want[i]));
    for (size_t i = 0; i < n; i++) {
        double err = fabs(got[i] - want[i]);
        if (err > rel * maxabs + 1e-7) {
            print_error("%s[%zu]: got %.8g, want %.8g (max |want| %.4g)\n", what, i, got[i],
                        want[i], maxabs);
            fail();
        }
    }
}

/* ---- conv ---- */

static void check_conv(vgg_conv_desc d)
{
    int oh = vgg_conv_out_h(&d), ow = vgg_conv_out_w(&d);
    size_t nx = (size_t)d.n * d.cin * d.h * d.w, nw = (size_t)d.cout * d.cin * d.k * d.k;
    size_t ny = (size_t)d.n * d.cout * oh * ow;
    double *x = drand_vec(nx), *wt = drand_vec(nw), *b = drand_vec(d.cout), *r = drand_vec(ny);
    double *y = malloc(sizeof *y * ny);
    ref_conv(&d, x, wt, b, y);

    float *fx = to_f(x, nx), *fw = to_f(wt, nw), *fy = to_f(y, ny), *fr = to_f(r, ny);
    float *dx = calloc(nx, sizeof *dx), *dw = calloc(nw, sizeof *dw);
    float *db = calloc(d.cout, sizeof *db);
    /* accumulation into dweight/dbias: start from 1 and subtract it after */
    for (size_t i = 0; i < nw; i++)
        dw[i] = 1.0f;
    assert_int_equal(vgg_cpu_train_ops.conv2d_backward(NULL, &d, fx, fw, fy, fr, dx, dw, db),
                     VGG_STATUS_OK);
    for (size_t i = 0; i < nw; i++)
        dw[i] -= 1.0f;

    const double h = 1e-6;
    double *yp = malloc(sizeof *yp * ny), *ym = malloc(sizeof *ym * ny);
    double *gx = malloc(sizeof *gx * nx), *gw = malloc(sizeof *gw * nw);
    double *gb = malloc(sizeof *gb * d.cout);
    for (size_t i = 0; i < nx; i++) {
        double s = x[i];
        x[i] = s + h; ref_conv(&d, x, wt, b, yp);
        x[i] = s - h; ref_conv(&d, x, wt, b, ym);
        x[i] = s;
        gx[i] = (dot(yp, r, ny) - dot(ym, r, ny)) / (2 * h);
    }
    for (size_t i = 0; i < nw; i++) {
        double s = wt[i];
        wt[i] = s + h; ref_conv(&d, x, wt, b, yp);
        wt[i] = s - h; ref_conv(&d, x, wt, b, ym);
        wt[i] = s;
        gw[i] = (dot(yp, r, ny) - dot(ym, r, ny)) / (2 * h);
    }
    for (int i = 0; i < d.cout; i++) {
        double s = b[i];
        b[i] = s + h; ref_conv(&d, x, wt, b, yp);
        b[i] = s - h; ref_conv(&d, x, wt, b, ym);
        b[i] = s;
        gb[i] = (dot(yp, r, ny) - dot(ym, r, ny)) / (2 * h);
    }
    assert_close(dx, gx, nx, 1e-4, "conv dx");
    assert_close(dw, gw, nw, 1e-4, "conv dweight");
    assert_close(db, gb, d.cout, 1e-4, "conv dbias");

    /* dx may be NULL (first layer) */
    memset(db, 0, sizeof *db * d.cout);
    assert_int_equal(vgg_cpu_train_ops.conv2d_backward(NULL, &d, fx, fw, fy, fr, NULL, dw, db),
                     VGG_STATUS_OK);
    assert_close(db, gb, d.cout, 1e-4, "conv dbias without dx");

    free(x); free(wt); free(b); free(r); free(y); free(fx); free(fw); free(fy); free(fr);
    free(dx); free(dw); free(db); free(yp); free(ym); free(gx); free(gw); free(gb);
}

static void conv3x3_relu_backward_matches_fd(void **state)
{
    (void)state;
    rng_state = 12345;
    check_conv((vgg_conv_desc){ .n = 2, .cin = 3, .h = 5, .w = 6, .cout = 4, .k = 3, .pad = 1,
                                .relu = true });
}

static void conv3x3_linear_backward_matches_fd(void **state)
{
    (void)state;
    rng_state = 12345;
    check_conv((vgg_conv_desc){ .n = 1, .cin = 2, .h = 4, .w = 3, .cout = 3, .k = 3, .pad = 1,
                                .relu = false });
}

static void conv1x1_backward_matches_fd(void **state)
{
    (void)state;
    rng_state = 12345;
    check_conv((vgg_conv_desc){ .n = 2, .cin = 3, .h = 3, .w = 3, .cout = 2, .k = 1, .pad = 0,
                                .relu = true });
}

static void fc_as_conv_backward_matches_fd(void **state)
{
    (void)state;
    rng_state = 12345;
    /* fc6: a k x k convolution over a k x k map, no padding -> 1 x 1 */
    check_conv((vgg_conv_desc){ .n = 3, .cin = 2, .h = 3, .w = 3, .cout = 5, .k = 3, .pad = 0,
                                .relu = true });
    /* fc8: 1 x 1 over 1 x 1, no ReLU */
    check_conv((vgg_conv_desc){ .n = 4, .cin = 6, .h = 1, .w = 1, .cout = 3, .k = 1, .pad = 0,
                                .relu = false });
}

/* ---- max-pool ---- */

static void check_pool(int n, int c, int h, int w, vgg_pool_round rd)
{
    int oh = vgg_pool_out(h, rd), ow = vgg_pool_out(w, rd);
    size_t nx = (size_t)n * c * h * w, ny = (size_t)n * c * oh * ow;
    double *x = drand_vec(nx), *r = drand_vec(ny), *y = malloc(sizeof *y * ny);
    int32_t *am = malloc(sizeof *am * ny);
    ref_pool(n, c, h, w, rd, x, y, am);
    float *fr = to_f(r, ny), *dx = malloc(sizeof *dx * nx);
    for (size_t i = 0; i < nx; i++)
        dx[i] = 99.0f;   /* must be overwritten */
    assert_int_equal(vgg_cpu_train_ops.maxpool_backward(NULL, n, c, h, w, rd, am, fr, dx),
                     VGG_STATUS_OK);
    const double hh = 1e-6;
    double *yp = malloc(sizeof *yp * ny), *ym = malloc(sizeof *ym * ny);
    double *g = malloc(sizeof *g * nx);
    for (size_t i = 0; i < nx; i++) {
        double s = x[i];
        x[i] = s + hh; ref_pool(n, c, h, w, rd, x, yp, NULL);
        x[i] = s - hh; ref_pool(n, c, h, w, rd, x, ym, NULL);
        x[i] = s;
        g[i] = (dot(yp, r, ny) - dot(ym, r, ny)) / (2 * hh);
    }
    assert_close(dx, g, nx, 1e-5, "maxpool dx");
    free(x); free(r); free(y); free(am); free(fr); free(dx); free(yp); free(ym); free(g);
}

static void maxpool_backward_matches_fd(void **state)
{
    (void)state;
    rng_state = 12345;
    check_pool(2, 3, 4, 6, VGG_POOL_FLOOR);
    check_pool(1, 2, 5, 7, VGG_POOL_FLOOR);   /* odd: last row/column unused */
    check_pool(1, 2, 5, 7, VGG_POOL_CEIL);    /* odd: clipped windows */
}

static void maxpool_backward_rejects_bad_argmax(void **state)
{
    (void)state;
    int32_t am[1] = { 7 };
    float dy[1] = { 1 }, dx[4];
    assert_int_equal(vgg_cpu_train_ops.maxpool_backward(NULL, 1, 1, 2, 2, VGG_POOL_FLOOR, am, dy, dx),
                     VGG_STATUS_INVALID);
}

/* ---- LRN ---- */

static void check_lrn(int n, int c, int h, int w, vgg_lrn_desc d, double amp)
{
    size_t nx = (size_t)n * c * h * w;
    double *x = drand_vec(nx), *r = drand_vec(nx), *y = malloc(sizeof *y * nx);
    for (size_t i = 0; i < nx; i++)
        x[i] *= amp;
    ref_lrn(n, c, h, w, &d, x, y);
    float *fx = to_f(x, nx), *fy = to_f(y, nx), *fr = to_f(r, nx);
    float *dx = malloc(sizeof *dx * nx);
    assert_int_equal(vgg_cpu_train_ops.lrn_backward(NULL, n, c, h, w, &d, fx, fy, fr, dx),
                     VGG_STATUS_OK);
    const double hh = 1e-6 * amp;
    double *yp = malloc(sizeof *yp * nx), *ym = malloc(sizeof *ym * nx);
    double *g = malloc(sizeof *g * nx);
    for (size_t i = 0; i < nx; i++) {
        double s = x[i];
        x[i] = s + hh; ref_lrn(n, c, h, w, &d, x, yp);
        x[i] = s - hh; ref_lrn(n, c, h, w, &d, x, ym);
        x[i] = s;
        g[i] = (dot(yp, r, nx) - dot(ym, r, nx)) / (2 * hh);
    }
    assert_close(dx, g, nx, 1e-4, "lrn dx");
    free(x); free(r); free(y); free(fx); free(fy); free(fr); free(dx); free(yp); free(ym); free(g);
}

static void lrn_backward_matches_fd(void **state)
{
    (void)state;
    rng_state = 12345;
    /* the paper's LRN on inputs large enough for the normaliser to matter */
    check_lrn(2, 7, 2, 3, (vgg_lrn_desc){ 5, 1e-4f, 0.75f, 2.0f }, 60.0);
    /* a strong normaliser and an even window */
    check_lrn(1, 6, 2, 2, (vgg_lrn_desc){ 4, 2.0f, 0.75f, 1.0f }, 1.0);
    /* planes of several pixel blocks, the last one partial (99 pixels) */
    check_lrn(2, 6, 9, 11, (vgg_lrn_desc){ 5, 1e-4f, 0.75f, 2.0f }, 60.0);
    /* beta other than 0.75 (the general power) */
    check_lrn(1, 5, 3, 3, (vgg_lrn_desc){ 3, 0.5f, 0.5f, 1.0f }, 1.0);
}

/* ---- batch normalisation + ReLU ---- */

/* y = max(0, gamma (x - mean) / sqrt(var + eps) + beta), batch statistics
 * per channel over (n, hw), the variance biased. */
static void ref_bn_relu(int n, int c, int hw, double eps, const double *x, const double *gamma,
                        const double *beta, double *y)
{
    const double m = (double)n * hw;
    for (int ch = 0; ch < c; ch++) {
        double s = 0, q = 0;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++)
                s += x[((size_t)i * c + ch) * hw + j];
        double mean = s / m;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++) {
                double d = x[((size_t)i * c + ch) * hw + j] - mean;
                q += d * d;
            }
        double inv = 1.0 / sqrt(q / m + eps);
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++) {
                size_t o = ((size_t)i * c + ch) * hw + j;
                double v = gamma[ch] * (x[o] - mean) * inv + beta[ch];
                y[o] = v > 0 ? v : 0;
            }
    }
}

/* The loss sum(r . y) differentiated by central differences in x, gamma
 * and beta, against batchnorm_relu_backward. */
static void batchnorm_relu_backward_matches_fd(void **state)
{
    (void)state;
    rng_state = 12345;
    const int n = 3, c = 4, hw = 5;
    const size_t nx = (size_t)n * c * hw;
    const double eps = 1e-5;
    double *x = drand_vec(nx), *r = drand_vec(nx), *y = malloc(sizeof *y * nx);
    double *gamma = drand_vec(c), *beta = drand_vec(c);
    for (int ch = 0; ch < c; ch++) {
        gamma[ch] = 0.5 + fabs(gamma[ch]);
        beta[ch] *= 0.3;
    }
    for (size_t i = 0; i < nx; i++)
        x[i] = 2.0 * x[i] + 0.5;
    ref_bn_relu(n, c, hw, eps, x, gamma, beta, y);
    float *fx = to_f(x, nx), *fr = to_f(r, nx), *fg = to_f(gamma, c), *fb = to_f(beta, c);
    float *fy = malloc(sizeof *fy * nx), *dx = malloc(sizeof *dx * nx);
    float rm[4] = {0, 0, 0, 0}, rv[4] = {1, 1, 1, 1}, sm[4], si[4];
    float dgamma[4] = {0, 0, 0, 0}, dbeta[4] = {1, 1, 1, 1};   /* accumulated onto */
    assert_int_equal(vgg_cpu_train_ops.batchnorm_relu(NULL, n, c, hw, (float)eps, 0.1f, fx, fg, fb,
                                                      rm, rv, fy, sm, si),
                     VGG_STATUS_OK);
    assert_close(fy, y, nx, 1e-5, "bn y");
    assert_int_equal(vgg_cpu_train_ops.batchnorm_relu_backward(NULL, n, c, hw, fx, fy, fr, fg, sm,
                                                               si, dx, dgamma, dbeta),
                     VGG_STATUS_OK);
    const double hh = 1e-6;
    double *yp = malloc(sizeof *yp * nx), *ym = malloc(sizeof *ym * nx);
    double *g = malloc(sizeof *g * nx), gg[4], gb[4];
    for (size_t i = 0; i < nx; i++) {
        double s = x[i];
        x[i] = s + hh; ref_bn_relu(n, c, hw, eps, x, gamma, beta, yp);
        x[i] = s - hh; ref_bn_relu(n, c, hw, eps, x, gamma, beta, ym);
        x[i] = s;
        g[i] = (dot(yp, r, nx) - dot(ym, r, nx)) / (2 * hh);
    }
    for (int ch = 0; ch < c; ch++) {
        double s = gamma[ch];
        gamma[ch] = s + hh; ref_bn_relu(n, c, hw, eps, x, gamma, beta, yp);
        gamma[ch] = s - hh; ref_bn_relu(n, c, hw, eps, x, gamma, beta, ym);
        gamma[ch] = s;
        gg[ch] = (dot(yp, r, nx) - dot(ym, r, nx)) / (2 * hh);
        s = beta[ch];
        beta[ch] = s + hh; ref_bn_relu(n, c, hw, eps, x, gamma, beta, yp);
        beta[ch] = s - hh; ref_bn_relu(n, c, hw, eps, x, gamma, beta, ym);
        beta[ch] = s;
        gb[ch] = 1.0 + (dot(yp, r, nx) - dot(ym, r, nx)) / (2 * hh);
    }
    assert_close(dx, g, nx, 1e-4, "bn dx");
    assert_close(dgamma, gg, c, 1e-4, "bn dgamma");
    assert_close(dbeta, gb, c, 1e-4, "bn dbeta");
    /* running statistics: 0.9 * (0, 1) + 0.1 * (batch mean, unbiased variance) */
    for (int ch = 0; ch < c; ch++) {
        double s = 0, q = 0, m = (double)n * hw;
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++)
                s += x[((size_t)i * c + ch) * hw + j];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < hw; j++)
                q += pow(x[((size_t)i * c + ch) * hw + j] - s / m, 2);
        assert_float_equal(rm[ch], 0.1 * s / m, 1e-6);
        assert_float_equal(rv[ch], 0.9 + 0.1 * q / (m - 1), 1e-6);
    }
    /* one value per channel has no batch variance: refused */
    assert_int_equal(vgg_cpu_train_ops.batchnorm_relu(NULL, 1, c, 1, (float)eps, 0.1f, fx, fg, fb,
                                                      rm, rv, fy, sm, si),
                     VGG_STATUS_INVALID);
    free(x); free(r); free(y); free(gamma); free(beta); free(fx); free(fr); free(fg); free(fb);
    free(fy); free(dx); free(yp); free(ym); free(g);
}

/* ---- dropout ---- */

static void dropout_is_inverted_seeded_and_masked(void **state)
{
    (void)state;
    enum { N = 20000 };
    float *x = malloc(sizeof *x * N), *y = malloc(sizeof *y * N), *y2 = malloc(sizeof *y2 * N);
    uint8_t *m = malloc(N), *m2 = malloc(N);
    for (int i = 0; i < N; i++)
        x[i] = (float)(i % 13) - 6.0f;
    uint64_t s1 = 77, s2 = 77;
    assert_int_equal(vgg_cpu_train_ops.dropout(NULL, N, 0.5f, &s1, x, y, m), VGG_STATUS_OK);
    assert_int_equal(vgg_cpu_train_ops.dropout(NULL, N, 0.5f, &s2, x, y2, m2), VGG_STATUS_OK);
    assert_int_equal(s1, s2);
    assert_true(s1 != 77);
    assert_memory_equal(m, m2, N);
    int kept = 0;
    for (int i = 0; i < N; i++) {
        kept += m[i];
        assert_float_equal(y[i], m[i] ? 2.0f * x[i] : 0.0f, 0.0f);
    }
    /* binomial(20000, 0.5): std 71 */
    assert_in_range(kept, N / 2 - 400, N / 2 + 400);
    /* a second draw from the advanced state differs */
    assert_int_equal(vgg_cpu_train_ops.dropout(NULL, N, 0.5f, &s1, x, y2, m2), VGG_STATUS_OK);
    assert_true(memcmp(m, m2, N) != 0);

    /* backward: dy * mask / (1 - p), the derivative of the forward */
    float *dy = malloc(sizeof *dy * N), *dx = malloc(sizeof *dx * N);
    for (int i = 0; i < N; i++)
        dy[i] = 0.25f * (float)(i % 7);
    assert_int_equal(vgg_cpu_train_ops.dropout_backward(NULL, N, 0.5f, m, dy, dx), VGG_STATUS_OK);
    for (int i = 0; i < N; i++)
        assert_float_equal(dx[i], m[i] ? 2.0f * dy[i] : 0.0f, 0.0f);

    /* p = 0 keeps everything, p = 0.8 keeps about a fifth scaled by 5 */
    uint64_t s3 = 5;
    assert_int_equal(vgg_cpu_train_ops.dropout(NULL, N, 0.0f, &s3, x, y, m), VGG_STATUS_OK);
    for (int i = 0; i < N; i++)
        assert_true(m[i] == 1 && y[i] == x[i]);
    assert_int_equal(vgg_cpu_train_ops.dropout(NULL, N, 0.8f, &s3, x, y, m), VGG_STATUS_OK);
    kept = 0;
    for (int i = 0; i < N; i++) {
        kept += m[i];
        assert_float_equal(y[i], m[i] ? 5.0f * x[i] : 0.0f, 1e-5f);
    }
    assert_in_range(kept, N / 5 - 400, N / 5 + 400);
    assert_int_equal(vgg_cpu_train_ops.dropout(NULL, N, 1.0f, &s3, x, y, m), VGG_STATUS_INVALID);
    free(x); free(y); free(y2); free(m); free(m2); free(dy); free(dx);
}

/* ---- loss ---- */

static void softmax_xent_hand_worked(void **state)
{
    (void)state;
    /* sample 0: logits (0, ln 2, ln 5) -> softmax (1/8, 2/8, 5/8), label 2
     * sample 1: logits (1, 1, 1) -> 1/3 each, label 0
     * loss = (-ln(5/8) - ln(1/3)) / 2 */
    const float logits[6] = { 0.0f, (float)log(2.0), (float)log(5.0), 1.0f, 1.0f, 1.0f };
    const int32_t labels[2] = { 2, 0 };
    float loss, d[6], p[6];
    assert_int_equal(vgg_cpu_train_ops.softmax_xent(NULL, 2, 3, logits, labels, 2.0f, &loss, d, p),
                     VGG_STATUS_OK);
    assert_float_equal(loss, (-log(5.0 / 8) - log(1.0 / 3)) / 2, 1e-6);
    const double pw[6] = { 1.0 / 8, 2.0 / 8, 5.0 / 8, 1.0 / 3, 1.0 / 3, 1.0 / 3 };
    const double dw[6] = { 1.0 / 16, 2.0 / 16, -3.0 / 16, -1.0 / 3, 1.0 / 6, 1.0 / 6 };
    for (int i = 0; i < 6; i++) {
        assert_float_equal(p[i], pw[i], 1e-6);
        assert_float_equal(d[i], dw[i], 1e-6);
    }
    /* huge logits stay finite (log-sum-exp) */
    const float big[3] = { 1000.0f, 0.0f, -1000.0f };
    const int32_t l1[1] = { 0 };
    assert_int_equal(vgg_cpu_train_ops.softmax_xent(NULL, 1, 3, big, l1, 1.0f, &loss, d, NULL),
                     VGG_STATUS_OK);
    assert_float_equal(loss, 0.0f, 1e-6);
    /* a label outside the classes is refused */
    const int32_t bad[1] = { 3 };
    assert_int_equal(vgg_cpu_train_ops.softmax_xent(NULL, 1, 3, big, bad, 1.0f, &loss, d, NULL),
                     VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "label 3"));
}

static void softmax_xent_gradient_matches_fd(void **state)
{
    (void)state;
    rng_state = 12345;
    enum { N = 3, C = 5 };
    double z[N * C];
    float fz[N * C], d[N * C], loss;
    const int32_t labels[N] = { 4, 0, 2 };
    for (int i = 0; i < N * C; i++)
        fz[i] = (float)(z[i] = 3 * urand());
    for (int i = 0; i < N * C; i++)
        z[i] = fz[i];
    assert_int_equal(vgg_cpu_train_ops.softmax_xent(NULL, N, C, fz, labels, (float)N, &loss, d, NULL),
                     VGG_STATUS_OK);
    double g[N * C];
    for (int i = 0; i < N * C; i++) {
        double lp = 0, lm = 0, s = z[i];
        for (int pass = 0; pass < 2; pass++) {
            z[i] = s + (pass ? -1e-6 : 1e-6);
            double L = 0;
            for (int n = 0; n < N; n++) {
                double sum = 0;
                for (int j = 0; j < C; j++)
                    sum += exp(z[n * C + j]);
                L += log(sum) - z[n * C + labels[n]];
            }
            *(pass ? &lm : &lp) = L / N;
        }
        z[i] = s;
        g[i] = (lp - lm) / 2e-6;
    }
    assert_close(d, g, N * C, 1e-4, "softmax_xent dlogits");
}

/* ---- SGD ---- */

static void sgd_momentum_weight_decay_hand_worked(void **state)
{
    (void)state;
    /* v = 0.9 v - lr (g + wd w); w += v, with lr 0.1, wd 0.5:
     * w 2, g 1, v 0   -> v = -0.1 (1 + 1) = -0.2, w = 1.8
     * again g 1       -> v = -0.18 - 0.1 (1 + 0.9) = -0.37, w = 1.43 */
    float w[2] = { 2.0f, -1.0f }, g[2] = { 1.0f, 0.0f }, v[2] = { 0, 0 };
    assert_int_equal(vgg_cpu_train_ops.sgd_update(NULL, 2, 0.1f, 0.9f, 0.5f, w, g, v),
                     VGG_STATUS_OK);
    assert_float_equal(v[0], -0.2f, 1e-6);
    assert_float_equal(w[0], 1.8f, 1e-6);
    assert_float_equal(v[1], 0.05f, 1e-6);   /* decay alone: -0.1 * 0.5 * -1 */
    assert_float_equal(w[1], -0.95f, 1e-6);
    assert_int_equal(vgg_cpu_train_ops.sgd_update(NULL, 2, 0.1f, 0.9f, 0.5f, w, g, v),
                     VGG_STATUS_OK);
    assert_float_equal(v[0], -0.37f, 1e-6);
    assert_float_equal(w[0], 1.43f, 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv3x3_relu_backward_matches_fd),
        cmocka_unit_test(conv3x3_linear_backward_matches_fd),
        cmocka_unit_test(conv1x1_backward_matches_fd),
        cmocka_unit_test(fc_as_conv_backward_matches_fd),
        cmocka_unit_test(maxpool_backward_matches_fd),
        cmocka_unit_test(maxpool_backward_rejects_bad_argmax),
        cmocka_unit_test(lrn_backward_matches_fd),
        cmocka_unit_test(batchnorm_relu_backward_matches_fd),
        cmocka_unit_test(dropout_is_inverted_seeded_and_masked),
        cmocka_unit_test(softmax_xent_hand_worked),
        cmocka_unit_test(softmax_xent_gradient_matches_fd),
        cmocka_unit_test(sgd_momentum_weight_decay_hand_worked),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
