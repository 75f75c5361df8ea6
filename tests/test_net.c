/* Network engine: layers on hand-worked numbers, configurations, safetensors
 * reading/writing and every malformed-file case, and agreement with PyTorch
 * on reduced-width nets of every configuration (fixtures from
 * tests/gen_net_fixtures.py). */
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

#include "backend.h"
#include "net_internal.h"
#include "vgg/net.h"

static vgg_backend *be;

static int setup(void **state)
{
    (void)state;
    return vgg_backend_open("cpu", 2, &be) == VGG_STATUS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    vgg_backend_close(be);
    return 0;
}

static void tmp_path(char *buf, size_t n, const char *tag)
{
    snprintf(buf, n, "net_test_%s_%ld.safetensors", tag, (long)getpid());
}

#define assert_error_names(path, phrase)                                                    \
    do {                                                                                    \
        const char *msg_ = vgg_last_error();                                                \
        if (!strstr(msg_, (path)) || !strstr(msg_, (phrase)))                               \
            fail_msg("message '%s' should name '%s' and say '%s'", msg_, (path), (phrase)); \
    } while (0)

/* ------------------------------------------------------------------ */
/* layers, hand-worked                                                 */
/* ------------------------------------------------------------------ */

static void conv_3x3_pad1_hand(void **state)
{
    (void)state;
    const float x[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    /* out 0: all-ones kernel, bias 0.5, no ReLU; out 1: -1 at the centre, bias 5 */
    float wt[2 * 9] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, -1, 0, 0, 0, 0};
    const float bias[2] = {0.5f, 5.0f};
    float y[18];
    vgg_conv_desc d = {.n = 1, .cin = 1, .h = 3, .w = 3, .cout = 2, .k = 3, .pad = 1, .relu = false};
    assert_int_equal(be->ops->conv2d(be, &d, x, wt, bias, y), VGG_STATUS_OK);
    const float want0[9] = {12.5f, 21.5f, 16.5f, 27.5f, 45.5f, 33.5f, 24.5f, 39.5f, 28.5f};
    const float want1[9] = {4, 3, 2, 1, 0, -1, -2, -3, -4};
    for (int i = 0; i < 9; i++) {
        assert_float_equal(y[i], want0[i], 1e-5);
        assert_float_equal(y[9 + i], want1[i], 1e-5);
    }
    d.relu = true;
    assert_int_equal(be->ops->conv2d(be, &d, x, wt, bias, y), VGG_STATUS_OK);
    for (int i = 0; i < 9; i++)
        assert_float_equal(y[9 + i], want1[i] > 0 ? want1[i] : 0.0f, 1e-6);
}

static void conv_two_channels_no_pad_hand(void **state)
{
    (void)state;
    /* (1, 2, 2, 3) input, a 2x2 kernel, no padding: output (1, 1, 1, 2) */
    const float x[12] = {1, 2, 3, 4, 5, 6, /* channel 1 */ 10, 20, 30, 40, 50, 60};
    const float wt[8] = {1, 0, 0, 1, /* channel 1 */ 0, 1, 0, 0};
    const float bias[1] = {-1};
    float y[2];
    vgg_conv_desc d = {.n = 1, .cin = 2, .h = 2, .w = 3, .cout = 1, .k = 2, .pad = 0};
    assert_int_equal(be->ops->conv2d(be, &d, x, wt, bias, y), VGG_STATUS_OK);
    assert_float_equal(y[0], 1 + 5 + 20 - 1, 1e-5);   /* 25 */
    assert_float_equal(y[1], 2 + 6 + 30 - 1, 1e-5);   /* 37 */
}

/* a wide convolution (its im2col buffer is cut into bands of rows) against
 * a direct loop */
static void conv_tiled_matches_direct(void **state)
{
    (void)state;
    const int cin = 600, h = 40, w = 40, cout = 3, k = 3;
    float *x = malloc(sizeof(float) * cin * h * w);
    float *wt = malloc(sizeof(float) * cout * cin * k * k);
    float *y = malloc(sizeof(float) * cout * h * w);
    float bias[3] = {0.1f, -0.2f, 0.3f};
    assert_non_null(x);
    assert_non_null(wt);
    assert_non_null(y);
    uint32_t s = 12345;
    for (int i = 0; i < cin * h * w; i++) {
        s = s * 1664525u + 1013904223u;
        x[i] = (float)(s >> 8) / 16777216.0f - 0.5f;
    }
    for (int i = 0; i < cout * cin * k * k; i++) {
        s = s * 1664525u + 1013904223u;
        wt[i] = ((float)(s >> 8) / 16777216.0f - 0.5f) * 0.05f;
    }
    vgg_conv_desc d = {.n = 1, .cin = cin, .h = h, .w = w, .cout = cout, .k = k, .pad = 1};
    assert_int_equal(be->ops->conv2d(be, &d, x, wt, bias, y), VGG_STATUS_OK);
    double max_err = 0;
    for (int o = 0; o < cout; o++)
        for (int oy = 0; oy < h; oy += 3)
            for (int ox = 0; ox < w; ox++) {
                double acc = bias[o];
                for (int c = 0; c < cin; c++)
                    for (int ky = 0; ky < k; ky++)
                        for (int kx = 0; kx < k; kx++) {
                            int iy = oy + ky - 1, ix = ox + kx - 1;
                            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                                continue;
                            acc += (double)wt[((o * cin + c) * k + ky) * k + kx] *
                                   x[(c * h + iy) * w + ix];
                        }
                double e = fabs(acc - y[(o * h + oy) * w + ox]);
                if (e > max_err)
                    max_err = e;
            }
    assert_true(max_err < 1e-4);
    free(x);
    free(wt);
    free(y);
}

