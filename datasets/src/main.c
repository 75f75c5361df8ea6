/* vggdata: list files from the official layouts of the paper's datasets. */
#include <stdio.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/core.h"
#include "vgg/datasets.h"

#define FOOTER                                                                              \
    "Outputs: list files (path<TAB>class, as vggfeat extract --list and vggtrain take),\n"   \
    "labels files (path<TAB>label[,label...], 'label?' = only difficult objects, as\n"       \
    "vggsvm --labels takes) and class indexes (one class name per line, 0-based).\n"

static const vgg_command commands[] = {
    { "caltech", cmd_caltech, "seeded train/test splits of Caltech-101 or Caltech-256" },
    { "voc",     cmd_voc,     "a labels file from a PASCAL VOC image set and its XML annotations" },
    { "ilsvrc",  cmd_ilsvrc,  "class index and train/val lists from the ILSVRC-2012 layout" },
    { "subset",  cmd_subset,  "the rows of a feature store that a list names (a split's store)" },
    { "glyphs",  cmd_glyphs,  "a seeded character set rendered from installed fonts (a class per character)" },
};

int make_dirs(const char *cmd, const char *path)
{
    if (vgg_ds_make_dirs(path) != VGG_STATUS_OK) {
        fprintf(stderr, "vggdata %s: %s\n", cmd, vgg_last_error());
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    return vgg_cli_main("vggdata", commands, sizeof commands / sizeof commands[0], FOOTER, argc,
                        argv);
}
