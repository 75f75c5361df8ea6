/* One-vs-rest training with LIBLINEAR, and the choice of C on the
 * training set.  The only file that includes linear.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <linear.h>

#include "svm_internal.h"

#if defined(VGG_LIBLINEAR_HAS_REGULARIZE_BIAS) || (defined(LIBLINEAR_VERSION) && LIBLINEAR_VERSION >= 240)
#define HAVE_REGULARIZE_BIAS 1
#else
#define HAVE_REGULARIZE_BIAS 0
#endif

static const double default_grid[] = { 0.01, 0.1, 1.0, 10.0, 100.0 };

void vgg_svm_options_default(vgg_svm_options *o)
{
    memset(o, 0, sizeof *o);
    o->solver = VGG_SVM_L2R_L2LOSS_DUAL;
    o->C = 0.0;
    o->bias = 1.0;
    o->eps = 0.0;
    o->cv_folds = 0;
    o->holdout = 0.2;
    o->grid = NULL;
    o->n_grid = 0;
    o->class_weight = NULL;
    o->seed = 1;
}

void vgg_svm_report_free(vgg_svm_report *r)
{
    if (!r)
        return;
    free(r->grid);
    free(r->score);
    free(r->C);
    free(r);
}

static void quiet(const char *s) { (void)s; }

/* liblinear-train's default tolerance per solver. */
static double default_eps(int solver)
{
    switch (solver) {
    case VGG_SVM_L2R_LR:
    case VGG_SVM_L2R_L2LOSS:
    case VGG_SVM_L1R_L2LOSS:
    case VGG_SVM_L1R_LR:
        return 0.01;
    default:
        return 0.1;
    }
}

static bool solver_ok(int s)
{
    return s == 0 || s == 1 || s == 2 || s == 3 || s == 5 || s == 6 || s == 7;
}

/* ---- rows as LIBLINEAR nodes: one allocation for every value ---- */

typedef struct node_data {
    struct feature_node *nodes;
    struct feature_node **x;  /* n row starts */
    size_t n;
    int dim;
    double bias;
} node_data;

static void node_data_free(node_data *d)
{
    free(d->nodes);
    free(d->x);
    d->nodes = NULL;
    d->x = NULL;
}

/* Two passes over the rows (count and check, then copy), each in row
 * order, so a source may hand out each row only until the next call. */
static vgg_status node_data_build(vgg_svm_row_source src, void *ctx, size_t n, int dim,
                                  double bias, node_data *d)
{
    memset(d, 0, sizeof *d);
    size_t nnz = 0;
    vgg_status st;
    for (size_t i = 0; i < n; i++) {
        const float *r = NULL;
        const char *name = NULL;
        if ((st = src(ctx, i, &r, &name)) != VGG_STATUS_OK)
            return st;
        for (int j = 0; j < dim; j++) {
            if (!isfinite(r[j])) {
                if (name)
                    return vgg_fail(VGG_STATUS_NUMERIC,
                                    "row %zu ('%s'): feature %d is %s", i, name, j,
                                    isnan(r[j]) ? "NaN" : "infinite");
                return vgg_fail(VGG_STATUS_NUMERIC, "row %zu: feature %d is %s", i, j,
                                isnan(r[j]) ? "NaN" : "infinite");
            }
            nnz += r[j] != 0.0f;
        }
    }
    size_t per_row_extra = 1 + (bias >= 0);
    size_t total = nnz + n * per_row_extra;
    d->nodes = malloc(total * sizeof *d->nodes);
    d->x = malloc((n ? n : 1) * sizeof *d->x);
    if (!d->nodes || !d->x) {
        node_data_free(d);
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory for %zu feature nodes (%zu bytes)",
                        total, total * sizeof(struct feature_node));
    }
    struct feature_node *p = d->nodes, *end = d->nodes + total;
    for (size_t i = 0; i < n; i++) {
        const float *r = NULL;
        const char *name = NULL;
        if ((st = src(ctx, i, &r, &name)) != VGG_STATUS_OK) {
            node_data_free(d);
            return st;
        }
        d->x[i] = p;
        for (int j = 0; j < dim; j++) {
            if (r[j] != 0.0f) {
                if ((size_t)(end - p) < 1 + per_row_extra) {
                    node_data_free(d);
                    return vgg_fail(VGG_STATUS_MISMATCH,
                                    "row %zu changed between two reads of the rows", i);
                }
                p->index = j + 1;
                p->value = (double)r[j];
                p++;
            }
        }
        if ((size_t)(end - p) < per_row_extra) {
            node_data_free(d);
            return vgg_fail(VGG_STATUS_MISMATCH, "row %zu changed between two reads of the rows",
                            i);
        }
        if (bias >= 0) {
            p->index = dim + 1;
            p->value = bias;
            p++;
        }
        p->index = -1;
        p->value = 0.0;
        p++;
    }
    d->n = n;
    d->dim = dim;
    d->bias = bias;
    return VGG_STATUS_OK;
}

