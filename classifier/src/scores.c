/* Score files: TSV and JSON. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "svm_internal.h"

void vgg_svm_scores_free(vgg_svm_scores *s)
{
    if (!s)
        return;
    if (s->class_names)
        for (int k = 0; k < s->n_classes; k++)
            free(s->class_names[k]);
    if (s->names)
        for (size_t i = 0; i < s->n; i++)
            free(s->names[i]);
    free(s->class_names);
    free(s->names);
    free(s->scores);
    free(s);
}

json_object *svm_json_escaped(const char *text)
{
    char *e = NULL;
    if (vgg_text_escape(text, &e) != VGG_STATUS_OK)
        return NULL;
    json_object *o = json_object_new_string(e);
    free(e);
    return o;
}

/* Replace *name (malloc'd, read from a score file) by its unescaped bytes;
 * where ("line", "image", "class") and n place it in the message. */
static vgg_status unescape_in_place(char **name, const char *path, const char *where, size_t n)
{
    char *u = NULL;
    vgg_status st = vgg_text_unescape(*name, &u);
    if (st != VGG_STATUS_OK)
        return vgg_fail_context(st, "'%s': %s %zu: ", path, where, n);
    free(*name);
    *name = u;
    return VGG_STATUS_OK;
}

vgg_status vgg_svm_scores_write(const vgg_svm_scores *s, const char *path, bool json)
{
    /* a regular file atomically; "-", /dev/stdout, a device or a FIFO in
     * place, as a stream */
    vgg_atomic_file af;
    vgg_status st = vgg_atomic_open_stream(path, &af);
    if (st != VGG_STATUS_OK)
        return st;
    FILE *fp = af.fp;
    int K = s->n_classes;
    /* names and class names follow the escaping rule (docs/escaping.md):
     * a TAB or newline in a name never adds a field or a row */
    if (!json) {
        fputs("name", fp);
        for (int k = 0; k < K; k++) {
            fputc('\t', fp);
            vgg_tsv_put(fp, s->class_names[k]);
        }
        fputc('\n', fp);
        for (size_t i = 0; i < s->n; i++) {
            vgg_tsv_put(fp, s->names[i]);
            for (int k = 0; k < K; k++)
                fprintf(fp, "\t%.17g", s->scores[i * (size_t)K + k]);   /* read back exactly */
            fputc('\n', fp);
        }
    } else {
        /* written piece by piece: a store can hold many images */
        json_object *cls = json_object_new_array();
        for (int k = 0; k < K; k++)
            json_object_array_add(cls, svm_json_escaped(s->class_names[k]));
        fprintf(fp, "{\"classes\": %s,\n \"multilabel\": %s,\n \"images\": [",
                json_object_to_json_string_ext(cls, JSON_C_TO_STRING_PLAIN |
                                                        JSON_C_TO_STRING_NOSLASHESCAPE),
                s->multilabel ? "true" : "false");
        json_object_put(cls);
        for (size_t i = 0; i < s->n; i++) {
            const double *r = s->scores + i * (size_t)K;
            json_object *img = json_object_new_object();
            json_object_object_add(img, "name", svm_json_escaped(s->names[i]));
            json_object *sc = json_object_new_array();
            for (int k = 0; k < K; k++)
                json_object_array_add(sc, json_object_new_double(r[k]));
            json_object_object_add(img, "scores", sc);
            if (s->multilabel) {
                json_object *pr = json_object_new_array();
                for (int k = 0; k < K; k++)
                    if (r[k] > 0)
                        json_object_array_add(pr, svm_json_escaped(s->class_names[k]));
                json_object_object_add(img, "predicted", pr);
            } else {
                json_object_object_add(img, "predicted",
                                       svm_json_escaped(s->class_names[svm_argmax(r, K)]));
            }
            fprintf(fp, "%s\n  %s", i ? "," : "",
                    json_object_to_json_string_ext(img, JSON_C_TO_STRING_PLAIN |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE));
            json_object_put(img);
        }
        fputs("\n ]}\n", fp);
    }
    st = vgg_atomic_commit(&af);   /* checks every write above, with the reason */
    vgg_atomic_abort(&af);
    return st;
}

/* A NaN score has no place in a ranking: where it sorts would decide the
 * AP.  FORMAT naming the line (TSV) or image (JSON). */
static vgg_status nan_score(const char *path, const char *where, size_t n, const char *name,
                            const char *cls)
{
    return vgg_fail(VGG_STATUS_FORMAT, "'%s': %s %zu: the score of '%s' for class '%s' is NaN; "
                    "a score must be a number (infinities are allowed)", path, where, n, name,
                    cls);
}

