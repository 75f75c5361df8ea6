/* The dense descriptor's forward pass on the CPU, side by side with
 * PyTorch's fastest CPU mode in the same run.
 *
 * For each net (VGG-16, VGG-19 with random full-size weights) and image
 * size: an image and its horizontal flip as one batch of 2 through conv1_1
 * ... fc7 (fc6 a 7x7 convolution, fc7 1x1), which is the network work of
 * one image's descriptor at one scale.  Per-image time: the best of
 * --repeat calls after one warm-up call (which builds the plan and
 * chooses the algorithms), measured inside the process around
 * vgg_net_forward.  Then one more call with per-layer timing (a wait
 * after each layer) for the table: time, GFLOP/s and share per layer.
 * The PyTorch side (bench_cpu.py) runs the same layers traced, frozen and
 * passed through torch.jit.optimize_for_inference, timed the same way.
 *
 *   bench_cpu [--nets D,E] [--sizes 256x341,384x512] [--threads N] [--repeat R]
 *             [--device cpu|cpu-ref] [--before] [--peak GFLOPS] [--bandwidth GBS]
 *             [--vnni GOPS] [--ref] [--bf16] [--int8]
 *             [--no-torch] [--no-layers]
 *   bench_cpu --together [--nets D,E] [--sizes 768x1024] ...
 *
 * --before also runs the chain as it was before the backend's own kernels
 * ("cpu" with oneDNN's convolutions and products everywhere:
 * vgg_cpu_set_conv_algo(VGG_CONV_ONEDNN) and
 * vgg_cpu_set_fc_algo(VGG_FC_ONEDNN); the 2x2 max-pooling on nChw8c is
 * ours on both sides), a second net with the same
 * weights on the same backend, its calls alternating with the default's so
 * that both see the same load; the per-layer tables are printed side by
 * side (per layer the best of the --repeat profiled calls) with the fc7
 * maps' relative L2 distance, and the summary gives both (best and
 * median of --repeat).  --peak: the machine's FMA peak (bench_machine),
 * for a column of each layer's effective GFLOP/s as a share of it.
 * --bandwidth: the machine's read bandwidth (bench_machine), for a line
 * per fully connected layer under the table: its weights' GB/s before and
 * after, and the share of it.  Both given: each layer's bound (the least
 * time it could take here, layer_bound) beside its time, their sum, and
 * in the summary PyTorch's time over the bound: the most any engine with
 * these algorithms could be ahead of it.  --ref
 * also times the reference backend (cpu-ref).  --bf16 also times
 * --precision bf16 (on a CPU without bf16 instructions it says so and the
 * run goes on in fp32).  --int8 also times --precision int8 (a CPU without
 * VNNI says so) with its fc7 map's distance from fp32, and PyTorch's own
 * int8 (bench_cpu.py --int8: static quantization calibrated on the timed
 * input, oneDNN's quantized engine); with --vnni (bench_machine's "int8
 * dot", GOP/s) and --bandwidth, also the int8 bound (layer_bound, int8)
 * and both int8 engines' times over it.  --together loads every net
 * on one backend first and then runs each in turn, as vggfeat extract
 * --net D,E does (for its peak memory). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "cpu.h"
#include "vgg/net.h"

#define MAX_SIZES 8
#define MAX_LAYERS 64

typedef struct result {
    char net;
    int h, w;
    double ours, ours_med, before, before_med, ref, torch, torch_med, bf16, bf16_err;
    double int8, int8_err, torch8;
    double bound;   /* the sum of the layers' bounds (layer_bound), 0 if not known */
    double bound8;  /* the same for 8-bit direct products (layer_bound, int8) */
} result;

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* An image-like input (smooth plus noise) and its horizontal flip. */
static void make_input(float *x, int h, int w)
{
    uint64_t s = 12345;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
            for (int i = 0; i < w; i++) {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                double noise = (double)(s >> 40) / 16777216.0 - 0.5;
                float v = (float)(sin(i / (7.0 + c) + y / 11.0) + 0.2 * noise);
                x[((size_t)c * h + y) * w + i] = v;
                x[(((size_t)3 + c) * h + y) * w + (w - 1 - i)] = v;
            }
}

static int time_forward(vgg_net *net, const float *x, int h, int w, float *y, int repeat,
                        double *best)
{
    *best = 1e30;
    for (int r = 0; r <= repeat; r++) {
        double t0 = vgg_now_seconds();
        if (vgg_net_forward(net, x, 2, h, w, VGG_OUTPUT_FC7, y) != VGG_STATUS_OK) {
            fprintf(stderr, "bench_cpu: %s\n", vgg_last_error());
            return -1;
        }
        double t = vgg_now_seconds() - t0;
        if ((r > 0 || repeat == 0) && t < *best)
            *best = t;
    }
    return 0;
}

