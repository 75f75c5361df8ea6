/* Start-up: the time from nothing to the first image's fc7 map, on the
 * "cpu" backend, with the weights file's float32 tensors used in place in
 * its private map (vgg_net_load's default) against copied into the net's
 * own memory (VGG_NO_MMAP=1), the two alternating in one process:
 *   load   vgg_net_load (map, validation, the NaN and range checks)
 *   first  the first forward of an image and its flip (the chain's plan,
 *          oneDNN's primitives, our Winograd weights packed)
 *   next   the second forward (what every later image costs)
 * Best and median of --repeat after one untimed round; the page cache is
 * warm (the file was just written or read): the time to read a cold file
 * from the disk is the disk's, the same either way.
 *
 *   bench_startup [--weights FILE] [--net D|E] [--size HxW] [--threads N] [--repeat R]
 *
 * Without --weights a VGG-16 (or --net E) with random weights is written
 * to a temporary file first and removed at the end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "vgg/core.h"
#include "vgg/net.h"

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* an image and its mirror, as the extractor's batch of two */
static void make_input(float *x, int h, int w)
{
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
            for (int i = 0; i < w; i++) {
                const float v = (float)(sin(i / (7.0 + c) + y / 11.0));
                x[((size_t)c * h + y) * w + i] = v;
                x[(((size_t)3 + c) * h + y) * w + (w - 1 - i)] = v;
            }
}

typedef struct times {
    double load, first, next;
} times;

/* one round: load, first and second forward; 0 or -1 (printed) */
static int round_of(const char *path, vgg_backend *be, const float *x, int h, int w,
                    float **y, size_t *ycap, times *t)
{
    vgg_net *net = NULL;
    const double t0 = now_s();
    if (vgg_net_load(path, be, &net) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_startup: %s\n", vgg_last_error());
        return -1;
    }
    const double t1 = now_s();
    int oc, oh, ow;
    if (vgg_net_output_shape(net, h, w, VGG_OUTPUT_FC7, &oc, &oh, &ow) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_startup: %s\n", vgg_last_error());
        vgg_net_free(net);
        return -1;
    }
    const size_t need = (size_t)2 * oc * oh * ow;
    if (need > *ycap) {
        free(*y);
        *y = malloc(need * sizeof **y);
        *ycap = *y ? need : 0;
        if (!*y) {
            vgg_net_free(net);
            return -1;
        }
    }
    double tf[3] = {t1, 0, 0};
    for (int k = 0; k < 2; k++) {
        if (vgg_net_forward(net, x, 2, h, w, VGG_OUTPUT_FC7, *y) != VGG_STATUS_OK) {
            fprintf(stderr, "bench_startup: %s\n", vgg_last_error());
            vgg_net_free(net);
            return -1;
        }
        tf[k + 1] = now_s();
    }
    vgg_net_free(net);
    t->load = t1 - t0;
    t->first = tf[1] - tf[0];
    t->next = tf[2] - tf[1];
    return 0;
}

static void report(const char *name, times *r, int n)
{
    double load[64], first[64], next[64], total[64];
    for (int i = 0; i < n; i++) {
        load[i] = r[i].load;
        first[i] = r[i].first;
        next[i] = r[i].next;
        total[i] = r[i].load + r[i].first;
    }
    qsort(load, n, sizeof *load, cmp_double);
    qsort(first, n, sizeof *first, cmp_double);
    qsort(next, n, sizeof *next, cmp_double);
    qsort(total, n, sizeof *total, cmp_double);
    printf("| %s | %.3f (%.3f) | %.3f (%.3f) | %.3f (%.3f) | %.3f (%.3f) |\n", name, load[0],
           load[n / 2], first[0], first[n / 2], total[0], total[n / 2], next[0], next[n / 2]);
}

int main(int argc, char **argv)
{
    const char *weights = NULL;
    char config = 'D';
    int h = 256, w = 341, threads = 2, repeat = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--weights") && i + 1 < argc)
            weights = argv[++i];
        else if (!strcmp(argv[i], "--net") && i + 1 < argc)
            config = argv[++i][0];
        else if (!strcmp(argv[i], "--size") && i + 1 < argc && sscanf(argv[i + 1], "%dx%d", &h, &w) == 2)
            i++;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_startup [--weights FILE] [--net D|E] [--size HxW] "
                            "[--threads N] [--repeat R]\n");
            return 2;
        }
    }
    if (repeat < 1 || repeat > 64 || h < 32 || w < 32 || (config != 'D' && config != 'E')) {
        fprintf(stderr, "bench_startup: --repeat 1..64, --size of 32x32 or more, --net D or E\n");
        return 2;
    }
    vgg_backend *be = NULL;
    if (vgg_backend_open("cpu", threads, &be) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_startup: %s\n", vgg_last_error());
        return 1;
    }
    char tmp[64] = "";
    if (!weights) {
        const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
        snprintf(tmp, sizeof tmp, "%.40s/bench_startup_XXXXXX", dir);
        int fd = mkstemp(tmp);
        if (fd < 0) {
            perror("bench_startup: mkstemp");
            return 1;
        }
        close(fd);
        vgg_arch a;
        vgg_arch_default(&a, config == 'E' ? VGG_CONFIG_E : VGG_CONFIG_D);
        vgg_net *net = NULL;
        printf("writing a VGG-%d with random weights to %s\n", config == 'E' ? 19 : 16, tmp);
        fflush(stdout);
        if (vgg_net_create(&a, be, &net) != VGG_STATUS_OK) {
            fprintf(stderr, "bench_startup: %s\n", vgg_last_error());
            unlink(tmp);
            return 1;
        }
        bench_random_weights(net, 0x9E3779B97F4A7C15ull, 0.01f);
        vgg_status st = vgg_net_save(net, tmp);
        vgg_net_free(net);
        if (st != VGG_STATUS_OK) {
            fprintf(stderr, "bench_startup: %s\n", vgg_last_error());
            unlink(tmp);
            return 1;
        }
        weights = tmp;
    }
    float *x = malloc((size_t)2 * 3 * h * w * sizeof *x), *y = NULL;
    size_t ycap = 0;
    times r[2][64];
    int rc = x ? 0 : 1;
    if (x)
        make_input(x, h, w);
    /* round 0 untimed (the file into the page cache, the process's pages
     * and oneDNN's kernels warm), then the two ways in turn */
    for (int k = 0; rc == 0 && k <= repeat; k++)
        for (int m = 0; rc == 0 && m < 2; m++) {
            setenv("VGG_NO_MMAP", m ? "1" : "0", 1);
            rc = round_of(weights, be, x, h, w, &y, &ycap, k ? &r[m][k - 1] : &r[m][0]);
        }
    unsetenv("VGG_NO_MMAP");
    if (rc == 0) {
        printf("start-up of '%s' on cpu, %d threads, %dx%d (+ flip), best (median) of %d, "
               "seconds, page cache warm\n",
               weights, threads, h, w, repeat);
        printf("| weights | load | first image | load + first image | next image |\n");
        printf("| --- | --- | --- | --- | --- |\n");
        report("in place in the file's map", r[0], repeat);
        report("copied (VGG_NO_MMAP=1)", r[1], repeat);
    }
    free(x);
    free(y);
    vgg_backend_close(be);
    if (tmp[0])
        unlink(tmp);
    return rc;
}
