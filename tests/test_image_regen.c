/* The committed image fixtures are what tests/gen_image_fixtures.py makes
 * with the Pillow, torchvision and libjpeg-turbo on this machine: the script
 * is run into the build directory and every file compared byte for byte.
 * Skipped when Pillow, torchvision, jpegtran or cc is missing (a failure
 * where VGG_REQUIRE_REFERENCES=1, tests/test_skip.h). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/core.h"
#include "test_skip.h"

#define FIX VGG_FIXTURES "/image"

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return rc == -1 ? -1 : rc;
}

static void fixtures_are_reproducible(void **state)
{
    (void)state;
    if (sh("'" VGG_PYTHON "' -c 'import PIL, numpy, torch, torchvision' >/dev/null 2>&1") != 0)
        skip_missing("%s with Pillow, numpy, torch and torchvision", VGG_PYTHON);
    if (sh("command -v jpegtran >/dev/null 2>&1") != 0)
        skip_missing("jpegtran (libjpeg-turbo-progs)");
    if (sh("command -v cc >/dev/null 2>&1") != 0)
        skip_missing("cc (build-essential)");
    const char *out = "image_fixtures_regen";
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/gen_image_fixtures.py' '%s' >/dev/null 2>&1",
             VGG_PYTHON, VGG_SOURCE_DIR, out);
    assert_int_equal(sh(cmd), 0);

    DIR *d = opendir(FIX);
    assert_non_null(d);
    struct dirent *e;
    int files = 0, differ = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "README"))
            continue;
        char a[1024], b[1024];
        snprintf(a, sizeof a, "%s/%s", FIX, e->d_name);
        snprintf(b, sizeof b, "%s/%s", out, e->d_name);
        char *da = NULL, *db = NULL;
        size_t na = 0, nb = 0;
        assert_int_equal(vgg_read_file(a, 0, &da, &na), VGG_STATUS_OK);
        if (vgg_read_file(b, 0, &db, &nb) != VGG_STATUS_OK || na != nb || memcmp(da, db, na)) {
            print_error("%s: the generator now makes something else\n", e->d_name);
            differ++;
        }
        free(da);
        free(db);
        files++;
    }
    closedir(d);
    /* and nothing new that is not committed */
    d = opendir(out);
    assert_non_null(d);
    int made = 0;
    while ((e = readdir(d)))
        made += e->d_name[0] != '.';
    closedir(d);
    assert_true(files > 100);
    assert_int_equal(made, files);
    assert_int_equal(differ, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fixtures_are_reproducible),
    };
    return tests_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