/* Decision values from a row's nodes, in node order (as LIBLINEAR's
 * predict_values); the bias node's index dim+1 picks the bias weights. */
static void scores_nodes(const double *w, int K, const struct feature_node *x, double *s)
{
    for (int k = 0; k < K; k++)
        s[k] = 0.0;
    for (; x->index != -1; x++) {
        const double *wj = w + (size_t)(x->index - 1) * K;
        for (int k = 0; k < K; k++)
            s[k] += wj[k] * x->value;
    }
}

/* ---- one LIBLINEAR call ---- */

static void fill_param(struct parameter *p, int solver, double C, double eps)
{
    memset(p, 0, sizeof *p);
    p->solver_type = solver;
    p->C = C;
    p->eps = eps;
    p->p = 0.1;
#if HAVE_REGULARIZE_BIAS
    p->regularize_bias = 1;
#endif
}

/* Train on the given problem; copy the weights of each class into
 * w ((dim+1) x K) with present[k] set for the classes seen.  Labels in
 * prob->y are class+1.  binary_class >= 0: a binary problem for that
 * class (y = +1 / -1), only its column written. */
static vgg_status run_liblinear(const struct problem *prob, const struct parameter *param,
                                int K, int dim, int binary_class, double *w, bool *present)
{
    const char *err = check_parameter(prob, param);
    if (err)
        return vgg_fail(VGG_STATUS_INVALID, "LIBLINEAR refuses the parameters: %s", err);
    srand(1);
    struct model *m = train(prob, param);
    if (!m)
        return vgg_fail(VGG_STATUS_NOMEM, "LIBLINEAR training failed (out of memory)");
    int nr_class = get_nr_class(m);
    int nr_w = (nr_class == 2) ? 1 : nr_class;
    int nw = dim + (prob->bias >= 0 ? 1 : 0);
    if (binary_class >= 0) {
        double sign = 1.0;
        if (nr_class == 2 && m->label[0] != 1)
            sign = -1.0;
        if (nr_class == 2) {
            for (int j = 0; j < nw; j++)
                w[(size_t)j * K + binary_class] = sign * m->w[j];
            present[binary_class] = true;
        }
    } else if (nr_class == 2) {
        int a = m->label[0] - 1, b = m->label[1] - 1;
        for (int j = 0; j < nw; j++) {
            w[(size_t)j * K + a] = m->w[j];
            w[(size_t)j * K + b] = -m->w[j];
        }
        present[a] = present[b] = true;
    } else {
        for (int c = 0; c < nr_class; c++) {
            int k = m->label[c] - 1;
            for (int j = 0; j < nw; j++)
                w[(size_t)j * K + k] = m->w[(size_t)j * nr_w + c];
            present[k] = true;
        }
    }
    free_and_destroy_model(&m);
    return VGG_STATUS_OK;
}

/* Train all classes on the rows idx[0..m) with C[k] per class into
 * w ((dim+1) x K, zeroed first). */
