/* Model files: LIBLINEAR's text format plus a JSON sidecar; scoring. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sys/stat.h>
#include <unistd.h>

#include "svm_internal.h"

static const char *const solver_names[] = {
    "L2R_LR", "L2R_L2LOSS_SVC_DUAL", "L2R_L2LOSS_SVC", "L2R_L1LOSS_SVC_DUAL", "MCSVM_CS",
    "L1R_L2LOSS_SVC", "L1R_LR", "L2R_LR_DUAL",
};
#define N_SOLVER_NAMES ((int)(sizeof solver_names / sizeof *solver_names))
#define MCSVM_CS_TYPE 4

const char *svm_solver_name(int solver)
{
    if (solver < 0 || solver >= N_SOLVER_NAMES)
        return NULL;
    return solver_names[solver];
}

int svm_solver_from_name(const char *name)
{
    for (int i = 0; i < N_SOLVER_NAMES; i++)
        if (strcmp(solver_names[i], name) == 0)
            return i;
    return -1;
}

char *svm_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

vgg_status svm_model_alloc(int n_classes, char *const *names, int dim, vgg_svm_model **out)
{
    *out = NULL;
    vgg_svm_model *m = calloc(1, sizeof *m);
    if (!m)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory for a model");
    m->n_classes = n_classes;
    m->dim = dim;
    m->bias = -1;
    m->solver = 1;
    m->class_names = calloc((size_t)n_classes, sizeof *m->class_names);
    m->w = calloc((size_t)(dim + 1) * n_classes, sizeof *m->w);
    m->C = calloc((size_t)n_classes, sizeof *m->C);
    if (!m->class_names || !m->w || !m->C) {
        vgg_svm_model_free(m);
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory for a model of %d x %d", n_classes, dim);
    }
    for (int k = 0; k < n_classes; k++) {
        m->class_names[k] = svm_strdup(names ? names[k] : "");
        if (!m->class_names[k]) {
            vgg_svm_model_free(m);
            return vgg_fail(VGG_STATUS_NOMEM, "out of memory for a model");
        }
    }
    *out = m;
    return VGG_STATUS_OK;
}

void vgg_svm_model_free(vgg_svm_model *m)
{
    if (!m)
        return;
    if (m->class_names)
        for (int k = 0; k < m->n_classes; k++)
            free(m->class_names[k]);
    free(m->class_names);
    free(m->w);
    free(m->C);
    free(m);
}

int vgg_svm_model_classes(const vgg_svm_model *m) { return m->n_classes; }
const char *vgg_svm_model_class_name(const vgg_svm_model *m, int k) { return m->class_names[k]; }
bool vgg_svm_model_multilabel(const vgg_svm_model *m) { return m->multilabel; }
int vgg_svm_model_dim(const vgg_svm_model *m) { return m->dim; }
double vgg_svm_model_bias(const vgg_svm_model *m) { return m->bias; }
double vgg_svm_model_C(const vgg_svm_model *m, int k) { return m->C[k]; }
const vgg_featdesc *vgg_svm_model_desc(const vgg_svm_model *m)
{
    return m->has_desc ? &m->desc : NULL;
}
double vgg_svm_model_weight(const vgg_svm_model *m, int k, int j)
{
    return m->w[(size_t)j * m->n_classes + k];
}

void svm_scores_raw(const double *w, int K, int dim, double bias, const float *x, double *s)
{
    for (int k = 0; k < K; k++)
        s[k] = 0.0;
    for (int j = 0; j < dim; j++) {
        double v = x[j];
        if (v == 0.0)
            continue;
        const double *wj = w + (size_t)j * K;
        for (int k = 0; k < K; k++)
            s[k] += wj[k] * v;
    }
    if (bias >= 0) {
        const double *wb = w + (size_t)dim * K;
        for (int k = 0; k < K; k++)
            s[k] += wb[k] * bias;
    }
}

vgg_status vgg_svm_model_score(const vgg_svm_model *m, const float *x, int dim, double *scores)
{
    if (dim != m->dim)
        return vgg_fail(VGG_STATUS_MISMATCH, "features have %d values, the model expects %d",
                        dim, m->dim);
    for (int j = 0; j < dim; j++)
        if (!isfinite(x[j]))
            return vgg_fail(VGG_STATUS_NUMERIC, "feature %d is %s", j,
                            isnan(x[j]) ? "NaN" : "infinite");
    svm_scores_raw(m->w, m->n_classes, m->dim, m->bias, x, scores);
    return VGG_STATUS_OK;
}

vgg_status vgg_svm_model_check(const vgg_svm_model *m, const vgg_featdesc *d)
{
    if (d->dim != m->dim)
        return vgg_fail(VGG_STATUS_MISMATCH,
                        "features of dimension %d, the model was trained on dimension %d",
                        d->dim, m->dim);
    if (!m->has_desc) {
        if (m->allow_undescribed)
            return VGG_STATUS_OK;
        return vgg_fail(VGG_STATUS_MISMATCH, "the model carries no description of the features "
                        "it was trained on, so these features cannot be checked against it; "
                        "retrain it from a feature store, or pass --allow-undescribed to score "
                        "them unchecked");
    }
    char why[512];
    if (!vgg_featdesc_equal(d, &m->desc, why, sizeof why))
        return vgg_fail(VGG_STATUS_MISMATCH,
                        "the features are not of the kind the model was trained on: %s "
                        "(these features vs the model's)", why);
    return VGG_STATUS_OK;
}

void vgg_svm_model_allow_undescribed(vgg_svm_model *m, bool allow)
{
    m->allow_undescribed = allow;
}

/* ---- saving ---- */

