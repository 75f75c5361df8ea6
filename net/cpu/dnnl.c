/* The "cpu" backend's forward chain on oneDNN: convolutions with bias and
 * ReLU fused, max-pooling and LRN, the activations kept in oneDNN's
 * preferred (blocked) layout from the net's input to its output.
 *
 * A net's cache holds one plan per input shape (the primitives, the
 * reorders between them, the sizes they need) and its weights reordered
 * into the layouts the primitives chose.  The 3x3 convolutions run as
 * Winograd F(4x4, 3x3) where oneDNN has it for the shape and its
 * scratchpad for one image stays bounded, direct otherwise: a rule of the
 * layer and the image size alone, never of timing or of the batch, so that
 * a descriptor has the same bits whatever the machine's load and however
 * the images were batched (a resumed or sharded extraction is
 * byte-exact).  fc6, fc7 and fc8 are one matrix product each over the
 * whole batch (every position of every image: fc6's patches gathered by
 * an im2col, fc7's and fc8's inputs read in place, NHWC): ours (fc.h),
 * reading the net's own (O, I, k, k) weights in place, at the few
 * positions an image of dense extraction has, oneDNN's matmul past them
 * (fc.c's rule, again of the layer and the image size alone).  The
 * activation buffers and the scratchpad belong to the backend, so nets on
 * one backend share them; a forward call holds them for its duration. */
#include "cpu.h"
#include "dnnl_util.h"
#include "fc.h"
#include "quant.h"
#include "wino.h"

#include <dnnl.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define MAX_CHAIN 64
#define MAX_STEPS (2 * MAX_CHAIN + 2)
#define MAX_PLANS 12
/* reordered weight tensors per net: a layer can have a few layouts (direct,
 * Winograd variants by shape); past this the cache starts afresh */
#define MAX_WEIGHTS 40
#define MAX_ARGS 6
/* Winograd's scratchpad (the transformed activations of the whole layer)
 * grows with the image: where one image's would pass this, the layer runs
 * direct, so that the workspace of an image and its flip stays under
 * 256 MB (Q=768: conv2_x to conv4_x would need 0.15 to 0.45 GB an image). */
#define WINO_SCRATCH_PER_IMAGE ((size_t)128 << 20)
/* fp32 fc weights up to this size are reordered once per net into the
 * product's layout (fc7, fc8); larger ones (fc6 of the full nets, 411 MB)
 * are read where they are, so that two loaded nets stay within the memory
 * bound (see add_fc).  bf16 converts every fc's weights once. */
#define FC_PACK_MAX ((size_t)128 << 20)

/* ---- state ---- */

/* The backend-wide state. */
typedef struct fast_state {
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    pthread_mutex_t lock;   /* held by a forward call while it uses the buffers */
    void *act[2];           /* ping-pong activations */
    size_t act_cap;         /* bytes, each */
    void *scratch;
    size_t scratch_cap;
    uint64_t calls;         /* forward calls, and the batch of the last one (tests) */
    int last_n;
} fast_state;

/* One layer's weights in a primitive's layout. */
typedef struct wentry {
    int layer;
    dnnl_memory_desc_t from;   /* the net's own f32 weights: (O, I, k, k), or fc's (K, N) view */
    dnnl_memory_desc_t md;
    void *data;             /* owned (aligned) */
    dnnl_memory_t mem;
    const float *src;       /* the plain weights last reordered from */
    const float *bsrc;      /* ... and the bias (wino entries: packed with the weights) */
    uint64_t gen, epoch;    /* ... the net's gen and the backend's weights_epoch then */
    bool fresh;
    int wino_m;             /* 0: a oneDNN layout (md, mem); 4 or 2: our Winograd's packing */
    int cin, cout;          /* wino entries */
    float *scales;          /* not NULL: md is s8, each output channel's weights over its
                             * scale (scales[o] = its largest magnitude / 127), rounded */
} wentry;

enum {
    STEP_REORDER, STEP_CONV, STEP_POOL, STEP_LRN, STEP_IM2COL, STEP_MATMUL, STEP_WINO, STEP_FC,
    STEP_POOL8, STEP_FINISH
};
enum { SLOT_IN = -1, SLOT_OUT = -2 };

typedef struct step {
    int kind;
    int layer;              /* the chain layer whose time this is */
    int src, dst;           /* SLOT_IN, SLOT_OUT or a ping-pong buffer 0/1 */
    dnnl_primitive_t prim;  /* NULL for IM2COL */
    dnnl_memory_t msrc, mdst, mwei, mbias, mscratch;
    wentry *w;              /* CONV, MATMUL (NULL: mwei reads the net's own weights) */
    int wlayer;             /* CONV, MATMUL: the chain layer of the weights */
    int n, c, h, w_, k, oh, ow;   /* IM2COL: (n, c, h, w) NCHW -> (n*oh*ow, c*k*k);
                                   * POOL8: (n, c, h, w) -> (n, c, oh, ow) nChw8c */
    size_t esz;             /* IM2COL: bytes per value (4 f32, 2 bf16) */
    vgg_wino_shape ws;      /* WINO: our Winograd (nChw8c in and out) */
    vgg_fc_shape fs;        /* FC: our fully connected product (rows in, NHWC rows out) */
    vgg_wino7_shape w7;     /* FC with fs.algo VGG_FC_WINO7: nChw8c in, NHWC rows out */
    /* FINISH (int8, vgg_finish_run in quant.h): NHWC (n, c, h * w_) in,
     * s32 (sums of an int8 convolution, scaled by w's scales and the
     * image's scale qin) or f32 (qin -1, w NULL); bias of chain layer
     * blayer (-1: none); out u8 with the image's scale into qout (out_u8)
     * or f32 */
    int qin, qout, blayer;
    bool in_s32, out_u8, relu;
} step;

typedef struct plan {
    int n, h, w, n_layers;
    dnnl_data_type_t dt;            /* f32, or bf16 (--precision bf16) */
    vgg_fwd_layer key[MAX_CHAIN];   /* shapes only (pointers cleared) */
    step steps[MAX_STEPS];
    int n_steps;
    int n_q;                        /* int8: the FINISH steps' scale slots */
    size_t act_bytes, scratch_bytes;
    uint64_t last_use;
} plan;

typedef struct chain_cache {
    plan *plans[MAX_PLANS];
    int n_plans;
    wentry *w[MAX_WEIGHTS];
    int n_w;
    uint64_t clock;
} chain_cache;

/* ---- the 3x3 convolutions' algorithm: the table, or one a test forces ---- */

static pthread_mutex_t choice_lock = PTHREAD_MUTEX_INITIALIZER;
static vgg_conv_algo forced_algo = VGG_CONV_AUTO;
static int forced_tile_block;
static int forced_fc = -1;

void vgg_cpu_set_fc_algo(int a)
{
    pthread_mutex_lock(&choice_lock);
    forced_fc = a;
    pthread_mutex_unlock(&choice_lock);
}

/* The implementation of a fully connected layer of k inputs (a window of
 * side `side`) at `positions` an image in precision dt: ours only in f32
 * on a CPU that has AVX2 + FMA (a forced VGG_FC_WINO7 only where the
 * window is 7x7; the rule elsewhere). */
static vgg_fc_algo fc_algo_for(int positions, int k, int side, dnnl_data_type_t dt)
{
    pthread_mutex_lock(&choice_lock);
    const int forced = forced_fc;
    pthread_mutex_unlock(&choice_lock);
    if (dt != dnnl_f32 || !vgg_fc_supported())
        return VGG_FC_ONEDNN;
    if (forced == VGG_FC_ONEDNN || forced == VGG_FC_OWN || forced == VGG_FC_PANEL ||
        (forced == VGG_FC_WINO7 && side == 7))
        return (vgg_fc_algo)forced;
    return vgg_fc_choose(vgg_cpu_isa_class(), positions, k, side);
}

void vgg_cpu_set_conv_algo(vgg_conv_algo a)
{
    pthread_mutex_lock(&choice_lock);
    forced_algo = a;
    pthread_mutex_unlock(&choice_lock);
}

void vgg_cpu_set_wino_tile_block(int tiles)
{
    pthread_mutex_lock(&choice_lock);
    forced_tile_block = tiles;
    pthread_mutex_unlock(&choice_lock);
}

static vgg_conv_algo get_algo(int *tile_block)
{
    pthread_mutex_lock(&choice_lock);
    vgg_conv_algo a = forced_algo;
    if (tile_block)
        *tile_block = forced_tile_block;
    pthread_mutex_unlock(&choice_lock);
    return a;
}

/* The algorithm of chain layer L in precision dt: ours only for 3x3
 * convolutions with padding 1 in f32 on a CPU that has AVX2 + FMA;
 * oneDNN's otherwise. */