static vgg_status train_ovr(const node_data *d, const size_t *idx, size_t m,
                            const vgg_svm_labels *l, const double *C, const vgg_svm_options *o,
                            double eps, double *w, bool *present)
{
    int K = l->n_classes;
    memset(w, 0, (size_t)(d->dim + 1) * K * sizeof *w);
    memset(present, 0, (size_t)K * sizeof *present);
    struct problem prob;
    memset(&prob, 0, sizeof prob);
    prob.n = d->dim + (d->bias >= 0 ? 1 : 0);
    prob.bias = d->bias;
    prob.y = malloc((m ? m : 1) * sizeof *prob.y);
    prob.x = malloc((m ? m : 1) * sizeof *prob.x);
    int *wl = malloc((size_t)K * sizeof *wl);
    double *wv = malloc((size_t)K * sizeof *wv);
    vgg_status st = VGG_STATUS_OK;
    if (!prob.y || !prob.x || !wl || !wv) {
        st = vgg_fail(VGG_STATUS_NOMEM, "out of memory for a training problem of %zu rows", m);
        goto done;
    }
    struct parameter param;
    if (!l->multilabel) {
        for (size_t i = 0; i < m; i++) {
            prob.x[i] = d->x[idx[i]];
            prob.y[i] = l->cls[idx[i]] + 1;
        }
        prob.l = (int)m;
        fill_param(&param, o->solver, C[0], eps);
        if (o->class_weight) {
            for (int k = 0; k < K; k++) {
                wl[k] = k + 1;
                wv[k] = o->class_weight[k];
            }
            param.nr_weight = K;
            param.weight_label = wl;
            param.weight = wv;
        }
        st = run_liblinear(&prob, &param, K, d->dim, -1, w, present);
    } else {
        for (int k = 0; k < K && st == VGG_STATUS_OK; k++) {
            size_t cnt = 0, pos = 0;
            for (size_t i = 0; i < m; i++) {
                int8_t t = l->truth[idx[i] * (size_t)K + k];
                if (t == 0)
                    continue;
                prob.x[cnt] = d->x[idx[i]];
                prob.y[cnt] = t > 0 ? 1.0 : -1.0;
                pos += t > 0;
                cnt++;
            }
            if (pos == 0 || pos == cnt)
                continue;   /* one side missing in this part: class not trained here */
            prob.l = (int)cnt;
            fill_param(&param, o->solver, C[k], eps);
            if (o->class_weight) {
                wl[0] = 1;
                wv[0] = o->class_weight[k];
                param.nr_weight = 1;
                param.weight_label = wl;
                param.weight = wv;
            }
            st = run_liblinear(&prob, &param, K, d->dim, k, w, present);
        }
    }
done:
    free(prob.y);
    free(prob.x);
    free(wl);
    free(wv);
    return st;
}

/* ---- splits for choosing C ---- */

static void shuffle(size_t *a, size_t n, uint64_t *s)
{
    for (size_t i = n; i > 1; i--) {
        size_t j = (size_t)(vgg_rng_next(s) % i);
        size_t t = a[i - 1];
        a[i - 1] = a[j];
        a[j] = t;
    }
}

/* fold[i] for each row.  Holdout: 0 = validation, 1 = training; per class
 * (single-label) floor(f * n_c) rows are held out, at least one stays.
 * K-fold: single-label rows of each class are dealt round-robin over the
 * folds in shuffled order; multi-label rows are dealt in shuffled order. */
static void make_folds(const vgg_svm_labels *l, const vgg_svm_options *o, int *fold)
{
    size_t n = l->n_rows;
    uint64_t s = o->seed;
    size_t *perm = malloc((n ? n : 1) * sizeof *perm);
    for (size_t i = 0; i < n; i++)
        perm[i] = i;
    shuffle(perm, n, &s);
    int F = o->cv_folds >= 2 ? o->cv_folds : 0;
    if (l->multilabel) {
        size_t nval = (size_t)floor(o->holdout * (double)n);
        for (size_t p = 0; p < n; p++)
            fold[perm[p]] = F ? (int)(p % (size_t)F) : (p < nval ? 0 : 1);
    } else {
        int K = l->n_classes;
        size_t *count = calloc((size_t)K, sizeof *count);
        size_t *seen = calloc((size_t)K, sizeof *seen);
        for (size_t i = 0; i < n; i++)
            count[l->cls[i]]++;
        for (size_t p = 0; p < n; p++) {
            int c = l->cls[perm[p]];
            size_t q = seen[c]++;
            if (F) {
                fold[perm[p]] = (int)(q % (size_t)F);
            } else {
                size_t nval = (size_t)floor(o->holdout * (double)count[c]);
                if (nval >= count[c])
                    nval = count[c] - 1;
                fold[perm[p]] = q < nval ? 0 : 1;
            }
        }
        free(count);
        free(seen);
    }
    free(perm);
}

