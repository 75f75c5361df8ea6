/* The command line of `vggfeat extract` (extract_cli.c), private to the
 * program: option parsing, usage text, the reports it prints and its exit
 * statuses.  The engine it drives is vgg/extract.h. */
#ifndef VGG_EXTRACT_CLI_H
#define VGG_EXTRACT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "vgg/extract.h"

/* ---- the command line of `vggfeat extract` ----
 *
 * The options parsed and checked (vgg_extract_cli_parse: OK, or INVALID
 * with a message for the program to print before the usage; help set by
 * -h), the output rule checked against the inputs, the list and the
 * weights, and the reports the program prints to fp: notes and the
 * progress line (callbacks of the job, ctx a vgg_extract_reporter) and the
 * summary with the exit status (vgg_extract_cli_finish). */
typedef struct vgg_extract_cli {
    const char *net_arg, *models, *output, *device, *list_file, *precision, *workspace;
    vgg_extract_opts eo;
    int shard_k, shard_n, threads, loaders, batch;
    bool skip_errors, quiet, help;
    char **inputs;           /* the arguments after the options (borrowed from argv) */
    int n_inputs;
} vgg_extract_cli;

void vgg_extract_cli_usage(FILE *fp);
vgg_status vgg_extract_cli_parse(int argc, char **argv, vgg_extract_cli *a);
vgg_status vgg_extract_cli_check_output(const vgg_extract_cli *a, const vgg_extract_nets *nets);

typedef struct vgg_extract_reporter {
    FILE *fp;
    bool quiet;
    bool progress;           /* a progress line (fp is a terminal) */
    double last_print;
} vgg_extract_reporter;

void vgg_extract_cli_note(void *ctx, vgg_extract_note_kind kind, const char *text);
void vgg_extract_cli_progress(void *ctx, const vgg_extract_progress *p);
/* The end of a run: the error and where it stopped, or the interruption,
 * or the summary; returns the exit status (0, 1, or 128 + the signal). */
int vgg_extract_cli_finish(vgg_status st, const vgg_extract_result *res,
                           const vgg_extract_job *job, const vgg_extract_reporter *r, int dim);

#endif
