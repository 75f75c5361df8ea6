/* vggdata voc: a labels file from a PASCAL VOC image set, or with
 * --actions vggfeat's box list of a VOC-2012 action set. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/datasets.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggdata voc VOCDIR [--set trainval|train|val|test] [--actions] -o FILE\n"
            "                   [--classes FILE]\n\n"
            "VOCDIR is VOCdevkit/VOC2007 or VOCdevkit/VOC2012.  Reads ImageSets/Main/<set>.txt\n"
            "and each image's Annotations/<id>.xml, and writes one line per image:\n"
            "  VOCDIR/JPEGImages/<id>.jpg<TAB>label[,label...]\n"
            "with the image's classes sorted; a class whose objects in that image are all\n"
            "marked difficult is written 'label?' (vggsvm leaves such images out of that\n"
            "class's training and evaluation).  --set defaults to trainval.\n"
            "  --classes FILE  also write the class index (every class seen, sorted)\n"
            "VOC-2012's test set has no public annotations: evaluate on val.\n\n"
            "  --actions       VOC-2012 action classification instead: reads\n"
            "                  ImageSets/Action/<set>.txt and the persons (objects with\n"
            "                  <actions>) of each image's annotation, and writes vggfeat\n"
            "                  extract's box list, one line per person:\n"
            "  VOCDIR/JPEGImages/<id>.jpg<TAB>action[,action...]<TAB>box=x1,y1,x2,y2\n"
            "                  (the box 0-based, x2 and y2 exclusive: the devkit's xmin-1,\n"
            "                  ymin-1, xmax, ymax; the label empty for 'other', a person\n"
            "                  doing none of the ten actions; 'action?' where the devkit's\n"
            "                  <action>_<set>.txt says 0: left out of that action);\n"
            "                  --classes writes the ten.\n");
}

static int run_actions(const char *dir, const char *set, const char *out, const char *classes)
{
    vgg_voc_persons *ps = NULL;
    vgg_status st = vgg_voc_load_actions(dir, set, &ps);
    if (st == VGG_STATUS_OK)
        st = vgg_voc_write_actions(ps, out);
    if (st == VGG_STATUS_OK && classes)
        st = vgg_ds_write_classes(classes, (char *const *)vgg_voc_actions, VGG_VOC_N_ACTIONS);
    vgg_voc_cleanup();
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggdata voc: %s\n", vgg_last_error());
        vgg_voc_persons_free(ps);
        return 1;
    }
    size_t other = 0;
    for (size_t i = 0; i < ps->n; i++) {
        bool any = false;
        for (int a = 0; a < VGG_VOC_N_ACTIONS; a++)
            any = any || ps->v[i].actions[a];
        other += !any;
    }
    printf("vggdata voc: actions %s: %zu persons (%zu doing none of the %d actions) -> %s\n",
           set, ps->n, other, VGG_VOC_N_ACTIONS, out);
    vgg_voc_persons_free(ps);
    return 0;
}

int cmd_voc(int argc, char **argv)
{
    static const struct option opts[] = {
        { "set", required_argument, NULL, 's' }, { "output", required_argument, NULL, 'o' },
        { "classes", required_argument, NULL, 'c' }, { "help", no_argument, NULL, 'h' },
        { "actions", no_argument, NULL, 'a' },
        { NULL, 0, NULL, 0 },
    };
    const char *set = "trainval", *out = NULL, *classes = NULL;
    bool actions = false;
    int c;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 's': set = optarg; break;
        case 'o': out = optarg; break;
        case 'c': classes = optarg; break;
        case 'a': actions = true; break;
        case 'h': usage(stdout); return 0;
        default:
            return vgg_cli_option_error("vggdata", "voc", argc, argv, "o:h", opts, usage);
        }
    }
    if (optind != argc - 1 || !out) {
        fprintf(stderr, "vggdata voc: %s\n", !out ? "-o FILE is required" : "expected one VOCDIR");
        usage(stderr);
        return 2;
    }
    if (actions)
        return run_actions(argv[optind], set, out, classes);
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
