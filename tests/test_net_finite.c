/* net/: weights whose values cannot stay finite through the net, and
 * non-finite inputs and weights, are errors on every backend, the same
 * error on "cpu" (oneDNN) and "cpu-ref" (the reference), never a
 * plausible row (a NaN that a ReLU turns into 0, an overflow inside
 * Winograd's transforms); weights that stay in range keep working, scaled
 * by powers of two exactly as the maths says, and the paper's full-size
 * nets with the usual initialisations are far inside the range. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net_internal.h"
#include "test_util.h"
#include "vgg/train.h"

enum { N_BE = 2, H = 64, W = 80, N_IMG = 2 };
static const char *const devices[N_BE] = { "cpu", "cpu-ref" };
static vgg_backend *bes[N_BE];

static int setup(void **state)
{
    if (setup_dir(state) != 0)
        return -1;
    for (int b = 0; b < N_BE; b++)
        if (vgg_backend_open(devices[b], 1, &bes[b]) != VGG_STATUS_OK)
            return -1;
    return 0;
}

static int teardown(void **state)
{
    for (int b = 0; b < N_BE; b++)
        vgg_backend_close(bes[b]);
    return teardown_dir(state);
}

/* config A at 1/4 width (conv channels 16 ... 128: Winograd's shapes on
 * "cpu"), fc 32, 5 classes, 64x64; seeded weights of both signs, scaled
 * by the fan-in as He's; biases small, or zero */
static vgg_net *small_net(vgg_backend *be, bool biases)
{
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A);
    a.width = 0.25f;
    a.fc_dim = 32;
    a.num_classes = 5;
    a.input_size = 64;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    uint64_t s = 7;
    for (int i = 0; i < vgg_net_param_count(net); i++) {
        vgg_param *p = vgg_net_param(net, i);
        const double fan = p->ndim == 4 ? (double)(p->shape[1] * p->shape[2] * p->shape[3]) : 1;
        for (size_t j = 0; j < p->numel; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            const float u = (float)(s >> 40) / 16777216.0f * 2.0f - 1.0f;
            p->data[j] = p->ndim == 4 ? u * (float)sqrt(6.0 / fan) : biases ? 0.01f * u : 0.0f;
        }
    }
    assert_int_equal(vgg_net_params_changed(net), VGG_STATUS_OK);
    return net;
}

/* two 64x80 images as torchvision's preprocessing makes them (within
 * [-2.12, 2.64]) */
static float *images(void)
{
    float *x = malloc(sizeof(float) * N_IMG * 3 * H * W);
    assert_non_null(x);
    for (int i = 0; i < N_IMG * 3 * H * W; i++)
        x[i] = 2.0f * sinf(0.37f * (float)i);
    return x;
}

static void assert_error_has(const char *part)
{
    if (!strstr(vgg_last_error(), part))
        fail_msg("message '%s' lacks '%s'", vgg_last_error(), part);
}

/* the descriptor (fc7, pooled) and the scores of both images on every
 * backend: each the status want, with the same message on every backend */
static void expect_on_both(vgg_net *const nets[N_BE], const float *x, vgg_status want,
                           const char *part)
{
    char msg[N_BE][2][1024];
    for (int b = 0; b < N_BE; b++)
        for (int k = 0; k < 2; k++) {
            float out[N_IMG * 32];
            vgg_status st = k == 0 ? vgg_net_forward_pooled(nets[b], x, N_IMG, H, W,
                                                            VGG_OUTPUT_FC7, out)
                                   : vgg_net_forward(nets[b], x, N_IMG, H, W, VGG_OUTPUT_SCORES,
                                                     out);
            if (st != want)
                fail_msg("%s, %s: status %s, expected %s (%s)", devices[b],
                         k == 0 ? "fc7" : "scores", vgg_status_name(st),
                         vgg_status_name(want), st ? vgg_last_error() : "no message");
            snprintf(msg[b][k], sizeof msg[b][k], "%s", st ? vgg_last_error() : "");
            if (want != VGG_STATUS_OK)
                assert_error_has(part);
        }
    for (int b = 1; b < N_BE; b++)
        for (int k = 0; k < 2; k++)
            assert_string_equal(msg[b][k], msg[0][k]);
}

static void nets_on_both(vgg_net *nets[N_BE], bool biases)
{
    for (int b = 0; b < N_BE; b++)
        nets[b] = small_net(bes[b], biases);
}

