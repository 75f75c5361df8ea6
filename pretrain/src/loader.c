/* The training data stream: per-epoch shuffling, augmentation, replacement
 * of unreadable images, and decoding ahead of the compute on threads. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/pretrain.h"

#define MAX_TRIES 100

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t seed_of(uint64_t seed, uint64_t a, uint64_t b)
{
    return mix(mix(mix(seed + 0x9e3779b97f4a7c15ULL) ^ (a + 0x632be59bd9b4e019ULL)) ^
               (b + 0x8cb92ba72f3d8dd7ULL));
}

vgg_status vgg_pretrain_prepare_sample(const char *path, const vgg_pretrain_aug *aug, uint64_t *rng, float *out)
{
    int s = aug->smin;
    if (aug->smax > aug->smin)
        s = aug->smin + (int)(vgg_rng_uniform(rng) * (aug->smax - aug->smin + 1));
    double ux = vgg_rng_uniform(rng), uy = vgg_rng_uniform(rng), uf = vgg_rng_uniform(rng);
    float shift[3] = { 0, 0, 0 };
    if (aug->color_sigma > 0.0f)
        vgg_color_shift_draw(rng, aug->color_sigma, shift);

    vgg_decode_opts o;
    vgg_decode_opts_default(&o);
    o.min_side = s;
    vgg_image *img = NULL, *scaled = NULL, *crop = NULL;
    vgg_status st = vgg_image_load(path, &o, &img);
    if (st == VGG_STATUS_OK)
        st = vgg_image_check_scale(path, img->w, img->h, s);
    if (st == VGG_STATUS_OK)
        st = vgg_image_resize_short(img, s, &scaled);
    if (st == VGG_STATUS_OK) {
        if (scaled->w < aug->crop || scaled->h < aug->crop) {
            st = vgg_fail(VGG_STATUS_INVALID, "'%s': %dx%d after rescaling, smaller than the "
                          "crop %d", path, scaled->w, scaled->h, aug->crop);
        } else {
            int x = (int)(ux * (scaled->w - aug->crop + 1));
            int y = (int)(uy * (scaled->h - aug->crop + 1));
            st = vgg_image_crop(scaled, x, y, aug->crop, aug->crop, &crop);
        }
    }
    if (st == VGG_STATUS_OK)
        vgg_image_to_input_shifted(crop, &aug->pp, aug->flip && uf < 0.5, shift, out);
    vgg_image_free(img);
    vgg_image_free(scaled);
    vgg_image_free(crop);
    return st;
}

typedef struct slot {
    float *x;
    int32_t *labels;
    size_t *idx;        /* image of each sample */
    uint64_t *rs;       /* generator seed of each sample */
    vgg_pretrain_batch info;
    int ready;
    vgg_status st;
    char err[512];
} slot;

struct vgg_pretrain_loader {
    const vgg_pretrain_dataset *d;
    vgg_pretrain_aug aug;
    int batch, threads;
    int first, count;   /* the slice of every batch decoded here */
    uint64_t seed;
    int64_t epoch;      /* producer's next sample */
    size_t pos;
    size_t *perm;
    int64_t perm_epoch;
    pthread_t producer;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool stop;
    slot slots[2];
    int fill, take, last;
    /* the batch being filled */
    slot *cur;
    atomic_int next;
};

static void make_perm(vgg_pretrain_loader *l, int64_t epoch)
{
    size_t n = l->d->n;
    for (size_t i = 0; i < n; i++)
        l->perm[i] = i;
    uint64_t r = seed_of(l->seed, 0x5eed, (uint64_t)epoch);
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(vgg_rng_next(&r) % (i + 1));
        size_t t = l->perm[i];
        l->perm[i] = l->perm[j];
        l->perm[j] = t;
    }
    l->perm_epoch = epoch;
}

