/* Class folders, seeded splits, list and class-index files. */
#include "vgg/datasets.h"
#include "datasets_internal.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

char *ds_join(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    while (na > 1 && a[na - 1] == '/')
        na--;
    char *s = malloc(na + nb + 2);
    if (!s)
        return NULL;
    memcpy(s, a, na);
    s[na] = '/';
    memcpy(s + na + 1, b, nb + 1);
    return s;
}

bool ds_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool ds_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void ds_sort_strings(char **s, size_t n)
{
    if (n > 1)
        qsort(s, n, sizeof *s, cmp_str);
}

vgg_status ds_strvec_push(ds_strvec *v, char *s)
{
    if (!s)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 64;
        char **p = realloc(v->s, cap * sizeof *p);
        if (!p) {
            free(s);
            return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
        }
        v->s = p;
        v->cap = cap;
    }
    v->s[v->n++] = s;
    return VGG_STATUS_OK;
}

void vgg_ds_strings_free(char **s, size_t n)
{
    if (!s)
        return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

bool vgg_ds_is_image_name(const char *name)
{
    static const char *const exts[] = { ".jpg", ".jpeg", ".png", ".bmp" };
    if (!name || name[0] == '.')
        return false;
    const char *dot = strrchr(name, '.');
    if (!dot || dot == name)
        return false;
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++)
        if (strcasecmp(dot, exts[i]) == 0)
            return true;
    return false;
}

/* Entries of dir: image files (want_dirs false) or sub-folders (true),
 * as names or joined paths, sorted. */
vgg_status ds_list_dir(const char *dir, bool want_dirs, bool join, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d) {
        int e = errno;
        return vgg_fail(e == ENOENT ? VGG_STATUS_NOT_FOUND : VGG_STATUS_IO,
                        "'%s': cannot open folder: %s", dir, strerror(e));
    }
    ds_strvec v = { 0 };
    vgg_status st = VGG_STATUS_OK;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (!want_dirs && !vgg_ds_is_image_name(e->d_name))
            continue;
        char *full = ds_join(dir, e->d_name);
        if (!full) {
            st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", dir);
            break;
        }
        /* the entry's type from readdir where the file system gives it
         * (no stat per file: ILSVRC has 1.28M); links and unknowns: stat */
        bool keep;
        if (e->d_type == DT_DIR || e->d_type == DT_REG)
            keep = want_dirs ? e->d_type == DT_DIR : e->d_type == DT_REG;
        else
            keep = want_dirs ? ds_is_dir(full) : ds_is_file(full);
        if (!keep) {
            free(full);
            continue;
        }
        if (!join) {
            free(full);
            full = strdup(e->d_name);
        }
        st = ds_strvec_push(&v, full);
        if (st != VGG_STATUS_OK)
            break;
    }
    closedir(d);
    if (st != VGG_STATUS_OK) {
        vgg_ds_strings_free(v.s, v.n);
        return st;
    }
    ds_sort_strings(v.s, v.n);
    *out = v.s;
    *n = v.n;
    return VGG_STATUS_OK;
}

vgg_status vgg_ds_list_images(const char *dir, char ***out, size_t *n)
{
    return ds_list_dir(dir, false, true, out, n);
}

void vgg_ds_folders_free(vgg_ds_folders *f)
{
    if (!f)
        return;
    for (size_t c = 0; c < f->n_classes; c++) {
        if (f->images)
            vgg_ds_strings_free(f->images[c], f->n_images[c]);
    }
    vgg_ds_strings_free(f->classes, f->n_classes);
    free(f->images);
    free(f->n_images);
    free(f);
}

vgg_status vgg_ds_scan_folders(const char *root, vgg_ds_folders **out)
{
    *out = NULL;
    if (!ds_is_dir(root))
        return vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': no such folder", root);
    vgg_ds_folders *f = calloc(1, sizeof *f);
    if (!f)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", root);
    vgg_status st = ds_list_dir(root, true, false, &f->classes, &f->n_classes);
    if (st != VGG_STATUS_OK) {
        free(f);
        return st;
    }
    if (f->n_classes == 0) {
        vgg_ds_folders_free(f);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': no class folders in it", root);
    }
    f->n_images = calloc(f->n_classes, sizeof *f->n_images);
    f->images = calloc(f->n_classes, sizeof *f->images);
    if (!f->n_images || !f->images) {
        vgg_ds_folders_free(f);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", root);
    }
    for (size_t c = 0; c < f->n_classes; c++) {
        char *dir = ds_join(root, f->classes[c]);
        if (!dir) {
            vgg_ds_folders_free(f);
            return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", root);
        }
        st = vgg_ds_list_images(dir, &f->images[c], &f->n_images[c]);
        if (st == VGG_STATUS_OK && f->n_images[c] == 0)
            st = vgg_fail(VGG_STATUS_INVALID,
                          "'%s': class folder has no image files (.jpg, .jpeg, .png, .bmp)", dir);
        free(dir);
        if (st != VGG_STATUS_OK) {
            vgg_ds_folders_free(f);
            return st;
        }
    }
    *out = f;
    return VGG_STATUS_OK;
}

