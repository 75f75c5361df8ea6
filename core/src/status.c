#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "vgg/core.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MSG_MAX 2048

static _Thread_local char message[MSG_MAX];

vgg_status vgg_fail(vgg_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    return status;
}

vgg_status vgg_fail_context(vgg_status status, const char *fmt, ...)
{
    char prefix[MSG_MAX];
    char old[MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, message, sizeof old);
    /* the prefix first, then as much of the old message as fits */
    size_t n = strlen(prefix);
    size_t m = strnlen(old, sizeof old - 1);
    if (m > sizeof message - 1 - n)
        m = sizeof message - 1 - n;
    memcpy(message, prefix, n);
    memcpy(message + n, old, m);
    message[n + m] = '\0';
    return status;
}

const char *vgg_last_error(void)
{
    return message;
}

void vgg_clear_error(void)
{
    message[0] = '\0';
}

const char *vgg_status_name(vgg_status status)
{
    static const char *const names[] = {
        [VGG_STATUS_OK] = "ok",
        [VGG_STATUS_NOMEM] = "out of memory",
        [VGG_STATUS_IO] = "i/o error",
        [VGG_STATUS_FORMAT] = "format error",
        [VGG_STATUS_DAMAGED] = "damaged data",
        [VGG_STATUS_INVALID] = "invalid argument",
        [VGG_STATUS_MISMATCH] = "mismatch",
        [VGG_STATUS_TOO_LARGE] = "too large",
        [VGG_STATUS_NOT_FOUND] = "not found",
        [VGG_STATUS_UNSUPPORTED] = "unsupported",
        [VGG_STATUS_NUMERIC] = "non-finite number",
        [VGG_STATUS_INTERRUPTED] = "interrupted",
        [VGG_STATUS_DEVICE] = "device error",
    };
    if ((int)status < 0 || status >= VGG_STATUS_COUNT_)
        return "unknown status";
    return names[status];
}

void vgg_assert_fail(const char *expr, const char *file, int line)
{
    fprintf(stderr, "vggfeat: internal error: %s:%d: assertion '%s' failed\n",
            file, line, expr);
    abort();
}

void vgg_preproc_torchvision(vgg_preproc *p)
{
    *p = (vgg_preproc){
        .order = VGG_CHANNELS_RGB,
        .range = 1.0f,
        .mean = {0.485f, 0.456f, 0.406f},
        .std = {0.229f, 0.224f, 0.225f},
    };
}

void vgg_preproc_caffe(vgg_preproc *p)
{
    *p = (vgg_preproc){
        .order = VGG_CHANNELS_BGR,
        .range = 255.0f,
        .mean = {103.939f, 116.779f, 123.68f},
        .std = {1.0f, 1.0f, 1.0f},
    };
}