static int stored_solver(const vgg_svm_model *m)
{
    return (m->multilabel && m->n_classes == 2) ? MCSVM_CS_TYPE : m->solver;
}

/* Write text to fp and to the digest. */
static vgg_status put(FILE *fp, vgg_sha256 *sh, const char *text, size_t n, const char *path)
{
    vgg_sha256_update(sh, text, n);
    return vgg_write_all(fp, text, n, path);
}

/* The LIBLINEAR model text, streamed (a line at a time) into fp and sh. */
static vgg_status model_write(const vgg_svm_model *m, FILE *fp, vgg_sha256 *sh, const char *path)
{
    int K = m->n_classes;
    int nr_w = (K == 2 && !m->multilabel) ? 1 : K;
    size_t cap = (size_t)(nr_w > K ? nr_w : K) * 32 + 256;
    char *line = malloc(cap);
    if (!line)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    int len = snprintf(line, cap, "solver_type %s\nnr_class %d\nlabel",
                       svm_solver_name(stored_solver(m)), K);
    vgg_status st = put(fp, sh, line, (size_t)len, path);
    for (int k = 0; k < K && st == VGG_STATUS_OK; k++) {
        len = snprintf(line, cap, " %d", k + 1);
        st = put(fp, sh, line, (size_t)len, path);
    }
    if (st == VGG_STATUS_OK) {
        len = snprintf(line, cap, "\nnr_feature %d\nbias %.17g\nw\n", m->dim,
                       m->bias >= 0 ? m->bias : -1.0);
        st = put(fp, sh, line, (size_t)len, path);
    }
    int rows = m->dim + (m->bias >= 0 ? 1 : 0);
    for (int j = 0; j < rows && st == VGG_STATUS_OK; j++) {
        size_t used = 0;
        for (int k = 0; k < nr_w; k++)
            used += (size_t)snprintf(line + used, cap - used, "%.17g ", m->w[(size_t)j * K + k]);
        line[used++] = '\n';
        st = put(fp, sh, line, used, path);
    }
    free(line);
    return st;
}

