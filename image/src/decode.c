/* Decoding by content: JPEG through libjpeg-turbo, PNG through libpng.
 *
 * Both libraries report fatal errors by calling a handler that must not
 * return; ours longjmp back to the decode function, which turns the error
 * into a status.  Everything the handlers and the decode functions share
 * lives in a heap-allocated context, so no automatic variable changes
 * between setjmp and longjmp.  No global state: decoding is reentrant.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jerror.h>
#include <jpeglib.h>
#include <png.h>
#include <zlib.h>

#include "image_internal.h"

#define MAX_PROGRESSIVE_SCANS 1000

void vgg_decode_opts_default(vgg_decode_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_pixels = VGG_IMAGE_MAX_PIXELS;
    o->alpha = VGG_ALPHA_DROP;
}

const char *vgg_alpha_mode_name(vgg_alpha_mode m)
{
    return m == VGG_ALPHA_DROP ? "drop" : m == VGG_ALPHA_WHITE ? "white" : NULL;
}

vgg_status vgg_alpha_mode_parse(const char *text, vgg_alpha_mode *out)
{
    if (text && strcmp(text, "drop") == 0)
        *out = VGG_ALPHA_DROP;
    else if (text && strcmp(text, "white") == 0)
        *out = VGG_ALPHA_WHITE;
    else
        return vgg_fail(VGG_STATUS_INVALID, "transparency '%s': drop or white",
                        text ? text : "");
    return VGG_STATUS_OK;
}

/* one more warning about the data, the first one's words kept */
static void add_warning(int *count, char *first, size_t cap, const char *text)
{
    if (*count == 0)
        snprintf(first, cap, "%s", text);
    (*count)++;
}

vgg_status vgg_image_new(int w, int h, vgg_image **out)
{
    *out = NULL;
    if (w <= 0 || h <= 0)
        return vgg_fail(VGG_STATUS_INVALID, "image size %dx%d is not positive", w, h);
    if ((uint64_t)w * (uint64_t)h > SIZE_MAX / 3)
        return vgg_fail(VGG_STATUS_TOO_LARGE, "image size %dx%d is too large", w, h);
    vgg_image *img = calloc(1, sizeof *img);
    if (!img)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory for a %dx%d image", w, h);
    img->px = malloc((size_t)w * (size_t)h * 3);
    if (!img->px) {
        free(img);
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory for a %dx%d image", w, h);
    }
    img->w = w;
    img->h = h;
    *out = img;
    return VGG_STATUS_OK;
}

void vgg_image_free(vgg_image *img)
{
    if (!img)
        return;
    free(img->px);
    free(img);
}

static size_t max_pixels_of(const vgg_decode_opts *o)
{
    return o->max_pixels ? o->max_pixels : VGG_IMAGE_MAX_PIXELS;
}

static vgg_status check_size(const char *name, uint64_t w, uint64_t h, const vgg_decode_opts *o)
{
    if (w == 0 || h == 0)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': image size %llux%llu is empty", name,
                        (unsigned long long)w, (unsigned long long)h);
    if (w > INT_MAX / 4 || h > INT_MAX / 4 || w * h > max_pixels_of(o))
        return vgg_fail(VGG_STATUS_TOO_LARGE,
                        "'%s': image is %llux%llu (%llu pixels), over the limit of %zu pixels",
                        name, (unsigned long long)w, (unsigned long long)h,
                        (unsigned long long)(w * h), max_pixels_of(o));
    return VGG_STATUS_OK;
}

/* ---------------------------------------------------------------- JPEG */

typedef struct jpeg_ctx {
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr err;
    struct jpeg_progress_mgr progress;
    jmp_buf jb;
    vgg_status fail_status;     /* status to return after the longjmp */
    char msg[JMSG_LENGTH_MAX + 64];
    char warning[JMSG_LENGTH_MAX];   /* the first warning about the data */
    int warnings;
    bool damaged;               /* truncated, decoded with allow_damaged */
    bool stop_on_truncation;
    bool created;
    bool in_header;             /* still in jpeg_read_header */
    vgg_image *img;
    uint8_t *row;
} jpeg_ctx;

static void jpeg_on_error(j_common_ptr c)
{
    jpeg_ctx *ctx = (jpeg_ctx *)c->client_data;
    c->err->format_message(c, ctx->msg);
    ctx->fail_status = VGG_STATUS_FORMAT;
    longjmp(ctx->jb, 1);
}

static void jpeg_on_output(j_common_ptr c)
{
    (void)c; /* never print */
}

