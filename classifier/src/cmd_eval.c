/* vggsvm eval: metrics from a score file and ground truth. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "commands.h"
#include "vgg/features.h"
#include "vgg/svm.h"
#include "svm_internal.h"

static void eval_usage(FILE *fp)
{
    fprintf(fp,
"usage: vggsvm eval --scores SCORES (--labels FILE | --features STORE) [options]\n"
"  --scores FILE        from vggsvm predict (TSV or JSON)\n"
"  --labels FILE        ground truth, 'name<TAB>label[,label...]' ('?': difficult,\n"
"                       ignored for that class); every name must have scores\n"
"  --features STORE     ground truth from the store's labels instead\n"
"                       Scored images without ground truth are not evaluated.\n"
"  --multilabel, --single-label   as for train (default: automatic)\n"
"  --confusion-csv FILE confusion matrix (rows: true class, columns: predicted)\n"
"  --confusion-svg FILE the same as a picture\n"
"  --json               print the results as JSON\n");
}

static json_object *jnum(double v)
{
    return isnan(v) ? NULL : json_object_new_double(v);
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
        default: eval_usage(stderr); return 2;
        }
    }
    if (optind < argc || !scores_path || (!labels == !features)) {
        fprintf(stderr, "vggsvm eval: --scores and one of --labels or --features are required\n");
        eval_usage(stderr);
        return 2;
    }
    vgg_svm_scores *s = NULL;
    vgg_svm_labelfile *lf = NULL;
    vgg_featstore *fs = NULL;
    vgg_svm_labels *l = NULL;
    vgg_svm_eval *e = NULL;
    vgg_featindex *ix = NULL;
    const char **gt = NULL;
    size_t *sel = NULL;
    double *sc = NULL;
    int rc = 1;
    vgg_status st = vgg_svm_scores_read(scores_path, &s);
    if (st != VGG_STATUS_OK)
        goto done;
    /* ground truth names and texts */
    size_t ng = 0;
    const char **gnames = NULL;
    if (labels) {
        st = vgg_svm_labelfile_read(labels, &lf);
        if (st != VGG_STATUS_OK)
            goto done;
        ng = lf->n;
        gnames = (const char **)lf->names;
    } else {
        note_store_tail("eval", features);
        st = vgg_featstore_open(features, &fs);
        if (st != VGG_STATUS_OK)
            goto done;
        ng = vgg_featstore_rows(fs);
    }
    st = vgg_featindex_build((const char *const *)s->names, s->n, &ix);
    if (st != VGG_STATUS_OK)
        goto done;
    gt = calloc(s->n ? s->n : 1, sizeof *gt);
    sel = malloc((s->n ? s->n : 1) * sizeof *sel);
    if (!gt || !sel) {
        st = vgg_fail(VGG_STATUS_NOMEM, "out of memory");
        goto done;
    }
    size_t missing = 0;
    char list[400] = "";
    size_t used = 0;
    for (size_t j = 0; j < ng; j++) {
        const char *name = gnames ? gnames[j] : vgg_featstore_name(fs, j);
        const char *text = lf ? lf->texts[j] : vgg_featstore_label(fs, j);
        if (!lf && (!text || !*text))
            continue;
        size_t hit = vgg_featindex_find(ix, name);
        if (hit != VGG_FEAT_NO_ROW) {
            gt[hit] = text;
        } else if (lf) {
            if (missing < 5 && used < sizeof list - 80)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s'%.60s'",
                                         missing ? ", " : "", name);
            missing++;
        }
    }
    if (missing) {
        st = vgg_fail(VGG_STATUS_NOT_FOUND, "%zu of the %zu names in '%s' have no scores in '%s': %s%s",
                      missing, ng, labels, scores_path, list, missing > 5 ? ", ..." : "");
        goto done;
    }
    size_t m = 0;
    for (size_t i = 0; i < s->n; i++)
        if (gt[i])
            sel[m++] = i;
    if (m == 0) {
        st = vgg_fail(VGG_STATUS_NOT_FOUND, "no scored image of '%s' has ground truth", scores_path);
        goto done;
    }
    const char **texts = malloc(m * sizeof *texts);
    sc = malloc(m * (size_t)s->n_classes * sizeof *sc);
    if (!texts || !sc) {
        free(texts);
        st = vgg_fail(VGG_STATUS_NOMEM, "out of memory");
        goto done;
    }
    int K = s->n_classes;
    for (size_t i = 0; i < m; i++) {
        texts[i] = gt[sel[i]];
        memcpy(sc + i * (size_t)K, s->scores + sel[i] * (size_t)K, (size_t)K * sizeof *sc);
    }
    char what[1100];
    snprintf(what, sizeof what, "'%s'", labels ? labels : features);
    st = vgg_svm_labels_build(texts, m, mode, (const char *const *)s->class_names, K, what, &l);
    free(texts);
    if (st != VGG_STATUS_OK)
        goto done;
    st = vgg_svm_evaluate(sc, m, K, l->multilabel ? NULL : l->cls, l->truth, &e);
    if (st != VGG_STATUS_OK)
        goto done;
    if (csv && (st = vgg_svm_confusion_csv(e, s->class_names, csv)) != VGG_STATUS_OK)
        goto done;
    if (svg && (st = vgg_svm_confusion_svg(e, s->class_names, svg)) != VGG_STATUS_OK)
        goto done;
    if (json) {
        json_object *r = json_object_new_object();
        json_object_object_add(r, "images", json_object_new_int64((int64_t)m));
        json_object_object_add(r, "scored_without_truth", json_object_new_int64((int64_t)(s->n - m)));
        json_object_object_add(r, "multilabel", json_object_new_boolean(l->multilabel));
        json_object_object_add(r, "accuracy", jnum(e->accuracy));
        json_object_object_add(r, "top1", jnum(e->accuracy));
        json_object_object_add(r, "top5", jnum(e->top5));
        json_object_object_add(r, "mean_class_recall", jnum(e->mean_recall));
        json_object_object_add(r, "map_voc07", jnum(e->map07));
        json_object_object_add(r, "map_area", jnum(e->map_area));
        json_object_object_add(r, "map_plain", jnum(e->map_plain));
        json_object_object_add(r, "ap_classes", json_object_new_int(e->n_ap_classes));
        json_object *cl = json_object_new_array();
        for (int k = 0; k < K; k++) {
            json_object *o = json_object_new_object();
            json_object_object_add(o, "name", svm_json_escaped(s->class_names[k]));
            json_object_object_add(o, "positives", json_object_new_int64((int64_t)e->n_pos[k]));
            json_object_object_add(o, "recall", jnum(e->recall[k]));
            json_object_object_add(o, "ap_voc07", jnum(e->ap07[k]));
            json_object_object_add(o, "ap_area", jnum(e->ap_area[k]));
            json_object_object_add(o, "ap_plain", jnum(e->ap_plain[k]));
            json_object_array_add(cl, o);
        }
        json_object_object_add(r, "classes", cl);
        printf("%s\n", json_object_to_json_string_ext(r, JSON_C_TO_STRING_PRETTY |
                                                             JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(r);
    } else {
        printf("%-24s %9s %8s %8s %8s\n", "class", "positives", "recall", "AP07", "AP");
        for (int k = 0; k < K; k++) {
            printf("%-24s %9zu ", s->class_names[k], e->n_pos[k]);
            if (isnan(e->recall[k]))
                printf("%8s ", "-");
            else
                printf("%8.4f ", e->recall[k]);
            if (isnan(e->ap07[k]))
                printf("%8s %8s\n", "-", "-");
            else
                printf("%8.4f %8.4f\n", e->ap07[k], e->ap_area[k]);
        }
        printf("\nimages evaluated          %zu (%zu scored images without ground truth)\n", m,
               s->n - m);
        if (!l->multilabel) {
            printf("accuracy (top-1)          %.4f\n", e->accuracy);
            printf("top-5 accuracy            %.4f\n", e->top5);
            printf("mean class recall         %.4f\n", e->mean_recall);
        }
        printf("mAP, VOC-2007 11-point    %.4f\n", e->map07);
        printf("mAP, VOC-2010+ area       %.4f\n", e->map_area);
        printf("  (over %d classes with positives; AP07 = 11-point, AP = area)\n", e->n_ap_classes);
    }
    rc = 0;
done:
    if (st != VGG_STATUS_OK)
        rc = report_failure("eval");
    vgg_svm_eval_free(e);
    vgg_svm_labels_free(l);
    vgg_svm_scores_free(s);
    vgg_svm_labelfile_free(lf);
    vgg_featstore_close(fs);
    vgg_featindex_free(ix);
    free(gt);
    free(sel);
    free(sc);
    return rc;
}
