/* vggtrain train's options: their names, their values into a
 * vgg_pretrain_config, and the checks across them (the program parses
 * the command line and calls these). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dist.h"
#include "train_usage.h"
#include "vgg/pretrain.h"

const vgg_pretrain_option vgg_pretrain_options[] = {
    { "data", true }, { "list", true }, { "classes", true }, { "val-data", true },
    { "val-list", true }, { "val-classes", true }, { "val-every", true }, { "val-limit", true },
    { "config", true }, { "width", true }, { "fc-dim", true }, { "input-size", true },
    { "init", true }, { "init-std", true }, { "init-from", true }, { "batch", true },
    { "weights", true }, { "batch-norm", false }, { "accum", true }, { "micro-batch", true },
    { "lr", true }, { "momentum", true }, { "weight-decay", true }, { "dropout", true },
    { "lr-steps", true }, { "warmup", true }, { "lr-cosine", false }, { "patience", true },
    { "min-delta", true }, { "max-drops", true }, { "epochs", true }, { "iterations", true },
    { "scale", true }, { "scale-jitter", true }, { "no-flip", false }, { "color-shift", true },
    { "seed", true }, { "threads", true }, { "loaders", true }, { "device", true },
    { "devices", true }, { "slices", true }, { "checkpoint", true },
    { "checkpoint-every", true }, { "resume", false }, { "new-schedule", false },
    { "log", true }, { "print-every", true },
    { "output", true }, { "precision", true }, { "workspace", true },
    { "deterministic", false }, { NULL, false },
};

/* vggtrain train --help */
const char vgg_pretrain_usage[] =
"usage: vggtrain train (--data DIR | --list FILE --classes FILE) -o WEIGHTS [options]\n"
"data\n"
"  --data DIR             a folder per class (ILSVRC layout)\n"
"  --list FILE            path<TAB>class lines, with --classes FILE (one name per line)\n"
"  --val-data DIR | --val-list FILE [--val-classes FILE]   validation set\n"
"  --val-every N          validate every N iterations (default: once per epoch)\n"
"  --val-limit N          validate on the first N images only\n"
"                         (validation: top-1/top-5 of the centre crop at Q = the middle\n"
"                         training scale; it drives --patience)\n"
"net\n"
"  --config C             A, A-LRN, B, C, D, E (default A)\n"
"  --width W              conv channel multiplier (1)     --fc-dim N (4096)\n"
"  --input-size S         training crop, multiple of 32 (224); classes from the data\n"
"  --batch-norm           batch normalisation after each conv (torchvision's vgg*_bn);\n"
"                         batch statistics are those of each --micro-batch pass\n"
"  --init normal|glorot|he|torchvision|pytorch  (normal, std --init-std 0.01;\n"
"                         torchvision: conv N(0, 2/fan_out), fc N(0, --init-std);\n"
"                         pytorch: weights, biases U(+-1/sqrt(fan_in)), nn.Conv2d's)\n"
"  --init-from A.safetensors  copy conv1_1, conv2_1, conv3_1, conv3_2, fc6-8 of a trained A\n"
"  --weights NET.safetensors  start from every weight of a trained net (fine-tuning, e.g.\n"
"                         S=384 from the S=256 net); its architecture and preprocessing\n"
"                         are kept, and --config/--width/--fc-dim/--input-size, if given,\n"
"                         must agree with it\n"
"optimiser (the paper's defaults)\n"
"  --batch N (256)  --accum K: K passes of batch/K images  --micro-batch M\n"
"  --lr 0.01  --momentum 0.9  --weight-decay 5e-4 (weights only, not biases)  --dropout 0.5\n"
"  --lr-steps IT,IT,...   divide lr by 10 at these iterations\n"
"  --warmup N             raise lr linearly over the first N iterations (0)\n"
"  --lr-cosine            after the warm-up, lr follows a half cosine down to 0 at the end\n"
"  --patience P           divide lr by 10 after P validations without improvement\n"
"                         (1: the paper's plateau rule with a validation set; 0: off)\n"
"  --min-delta D          an improvement of validation accuracy is more than D (0)\n"
"  --max-drops K          stop at the next plateau after K plateau drops (3; 0: never)\n"
"  --epochs E (74) | --iterations N\n"
"augmentation\n"
"  --scale S              training scale (smallest side; default input size + 32)\n"
"  --scale-jitter MIN,MAX S drawn per image in [MIN, MAX]\n"
"  --no-flip              no random horizontal flips\n"
"  --color-shift SIGMA    RGB colour shift (PCA lighting) strength (0.1; 0: off)\n"
"run\n"
"  --seed N (1)\n"
"  --threads N            compute threads, at most " VGG_MAX_THREADS_TEXT
                          " (default 0: one per core, as many\n"
