/* The descriptor engine (vgg/extract.h) on tiny nets with seeded random
 * weights: how flips, scales, nets, L2 and batching combine.  (Agreement
 * with PyTorch is checked by test_extract_cli.) */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgg/extract.h"

static vgg_backend *be;
static vgg_net *net_d, *net_e;

static void random_weights(vgg_net *net, uint64_t seed)
{
    uint64_t s = seed;
    for (int i = 0; i < vgg_net_param_count(net); i++) {
        vgg_param *p = vgg_net_param(net, i);
        double fan_in = p->ndim == 4 ? (double)(p->shape[1] * p->shape[2] * p->shape[3]) : 1.0;
        float scale = p->ndim == 4 ? (float)sqrt(6.0 / fan_in) : 0.05f;
        for (size_t j = 0; j < p->numel; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            float u = (float)(s >> 40) / 16777216.0f * 2.0f - 1.0f;
            p->data[j] = p->ndim == 4 ? u * scale : 0.02f + u * scale;
        }
    }
}

static int setup(void **state)
{
    (void)state;
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_D);
    a.width = 1.0f / 16;
    a.fc_dim = 16;
    a.num_classes = 5;
    a.input_size = 64;
    vgg_arch e = a;
    e.config = VGG_CONFIG_E;
    e.input_size = 32;
    /* cpu-ref: these tests check the extractor's arithmetic to the bit,
     * down to an image alone against the same image beside its flip; the
     * oneDNN device may run other kernels for one image than for two
     * (agreeing within 1e-6), so its own byte-exact checks batch image and
     * flip together (test_extract_cli) */
    if (vgg_backend_open("cpu-ref", 1, &be) != VGG_STATUS_OK ||
        vgg_net_create(&a, be, &net_d) != VGG_STATUS_OK ||
        vgg_net_create(&e, be, &net_e) != VGG_STATUS_OK)
        return -1;
    random_weights(net_d, 1);
    random_weights(net_e, 2);
    vgg_preproc caffe;
    vgg_preproc_caffe(&caffe);
    vgg_net_set_preproc(net_e, &caffe);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vgg_net_free(net_d);
    vgg_net_free(net_e);
    vgg_backend_close(be);
    return 0;
}

static vgg_image *picture(int w, int h, int k)
{
    vgg_image *img = NULL;
    assert_int_equal(vgg_image_new(w, h, &img), VGG_STATUS_OK);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++)
                img->px[(y * w + x) * 3 + c] =
                    (uint8_t)(128 + 100 * sin((x + 5 * k) / (4.0 + c) + y / 7.0 + k));
    return img;
}

static vgg_extractor *make(vgg_net *const *nets, int n, const char *scales, vgg_aggregate agg,
                           bool flip, bool l2)
{
    vgg_extract_opts o;
    vgg_extract_opts_default(&o);
    assert_int_equal(vgg_parse_int_list(scales, o.scales, VGG_FEAT_MAX_SCALES, &o.n_scales),
                     VGG_STATUS_OK);
    o.aggregate = agg;
    o.flip = flip;
    o.l2 = l2;
    const char *names[2] = { "d", "e" };
    vgg_extractor *ex = NULL;
    assert_int_equal(vgg_extractor_create(nets, names, n, &o, &ex), VGG_STATUS_OK);
    return ex;
}

static float *describe(vgg_extractor *ex, const vgg_image *img)
{
    float *out = malloc(sizeof(float) * (size_t)vgg_extractor_dim(ex));
    assert_int_equal(vgg_extractor_compute(ex, img, out), VGG_STATUS_OK);
    return out;
}

static double rel_err(const float *a, const float *b, int n)
{
    double d = 0, s = 0;
    for (int i = 0; i < n; i++) {
        d += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        s += (double)b[i] * b[i];
    }
    return sqrt(d / s);
}

