/* The evaluation arithmetic of pt_eval_image, against a reference composed
 * here by hand from the forward pass: the 5 x 5 multi-crop grid (offsets
 * worked out by hand, each crop and its mirror image, 50 softmaxes
 * averaged) and dense evaluation (the class score map averaged over its
 * positions, softmax, the same for the mirrored image, the two averaged).
 * The mirror images are made here pixel by pixel, not by the library. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pretrain.h"
#include "vgg/train.h"

enum { C = 5, S = 32 };

static vgg_backend *be;
static vgg_net *net;

static int setup(void **state)
{
    (void)state;
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A);
    a.width = 1.0f / 16;
    a.fc_dim = 16;
    a.num_classes = C;
    a.input_size = S;
    if (vgg_backend_open("cpu", 1, &be) != VGG_STATUS_OK ||
        vgg_net_create(&a, be, &net) != VGG_STATUS_OK ||
        vgg_train_init(net, VGG_INIT_HE, 0, 11) != VGG_STATUS_OK)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vgg_net_free(net);
    vgg_backend_close(be);
    return 0;
}

static vgg_image *test_image(int w, int h)
{
    vgg_image *img = NULL;
    assert_int_equal(vgg_image_new(w, h, &img), VGG_STATUS_OK);
    for (int i = 0; i < w * h * 3; i++)
        img->px[i] = (uint8_t)((i * 53 + (i / (3 * w)) * 17) % 253);
    return img;
}

/* a copy mirrored left to right, pixel by pixel */
static vgg_image *mirrored(const vgg_image *in)
{
    vgg_image *m = NULL;
    assert_int_equal(vgg_image_new(in->w, in->h, &m), VGG_STATUS_OK);
    for (int y = 0; y < in->h; y++)
        for (int x = 0; x < in->w; x++)
            for (int c = 0; c < 3; c++)
                m->px[((size_t)y * in->w + (in->w - 1 - x)) * 3 + c] =
                    in->px[((size_t)y * in->w + x) * 3 + c];
    return m;
}

/* prob += weight * softmax(z), in double */
static void add_softmax(const double *z, double weight, double *prob)
{
    double m = z[0], s = 0;
    for (int c = 1; c < C; c++)
        m = fmax(m, z[c]);
    for (int c = 0; c < C; c++)
        s += exp(z[c] - m);
    for (int c = 0; c < C; c++)
        prob[c] += weight * exp(z[c] - m) / s;
}

/* the class scores averaged over the score map of the whole image */
static void mean_scores(const vgg_image *img, double *z)
{
    int oc, oh, ow;
    assert_int_equal(vgg_net_output_shape(net, img->h, img->w, VGG_OUTPUT_SCORES, &oc, &oh, &ow),
                     VGG_STATUS_OK);
    assert_int_equal(oc, C);
    float *in = malloc(sizeof(float) * 3 * img->w * img->h);
    float *out = malloc(sizeof(float) * (size_t)oc * oh * ow);
    vgg_image_to_input(img, vgg_net_preproc(net), false, in);
    assert_int_equal(vgg_net_forward(net, in, 1, img->h, img->w, VGG_OUTPUT_SCORES, out),
                     VGG_STATUS_OK);
    for (int c = 0; c < C; c++) {
        double s = 0;
        for (int p = 0; p < oh * ow; p++)
            s += out[(size_t)c * oh * ow + p];
        z[c] = s / (oh * ow);
    }
    free(in);
    free(out);
}

static void multicrop_5x5_grid_with_mirrors(void **state)
{
    (void)state;
    /* 40 x 48 at Q = 40: no resizing; crops of 32 leave spans of 8 and
     * 16, so the grid's offsets are x 0, 2, 4, 6, 8 and y 0, 4, 8, 12, 16 */
    vgg_image *img = test_image(40, 48);
    const int xs[5] = { 0, 2, 4, 6, 8 }, ys[5] = { 0, 4, 8, 12, 16 };
    double ref[C] = { 0 };
    for (int gy = 0; gy < 5; gy++)
        for (int gx = 0; gx < 5; gx++) {
            vgg_image *crop = NULL;
            assert_int_equal(vgg_image_crop(img, xs[gx], ys[gy], S, S, &crop), VGG_STATUS_OK);
            vgg_image *mir = mirrored(crop);
            double z[C];
            mean_scores(crop, z);     /* a 32 x 32 crop: a 1 x 1 score map */
            add_softmax(z, 1.0 / 50, ref);
            mean_scores(mir, z);
            add_softmax(z, 1.0 / 50, ref);
            vgg_image_free(crop);
            vgg_image_free(mir);
        }
    float got[C];
    assert_int_equal(pt_eval_image(net, img, 40, PT_MULTICROP, 5, got), VGG_STATUS_OK);
    for (int c = 0; c < C; c++)
        assert_float_equal(got[c], ref[c], 2e-6);
    /* a grid of 4 is a different set of crops: a different answer */
    assert_int_equal(pt_eval_image(net, img, 40, PT_MULTICROP, 4, got), VGG_STATUS_OK);
    double diff = 0;
    for (int c = 0; c < C; c++)
        diff += fabs(got[c] - ref[c]);
    assert_true(diff > 1e-5);
    vgg_image_free(img);
}

static void dense_averages_the_map_then_the_mirror(void **state)
{
    (void)state;
    /* at Q = 64 the 40 x 48 image becomes 64 x 76 (the longer side
     * 64 * 48 / 40 = 76.8 truncated, as torchvision does): after five
     * poolings 2 x 2, a score map of four positions */
    vgg_image *img = test_image(40, 48), *scaled = NULL;
    assert_int_equal(vgg_image_resize_short(img, 64, &scaled), VGG_STATUS_OK);
    assert_int_equal(scaled->w, 64);
    assert_int_equal(scaled->h, 76);
    int oc, oh, ow;
    assert_int_equal(vgg_net_output_shape(net, scaled->h, scaled->w, VGG_OUTPUT_SCORES, &oc, &oh,
                                          &ow), VGG_STATUS_OK);
    assert_int_equal(oh * ow, 4);
    vgg_image *mir = mirrored(scaled);
    double ref[C] = { 0 }, z[C];
    mean_scores(scaled, z);
    add_softmax(z, 0.5, ref);
    mean_scores(mir, z);
    add_softmax(z, 0.5, ref);
    float got[C];
    assert_int_equal(pt_eval_image(net, img, 64, PT_DENSE, 1, got), VGG_STATUS_OK);
    for (int c = 0; c < C; c++)
        assert_float_equal(got[c], ref[c], 2e-6);
    vgg_image_free(mir);
    vgg_image_free(scaled);
    vgg_image_free(img);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(multicrop_5x5_grid_with_mirrors),
        cmocka_unit_test(dense_averages_the_map_then_the_mirror),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
