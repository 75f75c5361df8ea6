/* The CPU backends' loops over threads (vgg_cpu_parallel_for: cpu-ref's
 * own pool, the "cpu" backend's OpenMP team, which oneDNN's convolutions
 * share): every item runs exactly once, whatever the thread count, call
 * after call, and with two callers at once. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "cpu.h"

typedef struct count_ctx {
    atomic_int *hits;
    atomic_int calls;
} count_ctx;

static void count_items(void *ctx, int begin, int end)
{
    count_ctx *c = ctx;
    atomic_fetch_add(&c->calls, 1);
    for (int i = begin; i < end; i++)
        atomic_fetch_add(&c->hits[i], 1);
}

static void each_item_once(void **state)
{
    (void)state;
    static atomic_int hits[1000];
    for (int k = 0; k < 10; k++) {
        const int threads = 1 + k / 2;
        vgg_backend *be = NULL;
        assert_int_equal(vgg_backend_open(k % 2 ? "cpu" : "cpu-ref", threads, &be),
                         VGG_STATUS_OK);
        assert_int_equal(vgg_backend_threads(be), threads);
        for (int n = 1; n <= 1000; n = n * 3 + 1) {
            for (int rep = 0; rep < 20; rep++) {
                for (int i = 0; i < n; i++)
                    atomic_store(&hits[i], 0);
                count_ctx c = { hits, 0 };
                vgg_cpu_parallel_for(be, n, count_items, &c);
                for (int i = 0; i < n; i++)
                    assert_int_equal(atomic_load(&hits[i]), 1);
                /* at most one chunk per thread, none empty when n >= threads */
                assert_true(atomic_load(&c.calls) <= threads);
            }
        }
        vgg_backend_close(be);
    }
}

typedef struct caller_arg {
    vgg_backend *be;
    atomic_int *hits;
    int n;
    int ok;
} caller_arg;

static void *caller(void *arg)
{
    caller_arg *a = arg;
    a->ok = 1;
    for (int rep = 0; rep < 200; rep++) {
        for (int i = 0; i < a->n; i++)
            atomic_store(&a->hits[i], 0);
        count_ctx c = { a->hits, 0 };
        vgg_cpu_parallel_for(a->be, a->n, count_items, &c);
        for (int i = 0; i < a->n; i++)
            if (atomic_load(&a->hits[i]) != 1)
                a->ok = 0;
    }
    return NULL;
}

static void two_callers_at_once(void **state)
{
    (void)state;
    static atomic_int h1[300], h2[300];
    for (int k = 0; k < 2; k++) {
        vgg_backend *be = NULL;
        assert_int_equal(vgg_backend_open(k ? "cpu" : "cpu-ref", 3, &be), VGG_STATUS_OK);
        caller_arg a = { be, h1, 300, 0 }, b = { be, h2, 257, 0 };
        pthread_t t1, t2;
        assert_int_equal(pthread_create(&t1, NULL, caller, &a), 0);
        assert_int_equal(pthread_create(&t2, NULL, caller, &b), 0);
        pthread_join(t1, NULL);
        pthread_join(t2, NULL);
        assert_int_equal(a.ok, 1);
        assert_int_equal(b.ok, 1);
        vgg_backend_close(be);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_item_once),
        cmocka_unit_test(two_callers_at_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
