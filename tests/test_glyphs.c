/* Rendered glyph sets (vggdata glyphs): determinism, ink in every image,
 * source and target sets sharing no character, missing fonts and glyphs.
 * Needs the Debian CJK faces that pipelines/setup.sh installs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vgg/datasets.h"
#include "vgg/image.h"
#include "datasets_internal.h" /* ds_write_png_gray */

#define ROOT "glyphs_tmp"

static void small_opts(vgg_glyph_opts *o, uint64_t seed)
{
    vgg_glyph_opts_default(o);
    o->n_classes = 6;
    o->per_class = 5;
    o->seed = seed;
}

static void render(const vgg_glyph_opts *o, const char *dir, vgg_glyph_report *rep)
{
    mkdir(ROOT, 0777);
    vgg_status st = vgg_glyphs_render(o, dir, rep);
    if (st != VGG_STATUS_OK)
        fail_msg("%s", vgg_last_error());
}

static char *slurp(const char *path, size_t *n)
{
    char *text = NULL;
    assert_int_equal(vgg_read_file(path, 1 << 24, &text, n), VGG_STATUS_OK);
    return text;
}

static void same_seed_same_bytes(void **state)
{
    (void)state;
    vgg_glyph_opts o;
    vgg_glyph_report a, b, c;
    small_opts(&o, 7);
    render(&o, ROOT "/seed7a", &a);
    render(&o, ROOT "/seed7b", &b);
    small_opts(&o, 8);
    render(&o, ROOT "/seed8", &c);
    assert_int_equal(a.images, 30);
    assert_int_equal(b.images, 30);
    vgg_list *la = NULL, *lb = NULL, *lc = NULL;
    assert_int_equal(vgg_list_read(ROOT "/seed7a/list.txt", 0, &la), VGG_STATUS_OK);
    assert_int_equal(vgg_list_read(ROOT "/seed7b/list.txt", 0, &lb), VGG_STATUS_OK);
    assert_int_equal(vgg_list_read(ROOT "/seed8/list.txt", 0, &lc), VGG_STATUS_OK);
    assert_int_equal(la->n, 30);
    assert_int_equal(lb->n, 30);
    int differ = 0;
    for (size_t i = 0; i < la->n; i++) {
        assert_string_equal(la->labels[i], lb->labels[i]);
        size_t na, nb, nc;
        char *da = slurp(la->paths[i], &na), *db = slurp(lb->paths[i], &nb);
        char *dc = slurp(lc->paths[i], &nc);
        assert_int_equal(na, nb);
        assert_memory_equal(da, db, na);
        differ += na != nc || memcmp(da, dc, na) != 0;
        free(da);
        free(db);
        free(dc);
    }
    /* another seed: other characters or other renders */
    assert_true(differ > 25);
    vgg_list_free(la);
    vgg_list_free(lb);
    vgg_list_free(lc);
}

/* Every image is 32x32 and has ink: pixels clearly brighter than its
 * ground (the darkest tenth), in a glyph-sized amount, neither a few
 * specks nor the whole image. */
static void every_image_has_ink(void **state)
{
    (void)state;
    vgg_glyph_opts o;
    vgg_glyph_report rep;
    small_opts(&o, 3);
    o.per_class = 20;
    render(&o, ROOT "/ink", &rep);
    vgg_list *l = NULL;
    assert_int_equal(vgg_list_read(ROOT "/ink/list.txt", 0, &l), VGG_STATUS_OK);
    assert_int_equal(l->n, 120);
    vgg_decode_opts d;
    vgg_decode_opts_default(&d);
    for (size_t i = 0; i < l->n; i++) {
        vgg_image *img = NULL;
        assert_int_equal(vgg_image_load(l->paths[i], &d, &img), VGG_STATUS_OK);
        assert_int_equal(img->w, 32);
        assert_int_equal(img->h, 32);
        int hist[256] = {0};
        for (int p = 0; p < 32 * 32; p++)
            hist[img->px[3 * p]]++;
        int ground = 0;
        for (int acc = 0; acc + hist[ground] < 102; ground++)
            acc += hist[ground];
        int bright = 0;
        for (int p = 0; p < 32 * 32; p++)
            bright += img->px[3 * p] > ground + 80;
        if (bright < 25 || bright > 800)
            fail_msg("%s: %d pixels of ink over a ground of %d", l->paths[i], bright, ground);
        vgg_image_free(img);
    }
    vgg_list_free(l);
}

