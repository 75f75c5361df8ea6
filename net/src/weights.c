/* Weights files: vgg_net_load / vgg_net_save on top of safetensors. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "net_internal.h"

/* timm's names for the classifier layers */
static const struct { const char *tv, *timm; } aliases[] = {
    {"classifier.0", "pre_logits.fc1"},
    {"classifier.3", "pre_logits.fc2"},
    {"classifier.6", "head.fc"},
};

static const vgg_st_tensor *find_layer_tensor(const vgg_safetensors *st, const char *prefix,
                                              const char *suffix)
{
    char key[96];
    snprintf(key, sizeof key, "%s.%s", prefix, suffix);
    const vgg_st_tensor *t = vgg_st_find(st, key);
    for (size_t i = 0; !t && i < sizeof aliases / sizeof aliases[0]; i++) {
        if (strcmp(prefix, aliases[i].tv) == 0) {
            snprintf(key, sizeof key, "%s.%s", aliases[i].timm, suffix);
            t = vgg_st_find(st, key);
        }
    }
    return t;
}

static void shape_text(char *buf, size_t n, int ndim, const int64_t *shape)
{
    size_t used = 0;
    used += (size_t)snprintf(buf, n, "(");
    for (int d = 0; d < ndim && used < n; d++)
        used += (size_t)snprintf(buf + used, n - used, "%s%lld", d ? ", " : "",
                                 (long long)shape[d]);
    if (used < n)
        snprintf(buf + used, n - used, ")");
}

/* ---- metadata ---- */

static vgg_status meta_int(const vgg_safetensors *st, const char *key, int lo, int *out)
{
    const char *v = vgg_st_meta(st, key);
    if (!v)
        return VGG_STATUS_OK;
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (end == v || *end != '\0')
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': metadata %s = '%s' is not a whole number",
                        vgg_st_path(st), key, v);
    if (x < lo)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': metadata %s must be at least %d (got %s)",
                        vgg_st_path(st), key, lo, v);
    if (errno || x > (1L << 24))
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': metadata %s must be at most %ld (got %s)",
                        vgg_st_path(st), key, 1L << 24, v);
    *out = (int)x;
    return VGG_STATUS_OK;
}

static vgg_status meta_floats(const vgg_safetensors *st, const char *key, float *out, int n)
{
    const char *v = vgg_st_meta(st, key);
    if (!v)
        return VGG_STATUS_OK;
    const char *p = v;
    float tmp[3];
    for (int i = 0; i < n; i++) {
        char *end = NULL;
        errno = 0;
        double x = strtod(p, &end);
        if (end == p || errno || !isfinite(x))
            goto bad;
        tmp[i] = (float)x;
        p = end;
        while (*p == ' ')
            p++;
        if (i + 1 < n) {
            if (*p != ',')
                goto bad;
            p++;
        }
    }
    if (*p != '\0')
        goto bad;
    memcpy(out, tmp, sizeof(float) * n);
    return VGG_STATUS_OK;
bad:
    return vgg_fail(VGG_STATUS_FORMAT, "'%s': metadata %s = '%s' is not %d number%s",
                    vgg_st_path(st), key, v, n, n > 1 ? "s separated by commas" : "");
}

static vgg_status read_preproc(const vgg_safetensors *st, vgg_preproc *pp, vgg_pool_round *pr)
{
    const char *path = vgg_st_path(st);
    const char *v = vgg_st_meta(st, "channel_order");
    if (v) {
        if (strcasecmp(v, "RGB") == 0)
            pp->order = VGG_CHANNELS_RGB;
        else if (strcasecmp(v, "BGR") == 0)
            pp->order = VGG_CHANNELS_BGR;
        else
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': metadata channel_order = '%s' (RGB or BGR)",
                            path, v);
    }
    vgg_status s = meta_floats(st, "input_range", &pp->range, 1);
    if (s == VGG_STATUS_OK)
        s = meta_floats(st, "mean", pp->mean, 3);
    if (s == VGG_STATUS_OK)
        s = meta_floats(st, "std", pp->std, 3);
    if (s != VGG_STATUS_OK)
        return s;
    if (!(pp->range > 0.0f))
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': metadata input_range must be positive", path);
    for (int c = 0; c < 3; c++)
        if (!(pp->std[c] > 0.0f))
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': metadata std values must be positive", path);
    v = vgg_st_meta(st, "pool_round");
    if (v) {
        if (strcasecmp(v, "floor") == 0)
            *pr = VGG_POOL_FLOOR;
        else if (strcasecmp(v, "ceil") == 0)
            *pr = VGG_POOL_CEIL;
        else
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': metadata pool_round = '%s' (floor or ceil)",
                            path, v);
    }
    return VGG_STATUS_OK;
}

