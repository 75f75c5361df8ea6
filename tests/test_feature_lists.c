/* The feature store's record of its input list and its labels (issue 24):
 * the "list" of the description written only where set, read back, and
 * refused when malformed; descriptions equal whatever their lists; a
 * writer never resumes another shard; a subset records no list; labels
 * with spaces around them number as one class in exports. */
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

#define SHA "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void shard_desc(vgg_featdesc *d, const char *shards, int of)
{
    make_test_desc(d, 2, "D", 'a', 256);
    strcpy(d->list_digest, SHA);
    d->list_inputs = 12;
    d->shard_n = of;
    snprintf(d->shards, sizeof d->shards, "%s", shards);
}

static void the_list_is_written_only_where_set(void **state)
{
    (void)state;
    vgg_featdesc d, back;
    char *json = NULL;
    make_test_desc(&d, 2, "D", 'a', 256);
    assert_int_equal(vgg_featdesc_to_json(&d, &json), VGG_STATUS_OK);
    assert_null(strstr(json, "\"list\""));   /* stores without it stay as they were */
    free(json);
    shard_desc(&d, "1", 3);
    assert_int_equal(vgg_featdesc_to_json(&d, &json), VGG_STATUS_OK);
    assert_non_null(strstr(json, "\"list\":{\"sha256\":\"" SHA "\",\"inputs\":12,\"shards\":\"1\","
                                 "\"of\":3}"));
    assert_int_equal(vgg_featdesc_from_json(json, &back), VGG_STATUS_OK);
    free(json);
    assert_string_equal(back.list_digest, SHA);
    assert_true(back.list_inputs == 12);
    assert_int_equal(back.shard_n, 3);
    assert_string_equal(back.shards, "1");
    /* the whole list: no shards */
    shard_desc(&d, "", 1);
    assert_int_equal(vgg_featdesc_to_json(&d, &json), VGG_STATUS_OK);
    assert_non_null(strstr(json, "\"list\":{\"sha256\":\"" SHA "\",\"inputs\":12}"));
    assert_int_equal(vgg_featdesc_from_json(json, &back), VGG_STATUS_OK);
    free(json);
    assert_int_equal(back.shard_n, 1);
    assert_string_equal(back.shards, "");
    /* not a setting: descriptions of other lists are equal */
    vgg_featdesc a, b;
    shard_desc(&a, "0", 3);
    make_test_desc(&b, 2, "D", 'a', 256);
    assert_true(vgg_featdesc_equal(&a, &b, NULL, 0));
    vgg_featdesc_forget_list(&a);
    assert_int_equal(a.shard_n, 0);
    assert_string_equal(a.list_digest, "");
}