static void layer_table(vgg_net *net, const float *x, int h, int w, float *y)
{
    vgg_layer_info L[MAX_LAYERS];
    int count = 0;
    double sec[MAX_LAYERS] = {0};
    if (vgg_arch_layers(vgg_net_arch(net), L, MAX_LAYERS, &count) != VGG_STATUS_OK)
        return;
    vgg_net_set_profiling(net, true);
    vgg_status st = vgg_net_forward(net, x, 2, h, w, VGG_OUTPUT_FC7, y);
    vgg_net_layer_seconds(net, sec, MAX_LAYERS);
    vgg_net_set_profiling(net, false);
    if (st != VGG_STATUS_OK)
        return;
    double total = 0;
    for (int l = 0; l < count; l++)
        total += sec[l];
    printf("    %-8s %9s %9s %10s %7s\n", "layer", "out", "ms", "GFLOP/s", "share");
    int sh = h, sw = w, fc = 0;
    for (int l = 0; l < count && fc < 2; l++) {
        int k = L[l].kernel, pad = L[l].kind == VGG_LAYER_CONV ? k / 2 : 0;
        int ih = sh, iw = sw;
        if (L[l].kind == VGG_LAYER_POOL) {
            sh = vgg_net_arch(net)->pool_round == VGG_POOL_CEIL ? (sh + 1) / 2 : sh / 2;
            sw = vgg_net_arch(net)->pool_round == VGG_POOL_CEIL ? (sw + 1) / 2 : sw / 2;
        } else if (L[l].kind == VGG_LAYER_CONV || L[l].kind == VGG_LAYER_FC) {
            sh = ih + 2 * pad - k + 1;
            sw = iw + 2 * pad - k + 1;
        }
        double flop = 0;
        if (L[l].kind == VGG_LAYER_CONV || L[l].kind == VGG_LAYER_FC) {
            flop = 2.0 * 2 * L[l].out_channels * sh * sw * (double)L[l].in_channels * k * k;
            fc += L[l].kind == VGG_LAYER_FC;
        }
        char out[24];
        snprintf(out, sizeof out, "%dx%d", sh, sw);
        printf("    %-8s %9s %9.1f %10.1f %6.1f%%\n", L[l].name, out, 1e3 * sec[l],
               flop > 0 && sec[l] > 0 ? flop / sec[l] * 1e-9 : 0.0,
               total > 0 ? 100.0 * sec[l] / total : 0.0);
    }
    printf("    %-8s %9s %9.1f (with a wait after every layer)\n", "total", "", 1e3 * total);
}

/* The machine's FMA peak in GFLOP/s (--peak), read bandwidth in GB/s
 * (--bandwidth) and int8 dot product's rate in GOP/s (--vnni); 0: not
 * given */
static double peak, bandwidth, vnni;

static double ceil_div(int a, int b) { return (double)((a + b - 1) / b); }

/* The least time layer l can take on this machine (0 without the limits
 * it needs, and for a pooling): a lower bound, not an estimate.
 *
 * fp32 (needs --peak and --bandwidth): a 3x3 convolution is the
 * multiply-adds of Winograd F(4x4, 3x3)'s products (36 per 4x4 output
 * tile, input and output channel; the input channels not rounded up) or of
 * the direct convolution, whichever are fewer, at the FMA peak, the
 * transforms, reorders and memory free.  A fully connected layer (fc6 a
 * 7x7 convolution): its weights read once at the read bandwidth, or the
 * multiply-adds of F(2x2, 7x7) (64 per 2x2 output tile) or the direct
 * product at the peak, whichever takes longer.  F(4x4) is the largest tile
 * whose fp32 error keeps the descriptors within 1e-6 of cpu-ref
 * (bench/wino_error.py), so no algorithm the backend could use at those
 * bits goes below this.
 *
 * int8 (needs --vnni and --bandwidth), for an engine of 8-bit direct
 * products as --precision int8's and PyTorch's int8 are: every layer's
 * direct multiply-adds at the int8 dot product's rate (bench_machine's
 * "int8 dot", 2 ops a product), and a fully connected layer's s8 weights
 * (a byte each) read once, whichever takes longer; quantizing, the fp32
 * parts and memory free. */
static double layer_bound(const vgg_layer_info *L, int n, int sh, int sw, bool int8)
{
    const double rate = int8 ? vnni : peak;
    if (rate <= 0 || bandwidth <= 0 || (L->kind != VGG_LAYER_CONV && L->kind != VGG_LAYER_FC))
        return 0;
    const int k = L->kernel;
    const double cc = (double)L->in_channels * L->out_channels;
    double mac = (double)n * sh * sw * k * k * cc;
    if (!int8 && k == 3) {
        const double wino = 36.0 * n * ceil_div(sh, 4) * ceil_div(sw, 4) * cc;
        mac = wino < mac ? wino : mac;
    } else if (!int8 && k == 7) {
        const double wino = 64.0 * n * ceil_div(sh, 2) * ceil_div(sw, 2) * cc;
        mac = wino < mac ? wino : mac;
    }
    const double t = 2.0 * mac / (rate * 1e9);
    if (L->kind != VGG_LAYER_FC)
        return t;
    const double read = (int8 ? 1.0 : 4.0) * cc * k * k / (bandwidth * 1e9);
    return read > t ? read : t;
}

