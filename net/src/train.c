/* The trainer: training forward keeping activations, backward through
 * every layer, gradient accumulation and momentum SGD (see vgg/train.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"
#include "train_internal.h"
#include "vgg/train.h"

void vgg_train_opts_default(vgg_train_opts *o)
{
    *o = (vgg_train_opts){
        .momentum = 0.9f, .weight_decay = 5e-4f, .dropout = 0.5f, .micro_batch = 32, .seed = 1,
    };
}

/* Per layer: its output, plus the ReLU output before dropout and the mask
 * for fc6/fc7, the argmax for pools. */
typedef struct layer_buf {
    int c, h, w;          /* output shape per image */
    float *y;             /* (mb, c, h, w) */
    float *pre;           /* before dropout (fc6, fc7), else NULL */
    uint8_t *mask;        /* dropout mask (mb, c, h, w) */
    int32_t *argmax;      /* pools */
    bool dropout;
    float *z;             /* batch normalisation: the conv's output (mb, c, h, w) */
    float *bn_mean;       /* and its batch mean, 1 / sqrt(var + eps) (c) */
    float *bn_invstd;
} layer_buf;

struct vgg_trainer {
    vgg_net *net;
    vgg_backend *be;
    vgg_train_opts o;
    bool dropout_on;
    int64_t iter;
    int mb;
    float *x;             /* (mb, 3, S, S) on the device */
    layer_buf lb[VGG_MAX_LAYERS];
    float *g0, *g1;       /* gradient ping-pong, the largest activation */
    /* Every parameter's gradient in one contiguous device buffer (so that
     * a data-parallel reduction is one call), grad_count floats; grad[i]
     * points into it, each start aligned to 64 floats.  The momenta
     * likewise, at the same offsets. */
    float *grad_all, *mom_all;
    size_t grad_count;
    float *grad[VGG_MAX_PARAMS];
    float *mom[VGG_MAX_PARAMS];
    float *host_logits;
    int32_t *dev_labels;
};

vgg_net *vgg_trainer_net(vgg_trainer *t) { return t->net; }
int64_t vgg_trainer_iteration(const vgg_trainer *t) { return t->iter; }
void vgg_trainer_set_dropout(vgg_trainer *t, bool on) { t->dropout_on = on; }

void vgg_trainer_free(vgg_trainer *t)
{
    if (!t)
        return;
    vgg_backend *be = t->be;
    be->ops->release(be, t->x);
    for (int l = 0; l < VGG_MAX_LAYERS; l++) {
        be->ops->release(be, t->lb[l].y);
        be->ops->release(be, t->lb[l].pre);
        be->ops->release(be, t->lb[l].mask);
        be->ops->release(be, t->lb[l].argmax);
        be->ops->release(be, t->lb[l].z);
        be->ops->release(be, t->lb[l].bn_mean);
        be->ops->release(be, t->lb[l].bn_invstd);
    }
    be->ops->release(be, t->g0);
    be->ops->release(be, t->g1);
    be->ops->release(be, t->grad_all);
    be->ops->release(be, t->mom_all);
    be->ops->release(be, t->dev_labels);
    free(t->host_logits);
    free(t);
}

static vgg_status dev_alloc(vgg_backend *be, size_t bytes, void **p)
{
    return be->ops->alloc(be, bytes ? bytes : 1, p);
}

/* What the backend and the options allow; OK or the refusal. */
static vgg_status trainer_check(const vgg_net *net, const vgg_train_opts *o)
{
    const vgg_backend *be = net->be;
    if (!be->train || !be->train->conv2d_backward)
        return vgg_fail(VGG_STATUS_UNSUPPORTED, "backend %s cannot train", be->name);
    if (be->opts.precision == VGG_PRECISION_BF16 || be->opts.precision == VGG_PRECISION_INT8)
        return vgg_fail(VGG_STATUS_INVALID, "device '%s': precision %s is for extraction "
                        "(forward passes); training computes fp32: use --precision fp32",
                        be->name, be->opts.precision == VGG_PRECISION_BF16 ? "bf16" : "int8");
    if (net->arch.batch_norm && !be->train->batchnorm_relu)
        return vgg_fail(VGG_STATUS_UNSUPPORTED,
                        "backend %s cannot train batch normalisation", be->name);
    if (o->micro_batch < 1)
        return vgg_fail(VGG_STATUS_INVALID, "trainer: micro-batch %d must be at least 1",
                        o->micro_batch);
    if (!(o->dropout >= 0.0f && o->dropout < 1.0f))
        return vgg_fail(VGG_STATUS_INVALID, "trainer: dropout %g outside [0, 1)", o->dropout);
    if (!(o->momentum >= 0.0f && o->momentum < 1.0f) || !(o->weight_decay >= 0.0f))
        return vgg_fail(VGG_STATUS_INVALID, "trainer: momentum %g or weight decay %g out of range",
                        o->momentum, o->weight_decay);
    return VGG_STATUS_OK;
}

