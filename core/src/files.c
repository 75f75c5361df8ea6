#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "vgg/core.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* The temporary file (or the stream) is a stdio stream over our own write
 * function, so the first failing write(2) leaves its errno here and the
 * commit can say why (a full disk, a file-size limit) even when the caller
 * used fprintf without checking each call. */
typedef struct atomic_sink {
    int fd;
    int err;        /* errno of the first failed write, 0 if none */
    bool stream;    /* written in place: no temporary, no rename, no fsync */
    bool existed;   /* a regular file was at path when it was opened */
} atomic_sink;

static ssize_t sink_write(void *cookie, const char *buf, size_t n)
{
    atomic_sink *s = cookie;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(s->fd, buf + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            if (!s->err)
                s->err = w < 0 ? errno : ENOSPC;
            return done ? (ssize_t)done : -1;
        }
        done += (size_t)w;
    }
    return (ssize_t)n;
}

static int sink_close(void *cookie)
{
    (void)cookie;   /* the descriptor is closed by vgg_atomic_commit/abort */
    return 0;
}

/* the descriptor of a stream output: a duplicate of the one a name such as
 * "-" or /dev/fd/3 stands for, or a character device or FIFO opened in
 * place (never created, never truncated) */
static vgg_status open_stream(const char *path, int *fd_out)
{
    int which = vgg_output_stream_fd(path);
    if (which >= 0) {
        /* what the program printed before goes out before the stream */
        if (which == 1)
            fflush(stdout);
        else if (which == 2)
            fflush(stderr);
        *fd_out = fcntl(which, F_DUPFD_CLOEXEC, 3);
        if (*fd_out < 0)
            return vgg_fail(VGG_STATUS_IO, "'%s': cannot write: %s", path, strerror(errno));
        return VGG_STATUS_OK;
    }
    *fd_out = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
    if (*fd_out < 0)
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot open for writing: %s", path,
                        strerror(errno));
    return VGG_STATUS_OK;
}

