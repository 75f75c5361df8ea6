#include "vgg/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
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

int vgg_cli_main(const char *prog, const vgg_command *commands, size_t n, const char *footer,
                 int argc, char **argv)
{
    const char *sub = NULL;   /* for the message; named before the command permutes argv */
    for (size_t i = 0; argc >= 2 && i < n && !sub; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            sub = commands[i].name;
    return vgg_stdout_finish(prog, sub, run_command(prog, commands, n, footer, argc, argv));
}

/* ---- getopt_long's '?' in words ---- */

/* The long option named by text (after "--", up to '=' or the end):
 * exact, else the one it abbreviates; NULL when none or ambiguous. */
static const struct option *find_long(const struct option *longopts, const char *text)
{
    size_t len = strcspn(text, "=");
    const struct option *hit = NULL;
    int n = 0;
    for (const struct option *o = longopts; o && o->name; o++) {
        if (strncmp(o->name, text, len) != 0)
            continue;
        if (strlen(o->name) == len)
            return o;
        hit = o;
        n++;
    }
    return n == 1 ? hit : NULL;
}

/* "; ... goes after '--'" for an argument that may be a file's name */
static const char *file_hint(const char *arg)
{
    return arg && (strlen(arg) > 2 || strpbrk(arg, "./")) ? arg : NULL;
}

vgg_status vgg_cli_bad_option(int argc, char **argv, const char *optstring,
                              const struct option *longopts)
{
    const char *prev = optind >= 1 && optind - 1 < argc ? argv[optind - 1] : NULL;
    /* a long option: unknown, lacking its value (the last argument) or
     * given one it does not take */
    if (prev && strncmp(prev, "--", 2) == 0 && prev[2]) {
        const struct option *o = find_long(longopts, prev + 2);
        bool has_value = strchr(prev, '=') != NULL;
        int len = (int)strcspn(prev, "=");
        if (!o) {
            if (strpbrk(prev, "./"))
                return vgg_fail(VGG_STATUS_INVALID, "unknown option '%.*s'; a file whose name "
                                "starts with '-' goes after '--', which ends the options: -- %s",
                                len, prev, prev);
            return vgg_fail(VGG_STATUS_INVALID, "unknown option '%.*s'", len, prev);
        }
        if (o->has_arg == required_argument && !has_value && optind >= argc)
            return vgg_fail(VGG_STATUS_INVALID, "--%s needs a value", o->name);
        if (o->has_arg == no_argument && has_value)
            return vgg_fail(VGG_STATUS_INVALID, "--%s takes no value ('%s')", o->name, prev);
    }
    int c = optopt;
    if (c > 0 && c < 256 && c != ':' && c != '?') {
        const char *at = strchr(optstring, c);
        if (at && at[1] == ':')
            return vgg_fail(VGG_STATUS_INVALID, "-%c needs a value", c);
        /* the argument holding it: the one before optind when c ended it,
         * else the one at optind (getopt_long is still inside it) */
        const char *arg = NULL;
        if (prev && prev[0] == '-' && prev[1] != '-' && prev[strlen(prev) - 1] == c)
            arg = prev;
        else if (optind < argc && argv[optind][0] == '-' && argv[optind][1] != '-' &&
                 strchr(argv[optind] + 1, c))
            arg = argv[optind];
        const char *f = file_hint(arg);
        if (f)
            return vgg_fail(VGG_STATUS_INVALID, "unknown option '-%c' (in '%s'); a file whose "
                            "name starts with '-' goes after '--', which ends the options: "
                            "-- %s", c, f, f);
        return vgg_fail(VGG_STATUS_INVALID, "unknown option '-%c'", c);
    }
    return vgg_fail(VGG_STATUS_INVALID, "unknown option '%s' or a missing value",
                    prev ? prev : "?");
}

int vgg_cli_option_error(const char *prog, const char *cmd, int argc, char **argv,
                         const char *optstring, const struct option *longopts,
                         void (*usage)(FILE *))
{
    vgg_cli_bad_option(argc, argv, optstring, longopts);
    fprintf(stderr, "%s %s: %s\n", prog, cmd, vgg_last_error());
    if (usage)
        usage(stderr);
    return 2;
}
