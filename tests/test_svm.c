/* classifier unit tests: labels, metrics on hand-worked cases, training on
 * tiny problems, model files and their error paths. */
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

#include "vgg/features.h"
#include "vgg/svm.h"
#include "../classifier/src/train_cli.h"
#include "test_util.h"


static void make_desc(vgg_featdesc *d, int dim)
{
    make_test_desc(d, dim, "D", 'a', 256);
}

/* ---- labels ---- */

static void labels_single_sorted_classes(void **state)
{
    (void)state;
    const char *texts[] = { "dog", "cat", "emu", "cat" };
    vgg_svm_labels *l = NULL;
    assert_int_equal(vgg_svm_labels_build(texts, 4, VGG_SVM_LABELS_AUTO, NULL, 0, "t", &l),
                     VGG_STATUS_OK);
    assert_false(l->multilabel);
    assert_int_equal(l->n_classes, 3);
    assert_string_equal(l->class_names[0], "cat");
    assert_string_equal(l->class_names[1], "dog");
    assert_string_equal(l->class_names[2], "emu");
    int want[] = { 1, 0, 2, 0 };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(l->cls[i], want[i]);
        for (int k = 0; k < 3; k++)
            assert_int_equal(l->truth[i * 3 + k], k == want[i] ? 1 : -1);
    }
    assert_int_equal(vgg_svm_labels_find(l, "emu"), 2);
    assert_int_equal(vgg_svm_labels_find(l, "yak"), -1);
    vgg_svm_labels_free(l);
}

static void labels_multi_with_difficult(void **state)
{
    (void)state;
    const char *texts[] = { "cat,dog?", "dog", "", "cat, bird ?" };
    vgg_svm_labels *l = NULL;
    assert_int_equal(vgg_svm_labels_build(texts, 4, VGG_SVM_LABELS_AUTO, NULL, 0, "t", &l),
                     VGG_STATUS_OK);
    assert_true(l->multilabel);
    assert_null(l->cls);
    assert_int_equal(l->n_classes, 3); /* bird, cat, dog */
    const int8_t want[4][3] = { { -1, 1, 0 }, { -1, -1, 1 }, { -1, -1, -1 }, { 0, 1, -1 } };
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 3; k++)
            assert_int_equal(l->truth[i * 3 + k], want[i][k]);
    vgg_svm_labels_free(l);
}

static void labels_errors(void **state)
{
    (void)state;
    vgg_svm_labels *l = (vgg_svm_labels *)1;
    const char *two[] = { "cat", "cat,dog" };
    assert_int_equal(vgg_svm_labels_build(two, 2, VGG_SVM_LABELS_SINGLE, NULL, 0, "'x.tsv'", &l),
                     VGG_STATUS_INVALID);
    assert_null(l);
    assert_non_null(strstr(vgg_last_error(), "'x.tsv'"));
    assert_non_null(strstr(vgg_last_error(), "row 2"));
    const char *empty[] = { "cat,,dog" };
    assert_int_equal(vgg_svm_labels_build(empty, 1, VGG_SVM_LABELS_AUTO, NULL, 0, "t", &l),
                     VGG_STATUS_INVALID);
    const char *classes[] = { "cat", "dog" };
    const char *unknown[] = { "cat", "yak" };
    assert_int_equal(vgg_svm_labels_build(unknown, 2, VGG_SVM_LABELS_AUTO, classes, 2, "t", &l),
                     VGG_STATUS_NOT_FOUND);
    assert_non_null(strstr(vgg_last_error(), "'yak'"));
    /* given classes keep their order */
    const char *ok[] = { "dog", "cat" };
    const char *rev[] = { "dog", "cat" };
    assert_int_equal(vgg_svm_labels_build(ok, 2, VGG_SVM_LABELS_AUTO, rev, 2, "t", &l),
                     VGG_STATUS_OK);
    assert_int_equal(l->cls[0], 0);
    assert_int_equal(l->cls[1], 1);
    vgg_svm_labels_free(l);
}

static void labelfile_parsing(void **state)
{
    (void)state;
    const char *p = tpath("labels.tsv");
    write_text(p, "# comment\r\nimg 1.jpg\tcat\r\n\nimg2.jpg\tdog,cat?\n");
    vgg_svm_labelfile *f = NULL;
    assert_int_equal(vgg_svm_labelfile_read(p, &f), VGG_STATUS_OK);
    assert_int_equal(f->n, 2);
    assert_string_equal(f->names[0], "img 1.jpg");
    assert_string_equal(f->texts[0], "cat");
    assert_string_equal(f->names[1], "img2.jpg");
    assert_string_equal(f->texts[1], "dog,cat?");
    vgg_svm_labelfile_free(f);

    write_text(p, "a\tcat\nb cat\n");
    assert_int_equal(vgg_svm_labelfile_read(p, &f), VGG_STATUS_FORMAT);
    assert_null(f);
    assert_non_null(strstr(vgg_last_error(), "line 2"));
    assert_non_null(strstr(vgg_last_error(), p));
    write_text(p, "a\tcat\nb\tdog\na\tdog\n");
    assert_int_equal(vgg_svm_labelfile_read(p, &f), VGG_STATUS_FORMAT);
    assert_non_null(strstr(vgg_last_error(), "'a' is given twice"));
}

/* ---- average precision, worked by hand ---- */

