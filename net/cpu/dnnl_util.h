/* What the two oneDNN files of the `cpu` device share (dnnl.c, the forward
 * chain; dnnl_train.c, the training convolutions): a oneDNN status as a
 * vgg_status naming the call, and the query of a primitive's memory. */
#ifndef VGG_DNNL_UTIL_H
#define VGG_DNNL_UTIL_H

#include <dnnl.h>

#include "vgg/core.h"

static inline vgg_status dnnl_failed(dnnl_status_t s, const char *call, const char *file,
                                     int line)
{
    return vgg_fail(s == dnnl_out_of_memory ? VGG_STATUS_NOMEM : VGG_STATUS_DEVICE,
                    "oneDNN: %s failed (status %d) at %s:%d", call, (int)s, file, line);
}

/* call, a oneDNN function; on failure st is set and control goes to done */
#define CHECK(call)                                                                                \
    do {                                                                                           \
        dnnl_status_t s_ = (call);                                                                 \
        if (s_ != dnnl_success) {                                                                  \
            st = dnnl_failed(s_, #call, __FILE__, __LINE__);                                       \
            goto done;                                                                             \
        }                                                                                          \
    } while (0)

static inline const dnnl_memory_desc_t *pd_md(const_dnnl_primitive_desc_t pd, dnnl_query_t q)
{
    return dnnl_primitive_desc_query_md(pd, q, 0);
}

#endif
