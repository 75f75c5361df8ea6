/* The trainer over a whole net: one full training step against PyTorch
 * (tests/gen_train_fixtures.py), accumulation against the full batch,
 * determinism, checkpoints, and the initialisation schemes. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgg/net.h"
#include "vgg/train.h"

static vgg_backend *be;

static int setup(void **state)
{
    (void)state;
    return vgg_backend_open("cpu", 1, &be) == VGG_STATUS_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    vgg_backend_close(be);
    return 0;
}

/* the fixture's net: A-LRN, width 1/32, fc 16, 5 classes, input 64 */
static vgg_net *fixture_net(void)
{
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A_LRN);
    a.width = 1.0f / 32;
    a.fc_dim = 16;
    a.num_classes = 5;
    a.input_size = 64;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    return net;
}

static const vgg_st_tensor *need(const vgg_safetensors *st, const char *prefix, const char *name)
{
    char key[128];
    snprintf(key, sizeof key, "%s%s", prefix, name);
    const vgg_st_tensor *t = vgg_st_find(st, key);
    if (!t) {
        print_error("fixture has no %s\n", key);
        fail();
    }
    return t;
}

/* max |got - want| <= rel * max |want| */
static void assert_rel(const float *got, const float *want, size_t n, double rel, const char *what)
{
    double maxabs = 0, maxerr = 0;
    for (size_t i = 0; i < n; i++) {
        maxabs = fmax(maxabs, fabs(want[i]));
        maxerr = fmax(maxerr, fabs((double)got[i] - want[i]));
    }
    if (!(maxerr <= rel * maxabs)) {
        print_error("%s: max error %.3g, max |want| %.3g (relative %.3g > %.1g)\n", what, maxerr,
                    maxabs, maxerr / maxabs, rel);
        fail();
    }
}

/* Two SGD iterations of net from the fixture's start against PyTorch: the
 * loss and every gradient of the first, every tensor after each (the
 * running statistics of batch normalisation included). */
static void check_two_steps(vgg_net *net, const char *fixture)
{
    vgg_safetensors *st = NULL;
    assert_int_equal(vgg_st_open(fixture, &st), VGG_STATUS_OK);
    const int np = vgg_net_param_count(net);
    for (int i = 0; i < np; i++) {
        vgg_param *p = vgg_net_param(net, i);
        const vgg_st_tensor *t = need(st, "init.", p->name);
        assert_int_equal(t->nbytes, p->numel * sizeof(float));
        memcpy(p->data, t->data, t->nbytes);
    }
    assert_int_equal(vgg_net_params_changed(net), VGG_STATUS_OK);
    const vgg_st_tensor *x = need(st, "", "input"), *lab = need(st, "", "labels");
    const vgg_st_tensor *loss = need(st, "", "loss");
    const int n = (int)lab->shape[0];
    int32_t labels[8];
    for (int i = 0; i < n; i++)
        labels[i] = (int32_t)((const float *)lab->data)[i];

    vgg_train_opts o;
    vgg_train_opts_default(&o);
    o.weight_decay = 0.05f;
    o.dropout = 0.0f;
    o.micro_batch = 4;
    vgg_trainer *t = NULL;
    assert_int_equal(vgg_trainer_create(net, &o, &t), VGG_STATUS_OK);

    /* iteration 1: loss and every gradient */
    double sum = 0;
    int correct = 0;
    assert_int_equal(vgg_trainer_zero_grad(t), VGG_STATUS_OK);
    assert_int_equal(vgg_trainer_accumulate(t, x->data, labels, n, 0, n, &sum, &correct),
                     VGG_STATUS_OK);
    assert_float_equal(sum / n, ((const float *)loss->data)[0],
                       1e-4 * ((const float *)loss->data)[0]);
    for (int i = 0; i < np; i++) {
        vgg_param *p = vgg_net_param(net, i);
        if (p->running)
            continue;
        float *g = malloc(sizeof *g * p->numel);
        assert_int_equal(vgg_trainer_get_grad(t, i, g), VGG_STATUS_OK);
        char what[96];
        snprintf(what, sizeof what, "gradient of %s", p->name);
        const float *want = need(st, "grad.", p->name)->data;
        double wmax = 0, gmax = 0;
        for (size_t j = 0; j < p->numel; j++) {
            wmax = fmax(wmax, fabs(want[j]));
            gmax = fmax(gmax, fabs(g[j]));
        }
        if (wmax < 1e-9)   /* a conv bias before a batch normalisation: zero */
            assert_true(gmax < 1e-5);
        else
            assert_rel(g, want, p->numel, 1e-4, what);
        free(g);
    }
    assert_int_equal(vgg_trainer_apply(t, 0.05f), VGG_STATUS_OK);
    for (int i = 0; i < np; i++) {
        vgg_param *p = vgg_net_param(net, i);
        char what[96];
        snprintf(what, sizeof what, "%s after one step", p->name);
        assert_rel(p->data, need(st, "step1.", p->name)->data, p->numel, 1e-4, what);
    }
    /* iteration 2 uses the momentum of the first */
    float l2;
    assert_int_equal(vgg_trainer_step(t, x->data, labels, n, 0.05f, &l2, NULL), VGG_STATUS_OK);
    assert_float_equal(l2, ((const float *)loss->data)[1], 1e-4 * ((const float *)loss->data)[1]);
    for (int i = 0; i < np; i++) {
        vgg_param *p = vgg_net_param(net, i);
        char what[96];
        snprintf(what, sizeof what, "%s after two steps", p->name);
        assert_rel(p->data, need(st, "step2.", p->name)->data, p->numel, 1e-4, what);
    }
    assert_int_equal(vgg_trainer_iteration(t), 2);
    vgg_trainer_free(t);
    vgg_st_close(st);
}

