/* core's guards: non-blocking reads of regular files only, the output rule,
 * atomic writes on a full disk, one writer per store, the escaping rule,
 * and interrupts. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgg/core.h"
#include "test_skip.h"

static void write_text(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void assert_file_text(const char *path, const char *text)
{
    char *buf;
    size_t n;
    assert_int_equal(vgg_read_file(path, 0, &buf, &n), VGG_STATUS_OK);
    assert_string_equal(buf, text);
    free(buf);
}

static void assert_error_has(const char *part)
{
    if (!strstr(vgg_last_error(), part))
        fail_msg("message '%s' lacks '%s'", vgg_last_error(), part);
}

/* ------------------------------------------------ (a) regular files only */

static void fifo_device_and_directory_are_refused_without_blocking(void **state)
{
    (void)state;
    const char *fifo = "robust_fifo.jpg";
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    alarm(10);  /* a blocking open would hang here: the alarm fails the test */
    int fd;
    assert_int_equal(vgg_open_regular(fifo, &fd), VGG_STATUS_IO);
    assert_int_equal(fd, -1);
    assert_error_has("'robust_fifo.jpg'");
    assert_error_has("FIFO");
    char *buf;
    size_t n;
    assert_int_equal(vgg_read_file(fifo, 0, &buf, &n), VGG_STATUS_IO);
    vgg_mapped m;
    assert_int_equal(vgg_map_file(fifo, &m), VGG_STATUS_IO);
    alarm(0);
    unlink(fifo);

    assert_int_equal(vgg_open_regular("/dev/null", &fd), VGG_STATUS_IO);
    assert_error_has("character device");
    mkdir("robust_dir", 0700);
    FILE *fp;
    assert_int_equal(vgg_fopen_regular("robust_dir", &fp), VGG_STATUS_IO);
    assert_null(fp);
    assert_error_has("'robust_dir': is a directory");
    rmdir("robust_dir");
    assert_int_equal(vgg_open_regular("robust_missing", &fd), VGG_STATUS_NOT_FOUND);

    /* a regular file opens, in blocking mode again */
    write_text("robust_file.txt", "abc");
    assert_int_equal(vgg_open_regular("robust_file.txt", &fd), VGG_STATUS_OK);
    assert_int_equal(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
    char got[4] = { 0 };
    assert_int_equal(read(fd, got, 3), 3);
    assert_string_equal(got, "abc");
    close(fd);
    unlink("robust_file.txt");
}

/* ------------------------------------------------ (b) the output rule */

static void output_that_is_an_input_is_refused_through_links(void **state)
{
    (void)state;
    unlink("robust_in.vggf");
    unlink("robust_hard.vggf");
    unlink("robust_sym.vggf");
    write_text("robust_in.vggf", "store");
    write_text("robust_other.txt", "labels");
    assert_int_equal(link("robust_in.vggf", "robust_hard.vggf"), 0);
    assert_int_equal(symlink("robust_in.vggf", "robust_sym.vggf"), 0);
    const char *inputs[] = { "robust_other.txt", "robust_in.vggf" };

    assert_int_equal(vgg_output_check("robust_in.vggf", inputs, 2), VGG_STATUS_INVALID);
    assert_error_has("'robust_in.vggf': the output is also an input");
    assert_int_equal(vgg_output_check("robust_hard.vggf", inputs, 2), VGG_STATUS_INVALID);
    assert_error_has("the output is the input 'robust_in.vggf'");
    assert_int_equal(vgg_output_check("robust_sym.vggf", inputs, 2), VGG_STATUS_INVALID);
    assert_error_has("destroy");
    assert_int_equal(vgg_output_check("./robust_other.txt", inputs, 2), VGG_STATUS_INVALID);
    assert_error_has("'robust_other.txt'");

    /* a new path, or an existing file that is no input, passes */
    assert_int_equal(vgg_output_check("robust_new.npy", inputs, 2), VGG_STATUS_OK);
    write_text("robust_old_out.npy", "x");
    assert_int_equal(vgg_output_check("robust_old_out.npy", inputs, 2), VGG_STATUS_OK);
    assert_int_equal(vgg_output_check(".", inputs, 2), VGG_STATUS_INVALID);
    assert_error_has("is a directory");
    unlink("robust_old_out.npy");
    unlink("robust_sym.vggf");
    unlink("robust_hard.vggf");
    unlink("robust_in.vggf");
    unlink("robust_other.txt");
}

/* ------------------------------------------------ (c) atomic commit */

static void atomic_write(const char *path, size_t bytes, vgg_status want)
{
    vgg_atomic_file af;
    assert_int_equal(vgg_atomic_open(path, &af), VGG_STATUS_OK);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", af.tmp_path);
    for (size_t i = 0; i < bytes; i++)
        fputc('n', af.fp);   /* unchecked on purpose: the commit checks */
    assert_int_equal(vgg_atomic_commit(&af), want);
    assert_int_equal(access(tmp, F_OK), -1);   /* no temporary left behind */
}

static void full_file_size_limit_keeps_the_previous_file(void **state)
{
    (void)state;
    const char *path = "robust_atomic.txt";
    write_text(path, "old");
    struct rlimit old;
    getrlimit(RLIMIT_FSIZE, &old);
    void (*prev)(int) = signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = { 16384, old.rlim_max };
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    atomic_write(path, 100000, VGG_STATUS_IO);
    char msg[2048];
    snprintf(msg, sizeof msg, "%s", vgg_last_error());
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, prev);
    if (!strstr(msg, "'robust_atomic.txt': cannot write: File too large; the previous "
                     "'robust_atomic.txt' is left as it was"))
        fail_msg("message: %s", msg);
    assert_file_text(path, "old");

    atomic_write(path, 5, VGG_STATUS_OK);
    assert_file_text(path, "nnnnn");
    unlink(path);
}

