/* vggsvm train/predict against Debian's liblinear-train/liblinear-predict
 * on the same data: the same weights (1e-6) and the same predictions.
 * Skipped where liblinear-tools is missing (a failure where
 * VGG_REQUIRE_REFERENCES=1, tests/test_skip.h). */
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
#include "test_util.h"

static char cmd[4096];

static void need_liblinear(void)
{
    if (system("command -v liblinear-train >/dev/null 2>&1 && "
               "command -v liblinear-predict >/dev/null 2>&1") != 0)
        skip_missing("liblinear-train and liblinear-predict (liblinear-tools)");
}

static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    return rc;
}

/* ---- data ---- */

/* the data's generator: each case seeds it, so that it stands alone */
static uint64_t rng;
static double urand(void)
{
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(rng >> 11) / 9007199254740992.0;
}

typedef struct dataset {
    size_t n;
    int dim;
    float *x;
    int *cls;
} dataset;

/* Overlapping classes: centre of class k is a random vector, noise of the
 * same size, so the SVMs do not separate everything; some zeros too. */
static dataset make_data(size_t n, int dim, int K, const float *centres)
{
    dataset d = { n, dim, malloc(n * (size_t)dim * sizeof(float)), malloc(n * sizeof(int)) };
    for (size_t i = 0; i < n; i++) {
        int k = (int)(urand() * K);
        d.cls[i] = k;
        for (int j = 0; j < dim; j++) {
            float v = (float)(centres[k * dim + j] + (urand() - 0.5) * 1.2);
            d.x[i * dim + j] = urand() < 0.1 ? 0.0f : v;
        }
    }
    return d;
}

static void make_desc(vgg_featdesc *d, int dim)
{
    make_test_desc(d, dim, "D", 'b', 384);
}

static const char *cname[] = { "aero", "bike", "bird", "boat", "bottle" };

/* A store with labels label_of(i) (NULL: cname[cls]). */
static void write_store(const char *path, const dataset *d, const char *const *labels)
{
    vgg_featdesc desc;
    make_desc(&desc, d->dim);
    vgg_featwriter *w = NULL;
    unlink(path);
    assert_int_equal(vgg_featwriter_open(path, &desc, false, &w, NULL), VGG_STATUS_OK);
    for (size_t i = 0; i < d->n; i++) {
        char name[32];
        snprintf(name, sizeof name, "img%04zu.jpg", i);
        assert_int_equal(vgg_featwriter_append(w, name, labels ? labels[i] : cname[d->cls[i]],
                                               d->x + i * d->dim),
                         VGG_STATUS_OK);
    }
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
}

/* LIBLINEAR text: "label index:value ..." with values printed so that
 * they read back as exactly the float's double. keep: NULL or a row mask. */
static void write_liblinear(const char *path, const dataset *d, const int *labels,
                            const bool *keep)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    for (size_t i = 0; i < d->n; i++) {
        if (keep && !keep[i])
            continue;
        fprintf(fp, "%d", labels[i]);
        for (int j = 0; j < d->dim; j++) {
            float v = d->x[i * d->dim + j];
            if (v != 0.0f)
                fprintf(fp, " %d:%.17g", j + 1, (double)v);
        }
        fputc('\n', fp);
    }
    fclose(fp);
}

/* ---- LIBLINEAR model files, read here independently of the library ---- */

typedef struct llmodel {
    int nr_class, nr_feature, nr_w;
    double bias;
    int label[16];
    double *w;    /* rows x nr_w */
    char solver[64];
} llmodel;

static llmodel read_llmodel(const char *path)
{
    llmodel m;
    memset(&m, 0, sizeof m);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char key[64];
    while (fscanf(fp, "%63s", key) == 1) {
        if (strcmp(key, "solver_type") == 0) {
            assert_int_equal(fscanf(fp, "%63s", m.solver), 1);
        } else if (strcmp(key, "nr_class") == 0) {
            assert_int_equal(fscanf(fp, "%d", &m.nr_class), 1);
        } else if (strcmp(key, "label") == 0) {
            for (int c = 0; c < m.nr_class; c++)
                assert_int_equal(fscanf(fp, "%d", &m.label[c]), 1);
        } else if (strcmp(key, "nr_feature") == 0) {
            assert_int_equal(fscanf(fp, "%d", &m.nr_feature), 1);
        } else if (strcmp(key, "bias") == 0) {
            assert_int_equal(fscanf(fp, "%lf", &m.bias), 1);
        } else if (strcmp(key, "w") == 0) {
            break;
        } else {
            fail_msg("unexpected '%s' in %s", key, path);
        }
    }
    m.nr_w = (m.nr_class == 2 && strcmp(m.solver, "MCSVM_CS") != 0) ? 1 : m.nr_class;
    int rows = m.nr_feature + (m.bias >= 0 ? 1 : 0);
    m.w = malloc((size_t)rows * m.nr_w * sizeof *m.w);
    for (int i = 0; i < rows * m.nr_w; i++)
        assert_int_equal(fscanf(fp, "%lf", &m.w[i]), 1);
    fclose(fp);
    return m;
}

