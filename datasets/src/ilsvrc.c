/* ILSVRC-2012: train/<wnid>/ folders, val/ images and their ground truth. */
#include "vgg/datasets.h"
#include "datasets_internal.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

void vgg_ilsvrc_free(vgg_ilsvrc *d)
{
    if (!d)
        return;
    vgg_ds_folders_free(d->train);
    vgg_ds_strings_free(d->val_paths, d->n_val);
    free(d->val_class);
    free(d);
}

static bool is_wnid(const char *s, size_t n)
{
    if (n != 9 || s[0] != 'n')
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

static bool is_uint(const char *s, size_t n, long *v)
{
    if (n == 0 || n > 9)
        return false;
    long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return false;
        x = x * 10 + (s[i] - '0');
    }
    *v = x;
    return true;
}

/* Split a line into at most max tokens at white space and commas. */
static int tokens(char *line, const char **tok, size_t *len, int max)
{
    int n = 0;
    char *p = line;
    while (*p && n < max) {
        p += strspn(p, " \t\r,");
        if (!*p)
            break;
        size_t k = strcspn(p, " \t\r,");
        tok[n] = p;
        len[n] = k;
        n++;
        p += k;
    }
    return n;
}

typedef struct id_wnid {
    long id;
    char wnid[10];
} id_wnid;

/* Room for one more element of size elem in *v (n used of *cap). */
static vgg_status grow(void **v, size_t n, size_t *cap, size_t elem, const char *path)
{
    if (n < *cap)
        return VGG_STATUS_OK;
    size_t nc = *cap ? *cap * 2 : 1024;
    void *p = realloc(*v, nc * elem);
    if (!p)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    *v = p;
    *cap = nc;
    return VGG_STATUS_OK;
}

/* One line of a synset mapping: its ID and wnid, *this_form 1 (explicit
 * ID) or 2 (line order: ID np + 1); 0 with OK for a header line; FORMAT
 * for anything else. */
static vgg_status synset_line(const char *path, int lineno, char *line, size_t np, int form,
                              long *id, const char **w, int *this_form)
{
    const char *tok[2];
    size_t tl[2];
    int nt = tokens(line, tok, tl, 2);
    *this_form = 0;
    if (nt == 0)
        return VGG_STATUS_OK;
    if (nt == 2 && is_wnid(tok[0], tl[0]) && is_uint(tok[1], tl[1], id)) {
        *w = tok[0];
        *this_form = 1;
    } else if (nt == 2 && is_uint(tok[0], tl[0], id) && is_wnid(tok[1], tl[1])) {
        *w = tok[1];
        *this_form = 1;
    } else if (is_wnid(tok[0], tl[0])) {
        *w = tok[0];
        *this_form = 2;
        *id = (long)np + 1;
    } else if (np == 0 && form == 0) {
        return VGG_STATUS_OK; /* a header line */
    } else {
        return vgg_fail(VGG_STATUS_FORMAT,
                        "'%s': line %d: expected 'wnid ID', 'ID wnid' or 'wnid name' (a wnid is n + 8 digits)",
                        path, lineno);
    }
    if (form && *this_form != form)
        return vgg_fail(VGG_STATUS_FORMAT,
                        "'%s': line %d: mixes lines with and without an explicit ID", path, lineno);
    if (*id < 1 || *id > 1000000)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: ID %ld out of range", path, lineno, *id);
    return VGG_STATUS_OK;
}

