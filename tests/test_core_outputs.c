/* core's rule for where outputs go (issue 24): the kind rule
 * (vgg_output_check_kind), atomic files that never replace a device,
 * streams written in place (vgg_atomic_open_stream), the full-disk message
 * that promises a kept file only when there was one, and the check of
 * standard output at the end of a program (vgg_stdout_finish).
 *
 * Device nodes are symbolic links to /dev/null and /dev/full in the
 * working folder: a writer that renamed over one would replace the link,
 * never the machine's node, and the link's loss is what is checked.  Every
 * name starts with "outputs_" (CTest runs tests side by side in one folder). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgg/cli.h"
#include "vgg/core.h"

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static char *file_text(const char *path)
{
    char *buf;
    size_t n;
    assert_int_equal(vgg_read_file(path, 0, &buf, &n), VGG_STATUS_OK);
    return buf;
}

static void assert_error_has(const char *part)
{
    if (!strstr(vgg_last_error(), part))
        fail_msg("message '%s' lacks '%s'", vgg_last_error(), part);
}

static void assert_error_lacks(const char *part)
{
    if (strstr(vgg_last_error(), part))
        fail_msg("message '%s' has '%s'", vgg_last_error(), part);
}

/* path as a symbolic link to target (replacing what was there) */
static void link_to(const char *target, const char *path)
{
    unlink(path);
    assert_int_equal(symlink(target, path), 0);
}

static bool is_link(const char *path)
{
    struct stat sb;
    return lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode);
}

/* ------------------------------------------------ the kind rule */

static void kind_rule_takes_streams_only_where_asked(void **state)
{
    (void)state;
    const char *null = "outputs_null", *fifo = "outputs_fifo", *dir = "outputs_dir";
    const char *sock = "outputs_sock", *file = "outputs_file.txt";
    link_to("/dev/null", null);
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    rmdir(dir);
    assert_int_equal(mkdir(dir, 0700), 0);
    write_text(file, "x");
    unlink(sock);
    int sfd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", sock);
    assert_int_equal(bind(sfd, (struct sockaddr *)&sa, sizeof sa), 0);

    /* regular files and new paths pass either way */
    for (unsigned f = 0; f <= VGG_OUTPUT_STREAM; f++) {
        assert_int_equal(vgg_output_check_kind(file, f), VGG_STATUS_OK);
        assert_int_equal(vgg_output_check_kind("outputs_new.csv", f), VGG_STATUS_OK);
        assert_int_equal(vgg_output_check_kind(dir, f), VGG_STATUS_INVALID);
        assert_error_has("'outputs_dir': the output is a directory");
        assert_int_equal(vgg_output_check_kind(sock, f), VGG_STATUS_INVALID);
        assert_error_has("'outputs_sock': is a socket");
    }
    /* streams: refused for files that must be regular ... */
    assert_int_equal(vgg_output_check_kind(null, 0), VGG_STATUS_INVALID);
    assert_error_has("'outputs_null': is a character device, not a regular file");
    assert_int_equal(vgg_output_check_kind(fifo, 0), VGG_STATUS_INVALID);
    assert_error_has("'outputs_fifo': is a FIFO (named pipe), not a regular file");
    assert_int_equal(vgg_output_check_kind("-", 0), VGG_STATUS_INVALID);
    assert_error_has("'-': names standard output, not a regular file");
    assert_error_has("'./-' for a file named '-'");
    assert_int_equal(vgg_output_check_kind("/dev/stdout", 0), VGG_STATUS_INVALID);
    assert_error_has("names standard output");
    assert_int_equal(vgg_output_check_kind("/dev/fd/2", 0), VGG_STATUS_INVALID);
    assert_error_has("'/dev/fd/2': names an open descriptor");
    /* ... taken where a stream makes sense */
    assert_int_equal(vgg_output_check_kind(null, VGG_OUTPUT_STREAM), VGG_STATUS_OK);
    assert_int_equal(vgg_output_check_kind(fifo, VGG_OUTPUT_STREAM), VGG_STATUS_OK);
    assert_int_equal(vgg_output_check_kind("-", VGG_OUTPUT_STREAM), VGG_STATUS_OK);
    assert_int_equal(vgg_output_check_kind("/proc/self/fd/1", VGG_OUTPUT_STREAM), VGG_STATUS_OK);

    assert_int_equal(vgg_output_stream_fd("-"), 1);
    assert_int_equal(vgg_output_stream_fd("/dev/stdout"), 1);
    assert_int_equal(vgg_output_stream_fd("/dev/stderr"), 2);
    assert_int_equal(vgg_output_stream_fd("/dev/fd/7"), 7);
    assert_int_equal(vgg_output_stream_fd("/proc/self/fd/12"), 12);
    assert_int_equal(vgg_output_stream_fd("/dev/fd/1x"), -1);
    assert_int_equal(vgg_output_stream_fd("/dev/fd/"), -1);
    assert_int_equal(vgg_output_stream_fd("./-"), -1);
    assert_true(vgg_output_is_stream(null));
    assert_true(vgg_output_is_stream(fifo));
    assert_false(vgg_output_is_stream(file));
    assert_false(vgg_output_is_stream("outputs_new.csv"));

    close(sfd);
    unlink(sock);
    unlink(file);
    rmdir(dir);
    unlink(fifo);
    unlink(null);
}