"                         as the address-space limit, ulimit -v, leaves room for)\n"
"  --loaders N            decoding threads, at most " VGG_MAX_THREADS_TEXT " (2)\n"
"  --device cpu|cpu-ref|cuda[:N]   (under mpirun or srun: data-parallel, one rank per\n"
"                         GPU, cuda meaning the GPU of the rank's index on its node)\n""  --devices cuda:0,1,..  data-parallel over these GPUs of this node, one thread each,\n"
"                         gradients summed by NCCL (cpu,cpu: two CPU threads, a check)\n"
"  --slices N             compute each batch as N slices, each slice's gradient alone,\n"
"                         summed slice 0 first (what N ranks under mpirun do; also\n"
"                         gradient accumulation)\n"
"  --precision fp32|tf32  GPU arithmetic (fp32; tf32: tensor cores, gradients within\n"
"                         about 1e-2; the CPU computes fp32 only and refuses tf32)\n"
"  --workspace MB         the most GPU workspace one convolution may use (1024)\n"
"  --deterministic        only reproducible GPU algorithms, so a run repeats bit for bit\n"
"                         (the CPU always does); these three default to $VGG_PRECISION,\n"
"                         $VGG_WORKSPACE_MB, $VGG_DETERMINISTIC where set\n"
"  --checkpoint FILE      (default WEIGHTS.ckpt)  --checkpoint-every N iterations (1000);\n"
"                         a run refuses to replace a checkpoint that is there: give\n"
"                         --resume, or remove it to start over\n"
"  --resume               continue from the checkpoint, with the same options: one that\n"
"                         changes the run (data, classes, net, optimiser, augmentation,\n"
"                         schedule) is refused, naming it and both values; the length\n"
"                         (--epochs/--iterations: the run goes on to its new end), the\n"
"                         device, --threads, --loaders, ranks, --slices, --log,\n"
"                         --print-every and --checkpoint-every may change\n"
"  --new-schedule         with --resume: take --lr, --lr-steps, --warmup, --lr-cosine\n"
"                         (and where its cosine ends), --patience, --min-delta and\n"
"                         --max-drops from this command line (the plateau drops made so\n"
"                         far stay: the rate goes on from --lr divided by 10 per drop)\n"
"  --log FILE             metrics, one JSON object per line\n"
"  --print-every N        progress line every N iterations (10)\n"
"WEIGHTS, the checkpoint and the log are regular files, apart from the inputs and\n"
"from each other (a device, FIFO or '-' is refused before training starts)\n";

static bool parse_ll(const char *s, long long lo, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo)
        return false;
    *out = v;
    return true;
}

static bool parse_f(const char *s, float lo, float *out)
{
    char *end;
    float v = strtof(s, &end);
    if (end == s || *end || !isfinite(v) || v < lo)
        return false;
    *out = v;
    return true;
}

/* an int option of at least lo */
static bool set_int(const char *v, long long lo, int *out)
{
    long long x;
    if (!parse_ll(v, lo, &x) || x > 0x7fffffff)
        return false;
    *out = (int)x;
    return true;
}

