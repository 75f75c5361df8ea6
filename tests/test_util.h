/* Helpers shared by the C tests: one temporary folder per test program
 * (cmocka group setup/teardown), paths in it, small text files, running a
 * program and comparing files, and the cases that cannot run here
 * (skip_missing, skip_here, tests_exit: tests/test_skip.h).  Include after
 * <cmocka.h>; every helper is static, so a test uses the ones it needs. */
#ifndef VGG_TEST_UTIL_H
#define VGG_TEST_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "test_skip.h"

#define TEST_UTIL_UNUSED __attribute__((unused))

static char tmpdir[64];

/* cmocka group setup: a fresh folder /tmp/vggtest.XXXXXX in tmpdir */
static TEST_UTIL_UNUSED int setup_dir(void **state)
{
    (void)state;
    strcpy(tmpdir, "/tmp/vggtest.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

/* cmocka group teardown: the folder and everything in it removed */
static TEST_UTIL_UNUSED int teardown_dir(void **state)
{
    (void)state;
    char rm[128];
    snprintf(rm, sizeof rm, "rm -rf '%s'", tmpdir);
    return system(rm) == 0 ? 0 : -1;
}

/* tmpdir/name, in one of eight rotating buffers */
static TEST_UTIL_UNUSED char *tpath(const char *name)
{
    static char buf[8][256];
    static int i;
    i = (i + 1) % 8;
    snprintf(buf[i], sizeof buf[i], "%s/%s", tmpdir, name);
    return buf[i];
}

static TEST_UTIL_UNUSED void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* The whole file, NUL-terminated, malloc'd (fails the test if unreadable). */
static TEST_UTIL_UNUSED char *slurp_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        fail_msg("cannot open '%s'", path);
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    assert_non_null(b);
    size_t got;
    while ((got = fread(b + n, 1, cap - n - 1, fp)) > 0) {
        n += got;
        if (cap - n - 1 == 0) {
            cap *= 2;
            b = realloc(b, cap);
            assert_non_null(b);
        }
    }
    b[n] = 0;
    fclose(fp);
    return b;
}

/* Run a shell command line (printf format); its exit status, -1 if killed. */
static TEST_UTIL_UNUSED int run_cmd(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static TEST_UTIL_UNUSED int run_cmd(const char *fmt, ...)
{
    char line[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    int rc = system(line);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* True if both files exist and hold the same bytes. */
static TEST_UTIL_UNUSED bool files_equal(const char *a, const char *b)
{
    FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
    bool same = fa && fb;
    while (same) {
        int ca = fgetc(fa), cb = fgetc(fb);
        same = ca == cb;
        if (ca == EOF || cb == EOF)
            break;
    }
    if (fa)
        fclose(fa);
    if (fb)
        fclose(fb);
    return same;
}

#ifdef VGG_FEATURES_H
/* A one-net, one-scale description (stack, fc7, flip, L2, version "test");
 * digest is 64 times the character dig. */
static TEST_UTIL_UNUSED void make_test_desc(vgg_featdesc *d, int dim, const char *net, char dig,
                                            int scale)
{
    memset(d, 0, sizeof *d);
    d->dim = dim;
    d->n_nets = 1;
    snprintf(d->net_names[0], sizeof d->net_names[0], "%s", net);
    snprintf(d->net_configs[0], sizeof d->net_configs[0], "%s", net);
    memset(d->net_digests[0], dig, 64);
    d->n_scales = 1;
    d->scales[0] = scale;
    strcpy(d->aggregate, "stack");
    strcpy(d->layer, "fc7");
    d->flip = true;
    d->l2 = true;
    strcpy(d->version, "test");
}
#endif

#endif
