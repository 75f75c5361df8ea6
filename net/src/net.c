/* Networks: parameters, shapes and the forward pass. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net_internal.h"

static void free_params(vgg_net *net)
{
    for (int i = 0; i < net->n_params; i++) {
        if (net->dev_owned && net->dev[i])
            net->be->ops->release(net->be, net->dev[i]);
        net->dev[i] = NULL;
        free((char *)net->params[i].name);
        if (!net->in_map[i])
            free(net->params[i].data);
        net->in_map[i] = false;
        memset(&net->params[i], 0, sizeof net->params[i]);
    }
    net->n_params = 0;
    vgg_unmap_file(&net->file_map);
}

void vgg_net_free(vgg_net *net)
{
    if (!net)
        return;
    vgg_net_bn_free(net);
    if (net->fwd_cache && net->be->ops->forward_release)
        net->be->ops->forward_release(net->be, net->fwd_cache);
    for (int i = 0; i < 2; i++)
        net->be->ops->release(net->be, net->act[i]);
    net->be->ops->release(net->be, net->map);
    net->be->ops->release(net->be, net->pooled);
    free_params(net);
    free(net);
}

vgg_status vgg_net_add_param_(vgg_net *net, const char *layer_key, const char *suffix, int ndim,
                            const int64_t *shape)
{
    VGG_ASSERT(net->n_params < VGG_MAX_PARAMS);
    vgg_param *p = &net->params[net->n_params];
    size_t len = strlen(layer_key) + strlen(suffix) + 2;
    char *name = malloc(len);
    if (!name)
        return vgg_fail(VGG_STATUS_NOMEM, "net: out of memory");
    snprintf(name, len, "%s.%s", layer_key, suffix);
    size_t numel = 1;
    for (int d = 0; d < ndim; d++)
        numel *= (size_t)shape[d];
    float *data = calloc(numel ? numel : 1, sizeof(float));
    if (!data) {
        vgg_status st = vgg_fail(VGG_STATUS_NOMEM, "net: out of memory for %s (%zu floats)",
                                 name, numel);
        free(name);
        return st;
    }
    p->name = name;
    p->ndim = ndim;
    memset(p->shape, 0, sizeof p->shape);
    memcpy(p->shape, shape, sizeof(int64_t) * ndim);
    p->numel = numel;
    p->data = data;
    net->n_params++;
    if (!net->dev_owned) {
        net->dev[net->n_params - 1] = data;
        return VGG_STATUS_OK;
    }
    /* a device copy, zero like the host one (BN's ones are uploaded by
     * vgg_net_params_changed) */
    vgg_backend *be = net->be;
    float **dev = &net->dev[net->n_params - 1];
    vgg_status st = be->ops->alloc(be, sizeof(float) * (numel ? numel : 1), (void **)dev);
    return st ? st : be->ops->fill(be, *dev, numel, 0.0f);
}

vgg_status vgg_net_create(const vgg_arch *arch, vgg_backend *be, vgg_net **out)
{
    *out = NULL;
    if (!be)
        return vgg_fail(VGG_STATUS_INVALID, "net: no backend given");
    vgg_net *net = calloc(1, sizeof *net);
    if (!net)
        return vgg_fail(VGG_STATUS_NOMEM, "net: out of memory");
    net->arch = *arch;
    net->be = be;
    /* host memory (CPU): the device pointers are the host data */
    net->dev_owned = !be->host_memory;
    vgg_preproc_torchvision(&net->preproc);
    vgg_status st = vgg_arch_layers(arch, net->layers, VGG_MAX_LAYERS, &net->n_layers);
    for (int l = 0; st == VGG_STATUS_OK && l < net->n_layers; l++) {
        const vgg_layer_info *L = &net->layers[l];
        net->layer_param[l] = -1;
        net->layer_bn[l] = -1;
        if (L->kind != VGG_LAYER_CONV && L->kind != VGG_LAYER_FC)
            continue;
        net->layer_param[l] = net->n_params;
        int64_t wshape[4] = {L->out_channels, L->in_channels, L->kernel, L->kernel};
        int64_t bshape[1] = {L->out_channels};
        st = vgg_net_add_param_(net, L->weight_key, "weight", 4, wshape);
        if (st == VGG_STATUS_OK)
            st = vgg_net_add_param_(net, L->weight_key, "bias", 1, bshape);
        if (st == VGG_STATUS_OK && L->batch_norm)
            st = vgg_net_bn_add(net, l);
    }
    if (st == VGG_STATUS_OK)
        st = vgg_net_params_changed(net);
    if (st != VGG_STATUS_OK) {
        vgg_net_free(net);
        return st;
    }
    *out = net;
    return VGG_STATUS_OK;
}