static vgg_conv_algo conv_algo_for(const vgg_fwd_layer *L, dnnl_data_type_t dt)
{
    vgg_conv_algo a = get_algo(NULL);
    const bool ours_fit = L->kind == VGG_LAYER_CONV && L->k == 3 && L->pad == 1 &&
                          dt == dnnl_f32 && vgg_wino_supported();
    if (a == VGG_CONV_AUTO)
        a = L->kind == VGG_LAYER_CONV && L->k == 3 && L->pad == 1
                ? vgg_conv_choose(vgg_cpu_isa_class(), L->cin, L->cout)
                : VGG_CONV_ONEDNN;
    if ((a == VGG_CONV_WINO4 || a == VGG_CONV_WINO2) && !ours_fit)
        a = VGG_CONV_ONEDNN;
    if (a == VGG_CONV_DIRECT8 && (!ours_fit || L->cin > 8 || !vgg_tile512()))
        a = VGG_CONV_ONEDNN;
    return a;
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* ---- open / close ---- */

/* Page-aligned memory; from 4 MB on, 2 MB-aligned and offered to the
 * kernel's transparent huge pages (madvise mode): a 2 MB page costs one
 * fault and one TLB entry, where 512 pages of 4 KB cost 512 of each. */
#define HUGE_FROM ((size_t)4 << 20)
#define HUGE_PAGE ((size_t)2 << 20)
static void *alloc_aligned(size_t bytes)
{
    if (bytes >= HUGE_FROM) {
        const size_t rounded = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        void *p = aligned_alloc(HUGE_PAGE, rounded);
#ifdef MADV_HUGEPAGE
        if (p)
            (void)madvise(p, rounded, MADV_HUGEPAGE);   /* a hint: no error is ours */
#endif
        return p;
    }
    size_t rounded = (bytes + 4095) / 4096 * 4096;
    return aligned_alloc(4096, rounded ? rounded : 4096);
}

vgg_status vgg_dnnl_open(vgg_backend *be, void **state)
{
    *state = NULL;
    vgg_status st = VGG_STATUS_OK;
    fast_state *f = calloc(1, sizeof *f);
    if (!f)
        return vgg_fail(VGG_STATUS_NOMEM, "cpu: out of memory");
    if (pthread_mutex_init(&f->lock, NULL) != 0) {
        free(f);
        return vgg_fail(VGG_STATUS_NOMEM, "cpu: cannot make a mutex");
    }
    CHECK(dnnl_engine_create(&f->eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&f->strm, f->eng, dnnl_stream_default_flags));
    *state = f;
    return VGG_STATUS_OK;
done:
    vgg_dnnl_close(f);
    return st;
}

void vgg_dnnl_close(void *state)
{
    fast_state *f = state;
    if (!f)
        return;
    if (f->strm)
        dnnl_stream_destroy(f->strm);
    if (f->eng)
        dnnl_engine_destroy(f->eng);
    free(f->act[0]);
    free(f->act[1]);
    free(f->scratch);
    pthread_mutex_destroy(&f->lock);
    free(f);
}

static void plan_free(plan *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n_steps; i++) {
        step *s = &p->steps[i];
        if (s->prim)
            dnnl_primitive_destroy(s->prim);
        dnnl_memory_t ms[5] = {s->msrc, s->mdst, s->mwei, s->mbias, s->mscratch};
        for (int j = 0; j < 5; j++)
            if (ms[j])
                dnnl_memory_destroy(ms[j]);
    }
    free(p);
}

static void wentry_free(wentry *w)
{
    if (!w)
        return;
    if (w->mem)
        dnnl_memory_destroy(w->mem);
    free(w->data);
    free(w->scales);
    free(w);
}

static void cache_clear(chain_cache *c)
{
    for (int i = 0; i < c->n_plans; i++)
        plan_free(c->plans[i]);
    for (int i = 0; i < c->n_w; i++)
        wentry_free(c->w[i]);
    c->n_plans = 0;
    c->n_w = 0;
}

void vgg_dnnl_forward_release(vgg_backend *be, void *cache)
{
    chain_cache *c = cache;
    if (!c)
        return;
    cache_clear(c);
    free(c);
}

/* ---- building a plan ---- */

static void md_plain(dnnl_memory_desc_t *md, int n, int c, int h, int w, dnnl_data_type_t dt)
{
    dnnl_dims_t d = {n, c, h, w};
    dnnl_memory_desc_init_by_tag(md, 4, d, dt, dnnl_nchw);
}

static void md_any(dnnl_memory_desc_t *md, int n, int c, int h, int w, dnnl_data_type_t dt)
{
    dnnl_dims_t d = {n, c, h, w};
    dnnl_memory_desc_init_by_tag(md, 4, d, dt, dnnl_format_tag_any);
}

static int out_side(const vgg_fwd_layer *L, int s)
{
    switch (L->kind) {
    case VGG_LAYER_CONV:
    case VGG_LAYER_FC:
        return s + 2 * L->pad - L->k + 1;
    case VGG_LAYER_POOL:
        return vgg_pool_out(s, L->round);
    default:
        return s;
    }
}

static size_t pd_bytes(const_dnnl_primitive_desc_t pd, dnnl_query_t q)
{
    const dnnl_memory_desc_t *md = pd_md(pd, q);
    return md ? dnnl_memory_desc_get_size(md) : 0;
}

/* Weights of chain layer l in layout md: the existing entry, or a new
 * one (filled at run time). */
static vgg_status weights_for(const fast_state *f, chain_cache *c, int l,
                              const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *md,
                              wentry **out)
{
    vgg_status st = VGG_STATUS_OK;
    *out = NULL;
    for (int i = 0; i < c->n_w; i++)
        if (c->w[i]->layer == l && dnnl_memory_desc_equal(&c->w[i]->md, md)) {
            *out = c->w[i];
            return VGG_STATUS_OK;
        }
    if (c->n_w == MAX_WEIGHTS)
        return vgg_fail(VGG_STATUS_NOMEM, "oneDNN: more than %d weight layouts in one chain",
                        MAX_WEIGHTS);
    wentry *w = calloc(1, sizeof *w);
    if (!w)
        return vgg_fail(VGG_STATUS_NOMEM, "oneDNN: out of memory");
    w->layer = l;
    w->from = *from;
    w->md = *md;
    w->data = alloc_aligned(dnnl_memory_desc_get_size(md));
    if (!w->data) {
        free(w);
        return vgg_fail(VGG_STATUS_NOMEM, "oneDNN: out of memory for weights (%zu bytes)",
                        dnnl_memory_desc_get_size(md));
    }
    CHECK(dnnl_memory_create(&w->mem, md, f->eng, w->data));
    c->w[c->n_w++] = w;
    *out = w;
    return VGG_STATUS_OK;
done:
    wentry_free(w);
    return st;
}

/* w as int8 weights of cout output channels (their scales made with the
 * weights, at run time), once */
static vgg_status make_int8(wentry *w, int cout)
{
    if (w->scales)
        return VGG_STATUS_OK;
    w->cout = cout;
    w->scales = calloc((size_t)cout, sizeof(float));
    return w->scales ? VGG_STATUS_OK : vgg_fail(VGG_STATUS_NOMEM, "cpu: out of memory");
}

/* Our Winograd's packed weights of chain layer l (F(m x m, 3 x 3)): the
 * existing entry, or a new one (packed at run time). */
static vgg_status wino_weights_for(chain_cache *c, int l, const vgg_fwd_layer *L, int m,
                                   wentry **out)
{
    *out = NULL;
    for (int i = 0; i < c->n_w; i++)
        if (c->w[i]->layer == l && c->w[i]->wino_m == m) {
            *out = c->w[i];
            return VGG_STATUS_OK;
        }
    if (c->n_w == MAX_WEIGHTS)
        return vgg_fail(VGG_STATUS_NOMEM, "oneDNN: more than %d weight layouts in one chain",
                        MAX_WEIGHTS);
    wentry *w = calloc(1, sizeof *w);
    if (!w)
        return vgg_fail(VGG_STATUS_NOMEM, "cpu: out of memory");
    const size_t bytes = vgg_wino_packed_floats(m, L->cin, L->cout) * sizeof(float);
    w->layer = l;
    w->wino_m = m;
    w->cin = L->cin;
    w->cout = L->cout;
    w->data = alloc_aligned(bytes);
    if (!w->data) {
        free(w);
        return vgg_fail(VGG_STATUS_NOMEM, "cpu: out of memory for Winograd weights (%zu bytes)",
                        bytes);
    }
    c->w[c->n_w++] = w;
    *out = w;
    return VGG_STATUS_OK;
}

/* Winograd for a 3x3 convolution where oneDNN has it: decided by the
 * layer and the size of one image only (see the file's comment), unless a
 * test forces one algorithm. */
static bool winograd_fits(const fast_state *f, const dnnl_convolution_desc_t *cd1,
                          const_dnnl_primitive_attr_t attr)
{
    dnnl_primitive_desc_t one = NULL;
    bool fits = dnnl_primitive_desc_create(&one, cd1, attr, f->eng, NULL) == dnnl_success &&
                pd_bytes(one, dnnl_query_scratchpad_md) <= WINO_SCRATCH_PER_IMAGE;
    if (one)
        dnnl_primitive_desc_destroy(one);
    return fits;
}

/* Attributes: a user scratchpad, and ReLU fused when relu. */
static vgg_status make_attr(bool relu, dnnl_primitive_attr_t *out)
{
    vgg_status st = VGG_STATUS_OK;
    dnnl_post_ops_t po = NULL;
    *out = NULL;
    CHECK(dnnl_primitive_attr_create(out));
    CHECK(dnnl_primitive_attr_set_scratchpad_mode(*out, dnnl_scratchpad_mode_user));
    if (relu) {
        CHECK(dnnl_post_ops_create(&po));
        CHECK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
        CHECK(dnnl_primitive_attr_set_post_ops(*out, po));
    }
done:
    if (po)
        dnnl_post_ops_destroy(po);
    if (st != VGG_STATUS_OK && *out) {
        dnnl_primitive_attr_destroy(*out);
        *out = NULL;
    }
    return st;
}

