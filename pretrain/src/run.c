/* A training run: SGD with momentum on a folder-per-class set or a list
 * file, with the paper's augmentation and schedule, checkpoints and
 * resume, progress lines and a metrics log (JSON lines). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dist.h"
#include "vgg/pretrain.h"

void vgg_pretrain_config_default(vgg_pretrain_config *a)
{
    memset(a, 0, sizeof *a);
    vgg_arch_default(&a->arch, VGG_CONFIG_A);
    a->init = "normal";
    a->init_std = 0.01f;
    a->batch = 256;
    a->accum = 1;
    a->lr = 0.01f;
    a->momentum = 0.9f;
    a->wd = 5e-4f;
    a->dropout = 0.5f;
    /* section 3.1: lr / 10 when the validation accuracy stops improving
     * (checked once per epoch), three times at most, 74 epochs */
    a->patience = 1;
    a->max_drops = 3;
    a->epochs = 74;
    a->color = 0.1f;
    a->seed = 1;
    a->loaders = 2;
    a->device = "cpu";
    a->ckpt_every = 1000;
    a->print_every = 10;
}

/* a message to the run's callback, formatted as printf: rank 0's (the
 * ranks of a data-parallel run tell the same story) */
#define say(r, kind, ...)                                                     \
    do {                                                                      \
        if ((r)->a->say && (r)->rank == 0) {                                  \
            char text_[2048];                                                 \
            snprintf(text_, sizeof text_, __VA_ARGS__);                       \
            (r)->a->say((r)->a->ctx, (kind), text_);                          \
        }                                                                     \
    } while (0)

/* everything a run holds */
typedef struct run {
    vgg_pretrain_config *a;
    vgg_pretrain_dataset *data, *val;
    vgg_backend *be;
    vgg_net *net;
    vgg_trainer *tr;
    vgg_pretrain_loader *loader;
    int log;                /* the metrics log (rank 0, --log), or -1 */
    bool log_failed;        /* a line of it could not be written */
    vgg_pretrain_schedule sched;
    vgg_pretrain_state state;
    vgg_pretrain_settings settings;   /* what the checkpoint records of this run */
    const char *ckpt;
    char ckpt_default[4096];
    vgg_lock *ckpt_lock;    /* one run per checkpoint */
    int micro_batch;
    long long total, val_every;
    /* data parallelism: this rank of size, its slice [first, first +
     * count) of every batch; nccl: the gradients are summed on the GPUs;
     * slices: one process computing the batch as that many slices */
    vgg_pretrain_dist *dist;
    int rank, size, first, count, slices;
    bool par;               /* under MPI (even one rank): the gradients go through the collective */
    bool nccl;
    double reduce_s;        /* seconds in the gradient reduction since the last report */
} run;

static vgg_status load_sets(run *r)
{
    vgg_pretrain_config *a = r->a;
    vgg_status st;
    if (a->data)
        st = vgg_pretrain_dataset_from_folders(a->data, &r->data);
    else
        st = vgg_pretrain_dataset_from_list(a->list, a->classes, &r->data);
    if (st != VGG_STATUS_OK)
        return st;
    if (a->val_data)
        st = vgg_pretrain_dataset_from_folders(a->val_data, &r->val);
    else if (a->val_list)
        st = vgg_pretrain_dataset_from_list(a->val_list, a->val_classes ? a->val_classes : a->classes,
                                  &r->val);
    if (st != VGG_STATUS_OK)
        return st;
    if (r->val && r->val->n_classes != r->data->n_classes)
        return vgg_fail(VGG_STATUS_MISMATCH, "the validation set has %d classes, the training "
                        "set %d", r->val->n_classes, r->data->n_classes);
    a->arch.num_classes = r->data->n_classes;
    return VGG_STATUS_OK;
}

/* fine-tuning: the architecture is the trained net's (src) */
static vgg_status take_weights_arch(run *r, const vgg_net *src)
{
    vgg_pretrain_config *a = r->a;
    const vgg_arch *w = vgg_net_arch(src);
    const char *bad = NULL;
    if (a->arch_given[0] && w->config != a->arch.config)
        bad = "configuration";
    else if (a->arch_given[1] && fabsf(w->width - a->arch.width) > 1e-6f)
        bad = "width";
    else if (a->arch_given[2] && w->fc_dim != a->arch.fc_dim)
        bad = "fc dimension";
    else if (a->arch_given[3] && w->input_size != a->arch.input_size)
        bad = "input size";
    else if (a->arch.batch_norm && !w->batch_norm)
        bad = "batch normalisation";
    else if (w->num_classes != r->data->n_classes)
        bad = "number of classes";
    if (bad)
        return vgg_fail(VGG_STATUS_MISMATCH,
                        "'%s': its %s differs from this run's (%s, width %g, fc %d, input %d, "
                        "%d classes in the weights; %d classes in the data)",
                        a->weights, bad, vgg_config_name(w->config), w->width, w->fc_dim,
                        w->input_size, w->num_classes, r->data->n_classes);
    a->arch = *w;
    if (a->smin == 0)
        a->smin = a->smax = a->arch.input_size + 32;
    if (a->smin < a->arch.input_size)
        return vgg_fail(VGG_STATUS_INVALID, "training scale %d is smaller than the input size "
                        "%d of '%s' (give --scale or --scale-jitter)", a->smin,
                        a->arch.input_size, a->weights);
    return VGG_STATUS_OK;
}

