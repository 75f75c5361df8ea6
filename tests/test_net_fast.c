/* The CPU backend's oneDNN forward chain ("cpu") against the plain
 * reference ("cpu-ref"), the way every backend is checked: the same cases
 * through both, compared by relative error.
 *
 *  - one operation at a time (one-layer chains through the table's
 *    forward, against the reference's layer operations): 3x3 convolutions
 *    by Winograd and by direct computation, the first layer (3 channels),
 *    fc6-like 7x7 and fc7-like 1x1 convolutions, max-pooling with floor
 *    and ceil rounding on odd sizes, LRN, batches of 1 and 3; a 3x3
 *    convolution then a pooling as one chain (the pooling taken into our
 *    Winograd on AVX2);
 *  - whole chains: VGG-16 and VGG-19 with random full-size weights,
 *    dense descriptors (fc7 map averaged, image + flip) at Q=256 and 512
 *    of two photographs (640x427, the ones Debian's python3-sklearn
 *    ships: sklearn.datasets.load_sample_images, CC BY 2.0), within 1e-4
 *    relative L2;
 *  - the weights the chain reordered are renewed after the net's
 *    parameters change (vgg_net_params_changed, an SGD step).
 *
 * The errors measured are printed (net/README.md quotes them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "cpu.h"
#include "vgg/extract.h"
#include "vgg/net.h"

static uint64_t rng = 0x2545F4914F6CDD1Dull;   /* each case that draws seeds it */

static float uniform(void)   /* [-1, 1) */
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (float)(rng >> 40) / 16777216.0f * 2.0f - 1.0f;
}

static float *random_floats(size_t n, float scale, float offset)
{
    float *p = malloc(n * sizeof *p);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = offset + scale * uniform();
    return p;
}

/* ||a - b|| / ||b|| */
static double rel_l2(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

/* max |a - b| / max |b| */
static double rel_max(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - b[i]);
        if (d > num || isnan(d))
            num = d;
        if (fabs(b[i]) > den)
            den = fabs(b[i]);
    }
    return den > 0 ? num / den : num;
}

static vgg_backend *fast, *ref;

static int setup(void **state)
{
    (void)state;
    if (vgg_backend_open("cpu", 2, &fast) != VGG_STATUS_OK ||
        vgg_backend_open("cpu-ref", 2, &ref) != VGG_STATUS_OK)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    vgg_cpu_set_conv_algo(VGG_CONV_AUTO);
    vgg_backend_close(fast);
    vgg_backend_close(ref);
    return 0;
}

static void names_and_tables(void **state)
{
    (void)state;
    assert_string_equal(vgg_backend_name(fast), "cpu");
    assert_string_equal(vgg_backend_name(ref), "cpu-ref");
    assert_non_null(fast->ops->forward);
    assert_null(ref->ops->forward);
    assert_non_null(fast->train);
    vgg_backend *b = NULL;
    assert_int_equal(vgg_backend_open("cpu-fast", 1, &b), VGG_STATUS_INVALID);
    assert_null(b);
}

/* ---- one operation ---- */

typedef struct op_case {
    const char *what;
    vgg_fwd_layer L;
    int n, h, w;
    vgg_conv_algo algo;
    double tol;        /* on rel_max */
    int fc;            /* fully connected: -1 the rule, else a vgg_fc_algo */
} op_case;

static int side(const vgg_fwd_layer *L, int s)
{
    if (L->kind == VGG_LAYER_POOL)
        return vgg_pool_out(s, L->round);
    if (L->kind == VGG_LAYER_LRN)
        return s;
    return s + 2 * L->pad - L->k + 1;
}

