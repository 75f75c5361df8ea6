/* vggfeat info FILE: describe a safetensors weights file or a feature
 * store, recognised by content. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/caffe.h"
#include "vgg/features.h"
#include "vgg/net.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggfeat info FILE\n"
            "       vggfeat info --devices\n"
            "Describe FILE, recognised by its content: a feature store (description,\n"
            "rows, dimension, labels) or a safetensors weights file (configuration,\n"
            "width, classes, input size, parameters, pooling, preprocessing, digest,\n"
            "metadata).  --devices lists the GPUs this build can use (with the CUDA\n"
            "driver and runtime versions), or says why there are none.\n");
}

static int info_store(const char *path)
{
    vgg_featstore *fs = NULL;
    if (vgg_featstore_open(path, &fs) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat info: %s\n", vgg_last_error());
        return 1;
    }
    char tail[1024];
    if (vgg_featstore_tail_note(path, tail, sizeof tail))
        fprintf(stderr, "vggfeat info: %s\n", tail);
    const vgg_featdesc *d = vgg_featstore_desc(fs);
    size_t rows = vgg_featstore_rows(fs);
    vgg_featlayout l;
    vgg_featstore_layout(fs, &l);
    printf("file:        %s\n", path);
    printf("kind:        vggfeat feature store (format 1)\n");
    printf("written by:  %s\n", d->version);
    for (int j = 0; j < d->n_nets; j++)
        printf("net %d:       %s (config %s, digest %s)\n", j + 1, d->net_names[j],
               d->net_configs[j], d->net_digests[j]);
    printf("layer:       %s\n", d->layer);
    printf("scales:      ");
    for (int s = 0; s < d->n_scales; s++)
        printf("%s%d", s ? "," : "", d->scales[s]);
    printf("\naggregate:   %s\n", d->aggregate);
    printf("flip:        %s\n", d->flip ? "yes" : "no");
    printf("l2:          %s\n", d->l2_per_net ? (d->l2 ? "per net, then final" : "per net")
                                               : d->l2 ? "yes" : "no");
    printf("dim:         %d\n", d->dim);
    printf("rows:        %zu\n", rows);
    size_t labelled = 0;
    for (size_t r = 0; r < rows; r++)
        labelled += vgg_featstore_label(fs, r)[0] != '\0';
    if (labelled == 0)
        printf("labels:      none\n");
    else
        printf("labels:      %zu of %zu rows\n", labelled, rows);
    if (rows)
        printf("indices:     %llu .. %llu\n", (unsigned long long)vgg_featstore_index(fs, 0),
               (unsigned long long)vgg_featstore_index(fs, rows - 1));
    printf("slots:       name %d bytes, label %d bytes\n", l.name_bytes, l.label_bytes);
    vgg_featstore_close(fs);
    return 0;
}

static int info_weights(const char *path)
{
    vgg_safetensors *st = NULL;
    if (vgg_st_open(path, &st) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat info: %s\n", vgg_last_error());
        return 1;
    }
    printf("file:        %s\n", path);
    printf("kind:        safetensors weights (%d tensors)\n", vgg_st_count(st));
    int n_meta = vgg_st_meta_count(st);
    vgg_backend *be = NULL;
    vgg_net *net = NULL;
    int rc = 0;
    if (vgg_backend_open("cpu", 1, &be) != VGG_STATUS_OK ||
        vgg_net_load(path, be, &net) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat info: %s\n", vgg_last_error());
        rc = 1;
    } else {
        const vgg_arch *a = vgg_net_arch(net);
        const vgg_preproc *p = vgg_net_preproc(net);
        char digest[65];
        vgg_net_digest(net, digest);
        char name[16];
        printf("config:      %s%s\n", vgg_arch_name(a, name, sizeof name),
               a->batch_norm ? " (batch normalisation, folded into the convolutions)" : "");
        printf("width:       %g\n", a->width);
        printf("fc dim:      %d\n", a->fc_dim);
        printf("classes:     %d\n", a->num_classes);
        printf("input size:  %d\n", a->input_size);
        printf("min side:    %d (dense extraction)\n", vgg_net_min_input(net));
        printf("parameters:  %lld\n", (long long)vgg_arch_param_count(a));
        printf("pooling:     %s\n", a->pool_round == VGG_POOL_CEIL ? "ceil (Caffe)"
                                                                    : "floor (PyTorch)");
        printf("preprocess:  %s, range %g, mean %g,%g,%g, std %g,%g,%g\n",
               p->order == VGG_CHANNELS_BGR ? "BGR" : "RGB", p->range, p->mean[0], p->mean[1],
               p->mean[2], p->std[0], p->std[1], p->std[2]);
        printf("digest:      %s\n", digest);
        if (!vgg_st_meta(st, "format"))
            printf("metadata:    none (architecture inferred from the tensor names)\n");
    }
    for (int i = 0; i < n_meta; i++) {
        const char *k, *v;
        vgg_st_meta_at(st, i, &k, &v);
        printf("meta %-7s %s\n", k, v);
    }
    vgg_net_free(net);
    vgg_backend_close(be);
    vgg_st_close(st);
    return rc;
}

/* The first 8 bytes of a safetensors file are its header length; the
 * header starts with '{'. */
static bool looks_like_safetensors(const char *path)
{
    FILE *fp = NULL;
    if (vgg_fopen_regular(path, &fp) != VGG_STATUS_OK)
        return false;
    unsigned char b[9];
    bool ok = fread(b, 1, 9, fp) == 9 && b[8] == '{';
    fclose(fp);
    return ok;
}

int cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        { "help", no_argument, NULL, 'h' },
        { "devices", no_argument, NULL, 'D' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    bool devices = false;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c == 'D') {
            devices = true;
            continue;
        }
        usage(stderr);
        return 2;
    }
    if (devices) {
        if (optind != argc) {
            usage(stderr);
            return 2;
        }
        char list[4096];
        vgg_backend_list_gpus(list, sizeof list);
        /* no GPU is an answer, not a failure */
        printf("%s%s", list, list[0] && list[strlen(list) - 1] == '\n' ? "" : "\n");
        return 0;
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    FILE *fp = NULL;
    if (vgg_fopen_regular(path, &fp) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat info: %s\n", vgg_last_error());
        return 1;
    }
    fclose(fp);
    if (vgg_featstore_sniff_file(path))
        return info_store(path);
    if (looks_like_safetensors(path))
        return info_weights(path);
    /* a Caffe .caffemodel: recognised by parsing it (it has no magic) */
    if (vgg_caffe_describe(path, stdout) == VGG_STATUS_OK)
        return 0;
    if (vgg_caffe_is_caffemodel_name(path)) {
        fprintf(stderr, "vggfeat info: %s\n", vgg_last_error());
        return 1;
    }
    fprintf(stderr,
            "vggfeat info: '%s': neither a vggfeat feature store nor a safetensors weights "
            "file\n", path);
    return 1;
}
