/* Full-size VGG-16 (torchvision's construction, seeded random weights)
 * dense forward to fc7 on a 224x256 input, against PyTorch.  The reference
 * is made at test time by gen_net_fixtures.py --vgg16 into the build
 * directory; skipped where /usr/bin/python3 cannot import torch (a failure
 * where VGG_REQUIRE_REFERENCES=1, tests/test_skip.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/net.h"
#include "test_skip.h"

/* Skips the test where PyTorch and torchvision are missing. */
static void need_torch(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' -c 'import torch, torchvision' >/dev/null 2>&1", VGG_PYTHON);
    if (system(cmd) != 0)
        skip_missing("%s with torch and torchvision (python3-torch, python3-torchvision)",
                     VGG_PYTHON);
}

/* gen_net_fixtures.py FLAG writes net_torch_ref/FILE; it is loaded on a
 * two-thread CPU backend (*be, *net the caller's). */
static void load_fixture_net(const char *flag, const char *file, vgg_backend **be, vgg_net **net)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/gen_net_fixtures.py' %s net_torch_ref",
             VGG_PYTHON, VGG_SOURCE_DIR, flag);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(vgg_backend_open("cpu", 2, be), VGG_STATUS_OK);
    snprintf(cmd, sizeof cmd, "net_torch_ref/%s", file);
    if (vgg_net_load(cmd, *be, net) != VGG_STATUS_OK)
        fail_msg("%s", vgg_last_error());
}

/* Our fc7 map against PyTorch's: relative L2 error under 1e-4 (printed). */
static void check_fc7(const char *what, const float *got, const float *want, size_t n, int oc,
                      int oh, int ow)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)got[i] - want[i];
        num += d * d;
        den += (double)want[i] * want[i];
    }
    double rel = sqrt(num / den);
    print_message("%s fc7 %dx%dx%d: relative L2 error %g\n", what, oc, oh, ow, rel);
    assert_true(den > 0);
    assert_true(rel < 1e-4);
}

static void vgg16_dense_matches_torch(void **state)
{
    (void)state;
    need_torch();
    vgg_backend *be = NULL;
    vgg_net *net = NULL;
    load_fixture_net("--vgg16", "vgg16.safetensors", &be, &net);
    const vgg_arch *a = vgg_net_arch(net);
    assert_int_equal(a->config, VGG_CONFIG_D);   /* inferred: no metadata */
    assert_float_equal(a->width, 1.0f, 0);
    assert_int_equal(a->fc_dim, 4096);
    assert_int_equal(a->num_classes, 1000);
    assert_int_equal(a->input_size, 224);
    char hex[65];
    vgg_net_digest(net, hex);
    assert_int_equal(strlen(hex), 64);

    vgg_safetensors *io = NULL;
    assert_int_equal(vgg_st_open("net_torch_ref/vgg16_io.safetensors", &io), VGG_STATUS_OK);
    const vgg_st_tensor *tx = vgg_st_find(io, "input"), *ty = vgg_st_find(io, "fc7");
    assert_non_null(tx);
    assert_non_null(ty);
    int h = (int)tx->shape[2], w = (int)tx->shape[3];
    int oc, oh, ow;
    assert_int_equal(vgg_net_output_shape(net, h, w, VGG_OUTPUT_FC7, &oc, &oh, &ow),
                     VGG_STATUS_OK);
    assert_int_equal(oc, ty->shape[1]);
    assert_int_equal(oh, ty->shape[2]);
    assert_int_equal(ow, ty->shape[3]);
    size_t nin = (size_t)3 * h * w, nout = (size_t)oc * oh * ow;
    float *x = malloc(nin * sizeof(float)), *want = malloc(nout * sizeof(float));
    float *got = malloc(nout * sizeof(float));
    assert_non_null(x);
    assert_non_null(want);
    assert_non_null(got);
    assert_int_equal(vgg_st_to_f32(io, tx, x), VGG_STATUS_OK);
    assert_int_equal(vgg_st_to_f32(io, ty, want), VGG_STATUS_OK);
    assert_int_equal(vgg_net_forward(net, x, 1, h, w, VGG_OUTPUT_FC7, got), VGG_STATUS_OK);
    check_fc7("vgg16", got, want, nout, oc, oh, ow);
    free(x);
    free(want);
    free(got);
    vgg_st_close(io);
    vgg_net_free(net);
    vgg_backend_close(be);
    remove("net_torch_ref/vgg16.safetensors");
    remove("net_torch_ref/vgg16_io.safetensors");
}

/* torchvision's vgg16_bn construction at 1/8 width (fc 64, 10 classes),
 * random weights and BN statistics, saved as its state dict (with
 * num_batches_tracked): inferred as D with batch normalisation, folded
 * into the convs, its dense fc7 map as PyTorch's in eval mode. */
