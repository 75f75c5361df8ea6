/* Caffe .caffemodel reading and conversion (net/src/caffe.c).
 *
 * The fixtures in tests/fixtures/convert/ are made by
 * tests/gen_caffe_fixtures.py with python3-protobuf from
 * tests/caffe_schema.proto: reduced-width D and E (width 1/32, fc 32,
 * 10 classes, input 64) in the old V1 form, the new form, and a mixed file
 * (both forms, unpacked data, unknown fields of every wire type, fc6 as a
 * 4-D convolution); *_expected.safetensors holds the same weights under
 * torchvision's keys, *_forward.safetensors a PyTorch float64 dense forward
 * with Caffe's conventions.  Malformed files are written here byte by byte.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include "vgg/caffe.h"
#include "vgg/core.h"
#include "vgg/net.h"

#define FIX VGG_FIXTURES "/convert/"

/* ---- a small protobuf writer (the tests' own, for malformed files) ---- */

typedef struct pbuf {
    uint8_t *p;
    size_t n, cap;
} pbuf;

static void pb_raw(pbuf *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    if (n)
        memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void pb_varint(pbuf *b, uint64_t v)
{
    do {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7;
        if (v)
            c |= 0x80;
        pb_raw(b, &c, 1);
    } while (v);
}

static void pb_tag(pbuf *b, uint32_t field, int wt) { pb_varint(b, (uint64_t)field << 3 | (unsigned)wt); }

static void pb_len(pbuf *b, uint32_t field, const void *d, size_t n)
{
    pb_tag(b, field, 2);
    pb_varint(b, n);
    pb_raw(b, d, n);
}

static void pb_sub(pbuf *b, uint32_t field, pbuf *sub)
{
    pb_len(b, field, sub->p, sub->n);
    free(sub->p);
    memset(sub, 0, sizeof *sub);
}

static void pb_str(pbuf *b, uint32_t field, const char *s) { pb_len(b, field, s, strlen(s)); }

typedef struct tblob {
    int ndim;
    int64_t shape[4];
    bool legacy;
    size_t n;
    float *data;
} tblob;

static void pb_blob(pbuf *out, uint32_t field, const tblob *t)
{
    pbuf s = {0};
    if (t->legacy) {
        for (int i = 0; i < 4; i++) {
            pb_tag(&s, (uint32_t)i + 1, 0);
            pb_varint(&s, (uint64_t)t->shape[i]);
        }
    } else {
        pbuf dims = {0};
        for (int i = 0; i < t->ndim; i++)
            pb_varint(&dims, (uint64_t)t->shape[i]);
        pbuf sh = {0};
        pb_sub(&sh, 1, &dims);
        pb_sub(&s, 7, &sh);
    }
    pb_len(&s, 5, t->data, t->n * 4);
    pb_sub(out, field, &s);
}

/* a model held as data, to write back with changes */
typedef struct tlayer {
    char name[32];
    char type[32];
    int n_blobs;
    tblob blobs[2];
} tlayer;

typedef struct tmodel {
    int n;
    tlayer layers[64];
} tmodel;

static void tmodel_from(const char *path, tmodel *t)
{
    vgg_caffe_model *m;
    assert_int_equal(vgg_caffe_open(path, &m), VGG_STATUS_OK);
    memset(t, 0, sizeof *t);
    t->n = vgg_caffe_layer_count(m);
    assert_true(t->n <= 64);
    for (int i = 0; i < t->n; i++) {
        const vgg_caffe_layer *L = vgg_caffe_layer_at(m, i);
        snprintf(t->layers[i].name, sizeof t->layers[i].name, "%s", L->name);
        snprintf(t->layers[i].type, sizeof t->layers[i].type, "%s",
                 L->kind == VGG_CAFFE_KIND_CONV ? "Convolution"
                 : L->kind == VGG_CAFFE_KIND_FC ? "InnerProduct" : "ReLU");
        assert_true(L->n_blobs <= 2);
        t->layers[i].n_blobs = L->n_blobs;
        for (int b = 0; b < L->n_blobs; b++) {
            tblob *tb = &t->layers[i].blobs[b];
            tb->ndim = L->blobs[b].ndim;
            memcpy(tb->shape, L->blobs[b].shape, sizeof tb->shape);
            tb->n = (size_t)L->blobs[b].count;
            tb->data = malloc(tb->n * sizeof *tb->data + 4);
            vgg_caffe_blob_read(&L->blobs[b], tb->data);
        }
    }
    vgg_caffe_close(m);
}

static void tmodel_free(tmodel *t)
{
    for (int i = 0; i < t->n; i++)
        for (int b = 0; b < t->layers[i].n_blobs; b++)
            free(t->layers[i].blobs[b].data);
}

static void tmodel_drop(tmodel *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->layers[i].name, name)) {
            for (int b = 0; b < t->layers[i].n_blobs; b++)
                free(t->layers[i].blobs[b].data);
            memmove(&t->layers[i], &t->layers[i + 1], sizeof t->layers[0] * (size_t)(t->n - i - 1));
            t->n--;
            return;
        }
    fail_msg("no layer %s", name);
}

static tlayer *tmodel_find(tmodel *t, const char *name)
{
    for (int i = 0; i < t->n; i++)
        if (!strcmp(t->layers[i].name, name))
            return &t->layers[i];
    fail_msg("no layer %s", name);
    return NULL;
}

static void write_bytes(const char *path, const void *d, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    if (n)
        assert_int_equal(fwrite(d, 1, n, fp), n);
    assert_int_equal(fclose(fp), 0);
}

/* new form: NetParameter.layer (100) of LayerParameter */
static void tmodel_write(const tmodel *t, const char *path)
{
    pbuf out = {0};
    pb_str(&out, 1, "written by test_convert");
    for (int i = 0; i < t->n; i++) {
        pbuf L = {0};
        pb_str(&L, 1, t->layers[i].name);
        pb_str(&L, 2, t->layers[i].type);
        for (int b = 0; b < t->layers[i].n_blobs; b++)
            pb_blob(&L, 7, &t->layers[i].blobs[b]);
        pb_sub(&out, 100, &L);
    }
    write_bytes(path, out.p, out.n);
    free(out.p);
}

