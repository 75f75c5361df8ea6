/* classifier/: score files and model sidecars that always parse (the
 * escaping rule of docs/escaping.md), the sidecar's digest, models without
 * a feature description, and the messages for a directory as a model and
 * for a sidecar from another training. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vgg/features.h"
#include "vgg/svm.h"
#include "test_util.h"

/* sorted byte-wise, as class lists are */
static const char *const hostile_classes[] = { "b\377ad", "cat\tdog", "q\"uo\\te" };
/* class names for training: labels refuse TAB and newline in a class name
 * (at input), so these have invalid UTF-8, a quote and a backslash */
static const char *const model_classes[] = { "b\377ad", "c\"at", "q\\te" };
static const char *const hostile_names[] = {
    "img\t1.jpg", "new\nline.jpg", "cr\r.jpg", "quote\".jpg", "comma,.jpg",
    "back\\slash.jpg", "latin1-\xe9t\xe9.jpg", "ok-\xc3\xa9.jpg",
};
#define N_NAMES (sizeof hostile_names / sizeof hostile_names[0])

static void assert_error_has(const char *part)
{
    if (!strstr(vgg_last_error(), part))
        fail_msg("message '%s' lacks '%s'", vgg_last_error(), part);
}

static void make_desc(vgg_featdesc *d, int dim)
{
    make_test_desc(d, dim, "D", 'a', 256);
}

/* 3 classes x 10 rows, class k's rows near unit vector k (dim 3) */
static vgg_svm_model *train(const char *const *classes, bool with_desc)
{
    static float x[30 * 3];
    const float *rows[30];
    const char *texts[30];
    for (int i = 0; i < 30; i++) {
        int k = i % 3;
        for (int j = 0; j < 3; j++)
            x[i * 3 + j] = (j == k ? 1.0f : 0.0f) + 0.01f * (float)((i * 7 + j) % 5);
        rows[i] = x + i * 3;
        texts[i] = classes[k];
    }
    vgg_svm_labels *l = NULL;
    if (vgg_svm_labels_build(texts, 30, VGG_SVM_LABELS_SINGLE, classes, 3, "t", &l) != 0)
        fail_msg("%s", vgg_last_error());
    vgg_svm_options o;
    vgg_svm_options_default(&o);
    o.C = 1.0;
    vgg_featdesc d;
    make_desc(&d, 3);
    vgg_svm_model *m = NULL;
    assert_int_equal(vgg_svm_train(rows, NULL, 30, 3, l, &o, with_desc ? &d : NULL, &m, NULL),
                     VGG_STATUS_OK);
    vgg_svm_labels_free(l);
    return m;
}

static int python_ok(const char *script)
{
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s -c '%s'", VGG_PYTHON, script);
    return system(cmd);
}