/* The flops of each layer of net at h x w (2 images), its bound
 * (layer_bound, fp32 or int8; bound may be NULL), and the layers' info. */
static int layer_flops(vgg_net *net, int h, int w, bool int8, vgg_layer_info *L, double *flop,
                       double *bound, char (*out)[24])
{
    int count = 0;
    if (vgg_arch_layers(vgg_net_arch(net), L, MAX_LAYERS, &count) != VGG_STATUS_OK)
        return 0;
    int sh = h, sw = w, fc = 0, last = count;
    for (int l = 0; l < count; l++) {
        int k = L[l].kernel, pad = L[l].kind == VGG_LAYER_CONV ? k / 2 : 0;
        if (L[l].kind == VGG_LAYER_POOL) {
            sh = vgg_net_arch(net)->pool_round == VGG_POOL_CEIL ? (sh + 1) / 2 : sh / 2;
            sw = vgg_net_arch(net)->pool_round == VGG_POOL_CEIL ? (sw + 1) / 2 : sw / 2;
        } else if (L[l].kind == VGG_LAYER_CONV || L[l].kind == VGG_LAYER_FC) {
            sh = sh + 2 * pad - k + 1;
            sw = sw + 2 * pad - k + 1;
        }
        flop[l] = 0;
        if (L[l].kind == VGG_LAYER_CONV || L[l].kind == VGG_LAYER_FC)
            flop[l] = 2.0 * 2 * L[l].out_channels * sh * sw * (double)L[l].in_channels * k * k;
        if (bound)
            bound[l] = layer_bound(&L[l], 2, sh, sw, int8);
        snprintf(out[l], sizeof out[l], "%dx%d", sh, sw);
        if (L[l].kind == VGG_LAYER_FC && ++fc == 2) {
            last = l + 1;
            break;
        }
    }
    return last;
}

/* Relative L2 distance of b from a (n floats). */
static double rel_l2(const float *a, const float *b, size_t n)
{
    double d = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)a[i] * a[i];
    }
    return s > 0 ? sqrt(d / s) : sqrt(d);
}

/* Time one net on device at precision prec (NULL: fp32, "bf16" or
 * "int8").  keep (may be NULL): the fc7 map of the last call is left in
 * *keep (malloc'd); ref (may be NULL): the relative L2 distance of the map
 * from ref goes to *err; bound8 (may be NULL): at int8 with --vnni and
 * --bandwidth, the net's int8 bound (layer_bound, int8) goes to *bound8. */
static int bench_net(char config, const char *device, const char *prec, int threads, int repeat,
                     int h, int w, bool layers, double *best, float **keep, const float *ref,
                     double *err, double *bound8)
{
    vgg_backend *be = NULL;
    vgg_net *net = NULL;
    vgg_config_id id = config == 'E' ? VGG_CONFIG_E : VGG_CONFIG_D;
    vgg_arch a;
    vgg_arch_default(&a, id);
    int oc, oh, ow, rc = -1;
    float *x = NULL, *y = NULL;
    vgg_device_opts o;
    if (vgg_device_opts_command(device, prec, NULL, false, &o) != VGG_STATUS_OK ||
        vgg_backend_open_opts(device, threads, &o, &be) != VGG_STATUS_OK ||
        vgg_net_create(&a, be, &net) != VGG_STATUS_OK ||
        vgg_net_output_shape(net, h, w, VGG_OUTPUT_FC7, &oc, &oh, &ow) != VGG_STATUS_OK) {
        if (!prec)
            fprintf(stderr, "bench_cpu: %s\n", vgg_last_error());
        goto out;
    }
    bench_random_weights(net, 0x9E3779B97F4A7C15ull + (uint64_t)id, 0.01f);
    x = malloc((size_t)2 * 3 * h * w * sizeof *x);
    y = malloc((size_t)2 * oc * oh * ow * sizeof *y);
    if (!x || !y)
        goto out;
    make_input(x, h, w);
    if (time_forward(net, x, h, w, y, repeat, best) != 0)
        goto out;
    printf("  %s%s VGG-%d %dx%d (+ flip) -> fc7 %dx%d: %.3f s / image%s\n", device,
           o.precision == VGG_PRECISION_BF16   ? " bf16"
           : o.precision == VGG_PRECISION_INT8 ? " int8"
                                               : "",
           id == VGG_CONFIG_E ? 19 : 16, h, w,
           oh, ow, *best,
           repeat == 0 ? " (one call, the plan and the weights' reorders included: only the "
                         "map for bf16's distance)"
                       : "");
    if (ref && err) {
        *err = rel_l2(ref, y, (size_t)2 * oc * oh * ow);
        printf("    fc7 map relative L2 from fp32: %.2e\n", *err);
    }
    if (layers)
        layer_table(net, x, h, w, y);
    if (bound8 && o.precision == VGG_PRECISION_INT8 && vnni > 0 && bandwidth > 0) {
        vgg_layer_info L[MAX_LAYERS];
        double flop[MAX_LAYERS], bound[MAX_LAYERS];
        char size[MAX_LAYERS][24];
        const int count = layer_flops(net, h, w, true, L, flop, bound, size);
        *bound8 = 0;
        for (int l = 0; l < count; l++)
            *bound8 += bound[l];   /* an image and its flip, as *best */
        printf("    int8 bound: the least time any engine of 8-bit direct products could take "
               "here (%.0f GOP/s int8 dot, %.1f GB/s read; quantizing and memory free): "
               "%.3f s / image, int8 at %.2fx it\n",
               vnni, bandwidth, *bound8, *best / *bound8);
    }
    fflush(stdout);
    rc = 0;
    if (keep) {
        *keep = y;
        y = NULL;
    }
out:
    free(x);
    free(y);
    vgg_net_free(net);
    vgg_backend_close(be);
    return rc;
}