/* The SHA-256 that binds the sidecar to the model: over the model file's
 * digest and every field the sidecar carries, in a fixed text form (so it
 * does not depend on how a JSON library prints them):
 *   "vggsvm-sidecar-2\n" "model_sha256 HEX\n" "dim D\n" "multilabel 0|1\n"
 *   "solver S\n" "bias %.17g\n", per class "class ESCAPED-NAME\tC %.17g\n",
 *   "features " and the description's one-line JSON (or "none"), "\n".
 * Swapping two class names, editing a C or deleting the feature
 * description changes it. */
static vgg_status sidecar_digest(const vgg_svm_model *m, const char *model_hex, char hex[65])
{
    vgg_sha256 sh;
    vgg_status st = vgg_sha256_init(&sh);
    if (st != VGG_STATUS_OK)
        return st;
    char line[256];
    int n = snprintf(line, sizeof line, "vggsvm-sidecar-2\nmodel_sha256 %s\ndim %d\n"
                     "multilabel %d\nsolver %d\nbias %.17g\n", model_hex, m->dim,
                     m->multilabel ? 1 : 0, m->solver, m->bias);
    vgg_sha256_update(&sh, line, (size_t)n);
    for (int k = 0; k < m->n_classes && st == VGG_STATUS_OK; k++) {
        char *e = NULL;
        st = vgg_text_escape(m->class_names[k], &e);
        if (st != VGG_STATUS_OK)
            break;
        vgg_sha256_update(&sh, "class ", 6);
        vgg_sha256_update(&sh, e, strlen(e));
        n = snprintf(line, sizeof line, "\tC %.17g\n", m->C[k]);
        vgg_sha256_update(&sh, line, (size_t)n);
        free(e);
    }
    char *dj = NULL;
    if (st == VGG_STATUS_OK && m->has_desc)
        st = vgg_featdesc_to_json(&m->desc, &dj);
    vgg_sha256_update(&sh, "features ", 9);
    if (dj)
        vgg_sha256_update(&sh, dj, strlen(dj));
    else
        vgg_sha256_update(&sh, "none", 4);
    vgg_sha256_update(&sh, "\n", 1);
    free(dj);
    vgg_sha256_final_hex(&sh, hex);
    return st;
}

static char *sidecar_path(const char *path)
{
    size_t n = strlen(path);
    char *p = malloc(n + 6);
    if (p) {
        memcpy(p, path, n);
        memcpy(p + n, ".json", 6);
    }
    return p;
}

static vgg_status write_atomic(const char *path, const char *data, size_t len)
{
    vgg_atomic_file af;
    vgg_status st = vgg_atomic_open(path, &af);
    if (st != VGG_STATUS_OK)
        return st;
    st = vgg_write_all(af.fp, data, len, path);
    if (st == VGG_STATUS_OK)
        st = vgg_atomic_commit(&af);
    vgg_atomic_abort(&af);
    return st;
}

/* The sidecar's "features": the store's description, or null. */
static vgg_status add_features(json_object *root, const vgg_svm_model *m)
{
    if (!m->has_desc) {
        json_object_object_add(root, "features", NULL);
        return VGG_STATUS_OK;
    }
    char *dj = NULL;
    vgg_status st = vgg_featdesc_to_json(&m->desc, &dj);
    if (st != VGG_STATUS_OK)
        return st;
    json_object *fd = json_tokener_parse(dj);
    free(dj);
    if (!fd)
        return vgg_fail(VGG_STATUS_FORMAT, "the feature description is not JSON");
    json_object_object_add(root, "features", fd);
    return VGG_STATUS_OK;
}

