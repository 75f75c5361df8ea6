/* vggtrain: pretraining the paper's ConvNets and evaluating them as the
 * paper does. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/core.h"

static const vgg_command commands[] = {
    { "train", cmd_train, "train a net with SGD (augmentation, schedule, checkpoints)" },
    { "eval", cmd_eval, "top-1/top-5 error: centre crop, dense, multi-crop, scales, ensembles" },
    { "import-idx", cmd_import_idx, "turn (Fashion-)MNIST idx files into PNG files and a list" },
    { "init", cmd_init, "write an initialised net (the weights training starts from)" },
};

int main(int argc, char **argv)
{
    return vgg_cli_main("vggtrain", commands, sizeof commands / sizeof commands[0], NULL, argc,
                        argv);
}