/* The convolution of layer L: f32, or (dt bf16) bf16 source, weights
 * and destination (dt_out f32 for the chain's last layer) with f32
 * accumulation and bias, always direct. */
static vgg_status conv_pd(const fast_state *f, const vgg_fwd_layer *L, int n, int h, int w,
                          dnnl_data_type_t dt, dnnl_data_type_t dt_out,
                          dnnl_primitive_desc_t *out)
{
    vgg_status st = VGG_STATUS_OK;
    *out = NULL;
    const int oh = out_side(L, h), ow = out_side(L, w);
    dnnl_memory_desc_t src, wei, bias, dst;
    md_any(&src, n, L->cin, h, w, dt);
    md_any(&dst, n, L->cout, oh, ow, dt_out);
    dnnl_dims_t wd = {L->cout, L->cin, L->k, L->k}, bd = {L->cout};
    dnnl_memory_desc_init_by_tag(&wei, 4, wd, dt, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&bias, 1, bd, dnnl_f32, dnnl_x);
    dnnl_dims_t strides = {1, 1}, pad = {L->pad, L->pad};
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t direct = NULL, wino = NULL;
    st = make_attr(L->relu, &attr);
    if (st != VGG_STATUS_OK)
        goto done;
    dnnl_convolution_desc_t cd;
    CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                             &src, &wei, &bias, &dst, strides, pad, pad));
    CHECK(dnnl_primitive_desc_create(&direct, &cd, attr, f->eng, NULL));
    /* the same convolution for one image, for the scratchpad rule */
    dnnl_memory_desc_t src1, dst1;
    md_any(&src1, 1, L->cin, h, w, dt);
    md_any(&dst1, 1, L->cout, oh, ow, dt_out);
    dnnl_convolution_desc_t cd1;
    const vgg_conv_algo algo = conv_algo_for(L, dt);
    if (L->kind == VGG_LAYER_CONV && L->k == 3 && algo != VGG_CONV_ONEDNN_DIRECT &&
        dt == dnnl_f32 &&
        dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference,
                                           dnnl_convolution_winograd, &src, &wei, &bias, &dst,
                                           strides, pad, pad) == dnnl_success &&
        dnnl_primitive_desc_create(&wino, &cd, attr, f->eng, NULL) == dnnl_success &&
        (algo == VGG_CONV_ONEDNN_WINOGRAD ||
         (dnnl_convolution_forward_desc_init(&cd1, dnnl_forward_inference,
                                             dnnl_convolution_winograd, &src1, &wei, &bias,
                                             &dst1, strides, pad, pad) == dnnl_success &&
          winograd_fits(f, &cd1, attr)))) {
        *out = wino;
        wino = NULL;
    } else {
        *out = direct;
        direct = NULL;
    }
done:
    if (direct)
        dnnl_primitive_desc_destroy(direct);
    if (wino)
        dnnl_primitive_desc_destroy(wino);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    return st;
}

static vgg_status pool_or_lrn_pd(const fast_state *f, const vgg_fwd_layer *L,
                                 const dnnl_memory_desc_t *src, int n, int h, int w,
                                 dnnl_primitive_desc_t *out)
{
    vgg_status st = VGG_STATUS_OK;
    *out = NULL;
    dnnl_primitive_attr_t attr = NULL;
    CHECK(dnnl_primitive_attr_create(&attr));
    CHECK(dnnl_primitive_attr_set_scratchpad_mode(attr, dnnl_scratchpad_mode_user));
    if (L->kind == VGG_LAYER_POOL) {
        const int oh = out_side(L, h), ow = out_side(L, w);
        dnnl_memory_desc_t dst;
        md_any(&dst, n, L->cout, oh, ow, src->data_type);
        /* ceil rounding: one row/column of padding that max-pooling skips,
         * the last window clipped to the input */
        dnnl_dims_t strides = {2, 2}, kernel = {2, 2}, dil = {0, 0}, pl = {0, 0},
                    pr = {2 * oh - h > 0 ? 2 * oh - h : 0, 2 * ow - w > 0 ? 2 * ow - w : 0};
        dnnl_pooling_v2_desc_t pd;
        CHECK(dnnl_pooling_v2_forward_desc_init(&pd, dnnl_forward_inference, dnnl_pooling_max, src,
                                                &dst, strides, kernel, dil, pl, pr));
        CHECK(dnnl_primitive_desc_create(out, &pd, attr, f->eng, NULL));
    } else {
        dnnl_lrn_desc_t ld;
        CHECK(dnnl_lrn_forward_desc_init(&ld, dnnl_forward_inference, dnnl_lrn_across_channels, src,
                                         L->lrn.size, L->lrn.alpha, L->lrn.beta, L->lrn.k));
        CHECK(dnnl_primitive_desc_create(out, &ld, attr, f->eng, NULL));
    }
done:
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    return st;
}

/* Append a step running pd from the current activation (slot *cur, layout
 * *cur_md) into the other buffer. */
static vgg_status add_step(const fast_state *f, plan *p, int kind, int layer,
                           dnnl_primitive_desc_t pd, int *cur, dnnl_memory_desc_t *cur_md)
{
    vgg_status st = VGG_STATUS_OK;
    VGG_ASSERT(p->n_steps < MAX_STEPS);
    step *s = &p->steps[p->n_steps++];
    s->kind = kind;
    s->layer = layer;
    s->src = *cur;
    s->dst = *cur == 0 ? 1 : 0;
    const dnnl_memory_desc_t *smd = pd_md(pd, dnnl_query_src_md);
    const dnnl_memory_desc_t *dmd = pd_md(pd, dnnl_query_dst_md);
    const dnnl_memory_desc_t *spmd = pd_md(pd, dnnl_query_scratchpad_md);
    CHECK(dnnl_primitive_create(&s->prim, pd));
    CHECK(dnnl_memory_create(&s->msrc, smd, f->eng, DNNL_MEMORY_NONE));
    CHECK(dnnl_memory_create(&s->mdst, dmd, f->eng, DNNL_MEMORY_NONE));
    size_t sp = pd_bytes(pd, dnnl_query_scratchpad_md);
    if (sp) {
        CHECK(dnnl_memory_create(&s->mscratch, spmd, f->eng, DNNL_MEMORY_NONE));
        if (sp > p->scratch_bytes)
            p->scratch_bytes = sp;
    }
    size_t db = dnnl_memory_desc_get_size(dmd);
    if (db > p->act_bytes)
        p->act_bytes = db;
    *cur = s->dst;
    *cur_md = *dmd;
done:
    return st;
}

static vgg_status add_reorder(const fast_state *f, plan *p, int layer, int *cur,
                              dnnl_memory_desc_t *cur_md, const dnnl_memory_desc_t *to)
{
    vgg_status st = VGG_STATUS_OK;
    dnnl_primitive_desc_t pd = NULL;
    CHECK(dnnl_reorder_primitive_desc_create(&pd, cur_md, f->eng, to, f->eng, NULL));
    st = add_step(f, p, STEP_REORDER, layer, pd, cur, cur_md);
done:
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    return st;
}

/* A step of our Winograd for layer l (F(m x m, 3 x 3)): nChw8c in (through
 * a reorder from the current layout where that is another) and out. */
static vgg_status add_wino(const fast_state *f, chain_cache *c, plan *p, int l,
                           const vgg_fwd_layer *L, int m, int n, int h, int w, int threads,
                           int *cur, dnnl_memory_desc_t *cur_md)
{
    vgg_status st = VGG_STATUS_OK;
    dnnl_memory_desc_t want, out;
    dnnl_dims_t in_dims = {n, L->cin, h, w}, out_dims = {n, L->cout, h, w};
    dnnl_memory_desc_init_by_tag(&want, 4, in_dims, dnnl_f32, dnnl_aBcd8b);
    dnnl_memory_desc_init_by_tag(&out, 4, out_dims, dnnl_f32, dnnl_aBcd8b);
    if (!dnnl_memory_desc_equal(cur_md, &want))
        st = add_reorder(f, p, l, cur, cur_md, &want);
    if (st != VGG_STATUS_OK)
        return st;
    VGG_ASSERT(p->n_steps < MAX_STEPS);
    step *s = &p->steps[p->n_steps++];
    int tile_block = 0;
    (void)get_algo(&tile_block);
    *s = (step){.kind = STEP_WINO, .layer = l, .wlayer = l, .src = *cur,
                .dst = *cur == 0 ? 1 : 0,
                .ws = {m, n, L->cin, L->cout, h, w, L->relu, threads, tile_block, 0, 0}};
    st = wino_weights_for(c, l, L, m, &s->w);
    if (st != VGG_STATUS_OK)
        return st;
    const size_t db = dnnl_memory_desc_get_size(&out), sb = vgg_wino_scratch_bytes(&s->ws);
    if (db > p->act_bytes)
        p->act_bytes = db;
    if (sb > p->scratch_bytes)
        p->scratch_bytes = sb;
    *cur = s->dst;
    *cur_md = out;
    return VGG_STATUS_OK;
}

/* Whether pooling layer L can be taken into the Winograd step s before it
 * (vgg_wino_can_pool); if so, s now pools. */