/* Each fully connected layer's weights read per call against the time:
 * GB/s before and after, and the share of the machine's bandwidth. */
static void fc_bandwidth(const vgg_layer_info *L, int count, const double *before,
                         const double *after)
{
    for (int l = 0; l < count; l++) {
        if (L[l].kind != VGG_LAYER_FC || before[l] <= 0 || after[l] <= 0)
            continue;
        const double bytes = 4.0 * L[l].out_channels * (double)L[l].in_channels * L[l].kernel *
                             L[l].kernel;
        char share[64] = "";
        if (bandwidth > 0)
            snprintf(share, sizeof share, " (%.0f%% of the %.1f GB/s the machine reads)",
                     100.0 * bytes / after[l] * 1e-9 / bandwidth, bandwidth);
        printf("    %s: %.0f MB of weights a call: before %.1f GB/s, after %.1f GB/s%s\n",
               L[l].name, bytes / 1e6, bytes / before[l] * 1e-9, bytes / after[l] * 1e-9, share);
    }
}

/* One net before (oneDNN everywhere) and after (the default), alternating
 * on one backend; see the file's comment. */
static int bench_before_after(char config, int threads, int repeat, int h, int w, bool layers,
                              result *r)
{
    vgg_backend *be = NULL;
    vgg_net *net[2] = {NULL, NULL};   /* before, after */
    vgg_config_id id = config == 'E' ? VGG_CONFIG_E : VGG_CONFIG_D;
    vgg_arch a;
    vgg_arch_default(&a, id);
    int oc, oh, ow, rc = -1;
    const int reps = repeat < 1 ? 1 : repeat;
    float *x = NULL, *y[2] = {NULL, NULL};
    double *times[2] = {calloc(reps, sizeof(double)), calloc(reps, sizeof(double))};
    double sec[2][MAX_LAYERS], best[2][MAX_LAYERS];
    if (vgg_backend_open("cpu", threads, &be) != VGG_STATUS_OK ||
        vgg_net_create(&a, be, &net[0]) != VGG_STATUS_OK ||
        vgg_net_create(&a, be, &net[1]) != VGG_STATUS_OK ||
        vgg_net_output_shape(net[0], h, w, VGG_OUTPUT_FC7, &oc, &oh, &ow) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_cpu: %s\n", vgg_last_error());
        goto out;
    }
    const size_t ny = (size_t)2 * oc * oh * ow;
    x = malloc((size_t)2 * 3 * h * w * sizeof *x);
    y[0] = malloc(ny * sizeof(float));
    y[1] = malloc(ny * sizeof(float));
    if (!x || !y[0] || !y[1] || !times[0] || !times[1])
        goto out;
    make_input(x, h, w);
    for (int k = 0; k < 2; k++) {
        bench_random_weights(net[k], 0x9E3779B97F4A7C15ull + (uint64_t)id, 0.01f);
        /* the warm-up call builds the plan: the algorithms are chosen now */
        vgg_cpu_set_conv_algo(k == 0 ? VGG_CONV_ONEDNN : VGG_CONV_AUTO);
        vgg_cpu_set_fc_algo(k == 0 ? VGG_FC_ONEDNN : -1);
        vgg_status st = vgg_net_forward(net[k], x, 2, h, w, VGG_OUTPUT_FC7, y[k]);
        vgg_cpu_set_conv_algo(VGG_CONV_AUTO);
        vgg_cpu_set_fc_algo(-1);
        if (st != VGG_STATUS_OK) {
            fprintf(stderr, "bench_cpu: %s\n", vgg_last_error());
            goto out;
        }
    }
    for (int i = 0; i < reps; i++)
        for (int k = 0; k < 2; k++) {
            double t0 = vgg_now_seconds();
            if (vgg_net_forward(net[k], x, 2, h, w, VGG_OUTPUT_FC7, y[k]) != VGG_STATUS_OK) {
                fprintf(stderr, "bench_cpu: %s\n", vgg_last_error());
                goto out;
            }
            times[k][i] = vgg_now_seconds() - t0;
        }
    r->before = r->ours = 1e30;
    for (int i = 0; i < reps; i++) {
        r->before = times[0][i] < r->before ? times[0][i] : r->before;
        r->ours = times[1][i] < r->ours ? times[1][i] : r->ours;
    }
    r->before_med = median(times[0], reps);
    r->ours_med = median(times[1], reps);
    printf("  VGG-%d %dx%d (+ flip) -> fc7 %dx%d: before %.3f s / image (median %.3f), after "
           "%.3f (median %.3f), %.2fx; fc7 maps' relative L2 distance %.2e\n",
           id == VGG_CONFIG_E ? 19 : 16, h, w, oh, ow, r->before, r->before_med, r->ours,
           r->ours_med, r->before / r->ours, rel_l2(y[0], y[1], ny));
    if (layers) {
        for (int k = 0; k < 2; k++)
            for (int l = 0; l < MAX_LAYERS; l++)
                best[k][l] = 1e30;
        for (int i = 0; i < reps; i++)
            for (int k = 0; k < 2; k++) {
                memset(sec[k], 0, sizeof sec[k]);
                vgg_net_set_profiling(net[k], true);
                vgg_status st = vgg_net_forward(net[k], x, 2, h, w, VGG_OUTPUT_FC7, y[k]);
                vgg_net_layer_seconds(net[k], sec[k], MAX_LAYERS);
                vgg_net_set_profiling(net[k], false);
                if (st != VGG_STATUS_OK)
                    goto out;
                for (int l = 0; l < MAX_LAYERS; l++)
                    best[k][l] = sec[k][l] < best[k][l] ? sec[k][l] : best[k][l];
            }
        vgg_layer_info L[MAX_LAYERS];
        double flop[MAX_LAYERS], bound[MAX_LAYERS];
        char size[MAX_LAYERS][24];
        const int count = layer_flops(net[1], h, w, false, L, flop, bound, size);
        double total[2] = {0, 0};
        for (int l = 0; l < count; l++) {
            for (int k = 0; k < 2; k++)
                total[k] += best[k][l];
            r->bound += bound[l];
        }
        const bool bounded = r->bound > 0;
        printf("    %-8s %9s | %8s %8s %6s | %8s %8s %6s %6s | %7s%s\n", "layer", "out",
               "before", "GFLOP/s", "share", "after", "GFLOP/s", peak > 0 ? "%peak" : "",
               "share", "speedup", bounded ? " | bound  after/bound" : "");
        for (int l = 0; l < count; l++) {
            char pk[16] = "";
            if (peak > 0 && flop[l] > 0)
                snprintf(pk, sizeof pk, "%5.0f%%", 100.0 * flop[l] / best[1][l] * 1e-9 / peak);
            /* a layer taken into the one before it (a pooling into our
             * Winograd's output) has no time of its own */
            char speedup[24] = "in the layer before", bd[48] = "";
            if (best[1][l] > 0)
                snprintf(speedup, sizeof speedup, "%6.2fx", best[0][l] / best[1][l]);
            if (bounded && bound[l] > 0)
                snprintf(bd, sizeof bd, " | %6.1f %8.2fx", 1e3 * bound[l],
                         best[1][l] / bound[l]);
            printf("    %-8s %9s | %8.1f %8.1f %5.1f%% | %8.1f %8.1f %6s %5.1f%% | %-7s%s\n",
                   L[l].name, size[l], 1e3 * best[0][l],
                   flop[l] > 0 ? flop[l] / best[0][l] * 1e-9 : 0.0,
                   100.0 * best[0][l] / total[0], 1e3 * best[1][l],
                   flop[l] > 0 && best[1][l] > 0 ? flop[l] / best[1][l] * 1e-9 : 0.0, pk,
                   100.0 * best[1][l] / total[1], speedup, bd);
        }
        char bd[48] = "";
        if (bounded)
            snprintf(bd, sizeof bd, " | %6.1f %8.2fx", 1e3 * r->bound, total[1] / r->bound);
        printf("    %-8s %9s | %8.1f %8s %6s | %8.1f %8s %6s %6s | %6.2fx%s  (ms, each layer's "
               "best of %d, a wait after every layer)\n", "total", "", 1e3 * total[0], "", "",
               1e3 * total[1], "", "", "", total[0] / total[1], bd, reps);
        fc_bandwidth(L, count, best[0], best[1]);
        if (bounded)
            printf("    bound: the least time any F(4x4)/direct 3x3 convolution and fc product "
                   "could take here (%.0f GFLOP/s FMA peak, %.1f GB/s read; transforms, "
                   "reorders and pooling free): %.1f ms, after at %.2fx it\n",
                   peak, bandwidth, 1e3 * r->bound, total[1] / r->bound);
    }
    fflush(stdout);
    rc = 0;
out:
    vgg_cpu_set_conv_algo(VGG_CONV_AUTO);
    vgg_cpu_set_fc_algo(-1);
    free(times[0]);
    free(times[1]);
    free(x);
    free(y[0]);
    free(y[1]);
    vgg_net_free(net[0]);
    vgg_net_free(net[1]);
    vgg_backend_close(be);
    return rc;
}