vgg_status vgg_svm_model_save(const vgg_svm_model *m, const char *path)
{
    char *side = NULL, *sp = NULL;
    json_object *root = NULL;
    vgg_atomic_file af;
    memset(&af, 0, sizeof af);
    vgg_sha256 sh;
    vgg_status st = vgg_sha256_init(&sh);
    if (st != VGG_STATUS_OK)
        return st;
    /* the model file first (not yet in place), then the sidecar with its
     * digest, then the model file is renamed into place */
    st = vgg_atomic_open(path, &af);
    if (st == VGG_STATUS_OK)
        st = model_write(m, af.fp, &sh, path);
    char hex[65];
    vgg_sha256_final_hex(&sh, hex);
    if (st != VGG_STATUS_OK)
        goto done;

    root = json_object_new_object();
    json_object_object_add(root, "format", json_object_new_string("vggsvm-model"));
    json_object_object_add(root, "version", json_object_new_int(2));
    json_object_object_add(root, "program_version", json_object_new_string(VGG_VERSION_STRING));
    json_object_object_add(root, "model_sha256", json_object_new_string(hex));
    json_object_object_add(root, "multilabel", json_object_new_boolean(m->multilabel));
    json_object_object_add(root, "solver", json_object_new_int(m->solver));
    json_object_object_add(root, "solver_name", json_object_new_string(svm_solver_name(m->solver)));
    json_object_object_add(root, "bias", json_object_new_double(m->bias));
    json_object_object_add(root, "dim", json_object_new_int(m->dim));
    json_object *cls = json_object_new_array();
    json_object *cs = json_object_new_array();
    for (int k = 0; k < m->n_classes && st == VGG_STATUS_OK; k++) {
        char *e = NULL;   /* the escaping rule of docs/escaping.md */
        st = vgg_text_escape(m->class_names[k], &e);
        json_object_array_add(cls, json_object_new_string(e ? e : ""));
        json_object_array_add(cs, json_object_new_double(m->C[k]));
        free(e);
    }
    json_object_object_add(root, "classes", cls);
    json_object_object_add(root, "C", cs);
    char side_hex[65];
    if (st == VGG_STATUS_OK)
        st = sidecar_digest(m, hex, side_hex);
    if (st != VGG_STATUS_OK)
        goto done;
    json_object_object_add(root, "sidecar_sha256", json_object_new_string(side_hex));
    st = add_features(root, m);
    if (st != VGG_STATUS_OK)
        goto done;
    const char *js = json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE);
    size_t jl = strlen(js);
    side = malloc(jl + 2);
    sp = sidecar_path(path);
    if (!side || !sp) {
        st = vgg_fail(VGG_STATUS_NOMEM, "out of memory");
        goto done;
    }
    memcpy(side, js, jl);
    side[jl] = '\n';
    side[jl + 1] = 0;
    st = write_atomic(sp, side, jl + 1);
    if (st == VGG_STATUS_OK)
        st = vgg_atomic_commit(&af);
done:
    vgg_atomic_abort(&af);
    json_object_put(root);
    free(side);
    free(sp);
    return st;
}

/* ---- loading ---- */

vgg_status svm_json_parse(const char *path, const char *text, json_object **out)
{
    *out = NULL;
    size_t len = strlen(text);
    if (len > INT_MAX)
        return vgg_fail(VGG_STATUS_TOO_LARGE, "'%s': over 2 GiB of JSON", path);
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    json_object *o = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error e = json_tokener_get_error(tok);
    size_t end = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    vgg_status st = VGG_STATUS_OK;
    if (e == json_tokener_continue)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': JSON cut short at byte %zu", path, len);
    else if (e != json_tokener_success)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': not JSON at byte %zu: %s", path, end,
                      json_tokener_error_desc(e));
    else if (text[end + strspn(text + end, " \t\r\n")] != '\0')
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': text after the JSON at byte %zu", path,
                      end + strspn(text + end, " \t\r\n"));
    else if (!o)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': the JSON is null", path);
    if (st != VGG_STATUS_OK) {
        json_object_put(o);
        return st;
    }
    *out = o;
    return VGG_STATUS_OK;
}

