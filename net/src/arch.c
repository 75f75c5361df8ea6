/* The configurations of Table 1 (Simonyan & Zisserman, ICLR 2015) as data. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "net_internal.h"

/* conv channels of each block at width 1; a negative entry is a 1x1 conv */
typedef struct config_def {
    const char *name;
    int block_len[5];
    int ch[5][4];
    bool lrn;
} config_def;

static const config_def defs[VGG_CONFIG_COUNT_] = {
    [VGG_CONFIG_A] = {"A", {1, 1, 2, 2, 2},
                      {{64}, {128}, {256, 256}, {512, 512}, {512, 512}}, false},
    [VGG_CONFIG_A_LRN] = {"A-LRN", {1, 1, 2, 2, 2},
                          {{64}, {128}, {256, 256}, {512, 512}, {512, 512}}, true},
    [VGG_CONFIG_B] = {"B", {2, 2, 2, 2, 2},
                      {{64, 64}, {128, 128}, {256, 256}, {512, 512}, {512, 512}}, false},
    [VGG_CONFIG_C] = {"C", {2, 2, 3, 3, 3},
                      {{64, 64}, {128, 128}, {256, 256, -256}, {512, 512, -512},
                       {512, 512, -512}}, false},
    [VGG_CONFIG_D] = {"D", {2, 2, 3, 3, 3},
                      {{64, 64}, {128, 128}, {256, 256, 256}, {512, 512, 512},
                       {512, 512, 512}}, false},
    [VGG_CONFIG_E] = {"E", {2, 2, 4, 4, 4},
                      {{64, 64}, {128, 128}, {256, 256, 256, 256}, {512, 512, 512, 512},
                       {512, 512, 512, 512}}, false},
};

void vgg_arch_default(vgg_arch *a, vgg_config_id config)
{
    *a = (vgg_arch){
        .config = config,
        .width = 1.0f,
        .fc_dim = 4096,
        .num_classes = 1000,
        .input_size = 224,
        .pool_round = VGG_POOL_FLOOR,
        .batch_norm = false,
    };
}

const char *vgg_arch_name(const vgg_arch *a, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s", vgg_config_name(a->config), a->batch_norm ? "-BN" : "");
    return buf;
}

vgg_status vgg_config_parse(const char *text, vgg_config_id *out)
{
    static const struct { const char *s; vgg_config_id id; } names[] = {
        {"A", VGG_CONFIG_A},     {"A-LRN", VGG_CONFIG_A_LRN}, {"A_LRN", VGG_CONFIG_A_LRN},
        {"B", VGG_CONFIG_B},     {"C", VGG_CONFIG_C},         {"D", VGG_CONFIG_D},
        {"E", VGG_CONFIG_E},     {"vgg11", VGG_CONFIG_A},     {"vgg13", VGG_CONFIG_B},
        {"vgg16", VGG_CONFIG_D}, {"vgg19", VGG_CONFIG_E},
    };
    for (size_t i = 0; text && i < sizeof names / sizeof names[0]; i++) {
        if (strcasecmp(text, names[i].s) == 0) {
            *out = names[i].id;
            return VGG_STATUS_OK;
        }
    }
    return vgg_fail(VGG_STATUS_INVALID,
                    "unknown configuration '%s' (A, A-LRN, B, C, D, E, vgg11, vgg13, vgg16, vgg19)",
                    text ? text : "(null)");
}

const char *vgg_config_name(vgg_config_id c)
{
    return (c >= 0 && c < VGG_CONFIG_COUNT_) ? defs[c].name : "?";
}

vgg_status vgg_arch_validate(const vgg_arch *a)
{
    if (a->config < 0 || a->config >= VGG_CONFIG_COUNT_)
        return vgg_fail(VGG_STATUS_INVALID, "architecture: unknown configuration %d", (int)a->config);
    if (!(a->width > 0.0f) || a->width > 64.0f || !isfinite(a->width))
        return vgg_fail(VGG_STATUS_INVALID, "architecture: width %g is not in (0, 64]",
                        (double)a->width);
    if (a->fc_dim <= 0 || a->fc_dim > (1 << 20))
        return vgg_fail(VGG_STATUS_INVALID, "architecture: fc_dim %d is not positive", a->fc_dim);
    if (a->num_classes <= 0 || a->num_classes > (1 << 24))
        return vgg_fail(VGG_STATUS_INVALID, "architecture: num_classes %d is not positive",
                        a->num_classes);
    if (a->input_size < 32 || a->input_size % 32 != 0 || a->input_size > 32 * 64)
        return vgg_fail(VGG_STATUS_INVALID,
                        "architecture: input_size %d is not a positive multiple of 32 (up to 2048)",
                        a->input_size);
    if (a->batch_norm && defs[a->config].lrn)
        return vgg_fail(VGG_STATUS_INVALID,
                        "architecture: A-LRN with batch normalisation is not a configuration");
    if (a->pool_round != VGG_POOL_FLOOR && a->pool_round != VGG_POOL_CEIL)
        return vgg_fail(VGG_STATUS_INVALID, "architecture: unknown pool rounding %d",
                        (int)a->pool_round);
    return VGG_STATUS_OK;
}