const vgg_arch *vgg_net_arch(const vgg_net *net) { return &net->arch; }
const vgg_preproc *vgg_net_preproc(const vgg_net *net) { return &net->preproc; }
void vgg_net_set_preproc(vgg_net *net, const vgg_preproc *p) { net->preproc = *p; }
void vgg_net_set_pool_round(vgg_net *net, vgg_pool_round r) { net->arch.pool_round = r; }
vgg_backend *vgg_net_backend(const vgg_net *net) { return net->be; }
int vgg_net_param_count(const vgg_net *net) { return net->n_params; }

/* A caller holding a vgg_param may write its data: the forward chain's
 * copies of the weights in the backend's layout are then stale. */
vgg_param *vgg_net_param(vgg_net *net, int i)
{
    net->param_gen++;
    return (i >= 0 && i < net->n_params) ? &net->params[i] : NULL;
}

vgg_param *vgg_net_find_param(vgg_net *net, const char *name)
{
    net->param_gen++;
    for (int i = 0; i < net->n_params; i++)
        if (strcmp(net->params[i].name, name) == 0)
            return &net->params[i];
    return NULL;
}

vgg_status vgg_net_params_changed(vgg_net *net)
{
    net->param_gen++;
    if (!net->dev_owned)
        return vgg_net_bn_fold(net);
    for (int i = 0; i < net->n_params; i++) {
        vgg_status st = net->be->ops->upload(net->be, net->dev[i], net->params[i].data,
                                             net->params[i].numel * sizeof(float));
        if (st != VGG_STATUS_OK)
            return st;
    }
    return vgg_net_bn_fold(net);
}

static void put_le32(uint8_t *b, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
}

void vgg_net_digest(const vgg_net *net, char hex[65])
{
    vgg_sha256 s;
    if (vgg_sha256_init(&s) != VGG_STATUS_OK) {
        memset(hex, '0', 64);
        hex[64] = '\0';
        return;
    }
    for (int i = 0; i < net->n_params; i++) {
        const vgg_param *p = &net->params[i];
        uint8_t b[8];
        vgg_sha256_update(&s, p->name, strlen(p->name) + 1);
        put_le32(b, (uint32_t)p->ndim);
        vgg_sha256_update(&s, b, 4);
        for (int d = 0; d < p->ndim; d++) {
            uint64_t v = (uint64_t)p->shape[d];
            put_le32(b, (uint32_t)v);
            put_le32(b + 4, (uint32_t)(v >> 32));
            vgg_sha256_update(&s, b, 8);
        }
        /* float32 little-endian (the host order on every supported target) */
        vgg_sha256_update(&s, p->data, p->numel * sizeof(float));
    }
    vgg_sha256_final_hex(&s, hex);
}

/* ---- shapes ---- */

int vgg_net_side_after(const vgg_net *net, int l, int s)
{
    const vgg_layer_info *L = &net->layers[l];
    switch (L->kind) {
    case VGG_LAYER_POOL:
        return vgg_pool_out(s, net->arch.pool_round);
    case VGG_LAYER_FC:
        return s - L->kernel + 1;
    case VGG_LAYER_CONV:
        return s + 2 * (L->kernel / 2) - L->kernel + 1;
    default:
        return s;
    }
}

static int pool5_side(const vgg_net *net, int s)
{
    for (int l = 0; l < net->n_layers && net->layers[l].kind != VGG_LAYER_FC; l++)
        s = vgg_net_side_after(net, l, s);
    return s;
}