static vgg_status arch_from_meta(const vgg_safetensors *st, vgg_arch *a)
{
    const char *path = vgg_st_path(st);
    vgg_config_id id;
    const char *cfg = vgg_st_meta(st, "config");
    if (vgg_config_parse(cfg, &id) != VGG_STATUS_OK)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': metadata config = '%s' is not a known "
                        "configuration (A, A-LRN, B, C, D, E)", path, cfg);
    vgg_arch_default(a, id);
    float width = a->width;
    vgg_status s = meta_floats(st, "width", &width, 1);
    if (s == VGG_STATUS_OK)
        s = meta_int(st, "fc_dim", 1, &a->fc_dim);
    if (s == VGG_STATUS_OK)
        s = meta_int(st, "num_classes", 1, &a->num_classes);
    if (s == VGG_STATUS_OK)
        s = meta_int(st, "input_size", 32, &a->input_size);
    int bn = 0;
    if (s == VGG_STATUS_OK)
        s = meta_int(st, "batch_norm", 0, &bn);
    if (s != VGG_STATUS_OK)
        return s;
    if (bn > 1)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': metadata batch_norm = '%d' (0 or 1)", path, bn);
    a->width = width;
    a->batch_norm = bn == 1;
    return VGG_STATUS_OK;
}

/* ---- inferring the architecture from the tensors (torchvision, timm) ---- */

typedef struct conv_entry {
    int index;
    const vgg_st_tensor *t;
} conv_entry;

static int cmp_conv(const void *a, const void *b)
{
    return ((const conv_entry *)a)->index - ((const conv_entry *)b)->index;
}

static vgg_status infer_arch(const vgg_safetensors *st, vgg_arch *a)
{
    const char *path = vgg_st_path(st);
    conv_entry convs[64];
    int nc = 0;
    for (int i = 0; i < vgg_st_count(st); i++) {
        const vgg_st_tensor *t = vgg_st_tensor_at(st, i);
        int idx, len = 0;
        if (sscanf(t->name, "features.%d.weight%n", &idx, &len) == 1 &&
            (size_t)len == strlen(t->name) && t->ndim == 4) {
            if (nc == 64)
                return vgg_fail(VGG_STATUS_FORMAT, "'%s': too many conv layers to be a VGG net",
                                path);
            convs[nc++] = (conv_entry){idx, t};
        }
    }
    qsort(convs, nc, sizeof convs[0], cmp_conv);
    bool any_1x1 = false;
    for (int i = 0; i < nc; i++)
        any_1x1 |= convs[i].t->shape[2] == 1;
    /* torchvision's vgg*_bn: a BatchNorm2d after the first conv */
    const bool bn = vgg_st_find(st, "features.1.running_var") != NULL;
    vgg_config_id id;
    if (nc == 8)
        id = convs[1].index == 4 && !bn ? VGG_CONFIG_A_LRN : VGG_CONFIG_A;
    else if (nc == 10)
        id = VGG_CONFIG_B;
    else if (nc == 13)
        id = any_1x1 ? VGG_CONFIG_C : VGG_CONFIG_D;
    else if (nc == 16)
        id = VGG_CONFIG_E;
    else
        return vgg_fail(VGG_STATUS_FORMAT,
                        "'%s': no config metadata, and %d conv weights (features.N.weight) fit "
                        "no VGG configuration (8: A, 10: B, 13: C or D, 16: E)",
                        path, nc);
    vgg_arch_default(a, id);
    a->batch_norm = bn;
    a->width = (float)convs[0].t->shape[0] / 64.0f;
    int64_t c5 = convs[nc - 1].t->shape[0];
    const vgg_st_tensor *fc6 = find_layer_tensor(st, "classifier.0", "weight");
    const vgg_st_tensor *fc8 = find_layer_tensor(st, "classifier.6", "weight");
    if (!fc6)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': tensor classifier.0.weight (fc6) is missing",
                        path);
    if (!fc8)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': tensor classifier.6.weight (fc8) is missing",
                        path);
    int64_t k = 0;
    if (fc6->ndim == 4) {
        k = fc6->shape[2];
    } else if (fc6->ndim == 2 && c5 > 0 && fc6->shape[1] % c5 == 0) {
        int64_t kk = fc6->shape[1] / c5;
        k = (int64_t)llround(sqrt((double)kk));
        if (k * k != kk)
            k = 0;
    }
    if (k <= 0 || k > 64 || fc6->shape[0] <= 0 || fc6->shape[0] > (1 << 20) || fc8->ndim < 2 ||
        fc8->shape[0] <= 0 || fc8->shape[0] > (1 << 24)) {
        char s6[96];
        shape_text(s6, sizeof s6, fc6->ndim, fc6->shape);
        return vgg_fail(VGG_STATUS_FORMAT,
                        "'%s': fc6 weight %s does not fit conv5's %lld channels", path, s6,
                        (long long)c5);
    }
    a->fc_dim = (int)fc6->shape[0];
    a->num_classes = (int)fc8->shape[0];
    a->input_size = (int)(32 * k);
    return VGG_STATUS_OK;
}

