/* The extraction job: this shard's inputs, the resume check, loaders that
 * decode and resize ahead in threads while the nets run here, the on-error
 * policy and progress reports. */
#include "vgg/extract.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void vgg_extract_job_default(vgg_extract_job *job)
{
    memset(job, 0, sizeof *job);
    job->shard_n = 1;
    job->loaders = 2;
    job->batch = 1;
    job->layout = (vgg_featlayout){ VGG_FEAT_NAME_BYTES_DEFAULT, VGG_FEAT_LABEL_BYTES_DEFAULT };
}

/* a note to the job's callback, formatted as printf */
#define note(job, kind, ...)                                                  \
    do {                                                                      \
        if ((job)->note) {                                                    \
            char text_[2048];                                                 \
            snprintf(text_, sizeof text_, __VA_ARGS__);                       \
            (job)->note((job)->ctx, (kind), text_);                           \
        }                                                                     \
    } while (0)

/* the row's name: the item's, else its path */
static const char *item_name(const vgg_extract_item *in)
{
    return in->name ? in->name : in->path;
}

/* ------------------------------------------------------------ pipeline */

typedef struct slot {
    bool ready;
    vgg_status status;
    char *error;        /* message for a failed image */
    vgg_prepared *prep;
    int warnings;       /* the decoder's warnings about a decoded image */
    char *warning;      /* and its first (NULL when none) */
} slot;

typedef struct pipeline {
    const vgg_extract_item *const *items;   /* the work, in order */
    size_t n;
    const vgg_extractor *ex;
    slot *slots;
    size_t cap;                  /* ring size */
    size_t next_take;            /* next item a worker claims */
    size_t consumed;             /* items the main thread has taken */
    bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cv_ready;     /* a slot became ready */
    pthread_cond_t cv_space;     /* the main thread consumed one */
    pthread_t *tids;
    int n_tids;
    size_t decoded;              /* images the loaders decoded, and their busy seconds */
    double decode_seconds;
} pipeline;

static void *worker(void *arg)
{
    pipeline *pl = arg;
    vgg_decode_opts dopts;
    vgg_extractor_decode_opts(pl->ex, &dopts);
    for (;;) {
        pthread_mutex_lock(&pl->mu);
        while (!pl->stop && pl->next_take < pl->n && pl->next_take >= pl->consumed + pl->cap)
            pthread_cond_wait(&pl->cv_space, &pl->mu);
        if (pl->stop || pl->next_take >= pl->n) {
            pthread_mutex_unlock(&pl->mu);
            return NULL;
        }
        size_t t = pl->next_take++;
        pthread_mutex_unlock(&pl->mu);

        const vgg_extract_item *in = pl->items[t];
        const double t0 = vgg_now_seconds();
        vgg_image *img = NULL;
        vgg_prepared *prep = NULL;
        vgg_status st = vgg_image_load(in->path, &dopts, &img);
        /* the resized sizes are checked before anything is allocated, the
         * message naming the image (a box's are checked by prepare) */
        if (st == VGG_STATUS_OK && !in->box)
            st = vgg_extractor_check_size(pl->ex, in->path, img->w, img->h);
        const int warnings = st == VGG_STATUS_OK ? img->warnings : 0;
        char *warning = warnings ? strdup(img->warning) : NULL;
        if (st == VGG_STATUS_OK) {
            st = vgg_extractor_prepare_box(pl->ex, img, in->box, &prep);
            if (st != VGG_STATUS_OK && in->box)   /* the box's errors name the image */
                vgg_fail_context(st, "%s%s'%s': ", in->where ? in->where : "",
                                 in->where ? ": " : "", in->path);
        }
        vgg_image_free(img);
        char *err = st == VGG_STATUS_OK ? NULL : strdup(vgg_last_error());
        const double busy = vgg_now_seconds() - t0;

        pthread_mutex_lock(&pl->mu);
        pl->decoded += st == VGG_STATUS_OK;
        pl->decode_seconds += busy;
        slot *s = &pl->slots[t % pl->cap];
        s->status = st;
        s->error = err;
        s->prep = prep;
        s->warnings = st == VGG_STATUS_OK ? warnings : 0;
        s->warning = st == VGG_STATUS_OK ? warning : NULL;
        if (st != VGG_STATUS_OK)
            free(warning);
        s->ready = true;
        pthread_cond_broadcast(&pl->cv_ready);
        pthread_mutex_unlock(&pl->mu);
    }
}

