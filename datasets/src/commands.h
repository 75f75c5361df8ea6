/* vggdata subcommands: each returns the exit status (0 ok, 1 failure,
 * 2 usage error). */
#ifndef VGGDATA_COMMANDS_H
#define VGGDATA_COMMANDS_H

int cmd_caltech(int argc, char **argv);
int cmd_voc(int argc, char **argv);
int cmd_ilsvrc(int argc, char **argv);
int cmd_subset(int argc, char **argv);
int cmd_glyphs(int argc, char **argv);

/* mkdir -p; returns 0 or prints "vggdata <cmd>: ..." and returns 1. */
int make_dirs(const char *cmd, const char *path);

#endif