/* Weight j of the decision function for label lab (binary: the sign
 * follows label[0]). */
static double llweight(const llmodel *m, int lab, int j)
{
    if (m->nr_w == 1)
        return m->label[0] == lab ? m->w[j] : -m->w[j];
    for (int c = 0; c < m->nr_class; c++)
        if (m->label[c] == lab)
            return m->w[(size_t)j * m->nr_w + c];
    fail_msg("label %d not in the model", lab);
    return 0;
}

static int *read_ints(const char *path, size_t n)
{
    int *v = malloc(n * sizeof *v);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(fscanf(fp, "%d", &v[i]), 1);
    fclose(fp);
    return v;
}

/* Arg-max class (1-based label) of each row of a vggsvm TSV score file. */
static int *tsv_argmax(const char *path, size_t n, int K)
{
    int *v = malloc(n * sizeof *v);
    FILE *fp = fopen(path, "r");
    assert_non_null(fp);
    char line[8192];
    assert_non_null(fgets(line, sizeof line, fp));   /* header */
    for (size_t i = 0; i < n; i++) {
        assert_non_null(fgets(line, sizeof line, fp));
        char *p = strchr(line, '\t');
        assert_non_null(p);
        double best = -INFINITY;
        for (int k = 0; k < K; k++) {
            double s = strtod(p + 1, &p);
            if (s > best) {
                best = s;
                v[i] = k + 1;
            }
        }
    }
    fclose(fp);
    return v;
}

static void compare_models(const llmodel *ours, const llmodel *theirs, const int *labels,
                           int n_labels, int dim, bool bias)
{
    assert_int_equal(ours->nr_feature, theirs->nr_feature);
    assert_int_equal(ours->nr_feature, dim);
    assert_true((ours->bias >= 0) == bias);
    assert_true((theirs->bias >= 0) == bias);
    double maxdiff = 0, maxw = 0;
    for (int c = 0; c < n_labels; c++)
        for (int j = 0; j < dim + (bias ? 1 : 0); j++) {
            double a = llweight(ours, labels[c], j), b = llweight(theirs, labels[c], j);
            maxdiff = fmax(maxdiff, fabs(a - b));
            maxw = fmax(maxw, fabs(b));
        }
    printf("# largest weight %.4g, largest difference %.3g\n", maxw, maxdiff);
    assert_true(maxw > 1e-3);   /* a model that learned something */
    assert_true(maxdiff <= 1e-6);
}

/* Single-label, K classes: vggsvm train vs liblinear-train on the same
 * rows; vggsvm predict and liblinear-predict (with both model files) on
 * new rows agree. */