/* warnings about metadata, which leave the pixels alone */
static bool benign_warning(int code)
{
    return code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM || code == JWRN_BOGUS_ICC ||
           code == JWRN_NOT_SEQUENTIAL;
}

/* libjpeg's warnings: like Pillow (whose libjpeg error manager ignores
 * them), decode on, counting those about the data.  The one that means
 * the file is truncated (our memory source ran dry: "Premature end of JPEG
 * file") refuses it as Pillow does ("image file is truncated"), unless
 * allow_damaged (Pillow's LOAD_TRUNCATED_IMAGES). */
static void jpeg_on_message(j_common_ptr c, int level)
{
    if (level >= 0)
        return; /* trace messages */
    jpeg_ctx *ctx = (jpeg_ctx *)c->client_data;
    c->err->num_warnings++;
    if (benign_warning(c->err->msg_code))
        return;
    char text[JMSG_LENGTH_MAX];
    c->err->format_message(c, text);
    if (c->err->msg_code == JWRN_JPEG_EOF) {
        if (ctx->in_header) {
            /* cut short before any image data: nothing to salvage */
            snprintf(ctx->msg, sizeof ctx->msg, "the file is truncated in the header");
            ctx->fail_status = VGG_STATUS_FORMAT;
            longjmp(ctx->jb, 1);
        }
        ctx->damaged = true;
        if (ctx->stop_on_truncation) {
            snprintf(ctx->msg, sizeof ctx->msg, "the file is truncated (%s)", text);
            ctx->fail_status = VGG_STATUS_DAMAGED;
            longjmp(ctx->jb, 1);
        }
    }
    add_warning(&ctx->warnings, ctx->warning, sizeof ctx->warning, text);
}

static void jpeg_on_progress(j_common_ptr c)
{
    if (!c->is_decompressor)
        return;
    j_decompress_ptr d = (j_decompress_ptr)c;
    if (d->input_scan_number > MAX_PROGRESSIVE_SCANS) {
        jpeg_ctx *ctx = (jpeg_ctx *)c->client_data;
        snprintf(ctx->msg, sizeof ctx->msg, "more than %d progressive scans",
                 MAX_PROGRESSIVE_SCANS);
        ctx->fail_status = VGG_STATUS_FORMAT;
        longjmp(ctx->jb, 1);
    }
}

/* Pillow 9.4's EXIF of a JPEG: the first APP1 starting "Exif\0", read
 * after "Exif\0\0" (any other sixth byte: none, Pillow fails on it).  XMP
 * (an APP1 "http://ns.adobe.com/xap/1.0/") is not read: Pillow 9.4's
 * getexif does not look at it in a JPEG. */
static int find_exif_orientation(j_decompress_ptr cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 5 &&
            memcmp(m->data, "Exif\0", 5) == 0) {
            if (m->data_length < 6 || m->data[5] != 0)
                return 1;
            return vgg_exif_orientation(m->data + 6, m->data_length - 6);
        }
    }
    return 1;
}

static inline uint8_t muldiv255(unsigned a, unsigned b)
{
    unsigned t = a * b + 128;
    return (uint8_t)(((t >> 8) + t) >> 8);
}

/* One row of Adobe-inverted CMYK to RGB, as Pillow's "CMYK;I" unpacking
 * followed by its cmyk2rgb. */
static void cmyk_row_to_rgb(const uint8_t *in, uint8_t *out, int w)
{
    for (int x = 0; x < w; x++, in += 4, out += 3) {
        unsigned nk = in[3]; /* 255 - K, K = 255 - stored */
        for (int c = 0; c < 3; c++) {
            int v = (int)nk - muldiv255(255u - in[c], nk);
            out[c] = (uint8_t)(v < 0 ? 0 : v);
        }
    }
}