static void one_step_matches_pytorch(void **state)
{
    (void)state;
    vgg_net *net = fixture_net();
    assert_int_equal(vgg_net_param_count(net), 22);   /* 8 conv + 3 fc, weight and bias each */
    check_two_steps(net, VGG_FIXTURES "/train/step_alrn.safetensors");
    vgg_net_free(net);
}

/* The same with batch normalisation (torchvision's vgg16_bn layout, batch
 * statistics in training, running statistics updated as PyTorch does). */
static void batch_norm_steps_match_pytorch(void **state)
{
    (void)state;
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_D);
    a.width = 1.0f / 16;
    a.fc_dim = 24;
    a.num_classes = 4;
    a.input_size = 32;
    a.batch_norm = true;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    assert_int_equal(vgg_net_param_count(net), 16 * 2 + 13 * 4);
    check_two_steps(net, VGG_FIXTURES "/train/step_dbn.safetensors");
    vgg_net_free(net);
}

/* ---- a small D-shaped net on random data ---- */

static vgg_net *small_d(uint64_t seed)
{
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_D);
    a.width = 1.0f / 16;
    a.fc_dim = 24;
    a.num_classes = 4;
    a.input_size = 32;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    assert_int_equal(vgg_train_init(net, VGG_INIT_HE, 0.01f, seed), VGG_STATUS_OK);
    return net;
}