static void fill_one(vgg_pretrain_loader *l, slot *s, int j)
{
    const size_t per = (size_t)3 * l->aug.crop * l->aug.crop;
    uint64_t rng = s->rs[j];
    size_t idx = s->idx[j];
    for (int t = 0; t < MAX_TRIES; t++) {
        vgg_status st = vgg_pretrain_prepare_sample(l->d->paths[idx], &l->aug, &rng, s->x + j * per);
        if (st == VGG_STATUS_OK) {
            s->labels[j] = l->d->labels[idx];
            return;
        }
        pthread_mutex_lock(&l->mu);
        if (s->info.n_bad < 4)
            snprintf(s->info.bad_msg[s->info.n_bad], sizeof s->info.bad_msg[0], "%s",
                     vgg_last_error());
        s->info.n_bad++;
        pthread_mutex_unlock(&l->mu);
        idx = (size_t)(vgg_rng_next(&rng) % l->d->n);
    }
    pthread_mutex_lock(&l->mu);
    s->st = VGG_STATUS_FORMAT;
    snprintf(s->err, sizeof s->err, "%d images in a row could not be read (last: %s)", MAX_TRIES,
             s->info.n_bad ? s->info.bad_msg[(s->info.n_bad < 4 ? s->info.n_bad : 4) - 1] : "");
    pthread_mutex_unlock(&l->mu);
}

static void *work(void *arg)
{
    vgg_pretrain_loader *l = arg;
    int j;
    while ((j = atomic_fetch_add(&l->next, 1)) < l->count)
        fill_one(l, l->cur, j);
    return NULL;
}

static void fill_slot(vgg_pretrain_loader *l, slot *s)
{
    /* every position of the batch is passed; the slice's are decoded */
    for (int j = 0; j < l->batch; j++) {
        if (l->perm_epoch != l->epoch)
            make_perm(l, l->epoch);
        if (j >= l->first && j < l->first + l->count) {
            s->idx[j - l->first] = l->perm[l->pos];
            s->rs[j - l->first] = seed_of(l->seed, (uint64_t)l->epoch, l->pos);
        }
        if (++l->pos == l->d->n) {
            l->pos = 0;
            l->epoch++;
        }
    }
    s->info.epoch = l->epoch;
    s->info.pos = l->pos;
    s->info.n_bad = 0;
    s->st = VGG_STATUS_OK;
    l->cur = s;
    atomic_store(&l->next, 0);
    pthread_t helpers[64];
    int nh = 0;
    for (int t = 1; t < l->threads && t < 64; t++)
        if (pthread_create(&helpers[nh], NULL, work, l) == 0)
            nh++;
    work(l);
    for (int t = 0; t < nh; t++)
        pthread_join(helpers[t], NULL);
}

static void *produce(void *arg)
{
    vgg_pretrain_loader *l = arg;
    pthread_mutex_lock(&l->mu);
    for (;;) {
        while (!l->stop && l->slots[l->fill].ready)
            pthread_cond_wait(&l->cv, &l->mu);
        if (l->stop)
            break;
        slot *s = &l->slots[l->fill];
        pthread_mutex_unlock(&l->mu);
        fill_slot(l, s);
        pthread_mutex_lock(&l->mu);
        s->ready = 1;
        l->fill ^= 1;
        pthread_cond_broadcast(&l->cv);
    }
    pthread_mutex_unlock(&l->mu);
    return NULL;
}

void vgg_pretrain_loader_free(vgg_pretrain_loader *l)
{
    if (!l)
        return;
    if (l->started) {
        pthread_mutex_lock(&l->mu);
        l->stop = true;
        pthread_cond_broadcast(&l->cv);
        pthread_mutex_unlock(&l->mu);
        pthread_join(l->producer, NULL);
    }
    pthread_mutex_destroy(&l->mu);
    pthread_cond_destroy(&l->cv);
    for (int i = 0; i < 2; i++) {
        free(l->slots[i].x);
        free(l->slots[i].labels);
        free(l->slots[i].idx);
        free(l->slots[i].rs);
    }
    free(l->perm);
    free(l);
}