static double run_op(const op_case *c)
{
    vgg_fwd_layer L = c->L;
    const int oh = side(&L, c->h), ow = side(&L, c->w);
    const size_t nin = (size_t)c->n * L.cin * c->h * c->w, nout = (size_t)c->n * L.cout * oh * ow;
    /* activations as after a ReLU for pooling/LRN, centred for convs */
    float *x = random_floats(nin, 1.0f, L.kind == VGG_LAYER_CONV || L.kind == VGG_LAYER_FC
                                            ? 0.0f : 1.0f);
    float *wt = NULL, *b = NULL;
    if (L.kind == VGG_LAYER_CONV || L.kind == VGG_LAYER_FC) {
        wt = random_floats((size_t)L.cout * L.cin * L.k * L.k,
                           (float)sqrt(6.0 / (L.cin * L.k * L.k)), 0.0f);
        b = random_floats((size_t)L.cout, 0.1f, 0.0f);
        L.weight = wt;
        L.bias = b;
    }
    float *got = malloc(nout * sizeof *got), *want = malloc(nout * sizeof *want);
    assert_non_null(got);
    assert_non_null(want);
    switch (L.kind) {
    case VGG_LAYER_CONV:
    case VGG_LAYER_FC: {
        vgg_conv_desc d = {c->n, L.cin, c->h, c->w, L.cout, L.k, L.pad, L.relu, false};
        assert_int_equal(ref->ops->conv2d(ref, &d, x, wt, b, want), VGG_STATUS_OK);
        break;
    }
    case VGG_LAYER_POOL:
        assert_int_equal(ref->ops->maxpool(ref, c->n, L.cin, c->h, c->w, L.round, x, want, NULL),
                         VGG_STATUS_OK);
        break;
    case VGG_LAYER_LRN:
        assert_int_equal(ref->ops->lrn(ref, c->n, L.cin, c->h, c->w, &L.lrn, x, want),
                         VGG_STATUS_OK);
        break;
    }
    vgg_cpu_set_conv_algo(c->algo);
    vgg_cpu_set_fc_algo(c->fc);
    void *cache = NULL;
    vgg_status st = fast->ops->forward(fast, &cache, 1, &L, 1, c->n, c->h, c->w, x, got, NULL);
    /* a second call reuses the plan and the reordered weights */
    if (st == VGG_STATUS_OK)
        st = fast->ops->forward(fast, &cache, 1, &L, 1, c->n, c->h, c->w, x, got, NULL);
    fast->ops->forward_release(fast, cache);
    vgg_cpu_set_conv_algo(VGG_CONV_AUTO);
    vgg_cpu_set_fc_algo(-1);
    assert_int_equal(st, VGG_STATUS_OK);
    double e = rel_max(got, want, nout);
    printf("  %-40s n %d %3dx%-3d  max rel error %.2e  rel L2 %.2e\n", c->what, c->n, c->h, c->w,
           e, rel_l2(got, want, nout));
    free(x);
    free(wt);
    free(b);
    free(got);
    free(want);
    return e;
}

static vgg_fwd_layer conv(int cin, int cout, int k, int pad, bool relu)
{
    return (vgg_fwd_layer){.kind = k == 3 ? VGG_LAYER_CONV : VGG_LAYER_FC, .cin = cin,
                           .cout = cout, .k = k, .pad = pad, .relu = relu};
}

