/* The "cpu" device's int8 precision (--precision int8: net/README.md).
 *
 *  - refused on a CPU without VNNI, saying why (a child process with
 *    oneDNN limited to AVX-512 without VNNI, and to AVX2, by
 *    ONEDNN_MAX_CPU_ISA); refused on cpu-ref, on a GPU and for training;
 *  - the FINISH step (quant.h) against a model written here from its
 *    definition: the real values relu(fma(x, a, b)) in f32, and u8 codes
 *    with the image's largest value at 255 and every value within half a
 *    step of its code; the vector code gives the plain code's bits, for
 *    s32 and f32 inputs, u8 and f32 outputs, with and without ReLU, 1-3
 *    threads;
 *  - where the CPU has VNNI: VGG-16 descriptors (image + flip, Q=256) of a
 *    synthetic picture and of the test photographs within 2.5e-2 relative L2
 *    of fp32 (measured: about 1e-2, printed), not equal to them (int8
 *    really ran), repeatable bit for bit, an image batched with another
 *    the same bits as alone (each image has its own scales); the outputs
 *    pool5 and fc6 near fp32 too; a net with LRN (A-LRN, which needs its
 *    input real) near fp32;
 *  - the class scores (no ReLU after fc8) near fp32, negative values kept;
 *  - weights whose values cannot stay finite: the same error as in fp32.
 * The int8 accuracy cases are skipped, with a message, only where oneDNN
 * reports no VNNI on this CPU: a real capability check (vgg_backend_open_opts
 * refuses), not a missing package. */
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

#include "cpu.h"
#include "quant.h"
#include "vgg/extract.h"
#include "vgg/image.h"
#include "vgg/net.h"
#include "vgg/train.h"
#include "test_nets.h"
#include "test_skip.h"

#define INT8_TOLERANCE 2.5e-2

static vgg_net *net_of(vgg_backend *be, vgg_config_id id, float width)
{
    vgg_arch a;
    vgg_arch_default(&a, id);
    a.width = width;
    vgg_net *net = NULL;
    if (vgg_net_create(&a, be, &net) != VGG_STATUS_OK)
        fail_msg("net: %s", vgg_last_error());
    random_weights(net, 16);
    return net;
}

/* First, before this process uses oneDNN (its ISA is read once). */
static void int8_refused_without_vnni(void **state)
{
    (void)state;
    refused_in_child("int8", "AVX512_CORE", "no VNNI");
    refused_in_child("int8", "AVX2", "no VNNI");
}

static void int8_refused_elsewhere(void **state)
{
    (void)state;
    refused_elsewhere("int8", VGG_PRECISION_INT8);
    vgg_device_opts o;
    assert_int_equal(vgg_device_opts_command("cpu", "int4", NULL, false, &o),
                     VGG_STATUS_INVALID);
    assert_message_has("--precision 'int4': expected fp32, tf32, bf16 or int8");
}

/* The FINISH step against its definition, and the vector code against
 * the plain code, bit for bit. */