static void score_files_with_hostile_names_parse_and_round_trip(void **state)
{
    (void)state;
    vgg_svm_scores s = { 0 };
    s.n = N_NAMES;
    s.n_classes = 3;
    s.class_names = (char **)hostile_classes;
    s.names = (char **)hostile_names;
    double sc[N_NAMES * 3];
    for (size_t i = 0; i < N_NAMES * 3; i++)
        sc[i] = (double)i / 4 - 1;
    s.scores = sc;
    assert_int_equal(vgg_svm_scores_write(&s, "robust_scores.tsv", false), VGG_STATUS_OK);
    assert_int_equal(vgg_svm_scores_write(&s, "robust_scores.json", true), VGG_STATUS_OK);

    /* independent readers: every TSV row has the header's 4 fields; the
     * JSON is strict UTF-8 JSON; the names are the escaped forms */
    assert_int_equal(python_ok(
        "import csv, json\n"
        "rows = list(csv.reader(open(\"robust_scores.tsv\", encoding=\"utf-8\", newline=\"\"),"
        " delimiter=\"\\t\", quoting=csv.QUOTE_NONE))\n"
        "assert len(rows) == 9 and all(len(r) == 4 for r in rows), rows\n"
        "assert rows[0] == [\"name\", \"b\\\\xffad\", \"cat\\\\tdog\", \"q\\\"uo\\\\\\\\te\"], rows[0]\n"
        "assert rows[1][0] == \"img\\\\t1.jpg\" and rows[7][0] == \"latin1-\\\\xe9t\\\\xe9.jpg\"\n"
        "assert rows[8][0] == \"ok-\\u00e9.jpg\"\n"
        "d = json.loads(open(\"robust_scores.json\", \"rb\").read().decode(\"utf-8\", \"strict\"))\n"
        "assert [i[\"name\"] for i in d[\"images\"]] == [r[0] for r in rows[1:]]\n"
        "assert d[\"classes\"] == rows[0][1:]\n"), 0);

    /* our reader gives the original bytes back, from both */
    const char *files[] = { "robust_scores.tsv", "robust_scores.json" };
    for (int f = 0; f < 2; f++) {
        vgg_svm_scores *r = NULL;
        assert_int_equal(vgg_svm_scores_read(files[f], &r), VGG_STATUS_OK);
        assert_int_equal(r->n, N_NAMES);
        assert_int_equal(r->n_classes, 3);
        for (int k = 0; k < 3; k++)
            assert_string_equal(r->class_names[k], hostile_classes[k]);
        for (size_t i = 0; i < N_NAMES; i++) {
            assert_string_equal(r->names[i], hostile_names[i]);
            assert_true(r->scores[i * 3 + 2] == sc[i * 3 + 2]);
        }
        vgg_svm_scores_free(r);
    }
    /* a stray backslash (not the rule's) is a format error naming the line */
    FILE *fp = fopen("robust_scores.tsv", "w");
    fputs("name\ta\nok.jpg\t1\nbad\\q.jpg\t2\n", fp);
    fclose(fp);
    vgg_svm_scores *r = NULL;
    assert_int_equal(vgg_svm_scores_read("robust_scores.tsv", &r), VGG_STATUS_FORMAT);
    assert_null(r);
    assert_error_has("'robust_scores.tsv': line 3: ");
    unlink("robust_scores.tsv");
    unlink("robust_scores.json");
}

static void sidecar_is_json_and_its_digest_catches_edits(void **state)
{
    (void)state;
    vgg_svm_model *m = train(model_classes, true);
    const char *p = "robust.model";
    assert_int_equal(vgg_svm_model_save(m, p), VGG_STATUS_OK);
    assert_int_equal(python_ok(
        "import json\n"
        "d = json.loads(open(\"robust.model.json\", \"rb\").read().decode(\"utf-8\", \"strict\"))\n"
        "assert d[\"classes\"] == [\"b\\\\xffad\", \"c\\\"at\", \"q\\\\\\\\te\"], d\n"
        "assert len(d[\"sidecar_sha256\"]) == 64\n"), 0);
    vgg_svm_model *back = NULL;
    assert_int_equal(vgg_svm_model_load(p, &back), VGG_STATUS_OK);
    for (int k = 0; k < 3; k++)
        assert_string_equal(vgg_svm_model_class_name(back, k), model_classes[k]);
    vgg_svm_model_free(back);

    /* two class names swapped: every prediction would be relabelled */
    assert_int_equal(python_ok(
        "import json\n"
        "d = json.load(open(\"robust.model.json\"))\n"
        "d[\"classes\"][0], d[\"classes\"][1] = d[\"classes\"][1], d[\"classes\"][0]\n"
        "json.dump(d, open(\"robust.model.json\", \"w\"))\n"), 0);
    assert_int_equal(vgg_svm_model_load(p, &back), VGG_STATUS_MISMATCH);
    assert_null(back);
    assert_error_has("'robust.model.json': its class names, C values, settings or feature "
                     "description were changed after 'robust.model' was trained");

    /* the feature description deleted: no silent skip of the check */
    assert_int_equal(vgg_svm_model_save(m, p), VGG_STATUS_OK);
    assert_int_equal(python_ok(
        "import json\n"
        "d = json.load(open(\"robust.model.json\"))\n"
        "d[\"features\"] = None\n"
        "json.dump(d, open(\"robust.model.json\", \"w\"))\n"), 0);
    assert_int_equal(vgg_svm_model_load(p, &back), VGG_STATUS_MISMATCH);
    assert_error_has("sidecar_sha256 differs");

    /* the digest removed altogether */
    assert_int_equal(python_ok(
        "import json\n"
        "d = json.load(open(\"robust.model.json\"))\n"
        "del d[\"sidecar_sha256\"]\n"
        "json.dump(d, open(\"robust.model.json\", \"w\"))\n"), 0);
    assert_int_equal(vgg_svm_model_load(p, &back), VGG_STATUS_FORMAT);
    assert_error_has("has no \"sidecar_sha256\"");
    vgg_svm_model_free(m);
    unlink(p);
    unlink("robust.model.json");
}