static bool pool_fuses(const vgg_fwd_layer *L, step *s)
{
    vgg_wino_shape ws = s->ws;
    ws.pool_h = out_side(L, ws.h);
    ws.pool_w = out_side(L, ws.w);
    if (L->cin != ws.cout || !vgg_wino_can_pool(&ws))
        return false;
    s->ws = ws;
    return true;
}

/* md is f32 nChw8c (oneDNN's aBcd8b) of (n, c, h, w) */
static bool is_nchw8c(const dnnl_memory_desc_t *md, int n, int c, int h, int w)
{
    dnnl_memory_desc_t b8;
    dnnl_dims_t d = {n, c, h, w};
    dnnl_memory_desc_init_by_tag(&b8, 4, d, dnnl_f32, dnnl_aBcd8b);
    return dnnl_memory_desc_equal(md, &b8);
}

/* An im2col step of layer L from the current NCHW activation (values of
 * esz bytes) into the other buffer: (n*oh*ow, cin*k*k) rows. */
static void add_im2col(plan *p, int l, const vgg_fwd_layer *L, int n, int h, int w, size_t esz,
                       int *cur)
{
    const int oh = out_side(L, h), ow = out_side(L, w);
    VGG_ASSERT(p->n_steps < MAX_STEPS);
    step *s = &p->steps[p->n_steps++];
    *s = (step){.kind = STEP_IM2COL, .layer = l, .src = *cur, .dst = *cur == 0 ? 1 : 0,
                .n = n, .c = L->cin, .h = h, .w_ = w, .k = L->k, .oh = oh, .ow = ow,
                .esz = esz};
    const size_t bytes = (size_t)n * oh * ow * L->cin * L->k * L->k * esz;
    if (bytes > p->act_bytes)
        p->act_bytes = bytes;
    *cur = s->dst;
}

/* A fully connected layer (a k x k convolution without padding) as one
 * matrix product over the batch: (n*oh*ow, cin*k*k) x (cin*k*k, cout).
 * The weights are the net's (cout, cin*k*k) rows.  Ours (fc.h, in fp32 at
 * few positions an image) reads them in place as they are.  Read in place
 * (transposed by strides), oneDNN's product copies them into its blocks
 * on every call; so they are reordered once per net (and again when they
 * change) into the layout it prefers: always in bf16 (a conversion is
 * needed anyway), in fp32 up to FC_PACK_MAX (fc7, fc8).  fc6's 411 MB
 * stay in place in fp32: a copy would cost 20% of fc6's time at an image
 * and its flip (76 against 60 ms) but 411 MB per net, and D and E loaded
 * together at Q=768 would pass 3 GB.  Its input is the activation itself
 * when that is NHWC and k is 1, else the patches gathered from NCHW; its
 * output is NHWC, of type dt_out. */
static vgg_status add_fc(const fast_state *f, chain_cache *c, plan *p, int l,
                         const vgg_fwd_layer *L, int n, int h, int w, dnnl_data_type_t dt_out,
                         int threads, int *cur, dnnl_memory_desc_t *cur_md)
{
    vgg_status st = VGG_STATUS_OK;
    /* int8 plans (u8) run their fc layers in f32 */
    const dnnl_data_type_t dt = p->dt == dnnl_u8 ? dnnl_f32 : p->dt;
    const size_t esz = dt == dnnl_bf16 ? 2 : 4;
    const int oh = out_side(L, h), ow = out_side(L, w);
    const dnnl_dim_t M = (dnnl_dim_t)n * oh * ow, K = (dnnl_dim_t)L->cin * L->k * L->k,
                     N = L->cout;
    dnnl_memory_desc_t nhwc, plain;
    dnnl_dims_t in_dims = {n, L->cin, h, w};
    const vgg_fc_algo fa = fc_algo_for(oh * ow, (int)K, L->k, dt);
    if (fa == VGG_FC_WINO7) {
        /* the Winograd F(2x2, 7x7) (fc.h) reads the map itself, nChw8c (as
         * our Winograd and pooling write it) */
        dnnl_memory_desc_t b8;
        dnnl_memory_desc_init_by_tag(&b8, 4, in_dims, dnnl_f32, dnnl_aBcd8b);
        if (!dnnl_memory_desc_equal(cur_md, &b8))
            st = add_reorder(f, p, l, cur, cur_md, &b8);
        if (st != VGG_STATUS_OK)
            return st;
    } else {
        dnnl_memory_desc_init_by_tag(&nhwc, 4, in_dims, dt, dnnl_nhwc);
        if (!(L->k == 1 && L->pad == 0 && dnnl_memory_desc_equal(cur_md, &nhwc))) {
            md_plain(&plain, n, L->cin, h, w, dt);
            if (!dnnl_memory_desc_equal(cur_md, &plain))
                st = add_reorder(f, p, l, cur, cur_md, &plain);
            if (st != VGG_STATUS_OK)
                return st;
            add_im2col(p, l, L, n, h, w, esz, cur);
        }
    }
    if (fa != VGG_FC_ONEDNN) {
        /* ours (fc.h): the net's weights read in place at run time */
        VGG_ASSERT(p->n_steps < MAX_STEPS);
        step *s = &p->steps[p->n_steps++];
        *s = (step){.kind = STEP_FC, .layer = l, .wlayer = l, .src = *cur,
                    .dst = *cur == 0 ? 1 : 0,
                    .fs = {(int)M, (int)N, (int)K, L->relu, threads, fa},
                    .w7 = {n, L->cin, h, w, L->cout, L->relu, threads}};
        if ((size_t)(M * N) * sizeof(float) > p->act_bytes)
            p->act_bytes = (size_t)(M * N) * sizeof(float);
        const size_t sb = fa == VGG_FC_WINO7 ? vgg_wino7_scratch_bytes(&s->w7)
                                             : vgg_fc_scratch_bytes(&s->fs);
        if (sb > p->scratch_bytes)
            p->scratch_bytes = sb;
        *cur = s->dst;
        dnnl_dims_t out_dims = {n, N, oh, ow};
        dnnl_memory_desc_init_by_tag(cur_md, 4, out_dims, dnnl_f32, dnnl_nhwc);
        return VGG_STATUS_OK;
    }
    dnnl_memory_desc_t src, wei, from, bias, dst;
    dnnl_dims_t sd = {M, K}, wd = {K, N}, ws = {1, K}, bd = {1, N}, dd = {M, N};
    dnnl_memory_desc_init_by_tag(&src, 2, sd, dt, dnnl_ab);
    dnnl_memory_desc_init_by_strides(&from, 2, wd, dnnl_f32, ws);
    const bool pack = dt != dnnl_f32 || (size_t)(K * N) * sizeof(float) <= FC_PACK_MAX;
    if (pack)
        dnnl_memory_desc_init_by_tag(&wei, 2, wd, dt, dnnl_format_tag_any);
    else
        wei = from;
    dnnl_memory_desc_init_by_tag(&bias, 2, bd, dnnl_f32, dnnl_ab);
    dnnl_memory_desc_init_by_tag(&dst, 2, dd, dt_out, dnnl_ab);
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_matmul_desc_t md;
    st = make_attr(L->relu, &attr);
    if (st != VGG_STATUS_OK)
        goto done;
    CHECK(dnnl_matmul_desc_init(&md, &src, &wei, &bias, &dst));
    CHECK(dnnl_primitive_desc_create(&pd, &md, attr, f->eng, NULL));
    st = add_step(f, p, STEP_MATMUL, l, pd, cur, cur_md);
    if (st != VGG_STATUS_OK)
        goto done;
    step *s = &p->steps[p->n_steps - 1];
    s->wlayer = l;
    if (pack)
        st = weights_for(f, c, l, &from, pd_md(pd, dnnl_query_weights_md), &s->w);
    else
        CHECK(dnnl_memory_create(&s->mwei, &wei, f->eng, DNNL_MEMORY_NONE));
    if (st != VGG_STATUS_OK)
        goto done;
    CHECK(dnnl_memory_create(&s->mbias, &bias, f->eng, DNNL_MEMORY_NONE));
    dnnl_dims_t out_dims = {n, N, oh, ow};
    dnnl_memory_desc_init_by_tag(cur_md, 4, out_dims, dt_out, dnnl_nhwc);
done:
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    return st;
}

/* (n, c, h, w) NCHW -> rows (img, oy, ox) of c*k*k patch values in
 * (c, ky, kx) order, no padding; values of s->esz bytes. */
static void im2col(const step *s, const char *x, char *col)
{
    const int n = s->n, c = s->c, h = s->h, w = s->w_, k = s->k, oh = s->oh, ow = s->ow;
    const size_t K = (size_t)c * k * k, e = s->esz;
#pragma omp parallel for collapse(2) schedule(static)
    for (int i = 0; i < n; i++)
        for (int oy = 0; oy < oh; oy++)
            for (int ox = 0; ox < ow; ox++) {
                char *row = col + (((size_t)i * oh + oy) * ow + ox) * K * e;
                for (int ch = 0; ch < c; ch++)
                    for (int ky = 0; ky < k; ky++)
                        memcpy(row + ((size_t)ch * k + ky) * k * e,
                               x + ((((size_t)i * c + ch) * h + oy + ky) * w + ox) * e, e * k);
            }
}

static void key_of(const vgg_fwd_layer *L, vgg_fwd_layer *k)
{
    memset(k, 0, sizeof *k);
    k->kind = L->kind;
    k->cin = L->cin;
    k->cout = L->cout;
    k->k = L->k;
    k->pad = L->pad;
    k->relu = L->relu;
    k->round = L->round;
    k->lrn = L->lrn;
}

