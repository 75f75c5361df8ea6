/* Validation during training, the run's checkpoint state and its log. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgg/pretrain.h"

/* ---- validation: centre crop at the middle training scale ---- */

vgg_status vgg_pretrain_validate(vgg_net *net, const vgg_pretrain_dataset *val, int q, int limit,
                                 vgg_pretrain_val *r)
{
    const int C = vgg_net_arch(net)->num_classes;
    float *prob = malloc(sizeof(float) * C);
    if (!prob)
        return vgg_fail(VGG_STATUS_NOMEM, "validation: out of memory");
    size_t n = val->n;
    if (limit > 0 && (size_t)limit < n)
        n = (size_t)limit;
    memset(r, 0, sizeof *r);
    vgg_status st = VGG_STATUS_OK;
    size_t done = 0, hit1 = 0, hit5 = 0;
    double loss = 0;
    vgg_decode_opts o;
    vgg_decode_opts_default(&o);
    o.min_side = q;
    for (size_t i = 0; i < n && st == VGG_STATUS_OK; i++) {
        if ((st = vgg_check_interrupt()) != VGG_STATUS_OK)
            break;
        vgg_image *img = NULL;
        if (vgg_image_load(val->paths[i], &o, &img) != VGG_STATUS_OK)
            continue;   /* unreadable validation images are left out */
        st = vgg_pretrain_eval_image(net, img, q, VGG_PRETRAIN_CENTER, 1, prob);
        vgg_image_free(img);
        if (st != VGG_STATUS_OK)
            break;
        int rank = vgg_pretrain_rank(prob, C, val->labels[i]);
        hit1 += rank < 1;
        hit5 += rank < 5;
        loss += -log(fmax(prob[val->labels[i]], 1e-30));
        done++;
    }
    free(prob);
    if (st == VGG_STATUS_OK && done == 0)
        st = vgg_fail(VGG_STATUS_FORMAT, "validation: no readable image");
    if (st == VGG_STATUS_OK) {
        r->n = done;
        r->top1 = (double)hit1 / done;
        r->top5 = (double)hit5 / done;
        r->loss = loss / done;
    }
    return st;
}

/* ---- checkpoint state ---- */

/* the first N_KEYS are in every checkpoint; the last two (what the
 * iteration still owes) came later and may be missing */
#define N_KEYS 10
#define N_ALL 12
static const char *const keys[N_ALL] = { "pt.seed", "pt.batch", "pt.images", "pt.epoch",
                                         "pt.pos", "pt.lr", "pt.best", "pt.bad", "pt.drops",
                                         "pt.bad_images", "pt.validate", "pt.log_line" };

vgg_status vgg_pretrain_state_save(vgg_trainer *tr, const char *ckpt, const vgg_pretrain_state *s,
                                   const vgg_pretrain_schedule *sched,
                                   const vgg_pretrain_settings *run)
{
    char v[N_KEYS][40];
    snprintf(v[0], 40, "%" PRIu64, s->seed);
    snprintf(v[1], 40, "%d", s->batch);
    snprintf(v[2], 40, "%zu", s->images);
    snprintf(v[3], 40, "%lld", (long long)s->epoch);
    snprintf(v[4], 40, "%zu", s->pos);
    snprintf(v[5], 40, "%.9g", sched->lr);
    snprintf(v[6], 40, "%.17g", sched->best);
    snprintf(v[7], 40, "%d", sched->bad);
    snprintf(v[8], 40, "%d", sched->drops);
    snprintf(v[9], 40, "%lld", s->bad_images);
    const char *kp[N_ALL + VGG_PRETRAIN_MAX_SETTINGS];
    const char *vp[N_ALL + VGG_PRETRAIN_MAX_SETTINGS];
    for (int i = 0; i < N_ALL; i++)
        kp[i] = keys[i];
    for (int i = 0; i < N_KEYS; i++)
        vp[i] = v[i];
    vp[10] = s->validate ? "1" : "0";
    vp[11] = s->log_line;
    const int n = run ? run->n : 0;
    for (int i = 0; i < n; i++) {
        kp[N_ALL + i] = run->s[i].key;
        vp[N_ALL + i] = run->s[i].value;
    }
    return vgg_trainer_save_checkpoint(tr, ckpt, kp, vp, N_ALL + n);
}

