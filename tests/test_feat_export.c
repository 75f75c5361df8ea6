/* vggfeat export's LIBLINEAR text and its labels (features/src/labels.c,
 * features/src/export.c): integer labels kept as they are, 0 on every row
 * of a store without labels, a store with some rows unlabelled refused by
 * name; the text read back here field by field, and by Debian's
 * liblinear-train (its model lists the labels it read).  Through the
 * library and through `vggfeat export`. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgg/features.h"
#include "test_util.h"

#define DIM 3

/* A store of n rows named r0.jpg...; labels[i] (NULL or "" for none);
 * row i is (i + 1, 0, -0.5 i): the zero is left out of the text. */
static void write_store(const char *path, const char *const *labels, size_t n)
{
    vgg_featdesc d;
    make_test_desc(&d, DIM, "D", 'e', 256);
    vgg_featwriter *w = NULL;
    unlink(path);
    assert_int_equal(vgg_featwriter_open(path, &d, false, &w, NULL), VGG_STATUS_OK);
    for (size_t i = 0; i < n; i++) {
        char name[32];
        snprintf(name, sizeof name, "r%zu.jpg", i);
        float x[DIM] = { (float)i + 1.0f, 0.0f, -0.5f * (float)i };
        assert_int_equal(vgg_featwriter_append(w, name, labels[i], x), VGG_STATUS_OK);
    }
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
}

/* vgg_featstore_export of the store at path to out in LIBLINEAR's format */
static vgg_status export(const char *path, const char *out, size_t *n_names)
{
    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_OK);
    unlink(out);
    vgg_status st = vgg_featstore_export(fs, path, VGG_FEAT_EXPORT_LIBLINEAR, out, n_names);
    vgg_featstore_close(fs);
    return st;
}

/* Each line of the text: the label field, then "1:v 3:v" with the row's
 * values (the zero left out). */
static void check_text(const char *out, const char *const *want_labels, size_t n)
{
    char *text = slurp_file(out), *line = text;
    for (size_t i = 0; i < n; i++) {
        char *end = strchr(line, '\n');
        if (!end)
            fail_msg("'%s': %zu lines, expected %zu", out, i, n);
        *end = '\0';
        char want[128];
        snprintf(want, sizeof want, "%s 1:%.9g 3:%.9g", want_labels[i], (double)i + 1.0,
                 -0.5 * (double)i);
        if (i == 0)   /* -0 is a zero */
            snprintf(want, sizeof want, "%s 1:1", want_labels[i]);
        if (strcmp(line, want) != 0)
            fail_msg("'%s', line %zu: '%s', expected '%s'", out, i + 1, line, want);
        line = end + 1;
    }
    assert_string_equal(line, "");
    free(text);
}

/* liblinear-train reads the text; its model's "label" line lists the
 * labels it saw, in the order it first saw them */
static void liblinear_reads(const char *out, const char *want_label_line)
{
    if (run_cmd("command -v liblinear-train >/dev/null 2>&1") != 0)
        skip_missing("liblinear-train (liblinear-tools)");
    const char *model = tpath("export.model");
    assert_int_equal(run_cmd("liblinear-train -q '%s' '%s' >/dev/null", out, model), 0);
    char *m = slurp_file(model);
    if (!strstr(m, want_label_line))
        fail_msg("liblinear-train's model lacks '%s':\n%.300s", want_label_line, m);
    free(m);
}

static void integer_labels_are_kept(void **state)
{
    (void)state;
    /* integers, negative and signed among them: the numbers themselves,
     * not a numbering of their names ("10" < "3" bytewise) */
    const char *labels[] = { "3", "-1", "10", "3", "+2", "-1" };
    const char *want[] = { "3", "-1", "10", "3", "2", "-1" };
    const char *store = tpath("ints.vggf"), *out = tpath("ints.svm");
    write_store(store, labels, 6);
    size_t named = 99;
    assert_int_equal(export(store, out, &named), VGG_STATUS_OK);
    assert_int_equal(named, 0);
    check_text(out, want, 6);
    /* no numbering file: the numbers are the labels */
    char labels_file[300];
    snprintf(labels_file, sizeof labels_file, "%s.labels", out);
    assert_int_equal(access(labels_file, F_OK), -1);
    liblinear_reads(out, "label 3 -1 10 2\n");
}