/* The buffers of the search for C, for n rows of K classes. */
typedef struct cv_work {
    int *fold;
    size_t *tr, *va;     /* a round's training and validation rows */
    double *val;         /* n x K: scores of the validated rows */
    size_t *vrow;        /* their rows */
    double *w;           /* (dim + 1) x K */
    bool *present;       /* K */
    double *Cg;          /* K */
    double *sub;         /* n: one class's scores, for its AP */
    int8_t *tsub;        /* n */
    int *csub;           /* n: the validated rows' classes */
} cv_work;

static void cv_work_free(cv_work *c)
{
    free(c->fold);
    free(c->tr);
    free(c->va);
    free(c->val);
    free(c->vrow);
    free(c->w);
    free(c->present);
    free(c->Cg);
    free(c->sub);
    free(c->tsub);
    free(c->csub);
}

static vgg_status cv_work_alloc(cv_work *c, size_t n, int K, int dim)
{
    size_t n1 = n ? n : 1;
    c->fold = malloc(n1 * sizeof *c->fold);
    c->tr = malloc(n1 * sizeof *c->tr);
    c->va = malloc(n1 * sizeof *c->va);
    c->val = malloc(n1 * (size_t)K * sizeof *c->val);
    c->vrow = malloc(n1 * sizeof *c->vrow);
    c->w = malloc((size_t)(dim + 1) * K * sizeof *c->w);
    c->present = malloc((size_t)K * sizeof *c->present);
    c->Cg = malloc((size_t)K * sizeof *c->Cg);
    c->sub = malloc(n1 * (size_t)K * sizeof *c->sub);
    c->tsub = malloc(n1 * sizeof *c->tsub);
    c->csub = malloc(n1 * sizeof *c->csub);
    if (!c->fold || !c->tr || !c->va || !c->val || !c->vrow || !c->w || !c->present || !c->Cg ||
        !c->sub || !c->tsub || !c->csub)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory while choosing C");
    return VGG_STATUS_OK;
}

/* Train on all folds but each one in turn with C = c->Cg and score the
 * held-out rows; *nv validated rows in c->val / c->vrow. */
static vgg_status validate_C(const node_data *d, const vgg_svm_labels *l,
                             const vgg_svm_options *o, double eps, cv_work *c, size_t *nv)
{
    size_t n = l->n_rows;
    int K = l->n_classes;
    int rounds = o->cv_folds >= 2 ? o->cv_folds : 1;
    *nv = 0;
    for (int r = 0; r < rounds; r++) {
        size_t ntr = 0, nva = 0;
        for (size_t i = 0; i < n; i++) {
            if (c->fold[i] == r)
                c->va[nva++] = i;
            else
                c->tr[ntr++] = i;
        }
        if (nva == 0 || ntr == 0)
            continue;
        vgg_status st = train_ovr(d, c->tr, ntr, l, c->Cg, o, eps, c->w, c->present);
        if (st != VGG_STATUS_OK)
            return st;
        for (size_t v = 0; v < nva; v++) {
            double *sc = c->val + *nv * (size_t)K;
            scores_nodes(c->w, K, d->x[c->va[v]], sc);
            for (int k = 0; k < K; k++)
                if (!c->present[k])
                    sc[k] = l->multilabel ? NAN : -INFINITY;
            c->vrow[(*nv)++] = c->va[v];
        }
    }
    return VGG_STATUS_OK;
}

/* score[0..K) of one grid point from nv validated rows: mean class recall
 * in score[0] (single-label, the rest NaN), or each class's AP. */
