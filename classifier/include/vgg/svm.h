/* vggfeat classifier: one-vs-rest linear SVMs (LIBLINEAR) on feature rows,
 * model files, score files and the paper's metrics.
 *
 * Labels.  A row's label text is a comma list of class names; a name that
 * ends in '?' marks the row "difficult" for that class (VOC): it is left
 * out of that class's training and evaluation, and is neither positive nor
 * negative for it.  "cat,dog?" = positive for cat, difficult for dog,
 * negative for every other class.  Class names may not contain ',', tabs
 * or newlines, and may not end in '?'.  A labels file holds one
 * "name<TAB>label[,label...]" line per image; blank lines and lines that
 * start with '#' are ignored.
 *
 * Single-label (Caltech): every row has exactly one class, no '?'.
 * Multi-label (VOC): each class is a binary problem of its own.
 *
 * Class order: classes are sorted by name (strcmp); class k is label k+1
 * in LIBLINEAR's files.
 */
#ifndef VGG_SVM_H
#define VGG_SVM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vgg/core.h"
#include "vgg/features.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- labels ---- */

/* Per-row, per-class truth: +1 positive, -1 negative, 0 difficult
 * (ignored for that class). */
typedef struct vgg_svm_labels {
    size_t n_rows;
    int n_classes;
    char **class_names;   /* n_classes, sorted */
    int8_t *truth;        /* n_rows x n_classes, row-major */
    int *cls;             /* single-label: the class of each row; NULL for multi-label */
    bool multilabel;
} vgg_svm_labels;

typedef enum vgg_svm_label_mode {
    VGG_SVM_LABELS_AUTO = 0,   /* multi-label if any row has several classes or a '?' */
    VGG_SVM_LABELS_SINGLE,
    VGG_SVM_LABELS_MULTI
} vgg_svm_label_mode;

/* Build labels from n label texts (one per row).  classes: NULL to take
 * the classes from the texts (sorted), or n_classes names (any order; kept
 * in that order) that every text must use.  what names the source in
 * messages ("'labels.tsv'").  An empty text is a row negative for every
 * class (multi-label only).  INVALID for a malformed text (an empty name
 * in a list) or a single-label row without exactly one class, NOT_FOUND
 * for a class not in classes; *out NULL on failure.  Free with
 * vgg_svm_labels_free. */
vgg_status vgg_svm_labels_build(const char *const *texts, size_t n, vgg_svm_label_mode mode,
                                const char *const *classes, int n_classes, const char *what,
                                vgg_svm_labels **out);
void vgg_svm_labels_free(vgg_svm_labels *l);

/* Index of class name in l (-1 if absent). */
int vgg_svm_labels_find(const vgg_svm_labels *l, const char *name);

/* A labels file: names[i] and texts[i] for each line, in file order.
 * FORMAT naming the file and line for a line without a tab, an empty
 * name, or a name given twice. */
typedef struct vgg_svm_labelfile {
    size_t n;
    char **names;
    char **texts;
} vgg_svm_labelfile;

vgg_status vgg_svm_labelfile_read(const char *path, vgg_svm_labelfile **out);
void vgg_svm_labelfile_free(vgg_svm_labelfile *f);

/* ---- training ---- */

/* LIBLINEAR solver types usable one-vs-rest (the -s values of liblinear-train). */
enum {
    VGG_SVM_L2R_LR = 0,
    VGG_SVM_L2R_L2LOSS_DUAL = 1,   /* default, as liblinear-train */
    VGG_SVM_L2R_L2LOSS = 2,
    VGG_SVM_L2R_L1LOSS_DUAL = 3,
    VGG_SVM_L1R_L2LOSS = 5,
    VGG_SVM_L1R_LR = 6,
    VGG_SVM_L2R_LR_DUAL = 7
};

typedef struct vgg_svm_options {
    int solver;            /* a VGG_SVM_* value; default 1 */
    double C;              /* > 0: fixed; <= 0: chosen on the training set (default 0) */
    double bias;           /* < 0: no bias term; default 1 (an extra feature of this value) */
    double eps;            /* stopping tolerance; <= 0: LIBLINEAR's default for the solver */
    int cv_folds;          /* 0: hold out a part (holdout); >= 2: K-fold cross-validation */
    double holdout;        /* fraction held out to choose C when cv_folds == 0; default 0.2 */
    const double *grid;    /* candidate C values (borrowed); NULL: 0.01, 0.1, 1, 10, 100 */
    int n_grid;
    const double *class_weight; /* n_classes factors on the positives' C (borrowed); NULL: all 1 */
    uint64_t seed;         /* for the held-out part and the folds; default 1 */
} vgg_svm_options;

