/* Metrics against scikit-learn on random scores: average precision,
 * balanced accuracy (mean class recall), accuracy, top-5, confusion
 * matrix; VOC 11-point and area AP from scikit-learn's precision-recall
 * points (tests/svm_sklearn_ref.py).  Also `vggsvm eval --json`. */
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

#include "vgg/svm.h"
#include "test_util.h"

static char cmd[4096];

/* Set by the group setup: the reference script ran on every data file. */
static bool have_reference;

/* the case needs the reference, hence scikit-learn */
static void need_reference(void)
{
    if (!have_reference)
        skip_missing("%s with scikit-learn (python3-sklearn)",
                     VGG_PYTHON[0] ? VGG_PYTHON : "python3");
}

static uint64_t rng = 99;
static double urand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* The reference value of key ("ap 3") in a reference file. */
static double ref_value(const char *path, const char *key)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[65536];
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
            fclose(fp);
            return strtod(line + kl + 1, NULL);
        }
    }
    fclose(fp);
    fail_msg("no '%s' in %s", key, path);
    return NAN;
}


static void assert_close(double a, double b, const char *what)
{
    if (isnan(b)) {
        if (!isnan(a))
            fail_msg("%s: %.17g, reference NaN", what, a);
        return;
    }
    if (!(fabs(a - b) <= 1e-9))
        fail_msg("%s: %.17g, reference %.17g", what, a, b);
}

/* The group setup runs every case once with writing set (the data files
 * only), then the reference script once on all of them (Python and
 * scikit-learn start slowly); the tests run the cases again on the same
 * data (the same seeds) and compare. */
static bool writing;

static void single_label_case(const char *tag, uint64_t seed, size_t n, int k, bool ties)
{
    rng = seed;
    double *s = malloc(n * (size_t)k * sizeof *s);
    int *cls = malloc(n * sizeof *cls);
    for (size_t i = 0; i < n; i++) {
        cls[i] = (int)(urand() * k);
        for (int c = 0; c < k; c++) {
            double v = urand() + (c == cls[i] ? 0.35 : 0.0);
            s[i * k + c] = ties ? round(v * 10) / 10 : v;
        }
    }
    char dname[64], oname[64];
    snprintf(dname, sizeof dname, "%s.txt", tag);
    snprintf(oname, sizeof oname, "%s.ref", tag);
    const char *out = tpath(oname);
    FILE *fp;
    if (writing) {
        fp = fopen(tpath(dname), "w");
        fprintf(fp, "%zu %d single\n", n, k);
        for (size_t i = 0; i < n; i++) {
            fprintf(fp, "%d", cls[i]);
            for (int c = 0; c < k; c++)
                fprintf(fp, " %.17g", s[i * k + c]);
            fputc('\n', fp);
        }
        fclose(fp);
        free(s);
        free(cls);
        return;
    }
    vgg_svm_eval *e = NULL;
    assert_int_equal(vgg_svm_evaluate(s, n, k, cls, NULL, &e), VGG_STATUS_OK);
    assert_close(e->accuracy, ref_value(out, "accuracy"), "accuracy");
    assert_close(e->mean_recall, ref_value(out, "balanced_accuracy"), "mean class recall");
    if (!ties)   /* scikit-learn breaks ties in top-k by class index */
        assert_close(e->top5, ref_value(out, "top5"), "top-5");
    /* confusion matrix */
    fp = fopen(out, "r");
    char line[65536];
    bool seen = false;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "confusion ", 10) != 0)
            continue;
        seen = true;
        char *p = line + 10;
        for (int i = 0; i < k * k; i++) {
            long v = strtol(p, &p, 10);
            assert_int_equal(e->confusion[i], (size_t)v);
        }
    }
    fclose(fp);
    assert_true(seen);
    for (int c = 0; c < k; c++) {
        char key[32];
        snprintf(key, sizeof key, "ap %d", c);
        assert_close(e->ap_plain[c], ref_value(out, key), key);
        snprintf(key, sizeof key, "ap07 %d", c);
        assert_close(e->ap07[c], ref_value(out, key), key);
        snprintf(key, sizeof key, "area %d", c);
        assert_close(e->ap_area[c], ref_value(out, key), key);
    }
    printf("# n %zu, k %d%s: accuracy %.4f, mean class recall %.4f, mAP %.4f / %.4f (11-pt / area)\n",
           n, k, ties ? " (tied scores)" : "", e->accuracy, e->mean_recall, e->map07, e->map_area);
    vgg_svm_eval_free(e);
    free(s);
    free(cls);
}

