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
 * then footer if not NULL) and return 0; "--version" and "version" print
 * "prog VERSION", the build's options (build type, compiler, libraries,
 * CUDA, MPI) and the installed data folder (vgg/paths.h), and return 0;
 * no command or an unknown one prints the usage to stderr and returns 2. */
int vgg_cli_main(const char *prog, const vgg_command *commands, size_t n, const char *footer,
                 int argc, char **argv);

#endif