static void description_says_what_made_it(void **state)
{
    (void)state;
    vgg_net *nets[2] = { net_d, net_e };
    vgg_extractor *ex = make(nets, 2, "64,96", VGG_AGGREGATE_STACK, true, true);
    const vgg_featdesc *d = vgg_extractor_desc(ex);
    assert_int_equal(d->dim, 2 * 2 * 16);
    assert_int_equal(d->n_nets, 2);
    assert_string_equal(d->net_configs[0], "D");
    assert_string_equal(d->net_configs[1], "E");
    assert_string_equal(d->net_names[1], "e");
    char digest[65];
    vgg_net_digest(net_e, digest);
    assert_string_equal(d->net_digests[1], digest);
    assert_int_equal(d->n_scales, 2);
    assert_int_equal(d->scales[1], 96);
    assert_string_equal(d->aggregate, "stack");
    assert_string_equal(d->layer, "fc7");
    assert_true(d->flip && d->l2);
    vgg_extractor_free(ex);

    ex = make(nets, 2, "64,96,128", VGG_AGGREGATE_AVERAGE, false, false);
    assert_int_equal(vgg_extractor_dim(ex), 2 * 16);
    assert_string_equal(vgg_extractor_desc(ex)->aggregate, "average");
    vgg_extractor_free(ex);

    vgg_extract_opts o;
    vgg_extract_opts_default(&o);
    o.layer = VGG_OUTPUT_POOL5;
    o.scales[0] = 64;
    assert_int_equal(vgg_extractor_create(nets, NULL, 1, &o, &ex), VGG_STATUS_OK);
    assert_int_equal(vgg_extractor_dim(ex), 32); /* conv5 channels: 512 / 16 */
    vgg_extractor_free(ex);

    /* a long weights path is kept by its end */
    const char *long_name[1] = { "/a/very/long/folder/name/that/goes/on/and/on/models/"
                                 "VGG_ILSVRC_16_layers.safetensors" };
    assert_int_equal(vgg_extractor_create(nets, long_name, 1, &o, &ex), VGG_STATUS_OK);
    assert_string_equal(vgg_extractor_desc(ex)->net_names[0],
                        ".../that/goes/on/and/on/models/VGG_ILSVRC_16_layers.safetensors");
    vgg_extractor_free(ex);

    /* below a net's smallest input: refused, naming the scale */
    o.scales[0] = 48;
    assert_int_equal(vgg_extractor_create(nets, NULL, 1, &o, &ex), VGG_STATUS_INVALID);
    assert_null(ex);
    assert_non_null(strstr(vgg_last_error(), "48"));
    o.layer = VGG_OUTPUT_SCORES;
    o.scales[0] = 64;
    assert_int_equal(vgg_extractor_create(nets, NULL, 1, &o, &ex), VGG_STATUS_INVALID);

    vgg_output l;
    assert_int_equal(vgg_extract_layer_parse("fc6", &l), VGG_STATUS_OK);
    assert_int_equal(l, VGG_OUTPUT_FC6);
    assert_string_equal(vgg_extract_layer_name(VGG_OUTPUT_POOL5), "pool5");
    assert_int_equal(vgg_extract_layer_parse("fc8", &l), VGG_STATUS_INVALID);
}

