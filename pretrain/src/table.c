/* The arithmetic of Tables 3-6: per-scale and all-scale posteriors by
 * method, dense and multi-crop combined, nets ensembled, errors counted. */
#include <stdlib.h>
#include <string.h>

#include "vgg/pretrain.h"

#define N_METHODS VGG_PRETRAIN_N_METHODS

struct vgg_pretrain_table {
    int n_nets, nq, NQ, methods, grid, C;   /* nq: the most scales of a net; slot nq: all */
    int *nqk;                      /* [net] its number of scales */
    int *qsk;                      /* [net][VGG_PRETRAIN_MAX_Q] its scales */
    size_t per_net;                /* N_METHODS * NQ * C */
    float *prob;                   /* [net or ensemble][method][q or all][class] */
    float *one;
    vgg_pretrain_errors *A;        /* [net or ensemble][method][q or all] */
};

vgg_status vgg_pretrain_table_create(int n_nets, const int *qs, int nq, int methods, int grid,
                                     int classes, vgg_pretrain_table **out)
{
    *out = NULL;
    if (n_nets < 1 || n_nets > 1024)
        return vgg_fail(VGG_STATUS_INVALID, "eval: %d nets", n_nets);
    const int **qsv = malloc((size_t)n_nets * sizeof *qsv);
    int *nqv = malloc((size_t)n_nets * sizeof *nqv);
    vgg_status st = VGG_STATUS_NOMEM;
    if (qsv && nqv) {
        for (int k = 0; k < n_nets; k++)
            qsv[k] = qs, nqv[k] = nq;
        st = vgg_pretrain_table_create_per_net(n_nets, qsv, nqv, methods, grid, classes, out);
    } else {
        vgg_fail(st, "eval: out of memory");
    }
    free(qsv);
    free(nqv);
    return st;
}

vgg_status vgg_pretrain_table_create_per_net(int n_nets, const int *const *qs, const int *nq,
                                             int methods, int grid, int classes,
                                             vgg_pretrain_table **out)
{
    *out = NULL;
    int most = 0;
    for (int k = 0; k < n_nets; k++) {
        if (nq[k] < 1 || nq[k] > VGG_PRETRAIN_MAX_Q)
            return vgg_fail(VGG_STATUS_INVALID, "eval: net %d has %d scales (1 to %d)", k + 1,
                            nq[k], VGG_PRETRAIN_MAX_Q);
        if (nq[k] > most)
            most = nq[k];
    }
    if (n_nets < 1 || classes < 1)
        return vgg_fail(VGG_STATUS_INVALID, "eval: %d nets, %d classes", n_nets, classes);
    vgg_pretrain_table *t = calloc(1, sizeof *t);
    if (!t)
        return vgg_fail(VGG_STATUS_NOMEM, "eval: out of memory");
    t->n_nets = n_nets;
    t->nq = most;
    t->NQ = most + 1;
    t->methods = methods & VGG_PRETRAIN_COMBINED
                     ? methods | VGG_PRETRAIN_DENSE | VGG_PRETRAIN_MULTICROP : methods;
    t->grid = grid;
    t->C = classes;
    t->per_net = (size_t)N_METHODS * t->NQ * classes;
    t->prob = calloc((size_t)(n_nets + 1) * t->per_net, sizeof *t->prob);
    t->A = calloc((size_t)(n_nets + 1) * N_METHODS * t->NQ, sizeof *t->A);
    t->one = calloc((size_t)classes, sizeof *t->one);
    t->nqk = calloc((size_t)n_nets, sizeof *t->nqk);
    t->qsk = calloc((size_t)n_nets * VGG_PRETRAIN_MAX_Q, sizeof *t->qsk);
    if (!t->prob || !t->A || !t->one || !t->nqk || !t->qsk) {
        vgg_pretrain_table_free(t);
        return vgg_fail(VGG_STATUS_NOMEM, "eval: out of memory");
    }
    for (int k = 0; k < n_nets; k++) {
        t->nqk[k] = nq[k];
        memcpy(t->qsk + (size_t)k * VGG_PRETRAIN_MAX_Q, qs[k], (size_t)nq[k] * sizeof **qs);
    }
    *out = t;
    return VGG_STATUS_OK;
}

