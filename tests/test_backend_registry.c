/* net/src/registry.c and the device names of net/: every backend
 * registered once under a name no other shadows, each descriptor whole;
 * device names and lists parsed once, in net/ (vgg_device_parse,
 * vgg_device_list_parse), with messages that say what is wrong; the
 * listings; options and collectives answered through the descriptors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"
#include "vgg/train.h"

static void assert_message_has(const char *part)
{
    if (!strstr(vgg_last_error(), part))
        fail_msg("message '%s' lacks '%s'", vgg_last_error(), part);
}

static const vgg_backend_reg *find(const char *device)
{
    return vgg_backend_reg_find(device, NULL);
}

/* the devices of r a user may write: "cpu"; "cuda", "cuda:0", "cuda:255" */
static int device_names(const vgg_backend_reg *r, char names[][32])
{
    snprintf(names[0], 32, "%s", r->name);
    if (!r->numbered)
        return 1;
    snprintf(names[1], 32, "%s:0", r->name);
    snprintf(names[2], 32, "%s:255", r->name);
    return 3;
}

static void each_backend_is_registered_once(void **state)
{
    (void)state;
    const int n = vgg_backend_reg_count();
    assert_true(n >= 2);
    assert_null(vgg_backend_reg_at(-1));
    assert_null(vgg_backend_reg_at(n));
    for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
            const vgg_backend_reg *a = vgg_backend_reg_at(i), *b = vgg_backend_reg_at(j);
            if (a == b || strcasecmp(a->name, b->name) == 0)
                fail_msg("backend '%s' is registered twice (entries %d and %d)", a->name, i, j);
        }
}

static void no_name_shadows_another(void **state)
{
    (void)state;
    /* every device of every backend resolves to that backend, upper case
     * too: "cpu-ref" is not "cpu" with "-ref" after it, whatever the order */
    for (int i = 0; i < vgg_backend_reg_count(); i++) {
        const vgg_backend_reg *r = vgg_backend_reg_at(i);
        char names[3][32];
        for (int k = device_names(r, names) - 1; k >= 0; k--) {
            const vgg_backend_reg *got = find(names[k]);
            if (got != r)
                fail_msg("device '%s' resolves to backend '%s', not '%s'", names[k],
                         got ? got->name : "(none)", r->name);
            for (char *p = names[k]; *p; p++)
                *p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
            assert_ptr_equal(find(names[k]), r);
        }
    }
    assert_ptr_equal(find("cpu"), vgg_backend_reg_at(0));   /* the default comes first */
    assert_string_equal(find("cpu-ref")->name, "cpu-ref");
    assert_null(find("cpu-reff"));
    assert_null(find("cpuref"));
    assert_null(find("cud"));
    assert_null(find("cudax"));
    assert_null(find(""));
}

static void each_descriptor_is_whole(void **state)
{
    (void)state;
    for (int i = 0; i < vgg_backend_reg_count(); i++) {
        const vgg_backend_reg *r = vgg_backend_reg_at(i);
        assert_non_null(r->name);
        assert_true(strlen(r->name) > 0 && strlen(r->name) < 16);
        assert_null(strchr(r->name, ':'));
        assert_null(strchr(r->name, ','));
        assert_non_null(r->forms);
        assert_non_null(strstr(r->forms, r->name));
        assert_non_null(r->summary);
        assert_non_null(r->parse);
        assert_true(r->precisions & VGG_PRECISION_BIT(VGG_PRECISION_FP32));
        /* numbered exactly where the parser takes a number */
        int index = 7;
        assert_int_equal(r->parse(r, r->name, "", &index), VGG_STATUS_OK);
        assert_int_equal(index, -1);
        vgg_status st = r->parse(r, "x:3", ":3", &index);
        assert_int_equal(st == VGG_STATUS_OK, r->numbered);
        if (r->numbered)
            assert_int_equal(index, 3);
        /* a stand-in for a backend this build lacks opens nothing and says why */
        if (r->missing) {
            assert_null(r->open);
            assert_true(strlen(r->missing) > 0);
        } else {
            assert_non_null(r->open);
            assert_non_null(r->list);
        }
        /* collectives: all three entries or none, and then the reason */
        const int has = !!r->collective_id + !!r->join + !!r->join_all;
        assert_true(has == 0 || has == 3);
        assert_int_equal(has == 0, r->no_collective != NULL || r->missing != NULL);
    }
}