static void score_validation(const vgg_svm_labels *l, cv_work *c, size_t nv, double *score)
{
    int K = l->n_classes;
    if (!l->multilabel) {
        for (size_t v = 0; v < nv; v++)
            c->csub[v] = l->cls[c->vrow[v]];
        score[0] = svm_mean_recall(c->val, nv, K, c->csub);
        for (int k = 1; k < K; k++)
            score[k] = NAN;
        return;
    }
    for (int k = 0; k < K; k++) {
        size_t m = 0;
        for (size_t v = 0; v < nv; v++) {
            double sc = c->val[v * (size_t)K + k];
            int8_t t = l->truth[c->vrow[v] * (size_t)K + k];
            if (isnan(sc) || t == 0)
                continue;
            c->sub[m] = sc;
            c->tsub[m] = t;
            m++;
        }
        score[k] = vgg_metric_ap(c->sub, c->tsub, m, 1, VGG_AP_AREA);
    }
}

/* Multi-label: each class's best C; a class without a validation score
 * takes the C that is best on average. */
static void pick_C_per_class(const vgg_svm_report *rep, int K, double *Cbest)
{
    int gbest = 0;
    double mbest = -INFINITY;
    for (int g = 0; g < rep->n_grid; g++) {
        double sum = 0;
        int cnt = 0;
        for (int k = 0; k < K; k++) {
            double v = rep->score[(size_t)g * K + k];
            if (!isnan(v)) {
                sum += v;
                cnt++;
            }
        }
        double mean = cnt ? sum / cnt : -INFINITY;
        if (mean > mbest) {
            mbest = mean;
            gbest = g;
        }
    }
    for (int k = 0; k < K; k++) {
        int best = -1;
        for (int g = 0; g < rep->n_grid; g++) {
            double v = rep->score[(size_t)g * K + k];
            if (isnan(v))
                continue;
            if (best < 0 || v > rep->score[(size_t)best * K + k])
                best = g;
        }
        Cbest[k] = rep->grid[best >= 0 ? best : gbest];
    }
}

int vgg_svm_cv_folds(const vgg_svm_labels *l, int asked, int *smallest, size_t *count)
{
    int K = l->n_classes, small = 0;
    size_t least = (size_t)-1;
    for (int k = 0; k < K; k++) {
        size_t pos = 0;
        for (size_t i = 0; i < l->n_rows; i++)
            pos += l->multilabel ? l->truth[i * (size_t)K + k] > 0 : l->cls[i] == k;
        if (pos < least) {
            least = pos;
            small = k;
        }
    }
    if (smallest)
        *smallest = small;
    if (count)
        *count = K ? least : 0;
    int folds = asked;
    if (K && (size_t)folds > least)
        folds = (int)least;
    return folds < 2 ? 2 : folds;
}

/* Choose C over the grid; fills rep->score and Cbest[k]. */
static vgg_status choose_C(const node_data *d, const vgg_svm_labels *l, const vgg_svm_options *opt,
                           double eps, vgg_svm_report *rep, double *Cbest)
{
    int K = l->n_classes;
    /* the folds used (capped by the smallest class) */
    vgg_svm_options capped = *opt;
    if (capped.cv_folds >= 2)
        capped.cv_folds = vgg_svm_cv_folds(l, capped.cv_folds, NULL, NULL);
    rep->cv_folds = capped.cv_folds;
    const vgg_svm_options *o = &capped;
    cv_work c;
    memset(&c, 0, sizeof c);
    vgg_status st = cv_work_alloc(&c, l->n_rows, K, d->dim);
    if (st == VGG_STATUS_OK)
        make_folds(l, o, c.fold);
    for (int g = 0; g < rep->n_grid && st == VGG_STATUS_OK; g++) {
        for (int k = 0; k < K; k++)
            c.Cg[k] = rep->grid[g];
        size_t nv = 0;
        st = validate_C(d, l, o, eps, &c, &nv);
        if (st == VGG_STATUS_OK)
            score_validation(l, &c, nv, rep->score + (size_t)g * K);
    }
    cv_work_free(&c);
    if (st != VGG_STATUS_OK)
        return st;
    /* best: highest score, first (smallest, for an ascending grid) on ties */
    if (l->multilabel) {
        pick_C_per_class(rep, K, Cbest);
        return VGG_STATUS_OK;
    }
    int best = 0;
    for (int g = 1; g < rep->n_grid; g++)
        if (rep->score[(size_t)g * K] > rep->score[(size_t)best * K] ||
            isnan(rep->score[(size_t)best * K]))
            best = g;
    for (int k = 0; k < K; k++)
        Cbest[k] = rep->grid[best];
    return VGG_STATUS_OK;
}