static void maxpool_floor_and_ceil_odd(void **state)
{
    (void)state;
    /* 5x5, values -1 .. -25: every window's maximum is its first element,
     * and a clipped window must not see a zero */
    float x[25];
    for (int i = 0; i < 25; i++)
        x[i] = -(float)i - 1.0f;
    float y[9];
    int32_t am[9];
    assert_int_equal(be->ops->maxpool(be, 1, 1, 5, 5, VGG_POOL_FLOOR, x, y, am), VGG_STATUS_OK);
    const float want_floor[4] = {-1, -3, -11, -13};
    const int32_t am_floor[4] = {0, 2, 10, 12};
    for (int i = 0; i < 4; i++) {
        assert_float_equal(y[i], want_floor[i], 0);
        assert_int_equal(am[i], am_floor[i]);
    }
    assert_int_equal(be->ops->maxpool(be, 1, 1, 5, 5, VGG_POOL_CEIL, x, y, am), VGG_STATUS_OK);
    const float want_ceil[9] = {-1, -3, -5, -11, -13, -15, -21, -23, -25};
    for (int i = 0; i < 9; i++) {
        assert_float_equal(y[i], want_ceil[i], 0);
        assert_int_equal(am[i], (int)-want_ceil[i] - 1);
    }
    /* largest in the lower right of a window; two planes */
    const float x2[2 * 6] = {1, 2, 3, 4, 5, 6, /* plane 2: 3x2 */ 9, 1, 1, 1, 1, 8};
    assert_int_equal(be->ops->maxpool(be, 1, 2, 2, 3, VGG_POOL_CEIL, x2, y, am), VGG_STATUS_OK);
    assert_float_equal(y[0], 5, 0);
    assert_float_equal(y[1], 6, 0);
    assert_int_equal(am[1], 5);
    assert_float_equal(y[2], 9, 0);
    assert_float_equal(y[3], 8, 0);
    assert_int_equal(am[3], 5);
    assert_int_equal(vgg_pool_out(7, VGG_POOL_FLOOR), 3);
    assert_int_equal(vgg_pool_out(7, VGG_POOL_CEIL), 4);
}

static void lrn_across_channels_hand(void **state)
{
    (void)state;
    /* one pixel, 7 channels 1..7; size 5 (window c-2 .. c+2, clipped);
     * alpha 1 here so that the effect is large: y = x (k + alpha/5 * sum)^-beta */
    float x[7] = {1, 2, 3, 4, 5, 6, 7}, y[7];
    vgg_lrn_desc d = {.size = 5, .alpha = 1.0f, .beta = 0.75f, .k = 2.0f};
    assert_int_equal(be->ops->lrn(be, 1, 7, 1, 1, &d, x, y), VGG_STATUS_OK);
    /* sums of squares: c0 1+4+9=14, c3 4+9+16+25+36=90, c6 25+36+49=110 */
    assert_float_equal(y[0], 1.0 * pow(2.0 + 14.0 / 5, -0.75), 1e-6);   /* 0.308368 */
    assert_float_equal(y[3], 4.0 * pow(2.0 + 90.0 / 5, -0.75), 1e-6);   /* 4 * 20^-.75 */
    assert_float_equal(y[6], 7.0 * pow(2.0 + 110.0 / 5, -0.75), 1e-6);
    assert_float_equal(y[0], 0.308368f, 2e-6);   /* torch: 0.3084 */
    assert_float_equal(y[3], 0.422949f, 2e-6);
}

static void global_avgpool_hand(void **state)
{
    (void)state;
    const float x[12] = {1, 2, 3, 4, 5, 6, -6, -6, -6, 0, 0, 0};
    float y[2];
    assert_int_equal(be->ops->global_avgpool(be, 1, 2, 2, 3, x, y), VGG_STATUS_OK);
    assert_float_equal(y[0], 3.5f, 1e-6);
    assert_float_equal(y[1], -3.0f, 1e-6);
}

/* ------------------------------------------------------------------ */
/* configurations                                                      */
/* ------------------------------------------------------------------ */

static void param_counts_match_paper(void **state)
{
    (void)state;
    vgg_arch a;
    /* torchvision's vgg11/13/16/19 (the paper's A, B, D, E) */
    const struct { vgg_config_id id; int64_t n; } want[] = {
        {VGG_CONFIG_A, 132863336}, {VGG_CONFIG_B, 133047848},
        {VGG_CONFIG_D, 138357544}, {VGG_CONFIG_E, 143667240},
    };
    for (size_t i = 0; i < 4; i++) {
        vgg_arch_default(&a, want[i].id);
        assert_int_equal(vgg_arch_param_count(&a), want[i].n);
    }
    /* A-LRN: the LRN layer has no parameters */
    vgg_arch_default(&a, VGG_CONFIG_A_LRN);
    assert_int_equal(vgg_arch_param_count(&a), 132863336);
    /* C = D with the third conv of blocks 3-5 1x1 (9 times fewer weights) */
    vgg_arch_default(&a, VGG_CONFIG_C);
    int64_t d_minus_c = (int64_t)8 * (256 * 256 + 2 * 512 * 512);
    assert_int_equal(vgg_arch_param_count(&a), 138357544 - d_minus_c);
}

static void layer_keys_follow_torchvision(void **state)
{
    (void)state;
    vgg_layer_info L[64];
    int n;
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_D);
    assert_int_equal(vgg_arch_layers(&a, L, 64, &n), VGG_STATUS_OK);
    const int d_idx[13] = {0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28};
    int c = 0;
    char key[48];
    for (int i = 0; i < n; i++) {
        if (L[i].kind != VGG_LAYER_CONV)
            continue;
        snprintf(key, sizeof key, "features.%d", d_idx[c++]);
        assert_string_equal(L[i].weight_key, key);
    }
    assert_int_equal(c, 13);
    assert_string_equal(L[n - 3].name, "fc6");
    assert_string_equal(L[n - 3].weight_key, "classifier.0");
    assert_int_equal(L[n - 3].kernel, 7);
    assert_int_equal(L[n - 3].in_channels, 512);
    assert_string_equal(L[n - 1].weight_key, "classifier.6");
    assert_false(L[n - 1].relu);

    vgg_arch_default(&a, VGG_CONFIG_E);
    assert_int_equal(vgg_arch_layers(&a, L, 64, &n), VGG_STATUS_OK);
    const int e_idx[16] = {0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28, 30, 32, 34};
    c = 0;
    for (int i = 0; i < n; i++) {
        if (L[i].kind != VGG_LAYER_CONV)
            continue;
        snprintf(key, sizeof key, "features.%d", e_idx[c++]);
        assert_string_equal(L[i].weight_key, key);
    }
    assert_int_equal(c, 16);

    /* A-LRN: conv 0, ReLU 1, LRN 2, pool 3, conv 4 */
    vgg_arch_default(&a, VGG_CONFIG_A_LRN);
    assert_int_equal(vgg_arch_layers(&a, L, 64, &n), VGG_STATUS_OK);
    assert_int_equal(L[1].kind, VGG_LAYER_LRN);
    assert_string_equal(L[3].weight_key, "features.4");
    /* C: the 1x1 convs */
    vgg_arch_default(&a, VGG_CONFIG_C);
    a.width = 0.5f;
    assert_int_equal(vgg_arch_layers(&a, L, 64, &n), VGG_STATUS_OK);
    int ones = 0;
    for (int i = 0; i < n; i++)
        if (L[i].kind == VGG_LAYER_CONV && L[i].kernel == 1) {
            ones++;
            assert_true(strcmp(L[i].name, "conv3_3") == 0 || strcmp(L[i].name, "conv4_3") == 0 ||
                        strcmp(L[i].name, "conv5_3") == 0);
        }
    assert_int_equal(ones, 3);
    assert_int_equal(L[0].out_channels, 32);

    vgg_config_id id;
    assert_int_equal(vgg_config_parse("vgg16", &id), VGG_STATUS_OK);
    assert_int_equal(id, VGG_CONFIG_D);
    assert_int_equal(vgg_config_parse("a-lrn", &id), VGG_STATUS_OK);
    assert_int_equal(id, VGG_CONFIG_A_LRN);
    assert_int_equal(vgg_config_parse("F", &id), VGG_STATUS_INVALID);
    a.input_size = 100;
    assert_int_equal(vgg_arch_validate(&a), VGG_STATUS_INVALID);
}