static void read_classes(const char *path, char ***names, size_t *n)
{
    vgg_list *l = NULL;
    assert_int_equal(vgg_list_read(path, 0, &l), VGG_STATUS_OK);
    *n = l->n;
    *names = calloc(l->n, sizeof **names);
    for (size_t i = 0; i < l->n; i++)
        (*names)[i] = strdup(l->paths[i]);
    vgg_list_free(l);
}

static size_t shared(char **a, size_t na, char **b, size_t nb)
{
    size_t k = 0;
    for (size_t i = 0; i < na; i++)
        for (size_t j = 0; j < nb; j++)
            k += strcmp(a[i], b[j]) == 0;
    return k;
}

static void source_and_target_share_no_character(void **state)
{
    (void)state;
    /* a narrow range, so that two draws of 20 would overlap without
     * --exclude: 64 ideographs, 20 for the source, 20 more for a target */
    vgg_glyph_opts o;
    vgg_glyph_report src, tgt, hangul;
    small_opts(&o, 1);
    o.first = 0x4E00;
    o.last = 0x4E3F;
    o.n_classes = 20;
    o.per_class = 1;
    render(&o, ROOT "/src", &src);
    assert_int_equal(src.classes, 20);
    o.seed = 2;
    render(&o, ROOT "/same-range", &tgt);
    o.exclude = ROOT "/src/classes.txt";
    render(&o, ROOT "/tgt", &tgt);
    assert_int_equal(tgt.classes, 20);
    assert_int_equal(tgt.excluded, 20);
    o.first = 0xAC00;
    o.last = 0xD7A3;
    render(&o, ROOT "/hangul", &hangul);
    assert_int_equal(hangul.classes, 20);
    assert_int_equal(hangul.uncovered, 0);
    assert_int_equal(hangul.faces, 5);   /* Noto x4 and WenQuanYi cover Hangul */
    assert_int_equal(hangul.faces_left_out, 4);

    char **s, **t, **u, **h;
    size_t ns, nt, nu, nh;
    read_classes(ROOT "/src/classes.txt", &s, &ns);
    read_classes(ROOT "/same-range/classes.txt", &u, &nu);
    read_classes(ROOT "/tgt/classes.txt", &t, &nt);
    read_classes(ROOT "/hangul/classes.txt", &h, &nh);
    assert_true(shared(s, ns, u, nu) > 0);   /* the draw alone overlaps */
    assert_int_equal(shared(s, ns, t, nt), 0);
    assert_int_equal(shared(s, ns, h, nh), 0);
    for (size_t i = 0; i < nh; i++) {
        unsigned long cp = strtoul(h[i] + 2, NULL, 16);
        assert_true(cp >= 0xAC00 && cp <= 0xD7A3);
    }
    for (size_t i = 0; i < ns; i++)
        free(s[i]);
    for (size_t i = 0; i < nt; i++)
        free(t[i]);
    for (size_t i = 0; i < nu; i++)
        free(u[i]);
    for (size_t i = 0; i < nh; i++)
        free(h[i]);
    free(s);
    free(t);
    free(u);
    free(h);
}