/* ---- loading ---- */

/* A batch normalisation's weight, bias, running_mean or running_var. */
static vgg_status load_bn_param(const vgg_safetensors *st, const vgg_layer_info *L, vgg_param *p)
{
    const char *path = vgg_st_path(st);
    const vgg_st_tensor *t = vgg_st_find(st, p->name);
    if (!t)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': tensor %s (the batch normalisation of %s) is "
                        "missing", path, p->name, L->name);
    if (t->ndim != 1 || t->shape[0] != p->shape[0]) {
        char got[96];
        shape_text(got, sizeof got, t->ndim, t->shape);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': %s is %s, expected (%lld) for %s", path,
                        t->name, got, (long long)p->shape[0], L->name);
    }
    vgg_status s = vgg_st_to_f32(st, t, p->data);
    if (s == VGG_STATUS_OK && p->running && strstr(p->name, "running_var"))
        for (size_t i = 0; i < p->numel; i++)
            if (!(p->data[i] >= 0.0f))
                return vgg_fail(VGG_STATUS_FORMAT, "'%s': %s holds a negative or NaN variance",
                                path, p->name);
    return s;
}

/* Whether x[0..n) holds no NaN and no infinity: v * 0 is 0 for every
 * finite v and NaN otherwise, and a NaN stays in the sum (vectorised). */
static bool all_finite(const float *x, size_t n)
{
    float z = 0.0f;
    SIMD_REDUCE(reduction(+ : z))
    for (size_t i = 0; i < n; i++)
        z += x[i] * 0.0f;
    return z == 0.0f;
}

/* Parameter pi of net (layer L's weight or bias) from st: with alias (the
 * file's map is the net's, private and writable), where the tensor is
 * float32 at a float's alignment, the parameter's data is the tensor
 * itself in the map (no copy); otherwise converted into the net's own
 * buffer. */