void vgg_svm_options_default(vgg_svm_options *o);

/* How C was chosen.  score[g * n_classes + k]: validation score of grid
 * value g for class k (multi-label: AP, VOC-2010+ area) or, in column 0
 * only, of all classes (single-label: mean class recall); NaN where a
 * class had no positive in a validation part. */
typedef struct vgg_svm_report {
    int n_classes;
    int n_grid;           /* 0 when C was fixed */
    double *grid;
    double *score;        /* n_grid x n_classes */
    double *C;            /* the C of each class */
    size_t n_train;       /* rows trained on */
    size_t n_skipped;     /* rows left out (no labels) */
    int cv_folds;         /* the folds cross-validation used (vgg_svm_cv_folds; 0: none) */
} vgg_svm_report;

void vgg_svm_report_free(vgg_svm_report *r);

/* The folds K-fold cross-validation uses when asked for `asked`: at most
 * the images of the smallest class (single-label; multi-label: its
 * positives), so that each fold can hold one of each class (folds are
 * dealt class by class: more would only add rounds without some classes,
 * or empty ones), and at least 2.  *smallest (may be NULL): that class;
 * *count (may be NULL): its images. */
int vgg_svm_cv_folds(const vgg_svm_labels *l, int asked, int *smallest, size_t *count);

typedef struct vgg_svm_model vgg_svm_model;

/* Train one-vs-rest SVMs on n rows of dim floats (rows[i], borrowed) with
 * labels l (l->n_rows == n).  Dense rows become LIBLINEAR nodes in one
 * shared allocation (zeros are left out).
 * Single-label: one LIBLINEAR call on all classes (its own one-vs-rest),
 * one C for all, chosen (when o->C <= 0) by mean class recall on the
 * validation rows.  Multi-label: a binary LIBLINEAR call per class on the
 * rows not difficult for it, a C per class chosen by its AP (VOC-2010+
 * area) on the validation rows; a class without a validation positive
 * takes the C that is best on average.  Ties go to the earlier grid value.
 * After choosing, the model is trained on all n rows.
 * The C library's random generator is reseeded (srand(1)) before each
 * LIBLINEAR call, so a model equals the one liblinear-train makes from the
 * same data (and this changes rand()'s sequence for the caller).
 * NUMERIC naming the row (and names[row] if names is not NULL) for NaN or
 * infinite values; INVALID for a class without positives (multi-label:
 * difficult ones do not count) or fewer than 2 classes; NOMEM.
 * desc (may be NULL) is copied into the model.  report may be NULL. */
vgg_status vgg_svm_train(const float *const *rows, const char *const *names, size_t n, int dim,
                         const vgg_svm_labels *l, const vgg_svm_options *o,
                         const vgg_featdesc *desc, vgg_svm_model **out,
                         vgg_svm_report **report);

/* Rows handed out one at a time: *row gets row i's dim floats (and *name
 * its name, or NULL), valid until the next call.  vgg_svm_train_source
 * asks for every row twice, each time in order 0..n-1 (count, then
 * copy), and never keeps a pointer; a source can thus keep only a part of
 * a large store in memory.  A status other than OK stops training and is
 * returned (with the source's message). */
typedef vgg_status (*vgg_svm_row_source)(void *ctx, size_t i, const float **row,
                                         const char **name);

/* vgg_svm_train with rows from a source; the same result.  MISMATCH if a
 * row's non-zero count changes between the two passes. */
vgg_status vgg_svm_train_source(vgg_svm_row_source src, void *ctx, size_t n, int dim,
                                const vgg_svm_labels *l, const vgg_svm_options *o,
                                const vgg_featdesc *desc, vgg_svm_model **out,
                                vgg_svm_report **report);

/* vggsvm train over a feature store: labels from the store's rows or a
 * labels file (vgg_svm_labels_for_store; rows without one are left out),
 * optional class weights "CLASS=WEIGHT" (weights[0..n_weights), parsed
 * and checked: INVALID for bad syntax, NOT_FOUND for an unknown class),
 * rows read from the store one at a time (vgg_svm_train_source), the
 * store's description copied into the model.  On success *l, *m, *rep
 * (n_skipped set) and *dim are the caller's. */
vgg_status vgg_svm_train_store(const char *features, const char *labels_path,
                               vgg_svm_label_mode mode, char *const *weights, int n_weights,
                               vgg_svm_options *o, vgg_svm_labels **l, vgg_svm_model **m,
                               vgg_svm_report **rep, int *dim);

/* ---- models ---- */

