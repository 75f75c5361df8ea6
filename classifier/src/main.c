/* vggsvm: linear SVMs on vggfeat feature stores. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/core.h"

typedef struct vgg_command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help;
} vgg_command;

static const vgg_command commands[] = {
    { "train", cmd_train, "train one-vs-rest SVMs from a feature store" },
    { "predict", cmd_predict, "score a feature store with a model" },
    { "eval", cmd_eval, "accuracy, mean class recall, AP and mAP, top-k, confusion matrix" },
};

int parse_double_list(const char *text, double **out, int *count)
{
    *out = NULL;
    *count = 0;
    int cap = 1;
    for (const char *p = text; *p; p++)
        cap += *p == ',';
    double *v = malloc((size_t)cap * sizeof *v);
    if (!v)
        return -1;
    const char *p = text;
    int n = 0;
    for (;;) {
        char *end;
        errno = 0;
        double d = strtod(p, &end);
        if (end == p || errno || !isfinite(d) || (*end != ',' && *end != 0)) {
            free(v);
            return -1;
        }
        v[n++] = d;
        if (*end == 0)
            break;
        p = end + 1;
    }
    *out = v;
    *count = n;
    return 0;
}

int report_failure(const char *cmd)
{
    fprintf(stderr, "vggsvm %s: %s\n", cmd, vgg_last_error());
    return 1;
}

static void usage(FILE *fp)
{
    fprintf(fp, "usage: vggsvm <command> [options]   (vggsvm <command> --help for its options)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(fp, "  %-8s %s\n", commands[i].name, commands[i].help);
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
        printf("vggsvm %s\n", VGG_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "vggsvm: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