static vgg_status read_json(const char *path, const char *buf, vgg_svm_scores *s)
{
    json_object *root = NULL, *cls, *imgs, *ml;
    vgg_status st = svm_json_parse(path, buf, &root);
    if (st != VGG_STATUS_OK)
        return st;
    if (!json_object_object_get_ex(root, "classes", &cls) ||
        !json_object_is_type(cls, json_type_array) ||
        !json_object_object_get_ex(root, "images", &imgs) ||
        !json_object_is_type(imgs, json_type_array)) {
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': not a score file (JSON with \"classes\" and "
                      "\"images\")", path);
        goto done;
    }
    if (json_object_object_get_ex(root, "multilabel", &ml))
        s->multilabel = json_object_get_boolean(ml);
    int K = (int)json_object_array_length(cls);
    size_t n = json_object_array_length(imgs);
    s->class_names = calloc((size_t)(K ? K : 1), sizeof *s->class_names);
    s->names = calloc(n ? n : 1, sizeof *s->names);
    s->scores = malloc((n ? n : 1) * (size_t)(K ? K : 1) * sizeof *s->scores);
    if (!s->class_names || !s->names || !s->scores) {
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
        goto done;
    }
    for (int k = 0; k < K; k++) {
        s->class_names[k] = svm_strdup(json_object_get_string(json_object_array_get_idx(cls, (size_t)k)));
        s->n_classes++;
        if (!s->class_names[k]) {
            st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
            goto done;
        }
        st = unescape_in_place(&s->class_names[k], path, "class", (size_t)k + 1);
        if (st != VGG_STATUS_OK)
            goto done;
    }
    for (size_t i = 0; i < n; i++) {
        json_object *img = json_object_array_get_idx(imgs, i), *nm, *sc;
        if (!json_object_object_get_ex(img, "name", &nm) ||
            !json_object_object_get_ex(img, "scores", &sc) ||
            !json_object_is_type(sc, json_type_array) ||
            (int)json_object_array_length(sc) != K) {
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': image %zu lacks a name or %d scores", path,
                          i + 1, K);
            goto done;
        }
        s->names[i] = svm_strdup(json_object_get_string(nm));
        s->n++;
        if (!s->names[i]) {
            st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
            goto done;
        }
        if ((st = unescape_in_place(&s->names[i], path, "image", i + 1)) != VGG_STATUS_OK)
            goto done;
        for (int k = 0; k < K; k++) {
            json_object *v = json_object_array_get_idx(sc, (size_t)k);
            if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int)) {
                st = vgg_fail(VGG_STATUS_FORMAT, "'%s': image %zu ('%s'): score %d (class '%s') is "
                              "not a number", path, i + 1, s->names[i], k + 1, s->class_names[k]);
                goto done;
            }
            double d = json_object_get_double(v);
            if (isnan(d)) {
                st = nan_score(path, "image", i + 1, s->names[i], s->class_names[k]);
                goto done;
            }
            s->scores[i * (size_t)K + k] = d;
        }
    }
done:
    json_object_put(root);
    return st;
}

static vgg_status read_tsv(const char *path, char *buf, vgg_svm_scores *s, size_t *where)
{
    size_t lines = 0;
    for (char *q = buf; *q; q++)
        lines += *q == '\n';
    char *p = buf;
    char *e = strchr(p, '\n');
    if (!e)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': no header line", path);
    *e = 0;
    if (e > p && e[-1] == '\r')
        e[-1] = 0;
    if (strncmp(p, "name\t", 5) != 0)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': the header must be 'name<TAB>class...'", path);
    int K = 0;
    for (char *q = p; *q; q++)
        K += *q == '\t';
    s->class_names = calloc((size_t)K, sizeof *s->class_names);
    s->names = calloc(lines ? lines : 1, sizeof *s->names);
    s->scores = malloc((lines ? lines : 1) * (size_t)K * sizeof *s->scores);
    if (!s->class_names || !s->names || !s->scores)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    char *f = p + 5;
    for (int k = 0; k < K; k++) {
        char *t = strchr(f, '\t');
        if (t)
            *t = 0;
        s->class_names[k] = svm_strdup(f);
        s->n_classes++;
        if (!s->class_names[k])
            return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
        vgg_status st = unescape_in_place(&s->class_names[k], path, "line", 1);
        if (st != VGG_STATUS_OK)
            return st;
        f = t ? t + 1 : f + strlen(f);
    }
    p = e + 1;
    size_t lineno = 1;
    while (*p) {
        lineno++;
        e = strchr(p, '\n');
        if (!e)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': cut short at line %zu", path, lineno);
        *e = 0;
        if (e > p && e[-1] == '\r')
            e[-1] = 0;
        if (*p == 0) {
            p = e + 1;
            continue;
        }
        char *t = strchr(p, '\t');
        if (!t)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %zu has no scores", path, lineno);
        *t = 0;
        s->names[s->n] = svm_strdup(p);
        if (!s->names[s->n])
            return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
        where[s->n] = lineno;
        s->n++;
        vgg_status st = unescape_in_place(&s->names[s->n - 1], path, "line", lineno);
        if (st != VGG_STATUS_OK)
            return st;
        char *q = t + 1;
        for (int k = 0; k < K; k++) {
            char *end;
            double v = strtod(q, &end);
            if (end == q || (*end != '\t' && *end != 0) || (k + 1 < K && *end != '\t'))
                return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %zu: expected %d scores", path,
                                lineno, K);
            if (isnan(v))
                return nan_score(path, "line", lineno, s->names[s->n - 1], s->class_names[k]);
            s->scores[(s->n - 1) * (size_t)K + k] = v;
            q = end + (*end == '\t');
        }
        if (*q != 0)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': line %zu: more than %d scores", path,
                            lineno, K);
        p = e + 1;
    }
    return VGG_STATUS_OK;
}

