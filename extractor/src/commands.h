/* The vggfeat subcommands: int cmd_<name>(int argc, char **argv) in
 * src/cmd_<name>.c; argv[0] is the subcommand's name.  Exit 0 on success,
 * 1 on failure, 2 on a usage error. */
#ifndef VGGFEAT_COMMANDS_H
#define VGGFEAT_COMMANDS_H

int cmd_extract(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_pixels(int argc, char **argv);

#endif
