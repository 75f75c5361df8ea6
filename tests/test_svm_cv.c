/* How vggsvm train chooses C (--cv K and --holdout F), on data where the
 * choice matters: three overlapping, unequal classes in 24 noisy
 * dimensions of which 3 tell them apart, where the validation score moves
 * with C and is best at one value strictly inside the grid.
 * Every grid value's validation score (mean class recall) and the chosen C
 * are compared with tests/svm_cv_ref.py, which deals the folds again from
 * the stated rule, runs LIBLINEAR's liblinear-train and liblinear-predict
 * on each round and scores with scikit-learn.  The folds themselves are
 * not printed by vggsvm: that the scores agree at two seeds, while the
 * reference's scores at another seed differ, is what pins them down. */
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
#include "test_util.h"

#define N 120
#define K 3
#define DIM 24
#define GRID "0.001,0.01,0.1,1,10,100"
static const double grid[] = { 0.001, 0.01, 0.1, 1, 10, 100 };
#define NG ((int)(sizeof grid / sizeof grid[0]))
static const char *const cname[K] = { "ant", "bee", "cow" };   /* sorted: class k is k + 1 */

static uint64_t rng;
static double urand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) / 9007199254740992.0;
}

/* roughly normal: the sum of 4 uniforms, centred, variance 1 */
static double noise(void)
{
    return (urand() + urand() + urand() + urand() - 2.0) * sqrt(3.0);
}

static float x[N][DIM];
static int cls[N];

/* 60, 40 and 20 rows; class c is 0.9 along dimension c, every dimension
 * noisy, a quarter of the values zero (left out of LIBLINEAR's rows, as
 * the store's zeros are) */
static void make_data(void)
{
    rng = 31;
    for (int i = 0; i < N; i++) {
        cls[i] = i % 6 < 3 ? 0 : i % 6 < 5 ? 1 : 2;
        for (int j = 0; j < DIM; j++) {
            float v = (float)((j == cls[i] ? 0.9 : 0.0) + 0.8 * noise());
            x[i][j] = urand() < 0.25 ? 0.0f : v;
        }
    }
}

static void write_store(const char *path)
{
    vgg_featdesc d;
    make_test_desc(&d, DIM, "D", 'f', 256);
    vgg_featwriter *w = NULL;
    unlink(path);
    assert_int_equal(vgg_featwriter_open(path, &d, false, &w, NULL), VGG_STATUS_OK);
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "im%03d.jpg", i);
        assert_int_equal(vgg_featwriter_append(w, name, cname[cls[i]], x[i]), VGG_STATUS_OK);
    }
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
}

/* the reference's input (svm_cv_ref.py's DATA) */
static void write_data(const char *path, int folds, double holdout, uint64_t seed)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fprintf(fp, "%d %d %d %.17g %llu\n", N, K, folds, holdout, (unsigned long long)seed);
    for (int g = 0; g < NG; g++)
        fprintf(fp, "%s%.17g", g ? " " : "", grid[g]);
    fputc('\n', fp);
    for (int i = 0; i < N; i++) {
        fprintf(fp, "%d", cls[i]);
        for (int j = 0; j < DIM; j++)
            fprintf(fp, " %.17g", (double)x[i][j]);
        fputc('\n', fp);
    }
    fclose(fp);
}

static double ref_value(const char *path, const char *key)
{
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[256];
    size_t kl = strlen(key);
    while (fgets(line, sizeof line, fp))
        if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
            fclose(fp);
            return strtod(line + kl + 1, NULL);
        }
    fclose(fp);
    fail_msg("no '%s' in %s", key, path);
    return NAN;
}

/* the reference for one selection (folds >= 2, or 0 and a held-out
 * fraction) at seed, into ref (svm_cv_ref.py's OUT) */
static void reference(const char *tag, int folds, double holdout, uint64_t seed, char *ref,
                      size_t n)
{
    if (run_cmd("'%s' -c 'import sklearn.metrics' >/dev/null 2>&1", VGG_PYTHON) != 0)
        skip_missing("%s with scikit-learn (python3-sklearn)", VGG_PYTHON);
    if (run_cmd("command -v liblinear-train >/dev/null 2>&1 && "
                "command -v liblinear-predict >/dev/null 2>&1") != 0)
        skip_missing("liblinear-train and liblinear-predict (liblinear-tools)");
    char data[300];
    snprintf(data, sizeof data, "%s", tpath(tag));
    strcat(data, ".txt");
    snprintf(ref, n, "%s.ref", tpath(tag));
    write_data(data, folds, holdout, seed);
    assert_int_equal(run_cmd("'%s' '%s/tests/svm_cv_ref.py' '%s' '%s'", VGG_PYTHON,
                             VGG_SOURCE_DIR, data, ref), 0);
}

