/* vggtrain's subcommands. */
#ifndef VGG_PRETRAIN_COMMANDS_H
#define VGG_PRETRAIN_COMMANDS_H

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_import_idx(int argc, char **argv);
int cmd_init(int argc, char **argv);

#include <stddef.h>

#include "vgg/pretrain.h"

/* vggtrain eval's table on stdout (eval_print.c): a row per net, method
 * and scale of qs[k][0..nq[k]), then its scales together, then the
 * ensemble of the n_nets nets. */
void eval_print_table(const vgg_pretrain_table *t, const char *const *weights, int n_nets,
                      int (*qs)[VGG_PRETRAIN_MAX_Q], const int *nq, int methods);
/* The line under the table: "(N images[, M unreadable skipped])". */
void eval_print_counts(long long evaluated, long long unreadable);
/* vggtrain eval's progress and skipped images on stderr (the
 * vgg_pretrain_table_add_dataset callback; ctx unused). */
void eval_note_line(void *ctx, size_t done, size_t n, const char *skipped);

#endif