/* wnid of each ID 1..max_id from the pairs (FORMAT for an ID given twice). */
static vgg_status synset_map(const char *path, const id_wnid *pairs, size_t np, long max_id,
                             char ***out)
{
    char **map = calloc((size_t)max_id + 1, sizeof *map);
    if (!map)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    vgg_status st = VGG_STATUS_OK;
    for (size_t i = 0; i < np && st == VGG_STATUS_OK; i++) {
        if (map[pairs[i].id])
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': ID %ld is given twice", path, pairs[i].id);
        else if (!(map[pairs[i].id] = strdup(pairs[i].wnid)))
            st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    if (st != VGG_STATUS_OK) {
        vgg_ds_strings_free(map, (size_t)max_id + 1);
        return st;
    }
    *out = map;
    return VGG_STATUS_OK;
}

vgg_status vgg_ilsvrc_read_synsets(const char *path, char ***wnid_of_id, size_t *n_ids,
                                   bool *line_order)
{
    *wnid_of_id = NULL;
    *n_ids = 0;
    *line_order = false;
    char *text;
    size_t len;
    vgg_status st = vgg_read_file(path, 0, &text, &len);
    if (st != VGG_STATUS_OK)
        return st;
    id_wnid *pairs = NULL;
    size_t np = 0, cap = 0;
    int form = 0; /* 1 explicit, 2 line order */
    long max_id = 0;
    int lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && st == VGG_STATUS_OK;
         line = strtok_r(NULL, "\n", &save)) {
        long id = 0;
        const char *w = NULL;
        int this_form = 0;
        st = synset_line(path, ++lineno, line, np, form, &id, &w, &this_form);
        if (st != VGG_STATUS_OK || this_form == 0)
            continue;
        form = this_form;
        st = grow((void **)&pairs, np, &cap, sizeof *pairs, path);
        if (st != VGG_STATUS_OK)
            continue;
        pairs[np].id = id;
        memcpy(pairs[np].wnid, w, 9);
        pairs[np].wnid[9] = 0;
        np++;
        if (id > max_id)
            max_id = id;
    }
    if (st == VGG_STATUS_OK && np == 0)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': no synsets in it", path);
    if (st == VGG_STATUS_OK)
        st = synset_map(path, pairs, np, max_id, wnid_of_id);
    if (st == VGG_STATUS_OK) {
        *n_ids = (size_t)max_id;
        *line_order = form == 2;
    }
    free(pairs);
    free(text);
    return st;
}

static long class_of(const vgg_ds_folders *f, const char *wnid)
{
    size_t lo = 0, hi = f->n_classes;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(f->classes[mid], wnid);
        if (c == 0)
            return (long)mid;
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* The base name without its extension, at most n-1 characters. */
static void stem(const char *path, char *out, size_t n)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(out, n, "%s", b);
    char *dot = strrchr(out, '.');
    if (dot)
        *dot = 0;
}

/* A one-wnid-per-line mapping in sorted order is not the devkit's ID
 * order (INVALID saying so). */
static vgg_status check_id_order(char *const *wnid_of_id, size_t n_ids, bool line_order,
                                 const char *path)
{
    if (!line_order || n_ids < 100)
        return VGG_STATUS_OK;
    for (size_t i = 2; i <= n_ids; i++)
        if (strcmp(wnid_of_id[i - 1], wnid_of_id[i]) >= 0)
            return VGG_STATUS_OK;
    return vgg_fail(VGG_STATUS_INVALID,
                    "'%s': its wnids are in sorted order (like LOC_synset_mapping.txt), which is "
                    "not the devkit's ILSVRC2012_ID order used by the ground truth file; give a "
                    "'wnid ID' file made from the devkit's meta.mat, or use --val-csv "
                    "LOC_val_solution.csv",
                    path);
}

/* The ground truth file: one ILSVRC2012_ID a line, each one the mapping
 * knows; *gt (malloc'd) and *n_gt. */
static vgg_status read_gt(const vgg_ilsvrc_opts *o, char *const *wnid_of_id, size_t n_ids,
                          long **gt, size_t *n_gt)
{
    char *text = NULL;
    size_t len, cap = 0;
    vgg_status st = vgg_read_file(o->gt_path, 0, &text, &len);
    int lineno = 0;
    char *save = NULL;
    for (char *line = st == VGG_STATUS_OK ? strtok_r(text, "\n", &save) : NULL;
         line && st == VGG_STATUS_OK; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        const char *tok[2];
        size_t tl[2];
        int nt = tokens(line, tok, tl, 2);
        if (nt == 0)
            continue;
        long id;
        if (nt != 1 || !is_uint(tok[0], tl[0], &id) || id < 1 || (size_t)id > n_ids ||
            !wnid_of_id[id])
            st = vgg_fail(VGG_STATUS_FORMAT,
                          "'%s': line %d: expected one ILSVRC2012_ID between 1 and %zu that '%s' maps",
                          o->gt_path, lineno, n_ids, o->synsets_path);
        else if ((st = grow((void **)gt, *n_gt, &cap, sizeof **gt, o->gt_path)) == VGG_STATUS_OK)
            (*gt)[(*n_gt)++] = id;
    }
    free(text);
    return st;
}

