/* net/: what the weights reader says about metadata values it refuses and
 * about a tensor name given twice (net/src/weights.c, net/src/safetensors.c;
 * issue 24's messages): "input_size must be at least 32 (got 0)" rather
 * than "not a valid integer", and "the name ... is given twice" rather than
 * an overlap or a gap in the data buffer (json-c keeps the last of two equal
 * keys, so the first one's bytes looked like a hole). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/net.h"

static vgg_backend *be;

static int setup(void **state)
{
    (void)state;
    return vgg_backend_open("cpu-ref", 1, &be) == VGG_STATUS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    vgg_backend_close(be);
    return 0;
}

static void assert_error_is(const char *want)
{
    if (strcmp(vgg_last_error(), want) != 0)
        fail_msg("message '%s', expected '%s'", vgg_last_error(), want);
}

/* a small net A (1/16 width, fc 16, 5 classes, 32x32) saved to path */
static void save_small_net(const char *path)
{
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A);
    a.width = 0.0625f;
    a.fc_dim = 16;
    a.num_classes = 5;
    a.input_size = 32;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    for (int i = 0; i < vgg_net_param_count(net); i++) {
        vgg_param *p = vgg_net_param(net, i);
        for (size_t j = 0; j < p->numel; j++)
            p->data[j] = (float)((int)((j * 37 + (size_t)i * 11) % 19) - 8) / 64.0f;
    }
    assert_int_equal(vgg_net_params_changed(net), VGG_STATUS_OK);
    assert_int_equal(vgg_net_save(net, path), VGG_STATUS_OK);
    vgg_net_free(net);
}

/* src's tensors and metadata into dst, with metadata key set to value */
static void rewrite_meta(const char *src, const char *dst, const char *key, const char *value)
{
    vgg_safetensors *st = NULL;
    assert_int_equal(vgg_st_open(src, &st), VGG_STATUS_OK);
    const int n = vgg_st_count(st), nm = vgg_st_meta_count(st);
    vgg_st_entry *e = calloc((size_t)n, sizeof *e);
    const char **k = calloc((size_t)nm, sizeof *k), **v = calloc((size_t)nm, sizeof *v);
    assert_true(e && k && v);
    for (int i = 0; i < n; i++) {
        const vgg_st_tensor *t = vgg_st_tensor_at(st, i);
        e[i] = (vgg_st_entry){ .name = t->name, .dtype = t->dtype, .ndim = t->ndim,
                               .data = t->data };
        memcpy(e[i].shape, t->shape, sizeof t->shape);
    }
    bool found = false;
    for (int i = 0; i < nm; i++) {
        vgg_st_meta_at(st, i, &k[i], &v[i]);
        if (strcmp(k[i], key) == 0) {
            v[i] = value;
            found = true;
        }
    }
    assert_true(found);
    assert_int_equal(vgg_st_write(dst, e, n, k, v, nm), VGG_STATUS_OK);
    vgg_st_close(st);
    free(e);
    free(k);
    free(v);
}

static void refused_metadata_values_say_what_is_wrong(void **state)
{
    (void)state;
    save_small_net("msg_net.safetensors");
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_load("msg_net.safetensors", be, &net), VGG_STATUS_OK);
    vgg_net_free(net);
    static const struct { const char *key, *value, *message; } cases[] = {
        { "input_size", "0", "metadata input_size must be at least 32 (got 0)" },
        { "fc_dim", "0", "metadata fc_dim must be at least 1 (got 0)" },
        { "num_classes", "0", "metadata num_classes must be at least 1 (got 0)" },
        { "num_classes", "-3", "metadata num_classes must be at least 1 (got -3)" },
        { "fc_dim", "99999999", "metadata fc_dim must be at most 16777216 (got 99999999)" },
        { "input_size", "2x", "metadata input_size = '2x' is not a whole number" },
        { "num_classes", "", "metadata num_classes = '' is not a whole number" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        rewrite_meta("msg_net.safetensors", "msg_bad.safetensors", cases[i].key,
                     cases[i].value);
        net = NULL;
        assert_int_equal(vgg_net_load("msg_bad.safetensors", be, &net), VGG_STATUS_FORMAT);
        assert_null(net);
        char want[256];
        snprintf(want, sizeof want, "'msg_bad.safetensors': %s", cases[i].message);
        assert_error_is(want);
    }
    remove("msg_net.safetensors");
    remove("msg_bad.safetensors");
}

/* a safetensors file of the given header (padded to 8) and data bytes */
static void write_raw(const char *path, const char *header, size_t data_bytes)
{
    size_t n = strlen(header), padded = (n + 7) / 8 * 8;
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    uint8_t len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (uint8_t)((uint64_t)padded >> (8 * i));
    assert_int_equal(fwrite(len8, 1, 8, fp), 8);
    assert_int_equal(fwrite(header, 1, n, fp), n);
    for (size_t i = n; i < padded; i++)
        fputc(' ', fp);
    for (size_t i = 0; i < data_bytes; i++)
        fputc(0, fp);
    assert_int_equal(fclose(fp), 0);
}

static void tensor_name_given_twice_is_named(void **state)
{
    (void)state;
    static const struct { const char *header; size_t data; } cases[] = {
        /* the same place twice (json-c kept one: it read as a whole file) */
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
          "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8 },
        /* two places (the first one's bytes read as a gap) */
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
          "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}", 16 },
        /* among others, after the metadata */
        { "{\"__metadata__\":{\"format\":\"pt\"},"
          "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
          "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
          "\"c\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]},"
          "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 12 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        write_raw("msg_dup.safetensors", cases[i].header, cases[i].data);
        vgg_safetensors *st = NULL;
        assert_int_equal(vgg_st_open("msg_dup.safetensors", &st), VGG_STATUS_FORMAT);
        assert_null(st);
        assert_error_is("'msg_dup.safetensors': the name \"a\" is given twice in the header "
                        "(each tensor needs a name of its own)");
    }
    /* names that only look alike, braces and quotes inside strings and
     * comments: one of each, read as they are */
    write_raw("msg_dup.safetensors",
              "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
              "\"a,\\\"a\\\":{\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]},"
              "/* \"a\": */ \"A\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}",
              12);
    vgg_safetensors *st = NULL;
    assert_int_equal(vgg_st_open("msg_dup.safetensors", &st), VGG_STATUS_OK);
    assert_int_equal(vgg_st_count(st), 3);
    assert_non_null(vgg_st_find(st, "a,\"a\":{"));
    vgg_st_close(st);
    remove("msg_dup.safetensors");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(refused_metadata_values_say_what_is_wrong),
        cmocka_unit_test(tensor_name_given_twice_is_named),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