/* Wait for item t (the next to consume) and take its slot's contents;
 * false when SIGINT or SIGTERM came first (vgg_signals_install). */
static bool take(pipeline *pl, size_t t, slot *out)
{
    pthread_mutex_lock(&pl->mu);
    slot *s = &pl->slots[t % pl->cap];
    while (!s->ready)
        if (vgg_cond_wait_interruptible(&pl->cv_ready, &pl->mu) != VGG_STATUS_OK) {
            pthread_mutex_unlock(&pl->mu);
            return false;
        }
    *out = *s;
    memset(s, 0, sizeof *s);
    pl->consumed = t + 1;
    pthread_cond_broadcast(&pl->cv_space);
    pthread_mutex_unlock(&pl->mu);
    return true;
}

static vgg_status pipeline_start(pipeline *pl, int loaders)
{
    pl->slots = calloc(pl->cap, sizeof *pl->slots);
    pl->tids = malloc((size_t)loaders * sizeof *pl->tids);
    if (!pl->slots || !pl->tids)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    pthread_mutex_init(&pl->mu, NULL);
    pthread_cond_init(&pl->cv_ready, NULL);
    pthread_cond_init(&pl->cv_space, NULL);
    for (int i = 0; i < loaders; i++) {
        if (pthread_create(&pl->tids[pl->n_tids], NULL, worker, pl) != 0)
            break;
        pl->n_tids++;
    }
    if (pl->n_tids == 0)
        return vgg_fail(VGG_STATUS_IO, "cannot start a loader thread");
    return VGG_STATUS_OK;
}

static void pipeline_stop(pipeline *pl)
{
    if (pl->tids && pl->slots) {
        pthread_mutex_lock(&pl->mu);
        pl->stop = true;
        pthread_cond_broadcast(&pl->cv_space);
        pthread_mutex_unlock(&pl->mu);
        for (int i = 0; i < pl->n_tids; i++)
            pthread_join(pl->tids[i], NULL);
        for (size_t i = 0; i < pl->cap; i++) {
            vgg_prepared_free(pl->slots[i].prep);
            free(pl->slots[i].error);
            free(pl->slots[i].warning);
        }
        pthread_mutex_destroy(&pl->mu);
        pthread_cond_destroy(&pl->cv_ready);
        pthread_cond_destroy(&pl->cv_space);
    }
    free(pl->slots);
    free(pl->tids);
}

/* ------------------------------------------------------------ resume */

/* The store's rows must be the first of work[0..n), names and labels
 * included; *start is where this run goes on. */
static vgg_status resume_check(const char *output, const vgg_extract_item *const *work, size_t n,
                               size_t *start)
{
    *start = 0;
    vgg_featstore *fs = NULL;
    vgg_status st = vgg_featstore_open(output, &fs);
    if (st != VGG_STATUS_OK)
        return st;
    size_t s = 0;
    for (size_t r = 0; r < vgg_featstore_rows(fs) && st == VGG_STATUS_OK; r++) {
        uint64_t idx = vgg_featstore_index(fs, r);
        while (s < n && work[s]->index < idx)
            s++;
        const char *label = vgg_featstore_label(fs, r);
        if (s >= n || work[s]->index != idx ||
            strcmp(item_name(work[s]), vgg_featstore_name(fs, r)) != 0 ||
            strcmp(work[s]->label ? work[s]->label : "", label) != 0)
            st = vgg_fail(VGG_STATUS_MISMATCH,
                          "'%s': row %zu is '%s' (input %llu), which is not "
                          "this run's input %llu; the store was made from another input list, "
                          "shard or labels; not appending to it",
                          output, r + 1, vgg_featstore_name(fs, r), (unsigned long long)idx,
                          (unsigned long long)idx);
        s++;
    }
    vgg_featstore_close(fs);
    *start = s;
    return st;
}

/* ------------------------------------------------------------ the run */

typedef struct run_state {
    vgg_extractor *ex;
    const vgg_extract_job *job;
    vgg_extract_result *res;
    vgg_featwriter *w;
    int dim;
    float *rows;
    vgg_prepared **group;
    const vgg_extract_item **group_in;
    size_t n_group;
    int group_max;               /* inputs collected before a run */
    size_t done_items;
    size_t net_images;           /* images run through the nets, and the seconds it took */
    double net_seconds;
} run_state;