static void random_batch(int n, float *x, int32_t *labels, uint64_t seed)
{
    for (int i = 0; i < n * 3 * 32 * 32; i++) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        x[i] = (float)((double)(seed >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
    for (int i = 0; i < n; i++)
        labels[i] = i % 4;
}

static void run_steps(vgg_net *net, int micro, int steps, const float *x, const int32_t *labels,
                      int n, float *losses)
{
    vgg_train_opts o;
    vgg_train_opts_default(&o);
    o.micro_batch = micro;
    o.seed = 9;
    vgg_trainer *t = NULL;
    assert_int_equal(vgg_trainer_create(net, &o, &t), VGG_STATUS_OK);
    for (int s = 0; s < steps; s++)
        assert_int_equal(vgg_trainer_step(t, x, labels, n, 0.01f, &losses[s], NULL),
                         VGG_STATUS_OK);
    vgg_trainer_free(t);
}

static void accumulation_equals_full_batch(void **state)
{
    (void)state;
    enum { N = 6 };
    float *x = malloc(sizeof *x * N * 3 * 32 * 32);
    int32_t labels[N];
    random_batch(N, x, labels, 3);
    vgg_net *full = small_d(5), *acc = small_d(5), *acc1 = small_d(5);
    float lf[3], la[3], l1[3];
    run_steps(full, N, 3, x, labels, N, lf);    /* one pass of 6 */
    run_steps(acc, 4, 3, x, labels, N, la);     /* 4 + 2, dropout on */
    run_steps(acc1, 1, 3, x, labels, N, l1);    /* 1 x 6 */
    for (int s = 0; s < 3; s++) {
        assert_float_equal(la[s], lf[s], 1e-5 * lf[s]);
        assert_float_equal(l1[s], lf[s], 1e-5 * lf[s]);
    }
    bool moved = false;
    vgg_net *ref = small_d(5);
    for (int i = 0; i < vgg_net_param_count(full); i++) {
        vgg_param *pf = vgg_net_param(full, i), *pa = vgg_net_param(acc, i);
        vgg_param *p1 = vgg_net_param(acc1, i), *p0 = vgg_net_param(ref, i);
        assert_rel(pa->data, pf->data, pf->numel, 1e-5, pf->name);
        assert_rel(p1->data, pf->data, pf->numel, 1e-5, pf->name);
        moved |= memcmp(p0->data, pf->data, sizeof(float) * pf->numel) != 0;
    }
    assert_true(moved);
    vgg_net_free(full);
    vgg_net_free(acc);
    vgg_net_free(acc1);
    vgg_net_free(ref);
    free(x);
}

static void same_seed_same_weights(void **state)
{
    (void)state;
    enum { N = 4 };
    float *x = malloc(sizeof *x * N * 3 * 32 * 32);
    int32_t labels[N];
    random_batch(N, x, labels, 11);
    vgg_net *a = small_d(21), *b = small_d(21), *c = small_d(22);
    char ha[65], hb[65], hc[65];
    vgg_net_digest(a, ha);
    vgg_net_digest(b, hb);
    vgg_net_digest(c, hc);
    assert_string_equal(ha, hb);
    assert_string_not_equal(ha, hc);
    float la[3], lb[3];
    run_steps(a, 2, 3, x, labels, N, la);
    run_steps(b, 2, 3, x, labels, N, lb);
    vgg_net_digest(a, ha);
    vgg_net_digest(b, hb);
    assert_string_equal(ha, hb);
    assert_memory_equal(la, lb, sizeof la);
    vgg_net_free(a);
    vgg_net_free(b);
    vgg_net_free(c);
    free(x);
}

static void loss_falls_on_a_fixed_batch(void **state)
{
    (void)state;
    enum { N = 8, STEPS = 30 };
    float *x = malloc(sizeof *x * N * 3 * 32 * 32);
    int32_t labels[N];
    random_batch(N, x, labels, 17);
    vgg_net *net = small_d(3);
    vgg_train_opts o;
    vgg_train_opts_default(&o);
    o.dropout = 0.0f;
    vgg_trainer *t = NULL;
    assert_int_equal(vgg_trainer_create(net, &o, &t), VGG_STATUS_OK);
    float first = 0, last = 0;
    for (int s = 0; s < STEPS; s++) {
        float l;
        assert_int_equal(vgg_trainer_step(t, x, labels, N, 0.005f, &l, NULL), VGG_STATUS_OK);
        if (s == 0)
            first = l;
        last = l;
    }
    /* starts near ln 4 and memorises the batch */
    assert_float_equal(first, logf(4.0f), 0.3f);
    assert_true(last < 0.1f * first);
    vgg_trainer_free(t);
    vgg_net_free(net);
    free(x);
}

static vgg_net *small_d_bn(uint64_t seed)
{
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_D);
    a.width = 1.0f / 16;
    a.fc_dim = 24;
    a.num_classes = 4;
    a.input_size = 32;
    a.batch_norm = true;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    assert_int_equal(vgg_train_init(net, VGG_INIT_HE, 0.01f, seed), VGG_STATUS_OK);
    return net;
}

/* With batch normalisation the net also memorises a fixed batch. */
static void batch_norm_loss_falls_on_a_fixed_batch(void **state)
{
    (void)state;
    enum { N = 8, STEPS = 30 };
    float *x = malloc(sizeof *x * N * 3 * 32 * 32);
    int32_t labels[N];
    random_batch(N, x, labels, 17);
    vgg_net *net = small_d_bn(3);
    vgg_train_opts o;
    vgg_train_opts_default(&o);
    o.dropout = 0.0f;
    o.micro_batch = N;
    vgg_trainer *t = NULL;
    assert_int_equal(vgg_trainer_create(net, &o, &t), VGG_STATUS_OK);
    float first = 0, last = 0;
    for (int s = 0; s < STEPS; s++) {
        float l;
        assert_int_equal(vgg_trainer_step(t, x, labels, N, 0.01f, &l, NULL), VGG_STATUS_OK);
        if (s == 0)
            first = l;
        last = l;
    }
    assert_true(last < 0.1f * first);
    vgg_trainer_free(t);
    vgg_net_free(net);
    free(x);
}

static void checkpoint_resume_is_bit_identical(void **state)
{
    (void)state;
    enum { N = 4 };
    float *x = malloc(sizeof *x * N * 3 * 32 * 32);
    int32_t labels[N];
    random_batch(N, x, labels, 5);
    char path[64];
    snprintf(path, sizeof path, "train_ckpt_%d.safetensors", (int)getpid());

    vgg_train_opts o;
    vgg_train_opts_default(&o);
    o.seed = 77;
    /* uninterrupted: 5 steps, with a checkpoint after 2 */
    vgg_net *a = small_d(1);
    vgg_trainer *ta = NULL;
    assert_int_equal(vgg_trainer_create(a, &o, &ta), VGG_STATUS_OK);
    for (int s = 0; s < 5; s++) {
        assert_int_equal(vgg_trainer_step(ta, x, labels, N, 0.01f, NULL, NULL), VGG_STATUS_OK);
        if (s == 1) {
            const char *k[1] = { "user.epoch" }, *v[1] = { "3" };
            assert_int_equal(vgg_trainer_save_checkpoint(ta, path, k, v, 1), VGG_STATUS_OK);
        }
    }
    /* resumed: another net and trainer (other seeds), loaded, 3 more steps */
    vgg_net *b = small_d(999);
    vgg_train_opts ob = o;
    ob.seed = 1234;
    vgg_trainer *tb = NULL;
    assert_int_equal(vgg_trainer_create(b, &ob, &tb), VGG_STATUS_OK);
    vgg_safetensors *meta = NULL;
    assert_int_equal(vgg_trainer_load_checkpoint(tb, path, &meta), VGG_STATUS_OK);
    assert_string_equal(vgg_st_meta(meta, "user.epoch"), "3");
    assert_string_equal(vgg_st_meta(meta, "config"), "D");
    vgg_st_close(meta);
    assert_int_equal(vgg_trainer_iteration(tb), 2);
    for (int s = 2; s < 5; s++)
        assert_int_equal(vgg_trainer_step(tb, x, labels, N, 0.01f, NULL, NULL), VGG_STATUS_OK);
    char ha[65], hb[65];
    vgg_net_digest(a, ha);
    vgg_net_digest(b, hb);
    assert_string_equal(ha, hb);
    for (int i = 0; i < vgg_net_param_count(a); i++) {
        size_t n = vgg_net_param(a, i)->numel;
        float *ma = malloc(sizeof *ma * n), *mb = malloc(sizeof *mb * n);
        assert_int_equal(vgg_trainer_get_momentum(ta, i, ma), VGG_STATUS_OK);
        assert_int_equal(vgg_trainer_get_momentum(tb, i, mb), VGG_STATUS_OK);
        assert_memory_equal(ma, mb, sizeof *ma * n);
        free(ma);
        free(mb);
    }
    /* reserved keys are refused; a plain weights file is not a checkpoint */
    const char *k[1] = { "train.iteration" }, *v[1] = { "0" };
    assert_int_equal(vgg_trainer_save_checkpoint(ta, path, k, v, 1), VGG_STATUS_INVALID);
    assert_int_equal(vgg_net_save(a, path), VGG_STATUS_OK);
    assert_int_equal(vgg_trainer_load_checkpoint(tb, path, NULL), VGG_STATUS_FORMAT);
    assert_non_null(strstr(vgg_last_error(), path));
    /* a checkpoint of another net shape is a mismatch */
    vgg_trainer_save_checkpoint(ta, path, NULL, NULL, 0);
    vgg_net *other = fixture_net();
    vgg_trainer *to = NULL;
    assert_int_equal(vgg_trainer_create(other, &o, &to), VGG_STATUS_OK);
    assert_int_equal(vgg_trainer_load_checkpoint(to, path, NULL), VGG_STATUS_MISMATCH);
    vgg_trainer_free(to);
    vgg_net_free(other);
    unlink(path);
    vgg_trainer_free(ta);
    vgg_trainer_free(tb);
    vgg_net_free(a);
    vgg_net_free(b);
    free(x);
}

/* ---- initialisation ---- */

static void init_schemes_have_their_statistics(void **state)
{
    (void)state;
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A);
    a.width = 0.25f;
    a.fc_dim = 256;
    a.num_classes = 10;
    a.input_size = 64;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    for (int scheme = 0; scheme < 3; scheme++) {
        assert_int_equal(vgg_train_init(net, scheme, 0.01f, 42), VGG_STATUS_OK);
        for (int i = 0; i < vgg_net_param_count(net); i++) {
            vgg_param *p = vgg_net_param(net, i);
            if (p->ndim == 1) {
                for (size_t j = 0; j < p->numel; j++)
                    assert_true(p->data[j] == 0.0f);
                continue;
            }
            double fan_in = (double)p->shape[1] * p->shape[2] * p->shape[3];
            double fan_out = (double)p->shape[0] * p->shape[2] * p->shape[3];
            double s = 0, s2 = 0, mx = 0;
            for (size_t j = 0; j < p->numel; j++) {
                s += p->data[j];
                s2 += (double)p->data[j] * p->data[j];
                mx = fmax(mx, fabs(p->data[j]));
            }
            double mean = s / p->numel, sd = sqrt(s2 / p->numel - mean * mean);
            double want = scheme == VGG_INIT_NORMAL ? 0.01
                          : scheme == VGG_INIT_GLOROT ? sqrt(2.0 / (fan_in + fan_out))
                                                      : sqrt(2.0 / fan_in);
            /* numel >= 54: the sample std is within ~25% */
            assert_true(fabs(sd - want) < 0.25 * want + 0.3 * want * sqrt(54.0 / p->numel));
            assert_true(fabs(mean) < 4 * want / sqrt((double)p->numel) + 1e-9);
            if (scheme == VGG_INIT_GLOROT)
                assert_true(mx <= sqrt(6.0 / (fan_in + fan_out)));
        }
    }
    assert_int_equal(vgg_train_init(net, VGG_INIT_NORMAL, -1.0f, 1), VGG_STATUS_INVALID);
    vgg_init_scheme sc;
    assert_int_equal(vgg_init_scheme_parse("xavier", &sc), VGG_STATUS_OK);
    assert_int_equal(sc, VGG_INIT_GLOROT);
    assert_int_equal(vgg_init_scheme_parse("uniform", &sc), VGG_STATUS_INVALID);
    vgg_net_free(net);
}

