/* The collectives of a data-parallel run (dist.c), for run.c: every rank
 * calls each of them in the same order.  With one rank they do nothing. */
#ifndef VGG_PRETRAIN_DIST_H
#define VGG_PRETRAIN_DIST_H

#include "vgg/pretrain.h"
#include "vgg/train.h"

/* started by an MPI launcher (even as its only rank): the gradients go
 * through the collective, NCCL's on GPUs */
bool vgg_dist_is_mpi(const vgg_pretrain_dist *d);
/* the rank's index among the ranks of its node (its GPU) */
int vgg_dist_local_rank(const vgg_pretrain_dist *d);
/* grad[count] summed over the ranks, in place (a vgg_grad_reduce_fn, ctx
 * the vgg_pretrain_dist) */
vgg_status vgg_dist_sum_floats(void *d, float *grad, size_t count);
/* x[n] summed over the ranks, in place */
vgg_status vgg_dist_sum_doubles(vgg_pretrain_dist *d, double *x, int n);
/* bytes at buf from rank 0 to every rank (a vgg_bcast_fn) */
vgg_status vgg_dist_bcast(void *d, void *buf, size_t bytes);

/* the GPU of this rank joins the ranks' NCCL communicator (over MPI:
 * rank 0's id broadcast; a team: ncclCommInitAll) */
vgg_status vgg_dist_join_nccl(vgg_pretrain_dist *d, vgg_backend *be);

/* --devices: n members of a team of threads (members[i] is rank i), and
 * its end; a member whose run fails calls fail, which stops the others at
 * their next collective; failed: the first rank that failed, or -1 */
vgg_status vgg_dist_team_create(int n, vgg_pretrain_dist **members);
void vgg_dist_team_free(vgg_pretrain_dist *members);
vgg_pretrain_dist *vgg_dist_team_member(vgg_pretrain_dist *members, int i);
void vgg_dist_team_fail(vgg_pretrain_dist *d);
int vgg_dist_team_failed(const vgg_pretrain_dist *members);
/* vgg_pretrain_run with --devices (devices.c), and the check of its list */
vgg_status vgg_dist_devices_check(const char *list);
vgg_status vgg_pretrain_run_devices(vgg_pretrain_config *a);

#endif