static void backends_by_name(void **state)
{
    (void)state;
    vgg_backend *b = NULL;
    assert_int_equal(vgg_backend_open("tpu", 1, &b), VGG_STATUS_INVALID);
    assert_null(b);
    assert_int_equal(vgg_backend_open("cpu", 3, &b), VGG_STATUS_OK);
    assert_string_equal(vgg_backend_name(b), "cpu");
    assert_int_equal(vgg_backend_threads(b), 3);
    vgg_backend_close(b);
    vgg_backend_close(NULL);
}

static void too_small_input_names_minimum(void **state)
{
    (void)state;
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_D);
    a.width = 1.0f / 16;
    a.fc_dim = 8;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    assert_int_equal(vgg_net_min_input(net), 224);
    int oc, oh, ow;
    assert_int_equal(vgg_net_output_shape(net, 223, 300, VGG_OUTPUT_FC7, &oc, &oh, &ow),
                     VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "224"));
    float dummy[1];
    assert_int_equal(vgg_net_forward(net, dummy, 1, 300, 200, VGG_OUTPUT_FC7, dummy),
                     VGG_STATUS_INVALID);
    assert_int_equal(vgg_net_output_shape(net, 256, 341, VGG_OUTPUT_POOL5, &oc, &oh, &ow),
                     VGG_STATUS_OK);
    assert_int_equal(oc, 32);
    assert_int_equal(oh, 8);
    assert_int_equal(ow, 10);
    assert_int_equal(vgg_net_output_shape(net, 256, 341, VGG_OUTPUT_FC7, &oc, &oh, &ow),
                     VGG_STATUS_OK);
    assert_int_equal(oc, 8);
    assert_int_equal(oh, 2);
    assert_int_equal(ow, 4);
    /* Caffe rounding: 256x341 gives pool5 8x11; 193 is the smallest side */
    vgg_net_set_pool_round(net, VGG_POOL_CEIL);
    assert_int_equal(vgg_net_output_shape(net, 256, 341, VGG_OUTPUT_POOL5, &oc, &oh, &ow),
                     VGG_STATUS_OK);
    assert_int_equal(ow, 11);
    assert_int_equal(vgg_net_min_input(net), 193);
    assert_int_equal(vgg_net_output_shape(net, 192, 300, VGG_OUTPUT_FC7, &oc, &oh, &ow),
                     VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "193"));
    vgg_net_free(net);
}

/* ------------------------------------------------------------------ */
/* safetensors                                                         */
/* ------------------------------------------------------------------ */

/* Write an 8-byte length (hlen, or the header's own length if hlen is
 * UINT64_MAX), the header text, then ndata bytes of data. */
static void write_raw(const char *path, uint64_t hlen, const char *header, size_t ndata)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    uint64_t n = hlen == UINT64_MAX ? strlen(header) : hlen;
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(n >> (8 * i));
    assert_int_equal(fwrite(b, 1, 8, fp), 8);
    assert_int_equal(fwrite(header, 1, strlen(header), fp), strlen(header));
    for (size_t i = 0; i < ndata; i++)
        fputc((int)(i * 7 & 0x3f), fp);
    fclose(fp);
}

static void expect_bad(const char *tag, uint64_t hlen, const char *header, size_t ndata,
                       const char *phrase)
{
    char path[128];
    tmp_path(path, sizeof path, tag);
    write_raw(path, hlen, header, ndata);
    vgg_safetensors *st = (vgg_safetensors *)0x1;
    vgg_status s = vgg_st_open(path, &st);
    unlink(path);
    if (s != VGG_STATUS_FORMAT)
        fail_msg("%s: status %s (%s), expected format error", tag, vgg_status_name(s),
                 vgg_last_error());
    assert_null(st);
    assert_error_names(path, phrase);
}

static void st_rejects_malformed_files(void **state)
{
    (void)state;
    const char *ok1 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    /* the well-formed baseline opens */
    char path[128];
    tmp_path(path, sizeof path, "good");
    write_raw(path, UINT64_MAX, ok1, 8);
    vgg_safetensors *st = NULL;
    assert_int_equal(vgg_st_open(path, &st), VGG_STATUS_OK);
    assert_int_equal(vgg_st_count(st), 1);
    vgg_st_close(st);
    unlink(path);

    expect_bad("short", 1000, ok1, 8, "longer than the file");
    expect_bad("huge", 200000000ull, ok1, 8, "100,000,000");
    expect_bad("json", UINT64_MAX, "{\"a\":{\"dtype\":\"F32\",", 0, "not valid JSON");
    expect_bad("notobj", UINT64_MAX, "[1, 2, 3]   ", 0, "not a JSON object");
    expect_bad("range", UINT64_MAX,
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4,
               "out of range");
    expect_bad("backwards", UINT64_MAX,
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8,
               "out of range");
    expect_bad("overlap", UINT64_MAX,
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
               12, "overlaps");
    expect_bad("gap", UINT64_MAX,
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
               "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}",
               20, "gap");
    expect_bad("tail", UINT64_MAX, ok1, 12, "gap");
    expect_bad("size", UINT64_MAX,
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, "need 12");
    expect_bad("dtype", UINT64_MAX,
               "{\"a\":{\"dtype\":\"Q4\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8,
               "unknown dtype 'Q4'");
    expect_bad("noshape", UINT64_MAX, "{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8,
               "no shape");
    expect_bad("negshape", UINT64_MAX,
               "{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8,
               "shape entry");
    expect_bad("meta", UINT64_MAX,
               "{\"__metadata__\":{\"config\":4},"
               "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}",
               8, "not a string");
    expect_bad("trailing", UINT64_MAX, "{}  x", 0, "trailing");

    /* shorter than the length field itself */
    tmp_path(path, sizeof path, "tiny");
    FILE *fp = fopen(path, "wb");
    fwrite("abc", 1, 3, fp);
    fclose(fp);
    assert_int_equal(vgg_st_open(path, &st), VGG_STATUS_FORMAT);
    assert_error_names(path, "too short");
    unlink(path);
    /* a missing file */
    assert_int_equal(vgg_st_open("net_test_no_such_file.safetensors", &st), VGG_STATUS_NOT_FOUND);
    assert_error_names("net_test_no_such_file.safetensors", "cannot open");
}

