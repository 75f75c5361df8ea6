/* The registry of backends: the one place that knows which backends this
 * build has.  Each backend's folder exports one descriptor
 * (vgg_backend_reg, backend.h); everything that chooses, opens, lists or
 * joins backends (backend.c, train.c) goes through this table.  A new
 * backend adds its descriptor here under its build flag, and a stand-in
 * for builds without it, so that its device names still say why they
 * cannot open. */
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "backend.h"

/* net/cpu/cpu.c */
extern const vgg_backend_reg vgg_cpu_reg;
extern const vgg_backend_reg vgg_cpu_ref_reg;

#ifdef VGG_HAVE_CUDA
/* net/cuda/cuda.c */
extern const vgg_backend_reg vgg_cuda_reg;
#else
static const vgg_backend_reg cuda_missing = {
    .name = "cuda",
    .forms = "cuda, cuda:N",
    .summary = "cuDNN, cuBLAS and our kernels",
    .kind = VGG_BACKEND_GPU,
    .numbered = true,
    .precisions = VGG_PRECISION_BIT(VGG_PRECISION_FP32) | VGG_PRECISION_BIT(VGG_PRECISION_TF32),
    .parse = vgg_backend_parse_index,
    .missing = "this build has no CUDA backend (built without CUDA)",
};
#endif

static const vgg_backend_reg *const registry[] = {
    &vgg_cpu_reg,
    &vgg_cpu_ref_reg,
#ifdef VGG_HAVE_CUDA
    &vgg_cuda_reg,
#else
    &cuda_missing,
#endif
};

int vgg_backend_reg_count(void)
{
    return (int)(sizeof registry / sizeof *registry);
}

const vgg_backend_reg *vgg_backend_reg_at(int i)
{
    return i >= 0 && i < vgg_backend_reg_count() ? registry[i] : NULL;
}

/* A name matches where the device is the name itself or the name and ':'
 * ("cpu-ref" is not "cpu" followed by "-ref"); names are distinct
 * (tests/test_backend_registry.c), so at most one matches. */
const vgg_backend_reg *vgg_backend_reg_find(const char *device, const char **rest)
{
    for (int i = 0; i < vgg_backend_reg_count(); i++) {
        const vgg_backend_reg *r = registry[i];
        const size_t len = strlen(r->name);
        if (strncasecmp(device, r->name, len) == 0 &&
            (device[len] == '\0' || device[len] == ':')) {
            if (rest)
                *rest = device + len;
            return r;
        }
    }
    return NULL;
}
