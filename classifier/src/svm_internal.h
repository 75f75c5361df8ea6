/* classifier internals shared by the library's files. */
#ifndef VGG_SVM_INTERNAL_H
#define VGG_SVM_INTERNAL_H

#include "vgg/svm.h"

struct vgg_svm_model {
    int n_classes;
    char **class_names;
    bool multilabel;
    int solver;
    double bias;          /* < 0: none */
    int dim;
    double *w;            /* (dim + 1) x n_classes: w[j * n_classes + k]; row dim: bias weights */
    double *C;            /* n_classes */
    bool has_desc;
    vgg_featdesc desc;
    bool allow_undescribed;   /* vgg_svm_model_check passes without desc */
};

/* An empty model of n_classes x dim with copies of the class names. */
vgg_status svm_model_alloc(int n_classes, char *const *names, int dim, vgg_svm_model **out);

/* score_k = sum_j w[j*K+k] x_j + bias w[dim*K+k], in feature order (as
 * LIBLINEAR's predict_values sums). No checks. */
void svm_scores_raw(const double *w, int n_classes, int dim, double bias, const float *x,
                    double *scores);

/* LIBLINEAR's name of a solver type ("L2R_L2LOSS_SVC_DUAL"); NULL if unknown. */
const char *svm_solver_name(int solver);
int svm_solver_from_name(const char *name);

/* Mean class recall (argmax, first maximum wins) over classes that have
 * rows; NaN if none. */
double svm_mean_recall(const double *scores, size_t n, int k, const int *cls);

/* Parse the whole of text as one JSON value; FORMAT naming path and the
 * byte offset where it stops being JSON (or where text follows it). */
struct json_object;
vgg_status svm_json_parse(const char *path, const char *text, struct json_object **out);

/* A JSON string holding the escaped form of text (docs/escaping.md): valid
 * UTF-8 whatever bytes the name has.  NULL (written as null) only when out
 * of memory.  Every name, label and path the programs put in JSON. */
struct json_object *svm_json_escaped(const char *text);

/* Quick sort-free helpers */
char *svm_strdup(const char *s);
/* The first of the k highest scores (ties: the lowest class). */
int svm_argmax(const double *s, int k);

#endif