static void st_converts_f16_bf16_f64(void **state)
{
    (void)state;
    /* f16: 1, -2, 1/3 (0x3555), 2^-24 (smallest subnormal), 65504, inf */
    const uint16_t h[6] = {0x3C00, 0xC000, 0x3555, 0x0001, 0x7BFF, 0x7C00};
    /* bf16: 1, 3.140625, -123.5, 0 */
    const uint16_t bf[4] = {0x3F80, 0x4049, 0xC2F7, 0x0000};
    const double dv[2] = {0.1, -1e10};
    vgg_st_entry e[3] = {
        {.name = "h", .dtype = VGG_DTYPE_F16, .ndim = 1, .shape = {6}, .data = h},
        {.name = "bf", .dtype = VGG_DTYPE_BF16, .ndim = 2, .shape = {2, 2}, .data = bf},
        {.name = "d", .dtype = VGG_DTYPE_F64, .ndim = 1, .shape = {2}, .data = dv},
    };
    char path[128];
    tmp_path(path, sizeof path, "dtypes");
    assert_int_equal(vgg_st_write(path, e, 3, NULL, NULL, 0), VGG_STATUS_OK);
    vgg_safetensors *st = NULL;
    assert_int_equal(vgg_st_open(path, &st), VGG_STATUS_OK);
    float out[6];
    const vgg_st_tensor *t = vgg_st_find(st, "h");
    assert_non_null(t);
    assert_int_equal(t->dtype, VGG_DTYPE_F16);
    assert_int_equal(t->nbytes, 12);
    assert_int_equal(vgg_st_to_f32(st, t, out), VGG_STATUS_OK);
    assert_float_equal(out[0], 1.0f, 0);
    assert_float_equal(out[1], -2.0f, 0);
    assert_float_equal(out[2], 0.333251953125f, 0);
    assert_float_equal(out[3], 5.9604644775390625e-8f, 0);
    assert_float_equal(out[4], 65504.0f, 0);
    assert_true(isinf(out[5]) && out[5] > 0);
    t = vgg_st_find(st, "bf");
    assert_int_equal(vgg_st_to_f32(st, t, out), VGG_STATUS_OK);
    assert_float_equal(out[0], 1.0f, 0);
    assert_float_equal(out[1], 3.140625f, 0);
    assert_float_equal(out[2], -123.5f, 0);
    assert_float_equal(out[3], 0.0f, 0);
    t = vgg_st_find(st, "d");
    assert_int_equal(vgg_st_to_f32(st, t, out), VGG_STATUS_OK);
    assert_float_equal(out[0], 0.1f, 0);
    assert_float_equal(out[1], -1e10f, 0);
    vgg_st_close(st);
    unlink(path);
}

/* The element sizes every reader and writer share (the fuzz harness once
 * kept a copy of its own that stopped at F64 and read past its end on the
 * I64 tensor of tests/fuzz/corpus/safetensors/i64_bn_count). */
static void st_dtype_sizes_and_i64(void **state)
{
    (void)state;
    assert_int_equal(vgg_dtype_size(VGG_DTYPE_F32), 4);
    assert_int_equal(vgg_dtype_size(VGG_DTYPE_F16), 2);
    assert_int_equal(vgg_dtype_size(VGG_DTYPE_BF16), 2);
    assert_int_equal(vgg_dtype_size(VGG_DTYPE_F64), 8);
    assert_int_equal(vgg_dtype_size(VGG_DTYPE_I64), 8);
    assert_int_equal(vgg_dtype_size((vgg_dtype)99), 0);
    vgg_safetensors *st = NULL;
    const char *path = VGG_SOURCE_DIR "/tests/fuzz/corpus/safetensors/i64_bn_count";
    assert_int_equal(vgg_st_open(path, &st), VGG_STATUS_OK);
    const vgg_st_tensor *t = vgg_st_find(st, "features.1.num_batches_tracked");
    assert_non_null(t);
    assert_int_equal(t->dtype, VGG_DTYPE_I64);
    assert_int_equal(t->ndim, 0);
    assert_int_equal(t->nbytes, 8);
    float out[2];
    assert_int_equal(vgg_st_to_f32(st, t, out), VGG_STATUS_OK);
    assert_float_equal(out[0], 7.0f, 0);
    t = vgg_st_find(st, "features.1.running_mean");
    assert_int_equal(vgg_st_to_f32(st, t, out), VGG_STATUS_OK);
    assert_float_equal(out[0], 0.5f, 0);
    assert_float_equal(out[1], -1.0f, 0);
    vgg_st_close(st);
}

