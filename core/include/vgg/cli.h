/* The programs' subcommand tables (vggfeat, vggsvm, vggtrain, vggdata).
 * Each subcommand is int cmd_<name>(int argc, char **argv), argv[0] being
 * the subcommand's name; it exits 0 on success, 1 on failure, 2 on a usage
 * error. */
#ifndef VGG_CLI_H
#define VGG_CLI_H

#include <stddef.h>

typedef struct vgg_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} vgg_command;

/* A program's main: runs the subcommand named by argv[1] from the n
 * commands.  "-h", "--help" and "help" print the usage (the command list,
 * then footer if not NULL) and return 0; "--version" prints the version;
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

#endif