static int scaled(int c, float width)
{
    long v = lroundf((float)c * width);
    return v < 1 ? 1 : (int)v;
}

vgg_status vgg_arch_layers(const vgg_arch *a, vgg_layer_info *layers, int max, int *count)
{
    *count = 0;
    vgg_status st = vgg_arch_validate(a);
    if (st != VGG_STATUS_OK)
        return st;
    const config_def *def = &defs[a->config];
    vgg_layer_info tmp[VGG_MAX_LAYERS];
    int n = 0, feat = 0, cin = 3;
    for (int b = 0; b < 5; b++) {
        for (int j = 0; j < def->block_len[b]; j++) {
            int c = def->ch[b][j];
            vgg_layer_info *L = &tmp[n++];
            memset(L, 0, sizeof *L);
            L->kind = VGG_LAYER_CONV;
            /* b < 5, j < 4: one digit each */
            snprintf(L->name, sizeof L->name, "conv%c_%c", (char)('1' + b), (char)('1' + j));
            L->in_channels = cin;
            L->out_channels = scaled(c < 0 ? -c : c, a->width);
            L->kernel = c < 0 ? 1 : 3;
            L->relu = true;
            snprintf(L->weight_key, sizeof L->weight_key, "features.%d", feat);
            if (a->batch_norm) {
                L->batch_norm = true;
                snprintf(L->bn_key, sizeof L->bn_key, "features.%d", feat + 1);
                feat += 1;   /* BatchNorm2d */
            }
            feat += 2;   /* conv, ReLU */
            cin = L->out_channels;
            if (def->lrn && b == 0 && j == 0) {
                L = &tmp[n++];
                memset(L, 0, sizeof *L);
                L->kind = VGG_LAYER_LRN;
                snprintf(L->name, sizeof L->name, "lrn1");
                L->in_channels = L->out_channels = cin;
                feat += 1;
            }
        }
        vgg_layer_info *P = &tmp[n++];
        memset(P, 0, sizeof *P);
        P->kind = VGG_LAYER_POOL;
        snprintf(P->name, sizeof P->name, "pool%d", b + 1);
        P->in_channels = P->out_channels = cin;
        P->kernel = 2;
        feat += 1;
    }
    static const char *fc_names[3] = {"fc6", "fc7", "fc8"};
    static const char *fc_keys[3] = {"classifier.0", "classifier.3", "classifier.6"};
    for (int f = 0; f < 3; f++) {
        vgg_layer_info *L = &tmp[n++];
        memset(L, 0, sizeof *L);
        L->kind = VGG_LAYER_FC;
        snprintf(L->name, sizeof L->name, "%s", fc_names[f]);
        L->in_channels = cin;
        L->out_channels = f == 2 ? a->num_classes : a->fc_dim;
        L->kernel = f == 0 ? a->input_size / 32 : 1;
        L->relu = f != 2;
        snprintf(L->weight_key, sizeof L->weight_key, "%s", fc_keys[f]);
        cin = L->out_channels;
    }
    if (n > max)
        return vgg_fail(VGG_STATUS_INVALID, "architecture %s has %d layers, room for %d",
                        def->name, n, max);
    memcpy(layers, tmp, sizeof(vgg_layer_info) * n);
    *count = n;
    return VGG_STATUS_OK;
}

int64_t vgg_arch_param_count(const vgg_arch *a)
{
    vgg_layer_info layers[VGG_MAX_LAYERS];
    int n = 0;
    if (vgg_arch_layers(a, layers, VGG_MAX_LAYERS, &n) != VGG_STATUS_OK)
        return -1;
    int64_t total = 0;
    for (int i = 0; i < n; i++) {
        const vgg_layer_info *L = &layers[i];
        if (L->kind == VGG_LAYER_CONV || L->kind == VGG_LAYER_FC)
            total += (int64_t)L->out_channels * L->in_channels * L->kernel * L->kernel +
                     L->out_channels;
        if (L->batch_norm)
            total += 2 * (int64_t)L->out_channels;   /* scale and shift */
    }
    return total;
}

void vgg_lrn_default(vgg_lrn_desc *d)
{
    *d = (vgg_lrn_desc){.size = 5, .alpha = 1e-4f, .beta = 0.75f, .k = 2.0f};
}
