/* vggtrain init: write a freshly initialised net (no training).  With the
 * same configuration, scheme and --seed it holds exactly the weights that
 * `vggtrain train` starts from, so it serves as the random-weight control
 * of a transfer experiment, or as a starting point made once. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
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
            "An existing WEIGHTS file is replaced atomically; WEIGHTS is a regular file\n"
            "(a device, FIFO or '-' is refused).\n");
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

enum { O_CONFIG = 256, O_WIDTH, O_FC, O_INPUT, O_NCLASSES, O_CLASSES, O_INIT, O_STD, O_SEED, O_BN };

typedef struct init_args {
    vgg_config_id config;
    double width, fc, input, nclasses, std, seed;
    const char *classes, *init, *out;
    bool bn;
} init_args;

/* One option into a; 0, 2 after printing why its value is refused, or -1
 * for what is not an option of init. */
static int init_option(int c, init_args *a)
{
    switch (c) {
    case O_CONFIG:
        if (vgg_config_parse(optarg, &a->config) != VGG_STATUS_OK) {
            fprintf(stderr, "vggtrain init: %s\n", vgg_last_error());
            return 2;
        }
        return 0;
    case O_WIDTH: return parse_num("width", optarg, 1e-3, 64, &a->width) ? 0 : 2;
    case O_FC: return parse_num("fc-dim", optarg, 1, 1 << 20, &a->fc) ? 0 : 2;
    case O_INPUT: return parse_num("input-size", optarg, 32, 1 << 14, &a->input) ? 0 : 2;
    case O_NCLASSES: return parse_num("num-classes", optarg, 1, 1 << 24, &a->nclasses) ? 0 : 2;
    case O_CLASSES: a->classes = optarg; return 0;
    case O_INIT: a->init = optarg; return 0;
    case O_STD: return parse_num("init-std", optarg, 0, 1e3, &a->std) ? 0 : 2;
    case O_SEED: return parse_num("seed", optarg, 0, 9e15, &a->seed) ? 0 : 2;
    case O_BN: a->bn = true; return 0;
    case 'o': a->out = optarg; return 0;
    default: return -1;   /* not an option of init: the caller says why */
    }
}

/* The command line into a: -1 to go on, else the exit code (0 after
 * --help, 2 after a usage error). */
static int parse_init_args(int argc, char **argv, init_args *a)
{
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
    int c, rc;
    optind = 1;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if ((rc = init_option(c, a)) > 0)
            return rc;
        if (rc < 0)
            return vgg_cli_option_error("vggtrain", "init", argc, argv, "o:h", opts, usage);
    }
    if (!a->out || optind != argc || (!a->classes && a->nclasses == 0) ||
        (a->classes && a->nclasses > 0)) {
        if (optind != argc)
            fprintf(stderr, "vggtrain init: unexpected argument '%s'\n", argv[optind]);
        else if (!a->out)
            fprintf(stderr, "vggtrain init: -o WEIGHTS is required\n");
        else
            fprintf(stderr, "vggtrain init: give --num-classes N or --classes FILE, one of them\n");
        usage(stderr);
        return 2;
    }
    return -1;
}

int cmd_init(int argc, char **argv)
{
    init_args a = { .config = VGG_CONFIG_A, .width = 1, .fc = 4096, .input = 224, .std = 0.01,
                    .seed = 1, .init = "normal" };
    int rc = parse_init_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    vgg_init_scheme scheme;
    if (vgg_init_scheme_parse(a.init, &scheme) != VGG_STATUS_OK) {
        fprintf(stderr, "vggtrain init: %s\n", vgg_last_error());
        return 2;
    }
    int n = (int)a.nclasses;
    if (a.classes && vgg_pretrain_count_classes(a.classes, &n) != VGG_STATUS_OK) {
        fprintf(stderr, "vggtrain init: %s\n", vgg_last_error());
        return 1;
    }
    vgg_arch arch;
    vgg_arch_default(&arch, a.config);
    arch.width = (float)a.width;
    arch.fc_dim = (int)a.fc;
    arch.input_size = (int)a.input;
    arch.num_classes = n;
    arch.batch_norm = a.bn;
    vgg_status st = vgg_output_check_kind(a.out, 0);   /* weights: a regular file */
    if (st == VGG_STATUS_OK)
        st = vgg_output_check(a.out, &a.classes, a.classes ? 1 : 0);
    if (st == VGG_STATUS_OK)
        st = vgg_pretrain_init_save(&arch, scheme, (float)a.std, (uint64_t)a.seed, a.out);
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggtrain init: %s\n", vgg_last_error());
        return st == VGG_STATUS_INVALID ? 2 : 1;
    }
    char name[16];
    fprintf(stderr, "vggtrain init: %s, %d classes, %s init, seed %.0f -> '%s'\n",
            vgg_arch_name(&arch, name, sizeof name), n, a.init, a.seed, a.out);
    return 0;
}
