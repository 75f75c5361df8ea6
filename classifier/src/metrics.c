/* Metrics: average precision (VOC-2007 11-point, VOC-2010+ area, plain),
 * accuracy, mean class recall, top-k, confusion matrix. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "svm_internal.h"

typedef struct scored {
    double s;
    int8_t pos;
} scored;

static int cmp_desc(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x < y) - (x > y);
}

/* The precision-recall points: tp[p] true positives among the all[p]
 * best-scored rows, one point per distinct score; returns the count. */
static size_t curve_points(scored *v, size_t m, size_t *tp, size_t *all)
{
    qsort(v, m, sizeof *v, cmp_desc);
    size_t np = 0, ctp = 0;
    for (size_t i = 0; i < m; i++) {
        ctp += v[i].pos;
        if (i + 1 == m || v[i + 1].s != v[i].s) {
            tp[np] = ctp;
            all[np] = i + 1;
            np++;
        }
    }
    return np;
}

/* The APs below add terms that are each at most their bound (a precision
 * tp / all <= 1, times a count of positives) and divide once at the end:
 * rounding is monotone, so the sum stays at most the sum of the bounds,
 * an integer held exactly, and the AP at most 1.  (Dividing each term
 * first gave 1.0000000000000002 for 9 or 11 equal terms.) */
static double ap_plain(const size_t *tp, const size_t *all, size_t np, size_t npos)
{
    double sum = 0.0;
    size_t prev = 0;
    for (size_t p = 0; p < np; p++) {
        double prec = (double)tp[p] / (double)all[p];
        sum += (double)(tp[p] - prev) * prec;
        prev = tp[p];
    }
    return sum / (double)npos;
}

static double ap_voc07(const size_t *tp, const size_t *all, size_t np, size_t npos)
{
    double sum = 0.0;
    for (int t = 0; t <= 10; t++) {
        double best = 0.0;
        for (size_t p = 0; p < np; p++) {
            /* recall >= t/10, compared exactly: tp * 10 >= t * npos */
            if (tp[p] * 10 >= (size_t)t * npos) {
                double prec = (double)tp[p] / (double)all[p];
                if (prec > best)
                    best = prec;
            }
        }
        sum += best;
    }
    return sum / 11.0;
}

/* The envelope from the right, then the sum over recall steps; NaN out of
 * memory. */
static double ap_area(const size_t *tp, const size_t *all, size_t np, size_t npos)
{
    double env = 0.0, sum = 0.0;
    double *e = malloc((np ? np : 1) * sizeof *e);
    if (!e)
        return NAN;
    for (size_t p = np; p-- > 0;) {
        double prec = (double)tp[p] / (double)all[p];
        if (prec > env)
            env = prec;
        e[p] = env;
    }
    size_t prev = 0;
    for (size_t p = 0; p < np; p++) {
        sum += (double)(tp[p] - prev) * e[p];
        prev = tp[p];
    }
    free(e);
    return sum / (double)npos;
}

double vgg_metric_ap(const double *scores, const int8_t *truth, size_t n, size_t stride,
                     vgg_ap_kind kind)
{
    if (stride == 0)
        stride = 1;
    size_t m = 0, npos = 0;
    for (size_t i = 0; i < n; i++) {
        int8_t t = truth[i * stride];
        if (t != 0 && !isnan(scores[i * stride])) {
            m++;
            npos += t > 0;
        }
    }
    if (npos == 0)
        return NAN;
    scored *v = malloc(m * sizeof *v);
    size_t *tp = malloc(m * sizeof *tp);
    size_t *all = malloc(m * sizeof *all);
    double ap = NAN;
    if (v && tp && all) {
        m = 0;
        for (size_t i = 0; i < n; i++) {
            int8_t t = truth[i * stride];
            if (t != 0 && !isnan(scores[i * stride]))
                v[m++] = (scored){ scores[i * stride], (int8_t)(t > 0) };
        }
        size_t np = curve_points(v, m, tp, all);
        ap = kind == VGG_AP_PLAIN   ? ap_plain(tp, all, np, npos)
             : kind == VGG_AP_VOC07 ? ap_voc07(tp, all, np, npos)
                                    : ap_area(tp, all, np, npos);
    }
    free(v);
    free(tp);
    free(all);
    return ap;
}

int svm_argmax(const double *s, int k)
{
    int b = 0;
    for (int c = 1; c < k; c++)
        if (s[c] > s[b])
            b = c;
    return b;
}

