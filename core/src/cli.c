#include "vgg/cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vgg/core.h"

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

int vgg_stdout_finish(const char *prog, const char *sub, int rc)
{
    errno = 0;
    int flushed = fflush(stdout);
    int e = errno;
    if (flushed == 0 && !ferror(stdout))
        return rc;
    /* an earlier buffer that failed to go out leaves ferror set and its
     * errno gone: the reason is then the one a write would give now */
    if (flushed == 0 || e == 0)
        e = EIO;
    fprintf(stderr, "%s%s%s: cannot write to standard output: %s\n", prog, sub ? " " : "",
            sub ? sub : "", strerror(e));
    return rc ? rc : 1;
}

static int run_command(const char *prog, const vgg_command *commands, size_t n,
                       const char *footer, int argc, char **argv)
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
    if (strcmp(arg, "--version") == 0) {
        printf("%s %s\n", prog, VGG_VERSION_STRING);
        return 0;
    }
    for (size_t i = 0; i < n; i++)
        if (strcmp(arg, commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "%s: unknown command '%s'\n", prog, arg);
    usage(stderr, prog, commands, n, footer);
    return 2;
}

int vgg_cli_main(const char *prog, const vgg_command *commands, size_t n, const char *footer,
                 int argc, char **argv)
{
    const char *sub = NULL;   /* for the message; named before the command permutes argv */
    for (size_t i = 0; argc >= 2 && i < n && !sub; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            sub = commands[i].name;
    return vgg_stdout_finish(prog, sub, run_command(prog, commands, n, footer, argc, argv));
}