/* One layer's buffers for a micro-batch: its output, dropout's, max
 * pooling's arg max, batch normalisation's. */
static vgg_status layer_alloc(vgg_trainer *t, int l, size_t count)
{
    const vgg_net *net = t->net;
    vgg_backend *be = t->be;
    layer_buf *b = &t->lb[l];
    vgg_status st = dev_alloc(be, sizeof(float) * count, (void **)&b->y);
    if (b->dropout) {
        if (st == VGG_STATUS_OK)
            st = dev_alloc(be, sizeof(float) * count, (void **)&b->pre);
        if (st == VGG_STATUS_OK)
            st = dev_alloc(be, count, (void **)&b->mask);
    }
    if (net->layers[l].kind == VGG_LAYER_POOL && st == VGG_STATUS_OK)
        st = dev_alloc(be, sizeof(int32_t) * count, (void **)&b->argmax);
    if (net->layer_bn[l] >= 0) {
        if (st == VGG_STATUS_OK)
            st = dev_alloc(be, sizeof(float) * count, (void **)&b->z);
        if (st == VGG_STATUS_OK)
            st = dev_alloc(be, sizeof(float) * b->c, (void **)&b->bn_mean);
        if (st == VGG_STATUS_OK)
            st = dev_alloc(be, sizeof(float) * b->c, (void **)&b->bn_invstd);
    }
    return st;
}

/* Every layer's shape and buffers, then the two gradient scratch buffers as
 * large as the largest activation; the scores must come out 1x1. */
static vgg_status layers_alloc(vgg_trainer *t)
{
    const vgg_net *net = t->net;
    const int S = net->arch.input_size;
    vgg_status st = dev_alloc(t->be, sizeof(float) * (size_t)t->mb * 3 * S * S, (void **)&t->x);
    int c = 3, h = S, w = S, fc = 0;
    size_t biggest = 0;
    for (int l = 0; l < net->n_layers && st == VGG_STATUS_OK; l++) {
        const vgg_layer_info *L = &net->layers[l];
        layer_buf *b = &t->lb[l];
        b->c = L->kind == VGG_LAYER_CONV || L->kind == VGG_LAYER_FC ? L->out_channels : c;
        b->h = vgg_net_side_after(net, l, h);
        b->w = vgg_net_side_after(net, l, w);
        if (b->h <= 0 || b->w <= 0)
            return vgg_fail(VGG_STATUS_INVALID, "trainer: input %d too small at layer %s", S,
                            L->name);
        size_t count = (size_t)t->mb * b->c * b->h * b->w;
        size_t in_count = (size_t)t->mb * c * h * w;
        biggest = count > biggest ? count : biggest;
        biggest = in_count > biggest ? in_count : biggest;
        b->dropout = L->kind == VGG_LAYER_FC && ++fc <= 2;
        st = layer_alloc(t, l, count);
        c = b->c;
        h = b->h;
        w = b->w;
    }
    if (st == VGG_STATUS_OK && (h != 1 || w != 1))
        st = vgg_fail(VGG_STATUS_INVALID, "trainer: input %d gives a %dx%d score map, not 1x1", S,
                      h, w);
    if (st == VGG_STATUS_OK)
        st = dev_alloc(t->be, sizeof(float) * biggest, (void **)&t->g0);
    if (st == VGG_STATUS_OK)
        st = dev_alloc(t->be, sizeof(float) * biggest, (void **)&t->g1);
    return st;
}

/* The contiguous gradient and momentum buffers (each tensor 64-aligned, so
 * one collective reduces them all), zeroed; the logits and labels. */
