/* cuBLAS, opened on the first use of a CUDA device (dlopen) rather than
 * linked: a linked libcublas runs its static constructors (libcublasLt's)
 * at the start of every process of a CUDA build, GPU or not, about 0.2 s
 * and 150 MB of a `vggfeat extract` on the CPU.  The backend calls it
 * through vgg_cublas (cuda_internal.h), filled here once. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

#include "cuda_internal.h"

#define VGG_STR_(x) #x
#define VGG_STR(x) VGG_STR_(x)
/* the soname of the cuBLAS this build was compiled against */
#define CUBLAS_SONAME "libcublas.so." VGG_STR(CUBLAS_VER_MAJOR)

vgg_cublas_api vgg_cublas;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char why[512];   /* empty once loaded */

static void load(void)
{
    void *h = dlopen(CUBLAS_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        snprintf(why, sizeof why, "cannot open %s: %s (it comes with the CUDA toolkit and the "
                 "nvidia-cublas wheel; put its folder on LD_LIBRARY_PATH)",
                 CUBLAS_SONAME, e ? e : "?");
        return;
    }
    struct {
        const char *name;
        void **slot;
    } syms[] = {
        {"cublasCreate_v2", (void **)&vgg_cublas.create},
        {"cublasDestroy_v2", (void **)&vgg_cublas.destroy},
        {"cublasSetStream_v2", (void **)&vgg_cublas.set_stream},
        {"cublasSetMathMode", (void **)&vgg_cublas.set_math_mode},
        {"cublasSgemm_v2", (void **)&vgg_cublas.sgemm},
        {"cublasGetStatusString", (void **)&vgg_cublas.status_string},
        {"cublasGetStatusName", (void **)&vgg_cublas.status_name},
    };
    for (size_t i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        /* POSIX: a function's address through a void * (dlsym) */
        *syms[i].slot = dlsym(h, syms[i].name);
        if (!*syms[i].slot) {
            snprintf(why, sizeof why, "%s has no %s: it is older than the cuBLAS %d this "
                     "build was made with", CUBLAS_SONAME, syms[i].name, CUBLAS_VER_MAJOR);
            dlclose(h);
            return;
        }
    }
}

vgg_status vgg_cuda_blas_load(void)
{
    pthread_once(&once, load);
    if (why[0])
        return vgg_fail(VGG_STATUS_DEVICE, "cuBLAS: %s", why);
    return VGG_STATUS_OK;
}

const char *vgg_cuda_blas_soname(void) { return CUBLAS_SONAME; }
