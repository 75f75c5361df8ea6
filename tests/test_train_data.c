/* vggtrain's library code: list and folder data sets, the augmenting
 * loader (shuffling, determinism across thread counts, replacement of bad
 * images), the learning-rate schedule, ranks, and the evaluation methods
 * against each other and against the engine's own forward pass. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vgg/pretrain.h"
#include "test_util.h"
#include "vgg/train.h"

static char dir[64];

/* the test's PNG files come from idx files through the importer */
static void put_be32(FILE *f, uint32_t v)
{
    unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };
    fwrite(b, 1, 4, f);
}

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "train_data_%d", (int)getpid());
    mkdir(dir, 0777);
    /* 10 images of 28x28, labels 0..4 twice, pixel value = 20 * index */
    char im[128], lb[128], out[128];
    snprintf(im, sizeof im, "%s/im.idx", dir);
    snprintf(lb, sizeof lb, "%s/lb.idx", dir);
    snprintf(out, sizeof out, "%s/set", dir);
    FILE *fi = fopen(im, "wb"), *fl = fopen(lb, "wb");
    put_be32(fi, 0x803); put_be32(fi, 10); put_be32(fi, 28); put_be32(fi, 28);
    put_be32(fl, 0x801); put_be32(fl, 10);
    for (int i = 0; i < 10; i++) {
        for (int p = 0; p < 28 * 28; p++)
            fputc(20 * i + (p % 28) / 4, fi);
        fputc(i % 5, fl);
    }
    fclose(fi);
    fclose(fl);
    vgg_pretrain_idx_opts o;
    memset(&o, 0, sizeof o);
    for (int c = 0; c < 256; c++)
        o.use_class[c] = true;
    size_t n = 0;
    if (vgg_pretrain_import_idx(im, lb, &o, out, &n) != VGG_STATUS_OK || n != 10)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void list_with_names_and_numbers(void **state)
{
    (void)state;
    char list[128], classes[128];
    snprintf(list, sizeof list, "%s/l1.txt", dir);
    snprintf(classes, sizeof classes, "%s/c1.txt", dir);
    write_text(classes, "cat\ndog\nred fox\n");
    write_text(list, "a.png\tdog\r\n\nsub dir/b.png\tred fox\nc.png\t0\n");
    vgg_pretrain_dataset *d = NULL;
    assert_int_equal(vgg_pretrain_dataset_from_list(list, classes, &d), VGG_STATUS_OK);
    assert_int_equal(d->n, 3);
    assert_int_equal(d->n_classes, 3);
    assert_string_equal(d->paths[1], "sub dir/b.png");
    assert_int_equal(d->labels[0], 1);
    assert_int_equal(d->labels[1], 2);
    assert_int_equal(d->labels[2], 0);
    vgg_pretrain_dataset_free(d);

    write_text(list, "a.png\tdog\nb.png\twolf\n");
    assert_int_equal(vgg_pretrain_dataset_from_list(list, classes, &d), VGG_STATUS_FORMAT);
    assert_null(d);
    assert_non_null(strstr(vgg_last_error(), "line 2"));
    assert_non_null(strstr(vgg_last_error(), "wolf"));
    write_text(list, "a.png dog\n");
    assert_int_equal(vgg_pretrain_dataset_from_list(list, classes, &d), VGG_STATUS_FORMAT);
    write_text(list, "a.png\t3\n");   /* numbers must be in range */
    assert_int_equal(vgg_pretrain_dataset_from_list(list, classes, &d), VGG_STATUS_FORMAT);
    write_text(list, "");
    assert_int_equal(vgg_pretrain_dataset_from_list(list, classes, &d), VGG_STATUS_FORMAT);
    vgg_pretrain_dataset_free(NULL);
}

