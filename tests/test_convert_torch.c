/* Conversion tests that need Python at test time (label integration):
 *  - pipelines/pth2safetensors.py on torchvision / timm .pth files of a
 *    reduced VGG (made by gen_caffe_fixtures.py pth with PyTorch, random
 *    weights, no download): the converted file loads and gives PyTorch's
 *    forward;
 *  - the vggfeat program: convert and info on the committed fixtures;
 *  - a full-size VGG-16 caffemodel (random weights, written at test time
 *    with python3-protobuf): converted, then compared value by value by
 *    gen_caffe_fixtures.py check-full.
 * Each part reports itself skipped when what it needs is absent (a failure
 * where VGG_REQUIRE_REFERENCES=1, tests/test_skip.h).
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
#include <sys/stat.h>
#include <unistd.h>

#include "vgg/caffe.h"
#include "vgg/core.h"
#include "vgg/net.h"
#include "test_util.h"

#define FIX VGG_FIXTURES "/convert/"
#define GEN VGG_SOURCE_DIR "/tests/gen_caffe_fixtures.py"
#define PTH2ST VGG_SOURCE_DIR "/pipelines/pth2safetensors.py"
#define VGGFEAT VGG_BIN_DIR "/vggfeat"

static bool python_has(const char *modules)
{
    return run_cmd("'%s' -c 'import %s' >/dev/null 2>&1", VGG_PYTHON, modules) == 0;
}

#define assert_msg_has(s)                                                                  \
    do {                                                                                   \
        if (!strstr(vgg_last_error(), (s)))                                                \
            fail_msg("message \"%s\" lacks \"%s\"", vgg_last_error(), (s));                \
    } while (0)

/* ---- .pth -> safetensors -> vgg_net_load -> PyTorch's forward ---- */

/* gen_caffe_fixtures.py pth ran pth2safetensors.py's command line on each
 * file and left OUT.log with its output and "rc=N" */
static char *conversion_log(const char *dir, const char *out, int rc)
{
    char log[512], want[16];
    snprintf(log, sizeof log, "%s/%s.log", dir, out);
    char *t = slurp_file(log);
    snprintf(want, sizeof want, "rc=%d\n", rc);
    if (!strstr(t, want))
        fail_msg("pth2safetensors -> %s: expected %s got: %s", out, want, t);
    return t;
}

static void check_pth(const char *dir, const char *name, const char *ref, vgg_config_id config)
{
    char out[512];
    snprintf(out, sizeof out, "%s/%s", dir, name);
    free(conversion_log(dir, name, 0));
    vgg_backend *be;
    assert_int_equal(vgg_backend_open("cpu", 2, &be), VGG_STATUS_OK);
    vgg_net *net;
    if (vgg_net_load(out, be, &net) != VGG_STATUS_OK)
        fail_msg("%s", vgg_last_error());
    const vgg_arch *a = vgg_net_arch(net);
    assert_int_equal(a->config, config);
    assert_true(a->width == 1.0f / 16);
    assert_int_equal(a->fc_dim, 32);
    assert_int_equal(a->num_classes, 10);
    assert_int_equal(a->input_size, 224);
    assert_int_equal(a->pool_round, VGG_POOL_FLOOR);
    const vgg_preproc *p = vgg_net_preproc(net);
    assert_int_equal(p->order, VGG_CHANNELS_RGB);
    assert_float_equal(p->range, 1.0f, 0.0f);
    const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    for (int c = 0; c < 3; c++) {
        assert_float_equal(p->mean[c], mean[c], 1e-7f);
        assert_float_equal(p->std[c], std[c], 1e-7f);
    }
    /* written with torchvision's names and shapes, timm's input too */
    vgg_safetensors *st;
    assert_int_equal(vgg_st_open(out, &st), VGG_STATUS_OK);
    const vgg_st_tensor *fc6 = vgg_st_find(st, "classifier.0.weight");
    assert_non_null(fc6);
    assert_int_equal(fc6->ndim, 2);
    assert_non_null(vgg_st_find(st, "classifier.6.bias"));
    assert_null(vgg_st_find(st, "head.fc.weight"));
    assert_string_equal(vgg_st_meta(st, "channel_order"), "RGB");
    assert_string_equal(vgg_st_meta(st, "pool_round"), "floor");
    vgg_st_close(st);

    vgg_safetensors *r;
    assert_int_equal(vgg_st_open(ref, &r), VGG_STATUS_OK);
    const vgg_st_tensor *x = vgg_st_find(r, "input"), *s = vgg_st_find(r, "scores");
    assert_non_null(x);
    assert_non_null(s);
    assert_int_equal(x->shape[0], 2);
    assert_int_equal(x->shape[2], 224);
    float *xi = malloc(x->nbytes), *want = malloc(s->nbytes), *got = malloc(s->nbytes);
    assert_int_equal(vgg_st_to_f32(r, x, xi), VGG_STATUS_OK);
    assert_int_equal(vgg_st_to_f32(r, s, want), VGG_STATUS_OK);
    assert_int_equal(vgg_net_forward(net, xi, 2, 224, 224, VGG_OUTPUT_SCORES, got), VGG_STATUS_OK);
    double num = 0, den = 0;
    size_t n = s->nbytes / 4;
    assert_int_equal(n, 2 * 10);
    for (size_t i = 0; i < n; i++) {
        num += ((double)got[i] - want[i]) * ((double)got[i] - want[i]);
        den += (double)want[i] * want[i];
    }
    if (!(sqrt(num / den) < 1e-4))
        fail_msg("%s: relative L2 error %g against PyTorch", name, sqrt(num / den));
    free(xi);
    free(want);
    free(got);
    vgg_st_close(r);
    vgg_net_free(net);
    vgg_backend_close(be);
}

