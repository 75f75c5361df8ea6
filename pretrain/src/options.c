/* vggtrain train's options: their names, their values into a
 * vgg_pretrain_config, and the checks across them (the program parses
 * the command line and calls these). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    { "checkpoint-every", true }, { "resume", false }, { "log", true }, { "print-every", true },
    { "output", true }, { "precision", true }, { "workspace", true },
    { "deterministic", false }, { NULL, false },
};

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
                                         "threads", "loaders", "slices" };
    static const long long los[] = { 1, 1, 32, 1, 1, 1, 0, 0, 1, 0, 1, 1 };
    int *fields[] = { &c->val_limit, &c->arch.fc_dim, &c->arch.input_size, &c->batch,
                      &c->accum, &c->micro, &c->patience, &c->max_drops, &c->scale,
                      &c->threads, &c->loaders, &c->slices };
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
    if (c->weights && c->init_from)
        return vgg_fail(VGG_STATUS_INVALID, "--weights and --init-from exclude each other");
    if (c->devices && c->dist && vgg_pretrain_dist_size(c->dist) > 1)
        return vgg_fail(VGG_STATUS_INVALID, "--devices is for one process driving the GPUs of "
                        "a node; under mpirun give --device cuda (one GPU per rank)");
    if (c->devices && strcmp(c->device, "cpu") != 0)
        return vgg_fail(VGG_STATUS_INVALID, "--device and --devices exclude each other");
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