static vgg_status grads_alloc(vgg_trainer *t)
{
    const vgg_net *net = t->net;
    vgg_backend *be = t->be;
    size_t offset[VGG_MAX_PARAMS];
    for (int i = 0; i < net->n_params; i++) {
        offset[i] = t->grad_count;
        t->grad_count += (net->params[i].numel + 63) / 64 * 64;
    }
    vgg_status st = dev_alloc(be, sizeof(float) * t->grad_count, (void **)&t->grad_all);
    if (st == VGG_STATUS_OK)
        st = dev_alloc(be, sizeof(float) * t->grad_count, (void **)&t->mom_all);
    if (st == VGG_STATUS_OK)
        st = be->ops->fill(be, t->grad_all, t->grad_count, 0.0f);
    if (st == VGG_STATUS_OK)
        st = be->ops->fill(be, t->mom_all, t->grad_count, 0.0f);
    for (int i = 0; i < net->n_params && st == VGG_STATUS_OK; i++) {
        t->grad[i] = t->grad_all + offset[i];
        t->mom[i] = t->mom_all + offset[i];
    }
    const size_t nlog = (size_t)t->mb * net->arch.num_classes;
    if (st == VGG_STATUS_OK) {
        t->host_logits = malloc(sizeof(float) * nlog);
        if (!t->host_logits)
            st = vgg_fail(VGG_STATUS_NOMEM, "trainer: out of memory");
    }
    if (st == VGG_STATUS_OK)
        st = dev_alloc(be, sizeof(int32_t) * t->mb, (void **)&t->dev_labels);
    return st;
}

vgg_status vgg_trainer_create(vgg_net *net, const vgg_train_opts *o, vgg_trainer **out)
{
    *out = NULL;
    vgg_status st = trainer_check(net, o);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_trainer *t = calloc(1, sizeof *t);
    if (!t)
        return vgg_fail(VGG_STATUS_NOMEM, "trainer: out of memory");
    t->net = net;
    t->be = net->be;
    t->o = *o;
    t->dropout_on = true;
    t->mb = o->micro_batch;
    st = layers_alloc(t);
    if (st == VGG_STATUS_OK)
        st = grads_alloc(t);
    if (st != VGG_STATUS_OK) {
        vgg_trainer_free(t);
        return st;
    }
    *out = t;
    return VGG_STATUS_OK;
}

vgg_status vgg_trainer_zero_grad(vgg_trainer *t)
{
    return t->be->ops->fill(t->be, t->grad_all, t->grad_count, 0.0f);
}

void vgg_trainer_grad_buffer_(vgg_trainer *t, float **grad, size_t *count)
{
    *grad = t->grad_all;
    *count = t->grad_count;
}

/* The conv of layer L (its ReLU comes after the batch normalisation when
 * there is one). */
static vgg_conv_desc conv_desc(const vgg_layer_info *L, int n, int h, int w)
{
    return (vgg_conv_desc){
        .n = n, .cin = L->in_channels, .h = h, .w = w, .cout = L->out_channels,
        .k = L->kernel, .pad = L->kind == VGG_LAYER_CONV ? L->kernel / 2 : 0,
        .relu = L->relu && !L->batch_norm, .fixed_shape = true,
    };
}

/* The dropout state of image j of the batch at layer l of iteration it:
 * a hash of (seed, it, l, j), so the masks do not depend on how the
 * batch is split into micro-batches. */
static uint64_t dropout_state(uint64_t seed, int64_t it, int l, int j)
{
    uint64_t z = seed ^ 0x5851f42d4c957f2dULL;
    uint64_t parts[3] = { (uint64_t)it, (uint64_t)l, (uint64_t)j };
    for (int i = 0; i < 3; i++) {
        z += parts[i] + 0x9e3779b97f4a7c15ULL;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        z ^= z >> 31;
    }
    return z;
}

