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
    int part_dim;                     /* floats of one part (the box's or the image's) */
    /* scratch reused between calls */
    float *in;
    size_t in_cap;
    float *outbuf;
    size_t out_cap;
};

struct vgg_prepared {
    int n_scales;
    vgg_image *img[2][VGG_FEAT_MAX_SCALES];   /* [part][scale]: the box (or image), then
                                                 the whole image with with_image */
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
    ex->o.boxes = o->boxes || o->with_image;
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
    ex->part_dim = dim;
    if (o->with_image)
        dim *= 2;
    d->dim = dim;
    d->n_nets = n_nets;
    d->n_scales = o->n_scales;
    memcpy(d->scales, o->scales, sizeof d->scales);
    strcpy(d->aggregate, o->aggregate == VGG_AGGREGATE_STACK ? "stack" : "average");
    strcpy(d->layer, vgg_extract_layer_name(o->layer));
    d->flip = o->flip;
    d->l2 = o->l2;
    d->l2_per_net = o->l2_per_net;
    strcpy(d->region, o->with_image ? "box+image" : ex->o.boxes ? "box" : "");
    d->alpha_white = o->alpha == VGG_ALPHA_WHITE;
    const vgg_device_opts *dev = vgg_backend_device_opts(vgg_net_backend(nets[0]));
    snprintf(d->precision, sizeof d->precision, "%s",
             vgg_precision_name(dev ? dev->precision : VGG_PRECISION_FP32));
    snprintf(d->version, sizeof d->version, "vggfeat %s", VGG_VERSION_STRING);
    *out = ex;
    return VGG_STATUS_OK;
}

const vgg_featdesc *vgg_extractor_desc(const vgg_extractor *ex) { return &ex->desc; }
int vgg_extractor_dim(const vgg_extractor *ex) { return ex->desc.dim; }

void vgg_extractor_decode_opts(const vgg_extractor *ex, vgg_decode_opts *o)
{
    vgg_decode_opts_default(o);
    o->alpha = ex->o.alpha;
}

/* the budget of a net run: the flip is a second view in the same run */
static vgg_input_budget budget_of(const vgg_extractor *ex)
{
    return (vgg_input_budget){ ex->o.max_input_pixels, ex->o.flip ? 2 : 1,
                               "--max-input-pixels" };
}

vgg_status vgg_extractor_check_size(const vgg_extractor *ex, const char *name, int w, int h)
{
    const vgg_input_budget b = budget_of(ex);
    vgg_status st = VGG_STATUS_OK;
    for (int s = 0; s < ex->o.n_scales && st == VGG_STATUS_OK; s++)
        st = vgg_image_check_input(name, w, h, ex->o.scales[s], &b);
    return st;
}

void vgg_prepared_free(vgg_prepared *p)
{
    if (!p)
        return;
    for (int s = 0; s < p->n_scales; s++) {
        vgg_image_free(p->img[0][s]);
        vgg_image_free(p->img[1][s]);
    }
    free(p);
}

static int parts_of(const vgg_extractor *ex) { return ex->o.with_image ? 2 : 1; }

vgg_status vgg_extractor_prepare_box(const vgg_extractor *ex, const vgg_image *img,
                                     const vgg_box *box, vgg_prepared **out)
{
    *out = NULL;
    vgg_image *crop = NULL;
    vgg_status st = VGG_STATUS_OK;
    if (box && (st = vgg_box_check(box, img->w, img->h)) == VGG_STATUS_OK)
        st = vgg_image_crop(img, box->x1, box->y1, box->x2 - box->x1, box->y2 - box->y1, &crop);
    const vgg_image *part[2] = { crop ? crop : img, img };
    char name[64] = "image";
    if (crop)
        snprintf(name, sizeof name, "box %d,%d,%d,%d", box->x1, box->y1, box->x2, box->y2);
    if (st == VGG_STATUS_OK)
        st = vgg_extractor_check_size(ex, name, part[0]->w, part[0]->h);
    const vgg_input_budget b = budget_of(ex);
    vgg_prepared *p = st == VGG_STATUS_OK ? calloc(1, sizeof *p) : NULL;
    if (st == VGG_STATUS_OK && !p)
        st = vgg_fail(VGG_STATUS_NOMEM, "extract: out of memory");
    for (int s = 0; s < ex->o.n_scales && st == VGG_STATUS_OK; s++) {
        p->n_scales = s + 1;
        for (int k = 0; k < parts_of(ex) && st == VGG_STATUS_OK; k++)
            st = vgg_image_resize_short_within(part[k], ex->o.scales[s], &b, &p->img[k][s]);
    }
    vgg_image_free(crop);
    if (st != VGG_STATUS_OK) {
        vgg_prepared_free(p);
        return st;
    }
    *out = p;
    return VGG_STATUS_OK;
}

