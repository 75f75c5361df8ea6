/* vggdata: list files from the official layouts of the paper's datasets. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "vgg/core.h"

typedef struct vgg_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} vgg_command;

static const vgg_command commands[] = {
    { "caltech", cmd_caltech, "seeded train/test splits of Caltech-101 or Caltech-256" },
    { "voc",     cmd_voc,     "a labels file from a PASCAL VOC image set and its XML annotations" },
    { "ilsvrc",  cmd_ilsvrc,  "class index and train/val lists from the ILSVRC-2012 layout" },
    { "subset",  cmd_subset,  "the rows of a feature store that a list names (a split's store)" },
};

static void usage(FILE *fp)
{
    fprintf(fp, "usage: vggdata COMMAND [options]   (vggdata COMMAND --help for its options)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(fp, "  %-9s %s\n", commands[i].name, commands[i].help);
    fprintf(fp, "\nOutputs: list files (path<TAB>class, as vggfeat extract --list and vggtrain take),\n"
                "labels files (path<TAB>label[,label...], 'label?' = only difficult objects, as\n"
                "vggsvm --labels takes) and class indexes (one class name per line, 0-based).\n");
}

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
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("vggdata %s\n", VGG_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vggdata: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
