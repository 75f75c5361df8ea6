/* A feature store holding the rows of another whose names a list names. */
#include "vgg/datasets.h"
#include "datasets_internal.h"

#include "vgg/features.h"

vgg_status vgg_ds_subset_store(const char *in_path, const char *list_path, const char *out_path,
                               size_t *rows_out)
{
    if (rows_out)
        *rows_out = 0;
    vgg_list *l = NULL;
    vgg_status st = vgg_list_read(list_path, 0, &l);
    if (st != VGG_STATUS_OK)
        return st;
    if (l->n == 0)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': lists no images", list_path);
    else
        st = vgg_featstore_subset(in_path, (const char *const *)l->paths,
                                  (const char *const *)l->labels, l->n, list_path, out_path);
    if (st == VGG_STATUS_OK && rows_out)
        *rows_out = l->n;
    vgg_list_free(l);
    return st;
}
