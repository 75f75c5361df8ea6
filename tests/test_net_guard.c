/* net/: non-finite weights refused at load (naming file and tensor),
 * non-finite activations named by layer, a caffemodel handed to the
 * safetensors loader pointed at 'vggfeat convert'. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgg/net.h"

static vgg_backend *be;

static int setup(void **state)
{
    (void)state;
    return vgg_backend_open("cpu", 1, &be) == VGG_STATUS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    vgg_backend_close(be);
    return 0;
}

/* config A at 1/16 width, fc 16, 5 classes, 64x64 input; small finite
 * weights of both signs */
static vgg_net *small_net(void)
{
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A);
    a.width = 0.0625f;
    a.fc_dim = 16;
    a.num_classes = 5;
    a.input_size = 64;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    for (int i = 0; i < vgg_net_param_count(net); i++) {
        vgg_param *p = vgg_net_param(net, i);
        for (size_t j = 0; j < p->numel; j++)
            p->data[j] = (float)((int)((j * 37 + (size_t)i * 11) % 19) - 8) / 64.0f;
    }
    assert_int_equal(vgg_net_params_changed(net), VGG_STATUS_OK);
    return net;
}

static void assert_error_has(const char *part)
{
    if (!strstr(vgg_last_error(), part))
        fail_msg("message '%s' lacks '%s'", vgg_last_error(), part);
}

static void nan_weight_is_refused_at_load_naming_the_tensor(void **state)
{
    (void)state;
    vgg_net *net = small_net();
    const char *path = "guard_nan.safetensors";
    assert_int_equal(vgg_net_save(net, path), VGG_STATUS_OK);
    vgg_net *back = NULL;
    assert_int_equal(vgg_net_load(path, be, &back), VGG_STATUS_OK);  /* finite: loads */
    vgg_net_free(back);

    vgg_param *p = vgg_net_find_param(net, "features.3.weight");   /* conv2_1 in A */
    assert_non_null(p);
    p->data[7] = NAN;
    assert_int_equal(vgg_net_save(net, path), VGG_STATUS_OK);
    assert_int_equal(vgg_net_load(path, be, &back), VGG_STATUS_NUMERIC);
    assert_null(back);
    assert_error_has("'guard_nan.safetensors': tensor features.3.weight (conv2_1) holds NaN at "
                     "element 7 of");
    p->data[7] = 0.0f;

    vgg_param *b = vgg_net_find_param(net, "classifier.3.bias");   /* fc7 */
    assert_non_null(b);
    b->data[2] = -INFINITY;
    assert_int_equal(vgg_net_save(net, path), VGG_STATUS_OK);
    assert_int_equal(vgg_net_load(path, be, &back), VGG_STATUS_NUMERIC);
    assert_error_has("tensor classifier.3.bias (fc7) holds an infinity at element 2 of 16");
    vgg_net_free(net);
    unlink(path);
}

static void infinite_fc7_is_named_as_the_layer_not_the_image(void **state)
{
    (void)state;
    vgg_net *net = small_net();
    const int hw = 64;
    float *in = malloc(sizeof(float) * 3 * hw * hw);
    for (int i = 0; i < 3 * hw * hw; i++)
        in[i] = (float)(i % 13) / 13.0f;
    float out[16];
    assert_int_equal(vgg_net_forward(net, in, 1, hw, hw, VGG_OUTPUT_FC7, out), VGG_STATUS_OK);

    vgg_param *w7 = vgg_net_find_param(net, "classifier.3.weight");
    assert_non_null(w7);
    for (size_t j = 0; j < w7->numel; j++)
        w7->data[j] = 3e38f;   /* finite, but every sum overflows */
    assert_int_equal(vgg_net_params_changed(net), VGG_STATUS_OK);
    assert_int_equal(vgg_net_forward(net, in, 1, hw, hw, VGG_OUTPUT_FC7, out),
                     VGG_STATUS_NUMERIC);
    assert_error_has("net A, layer fc7: made ");
    assert_error_has("not the image");

    in[5] = NAN;
    assert_int_equal(vgg_net_forward(net, in, 1, hw, hw, VGG_OUTPUT_FC7, out),
                     VGG_STATUS_NUMERIC);
    assert_error_has("the input holds a non-finite value at element 5");
    free(in);
    vgg_net_free(net);
}

static void write_bytes(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

static void caffemodel_points_at_convert(void **state)
{
    (void)state;
    /* the start of a NetParameter: name "VGG_ILSVRC_16_layers", then a
     * layers field (tag 0x12) of 3 bytes */
    static const uint8_t pb[] = { 0x0a, 0x14, 'V', 'G', 'G', '_', 'I', 'L', 'S', 'V', 'R', 'C',
                                  '_', '1', '6', '_', 'l', 'a', 'y', 'e', 'r', 's',
                                  0x12, 0x03, 0x0a, 0x01, 'x' };
    write_bytes("guard_weights.bin", pb, sizeof pb);
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_load("guard_weights.bin", be, &net), VGG_STATUS_FORMAT);
    assert_string_equal(vgg_last_error(),
                        "'guard_weights.bin': this is a Caffe .caffemodel, not a safetensors "
                        "file; convert it once with 'vggfeat convert guard_weights.bin -o "
                        "NAME.safetensors' and use that");
    /* by name, whatever the bytes */
    write_bytes("guard.caffemodel", "garbage-garbage-garbage", 23);
    assert_int_equal(vgg_net_load("guard.caffemodel", be, &net), VGG_STATUS_FORMAT);
    assert_error_has("is a Caffe .caffemodel");
    /* random bytes that are neither keep the safetensors message */
    write_bytes("guard_random.bin", "\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8zzzz", 12);
    assert_int_equal(vgg_net_load("guard_random.bin", be, &net), VGG_STATUS_FORMAT);
    assert_null(strstr(vgg_last_error(), "caffemodel"));
    assert_error_has("header length");
    unlink("guard_weights.bin");
    unlink("guard.caffemodel");
    unlink("guard_random.bin");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nan_weight_is_refused_at_load_naming_the_tensor),
        cmocka_unit_test(infinite_fc7_is_named_as_the_layer_not_the_image),
        cmocka_unit_test(caffemodel_points_at_convert),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
