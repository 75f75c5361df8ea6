/* VGG-16 (random weights) dense forward to fc7 on the CPU backend, timed on
 * one image per size, then the same computation in PyTorch CPU (features,
 * fc6 as a 7x7 convolution, fc7 as a 1x1 convolution) run by
 * bench_forward.py in the same run; prints both times, their ratio and the
 * peak RSS of each side.
 *
 *   bench_forward [--threads N] [--repeat R] [--sizes 256x341,384x512] [--no-torch]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_util.h"
#include "vgg/net.h"

#define MAX_SIZES 8

int main(int argc, char **argv)
{
    int threads = 2, repeat = 3, run_torch = 1;
    const char *sizes_text = "256x341,384x512";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atoi(argv[++i]);
        else if (strcmp(argv[i], "--sizes") == 0 && i + 1 < argc)
            sizes_text = argv[++i];
        else if (strcmp(argv[i], "--no-torch") == 0)
            run_torch = 0;
        else {
            fprintf(stderr, "usage: bench_forward [--threads N] [--repeat R] "
                            "[--sizes HxW,...] [--no-torch]\n");
            return 2;
        }
    }
    int hs[MAX_SIZES], ws[MAX_SIZES], n = 0;
    for (const char *p = sizes_text; *p && n < MAX_SIZES;) {
        int used = 0;
        if (sscanf(p, "%dx%d%n", &hs[n], &ws[n], &used) != 2) {
            fprintf(stderr, "bench_forward: bad size list '%s'\n", sizes_text);
            return 2;
        }
        n++;
        p += used;
        if (*p == ',')
            p++;
    }
    if (repeat < 0)
        repeat = 0;   /* 0: one run, no warm-up */

    vgg_backend *be = NULL;
    vgg_net *net = NULL;
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_D);
    if (vgg_backend_open("cpu", threads, &be) != VGG_STATUS_OK ||
        vgg_net_create(&a, be, &net) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_forward: %s\n", vgg_last_error());
        return 1;
    }
    bench_random_weights(net, 0x9E3779B97F4A7C15ull, 0.01f);
    double ours[MAX_SIZES];
    printf("VGG-16 dense forward to fc7, CPU, %d threads, best of %d (after one warm-up unless 0)\n",
           threads, repeat);
    for (int i = 0; i < n; i++) {
        int oc, oh, ow;
        if (vgg_net_output_shape(net, hs[i], ws[i], VGG_OUTPUT_FC7, &oc, &oh, &ow) !=
            VGG_STATUS_OK) {
            fprintf(stderr, "bench_forward: %s\n", vgg_last_error());
            return 1;
        }
        size_t nin = (size_t)3 * hs[i] * ws[i];
        float *x = malloc(nin * sizeof(float));
        float *y = malloc((size_t)oc * oh * ow * sizeof(float));
        if (!x || !y)
            return 1;
        for (size_t j = 0; j < nin; j++)
            x[j] = (float)((j * 2654435761u) % 1000) / 500.0f - 1.0f;
        ours[i] = 1e30;
        for (int r = 0; r <= repeat; r++) {
            double t0 = vgg_now_seconds();
            if (vgg_net_forward(net, x, 1, hs[i], ws[i], VGG_OUTPUT_FC7, y) != VGG_STATUS_OK) {
                fprintf(stderr, "bench_forward: %s\n", vgg_last_error());
                return 1;
            }
            double t = vgg_now_seconds() - t0;
            if ((r > 0 || repeat == 0) && t < ours[i])
                ours[i] = t;
        }
        free(x);
        free(y);
        printf("  vggfeat %4dx%-4d -> fc7 %dx%d: %.3f s\n", hs[i], ws[i], oh, ow, ours[i]);
        fflush(stdout);
    }
    printf("  vggfeat peak RSS: %.0f MB\n", vgg_peak_rss_bytes() / 1048576.0);
    fflush(stdout);
    vgg_net_free(net);
    vgg_backend_close(be);
    if (!run_torch)
        return 0;

    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s' --threads %d --repeat %d --sizes %s", VGG_PYTHON,
             VGG_BENCH_SCRIPT, threads, repeat, sizes_text);
    FILE *pp = popen(cmd, "r");
    if (!pp) {
        printf("  PyTorch: could not run %s\n", VGG_BENCH_SCRIPT);
        return 0;
    }
    char line[512];
    double theirs[MAX_SIZES] = {0};
    double rss = 0;
    while (fgets(line, sizeof line, pp)) {
        int h, w;
        double t;
        if (sscanf(line, "time %d %d %lf", &h, &w, &t) == 3) {
            for (int i = 0; i < n; i++)
                if (hs[i] == h && ws[i] == w)
                    theirs[i] = t;
        } else if (sscanf(line, "peak_rss_mb %lf", &t) == 1) {
            rss = t;
        } else {
            fputs(line, stdout);
        }
    }
    int rc = pclose(pp);
    if (rc != 0) {
        printf("  PyTorch side failed or is not installed (status %d)\n", rc);
        return 0;
    }
    printf("%-10s %12s %12s %18s\n", "size", "vggfeat s", "torch s", "vggfeat/torch");
    for (int i = 0; i < n; i++)
        printf("%4dx%-5d %12.3f %12.3f %18.2f\n", hs[i], ws[i], ours[i], theirs[i],
               theirs[i] > 0 ? ours[i] / theirs[i] : 0.0);
    printf("  PyTorch peak RSS: %.0f MB\n", rss);
    return 0;
}