int vgg_net_min_input(const vgg_net *net)
{
    int k = net->arch.input_size / 32;
    /* the smallest side whose pool5 side reaches k (monotone in s) */
    int lo = 1, hi = net->arch.input_size;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (pool5_side(net, mid) >= k)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

static int last_layer_for(const vgg_net *net, vgg_output what)
{
    int fc = 0;
    for (int l = 0; l < net->n_layers; l++) {
        if (net->layers[l].kind == VGG_LAYER_FC) {
            fc++;
            if ((what == VGG_OUTPUT_FC6 && fc == 1) || (what == VGG_OUTPUT_FC7 && fc == 2) ||
                (what == VGG_OUTPUT_SCORES && fc == 3))
                return l;
        } else if (what == VGG_OUTPUT_POOL5 && l + 1 < net->n_layers &&
                   net->layers[l + 1].kind == VGG_LAYER_FC) {
            return l;
        }
    }
    return -1;
}

vgg_status vgg_net_output_shape(const vgg_net *net, int h, int w, vgg_output what, int *oc,
                                int *oh, int *ow)
{
    *oc = *oh = *ow = 0;
    int last = last_layer_for(net, what);
    if (last < 0)
        return vgg_fail(VGG_STATUS_INVALID, "net: unknown output %d", (int)what);
    int min = vgg_net_min_input(net);
    if (h < min || w < min)
        return vgg_fail(VGG_STATUS_INVALID,
                        "net %s: input %dx%d (h x w) is too small: both sides must be at least "
                        "%d for a %dx%d pool5 map (fc6 kernel)",
                        vgg_config_name(net->arch.config), h, w, min, net->arch.input_size / 32,
                        net->arch.input_size / 32);
    for (int l = 0; l <= last; l++) {
        h = vgg_net_side_after(net, l, h);
        w = vgg_net_side_after(net, l, w);
    }
    *oc = net->layers[last].out_channels;
    *oh = h;
    *ow = w;
    return VGG_STATUS_OK;
}

/* ---- the range check ----
 *
 * A bound, from the weights alone, on every value a forward pass computes
 * for inputs within a box (net/README.md, "Non-finite values"): interval
 * arithmetic per channel through the layers, the largest partial sum of
 * each convolution bounded by sum |w| |x| + |b|.  Where that bound stays
 * under VGG_NET_RANGE_MAX (FLT_MAX over a headroom of 2^24), no backend's
 * float arithmetic overflows (Winograd's transforms and other reorderings
 * of the sums grow their intermediate values by a constant factor well
 * under the headroom), so no NaN or infinity can arise from finite
 * inputs, and there is nothing for a ReLU to hide; past it, every backend
 * refuses the same weights. */


/* Layer l's weights (cout, cin, k, k) and bias (cout) as the forward pass
 * uses them, in host memory: the net's own on a host-memory backend, else
 * copied into *tmp (malloc'd, the caller frees it). */
static vgg_status host_weights(vgg_net *net, int l, const float **w, const float **b, float **tmp)
{
    const vgg_layer_info *L = &net->layers[l];
    *tmp = NULL;
    *w = vgg_net_layer_weight(net, l);
    *b = vgg_net_layer_bias(net, l);
    if (net->be->host_memory)
        return VGG_STATUS_OK;
    const size_t wn = (size_t)L->out_channels * L->in_channels * L->kernel * L->kernel;
    float *h = malloc((wn + (size_t)L->out_channels) * sizeof *h);
    if (!h)
        return vgg_fail(VGG_STATUS_NOMEM, "net: out of memory checking the range of %s's "
                        "weights", L->name);
    vgg_status st = net->be->ops->download(net->be, h, *w, wn * sizeof(float));
    if (st == VGG_STATUS_OK)
        st = net->be->ops->download(net->be, h + wn, *b, (size_t)L->out_channels * sizeof(float));
    if (st != VGG_STATUS_OK) {
        free(h);
        return st;
    }
    *w = h;
    *b = h + wn;
    *tmp = h;
    return VGG_STATUS_OK;
}

/* A convolution (fc layers too) of channel intervals [lo, hi] (cin) into
 * [nlo, nhi] (cout); *reach the largest bound on a partial sum, *finite
 * whether every weight and bias is.  xhi, xlo and xabs (cin k k floats)
 * are hi, lo and max(|lo|, |hi|) of each weight's input channel, so that
 * one vectorised pass over each output's weights does it (float sums:
 * their rounding, under 1e-2 relative, is far inside the headroom). */
static void conv_range(const vgg_layer_info *L, const float *w, const float *b, float *xhi,
                       float *xlo, float *xabs, const double *lo, const double *hi, double *nlo,
                       double *nhi, double *reach, bool *finite, int threads)
{
    const size_t kk = (size_t)L->kernel * L->kernel, K = (size_t)L->in_channels * kk;
    for (int c = 0; c < L->in_channels; c++)
        for (size_t t = 0; t < kk; t++) {
            xhi[c * kk + t] = (float)hi[c];
            xlo[c * kk + t] = (float)lo[c];
            xabs[c * kk + t] = (float)fmax(-lo[c], hi[c]);
        }
    double most = 0.0;
    bool finite_all = true;
    /* the output channels on the backend's threads, each one's bound
     * computed whole by one thread (the same sums whatever the threads);
     * the largest and the non-finite gathered in order after */
    const int outs = L->out_channels;
    double *ro_all = malloc(sizeof *ro_all * (size_t)outs);
    bool *fin = malloc(sizeof *fin * (size_t)outs);
    const bool par = ro_all && fin;
#pragma omp parallel for num_threads(threads < 1 ? 1 : threads) schedule(static) if (par && K * (size_t)outs >= ((size_t)1 << 20))
    for (int o = 0; o < outs; o++) {
        const float *wo = w + (size_t)o * K;
        float up = 0.0f, down = 0.0f, r = 0.0f, z = 0.0f;
        SIMD_REDUCE(reduction(+ : up, down, r, z))
        for (size_t j = 0; j < K; j++) {
            const float v = wo[j], m = fabsf(v);
            const float pos = v > 0.0f ? v : 0.0f, neg = v < 0.0f ? v : 0.0f;
            up += pos * xhi[j] + neg * xlo[j];
            down += pos * xlo[j] + neg * xhi[j];
            r += m * xabs[j];
            z += v * 0.0f;   /* NaN once a NaN or an infinity went by */
        }
        const double bo = b[o];
        double u = bo + up, d = bo + down;
        if (L->relu) {
            u = fmax(u, 0.0);
            d = fmax(d, 0.0);
        }
        nhi[o] = u;
        nlo[o] = d;
        const double ro = fabs(bo) + r;
        const bool f = z == 0.0f && isfinite(bo);
        if (par) {
            ro_all[o] = ro;
            fin[o] = f;
        } else {
            most = ro > most || isnan(ro) ? ro : most;
            finite_all &= f;
        }
    }
    for (int o = 0; par && o < outs; o++) {
        most = ro_all[o] > most || isnan(ro_all[o]) ? ro_all[o] : most;
        finite_all &= fin[o];
    }
    free(ro_all);
    free(fin);
    *reach = most;
    *finite = finite_all;
}

/* The range check for inputs within [lo0, hi0] per channel: fills
 * net->range (status only for memory and device errors). */
static vgg_status range_compute(vgg_net *net, const float lo0[3], const float hi0[3])
{
    int widest = 3;
    for (int l = 0; l < net->n_layers; l++)
        if (net->layers[l].out_channels > widest)
            widest = net->layers[l].out_channels;
    size_t taps = 3;
    for (int l = 0; l < net->n_layers; l++) {
        const vgg_layer_info *L = &net->layers[l];
        const size_t t = (size_t)L->in_channels * L->kernel * L->kernel;
        taps = t > taps ? t : taps;
    }
    double *buf = malloc(4 * (size_t)widest * sizeof *buf);
    float *xbuf = malloc(3 * taps * sizeof *xbuf);
    if (!buf || !xbuf) {
        free(buf);
        free(xbuf);
        return vgg_fail(VGG_STATUS_NOMEM, "net: out of memory checking the weights' range");
    }
    double *lo = buf, *hi = buf + widest, *nlo = buf + 2 * widest, *nhi = buf + 3 * widest;
    for (int c = 0; c < 3; c++) {
        lo[c] = lo0[c];
        hi[c] = hi0[c];
    }
    net->range.valid = false;
    net->range.bad_layer = net->n_layers;
    net->range.bad_weights = false;
    net->range.reach = 0.0;
    net->range.peak = 0.0;
    vgg_status st = VGG_STATUS_OK;
    for (int l = 0; l < net->n_layers && st == VGG_STATUS_OK; l++) {
        const vgg_layer_info *L = &net->layers[l];
        double reach = 0.0;
        bool finite = true;
        if (L->kind == VGG_LAYER_CONV || L->kind == VGG_LAYER_FC) {
            /* zero padding: 0 is among the values a window sees */
            if (L->kind == VGG_LAYER_CONV && L->kernel > 1)
                for (int c = 0; c < L->in_channels; c++) {
                    lo[c] = fmin(lo[c], 0.0);
                    hi[c] = fmax(hi[c], 0.0);
                }
            const float *w, *b;
            float *tmp;
            st = host_weights(net, l, &w, &b, &tmp);
            if (st != VGG_STATUS_OK)
                break;
            conv_range(L, w, b, xbuf, xbuf + taps, xbuf + 2 * taps, lo, hi, nlo, nhi, &reach,
                       &finite, net->be->threads);
            free(tmp);
            double *t = lo;
            lo = nlo;
            nlo = t;
            t = hi;
            hi = nhi;
            nhi = t;
        } else if (L->kind == VGG_LAYER_LRN) {
            /* x (k + alpha/size sum x^2)^-beta: the sum of squares is the
             * largest value; the factor is at most k^-beta */
            vgg_lrn_desc d;
            vgg_lrn_default(&d);
            double most = 0.0;
            for (int c = 0; c < L->in_channels; c++)
                most = fmax(most, fmax(-lo[c], hi[c]));
            reach = (double)d.size * most * most;
            const double kb = pow((double)d.k, -(double)d.beta);
            for (int c = 0; c < L->in_channels; c++) {
                lo[c] = fmin(lo[c], 0.0) * kb;
                hi[c] = fmax(hi[c], 0.0) * kb;
            }
        }
        /* max-pooling picks one of its inputs: the intervals stay */
        if (!finite || !(reach <= VGG_NET_RANGE_MAX)) {
            net->range.bad_layer = l;
            net->range.bad_weights = !finite;
            net->range.reach = reach;
            break;
        }
        net->range.peak = fmax(net->range.peak, reach);
    }
    free(buf);
    free(xbuf);
    if (st != VGG_STATUS_OK)
        return st;
    net->range.valid = true;
    net->range.gen = net->param_gen;
    net->range.epoch = net->be->weights_epoch;
    memcpy(net->range.lo, lo0, sizeof net->range.lo);
    memcpy(net->range.hi, hi0, sizeof net->range.hi);
    return VGG_STATUS_OK;
}

/* NUMERIC naming the layer net->range found (bad_layer <= last) */
static vgg_status range_fail(const vgg_net *net)
{
    const char *cfg = vgg_config_name(net->arch.config);
    const char *name = net->layers[net->range.bad_layer].name;
    if (net->range.bad_weights)
        return vgg_fail(VGG_STATUS_NUMERIC, "net %s, layer %s: its weights or bias hold a NaN "
                        "or an infinity; the weights are out of range, not the image", cfg, name);
    float lo = fminf(fminf(net->range.lo[0], net->range.lo[1]), net->range.lo[2]);
    float hi = fmaxf(fmaxf(net->range.hi[0], net->range.hi[1]), net->range.hi[2]);
    char reach[48] = "beyond float's range";
    if (isfinite(net->range.reach))
        snprintf(reach, sizeof reach, "%.3g", net->range.reach);
    return vgg_fail(VGG_STATUS_NUMERIC, "net %s, layer %s: made values that can reach %s "
                    "(bounded from the weights of %s and the layers before it, inputs within "
                    "[%.3g, %.3g]), past the %.3g up to which every backend computes in float "
                    "without overflow; the weights of %s or before it are out of range, not the "
                    "image", cfg, name, reach, name, (double)lo, (double)hi, VGG_NET_RANGE_MAX,
                    name);
}

/* The input box the preprocessing gives, per network channel. */
static void preproc_box(const vgg_net *net, float lo[3], float hi[3])
{
    const vgg_preproc *p = &net->preproc;
    for (int c = 0; c < 3; c++) {
        const float a = (0.0f - p->mean[c]) / p->std[c];
        const float b = (p->range - p->mean[c]) / p->std[c];
        /* a hair wider: the preprocessing rounds in float */
        lo[c] = fminf(a, b) - 1e-5f * fmaxf(fabsf(a), fabsf(b));
        hi[c] = fmaxf(a, b) + 1e-5f * fmaxf(fabsf(a), fabsf(b));
    }
}

vgg_status vgg_net_check_range(vgg_net *net)
{
    float lo[3], hi[3];
    preproc_box(net, lo, hi);
    vgg_status st = range_compute(net, lo, hi);
    if (st == VGG_STATUS_OK && net->range.bad_layer < net->n_layers)
        st = range_fail(net);
    return st;
}

static bool box_within(const float *lo, const float *hi, const float *olo, const float *ohi)
{
    for (int c = 0; c < 3; c++)
        if (lo[c] < olo[c] || hi[c] > ohi[c])
            return false;
    return true;
}

/* Every forward pass: the input is finite (one scan of it, per channel,
 * which also finds its range), and the weights cannot overflow a float
 * in layers 0..last for inputs of that range (computed once per change
 * of the weights and kept). */
static vgg_status check_input_range(vgg_net *net, const float *input, int n, int h, int w,
                                    int last)
{
    const size_t plane = (size_t)h * w;
    float lo[3], hi[3];
    preproc_box(net, lo, hi);
    bool outside = false;
    for (int c = 0; c < 3; c++) {
        float mn = INFINITY, mx = -INFINITY, z = 0.0f;
        for (int i = 0; i < n; i++) {
            const float *x = input + ((size_t)i * 3 + c) * plane;
            SIMD_REDUCE(reduction(min : mn) reduction(max : mx) reduction(+ : z))
            for (size_t j = 0; j < plane; j++) {
                const float v = x[j];
                mn = v < mn ? v : mn;
                mx = v > mx ? v : mx;
                z += v * 0.0f;   /* NaN once a NaN or an infinity went by */
            }
        }
        if (z != 0.0f) {
            for (int i = 0; i < n; i++)
                for (size_t j = 0; j < 3 * plane; j++)
                    if (!isfinite(input[(size_t)i * 3 * plane + j]))
                        return vgg_fail(VGG_STATUS_NUMERIC, "net %s: the input holds a "
                                        "non-finite value at element %zu (image %d of %d)",
                                        vgg_config_name(net->arch.config), j, i + 1, n);
        }
        outside |= mn < lo[c] || mx > hi[c];
        lo[c] = fminf(lo[c], mn);
        hi[c] = fmaxf(hi[c], mx);
    }
    if (outside) {
        /* past the preprocessing's range: a symmetric box, its side a
         * power of two, so that a few such inputs do not each compute the
         * bound again */
        float most = 0.0f;
        for (int c = 0; c < 3; c++)
            most = fmaxf(most, fmaxf(-lo[c], hi[c]));
        const float side = most >= 0x1p126f ? FLT_MAX : ldexpf(1.0f, ilogbf(most) + 1);
        for (int c = 0; c < 3; c++) {
            lo[c] = -side;
            hi[c] = side;
        }
    }
    const bool same = net->range.valid && net->range.gen == net->param_gen &&
                      net->range.epoch == net->be->weights_epoch;
    /* the bound grows with the box: a pass for a wider box passes this
     * one, a failure for a narrower box fails it */
    bool known = same && ((net->range.bad_layer > last &&
                           box_within(lo, hi, net->range.lo, net->range.hi)) ||
                          (net->range.bad_layer <= last &&
                           box_within(net->range.lo, net->range.hi, lo, hi)));
    if (!known) {
        vgg_status st = range_compute(net, lo, hi);
        if (st != VGG_STATUS_OK)
            return st;
    }
    return net->range.bad_layer <= last ? range_fail(net) : VGG_STATUS_OK;
}

/* ---- forward ---- */

void vgg_net_set_profiling(vgg_net *net, bool on)
{
    net->profiling = on;
    memset(net->layer_seconds, 0, sizeof net->layer_seconds);
}

int vgg_net_layer_seconds(const vgg_net *net, double *seconds, int max)
{
    for (int l = 0; l < net->n_layers && l < max; l++)
        seconds[l] = net->layer_seconds[l];
    return net->n_layers;
}

static void chain_layer(const vgg_net *net, int l, vgg_fwd_layer *f)
{
    const vgg_layer_info *L = &net->layers[l];
    memset(f, 0, sizeof *f);
    f->kind = L->kind;
    f->cin = L->in_channels;
    f->cout = L->out_channels;
    f->k = L->kernel;
    f->pad = L->kind == VGG_LAYER_CONV ? L->kernel / 2 : 0;
    f->relu = L->relu;
    f->round = net->arch.pool_round;
    if (L->kind == VGG_LAYER_LRN)
        vgg_lrn_default(&f->lrn);
    f->weight = vgg_net_layer_weight(net, l);
    f->bias = vgg_net_layer_bias(net, l);
}

/* Layer by layer with the backend's operations, all n images at once:
 * x (n, cin, h, w) -> y. */
static vgg_status run_layer(vgg_net *net, int l, int n, int h, int w, const float *x, float *y)
{
    vgg_backend *be = net->be;
    vgg_fwd_layer f;
    chain_layer(net, l, &f);
    switch (f.kind) {
    case VGG_LAYER_CONV:
    case VGG_LAYER_FC: {
        vgg_conv_desc d = {
            .n = n, .cin = f.cin, .h = h, .w = w, .cout = f.cout, .k = f.k, .pad = f.pad,
            .relu = f.relu,
        };
        return be->ops->conv2d(be, &d, x, f.weight, f.bias, y);
    }
    case VGG_LAYER_POOL:
        return be->ops->maxpool(be, n, f.cin, h, w, f.round, x, y, NULL);
    case VGG_LAYER_LRN:
        return be->ops->lrn(be, n, f.cin, h, w, &f.lrn, x, y);
    }
    return vgg_fail(VGG_STATUS_INVALID, "net: unknown layer kind %d", (int)f.kind);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* A device buffer of at least count floats in *buf (capacity *cap),
 * grown as needed and kept by the net. */
static vgg_status grow(vgg_backend *be, float **buf, size_t *cap, size_t count)
{
    if (count <= *cap)
        return VGG_STATUS_OK;
    be->ops->release(be, *buf);
    *buf = NULL;
    *cap = 0;
    vgg_status st = be->ops->alloc(be, count * sizeof(float), (void **)buf);
    if (st == VGG_STATUS_OK)
        *cap = count;
    return st;
}

/* Floats of the largest activation of one (3, h, w) image through layers
 * 0..last, the input included. */
static size_t largest_activation(const vgg_net *net, int h, int w, int last)
{
    size_t biggest = (size_t)3 * h * w;
    for (int l = 0, sh = h, sw = w; l <= last; l++) {
        sh = vgg_net_side_after(net, l, sh);
        sw = vgg_net_side_after(net, l, sw);
        size_t count = (size_t)net->layers[l].out_channels * sh * sw;
        if (count > biggest)
            biggest = count;
    }
    return biggest;
}

/* Layers 0..last on n images, layer by layer with the backend's
 * operations: input is host (n, 3, h, w); the output stays on the device,
 * in *out (one of the net's two activation buffers). */
static vgg_status forward_layers(vgg_net *net, const float *input, int n, int h, int w,
                                 int last, const float **out)
{
    vgg_backend *be = net->be;
    const size_t in_count = (size_t)3 * h * w;
    /* two buffers, each as large as the largest activation of the batch: a
     * layer reads one and writes the other; kept by the net between calls
     * so that their pages are faulted in once */
    size_t biggest = largest_activation(net, h, w, last) * (size_t)n;
    vgg_status st = VGG_STATUS_OK;
    if (biggest > net->act_cap) {
        size_t cap1 = net->act_cap;
        st = grow(be, &net->act[0], &net->act_cap, biggest);
        if (st == VGG_STATUS_OK)
            st = grow(be, &net->act[1], &cap1, biggest);
        if (st != VGG_STATUS_OK) {
            net->act_cap = 0;
            return st;
        }
    }
    float **buf = net->act;
    int cur = 0;
    st = be->ops->upload(be, buf[0], input, (size_t)n * in_count * sizeof(float));
    for (int l = 0; l <= last && st == VGG_STATUS_OK; l++) {
        double t0 = 0.0;
        if (net->profiling && (st = be->ops->sync(be)) == VGG_STATUS_OK)
            t0 = now_s();
        if (st == VGG_STATUS_OK)
            st = run_layer(net, l, n, h, w, buf[cur], buf[1 - cur]);
        if (st == VGG_STATUS_OK && net->profiling && (st = be->ops->sync(be)) == VGG_STATUS_OK)
            net->layer_seconds[l] += now_s() - t0;
        if (st != VGG_STATUS_OK)
            return vgg_fail_context(st, "net %s, layer %s: ", vgg_config_name(net->arch.config),
                                    net->layers[l].name);
        cur = 1 - cur;
        h = vgg_net_side_after(net, l, h);
        w = vgg_net_side_after(net, l, w);
    }
    *out = buf[cur];
    return st;
}

/* Layers 0..last on n images (host input (n, 3, h, w)), with the
 * backend's chain where it has one.  The (n, out_count) output goes to
 * host_out when it is not NULL; *dev_out is where it lies on the device
 * (host_out itself for a chain). */
static vgg_status run_forward(vgg_net *net, const float *input, int n, int h, int w, int last,
                              size_t out_count, float *host_out, const float **dev_out)
{
    vgg_backend *be = net->be;
    vgg_status st;
    if (!be->ops->forward) {
        st = forward_layers(net, input, n, h, w, last, dev_out);
        if (st == VGG_STATUS_OK && host_out)
            st = be->ops->download(be, host_out, *dev_out, (size_t)n * out_count * sizeof(float));
        return st;
    }
    float *y = host_out;
    if (!y) {
        st = grow(be, &net->map, &net->map_cap, (size_t)n * out_count);
        if (st != VGG_STATUS_OK)
            return st;
        y = net->map;
    }
    vgg_fwd_layer chain[VGG_MAX_LAYERS];
    for (int l = 0; l <= last; l++)
        chain_layer(net, l, &chain[l]);
    st = be->ops->forward(be, &net->fwd_cache, net->param_gen, chain, last + 1, n, h, w, input, y,
                          net->profiling ? net->layer_seconds : NULL);
    if (st != VGG_STATUS_OK)
        return vgg_fail_context(st, "net %s: ", vgg_config_name(net->arch.config));
    *dev_out = y;
    return VGG_STATUS_OK;
}

static bool all_finite(const float *x, size_t n, size_t *at)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) {
            *at = i;
            return false;
        }
    return true;
}