/* note, count and name an input left out (--on-error skip); takes why */
static void skip_item(run_state *rs, const vgg_extract_item *in, char *why)
{
    vgg_extract_result *res = rs->res;
    note(rs->job, VGG_EXTRACT_NOTE_SKIP, "skipping '%s': %s", item_name(in),
         why ? why : "error");
    char **np = realloc(res->skipped_paths, (res->n_skipped + 1) * sizeof *np);
    if (np)
        res->skipped_paths = np;
    char **nw = np ? realloc(res->skipped_whys, (res->n_skipped + 1) * sizeof *nw) : NULL;
    if (nw)
        res->skipped_whys = nw;
    if (np && nw) {
        res->skipped_paths[res->n_skipped] = strdup(item_name(in));
        res->skipped_whys[res->n_skipped] = why;
        res->n_skipped++;
    } else {
        free(why);
    }
}

/* append group[g]'s row to the store; a write error names its image */
static vgg_status append_row(run_state *rs, size_t g, const float *row)
{
    const vgg_extract_item *in = rs->group_in[g];
    vgg_status st = vgg_featwriter_append_at(rs->w, in->index, item_name(in), in->label, row);
    rs->res->written += st == VGG_STATUS_OK;
    if (st != VGG_STATUS_OK)
        vgg_fail_context(st, "'%s': ", item_name(in));
    return st;
}

/* An image whose row the nets could not make (NUMERIC: an all-zero or
 * non-finite descriptor, weights out of range): stop the job naming it,
 * or note, count and skip it. */
static vgg_status bad_row(run_state *rs, const vgg_extract_item *in, vgg_status st)
{
    if (!rs->job->skip_errors) {
        rs->res->stopped_at = item_name(in);
        return vgg_fail_context(st, "'%s': ", item_name(in));
    }
    skip_item(rs, in, strdup(vgg_last_error()));
    return VGG_STATUS_OK;
}

/* run the nets on the group and append its rows; when a row of the group
 * cannot be made, each image runs alone, so that the error names its
 * image and, with skip, the others' rows are kept */
static vgg_status flush_group(run_state *rs)
{
    if (rs->n_group == 0)
        return VGG_STATUS_OK;
    double t0 = vgg_now_seconds();
    vgg_status st = vgg_extractor_run(rs->ex, rs->group, (int)rs->n_group, rs->job->batch,
                                      rs->rows);
    rs->net_seconds += vgg_now_seconds() - t0;
    if (st == VGG_STATUS_OK) {
        rs->net_images += rs->n_group;
        for (size_t g = 0; g < rs->n_group && st == VGG_STATUS_OK; g++)
            st = append_row(rs, g, rs->rows + g * (size_t)rs->dim);
    } else if (st == VGG_STATUS_NUMERIC && rs->n_group == 1) {
        st = bad_row(rs, rs->group_in[0], st);
    } else if (st == VGG_STATUS_NUMERIC) {
        st = VGG_STATUS_OK;
        for (size_t g = 0; g < rs->n_group && st == VGG_STATUS_OK; g++) {
            t0 = vgg_now_seconds();
            st = vgg_extractor_run(rs->ex, &rs->group[g], 1, rs->job->batch, rs->rows);
            rs->net_seconds += vgg_now_seconds() - t0;
            rs->net_images += st == VGG_STATUS_OK;
            if (st == VGG_STATUS_OK)
                st = append_row(rs, g, rs->rows);
            else if (st == VGG_STATUS_NUMERIC)
                st = bad_row(rs, rs->group_in[g], st);
            else
                vgg_fail_context(st, "'%s': ", item_name(rs->group_in[g]));
        }
    } else {
        vgg_fail_context(st, "'%s': ", item_name(rs->group_in[0]));
    }
    for (size_t g = 0; g < rs->n_group; g++)
        vgg_prepared_free(rs->group[g]);
    rs->done_items += rs->n_group;
    rs->n_group = 0;
    return st;
}

/* an image that could not be read: stop, or note and skip it */
static vgg_status bad_image(run_state *rs, const vgg_extract_item *in, slot *s)
{
    vgg_extract_result *res = rs->res;
    if (!rs->job->skip_errors) {
        res->stopped_at = item_name(in);
        vgg_status st = vgg_fail(s->status, "%s", s->error ? s->error : "error");
        free(s->error);
        return st;
    }
    skip_item(rs, in, s->error);
    rs->done_items++;
    return VGG_STATUS_OK;
}

