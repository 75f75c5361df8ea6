/* Training checkpoints: parameters, momentum, iteration and the caller's
 * state in one safetensors file, written atomically, with a checksum that
 * a resume verifies before it reads anything. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"
#include "train_internal.h"

/* -1: without the checksum (refused: it cannot be verified) */
#define CKPT_FORMAT "vggfeat-checkpoint-2"
#define CKPT_FORMAT_1 "vggfeat-checkpoint-1"
#define SUM_KEY "train.sha256"
#define MAX_META 128

/* ---- the checksum ---- */

typedef struct meta_pair {
    const char *key, *value;
} meta_pair;

static int cmp_meta(const void *a, const void *b)
{
    return strcmp(((const meta_pair *)a)->key, ((const meta_pair *)b)->key);
}

/* by the place of their data (empty tensors, which share a place, by name) */
static int cmp_data(const void *a, const void *b)
{
    const vgg_st_tensor *x = *(const vgg_st_tensor *const *)a;
    const vgg_st_tensor *y = *(const vgg_st_tensor *const *)b;
    const uint8_t *p = x->data, *q = y->data;
    return p < q ? -1 : p > q ? 1 : strcmp(x->name, y->name);
}

static void put_u64(vgg_sha256 *s, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    vgg_sha256_update(s, b, 8);
}

/* SHA-256 of the tensors in the order of their data in the file (each
 * one's name, dtype, shape and bytes), then of the metadata but SUM_KEY,
 * in key order: every byte of the file a resume reads.  meta is sorted. */
static vgg_status checksum(const char *path, const vgg_st_tensor *const *t, int nt,
                           meta_pair *meta, int nm, char hex[65])
{
    vgg_sha256 s;
    if (vgg_sha256_init(&s) != VGG_STATUS_OK)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': cannot compute the checksum", path);
    for (int i = 0; i < nt; i++) {
        vgg_sha256_update(&s, t[i]->name, strlen(t[i]->name) + 1);
        put_u64(&s, (uint64_t)t[i]->dtype);
        put_u64(&s, (uint64_t)t[i]->ndim);
        for (int d = 0; d < t[i]->ndim; d++)
            put_u64(&s, (uint64_t)t[i]->shape[d]);
        put_u64(&s, (uint64_t)t[i]->nbytes);
        vgg_sha256_update(&s, t[i]->data, t[i]->nbytes);
    }
    qsort(meta, (size_t)nm, sizeof *meta, cmp_meta);
    for (int i = 0; i < nm; i++) {
        if (strcmp(meta[i].key, SUM_KEY) == 0)
            continue;
        vgg_sha256_update(&s, meta[i].key, strlen(meta[i].key) + 1);
        vgg_sha256_update(&s, meta[i].value, strlen(meta[i].value) + 1);
    }
    vgg_sha256_final_hex(&s, hex);
    return VGG_STATUS_OK;
}

/* the checksum of the file vgg_st_write makes of entries e[0..n) (written
 * in that order) and metadata (mk, mv)[0..m) */
static vgg_status checksum_entries(const char *path, const vgg_st_entry *e, int n,
                                   const char *const *mk, const char *const *mv, int m,
                                   char hex[65])
{
    vgg_st_tensor *t = calloc((size_t)n + 1, sizeof *t);
    const vgg_st_tensor **tp = calloc((size_t)n + 1, sizeof *tp);
    meta_pair *meta = calloc((size_t)m + 1, sizeof *meta);
    vgg_status st = VGG_STATUS_OK;
    if (!t || !tp || !meta)
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    for (int i = 0; i < n && st == VGG_STATUS_OK; i++) {
        size_t numel = 1;
        for (int d = 0; d < e[i].ndim; d++)
            numel *= (size_t)e[i].shape[d];
        t[i] = (vgg_st_tensor){ .name = e[i].name, .dtype = e[i].dtype, .ndim = e[i].ndim,
                                .data = e[i].data, .nbytes = numel * vgg_dtype_size(e[i].dtype) };
        memcpy(t[i].shape, e[i].shape, sizeof t[i].shape);
        tp[i] = &t[i];
    }
    for (int i = 0; i < m && st == VGG_STATUS_OK; i++)
        meta[i] = (meta_pair){ mk[i], mv[i] };
    if (st == VGG_STATUS_OK)
        st = checksum(path, tp, n, meta, m, hex);
    free(t);
    free(tp);
    free(meta);
    return st;
}

