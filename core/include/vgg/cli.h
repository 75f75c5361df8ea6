/* The programs' subcommand tables (vggfeat, vggsvm, vggtrain, vggdata).
 * Each subcommand is int cmd_<name>(int argc, char **argv), argv[0] being
 * the subcommand's name; it exits 0 on success, 1 on failure, 2 on a usage
 * error. */
#ifndef VGG_CLI_H
#define VGG_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "vgg/core.h"

struct option;

typedef struct vgg_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} vgg_command;

/* A program's main: runs the subcommand named by argv[1] from the n
 * commands.  "-h", "--help" and "help" print the usage (the command list,
 * then footer if not NULL) and return 0; "--version" and "version" print
 * "prog VERSION", the build's options (build type, compiler, libraries,
 * CUDA, MPI) and the installed data folder (vgg/paths.h), and return 0;
 * no command or an unknown one prints the usage to stderr and returns 2.
 * Whatever ran, standard output is then checked (vgg_stdout_finish). */
int vgg_cli_main(const char *prog, const vgg_command *commands, size_t n, const char *footer,
                 int argc, char **argv);

/* Standard output at the end of a program: flush it and check that every
 * write to it succeeded (a full disk under "> file", /dev/full, a closed
 * pipe with SIGPIPE ignored).  Returns rc when they did; otherwise prints
 * "<prog>[ <sub>]: cannot write to standard output: <reason>" to stderr and
 * returns 1 if rc was 0 (a failure already reported keeps its rc).
 * vgg_cli_main calls it after every command (and after the usage and the
 * version it prints), so no command can forget; a program without
 * vgg_cli_main calls it as its main returns. */
int vgg_stdout_finish(const char *prog, const char *sub, int rc);

/* The message for getopt_long's '?' (the command set opterr = 0 and calls
 * this at once, optind and optopt as getopt_long left them): INVALID,
 * naming the unknown option ("unknown option '-d' (in '-dash.png')"), the
 * option that needs a value ("--scores needs a value") or takes none.
 * An unknown option that looks like a file name gets the hint that a file
 * whose name starts with '-' goes after "--", which ends the options
 * (getopt_long permutes: options and files may come in any order before
 * it, and everything after it is a file). */
vgg_status vgg_cli_bad_option(int argc, char **argv, const char *optstring,
                              const struct option *longopts);

/* For a subcommand's getopt_long loop on '?': prints "<prog> <cmd>:
 * <vgg_cli_bad_option's message>" and the usage (usage(stderr), if not
 * NULL) to stderr; returns 2, the exit status of a usage error. */
int vgg_cli_option_error(const char *prog, const char *cmd, int argc, char **argv,
                         const char *optstring, const struct option *longopts,
                         void (*usage)(FILE *));

#endif