/* A max-pooling or LRN step of layer L from the current activation as it
 * is, or through plain NCHW of its type where the primitive does not take
 * its layout. */
static vgg_status add_pool_or_lrn(const fast_state *f, plan *p, int l, const vgg_fwd_layer *L,
                                  int n, int h, int w, int *cur, dnnl_memory_desc_t *cur_md)
{
    dnnl_primitive_desc_t pd = NULL;
    vgg_status st = pool_or_lrn_pd(f, L, cur_md, n, h, w, &pd);
    if (st != VGG_STATUS_OK) {
        dnnl_memory_desc_t plain;
        md_plain(&plain, n, L->cin, h, w, cur_md->data_type);
        st = add_reorder(f, p, l, cur, cur_md, &plain);
        if (st == VGG_STATUS_OK)
            st = pool_or_lrn_pd(f, L, cur_md, n, h, w, &pd);
    }
    if (st == VGG_STATUS_OK)
        st = add_step(f, p, L->kind == VGG_LAYER_POOL ? STEP_POOL : STEP_LRN, l, pd, cur, cur_md);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    return st;
}

/* The last step writes the caller's NCHW f32 output (n, c, h, w), through
 * a reorder when the current layout is another. */
static vgg_status add_output(const fast_state *f, plan *p, int l, int n, int c, int h, int w,
                             int *cur, dnnl_memory_desc_t *cur_md)
{
    vgg_status st = VGG_STATUS_OK;
    dnnl_memory_desc_t user;
    md_plain(&user, n, c, h, w, dnnl_f32);
    if (!dnnl_memory_desc_equal(&user, cur_md))
        st = add_reorder(f, p, l, cur, cur_md, &user);
    if (st == VGG_STATUS_OK)
        p->steps[p->n_steps - 1].dst = SLOT_OUT;
    return st;
}

/* A convolution step of layer L running pd from the current activation
 * (through a reorder into the layout pd wants): its weights (from the
 * net's (O, I, k, k), int8 where int8), and a bias memory where bias. */
static vgg_status add_conv(const fast_state *f, chain_cache *c, plan *p, int l,
                           const vgg_fwd_layer *L, dnnl_primitive_desc_t pd, bool int8,
                           bool bias, int *cur, dnnl_memory_desc_t *cur_md)
{
    vgg_status st = VGG_STATUS_OK;
    const dnnl_memory_desc_t *want = pd_md(pd, dnnl_query_src_md);
    if (!dnnl_memory_desc_equal(want, cur_md))
        st = add_reorder(f, p, l, cur, cur_md, want);
    if (st == VGG_STATUS_OK)
        st = add_step(f, p, STEP_CONV, l, pd, cur, cur_md);
    if (st != VGG_STATUS_OK)
        return st;
    step *s = &p->steps[p->n_steps - 1];
    s->wlayer = l;
    dnnl_memory_desc_t from;
    dnnl_dims_t wd = {L->cout, L->cin, L->k, L->k};
    dnnl_memory_desc_init_by_tag(&from, 4, wd, dnnl_f32, dnnl_oihw);
    st = weights_for(f, c, l, &from, pd_md(pd, dnnl_query_weights_md), &s->w);
    if (st == VGG_STATUS_OK && int8)
        st = make_int8(s->w, L->cout);
    if (st == VGG_STATUS_OK && bias) {
        dnnl_memory_desc_t bmd;
        dnnl_dims_t bd = {L->cout};
        dnnl_memory_desc_init_by_tag(&bmd, 1, bd, dnnl_f32, dnnl_x);
        if (dnnl_memory_create(&s->mbias, &bmd, f->eng, DNNL_MEMORY_NONE) != dnnl_success)
            st = vgg_fail(VGG_STATUS_NOMEM, "oneDNN: cannot make a bias memory");
    }
    return st;
}

static vgg_status plan_build_int8(const fast_state *f, chain_cache *c, plan *p,
                                  const vgg_fwd_layer *layers, int n_layers, int n, int h, int w,
                                  int threads);

static vgg_status plan_build(const fast_state *f, chain_cache *c, const vgg_fwd_layer *layers,
                             int n_layers, int n, int h, int w, dnnl_data_type_t dt, int threads,
                             plan **out)
{
    vgg_status st = VGG_STATUS_OK;
    *out = NULL;
    plan *p = calloc(1, sizeof *p);
    if (!p)
        return vgg_fail(VGG_STATUS_NOMEM, "oneDNN: out of memory");
    p->dt = dt;
    p->n = n;
    p->h = h;
    p->w = w;
    p->n_layers = n_layers;
    for (int l = 0; l < n_layers; l++)
        key_of(&layers[l], &p->key[l]);
    if (dt == dnnl_u8) {
        st = plan_build_int8(f, c, p, layers, n_layers, n, h, w, threads);
        if (st != VGG_STATUS_OK) {
            plan_free(p);
            return st;
        }
        *out = p;
        return VGG_STATUS_OK;
    }
    dnnl_memory_desc_t cur_md;
    md_plain(&cur_md, n, layers[0].cin, h, w, dnnl_f32);
    int cur = SLOT_IN;
    for (int l = 0; l < n_layers && st == VGG_STATUS_OK; l++) {
        const vgg_fwd_layer *L = &layers[l];
        dnnl_primitive_desc_t pd = NULL;
        /* bf16: the last product writes f32 (it is the chain's output) */
        const dnnl_data_type_t dt_out = l == n_layers - 1 ? dnnl_f32 : dt;
        const vgg_conv_algo algo = conv_algo_for(L, dt);
        if (L->kind == VGG_LAYER_FC && L->pad == 0) {
            st = add_fc(f, c, p, l, L, n, h, w, dt_out, threads, &cur, &cur_md);
        } else if (algo == VGG_CONV_WINO4 || algo == VGG_CONV_WINO2 ||
                   algo == VGG_CONV_DIRECT8) {
            st = add_wino(f, c, p, l, L,
                          algo == VGG_CONV_WINO4 ? 4 : algo == VGG_CONV_WINO2 ? 2 : 1, n, h, w,
                          threads, &cur,
                          &cur_md);
        } else if (L->kind == VGG_LAYER_CONV || L->kind == VGG_LAYER_FC) {
            st = conv_pd(f, L, n, h, w, dt, dt_out, &pd);
            if (st == VGG_STATUS_OK)
                st = add_conv(f, c, p, l, L, pd, false, true, &cur, &cur_md);
        } else if (L->kind == VGG_LAYER_POOL && dt == dnnl_f32 && p->n_steps > 0 &&
                   p->steps[p->n_steps - 1].kind == STEP_WINO &&
                   p->steps[p->n_steps - 1].dst == cur && pool_fuses(L, &p->steps[p->n_steps - 1])) {
            /* into the Winograd before it (wino.h): its output is never
             * written, only the pooled one */
            dnnl_dims_t od = {n, L->cin, out_side(L, h), out_side(L, w)};
            dnnl_memory_desc_init_by_tag(&cur_md, 4, od, dnnl_f32, dnnl_aBcd8b);
        } else if (L->kind == VGG_LAYER_POOL && dt == dnnl_f32 && vgg_wino_supported() &&
                   is_nchw8c(&cur_md, n, L->cin, h, w)) {
            /* ours on the nChw8c our Winograd writes (oneDNN's pooling
             * ran at a fifth of the memory's speed there) */
            VGG_ASSERT(p->n_steps < MAX_STEPS);
            const int oh = out_side(L, h), ow = out_side(L, w);
            step *s = &p->steps[p->n_steps++];
            *s = (step){.kind = STEP_POOL8, .layer = l, .src = cur, .dst = cur == 0 ? 1 : 0,
                        .n = n, .c = L->cin, .h = h, .w_ = w, .oh = oh, .ow = ow};
            const size_t bytes = (size_t)n * ((L->cin + 7) / 8 * 8) * oh * ow * sizeof(float);
            if (bytes > p->act_bytes)
                p->act_bytes = bytes;
            cur = s->dst;
            dnnl_dims_t od = {n, L->cin, oh, ow};
            dnnl_memory_desc_init_by_tag(&cur_md, 4, od, dnnl_f32, dnnl_aBcd8b);
        } else {
            st = add_pool_or_lrn(f, p, l, L, n, h, w, &cur, &cur_md);
        }
        if (pd)
            dnnl_primitive_desc_destroy(pd);
        h = out_side(L, h);
        w = out_side(L, w);
    }
    if (st == VGG_STATUS_OK)
        st = add_output(f, p, n_layers - 1, n, layers[n_layers - 1].cout, h, w, &cur, &cur_md);
    if (st != VGG_STATUS_OK) {
        plan_free(p);
        return st;
    }
    *out = p;
    return VGG_STATUS_OK;
}

/* ---- the int8 chain (--precision int8) ----
 *
 * The first convolution in f32 (its input is the image, signed), written
 * NHWC.  Every later 3x3 convolution on 8 bits: its input u8, one scale an
 * image (the image's largest value / 255), its weights s8, one scale an
 * output channel (the channel's largest magnitude / 127), the products
 * summed exactly in s32 by oneDNN (VNNI), NHWC.  Then a FINISH step
 * (finish_run) makes the real values, relu(image scale * channel scale *
 * sum + bias), and from them the next layer's u8 input or, before an fc
 * layer, LRN or the chain's end, f32.  A max-pooling between runs on the
 * sums themselves (or on u8): the map to real values is increasing in
 * each channel, so pooling first gives the same values.  The fc layers
 * run in f32 as in the fp32 chain.  A scale belongs to one image of the
 * batch, so a row does not depend on the images batched with it. */