static void finish_is_the_stated_map(void **state)
{
    (void)state;
    enum { N = 3, C = 24, HW = 37 };
    const size_t total = (size_t)N * C * HW;
    int32_t *xs = malloc(total * sizeof *xs);
    float *xf = malloc(total * sizeof *xf), *yf = malloc(total * sizeof *yf),
          *yf2 = malloc(total * sizeof *yf2);
    uint8_t *yq = malloc(total), *yq2 = malloc(total);
    assert_true(xs && xf && yf && yf2 && yq && yq2);
    float sin[N] = {0.013f, 2.5f, 0.7f}, scales[C], bias[C], sout[N], sout2[N];
    rng = 5;
    for (size_t k = 0; k < total; k++) {
        xs[k] = (int32_t)(uniform() * 40000.0f);
        xf[k] = uniform() * 3.0f;
    }
    for (int c = 0; c < C; c++) {
        scales[c] = 1e-4f * (1.5f + uniform());
        bias[c] = 0.3f * uniform();
    }
    /* image 2 all below zero after ReLU: scale 1, codes 0 */
    for (size_t k = 2 * (size_t)C * HW; k < total; k++) {
        xs[k] = -40000 - (int32_t)k;
        xf[k] = -5.0f;
    }
    for (int s32 = 0; s32 < 2; s32++)
        for (int u8 = 0; u8 < 2; u8++)
            for (int relu = 0; relu < 2; relu++) {
                if (u8 && !relu)
                    continue;   /* u8 holds a ReLU's output only */
                const void *x = s32 ? (const void *)xs : (const void *)xf;
                const vgg_finish_shape sh = {N, C, HW, s32, u8, relu, 1};
                vgg_finish_plain(&sh, x, u8 ? (void *)yq : (void *)yf, sin, sout, scales, bias);
                for (int i = 0; i < N; i++) {
                    float m = 0.0f;
                    for (size_t pc = 0; pc < (size_t)C * HW; pc++) {
                        const size_t k = (size_t)i * C * HW + pc;
                        const int c = (int)(pc % C);
                        const float a = s32 ? sin[i] * scales[c] : 1.0f;
                        float v = fmaf(s32 ? (float)xs[k] : xf[k], a, bias[c]);
                        v = relu && !(v > 0.0f) ? 0.0f : v;
                        if (!u8)
                            assert_true(yf[k] == v);
                        m = v > m ? v : m;
                    }
                    if (!u8)
                        continue;
                    assert_true(sout[i] == (m > 0.0f ? m / 255.0f : 1.0f));
                    int top = 0;
                    for (size_t pc = 0; pc < (size_t)C * HW; pc++) {
                        const size_t k = (size_t)i * C * HW + pc;
                        const int c = (int)(pc % C);
                        const float a = s32 ? sin[i] * scales[c] : 1.0f;
                        float v = fmaf(s32 ? (float)xs[k] : xf[k], a, bias[c]);
                        v = v > 0.0f ? v : 0.0f;
                        top = yq[k] > top ? yq[k] : top;
                        /* within half a step (and a rounding) of the value */
                        if (fabsf((float)yq[k] * sout[i] - v) > 0.5f * sout[i] * 1.0001f)
                            fail_msg("image %d, value %zu: code %d for %g (step %g)", i, pc,
                                     yq[k], v, sout[i]);
                    }
                    assert_int_equal(top, m > 0.0f ? 255 : 0);
                }
                /* the vector code: the same bits, 1-3 threads */
                if (!vgg_finish_compiled || !vgg_wino_supported())
                    continue;
                for (int t = 1; t <= 3; t++) {
                    const vgg_finish_shape sv = {N, C, HW, s32, u8, relu, t};
                    memset(yf2, 0xff, total * sizeof *yf2);
                    memset(yq2, 0xab, total);
                    vgg_finish_avx2(&sv, x, u8 ? (void *)yq2 : (void *)yf2, sin, sout2, scales,
                                    bias);
                    if (u8) {
                        assert_memory_equal(yq, yq2, total);
                        assert_memory_equal(sout, sout2, sizeof sout);
                    } else {
                        assert_memory_equal(yf, yf2, total * sizeof *yf);
                    }
                }
            }
    if (!vgg_finish_compiled || !vgg_wino_supported())
        printf("  (the vector code not compared: no AVX2 + FMA here)\n");
    free(xs);
    free(xf);
    free(yf);
    free(yf2);
    free(yq);
    free(yq2);
}

/* the descriptor in int8 against fp32 on one image (compare_to_fp32) */
static double compare(vgg_extractor *ex32, vgg_extractor *exq, const vgg_image *img,
                      const char *what)
{
    return compare_to_fp32(ex32, exq, img, what, "int8", INT8_TOLERANCE, 1e-4);
}

static void int8_descriptors_near_fp32(void **state)
{
    (void)state;
    vgg_backend *b8 = open_cpu("int8");
    if (!b8)
        skip_here("%s", vgg_last_error());
    vgg_backend *b32 = open_cpu(NULL);
    vgg_net *n32 = net_of(b32, VGG_CONFIG_D, 1.0f), *n8 = net_of(b8, VGG_CONFIG_D, 1.0f);
    vgg_extractor *e32 = extractor(n32, 256, VGG_OUTPUT_FC7);
    vgg_extractor *e8 = extractor(n8, 256, VGG_OUTPUT_FC7);
    vgg_image *img = picture(400, 300, 99);
    compare(e32, e8, img, "VGG-16 Q=256 fc7, synthetic picture");
    vgg_image_free(img);
    const char *photos[] = { VGG_FIXTURES "/extract/imgs/d.jpg",
                             VGG_FIXTURES "/extract/imgs/a.png" };
    for (size_t i = 0; i < sizeof photos / sizeof *photos; i++) {
        assert_int_equal(vgg_image_load(photos[i], NULL, &img), VGG_STATUS_OK);
        compare(e32, e8, img, strrchr(photos[i], '/') + 1);
        vgg_image_free(img);
    }
    /* an image batched with another: the same bits as alone */
    const int dim = vgg_extractor_dim(e8);
    vgg_image *im[2] = { picture(400, 300, 7), picture(400, 300, 8) };
    vgg_prepared *p[2];
    float *one = malloc(sizeof(float) * 2 * dim), *two = malloc(sizeof(float) * 2 * dim);
    assert_true(one && two);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(vgg_extractor_prepare(e8, im[i], &p[i]), VGG_STATUS_OK);
        assert_int_equal(vgg_extractor_run(e8, &p[i], 1, 1, one + (size_t)i * dim),
                         VGG_STATUS_OK);
    }
    assert_int_equal(vgg_extractor_run(e8, p, 2, 2, two), VGG_STATUS_OK);
    assert_memory_equal(one, two, sizeof(float) * 2 * dim);
    /* the outputs pool5 and fc6 */
    const vgg_output outs[] = { VGG_OUTPUT_POOL5, VGG_OUTPUT_FC6 };
    const char *names[] = { "pool5", "fc6" };
    for (int k = 0; k < 2; k++) {
        vgg_extractor *x32 = extractor(n32, 256, outs[k]), *x8 = extractor(n8, 256, outs[k]);
        char what[64];
        snprintf(what, sizeof what, "VGG-16 Q=256 %s, synthetic picture", names[k]);
        compare(x32, x8, im[0], what);
        vgg_extractor_free(x32);
        vgg_extractor_free(x8);
    }
    for (int i = 0; i < 2; i++) {
        vgg_prepared_free(p[i]);
        vgg_image_free(im[i]);
    }
    free(one);
    free(two);
    vgg_extractor_free(e32);
    vgg_extractor_free(e8);
    vgg_net_free(n32);
    vgg_net_free(n8);
    /* LRN (A-LRN) takes real values: made f32 before it */
    vgg_net *l32 = net_of(b32, VGG_CONFIG_A_LRN, 0.25f), *l8 = net_of(b8, VGG_CONFIG_A_LRN, 0.25f);
    e32 = extractor(l32, 256, VGG_OUTPUT_FC7);
    e8 = extractor(l8, 256, VGG_OUTPUT_FC7);
    img = picture(340, 256, 3);
    compare(e32, e8, img, "A-LRN/4 Q=256 fc7, synthetic picture");
    vgg_image_free(img);
    vgg_extractor_free(e32);
    vgg_extractor_free(e8);
    vgg_net_free(l32);
    vgg_net_free(l8);
    vgg_backend_close(b32);
    vgg_backend_close(b8);
}

