/* image/: decoding, orientation, resizing, crops and preprocessing, checked
 * against Pillow, torchvision and torch references made by
 * tests/gen_image_fixtures.py (listed in tests/fixtures/image/manifest.txt),
 * and against numbers worked by hand. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/image.h"
#include "image_internal.h" /* vgg_exif_orientation */

#define FIX VGG_FIXTURES "/image"

/* ------------------------------------------------------------ helpers */

static char *fix_path(const char *name)
{
    static _Thread_local char buf[4][1024];
    static _Thread_local int i;
    char *p = buf[i++ % 4];
    snprintf(p, 1024, "%s/%s", FIX, name);
    return p;
}

static uint8_t *read_all(const char *name, size_t *n)
{
    char *data = NULL;
    size_t len = 0;
    vgg_status st = vgg_read_file(fix_path(name), 0, &data, &len);
    if (st != VGG_STATUS_OK)
        fail_msg("cannot read fixture %s: %s", name, vgg_last_error());
    if (n)
        *n = len;
    return (uint8_t *)data;
}

/* a raw RGB reference as an image */
static vgg_image *read_rgb(const char *name, int w, int h)
{
    size_t n;
    uint8_t *data = read_all(name, &n);
    assert_int_equal(n, (size_t)w * h * 3);
    vgg_image *img = NULL;
    assert_int_equal(vgg_image_new(w, h, &img), VGG_STATUS_OK);
    memcpy(img->px, data, n);
    free(data);
    return img;
}

/* largest absolute difference; -1 if the sizes differ */
static int max_diff(const vgg_image *a, const vgg_image *b, size_t *ndiff)
{
    if (a->w != b->w || a->h != b->h)
        return -1;
    int m = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < (size_t)a->w * a->h * 3; i++) {
        int d = abs((int)a->px[i] - (int)b->px[i]);
        if (d)
            cnt++;
        if (d > m)
            m = d;
    }
    if (ndiff)
        *ndiff = cnt;
    return m;
}

typedef struct mline {
    char kind[16];
    char a[128], b[128], c[128];
    int n[8];
    int count;       /* fields read */
} mline;

/* all manifest lines of one kind */
static int manifest(const char *kind, mline *out, int max)
{
    FILE *fp = fopen(fix_path("manifest.txt"), "r");
    if (!fp)
        fail_msg("missing %s (run tests/gen_image_fixtures.py)", fix_path("manifest.txt"));
    char line[512];
    int k = 0;
    while (fgets(line, sizeof line, fp)) {
        char word[16];
        if (line[0] == '#' || sscanf(line, "%15s", word) != 1 || strcmp(word, kind) != 0)
            continue;
        if (k >= max)
            fail_msg("too many '%s' lines", kind);
        mline *m = &out[k];
        memset(m, 0, sizeof *m);
        strcpy(m->kind, word);
        const char *rest = line + strlen(word);
        if (!strcmp(kind, "decode"))
            m->count = sscanf(rest, "%127s %127s %d %d %127s", m->a, m->b, &m->n[0], &m->n[1], m->c);
        else if (!strcmp(kind, "error"))
            m->count = sscanf(rest, "%127s %127s", m->a, m->b);
        else if (!strcmp(kind, "resize") || !strcmp(kind, "center"))
            m->count = sscanf(rest, "%127s %d %d %127s %d %d", m->a, &m->n[0], &m->n[1], m->b,
                              &m->n[2], &m->n[3]);
        else if (!strcmp(kind, "resize_short"))
            m->count = sscanf(rest, "%127s %d %d %d %127s %d %d", m->a, &m->n[0], &m->n[1],
                              &m->n[4], m->b, &m->n[2], &m->n[3]);
        else if (!strcmp(kind, "shortsize"))
            m->count = sscanf(rest, "%d %d %d %d %d", &m->n[0], &m->n[1], &m->n[2], &m->n[3],
                              &m->n[4]);
        else if (!strcmp(kind, "input"))
            m->count = sscanf(rest, "%127s %d %d", m->a, &m->n[0], &m->n[1]);
        k++;
    }
    fclose(fp);
    if (k == 0)
        fail_msg("no '%s' cases in the manifest", kind);
    return k;
}