/* vggsvm train's report (--json) for the selection: the scores per grid
 * value into score[], the chosen C (the same for every class) returned */
static double ours(const char *store, const char *selection, uint64_t seed, double *score)
{
    const char *model = tpath("cv.model"), *json = tpath("cv.json");
    assert_int_equal(run_cmd("'%s/vggsvm' train --features '%s' -o '%s' --grid %s %s --seed %llu "
                             "--json >'%s'", VGG_BIN_DIR, store, model, GRID, selection,
                             (unsigned long long)seed, json), 0);
    json_object *j = json_object_from_file(json), *v, *c;
    assert_non_null(j);
    assert_true(json_object_object_get_ex(j, "validation_mean_class_recall", &v));
    assert_int_equal(json_object_array_length(v), NG);
    for (int g = 0; g < NG; g++)
        score[g] = json_object_get_double(json_object_array_get_idx(v, g));
    assert_true(json_object_object_get_ex(j, "classes", &c));
    assert_int_equal(json_object_array_length(c), K);
    double C = NAN;
    for (int k = 0; k < K; k++) {
        json_object *e = json_object_array_get_idx(c, k), *ck;
        assert_true(json_object_object_get_ex(e, "C", &ck));
        if (k == 0)
            C = json_object_get_double(ck);
        assert_true(json_object_get_double(ck) == C);
    }
    json_object_put(j);
    return C;
}

/* ours against the reference: every score, the chosen C; and the choice
 * matters here (one best value, neither end of the grid) */
static void compare(const char *what, const double *score, double C, const char *ref)
{
    double best = -1;
    int at = -1, ties = 0;
    for (int g = 0; g < NG; g++) {
        char key[32];
        snprintf(key, sizeof key, "score %d", g);
        double want = ref_value(ref, key);
        print_message("%s: C %-8g mean class recall %.4f (reference %.4f)\n", what, grid[g],
                      score[g], want);
        if (!(fabs(score[g] - want) <= 1e-12))
            fail_msg("%s: C %g scores %.17g, the reference %.17g", what, grid[g], score[g],
                     want);
        if (want > best) {
            best = want;
            at = g;
            ties = 0;
        } else if (want == best) {
            ties++;
        }
    }
    assert_true(C == ref_value(ref, "chosen"));
    assert_true(C == grid[at]);
    if (ties || at == 0 || at == NG - 1)
        fail_msg("%s: the data do not make the choice matter (best C %g, %d ties)", what,
                 grid[at], ties);
}

static bool same_scores(const char *ref_a, const char *ref_b)
{
    for (int g = 0; g < NG; g++) {
        char key[32];
        snprintf(key, sizeof key, "score %d", g);
        if (ref_value(ref_a, key) != ref_value(ref_b, key))
            return false;
    }
    return true;
}

static void cross_validation_matches_liblinear_on_the_same_folds(void **state)
{
    (void)state;
    make_data();
    char store[300];   /* (tpath's buffers are reused) */
    snprintf(store, sizeof store, "%s", tpath("cv.vggf"));
    write_store(store);
    char ref7[300], ref8[300];
    reference("cv7", 3, 0.2, 7, ref7, sizeof ref7);
    reference("cv8", 3, 0.2, 8, ref8, sizeof ref8);
    /* the folds matter: other folds, other scores */
    assert_false(same_scores(ref7, ref8));
    double score[NG];
    double C = ours(store, "--cv 3", 7, score);
    compare("3-fold, seed 7", score, C, ref7);
    C = ours(store, "--cv 3", 8, score);
    compare("3-fold, seed 8", score, C, ref8);
}

static void held_out_part_matches_liblinear(void **state)
{
    (void)state;
    make_data();
    char store[300];   /* (tpath's buffers are reused) */
    snprintf(store, sizeof store, "%s", tpath("ho.vggf"));
    write_store(store);
    char ref3[300], ref4[300];
    reference("ho3", 0, 0.3, 3, ref3, sizeof ref3);
    reference("ho4", 0, 0.3, 4, ref4, sizeof ref4);
    assert_false(same_scores(ref3, ref4));
    double score[NG];
    double C = ours(store, "--holdout 0.3", 3, score);
    compare("held-out 30%, seed 3", score, C, ref3);
    C = ours(store, "--holdout 0.3", 4, score);
    compare("held-out 30%, seed 4", score, C, ref4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cross_validation_matches_liblinear_on_the_same_folds),
        cmocka_unit_test(held_out_part_matches_liblinear),
    };
    return tests_exit(cmocka_run_group_tests(tests, setup_dir, teardown_dir));
}
