/* Shared by the tests of the "cpu" device's precisions (test_net_bf16.c,
 * test_net_int8.c): a seeded generator, the relative L2 distance, He-scaled
 * random weights, a natural-looking picture, the backend and extractor
 * they run, and the refusals every reduced precision shares.  Include
 * after cmocka.h. */
#ifndef VGG_TEST_NETS_H
#define VGG_TEST_NETS_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgg/extract.h"
#include "vgg/image.h"
#include "vgg/net.h"
#include "vgg/train.h"

#define TEST_NETS_UNUSED __attribute__((unused))

static uint64_t rng;

static TEST_NETS_UNUSED float uniform(void)   /* [-1, 1) */
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(rng >> 40) / 16777216.0f * 2.0f - 1.0f;
}

/* ||a - b|| / ||b|| */
static TEST_NETS_UNUSED double rel_l2(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* He-scaled uniform weights, small positive biases. */
static TEST_NETS_UNUSED void random_weights(vgg_net *net, uint64_t seed)
{
    rng = seed;
    for (int i = 0; i < vgg_net_param_count(net); i++) {
        vgg_param *p = vgg_net_param(net, i);
        double fan_in = p->ndim == 4 ? (double)(p->shape[1] * p->shape[2] * p->shape[3]) : 1.0;
        float scale = p->ndim == 4 ? (float)sqrt(6.0 / fan_in) : 0.05f;
        for (size_t j = 0; j < p->numel; j++)
            p->data[j] = p->ndim == 4 ? uniform() * scale : 0.01f + uniform() * scale;
    }
}

/* A natural-looking picture: shading, a disc, a box, texture, noise. */
static TEST_NETS_UNUSED vgg_image *picture(int w, int h, uint64_t seed)
{
    vgg_image *img = NULL;
    assert_int_equal(vgg_image_new(w, h, &img), VGG_STATUS_OK);
    rng = seed;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double u = (double)x / w, v = (double)y / h;
            double disc = (u - 0.3) * (u - 0.3) + (v - 0.6) * (v - 0.6) < 0.02 ? 1.0 : 0.0;
            double box = u > 0.55 && u < 0.85 && v > 0.5 && v < 0.9 ? 1.0 : 0.0;
            double tex = 0.5 + 0.5 * sin(40 * u + 13 * sin(9 * v)) * cos(31 * v);
            for (int c = 0; c < 3; c++) {
                double base = v < 0.45 ? 150 + 80 * (1 - v) - 30 * c : 60 + 40 * tex + 15 * c;
                base = disc ? 200 - 70 * c + 20 * tex : base;
                base = box ? 40 + 60 * c * (0.5 + 0.5 * sin(20 * u)) : base;
                base += 6 * uniform();
                img->px[(y * w + x) * 3 + c] = (uint8_t)(base < 0 ? 0 : base > 255 ? 255 : base);
            }
        }
    return img;
}

static TEST_NETS_UNUSED void assert_message_has(const char *part)
{
    if (!strstr(vgg_last_error(), part))
        fail_msg("message '%s' lacks '%s'", vgg_last_error(), part);
}

/* "cpu" at precision (NULL: fp32), 2 threads; NULL where this CPU has not
 * the instructions of a reduced precision (UNSUPPORTED, the message set) */
static TEST_NETS_UNUSED vgg_backend *open_cpu(const char *precision)
{
    vgg_device_opts o;
    assert_int_equal(vgg_device_opts_command("cpu", precision, NULL, false, &o), VGG_STATUS_OK);
    vgg_backend *be = NULL;
    vgg_status st = vgg_backend_open_opts("cpu", 2, &o, &be);
    if (st == VGG_STATUS_UNSUPPORTED && o.precision != VGG_PRECISION_FP32)
        return NULL;
    assert_int_equal(st, VGG_STATUS_OK);
    return be;
}

/* one net's descriptor of layer at scale q, flips, no L2 */
static TEST_NETS_UNUSED vgg_extractor *extractor(vgg_net *net, int q, vgg_output layer)
{
    vgg_extract_opts o;
    vgg_extract_opts_default(&o);
    o.scales[0] = q;
    o.l2 = false;
    o.layer = layer;
    vgg_extractor *ex = NULL;
    const char *name = "net";
    if (vgg_extractor_create(&net, &name, 1, &o, &ex) != VGG_STATUS_OK)
        fail_msg("extractor: %s", vgg_last_error());
    return ex;
}