static void folders_and_an_empty_class(void **state)
{
    (void)state;
    char root[100], cmd[1024];
    snprintf(root, sizeof root, "%s/folders", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/b_dog %s/a_cat && cp %s/set/images/00001.png "
             "%s/set/images/00002.png %s/a_cat/ && cp %s/set/images/00003.png %s/b_dog/",
             root, root, dir, dir, root, dir, root);
    assert_int_equal(system(cmd), 0);
    vgg_pretrain_dataset *d = NULL;
    assert_int_equal(vgg_pretrain_dataset_from_folders(root, &d), VGG_STATUS_OK);
    assert_int_equal(d->n_classes, 2);
    assert_string_equal(d->classes[0], "a_cat");
    assert_int_equal(d->n, 3);
    assert_int_equal(d->labels[2], 1);
    vgg_pretrain_dataset_free(d);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/c_empty", root);
    assert_int_equal(system(cmd), 0);
    assert_int_not_equal(vgg_pretrain_dataset_from_folders(root, &d), VGG_STATUS_OK);
    assert_null(d);
    assert_non_null(strstr(vgg_last_error(), "c_empty"));
}

static vgg_pretrain_dataset *the_set(void)
{
    char list[128], classes[128];
    snprintf(list, sizeof list, "%s/set/list.txt", dir);
    snprintf(classes, sizeof classes, "%s/set/classes.txt", dir);
    vgg_pretrain_dataset *d = NULL;
    assert_int_equal(vgg_pretrain_dataset_from_list(list, classes, &d), VGG_STATUS_OK);
    assert_int_equal(d->n, 10);
    return d;
}

static void loader_epochs_are_permutations_and_thread_independent(void **state)
{
    (void)state;
    vgg_pretrain_dataset *d = the_set();
    vgg_pretrain_aug aug = { .crop = 32, .smin = 32, .smax = 40, .flip = true, .color_sigma = 0.1f };
    vgg_preproc_torchvision(&aug.pp);
    const size_t per = 3 * 32 * 32;
    /* 4 batches of 5 = two epochs; threads 1 and 3 give the same stream */
    float *xs[2];
    int32_t lab[2][20];
    for (int run = 0; run < 2; run++) {
        vgg_pretrain_loader *l = NULL;
        assert_int_equal(vgg_pretrain_loader_create(d, &aug, 5, run ? 3 : 1, 42, 0, 0, &l), VGG_STATUS_OK);
        xs[run] = malloc(sizeof(float) * per * 20);
        for (int b = 0; b < 4; b++) {
            vgg_pretrain_batch *bt = NULL;
            assert_int_equal(vgg_pretrain_loader_next(l, &bt), VGG_STATUS_OK);
            assert_int_equal(bt->n_bad, 0);
            assert_int_equal(bt->epoch, (b + 1) / 2);
            assert_int_equal(bt->pos, (size_t)((b + 1) % 2) * 5);
            memcpy(xs[run] + b * 5 * per, bt->x, sizeof(float) * per * 5);
            memcpy(lab[run] + b * 5, bt->labels, sizeof(int32_t) * 5);
        }
        vgg_pretrain_loader_free(l);
    }
    assert_memory_equal(xs[0], xs[1], sizeof(float) * per * 20);
    assert_memory_equal(lab[0], lab[1], sizeof lab[0]);
    /* each epoch shows every image once: labels 0..4 twice each; the two
     * epochs are in different orders */
    for (int e = 0; e < 2; e++) {
        int count[5] = { 0 };
        for (int i = 0; i < 10; i++)
            count[lab[0][e * 10 + i]]++;
        for (int c = 0; c < 5; c++)
            assert_int_equal(count[c], 2);
    }
    assert_true(memcmp(lab[0], lab[0] + 10, sizeof(int32_t) * 10) != 0 ||
                memcmp(xs[0], xs[0] + 10 * per, sizeof(float) * per * 10) != 0);
    /* starting at (epoch 1, image 0) gives the second half of the stream */
    vgg_pretrain_loader *l = NULL;
    assert_int_equal(vgg_pretrain_loader_create(d, &aug, 5, 2, 42, 1, 0, &l), VGG_STATUS_OK);
    vgg_pretrain_batch *bt = NULL;
    assert_int_equal(vgg_pretrain_loader_next(l, &bt), VGG_STATUS_OK);
    assert_memory_equal(bt->x, xs[0] + 10 * per, sizeof(float) * per * 5);
    vgg_pretrain_loader_free(l);
    free(xs[0]);
    free(xs[1]);
    vgg_pretrain_dataset_free(d);
}