/* ---- helpers ---- */

static bool file_exists(const char *path) { return access(path, F_OK) == 0; }

static int count_tmp_files(const char *prefix)
{
    DIR *d = opendir(".");
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strncmp(e->d_name, prefix, strlen(prefix)) == 0 && strstr(e->d_name, ".tmp.") != NULL;
    closedir(d);
    return n;
}

#define assert_msg_has(s)                                                                  \
    do {                                                                                   \
        if (!strstr(vgg_last_error(), (s)))                                                \
            fail_msg("message \"%s\" lacks \"%s\"", vgg_last_error(), (s));                \
    } while (0)

/* open a byte string as a file named path, expecting status st */
static void expect_bytes(const char *path, const void *d, size_t n, vgg_status want)
{
    write_bytes(path, d, n);
    vgg_caffe_model *m = (vgg_caffe_model *)1;
    vgg_status st = vgg_caffe_open(path, &m);
    if (st != want)
        fail_msg("'%s': status %s (%s), expected %s", path, vgg_status_name(st), vgg_last_error(),
                 vgg_status_name(want));
    if (want != VGG_STATUS_OK) {
        assert_null(m);
        assert_msg_has(path);
    } else {
        vgg_caffe_close(m);
    }
    unlink(path);
}

/* ---- the fixtures convert exactly ---- */

static void check_converted(const char *caffe, const char *expected, const char *config)
{
    const char *out = "convert_out.safetensors";
    unlink(out);
    vgg_arch a;
    vgg_status st = vgg_caffe_convert(caffe, out, NULL, &a);
    if (st != VGG_STATUS_OK)
        fail_msg("%s", vgg_last_error());
    assert_string_equal(vgg_config_name(a.config), config);
    assert_true(a.width == 1.0f / 32);
    assert_int_equal(a.fc_dim, 32);
    assert_int_equal(a.num_classes, 10);
    assert_int_equal(a.input_size, 64);
    assert_int_equal(a.pool_round, VGG_POOL_CEIL);

    vgg_safetensors *got, *want;
    assert_int_equal(vgg_st_open(out, &got), VGG_STATUS_OK);
    assert_int_equal(vgg_st_open(expected, &want), VGG_STATUS_OK);
    assert_int_equal(vgg_st_count(got), vgg_st_count(want));
    assert_int_equal(vgg_st_count(got), strcmp(config, "D") ? 2 * 19 : 2 * 16);
    for (int i = 0; i < vgg_st_count(want); i++) {
        const vgg_st_tensor *w = vgg_st_tensor_at(want, i);
        const vgg_st_tensor *g = vgg_st_find(got, w->name);
        if (!g)
            fail_msg("%s: no tensor %s", caffe, w->name);
        /* written in the expected (torchvision state dict) order */
        assert_string_equal(vgg_st_tensor_at(got, i)->name, w->name);
        assert_int_equal(g->dtype, VGG_DTYPE_F32);
        assert_int_equal(g->ndim, w->ndim);
        for (int d = 0; d < w->ndim; d++)
            assert_int_equal(g->shape[d], w->shape[d]);
        assert_int_equal(g->nbytes, w->nbytes);
        if (memcmp(g->data, w->data, w->nbytes) != 0)
            fail_msg("%s: tensor %s differs", caffe, w->name);
    }
    const char *meta[][2] = {{"format", "vggfeat-weights-1"}, {"config", config},
                             {"width", "0.03125"}, {"fc_dim", "32"}, {"num_classes", "10"},
                             {"input_size", "64"}, {"pool_round", "ceil"},
                             {"channel_order", "BGR"}, {"input_range", "255"},
                             {"mean", "103.939,116.779,123.68"}, {"std", "1,1,1"}};
    for (size_t i = 0; i < sizeof meta / sizeof meta[0]; i++) {
        const char *v = vgg_st_meta(got, meta[i][0]);
        if (!v || strcmp(v, meta[i][1]))
            fail_msg("metadata %s = %s, expected %s", meta[i][0], v ? v : "(none)", meta[i][1]);
    }
    vgg_st_close(got);
    vgg_st_close(want);
    unlink(out);
}

static void converts_d_v1_exactly(void **s) { (void)s; check_converted(FIX "d_v1.caffemodel", FIX "d_expected.safetensors", "D"); }
static void converts_d_new_exactly(void **s) { (void)s; check_converted(FIX "d_new.caffemodel", FIX "d_expected.safetensors", "D"); }
static void converts_d_mixed_exactly(void **s) { (void)s; check_converted(FIX "d_mixed.caffemodel", FIX "d_expected.safetensors", "D"); }
static void converts_e_v1_exactly(void **s) { (void)s; check_converted(FIX "e_v1.caffemodel", FIX "e_expected.safetensors", "E"); }
static void converts_e_new_exactly(void **s) { (void)s; check_converted(FIX "e_new.caffemodel", FIX "e_expected.safetensors", "E"); }

/* ---- the reader's view of the files ---- */

