/* image/: reading what the ecosystem reads, as Pillow 9.4 reads it.
 *   - libjpeg's and libpng's warnings about the data are counted, not
 *     fatal; truncated files are refused ("truncated");
 *   - the network input's budget is in pixels and memory, with no rule on
 *     the aspect ratio;
 *   - transparency is dropped by default (Pillow's convert("RGB")), composed
 *     on white on request;
 *   - orientation from PNG eXIf, "Raw profile type exif" text and XMP
 *     tiff:Orientation, with Pillow's precedence; XMP in a JPEG is not read.
 * Files are the committed fixtures (tests/fixtures/image) and variants of
 * them built here with chunks and segments added by hand; the parity of
 * all of this with Pillow over a larger corpus is test_image_corpus. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "vgg/image.h"
#include "image_internal.h"

#define FIX VGG_FIXTURES "/image"

static uint8_t *read_fixture(const char *name, size_t *n)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FIX, name);
    char *data = NULL;
    if (vgg_read_file(path, 0, &data, n) != VGG_STATUS_OK)
        fail_msg("cannot read fixture %s: %s", name, vgg_last_error());
    return (uint8_t *)data;
}

static vgg_image *read_rgb(const char *name, int w, int h)
{
    size_t n;
    uint8_t *data = read_fixture(name, &n);
    assert_int_equal(n, (size_t)w * h * 3);
    vgg_image *img = NULL;
    assert_int_equal(vgg_image_new(w, h, &img), VGG_STATUS_OK);
    memcpy(img->px, data, n);
    free(data);
    return img;
}

static bool same_pixels(const vgg_image *a, const vgg_image *b)
{
    return a->w == b->w && a->h == b->h && memcmp(a->px, b->px, (size_t)a->w * a->h * 3) == 0;
}

/* b is a turned as EXIF orientation o says (Pillow's exif_transpose):
 * 3 rotates 180 degrees, 6 turns 90 degrees clockwise, 8 anticlockwise */
static bool turned(const vgg_image *a, const vgg_image *b, int o)
{
    if (o == 1)
        return same_pixels(a, b);
    bool swap = o == 6 || o == 8;
    if (b->w != (swap ? a->h : a->w) || b->h != (swap ? a->w : a->h))
        return false;
    for (int y = 0; y < b->h; y++)
        for (int x = 0; x < b->w; x++) {
            int sx = o == 3 ? a->w - 1 - x : o == 6 ? y : a->w - 1 - y;
            int sy = o == 3 ? a->h - 1 - y : o == 6 ? a->h - 1 - x : x;
            if (memcmp(b->px + 3 * ((size_t)y * b->w + x), a->px + 3 * ((size_t)sy * a->w + sx), 3))
                return false;
        }
    return true;
}

/* ------------------------------------------------------------ files by hand */

typedef struct buf {
    uint8_t *p;
    size_t n, cap;
} buf;

static void put(buf *b, const void *data, size_t n)
{
    if (n == 0)
        return;
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2;
        b->p = realloc(b->p, b->cap);
        assert_non_null(b->p);
    }
    memcpy(b->p + b->n, data, n);
    b->n += n;
}

static void put_be32(buf *b, uint32_t v)
{
    uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
    put(b, x, 4);
}

static void put_chunk(buf *b, const char *type, const void *data, size_t n)
{
    put_be32(b, (uint32_t)n);
    put(b, type, 4);
    put(b, data, n);
    uLong crc = crc32(crc32(0, (const Bytef *)type, 4), (const Bytef *)data, (uInt)n);
    put_be32(b, (uint32_t)crc);
}

/* a text chunk key\0value (tEXt) or key\0\0\0\0\0value (iTXt) */
static void put_text(buf *b, const char *type, const char *key, const void *value, size_t n)
{
    buf t = { 0 };
    put(&t, key, strlen(key) + 1);
    if (!strcmp(type, "iTXt"))
        put(&t, "\0\0\0\0", 4);
    put(&t, value, n);
    put_chunk(b, type, t.p, t.n);
    free(t.p);
}

