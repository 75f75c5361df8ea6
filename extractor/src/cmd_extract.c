/* vggfeat extract: descriptors for a list of images into a feature store;
 * the options configure an extraction job (vgg/extract.h) and run it. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "inputs.h"
#include "vgg/extract.h"
#include "vgg/features.h"
#include "vgg/image.h"
#include "vgg/net.h"


static void usage(FILE *fp)
{
    fprintf(fp,
"usage: vggfeat extract [options] -o FEATURES INPUT...\n"
"Compute the paper's dense multi-scale descriptor for every image into the\n"
"feature store FEATURES.  INPUTs are image files or directories (searched\n"
"recursively, sorted, images recognised by content).  Rerunning the same\n"
"command after an interruption resumes where it stopped.\n"
"\n"
"  --net LIST         nets, stacked in this order: letters A B C D E (resolved in\n"
"                     the models folder: vgg11 vgg13 vgg16c vgg16 vgg19\n"
"                     .safetensors) or weight files (default D)\n"
"  --models DIR       the models folder (default $VGGFEAT_MODELS, else ./models)\n"
"  --scales LIST      smallest-side sizes Q, e.g. 256,384 (default 256)\n"
"  --aggregate MODE   stack (default) or average the scales\n"
"  --layer NAME       fc7 (default), fc6 or pool5, global-average-pooled\n"
"  --no-flip          skip averaging with the horizontally flipped image\n"
"  --l2 WHERE         final (default: one L2 over the stacked row), per-net (each\n"
"                     net's part L2-normalised, then the row again) or none\n"
"  --no-l2            the same as --l2 none\n"
"  --list FILE        more inputs: one path per line, optionally a TAB and a label\n"
"  --shard K/N        only every N-th input, starting at K (0 <= K < N)\n"
"  --on-error MODE    fail (default: stop at an unreadable image) or skip (log,\n"
"                     count and go on)\n"
"  --threads N        threads for the nets (default 0: all cores)\n"
"  --loaders N        threads decoding and resizing ahead (default 2)\n"
"  --device DEV       cpu (default) or cuda:N\n"
"  --precision P      fp32 (default); tf32 (GPU tensor cores, descriptors within\n"
"                     about 1e-3); bf16 (--device cpu with AVX512-BF16 or AMX: up to\n"
"                     2x faster, descriptors within about 1e-2, see docs/extract.md)\n"
"  --workspace MB     the most GPU workspace one convolution may use (default 1024)\n"
"                     (both default to $VGG_PRECISION, $VGG_WORKSPACE_MB where set)\n"
"  --batch N          run up to N images of the same resized size together\n"
"  --quiet            no progress line and no summary\n"
"  -o, --output FILE  the feature store (created, or resumed if it exists)\n");
}

/* ------------------------------------------------------------ reports */

typedef struct reporter {
    bool quiet;
    bool progress;     /* a progress line (stderr is a terminal) */
    double last_print;
} reporter;

static void on_note(void *ctx, vgg_extract_note_kind kind, const char *text)
{
    const reporter *r = ctx;
    if (kind == VGG_EXTRACT_NOTE_SKIP || !r->quiet)
        fprintf(stderr, "vggfeat extract: %s\n", text);
}

static void format_eta(double s, char *buf, size_t n)
{
    if (!(s >= 0) || s > 1e7)
        snprintf(buf, n, "--");
    else if (s >= 3600)
        snprintf(buf, n, "%dh%02dm", (int)(s / 3600), (int)(s / 60) % 60);
    else if (s >= 60)
        snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)s % 60);
    else
        snprintf(buf, n, "%ds", (int)s);
}

static void on_progress(void *ctx, const vgg_extract_progress *p)
{
    reporter *r = ctx;
    if (!r->progress || p->seconds - r->last_print <= 0.5)
        return;
    double rate = (double)p->done_run / p->seconds;
    char eta[32];
    format_eta(rate > 0 ? (double)p->left_run / rate : -1, eta, sizeof eta);
    fprintf(stderr, "\r%zu/%zu images  %.2f images/s  ETA %s   ", p->done, p->total, rate, eta);
    r->last_print = p->seconds;
}