/* PyTorch's default (nn.Conv2d, nn.Linear): weights and biases uniform in
 * +-1/sqrt(fan_in), so a standard deviation of 1/sqrt(3 fan_in) */
static void init_pytorch_is_uniform_over_fan_in(void **state)
{
    (void)state;
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A);
    a.width = 0.25f;
    a.fc_dim = 256;
    a.num_classes = 10;
    a.input_size = 64;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    vgg_init_scheme sc;
    assert_int_equal(vgg_init_scheme_parse("pytorch", &sc), VGG_STATUS_OK);
    assert_int_equal(sc, VGG_INIT_PYTORCH);
    assert_int_equal(vgg_train_init(net, sc, 0.01f, 42), VGG_STATUS_OK);
    double bound = 0;
    for (int i = 0; i < vgg_net_param_count(net); i++) {
        vgg_param *p = vgg_net_param(net, i);
        if (p->ndim == 4)   /* a weight; its bias follows with the same bound */
            bound = 1.0 / sqrt((double)p->shape[1] * p->shape[2] * p->shape[3]);
        double s = 0, s2 = 0, mx = 0;
        for (size_t j = 0; j < p->numel; j++) {
            s += p->data[j];
            s2 += (double)p->data[j] * p->data[j];
            mx = fmax(mx, fabs(p->data[j]));
        }
        assert_true(mx <= bound && mx > 0.5 * bound);
        if (p->numel >= 256) {
            double mean = s / p->numel, sd = sqrt(s2 / p->numel - mean * mean);
            double want = bound / sqrt(3.0);
            assert_true(fabs(sd - want) < 0.15 * want);
            assert_true(fabs(mean) < 4 * want / sqrt((double)p->numel));
        }
    }
    vgg_net_free(net);
}