static void loader_replaces_bad_images(void **state)
{
    (void)state;
    vgg_pretrain_dataset *d = the_set();
    /* make three of the ten unreadable */
    char bad[128];
    snprintf(bad, sizeof bad, "%s/not_an_image.png", dir);
    write_text(bad, "hello");
    for (int i = 0; i < 3; i++) {
        free(d->paths[i]);
        d->paths[i] = strdup(i == 2 ? "/nonexistent/x.png" : bad);
    }
    vgg_pretrain_aug aug = { .crop = 32, .smin = 32, .smax = 32, .flip = false };
    vgg_preproc_torchvision(&aug.pp);
    vgg_pretrain_loader *l = NULL;
    assert_int_equal(vgg_pretrain_loader_create(d, &aug, 10, 2, 1, 0, 0, &l), VGG_STATUS_OK);
    vgg_pretrain_batch *bt = NULL;
    assert_int_equal(vgg_pretrain_loader_next(l, &bt), VGG_STATUS_OK);
    /* the epoch meets each bad image once at least; replacements may be bad too */
    assert_true(bt->n_bad >= 3);
    bool named = false;
    for (int i = 0; i < 3 && i < bt->n_bad; i++)
        named |= strstr(bt->bad_msg[i], "not_an_image.png") != NULL ||
                 strstr(bt->bad_msg[i], "x.png") != NULL;
    assert_true(named);
    /* every sample is a good image: images 3..9 have labels 3,4,0,1,2,3,4 and
     * pixel value 20 * index + column / 4 at column 0 (before normalising) */
    for (int j = 0; j < 10; j++) {
        float v = bt->x[j * 3 * 32 * 32];   /* red, (0, 0) */
        double px = (v * aug.pp.std[0] + aug.pp.mean[0]) * 255.0;
        int idx = (int)lround(px / 20.0);
        assert_in_range(idx, 3, 9);
        assert_int_equal(bt->labels[j], idx % 5);
    }
    vgg_pretrain_loader_free(l);
    /* all bad: the loader gives up with a status, no crash */
    for (size_t i = 0; i < d->n; i++) {
        free(d->paths[i]);
        d->paths[i] = strdup(bad);
    }
    assert_int_equal(vgg_pretrain_loader_create(d, &aug, 2, 1, 1, 0, 0, &l), VGG_STATUS_OK);
    assert_int_not_equal(vgg_pretrain_loader_next(l, &bt), VGG_STATUS_OK);
    assert_non_null(strstr(vgg_last_error(), "could not be read"));
    vgg_pretrain_loader_free(l);
    vgg_pretrain_dataset_free(d);
}

static void schedule_steps_and_plateaus(void **state)
{
    (void)state;
    vgg_pretrain_schedule s = { .lr = 0.01f, .n_steps = 2, .steps = { 100, 200 }, .patience = 2,
                      .max_drops = 2, .best = -1 };
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 0), 0.01f, 1e-9);
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 99), 0.01f, 1e-9);
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 100), 0.001f, 1e-9);
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 250), 0.0001f, 1e-10);
    /* accuracies: improve, improve, flat, flat (-> lr / 10), better, flat,
     * flat (-> lr / 100), flat, flat (third plateau after two drops: stop) */
    const double acc[] = { 0.5, 0.6, 0.6, 0.55, 0.7, 0.7, 0.69, 0.7, 0.7 };
    const float lr_after[] = { 0.01f, 0.01f, 0.01f, 0.001f, 0.001f, 0.001f, 0.0001f, 0.0001f,
                               0.0001f };
    for (int i = 0; i < 9; i++) {
        bool stop = vgg_pretrain_schedule_validate(&s, acc[i]);
        assert_float_equal(s.lr, lr_after[i], 1e-10);
        assert_int_equal(stop, i == 8);
    }
    assert_int_equal(s.drops, 2);
    assert_float_equal(s.best, 0.7, 1e-12);
}