static void ap_hand_worked(void **state)
{
    (void)state;
    /* ranks: + - - + +, 3 positives.  precision at the positives 1, 2/4, 3/5.
     * 11-point: r<=0.3 -> 1 (4 points), 0.4..0.6 -> 0.6 (3), 0.7..1 -> 0.6 (4)
     * = (4 + 1.8 + 2.4) / 11.  area: envelope 1, .6, .6 -> (1 + .6 + .6) / 3.
     * plain: (1 + .5 + .6) / 3. */
    double s[] = { 0.9, 0.8, 0.7, 0.6, 0.5 };
    int8_t t[] = { 1, -1, -1, 1, 1 };
    assert_float_equal(vgg_metric_ap(s, t, 5, 1, VGG_AP_VOC07), 8.2 / 11, 1e-12);
    assert_float_equal(vgg_metric_ap(s, t, 5, 1, VGG_AP_AREA), 2.2 / 3, 1e-12);
    assert_float_equal(vgg_metric_ap(s, t, 5, 1, VGG_AP_PLAIN), 2.1 / 3, 1e-12);

    /* the same rows shuffled give the same numbers */
    double s2[] = { 0.5, 0.7, 0.9, 0.6, 0.8 };
    int8_t t2[] = { 1, -1, 1, 1, -1 };
    assert_float_equal(vgg_metric_ap(s2, t2, 5, 1, VGG_AP_VOC07), 8.2 / 11, 1e-12);

    /* a difficult row (0) is ignored wherever it ranks */
    double s3[] = { 0.95, 0.9, 0.8, 0.7, 0.6, 0.5 };
    int8_t t3[] = { 0, 1, -1, -1, 1, 1 };
    assert_float_equal(vgg_metric_ap(s3, t3, 6, 1, VGG_AP_VOC07), 8.2 / 11, 1e-12);
    assert_float_equal(vgg_metric_ap(s3, t3, 6, 1, VGG_AP_AREA), 2.2 / 3, 1e-12);

    /* stride: column 1 of a (5, 2) matrix */
    double sm[10];
    int8_t tm[10];
    for (int i = 0; i < 5; i++) {
        sm[2 * i] = -1;
        tm[2 * i] = 1;
        sm[2 * i + 1] = s[i];
        tm[2 * i + 1] = t[i];
    }
    assert_float_equal(vgg_metric_ap(sm + 1, tm + 1, 5, 2, VGG_AP_PLAIN), 2.1 / 3, 1e-12);
}

static void ap_ties_are_one_threshold(void **state)
{
    (void)state;
    /* 0.9 (+), 0.5 (+), 0.5 (-), 0.1 (-): the tie is one step to recall 1
     * at precision 2/3.  11-point: r <= 0.5 -> 1 (6 points), r >= 0.6 ->
     * 2/3 (5 points).  area = plain = 0.5 * 1 + 0.5 * 2/3. */
    double a[] = { 0.9, 0.5, 0.5, 0.1 };
    int8_t ta[] = { 1, 1, -1, -1 };
    int8_t tb[] = { 1, -1, 1, -1 };   /* the tied rows swapped */
    double want07 = (6.0 + 5.0 * 2.0 / 3.0) / 11.0;
    assert_float_equal(vgg_metric_ap(a, ta, 4, 1, VGG_AP_VOC07), want07, 1e-12);
    assert_float_equal(vgg_metric_ap(a, tb, 4, 1, VGG_AP_VOC07), want07, 1e-12);
    assert_float_equal(vgg_metric_ap(a, ta, 4, 1, VGG_AP_AREA), 5.0 / 6.0, 1e-12);
    assert_float_equal(vgg_metric_ap(a, tb, 4, 1, VGG_AP_PLAIN), 5.0 / 6.0, 1e-12);
    /* all scores equal: one point, precision = positive rate */
    double c[] = { 1, 1, 1, 1 };
    assert_float_equal(vgg_metric_ap(c, ta, 4, 1, VGG_AP_VOC07), 0.5, 1e-12);
    assert_float_equal(vgg_metric_ap(c, ta, 4, 1, VGG_AP_AREA), 0.5, 1e-12);
}

static void ap_no_positives_and_exact_recall(void **state)
{
    (void)state;
    double s[] = { 0.3, 0.2, 0.1 };
    int8_t neg[] = { -1, -1, 0 };
    assert_true(isnan(vgg_metric_ap(s, neg, 3, 1, VGG_AP_VOC07)));
    assert_true(isnan(vgg_metric_ap(s, neg, 3, 1, VGG_AP_AREA)));
    assert_true(isnan(vgg_metric_ap(s, neg, 3, 1, VGG_AP_PLAIN)));

    /* 10 positives: + + + - then 7 +.  Recall 0.3 is reached exactly at
     * precision 1, so the 11-point average counts r = 0.3 at 1:
     * (4 * 1 + 7 * 10/11) / 11 (a float threshold 3 * 0.1 would miss it). */
    double s10[11];
    int8_t t10[11];
    for (int i = 0; i < 11; i++) {
        s10[i] = 11 - i;
        t10[i] = i == 3 ? -1 : 1;
    }
    assert_float_equal(vgg_metric_ap(s10, t10, 11, 1, VGG_AP_VOC07),
                       (4.0 + 70.0 / 11.0) / 11.0, 1e-12);
}

static void evaluate_single_label(void **state)
{
    (void)state;
    /* 3 classes, 5 images; predicted = argmax */
    double s[] = {
        0.9, 0.1, 0.0,   /* true 0, pred 0 */
        0.2, 0.8, 0.1,   /* true 0, pred 1 */
        0.1, 0.7, 0.3,   /* true 1, pred 1 */
        0.5, 0.1, 0.6,   /* true 2, pred 2 */
        0.6, 0.55, 0.5,  /* true 2, pred 0, third */
    };
    int cls[] = { 0, 0, 1, 2, 2 };
    vgg_svm_eval *e = NULL;
    assert_int_equal(vgg_svm_evaluate(s, 5, 3, cls, NULL, &e), VGG_STATUS_OK);
    assert_float_equal(e->accuracy, 3.0 / 5.0, 1e-12);
    assert_float_equal(e->mean_recall, (0.5 + 1.0 + 0.5) / 3.0, 1e-12);
    size_t want[9] = { 1, 1, 0, 0, 1, 0, 1, 0, 1 };
    for (int i = 0; i < 9; i++)
        assert_int_equal(e->confusion[i], want[i]);
    assert_float_equal(e->top5, 1.0, 1e-12);   /* 3 classes: always in the top 5 */
    assert_float_equal(vgg_metric_topk(s, 5, 3, cls, 2), 4.0 / 5.0, 1e-12);
    assert_int_equal(e->n_pos[2], 2);
    /* class 1 one-vs-rest: scores .1 .8 .7 .1 .2, positive row 2 (0.7) ranks
     * second -> precision 1/2 at recall 1. */
    assert_float_equal(e->ap_area[1], 0.5, 1e-12);
    assert_float_equal(e->ap07[1], 0.5, 1e-12);

    const char *p = tpath("conf.csv");
    char *names[] = { "a", "b,x", "c" };
    assert_int_equal(vgg_svm_confusion_csv(e, names, p), VGG_STATUS_OK);
    char *buf;
    size_t n;
    assert_int_equal(vgg_read_file(p, 0, &buf, &n), VGG_STATUS_OK);
    assert_string_equal(buf, "true\\predicted,a,\"b,x\",c\na,1,1,0\n\"b,x\",0,1,0\nc,1,0,1\n");
    free(buf);
    p = tpath("conf.svg");
    assert_int_equal(vgg_svm_confusion_svg(e, names, p), VGG_STATUS_OK);
    assert_int_equal(vgg_read_file(p, 0, &buf, &n), VGG_STATUS_OK);
    assert_non_null(strstr(buf, "<svg"));
    assert_non_null(strstr(buf, "</svg>"));
    free(buf);
    vgg_svm_eval_free(e);

    /* ties: true class tied with 5 others is still in the top 5 only if
     * fewer than 5 score strictly higher */
    double t6[] = { 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1 };
    int c6[] = { 0 };
    assert_float_equal(vgg_metric_topk(t6, 1, 6, c6, 1), 1.0, 1e-12);
    assert_float_equal(vgg_metric_topk(t6 + 6, 1, 6, (int[]){ 5 }, 5), 1.0, 1e-12);
    assert_float_equal(vgg_metric_topk(t6 + 6, 1, 6, (int[]){ 5 }, 4), 0.0, 1e-12);
}