/* The convolution of layer L in the int8 chain: q, u8 NHWC in, s8
 * weights, s32 NHWC out, no bias or ReLU (the FINISH step after it);
 * else f32 in (any layout), f32 NHWC out with the bias and ReLU fused. */
static vgg_status conv_pd_int8(const fast_state *f, const vgg_fwd_layer *L, int n, int h, int w,
                               bool q, dnnl_primitive_desc_t *out)
{
    vgg_status st = VGG_STATUS_OK;
    *out = NULL;
    const int oh = out_side(L, h), ow = out_side(L, w);
    dnnl_memory_desc_t src, wei, bias, dst;
    dnnl_dims_t sd = {n, L->cin, h, w}, dd = {n, L->cout, oh, ow};
    dnnl_dims_t wd = {L->cout, L->cin, L->k, L->k}, bd = {L->cout};
    dnnl_memory_desc_init_by_tag(&src, 4, sd, q ? dnnl_u8 : dnnl_f32,
                                 q ? dnnl_nhwc : dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&dst, 4, dd, q ? dnnl_s32 : dnnl_f32, dnnl_nhwc);
    dnnl_memory_desc_init_by_tag(&wei, 4, wd, q ? dnnl_s8 : dnnl_f32, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&bias, 1, bd, dnnl_f32, dnnl_x);
    dnnl_dims_t strides = {1, 1}, pad = {L->pad, L->pad};
    dnnl_primitive_attr_t attr = NULL;
    st = make_attr(!q && L->relu, &attr);
    if (st != VGG_STATUS_OK)
        return st;
    dnnl_convolution_desc_t cd;
    CHECK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct,
                                             &src, &wei, q ? NULL : &bias, &dst, strides, pad,
                                             pad));
    CHECK(dnnl_primitive_desc_create(out, &cd, attr, f->eng, NULL));
done:
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    return st;
}

/* A FINISH step from the current NHWC activation (s32 sums of the
 * convolution whose weights are w and bias is layer blayer's, or f32
 * values) into the other buffer, u8 or f32 NHWC; *q: the scale slot of the
 * current activation (-1: none, its values are real), then this step's. */
static vgg_status add_finish(plan *p, int layer, int n, int ch, int h, int w, wentry *wq,
                             int blayer, bool relu, bool out_u8, int *q, int *cur,
                             dnnl_memory_desc_t *cur_md)
{
    VGG_ASSERT(p->n_steps < MAX_STEPS);
    step *s = &p->steps[p->n_steps++];
    *s = (step){.kind = STEP_FINISH, .layer = layer, .src = *cur, .dst = *cur == 0 ? 1 : 0,
                .n = n, .c = ch, .h = h, .w_ = w, .w = wq, .qin = wq ? *q : -1,
                .qout = out_u8 ? p->n_q++ : -1, .blayer = blayer,
                .in_s32 = cur_md->data_type == dnnl_s32, .out_u8 = out_u8, .relu = relu};
    dnnl_dims_t d = {n, ch, h, w};
    dnnl_memory_desc_init_by_tag(cur_md, 4, d, out_u8 ? dnnl_u8 : dnnl_f32, dnnl_nhwc);
    const size_t bytes = dnnl_memory_desc_get_size(cur_md);
    if (bytes > p->act_bytes)
        p->act_bytes = bytes;
    *cur = s->dst;
    *q = s->qout;
    return VGG_STATUS_OK;
}

/* The current activation (n, ch, h, w) as u8 NHWC: through NHWC of its
 * type, then a FINISH step (the sums of weights wq and bias layer blayer,
 * or real values where wq is NULL). */
static vgg_status to_u8(const fast_state *f, plan *p, int l, int n, int ch, int h, int w,
                        wentry *wq, int blayer, bool relu, int *q, int *cur,
                        dnnl_memory_desc_t *cur_md)
{
    vgg_status st = VGG_STATUS_OK;
    dnnl_memory_desc_t want;
    dnnl_dims_t d = {n, ch, h, w};
    dnnl_memory_desc_init_by_tag(&want, 4, d, cur_md->data_type, dnnl_nhwc);
    if (!dnnl_memory_desc_equal(cur_md, &want))
        st = add_reorder(f, p, l, cur, cur_md, &want);
    if (st == VGG_STATUS_OK)
        st = add_finish(p, l, n, ch, h, w, wq, blayer, relu, true, q, cur, cur_md);
    return st;
}

/* An fc layer on 8 bits, from the u8 NHWC activation: its patches (k > 1:
 * through NCHW and an im2col of bytes; k = 1: the NHWC rows themselves)
 * times the s8 weights (one scale an output), the exact s32 sums as NHWC
 * rows (n, oh, ow, cout) for the FINISH after it; *wq: the weights. */
static vgg_status add_fc_int8(const fast_state *f, chain_cache *c, plan *p, int l,
                              const vgg_fwd_layer *L, int n, int h, int w, int *cur,
                              dnnl_memory_desc_t *cur_md, wentry **wq)
{
    vgg_status st = VGG_STATUS_OK;
    const int oh = out_side(L, h), ow = out_side(L, w);
    const dnnl_dim_t M = (dnnl_dim_t)n * oh * ow, K = (dnnl_dim_t)L->cin * L->k * L->k,
                     N = L->cout;
    if (L->k > 1) {
        dnnl_memory_desc_t plain;
        md_plain(&plain, n, L->cin, h, w, dnnl_u8);
        st = add_reorder(f, p, l, cur, cur_md, &plain);
        if (st != VGG_STATUS_OK)
            return st;
        add_im2col(p, l, L, n, h, w, 1, cur);
    }
    dnnl_memory_desc_t src, wei, from, dst;
    dnnl_dims_t sd = {M, K}, wd = {K, N}, ws = {1, K}, dd = {M, N};
    dnnl_memory_desc_init_by_tag(&src, 2, sd, dnnl_u8, dnnl_ab);
    dnnl_memory_desc_init_by_strides(&from, 2, wd, dnnl_f32, ws);
    dnnl_memory_desc_init_by_tag(&wei, 2, wd, dnnl_s8, dnnl_format_tag_any);
    dnnl_memory_desc_init_by_tag(&dst, 2, dd, dnnl_s32, dnnl_ab);
    dnnl_primitive_attr_t attr = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_matmul_desc_t md;
    st = make_attr(false, &attr);
    if (st != VGG_STATUS_OK)
        return st;
    CHECK(dnnl_matmul_desc_init(&md, &src, &wei, NULL, &dst));
    CHECK(dnnl_primitive_desc_create(&pd, &md, attr, f->eng, NULL));
    st = add_step(f, p, STEP_MATMUL, l, pd, cur, cur_md);
    if (st != VGG_STATUS_OK)
        goto done;
    step *s = &p->steps[p->n_steps - 1];
    s->wlayer = l;
    st = weights_for(f, c, l, &from, pd_md(pd, dnnl_query_weights_md), &s->w);
    if (st == VGG_STATUS_OK)
        st = make_int8(s->w, L->cout);
    *wq = s->w;
    dnnl_dims_t out_dims = {n, N, oh, ow};
    dnnl_memory_desc_init_by_tag(cur_md, 4, out_dims, dnnl_s32, dnnl_nhwc);
done:
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    return st;
}

