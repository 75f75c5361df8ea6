/* The "cpu" device's batching and its bf16 precision.
 *
 *  - batching: an image and its flip go through the oneDNN chain as one
 *    call of 2 images, and vgg_extractor_run with batch N runs the N
 *    same-sized images (2N with their flips) as one call, giving the
 *    descriptors of one image at a time within 1e-6 relative L2 (at full
 *    size oneDNN may pick other convolution kernels for another batch,
 *    so the bits may differ: the test prints whether they do);
 *  - bf16 (--precision bf16): refused on cpu-ref, on a GPU and for
 *    training; refused, saying why, on a CPU without bf16 instructions
 *    (checked in a child process with oneDNN limited to AVX-512 without
 *    bf16 by ONEDNN_MAX_CPU_ISA); where the CPU has them, VGG-16
 *    descriptors (image + flip, Q=256) of a synthetic picture and of the
 *    test photographs within 3e-2 relative L2 of fp32 (measured: about
 *    1e-2, printed), not equal to them (bf16 really ran), repeatable bit
 *    for bit, and batched within 1e-6 of one at a time.
 * The bf16 accuracy cases are skipped, with a message, only where oneDNN
 * reports no bf16 instructions on this CPU: that is a real capability
 * check (vgg_backend_open_opts refuses), not a missing package. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend.h"
#include "cpu.h"
#include "vgg/extract.h"
#include "vgg/image.h"
#include "vgg/net.h"
#include "vgg/train.h"
#include "test_skip.h"

#define BF16_TOLERANCE 3e-2

static uint64_t rng;

static float uniform(void)   /* [-1, 1) */
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(rng >> 40) / 16777216.0f * 2.0f - 1.0f;
}

static double rel_l2(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* Batched descriptors against one image at a time. */
static void assert_batch_agrees(const float *one, const float *batched, size_t n,
                                const char *what)
{
    double e = rel_l2(batched, one, n);
    printf("  %s: batched vs one at a time rel L2 %.2e (%s)\n", what, e,
           memcmp(one, batched, n * sizeof *one) == 0 ? "same bits" : "other bits");
    if (!(e <= 1e-6))
        fail_msg("%s: batched descriptors %.3e from one at a time", what, e);
}

static void assert_message_has(const char *part)
{
    if (!strstr(vgg_last_error(), part))
        fail_msg("message '%s' lacks '%s'", vgg_last_error(), part);
}

/* He-scaled uniform weights, small positive biases. */
static void random_weights(vgg_net *net, uint64_t seed)
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
static vgg_image *picture(int w, int h, uint64_t seed)
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

static vgg_backend *open_cpu(const char *precision)
{
    vgg_device_opts o;
    assert_int_equal(vgg_device_opts_command("cpu", precision, NULL, false, &o), VGG_STATUS_OK);
    vgg_backend *be = NULL;
    vgg_status st = vgg_backend_open_opts("cpu", 2, &o, &be);
    if (st == VGG_STATUS_UNSUPPORTED && precision && strcmp(precision, "bf16") == 0)
        return NULL;
    assert_int_equal(st, VGG_STATUS_OK);
    return be;
}

static vgg_net *vgg16(vgg_backend *be)
{
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_D);
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    random_weights(net, 16);
    return net;
}

static vgg_extractor *extractor(vgg_net *net, int q)
{
    vgg_extract_opts o;
    vgg_extract_opts_default(&o);
    o.scales[0] = q;
    o.l2 = false;
    vgg_extractor *ex = NULL;
    const char *name = "net";
    assert_int_equal(vgg_extractor_create(&net, &name, 1, &o, &ex), VGG_STATUS_OK);
    return ex;
}

/* First, before this process uses oneDNN: a child whose oneDNN may use
 * AVX-512 but not its bf16 instructions must be refused, saying why. */
static void bf16_refused_without_the_instructions(void **state)
{
    (void)state;
    fflush(stdout);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE", 1);
        vgg_device_opts o;
        vgg_backend *be = NULL;
        int bad = vgg_device_opts_command("cpu", "bf16", NULL, false, &o) != VGG_STATUS_OK ||
                  vgg_backend_open_opts("cpu", 1, &o, &be) != VGG_STATUS_UNSUPPORTED ||
                  be != NULL || !strstr(vgg_last_error(), "device 'cpu': ") ||
                  !strstr(vgg_last_error(), "no bf16 instructions") ||
                  !strstr(vgg_last_error(), "ONEDNN_MAX_CPU_ISA") ||
                  !strstr(vgg_last_error(), "--precision fp32");
        if (bad)
            fprintf(stderr, "child: '%s'\n", vgg_last_error());
        _exit(bad);
    }
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

