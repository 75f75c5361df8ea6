/* Label numbering: class names in bytewise order, numbered from 1 in
 * LIBLINEAR files (vggsvm's models and vggfeat export's text alike). */
#include "vgg/features.h"

#include <stdlib.h>
#include <string.h>

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void vgg_feat_classes_sort(char **names, size_t n)
{
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_names);
}

/* A label without the spaces around it (*len bytes from the result): a
 * store written before lists dropped them may hold "cat " beside "cat",
 * one class, as vggsvm reads them. */
static const char *trimmed(const char *s, size_t *len)
{
    s += strspn(s, " ");
    size_t n = strlen(s);
    while (n > 0 && s[n - 1] == ' ')
        n--;
    *len = n;
    return s;
}

static bool same_label(const char *name, const char *label)
{
    size_t n;
    const char *t = trimmed(label, &n);
    return strncmp(name, t, n) == 0 && name[n] == '\0';
}

static bool parse_int_label(const char *s, long *v)
{
    size_t n;
    s = trimmed(s, &n);
    if (n == 0 || n > 30)
        return false;
    char buf[32], *end;
    memcpy(buf, s, n);
    buf[n] = 0;
    *v = strtol(buf, &end, 10);
    return *end == '\0';
}

/* the distinct labels of fs (spaces around them dropped), unsorted, into m->names */
static vgg_status collect_names(const vgg_featstore *fs, vgg_featlabels *m)
{
    size_t rows = vgg_featstore_rows(fs), cap = 0;
    for (size_t r = 0; r < rows; r++) {
        const char *l = vgg_featstore_label(fs, r);
        size_t i = 0;
        while (i < m->n && !same_label(m->names[i], l))
            i++;
        if (i < m->n)
            continue;
        if (m->n == cap) {
            size_t nc = cap ? 2 * cap : 16;
            char **nn = realloc(m->names, nc * sizeof *nn);
            if (!nn)
                return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
            m->names = nn;
            cap = nc;
        }
        size_t n;
        const char *t = trimmed(l, &n);
        if (!(m->names[m->n] = strndup(t, n)))
            return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
        m->n++;
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_featlabels_build(const vgg_featstore *fs, vgg_featlabels *m)
{
    memset(m, 0, sizeof *m);
    size_t rows = vgg_featstore_rows(fs);
    size_t labelled = 0;
    m->numeric = true;
    for (size_t r = 0; r < rows; r++) {
        const char *l = vgg_featstore_label(fs, r);
        long v;
        if (*l) {
            labelled++;
            if (!parse_int_label(l, &v))
                m->numeric = false;
        }
    }
    if (labelled == 0) {
        m->none = true;
        return VGG_STATUS_OK;
    }
    for (size_t r = 0; r < rows; r++) {
        if (!vgg_featstore_label(fs, r)[0])
            return vgg_fail(VGG_STATUS_INVALID,
                            "row %zu ('%s') has no label while %zu rows have one", r + 1,
                            vgg_featstore_name(fs, r), labelled);
    }
    if (m->numeric)
        return VGG_STATUS_OK;
    vgg_status st = collect_names(fs, m);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_feat_classes_sort(m->names, m->n);
    return VGG_STATUS_OK;
}

void vgg_featlabels_free(vgg_featlabels *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->names[i]);
    free(m->names);
    m->names = NULL;
    m->n = 0;
}

long vgg_featlabels_number(const vgg_featlabels *m, const char *l)
{
    long v = 0;
    if (m->none)
        return 0;
    if (m->numeric) {
        parse_int_label(l, &v);
        return v;
    }
    for (size_t i = 0; i < m->n; i++)
        if (same_label(m->names[i], l))
            return (long)i + 1;
    return 0;
}