static void the_cpu_backends_open_through_their_descriptors(void **state)
{
    (void)state;
    const char *names[] = { "cpu", "cpu-ref", "CPU-Ref" };
    for (int k = 0; k < 3; k++) {
        vgg_backend *be = NULL;
        assert_int_equal(vgg_backend_open(names[k], 1, &be), VGG_STATUS_OK);
        assert_ptr_equal(be->reg, find(names[k]));
        assert_int_equal(be->host_memory, be->reg->is_host);
        assert_true(strcasecmp(vgg_backend_name(be), names[k]) == 0);
        vgg_backend_close(be);
    }
}

static void device_names_parse(void **state)
{
    (void)state;
    vgg_device_spec s;
    assert_int_equal(vgg_device_parse("cpu", &s), VGG_STATUS_OK);
    assert_string_equal(s.name, "cpu");
    assert_string_equal(s.backend, "cpu");
    assert_int_equal(s.index, -1);
    assert_false(s.numbered);
    assert_true(s.built);
    assert_int_equal(vgg_device_parse("CPU-REF", &s), VGG_STATUS_OK);
    assert_string_equal(s.name, "cpu-ref");
    assert_int_equal(vgg_device_parse("cuda", &s), VGG_STATUS_OK);
    assert_string_equal(s.name, "cuda");
    assert_int_equal(s.index, -1);
    assert_true(s.numbered);
    assert_int_equal(s.built, find("cuda")->missing == NULL);
    assert_int_equal(vgg_device_parse("Cuda:07", &s), VGG_STATUS_OK);
    assert_string_equal(s.name, "cuda:7");
    assert_string_equal(s.backend, "cuda");
    assert_int_equal(s.index, 7);
    assert_int_equal(vgg_device_parse("cuda:255", &s), VGG_STATUS_OK);
    assert_int_equal(s.index, 255);

    const char *bad_index[] = { "cuda:", "cuda:x", "cuda:256", "cuda:-1", "cuda: 1", "cuda:1x",
                                "cuda:+1", "cuda:0:1", "cuda:0000" };
    for (size_t i = 0; i < sizeof bad_index / sizeof *bad_index; i++) {
        assert_int_equal(vgg_device_parse(bad_index[i], &s), VGG_STATUS_INVALID);
        assert_message_has(bad_index[i]);
        assert_message_has("expected cuda:N, N a device number from 0 to 255");
    }
    assert_int_equal(vgg_device_parse("cpu:0", &s), VGG_STATUS_INVALID);
    assert_message_has("device 'cpu:0': cpu has no device numbers (write cpu)");
    assert_int_equal(vgg_device_parse("cpu-ref:1", &s), VGG_STATUS_INVALID);
    assert_message_has("cpu-ref has no device numbers");
    assert_int_equal(vgg_device_parse("", &s), VGG_STATUS_INVALID);
    assert_message_has("no device given");
    assert_int_equal(vgg_device_parse(NULL, &s), VGG_STATUS_INVALID);
}

static void unknown_names_list_every_backend(void **state)
{
    (void)state;
    const char *bad[] = { "tpu", "gpu0", "cudax", "cpu-reff", "cpuref", " cpu" };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        vgg_device_spec s;
        assert_int_equal(vgg_device_parse(bad[i], &s), VGG_STATUS_INVALID);
        char want[64];
        snprintf(want, sizeof want, "unknown device '%s' (", bad[i]);
        assert_message_has(want);
        for (int k = 0; k < vgg_backend_reg_count(); k++)
            assert_message_has(vgg_backend_reg_at(k)->forms);
        vgg_backend *be = (vgg_backend *)&s;   /* must come back NULL */
        assert_int_equal(vgg_backend_open(bad[i], 1, &be), VGG_STATUS_INVALID);
        assert_null(be);
        assert_message_has(want);
    }
    vgg_backend *be = NULL;
    assert_int_equal(vgg_backend_open("tpu", 1, &be), VGG_STATUS_INVALID);
    assert_message_has("unknown device 'tpu' (cpu, cpu-ref, cuda, cuda:N)");
}

