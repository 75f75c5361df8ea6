/* The evaluation arithmetic, against references composed here by hand.
 * vgg_pretrain_eval_image from the forward pass: the 5 x 5 multi-crop grid (offsets
 * worked out by hand, each crop and its mirror image, 50 softmaxes
 * averaged) and dense evaluation (the class score map averaged over its
 * positions, softmax, the same for the mirrored image, the two averaged);
 * the mirror images are made here pixel by pixel, not by the library.
 * `vggtrain eval`'s table from vgg_pretrain_eval_image's posteriors: each scale,
 * the scales averaged, dense and multi-crop averaged, and the ensemble of
 * two nets (their all-scale posteriors averaged), as top-1 and top-5
 * errors over 21 images of 7 classes. */
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
#include <sys/wait.h>
#include <unistd.h>

#include "vgg/pretrain.h"
#include "vgg/train.h"

enum { C = 5, S = 32 };

static vgg_backend *be;
static vgg_net *net;

/* a random net A of width 1/16, fc 16, input S; NULL on failure */
static vgg_net *tiny_net(int classes, uint64_t seed)
{
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A);
    a.width = 1.0f / 16;
    a.fc_dim = 16;
    a.num_classes = classes;
    a.input_size = S;
    vgg_net *n = NULL;
    if (vgg_net_create(&a, be, &n) != VGG_STATUS_OK)
        return NULL;
    if (vgg_train_init(n, VGG_INIT_HE, 0, seed) != VGG_STATUS_OK) {
        vgg_net_free(n);
        return NULL;
    }
    return n;
}

static int setup(void **state)
{
    (void)state;
    if (vgg_backend_open("cpu", 1, &be) != VGG_STATUS_OK)
        return -1;
    net = tiny_net(C, 11);
    return net ? 0 : -1;
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
    assert_int_equal(vgg_pretrain_eval_image(net, img, 40, VGG_PRETRAIN_MULTICROP, 5, got), VGG_STATUS_OK);
    for (int c = 0; c < C; c++)
        assert_float_equal(got[c], ref[c], 2e-6);
    /* a grid of 4 is a different set of crops: a different answer */
    assert_int_equal(vgg_pretrain_eval_image(net, img, 40, VGG_PRETRAIN_MULTICROP, 4, got), VGG_STATUS_OK);
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
    assert_int_equal(vgg_pretrain_eval_image(net, img, 64, VGG_PRETRAIN_DENSE, 1, got), VGG_STATUS_OK);
    for (int c = 0; c < C; c++)
        assert_float_equal(got[c], ref[c], 2e-6);
    vgg_image_free(mir);
    vgg_image_free(scaled);
    vgg_image_free(img);
}

/* ---- vggtrain eval's table ---- */

enum { NI = 21, NC = 7, NQ = 2, NM = 4 };   /* images, classes, scales, methods */

static void put_be32(FILE *f, uint32_t v)
{
    unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };
    fwrite(b, 1, 4, f);
}

/* 21 grey 40 x 48 images (labels 0..6 three times) through the importer */
static void make_set(const char *dir)
{
    char im[256], lb[256], out[256];
    snprintf(im, sizeof im, "%s/im.idx", dir);
    snprintf(lb, sizeof lb, "%s/lb.idx", dir);
    snprintf(out, sizeof out, "%s/set", dir);
    FILE *fi = fopen(im, "wb"), *fl = fopen(lb, "wb");
    assert_true(fi && fl);
    put_be32(fi, 0x803); put_be32(fi, NI); put_be32(fi, 40); put_be32(fi, 48);
    put_be32(fl, 0x801); put_be32(fl, NI);
    uint64_t rng = 5;
    for (int i = 0; i < NI; i++) {
        for (int p = 0; p < 40 * 48; p++)
            fputc((int)(vgg_rng_uniform(&rng) * 256), fi);
        fputc(i % NC, fl);
    }
    assert_int_equal(fclose(fi), 0);
    assert_int_equal(fclose(fl), 0);
    vgg_pretrain_idx_opts o;
    memset(&o, 0, sizeof o);
    for (int c = 0; c < 256; c++)
        o.use_class[c] = true;
    size_t n = 0;
    assert_int_equal(vgg_pretrain_import_idx(im, lb, &o, out, &n), VGG_STATUS_OK);
    assert_int_equal(n, NI);
}

typedef struct errs {
    int e1, e5;
} errs;

/* rank of label among p (ties to the lower class index, as the paper's
 * tables cannot depend on them) */
static void count(errs *e, const double *p, int label)
{
    int r = 0;
    for (int c = 0; c < NC; c++)
        r += p[c] > p[label] || (p[c] == p[label] && c < label);
    e->e1 += r >= 1;
    e->e5 += r >= 5;
}

/* the row of the table for (net, scale text, method): its two errors */
static bool table_row(const char *table, const char *net, const char *q, const char *method,
                      double *e1, double *e5)
{
    char want[128];
    snprintf(want, sizeof want, "%-32s %-16s %-18s ", net, q, method);
    const char *p = strstr(table, want);
    return p && sscanf(p + strlen(want), "%lf %lf", e1, e5) == 2;
}