/* ---- training ---- */

/* n rows of dim floats around K class centres (class i has centre
 * e_i * 2), plus noise; deterministic. */
static float *blobs(size_t n, int dim, int K, int *cls, uint64_t seed)
{
    float *x = malloc(n * (size_t)dim * sizeof *x);
    uint64_t s = seed;
    for (size_t i = 0; i < n; i++) {
        cls[i] = (int)(i % (size_t)K);
        for (int j = 0; j < dim; j++) {
            s = s * 6364136223846793005ULL + 1442695040888963407ULL;
            double u = (double)(s >> 11) / 9007199254740992.0 - 0.5;
            x[i * dim + j] = (float)(u * 0.8 + (j == cls[i] ? 2.0 : 0.0));
        }
    }
    return x;
}

static const char *class_names3[] = { "a", "b", "c", "d", "e" };

static vgg_svm_labels *labels_from_cls(const int *cls, size_t n, int K)
{
    const char **t = malloc(n * sizeof *t);
    for (size_t i = 0; i < n; i++)
        t[i] = class_names3[cls[i]];
    vgg_svm_labels *l = NULL;
    assert_int_equal(vgg_svm_labels_build(t, n, VGG_SVM_LABELS_SINGLE, class_names3, K, "t", &l),
                     VGG_STATUS_OK);
    free(t);
    return l;
}

/* The n rows of x (n x dim) as row pointers. */
static void row_ptrs(const float *x, size_t n, int dim, const float **rows)
{
    for (size_t i = 0; i < n; i++)
        rows[i] = x + i * dim;
}

/* Every weight (bias row included) of a and b, K classes of dim, equal to
 * the bit. */
static void assert_same_weights(const vgg_svm_model *a, const vgg_svm_model *b, int K, int dim)
{
    for (int k = 0; k < K; k++)
        for (int j = 0; j <= dim; j++)   /* %.17g round-trips exactly */
            assert_true(vgg_svm_model_weight(a, k, j) == vgg_svm_model_weight(b, k, j));
}

/* m saved as tmpdir/name and loaded back (OK asserted). */
static vgg_svm_model *save_and_load(const vgg_svm_model *m, const char *name)
{
    const char *p = tpath(name);
    assert_int_equal(vgg_svm_model_save(m, p), VGG_STATUS_OK);
    vgg_svm_model *back = NULL;
    assert_int_equal(vgg_svm_model_load(p, &back), VGG_STATUS_OK);
    return back;
}

static void train_separable_and_roundtrip(void **state)
{
    (void)state;
    size_t n = 60;
    int dim = 5, K = 3;
    int cls[60];
    float *x = blobs(n, dim, K, cls, 7);
    const float *rows[60];
    row_ptrs(x, n, dim, rows);
    vgg_svm_labels *l = labels_from_cls(cls, n, K);
    vgg_svm_options o;
    vgg_svm_options_default(&o);
    o.C = 1.0;
    vgg_featdesc d;
    make_desc(&d, dim);
    vgg_svm_model *m = NULL;
    vgg_svm_report *rep = NULL;
    assert_int_equal(vgg_svm_train(rows, NULL, n, dim, l, &o, &d, &m, &rep), VGG_STATUS_OK);
    assert_int_equal(rep->n_grid, 0);
    assert_float_equal(rep->C[2], 1.0, 0);
    double sc[3];
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(vgg_svm_model_score(m, rows[i], dim, sc), VGG_STATUS_OK);
        int best = sc[0] >= sc[1] && sc[0] >= sc[2] ? 0 : sc[1] >= sc[2] ? 1 : 2;
        assert_int_equal(best, cls[i]);
        assert_true(sc[cls[i]] > 0);
    }
    /* the weights follow the class centres */
    for (int k = 0; k < K; k++)
        for (int j = 0; j < K; j++)
            if (j != k)
                assert_true(vgg_svm_model_weight(m, k, k) > vgg_svm_model_weight(m, k, j));

    vgg_svm_model *m2 = save_and_load(m, "m.model");
    assert_int_equal(vgg_svm_model_classes(m2), 3);
    assert_int_equal(vgg_svm_model_dim(m2), dim);
    assert_string_equal(vgg_svm_model_class_name(m2, 2), "c");
    assert_false(vgg_svm_model_multilabel(m2));
    assert_float_equal(vgg_svm_model_bias(m2), 1.0, 0);
    assert_same_weights(m, m2, K, dim);
    assert_non_null(vgg_svm_model_desc(m2));
    assert_int_equal(vgg_svm_model_check(m2, &d), VGG_STATUS_OK);
    vgg_featdesc d2 = d;
    d2.n_scales = 2;
    d2.scales[1] = 384;
    assert_int_equal(vgg_svm_model_check(m2, &d2), VGG_STATUS_MISMATCH);
    assert_non_null(strstr(vgg_last_error(), "scale"));
    d2 = d;
    strcpy(d2.layer, "fc6");
    assert_int_equal(vgg_svm_model_check(m2, &d2), VGG_STATUS_MISMATCH);
    assert_non_null(strstr(vgg_last_error(), "layer"));

    float bad[5] = { 0, 1, NAN, 0, 0 };
    assert_int_equal(vgg_svm_model_score(m2, bad, dim, sc), VGG_STATUS_NUMERIC);
    assert_int_equal(vgg_svm_model_score(m2, bad, 4, sc), VGG_STATUS_MISMATCH);

    vgg_svm_model_free(m);
    vgg_svm_model_free(m2);
    vgg_svm_report_free(rep);
    vgg_svm_labels_free(l);
    free(x);
}

