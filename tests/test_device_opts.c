/* net/: the device options of a command line (vgg_device_opts_set,
 * vgg_device_opts_command) over the environment, and what
 * vgg_backend_open_opts keeps of them; the CPU refuses tf32. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "vgg/net.h"
#include "test_skip.h"

static void clear_env(void)
{
    unsetenv("VGG_PRECISION");
    unsetenv("VGG_WORKSPACE_MB");
    unsetenv("VGG_DETERMINISTIC");
}

static int reset(void **state)
{
    (void)state;
    clear_env();
    return 0;
}

static void assert_message_has(const char *part)
{
    if (!strstr(vgg_last_error(), part))
        fail_msg("message '%s' lacks '%s'", vgg_last_error(), part);
}

static void values_parse_and_bad_ones_name_the_option(void **state)
{
    (void)state;
    vgg_device_opts o = { .precision = VGG_PRECISION_FP32, .workspace_mb = 1024 };
    assert_int_equal(vgg_device_opts_set(&o, "precision", "tf32"), VGG_STATUS_OK);
    assert_int_equal(o.precision, VGG_PRECISION_TF32);
    assert_int_equal(vgg_device_opts_set(&o, "precision", "FP32"), VGG_STATUS_OK);
    assert_int_equal(o.precision, VGG_PRECISION_FP32);
    assert_int_equal(vgg_device_opts_set(&o, "workspace", "64"), VGG_STATUS_OK);
    assert_int_equal(o.workspace_mb, 64);
    assert_int_equal(vgg_device_opts_set(&o, "deterministic", NULL), VGG_STATUS_OK);
    assert_true(o.deterministic);

    assert_int_equal(vgg_device_opts_set(&o, "precision", "fp16"), VGG_STATUS_INVALID);
    assert_message_has("--precision 'fp16': expected fp32, tf32, bf16 or int8");
    assert_int_equal(o.precision, VGG_PRECISION_FP32);   /* unchanged */
    const char *bad_ws[] = { "0", "-5", "12x", "", "x", "99999999999999999999" };
    for (size_t i = 0; i < sizeof bad_ws / sizeof *bad_ws; i++) {
        assert_int_equal(vgg_device_opts_set(&o, "workspace", bad_ws[i]), VGG_STATUS_INVALID);
        assert_message_has("--workspace '");
        assert_message_has("positive number of MiB");
        assert_int_equal(o.workspace_mb, 64);
    }
    assert_int_equal(vgg_device_opts_set(&o, "threads", "4"), VGG_STATUS_INVALID);
    assert_message_has("--threads");
}

static void options_win_over_the_environment(void **state)
{
    (void)state;
    vgg_device_opts o;
    /* nothing set: the defaults */
    assert_int_equal(vgg_device_opts_command("cuda:0", NULL, NULL, false, &o), VGG_STATUS_OK);
    assert_int_equal(o.precision, VGG_PRECISION_FP32);
    assert_int_equal(o.workspace_mb, 1024);
    assert_false(o.deterministic);
    /* the environment as fallback */
    setenv("VGG_PRECISION", "tf32", 1);
    setenv("VGG_WORKSPACE_MB", "256", 1);
    setenv("VGG_DETERMINISTIC", "1", 1);
    assert_int_equal(vgg_device_opts_command("cuda:1", NULL, NULL, false, &o), VGG_STATUS_OK);
    assert_int_equal(o.precision, VGG_PRECISION_TF32);
    assert_int_equal(o.workspace_mb, 256);
    assert_true(o.deterministic);
    /* VGG_PRECISION is a GPU setting: a CPU device does not take it */
    assert_int_equal(vgg_device_opts_command("cpu", NULL, NULL, false, &o), VGG_STATUS_OK);
    assert_int_equal(o.precision, VGG_PRECISION_FP32);
    assert_int_equal(o.workspace_mb, 256);
    /* the options win */
    assert_int_equal(vgg_device_opts_command("cuda:0", "fp32", "64", false, &o), VGG_STATUS_OK);
    assert_int_equal(o.precision, VGG_PRECISION_FP32);
    assert_int_equal(o.workspace_mb, 64);
    unsetenv("VGG_DETERMINISTIC");
    assert_int_equal(vgg_device_opts_command("cpu", "tf32", NULL, true, &o), VGG_STATUS_OK);
    assert_int_equal(o.precision, VGG_PRECISION_TF32);   /* asked for: refused at open */
    assert_true(o.deterministic);
    /* a bad option, a bad variable */
    assert_int_equal(vgg_device_opts_command("cuda:0", NULL, "lots", false, &o),
                     VGG_STATUS_INVALID);
    assert_message_has("--workspace 'lots'");
    setenv("VGG_PRECISION", "fp16", 1);
    assert_int_equal(vgg_device_opts_command("cuda:0", "fp32", NULL, false, &o),
                     VGG_STATUS_INVALID);
    assert_message_has("VGG_PRECISION='fp16'");
    clear_env();
}

