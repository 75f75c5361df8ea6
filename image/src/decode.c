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

#include "image_internal.h"

#define MAX_PROGRESSIVE_SCANS 1000

void vgg_decode_opts_default(vgg_decode_opts *o)
{
    memset(o, 0, sizeof *o);
    o->max_pixels = VGG_IMAGE_MAX_PIXELS;
    o->alpha = VGG_ALPHA_WHITE;
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
    char warning[JMSG_LENGTH_MAX];
    bool damaged;
    bool stop_on_warning;
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

static bool benign_warning(int code)
{
    return code == JWRN_JFIF_MAJOR || code == JWRN_ADOBE_XFORM || code == JWRN_BOGUS_ICC ||
           code == JWRN_NOT_SEQUENTIAL;
}

static void jpeg_on_message(j_common_ptr c, int level)
{
    if (level >= 0)
        return; /* trace messages */
    jpeg_ctx *ctx = (jpeg_ctx *)c->client_data;
    c->err->num_warnings++;
    if (benign_warning(c->err->msg_code))
        return;
    if (ctx->in_header && c->err->msg_code == JWRN_JPEG_EOF) {
        /* cut short before any image data: nothing to salvage */
        snprintf(ctx->msg, sizeof ctx->msg, "file is cut short in the header");
        ctx->fail_status = VGG_STATUS_FORMAT;
        longjmp(ctx->jb, 1);
    }
    if (!ctx->damaged)
        c->err->format_message(c, ctx->warning);
    ctx->damaged = true;
    if (ctx->stop_on_warning) {
        snprintf(ctx->msg, sizeof ctx->msg, "%s", ctx->warning);
        ctx->fail_status = VGG_STATUS_DAMAGED;
        longjmp(ctx->jb, 1);
    }
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

static int find_exif_orientation(j_decompress_ptr cinfo)
{
    for (jpeg_saved_marker_ptr m = cinfo->marker_list; m; m = m->next) {
        if (m->marker == JPEG_APP0 + 1 && m->data_length >= 6 &&
            memcmp(m->data, "Exif\0\0", 6) == 0)
            return vgg_exif_orientation(m->data + 6, m->data_length - 6);
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

/* The decoded image to *out (marked damaged if it is) when st is OK,
 * else freed; returns st. */
static vgg_status hand_over(vgg_image *img, bool damaged, vgg_status st, vgg_image **out)
{
    if (st != VGG_STATUS_OK) {
        vgg_image_free(img);
        return st;
    }
    img->damaged = damaged;
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
    ctx->stop_on_warning = !o->allow_damaged;

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
    st = hand_over(ctx->img, ctx->damaged, st, out);
    free(ctx);
    return st;
}

/* ----------------------------------------------------------------- PNG */

typedef struct png_ctx {
    const uint8_t *data;
    size_t n, pos;
    char msg[256];
    bool damaged;
    char warning[320];
    png_structp png;
    png_infop info;
    uint8_t *buf;
    png_bytep *rows;
    vgg_image *img;
} png_ctx;

static void png_on_error(png_structp png, png_const_charp msg)
{
    png_ctx *ctx = png_get_error_ptr(png);
    snprintf(ctx->msg, sizeof ctx->msg, "%s", msg ? msg : "error");
    png_longjmp(png, 1);
}

static void png_on_warning(png_structp png, png_const_charp msg)
{
    png_ctx *ctx = png_get_error_ptr(png);
    if (!msg)
        return;
    /* Ancillary-chunk complaints (iCCP profiles, text, times) are common in
     * good files and harmless; complaints about the image data are not. */
    if (strstr(msg, "IDAT") || strstr(msg, "image data") || strstr(msg, "compressed data")) {
        if (!ctx->damaged)
            snprintf(ctx->warning, sizeof ctx->warning, "%s", msg);
        ctx->damaged = true;
    }
}

static void png_on_read(png_structp png, png_bytep out, size_t len)
{
    png_ctx *ctx = png_get_io_ptr(png);
    if (len > ctx->n - ctx->pos)
        png_error(png, "file is cut short");
    memcpy(out, ctx->data + ctx->pos, len);
    ctx->pos += len;
}

static inline uint8_t on_white(unsigned c, unsigned a)
{
    return (uint8_t)((c * a + 255u * (255u - a) + 127u) / 255u);
}

static int png_orientation(png_ctx *ctx)
{
#ifdef PNG_eXIf_SUPPORTED
    png_uint_32 len = 0;
    png_bytep exif = NULL;
    if (png_get_eXIf_1(ctx->png, ctx->info, &len, &exif) && exif)
        return vgg_exif_orientation(exif, len);
#endif
    return 1;
}

/* 8-bit samples whatever the file holds: 16 bits stripped, palettes and
 * low-depth gray expanded, tRNS as alpha when it is to be composed on
 * white, interlacing undone.  libpng errors jump to the caller's setjmp. */
static void png_set_transforms(png_ctx *ctx, int depth, int color, const vgg_decode_opts *o)
{
    if (depth == 16)
        png_set_strip_16(ctx->png);
    if (color == PNG_COLOR_TYPE_PALETTE)
        png_set_palette_to_rgb(ctx->png);
    if (color == PNG_COLOR_TYPE_GRAY && depth < 8)
        png_set_expand_gray_1_2_4_to_8(ctx->png);
    if (png_get_valid(ctx->png, ctx->info, PNG_INFO_tRNS) && o->alpha == VGG_ALPHA_WHITE)
        png_set_tRNS_to_alpha(ctx->png);
    png_set_interlace_handling(ctx->png);
    png_read_update_info(ctx->png, ctx->info);
}

/* The decoded rows (ch channels: gray, gray+alpha, RGB, RGBA) into the
 * RGB image, alpha composed on white when white. */
static void png_rows_to_rgb(png_ctx *ctx, int w, int h, int ch, bool white)
{
    for (int y = 0; y < h; y++) {
        const uint8_t *s = ctx->rows[y];
        uint8_t *d = ctx->img->px + (size_t)y * w * 3;
        for (int x = 0; x < w; x++, d += 3, s += ch) {
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

static vgg_status decode_png(const uint8_t *data, size_t n, const char *name,
                             const vgg_decode_opts *o, vgg_image **out, int *orientation)
{
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
    png_read_info(ctx->png, ctx->info);
    png_uint_32 w32, h32;
    int depth, color, interlace;
    png_get_IHDR(ctx->png, ctx->info, &w32, &h32, &depth, &color, &interlace, NULL, NULL);
    st = check_size(name, w32, h32, o);
    if (st != VGG_STATUS_OK)
        goto done;

    png_set_transforms(ctx, depth, color, o);

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
    png_read_image(ctx->png, ctx->rows);

    png_rows_to_rgb(ctx, w, h, ch, o->alpha == VGG_ALPHA_WHITE);

    /* The image data is complete; a broken trailer only damages the file. */
    if (setjmp(png_jmpbuf(ctx->png))) {
        if (!ctx->damaged)
            snprintf(ctx->warning, sizeof ctx->warning, "after the image data: %s", ctx->msg);
        ctx->damaged = true;
    } else {
        png_read_end(ctx->png, ctx->info);
    }
    *orientation = o->ignore_exif ? 1 : png_orientation(ctx);
    if (ctx->damaged && !o->allow_damaged)
        st = vgg_fail(VGG_STATUS_DAMAGED, "'%s': damaged PNG: %s", name, ctx->warning);

done:
    if (ctx->png)
        png_destroy_read_struct(&ctx->png, ctx->info ? &ctx->info : NULL, NULL);
    free(ctx->rows);
    free(ctx->buf);
    st = hand_over(ctx->img, ctx->damaged, st, out);
    free(ctx);
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
