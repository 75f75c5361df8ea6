/* vggfeat info FILE: describe a safetensors weights file or a feature
 * store, recognised by content. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/caffe.h"
#include "vgg/extract.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggfeat info FILE\n"
            "       vggfeat info --devices\n"
            "Describe FILE, recognised by its content: a feature store (description,\n"
            "rows, dimension, labels) or a safetensors weights file (configuration,\n"
            "width, classes, input size, parameters, pooling, preprocessing, digest,\n"
            "metadata).  --devices lists the devices of every backend this build has\n"
            "(cpu, cpu-ref, and the GPUs with the CUDA driver and runtime versions), or\n"
            "says why there are no GPUs.\n");
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
    vgg_status st = vgg_featstore_describe(fs, path, stdout);
    vgg_featstore_close(fs);
    return st == VGG_STATUS_OK ? 0 : 1;
}

static int info_weights(const char *path)
{
    if (vgg_weights_describe(path, stdout) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat info: %s\n", vgg_last_error());
        return 1;
    }
    return 0;
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
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c == 'D') {
            devices = true;
            continue;
        }
        return vgg_cli_option_error("vggfeat", "info", argc, argv, "h", opts, usage);
    }
    if (devices) {
        if (optind != argc) {
            usage(stderr);
            return 2;
        }
        char list[4096];
        vgg_backend_list_devices(list, sizeof list);
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