/* ---- Caltech ---- */

vgg_status vgg_caltech_find_root(const char *dir, char **root, vgg_caltech_kind *kind)
{
    *root = NULL;
    *kind = VGG_CALTECH_UNKNOWN;
    if (!ds_is_dir(dir))
        return vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': no such folder", dir);
    static const char *const subs[] = { "101_ObjectCategories", "256_ObjectCategories" };
    for (int i = 0; i < 2; i++) {
        char *p = ds_join(dir, subs[i]);
        if (!p)
            return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", dir);
        if (ds_is_dir(p)) {
            *root = p;
            *kind = i == 0 ? VGG_CALTECH_101 : VGG_CALTECH_256;
            return VGG_STATUS_OK;
        }
        free(p);
    }
    *root = strdup(dir);
    if (!*root)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", dir);
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    if (strncmp(base, "101_ObjectCategories", 20) == 0) {
        *kind = VGG_CALTECH_101;
        return VGG_STATUS_OK;
    }
    if (strncmp(base, "256_ObjectCategories", 20) == 0) {
        *kind = VGG_CALTECH_256;
        return VGG_STATUS_OK;
    }
    char **names;
    size_t n;
    vgg_status st = ds_list_dir(dir, true, false, &names, &n);
    if (st != VGG_STATUS_OK) {
        free(*root);
        *root = NULL;
        return st;
    }
    bool numbered = n > 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "BACKGROUND_Google") == 0)
            *kind = VGG_CALTECH_101;
        const char *s = names[i];
        if (!(strlen(s) > 4 && s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' &&
              s[2] >= '0' && s[2] <= '9' && s[3] == '.'))
            numbered = false;
    }
    if (*kind == VGG_CALTECH_UNKNOWN && numbered)
        *kind = VGG_CALTECH_256;
    vgg_ds_strings_free(names, n);
    return VGG_STATUS_OK;
}

/* ---- splits ---- */