static void opts_for(const char *flags, vgg_decode_opts *o)
{
    vgg_decode_opts_default(o);
    if (!strcmp(flags, "noexif"))
        o->ignore_exif = true;
    else if (!strcmp(flags, "alpha=drop"))
        o->alpha = VGG_ALPHA_DROP;
    else if (!strcmp(flags, "alpha=white"))
        o->alpha = VGG_ALPHA_WHITE;
    else if (!strcmp(flags, "damaged"))
        o->allow_damaged = true;
    else if (!strncmp(flags, "min_side=", 9))
        o->min_side = atoi(flags + 9);
}

/* ------------------------------------------------------------ decoding */

static mline cases[256];

static void decoded_pixels_equal_pillow(void **state)
{
    (void)state;
    int n = manifest("decode", cases, 256);
    int failures = 0, jpegs = 0, pngs = 0;
    for (int i = 0; i < n; i++) {
        mline *m = &cases[i];
        assert_int_equal(m->count, 5);
        vgg_decode_opts o;
        opts_for(m->c, &o);
        vgg_image *img = NULL;
        vgg_status st = vgg_image_load(fix_path(m->a), &o, &img);
        if (st != VGG_STATUS_OK) {
            print_error("%s (%s): %s\n", m->a, m->c, vgg_last_error());
            failures++;
            continue;
        }
        vgg_image *ref = read_rgb(m->b, m->n[0], m->n[1]);
        size_t nd = 0;
        int d = max_diff(img, ref, &nd);
        if (d != 0) {
            print_error("%s (%s): got %dx%d, Pillow %dx%d, max diff %d in %zu samples\n", m->a,
                        m->c, img->w, img->h, ref->w, ref->h, d, nd);
            failures++;
        }
        if (img->damaged != !strcmp(m->c, "damaged")) {
            print_error("%s: damaged flag %d\n", m->a, img->damaged);
            failures++;
        }
        if (strstr(m->a, ".jpg"))
            jpegs++;
        else
            pngs++;
        vgg_image_free(ref);
        vgg_image_free(img);
    }
    assert_true(jpegs > 20 && pngs > 20);
    assert_int_equal(failures, 0);
}

static void broken_files_get_status_naming_file(void **state)
{
    (void)state;
    int n = manifest("error", cases, 256);
    int failures = 0;
    for (int i = 0; i < n; i++) {
        mline *m = &cases[i];
        vgg_status want = !strcmp(m->b, "FORMAT")      ? VGG_STATUS_FORMAT
                          : !strcmp(m->b, "DAMAGED")   ? VGG_STATUS_DAMAGED
                          : !strcmp(m->b, "TOO_LARGE") ? VGG_STATUS_TOO_LARGE
                                                       : VGG_STATUS_COUNT_;
        assert_int_not_equal(want, VGG_STATUS_COUNT_);
        vgg_image *img = (vgg_image *)&img; /* must be set to NULL */
        const char *p = fix_path(m->a);
        vgg_status st = vgg_image_load(p, NULL, &img);
        const char *msg = vgg_last_error();
        if (st != want || img != NULL || !strstr(msg, p)) {
            print_error("%s: status %s (want %s), message '%s'\n", m->a, vgg_status_name(st),
                        m->b, msg);
            failures++;
        }
        /* the same bytes from memory: the message names the given name */
        size_t len;
        uint8_t *data = read_all(m->a, &len);
        st = vgg_image_decode(data, len, "buffer-name", NULL, &img);
        if (st != want || img != NULL || !strstr(vgg_last_error(), "'buffer-name'")) {
            print_error("%s from memory: %s '%s'\n", m->a, vgg_status_name(st), vgg_last_error());
            failures++;
        }
        free(data);
    }
    assert_int_equal(failures, 0);

    /* a file that is not there, a directory */
    vgg_image *img = NULL;
    assert_int_equal(vgg_image_load(FIX "/no-such-file.jpg", NULL, &img), VGG_STATUS_NOT_FOUND);
    assert_null(img);
    assert_non_null(strstr(vgg_last_error(), "no-such-file.jpg"));
    assert_int_equal(vgg_image_load(FIX, NULL, &img), VGG_STATUS_IO);
    assert_null(img);
}

