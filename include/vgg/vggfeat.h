/* libvggfeat: the public C API of vggfeat.
 *
 * Very deep ConvNet descriptors (Simonyan & Zisserman, ICLR 2015,
 * appendix B) for images, from another program: open one or more VGG nets
 * with the settings of `vggfeat extract`, describe an image (a file or an
 * 8-bit pixel buffer, whole or a box of it) into a float array, and read
 * the feature stores that `vggfeat extract` writes.  A row made here is
 * byte for byte the row `vggfeat extract` writes for the same image with
 * the same settings (its default --batch 1, the same --threads).
 *
 *     cc app.c $(pkg-config --cflags --libs vggfeat)
 *
 * Conventions.
 *   - Every fallible function returns a vgg_status: VGG_STATUS_OK (0) or
 *     an error, after recording a message that names the file or value and
 *     what was wrong.  vgg_last_error() returns that message; it is
 *     thread-local, so read it on the thread that made the call.
 *   - Handles are opaque; whoever calls _new or _open owns the result and
 *     releases it with the matching _free or _close, which accept NULL.  On
 *     failure the out-pointer is set to NULL and nothing leaks.
 *   - Nothing here prints, exits or aborts on bad input.
 *   - Options are set by name (vgg_describer_opts_set), so later versions
 *     add options without changing any structure's layout.
 *   - Thread safety is stated for each function: "any thread" means it may
 *     be called concurrently with any other call on the same handle.
 *
 * The shared library exports exactly the functions declared here
 * (libvggfeat.so.0; the soname's number changes when the ABI breaks).
 */
#ifndef VGG_VGGFEAT_H
#define VGG_VGGFEAT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The version this header describes; vgg_version() tells the library's. */
#define VGGFEAT_VERSION_MAJOR 0
#define VGGFEAT_VERSION_MINOR 1
#define VGGFEAT_VERSION_PATCH 0

/* ---- statuses and messages ---- */

/* The project's one status type (vgg/core.h inside the source tree holds
 * the same definition; include that first there). */
#ifndef VGG_CORE_H
typedef enum vgg_status {
    VGG_STATUS_OK = 0,
    VGG_STATUS_NOMEM = 1,       /* an allocation failed */
    VGG_STATUS_IO = 2,          /* open/read/write failed (the errno text in the message) */
    VGG_STATUS_FORMAT = 3,      /* a file is malformed, truncated or not of the expected kind */
    VGG_STATUS_DAMAGED = 4,     /* decodable, but the decoder warned (premature end of JPEG data) */
    VGG_STATUS_INVALID = 5,     /* a bad argument, option or value */
    VGG_STATUS_MISMATCH = 6,    /* two things that must agree do not */
    VGG_STATUS_TOO_LARGE = 7,   /* a size over a limit */
    VGG_STATUS_NOT_FOUND = 8,   /* a file, key or name is missing */
    VGG_STATUS_UNSUPPORTED = 9, /* a valid request this build or device cannot do */
    VGG_STATUS_NUMERIC = 10,    /* NaN or infinity where a finite number is needed */
    VGG_STATUS_INTERRUPTED = 11,/* stopped on request */
    VGG_STATUS_DEVICE = 12,     /* a device (GPU) call failed */
    VGG_STATUS_COUNT_ = 13
} vgg_status;

/* The calling thread's last error message ("" if none); borrowed, valid
 * until that thread's next call into the library.  Any thread. */
const char *vgg_last_error(void);
/* Clear the calling thread's message.  Any thread. */
void vgg_clear_error(void);
/* A short name for a status ("format error"); static.  Any thread. */
const char *vgg_status_name(vgg_status status);
#endif

/* The library's version, "MAJOR.MINOR.PATCH" (static).  Any thread. */
const char *vgg_version(void);

/* ---- options of the nets ----
 *
 * A set of named options, every one with the default of `vggfeat extract`.
 * Names and values are those of its command line (docs/extract.md):
 *
 *   nets        comma list, stacked in this order: letters A B C D E
 *               (resolved in the models folder as vgg11 vgg13 vgg16c vgg16
 *               vgg19 .safetensors) or weight-file paths      default "D"
 *   models      the models folder              default $VGGFEAT_MODELS, else
 *                                              ./models, else the installed
 *                                              share/vggfeat/models
 *   scales      smallest-side sizes Q, "256,384"              default "256"
 *   aggregate   "stack" or "average" the scales               default stack
 *   layer       "fc7", "fc6" or "pool5"                       default fc7
 *   flip        average with the mirrored image: "yes"/"no" (also
 *               true/false, 1/0, on/off)                      default yes
 *   l2          "final" (one L2 over the row), "per-net" (each net's part,
 *               then the row) or "none"                       default final
 *   with-image  "yes": a box's row is followed by its whole image's
 *               (twice the dimension)                         default no
 *   alpha       transparency of a file: "drop" (Pillow's convert("RGB"))
 *               or "white" (composed on white)                default drop
 *   max-input-pixels  the most pixels an image may have once resized to
 *               a scale (a larger one is TOO_LARGE)           default 8388608
 *   device      "cpu", "cpu-ref", "cuda:N"                    default cpu
 *   precision   "fp32", "tf32" (GPU), "bf16" (CPU)            default fp32 or
 *                                                             $VGG_PRECISION
 *   workspace   MiB one GPU convolution may use               default 1024 or
 *                                                             $VGG_WORKSPACE_MB
 *   threads     threads for the nets, 0: all cores            default 0
 *
 * ("-" and "_" are the same in names: with_image.)  Rows depend on the
 * thread count in their last bits, as `vggfeat extract`'s do. */
