/* extractor/: a descriptor that is all zero (or not finite) before L2
 * normalisation is never stored: vgg_extractor_compute refuses it naming
 * the net; the extraction job stops at its image under --on-error fail
 * (even inside a batch: the image named is the one whose row it was) and
 * counts and names it under skip, keeping the other images' rows; on
 * "cpu" and "cpu-ref" alike.  Before, all-zero weights wrote rows of
 * zeros without a word. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgg/extract.h"
#include "test_util.h"

enum { N_BE = 2 };
static const char *const devices[N_BE] = { "cpu", "cpu-ref" };
static vgg_backend *bes[N_BE];

/* a w x h PNG of one grey level */
static void write_flat_png(const char *path, int w, int h, uint8_t level)
{
    uint8_t *px = malloc((size_t)w * h * 3);
    assert_non_null(px);
    memset(px, level, (size_t)w * h * 3);
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    img.width = (png_uint_32)w;
    img.height = (png_uint_32)h;
    img.format = PNG_FORMAT_RGB;
    assert_true(png_image_write_to_file(&img, path, 0, px, 0, NULL));
    free(px);
}

static int setup(void **state)
{
    if (setup_dir(state) != 0)
        return -1;
    for (int b = 0; b < N_BE; b++)
        if (vgg_backend_open(devices[b], 1, &bes[b]) != VGG_STATUS_OK)
            return -1;
    /* white and black: after torchvision's preprocessing every input value
     * is positive, or every one negative */
    write_flat_png(tpath("white.png"), 80, 64, 255);
    write_flat_png(tpath("black.png"), 80, 64, 0);
    write_flat_png(tpath("white2.png"), 80, 64, 250);
    return 0;
}

static int teardown(void **state)
{
    for (int b = 0; b < N_BE; b++)
        vgg_backend_close(bes[b]);
    return teardown_dir(state);
}

/* config A at 1/16 width, fc 16, 5 classes, 64x64: all-zero parameters
 * (vgg_net_create's), or every weight positive and every bias zero: a
 * black image (negative inputs, then ReLUs) gives a zero descriptor, a
 * white one a positive descriptor */
static vgg_net *tiny_net(vgg_backend *be, bool positive)
{
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A);
    a.width = 0.0625f;
    a.fc_dim = 16;
    a.num_classes = 5;
    a.input_size = 64;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    if (positive) {
        for (int i = 0; i < vgg_net_param_count(net); i++) {
            vgg_param *p = vgg_net_param(net, i);
            if (p->ndim != 4)
                continue;
            const float fan = (float)(p->shape[1] * p->shape[2] * p->shape[3]);
            for (size_t j = 0; j < p->numel; j++)
                p->data[j] = (1.0f + (float)(j % 7)) / fan;
        }
        assert_int_equal(vgg_net_params_changed(net), VGG_STATUS_OK);
    }
    return net;
}

static vgg_extractor *extractor(vgg_net *const *nets, const char *const *names, int n,
                                bool l2, bool per_net)
{
    vgg_extract_opts o;
    vgg_extract_opts_default(&o);
    o.scales[0] = 64;
    o.l2 = l2;
    o.l2_per_net = per_net;
    vgg_extractor *ex = NULL;
    assert_int_equal(vgg_extractor_create(nets, names, n, &o, &ex), VGG_STATUS_OK);
    return ex;
}

static vgg_image *load(const char *name)
{
    vgg_decode_opts o;
    vgg_decode_opts_default(&o);
    vgg_image *img = NULL;
    assert_int_equal(vgg_image_load(tpath(name), &o, &img), VGG_STATUS_OK);
    return img;
}

static void assert_error_has(const char *part)
{
    if (!strstr(vgg_last_error(), part))
        fail_msg("message '%s' lacks '%s'", vgg_last_error(), part);
}

/* vgg_extractor_compute: the zero descriptor refused whatever the
 * normalisation, naming the net; with two nets, the one that gives
 * nothing, though the row as a whole is not zero */
