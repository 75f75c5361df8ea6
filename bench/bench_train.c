/* Training-step throughput (images/s) of the CPU trainer, side by side
 * with PyTorch CPU doing the same step (bench_train.py) in the same run:
 * the small D-shaped net of pipelines/train_fashion_mnist.sh and full-size
 * D (VGG-16, 224 x 224), both at batch 64 (full D as 4 micro-batches of
 * 16 on both sides, so that its activations fit in memory).
 * --profile adds, for vggtrain, the time per step in each backend
 * operation (op_profile.c).
 *   build/bin/bench_train [--threads N] [--steps N] [--small-only] [--profile]
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/net.h"
#include "vgg/train.h"
#include "op_profile.h"

typedef struct bench_case {
    const char *name;
    vgg_config_id config;
    const char *config_name;
    float width;
    int fc, classes, input, batch, micro;
} bench_case;

static double run_ours(const bench_case *c, int threads, int steps, bool profile)
{
    vgg_backend *be = NULL;
    vgg_net *net = NULL;
    vgg_trainer *t = NULL;
    vgg_arch a;
    vgg_arch_default(&a, c->config);
    a.width = c->width;
    a.fc_dim = c->fc;
    a.num_classes = c->classes;
    a.input_size = c->input;
    vgg_train_opts o;
    vgg_train_opts_default(&o);
    o.micro_batch = c->micro;
    if (vgg_backend_open("cpu", threads, &be) != VGG_STATUS_OK)
        goto fail;
    if (profile)
        op_profile_attach(be);
    if (vgg_net_create(&a, be, &net) != VGG_STATUS_OK ||
        vgg_train_init(net, VGG_INIT_HE, 0.01f, 1) != VGG_STATUS_OK ||
        vgg_trainer_create(net, &o, &t) != VGG_STATUS_OK)
        goto fail;
    size_t n = (size_t)c->batch * 3 * c->input * c->input;
    float *x = malloc(sizeof *x * n);
    int32_t *y = malloc(sizeof *y * c->batch);
    uint64_t s = 1;
    for (size_t i = 0; i < n; i++) {
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)((double)(s >> 11) / 9007199254740992.0 * 2 - 1);
    }
    for (int i = 0; i < c->batch; i++)
        y[i] = i % c->classes;
    float loss;
    if (vgg_trainer_step(t, x, y, c->batch, 0.01f, &loss, NULL) != VGG_STATUS_OK)   /* warm-up */
        goto fail;
    op_profile_reset();
    double t0 = vgg_now_seconds();
    for (int i = 0; i < steps; i++)
        if (vgg_trainer_step(t, x, y, c->batch, 0.01f, &loss, NULL) != VGG_STATUS_OK)
            goto fail;
    double dt = (vgg_now_seconds() - t0) / steps;
    if (profile)
        op_profile_print(steps, dt);
    free(x);
    free(y);
    vgg_trainer_free(t);
    vgg_net_free(net);
    vgg_backend_close(be);
    return dt;
fail:
    fprintf(stderr, "bench_train: %s\n", vgg_last_error());
    exit(1);
}

static double run_torch(const bench_case *c, int threads, int steps)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s %s %s %g %d %d %d %d %d %d %d", VGG_PYTHON,
             VGG_BENCH_TRAIN_SCRIPT, c->config_name, c->width, c->fc, c->classes, c->input,
             c->batch, steps, threads ? threads : 2, c->micro);
    FILE *p = popen(cmd, "r");
    double ips = 0, dt = -1;
    if (p) {
        if (fscanf(p, "torch %lf %lf", &ips, &dt) != 2)
            dt = -1;
        pclose(p);
    }
    return dt;
}

static bool c_is_full(const bench_case *c) { return c->width == 1.0f; }

int main(int argc, char **argv)
{
    int threads = 2, steps = 0;
    bool small_only = false, profile = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--steps") && i + 1 < argc)
            steps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--small-only"))
            small_only = true;
        else if (!strcmp(argv[i], "--profile"))
            profile = true;
        else {
            fprintf(stderr, "usage: bench_train [--threads N] [--steps N] [--small-only] [--profile]\n");
            return 2;
        }
    }
    const bench_case cases[] = {
        { "small D (1/8 width, fc 256, 32x32), batch 64", VGG_CONFIG_D, "D", 0.125f, 256, 10,
          32, 64, 64 },
        { "small A-LRN (1/8 width, fc 256, 32x32), batch 64", VGG_CONFIG_A_LRN, "A-LRN", 0.125f,
          256, 10, 32, 64, 64 },
        { "D (VGG-16, 224x224), batch 64 (4 x 16)", VGG_CONFIG_D, "D", 1.0f, 4096, 1000, 224,
          64, 16 },
    };
    printf("training step (forward, backward, momentum SGD), %d threads\n", threads);
    printf("%-48s %12s %12s %8s\n", "net", "vggtrain", "PyTorch", "ratio");
    printf("%-48s %12s %12s %8s\n", "", "img/s", "img/s", "");
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        if (small_only && c_is_full(&cases[k]))
            continue;
        const bench_case *c = &cases[k];
        int n = steps > 0 ? steps : (c_is_full(c) ? 1 : 20);
        double ours = run_ours(c, threads, n, profile);
        double torch = run_torch(c, threads, n);
        double a = c->batch / ours, b = torch > 0 ? c->batch / torch : 0;
        printf("%-48s %12.1f %12.1f %8.2f\n", c->name, a, b, b > 0 ? a / b : 0.0);
        fflush(stdout);
    }
    printf("ratio: vggtrain images/s over PyTorch images/s (above 1: faster)\n");
    return 0;
}