static vgg_status atomic_open(const char *path, unsigned flags, vgg_atomic_file *af)
{
    memset(af, 0, sizeof *af);
    vgg_status st = vgg_output_check_kind(path, flags);
    if (st != VGG_STATUS_OK)
        return st;
    size_t n = strlen(path) + 32;
    af->path = strdup(path);
    af->tmp_path = malloc(n);
    atomic_sink *sink = calloc(1, sizeof *sink);
    if (!af->path || !af->tmp_path || !sink) {
        free(sink);
        vgg_atomic_abort(af);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    sink->fd = -1;
    af->sink = sink;
    if ((flags & VGG_OUTPUT_STREAM) && vgg_output_is_stream(path)) {
        sink->stream = true;
        free(af->tmp_path);
        af->tmp_path = NULL;
        st = open_stream(path, &sink->fd);
        if (st != VGG_STATUS_OK) {
            vgg_atomic_abort(af);
            return st;
        }
    } else {
        struct stat sb;
        sink->existed = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
        snprintf(af->tmp_path, n, "%s.tmp.%ld", path, (long)getpid());
        sink->fd = open(af->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
        if (sink->fd < 0) {
            int e = errno;
            vgg_atomic_abort(af);
            return vgg_fail(VGG_STATUS_IO, "'%s': cannot create: %s", path, strerror(e));
        }
    }
    af->fp = fopencookie(sink, "wb", (cookie_io_functions_t){ .write = sink_write,
                                                               .close = sink_close });
    if (!af->fp) {
        vgg_atomic_abort(af);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_atomic_open(const char *path, vgg_atomic_file *af)
{
    return atomic_open(path, 0, af);
}

vgg_status vgg_atomic_open_stream(const char *path, vgg_atomic_file *af)
{
    return atomic_open(path, VGG_OUTPUT_STREAM, af);
}

/* fsync the directory holding path, so the rename survives a crash.
 * File systems that cannot sync a directory (EINVAL) are not an error. */
static vgg_status sync_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    char *slash = strrchr(copy, '/');
    const char *dir = ".";
    if (slash == copy)
        dir = "/";
    else if (slash) {
        *slash = '\0';
        dir = copy;
    }
    vgg_status st = VGG_STATUS_OK;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL && errno != EROFS))
        st = vgg_fail(VGG_STATUS_IO, "'%s': written, but its folder '%s' cannot be synced: %s",
                      path, dir, strerror(errno));
    if (fd >= 0)
        close(fd);
    free(copy);
    return st;
}

vgg_status vgg_atomic_commit(vgg_atomic_file *af)
{
    atomic_sink *sink = af->sink;
    /* the one place where every write of the file is checked: an earlier
     * failed write (ferror), the last buffer (fflush), the disk (fsync; not
     * for a stream, which a pipe or device cannot take) */
    int err = 0;
    if (fflush(af->fp) != 0 || ferror(af->fp))
        err = sink->err ? sink->err : (errno ? errno : EIO);
    else if (sink->err)
        err = sink->err;
    else if (!sink->stream && fsync(sink->fd) != 0)
        err = errno;
    fclose(af->fp);
    af->fp = NULL;
    if (close(sink->fd) != 0 && !err && !sink->stream)
        err = errno;
    sink->fd = -1;
    vgg_status st = VGG_STATUS_OK;
    if (err && sink->existed)
        st = vgg_fail(VGG_STATUS_IO, "'%s': cannot write: %s; the previous '%s' is left as it was",
                      af->path, strerror(err), af->path);
    else if (err && strcmp(af->path, "-") == 0)
        st = vgg_fail(VGG_STATUS_IO, "cannot write to standard output: %s", strerror(err));
    else if (err)
        st = vgg_fail(VGG_STATUS_IO, "'%s': cannot write: %s", af->path, strerror(err));
    else if (!sink->stream && rename(af->tmp_path, af->path) != 0)
        st = vgg_fail(VGG_STATUS_IO, "'%s': cannot rename into place: %s", af->path,
                      strerror(errno));
    if (st == VGG_STATUS_OK && !sink->stream) {
        free(af->tmp_path);
        af->tmp_path = NULL;
        st = sync_parent_dir(af->path);
    }
    vgg_atomic_abort(af);
    return st;
}

void vgg_atomic_abort(vgg_atomic_file *af)
{
    if (!af)
        return;
    if (af->fp)
        fclose(af->fp);
    atomic_sink *sink = af->sink;
    if (sink && sink->fd >= 0)
        close(sink->fd);
    free(sink);
    if (af->tmp_path)
        unlink(af->tmp_path);
    free(af->tmp_path);
    free(af->path);
    memset(af, 0, sizeof *af);
}

vgg_status vgg_write_all(FILE *fp, const void *buf, size_t n, const char *path)
{
    if (n && fwrite(buf, 1, n, fp) != n)
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot write: %s", path, strerror(errno));
    return VGG_STATUS_OK;
}

vgg_status vgg_read_file(const char *path, size_t max_bytes, char **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    FILE *fp;
    vgg_status st = vgg_fopen_regular(path, &fp);
    if (st != VGG_STATUS_OK)
        return st;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    if (!buf) {
        fclose(fp);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    for (;;) {
        if (n == cap) {
            if (max_bytes && cap >= max_bytes) {
                free(buf);
                fclose(fp);
                return vgg_fail(VGG_STATUS_TOO_LARGE, "'%s': larger than %zu bytes", path,
                                max_bytes);
            }
            cap *= 2;
            char *nb = realloc(buf, cap + 1);
            if (!nb) {
                free(buf);
                fclose(fp);
                return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
            }
            buf = nb;
        }
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (got == 0)
            break;
    }
    int err = ferror(fp);
    fclose(fp);
    if (err) {
        free(buf);
        return vgg_fail(VGG_STATUS_IO, "'%s': read error", path);
    }
    if (max_bytes && n > max_bytes) {
        free(buf);
        return vgg_fail(VGG_STATUS_TOO_LARGE, "'%s': larger than %zu bytes", path, max_bytes);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return VGG_STATUS_OK;
}

vgg_status vgg_map_file(const char *path, vgg_mapped *m)
{
    m->data = NULL;
    m->size = 0;
    int fd;
    vgg_status st = vgg_open_regular(path, &fd);
    if (st != VGG_STATUS_OK)
        return st;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot stat: %s", path, strerror(e));
    }
    if (sb.st_size == 0) {
        close(fd);
        return VGG_STATUS_OK;
    }
    void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    int e = errno;
    close(fd);
    if (p == MAP_FAILED)
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot map: %s", path, strerror(e));
    m->data = p;
    m->size = (size_t)sb.st_size;
    return VGG_STATUS_OK;
}

vgg_status vgg_map_make_private(vgg_mapped *m, const char *path)
{
    if (!m->data)
        return VGG_STATUS_OK;
    /* the map is MAP_PRIVATE: writing never reaches the file */
    if (mprotect((void *)m->data, m->size, PROT_READ | PROT_WRITE) != 0)
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot make the map writable: %s", path,
                        strerror(errno));
#ifdef MADV_POPULATE_READ
    /* the page tables for the whole file now (page cache warm: no reads);
     * kernels before 5.14 refuse it, and the pages fault in as used */
    (void)madvise((void *)m->data, m->size, MADV_POPULATE_READ);
#else
    (void)madvise((void *)m->data, m->size, MADV_WILLNEED);
#endif
    return VGG_STATUS_OK;
}

void vgg_unmap_file(vgg_mapped *m)
{
    if (m && m->data)
        munmap((void *)m->data, m->size);
    if (m) {
        m->data = NULL;
        m->size = 0;
    }
}

vgg_status vgg_sha256_init(vgg_sha256 *s)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        s->ctx = NULL;
        return vgg_fail(VGG_STATUS_NOMEM, "sha256: cannot initialise digest");
    }
    s->ctx = ctx;
    return VGG_STATUS_OK;
}

