/* What vggsvm refuses, and the numbers it keeps in range (issue 24):
 * NaN scores and images scored twice (named by file and line), labelled
 * store rows without scores, --cv capped at the smallest class, NaN and
 * infinite option values, byte order marks in the text files it reads,
 * options named in words, and APs that never exceed 1.  Each case makes
 * its own files (names carry the case's name). */
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

#include <json-c/json.h>

#include "vgg/features.h"
#include "vgg/svm.h"
#include "../classifier/src/train_cli.h"
#include "test_util.h"

#define VGGSVM VGG_BIN_DIR "/vggsvm"

/* "vggsvm ARGS" with stdout to tmpdir/<tag>.out and stderr to <tag>.err;
 * the exit status */
static int vggsvm(const char *tag, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int vggsvm(const char *tag, const char *fmt, ...)
{
    char args[3000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    return run_cmd("'%s' %s >'%s/%s.out' 2>'%s/%s.err'", VGGSVM, args, tmpdir, tag, tmpdir, tag);
}

static void assert_file_has(const char *path, const char *text)
{
    char *t = slurp_file(path);
    if (!strstr(t, text))
        fail_msg("'%s' lacks \"%s\":\n%s", path, text, t);
    free(t);
}

static void assert_err_has(const char *tag, const char *text)
{
    char name[128];
    snprintf(name, sizeof name, "%s.err", tag);
    assert_file_has(tpath(name), text);
}

static const char *cls3[] = { "cat", "dog", "owl" };

/* A store of n rows "im<i>.jpg" of class i % 3 (labels unless !labelled),
 * 4 floats each, row i near the corner of its class (separable). */
static void make_store(const char *path, int n, bool labelled)
{
    vgg_featdesc d;
    make_test_desc(&d, 4, "D", 'a', 256);
    vgg_featwriter *w = NULL;
    unlink(path);
    assert_int_equal(vgg_featwriter_open(path, &d, false, &w, NULL), VGG_STATUS_OK);
    for (int i = 0; i < n; i++) {
        float x[4] = { 0.1f, 0.1f, 0.1f, 0.05f * (float)(i % 5) };
        x[i % 3] = 1.0f + 0.01f * (float)i;
        char name[32];
        snprintf(name, sizeof name, "im%02d.jpg", i);
        assert_int_equal(vgg_featwriter_append(w, name, labelled ? cls3[i % 3] : NULL, x),
                         VGG_STATUS_OK);
    }
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
}

/* A TSV score file of rows im<first>..im<first+n-1>: the true class scores
 * 1, the others -1; extra text (may be "") goes before the header. */
static void write_scores(const char *path, const char *before, int first, int n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fprintf(fp, "%sname\tcat\tdog\towl\n", before);
    for (int i = first; i < first + n; i++)
        fprintf(fp, "im%02d.jpg\t%d\t%d\t%d\n", i, i % 3 == 0 ? 1 : -1, i % 3 == 1 ? 1 : -1,
                i % 3 == 2 ? 1 : -1);
    fclose(fp);
}

/* ------------------------------------------------------------ item 8 */

static void eval_refuses_nan_scores_naming_the_line(void **state)
{
    (void)state;
    make_store(tpath("nan.vggf"), 6, true);
    /* TSV: line 4 (im02.jpg) scores NaN for dog */
    write_text(tpath("nan.tsv"), "name\tcat\tdog\towl\n"
                                 "im00.jpg\t1\t-1\t-1\n"
                                 "im01.jpg\t-1\t1\t-1\n"
                                 "im02.jpg\t-1\tnan\t1\n"
                                 "im03.jpg\t1\t-1\t-1\n"
                                 "im04.jpg\t-1\t1\t-1\n"
                                 "im05.jpg\t-1\t-1\t1\n");
    assert_int_equal(vggsvm("nan", "eval --scores %s --features %s", tpath("nan.tsv"),
                            tpath("nan.vggf")), 1);
    assert_err_has("nan", "nan.tsv': line 4: the score of 'im02.jpg' for class 'dog' is NaN");
    /* an infinity is a score (the log of a probability 0 is one): ranked last */
    write_text(tpath("inf.tsv"), "name\tcat\tdog\towl\n"
                                 "im00.jpg\t1\t-inf\t-inf\n"
                                 "im01.jpg\t-inf\t1\t-1\n"
                                 "im02.jpg\t-1\t-1\tinf\n"
                                 "im03.jpg\t1\t-1\t-1\n"
                                 "im04.jpg\t-1\t1\t-1\n"
                                 "im05.jpg\t-1\t-1\t1\n");
    assert_int_equal(vggsvm("inf", "eval --scores %s --features %s --json", tpath("inf.tsv"),
                            tpath("nan.vggf")), 0);
    /* JSON: a NaN, and a score that is no number at all */
    write_text(tpath("nan.json"), "{\"classes\": [\"cat\", \"dog\", \"owl\"], \"images\": [\n"
                                  " {\"name\": \"im00.jpg\", \"scores\": [1, -1, -1]},\n"
                                  " {\"name\": \"im01.jpg\", \"scores\": [-1, NaN, -1]}]}\n");
    assert_int_equal(vggsvm("nanj", "eval --scores %s --features %s", tpath("nan.json"),
                            tpath("nan.vggf")), 1);
    assert_err_has("nanj", "nan.json': image 2: the score of 'im01.jpg' for class 'dog' is NaN");
    write_text(tpath("str.json"), "{\"classes\": [\"cat\", \"dog\", \"owl\"], \"images\": [\n"
                                  " {\"name\": \"im00.jpg\", \"scores\": [1, \"high\", -1]}]}\n");
    assert_int_equal(vggsvm("strj", "eval --scores %s --features %s", tpath("str.json"),
                            tpath("nan.vggf")), 1);
    assert_err_has("strj", "image 1 ('im00.jpg'): score 2 (class 'dog') is not a number");
}

static void eval_refuses_an_image_scored_twice(void **state)
{
    (void)state;
    make_store(tpath("twice.vggf"), 6, true);
    write_text(tpath("twice.tsv"), "name\tcat\tdog\towl\n"
                                   "im00.jpg\t1\t-1\t-1\n"
                                   "im01.jpg\t-1\t1\t-1\n"
                                   "\n"
                                   "im02.jpg\t-1\t-1\t1\n"
                                   "im01.jpg\t1\t-1\t-1\n"
                                   "im00.jpg\t-1\t1\t-1\n");
    assert_int_equal(vggsvm("twice", "eval --scores %s --features %s", tpath("twice.tsv"),
                            tpath("twice.vggf")), 1);
    /* the repeat that comes first, and where the image was first scored */
    assert_err_has("twice", "twice.tsv': line 6: 'im01.jpg' is scored twice (first on line 3)");
    write_text(tpath("twice.json"), "{\"classes\": [\"cat\", \"dog\", \"owl\"], \"images\": [\n"
                                    " {\"name\": \"im00.jpg\", \"scores\": [1, -1, -1]},\n"
                                    " {\"name\": \"im01.jpg\", \"scores\": [-1, 1, -1]},\n"
                                    " {\"name\": \"im00.jpg\", \"scores\": [-1, 1, -1]}]}\n");
    assert_int_equal(vggsvm("twicej", "eval --scores %s --labels /dev/null",
                            tpath("twice.json")), 1);
    assert_err_has("twicej", "image 3: 'im00.jpg' is scored twice (first on image 1)");
}

/* ------------------------------------------------------------ --features like --labels */

static void eval_features_refuses_rows_without_scores(void **state)
{
    (void)state;
    make_store(tpath("half.vggf"), 12, true);
    write_scores(tpath("half.tsv"), "", 0, 6);   /* scores for im00..im05 only */
    assert_int_equal(vggsvm("half", "eval --scores %s --features %s", tpath("half.tsv"),
                            tpath("half.vggf")), 1);
    assert_err_has("half", "6 of the 12 labelled rows of the store");
    assert_err_has("half", "have no scores in");
    assert_err_has("half", "'im06.jpg'");
    /* a labels file says it the same way */
    write_text(tpath("half.labels"), "im00.jpg\tcat\nim07.jpg\tdog\n");
    assert_int_equal(vggsvm("halfl", "eval --scores %s --labels %s", tpath("half.tsv"),
                            tpath("half.labels")), 1);
    assert_err_has("halfl", "1 of the 2 names in");
    assert_err_has("halfl", "'im07.jpg'");
    /* unlabelled rows are no ground truth: passed over as before */
    make_store(tpath("nolab.vggf"), 12, false);
    assert_int_equal(vggsvm("nolab", "eval --scores %s --features %s", tpath("half.tsv"),
                            tpath("nolab.vggf")), 1);
    assert_err_has("nolab", "has ground truth");
    /* every labelled row scored: evaluated */
    write_scores(tpath("all.tsv"), "", 0, 12);
    assert_int_equal(vggsvm("all", "eval --scores %s --features %s --json", tpath("all.tsv"),
                            tpath("half.vggf")), 0);
}

/* ------------------------------------------------------------ mAP in [0, 1] */

static double json_number(json_object *o, const char *key)
{
    json_object *v;
    assert_true(json_object_object_get_ex(o, key, &v));
    return json_object_get_double(v);
}

static void ap_and_map_never_exceed_one(void **state)
{
    (void)state;
    /* n positives ranked above every negative: AP 1 exactly, by hand.
     * Adding 1/n n times gives 1.0000000000000002 for n = 9, 11, 18, 20
     * (and 11 points of 1/11 for VOC-2007). */
    static const size_t npos[] = { 9, 11, 18, 20, 21, 42 };
    for (size_t t = 0; t < sizeof npos / sizeof npos[0]; t++) {
        size_t n = npos[t] + 5;
        double *s = malloc(n * sizeof *s);
        int8_t *truth = malloc(n);
        for (size_t i = 0; i < n; i++) {
            s[i] = (double)(n - i);
            truth[i] = i < npos[t] ? 1 : -1;
        }
        for (int kind = 0; kind < 3; kind++) {
            vgg_ap_kind k = kind == 0 ? VGG_AP_PLAIN : kind == 1 ? VGG_AP_VOC07 : VGG_AP_AREA;
            double ap = vgg_metric_ap(s, truth, n, 1, k);
            if (ap != 1.0)
                fail_msg("%zu positives, kind %d: AP %.17g, not 1", npos[t], kind, ap);
        }
        free(s);
        free(truth);
    }
    /* the program: 11 images of 3 classes scored perfectly, JSON exactly 1 */
    make_store(tpath("map.vggf"), 11, true);
    write_scores(tpath("map.tsv"), "", 0, 11);
    assert_int_equal(vggsvm("map", "eval --scores %s --features %s --json", tpath("map.tsv"),
                            tpath("map.vggf")), 0);
    json_object *o = json_object_from_file(tpath("map.out"));
    assert_non_null(o);
    static const char *keys[] = { "map_voc07", "map_area", "map_plain", "accuracy",
                                  "mean_class_recall" };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (json_number(o, keys[i]) != 1.0)
            fail_msg("%s is %.17g, not 1", keys[i], json_number(o, keys[i]));
    json_object_put(o);
}

/* ------------------------------------------------------------ item 12 */

static vgg_svm_labels *labels_of(const int *counts)
{
    const char *t[64];
    size_t n = 0;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < counts[c]; i++)
            t[n++] = cls3[c];
    vgg_svm_labels *l = NULL;
    assert_int_equal(vgg_svm_labels_build(t, n, VGG_SVM_LABELS_AUTO, NULL, 0, "t", &l),
                     VGG_STATUS_OK);
    return l;
}

static void cv_folds_capped_at_the_smallest_class(void **state)
{
    (void)state;
    /* by hand: classes of 4, 4 and 4 images: 4 folds; of 6, 3, 9: 3;
     * one class of a single image: 2, the fewest */
    const int even[3] = { 4, 4, 4 }, odd[3] = { 6, 3, 9 }, one[3] = { 5, 1, 5 };
    vgg_svm_labels *l = labels_of(even);
    int k = -1;
    size_t cnt = 0;
    assert_int_equal(vgg_svm_cv_folds(l, 1000000000, &k, &cnt), 4);
    assert_int_equal(cnt, 4);
    assert_int_equal(vgg_svm_cv_folds(l, 3, NULL, NULL), 3);
    vgg_svm_labels_free(l);
    l = labels_of(odd);
    assert_int_equal(vgg_svm_cv_folds(l, 10, &k, &cnt), 3);
    assert_string_equal(l->class_names[k], "dog");
    vgg_svm_labels_free(l);
    l = labels_of(one);
    assert_int_equal(vgg_svm_cv_folds(l, 5, &k, &cnt), 2);
    assert_int_equal(cnt, 1);
    vgg_svm_labels_free(l);

    /* the library reports the folds it used */
    l = labels_of(even);
    float x[12][4];
    const float *rows[12];
    for (int i = 0; i < 12; i++) {
        for (int j = 0; j < 4; j++)
            x[i][j] = j == l->cls[i] ? 1.0f : 0.1f * (float)(i % 2);
        rows[i] = x[i];
    }
    vgg_svm_options o;
    vgg_svm_options_default(&o);
    o.cv_folds = 1000000000;
    vgg_svm_model *m = NULL;
    vgg_svm_report *r = NULL;
    assert_int_equal(vgg_svm_train(rows, NULL, 12, 4, l, &o, NULL, &m, &r), VGG_STATUS_OK);
    assert_int_equal(r->cv_folds, 4);
    vgg_svm_model_free(m);
    vgg_svm_report_free(r);
    vgg_svm_labels_free(l);

    /* the program says so (12 images, 4 per class: it used to run 10^9
     * rounds, 37 s) */
    make_store(tpath("cv.vggf"), 12, true);
    assert_int_equal(vggsvm("cv", "train --features %s -o %s --cv 1000000000 --json",
                            tpath("cv.vggf"), tpath("cv.model")), 0);
    assert_err_has("cv", "--cv 1000000000: used 4 folds, as many as the smallest class");
    json_object *j = json_object_from_file(tpath("cv.out")), *v;
    assert_non_null(j);
    assert_true(json_object_object_get_ex(j, "cv_folds", &v));
    assert_int_equal(json_object_get_int(v), 4);
    json_object_put(j);
}

/* every numeric option of vggsvm train refuses NaN and infinities */
static void numeric_options_refuse_nan_and_infinity(void **state)
{
    (void)state;
    static const struct {
        const char *opt, *value, *says;
    } bad[] = {
        { "-B", "nan", "-B: bad value 'nan'" },
        { "-B", "inf", "-B: bad value 'inf'" },
        { "-B", "-inf", "-B: bad value '-inf'" },
        { "--bias", "NaN", "-B: bad value 'NaN'" },
        { "-e", "inf", "-e: bad value 'inf'" },
        { "-e", "nan", "-e: bad value 'nan'" },
        { "-c", "inf", "-c needs a positive number, not 'inf'" },
        { "-c", "nan", "-c needs a positive number, not 'nan'" },
        { "--holdout", "nan", "--holdout needs a fraction in (0, 1)" },
        { "--grid", "1,nan", "--grid needs numbers" },
        { "--grid", "inf", "--grid needs numbers" },
        { "--cv", "99999999999", "--cv needs K >= 2, not '99999999999'" },
        { "--cv", "4294967298", "--cv needs K >= 2" },
        { "-s", "4294967297", "-s: bad value '4294967297'" },
        { "--seed", "-3", "--seed: bad value '-3'" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *args[] = { "train", "--features", "f.vggf", (char *)bad[i].opt,
                         (char *)bad[i].value, NULL };
        vgg_svm_train_cli a;
        vgg_status st = vgg_svm_train_cli_parse(5, args, &a);
        if (st != VGG_STATUS_INVALID || !strstr(vgg_last_error(), bad[i].says))
            fail_msg("%s %s: status %d, \"%s\"", bad[i].opt, bad[i].value, (int)st,
                     st == VGG_STATUS_OK ? "" : vgg_last_error());
        vgg_svm_train_cli_free(&a);
    }
    /* -w's weight, read with the classes */
    make_store(tpath("w.vggf"), 12, true);
    assert_int_equal(vggsvm("w", "train --features %s -o %s -c 1 -w cat=inf", tpath("w.vggf"),
                            tpath("w.model")), 1);
    assert_err_has("w", "-w needs CLASS=WEIGHT (a positive finite number), not 'cat=inf'");
    /* -B nan used to train without a bias, silently */
    assert_int_equal(vggsvm("bnan", "train --features %s -o %s -c 1 -B nan", tpath("w.vggf"),
                            tpath("bnan.model")), 2);
    assert_err_has("bnan", "-B: bad value 'nan' (a finite number)");
    assert_int_equal(access(tpath("bnan.model"), F_OK), -1);
}

/* ------------------------------------------------------------ text files */

static void byte_order_marks_are_not_part_of_names(void **state)
{
    (void)state;
    make_store(tpath("bom.vggf"), 6, true);
    /* a score file and a labels file saved by an editor that writes a BOM */
    write_scores(tpath("bom.tsv"), "\xEF\xBB\xBF", 0, 6);
    write_text(tpath("bom.labels"), "\xEF\xBB\xBFim00.jpg\tcat\nim01.jpg\tdog \nim02.jpg\towl\n"
                                    "im03.jpg\tcat\nim04.jpg\t dog\nim05.jpg\towl\n");
    assert_int_equal(vggsvm("bom", "eval --scores %s --labels %s --json", tpath("bom.tsv"),
                            tpath("bom.labels")), 0);
    json_object *o = json_object_from_file(tpath("bom.out"));
    assert_non_null(o);
    assert_true(json_number(o, "images") == 6);
    assert_true(json_number(o, "accuracy") == 1.0);
    json_object_put(o);
}

static void options_are_named_in_words(void **state)
{
    (void)state;
    make_store(tpath("opt.vggf"), 6, true);
    write_scores(tpath("opt.tsv"), "", 0, 6);
    /* a name that starts with '-' is taken for options: said so, with the way out */
    assert_int_equal(vggsvm("dash", "eval --scores %s --features %s -dash.json",
                            tpath("opt.tsv"), tpath("opt.vggf")), 2);
    assert_err_has("dash", "vggsvm eval: unknown option '-d' (in '-dash.json'); a file whose "
                           "name starts with '-' goes after '--'");
    assert_int_equal(vggsvm("trd", "train --features %s -xtra.tsv", tpath("opt.vggf")), 2);
    assert_err_has("trd", "vggsvm train: unknown option '-x' (in '-xtra.tsv')");
    assert_int_equal(vggsvm("miss", "eval --features %s --scores", tpath("opt.vggf")), 2);
    assert_err_has("miss", "vggsvm eval: --scores needs a value");
    assert_int_equal(vggsvm("json", "predict --json=yes"), 2);
    assert_err_has("json", "vggsvm predict: --json takes no value");
    /* after '--' only files: vggsvm takes none, and says which one it got */
    assert_int_equal(vggsvm("extra", "eval --scores %s --features %s -- -dash.json",
                            tpath("opt.tsv"), tpath("opt.vggf")), 2);
    assert_err_has("extra", "vggsvm eval: unexpected argument '-dash.json'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eval_refuses_nan_scores_naming_the_line),
        cmocka_unit_test(eval_refuses_an_image_scored_twice),
        cmocka_unit_test(eval_features_refuses_rows_without_scores),
        cmocka_unit_test(ap_and_map_never_exceed_one),
        cmocka_unit_test(cv_folds_capped_at_the_smallest_class),
        cmocka_unit_test(numeric_options_refuse_nan_and_infinity),
        cmocka_unit_test(byte_order_marks_are_not_part_of_names),
        cmocka_unit_test(options_are_named_in_words),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
