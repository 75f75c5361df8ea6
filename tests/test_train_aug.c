/* The training augmentation of vgg_pretrain_prepare_sample, measured on a picture
 * whose pixels say where they come from (red = 4 x column, green = 4 x
 * row, blue = 128, 64 x 64): the crop's place and the flip are read back
 * from every sample exactly, the scale S from the red ramp's slope, and
 * the colour shift from the difference to the unshifted picture.  Checked
 * against the definitions (section 3.1 of the paper; Krizhevsky et al.'s
 * PCA lighting with the ImageNet eigenvalues and eigenvectors, written out
 * here from the literature): crop offsets uniform over every place, a flip
 * in half the samples, S uniform over [Smin, Smax], and a colour shift
 * constant over the image with zero mean and covariance
 * 255^2 sigma^2 V diag(lambda^2) V^T. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgg/pretrain.h"

#define W 64
static char dir[64], pic[128];

static int setup(void **state)
{
    (void)state;
    strcpy(dir, "/tmp/test_train_aug.XXXXXX");
    if (!mkdtemp(dir))
        return -1;
    snprintf(pic, sizeof pic, "%s/ramp.png", dir);
    FILE *fp = fopen(pic, "wb");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (!fp || !png || !info || setjmp(png_jmpbuf(png)))
        return -1;
    png_init_io(png, fp);
    png_set_IHDR(png, info, W, W, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    uint8_t row[W * 3];
    for (int y = 0; y < W; y++) {
        for (int x = 0; x < W; x++) {
            row[3 * x] = (uint8_t)(4 * x);
            row[3 * x + 1] = (uint8_t)(4 * y);
            row[3 * x + 2] = 128;
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    return fclose(fp);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* pixel value (0..255 plus any shift) of channel c at (y, x) of a sample */
static double px(const vgg_pretrain_aug *a, const float *out, int c, int y, int x)
{
    const int n = a->crop;
    float v = out[(size_t)c * n * n + (size_t)y * n + x];
    return (v * a->pp.std[c] + a->pp.mean[c]) / a->pp.range * 255.0;
}

static void crops_cover_every_place_and_flip_half(void **state)
{
    (void)state;
    vgg_pretrain_aug a = { .crop = 32, .smin = W, .smax = W, .flip = true, .color_sigma = 0 };
    vgg_preproc_torchvision(&a.pp);
    enum { N = 3000, P = W - 32 + 1 };
    float *out = malloc(sizeof(float) * 3 * 32 * 32);
    int cx[P] = { 0 }, cy[P] = { 0 }, flips = 0;
    uint64_t rng = 20150410;
    for (int i = 0; i < N; i++) {
        assert_int_equal(vgg_pretrain_prepare_sample(pic, &a, &rng, out), VGG_STATUS_OK);
        bool flip = px(&a, out, 0, 0, 1) < px(&a, out, 0, 0, 0);
        int ox = (int)lround(px(&a, out, 0, 0, flip ? 31 : 0) / 4);
        int oy = (int)lround(px(&a, out, 1, 0, 0) / 4);
        assert_in_range(ox, 0, P - 1);
        assert_in_range(oy, 0, P - 1);
        /* every pixel is the picture's at (oy + y, ox + x), mirrored when flipped */
        for (int y = 0; y < 32; y++)
            for (int x = 0; x < 32; x++) {
                int sx = ox + (flip ? 31 - x : x);
                assert_float_equal(px(&a, out, 0, y, x), 4.0 * sx, 1e-3);
                assert_float_equal(px(&a, out, 1, y, x), 4.0 * (oy + y), 1e-3);
                assert_float_equal(px(&a, out, 2, y, x), 128.0, 1e-3);
            }
        cx[ox]++;
        cy[oy]++;
        flips += flip;
    }
    /* uniform over the 33 places: about 91 each (sd 9.4) */
    for (int k = 0; k < P; k++) {
        assert_in_range(cx[k], N / P / 2, N / P * 3 / 2);
        assert_in_range(cy[k], N / P / 2, N / P * 3 / 2);
    }
    /* half flipped: sd 27 of 1500 */
    assert_in_range(flips, N / 2 - 150, N / 2 + 150);
    /* no flip asked, none made */
    a.flip = false;
    for (int i = 0; i < 200; i++) {
        assert_int_equal(vgg_pretrain_prepare_sample(pic, &a, &rng, out), VGG_STATUS_OK);
        assert_true(px(&a, out, 0, 0, 1) > px(&a, out, 0, 0, 0));
    }
    free(out);
}

