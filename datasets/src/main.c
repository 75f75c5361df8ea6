/* vggdata: list files from the official layouts of the paper's datasets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/core.h"

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
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        fprintf(stderr, "vggdata %s: '%s': path too long\n", cmd, path);
        return 1;
    }
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == 0) {
            char c = *p;
            *p = 0;
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                fprintf(stderr, "vggdata %s: '%s': cannot create folder: %s\n", cmd, buf,
                        strerror(errno));
                return 1;
            }
            *p = c;
            if (!c)
                break;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    return vgg_cli_main("vggdata", commands, sizeof commands / sizeof commands[0], FOOTER, argc,
                        argv);
}