/* an image decoded despite the decoder's warnings: counted, the first
 * kept for the summary */
static void note_warnings(vgg_extract_result *res, const vgg_extract_item *in, slot *s)
{
    if (s->warnings > 0) {
        res->n_warned++;
        res->n_warnings += (size_t)s->warnings;
        if (!res->warned_path && (res->warned_path = strdup(item_name(in)))) {
            res->warned_why = s->warning;
            s->warning = NULL;
        }
    }
    free(s->warning);
    s->warning = NULL;
}

static void report(const run_state *rs, const pipeline *pl, size_t start, double t0)
{
    if (!rs->job->progress)
        return;
    vgg_extract_progress p = { start + rs->done_items, rs->res->total, rs->done_items,
                               pl->n - rs->done_items, vgg_now_seconds() - t0 };
    rs->job->progress(rs->job->ctx, &p);
}

static vgg_status run_items(run_state *rs, pipeline *pl, size_t start)
{
    const double t0 = vgg_now_seconds(), c0 = vgg_cpu_seconds();
    vgg_status st = VGG_STATUS_OK;
    for (size_t t = 0; t <= pl->n; t++) {
        slot s = { 0 };
        bool have = t < pl->n && !(rs->job->stop && *rs->job->stop) && !vgg_signal_received();
        if (have)
            have = take(pl, t, &s);
        /* run the group when it is full, at an error, or at the end */
        if (!have || s.status != VGG_STATUS_OK || rs->n_group == (size_t)rs->group_max)
            st = flush_group(rs);
        if (!have || st != VGG_STATUS_OK) {
            vgg_prepared_free(s.prep);
            free(s.error);
            free(s.warning);
            rs->res->interrupted = !have && t < pl->n;
            break;
        }
        if (s.status != VGG_STATUS_OK) {
            if ((st = bad_image(rs, pl->items[t], &s)) != VGG_STATUS_OK)
                break;
            continue;
        }
        note_warnings(rs->res, pl->items[t], &s);
        rs->group[rs->n_group] = s.prep;
        rs->group_in[rs->n_group] = pl->items[t];
        rs->n_group++;
        report(rs, pl, start, t0);
    }
    for (size_t g = 0; g < rs->n_group; g++)
        vgg_prepared_free(rs->group[g]);
    rs->res->seconds = vgg_now_seconds() - t0;
    rs->res->cpu_seconds = vgg_cpu_seconds() - c0;
    return st;
}

/* this shard's items (into *work, malloc'd) */
static vgg_status shard_items(const vgg_extract_job *job, const vgg_extract_item ***work,
                              size_t *n)
{
    *n = 0;
    *work = malloc((job->n_items ? job->n_items : 1) * sizeof **work);
    if (!*work)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    int sn = job->shard_n > 0 ? job->shard_n : 1;
    for (size_t i = 0; i < job->n_items; i++)
        if ((int)(i % (size_t)sn) == job->shard_k)
            (*work)[(*n)++] = &job->items[i];
    return VGG_STATUS_OK;
}

/* The store's description: the extractor's settings, and the input list
 * with this run's shard of it (docs/feature-store.md, "Shards"): the
 * SHA-256 of every input's row name and label, each followed by a NUL. */
static vgg_status store_desc(const vgg_extract_job *job, const vgg_featdesc *settings,
                             vgg_featdesc *d)
{
    *d = *settings;
    vgg_sha256 h;
    vgg_status st = vgg_sha256_init(&h);
    if (st != VGG_STATUS_OK)
        return st;
    for (size_t i = 0; i < job->n_items; i++) {
        const char *name = item_name(&job->items[i]);
        const char *label = job->items[i].label ? job->items[i].label : "";
        vgg_sha256_update(&h, name, strlen(name) + 1);
        vgg_sha256_update(&h, label, strlen(label) + 1);
    }
    vgg_sha256_final_hex(&h, d->list_digest);
    d->list_inputs = job->n_items;
    d->shard_n = job->shard_n > 1 ? job->shard_n : 1;
    memset(d->shards, 0, sizeof d->shards);
    if (d->shard_n > 1)
        snprintf(d->shards, sizeof d->shards, "%d", job->shard_k);
    return VGG_STATUS_OK;
}