static void truncated_and_altered_model_files(void **state)
{
    (void)state;
    size_t n = 30;
    int dim = 4, K = 3;
    int cls[30];
    float *x = blobs(n, dim, K, cls, 3);
    const float *rows[30];
    row_ptrs(x, n, dim, rows);
    vgg_svm_labels *l = labels_from_cls(cls, n, K);
    vgg_svm_options o;
    vgg_svm_options_default(&o);
    o.C = 0.5;
    vgg_svm_model *m = NULL;
    assert_int_equal(vgg_svm_train(rows, NULL, n, dim, l, &o, NULL, &m, NULL), VGG_STATUS_OK);
    const char *p = tpath("t.model");
    assert_int_equal(vgg_svm_model_save(m, p), VGG_STATUS_OK);
    char *buf;
    size_t len;
    assert_int_equal(vgg_read_file(p, 0, &buf, &len), VGG_STATUS_OK);
    /* cut at several places: always FORMAT naming the file */
    size_t cuts[] = { 10, len / 2, len - 2 };
    for (int c = 0; c < 3; c++) {
        FILE *fp = fopen(p, "w");
        fwrite(buf, 1, cuts[c], fp);
        fclose(fp);
        vgg_svm_model *m2 = (vgg_svm_model *)1;
        assert_int_equal(vgg_svm_model_load(p, &m2), VGG_STATUS_FORMAT);
        assert_null(m2);
        assert_non_null(strstr(vgg_last_error(), p));
    }
    /* a changed weight: the digest in the sidecar catches it */
    char *wpos = strstr(buf, "\nw\n") + 3;
    *wpos = *wpos == '1' ? '2' : '1';
    FILE *fp = fopen(p, "w");
    fwrite(buf, 1, len, fp);
    fclose(fp);
    vgg_svm_model *m2 = NULL;
    assert_int_equal(vgg_svm_model_load(p, &m2), VGG_STATUS_MISMATCH);
    assert_non_null(strstr(vgg_last_error(), "sidecar"));
    free(buf);
    /* a cut sidecar */
    assert_int_equal(vgg_svm_model_save(m, p), VGG_STATUS_OK);
    char side[300];
    snprintf(side, sizeof side, "%s.json", p);
    assert_int_equal(vgg_read_file(side, 0, &buf, &len), VGG_STATUS_OK);
    fp = fopen(side, "w");
    fwrite(buf, 1, len / 2, fp);
    fclose(fp);
    free(buf);
    assert_int_equal(vgg_svm_model_load(p, &m2), VGG_STATUS_FORMAT);
    assert_non_null(strstr(vgg_last_error(), side));
    /* no model at all */
    assert_int_equal(vgg_svm_model_load(tpath("none.model"), &m2), VGG_STATUS_NOT_FOUND);
    vgg_svm_model_free(m);
    vgg_svm_labels_free(l);
    free(x);
}

/* Damaged model files (bytes changed, cut, duplicated) never load as
 * something else: either the load fails with a message naming a file, or
 * (when the sidecar's digest still matches, i.e. the model file is
 * unchanged) it succeeds.  Memory errors are ASan's to find (unit label). */
static void damaged_model_files_fail_cleanly(void **state)
{
    (void)state;
    size_t n = 24;
    int dim = 3, K = 3;
    int cls[24];
    float *x = blobs(n, dim, K, cls, 23);
    const float *rows[24];
    row_ptrs(x, n, dim, rows);
    vgg_svm_labels *l = labels_from_cls(cls, n, K);
    vgg_svm_options o;
    vgg_svm_options_default(&o);
    o.C = 1;
    vgg_featdesc d;
    make_desc(&d, dim);
    vgg_svm_model *m = NULL;
    assert_int_equal(vgg_svm_train(rows, NULL, n, dim, l, &o, &d, &m, NULL), VGG_STATUS_OK);
    const char *p = tpath("dm.model");
    char side[300];
    snprintf(side, sizeof side, "%s.json", p);
    assert_int_equal(vgg_svm_model_save(m, p), VGG_STATUS_OK);
    char *text, *json;
    size_t tl, jl;
    assert_int_equal(vgg_read_file(p, 0, &text, &tl), VGG_STATUS_OK);
    assert_int_equal(vgg_read_file(side, 0, &json, &jl), VGG_STATUS_OK);
    uint64_t s = 77;
    static const char junk[] = "0123456789 -.e\n\t{}[]\":,wlabe?";
    char *buf = malloc(tl + jl + 64);
    int loaded = 0;
    for (int trial = 0; trial < 400; trial++) {
        bool on_json = trial % 4 == 3;
        const char *src = on_json ? json : text;
        size_t len = on_json ? jl : tl;
        memcpy(buf, src, len);
        s = s * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t at = (size_t)(s >> 33) % len;
        switch (trial % 3) {
        case 0:   /* change a byte */
            buf[at] = junk[(s >> 13) % (sizeof junk - 1)];
            break;
        case 1:   /* cut */
            len = at;
            break;
        default:  /* repeat a piece */
            memmove(buf + at + 7, buf + at, len - at);
            len += len - at < 7 ? len - at : 7;
            break;
        }
        FILE *fp = fopen(on_json ? side : p, "wb");
        fwrite(buf, 1, len, fp);
        fclose(fp);
        fp = fopen(on_json ? p : side, "wb");   /* the other file intact */
        fwrite(on_json ? text : json, 1, on_json ? tl : jl, fp);
        fclose(fp);
        vgg_svm_model *m2 = (vgg_svm_model *)1;
        vgg_status st = vgg_svm_model_load(p, &m2);
        if (st == VGG_STATUS_OK) {
            loaded++;
            /* only an unchanged model file (its digest) loads */
            char *now;
            size_t nl;
            assert_int_equal(vgg_read_file(p, 0, &now, &nl), VGG_STATUS_OK);
            assert_int_equal(nl, tl);
            assert_memory_equal(now, text, tl);
            free(now);
            assert_int_equal(vgg_svm_model_classes(m2), 3);
            vgg_svm_model_free(m2);
        } else {
            assert_null(m2);
            assert_true(strstr(vgg_last_error(), p) != NULL);
        }
    }
    printf("# %d of 400 damaged pairs loaded (sidecar damage the JSON reader tolerates)\n",
           loaded);
    free(buf);
    free(text);
    free(json);
    vgg_svm_model_free(m);
    vgg_svm_labels_free(l);
    free(x);
}