/* the net's first weights: another net's, some layers of one, or the scheme */
static vgg_status init_net(run *r, vgg_net *src)
{
    vgg_pretrain_config *a = r->a;
    vgg_init_scheme scheme;
    vgg_status st = vgg_init_scheme_parse(a->init, &scheme);
    if (st != VGG_STATUS_OK)
        return st;
    if (src) {
        for (int i = 0; i < vgg_net_param_count(r->net); i++) {
            vgg_param *d = vgg_net_param(r->net, i), *q = vgg_net_param(src, i);
            memcpy(d->data, q->data, d->numel * sizeof *d->data);
        }
        vgg_net_set_preproc(r->net, vgg_net_preproc(src));
        vgg_net_set_pool_round(r->net, vgg_net_arch(src)->pool_round);
        if ((st = vgg_net_params_changed(r->net)) != VGG_STATUS_OK)
            return st;
        say(r, VGG_PRETRAIN_SAY_NOTE, "starting from every weight of '%s'", a->weights);
        return VGG_STATUS_OK;
    }
    if (a->init_from) {
        int copied = 0;
        vgg_net *from = NULL;
        if ((st = vgg_net_load(a->init_from, r->be, &from)) == VGG_STATUS_OK)
            st = vgg_train_init_from(r->net, from, scheme, a->init_std, a->seed, &copied);
        vgg_net_free(from);
        if (st == VGG_STATUS_OK)
            say(r, VGG_PRETRAIN_SAY_NOTE, "%d layers copied from '%s'", copied, a->init_from);
        return st;
    }
    return vgg_train_init(r->net, scheme, a->init_std, a->seed);
}

/* the ranks and the slice of every batch this one computes */
static vgg_status plan_slices(run *r)
{
    vgg_pretrain_config *a = r->a;
    r->dist = a->dist;
    r->rank = vgg_pretrain_dist_rank(a->dist);
    r->size = vgg_pretrain_dist_size(a->dist);
    r->slices = a->slices > 0 ? a->slices : 1;
    r->par = r->size > 1 || (vgg_dist_is_mpi(a->dist) && r->slices == 1);
    if (r->size > 1 && r->slices > 1)
        return vgg_fail(VGG_STATUS_INVALID, "--slices %d with %d ranks: --slices is the "
                        "one-process run of what several ranks do (each rank computes one "
                        "slice)", r->slices, r->size);
    const int parts = r->size > 1 ? r->size : r->slices;
    if (parts > a->batch)
        return vgg_fail(VGG_STATUS_INVALID, "a batch of %d cannot be cut into %d slices (%s)",
                        a->batch, parts, r->size > 1 ? "one per rank" : "--slices");
    r->first = (int)((long long)a->batch * r->rank / r->size);
    r->count = (int)((long long)a->batch * (r->rank + 1) / r->size) - r->first;
    return VGG_STATUS_OK;
}

/* Ranks on numbered devices: "cuda" (no number) is the GPU of the rank's
 * index on its node */
static const char *rank_device(run *r, char *buf, size_t size)
{
    vgg_device_spec s;
    if (r->par && vgg_device_parse(r->a->device, &s) == VGG_STATUS_OK && s.numbered &&
        s.index < 0) {
        snprintf(buf, size, "%s:%d", s.backend, vgg_dist_local_rank(r->dist));
        return buf;
    }
    return r->a->device;
}

/* Ranks on a backend with collectives of its own (GPUs: NCCL) sum their
 * gradients with them */
static vgg_status join_nccl(run *r)
{
    vgg_status st = vgg_dist_join_nccl(r->dist, r->be);
    r->nccl = st == VGG_STATUS_OK;
    return st;
}

static vgg_status build_net(run *r)
{
    vgg_pretrain_config *a = r->a;
    vgg_net *src = NULL;
    vgg_device_opts dev;
    char name[32];
    const char *device = rank_device(r, name, sizeof name);
    vgg_status st = vgg_device_opts_command(device, a->precision, a->workspace,
                                            a->deterministic, &dev);
    if (st == VGG_STATUS_OK)
        st = vgg_backend_open_opts(device, a->threads, &dev, &r->be);
    if (st == VGG_STATUS_OK && r->par && vgg_backend_has_collective(r->be))
        st = join_nccl(r);
    if (st == VGG_STATUS_OK && a->weights &&
        (st = vgg_net_load(a->weights, r->be, &src)) == VGG_STATUS_OK)
        st = take_weights_arch(r, src);
    if (st == VGG_STATUS_OK)
        st = vgg_net_create(&a->arch, r->be, &r->net);
    if (st == VGG_STATUS_OK)
        st = init_net(r, src);
    vgg_net_free(src);
    return st;
}