static void operations_agree_with_reference(void **state)
{
    (void)state;
    rng = 0x2545F4914F6CDD1Dull;
    vgg_fwd_layer pool_floor = {.kind = VGG_LAYER_POOL, .cin = 32, .cout = 32,
                                .round = VGG_POOL_FLOOR};
    vgg_fwd_layer pool_ceil = pool_floor;
    pool_ceil.round = VGG_POOL_CEIL;
    vgg_fwd_layer lrn = {.kind = VGG_LAYER_LRN, .cin = 64, .cout = 64,
                         .lrn = {5, 1e-4f, 0.75f, 2.0f}};
    vgg_fwd_layer lrn_strong = lrn;   /* a large alpha, so that the sum matters */
    lrn_strong.lrn.alpha = 2.0f;
    const op_case cases[] = {
        {"conv 3x3 64->64 Winograd", conv(64, 64, 3, 1, true), 2, 37, 29,
         VGG_CONV_ONEDNN_WINOGRAD, 1e-4, -1},
        {"conv 3x3 128->256 Winograd", conv(128, 256, 3, 1, true), 1, 20, 27,
         VGG_CONV_ONEDNN_WINOGRAD, 1e-4, -1},
        {"conv 3x3 512->512 Winograd, no ReLU", conv(512, 512, 3, 1, false), 3, 9, 13,
         VGG_CONV_ONEDNN_WINOGRAD, 1e-4, -1},
        {"conv 3x3 64->64 direct", conv(64, 64, 3, 1, true), 2, 37, 29, VGG_CONV_ONEDNN_DIRECT,
         1e-5, -1},
        {"conv 3x3 512->512 direct", conv(512, 512, 3, 1, true), 1, 9, 13, VGG_CONV_ONEDNN_DIRECT,
         1e-5, -1},
        {"conv1_1 3x3 3->64", conv(3, 64, 3, 1, true), 3, 31, 23, VGG_CONV_AUTO, 1e-5, -1},
        {"conv 3x3 odd channels 24->40", conv(24, 40, 3, 1, true), 1, 11, 12, VGG_CONV_AUTO, 1e-5,
         -1},
        {"fc6-like 7x7 256->512", conv(256, 512, 7, 0, true), 2, 9, 11, VGG_CONV_AUTO, 1e-5, -1},
        {"fc6-like 7x7 256->512, oneDNN", conv(256, 512, 7, 0, true), 2, 9, 11, VGG_CONV_AUTO,
         1e-5, VGG_FC_ONEDNN},
        {"fc7-like 1x1 1024->1024", conv(1024, 1024, 1, 0, true), 2, 3, 4, VGG_CONV_AUTO, 1e-5,
         -1},
        {"fc7-like 1x1 at 80 positions (panel)", conv(1024, 1024, 1, 0, true), 1, 8, 10,
         VGG_CONV_AUTO, 1e-5, -1},
        {"fc7-like at 80 positions, oneDNN", conv(1024, 1024, 1, 0, true), 1, 8, 10,
         VGG_CONV_AUTO, 1e-5, VGG_FC_ONEDNN},
        {"fc6-like 7x7 256->512, panel", conv(256, 512, 7, 0, true), 2, 9, 11,
         VGG_CONV_AUTO, 1e-5, VGG_FC_PANEL},
        /* Winograd F(2x2, 7x7): forced on a few positions with an odd edge,
         * and by the rule at 7x8 positions an image (fc.c); its 8 points
         * round more than the direct sum (fc.h) */
        {"fc6-like 7x7 256->512, wino7", conv(256, 512, 7, 0, true), 2, 9, 11, VGG_CONV_AUTO,
         2e-5, VGG_FC_WINO7},
        {"fc6-like 7x7 60->37, wino7, channels and outputs not of 8", conv(60, 37, 7, 0, true),
         3, 10, 8, VGG_CONV_AUTO, 2e-5, VGG_FC_WINO7},
        {"fc6-like 7x7 256->512 at 56 positions (wino7)", conv(256, 512, 7, 0, true), 1, 13, 14,
         VGG_CONV_AUTO, 2e-5, -1},
        {"fc7-like at 80 positions, ours", conv(1024, 1024, 1, 0, true), 1, 8, 10, VGG_CONV_AUTO,
         1e-5, VGG_FC_OWN},
        {"fc 1x1 1027->61 (K not of 8)", conv(1027, 61, 1, 0, true), 3, 2, 3, VGG_CONV_AUTO,
         1e-5, -1},
        {"fc8-like 1x1 no ReLU", conv(256, 100, 1, 0, false), 1, 2, 5, VGG_CONV_AUTO, 1e-5, -1},
        {"maxpool floor, odd sizes", pool_floor, 2, 17, 23, VGG_CONV_AUTO, 0.0, -1},
        {"maxpool ceil, odd sizes", pool_ceil, 2, 17, 23, VGG_CONV_AUTO, 0.0, -1},
        {"maxpool ceil, even sizes", pool_ceil, 1, 16, 8, VGG_CONV_AUTO, 0.0, -1},
        {"maxpool floor 3x3 input", pool_floor, 1, 3, 3, VGG_CONV_AUTO, 0.0, -1},
        {"LRN 5, alpha 1e-4", lrn, 2, 13, 15, VGG_CONV_AUTO, 1e-5, -1},
        {"LRN 5, alpha 2", lrn_strong, 1, 13, 15, VGG_CONV_AUTO, 1e-5, -1},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        double e = run_op(&cases[i]);
        if (!(e <= cases[i].tol))
            fail_msg("%s: max relative error %.3e above %.1e", cases[i].what, e, cases[i].tol);
    }
}

