/* The "cpu" backend's training convolutions on oneDNN: the forward of a
 * training step (bias and ReLU fused), the gradient with respect to the
 * input through the backward-data primitive, those of the weights and the
 * bias through the backward-weights primitive, all with the direct
 * algorithm only (never Winograd), so that a training step has the same
 * bits run to run with the same thread count (byte-exact resume).
 *
 * The net's tensors are plain (NCHW activations, OIHW weights); the
 * primitives take the layouts oneDNN prefers (format_tag any) and the
 * plain tensors are reordered into and out of them where they differ.
 * Primitives and reorders are made once per shape and kept; the buffers
 * for the reordered tensors belong to the backend and only grow.
 *
 * The contract of vgg_backend_train_ops.conv2d_backward: dx is written,
 * dweight and dbias accumulated (+=).  oneDNN writes its gradients, so
 * they land in a buffer of the backend and are added afterwards.
 *
 * Fully connected layers run here too, as the convolutions they are (fc6
 * 7x7 over a 7x7 map, fc7 and fc8 1x1 over 1x1): a step that leaves them
 * to the reference's OpenBLAS products alternates OpenBLAS's threads,
 * which keep spinning after a product, with oneDNN's OpenMP ones, and is
 * slower (bench_train).  The forward went the same way: with it on the
 * reference's im2col and OpenBLAS, a small net's step spent three quarters
 * of its time there (bench_train --profile).  Shapes oneDNN has no direct
 * implementation for and bad descriptors go to the reference (cpu.c,
 * cpu_train.c). */
#include "cpu.h"
#include "dnnl_util.h"

#include <dnnl.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* shapes with their primitives; past this the oldest is dropped */
#define MAX_SHAPES 32

/* The backend's buffers: the tensors in the primitives' layouts (x, dz for
 * the weights' and for the data's primitive, the weights, dx, dweight),
 * dz itself (dy through the ReLU), dweight and dbias as oneDNN writes them. */
enum { BUF_X, BUF_DZW, BUF_DZD, BUF_W, BUF_DX, BUF_DW, BUF_DWP, BUF_DZ, BUF_DB, N_BUF };

/* A forward of one shape, with or without the fused ReLU: the primitive,
 * its layouts of x, the weights and y, and the reorders into and out of
 * them (NULL where the layout is plain). */
typedef struct fwd_prim {
    bool made, unsupported;
    dnnl_primitive_t conv, r_x, r_w, r_y;
    dnnl_memory_desc_t m_x, m_w, m_y;
} fwd_prim;

/* One shape's primitives; a reorder is NULL where the layout is plain. */
typedef struct bwd_shape {
    int n, cin, h, w, cout, k, pad;
    fwd_prim fwd[2];                               /* [relu] */
    dnnl_primitive_t bwd_w, bwd_d;
    dnnl_primitive_t r_x, r_dzw, r_dzd, r_w, r_dx, r_dw;
    dnnl_memory_desc_t p_x, p_dz, p_w, p_b;        /* plain */
    dnnl_memory_desc_t m_x, m_dzw, m_dzd, m_w, m_dx, m_dw;
    bool unsupported;                              /* no direct implementation */
    uint64_t last_use;
} bwd_shape;

typedef struct bwd_state {
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    pthread_mutex_t lock;   /* held by a call while it uses the buffers */
    bwd_shape *shapes[MAX_SHAPES];
    int n_shapes;
    uint64_t clock;
    void *buf[N_BUF];
    size_t cap[N_BUF];      /* bytes */
} bwd_state;

static void fwd_clear(fwd_prim *f);

static void shape_free(bwd_shape *s)
{
    if (!s)
        return;
    dnnl_primitive_t p[] = {s->bwd_w, s->bwd_d, s->r_x, s->r_dzw, s->r_dzd, s->r_w, s->r_dx,
                            s->r_dw};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        if (p[i])
            dnnl_primitive_destroy(p[i]);
    fwd_clear(&s->fwd[0]);
    fwd_clear(&s->fwd[1]);
    free(s);
}

vgg_status vgg_dnnl_train_open(void **state)
{
    *state = NULL;
    vgg_status st = VGG_STATUS_OK;
    bwd_state *t = calloc(1, sizeof *t);
    if (!t)
        return vgg_fail(VGG_STATUS_NOMEM, "cpu: out of memory");
    if (pthread_mutex_init(&t->lock, NULL) != 0) {
        free(t);
        return vgg_fail(VGG_STATUS_NOMEM, "cpu: cannot make a mutex");
    }
    CHECK(dnnl_engine_create(&t->eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&t->strm, t->eng, dnnl_stream_default_flags));
    *state = t;
    return VGG_STATUS_OK;
done:
    vgg_dnnl_train_close(t);
    return st;
}

