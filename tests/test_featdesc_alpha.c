/* features/: the description's "alpha" (how transparency was decoded):
 * written by every store, read back, compared; a description from before
 * the key reads as made on white, as those stores were. */
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

static void old_descriptions_read_as_white(void **state)
{
    (void)state;
    vgg_featdesc d;
    assert_int_equal(vgg_featdesc_from_json(old_json, &d), VGG_STATUS_OK);
    assert_true(d.alpha_white);
}

static void alpha_round_trips_and_is_compared(void **state)
{
    (void)state;
    vgg_featdesc a, b;
    assert_int_equal(vgg_featdesc_from_json(old_json, &a), VGG_STATUS_OK);
    for (int white = 0; white < 2; white++) {
        a.alpha_white = white;
        char *json = NULL;
        assert_int_equal(vgg_featdesc_to_json(&a, &json), VGG_STATUS_OK);
        assert_non_null(strstr(json, white ? "\"alpha\":\"white\"" : "\"alpha\":\"drop\""));
        assert_int_equal(vgg_featdesc_from_json(json, &b), VGG_STATUS_OK);
        assert_int_equal(b.alpha_white, white);
        char why[128];
        assert_true(vgg_featdesc_equal(&a, &b, why, sizeof why));
        free(json);
    }
    b.alpha_white = true;
    a.alpha_white = false;
    char why[128];
    assert_false(vgg_featdesc_equal(&a, &b, why, sizeof why));
    assert_string_equal(why, "transparency differs: drop vs white (--alpha)");
}

static void bad_alpha_values_are_refused(void **state)
{
    (void)state;
    const char *bad[] = { "\"black\"", "1", "true", "\"\"" };
    for (int i = 0; i < 4; i++) {
        char json[512];
        snprintf(json, sizeof json, "%.*s,\"alpha\":%s}", (int)strlen(old_json) - 1, old_json,
                 bad[i]);
        vgg_featdesc d;
        assert_int_equal(vgg_featdesc_from_json(json, &d), VGG_STATUS_FORMAT);
        assert_string_equal(vgg_last_error(),
                            "feature description: 'alpha' is not \"drop\" or \"white\"");
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(old_descriptions_read_as_white),
        cmocka_unit_test(alpha_round_trips_and_is_compared),
        cmocka_unit_test(bad_alpha_values_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