static void scales_stack_average_and_nets_concatenate(void **state)
{
    (void)state;
    vgg_image *img = picture(77, 53, 1);
    vgg_net *d_only[1] = { net_d }, *e_only[1] = { net_e }, *both[2] = { net_d, net_e };
    vgg_extractor *s64 = make(d_only, 1, "64", VGG_AGGREGATE_STACK, true, false);
    vgg_extractor *s96 = make(d_only, 1, "96", VGG_AGGREGATE_STACK, true, false);
    vgg_extractor *stack = make(d_only, 1, "64,96", VGG_AGGREGATE_STACK, true, false);
    vgg_extractor *avg = make(d_only, 1, "64,96", VGG_AGGREGATE_AVERAGE, true, false);
    vgg_extractor *e64 = make(e_only, 1, "64", VGG_AGGREGATE_STACK, true, false);
    vgg_extractor *fused = make(both, 2, "64", VGG_AGGREGATE_STACK, true, false);
    vgg_extractor *fused_l2 = make(both, 2, "64", VGG_AGGREGATE_STACK, true, true);
    float *a = describe(s64, img), *b = describe(s96, img), *st = describe(stack, img);
    float *av = describe(avg, img), *e = describe(e64, img), *f = describe(fused, img);
    float *fl = describe(fused_l2, img);
    /* stacked: the per-scale descriptors side by side, exactly */
    assert_memory_equal(st, a, 16 * sizeof(float));
    assert_memory_equal(st + 16, b, 16 * sizeof(float));
    /* averaged: their mean */
    double norm = 0;
    for (int i = 0; i < 16; i++) {
        assert_float_equal(av[i], (a[i] + b[i]) / 2, 1e-6 * (fabsf(a[i]) + fabsf(b[i]) + 1e-3));
        norm += (double)a[i] * a[i];
    }
    assert_true(norm > 0); /* a descriptor of a real image is not all zero */
    /* nets: concatenated in the order given */
    assert_memory_equal(f, a, 16 * sizeof(float));
    assert_memory_equal(f + 16, e, 16 * sizeof(float));
    /* L2: the same direction, unit length */
    double n2 = 0, nf = 0;
    for (int i = 0; i < 32; i++) {
        n2 += (double)fl[i] * fl[i];
        nf += (double)f[i] * f[i];
    }
    assert_float_equal(n2, 1.0, 1e-6);
    for (int i = 0; i < 32; i++)
        assert_float_equal(fl[i], f[i] / sqrt(nf), 1e-6);
    free(a), free(b), free(st), free(av), free(e), free(f), free(fl);
    vgg_extractor_free(s64), vgg_extractor_free(s96), vgg_extractor_free(stack);
    vgg_extractor_free(avg), vgg_extractor_free(e64), vgg_extractor_free(fused);
    vgg_extractor_free(fused_l2);
    vgg_image_free(img);
}

static void flip_averages_with_the_mirror_image(void **state)
{
    (void)state;
    vgg_image *img = picture(90, 64, 2);
    vgg_image *mirror = picture(90, 64, 2);
    vgg_image_flip(mirror);
    vgg_net *nets[1] = { net_d };
    vgg_extractor *noflip = make(nets, 1, "64", VGG_AGGREGATE_STACK, false, false);
    vgg_extractor *flip = make(nets, 1, "64", VGG_AGGREGATE_STACK, true, false);
    float *a = describe(noflip, img), *m = describe(noflip, mirror), *f = describe(flip, img);
    float *fm = describe(flip, mirror);
    float mean[16];
    for (int i = 0; i < 16; i++)
        mean[i] = (a[i] + m[i]) / 2;
    /* the image is at Q already, so the mirror's input is the flipped input */
    assert_true(rel_err(f, mean, 16) < 1e-6);
    /* and a flip-averaged descriptor does not see the mirroring */
    assert_true(rel_err(fm, f, 16) < 1e-6);
    /* while one view alone does (the picture is not symmetric) */
    assert_true(rel_err(m, a, 16) > 1e-3);
    free(a), free(m), free(f), free(fm);
    vgg_extractor_free(noflip), vgg_extractor_free(flip);
    vgg_image_free(img), vgg_image_free(mirror);
}

/* a box's row: the crop described as an image; with with_image the image's
 * row after it, each part normalised alone, then the row (1/sqrt(2) each) */
static float *describe_box(vgg_extractor *ex, const vgg_image *img, const vgg_box *b)
{
    float *out = malloc(sizeof(float) * (size_t)vgg_extractor_dim(ex));
    vgg_prepared *p = NULL;
    assert_int_equal(vgg_extractor_prepare_box(ex, img, b, &p), VGG_STATUS_OK);
    assert_int_equal(vgg_extractor_run(ex, &p, 1, 1, out), VGG_STATUS_OK);
    vgg_prepared_free(p);
    return out;
}