static const char *skip_spaces(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

/* Next line [p, eol); returns NULL if no complete line remains. */
static const char *line_end(const char *p)
{
    const char *e = strchr(p, '\n');
    return e;
}

/* The header of LIBLINEAR's model text, up to its "w" line. */
typedef struct model_header {
    int solver, nr_class, nr_feature;
    double bias;
    int *labels;      /* nr_class, malloc'd */
    int line;         /* the "w" line's number */
} model_header;

/* The "label" line's nr_class numbers, at v up to e. */
static vgg_status parse_label_line(const char *path, const char *v, const char *e,
                                   model_header *h)
{
    if (h->nr_class <= 0)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: 'label' before 'nr_class'", path,
                        h->line);
    if (h->labels)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: a second 'label' line", path, h->line);
    h->labels = malloc((size_t)h->nr_class * sizeof *h->labels);
    if (!h->labels)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    const char *q = v;
    for (int c = 0; c < h->nr_class; c++) {
        char *end;
        long lv = strtol(q, &end, 10);
        if (end == q || end > e)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: fewer than %d labels", path,
                            h->line, h->nr_class);
        h->labels[c] = (int)lv;
        q = end;
    }
    return VGG_STATUS_OK;
}

/* One header line [p, e) of key key with its value at v. */
static vgg_status parse_header_line(const char *path, const char *key, const char *p,
                                    const char *v, const char *e, model_header *h)
{
    if (strcmp(key, "solver_type") == 0) {
        char name[64];
        size_t nl = (size_t)(e - v);
        while (nl > 0 && (v[nl - 1] == ' ' || v[nl - 1] == '\r'))
            nl--;
        if (nl >= sizeof name)
            nl = sizeof name - 1;
        memcpy(name, v, nl);
        name[nl] = 0;
        h->solver = svm_solver_from_name(name);
        if (h->solver < 0)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: unknown solver_type '%s'", path,
                            h->line, name);
    } else if (strcmp(key, "nr_class") == 0) {
        h->nr_class = atoi(v);
        if (h->nr_class <= 0 || h->nr_class > 1000000)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: nr_class %d is not a usable "
                            "count", path, h->line, h->nr_class);
        /* compared with the sidecar's later, both numbers named */
    } else if (strcmp(key, "nr_feature") == 0) {
        h->nr_feature = atoi(v);
    } else if (strcmp(key, "bias") == 0) {
        h->bias = strtod(v, NULL);
    } else if (strcmp(key, "label") == 0) {
        return parse_label_line(path, v, e, h);
    } else {
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: unknown header line '%.*s'", path,
                        h->line, (int)(e - p > 40 ? 40 : e - p), p);
    }
    return VGG_STATUS_OK;
}

/* The header lines from *p through "w"; *p then at the first weight line. */
static vgg_status parse_header(const char *path, const char **p, model_header *h)
{
    for (;;) {
        const char *e = line_end(*p);
        h->line++;
        if (!e)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': cut short in the header (line %d)", path,
                            h->line);
        char key[32];
        size_t kl = 0;
        while (*p + kl < e && (*p)[kl] != ' ' && kl < sizeof key - 1) {
            key[kl] = (*p)[kl];
            kl++;
        }
        key[kl] = 0;
        if (strcmp(key, "w") == 0) {
            *p = e + 1;
            return VGG_STATUS_OK;
        }
        vgg_status st = parse_header_line(path, key, *p, skip_spaces(*p + kl), e, h);
        if (st != VGG_STATUS_OK)
            return st;
        *p = e + 1;
    }
}

/* The header complete, agreeing with the sidecar (expect_classes,
 * m->dim), its labels a permutation of 1..nr_class. */