static void single_label_cases(void)
{
    single_label_case("s1", 99, 400, 9, false);
    single_label_case("s2", 7, 250, 6, true);
    single_label_case("s3", 8, 37, 12, false);   /* some classes with one or no image */
}

static void single_label_random_scores(void **state)
{
    (void)state;
    need_reference();
    single_label_cases();
}

static void multilabel_case(void)
{
    rng = 31;
    size_t n = 300;
    int k = 6;
    double *s = malloc(n * (size_t)k * sizeof *s);
    int8_t *t = malloc(n * (size_t)k);
    for (size_t i = 0; i < n; i++)
        for (int c = 0; c < k; c++) {
            double u = urand();
            int8_t v = u < 0.25 ? 1 : u < 0.35 ? 0 : -1;
            if (c == 5)
                v = u < 0.1 ? 0 : -1;   /* class 5: no positives at all */
            t[i * k + c] = v;
            double sc = urand() + (v > 0 ? 0.3 : 0.0);
            s[i * k + c] = c == 2 ? round(sc * 5) / 5 : sc;   /* class 2: many ties */
        }
    const char *out = tpath("multi.ref");
    if (writing) {
        FILE *fp = fopen(tpath("multi.txt"), "w");
        fprintf(fp, "%zu %d multi\n", n, k);
        for (size_t i = 0; i < n; i++) {
            for (int c = 0; c < k; c++)
                fprintf(fp, "%d ", t[i * k + c]);
            for (int c = 0; c < k; c++)
                fprintf(fp, " %.17g", s[i * k + c]);
            fputc('\n', fp);
        }
        fclose(fp);
        free(s);
        free(t);
        return;
    }
    vgg_svm_eval *e = NULL;
    assert_int_equal(vgg_svm_evaluate(s, n, k, NULL, t, &e), VGG_STATUS_OK);
    double sum07 = 0, suma = 0;
    for (int c = 0; c < k; c++) {
        char key[32];
        snprintf(key, sizeof key, "ap %d", c);
        assert_close(e->ap_plain[c], ref_value(out, key), key);
        snprintf(key, sizeof key, "ap07 %d", c);
        assert_close(e->ap07[c], ref_value(out, key), key);
        if (c < 5)
            sum07 += e->ap07[c];
        snprintf(key, sizeof key, "area %d", c);
        assert_close(e->ap_area[c], ref_value(out, key), key);
        if (c < 5)
            suma += e->ap_area[c];
    }
    /* the class without positives does not count in the mean */
    assert_true(isnan(e->ap07[5]));
    assert_int_equal(e->n_ap_classes, 5);
    assert_float_equal(e->map07, sum07 / 5, 1e-12);
    assert_float_equal(e->map_area, suma / 5, 1e-12);
    assert_true(isnan(e->accuracy));
    assert_null(e->confusion);
    vgg_svm_eval_free(e);
    free(s);
    free(t);
}

static void multilabel_with_difficult_and_empty_class(void **state)
{
    (void)state;
    need_reference();
    multilabel_case();
}