static vgg_status forward(vgg_trainer *t, int n, int first)
{
    vgg_net *net = t->net;
    vgg_backend *be = t->be;
    const float *x = t->x;
    int h = net->arch.input_size, w = h;
    vgg_status st = VGG_STATUS_OK;
    for (int l = 0; l < net->n_layers && st == VGG_STATUS_OK; l++) {
        const vgg_layer_info *L = &net->layers[l];
        layer_buf *b = &t->lb[l];
        switch (L->kind) {
        case VGG_LAYER_CONV:
        case VGG_LAYER_FC: {
            vgg_conv_desc d = conv_desc(L, n, h, w);
            bool drop = b->dropout && t->dropout_on && t->o.dropout > 0.0f;
            const int p = net->layer_param[l], q = net->layer_bn[l];
            float *dst = drop ? b->pre : q >= 0 ? b->z : b->y;
            /* the trained weights themselves, not the folded ones */
            st = be->ops->conv2d(be, &d, x, net->dev[p], net->dev[p + 1], dst);
            if (st == VGG_STATUS_OK && q >= 0)
                st = be->train->batchnorm_relu(be, n, b->c, b->h * b->w, VGG_BN_EPS,
                                               VGG_BN_MOMENTUM, b->z, net->dev[q],
                                               net->dev[q + 1], net->dev[q + 2], net->dev[q + 3],
                                               b->y, b->bn_mean, b->bn_invstd);
            if (st == VGG_STATUS_OK && drop) {
                size_t per = (size_t)b->c * b->h * b->w;
                for (int j = 0; j < n && st == VGG_STATUS_OK; j++) {
                    uint64_t rs = dropout_state(t->o.seed, t->iter, l, first + j);
                    st = be->train->dropout(be, per, t->o.dropout, &rs, b->pre + j * per,
                                            b->y + j * per, b->mask + j * per);
                }
            }
            break;
        }
        case VGG_LAYER_POOL:
            st = be->ops->maxpool(be, n, L->in_channels, h, w, net->arch.pool_round, x, b->y,
                                  b->argmax);
            break;
        case VGG_LAYER_LRN: {
            vgg_lrn_desc d;
            vgg_lrn_default(&d);
            st = be->ops->lrn(be, n, L->in_channels, h, w, &d, x, b->y);
            break;
        }
        }
        if (st != VGG_STATUS_OK)
            return vgg_fail_context(st, "training forward, layer %s: ", L->name);
        x = b->y;
        h = b->h;
        w = b->w;
    }
    return st;
}

static vgg_status backward(vgg_trainer *t, int n, const float *dlogits)
{
    vgg_net *net = t->net;
    vgg_backend *be = t->be;
    vgg_status st = VGG_STATUS_OK;
    const float *g = dlogits;
    float *bufs[2] = { t->g0, t->g1 };
    int which = 0;
    for (int l = net->n_layers - 1; l >= 0 && st == VGG_STATUS_OK; l--) {
        const vgg_layer_info *L = &net->layers[l];
        const layer_buf *b = &t->lb[l];
        const float *x = l > 0 ? t->lb[l - 1].y : t->x;
        int h = l > 0 ? t->lb[l - 1].h : net->arch.input_size;
        int w = l > 0 ? t->lb[l - 1].w : net->arch.input_size;
        float *dx = l > 0 ? bufs[which] : NULL;
        switch (L->kind) {
        case VGG_LAYER_CONV:
        case VGG_LAYER_FC: {
            vgg_conv_desc d = conv_desc(L, n, h, w);
            const float *y = b->y;
            bool drop = b->dropout && t->dropout_on && t->o.dropout > 0.0f;
            if (drop) {
                /* through the dropout first, into the other buffer */
                float *gd = bufs[1 - which];
                size_t count = (size_t)n * b->c * b->h * b->w;
                st = be->train->dropout_backward(be, count, t->o.dropout, b->mask, g, gd);
                g = gd;
                y = b->pre;
            }
            int p = net->layer_param[l], q = net->layer_bn[l];
            if (q >= 0) {
                /* through the batch normalisation and its ReLU first */
                float *gz = bufs[1 - which];
                st = be->train->batchnorm_relu_backward(be, n, b->c, b->h * b->w, b->z, b->y, g,
                                                        net->dev[q], b->bn_mean, b->bn_invstd,
                                                        gz, t->grad[q], t->grad[q + 1]);
                g = gz;
                y = b->z;
            }
            if (st == VGG_STATUS_OK)
                st = be->train->conv2d_backward(be, &d, x, net->dev[p], y, g, dx, t->grad[p],
                                                t->grad[p + 1]);
            break;
        }
        case VGG_LAYER_POOL:
            st = be->train->maxpool_backward(be, n, L->in_channels, h, w, net->arch.pool_round,
                                             b->argmax, g, dx);
            break;
        case VGG_LAYER_LRN: {
            vgg_lrn_desc d;
            vgg_lrn_default(&d);
            st = be->train->lrn_backward(be, n, L->in_channels, h, w, &d, x, b->y, g, dx);
            break;
        }
        }
        if (st != VGG_STATUS_OK)
            return vgg_fail_context(st, "backward, layer %s: ", L->name);
        g = dx;
        which = 1 - which;
    }
    return st;
}

