/* cuBLAS is opened at run time (net/cuda/blas.c), not linked: a process of
 * a CUDA build that works on the CPU never maps it (its constructors cost
 * 0.2 s and 150 MB at every start when it was linked), and the first use
 * of a CUDA device opens it and finds every function the backend calls.
 * Built only with the CUDA backend; the second case is skipped where the
 * library is not on the loader's path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cuda_internal.h"
#include "test_skip.h"
#include "vgg/net.h"

/* whether a file whose name holds needle is mapped into this process */
static bool mapped(const char *needle)
{
    FILE *fp = fopen("/proc/self/maps", "r");
    assert_non_null(fp);
    char line[4096];
    bool found = false;
    while (!found && fgets(line, sizeof line, fp))
        found = strstr(line, needle) != NULL;
    fclose(fp);
    return found;
}

static void cpu_work_maps_no_cublas(void **state)
{
    (void)state;
    assert_false(mapped("libcublas"));
    /* a net's forward on the CPU backend */
    vgg_backend *be = NULL;
    assert_int_equal(vgg_backend_open("cpu", 1, &be), VGG_STATUS_OK);
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A);
    a.width = 0.0625f;
    a.fc_dim = 8;
    a.num_classes = 3;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    static float x[3 * 224 * 224], y[3];
    assert_int_equal(vgg_net_forward(net, x, 1, 224, 224, VGG_OUTPUT_SCORES, y), VGG_STATUS_OK);
    vgg_net_free(net);
    vgg_backend_close(be);
    assert_false(mapped("libcublas"));
    assert_false(mapped("libcublasLt"));
}

static void cuda_use_opens_it(void **state)
{
    (void)state;
    if (vgg_cuda_blas_load() != VGG_STATUS_OK) {
        /* the message names the library */
        assert_non_null(strstr(vgg_last_error(), vgg_cuda_blas_soname()));
        skip_here("cuBLAS is not on the loader's path here");
    }
    assert_true(mapped("libcublas.so"));
    assert_non_null(vgg_cublas.create);
    assert_non_null(vgg_cublas.destroy);
    assert_non_null(vgg_cublas.set_stream);
    assert_non_null(vgg_cublas.set_math_mode);
    assert_non_null(vgg_cublas.sgemm);
    /* the library's own answer, no device needed */
    assert_string_equal(vgg_cublas.status_name(CUBLAS_STATUS_NOT_INITIALIZED),
                        "CUBLAS_STATUS_NOT_INITIALIZED");
    assert_non_null(vgg_cublas.status_string(CUBLAS_STATUS_INVALID_VALUE));
    /* once */
    assert_int_equal(vgg_cuda_blas_load(), VGG_STATUS_OK);
    assert_string_equal(vgg_cuda_blas_soname(), "libcublas.so." VGG_CUBLAS_MAJOR_TEXT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cpu_work_maps_no_cublas),
        cmocka_unit_test(cuda_use_opens_it),
    };
    return tests_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