/* open (or resume) the store and find where this run starts */
static vgg_status open_store(run_state *rs, const vgg_extract_item *const *work, size_t n_work,
                             size_t *start)
{
    const vgg_extract_job *job = rs->job;
    *start = 0;
    vgg_featdesc d;
    vgg_status st = store_desc(job, vgg_extractor_desc(rs->ex), &d);
    if (st != VGG_STATUS_OK)
        return st;
    st = vgg_featwriter_open_layout(job->output, &d, &job->layout, true, &rs->w,
                                    &rs->res->existing);
    if (st != VGG_STATUS_OK)
        return st;
    if (vgg_featwriter_cut_bytes(rs->w))
        note(job, VGG_EXTRACT_NOTE_INFO,
             "'%s': cut off %zu bytes of an incomplete or damaged last row", job->output,
             vgg_featwriter_cut_bytes(rs->w));
    if (rs->res->existing == 0)
        return VGG_STATUS_OK;
    st = resume_check(job->output, work, n_work, start);
    if (st == VGG_STATUS_OK)
        note(job, VGG_EXTRACT_NOTE_INFO, "'%s': resuming after %zu rows", job->output,
             rs->res->existing);
    return st;
}

vgg_status vgg_extract_job_run(vgg_extractor *ex, const vgg_extract_job *job,
                               vgg_extract_result *res)
{
    memset(res, 0, sizeof *res);
    run_state rs = { .ex = ex, .job = job, .res = res, .dim = vgg_extractor_dim(ex),
                     .group_max = job->batch > 0 ? job->batch : VGG_FEAT_BATCH_MAX };
    pipeline pl;
    memset(&pl, 0, sizeof pl);
    const vgg_extract_item **work = NULL;
    size_t start = 0;
    vgg_status st = shard_items(job, &work, &res->total);
    /* rows of boxes are recorded as such: the extractor must say so */
    for (size_t i = 0; i < job->n_items && st == VGG_STATUS_OK; i++)
        if (job->items[i].box && !*vgg_extractor_desc(ex)->region)
            st = vgg_fail(VGG_STATUS_INVALID, "'%s': input %zu has a box, and the extractor "
                          "was made for whole images (set the option boxes)", job->output, i + 1);
    if (st == VGG_STATUS_OK)
        st = open_store(&rs, work, res->total, &start);
    /* the pipeline: loaders decode and resize ahead, the nets run here */
    pl.items = work + start;
    pl.n = res->total - start;
    pl.ex = ex;
    pl.cap = (size_t)(2 * job->loaders + rs.group_max + 1);
    rs.rows = malloc((size_t)rs.group_max * (size_t)rs.dim * sizeof(float));
    rs.group = malloc((size_t)rs.group_max * sizeof *rs.group);
    rs.group_in = malloc((size_t)rs.group_max * sizeof *rs.group_in);
    if (st == VGG_STATUS_OK && (!rs.rows || !rs.group || !rs.group_in))
        st = vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    if (st == VGG_STATUS_OK)
        st = pipeline_start(&pl, job->loaders);
    if (st == VGG_STATUS_OK) {
        res->ran = true;
        st = run_items(&rs, &pl, start);
    }
    pipeline_stop(&pl);
    if (pl.decode_seconds > 0)
        res->decode_rate = (double)pl.decoded / pl.decode_seconds * pl.n_tids;
    if (rs.net_seconds > 0)
        res->net_rate = (double)rs.net_images / rs.net_seconds;
    res->rows = rs.w ? vgg_featwriter_rows(rs.w) : 0;
    if (rs.w) {
        vgg_status cst = vgg_featwriter_close(rs.w);
        if (st == VGG_STATUS_OK)
            st = cst;
    }
    free(rs.rows);
    free(rs.group);
    free(rs.group_in);
    free(work);
    return st;
}

void vgg_extract_result_free(vgg_extract_result *res)
{
    for (size_t i = 0; i < res->n_skipped; i++) {
        free(res->skipped_paths[i]);
        free(res->skipped_whys[i]);
    }
    free(res->skipped_paths);
    free(res->skipped_whys);
    free(res->warned_path);
    free(res->warned_why);
    memset(res, 0, sizeof *res);
}