void vgg_dnnl_train_close(void *state)
{
    bwd_state *t = state;
    if (!t)
        return;
    for (int i = 0; i < t->n_shapes; i++)
        shape_free(t->shapes[i]);
    for (int i = 0; i < N_BUF; i++)
        free(t->buf[i]);
    if (t->strm)
        dnnl_stream_destroy(t->strm);
    if (t->eng)
        dnnl_engine_destroy(t->eng);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* ---- making a shape's primitives ---- */

static void md_4d(dnnl_memory_desc_t *md, int a, int b, int c, int d, dnnl_format_tag_t tag)
{
    dnnl_dims_t dims = {a, b, c, d};
    dnnl_memory_desc_init_by_tag(md, 4, dims, dnnl_f32, tag);
}

/* A reorder from -> to, or NULL where the two are the same layout. */
static vgg_status reorder_for(const bwd_state *t, const dnnl_memory_desc_t *from,
                              const dnnl_memory_desc_t *to, dnnl_primitive_t *out)
{
    vgg_status st = VGG_STATUS_OK;
    dnnl_primitive_desc_t pd = NULL;
    *out = NULL;
    if (dnnl_memory_desc_equal(from, to))
        return VGG_STATUS_OK;
    CHECK(dnnl_reorder_primitive_desc_create(&pd, from, t->eng, to, t->eng, NULL));
    CHECK(dnnl_primitive_create(out, pd));
done:
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    return st;
}

/* The primitives of shape s (its sizes set).  A shape without a direct
 * implementation is marked unsupported (the caller falls back). */
static vgg_status shape_build(const bwd_state *t, bwd_shape *s)
{
    vgg_status st = VGG_STATUS_OK;
    const int oh = s->h + 2 * s->pad - s->k + 1, ow = s->w + 2 * s->pad - s->k + 1;
    dnnl_memory_desc_t src, wei, bias, dst;
    md_4d(&src, s->n, s->cin, s->h, s->w, dnnl_format_tag_any);
    md_4d(&wei, s->cout, s->cin, s->k, s->k, dnnl_format_tag_any);
    md_4d(&dst, s->n, s->cout, oh, ow, dnnl_format_tag_any);
    dnnl_dims_t bd = {s->cout};
    dnnl_memory_desc_init_by_tag(&bias, 1, bd, dnnl_f32, dnnl_x);
    md_4d(&s->p_x, s->n, s->cin, s->h, s->w, dnnl_nchw);
    md_4d(&s->p_w, s->cout, s->cin, s->k, s->k, dnnl_oihw);
    md_4d(&s->p_dz, s->n, s->cout, oh, ow, dnnl_nchw);
    s->p_b = bias;
    dnnl_dims_t strides = {1, 1}, pad = {s->pad, s->pad};
    dnnl_primitive_desc_t fwd = NULL, pw = NULL, pdd = NULL;
    dnnl_convolution_desc_t fd, wd, dd;
    if (dnnl_convolution_forward_desc_init(&fd, dnnl_forward_training, dnnl_convolution_direct,
                                           &src, &wei, &bias, &dst, strides, pad,
                                           pad) != dnnl_success ||
        dnnl_primitive_desc_create(&fwd, &fd, NULL, t->eng, NULL) != dnnl_success ||
        dnnl_convolution_backward_weights_desc_init(&wd, dnnl_convolution_direct, &src, &wei,
                                                    &bias, &dst, strides, pad,
                                                    pad) != dnnl_success ||
        dnnl_primitive_desc_create(&pw, &wd, NULL, t->eng, fwd) != dnnl_success ||
        dnnl_convolution_backward_data_desc_init(&dd, dnnl_convolution_direct, &src, &wei, &dst,
                                                 strides, pad, pad) != dnnl_success ||
        dnnl_primitive_desc_create(&pdd, &dd, NULL, t->eng, fwd) != dnnl_success) {
        s->unsupported = true;
        goto done;
    }
    s->m_x = *pd_md(pw, dnnl_query_src_md);
    s->m_dzw = *pd_md(pw, dnnl_query_diff_dst_md);
    s->m_dw = *pd_md(pw, dnnl_query_diff_weights_md);
    s->m_dzd = *pd_md(pdd, dnnl_query_diff_dst_md);
    s->m_w = *pd_md(pdd, dnnl_query_weights_md);
    s->m_dx = *pd_md(pdd, dnnl_query_diff_src_md);
    CHECK(dnnl_primitive_create(&s->bwd_w, pw));
    CHECK(dnnl_primitive_create(&s->bwd_d, pdd));
    st = reorder_for(t, &s->p_x, &s->m_x, &s->r_x);
    if (st == VGG_STATUS_OK)
        st = reorder_for(t, &s->p_dz, &s->m_dzw, &s->r_dzw);
    if (st == VGG_STATUS_OK)
        st = reorder_for(t, &s->p_dz, &s->m_dzd, &s->r_dzd);
    if (st == VGG_STATUS_OK)
        st = reorder_for(t, &s->p_w, &s->m_w, &s->r_w);
    if (st == VGG_STATUS_OK)
        st = reorder_for(t, &s->m_dx, &s->p_x, &s->r_dx);
    if (st == VGG_STATUS_OK)
        st = reorder_for(t, &s->m_dw, &s->p_w, &s->r_dw);
done:
    if (fwd)
        dnnl_primitive_desc_destroy(fwd);
    if (pw)
        dnnl_primitive_desc_destroy(pw);
    if (pdd)
        dnnl_primitive_desc_destroy(pdd);
    return st;
}

static void fwd_clear(fwd_prim *f)
{
    dnnl_primitive_t p[] = {f->conv, f->r_x, f->r_w, f->r_y};
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++)
        if (p[i])
            dnnl_primitive_destroy(p[i]);
    bool unsupported = f->unsupported;
    *f = (fwd_prim){.made = unsupported, .unsupported = unsupported};
}

