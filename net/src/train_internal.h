/* Shared by the trainer's files (train.c, train_init.c, train_ckpt.c). */
#ifndef VGG_TRAIN_INTERNAL_H
#define VGG_TRAIN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "vgg/train.h"

uint64_t vgg_trainer_seed_(const vgg_trainer *t);
void vgg_trainer_restore_(vgg_trainer *t, int64_t iter, uint64_t seed);
/* Every gradient in one contiguous device buffer of count floats (the
 * parameters in order, each start aligned to 64 floats, zero padding
 * between): a data-parallel reduction sums it in one call. */
void vgg_trainer_grad_buffer_(vgg_trainer *t, float **grad, size_t *count);

#endif
