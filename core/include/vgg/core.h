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

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "vgg/version.h" /* VGG_VERSION_STRING: the project version, from CMake */

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
 * vgg_atomic_commit() checks every write made through fp once (an earlier
 * failed write, the final flush, fsync of the file), renames it over path
 * and fsyncs the folder.  Any failure (a full disk, a file-size limit) is
 * an IO status naming path with the reason, the temporary is removed and
 * the previous file at path, if there was one, is left untouched (the
 * message says so only then).  Callers may write to fp with
 * fprintf/fputc without checking each call.
 *
 * vgg_atomic_open() writes regular files only: it applies
 * vgg_output_check_kind(path, 0), so a device, FIFO, socket, directory or
 * "-" is refused (INVALID) and never replaced.  vgg_atomic_open_stream()
 * also takes the streams of vgg_output_check_kind(path, VGG_OUTPUT_STREAM)
 * and writes them in place, with no temporary and no rename: "-" and
 * "/dev/stdout" (standard output, after flushing stdout), "/dev/stderr",
 * "/dev/fd/N", a character device (/dev/null, a terminal) or a FIFO
 * (opening one waits for its reader).  The commit then flushes and checks
 * every write the same way ("'/dev/full': cannot write: No space left on
 * device"; "standard output: ..." for "-"); what reached a stream before a
 * failure stays there.  tmp_path is NULL for a stream.
 * vgg_atomic_abort() removes the temporary (also safe after commit/NULL). */
typedef struct vgg_atomic_file {
    FILE *fp;
    char *path;
    char *tmp_path;
    void *sink;     /* private: the descriptor and the first write error */
} vgg_atomic_file;

vgg_status vgg_atomic_open(const char *path, vgg_atomic_file *af);
vgg_status vgg_atomic_open_stream(const char *path, vgg_atomic_file *af);
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
/* Make the map writable in private (copy on write: a page written becomes
 * this process's own, the file never changes) and ask the kernel to map
 * its pages now, in one call, rather than a fault at a time (where it can:
 * a hint).  IO naming path when the protection cannot change. */
vgg_status vgg_map_make_private(vgg_mapped *m, const char *path);

/* ---- list files: "path[<TAB>label]" per line ----
 *
 * The one rule of every list the programs read (image lists, labels files,
 * class indexes): a line ends at "\n" (a "\r" before it is dropped); blank
 * lines are skipped; the line is split at its FIRST TAB into the path and
 * the label (the label is "" when there is no TAB, and keeps any further
 * TAB unless VGG_LIST_ONE_TAB; spaces at its start and end are dropped, so
 * "cat " is the class cat); the path may not be empty and is kept as it
 * is; a UTF-8 byte order mark at the start of the file is skipped; a file
 * holding a NUL byte is not a list.  Options: VGG_LIST_COMMENTS skips lines that
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

/* The one rule for a path named twice (image lists and labels files):
 * FORMAT "'<file>', line <n>: '<path>' is given twice (first on line <m>)"
 * for the earliest repeat; OK when every path is named once.  Not
 * reentrant (one list at a time). */
vgg_status vgg_list_check_unique(const vgg_list *l, const char *path);
void vgg_list_free(vgg_list *l);

/* ---- guarded paths ---- */

/* Open path for reading without ever blocking: opened with O_NONBLOCK, then
 * refused unless fstat says it is a regular file (a FIFO, device, socket or
 * directory is IO, the message naming the path and what it is), then
 * O_NONBLOCK is cleared.  NOT_FOUND or IO if it cannot be opened.  The
 * caller owns *fd_out (-1 on failure) / *out (NULL on failure). */
vgg_status vgg_open_regular(const char *path, int *fd_out);
vgg_status vgg_fopen_regular(const char *path, FILE **out);

/* The one output rule: refuse (INVALID) when output names the same file as
 * one of the n inputs, compared by device and inode so hard and symbolic
 * links count; the message names the input that writing would destroy.
 * An output that does not exist yet passes; an output that is a directory
 * is refused.  Inputs that do not exist are skipped (their readers report
 * them).  Call it before opening anything for writing. */
vgg_status vgg_output_check(const char *output, const char *const *inputs, size_t n_inputs);

/* The kind rule for outputs: what a path given as an output may be.
 * Regular files and paths that do not exist yet pass.  With
 * VGG_OUTPUT_STREAM (outputs that make sense as a stream: text exports,
 * scores, CSV, SVG) so do the names of open descriptors ("-" and
 * "/dev/stdout" for standard output, "/dev/stderr", "/dev/fd/N",
 * "/proc/self/fd/N"), character devices and FIFOs, which are written in
 * place.  Anything else is refused (INVALID, naming the path and what it
 * is): a directory, a block device, a socket, and without the flag any
 * stream (a store that is appended to and resumed, a model, weights, a
 * checkpoint, a log).  vgg_atomic_open* and the feature store writers
 * apply it; programs also call it before slow work, so that a bad -o is
 * refused at once.  Nothing is ever renamed over a device or FIFO. */
enum { VGG_OUTPUT_STREAM = 1 };
vgg_status vgg_output_check_kind(const char *output, unsigned flags);

/* The descriptor a stream name stands for: 1 for "-" and "/dev/stdout", 2
 * for "/dev/stderr", 0 for "/dev/stdin", N for "/dev/fd/N" and
 * "/proc/self/fd/N"; -1 for any other path. */
int vgg_output_stream_fd(const char *path);

/* True when path names a stream: a descriptor name above, or an existing
 * character device or FIFO. */
bool vgg_output_is_stream(const char *path);

/* An advisory lock for one writer of a store or checkpoint: an exclusive
 * flock on "<path>.lock" (holding the owner's pid).  A second writer is
 * refused at once (INVALID, naming path and the holder's pid), never made
 * to wait.  The lock lasts until vgg_lock_release() or the process ends
 * (even by a crash); release removes the lock file.  NULL is accepted. */
typedef struct vgg_lock vgg_lock;
vgg_status vgg_lock_acquire(const char *path, vgg_lock **out);
void vgg_lock_release(vgg_lock *lk);

/* ---- interrupts ---- */

/* Record SIGINT and SIGTERM instead of dying (no SA_RESTART, so a blocking
 * read returns EINTR); vgg_signals_restore() puts the previous handlers
 * back.  Programs poll vgg_check_interrupt() (INTERRUPTED "interrupted by
 * SIGTERM", or OK) and exit with vgg_signal_exit_code(vgg_signal_received()):
 * 130 for SIGINT, 143 for SIGTERM, 0 when none came. */
vgg_status vgg_signals_install(void);
void vgg_signals_restore(void);
int vgg_signal_received(void);
int vgg_signal_exit_code(int sig);
vgg_status vgg_check_interrupt(void);

/* pthread_cond_wait that wakes at least every 0.1 s to look for a signal:
 * OK after a wake-up (spurious or not; the caller re-checks its condition in
 * a loop), INTERRUPTED once SIGINT/SIGTERM has come.  mu held on return. */
vgg_status vgg_cond_wait_interruptible(pthread_cond_t *cv, pthread_mutex_t *mu);

/* ---- thread counts ---- */

/* The most threads one pool may have: every program's --threads and
 * --loaders refuse more, and the CPU backend refuses more too. */
#define VGG_MAX_THREADS 64
/* The same number as text, for help texts ("at most " VGG_MAX_THREADS_TEXT). */
#define VGG_MAX_THREADS_TEXT VGG_STRINGIFY_(VGG_MAX_THREADS)
#define VGG_STRINGIFY_(x) VGG_STRINGIFY2_(x)
#define VGG_STRINGIFY2_(x) #x

/* The value of a thread-count option (option: "--threads") into *out: a
 * whole number from min (0, meaning one per core, or 1) to
 * VGG_MAX_THREADS.  INVALID otherwise, the message naming the option, the
 * value and the range ("--threads: '100000' is not a usable count: give 1
 * to 64 threads, or 0 for one per core"). */
vgg_status vgg_threads_parse(const char *option, const char *text, int min, int *out);

/* What a thread count of 0 means: the online cores, from 1 to
 * VGG_MAX_THREADS. */
int vgg_threads_all(void);

/* The stack a new thread gets (pthread's default attributes, as OpenMP
 * and OpenBLAS start theirs), in bytes. */
size_t vgg_threads_stack_bytes(void);

/* Whether *threads threads that each take bytes_per_thread of address
 * space (stacks, buffers) fit under the address-space limit (RLIMIT_AS,
 * `ulimit -v`) beside what the process already maps.  No limit: OK.  When
 * they do not fit, fewer_ok lowers *threads to the count that fits (at
 * least 1); otherwise TOO_LARGE naming what (e.g. "cpu"), the count, the
 * bytes they need and the bytes the limit leaves, and the count that
 * fits.  That count keeps a reserve of 1/16 of what is left (at least 256
 * MiB), so that it fits again in another run of the same command (what a
 * process maps before the check varies a little).  Nothing is allocated. */
vgg_status vgg_threads_fit(const char *what, int *threads, size_t bytes_per_thread,
                           bool fewer_ok);

/* ---- names and labels in text output (docs/escaping.md) ---- */

/* The escaped form: "\\" for a backslash, "\t", "\n", "\r", and "\xHH" for
 * other control bytes and for bytes outside valid UTF-8; everything else as
 * it is.  It is valid UTF-8 with no control character.
 * vgg_text_escape: malloc'd escaped form.  vgg_text_unescape: the bytes
 * back (FORMAT on a stray backslash or \x00).  vgg_text_is_plain: true
 * when escaping changes nothing. */
vgg_status vgg_text_escape(const char *s, char **out);
vgg_status vgg_text_unescape(const char *s, char **out);
bool vgg_text_is_plain(const char *s);

/* Write s as one field: TSV (the escaped form), CSV (the escaped form,
 * RFC 4180-quoted when it holds a comma or quote), JSON (a string holding
 * the escaped form, with its quotes).  Errors surface in ferror(fp). */
void vgg_tsv_put(FILE *fp, const char *s);
void vgg_csv_put(FILE *fp, const char *s);
void vgg_json_put(FILE *fp, const char *s);

/* ---- digests ---- */

/* SHA-256 streaming digest; hex is 64 characters plus NUL. */
typedef struct vgg_sha256 { void *ctx; } vgg_sha256;
vgg_status vgg_sha256_init(vgg_sha256 *s);
void vgg_sha256_update(vgg_sha256 *s, const void *data, size_t n);
void vgg_sha256_final_hex(vgg_sha256 *s, char hex[65]);

/* ---- time and memory, for progress lines and reports ---- */

double vgg_now_seconds(void);      /* monotonic clock */
double vgg_cpu_seconds(void);      /* this process's processor time, user + system */
size_t vgg_peak_rss_bytes(void);   /* VmHWM of this process, 0 if unknown */

/* ---- a small deterministic RNG (splitmix64), the same on every machine ---- */

/* The state is any 64-bit seed; each call advances it.  vgg_rng_normal
 * draws two uniforms (Box-Muller, no cached value), so the state alone
 * determines the sequence. */
uint64_t vgg_rng_next(uint64_t *state);
double vgg_rng_uniform(uint64_t *state);       /* [0, 1) */
double vgg_rng_normal(uint64_t *state);        /* N(0, 1) */

/* ---- splitting a comma list of numbers ("256,384") ---- */
vgg_status vgg_parse_int_list(const char *text, int *out, int max, int *count);

#ifdef __cplusplus
}
#endif
#endif
