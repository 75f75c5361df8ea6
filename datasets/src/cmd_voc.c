/* vggdata voc: a labels file from a PASCAL VOC image set. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/datasets.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggdata voc VOCDIR [--set trainval|train|val|test] -o FILE [--classes FILE]\n\n"
            "VOCDIR is VOCdevkit/VOC2007 or VOCdevkit/VOC2012.  Reads ImageSets/Main/<set>.txt\n"
            "and each image's Annotations/<id>.xml, and writes one line per image:\n"
            "  VOCDIR/JPEGImages/<id>.jpg<TAB>label[,label...]\n"
            "with the image's classes sorted; a class whose objects in that image are all\n"
            "marked difficult is written 'label?' (vggsvm leaves such images out of that\n"
            "class's training and evaluation).  --set defaults to trainval.\n"
            "  --classes FILE  also write the class index (every class seen, sorted)\n"
            "VOC-2012's test set has no public annotations: evaluate on val.\n");
}

int cmd_voc(int argc, char **argv)
{
    static const struct option opts[] = {
        { "set", required_argument, NULL, 's' }, { "output", required_argument, NULL, 'o' },
        { "classes", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *set = "trainval", *out = NULL, *classes = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': set = optarg; break;
        case 'o': out = optarg; break;
        case 'c': classes = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !out) {
        fprintf(stderr, "vggdata voc: %s\n", !out ? "-o FILE is required" : "expected one VOCDIR");
        usage(stderr);
        return 2;
    }
    vgg_voc_set *s = NULL;
    vgg_status st = vgg_voc_load(argv[optind], set, &s);
    if (st == VGG_STATUS_OK)
        st = vgg_voc_write_labels(s, out);
    if (st == VGG_STATUS_OK && classes)
        st = vgg_ds_write_classes(classes, s->classes, s->n_classes);
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggdata voc: %s\n", vgg_last_error());
        vgg_voc_set_free(s);
        vgg_voc_cleanup();
        return 1;
    }
    size_t n_diff = 0, n_lab = 0;
    for (size_t i = 0; i < s->n_images; i++)
        for (size_t l = 0; l < s->images[i].n_labels; l++) {
            n_lab++;
            n_diff += s->images[i].labels[l].difficult;
        }
    printf("vggdata voc: %s: %zu images, %zu classes, %zu image labels (%zu difficult only) -> %s\n",
           set, s->n_images, s->n_classes, n_lab, n_diff, out);
    vgg_voc_set_free(s);
    vgg_voc_cleanup();
    return 0;
}