static void pixel_limit_is_checked_from_header(void **state)
{
    (void)state;
    const char *files[] = { "jpeg_420.jpg", "png_rgb.png", "jpeg_progressive.jpg" };
    for (int i = 0; i < 3; i++) {
        vgg_decode_opts o;
        vgg_decode_opts_default(&o);
        assert_int_equal(o.max_pixels, (size_t)100000000);
        o.max_pixels = 45 * 37 - 1;
        vgg_image *img = NULL;
        assert_int_equal(vgg_image_load(fix_path(files[i]), &o, &img), VGG_STATUS_TOO_LARGE);
        assert_null(img);
        assert_non_null(strstr(vgg_last_error(), files[i]));
        o.max_pixels = 45 * 37;
        assert_int_equal(vgg_image_load(fix_path(files[i]), &o, &img), VGG_STATUS_OK);
        assert_int_equal(img->w * img->h, 45 * 37);
        vgg_image_free(img);
    }
    /* a zero-initialised options struct means the defaults */
    vgg_decode_opts zero;
    memset(&zero, 0, sizeof zero);
    vgg_image *img = NULL;
    assert_int_equal(vgg_image_load(fix_path("bad_jpeg_60000.jpg"), &zero, &img),
                     VGG_STATUS_TOO_LARGE);
    assert_null(img);
}

static void damaged_files_decode_when_allowed(void **state)
{
    (void)state;
    vgg_decode_opts o;
    vgg_decode_opts_default(&o);
    o.allow_damaged = true;
    vgg_image *img = NULL;
    /* a truncated JPEG: DAMAGED, naming the truncation in libjpeg's words */
    assert_int_equal(vgg_image_load(fix_path("bad_jpeg_truncated.jpg"), NULL, &img),
                     VGG_STATUS_DAMAGED);
    assert_null(img);
    assert_non_null(strstr(vgg_last_error(), "truncated (Premature end of JPEG file)"));
    assert_int_equal(vgg_image_load(fix_path("bad_jpeg_truncated.jpg"), &o, &img), VGG_STATUS_OK);
    assert_true(img->damaged);
    vgg_image_free(img);
    /* extraneous bytes are a warning, not damage, with or without the option */
    for (int allow = 0; allow < 2; allow++) {
        o.allow_damaged = allow;
        assert_int_equal(vgg_image_load(fix_path("bad_jpeg_extraneous.jpg"), &o, &img),
                         VGG_STATUS_OK);
        assert_false(img->damaged);
        assert_int_equal(img->warnings, 1);
        assert_string_equal(img->warning,
                            "Corrupt JPEG data: 4 extraneous bytes before marker 0xda");
        vgg_image_free(img);
    }
}

static void sniffing_uses_content(void **state)
{
    (void)state;
    assert_true(vgg_image_sniff_file(fix_path("png_named.jpg")));
    assert_true(vgg_image_sniff_file(fix_path("jpeg_cmyk.jpg")));
    assert_true(vgg_image_sniff_file(fix_path("png_gray16.png")));
    assert_false(vgg_image_sniff_file(fix_path("bad_garbage.jpg")));
    assert_false(vgg_image_sniff_file(fix_path("bad_empty.jpg")));
    assert_false(vgg_image_sniff_file(fix_path("bad_gif.gif")));
    assert_false(vgg_image_sniff_file(fix_path("missing.jpg")));
}