static void names_are_numbered_in_bytewise_order(void **state)
{
    (void)state;
    /* one name among integers makes every label a name: "10" < "3" < "cat" */
    const char *labels[] = { "3", "cat", "10", "3" };
    const char *want[] = { "2", "3", "1", "2" };
    const char *store = tpath("names.vggf"), *out = tpath("names.svm");
    write_store(store, labels, 4);
    size_t named = 0;
    assert_int_equal(export(store, out, &named), VGG_STATUS_OK);
    assert_int_equal(named, 3);
    check_text(out, want, 4);
    char labels_file[300];
    snprintf(labels_file, sizeof labels_file, "%s.labels", out);
    char *t = slurp_file(labels_file);
    assert_string_equal(t, "1\t10\n2\t3\n3\tcat\n");
    free(t);
}

static void unlabelled_store_is_label_0(void **state)
{
    (void)state;
    const char *labels[] = { NULL, "", NULL };
    const char *want[] = { "0", "0", "0" };
    const char *store = tpath("none.vggf"), *out = tpath("none.svm");
    write_store(store, labels, 3);
    size_t named = 99;
    assert_int_equal(export(store, out, &named), VGG_STATUS_OK);
    assert_int_equal(named, 0);
    check_text(out, want, 3);
    char labels_file[300];
    snprintf(labels_file, sizeof labels_file, "%s.labels", out);
    assert_int_equal(access(labels_file, F_OK), -1);
}

static void partly_labelled_store_is_refused(void **state)
{
    (void)state;
    const char *labels[] = { "cat", "dog", NULL, "cat" };
    const char *store = tpath("part.vggf"), *out = tpath("part.svm");
    write_store(store, labels, 4);
    size_t named = 99;
    assert_int_equal(export(store, out, &named), VGG_STATUS_INVALID);
    char want[512];
    snprintf(want, sizeof want, "'%s': row 3 ('r2.jpg') has no label while 3 rows have one",
             store);
    assert_string_equal(vgg_last_error(), want);
    assert_int_equal(access(out, F_OK), -1);   /* nothing written */
    /* the integer kind too */
    const char *ints[] = { "1", "", "2" };
    write_store(store, ints, 3);
    assert_int_equal(export(store, out, &named), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "row 2 ('r1.jpg') has no label while 2 rows"));
    assert_int_equal(access(out, F_OK), -1);
}

/* the program: the same text, the refusal with exit 1 and nothing written */
static void vggfeat_export_says_the_same(void **state)
{
    (void)state;
#ifndef VGG_HAVE_VGGFEAT
    skip_missing("the vggfeat program (not built here)");
#else
    const char *ints[] = { "3", "-1", "10" };
    const char *want[] = { "3", "-1", "10" };
    const char *store = tpath("prog.vggf"), *out = tpath("prog.svm"), *log = tpath("prog.log");
    write_store(store, ints, 3);
    unlink(out);
    assert_int_equal(run_cmd("'%s/vggfeat' export '%s' --format liblinear -o '%s' >'%s' 2>&1",
                             VGG_BIN_DIR, store, out, log), 0);
    check_text(out, want, 3);
    const char *part[] = { "cat", NULL, "dog" };
    write_store(store, part, 3);
    unlink(out);
    assert_int_equal(run_cmd("'%s/vggfeat' export '%s' --format liblinear -o '%s' >'%s' 2>&1",
                             VGG_BIN_DIR, store, out, log), 1);
    char *t = slurp_file(log);
    if (!strstr(t, "vggfeat export: ") || !strstr(t, store) ||
        !strstr(t, "row 2 ('r1.jpg') has no label while 2 rows have one"))
        fail_msg("message: %s", t);
    free(t);
    assert_int_equal(access(out, F_OK), -1);
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integer_labels_are_kept),
        cmocka_unit_test(names_are_numbered_in_bytewise_order),
        cmocka_unit_test(unlabelled_store_is_label_0),
        cmocka_unit_test(partly_labelled_store_is_refused),
        cmocka_unit_test(vggfeat_export_says_the_same),
    };
    return tests_exit(cmocka_run_group_tests(tests, setup_dir, teardown_dir));
}