static vgg_status check_header(const char *path, const model_header *h, int expect_classes,
                               const vgg_svm_model *m, bool multilabel)
{
    if (h->solver < 0 || h->nr_class <= 0 || h->nr_feature <= 0 || h->bias == -2 || !h->labels)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': header lacks solver_type, nr_class, label, "
                        "nr_feature or bias", path);
    if (h->nr_class != expect_classes || h->nr_feature != m->dim)
        return vgg_fail(VGG_STATUS_MISMATCH,
                        "'%s' and its sidecar disagree: the model has %d classes of %d "
                        "features, the sidecar %d classes of %d features; the two files are "
                        "from different trainings", path, h->nr_class, h->nr_feature,
                        expect_classes, m->dim);
    for (int c = 0; c < h->nr_class; c++) {
        bool twice = false;
        for (int d = 0; d < c; d++)
            twice |= h->labels[c] == h->labels[d];
        if (h->labels[c] < 1 || h->labels[c] > h->nr_class || twice)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': label %d is not in 1..%d or given twice",
                            path, h->labels[c], h->nr_class);
    }
    if (multilabel && h->nr_class == 2 && h->solver != MCSVM_CS_TYPE)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': a two-class multi-label model must be stored "
                        "as MCSVM_CS", path);
    return VGG_STATUS_OK;
}

/* The weight lines at p into m->w (class columns in label order; a
 * two-class model's one column as +w, -w), then nothing but space. */
static vgg_status parse_weights(const char *path, const char *p, const model_header *h,
                                vgg_svm_model *m)
{
    int K = h->nr_class;
    int nr_w = (K == 2 && h->solver != MCSVM_CS_TYPE) ? 1 : K;
    int rows = h->nr_feature + (h->bias >= 0 ? 1 : 0);
    for (int j = 0; j < rows; j++) {
        const char *e = line_end(p);
        if (!e)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': cut short at line %d: weights end at "
                            "feature %d of %d", path, h->line + 1 + j, j + 1, rows);
        for (int c = 0; c < nr_w; c++) {
            char *end;
            errno = 0;
            double v = strtod(p, &end);
            if (end == p || end > e || !isfinite(v))
                return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: bad weight at feature %d, "
                                "column %d", path, h->line + 1 + j, j + 1, c + 1);
            if (nr_w == 1) {
                m->w[(size_t)j * K + (h->labels[0] - 1)] = v;
                m->w[(size_t)j * K + (h->labels[1] - 1)] = -v;
            } else {
                m->w[(size_t)j * K + (h->labels[c] - 1)] = v;
            }
            p = end;
        }
        p = skip_spaces(p);
        if (p != e)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: extra text after the weights of "
                            "feature %d", path, h->line + 1 + j, j + 1);
        p = e + 1;
    }
    if (*skip_spaces(p) != 0 && *skip_spaces(p) != '\n')
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %d: extra text after the weights", path,
                        h->line + 1 + rows);
    return VGG_STATUS_OK;
}

static vgg_status parse_model_text(const char *path, const char *text, vgg_svm_model *m,
                                   int expect_classes, bool multilabel)
{
    const char *p = text;
    model_header h = { .solver = -1, .nr_class = -1, .nr_feature = -1, .bias = -2 };
    vgg_status st = parse_header(path, &p, &h);
    if (st == VGG_STATUS_OK)
        st = check_header(path, &h, expect_classes, m, multilabel);
    if (st == VGG_STATUS_OK)
        st = parse_weights(path, p, &h, m);
    if (st == VGG_STATUS_OK) {
        if (h.solver != MCSVM_CS_TYPE)
            m->solver = h.solver;
        m->bias = h.bias >= 0 ? h.bias : -1;
    }
    free(h.labels);
    return st;
}

static vgg_status json_get(json_object *root, const char *key, json_type type, const char *path,
                           json_object **out)
{
    if (!json_object_object_get_ex(root, key, out) || !json_object_is_type(*out, type))
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': missing or malformed \"%s\"", path, key);
    return VGG_STATUS_OK;
}

/* The fields of a parsed sidecar that a model needs. */
typedef struct sidecar {
    json_object *cls, *cs, *ml, *solver, *sha, *side_sha;
    int K, dim;
} sidecar;