/* A row source: rows of a matrix; fails at row fail_at of pass 2, or
 * changes row grow_at on the second pass. */
typedef struct test_source {
    const float *x;
    int dim;
    size_t calls, n, fail_at, grow_at;
    float grown[8];
} test_source;

static vgg_status test_row(void *ctx, size_t i, const float **row, const char **name)
{
    test_source *t = ctx;
    bool second = t->calls++ >= t->n;
    if (second && i == t->fail_at)
        return vgg_fail(VGG_STATUS_IO, "'rows.bin': cannot read row %zu", i);
    *row = t->x + i * t->dim;
    if (second && i == t->grow_at) {
        for (int j = 0; j < t->dim; j++)
            t->grown[j] = 1.0f;
        *row = t->grown;
    }
    *name = NULL;
    return VGG_STATUS_OK;
}

static void train_from_a_row_source(void **state)
{
    (void)state;
    size_t n = 30;
    int dim = 4, K = 3;
    int cls[30];
    float *x = blobs(n, dim, K, cls, 29);
    for (size_t i = 0; i < n; i++)
        x[i * dim + 3] = 0.0f;   /* zeros: left out of the nodes */
    const float *rows[30];
    row_ptrs(x, n, dim, rows);
    vgg_svm_labels *l = labels_from_cls(cls, n, K);
    vgg_svm_options o;
    vgg_svm_options_default(&o);
    o.C = 1;
    vgg_svm_model *a = NULL, *b = NULL;
    assert_int_equal(vgg_svm_train(rows, NULL, n, dim, l, &o, NULL, &a, NULL), VGG_STATUS_OK);
    test_source t = { x, dim, 0, n, (size_t)-1, (size_t)-1, { 0 } };
    assert_int_equal(vgg_svm_train_source(test_row, &t, n, dim, l, &o, NULL, &b, NULL),
                     VGG_STATUS_OK);
    assert_int_equal(t.calls, 2 * n);
    for (int k = 0; k < K; k++)
        for (int j = 0; j <= dim; j++)
            assert_true(vgg_svm_model_weight(a, k, j) == vgg_svm_model_weight(b, k, j));
    vgg_svm_model_free(b);
    b = (vgg_svm_model *)1;
    test_source f = { x, dim, 0, n, 17, (size_t)-1, { 0 } };
    assert_int_equal(vgg_svm_train_source(test_row, &f, n, dim, l, &o, NULL, &b, NULL),
                     VGG_STATUS_IO);
    assert_null(b);
    assert_non_null(strstr(vgg_last_error(), "rows.bin"));
    test_source g = { x, dim, 0, n, (size_t)-1, 5, { 0 } };
    assert_int_equal(vgg_svm_train_source(test_row, &g, n, dim, l, &o, NULL, &b, NULL),
                     VGG_STATUS_MISMATCH);
    vgg_svm_model_free(a);
    vgg_svm_labels_free(l);
    free(x);
}

static void train_errors(void **state)
{
    (void)state;
    size_t n = 12;
    int dim = 3, K = 3;
    int cls[12];
    float *x = blobs(n, dim, K, cls, 5);
    const float *rows[12];
    const char *names[12];
    char nb[12][16];
    for (size_t i = 0; i < n; i++) {
        rows[i] = x + i * dim;
        snprintf(nb[i], sizeof nb[i], "img%zu.jpg", i);
        names[i] = nb[i];
    }
    vgg_svm_labels *l = labels_from_cls(cls, n, K);
    vgg_svm_options o;
    vgg_svm_options_default(&o);
    o.C = 1;
    vgg_svm_model *m = (vgg_svm_model *)1;
    x[7 * dim + 1] = INFINITY;
    assert_int_equal(vgg_svm_train(rows, names, n, dim, l, &o, NULL, &m, NULL), VGG_STATUS_NUMERIC);
    assert_null(m);
    assert_non_null(strstr(vgg_last_error(), "img7.jpg"));
    assert_non_null(strstr(vgg_last_error(), "row 7"));
    x[7 * dim + 1] = NAN;
    assert_int_equal(vgg_svm_train(rows, names, n, dim, l, &o, NULL, &m, NULL), VGG_STATUS_NUMERIC);
    assert_non_null(strstr(vgg_last_error(), "NaN"));
    x[7 * dim + 1] = 0;
    o.solver = 4;
    assert_int_equal(vgg_svm_train(rows, names, n, dim, l, &o, NULL, &m, NULL), VGG_STATUS_INVALID);
    o.solver = 1;
    vgg_svm_labels_free(l);

    /* multi-label: a class whose only images are difficult */
    const char *t[12];
    for (size_t i = 0; i < n; i++)
        t[i] = i % 2 ? "a" : "b";
    t[3] = "a,c?";
    t[4] = "b,c?";
    assert_int_equal(vgg_svm_labels_build(t, n, VGG_SVM_LABELS_AUTO, NULL, 0, "t", &l),
                     VGG_STATUS_OK);
    assert_int_equal(vgg_svm_train(rows, names, n, dim, l, &o, NULL, &m, NULL), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "class 'c' has no positive"));
    assert_non_null(strstr(vgg_last_error(), "2 difficult"));
    vgg_svm_labels_free(l);
    /* one class only */
    for (size_t i = 0; i < n; i++)
        t[i] = "a";
    assert_int_equal(vgg_svm_labels_build(t, n, VGG_SVM_LABELS_AUTO, NULL, 0, "t", &l),
                     VGG_STATUS_OK);
    assert_int_equal(vgg_svm_train(rows, names, n, dim, l, &o, NULL, &m, NULL), VGG_STATUS_INVALID);
    vgg_svm_labels_free(l);
    free(x);
}

