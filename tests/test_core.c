#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgg/cli.h"
#include "vgg/core.h"

static void fail_records_message(void **state)
{
    (void)state;
    vgg_status st = vgg_fail(VGG_STATUS_FORMAT, "'%s': file is cut short", "x.bin");
    assert_int_equal(st, VGG_STATUS_FORMAT);
    assert_string_equal(vgg_last_error(), "'x.bin': file is cut short");
    vgg_fail_context(st, "loading net: ");
    assert_string_equal(vgg_last_error(), "loading net: 'x.bin': file is cut short");
    assert_string_equal(vgg_status_name(VGG_STATUS_FORMAT), "format error");
}

static void atomic_write_replaces_only_on_commit(void **state)
{
    (void)state;
    const char *path = "core_atomic.txt";
    FILE *fp = fopen(path, "w");
    fputs("old", fp);
    fclose(fp);

    vgg_atomic_file af;
    assert_int_equal(vgg_atomic_open(path, &af), VGG_STATUS_OK);
    fputs("new", af.fp);
    vgg_atomic_abort(&af);
    char *buf;
    size_t n;
    assert_int_equal(vgg_read_file(path, 0, &buf, &n), VGG_STATUS_OK);
    assert_string_equal(buf, "old");
    free(buf);

    assert_int_equal(vgg_atomic_open(path, &af), VGG_STATUS_OK);
    fputs("new", af.fp);
    assert_int_equal(vgg_atomic_commit(&af), VGG_STATUS_OK);
    assert_int_equal(vgg_read_file(path, 0, &buf, &n), VGG_STATUS_OK);
    assert_string_equal(buf, "new");
    assert_int_equal(n, 3);
    free(buf);
    unlink(path);
}

static void read_file_errors_name_the_file(void **state)
{
    (void)state;
    char *buf;
    size_t n;
    assert_int_equal(vgg_read_file("no/such/file.txt", 0, &buf, &n), VGG_STATUS_NOT_FOUND);
    assert_null(buf);
    assert_non_null(strstr(vgg_last_error(), "no/such/file.txt"));

    FILE *fp = fopen("core_big.txt", "w");
    for (int i = 0; i < 10000; i++)
        fputc('a', fp);
    fclose(fp);
    assert_int_equal(vgg_read_file("core_big.txt", 100, &buf, &n), VGG_STATUS_TOO_LARGE);
    assert_non_null(strstr(vgg_last_error(), "core_big.txt"));
    unlink("core_big.txt");
}

