/* Opening backends by name; device options; the list of GPUs. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

vgg_status vgg_device_opts_default(vgg_device_opts *o)
{
    *o = (vgg_device_opts){ .precision = VGG_PRECISION_FP32, .workspace_mb = 1024 };
    const char *p = getenv("VGG_PRECISION");
    if (p && *p) {
        if (strcasecmp(p, "fp32") == 0)
            o->precision = VGG_PRECISION_FP32;
        else if (strcasecmp(p, "tf32") == 0)
            o->precision = VGG_PRECISION_TF32;
        else
            return vgg_fail(VGG_STATUS_INVALID, "VGG_PRECISION='%s': expected fp32 or tf32", p);
    }
    const char *m = getenv("VGG_WORKSPACE_MB");
    if (m && *m) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(m, &end, 10);
        if (errno || *end != '\0' || v == 0 || v > ((size_t)1 << 30))
            return vgg_fail(VGG_STATUS_INVALID,
                            "VGG_WORKSPACE_MB='%s': expected a positive number of MiB", m);
        o->workspace_mb = (size_t)v;
    }
    const char *d = getenv("VGG_DETERMINISTIC");
    if (d && *d) {
        if (strcmp(d, "1") != 0 && strcmp(d, "0") != 0)
            return vgg_fail(VGG_STATUS_INVALID, "VGG_DETERMINISTIC='%s': expected 0 or 1", d);
        o->deterministic = d[0] == '1';
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_backend_open_opts(const char *device, int threads, const vgg_device_opts *o,
                                 vgg_backend **out)
{
    *out = NULL;
    vgg_status st = VGG_STATUS_OK;
    if (!device || strcasecmp(device, "cpu") == 0)
        st = vgg_cpu_backend_open(threads, true, out);
    else if (strcasecmp(device, "cpu-ref") == 0)
        st = vgg_cpu_backend_open(threads, false, out);
    else if (strncasecmp(device, "cuda", 4) == 0) {
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
    vgg_status st = vgg_device_opts_default(&o);
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
