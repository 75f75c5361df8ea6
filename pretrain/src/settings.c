/* What a checkpoint records of the run that wrote it, so that a --resume
 * with other data, classes in another order, another optimiser,
 * augmentation or schedule is refused by name instead of going on as
 * another run. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/pretrain.h"

/* "N images, sha256 <16 hex digits>" of a set: its paths and labels in
 * order (or its class names in order) */
static void set_digest(const vgg_pretrain_dataset *d, bool classes, char *out, size_t size)
{
    vgg_sha256 s;
    char hex[65] = "";
    if (vgg_sha256_init(&s) == VGG_STATUS_OK) {
        const size_t n = classes ? (size_t)d->n_classes : d->n;
        for (size_t i = 0; i < n; i++) {
            char label[16];
            const char *name = classes ? d->classes[i] : d->paths[i];
            vgg_sha256_update(&s, name, strlen(name) + 1);
            if (!classes) {
                snprintf(label, sizeof label, "%" PRId32, d->labels[i]);
                vgg_sha256_update(&s, label, strlen(label) + 1);
            }
        }
        vgg_sha256_final_hex(&s, hex);
    }
    if (classes)
        snprintf(out, size, "%d classes, sha256 %.16s", d->n_classes, hex);
    else
        snprintf(out, size, "%zu images, sha256 %.16s", d->n, hex);
}

static vgg_pretrain_setting *add(vgg_pretrain_settings *s, const char *key, const char *option,
                                 bool schedule)
{
    vgg_pretrain_setting *e = &s->s[s->n++];
    e->key = key;
    e->option = option;
    e->schedule = schedule;
    e->value[0] = '\0';
    return e;
}

#define PUT(s, key, option, schedule, ...)                                                  \
    snprintf(add((s), (key), (option), (schedule))->value, sizeof (s)->s[0].value,       \
             __VA_ARGS__)

static const char *given(bool b) { return b ? "given" : "not given"; }

/* a float as its shortest text that reads back as the same float ("0.01") */
static const char *num(float v, char *buf, size_t size)
{
    for (int p = 6; p <= 9; p++) {
        snprintf(buf, size, "%.*g", p, v);
        if (strtof(buf, NULL) == v)
            break;
    }
    return buf;
}

void vgg_pretrain_settings_make(const vgg_pretrain_config *a, const vgg_pretrain_dataset *data,
                                const vgg_pretrain_dataset *val, const vgg_preproc *pp,
                                const vgg_pretrain_schedule *sched, long long val_every,
                                vgg_pretrain_settings *out)
{
    vgg_pretrain_settings *s = out;
    char f[16];
    s->n = 0;
    /* the data: the class order first, a reordered --classes says so */
    set_digest(data, true,
               add(s, "run.classes", a->data ? "--data (its class folders, in order)"
                                             : "--classes (the class names, in order)",
                   false)->value, sizeof s->s[0].value);
    set_digest(data, false,
               add(s, "run.images", a->data ? "--data (its images and their classes, in order)"
                                            : "--list (its images and their classes, in order)",
                   false)->value, sizeof s->s[0].value);
    const char *val_opt = a->val_data   ? "--val-data (its images and their classes, in order)"
                          : a->val_list ? "--val-list (its images and their classes, in order)"
                                        : "the validation set (--val-data/--val-list)";
    if (val)
        set_digest(val, false, add(s, "run.val", val_opt, false)->value, sizeof s->s[0].value);
    else
        PUT(s, "run.val", val_opt, false, "none");
    if (val) {
        PUT(s, "run.val_every", "--val-every", false, "%lld", val_every);
        PUT(s, "run.val_limit", "--val-limit", false, "%d", a->val_limit);
    } else {
        PUT(s, "run.val_every", "--val-every", false, "no validation");
        PUT(s, "run.val_limit", "--val-limit", false, "no validation");
    }
    /* the net (its shapes are checked too, but this names the option) */
    PUT(s, "run.config", "--config", false, "%s", vgg_config_name(a->arch.config));
    PUT(s, "run.width", "--width", false, "%s", num(a->arch.width, f, sizeof f));
    PUT(s, "run.fc_dim", "--fc-dim", false, "%d", a->arch.fc_dim);
    PUT(s, "run.input_size", "--input-size", false, "%d", a->arch.input_size);
    PUT(s, "run.batch_norm", "--batch-norm", false, "%s", given(a->arch.batch_norm));
    char m[3][16], d[3][16];
    PUT(s, "run.preprocessing", "the preprocessing (the net's, from --weights)", false,
        "%s, range %s, mean %s,%s,%s, std %s,%s,%s", pp->order == VGG_CHANNELS_BGR ? "BGR" : "RGB",
        num(pp->range, f, sizeof f), num(pp->mean[0], m[0], 16), num(pp->mean[1], m[1], 16),
        num(pp->mean[2], m[2], 16), num(pp->std[0], d[0], 16), num(pp->std[1], d[1], 16),
        num(pp->std[2], d[2], 16));
    /* the optimiser */
    PUT(s, "run.micro_batch", "--micro-batch/--accum", false, "%d",
        a->micro > 0 ? a->micro : (a->batch + a->accum - 1) / a->accum);
    PUT(s, "run.momentum", "--momentum", false, "%s", num(a->momentum, f, sizeof f));
    PUT(s, "run.weight_decay", "--weight-decay", false, "%s", num(a->wd, f, sizeof f));
    PUT(s, "run.dropout", "--dropout", false, "%s", num(a->dropout, f, sizeof f));
    /* the augmentation */
    PUT(s, "run.scale", "--scale/--scale-jitter", false, "%d,%d", a->smin, a->smax);
    PUT(s, "run.no_flip", "--no-flip", false, "%s", given(a->no_flip));
    PUT(s, "run.color_shift", "--color-shift", false, "%s", num(a->color, f, sizeof f));
    /* the schedule: --new-schedule lets it change */
    PUT(s, "run.lr", "--lr", true, "%s", num(a->lr, f, sizeof f));
    vgg_pretrain_setting *e = add(s, "run.lr_steps", "--lr-steps", true);
    size_t used = 0;
    for (int i = 0; i < sched->n_steps && used < sizeof e->value; i++)
        used += (size_t)snprintf(e->value + used, sizeof e->value - used, "%s%" PRId64,
                                 i ? "," : "", sched->steps[i]);
    if (sched->n_steps == 0)
        snprintf(e->value, sizeof e->value, "none");
    PUT(s, "run.warmup", "--warmup", true, "%lld", a->warmup);
    /* the length may change (the run goes on to its new end) but for the
     * cosine's, which it sets */
    if (sched->cosine_end > 0)
        PUT(s, "run.lr_cosine", "--lr-cosine (with --epochs/--iterations)", true,
            "down to 0 at iteration %lld", (long long)sched->cosine_end);
    else
        PUT(s, "run.lr_cosine", "--lr-cosine", true, "not given");
    PUT(s, "run.patience", "--patience", true, "%d", a->patience);
    PUT(s, "run.min_delta", "--min-delta", true, "%s", num(a->min_delta, f, sizeof f));
    PUT(s, "run.max_drops", "--max-drops", true, "%d", a->max_drops);
}