static void min_side_leaves_png_and_small_jpeg_full_size(void **state)
{
    (void)state;
    vgg_decode_opts o;
    vgg_decode_opts_default(&o);
    o.min_side = 30; /* 45x37 cannot be halved without going under 30 */
    vgg_image *img = NULL, *ref = read_rgb("jpeg_420.rgb", 45, 37);
    assert_int_equal(vgg_image_load(fix_path("jpeg_420.jpg"), &o, &img), VGG_STATUS_OK);
    assert_int_equal(max_diff(img, ref, NULL), 0);
    vgg_image_free(img);
    vgg_image_free(ref);
    o.min_side = 1;
    ref = read_rgb("png_rgb_white.rgb", 45, 37);
    assert_int_equal(vgg_image_load(fix_path("png_rgb.png"), &o, &img), VGG_STATUS_OK);
    assert_int_equal(max_diff(img, ref, NULL), 0);
    vgg_image_free(img);
    vgg_image_free(ref);
}

static void exif_parser_by_hand(void **state)
{
    (void)state;
    /* little-endian TIFF header, IFD0 at 8 with two entries; Orientation
     * (0x0112) SHORT 1 value 6 is the second */
    uint8_t le[] = { 'I', 'I', 42, 0, 8, 0, 0, 0, 2, 0,
                     0x0F, 0x01, 2, 0, 4, 0, 0, 0, 'a', 'b', 'c', 0,     /* Make */
                     0x12, 0x01, 3, 0, 1, 0, 0, 0, 6, 0, 0, 0,
                     0, 0, 0, 0 };
    assert_int_equal(vgg_exif_orientation(le, sizeof le), 6);
    /* big-endian, one entry, LONG value 8 */
    uint8_t be[] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1,
                     0x01, 0x12, 0, 4, 0, 0, 0, 1, 0, 0, 0, 8 };
    assert_int_equal(vgg_exif_orientation(be, sizeof be), 8);
    /* cut inside the entry: the entry is not read */
    assert_int_equal(vgg_exif_orientation(be, sizeof be - 1), 1);
    /* value out of range, wrong magic, IFD offset past the end, no data */
    be[21] = 9;
    assert_int_equal(vgg_exif_orientation(be, sizeof be), 1);
    be[21] = 3;
    assert_int_equal(vgg_exif_orientation(be, sizeof be), 3);
    be[3] = 43;
    assert_int_equal(vgg_exif_orientation(be, sizeof be), 1);
    be[3] = 42;
    be[7] = 200;
    assert_int_equal(vgg_exif_orientation(be, sizeof be), 1);
    assert_int_equal(vgg_exif_orientation(NULL, 0), 1);
    assert_int_equal(vgg_exif_orientation(le, 7), 1);
    /* an entry count far larger than the data */
    le[8] = 0xFF;
    le[9] = 0xFF;
    assert_int_equal(vgg_exif_orientation(le, sizeof le), 6);
}

/* ------------------------------------------------------------ threads */

typedef struct thread_job {
    int first, count, rounds, failures;
} thread_job;

static void *decode_many(void *arg)
{
    thread_job *j = arg;
    for (int r = 0; r < j->rounds; r++) {
        for (int i = j->first; i < j->first + j->count; i++) {
            mline *m = &cases[i];
            vgg_decode_opts o;
            opts_for(m->c, &o);
            vgg_image *img = NULL;
            size_t n;
            char *data = NULL;
            if (vgg_read_file(fix_path(m->b), 0, &data, &n) != VGG_STATUS_OK ||
                vgg_image_load(fix_path(m->a), &o, &img) != VGG_STATUS_OK ||
                n != (size_t)img->w * img->h * 3 || memcmp(data, img->px, n) != 0)
                j->failures++;
            free(data);
            vgg_image_free(img);
            /* errors in between: the messages are per thread */
            if (vgg_image_load(fix_path("bad_garbage.jpg"), NULL, &img) != VGG_STATUS_FORMAT ||
                !strstr(vgg_last_error(), "bad_garbage.jpg"))
                j->failures++;
        }
    }
    return NULL;
}