/* The forward of shape s with the ReLU fused or not, made on first use;
 * without a direct implementation it is marked unsupported. */
static vgg_status fwd_build(const bwd_state *t, bwd_shape *s, bool relu)
{
    fwd_prim *f = &s->fwd[relu];
    if (f->made)
        return VGG_STATUS_OK;
    vgg_status st = VGG_STATUS_OK;
    const int oh = s->h + 2 * s->pad - s->k + 1, ow = s->w + 2 * s->pad - s->k + 1;
    dnnl_memory_desc_t src, wei, dst;
    md_4d(&src, s->n, s->cin, s->h, s->w, dnnl_format_tag_any);
    md_4d(&wei, s->cout, s->cin, s->k, s->k, dnnl_format_tag_any);
    md_4d(&dst, s->n, s->cout, oh, ow, dnnl_format_tag_any);
    dnnl_dims_t strides = {1, 1}, pad = {s->pad, s->pad};
    dnnl_primitive_attr_t attr = NULL;
    dnnl_post_ops_t po = NULL;
    dnnl_primitive_desc_t pd = NULL;
    dnnl_convolution_desc_t cd;
    CHECK(dnnl_primitive_attr_create(&attr));
    if (relu) {
        CHECK(dnnl_post_ops_create(&po));
        CHECK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0.0f, 0.0f));
        CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
    }
    if (dnnl_convolution_forward_desc_init(&cd, dnnl_forward_training, dnnl_convolution_direct,
                                           &src, &wei, &s->p_b, &dst, strides, pad,
                                           pad) != dnnl_success ||
        dnnl_primitive_desc_create(&pd, &cd, attr, t->eng, NULL) != dnnl_success) {
        f->unsupported = true;
        f->made = true;
        goto done;
    }
    f->m_x = *pd_md(pd, dnnl_query_src_md);
    f->m_w = *pd_md(pd, dnnl_query_weights_md);
    f->m_y = *pd_md(pd, dnnl_query_dst_md);
    CHECK(dnnl_primitive_create(&f->conv, pd));
    st = reorder_for(t, &s->p_x, &f->m_x, &f->r_x);
    if (st == VGG_STATUS_OK)
        st = reorder_for(t, &s->p_w, &f->m_w, &f->r_w);
    if (st == VGG_STATUS_OK)
        st = reorder_for(t, &f->m_y, &s->p_dz, &f->r_y);   /* y is plain as dy is */
    f->made = st == VGG_STATUS_OK;
done:
    if (!f->made)
        fwd_clear(f);
    if (pd)
        dnnl_primitive_desc_destroy(pd);
    if (po)
        dnnl_post_ops_destroy(po);
    if (attr)
        dnnl_primitive_attr_destroy(attr);
    return st;
}

