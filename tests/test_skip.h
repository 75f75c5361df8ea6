/* Cases that cannot run here, for the cmocka programs (tests/test_util.h
 * includes this; a program with its own folder helpers includes it alone,
 * after <cmocka.h>).
 *
 * skip_missing("torch (python3-torch)"): a dependency of the suite is
 * absent (a Python module, a Debian tool).  Where VGG_REQUIRE_REFERENCES=1
 * (pipelines/test.sh, whose setup installs everything the tests use) that
 * is a failure naming it; elsewhere the case is skipped.
 *
 * skip_here("why"): this machine cannot run the case at all (not root, a
 * GPU present, a CPU without bf16): skipped everywhere.
 *
 * A program some of whose cases were skipped, and none failed, exits 77,
 * which CTest reports as "Skipped" (SKIP_RETURN_CODE, set on every test in
 * tests/CMakeLists.txt) rather than "Passed":
 *
 *     return tests_exit(cmocka_run_group_tests(tests, setup, teardown));
 */
#ifndef VGG_TEST_SKIP_H
#define VGG_TEST_SKIP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEST_SKIP_UNUSED __attribute__((unused))

static int tests_skipped;   /* cases skipped so far */

/* VGG_REQUIRE_REFERENCES=1: every dependency must be there */
static TEST_SKIP_UNUSED bool references_required(void)
{
    const char *v = getenv("VGG_REQUIRE_REFERENCES");
    return v && strcmp(v, "1") == 0;
}

static TEST_SKIP_UNUSED void skip_missing_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static TEST_SKIP_UNUSED void skip_missing_at(const char *file, int line, const char *fmt, ...)
{
    char what[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (references_required()) {
        print_error("%s is missing, and VGG_REQUIRE_REFERENCES=1 says everything the tests "
                    "use is installed here (sh pipelines/setup.sh --tests)\n", what);
        _fail(file, line);
    }
    print_message("skipped: %s is missing (sh pipelines/setup.sh --tests installs it)\n", what);
    tests_skipped++;
    _skip(file, line);
}

static TEST_SKIP_UNUSED void skip_here_at(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static TEST_SKIP_UNUSED void skip_here_at(const char *file, int line, const char *fmt, ...)
{
    char why[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    print_message("skipped: %s\n", why);
    tests_skipped++;
    _skip(file, line);
}

#define skip_missing(...) skip_missing_at(__FILE__, __LINE__, __VA_ARGS__)
#define skip_here(...) skip_here_at(__FILE__, __LINE__, __VA_ARGS__)

/* main's exit status from cmocka's count of failed cases: 1 if any failed,
 * else 77 if any was skipped, else 0 */
static TEST_SKIP_UNUSED int tests_exit(int failed)
{
    return failed != 0 ? 1 : tests_skipped ? 77 : 0;
}

#endif