static int bench_together(const char *nets, const char *device, int threads, int h, int w)
{
    vgg_backend *be = NULL;
    vgg_net *net[2] = {NULL, NULL};
    int count = 0, rc = -1, oc, oh, ow;
    float *x = malloc((size_t)2 * 3 * h * w * sizeof *x), *y = NULL;
    if (!x || vgg_backend_open(device, threads, &be) != VGG_STATUS_OK)
        goto out;
    for (const char *c = nets; *c && count < 2; c++) {
        if (*c != 'D' && *c != 'E')
            continue;
        vgg_arch a;
        vgg_arch_default(&a, *c == 'E' ? VGG_CONFIG_E : VGG_CONFIG_D);
        if (vgg_net_create(&a, be, &net[count]) != VGG_STATUS_OK)
            goto out;
        bench_random_weights(net[count], 0x9E3779B97F4A7C15ull + (uint64_t)a.config, 0.01f);
        count++;
    }
    if (count == 0 || vgg_net_output_shape(net[0], h, w, VGG_OUTPUT_FC7, &oc, &oh, &ow) != 0)
        goto out;
    y = malloc((size_t)2 * oc * oh * ow * sizeof *y);
    if (!y)
        goto out;
    make_input(x, h, w);
    for (int i = 0; i < count; i++) {
        double t;
        if (time_forward(net[i], x, h, w, y, 0, &t) != 0)
            goto out;
        printf("  %s %s %dx%d (+ flip), first call (plan, algorithm choice): %.2f s\n", device,
               vgg_config_name(vgg_net_arch(net[i])->config), h, w, t);
    }
    printf("  vggfeat peak RSS with %d nets loaded: %.0f MB\n", count,
           vgg_peak_rss_bytes() / 1048576.0);
    rc = 0;
out:
    if (rc != 0)
        fprintf(stderr, "bench_cpu: %s\n", vgg_last_error());
    free(x);
    free(y);
    for (int i = 0; i < 2; i++)
        vgg_net_free(net[i]);
    vgg_backend_close(be);
    return rc;
}

