/* The 3x3 convolutions of VGG's layer classes, one at a time, by every
 * algorithm the "cpu" backend has for them on this machine: our Winograd
 * F(4x4, 3x3) and F(2x2, 3x3) (net/cpu/wino_avx2.c, AVX2 + FMA), and
 * oneDNN's own choice (direct, or its Winograd where it has one), each
 * timed inside a chain of the backend's forward after a layer like it, so
 * that its input comes in the layout the chain keeps (conv1_1: from the
 * net's NCHW input).  Per layer: milliseconds (best of --repeat after a warm-up),
 * the effective GFLOP/s (a direct convolution's flops over the time) and
 * that as a share of the FMA peak given by --peak (bench_machine prints
 * it).  This is the measurement behind the algorithm table of
 * net/cpu/wino.c: bench/wino_table.sh runs it.
 *
 *   bench_wino [--size HxW] [--batch N] [--threads T] [--repeat R] [--peak GFLOPS]
 *              [--algos onednn,wino4,wino2] [--tile-block B] [--layers LIST]
 *
 * The layer classes at the size given for conv1 (default 256x341, an image
 * and its flip: --batch 2), each later class at its pooled size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "bench_util.h"
#include "cpu.h"
#include "wino.h"

typedef struct lclass {
    const char *name;
    int cin, cout, pool;   /* pool: halvings of the conv1 size */
} lclass;

static const lclass classes[] = {
    {"conv1_2", 64, 64, 0},    {"conv2_1", 64, 128, 1},   {"conv2_2", 128, 128, 1},
    {"conv3_1", 128, 256, 2},  {"conv3_x", 256, 256, 2},  {"conv4_1", 256, 512, 3},
    {"conv4_x", 512, 512, 3},  {"conv5_x", 512, 512, 4},  {"conv1_1", 3, 64, 0},
};

static uint64_t seed = 42;
static float frand(void)
{
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(seed >> 40) / 16777216.0f * 2.0f - 1.0f;
}

static double time_algo(vgg_backend *be, const lclass *lc, int n, int h, int w,
                        const char *algo, int repeat, int tile_block, const float *x,
                        const float *wt, const float *b, float *y)
{
    /* the layer after one like it (cin -> cin, the same algorithm), so
     * that its input comes in the chain's layout, as in a net; the first
     * layer (3 channels) alone, from the net's NCHW input */
    const bool first = lc->cin < 8;
    vgg_fwd_layer L[2] = {
        {.kind = VGG_LAYER_CONV, .cin = lc->cin, .cout = lc->cin, .k = 3, .pad = 1,
         .relu = true, .weight = wt, .bias = b},
        {.kind = VGG_LAYER_CONV, .cin = lc->cin, .cout = lc->cout, .k = 3, .pad = 1,
         .relu = true, .weight = wt, .bias = b},
    };
    if (strcmp(algo, "onednn") == 0)
        vgg_cpu_set_conv_algo(VGG_CONV_ONEDNN);
    else if (strcmp(algo, "wino4") == 0)
        vgg_cpu_set_conv_algo(VGG_CONV_WINO4);
    else if (strcmp(algo, "wino2") == 0)
        vgg_cpu_set_conv_algo(VGG_CONV_WINO2);
    else
        vgg_cpu_set_conv_algo(VGG_CONV_AUTO);
    vgg_cpu_set_wino_tile_block(tile_block);
    void *cache = NULL;
    double best = 1e30;
    for (int r = 0; r <= repeat; r++) {
        double sec[2] = {0, 0};
        if (be->ops->forward(be, &cache, 1, first ? L + 1 : L, first ? 1 : 2, n, h, w, x, y,
                             sec) != VGG_STATUS_OK) {
            fprintf(stderr, "bench_wino: %s\n", vgg_last_error());
            exit(1);
        }
        double t = first ? sec[0] : sec[1];
        if (r > 0 && t < best)
            best = t;
    }
    be->ops->forward_release(be, cache);
    vgg_cpu_set_conv_algo(VGG_CONV_AUTO);
    vgg_cpu_set_wino_tile_block(0);
    return best;
}