static void free_both(vgg_net *nets[N_BE])
{
    for (int b = 0; b < N_BE; b++)
        vgg_net_free(nets[b]);
}

/* issue 24: 3e38 in conv1_1 gave all-zero descriptors on cpu and others,
 * unit-normed, on cpu-ref, with no word */
static void huge_conv1_weight_is_an_error_on_both_backends(void **state)
{
    (void)state;
    vgg_net *nets[N_BE];
    nets_on_both(nets, true);
    float *x = images();
    expect_on_both(nets, x, VGG_STATUS_OK, NULL);
    for (int b = 0; b < N_BE; b++) {
        vgg_net_find_param(nets[b], "features.0.weight")->data[0] = 3e38f;
        assert_int_equal(vgg_net_params_changed(nets[b]), VGG_STATUS_OK);
    }
    expect_on_both(nets, x, VGG_STATUS_NUMERIC, "net A, layer conv1_1: made values that can "
                   "reach ");
    assert_error_has("the weights of conv1_1 or before it are out of range, not the image");
    free(x);
    free_both(nets);
}

/* the same weights in a file: refused at load, naming the file and the
 * layer */
static void weights_that_cannot_stay_finite_are_refused_at_load(void **state)
{
    (void)state;
    vgg_net *net = small_net(bes[0], true);
    const char *path = tpath("huge.safetensors");
    assert_int_equal(vgg_net_save(net, path), VGG_STATUS_OK);
    for (int b = 0; b < N_BE; b++) {
        vgg_net *back = NULL;
        assert_int_equal(vgg_net_load(path, bes[b], &back), VGG_STATUS_OK);
        vgg_net_free(back);
    }
    vgg_net_find_param(net, "features.0.weight")->data[4] = -3e38f;
    assert_int_equal(vgg_net_save(net, path), VGG_STATUS_OK);
    char want[512];
    snprintf(want, sizeof want, "'%s': net A, layer conv1_1: made values that can reach ", path);
    for (int b = 0; b < N_BE; b++) {
        vgg_net *back = NULL;
        assert_int_equal(vgg_net_load(path, bes[b], &back), VGG_STATUS_NUMERIC);
        assert_null(back);
        if (strncmp(vgg_last_error(), want, strlen(want)) != 0)
            fail_msg("message '%s' does not start '%s'", vgg_last_error(), want);
    }
    vgg_net_free(net);
}

/* large weights deep in the net: the layer where the values may pass
 * float's range is named, not the first */
static void the_layer_where_values_may_overflow_is_named(void **state)
{
    (void)state;
    vgg_net *nets[N_BE];
    nets_on_both(nets, true);
    float *x = images();
    for (int b = 0; b < N_BE; b++) {
        vgg_param *p = vgg_net_find_param(nets[b], "features.11.weight");   /* conv4_1 */
        for (size_t j = 0; j < p->numel; j++)
            p->data[j] *= 1e30f;
        assert_int_equal(vgg_net_params_changed(nets[b]), VGG_STATUS_OK);
    }
    expect_on_both(nets, x, VGG_STATUS_NUMERIC, "net A, layer conv4_1: made values that can "
                   "reach ");
    free(x);
    free_both(nets);
}

/* values the reference would still hold in float, near its largest
 * (2^100 on conv1_1, activations past 1e31): the same refusal on both,
 * not a row on one and an overflow in Winograd's transforms on the other */
static void near_the_top_of_float_both_backends_refuse_alike(void **state)
{
    (void)state;
    vgg_net *nets[N_BE];
    nets_on_both(nets, false);
    float *x = images();
    for (int b = 0; b < N_BE; b++) {
        vgg_param *p = vgg_net_find_param(nets[b], "features.0.weight");
        for (size_t j = 0; j < p->numel; j++)
            p->data[j] = ldexpf(p->data[j], 100);
        assert_int_equal(vgg_net_params_changed(nets[b]), VGG_STATUS_OK);
    }
    expect_on_both(nets, x, VGG_STATUS_NUMERIC, "made values that can reach ");
    free(x);
    free_both(nets);
}