static vgg_status sidecar_fields(json_object *root, const char *sp, sidecar *f)
{
    json_object *o, *dimo;
    vgg_status st;
    if (!json_object_is_type(root, json_type_object) ||
        !json_object_object_get_ex(root, "format", &o) ||
        !json_object_is_type(o, json_type_string) ||
        strcmp(json_object_get_string(o), "vggsvm-model") != 0)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': not a vggsvm model sidecar (JSON with format "
                        "\"vggsvm-model\")", sp);
    if ((st = json_get(root, "classes", json_type_array, sp, &f->cls)) != VGG_STATUS_OK ||
        (st = json_get(root, "C", json_type_array, sp, &f->cs)) != VGG_STATUS_OK ||
        (st = json_get(root, "dim", json_type_int, sp, &dimo)) != VGG_STATUS_OK ||
        (st = json_get(root, "multilabel", json_type_boolean, sp, &f->ml)) != VGG_STATUS_OK ||
        (st = json_get(root, "solver", json_type_int, sp, &f->solver)) != VGG_STATUS_OK ||
        (st = json_get(root, "model_sha256", json_type_string, sp, &f->sha)) != VGG_STATUS_OK)
        return st;
    if (!json_object_object_get_ex(root, "sidecar_sha256", &f->side_sha) ||
        !json_object_is_type(f->side_sha, json_type_string))
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': has no \"sidecar_sha256\" (written by an "
                        "older vggsvm, or edited): its class names cannot be trusted; retrain "
                        "the model", sp);
    f->K = (int)json_object_array_length(f->cls);
    f->dim = json_object_get_int(dimo);
    if (f->K < 2 || f->dim <= 0 || (int)json_object_array_length(f->cs) != f->K)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': %d classes, dimension %d, %d C values", sp,
                        f->K, f->dim, (int)json_object_array_length(f->cs));
    return VGG_STATUS_OK;
}

/* The sidecar's class names (unescaped) into names[0..K), each malloc'd. */
static vgg_status sidecar_names(const sidecar *f, const char *sp, char **names)
{
    vgg_status st = VGG_STATUS_OK;
    for (int k = 0; k < f->K && st == VGG_STATUS_OK; k++) {
        json_object *e = json_object_array_get_idx(f->cls, (size_t)k);
        if (!json_object_is_type(e, json_type_string))
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': class %d is not a string", sp, k);
        else if ((st = vgg_text_unescape(json_object_get_string(e), &names[k])) != VGG_STATUS_OK)
            vgg_fail_context(st, "'%s': class %d: ", sp, k);
    }
    return st;
}

/* The model's settings from the sidecar: multi-label, solver, C per class
 * and the feature description. */
static vgg_status sidecar_settings(json_object *root, const sidecar *f, const char *sp,
                                   vgg_svm_model *m)
{
    m->multilabel = json_object_get_boolean(f->ml);
    m->solver = json_object_get_int(f->solver);
    if (!svm_solver_name(m->solver))
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': unknown solver %d", sp, m->solver);
    for (int k = 0; k < f->K; k++)
        m->C[k] = json_object_get_double(json_object_array_get_idx(f->cs, (size_t)k));
    json_object *fd;
    if (json_object_object_get_ex(root, "features", &fd) && fd &&
        json_object_is_type(fd, json_type_object)) {
        vgg_status st = vgg_featdesc_from_json(
            json_object_to_json_string_ext(fd, JSON_C_TO_STRING_PLAIN), &m->desc);
        if (st != VGG_STATUS_OK)
            return vgg_fail_context(st, "'%s': feature description: ", sp);
        m->has_desc = true;
    }
    return VGG_STATUS_OK;
}

/* The model's class names and sizes from the sidecar, checked against
 * the model file's length (*text, read here) before the K x dim weights
 * are allocated: every weight the file stores (one column for two
 * classes, else K) takes at least two bytes ("0\n"). */
