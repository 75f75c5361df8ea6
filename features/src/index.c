/* The sorted name index: names (borrowed) with their positions, sorted
 * bytewise and then by position, so a lower-bound search finds the first
 * position of a name. */
#include "vgg/features.h"

#include <stdlib.h>
#include <string.h>

typedef struct name_row {
    const char *name;
    size_t row;
} name_row;

struct vgg_featindex {
    name_row *ix;
    size_t n;
    const char **owned_names;   /* the names array of vgg_featindex_of_store */
};

static int cmp_name_row(const void *a, const void *b)
{
    const name_row *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    if (c)
        return c;
    return x->row < y->row ? -1 : x->row > y->row;
}

vgg_status vgg_featindex_build(const char *const *names, size_t n, vgg_featindex **out)
{
    *out = NULL;
    vgg_featindex *ix = calloc(1, sizeof *ix);
    if (ix)
        ix->ix = malloc((n ? n : 1) * sizeof *ix->ix);
    if (!ix || !ix->ix) {
        vgg_featindex_free(ix);
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory for an index of %zu names", n);
    }
    for (size_t i = 0; i < n; i++)
        ix->ix[i] = (name_row){ names[i], i };
    ix->n = n;
    qsort(ix->ix, n, sizeof *ix->ix, cmp_name_row);
    *out = ix;
    return VGG_STATUS_OK;
}

vgg_status vgg_featindex_of_store(const vgg_featstore *fs, vgg_featindex **out)
{
    *out = NULL;
    size_t n = vgg_featstore_rows(fs);
    const char **names = malloc((n ? n : 1) * sizeof *names);
    if (!names)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory for an index of %zu rows", n);
    for (size_t r = 0; r < n; r++)
        names[r] = vgg_featstore_name(fs, r);
    vgg_status st = vgg_featindex_build(names, n, out);
    if (st != VGG_STATUS_OK) {
        free(names);
        return st;
    }
    (*out)->owned_names = names;
    return VGG_STATUS_OK;
}

void vgg_featindex_free(vgg_featindex *ix)
{
    if (!ix)
        return;
    free(ix->ix);
    free(ix->owned_names);
    free(ix);
}

size_t vgg_featindex_find(const vgg_featindex *ix, const char *name)
{
    /* lower bound: the first entry of that name */
    size_t lo = 0, hi = ix->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(ix->ix[mid].name, name) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < ix->n && strcmp(ix->ix[lo].name, name) == 0)
        return ix->ix[lo].row;
    return VGG_FEAT_NO_ROW;
}

const char *vgg_featindex_duplicate(const vgg_featindex *ix)
{
    for (size_t i = 1; i < ix->n; i++)
        if (strcmp(ix->ix[i].name, ix->ix[i - 1].name) == 0)
            return ix->ix[i].name;
    return NULL;
}