int main(int argc, char **argv)
{
    int h0 = 256, w0 = 341, n = 2, threads = 2, repeat = 5, tile_block = 0;
    double peak = 0;
    const char *algos = "onednn,wino4,wino2", *only = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--size") == 0 && i + 1 < argc)
            sscanf(argv[++i], "%dx%d", &h0, &w0);
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc)
            n = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--peak") == 0 && i + 1 < argc)
            peak = atof(argv[++i]);
        else if (strcmp(argv[i], "--algos") == 0 && i + 1 < argc)
            algos = argv[++i];
        else if (strcmp(argv[i], "--tile-block") == 0 && i + 1 < argc)
            tile_block = atoi(argv[++i]);
        else if (strcmp(argv[i], "--layers") == 0 && i + 1 < argc)
            only = argv[++i];
        else {
            fprintf(stderr, "usage: bench_wino [--size HxW] [--batch N] [--threads T] "
                            "[--repeat R] [--peak GFLOPS] [--algos onednn,wino4,wino2] "
                            "[--tile-block B] [--layers conv1_2,...]\n");
            return 2;
        }
    }
    vgg_backend *be = NULL;
    if (vgg_backend_open("cpu", threads, &be) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_wino: %s\n", vgg_last_error());
        return 1;
    }
    printf("3x3 layers, batch %d, conv1 at %dx%d, %d threads, best of %d; effective GFLOP/s = "
           "direct flops / time%s\n", n, h0, w0, threads, repeat,
           peak > 0 ? "; % of the FMA peak given" : "");
    printf("%-8s %-9s %-12s", "layer", "size", "channels");
    char list[256];
    snprintf(list, sizeof list, "%s", algos);
    for (char *a = strtok(list, ","); a; a = strtok(NULL, ","))
        printf(" %20s", a);
    printf("\n");
    for (size_t c = 0; c < sizeof classes / sizeof classes[0]; c++) {
        const lclass *lc = &classes[c];
        if (only && !strstr(only, lc->name))
            continue;
        int h = h0, w = w0;
        for (int k = 0; k < lc->pool; k++)
            h /= 2, w /= 2;
        const size_t nx = (size_t)n * lc->cin * h * w, ny = (size_t)n * lc->cout * h * w;
        /* the larger of the two layers' weights */
        const size_t nw = (size_t)(lc->cout > lc->cin ? lc->cout : lc->cin) * lc->cin * 9;
        float *x = malloc(nx * 4), *y = malloc(ny * 4), *wt = malloc(nw * 4),
              *b = malloc((lc->cout > lc->cin ? lc->cout : lc->cin) * 4);
        if (!x || !y || !wt || !b)
            return 1;
        for (size_t i = 0; i < nx; i++) {
            float v = frand();
            x[i] = v > 0 ? v : 0;
        }
        for (size_t i = 0; i < nw; i++)
            wt[i] = frand() * 0.05f;
        for (int i = 0; i < (lc->cout > lc->cin ? lc->cout : lc->cin); i++)
            b[i] = 0.01f * frand();
        const double flops = 2.0 * n * h * w * (double)lc->cin * lc->cout * 9;
        char size[24], ch[24];
        snprintf(size, sizeof size, "%dx%d", h, w);
        snprintf(ch, sizeof ch, "%d->%d", lc->cin, lc->cout);
        printf("%-8s %-9s %-12s", lc->name, size, ch);
        snprintf(list, sizeof list, "%s", algos);
        for (char *a = strtok(list, ","); a; a = strtok(NULL, ",")) {
            double t = time_algo(be, lc, n, h, w, a, repeat, tile_block, x, wt, b, y);
            char cell[48];
            if (peak > 0)
                snprintf(cell, sizeof cell, "%.1fms %4.0f %3.0f%%", 1e3 * t, flops / t * 1e-9,
                         100.0 * flops / t * 1e-9 / peak);
            else
                snprintf(cell, sizeof cell, "%.1fms %4.0f", 1e3 * t, flops / t * 1e-9);
            printf(" %20s", cell);
            fflush(stdout);
        }
        printf("\n");
        free(x);
        free(y);
        free(wt);
        free(b);
    }
    vgg_backend_close(be);
    return 0;
}
