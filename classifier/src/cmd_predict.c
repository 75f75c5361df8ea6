/* vggsvm predict: per-image, per-class scores of a feature store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/features.h"
#include "vgg/svm.h"

static void predict_usage(FILE *fp)
{
    fprintf(fp,
"usage: vggsvm predict --model MODEL --features STORE [-o SCORES] [--json]\n"
"  --model MODEL      from vggsvm train (MODEL and MODEL.json)\n"
"  --features STORE   features of the same kind as the model's (checked)\n"
"  -o, --output FILE  scores: TSV 'name<TAB>score...' with a header of class\n"
"                     names (default '-': standard output; /dev/stdout, a device\n"
"                     or a FIFO is written in place, a regular file atomically)\n"
"      --json         JSON instead: classes, and per image its scores and the\n"
"                     predicted class (multi-label: the classes scoring > 0)\n"
"      --allow-undescribed  score with a model that has no description of its\n"
"                     features (only their number is then checked)\n"
"Names and class names are escaped as docs/escaping.md says (TAB as \\t, ...).\n");
}

int cmd_predict(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "model", required_argument, 0, 'm' }, { "features", required_argument, 0, 'f' },
        { "output", required_argument, 0, 'o' }, { "json", no_argument, 0, 'j' },
        { "allow-undescribed", no_argument, 0, 'U' },
        { "help", no_argument, 0, 'h' },         { 0, 0, 0, 0 },
    };
    const char *model = NULL, *features = NULL, *output = "-";
    bool json = false, allow_undescribed = false;
    optind = 1;
    opterr = 0;   /* the messages are ours */
    int c;
    while ((c = getopt_long(argc, argv, "m:f:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'f': features = optarg; break;
        case 'o': output = optarg; break;
        case 'j': json = true; break;
        case 'U': allow_undescribed = true; break;
        case 'h': predict_usage(stdout); return 0;
        default:
            return vgg_cli_option_error("vggsvm", "predict", argc, argv, "m:f:o:h", longopts, predict_usage);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vggsvm predict: unexpected argument '%s'\n", argv[optind]);
        predict_usage(stderr);
        return 2;
    }
    if (!model || !features) {
        fprintf(stderr, "vggsvm predict: --model and --features are required\n");
        predict_usage(stderr);
        return 2;
    }
    vgg_svm_model *m = NULL;
    vgg_featstore *fs = NULL;
    vgg_svm_scores *s = NULL;
    const char *ins[2] = { model, features };
    vgg_status st = vgg_output_check_kind(output, VGG_OUTPUT_STREAM);
    if (st == VGG_STATUS_OK)
        st = check_output(output, ins, 2);
    if (st == VGG_STATUS_OK)
        st = vgg_svm_model_load(model, &m);
    if (st == VGG_STATUS_OK) {
        note_store_tail("predict", features);
        st = vgg_featstore_open(features, &fs);
    }
    if (st == VGG_STATUS_OK) {
        vgg_svm_model_allow_undescribed(m, allow_undescribed);
        st = vgg_svm_model_check(m, vgg_featstore_desc(fs));
        if (st != VGG_STATUS_OK)
            vgg_fail_context(st, "'%s' cannot be scored with model '%s': ", features, model);
    }
    if (st == VGG_STATUS_OK)
        st = vgg_svm_score_store(m, fs, features, &s);
    if (st == VGG_STATUS_OK)
        st = vgg_svm_scores_write(s, output, json);
    vgg_svm_scores_free(s);
    vgg_featstore_close(fs);
    vgg_svm_model_free(m);
    return st == VGG_STATUS_OK ? 0 : report_failure("predict");
}
