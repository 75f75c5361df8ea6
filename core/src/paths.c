#include "vgg/paths.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The ways from the install's bindir and libdir to <datadir>/vggfeat, as
 * CMake's GNUInstallDirs lays them out (core/CMakeLists.txt). */
#ifndef VGG_BIN_TO_DATA
#define VGG_BIN_TO_DATA "../share/vggfeat"
#endif
#ifndef VGG_LIB_TO_DATA
#define VGG_LIB_TO_DATA "../share/vggfeat"
#endif

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char data_dir[PATH_MAX];
static int found;

/* the file this code was loaded from, when it is a shared library */
static int loaded_from_library(char *out, size_t size)
{
    Dl_info info;
    if (!dladdr(&found, &info) || !info.dli_fname || !*info.dli_fname)
        return 0;
    /* the main program is named by argv[0]: only a ".so" is a library */
    const char *base = strrchr(info.dli_fname, '/');
    base = base ? base + 1 : info.dli_fname;
    if (!strstr(base, ".so"))
        return 0;
    char real[PATH_MAX];
    if (!realpath(info.dli_fname, real) || strlen(real) >= size)
        return 0;
    strcpy(out, real);
    return 1;
}

static void find_data_dir(void)
{
    char obj[PATH_MAX];
    const char *rel = VGG_LIB_TO_DATA;
    if (!loaded_from_library(obj, sizeof obj)) {
        rel = VGG_BIN_TO_DATA;
        ssize_t n = readlink("/proc/self/exe", obj, sizeof obj - 1);
        if (n <= 0)
            return;
        obj[n] = '\0';
    }
    char *slash = strrchr(obj, '/');
    if (!slash)
        return;
    *slash = '\0';
    char candidate[2 * PATH_MAX];
    if (snprintf(candidate, sizeof candidate, "%s/%s", obj, rel) >= (int)sizeof candidate)
        return;
    struct stat sb;
    if (!realpath(candidate, data_dir) || stat(data_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return;
    found = 1;
}

const char *vgg_data_dir(void)
{
    pthread_once(&once, find_data_dir);
    return found ? data_dir : NULL;
}
