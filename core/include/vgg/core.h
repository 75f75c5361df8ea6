/* vggfeat core: statuses, error messages, preprocessing description and
 * small file helpers shared by every module.
 *
 * Every fallible function in vggfeat returns a vgg_status.  On failure it
 * has recorded a message (thread-local) that names the file or object and
 * what was wrong; vgg_last_error() returns it.  Library code never prints
 * and never exits.
 */
#ifndef VGG_CORE_H
#define VGG_CORE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VGG_VERSION_STRING "0.1.0"

typedef enum vgg_status {
    VGG_STATUS_OK = 0,
    VGG_STATUS_NOMEM,       /* an allocation failed */
    VGG_STATUS_IO,          /* open/read/write/rename failed (errno text in message) */
    VGG_STATUS_FORMAT,      /* a file is malformed, truncated or not of the expected kind */
    VGG_STATUS_DAMAGED,     /* decodable, but the decoder warned (e.g. premature end of JPEG data) */
    VGG_STATUS_INVALID,     /* a bad argument, option or value */
    VGG_STATUS_MISMATCH,    /* two things that must agree do not (shapes, settings, stores) */
    VGG_STATUS_TOO_LARGE,   /* a size over a configured limit */
    VGG_STATUS_NOT_FOUND,   /* a file, key, tensor or name is missing */
    VGG_STATUS_UNSUPPORTED, /* a valid request this build or backend cannot do */
    VGG_STATUS_NUMERIC,     /* NaN or infinity where a finite number is needed */
    VGG_STATUS_INTERRUPTED, /* stopped on request (signal) */
    VGG_STATUS_DEVICE,      /* a device (GPU) call failed */
    VGG_STATUS_COUNT_
} vgg_status;

/* Record a formatted message for the calling thread and return status. */
vgg_status vgg_fail(vgg_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefix the calling thread's current message with a formatted context
 * ("while reading 'x': ") and return status unchanged. */
vgg_status vgg_fail_context(vgg_status status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The calling thread's last message ("" if none). Borrowed. */
const char *vgg_last_error(void);

/* Clear the calling thread's message. */
void vgg_clear_error(void);

/* A short name for a status ("format error"). */
const char *vgg_status_name(vgg_status status);

/* For broken invariants (bugs) only, never for bad input. */
#define VGG_ASSERT(cond)                                                       \
    do {                                                                       \
        if (!(cond))                                                           \
            vgg_assert_fail(#cond, __FILE__, __LINE__);                        \
    } while (0)
void vgg_assert_fail(const char *expr, const char *file, int line)
    __attribute__((noreturn));

/* ---- preprocessing: how 8-bit RGB pixels become network input ---- */

typedef enum vgg_channel_order {
    VGG_CHANNELS_RGB = 0,
    VGG_CHANNELS_BGR = 1
} vgg_channel_order;

/* value = (pixel / 255 * range - mean[c]) / std[c], channel c in the
 * network's order (mean and std are given in that order too).
 * torchvision: RGB, range 1, mean (0.485, 0.456, 0.406), std (0.229, 0.224, 0.225).
 * Oxford Caffe: BGR, range 255, mean (103.939, 116.779, 123.68), std 1. */
typedef struct vgg_preproc {
    vgg_channel_order order;
    float range;
    float mean[3];
    float std[3];
} vgg_preproc;

void vgg_preproc_torchvision(vgg_preproc *p);
void vgg_preproc_caffe(vgg_preproc *p);

/* ---- files ---- */

/* An output file written atomically: data goes to "<path>.tmp.<pid>", and
 * vgg_atomic_commit() flushes, fsyncs and renames it over path.
 * vgg_atomic_abort() removes the temporary (also safe after commit/NULL). */
typedef struct vgg_atomic_file {
    FILE *fp;
    char *path;
    char *tmp_path;
} vgg_atomic_file;

vgg_status vgg_atomic_open(const char *path, vgg_atomic_file *af);
vgg_status vgg_atomic_commit(vgg_atomic_file *af);
void vgg_atomic_abort(vgg_atomic_file *af);

/* Write all of buf to fp; IO status naming path on failure. */
vgg_status vgg_write_all(FILE *fp, const void *buf, size_t n, const char *path);

/* Read a whole file into a malloc'd buffer (NUL-terminated; *len excludes
 * the NUL). Refuses files over max_bytes (0: no limit) with TOO_LARGE. */
vgg_status vgg_read_file(const char *path, size_t max_bytes, char **out, size_t *len);

/* A read-only memory map of a whole file (empty files map to NULL, size 0). */
typedef struct vgg_mapped {
    const uint8_t *data;
    size_t size;
} vgg_mapped;
vgg_status vgg_map_file(const char *path, vgg_mapped *m);
void vgg_unmap_file(vgg_mapped *m);

/* ---- list files: "path[<TAB>label]" per line ----
 *
 * The one rule of every list the programs read (image lists, labels files,
 * class indexes): a line ends at "\n" (a "\r" before it is dropped); blank
 * lines are skipped; the line is split at its FIRST TAB into the path and
 * the label (the label is "" when there is no TAB, and keeps any further
 * TAB unless VGG_LIST_ONE_TAB); the path may not be empty; a file holding
 * a NUL byte is not a list.  Options: VGG_LIST_COMMENTS skips lines that
 * start with '#'; VGG_LIST_LABELS requires a TAB on every line.  Errors
 * are FORMAT and read "'<file>', line <n>: <problem>" ("expected
 * path<TAB>label", "empty path", "more than one TAB"). */
enum {
    VGG_LIST_COMMENTS = 1,
    VGG_LIST_LABELS = 2,
    VGG_LIST_ONE_TAB = 4,
};

typedef struct vgg_list {
    size_t n;
    char **paths;
    char **labels;     /* "" when the line has none */
    size_t *lines;     /* 1-based line numbers, for messages */
    char *text;        /* the file, which paths and labels point into */
} vgg_list;

vgg_status vgg_list_read(const char *path, unsigned flags, vgg_list **out);
void vgg_list_free(vgg_list *l);

/* ---- digests ---- */

/* SHA-256 streaming digest; hex is 64 characters plus NUL. */
typedef struct vgg_sha256 { void *ctx; } vgg_sha256;
vgg_status vgg_sha256_init(vgg_sha256 *s);
void vgg_sha256_update(vgg_sha256 *s, const void *data, size_t n);
void vgg_sha256_final_hex(vgg_sha256 *s, char hex[65]);

/* ---- time and memory, for progress lines and reports ---- */

double vgg_now_seconds(void);      /* monotonic clock */
size_t vgg_peak_rss_bytes(void);   /* VmHWM of this process, 0 if unknown */

/* ---- splitting a comma list of numbers ("256,384") ---- */
vgg_status vgg_parse_int_list(const char *text, int *out, int max, int *count);

#ifdef __cplusplus
}
#endif
#endif