static void device_lists_parse_once_in_net(void **state)
{
    (void)state;
    vgg_device_spec s[VGG_MAX_DEVICES];
    int n = -1;
    assert_int_equal(vgg_device_list_parse("cuda:0,1,2,3", s, VGG_MAX_DEVICES, &n),
                     VGG_STATUS_OK);
    assert_int_equal(n, 4);
    for (int i = 0; i < 4; i++) {
        char want[32];
        snprintf(want, sizeof want, "cuda:%d", i);
        assert_string_equal(s[i].name, want);
        assert_int_equal(s[i].index, i);
    }
    assert_int_equal(vgg_device_list_parse("cuda:0,CUDA:2", s, VGG_MAX_DEVICES, &n),
                     VGG_STATUS_OK);
    assert_int_equal(n, 2);
    assert_string_equal(s[1].name, "cuda:2");
    assert_int_equal(vgg_device_list_parse("cuda,1", s, VGG_MAX_DEVICES, &n), VGG_STATUS_OK);
    assert_int_equal(n, 2);
    assert_string_equal(s[0].name, "cuda");
    assert_string_equal(s[1].name, "cuda:1");
    /* the CPU may be named again: threads on one CPU */
    assert_int_equal(vgg_device_list_parse("cpu,cpu,cpu-ref", s, VGG_MAX_DEVICES, &n),
                     VGG_STATUS_OK);
    assert_int_equal(n, 3);
    assert_string_equal(s[0].name, "cpu");
    assert_string_equal(s[1].name, "cpu");
    assert_string_equal(s[2].name, "cpu-ref");
    assert_int_equal(vgg_device_list_parse("cpu-ref", s, VGG_MAX_DEVICES, &n), VGG_STATUS_OK);
    assert_int_equal(n, 1);

    /* a numbered device once */
    assert_int_equal(vgg_device_list_parse("cuda:0,0", s, VGG_MAX_DEVICES, &n),
                     VGG_STATUS_INVALID);
    assert_message_has("'cuda:0,0': 0 given twice (cuda:0)");
    assert_int_equal(vgg_device_list_parse("cuda:1,cuda:0,cuda:1", s, VGG_MAX_DEVICES, &n),
                     VGG_STATUS_INVALID);
    assert_message_has("'cuda:1,cuda:0,cuda:1': cuda:1 given twice");
    assert_int_equal(vgg_device_list_parse("cuda:3,CUDA:3", s, VGG_MAX_DEVICES, &n),
                     VGG_STATUS_INVALID);
    assert_message_has("CUDA:3 given twice (cuda:3)");
    /* names no backend has */
    assert_int_equal(vgg_device_list_parse("gpu0", s, VGG_MAX_DEVICES, &n), VGG_STATUS_INVALID);
    assert_message_has("'gpu0': 'gpu0' is not a device (cpu, cpu-ref, cuda, cuda:N");
    assert_int_equal(vgg_device_list_parse("cuda:0,tpu", s, VGG_MAX_DEVICES, &n),
                     VGG_STATUS_INVALID);
    assert_message_has("'cuda:0,tpu': 'tpu' is not a device");
    /* a bare number needs a numbered device before it */
    assert_int_equal(vgg_device_list_parse("0,1", s, VGG_MAX_DEVICES, &n), VGG_STATUS_INVALID);
    assert_message_has("'0,1': '0' is a device number, but no numbered device comes before it");
    assert_int_equal(vgg_device_list_parse("cpu,1", s, VGG_MAX_DEVICES, &n), VGG_STATUS_INVALID);
    assert_message_has("'1' is a device number");
    assert_int_equal(vgg_device_list_parse("cuda:0,256", s, VGG_MAX_DEVICES, &n),
                     VGG_STATUS_INVALID);
    assert_message_has("'cuda:0,256': device 'cuda:256': expected cuda:N");
    assert_int_equal(vgg_device_list_parse("cpu:1,cpu", s, VGG_MAX_DEVICES, &n),
                     VGG_STATUS_INVALID);
    assert_message_has("cpu has no device numbers");
    /* empty names, too many, too long */
    const char *empty[] = { "cuda:0,,1", "cuda:0,", ",cpu", "," };
    for (size_t i = 0; i < sizeof empty / sizeof *empty; i++) {
        assert_int_equal(vgg_device_list_parse(empty[i], s, VGG_MAX_DEVICES, &n),
                         VGG_STATUS_INVALID);
        assert_message_has("an empty name");
    }
    assert_int_equal(vgg_device_list_parse("", s, VGG_MAX_DEVICES, &n), VGG_STATUS_INVALID);
    assert_message_has("no device given");
    assert_int_equal(vgg_device_list_parse("cpu,cpu,cpu", s, 2, &n), VGG_STATUS_INVALID);
    assert_message_has("'cpu,cpu,cpu': more than 2 devices");
    assert_int_equal(vgg_device_list_parse("cpu,cpuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu", s,
                                           VGG_MAX_DEVICES, &n),
                     VGG_STATUS_INVALID);
    assert_message_has("is too long to be a device");
}