static vgg_status load_param(const vgg_safetensors *st, const vgg_layer_info *L, vgg_net *net,
                             int pi, bool is_weight, bool alias)
{
    vgg_param *p = &net->params[pi];
    const char *path = vgg_st_path(st);
    const vgg_st_tensor *t = find_layer_tensor(st, L->weight_key, is_weight ? "weight" : "bias");
    if (!t)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': tensor %s (%s) is missing", path, p->name,
                        L->name);
    bool ok;
    if (!is_weight) {
        ok = t->ndim == 1 && t->shape[0] == p->shape[0];
    } else if (t->ndim == 4) {
        ok = true;
        for (int d = 0; d < 4; d++)
            ok &= t->shape[d] == p->shape[d];
    } else {
        /* a fully connected layer may be stored as a matrix (torchvision) */
        ok = L->kind == VGG_LAYER_FC && t->ndim == 2 && t->shape[0] == p->shape[0] &&
             t->shape[1] == p->shape[1] * p->shape[2] * p->shape[3];
    }
    if (!ok) {
        char got[96], want[96];
        shape_text(got, sizeof got, t->ndim, t->shape);
        if (is_weight && L->kind == VGG_LAYER_FC && t->ndim == 2) {
            int64_t flat[2] = {p->shape[0], p->shape[1] * p->shape[2] * p->shape[3]};
            shape_text(want, sizeof want, 2, flat);
        } else {
            shape_text(want, sizeof want, p->ndim, p->shape);
        }
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': %s is %s, expected %s for %s", path, t->name,
                        got, want, L->name);
    }
    vgg_status s = VGG_STATUS_OK;
    if (alias && t->dtype == VGG_DTYPE_F32 &&
        (uintptr_t)t->data % _Alignof(float) == 0 && t->nbytes == p->numel * sizeof(float)) {
        free(p->data);
        p->data = (float *)t->data;
        net->in_map[pi] = true;
        if (!net->dev_owned)
            net->dev[pi] = p->data;
    } else {
        s = vgg_st_to_f32(st, t, p->data);
    }
    if (s != VGG_STATUS_OK)
        return s;
    /* a NaN in a weight gives finite, meaningless features after ReLU:
     * refuse it here, where the tensor and the file are known (one
     * vectorised pass; the element looked for only where it found one) */
    if (all_finite(p->data, p->numel))
        return VGG_STATUS_OK;
    for (size_t i = 0; i < p->numel; i++)
        if (!isfinite(p->data[i]))
            return vgg_fail(VGG_STATUS_NUMERIC, "'%s': tensor %s (%s) holds %s at element %zu "
                            "of %zu; the weights file is damaged: convert or download it again",
                            path, t->name, L->name, isnan(p->data[i]) ? "NaN" : "an infinity",
                            i, p->numel);
    return VGG_STATUS_OK;
}

/* Whether parameters may live in the file's map (VGG_NO_MMAP unset, empty
 * or 0). */
static bool map_params(void)
{
    const char *v = getenv("VGG_NO_MMAP");
    return !v || !*v || strcmp(v, "0") == 0;
}

vgg_status vgg_net_load(const char *path, vgg_backend *be, vgg_net **out)
{
    *out = NULL;
    vgg_safetensors *st = NULL;
    vgg_status s = vgg_st_open(path, &st);
    if (s != VGG_STATUS_OK)
        return s;
    vgg_arch arch;
    s = vgg_st_meta(st, "config") ? arch_from_meta(st, &arch) : infer_arch(st, &arch);
    vgg_preproc pp;
    vgg_preproc_torchvision(&pp);
    if (s == VGG_STATUS_OK)
        s = read_preproc(st, &pp, &arch.pool_round);
    if (s == VGG_STATUS_OK && vgg_arch_validate(&arch) != VGG_STATUS_OK)
        s = vgg_fail_context(VGG_STATUS_FORMAT, "'%s': ", path);
    vgg_net *net = NULL;
    if (s == VGG_STATUS_OK)
        s = vgg_net_create(&arch, be, &net);
    /* float32 weights are used where they lie in the file's map, made
     * private (copy on write) and kept by the net: no copy of a VGG-16's
     * 528 MB (net/README.md, "Loading"); where the map cannot be made
     * private, or VGG_NO_MMAP=1, they are copied */
    bool alias = false;
    if (s == VGG_STATUS_OK && map_params()) {
        vgg_st_take_map(st, &net->file_map);
        alias = vgg_map_make_private(&net->file_map, path) == VGG_STATUS_OK;
        if (!alias)
            vgg_clear_error();
    }
    for (int l = 0; s == VGG_STATUS_OK && l < net->n_layers; l++) {
        int p = net->layer_param[l];
        if (p < 0)
            continue;
        s = load_param(st, &net->layers[l], net, p, true, alias);
        if (s == VGG_STATUS_OK)
            s = load_param(st, &net->layers[l], net, p + 1, false, alias);
        for (int j = 0; j < 4 && s == VGG_STATUS_OK && net->layer_bn[l] >= 0; j++)
            s = load_bn_param(st, &net->layers[l], &net->params[net->layer_bn[l] + j]);
    }
    /* a map that holds no parameter (copied, or none float32) goes now */
    bool used = false;
    for (int i = 0; net && i < net->n_params; i++)
        used |= net->in_map[i];
    if (net && !used)
        vgg_unmap_file(&net->file_map);
    if (s == VGG_STATUS_OK) {
        net->preproc = pp;
        s = vgg_net_params_changed(net);
    }
    /* weights whose values cannot stay finite through the net, for the
     * images the preprocessing makes: refused here, naming the file */
    if (s == VGG_STATUS_OK && (s = vgg_net_check_range(net)) != VGG_STATUS_OK)
        vgg_fail_context(s, "'%s': ", path);
    vgg_st_close(st);
    if (s != VGG_STATUS_OK) {
        vgg_net_free(net);
        return s;
    }
    *out = net;
    return VGG_STATUS_OK;
}