static void reads_v1_layers_and_legacy_shapes(void **state)
{
    (void)state;
    vgg_caffe_model *m;
    assert_int_equal(vgg_caffe_open(FIX "d_v1.caffemodel", &m), VGG_STATUS_OK);
    assert_int_equal(vgg_caffe_form_of(m), VGG_CAFFE_FORM_V1);
    assert_string_equal(vgg_caffe_net_name(m), "VGG_ILSVRC_16_layers");
    /* 13 conv + 13 relu + 5 pool + fc6 relu drop fc7 relu drop fc8 prob */
    assert_int_equal(vgg_caffe_layer_count(m), 13 * 2 + 5 + 8);
    const vgg_caffe_layer *L = vgg_caffe_layer_at(m, 0);
    assert_string_equal(L->name, "conv1_1");
    assert_string_equal(L->type, "CONVOLUTION");
    assert_int_equal(L->kind, VGG_CAFFE_KIND_CONV);
    assert_int_equal(L->n_blobs, 2);
    /* conv1_1 of width 1/32: 2 outputs, 3 inputs, 3x3; bias 1x1x1x2 */
    const int64_t w[4] = {2, 3, 3, 3}, b[4] = {1, 1, 1, 2};
    assert_true(L->blobs[0].legacy_shape);
    assert_int_equal(L->blobs[0].ndim, 4);
    assert_memory_equal(L->blobs[0].shape, w, sizeof w);
    assert_memory_equal(L->blobs[1].shape, b, sizeof b);
    assert_int_equal(L->blobs[0].count, 54);
    L = vgg_caffe_layer_at(m, 1);
    assert_string_equal(L->name, "relu1_1");
    assert_string_equal(L->type, "RELU");
    assert_int_equal(L->n_blobs, 0);
    L = vgg_caffe_find_layer(m, "fc7");
    assert_non_null(L);
    assert_int_equal(L->kind, VGG_CAFFE_KIND_FC);
    const int64_t f7[4] = {1, 1, 32, 32};
    assert_memory_equal(L->blobs[0].shape, f7, sizeof f7);
    assert_string_equal(vgg_caffe_layer_at(m, vgg_caffe_layer_count(m) - 1)->type, "SOFTMAX");
    assert_null(vgg_caffe_find_layer(m, "conv3_4"));
    vgg_caffe_close(m);
}

static void reads_new_form_blob_shapes(void **state)
{
    (void)state;
    vgg_caffe_model *m;
    assert_int_equal(vgg_caffe_open(FIX "e_new.caffemodel", &m), VGG_STATUS_OK);
    assert_int_equal(vgg_caffe_form_of(m), VGG_CAFFE_FORM_NEW);
    assert_string_equal(vgg_caffe_net_name(m), "VGG_ILSVRC_19_layers");
    assert_int_equal(vgg_caffe_layer_count(m), 16 * 2 + 5 + 8);
    const vgg_caffe_layer *L = vgg_caffe_find_layer(m, "conv5_4");
    assert_non_null(L);
    assert_string_equal(L->type, "Convolution");
    assert_false(L->blobs[0].legacy_shape);
    const int64_t w[4] = {16, 16, 3, 3};
    assert_int_equal(L->blobs[0].ndim, 4);
    assert_memory_equal(L->blobs[0].shape, w, sizeof w);
    assert_int_equal(L->blobs[1].ndim, 1);
    assert_int_equal(L->blobs[1].shape[0], 16);
    L = vgg_caffe_find_layer(m, "fc6");
    assert_string_equal(L->type, "InnerProduct");
    assert_int_equal(L->blobs[0].ndim, 2);
    assert_int_equal(L->blobs[0].shape[0], 32);
    assert_int_equal(L->blobs[0].shape[1], 16 * 2 * 2);
    assert_string_equal(vgg_caffe_layer_at(m, 1)->type, "ReLU");
    vgg_caffe_close(m);
}

/* the mixed file: unpacked values equal the packed ones of d_v1 */
static void reads_mixed_unpacked_data(void **state)
{
    (void)state;
    vgg_caffe_model *a, *b;
    assert_int_equal(vgg_caffe_open(FIX "d_v1.caffemodel", &a), VGG_STATUS_OK);
    assert_int_equal(vgg_caffe_open(FIX "d_mixed.caffemodel", &b), VGG_STATUS_OK);
    assert_int_equal(vgg_caffe_form_of(b), VGG_CAFFE_FORM_MIXED);
    assert_int_equal(vgg_caffe_layer_count(a), vgg_caffe_layer_count(b));
    for (int i = 0; i < vgg_caffe_layer_count(a); i++) {
        const vgg_caffe_layer *x = vgg_caffe_layer_at(a, i), *y = vgg_caffe_layer_at(b, i);
        assert_string_equal(x->name, y->name);
        assert_int_equal(x->n_blobs, y->n_blobs);
        for (int k = 0; k < x->n_blobs; k++) {
            assert_int_equal(x->blobs[k].count, y->blobs[k].count);
            size_t n = (size_t)x->blobs[k].count;
            float *p = malloc(n * 4 + 4), *q = malloc(n * 4 + 4);
            vgg_caffe_blob_read(&x->blobs[k], p);
            vgg_caffe_blob_read(&y->blobs[k], q);
            assert_memory_equal(p, q, n * 4);
            free(p);
            free(q);
        }
    }
    /* fc6 is a convolution with a 4-D blob there */
    const vgg_caffe_layer *f6 = vgg_caffe_find_layer(b, "fc6");
    assert_string_equal(f6->type, "Convolution");
    assert_int_equal(f6->blobs[0].ndim, 4);
    vgg_caffe_close(a);
    vgg_caffe_close(b);
}

/* ---- dense forward of a converted net against PyTorch ---- */

static float test_pixel(int y, int x, int c) { return (float)((7 * x + 13 * y + 29 * c + (x * y) % 11) % 256); }

static double rel_l2(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        den += (double)b[i] * b[i];
    }
    return sqrt(num / (den > 0 ? den : 1));
}