static void init_from_a_copies_four_convs_and_three_fcs(void **state)
{
    (void)state;
    vgg_arch aa, ad;
    vgg_arch_default(&aa, VGG_CONFIG_A);
    aa.width = 1.0f / 16;
    aa.fc_dim = 32;
    aa.num_classes = 7;
    aa.input_size = 64;
    ad = aa;
    ad.config = VGG_CONFIG_E;
    vgg_net *A = NULL, *E = NULL;
    assert_int_equal(vgg_net_create(&aa, be, &A), VGG_STATUS_OK);
    assert_int_equal(vgg_net_create(&ad, be, &E), VGG_STATUS_OK);
    assert_int_equal(vgg_train_init(A, VGG_INIT_GLOROT, 0.01f, 1), VGG_STATUS_OK);
    for (int i = 0; i < vgg_net_param_count(A); i++) {   /* non-zero biases too */
        vgg_param *p = vgg_net_param(A, i);
        if (p->ndim == 1)
            for (size_t j = 0; j < p->numel; j++)
                p->data[j] = 0.5f + (float)j;
    }
    int copied = 0;
    assert_int_equal(vgg_train_init_from(E, A, VGG_INIT_NORMAL, 0.01f, 2, &copied), VGG_STATUS_OK);
    assert_int_equal(copied, 7);
    /* torchvision keys: A conv1_1 features.0, conv2_1 .3, conv3_1 .6, conv3_2 .8;
     * E conv1_1 features.0, conv2_1 .5, conv3_1 .10, conv3_2 .12 */
    const char *pairs[][2] = {
        { "features.0", "features.0" },  { "features.3", "features.5" },
        { "features.6", "features.10" }, { "features.8", "features.12" },
        { "classifier.0", "classifier.0" }, { "classifier.3", "classifier.3" },
        { "classifier.6", "classifier.6" },
    };
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++)
        for (int part = 0; part < 2; part++) {
            char na[64], ne[64];
            snprintf(na, sizeof na, "%s.%s", pairs[k][0], part ? "bias" : "weight");
            snprintf(ne, sizeof ne, "%s.%s", pairs[k][1], part ? "bias" : "weight");
            vgg_param *pa = vgg_net_find_param(A, na), *pe = vgg_net_find_param(E, ne);
            assert_non_null(pa);
            assert_non_null(pe);
            assert_int_equal(pa->numel, pe->numel);
            assert_memory_equal(pa->data, pe->data, sizeof(float) * pa->numel);
        }
    /* conv1_2 (features.2) is new: normal(0, 0.01), zero bias */
    vgg_param *w12 = vgg_net_find_param(E, "features.2.weight");
    vgg_param *b12 = vgg_net_find_param(E, "features.2.bias");
    double s2 = 0;
    for (size_t j = 0; j < w12->numel; j++)
        s2 += (double)w12->data[j] * w12->data[j];
    assert_float_equal(sqrt(s2 / w12->numel), 0.01, 0.003);
    assert_true(b12->data[0] == 0.0f);
    /* a source of another width does not fit */
    vgg_arch aw = aa;
    aw.width = 1.0f / 8;
    vgg_net *W = NULL;
    assert_int_equal(vgg_net_create(&aw, be, &W), VGG_STATUS_OK);
    assert_int_equal(vgg_train_init_from(E, W, VGG_INIT_NORMAL, 0.01f, 2, NULL),
                     VGG_STATUS_MISMATCH);
    assert_non_null(strstr(vgg_last_error(), "conv1_1"));
    vgg_net_free(W);
    vgg_net_free(A);
    vgg_net_free(E);
}

