/* The pieces of data-parallel training, one at a time: a rank's slice
 * loader gives exactly its part of the whole batch's stream; the trainer's
 * gradient reduction hands the contiguous buffer to the caller's sum and
 * applies what it returns; the trainer's broadcast makes a second trainer
 * the first one's; NCCL is refused on a CPU backend, naming it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vgg/pretrain.h"
#include "vgg/train.h"

static char dir[64];

static void put_be32(FILE *f, uint32_t v)
{
    unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };
    fwrite(b, 1, 4, f);
}

/* 10 images of 28x28 through the importer, labels 0..4 twice */
static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "train_dist_unit_%d", (int)getpid());
    mkdir(dir, 0777);
    char im[128], lb[128], out[128];
    snprintf(im, sizeof im, "%s/im.idx", dir);
    snprintf(lb, sizeof lb, "%s/lb.idx", dir);
    snprintf(out, sizeof out, "%s/set", dir);
    FILE *fi = fopen(im, "wb"), *fl = fopen(lb, "wb");
    if (!fi || !fl)
        return -1;
    put_be32(fi, 0x803); put_be32(fi, 10); put_be32(fi, 28); put_be32(fi, 28);
    put_be32(fl, 0x801); put_be32(fl, 10);
    for (int i = 0; i < 10; i++) {
        for (int p = 0; p < 28 * 28; p++)
            fputc((37 * i + 11 * (p % 28) + 3 * (p / 28)) % 256, fi);
        fputc(i % 5, fl);
    }
    fclose(fi);
    fclose(fl);
    vgg_pretrain_idx_opts o;
    memset(&o, 0, sizeof o);
    for (int c = 0; c < 256; c++)
        o.use_class[c] = true;
    size_t n = 0;
    return vgg_pretrain_import_idx(im, lb, &o, out, &n) == VGG_STATUS_OK && n == 10 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* batches of 4 over 10 images: the third batch straddles two epochs; the
 * slices [0, 1) and [1, 4) of each batch, decoded by two loaders, are the
 * whole batch's samples bit for bit (augmentation keyed by position) */
static void slice_loaders_give_the_whole_batch(void **state)
{
    (void)state;
    char list[128], classes[128];
    snprintf(list, sizeof list, "%s/set/list.txt", dir);
    snprintf(classes, sizeof classes, "%s/set/classes.txt", dir);
    vgg_pretrain_dataset *d = NULL;
    assert_int_equal(vgg_pretrain_dataset_from_list(list, classes, &d), VGG_STATUS_OK);
    vgg_pretrain_aug aug = { .crop = 32, .smin = 32, .smax = 40, .flip = true,
                             .color_sigma = 0.1f };
    vgg_preproc_torchvision(&aug.pp);
    const size_t per = 3 * 32 * 32;
    vgg_pretrain_loader *whole = NULL, *a = NULL, *b = NULL;
    assert_int_equal(vgg_pretrain_loader_create(d, &aug, 4, 2, 9, 0, 0, &whole), VGG_STATUS_OK);
    assert_int_equal(vgg_pretrain_loader_create_slice(d, &aug, 4, 0, 1, 1, 9, 0, 0, &a),
                     VGG_STATUS_OK);
    assert_int_equal(vgg_pretrain_loader_create_slice(d, &aug, 4, 1, 3, 2, 9, 0, 0, &b),
                     VGG_STATUS_OK);
    int differs = 0;
    for (int it = 0; it < 5; it++) {
        vgg_pretrain_batch *w = NULL, *x = NULL, *y = NULL;
        assert_int_equal(vgg_pretrain_loader_next(whole, &w), VGG_STATUS_OK);
        assert_int_equal(vgg_pretrain_loader_next(a, &x), VGG_STATUS_OK);
        assert_int_equal(vgg_pretrain_loader_next(b, &y), VGG_STATUS_OK);
        assert_memory_equal(x->x, w->x, sizeof(float) * per);
        assert_memory_equal(y->x, w->x + per, sizeof(float) * per * 3);
        assert_int_equal(x->labels[0], w->labels[0]);
        assert_memory_equal(y->labels, w->labels + 1, sizeof(int32_t) * 3);
        assert_int_equal(x->epoch, w->epoch);
        assert_int_equal(y->pos, w->pos);
        differs += memcmp(w->x, w->x + per, sizeof(float) * per) != 0;
    }
    assert_true(differs > 0);   /* the samples are not all alike */
    vgg_pretrain_loader *bad = NULL;
    assert_int_equal(vgg_pretrain_loader_create_slice(d, &aug, 4, 3, 2, 1, 9, 0, 0, &bad),
                     VGG_STATUS_INVALID);
    assert_null(bad);
    vgg_pretrain_loader_free(whole);
    vgg_pretrain_loader_free(a);
    vgg_pretrain_loader_free(b);
    vgg_pretrain_dataset_free(d);
}