typedef struct vgg_describer_opts vgg_describer_opts;

/* New options with the defaults.  NOMEM.  Any thread. */
vgg_status vgg_describer_opts_new(vgg_describer_opts **out);
void vgg_describer_opts_free(vgg_describer_opts *o);

/* Set option name to value (copied).  INVALID naming the option and the
 * value for an unknown name or a bad value (the options keep their
 * previous value); the nets, models and device are checked when opened.
 * Not concurrently with other calls on the same o. */
vgg_status vgg_describer_opts_set(vgg_describer_opts *o, const char *name, const char *value);

/* ---- describing images ---- */

typedef struct vgg_describer vgg_describer;

/* Open the device and load the nets of o (o is copied; free it whenever).
 * INVALID or NOT_FOUND naming the net and the file to put where when a
 * net is unknown or its weights are missing; the weights' own errors
 * (FORMAT ... naming the file); INVALID when a scale is below a net's
 * smallest input; UNSUPPORTED or DEVICE for a device this build or
 * machine lacks.  Any thread. */
vgg_status vgg_describer_open(const vgg_describer_opts *o, vgg_describer **out);
/* Not concurrently with other calls on the same d. */
void vgg_describer_close(vgg_describer *d);

/* Floats per row.  Any thread. */
int vgg_describer_dim(const vgg_describer *d);
/* What made the rows, as the JSON object a feature store records
 * ("desc" in docs/feature-store.md: dim, nets with their digests, scales,
 * aggregate, layer, flip, l2, version).  Borrowed, valid until close.
 * Any thread. */
const char *vgg_describer_description(const vgg_describer *d);

/* A box of an image: box[0..3] = x1, y1, x2, y2, in pixels of the image
 * as shown (after its EXIF orientation), 0-based, x2 and y2 exclusive:
 * Pillow's Image.crop box.  The box is described as a whole image would
 * be (its smaller side resized to each Q).  NULL: the whole image. */

/* Describe the image file path (JPEG or PNG, recognised by content, EXIF
 * orientation applied), or its box when box is not NULL, into out
 * (vgg_describer_dim floats; undefined on failure).  Errors name path:
 * NOT_FOUND or IO when it cannot be read, FORMAT when it is not a whole
 * image, DAMAGED when the decoder warned, TOO_LARGE over the size limits,
 * INVALID for a box outside the image or empty.  Any thread: decoding runs
 * concurrently, the nets one call at a time per describer. */
vgg_status vgg_describer_file(vgg_describer *d, const char *path, const int *box, float *out);

/* The byte order of a pixel buffer's pixels. */
typedef enum vgg_pixel_format {
    VGG_PIXEL_RGB = 0,   /* 3 bytes a pixel: red, green, blue */
    VGG_PIXEL_BGR = 1,   /* 3 bytes a pixel: blue, green, red (OpenCV's order) */
    VGG_PIXEL_GRAY = 2   /* 1 byte a pixel, replicated to RGB */
} vgg_pixel_format;

/* Describe the w x h 8-bit image at pixels, row y starting at
 * pixels + y * stride (stride in bytes, at least w times the pixel's
 * size), or its box when box is not NULL, into out as vgg_describer_file.
 * The buffer is borrowed for the call.  INVALID for a NULL buffer, sizes
 * below 1, a short stride, an unknown format or a bad box; TOO_LARGE over
 * the size limits.  Pixels equal to a file's decoded pixels give that
 * file's row.  Any thread, as vgg_describer_file. */
vgg_status vgg_describer_pixels(vgg_describer *d, const uint8_t *pixels, int w, int h,
                                size_t stride, vgg_pixel_format format, const int *box,
                                float *out);

/* ---- reading feature stores (docs/feature-store.md) ---- */

typedef struct vgg_store vgg_store;

/* Open the store at path read-only (memory-mapped), every row's checksum
 * checked.  A partial last row left by an interrupted writer is ignored.
 * NOT_FOUND or IO when it cannot be read, FORMAT naming the file (and the
 * row) when it is not a store or is damaged.  Any thread. */
vgg_status vgg_store_open(const char *path, vgg_store **out);
/* Not concurrently with other calls on the same s; every pointer it gave
 * becomes invalid. */
void vgg_store_close(vgg_store *s);

/* Rows, and floats per row.  Any thread. */
size_t vgg_store_rows(const vgg_store *s);
int vgg_store_dim(const vgg_store *s);

/* Row r's dim floats, in the mapped file (borrowed until close; NULL when
 * r >= rows).  The rows are not contiguous: each sits in a fixed-size
 * record with its name and label, row r + 1 starting
 * vgg_store_row_stride bytes after row r (a multiple of 4).  Any thread. */
const float *vgg_store_row(const vgg_store *s, size_t r);
size_t vgg_store_row_stride(const vgg_store *s);

/* Row r's name (the image's path as given, or "path#x1,y1,x2,y2" for a
 * box), its label ("" when it has none) and its input index (its position
 * in the input list of the extraction).  Borrowed until close; NULL (0)
 * when r >= rows.  Any thread. */
const char *vgg_store_name(const vgg_store *s, size_t r);
const char *vgg_store_label(const vgg_store *s, size_t r);
uint64_t vgg_store_index(const vgg_store *s, size_t r);

/* What made the rows: the JSON object of vgg_describer_description.
 * Borrowed until close.  Any thread. */
const char *vgg_store_description(const vgg_store *s);

#ifdef __cplusplus
}
#endif
#endif