/* A difficult row for class k has no effect on class k's SVM: the same
 * weights as with that row's class-k label removed from the data, i.e.
 * as training that class without the row. */
static void multilabel_difficult_left_out(void **state)
{
    (void)state;
    size_t n = 40;
    int dim = 4, K = 3;
    int cls[40];
    float *x = blobs(n, dim, K, cls, 11);
    const float *rows[40];
    const char *t[40];
    for (size_t i = 0; i < n; i++) {
        rows[i] = x + i * dim;
        t[i] = class_names3[cls[i]];
    }
    t[5] = "c,a?";     /* row 5 is class c (cls 5 % 3 = 2) and difficult for a */
    t[9] = "a,b";      /* a second positive class */
    vgg_svm_labels *l = NULL;
    assert_int_equal(vgg_svm_labels_build(t, n, VGG_SVM_LABELS_AUTO, class_names3, K, "t", &l),
                     VGG_STATUS_OK);
    assert_true(l->multilabel);
    vgg_svm_options o;
    vgg_svm_options_default(&o);
    o.C = 2;
    vgg_svm_model *m = NULL;
    assert_int_equal(vgg_svm_train(rows, NULL, n, dim, l, &o, NULL, &m, NULL), VGG_STATUS_OK);

    /* class a alone, without row 5, as a two-class multi-label problem */
    const float *rows2[40];
    const char *t2[40];
    size_t n2 = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 5)
            continue;
        rows2[n2] = rows[i];
        t2[n2] = (cls[i] == 0 || i == 9) ? "a" : "";
        n2++;
    }
    const char *ab[] = { "a", "z" };
    t2[0] = t2[0][0] ? "a,z" : "z";   /* z: a class that only keeps the problem two-class */
    vgg_svm_labels *l2 = NULL;
    assert_int_equal(vgg_svm_labels_build(t2, n2, VGG_SVM_LABELS_MULTI, ab, 2, "t", &l2),
                     VGG_STATUS_OK);
    vgg_svm_model *m2 = NULL;
    assert_int_equal(vgg_svm_train(rows2, NULL, n2, dim, l2, &o, NULL, &m2, NULL), VGG_STATUS_OK);
    for (int j = 0; j <= dim; j++)
        assert_true(vgg_svm_model_weight(m, 0, j) == vgg_svm_model_weight(m2, 0, j));
    /* and row 5 does matter for class c, which it is positive for */
    double s5[3];
    assert_int_equal(vgg_svm_model_score(m, rows[5], dim, s5), VGG_STATUS_OK);
    assert_true(s5[2] > 0);

    /* a two-class multi-label model is saved and loaded with both vectors */
    const char *p = tpath("ml2.model");
    assert_int_equal(vgg_svm_model_save(m2, p), VGG_STATUS_OK);
    char *buf;
    size_t len;
    assert_int_equal(vgg_read_file(p, 0, &buf, &len), VGG_STATUS_OK);
    assert_non_null(strstr(buf, "solver_type MCSVM_CS\n"));
    free(buf);
    vgg_svm_model *m3 = NULL;
    assert_int_equal(vgg_svm_model_load(p, &m3), VGG_STATUS_OK);
    assert_true(vgg_svm_model_multilabel(m3));
    assert_same_weights(m3, m2, 2, dim);
    vgg_svm_model_free(m3);
    vgg_svm_model_free(m);
    vgg_svm_model_free(m2);
    vgg_svm_labels_free(l);
    vgg_svm_labels_free(l2);
    free(x);
}

static void two_class_single_label_is_one_vector(void **state)
{
    (void)state;
    size_t n = 20;
    int dim = 3, K = 2;
    int cls[20];
    float *x = blobs(n, dim, K, cls, 13);
    const float *rows[20];
    row_ptrs(x, n, dim, rows);
    vgg_svm_labels *l = labels_from_cls(cls, n, K);
    vgg_svm_options o;
    vgg_svm_options_default(&o);
    o.C = 1;
    vgg_svm_model *m = NULL;
    assert_int_equal(vgg_svm_train(rows, NULL, n, dim, l, &o, NULL, &m, NULL), VGG_STATUS_OK);
    for (int j = 0; j <= dim; j++)
        assert_true(vgg_svm_model_weight(m, 0, j) == -vgg_svm_model_weight(m, 1, j));
    vgg_svm_model *m2 = save_and_load(m, "two.model");
    assert_same_weights(m2, m, 2, dim);
    vgg_svm_model_free(m);
    vgg_svm_model_free(m2);
    vgg_svm_labels_free(l);
    free(x);
}

