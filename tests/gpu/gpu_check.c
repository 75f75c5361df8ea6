/* The whole-net parts of tests/gpu/check.sh, one mode per call; each
 * prints table rows "| check | value | bound | verdict |" and exits 0
 * when every row is within its bound (1 otherwise, 77 when cuda:0 cannot
 * be opened, with the driver's message).
 *
 *   gpu_check descriptors       VGG-16 dense descriptors (fc7, global
 *                               average pooled, with the flip) at Q=256
 *                               and 384, cuda:0 against cpu-ref
 *   gpu_check gradients N       one training step of VGG-16 at batch N:
 *                               every gradient against cpu-ref
 *   gpu_check time NET Q        dense extraction of NET (D or E) at Q
 *                               (a Q x 4Q/3 image and its flip): images/s
 *                               and TFLOP/s on cuda:0
 *   gpu_check time-train N      one VGG-16 training step at batch N
 *
 * The precision is the device options' (VGG_PRECISION=fp32 or tf32). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vgg/net.h"
#include "vgg/train.h"

static int failures;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "gpu_check: %s: %s\n", what, vgg_last_error());
    exit(1);
}

static vgg_backend *open_gpu(void)
{
    vgg_backend *be = NULL;
    if (vgg_backend_open("cuda:0", 0, &be) != VGG_STATUS_OK) {
        printf("gpu_check: skipped: %s\n", vgg_last_error());
        exit(77);
    }
    return be;
}

static vgg_net *make_net(vgg_backend *be, vgg_config_id cfg)
{
    vgg_arch a;
    vgg_arch_default(&a, cfg);
    vgg_net *net = NULL;
    if (vgg_net_create(&a, be, &net) != VGG_STATUS_OK ||
        vgg_train_init(net, VGG_INIT_HE, 0.0f, 7) != VGG_STATUS_OK)
        die("net");
    return net;
}

static float *image(int h, int w, unsigned seed)
{
    float *x = malloc(sizeof *x * 3 * h * w);
    for (size_t i = 0; i < (size_t)3 * h * w; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = (float)((seed >> 8) * (1.0 / 16777216.0)) * 4.0f - 2.0f;
    }
    return x;
}

static void flip_into(const float *x, int h, int w, float *y)
{
    for (size_t r = 0; r < (size_t)3 * h; r++)
        for (int i = 0; i < w; i++)
            y[r * w + i] = x[r * w + w - 1 - i];
}

static void row(const char *check, double value, double bound)
{
    bool ok = value <= bound;
    failures += !ok;
    printf("| %-44s | %10.3g | %8.1g | %-4s |\n", check, value, bound, ok ? "ok" : "FAIL");
}

static double bound_for_precision(double fp32, double tf32)
{
    const char *p = getenv("VGG_PRECISION");
    return p && strcmp(p, "tf32") == 0 ? tf32 : fp32;
}

/* mean of the image's and its flip's pooled fc7 */
static void descriptor(vgg_net *net, const float *x2, int h, int w, float *d)
{
    int oc, oh, ow;
    if (vgg_net_output_shape(net, h, w, VGG_OUTPUT_FC7, &oc, &oh, &ow) != VGG_STATUS_OK)
        die("shape");
    float *p = malloc(sizeof *p * 2 * oc);
    if (vgg_net_forward_pooled(net, x2, 2, h, w, VGG_OUTPUT_FC7, p) != VGG_STATUS_OK)
        die("forward");
    for (int c = 0; c < oc; c++)
        d[c] = 0.5f * (p[c] + p[oc + c]);
    free(p);
}

static int descriptors(void)
{
    vgg_backend *gpu = open_gpu(), *cpu = NULL;
    if (vgg_backend_open("cpu-ref", 0, &cpu) != VGG_STATUS_OK)
        die("cpu-ref");
    vgg_net *g = make_net(gpu, VGG_CONFIG_D), *c = make_net(cpu, VGG_CONFIG_D);
    const int qs[2] = { 256, 384 };
    for (int k = 0; k < 2; k++) {
        const int h = qs[k], w = qs[k] * 4 / 3;
        float *x2 = malloc(sizeof *x2 * 6 * h * w), *x = image(h, w, 11u + k);
        memcpy(x2, x, sizeof *x * 3 * h * w);
        flip_into(x, h, w, x2 + (size_t)3 * h * w);
        float dg[4096], dc[4096];
        descriptor(g, x2, h, w, dg);
        descriptor(c, x2, h, w, dc);
        double num = 0, den = 0;
        for (int i = 0; i < 4096; i++) {
            num += ((double)dg[i] - dc[i]) * ((double)dg[i] - dc[i]);
            den += (double)dc[i] * dc[i];
        }
        char name[64];
        snprintf(name, sizeof name, "VGG-16 descriptor Q=%d %dx%d +flip, rel L2", h, h, w);
        row(name, sqrt(num / den), bound_for_precision(1e-5, 1e-3));
        free(x), free(x2);
    }
    vgg_net_free(g), vgg_net_free(c);
    vgg_backend_close(gpu), vgg_backend_close(cpu);
    return failures ? 1 : 0;
}

