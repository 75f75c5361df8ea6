/* vggtrain init: write a freshly initialised net (no training).  With the
 * same configuration, scheme and --seed it holds exactly the weights that
 * `vggtrain train` starts from, so it serves as the random-weight control
 * of a transfer experiment, or as a starting point made once. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/pretrain.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggtrain init (--num-classes N | --classes FILE) -o WEIGHTS [options]\n"
            "Write a net with initialised weights (as 'vggtrain train' starts from).\n"
            "  --config C         A, A-LRN, B, C, D, E (default A)\n"
            "  --width W          conv channel multiplier (1)    --fc-dim N (4096)\n"
            "  --input-size S     training crop, a multiple of 32 (224)\n"
            "  --batch-norm       batch normalisation after each conv (torchvision's vgg*_bn)\n"
            "  --num-classes N    fc8 outputs, or --classes FILE (one class name a line)\n"
            "  --init normal|glorot|he|torchvision   (normal, std --init-std 0.01)\n"
            "  --seed N           (1, as vggtrain train)\n"
            "An existing WEIGHTS file is replaced atomically.\n");
}

static int parse_num(const char *opt, const char *text, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(text, &end);
    if (end == text || *end || !(v >= lo && v <= hi)) {
        fprintf(stderr, "vggtrain init: bad value '%s' for --%s\n", text, opt);
        return 0;
    }
    *out = v;
    return 1;
}

int cmd_init(int argc, char **argv)
{
    enum { O_CONFIG = 256, O_WIDTH, O_FC, O_INPUT, O_NCLASSES, O_CLASSES, O_INIT, O_STD, O_SEED, O_BN };
    static const struct option opts[] = {
        { "config", required_argument, NULL, O_CONFIG },
        { "width", required_argument, NULL, O_WIDTH },
        { "fc-dim", required_argument, NULL, O_FC },
        { "input-size", required_argument, NULL, O_INPUT },
        { "num-classes", required_argument, NULL, O_NCLASSES },
        { "classes", required_argument, NULL, O_CLASSES },
        { "init", required_argument, NULL, O_INIT },
        { "init-std", required_argument, NULL, O_STD },
        { "seed", required_argument, NULL, O_SEED },
        { "batch-norm", no_argument, NULL, O_BN },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    vgg_arch arch;
    vgg_arch_default(&arch, VGG_CONFIG_A);
    vgg_config_id config = VGG_CONFIG_A;
    double width = 1, fc = 4096, input = 224, nclasses = 0, std = 0.01, seed = 1;
    const char *classes = NULL, *init = "normal", *out = NULL;
    bool bn = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case O_CONFIG:
            if (vgg_config_parse(optarg, &config) != VGG_STATUS_OK) {
                fprintf(stderr, "vggtrain init: %s\n", vgg_last_error());
                return 2;
            }
            break;
        case O_WIDTH: if (!parse_num("width", optarg, 1e-3, 64, &width)) return 2; break;
        case O_FC: if (!parse_num("fc-dim", optarg, 1, 1 << 20, &fc)) return 2; break;
        case O_INPUT: if (!parse_num("input-size", optarg, 32, 1 << 14, &input)) return 2; break;
        case O_NCLASSES: if (!parse_num("num-classes", optarg, 1, 1 << 24, &nclasses)) return 2; break;
        case O_CLASSES: classes = optarg; break;
        case O_INIT: init = optarg; break;
        case O_STD: if (!parse_num("init-std", optarg, 0, 1e3, &std)) return 2; break;
        case O_SEED: if (!parse_num("seed", optarg, 0, 9e15, &seed)) return 2; break;
        case O_BN: bn = true; break;
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!out || optind != argc || (!classes && nclasses == 0) || (classes && nclasses > 0)) {
        usage(stderr);
        return 2;
    }
    vgg_init_scheme scheme;
    if (vgg_init_scheme_parse(init, &scheme) != VGG_STATUS_OK) {
        fprintf(stderr, "vggtrain init: %s\n", vgg_last_error());
        return 2;
    }
    int n = (int)nclasses;
    if (classes && vgg_pretrain_count_classes(classes, &n) != VGG_STATUS_OK) {
        fprintf(stderr, "vggtrain init: %s\n", vgg_last_error());
        return 1;
    }
    vgg_arch_default(&arch, config);
    arch.width = (float)width;
    arch.fc_dim = (int)fc;
    arch.input_size = (int)input;
    arch.num_classes = n;
    arch.batch_norm = bn;
    vgg_status st = vgg_output_check(out, &classes, classes ? 1 : 0);
    if (st == VGG_STATUS_OK)
        st = vgg_pretrain_init_save(&arch, scheme, (float)std, (uint64_t)seed, out);
    int rc = 0;
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggtrain init: %s\n", vgg_last_error());
        rc = st == VGG_STATUS_INVALID ? 2 : 1;
    } else {
        char name[16];
        fprintf(stderr, "vggtrain init: %s, %d classes, %s init, seed %.0f -> '%s'\n",
                vgg_arch_name(&arch, name, sizeof name), n, init, seed, out);
    }
    return rc;
}