static void missing_font_is_an_error(void **state)
{
    (void)state;
    const char *faces[] = {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                           "/nonexistent/NoSuchFont.ttf"};
    vgg_glyph_opts o;
    vgg_glyph_report rep;
    small_opts(&o, 1);
    o.faces = faces;
    o.n_faces = 2;
    mkdir(ROOT, 0777);
    assert_int_equal(vgg_glyphs_render(&o, ROOT "/missing", &rep), VGG_STATUS_NOT_FOUND);
    assert_non_null(strstr(vgg_last_error(), "/nonexistent/NoSuchFont.ttf"));
    struct stat sb;
    assert_int_not_equal(stat(ROOT "/missing/list.txt", &sb), 0);
}

/* Characters a face lacks are left out and counted, never drawn as the
 * face's "notdef" box: IPA Gothic covers under half of the ideographs. */
static void uncovered_characters_are_left_out(void **state)
{
    (void)state;
    const char *faces[] = {"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
                           "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf"};
    vgg_glyph_opts o;
    vgg_glyph_report rep;
    small_opts(&o, 1);
    o.faces = faces;
    o.n_faces = 2;
    o.first = 0x9F00;
    o.last = 0x9FFF;
    o.n_classes = 0;
    o.per_class = 1;
    o.min_coverage = 0.0;
    render(&o, ROOT "/covered", &rep);
    assert_int_equal(rep.faces, 2);
    assert_true(rep.uncovered > 50);
    assert_true(rep.classes > 20);
    assert_int_equal(rep.classes + rep.uncovered, 256);
    /* and asking for more than are covered says so */
    o.n_classes = 256;
    assert_int_equal(vgg_glyphs_render(&o, ROOT "/too-many", &rep), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "covered by every face"));
}

/* The zlib-only PNG writer, read back by libpng (image/): every pixel of a
 * gradient with noise, in sizes from one pixel to rows longer than one
 * deflate block; a size it cannot write is refused naming the file. */
static void png_writer_reads_back_through_libpng(void **state)
{
    (void)state;
    static const int sizes[][2] = { { 1, 1 }, { 3, 2 }, { 7, 5 }, { 300, 41 } };
    mkdir(ROOT, 0777);
    vgg_decode_opts d;
    vgg_decode_opts_default(&d);
    uint64_t rng = 7;
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int w = sizes[t][0], h = sizes[t][1];
        uint8_t *px = malloc((size_t)w * h);
        assert_non_null(px);
        for (int i = 0; i < w * h; i++)
            px[i] = (uint8_t)((i * 37 + (int)(vgg_rng_next(&rng) % 5)) & 0xff);
        char path[64];
        snprintf(path, sizeof path, ROOT "/w%dh%d.png", w, h);
        assert_int_equal(ds_write_png_gray(path, px, w, h), VGG_STATUS_OK);
        vgg_image *img = NULL;
        assert_int_equal(vgg_image_load(path, &d, &img), VGG_STATUS_OK);
        assert_int_equal(img->w, w);
        assert_int_equal(img->h, h);
        for (int i = 0; i < w * h; i++)
            for (int ch = 0; ch < 3; ch++)
                if (img->px[3 * i + ch] != px[i])
                    fail_msg("%s: pixel %d channel %d is %d, wrote %d", path, i, ch,
                             img->px[3 * i + ch], px[i]);
        vgg_image_free(img);
        free(px);
    }
    uint8_t one = 0;
    assert_int_equal(ds_write_png_gray(ROOT "/empty.png", &one, 0, 1), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), ROOT "/empty.png"));
    assert_int_equal(ds_write_png_gray(ROOT "/no-such-dir/x.png", &one, 1, 1), VGG_STATUS_IO);
    assert_non_null(strstr(vgg_last_error(), "no-such-dir/x.png"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(same_seed_same_bytes),
        cmocka_unit_test(every_image_has_ink),
        cmocka_unit_test(source_and_target_share_no_character),
        cmocka_unit_test(missing_font_is_an_error),
        cmocka_unit_test(uncovered_characters_are_left_out),
        cmocka_unit_test(png_writer_reads_back_through_libpng),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