/* A child whose oneDNN may use no more than isa (ONEDNN_MAX_CPU_ISA) is
 * refused precision on "cpu", the message saying why (lacks), naming the
 * variable and --precision fp32.  Run it before the process uses oneDNN
 * (its ISA is read once). */
static TEST_NETS_UNUSED void refused_in_child(const char *precision, const char *isa,
                                              const char *lacks)
{
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("ONEDNN_MAX_CPU_ISA", isa, 1);
        vgg_device_opts o;
        vgg_backend *be = NULL;
        int bad = vgg_device_opts_command("cpu", precision, NULL, false, &o) != VGG_STATUS_OK ||
                  vgg_backend_open_opts("cpu", 1, &o, &be) != VGG_STATUS_UNSUPPORTED ||
                  be != NULL || !strstr(vgg_last_error(), "device 'cpu': ") ||
                  !strstr(vgg_last_error(), lacks) ||
                  !strstr(vgg_last_error(), "ONEDNN_MAX_CPU_ISA") ||
                  !strstr(vgg_last_error(), "--precision fp32");
        if (bad)
            fprintf(stderr, "child (%s): '%s'\n", isa, vgg_last_error());
        _exit(bad);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* exq's descriptor of img (computed in precision) against ex32's (fp32):
 * printed, within tol, farther than floor (the precision really ran), the
 * same bits when computed again; the distance */
static TEST_NETS_UNUSED double compare_to_fp32(vgg_extractor *ex32, vgg_extractor *exq,
                                               const vgg_image *img, const char *what,
                                               const char *precision, double tol, double floor)
{
    const int dim = vgg_extractor_dim(ex32);
    float *a = malloc(sizeof(float) * dim), *b = malloc(sizeof(float) * dim),
          *c = malloc(sizeof(float) * dim);
    assert_true(a && b && c);
    assert_int_equal(vgg_extractor_compute(ex32, img, a), VGG_STATUS_OK);
    assert_int_equal(vgg_extractor_compute(exq, img, b), VGG_STATUS_OK);
    assert_int_equal(vgg_extractor_compute(exq, img, c), VGG_STATUS_OK);
    double e = rel_l2(b, a, dim);
    printf("  %s (%dx%d): %s vs fp32 rel L2 %.2e\n", what, img->w, img->h, precision, e);
    if (!(e <= tol))
        fail_msg("%s: %s relative L2 %.3e above %.1e", what, precision, e, tol);
    if (!(e > floor))
        fail_msg("%s: %s within %.1e of fp32: was %s computed at all?", what, precision, e,
                 precision);
    assert_memory_equal(b, c, sizeof(float) * dim);   /* repeatable */
    free(a);
    free(b);
    free(c);
    return e;
}

/* A reduced precision is refused on the reference, on a GPU and, where
 * this CPU has it, for training, each saying why. */
static TEST_NETS_UNUSED void refused_elsewhere(const char *precision, vgg_precision value)
{
    vgg_device_opts o;
    vgg_backend *be = NULL;
    char want[160];
    assert_int_equal(vgg_device_opts_command("cpu-ref", precision, NULL, false, &o),
                     VGG_STATUS_OK);
    assert_int_equal(o.precision, value);
    assert_int_equal(vgg_backend_open_opts("cpu-ref", 1, &o, &be), VGG_STATUS_INVALID);
    assert_null(be);
    snprintf(want, sizeof want, "device 'cpu-ref' is the fp32 reference: precision %s needs "
             "the device cpu", precision);
    assert_message_has(want);
    assert_int_equal(vgg_backend_open_opts("cuda:0", 1, &o, &be), VGG_STATUS_INVALID);
    assert_null(be);
    snprintf(want, sizeof want, "precision %s is for the device cpu", precision);
    assert_message_has(want);
    be = open_cpu(precision);
    if (!be) {
        printf("  (%s training refusal not checked: %s)\n", precision, vgg_last_error());
        return;
    }
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A);
    a.width = 0.125f;
    a.fc_dim = 16;
    a.num_classes = 4;
    a.input_size = 32;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    vgg_train_opts to;
    vgg_train_opts_default(&to);
    vgg_trainer *t = NULL;
    assert_int_equal(vgg_trainer_create(net, &to, &t), VGG_STATUS_INVALID);
    assert_null(t);
    snprintf(want, sizeof want, "precision %s is for extraction", precision);
    assert_message_has(want);
    vgg_net_free(net);
    vgg_backend_close(be);
}

#endif