static vgg_status plan_build_int8(const fast_state *f, chain_cache *c, plan *p,
                                  const vgg_fwd_layer *layers, int n_layers, int n, int h, int w,
                                  int threads)
{
    vgg_status st = VGG_STATUS_OK;
    dnnl_memory_desc_t cur_md;
    md_plain(&cur_md, n, layers[0].cin, h, w, dnnl_f32);
    int cur = SLOT_IN, q = -1;
    /* the current activation: real values (f32), or the s32 sums of the
     * convolution with weights zw and bias layer zl (its ReLU zrelu), or
     * u8 with the scales of slot q */
    enum { ACT_REAL, ACT_SUMS, ACT_U8 } act = ACT_REAL;
    wentry *zw = NULL;
    int zl = -1;
    bool zrelu = false, nonneg = false, seen_conv = false;
    for (int l = 0; l < n_layers && st == VGG_STATUS_OK; l++) {
        const vgg_fwd_layer *L = &layers[l];
        dnnl_primitive_desc_t pd = NULL;
        /* (u8 is made only for the layer right after it) */
        VGG_ASSERT(act != ACT_U8);
        /* 8 bits where the input is a ReLU's (u8 holds it): the fc
         * layers, and the convolutions past the first; the rest takes
         * real values, f32 NHWC first */
        const bool input_nonneg = act == ACT_SUMS ? zrelu : nonneg;
        const bool fc = L->kind == VGG_LAYER_FC && L->pad == 0;
        const bool conv = !fc && (L->kind == VGG_LAYER_CONV || L->kind == VGG_LAYER_FC);
        const bool qfc = fc && input_nonneg, qconv = conv && seen_conv && input_nonneg;
        const bool needs_real = L->kind == VGG_LAYER_LRN || (fc && !qfc) || (conv && !qconv);
        if (needs_real && act == ACT_SUMS) {
            dnnl_memory_desc_t want;
            dnnl_dims_t d = {n, L->cin, h, w};
            dnnl_memory_desc_init_by_tag(&want, 4, d, cur_md.data_type, dnnl_nhwc);
            if (!dnnl_memory_desc_equal(&cur_md, &want))
                st = add_reorder(f, p, l, &cur, &cur_md, &want);
            if (st == VGG_STATUS_OK)
                st = add_finish(p, l, n, L->cin, h, w, zw, zl, zrelu, false, &q, &cur, &cur_md);
            act = ACT_REAL;
        }
        if (st != VGG_STATUS_OK)
            break;
        if (qfc) {
            if (act != ACT_U8)
                st = to_u8(f, p, l, n, L->cin, h, w, act == ACT_SUMS ? zw : NULL,
                           act == ACT_SUMS ? zl : -1, act == ACT_SUMS && zrelu, &q, &cur,
                           &cur_md);
            act = ACT_U8;
            if (st == VGG_STATUS_OK)
                st = add_fc_int8(f, c, p, l, L, n, h, w, &cur, &cur_md, &zw);
            act = ACT_SUMS;
            zl = l;
            zrelu = L->relu;
        } else if (fc) {
            st = add_fc(f, c, p, l, L, n, h, w, dnnl_f32, threads, &cur, &cur_md);
            nonneg = L->relu;
        } else if (conv) {
            seen_conv = true;
            if (qconv && act != ACT_U8) {
                st = to_u8(f, p, l, n, L->cin, h, w, act == ACT_SUMS ? zw : NULL,
                           act == ACT_SUMS ? zl : -1, act == ACT_SUMS && zrelu, &q, &cur,
                           &cur_md);
                act = ACT_U8;
            }
            if (st == VGG_STATUS_OK)
                st = conv_pd_int8(f, L, n, h, w, qconv, &pd);
            if (st == VGG_STATUS_OK)
                st = add_conv(f, c, p, l, L, pd, qconv, !qconv, &cur, &cur_md);
            if (st == VGG_STATUS_OK) {
                step *s = &p->steps[p->n_steps - 1];
                if (qconv) {
                    act = ACT_SUMS;
                    zw = s->w;
                    zl = l;
                    zrelu = L->relu;
                } else {
                    act = ACT_REAL;
                    nonneg = L->relu;
                }
            }
        } else {
            /* max-pooling (on the sums, u8 or f32 as they are), or LRN
             * (on f32: made real above) */
            st = add_pool_or_lrn(f, p, l, L, n, h, w, &cur, &cur_md);
            /* (LRN divides by a positive number, pooling takes a maximum:
             * nonneg stays what it was) */
        }
        if (pd)
            dnnl_primitive_desc_destroy(pd);
        h = out_side(L, h);
        w = out_side(L, w);
    }
    const int last = n_layers - 1, cout = layers[last].cout;
    if (st == VGG_STATUS_OK && act != ACT_REAL) {
        dnnl_memory_desc_t want;
        dnnl_dims_t d = {n, cout, h, w};
        dnnl_memory_desc_init_by_tag(&want, 4, d, cur_md.data_type, dnnl_nhwc);
        if (!dnnl_memory_desc_equal(&cur_md, &want))
            st = add_reorder(f, p, last, &cur, &cur_md, &want);
        if (st == VGG_STATUS_OK)
            st = add_finish(p, last, n, cout, h, w, act == ACT_SUMS ? zw : NULL,
                            act == ACT_SUMS ? zl : -1, act == ACT_SUMS && zrelu, false, &q, &cur,
                            &cur_md);
    }
    if (st == VGG_STATUS_OK)
        st = add_output(f, p, last, n, cout, h, w, &cur, &cur_md);
    return st;
}

static bool plan_matches(const plan *p, const vgg_fwd_layer *layers, int n_layers,
                         dnnl_data_type_t dt, int n, int h, int w)
{
    if (p->dt != dt || p->n != n || p->h != h || p->w != w || p->n_layers != n_layers)
        return false;
    for (int l = 0; l < n_layers; l++) {
        vgg_fwd_layer k;
        key_of(&layers[l], &k);
        if (memcmp(&k, &p->key[l], sizeof k) != 0)
            return false;
    }
    return true;
}

/* ---- running ---- */

/* The two activation buffers and the scratchpad, grown to a plan's needs
 * (kept for the backend's life, so that their pages are faulted in once). */
static vgg_status workspace(fast_state *f, size_t act_bytes, size_t scratch_bytes)
{
    if (act_bytes > f->act_cap) {
        for (int i = 0; i < 2; i++) {
            free(f->act[i]);
            f->act[i] = alloc_aligned(act_bytes);
        }
        f->act_cap = f->act[0] && f->act[1] ? act_bytes : 0;
        if (!f->act_cap)
            return vgg_fail(VGG_STATUS_NOMEM,
                            "oneDNN: out of memory for activations (2 x %zu bytes)", act_bytes);
    }
    if (scratch_bytes > f->scratch_cap) {
        free(f->scratch);
        f->scratch = alloc_aligned(scratch_bytes);
        f->scratch_cap = f->scratch ? scratch_bytes : 0;
        if (!f->scratch)
            return vgg_fail(VGG_STATUS_NOMEM, "oneDNN: out of memory for a scratchpad (%zu bytes)",
                            scratch_bytes);
    }
    return VGG_STATUS_OK;
}

/* Reorder layer l's plain weights into w's layout when they changed (our
 * Winograd's: transform and pack them, with the bias). */
static vgg_status refresh_weights(fast_state *f, wentry *w, const float *src, const float *bsrc,
                                  uint64_t gen, uint64_t epoch, int threads)
{
    vgg_status st = VGG_STATUS_OK;
    if (w->fresh && w->src == src && w->bsrc == bsrc && w->gen == gen && w->epoch == epoch)
        return VGG_STATUS_OK;
    if (w->wino_m) {
        vgg_wino_pack(w->wino_m, w->cin, w->cout, src, bsrc, w->data, threads);
        w->src = src;
        w->bsrc = bsrc;
        w->gen = gen;
        w->epoch = epoch;
        w->fresh = true;
        return VGG_STATUS_OK;
    }
    dnnl_memory_desc_t plain = w->from;
    dnnl_memory_t msrc = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_primitive_t r = NULL;
    int8_t *q = NULL;
    if (w->scales) {
        /* each output channel over its scale, rounded to the nearest
         * (halves away from zero): |q| <= 127 */
        /* the source: cout rows of per values ((O, I, k, k), or fc's (K, N)
         * view of its (N, K) rows) */
        size_t total = 1;
        for (int d = 0; d < plain.ndims; d++)
            total *= (size_t)plain.dims[d];
        const size_t per = total / (size_t)w->cout;
        q = malloc((size_t)w->cout * per);
        if (!q) {
            st = vgg_fail(VGG_STATUS_NOMEM, "cpu: out of memory for int8 weights");
            goto done;
        }
#pragma omp parallel for schedule(static) num_threads(threads)
        for (int o = 0; o < w->cout; o++) {
            const float *row = src + (size_t)o * per;
            float m = 0.0f;
            for (size_t i = 0; i < per; i++)
                m = fabsf(row[i]) > m ? fabsf(row[i]) : m;
            const float scale = m > 0.0f ? m / 127.0f : 1.0f;
            w->scales[o] = scale;
            for (size_t i = 0; i < per; i++) {
                const float v = roundf(row[i] / scale);
                q[(size_t)o * per + i] = (int8_t)(v > 127.0f ? 127.0f : v < -127.0f ? -127.0f : v);
            }
        }
        plain.data_type = dnnl_s8;   /* the same strides, in elements */
    }
    CHECK(dnnl_memory_create(&msrc, &plain, f->eng, q ? (void *)q : (void *)src));
    CHECK(dnnl_reorder_primitive_desc_create(&pd, &plain, f->eng, &w->md, f->eng, NULL));
    CHECK(dnnl_primitive_create(&r, pd));
    dnnl_exec_arg_t a[2] = {{DNNL_ARG_FROM, msrc}, {DNNL_ARG_TO, w->mem}};
    CHECK(dnnl_primitive_execute(r, f->strm, 2, a));
    CHECK(dnnl_stream_wait(f->strm));
    w->src = src;
    w->bsrc = bsrc;
    w->gen = gen;
    w->epoch = epoch;
    w->fresh = true;
done:
    if (r)
        dnnl_primitive_destroy(r);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (msrc)
        dnnl_memory_destroy(msrc);
    free(q);
    return st;
}