static void full_tmpfs_keeps_the_previous_file(void **state)
{
    (void)state;
    if (geteuid() != 0)
        skip_here("mounting a tmpfs needs root");
    /* a private mount namespace in a child, so nothing leaks to the host */
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (unshare(CLONE_NEWNS) != 0 ||
            mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
            _exit(77);
        mkdir("robust_tmpfs", 0700);
        if (mount("tmpfs", "robust_tmpfs", "tmpfs", 0, "size=64k") != 0)
            _exit(77);
        const char *path = "robust_tmpfs/scores.tsv";
        FILE *fp = fopen(path, "w");
        fputs("old", fp);
        fclose(fp);
        vgg_atomic_file af;
        if (vgg_atomic_open(path, &af) != VGG_STATUS_OK)
            _exit(2);
        for (int i = 0; i < 200000; i++)
            fputc('n', af.fp);
        int rc = 0;
        if (vgg_atomic_commit(&af) != VGG_STATUS_IO)
            rc = 3;
        else if (!strstr(vgg_last_error(), "'robust_tmpfs/scores.tsv': cannot write: No space "
                                           "left on device"))
            rc = 4;
        char *buf;
        size_t n;
        if (!rc && (vgg_read_file(path, 0, &buf, &n) != VGG_STATUS_OK || strcmp(buf, "old")))
            rc = 5;
        umount("robust_tmpfs");
        rmdir("robust_tmpfs");
        _exit(rc);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 77)
        skip_here("no private mount namespace or tmpfs here (a container without "
                  "CAP_SYS_ADMIN?)");
    assert_int_equal(WEXITSTATUS(status), 0);
}

/* ------------------------------------------------ (d) one writer */

