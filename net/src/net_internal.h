/* The vgg_net structure, for code inside net/ (forward passes, training,
 * weight conversion).  Not part of the public interface. */
#ifndef VGG_NET_INTERNAL_H
#define VGG_NET_INTERNAL_H

#include <float.h>

#include "backend.h"
#include "vgg/net.h"

#define VGG_MAX_LAYERS 64
#define VGG_MAX_PARAMS (6 * VGG_MAX_LAYERS)
#define VGG_BN_EPS 1e-5f        /* torchvision's BatchNorm2d */
#define VGG_BN_MOMENTUM 0.1f    /* running = (1 - m) running + m batch */

struct vgg_net {
    vgg_arch arch;
    vgg_layer_info layers[VGG_MAX_LAYERS];
    int n_layers;

    /* Parameters in layer order: for each CONV/FC layer its weight, then its
     * bias.  params[i].name and params[i].data are owned by the net (host
     * memory).  fc6's weight is (fc_dim, C5, k, k), fc7's (fc_dim, fc_dim,
     * 1, 1), fc8's (classes, fc_dim, 1, 1): every weight is 4-D. */
    vgg_param params[VGG_MAX_PARAMS];
    int n_params;
    /* The weights file, mapped private and writable (vgg_net_load): the
     * float32 tensors of the file that params[i].data points into where
     * in_map[i] (not freed with the net; a write copies the page, the file
     * never changes).  Unmapped with the net. */
    vgg_mapped file_map;
    bool in_map[VGG_MAX_PARAMS];
    /* layer_param[l]: index in params[] of layer l's weight (its bias is
     * the next one), -1 for layers without parameters. */
    int layer_param[VGG_MAX_LAYERS];
    /* layer_bn[l]: index in params[] of the weight of layer l's batch
     * normalisation (then its bias, running_mean, running_var), -1 if none. */
    int layer_bn[VGG_MAX_LAYERS];
    /* Layers with batch normalisation: the conv folded with the BN's running
     * statistics, what the forward pass uses (device memory; on the CPU
     * fold_dev_* are the host fold_* themselves).  NULL elsewhere. */
    float *fold_w[VGG_MAX_LAYERS];   /* (cout, cin, k, k) */
    float *fold_b[VGG_MAX_LAYERS];   /* (cout) */
    float *fold_dev_w[VGG_MAX_LAYERS];
    float *fold_dev_b[VGG_MAX_LAYERS];

    /* Device copies of params[i].data, owned by the net when the backend's
     * memory is not host memory (dev_owned; uploaded by
     * vgg_net_params_changed); on a host-memory backend the host pointers
     * themselves. */
    float *dev[VGG_MAX_PARAMS];
    bool dev_owned;

    vgg_preproc preproc;
    vgg_backend *be;   /* borrowed */

    /* The forward pass's state: the backend's chain cache (forward's
     * *cache, released with the net), a generation bumped whenever the
     * parameters may have changed (handing out a vgg_param,
     * vgg_net_params_changed), and, for backends without a chain, two
     * activation buffers of act_cap floats each, grown as needed. */
    void *fwd_cache;
    uint64_t param_gen;
    float *act[2];
    size_t act_cap;
    /* vgg_net_forward_pooled: the chain's whole output map (backends with
     * a chain) and the pooled (n, C) result, device buffers grown as
     * needed (floats) */
    float *map;
    size_t map_cap;
    float *pooled;
    size_t pooled_cap;
    /* per layer, seconds spent in forward passes since profiling began */
    bool profiling;
    double layer_seconds[VGG_MAX_LAYERS];
    /* The range check (net.c, net/README.md): for the weights of param_gen
     * and the backend's weights_epoch, and inputs within [lo, hi] per
     * channel, the first layer whose values may leave the range every
     * backend computes without overflow (n_layers: none), why, the bound
     * there, and the largest bound of the layers before it. */
    struct {
        bool valid;
        uint64_t gen, epoch;
        float lo[3], hi[3];
        int bad_layer;
        bool bad_weights;   /* a weight or bias of bad_layer is not finite */
        double reach, peak;
    } range;
};

/* Weight of layer l on the device as the forward pass uses it (NULL if the
 * layer has none): with batch normalisation, the conv folded with it. */
static inline const float *vgg_net_layer_weight(const vgg_net *net, int l)
{
    int p = net->layer_param[l];
    if (p >= 0 && net->layer_bn[l] >= 0)
        return net->fold_dev_w[l];
    return p < 0 ? NULL : net->dev[p];
}
static inline const float *vgg_net_layer_bias(const vgg_net *net, int l)
{
    int p = net->layer_param[l];
    if (p >= 0 && net->layer_bn[l] >= 0)
        return net->fold_dev_b[l];
    return p < 0 ? NULL : net->dev[p + 1];
}

/* The largest bound on a forward pass's values that the range check
 * accepts: FLT_MAX over a headroom of 2^24 for the backends' reordered
 * sums (net/README.md, "Non-finite values"). */
#define VGG_NET_RANGE_HEADROOM 16777216.0
#define VGG_NET_RANGE_MAX ((double)FLT_MAX / VGG_NET_RANGE_HEADROOM)

/* A loop over every weight or input value vectorised, with reductions
 * (GCC needs the request to reorder float sums); clang, which does
 * without, warns where it cannot honour it. */
#if defined(__clang__)
#define SIMD_REDUCE(clauses)
#else
#define SIMD_PRAGMA(x) _Pragma(#x)
#define SIMD_REDUCE(clauses) SIMD_PRAGMA(omp simd clauses)
#endif

/* The range check of the weights for inputs within the preprocessing's
 * range (net.c): NUMERIC naming the layer when a weight or bias is not
 * finite or the values of a layer may overflow a float in some backend
 * (see net/README.md, "Non-finite values"); the caller adds the file. */
vgg_status vgg_net_check_range(vgg_net *net);

/* Append a zero parameter "<layer_key>.<suffix>" of the given shape to
 * params[] (net.c). */
vgg_status vgg_net_add_param_(vgg_net *net, const char *layer_key, const char *suffix, int ndim,
                              const int64_t *shape);

/* Batch normalisation (batchnorm.c): add layer l's four BN tensors to
 * params[] (scale and running variance one) and its fold buffers; fold
 * every BN layer's running statistics into its conv (from the host
 * copies, then uploaded); release the fold buffers. */
vgg_status vgg_net_bn_add(vgg_net *net, int l);
vgg_status vgg_net_bn_fold(vgg_net *net);
void vgg_net_bn_free(vgg_net *net);

/* Spatial size after layer l for an input side of s (s unchanged by conv
 * and LRN; pools halve it by net->arch.pool_round; fc layers return
 * s - kernel + 1). */
int vgg_net_side_after(const vgg_net *net, int l, int s);

/* The LRN parameters of A-LRN: size 5, alpha 1e-4, beta 0.75, k 2. */
void vgg_lrn_default(vgg_lrn_desc *d);

/* The path a safetensors file was opened with (borrowed). */
const char *vgg_st_path(const vgg_safetensors *st);
/* Hand st's map of the file to the caller, who unmaps it (vgg_unmap_file)
 * after the last use of a tensor's data; st no longer unmaps it. */
void vgg_st_take_map(vgg_safetensors *st, vgg_mapped *out);

/* IEEE half-precision bits to float (subnormals, infinities, NaN kept). */
float vgg_half_to_float(uint16_t h);

#endif