static vgg_status plan_run(fast_state *f, const plan *p, const vgg_fwd_layer *layers,
                           uint64_t gen, uint64_t epoch, int threads, const float *x, float *y,
                           double *seconds)
{
    vgg_status st = VGG_STATUS_OK;
    /* int8: each FINISH step's scales of the batch's images */
    float *qs = p->n_q ? malloc((size_t)p->n_q * p->n * sizeof *qs) : NULL;
    if (p->n_q && !qs)
        return vgg_fail(VGG_STATUS_NOMEM, "cpu: out of memory");
    for (int i = 0; i < p->n_steps && st == VGG_STATUS_OK; i++) {
        const step *s = &p->steps[i];
        void *src = s->src == SLOT_IN ? (void *)x : f->act[s->src];
        void *dst = s->dst == SLOT_OUT ? (void *)y : f->act[s->dst];
        dnnl_exec_arg_t a[MAX_ARGS];
        int na = 0;
        double t0 = seconds ? now_s() : 0.0;
        if (s->kind == STEP_IM2COL) {
            im2col(s, (const char *)src, (char *)dst);
            if (seconds)
                seconds[s->layer] += now_s() - t0;
            continue;
        }
        if (s->kind == STEP_FINISH) {
            const vgg_finish_shape fs = {s->n, s->c, (size_t)s->h * s->w_, s->in_s32,
                                         s->out_u8, s->relu, threads};
            vgg_finish_run(&fs, src, dst, s->qin >= 0 ? qs + (size_t)s->qin * p->n : NULL,
                           s->qout >= 0 ? qs + (size_t)s->qout * p->n : NULL,
                           s->w ? s->w->scales : NULL,
                           s->blayer >= 0 ? layers[s->blayer].bias : NULL);
            if (seconds)
                seconds[s->layer] += now_s() - t0;
            continue;
        }
        if (s->kind == STEP_POOL8) {
            vgg_pool8_run(s->n, s->c, s->h, s->w_, s->oh, s->ow, (const float *)src,
                          (float *)dst, threads);
            if (seconds)
                seconds[s->layer] += now_s() - t0;
            continue;
        }
        if (s->kind == STEP_FC) {
            const vgg_fwd_layer *L = &layers[s->wlayer];
            if (s->fs.algo == VGG_FC_WINO7)
                vgg_wino7_run(&s->w7, L->weight, L->bias, (const float *)src, (float *)dst,
                              f->scratch);
            else
                vgg_fc_run(&s->fs, L->weight, L->bias, (const float *)src, (float *)dst,
                           f->scratch);
            if (seconds)
                seconds[s->layer] += now_s() - t0;
            continue;
        }
        if (s->kind == STEP_WINO) {
            const vgg_fwd_layer *L = &layers[s->wlayer];
            st = refresh_weights(f, s->w, L->weight, L->bias, gen, epoch, threads);
            if (st != VGG_STATUS_OK)
                break;
            vgg_wino_run(&s->ws, s->w->data, (const float *)src, (float *)dst, f->scratch);
            if (seconds)
                seconds[s->layer] += now_s() - t0;
            continue;
        }
        CHECK(dnnl_memory_set_data_handle(s->msrc, src));
        CHECK(dnnl_memory_set_data_handle(s->mdst, dst));
        if (s->kind == STEP_REORDER) {
            a[na++] = (dnnl_exec_arg_t){DNNL_ARG_FROM, s->msrc};
            a[na++] = (dnnl_exec_arg_t){DNNL_ARG_TO, s->mdst};
        } else {
            a[na++] = (dnnl_exec_arg_t){DNNL_ARG_SRC, s->msrc};
            a[na++] = (dnnl_exec_arg_t){DNNL_ARG_DST, s->mdst};
        }
        if (s->kind == STEP_CONV || s->kind == STEP_MATMUL) {
            const vgg_fwd_layer *L = &layers[s->wlayer];
            if (s->w) {
                st = refresh_weights(f, s->w, L->weight, L->bias, gen, epoch, threads);
                if (st != VGG_STATUS_OK)
                    break;
            } else {
                CHECK(dnnl_memory_set_data_handle(s->mwei, (void *)L->weight));
            }
            a[na++] = (dnnl_exec_arg_t){DNNL_ARG_WEIGHTS, s->w ? s->w->mem : s->mwei};
            if (s->mbias) {   /* (an int8 convolution has none: its FINISH adds it) */
                CHECK(dnnl_memory_set_data_handle(s->mbias, (void *)L->bias));
                a[na++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, s->mbias};
            }
        }
        if (s->mscratch) {
            CHECK(dnnl_memory_set_data_handle(s->mscratch, f->scratch));
            a[na++] = (dnnl_exec_arg_t){DNNL_ARG_SCRATCHPAD, s->mscratch};
        }
        CHECK(dnnl_primitive_execute(s->prim, f->strm, na, a));
        if (seconds) {
            CHECK(dnnl_stream_wait(f->strm));
            seconds[s->layer] += now_s() - t0;
        }
    }
    if (st == VGG_STATUS_OK)
        CHECK(dnnl_stream_wait(f->strm));
done:
    free(qs);
    return st;
}

void vgg_dnnl_calls(vgg_backend *be, uint64_t *calls, int *last_n)
{
    fast_state *f = vgg_cpu_fast_state(be);
    *calls = 0;
    *last_n = 0;
    if (!f)
        return;
    pthread_mutex_lock(&f->lock);
    *calls = f->calls;
    *last_n = f->last_n;
    pthread_mutex_unlock(&f->lock);
}

vgg_status vgg_dnnl_bf16_check(void)
{
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if ((isa & dnnl_cpu_isa_avx512_core_bf16) != dnnl_cpu_isa_avx512_core_bf16)
        return vgg_fail(VGG_STATUS_UNSUPPORTED,
                        "precision bf16: this CPU has no bf16 instructions for oneDNN "
                        "(AVX512-BF16 or AMX; oneDNN reports 0x%x%s): use --precision fp32",
                        (unsigned)isa, getenv("ONEDNN_MAX_CPU_ISA") ?
                        ", limited by ONEDNN_MAX_CPU_ISA" : "");
    return VGG_STATUS_OK;
}

vgg_status vgg_dnnl_int8_check(void)
{
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if ((isa & dnnl_cpu_isa_avx512_core_vnni) != dnnl_cpu_isa_avx512_core_vnni &&
        (isa & dnnl_cpu_isa_avx2_vnni) != dnnl_cpu_isa_avx2_vnni)
        return vgg_fail(VGG_STATUS_UNSUPPORTED,
                        "precision int8: this CPU has no VNNI for oneDNN (AVX512-VNNI or "
                        "AVX-VNNI; oneDNN reports 0x%x%s), without which int8 is slower than "
                        "fp32: use --precision fp32",
                        (unsigned)isa, getenv("ONEDNN_MAX_CPU_ISA") ?
                        ", limited by ONEDNN_MAX_CPU_ISA" : "");
    return VGG_STATUS_OK;
}

vgg_status vgg_dnnl_forward(vgg_backend *be, void **cache, uint64_t gen,
                            const vgg_fwd_layer *layers, int n_layers, int n, int h, int w,
                            const float *x, float *y, double *seconds)
{
    fast_state *f = vgg_cpu_fast_state(be);
    if (!f)
        return vgg_fail(VGG_STATUS_UNSUPPORTED, "backend %s: no oneDNN forward", be->name);
    if (n_layers < 1 || n_layers > MAX_CHAIN || n < 1 || h < 1 || w < 1)
        return vgg_fail(VGG_STATUS_INVALID, "oneDNN: bad chain (%d layers, n %d, %dx%d)",
                        n_layers, n, h, w);
    for (int l = 0, sh = h, sw = w; l < n_layers; l++) {
        sh = out_side(&layers[l], sh);
        sw = out_side(&layers[l], sw);
        if (sh < 1 || sw < 1)
            return vgg_fail(VGG_STATUS_INVALID, "oneDNN: input %dx%d is too small for layer %d",
                            h, w, l);
    }
    chain_cache *c = *cache;
    if (!c) {
        c = calloc(1, sizeof *c);
        if (!c)
            return vgg_fail(VGG_STATUS_NOMEM, "oneDNN: out of memory");
        *cache = c;
    }
    const dnnl_data_type_t dt = be->opts.precision == VGG_PRECISION_BF16   ? dnnl_bf16
                                : be->opts.precision == VGG_PRECISION_INT8 ? dnnl_u8
                                                                           : dnnl_f32;
    /* oneDNN's threads are OpenMP's: the count is per calling thread */
    omp_set_num_threads(be->threads);
    vgg_status st = VGG_STATUS_OK;
    plan *p = NULL;
    for (int i = 0; i < c->n_plans && !p; i++)
        if (plan_matches(c->plans[i], layers, n_layers, dt, n, h, w))
            p = c->plans[i];
    pthread_mutex_lock(&f->lock);
    if (!p) {
        /* weights of plans dropped earlier stay until the cache starts
         * afresh, which it does when a new plan might not fit */
        int convs = 0;
        for (int l = 0; l < n_layers; l++)
            convs += layers[l].kind == VGG_LAYER_CONV || layers[l].kind == VGG_LAYER_FC;
        if (c->n_w + convs > MAX_WEIGHTS)
            cache_clear(c);
        st = plan_build(f, c, layers, n_layers, n, h, w, dt, be->threads, &p);
        if (st == VGG_STATUS_OK) {
            if (c->n_plans == MAX_PLANS) {   /* drop the least recently used */
                int old = 0;
                for (int i = 1; i < c->n_plans; i++)
                    if (c->plans[i]->last_use < c->plans[old]->last_use)
                        old = i;
                plan_free(c->plans[old]);
                c->plans[old] = c->plans[--c->n_plans];
            }
            c->plans[c->n_plans++] = p;
        }
    }
    if (st == VGG_STATUS_OK) {
        p->last_use = ++c->clock;
        st = workspace(f, p->act_bytes, p->scratch_bytes);
    }
    if (st == VGG_STATUS_OK)
        st = plan_run(f, p, layers, gen, be->weights_epoch, be->threads, x, y, seconds);
    f->calls++;
    f->last_n = n;
    pthread_mutex_unlock(&f->lock);
    return st;
}
