/* The ranks of a data-parallel run: MPI's world where the job was started
 * by an MPI launcher and the build has MPI; the threads of one process
 * driving several devices (--devices), a team whose collectives are
 * barriers over shared memory; else one process alone.  The only file
 * that includes mpi.h. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef VGG_HAVE_MPI
#include <mpi.h>
#endif

#include "dist.h"

#define TEAM_MAX 64

/* the threads of one process, one per device */
typedef struct team {
    int n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int arrived;
    unsigned gen;
    int failed;            /* -1, or the rank that failed first */
    void *ptr[TEAM_MAX];   /* each rank's buffer in the current collective */
    vgg_backend *be[TEAM_MAX];
    vgg_status nccl_st;
    char nccl_msg[512];
} team;

struct vgg_pretrain_dist {
    int rank, size, local_rank;
    bool mpi;              /* MPI_Init was called */
    team *team;            /* shared by the team's members; NULL: not a team */
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

/* ---- a team of threads ---- */

vgg_status vgg_dist_team_create(int n, vgg_pretrain_dist **members)
{
    if (n < 1 || n > TEAM_MAX)
        return vgg_fail(VGG_STATUS_INVALID, "--devices: %d devices (1 to %d)", n, TEAM_MAX);
    team *t = calloc(1, sizeof *t);
    vgg_pretrain_dist *m = calloc((size_t)n, sizeof *m);
    if (!t || !m) {
        free(t);
        free(m);
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    }
    t->n = n;
    t->failed = -1;
    pthread_mutex_init(&t->mu, NULL);
    pthread_cond_init(&t->cv, NULL);
    for (int i = 0; i < n; i++)
        m[i] = (vgg_pretrain_dist){ .rank = i, .size = n, .local_rank = i, .team = t };
    *members = m;
    return VGG_STATUS_OK;
}

void vgg_dist_team_free(vgg_pretrain_dist *members)
{
    if (!members)
        return;
    team *t = members[0].team;
    pthread_mutex_destroy(&t->mu);
    pthread_cond_destroy(&t->cv);
    free(t);
    free(members);
}

vgg_pretrain_dist *vgg_dist_team_member(vgg_pretrain_dist *members, int i)
{
    return &members[i];
}

void vgg_dist_team_fail(vgg_pretrain_dist *d)
{
    team *t = d->team;
    pthread_mutex_lock(&t->mu);
    if (t->failed < 0)
        t->failed = d->rank;
    pthread_cond_broadcast(&t->cv);
    pthread_mutex_unlock(&t->mu);
}

int vgg_dist_team_failed(const vgg_pretrain_dist *members)
{
    return members[0].team->failed;
}

/* every member reaches this point, or one has failed (the others stop) */
static vgg_status team_wait(vgg_pretrain_dist *d)
{
    team *t = d->team;
    pthread_mutex_lock(&t->mu);
    if (t->failed < 0) {
        unsigned gen = t->gen;
        if (++t->arrived == t->n) {
            t->arrived = 0;
            t->gen++;
            pthread_cond_broadcast(&t->cv);
        }
        while (t->gen == gen && t->failed < 0)
            pthread_cond_wait(&t->cv, &t->mu);
        if (t->gen != gen) {
            pthread_mutex_unlock(&t->mu);
            return VGG_STATUS_OK;
        }
    }
    int who = t->failed;
    pthread_mutex_unlock(&t->mu);
    return vgg_fail(VGG_STATUS_INTERRUPTED, "stopped: the thread of rank %d failed", who);
}

/* the n members' x[0..count) summed in rank order, the sum in every x: each
 * member sums its share of the elements */
static vgg_status team_sum_floats(vgg_pretrain_dist *d, float *x, size_t count)
{
    team *t = d->team;
    t->ptr[d->rank] = x;
    vgg_status st = team_wait(d);
    if (st != VGG_STATUS_OK)
        return st;
    const size_t a = count * d->rank / t->n, b = count * (d->rank + 1) / t->n;
    for (size_t i = a; i < b; i++) {
        float s = ((float *)t->ptr[0])[i];
        for (int k = 1; k < t->n; k++)
            s += ((float *)t->ptr[k])[i];
        for (int k = 0; k < t->n; k++)
            ((float *)t->ptr[k])[i] = s;
    }
    return team_wait(d);
}

static vgg_status team_sum_doubles(vgg_pretrain_dist *d, double *x, int n)
{
    team *t = d->team;
    double s[16];
    if (n > 16)
        return vgg_fail(VGG_STATUS_INVALID, "team: %d values to sum (16 at most)", n);
    t->ptr[d->rank] = x;
    vgg_status st = team_wait(d);
    for (int i = 0; i < n && st == VGG_STATUS_OK; i++) {
        s[i] = ((double *)t->ptr[0])[i];
        for (int k = 1; k < t->n; k++)
            s[i] += ((double *)t->ptr[k])[i];
    }
    if (st == VGG_STATUS_OK)
        st = team_wait(d);
    if (st == VGG_STATUS_OK)
        memcpy(x, s, sizeof *x * n);
    return st;
}

static vgg_status team_bcast(vgg_pretrain_dist *d, void *buf, size_t bytes)
{
    team *t = d->team;
    t->ptr[d->rank] = buf;
    vgg_status st = team_wait(d);
    if (st == VGG_STATUS_OK && d->rank != 0)
        memcpy(buf, t->ptr[0], bytes);
    return st == VGG_STATUS_OK ? team_wait(d) : st;
}

/* the team's GPUs join one NCCL communicator: rank 0 calls
 * ncclCommInitAll for all once every member has opened its device */
static vgg_status team_join_nccl(vgg_pretrain_dist *d, vgg_backend *be)
{
    team *t = d->team;
    t->be[d->rank] = be;
    vgg_status st = team_wait(d);
    if (st == VGG_STATUS_OK && d->rank == 0) {
        t->nccl_st = vgg_backend_join_all(t->be, t->n);
        snprintf(t->nccl_msg, sizeof t->nccl_msg, "%s",
                 t->nccl_st == VGG_STATUS_OK ? "" : vgg_last_error());
    }
    if (st == VGG_STATUS_OK)
        st = team_wait(d);
    if (st == VGG_STATUS_OK && t->nccl_st != VGG_STATUS_OK)
        st = vgg_fail(t->nccl_st, "%s", t->nccl_msg);
    return st;
}

vgg_status vgg_dist_join_nccl(vgg_pretrain_dist *d, vgg_backend *be)
{
    if (d && d->team)
        return team_join_nccl(d, be);
    unsigned char id[VGG_COLLECTIVE_ID_BYTES] = { 0 };
    const int rank = vgg_pretrain_dist_rank(d), size = vgg_pretrain_dist_size(d);
    vgg_status st = rank == 0 ? vgg_backend_collective_id(be, id) : VGG_STATUS_OK;
    if (st == VGG_STATUS_OK)
        st = vgg_dist_bcast(d, id, sizeof id);
    return st == VGG_STATUS_OK ? vgg_backend_join(be, size, rank, id) : st;
}

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
    if (d && d->team)
        return team_sum_floats(d, grad, count);
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
    if (d && d->team)
        return team_sum_doubles(d, x, n);
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
    if (d && d->team)
        return team_bcast(d, buf, bytes);
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