static void second_writer_is_refused_at_once(void **state)
{
    (void)state;
    const char *store = "robust_locked.vggf";
    vgg_lock *a, *b;
    assert_int_equal(vgg_lock_acquire(store, &a), VGG_STATUS_OK);
    /* at once: a lock that waited for its holder, this very thread, would
     * wait forever here (no clock is read: its figure would only measure
     * how busy the machine is) */
    assert_int_equal(vgg_lock_acquire(store, &b), VGG_STATUS_INVALID);
    assert_null(b);
    assert_error_has("'robust_locked.vggf': in use by another writer");
    char pid[64];
    snprintf(pid, sizeof pid, "(process %ld)", (long)getpid());
    assert_error_has(pid);

    /* another process too */
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        vgg_lock *c;
        _exit(vgg_lock_acquire(store, &c) == VGG_STATUS_INVALID ? 0 : 1);
    }
    int status;
    waitpid(child, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    vgg_lock_release(a);
    assert_int_equal(access("robust_locked.vggf.lock", F_OK), -1);
    assert_int_equal(vgg_lock_acquire(store, &b), VGG_STATUS_OK);
    vgg_lock_release(b);
    vgg_lock_release(NULL);
}

/* ------------------------------------------------ (e) escaping */

/* TAB, LF, CR, quote, comma, backslash, a valid accent and a CJK sign, then
 * a lone 0xff, an overlong '/', a UTF-16 surrogate, a cut 3-byte sequence */
static const char hostile[] = "a\tb\nc\rd\"e,f\\g \xc3\xa9\xe6\xbc\xa2 \xff|\xc0\xaf|"
                              "\xed\xa0\x80|\xe2\x82";
/* worked by hand from the rule in docs/escaping.md */
static const char hostile_escaped[] = "a\\tb\\nc\\rd\"e,f\\\\g \xc3\xa9\xe6\xbc\xa2 \\xff|"
                                      "\\xc0\\xaf|\\xed\\xa0\\x80|\\xe2\\x82";

static void escaping_is_hand_worked_and_reversible(void **state)
{
    (void)state;
    char *e, *u;
    assert_int_equal(vgg_text_escape(hostile, &e), VGG_STATUS_OK);
    assert_string_equal(e, hostile_escaped);
    assert_int_equal(vgg_text_unescape(e, &u), VGG_STATUS_OK);
    assert_string_equal(u, hostile);
    free(u);
    free(e);
    assert_int_equal(vgg_text_escape("", &e), VGG_STATUS_OK);
    assert_string_equal(e, "");
    free(e);
    assert_int_equal(vgg_text_escape("\x01\x7f", &e), VGG_STATUS_OK);
    assert_string_equal(e, "\\x01\\x7f");
    free(e);
    assert_true(vgg_text_is_plain("caltech/ant/image_0001.jpg \xc3\xa9"));
    assert_false(vgg_text_is_plain("a\\b"));
    assert_false(vgg_text_is_plain("a\xff"));
    assert_int_equal(vgg_text_unescape("bad\\q", &u), VGG_STATUS_FORMAT);
    assert_int_equal(vgg_text_unescape("cut\\x4", &u), VGG_STATUS_FORMAT);
    assert_int_equal(vgg_text_unescape("nul\\x00", &u), VGG_STATUS_FORMAT);
}

/* Python's csv and json modules read back, in each format, the escaped form */
static void standard_parsers_read_the_escaped_form(void **state)
{
    (void)state;
    FILE *fp = fopen("robust_names.tsv", "w");
    fputs("name\tlabel\tscore\n", fp);
    vgg_tsv_put(fp, hostile);
    fputc('\t', fp);
    vgg_tsv_put(fp, "cat,\"dog\"");
    fputs("\t0.5\n", fp);
    fclose(fp);
    fp = fopen("robust_names.csv", "w");
    fputs("name,label,score\n", fp);
    vgg_csv_put(fp, hostile);
    fputc(',', fp);
    vgg_csv_put(fp, "cat,\"dog\"");
    fputs(",0.5\n", fp);
    fclose(fp);
    fp = fopen("robust_names.json", "w");
    fputs("{\"name\": ", fp);
    vgg_json_put(fp, hostile);
    fputs(", \"label\": ", fp);
    vgg_json_put(fp, "cat,\"dog\"");
    fputs("}\n", fp);
    fclose(fp);
    write_text("robust_expect.txt", hostile_escaped);

    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s -c '\n"
             "import csv, json\n"
             "want = open(\"robust_expect.txt\", encoding=\"utf-8\").read()\n"
             "rows = list(csv.reader(open(\"robust_names.tsv\", encoding=\"utf-8\", newline=\"\"),"
             " delimiter=\"\\t\", quoting=csv.QUOTE_NONE))\n"
             "assert rows == [[\"name\", \"label\", \"score\"], [want, \"cat,\\\"dog\\\"\", \"0.5\"]],"
             " rows\n"
             "rows = list(csv.reader(open(\"robust_names.csv\", encoding=\"utf-8\", newline=\"\")))\n"
             "assert rows == [[\"name\", \"label\", \"score\"], [want, \"cat,\\\"dog\\\"\", \"0.5\"]],"
             " rows\n"
             "d = json.load(open(\"robust_names.json\", encoding=\"utf-8\"))\n"
             "assert d == {\"name\": want, \"label\": \"cat,\\\"dog\\\"\"}, d\n"
             "'", VGG_PYTHON);
    assert_int_equal(system(cmd), 0);
    unlink("robust_names.tsv");
    unlink("robust_names.csv");
    unlink("robust_names.json");
    unlink("robust_expect.txt");
}

