/* vggtrain's subcommands. */
#ifndef VGG_PRETRAIN_COMMANDS_H
#define VGG_PRETRAIN_COMMANDS_H

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_import_idx(int argc, char **argv);
int cmd_init(int argc, char **argv);

#endif