static void check_forward(const char *caffe, const char *ref)
{
    const char *out = "convert_fwd.safetensors";
    assert_int_equal(vgg_caffe_convert(caffe, out, NULL, NULL), VGG_STATUS_OK);
    vgg_backend *be;
    assert_int_equal(vgg_backend_open("cpu", 2, &be), VGG_STATUS_OK);
    vgg_net *net;
    vgg_status st = vgg_net_load(out, be, &net);
    if (st != VGG_STATUS_OK)
        fail_msg("%s", vgg_last_error());
    assert_int_equal(vgg_net_arch(net)->pool_round, VGG_POOL_CEIL);
    /* preprocessing from the file's metadata, as the extractor applies it */
    const vgg_preproc *pp = vgg_net_preproc(net);
    assert_int_equal(pp->order, VGG_CHANNELS_BGR);
    const int H = 70, W = 90;
    float *x = malloc(sizeof *x * 3 * H * W);
    for (int c = 0; c < 3; c++) {
        int src = pp->order == VGG_CHANNELS_BGR ? 2 - c : c;
        for (int y = 0; y < H; y++)
            for (int xx = 0; xx < W; xx++)
                x[((size_t)c * H + y) * W + xx] =
                    (test_pixel(y, xx, src) / 255.0f * pp->range - pp->mean[c]) / pp->std[c];
    }
    vgg_safetensors *r;
    assert_int_equal(vgg_st_open(ref, &r), VGG_STATUS_OK);
    const vgg_output what[2] = {VGG_OUTPUT_FC7, VGG_OUTPUT_SCORES};
    const char *names[2] = {"fc7", "scores"};
    for (int k = 0; k < 2; k++) {
        const vgg_st_tensor *t = vgg_st_find(r, names[k]);
        assert_non_null(t);
        int oc, oh, ow;
        assert_int_equal(vgg_net_output_shape(net, H, W, what[k], &oc, &oh, &ow), VGG_STATUS_OK);
        /* ceil pooling: 70x90 -> pool5 3x3 -> fc6 (2x2 kernel) 2x2 */
        assert_int_equal(t->ndim, 4);
        assert_int_equal(oc, t->shape[1]);
        assert_int_equal(oh, t->shape[2]);
        assert_int_equal(ow, t->shape[3]);
        assert_int_equal(oh, 2);
        assert_int_equal(ow, 2);
        size_t n = (size_t)oc * oh * ow;
        float *y = malloc(sizeof *y * n), *e = malloc(sizeof *e * n);
        assert_int_equal(vgg_net_forward(net, x, 1, H, W, what[k], y), VGG_STATUS_OK);
        assert_int_equal(vgg_st_to_f32(r, t, e), VGG_STATUS_OK);
        double err = rel_l2(y, e, n);
        if (!(err < 1e-4))
            fail_msg("%s %s: relative L2 error %g", caffe, names[k], err);
        free(y);
        free(e);
    }
    vgg_st_close(r);
    free(x);
    vgg_net_free(net);
    vgg_backend_close(be);
    unlink(out);
}

static void forward_d_matches_torch(void **s) { (void)s; check_forward(FIX "d_v1.caffemodel", FIX "d_forward.safetensors"); }
static void forward_e_matches_torch(void **s) { (void)s; check_forward(FIX "e_new.caffemodel", FIX "e_forward.safetensors"); }

/* ---- the architecture: inferred, given, refused ---- */

static void arch_given_or_inferred(void **state)
{
    (void)state;
    vgg_caffe_model *m;
    assert_int_equal(vgg_caffe_open(FIX "d_new.caffemodel", &m), VGG_STATUS_OK);
    vgg_arch a;
    vgg_config_id d = VGG_CONFIG_D, e = VGG_CONFIG_E, b = VGG_CONFIG_B;
    assert_int_equal(vgg_caffe_arch(m, &d, &a), VGG_STATUS_OK);
    assert_int_equal(a.config, VGG_CONFIG_D);
    /* --arch E on a D file: E's conv3_4 is missing */
    assert_int_equal(vgg_caffe_arch(m, &e, &a), VGG_STATUS_NOT_FOUND);
    assert_msg_has("d_new.caffemodel");
    assert_msg_has("'conv3_4'");
    /* --arch B: every B layer is there, but conv3_3 is not B's */
    assert_int_equal(vgg_caffe_arch(m, &b, &a), VGG_STATUS_FORMAT);
    assert_msg_has("'conv3_3'");
    vgg_caffe_close(m);
}

/* D's layers, some dropped or made 1x1, are A, A-LRN, B and C */
static void infers_every_configuration(void **state)
{
    (void)state;
    const char *path = "convert_cfg.caffemodel", *out = "convert_cfg.safetensors";
    static const char *const b_drop[] = {"conv3_3", "conv4_3", "conv5_3"};
    static const char *const a_drop[] = {"conv1_2", "conv2_2", "conv3_3", "conv4_3", "conv5_3"};
    for (int cfg = 0; cfg < 4; cfg++) {
        tmodel t;
        tmodel_from(FIX "d_v1.caffemodel", &t);
        vgg_config_id want;
        if (cfg == 0) {
            want = VGG_CONFIG_B;
            for (int i = 0; i < 3; i++)
                tmodel_drop(&t, b_drop[i]);
        } else if (cfg == 1 || cfg == 2) {
            want = cfg == 1 ? VGG_CONFIG_A : VGG_CONFIG_A_LRN;
            for (int i = 0; i < 5; i++)
                tmodel_drop(&t, a_drop[i]);
            if (cfg == 2)
                snprintf(tmodel_find(&t, "relu1_1")->type, 32, "LRN");
        } else {
            want = VGG_CONFIG_C;
            for (int i = 0; i < 3; i++) {
                tblob *w = &tmodel_find(&t, b_drop[i])->blobs[0];
                w->shape[2] = w->shape[3] = 1;
                w->n = (size_t)(w->shape[0] * w->shape[1]);
            }
        }
        tmodel_write(&t, path);
        tmodel_free(&t);
        vgg_arch a;
        vgg_status st = vgg_caffe_convert(path, out, NULL, &a);
        if (st != VGG_STATUS_OK)
            fail_msg("%s: %s", vgg_config_name(want), vgg_last_error());
        assert_int_equal(a.config, want);
        /* the file loads as that configuration */
        vgg_backend *be;
        vgg_net *net;
        assert_int_equal(vgg_backend_open("cpu", 1, &be), VGG_STATUS_OK);
        st = vgg_net_load(out, be, &net);
        if (st != VGG_STATUS_OK)
            fail_msg("%s: %s", vgg_config_name(want), vgg_last_error());
        assert_int_equal(vgg_net_arch(net)->config, want);
        assert_int_equal(vgg_net_arch(net)->pool_round, VGG_POOL_CEIL);
        vgg_net_free(net);
        vgg_backend_close(be);
        unlink(out);
    }
    unlink(path);
}

