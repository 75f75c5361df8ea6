/* The command line of `vggsvm train` (train_cli.c), private to the
 * program and its tests: option parsing and usage text over the library
 * of vgg/svm.h. */
#ifndef VGG_SVM_TRAIN_CLI_H
#define VGG_SVM_TRAIN_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "vgg/svm.h"

/* ---- the command line of `vggsvm train` ----
 *
 * The options parsed and checked (vgg_svm_train_cli_parse: OK, or
 * INVALID with a message for the program to print before the usage, or
 * NOMEM; help set by -h/--help), o.grid pointing at grid.  Free with
 * vgg_svm_train_cli_free (also after a failed parse). */
typedef struct vgg_svm_train_cli {
    const char *features, *labels, *output;
    vgg_svm_options o;
    vgg_svm_label_mode mode;
    double *grid;
    int n_grid;
    char **weights;          /* "CLASS=W" (borrowed from argv) */
    int n_weights;
    bool json, quiet, help;
} vgg_svm_train_cli;

void vgg_svm_train_cli_usage(FILE *fp);
vgg_status vgg_svm_train_cli_parse(int argc, char **argv, vgg_svm_train_cli *a);
void vgg_svm_train_cli_free(vgg_svm_train_cli *a);

#endif