/* ---- saving ---- */

vgg_status vgg_net_save(const vgg_net *net, const char *path)
{
    vgg_st_entry entries[VGG_MAX_PARAMS];
    for (int l = 0; l < net->n_layers; l++) {
        int p = net->layer_param[l];
        if (p < 0)
            continue;
        /* weight, bias, then a batch normalisation's four tensors */
        int parts = net->layer_bn[l] >= 0 ? 6 : 2;
        for (int j = 0; j < parts; j++) {
            const vgg_param *pr = &net->params[p + j];
            vgg_st_entry *e = &entries[p + j];
            memset(e, 0, sizeof *e);
            e->name = pr->name;
            e->dtype = VGG_DTYPE_F32;
            e->data = pr->data;
            if (j == 0 && net->layers[l].kind == VGG_LAYER_FC) {
                /* torchvision's Linear layout (fc6 input index c*k*k + y*k + x) */
                e->ndim = 2;
                e->shape[0] = pr->shape[0];
                e->shape[1] = pr->shape[1] * pr->shape[2] * pr->shape[3];
            } else {
                e->ndim = pr->ndim;
                memcpy(e->shape, pr->shape, sizeof pr->shape);
            }
        }
    }
    const vgg_arch *a = &net->arch;
    const vgg_preproc *pp = &net->preproc;
    char width[32], fc_dim[16], classes[16], input[16], range[32], mean[96], std[96];
    snprintf(width, sizeof width, "%.9g", (double)a->width);
    snprintf(fc_dim, sizeof fc_dim, "%d", a->fc_dim);
    snprintf(classes, sizeof classes, "%d", a->num_classes);
    snprintf(input, sizeof input, "%d", a->input_size);
    snprintf(range, sizeof range, "%.9g", (double)pp->range);
    snprintf(mean, sizeof mean, "%.9g,%.9g,%.9g", (double)pp->mean[0], (double)pp->mean[1],
             (double)pp->mean[2]);
    snprintf(std, sizeof std, "%.9g,%.9g,%.9g", (double)pp->std[0], (double)pp->std[1],
             (double)pp->std[2]);
    const char *keys[] = {"format",     "config", "width",         "fc_dim",
                          "num_classes", "input_size", "pool_round", "channel_order",
                          "input_range", "mean",  "std", "batch_norm"};
    const char *values[] = {"vggfeat-weights-1",
                            vgg_config_name(a->config),
                            width,
                            fc_dim,
                            classes,
                            input,
                            a->pool_round == VGG_POOL_CEIL ? "ceil" : "floor",
                            pp->order == VGG_CHANNELS_BGR ? "BGR" : "RGB",
                            range,
                            mean,
                            std,
                            "1"};
    /* "batch_norm" only for a net that has it: other files stay as they were */
    int n_meta = (int)(sizeof keys / sizeof keys[0]) - (a->batch_norm ? 0 : 1);
    return vgg_st_write(path, entries, net->n_params, keys, values, n_meta);
}