vgg_status vgg_pretrain_loader_create(const vgg_pretrain_dataset *d, const vgg_pretrain_aug *aug, int batch, int threads,
                            uint64_t seed, int64_t epoch, size_t pos, vgg_pretrain_loader **out)
{
    return vgg_pretrain_loader_create_slice(d, aug, batch, 0, batch, threads, seed, epoch, pos,
                                            out);
}

vgg_status vgg_pretrain_loader_create_slice(const vgg_pretrain_dataset *d,
                                            const vgg_pretrain_aug *aug, int batch, int first,
                                            int count, int threads, uint64_t seed,
                                            int64_t epoch, size_t pos,
                                            vgg_pretrain_loader **out)
{
    *out = NULL;
    if (d->n == 0 || batch < 1 || threads < 1 || pos >= d->n || epoch < 0)
        return vgg_fail(VGG_STATUS_INVALID, "loader: %zu images, batch %d, %d threads, "
                        "position %lld:%zu", d->n, batch, threads, (long long)epoch, pos);
    if (first < 0 || count < 1 || first + count > batch)
        return vgg_fail(VGG_STATUS_INVALID, "loader: samples %d..%d of a batch of %d", first,
                        first + count - 1, batch);
    if (aug->crop < 1 || aug->smin < aug->crop || aug->smax < aug->smin)
        return vgg_fail(VGG_STATUS_INVALID, "loader: scales %d..%d for crops of %d", aug->smin,
                        aug->smax, aug->crop);
    vgg_pretrain_loader *l = calloc(1, sizeof *l);
    if (!l)
        return vgg_fail(VGG_STATUS_NOMEM, "loader: out of memory");
    l->d = d;
    l->aug = *aug;
    l->batch = batch;
    l->first = first;
    l->count = count;
    l->threads = threads;
    l->seed = seed;
    l->epoch = epoch;
    l->pos = pos;
    l->perm_epoch = -1;
    l->last = -1;
    pthread_mutex_init(&l->mu, NULL);
    pthread_cond_init(&l->cv, NULL);
    l->perm = malloc(sizeof *l->perm * d->n);
    bool ok = l->perm != NULL;
    for (int i = 0; i < 2 && ok; i++) {
        slot *s = &l->slots[i];
        s->x = malloc(sizeof(float) * 3 * aug->crop * aug->crop * (size_t)count);
        s->labels = malloc(sizeof(int32_t) * count);
        s->idx = malloc(sizeof(size_t) * count);
        s->rs = malloc(sizeof(uint64_t) * count);
        ok = s->x && s->labels && s->idx && s->rs;
    }
    if (!ok) {
        vgg_pretrain_loader_free(l);
        return vgg_fail(VGG_STATUS_NOMEM, "loader: out of memory for batches of %d", batch);
    }
    if (pthread_create(&l->producer, NULL, produce, l) != 0) {
        vgg_pretrain_loader_free(l);
        return vgg_fail(VGG_STATUS_NOMEM, "loader: cannot start a thread");
    }
    l->started = true;
    *out = l;
    return VGG_STATUS_OK;
}

vgg_status vgg_pretrain_loader_next(vgg_pretrain_loader *l, vgg_pretrain_batch **out)
{
    *out = NULL;
    pthread_mutex_lock(&l->mu);
    if (l->last >= 0) {
        l->slots[l->last].ready = 0;
        l->last = -1;
        pthread_cond_broadcast(&l->cv);
    }
    slot *s = &l->slots[l->take];
    while (!s->ready)
        if (vgg_cond_wait_interruptible(&l->cv, &l->mu) != VGG_STATUS_OK) {
            pthread_mutex_unlock(&l->mu);
            return VGG_STATUS_INTERRUPTED;   /* the message is set */
        }
    l->last = l->take;
    l->take ^= 1;
    pthread_mutex_unlock(&l->mu);
    if (s->st != VGG_STATUS_OK)
        return vgg_fail(s->st, "loader: %s", s->err);
    s->info.x = s->x;
    s->info.labels = s->labels;
    *out = &s->info;
    return VGG_STATUS_OK;
}