/* A 3x3 convolution with ReLU then a max-pooling, as one chain (on AVX2
 * the pooling is taken into our Winograd's output): against the
 * reference's convolution then its pooling, floor and ceil, odd sizes,
 * F(4x4) and F(2x2), the map pooled down to 1x1. */
static void conv_then_pool_agrees(void **state)
{
    (void)state;
    rng = 0x9E3779B97F4A7C15ull;
    static const struct {
        int n, cin, cout, h, w;
        vgg_pool_round round;
        vgg_conv_algo algo;
    } cases[] = {
        {2, 24, 40, 17, 23, VGG_POOL_FLOOR, VGG_CONV_AUTO},
        {2, 24, 40, 17, 23, VGG_POOL_CEIL, VGG_CONV_AUTO},
        {1, 64, 64, 13, 10, VGG_POOL_CEIL, VGG_CONV_WINO2},
        {1, 16, 16, 3, 2, VGG_POOL_FLOOR, VGG_CONV_WINO4},
        {1, 16, 16, 1, 1, VGG_POOL_CEIL, VGG_CONV_AUTO},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const int n = cases[i].n, cin = cases[i].cin, cout = cases[i].cout, h = cases[i].h,
                  w = cases[i].w;
        vgg_fwd_layer L[2] = {conv(cin, cout, 3, 1, true),
                              {.kind = VGG_LAYER_POOL, .cin = cout, .cout = cout,
                               .round = cases[i].round}};
        const int oh = vgg_pool_out(h, cases[i].round), ow = vgg_pool_out(w, cases[i].round);
        const size_t nin = (size_t)n * cin * h * w, nmid = (size_t)n * cout * h * w,
                     nout = (size_t)n * cout * oh * ow;
        float *x = random_floats(nin, 1.0f, 0.0f);
        float *wt = random_floats((size_t)cout * cin * 9, (float)sqrt(6.0 / (cin * 9)), 0.0f);
        float *b = random_floats((size_t)cout, 0.1f, 0.0f);
        L[0].weight = wt;
        L[0].bias = b;
        float *mid = malloc(nmid * sizeof *mid), *want = malloc(nout * sizeof *want),
              *got = malloc(nout * sizeof *got);
        assert_non_null(mid);
        assert_non_null(want);
        assert_non_null(got);
        vgg_conv_desc d = {n, cin, h, w, cout, 3, 1, true, false};
        assert_int_equal(ref->ops->conv2d(ref, &d, x, wt, b, mid), VGG_STATUS_OK);
        assert_int_equal(ref->ops->maxpool(ref, n, cout, h, w, cases[i].round, mid, want, NULL),
                         VGG_STATUS_OK);
        vgg_cpu_set_conv_algo(cases[i].algo);
        void *cache = NULL;
        vgg_status st = fast->ops->forward(fast, &cache, 1, L, 2, n, h, w, x, got, NULL);
        fast->ops->forward_release(fast, cache);
        vgg_cpu_set_conv_algo(VGG_CONV_AUTO);
        assert_int_equal(st, VGG_STATUS_OK);
        const double e = rel_max(got, want, nout);
        printf("  conv %d->%d + pool %s %3dx%-3d (%s)  max rel error %.2e\n", cin, cout,
               cases[i].round == VGG_POOL_CEIL ? "ceil " : "floor", h, w,
               vgg_conv_algo_name(cases[i].algo), e);
        if (!(e <= 1e-4))
            fail_msg("conv + pool %zu: max relative error %.3e above 1e-4", i, e);
        free(x);
        free(wt);
        free(b);
        free(mid);
        free(want);
        free(got);
    }
}

