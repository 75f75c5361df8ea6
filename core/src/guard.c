/* Guards on the paths a program reads and writes: inputs that are regular
 * files, outputs that are not inputs, and one writer per store. */
#include "vgg/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t m)
{
    if (S_ISDIR(m))
        return "a directory";
    if (S_ISFIFO(m))
        return "a FIFO (named pipe)";
    if (S_ISCHR(m))
        return "a character device";
    if (S_ISBLK(m))
        return "a block device";
    if (S_ISSOCK(m))
        return "a socket";
    return "not a regular file";
}

vgg_status vgg_open_regular(const char *path, int *fd_out)
{
    *fd_out = -1;
    /* O_NONBLOCK: opening a FIFO with no writer must not wait for one */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0)
        return vgg_fail(errno == ENOENT ? VGG_STATUS_NOT_FOUND : VGG_STATUS_IO,
                        "'%s': cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return vgg_fail(VGG_STATUS_IO, "'%s': is %s, not a regular file; give the path of "
                        "a file", path, kind_of(sb.st_mode));
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0) {
        int e = errno;
        close(fd);
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot open: %s", path, strerror(e));
    }
    *fd_out = fd;
    return VGG_STATUS_OK;
}

vgg_status vgg_fopen_regular(const char *path, FILE **out)
{
    *out = NULL;
    int fd;
    vgg_status st = vgg_open_regular(path, &fd);
    if (st != VGG_STATUS_OK)
        return st;
    FILE *fp = fdopen(fd, "rb");
    if (!fp) {
        close(fd);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    *out = fp;
    return VGG_STATUS_OK;
}

vgg_status vgg_output_check(const char *output, const char *const *inputs, size_t n_inputs)
{
    struct stat out_sb;
    if (stat(output, &out_sb) != 0) {
        if (errno == ENOENT)
            return VGG_STATUS_OK;   /* a new file cannot be an input */
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot check the output path: %s", output,
                        strerror(errno));
    }
    if (S_ISDIR(out_sb.st_mode))
        return vgg_fail(VGG_STATUS_INVALID, "'%s': the output is a directory; give a file path",
                        output);
    for (size_t i = 0; i < n_inputs; i++) {
        struct stat in_sb;
        if (!inputs[i] || stat(inputs[i], &in_sb) != 0)
            continue;   /* a missing input is its reader's to report */
        if (in_sb.st_dev == out_sb.st_dev && in_sb.st_ino == out_sb.st_ino) {
            if (strcmp(inputs[i], output) == 0)
                return vgg_fail(VGG_STATUS_INVALID, "'%s': the output is also an input; "
                                "writing it would destroy that input; choose another output "
                                "path", output);
            return vgg_fail(VGG_STATUS_INVALID, "'%s': the output is the input '%s' (the same "
                            "file by a link); writing it would destroy that input; choose "
                            "another output path", output, inputs[i]);
        }
    }
    return VGG_STATUS_OK;
}

int vgg_output_stream_fd(const char *path)
{
    if (strcmp(path, "-") == 0 || strcmp(path, "/dev/stdout") == 0)
        return 1;
    if (strcmp(path, "/dev/stderr") == 0)
        return 2;
    if (strcmp(path, "/dev/stdin") == 0)
        return 0;
    const char *num = NULL;
    if (strncmp(path, "/dev/fd/", 8) == 0)
        num = path + 8;
    else if (strncmp(path, "/proc/self/fd/", 14) == 0)
        num = path + 14;
    if (!num || !*num || strlen(num) > 6 || num[strspn(num, "0123456789")] != '\0')
        return -1;
    return atoi(num);
}

bool vgg_output_is_stream(const char *path)
{
    struct stat sb;
    return vgg_output_stream_fd(path) >= 0 ||
           (stat(path, &sb) == 0 && (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode)));
}

