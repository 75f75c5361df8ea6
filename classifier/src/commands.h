/* vggsvm subcommands and the helpers they share (main.c). */
#ifndef VGGSVM_COMMANDS_H
#define VGGSVM_COMMANDS_H

#include <stddef.h>

int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_eval(int argc, char **argv);

/* "0.1,1,10" -> malloc'd doubles; 0 on success, -1 on a bad list. */
int parse_double_list(const char *text, double **out, int *count);

/* Print "vggsvm <cmd>: <last error>" to stderr; returns 1. */
int report_failure(const char *cmd);

#endif