/* A model is two files: PATH, LIBLINEAR's own text format (liblinear-predict
 * reads it), and PATH.json: format "vggsvm-model" version 2, class names
 * (escaped as in docs/escaping.md), solver, bias, C per class, multi-label
 * flag, the feature description, the SHA-256 of PATH ("model_sha256") and
 * "sidecar_sha256", a SHA-256 over model_sha256 and every field of the
 * sidecar, so that an edited sidecar (two class names swapped, the feature
 * description deleted) no longer loads.  LIBLINEAR's loader refuses any
 * line it does not know, so PATH itself cannot name the sidecar's digest;
 * the sidecar's digest covers PATH's instead.
 * Both are written atomically (the sidecar first), and only as regular
 * files (a device, FIFO or "-" is INVALID, never replaced).
 * Multi-label models with two classes are stored with LIBLINEAR's
 * solver_type MCSVM_CS so that both weight vectors fit in its format;
 * liblinear-predict then reports the higher-scoring class. */
vgg_status vgg_svm_model_save(const vgg_svm_model *m, const char *path);

/* FORMAT naming the file for a malformed or truncated model or sidecar (or
 * one without sidecar_sha256), MISMATCH if the model file's digest differs
 * from the sidecar's, if the sidecar's own digest does not match its
 * fields, or if the two disagree on the number of classes or features;
 * INVALID for a directory, IO for another non-regular file. */
vgg_status vgg_svm_model_load(const char *path, vgg_svm_model **out);
void vgg_svm_model_free(vgg_svm_model *m);

int vgg_svm_model_classes(const vgg_svm_model *m);
const char *vgg_svm_model_class_name(const vgg_svm_model *m, int k);
bool vgg_svm_model_multilabel(const vgg_svm_model *m);
int vgg_svm_model_dim(const vgg_svm_model *m);
double vgg_svm_model_bias(const vgg_svm_model *m);
double vgg_svm_model_C(const vgg_svm_model *m, int k);
/* The feature description (NULL if the model was trained without one). */
const vgg_featdesc *vgg_svm_model_desc(const vgg_svm_model *m);
/* Weight of feature j (0..dim-1; dim for the bias weight) in class k's
 * decision function score_k = w_k . x + bias * w_k[dim]. */
double vgg_svm_model_weight(const vgg_svm_model *m, int k, int j);

/* MISMATCH if d is not what the model was trained on, saying which
 * setting differs ("the model's features: scales differ: ..."), and for a
 * model without a feature description unless allowed below. */
vgg_status vgg_svm_model_check(const vgg_svm_model *m, const vgg_featdesc *d);

/* Let vgg_svm_model_check pass a model that has no feature description
 * (only the dimension is then checked): the explicit opt-in of
 * 'vggsvm predict --allow-undescribed'. */
void vgg_svm_model_allow_undescribed(vgg_svm_model *m, bool allow);

/* Decision values of the n_classes classes for one row of dim floats.
 * NUMERIC for a NaN or infinite value, MISMATCH for a different dim. */
vgg_status vgg_svm_model_score(const vgg_svm_model *m, const float *x, int dim, double *scores);

/* ---- score files ---- */

/* Scores of n images for n_classes classes.  TSV: a header line
 * "name<TAB>class..." then "name<TAB>score..." per image.  JSON:
 * {"classes": [...], "multilabel": b, "images": [{"name", "scores": [...],
 * "predicted": class or [classes with score > 0]}]}. */
typedef struct vgg_svm_scores {
    size_t n;
    int n_classes;
    char **class_names;
    char **names;
    double *scores;       /* n x n_classes */
    bool multilabel;
} vgg_svm_scores;

/* A regular file written atomically; "-", /dev/stdout, a character device
 * or a FIFO written in place, as a stream (vgg_atomic_open_stream). */
vgg_status vgg_svm_scores_write(const vgg_svm_scores *s, const char *path, bool json);
/* Reads either format (JSON if the file starts with '{'; a UTF-8 byte
 * order mark before it is skipped).  FORMAT naming the file and the line
 * (JSON: the image) for a NaN score (infinities are scores) and for an
 * image scored twice (with where it was first). */
vgg_status vgg_svm_scores_read(const char *path, vgg_svm_scores **out);
void vgg_svm_scores_free(vgg_svm_scores *s);

/* vggsvm predict: every row of fs (read from store_path) scored by m, in
 * the store's order, names copied.  The model is assumed checked against
 * the store (vgg_svm_model_check).  *out is the caller's
 * (vgg_svm_scores_free). */
vgg_status vgg_svm_score_store(const vgg_svm_model *m, const vgg_featstore *fs,
                               const char *store_path, vgg_svm_scores **out);

/* ---- metrics ---- */