static vgg_extractor *make_boxes(vgg_net *const *nets, bool with_image, bool l2)
{
    vgg_extract_opts o;
    vgg_extract_opts_default(&o);
    o.scales[0] = 64;
    o.boxes = true;
    o.with_image = with_image;
    o.l2 = l2;
    vgg_extractor *ex = NULL;
    assert_int_equal(vgg_extractor_create(nets, NULL, 1, &o, &ex), VGG_STATUS_OK);
    return ex;
}

static void boxes_parse_check_and_describe_the_crop(void **state)
{
    (void)state;
    vgg_box b;
    assert_int_equal(vgg_box_parse("10,5,80,64", &b), VGG_STATUS_OK);
    assert_true(b.x1 == 10 && b.y1 == 5 && b.x2 == 80 && b.y2 == 64);
    const char *bad[] = { "1,2,3", "1,2,3,4,5", "a,b,c,d", "-1,0,5,5", "1, 2,3,4", "", "1,2,3,4," };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_int_equal(vgg_box_parse(bad[i], &b), VGG_STATUS_INVALID);
    assert_int_equal(vgg_box_parse("3,4,3,9", &b), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "x2 must be above x1"));
    assert_int_equal(vgg_box_parse("3,9,4,9", &b), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "y2 must be above y1"));
    vgg_box whole = { 0, 0, 90, 64 }, past = { 0, 0, 91, 64 };
    assert_int_equal(vgg_box_check(&whole, 90, 64), VGG_STATUS_OK);
    assert_int_equal(vgg_box_check(&past, 90, 64), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "box 0,0,91,64 reaches past the 90x64 image"));
    char *name = vgg_box_row_name("a.jpg", &b), *plain = vgg_box_row_name("a.jpg", NULL);
    assert_string_equal(name, "a.jpg#10,5,80,64");   /* failed parses left b as it was */
    assert_string_equal(plain, "a.jpg");
    free(name), free(plain);

    vgg_net *nets[1] = { net_d };
    vgg_image *img = picture(90, 64, 3), *crop = NULL;
    vgg_box box = { 10, 5, 80, 64 };
    assert_int_equal(vgg_image_crop(img, 10, 5, 70, 59, &crop), VGG_STATUS_OK);
    vgg_extractor *plain_ex = make(nets, 1, "64", VGG_AGGREGATE_STACK, true, true);
    vgg_extractor *raw_ex = make(nets, 1, "64", VGG_AGGREGATE_STACK, true, false);
    vgg_extractor *box_ex = make_boxes(nets, false, true);
    vgg_extractor *both = make_boxes(nets, true, true), *both_raw = make_boxes(nets, true, false);
    assert_string_equal(vgg_extractor_desc(box_ex)->region, "box");
    assert_string_equal(vgg_extractor_desc(both)->region, "box+image");
    assert_string_equal(vgg_extractor_desc(plain_ex)->region, "");
    assert_int_equal(vgg_extractor_dim(both), 32);
    float *c = describe(plain_ex, crop), *w = describe(plain_ex, img);
    float *cr = describe(raw_ex, crop), *wr = describe(raw_ex, img);
    float *bx = describe_box(box_ex, img, &box), *bw = describe_box(box_ex, img, NULL);
    float *bi = describe_box(both, img, &box), *bir = describe_box(both_raw, img, &box);
    /* the box is its crop described as an image; no box is the image */
    assert_memory_equal(bx, c, 16 * sizeof(float));
    assert_memory_equal(bw, w, 16 * sizeof(float));
    for (int i = 0; i < 16; i++) {
        assert_float_equal(bi[i], c[i] / sqrt(2.0), 1e-6);
        assert_float_equal(bi[16 + i], w[i] / sqrt(2.0), 1e-6);
        assert_float_equal(bir[i], cr[i], 0);
        assert_float_equal(bir[16 + i], wr[i], 0);
    }
    assert_true(rel_err(c, w, 16) > 1e-3);
    /* a box past the image is refused */
    vgg_prepared *p = NULL;
    assert_int_equal(vgg_extractor_prepare_box(box_ex, img, &past, &p), VGG_STATUS_INVALID);
    assert_null(p);
    free(c), free(w), free(cr), free(wr), free(bx), free(bw), free(bi), free(bir);
    vgg_extractor_free(plain_ex), vgg_extractor_free(raw_ex), vgg_extractor_free(box_ex);
    vgg_extractor_free(both), vgg_extractor_free(both_raw);
    vgg_image_free(img), vgg_image_free(crop);
}