static void decoding_is_reentrant(void **state)
{
    (void)state;
    int n = manifest("decode", cases, 256);
    enum { T = 4 };
    pthread_t th[T];
    thread_job jobs[T];
    for (int t = 0; t < T; t++) {
        /* overlapping ranges, every thread starting elsewhere */
        jobs[t] = (thread_job){ .first = t * n / (2 * T), .count = n / 2, .rounds = 2 };
        assert_int_equal(pthread_create(&th[t], NULL, decode_many, &jobs[t]), 0);
    }
    for (int t = 0; t < T; t++) {
        pthread_join(th[t], NULL);
        assert_int_equal(jobs[t].failures, 0);
    }
}

/* ------------------------------------------------------------ resizing */

static void resize_matches_pillow_bilinear(void **state)
{
    (void)state;
    int n = manifest("resize", cases, 256);
    int failures = 0, exact = 0;
    for (int i = 0; i < n; i++) {
        mline *m = &cases[i];
        vgg_image *src = read_rgb(m->a, m->n[0], m->n[1]);
        vgg_image *ref = read_rgb(m->b, m->n[2], m->n[3]);
        vgg_image *out = NULL;
        assert_int_equal(vgg_image_resize(src, m->n[2], m->n[3], &out), VGG_STATUS_OK);
        size_t nd = 0;
        int d = max_diff(out, ref, &nd);
        bool same = m->n[0] == m->n[2] && m->n[1] == m->n[3];
        if (d < 0 || d > 1 || (same && d != 0)) {
            print_error("%s -> %s: max diff %d (%zu samples)\n", m->a, m->b, d, nd);
            failures++;
        }
        exact += d == 0;
        vgg_image_free(src);
        vgg_image_free(ref);
        vgg_image_free(out);
    }
    print_message("resize: %d of %d cases identical to Pillow\n", exact, n);
    assert_int_equal(failures, 0);
}

static void resize_short_matches_torchvision(void **state)
{
    (void)state;
    int n = manifest("shortsize", cases, 256);
    for (int i = 0; i < n; i++) {
        int ow = -1, oh = -1;
        vgg_image_size_for_short_side(cases[i].n[0], cases[i].n[1], cases[i].n[2], &ow, &oh);
        if (ow != cases[i].n[3] || oh != cases[i].n[4])
            fail_msg("%dx%d q=%d: got %dx%d, torchvision %dx%d", cases[i].n[0], cases[i].n[1],
                     cases[i].n[2], ow, oh, cases[i].n[3], cases[i].n[4]);
    }
    n = manifest("resize_short", cases, 256);
    for (int i = 0; i < n; i++) {
        mline *m = &cases[i];
        vgg_image *src = read_rgb(m->a, m->n[0], m->n[1]);
        vgg_image *ref = read_rgb(m->b, m->n[2], m->n[3]);
        vgg_image *out = NULL;
        assert_int_equal(vgg_image_resize_short(src, m->n[4], &out), VGG_STATUS_OK);
        int d = max_diff(out, ref, NULL);
        if (d < 0 || d > 1)
            fail_msg("Resize(%d): diff %d", m->n[4], d);
        vgg_image_free(src);
        vgg_image_free(ref);
        vgg_image_free(out);
    }
}

static void resize_rejects_bad_sizes(void **state)
{
    (void)state;
    vgg_image *src = NULL, *out = (vgg_image *)&src;
    assert_int_equal(vgg_image_new(4, 3, &src), VGG_STATUS_OK);
    assert_int_equal(vgg_image_resize(src, 0, 3, &out), VGG_STATUS_INVALID);
    assert_null(out);
    assert_int_equal(vgg_image_resize_short(src, -2, &out), VGG_STATUS_INVALID);
    assert_null(out);
    assert_int_equal(vgg_image_new(0, 3, &out), VGG_STATUS_INVALID);
    assert_null(out);
    vgg_image_free(src);
    vgg_image_free(NULL);
}

