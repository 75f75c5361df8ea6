/* vggtrain's subcommands. */
#ifndef VGG_PRETRAIN_COMMANDS_H
#define VGG_PRETRAIN_COMMANDS_H

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_import_idx(int argc, char **argv);
int cmd_init(int argc, char **argv);

#include "vgg/pretrain.h"

/* vggtrain eval's table on stdout (eval_print.c): a row per net, method
 * and scale of qs[k][0..nq[k]), then its scales together, then the
 * ensemble of the n_nets nets. */
void eval_print_table(const vgg_pretrain_table *t, const char *const *weights, int n_nets,
                      int (*qs)[VGG_PRETRAIN_MAX_Q], const int *nq, int methods);

#endif