/* The cached shape of d, made on first use. */
static vgg_status shape_get(bwd_state *t, const vgg_conv_desc *d, bwd_shape **out)
{
    *out = NULL;
    for (int i = 0; i < t->n_shapes; i++) {
        bwd_shape *s = t->shapes[i];
        if (s->n == d->n && s->cin == d->cin && s->h == d->h && s->w == d->w &&
            s->cout == d->cout && s->k == d->k && s->pad == d->pad) {
            s->last_use = ++t->clock;
            *out = s;
            return VGG_STATUS_OK;
        }
    }
    if (t->n_shapes == MAX_SHAPES) {
        int old = 0;
        for (int i = 1; i < t->n_shapes; i++)
            if (t->shapes[i]->last_use < t->shapes[old]->last_use)
                old = i;
        shape_free(t->shapes[old]);
        t->shapes[old] = t->shapes[--t->n_shapes];
    }
    bwd_shape *s = calloc(1, sizeof *s);
    if (!s)
        return vgg_fail(VGG_STATUS_NOMEM, "conv2d_backward: out of memory");
    *s = (bwd_shape){.n = d->n, .cin = d->cin, .h = d->h, .w = d->w, .cout = d->cout,
                     .k = d->k, .pad = d->pad, .last_use = ++t->clock};
    vgg_status st = shape_build(t, s);
    if (st != VGG_STATUS_OK) {
        shape_free(s);
        return st;
    }
    t->shapes[t->n_shapes++] = s;
    *out = s;
    return VGG_STATUS_OK;
}

/* ---- running ---- */

/* Buffer i with room for bytes (grown, contents lost). */
static vgg_status buf_get(bwd_state *t, int i, size_t bytes, void **out)
{
    if (t->cap[i] < bytes) {
        free(t->buf[i]);
        size_t rounded = (bytes + 4095) / 4096 * 4096;
        t->buf[i] = aligned_alloc(4096, rounded);
        t->cap[i] = t->buf[i] ? rounded : 0;
        if (!t->buf[i])
            return vgg_fail(VGG_STATUS_NOMEM, "conv2d_backward: out of memory for %zu bytes",
                            bytes);
    }
    *out = t->buf[i];
    return VGG_STATUS_OK;
}

/* Run reorder r (NULL: nothing to do) from (mfrom, from) to (mto, to). */
static vgg_status reorder_run(bwd_state *t, dnnl_primitive_t r, const dnnl_memory_desc_t *mfrom,
                              const void *from, const dnnl_memory_desc_t *mto, void *to)
{
    vgg_status st = VGG_STATUS_OK;
    dnnl_memory_t a = NULL, b = NULL;
    if (!r)
        return VGG_STATUS_OK;
    CHECK(dnnl_memory_create(&a, mfrom, t->eng, (void *)from));
    CHECK(dnnl_memory_create(&b, mto, t->eng, to));
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, a}, {DNNL_ARG_TO, b}};
    CHECK(dnnl_primitive_execute(r, t->strm, 2, args));
done:
    if (a)
        dnnl_memory_destroy(a);
    if (b)
        dnnl_memory_destroy(b);
    return st;
}

/* A tensor in layout m: the plain one itself where r is NULL, else reordered
 * into buffer slot. */
static vgg_status staged(bwd_state *t, dnnl_primitive_t r, const dnnl_memory_desc_t *plain,
                         const void *p, const dnnl_memory_desc_t *m, int slot, void **out)
{
    if (!r) {
        *out = (void *)p;
        return VGG_STATUS_OK;
    }
    vgg_status st = buf_get(t, slot, dnnl_memory_desc_get_size(m), out);
    return st != VGG_STATUS_OK ? st : reorder_run(t, r, plain, p, m, *out);
}

static vgg_status exec(bwd_state *t, dnnl_primitive_t p, int n, const int *kinds,
                       const dnnl_memory_desc_t *const *mds, void *const *ptrs)
{
    vgg_status st = VGG_STATUS_OK;
    dnnl_memory_t m[4] = {NULL, NULL, NULL, NULL};
    dnnl_exec_arg_t args[4] = { { 0 } };
    for (int i = 0; i < n; i++) {
        CHECK(dnnl_memory_create(&m[i], mds[i], t->eng, ptrs[i]));
        args[i] = (dnnl_exec_arg_t){kinds[i], m[i]};
    }
    CHECK(dnnl_primitive_execute(p, t->strm, n, args));
done:
    for (int i = 0; i < n; i++)
        if (m[i])
            dnnl_memory_destroy(m[i]);
    return st;
}