static void a_zero_descriptor_is_refused_naming_the_net(void **state)
{
    (void)state;
    for (int b = 0; b < N_BE; b++) {
        vgg_net *zero = tiny_net(bes[b], false), *pos = tiny_net(bes[b], true);
        vgg_image *white = load("white.png"), *black = load("black.png");
        float row[32];
        for (int mode = 0; mode < 3; mode++) {   /* L2, per-net L2, none */
            const char *names[1] = { "zero.safetensors" };
            vgg_extractor *ex = extractor(&zero, names, 1, mode == 0, mode == 1);
            assert_int_equal(vgg_extractor_compute(ex, white, row), VGG_STATUS_NUMERIC);
            assert_error_has("extract: net 'zero.safetensors' gives an all-zero fc7 descriptor: "
                             "no response to this image");
            vgg_extractor_free(ex);
        }
        const char *names[1] = { "pos" };
        vgg_extractor *ex = extractor(&pos, names, 1, true, false);
        assert_int_equal(vgg_extractor_compute(ex, white, row), VGG_STATUS_OK);
        double ss = 0;
        for (int i = 0; i < 16; i++)
            ss += (double)row[i] * row[i];
        assert_true(fabs(ss - 1.0) < 1e-5);
        assert_int_equal(vgg_extractor_compute(ex, black, row), VGG_STATUS_NUMERIC);
        assert_error_has("net 'pos' gives an all-zero fc7 descriptor");
        vgg_extractor_free(ex);

        vgg_net *two[2] = { pos, zero };
        const char *two_names[2] = { "pos", "zero" };
        ex = extractor(two, two_names, 2, true, false);
        assert_int_equal(vgg_extractor_compute(ex, white, row), VGG_STATUS_NUMERIC);
        assert_error_has("net 'zero' gives an all-zero fc7 descriptor");
        vgg_extractor_free(ex);
        vgg_image_free(white);
        vgg_image_free(black);
        vgg_net_free(zero);
        vgg_net_free(pos);
    }
}

typedef struct notes {
    int skips;
    char last[1024];
} notes;

static void on_note(void *ctx, vgg_extract_note_kind kind, const char *text)
{
    notes *n = ctx;
    if (kind == VGG_EXTRACT_NOTE_SKIP) {
        n->skips++;
        snprintf(n->last, sizeof n->last, "%s", text);
    }
}

static vgg_extract_job job_over(const vgg_extract_item *items, size_t n, const char *out,
                                bool skip, int batch, notes *nt)
{
    vgg_extract_job job;
    vgg_extract_job_default(&job);
    job.items = items;
    job.n_items = n;
    job.output = out;
    job.skip_errors = skip;
    job.batch = batch;
    job.note = on_note;
    job.ctx = nt;
    return job;
}

static size_t store_rows(const char *path)
{
    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_OK);
    size_t rows = vgg_featstore_rows(fs);
    vgg_featstore_close(fs);
    return rows;
}

/* all-zero weights: --on-error fail stops at the first image naming it,
 * with no row stored; skip counts and names every image */
static void all_zero_weights_stop_or_skip_every_image(void **state)
{
    (void)state;
    char white[256], black[256];
    snprintf(white, sizeof white, "%s", tpath("white.png"));
    snprintf(black, sizeof black, "%s", tpath("black.png"));
    const vgg_extract_item items[] = {
        { .path = white, .label = "w", .index = 0 },
        { .path = black, .label = "b", .index = 1 },
    };
    for (int b = 0; b < N_BE; b++) {
        vgg_net *zero = tiny_net(bes[b], false);
        const char *names[1] = { "zero" };
        vgg_extractor *ex = extractor(&zero, names, 1, true, false);
        for (int batch = 1; batch <= 2; batch++) {
            char out[256];
            snprintf(out, sizeof out, "%s", tpath("zero_fail.vggf"));
            notes nt = { 0 };
            vgg_extract_job job = job_over(items, 2, out, false, batch, &nt);
            vgg_extract_result res;
            assert_int_equal(vgg_extract_job_run(ex, &job, &res), VGG_STATUS_NUMERIC);
            char want[512];
            snprintf(want, sizeof want, "'%s': extract: net 'zero' gives an all-zero fc7 "
                     "descriptor", white);
            if (strncmp(vgg_last_error(), want, strlen(want)) != 0)
                fail_msg("%s, batch %d: message '%s' does not start '%s'", devices[b], batch,
                         vgg_last_error(), want);
            assert_non_null(res.stopped_at);
            assert_string_equal(res.stopped_at, white);
            assert_int_equal(res.written, 0);
            assert_int_equal(res.rows, 0);
            vgg_extract_result_free(&res);
            assert_int_equal(store_rows(out), 0);
            unlink(out);

            snprintf(out, sizeof out, "%s", tpath("zero_skip.vggf"));
            job = job_over(items, 2, out, true, batch, &nt);
            assert_int_equal(vgg_extract_job_run(ex, &job, &res), VGG_STATUS_OK);
            assert_int_equal(res.written, 0);
            assert_int_equal(res.n_skipped, 2);
            assert_string_equal(res.skipped_paths[0], white);
            assert_string_equal(res.skipped_paths[1], black);
            for (int i = 0; i < 2; i++)
                assert_non_null(strstr(res.skipped_whys[i], "net 'zero' gives an all-zero fc7 "
                                                            "descriptor"));
            assert_int_equal(nt.skips, 2);
            assert_non_null(strstr(nt.last, "black.png"));
            vgg_extract_result_free(&res);
            assert_int_equal(store_rows(out), 0);
            unlink(out);
        }
        vgg_extractor_free(ex);
        vgg_net_free(zero);
    }
}

/* a batch of three same-sized images whose middle one gives nothing: fail
 * stops at that one (the first's row kept), skip keeps the other two rows,
 * each the descriptor of its image alone */