/* the summary, and the exit status */
static int finish(vgg_status st, const vgg_extract_result *res, const vgg_extract_job *job,
                  const reporter *r, int dim)
{
    if (r->progress)
        fprintf(stderr, "\r%*s\r", 60, "");
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat extract: %s\n", vgg_last_error());
        if (res->stopped_at)
            fprintf(stderr, "vggfeat extract: stopped at '%s'; the store holds %zu rows "
                    "and resumes from there (--on-error skip goes on past bad images)\n",
                    res->stopped_at, res->rows);
    } else if (res->interrupted) {
        fprintf(stderr, "vggfeat extract: interrupted after %zu rows in '%s'; rerun the same "
                "command to resume\n", res->existing + res->written, job->output);
        return vgg_signal_exit_code(vgg_signal_received() ? vgg_signal_received() : SIGINT);
    }
    if (!r->quiet && res->ran) {
        fprintf(stderr, "vggfeat extract: %zu images, %zu skipped, %.1f s, %.2f images/s; "
                "'%s' holds %zu rows of %d floats\n", res->written, res->n_skipped,
                res->seconds, res->seconds > 0 ? (double)res->written / res->seconds : 0.0,
                job->output, res->existing + res->written, dim);
        if (res->written > 0)
            fprintf(stderr, "vggfeat extract: decoding %.2f images/s (%d loader%s), nets %.2f "
                    "images/s%s\n", res->decode_rate, job->loaders, job->loaders == 1 ? "" : "s",
                    res->net_rate, res->decode_rate < res->net_rate
                                       ? ": the loaders are the bottleneck (raise --loaders)"
                                       : "");
        for (size_t i = 0; i < res->n_skipped; i++)
            fprintf(stderr, "  skipped '%s': %s\n", res->skipped_paths[i], res->skipped_whys[i]);
    }
    if (st != VGG_STATUS_OK)
        return 1;
    if (res->n_skipped > 0 && res->written == 0 && res->existing == 0)
        return 1; /* nothing at all could be extracted */
    return 0;
}

/* ------------------------------------------------------------ command */

typedef struct extract_args {
    const char *net_arg, *models, *output, *device, *list_file, *precision, *workspace;
    vgg_extract_opts eo;
    int shard_k, shard_n, threads, loaders, batch;
    bool skip_errors, quiet;
} extract_args;