static void single_label_case(size_t n_train, int K, int dim, const char *svm_opts,
                              const char *ll_opts, bool bias)
{
    float *centres = malloc((size_t)K * dim * sizeof *centres);
    for (int i = 0; i < K * dim; i++)
        centres[i] = (float)(urand() - 0.5);
    dataset tr = make_data(n_train, dim, K, centres);
    dataset te = make_data(80, dim, K, centres);
    int *ytr = malloc(tr.n * sizeof *ytr), *yte = malloc(te.n * sizeof *yte);
    for (size_t i = 0; i < tr.n; i++)
        ytr[i] = tr.cls[i] + 1;   /* classes sorted by name: cname order */
    for (size_t i = 0; i < te.n; i++)
        yte[i] = te.cls[i] + 1;
    write_store(tpath("tr.store"), &tr, NULL);
    write_store(tpath("te.store"), &te, NULL);
    write_liblinear(tpath("tr.txt"), &tr, ytr, NULL);
    write_liblinear(tpath("te.txt"), &te, yte, NULL);

    assert_int_equal(run("'%s/vggsvm' train -q --features '%s' -o '%s' %s", VGG_BIN_DIR,
                         tpath("tr.store"), tpath("ours.model"), svm_opts), 0);
    assert_int_equal(run("liblinear-train -q %s '%s' '%s' >/dev/null", ll_opts, tpath("tr.txt"),
                         tpath("theirs.model")), 0);
    llmodel a = read_llmodel(tpath("ours.model")), b = read_llmodel(tpath("theirs.model"));
    assert_string_equal(a.solver, b.solver);
    assert_int_equal(a.nr_class, K);
    assert_int_equal(b.nr_class, K);
    int labs[16];
    for (int k = 0; k < K; k++)
        labs[k] = k + 1;
    compare_models(&a, &b, labs, K, dim, bias);

    assert_int_equal(run("liblinear-predict '%s' '%s' '%s' >/dev/null", tpath("te.txt"),
                         tpath("ours.model"), tpath("p_ours.txt")), 0);
    assert_int_equal(run("liblinear-predict '%s' '%s' '%s' >/dev/null", tpath("te.txt"),
                         tpath("theirs.model"), tpath("p_theirs.txt")), 0);
    assert_int_equal(run("'%s/vggsvm' predict --model '%s' --features '%s' -o '%s'", VGG_BIN_DIR,
                         tpath("ours.model"), tpath("te.store"), tpath("scores.tsv")), 0);
    int *p1 = read_ints(tpath("p_ours.txt"), te.n), *p2 = read_ints(tpath("p_theirs.txt"), te.n);
    int *p3 = tsv_argmax(tpath("scores.tsv"), te.n, K);
    size_t right = 0;
    for (size_t i = 0; i < te.n; i++) {
        assert_int_equal(p1[i], p2[i]);
        assert_int_equal(p3[i], p2[i]);
        right += p2[i] == yte[i];
    }
    printf("# test accuracy %.3f (K = %d)\n", (double)right / te.n, K);
    assert_true(right > te.n / (size_t)K);   /* better than chance */
    free(p1);
    free(p2);
    free(p3);
    free(a.w);
    free(b.w);
    free(centres);
    free(tr.x);
    free(tr.cls);
    free(te.x);
    free(te.cls);
    free(ytr);
    free(yte);
}

static void four_classes_with_bias(void **state)
{
    (void)state;
    need_liblinear();
    rng = 12345;
    /* 600 rows: vggsvm reads the store in parts of 256 rows */
    single_label_case(600, 4, 24, "-c 0.5 -B 1", "-s 1 -c 0.5 -B 1", true);
}

static void two_classes_without_bias(void **state)
{
    (void)state;
    need_liblinear();
    rng = 2;
    single_label_case(150, 2, 16, "-c 2 -B -1", "-s 1 -c 2", false);
}

static void primal_solver_and_class_weight(void **state)
{
    (void)state;
    need_liblinear();
    rng = 3;
    /* class 2 ("bike") positives weighted 3: liblinear-train's -w2 3 */
    single_label_case(150, 3, 12, "-s 2 -c 1 -B 1 -w bike=3", "-s 2 -c 1 -B 1 -w2 3", true);
}

static void l1_loss_dual(void **state)
{
    (void)state;
    need_liblinear();
    rng = 4;
    single_label_case(150, 5, 10, "-s 3 -c 0.25 -B 2", "-s 3 -c 0.25 -B 2", true);
}

/* Multi-label with difficult images: each class's SVM equals
 * liblinear-train on that class's binary problem without its difficult
 * rows. */