typedef struct name_at {
    const char *name;
    size_t i;
} name_at;

static int by_name_then_place(const void *a, const void *b)
{
    const name_at *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Each image scored once: FORMAT naming the repeat that comes first in
 * the file and where the image was first scored (TSV: lines; JSON:
 * where == NULL, images). */
static vgg_status check_unique(const vgg_svm_scores *s, const char *path, const size_t *where)
{
    if (s->n < 2)
        return VGG_STATUS_OK;
    name_at *v = malloc(s->n * sizeof *v);
    if (!v)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    for (size_t i = 0; i < s->n; i++)
        v[i] = (name_at){ s->names[i], i };
    qsort(v, s->n, sizeof *v, by_name_then_place);
    size_t first = 0, again = 0;
    bool found = false;
    for (size_t k = 1; k < s->n; k++)
        if (strcmp(v[k].name, v[k - 1].name) == 0 && (!found || v[k].i < again)) {
            size_t f = k - 1;
            while (f > 0 && strcmp(v[f - 1].name, v[k].name) == 0)
                f--;
            first = v[f].i;
            again = v[k].i;
            found = true;
        }
    free(v);
    if (!found)
        return VGG_STATUS_OK;
    const char *unit = where ? "line" : "image";
    return vgg_fail(VGG_STATUS_FORMAT, "'%s': %s %zu: '%s' is scored twice (first on %s %zu); "
                    "each image needs one row of scores", path, unit,
                    where ? where[again] : again + 1, s->names[again], unit,
                    where ? where[first] : first + 1);
}

vgg_status vgg_svm_scores_read(const char *path, vgg_svm_scores **out)
{
    *out = NULL;
    char *buf = NULL;
    size_t len = 0;
    vgg_status st = vgg_read_file(path, 0, &buf, &len);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_svm_scores *s = calloc(1, sizeof *s);
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    size_t *where = malloc(lines * sizeof *where);
    if (!s || !where) {
        free(buf);
        free(s);
        free(where);
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    }
    /* a UTF-8 byte order mark (as some editors write) is not part of the header */
    char *text = strncmp(buf, "\xEF\xBB\xBF", 3) == 0 ? buf + 3 : buf;
    const char *q = text;
    while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
        q++;
    bool json = *q == '{';
    if (json)
        st = read_json(path, text, s);
    else
        st = read_tsv(path, text, s, where);
    if (st == VGG_STATUS_OK)
        st = check_unique(s, path, json ? NULL : where);
    free(where);
    free(buf);
    if (st == VGG_STATUS_OK && s->n_classes < 1)
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': no classes", path);
    if (st != VGG_STATUS_OK) {
        vgg_svm_scores_free(s);
        return st;
    }
    *out = s;
    return VGG_STATUS_OK;
}

vgg_status vgg_svm_score_store(const vgg_svm_model *m, const vgg_featstore *fs,
                               const char *store_path, vgg_svm_scores **out)
{
    *out = NULL;
    vgg_svm_scores *s = calloc(1, sizeof *s);
    if (!s)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    int K = vgg_svm_model_classes(m);
    s->n = vgg_featstore_rows(fs);
    s->n_classes = K;
    s->multilabel = vgg_svm_model_multilabel(m);
    s->class_names = calloc((size_t)K, sizeof *s->class_names);
    s->names = calloc(s->n ? s->n : 1, sizeof *s->names);
    s->scores = malloc((s->n ? s->n : 1) * (size_t)K * sizeof *s->scores);
    vgg_status st = VGG_STATUS_OK;
    if (!s->class_names || !s->names || !s->scores)
        st = vgg_fail(VGG_STATUS_NOMEM, "out of memory for %zu x %d scores", s->n, K);
    for (int k = 0; k < K && st == VGG_STATUS_OK; k++)
        if (!(s->class_names[k] = svm_strdup(vgg_svm_model_class_name(m, k))))
            st = vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    for (size_t i = 0; i < s->n && st == VGG_STATUS_OK; i++) {
        if (!(s->names[i] = svm_strdup(vgg_featstore_name(fs, i)))) {
            st = vgg_fail(VGG_STATUS_NOMEM, "out of memory");
            break;
        }
        st = vgg_svm_model_score(m, vgg_featstore_row(fs, i), vgg_featstore_dim(fs),
                                 s->scores + i * (size_t)K);
        if (st != VGG_STATUS_OK)
            vgg_fail_context(st, "'%s': row %zu ('%s'): ", store_path, i, s->names[i]);
    }
    if (st != VGG_STATUS_OK) {
        vgg_svm_scores_free(s);
        return st;
    }
    *out = s;
    return VGG_STATUS_OK;
}