/* the options whose value is a string kept as it is */
static const char **string_field(vgg_pretrain_config *c, const char *n)
{
    static const char *const names[] = { "data", "list", "classes", "val-data", "val-list",
                                         "val-classes", "init", "init-from", "weights",
                                         "lr-steps", "device", "devices", "checkpoint", "log",
                                         "output" };
    const char **fields[] = { &c->data, &c->list, &c->classes, &c->val_data, &c->val_list,
                              &c->val_classes, &c->init, &c->init_from, &c->weights,
                              &c->lr_steps, &c->device, &c->devices, &c->checkpoint, &c->log,
                              &c->output };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(n, names[i]) == 0)
            return fields[i];
    return NULL;
}

/* the options whose value is a float of at least a bound */
static float *float_field(vgg_pretrain_config *c, const char *n, float *lo)
{
    static const char *const names[] = { "init-std", "lr", "momentum", "weight-decay",
                                         "dropout", "min-delta", "color-shift", "width" };
    static const float los[] = { 1e-12f, 0, 0, 0, 0, 0, 0, 1e-6f };
    float *fields[] = { &c->init_std, &c->lr, &c->momentum, &c->wd, &c->dropout,
                        &c->min_delta, &c->color, &c->arch.width };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(n, names[i]) == 0) {
            *lo = los[i];
            return fields[i];
        }
    return NULL;
}

/* the options whose value is an int of at least a bound */
static int *int_field(vgg_pretrain_config *c, const char *n, long long *lo)
{
    static const char *const names[] = { "val-limit", "fc-dim", "input-size", "batch", "accum",
                                         "micro-batch", "patience", "max-drops", "scale",
                                         "slices" };
    static const long long los[] = { 1, 1, 32, 1, 1, 1, 0, 0, 1, 1 };
    int *fields[] = { &c->val_limit, &c->arch.fc_dim, &c->arch.input_size, &c->batch,
                      &c->accum, &c->micro, &c->patience, &c->max_drops, &c->scale,
                      &c->slices };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(n, names[i]) == 0) {
            *lo = los[i];
            return fields[i];
        }
    return NULL;
}

/* the options whose value is a long long of at least a bound */
static long long *ll_field(vgg_pretrain_config *c, const char *n, long long *lo)
{
    static const char *const names[] = { "val-every", "warmup", "iterations",
                                         "checkpoint-every", "print-every" };
    static const long long los[] = { 1, 0, 1, 1, 1 };
    long long *fields[] = { &c->val_every, &c->warmup, &c->iterations, &c->ckpt_every,
                            &c->print_every };
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(n, names[i]) == 0) {
            *lo = los[i];
            return fields[i];
        }
    return NULL;
}

/* flags and the options with values of their own kind; false: not one */
static bool set_special(vgg_pretrain_config *c, const char *n, const char *v, bool *ok)
{
    *ok = true;
    if (strcmp(n, "batch-norm") == 0)
        c->arch.batch_norm = true;
    else if (strcmp(n, "lr-cosine") == 0)
        c->cosine = true;
    else if (strcmp(n, "no-flip") == 0)
        c->no_flip = true;
    else if (strcmp(n, "resume") == 0)
        c->resume = true;
    else if (strcmp(n, "new-schedule") == 0)
        c->new_schedule = true;
    else if (strcmp(n, "deterministic") == 0)
        c->deterministic = true;
    else if (strcmp(n, "config") == 0)
        *ok = vgg_config_parse(v, &c->arch.config) == VGG_STATUS_OK;
    else if (strcmp(n, "epochs") == 0) {
        float f;
        *ok = parse_f(v, 1e-9f, &f);
        c->epochs = *ok ? f : c->epochs;
    } else if (strcmp(n, "seed") == 0) {
        long long x;
        *ok = parse_ll(v, 0, &x);
        c->seed = *ok ? (uint64_t)x : c->seed;
    } else if (strcmp(n, "scale-jitter") == 0)
        *ok = sscanf(v, "%d,%d", &c->smin, &c->smax) == 2 && c->smin >= 1 &&
              c->smax >= c->smin;
    else
        return false;
    return true;
}

