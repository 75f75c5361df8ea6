/* vggsvm eval's library side: a score file's images matched by name with
 * their ground truth (a labels file or a store's labels), then the metrics
 * (vgg_svm_evaluate_scores in vgg/svm.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/features.h"
#include "vgg/svm.h"

typedef struct truth_source {
    const char *path;            /* the labels file or the store */
    vgg_svm_labelfile *lf;       /* or */
    vgg_featstore *fs;
    size_t n;
} truth_source;

static vgg_status open_truth(const char *labels, const char *features, truth_source *t)
{
    memset(t, 0, sizeof *t);
    t->path = labels ? labels : features;
    vgg_status st;
    if (labels) {
        st = vgg_svm_labelfile_read(labels, &t->lf);
        if (st == VGG_STATUS_OK)
            t->n = t->lf->n;
    } else {
        st = vgg_featstore_open(features, &t->fs);
        if (st == VGG_STATUS_OK)
            t->n = vgg_featstore_rows(t->fs);
    }
    return st;
}

/* gt[i]: the label text of scored image i, or NULL.  Every name of a
 * labels file and every labelled row of a store must have scores
 * (NOT_FOUND counting them and naming the first five missing); a store's
 * rows without a label are passed over. */
static vgg_status match_truth(const vgg_svm_scores *s, const char *scores_path,
                              const truth_source *t, const char **gt)
{
    vgg_featindex *ix = NULL;
    vgg_status st = vgg_featindex_build((const char *const *)s->names, s->n, &ix);
    if (st != VGG_STATUS_OK)
        return st;
    size_t missing = 0, used = 0, with_truth = 0;
    char list[400] = "";
    for (size_t j = 0; j < t->n; j++) {
        const char *name = t->lf ? t->lf->names[j] : vgg_featstore_name(t->fs, j);
        const char *text = t->lf ? t->lf->texts[j] : vgg_featstore_label(t->fs, j);
        if (!t->lf && (!text || !*text))
            continue;
        with_truth++;
        size_t hit = vgg_featindex_find(ix, name);
        if (hit != VGG_FEAT_NO_ROW) {
            gt[hit] = text;
        } else {
            if (missing < 5 && used < sizeof list - 80)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s'%.60s'",
                                         missing ? ", " : "", name);
            missing++;
        }
    }
    vgg_featindex_free(ix);
    if (missing)
        return vgg_fail(VGG_STATUS_NOT_FOUND, "%zu of the %zu %s '%s' have no scores in '%s': %s%s",
                        missing, with_truth, t->lf ? "names in" : "labelled rows of the store",
                        t->path, scores_path, list, missing > 5 ? ", ..." : "");
    return VGG_STATUS_OK;
}

/* The m scored images with ground truth (sel), their texts and scores
 * gathered, labelled and evaluated into r. */
static vgg_status evaluate_selected(const vgg_svm_scores *s, const char **gt, const size_t *sel,
                                    size_t m, vgg_svm_label_mode mode, const char *truth_path,
                                    vgg_svm_scored *r)
{
    int K = s->n_classes;
    const char **texts = malloc(m * sizeof *texts);
    double *sc = malloc(m * (size_t)K * sizeof *sc);
    vgg_status st = VGG_STATUS_OK;
    if (!texts || !sc)
        st = vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    for (size_t i = 0; i < m && st == VGG_STATUS_OK; i++) {
        texts[i] = gt[sel[i]];
        memcpy(sc + i * (size_t)K, s->scores + sel[i] * (size_t)K, (size_t)K * sizeof *sc);
    }
    char what[1100];
    snprintf(what, sizeof what, "'%s'", truth_path);
    if (st == VGG_STATUS_OK)
        st = vgg_svm_labels_build(texts, m, mode, (const char *const *)s->class_names, K, what,
                                  &r->labels);
    if (st == VGG_STATUS_OK)
        st = vgg_svm_evaluate(sc, m, K, r->labels->multilabel ? NULL : r->labels->cls,
                              r->labels->truth, &r->eval);
    free(texts);
    free(sc);
    return st;
}

static vgg_status evaluate_matched(const vgg_svm_scores *s, const char *scores_path,
                                   const truth_source *t, vgg_svm_label_mode mode,
                                   vgg_svm_scored *r)
{
    const char **gt = calloc(s->n ? s->n : 1, sizeof *gt);
    size_t *sel = malloc((s->n ? s->n : 1) * sizeof *sel);
    vgg_status st = gt && sel ? match_truth(s, scores_path, t, gt)
                              : vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    size_t m = 0;
    for (size_t i = 0; st == VGG_STATUS_OK && i < s->n; i++)
        if (gt[i])
            sel[m++] = i;
    if (st == VGG_STATUS_OK && m == 0)
        st = vgg_fail(VGG_STATUS_NOT_FOUND, "no scored image of '%s' has ground truth", scores_path);
    if (st == VGG_STATUS_OK) {
        r->n_evaluated = m;
        r->n_without_truth = s->n - m;
        st = evaluate_selected(s, gt, sel, m, mode, t->path, r);
    }
    free(gt);
    free(sel);
    return st;
}

vgg_status vgg_svm_evaluate_scores(const vgg_svm_scores *s, const char *scores_path,
                                   const char *labels, const char *features,
                                   vgg_svm_label_mode mode, vgg_svm_scored **out)
{
    *out = NULL;
    if (!labels == !features)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': give one source of ground truth, a labels "
                        "file or a feature store", scores_path);
    vgg_svm_scored *r = calloc(1, sizeof *r);
    if (!r)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    truth_source t;
    vgg_status st = open_truth(labels, features, &t);
    if (st == VGG_STATUS_OK)
        st = evaluate_matched(s, scores_path, &t, mode, r);
    vgg_svm_labelfile_free(t.lf);
    vgg_featstore_close(t.fs);
    if (st != VGG_STATUS_OK) {
        vgg_svm_scored_free(r);
        return st;
    }
    *out = r;
    return VGG_STATUS_OK;
}

void vgg_svm_scored_free(vgg_svm_scored *r)
{
    if (!r)
        return;
    vgg_svm_eval_free(r->eval);
    vgg_svm_labels_free(r->labels);
    free(r);
}
