/* The paper's dense multi-scale descriptor (appendix B). */
#include "vgg/extract.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct vgg_extractor {
    int n_nets;
    vgg_net *nets[VGG_FEAT_MAX_NETS];
    int net_dim[VGG_FEAT_MAX_NETS];   /* channels of the layer per net */
    int net_off[VGG_FEAT_MAX_NETS];   /* offset of the net's part in a row */
    vgg_extract_opts o;
    vgg_featdesc desc;
    /* scratch reused between calls */
    float *in;
    size_t in_cap;
    float *outbuf;
    size_t out_cap;
};

struct vgg_prepared {
    int n_scales;
    vgg_image *img[VGG_FEAT_MAX_SCALES];
};

void vgg_extract_opts_default(vgg_extract_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n_scales = 1;
    o->scales[0] = 256;
    o->aggregate = VGG_AGGREGATE_STACK;
    o->layer = VGG_OUTPUT_FC7;
    o->flip = true;
    o->l2 = true;
}

vgg_status vgg_extract_layer_parse(const char *text, vgg_output *out)
{
    if (strcmp(text, "fc7") == 0)
        *out = VGG_OUTPUT_FC7;
    else if (strcmp(text, "fc6") == 0)
        *out = VGG_OUTPUT_FC6;
    else if (strcmp(text, "pool5") == 0)
        *out = VGG_OUTPUT_POOL5;
    else
        return vgg_fail(VGG_STATUS_INVALID, "layer '%s': expected fc7, fc6 or pool5", text);
    return VGG_STATUS_OK;
}

const char *vgg_extract_layer_name(vgg_output layer)
{
    switch (layer) {
    case VGG_OUTPUT_FC7: return "fc7";
    case VGG_OUTPUT_FC6: return "fc6";
    case VGG_OUTPUT_POOL5: return "pool5";
    default: return "?";
    }
}

void vgg_extractor_free(vgg_extractor *ex)
{
    if (!ex)
        return;
    free(ex->in);
    free(ex->outbuf);
    free(ex);
}

vgg_status vgg_extractor_create(vgg_net *const *nets, const char *const *net_names,
                                int n_nets, const vgg_extract_opts *o, vgg_extractor **out)
{
    *out = NULL;
    if (n_nets < 1 || n_nets > VGG_FEAT_MAX_NETS)
        return vgg_fail(VGG_STATUS_INVALID, "extract: between 1 and %d nets, not %d",
                        VGG_FEAT_MAX_NETS, n_nets);
    if (o->n_scales < 1 || o->n_scales > VGG_FEAT_MAX_SCALES)
        return vgg_fail(VGG_STATUS_INVALID, "extract: between 1 and %d scales, not %d",
                        VGG_FEAT_MAX_SCALES, o->n_scales);
    if (o->layer != VGG_OUTPUT_FC7 && o->layer != VGG_OUTPUT_FC6 && o->layer != VGG_OUTPUT_POOL5)
        return vgg_fail(VGG_STATUS_INVALID, "extract: layer must be fc7, fc6 or pool5");
    vgg_extractor *ex = calloc(1, sizeof *ex);
    if (!ex)
        return vgg_fail(VGG_STATUS_NOMEM, "extract: out of memory");
    ex->o = *o;
    ex->n_nets = n_nets;
    vgg_featdesc *d = &ex->desc;
    int dim = 0;
    for (int j = 0; j < n_nets; j++) {
        vgg_net *net = nets[j];
        ex->nets[j] = net;
        const char *name = net_names && net_names[j] ? net_names[j] : "";
        size_t len = strlen(name), cap = sizeof d->net_names[j];
        if (len < cap)
            strcpy(d->net_names[j], name);
        else /* names are for people only: keep the end of a long path */
            snprintf(d->net_names[j], cap, "...%s", name + len - (cap - 4));
        snprintf(d->net_configs[j], sizeof d->net_configs[j], "%s",
                 vgg_config_name(vgg_net_arch(net)->config));
        vgg_net_digest(net, d->net_digests[j]);
        int min = vgg_net_min_input(net);
        for (int s = 0; s < o->n_scales; s++) {
            if (o->scales[s] < min) {
                vgg_extractor_free(ex);
                return vgg_fail(VGG_STATUS_INVALID,
                                "extract: scale %d is below net %s's smallest input side %d",
                                o->scales[s], name, min);
            }
        }
        int oc, oh, ow;
        vgg_status st = vgg_net_output_shape(net, min, min, o->layer, &oc, &oh, &ow);
        if (st != VGG_STATUS_OK) {
            vgg_extractor_free(ex);
            return vgg_fail_context(st, "extract: net %s: ", name);
        }
        ex->net_dim[j] = oc;
        ex->net_off[j] = dim;
        dim += o->aggregate == VGG_AGGREGATE_STACK ? oc * o->n_scales : oc;
    }
    d->dim = dim;
    d->n_nets = n_nets;
    d->n_scales = o->n_scales;
    memcpy(d->scales, o->scales, sizeof d->scales);
    strcpy(d->aggregate, o->aggregate == VGG_AGGREGATE_STACK ? "stack" : "average");
    strcpy(d->layer, vgg_extract_layer_name(o->layer));
    d->flip = o->flip;
    d->l2 = o->l2;
    d->l2_per_net = o->l2_per_net;
    snprintf(d->version, sizeof d->version, "vggfeat %s", VGG_VERSION_STRING);
    *out = ex;
    return VGG_STATUS_OK;
}

const vgg_featdesc *vgg_extractor_desc(const vgg_extractor *ex) { return &ex->desc; }
int vgg_extractor_dim(const vgg_extractor *ex) { return ex->desc.dim; }