/* ------------------------------------------------ (f) interrupts */

/* A child waits, interruptibly, for a condition no one will ever signal;
 * once it says (through a pipe) that its handlers are in place and it is
 * about to wait, it gets sig.  Its exit status: the wait ended by the
 * signal (a wait that ignored it would go on forever, to CTest's TIMEOUT),
 * and never went on once the signal was in (exit 3). */
static int exit_code_after(int sig)
{
    int ready[2];
    assert_int_equal(pipe(ready), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(ready[0]);
        if (vgg_signals_install() != VGG_STATUS_OK)
            _exit(1);
        pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
        pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
        pthread_mutex_lock(&mu);
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        close(ready[1]);
        vgg_status st;
        do {
            bool had = vgg_signal_received() != 0;
            st = vgg_cond_wait_interruptible(&cv, &mu);
            if (st == VGG_STATUS_OK && had)
                _exit(3);   /* the signal was in before the wait, which went on */
        } while (st == VGG_STATUS_OK);
        pthread_mutex_unlock(&mu);
        if (!strstr(vgg_last_error(), sig == SIGINT ? "SIGINT" : "SIGTERM"))
            _exit(2);
        _exit(vgg_signal_exit_code(vgg_signal_received()));
    }
    close(ready[1]);
    char c;
    assert_int_equal(read(ready[0], &c, 1), 1);
    close(ready[0]);
    kill(pid, sig);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return WEXITSTATUS(status);
}

static void sigint_exits_130_and_sigterm_143_from_a_wait(void **state)
{
    (void)state;
    assert_int_equal(exit_code_after(SIGINT), 130);
    assert_int_equal(exit_code_after(SIGTERM), 143);
    /* the wait looks at the record on its own (every 0.1 s): without a
     * signal it returns, and the condition is not met */
    pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
    pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
    pthread_mutex_lock(&mu);
    assert_int_equal(vgg_cond_wait_interruptible(&cv, &mu), VGG_STATUS_OK);
    pthread_mutex_unlock(&mu);
    assert_int_equal(vgg_signal_exit_code(0), 0);
    assert_int_equal(vgg_check_interrupt(), VGG_STATUS_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fifo_device_and_directory_are_refused_without_blocking),
        cmocka_unit_test(output_that_is_an_input_is_refused_through_links),
        cmocka_unit_test(full_file_size_limit_keeps_the_previous_file),
        cmocka_unit_test(full_tmpfs_keeps_the_previous_file),
        cmocka_unit_test(second_writer_is_refused_at_once),
        cmocka_unit_test(escaping_is_hand_worked_and_reversible),
        cmocka_unit_test(standard_parsers_read_the_escaped_form),
        cmocka_unit_test(sigint_exits_130_and_sigterm_143_from_a_wait),
    };
    return tests_exit(cmocka_run_group_tests(tests, NULL, NULL));
}