static void pth_round_trip(void **state)
{
    (void)state;
    const char *dir = "convert_pth";
    mkdir(dir, 0755);
    unlink("convert_pth/a_bn.safetensors");
    if (run_cmd("'%s' '%s' pth %s >convert_pth/gen.log 2>&1", VGG_PYTHON, GEN, dir) != 0) {
        if (!python_has("torch, torchvision, numpy"))
            skip_missing("%s with torch, torchvision and numpy", VGG_PYTHON);
        fail_msg("gen_caffe_fixtures.py pth failed: see %s/convert_pth/gen.log", VGG_BIN_DIR);
    }
    check_pth(dir, "d_state_dict.safetensors", "convert_pth/pth_d_forward.safetensors", VGG_CONFIG_D);
    check_pth(dir, "d_timm.safetensors", "convert_pth/pth_d_forward.safetensors", VGG_CONFIG_D);
    check_pth(dir, "e_model.safetensors", "convert_pth/pth_e_forward.safetensors", VGG_CONFIG_E);
    /* refusals: batch norm, a wrong --arch, not a checkpoint; no output */
    char *t = conversion_log(dir, "a_bn.safetensors", 1);
    assert_non_null(strstr(t, "batch-norm"));
    assert_non_null(strstr(t, "a_bn.pth"));
    free(t);
    assert_int_equal(access("convert_pth/a_bn.safetensors", F_OK), -1);
    t = conversion_log(dir, "d_arch_e.safetensors", 1);
    assert_non_null(strstr(t, "configuration D, not E"));
    free(t);
    t = conversion_log(dir, "caffe.safetensors", 1);
    assert_non_null(strstr(t, "d_v1.caffemodel"));
    free(t);
}

/* ---- the program ---- */

