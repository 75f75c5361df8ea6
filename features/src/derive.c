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
    if (st == VGG_STATUS_OK)
        st = vgg_featnew_open(out_path, vgg_featstore_desc(fs), NULL, &out);
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

vgg_status vgg_featstore_merge(const char *const *paths, int n, const char *out_path,
                               size_t *rows_out)
{
    if (rows_out)
        *rows_out = 0;
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
    vgg_status st = open_inputs(paths, n, fs, &layout, &total);
    if (st == VGG_STATUS_OK)
        st = sorted_refs(paths, n, fs, total, &refs);
    /* write next to out_path, then rename: it appears complete or not at all */
    if (st == VGG_STATUS_OK)
        st = vgg_featnew_open(out_path, vgg_featstore_desc(fs[0]), &layout, &out);
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
    if (st == VGG_STATUS_OK && rows_out)
        *rows_out = total;
    for (int i = 0; i < n; i++)
        vgg_featstore_close(fs[i]);
    free(fs);
    free(refs);
    return st;
}