static int gradients(int n)
{
    vgg_backend *gpu = open_gpu(), *cpu = NULL;
    if (vgg_backend_open("cpu-ref", 0, &cpu) != VGG_STATUS_OK)
        die("cpu-ref");
    vgg_net *nets[2] = { make_net(gpu, VGG_CONFIG_D), make_net(cpu, VGG_CONFIG_D) };
    vgg_trainer *t[2];
    vgg_train_opts o;
    vgg_train_opts_default(&o);
    o.micro_batch = n;
    float *x = image(224, 224 * n, 5u);   /* n crops of 224 x 224, as one buffer */
    int32_t *labels = malloc(sizeof *labels * n);
    for (int i = 0; i < n; i++)
        labels[i] = (i * 379) % 1000;
    for (int k = 0; k < 2; k++) {
        double loss = 0;
        if (vgg_trainer_create(nets[k], &o, &t[k]) != VGG_STATUS_OK ||
            vgg_trainer_zero_grad(t[k]) != VGG_STATUS_OK ||
            vgg_trainer_accumulate(t[k], x, labels, n, 0, n, &loss, NULL) != VGG_STATUS_OK)
            die("training step");
    }
    double worst = 0;
    const char *worst_name = "";
    for (int i = 0; i < vgg_net_param_count(nets[0]); i++) {
        const vgg_param *p = vgg_net_param(nets[0], i);
        float *a = malloc(sizeof *a * p->numel), *b = malloc(sizeof *b * p->numel);
        if (vgg_trainer_get_grad(t[0], i, a) != VGG_STATUS_OK ||
            vgg_trainer_get_grad(t[1], i, b) != VGG_STATUS_OK)
            die("gradients");
        double md = 0, mr = 0;
        for (size_t j = 0; j < p->numel; j++) {
            md = fmax(md, fabs((double)a[j] - b[j]));
            mr = fmax(mr, fabs((double)b[j]));
        }
        double e = mr > 0 ? md / mr : md;
        if (e > worst || isnan(e)) {
            worst = e;
            worst_name = p->name;
        }
        free(a), free(b);
    }
    char name[96];
    snprintf(name, sizeof name, "VGG-16 step grads n=%d, worst %s", n, worst_name);
    row(name, worst, bound_for_precision(1e-4, 1e-2));
    return failures ? 1 : 0;
}

/* forward FLOPs of a (h, w) image through the conv layers and the dense fc layers */
static double flops(vgg_net *net, int h, int w)
{
    vgg_layer_info L[64];
    int nl = 0;
    vgg_arch_layers(vgg_net_arch(net), L, 64, &nl);
    double f = 0;
    for (int l = 0; l < nl; l++) {
        if (L[l].kind == VGG_LAYER_POOL) {
            h /= 2, w /= 2;
        } else if (L[l].kind == VGG_LAYER_CONV || L[l].kind == VGG_LAYER_FC) {
            if (L[l].kind == VGG_LAYER_FC)
                h = h - L[l].kernel + 1, w = w - L[l].kernel + 1;
            f += 2.0 * L[l].in_channels * L[l].out_channels * L[l].kernel * L[l].kernel * h * w;
        }
    }
    return f;
}

static int time_dense(const char *cfg_name, int q)
{
    vgg_config_id cfg;
    if (vgg_config_parse(cfg_name, &cfg) != VGG_STATUS_OK)
        die("config");
    vgg_backend *gpu = open_gpu();
    vgg_net *net = make_net(gpu, cfg);
    const int h = q, w = q * 4 / 3;
    float *x2 = malloc(sizeof *x2 * 6 * h * w), *x = image(h, w, 3u);
    memcpy(x2, x, sizeof *x * 3 * h * w);
    flip_into(x, h, w, x2 + (size_t)3 * h * w);
    float d[4096];
    for (int i = 0; i < 3; i++)
        descriptor(net, x2, h, w, d);   /* warm-up: algorithms, memory */
    int iters = 0;
    double t0 = now_s(), t = 0;
    while ((t = now_s() - t0) < 4.0 || iters < 10) {
        descriptor(net, x2, h, w, d);
        iters++;
    }
    double ips = iters / t;   /* images (each with its flip) per second */
    printf("RESULT dense %s %d %.3f %.2f\n", cfg_name, q, ips, ips * 2 * flops(net, h, w) / 1e12);
    return 0;
}

static int time_train(int n)
{
    vgg_backend *gpu = open_gpu();
    vgg_net *net = make_net(gpu, VGG_CONFIG_D);
    vgg_trainer *t = NULL;
    vgg_train_opts o;
    vgg_train_opts_default(&o);
    o.micro_batch = n;
    if (vgg_trainer_create(net, &o, &t) != VGG_STATUS_OK)
        die("trainer");
    float *x = image(224, 224 * n, 9u);
    int32_t *labels = malloc(sizeof *labels * n);
    for (int i = 0; i < n; i++)
        labels[i] = i % 1000;
    float loss;
    for (int i = 0; i < 3; i++)
        if (vgg_trainer_step(t, x, labels, n, 1e-4f, &loss, NULL) != VGG_STATUS_OK)
            die("step");
    int iters = 0;
    double t0 = now_s(), el = 0;
    while ((el = now_s() - t0) < 5.0 || iters < 5) {
        if (vgg_trainer_step(t, x, labels, n, 1e-4f, &loss, NULL) != VGG_STATUS_OK)
            die("step");
        iters++;
    }
    double ips = iters * n / el;
    printf("RESULT train D 224 %.3f %.2f\n", ips, ips * 3 * flops(net, 224, 224) / 1e12);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "descriptors") == 0)
        return descriptors();
    if (argc >= 3 && strcmp(argv[1], "gradients") == 0)
        return gradients(atoi(argv[2]));
    if (argc >= 4 && strcmp(argv[1], "time") == 0)
        return time_dense(argv[2], atoi(argv[3]));
    if (argc >= 3 && strcmp(argv[1], "time-train") == 0)
        return time_train(atoi(argv[2]));
    fprintf(stderr, "usage: gpu_check descriptors | gradients N | time D|E Q | time-train N\n");
    return 2;
}