/* ------------------------------------------------ atomic files and streams */

static void atomic_open_never_replaces_a_device(void **state)
{
    (void)state;
    const char *null = "outputs_atomic_null";
    link_to("/dev/null", null);
    vgg_atomic_file af;
    assert_int_equal(vgg_atomic_open(null, &af), VGG_STATUS_INVALID);
    assert_error_has("'outputs_atomic_null': is a character device, not a regular file");
    assert_null(af.fp);
    assert_true(is_link(null));
    assert_int_equal(vgg_atomic_open("-", &af), VGG_STATUS_INVALID);
    assert_int_equal(access("-", F_OK), -1);
    vgg_atomic_abort(&af);   /* safe after a refusal */
    unlink(null);
}

static void stream_on_a_full_device_says_why_and_keeps_the_node(void **state)
{
    (void)state;
    const char *full = "outputs_full";
    link_to("/dev/full", full);
    vgg_atomic_file af;
    assert_int_equal(vgg_atomic_open_stream(full, &af), VGG_STATUS_OK);
    assert_null(af.tmp_path);
    for (int i = 0; i < 100; i++)
        fputs("row\n", af.fp);   /* unchecked on purpose: the commit checks */
    assert_int_equal(vgg_atomic_commit(&af), VGG_STATUS_IO);
    assert_error_has("'outputs_full': cannot write: No space left on device");
    assert_error_lacks("previous");
    assert_true(is_link(full));

    const char *null = "outputs_stream_null";
    link_to("/dev/null", null);
    assert_int_equal(vgg_atomic_open_stream(null, &af), VGG_STATUS_OK);
    fputs("gone\n", af.fp);
    assert_int_equal(vgg_atomic_commit(&af), VGG_STATUS_OK);
    assert_true(is_link(null));
    unlink(null);
    unlink(full);
}