/* The output of one sample was not finite: run it again layer by layer,
 * looking at each layer's output, to name the layer that first made a
 * non-finite value (only on this error path; the forward pass itself pays
 * one scan of its output).  buf are the forward's two device buffers. */
static vgg_status name_non_finite_layer(vgg_net *net, const float *input, int h, int w, int last)
{
    vgg_backend *be = net->be;
    const char *cfg = vgg_config_name(net->arch.config);
    size_t at;
    if (!all_finite(input, (size_t)3 * h * w, &at))
        return vgg_fail(VGG_STATUS_NUMERIC, "net %s: the input holds a non-finite value at "
                        "element %zu", cfg, at);
    size_t biggest = largest_activation(net, h, w, last);
    float *host = malloc(biggest * sizeof *host), *buf[2] = { NULL, NULL };
    vgg_status st = host ? be->ops->alloc(be, biggest * sizeof(float), (void **)&buf[0])
                         : VGG_STATUS_NOMEM;
    if (st == VGG_STATUS_OK)
        st = be->ops->alloc(be, biggest * sizeof(float), (void **)&buf[1]);
    if (st != VGG_STATUS_OK) {
        free(host);
        be->ops->release(be, buf[0]);
        return vgg_fail(VGG_STATUS_NUMERIC, "net %s: the output is not finite (out of memory "
                        "finding the layer)", cfg);
    }
    int cur = 0, ch_h = h, ch_w = w;
    st = be->ops->upload(be, buf[0], input, (size_t)3 * h * w * sizeof(float));
    for (int l = 0; l <= last && st == VGG_STATUS_OK; l++) {
        const vgg_layer_info *L = &net->layers[l];
        st = run_layer(net, l, 1, ch_h, ch_w, buf[cur], buf[1 - cur]);
        cur = 1 - cur;
        ch_h = vgg_net_side_after(net, l, ch_h);
        ch_w = vgg_net_side_after(net, l, ch_w);
        const size_t count = (size_t)L->out_channels * ch_h * ch_w;
        if (st == VGG_STATUS_OK)
            st = be->ops->download(be, host, buf[cur], count * sizeof(float));
        if (st == VGG_STATUS_OK && !all_finite(host, count, &at)) {
            size_t plane = (size_t)ch_h * ch_w;
            const char *what = isnan(host[at]) ? "NaN" : "an infinity";
            free(host);
            be->ops->release(be, buf[0]);
            be->ops->release(be, buf[1]);
            return vgg_fail(VGG_STATUS_NUMERIC, "net %s, layer %s: made %s (channel %zu, "
                            "position %zu) from finite values; the weights of %s or before it "
                            "are out of range, not the image", cfg, L->name, what, at / plane,
                            at % plane, L->name);
        }
    }
    free(host);
    be->ops->release(be, buf[0]);
    be->ops->release(be, buf[1]);
    if (st != VGG_STATUS_OK)
        return st;
    return vgg_fail(VGG_STATUS_NUMERIC, "net %s: the output is not finite, but no layer made a "
                    "non-finite value when run again (a backend fault)", cfg);
}

