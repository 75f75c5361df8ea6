/* vggtrain eval: top-1 / top-5 error as in the paper's Tables 3-6:
 * centre crop, dense (score map and flip averaged), multi-crop (grid x
 * grid x 2 flips), each at one or several scales Q, dense and multi-crop
 * combined, and ensembles of several nets (softmax averaged); the
 * arithmetic is vgg_pretrain_table (pretrain/src/table.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/pretrain.h"

#define MAX_NETS 8
#define MAX_Q VGG_PRETRAIN_MAX_Q

static void usage(FILE *fp)
{
    fprintf(fp,
"usage: vggtrain eval -w WEIGHTS [-w WEIGHTS ...] (--data DIR | --list FILE --classes FILE)\n"
"                     [--scales Q,Q,...] [--methods LIST] [--grid N] [--limit N]\n"
"  -w, --weights FILE  a net (several: each alone, then their ensemble)\n"
"  --scales Q,...      test scales (smallest image side); default the net's input size;\n"
"                      given once: every net; given once per -w: the k-th for the k-th\n"
"                      net (an ensemble of nets each at its own scales, Table 6)\n"
"  --methods LIST      any of center,dense,multi,combined or all (default all)\n"
"  --grid N            multi-crop grid, N x N crops x 2 flips per scale (5)\n"
"  --limit N           the first N images only\n"
"  --threads N         compute threads, at most " VGG_MAX_THREADS_TEXT
                       " (default 0: one per core, as many\n"
"                      as the address-space limit, ulimit -v, leaves room for)\n"
"  --device cpu|cpu-ref|cuda[:N]\n"
"Prints a table: ConvNet, test scale Q, method, top-1 and top-5 error (%%).\n");
}

typedef struct eval_args {
    const char *weights[MAX_NETS], *scales[MAX_NETS];
    const char *data, *list, *classes, *device;
    int n_nets, n_scales, grid, threads, methods;
    long limit;
} eval_args;

/* The command line into a: -1 to go on, else the exit code (0 after
 * --help, 2 after a usage error). */
static int parse_eval_args(int argc, char **argv, eval_args *a)
{
    static const struct option opts[] = {
        { "weights", 1, NULL, 'w' }, { "data", 1, NULL, 'D' }, { "list", 1, NULL, 'L' },
        { "classes", 1, NULL, 'C' }, { "scales", 1, NULL, 'q' }, { "methods", 1, NULL, 'm' },
        { "grid", 1, NULL, 'g' }, { "limit", 1, NULL, 'n' }, { "threads", 1, NULL, 't' },
        { "device", 1, NULL, 'd' }, { "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    int c;
    optind = 1;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
        const char *err = NULL;
        switch (c) {
        case 'w':
            if (a->n_nets == MAX_NETS) {
                fprintf(stderr, "vggtrain eval: at most %d nets\n", MAX_NETS);
                return 2;
            }
            a->weights[a->n_nets++] = optarg;
            break;
        case 'D': a->data = optarg; break;
        case 'L': a->list = optarg; break;
        case 'C': a->classes = optarg; break;
        case 'q':
            if (a->n_scales == MAX_NETS)
                err = "--scales at most once per net";
            else
                a->scales[a->n_scales++] = optarg;
            break;
        case 'm':
            if (vgg_pretrain_parse_methods(optarg, &a->methods) != VGG_STATUS_OK)
                err = vgg_last_error();
            break;
        case 'g':
            a->grid = atoi(optarg);
            if (a->grid < 1 || a->grid > 16)
                err = "--grid 1..16";
            break;
        case 'n': a->limit = atol(optarg); break;
        case 't':
            if (vgg_threads_parse("--threads", optarg, 0, &a->threads) != VGG_STATUS_OK)
                err = vgg_last_error();
            break;
        case 'd': a->device = optarg; break;
        case 'h': usage(stdout); return 0;
        default: return vgg_cli_option_error("vggtrain", "eval", argc, argv, "w:h", opts, usage);
        }
        if (err) {
            fprintf(stderr, "vggtrain eval: %s\n", err);
            return 2;
        }
    }
    const char *why = optind != argc ? "unexpected argument"
                      : a->n_nets == 0 ? "-w WEIGHTS is required (a trained net)"
                      : !a->data == !a->list ? "give --data DIR or --list FILE, one of them"
                      : a->list && !a->classes ? "--list needs --classes FILE" : NULL;
    if (why) {
        if (optind != argc)
            fprintf(stderr, "vggtrain eval: %s '%s'\n", why, argv[optind]);
        else
            fprintf(stderr, "vggtrain eval: %s\n", why);
        usage(stderr);
        return 2;
    }
    if (a->n_scales > 1 && a->n_scales != a->n_nets) {
        fprintf(stderr, "vggtrain eval: --scales given %d times for %d nets: give it once (every "
                "net) or once per -w\n", a->n_scales, a->n_nets);
        return 2;
    }
    if (!a->methods)
        a->methods = 15;
    return -1;
}

int cmd_eval(int argc, char **argv)
{
    eval_args a = { .device = "cpu", .grid = 5 };
    int rc = parse_eval_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    vgg_pretrain_dataset *ds = NULL;
    vgg_backend *be = NULL;
    vgg_net *nets[MAX_NETS] = { 0 };
    vgg_pretrain_table *t = NULL;
    int nq[MAX_NETS] = { 0 }, qs[MAX_NETS][MAX_Q];
    const int *qsp[MAX_NETS];
    for (int k = 0; k < MAX_NETS; k++)
        qsp[k] = qs[k];
    long long evaluated = 0, unreadable = 0;
    vgg_status st = a.data ? vgg_pretrain_dataset_from_folders(a.data, &ds)
                           : vgg_pretrain_dataset_from_list(a.list, a.classes, &ds);
    if (st == VGG_STATUS_OK)
        st = vgg_backend_open(a.device, a.threads, &be);
    if (st == VGG_STATUS_OK)
        st = vgg_pretrain_eval_nets_load(a.weights, a.n_nets, a.scales, a.n_scales, ds, be,
                                         nets, qs, nq);
    if (st == VGG_STATUS_OK)
        st = vgg_pretrain_table_create_per_net(a.n_nets, qsp, nq, a.methods, a.grid,
                                               ds->n_classes, &t);
    if (st == VGG_STATUS_OK)
        st = vgg_pretrain_table_add_dataset(t, nets, ds, a.limit > 0 ? (size_t)a.limit : 0,
                                            eval_note_line, NULL, &evaluated, &unreadable);
    if (st == VGG_STATUS_OK) {
        eval_print_table(t, a.weights, a.n_nets, qs, nq, a.methods);
        eval_print_counts(evaluated, unreadable);
    } else {
        fprintf(stderr, "vggtrain eval: %s\n", vgg_last_error());
    }
    vgg_pretrain_table_free(t);
    for (int k = 0; k < a.n_nets; k++)
        vgg_net_free(nets[k]);
    vgg_backend_close(be);
    vgg_pretrain_dataset_free(ds);
    return st == VGG_STATUS_OK ? 0 : 1;
}
