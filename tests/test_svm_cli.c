/* The vggsvm program end to end on tiny stores: train (held-out C,
 * cross-validation, multi-label), predict (TSV, JSON), eval, and the
 * error paths a user meets. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "vgg/features.h"
#include "test_util.h"

static char cmd[4096];

/* Run "vggsvm ARGS" with stdout and stderr to files; the exit status. */
static int vggsvm(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int vggsvm(const char *fmt, ...)
{
    char args[3000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    snprintf(cmd, sizeof cmd, "'%s/vggsvm' %s >'%s/out.txt' 2>'%s/err.txt'", VGG_BIN_DIR, args,
             tmpdir, tmpdir);
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *slurp(const char *name)
{
    return slurp_file(tpath(name));
}

static void assert_err_has(const char *text)
{
    char *e = slurp("err.txt");
    if (!strstr(e, text))
        fail_msg("stderr lacks '%s':\n%s", text, e);
    free(e);
}

static uint64_t rng = 4242;   /* each case seeds it: it stands alone */
static double urand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void make_desc(vgg_featdesc *d, int dim, int scale)
{
    make_test_desc(d, dim, "E", 'c', scale);
}

static const char *cname[] = { "car", "cat", "dog" };
#define DIM 8

/* n rows, class i % 3 near its centre; labels in the store unless
 * no_labels; row nan_row (if >= 0) gets a NaN. */
static void make_store(const char *path, size_t n, int scale, bool no_labels, long nan_row)
{
    vgg_featdesc d;
    make_desc(&d, DIM, scale);
    vgg_featwriter *w = NULL;
    unlink(path);
    assert_int_equal(vgg_featwriter_open(path, &d, false, &w, NULL), VGG_STATUS_OK);
    for (size_t i = 0; i < n; i++) {
        float x[DIM];
        int c = (int)(i % 3);
        for (int j = 0; j < DIM; j++)
            x[j] = (float)((j == c ? 1.0 : 0.0) + (urand() - 0.5) * 0.6);
        if ((long)i == nan_row)
            x[3] = NAN;
        char name[32];
        snprintf(name, sizeof name, "im%03zu.jpg", i);
        assert_int_equal(vgg_featwriter_append(w, name, no_labels ? "" : cname[c], x),
                         VGG_STATUS_OK);
    }
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
}

static void train_predict_eval(void **state)
{
    (void)state;
    rng = 4242;
    make_store(tpath("tr.store"), 60, 256, false, -1);
    make_store(tpath("te.store"), 30, 256, false, -1);
    /* default: C on a held-out 20% */
    assert_int_equal(vggsvm("train --features %s -o %s", tpath("tr.store"), tpath("m.model")), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "held-out 20%"));
    assert_non_null(strstr(out, "<- chosen"));
    free(out);
    json_object *side = json_object_from_file(tpath("m.model.json"));
    assert_non_null(side);
    json_object *v, *f;
    assert_true(json_object_object_get_ex(side, "classes", &v));
    assert_int_equal(json_object_array_length(v), 3);
    assert_string_equal(json_object_get_string(json_object_array_get_idx(v, 1)), "cat");
    assert_true(json_object_object_get_ex(side, "features", &f));
    assert_true(json_object_is_type(f, json_type_object));
    json_object_put(side);

    /* predict: TSV and JSON */
    assert_int_equal(vggsvm("predict --model %s --features %s -o %s", tpath("m.model"),
                            tpath("te.store"), tpath("s.tsv")), 0);
    char *tsv = slurp("s.tsv");
    assert_int_equal(strncmp(tsv, "name\tcar\tcat\tdog\nim000.jpg\t", 27), 0);
    free(tsv);
    assert_int_equal(vggsvm("predict --model %s --features %s -o %s --json", tpath("m.model"),
                            tpath("te.store"), tpath("s.json")), 0);
    json_object *sj = json_object_from_file(tpath("s.json"));
    assert_non_null(sj);
    assert_true(json_object_object_get_ex(sj, "images", &v));
    assert_int_equal(json_object_array_length(v), 30);
    json_object *img = json_object_array_get_idx(v, 4), *p;
    assert_true(json_object_object_get_ex(img, "predicted", &p));
    assert_string_equal(json_object_get_string(p), "cat");   /* row 4: class 1, easy data */
    json_object_put(sj);

    /* eval from the store's labels, both score formats */
    for (int js = 0; js < 2; js++) {
        assert_int_equal(vggsvm("eval --scores %s --features %s --json",
                                tpath(js ? "s.json" : "s.tsv"), tpath("te.store")), 0);
        json_object *e = json_object_from_file(tpath("out.txt"));
        assert_non_null(e);
        assert_true(json_object_object_get_ex(e, "images", &v));
        assert_int_equal(json_object_get_int(v), 30);
        assert_true(json_object_object_get_ex(e, "accuracy", &v));
        assert_true(json_object_get_double(v) > 0.9);
        assert_true(json_object_object_get_ex(e, "top5", &v));
        assert_float_equal(json_object_get_double(v), 1.0, 1e-12);
        json_object_put(e);
    }
    assert_int_equal(vggsvm("eval --scores %s --features %s --confusion-svg %s", tpath("s.tsv"),
                            tpath("te.store"), tpath("c.svg")), 0);
    out = slurp("out.txt");
    assert_non_null(strstr(out, "mean class recall"));
    assert_non_null(strstr(out, "mAP, VOC-2007 11-point"));
    free(out);
    char *svg = slurp("c.svg");
    assert_non_null(strstr(svg, "<svg"));
    free(svg);

    /* cross-validation report as JSON */
    assert_int_equal(vggsvm("train --features %s -o %s --cv 3 --grid 0.1,1,10 --json",
                            tpath("tr.store"), tpath("m2.model")), 0);
    json_object *r = json_object_from_file(tpath("out.txt"));
    assert_non_null(r);
    assert_true(json_object_object_get_ex(r, "selection", &v));
    assert_string_equal(json_object_get_string(v), "cv");
    assert_true(json_object_object_get_ex(r, "validation_mean_class_recall", &v));
    assert_int_equal(json_object_array_length(v), 3);
    json_object_put(r);
}

static void multilabel_from_labels_file(void **state)
{
    (void)state;
    rng = 4242;
    make_store(tpath("ml.store"), 45, 256, true, -1);
    FILE *fp = fopen(tpath("ml.tsv"), "w");
    for (int i = 0; i < 45; i++) {
        int c = i % 3;
        fprintf(fp, "im%03d.jpg\t%s%s\n", i, cname[c],
                i % 5 == 0 ? (c == 2 ? ",car?" : ",dog?") : "");
    }
    fclose(fp);
    assert_int_equal(vggsvm("train --features %s --labels %s -o %s", tpath("ml.store"),
                            tpath("ml.tsv"), tpath("ml.model")), 0);
    char *out = slurp("out.txt");
    assert_non_null(strstr(out, "multi-label"));
    assert_non_null(strstr(out, "chosen C"));   /* per-class table */
    free(out);
    assert_int_equal(vggsvm("predict --model %s --features %s -o %s", tpath("ml.model"),
                            tpath("ml.store"), tpath("ml.scores")), 0);
    assert_int_equal(vggsvm("eval --scores %s --labels %s --json", tpath("ml.scores"),
                            tpath("ml.tsv")), 0);
    json_object *e = json_object_from_file(tpath("out.txt")), *v;
    assert_non_null(e);
    assert_true(json_object_object_get_ex(e, "multilabel", &v));
    assert_true(json_object_get_boolean(v));
    assert_true(json_object_object_get_ex(e, "map_voc07", &v));
    assert_true(json_object_get_double(v) > 0.9);
    json_object_put(e);
    /* a class given only as difficult */
    fp = fopen(tpath("ml2.tsv"), "w");
    for (int i = 0; i < 45; i++)
        fprintf(fp, "im%03d.jpg\t%s%s\n", i, cname[i % 2], i == 7 ? ",dog?" : "");
    fclose(fp);
    assert_int_equal(vggsvm("train --features %s --labels %s -o %s -c 1", tpath("ml.store"),
                            tpath("ml2.tsv"), tpath("x.model")), 1);
    assert_err_has("class 'dog' has no positive training row (1 difficult");
}

static void error_paths(void **state)
{
    (void)state;
    rng = 4242;
    make_store(tpath("a.store"), 30, 256, false, -1);
    /* unknown names */
    FILE *fp = fopen(tpath("bad.tsv"), "w");
    fprintf(fp, "im001.jpg\tcat\nghost1.jpg\tdog\nim002.jpg\tcar\nghost2.jpg\tcat\n");
    fclose(fp);
    assert_int_equal(vggsvm("train --features %s --labels %s -o %s", tpath("a.store"),
                            tpath("bad.tsv"), tpath("e.model")), 1);
    assert_err_has("vggsvm train: 2 of the 4 names");
    assert_err_has("'ghost1.jpg', 'ghost2.jpg'");
    assert_int_equal(access(tpath("e.model"), F_OK), -1);   /* nothing written */

    /* NaN in a row */
    make_store(tpath("nan.store"), 30, 256, false, 17);
    assert_int_equal(vggsvm("train --features %s -o %s -c 1", tpath("nan.store"),
                            tpath("e.model")), 1);
    assert_err_has("im017.jpg");
    assert_err_has("NaN");

    /* a model refuses features of another kind */
    assert_int_equal(vggsvm("train -q --features %s -o %s -c 1", tpath("a.store"),
                            tpath("a.model")), 0);
    make_store(tpath("b.store"), 10, 384, false, -1);
    assert_int_equal(vggsvm("predict --model %s --features %s -o %s", tpath("a.model"),
                            tpath("b.store"), tpath("b.tsv")), 1);
    assert_err_has("scales differ");
    assert_int_equal(access(tpath("b.tsv"), F_OK), -1);

    /* a truncated model file */
    char *m = slurp("a.model");
    size_t len = strlen(m);
    fp = fopen(tpath("a.model"), "w");
    fwrite(m, 1, len - len / 3, fp);
    fclose(fp);
    free(m);
    assert_int_equal(vggsvm("predict --model %s --features %s", tpath("a.model"),
                            tpath("a.store")), 1);
    assert_err_has("cut short");
    assert_err_has(tpath("a.model"));

    /* eval: ground truth names without scores, unknown classes */
    assert_int_equal(vggsvm("train -q --features %s -o %s -c 1", tpath("a.store"),
                            tpath("a.model")), 0);
    assert_int_equal(vggsvm("predict --model %s --features %s -o %s", tpath("a.model"),
                            tpath("a.store"), tpath("a.tsv")), 0);
    assert_int_equal(vggsvm("eval --scores %s --labels %s", tpath("a.tsv"), tpath("bad.tsv")), 1);
    assert_err_has("have no scores");
    fp = fopen(tpath("cls.tsv"), "w");
    fprintf(fp, "im001.jpg\tyak\n");
    fclose(fp);
    assert_int_equal(vggsvm("eval --scores %s --labels %s", tpath("a.tsv"), tpath("cls.tsv")), 1);
    assert_err_has("unknown class 'yak'");

    /* usage errors exit 2 */
    assert_int_equal(vggsvm("train -o x"), 2);
    assert_int_equal(vggsvm("train --features %s -c 1 --cv 3", tpath("a.store")), 2);
    assert_int_equal(vggsvm("frobnicate"), 2);
    assert_int_equal(vggsvm("--help"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(train_predict_eval),
        cmocka_unit_test(multilabel_from_labels_file),
        cmocka_unit_test(error_paths),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
