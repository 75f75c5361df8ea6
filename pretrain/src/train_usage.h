/* The help text of `vggtrain train` (options.c, beside the option table
 * of vgg/pretrain.h it describes), private to the program. */
#ifndef VGG_TRAIN_USAGE_H
#define VGG_TRAIN_USAGE_H

/* vggtrain train --help */
extern const char vgg_pretrain_usage[];

#endif
