/* The options of `vggfeat extract` (parsed and checked here, so that the
 * command only parses, checks, calls and reports) and its reports: notes,
 * the progress line and the summary. */
#include "extract_cli.h"
#include "vgg/cli.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void vgg_extract_cli_usage(FILE *fp)
{
    fprintf(fp,
"usage: vggfeat extract [options] -o FEATURES INPUT...\n"
"Compute the paper's dense multi-scale descriptor for every image into the\n"
"feature store FEATURES.  INPUTs are image files or directories (searched\n"
"recursively, sorted, images recognised by content).  Rerunning the same\n"
"command after an interruption resumes where it stopped.  A file whose name\n"
"starts with '-' goes after '--', which ends the options.\n"
"\n"
"  --net LIST         nets, stacked in this order: letters A B C D E (resolved in\n"
"                     the models folder: vgg11 vgg13 vgg16c vgg16 vgg19\n"
"                     .safetensors) or weight files (default D); entries that,\n"
"                     joined by their commas, name an existing file are that file\n"
"  --models DIR       the models folder (default $VGGFEAT_MODELS, else ./models,\n"
"                     else the installed share/vggfeat/models: see --version)\n"
"  --scales LIST      smallest-side sizes Q, e.g. 256,384 (default 256)\n"
"  --aggregate MODE   stack (default) or average the scales\n"
"  --layer NAME       fc7 (default), fc6 or pool5, global-average-pooled\n"
"  --no-flip          skip averaging with the horizontally flipped image\n"
"  --l2 WHERE         final (default: one L2 over the stacked row), per-net (each\n"
"                     net's part L2-normalised, then the row again) or none\n"
"  --no-l2            the same as --l2 none\n"
"  --list FILE        more inputs: one path per line, optionally a TAB and a label,\n"
"                     optionally a TAB and a box: path<TAB>label<TAB>box=x1,y1,x2,y2\n"
"                     (spaces around a label are dropped; a byte order mark too)\n"
"                     (pixels of the image as shown, after EXIF orientation; 0-based,\n"
"                     x2 and y2 exclusive; the label may be empty).  A box's row is\n"
"                     its crop's descriptor, named path#x1,y1,x2,y2\n"
"  --with-image       with boxes: each row is the box's descriptor followed by its\n"
"                     whole image's (twice the dimension; the paper's action\n"
"                     classification)\n"
"  --shard K/N        only every N-th input, starting at K (0 <= K < N); the store\n"
"                     records the list and K of N for vggfeat merge\n"
"  --on-error MODE    fail (default: stop at an unreadable image) or skip (log,\n"
"                     count and go on).  Images that Pillow decodes despite\n"
"                     decoder warnings (\"Corrupt JPEG data: ...\") are decoded to\n"
"                     Pillow's pixels and counted in the summary; truncated files\n"
"                     are unreadable, as in Pillow\n"
"  --alpha MODE       transparency: drop (default: the colour as stored, what\n"
"                     Pillow's convert(\"RGB\") and torchvision/timm pipelines give)\n"
"                     or white (composed on white); recorded in the store\n"
"  --max-input-pixels N\n"
"                     the most pixels an image may have once resized to a scale\n"
"                     (default 8388608 = 2^23; each costs the net 512 bytes, twice\n"
"                     with the flip); a larger one is unreadable, named with its\n"
"                     size and the memory it needs; no rule on the aspect ratio\n"
"  --threads N        threads for the nets, at most " VGG_MAX_THREADS_TEXT
                      " (default 0: one per core,\n"
"                     as many as the address-space limit, ulimit -v, leaves room for)\n"
"  --loaders N        threads decoding and resizing ahead, at most " VGG_MAX_THREADS_TEXT "\n"
"                     (default 2)\n"
"  --device DEV       cpu (default), cpu-ref (the plain reference) or cuda:N\n"
"  --precision P      fp32 (default); tf32 (GPU tensor cores, descriptors within\n"
"                     a target of 1e-2, docs/gpu.md); bf16 (--device cpu with AVX512-BF16 or AMX:\n"
"                     descriptors within about 1e-2, faster only where the CPU's bf16\n"
"                     dot product is); int8 (--device cpu with VNNI: 8-bit convolutions and\n"
"                     fc products, descriptors within about 1e-2, 1.4-1.6x faster on\n"
"                     AVX512-VNNI); see docs/extract.md\n"
"  --workspace MB     the most GPU workspace one convolution may use (default 1024)\n"
"                     (both default to $VGG_PRECISION, $VGG_WORKSPACE_MB where set)\n"
"  --batch N|auto     run up to N consecutive images of the same resized size\n"
"                     together (default 1: rows byte-identical however a run is\n"
"                     resumed or sharded); auto: while a run holds at most\n"
"                     4 x 256x384 pixels with the flips, up to 16 images (two at\n"
"                     Q=256, 20%% faster on a CPU; one at Q=384 and above); batched\n"
"                     rows may differ in the last bits (see docs/extract.md)\n"
"  --quiet            no progress line and no summary\n"
"  -o, --output FILE  the feature store (created, or resumed if it exists): a\n"
"                     regular file, never a device, FIFO or '-'\n");
}

