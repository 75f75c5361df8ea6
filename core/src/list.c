/* The list reader: "path[<TAB>label]" per line (the rule is in vgg/core.h). */
#include "vgg/core.h"

#include <stdlib.h>
#include <string.h>

void vgg_list_free(vgg_list *l)
{
    if (!l)
        return;
    free(l->text);
    free(l->paths);
    free(l->labels);
    free(l->lines);
    free(l);
}

/* Split one line (NUL-terminated, without its end) into l's next entry. */
static vgg_status add_line(vgg_list *l, char *p, size_t lineno, unsigned flags, const char *path)
{
    char *tab = strchr(p, '\t');
    if (!tab && (flags & VGG_LIST_LABELS))
        return vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: expected path<TAB>label", path,
                        lineno);
    if (tab) {
        *tab = 0;
        if ((flags & VGG_LIST_ONE_TAB) && strchr(tab + 1, '\t'))
            return vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: more than one TAB", path, lineno);
    }
    if (!*p)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: empty path (an empty name before "
                        "the TAB)", path, lineno);
    /* spaces around a label are not part of it ("cat " is the class cat) */
    char *label = tab ? tab + 1 : p + strlen(p);
    label += strspn(label, " ");
    size_t ln = strlen(label);
    while (ln > 0 && label[ln - 1] == ' ')
        label[--ln] = 0;
    l->paths[l->n] = p;
    l->labels[l->n] = label;
    l->lines[l->n] = lineno;
    l->n++;
    return VGG_STATUS_OK;
}

static const vgg_list *sort_list;

static int cmp_entry(const void *a, const void *b)
{
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(sort_list->paths[i], sort_list->paths[j]);
    return c ? c : (i > j) - (i < j);
}

vgg_status vgg_list_check_unique(const vgg_list *l, const char *path)
{
    if (l->n < 2)
        return VGG_STATUS_OK;
    size_t *ord = malloc(l->n * sizeof *ord);
    if (!ord)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    for (size_t i = 0; i < l->n; i++)
        ord[i] = i;
    sort_list = l;   /* qsort has no context argument; lists are read by one thread */
    qsort(ord, l->n, sizeof *ord, cmp_entry);
    /* the repeat that comes first in the file */
    size_t first = 0, again = 0;
    for (size_t k = 1; k < l->n; k++)
        if (strcmp(l->paths[ord[k]], l->paths[ord[k - 1]]) == 0 && (!again || ord[k] < again)) {
            size_t f = k - 1;
            while (f > 0 && strcmp(l->paths[ord[f - 1]], l->paths[ord[k]]) == 0)
                f--;
            first = ord[f];
            again = ord[k];
        }
    free(ord);
    if (!again)
        return VGG_STATUS_OK;
    return vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: '%s' is given twice (first on line %zu)",
                    path, l->lines[again], l->paths[again], l->lines[first]);
}

vgg_status vgg_list_read(const char *path, unsigned flags, vgg_list **out)
{
    *out = NULL;
    vgg_list *l = calloc(1, sizeof *l);
    if (!l)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    size_t len;
    vgg_status st = vgg_read_file(path, 0, &l->text, &len);
    if (st != VGG_STATUS_OK) {
        free(l);
        return st;
    }
    size_t nul = strlen(l->text);
    if (nul != len) {
        size_t line = 1;
        for (size_t i = 0; i < nul; i++)
            line += l->text[i] == '\n';
        vgg_list_free(l);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: a NUL byte at byte %zu (a list is "
                        "text)", path, line, nul);
    }
    size_t cap = 1;
    for (const char *p = l->text; *p; p++)
        cap += *p == '\n';
    l->paths = malloc(cap * sizeof *l->paths);
    l->labels = malloc(cap * sizeof *l->labels);
    l->lines = malloc(cap * sizeof *l->lines);
    if (!l->paths || !l->labels || !l->lines) {
        vgg_list_free(l);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    /* a UTF-8 byte order mark (as some editors write) is not part of the
     * first path */
    char *p = l->text;
    if (strncmp(p, "\xEF\xBB\xBF", 3) == 0)
        p += 3;
    for (size_t lineno = 1; *p && st == VGG_STATUS_OK; lineno++) {
        char *nl = strchr(p, '\n');
        char *next = nl ? nl + 1 : p + strlen(p);
        if (nl)
            *nl = 0;
        size_t n = strlen(p);
        if (n && p[n - 1] == '\r')
            p[--n] = 0;
        if (n && !((flags & VGG_LIST_COMMENTS) && p[0] == '#'))
            st = add_line(l, p, lineno, flags, path);
        p = next;
    }
    if (st != VGG_STATUS_OK) {
        vgg_list_free(l);
        return st;
    }
    *out = l;
    return VGG_STATUS_OK;
}
