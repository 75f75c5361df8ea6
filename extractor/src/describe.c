/* `vggfeat info` on a safetensors weights file: the architecture and
 * preprocessing the net loads with, its digest and the file's metadata
 * (vgg_weights_describe in vgg/extract.h). */
#include <stdio.h>

#include "vgg/extract.h"

static void describe_net(const vgg_net *net, FILE *fp)
{
    const vgg_arch *a = vgg_net_arch(net);
    const vgg_preproc *p = vgg_net_preproc(net);
    char digest[65], name[16];
    vgg_net_digest(net, digest);
    fprintf(fp, "config:      %s%s\n", vgg_arch_name(a, name, sizeof name),
            a->batch_norm ? " (batch normalisation, folded into the convolutions)" : "");
    fprintf(fp, "width:       %g\n", a->width);
    fprintf(fp, "fc dim:      %d\n", a->fc_dim);
    fprintf(fp, "classes:     %d\n", a->num_classes);
    fprintf(fp, "input size:  %d\n", a->input_size);
    fprintf(fp, "min side:    %d (dense extraction)\n", vgg_net_min_input(net));
    fprintf(fp, "parameters:  %lld\n", (long long)vgg_arch_param_count(a));
    fprintf(fp, "pooling:     %s\n", a->pool_round == VGG_POOL_CEIL ? "ceil (Caffe)"
                                                                    : "floor (PyTorch)");
    fprintf(fp, "preprocess:  %s, range %g, mean %g,%g,%g, std %g,%g,%g\n",
            p->order == VGG_CHANNELS_BGR ? "BGR" : "RGB", p->range, p->mean[0], p->mean[1],
            p->mean[2], p->std[0], p->std[1], p->std[2]);
    fprintf(fp, "digest:      %s\n", digest);
}

vgg_status vgg_weights_describe(const char *path, FILE *fp)
{
    vgg_safetensors *st = NULL;
    vgg_status s = vgg_st_open(path, &st);
    if (s != VGG_STATUS_OK)
        return s;
    fprintf(fp, "file:        %s\n", path);
    fprintf(fp, "kind:        safetensors weights (%d tensors)\n", vgg_st_count(st));
    vgg_backend *be = NULL;
    vgg_net *net = NULL;
    s = vgg_backend_open("cpu", 1, &be);
    if (s == VGG_STATUS_OK)
        s = vgg_net_load(path, be, &net);
    if (s == VGG_STATUS_OK) {
        describe_net(net, fp);
        if (!vgg_st_meta(st, "format"))
            fprintf(fp, "metadata:    none (architecture inferred from the tensor names)\n");
    }
    for (int i = 0; i < vgg_st_meta_count(st); i++) {
        const char *k, *v;
        vgg_st_meta_at(st, i, &k, &v);
        fprintf(fp, "meta %-7s %s\n", k, v);
    }
    vgg_net_free(net);
    vgg_backend_close(be);
    vgg_st_close(st);
    if (s == VGG_STATUS_OK && ferror(fp))
        s = vgg_fail(VGG_STATUS_IO, "'%s': cannot write its description", path);
    return s;
}