static void multilabel_per_class_binary(void **state)
{
    (void)state;
    need_liblinear();
    rng = 5;
    int K = 3, dim = 10;
    float centres[30];
    for (int i = 0; i < K * dim; i++)
        centres[i] = (float)(urand() - 0.5);
    dataset tr = make_data(120, dim, K, centres);
    char **labels = malloc(tr.n * sizeof *labels);
    int8_t *truth = malloc(tr.n * (size_t)K);
    for (size_t i = 0; i < tr.n; i++) {
        char buf[64] = "";
        for (int k = 0; k < K; k++) {
            int8_t t = k == tr.cls[i] ? 1 : -1;
            if (t < 0 && urand() < 0.2)
                t = 1;   /* a second class */
            else if (t < 0 && urand() < 0.1)
                t = 0;   /* difficult */
            truth[i * K + k] = t;
            if (t >= 0) {
                if (buf[0])
                    strcat(buf, ",");
                strcat(buf, cname[k]);
                if (t == 0)
                    strcat(buf, "?");
            }
        }
        labels[i] = strdup(buf);
    }
    write_store(tpath("ml.store"), &tr, (const char *const *)labels);
    assert_int_equal(run("'%s/vggsvm' train -q --features '%s' -o '%s' -c 0.7 -B 1", VGG_BIN_DIR,
                         tpath("ml.store"), tpath("ml.model")), 0);
    llmodel a = read_llmodel(tpath("ml.model"));
    assert_int_equal(a.nr_class, K);
    int *y = malloc(tr.n * sizeof *y);
    bool *keep = malloc(tr.n * sizeof *keep);
    for (int k = 0; k < K; k++) {
        size_t ndiff = 0;
        for (size_t i = 0; i < tr.n; i++) {
            y[i] = truth[i * K + k] > 0 ? 1 : -1;
            keep[i] = truth[i * K + k] != 0;
            ndiff += !keep[i];
        }
        assert_true(ndiff > 0);
        write_liblinear(tpath("bin.txt"), &tr, y, keep);
        assert_int_equal(run("liblinear-train -q -s 1 -c 0.7 -B 1 '%s' '%s' >/dev/null",
                             tpath("bin.txt"), tpath("bin.model")), 0);
        llmodel b = read_llmodel(tpath("bin.model"));
        double maxdiff = 0;
        for (int j = 0; j <= dim; j++)
            maxdiff = fmax(maxdiff, fabs(llweight(&a, k + 1, j) - llweight(&b, 1, j)));
        printf("# class %d: largest difference %.3g (%zu difficult rows left out)\n", k, maxdiff,
               ndiff);
        assert_true(maxdiff <= 1e-6);
        free(b.w);
    }
    for (size_t i = 0; i < tr.n; i++)
        free(labels[i]);
    free(labels);
    free(truth);
    free(y);
    free(keep);
    free(a.w);
    free(tr.x);
    free(tr.cls);
}

/* liblinear-predict reads a vggsvm model with features exported by
 * `vggfeat export --format liblinear`: the same classes as vggsvm predict
 * (the predicted labels are the model's class numbers, whatever numbers
 * the export gives the true labels). */
static void liblinear_predict_on_vggfeat_export(void **state)
{
    (void)state;
#ifndef VGG_HAVE_VGGFEAT
    skip_missing("the vggfeat program (not built here)");
#else
    need_liblinear();
    rng = 6;
    int K = 4, dim = 12;
    float centres[48];
    for (int i = 0; i < K * dim; i++)
        centres[i] = (float)(urand() - 0.5);
    dataset tr = make_data(200, dim, K, centres);
    dataset te = make_data(60, dim, K, centres);
    write_store(tpath("ex_tr.store"), &tr, NULL);
    write_store(tpath("ex_te.store"), &te, NULL);
    assert_int_equal(run("'%s/vggsvm' train -q --features '%s' -o '%s' -c 1", VGG_BIN_DIR,
                         tpath("ex_tr.store"), tpath("ex.model")), 0);
    assert_int_equal(run("'%s/vggfeat' export '%s' --format liblinear -o '%s' >/dev/null",
                         VGG_BIN_DIR, tpath("ex_te.store"), tpath("ex_te.txt")), 0);
    assert_int_equal(run("liblinear-predict '%s' '%s' '%s' >/dev/null", tpath("ex_te.txt"),
                         tpath("ex.model"), tpath("ex_p.txt")), 0);
    assert_int_equal(run("'%s/vggsvm' predict --model '%s' --features '%s' -o '%s'", VGG_BIN_DIR,
                         tpath("ex.model"), tpath("ex_te.store"), tpath("ex_s.tsv")), 0);
    int *p1 = read_ints(tpath("ex_p.txt"), te.n), *p2 = tsv_argmax(tpath("ex_s.tsv"), te.n, K);
    size_t right = 0;
    for (size_t i = 0; i < te.n; i++) {
        assert_int_equal(p1[i], p2[i]);
        right += p1[i] == te.cls[i] + 1;
    }
    assert_true(right > te.n / 2);
    free(p1);
    free(p2);
    free(tr.x);
    free(tr.cls);
    free(te.x);
    free(te.cls);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(four_classes_with_bias),
        cmocka_unit_test(two_classes_without_bias),
        cmocka_unit_test(primal_solver_and_class_weight),
        cmocka_unit_test(l1_loss_dual),
        cmocka_unit_test(multilabel_per_class_binary),
        cmocka_unit_test(liblinear_predict_on_vggfeat_export),
    };
    return tests_exit(cmocka_run_group_tests(tests, setup_dir, teardown_dir));
}