typedef struct array_source {
    const float *const *rows;
    const char *const *names;
} array_source;

static vgg_status array_row(void *ctx, size_t i, const float **row, const char **name)
{
    const array_source *a = ctx;
    *row = a->rows[i];
    *name = a->names ? a->names[i] : NULL;
    return VGG_STATUS_OK;
}

vgg_status vgg_svm_train(const float *const *rows, const char *const *names, size_t n, int dim,
                         const vgg_svm_labels *l, const vgg_svm_options *o,
                         const vgg_featdesc *desc, vgg_svm_model **out,
                         vgg_svm_report **report)
{
    array_source a = { rows, names };
    return vgg_svm_train_source(array_row, &a, n, dim, l, o, desc, out, report);
}

/* The options against the labels and rows: INVALID naming what is wrong. */
static vgg_status check_options(size_t n, int dim, const vgg_svm_labels *l,
                                const vgg_svm_options *o, const double *grid, int n_grid)
{
    if (!l || l->n_rows != n)
        return vgg_fail(VGG_STATUS_INVALID, "labels for %zu rows given with %zu feature rows",
                        l ? l->n_rows : 0, n);
    if (n == 0)
        return vgg_fail(VGG_STATUS_INVALID, "no training rows");
    if (dim <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "feature dimension %d", dim);
    int K = l->n_classes;
    if (K < 2)
        return vgg_fail(VGG_STATUS_INVALID, "%d class%s: one-vs-rest training needs at least 2",
                        K, K == 1 ? "" : "es");
    if (!solver_ok(o->solver))
        return vgg_fail(VGG_STATUS_INVALID,
                        "solver %d is not a one-vs-rest classifier (use 0, 1, 2, 3, 5, 6 or 7)",
                        o->solver);
    if (o->cv_folds == 1 || o->cv_folds < 0)
        return vgg_fail(VGG_STATUS_INVALID, "cross-validation needs at least 2 folds, not %d",
                        o->cv_folds);
    if (o->C <= 0 && o->cv_folds == 0 && !(o->holdout > 0 && o->holdout < 1))
        return vgg_fail(VGG_STATUS_INVALID, "held-out fraction %g is not in (0, 1)", o->holdout);
    if (o->C <= 0) {
        if (n_grid <= 0)
            return vgg_fail(VGG_STATUS_INVALID, "empty grid of C values");
        for (int g = 0; g < n_grid; g++)
            if (!(grid[g] > 0) || !isfinite(grid[g]))
                return vgg_fail(VGG_STATUS_INVALID, "grid value C = %g is not positive", grid[g]);
    } else if (!isfinite(o->C)) {
        return vgg_fail(VGG_STATUS_INVALID, "C = %g", o->C);
    }
    if (o->class_weight)
        for (int k = 0; k < K; k++)
            if (!(o->class_weight[k] > 0) || !isfinite(o->class_weight[k]))
                return vgg_fail(VGG_STATUS_INVALID, "class '%s': weight %g is not positive",
                                l->class_names[k], o->class_weight[k]);
    return VGG_STATUS_OK;
}

/* Every class has a positive and a negative training row. */
static vgg_status check_classes(size_t n, const vgg_svm_labels *l)
{
    int K = l->n_classes;
    for (int k = 0; k < K; k++) {
        size_t pos = 0, diff = 0, neg = 0;
        for (size_t i = 0; i < n; i++) {
            int8_t t = l->truth[i * (size_t)K + k];
            pos += t > 0;
            diff += t == 0;
            neg += t < 0;
        }
        if (pos == 0) {
            if (diff)
                return vgg_fail(VGG_STATUS_INVALID,
                                "class '%s' has no positive training row (%zu difficult ones "
                                "do not count)", l->class_names[k], diff);
            return vgg_fail(VGG_STATUS_INVALID, "class '%s' has no positive training row",
                            l->class_names[k]);
        }
        if (neg == 0)
            return vgg_fail(VGG_STATUS_INVALID, "class '%s' has no negative training row",
                            l->class_names[k]);
    }
    return VGG_STATUS_OK;
}