static void schedule_warmup_and_cosine(void **state)
{
    (void)state;
    /* lr 0.1, 10 warm-up iterations, then a half cosine to 0 at 110 */
    vgg_pretrain_schedule s = { .lr = 0.1f, .warmup = 10, .cosine_end = 110, .best = -1 };
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 0), 0.01f, 1e-8);
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 4), 0.05f, 1e-8);
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 9), 0.1f, 1e-8);
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 10), 0.1f, 1e-8);
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 60), 0.05f, 1e-8);
    /* t = 3/4: 0.05 (1 + cos(3 pi / 4)) = 0.05 (1 - 0.7071068) */
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 85), 0.014644661f, 1e-8);
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 110), 0.0f, 1e-9);
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 500), 0.0f, 1e-9);
    /* a step at 60 multiplies in: 0.1 * 0.1 * 0.5 */
    s.n_steps = 1;
    s.steps[0] = 60;
    assert_float_equal(vgg_pretrain_schedule_lr(&s, 60), 0.005f, 1e-9);
    /* warm-up alone: constant after it */
    vgg_pretrain_schedule w = { .lr = 0.2f, .warmup = 4, .best = -1 };
    assert_float_equal(vgg_pretrain_schedule_lr(&w, 1), 0.1f, 1e-8);
    assert_float_equal(vgg_pretrain_schedule_lr(&w, 1000), 0.2f, 1e-8);
}

/* vggtrain train with no schedule options runs the paper's (section 3.1):
 * batch 256, lr 1e-2, momentum 0.9, weight decay 5e-4, dropout 0.5, lr / 10
 * at each validation plateau (once per epoch), three times at most, 74
 * epochs; and that schedule run on made-up accuracies drops three times,
 * then stops at the fourth plateau */
static void defaults_are_the_papers_schedule(void **state)
{
    (void)state;
    vgg_pretrain_config c;
    vgg_pretrain_config_default(&c);
    assert_int_equal(c.batch, 256);
    assert_float_equal(c.lr, 0.01f, 1e-9);
    assert_float_equal(c.momentum, 0.9f, 1e-9);
    assert_float_equal(c.wd, 5e-4f, 1e-10);
    assert_float_equal(c.dropout, 0.5f, 1e-9);
    assert_float_equal(c.init_std, 0.01f, 1e-9);
    assert_int_equal(c.patience, 1);
    assert_int_equal(c.max_drops, 3);
    assert_true(c.epochs == 74.0);
    assert_int_equal(c.iterations, 0);
    assert_int_equal(c.val_every, 0);   /* 0: once per epoch */
    assert_int_equal(c.arch.config, VGG_CONFIG_A);
    vgg_pretrain_schedule s = { .lr = c.lr, .patience = c.patience, .min_delta = c.min_delta,
                                .max_drops = c.max_drops, .best = -1 };
    const double acc[] = { 0.3, 0.4, 0.4, 0.5, 0.5, 0.6, 0.55, 0.61, 0.61 };
    const float lr_after[] = { 0.01f, 0.01f, 0.001f, 0.001f, 1e-4f, 1e-4f, 1e-5f, 1e-5f, 1e-5f };
    for (int i = 0; i < 9; i++) {
        bool stop = vgg_pretrain_schedule_validate(&s, acc[i]);
        assert_float_equal(s.lr, lr_after[i], 1e-11);
        assert_int_equal(stop, i == 8);
    }
    assert_int_equal(s.drops, 3);
}

static void ranks(void **state)
{
    (void)state;
    const float s[5] = { 0.1f, 0.5f, 0.2f, 0.5f, 0.0f };
    assert_int_equal(vgg_pretrain_rank(s, 5, 1), 0);
    assert_int_equal(vgg_pretrain_rank(s, 5, 3), 1);   /* a tie counts the lower index first */
    assert_int_equal(vgg_pretrain_rank(s, 5, 2), 2);
    assert_int_equal(vgg_pretrain_rank(s, 5, 4), 4);
}