static void choose_C_on_held_out_and_folds(void **state)
{
    (void)state;
    size_t n = 90;
    int dim = 6, K = 3;
    int cls[90];
    float *x = blobs(n, dim, K, cls, 17);
    const float *rows[90];
    row_ptrs(x, n, dim, rows);
    vgg_svm_labels *l = labels_from_cls(cls, n, K);
    vgg_svm_options o;
    vgg_svm_options_default(&o);
    double grid[] = { 1e-6, 1.0 };
    o.grid = grid;
    o.n_grid = 2;
    vgg_svm_model *m = NULL;
    vgg_svm_report *r = NULL;
    /* separable: both C values get every held-out row right; the tie goes
     * to the first (where the choice matters: test_svm_cv) */
    assert_int_equal(vgg_svm_train(rows, NULL, n, dim, l, &o, NULL, &m, &r), VGG_STATUS_OK);
    assert_int_equal(r->n_grid, 2);
    assert_true(r->score[0] == 1.0 && r->score[1 * K] == 1.0);
    assert_true(r->C[0] == 1e-6);
    vgg_svm_model_free(m);
    vgg_svm_report_free(r);

    /* Two imbalanced classes (10 vs 50 rows) of tiny features (x 0.01) with
     * a bias feature of 1: with a tiny C the solution is near
     * w = 2C (sum y_i x_i) and the bias term 2C (10 - 50) outweighs the
     * feature term by about 10^3, so everything is called the big class
     * (mean class recall 1/2); a large C separates (recall 1). */
    {
        size_t n2 = 60;
        int cls2[60];
        float *x2 = blobs(n2, 2, 2, cls2, 19);
        const float *rows2[60];
        for (size_t i = 0; i < n2; i++) {
            cls2[i] = i < 10 ? 0 : 1;
            for (int j = 0; j < 2; j++)
                x2[i * 2 + j] = 0.01f * ((j == cls2[i] ? 2.0f : 0.0f) +
                                         (x2[i * 2 + j] - (j == (int)(i % 2) ? 2.0f : 0.0f)));
            rows2[i] = x2 + i * 2;
        }
        vgg_svm_labels *l2 = labels_from_cls(cls2, n2, 2);
        double grid2[] = { 1e-6, 1e5 };
        o.grid = grid2;
        assert_int_equal(vgg_svm_train(rows2, NULL, n2, 2, l2, &o, NULL, &m, &r), VGG_STATUS_OK);
        assert_float_equal(r->score[0], 0.5, 1e-12);
        assert_float_equal(r->score[2], 1.0, 1e-12);
        assert_float_equal(r->C[0], 1e5, 0);
        assert_float_equal(vgg_svm_model_C(m, 1), 1e5, 0);
        vgg_svm_model_free(m);
        vgg_svm_report_free(r);
        vgg_svm_labels_free(l2);
        free(x2);
        o.grid = grid;
    }

    o.cv_folds = 3;
    assert_int_equal(vgg_svm_train(rows, NULL, n, dim, l, &o, NULL, &m, &r), VGG_STATUS_OK);
    assert_true(r->score[0] == 1.0 && r->score[1 * K] == 1.0);
    assert_true(r->C[1] == 1e-6);
    vgg_svm_model_free(m);
    vgg_svm_report_free(r);
    vgg_svm_labels_free(l);

    /* multi-label: a C per class */
    const char *t[90];
    for (size_t i = 0; i < n; i++)
        t[i] = class_names3[cls[i]];
    assert_int_equal(vgg_svm_labels_build(t, n, VGG_SVM_LABELS_MULTI, NULL, 0, "t", &l),
                     VGG_STATUS_OK);
    o.cv_folds = 0;
    assert_int_equal(vgg_svm_train(rows, NULL, n, dim, l, &o, NULL, &m, &r), VGG_STATUS_OK);
    for (int k = 0; k < K; k++) {
        /* AP 1 when separable (to rounding), the same at both C: a tie */
        assert_float_equal(r->score[1 * K + k], 1.0, 1e-12);
        assert_true(r->score[k] == r->score[1 * K + k]);
        assert_true(r->C[k] == 1e-6);
    }
    vgg_svm_model_free(m);
    vgg_svm_report_free(r);
    vgg_svm_labels_free(l);
    free(x);
}

static void scores_files_roundtrip(void **state)
{
    (void)state;
    char *classes[] = { "cat", "dog" };
    char *names[] = { "a.jpg", "b c.jpg", "d.jpg" };
    /* 1/3 and 0.1 need all 17 digits to come back as the same double */
    double sc[] = { 1.5, -0.25, -1e-3, 1.0 / 3.0, 0.1, 0.0 };
    vgg_svm_scores s = { 3, 2, classes, names, sc, false };
    for (int json = 0; json < 2; json++) {
        const char *p = tpath(json ? "s.json" : "s.tsv");
        assert_int_equal(vgg_svm_scores_write(&s, p, json), VGG_STATUS_OK);
        vgg_svm_scores *r = NULL;
        assert_int_equal(vgg_svm_scores_read(p, &r), VGG_STATUS_OK);
        assert_int_equal(r->n, 3);
        assert_int_equal(r->n_classes, 2);
        assert_string_equal(r->class_names[1], "dog");
        assert_string_equal(r->names[1], "b c.jpg");
        for (int i = 0; i < 6; i++)
            assert_true(r->scores[i] == sc[i]);   /* exactly: both formats */
        vgg_svm_scores_free(r);
        if (json) {
            char *buf;
            size_t n;
            assert_int_equal(vgg_read_file(p, 0, &buf, &n), VGG_STATUS_OK);
            assert_non_null(strstr(buf, "\"predicted\":\"dog\""));
            free(buf);
        }
    }
    const char *p = tpath("bad.tsv");
    write_text(p, "name\tcat\tdog\na.jpg\t1\n");
    vgg_svm_scores *r = NULL;
    assert_int_equal(vgg_svm_scores_read(p, &r), VGG_STATUS_FORMAT);
    assert_non_null(strstr(vgg_last_error(), "line 2"));
}

static void store_labels_and_unknown_names(void **state)
{
    (void)state;
    vgg_featdesc d;
    make_desc(&d, 2);
    const char *p = tpath("f.store");
    vgg_featwriter *w = NULL;
    assert_int_equal(vgg_featwriter_open(p, &d, false, &w, NULL), VGG_STATUS_OK);
    const char *nm[] = { "x1", "x2", "x3", "x4" };
    const char *lb[] = { "cat", "", "dog", "cat" };
    for (int i = 0; i < 4; i++) {
        float r[2] = { (float)i, 1.0f };
        assert_int_equal(vgg_featwriter_append(w, nm[i], lb[i], r), VGG_STATUS_OK);
    }
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(p, &fs), VGG_STATUS_OK);
    vgg_svm_labels *l = NULL;
    size_t *rows = NULL;
    /* the store's own labels: the unlabelled row is left out */
    assert_int_equal(vgg_svm_labels_for_store(fs, p, NULL, VGG_SVM_LABELS_AUTO, NULL, 0, &l, &rows),
                     VGG_STATUS_OK);
    assert_int_equal(l->n_rows, 3);
    assert_int_equal(rows[0], 0);
    assert_int_equal(rows[1], 2);
    assert_int_equal(rows[2], 3);
    assert_int_equal(l->cls[1], 1);
    vgg_svm_labels_free(l);
    free(rows);
    /* a labels file, in any order; store order is kept */
    const char *lp = tpath("l.tsv");
    write_text(lp, "x4\tdog\nx2\tcat\n");
    assert_int_equal(vgg_svm_labels_for_store(fs, p, lp, VGG_SVM_LABELS_AUTO, NULL, 0, &l, &rows),
                     VGG_STATUS_OK);
    assert_int_equal(l->n_rows, 2);
    assert_int_equal(rows[0], 1);
    assert_int_equal(rows[1], 3);
    assert_int_equal(l->cls[0], 0);
    assert_int_equal(l->cls[1], 1);
    vgg_svm_labels_free(l);
    free(rows);
    /* unknown names: listed */
    write_text(lp, "x4\tdog\nnope1\tcat\nx1\tcat\nnope2\tdog\n");
    assert_int_equal(vgg_svm_labels_for_store(fs, p, lp, VGG_SVM_LABELS_AUTO, NULL, 0, &l, &rows),
                     VGG_STATUS_NOT_FOUND);
    assert_null(l);
    assert_null(rows);
    const char *msg = vgg_last_error();
    assert_non_null(strstr(msg, "2 of the 4 names"));
    assert_non_null(strstr(msg, "'nope1', 'nope2'"));
    assert_non_null(strstr(msg, lp));
    vgg_featstore_close(fs);
}

