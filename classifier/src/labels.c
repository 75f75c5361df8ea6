/* Label texts ("cat,dog?") and labels files ("name<TAB>labels"). */
#include <stdlib.h>
#include <string.h>

#include "svm_internal.h"

void vgg_svm_labels_free(vgg_svm_labels *l)
{
    if (!l)
        return;
    if (l->class_names)
        for (int k = 0; k < l->n_classes; k++)
            free(l->class_names[k]);
    free(l->class_names);
    free(l->truth);
    free(l->cls);
    free(l);
}

int vgg_svm_labels_find(const vgg_svm_labels *l, const char *name)
{
    /* sorted or not: a linear search keeps any order right */
    for (int k = 0; k < l->n_classes; k++)
        if (strcmp(l->class_names[k], name) == 0)
            return k;
    return -1;
}

/* One item of a label text: [s, s+len) without the '?' and whether it had one. */
typedef struct item {
    const char *s;
    size_t len;
    bool difficult;
} item;

/* Split text into items; returns the count or -1 (message set) on error. */
static long split_items(const char *text, const char *what, size_t row, item *items, long max)
{
    long n = 0;
    const char *p = text;
    if (*p == 0)
        return 0;
    for (;;) {
        const char *e = strchr(p, ',');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        /* trim spaces */
        while (len > 0 && (*p == ' '))
            p++, len--;
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\r'))
            len--;
        bool diff = false;
        if (len > 0 && p[len - 1] == '?') {
            diff = true;
            len--;
            while (len > 0 && p[len - 1] == ' ')
                len--;
        }
        if (len == 0) {
            vgg_fail(VGG_STATUS_INVALID, "%s: row %zu: empty class name in label '%s'", what,
                     row + 1, text);
            return -1;
        }
        for (size_t i = 0; i < len; i++)
            if (p[i] == '\t' || p[i] == '\n') {
                vgg_fail(VGG_STATUS_INVALID, "%s: row %zu: class name with a tab or newline",
                         what, row + 1);
                return -1;
            }
        if (items && n < max)
            items[n] = (item){ p, len, diff };
        n++;
        if (!e)
            break;
        p = e + 1;
    }
    return n;
}

static int find_class(char *const *names, int k, const char *s, size_t len)
{
    for (int c = 0; c < k; c++)
        if (strncmp(names[c], s, len) == 0 && names[c][len] == 0)
            return c;
    return -1;
}

/* The given class list copied into l. */
static vgg_status copy_classes(vgg_svm_labels *l, const char *const *classes, int n_classes)
{
    l->class_names = calloc((size_t)(n_classes ? n_classes : 1), sizeof *l->class_names);
    if (!l->class_names)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    for (int k = 0; k < n_classes; k++) {
        l->class_names[k] = svm_strdup(classes[k]);
        l->n_classes++;
        if (!l->class_names[k])
            return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    }
    return VGG_STATUS_OK;
}

/* A new class name [s, s + len) appended to l (*cap: its capacity). */
static vgg_status add_class(vgg_svm_labels *l, int *cap, const char *s, size_t len)
{
    if (l->n_classes == *cap) {
        int nc = *cap ? *cap * 2 : 16;
        char **nn = realloc(l->class_names, (size_t)nc * sizeof *nn);
        if (!nn)
            return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
        l->class_names = nn;
        *cap = nc;
    }
    char *name = malloc(len + 1);
    if (!name)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    memcpy(name, s, len);
    name[len] = 0;
    l->class_names[l->n_classes++] = name;
    return VGG_STATUS_OK;
}

/* Pass 1: every row's classes known (fixed: NOT_FOUND for another one;
 * else added as they come); *any_multi when a row has several or a '?'. */
static vgg_status collect_classes(vgg_svm_labels *l, const char *const *texts, size_t n,
                                  item *items, long max_items, bool fixed, const char *what,
                                  bool *any_multi)
{
    int cap = 0;
    for (size_t i = 0; i < n; i++) {
        long c = split_items(texts[i], what, i, items, max_items);
        if (c > 1)
            *any_multi = true;
        for (long t = 0; t < c; t++) {
            if (items[t].difficult)
                *any_multi = true;
            if (find_class(l->class_names, l->n_classes, items[t].s, items[t].len) >= 0)
                continue;
            if (fixed)
                return vgg_fail(VGG_STATUS_NOT_FOUND, "%s: row %zu: unknown class '%.*s'", what,
                                i + 1, (int)items[t].len, items[t].s);
            vgg_status st = add_class(l, &cap, items[t].s, items[t].len);
            if (st != VGG_STATUS_OK)
                return st;
        }
    }
    return VGG_STATUS_OK;
}

/* Pass 2: the truth matrix (+1, -1, 0 for difficult) and, single-label,
 * each row's class. */
