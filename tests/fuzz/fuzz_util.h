/* Shared by the file-parser harnesses: the fuzz input written to a scratch
 * file of this process, and the check every parser's failure must pass. */
#ifndef VGG_FUZZ_UTIL_H
#define VGG_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vgg/core.h"

/* path <- "/tmp/fuzz_<tag>_<pid><suffix>", holding the n bytes at data;
 * 0 on success. */
static inline int fuzz_write_file(const char *tag, const char *suffix, const void *data,
                                  size_t n, char *path, size_t cap)
{
    snprintf(path, cap, "/tmp/fuzz_%s_%ld%s", tag, (long)getpid(), suffix);
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