static void model_without_description_needs_the_option(void **state)
{
    (void)state;
    vgg_svm_model *m = train(model_classes, false);
    assert_int_equal(vgg_svm_model_save(m, "robust_nodesc.model"), VGG_STATUS_OK);
    vgg_svm_model *back = NULL;
    assert_int_equal(vgg_svm_model_load("robust_nodesc.model", &back), VGG_STATUS_OK);
    assert_null(vgg_svm_model_desc(back));
    vgg_featdesc d;
    make_desc(&d, 3);
    assert_int_equal(vgg_svm_model_check(back, &d), VGG_STATUS_MISMATCH);
    assert_error_has("no description of the features");
    assert_error_has("--allow-undescribed");
    vgg_svm_model_allow_undescribed(back, true);
    assert_int_equal(vgg_svm_model_check(back, &d), VGG_STATUS_OK);
    d.dim = 4;   /* the dimension is still checked */
    assert_int_equal(vgg_svm_model_check(back, &d), VGG_STATUS_MISMATCH);
    vgg_svm_model_free(back);
    vgg_svm_model_free(m);
    unlink("robust_nodesc.model");
    unlink("robust_nodesc.model.json");
}

static void directory_and_foreign_sidecar_messages(void **state)
{
    (void)state;
    mkdir("robust_models", 0700);
    vgg_svm_model *back = NULL;
    assert_int_equal(vgg_svm_model_load("robust_models", &back), VGG_STATUS_INVALID);
    assert_error_has("'robust_models': is a directory; a model is the file written by "
                     "'vggsvm train -o MODEL'");
    rmdir("robust_models");

    /* a 3-class model beside the sidecar of a 2-class one of the same dim */
    static const char *const two[] = { "a", "b", "c" };
    vgg_svm_model *m3 = train(two, true);
    assert_int_equal(vgg_svm_model_save(m3, "robust_three.model"), VGG_STATUS_OK);
    FILE *fp = fopen("robust_three.model", "r");
    char text[8192];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = 0;
    /* the same weights relabelled as two classes: the model text says 3 */
    assert_int_equal(python_ok(
        "import json\n"
        "d = json.load(open(\"robust_three.model.json\"))\n"
        "d[\"classes\"] = d[\"classes\"][:2]\n"
        "d[\"C\"] = d[\"C\"][:2]\n"
        "json.dump(d, open(\"robust_three.model.json\", \"w\"))\n"), 0);
    assert_int_equal(vgg_svm_model_load("robust_three.model", &back), VGG_STATUS_MISMATCH);
    assert_error_has("'robust_three.model' and its sidecar disagree: the model has 3 classes of 3 "
                     "features, the sidecar 2 classes of 3 features");
    vgg_svm_model_free(m3);
    unlink("robust_three.model");
    unlink("robust_three.model.json");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(score_files_with_hostile_names_parse_and_round_trip),
        cmocka_unit_test(sidecar_is_json_and_its_digest_catches_edits),
        cmocka_unit_test(model_without_description_needs_the_option),
        cmocka_unit_test(directory_and_foreign_sidecar_messages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