double svm_mean_recall(const double *scores, size_t n, int k, const int *cls)
{
    size_t *hit = calloc((size_t)k, sizeof *hit);
    size_t *cnt = calloc((size_t)k, sizeof *cnt);
    double r = NAN;
    if (hit && cnt) {
        for (size_t i = 0; i < n; i++) {
            cnt[cls[i]]++;
            hit[cls[i]] += svm_argmax(scores + i * (size_t)k, k) == cls[i];
        }
        double sum = 0;
        int used = 0;
        for (int c = 0; c < k; c++)
            if (cnt[c]) {
                sum += (double)hit[c] / (double)cnt[c];
                used++;
            }
        if (used)
            r = sum / used;
    }
    free(hit);
    free(cnt);
    return r;
}

double vgg_metric_topk(const double *scores, size_t n, int k, const int *cls, int topk)
{
    if (n == 0)
        return NAN;
    size_t ok = 0;
    for (size_t i = 0; i < n; i++) {
        const double *s = scores + i * (size_t)k;
        int higher = 0;
        for (int c = 0; c < k; c++)
            higher += s[c] > s[cls[i]];
        ok += higher < topk;
    }
    return (double)ok / (double)n;
}

void vgg_svm_eval_free(vgg_svm_eval *e)
{
    if (!e)
        return;
    free(e->recall);
    free(e->n_pos);
    free(e->ap07);
    free(e->ap_area);
    free(e->ap_plain);
    free(e->confusion);
    free(e);
}

vgg_status vgg_svm_evaluate(const double *scores, size_t n, int k, const int *cls,
                            const int8_t *truth, vgg_svm_eval **out)
{
    *out = NULL;
    if (k < 1 || (!cls && !truth))
        return vgg_fail(VGG_STATUS_INVALID, "evaluation needs classes and ground truth");
    vgg_svm_eval *e = calloc(1, sizeof *e);
    int8_t *t1 = NULL;
    if (!e)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    e->n_classes = k;
    e->n = n;
    e->recall = malloc((size_t)k * sizeof *e->recall);
    e->n_pos = calloc((size_t)k, sizeof *e->n_pos);
    e->ap07 = malloc((size_t)k * sizeof *e->ap07);
    e->ap_area = malloc((size_t)k * sizeof *e->ap_area);
    e->ap_plain = malloc((size_t)k * sizeof *e->ap_plain);
    t1 = malloc(n ? n : 1);
    if (cls)
        e->confusion = calloc((size_t)k * k, sizeof *e->confusion);
    if (!e->recall || !e->n_pos || !e->ap07 || !e->ap_area || !e->ap_plain || !t1 ||
        (cls && !e->confusion)) {
        vgg_svm_eval_free(e);
        free(t1);
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    }
    for (int c = 0; c < k; c++) {
        for (size_t i = 0; i < n; i++) {
            t1[i] = cls ? (cls[i] == c ? 1 : -1) : truth[i * (size_t)k + c];
            e->n_pos[c] += t1[i] > 0;
        }
        const double *sc = scores + c;
        /* vgg_metric_ap with stride k over scores, 1 over t1 */
        double *col = malloc((n ? n : 1) * sizeof *col);
        if (!col) {
            vgg_svm_eval_free(e);
            free(t1);
            return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
        }
        for (size_t i = 0; i < n; i++)
            col[i] = sc[i * (size_t)k];
        e->ap07[c] = vgg_metric_ap(col, t1, n, 1, VGG_AP_VOC07);
        e->ap_area[c] = vgg_metric_ap(col, t1, n, 1, VGG_AP_AREA);
        e->ap_plain[c] = vgg_metric_ap(col, t1, n, 1, VGG_AP_PLAIN);
        free(col);
    }
    free(t1);
    double s07 = 0, sa = 0, sp = 0;
    for (int c = 0; c < k; c++)
        if (e->n_pos[c] > 0) {
            s07 += e->ap07[c];
            sa += e->ap_area[c];
            sp += e->ap_plain[c];
            e->n_ap_classes++;
        }
    e->map07 = e->n_ap_classes ? s07 / e->n_ap_classes : NAN;
    e->map_area = e->n_ap_classes ? sa / e->n_ap_classes : NAN;
    e->map_plain = e->n_ap_classes ? sp / e->n_ap_classes : NAN;
    if (cls) {
        size_t hit = 0;
        for (size_t i = 0; i < n; i++) {
            int p = svm_argmax(scores + i * (size_t)k, k);
            e->confusion[(size_t)cls[i] * k + p]++;
            hit += p == cls[i];
        }
        e->accuracy = n ? (double)hit / (double)n : NAN;
        for (int c = 0; c < k; c++)
            e->recall[c] = e->n_pos[c] ? (double)e->confusion[(size_t)c * k + c] /
                                             (double)e->n_pos[c]
                                       : NAN;
        e->mean_recall = svm_mean_recall(scores, n, k, cls);
        e->top5 = vgg_metric_topk(scores, n, k, cls, 5);
    } else {
        e->accuracy = e->mean_recall = e->top5 = NAN;
        for (int c = 0; c < k; c++)
            e->recall[c] = NAN;
    }
    *out = e;
    return VGG_STATUS_OK;
}