vgg_status vgg_trainer_accumulate(vgg_trainer *t, const float *x, const int32_t *labels, int n,
                                  int first, int batch_total, double *loss_sum, int *correct)
{
    vgg_net *net = t->net;
    vgg_backend *be = t->be;
    const int S = net->arch.input_size, C = net->arch.num_classes;
    if (n < 1 || batch_total < n || first < 0)
        return vgg_fail(VGG_STATUS_INVALID, "trainer: %d images (first %d) of a batch of %d", n,
                        first, batch_total);
    for (int i = 0; i < n; i++)
        if (labels[i] < 0 || labels[i] >= C)
            return vgg_fail(VGG_STATUS_INVALID, "trainer: label %d outside 0..%d", labels[i],
                            C - 1);
    for (int off = 0; off < n; off += t->mb) {
        const int m = n - off < t->mb ? n - off : t->mb;
        const size_t in_count = (size_t)3 * S * S;
        vgg_status st = be->ops->upload(be, t->x, x + off * in_count,
                                        sizeof(float) * m * in_count);
        if (st == VGG_STATUS_OK)
            st = be->ops->upload(be, t->dev_labels, labels + off, sizeof(int32_t) * m);
        if (st == VGG_STATUS_OK)
            st = forward(t, m, first + off);
        if (st != VGG_STATUS_OK)
            return st;
        /* the scores are (m, C, 1, 1): the last layer's output */
        float *logits = t->lb[net->n_layers - 1].y;
        float loss = 0.0f;
        float *dl = t->g1;   /* backward writes its first dx into g0 */
        /* the batch's loss is the mean over batch_total: its gradient
         * divides by batch_total, on the device */
        st = be->train->softmax_xent(be, m, C, logits, t->dev_labels, (float)batch_total, &loss,
                                     dl, NULL);
        if (st == VGG_STATUS_OK && correct) {
            st = be->ops->download(be, t->host_logits, logits, sizeof(float) * m * C);
            for (int i = 0; i < m && st == VGG_STATUS_OK; i++) {
                const float *z = t->host_logits + (size_t)i * C;
                int best = 0;
                for (int j = 1; j < C; j++)
                    if (z[j] > z[best])
                        best = j;
                *correct += best == labels[off + i];
            }
        }
        if (loss_sum)
            *loss_sum += (double)loss * m;
        if (st != VGG_STATUS_OK)
            return st;
        if (st == VGG_STATUS_OK)
            st = backward(t, m, dl);
        if (st != VGG_STATUS_OK)
            return st;
    }
    return VGG_STATUS_OK;
}

/* Weight decay only on weights: params come in (weight, bias) pairs. */
static bool is_bias(const vgg_net *net, int i)
{
    const char *name = net->params[i].name;
    size_t len = strlen(name);
    return len >= 5 && strcmp(name + len - 5, ".bias") == 0;
}

vgg_status vgg_trainer_apply(vgg_trainer *t, float lr)
{
    vgg_net *net = t->net;
    if (!isfinite(lr) || lr < 0.0f)
        return vgg_fail(VGG_STATUS_INVALID, "trainer: learning rate %g", lr);
    for (int i = 0; i < net->n_params; i++) {
        if (net->params[i].running)
            continue;   /* batch normalisation statistics: set by the forward */
        float wd = is_bias(net, i) ? 0.0f : t->o.weight_decay;
        vgg_status st = t->be->train->sgd_update(t->be, net->params[i].numel, lr, t->o.momentum,
                                                 wd, net->dev[i], t->grad[i], t->mom[i]);
        if (st != VGG_STATUS_OK)
            return st;
    }
    t->iter++;
    /* the forward pass (vgg_net_forward) uses the convs folded with the
     * batch normalisations: refold them */
    return net->arch.batch_norm ? vgg_net_bn_fold(net) : VGG_STATUS_OK;
}