static void st_write_read_round_trip(void **state)
{
    (void)state;
    float a[6] = {1, 2, 3, 4, 5, 6}, b[1] = {-7.25f};
    vgg_st_entry e[3] = {
        {.name = "layer.\"quoted\".weight", .dtype = VGG_DTYPE_F32, .ndim = 2, .shape = {2, 3},
         .data = a},
        {.name = "scalar", .dtype = VGG_DTYPE_F32, .ndim = 0, .data = b},
        {.name = "empty", .dtype = VGG_DTYPE_F32, .ndim = 2, .shape = {0, 4}, .data = a},
    };
    const char *keys[2] = {"config", "note"};
    const char *vals[2] = {"D", "tab\there, \"quotes\", back\\slash, é"};
    char path[128];
    tmp_path(path, sizeof path, "roundtrip");
    assert_int_equal(vgg_st_write(path, e, 3, keys, vals, 2), VGG_STATUS_OK);
    /* the header is padded to a multiple of 8 */
    FILE *fp = fopen(path, "rb");
    uint8_t len8[8];
    assert_int_equal(fread(len8, 1, 8, fp), 8);
    fclose(fp);
    assert_int_equal(len8[0] % 8, 0);
    vgg_safetensors *st = NULL;
    assert_int_equal(vgg_st_open(path, &st), VGG_STATUS_OK);
    assert_int_equal(vgg_st_count(st), 3);
    const vgg_st_tensor *t = vgg_st_tensor_at(st, 0);
    assert_string_equal(t->name, "layer.\"quoted\".weight");
    assert_int_equal(t->ndim, 2);
    assert_int_equal(t->shape[0], 2);
    assert_int_equal(t->shape[1], 3);
    float out[6];
    assert_int_equal(vgg_st_to_f32(st, t, out), VGG_STATUS_OK);
    assert_memory_equal(out, a, sizeof a);
    t = vgg_st_find(st, "scalar");
    assert_int_equal(t->ndim, 0);
    assert_int_equal(t->nbytes, 4);
    assert_int_equal(vgg_st_to_f32(st, t, out), VGG_STATUS_OK);
    assert_float_equal(out[0], -7.25f, 0);
    assert_int_equal(vgg_st_find(st, "empty")->nbytes, 0);
    assert_null(vgg_st_find(st, "nothing"));
    assert_int_equal(vgg_st_meta_count(st), 2);
    assert_string_equal(vgg_st_meta(st, "config"), "D");
    assert_string_equal(vgg_st_meta(st, "note"), vals[1]);
    assert_null(vgg_st_meta(st, "absent"));
    const char *k, *v;
    vgg_st_meta_at(st, 1, &k, &v);
    assert_string_equal(k, "note");
    vgg_st_close(st);
    unlink(path);
    vgg_st_close(NULL);
}

/* ------------------------------------------------------------------ */
/* weights files                                                       */
/* ------------------------------------------------------------------ */

static void fill_pattern(vgg_net *net)
{
    for (int i = 0; i < vgg_net_param_count(net); i++) {
        vgg_param *p = vgg_net_param(net, i);
        for (size_t j = 0; j < p->numel; j++)
            p->data[j] = (float)((int)((j * 31 + (size_t)i * 7) % 23) - 11) / 64.0f;
    }
}

static void small_arch(vgg_arch *a, vgg_config_id id)
{
    vgg_arch_default(a, id);
    a->width = 0.0625f;
    a->fc_dim = 16;
    a->num_classes = 5;
    a->input_size = 64;
}

static void net_save_load_round_trip(void **state)
{
    (void)state;
    vgg_arch a;
    small_arch(&a, VGG_CONFIG_C);
    a.pool_round = VGG_POOL_CEIL;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    fill_pattern(net);
    vgg_preproc pp;
    vgg_preproc_caffe(&pp);
    vgg_net_set_preproc(net, &pp);
    char path[128];
    tmp_path(path, sizeof path, "net");
    assert_int_equal(vgg_net_save(net, path), VGG_STATUS_OK);

    /* independently: the file has torchvision's layout for the classifier */
    vgg_safetensors *st = NULL;
    assert_int_equal(vgg_st_open(path, &st), VGG_STATUS_OK);
    const vgg_st_tensor *fc6 = vgg_st_find(st, "classifier.0.weight");
    assert_non_null(fc6);
    assert_int_equal(fc6->ndim, 2);
    assert_int_equal(fc6->shape[0], 16);
    assert_int_equal(fc6->shape[1], 32 * 2 * 2);
    assert_string_equal(vgg_st_meta(st, "config"), "C");
    assert_string_equal(vgg_st_meta(st, "pool_round"), "ceil");
    assert_string_equal(vgg_st_meta(st, "channel_order"), "BGR");
    assert_string_equal(vgg_st_meta(st, "input_range"), "255");
    assert_string_equal(vgg_st_meta(st, "format"), "vggfeat-weights-1");
    assert_string_equal(vgg_st_meta(st, "width"), "0.0625");
    vgg_st_close(st);

    vgg_net *back = NULL;
    assert_int_equal(vgg_net_load(path, be, &back), VGG_STATUS_OK);
    const vgg_arch *b = vgg_net_arch(back);
    assert_int_equal(b->config, VGG_CONFIG_C);
    assert_float_equal(b->width, 0.0625f, 0);
    assert_int_equal(b->fc_dim, 16);
    assert_int_equal(b->num_classes, 5);
    assert_int_equal(b->input_size, 64);
    assert_int_equal(b->pool_round, VGG_POOL_CEIL);
    const vgg_preproc *q = vgg_net_preproc(back);
    assert_int_equal(q->order, VGG_CHANNELS_BGR);
    assert_float_equal(q->range, 255.0f, 0);
    for (int c = 0; c < 3; c++) {
        assert_float_equal(q->mean[c], pp.mean[c], 0);
        assert_float_equal(q->std[c], pp.std[c], 0);
    }
    assert_int_equal(vgg_net_param_count(back), vgg_net_param_count(net));
    for (int i = 0; i < vgg_net_param_count(net); i++) {
        vgg_param *x = vgg_net_param(net, i), *y = vgg_net_param(back, i);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->numel, y->numel);
        assert_memory_equal(x->data, y->data, x->numel * sizeof(float));
    }
    assert_non_null(vgg_net_find_param(back, "features.14.weight"));
    assert_int_equal(vgg_net_find_param(back, "features.14.weight")->shape[2], 1);
    assert_null(vgg_net_find_param(back, "features.1.weight"));

    /* the digest: equal for equal content, different after one change */
    char h1[65], h2[65];
    vgg_net_digest(net, h1);
    vgg_net_digest(back, h2);
    assert_int_equal(strlen(h1), 64);
    assert_string_equal(h1, h2);
    vgg_net_find_param(back, "classifier.3.bias")->data[2] += 1.0f / 1024;
    vgg_net_digest(back, h2);
    assert_string_not_equal(h1, h2);
    vgg_net_free(back);
    vgg_net_free(net);
    unlink(path);
}

/* Forward of a 64x64 input through net: its scores, malloc'd (n floats). */
static float *scores_of(vgg_net *net, size_t *n)
{
    int oc, oh, ow;
    assert_int_equal(vgg_net_output_shape(net, 64, 64, VGG_OUTPUT_SCORES, &oc, &oh, &ow),
                     VGG_STATUS_OK);
    float *x = malloc(sizeof *x * 3 * 64 * 64), *y = malloc(sizeof *y * oc * oh * ow);
    assert_non_null(x);
    assert_non_null(y);
    for (int i = 0; i < 3 * 64 * 64; i++)
        x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
    assert_int_equal(vgg_net_forward(net, x, 1, 64, 64, VGG_OUTPUT_SCORES, y), VGG_STATUS_OK);
    free(x);
    *n = (size_t)oc * oh * ow;
    return y;
}