/* Each validation image's class from its number's ground truth line. */
static vgg_status val_classes_from_gt(vgg_ilsvrc *d, const vgg_ilsvrc_opts *o,
                                      char *const *wnid_of_id, const long *gt, size_t n_gt)
{
    for (size_t i = 0; i < d->n_val; i++) {
        char s[256];
        stem(d->val_paths[i], s, sizeof s);
        const char *us = strrchr(s, '_');
        long num;
        if (!us || !is_uint(us + 1, strlen(us + 1), &num) || num < 1)
            return vgg_fail(VGG_STATUS_FORMAT,
                            "'%s': not named like ILSVRC2012_val_<number>.JPEG, so the ground truth "
                            "line is unknown",
                            d->val_paths[i]);
        if ((size_t)num > n_gt)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': image %ld, but '%s' has %zu lines",
                            d->val_paths[i], num, o->gt_path, n_gt);
        const char *w = wnid_of_id[gt[num - 1]];
        long c = class_of(d->train, w);
        if (c < 0)
            return vgg_fail(VGG_STATUS_MISMATCH, "'%s': class %s (ID %ld) has no folder in train/",
                            d->val_paths[i], w, gt[num - 1]);
        d->val_class[i] = (size_t)c;
    }
    return VGG_STATUS_OK;
}

/* Labels from the devkit ground truth and a synset mapping. */
static vgg_status label_from_gt(vgg_ilsvrc *d, const vgg_ilsvrc_opts *o)
{
    char **wnid_of_id = NULL;
    size_t n_ids = 0, n_gt = 0;
    bool line_order = false;
    long *gt = NULL;
    vgg_status st = vgg_ilsvrc_read_synsets(o->synsets_path, &wnid_of_id, &n_ids, &line_order);
    if (st != VGG_STATUS_OK)
        return st;
    st = check_id_order(wnid_of_id, n_ids, line_order, o->synsets_path);
    if (st == VGG_STATUS_OK)
        st = read_gt(o, wnid_of_id, n_ids, &gt, &n_gt);
    if (st == VGG_STATUS_OK)
        st = val_classes_from_gt(d, o, wnid_of_id, gt, n_gt);
    free(gt);
    vgg_ds_strings_free(wnid_of_id, n_ids + 1);
    return st;
}

typedef struct csv_row {
    char *id;
    char wnid[10];
} csv_row;

static int cmp_csv(const void *a, const void *b)
{
    return strcmp(((const csv_row *)a)->id, ((const csv_row *)b)->id);
}

/* Labels from LOC_val_solution.csv. */
static vgg_status label_from_csv(vgg_ilsvrc *d, const char *path)
{
    char *text;
    size_t len;
    vgg_status st = vgg_read_file(path, 0, &text, &len);
    if (st != VGG_STATUS_OK)
        return st;
    csv_row *rows = NULL;
    size_t n = 0, cap = 0;
    int lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *comma = strchr(line, ',');
        if (!comma) {
            if (line[strspn(line, " \t\r")] == 0)
                continue;
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: expected 'ImageId,PredictionString'",
                          path, lineno);
            goto done;
        }
        *comma = 0;
        const char *w = comma + 1;
        w += strspn(w, " \"");
        size_t wl = strcspn(w, " \"\r");
        if (!is_wnid(w, wl)) {
            if (lineno == 1)
                continue; /* the header */
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: the prediction string does not start with a wnid",
                          path, lineno);
            goto done;
        }
        if ((st = grow((void **)&rows, n, &cap, sizeof *rows, path)) != VGG_STATUS_OK)
            goto done;
        rows[n].id = line;
        memcpy(rows[n].wnid, w, 9);
        rows[n].wnid[9] = 0;
        n++;
    }
    if (n > 1)
        qsort(rows, n, sizeof *rows, cmp_csv);
    for (size_t i = 0; i < d->n_val; i++) {
        char s[256];
        stem(d->val_paths[i], s, sizeof s);
        csv_row key = { .id = s };
        csv_row *r = n ? bsearch(&key, rows, n, sizeof *rows, cmp_csv) : NULL;
        if (!r) {
            st = vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': no line for image '%s'", path, s);
            goto done;
        }
        long c = class_of(d->train, r->wnid);
        if (c < 0) {
            st = vgg_fail(VGG_STATUS_MISMATCH, "'%s': class %s of '%s' has no folder in train/", path,
                          r->wnid, s);
            goto done;
        }
        d->val_class[i] = (size_t)c;
    }
done:
    free(rows);
    free(text);
    return st;
}