vgg_status vgg_trainer_step(vgg_trainer *t, const float *x, const int32_t *labels, int n,
                            float lr, float *loss, int *correct)
{
    double sum = 0.0;
    int hits = 0;
    vgg_status st = vgg_trainer_zero_grad(t);
    if (st == VGG_STATUS_OK)
        st = vgg_trainer_accumulate(t, x, labels, n, 0, n, &sum, &hits);
    if (st == VGG_STATUS_OK && !isfinite(sum))
        st = vgg_fail(VGG_STATUS_NUMERIC, "trainer: the loss is not finite at iteration %lld",
                      (long long)t->iter);
    if (st == VGG_STATUS_OK)
        st = vgg_trainer_apply(t, lr);
    if (loss)
        *loss = (float)(sum / n);
    if (correct)
        *correct = hits;
    return st;
}

static vgg_status check_index(const vgg_trainer *t, int i)
{
    if (i < 0 || i >= t->net->n_params)
        return vgg_fail(VGG_STATUS_INVALID, "trainer: no parameter %d", i);
    return VGG_STATUS_OK;
}

vgg_status vgg_trainer_get_grad(vgg_trainer *t, int i, float *out)
{
    vgg_status st = check_index(t, i);
    return st ? st : t->be->ops->download(t->be, out, t->grad[i],
                                          sizeof(float) * t->net->params[i].numel);
}

vgg_status vgg_trainer_get_momentum(vgg_trainer *t, int i, float *out)
{
    vgg_status st = check_index(t, i);
    return st ? st : t->be->ops->download(t->be, out, t->mom[i],
                                          sizeof(float) * t->net->params[i].numel);
}

vgg_status vgg_trainer_set_momentum(vgg_trainer *t, int i, const float *in)
{
    vgg_status st = check_index(t, i);
    return st ? st : t->be->ops->upload(t->be, t->mom[i], in,
                                        sizeof(float) * t->net->params[i].numel);
}

vgg_status vgg_trainer_sync_host(vgg_trainer *t)
{
    vgg_net *net = t->net;
    if (!net->dev_owned)
        return VGG_STATUS_OK;
    for (int i = 0; i < net->n_params; i++) {
        vgg_status st = t->be->ops->download(t->be, net->params[i].data, net->dev[i],
                                             sizeof(float) * net->params[i].numel);
        if (st != VGG_STATUS_OK)
            return st;
    }
    return VGG_STATUS_OK;
}

/* for train_ckpt.c */
uint64_t vgg_trainer_seed_(const vgg_trainer *t) { return t->o.seed; }
void vgg_trainer_restore_(vgg_trainer *t, int64_t iter, uint64_t seed)
{
    t->iter = iter;
    t->o.seed = seed;
}

/* ---- data parallelism ---- */

vgg_status vgg_trainer_reduce_grad(vgg_trainer *t, vgg_grad_reduce_fn fn, void *ctx)
{
    vgg_backend *be = t->be;
    if (!fn) {
        if (!be->train->allreduce_sum)
            return vgg_fail(VGG_STATUS_UNSUPPORTED, "backend %s has no collectives of its own "
                            "(a host reduction serves it)", be->name);
        return be->train->allreduce_sum(be, t->grad_all, t->grad_count);
    }
    if (be->host_memory)
        return fn(ctx, t->grad_all, t->grad_count);
    float *host = malloc(sizeof(float) * t->grad_count);
    if (!host)
        return vgg_fail(VGG_STATUS_NOMEM, "trainer: out of memory for a host copy of the "
                        "gradients (%zu floats)", t->grad_count);
    vgg_status st = be->ops->download(be, host, t->grad_all, sizeof(float) * t->grad_count);
    if (st == VGG_STATUS_OK)
        st = fn(ctx, host, t->grad_count);
    if (st == VGG_STATUS_OK)
        st = be->ops->upload(be, t->grad_all, host, sizeof(float) * t->grad_count);
    free(host);
    return st;
}

/* Collectives go through the backend's descriptor (backend.h): the
 * registry's backends say whether they have their own (NCCL for cuda) or
 * leave the sum to the caller's host reduction (the CPU's). */