static void too_small_input_is_refused(void **state)
{
    (void)state;
    vgg_fwd_layer L = conv(8, 8, 7, 0, true);
    float w[8 * 8 * 49] = {0}, b[8] = {0}, x[8 * 5 * 5] = {0}, y[8];
    L.weight = w;
    L.bias = b;
    void *cache = NULL;
    assert_int_equal(fast->ops->forward(fast, &cache, 0, &L, 1, 1, 5, 5, x, y, NULL),
                     VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "too small"));
    fast->ops->forward_release(fast, cache);
}

/* ---- whole nets ---- */

static void random_weights(vgg_net *net, uint64_t seed)
{
    rng = seed;
    for (int i = 0; i < vgg_net_param_count(net); i++) {
        vgg_param *p = vgg_net_param(net, i);
        double fan_in = p->ndim == 4 ? (double)(p->shape[1] * p->shape[2] * p->shape[3]) : 1.0;
        float scale = p->ndim == 4 ? (float)sqrt(6.0 / fan_in) : 0.05f;
        for (size_t j = 0; j < p->numel; j++)
            p->data[j] = p->ndim == 4 ? uniform() * scale : 0.01f + uniform() * scale;
    }
}

static void descriptors(vgg_net *net, const vgg_image *img, int q, float *out)
{
    vgg_extract_opts o;
    vgg_extract_opts_default(&o);
    o.scales[0] = q;
    o.l2 = false;
    vgg_extractor *ex = NULL;
    const char *name = "net";
    assert_int_equal(vgg_extractor_create(&net, &name, 1, &o, &ex), VGG_STATUS_OK);
    assert_int_equal(vgg_extractor_compute(ex, img, out), VGG_STATUS_OK);
    vgg_extractor_free(ex);
}

static void net_descriptors_agree(vgg_config_id config, uint64_t seed)
{
    vgg_arch a;
    vgg_arch_default(&a, config);
    vgg_net *nf = NULL, *nr = NULL;
    assert_int_equal(vgg_net_create(&a, fast, &nf), VGG_STATUS_OK);
    assert_int_equal(vgg_net_create(&a, ref, &nr), VGG_STATUS_OK);
    random_weights(nf, seed);
    random_weights(nr, seed);
    float *got = malloc(4096 * sizeof *got), *want = malloc(4096 * sizeof *want);
    const char *photos[2] = {VGG_PHOTOS "/china.jpg", VGG_PHOTOS "/flower.jpg"};
    const int qs[2] = {256, 512};
    for (int k = 0; k < 4; k++) {
        vgg_image *img = NULL;
        if (vgg_image_load(photos[k / 2], NULL, &img) != VGG_STATUS_OK)
            fail_msg("%s (python3-sklearn; sh pipelines/setup.sh --tests installs it)",
                     vgg_last_error());
        descriptors(nf, img, qs[k % 2], got);
        descriptors(nr, img, qs[k % 2], want);
        double e = rel_l2(got, want, 4096);
        printf("  %s dense fc7 descriptor, %s, Q=%d, image + flip: rel L2 %.2e, max rel %.2e\n",
               vgg_config_name(config), strrchr(photos[k / 2], '/') + 1, qs[k % 2], e,
               rel_max(got, want, 4096));
        if (!(e <= 1e-4))
            fail_msg("%s %s Q=%d: relative L2 error %.3e above 1e-4", vgg_config_name(config),
                     photos[k / 2], qs[k % 2], e);
        vgg_image_free(img);
    }
    free(got);
    free(want);
    vgg_net_free(nf);
    vgg_net_free(nr);
}

