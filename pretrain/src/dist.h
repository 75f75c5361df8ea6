/* The collectives of a data-parallel run (dist.c), for run.c: every rank
 * calls each of them in the same order.  With one rank they do nothing. */
#ifndef VGG_PRETRAIN_DIST_H
#define VGG_PRETRAIN_DIST_H

#include "vgg/pretrain.h"

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

#endif