/* an open checkpoint's checksum against the one it carries */
static vgg_status verify(const vgg_safetensors *st, const char *path)
{
    const char *want = vgg_st_meta(st, SUM_KEY);
    if (!want)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': the checkpoint has no checksum (%s)", path,
                        SUM_KEY);
    const int nt = vgg_st_count(st), nm = vgg_st_meta_count(st);
    const vgg_st_tensor **t = calloc((size_t)nt + 1, sizeof *t);
    meta_pair *meta = calloc((size_t)nm + 1, sizeof *meta);
    if (!t || !meta) {
        free(t);
        free(meta);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    for (int i = 0; i < nt; i++)
        t[i] = vgg_st_tensor_at(st, i);
    for (int i = 0; i < nm; i++)
        vgg_st_meta_at(st, i, &meta[i].key, &meta[i].value);
    /* the tensors tile the data buffer (vgg_st_open): by address is file order */
    qsort(t, (size_t)nt, sizeof *t, cmp_data);
    char got[65];
    vgg_status s = checksum(path, t, nt, meta, nm, got);
    free(t);
    free(meta);
    if (s == VGG_STATUS_OK && strcmp(got, want) != 0)
        s = vgg_fail(VGG_STATUS_FORMAT, "'%s': the checkpoint fails its checksum (SHA-256 of "
                     "its tensors and metadata, %s): it was changed or damaged after it was "
                     "written; restore it from a copy, or remove it to start over", path,
                     SUM_KEY);
    return s;
}

vgg_status vgg_trainer_save_checkpoint(vgg_trainer *t, const char *path,
                                       const char *const *keys, const char *const *values,
                                       int n)
{
    vgg_net *net = vgg_trainer_net(t);
    if (n < 0 || n > MAX_META - 28)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': %d checkpoint keys", path, n);
    for (int i = 0; i < n; i++)
        if (strncmp(keys[i], "train.", 6) == 0)
            return vgg_fail(VGG_STATUS_INVALID, "'%s': key '%s' is reserved", path, keys[i]);
    vgg_status st = vgg_trainer_sync_host(t);
    if (st != VGG_STATUS_OK)
        return st;

    const int np = net->n_params;
    vgg_st_entry *e = calloc((size_t)2 * np, sizeof *e);
    float **mom = calloc((size_t)np, sizeof *mom);
    char **names = calloc((size_t)np, sizeof *names);
    if (!e || !mom || !names) {
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
        goto done;
    }
    for (int i = 0; i < np && st == VGG_STATUS_OK; i++) {
        const vgg_param *p = &net->params[i];
        mom[i] = malloc(sizeof(float) * (p->numel ? p->numel : 1));
        size_t len = strlen(p->name) + 10;
        names[i] = malloc(len);
        if (!mom[i] || !names[i]) {
            st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
            break;
        }
        snprintf(names[i], len, "momentum.%s", p->name);
        st = vgg_trainer_get_momentum(t, i, mom[i]);
        e[i] = (vgg_st_entry){ .name = p->name, .dtype = VGG_DTYPE_F32, .ndim = p->ndim,
                               .data = p->data };
        e[np + i] = (vgg_st_entry){ .name = names[i], .dtype = VGG_DTYPE_F32, .ndim = p->ndim,
                                    .data = mom[i] };
        for (int d = 0; d < p->ndim; d++)
            e[i].shape[d] = e[np + i].shape[d] = p->shape[d];
    }
    if (st != VGG_STATUS_OK)
        goto done;

    const vgg_arch *a = &net->arch;
    const vgg_preproc *pp = &net->preproc;
    char buf[16][64];
    const char *mk[MAX_META], *mv[MAX_META];
    int m = 0;
#define META(k, ...) do { snprintf(buf[m], sizeof buf[m], __VA_ARGS__); mk[m] = (k); mv[m] = buf[m]; m++; } while (0)
    META("format", "vggfeat-weights-1");
    META("config", "%s", vgg_config_name(a->config));
    META("width", "%.9g", a->width);
    META("fc_dim", "%d", a->fc_dim);
    META("num_classes", "%d", a->num_classes);
    META("input_size", "%d", a->input_size);
    META("pool_round", "%s", a->pool_round == VGG_POOL_CEIL ? "ceil" : "floor");
    META("channel_order", "%s", pp->order == VGG_CHANNELS_BGR ? "BGR" : "RGB");
    META("input_range", "%.9g", pp->range);
    META("mean", "%.9g,%.9g,%.9g", pp->mean[0], pp->mean[1], pp->mean[2]);
    META("std", "%.9g,%.9g,%.9g", pp->std[0], pp->std[1], pp->std[2]);
    if (a->batch_norm)
        META("batch_norm", "1");
    META("train.format", CKPT_FORMAT);
    META("train.iteration", "%" PRId64, vgg_trainer_iteration(t));
    META("train.seed", "%" PRIu64, vgg_trainer_seed_(t));
#undef META
    for (int i = 0; i < n; i++) {
        mk[m] = keys[i];
        mv[m] = values[i];
        m++;
    }
    char sum[65];
    st = checksum_entries(path, e, 2 * np, mk, mv, m, sum);
    mk[m] = SUM_KEY;
    mv[m] = sum;
    if (st == VGG_STATUS_OK)
        st = vgg_st_write(path, e, 2 * np, mk, mv, m + 1);
done:
    for (int i = 0; mom && names && i < np; i++) {
        free(mom[i]);
        free(names[i]);
    }
    free(mom);
    free(names);
    free(e);
    return st;
}