static void the_image_named_is_the_one_whose_row_it_was(void **state)
{
    (void)state;
    char paths[3][256];
    const char *files[3] = { "white.png", "black.png", "white2.png" };
    vgg_extract_item items[3];
    for (int i = 0; i < 3; i++) {
        snprintf(paths[i], sizeof paths[i], "%s", tpath(files[i]));
        items[i] = (vgg_extract_item){ .path = paths[i], .label = "", .index = (uint64_t)i };
    }
    for (int b = 0; b < N_BE; b++) {
        vgg_net *pos = tiny_net(bes[b], true);
        const char *names[1] = { "pos" };
        vgg_extractor *ex = extractor(&pos, names, 1, true, false);
        char out[256];
        snprintf(out, sizeof out, "%s", tpath("batch_fail.vggf"));
        notes nt = { 0 };
        vgg_extract_job job = job_over(items, 3, out, false, 3, &nt);
        vgg_extract_result res;
        assert_int_equal(vgg_extract_job_run(ex, &job, &res), VGG_STATUS_NUMERIC);
        char want[512];
        snprintf(want, sizeof want, "'%s': extract: net 'pos' gives an all-zero", paths[1]);
        if (strncmp(vgg_last_error(), want, strlen(want)) != 0)
            fail_msg("%s: message '%s' does not start '%s'", devices[b], vgg_last_error(), want);
        assert_string_equal(res.stopped_at, paths[1]);
        assert_int_equal(res.written, 1);
        vgg_extract_result_free(&res);
        assert_int_equal(store_rows(out), 1);
        unlink(out);

        snprintf(out, sizeof out, "%s", tpath("batch_skip.vggf"));
        job = job_over(items, 3, out, true, 3, &nt);
        assert_int_equal(vgg_extract_job_run(ex, &job, &res), VGG_STATUS_OK);
        assert_int_equal(res.written, 2);
        assert_int_equal(res.n_skipped, 1);
        assert_string_equal(res.skipped_paths[0], paths[1]);
        vgg_extract_result_free(&res);
        vgg_featstore *fs = NULL;
        assert_int_equal(vgg_featstore_open(out, &fs), VGG_STATUS_OK);
        assert_int_equal(vgg_featstore_rows(fs), 2);
        for (size_t r = 0; r < 2; r++) {
            const int i = r == 0 ? 0 : 2;
            assert_int_equal(vgg_featstore_index(fs, r), i);
            vgg_image *img = load(files[i]);
            float want_row[16];
            assert_int_equal(vgg_extractor_compute(ex, img, want_row), VGG_STATUS_OK);
            const float *got = vgg_featstore_row(fs, r);
            for (int k = 0; k < 16; k++)
                assert_float_equal(got[k], want_row[k], 1e-6f);
            vgg_image_free(img);
        }
        vgg_featstore_close(fs);
        unlink(out);
        vgg_extractor_free(ex);
        vgg_net_free(pos);
    }
}

/* the program: all-zero weights under skip, every image named in the
 * summary and exit status 1 (nothing could be extracted); under fail, the
 * image and where the store stopped */
static void vggfeat_extract_names_the_images_of_zero_rows(void **state)
{
    (void)state;
    vgg_net *zero = tiny_net(bes[1], false);
    const char *weights = tpath("zero.safetensors");
    assert_int_equal(vgg_net_save(zero, weights), VGG_STATUS_OK);
    vgg_net_free(zero);
    const char *log = tpath("extract.log");
    int rc = run_cmd("'%s/vggfeat' extract --net '%s' --scales 64 --threads 1 --on-error skip "
                     "-o '%s' '%s' '%s' >'%s' 2>&1", VGG_BIN_DIR, weights,
                     tpath("cli_skip.vggf"), tpath("white.png"), tpath("black.png"), log);
    char *text = slurp_file(log);
    if (rc != 1 || !strstr(text, "0 images, 2 skipped") ||
        !strstr(text, "black.png': extract: net ") || !strstr(text, "all-zero fc7 descriptor"))
        fail_msg("exit %d, output:\n%s", rc, text);
    free(text);
    rc = run_cmd("'%s/vggfeat' extract --net '%s' --scales 64 --threads 1 -o '%s' '%s' '%s' "
                 ">'%s' 2>&1", VGG_BIN_DIR, weights, tpath("cli_fail.vggf"),
                 tpath("white.png"), tpath("black.png"), log);
    text = slurp_file(log);
    if (rc != 1 || !strstr(text, "white.png': extract: net ") || !strstr(text, "stopped at '"))
        fail_msg("exit %d, output:\n%s", rc, text);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_zero_descriptor_is_refused_naming_the_net),
        cmocka_unit_test(all_zero_weights_stop_or_skip_every_image),
        cmocka_unit_test(the_image_named_is_the_one_whose_row_it_was),
        cmocka_unit_test(vggfeat_extract_names_the_images_of_zero_rows),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