static vgg_status run(bwd_state *t, const bwd_shape *s, bool relu, const float *x,
                      const float *weight, const float *y, const float *dy, float *dx,
                      float *dweight, float *dbias)
{
    vgg_status st = VGG_STATUS_OK;
    const size_t ny = dnnl_memory_desc_get_size(&s->p_dz) / sizeof(float);
    const size_t nw = dnnl_memory_desc_get_size(&s->p_w) / sizeof(float);
    float *dz = NULL, *dwp = NULL, *db = NULL;
    void *xs = NULL, *dzw = NULL, *dws = NULL, *dzd = NULL, *ws = NULL, *dxs = NULL;
    if ((st = buf_get(t, BUF_DZ, ny * sizeof *dz, (void **)&dz)) != VGG_STATUS_OK ||
        (st = buf_get(t, BUF_DWP, nw * sizeof *dwp, (void **)&dwp)) != VGG_STATUS_OK ||
        (st = buf_get(t, BUF_DB, (size_t)s->cout * sizeof *db, (void **)&db)) != VGG_STATUS_OK)
        return st;
    /* dz = dy through the ReLU (y > 0) */
    const long long ny_ = (long long)ny;
#pragma omp parallel for schedule(static)
    for (long long i = 0; i < ny_; i++)
        dz[i] = (!relu || y[i] > 0.0f) ? dy[i] : 0.0f;

    /* dweight, dbias (written by oneDNN into dwp or its own layout, and db) */
    if ((st = staged(t, s->r_x, &s->p_x, x, &s->m_x, BUF_X, &xs)) != VGG_STATUS_OK ||
        (st = staged(t, s->r_dzw, &s->p_dz, dz, &s->m_dzw, BUF_DZW, &dzw)) != VGG_STATUS_OK)
        return st;
    dws = dwp;
    if (s->r_dw && (st = buf_get(t, BUF_DW, dnnl_memory_desc_get_size(&s->m_dw), &dws)) !=
                       VGG_STATUS_OK)
        return st;
    {
        const int kinds[] = {DNNL_ARG_SRC, DNNL_ARG_DIFF_DST, DNNL_ARG_DIFF_WEIGHTS,
                             DNNL_ARG_DIFF_BIAS};
        const dnnl_memory_desc_t *mds[] = {&s->m_x, &s->m_dzw, &s->m_dw, &s->p_b};
        void *const ptrs[] = {xs, dzw, dws, db};
        if ((st = exec(t, s->bwd_w, 4, kinds, mds, ptrs)) != VGG_STATUS_OK)
            return st;
    }
    if ((st = reorder_run(t, s->r_dw, &s->m_dw, dws, &s->p_w, dwp)) != VGG_STATUS_OK)
        return st;

    /* dx (written) */
    if (dx) {
        /* dz in the data primitive's layout: the weights' copy where the same */
        if (s->r_dzd && dnnl_memory_desc_equal(&s->m_dzd, &s->m_dzw))
            dzd = dzw;
        else if ((st = staged(t, s->r_dzd, &s->p_dz, dz, &s->m_dzd, BUF_DZD, &dzd)) !=
                 VGG_STATUS_OK)
            return st;
        if ((st = staged(t, s->r_w, &s->p_w, weight, &s->m_w, BUF_W, &ws)) != VGG_STATUS_OK)
            return st;
        dxs = dx;
        if (s->r_dx &&
            (st = buf_get(t, BUF_DX, dnnl_memory_desc_get_size(&s->m_dx), &dxs)) != VGG_STATUS_OK)
            return st;
        const int kinds[] = {DNNL_ARG_DIFF_DST, DNNL_ARG_WEIGHTS, DNNL_ARG_DIFF_SRC};
        const dnnl_memory_desc_t *mds[] = {&s->m_dzd, &s->m_w, &s->m_dx};
        void *const ptrs[] = {dzd, ws, dxs};
        if ((st = exec(t, s->bwd_d, 3, kinds, mds, ptrs)) != VGG_STATUS_OK ||
            (st = reorder_run(t, s->r_dx, &s->m_dx, dxs, &s->p_x, dx)) != VGG_STATUS_OK)
            return st;
    }
    if (dnnl_stream_wait(t->strm) != dnnl_success)
        return vgg_fail(VGG_STATUS_DEVICE, "oneDNN: dnnl_stream_wait failed in conv2d_backward");

    /* the contract: accumulated into dweight and dbias */
    const long long nw_ = (long long)nw;
#pragma omp parallel for schedule(static)
    for (long long i = 0; i < nw_; i++)
        dweight[i] += dwp[i];
    for (int o = 0; o < s->cout; o++)
        dbias[o] += db[o];
    return VGG_STATUS_OK;
}