/* How many of net's weights and biases lie in its file's map (each one
 * that does wholly inside it). */
static int params_in_map(const vgg_net *net)
{
    int k = 0;
    for (int i = 0; i < net->n_params; i++) {
        if (!net->in_map[i])
            continue;
        const uint8_t *d = (const uint8_t *)net->params[i].data;
        assert_true(d >= net->file_map.data &&
                    d + net->params[i].numel * sizeof(float) <=
                        net->file_map.data + net->file_map.size);
        k++;
    }
    return k;
}

/* vgg_net_load uses a file's float32 tensors where they lie in its map:
 * every weight and bias of a net we saved, the same values and scores as
 * a copy (VGG_NO_MMAP=1, which maps none); a write to a parameter stays
 * the process's own (the file, loaded again, is unchanged); a net keeps
 * its weights when the file is replaced (atomically, as vgg_net_save
 * does) under it; and tensors at an offset that is not a float's
 * alignment are copied, with the same values. */
static void load_uses_the_file_in_place(void **state)
{
    (void)state;
    vgg_arch a;
    small_arch(&a, VGG_CONFIG_D);
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    fill_pattern(net);
    char path[128];
    tmp_path(path, sizeof path, "inplace");
    assert_int_equal(vgg_net_save(net, path), VGG_STATUS_OK);
    const int np = vgg_net_param_count(net);
    size_t n0;
    float *want = scores_of(net, &n0);

    vgg_net *m = NULL, *c = NULL;
    assert_int_equal(vgg_net_load(path, be, &m), VGG_STATUS_OK);
    assert_int_equal(params_in_map(m), np);   /* D: 16 layers, a weight and a bias each */
    assert_int_equal(np, 32);
    setenv("VGG_NO_MMAP", "1", 1);
    assert_int_equal(vgg_net_load(path, be, &c), VGG_STATUS_OK);
    unsetenv("VGG_NO_MMAP");
    assert_int_equal(params_in_map(c), 0);
    assert_null(c->file_map.data);
    for (int i = 0; i < np; i++) {
        assert_memory_equal(vgg_net_param(m, i)->data, vgg_net_param(net, i)->data,
                            vgg_net_param(net, i)->numel * sizeof(float));
        assert_memory_equal(vgg_net_param(c, i)->data, vgg_net_param(net, i)->data,
                            vgg_net_param(net, i)->numel * sizeof(float));
    }
    size_t n1, n2;
    float *got_m = scores_of(m, &n1), *got_c = scores_of(c, &n2);
    assert_int_equal(n1, n0);
    assert_int_equal(n2, n0);
    assert_memory_equal(got_m, want, n0 * sizeof *want);
    assert_memory_equal(got_c, want, n0 * sizeof *want);
    free(got_m);
    free(got_c);

    /* a write to the mapped weights: the net's own, the file unchanged */
    vgg_param *w0 = vgg_net_param(m, 0);
    const float first = w0->data[0];
    w0->data[0] = first + 1.0f;
    assert_int_equal(vgg_net_params_changed(m), VGG_STATUS_OK);
    float *changed = scores_of(m, &n1);
    assert_memory_not_equal(changed, want, n0 * sizeof *want);
    free(changed);
    vgg_net *again = NULL;
    assert_int_equal(vgg_net_load(path, be, &again), VGG_STATUS_OK);
    assert_true(vgg_net_param(again, 0)->data[0] == first);
    assert_true(vgg_net_param(m, 0)->data[0] == first + 1.0f);

    /* the file replaced under a loaded net: the net keeps what it loaded */
    for (int i = 0; i < np; i++)
        for (size_t j = 0; j < vgg_net_param(net, i)->numel; j++)
            vgg_net_param(net, i)->data[j] *= -0.5f;
    assert_int_equal(vgg_net_save(net, path), VGG_STATUS_OK);
    float *kept = scores_of(again, &n1);
    assert_memory_equal(kept, want, n0 * sizeof *want);
    free(kept);
    vgg_net_free(again);

    /* an F16 tensor of one element first: every float32 tensor after it
     * at 2 bytes past a float's alignment, so copied */
    vgg_st_entry e[VGG_MAX_PARAMS + 1];
    const uint16_t half_one = 0x3c00;
    memset(e, 0, sizeof e);
    e[0].name = "aaa_unused";
    e[0].dtype = VGG_DTYPE_F16;
    e[0].ndim = 1;
    e[0].shape[0] = 1;
    e[0].data = &half_one;
    for (int i = 0; i < np; i++) {
        const vgg_param *p = vgg_net_param(c, i);
        e[i + 1].name = p->name;
        e[i + 1].dtype = VGG_DTYPE_F32;
        e[i + 1].ndim = p->ndim;
        memcpy(e[i + 1].shape, p->shape, sizeof p->shape);
        e[i + 1].data = p->data;
    }
    char odd[128];
    tmp_path(odd, sizeof odd, "odd");
    assert_int_equal(vgg_st_write(odd, e, np + 1, NULL, NULL, 0), VGG_STATUS_OK);
    vgg_safetensors *st = NULL;
    assert_int_equal(vgg_st_open(odd, &st), VGG_STATUS_OK);
    assert_int_equal((uintptr_t)vgg_st_find(st, "features.0.weight")->data % 4, 2);
    vgg_st_close(st);
    vgg_net *u = NULL;
    assert_int_equal(vgg_net_load(odd, be, &u), VGG_STATUS_OK);
    assert_int_equal(params_in_map(u), 0);
    assert_null(u->file_map.data);
    for (int i = 0; i < np; i++)
        assert_memory_equal(vgg_net_param(u, i)->data, vgg_net_param(c, i)->data,
                            vgg_net_param(c, i)->numel * sizeof(float));
    vgg_net_free(u);
    unlink(odd);

    free(want);
    vgg_net_free(m);
    vgg_net_free(c);
    vgg_net_free(net);
    unlink(path);
}

/* Save a small D net, then rewrite the file without one tensor or with one
 * tensor of a wrong shape. */
