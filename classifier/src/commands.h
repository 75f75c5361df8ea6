/* vggsvm subcommands and the helpers they share (main.c). */
#ifndef VGGSVM_COMMANDS_H
#define VGGSVM_COMMANDS_H

#include <stddef.h>

#include "vgg/core.h"

int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_eval(int argc, char **argv);

/* "0.1,1,10" -> malloc'd doubles; 0 on success, -1 on a bad list. */
int parse_double_list(const char *text, double **out, int *count);

/* Print "vggsvm <cmd>: <last error>" to stderr; returns 1. */
int report_failure(const char *cmd);

/* The one output rule (vgg_output_check) for out against the n inputs
 * (NULL entries skipped) and their ".json" sidecars; "-" and NULL pass. */
vgg_status check_output(const char *out, const char *const *ins, size_t n);

/* Print the store's damaged-tail sentence, if it has one, as "vggsvm CMD: ...". */
void note_store_tail(const char *cmd, const char *store);

#endif