static void sha256_known_vector(void **state)
{
    (void)state;
    vgg_sha256 s;
    char hex[65];
    assert_int_equal(vgg_sha256_init(&s), VGG_STATUS_OK);
    vgg_sha256_update(&s, "abc", 3);
    vgg_sha256_final_hex(&s, hex);
    /* FIPS 180-2 test vector */
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void int_list_parses_and_refuses(void **state)
{
    (void)state;
    int v[4], n;
    assert_int_equal(vgg_parse_int_list("256,384,512", v, 4, &n), VGG_STATUS_OK);
    assert_int_equal(n, 3);
    assert_int_equal(v[2], 512);
    assert_int_equal(vgg_parse_int_list("256,,384", v, 4, &n), VGG_STATUS_INVALID);
    assert_int_equal(vgg_parse_int_list("256,x", v, 4, &n), VGG_STATUS_INVALID);
    assert_int_equal(vgg_parse_int_list("1,2,3,4,5", v, 4, &n), VGG_STATUS_INVALID);
    assert_int_equal(vgg_parse_int_list("-3", v, 4, &n), VGG_STATUS_INVALID);
}

static int seen_argc;
static const char *seen_arg0;

static int cmd_fake(int argc, char **argv)
{
    seen_argc = argc;
    seen_arg0 = argv[0];
    return 7;
}

static void cli_dispatches_by_name(void **state)
{
    (void)state;
    static const vgg_command cmds[] = {
        { "fake", cmd_fake, "a command" },
        { "other", cmd_fake, "another" },
    };
    char *run[] = { "prog", "fake", "x", "y", NULL };
    assert_int_equal(vgg_cli_main("prog", cmds, 2, NULL, 4, run), 7);
    assert_int_equal(seen_argc, 3);
    assert_string_equal(seen_arg0, "fake");
    char *unknown[] = { "prog", "nope", NULL };
    assert_int_equal(vgg_cli_main("prog", cmds, 2, NULL, 2, unknown), 2);
    char *none[] = { "prog", NULL };
    assert_int_equal(vgg_cli_main("prog", cmds, 2, NULL, 1, none), 2);
    char *help[] = { "prog", "--help", NULL };
    assert_int_equal(vgg_cli_main("prog", cmds, 2, "footer\n", 2, help), 0);
}

static void write_list(const char *path, const char *text)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

/* the one list rule: first TAB, CRLF, blank lines, '#' only when asked */
static void list_reader_follows_the_one_rule(void **state)
{
    (void)state;
    const char *p = "core_list.tsv";
    write_list(p, "# head\r\na b.jpg\tcat\tx\r\n\n c.png\n#d.jpg\tdog");
    vgg_list *l = NULL;
    assert_int_equal(vgg_list_read(p, 0, &l), VGG_STATUS_OK);
    assert_int_equal(l->n, 4);
    assert_string_equal(l->paths[0], "# head");
    assert_string_equal(l->labels[0], "");
    assert_string_equal(l->paths[1], "a b.jpg");
    assert_string_equal(l->labels[1], "cat\tx");
    assert_int_equal(l->lines[1], 2);
    assert_string_equal(l->paths[2], " c.png");
    assert_int_equal(l->lines[2], 4);
    assert_string_equal(l->paths[3], "#d.jpg");
    assert_string_equal(l->labels[3], "dog");
    vgg_list_free(l);
    assert_int_equal(vgg_list_read(p, VGG_LIST_COMMENTS, &l), VGG_STATUS_OK);
    assert_int_equal(l->n, 2);
    assert_string_equal(l->paths[0], "a b.jpg");
    vgg_list_free(l);

    assert_int_equal(vgg_list_read(p, VGG_LIST_ONE_TAB, &l), VGG_STATUS_FORMAT);
    assert_null(l);
    assert_non_null(strstr(vgg_last_error(), "'core_list.tsv', line 2: more than one TAB"));
    assert_int_equal(vgg_list_read(p, VGG_LIST_LABELS, &l), VGG_STATUS_FORMAT);
    assert_non_null(strstr(vgg_last_error(), "'core_list.tsv', line 1: expected path<TAB>label"));
    write_list(p, "a.jpg\n\tcat\n");
    assert_int_equal(vgg_list_read(p, 0, &l), VGG_STATUS_FORMAT);
    assert_non_null(strstr(vgg_last_error(), "line 2: empty path"));
    FILE *fp = fopen(p, "wb");
    fwrite("a\0b\n", 1, 4, fp);
    fclose(fp);
    assert_int_equal(vgg_list_read(p, 0, &l), VGG_STATUS_FORMAT);
    assert_non_null(strstr(vgg_last_error(), "NUL"));
    unlink(p);
}

/* vgg_cpu_seconds counts this process's processor time: it grows while
 * this thread works (a spin until it has grown by 20 ms, or 10 s of wall
 * time), by no more than the wall time that passed (one thread), and
 * hardly while the thread sleeps */
static void cpu_seconds_count_this_process(void **state)
{
    (void)state;
    const double c0 = vgg_cpu_seconds(), w0 = vgg_now_seconds();
    assert_true(c0 > 0);
    volatile double sink = 0;
    while (vgg_cpu_seconds() - c0 < 0.02 && vgg_now_seconds() - w0 < 10)
        for (int i = 0; i < 100000; i++)
            sink += i * 1e-9;
    const double c1 = vgg_cpu_seconds(), w1 = vgg_now_seconds();
    assert_true(c1 - c0 >= 0.02);
    assert_true(c1 - c0 <= w1 - w0 + 0.005);
    usleep(200000);
    assert_true(vgg_cpu_seconds() - c1 < 0.1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fail_records_message),
        cmocka_unit_test(atomic_write_replaces_only_on_commit),
        cmocka_unit_test(read_file_errors_name_the_file),
        cmocka_unit_test(sha256_known_vector),
        cmocka_unit_test(int_list_parses_and_refuses),
        cmocka_unit_test(cli_dispatches_by_name),
        cmocka_unit_test(list_reader_follows_the_one_rule),
        cmocka_unit_test(cpu_seconds_count_this_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