/* val/ already sorted into val/<wnid>/ folders. */
static vgg_status label_from_folders(vgg_ilsvrc *d, const char *val_dir, char **sub, size_t n_sub)
{
    ds_strvec paths = { 0 };
    size_t cap = 0;
    vgg_status st = VGG_STATUS_OK;
    for (size_t s = 0; s < n_sub; s++) {
        long c = class_of(d->train, sub[s]);
        if (c < 0) {
            st = vgg_fail(VGG_STATUS_MISMATCH, "'%s/%s': a validation class with no folder in train/",
                          val_dir, sub[s]);
            break;
        }
        char *dir = ds_join(val_dir, sub[s]);
        char **imgs = NULL;
        size_t ni = 0;
        st = dir ? vgg_ds_list_images(dir, &imgs, &ni) : vgg_fail(VGG_STATUS_NOMEM, "out of memory");
        free(dir);
        if (st != VGG_STATUS_OK)
            break;
        for (size_t i = 0; i < ni && st == VGG_STATUS_OK; i++) {
            if (paths.n == cap) {
                cap = cap ? cap * 2 : 1024;
                size_t *p = realloc(d->val_class, cap * sizeof *p);
                if (!p) {
                    st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", val_dir);
                    break;
                }
                d->val_class = p;
            }
            d->val_class[paths.n] = (size_t)c;
            st = ds_strvec_push(&paths, imgs[i]);
            imgs[i] = NULL;
        }
        vgg_ds_strings_free(imgs, ni);
        if (st != VGG_STATUS_OK)
            break;
    }
    d->val_paths = paths.s;
    d->n_val = paths.n;
    return st;
}

vgg_status vgg_ilsvrc_load(const char *dir, const vgg_ilsvrc_opts *o, vgg_ilsvrc **out)
{
    *out = NULL;
    if (!ds_is_dir(dir))
        return vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': no such folder", dir);
    vgg_ilsvrc *d = calloc(1, sizeof *d);
    char *train_dir = ds_join(dir, "train");
    char *val_dir = ds_join(dir, "val");
    char **sub = NULL;
    size_t n_sub = 0;
    vgg_status st = VGG_STATUS_OK;
    if (!d || !train_dir || !val_dir) {
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", dir);
        goto done;
    }
    st = vgg_ds_scan_folders(train_dir, &d->train);
    if (st != VGG_STATUS_OK)
        goto done;
    if (!ds_is_dir(val_dir)) {
        st = vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': no such folder (the validation images)", val_dir);
        goto done;
    }
    st = ds_list_dir(val_dir, true, false, &sub, &n_sub);
    if (st != VGG_STATUS_OK)
        goto done;
    if (n_sub > 0) {
        st = label_from_folders(d, val_dir, sub, n_sub);
        goto done;
    }
    st = vgg_ds_list_images(val_dir, &d->val_paths, &d->n_val);
    if (st != VGG_STATUS_OK)
        goto done;
    if (d->n_val == 0) {
        st = vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': no validation images in it", val_dir);
        goto done;
    }
    d->val_class = calloc(d->n_val, sizeof *d->val_class);
    if (!d->val_class) {
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", val_dir);
        goto done;
    }
    if (o && o->val_csv_path)
        st = label_from_csv(d, o->val_csv_path);
    else if (o && o->gt_path && o->synsets_path)
        st = label_from_gt(d, o);
    else
        st = vgg_fail(VGG_STATUS_INVALID,
                      "'%s': the validation images are not in class folders: give the devkit's ground "
                      "truth file and a synset mapping (--devkit-gt, --synsets), or LOC_val_solution.csv "
                      "(--val-csv)",
                      val_dir);
done:
    vgg_ds_strings_free(sub, n_sub);
    free(train_dir);
    free(val_dir);
    if (st != VGG_STATUS_OK) {
        vgg_ilsvrc_free(d);
        return st;
    }
    *out = d;
    return VGG_STATUS_OK;
}

vgg_status vgg_ilsvrc_write_lists(const vgg_ilsvrc *d, const char *train_path,
                                  const char *val_path)
{
    const vgg_ds_folders *f = d->train;
    size_t n = 0;
    for (size_t c = 0; c < f->n_classes; c++)
        n += f->n_images[c];
    vgg_ds_item *items = malloc((n ? n : 1) * sizeof *items);
    if (!items)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", train_path);
    size_t k = 0;
    for (size_t c = 0; c < f->n_classes; c++)
        for (size_t i = 0; i < f->n_images[c]; i++)
            items[k++] = (vgg_ds_item){ c, i };
    vgg_status st = vgg_ds_check_names(f, train_path);
    for (size_t i = 0; i < d->n_val && st == VGG_STATUS_OK; i++)
        st = ds_check_path(val_path, d->val_paths[i]);
    if (st == VGG_STATUS_OK)
        st = vgg_ds_write_list(train_path, f, items, n);
    free(items);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_atomic_file af;
    st = vgg_atomic_open(val_path, &af);
    if (st != VGG_STATUS_OK)
        return st;
    for (size_t i = 0; i < d->n_val; i++)
        fprintf(af.fp, "%s\t%s\n", d->val_paths[i], f->classes[d->val_class[i]]);
    return ds_finish(&af, val_path);
}