vgg_status vgg_extractor_prepare(const vgg_extractor *ex, const vgg_image *img,
                                 vgg_prepared **out)
{
    return vgg_extractor_prepare_box(ex, img, NULL, out);
}

vgg_status vgg_box_parse(const char *text, vgg_box *out)
{
    long v[4];
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        char *end;
        if (*p < '0' || *p > '9' || (v[i] = strtol(p, &end, 10)) > 1000000 ||
            *end != (i < 3 ? ',' : '\0'))
            return vgg_fail(VGG_STATUS_INVALID, "box '%s': expected x1,y1,x2,y2 (four whole "
                            "numbers of pixels, 0 or more)", text);
        p = end + 1;
    }
    if (v[2] <= v[0] || v[3] <= v[1])
        return vgg_fail(VGG_STATUS_INVALID, "box '%s' is empty: %s must be above %s (x2 and y2 "
                        "are exclusive)", text, v[2] <= v[0] ? "x2" : "y2",
                        v[2] <= v[0] ? "x1" : "y1");
    *out = (vgg_box){ (int)v[0], (int)v[1], (int)v[2], (int)v[3] };
    return VGG_STATUS_OK;
}

vgg_status vgg_box_check(const vgg_box *b, int w, int h)
{
    if (b->x1 < 0 || b->y1 < 0 || b->x2 <= b->x1 || b->y2 <= b->y1)
        return vgg_fail(VGG_STATUS_INVALID, "box %d,%d,%d,%d starts below 0 or is empty (x2 and "
                        "y2 are exclusive)", b->x1, b->y1, b->x2, b->y2);
    if (b->x2 > w || b->y2 > h)
        return vgg_fail(VGG_STATUS_INVALID, "box %d,%d,%d,%d reaches past the %dx%d image (its "
                        "size after EXIF orientation; x2 and y2 are exclusive)", b->x1, b->y1,
                        b->x2, b->y2, w, h);
    return VGG_STATUS_OK;
}