static vgg_net *tiny_net(vgg_backend *be, uint64_t seed)
{
    vgg_arch arch;
    vgg_arch_default(&arch, VGG_CONFIG_A);
    arch.width = 0.0625f;
    arch.fc_dim = 16;
    arch.input_size = 32;
    arch.num_classes = 3;
    vgg_net *net = NULL;
    assert_int_equal(vgg_net_create(&arch, be, &net), VGG_STATUS_OK);
    assert_int_equal(vgg_train_init(net, VGG_INIT_HE, 0.01f, seed), VGG_STATUS_OK);
    return net;
}

typedef struct seen {
    size_t count, calls;
    double sum;
} seen;

/* a "sum over two ranks" whose other rank holds the same gradient */
static vgg_status twice(void *ctx, float *grad, size_t count)
{
    seen *s = ctx;
    s->count = count;
    s->calls++;
    for (size_t i = 0; i < count; i++) {
        s->sum += grad[i];
        grad[i] *= 2.0f;
    }
    return VGG_STATUS_OK;
}

static vgg_status refuse(void *ctx, float *grad, size_t count)
{
    (void)ctx, (void)grad, (void)count;
    return vgg_fail(VGG_STATUS_DEVICE, "MPI: the other rank is gone");
}

static void reduction_hook_sums_the_whole_buffer(void **state)
{
    (void)state;
    vgg_backend *be = NULL;
    assert_int_equal(vgg_backend_open("cpu-ref", 1, &be), VGG_STATUS_OK);
    vgg_net *net = tiny_net(be, 3);
    vgg_train_opts o;
    vgg_train_opts_default(&o);
    o.dropout = 0.0f;
    vgg_trainer *t = NULL;
    assert_int_equal(vgg_trainer_create(net, &o, &t), VGG_STATUS_OK);
    float *x = calloc(2 * 3 * 32 * 32, sizeof *x);
    for (int i = 0; i < 2 * 3 * 32 * 32; i++)
        x[i] = (float)((i * 7919) % 255) / 255.0f - 0.5f;
    int32_t labels[2] = { 0, 2 };
    assert_int_equal(vgg_trainer_zero_grad(t), VGG_STATUS_OK);
    assert_int_equal(vgg_trainer_accumulate(t, x, labels, 2, 0, 2, NULL, NULL), VGG_STATUS_OK);
    /* every parameter's gradient before and after */
    size_t total = 0;
    for (int i = 0; i < vgg_net_param_count(net); i++)
        total += vgg_net_param(net, i)->numel;
    float *before = malloc(sizeof(float) * total), *after = malloc(sizeof(float) * total);
    double sum = 0.0;
    for (int i = 0, off = 0; i < vgg_net_param_count(net); i++) {
        assert_int_equal(vgg_trainer_get_grad(t, i, before + off), VGG_STATUS_OK);
        for (size_t j = 0; j < vgg_net_param(net, i)->numel; j++)
            sum += before[off + j];
        off += (int)vgg_net_param(net, i)->numel;
    }
    seen s = { 0 };
    assert_int_equal(vgg_trainer_reduce_grad(t, twice, &s), VGG_STATUS_OK);
    assert_int_equal(s.calls, 1);             /* one call for the whole buffer */
    assert_true(s.count >= total);            /* padding between tensors included */
    assert_true(s.count < total + 64 * (size_t)vgg_net_param_count(net));
    assert_true(sum != 0.0);
    assert_true(s.sum > sum - 1e-3 * (1 + sum) && s.sum < sum + 1e-3 * (1 + sum));
    for (int i = 0, off = 0; i < vgg_net_param_count(net); i++) {
        assert_int_equal(vgg_trainer_get_grad(t, i, after + off), VGG_STATUS_OK);
        off += (int)vgg_net_param(net, i)->numel;
    }
    for (size_t j = 0; j < total; j++)
        assert_true(after[j] == 2.0f * before[j]);
    /* the caller's failure comes back; the backend has no collective of its own */
    assert_int_equal(vgg_trainer_reduce_grad(t, refuse, NULL), VGG_STATUS_DEVICE);
    assert_non_null(strstr(vgg_last_error(), "the other rank is gone"));
    assert_int_equal(vgg_trainer_reduce_grad(t, NULL, NULL), VGG_STATUS_UNSUPPORTED);
    assert_non_null(strstr(vgg_last_error(), "cpu-ref"));
    /* NCCL is for GPUs */
    unsigned char id[VGG_NCCL_ID_BYTES] = { 0 };
    assert_int_equal(vgg_backend_join_nccl(be, 2, 0, id), VGG_STATUS_UNSUPPORTED);
    assert_non_null(strstr(vgg_last_error(), "cpu-ref"));
    assert_int_equal(vgg_backend_join_nccl(be, 2, 2, id), VGG_STATUS_INVALID);
    vgg_backend *bes[1] = { be };
    assert_int_equal(vgg_backend_join_nccl_all(bes, 1), VGG_STATUS_UNSUPPORTED);
    free(before);
    free(after);
    free(x);
    vgg_trainer_free(t);
    vgg_net_free(net);
    vgg_backend_close(be);
}

