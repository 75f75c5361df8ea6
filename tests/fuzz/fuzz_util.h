/* Shared by the file-parser harnesses: the fuzz input written to a scratch
 * file of this process, and the check every parser's failure must pass. */
#ifndef VGG_FUZZ_UTIL_H
#define VGG_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgg/core.h"

/* path <- the scratch file "<tag><suffix>" of this process:
 * "/tmp/fuzz_<tag>_<pid><suffix>" when exploring (several processes at
 * once), "fuzz_<tag><suffix>" in the current folder when VGG_FUZZ_FIXED is
 * set.  The gate (tests/fuzz/run.sh) sets it: a path whose length changed
 * with the process id changed the length of every message, so the coverage
 * and with it the mutations, and a fixed seed alone did not give the same
 * run twice. */
static inline void fuzz_scratch_path(const char *tag, const char *suffix, char *path, size_t cap)
{
    if (getenv("VGG_FUZZ_FIXED"))
        snprintf(path, cap, "fuzz_%s%s", tag, suffix);
    else
        snprintf(path, cap, "/tmp/fuzz_%s_%ld%s", tag, (long)getpid(), suffix);
}

/* path <- the scratch file of fuzz_scratch_path, holding the n bytes at
 * data; 0 on success. */
static inline int fuzz_write_file(const char *tag, const char *suffix, const void *data,
                                  size_t n, char *path, size_t cap)
{
    fuzz_scratch_path(tag, suffix, path, cap);
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return -1;
    int bad = n && fwrite(data, 1, n, fp) != n;
    return fclose(fp) != 0 || bad ? -1 : 0;
}

/* A failed parse names the file it read (a bug otherwise: trap). */
static inline void fuzz_check_failure(const char *path)
{
    if (!strstr(vgg_last_error(), path))
        __builtin_trap();
}

#endif