static vgg_status model_from_sidecar(const sidecar *f, const char *sp, const char *path,
                                     char **text, size_t *text_len, vgg_svm_model **m)
{
    char **names = calloc((size_t)f->K, sizeof *names);
    if (!names)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    vgg_status st = sidecar_names(f, sp, names);
    if (st == VGG_STATUS_OK)
        st = vgg_read_file(path, 0, text, text_len);
    if (st == VGG_STATUS_OK &&
        (uint64_t)(f->K == 2 ? 1 : f->K) * (uint64_t)f->dim > *text_len / 2)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': %d classes of dimension %d, more than its model "
                      "file '%s' (%zu bytes) holds", sp, f->K, f->dim, path, *text_len);
    if (st == VGG_STATUS_OK)
        st = svm_model_alloc(f->K, names, f->dim, m);
    for (int k = 0; k < f->K; k++)
        free(names[k]);
    free(names);
    return st;
}

/* The model file's SHA-256 as the sidecar recorded it, and the sidecar's
 * own digest over what was loaded. */
static vgg_status check_digests(const char *path, const char *sp, const sidecar *f,
                                const vgg_svm_model *m, const char *text, size_t text_len)
{
    vgg_sha256 sh;
    vgg_status st = vgg_sha256_init(&sh);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_sha256_update(&sh, text, text_len);
    char hex[65], side_hex_now[65];
    vgg_sha256_final_hex(&sh, hex);
    if (strcmp(hex, json_object_get_string(f->sha)) != 0)
        return vgg_fail(VGG_STATUS_MISMATCH,
                        "'%s' does not match its sidecar '%s' (SHA-256 differs: changed or cut "
                        "short after it was written)", path, sp);
    st = sidecar_digest(m, hex, side_hex_now);
    if (st == VGG_STATUS_OK && strcmp(side_hex_now, json_object_get_string(f->side_sha)) != 0)
        st = vgg_fail(VGG_STATUS_MISMATCH,
                      "'%s': its class names, C values, settings or feature description were "
                      "changed after '%s' was trained (sidecar_sha256 differs); restore the "
                      "file or retrain", sp, path);
    return st;
}

/* the model file itself first: a missing model is named, not its sidecar */
static vgg_status check_model_file(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
        return vgg_fail(VGG_STATUS_INVALID, "'%s': is a directory; a model is the file written "
                        "by 'vggsvm train -o MODEL' (MODEL, with MODEL.json beside it)", path);
    int mfd;
    vgg_status st = vgg_open_regular(path, &mfd);
    if (st == VGG_STATUS_OK)
        close(mfd);
    return st;
}

vgg_status vgg_svm_model_load(const char *path, vgg_svm_model **out)
{
    *out = NULL;
    vgg_status st = check_model_file(path);
    if (st != VGG_STATUS_OK)
        return st;
    char *sp = sidecar_path(path);
    if (!sp)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    char *side = NULL, *text = NULL;
    size_t side_len = 0, text_len = 0;
    json_object *root = NULL;
    vgg_svm_model *m = NULL;
    sidecar f;
    st = vgg_read_file(sp, 1u << 24, &side, &side_len);
    if (st == VGG_STATUS_OK)
        st = svm_json_parse(sp, side, &root);
    if (st == VGG_STATUS_OK)
        st = sidecar_fields(root, sp, &f);
    if (st == VGG_STATUS_OK)
        st = model_from_sidecar(&f, sp, path, &text, &text_len, &m);
    if (st == VGG_STATUS_OK)
        st = sidecar_settings(root, &f, sp, m);
    if (st == VGG_STATUS_OK && strlen(text) != text_len)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': not a text file", path);
    if (st == VGG_STATUS_OK)
        st = parse_model_text(path, text, m, f.K, m->multilabel);
    if (st == VGG_STATUS_OK)
        st = check_digests(path, sp, &f, m, text, text_len);
    json_object_put(root);
    free(side);
    free(text);
    free(sp);
    if (st != VGG_STATUS_OK) {
        vgg_svm_model_free(m);
        return st;
    }
    *out = m;
    return VGG_STATUS_OK;
}
