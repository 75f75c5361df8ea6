/* The options of `vggfeat extract` (parsed and checked here, so that the
 * command only parses, checks, calls and reports) and its reports: notes,
 * the progress line and the summary. */
#include "extract_cli.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vgg_extract_cli_usage(FILE *fp)
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
"  --list FILE        more inputs: one path per line, optionally a TAB and a label,\n"
"                     optionally a TAB and a box: path<TAB>label<TAB>box=x1,y1,x2,y2\n"
"                     (pixels of the image as shown, after EXIF orientation; 0-based,\n"
"                     x2 and y2 exclusive; the label may be empty).  A box's row is\n"
"                     its crop's descriptor, named path#x1,y1,x2,y2\n"
"  --with-image       with boxes: each row is the box's descriptor followed by its\n"
"                     whole image's (twice the dimension; the paper's action\n"
"                     classification)\n"
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
"  --batch N|auto     run up to N consecutive images of the same resized size\n"
"                     together (default 1: rows byte-identical however a run is\n"
"                     resumed or sharded); auto: while a run holds at most\n"
"                     4 x 256x384 pixels with the flips, up to 16 images (two at\n"
"                     Q=256, 20%% faster on a CPU; one at Q=384 and above); batched\n"
"                     rows may differ in the last bits (see docs/extract.md)\n"
"  --quiet            no progress line and no summary\n"
"  -o, --output FILE  the feature store (created, or resumed if it exists)\n");
}

/* ------------------------------------------------------------ options */

enum { O_MODELS = 256, O_SCALES, O_AGG, O_LAYER, O_NOFLIP, O_NOL2, O_LIST, O_SHARD, O_ONERR,
       O_THREADS, O_LOADERS, O_DEVICE, O_BATCH, O_QUIET, O_NET, O_L2, O_PRECISION, O_WORKSPACE,
       O_WITH_IMAGE };

static const struct option long_opts[] = {
    { "net", required_argument, NULL, O_NET },
    { "models", required_argument, NULL, O_MODELS },
    { "scales", required_argument, NULL, O_SCALES },
    { "aggregate", required_argument, NULL, O_AGG },
    { "layer", required_argument, NULL, O_LAYER },
    { "no-flip", no_argument, NULL, O_NOFLIP },
    { "no-l2", no_argument, NULL, O_NOL2 },
    { "l2", required_argument, NULL, O_L2 },
    { "list", required_argument, NULL, O_LIST },
    { "with-image", no_argument, NULL, O_WITH_IMAGE },
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

static vgg_status parse_scales(const char *text, vgg_extract_opts *eo)
{
    if (vgg_parse_int_list(text, eo->scales, VGG_FEAT_MAX_SCALES, &eo->n_scales) !=
        VGG_STATUS_OK)
        return vgg_fail_context(VGG_STATUS_INVALID, "--scales: ");
    for (int s = 0; s < eo->n_scales; s++)
        if (eo->scales[s] < 1 || eo->scales[s] > 100000)
            return vgg_fail(VGG_STATUS_INVALID, "--scales: %d is not a usable size",
                            eo->scales[s]);
    return VGG_STATUS_OK;
}

static vgg_status parse_l2(const char *text, vgg_extract_opts *eo)
{
    if (strcmp(text, "final") == 0)
        eo->l2 = true, eo->l2_per_net = false;
    else if (strcmp(text, "per-net") == 0)
        eo->l2 = true, eo->l2_per_net = true;
    else if (strcmp(text, "none") == 0)
        eo->l2 = false, eo->l2_per_net = false;
    else
        return vgg_fail(VGG_STATUS_INVALID, "--l2 '%s': final, per-net or none", text);
    return VGG_STATUS_OK;
}

/* --threads, --loaders, --batch */
static vgg_status parse_count(int c, const char *text, vgg_extract_cli *a)
{
    if (c == O_BATCH && strcmp(text, "auto") == 0) {
        a->batch = 0;
        return VGG_STATUS_OK;
    }
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || end == text || v < (c == O_THREADS ? 0 : 1) || v > 1024)
        return vgg_fail(VGG_STATUS_INVALID, "'%s' is not a usable count", text);
    *(c == O_THREADS ? &a->threads : c == O_LOADERS ? &a->loaders : &a->batch) = (int)v;
    return VGG_STATUS_OK;
}