/* Average precision of one class from n scores and truth (+1, -1, 0 =
 * ignored).  Tied scores form one threshold (the order of tied rows does
 * not matter).  NaN when there is no positive.
 *   voc07: mean over recall r in {0, 0.1, ..., 1} of the highest precision
 *          at recall >= r (0 if none): VOC-2007's 11-point AP.
 *   area:  area under the precision-recall curve made monotone
 *          (precision at r = highest precision at recall >= r): VOC-2010+.
 *   plain: sum over thresholds of (recall step) x precision, without
 *          interpolation (scikit-learn's average_precision_score). */
typedef enum vgg_ap_kind { VGG_AP_VOC07 = 0, VGG_AP_AREA, VGG_AP_PLAIN } vgg_ap_kind;
double vgg_metric_ap(const double *scores, const int8_t *truth, size_t n, size_t stride,
                     vgg_ap_kind kind);

/* Single-label metrics from n x k scores (row-major) and true classes. */
typedef struct vgg_svm_eval {
    int n_classes;
    size_t n;
    double accuracy;         /* top-1 */
    double mean_recall;      /* mean over classes with images of per-class recall */
    double top5;             /* true class among the 5 best (ties: strictly higher scores < 5) */
    double *recall;          /* per class (NaN: no image of that class) */
    size_t *n_pos;           /* images per class */
    double *ap07, *ap_area, *ap_plain; /* per class, one-vs-rest */
    double map07, map_area, map_plain; /* mean over classes with positives */
    int n_ap_classes;        /* classes that count in the means */
    size_t *confusion;       /* k x k: [true * k + predicted] */
} vgg_svm_eval;

/* Single-label: cls[i] is row i's class (0..k-1).  multi-label: truth
 * (n x k, +1/-1/0) instead, cls NULL; accuracy, recall, top5 and
 * confusion are then not computed (NaN / NULL). */
vgg_status vgg_svm_evaluate(const double *scores, size_t n, int k, const int *cls,
                            const int8_t *truth, vgg_svm_eval **out);
void vgg_svm_eval_free(vgg_svm_eval *e);

/* vggsvm eval: the images of a score file s (read from scores_path)
 * matched by name with their ground truth, from a labels file (labels)
 * or from a store's labels (features; rows without a label are passed
 * over), exactly one of the two (else INVALID), then evaluated.  Every
 * name of the labels file, or labelled row of the store, must have
 * scores: else NOT_FOUND counting them and naming the first five.
 * NOT_FOUND when no scored image has ground truth.  *out is the caller's
 * (vgg_svm_scored_free). */
typedef struct vgg_svm_scored {
    size_t n_evaluated;      /* scored images with ground truth */
    size_t n_without_truth;  /* scored images without */
    vgg_svm_labels *labels;  /* of the evaluated images, in score-file order */
    vgg_svm_eval *eval;
} vgg_svm_scored;
vgg_status vgg_svm_evaluate_scores(const vgg_svm_scores *s, const char *scores_path,
                                   const char *labels, const char *features,
                                   vgg_svm_label_mode mode, vgg_svm_scored **out);
void vgg_svm_scored_free(vgg_svm_scored *r);

/* Top-k accuracy with the tie rule above. */
double vgg_metric_topk(const double *scores, size_t n, int k, const int *cls, int topk);

/* Writes the confusion matrix as CSV (header row of predicted classes,
 * first column the true class) or as an SVG picture (row-normalised
 * shades, counts in cells when k <= 40): a regular file atomically, a
 * stream ("-", /dev/stdout, a character device, a FIFO) in place. */
vgg_status vgg_svm_confusion_csv(const vgg_svm_eval *e, char *const *class_names,
                                 const char *path);
vgg_status vgg_svm_confusion_svg(const vgg_svm_eval *e, char *const *class_names,
                                 const char *path);

/* ---- the feature store side ---- */

/* Labels for the rows of a store: from the labels file at labels_path, or
 * from the store's own labels if labels_path is NULL.  Store rows without
 * a label (not in the file; without a file, an empty store label) are
 * left out; a file line with an empty label keeps its row (negative for
 * every class, multi-label).  *rows gets the kept store rows in store
 * order (malloc'd; (*out)->n_rows of them).  NOT_FOUND listing the first
 * few names of the file that are not in the store, or if no row is kept.
 * classes: as in vgg_svm_labels_build. */
vgg_status vgg_svm_labels_for_store(const vgg_featstore *fs, const char *store_path,
                                    const char *labels_path, vgg_svm_label_mode mode,
                                    const char *const *classes, int n_classes,
                                    vgg_svm_labels **out, size_t **rows);

#ifdef __cplusplus
}
#endif
#endif