static void missing_layer_is_named(void **state)
{
    (void)state;
    const char *path = "convert_missing.caffemodel", *out = "convert_missing.safetensors";
    const char *drop[] = {"conv3_2", "fc7", "fc6", "conv1_1"};
    for (size_t i = 0; i < sizeof drop / sizeof drop[0]; i++) {
        tmodel t;
        tmodel_from(FIX "d_v1.caffemodel", &t);
        tmodel_drop(&t, drop[i]);
        tmodel_write(&t, path);
        tmodel_free(&t);
        unlink(out);
        assert_int_equal(vgg_caffe_convert(path, out, NULL, NULL), VGG_STATUS_NOT_FOUND);
        assert_msg_has(path);
        char want[64];
        snprintf(want, sizeof want, "layer '%s' is missing", drop[i]);
        assert_msg_has(want);
        assert_false(file_exists(out));
    }
    /* the untouched re-write converts: the writer above is faithful */
    tmodel t;
    tmodel_from(FIX "d_v1.caffemodel", &t);
    tmodel_write(&t, path);
    tmodel_free(&t);
    assert_int_equal(vgg_caffe_convert(path, out, NULL, NULL), VGG_STATUS_OK);
    unlink(out);
    unlink(path);
}

static void wrong_blob_shapes_are_named(void **state)
{
    (void)state;
    const char *path = "convert_shape.caffemodel", *out = "convert_shape.safetensors";
    /* conv2_1 weights (4, 2, 3, 3) relabelled (8, 1, 3, 3): same count */
    tmodel t;
    tmodel_from(FIX "d_new.caffemodel", &t);
    tlayer *L = tmodel_find(&t, "conv2_1");
    assert_int_equal(L->blobs[0].shape[0], 4);
    L->blobs[0].shape[0] = 8;
    L->blobs[0].shape[1] = 1;
    tmodel_write(&t, path);
    tmodel_free(&t);
    assert_int_equal(vgg_caffe_convert(path, out, NULL, NULL), VGG_STATUS_FORMAT);
    assert_msg_has(path);
    assert_msg_has("'conv2_1'");
    assert_msg_has("(8, 1, 3, 3)");
    assert_msg_has("(4, 2, 3, 3)");
    assert_false(file_exists(out));

    /* fc7's bias one value short: a self-consistent blob of the wrong size */
    tmodel_from(FIX "d_new.caffemodel", &t);
    L = tmodel_find(&t, "fc7");
    L->blobs[1].shape[0] = 31;
    L->blobs[1].n = 31;
    tmodel_write(&t, path);
    tmodel_free(&t);
    assert_int_equal(vgg_caffe_convert(path, out, NULL, NULL), VGG_STATUS_FORMAT);
    assert_msg_has("'fc7'");
    assert_msg_has("bias");

    /* a blob whose data does not fill its shape: a reader error */
    tmodel_from(FIX "d_new.caffemodel", &t);
    L = tmodel_find(&t, "conv4_2");
    L->blobs[0].n -= 1;
    tmodel_write(&t, path);
    tmodel_free(&t);
    vgg_caffe_model *m = (vgg_caffe_model *)1;
    assert_int_equal(vgg_caffe_open(path, &m), VGG_STATUS_FORMAT);
    assert_null(m);
    assert_msg_has(path);
    assert_msg_has("'conv4_2', blob 0");
    assert_msg_has("shape (16, 16, 3, 3) holds 2304 values but the blob has 2303 data values");

    /* a layer with one blob, and a weight layer of the wrong type */
    tmodel_from(FIX "d_new.caffemodel", &t);
    tmodel_find(&t, "conv5_1")->n_blobs = 1;
    free(tmodel_find(&t, "conv5_1")->blobs[1].data);
    tmodel_write(&t, path);
    tmodel_free(&t);
    assert_int_equal(vgg_caffe_convert(path, out, NULL, NULL), VGG_STATUS_FORMAT);
    assert_msg_has("'conv5_1' has 1 blobs, expected 2");
    tmodel_from(FIX "d_new.caffemodel", &t);
    snprintf(tmodel_find(&t, "conv1_2")->type, 32, "Pooling");
    tmodel_write(&t, path);
    tmodel_free(&t);
    assert_int_equal(vgg_caffe_convert(path, out, NULL, NULL), VGG_STATUS_FORMAT);
    assert_msg_has("'conv1_2' is of type 'Pooling'");
    assert_false(file_exists(out));
    unlink(path);
}

/* ---- malformed bytes ---- */

static void not_a_caffemodel(void **state)
{
    (void)state;
    expect_bytes("convert_empty.caffemodel", "", 0, VGG_STATUS_FORMAT);
    assert_msg_has("not a caffemodel");
    const char text[] = "name: \"VGG_ILSVRC_16_layers\"\nlayers { name: \"conv1_1\" }\n";
    expect_bytes("convert_text.caffemodel", text, sizeof text - 1, VGG_STATUS_FORMAT);
    assert_msg_has("not a caffemodel");
    const uint8_t jpeg[] = {0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0};
    expect_bytes("convert_jpeg.caffemodel", jpeg, sizeof jpeg, VGG_STATUS_FORMAT);
    assert_msg_has("not a caffemodel");
    /* a safetensors file: u64 header length, then JSON */
    const char st[] = "\x10\0\0\0\0\0\0\0{\"a\":1}        ";
    expect_bytes("convert_st.caffemodel", st, sizeof st - 1, VGG_STATUS_FORMAT);
    assert_msg_has("not a caffemodel");
    /* well-formed protobuf without layers: a NetParameter name only */
    pbuf b = {0};
    pb_str(&b, 1, "empty net");
    pb_tag(&b, 4, 0);
    pb_varint(&b, 224);
    expect_bytes("convert_nolayers.caffemodel", b.p, b.n, VGG_STATUS_FORMAT);
    assert_msg_has("not a caffemodel: no layers");
    free(b.p);
    /* and a missing file */
    vgg_caffe_model *m;
    assert_int_equal(vgg_caffe_open("no/such.caffemodel", &m), VGG_STATUS_NOT_FOUND);
    assert_msg_has("no/such.caffemodel");
}