/* the options into a; -1 to go on, else the exit status */
static int parse_args(int argc, char **argv, extract_args *a)
{
    enum { O_MODELS = 256, O_SCALES, O_AGG, O_LAYER, O_NOFLIP, O_NOL2, O_LIST, O_SHARD,
           O_ONERR, O_THREADS, O_LOADERS, O_DEVICE, O_BATCH, O_QUIET, O_NET, O_L2, O_PRECISION,
           O_WORKSPACE };
    static const struct option opts[] = {
        { "net", required_argument, NULL, O_NET },
        { "models", required_argument, NULL, O_MODELS },
        { "scales", required_argument, NULL, O_SCALES },
        { "aggregate", required_argument, NULL, O_AGG },
        { "layer", required_argument, NULL, O_LAYER },
        { "no-flip", no_argument, NULL, O_NOFLIP },
        { "no-l2", no_argument, NULL, O_NOL2 },
        { "l2", required_argument, NULL, O_L2 },
        { "list", required_argument, NULL, O_LIST },
        { "shard", required_argument, NULL, O_SHARD },
        { "on-error", required_argument, NULL, O_ONERR },
        { "threads", required_argument, NULL, O_THREADS },
        { "loaders", required_argument, NULL, O_LOADERS },
        { "device", required_argument, NULL, O_DEVICE },
        { "batch", required_argument, NULL, O_BATCH },
        { "precision", required_argument, NULL, O_PRECISION },
        { "workspace", required_argument, NULL, O_WORKSPACE },
        { "quiet", no_argument, NULL, O_QUIET },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    memset(a, 0, sizeof *a);
    a->net_arg = "D";
    a->device = "cpu";
    vgg_extract_opts_default(&a->eo);
    a->shard_n = 1;
    a->loaders = 2;
    a->batch = 1;
    int c;
    char *end;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case O_NET: a->net_arg = optarg; break;
        case O_MODELS: a->models = optarg; break;
        case O_SCALES:
            if (vgg_parse_int_list(optarg, a->eo.scales, VGG_FEAT_MAX_SCALES, &a->eo.n_scales) !=
                VGG_STATUS_OK) {
                fprintf(stderr, "vggfeat extract: --scales: %s\n", vgg_last_error());
                return 2;
            }
            for (int s = 0; s < a->eo.n_scales; s++)
                if (a->eo.scales[s] < 1 || a->eo.scales[s] > 100000) {
                    fprintf(stderr, "vggfeat extract: --scales: %d is not a usable size\n",
                            a->eo.scales[s]);
                    return 2;
                }
            break;
        case O_AGG:
            if (strcmp(optarg, "stack") == 0)
                a->eo.aggregate = VGG_AGGREGATE_STACK;
            else if (strcmp(optarg, "average") == 0)
                a->eo.aggregate = VGG_AGGREGATE_AVERAGE;
            else {
                fprintf(stderr, "vggfeat extract: --aggregate '%s': stack or average\n", optarg);
                return 2;
            }
            break;
        case O_LAYER:
            if (vgg_extract_layer_parse(optarg, &a->eo.layer) != VGG_STATUS_OK) {
                fprintf(stderr, "vggfeat extract: --layer: %s\n", vgg_last_error());
                return 2;
            }
            break;
        case O_NOFLIP: a->eo.flip = false; break;
        case O_NOL2: a->eo.l2 = false, a->eo.l2_per_net = false; break;
        case O_L2:
            if (strcmp(optarg, "final") == 0)
                a->eo.l2 = true, a->eo.l2_per_net = false;
            else if (strcmp(optarg, "per-net") == 0)
                a->eo.l2 = true, a->eo.l2_per_net = true;
            else if (strcmp(optarg, "none") == 0)
                a->eo.l2 = false, a->eo.l2_per_net = false;
            else {
                fprintf(stderr, "vggfeat extract: --l2 '%s': final, per-net or none\n", optarg);
                return 2;
            }
            break;
        case O_LIST: a->list_file = optarg; break;
        case O_SHARD:
            if (sscanf(optarg, "%d/%d", &a->shard_k, &a->shard_n) != 2 || a->shard_n < 1 ||
                a->shard_k < 0 || a->shard_k >= a->shard_n) {
                fprintf(stderr, "vggfeat extract: --shard '%s': expected K/N with 0 <= K < N\n",
                        optarg);
                return 2;
            }
            break;
        case O_ONERR:
            if (strcmp(optarg, "fail") == 0)
                a->skip_errors = false;
            else if (strcmp(optarg, "skip") == 0)
                a->skip_errors = true;
            else {
                fprintf(stderr, "vggfeat extract: --on-error '%s': fail or skip\n", optarg);
                return 2;
            }
            break;
        case O_THREADS:
        case O_LOADERS:
        case O_BATCH: {
            long v = strtol(optarg, &end, 10);
            if (*end || v < (c == O_THREADS ? 0 : 1) || v > 1024) {
                fprintf(stderr, "vggfeat extract: '%s' is not a usable count\n", optarg);
                return 2;
            }
            if (c == O_THREADS)
                a->threads = (int)v;
            else if (c == O_LOADERS)
                a->loaders = (int)v;
            else
                a->batch = (int)v;
            break;
        }
        case O_DEVICE: a->device = optarg; break;
        case O_PRECISION:
        case O_WORKSPACE: {
            vgg_device_opts check;
            const char *name = c == O_PRECISION ? "precision" : "workspace";
            if (vgg_device_opts_set(&check, name, optarg) != VGG_STATUS_OK) {
                fprintf(stderr, "vggfeat extract: %s\n", vgg_last_error());
                return 2;
            }
            *(c == O_PRECISION ? &a->precision : &a->workspace) = optarg;
            break;
        }
        case O_QUIET: a->quiet = true; break;
        case 'o': a->output = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!a->output) {
        fprintf(stderr, "vggfeat extract: no feature store given (-o FEATURES)\n");
        usage(stderr);
        return 2;
    }
    if (optind >= argc && !a->list_file) {
        fprintf(stderr, "vggfeat extract: no inputs (files, directories or --list FILE)\n");
        usage(stderr);
        return 2;
    }
    return -1;
}