static void write_variant(const char *src, const char *dst, const char *drop,
                          const char *reshape)
{
    vgg_safetensors *st = NULL;
    assert_int_equal(vgg_st_open(src, &st), VGG_STATUS_OK);
    vgg_st_entry e[64];
    int n = 0;
    for (int i = 0; i < vgg_st_count(st); i++) {
        const vgg_st_tensor *t = vgg_st_tensor_at(st, i);
        if (drop && strcmp(t->name, drop) == 0)
            continue;
        e[n] = (vgg_st_entry){.name = t->name, .dtype = t->dtype, .ndim = t->ndim, .data = t->data};
        memcpy(e[n].shape, t->shape, sizeof t->shape);
        if (reshape && strcmp(t->name, reshape) == 0) {
            /* same number of elements, other shape: (O, I, 3, 3) -> (O, I * 3, 3, 1) */
            e[n].shape[1] *= 3;
            e[n].shape[3] = 1;
        }
        n++;
    }
    const char *keys[16], *vals[16];
    int m = vgg_st_meta_count(st);
    for (int i = 0; i < m; i++)
        vgg_st_meta_at(st, i, &keys[i], &vals[i]);
    assert_int_equal(vgg_st_write(dst, e, n, keys, vals, m), VGG_STATUS_OK);
    vgg_st_close(st);
}

static void net_load_rejects_missing_and_misshapen(void **state)
{
    (void)state;
    vgg_arch a;
    small_arch(&a, VGG_CONFIG_D);
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    fill_pattern(net);
    char good[128], bad[128];
    tmp_path(good, sizeof good, "dgood");
    tmp_path(bad, sizeof bad, "dbad");
    assert_int_equal(vgg_net_save(net, good), VGG_STATUS_OK);
    vgg_net_free(net);

    vgg_net *out = (vgg_net *)0x1;
    write_variant(good, bad, "features.12.bias", NULL);
    assert_int_equal(vgg_net_load(bad, be, &out), VGG_STATUS_FORMAT);
    assert_null(out);
    assert_error_names(bad, "features.12.bias");
    assert_error_names(bad, "missing");

    write_variant(good, bad, NULL, "features.7.weight");
    assert_int_equal(vgg_net_load(bad, be, &out), VGG_STATUS_FORMAT);
    assert_error_names(bad, "features.7.weight is (8, 24, 3, 1), expected (8, 8, 3, 3)");

    /* without metadata, a dropped conv leaves a conv count no config has */
    vgg_safetensors *st = NULL;
    assert_int_equal(vgg_st_open(good, &st), VGG_STATUS_OK);
    vgg_st_entry e[64];
    int n = 0;
    for (int i = 0; i < vgg_st_count(st); i++) {
        const vgg_st_tensor *t = vgg_st_tensor_at(st, i);
        if (strcmp(t->name, "features.28.weight") == 0)
            continue;
        e[n] = (vgg_st_entry){.name = t->name, .dtype = t->dtype, .ndim = t->ndim, .data = t->data};
        memcpy(e[n].shape, t->shape, sizeof t->shape);
        n++;
    }
    assert_int_equal(vgg_st_write(bad, e, n, NULL, NULL, 0), VGG_STATUS_OK);
    assert_int_equal(vgg_net_load(bad, be, &out), VGG_STATUS_FORMAT);
    assert_error_names(bad, "12 conv weights");
    vgg_st_close(st);

    /* metadata naming a configuration the tensors do not fit */
    const char *keys[2] = {"config", "width"};
    const char *vals[2] = {"C", "0.0625"};
    assert_int_equal(vgg_st_open(good, &st), VGG_STATUS_OK);
    n = 0;
    for (int i = 0; i < vgg_st_count(st); i++) {
        const vgg_st_tensor *t = vgg_st_tensor_at(st, i);
        e[n] = (vgg_st_entry){.name = t->name, .dtype = t->dtype, .ndim = t->ndim, .data = t->data};
        memcpy(e[n].shape, t->shape, sizeof t->shape);
        n++;
    }
    assert_int_equal(vgg_st_write(bad, e, n, keys, vals, 2), VGG_STATUS_OK);
    assert_int_equal(vgg_net_load(bad, be, &out), VGG_STATUS_FORMAT);
    assert_error_names(bad, "features.14.weight is (16, 16, 3, 3), expected (16, 16, 1, 1)");
    vals[0] = "Z";
    assert_int_equal(vgg_st_write(bad, e, n, keys, vals, 2), VGG_STATUS_OK);
    assert_int_equal(vgg_net_load(bad, be, &out), VGG_STATUS_FORMAT);
    assert_error_names(bad, "config = 'Z'");
    vgg_st_close(st);
    unlink(good);
    unlink(bad);
}

/* ------------------------------------------------------------------ */
/* agreement with PyTorch (tests/gen_net_fixtures.py)                  */
/* ------------------------------------------------------------------ */

static float *read_fixture(vgg_safetensors *st, const char *name, int64_t shape[4])
{
    const vgg_st_tensor *t = vgg_st_find(st, name);
    if (!t)
        fail_msg("fixture tensor '%s' missing", name);
    size_t n = 1;
    for (int d = 0; d < 4; d++)
        shape[d] = 1;
    for (int d = 0; d < t->ndim; d++) {
        n *= (size_t)t->shape[d];
        shape[d] = t->shape[d];   /* (n, c) reads as (n, c, 1, 1) */
    }
    float *x = malloc(n * sizeof(float));
    assert_non_null(x);
    assert_int_equal(vgg_st_to_f32(st, t, x), VGG_STATUS_OK);
    return x;
}

static double rel_l2(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return sqrt(num / (den > 0 ? den : 1e-30));
}

static void check_output(vgg_net *net, vgg_safetensors *in, const char *input_name,
                         vgg_safetensors *exp, const char *exp_name, vgg_output what)
{
    int64_t ishape[4], eshape[4];
    float *x = read_fixture(in, input_name, ishape);
    float *want = read_fixture(exp, exp_name, eshape);
    int oc, oh, ow;
    assert_int_equal(vgg_net_output_shape(net, (int)ishape[2], (int)ishape[3], what, &oc, &oh,
                                          &ow),
                     VGG_STATUS_OK);
    assert_int_equal(oc, eshape[1]);
    assert_int_equal(oh, eshape[2]);
    assert_int_equal(ow, eshape[3]);
    size_t n = (size_t)ishape[0] * oc * oh * ow;
    float *got = malloc(n * sizeof(float));
    assert_non_null(got);
    assert_int_equal(vgg_net_forward(net, x, (int)ishape[0], (int)ishape[2], (int)ishape[3], what,
                                     got),
                     VGG_STATUS_OK);
    double e = rel_l2(got, want, n);
    double norm = 0;
    for (size_t i = 0; i < n; i++)
        norm += (double)want[i] * want[i];
    if (!(e < 1e-4) || !(norm > 0))
        fail_msg("%s %s: relative L2 error %g (reference norm %g)",
                 vgg_config_name(vgg_net_arch(net)->config), exp_name, e, sqrt(norm));
    free(x);
    free(want);
    free(got);
}