void vgg_pretrain_table_free(vgg_pretrain_table *t)
{
    if (!t)
        return;
    free(t->prob);
    free(t->A);
    free(t->one);
    free(t->nqk);
    free(t->qsk);
    free(t);
}

/* net k's posteriors by method and scale, their all-scale means, combined */
static vgg_status net_posteriors(vgg_pretrain_table *t, int k, vgg_net *net,
                                 const vgg_image *img, float *P)
{
    const int C = t->C, NQ = t->NQ, nq = t->nqk[k], all_slot = t->nq;
    const int *qs = t->qsk + (size_t)k * VGG_PRETRAIN_MAX_Q;
    vgg_status st = VGG_STATUS_OK;
    for (int m = 0; m < 3 && st == VGG_STATUS_OK; m++) {
        if (!(t->methods & (1 << m)))
            continue;
        for (int qi = 0; qi < nq && st == VGG_STATUS_OK; qi++) {
            st = vgg_pretrain_eval_image(net, img, qs[qi], (vgg_pretrain_method)(1 << m),
                                         t->grid, t->one);
            float *dst = P + ((size_t)m * NQ + qi) * C, *all = P + ((size_t)m * NQ + all_slot) * C;
            for (int j = 0; j < C; j++) {
                dst[j] = t->one[j];
                all[j] += t->one[j] / nq;
            }
        }
    }
    if (t->methods & VGG_PRETRAIN_COMBINED)
        for (int qi = 0; qi < NQ; qi++)
            for (int j = 0; j < C; j++)
                P[((size_t)3 * NQ + qi) * C + j] =
                    0.5f * (P[((size_t)1 * NQ + qi) * C + j] + P[((size_t)2 * NQ + qi) * C + j]);
    return st;
}

static void score(vgg_pretrain_errors *a, const float *p, int C, int label)
{
    int r = vgg_pretrain_rank(p, C, label);
    a->n++;
    a->e1 += r >= 1;
    a->e5 += r >= 5;
}

vgg_status vgg_pretrain_table_add(vgg_pretrain_table *t, vgg_net *const *nets,
                                  const vgg_image *img, int label)
{
    const int C = t->C, NQ = t->NQ, nq = t->nq, n_nets = t->n_nets;
    float *prob = t->prob;
    memset(prob, 0, sizeof *prob * (size_t)(n_nets + 1) * t->per_net);
    vgg_status st = VGG_STATUS_OK;
    for (int k = 0; k < n_nets && st == VGG_STATUS_OK; k++) {
        float *P = prob + k * t->per_net;
        st = net_posteriors(t, k, nets[k], img, P);
        /* the ensemble averages each net's all-scales posteriors */
        for (int m = 0; m < N_METHODS; m++)
            for (int j = 0; j < C; j++)
                prob[n_nets * t->per_net + ((size_t)m * NQ + nq) * C + j] +=
                    P[((size_t)m * NQ + nq) * C + j] / n_nets;
    }
    if (st != VGG_STATUS_OK)
        return st;
    for (int k = 0; k <= n_nets; k++)
        for (int m = 0; m < N_METHODS; m++)
            for (int qi = 0; qi < NQ; qi++)
                if (qi == nq || (k < n_nets && qi < t->nqk[k]))
                    score(&t->A[((size_t)k * N_METHODS + m) * NQ + qi],
                      prob + k * t->per_net + ((size_t)m * NQ + qi) * C, C, label);
    return VGG_STATUS_OK;
}

const vgg_pretrain_errors *vgg_pretrain_table_errors(const vgg_pretrain_table *t, int k, int m,
                                                     int qi)
{
    /* qi at or past the net's own count: its all-scales slot */
    if (qi >= (k < t->n_nets ? t->nqk[k] : t->nq))
        qi = t->nq;
    return &t->A[((size_t)k * N_METHODS + m) * t->NQ + qi];
}