static void batching_never_changes_a_descriptor(void **state)
{
    (void)state;
    vgg_net *nets[2] = { net_d, net_e };
    vgg_extractor *ex = make(nets, 2, "64,80", VGG_AGGREGATE_STACK, true, true);
    int dim = vgg_extractor_dim(ex);
    /* sizes: three alike, one other, two alike again */
    int ws[6] = { 70, 70, 70, 64, 70, 70 }, hs[6] = { 64, 64, 64, 90, 64, 64 };
    vgg_prepared *p[6];
    float *one = malloc(sizeof(float) * 6 * (size_t)dim);
    float *batched = malloc(sizeof(float) * 6 * (size_t)dim);
    for (int k = 0; k < 6; k++) {
        vgg_image *img = picture(ws[k], hs[k], k);
        assert_int_equal(vgg_extractor_prepare(ex, img, &p[k]), VGG_STATUS_OK);
        vgg_image_free(img);
        assert_int_equal(vgg_extractor_run(ex, &p[k], 1, 1, one + (size_t)k * dim),
                         VGG_STATUS_OK);
    }
    /* 0: the rule (these small images all fit its budget) */
    for (int batch = 0; batch <= 6; batch += 2) {
        memset(batched, 0, sizeof(float) * 6 * (size_t)dim);
        assert_int_equal(vgg_extractor_run(ex, p, 6, batch, batched), VGG_STATUS_OK);
        assert_memory_equal(batched, one, sizeof(float) * 6 * (size_t)dim);
    }
    /* rows differ between images */
    assert_true(rel_err(one, one + dim, dim) > 1e-3);
    for (int k = 0; k < 6; k++)
        vgg_prepared_free(p[k]);
    vgg_prepared_free(NULL);
    free(one);
    free(batched);
    vgg_extractor_free(ex);
    vgg_extractor_free(NULL);
}

/* ---- the extraction job, called directly ---- */

#define IMGS VGG_FIXTURES "/extract/imgs/"

typedef struct notes {
    int info, skip;
    char last_skip[512];
    size_t progress_calls, last_done;
} notes;

static void count_note(void *ctx, vgg_extract_note_kind kind, const char *text)
{
    notes *n = ctx;
    if (kind == VGG_EXTRACT_NOTE_SKIP) {
        n->skip++;
        snprintf(n->last_skip, sizeof n->last_skip, "%s", text);
    } else {
        n->info++;
    }
}

static void count_progress(void *ctx, const vgg_extract_progress *p)
{
    notes *n = ctx;
    n->progress_calls++;
    assert_true(p->done <= p->total);
    n->last_done = p->done;
}

static vgg_extract_job job_over(const vgg_extract_item *items, size_t n, const char *out,
                                notes *nt)
{
    vgg_extract_job job;
    vgg_extract_job_default(&job);
    job.items = items;
    job.n_items = n;
    job.output = out;
    job.note = count_note;
    job.progress = count_progress;
    job.ctx = nt;
    return job;
}

/* rows equal vgg_extractor_compute on each image; a bad image is skipped
 * or stops the job; a rerun resumes; shards keep every other input */
