/* vggtrain train: the command line of a training run (the options are
 * set by pretrain/src/options.c, the run is vgg_pretrain_run in
 * pretrain/src/run.c), its messages on stderr and its exit code. */
#include <getopt.h>
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
"  --init normal|glorot|he|torchvision  (normal, std --init-std 0.01;\n"
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
"  --device cpu|cpu-ref|cuda[:N]   (under mpirun, cuda: the GPU of the rank's node-local\n"
"                         index)\n"
"  --devices cuda:0,1,..  data-parallel over these GPUs of this node, one thread each,\n"
"                         NCCL (several nodes: mpirun or srun, one rank per GPU)\n"
"  --slices N             compute each batch as N slices, each slice's gradient alone,\n"
"                         summed slice 0 first (what N ranks under mpirun do; also\n"
"                         gradient accumulation)\n"
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

static void on_say(void *ctx, vgg_pretrain_say kind, const char *text)
{
    (void)ctx;
    if (kind == VGG_PRETRAIN_SAY_NOTE)
        fprintf(stderr, "vggtrain train: %s\n", text);
    else
        fprintf(stderr, "%s\n", text);
}

/* an error of one rank of several ends the job: the others may wait for it */
static int run(vgg_pretrain_config *a)
{
    a->say = on_say;
    vgg_status st = vgg_signals_install();
    if (st == VGG_STATUS_OK)
        st = vgg_pretrain_run(a);
    vgg_signals_restore();
    if (st == VGG_STATUS_OK)
        return 0;
    int code = st == VGG_STATUS_INTERRUPTED ? vgg_signal_exit_code(vgg_signal_received()) : 1;
    if (vgg_pretrain_dist_size(a->dist) > 1) {
        fprintf(stderr, "vggtrain train: rank %d of %d: %s\n", vgg_pretrain_dist_rank(a->dist),
                vgg_pretrain_dist_size(a->dist), vgg_last_error());
        if (st != VGG_STATUS_INTERRUPTED)
            vgg_pretrain_dist_abort(a->dist, code);
    } else {
        fprintf(stderr, "vggtrain train: %s\n", vgg_last_error());
    }
    return code;
}

/* the long options of getopt_long, from the library's table */
static struct option *long_options(void)
{
    int n = 0;
    while (vgg_pretrain_options[n].name)
        n++;
    struct option *o = calloc((size_t)n + 2, sizeof *o);
    for (int i = 0; o && i < n; i++)
        o[i] = (struct option){ vgg_pretrain_options[i].name,
                                vgg_pretrain_options[i].takes_value, NULL, 256 + i };
    if (o)
        o[n] = (struct option){ "help", 0, NULL, 'h' };
    return o;
}

static int parse(int argc, char **argv, vgg_pretrain_config *a)
{
    struct option *opts = long_options();
    if (!opts) {
        fprintf(stderr, "vggtrain train: out of memory\n");
        return 1;
    }
    int c, rc = -1;
    optind = 1;
    while (rc < 0 && (c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        const char *name = c == 'o' ? "output" : c >= 256 ? opts[c - 256].name : NULL;
        if (name && vgg_pretrain_config_set(a, name, optarg) != VGG_STATUS_OK) {
            fprintf(stderr, "vggtrain train: %s\n", vgg_last_error());
            rc = 2;
        } else if (c == 'h') {
            usage(stdout);
            rc = 0;
        } else if (!name) {
            usage(stderr);
            rc = 2;
        }
    }
    free(opts);
    if (rc < 0 && optind != argc) {
        fprintf(stderr, "vggtrain train: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        rc = 2;
    }
    return rc;
}

int cmd_train(int argc, char **argv)
{
    vgg_pretrain_config a;
    vgg_pretrain_config_default(&a);
    int rc = parse(argc, argv, &a);
    if (rc >= 0)
        return rc;
    vgg_status st = vgg_pretrain_dist_open(&a.dist);
    if (st == VGG_STATUS_OK && (st = vgg_pretrain_config_check(&a)) != VGG_STATUS_OK) {
        fprintf(stderr, "vggtrain train: %s\n", vgg_last_error());
        if (!a.output || (!a.data == !a.list))
            usage(stderr);
        vgg_pretrain_dist_close(a.dist);
        return 2;
    }
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggtrain train: %s\n", vgg_last_error());
        return 1;
    }
    rc = run(&a);
    vgg_pretrain_dist_close(a.dist);
    return rc;
}
