/* The CPU backends' threads within their limits (net/cpu/cpu.c,
 * core/src/threads.c): a count over VGG_MAX_THREADS is refused, not cut
 * down in silence; a thread that cannot be started (cpu-ref's pool, the
 * threads the "cpu" backend's OpenMP team will need) is an error of the
 * open naming it, not a pool running with fewer or a process that dies or
 * hangs later; and under an address-space limit (`ulimit -v`) a count
 * whose stacks and buffers cannot fit is refused before any is started,
 * while 0 (one per core) takes as many as fit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgg/core.h"
#include "vgg/net.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static void over_the_cap_is_refused(void **state)
{
    (void)state;
    const char *kinds[] = { "cpu", "cpu-ref" };
    for (int k = 0; k < 2; k++) {
        vgg_backend *be = NULL;
        assert_int_equal(vgg_backend_open(kinds[k], VGG_MAX_THREADS + 1, &be),
                         VGG_STATUS_INVALID);
        assert_null(be);
        assert_non_null(strstr(vgg_last_error(), "65 threads: give 1 to 64"));
        assert_int_equal(vgg_backend_open(kinds[k], 100000, &be), VGG_STATUS_INVALID);
        assert_int_equal(vgg_backend_open(kinds[k], VGG_MAX_THREADS, &be), VGG_STATUS_OK);
        assert_int_equal(vgg_backend_threads(be), VGG_MAX_THREADS);
        vgg_backend_close(be);
    }
}

static void the_option_parser_shares_the_cap(void **state)
{
    (void)state;
    int n = -1;
    assert_int_equal(vgg_threads_parse("--threads", "0", 0, &n), VGG_STATUS_OK);
    assert_int_equal(n, 0);
    assert_int_equal(vgg_threads_parse("--threads", "64", 0, &n), VGG_STATUS_OK);
    assert_int_equal(n, 64);
    const char *bad[] = { "65", "100000", "-1", "", "2x", "99999999999999999999" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        n = 7;
        assert_int_equal(vgg_threads_parse("--threads", bad[i], 0, &n), VGG_STATUS_INVALID);
        assert_int_equal(n, 7);
        assert_non_null(strstr(vgg_last_error(), "give 1 to 64 threads, or 0 for one per core"));
    }
    assert_int_equal(vgg_threads_parse("--loaders", "0", 1, &n), VGG_STATUS_INVALID);
    assert_string_equal(vgg_last_error(),
                        "--loaders: '0' is not a usable count: give 1 to 64 threads");
    assert_in_range(vgg_threads_all(), 1, VGG_MAX_THREADS);
}

/* Threads whose stacks cannot be mapped: 48 TiB each, so that the third
 * of them exceeds the 128 TiB a process can address, whatever the
 * machine's overcommit policy; pthread_create fails with EAGAIN. */
static void thread_that_cannot_start_is_an_error(void **state)
{
    (void)state;
    pthread_attr_t saved, huge;
    assert_int_equal(pthread_getattr_default_np(&saved), 0);
    assert_int_equal(pthread_attr_init(&huge), 0);
    assert_int_equal(pthread_attr_setstacksize(&huge, (size_t)48 << 40), 0);
    assert_int_equal(pthread_setattr_default_np(&huge), 0);
    const char *kinds[] = { "cpu-ref", "cpu" };
    vgg_status got[2];
    char msg[2][512];
    vgg_backend *be[2] = { NULL, NULL };
    for (int k = 0; k < 2; k++) {
        got[k] = vgg_backend_open(kinds[k], 4, &be[k]);
        snprintf(msg[k], sizeof msg[k], "%s", vgg_last_error());
    }
    assert_int_equal(pthread_setattr_default_np(&saved), 0);
    pthread_attr_destroy(&huge);
    pthread_attr_destroy(&saved);
    for (int k = 0; k < 2; k++) {
        vgg_backend_close(be[k]);
        assert_int_equal(got[k], VGG_STATUS_NOMEM);
        assert_null(be[k]);
        assert_non_null(strstr(msg[k], "cpu: cannot start thread "));
        assert_non_null(strstr(msg[k], " of 4: "));
        assert_non_null(strstr(msg[k], "; give fewer threads"));
    }
    /* the default back, the same counts start */
    for (int k = 0; k < 2; k++) {
        vgg_backend *ok = NULL;
        assert_int_equal(vgg_backend_open(kinds[k], 4, &ok), VGG_STATUS_OK);
        vgg_backend_close(ok);
    }
}

/* the address space this process maps, in bytes */
static size_t mapped(void)
{
    unsigned long long pages = 0;
    FILE *fp = fopen("/proc/self/statm", "r");
    if (fp) {
        if (fscanf(fp, "%llu", &pages) != 1)
            pages = 0;
        fclose(fp);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* In a child under an address-space limit of what it maps plus 2 GiB:
 * 64 threads (about 14 GiB of stacks and buffers) are refused, naming the
 * limit and the count that fits; that count opens and runs; 0 opens with
 * at most that many.  The child's exit code says which check failed. */
static int child_under_limit(void)
{
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = mapped() + ((size_t)2 << 30);
    if (setrlimit(RLIMIT_AS, &rl) != 0)
        return 10;
    vgg_backend *be = NULL;
    const char *kinds[] = { "cpu", "cpu-ref" };
    for (int k = 0; k < 2; k++) {
        if (vgg_backend_open(kinds[k], VGG_MAX_THREADS, &be) != VGG_STATUS_TOO_LARGE || be)
            return 11 + 10 * k;
        const char *m = vgg_last_error(), *at = strstr(m, ": at most ");
        if (!strstr(m, "cpu: 64 threads need about ") ||
            !strstr(m, "the address-space limit (ulimit -v, ") || !at)
            return 12 + 10 * k;
        int fit = atoi(at + 10);
        if (fit < 1 || fit >= VGG_MAX_THREADS)
            return 13 + 10 * k;
        if (vgg_backend_open(kinds[k], fit, &be) != VGG_STATUS_OK || !be)
            return 14 + 10 * k;
        vgg_backend_close(be);
        be = NULL;
        if (vgg_backend_open(kinds[k], 0, &be) != VGG_STATUS_OK ||
            vgg_backend_threads(be) < 1 || vgg_backend_threads(be) > fit)
            return 15 + 10 * k;
        vgg_backend_close(be);
        be = NULL;
    }
    return 0;
}

static void address_space_limit_is_checked_first(void **state)
{
    (void)state;
    if (UNDER_ASAN)
        skip();   /* AddressSanitizer's shadow memory cannot live under RLIMIT_AS */
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0)
        _exit(child_under_limit());
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        /* first: the child it forks starts from a process that has run nothing */
        cmocka_unit_test(address_space_limit_is_checked_first),
        cmocka_unit_test(over_the_cap_is_refused),
        cmocka_unit_test(the_option_parser_shares_the_cap),
        cmocka_unit_test(thread_that_cannot_start_is_an_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