static void job_writes_resumes_skips_and_shards(void **state)
{
    (void)state;
    vgg_net *nets[1] = { net_d };
    vgg_extractor *ex = make(nets, 1, "64", VGG_AGGREGATE_STACK, true, true);
    const int dim = vgg_extractor_dim(ex);
    const vgg_extract_item items[] = {
        { .path = IMGS "a.png", .label = "cat", .index = 0 },
        { .path = IMGS "notes.txt", .label = NULL, .index = 1 },
        { .path = IMGS "b.png", .label = "dog", .index = 2 },
        { .path = IMGS "d.jpg", .label = "", .index = 3 },
    };
    char out[] = "/tmp/vggtest_job.XXXXXX";
    int fd = mkstemp(out);
    assert_true(fd >= 0);
    close(fd);
    unlink(out);

    notes nt = { 0 };
    vgg_extract_job job = job_over(items, 4, out, &nt);
    vgg_extract_result res;
    assert_int_equal(vgg_extract_job_run(ex, &job, &res), VGG_STATUS_FORMAT);
    assert_string_equal(res.stopped_at, IMGS "notes.txt");
    assert_int_equal(res.rows, 1);
    vgg_extract_result_free(&res);

    assert_int_equal(nt.progress_calls, 1);   /* a.png */
    nt.progress_calls = 0;
    job.skip_errors = true;
    job.batch = 2;
    assert_int_equal(vgg_extract_job_run(ex, &job, &res), VGG_STATUS_OK);
    assert_int_equal(res.existing, 1);
    assert_int_equal(res.written, 2);
    assert_int_equal(res.n_skipped, 1);
    assert_string_equal(res.skipped_paths[0], IMGS "notes.txt");
    assert_int_equal(nt.skip, 1);
    assert_non_null(strstr(nt.last_skip, "notes.txt"));
    assert_true(nt.info >= 1);   /* "resuming after 1 rows" */
    /* one report per image handed to the nets (b.png, d.jpg); done counts
     * the resumed row and the images already run or skipped */
    assert_int_equal(nt.progress_calls, 2);
    assert_int_equal(nt.last_done, 2);
    /* both rates of the pipeline; the nets' time is part of the run's */
    assert_true(res.decode_rate > 0);
    assert_true(res.net_rate > 0);
    assert_true(res.net_rate >= (double)res.written / res.seconds * (1 - 1e-9));
    vgg_extract_result_free(&res);

    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(out, &fs), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_rows(fs), 3);
    const size_t want[3] = { 0, 2, 3 };
    vgg_decode_opts o;
    vgg_decode_opts_default(&o);
    for (size_t r = 0; r < 3; r++) {
        assert_int_equal(vgg_featstore_index(fs, r), want[r]);
        assert_string_equal(vgg_featstore_name(fs, r), items[want[r]].path);
        vgg_image *img = NULL;
        assert_int_equal(vgg_image_load(items[want[r]].path, &o, &img), VGG_STATUS_OK);
        float *ref = describe(ex, img);
        assert_true(rel_err(vgg_featstore_row(fs, r), ref, dim) < 1e-6);
        free(ref);
        vgg_image_free(img);
    }
    assert_string_equal(vgg_featstore_label(fs, 1), "dog");
    vgg_featstore_close(fs);

    /* the same store is not this shard's */
    job.shard_k = 1;
    job.shard_n = 2;
    assert_int_equal(vgg_extract_job_run(ex, &job, &res), VGG_STATUS_MISMATCH);
    assert_false(res.ran);
    assert_true(res.decode_rate == 0 && res.net_rate == 0);
    vgg_extract_result_free(&res);
    unlink(out);
    assert_int_equal(vgg_extract_job_run(ex, &job, &res), VGG_STATUS_OK);
    assert_int_equal(res.total, 2);
    assert_int_equal(res.written, 1);    /* d.jpg; notes.txt skipped */
    vgg_extract_result_free(&res);
    unlink(out);
    vgg_extractor_free(ex);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(description_says_what_made_it),
        cmocka_unit_test(scales_stack_average_and_nets_concatenate),
        cmocka_unit_test(flip_averages_with_the_mirror_image),
        cmocka_unit_test(batching_never_changes_a_descriptor),
        cmocka_unit_test(boxes_parse_check_and_describe_the_crop),
        cmocka_unit_test(job_writes_resumes_skips_and_shards),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