char *vgg_box_row_name(const char *path, const vgg_box *b)
{
    size_t n = strlen(path) + 64;
    char *s = malloc(n);
    if (!s)
        return NULL;
    if (b)
        snprintf(s, n, "%s#%d,%d,%d,%d", path, b->x1, b->y1, b->x2, b->y2);
    else
        snprintf(s, n, "%s", path);
    return s;
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

/* v[0..n) divided by its L2 norm (not zero: checked_parts) */
static void l2_normalise(double *v, int n)
{
    double ss = 0;
    for (int i = 0; i < n; i++)
        ss += v[i] * v[i];
    const double norm = sqrt(ss);
    for (int i = 0; i < n; i++)
        v[i] /= norm;
}

/* the image of unit u (part u % P of prepared image u / P) at scale s */
#define UNIT_IMG(p, P, u, s) ((p)[(u) / (P)]->img[(u) % (P)][s])

/* net j at scale s over the n units, their parts' sums into acc (rows of
 * part_dim, one per unit) */
static vgg_status run_net_scale(vgg_extractor *ex, vgg_prepared *const *p, int n_units, int batch,
                                size_t max_pixels, int j, int s, double *acc)
{
    const vgg_extract_opts *o = &ex->o;
    const int P = parts_of(ex), views = o->flip ? 2 : 1, C = ex->net_dim[j];
    vgg_net *net = ex->nets[j];
    const vgg_preproc *pp = vgg_net_preproc(net);
    const double scale = 1.0 / ((double)views *
                                (o->aggregate == VGG_AGGREGATE_STACK ? 1 : o->n_scales));
    vgg_status st = VGG_STATUS_OK;
    for (int k0 = 0; k0 < n_units && st == VGG_STATUS_OK;) {
        /* a run of images with the same resized size, at most batch, and
         * within max_pixels (the first alone may pass it) */
        const int w = UNIT_IMG(p, P, k0, s)->w, h = UNIT_IMG(p, P, k0, s)->h;
        const size_t per = (size_t)views * w * h;
        int k1 = k0 + 1;
        while (k1 < n_units && k1 - k0 < batch && (size_t)(k1 - k0 + 1) * per <= max_pixels &&
               UNIT_IMG(p, P, k1, s)->w == w && UNIT_IMG(p, P, k1, s)->h == h)
            k1++;
        const int m = (k1 - k0) * views;
        int oc, oh, ow;
        st = vgg_net_output_shape(net, h, w, o->layer, &oc, &oh, &ow);
        const size_t in_n = (size_t)3 * h * w;
        if (st == VGG_STATUS_OK)
            st = grow((void **)&ex->in, &ex->in_cap, m * in_n * sizeof(float));
        if (st == VGG_STATUS_OK)
            st = grow((void **)&ex->outbuf, &ex->out_cap, (size_t)m * oc * sizeof(float));
        if (st != VGG_STATUS_OK)
            break;
        for (int k = k0; k < k1; k++)
            for (int v = 0; v < views; v++)
                vgg_image_to_input(UNIT_IMG(p, P, k, s), pp, v == 1,
                                   ex->in + ((size_t)(k - k0) * views + v) * in_n);
        /* the map's global average pooling runs on the net's backend */
        st = vgg_net_forward_pooled(net, ex->in, m, h, w, o->layer, ex->outbuf);
        if (st != VGG_STATUS_OK)
            break;
        for (int k = k0; k < k1; k++) {
            double *row = acc + (size_t)k * ex->part_dim + ex->net_off[j] +
                          (o->aggregate == VGG_AGGREGATE_STACK ? (size_t)s * C : 0);
            for (int v = 0; v < views; v++) {
                const float *mean = ex->outbuf + ((size_t)(k - k0) * views + v) * oc;
                for (int c = 0; c < C; c++)
                    row[c] += mean[c] * scale;
            }
        }
        k0 = k1;
    }
    return st;
}

/* Each net's part of a row (of the box, of the whole image) before any
 * normalisation: all zero (a net that gives no response: all-zero
 * weights, a ReLU that never fires) or not finite is NUMERIC naming the
 * net, never a row that L2 normalisation would make look like any other. */
static vgg_status checked_parts(const vgg_extractor *ex, const double *row)
{
    const int P = parts_of(ex), pd = ex->part_dim;
    for (int k = 0; k < P; k++)
        for (int j = 0; j < ex->n_nets; j++) {
            const int begin = k * pd + ex->net_off[j];
            const int end = k * pd + (j + 1 < ex->n_nets ? ex->net_off[j + 1] : pd);
            double ss = 0;
            for (int i = begin; i < end; i++)
                ss += row[i] * row[i];
            if (ss > 0 && isfinite(ss))
                continue;
            const char *of = P == 1 ? "" : k == 0 ? " of the box" : " of the whole image";
            const char *net = *ex->desc.net_names[j] ? ex->desc.net_names[j]
                                                     : ex->desc.net_configs[j];
            if (ss == 0)
                return vgg_fail(VGG_STATUS_NUMERIC, "extract: net '%s' gives an all-zero %s "
                                "descriptor%s: no response to this image, nothing to normalise "
                                "(are its weights all zero?)", net, ex->desc.layer, of);
            return vgg_fail(VGG_STATUS_NUMERIC, "extract: net '%s' gives a non-finite %s "
                            "descriptor%s", net, ex->desc.layer, of);
        }
    return VGG_STATUS_OK;
}

/* the normalisations of one prepared image's row (its parts, then the
 * whole row), written out as floats */
static vgg_status finish_row(const vgg_extractor *ex, double *row, float *out)
{
    const vgg_extract_opts *o = &ex->o;
    const int P = parts_of(ex), pd = ex->part_dim, dim = ex->desc.dim;
    vgg_status st = checked_parts(ex, row);
    if (st != VGG_STATUS_OK)
        return st;
    for (int k = 0; k < P; k++) {
        double *part = row + (size_t)k * pd;
        if (o->l2_per_net)
            for (int j = 0; j < ex->n_nets; j++) {
                const int end = j + 1 < ex->n_nets ? ex->net_off[j + 1] : pd;
                l2_normalise(part + ex->net_off[j], end - ex->net_off[j]);
            }
        if (o->l2)
            l2_normalise(part, pd);
    }
    if (o->l2 && P > 1)
        l2_normalise(row, dim);
    for (int i = 0; i < dim; i++) {
        out[i] = (float)row[i];
        if (!isfinite(out[i]))
            return vgg_fail(VGG_STATUS_NUMERIC, "extract: descriptor value %d is not finite", i);
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_extractor_run(vgg_extractor *ex, vgg_prepared *const *p, int n, int batch,
                             float *out)
{
    const int dim = ex->desc.dim;
    const size_t max_pixels = batch == 0 ? VGG_FEAT_BATCH_PIXELS : SIZE_MAX;
    batch = batch == 0 ? VGG_FEAT_BATCH_MAX : batch < 1 ? 1 : batch;
    double *acc = calloc((size_t)n * dim, sizeof(double));
    if (!acc)
        return vgg_fail(VGG_STATUS_NOMEM, "extract: out of memory");
    /* a unit is one part of one image: row k holds units k * P .. k * P + P - 1 */
    const int n_units = n * parts_of(ex);
    vgg_status st = VGG_STATUS_OK;
    for (int j = 0; j < ex->n_nets && st == VGG_STATUS_OK; j++)
        for (int s = 0; s < ex->o.n_scales && st == VGG_STATUS_OK; s++)
            st = run_net_scale(ex, p, n_units, batch, max_pixels, j, s, acc);
    for (int k = 0; k < n && st == VGG_STATUS_OK; k++)
        st = finish_row(ex, acc + (size_t)k * dim, out + (size_t)k * dim);
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
