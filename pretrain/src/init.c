/* vggtrain init's library side: a class index's size, and a freshly
 * initialised net written as `vggtrain train` would start from it. */
#include <stdlib.h>
#include <string.h>

#include "vgg/pretrain.h"

vgg_status vgg_pretrain_count_classes(const char *path, int *n)
{
    char *text;
    size_t len;
    *n = 0;
    vgg_status st = vgg_read_file(path, 64u << 20, &text, &len);
    if (st != VGG_STATUS_OK)
        return st;
    const char *p = text;
    while (*p) {
        const char *e = strchr(p, '\n');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        if (l > 0 && !(l == 1 && p[0] == '\r'))
            (*n)++;
        p += l + (e ? 1 : 0);
    }
    free(text);
    if (*n < 1)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': no class names", path);
    return VGG_STATUS_OK;
}

vgg_status vgg_pretrain_init_save(const vgg_arch *arch, vgg_init_scheme scheme, float std,
                                  uint64_t seed, const char *out)
{
    vgg_backend *be = NULL;
    vgg_net *net = NULL;
    vgg_status st = vgg_arch_validate(arch);
    if (st == VGG_STATUS_OK)
        st = vgg_backend_open("cpu", 1, &be);
    if (st == VGG_STATUS_OK)
        st = vgg_net_create(arch, be, &net);
    if (st == VGG_STATUS_OK)
        st = vgg_train_init(net, scheme, std, seed);
    if (st == VGG_STATUS_OK)
        st = vgg_net_save(net, out);
    vgg_net_free(net);
    vgg_backend_close(be);
    return st;
}
