/* NCCL for data-parallel training on GPUs: a backend joins a
 * communicator (one rank per process, the id broadcast by the caller, or
 * one process driving every GPU of a node), and its gradient reduction
 * is one ncclAllReduce on the backend's stream.  Only net/cuda/ includes
 * nccl.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nccl.h>

#include "cuda_internal.h"

static vgg_status nccl_failed(ncclResult_t e, ncclComm_t comm, const char *call,
                              const char *file, int line)
{
    const char *last = comm ? ncclGetLastError(comm) : ncclGetLastError(NULL);
    return vgg_fail(VGG_STATUS_DEVICE, "%s (%s%s%s) at %s:%d", ncclGetErrorString(e), call,
                    last && *last ? ": " : "", last ? last : "", file, line);
}

#define NCCL_CHECK(comm, call)                                                                     \
    do {                                                                                           \
        ncclResult_t e_ = (call);                                                                  \
        if (e_ != ncclSuccess)                                                                     \
            return nccl_failed(e_, (comm), #call, __FILE__, __LINE__);                             \
    } while (0)

vgg_status vgg_cuda_nccl_unique_id(unsigned char *id, size_t size)
{
    ncclUniqueId u;
    if (size != sizeof u.internal)
        return vgg_fail(VGG_STATUS_INVALID, "NCCL: ids are %zu bytes, not %zu",
                        sizeof u.internal, size);
    NCCL_CHECK(NULL, ncclGetUniqueId(&u));
    memcpy(id, u.internal, size);
    return VGG_STATUS_OK;
}

static vgg_status not_twice(const vgg_backend *be)
{
    if (((const cuda_impl *)be->impl)->nccl)
        return vgg_fail(VGG_STATUS_INVALID, "NCCL: device %s has joined a communicator already",
                        be->name);
    return VGG_STATUS_OK;
}

vgg_status vgg_cuda_nccl_join(vgg_backend *be, int nranks, int rank, const unsigned char *id,
                              size_t size)
{
    cuda_impl *c = be->impl;
    ncclUniqueId u;
    vgg_status st = not_twice(be);
    if (st != VGG_STATUS_OK)
        return st;
    if (size != sizeof u.internal)
        return vgg_fail(VGG_STATUS_INVALID, "NCCL: ids are %zu bytes, not %zu",
                        sizeof u.internal, size);
    memcpy(u.internal, id, size);
    CUDA_CHECK(cudaSetDevice(c->device));
    ncclComm_t comm = NULL;
    NCCL_CHECK(NULL, ncclCommInitRank(&comm, nranks, u, rank));
    c->nccl = comm;
    return VGG_STATUS_OK;
}

vgg_status vgg_cuda_nccl_join_all(vgg_backend *const *bes, int n)
{
    int *devs = calloc((size_t)n, sizeof *devs);
    ncclComm_t *comms = calloc((size_t)n, sizeof *comms);
    if (!devs || !comms) {
        free(devs);
        free(comms);
        return vgg_fail(VGG_STATUS_NOMEM, "NCCL: out of memory");
    }
    vgg_status st = VGG_STATUS_OK;
    for (int i = 0; i < n && st == VGG_STATUS_OK; i++) {
        devs[i] = ((const cuda_impl *)bes[i]->impl)->device;
        st = not_twice(bes[i]);
        for (int j = 0; j < i && st == VGG_STATUS_OK; j++)
            if (devs[j] == devs[i])
                st = vgg_fail(VGG_STATUS_INVALID, "NCCL: device cuda:%d given twice", devs[i]);
    }
    if (st == VGG_STATUS_OK) {
        ncclResult_t e = ncclCommInitAll(comms, n, devs);
        if (e != ncclSuccess)
            st = nccl_failed(e, NULL, "ncclCommInitAll", __FILE__, __LINE__);
    }
    for (int i = 0; i < n && st == VGG_STATUS_OK; i++)
        ((cuda_impl *)bes[i]->impl)->nccl = comms[i];
    free(devs);
    free(comms);
    return st;
}

vgg_status vgg_cuda_allreduce_sum(vgg_backend *be, float *grad, size_t count)
{
    cuda_impl *c = be->impl;
    if (!c->nccl)
        return vgg_fail(VGG_STATUS_INVALID, "NCCL: device %s has joined no communicator",
                        be->name);
    CUDA_CHECK(cudaSetDevice(c->device));
    NCCL_CHECK((ncclComm_t)c->nccl, ncclAllReduce(grad, grad, count, ncclFloat, ncclSum,
                                                   (ncclComm_t)c->nccl, c->stream));
    return VGG_STATUS_OK;
}

void vgg_cuda_nccl_free(vgg_backend *be)
{
    cuda_impl *c = be->impl;
    if (c && c->nccl) {
        ncclCommDestroy((ncclComm_t)c->nccl);
        c->nccl = NULL;
    }
}
