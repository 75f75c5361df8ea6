/* vggfeat: very deep ConvNet features for your own images. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "vgg/core.h"

static const vgg_command commands[] = {
    { "extract", cmd_extract, "compute descriptors into a feature store" },
    { "export",  cmd_export,  "write a feature store as npy, liblinear or csv" },
    { "info",    cmd_info,    "describe a weights file or a feature store" },
    { "merge",   cmd_merge,   "merge feature stores (shards) into one, in input order" },
    { "convert", cmd_convert, "convert a Caffe .caffemodel to safetensors" },
    { "pixels",  cmd_pixels,  "raw-pixel baseline features (a control for the descriptors)" },
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: vggfeat COMMAND [options] ...\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(fp, "  %-8s %s\n", commands[i].name, commands[i].help);
    fprintf(fp, "\n'vggfeat COMMAND --help' describes a command's options.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("vggfeat %s\n", VGG_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vggfeat: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
