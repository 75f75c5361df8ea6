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
 *              [--algos onednn,wino4,wino2,wino4-avx2,direct8,int8] [--tile-block B]
 *              [--layers LIST]
 *
 * wino4 runs its products on AVX-512 where the CPU has it (wino.h:
 * vgg_tile512), wino4-avx2 on AVX2 always (the same bits); direct8 is our
 * direct kernel for conv1_1 (AVX-512 only: "-" elsewhere and on wider
 * layers).
 *
 * The layer classes at the size given for conv1 (default 256x341, an image
 * and its flip: --batch 2), each later class at its pooled size.
 *
 * --algos int8 adds an experiment beside them: oneDNN's int8 direct
 * convolution (u8 activations, s8 weights with a scale per output
 * channel, u8 output, ReLU), timed the same way with the activations
 * already quantized (as in a chain that stays in int8), followed by the
 * relative L2 error of its dequantized output against oneDNN's f32
 * direct convolution of the same layer.  The scales come from the
 * layer's own data (the largest input and output values, each filter's
 * largest weight): one layer's rounding, the best case, with nothing
 * carried over from earlier layers.  Without VNNI, oneDNN multiplies
 * u8 by s8 with vpmaddubsw, which saturates the sum of two products in
 * 16 bits: the weights then get 7 bits (to +-63), with VNNI 8. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <dnnl.h>
#include <omp.h>

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
    else if (strcmp(algo, "wino4") == 0 || strcmp(algo, "wino4-avx2") == 0)
        vgg_cpu_set_conv_algo(VGG_CONV_WINO4);
    else if (strcmp(algo, "wino2") == 0)
        vgg_cpu_set_conv_algo(VGG_CONV_WINO2);
    else if (strcmp(algo, "direct8") == 0)
        vgg_cpu_set_conv_algo(VGG_CONV_DIRECT8);
    else
        vgg_cpu_set_conv_algo(VGG_CONV_AUTO);
    vgg_cpu_set_wino_tile_block(tile_block);
    /* wino4-avx2: our products on AVX2 where the CPU has AVX-512 too */
    vgg_set_tile512(strcmp(algo, "wino4-avx2") == 0 ? 0 : -1);
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
    vgg_set_tile512(-1);
    return best;
}

/* ---- the int8 experiment (oneDNN alone) ---- */

#define DCHECK(x)                                                                                  \
    do {                                                                                           \
        dnnl_status_t s_ = (x);                                                                    \
        if (s_ != dnnl_success) {                                                                  \
            fprintf(stderr, "bench_wino: oneDNN status %d at line %d\n", (int)s_, __LINE__);        \
            exit(1);                                                                               \
        }                                                                                          \
    } while (0)

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* oneDNN may use a u8 x s8 dot product that sums in 32 bits (AVX512-VNNI,
 * AVX-VNNI) */
static bool has_vnni(void)
{
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    return (isa & dnnl_cpu_isa_avx512_core_vnni) == dnnl_cpu_isa_avx512_core_vnni ||
           (isa & dnnl_cpu_isa_avx2_vnni) == dnnl_cpu_isa_avx2_vnni;
}

static dnnl_engine_t i8_eng;
static dnnl_stream_t i8_strm;

static void i8_reorder(const dnnl_memory_desc_t *fmd, void *from, const dnnl_memory_desc_t *tmd,
                       void *to)
{
    dnnl_memory_t a, b;
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p;
    DCHECK(dnnl_memory_create(&a, fmd, i8_eng, from));
    DCHECK(dnnl_memory_create(&b, tmd, i8_eng, to));
    DCHECK(dnnl_reorder_primitive_desc_create(&pd, fmd, i8_eng, tmd, i8_eng, NULL));
    DCHECK(dnnl_primitive_create(&p, pd));
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, a}, {DNNL_ARG_TO, b}};
    DCHECK(dnnl_primitive_execute(p, i8_strm, 2, args));
    DCHECK(dnnl_stream_wait(i8_strm));
    dnnl_primitive_destroy(p);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(a);
    dnnl_memory_destroy(b);
}

/* y (NCHW, of type dt[2]) = ReLU(conv3x3(x) + bias) by oneDNN's direct
 * convolution of data types dt (source, weights, destination), x and wt
 * plain (NCHW, OIHW); scales: per output channel (NULL: none).  The best
 * time of `repeat` runs after one. */