bool vgg_backend_has_collective(const vgg_backend *be)
{
    return be && be->reg && be->reg->join && be->reg->join_all && be->reg->collective_id;
}

static vgg_status no_collective(const vgg_backend *be)
{
    return vgg_fail(VGG_STATUS_UNSUPPORTED, "device %s has no collectives of its own: %s",
                    be->name, be->reg && be->reg->no_collective ? be->reg->no_collective
                                                                : "its backend joins none");
}

vgg_status vgg_backend_collective_id(const vgg_backend *be,
                                     unsigned char id[VGG_COLLECTIVE_ID_BYTES])
{
    if (!vgg_backend_has_collective(be))
        return no_collective(be);
    return be->reg->collective_id(id, VGG_COLLECTIVE_ID_BYTES);
}

vgg_status vgg_backend_join(vgg_backend *be, int nranks, int rank,
                            const unsigned char id[VGG_COLLECTIVE_ID_BYTES])
{
    if (nranks < 1 || rank < 0 || rank >= nranks)
        return vgg_fail(VGG_STATUS_INVALID, "communicator: rank %d of %d (ranks are numbered "
                        "from 0 to %d)", rank, nranks, nranks - 1);
    if (!vgg_backend_has_collective(be))
        return no_collective(be);
    return be->reg->join(be, nranks, rank, id, VGG_COLLECTIVE_ID_BYTES);
}

vgg_status vgg_backend_join_all(vgg_backend *const *bes, int n)
{
    if (n < 1)
        return vgg_fail(VGG_STATUS_INVALID, "communicator: %d devices (at least 1)", n);
    for (int i = 0; i < n; i++) {
        if (!vgg_backend_has_collective(bes[i]))
            return no_collective(bes[i]);
        if (bes[i]->reg != bes[0]->reg)
            return vgg_fail(VGG_STATUS_INVALID, "communicator: devices %s and %s are of two "
                            "backends; one communicator joins devices of one", bes[0]->name,
                            bes[i]->name);
    }
    return bes[0]->reg->join_all(bes, n);
}

vgg_status vgg_nccl_unique_id(unsigned char id[VGG_NCCL_ID_BYTES])
{
    for (int i = 0; i < vgg_backend_reg_count(); i++) {
        const vgg_backend_reg *r = vgg_backend_reg_at(i);
        if (r->collective_id && !r->missing)
            return r->collective_id(id, VGG_NCCL_ID_BYTES);
    }
    return vgg_fail(VGG_STATUS_UNSUPPORTED, "no backend of this build has collectives of its "
                    "own (NCCL needs the CUDA backend built with NCCL)");
}

vgg_status vgg_trainer_broadcast(vgg_trainer *t, vgg_bcast_fn fn, void *ctx)
{
    vgg_net *net = t->net;
    vgg_backend *be = t->be;
    uint64_t head[2] = { (uint64_t)t->iter, t->o.seed };
    vgg_status st = vgg_trainer_sync_host(t);
    if (st == VGG_STATUS_OK)
        st = fn(ctx, head, sizeof head);
    for (int i = 0; i < net->n_params && st == VGG_STATUS_OK; i++)
        st = fn(ctx, net->params[i].data, sizeof(float) * net->params[i].numel);
    if (st == VGG_STATUS_OK)
        st = vgg_net_params_changed(net);
    if (st != VGG_STATUS_OK)
        return st;
    t->iter = (int64_t)head[0];
    t->o.seed = head[1];
    float *mom = be->host_memory ? t->mom_all : malloc(sizeof(float) * t->grad_count);
    if (!mom)
        return vgg_fail(VGG_STATUS_NOMEM, "trainer: out of memory for a host copy of the "
                        "momenta (%zu floats)", t->grad_count);
    if (!be->host_memory)
        st = be->ops->download(be, mom, t->mom_all, sizeof(float) * t->grad_count);
    if (st == VGG_STATUS_OK)
        st = fn(ctx, mom, sizeof(float) * t->grad_count);
    if (st == VGG_STATUS_OK && !be->host_memory)
        st = be->ops->upload(be, t->mom_all, mom, sizeof(float) * t->grad_count);
    if (mom != t->mom_all)
        free(mom);
    return st;
}