/* the 21-image set and two saved nets of 7 classes (seeds seed, seed + 1)
 * in dir (made here from its template) */
static void make_set_and_nets(char *dir, uint64_t seed, vgg_net **nets, char (*paths)[128])
{
    assert_non_null(mkdtemp(dir));
    make_set(dir);
    for (int k = 0; k < 2; k++) {
        assert_non_null(nets[k] = tiny_net(NC, seed + k));
        snprintf(paths[k], 128, "%s/net%d.safetensors", dir, k + 1);
        assert_int_equal(vgg_net_save(nets[k], paths[k]), VGG_STATUS_OK);
    }
}

static void eval_table_averages_scales_methods_and_nets(void **state)
{
    (void)state;
    char dir[64] = "/tmp/test_eval.XXXXXX";
    /* two nets of 7 classes, different seeds */
    vgg_net *nets[2];
    char paths[2][128];
    make_set_and_nets(dir, 100, nets, paths);
    /* the reference: [net (2 = ensemble)][method][scale (NQ = all)] */
    static const int qs[NQ] = { 32, 40 };
    static const vgg_pretrain_method ms[3] = { VGG_PRETRAIN_CENTER, VGG_PRETRAIN_DENSE, VGG_PRETRAIN_MULTICROP };
    errs E[3][NM][NQ + 1];
    memset(E, 0, sizeof E);
    char list[128], classes[128];
    snprintf(list, sizeof list, "%s/set/list.txt", dir);
    snprintf(classes, sizeof classes, "%s/set/classes.txt", dir);
    vgg_pretrain_dataset *ds = NULL;
    assert_int_equal(vgg_pretrain_dataset_from_list(list, classes, &ds), VGG_STATUS_OK);
    assert_int_equal(ds->n, NI);
    assert_int_equal(ds->n_classes, NC);
    for (size_t i = 0; i < ds->n; i++) {
        vgg_decode_opts o;
        vgg_decode_opts_default(&o);
        vgg_image *img = NULL;
        assert_int_equal(vgg_image_load(ds->paths[i], &o, &img), VGG_STATUS_OK);
        double P[3][NM][NQ + 1][NC];
        memset(P, 0, sizeof P);
        for (int k = 0; k < 2; k++) {
            for (int m = 0; m < 3; m++)
                for (int q = 0; q < NQ; q++) {
                    float p[NC];
                    assert_int_equal(vgg_pretrain_eval_image(nets[k], img, qs[q], ms[m], 2, p),
                                     VGG_STATUS_OK);
                    for (int c = 0; c < NC; c++) {
                        P[k][m][q][c] = p[c];
                        P[k][m][NQ][c] += p[c] / NQ;          /* the scales averaged */
                    }
                }
            for (int q = 0; q <= NQ; q++)                      /* dense and multi-crop */
                for (int c = 0; c < NC; c++)
                    P[k][3][q][c] = (P[k][1][q][c] + P[k][2][q][c]) / 2;
            for (int m = 0; m < NM; m++)                       /* the ensemble */
                for (int c = 0; c < NC; c++)
                    P[2][m][NQ][c] += P[k][m][NQ][c] / 2;
        }
        for (int k = 0; k < 3; k++)
            for (int m = 0; m < NM; m++)
                for (int q = 0; q <= NQ; q++)
                    if (k < 2 || q == NQ)
                        count(&E[k][m][q], P[k][m][q], ds->labels[i]);
        vgg_image_free(img);
    }
    vgg_pretrain_dataset_free(ds);

    /* the program's table */
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s/vggtrain' eval -w '%s' -w '%s' --list '%s' --classes '%s' "
             "--scales 32,40 --grid 2 --threads 1 2>&1", VGG_BIN_DIR, paths[0], paths[1], list,
             classes);
    FILE *fp = popen(cmd, "r");
    assert_non_null(fp);
    static char table[16384];
    size_t n = fread(table, 1, sizeof table - 1, fp);
    table[n] = '\0';
    assert_int_equal(pclose(fp), 0);
    static const char *const names[NM] = { "centre crop", "dense", "multi-crop",
                                           "dense+multi-crop" };
    static const char *const qtext[NQ + 1] = { "32", "40", "32,40" };
    int rows = 0, e1_sum = 0;
    for (int k = 0; k < 3; k++)
        for (int m = 0; m < NM; m++)
            for (int q = 0; q <= NQ; q++) {
                if (k == 2 && q < NQ)
                    continue;
                const char *net = k == 2 ? "ensemble of 2" : k ? "net2.safetensors"
                                                               : "net1.safetensors";
                double e1, e5;
                if (!table_row(table, net, qtext[q], names[m], &e1, &e5))
                    fail_msg("no row '%s' '%s' '%s' in:\n%s", net, qtext[q], names[m], table);
                assert_float_equal(e1, 100.0 * E[k][m][q].e1 / NI, 0.006);
                assert_float_equal(e5, 100.0 * E[k][m][q].e5 / NI, 0.006);
                e1_sum += E[k][m][q].e1;
                rows++;
            }
    assert_int_equal(rows, 2 * NM * (NQ + 1) + NM);
    /* random nets: some errors and some hits, or the test shows nothing */
    assert_true(e1_sum > 0 && e1_sum < rows * NI);
    for (int k = 0; k < 2; k++)
        vgg_net_free(nets[k]);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* Table 6: an ensemble whose nets each have their own scales (net 1 at
 * Q = 32, 40; net 2 at Q = 36): each net's rows at its own scales, and the
 * ensemble averaging net 1's mean over 32 and 40 with net 2's posterior at
 * 36, recomputed here from vgg_pretrain_eval_image */