static void resize_of_constant_stays_constant(void **state)
{
    (void)state;
    /* normalised weights: any size from a flat image is the same flat image */
    vgg_image *src = NULL, *out = NULL;
    assert_int_equal(vgg_image_new(13, 7, &src), VGG_STATUS_OK);
    for (size_t i = 0; i < 13 * 7 * 3; i++)
        src->px[i] = (uint8_t)(i % 3 == 0 ? 200 : i % 3 == 1 ? 7 : 255);
    int sizes[][2] = { { 1, 1 }, { 5, 3 }, { 40, 29 }, { 13, 100 }, { 200, 7 } };
    for (int k = 0; k < 5; k++) {
        assert_int_equal(vgg_image_resize(src, sizes[k][0], sizes[k][1], &out), VGG_STATUS_OK);
        for (size_t i = 0; i < (size_t)out->w * out->h * 3; i++)
            assert_int_equal(out->px[i], i % 3 == 0 ? 200 : i % 3 == 1 ? 7 : 255);
        vgg_image_free(out);
    }
    vgg_image_free(src);
}

/* ------------------------------------------------------------ crops, flips, grid */

static void center_crop_matches_torchvision(void **state)
{
    (void)state;
    int n = manifest("center", cases, 256);
    for (int i = 0; i < n; i++) {
        mline *m = &cases[i];
        vgg_image *src = read_rgb(m->a, m->n[0], m->n[1]);
        vgg_image *ref = read_rgb(m->b, m->n[2], m->n[3]);
        vgg_image *out = NULL;
        assert_int_equal(vgg_image_center_crop(src, m->n[2], m->n[3], &out), VGG_STATUS_OK);
        if (max_diff(out, ref, NULL) != 0)
            fail_msg("CenterCrop(%d, %d) differs", m->n[3], m->n[2]);
        vgg_image_free(src);
        vgg_image_free(ref);
        vgg_image_free(out);
    }
}

static void crop_and_flip_by_hand(void **state)
{
    (void)state;
    vgg_image *img = NULL, *c = (vgg_image *)&img;
    assert_int_equal(vgg_image_new(3, 2, &img), VGG_STATUS_OK);
    for (int i = 0; i < 18; i++)
        img->px[i] = (uint8_t)i;
    /* region outside the image */
    assert_int_equal(vgg_image_crop(img, 2, 0, 2, 1, &c), VGG_STATUS_INVALID);
    assert_null(c);
    assert_int_equal(vgg_image_crop(img, -1, 0, 1, 1, &c), VGG_STATUS_INVALID);
    assert_int_equal(vgg_image_center_crop(img, 4, 1, &c), VGG_STATUS_INVALID);
    assert_null(c);
    /* pixel (x=1, y=1) is bytes 12..14 */
    assert_int_equal(vgg_image_crop(img, 1, 1, 2, 1, &c), VGG_STATUS_OK);
    const uint8_t want[] = { 12, 13, 14, 15, 16, 17 };
    assert_memory_equal(c->px, want, 6);
    vgg_image_free(c);
    /* flip: row 0 pixels (0,1,2),(3,4,5),(6,7,8) become reversed */
    vgg_image_flip(img);
    const uint8_t flipped[] = { 6, 7, 8, 3, 4, 5, 0, 1, 2, 15, 16, 17, 12, 13, 14, 9, 10, 11 };
    assert_memory_equal(img->px, flipped, 18);
    vgg_image_flip(NULL);
    vgg_image_free(img);
}