/* ---- confusion matrix files ---- */

vgg_status vgg_svm_confusion_csv(const vgg_svm_eval *e, char *const *names, const char *path)
{
    if (!e->confusion)
        return vgg_fail(VGG_STATUS_INVALID, "no confusion matrix for multi-label scores");
    vgg_atomic_file af;
    vgg_status st = vgg_atomic_open_stream(path, &af);   /* a file, or a stream in place */
    if (st != VGG_STATUS_OK)
        return st;
    int k = e->n_classes;
    fputs("true\\predicted", af.fp);
    for (int c = 0; c < k; c++) {
        fputc(',', af.fp);
        vgg_csv_put(af.fp, names[c]);   /* docs/escaping.md */
    }
    fputc('\n', af.fp);
    for (int r = 0; r < k; r++) {
        vgg_csv_put(af.fp, names[r]);
        for (int c = 0; c < k; c++)
            fprintf(af.fp, ",%zu", e->confusion[(size_t)r * k + c]);
        fputc('\n', af.fp);
    }
    st = vgg_atomic_commit(&af);   /* checks every write above, with the reason */
    vgg_atomic_abort(&af);
    return st;
}

static void xml_text(FILE *fp, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", fp); break;
        case '>': fputs("&gt;", fp); break;
        case '&': fputs("&amp;", fp); break;
        case '"': fputs("&quot;", fp); break;
        default: fputc(*s, fp);
        }
    }
}

vgg_status vgg_svm_confusion_svg(const vgg_svm_eval *e, char *const *names, const char *path)
{
    if (!e->confusion)
        return vgg_fail(VGG_STATUS_INVALID, "no confusion matrix for multi-label scores");
    int k = e->n_classes;
    int cell = k <= 40 ? 24 : 10;
    size_t longest = 1;
    for (int c = 0; c < k; c++)
        if (strlen(names[c]) > longest)
            longest = strlen(names[c]);
    if (longest > 30)
        longest = 30;
    int margin = 10 + (int)longest * 7;
    int size = margin + k * cell + 10;
    vgg_atomic_file af;
    vgg_status st = vgg_atomic_open_stream(path, &af);   /* a file, or a stream in place */
    if (st != VGG_STATUS_OK)
        return st;
    FILE *fp = af.fp;
    fprintf(fp, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"%d\">\n",
            size, size, size, size, cell <= 10 ? 8 : 11);
    fprintf(fp, "<title>confusion matrix: rows true class, columns predicted</title>\n");
    fprintf(fp, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n", size, size);
    for (int r = 0; r < k; r++) {
        size_t row = 0;
        for (int c = 0; c < k; c++)
            row += e->confusion[(size_t)r * k + c];
        for (int c = 0; c < k; c++) {
            size_t v = e->confusion[(size_t)r * k + c];
            double f = row ? (double)v / (double)row : 0.0;
            int g = (int)lround(255.0 * (1.0 - f));
            fprintf(fp, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
                        "fill=\"rgb(%d,%d,255)\"><title>",
                    margin + c * cell, margin + r * cell, cell, cell, g, g);
            xml_text(fp, names[r]);
            fputs(" -> ", fp);
            xml_text(fp, names[c]);
            fprintf(fp, ": %zu</title></rect>\n", v);
            if (k <= 40 && v > 0)
                fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\" fill=\"%s\">%zu</text>\n",
                        margin + c * cell + cell / 2, margin + r * cell + cell * 2 / 3,
                        f > 0.5 ? "white" : "black", v);
        }
        fprintf(fp, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">", margin - 4,
                margin + r * cell + cell * 2 / 3);
        xml_text(fp, names[r]);
        fputs("</text>\n", fp);
    }
    for (int c = 0; c < k; c++) {
        int x = margin + c * cell + cell * 2 / 3, y = margin - 4;
        fprintf(fp, "<text x=\"%d\" y=\"%d\" transform=\"rotate(-90 %d %d)\">", x, y, x, y);
        xml_text(fp, names[c]);
        fputs("</text>\n", fp);
    }
    fputs("</svg>\n", fp);
    if (ferror(fp))
        st = vgg_fail(VGG_STATUS_IO, "'%s': write failed", path);
    else
        st = vgg_atomic_commit(&af);
    vgg_atomic_abort(&af);
    return st;
}