static int parse_sizes(const char *text, int *hs, int *ws)
{
    int n = 0;
    for (const char *p = text; *p && n < MAX_SIZES;) {
        int used = 0;
        if (sscanf(p, "%dx%d%n", &hs[n], &ws[n], &used) != 2)
            return -1;
        n++;
        p += used;
        if (*p == ',')
            p++;
    }
    return n;
}

int main(int argc, char **argv)
{
    int threads = 2, repeat = 3;
    bool torch = true, ref = false, layers = true, together = false, bf16 = false, int8 = false;
    bool before = false;
    const char *sizes_text = "256x341,384x512", *nets = "D,E", *device = "cpu";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc)
            sizes_text = argv[++i];
        else if (strcmp(argv[i], "--nets") == 0 && i + 1 < argc)
            nets = argv[++i];
        else if (strcmp(argv[i], "--device") == 0 && i + 1 < argc)
            device = argv[++i];
        else if (strcmp(argv[i], "--ref") == 0)
            ref = true;
        else if (strcmp(argv[i], "--before") == 0)
            before = true;
        else if (strcmp(argv[i], "--peak") == 0 && i + 1 < argc)
            peak = atof(argv[++i]);
        else if (strcmp(argv[i], "--vnni") == 0 && i + 1 < argc)
            vnni = atof(argv[++i]);
        else if (strcmp(argv[i], "--bandwidth") == 0 && i + 1 < argc)
            bandwidth = atof(argv[++i]);
        else if (strcmp(argv[i], "--bf16") == 0)
            bf16 = true;
        else if (strcmp(argv[i], "--int8") == 0)
            int8 = true;
        else if (strcmp(argv[i], "--together") == 0)
            together = true;
        else if (strcmp(argv[i], "--no-torch") == 0)
            torch = false;
        else if (strcmp(argv[i], "--no-layers") == 0)
            layers = false;
        else {
            fprintf(stderr, "usage: bench_cpu [--nets D,E] [--sizes HxW,...] [--threads N] "
                            "[--repeat R] [--device DEV] [--before] [--peak GFLOPS] [--bandwidth GBS] [--vnni GOPS] "
                            "[--ref] [--bf16] [--int8] [--no-torch] [--no-layers] [--together]\n");
            return 2;
        }
    }
    int hs[MAX_SIZES], ws[MAX_SIZES];
    int n_sizes = parse_sizes(sizes_text, hs, ws);
    if (n_sizes <= 0) {
        fprintf(stderr, "bench_cpu: bad size list '%s'\n", sizes_text);
        return 2;
    }
    if (together)
        return bench_together(nets, device, threads, hs[0], ws[0]) == 0 ? 0 : 1;
    result res[2 * MAX_SIZES];
    int n_res = 0;
    printf("Dense forward to fc7, image + flip as one batch, %d threads, best of %d after one "
           "warm-up, timed inside the process\n", threads, repeat);
    for (const char *c = nets; *c; c++) {
        if (*c != 'D' && *c != 'E')
            continue;
        for (int i = 0; i < n_sizes; i++) {
            result *r = &res[n_res++];
            memset(r, 0, sizeof *r);
            r->net = *c;
            r->h = hs[i];
            r->w = ws[i];
            float *map = NULL;
            if (before && strcmp(device, "cpu") == 0) {
                if (bench_before_after(*c, threads, repeat, hs[i], ws[i], layers, r) != 0)
                    return 1;
                double fp32_once;   /* the fp32 map for bf16's and int8's distance */
                if ((bf16 || int8) && bench_net(*c, device, NULL, threads, 0, hs[i], ws[i],
                                                false, &fp32_once, &map, NULL, NULL, NULL) != 0)
                    return 1;
            } else if (bench_net(*c, device, NULL, threads, repeat, hs[i], ws[i], layers,
                                 &r->ours, &map, NULL, NULL, NULL) != 0) {
                return 1;
            }
            if (bf16 && bench_net(*c, device, "bf16", threads, repeat, hs[i], ws[i], false,
                                  &r->bf16, NULL, map, &r->bf16_err, NULL) != 0) {
                /* a CPU without bf16 instructions (the message says so):
                 * the rest of the run goes on in fp32 */
                printf("  bf16 not measured on this CPU (bench_cpu: %s)\n", vgg_last_error());
                bf16 = false;
            }
            if (int8 && bench_net(*c, device, "int8", threads, repeat, hs[i], ws[i], layers,
                                  &r->int8, NULL, map, &r->int8_err, &r->bound8) != 0) {
                printf("  int8 not measured on this CPU (bench_cpu: %s)\n", vgg_last_error());
                int8 = false;
            }
            free(map);
            if (ref && bench_net(*c, "cpu-ref", NULL, threads, repeat < 1 ? repeat : 1, hs[i],
                                 ws[i], false, &r->ref, NULL, NULL, NULL, NULL) != 0)
                return 1;
        }
    }
    printf("  vggfeat peak RSS: %.0f MB\n", vgg_peak_rss_bytes() / 1048576.0);
    if (torch) {
        char cmd[2048];
        snprintf(cmd, sizeof cmd, "'%s' '%s' --threads %d --repeat %d --sizes %s --nets %s%s",
                 VGG_PYTHON, VGG_BENCH_SCRIPT, threads, repeat, sizes_text, nets,
                 int8 ? " --int8" : "");
        fflush(stdout);
        FILE *pp = popen(cmd, "r");
        char line[512];
        while (pp && fgets(line, sizeof line, pp)) {
            char net;
            int h, w;
            double t;
            double med = 0;
            int got = sscanf(line, "time %c %d %d %lf %lf", &net, &h, &w, &t, &med);
            if (sscanf(line, "time8 %c %d %d %lf", &net, &h, &w, &t) == 4) {
                for (int i = 0; i < n_res; i++)
                    if (res[i].net == net && res[i].h == h && res[i].w == w)
                        res[i].torch8 = t;
            } else if (got >= 4) {
                for (int i = 0; i < n_res; i++)
                    if (res[i].net == net && res[i].h == h && res[i].w == w) {
                        res[i].torch = t;
                        res[i].torch_med = got == 5 ? med : t;
                    }
            } else {
                fputs(line, stdout);
            }
        }
        int st = pp ? pclose(pp) : -1;
        if (st != 0)
            printf("  PyTorch side failed or is not installed (status %d)\n", st);
    }
    bool bounded = false;
    for (int i = 0; i < n_res; i++)
        bounded = bounded || res[i].bound > 0;
    bool bounded8 = false;
    for (int i = 0; i < n_res; i++)
        bounded8 = bounded8 || (int8 && res[i].bound8 > 0);
    printf("\n| net | image (+ flip) |%s vggfeat %s s/image%s | PyTorch jit s/image (median) "
           "| PyTorch / vggfeat |%s%s%s%s%s\n",
           before ? " before s/image (median) |" : "", device, before ? " (median)" : "",
           bounded ? " bound s/image | PyTorch / bound |" : "", ref ? " cpu-ref s/image |" : "",
           bf16 ? " vggfeat bf16 s/image | PyTorch / bf16 | bf16 fc7 rel. L2 |" : "",
           int8 ? " vggfeat int8 s/image | PyTorch / int8 | int8 fc7 rel. L2 | PyTorch int8 "
                  "s/image | PyTorch int8 / int8 |" : "",
           bounded8 ? " int8 bound s/image | int8 / bound | PyTorch int8 / bound |" : "");
    printf("| --- | --- |%s --- | --- | --- |%s%s%s%s%s\n", before ? " --- |" : "",
           bounded ? " --- | --- |" : "", ref ? " --- |" : "", bf16 ? " --- | --- | --- |" : "",
           int8 ? " --- | --- | --- | --- | --- |" : "", bounded8 ? " --- | --- | --- |" : "");
    for (int i = 0; i < n_res; i++) {
        const result *r = &res[i];
        char refcol[32] = "", torch_s[48] = "-", ratio[48] = "-", beforecol[64] = "",
             medcol[32] = "";
        if (ref)
            snprintf(refcol, sizeof refcol, " %.3f |", r->ref);
        if (before) {
            snprintf(beforecol, sizeof beforecol, " %.3f (%.3f) |", r->before, r->before_med);
            snprintf(medcol, sizeof medcol, " (%.3f) |", r->ours_med);
        }
        if (r->torch > 0) {
            snprintf(torch_s, sizeof torch_s, "%.3f (%.3f)", r->torch, r->torch_med);
            if (before)
                snprintf(ratio, sizeof ratio, "%.2fx (before %.2fx)", r->torch / r->ours,
                         r->torch / r->before);
            else
                snprintf(ratio, sizeof ratio, "%.2fx", r->torch / r->ours);
        }
        char bfcol[96] = "";
        if (bf16) {
            char bf_ratio[32] = "-";
            if (r->torch > 0)
                snprintf(bf_ratio, sizeof bf_ratio, "%.2fx", r->torch / r->bf16);
            snprintf(bfcol, sizeof bfcol, " %.3f | %s | %.1e |", r->bf16, bf_ratio, r->bf16_err);
        }
        char i8col[160] = "";
        if (int8) {
            char i8_ratio[32] = "-", t8[32] = "-", t8_ratio[32] = "-";
            if (r->torch > 0)
                snprintf(i8_ratio, sizeof i8_ratio, "%.2fx", r->torch / r->int8);
            if (r->torch8 > 0) {
                snprintf(t8, sizeof t8, "%.3f", r->torch8);
                snprintf(t8_ratio, sizeof t8_ratio, "%.2fx", r->torch8 / r->int8);
            }
            snprintf(i8col, sizeof i8col, " %.3f | %s | %.1e | %s | %s |", r->int8, i8_ratio,
                     r->int8_err, t8, t8_ratio);
        }
        char boundcol[64] = "";
        if (bounded && r->bound > 0 && r->torch > 0)
            snprintf(boundcol, sizeof boundcol, " %.3f | %.2fx |", r->bound, r->torch / r->bound);
        else if (bounded)
            snprintf(boundcol, sizeof boundcol, " %.3f | - |", r->bound);
        char b8col[96] = "";
        if (bounded8) {
            char t8b[32] = "-";
            if (r->torch8 > 0 && r->bound8 > 0)
                snprintf(t8b, sizeof t8b, "%.2fx", r->torch8 / r->bound8);
            if (r->bound8 > 0)
                snprintf(b8col, sizeof b8col, " %.3f | %.2fx | %s |", r->bound8,
                         r->int8 / r->bound8, t8b);
            else
                snprintf(b8col, sizeof b8col, " - | - | - |");
        }
        printf("| VGG-%d | %dx%d |%s %.3f%s %s | %s |%s%s%s%s%s\n", r->net == 'E' ? 19 : 16,
               r->h, r->w, beforecol, r->ours, before ? medcol : " |", torch_s, ratio, boundcol,
               refcol, bfcol, i8col, b8col);
    }
    return 0;
}