static vgg_status load_tensor(const vgg_safetensors *st, const char *path, const char *name,
                              const vgg_param *p, float *out)
{
    const vgg_st_tensor *t = vgg_st_find(st, name);
    if (!t)
        return vgg_fail(VGG_STATUS_MISMATCH, "'%s': checkpoint has no tensor %s", path, name);
    size_t numel = 1;
    for (int d = 0; d < t->ndim; d++)
        numel *= (size_t)t->shape[d];
    if (t->dtype != VGG_DTYPE_F32 || t->ndim != p->ndim || numel != p->numel ||
        memcmp(t->shape, p->shape, sizeof(int64_t) * p->ndim) != 0)
        return vgg_fail(VGG_STATUS_MISMATCH, "'%s': tensor %s has another shape or type than "
                        "this net's", path, name);
    memcpy(out, t->data, sizeof(float) * numel);
    return VGG_STATUS_OK;
}

vgg_status vgg_trainer_load_checkpoint(vgg_trainer *t, const char *path, vgg_safetensors **meta)
{
    if (meta)
        *meta = NULL;
    vgg_net *net = vgg_trainer_net(t);
    vgg_safetensors *st = NULL;
    vgg_status s = vgg_st_open(path, &st);
    if (s != VGG_STATUS_OK)
        return s;
    const char *fmt = vgg_st_meta(st, "train.format");
    const char *it = vgg_st_meta(st, "train.iteration");
    const char *seed = vgg_st_meta(st, "train.seed");
    if (fmt && strcmp(fmt, CKPT_FORMAT_1) == 0) {
        vgg_st_close(st);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': a checkpoint of an earlier vggfeat (%s), "
                        "without a checksum: it cannot be verified; resume it with the vggfeat "
                        "that wrote it, or remove it to start over", path, CKPT_FORMAT_1);
    }
    if (!fmt || strcmp(fmt, CKPT_FORMAT) != 0 || !it || !seed) {
        vgg_st_close(st);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': not a training checkpoint", path);
    }
    if ((s = verify(st, path)) != VGG_STATUS_OK) {
        vgg_st_close(st);
        return s;
    }
    char *end1 = NULL, *end2 = NULL;
    long long iter = strtoll(it, &end1, 10);
    unsigned long long sd = strtoull(seed, &end2, 10);
    if (*end1 || *end2 || iter < 0) {
        vgg_st_close(st);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': bad iteration or seed", path);
    }
    float *tmp = NULL;
    for (int i = 0; i < net->n_params && s == VGG_STATUS_OK; i++) {
        const vgg_param *p = &net->params[i];
        s = load_tensor(st, path, p->name, p, p->data);
        if (s != VGG_STATUS_OK)
            break;
        float *nt = realloc(tmp, sizeof(float) * (p->numel ? p->numel : 1));
        if (!nt) {
            s = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
            break;
        }
        tmp = nt;
        char name[128];
        snprintf(name, sizeof name, "momentum.%s", p->name);
        s = load_tensor(st, path, name, p, tmp);
        if (s == VGG_STATUS_OK)
            s = vgg_trainer_set_momentum(t, i, tmp);
    }
    free(tmp);
    if (s == VGG_STATUS_OK)
        s = vgg_net_params_changed(net);
    if (s != VGG_STATUS_OK) {
        vgg_st_close(st);
        return s;
    }
    vgg_trainer_restore_(t, iter, sd);
    if (meta)
        *meta = st;
    else
        vgg_st_close(st);
    return VGG_STATUS_OK;
}