vgg_status vgg_output_check_kind(const char *output, unsigned flags)
{
    bool stream_ok = (flags & VGG_OUTPUT_STREAM) != 0;
    if (vgg_output_stream_fd(output) >= 0) {
        if (stream_ok)
            return VGG_STATUS_OK;
        return vgg_fail(VGG_STATUS_INVALID, "'%s': names %s, not a regular file; this output "
                        "is written only to a regular file: give a file path%s", output,
                        strcmp(output, "-") == 0 || strcmp(output, "/dev/stdout") == 0
                            ? "standard output" : "an open descriptor",
                        strcmp(output, "-") == 0 ? " ('./-' for a file named '-')" : "");
    }
    struct stat sb;
    if (stat(output, &sb) != 0) {
        if (errno == ENOENT)
            return VGG_STATUS_OK;   /* a new file */
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot check the output path: %s", output,
                        strerror(errno));
    }
    if (S_ISREG(sb.st_mode))
        return VGG_STATUS_OK;
    if (S_ISDIR(sb.st_mode))
        return vgg_fail(VGG_STATUS_INVALID, "'%s': the output is a directory; give a file path",
                        output);
    if (stream_ok && (S_ISCHR(sb.st_mode) || S_ISFIFO(sb.st_mode)))
        return VGG_STATUS_OK;   /* written in place, as a stream */
    if (stream_ok)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': is %s; this output is written to a regular "
                        "file, a character device, a FIFO or standard output ('-')", output,
                        kind_of(sb.st_mode));
    return vgg_fail(VGG_STATUS_INVALID, "'%s': is %s, not a regular file; this output is "
                    "written only to a regular file (never in place of a device or pipe): give "
                    "a file path", output, kind_of(sb.st_mode));
}

struct vgg_lock {
    int fd;
    char *path;     /* the lock file */
};

vgg_status vgg_lock_acquire(const char *path, vgg_lock **out)
{
    *out = NULL;
    vgg_lock *lk = calloc(1, sizeof *lk);
    size_t n = strlen(path) + 8;
    char *lp = malloc(n);
    if (!lk || !lp) {
        free(lk);
        free(lp);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    snprintf(lp, n, "%s.lock", path);
    for (;;) {
        int fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
        if (fd < 0) {
            int e = errno;
            free(lk);
            free(lp);
            return vgg_fail(VGG_STATUS_IO, "'%s': cannot create the lock file '%s.lock': %s",
                            path, path, strerror(e));
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            char pid[32] = "";
            ssize_t got = pread(fd, pid, sizeof pid - 1, 0);
            pid[got > 0 ? got : 0] = '\0';
            pid[strcspn(pid, "\n")] = '\0';
            close(fd);
            free(lk);
            free(lp);
            if (e == EWOULDBLOCK)
                return vgg_fail(VGG_STATUS_INVALID, "'%s': in use by another writer%s%s%s "
                                "(it holds '%s.lock'); wait for it to finish or stop it",
                                path, pid[0] ? " (process " : "", pid, pid[0] ? ")" : "", path);
            return vgg_fail(VGG_STATUS_IO, "'%s': cannot lock '%s.lock': %s", path, path,
                            strerror(e));
        }
        /* the holder before us may have removed the file between our open
         * and our flock: then we hold a lock on a file no one else sees */
        struct stat a, b;
        if (fstat(fd, &a) == 0 && stat(lp, &b) == 0 && a.st_dev == b.st_dev &&
            a.st_ino == b.st_ino) {
            char pid[32];
            int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
            if (ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)len, 0) != len) {
                /* the pid is only for the message; the lock holds without it */
            }
            lk->fd = fd;
            lk->path = lp;
            *out = lk;
            return VGG_STATUS_OK;
        }
        close(fd);
    }
}

void vgg_lock_release(vgg_lock *lk)
{
    if (!lk)
        return;
    unlink(lk->path);   /* while still holding it, see vgg_lock_acquire */
    close(lk->fd);
    free(lk->path);
    free(lk);
}