static void bf16_refused_elsewhere(void **state)
{
    (void)state;
    vgg_device_opts o;
    vgg_backend *be = NULL;
    /* the option parses */
    assert_int_equal(vgg_device_opts_command("cpu-ref", "bf16", NULL, false, &o), VGG_STATUS_OK);
    assert_int_equal(o.precision, VGG_PRECISION_BF16);
    /* the reference stays fp32 */
    assert_int_equal(vgg_backend_open_opts("cpu-ref", 1, &o, &be), VGG_STATUS_INVALID);
    assert_null(be);
    assert_message_has("device 'cpu-ref' is the fp32 reference: precision bf16 needs the device cpu");
    /* a GPU computes fp32 or tf32 (refused before any driver is asked) */
    assert_int_equal(vgg_backend_open_opts("cuda:0", 1, &o, &be), VGG_STATUS_INVALID);
    assert_null(be);
    assert_message_has("precision bf16 is for the device cpu");
    /* training on a bf16 backend */
    be = open_cpu("bf16");
    if (!be) {
        printf("  (bf16 training refusal not checked: %s)\n", vgg_last_error());
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
    assert_message_has("precision bf16 is for extraction");
    vgg_net_free(net);
    vgg_backend_close(be);
}

/* An image and its flip are one call of 2; batch N same-sized images one
 * call of 2N; the descriptors are the same bits either way. */
static void images_and_flips_go_through_together(void **state)
{
    (void)state;
    vgg_backend *be = open_cpu(NULL);
    vgg_net *net = vgg16(be);
    vgg_extractor *ex = extractor(net, 224);
    const int dim = vgg_extractor_dim(ex);
    vgg_image *img[3];
    vgg_prepared *p[3];
    for (int i = 0; i < 3; i++) {
        img[i] = picture(300, 224, 100 + i);
        assert_int_equal(vgg_extractor_prepare(ex, img[i], &p[i]), VGG_STATUS_OK);
    }
    float *one = malloc(sizeof(float) * 3 * dim), *batched = malloc(sizeof(float) * 3 * dim);
    assert_non_null(one);
    assert_non_null(batched);
    uint64_t c0, c1;
    int n;
    vgg_dnnl_calls(be, &c0, &n);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(vgg_extractor_run(ex, &p[i], 1, 1, one + (size_t)i * dim),
                         VGG_STATUS_OK);
        vgg_dnnl_calls(be, &c1, &n);
        assert_int_equal(c1 - c0, (uint64_t)i + 1);   /* one call per image... */
        assert_int_equal(n, 2);                        /* ... of the image and its flip */
    }
    vgg_dnnl_calls(be, &c0, &n);
    assert_int_equal(vgg_extractor_run(ex, p, 3, 3, batched), VGG_STATUS_OK);
    vgg_dnnl_calls(be, &c1, &n);
    assert_int_equal(c1 - c0, 1);
    assert_int_equal(n, 6);
    assert_batch_agrees(one, batched, (size_t)3 * dim, "fp32, batch 3 of 3");
    /* batch 2 of 3: a call of 4, then one of 2 */
    vgg_dnnl_calls(be, &c0, &n);
    assert_int_equal(vgg_extractor_run(ex, p, 3, 2, batched), VGG_STATUS_OK);
    vgg_dnnl_calls(be, &c1, &n);
    assert_int_equal(c1 - c0, 2);
    assert_int_equal(n, 2);
    assert_batch_agrees(one, batched, (size_t)3 * dim, "fp32, batch 2 of 3");
    /* the rule (batch 0): 300x224 with its flip is 134,400 pixels, two
     * images fit 4 x 256x384, three do not: a call of 4, then one of 2 */
    vgg_dnnl_calls(be, &c0, &n);
    assert_int_equal(vgg_extractor_run(ex, p, 3, 0, batched), VGG_STATUS_OK);
    vgg_dnnl_calls(be, &c1, &n);
    assert_int_equal(c1 - c0, 2);
    assert_int_equal(n, 2);
    assert_batch_agrees(one, batched, (size_t)3 * dim, "fp32, --batch auto over 3");
    for (int i = 0; i < 3; i++) {
        vgg_prepared_free(p[i]);
        vgg_image_free(img[i]);
    }
    free(one);
    free(batched);
    vgg_extractor_free(ex);
    vgg_net_free(net);
    vgg_backend_close(be);
}