/* The forward pass pays one scan of its output; a sample whose output is
 * not finite is run again layer by layer to name the layer that made it. */
static vgg_status check_finite(vgg_net *net, const float *input, int n, int h, int w, int last,
                               size_t out_count, const float *output)
{
    const size_t in_count = (size_t)3 * h * w;
    size_t at;
    for (int i = 0; i < n; i++)
        if (!all_finite(output + i * out_count, out_count, &at))
            return name_non_finite_layer(net, input + i * in_count, h, w, last);
    return VGG_STATUS_OK;
}

/* The output shape of a forward call, and whether it has work (n > 0). */
static vgg_status forward_shape(const vgg_net *net, int n, int h, int w, vgg_output what, int *oc,
                                int *oh, int *ow, bool *work)
{
    *work = false;
    vgg_status st = vgg_net_output_shape(net, h, w, what, oc, oh, ow);
    if (st != VGG_STATUS_OK)
        return st;
    if (n < 0)
        return vgg_fail(VGG_STATUS_INVALID, "net: negative batch size %d", n);
    *work = n > 0;
    return VGG_STATUS_OK;
}

vgg_status vgg_net_forward(vgg_net *net, const float *input, int n, int h, int w,
                           vgg_output what, float *output)
{
    int oc, oh, ow;
    bool work;
    vgg_status st = forward_shape(net, n, h, w, what, &oc, &oh, &ow, &work);
    if (st != VGG_STATUS_OK || !work)
        return st;
    const int last = last_layer_for(net, what);
    const size_t out_count = (size_t)oc * oh * ow;
    const float *dev = NULL;
    st = check_input_range(net, input, n, h, w, last);
    if (st == VGG_STATUS_OK)
        st = run_forward(net, input, n, h, w, last, out_count, output, &dev);
    if (st != VGG_STATUS_OK)
        return st;
    return check_finite(net, input, n, h, w, last, out_count, output);
}