static double i8_conv(const lclass *lc, int n, int h, int w, const dnnl_data_type_t dt[3],
                      const void *x, const void *wt, const float *bias, const float *scales,
                      void *y, int repeat)
{
    const int c = lc->cin, o = lc->cout;
    dnnl_memory_desc_t src, wei, bia, dst, xs, ws, ys;
    dnnl_dims_t sd = {n, c, h, w}, wd = {o, c, 3, 3}, bd = {o}, dd = {n, o, h, w};
    dnnl_memory_desc_init_by_tag(&src, 4, sd, dt[0], dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&xs, 4, sd, dt[0], dnnl_nchw);
    dnnl_memory_desc_init_by_tag(&wei, 4, wd, dt[1], dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&ws, 4, wd, dt[1], dnnl_oihw);
    dnnl_memory_desc_init_by_tag(&bia, 1, bd, dnnl_f32, dnnl_x);
    dnnl_memory_desc_init_by_tag(&dst, 4, dd, dt[2], dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&ys, 4, dd, dt[2], dnnl_nchw);
    dnnl_convolution_desc_t cd;
    dnnl_dims_t one = {1, 1}, pad = {1, 1};
    DCHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                              &src, &wei, &bia, &dst, one, pad, pad));
    dnnl_primitive_attr_t attr;
    dnnl_post_ops_t po;
    DCHECK(dnnl_primitive_attr_create(&attr));
    if (scales)
        DCHECK(dnnl_primitive_attr_set_output_scales(attr, o, 1 << 1, scales));
    DCHECK(dnnl_post_ops_create(&po));
    DCHECK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
    DCHECK(dnnl_primitive_attr_set_post_ops(attr, po));
    dnnl_primitive_desc_t pd;
    dnnl_primitive_t p;
    DCHECK(dnnl_primitive_desc_create(&pd, &cd, attr, i8_eng, NULL));
    DCHECK(dnnl_primitive_create(&p, pd));
    const dnnl_memory_desc_t *smd = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0);
    const dnnl_memory_desc_t *wmd = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    const dnnl_memory_desc_t *dmd = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
    void *sb = aligned_alloc(64, (dnnl_memory_desc_get_size(smd) + 63) / 64 * 64);
    void *wb = aligned_alloc(64, (dnnl_memory_desc_get_size(wmd) + 63) / 64 * 64);
    void *db = aligned_alloc(64, (dnnl_memory_desc_get_size(dmd) + 63) / 64 * 64);
    if (!sb || !wb || !db) {
        fprintf(stderr, "bench_wino: out of memory\n");
        exit(1);
    }
    i8_reorder(&xs, (void *)x, smd, sb);
    i8_reorder(&ws, (void *)wt, wmd, wb);
    dnnl_memory_t ms, mw, mb, md;
    DCHECK(dnnl_memory_create(&ms, smd, i8_eng, sb));
    DCHECK(dnnl_memory_create(&mw, wmd, i8_eng, wb));
    DCHECK(dnnl_memory_create(&mb, &bia, i8_eng, (void *)bias));
    DCHECK(dnnl_memory_create(&md, dmd, i8_eng, db));
    dnnl_exec_arg_t args[4] = {
        {DNNL_ARG_SRC, ms}, {DNNL_ARG_WEIGHTS, mw}, {DNNL_ARG_BIAS, mb}, {DNNL_ARG_DST, md}};
    double best = 1e30;
    for (int r = 0; r <= repeat; r++) {
        const double t0 = now_s();
        DCHECK(dnnl_primitive_execute(p, i8_strm, 4, args));
        DCHECK(dnnl_stream_wait(i8_strm));
        const double t = now_s() - t0;
        if (r > 0 && t < best)
            best = t;
    }
    i8_reorder(dmd, db, &ys, y);
    dnnl_memory_destroy(ms);
    dnnl_memory_destroy(mw);
    dnnl_memory_destroy(mb);
    dnnl_memory_destroy(md);
    dnnl_primitive_destroy(p);
    dnnl_primitive_desc_destroy(pd);
    dnnl_post_ops_destroy(po);
    dnnl_primitive_attr_destroy(attr);
    free(sb);
    free(wb);
    free(db);
    return best;
}

/* The int8 experiment on one layer: its time (best of repeat) and, in
 * *err, the relative L2 error of its output against f32's. */
