/* The ranks of a data-parallel run: MPI's world where the job was started
 * by an MPI launcher and the build has MPI, else one process.  The only
 * file that includes mpi.h. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifdef VGG_HAVE_MPI
#include <mpi.h>
#endif

#include "dist.h"

struct vgg_pretrain_dist {
    int rank, size, local_rank;
    bool mpi;              /* MPI_Init was called */
};

/* the number of ranks a launcher says it started (0: no launcher) */
static int launched_ranks(void)
{
    static const char *const vars[] = { "OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE",
                                        "MPI_LOCALNRANKS" };
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && atoi(v) > 0)
            return atoi(v);
    }
    /* srun with PMIx sets PMIX_RANK but not always a size */
    return getenv("PMIX_RANK") ? 1 : 0;
}

#ifdef VGG_HAVE_MPI
static vgg_status mpi_failed(int e, const char *call)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(e, text, &len) != MPI_SUCCESS)
        snprintf(text, sizeof text, "error %d", e);
    return vgg_fail(VGG_STATUS_DEVICE, "MPI: %s: %s", call, text);
}

static vgg_status mpi_open(vgg_pretrain_dist *d)
{
    int provided = 0, e = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided);
    if (e != MPI_SUCCESS)
        return mpi_failed(e, "MPI_Init_thread");
    d->mpi = true;
    /* errors come back as codes, not as an abort inside MPI */
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_Comm_rank(MPI_COMM_WORLD, &d->rank);
    MPI_Comm_size(MPI_COMM_WORLD, &d->size);
    MPI_Comm node;
    if ((e = MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, d->rank, MPI_INFO_NULL,
                                 &node)) != MPI_SUCCESS)
        return mpi_failed(e, "MPI_Comm_split_type");
    MPI_Comm_rank(node, &d->local_rank);
    MPI_Comm_free(&node);
    return VGG_STATUS_OK;
}
#endif

vgg_status vgg_pretrain_dist_open(vgg_pretrain_dist **out)
{
    *out = NULL;
    vgg_pretrain_dist *d = calloc(1, sizeof *d);
    if (!d)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    d->size = 1;
    vgg_status st = VGG_STATUS_OK;
    const int launched = launched_ranks();
#ifdef VGG_HAVE_MPI
    if (launched > 0)
        st = mpi_open(d);
#else
    if (launched > 1)
        st = vgg_fail(VGG_STATUS_UNSUPPORTED, "started as one of %d ranks, but this vggtrain was "
                      "built without MPI (install libopenmpi-dev and rebuild; VGG_MPI=ON makes "
                      "a missing MPI an error)", launched);
#endif
    if (st != VGG_STATUS_OK) {
        vgg_pretrain_dist_close(d);
        return st;
    }
    *out = d;
    return VGG_STATUS_OK;
}

int vgg_pretrain_dist_rank(const vgg_pretrain_dist *d) { return d ? d->rank : 0; }
int vgg_pretrain_dist_size(const vgg_pretrain_dist *d) { return d ? d->size : 1; }
int vgg_dist_local_rank(const vgg_pretrain_dist *d) { return d ? d->local_rank : 0; }
bool vgg_dist_is_mpi(const vgg_pretrain_dist *d) { return d && d->mpi; }

void vgg_pretrain_dist_abort(vgg_pretrain_dist *d, int code)
{
#ifdef VGG_HAVE_MPI
    if (d && d->mpi && d->size > 1)
        MPI_Abort(MPI_COMM_WORLD, code);
#else
    (void)d;
    (void)code;
#endif
}

void vgg_pretrain_dist_close(vgg_pretrain_dist *d)
{
    if (!d)
        return;
#ifdef VGG_HAVE_MPI
    if (d->mpi)
        MPI_Finalize();
#endif
    free(d);
}

/* MPI counts are ints: big buffers go in pieces */
#define PIECE ((size_t)1 << 30)

vgg_status vgg_dist_sum_floats(void *ctx, float *grad, size_t count)
{
    vgg_pretrain_dist *d = ctx;
    if (!d || !d->mpi)
        return VGG_STATUS_OK;
#ifdef VGG_HAVE_MPI
    for (size_t off = 0; off < count; off += PIECE) {
        int n = (int)(count - off < PIECE ? count - off : PIECE);
        int e = MPI_Allreduce(MPI_IN_PLACE, grad + off, n, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
        if (e != MPI_SUCCESS)
            return mpi_failed(e, "MPI_Allreduce of the gradients");
    }
#endif
    return VGG_STATUS_OK;
}

vgg_status vgg_dist_sum_doubles(vgg_pretrain_dist *d, double *x, int n)
{
    if (!d || d->size == 1)
        return VGG_STATUS_OK;
#ifdef VGG_HAVE_MPI
    int e = MPI_Allreduce(MPI_IN_PLACE, x, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    if (e != MPI_SUCCESS)
        return mpi_failed(e, "MPI_Allreduce");
#endif
    return VGG_STATUS_OK;
}

vgg_status vgg_dist_bcast(void *ctx, void *buf, size_t bytes)
{
    vgg_pretrain_dist *d = ctx;
    if (!d || d->size == 1)
        return VGG_STATUS_OK;
#ifdef VGG_HAVE_MPI
    for (size_t off = 0; off < bytes; off += PIECE) {
        int n = (int)(bytes - off < PIECE ? bytes - off : PIECE);
        int e = MPI_Bcast((char *)buf + off, n, MPI_BYTE, 0, MPI_COMM_WORLD);
        if (e != MPI_SUCCESS)
            return mpi_failed(e, "MPI_Bcast");
    }
#endif
    return VGG_STATUS_OK;
}