static void grid_offsets_by_hand(void **state)
{
    (void)state;
    int xs[5], ys[5];
    /* 256x341, crops of 224: spans 32 and 117 in quarters */
    vgg_image_grid_offsets(256, 341, 224, 5, xs, ys);
    const int wx[5] = { 0, 8, 16, 24, 32 };
    const int wy[5] = { 0, 29, 59, 88, 117 }; /* 29.25, 58.5 (up), 87.75 */
    assert_memory_equal(xs, wx, sizeof wx);
    assert_memory_equal(ys, wy, sizeof wy);
    /* a side equal to the crop, and one shorter */
    vgg_image_grid_offsets(224, 200, 224, 5, xs, ys);
    for (int i = 0; i < 5; i++)
        assert_true(xs[i] == 0 && ys[i] == 0);
    /* grid 1: the centre crop (torchvision rounding: 2.5 -> 2, 3.5 -> 4) */
    vgg_image_grid_offsets(229, 231, 224, 1, xs, ys);
    assert_int_equal(xs[0], 2);
    assert_int_equal(ys[0], 4);
    /* grid 3 over 384x256 */
    int x3[3], y3[3];
    vgg_image_grid_offsets(384, 256, 224, 3, x3, y3);
    assert_int_equal(x3[1], 80);
    assert_int_equal(x3[2], 160);
    assert_int_equal(y3[1], 16);
    assert_int_equal(y3[2], 32);
}

/* ------------------------------------------------------------ network input */

static float *read_f32(const char *name, size_t count)
{
    size_t n;
    uint8_t *data = read_all(name, &n);
    assert_int_equal(n, count * 4);
    float *f = malloc(n);
    memcpy(f, data, n); /* little-endian host */
    free(data);
    return f;
}

static void input_matches_torch(void **state)
{
    (void)state;
    manifest("input", cases, 256);
    mline *m = &cases[0];
    const int w = m->n[0], h = m->n[1];
    const size_t count = (size_t)3 * w * h;
    vgg_image *img = read_rgb(m->a, w, h);
    float *out = malloc(count * sizeof *out);
    struct { const char *ref; bool caffe, flip; } runs[] = {
        { "input_torchvision.f32", false, false },
        { "input_torchvision_flip.f32", false, true },
        { "input_caffe.f32", true, false },
    };
    for (int r = 0; r < 3; r++) {
        vgg_preproc p;
        if (runs[r].caffe)
            vgg_preproc_caffe(&p);
        else
            vgg_preproc_torchvision(&p);
        float *ref = read_f32(runs[r].ref, count);
        vgg_image_to_input(img, &p, runs[r].flip, out);
        float tol = runs[r].caffe ? 1e-4f : 1e-5f;
        for (size_t i = 0; i < count; i++)
            if (fabsf(out[i] - ref[i]) > tol)
                fail_msg("%s: element %zu is %.7g, torch %.7g", runs[r].ref, i, out[i], ref[i]);
        free(ref);
    }
    /* a colour shift of +s in RGB units: channel by channel by hand */
    vgg_preproc p;
    vgg_preproc_caffe(&p); /* BGR: network channel 0 reads blue */
    const float shift[3] = { 10.0f, -20.0f, 3.5f };
    vgg_image_to_input_shifted(img, &p, false, shift, out);
    const uint8_t *px = img->px; /* pixel (0, 0) */
    assert_float_equal(out[0], px[2] + 3.5f - 103.939f, 1e-3f);
    assert_float_equal(out[(size_t)w * h], px[1] - 20.0f - 116.779f, 1e-3f);
    assert_float_equal(out[(size_t)2 * w * h], px[0] + 10.0f - 123.68f, 1e-3f);
    free(out);
    vgg_image_free(img);
}