static vgg_status make_trainer(run *r)
{
    vgg_pretrain_config *a = r->a;
    vgg_train_opts to;
    vgg_train_opts_default(&to);
    to.momentum = a->momentum;
    to.weight_decay = a->wd;
    to.dropout = a->dropout;
    to.seed = a->seed;
    to.micro_batch = a->micro > 0 ? a->micro : (a->batch + a->accum - 1) / a->accum;
    /* a pass holds at most one slice (a rank's, or one of --slices) */
    const int slice = r->size > 1 ? r->count : (a->batch + r->slices - 1) / r->slices;
    if (to.micro_batch > slice)
        to.micro_batch = slice;
    r->micro_batch = to.micro_batch;
    vgg_status st = vgg_trainer_create(r->net, &to, &r->tr);
    if (st != VGG_STATUS_OK)
        return st;
    r->sched = (vgg_pretrain_schedule){
        .lr = a->lr, .patience = a->patience, .min_delta = a->min_delta,
        .max_drops = a->max_drops, .best = -1.0, .warmup = a->warmup,
    };
    if (a->lr_steps) {
        int v[16];
        int n = 0;
        if ((st = vgg_parse_int_list(a->lr_steps, v, 16, &n)) != VGG_STATUS_OK)
            return st;
        r->sched.n_steps = n;
        for (int i = 0; i < n; i++)
            r->sched.steps[i] = v[i];
    }
    return VGG_STATUS_OK;
}

/* whether two paths name one file: by device and inode where both exist,
 * else by their folder's device and inode and their name in it */
