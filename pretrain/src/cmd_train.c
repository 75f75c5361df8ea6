/* vggtrain train: SGD with momentum on a folder-per-class set or a list
 * file, with the paper's augmentation and schedule, checkpoints and
 * --resume, progress lines and a metrics log (JSON lines). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "pretrain.h"
#include "vgg/train.h"

typedef struct train_args {
    const char *data, *list, *classes;
    const char *val_data, *val_list, *val_classes;
    vgg_arch arch;
    const char *init, *init_from;
    const char *weights;          /* --weights: start from every weight of this net */
    bool arch_given[4];           /* --config, --width, --fc-dim, --input-size given */
    float init_std;
    int batch, accum, micro;
    float lr, momentum, wd, dropout;
    const char *lr_steps;
    int patience, max_drops;
    float min_delta;
    double epochs;
    long long iterations;
    int smin, smax;
    bool no_flip;
    float color;
    uint64_t seed;
    int threads, loaders;
    const char *device;
    const char *output, *checkpoint, *log;
    long long ckpt_every, val_every, print_every;
    bool resume;
    int val_limit;
} train_args;

static void usage(FILE *fp)
{
    fprintf(fp,
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
"  --init normal|glorot|he  (normal, std --init-std 0.01)\n"
"  --init-from A.safetensors  copy conv1_1, conv2_1, conv3_1, conv3_2, fc6-8 of a trained A\n"
"  --weights NET.safetensors  start from every weight of a trained net (fine-tuning, e.g.\n"
"                         S=384 from the S=256 net); its architecture and preprocessing\n"
"                         are kept, and --config/--width/--fc-dim/--input-size, if given,\n"
"                         must agree with it\n"
"optimiser (the paper's defaults)\n"
"  --batch N (256)  --accum K: K passes of batch/K images  --micro-batch M\n"
"  --lr 0.01  --momentum 0.9  --weight-decay 5e-4 (weights only, not biases)  --dropout 0.5\n"
"  --lr-steps IT,IT,...   divide lr by 10 at these iterations\n"
"  --patience P           divide lr by 10 after P validations without improvement (0: off)\n"
"  --min-delta D          an improvement of validation accuracy is more than D (0)\n"
"  --max-drops K          stop at the next plateau after K plateau drops (3; 0: never)\n"
"  --epochs E (1) | --iterations N\n"
"augmentation\n"
"  --scale S              training scale (smallest side; default input size + 32)\n"
"  --scale-jitter MIN,MAX S drawn per image in [MIN, MAX]\n"
"  --no-flip              no random horizontal flips\n"
"  --color-shift SIGMA    RGB colour shift (PCA lighting) strength (0.1; 0: off)\n"
"run\n"
"  --seed N (1)  --threads N compute threads (0: all)  --loaders N decoding threads (2)\n"
"  --device cpu|cuda[:N]\n"
"  --checkpoint FILE      (default WEIGHTS.ckpt)  --checkpoint-every N iterations (1000)\n"
"  --resume               continue from the checkpoint (same options)\n"
"  --log FILE             metrics, one JSON object per line\n"
"  --print-every N        progress line every N iterations (10)\n");
}

static int bad_value(const char *opt, const char *v)
{
    fprintf(stderr, "vggtrain train: bad value '%s' for --%s\n", v, opt);
    return 2;
}

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

/* ---- validation: centre crop at the middle training scale ---- */

typedef struct val_result {
    double top1, top5, loss;   /* accuracies 0..1, mean loss */
    size_t n;
} val_result;

static vgg_status validate(vgg_net *net, const pt_dataset *val, int q, int limit, val_result *r)
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
        vgg_image *img = NULL;
        if (vgg_image_load(val->paths[i], &o, &img) != VGG_STATUS_OK)
            continue;   /* unreadable validation images are left out */
        st = pt_eval_image(net, img, q, PT_CENTER, 1, prob);
        vgg_image_free(img);
        if (st != VGG_STATUS_OK)
            break;
        int rank = pt_rank(prob, C, val->labels[i]);
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

/* Keep the lines of a JSON-lines log up to iteration `upto` (a resumed run
 * repeats what came after its checkpoint). */
