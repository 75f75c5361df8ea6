#include "vgg/cli.h"

#include <stdio.h>
#include <string.h>

#include "vgg/core.h"
#include "vgg/paths.h"

static void usage(FILE *fp, const char *prog, const vgg_command *commands, size_t n,
                  const char *footer)
{
    int width = 0;
    for (size_t i = 0; i < n; i++)
        if ((int)strlen(commands[i].name) > width)
            width = (int)strlen(commands[i].name);
    fprintf(fp, "usage: %s COMMAND [options]   (%s COMMAND --help for its options)\n\n", prog,
            prog);
    for (size_t i = 0; i < n; i++)
        fprintf(fp, "  %-*s  %s\n", width, commands[i].name, commands[i].help);
    if (footer)
        fprintf(fp, "\n%s", footer);
}

/* "prog VERSION", the build's options, and where the installed data is */
static void version(const char *prog)
{
    const char *data = vgg_data_dir();
    printf("%s %s\n", prog, VGG_VERSION_STRING);
    printf("build: %s\n", VGG_BUILD_INFO);
    if (data)
        printf("data: %s\n", data);
    else
        printf("data: none installed beside this program\n");
}

int vgg_cli_main(const char *prog, const vgg_command *commands, size_t n, const char *footer,
                 int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr, prog, commands, n, footer);
        return 2;
    }
    const char *arg = argv[1];
    if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 || strcmp(arg, "help") == 0) {
        usage(stdout, prog, commands, n, footer);
        return 0;
    }
    if (strcmp(arg, "--version") == 0 || strcmp(arg, "version") == 0) {
        version(prog);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(arg, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command '%s'\n", prog, arg);
    usage(stderr, prog, commands, n, footer);
    return 2;
}
