/* vggtrain train: the options of a training run (vgg_pretrain_run in
 * pretrain/src/run.c), and its messages on stderr. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/pretrain.h"

static void usage(FILE *fp)
{
    fprintf(fp,
"usage: vggtrain train (--data DIR | --list FILE --classes FILE) -o WEIGHTS [options]\n"
"data\n"
"  --data DIR             a folder per class (ILSVRC layout)\n"
"  --list FILE            path<TAB>class lines, with --classes FILE (one name per line)\n"
"  --val-data DIR | --val-list FILE [--val-classes FILE]   validation set\n"
"  --val-every N          validate every N iterations (default: once per epoch)\n"
"  --val-limit N          validate on the first N images only\n"
"                         (validation: top-1/top-5 of the centre crop at Q = the middle\n"
"                         training scale; it drives --patience)\n"
"net\n"
"  --config C             A, A-LRN, B, C, D, E (default A)\n"
"  --width W              conv channel multiplier (1)     --fc-dim N (4096)\n"
"  --input-size S         training crop, multiple of 32 (224); classes from the data\n"
"  --batch-norm           batch normalisation after each conv (torchvision's vgg*_bn);\n"
"                         batch statistics are those of each --micro-batch pass\n"
"  --init normal|glorot|he|torchvision|pytorch  (normal, std --init-std 0.01;\n"
"                         torchvision: conv N(0, 2/fan_out), fc N(0, --init-std))\n"
"  --init-from A.safetensors  copy conv1_1, conv2_1, conv3_1, conv3_2, fc6-8 of a trained A\n"
"  --weights NET.safetensors  start from every weight of a trained net (fine-tuning, e.g.\n"
"                         S=384 from the S=256 net); its architecture and preprocessing\n"
"                         are kept, and --config/--width/--fc-dim/--input-size, if given,\n"
"                         must agree with it\n"
"optimiser (the paper's defaults)\n"
"  --batch N (256)  --accum K: K passes of batch/K images  --micro-batch M\n"
"  --lr 0.01  --momentum 0.9  --weight-decay 5e-4 (weights only, not biases)  --dropout 0.5\n"
"  --lr-steps IT,IT,...   divide lr by 10 at these iterations\n"
"  --warmup N             raise lr linearly over the first N iterations (0)\n"
"  --lr-cosine            after the warm-up, lr follows a half cosine down to 0 at the end\n"
"  --patience P           divide lr by 10 after P validations without improvement\n"
"                         (1: the paper's plateau rule with a validation set; 0: off)\n"
"  --min-delta D          an improvement of validation accuracy is more than D (0)\n"
"  --max-drops K          stop at the next plateau after K plateau drops (3; 0: never)\n"
"  --epochs E (74) | --iterations N\n"
"augmentation\n"
"  --scale S              training scale (smallest side; default input size + 32)\n"
"  --scale-jitter MIN,MAX S drawn per image in [MIN, MAX]\n"
"  --no-flip              no random horizontal flips\n"
"  --color-shift SIGMA    RGB colour shift (PCA lighting) strength (0.1; 0: off)\n"
"run\n"
"  --seed N (1)  --threads N compute threads (0: all)  --loaders N decoding threads (2)\n"
"  --device cpu|cuda[:N]\n"
"  --precision fp32|tf32  GPU arithmetic (fp32; tf32: tensor cores, gradients within\n"
"                         about 1e-2; the CPU computes fp32 only and refuses tf32)\n"
"  --workspace MB         the most GPU workspace one convolution may use (1024)\n"
"  --deterministic        only reproducible GPU algorithms, so a run repeats bit for bit\n"
"                         (the CPU always does); these three default to $VGG_PRECISION,\n"
"                         $VGG_WORKSPACE_MB, $VGG_DETERMINISTIC where set\n"
"  --checkpoint FILE      (default WEIGHTS.ckpt)  --checkpoint-every N iterations (1000)\n"
"  --resume               continue from the checkpoint (same options)\n"
"  --log FILE             metrics, one JSON object per line\n"
"  --print-every N        progress line every N iterations (10)\n");
}

static int bad_value(const char *opt, const char *v)
{
    fprintf(stderr, "vggtrain train: bad value '%s' for --%s\n", v, opt);
    return 2;
}

static bool parse_ll(const char *s, long long lo, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno || v < lo)
        return false;
    *out = v;
    return true;
}

static bool parse_f(const char *s, float lo, float *out)
{
    char *end;
    float v = strtof(s, &end);
    if (end == s || *end || !isfinite(v) || v < lo)
        return false;
    *out = v;
    return true;
}

static void on_say(void *ctx, vgg_pretrain_say kind, const char *text)
{
    (void)ctx;
    if (kind == VGG_PRETRAIN_SAY_NOTE)
        fprintf(stderr, "vggtrain train: %s\n", text);
    else
        fprintf(stderr, "%s\n", text);
}

static int run(vgg_pretrain_config *a)
{
    a->say = on_say;
    vgg_status st = vgg_signals_install();
    if (st == VGG_STATUS_OK)
        st = vgg_pretrain_run(a);
    vgg_signals_restore();
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggtrain train: %s\n", vgg_last_error());
        return st == VGG_STATUS_INTERRUPTED ? vgg_signal_exit_code(vgg_signal_received()) : 1;
    }
    return 0;
}

int cmd_train(int argc, char **argv)
{
    enum {
        O_DATA = 256, O_LIST, O_CLASSES, O_VDATA, O_VLIST, O_VCLASSES, O_VEVERY, O_VLIMIT,
        O_CONFIG, O_WIDTH, O_FC, O_INPUT, O_INIT, O_INITSTD, O_INITFROM, O_BATCH, O_ACCUM,
        O_MICRO, O_LR, O_MOM, O_WD, O_DROP, O_STEPS, O_PAT, O_DELTA, O_DROPS, O_EPOCHS, O_ITERS,
        O_SCALE, O_JITTER, O_NOFLIP, O_COLOR, O_SEED, O_THREADS, O_LOADERS, O_DEVICE, O_CKPT,
        O_CKEVERY, O_RESUME, O_LOG, O_PRINT, O_WEIGHTS, O_BN, O_WARMUP, O_COSINE, O_PRECISION,
        O_WORKSPACE, O_DETERMINISTIC,
    };
    static const struct option opts[] = {
        { "data", 1, NULL, O_DATA }, { "list", 1, NULL, O_LIST },
        { "classes", 1, NULL, O_CLASSES }, { "val-data", 1, NULL, O_VDATA },
        { "val-list", 1, NULL, O_VLIST }, { "val-classes", 1, NULL, O_VCLASSES },
        { "val-every", 1, NULL, O_VEVERY }, { "val-limit", 1, NULL, O_VLIMIT },
        { "config", 1, NULL, O_CONFIG }, { "width", 1, NULL, O_WIDTH },
        { "fc-dim", 1, NULL, O_FC }, { "input-size", 1, NULL, O_INPUT },
        { "init", 1, NULL, O_INIT }, { "init-std", 1, NULL, O_INITSTD },
        { "init-from", 1, NULL, O_INITFROM }, { "batch", 1, NULL, O_BATCH },
        { "weights", 1, NULL, O_WEIGHTS }, { "batch-norm", 0, NULL, O_BN },
        { "accum", 1, NULL, O_ACCUM }, { "micro-batch", 1, NULL, O_MICRO },
        { "lr", 1, NULL, O_LR }, { "momentum", 1, NULL, O_MOM },
        { "weight-decay", 1, NULL, O_WD }, { "dropout", 1, NULL, O_DROP },
        { "lr-steps", 1, NULL, O_STEPS }, { "warmup", 1, NULL, O_WARMUP },
        { "lr-cosine", 0, NULL, O_COSINE }, { "patience", 1, NULL, O_PAT },
        { "min-delta", 1, NULL, O_DELTA }, { "max-drops", 1, NULL, O_DROPS },
        { "epochs", 1, NULL, O_EPOCHS }, { "iterations", 1, NULL, O_ITERS },
        { "scale", 1, NULL, O_SCALE }, { "scale-jitter", 1, NULL, O_JITTER },
        { "no-flip", 0, NULL, O_NOFLIP }, { "color-shift", 1, NULL, O_COLOR },
        { "seed", 1, NULL, O_SEED }, { "threads", 1, NULL, O_THREADS },
        { "loaders", 1, NULL, O_LOADERS }, { "device", 1, NULL, O_DEVICE },
        { "checkpoint", 1, NULL, O_CKPT }, { "checkpoint-every", 1, NULL, O_CKEVERY },
        { "resume", 0, NULL, O_RESUME }, { "log", 1, NULL, O_LOG },
        { "print-every", 1, NULL, O_PRINT }, { "output", 1, NULL, 'o' },
        { "precision", 1, NULL, O_PRECISION }, { "workspace", 1, NULL, O_WORKSPACE },
        { "deterministic", 0, NULL, O_DETERMINISTIC },
        { "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    vgg_pretrain_config a;
    vgg_pretrain_config_default(&a);
    int scale = 0;
    long long v;
    float f;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        const char *name = NULL;
        for (int i = 0; opts[i].name; i++)
            if (opts[i].val == c)
                name = opts[i].name;
        switch (c) {
        case O_DATA: a.data = optarg; break;
        case O_LIST: a.list = optarg; break;
        case O_CLASSES: a.classes = optarg; break;
        case O_VDATA: a.val_data = optarg; break;
        case O_VLIST: a.val_list = optarg; break;
        case O_VCLASSES: a.val_classes = optarg; break;
        case O_VEVERY: if (!parse_ll(optarg, 1, &a.val_every)) return bad_value(name, optarg); break;
        case O_VLIMIT: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); a.val_limit = (int)v; break;
        case O_CONFIG:
            if (vgg_config_parse(optarg, &a.arch.config) != VGG_STATUS_OK)
                return bad_value(name, optarg);
            a.arch_given[0] = true;
            break;
        case O_WIDTH: if (!parse_f(optarg, 1e-6f, &a.arch.width)) return bad_value(name, optarg); a.arch_given[1] = true; break;
        case O_FC: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); a.arch.fc_dim = (int)v; a.arch_given[2] = true; break;
        case O_INPUT: if (!parse_ll(optarg, 32, &v)) return bad_value(name, optarg); a.arch.input_size = (int)v; a.arch_given[3] = true; break;
        case O_WEIGHTS: a.weights = optarg; break;
        case O_BN: a.arch.batch_norm = true; break;
        case O_INIT: a.init = optarg; break;
        case O_INITSTD: if (!parse_f(optarg, 1e-12f, &a.init_std)) return bad_value(name, optarg); break;
        case O_INITFROM: a.init_from = optarg; break;
        case O_BATCH: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); a.batch = (int)v; break;
        case O_ACCUM: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); a.accum = (int)v; break;
        case O_MICRO: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); a.micro = (int)v; break;
        case O_LR: if (!parse_f(optarg, 0, &a.lr)) return bad_value(name, optarg); break;
        case O_MOM: if (!parse_f(optarg, 0, &a.momentum)) return bad_value(name, optarg); break;
        case O_WD: if (!parse_f(optarg, 0, &a.wd)) return bad_value(name, optarg); break;
        case O_DROP: if (!parse_f(optarg, 0, &a.dropout)) return bad_value(name, optarg); break;
        case O_STEPS: a.lr_steps = optarg; break;
        case O_WARMUP: if (!parse_ll(optarg, 0, &a.warmup)) return bad_value(name, optarg); break;
        case O_COSINE: a.cosine = true; break;
        case O_PAT: if (!parse_ll(optarg, 0, &v)) return bad_value(name, optarg); a.patience = (int)v; break;
        case O_DELTA: if (!parse_f(optarg, 0, &a.min_delta)) return bad_value(name, optarg); break;
        case O_DROPS: if (!parse_ll(optarg, 0, &v)) return bad_value(name, optarg); a.max_drops = (int)v; break;
        case O_EPOCHS: if (!parse_f(optarg, 1e-9f, &f)) return bad_value(name, optarg); a.epochs = f; break;
        case O_ITERS: if (!parse_ll(optarg, 1, &a.iterations)) return bad_value(name, optarg); break;
        case O_SCALE: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); scale = (int)v; break;
        case O_JITTER:
            if (sscanf(optarg, "%d,%d", &a.smin, &a.smax) != 2 || a.smin < 1 || a.smax < a.smin)
                return bad_value(name, optarg);
            break;
        case O_NOFLIP: a.no_flip = true; break;
        case O_COLOR: if (!parse_f(optarg, 0, &a.color)) return bad_value(name, optarg); break;
        case O_SEED: if (!parse_ll(optarg, 0, &v)) return bad_value(name, optarg); a.seed = (uint64_t)v; break;
        case O_THREADS: if (!parse_ll(optarg, 0, &v)) return bad_value(name, optarg); a.threads = (int)v; break;
        case O_LOADERS: if (!parse_ll(optarg, 1, &v)) return bad_value(name, optarg); a.loaders = (int)v; break;
        case O_DEVICE: a.device = optarg; break;
        case O_PRECISION:
        case O_WORKSPACE: {
            vgg_device_opts check;
            if (vgg_device_opts_set(&check, name, optarg) != VGG_STATUS_OK) {
                fprintf(stderr, "vggtrain train: %s\n", vgg_last_error());
                return 2;
            }
            *(c == O_PRECISION ? &a.precision : &a.workspace) = optarg;
            break;
        }
        case O_DETERMINISTIC: a.deterministic = true; break;
        case O_CKPT: a.checkpoint = optarg; break;
        case O_CKEVERY: if (!parse_ll(optarg, 1, &a.ckpt_every)) return bad_value(name, optarg); break;
        case O_RESUME: a.resume = true; break;
        case O_LOG: a.log = optarg; break;
        case O_PRINT: if (!parse_ll(optarg, 1, &a.print_every)) return bad_value(name, optarg); break;
        case 'o': a.output = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !a.output || (!a.data == !a.list) || (a.list && !a.classes)) {
        fprintf(stderr, "vggtrain train: give -o WEIGHTS and either --data DIR or --list FILE "
                "--classes FILE\n");
        usage(stderr);
        return 2;
    }
    if (a.weights && a.init_from) {
        fprintf(stderr, "vggtrain train: --weights and --init-from exclude each other\n");
        return 2;
    }
    if (a.smin == 0 && (scale || !a.weights))   /* with --weights: the default in vgg_pretrain_run */
        a.smin = a.smax = scale ? scale : a.arch.input_size + 32;
    else if (scale)
        return bad_value("scale", "(both --scale and --scale-jitter)");
    if (!a.weights && a.smin < a.arch.input_size) { /* with --weights: checked in vgg_pretrain_run */
        fprintf(stderr, "vggtrain train: scale %d is smaller than the input size %d\n", a.smin,
                a.arch.input_size);
        return 2;
    }
    return run(&a);
}