/* a broadcast recorded on one trainer and replayed on another */
typedef struct tape {
    unsigned char *data;
    size_t len, pos;
    bool play;
} tape;

static vgg_status record_or_play(void *ctx, void *buf, size_t bytes)
{
    tape *tp = ctx;
    if (tp->play) {
        assert_true(tp->pos + bytes <= tp->len);
        memcpy(buf, tp->data + tp->pos, bytes);
    } else {
        tp->data = realloc(tp->data, tp->len + bytes);
        memcpy(tp->data + tp->len, buf, bytes);
        tp->len += bytes;
    }
    tp->pos += bytes;
    return VGG_STATUS_OK;
}

static void broadcast_makes_a_trainer_rank_zeros(void **state)
{
    (void)state;
    vgg_backend *be = NULL;
    assert_int_equal(vgg_backend_open("cpu", 1, &be), VGG_STATUS_OK);
    vgg_net *n0 = tiny_net(be, 1), *n1 = tiny_net(be, 2);
    vgg_train_opts o;
    vgg_train_opts_default(&o);
    vgg_trainer *t0 = NULL, *t1 = NULL;
    assert_int_equal(vgg_trainer_create(n0, &o, &t0), VGG_STATUS_OK);
    assert_int_equal(vgg_trainer_create(n1, &o, &t1), VGG_STATUS_OK);
    /* rank 0 has trained two steps: iteration 2, non-zero momenta */
    float *x = calloc(4 * 3 * 32 * 32, sizeof *x);
    for (int i = 0; i < 4 * 3 * 32 * 32; i++)
        x[i] = (float)((i * 104729) % 511) / 511.0f - 0.5f;
    int32_t labels[4] = { 0, 1, 2, 1 };
    for (int s = 0; s < 2; s++)
        assert_int_equal(vgg_trainer_step(t0, x, labels, 4, 0.01f, NULL, NULL), VGG_STATUS_OK);
    tape tp = { 0 };
    assert_int_equal(vgg_trainer_broadcast(t0, record_or_play, &tp), VGG_STATUS_OK);
    tp.play = true;
    tp.pos = 0;
    assert_int_equal(vgg_trainer_broadcast(t1, record_or_play, &tp), VGG_STATUS_OK);
    assert_int_equal(tp.pos, tp.len);
    assert_int_equal(vgg_trainer_iteration(t1), 2);
    for (int i = 0; i < vgg_net_param_count(n0); i++) {
        const vgg_param *p = vgg_net_param(n0, i), *q = vgg_net_param(n1, i);
        assert_memory_equal(p->data, q->data, sizeof(float) * p->numel);
        float *m0 = malloc(sizeof(float) * p->numel), *m1 = malloc(sizeof(float) * p->numel);
        assert_int_equal(vgg_trainer_get_momentum(t0, i, m0), VGG_STATUS_OK);
        assert_int_equal(vgg_trainer_get_momentum(t1, i, m1), VGG_STATUS_OK);
        assert_memory_equal(m0, m1, sizeof(float) * p->numel);
        free(m0);
        free(m1);
    }
    /* and the next step is the same on both */
    assert_int_equal(vgg_trainer_step(t0, x, labels, 4, 0.01f, NULL, NULL), VGG_STATUS_OK);
    assert_int_equal(vgg_trainer_step(t1, x, labels, 4, 0.01f, NULL, NULL), VGG_STATUS_OK);
    for (int i = 0; i < vgg_net_param_count(n0); i++)
        assert_memory_equal(vgg_net_param(n0, i)->data, vgg_net_param(n1, i)->data,
                            sizeof(float) * vgg_net_param(n0, i)->numel);
    free(tp.data);
    free(x);
    vgg_trainer_free(t0);
    vgg_trainer_free(t1);
    vgg_net_free(n0);
    vgg_net_free(n1);
    vgg_backend_close(be);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(slice_loaders_give_the_whole_batch),
        cmocka_unit_test(reduction_hook_sums_the_whole_buffer),
        cmocka_unit_test(broadcast_makes_a_trainer_rank_zeros),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