/* The decode proper; returns through longjmp on any libjpeg error. */
static vgg_status jpeg_run(jpeg_ctx *ctx, const uint8_t *data, size_t n, const char *name,
                           const vgg_decode_opts *o, int *orientation)
{
    struct jpeg_decompress_struct *cinfo = &ctx->cinfo;
    cinfo->client_data = ctx; /* kept by jpeg_create_decompress, whose errors need it */
    jpeg_create_decompress(cinfo);
    ctx->created = true;
    cinfo->progress = &ctx->progress;
    jpeg_mem_src(cinfo, data, (unsigned long)n);
    if (!o->ignore_exif)
        jpeg_save_markers(cinfo, JPEG_APP0 + 1, 0xFFFF);
    ctx->in_header = true;
    jpeg_read_header(cinfo, TRUE);
    ctx->in_header = false;

    vgg_status st = check_size(name, cinfo->image_width, cinfo->image_height, o);
    if (st != VGG_STATUS_OK)
        return st;
    *orientation = o->ignore_exif ? 1 : find_exif_orientation(cinfo);

    bool cmyk = false, gray = false;
    switch (cinfo->jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo->out_color_space = JCS_GRAYSCALE;
        gray = true;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        cinfo->out_color_space = JCS_CMYK;
        cmyk = true;
        break;
    default:
        cinfo->out_color_space = JCS_RGB;
        break;
    }

    if (o->min_side > 0) {
        unsigned w = cinfo->image_width, h = cinfo->image_height;
        unsigned denom = 1;
        for (unsigned d = 8; d >= 2; d /= 2) {
            unsigned sw = (w + d - 1) / d, sh = (h + d - 1) / d;
            if ((sw < sh ? sw : sh) >= (unsigned)o->min_side) {
                denom = d;
                break;
            }
        }
        cinfo->scale_num = 1;
        cinfo->scale_denom = denom;
    }

    jpeg_start_decompress(cinfo);
    const int w = (int)cinfo->output_width, h = (int)cinfo->output_height;
    const int comps = cinfo->output_components;
    if (comps != (gray ? 1 : cmyk ? 4 : 3)) {
        snprintf(ctx->msg, sizeof ctx->msg, "unexpected %d output components", comps);
        ctx->fail_status = VGG_STATUS_FORMAT;
        longjmp(ctx->jb, 1);
    }
    st = vgg_image_new(w, h, &ctx->img);
    if (st != VGG_STATUS_OK)
        return vgg_fail_context(st, "'%s': ", name);
    ctx->row = malloc((size_t)w * (size_t)comps);
    if (!ctx->row)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", name);

    while (cinfo->output_scanline < cinfo->output_height) {
        uint8_t *dst = ctx->img->px + (size_t)cinfo->output_scanline * w * 3;
        JSAMPROW rows[1] = { comps == 3 ? dst : ctx->row };
        if (jpeg_read_scanlines(cinfo, rows, 1) != 1) {
            snprintf(ctx->msg, sizeof ctx->msg, "decoder returned no scanline");
            ctx->fail_status = VGG_STATUS_FORMAT;
            longjmp(ctx->jb, 1);
        }
        if (gray) {
            for (int x = 0; x < w; x++)
                dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = ctx->row[x];
        } else if (cmyk) {
            cmyk_row_to_rgb(ctx->row, dst, w);
        }
    }
    jpeg_finish_decompress(cinfo);
    return VGG_STATUS_OK;
}

/* The decoded image to *out (marked damaged if it is, with its warnings)
 * when st is OK, else freed; returns st. */
static vgg_status hand_over(vgg_image *img, bool damaged, int warnings, const char *warning,
                            vgg_status st, vgg_image **out)
{
    if (st != VGG_STATUS_OK) {
        vgg_image_free(img);
        return st;
    }
    img->damaged = damaged;
    img->warnings = warnings;
    /* the first words of the first warning */
    size_t k = warnings ? strnlen(warning, sizeof img->warning - 1) : 0;
    memcpy(img->warning, warning, k);
    img->warning[k] = '\0';
    *out = img;
    return st;
}

static vgg_status decode_jpeg(const uint8_t *data, size_t n, const char *name,
                              const vgg_decode_opts *o, vgg_image **out, int *orientation)
{
    jpeg_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", name);
    ctx->cinfo.err = jpeg_std_error(&ctx->err);
    ctx->err.error_exit = jpeg_on_error;
    ctx->err.emit_message = jpeg_on_message;
    ctx->err.output_message = jpeg_on_output;
    ctx->progress.progress_monitor = jpeg_on_progress;
    ctx->stop_on_truncation = !o->allow_damaged;

    vgg_status st;
    if (setjmp(ctx->jb) == 0) {
        st = jpeg_run(ctx, data, n, name, o, orientation);
    } else {
        if (ctx->fail_status == VGG_STATUS_DAMAGED)
            st = vgg_fail(VGG_STATUS_DAMAGED, "'%s': damaged JPEG: %s", name, ctx->msg);
        else
            st = vgg_fail(ctx->fail_status, "'%s': bad JPEG: %s", name, ctx->msg);
    }
    if (ctx->created)
        jpeg_destroy_decompress(&ctx->cinfo);
    free(ctx->row);
    st = hand_over(ctx->img, ctx->damaged, ctx->warnings, ctx->warning, st, out);
    free(ctx);
    return st;
}