static void listings_cover_every_backend(void **state)
{
    (void)state;
    char all[8192], gpus[4096];
    const int count = vgg_backend_list_devices(all, sizeof all);
    const int ngpu = vgg_backend_list_gpus(gpus, sizeof gpus);
    printf("%s\n-- %d device(s), %d GPU(s)\n", all, count, ngpu);
    assert_true(count >= 2 + ngpu);
    /* a line per CPU backend, then the GPUs' lines or why there are none */
    assert_int_equal(strncmp(all, "cpu ", 4), 0);
    assert_non_null(strstr(all, "\ncpu-ref "));
    assert_non_null(strstr(all, gpus));
    if (ngpu == 0)
        assert_int_equal(strncmp(gpus, "no GPUs: ", 9), 0);
    else
        assert_int_equal(strncmp(gpus, "cuda:0 ", 7) == 0 || strstr(gpus, "\ncuda:0 ") != NULL,
                         1);
    for (int i = 0; i < vgg_backend_reg_count(); i++)
        if (vgg_backend_reg_at(i)->missing)
            assert_non_null(strstr(all, vgg_backend_reg_at(i)->missing));
    /* cut at the size given, NUL-terminated */
    char small[12];
    vgg_backend_list_devices(small, sizeof small);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_int_equal(strncmp(small, all, sizeof small - 1), 0);
}

static void precisions_are_checked_through_the_descriptors(void **state)
{
    (void)state;
    static const char *const pname[] = { "fp32", "tf32", "bf16" };
    for (int i = 0; i < vgg_backend_reg_count(); i++) {
        const vgg_backend_reg *r = vgg_backend_reg_at(i);
        char device[32];
        snprintf(device, sizeof device, r->numbered ? "%s:0" : "%s", r->name);
        for (int p = 0; p < 3; p++) {
            if (r->precisions & VGG_PRECISION_BIT(p))
                continue;
            /* refused as a bad option, before any device or build is asked */
            vgg_device_opts o = { .precision = (vgg_precision)p, .workspace_mb = 64 };
            vgg_backend *be = NULL;
            assert_int_equal(vgg_backend_open_opts(device, 1, &o, &be), VGG_STATUS_INVALID);
            assert_null(be);
            assert_message_has(device);
            assert_message_has(pname[p]);
        }
    }
    /* a GPU's refusal of bf16 names the device that computes it */
    vgg_device_opts o = { .precision = VGG_PRECISION_BF16, .workspace_mb = 64 };
    vgg_backend *be = NULL;
    assert_int_equal(vgg_backend_open_opts("cuda:1", 1, &o, &be), VGG_STATUS_INVALID);
    assert_message_has("device 'cuda:1': precision bf16 is for the device cpu; cuda computes "
                       "fp32 or tf32");
    /* VGG_PRECISION is taken by GPU backends only, by their kind */
    setenv("VGG_PRECISION", "tf32", 1);
    for (int i = 0; i < vgg_backend_reg_count(); i++) {
        const vgg_backend_reg *r = vgg_backend_reg_at(i);
        char device[32];
        snprintf(device, sizeof device, r->numbered ? "%s:2" : "%s", r->name);
        assert_int_equal(vgg_device_opts_command(device, NULL, NULL, false, &o), VGG_STATUS_OK);
        assert_int_equal(o.precision, r->kind == VGG_BACKEND_GPU ? VGG_PRECISION_TF32
                                                                 : VGG_PRECISION_FP32);
    }
    unsetenv("VGG_PRECISION");
}