static void eval_ensemble_with_a_scale_set_per_net(void **state)
{
    (void)state;
    char dir[64] = "/tmp/test_eval.XXXXXX";
    vgg_net *nets[2];
    char paths[2][128];
    make_set_and_nets(dir, 200, nets, paths);
    char list[128], classes[128];
    snprintf(list, sizeof list, "%s/set/list.txt", dir);
    snprintf(classes, sizeof classes, "%s/set/classes.txt", dir);
    vgg_pretrain_dataset *ds = NULL;
    assert_int_equal(vgg_pretrain_dataset_from_list(list, classes, &ds), VGG_STATUS_OK);
    /* [0..1]: net 1 at 32, 40; [2]: net 1 over both; [3]: net 2 at 36; [4]: the ensemble */
    errs E[5];
    memset(E, 0, sizeof E);
    for (size_t i = 0; i < ds->n; i++) {
        vgg_decode_opts o;
        vgg_decode_opts_default(&o);
        vgg_image *img = NULL;
        assert_int_equal(vgg_image_load(ds->paths[i], &o, &img), VGG_STATUS_OK);
        float p[3][NC];
        assert_int_equal(vgg_pretrain_eval_image(nets[0], img, 32, VGG_PRETRAIN_DENSE, 2, p[0]),
                         VGG_STATUS_OK);
        assert_int_equal(vgg_pretrain_eval_image(nets[0], img, 40, VGG_PRETRAIN_DENSE, 2, p[1]),
                         VGG_STATUS_OK);
        assert_int_equal(vgg_pretrain_eval_image(nets[1], img, 36, VGG_PRETRAIN_DENSE, 2, p[2]),
                         VGG_STATUS_OK);
        double P[5][NC];
        for (int c = 0; c < NC; c++) {
            P[0][c] = p[0][c];
            P[1][c] = p[1][c];
            P[2][c] = (p[0][c] + p[1][c]) / 2;
            P[3][c] = p[2][c];
            P[4][c] = (P[2][c] + P[3][c]) / 2;
        }
        for (int r = 0; r < 5; r++)
            count(&E[r], P[r], ds->labels[i]);
        vgg_image_free(img);
    }
    vgg_pretrain_dataset_free(ds);
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s/vggtrain' eval -w '%s' --scales 32,40 -w '%s' --scales 36 "
             "--list '%s' --classes '%s' --methods dense --grid 2 --threads 1 2>&1",
             VGG_BIN_DIR, paths[0], paths[1], list, classes);
    FILE *fp = popen(cmd, "r");
    assert_non_null(fp);
    static char table[16384];
    size_t n = fread(table, 1, sizeof table - 1, fp);
    table[n] = '\0';
    assert_int_equal(pclose(fp), 0);
    static const char *const net[5] = { "net1.safetensors", "net1.safetensors",
                                        "net1.safetensors", "net2.safetensors", "ensemble of 2" };
    static const char *const q[5] = { "32", "40", "32,40", "36", "per net" };
    int e1_sum = 0;
    for (int r = 0; r < 5; r++) {
        double e1, e5;
        if (!table_row(table, net[r], q[r], "dense", &e1, &e5))
            fail_msg("no row '%s' '%s' dense in:\n%s", net[r], q[r], table);
        assert_float_equal(e1, 100.0 * E[r].e1 / NI, 0.006);
        assert_float_equal(e5, 100.0 * E[r].e5 / NI, 0.006);
        e1_sum += E[r].e1;
    }
    assert_true(e1_sum > 0 && e1_sum < 5 * NI);
    /* net 2 has one scale: no per-scale rows, no "32,40" row */
    double e1, e5;
    assert_false(table_row(table, "net2.safetensors", "32,40", "dense", &e1, &e5));
    /* --scales twice for three nets is refused */
    snprintf(cmd, sizeof cmd, "'%s/vggtrain' eval -w '%s' --scales 32 -w '%s' --scales 36 "
             "-w '%s' --list '%s' --classes '%s' >/dev/null 2>&1", VGG_BIN_DIR, paths[0],
             paths[1], paths[1], list, classes);
    assert_int_equal(WEXITSTATUS(system(cmd)), 2);
    for (int k = 0; k < 2; k++)
        vgg_net_free(nets[k]);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(multicrop_5x5_grid_with_mirrors),
        cmocka_unit_test(dense_averages_the_map_then_the_mirror),
        cmocka_unit_test(eval_table_averages_scales_methods_and_nets),
        cmocka_unit_test(eval_ensemble_with_a_scale_set_per_net),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