static void bad_options_and_labels_are_refused(void **state)
{
    (void)state;
    vgg_net *net = small_d(1);
    vgg_train_opts o;
    vgg_train_opts_default(&o);
    vgg_trainer *t = NULL;
    o.micro_batch = 0;
    assert_int_equal(vgg_trainer_create(net, &o, &t), VGG_STATUS_INVALID);
    assert_null(t);
    vgg_train_opts_default(&o);
    o.dropout = 1.0f;
    assert_int_equal(vgg_trainer_create(net, &o, &t), VGG_STATUS_INVALID);
    vgg_train_opts_default(&o);
    assert_int_equal(vgg_trainer_create(net, &o, &t), VGG_STATUS_OK);
    float x[3 * 32 * 32] = { 0 };
    int32_t bad = 4;
    assert_int_equal(vgg_trainer_step(t, x, &bad, 1, 0.01f, NULL, NULL), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "label 4"));
    vgg_trainer_free(t);
    vgg_trainer_free(NULL);
    vgg_net_free(net);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_step_matches_pytorch),
        cmocka_unit_test(accumulation_equals_full_batch),
        cmocka_unit_test(same_seed_same_weights),
        cmocka_unit_test(loss_falls_on_a_fixed_batch),
        cmocka_unit_test(batch_norm_steps_match_pytorch),
        cmocka_unit_test(batch_norm_loss_falls_on_a_fixed_batch),
        cmocka_unit_test(checkpoint_resume_is_bit_identical),
        cmocka_unit_test(init_schemes_have_their_statistics),
        cmocka_unit_test(init_pytorch_is_uniform_over_fan_in),
        cmocka_unit_test(init_from_a_copies_four_convs_and_three_fcs),
        cmocka_unit_test(bad_options_and_labels_are_refused),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