static double time_int8(const lclass *lc, int n, int h, int w, int repeat, int threads,
                        const float *x, const float *wt, const float *b, double *err)
{
    const int c = lc->cin, o = lc->cout;
    const size_t nx = (size_t)n * c * h * w, ny = (size_t)n * o * h * w, per = (size_t)c * 9;
    float *yr = malloc(ny * 4), *sw = malloc(o * 4), *sc = malloc(o * 4), *bq = malloc(o * 4);
    uint8_t *xq = malloc(nx), *yq = malloc(ny);
    int8_t *wq = malloc((size_t)o * per);
    if (!yr || !sw || !sc || !bq || !xq || !yq || !wq) {
        fprintf(stderr, "bench_wino: out of memory\n");
        exit(1);
    }
    if (!i8_eng) {
        DCHECK(dnnl_engine_create(&i8_eng, dnnl_cpu, 0));
        DCHECK(dnnl_stream_create(&i8_strm, i8_eng, dnnl_stream_default_flags));
    }
    omp_set_num_threads(threads);
    const dnnl_data_type_t f32[3] = {dnnl_f32, dnnl_f32, dnnl_f32};
    i8_conv(lc, n, h, w, f32, x, wt, b, NULL, yr, 0);
    float xmax = 0, ymax = 0;
    for (size_t i = 0; i < nx; i++)
        xmax = x[i] > xmax ? x[i] : xmax;
    for (size_t i = 0; i < ny; i++)
        ymax = yr[i] > ymax ? yr[i] : ymax;
    const float sx = xmax > 0 ? xmax / 255 : 1, sy = ymax > 0 ? ymax / 255 : 1;
    for (size_t i = 0; i < nx; i++)
        xq[i] = (uint8_t)lrintf(x[i] / sx);
    const float wmax = has_vnni() ? 127.0f : 63.0f;
    for (int k = 0; k < o; k++) {
        float m = 0;
        for (size_t i = 0; i < per; i++)
            m = fabsf(wt[k * per + i]) > m ? fabsf(wt[k * per + i]) : m;
        sw[k] = m > 0 ? m / wmax : 1;
        for (size_t i = 0; i < per; i++)
            wq[k * per + i] = (int8_t)lrintf(wt[k * per + i] / sw[k]);
        /* the int32 sum times sx sw[k] is the f32 product's; the bias is
         * added to the sum (in its units), then the scale to the output's */
        sc[k] = sx * sw[k] / sy;
        bq[k] = b[k] / (sx * sw[k]);
    }
    const dnnl_data_type_t i8[3] = {dnnl_u8, dnnl_s8, dnnl_u8};
    const double t = i8_conv(lc, n, h, w, i8, xq, wq, bq, sc, yq, repeat);
    double e = 0, r = 0;
    for (size_t i = 0; i < ny; i++) {
        const double d = yq[i] * (double)sy - yr[i];
        e += d * d;
        r += (double)yr[i] * yr[i];
    }
    *err = r > 0 ? sqrt(e / r) : 0;
    free(yr);
    free(sw);
    free(sc);
    free(bq);
    free(xq);
    free(yq);
    free(wq);
    return t;
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
                            "[--repeat R] [--peak GFLOPS] "
                            "[--algos onednn,wino4,wino2,wino4-avx2,direct8,int8] "
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
    if (strstr(algos, "int8"))
        printf("int8: oneDNN's direct convolution, u8 x s8 (%d-bit weights), u8 out: ms, GOP/s, "
               "the output's relative L2 error against f32\n",
               has_vnni() ? 8 : 7);
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
            char cell[48];
            if (strcmp(a, "int8") == 0) {
                /* a net's first layer takes signed pixels: not u8 */
                if (lc->cin < 8) {
                    printf(" %20s", "-");
                    continue;
                }
                double err;
                const double t = time_int8(lc, n, h, w, repeat, threads, x, wt, b, &err);
                snprintf(cell, sizeof cell, "%.1fms %4.0f %.0e", 1e3 * t, flops / t * 1e-9, err);
                printf(" %20s", cell);
                fflush(stdout);
                continue;
            }
            /* our direct kernel: AVX-512 only, up to 8 input channels */
            if (strcmp(a, "direct8") == 0 && (!vgg_tile512() || lc->cin > 8)) {
                printf(" %20s", "-");
                continue;
            }
            double t = time_algo(be, lc, n, h, w, a, repeat, tile_block, x, wt, b, y);
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