/* The program: vggsvm eval --json on a score file and a labels file. */
static void eval_program_case(void)
{
    rng = 5;
    size_t n = 120;
    int k = 4;
    char *classes[] = { "ant", "bee", "cow", "dog" };
    char **names = malloc(n * sizeof *names);
    double *s = malloc(n * (size_t)k * sizeof *s);
    int *cls = malloc(n * sizeof *cls);
    const char *data = tpath(writing ? "cli.txt" : "cli.unused"), *out = tpath("cli.ref"),
               *lab = tpath("cli.tsv");
    FILE *fd = fopen(data, "w"), *fl = fopen(lab, "w");
    fprintf(fd, "%zu %d single\n", n, k);
    for (size_t i = 0; i < n; i++) {
        names[i] = malloc(32);
        snprintf(names[i], 32, "im%03zu.jpg", i);
        cls[i] = (int)(urand() * k);
        fprintf(fd, "%d", cls[i]);
        fprintf(fl, "%s\t%s\n", names[i], classes[cls[i]]);
        for (int c = 0; c < k; c++) {
            /* values that survive the score file's %.9g exactly */
            s[i * k + c] = (double)(float)(urand() + (c == cls[i] ? 0.4 : 0.0));
            fprintf(fd, " %.17g", s[i * k + c]);
        }
        fputc('\n', fd);
    }
    fclose(fd);
    fclose(fl);
    if (writing) {
        for (size_t i = 0; i < n; i++)
            free(names[i]);
        free(names);
        free(s);
        free(cls);
        return;
    }
    vgg_svm_scores sc = { n, k, classes, names, s, false };
    assert_int_equal(vgg_svm_scores_write(&sc, tpath("scores.tsv"), false), VGG_STATUS_OK);
    snprintf(cmd, sizeof cmd,
             "'%s/vggsvm' eval --scores '%s' --labels '%s' --json --confusion-csv '%s' "
             "--confusion-svg '%s' > '%s'",
             VGG_BIN_DIR, tpath("scores.tsv"), lab, tpath("c.csv"), tpath("c.svg"),
             tpath("eval.json"));
    assert_int_equal(system(cmd), 0);
    json_object *j = json_object_from_file(tpath("eval.json"));
    assert_non_null(j);
    json_object *v;
    assert_true(json_object_object_get_ex(j, "mean_class_recall", &v));
    assert_close(json_object_get_double(v), ref_value(out, "balanced_accuracy"), "cli mean recall");
    assert_true(json_object_object_get_ex(j, "accuracy", &v));
    assert_close(json_object_get_double(v), ref_value(out, "accuracy"), "cli accuracy");
    assert_true(json_object_object_get_ex(j, "map_area", &v));
    double ma = 0;
    for (int c = 0; c < k; c++) {
        char key[32];
        snprintf(key, sizeof key, "area %d", c);
        ma += ref_value(out, key) / k;
    }
    assert_close(json_object_get_double(v), ma, "cli mAP (area)");
    json_object_put(j);
    assert_int_equal(access(tpath("c.csv"), R_OK), 0);
    assert_int_equal(access(tpath("c.svg"), R_OK), 0);
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    free(s);
    free(cls);
}

static void eval_program_json(void **state)
{
    (void)state;
    need_reference();
    eval_program_case();
}

static int setup_all(void **state)
{
    if (setup_dir(state) != 0)
        return -1;
    writing = true;
    single_label_cases();
    multilabel_case();
    eval_program_case();
    writing = false;
    snprintf(cmd, sizeof cmd, "'%s' -c 'import sklearn.metrics' >/dev/null 2>&1", VGG_PYTHON);
    if (!VGG_PYTHON[0] || system(cmd) != 0) {
        return 0;   /* each case says what is missing */
    }
    const char *tags[] = { "s1", "s2", "s3", "multi", "cli" };
    int len = snprintf(cmd, sizeof cmd, "'%s' '%s/tests/svm_sklearn_ref.py'", VGG_PYTHON,
                       VGG_SOURCE_DIR);
    for (int i = 0; i < 5; i++)
        len += snprintf(cmd + len, sizeof cmd - (size_t)len, " '%s/%s.txt' '%s/%s.ref'", tmpdir,
                        tags[i], tmpdir, tags[i]);
    snprintf(cmd + len, sizeof cmd - (size_t)len, " 2>/dev/null");
    if (system(cmd) != 0) {
        fprintf(stderr, "reference script failed: %s\n", cmd);
        return -1;
    }
    have_reference = true;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(single_label_random_scores),
        cmocka_unit_test(multilabel_with_difficult_and_empty_class),
        cmocka_unit_test(eval_program_json),
    };
    return tests_exit(cmocka_run_group_tests(tests, setup_all, teardown_dir));
}