static void torch_agreement(vgg_config_id id, const char *file)
{
    char wpath[512], epath[512], ipath[512];
    snprintf(wpath, sizeof wpath, "%s/net/%s.safetensors", VGG_FIXTURES, file);
    snprintf(epath, sizeof epath, "%s/net/%s_expected.safetensors", VGG_FIXTURES, file);
    snprintf(ipath, sizeof ipath, "%s/net/input.safetensors", VGG_FIXTURES);
    vgg_net *net = NULL;
    if (vgg_net_load(wpath, be, &net) != VGG_STATUS_OK)
        fail_msg("%s", vgg_last_error());
    const vgg_arch *a = vgg_net_arch(net);
    /* whether from metadata or inferred from the shapes */
    assert_int_equal(a->config, id);
    assert_float_equal(a->width, 0.0625f, 0);
    assert_int_equal(a->fc_dim, 64);
    assert_int_equal(a->num_classes, 10);
    assert_int_equal(a->input_size, 64);
    assert_int_equal(a->pool_round, VGG_POOL_FLOOR);
    /* the digest, as computed by the generator from the documented layout */
    char dpath[512], line[256], want[65] = "", hex[65];
    snprintf(dpath, sizeof dpath, "%s/net/digests.txt", VGG_FIXTURES);
    FILE *fp = fopen(dpath, "r");
    assert_non_null(fp);
    while (fgets(line, sizeof line, fp)) {
        char cfg[16], h[65];
        if (sscanf(line, "%15s %64s", cfg, h) == 2 && strcmp(cfg, file) == 0)
            strcpy(want, h);
    }
    fclose(fp);
    vgg_net_digest(net, hex);
    assert_string_equal(hex, want);
    vgg_safetensors *in = NULL, *exp = NULL;
    assert_int_equal(vgg_st_open(ipath, &in), VGG_STATUS_OK);
    assert_int_equal(vgg_st_open(epath, &exp), VGG_STATUS_OK);
    check_output(net, in, "cls", exp, "scores", VGG_OUTPUT_SCORES);
    check_output(net, in, "a", exp, "fc7_floor_a", VGG_OUTPUT_FC7);
    check_output(net, in, "b", exp, "fc7_floor_b", VGG_OUTPUT_FC7);
    check_output(net, in, "b", exp, "scores_floor_b", VGG_OUTPUT_SCORES);
    vgg_net_set_pool_round(net, VGG_POOL_CEIL);
    check_output(net, in, "a", exp, "fc7_ceil_a", VGG_OUTPUT_FC7);
    check_output(net, in, "b", exp, "fc7_ceil_b", VGG_OUTPUT_FC7);
    vgg_st_close(in);
    vgg_st_close(exp);
    vgg_net_free(net);
}

static void torch_agreement_A(void **state) { (void)state; torch_agreement(VGG_CONFIG_A, "A"); }
static void torch_agreement_A_LRN(void **state)
{
    (void)state;
    torch_agreement(VGG_CONFIG_A_LRN, "A-LRN");
}
static void torch_agreement_B(void **state) { (void)state; torch_agreement(VGG_CONFIG_B, "B"); }
static void torch_agreement_C(void **state) { (void)state; torch_agreement(VGG_CONFIG_C, "C"); }
static void torch_agreement_D(void **state) { (void)state; torch_agreement(VGG_CONFIG_D, "D"); }
static void torch_agreement_E(void **state) { (void)state; torch_agreement(VGG_CONFIG_E, "E"); }

/* The F16 weights of C, saved as F32 by us and read back: same digest. */
static void digest_ignores_dtype_and_key_style(void **state)
{
    (void)state;
    char wpath[512], path[128];
    snprintf(wpath, sizeof wpath, "%s/net/E.safetensors", VGG_FIXTURES);   /* F16, timm keys */
    tmp_path(path, sizeof path, "digest");
    vgg_net *a = NULL, *b = NULL;
    assert_int_equal(vgg_net_load(wpath, be, &a), VGG_STATUS_OK);
    assert_int_equal(vgg_net_save(a, path), VGG_STATUS_OK);
    assert_int_equal(vgg_net_load(path, be, &b), VGG_STATUS_OK);
    char h1[65], h2[65];
    vgg_net_digest(a, h1);
    vgg_net_digest(b, h2);
    assert_string_equal(h1, h2);
    vgg_safetensors *st = NULL;
    assert_int_equal(vgg_st_open(path, &st), VGG_STATUS_OK);
    assert_int_equal(vgg_st_find(st, "classifier.0.weight")->dtype, VGG_DTYPE_F32);
    assert_null(vgg_st_find(st, "pre_logits.fc1.weight"));
    vgg_st_close(st);
    vgg_net_free(a);
    vgg_net_free(b);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(conv_3x3_pad1_hand),
        cmocka_unit_test(conv_two_channels_no_pad_hand),
        cmocka_unit_test(conv_tiled_matches_direct),
        cmocka_unit_test(maxpool_floor_and_ceil_odd),
        cmocka_unit_test(lrn_across_channels_hand),
        cmocka_unit_test(global_avgpool_hand),
        cmocka_unit_test(param_counts_match_paper),
        cmocka_unit_test(layer_keys_follow_torchvision),
        cmocka_unit_test(backends_by_name),
        cmocka_unit_test(too_small_input_names_minimum),
        cmocka_unit_test(st_rejects_malformed_files),
        cmocka_unit_test(st_converts_f16_bf16_f64),
        cmocka_unit_test(st_dtype_sizes_and_i64),
        cmocka_unit_test(st_write_read_round_trip),
        cmocka_unit_test(net_save_load_round_trip),
        cmocka_unit_test(load_uses_the_file_in_place),
        cmocka_unit_test(net_load_rejects_missing_and_misshapen),
        cmocka_unit_test(torch_agreement_A),
        cmocka_unit_test(torch_agreement_A_LRN),
        cmocka_unit_test(torch_agreement_B),
        cmocka_unit_test(torch_agreement_C),
        cmocka_unit_test(torch_agreement_D),
        cmocka_unit_test(torch_agreement_E),
        cmocka_unit_test(digest_ignores_dtype_and_key_style),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