/* which part of the architecture an option gives (arch_given's index) */
static int arch_index(const char *n)
{
    static const char *const names[] = { "config", "width", "fc-dim", "input-size" };
    for (int i = 0; i < 4; i++)
        if (strcmp(n, names[i]) == 0)
            return i;
    return -1;
}

vgg_status vgg_pretrain_config_set(vgg_pretrain_config *c, const char *name, const char *value)
{
    if (strcmp(name, "precision") == 0 || strcmp(name, "workspace") == 0) {
        vgg_device_opts check;
        vgg_status st = vgg_device_opts_set(&check, name, value);
        if (st == VGG_STATUS_OK)
            *(name[0] == 'p' ? &c->precision : &c->workspace) = value;
        return st;
    }
    if (strcmp(name, "threads") == 0)
        return vgg_threads_parse("--threads", value, 0, &c->threads);
    if (strcmp(name, "loaders") == 0)
        return vgg_threads_parse("--loaders", value, 1, &c->loaders);
    const char **s = string_field(c, name);
    float *f, flo;
    int *i;
    long long *l, lo, x;
    bool ok = true;
    if (s)
        *s = value;
    else if ((f = float_field(c, name, &flo)))
        ok = parse_f(value, flo, f);
    else if ((i = int_field(c, name, &lo)))
        ok = set_int(value, lo, i);
    else if ((l = ll_field(c, name, &lo)))
        ok = parse_ll(value, lo, &x) && (*l = x, true);
    else if (!set_special(c, name, value, &ok))
        return vgg_fail(VGG_STATUS_NOT_FOUND, "unknown option --%s", name);
    if (!ok)
        return vgg_fail(VGG_STATUS_INVALID, "bad value '%s' for --%s", value, name);
    if (arch_index(name) >= 0)
        c->arch_given[arch_index(name)] = true;
    return VGG_STATUS_OK;
}

vgg_status vgg_pretrain_config_check(vgg_pretrain_config *c)
{
    if (!c->output || (!c->data == !c->list) || (c->list && !c->classes))
        return vgg_fail(VGG_STATUS_INVALID, "give -o WEIGHTS and either --data DIR or --list "
                        "FILE --classes FILE");
    if (c->new_schedule && !c->resume)
        return vgg_fail(VGG_STATUS_INVALID, "--new-schedule goes with --resume (a new run takes "
                        "its schedule from the command line anyway)");
    if (c->weights && c->init_from)
        return vgg_fail(VGG_STATUS_INVALID, "--weights and --init-from exclude each other");
    if (c->devices && vgg_dist_devices_check(c->devices) != VGG_STATUS_OK)
        return VGG_STATUS_INVALID;   /* the message is set */
    if (c->devices && vgg_pretrain_dist_size(c->dist) > 1)
        return vgg_fail(VGG_STATUS_INVALID, "--devices is one process driving several devices; "
                        "under mpirun or srun give --device cuda (one GPU per rank)");
    if (c->devices && c->slices > 1)
        return vgg_fail(VGG_STATUS_INVALID, "--devices and --slices exclude each other (each "
                        "device computes one slice)");
    if (c->smin == 0 && (c->scale || !c->weights))   /* --weights: the default in vgg_pretrain_run */
        c->smin = c->smax = c->scale ? c->scale : c->arch.input_size + 32;
    else if (c->scale)
        return vgg_fail(VGG_STATUS_INVALID, "bad value '(both --scale and --scale-jitter)' for "
                        "--scale");
    if (!c->weights && c->smin < c->arch.input_size) /* --weights: checked in vgg_pretrain_run */
        return vgg_fail(VGG_STATUS_INVALID, "scale %d is smaller than the input size %d", c->smin,
                        c->arch.input_size);
    return VGG_STATUS_OK;
}