/* layers { name: "conv1_1" blobs { <blob> } } in the V1 form */
static void v1_layer_with_blob(pbuf *out, const uint8_t *blob, size_t n)
{
    pbuf L = {0};
    pb_str(&L, 4, "conv1_1");
    pb_tag(&L, 5, 0);
    pb_varint(&L, 4);
    pb_len(&L, 6, blob, n);
    pb_sub(out, 2, &L);
}

static void wire_errors_name_file_layer_problem(void **state)
{
    (void)state;
    const char *p = "convert_wire.caffemodel";
    /* truncated varint: a layers field whose length never ends */
    const uint8_t t1[] = {0x12, 0x80};
    expect_bytes(p, t1, sizeof t1, VGG_STATUS_FORMAT);
    assert_msg_has("truncated varint");
    /* a varint of 11 bytes */
    const uint8_t t2[] = {0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    expect_bytes(p, t2, sizeof t2, VGG_STATUS_FORMAT);
    assert_msg_has("longer than 10 bytes");
    /* a layer whose length runs past the end of the file */
    pbuf b = {0};
    pbuf L = {0};
    pb_str(&L, 4, "fc8");
    pb_tag(&b, 2, 2);
    pb_varint(&b, 1000);
    pb_raw(&b, L.p, L.n);
    free(L.p);
    expect_bytes(p, b.p, b.n, VGG_STATUS_FORMAT);
    assert_msg_has("layer 0 'fc8'");
    assert_msg_has("runs past the end of the file");
    free(b.p);
    memset(&b, 0, sizeof b);
    /* inside a layer: the name's length runs past the layer */
    const uint8_t t3[] = {0x12, 0x05, 0x22, 0x32, 'c', 'o', 'n'};
    expect_bytes(p, t3, sizeof t3, VGG_STATUS_FORMAT);
    assert_msg_has("layer 0");
    assert_msg_has("runs past the end of the layer");
    /* wrong wire type: layers (field 2) as a varint */
    const uint8_t t4[] = {0x10, 0x01};
    expect_bytes(p, t4, sizeof t4, VGG_STATUS_FORMAT);
    assert_msg_has("field 2 (NetParameter.layers) has wire type 0 (varint), expected 2");
    /* wrong wire type: a V1 layer's name as a varint */
    const uint8_t t5[] = {0x0a, 0x01, 'n', 0x12, 0x02, 0x20, 0x05};
    expect_bytes(p, t5, sizeof t5, VGG_STATUS_FORMAT);
    assert_msg_has("layer 0");
    assert_msg_has("field 4 (name) has wire type 0");
    /* invalid wire types 6 and 7, field number 0 */
    const uint8_t t6[] = {0x0e};
    expect_bytes(p, t6, sizeof t6, VGG_STATUS_FORMAT);
    assert_msg_has("invalid wire type 6");
    const uint8_t t7[] = {0x00, 0x00};
    expect_bytes(p, t7, sizeof t7, VGG_STATUS_FORMAT);
    assert_msg_has("invalid field number 0");

    /* inside a blob of a named layer */
    const uint8_t bt1[] = {0x08, 0x80};                       /* num: truncated varint */
    v1_layer_with_blob(&b, bt1, sizeof bt1);
    expect_bytes(p, b.p, b.n, VGG_STATUS_FORMAT);
    assert_msg_has("layer 0 'conv1_1', blob 0: truncated varint (num)");
    free(b.p);
    memset(&b, 0, sizeof b);
    const uint8_t bt2[] = {0x28, 0x01};                       /* data as a varint */
    v1_layer_with_blob(&b, bt2, sizeof bt2);
    expect_bytes(p, b.p, b.n, VGG_STATUS_FORMAT);
    assert_msg_has("blob 0: field 5 (BlobProto.data) has wire type 0");
    free(b.p);
    memset(&b, 0, sizeof b);
    const uint8_t bt3[] = {0x20, 0x02, 0x2a, 0x07, 0, 0, 0, 0, 0, 0, 0}; /* 7 bytes of floats */
    v1_layer_with_blob(&b, bt3, sizeof bt3);
    expect_bytes(p, b.p, b.n, VGG_STATUS_FORMAT);
    assert_msg_has("'conv1_1', blob 0: packed float data of 7 bytes, not a multiple of 4");
    free(b.p);
    memset(&b, 0, sizeof b);
    /* width 3 (legacy dims, others default 0): shape (0, 0, 0, 3) holds 0 values */
    const uint8_t bt4[] = {0x20, 0x03, 0x2a, 0x0c, 0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40};
    v1_layer_with_blob(&b, bt4, sizeof bt4);
    expect_bytes(p, b.p, b.n, VGG_STATUS_FORMAT);
    assert_msg_has("shape (0, 0, 0, 3) holds 0 values but the blob has 3 data values");
    free(b.p);
    memset(&b, 0, sizeof b);
    /* a negative legacy dimension (sign-extended to 10 bytes) */
    const uint8_t bt5[] = {0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
    v1_layer_with_blob(&b, bt5, sizeof bt5);
    expect_bytes(p, b.p, b.n, VGG_STATUS_FORMAT);
    assert_msg_has("num is -1");
    free(b.p);
    memset(&b, 0, sizeof b);
    /* data without any shape */
    const uint8_t bt6[] = {0x2d, 0, 0, 0x80, 0x3f};
    v1_layer_with_blob(&b, bt6, sizeof bt6);
    expect_bytes(p, b.p, b.n, VGG_STATUS_FORMAT);
    assert_msg_has("1 data values but no shape");
    free(b.p);
    memset(&b, 0, sizeof b);
    /* a BlobShape dim with the wrong wire type */
    const uint8_t bt7[] = {0x3a, 0x05, 0x0d, 0, 0, 0, 0};
    v1_layer_with_blob(&b, bt7, sizeof bt7);
    expect_bytes(p, b.p, b.n, VGG_STATUS_FORMAT);
    assert_msg_has("field 1 (BlobShape.dim) has wire type 5");
    free(b.p);
    memset(&b, 0, sizeof b);
    unlink(p);
}

/* Hand-made files that are valid: every wire type skipped, groups, the
 * V0 nesting, unpacked dims, and the exact float values. */
static void skips_unknown_fields_and_reads_values(void **state)
{
    (void)state;
    pbuf b = {0};
    pb_tag(&b, 900, 0);                 /* unknown varint */
    pb_varint(&b, 123456789);
    pb_tag(&b, 901, 1);                 /* unknown 64-bit */
    pb_raw(&b, "12345678", 8);
    pb_tag(&b, 902, 5);                 /* unknown 32-bit */
    pb_raw(&b, "1234", 4);
    pb_tag(&b, 903, 3);                 /* unknown group with a nested group */
    pb_tag(&b, 1, 0);
    pb_varint(&b, 5);
    pb_tag(&b, 2, 3);
    pb_str(&b, 1, "inner");
    pb_tag(&b, 2, 4);
    pb_tag(&b, 903, 4);
    /* a V1 layer holding a V0 layer (name 1, type 2 "conv", blobs 50) */
    pbuf v0 = {0}, v1 = {0}, blob = {0}, dims = {0}, sh = {0};
    pb_str(&v0, 1, "conv9_9");
    pb_str(&v0, 2, "conv");
    pb_tag(&dims, 1, 0);                /* unpacked dims 2, 2 */
    pb_varint(&dims, 2);
    pb_tag(&dims, 1, 0);
    pb_varint(&dims, 2);
    pb_sub(&blob, 7, &dims);
    const float vals[4] = {1.5f, -2.0f, 0.25f, 1e-3f};
    pb_tag(&blob, 5, 5);                /* two unpacked values, then a packed run */
    pb_raw(&blob, &vals[0], 4);
    pb_tag(&blob, 5, 5);
    pb_raw(&blob, &vals[1], 4);
    pb_len(&blob, 5, &vals[2], 8);
    pb_tag(&blob, 6, 5);                /* diff: skipped */
    pb_raw(&blob, "zzzz", 4);
    pb_sub(&v0, 50, &blob);
    pb_sub(&v1, 1, &v0);
    pb_sub(&b, 2, &v1);
    /* a new-form layer: packed dims (3), packed data, an unknown group */
    pbuf L = {0};
    pb_str(&L, 1, "fc9");
    pb_str(&L, 2, "InnerProduct");
    pb_tag(&L, 77, 3);
    pb_tag(&L, 1, 1);
    pb_raw(&L, "abcdefgh", 8);
    pb_tag(&L, 77, 4);
    pb_varint(&dims, 3);
    pb_sub(&sh, 1, &dims);
    pb_sub(&blob, 7, &sh);
    pb_len(&blob, 5, vals, 12);
    pb_sub(&L, 7, &blob);
    pb_sub(&b, 100, &L);
    vgg_caffe_model *m;
    assert_int_equal(vgg_caffe_parse(b.p, b.n, "memory", &m), VGG_STATUS_OK);
    assert_int_equal(vgg_caffe_form_of(m), VGG_CAFFE_FORM_MIXED);
    assert_int_equal(vgg_caffe_layer_count(m), 2);
    const vgg_caffe_layer *x = vgg_caffe_layer_at(m, 0);
    assert_string_equal(x->name, "conv9_9");
    assert_string_equal(x->type, "conv");
    assert_int_equal(x->kind, VGG_CAFFE_KIND_CONV);
    assert_int_equal(x->n_blobs, 1);
    assert_int_equal(x->blobs[0].ndim, 2);
    assert_int_equal(x->blobs[0].count, 4);
    float got[4];
    vgg_caffe_blob_read(&x->blobs[0], got);
    assert_memory_equal(got, vals, sizeof vals);
    x = vgg_caffe_layer_at(m, 1);
    assert_string_equal(x->name, "fc9");
    assert_int_equal(x->kind, VGG_CAFFE_KIND_FC);
    assert_int_equal(x->blobs[0].ndim, 1);
    assert_int_equal(x->blobs[0].shape[0], 3);
    vgg_caffe_blob_read(&x->blobs[0], got);
    assert_memory_equal(got, vals, 12);
    /* zero copy: the packed run points into the buffer */
    assert_true((const uint8_t *)x->blobs[0].data > b.p &&
                (const uint8_t *)x->blobs[0].data < b.p + b.n);
    /* not VGG: the architecture is refused, naming conv1_1 */
    vgg_arch a;
    assert_int_equal(vgg_caffe_arch(m, NULL, &a), VGG_STATUS_NOT_FOUND);
    assert_msg_has("'conv1_1' is missing");
    vgg_caffe_close(m);

    /* group errors */
    const uint8_t g1[] = {0x1b, 0x08, 0x01};              /* group 3 never closed */
    assert_int_equal(vgg_caffe_parse(g1, sizeof g1, "g1", &m), VGG_STATUS_FORMAT);
    assert_msg_has("no end-group tag");
    const uint8_t g2[] = {0x1b, 0x24};                     /* group 3 closed by 4 */
    assert_int_equal(vgg_caffe_parse(g2, sizeof g2, "g2", &m), VGG_STATUS_FORMAT);
    assert_msg_has("group 3 closed by end-group tag of field 4");
    const uint8_t g3[] = {0x1c};                           /* end-group alone */
    assert_int_equal(vgg_caffe_parse(g3, sizeof g3, "g3", &m), VGG_STATUS_FORMAT);
    assert_msg_has("without a matching start-group");
    uint8_t deep[200];
    memset(deep, 0x1b, sizeof deep);                       /* 200 nested groups */
    assert_int_equal(vgg_caffe_parse(deep, sizeof deep, "deep", &m), VGG_STATUS_FORMAT);
    assert_msg_has("nested more than");
    free(b.p);
}

/* Every prefix of a file: a FORMAT error naming the file, or (cut at a
 * layer boundary) a valid file that lacks layers; never a crash, never an
 * output file. */
static void truncated_files_fail_cleanly(void **state)
{
    (void)state;
    char *buf;
    size_t n;
    assert_int_equal(vgg_read_file(FIX "d_v1.caffemodel", 0, &buf, &n), VGG_STATUS_OK);
    const char *p = "convert_cut.caffemodel", *out = "convert_cut.safetensors";
    int formats = 0;
    for (size_t cut = 1; cut < n; cut += cut < 600 ? 1 : 397) {
        write_bytes(p, buf, cut);
        vgg_status st = vgg_caffe_convert(p, out, NULL, NULL);
        if (st == VGG_STATUS_FORMAT) {
            formats++;
            assert_msg_has(p);
        } else {
            if (st != VGG_STATUS_NOT_FOUND)
                fail_msg("cut at %zu: %s: %s", cut, vgg_status_name(st), vgg_last_error());
            assert_msg_has("is missing");
        }
        assert_false(file_exists(out));
    }
    assert_true(formats > 100);
    /* cut in the middle of fc6's data: the message names fc6 */
    vgg_caffe_model *m;
    assert_int_equal(vgg_caffe_parse(buf, n, "buf", &m), VGG_STATUS_OK);
    const vgg_caffe_layer *f6 = vgg_caffe_find_layer(m, "fc6");
    size_t at = (size_t)((const char *)f6->blobs[0].data - buf) + 100;
    vgg_caffe_close(m);
    write_bytes(p, buf, at);
    assert_int_equal(vgg_caffe_open(p, &m), VGG_STATUS_FORMAT);
    assert_msg_has(p);
    assert_msg_has("'fc6'");
    assert_msg_has("cut short");
    free(buf);
    unlink(p);
}

/* A failed conversion leaves an existing output as it was. */
static void failed_convert_keeps_old_output(void **state)
{
    (void)state;
    const char *out = "convert_keep.safetensors";
    write_bytes(out, "old", 3);
    const uint8_t bad[] = {0x12, 0x80};
    write_bytes("convert_keep.caffemodel", bad, sizeof bad);
    assert_int_equal(vgg_caffe_convert("convert_keep.caffemodel", out, NULL, NULL),
                     VGG_STATUS_FORMAT);
    char *b;
    size_t n;
    assert_int_equal(vgg_read_file(out, 0, &b, &n), VGG_STATUS_OK);
    assert_string_equal(b, "old");
    free(b);
    /* and a write that cannot happen (no such folder) leaves no temporary */
    assert_int_equal(vgg_caffe_convert(FIX "d_v1.caffemodel", "no/such/dir/x.safetensors", NULL, NULL),
                     VGG_STATUS_IO);
    assert_int_equal(count_tmp_files("convert_keep"), 0);
    unlink(out);
    unlink("convert_keep.caffemodel");
}

/* A write that fails half-way (the file size limit stops it after 8 KB of
 * the 74 KB output) leaves neither the output nor a temporary. */
static void write_failure_leaves_nothing(void **state)
{
    (void)state;
    const char *out = "convert_fsize.safetensors";
    unlink(out);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    lim = old;
    lim.rlim_cur = 8192;
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    vgg_status st = vgg_caffe_convert(FIX "d_v1.caffemodel", out, NULL, NULL);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, prev);
    assert_int_equal(st, VGG_STATUS_IO);
    assert_msg_has(out);
    assert_false(file_exists(out));
    assert_int_equal(count_tmp_files("convert_fsize"), 0);
    /* and with room it is written */
    assert_int_equal(vgg_caffe_convert(FIX "d_v1.caffemodel", out, NULL, NULL), VGG_STATUS_OK);
    assert_true(file_exists(out));
    unlink(out);
}

static void describe_lists_layers(void **state)
{
    (void)state;
    const char *path = "convert_describe.txt";
    FILE *fp = fopen(path, "w+");
    assert_non_null(fp);
    assert_int_equal(vgg_caffe_describe(FIX "d_v1.caffemodel", fp), VGG_STATUS_OK);
    fclose(fp);
    char *t;
    size_t n;
    assert_int_equal(vgg_read_file(path, 0, &t, &n), VGG_STATUS_OK);
    const char *want[] = {"V1 (NetParameter.layers)", "VGG_ILSVRC_16_layers", "layers:  39",
                          "conv1_1", "CONVOLUTION", "(2, 3, 3, 3) (1, 1, 1, 2)",
                          "fc6", "INNER_PRODUCT", "(1, 1, 32, 64)", "pool5", "POOLING",
                          "config D, width 0.03125, fc 32, 10 classes, input 64"};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        if (!strstr(t, want[i]))
            fail_msg("listing lacks \"%s\":\n%s", want[i], t);
    free(t);
    /* a listing of a bad file is the reader's error */
    fp = fopen(path, "w");
    assert_int_equal(vgg_caffe_describe("no/such.caffemodel", fp), VGG_STATUS_NOT_FOUND);
    fclose(fp);
    unlink(path);
    assert_true(vgg_caffe_is_caffemodel_name("x/VGG_ILSVRC_16_layers.CaffeModel"));
    assert_false(vgg_caffe_is_caffemodel_name("vgg16.safetensors"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(converts_d_v1_exactly),
        cmocka_unit_test(converts_d_new_exactly),
        cmocka_unit_test(converts_d_mixed_exactly),
        cmocka_unit_test(converts_e_v1_exactly),
        cmocka_unit_test(converts_e_new_exactly),
        cmocka_unit_test(reads_v1_layers_and_legacy_shapes),
        cmocka_unit_test(reads_new_form_blob_shapes),
        cmocka_unit_test(reads_mixed_unpacked_data),
        cmocka_unit_test(forward_d_matches_torch),
        cmocka_unit_test(forward_e_matches_torch),
        cmocka_unit_test(arch_given_or_inferred),
        cmocka_unit_test(infers_every_configuration),
        cmocka_unit_test(missing_layer_is_named),
        cmocka_unit_test(wrong_blob_shapes_are_named),
        cmocka_unit_test(not_a_caffemodel),
        cmocka_unit_test(wire_errors_name_file_layer_problem),
        cmocka_unit_test(skips_unknown_fields_and_reads_values),
        cmocka_unit_test(truncated_files_fail_cleanly),
        cmocka_unit_test(failed_convert_keeps_old_output),
        cmocka_unit_test(write_failure_leaves_nothing),
        cmocka_unit_test(describe_lists_layers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
