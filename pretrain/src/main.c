/* vggtrain: pretraining the paper's ConvNets and evaluating them as the
 * paper does. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "vgg/core.h"

typedef struct vgg_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} vgg_command;

static const vgg_command commands[] = {
    { "train", cmd_train, "train a net with SGD (augmentation, schedule, checkpoints)" },
    { "eval", cmd_eval, "top-1/top-5 error: centre crop, dense, multi-crop, scales, ensembles" },
    { "import-idx", cmd_import_idx, "turn (Fashion-)MNIST idx files into PNG files and a list" },
    { "init", cmd_init, "write an initialised net (the weights training starts from)" },
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: vggtrain <command> [options]   (vggtrain <command> --help)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(fp, "  %-11s %s\n", commands[i].name, commands[i].help);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("vggtrain %s\n", VGG_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vggtrain: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
