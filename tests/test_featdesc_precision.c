/* features/: the description's "precision" (vggfeat extract --precision):
 * written where recorded, read back, compared, so that a store is never
 * resumed, merged or scored with rows of another precision.  A description
 * from before the key has none ("" : fp32, tf32 or bf16, which existed
 * then, never int8, which came with the key); a bad value is refused. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/features.h"

static const char *old_json =
    "{\"dim\":4,\"nets\":[{\"name\":\"D\",\"config\":\"D\",\"digest\":\"ab\"}],"
    "\"scales\":[256],\"aggregate\":\"stack\",\"layer\":\"fc7\",\"flip\":true,"
    "\"l2\":true,\"version\":\"vggfeat 0.1.0\"}";

static void old_descriptions_have_none(void **state)
{
    (void)state;
    vgg_featdesc d;
    assert_int_equal(vgg_featdesc_from_json(old_json, &d), VGG_STATUS_OK);
    assert_string_equal(d.precision, "");
    char *json = NULL;
    assert_int_equal(vgg_featdesc_to_json(&d, &json), VGG_STATUS_OK);
    assert_null(strstr(json, "precision"));   /* not made up on the way out */
    free(json);
}

static void precision_round_trips_and_is_compared(void **state)
{
    (void)state;
    const char *names[] = { "fp32", "tf32", "bf16", "int8" };
    vgg_featdesc a, b, old;
    assert_int_equal(vgg_featdesc_from_json(old_json, &old), VGG_STATUS_OK);
    char why[128];
    for (int i = 0; i < 4; i++) {
        a = old;
        snprintf(a.precision, sizeof a.precision, "%s", names[i]);
        char *json = NULL, want[64];
        assert_int_equal(vgg_featdesc_to_json(&a, &json), VGG_STATUS_OK);
        snprintf(want, sizeof want, "\"precision\":\"%s\"", names[i]);
        assert_non_null(strstr(json, want));
        assert_int_equal(vgg_featdesc_from_json(json, &b), VGG_STATUS_OK);
        assert_string_equal(b.precision, names[i]);
        assert_true(vgg_featdesc_equal(&a, &b, why, sizeof why));
        free(json);
        for (int j = 0; j < 4; j++) {
            snprintf(b.precision, sizeof b.precision, "%s", names[j]);
            assert_int_equal(vgg_featdesc_equal(&a, &b, why, sizeof why), i == j);
            if (i != j) {
                char msg[128];
                snprintf(msg, sizeof msg, "precision differs: %s vs %s (--precision)", names[i],
                         names[j]);
                assert_string_equal(why, msg);
            }
        }
        /* not recorded: any but int8, both ways */
        const bool ok = i != 3;
        assert_int_equal(vgg_featdesc_equal(&a, &old, why, sizeof why), ok);
        assert_int_equal(vgg_featdesc_equal(&old, &a, why, sizeof why), ok);
        if (!ok)
            assert_string_equal(why, "precision differs: not recorded vs int8 (--precision)");
    }
}

static void bad_precision_values_are_refused(void **state)
{
    (void)state;
    const char *bad[] = { "\"fp16\"", "8", "true", "\"\"", "\"INT8\"" };
    for (int i = 0; i < 5; i++) {
        char json[512];
        snprintf(json, sizeof json, "%.*s,\"precision\":%s}", (int)strlen(old_json) - 1,
                 old_json, bad[i]);
        vgg_featdesc d;
        assert_int_equal(vgg_featdesc_from_json(json, &d), VGG_STATUS_FORMAT);
        assert_string_equal(vgg_last_error(), "feature description: 'precision' is not "
                                              "\"fp32\", \"tf32\", \"bf16\" or \"int8\"");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(old_descriptions_have_none),
        cmocka_unit_test(precision_round_trips_and_is_compared),
        cmocka_unit_test(bad_precision_values_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