/* ----------------------------------------------------------------- PNG */

typedef struct png_ctx {
    const uint8_t *data;
    size_t n, pos;
    char msg[256];
    char warning[320];          /* the first warning about the data */
    int warnings;
    bool in_info;               /* png_read_info running: the chunks before IDAT */
    char crc_refused[64];       /* a critical chunk before IDAT failed its CRC */
    size_t rows_expected;       /* rows png_read_image decodes (all passes) */
    size_t rows_done;           /* rows decoded in full (the row callback) */
    bool trailer_lost;          /* an error after the last row: nothing more read */
    size_t past_end;            /* zero bytes given to libpng past the end of the file */
    size_t data_bytes;          /* filtered image data that make the whole image */
    int warnings_in_file;       /* the warnings before the end (the rest are the zeros') */
    uint8_t palette[256][4];    /* RGBA of each palette index (png_pillow_palette) */
    png_structp png;
    png_infop info;
    uint8_t *buf;
    png_bytep *rows;
    vgg_image *img;
} png_ctx;

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_ctx *ctx = png_get_error_ptr(png);
    /* past the end, libpng's words would be about the zeros it was given */
    snprintf(ctx->msg, sizeof ctx->msg, "%s",
             ctx->past_end ? "the file is truncated" : msg ? msg : "error");
    png_longjmp(png, 1);
}

/* libpng's warnings and benign errors.  A CRC error in IHDR or PLTE
 * refuses the file (Pillow checks every chunk before the image data);
 * complaints about the image data and what follows it (IDAT and IEND
 * checksums, extra compressed data, a bad zlib check) are counted, the
 * pixels being Pillow's, which checks none of them; complaints about
 * ancillary chunks (iCCP profiles, text, times: "iCCP: ...") are common in
 * good files and harmless. */
static void png_on_warning(png_structp png, png_const_charp msg)
{
    png_ctx *ctx = png_get_error_ptr(png);
    if (!msg)
        return;
    bool crc = strstr(msg, "CRC error") != NULL;
    bool critical = strlen(msg) > 4 && msg[0] >= 'A' && msg[0] <= 'Z' && msg[4] == ':';
    if (crc && ctx->in_info && critical) {
        if (!ctx->crc_refused[0])
            snprintf(ctx->crc_refused, sizeof ctx->crc_refused, "%s", msg);
        return;
    }
    if ((crc && critical) || strstr(msg, "IDAT") || strstr(msg, "image data") ||
        strstr(msg, "compressed data") || strstr(msg, "data check"))
        add_warning(&ctx->warnings, ctx->warning, sizeof ctx->warning, msg);
}

/* The file's bytes; past its end, zeros (at most 1 MiB of them), so that
 * libpng goes on decoding rows whose data are all there: whether Pillow
 * decodes such a file is decided after (png_truncated_whole). */
