/* Derived stores: written next to their path and renamed into place
 * (vgg_featnew), the subset of a store a list names, and the merge of
 * stores made with the same settings. */
#include "vgg/features.h"
#include "features_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shards.h"

struct vgg_featnew {
    vgg_featwriter *w;
    char *path;
    char *tmp;
};

vgg_status vgg_featnew_open(const char *path, const vgg_featdesc *d, const vgg_featlayout *layout,
                            vgg_featnew **out)
{
    *out = NULL;
    vgg_featnew *n = calloc(1, sizeof *n);
    size_t tn = strlen(path) + 32;
    if (n) {
        n->path = strdup(path);
        n->tmp = malloc(tn);
    }
    if (!n || !n->path || !n->tmp) {
        vgg_featnew_abort(n);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    snprintf(n->tmp, tn, "%s.tmp.%ld", path, (long)getpid());
    unlink(n->tmp);
    /* the writer's messages (a full disk, ...) name path, not the temporary */
    vgg_status st = featwriter_open_temp(n->tmp, path, d, layout, &n->w);
    if (st != VGG_STATUS_OK) {
        vgg_featnew_abort(n);
        return st;
    }
    *out = n;
    return VGG_STATUS_OK;
}

vgg_featwriter *vgg_featnew_writer(vgg_featnew *n)
{
    return n->w;
}

static void featnew_free(vgg_featnew *n)
{
    free(n->path);
    free(n->tmp);
    free(n);
}

vgg_status vgg_featnew_commit(vgg_featnew *n)
{
    if (!n)
        return VGG_STATUS_OK;
    vgg_status st = vgg_featwriter_close(n->w);
    n->w = NULL;
    if (st == VGG_STATUS_OK && rename(n->tmp, n->path) != 0)
        st = vgg_fail(VGG_STATUS_IO, "'%s': cannot rename into place: %s", n->path,
                      strerror(errno));
    if (st != VGG_STATUS_OK)
        unlink(n->tmp);
    featnew_free(n);
    return st;
}

void vgg_featnew_abort(vgg_featnew *n)
{
    if (!n)
        return;
    vgg_featwriter_close(n->w);
    if (n->tmp)
        unlink(n->tmp);
    featnew_free(n);
}

/* ---- subset ---- */

/* NOT_FOUND naming the first names of the list that fs lacks, if any */
static vgg_status check_all_named(const vgg_featindex *ix, const char *in_path,
                                  const char *const *names, size_t n, const char *list_path)
{
    size_t missing = 0;
    char first[3][256];
    for (size_t i = 0; i < n; i++) {
        if (vgg_featindex_find(ix, names[i]) == VGG_FEAT_NO_ROW) {
            if (missing < 3)
                snprintf(first[missing], sizeof first[missing], "%s", names[i]);
            missing++;
        }
    }
    if (!missing)
        return VGG_STATUS_OK;
    return vgg_fail(VGG_STATUS_NOT_FOUND,
                    "'%s': %zu of the %zu images of '%s' have no row (first: '%s'%s%s%s%s)", in_path,
                    missing, n, list_path, first[0], missing > 1 ? ", '" : "",
                    missing > 1 ? first[1] : "", missing > 1 ? "'" : "", missing > 2 ? ", ..." : "");
}

vgg_status vgg_featstore_subset(const char *in_path, const char *const *names,
                                const char *const *labels, size_t n, const char *list_path,
                                const char *out_path)
{
    vgg_featstore *fs = NULL;
    vgg_featindex *ix = NULL;
    vgg_featnew *out = NULL;
    vgg_status st = vgg_featstore_open(in_path, &fs);
    if (st == VGG_STATUS_OK)
        st = vgg_featindex_of_store(fs, &ix);
    /* every name must be there before anything is written */
    if (st == VGG_STATUS_OK)
        st = check_all_named(ix, in_path, names, n, list_path);
    /* the new store's rows are no shard of the old one's list */
    vgg_featdesc d;
    if (st == VGG_STATUS_OK) {
        d = *vgg_featstore_desc(fs);
        vgg_featdesc_forget_list(&d);
        st = vgg_featnew_open(out_path, &d, NULL, &out);
    }
    for (size_t i = 0; i < n && st == VGG_STATUS_OK; i++) {
        size_t row = vgg_featindex_find(ix, names[i]);
        const char *label = labels && labels[i] && *labels[i] ? labels[i]
                                                              : vgg_featstore_label(fs, row);
        st = vgg_featwriter_append(vgg_featnew_writer(out), names[i], label,
                                   vgg_featstore_row(fs, row));
    }
    if (st == VGG_STATUS_OK)
        st = vgg_featnew_commit(out);
    else
        vgg_featnew_abort(out);
    vgg_featindex_free(ix);
    vgg_featstore_close(fs);
    return st;
}

/* ---- merge ---- */

typedef struct row_ref {
    uint64_t index;
    int store;
    size_t row;
} row_ref;

static int by_index(const void *a, const void *b)
{
    const row_ref *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

/* open every input, check they agree, widen layout to fit them all */
static vgg_status open_inputs(const char *const *paths, int n, vgg_featstore **fs,
                              vgg_featlayout *layout, size_t *total)
{
    *total = 0;
    *layout = (vgg_featlayout){ 8, 8 };
    for (int i = 0; i < n; i++) {
        vgg_status st = vgg_featstore_open(paths[i], &fs[i]);
        if (st != VGG_STATUS_OK)
            return st;
        char why[600];
        if (i > 0 && !vgg_featdesc_equal(vgg_featstore_desc(fs[0]), vgg_featstore_desc(fs[i]),
                                         why, sizeof why))
            return vgg_fail(VGG_STATUS_MISMATCH, "'%s' and '%s' were made with other settings (%s)",
                            paths[0], paths[i], why);
        vgg_featlayout l;
        vgg_featstore_layout(fs[i], &l);
        if (l.name_bytes > layout->name_bytes)
            layout->name_bytes = l.name_bytes;
        if (l.label_bytes > layout->label_bytes)
            layout->label_bytes = l.label_bytes;
        *total += vgg_featstore_rows(fs[i]);
    }
    return VGG_STATUS_OK;
}

/* every row of every input, sorted by input index; an index twice is INVALID */
static vgg_status sorted_refs(const char *const *paths, int n, vgg_featstore *const *fs,
                              size_t total, row_ref **out)
{
    row_ref *refs = malloc((total ? total : 1) * sizeof *refs);
    *out = refs;
    if (!refs)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory for %zu rows", total);
    size_t k = 0;
    for (int i = 0; i < n; i++)
        for (size_t r = 0; r < vgg_featstore_rows(fs[i]); r++)
            refs[k++] = (row_ref){ vgg_featstore_index(fs[i], r), i, r };
    qsort(refs, total, sizeof *refs, by_index);
    for (size_t r = 1; r < total; r++) {
        const row_ref *a = &refs[r - 1], *b = &refs[r];
        if (b->index == a->index)
            return vgg_fail(VGG_STATUS_INVALID,
                            "input index %llu is in both '%s' ('%s') and '%s' ('%s'); "
                            "were the same shard or image given twice?",
                            (unsigned long long)b->index, paths[a->store],
                            vgg_featstore_name(fs[a->store], a->row), paths[b->store],
                            vgg_featstore_name(fs[b->store], b->row));
    }
    return VGG_STATUS_OK;
}

typedef struct span_of {
    shard_span s;
    int store;
} span_of;

static int by_lo(const void *a, const void *b)
{
    const span_of *x = a, *y = b;
    return x->s.lo != y->s.lo ? (x->s.lo > y->s.lo) - (x->s.lo < y->s.lo)
                              : (x->store > y->store) - (x->store < y->store);
}

/* "2" or "shards 2-4,7" as text for messages */
static const char *shard_word(const char *set)
{
    return strpbrk(set, ",-") ? "shards" : "shard";
}

/* Every input's shards (all of one list) in *spans, sorted; a shard in two
 * inputs is INVALID naming both. */
static vgg_status gather_shards(const char *const *paths, int n, vgg_featstore *const *fs,
                                span_of **spans, size_t *count)
{
    *spans = NULL;
    *count = 0;
    size_t cap = 0;
    for (int i = 0; i < n; i++) {
        const vgg_featdesc *d = vgg_featstore_desc(fs[i]);
        shard_span *sp = NULL;
        size_t k = 0;
        if (d->shard_n == 1) {
            sp = malloc(sizeof *sp);
            if (sp) {
                sp->lo = sp->hi = 0;
                k = 1;
            }
        } else if (!shards_parse(d->shards, d->shard_n, &sp, &k)) {
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': shards '%s' of %d", paths[i], d->shards,
                            d->shard_n);
        }
        span_of *grown = sp ? realloc(*spans, (cap + k) * sizeof *grown) : NULL;
        if (!grown) {
            free(sp);
            return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
        }
        *spans = grown;
        for (size_t j = 0; j < k; j++)
            grown[cap + j] = (span_of){ sp[j], i };
        cap += k;
        free(sp);
    }
    qsort(*spans, cap, sizeof **spans, by_lo);
    *count = cap;
    int N = vgg_featstore_desc(fs[0])->shard_n;
    for (size_t j = 1; j < cap; j++) {
        const span_of *a = &(*spans)[j - 1], *b = &(*spans)[j];
        if (b->s.lo <= a->s.hi && N == 1)
            return vgg_fail(VGG_STATUS_INVALID, "the whole list is in both '%s' and '%s'; was "
                            "the same store given twice?", paths[a->store], paths[b->store]);
        if (b->s.lo <= a->s.hi)
            return vgg_fail(VGG_STATUS_INVALID, "shard %d of %d is in both '%s' and '%s'; was "
                            "the same shard given twice?", b->s.lo, N, paths[a->store],
                            paths[b->store]);
    }
    return VGG_STATUS_OK;
}

/* The shards of the list no input holds, and their inputs, into rep;
 * the shards the inputs hold, as text, into held. */
static vgg_status find_missing(const span_of *spans, size_t count, const vgg_featdesc *d,
                               vgg_featmerge_report *rep, char *held, size_t held_cap)
{
    int N = d->shard_n;
    shard_span *gaps = malloc((count + 1) * sizeof *gaps);
    shard_span *have = malloc((count ? count : 1) * sizeof *have);
    if (!gaps || !have) {
        free(gaps);
        free(have);
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    }
    size_t ng = 0;
    int next = 0;   /* the first shard not yet accounted for */
    for (size_t j = 0; j <= count; j++) {
        int lo = j < count ? spans[j].s.lo : N;
        /* a gap counts only when inputs fall in it (a shard past the
         * list's end holds none) */
        if (lo > next && shards_inputs(d->list_inputs, N, next, lo - 1) > 0) {
            gaps[ng++] = (shard_span){ next, lo - 1 };
            rep->missing_inputs += shards_inputs(d->list_inputs, N, next, lo - 1);
        }
        if (j < count) {
            have[j] = spans[j].s;
            next = spans[j].s.hi + 1;
        }
    }
    if (!shards_format(gaps, ng, rep->missing, sizeof rep->missing))
        snprintf(rep->missing, sizeof rep->missing, "%zu pieces from %d to %d", ng,
                 gaps[0].lo, gaps[ng - 1].hi);
    if (!shards_format(have, count, held, held_cap))
        held[0] = 0;
    free(gaps);
    free(have);
    return VGG_STATUS_OK;
}

/* The inputs' lists against each other, what is missing into rep, and
 * the merged store's description into *out. */
static vgg_status check_lists(const char *const *paths, int n, vgg_featstore *const *fs,
                              bool partial, vgg_featmerge_report *rep, vgg_featdesc *out)
{
    *out = *vgg_featstore_desc(fs[0]);
    int recorded = 0, first = -1, bare = -1;
    for (int i = 0; i < n; i++) {
        if (vgg_featstore_desc(fs[i])->shard_n > 0) {
            recorded++;
            if (first < 0)
                first = i;
        } else if (bare < 0) {
            bare = i;
        }
    }
    if (recorded == 0) {   /* stores from before lists were recorded: as then */
        vgg_featdesc_forget_list(out);
        return VGG_STATUS_OK;
    }
    const vgg_featdesc *a = vgg_featstore_desc(fs[first]);
    char x[200], y[200];
    for (int i = 0; i < n; i++) {
        const vgg_featdesc *b = vgg_featstore_desc(fs[i]);
        if (b->shard_n <= 0)
            continue;
        if (strcmp(a->list_digest, b->list_digest) != 0 || a->list_inputs != b->list_inputs) {
            shards_describe(a, x, sizeof x);
            shards_describe(b, y, sizeof y);
            return vgg_fail(VGG_STATUS_MISMATCH, "'%s' and '%s' come from different input "
                            "lists ('%s': %s; '%s': %s): their rows would mix images of both; "
                            "merge the shards of one extraction", paths[first], paths[i],
                            paths[first], x, paths[i], y);
        }
        if (a->shard_n != b->shard_n)
            return vgg_fail(VGG_STATUS_MISMATCH, "'%s' and '%s' deal the same list into "
                            "different numbers of shards (%d and %d): rows would be missing "
                            "or repeated", paths[first], paths[i], a->shard_n, b->shard_n);
    }
    if (bare >= 0) {
        rep->unrecorded = true;
        if (!partial)
            return vgg_fail(VGG_STATUS_INVALID, "'%s' records no input list (made before "
                            "stores recorded one, or not by vggfeat extract) while '%s' does: "
                            "cannot check that they are the shards of one list; --partial "
                            "merges them anyway", paths[bare], paths[first]);
        vgg_featdesc_forget_list(out);
        return VGG_STATUS_OK;
    }
    span_of *spans = NULL;
    size_t count = 0;
    vgg_status st = gather_shards(paths, n, fs, &spans, &count);
    char held[sizeof out->shards];
    rep->shard_n = a->shard_n;
    if (st == VGG_STATUS_OK)
        st = find_missing(spans, count, a, rep, held, sizeof held);
    free(spans);
    if (st != VGG_STATUS_OK)
        return st;
    if (rep->missing[0] && !partial)
        return vgg_fail(VGG_STATUS_INVALID, "%s %s of %d missing: no input holds %s (%llu of "
                        "the %llu inputs of the list); give the missing %s, or --partial to "
                        "merge without %s", shard_word(rep->missing), rep->missing, a->shard_n,
                        strpbrk(rep->missing, ",-") ? "them" : "it",
                        (unsigned long long)rep->missing_inputs,
                        (unsigned long long)a->list_inputs,
                        strpbrk(rep->missing, ",-") ? "shards" : "shard",
                        strpbrk(rep->missing, ",-") ? "them" : "it");
    /* the whole list, or the shards held */
    if (!rep->missing[0]) {
        out->shard_n = 1;
        memset(out->shards, 0, sizeof out->shards);
    } else if (held[0]) {
        snprintf(out->shards, sizeof out->shards, "%s", held);
    } else {
        vgg_featdesc_forget_list(out);   /* too many pieces to record */
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_featstore_merge(const char *const *paths, int n, const char *out_path,
                               size_t *rows_out)
{
    vgg_featmerge_report rep;
    vgg_status st = vgg_featstore_merge_partial(paths, n, out_path, false, &rep);
    if (rows_out)
        *rows_out = st == VGG_STATUS_OK ? rep.rows : 0;
    return st;
}

vgg_status vgg_featstore_merge_partial(const char *const *paths, int n, const char *out_path,
                                       bool partial, vgg_featmerge_report *rep_out)
{
    vgg_featmerge_report rep;
    memset(&rep, 0, sizeof rep);
    if (rep_out)
        *rep_out = rep;
    vgg_status kind = vgg_output_check_kind(out_path, 0);   /* a store: a regular file */
    if (kind != VGG_STATUS_OK)
        return kind;
    if (access(out_path, F_OK) == 0)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': already exists; not overwriting it", out_path);
    vgg_featstore **fs = calloc((size_t)(n > 0 ? n : 1), sizeof *fs);
    if (!fs)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    row_ref *refs = NULL;
    vgg_featnew *out = NULL;
    vgg_featlayout layout;
    size_t total = 0;
    vgg_featdesc d;
    vgg_status st = open_inputs(paths, n, fs, &layout, &total);
    if (st == VGG_STATUS_OK)
        st = check_lists(paths, n, fs, partial, &rep, &d);
    if (st == VGG_STATUS_OK)
        st = sorted_refs(paths, n, fs, total, &refs);
    /* write next to out_path, then rename: it appears complete or not at all */
    if (st == VGG_STATUS_OK)
        st = vgg_featnew_open(out_path, &d, &layout, &out);
    for (size_t r = 0; r < total && st == VGG_STATUS_OK; r++) {
        const vgg_featstore *s = fs[refs[r].store];
        size_t row = refs[r].row;
        st = vgg_featwriter_append_at(vgg_featnew_writer(out), refs[r].index,
                                      vgg_featstore_name(s, row), vgg_featstore_label(s, row),
                                      vgg_featstore_row(s, row));
    }
    if (st == VGG_STATUS_OK)
        st = vgg_featnew_commit(out);
    else
        vgg_featnew_abort(out);
    if (st == VGG_STATUS_OK) {
        rep.rows = total;
        if (rep_out)
            *rep_out = rep;
    }
    for (int i = 0; i < n; i++)
        vgg_featstore_close(fs[i]);
    free(fs);
    free(refs);
    return st;
}