static void rng_is_splitmix64(void **state)
{
    (void)state;
    /* splitmix64 from state 0: the reference outputs of Vigna's splitmix64.c */
    uint64_t s = 0;
    assert_true(vgg_rng_next(&s) == 0xE220A8397B1DCDAFull);
    assert_true(vgg_rng_next(&s) == 0x6E789E6AA1B965F4ull);
    assert_true(vgg_rng_next(&s) == 0x06C45D188009454Full);

    uint64_t a = 42, b = 42;
    double sum = 0, sum2 = 0, umin = 1, umax = 0;
    const int n = 200000;
    for (int i = 0; i < n; i++) {
        double u = vgg_rng_uniform(&a);
        assert_true(u == vgg_rng_uniform(&b));
        umin = fmin(umin, u);
        umax = fmax(umax, u);
        double z = vgg_rng_normal(&a);
        assert_true(z == vgg_rng_normal(&b));
        sum += z;
        sum2 += z * z;
    }
    assert_true(umin >= 0.0 && umin < 1e-3 && umax < 1.0 && umax > 0.999);
    double mean = sum / n, var = sum2 / n - mean * mean;
    assert_true(fabs(mean) < 0.01);   /* 4.5 standard errors */
    assert_true(fabs(var - 1.0) < 0.015);

    int hits[7] = { 0 };
    uint64_t r = 7;
    for (int i = 0; i < 7000; i++) {
        int x, y;
        vgg_image_random_offset(230, 224, 224, 224, &r, &x, &y);
        assert_true(x >= 0 && x <= 6 && y == 0);
        hits[x]++;
    }
    for (int i = 0; i < 7; i++)
        assert_true(hits[i] > 800 && hits[i] < 1200);
}

static void color_shift_is_pca_lighting(void **state)
{
    (void)state;
    /* REFERENCE.md: eigenvalues and the eigenvector matrix (rows R, G, B) */
    const double lam[3] = { 0.2175, 0.0188, 0.0045 };
    const double V[3][3] = { { -0.5675, 0.7192, 0.4009 },
                             { -0.5808, -0.0045, -0.8140 },
                             { -0.5836, -0.6948, 0.4203 } };
    uint64_t s = 1234, copy = 1234;
    double acc[3] = { 0 };
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        float shift[3];
        vgg_color_shift_draw(&s, 0.1f, shift);
        double alpha[3];
        for (int k = 0; k < 3; k++)
            alpha[k] = vgg_rng_normal(&copy) * 0.1;
        for (int c = 0; c < 3; c++) {
            double want = 255.0 * (V[c][0] * alpha[0] * lam[0] + V[c][1] * alpha[1] * lam[1] +
                                   V[c][2] * alpha[2] * lam[2]);
            assert_float_equal(shift[c], want, 1e-3);
            acc[c] += shift[c] * shift[c];
        }
    }
    assert_true(s == copy);
    /* the spread per channel: 255 * 0.1 * sqrt(sum_k V[c][k]^2 lam_k^2) */
    for (int c = 0; c < 3; c++) {
        double sd = 0;
        for (int k = 0; k < 3; k++)
            sd += V[c][k] * V[c][k] * lam[k] * lam[k];
        sd = 25.5 * sqrt(sd);
        assert_float_equal(sqrt(acc[c] / n), sd, 0.03 * sd);
    }
    float zero[3];
    vgg_color_shift_draw(&s, 0.0f, zero);
    assert_true(zero[0] == 0 && zero[1] == 0 && zero[2] == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoded_pixels_equal_pillow),
        cmocka_unit_test(broken_files_get_status_naming_file),
        cmocka_unit_test(pixel_limit_is_checked_from_header),
        cmocka_unit_test(damaged_files_decode_when_allowed),
        cmocka_unit_test(sniffing_uses_content),
        cmocka_unit_test(min_side_leaves_png_and_small_jpeg_full_size),
        cmocka_unit_test(exif_parser_by_hand),
        cmocka_unit_test(decoding_is_reentrant),
        cmocka_unit_test(resize_matches_pillow_bilinear),
        cmocka_unit_test(resize_short_matches_torchvision),
        cmocka_unit_test(resize_rejects_bad_sizes),
        cmocka_unit_test(resize_of_constant_stays_constant),
        cmocka_unit_test(center_crop_matches_torchvision),
        cmocka_unit_test(crop_and_flip_by_hand),
        cmocka_unit_test(grid_offsets_by_hand),
        cmocka_unit_test(input_matches_torch),
        cmocka_unit_test(rng_is_splitmix64),
        cmocka_unit_test(color_shift_is_pca_lighting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