/* ------------------------------------------------------------ options */

enum { O_MODELS = 256, O_SCALES, O_AGG, O_LAYER, O_NOFLIP, O_NOL2, O_LIST, O_SHARD, O_ONERR,
       O_THREADS, O_LOADERS, O_DEVICE, O_BATCH, O_QUIET, O_NET, O_L2, O_PRECISION, O_WORKSPACE,
       O_WITH_IMAGE, O_ALPHA, O_MAX_INPUT };

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
    { "alpha", required_argument, NULL, O_ALPHA },
    { "max-input-pixels", required_argument, NULL, O_MAX_INPUT },
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

/* --threads, --loaders (the threads cap every program shares), --batch */
static vgg_status parse_count(int c, const char *text, vgg_extract_cli *a)
{
    if (c == O_THREADS)
        return vgg_threads_parse("--threads", text, 0, &a->threads);
    if (c == O_LOADERS)
        return vgg_threads_parse("--loaders", text, 1, &a->loaders);
    if (strcmp(text, "auto") == 0) {
        a->batch = 0;
        return VGG_STATUS_OK;
    }
    char *end;
    long v = strtol(text, &end, 10);
    if (*end || end == text || v < 1 || v > 1024)
        return vgg_fail(VGG_STATUS_INVALID, "'%s' is not a usable count", text);
    a->batch = (int)v;
    return VGG_STATUS_OK;
}

/* --max-input-pixels: 1 .. 2^31 - 1 (the resized sizes stay ints) */
static vgg_status parse_max_input(const char *text, vgg_extract_opts *eo)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (*end || end == text || errno || v < 1 || v > 2147483647LL)
        return vgg_fail(VGG_STATUS_INVALID, "--max-input-pixels '%s': a number of pixels from 1 "
                        "to 2147483647 (default %zu)", text, VGG_IMAGE_MAX_INPUT_PIXELS);
    eo->max_input_pixels = (size_t)v;
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
    case O_ALPHA:
        if (vgg_alpha_mode_parse(arg, &a->eo.alpha) != VGG_STATUS_OK)
            return vgg_fail(VGG_STATUS_INVALID, "--alpha '%s': drop or white", arg);
        return VGG_STATUS_OK;
    case O_MAX_INPUT: return parse_max_input(arg, &a->eo);
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
            return vgg_cli_bad_option(argc, argv, "o:h", long_opts);
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
    /* the one output rule: the store is a regular file (it is appended to
     * and resumed), none of the inputs, the list or the weights */
    if (vgg_output_check_kind(a->output, 0) != VGG_STATUS_OK)
        return VGG_STATUS_INVALID;
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

/* A number from the environment (dflt when unset or not a number). */
static double env_number(const char *name, double dflt)
{
    const char *v = getenv(name);
    char *end;
    double x = v && *v ? strtod(v, &end) : 0;
    return v && *v && *end == '\0' && x >= 0 ? x : dflt;
}

/* Two settings for tests, from the environment (docs/extract.md): the
 * progress line at most every VGGFEAT_PROGRESS_EVERY seconds (default 0.5;
 * 0: after every input), and VGGFEAT_STOP_AT=N, with which the process
 * stops itself (SIGSTOP) once N inputs are done, their rows in the store,
 * so that a test signals it at a known point rather than after a delay;
 * SIGCONT goes on. */
static void stop_point(size_t done)
{
    static bool stopped;
    double n = env_number("VGGFEAT_STOP_AT", -1);
    if (!stopped && n >= 0 && (double)done == n) {
        stopped = true;
        raise(SIGSTOP);
    }
}

void vgg_extract_cli_progress(void *ctx, const vgg_extract_progress *p)
{
    vgg_extract_reporter *r = ctx;
    stop_point(p->done);
    if (!r->progress || p->seconds - r->last_print <= env_number("VGGFEAT_PROGRESS_EVERY", 0.5))
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
    if (res->written > 0 && res->seconds > 0 && res->cpu_seconds > 0) {
        const long cores = sysconf(_SC_NPROCESSORS_ONLN);
        fprintf(r->fp, "vggfeat extract: %.1f s of processor time in %.1f s: %.2f of the "
                "machine's %ld cores busy on average\n",
                res->cpu_seconds, res->seconds, res->cpu_seconds / res->seconds, cores);
    }
    for (size_t i = 0; i < res->n_skipped; i++)
        fprintf(r->fp, "  skipped '%s': %s\n", res->skipped_paths[i], res->skipped_whys[i]);
    if (res->n_warned > 0)
        fprintf(r->fp, "vggfeat extract: %zu image%s decoded despite %zu decoder warning%s, as "
                "Pillow decodes them; the first: '%s': %s\n", res->n_warned,
                res->n_warned == 1 ? "" : "s", res->n_warnings, res->n_warnings == 1 ? "" : "s",
                res->warned_path ? res->warned_path : "?",
                res->warned_why ? res->warned_why : "?");
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