static void a_malformed_list_is_refused(void **state)
{
    (void)state;
    vgg_featdesc d;
    char *json = NULL;
    make_test_desc(&d, 2, "D", 'a', 256);
    assert_int_equal(vgg_featdesc_to_json(&d, &json), VGG_STATUS_OK);
    size_t n = strlen(json);
    static const struct {
        const char *list, *says;
    } bad[] = {
        { "[]", "not an object" },
        { "{\"sha256\":\"abc\",\"inputs\":3}", "'sha256' is not 64 hexadecimal digits" },
        { "{\"sha256\":\"" SHA "\",\"inputs\":-1}", "'inputs' is not a count" },
        { "{\"sha256\":\"" SHA "\",\"inputs\":3,\"shards\":\"1\"}", "'of' is not a number" },
        { "{\"sha256\":\"" SHA "\",\"inputs\":3,\"shards\":\"3\",\"of\":3}", "'shards' is not" },
        { "{\"sha256\":\"" SHA "\",\"inputs\":3,\"shards\":\"1,0\",\"of\":3}", "'shards' is not" },
        { "{\"sha256\":\"" SHA "\",\"inputs\":3,\"shards\":\"0-1,1\",\"of\":3}", "'shards' is not" },
        { "{\"sha256\":\"" SHA "\",\"inputs\":3,\"shards\":\"1-0\",\"of\":3}", "'shards' is not" },
        { "{\"sha256\":\"" SHA "\",\"inputs\":3,\"shards\":\"x\",\"of\":3}", "'shards' is not" },
        { "{\"sha256\":\"" SHA "\",\"inputs\":3,\"shards\":\"0\",\"of\":1}", "'of' is not" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[2048];
        snprintf(text, sizeof text, "%.*s,\"list\":%s}", (int)(n - 1), json, bad[i].list);
        vgg_featdesc back;
        vgg_status st = vgg_featdesc_from_json(text, &back);
        if (st != VGG_STATUS_FORMAT || !strstr(vgg_last_error(), bad[i].says))
            fail_msg("%s: status %d, '%s'", bad[i].list, (int)st, vgg_last_error());
    }
    /* well formed: a set of shards after a partial merge */
    char text[2048];
    snprintf(text, sizeof text, "%.*s,\"list\":{\"sha256\":\"" SHA "\",\"inputs\":30,"
             "\"shards\":\"0-2,5,7-8\",\"of\":10}}", (int)(n - 1), json);
    vgg_featdesc back;
    assert_int_equal(vgg_featdesc_from_json(text, &back), VGG_STATUS_OK);
    assert_string_equal(back.shards, "0-2,5,7-8");
    free(json);
}

static void a_writer_never_resumes_another_shard(void **state)
{
    (void)state;
    vgg_featdesc d0, d1;
    shard_desc(&d0, "0", 3);
    shard_desc(&d1, "1", 3);
    const char *path = tpath("resume.vggf");
    vgg_featwriter *w = NULL;
    assert_int_equal(vgg_featwriter_open(path, &d0, false, &w, NULL), VGG_STATUS_OK);
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);   /* no row yet */
    assert_int_equal(vgg_featwriter_open(path, &d1, true, &w, NULL), VGG_STATUS_MISMATCH);
    assert_non_null(strstr(vgg_last_error(), "the store holds shard 0 of 3 of the list "
                                             "0123456789ab... (12 inputs), this run shard 1 of 3"));
    assert_null(w);
    strcpy(d1.list_digest, SHA);
    d1.list_digest[0] = 'f';
    strcpy(d1.shards, "0");
    assert_int_equal(vgg_featwriter_open(path, &d1, true, &w, NULL), VGG_STATUS_MISMATCH);
    assert_non_null(strstr(vgg_last_error(), "another input list or shard"));
    /* the same shard resumes; so does a run that records no list */
    size_t rows = 9;
    assert_int_equal(vgg_featwriter_open(path, &d0, true, &w, &rows), VGG_STATUS_OK);
    assert_int_equal(rows, 0);
    float x[2] = { 1, 0 };
    assert_int_equal(vgg_featwriter_append(w, "a.png", "cat", x), VGG_STATUS_OK);
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
    vgg_featdesc none;
    make_test_desc(&none, 2, "D", 'a', 256);
    assert_int_equal(vgg_featwriter_open(path, &none, true, &w, &rows), VGG_STATUS_OK);
    assert_int_equal(rows, 1);
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);

    /* a subset of it is no shard */
    const char *names[] = { "a.png" };
    unlink(tpath("subset.vggf"));
    assert_int_equal(vgg_featstore_subset(path, names, NULL, 1, "l.txt", tpath("subset.vggf")),
                     VGG_STATUS_OK);
    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(tpath("subset.vggf"), &fs), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_desc(fs)->shard_n, 0);
    vgg_featstore_close(fs);
}

static void labels_with_spaces_are_one_class(void **state)
{
    (void)state;
    /* a store written before lists dropped the spaces around labels */
    vgg_featdesc d;
    make_test_desc(&d, 2, "D", 'a', 256);
    const char *path = tpath("spaces.vggf");
    unlink(path);
    vgg_featwriter *w = NULL;
    assert_int_equal(vgg_featwriter_open(path, &d, false, &w, NULL), VGG_STATUS_OK);
    static const char *labels[] = { "cat ", "cat", " dog", "dog", "cat  " };
    float x[2] = { 0, 1 };
    for (int i = 0; i < 5; i++) {
        char name[16];
        snprintf(name, sizeof name, "%d.png", i);
        assert_int_equal(vgg_featwriter_append(w, name, labels[i], x), VGG_STATUS_OK);
    }
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_OK);
    vgg_featlabels m;
    assert_int_equal(vgg_featlabels_build(fs, &m), VGG_STATUS_OK);
    assert_false(m.numeric);
    assert_int_equal(m.n, 2);
    assert_string_equal(m.names[0], "cat");
    assert_string_equal(m.names[1], "dog");
    static const long number[] = { 1, 1, 2, 2, 1 };
    for (int i = 0; i < 5; i++)
        assert_int_equal(vgg_featlabels_number(&m, labels[i]), number[i]);
    vgg_featlabels_free(&m);
    vgg_featstore_close(fs);
    /* integers with spaces stay integers */
    path = tpath("ints.vggf");
    unlink(path);
    assert_int_equal(vgg_featwriter_open(path, &d, false, &w, NULL), VGG_STATUS_OK);
    assert_int_equal(vgg_featwriter_append(w, "a.png", "3 ", x), VGG_STATUS_OK);
    assert_int_equal(vgg_featwriter_append(w, "b.png", "7", x), VGG_STATUS_OK);
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_OK);
    assert_int_equal(vgg_featlabels_build(fs, &m), VGG_STATUS_OK);
    assert_true(m.numeric);
    assert_int_equal(vgg_featlabels_number(&m, "3 "), 3);
    vgg_featlabels_free(&m);
    vgg_featstore_close(fs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_list_is_written_only_where_set),
        cmocka_unit_test(a_malformed_list_is_refused),
        cmocka_unit_test(a_writer_never_resumes_another_shard),
        cmocka_unit_test(labels_with_spaces_are_one_class),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