/* Uniform in [0, n) without modulo bias. */
static uint64_t uniform_below(uint64_t *s, uint64_t n)
{
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do
        r = vgg_rng_next(s); /* splitmix64: the same everywhere */
    while (r >= limit);
    return r % n;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

vgg_status vgg_ds_split(const vgg_ds_folders *f, int n_train, int n_test, uint64_t seed, int k,
                        vgg_ds_item **train, size_t *n_train_out,
                        vgg_ds_item **test, size_t *n_test_out)
{
    *train = NULL;
    *test = NULL;
    *n_train_out = 0;
    *n_test_out = 0;
    if (n_train < 1 || n_test < 0 || k < 0)
        return vgg_fail(VGG_STATUS_INVALID,
                        "split sizes: need at least 1 training image per class and --test >= 0");
    size_t total_train = 0, total_test = 0, most = 0;
    for (size_t c = 0; c < f->n_classes; c++) {
        size_t n = f->n_images[c];
        if (n < (size_t)n_train + 1)
            return vgg_fail(VGG_STATUS_INVALID,
                            "class '%s' has %zu image%s: fewer than %d for training plus one for testing",
                            f->classes[c], n, n == 1 ? "" : "s", n_train);
        size_t rest = n - (size_t)n_train;
        total_train += (size_t)n_train;
        total_test += n_test == 0 || rest < (size_t)n_test ? rest : (size_t)n_test;
        if (n > most)
            most = n;
    }
    vgg_ds_item *tr = malloc(total_train * sizeof *tr);
    vgg_ds_item *te = malloc((total_test ? total_test : 1) * sizeof *te);
    size_t *perm = malloc(most * sizeof *perm);
    if (!tr || !te || !perm) {
        free(tr);
        free(te);
        free(perm);
        return vgg_fail(VGG_STATUS_NOMEM, "split: out of memory");
    }
    /* One generator per split, seeded from (seed, k). */
    uint64_t s = seed ^ 0x5643474441544131ULL;
    s = vgg_rng_next(&s) ^ ((uint64_t)k * 0xd1b54a32d192ed03ULL);
    size_t itr = 0, ite = 0;
    for (size_t c = 0; c < f->n_classes; c++) {
        size_t n = f->n_images[c];
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        for (size_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
            size_t j = (size_t)uniform_below(&s, (uint64_t)i + 1);
            size_t t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        size_t rest = n - (size_t)n_train;
        size_t nte = n_test == 0 || rest < (size_t)n_test ? rest : (size_t)n_test;
        qsort(perm, (size_t)n_train, sizeof *perm, cmp_size);
        qsort(perm + n_train, nte, sizeof *perm, cmp_size);
        for (int i = 0; i < n_train; i++)
            tr[itr++] = (vgg_ds_item){ c, perm[i] };
        for (size_t i = 0; i < nte; i++)
            te[ite++] = (vgg_ds_item){ c, perm[(size_t)n_train + i] };
    }
    free(perm);
    *train = tr;
    *test = te;
    *n_train_out = itr;
    *n_test_out = ite;
    return VGG_STATUS_OK;
}

/* ---- writing ---- */

/* The rule of the lists vggdata writes (docs/escaping.md, "Lists"): a
 * list holds paths and labels as they are, as vgg_list_read gives them
 * back, so a name that would not read back is refused, named in its
 * escaped form (the message stays on one line). */
static vgg_status refuse_name(const char *path, const char *what, const char *s,
                              const char *why)
{
    char *e = NULL;
    vgg_status st = vgg_text_escape(s, &e);
    if (st != VGG_STATUS_OK)
        return st;
    st = vgg_fail(VGG_STATUS_FORMAT, "'%s': the %s '%s' %s; rename it to make the list", path,
                  what, e, why);
    free(e);
    return st;
}

vgg_status ds_check_path(const char *path, const char *s)
{
    if (strpbrk(s, "\t\n\r"))
        return refuse_name(path, "image path", s,
                           "holds a tab or line break, which a list line cannot hold");
    if (s[0] == '#')
        return refuse_name(path, "image path", s,
                           "starts with '#', which a labels file reads as a comment");
    return VGG_STATUS_OK;
}

vgg_status ds_check_label(const char *path, const char *s)
{
    if (strpbrk(s, "\t\n\r,?"))
        return refuse_name(path, "class name", s,
                           "holds a tab, line break, comma or '?', which a label cannot hold "
                           "(',' separates labels, '?' marks a difficult one)");
    size_t n = strlen(s);
    if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
        return refuse_name(path, "class name", s,
                           "starts or ends with a space, which a list's label loses when it is "
                           "read ('cat ' is the class cat)");
    return VGG_STATUS_OK;
}

vgg_status vgg_ds_check_names(const vgg_ds_folders *f, const char *where)
{
    for (size_t c = 0; c < f->n_classes; c++) {
        vgg_status st = ds_check_label(where, f->classes[c]);
        for (size_t i = 0; i < f->n_images[c] && st == VGG_STATUS_OK; i++)
            st = ds_check_path(where, f->images[c][i]);
        if (st != VGG_STATUS_OK)
            return st;
    }
    return VGG_STATUS_OK;
}

vgg_status ds_finish(vgg_atomic_file *af, const char *path)
{
    if (ferror(af->fp)) {
        vgg_atomic_abort(af);
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot write: %s", path, strerror(errno));
    }
    return vgg_atomic_commit(af);
}

vgg_status vgg_ds_write_list(const char *path, const vgg_ds_folders *f,
                             const vgg_ds_item *items, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (items[i].cls >= f->n_classes || items[i].img >= f->n_images[items[i].cls])
            return vgg_fail(VGG_STATUS_INVALID, "'%s': item %zu out of range", path, i);
        vgg_status st = ds_check_path(path, f->images[items[i].cls][items[i].img]);
        if (st == VGG_STATUS_OK)
            st = ds_check_label(path, f->classes[items[i].cls]);
        if (st != VGG_STATUS_OK)
            return st;
    }
    vgg_atomic_file af;
    vgg_status st = vgg_atomic_open(path, &af);
    if (st != VGG_STATUS_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        fprintf(af.fp, "%s\t%s\n", f->images[items[i].cls][items[i].img], f->classes[items[i].cls]);
    return ds_finish(&af, path);
}

vgg_status vgg_ds_write_classes(const char *path, char *const *names, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        vgg_status st = ds_check_label(path, names[i]);
        if (st != VGG_STATUS_OK)
            return st;
    }
    vgg_atomic_file af;
    vgg_status st = vgg_atomic_open(path, &af);
    if (st != VGG_STATUS_OK)
        return st;
    for (size_t i = 0; i < n; i++)
        fprintf(af.fp, "%s\n", names[i]);
    return ds_finish(&af, path);
}