/* one option (c, as getopt_long returns it) into a */
static vgg_status parse_one(int c, const char *arg, vgg_extract_cli *a)
{
    vgg_device_opts check;
    switch (c) {
    case O_NET: a->net_arg = arg; return VGG_STATUS_OK;
    case O_MODELS: a->models = arg; return VGG_STATUS_OK;
    case O_SCALES: return parse_scales(arg, &a->eo);
    case O_AGG:
        if (strcmp(arg, "stack") != 0 && strcmp(arg, "average") != 0)
            return vgg_fail(VGG_STATUS_INVALID, "--aggregate '%s': stack or average", arg);
        a->eo.aggregate = arg[0] == 's' ? VGG_AGGREGATE_STACK : VGG_AGGREGATE_AVERAGE;
        return VGG_STATUS_OK;
    case O_LAYER:
        if (vgg_extract_layer_parse(arg, &a->eo.layer) != VGG_STATUS_OK)
            return vgg_fail_context(VGG_STATUS_INVALID, "--layer: ");
        return VGG_STATUS_OK;
    case O_NOFLIP: a->eo.flip = false; return VGG_STATUS_OK;
    case O_NOL2: return parse_l2("none", &a->eo);
    case O_L2: return parse_l2(arg, &a->eo);
    case O_LIST: a->list_file = arg; return VGG_STATUS_OK;
    case O_WITH_IMAGE: a->eo.with_image = true; return VGG_STATUS_OK;
    case O_SHARD:
        if (sscanf(arg, "%d/%d", &a->shard_k, &a->shard_n) != 2 || a->shard_n < 1 ||
            a->shard_k < 0 || a->shard_k >= a->shard_n)
            return vgg_fail(VGG_STATUS_INVALID, "--shard '%s': expected K/N with 0 <= K < N",
                            arg);
        return VGG_STATUS_OK;
    case O_ONERR:
        if (strcmp(arg, "fail") != 0 && strcmp(arg, "skip") != 0)
            return vgg_fail(VGG_STATUS_INVALID, "--on-error '%s': fail or skip", arg);
        a->skip_errors = arg[0] == 's';
        return VGG_STATUS_OK;
    case O_THREADS: case O_LOADERS: case O_BATCH: return parse_count(c, arg, a);
    case O_DEVICE: a->device = arg; return VGG_STATUS_OK;
    case O_PRECISION: case O_WORKSPACE:
        if (vgg_device_opts_set(&check, c == O_PRECISION ? "precision" : "workspace", arg) !=
            VGG_STATUS_OK)
            return VGG_STATUS_INVALID;
        *(c == O_PRECISION ? &a->precision : &a->workspace) = arg;
        return VGG_STATUS_OK;
    case O_QUIET: a->quiet = true; return VGG_STATUS_OK;
    case 'o': a->output = arg; return VGG_STATUS_OK;
    default: return vgg_fail(VGG_STATUS_INVALID, "unknown option or a missing value");
    }
}

vgg_status vgg_extract_cli_parse(int argc, char **argv, vgg_extract_cli *a)
{
    memset(a, 0, sizeof *a);
    a->net_arg = "D";
    a->device = "cpu";
    vgg_extract_opts_default(&a->eo);
    a->shard_n = 1;
    a->loaders = 2;
    a->batch = 1;
    int c;
    optind = 1;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "o:h", long_opts, NULL)) != -1) {
        if (c == 'h') {
            a->help = true;
            return VGG_STATUS_OK;
        }
        if (c == '?')
            return vgg_fail(VGG_STATUS_INVALID, "unknown option '%s' or a missing value",
                            argv[optind - 1]);
        vgg_status st = parse_one(c, optarg, a);
        if (st != VGG_STATUS_OK)
            return st;
    }
    a->inputs = argv + optind;
    a->n_inputs = argc - optind;
    if (!a->output)
        return vgg_fail(VGG_STATUS_INVALID, "no feature store given (-o FEATURES)");
    if (a->n_inputs == 0 && !a->list_file)
        return vgg_fail(VGG_STATUS_INVALID, "no inputs (files, directories or --list FILE)");
    return VGG_STATUS_OK;
}