/* bf16 against fp32 on one image: within the tolerance, not equal. */
static double compare(vgg_extractor *ex32, vgg_extractor *ex16, const vgg_image *img,
                      const char *what)
{
    const int dim = vgg_extractor_dim(ex32);
    float *a = malloc(sizeof(float) * dim), *b = malloc(sizeof(float) * dim),
          *c = malloc(sizeof(float) * dim);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_int_equal(vgg_extractor_compute(ex32, img, a), VGG_STATUS_OK);
    assert_int_equal(vgg_extractor_compute(ex16, img, b), VGG_STATUS_OK);
    assert_int_equal(vgg_extractor_compute(ex16, img, c), VGG_STATUS_OK);
    double e = rel_l2(b, a, dim);
    printf("  VGG-16 Q=256 descriptor (image + flip), %s (%dx%d): bf16 vs fp32 rel L2 %.2e\n",
           what, img->w, img->h, e);
    if (!(e <= BF16_TOLERANCE))
        fail_msg("%s: bf16 relative L2 %.3e above %.0e", what, e, BF16_TOLERANCE);
    if (!(e > 1e-5))
        fail_msg("%s: bf16 within %.1e of fp32: was bf16 computed at all?", what, e);
    assert_memory_equal(b, c, sizeof(float) * dim);   /* repeatable */
    free(a);
    free(b);
    free(c);
    return e;
}

static void bf16_descriptors_near_fp32(void **state)
{
    (void)state;
    vgg_backend *b16 = open_cpu("bf16");
    if (!b16)
        skip_here("%s", vgg_last_error());
    vgg_backend *b32 = open_cpu(NULL);
    vgg_net *n32 = vgg16(b32), *n16 = vgg16(b16);
    vgg_extractor *e32 = extractor(n32, 256), *e16 = extractor(n16, 256);
    vgg_image *img = picture(400, 300, 99);
    compare(e32, e16, img, "synthetic picture");
    vgg_image_free(img);
    const char *photos[] = { VGG_FIXTURES "/extract/imgs/d.jpg",
                             VGG_FIXTURES "/extract/imgs/a.png",
                             VGG_FIXTURES "/extract/imgs/b.png" };
    for (size_t i = 0; i < sizeof photos / sizeof *photos; i++) {
        assert_int_equal(vgg_image_load(photos[i], NULL, &img), VGG_STATUS_OK);
        compare(e32, e16, img, strrchr(photos[i], '/') + 1);
        vgg_image_free(img);
    }
    /* batched bf16 is the same bits as one at a time */
    const int dim = vgg_extractor_dim(e16);
    vgg_image *im[2] = { picture(400, 300, 7), picture(400, 300, 8) };
    vgg_prepared *p[2];
    float *one = malloc(sizeof(float) * 2 * dim), *two = malloc(sizeof(float) * 2 * dim);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(vgg_extractor_prepare(e16, im[i], &p[i]), VGG_STATUS_OK);
        assert_int_equal(vgg_extractor_run(e16, &p[i], 1, 1, one + (size_t)i * dim),
                         VGG_STATUS_OK);
    }
    assert_int_equal(vgg_extractor_run(e16, p, 2, 2, two), VGG_STATUS_OK);
    assert_batch_agrees(one, two, (size_t)2 * dim, "bf16, batch 2 of 2");
    for (int i = 0; i < 2; i++) {
        vgg_prepared_free(p[i]);
        vgg_image_free(im[i]);
    }
    free(one);
    free(two);
    vgg_extractor_free(e32);
    vgg_extractor_free(e16);
    vgg_net_free(n32);
    vgg_net_free(n16);
    vgg_backend_close(b32);
    vgg_backend_close(b16);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bf16_refused_without_the_instructions),
        cmocka_unit_test(bf16_refused_elsewhere),
        cmocka_unit_test(images_and_flips_go_through_together),
        cmocka_unit_test(bf16_descriptors_near_fp32),
    };
    return tests_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