static void the_backend_keeps_what_it_was_opened_with(void **state)
{
    (void)state;
    const char *devices[] = { "cpu", "cpu-ref" };
    for (int d = 0; d < 2; d++) {
        vgg_device_opts o;
        assert_int_equal(vgg_device_opts_command(devices[d], "fp32", "64", true, &o),
                         VGG_STATUS_OK);
        vgg_backend *be = NULL;
        assert_int_equal(vgg_backend_open_opts(devices[d], 1, &o, &be), VGG_STATUS_OK);
        const vgg_device_opts *kept = vgg_backend_device_opts(be);
        assert_non_null(kept);
        assert_int_equal(kept->precision, VGG_PRECISION_FP32);
        assert_int_equal(kept->workspace_mb, 64);
        assert_true(kept->deterministic);
        vgg_backend_close(be);
    }
    assert_null(vgg_backend_device_opts(NULL));
}

static void cpu_refuses_tf32_but_not_the_environment(void **state)
{
    (void)state;
    const char *devices[] = { "cpu", "cpu-ref" };
    for (int d = 0; d < 2; d++) {
        vgg_device_opts o;
        assert_int_equal(vgg_device_opts_command(devices[d], "tf32", NULL, false, &o),
                         VGG_STATUS_OK);
        vgg_backend *be = (vgg_backend *)&o;   /* must come back NULL */
        assert_int_equal(vgg_backend_open_opts(devices[d], 1, &o, &be), VGG_STATUS_INVALID);
        assert_null(be);
        assert_message_has(devices[d]);
        assert_message_has("fp32 only");
        assert_message_has("tf32 needs a GPU");
    }
    /* a shell's VGG_PRECISION=tf32 does not stop a CPU run */
    setenv("VGG_PRECISION", "tf32", 1);
    vgg_backend *be = NULL;
    assert_int_equal(vgg_backend_open("cpu-ref", 1, &be), VGG_STATUS_OK);
    assert_int_equal(vgg_backend_device_opts(be)->precision, VGG_PRECISION_FP32);
    vgg_backend_close(be);
    clear_env();
}

static void a_gpu_that_cannot_open_says_why(void **state)
{
    (void)state;
    char why[512];
    if (vgg_backend_list_gpus(why, sizeof why) > 0)
        skip_here("a GPU is present here: the cuda tests cover it");
    vgg_device_opts o;
    assert_int_equal(vgg_device_opts_command("cuda:0", "tf32", "64", true, &o), VGG_STATUS_OK);
    vgg_backend *be = NULL;
    vgg_status st = vgg_backend_open_opts("cuda:0", 1, &o, &be);
    assert_int_not_equal(st, VGG_STATUS_OK);
    assert_null(be);
    assert_message_has("cuda:0");
    /* the cause, as the list of GPUs gives it: no CUDA in the build, or
     * the driver's message */
    const char *msg = vgg_last_error();
    assert_true(strstr(msg, "without CUDA") || strstr(msg, "cudaGetDeviceCount"));
}

int main(void)
{
    clear_env();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(values_parse_and_bad_ones_name_the_option, reset),
        cmocka_unit_test_setup(options_win_over_the_environment, reset),
        cmocka_unit_test_setup(the_backend_keeps_what_it_was_opened_with, reset),
        cmocka_unit_test_setup(cpu_refuses_tf32_but_not_the_environment, reset),
        cmocka_unit_test_setup(a_gpu_that_cannot_open_says_why, reset),
    };
    return tests_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