void vgg_sha256_update(vgg_sha256 *s, const void *data, size_t n)
{
    EVP_DigestUpdate((EVP_MD_CTX *)s->ctx, data, n);
}

void vgg_sha256_final_hex(vgg_sha256 *s, char hex[65])
{
    unsigned char md[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex((EVP_MD_CTX *)s->ctx, md, &len);
    EVP_MD_CTX_free((EVP_MD_CTX *)s->ctx);
    s->ctx = NULL;
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

double vgg_now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

double vgg_cpu_seconds(void)
{
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0)
        return 0;
    return (double)u.ru_utime.tv_sec + 1e-6 * (double)u.ru_utime.tv_usec +
           (double)u.ru_stime.tv_sec + 1e-6 * (double)u.ru_stime.tv_usec;
}

size_t vgg_peak_rss_bytes(void)
{
    FILE *fp = fopen("/proc/self/status", "r");
    if (!fp)
        return 0;
    char line[256];
    size_t kb = 0;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "VmHWM:", 6) == 0) {
            kb = strtoull(line + 6, NULL, 10);
            break;
        }
    }
    fclose(fp);
    return kb * 1024;
}

vgg_status vgg_parse_int_list(const char *text, int *out, int max, int *count)
{
    *count = 0;
    const char *p = text;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || v <= 0 || v > INT_MAX)
            return vgg_fail(VGG_STATUS_INVALID, "'%s': expected positive integers separated by commas",
                            text);
        if (*count >= max)
            return vgg_fail(VGG_STATUS_INVALID, "'%s': at most %d values", text, max);
        out[(*count)++] = (int)v;
        p = end;
        if (*p == ',')
            p++;
        else if (*p)
            return vgg_fail(VGG_STATUS_INVALID, "'%s': expected positive integers separated by commas",
                            text);
    }
    if (*count == 0)
        return vgg_fail(VGG_STATUS_INVALID, "empty list");
    return VGG_STATUS_OK;
}