static void png_on_read(png_structp png, png_bytep out, size_t len)
{
    png_ctx *ctx = png_get_io_ptr(png);
    size_t have = ctx->n - ctx->pos < len ? ctx->n - ctx->pos : len;
    memcpy(out, ctx->data + ctx->pos, have);
    ctx->pos += have;
    if (have < len) {
        if (!ctx->past_end)
            ctx->warnings_in_file = ctx->warnings;
        if (len - have > ((size_t)1 << 20) - ctx->past_end) {
            ctx->past_end = (size_t)1 << 20;
            png_error(png, "the file is truncated");
        }
        ctx->past_end += len - have;
        memset(out + have, 0, len - have);
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Bytes of filtered image data (a filter byte and the packed samples of
 * every row of every pass) that make the whole image. */
static size_t png_data_bytes(png_uint_32 w, png_uint_32 h, int depth, int color, int interlace)
{
    const size_t bits = (size_t)depth * (color == PNG_COLOR_TYPE_GRAY_ALPHA ? 2
                                         : color == PNG_COLOR_TYPE_RGB ? 3
                                         : color == PNG_COLOR_TYPE_RGB_ALPHA ? 4 : 1);
    size_t total = 0;
    for (int p = 0; p < (interlace == PNG_INTERLACE_NONE ? 1 : 7); p++) {
        size_t cols = interlace == PNG_INTERLACE_NONE ? w : PNG_PASS_COLS(w, p);
        size_t rows = interlace == PNG_INTERLACE_NONE ? h : PNG_PASS_ROWS(h, p);
        if (cols > 0 && rows > 0)
            total += rows * (1 + (cols * bits + 7) / 8);
    }
    return total;
}

/* Whether Pillow decodes a truncated PNG all the same: the IDAT data that
 * is there inflates to the whole image (need bytes), and the file does not
 * end inside the data of a chunk after the image data (Pillow reads those
 * whole: "Truncated File Read"; an end inside a chunk's header or CRC it
 * takes as the end of the file). */
static bool png_truncated_whole(const uint8_t *d, size_t n, size_t need)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return false;
    uint8_t out[16384];
    size_t got = 0, o = 8;
    bool seen_idat = false, ok = true, ended = false;
    while (o <= n && n - o >= 8) {
        const size_t len = be32(d + o), avail = n - o - 8, take = len < avail ? len : avail;
        const bool idat = memcmp(d + o + 4, "IDAT", 4) == 0;
        if (idat && !ended) {
            seen_idat = true;
            z.next_in = (Bytef *)(d + o + 8);
            z.avail_in = (uInt)take;
            while (z.avail_in > 0 && got < need && !ended) {
                z.next_out = out;
                z.avail_out = sizeof out;
                int r = inflate(&z, Z_NO_FLUSH);
                got += sizeof out - z.avail_out;
                ended = r == Z_STREAM_END;
                if (r != Z_OK && r != Z_STREAM_END)
                    break;
            }
        } else if (seen_idat) {
            if (memcmp(d + o + 4, "IEND", 4) == 0)
                break;
            if (take < len) {
                ok = false;
                break;
            }
        }
        if (take < len || len > n)
            break;
        o += 12 + len;
    }
    inflateEnd(&z);
    return ok && got >= need;
}

/* called by libpng for every row once its data is decoded and unfiltered,
 * before the row is stored: after the last row, the image data is whole */
static void png_on_row(png_structp png, png_row_infop info, png_bytep data)
{
    (void)info;
    (void)data;
    png_ctx *ctx = png_get_error_ptr(png);
    ctx->rows_done++;
}

static inline uint8_t on_white(unsigned c, unsigned a)
{
    return (uint8_t)((c * a + 255u * (255u - a) + 127u) / 255u);
}

/* text chunks (tEXt, zTXt, iTXt; before and after the image data) named
 * key: the last one, as in Pillow's info */
static const uint8_t *text_chunk(png_ctx *ctx, const char *key, size_t *len)
{
    png_textp text = NULL;
    int n = png_get_text(ctx->png, ctx->info, &text, NULL);
    const uint8_t *found = NULL;
    *len = 0;
    for (int i = 0; i < n; i++) {
        if (!text[i].key || !text[i].text || strcmp(text[i].key, key) != 0)
            continue;
        found = (const uint8_t *)text[i].text;
        *len = text[i].text_length ? text[i].text_length
               : text[i].itxt_length ? text[i].itxt_length : strlen(text[i].text);
    }
    return found;
}

/* EXIF (Pillow prefixes an eXIf chunk with "Exif\0\0" and strips it
 * again; ImageMagick's raw profiles start with it) */
static bool exif_tag(const uint8_t *p, size_t n, int *value)
{
    if (n >= 6 && memcmp(p, "Exif\0\0", 6) == 0)
        p += 6, n -= 6;
    return vgg_exif_orientation_tag(p, n, value);
}

/* The orientation Pillow 9.4's exif_transpose applies to a PNG: the EXIF
 * of an eXIf chunk, else of a "Raw profile type exif" text chunk; then,
 * when that gave no Orientation tag, XMP's tiff:Orientation from a text
 * chunk "XML:com.adobe.xmp". */
static int png_orientation(png_ctx *ctx)
{
    int v = 0;
    bool tag = false, have_exif = false;
#ifdef PNG_eXIf_SUPPORTED
    png_uint_32 len = 0;
    png_bytep exif = NULL;
    if (png_get_eXIf_1(ctx->png, ctx->info, &len, &exif) && exif) {
        have_exif = true;
        tag = exif_tag(exif, len, &v);
    }
#endif
    size_t n;
    const uint8_t *t;
    if (!have_exif && (t = text_chunk(ctx, "Raw profile type exif", &n))) {
        size_t elen;
        uint8_t *e = vgg_exif_from_raw_profile(t, n, &elen);
        if (e)
            tag = exif_tag(e, elen, &v);
        free(e);
    }
    if (!tag && (t = text_chunk(ctx, "XML:com.adobe.xmp", &n)))
        v = vgg_xmp_orientation(t, n);
    return v >= 2 && v <= 8 ? v : 1;
}

/* A palette as Pillow reads it: colours past PLTE's entries are grey
 * (i, i, i), where libpng gives black; alpha from tRNS, 255 past its
 * entries, and read from the file when libpng left out a tRNS longer than
 * the palette ("tRNS: invalid"), which Pillow uses. */
static void png_pillow_palette(png_ctx *ctx)
{
    png_colorp pal = NULL;
    int num = 0;
    if (!png_get_PLTE(ctx->png, ctx->info, &pal, &num))
        num = 0;
    for (int i = 0; i < 256; i++) {
        uint8_t *c = ctx->palette[i];
        if (i < num)
            c[0] = pal[i].red, c[1] = pal[i].green, c[2] = pal[i].blue;
        else
            c[0] = c[1] = c[2] = (uint8_t)i;
        c[3] = 255;
    }
    png_bytep alpha = NULL;
    int num_trans = 0;
    if (png_get_tRNS(ctx->png, ctx->info, &alpha, &num_trans, NULL) && alpha) {
        for (int i = 0; i < num_trans && i < 256; i++)
            ctx->palette[i][3] = alpha[i];
        return;
    }
    for (size_t o = 8; o <= ctx->n && ctx->n - o >= 12;) {
        const size_t len = be32(ctx->data + o);
        if (memcmp(ctx->data + o + 4, "IDAT", 4) == 0 || len > ctx->n - o - 12)
            break;
        if (memcmp(ctx->data + o + 4, "tRNS", 4) == 0) {
            for (size_t i = 0; i < len && i < 256; i++)
                ctx->palette[i][3] = ctx->data[o + 8 + i];
            break;
        }
        o += 12 + len;
    }
}

/* 8-bit samples whatever the file holds: 16 bits stripped, low-depth
 * gray expanded, palette indexes unpacked to a byte each (their colours
 * are ours, png_pillow_palette), tRNS as alpha when it is to be composed
 * on white, interlacing undone; rows counted as they are decoded.  libpng
 * errors jump to the caller's setjmp. */
static void png_set_transforms(png_ctx *ctx, int depth, int color, int interlace,
                               const vgg_decode_opts *o)
{
    if (depth == 16)
        png_set_strip_16(ctx->png);
    if (color == PNG_COLOR_TYPE_PALETTE && depth < 8)
        png_set_packing(ctx->png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(ctx->png);
    if (color != PNG_COLOR_TYPE_PALETTE && png_get_valid(ctx->png, ctx->info, PNG_INFO_tRNS) &&
        o->alpha == VGG_ALPHA_WHITE)
        png_set_tRNS_to_alpha(ctx->png);
    int passes = png_set_interlace_handling(ctx->png);
    png_set_read_user_transform_fn(ctx->png, png_on_row);
    png_read_update_info(ctx->png, ctx->info);
    png_uint_32 w = png_get_image_width(ctx->png, ctx->info);
    png_uint_32 h = png_get_image_height(ctx->png, ctx->info);
    ctx->rows_expected = 0;
    for (int p = 0; p < passes; p++) {
        if (interlace == PNG_INTERLACE_NONE)
            ctx->rows_expected += h;
        else if (PNG_PASS_COLS(w, p) > 0)
            ctx->rows_expected += PNG_PASS_ROWS(h, p);
    }
}

/* The decoded rows (ch channels: gray, gray+alpha, RGB, RGBA; palette
 * indexes when palette) into the RGB image, alpha composed on white when
 * white. */
static void png_rows_to_rgb(png_ctx *ctx, int w, int h, int ch, bool palette, bool white)
{
    for (int y = 0; y < h; y++) {
        const uint8_t *s = ctx->rows[y];
        uint8_t *d = ctx->img->px + (size_t)y * w * 3;
        for (int x = 0; x < w; x++, d += 3, s += ch) {
            if (palette) {
                const uint8_t *c = ctx->palette[s[0]];
                for (int k = 0; k < 3; k++)
                    d[k] = white ? on_white(c[k], c[3]) : c[k];
                continue;
            }
            switch (ch) {
            case 1: d[0] = d[1] = d[2] = s[0]; break;
            case 2: d[0] = d[1] = d[2] = white ? on_white(s[0], s[1]) : s[0]; break;
            case 3: memcpy(d, s, 3); break;
            default:
                for (int c = 0; c < 3; c++)
                    d[c] = white ? on_white(s[c], s[3]) : s[c];
                break;
            }
        }
    }
}

/* One decode; with ignore_adler, the zlib stream's check is not read (the
 * second try at a file truncated in it, *retry) */
static vgg_status decode_png_once(const uint8_t *data, size_t n, const char *name,
                                  const vgg_decode_opts *o, bool ignore_adler, vgg_image **out,
                                  int *orientation, bool *retry)
{
    *retry = false;
    png_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", name);
    ctx->data = data;
    ctx->n = n;
    vgg_status st = VGG_STATUS_OK;

    ctx->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, png_on_error, png_on_warning);
    if (ctx->png)
        ctx->info = png_create_info_struct(ctx->png);
    if (!ctx->png || !ctx->info) {
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", name);
        goto done;
    }
    png_set_read_fn(ctx->png, ctx, png_on_read);
    /* a bad checksum in a critical chunk is a warning (it refuses the file
     * in IHDR and PLTE, png_on_warning); ancillary chunks: libpng's default
     * (warn, leave the chunk out) */
    png_set_crc_action(ctx->png, PNG_CRC_WARN_USE, PNG_CRC_DEFAULT);
#ifdef PNG_IGNORE_ADLER32
    if (ignore_adler)
        png_set_option(ctx->png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#else
    (void)ignore_adler;
#endif
#ifdef VGG_FUZZING
    png_set_crc_action(ctx->png, PNG_CRC_QUIET_USE, PNG_CRC_QUIET_USE);
#ifdef PNG_IGNORE_ADLER32
    png_set_option(ctx->png, PNG_IGNORE_ADLER32, PNG_OPTION_ON);
#endif
#endif

    if (setjmp(png_jmpbuf(ctx->png))) {
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': bad PNG: %s", name, ctx->msg);
        goto done;
    }
    ctx->in_info = true;
    png_read_info(ctx->png, ctx->info);
    ctx->in_info = false;
    if (ctx->crc_refused[0]) {
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': bad PNG: %s", name, ctx->crc_refused);
        goto done;
    }
    png_uint_32 w32, h32;
    int depth, color, interlace;
    png_get_IHDR(ctx->png, ctx->info, &w32, &h32, &depth, &color, &interlace, NULL, NULL);
    st = check_size(name, w32, h32, o);
    if (st != VGG_STATUS_OK)
        goto done;
    ctx->data_bytes = png_data_bytes(w32, h32, depth, color, interlace);

    if (color == PNG_COLOR_TYPE_PALETTE)
        png_pillow_palette(ctx);
    png_set_transforms(ctx, depth, color, interlace, o);

    const int w = (int)w32, h = (int)h32;
    const int ch = png_get_channels(ctx->png, ctx->info);
    size_t rowbytes = png_get_rowbytes(ctx->png, ctx->info);
    if (ch < 1 || ch > 4 || png_get_bit_depth(ctx->png, ctx->info) != 8 ||
        rowbytes != (size_t)w * (size_t)ch) {
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': unsupported PNG layout", name);
        goto done;
    }
    st = vgg_image_new(w, h, &ctx->img);
    if (st != VGG_STATUS_OK) {
        vgg_fail_context(st, "'%s': ", name);
        goto done;
    }
    ctx->buf = malloc(rowbytes * (size_t)h);
    ctx->rows = malloc(sizeof *ctx->rows * (size_t)h);
    if (!ctx->buf || !ctx->rows) {
        st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", name);
        goto done;
    }
    for (int y = 0; y < h; y++)
        ctx->rows[y] = ctx->buf + rowbytes * (size_t)y;

    /* Once the last row is decoded the image data is whole: what fails
     * after it (the end of the zlib stream, IDAT's checksum, the chunks
     * after it) is a warning, the pixels being Pillow's; before it, the
     * file is refused as Pillow refuses it ("broken data stream"). */
    if (setjmp(png_jmpbuf(ctx->png))) {
        if (ctx->rows_done < ctx->rows_expected && ctx->past_end) {
            /* truncated in the zlib stream's check (libpng reads the
             * zeros there as a bad one with the last row): try again
             * without the check if the rows are all there */
#ifdef PNG_IGNORE_ADLER32
            *retry = !ignore_adler && png_truncated_whole(data, n, ctx->data_bytes);
#endif
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': bad PNG: the file is truncated", name);
            goto done;
        }
        if (ctx->rows_done < ctx->rows_expected) {
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': bad PNG: %s (in the image data)", name,
                          ctx->msg);
            goto done;
        }
        ctx->trailer_lost = true;
        if (!ctx->past_end) {
            char text[320];
            snprintf(text, sizeof text, "after the image data: %s", ctx->msg);
            add_warning(&ctx->warnings, ctx->warning, sizeof ctx->warning, text);
        }
    } else {
        png_read_image(ctx->png, ctx->rows);
    }
    png_rows_to_rgb(ctx, w, h, ch, color == PNG_COLOR_TYPE_PALETTE, o->alpha == VGG_ALPHA_WHITE);

    /* the chunks after the image data (text, eXIf) and the trailer */
    if (!ctx->trailer_lost) {
        if (setjmp(png_jmpbuf(ctx->png))) {
            if (!ctx->past_end) {
                char text[320];
                snprintf(text, sizeof text, "after the image data: %s", ctx->msg);
                add_warning(&ctx->warnings, ctx->warning, sizeof ctx->warning, text);
            }
        } else {
            png_read_end(ctx->png, ctx->info);
        }
    }
    /* a truncated file: the rows libpng decoded from the zeros after its
     * end were all there if Pillow decodes it */
    if (ctx->past_end) {
        if (!png_truncated_whole(data, n, ctx->data_bytes)) {
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': bad PNG: the file is truncated", name);
            goto done;
        }
        ctx->warnings = ctx->warnings_in_file;
        add_warning(&ctx->warnings, ctx->warning, sizeof ctx->warning,
                    "the file is truncated after the image data");
    }
    *orientation = o->ignore_exif ? 1 : png_orientation(ctx);

done:
    if (ctx->png)
        png_destroy_read_struct(&ctx->png, ctx->info ? &ctx->info : NULL, NULL);
    free(ctx->rows);
    free(ctx->buf);
    st = hand_over(ctx->img, false, ctx->warnings, ctx->warning, st, out);
    free(ctx);
    return st;
}

static vgg_status decode_png(const uint8_t *data, size_t n, const char *name,
                             const vgg_decode_opts *o, vgg_image **out, int *orientation)
{
    bool retry;
    vgg_status st = decode_png_once(data, n, name, o, false, out, orientation, &retry);
    if (retry)
        st = decode_png_once(data, n, name, o, true, out, orientation, &retry);
    return st;
}

/* ------------------------------------------------------------ dispatch */

static bool is_jpeg(const uint8_t *p, size_t n)
{
    return n >= 3 && p[0] == 0xFF && p[1] == 0xD8 && p[2] == 0xFF;
}

static bool is_png(const uint8_t *p, size_t n)
{
    static const uint8_t sig[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
    return n >= 8 && memcmp(p, sig, 8) == 0;
}

vgg_status vgg_image_decode(const void *data, size_t n, const char *name,
                            const vgg_decode_opts *opts, vgg_image **out)
{
    *out = NULL;
    if (!name)
        name = "(buffer)";
    vgg_decode_opts defaults;
    vgg_decode_opts_default(&defaults);
    const vgg_decode_opts *o = opts ? opts : &defaults;
    const uint8_t *p = data;
    if (n == 0 || !p)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': empty file, not an image", name);

    vgg_image *img = NULL;
    int orientation = 1;
    vgg_status st;
    if (is_jpeg(p, n))
        st = decode_jpeg(p, n, name, o, &img, &orientation);
    else if (is_png(p, n))
        st = decode_png(p, n, name, o, &img, &orientation);
    else
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': not a JPEG or PNG image (starts with %02x %02x)",
                        name, p[0], n > 1 ? p[1] : 0);
    if (st != VGG_STATUS_OK)
        return st;
    st = vgg_image_apply_orientation(&img, orientation, name);
    if (st != VGG_STATUS_OK) {
        vgg_image_free(img);
        return st;
    }
    *out = img;
    return VGG_STATUS_OK;
}

vgg_status vgg_image_load(const char *path, const vgg_decode_opts *o, vgg_image **out)
{
    *out = NULL;
    vgg_mapped m;
    vgg_status st = vgg_map_file(path, &m);
    if (st != VGG_STATUS_OK)
        return st;
    st = vgg_image_decode(m.data, m.size, path, o, out);
    vgg_unmap_file(&m);
    return st;
}

bool vgg_image_sniff_file(const char *path)
{
    FILE *fp;   /* never fopen: a FIFO would block until someone writes to it */
    if (vgg_fopen_regular(path, &fp) != VGG_STATUS_OK)
        return false;
    uint8_t head[8];
    size_t n = fread(head, 1, sizeof head, fp);
    fclose(fp);
    return is_jpeg(head, n) || is_png(head, n);
}