/* the run's settings against those that wrote the checkpoint m */
static vgg_status check_settings(const vgg_safetensors *m, const char *ckpt,
                                 const vgg_pretrain_settings *run, bool new_schedule)
{
    for (int i = 0; run && i < run->n; i++) {
        const vgg_pretrain_setting *e = &run->s[i];
        const char *was = vgg_st_meta(m, e->key);
        if (!was)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': checkpoint lacks %s", ckpt, e->key);
        if (strcmp(was, e->value) == 0 || (e->schedule && new_schedule))
            continue;
        return vgg_fail(VGG_STATUS_MISMATCH, "'%s': %s differs from the run that wrote this "
                        "checkpoint (there: %s; now: %s): a resumed run must repeat its "
                        "options%s", ckpt, e->option, was, e->value,
                        e->schedule ? " (--new-schedule takes the learning-rate schedule from "
                                      "this command line)" : "");
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_pretrain_state_load(vgg_trainer *tr, const char *ckpt, vgg_pretrain_state *s,
                                   vgg_pretrain_schedule *sched,
                                   const vgg_pretrain_settings *run, bool new_schedule)
{
    vgg_safetensors *m = NULL;
    vgg_status st = vgg_trainer_load_checkpoint(tr, ckpt, &m);
    if (st != VGG_STATUS_OK)
        return st;
    const char *v[N_KEYS];
    for (int i = 0; i < N_KEYS; i++)
        if (!(v[i] = vgg_st_meta(m, keys[i]))) {
            vgg_st_close(m);
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': checkpoint lacks %s", ckpt, keys[i]);
        }
    char want[3][32];
    static const char *const options[3] = { "--seed", "--batch", "the number of images" };
    snprintf(want[0], 32, "%" PRIu64, s->seed);
    snprintf(want[1], 32, "%d", s->batch);
    snprintf(want[2], 32, "%zu", s->images);
    for (int i = 0; i < 3; i++)
        if (strcmp(v[i], want[i]) != 0) {
            st = vgg_fail(VGG_STATUS_MISMATCH, "'%s': %s differs from the run that wrote "
                          "this checkpoint (there: %s; now: %s): a resumed run must repeat its "
                          "options", ckpt, options[i], v[i], want[i]);
            vgg_st_close(m);
            return st;
        }
    if ((st = check_settings(m, ckpt, run, new_schedule)) != VGG_STATUS_OK) {
        vgg_st_close(m);
        return st;
    }
    s->epoch = strtoll(v[3], NULL, 10);
    s->pos = (size_t)strtoull(v[4], NULL, 10);
    sched->lr = strtof(v[5], NULL);
    sched->best = strtod(v[6], NULL);
    sched->bad = atoi(v[7]);
    sched->drops = atoi(v[8]);
    s->bad_images = strtoll(v[9], NULL, 10);
    const char *val = vgg_st_meta(m, keys[10]), *line = vgg_st_meta(m, keys[11]);
    s->validate = val && strcmp(val, "1") == 0;
    snprintf(s->log_line, sizeof s->log_line, "%s", line ? line : "");
    vgg_st_close(m);
    return VGG_STATUS_OK;
}

vgg_status vgg_pretrain_log_truncate(const char *path, long long upto)
{
    char *text = NULL;
    size_t len;
    if (access(path, F_OK) != 0)
        return VGG_STATUS_OK;
    vgg_status st = vgg_read_file(path, 0, &text, &len);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_atomic_file af;
    st = vgg_atomic_open(path, &af);
    char *line = text;
    while (st == VGG_STATUS_OK && *line) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) + 1 : strlen(line);
        long long it;
        if (nl && sscanf(line, "{\"iter\":%lld", &it) == 1 && it <= upto)
            st = vgg_write_all(af.fp, line, n, path);
        line += n;
    }
    if (st == VGG_STATUS_OK)
        st = vgg_atomic_commit(&af);
    vgg_atomic_abort(&af);
    free(text);
    return st;
}