static void scale_is_jittered_uniformly(void **state)
{
    (void)state;
    vgg_pretrain_aug a = { .crop = 32, .smin = 64, .smax = 96, .flip = false, .color_sigma = 0 };
    vgg_preproc_torchvision(&a.pp);
    enum { N = 1500 };
    float *out = malloc(sizeof(float) * 3 * 32 * 32);
    uint64_t rng = 7;
    double sum = 0, lo = 1e9, hi = 0;
    int low_quarter = 0, high_quarter = 0;
    for (int i = 0; i < N; i++) {
        assert_int_equal(vgg_pretrain_prepare_sample(pic, &a, &rng, out), VGG_STATUS_OK);
        /* the ramp of 4 per source pixel, stretched by S / 64: over the
         * 29 pixels between columns 1 and 30 (away from the picture's
         * border, where bilinear resizing flattens it) it rises 29 * 256 / S */
        double rise = px(&a, out, 0, 16, 30) - px(&a, out, 0, 16, 1);
        double s = 29.0 * 256.0 / rise;
        assert_true(s > 63.0 && s < 97.0);
        sum += s;
        lo = fmin(lo, s);
        hi = fmax(hi, s);
        low_quarter += s < 72;
        high_quarter += s > 88;
    }
    /* uniform over the 33 integers 64..96: mean 80 (sd of the mean 0.25),
     * both ends reached, about 8/33 of the samples below 72 and above 88 */
    assert_true(fabs(sum / N - 80.0) < 1.5);
    assert_true(lo < 66.0 && hi > 94.0);
    assert_in_range(low_quarter, N * 8 / 33 - 90, N * 8 / 33 + 90);
    assert_in_range(high_quarter, N * 8 / 33 - 90, N * 8 / 33 + 90);
    free(out);
}

static void colour_shift_has_the_pca_covariance(void **state)
{
    (void)state;
    /* the crop is the whole picture: nothing but the colour shift varies */
    vgg_pretrain_aug a = { .crop = W, .smin = W, .smax = W, .flip = false, .color_sigma = 0.1f };
    vgg_preproc_torchvision(&a.pp);
    enum { N = 4000 };
    float *out = malloc(sizeof(float) * 3 * W * W);
    uint64_t rng = 99;
    double s1[3] = { 0 }, s2[3][3] = { { 0 } };
    for (int i = 0; i < N; i++) {
        assert_int_equal(vgg_pretrain_prepare_sample(pic, &a, &rng, out), VGG_STATUS_OK);
        double d[3];
        d[0] = px(&a, out, 0, 0, 0);
        d[1] = px(&a, out, 1, 0, 0);
        d[2] = px(&a, out, 2, 0, 0) - 128.0;
        /* one shift for the whole picture, not clipped at 0 or 255 */
        for (int y = 0; y < W; y += 9)
            for (int x = 0; x < W; x += 7) {
                assert_float_equal(px(&a, out, 0, y, x) - 4.0 * x, d[0], 1e-2);
                assert_float_equal(px(&a, out, 1, y, x) - 4.0 * y, d[1], 1e-2);
                assert_float_equal(px(&a, out, 2, y, x) - 128.0, d[2], 1e-2);
            }
        for (int c = 0; c < 3; c++) {
            s1[c] += d[c];
            for (int k = 0; k < 3; k++)
                s2[c][k] += d[c] * d[k];
        }
    }
    /* Krizhevsky et al. 2012, section 4.1, with the ImageNet eigenvalues
     * and eigenvectors (columns) of the RGB covariance in [0, 1] units */
    static const double lambda[3] = { 0.2175, 0.0188, 0.0045 };
    static const double V[3][3] = {
        { -0.5675, 0.7192, 0.4009 },
        { -0.5808, -0.0045, -0.8140 },
        { -0.5836, -0.6948, 0.4203 },
    };
    double want[3][3];
    for (int c = 0; c < 3; c++)
        for (int k = 0; k < 3; k++) {
            want[c][k] = 0;
            for (int j = 0; j < 3; j++)
                want[c][k] += V[c][j] * V[k][j] * lambda[j] * lambda[j];
            want[c][k] *= 255.0 * 255.0 * 0.1 * 0.1;
        }
    for (int c = 0; c < 3; c++) {
        double mean = s1[c] / N, sd_want = sqrt(want[c][c]);
        /* mean 0: within 4 standard errors */
        assert_true(fabs(mean) < 4 * sd_want / sqrt(N));
        for (int k = 0; k < 3; k++) {
            double cov = s2[c][k] / N - mean * s1[k] / N;
            double corr = cov / sqrt((s2[c][c] / N - mean * mean) *
                                     (s2[k][k] / N - (s1[k] / N) * (s1[k] / N)));
            double corr_want = want[c][k] / sqrt(want[c][c] * want[k][k]);
            if (c == k) {
                /* the standard deviation within 6% (its own sd is 1.1%) */
                assert_true(fabs(sqrt(cov) / sd_want - 1) < 0.06);
            } else {
                assert_true(fabs(corr - corr_want) < 0.03);
            }
        }
    }
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crops_cover_every_place_and_flip_half),
        cmocka_unit_test(scale_is_jittered_uniformly),
        cmocka_unit_test(colour_shift_has_the_pca_covariance),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