static void vgg16_bn_folds_like_torch(void **state)
{
    (void)state;
    need_torch();
    vgg_backend *be = NULL;
    vgg_net *net = NULL;
    load_fixture_net("--vgg16-bn", "vgg16_bn.safetensors", &be, &net);
    const vgg_arch *a = vgg_net_arch(net);
    assert_int_equal(a->config, VGG_CONFIG_D);
    assert_true(a->batch_norm);
    assert_float_equal(a->width, 0.125f, 0);
    assert_int_equal(a->fc_dim, 64);
    assert_int_equal(a->num_classes, 10);
    vgg_arch full;
    vgg_arch_default(&full, VGG_CONFIG_D);
    full.batch_norm = true;
    assert_int_equal(vgg_arch_param_count(&full), 138365992);   /* torchvision's vgg16_bn */
    vgg_safetensors *io = NULL;
    assert_int_equal(vgg_st_open("net_torch_ref/vgg16_bn_io.safetensors", &io), VGG_STATUS_OK);
    const vgg_st_tensor *tx = vgg_st_find(io, "input"), *ty = vgg_st_find(io, "fc7");
    assert_non_null(tx);
    assert_non_null(ty);
    int h = (int)tx->shape[2], w = (int)tx->shape[3], oc, oh, ow;
    assert_int_equal(vgg_net_output_shape(net, h, w, VGG_OUTPUT_FC7, &oc, &oh, &ow),
                     VGG_STATUS_OK);
    size_t nin = (size_t)3 * h * w, nout = (size_t)oc * oh * ow;
    assert_int_equal(nout, ty->nbytes / sizeof(float));
    float *x = malloc(nin * sizeof(float)), *want = malloc(nout * sizeof(float));
    float *got = malloc(nout * sizeof(float));
    assert_int_equal(vgg_st_to_f32(io, tx, x), VGG_STATUS_OK);
    assert_int_equal(vgg_st_to_f32(io, ty, want), VGG_STATUS_OK);
    assert_int_equal(vgg_net_forward(net, x, 1, h, w, VGG_OUTPUT_FC7, got), VGG_STATUS_OK);
    check_fc7("vgg16_bn", got, want, nout, oc, oh, ow);
    free(x);
    free(want);
    free(got);
    vgg_st_close(io);
    vgg_net_free(net);
    vgg_backend_close(be);
}

/* A net saved by vgg_net_save loads into a torchvision-style net (strict
 * state dict, architecture from the metadata) and gives our scores. */
static void saved_file_loads_in_torch(void **state)
{
    (void)state;
    need_torch();
    char cmd[1024];
    vgg_backend *be = NULL;
    assert_int_equal(vgg_backend_open("cpu", 2, &be), VGG_STATUS_OK);
    const vgg_config_id ids[2] = {VGG_CONFIG_C, VGG_CONFIG_A_LRN};
    for (int c = 0; c < 2; c++) {
        vgg_arch a;
        vgg_arch_default(&a, ids[c]);
        a.width = 0.125f;
        a.fc_dim = 32;
        a.num_classes = 7;
        a.input_size = 96;
        a.pool_round = c == 0 ? VGG_POOL_CEIL : VGG_POOL_FLOOR;
        vgg_net *net = NULL;
        assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
        uint32_t s = 99 + c;
        for (int i = 0; i < vgg_net_param_count(net); i++) {
            vgg_param *p = vgg_net_param(net, i);
            float scale = p->ndim == 4 ? sqrtf(6.0f / (float)(p->shape[1] * p->shape[2] *
                                                               p->shape[3]))
                                       : 0.1f;
            for (size_t j = 0; j < p->numel; j++) {
                s = s * 1664525u + 1013904223u;
                p->data[j] = ((float)(s >> 8) / 16777216.0f * 2 - 1) * scale;
            }
        }
        const int h = 131, w = 101;
        int oc, oh, ow;
        assert_int_equal(vgg_net_output_shape(net, h, w, VGG_OUTPUT_SCORES, &oc, &oh, &ow),
                         VGG_STATUS_OK);
        float *x = malloc(sizeof(float) * 3 * h * w), *y = malloc(sizeof(float) * oc * oh * ow);
        assert_non_null(x);
        assert_non_null(y);
        for (int i = 0; i < 3 * h * w; i++) {
            s = s * 1664525u + 1013904223u;
            x[i] = (float)(s >> 8) / 16777216.0f * 4 - 2;
        }
        assert_int_equal(vgg_net_forward(net, x, 1, h, w, VGG_OUTPUT_SCORES, y), VGG_STATUS_OK);
        assert_int_equal(vgg_net_save(net, "net_torch_saved.safetensors"), VGG_STATUS_OK);
        vgg_st_entry io[2] = {
            {.name = "input", .dtype = VGG_DTYPE_F32, .ndim = 4, .shape = {1, 3, h, w}, .data = x},
            {.name = "scores", .dtype = VGG_DTYPE_F32, .ndim = 4, .shape = {1, oc, oh, ow},
             .data = y},
        };
        assert_int_equal(vgg_st_write("net_torch_saved_io.safetensors", io, 2, NULL, NULL, 0),
                         VGG_STATUS_OK);
        snprintf(cmd, sizeof cmd,
                 "'%s' '%s/tests/gen_net_fixtures.py' --check-saved net_torch_saved.safetensors "
                 "net_torch_saved_io.safetensors",
                 VGG_PYTHON, VGG_SOURCE_DIR);
        assert_int_equal(system(cmd), 0);
        free(x);
        free(y);
        vgg_net_free(net);
    }
    remove("net_torch_saved.safetensors");
    remove("net_torch_saved_io.safetensors");
    vgg_backend_close(be);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(saved_file_loads_in_torch),
        cmocka_unit_test(vgg16_dense_matches_torch),
        cmocka_unit_test(vgg16_bn_folds_like_torch),
    };
    return tests_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
