/* Opening backends by name; device options; the list of GPUs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

/* s as a precision; what names its source ("VGG_PRECISION=", "--precision ") */
static vgg_status parse_precision(const char *what, const char *s, vgg_precision *out)
{
    if (strcasecmp(s, "fp32") == 0)
        *out = VGG_PRECISION_FP32;
    else if (strcasecmp(s, "tf32") == 0)
        *out = VGG_PRECISION_TF32;
    else if (strcasecmp(s, "bf16") == 0)
        *out = VGG_PRECISION_BF16;
    else
        return vgg_fail(VGG_STATUS_INVALID, "%s'%s': expected fp32, tf32 or bf16", what, s);
    return VGG_STATUS_OK;
}

static vgg_status parse_workspace(const char *what, const char *s, size_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s || *end != '\0' || s[0] == '-' || v == 0 || v > ((size_t)1 << 30))
        return vgg_fail(VGG_STATUS_INVALID, "%s'%s': expected a positive number of MiB", what, s);
    *out = (size_t)v;
    return VGG_STATUS_OK;
}

static bool is_cuda_name(const char *device)
{
    return device && strncasecmp(device, "cuda", 4) == 0;
}

vgg_status vgg_device_opts_default(vgg_device_opts *o)
{
    *o = (vgg_device_opts){ .precision = VGG_PRECISION_FP32, .workspace_mb = 1024 };
    vgg_status st = VGG_STATUS_OK;
    const char *p = getenv("VGG_PRECISION");
    if (p && *p && (st = parse_precision("VGG_PRECISION=", p, &o->precision)) != VGG_STATUS_OK)
        return st;
    const char *m = getenv("VGG_WORKSPACE_MB");
    if (m && *m && (st = parse_workspace("VGG_WORKSPACE_MB=", m, &o->workspace_mb)) != VGG_STATUS_OK)
        return st;
    const char *d = getenv("VGG_DETERMINISTIC");
    if (d && *d) {
        if (strcmp(d, "1") != 0 && strcmp(d, "0") != 0)
            return vgg_fail(VGG_STATUS_INVALID, "VGG_DETERMINISTIC='%s': expected 0 or 1", d);
        o->deterministic = d[0] == '1';
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_device_opts_set(vgg_device_opts *o, const char *option, const char *value)
{
    if (strcmp(option, "precision") == 0)
        return parse_precision("--precision ", value ? value : "", &o->precision);
    if (strcmp(option, "workspace") == 0)
        return parse_workspace("--workspace ", value ? value : "", &o->workspace_mb);
    if (strcmp(option, "deterministic") == 0 && !value) {
        o->deterministic = true;
        return VGG_STATUS_OK;
    }
    return vgg_fail(VGG_STATUS_INVALID, "--%s: not a device option (precision, workspace, "
                    "deterministic)", option);
}

vgg_status vgg_device_opts_command(const char *device, const char *precision,
                                   const char *workspace, bool deterministic, vgg_device_opts *o)
{
    vgg_status st = vgg_device_opts_default(o);
    if (st != VGG_STATUS_OK)
        return st;
    if (!is_cuda_name(device))
        o->precision = VGG_PRECISION_FP32;   /* VGG_PRECISION is a GPU setting */
    if (precision && (st = vgg_device_opts_set(o, "precision", precision)) != VGG_STATUS_OK)
        return st;
    if (workspace && (st = vgg_device_opts_set(o, "workspace", workspace)) != VGG_STATUS_OK)
        return st;
    if (deterministic)
        o->deterministic = true;
    return VGG_STATUS_OK;
}

/* the CPU backends compute fp32; "cpu" also bf16 where the CPU has it */
static vgg_status check_cpu_opts(const char *device, bool ref, const vgg_device_opts *o)
{
    if (o->precision == VGG_PRECISION_TF32)
        return vgg_fail(VGG_STATUS_INVALID,
                        "device '%s' computes in fp32 only: precision tf32 needs a GPU (cuda:N)",
                        device ? device : "cpu");
    if (o->precision == VGG_PRECISION_BF16 && ref)
        return vgg_fail(VGG_STATUS_INVALID, "device '%s' is the fp32 reference: precision bf16 "
                        "needs the device cpu", device);
    if (o->precision == VGG_PRECISION_BF16) {
        vgg_status st = vgg_dnnl_bf16_check();
        if (st != VGG_STATUS_OK)
            return vgg_fail_context(st, "device '%s': ", device ? device : "cpu");
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_backend_open_opts(const char *device, int threads, const vgg_device_opts *o,
                                 vgg_backend **out)
{
    *out = NULL;
    vgg_status st = VGG_STATUS_OK;
    bool ref = device && strcasecmp(device, "cpu-ref") == 0;
    if (!device || strcasecmp(device, "cpu") == 0 || ref) {
        if ((st = check_cpu_opts(device, ref, o)) != VGG_STATUS_OK)
            return st;
        st = vgg_cpu_backend_open(threads, !ref, out);
    } else if (is_cuda_name(device)) {
        const char *rest = device + 4;
        int index = 0;
        if (*rest == ':') {
            char *end = NULL;
            long v = strtol(rest + 1, &end, 10);
            if (end == rest + 1 || *end != '\0' || v < 0 || v > 255)
                return vgg_fail(VGG_STATUS_INVALID, "device '%s': expected cuda:N", device);
            index = (int)v;
        } else if (*rest != '\0') {
            return vgg_fail(VGG_STATUS_INVALID, "unknown device '%s' (cpu, cpu-ref, cuda, cuda:N)", device);
        }
        if (o->precision == VGG_PRECISION_BF16)
            return vgg_fail(VGG_STATUS_INVALID, "device '%s': precision bf16 is for the device "
                            "cpu; a GPU computes fp32 or tf32", device);
#ifdef VGG_HAVE_CUDA
        st = vgg_cuda_backend_open(index, o, out);
#else
        (void)index;
        return vgg_fail(VGG_STATUS_UNSUPPORTED,
                        "device '%s': this build has no CUDA backend (built without CUDA)",
                        device);
#endif
    } else {
        return vgg_fail(VGG_STATUS_INVALID, "unknown device '%s' (cpu, cpu-ref, cuda, cuda:N)",
                        device);
    }
    if (st == VGG_STATUS_OK)
        (*out)->opts = *o;
    return st;
}

vgg_status vgg_backend_open(const char *device, int threads, vgg_backend **out)
{
    *out = NULL;
    vgg_device_opts o;
    vgg_status st = vgg_device_opts_command(device, NULL, NULL, false, &o);
    return st ? st : vgg_backend_open_opts(device, threads, &o, out);
}

void vgg_backend_close(vgg_backend *be)
{
    if (be)
        be->ops->close(be);
}

int vgg_backend_list_gpus(char *buf, size_t size)
{
#ifdef VGG_HAVE_CUDA
    return vgg_cuda_describe(buf, size);
#else
    if (size)
        snprintf(buf, size, "no GPUs: this build has no CUDA backend (built without CUDA)");
    return 0;
#endif
}

const char *vgg_backend_name(const vgg_backend *be) { return be ? be->name : ""; }

int vgg_backend_threads(const vgg_backend *be) { return be ? be->threads : 0; }

const vgg_device_opts *vgg_backend_device_opts(const vgg_backend *be) { return be ? &be->opts : NULL; }