static void eval_methods_agree_with_the_forward_pass(void **state)
{
    (void)state;
    vgg_backend *be = NULL;
    vgg_net *net = NULL;
    vgg_arch a;
    vgg_arch_default(&a, VGG_CONFIG_A);
    a.width = 1.0f / 16;
    a.fc_dim = 16;
    a.num_classes = 5;
    a.input_size = 32;
    assert_int_equal(vgg_backend_open("cpu", 1, &be), VGG_STATUS_OK);
    assert_int_equal(vgg_net_create(&a, be, &net), VGG_STATUS_OK);
    assert_int_equal(vgg_train_init(net, VGG_INIT_HE, 0, 3), VGG_STATUS_OK);
    /* a non-square image with structure */
    vgg_image *img = NULL;
    assert_int_equal(vgg_image_new(40, 32, &img), VGG_STATUS_OK);
    for (int i = 0; i < 40 * 32 * 3; i++)
        img->px[i] = (uint8_t)((i * 37) % 251);
    float pc[5], pd[5], pm[5], ref[5] = { 0 };
    /* centre crop = softmax of the forward pass on the centre crop */
    assert_int_equal(vgg_pretrain_eval_image(net, img, 32, VGG_PRETRAIN_CENTER, 1, pc), VGG_STATUS_OK);
    vgg_image *crop = NULL;
    assert_int_equal(vgg_image_center_crop(img, 32, 32, &crop), VGG_STATUS_OK);
    float in[3 * 32 * 32], out[5];
    vgg_image_to_input(crop, vgg_net_preproc(net), false, in);
    assert_int_equal(vgg_net_forward(net, in, 1, 32, 32, VGG_OUTPUT_SCORES, out), VGG_STATUS_OK);
    double m = out[0], s = 0;
    for (int c = 1; c < 5; c++)
        m = fmax(m, out[c]);
    for (int c = 0; c < 5; c++)
        s += exp(out[c] - m);
    double total = 0;
    for (int c = 0; c < 5; c++) {
        ref[c] = (float)(exp(out[c] - m) / s);
        assert_float_equal(pc[c], ref[c], 1e-6);
        total += pc[c];
    }
    assert_float_equal(total, 1.0, 1e-5);
    /* multi-crop on a square image with a 1 x 1 grid = dense at Q = S:
     * both average the softmax of the whole image and of its flip */
    vgg_image_free(crop);
    assert_int_equal(vgg_image_crop(img, 4, 0, 32, 32, &crop), VGG_STATUS_OK);
    assert_int_equal(vgg_pretrain_eval_image(net, crop, 32, VGG_PRETRAIN_DENSE, 1, pd), VGG_STATUS_OK);
    assert_int_equal(vgg_pretrain_eval_image(net, crop, 32, VGG_PRETRAIN_MULTICROP, 1, pm), VGG_STATUS_OK);
    for (int c = 0; c < 5; c++)
        assert_float_equal(pd[c], pm[c], 1e-6);
    /* dense at Q = 64 on the 40x32 image (80x64 input) has a score map of
     * several positions:
     * its posterior is a distribution different from the centre crop's */
    assert_int_equal(vgg_pretrain_eval_image(net, img, 64, VGG_PRETRAIN_DENSE, 1, pd), VGG_STATUS_OK);
    total = 0;
    double diff = 0;
    for (int c = 0; c < 5; c++) {
        total += pd[c];
        diff += fabs(pd[c] - pc[c]);
    }
    assert_float_equal(total, 1.0, 1e-5);
    assert_true(diff > 1e-4);
    /* the multi-crop grid must fit */
    assert_int_equal(vgg_pretrain_eval_image(net, img, 32, VGG_PRETRAIN_MULTICROP, 17, pm), VGG_STATUS_INVALID);
    vgg_image_free(crop);
    vgg_image_free(img);
    vgg_net_free(net);
    vgg_backend_close(be);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(list_with_names_and_numbers),
        cmocka_unit_test(folders_and_an_empty_class),
        cmocka_unit_test(loader_epochs_are_permutations_and_thread_independent),
        cmocka_unit_test(loader_replaces_bad_images),
        cmocka_unit_test(schedule_steps_and_plateaus),
        cmocka_unit_test(schedule_warmup_and_cosine),
        cmocka_unit_test(defaults_are_the_papers_schedule),
        cmocka_unit_test(ranks),
        cmocka_unit_test(eval_methods_agree_with_the_forward_pass),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