vgg_status vgg_net_forward_pooled(vgg_net *net, const float *input, int n, int h, int w,
                                  vgg_output what, float *output)
{
    int oc, oh, ow;
    bool work;
    vgg_status st = forward_shape(net, n, h, w, what, &oc, &oh, &ow, &work);
    if (st != VGG_STATUS_OK || !work)
        return st;
    vgg_backend *be = net->be;
    const int last = last_layer_for(net, what);
    const float *dev = NULL;
    st = check_input_range(net, input, n, h, w, last);
    if (st == VGG_STATUS_OK)
        st = run_forward(net, input, n, h, w, last, (size_t)oc * oh * ow, NULL, &dev);
    if (st != VGG_STATUS_OK)
        return st;   /* its message names the net and the layer */
    st = grow(be, &net->pooled, &net->pooled_cap, (size_t)n * oc);
    if (st == VGG_STATUS_OK)
        st = be->ops->global_avgpool(be, n, oc, oh, ow, dev, net->pooled);
    if (st == VGG_STATUS_OK)
        st = be->ops->download(be, output, net->pooled, (size_t)n * oc * sizeof(float));
    if (st != VGG_STATUS_OK)
        return vgg_fail_context(st, "net %s, global average pooling: ",
                                vgg_config_name(net->arch.config));
    /* a non-finite value anywhere in a map makes its mean non-finite */
    return check_finite(net, input, n, h, w, last, (size_t)oc, output);
}
