/* vggsvm predict: per-image, per-class scores of a feature store. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/features.h"
#include "vgg/svm.h"

static void predict_usage(FILE *fp)
{
    fprintf(fp,
"usage: vggsvm predict --model MODEL --features STORE [-o SCORES] [--json]\n"
"  --model MODEL      from vggsvm train (MODEL and MODEL.json)\n"
"  --features STORE   features of the same kind as the model's (checked)\n"
"  -o, --output FILE  scores: TSV 'name<TAB>score...' with a header of class\n"
"                     names (default '-': standard output)\n"
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
    int c;
    while ((c = getopt_long(argc, argv, "m:f:o:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'f': features = optarg; break;
        case 'o': output = optarg; break;
        case 'j': json = true; break;
        case 'U': allow_undescribed = true; break;
        case 'h': predict_usage(stdout); return 0;
        default: predict_usage(stderr); return 2;
        }
    }
    if (optind < argc || !model || !features) {
        fprintf(stderr, "vggsvm predict: --model and --features are required\n");
        predict_usage(stderr);
        return 2;
    }
    vgg_svm_model *m = NULL;
    vgg_featstore *fs = NULL;
    vgg_svm_scores s;
    memset(&s, 0, sizeof s);
    int rc = 1;
    const char *ins[2] = { model, features };
    vgg_status st = check_output(output, ins, 2);
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
    if (st != VGG_STATUS_OK)
        goto done;
    int K = vgg_svm_model_classes(m);
    s.n = vgg_featstore_rows(fs);
    s.n_classes = K;
    s.multilabel = vgg_svm_model_multilabel(m);
    s.class_names = malloc((size_t)K * sizeof *s.class_names);
    s.names = malloc((s.n ? s.n : 1) * sizeof *s.names);
    s.scores = malloc((s.n ? s.n : 1) * (size_t)K * sizeof *s.scores);
    if (!s.class_names || !s.names || !s.scores) {
        st = vgg_fail(VGG_STATUS_NOMEM, "out of memory for %zu x %d scores", s.n, K);
        goto done;
    }
    for (int k = 0; k < K; k++)
        s.class_names[k] = (char *)vgg_svm_model_class_name(m, k);
    for (size_t i = 0; i < s.n; i++) {
        s.names[i] = (char *)vgg_featstore_name(fs, i);
        st = vgg_svm_model_score(m, vgg_featstore_row(fs, i), vgg_featstore_dim(fs),
                                 s.scores + i * (size_t)K);
        if (st != VGG_STATUS_OK) {
            vgg_fail_context(st, "'%s': row %zu ('%s'): ", features, i, s.names[i]);
            goto done;
        }
    }
    st = vgg_svm_scores_write(&s, output, json);
done:
    if (st != VGG_STATUS_OK)
        rc = report_failure("predict");
    else
        rc = 0;
    free(s.class_names);
    free(s.names);
    free(s.scores);
    vgg_featstore_close(fs);
    vgg_svm_model_free(m);
    return rc;
}