/* The forward of shape s: x and the weights into f's layouts, y out of it. */
static vgg_status fwd_run(bwd_state *t, const bwd_shape *s, const fwd_prim *f, const float *x,
                          const float *weight, const float *bias, float *y)
{
    vgg_status st = VGG_STATUS_OK;
    void *xs = NULL, *ws = NULL, *ys = y;
    if ((st = staged(t, f->r_x, &s->p_x, x, &f->m_x, BUF_X, &xs)) != VGG_STATUS_OK ||
        (st = staged(t, f->r_w, &s->p_w, weight, &f->m_w, BUF_W, &ws)) != VGG_STATUS_OK)
        return st;
    if (f->r_y &&
        (st = buf_get(t, BUF_DX, dnnl_memory_desc_get_size(&f->m_y), &ys)) != VGG_STATUS_OK)
        return st;
    const int kinds[] = {DNNL_ARG_SRC, DNNL_ARG_WEIGHTS, DNNL_ARG_BIAS, DNNL_ARG_DST};
    const dnnl_memory_desc_t *mds[] = {&f->m_x, &f->m_w, &s->p_b, &f->m_y};
    void *const ptrs[] = {xs, ws, (void *)bias, ys};
    if ((st = exec(t, f->conv, 4, kinds, mds, ptrs)) != VGG_STATUS_OK ||
        (st = reorder_run(t, f->r_y, &f->m_y, ys, &s->p_dz, y)) != VGG_STATUS_OK)
        return st;
    if (dnnl_stream_wait(t->strm) != dnnl_success)
        return vgg_fail(VGG_STATUS_DEVICE, "oneDNN: dnnl_stream_wait failed in conv2d");
    return VGG_STATUS_OK;
}

/* d describes a convolution (bad ones go to the reference, which says why) */
static bool usable(const vgg_conv_desc *d)
{
    return d->n > 0 && d->cin > 0 && d->cout > 0 && d->k > 0 && d->pad >= 0 &&
           vgg_conv_out_h(d) > 0 && vgg_conv_out_w(d) > 0;
}

/* The state taken for a call (the caller unlocks) and d's shape. */
static vgg_status enter(bwd_state *t, const vgg_backend *be, const vgg_conv_desc *d,
                        bwd_shape **s)
{
    pthread_mutex_lock(&t->lock);
    omp_set_num_threads(be->threads);
    return shape_get(t, d, s);
}

vgg_status vgg_dnnl_conv2d_backward(vgg_backend *be, void *state, const vgg_conv_desc *d,
                                    const float *x, const float *weight, const float *y,
                                    const float *dy, float *dx, float *dweight, float *dbias,
                                    bool *done)
{
    bwd_state *t = state;
    *done = false;
    if (!t || !usable(d))
        return VGG_STATUS_OK;   /* the reference, with its checks */
    bwd_shape *s = NULL;
    vgg_status st = enter(t, be, d, &s);
    if (st == VGG_STATUS_OK && !s->unsupported) {
        st = run(t, s, d->relu, x, weight, y, dy, dx, dweight, dbias);
        *done = st == VGG_STATUS_OK;
    }
    pthread_mutex_unlock(&t->lock);
    return st;
}

/* y = conv(x) + bias (ReLU'd if d->relu), the forward of a training step. */
vgg_status vgg_dnnl_conv2d_forward(vgg_backend *be, void *state, const vgg_conv_desc *d,
                                   const float *x, const float *weight, const float *bias,
                                   float *y, bool *done)
{
    bwd_state *t = state;
    *done = false;
    if (!t || !usable(d))
        return VGG_STATUS_OK;   /* the reference, with its checks */
    bwd_shape *s = NULL;
    vgg_status st = enter(t, be, d, &s);
    if (st == VGG_STATUS_OK)
        st = fwd_build(t, s, d->relu);
    if (st == VGG_STATUS_OK && !s->fwd[d->relu].unsupported) {
        st = fwd_run(t, s, &s->fwd[d->relu], x, weight, bias, y);
        *done = st == VGG_STATUS_OK;
    }
    pthread_mutex_unlock(&t->lock);
    return st;
}
