/* Opening backends by name. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

#ifdef VGG_HAVE_CUDA
vgg_status vgg_cuda_backend_open(int device, vgg_backend **out);
void vgg_cuda_backend_close(vgg_backend *be);
#endif

vgg_status vgg_backend_open(const char *device, int threads, vgg_backend **out)
{
    *out = NULL;
    if (!device || strcasecmp(device, "cpu") == 0)
        return vgg_cpu_backend_open(threads, true, out);
    if (strcasecmp(device, "cpu-ref") == 0)
        return vgg_cpu_backend_open(threads, false, out);
    if (strncasecmp(device, "cuda", 4) == 0) {
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
        return vgg_cuda_backend_open(index, out);
#else
        (void)index;
        return vgg_fail(VGG_STATUS_UNSUPPORTED,
                        "device '%s': this build has no CUDA backend (built without CUDA)",
                        device);
#endif
    }
    return vgg_fail(VGG_STATUS_INVALID, "unknown device '%s' (cpu, cpu-ref, cuda, cuda:N)", device);
}

void vgg_backend_close(vgg_backend *be)
{
    if (!be)
        return;
#ifdef VGG_HAVE_CUDA
    if (strncmp(be->name, "cuda", 4) == 0) {
        vgg_cuda_backend_close(be);
        return;
    }
#endif
    vgg_cpu_backend_close(be);
}

const char *vgg_backend_name(const vgg_backend *be) { return be ? be->name : ""; }

int vgg_backend_threads(const vgg_backend *be) { return be ? be->threads : 0; }