/* The report's C per class: o->C, or chosen over the grid. */
static vgg_status settle_C(const node_data *d, const vgg_svm_labels *l, const vgg_svm_options *o,
                           double eps, const double *grid, int n_grid, vgg_svm_report *rep)
{
    int K = l->n_classes;
    rep->n_classes = K;
    rep->n_train = l->n_rows;
    rep->C = malloc((size_t)K * sizeof *rep->C);
    if (!rep->C)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    if (o->C > 0) {
        for (int k = 0; k < K; k++)
            rep->C[k] = o->C;
        return VGG_STATUS_OK;
    }
    rep->n_grid = n_grid;
    rep->grid = malloc((size_t)n_grid * sizeof *rep->grid);
    rep->score = malloc((size_t)n_grid * K * sizeof *rep->score);
    if (!rep->grid || !rep->score)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    memcpy(rep->grid, grid, (size_t)n_grid * sizeof *grid);
    return choose_C(d, l, o, eps, rep, rep->C);
}

/* The final one-vs-rest SVMs on every row with the report's C into m. */
static vgg_status train_final(const node_data *d, const vgg_svm_labels *l,
                              const vgg_svm_options *o, double eps, const vgg_svm_report *rep,
                              vgg_svm_model *m)
{
    size_t n = l->n_rows;
    size_t *all = malloc((n ? n : 1) * sizeof *all);
    bool *present = malloc((size_t)l->n_classes * sizeof *present);
    vgg_status st = VGG_STATUS_OK;
    if (!all || !present)
        st = vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    for (size_t i = 0; st == VGG_STATUS_OK && i < n; i++)
        all[i] = i;
    if (st == VGG_STATUS_OK)
        st = train_ovr(d, all, n, l, rep->C, o, eps, m->w, present);
    if (st == VGG_STATUS_OK)
        memcpy(m->C, rep->C, (size_t)l->n_classes * sizeof *m->C);
    free(all);
    free(present);
    return st;
}

vgg_status vgg_svm_train_source(vgg_svm_row_source src, void *ctx, size_t n, int dim,
                                const vgg_svm_labels *l, const vgg_svm_options *o,
                                const vgg_featdesc *desc, vgg_svm_model **out,
                                vgg_svm_report **report)
{
    *out = NULL;
    if (report)
        *report = NULL;
    set_print_string_function(quiet);
    const double *grid = o->grid ? o->grid : default_grid;
    int n_grid = o->grid ? o->n_grid : (int)(sizeof default_grid / sizeof *default_grid);
    vgg_status st = check_options(n, dim, l, o, grid, n_grid);
    if (st == VGG_STATUS_OK)
        st = check_classes(n, l);
    if (st != VGG_STATUS_OK)
        return st;
    double eps = o->eps > 0 ? o->eps : default_eps(o->solver);
    node_data d;
    st = node_data_build(src, ctx, n, dim, o->bias, &d);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_svm_model *m = NULL;
    vgg_svm_report *rep = calloc(1, sizeof *rep);
    st = rep ? svm_model_alloc(l->n_classes, l->class_names, dim, &m)
             : vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    if (st == VGG_STATUS_OK) {
        m->multilabel = l->multilabel;
        m->solver = o->solver;
        m->bias = o->bias >= 0 ? o->bias : -1.0;
        if (desc) {
            m->has_desc = true;
            m->desc = *desc;
        }
        st = settle_C(&d, l, o, eps, grid, n_grid, rep);
    }
    if (st == VGG_STATUS_OK)
        st = train_final(&d, l, o, eps, rep, m);
    node_data_free(&d);
    if (st != VGG_STATUS_OK) {
        vgg_svm_model_free(m);
        vgg_svm_report_free(rep);
        return st;
    }
    *out = m;
    if (report)
        *report = rep;
    else
        vgg_svm_report_free(rep);
    return VGG_STATUS_OK;
}