static void program_convert_and_info(void **state)
{
    (void)state;
    if (access(VGGFEAT, X_OK) != 0)
        skip_missing("the vggfeat program (%s, not built)", VGGFEAT);
    const char *out = "convert_prog.safetensors";
    unlink(out);
    assert_int_equal(run_cmd("'%s' convert %s -o %s >convert_prog.log", VGGFEAT, FIX "e_v1.caffemodel",
                         out), 0);
    char *t = slurp_file("convert_prog.log");
    assert_non_null(strstr(t, "configuration E"));
    assert_non_null(strstr(t, "peak RSS"));
    free(t);
    /* the same tensors as the expected file */
    vgg_safetensors *a, *b;
    assert_int_equal(vgg_st_open(out, &a), VGG_STATUS_OK);
    assert_int_equal(vgg_st_open(FIX "e_expected.safetensors", &b), VGG_STATUS_OK);
    assert_int_equal(vgg_st_count(a), vgg_st_count(b));
    for (int i = 0; i < vgg_st_count(b); i++) {
        const vgg_st_tensor *w = vgg_st_tensor_at(b, i), *g = vgg_st_find(a, w->name);
        assert_non_null(g);
        assert_int_equal(g->nbytes, w->nbytes);
        assert_memory_equal(g->data, w->data, w->nbytes);
    }
    vgg_st_close(a);
    vgg_st_close(b);
    /* --arch, and its refusal */
    assert_int_equal(run_cmd("'%s' convert %s -o %s --arch vgg19 -q", VGGFEAT, FIX "e_v1.caffemodel",
                         out), 0);
    assert_int_equal(run_cmd("'%s' convert %s -o %s --arch D 2>convert_prog.err", VGGFEAT,
                         FIX "e_v1.caffemodel", out), 1);
    t = slurp_file("convert_prog.err");
    assert_non_null(strstr(t, "vggfeat convert: "));
    assert_non_null(strstr(t, "e_v1.caffemodel"));
    assert_non_null(strstr(t, "conv3_4"));
    free(t);
    /* usage errors */
    assert_int_equal(run_cmd("'%s' convert %s 2>/dev/null", VGGFEAT, FIX "e_v1.caffemodel"), 2);
    assert_int_equal(run_cmd("'%s' convert %s -o x --arch Q 2>/dev/null", VGGFEAT, FIX "e_v1.caffemodel"), 2);
    /* info on a caffemodel: layers and shapes */
    assert_int_equal(run_cmd("'%s' info %s >convert_prog.log", VGGFEAT, FIX "d_new.caffemodel"), 0);
    t = slurp_file("convert_prog.log");
    assert_non_null(strstr(t, "new (NetParameter.layer)"));
    assert_non_null(strstr(t, "conv5_3"));
    assert_non_null(strstr(t, "(32, 64) (32)"));
    assert_non_null(strstr(t, "config D"));
    free(t);
    /* info on a broken .caffemodel: the reader's message */
    FILE *fp = fopen("convert_prog_bad.caffemodel", "wb");
    fputs("\x12\x80", fp);
    fclose(fp);
    assert_int_equal(run_cmd("'%s' info convert_prog_bad.caffemodel 2>convert_prog.err", VGGFEAT), 1);
    t = slurp_file("convert_prog.err");
    assert_non_null(strstr(t, "truncated varint"));
    free(t);
    unlink(out);
    unlink("convert_prog_bad.caffemodel");
}

/* ---- full size ---- */

static void full_size_vgg16_converts_exactly(void **state)
{
    (void)state;
    if (!python_has("google.protobuf, numpy"))
        skip_missing("%s with google.protobuf and numpy (python3-protobuf)", VGG_PYTHON);
    if (run_cmd("protoc --version >/dev/null 2>&1") != 0)
        skip_missing("protoc (protobuf-compiler)");
    const char *in = "convert_full_d.caffemodel", *out = "convert_full_d.safetensors";
    assert_int_equal(run_cmd("'%s' '%s' full D %s --seed 5 >/dev/null", VGG_PYTHON, GEN, in), 0);
    vgg_arch a;
    vgg_status st = vgg_caffe_convert(in, out, NULL, &a);
    if (st != VGG_STATUS_OK)
        fail_msg("%s", vgg_last_error());
    assert_int_equal(a.config, VGG_CONFIG_D);
    assert_true(a.width == 1.0f);
    assert_int_equal(a.fc_dim, 4096);
    assert_int_equal(a.num_classes, 1000);
    assert_int_equal(a.input_size, 224);
    assert_int_equal(vgg_arch_param_count(&a), 138357544);
    unlink(in);
    int rc = run_cmd("'%s' '%s' check-full D %s --seed 5", VGG_PYTHON, GEN, out);
    assert_int_equal(rc, 0);
    /* and it loads as a net */
    vgg_backend *be;
    assert_int_equal(vgg_backend_open("cpu", 1, &be), VGG_STATUS_OK);
    vgg_net *net;
    assert_int_equal(vgg_net_load(out, be, &net), VGG_STATUS_OK);
    assert_int_equal(vgg_net_arch(net)->pool_round, VGG_POOL_CEIL);
    assert_int_equal(vgg_net_preproc(net)->order, VGG_CHANNELS_BGR);
    vgg_net_free(net);
    vgg_backend_close(be);
    unlink(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(pth_round_trip),
        cmocka_unit_test(program_convert_and_info),
        cmocka_unit_test(full_size_vgg16_converts_exactly),
    };
    return tests_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