static void vgg16_descriptors_agree(void **state)
{
    (void)state;
    net_descriptors_agree(VGG_CONFIG_D, 16);
}

static void vgg19_descriptors_agree(void **state)
{
    (void)state;
    net_descriptors_agree(VGG_CONFIG_E, 19);
}

/* A small A-LRN net (LRN, ceil pooling, all layers to the scores) batched
 * 3 images at once; then the weights change and both paths follow. */
static void changed_weights_are_seen(void **state)
{
    (void)state;
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A_LRN);
    a.width = 0.25f;
    a.fc_dim = 64;
    a.num_classes = 10;
    a.input_size = 64;
    a.pool_round = VGG_POOL_CEIL;
    vgg_net *nf = NULL, *nr = NULL;
    assert_int_equal(vgg_net_create(&a, fast, &nf), VGG_STATUS_OK);
    assert_int_equal(vgg_net_create(&a, ref, &nr), VGG_STATUS_OK);
    random_weights(nf, 7);
    random_weights(nr, 7);
    const int n = 3, h = 71, w = 97;
    int oc, oh, ow;
    assert_int_equal(vgg_net_output_shape(nf, h, w, VGG_OUTPUT_SCORES, &oc, &oh, &ow),
                     VGG_STATUS_OK);
    const size_t nout = (size_t)n * oc * oh * ow;
    float *x = random_floats((size_t)n * 3 * h * w, 1.0f, 0.0f);
    float *got = malloc(nout * sizeof *got), *want = malloc(nout * sizeof *want);
    vgg_param *p = NULL, *q = NULL;
    for (int round = 0; round < 3; round++) {
        assert_int_equal(vgg_net_forward(nf, x, n, h, w, VGG_OUTPUT_SCORES, got), VGG_STATUS_OK);
        assert_int_equal(vgg_net_forward(nr, x, n, h, w, VGG_OUTPUT_SCORES, want),
                         VGG_STATUS_OK);
        double e = rel_l2(got, want, nout);
        printf("  A-LRN (width 1/4, ceil), batch 3, round %d: rel L2 %.2e\n", round, e);
        assert_true(e <= 1e-4);
        /* the batch's images differ: the first and last score maps too */
        assert_true(rel_l2(got, got + (n - 1) * nout / n, nout / n) > 1e-3);
        if (round == 0) {   /* through vgg_param: both nets change */
            random_weights(nf, 8);
            random_weights(nr, 8);
            p = vgg_net_find_param(nf, "features.0.weight");
            q = vgg_net_find_param(nr, "features.0.weight");
        } else {   /* an SGD step on the backend through pointers held since */
            float *g = random_floats(p->numel, 1.0f, 0.0f), *v = calloc(p->numel, sizeof *v);
            assert_int_equal(fast->train->sgd_update(fast, p->numel, 0.5f, 0.0f, 0.0f, p->data,
                                                     g, v), VGG_STATUS_OK);
            memset(v, 0, p->numel * sizeof *v);
            assert_int_equal(ref->train->sgd_update(ref, q->numel, 0.5f, 0.0f, 0.0f, q->data,
                                                    g, v), VGG_STATUS_OK);
            free(g);
            free(v);
        }
    }
    free(x);
    free(got);
    free(want);
    vgg_net_free(nf);
    vgg_net_free(nr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names_and_tables),
        cmocka_unit_test(operations_agree_with_reference),
        cmocka_unit_test(conv_then_pool_agrees),
        cmocka_unit_test(too_small_input_is_refused),
        cmocka_unit_test(changed_weights_are_seen),
        cmocka_unit_test(vgg16_descriptors_agree),
        cmocka_unit_test(vgg19_descriptors_agree),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