vgg_status vgg_pretrain_table_add_dataset(vgg_pretrain_table *t, vgg_net *const *nets,
                                          const vgg_pretrain_dataset *ds, size_t limit,
                                          vgg_pretrain_note note, void *ctx,
                                          long long *evaluated, long long *unreadable)
{
    *evaluated = *unreadable = 0;
    size_t n = limit > 0 && limit < ds->n ? limit : ds->n;
    vgg_decode_opts dopts;
    vgg_decode_opts_default(&dopts);
    vgg_status st = VGG_STATUS_OK;
    for (size_t i = 0; i < n && st == VGG_STATUS_OK; i++) {
        vgg_image *img = NULL;
        if (vgg_image_load(ds->paths[i], &dopts, &img) != VGG_STATUS_OK) {
            if (note)
                note(ctx, i + 1, n, vgg_last_error());
            (*unreadable)++;
            continue;
        }
        st = vgg_pretrain_table_add(t, nets, img, ds->labels[i]);
        vgg_image_free(img);
        *evaluated += st == VGG_STATUS_OK;
        if ((i + 1) % 1000 == 0 && note)
            note(ctx, i + 1, n, NULL);
    }
    return st;
}

vgg_status vgg_pretrain_parse_methods(const char *text, int *methods)
{
    static const struct { const char *name; int mask; } names[] = {
        { "center", VGG_PRETRAIN_CENTER },       { "centre", VGG_PRETRAIN_CENTER },
        { "dense", VGG_PRETRAIN_DENSE },         { "multi", VGG_PRETRAIN_MULTICROP },
        { "multi-crop", VGG_PRETRAIN_MULTICROP }, { "combined", VGG_PRETRAIN_COMBINED },
        { "all", 15 },
    };
    *methods = 0;
    char *copy = strdup(text), *save = NULL;
    if (!copy)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        size_t j = 0;
        while (j < sizeof names / sizeof names[0] && strcmp(w, names[j].name) != 0)
            j++;
        if (j == sizeof names / sizeof names[0]) {
            vgg_status st = vgg_fail(VGG_STATUS_INVALID, "unknown method '%s'", w);
            free(copy);
            return st;
        }
        *methods |= names[j].mask;
    }
    free(copy);
    if (*methods & VGG_PRETRAIN_COMBINED)
        *methods |= VGG_PRETRAIN_DENSE | VGG_PRETRAIN_MULTICROP;
    return VGG_STATUS_OK;
}

vgg_status vgg_pretrain_eval_nets_load(const char *const *weights, int n_nets,
                                       const char *const *scales, int n_scales,
                                       const vgg_pretrain_dataset *ds, vgg_backend *be,
                                       vgg_net **nets, int (*qs)[VGG_PRETRAIN_MAX_Q], int *nq)
{
    vgg_status st = VGG_STATUS_OK;
    for (int k = 0; k < n_nets && st == VGG_STATUS_OK; k++) {
        st = vgg_net_load(weights[k], be, &nets[k]);
        if (st == VGG_STATUS_OK && vgg_net_arch(nets[k])->num_classes != ds->n_classes)
            st = vgg_fail(VGG_STATUS_MISMATCH, "'%s' has %d classes, the data %d", weights[k],
                          vgg_net_arch(nets[k])->num_classes, ds->n_classes);
    }
    for (int k = 0; k < n_nets && st == VGG_STATUS_OK; k++) {
        if (n_scales == 0) {
            qs[k][0] = vgg_net_arch(nets[k])->input_size;
            nq[k] = 1;
        } else {
            st = vgg_parse_int_list(scales[n_scales > 1 ? k : 0], qs[k], VGG_PRETRAIN_MAX_Q,
                                    &nq[k]);
        }
    }
    return st;
}