static void collectives_go_through_the_descriptor(void **state)
{
    (void)state;
    vgg_backend *a = NULL, *b = NULL;
    assert_int_equal(vgg_backend_open("cpu-ref", 1, &a), VGG_STATUS_OK);
    assert_int_equal(vgg_backend_open("cpu", 1, &b), VGG_STATUS_OK);
    assert_false(vgg_backend_has_collective(a));
    assert_false(vgg_backend_has_collective(NULL));
    unsigned char id[VGG_COLLECTIVE_ID_BYTES] = { 0 };
    assert_int_equal(vgg_backend_collective_id(a, id), VGG_STATUS_UNSUPPORTED);
    assert_message_has("device cpu-ref has no collectives of its own: its gradients are summed "
                       "on the host by the caller");
    assert_int_equal(vgg_backend_join(b, 2, 1, id), VGG_STATUS_UNSUPPORTED);
    assert_message_has("device cpu has no collectives of its own");
    assert_int_equal(vgg_backend_join(b, 2, 2, id), VGG_STATUS_INVALID);
    assert_message_has("rank 2 of 2 (ranks are numbered from 0 to 1)");
    assert_int_equal(vgg_backend_join(b, 0, 0, id), VGG_STATUS_INVALID);
    vgg_backend *bes[2] = { a, b };
    assert_int_equal(vgg_backend_join_all(bes, 2), VGG_STATUS_UNSUPPORTED);
    assert_message_has("cpu-ref");
    assert_int_equal(vgg_backend_join_all(bes, 0), VGG_STATUS_INVALID);
    /* the former names are the same calls */
    assert_int_equal(vgg_backend_join_nccl(a, 2, 0, id), VGG_STATUS_UNSUPPORTED);
    assert_int_equal(vgg_backend_join_nccl_all(bes, 1), VGG_STATUS_UNSUPPORTED);
    /* NCCL's id comes from the backend of this build that has collectives;
     * without one it is refused saying so (NCCL itself is not called here) */
    bool any = false;
    for (int i = 0; i < vgg_backend_reg_count(); i++)
        any |= vgg_backend_reg_at(i)->collective_id && !vgg_backend_reg_at(i)->missing;
    if (!any) {
        assert_int_equal(vgg_nccl_unique_id(id), VGG_STATUS_UNSUPPORTED);
        assert_message_has("no backend of this build has collectives");
    }
    vgg_backend_close(a);
    vgg_backend_close(b);
}

int main(void)
{
    unsetenv("VGG_PRECISION");
    unsetenv("VGG_WORKSPACE_MB");
    unsetenv("VGG_DETERMINISTIC");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(each_backend_is_registered_once),
        cmocka_unit_test(no_name_shadows_another),
        cmocka_unit_test(each_descriptor_is_whole),
        cmocka_unit_test(the_cpu_backends_open_through_their_descriptors),
        cmocka_unit_test(device_names_parse),
        cmocka_unit_test(unknown_names_list_every_backend),
        cmocka_unit_test(device_lists_parse_once_in_net),
        cmocka_unit_test(listings_cover_every_backend),
        cmocka_unit_test(precisions_are_checked_through_the_descriptors),
        cmocka_unit_test(collectives_go_through_the_descriptor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