/* png_rgb.png (45x37) with the chunks in pre before its IDAT and those in
 * post after it */
static buf png_with(const buf *pre, const buf *post)
{
    size_t n;
    uint8_t *png = read_fixture("png_rgb.png", &n);
    size_t idat = 8;
    while (memcmp(png + idat + 4, "IDAT", 4) != 0)
        idat += 12 + ((size_t)png[idat] << 24 | (size_t)png[idat + 1] << 16 |
                      (size_t)png[idat + 2] << 8 | png[idat + 3]);
    size_t iend = n - 12;
    assert_memory_equal(png + iend + 4, "IEND", 4);
    buf b = { 0 };
    put(&b, png, idat);
    if (pre)
        put(&b, pre->p, pre->n);
    put(&b, png + idat, iend - idat);
    if (post)
        put(&b, post->p, post->n);
    put(&b, png + iend, 12);
    free(png);
    return b;
}

/* big-endian TIFF, IFD0 with Make and Orientation (SHORT) = o */
static size_t tiff_orientation(uint8_t *t, int o)
{
    static const uint8_t head[] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 2,
                                    0x01, 0x0F, 0, 2, 0, 0, 0, 4, 'C', 'a', 'm', 0,
                                    0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 0, 0, 0,
                                    0, 0, 0, 0 };
    memcpy(t, head, sizeof head);
    t[31] = (uint8_t)o;
    return sizeof head;
}

/* ImageMagick's "Raw profile type exif": "\nexif\n   LEN\n" and hex
 * lines of 72 digits, after "Exif\0\0" */
static size_t raw_profile(char *out, int o)
{
    uint8_t e[64] = "Exif\0\0";
    size_t n = 6 + tiff_orientation(e + 6, o), k = 0;
    k += (size_t)sprintf(out, "\nexif\n%8zu\n", n);
    for (size_t i = 0; i < n; i++) {
        k += (size_t)sprintf(out + k, "%02x", e[i]);
        if (i % 36 == 35 || i == n - 1)
            out[k++] = '\n';
    }
    out[k] = '\0';
    return k;
}

static vgg_image *decode(const buf *b, const vgg_decode_opts *o)
{
    vgg_image *img = NULL;
    if (vgg_image_decode(b->p, b->n, "variant.png", o, &img) != VGG_STATUS_OK)
        fail_msg("variant.png: %s", vgg_last_error());
    return img;
}

/* ------------------------------------------------------------ warnings */