static void descriptor_names_are_written_in_place(void **state)
{
    (void)state;
    /* a file opened for appending, as "> x" and ">> x" leave standard
     * output: /dev/fd/N writes after what it holds, never replacing it */
    const char *path = "outputs_append.txt";
    write_text(path, "HEAD\n");
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    char name[64];
    snprintf(name, sizeof name, "/dev/fd/%d", fd);
    struct stat before, after;
    assert_int_equal(stat(path, &before), 0);
    vgg_atomic_file af;
    assert_int_equal(vgg_atomic_open_stream(name, &af), VGG_STATUS_OK);
    fputs("body\n", af.fp);
    assert_int_equal(vgg_atomic_commit(&af), VGG_STATUS_OK);
    close(fd);
    assert_int_equal(stat(path, &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);   /* the same file, not a new one */
    char *text = file_text(path);
    assert_string_equal(text, "HEAD\nbody\n");
    free(text);
    unlink(path);
}

static void stream_through_a_fifo_reaches_its_reader(void **state)
{
    (void)state;
    const char *fifo = "outputs_pipe";
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    int out[2];
    assert_int_equal(pipe(out), 0);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {   /* the reader: what the FIFO carries, back through a pipe */
        close(out[0]);
        int fd = open(fifo, O_RDONLY);
        char buf[256];
        ssize_t n;
        while ((n = read(fd, buf, sizeof buf)) > 0)
            if (write(out[1], buf, (size_t)n) != n)
                _exit(2);
        _exit(0);
    }
    close(out[1]);
    alarm(30);   /* a FIFO replaced by a file would leave the reader waiting */
    vgg_atomic_file af;
    assert_int_equal(vgg_atomic_open_stream(fifo, &af), VGG_STATUS_OK);
    fputs("a,b\n1,2\n", af.fp);
    assert_int_equal(vgg_atomic_commit(&af), VGG_STATUS_OK);
    char got[64] = "";
    size_t have = 0;
    ssize_t n;
    while ((n = read(out[0], got + have, sizeof got - 1 - have)) > 0)
        have += (size_t)n;
    got[have] = '\0';
    int status;
    waitpid(pid, &status, 0);
    alarm(0);
    close(out[0]);
    assert_string_equal(got, "a,b\n1,2\n");
    struct stat sb;
    assert_int_equal(lstat(fifo, &sb), 0);
    assert_true(S_ISFIFO(sb.st_mode));
    unlink(fifo);
}

/* ------------------------------------------------ the full-disk message */

static vgg_status write_under_limit(const char *path)
{
    struct rlimit old;
    getrlimit(RLIMIT_FSIZE, &old);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = { 4096, old.rlim_max };
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    vgg_atomic_file af;
    vgg_status st = vgg_atomic_open(path, &af);
    if (st == VGG_STATUS_OK) {
        for (int i = 0; i < 10000; i++)
            fputc('n', af.fp);
        st = vgg_atomic_commit(&af);
    }
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    return st;
}

static void full_disk_promises_a_kept_file_only_when_there_was_one(void **state)
{
    (void)state;
    const char *path = "outputs_limit.csv";
    unlink(path);
    assert_int_equal(write_under_limit(path), VGG_STATUS_IO);
    assert_error_has("'outputs_limit.csv': cannot write: File too large");
    assert_error_lacks("previous");
    assert_int_equal(access(path, F_OK), -1);

    write_text(path, "old");
    assert_int_equal(write_under_limit(path), VGG_STATUS_IO);
    assert_error_has("'outputs_limit.csv': cannot write: File too large; the previous "
                     "'outputs_limit.csv' is left as it was");
    char *text = file_text(path);
    assert_string_equal(text, "old");
    free(text);
    unlink(path);
}

/* ------------------------------------------------ standard output */

/* vgg_stdout_finish in a child whose standard output is out_path and
 * standard error outputs_stderr.txt, after printing n bytes; its exit
 * status is the returned rc */
static int finish_in_child(const char *out_path, size_t n, const char *sub, int rc)
{
    fflush(NULL);   /* nothing of ours pending in the child's copy */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open("outputs_stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(99);
        for (size_t i = 0; i < n; i++)
            putchar('x');
        _exit(vgg_stdout_finish("prog", sub, rc));
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void stdout_write_errors_fail_the_program(void **state)
{
    (void)state;
    const char *full = "outputs_stdout_full";
    link_to("/dev/full", full);
    /* a short report (held in the buffer) and a long one (flushed on the
     * way, its error seen before the end) */
    for (size_t n = 10; n <= 100000; n *= 10000) {
        assert_int_equal(finish_in_child(full, n, "sub", 0), 1);
        char *err = file_text("outputs_stderr.txt");
        if (!strstr(err, "prog sub: cannot write to standard output: No space left on device"))
            fail_msg("%zu bytes: stderr '%s'", n, err);
        free(err);
    }
    /* a failure already reported keeps its status; no command: the program's name */
    assert_int_equal(finish_in_child(full, 10, NULL, 2), 2);
    char *err = file_text("outputs_stderr.txt");
    assert_string_equal(err, "prog: cannot write to standard output: No space left on device\n");
    free(err);
    /* a working standard output: nothing said, rc kept */
    assert_int_equal(finish_in_child("outputs_stdout.txt", 100000, "sub", 0), 0);
    assert_int_equal(finish_in_child("outputs_stdout.txt", 10, "sub", 3), 3);
    err = file_text("outputs_stderr.txt");
    assert_string_equal(err, "");
    free(err);
    unlink("outputs_stdout.txt");
    unlink("outputs_stderr.txt");
    unlink(full);
}

static int cmd_print(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("a result\n");
    return 0;
}

static void cli_main_checks_standard_output_for_every_command(void **state)
{
    (void)state;
    const char *full = "outputs_cli_full";
    link_to("/dev/full", full);
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int o = open(full, O_WRONLY);
        int e = open("outputs_cli_stderr.txt", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(99);
        const vgg_command cmds[] = { { "print", cmd_print, "print a result" } };
        char *argv[] = { "prog", "print", NULL };
        _exit(vgg_cli_main("prog", cmds, 1, NULL, 2, argv));
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
    char *err = file_text("outputs_cli_stderr.txt");
    assert_string_equal(err,
                        "prog print: cannot write to standard output: No space left on device\n");
    free(err);
    unlink("outputs_cli_stderr.txt");
    unlink(full);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kind_rule_takes_streams_only_where_asked),
        cmocka_unit_test(atomic_open_never_replaces_a_device),
        cmocka_unit_test(stream_on_a_full_device_says_why_and_keeps_the_node),
        cmocka_unit_test(descriptor_names_are_written_in_place),
        cmocka_unit_test(stream_through_a_fifo_reaches_its_reader),
        cmocka_unit_test(full_disk_promises_a_kept_file_only_when_there_was_one),
        cmocka_unit_test(stdout_write_errors_fail_the_program),
        cmocka_unit_test(cli_main_checks_standard_output_for_every_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
