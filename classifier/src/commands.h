/* vggsvm subcommands and the helpers they share (main.c). */
#ifndef VGGSVM_COMMANDS_H
#define VGGSVM_COMMANDS_H

#include <stddef.h>

#include "vgg/core.h"
#include "vgg/svm.h"

int cmd_train(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_eval(int argc, char **argv);

/* Print "vggsvm <cmd>: <last error>" to stderr; returns 1. */
int report_failure(const char *cmd);

/* The one output rule (vgg_output_check) for out against the n inputs
 * (NULL entries skipped) and their ".json" sidecars; "-" and NULL pass. */
vgg_status check_output(const char *out, const char *const *ins, size_t n);

/* Print the store's damaged-tail sentence, if it has one, as "vggsvm CMD: ...". */
void note_store_tail(const char *cmd, const char *store);

/* vggsvm train's report of a finished run on stdout (train_report.c):
 * the grid's validation scores, the chosen C, counts and time. */
void train_print_text(const vgg_svm_labels *l, const vgg_svm_report *rep,
                      const vgg_svm_options *o, const char *output, int dim, double secs);
void train_print_json(const vgg_svm_labels *l, const vgg_svm_report *rep,
                      const vgg_svm_options *o, const char *output, int dim, double secs);

/* vggsvm eval's results on stdout (eval_report.c). */
void eval_print_text(const vgg_svm_scores *s, const vgg_svm_scored *r);
void eval_print_json(const vgg_svm_scores *s, const vgg_svm_scored *r);

#endif