static void decoder_warnings_are_counted_not_fatal(void **state)
{
    (void)state;
    struct { const char *file, *ref, *warning; int w, h; } cases[] = {
        { "bad_jpeg_extraneous.jpg", "bad_jpeg_extraneous.rgb",
          "Corrupt JPEG data: 4 extraneous bytes before marker 0xda", 45, 37 },
        { "bad_jpeg_rst.jpg", "bad_jpeg_rst.rgb",
          "Corrupt JPEG data: found marker 0xd5 instead of RST1", 45, 37 },
        { "bad_png_no_iend.png", "bad_png_no_iend.rgb",
          "the file is truncated after the image data", 45, 37 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", FIX, cases[i].file);
        vgg_image *img = NULL, *ref = read_rgb(cases[i].ref, cases[i].w, cases[i].h);
        assert_int_equal(vgg_image_load(path, NULL, &img), VGG_STATUS_OK);
        assert_true(same_pixels(img, ref));        /* Pillow's pixels */
        assert_false(img->damaged);
        assert_true(img->warnings >= 1);
        assert_string_equal(img->warning, cases[i].warning);
        vgg_image_free(img);
        vgg_image_free(ref);
    }
    /* a clean file: no warnings */
    vgg_image *img = NULL;
    assert_int_equal(vgg_image_load(FIX "/jpeg_420.jpg", NULL, &img), VGG_STATUS_OK);
    assert_int_equal(img->warnings, 0);
    assert_string_equal(img->warning, "");
    vgg_image_free(img);
}

static void png_checksums_as_pillow(void **state)
{
    (void)state;
    size_t n;
    uint8_t *png = read_fixture("png_rgb.png", &n);
    /* IDAT's CRC wrong: Pillow does not check it; a warning here */
    size_t iend = n - 12, idat_crc = iend - 4;
    png[idat_crc] ^= 0x55;
    vgg_image *img = NULL, *ref = read_rgb("png_rgb_drop.rgb", 45, 37);
    assert_int_equal(vgg_image_decode(png, n, "crc.png", NULL, &img), VGG_STATUS_OK);
    assert_true(same_pixels(img, ref));
    assert_int_equal(img->warnings, 1);
    assert_string_equal(img->warning, "IDAT: CRC error");
    vgg_image_free(img);
    png[idat_crc] ^= 0x55;
    /* truncated in the zlib stream's check, after every row: Pillow
     * decodes it; so do we, with a warning */
    assert_int_equal(vgg_image_decode(png, idat_crc - 2, "cut.png", NULL, &img), VGG_STATUS_OK);
    assert_true(same_pixels(img, ref));
    assert_string_equal(img->warning, "the file is truncated after the image data");
    vgg_image_free(img);
    vgg_image_free(ref);
    /* IHDR's CRC wrong: Pillow refuses it, so do we */
    png[29] ^= 0x55;
    assert_int_equal(vgg_image_decode(png, n, "ihdr.png", NULL, &img), VGG_STATUS_FORMAT);
    assert_string_equal(vgg_last_error(), "'ihdr.png': bad PNG: IHDR: CRC error");
    free(png);
}

static void truncated_files_are_refused(void **state)
{
    (void)state;
    vgg_image *img = NULL;
    assert_int_equal(vgg_image_load(FIX "/bad_jpeg_truncated.jpg", NULL, &img),
                     VGG_STATUS_DAMAGED);
    assert_null(img);
    assert_non_null(strstr(vgg_last_error(), "bad_jpeg_truncated.jpg': damaged JPEG: the file is "
                                             "truncated (Premature end of JPEG file)"));
    assert_int_equal(vgg_image_load(FIX "/bad_png_truncated.png", NULL, &img), VGG_STATUS_FORMAT);
    assert_null(img);
    assert_non_null(strstr(vgg_last_error(), "bad_png_truncated.png': bad PNG: the file is "
                                             "truncated"));
    /* the JPEG missing only its last byte is truncated too (Pillow: "image
     * file is truncated") */
    size_t n;
    uint8_t *jpg = read_fixture("jpeg_420.jpg", &n);
    assert_int_equal(vgg_image_decode(jpg, n - 1, "cut.jpg", NULL, &img), VGG_STATUS_DAMAGED);
    free(jpg);
}

/* ------------------------------------------------------------ budget */

static void budget_not_aspect_ratio(void **state)
{
    (void)state;
    /* a receipt, two banners: at the usual scales, whatever their shape */
    const int sizes[][2] = { { 60, 900 }, { 256, 10 }, { 750, 30 }, { 10, 256 } };
    for (int i = 0; i < 4; i++)
        for (int q = 256; q <= 512; q += 128)
            if (vgg_image_check_scale("x.png", sizes[i][0], sizes[i][1], q) != VGG_STATUS_OK)
                fail_msg("%dx%d at %d: %s", sizes[i][0], sizes[i][1], q, vgg_last_error());
    /* a line: both numbers and the option in the message */
    vgg_input_budget b = { 0, 2, "--max-input-pixels" };
    assert_int_equal(vgg_image_check_input("line.png", 1, 5000, 256, &b), VGG_STATUS_TOO_LARGE);
    assert_string_equal(vgg_last_error(),
                        "'line.png': image is 1x5000; at scale 256 it would be 256x1280000 = "
                        "327680000 pixels of network input, about 312.5 GiB of the net's "
                        "memory (512 bytes a pixel, twice with the flip), over the budget of "
                        "8388608 pixels (8.0 GiB); raise it with --max-input-pixels or use a "
                        "smaller scale");
    /* the option raises it */
    b.max_pixels = 400000000;
    assert_int_equal(vgg_image_check_input("line.png", 1, 5000, 256, &b), VGG_STATUS_OK);
    /* and the resize obeys the budget it is given */
    vgg_image *img = NULL, *out = NULL;
    assert_int_equal(vgg_image_new(3, 1, &img), VGG_STATUS_OK);
    memset(img->px, 100, 9);
    vgg_input_budget tiny = { 47, 1, NULL };
    assert_int_equal(vgg_image_resize_short_within(img, 4, &tiny, &out), VGG_STATUS_TOO_LARGE);
    assert_null(out);
    tiny.max_pixels = 48;
    assert_int_equal(vgg_image_resize_short_within(img, 4, &tiny, &out), VGG_STATUS_OK);
    assert_int_equal(out->w * out->h, 48);
    vgg_image_free(out);
    vgg_image_free(img);
}

/* ------------------------------------------------------------ alpha */

static void alpha_dropped_by_default(void **state)
{
    (void)state;
    vgg_image *img = NULL, *drop = read_rgb("png_rgba_drop.rgb", 45, 37),
              *white = read_rgb("png_rgba_white.rgb", 45, 37);
    assert_int_equal(vgg_image_load(FIX "/png_rgba.png", NULL, &img), VGG_STATUS_OK);
    assert_true(same_pixels(img, drop));
    vgg_image_free(img);
    vgg_decode_opts o;
    memset(&o, 0, sizeof o);        /* zero-initialised: the defaults */
    assert_int_equal(vgg_image_load(FIX "/png_rgba.png", &o, &img), VGG_STATUS_OK);
    assert_true(same_pixels(img, drop));
    vgg_image_free(img);
    vgg_decode_opts_default(&o);
    assert_int_equal(o.alpha, VGG_ALPHA_DROP);
    assert_int_equal(vgg_alpha_mode_parse("white", &o.alpha), VGG_STATUS_OK);
    assert_int_equal(vgg_image_load(FIX "/png_rgba.png", &o, &img), VGG_STATUS_OK);
    assert_true(same_pixels(img, white));
    vgg_image_free(img);
    assert_string_equal(vgg_alpha_mode_name(VGG_ALPHA_DROP), "drop");
    assert_string_equal(vgg_alpha_mode_name(VGG_ALPHA_WHITE), "white");
    assert_int_equal(vgg_alpha_mode_parse("black", &o.alpha), VGG_STATUS_INVALID);
    assert_string_equal(vgg_last_error(), "transparency 'black': drop or white");
    vgg_image_free(drop);
    vgg_image_free(white);
}

/* ------------------------------------------------------------ orientation */

static void png_orientation_from_text_and_xmp(void **state)
{
    (void)state;
    vgg_image *plain = read_rgb("png_rgb_drop.rgb", 45, 37);
    char raw[512], xmp[256];
    uint8_t tiff[64];
    struct { const char *what; int want; } cases[] = {
        { "raw profile 6 (tEXt)", 6 },
        { "raw profile 8 after the image data (tEXt)", 8 },
        { "XMP attribute 6 (iTXt)", 6 },
        { "XMP element 3 (tEXt)", 3 },
        { "EXIF 1 and XMP 6: EXIF's tag wins", 1 },
        { "EXIF without the tag and XMP 8: XMP", 8 },
        { "raw profile 3 and XMP 6: the raw profile", 3 },
        { "XMP 9: none", 1 },
    };
    for (int i = 0; i < 8; i++) {
        buf pre = { 0 }, post = { 0 };
        switch (i) {
        case 0: put_text(&pre, "tEXt", "Raw profile type exif", raw, raw_profile(raw, 6)); break;
        case 1: put_text(&post, "tEXt", "Raw profile type exif", raw, raw_profile(raw, 8)); break;
        case 2:
            snprintf(xmp, sizeof xmp, "<x:xmpmeta><rdf:Description tiff:Orientation=\"6\"/>");
            put_text(&pre, "iTXt", "XML:com.adobe.xmp", xmp, strlen(xmp));
            break;
        case 3:
            snprintf(xmp, sizeof xmp, "<tiff:Orientation>3</tiff:Orientation>");
            put_text(&pre, "tEXt", "XML:com.adobe.xmp", xmp, strlen(xmp));
            break;
        case 4:
            put_chunk(&pre, "eXIf", tiff, tiff_orientation(tiff, 1));
            snprintf(xmp, sizeof xmp, "tiff:Orientation=\"6\"");
            put_text(&pre, "iTXt", "XML:com.adobe.xmp", xmp, strlen(xmp));
            break;
        case 5: {
            size_t tn = tiff_orientation(tiff, 6);
            tiff[23] = 0x13;        /* the second tag becomes 0x0113: no Orientation */
            put_chunk(&pre, "eXIf", tiff, tn);
            snprintf(xmp, sizeof xmp, "tiff:Orientation=\"8\"");
            put_text(&pre, "iTXt", "XML:com.adobe.xmp", xmp, strlen(xmp));
            break;
        }
        case 6:
            put_text(&pre, "tEXt", "Raw profile type exif", raw, raw_profile(raw, 3));
            snprintf(xmp, sizeof xmp, "tiff:Orientation=\"6\"");
            put_text(&pre, "iTXt", "XML:com.adobe.xmp", xmp, strlen(xmp));
            break;
        default:
            snprintf(xmp, sizeof xmp, "tiff:Orientation=\"9\"");
            put_text(&pre, "iTXt", "XML:com.adobe.xmp", xmp, strlen(xmp));
            break;
        }
        buf png = png_with(&pre, &post);
        vgg_image *img = decode(&png, NULL);
        if (!turned(plain, img, cases[i].want))
            fail_msg("%s: not oriented %d (%dx%d)", cases[i].what, cases[i].want, img->w, img->h);
        /* ignore_exif leaves every source alone */
        vgg_decode_opts o;
        vgg_decode_opts_default(&o);
        o.ignore_exif = true;
        vgg_image *kept = decode(&png, &o);
        assert_true(same_pixels(kept, plain));
        vgg_image_free(kept);
        vgg_image_free(img);
        free(png.p);
        free(pre.p);
        free(post.p);
    }
    vgg_image_free(plain);
}

static void jpeg_xmp_is_not_read(void **state)
{
    (void)state;
    /* Pillow 9.4 reads no XMP in a JPEG: an APP1 XMP with orientation 6
     * leaves the image as it is */
    size_t n;
    uint8_t *jpg = read_fixture("jpeg_420.jpg", &n);
    static const char ns[] = "http://ns.adobe.com/xap/1.0/";
    const char *x = "<rdf:Description tiff:Orientation=\"6\"/>";
    buf b = { 0 };
    put(&b, jpg, 2);
    uint8_t m[4] = { 0xFF, 0xE1, 0, (uint8_t)(2 + sizeof ns + strlen(x)) };
    put(&b, m, 4);
    put(&b, ns, sizeof ns);
    put(&b, x, strlen(x));
    put(&b, jpg + 2, n - 2);
    vgg_image *img = NULL, *ref = read_rgb("jpeg_420.rgb", 45, 37);
    assert_int_equal(vgg_image_decode(b.p, b.n, "xmp.jpg", NULL, &img), VGG_STATUS_OK);
    assert_true(same_pixels(img, ref));
    vgg_image_free(img);
    vgg_image_free(ref);
    free(b.p);
    free(jpg);
}

static void exif_reader_as_pillow(void **state)
{
    (void)state;
    int v;
    /* big-endian, one entry, type t, count c, 4 value bytes */
    uint8_t e[] = { 'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1,
                    0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, 6, 0, 0,
                    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    assert_true(vgg_exif_orientation_tag(e, sizeof e, &v));
    assert_int_equal(v, 6);
    e[13] = 8;                            /* SSHORT */
    assert_true(vgg_exif_orientation_tag(e, sizeof e, &v));
    assert_int_equal(v, 6);
    e[13] = 1;                            /* BYTE: Pillow reads bytes, never applied */
    memcpy(e + 18, "\x06\0\0\0", 4);
    assert_true(vgg_exif_orientation_tag(e, sizeof e, &v));
    assert_int_equal(v, 0);
    assert_int_equal(vgg_exif_orientation(e, sizeof e), 1);
    e[13] = 5;                            /* RATIONAL 12/2 at offset 22: 6 */
    memcpy(e + 18, "\0\0\0\x16", 4);
    memcpy(e + 22, "\0\0\0\x0c\0\0\0\x02", 8);
    assert_true(vgg_exif_orientation_tag(e, sizeof e, &v));
    assert_int_equal(v, 6);
    e[21] = 30;                           /* its data past the end: the IFD stops, no tag */
    assert_false(vgg_exif_orientation_tag(e, sizeof e, &v));
    e[13] = 3;                            /* SHORT count 3 at offset 22: the first, 8 */
    e[17] = 3;
    e[21] = 22;
    memcpy(e + 22, "\0\x08\0\x03\0\x03", 6);
    assert_true(vgg_exif_orientation_tag(e, sizeof e, &v));
    assert_int_equal(v, 8);
    e[13] = 99;                           /* a type Pillow skips: no tag */
    assert_false(vgg_exif_orientation_tag(e, sizeof e, &v));
    /* the magic in the other byte order is accepted, as by Pillow */
    uint8_t le[] = { 'I', 'I', 0, 42, 8, 0, 0, 0, 2, 0,
                     0x12, 0x01, 3, 0, 1, 0, 0, 0, 3, 0, 0, 0,
                     0x12, 0x01, 3, 0, 1, 0, 0, 0, 5, 0, 0, 0 };
    assert_true(vgg_exif_orientation_tag(le, sizeof le, &v));
    assert_int_equal(v, 5);               /* repeated: the last counts */

    /* XMP: the first place tiff:Orientation(="|>)([0-9]) matches */
    const char *x1 = "a tiff:Orientation=\"x\" b tiff:Orientation=\"7\" c tiff:Orientation=\"2\"";
    assert_int_equal(vgg_xmp_orientation((const uint8_t *)x1, strlen(x1)), 7);
    const char *x2 = "<tiff:Orientation>4</tiff:Orientation>";
    assert_int_equal(vgg_xmp_orientation((const uint8_t *)x2, strlen(x2)), 4);
    const char *x3 = "tiff:Orientation = \"6\" tiff:Orientation=\"12\"";
    assert_int_equal(vgg_xmp_orientation((const uint8_t *)x3, strlen(x3)), 1);
    assert_int_equal(vgg_xmp_orientation((const uint8_t *)x2, 18), -1);

    /* raw profiles: hex after the third newline, white space between pairs,
     * pairs split by a newline */
    const char *r1 = "\nexif\n  4\n4d 4d\n00\r\n2\na";
    size_t n;
    uint8_t *b = vgg_exif_from_raw_profile((const uint8_t *)r1, strlen(r1), &n);
    assert_non_null(b);
    assert_int_equal(n, 4);
    assert_memory_equal(b, "MM\0*", 4);
    free(b);
    const char *r2 = "\nexif\n  4\n4d4g";     /* not hex: Pillow fails, no EXIF */
    assert_null(vgg_exif_from_raw_profile((const uint8_t *)r2, strlen(r2), &n));
    const char *r3 = "4d4d";                  /* fewer than three lines */
    assert_null(vgg_exif_from_raw_profile((const uint8_t *)r3, strlen(r3), &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decoder_warnings_are_counted_not_fatal),
        cmocka_unit_test(png_checksums_as_pillow),
        cmocka_unit_test(truncated_files_are_refused),
        cmocka_unit_test(budget_not_aspect_ratio),
        cmocka_unit_test(alpha_dropped_by_default),
        cmocka_unit_test(png_orientation_from_text_and_xmp),
        cmocka_unit_test(jpeg_xmp_is_not_read),
        cmocka_unit_test(exif_reader_as_pillow),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