/* vggsvm train's command line: every option into its field, the defaults
 * kept, and each bad value INVALID with a message naming it. */
static vgg_status parse_train(vgg_svm_train_cli *a, int argc, const char *const *args)
{
    static char buf[32][64];
    char *argv[32];
    assert_true(argc <= 32);
    for (int i = 0; i < argc; i++) {
        snprintf(buf[i], sizeof buf[i], "%s", args[i]);
        argv[i] = buf[i];
    }
    return vgg_svm_train_cli_parse(argc, argv, a);
}

#define PARSE_TRAIN(a, args) parse_train(a, (int)(sizeof args / sizeof args[0]), args)

static void train_cli_options(void **state)
{
    (void)state;
    vgg_svm_train_cli a;
    const char *all[] = { "train", "--features", "f.vggf", "--labels", "l.tsv", "-o", "m.model",
                          "-s", "2", "--grid", "0.5,2,8", "--holdout", "0.25", "-B", "-1",
                          "-w", "cat=3", "--weight", "dog=0.5", "--json" };
    assert_int_equal(PARSE_TRAIN(&a, all), VGG_STATUS_OK);
    assert_string_equal(a.features, "f.vggf");
    assert_string_equal(a.labels, "l.tsv");
    assert_string_equal(a.output, "m.model");
    assert_int_equal(a.o.solver, 2);
    assert_int_equal(a.n_grid, 3);
    assert_ptr_equal(a.o.grid, a.grid);
    assert_int_equal(a.o.n_grid, 3);
    assert_true(a.grid[0] == 0.5 && a.grid[1] == 2 && a.grid[2] == 8);
    assert_true(a.o.holdout == 0.25);
    assert_true(a.o.bias == -1);
    assert_int_equal(a.n_weights, 2);
    assert_string_equal(a.weights[0], "cat=3");
    assert_string_equal(a.weights[1], "dog=0.5");
    assert_true(a.json);
    assert_false(a.quiet);
    assert_false(a.help);
    vgg_svm_train_cli_free(&a);

    /* defaults: svm.model, automatic labels, LIBLINEAR's solver 1, C chosen */
    const char *least[] = { "train", "--features", "f.vggf", "--single-label", "-c", "4",
                            "--seed", "7", "-q" };
    assert_int_equal(PARSE_TRAIN(&a, least), VGG_STATUS_OK);
    assert_string_equal(a.output, "svm.model");
    assert_null(a.labels);
    assert_int_equal(a.mode, VGG_SVM_LABELS_SINGLE);
    assert_int_equal(a.o.solver, 1);
    assert_true(a.o.C == 4);
    assert_true(a.o.seed == 7);
    assert_true(a.quiet);
    assert_null(a.o.grid);
    vgg_svm_train_cli_free(&a);

    const char *help[] = { "train", "--help" };
    assert_int_equal(PARSE_TRAIN(&a, help), VGG_STATUS_OK);
    assert_true(a.help);
    vgg_svm_train_cli_free(&a);

    static const struct {
        const char *opt, *value, *says;
    } bad[] = {
        { "-c", "0", "-c needs a positive number, not '0'" },
        { "--cv", "1", "--cv needs K >= 2, not '1'" },
        { "--holdout", "1", "--holdout needs a fraction in (0, 1)" },
        { "--grid", "1,x", "--grid needs numbers like" },
        { "-s", "two", "bad value 'two'" },
        { "-e", "0", "bad value '0'" },
        { "--seed", "7x", "bad value '7x'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *args[] = { "train", "--features", "f.vggf", bad[i].opt, bad[i].value };
        assert_int_equal(PARSE_TRAIN(&a, args), VGG_STATUS_INVALID);
        assert_non_null(strstr(vgg_last_error(), bad[i].says));
        vgg_svm_train_cli_free(&a);
    }
    const char *none[] = { "train", "-o", "m.model" };
    assert_int_equal(PARSE_TRAIN(&a, none), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "--features is required"));
    vgg_svm_train_cli_free(&a);
    const char *both[] = { "train", "--features", "f.vggf", "-c", "1", "--cv", "3" };
    assert_int_equal(PARSE_TRAIN(&a, both), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "give one"));
    vgg_svm_train_cli_free(&a);
    const char *extra[] = { "train", "--features", "f.vggf", "more" };
    assert_int_equal(PARSE_TRAIN(&a, extra), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "unexpected argument 'more'"));
    vgg_svm_train_cli_free(&a);
    const char *unknown[] = { "train", "--features", "f.vggf", "--frobnicate" };
    assert_int_equal(PARSE_TRAIN(&a, unknown), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "'--frobnicate'"));
    vgg_svm_train_cli_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(labels_single_sorted_classes),
        cmocka_unit_test(labels_multi_with_difficult),
        cmocka_unit_test(labels_errors),
        cmocka_unit_test(labelfile_parsing),
        cmocka_unit_test(ap_hand_worked),
        cmocka_unit_test(ap_ties_are_one_threshold),
        cmocka_unit_test(ap_no_positives_and_exact_recall),
        cmocka_unit_test(evaluate_single_label),
        cmocka_unit_test(train_separable_and_roundtrip),
        cmocka_unit_test(truncated_and_altered_model_files),
        cmocka_unit_test(damaged_model_files_fail_cleanly),
        cmocka_unit_test(train_from_a_row_source),
        cmocka_unit_test(train_errors),
        cmocka_unit_test(multilabel_difficult_left_out),
        cmocka_unit_test(two_class_single_label_is_one_vector),
        cmocka_unit_test(choose_C_on_held_out_and_folds),
        cmocka_unit_test(scores_files_roundtrip),
        cmocka_unit_test(store_labels_and_unknown_names),
        cmocka_unit_test(train_cli_options),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
