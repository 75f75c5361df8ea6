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
#include "test_nets.h"
#include "test_skip.h"

#define BF16_TOLERANCE 3e-2

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

static vgg_net *vgg16(vgg_backend *be)
{
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_D);
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    random_weights(net, 16);
    return net;
}

/* First, before this process uses oneDNN: a child whose oneDNN may use
 * AVX-512 but not its bf16 instructions must be refused, saying why. */
static void bf16_refused_without_the_instructions(void **state)
{
    (void)state;
    refused_in_child("bf16", "AVX512_CORE", "no bf16 instructions");
}

static void bf16_refused_elsewhere(void **state)
{
    (void)state;
    refused_elsewhere("bf16", VGG_PRECISION_BF16);
}

/* An image and its flip are one call of 2; batch N same-sized images one
 * call of 2N; the descriptors are the same bits either way. */
static void images_and_flips_go_through_together(void **state)
{
    (void)state;
    vgg_backend *be = open_cpu(NULL);
    vgg_net *net = vgg16(be);
    vgg_extractor *ex = extractor(net, 224, VGG_OUTPUT_FC7);
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

/* the descriptor in bf16 against fp32 on one image (compare_to_fp32) */
static double compare(vgg_extractor *ex32, vgg_extractor *exq, const vgg_image *img,
                      const char *what)
{
    char label[160];
    snprintf(label, sizeof label, "VGG-16 Q=256 descriptor (image + flip), %s", what);
    return compare_to_fp32(ex32, exq, img, label, "bf16", BF16_TOLERANCE, 1e-5);
}

static void bf16_descriptors_near_fp32(void **state)
{
    (void)state;
    vgg_backend *b16 = open_cpu("bf16");
    if (!b16)
        skip_here("%s", vgg_last_error());
    vgg_backend *b32 = open_cpu(NULL);
    vgg_net *n32 = vgg16(b32), *n16 = vgg16(b16);
    vgg_extractor *e32 = extractor(n32, 256, VGG_OUTPUT_FC7);
    vgg_extractor *e16 = extractor(n16, 256, VGG_OUTPUT_FC7);
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
