/* vggtrain train: the command line of a training run (the options are
 * set by pretrain/src/options.c, the run is vgg_pretrain_run in
 * pretrain/src/run.c), its messages on stderr and its exit code. */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "train_usage.h"
#include "vgg/pretrain.h"

static void usage(FILE *fp)
{
    fputs(vgg_pretrain_usage, fp);
}

/* For tests (pretrain/README.md): with VGGTRAIN_STOP_AFTER=TEXT in the
 * environment the process stops itself (SIGSTOP) right after the first line
 * it prints that begins with TEXT, so that a test signals it at a known
 * point ("iter 4/": iteration 3's checkpoint is saved, iteration 4's is
 * not) rather than after a delay; SIGCONT goes on. */
static void stop_after(vgg_pretrain_say kind, const char *text)
{
    static bool stopped;
    const char *want = getenv("VGGTRAIN_STOP_AFTER");
    if (stopped || !want || !*want)
        return;
    char line[2200];
    snprintf(line, sizeof line, "%s%s", kind == VGG_PRETRAIN_SAY_NOTE ? "vggtrain train: " : "",
             text);
    if (strncmp(line, want, strlen(want)) == 0) {
        stopped = true;
        raise(SIGSTOP);
    }
}

static void on_say(void *ctx, vgg_pretrain_say kind, const char *text)
{
    (void)ctx;
    if (kind == VGG_PRETRAIN_SAY_NOTE)
        fprintf(stderr, "vggtrain train: %s\n", text);
    else
        fprintf(stderr, "%s\n", text);
    stop_after(kind, text);
}

/* an error of one rank of several ends the job: the others may wait for it */
static int run(vgg_pretrain_config *a)
{
    a->say = on_say;
    vgg_status st = vgg_signals_install();
    if (st == VGG_STATUS_OK)
        st = vgg_pretrain_run(a);
    vgg_signals_restore();
    if (st == VGG_STATUS_OK)
        return 0;
    int code = st == VGG_STATUS_INTERRUPTED ? vgg_signal_exit_code(vgg_signal_received()) : 1;
    if (vgg_pretrain_dist_size(a->dist) > 1) {
        fprintf(stderr, "vggtrain train: rank %d of %d: %s\n", vgg_pretrain_dist_rank(a->dist),
                vgg_pretrain_dist_size(a->dist), vgg_last_error());
        if (st != VGG_STATUS_INTERRUPTED)
            vgg_pretrain_dist_abort(a->dist, code);
    } else {
        fprintf(stderr, "vggtrain train: %s\n", vgg_last_error());
    }
    return code;
}

/* the long options of getopt_long, from the library's table */
static struct option *long_options(void)
{
    int n = 0;
    while (vgg_pretrain_options[n].name)
        n++;
    struct option *o = calloc((size_t)n + 2, sizeof *o);
    for (int i = 0; o && i < n; i++)
        o[i] = (struct option){ vgg_pretrain_options[i].name,
                                vgg_pretrain_options[i].takes_value, NULL, 256 + i };
    if (o)
        o[n] = (struct option){ "help", 0, NULL, 'h' };
    return o;
}

static int parse(int argc, char **argv, vgg_pretrain_config *a)
{
    struct option *opts = long_options();
    if (!opts) {
        fprintf(stderr, "vggtrain train: out of memory\n");
        return 1;
    }
    int c, rc = -1;
    optind = 1;
    opterr = 0;   /* the messages are ours */
    while (rc < 0 && (c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        const char *name = c == 'o' ? "output" : c >= 256 ? opts[c - 256].name : NULL;
        if (name && vgg_pretrain_config_set(a, name, optarg) != VGG_STATUS_OK) {
            fprintf(stderr, "vggtrain train: %s\n", vgg_last_error());
            rc = 2;
        } else if (c == 'h') {
            usage(stdout);
            rc = 0;
        } else if (!name) {
            rc = vgg_cli_option_error("vggtrain", "train", argc, argv, "o:h", opts, usage);
        }
    }
    free(opts);
    if (rc < 0 && optind != argc) {
        fprintf(stderr, "vggtrain train: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        rc = 2;
    }
    return rc;
}

int cmd_train(int argc, char **argv)
{
    vgg_pretrain_config a;
    vgg_pretrain_config_default(&a);
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    vgg_status st = vgg_pretrain_dist_open(&a.dist);
    if (st == VGG_STATUS_OK && (st = vgg_pretrain_config_check(&a)) != VGG_STATUS_OK) {
        fprintf(stderr, "vggtrain train: %s\n", vgg_last_error());
        if (!a.output || (!a.data == !a.list))
            usage(stderr);
        vgg_pretrain_dist_close(a.dist);
        return 2;
    }
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggtrain train: %s\n", vgg_last_error());
        return 1;
    }
    rc = run(&a);
    vgg_pretrain_dist_close(a.dist);
    return rc;
}