static vgg_status truncate_log(const char *path, long long upto)
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
        if (sscanf(line, "{\"iter\":%lld", &it) == 1 && it <= upto)
            st = vgg_write_all(af.fp, line, n, path);
        line += n;
    }
    if (st == VGG_STATUS_OK)
        st = vgg_atomic_commit(&af);
    vgg_atomic_abort(&af);
    free(text);
    return st;
}

static void fmt_eta(double s, char *buf, size_t n)
{
    if (!isfinite(s) || s < 0)
        s = 0;
    long t = (long)(s + 0.5);
    snprintf(buf, n, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
}

static int run(train_args *a)
{
    vgg_status st;
    pt_dataset *data = NULL, *val = NULL;
    vgg_backend *be = NULL;
    vgg_net *net = NULL, *src = NULL;
    vgg_trainer *tr = NULL;
    pt_loader *loader = NULL;
    FILE *log = NULL;
    int rc = 1;
    char ckpt_default[4096];

    if (a->data)
        st = pt_dataset_from_folders(a->data, &data);
    else
        st = pt_dataset_from_list(a->list, a->classes, &data);
    if (st != VGG_STATUS_OK)
        goto fail;
    if (a->val_data)
        st = pt_dataset_from_folders(a->val_data, &val);
    else if (a->val_list)
        st = pt_dataset_from_list(a->val_list, a->val_classes ? a->val_classes : a->classes,
                                  &val);
    if (st != VGG_STATUS_OK)
        goto fail;
    if (val && val->n_classes != data->n_classes) {
        st = vgg_fail(VGG_STATUS_MISMATCH, "the validation set has %d classes, the training "
                      "set %d", val->n_classes, data->n_classes);
        goto fail;
    }
    a->arch.num_classes = data->n_classes;
    if ((st = vgg_backend_open(a->device, a->threads, &be)) != VGG_STATUS_OK)
        goto fail;
    if (a->weights) {
        /* fine-tuning: the architecture is the trained net's */
        if ((st = vgg_net_load(a->weights, be, &src)) != VGG_STATUS_OK)
            goto fail;
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
        else if (w->num_classes != data->n_classes)
            bad = "number of classes";
        if (bad) {
            st = vgg_fail(VGG_STATUS_MISMATCH,
                          "'%s': its %s differs from this run's (%s, width %g, fc %d, input %d, "
                          "%d classes in the weights; %d classes in the data)",
                          a->weights, bad, vgg_config_name(w->config), w->width, w->fc_dim,
                          w->input_size, w->num_classes, data->n_classes);
            goto fail;
        }
        a->arch = *w;
        if (a->smin == 0)
            a->smin = a->smax = a->arch.input_size + 32;
        if (a->smin < a->arch.input_size) {
            st = vgg_fail(VGG_STATUS_INVALID, "training scale %d is smaller than the input size "
                          "%d of '%s' (give --scale or --scale-jitter)", a->smin,
                          a->arch.input_size, a->weights);
            goto fail;
        }
    }
    if ((st = vgg_net_create(&a->arch, be, &net)) != VGG_STATUS_OK)
        goto fail;

    vgg_init_scheme scheme;
    if ((st = vgg_init_scheme_parse(a->init, &scheme)) != VGG_STATUS_OK)
        goto fail;
    if (src) {
        for (int i = 0; i < vgg_net_param_count(net); i++) {
            vgg_param *d = vgg_net_param(net, i), *q = vgg_net_param(src, i);
            memcpy(d->data, q->data, d->numel * sizeof *d->data);
        }
        vgg_net_set_preproc(net, vgg_net_preproc(src));
        vgg_net_set_pool_round(net, vgg_net_arch(src)->pool_round);
        if ((st = vgg_net_params_changed(net)) != VGG_STATUS_OK)
            goto fail;
        fprintf(stderr, "vggtrain train: starting from every weight of '%s'\n", a->weights);
        vgg_net_free(src);
        src = NULL;
    } else if (a->init_from) {
        int copied = 0;
        if ((st = vgg_net_load(a->init_from, be, &src)) != VGG_STATUS_OK ||
            (st = vgg_train_init_from(net, src, scheme, a->init_std, a->seed, &copied)) !=
                VGG_STATUS_OK)
            goto fail;
        fprintf(stderr, "vggtrain train: %d layers copied from '%s'\n", copied, a->init_from);
        vgg_net_free(src);
        src = NULL;
    } else if ((st = vgg_train_init(net, scheme, a->init_std, a->seed)) != VGG_STATUS_OK) {
        goto fail;
    }

    vgg_train_opts to;
    vgg_train_opts_default(&to);
    to.momentum = a->momentum;
    to.weight_decay = a->wd;
    to.dropout = a->dropout;
    to.seed = a->seed;
    to.micro_batch = a->micro > 0 ? a->micro : (a->batch + a->accum - 1) / a->accum;
    if (to.micro_batch > a->batch)
        to.micro_batch = a->batch;
    if ((st = vgg_trainer_create(net, &to, &tr)) != VGG_STATUS_OK)
        goto fail;

    pt_schedule sched = {
        .lr = a->lr, .patience = a->patience, .min_delta = a->min_delta,
        .max_drops = a->max_drops, .best = -1.0,
    };
    if (a->lr_steps) {
        int v[16];
        int n = 0;
        if ((st = vgg_parse_int_list(a->lr_steps, v, 16, &n)) != VGG_STATUS_OK)
            goto fail;
        sched.n_steps = n;
        for (int i = 0; i < n; i++)
            sched.steps[i] = v[i];
    }

    const char *ckpt = a->checkpoint;
    if (!ckpt) {
        snprintf(ckpt_default, sizeof ckpt_default, "%s.ckpt", a->output);
        ckpt = ckpt_default;
    }
    const long long total = a->iterations > 0
        ? a->iterations
        : (long long)ceil(a->epochs * (double)data->n / a->batch);
    const long long per_epoch = ((long long)data->n + a->batch - 1) / a->batch;
    const long long val_every = a->val_every > 0 ? a->val_every : per_epoch;
    int64_t epoch = 0;
    size_t pos = 0;
    long long bad_images = 0;
    bool resumed = false;

    if (a->resume && access(ckpt, F_OK) == 0) {
        resumed = true;
        vgg_safetensors *m = NULL;
        if ((st = vgg_trainer_load_checkpoint(tr, ckpt, &m)) != VGG_STATUS_OK)
            goto fail;
        const char *keys[] = { "pt.seed", "pt.batch", "pt.images", "pt.epoch", "pt.pos",
                               "pt.lr", "pt.best", "pt.bad", "pt.drops", "pt.bad_images" };
        const char *v[10];
        for (int i = 0; i < 10; i++)
            if (!(v[i] = vgg_st_meta(m, keys[i]))) {
                vgg_st_close(m);
                st = vgg_fail(VGG_STATUS_FORMAT, "'%s': checkpoint lacks %s", ckpt, keys[i]);
                goto fail;
            }
        char want[3][32];
        snprintf(want[0], 32, "%" PRIu64, a->seed);
        snprintf(want[1], 32, "%d", a->batch);
        snprintf(want[2], 32, "%zu", data->n);
        for (int i = 0; i < 3; i++)
            if (strcmp(v[i], want[i]) != 0) {
                st = vgg_fail(VGG_STATUS_MISMATCH, "'%s': checkpoint has %s %s, this run %s",
                              ckpt, keys[i] + 3, v[i], want[i]);
                vgg_st_close(m);
                goto fail;
            }
        epoch = strtoll(v[3], NULL, 10);
        pos = (size_t)strtoull(v[4], NULL, 10);
        sched.lr = strtof(v[5], NULL);
        sched.best = strtod(v[6], NULL);
        sched.bad = atoi(v[7]);
        sched.drops = atoi(v[8]);
        bad_images = strtoll(v[9], NULL, 10);
        vgg_st_close(m);
        fprintf(stderr, "vggtrain train: resumed from '%s' at iteration %lld (epoch %lld, "
                "image %zu)\n", ckpt, (long long)vgg_trainer_iteration(tr), (long long)epoch, pos);
        if (a->log && (st = truncate_log(a->log, vgg_trainer_iteration(tr))) != VGG_STATUS_OK)
            goto fail;
    } else if (a->resume) {
        fprintf(stderr, "vggtrain train: no checkpoint '%s' yet; starting from the beginning\n",
                ckpt);
    }
    if (a->log) {
        log = fopen(a->log, resumed ? "a" : "w");
        if (!log) {
            st = vgg_fail(VGG_STATUS_IO, "'%s': cannot open: %s", a->log, strerror(errno));
            goto fail;
        }
    }

    pt_aug aug = {
        .crop = a->arch.input_size, .smin = a->smin, .smax = a->smax, .flip = !a->no_flip,
        .color_sigma = a->color, .pp = *vgg_net_preproc(net),
    };
    if ((st = pt_loader_create(data, &aug, a->batch, a->loaders, a->seed, epoch, pos,
                               &loader)) != VGG_STATUS_OK)
        goto fail;

    char scale[48];
    if (a->smin == a->smax)
        snprintf(scale, sizeof scale, "S %d", a->smin);
    else
        snprintf(scale, sizeof scale, "S in [%d, %d]", a->smin, a->smax);
    fprintf(stderr, "vggtrain train: %s width %g, input %d, %s, %d classes, %zu images, batch %d "
            "(%d per pass), %lld iterations (%.2f epochs)\n",
            vgg_config_name(a->arch.config), a->arch.width, a->arch.input_size, scale,
            data->n_classes, data->n, a->batch, to.micro_batch, total,
            (double)total * a->batch / data->n);

    const int qval = (a->smin + a->smax) / 2;
    const double t0 = vgg_now_seconds();
    const long long it0 = vgg_trainer_iteration(tr);
    double win_loss = 0, win_t = t0;
    long long win_hits = 0, win_n = 0, win_it = 0;
    bool stop = false;
    while (vgg_trainer_iteration(tr) < total && !stop) {
        pt_batch *b = NULL;
        if ((st = pt_loader_next(loader, &b)) != VGG_STATUS_OK)
            goto fail;
        for (int i = 0; i < b->n_bad && i < 4; i++)
            fprintf(stderr, "vggtrain train: unreadable image replaced: %s\n", b->bad_msg[i]);
        if (b->n_bad > 4)
            fprintf(stderr, "vggtrain train: ... and %d more in this batch\n", b->n_bad - 4);
        bad_images += b->n_bad;
        const long long it_before = vgg_trainer_iteration(tr);
        const float lr = pt_schedule_lr(&sched, it_before);
        float loss;
        int hits;
        if ((st = vgg_trainer_step(tr, b->x, b->labels, a->batch, lr, &loss, &hits)) !=
            VGG_STATUS_OK)
            goto fail;
        const long long it = vgg_trainer_iteration(tr);
        win_loss += (double)loss * a->batch;
        win_hits += hits;
        win_n += a->batch;
        win_it++;
        const double ep = b->epoch + (double)b->pos / data->n;
        if (it % a->print_every == 0 || it == total) {
            double now = vgg_now_seconds();
            double ips = win_n / fmax(now - win_t, 1e-9);
            double per_it = (now - t0) / (double)(it - it0);
            char eta[32];
            fmt_eta(per_it * (total - it), eta, sizeof eta);
            fprintf(stderr, "iter %lld/%lld  epoch %.3f  loss %.4f  acc %.2f%%  lr %.3g  "
                    "%.1f img/s  eta %s\n", it, total, ep, win_loss / win_n,
                    100.0 * win_hits / win_n, lr, ips, eta);
            if (log) {
                fprintf(log, "{\"iter\":%lld,\"epoch\":%.4f,\"loss\":%.6f,\"acc\":%.6f,"
                        "\"lr\":%.6g,\"img_s\":%.2f,\"elapsed\":%.2f,\"bad_images\":%lld}\n",
                        it, ep, win_loss / win_n, (double)win_hits / win_n, lr, ips, now - t0,
                        bad_images);
                fflush(log);
            }
            win_loss = 0;
            win_hits = win_n = win_it = 0;
            win_t = now;
        }
        if (val && (it % val_every == 0 || it == total)) {
            val_result r = { 0 };
            if ((st = validate(net, val, qval, a->val_limit, &r)) != VGG_STATUS_OK)
                goto fail;
            stop = pt_schedule_validate(&sched, r.top1);
            fprintf(stderr, "validation at iter %lld: top-1 error %.2f%%  top-5 error %.2f%%  "
                    "loss %.4f  (%zu images, Q %d)%s\n", it, 100 * (1 - r.top1),
                    100 * (1 - r.top5), r.loss, r.n, qval, stop ? "  -> stopping" : "");
            if (log) {
                fprintf(log, "{\"iter\":%lld,\"epoch\":%.4f,\"val_top1_err\":%.6f,"
                        "\"val_top5_err\":%.6f,\"val_loss\":%.6f,\"lr_next\":%.6g}\n", it, ep,
                        1 - r.top1, 1 - r.top5, r.loss, pt_schedule_lr(&sched, it));
                fflush(log);
            }
        }
        if (it % a->ckpt_every == 0 || it == total || stop) {
            char v[10][40];
            const char *k[10] = { "pt.seed", "pt.batch", "pt.images", "pt.epoch", "pt.pos",
                                  "pt.lr", "pt.best", "pt.bad", "pt.drops", "pt.bad_images" };
            snprintf(v[0], 40, "%" PRIu64, a->seed);
            snprintf(v[1], 40, "%d", a->batch);
            snprintf(v[2], 40, "%zu", data->n);
            snprintf(v[3], 40, "%lld", (long long)b->epoch);
            snprintf(v[4], 40, "%zu", b->pos);
            snprintf(v[5], 40, "%.9g", sched.lr);
            snprintf(v[6], 40, "%.17g", sched.best);
            snprintf(v[7], 40, "%d", sched.bad);
            snprintf(v[8], 40, "%d", sched.drops);
            snprintf(v[9], 40, "%lld", bad_images);
            const char *vp[10];
            for (int i = 0; i < 10; i++)
                vp[i] = v[i];
            if ((st = vgg_trainer_save_checkpoint(tr, ckpt, k, vp, 10)) != VGG_STATUS_OK)
                goto fail;
        }
    }
    if ((st = vgg_trainer_sync_host(tr)) != VGG_STATUS_OK ||
        (st = vgg_net_save(net, a->output)) != VGG_STATUS_OK)
        goto fail;
    fprintf(stderr, "vggtrain train: %lld iterations in %.1f s, %lld unreadable images "
            "replaced; weights '%s'\n", (long long)vgg_trainer_iteration(tr) - it0,
            vgg_now_seconds() - t0, bad_images, a->output);
    rc = 0;
fail:
    if (rc != 0)
        fprintf(stderr, "vggtrain train: %s\n", vgg_last_error());
    if (log)
        fclose(log);
    pt_loader_free(loader);
    vgg_trainer_free(tr);
    vgg_net_free(src);
    vgg_net_free(net);
    vgg_backend_close(be);
    pt_dataset_free(data);
    pt_dataset_free(val);
    return rc;
}

int cmd_train(int argc, char **argv)
{
    enum {
        O_DATA = 256, O_LIST, O_CLASSES, O_VDATA, O_VLIST, O_VCLASSES, O_VEVERY, O_VLIMIT,
        O_CONFIG, O_WIDTH, O_FC, O_INPUT, O_INIT, O_INITSTD, O_INITFROM, O_BATCH, O_ACCUM,
        O_MICRO, O_LR, O_MOM, O_WD, O_DROP, O_STEPS, O_PAT, O_DELTA, O_DROPS, O_EPOCHS, O_ITERS,
        O_SCALE, O_JITTER, O_NOFLIP, O_COLOR, O_SEED, O_THREADS, O_LOADERS, O_DEVICE, O_CKPT,
        O_CKEVERY, O_RESUME, O_LOG, O_PRINT, O_WEIGHTS,
    };
    static const struct option opts[] = {
        { "data", 1, NULL, O_DATA }, { "list", 1, NULL, O_LIST },
        { "classes", 1, NULL, O_CLASSES }, { "val-data", 1, NULL, O_VDATA },
        { "val-list", 1, NULL, O_VLIST }, { "val-classes", 1, NULL, O_VCLASSES },
        { "val-every", 1, NULL, O_VEVERY }, { "val-limit", 1, NULL, O_VLIMIT },
        { "config", 1, NULL, O_CONFIG }, { "width", 1, NULL, O_WIDTH },
        { "fc-dim", 1, NULL, O_FC }, { "input-size", 1, NULL, O_INPUT },
        { "init", 1, NULL, O_INIT }, { "init-std", 1, NULL, O_INITSTD },
        { "init-from", 1, NULL, O_INITFROM }, { "batch", 1, NULL, O_BATCH },
        { "weights", 1, NULL, O_WEIGHTS },
        { "accum", 1, NULL, O_ACCUM }, { "micro-batch", 1, NULL, O_MICRO },
        { "lr", 1, NULL, O_LR }, { "momentum", 1, NULL, O_MOM },
        { "weight-decay", 1, NULL, O_WD }, { "dropout", 1, NULL, O_DROP },
        { "lr-steps", 1, NULL, O_STEPS }, { "patience", 1, NULL, O_PAT },
        { "min-delta", 1, NULL, O_DELTA }, { "max-drops", 1, NULL, O_DROPS },
        { "epochs", 1, NULL, O_EPOCHS }, { "iterations", 1, NULL, O_ITERS },
        { "scale", 1, NULL, O_SCALE }, { "scale-jitter", 1, NULL, O_JITTER },
        { "no-flip", 0, NULL, O_NOFLIP }, { "color-shift", 1, NULL, O_COLOR },
        { "seed", 1, NULL, O_SEED }, { "threads", 1, NULL, O_THREADS },
        { "loaders", 1, NULL, O_LOADERS }, { "device", 1, NULL, O_DEVICE },
        { "checkpoint", 1, NULL, O_CKPT }, { "checkpoint-every", 1, NULL, O_CKEVERY },
        { "resume", 0, NULL, O_RESUME }, { "log", 1, NULL, O_LOG },
        { "print-every", 1, NULL, O_PRINT }, { "output", 1, NULL, 'o' },
        { "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    train_args a;
    memset(&a, 0, sizeof a);
    vgg_arch_default(&a.arch, VGG_CONFIG_A);
    a.init = "normal";
    a.init_std = 0.01f;
    a.batch = 256;
    a.accum = 1;
    a.lr = 0.01f;
    a.momentum = 0.9f;
    a.wd = 5e-4f;
    a.dropout = 0.5f;
    a.max_drops = 3;
    a.epochs = 1;
    a.color = 0.1f;
    a.seed = 1;
    a.loaders = 2;
    a.device = "cpu";
    a.ckpt_every = 1000;
    a.print_every = 10;
    int scale = 0;
    long long v;
    float f;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        const char *name = NULL;
        for (int i = 0; opts[i].name; i++)
            if (opts[i].val == c)
                name = opts[i].name;
        switch (c) {
        case O_DATA: a.data = optarg; break;
        case O_LIST: a.list = optarg; break;
        case O_CLASSES: a.classes = optarg; break;
        case O_VDATA: a.val_data = optarg; break;
        case O_VLIST: a.val_list = optarg; break;
        case O_VCLASSES: a.val_classes = optarg; break;
        case O_VEVERY: if (!parse_ll(optarg, 1, &a.val_every)) return bad_value(name, optarg); break;
        case O_VLIMIT: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); a.val_limit = (int)v; break;
        case O_CONFIG:
            if (vgg_config_parse(optarg, &a.arch.config) != VGG_STATUS_OK)
                return bad_value(name, optarg);
            a.arch_given[0] = true;
            break;
        case O_WIDTH: if (!parse_f(optarg, 1e-6f, &a.arch.width)) return bad_value(name, optarg); a.arch_given[1] = true; break;
        case O_FC: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); a.arch.fc_dim = (int)v; a.arch_given[2] = true; break;
        case O_INPUT: if (!parse_ll(optarg, 32, &v)) return bad_value(name, optarg); a.arch.input_size = (int)v; a.arch_given[3] = true; break;
        case O_WEIGHTS: a.weights = optarg; break;
        case O_INIT: a.init = optarg; break;
        case O_INITSTD: if (!parse_f(optarg, 1e-12f, &a.init_std)) return bad_value(name, optarg); break;
        case O_INITFROM: a.init_from = optarg; break;
        case O_BATCH: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); a.batch = (int)v; break;
        case O_ACCUM: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); a.accum = (int)v; break;
        case O_MICRO: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); a.micro = (int)v; break;
        case O_LR: if (!parse_f(optarg, 0, &a.lr)) return bad_value(name, optarg); break;
        case O_MOM: if (!parse_f(optarg, 0, &a.momentum)) return bad_value(name, optarg); break;
        case O_WD: if (!parse_f(optarg, 0, &a.wd)) return bad_value(name, optarg); break;
        case O_DROP: if (!parse_f(optarg, 0, &a.dropout)) return bad_value(name, optarg); break;
        case O_STEPS: a.lr_steps = optarg; break;
        case O_PAT: if (!parse_ll(optarg, 0, &v)) return bad_value(name, optarg); a.patience = (int)v; break;
        case O_DELTA: if (!parse_f(optarg, 0, &a.min_delta)) return bad_value(name, optarg); break;
        case O_DROPS: if (!parse_ll(optarg, 0, &v)) return bad_value(name, optarg); a.max_drops = (int)v; break;
        case O_EPOCHS: if (!parse_f(optarg, 1e-9f, &f)) return bad_value(name, optarg); a.epochs = f; break;
        case O_ITERS: if (!parse_ll(optarg, 1, &a.iterations)) return bad_value(name, optarg); break;
        case O_SCALE: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); scale = (int)v; break;
        case O_JITTER:
            if (sscanf(optarg, "%d,%d", &a.smin, &a.smax) != 2 || a.smin < 1 || a.smax < a.smin)
                return bad_value(name, optarg);
            break;
        case O_NOFLIP: a.no_flip = true; break;
        case O_COLOR: if (!parse_f(optarg, 0, &a.color)) return bad_value(name, optarg); break;
        case O_SEED: if (!parse_ll(optarg, 0, &v)) return bad_value(name, optarg); a.seed = (uint64_t)v; break;
        case O_THREADS: if (!parse_ll(optarg, 0, &v)) return bad_value(name, optarg); a.threads = (int)v; break;
        case O_LOADERS: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); a.loaders = (int)v; break;
        case O_DEVICE: a.device = optarg; break;
        case O_CKPT: a.checkpoint = optarg; break;
        case O_CKEVERY: if (!parse_ll(optarg, 1, &a.ckpt_every)) return bad_value(name, optarg); break;
        case O_RESUME: a.resume = true; break;
        case O_LOG: a.log = optarg; break;
        case O_PRINT: if (!parse_ll(optarg, 1, &a.print_every)) return bad_value(name, optarg); break;
        case 'o': a.output = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !a.output || (!a.data == !a.list) || (a.list && !a.classes)) {
        fprintf(stderr, "vggtrain train: give -o WEIGHTS and either --data DIR or --list FILE "
                "--classes FILE\n");
        usage(stderr);
        return 2;
    }
    if (a.weights && a.init_from) {
        fprintf(stderr, "vggtrain train: --weights and --init-from exclude each other\n");
        return 2;
    }
    if (a.smin == 0 && (scale || !a.weights))   /* with --weights: the default in run() */
        a.smin = a.smax = scale ? scale : a.arch.input_size + 32;
    else if (scale)
        return bad_value("scale", "(both --scale and --scale-jitter)");
    if (!a.weights && a.smin < a.arch.input_size) { /* with --weights: checked in run() */
        fprintf(stderr, "vggtrain train: scale %d is smaller than the input size %d\n", a.smin,
                a.arch.input_size);
        return 2;
    }
    return run(&a);
}