static bool same_file(const char *x, const char *y)
{
    struct stat a, b;
    const bool ea = stat(x, &a) == 0, eb = stat(y, &b) == 0;
    if (ea || eb)
        return ea && eb && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
    const char *bx = strrchr(x, '/'), *by = strrchr(y, '/');
    char dx[4096], dy[4096];
    snprintf(dx, sizeof dx, "%.*s", bx ? (int)(bx - x) + 1 : 1, bx ? x : ".");
    snprintf(dy, sizeof dy, "%.*s", by ? (int)(by - y) + 1 : 1, by ? y : ".");
    return strcmp(bx ? bx + 1 : x, by ? by + 1 : y) == 0 && stat(dx, &a) == 0 &&
           stat(dy, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* a fresh run (no --resume) does not replace a checkpoint that is there */
static vgg_status keep_checkpoint(const char *ckpt)
{
    if (access(ckpt, F_OK) != 0)
        return VGG_STATUS_OK;
    vgg_safetensors *st = NULL;
    const char *it = NULL;
    if (vgg_st_open(ckpt, &st) == VGG_STATUS_OK && vgg_st_meta(st, "train.format"))
        it = vgg_st_meta(st, "train.iteration");
    vgg_status e;
    if (it)
        e = vgg_fail(VGG_STATUS_INVALID, "'%s': the checkpoint of an earlier run is there (at "
                     "iteration %s): give --resume to go on from it, or remove it to start "
                     "over", ckpt, it);
    else
        e = vgg_fail(VGG_STATUS_INVALID, "'%s': a file that is not a training checkpoint is "
                     "there, and writing the checkpoint would replace it: give another "
                     "--checkpoint, or remove it", ckpt);
    vgg_st_close(st);
    return e;
}

/* the checkpoint's name; rank 0 (the one that writes) applies the one
 * output rule to the weights, the checkpoint and the log (regular files,
 * none of them an input, nor one of the others), keeps a checkpoint that is there unless
 * it resumes, then takes the checkpoint's lock: first of all, so a second
 * run on the same checkpoint is refused before it reads any data */
static vgg_status claim_outputs(run *r)
{
    vgg_pretrain_config *a = r->a;
    r->ckpt = a->checkpoint;
    if (!r->ckpt) {
        snprintf(r->ckpt_default, sizeof r->ckpt_default, "%s.ckpt", a->output);
        r->ckpt = r->ckpt_default;
    }
    if (r->rank != 0)
        return VGG_STATUS_OK;
    vgg_status st = VGG_STATUS_OK;
    const char *ins[] = { a->data, a->list, a->classes, a->val_data, a->val_list,
                          a->val_classes, a->init_from, a->weights };
    const char *outs[] = { a->output, r->ckpt, a->log };
    const char *names[] = { "-o", a->checkpoint ? "--checkpoint" : "the checkpoint (-o's name "
                            "and .ckpt)", "--log" };
    for (size_t i = 0; i < 3 && st == VGG_STATUS_OK; i++)
        for (size_t j = i + 1; j < 3 && st == VGG_STATUS_OK; j++)
            if (outs[i] && outs[j] && same_file(outs[i], outs[j]))
                st = vgg_fail(VGG_STATUS_INVALID, "'%s': %s and %s name the same file; each "
                              "output needs a file of its own", outs[j], names[i], names[j]);
    for (size_t i = 0; i < 3 && st == VGG_STATUS_OK; i++)
        if (outs[i] && (st = vgg_output_check_kind(outs[i], 0)) == VGG_STATUS_OK)
            st = vgg_output_check(outs[i], ins, sizeof ins / sizeof *ins);
    if (st == VGG_STATUS_OK)
        st = vgg_lock_acquire(r->ckpt, &r->ckpt_lock);
    if (st == VGG_STATUS_OK && !a->resume)
        st = keep_checkpoint(r->ckpt);
    return st;
}

/* rank 0 resumes from the checkpoint when asked and it is there;
 * *resumed says so */
static vgg_status resume(run *r, bool *resumed)
{
    vgg_pretrain_config *a = r->a;
    vgg_status st = VGG_STATUS_OK;
    *resumed = false;
    if (r->rank == 0 && a->resume && access(r->ckpt, F_OK) == 0) {
        *resumed = true;
        if ((st = vgg_pretrain_state_load(r->tr, r->ckpt, &r->state, &r->sched, &r->settings,
                                          a->new_schedule)) != VGG_STATUS_OK)
            return st;
        if (a->new_schedule) {
            /* this command line's rate, with the plateau drops made so far */
            r->sched.lr = a->lr;
            for (int i = 0; i < r->sched.drops; i++)
                r->sched.lr *= 0.1f;
        }
        say(r, VGG_PRETRAIN_SAY_NOTE, "resumed from '%s' at iteration %lld (epoch %lld, "
            "image %zu)%s", r->ckpt, (long long)vgg_trainer_iteration(r->tr),
            (long long)r->state.epoch, r->state.pos,
            a->new_schedule ? " with the schedule of this command line" : "");
        if (a->log)
            st = vgg_pretrain_log_truncate(a->log, vgg_trainer_iteration(r->tr));
    } else if (a->resume) {
        say(r, VGG_PRETRAIN_SAY_NOTE, "no checkpoint '%s' yet; starting from the beginning",
            r->ckpt);
    }
    return st;
}

/* every rank starts from rank 0's state: the weights, momenta, iteration,
 * position in the data and schedule (read from the checkpoint by rank 0
 * alone, so a job resumes on any number of ranks) */
static vgg_status share_state(run *r)
{
    if (r->size == 1)
        return VGG_STATUS_OK;
    vgg_status st = vgg_dist_bcast(r->dist, &r->state, sizeof r->state);
    if (st == VGG_STATUS_OK)
        st = vgg_dist_bcast(r->dist, &r->sched, sizeof r->sched);
    return st == VGG_STATUS_OK ? vgg_trainer_broadcast(r->tr, vgg_dist_bcast, r->dist) : st;
}

/* the ranks learn whether rank 0 claimed the outputs before any of them
 * starts the slow work: rank 0 failed alone (its error ends the job, or
 * the team), the others stop at this collective */
static vgg_status agree_claim(run *r, vgg_status st)
{
    if (r->size == 1 || st != VGG_STATUS_OK)
        return st;
    double nothing = 0;
    return vgg_dist_sum_doubles(r->dist, &nothing, 1);
}

/* one line of the metrics log, whole or not at all: a line that cannot be
 * written (a full disk, a file-size limit) is cut off the file and kept
 * in the state, for the checkpoint; the run then stops (log_failed) */
static vgg_status log_line(run *r, const char *fmt, ...)
{
    char line[sizeof r->state.log_line];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    const off_t start = lseek(r->log, 0, SEEK_END);
    size_t n = strlen(line), done = 0;
    int e = start < 0 ? errno : 0;
    while (!e && done < n) {
        ssize_t w = write(r->log, line + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            e = w < 0 ? errno : ENOSPC;
        else
            done += (size_t)w;
    }
    if (!e)
        return VGG_STATUS_OK;
    if (start >= 0 && ftruncate(r->log, start) != 0) {
        /* the cut line stays; a --resume drops it (vgg_pretrain_log_truncate) */
    }
    snprintf(r->state.log_line, sizeof r->state.log_line, "%s", line);
    r->log_failed = true;
    return vgg_fail(VGG_STATUS_IO, "'%s': cannot write the metrics log: %s", r->a->log,
                    strerror(e));
}

/* the checkpoint (resumed when asked and there), the log (with the line a
 * stopped run could not write), the loader */
static vgg_status resume_and_open(run *r)
{
    vgg_pretrain_config *a = r->a;
    vgg_status st;
    r->state = (vgg_pretrain_state){ .seed = a->seed, .batch = a->batch, .images = r->data->n };
    vgg_pretrain_settings_make(a, r->data, r->val, vgg_net_preproc(r->net), &r->sched,
                               r->val_every, &r->settings);
    bool resumed = false;
    if ((st = resume(r, &resumed)) != VGG_STATUS_OK || (st = share_state(r)) != VGG_STATUS_OK)
        return st;
    if (r->rank == 0 && a->log &&
        (r->log = open(a->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (resumed ? 0 : O_TRUNC),
                       0666)) < 0)
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot open: %s", a->log, strerror(errno));
    if (r->log >= 0 && r->state.log_line[0]) {
        char line[sizeof r->state.log_line];
        memcpy(line, r->state.log_line, sizeof line);
        if ((st = log_line(r, "%s", line)) != VGG_STATUS_OK)
            return st;
    }
    r->state.log_line[0] = '\0';
    r->state.validate = r->state.validate && r->val;   /* none without a validation set */
    vgg_pretrain_aug aug = {
        .crop = a->arch.input_size, .smin = a->smin, .smax = a->smax, .flip = !a->no_flip,
        .color_sigma = a->color, .pp = *vgg_net_preproc(r->net),
    };
    return vgg_pretrain_loader_create_slice(r->data, &aug, a->batch, r->first, r->count,
                                            a->loaders, a->seed, r->state.epoch, r->state.pos,
                                            &r->loader);
}

static void fmt_eta(double s, char *buf, size_t n)
{
    if (!isfinite(s) || s < 0)
        s = 0;
    long t = (long)(s + 0.5);
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

/* the running window of training statistics between progress lines */
typedef struct window {
    double t0, t, loss;
    long long it0, hits, n;
} window;

static vgg_status report_step(run *r, window *w, long long it, double ep, float lr)
{
    double now = vgg_now_seconds();
    double ips = w->n / fmax(now - w->t, 1e-9);
    double per_it = (now - w->t0) / (double)(it - w->it0);
    char eta[32];
    fmt_eta(per_it * (r->total - it), eta, sizeof eta);
    say(r, VGG_PRETRAIN_SAY_PROGRESS, "iter %lld/%lld  epoch %.3f  loss %.4f  acc %.2f%%  "
        "lr %.3g  %.1f img/s  eta %s", it, r->total, ep, w->loss / w->n, 100.0 * w->hits / w->n,
        lr, ips, eta);
    vgg_status st = VGG_STATUS_OK;
    if (r->log >= 0)
        st = log_line(r, "{\"iter\":%lld,\"epoch\":%.4f,\"loss\":%.6f,\"acc\":%.6f,"
                      "\"lr\":%.6g,\"img_s\":%.2f,\"elapsed\":%.2f,\"bad_images\":%lld,"
                      "\"allreduce_s\":%.4f}\n",
                      it, ep, w->loss / w->n, (double)w->hits / w->n, lr, ips, now - w->t0,
                      r->state.bad_images, r->reduce_s);
    w->loss = 0;
    w->hits = w->n = 0;
    w->t = now;
    r->reduce_s = 0;
    return st;
}

/* validate; *stop when the schedule says so.  The schedule takes the
 * verdict once its log line is written: a line that cannot be written
 * leaves the validation owed, for a --resume to do again */
static vgg_status validate_step(run *r, long long it, double ep, bool *stop)
{
    vgg_pretrain_config *a = r->a;
    const int qval = (a->smin + a->smax) / 2;
    vgg_pretrain_val v = { 0 };
    vgg_status st = vgg_pretrain_validate(r->net, r->val, qval, a->val_limit, &v);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_pretrain_schedule next = r->sched;
    const bool ends = vgg_pretrain_schedule_validate(&next, v.top1);
    say(r, VGG_PRETRAIN_SAY_PROGRESS, "validation at iter %lld: top-1 error %.2f%%  top-5 "
        "error %.2f%%  loss %.4f  (%zu images, Q %d)%s", it, 100 * (1 - v.top1),
        100 * (1 - v.top5), v.loss, v.n, qval, ends ? "  -> stopping" : "");
    if (r->log >= 0)
        st = log_line(r, "{\"iter\":%lld,\"epoch\":%.4f,\"val_top1_err\":%.6f,"
                      "\"val_top5_err\":%.6f,\"val_loss\":%.6f,\"lr_next\":%.6g}\n", it, ep,
                      1 - v.top1, 1 - v.top5, v.loss, vgg_pretrain_schedule_lr(&next, it));
    if (st != VGG_STATUS_OK) {
        r->state.log_line[0] = '\0';   /* the validation done again writes it */
        return st;
    }
    r->sched = next;
    r->state.validate = false;
    *stop = ends;
    return VGG_STATUS_OK;
}

/* --slices: each slice's gradient, summed in slice order into acc */
typedef struct slice_sum {
    int s, n;            /* this slice of n */
    float *acc;
} slice_sum;

static vgg_status add_slice(void *ctx, float *grad, size_t count)
{
    slice_sum *ss = ctx;
    if (!ss->acc && !(ss->acc = malloc(sizeof(float) * count)))
        return vgg_fail(VGG_STATUS_NOMEM, "--slices: out of memory for %zu gradients", count);
    if (ss->s == 0)
        memcpy(ss->acc, grad, sizeof(float) * count);
    else
        for (size_t i = 0; i < count; i++)
            ss->acc[i] += grad[i];
    if (ss->s == ss->n - 1)
        memcpy(grad, ss->acc, sizeof(float) * count);
    return VGG_STATUS_OK;
}

/* one iteration's gradient of the whole batch: this rank's slice summed
 * over the ranks in one collective, or each of --slices alone and summed
 * in order; loss and hits of the images computed here */
static vgg_status gradient(run *r, const vgg_pretrain_batch *b, double *loss, int *hits)
{
    const int B = r->a->batch;
    const size_t per = (size_t)3 * r->a->arch.input_size * r->a->arch.input_size;
    vgg_status st = vgg_trainer_zero_grad(r->tr);
    if (r->slices == 1) {
        if (st == VGG_STATUS_OK)
            st = vgg_trainer_accumulate(r->tr, b->x, b->labels, r->count, r->first, B, loss, hits);
        const double t0 = vgg_now_seconds();
        if (st == VGG_STATUS_OK && r->par)
            st = vgg_trainer_reduce_grad(r->tr, r->nccl ? NULL : vgg_dist_sum_floats, r->dist);
        r->reduce_s += vgg_now_seconds() - t0;
        return st;
    }
    slice_sum ss = { .n = r->slices };
    for (int s = 0; s < r->slices && st == VGG_STATUS_OK; s++) {
        const int f = (int)((long long)B * s / r->slices);
        const int e = (int)((long long)B * (s + 1) / r->slices);
        if (s > 0)
            st = vgg_trainer_zero_grad(r->tr);
        if (st == VGG_STATUS_OK)
            st = vgg_trainer_accumulate(r->tr, b->x + f * per, b->labels + f, e - f, f, B, loss,
                                        hits);
        ss.s = s;
        if (st == VGG_STATUS_OK)
            st = vgg_trainer_reduce_grad(r->tr, add_slice, &ss);
    }
    free(ss.acc);
    return st;
}

/* a non-finite loss or logit after the first update: the weights have
 * run away, most often for a learning rate too high for the net */
static vgg_status diverged(run *r, float lr)
{
    char why[512];
    snprintf(why, sizeof why, "%s", vgg_last_error());
    return vgg_fail(VGG_STATUS_NUMERIC, "the loss diverged at iteration %lld (learning rate "
                    "%g; %s): give a lower --lr (or a --warmup)",
                    (long long)vgg_trainer_iteration(r->tr) + 1, lr, why);
}

/* one SGD iteration; *loss and *hits over the whole batch */
static vgg_status step(run *r, const vgg_pretrain_batch *b, float lr, float *loss, int *hits)
{
    double sum = 0.0;
    int h = 0;
    vgg_status st = gradient(r, b, &sum, &h);
    /* loss, hits and replaced images of every rank */
    double tot[3] = { sum, h, b->n_bad };
    if (st == VGG_STATUS_OK)
        st = vgg_dist_sum_doubles(r->dist, tot, 3);
    if (st == VGG_STATUS_OK && !isfinite(tot[0]))
        st = vgg_fail(VGG_STATUS_NUMERIC, "the loss is not finite");
    if (st == VGG_STATUS_NUMERIC)
        st = vgg_trainer_iteration(r->tr) > 0
                 ? diverged(r, lr)
                 : vgg_fail_context(st, "at the first iteration, before any update: ");
    if (st == VGG_STATUS_OK)
        st = vgg_trainer_apply(r->tr, lr);
    *loss = (float)(tot[0] / r->a->batch);
    *hits = (int)tot[1];
    r->state.bad_images += (long long)tot[2];
    return st;
}

/* the replaced images of this rank's slice */
static void say_bad(run *r, const vgg_pretrain_batch *b)
{
    char pre[32] = "", text[1024];
    if (!r->a->say)
        return;
    if (r->size > 1)
        snprintf(pre, sizeof pre, "rank %d: ", r->rank);
    for (int i = 0; i < b->n_bad && i < 4; i++) {
        snprintf(text, sizeof text, "%sunreadable image replaced: %s", pre, b->bad_msg[i]);
        (r->a->say)(r->a->ctx, VGG_PRETRAIN_SAY_NOTE, text);
    }
    if (b->n_bad > 4) {
        snprintf(text, sizeof text, "%s... and %d more in this batch", pre, b->n_bad - 4);
        (r->a->say)(r->a->ctx, VGG_PRETRAIN_SAY_NOTE, text);
    }
}

/* validation: rank 0's, its verdict (schedule, stop, or interrupted by a
 * signal: every rank stops there) given to every rank */
static vgg_status validate_all(run *r, long long it, double ep, bool *stop)
{
    vgg_status st = r->rank == 0 ? validate_step(r, it, ep, stop) : VGG_STATUS_OK;
    if (r->size == 1 || (st != VGG_STATUS_OK && st != VGG_STATUS_INTERRUPTED))
        return st;
    int verdict = st == VGG_STATUS_INTERRUPTED ? 2 : *stop;
    vgg_status e = vgg_dist_bcast(r->dist, &r->sched, sizeof r->sched);
    if (e == VGG_STATUS_OK)
        e = vgg_dist_bcast(r->dist, &verdict, sizeof verdict);
    if (e != VGG_STATUS_OK)
        return e;
    *stop = verdict == 1;
    if (verdict == 2 && r->rank != 0)
        return vgg_fail(VGG_STATUS_INTERRUPTED, "interrupted on rank 0 during the validation");
    return st;
}

/* a signal seen before an iteration or during a validation: the state is
 * that of the last finished iteration (owing its validation in the second
 * case), which rank 0 keeps (the next --resume goes on from it) */
static vgg_status interrupted(run *r, vgg_status st)
{
    vgg_status cst = r->rank == 0 ? vgg_pretrain_state_save(r->tr, r->ckpt, &r->state,
                                                            &r->sched, &r->settings)
                                  : VGG_STATUS_OK;
    if (cst != VGG_STATUS_OK)
        return cst;
    if (r->rank != 0)
        return vgg_fail(st, "interrupted by %s at iteration %lld (rank 0 saves the checkpoint)",
                        vgg_signal_received() == SIGTERM ? "SIGTERM" : "SIGINT",
                        (long long)vgg_trainer_iteration(r->tr));
    return vgg_fail(st, "interrupted by %s at iteration %lld; checkpoint '%s' saved, "
                    "--resume goes on from there",
                    vgg_signal_received() == SIGTERM ? "SIGTERM" : "SIGINT",
                    (long long)vgg_trainer_iteration(r->tr), r->ckpt);
}

/* the ranks stop together: a signal seen by any of them before an
 * iteration stops every one there */
static vgg_status agree_interrupt(run *r, vgg_status st)
{
    if (r->size == 1 || (st != VGG_STATUS_OK && st != VGG_STATUS_INTERRUPTED))
        return st;
    double seen = st == VGG_STATUS_INTERRUPTED;
    vgg_status e = vgg_dist_sum_doubles(r->dist, &seen, 1);
    if (e != VGG_STATUS_OK)
        return e;
    if (seen > 0 && st == VGG_STATUS_OK)
        return vgg_fail(VGG_STATUS_INTERRUPTED, "interrupted on another rank");
    return st;
}

/* the metrics log could not be written: rank 0 keeps the state of the
 * last finished iteration in the checkpoint, with the line it could not
 * write (a --resume writes it first), and the run stops naming the log */
static vgg_status log_failed(run *r, vgg_status st)
{
    char why[1024];
    snprintf(why, sizeof why, "%s", vgg_last_error());
    if (vgg_pretrain_state_save(r->tr, r->ckpt, &r->state, &r->sched, &r->settings) !=
        VGG_STATUS_OK)
        return vgg_fail(st, "%s; the checkpoint could not be saved either: %s", why,
                        vgg_last_error());
    return vgg_fail(st, "%s; checkpoint '%s' saved at iteration %lld, --resume goes on from "
                    "there (with room for the log)", why, r->ckpt,
                    (long long)vgg_trainer_iteration(r->tr));
}

/* the end of an iteration (the state's position is after it): the
 * validation it owes, then the checkpoint when one is due */
static vgg_status finish_iteration(run *r, bool *stop)
{
    const long long it = vgg_trainer_iteration(r->tr);
    const double ep = r->state.epoch + (double)r->state.pos / r->data->n;
    vgg_status st = VGG_STATUS_OK;
    if (r->state.validate && r->val)
        st = validate_all(r, it, ep, stop);
    if (st == VGG_STATUS_OK && r->rank == 0 &&
        (it % r->a->ckpt_every == 0 || it == r->total || *stop))
        st = vgg_pretrain_state_save(r->tr, r->ckpt, &r->state, &r->sched, &r->settings);
    return st;
}

/* an iteration's failure: a signal or the log keep the state in the
 * checkpoint first */
static vgg_status stopped(run *r, vgg_status st)
{
    if (st == VGG_STATUS_INTERRUPTED)
        return interrupted(r, st);
    if (r->log_failed)
        return log_failed(r, st);
    return st;
}

static vgg_status train_loop(run *r, window *w)
{
    vgg_pretrain_config *a = r->a;
    bool stop = false;
    /* a resumed run first does what its checkpoint's iteration owes */
    vgg_status st = r->state.validate ? finish_iteration(r, &stop) : VGG_STATUS_OK;
    if (st != VGG_STATUS_OK)
        return stopped(r, st);
    while (vgg_trainer_iteration(r->tr) < r->total && !stop) {
        vgg_pretrain_batch *b = NULL;
        st = agree_interrupt(r, vgg_check_interrupt());
        if (st == VGG_STATUS_OK)
            st = vgg_pretrain_loader_next(r->loader, &b);
        /* a signal seen here or while waiting for the loader's batch */
        if (st == VGG_STATUS_INTERRUPTED && vgg_trainer_iteration(r->tr) > 0)
            return interrupted(r, st);
        if (st != VGG_STATUS_OK)
            return st;
        say_bad(r, b);
        const float lr = vgg_pretrain_schedule_lr(&r->sched, vgg_trainer_iteration(r->tr));
        float loss;
        int hits;
        if ((st = step(r, b, lr, &loss, &hits)) != VGG_STATUS_OK)
            return st;
        const long long it = vgg_trainer_iteration(r->tr);
        w->loss += (double)loss * a->batch;
        w->hits += hits;
        w->n += a->batch;
        r->state.epoch = b->epoch;
        r->state.pos = b->pos;
        r->state.validate = r->val && (it % r->val_every == 0 || it == r->total);
        const double ep = r->state.epoch + (double)r->state.pos / r->data->n;
        if (r->rank == 0 && (it % a->print_every == 0 || it == r->total))
            st = report_step(r, w, it, ep, lr);
        if (st == VGG_STATUS_OK)
            st = finish_iteration(r, &stop);
        if (st != VGG_STATUS_OK)
            return stopped(r, st);
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_pretrain_run(vgg_pretrain_config *a)
{
    if (a->devices)
        return vgg_pretrain_run_devices(a);
    run r;
    memset(&r, 0, sizeof r);
    r.a = a;
    r.log = -1;
    vgg_status st = plan_slices(&r);
    if (st == VGG_STATUS_OK)
        st = agree_claim(&r, claim_outputs(&r));
    if (st == VGG_STATUS_OK)
        st = load_sets(&r);
    if (st == VGG_STATUS_OK)
        st = build_net(&r);
    if (st == VGG_STATUS_OK)
        st = make_trainer(&r);
    if (st == VGG_STATUS_OK) {
        r.total = a->iterations > 0 ? a->iterations
                                    : (long long)ceil(a->epochs * (double)r.data->n / a->batch);
        r.sched.cosine_end = a->cosine ? r.total : 0;
        const long long per_epoch = ((long long)r.data->n + a->batch - 1) / a->batch;
        r.val_every = a->val_every > 0 ? a->val_every : per_epoch;
        st = resume_and_open(&r);
    }
    window w = { 0 };
    if (st == VGG_STATUS_OK) {
        char name[16], scale[48];
        if (a->smin == a->smax)
            snprintf(scale, sizeof scale, "S %d", a->smin);
        else
            snprintf(scale, sizeof scale, "S in [%d, %d]", a->smin, a->smax);
        say(&r, VGG_PRETRAIN_SAY_NOTE, "%s width %g, input %d, %s, %d classes, %zu images, "
            "batch %d (%d per pass), %lld iterations (%.2f epochs)",
            vgg_arch_name(&a->arch, name, sizeof name), a->arch.width, a->arch.input_size, scale,
            r.data->n_classes, r.data->n, a->batch, r.micro_batch, r.total,
            (double)r.total * a->batch / r.data->n);
        if (r.par)
            say(&r, VGG_PRETRAIN_SAY_NOTE, "data-parallel: %d rank%s, gradients summed %s",
                r.size, r.size > 1 ? "s" : "",
                r.nccl ? "by NCCL on the GPUs"
                       : vgg_dist_is_mpi(r.dist) ? "by MPI" : "in shared memory (threads)");
        w.t0 = w.t = vgg_now_seconds();
        w.it0 = vgg_trainer_iteration(r.tr);
        st = train_loop(&r, &w);
    }
    if (st == VGG_STATUS_OK && (st = vgg_trainer_sync_host(r.tr)) == VGG_STATUS_OK &&
        (r.rank != 0 || (st = vgg_net_save(r.net, a->output)) == VGG_STATUS_OK))
        say(&r, VGG_PRETRAIN_SAY_NOTE, "%lld iterations in %.1f s, %lld unreadable images "
            "replaced (%lld images read, %lld used); weights '%s'",
            (long long)vgg_trainer_iteration(r.tr) - w.it0, vgg_now_seconds() - w.t0,
            r.state.bad_images,
            ((long long)vgg_trainer_iteration(r.tr) - w.it0) * a->batch + r.state.bad_images,
            ((long long)vgg_trainer_iteration(r.tr) - w.it0) * a->batch, a->output);
    if (r.log >= 0)
        close(r.log);
    vgg_pretrain_loader_free(r.loader);
    vgg_lock_release(r.ckpt_lock);
    vgg_trainer_free(r.tr);
    vgg_net_free(r.net);
    vgg_backend_close(r.be);
    vgg_pretrain_dataset_free(r.data);
    vgg_pretrain_dataset_free(r.val);
    return st;
}
