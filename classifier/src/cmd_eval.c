/* vggsvm eval: metrics from a score file and ground truth. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/svm.h"

static void eval_usage(FILE *fp)
{
    fprintf(fp,
"usage: vggsvm eval --scores SCORES (--labels FILE | --features STORE) [options]\n"
"  --scores FILE        from vggsvm predict (TSV or JSON): each image once, every\n"
"                       score a number (NaN is refused; infinities are allowed)\n"
"  --labels FILE        ground truth, 'name<TAB>label[,label...]' ('?': difficult,\n"
"                       ignored for that class); every name must have scores\n"
"  --features STORE     ground truth from the store's labels instead; every\n"
"                       labelled row must have scores (unlabelled rows are passed over)\n"
"                       Scored images without ground truth are not evaluated.\n"
"  --multilabel, --single-label   as for train (default: automatic)\n"
"  --confusion-csv FILE confusion matrix (rows: true class, columns: predicted)\n"
"  --confusion-svg FILE the same as a picture\n"
"                       (FILE: a regular file, replaced atomically, or '-',\n"
"                       /dev/stdout, a device or a FIFO, written in place; on\n"
"                       standard output it comes before the results)\n"
"  --json               print the results as JSON\n");
}

int cmd_eval(int argc, char **argv)
{
    static const struct option longopts[] = {
        { "scores", required_argument, 0, 's' },        { "labels", required_argument, 0, 'l' },
        { "features", required_argument, 0, 'f' },      { "multilabel", no_argument, 0, 'M' },
        { "single-label", no_argument, 0, 'S' },        { "confusion-csv", required_argument, 0, 'c' },
        { "confusion-svg", required_argument, 0, 'g' }, { "json", no_argument, 0, 'j' },
        { "help", no_argument, 0, 'h' },                { 0, 0, 0, 0 },
    };
    const char *scores_path = NULL, *labels = NULL, *features = NULL, *csv = NULL, *svg = NULL;
    vgg_svm_label_mode mode = VGG_SVM_LABELS_AUTO;
    bool json = false;
    optind = 1;
    opterr = 0;   /* the messages are ours */
    int c;
    while ((c = getopt_long(argc, argv, "s:l:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 's': scores_path = optarg; break;
        case 'l': labels = optarg; break;
        case 'f': features = optarg; break;
        case 'M': mode = VGG_SVM_LABELS_MULTI; break;
        case 'S': mode = VGG_SVM_LABELS_SINGLE; break;
        case 'c': csv = optarg; break;
        case 'g': svg = optarg; break;
        case 'j': json = true; break;
        case 'h': eval_usage(stdout); return 0;
        default:
            return vgg_cli_option_error("vggsvm", "eval", argc, argv, "s:l:f:h", longopts, eval_usage);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vggsvm eval: unexpected argument '%s'\n", argv[optind]);
        eval_usage(stderr);
        return 2;
    }
    if (!scores_path || (!labels == !features)) {
        fprintf(stderr, "vggsvm eval: --scores and one of --labels or --features are required\n");
        eval_usage(stderr);
        return 2;
    }
    vgg_svm_scores *s = NULL;
    vgg_svm_scored *r = NULL;
    /* the confusion files: regular files, or streams written in place */
    vgg_status st = VGG_STATUS_OK;
    if (csv)
        st = vgg_output_check_kind(csv, VGG_OUTPUT_STREAM);
    if (st == VGG_STATUS_OK && svg)
        st = vgg_output_check_kind(svg, VGG_OUTPUT_STREAM);
    if (st == VGG_STATUS_OK)
        st = vgg_svm_scores_read(scores_path, &s);
    if (st == VGG_STATUS_OK) {
        if (features)
            note_store_tail("eval", features);
        st = vgg_svm_evaluate_scores(s, scores_path, labels, features, mode, &r);
    }
    if (st == VGG_STATUS_OK && csv)
        st = vgg_svm_confusion_csv(r->eval, s->class_names, csv);
    if (st == VGG_STATUS_OK && svg)
        st = vgg_svm_confusion_svg(r->eval, s->class_names, svg);
    int rc = 0;
    if (st != VGG_STATUS_OK)
        rc = report_failure("eval");
    else if (json)
        eval_print_json(s, r);
    else
        eval_print_text(s, r);
    vgg_svm_scored_free(r);
    vgg_svm_scores_free(s);
    return rc;
}