void vgg_prepared_free(vgg_prepared *p)
{
    if (!p)
        return;
    for (int s = 0; s < p->n_scales; s++)
        vgg_image_free(p->img[s]);
    free(p);
}

vgg_status vgg_extractor_prepare(const vgg_extractor *ex, const vgg_image *img,
                                 vgg_prepared **out)
{
    *out = NULL;
    vgg_prepared *p = calloc(1, sizeof *p);
    if (!p)
        return vgg_fail(VGG_STATUS_NOMEM, "extract: out of memory");
    for (int s = 0; s < ex->o.n_scales; s++) {
        vgg_status st = vgg_image_resize_short(img, ex->o.scales[s], &p->img[s]);
        if (st != VGG_STATUS_OK) {
            vgg_prepared_free(p);
            return st;
        }
        p->n_scales = s + 1;
    }
    *out = p;
    return VGG_STATUS_OK;
}

static vgg_status grow(void **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return VGG_STATUS_OK;
    void *nb = realloc(*buf, need);
    if (!nb)
        return vgg_fail(VGG_STATUS_NOMEM, "extract: out of memory (%zu bytes)", need);
    *buf = nb;
    *cap = need;
    return VGG_STATUS_OK;
}

/* v[0..n) divided by its L2 norm; an all-zero part stays zero */
static void l2_normalise(double *v, int n)
{
    double ss = 0;
    for (int i = 0; i < n; i++)
        ss += v[i] * v[i];
    const double norm = sqrt(ss);
    if (norm > 0)
        for (int i = 0; i < n; i++)
            v[i] /= norm;
}

vgg_status vgg_extractor_run(vgg_extractor *ex, vgg_prepared *const *p, int n, int batch,
                             float *out)
{
    const vgg_extract_opts *o = &ex->o;
    const int dim = ex->desc.dim;
    const int views = o->flip ? 2 : 1;
    if (batch < 1)
        batch = 1;
    double *acc = calloc((size_t)n * dim, sizeof(double));
    if (!acc)
        return vgg_fail(VGG_STATUS_NOMEM, "extract: out of memory");
    vgg_status st = VGG_STATUS_OK;
    for (int j = 0; j < ex->n_nets && st == VGG_STATUS_OK; j++) {
        vgg_net *net = ex->nets[j];
        const vgg_preproc *pp = vgg_net_preproc(net);
        const int C = ex->net_dim[j];
        for (int s = 0; s < o->n_scales && st == VGG_STATUS_OK; s++) {
            for (int k0 = 0; k0 < n && st == VGG_STATUS_OK;) {
                /* a run of images with the same resized size, at most batch */
                const int w = p[k0]->img[s]->w, h = p[k0]->img[s]->h;
                int k1 = k0 + 1;
                while (k1 < n && k1 - k0 < batch && p[k1]->img[s]->w == w &&
                       p[k1]->img[s]->h == h)
                    k1++;
                const int m = (k1 - k0) * views;
                int oc, oh, ow;
                st = vgg_net_output_shape(net, h, w, o->layer, &oc, &oh, &ow);
                if (st != VGG_STATUS_OK)
                    break;
                const size_t in_n = (size_t)3 * h * w;
                st = grow((void **)&ex->in, &ex->in_cap, m * in_n * sizeof(float));
                if (st == VGG_STATUS_OK)
                    st = grow((void **)&ex->outbuf, &ex->out_cap, (size_t)m * oc * sizeof(float));
                if (st != VGG_STATUS_OK)
                    break;
                for (int k = k0; k < k1; k++)
                    for (int v = 0; v < views; v++)
                        vgg_image_to_input(p[k]->img[s], pp, v == 1,
                                           ex->in + ((size_t)(k - k0) * views + v) * in_n);
                /* the map's global average pooling runs on the net's backend */
                st = vgg_net_forward_pooled(net, ex->in, m, h, w, o->layer, ex->outbuf);
                if (st != VGG_STATUS_OK)
                    break;
                for (int k = k0; k < k1; k++) {
                    double *row = acc + (size_t)k * dim + ex->net_off[j] +
                                  (o->aggregate == VGG_AGGREGATE_STACK ? (size_t)s * C : 0);
                    const double scale = 1.0 / ((double)views *
                                                (o->aggregate == VGG_AGGREGATE_STACK
                                                     ? 1 : o->n_scales));
                    for (int v = 0; v < views; v++) {
                        const float *mean = ex->outbuf + ((size_t)(k - k0) * views + v) * oc;
                        for (int c = 0; c < C; c++)
                            row[c] += mean[c] * scale;
                    }
                }
                k0 = k1;
            }
        }
    }
    if (st == VGG_STATUS_OK) {
        for (int k = 0; k < n; k++) {
            double *row = acc + (size_t)k * dim;
            if (o->l2_per_net)
                for (int j = 0; j < ex->n_nets; j++) {
                    const int end = j + 1 < ex->n_nets ? ex->net_off[j + 1] : dim;
                    l2_normalise(row + ex->net_off[j], end - ex->net_off[j]);
                }
            if (o->l2)
                l2_normalise(row, dim);
            for (int i = 0; i < dim; i++) {
                out[(size_t)k * dim + i] = (float)row[i];
                if (!isfinite(out[(size_t)k * dim + i])) {
                    st = vgg_fail(VGG_STATUS_NUMERIC,
                                  "extract: descriptor value %d is not finite", i);
                    break;
                }
            }
        }
    }
    free(acc);
    return st;
}

vgg_status vgg_extractor_compute(vgg_extractor *ex, const vgg_image *img, float *out)
{
    vgg_prepared *p = NULL;
    vgg_status st = vgg_extractor_prepare(ex, img, &p);
    if (st == VGG_STATUS_OK)
        st = vgg_extractor_run(ex, &p, 1, 1, out);
    vgg_prepared_free(p);
    return st;
}
