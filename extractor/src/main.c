/* vggfeat: very deep ConvNet features for your own images. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/core.h"

static const vgg_command commands[] = {
    { "extract", cmd_extract, "compute descriptors into a feature store" },
    { "export",  cmd_export,  "write a feature store as npy, liblinear or csv" },
    { "info",    cmd_info,    "describe a weights file or a feature store" },
    { "merge",   cmd_merge,   "merge feature stores (shards) into one, in input order" },
    { "convert", cmd_convert, "convert a Caffe .caffemodel to safetensors" },
    { "pixels",  cmd_pixels,  "raw-pixel baseline features (a control for the descriptors)" },
};

int main(int argc, char **argv)
{
    return vgg_cli_main("vggfeat", commands, sizeof commands / sizeof commands[0], NULL, argc,
                        argv);
}
