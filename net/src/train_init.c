/* Initialisation schemes: normal(0, std), Glorot, He, and the paper's
 * copy of net A's first four conv layers and three FC layers. */
#include <math.h>
#include <string.h>
#include <strings.h>

#include "net_internal.h"
#include "train_internal.h"

vgg_status vgg_init_scheme_parse(const char *text, vgg_init_scheme *out)
{
    if (strcasecmp(text, "normal") == 0)
        *out = VGG_INIT_NORMAL;
    else if (strcasecmp(text, "glorot") == 0 || strcasecmp(text, "xavier") == 0)
        *out = VGG_INIT_GLOROT;
    else if (strcasecmp(text, "he") == 0 || strcasecmp(text, "kaiming") == 0)
        *out = VGG_INIT_HE;
    else if (strcasecmp(text, "torchvision") == 0)
        *out = VGG_INIT_TORCHVISION;
    else if (strcasecmp(text, "pytorch") == 0)
        *out = VGG_INIT_PYTORCH;
    else
        return vgg_fail(VGG_STATUS_INVALID,
                        "unknown initialisation '%s' (normal, glorot, he, torchvision, pytorch)",
                        text);
    return VGG_STATUS_OK;
}

static uint64_t next64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *s)   /* (0, 1) */
{
    return ((double)(next64(s) >> 11) + 0.5) / 9007199254740992.0;
}

static double normal01(uint64_t *s)    /* Box-Muller, one value per call */
{
    double u = uniform01(s), v = uniform01(s);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

vgg_status vgg_train_init(vgg_net *net, vgg_init_scheme scheme, float std, uint64_t seed)
{
    if ((scheme == VGG_INIT_NORMAL || scheme == VGG_INIT_TORCHVISION) && !(std > 0.0f && isfinite(std)))
        return vgg_fail(VGG_STATUS_INVALID, "init: standard deviation %g must be positive", std);
    for (int l = 0; l < net->n_layers; l++) {
        int p = net->layer_param[l];
        if (p < 0)
            continue;
        const vgg_layer_info *L = &net->layers[l];
        vgg_param *w = &net->params[p], *b = &net->params[p + 1];
        /* one stream per layer: a layer's values do not depend on the others */
        uint64_t s = seed * 0x2545f4914f6cdd1dULL + (uint64_t)l * 0x9e3779b97f4a7c15ULL + 1;
        const double kk = (double)L->kernel * L->kernel;
        const double fan_in = L->in_channels * kk, fan_out = L->out_channels * kk;
        const double a = sqrt(6.0 / (fan_in + fan_out)), he = sqrt(2.0 / fan_in);
        const double pt = 1.0 / sqrt(fan_in);
        /* torchvision: kaiming_normal_(mode="fan_out") for convs, N(0, std) for fc */
        const double tv = L->kind == VGG_LAYER_FC ? std : sqrt(2.0 / fan_out);
        for (size_t i = 0; i < w->numel; i++) {
            double v;
            switch (scheme) {
            case VGG_INIT_GLOROT: v = (2.0 * uniform01(&s) - 1.0) * a; break;
            case VGG_INIT_HE: v = normal01(&s) * he; break;
            case VGG_INIT_TORCHVISION: v = normal01(&s) * tv; break;
            case VGG_INIT_PYTORCH: v = (2.0 * uniform01(&s) - 1.0) * pt; break;
            default: v = normal01(&s) * std; break;
            }
            w->data[i] = (float)v;
        }
        memset(b->data, 0, sizeof(float) * b->numel);
        for (size_t i = 0; scheme == VGG_INIT_PYTORCH && i < b->numel; i++)
            b->data[i] = (float)((2.0 * uniform01(&s) - 1.0) * pt);
        /* batch normalisation: scale 1, shift 0, running mean 0, variance 1 */
        for (int j = 0, q = net->layer_bn[l]; q >= 0 && j < 4; j++)
            for (size_t i = 0; i < net->params[q + j].numel; i++)
                net->params[q + j].data[i] = j == 0 || j == 3 ? 1.0f : 0.0f;
    }
    return vgg_net_params_changed(net);
}

vgg_status vgg_train_init_from(vgg_net *net, const vgg_net *src, vgg_init_scheme rest, float std,
                               uint64_t seed, int *copied)
{
    static const char *const conv_names[] = { "conv1_1", "conv2_1", "conv3_1", "conv3_2" };
    if (copied)
        *copied = 0;
    vgg_status st = vgg_train_init(net, rest, std, seed);
    if (st != VGG_STATUS_OK)
        return st;
    int n = 0;
    for (int l = 0; l < net->n_layers; l++) {
        const vgg_layer_info *L = &net->layers[l];
        bool take = L->kind == VGG_LAYER_FC;
        for (int k = 0; k < 4 && !take; k++)
            take = L->kind == VGG_LAYER_CONV && strcmp(L->name, conv_names[k]) == 0;
        if (!take)
            continue;
        int sl = -1;
        for (int j = 0; j < src->n_layers; j++)
            if (strcmp(src->layers[j].name, L->name) == 0)
                sl = j;
        if (sl < 0 || src->layer_param[sl] < 0)
            return vgg_fail(VGG_STATUS_NOT_FOUND, "init: the source net %s has no layer %s",
                            vgg_config_name(src->arch.config), L->name);
        if ((src->layer_bn[sl] >= 0) != (net->layer_bn[l] >= 0))
            return vgg_fail(VGG_STATUS_MISMATCH,
                            "init: layer %s has batch normalisation in one net and not in the "
                            "other", L->name);
        /* weight, bias, then a batch normalisation's four tensors */
        const int parts = net->layer_bn[l] >= 0 ? 6 : 2;
        for (int part = 0; part < parts; part++) {
            const vgg_param *from = &src->params[src->layer_param[sl] + part];
            vgg_param *to = &net->params[net->layer_param[l] + part];
            if (from->numel != to->numel || from->ndim != to->ndim ||
                memcmp(from->shape, to->shape, sizeof(int64_t) * to->ndim) != 0)
                return vgg_fail(VGG_STATUS_MISMATCH,
                                "init: layer %s (%s) of the source net has another shape than "
                                "this net's", L->name, to->name);
            memcpy(to->data, from->data, sizeof(float) * to->numel);
        }
        n++;
    }
    if (copied)
        *copied = n;
    return vgg_net_params_changed(net);
}