int cmd_extract(int argc, char **argv)
{
    extract_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    rc = 1;
    input_list inputs = { 0 };
    input_scan scan = { 0 };
    vgg_extract_nets nets;
    memset(&nets, 0, sizeof nets);
    vgg_extractor *ex = NULL;
    vgg_extract_item *items = NULL;
    /* inputs, in order: the arguments, then the list */
    for (int i = optind; i < argc; i++) {
        struct stat sb;
        int r = stat(argv[i], &sb) == 0 && S_ISDIR(sb.st_mode) ? inputs_add_directory(&inputs, argv[i], &scan)
                                                               : input_add(&inputs, argv[i], NULL);
        if (r != 0)
            goto done;
    }
    if (a.list_file && inputs_add_list_file(&inputs, a.list_file, "vggfeat extract") != 0)
        goto done;
    if (inputs.n == 0) {
        fprintf(stderr, "vggfeat extract: no images found in the inputs\n");
        input_scan_print(stderr, "vggfeat extract", &scan);
        goto done;
    }
    vgg_extract_job job;
    vgg_extract_job_default(&job);
    /* name and label slots fit every input (before sharding, so that the
     * shards and the unsharded store share one layout) */
    if (inputs_layout(&inputs, &job.layout, "vggfeat extract") != 0)
        goto done;
    if (!(items = malloc(inputs.n * sizeof *items)))
        goto done;
    for (size_t i = 0; i < inputs.n; i++)
        items[i] = (vgg_extract_item){ inputs.v[i].path, inputs.v[i].label, inputs.v[i].index };
    vgg_device_opts dev;
    if (vgg_device_opts_command(a.device, a.precision, a.workspace, false, &dev) != VGG_STATUS_OK ||
        vgg_extract_nets_open_opts(a.net_arg, a.models, a.device, a.threads, &dev, &nets) !=
            VGG_STATUS_OK ||
        vgg_extractor_create(nets.nets, nets.names, nets.n, &a.eo, &ex) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat extract: %s\n", vgg_last_error());
        goto done;
    }
    /* the one output rule: the store is none of the inputs, the list or the
     * weights */
    const char **ins = malloc(((size_t)argc + 1 + VGG_FEAT_MAX_NETS) * sizeof *ins);
    size_t n_ins = 0;
    if (!ins)
        goto done;
    for (int i = optind; i < argc; i++)
        ins[n_ins++] = argv[i];
    if (a.list_file)
        ins[n_ins++] = a.list_file;
    for (int j = 0; j < nets.n; j++)
        if (nets.paths[j])
            ins[n_ins++] = nets.paths[j];
    vgg_status ost = vgg_output_check(a.output, ins, n_ins);
    free(ins);
    if (ost != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat extract: %s\n", vgg_last_error());
        goto done;
    }
    reporter rep = { a.quiet, !a.quiet && isatty(2), 0 };
    job.items = items;
    job.n_items = inputs.n;
    job.shard_k = a.shard_k;
    job.shard_n = a.shard_n;
    job.output = a.output;
    job.skip_errors = a.skip_errors;
    job.loaders = a.loaders;
    job.batch = a.batch;
    job.note = on_note;
    job.progress = on_progress;
    job.ctx = &rep;
    vgg_extract_result res;
    vgg_status st = vgg_signals_install();
    if (st == VGG_STATUS_OK)
        st = vgg_extract_job_run(ex, &job, &res);
    else
        memset(&res, 0, sizeof res);
    vgg_signals_restore();
    rc = finish(st, &res, &job, &rep, vgg_extractor_dim(ex));
    if (!a.quiet || st != VGG_STATUS_OK)
        input_scan_print(stderr, "vggfeat extract", &scan);
    vgg_extract_result_free(&res);
done:
    vgg_extractor_free(ex);
    vgg_extract_nets_close(&nets);
    free(items);
    inputs_free(&inputs);
    input_scan_free(&scan);
    return rc;
}
