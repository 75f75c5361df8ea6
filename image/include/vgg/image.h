/* vggfeat image input: decoding by content (JPEG through libjpeg-turbo,
 * PNG through libpng), EXIF orientation, isotropic and exact resizing that
 * matches Pillow's BILINEAR, crops, flips, colour shift, and conversion to
 * the network's float CHW input.  All functions are reentrant.
 */
#ifndef VGG_IMAGE_H
#define VGG_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vgg/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 8-bit RGB, interleaved, rows top to bottom, stride = 3 * w.
 * damaged is true only for an image decoded with allow_damaged from a
 * truncated file.  warnings counts what the decoder said about the data of
 * a file it decoded all the same, as libjpeg and Pillow do ("Corrupt JPEG
 * data: 4 extraneous bytes before marker 0xda", a bad restart marker, a
 * PNG's missing trailer or IDAT checksum); warning is the first of them
 * ("" when none). */
typedef struct vgg_image {
    int w, h;
    uint8_t *px;
    bool damaged;
    int warnings;
    char warning[160];
} vgg_image;

typedef enum vgg_alpha_mode {
    VGG_ALPHA_DROP = 0,   /* ignore the alpha channel (default): Pillow's convert("RGB") */
    VGG_ALPHA_WHITE       /* composite on white */
} vgg_alpha_mode;

/* "drop" / "white" (NULL for anything else) and back (INVALID, naming the
 * text, for anything else). */
const char *vgg_alpha_mode_name(vgg_alpha_mode m);
vgg_status vgg_alpha_mode_parse(const char *text, vgg_alpha_mode *out);

/* Decoding options.  A zero-initialised struct means the defaults (and so
 * does passing NULL):
 *
 * max_pixels  width * height of the stored image (before any reduced-scale
 *             decoding) above which the file is refused with TOO_LARGE, read
 *             from the header before any pixel memory is allocated.
 *             0 means the default, VGG_IMAGE_MAX_PIXELS (100 megapixels).
 *
 * min_side    reduced-scale JPEG decoding (a speed option, off by default):
 *             libjpeg-turbo's DCT scaling decodes at 1/2, 1/4 or 1/8 of the
 *             size, the strongest reduction that keeps the smaller side of
 *             the result >= min_side (PNG and small JPEGs: full size).  The
 *             EXIF orientation is applied after it.
 *             The scaled IDCT is an area-average-like reduction, not
 *             Pillow's triangle filter, so after the final resize pixels
 *             differ from the full-size path: on photographs (500x375 JPEGs
 *             resized to short side 128, bench/bench_image) the mean absolute
 *             difference is about 2 grey levels at 1/2 and 1.6 at 1/4, up to
 *             ~50 on sharp edges.  Fine for training data; leave it 0 for
 *             feature extraction, whose results should not depend on a speed
 *             option.  It only applies when the image is at least twice the
 *             wanted size (500x375 -> short side 256: never), and then made
 *             decode + resize about 1.4x faster in that benchmark.
 *
 * alpha       PNG transparency (an alpha channel, or tRNS): dropped
 *             (default, VGG_ALPHA_DROP: the colour as stored, what Pillow's
 *             convert("RGB") and so every torchvision/timm pipeline gives)
 *             or composited on white (VGG_ALPHA_WHITE:
 *             out = (c * a + 255 * (255 - a) + 127) / 255, exactly what
 *             Pillow's alpha_composite over opaque white gives; a tRNS
 *             colour is then alpha 0, also in 2 and 4-bit gray and 16-bit
 *             RGB, where Pillow misreads it).
 *
 * Orientation the EXIF Orientation tag (1-8), applied as Pillow 9.4's
 *             ImageOps.exif_transpose does (Debian 12's python3-pil, the
 *             reference of the tests), from the first of:
 *               - the EXIF: JPEG's first APP1 "Exif"; PNG's eXIf chunk, else
 *                 a text chunk (tEXt, zTXt, iTXt) "Raw profile type exif"
 *                 holding it in hex (ImageMagick's form);
 *               - when that EXIF has no Orientation tag (or there is none):
 *                 a PNG text chunk "XML:com.adobe.xmp" holding XMP's
 *                 tiff:Orientation="N" or <tiff:Orientation>N</...>.
 *             XMP in a JPEG APP1 is not read, as Pillow 9.4 does not read
 *             it (Pillow 11 does).  A tag present with a value outside 2-8
 *             leaves the image as it is, without looking at XMP.  The EXIF
 *             is read by a small bounds-checked parser of IFD0 (src/exif.c,
 *             no libexif); unreadable EXIF is no tag.
 *
 * Colour:     everything comes out as 8-bit RGB.  Grayscale is replicated;
 *             1, 2 and 4-bit gray is scaled to 0-255 (x 255, 85, 17).
 *             Palette indexes past the PLTE's entries are grey (i, i, i),
 *             as Pillow has them (libpng: black).
 *             CMYK and YCCK JPEGs are read as Adobe-inverted CMYK (what
 *             Photoshop writes and Pillow, libjpeg's cjpeg and browsers
 *             assume) and converted as Pillow does:
 *             R = 255 - K' - MULDIV255(C', 255 - K')  with C' = 255 - stored,
 *             K' = 255 - stored K, MULDIV255(a, b) = (t + (t >> 8)) >> 8,
 *             t = a * b + 128 (Pillow's cmyk2rgb; likewise G, B).
 *             16-bit PNG samples keep their high byte, v >> 8 (within one
 *             level of round(v * 255 / 65535)), as Pillow does for RGB,
 *             RGBA and gray+alpha.  For 16-bit gray Pillow's convert("RGB")
 *             clips instead (min(v, 255): nearly every pixel white); we do
 *             not copy that, the one place where we differ on purpose.
 *             No colour management (ICC profiles, gAMA) is applied, as in
 *             Pillow.
 *
 * Warnings:   what Pillow decodes is decoded, to the same pixels: libjpeg's
 *             warnings about the data (extraneous bytes before a marker,
 *             a bad restart marker or Huffman code, a premature end of a
 *             data segment, ...) and libpng's (a missing or broken trailer
 *             after complete image data, a bad IDAT or IEND checksum,
 *             extra compressed data) are counted in the image's warnings.
 *             Refused, as Pillow refuses them: a truncated file (JPEG:
 *             DAMAGED, "truncated", unless allow_damaged; PNG: FORMAT, image
 *             data cut short), a bad checksum in IHDR or PLTE (FORMAT), and
 *             libjpeg's and libpng's errors (FORMAT).  Metadata-only
 *             warnings (unknown JFIF revision, bad ICC chunk, unknown Adobe
 *             transform, an ancillary PNG chunk's complaints) are not
 *             counted.  A progressive JPEG with more than 1000 scans is
 *             FORMAT. */
#define VGG_IMAGE_MAX_PIXELS ((size_t)100000000)

typedef struct vgg_decode_opts {
    size_t max_pixels;     /* refuse larger images before allocating; 0: 100e6 */
    bool ignore_exif;      /* false: apply EXIF orientation */
    bool allow_damaged;    /* false: a truncated JPEG is VGG_STATUS_DAMAGED; true: decoded
                              as libjpeg gets it (what Pillow gives with
                              LOAD_TRUNCATED_IMAGES) and marked damaged */
    int min_side;          /* >0: JPEG may be decoded at 1/2, 1/4, 1/8 scale as long as
                              the smaller side stays >= min_side; 0 (default): full size */
    vgg_alpha_mode alpha;
} vgg_decode_opts;

void vgg_decode_opts_default(vgg_decode_opts *o);

/* Decode a file / a buffer (name is used in messages).  Errors:
 * NOT_FOUND / IO (cannot open or read), FORMAT (not an image, truncated PNG, corrupt),
 * DAMAGED (a truncated JPEG and !allow_damaged), TOO_LARGE (over max_pixels).
 * o may be NULL (defaults).  The format is found from the first bytes, never
 * from the name.  Every message starts with 'name': (the path for _load).
 * With allow_damaged a truncated JPEG decodes to OK and (*out)->damaged.
 * Warnings are not errors: (*out)->warnings counts them. */
vgg_status vgg_image_load(const char *path, const vgg_decode_opts *o, vgg_image **out);
vgg_status vgg_image_decode(const void *data, size_t n, const char *name,
                            const vgg_decode_opts *o, vgg_image **out);

/* True if the file starts like a JPEG or PNG (by content, not name). */
bool vgg_image_sniff_file(const char *path);

/* A w x h image with uninitialised pixels (INVALID unless both are > 0,
 * NOMEM).  Free with vgg_image_free (NULL is fine). */
vgg_status vgg_image_new(int w, int h, vgg_image **out);
void vgg_image_free(vgg_image *img);

/* Resize to exactly (w, h), Pillow BILINEAR with antialiasing (support
 * grows with the downscale factor), following Pillow's Resample.c step by
 * step (double coefficients, 22-bit fixed point, horizontal pass first),
 * so the result is identical to Pillow's (tests allow one grey level).
 * Same size: an exact copy.  INVALID for sizes <= 0, TOO_LARGE for a
 * reduction by more than 2^20, NOMEM. */
vgg_status vgg_image_resize(const vgg_image *in, int w, int h, vgg_image **out);

/* The size with the smaller side equal to q, the other side rounded as
 * torchvision's Resize(q) does (int(q * long / short)). */
void vgg_image_size_for_short_side(int w, int h, int q, int *ow, int *oh);

/* The budget of the network input made from an image, checked before the
 * resized image is allocated (the decoded image has its own limit,
 * max_pixels above): at scale q the resized w * h may hold at most
 * max_pixels pixels.  What it guards is the net's memory: a VGG net keeps
 * two buffers of its largest activation, conv1's 64 channels of floats,
 * so each pixel of input costs VGG_IMAGE_NET_BYTES_PER_PIXEL (512) bytes
 * per view run together (the flip is a second view).  The default,
 * VGG_IMAGE_MAX_INPUT_PIXELS (2^23 = 8,388,608 pixels: 4 GiB a view), lets
 * a 4:3 photo through up to q 2508, a 60x900 receipt (256x3840 at q 256),
 * a 256x10 or 750x30 banner (6553x256, 6400x256) up to q 512, and refuses
 * a 1x5000 line at q 256 (256x1280000 = 327,680,000 pixels, 156 GiB a
 * view).  There is no rule on the aspect ratio.
 *
 * vgg_image_check_input: TOO_LARGE with a message naming the image (name),
 * its size, the scale, the size and pixels it would have and the memory
 * the net would need for them, the budget in pixels and in memory, and
 * b->option, the option that raises it (without one: "use a smaller
 * scale"); INVALID for q <= 0 or an empty image.  b NULL: the defaults.
 * vgg_image_check_scale is vgg_image_check_input with the defaults. */
#define VGG_IMAGE_MAX_INPUT_PIXELS ((size_t)1 << 23)
#define VGG_IMAGE_NET_BYTES_PER_PIXEL 512
typedef struct vgg_input_budget {
    size_t max_pixels;      /* 0: VGG_IMAGE_MAX_INPUT_PIXELS */
    int views;              /* views in one net run (2 with the flip); 0: 1 */
    const char *option;     /* named in the message as what raises max_pixels; NULL: none */
} vgg_input_budget;
vgg_status vgg_image_check_input(const char *name, int w, int h, int q,
                                 const vgg_input_budget *b);
vgg_status vgg_image_check_scale(const char *name, int w, int h, int q);

/* Resize so the smaller side is q (isotropic), after
 * vgg_image_check_input("image", ..., b) (_resize_short: the default
 * budget): callers that know the image's path check it with the path
 * first, or add it as context. */
vgg_status vgg_image_resize_short(const vgg_image *in, int q, vgg_image **out);
vgg_status vgg_image_resize_short_within(const vgg_image *in, int q, const vgg_input_budget *b,
                                         vgg_image **out);

/* Copy out the (w, h) region at (x, y); it must lie inside the image. */
vgg_status vgg_image_crop(const vgg_image *in, int x, int y, int w, int h, vgg_image **out);

/* Centre crop (torchvision CenterCrop rounding: offset
 * int(round((H - h) / 2.0)), Python's round, so halves go to even).
 * INVALID if (w, h) is larger than the image. */
vgg_status vgg_image_center_crop(const vgg_image *in, int w, int h, vgg_image **out);

/* Horizontal flip in place. */
void vgg_image_flip(vgg_image *img);

/* Top-left corners of the paper's grid x grid regular crops of size c
 * (grid 5: 25 crops), corners first and last at the image edges:
 * xs[i] = round(i * (w - c) / (grid - 1)) (halves up), likewise ys with h;
 * grid 1 gives the centre crop's offsets.  A side shorter than c gives 0.
 * xs/ys hold grid values each. */
void vgg_image_grid_offsets(int w, int h, int c, int grid, int *xs, int *ys);

/* Top-left corner of a uniformly random (cw, ch) crop of a (w, h) image
 * (cw <= w, ch <= h): x in [0, w - cw], y in [0, h - ch], drawn x first. */
void vgg_image_random_offset(int w, int h, int cw, int ch, uint64_t *rng_state,
                             int *x, int *y);

/* Convert to float CHW in the network's order:
 * out[c][y][x] = (px / 255 * range - mean[c]) / std[c], optionally flipped
 * horizontally.  out holds 3 * w * h floats. */
void vgg_image_to_input(const vgg_image *img, const vgg_preproc *p, bool flip, float *out);

/* The paper's RGB colour shift (AlexNet PCA lighting): draws
 * alpha_i ~ N(0, sigma) from *rng_state and returns the per-channel shift
 * in RGB pixel units (0-255 scale): shift = V * (alpha .* lambda) * 255,
 * V and lambda the ImageNet eigenvectors and eigenvalues. */
void vgg_color_shift_draw(uint64_t *rng_state, float sigma, float shift_rgb[3]);

/* vgg_image_to_input with a colour shift (RGB, 0-255 units) added to each
 * pixel before normalisation (not clipped); shift_rgb NULL: no shift. */
void vgg_image_to_input_shifted(const vgg_image *img, const vgg_preproc *p, bool flip,
                                const float shift_rgb[3], float *out);

#ifdef __cplusplus
}
#endif
#endif