/* a NaN in the input: a ReLU would have made it 0 */
static void non_finite_input_is_an_error_on_both_backends(void **state)
{
    (void)state;
    vgg_net *nets[N_BE];
    nets_on_both(nets, true);
    float *x = images();
    x[3 * H * W + 7] = NAN;   /* element 7 of the second image */
    expect_on_both(nets, x, VGG_STATUS_NUMERIC, "net A: the input holds a non-finite value at "
                   "element 7 (image 2 of 2)");
    x[3 * H * W + 7] = 0.5f;
    x[2 * H * W + 1] = -INFINITY;   /* its third channel, in the first image */
    expect_on_both(nets, x, VGG_STATUS_NUMERIC, "at element 10241 (image 1 of 2)");
    free(x);
    free_both(nets);
}

/* a NaN in a weight of a middle layer, set in memory (the loader refuses
 * it in a file): named, on both */
static void non_finite_weight_in_memory_is_an_error_on_both_backends(void **state)
{
    (void)state;
    vgg_net *nets[N_BE];
    nets_on_both(nets, true);
    float *x = images();
    for (int b = 0; b < N_BE; b++) {
        vgg_net_find_param(nets[b], "features.6.weight")->data[5] = NAN;   /* conv3_1 */
        assert_int_equal(vgg_net_params_changed(nets[b]), VGG_STATUS_OK);
    }
    expect_on_both(nets, x, VGG_STATUS_NUMERIC, "net A, layer conv3_1: its weights or bias hold "
                   "a NaN or an infinity");
    for (int b = 0; b < N_BE; b++) {
        vgg_net_find_param(nets[b], "features.6.weight")->data[5] = 0.0f;
        vgg_net_find_param(nets[b], "classifier.3.bias")->data[1] = INFINITY;   /* fc7 */
        assert_int_equal(vgg_net_params_changed(nets[b]), VGG_STATUS_OK);
    }
    expect_on_both(nets, x, VGG_STATUS_NUMERIC, "net A, layer fc7: its weights or bias hold "
                   "a NaN or an infinity");
    free(x);
    free_both(nets);
}

/* a backend whose memory is not the host's (as a GPU's): the bound reads
 * the weights the forward pass uses, the device copies, not the host's
 * (here cpu-ref told its memory is not the host's, so that the net keeps
 * copies and goes through upload and download) */
static void the_bound_reads_the_device_copies_of_the_weights(void **state)
{
    (void)state;
    vgg_backend *dev = NULL;
    assert_int_equal(vgg_backend_open("cpu-ref", 1, &dev), VGG_STATUS_OK);
    dev->host_memory = false;
    vgg_net *net = small_net(dev, true);
    assert_true(net->dev_owned);
    float *x = images();
    float out[N_IMG * 32];
    assert_int_equal(vgg_net_forward_pooled(net, x, N_IMG, H, W, VGG_OUTPUT_FC7, out),
                     VGG_STATUS_OK);
    /* the device copy of conv2_1's weights changed behind the host's back
     * (as SGD on a GPU does, with the backend's weights epoch) */
    int l = 0;
    while (strcmp(net->layers[l].name, "conv2_1") != 0)
        l++;
    const int p = net->layer_param[l];
    float v = 3e38f;
    assert_int_equal(dev->ops->upload(dev, net->dev[p] + 11, &v, sizeof v), VGG_STATUS_OK);
    dev->weights_epoch++;
    assert_int_equal(vgg_net_forward_pooled(net, x, N_IMG, H, W, VGG_OUTPUT_FC7, out),
                     VGG_STATUS_NUMERIC);
    assert_error_has("net A, layer conv2_1: made values that can reach ");
    v = NAN;
    assert_int_equal(dev->ops->upload(dev, net->dev[p] + 11, &v, sizeof v), VGG_STATUS_OK);
    dev->weights_epoch++;
    assert_int_equal(vgg_net_forward(net, x, N_IMG, H, W, VGG_OUTPUT_SCORES, out),
                     VGG_STATUS_NUMERIC);
    assert_error_has("net A, layer conv2_1: its weights or bias hold a NaN or an infinity");
    /* the host's weights, uploaded again, are in range */
    assert_int_equal(vgg_net_params_changed(net), VGG_STATUS_OK);
    assert_int_equal(vgg_net_forward_pooled(net, x, N_IMG, H, W, VGG_OUTPUT_FC7, out),
                     VGG_STATUS_OK);
    free(x);
    vgg_net_free(net);
    vgg_backend_close(dev);
}