/* The class scores (fc8, no ReLU: negative values) of a dense forward:
 * the fc layers' last sums are made real without the ReLU. */
static void int8_scores_near_fp32(void **state)
{
    (void)state;
    vgg_backend *b8 = open_cpu("int8");
    if (!b8)
        skip_here("%s", vgg_last_error());
    vgg_backend *b32 = open_cpu(NULL);
    vgg_net *n32 = net_of(b32, VGG_CONFIG_A, 0.25f), *n8 = net_of(b8, VGG_CONFIG_A, 0.25f);
    enum { N = 2, H = 256, W = 288 };
    int oc, oh, ow;
    assert_int_equal(vgg_net_output_shape(n32, H, W, VGG_OUTPUT_SCORES, &oc, &oh, &ow),
                     VGG_STATUS_OK);
    const size_t nx = (size_t)N * 3 * H * W, ny = (size_t)N * oc * oh * ow;
    float *x = malloc(nx * sizeof *x), *a = malloc(ny * sizeof *a), *b = malloc(ny * sizeof *b);
    assert_true(x && a && b);
    rng = 11;
    for (size_t i = 0; i < nx; i++)
        x[i] = uniform() * 2.0f;
    assert_int_equal(vgg_net_forward(n32, x, N, H, W, VGG_OUTPUT_SCORES, a), VGG_STATUS_OK);
    assert_int_equal(vgg_net_forward(n8, x, N, H, W, VGG_OUTPUT_SCORES, b), VGG_STATUS_OK);
    size_t negative = 0;
    for (size_t i = 0; i < ny; i++)
        negative += a[i] < 0.0f && b[i] < 0.0f;
    const double e = rel_l2(b, a, ny);
    printf("  A/4 scores (%d x %dx%d a map): int8 vs fp32 rel L2 %.2e, %zu of %zu negative in "
           "both\n", oc, oh, ow, e, negative, ny);
    assert_true(e <= INT8_TOLERANCE && e > 1e-4);
    assert_true(negative > ny / 4);   /* no ReLU on the scores */
    free(x);
    free(a);
    free(b);
    vgg_net_free(n32);
    vgg_net_free(n8);
    vgg_backend_close(b32);
    vgg_backend_close(b8);
}

/* The net's checks come before the precision: weights whose values
 * cannot stay finite are an error in int8 too, never a row of zeros. */
static void int8_out_of_range_weights_are_an_error(void **state)
{
    (void)state;
    vgg_backend *b8 = open_cpu("int8");
    if (!b8)
        skip_here("%s", vgg_last_error());
    vgg_net *net = net_of(b8, VGG_CONFIG_A, 0.25f);
    vgg_extractor *ex = extractor(net, 256, VGG_OUTPUT_FC7);
    vgg_image *img = picture(340, 256, 4);
    float *row = malloc(sizeof(float) * vgg_extractor_dim(ex));
    assert_non_null(row);
    assert_int_equal(vgg_extractor_compute(ex, img, row), VGG_STATUS_OK);
    vgg_net_find_param(net, "features.0.weight")->data[0] = 3e38f;
    assert_int_equal(vgg_net_params_changed(net), VGG_STATUS_OK);
    assert_int_equal(vgg_extractor_compute(ex, img, row), VGG_STATUS_NUMERIC);
    assert_message_has("layer conv1_1: made values that can reach");
    free(row);
    vgg_image_free(img);
    vgg_extractor_free(ex);
    vgg_net_free(net);
    vgg_backend_close(b8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(int8_refused_without_vnni),
        cmocka_unit_test(int8_refused_elsewhere),
        cmocka_unit_test(finish_is_the_stated_map),
        cmocka_unit_test(int8_descriptors_near_fp32),
        cmocka_unit_test(int8_scores_near_fp32),
        cmocka_unit_test(int8_out_of_range_weights_are_an_error),
    };
    return tests_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