static vgg_status fill_truth(vgg_svm_labels *l, const char *const *texts, size_t n, item *items,
                             long max_items, const char *what)
{
    int K = l->n_classes;
    for (size_t i = 0; i < n; i++) {
        int8_t *t = l->truth + i * (size_t)K;
        for (int k = 0; k < K; k++)
            t[k] = -1;
        long c = split_items(texts[i], what, i, items, max_items);
        if (!l->multilabel && (c != 1 || items[0].difficult))
            return vgg_fail(VGG_STATUS_INVALID,
                            "%s: row %zu: label '%s' is not exactly one class (single-label "
                            "training; use multi-label for several classes or '?')",
                            what, i + 1, texts[i]);
        for (long j = 0; j < c; j++) {
            int k = find_class(l->class_names, K, items[j].s, items[j].len);
            /* a class given both plain and with '?' counts as positive */
            if (items[j].difficult) {
                if (t[k] != 1)
                    t[k] = 0;
            } else {
                t[k] = 1;
            }
            if (!l->multilabel)
                l->cls[i] = k;
        }
    }
    return VGG_STATUS_OK;
}

/* The most classes on one row; -1 on a syntax error (message set). */
static long most_items(const char *const *texts, size_t n, const char *what)
{
    long max_items = 0;
    for (size_t i = 0; i < n; i++) {
        long c = split_items(texts[i], what, i, NULL, 0);
        if (c < 0)
            return -1;
        if (c > max_items)
            max_items = c;
    }
    return max_items;
}

vgg_status vgg_svm_labels_build(const char *const *texts, size_t n, vgg_svm_label_mode mode,
                                const char *const *classes, int n_classes, const char *what,
                                vgg_svm_labels **out)
{
    *out = NULL;
    if (!what)
        what = "labels";
    vgg_svm_labels *l = calloc(1, sizeof *l);
    if (!l)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    l->n_rows = n;
    item *items = NULL;
    bool any_multi = false;
    long max_items = most_items(texts, n, what);
    vgg_status st = max_items < 0 ? VGG_STATUS_INVALID : VGG_STATUS_OK;
    if (st == VGG_STATUS_OK && !(items = malloc((size_t)(max_items ? max_items : 1) * sizeof *items)))
        st = vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    if (st == VGG_STATUS_OK && classes)
        st = copy_classes(l, classes, n_classes);
    if (st == VGG_STATUS_OK)
        st = collect_classes(l, texts, n, items, max_items, classes != NULL, what, &any_multi);
    if (st == VGG_STATUS_OK) {
        if (!classes && l->n_classes > 1)
            vgg_feat_classes_sort(l->class_names, (size_t)l->n_classes);
        l->multilabel = mode == VGG_SVM_LABELS_MULTI || (mode == VGG_SVM_LABELS_AUTO && any_multi);
        int K = l->n_classes;
        l->truth = malloc((n ? n : 1) * (size_t)(K ? K : 1));
        if (!l->multilabel)
            l->cls = malloc((n ? n : 1) * sizeof *l->cls);
        if (!l->truth || (!l->multilabel && !l->cls))
            st = vgg_fail(VGG_STATUS_NOMEM, "out of memory for labels of %zu rows", n);
    }
    if (st == VGG_STATUS_OK)
        st = fill_truth(l, texts, n, items, max_items, what);
    free(items);
    if (st != VGG_STATUS_OK) {
        vgg_svm_labels_free(l);
        return st;
    }
    *out = l;
    return VGG_STATUS_OK;
}

/* ---- labels files ---- */

void vgg_svm_labelfile_free(vgg_svm_labelfile *f)
{
    if (!f)
        return;
    for (size_t i = 0; i < f->n; i++) {
        free(f->names[i]);
        free(f->texts[i]);
    }
    free(f->names);
    free(f->texts);
    free(f);
}

vgg_status vgg_svm_labelfile_read(const char *path, vgg_svm_labelfile **out)
{
    *out = NULL;
    vgg_list *lines = NULL;
    vgg_status st = vgg_list_read(path, VGG_LIST_COMMENTS | VGG_LIST_LABELS, &lines);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_svm_labelfile *f = calloc(1, sizeof *f);
    if (f) {
        f->names = calloc(lines->n ? lines->n : 1, sizeof *f->names);
        f->texts = calloc(lines->n ? lines->n : 1, sizeof *f->texts);
    }
    if (!f || !f->names || !f->texts) {
        vgg_svm_labelfile_free(f);
        vgg_list_free(lines);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    for (size_t i = 0; i < lines->n; i++) {
        f->names[f->n] = svm_strdup(lines->paths[i]);
        f->texts[f->n] = svm_strdup(lines->labels[i]);
        f->n++;
        if (!f->names[f->n - 1] || !f->texts[f->n - 1]) {
            st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
            goto fail;
        }
    }
    /* names given twice: the rule of every list (core.h) */
    if ((st = vgg_list_check_unique(lines, path)) != VGG_STATUS_OK)
        goto fail;
    vgg_list_free(lines);
    *out = f;
    return VGG_STATUS_OK;
fail:
    vgg_list_free(lines);
    vgg_svm_labelfile_free(f);
    return st;
}