static double rel_l2(const float *a, const float *b, size_t n, double scale)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        const double d = (double)a[i] - scale * b[i];
        num += d * d;
        den += scale * b[i] * scale * b[i];
    }
    return sqrt(num / den);
}

/* without biases a VGG net is positively homogeneous: conv1_1's weights
 * times 2^40 make every value 2^40 times larger, and that is what both
 * backends give (no refusal of weights that stay in range) */
static void weights_in_range_keep_working_and_scale_exactly(void **state)
{
    (void)state;
    float *x = images();
    float plain[N_BE][N_IMG * 32], big[N_BE][N_IMG * 32];
    for (int b = 0; b < N_BE; b++) {
        vgg_net *net = small_net(bes[b], false);
        assert_int_equal(vgg_net_forward_pooled(net, x, N_IMG, H, W, VGG_OUTPUT_FC7, plain[b]),
                         VGG_STATUS_OK);
        vgg_param *p = vgg_net_find_param(net, "features.0.weight");
        for (size_t j = 0; j < p->numel; j++)
            p->data[j] = ldexpf(p->data[j], 40);
        assert_int_equal(vgg_net_params_changed(net), VGG_STATUS_OK);
        assert_int_equal(vgg_net_forward_pooled(net, x, N_IMG, H, W, VGG_OUTPUT_FC7, big[b]),
                         VGG_STATUS_OK);
        const double err = rel_l2(big[b], plain[b], N_IMG * 32, ldexp(1.0, 40));
        printf("# %s: 2^40 x conv1_1 gives 2^40 x fc7 within %.2g relative L2\n", devices[b],
               err);
        assert_true(err < 1e-6);
        vgg_net_free(net);
    }
    assert_true(rel_l2(big[0], big[1], N_IMG * 32, 1.0) < 1e-5);   /* cpu against cpu-ref */
    /* inputs past the preprocessing's range, but finite: the bound follows
     * them (x 8 is within range here) */
    for (int i = 0; i < N_IMG * 3 * H * W; i++)
        x[i] *= 8.0f;
    vgg_net *net = small_net(bes[1], true);
    float out[N_IMG * 32];
    assert_int_equal(vgg_net_forward_pooled(net, x, N_IMG, H, W, VGG_OUTPUT_FC7, out),
                     VGG_STATUS_OK);
    vgg_net_free(net);
    free(x);
}

/* the paper's nets at full size with the initialisations training uses
 * are far inside the range: the bound's peak, over all layers, for
 * torchvision's preprocessing (the test prints it; net/README.md quotes
 * it) */
static void full_size_nets_are_far_inside_the_range(void **state)
{
    (void)state;
    static const struct {
        vgg_config_id config;
        bool bn;
        vgg_init_scheme init;
        const char *what;
    } cases[] = {
        { VGG_CONFIG_D, false, VGG_INIT_HE, "D, He" },
        { VGG_CONFIG_E, true, VGG_INIT_TORCHVISION, "E-BN, torchvision" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        vgg_arch a;
        vgg_arch_default(&a, cases[i].config);
        a.batch_norm = cases[i].bn;
        vgg_net *net = NULL;
        assert_int_equal(vgg_net_create(&a, bes[1], &net), VGG_STATUS_OK);
        assert_int_equal(vgg_train_init(net, cases[i].init, 0.01f, 1), VGG_STATUS_OK);
        assert_int_equal(vgg_net_check_range(net), VGG_STATUS_OK);
        printf("# %s: the bound peaks at %.3g, %.3g under the limit\n", cases[i].what,
               net->range.peak, VGG_NET_RANGE_MAX / net->range.peak);
        assert_true(net->range.peak * 1e3 < VGG_NET_RANGE_MAX);
        vgg_net_free(net);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(huge_conv1_weight_is_an_error_on_both_backends),
        cmocka_unit_test(weights_that_cannot_stay_finite_are_refused_at_load),
        cmocka_unit_test(the_layer_where_values_may_overflow_is_named),
        cmocka_unit_test(near_the_top_of_float_both_backends_refuse_alike),
        cmocka_unit_test(non_finite_input_is_an_error_on_both_backends),
        cmocka_unit_test(non_finite_weight_in_memory_is_an_error_on_both_backends),
        cmocka_unit_test(the_bound_reads_the_device_copies_of_the_weights),
        cmocka_unit_test(weights_in_range_keep_working_and_scale_exactly),
        cmocka_unit_test(full_size_nets_are_far_inside_the_range),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