vgg_status vgg_extract_cli_check_output(const vgg_extract_cli *a, const vgg_extract_nets *nets)
{
    /* the one output rule: the store is none of the inputs, the list or the
     * weights */
    const char **ins = malloc(((size_t)a->n_inputs + 1 + VGG_FEAT_MAX_NETS) * sizeof *ins);
    if (!ins)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    size_t n = 0;
    for (int i = 0; i < a->n_inputs; i++)
        ins[n++] = a->inputs[i];
    if (a->list_file)
        ins[n++] = a->list_file;
    for (int j = 0; j < nets->n; j++)
        if (nets->paths[j])
            ins[n++] = nets->paths[j];
    vgg_status st = vgg_output_check(a->output, ins, n);
    free(ins);
    return st;
}

/* ------------------------------------------------------------ reports */

void vgg_extract_cli_note(void *ctx, vgg_extract_note_kind kind, const char *text)
{
    const vgg_extract_reporter *r = ctx;
    if (kind == VGG_EXTRACT_NOTE_SKIP || !r->quiet)
        fprintf(r->fp, "vggfeat extract: %s\n", text);
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

void vgg_extract_cli_progress(void *ctx, const vgg_extract_progress *p)
{
    vgg_extract_reporter *r = ctx;
    if (!r->progress || p->seconds - r->last_print <= 0.5)
        return;
    double rate = (double)p->done_run / p->seconds;
    char eta[32];
    format_eta(rate > 0 ? (double)p->left_run / rate : -1, eta, sizeof eta);
    fprintf(r->fp, "\r%zu/%zu images  %.2f images/s  ETA %s   ", p->done, p->total, rate, eta);
    r->last_print = p->seconds;
}

static void print_summary(const vgg_extract_result *res, const vgg_extract_job *job,
                          const vgg_extract_reporter *r, int dim)
{
    fprintf(r->fp, "vggfeat extract: %zu images, %zu skipped, %.1f s, %.2f images/s; "
            "'%s' holds %zu rows of %d floats\n", res->written, res->n_skipped,
            res->seconds, res->seconds > 0 ? (double)res->written / res->seconds : 0.0,
            job->output, res->existing + res->written, dim);
    if (res->written > 0)
        fprintf(r->fp, "vggfeat extract: decoding %.2f images/s (%d loader%s), nets %.2f "
                "images/s%s\n", res->decode_rate, job->loaders, job->loaders == 1 ? "" : "s",
                res->net_rate, res->decode_rate < res->net_rate
                                   ? ": the loaders are the bottleneck (raise --loaders)"
                                   : "");
    for (size_t i = 0; i < res->n_skipped; i++)
        fprintf(r->fp, "  skipped '%s': %s\n", res->skipped_paths[i], res->skipped_whys[i]);
}

int vgg_extract_cli_finish(vgg_status st, const vgg_extract_result *res,
                           const vgg_extract_job *job, const vgg_extract_reporter *r, int dim)
{
    if (r->progress)
        fprintf(r->fp, "\r%*s\r", 60, "");
    if (st != VGG_STATUS_OK) {
        fprintf(r->fp, "vggfeat extract: %s\n", vgg_last_error());
        if (res->stopped_at)
            fprintf(r->fp, "vggfeat extract: stopped at '%s'; the store holds %zu rows "
                    "and resumes from there (--on-error skip goes on past bad images)\n",
                    res->stopped_at, res->rows);
    } else if (res->interrupted) {
        fprintf(r->fp, "vggfeat extract: interrupted after %zu rows in '%s'; rerun the same "
                "command to resume\n", res->existing + res->written, job->output);
        return vgg_signal_exit_code(vgg_signal_received() ? vgg_signal_received() : SIGINT);
    }
    if (!r->quiet && res->ran)
        print_summary(res, job, r, dim);
    if (st != VGG_STATUS_OK)
        return 1;
    if (res->n_skipped > 0 && res->written == 0 && res->existing == 0)
        return 1; /* nothing at all could be extracted */
    return 0;
}
