/* Thread counts: the one cap every program's options share, what 0 means,
 * and whether a number of threads fits under an address-space limit
 * before any of them is started (a thread that cannot be created inside
 * OpenMP or OpenBLAS ends or hangs the process instead of failing). */
#include "vgg/core.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

vgg_status vgg_threads_parse(const char *option, const char *text, int min, int *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (end == text || *end || errno || v < min || v > VGG_MAX_THREADS) {
        if (min == 0)
            return vgg_fail(VGG_STATUS_INVALID, "%s: '%s' is not a usable count: give 1 to %d "
                            "threads, or 0 for one per core", option, text, VGG_MAX_THREADS);
        return vgg_fail(VGG_STATUS_INVALID, "%s: '%s' is not a usable count: give %d to %d "
                        "threads", option, text, min, VGG_MAX_THREADS);
    }
    *out = (int)v;
    return VGG_STATUS_OK;
}

int vgg_threads_all(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        return 1;
    return n > VGG_MAX_THREADS ? VGG_MAX_THREADS : (int)n;
}

size_t vgg_threads_stack_bytes(void)
{
    pthread_attr_t attr;
    size_t bytes = 0;
    if (pthread_getattr_default_np(&attr) == 0) {
        if (pthread_attr_getstacksize(&attr, &bytes) != 0)
            bytes = 0;
        pthread_attr_destroy(&attr);
    }
    return bytes ? bytes : (size_t)8 << 20;
}

/* the address space this process maps now (VmSize), 0 if unknown */
static size_t mapped_bytes(void)
{
    FILE *fp = fopen("/proc/self/statm", "r");
    unsigned long long pages = 0;
    if (!fp)
        return 0;
    if (fscanf(fp, "%llu", &pages) != 1)
        pages = 0;
    fclose(fp);
    long page = sysconf(_SC_PAGESIZE);
    return (size_t)pages * (size_t)(page > 0 ? page : 4096);
}

vgg_status vgg_threads_fit(const char *what, int *threads, size_t bytes_per_thread,
                           bool fewer_ok)
{
    struct rlimit rl;
    if (*threads <= 1 || bytes_per_thread == 0 || getrlimit(RLIMIT_AS, &rl) != 0 ||
        rl.rlim_cur == RLIM_INFINITY)
        return VGG_STATUS_OK;
    const size_t limit = (size_t)rl.rlim_cur, used = mapped_bytes();
    const size_t left = limit > used ? limit - used : 0;
    if ((size_t)*threads <= left / bytes_per_thread)
        return VGG_STATUS_OK;
    /* The count offered (and taken for 0) keeps a reserve: what a process
     * maps before this check moves with the count asked for and with the
     * threads already started (a loader's stack and malloc arena), so the
     * count named here must still fit in the next run, not only in this
     * one. */
    const size_t reserve = left / 16 > ((size_t)256 << 20) ? left / 16 : (size_t)256 << 20;
    const size_t fit = left > reserve ? (left - reserve) / bytes_per_thread : 0;
    const int most = fit < 1 ? 1 : (int)fit;
    if (fewer_ok) {
        *threads = most;
        return VGG_STATUS_OK;
    }
    const double gib = 1024.0 * 1024.0 * 1024.0;
    return vgg_fail(VGG_STATUS_TOO_LARGE, "%s: %d threads need about %.1f GiB of address space "
                    "(stacks and buffers), and the address-space limit (ulimit -v, %.1f GiB) "
                    "leaves %.1f GiB beside what this process maps: at most %d thread%s fit; "
                    "give fewer threads or raise the limit", what, *threads,
                    (double)bytes_per_thread * *threads / gib, (double)limit / gib,
                    (double)left / gib, most, most == 1 ? "" : "s");
}
