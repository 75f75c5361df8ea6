/* core's list reader and option messages (issue 24): a UTF-8 byte order
 * mark is not part of the first path, spaces around a label are not part
 * of it, and getopt_long's '?' is said in words (the option, the argument
 * that held it, and that '--' ends the options). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "vgg/cli.h"
#include "vgg/core.h"
#include "test_util.h"

static vgg_list *read_list(const char *name, const char *text, unsigned flags)
{
    write_text(tpath(name), text);
    vgg_list *l = NULL;
    vgg_status st = vgg_list_read(tpath(name), flags, &l);
    if (st != VGG_STATUS_OK)
        fail_msg("%s: %s", name, vgg_last_error());
    return l;
}

static void a_byte_order_mark_is_skipped(void **state)
{
    (void)state;
    vgg_list *l = read_list("bom.txt", "\xEF\xBB\xBFimg/a.png\tcat\nimg/b.png\tdog\n",
                            VGG_LIST_ONE_TAB);
    assert_int_equal(l->n, 2);
    assert_string_equal(l->paths[0], "img/a.png");
    assert_string_equal(l->labels[0], "cat");
    assert_int_equal(l->lines[0], 1);
    vgg_list_free(l);
    /* a comment on the first line is still one; only the mark is dropped */
    l = read_list("bomc.txt", "\xEF\xBB\xBF# images\na.png\n", VGG_LIST_COMMENTS);
    assert_int_equal(l->n, 1);
    assert_string_equal(l->paths[0], "a.png");
    assert_int_equal(l->lines[0], 2);
    vgg_list_free(l);
    /* a mark elsewhere is text like any other */
    l = read_list("bom2.txt", "a.png\n\xEF\xBB\xBF" "b.png\n", 0);
    assert_string_equal(l->paths[1], "\xEF\xBB\xBF" "b.png");
    vgg_list_free(l);
}

static void spaces_around_labels_are_dropped(void **state)
{
    (void)state;
    vgg_list *l = read_list("sp.txt", "a.png\tcat \nb.png\t  cat\r\nc .png \t cat  \nd.png\t   \n"
                                      "e.png\tbig cat\n",
                            VGG_LIST_ONE_TAB);
    assert_int_equal(l->n, 5);
    assert_string_equal(l->labels[0], "cat");
    assert_string_equal(l->labels[1], "cat");
    assert_string_equal(l->labels[2], "cat");
    assert_string_equal(l->paths[2], "c .png ");   /* a path is kept as it is */
    assert_string_equal(l->labels[3], "");         /* only spaces: no label */
    assert_string_equal(l->labels[4], "big cat");
    vgg_list_free(l);
}

/* getopt_long over args as a command would run it; the message of the
 * first '?' ("" if none) into msg, the arguments left after the options
 * into *rest */
static void parse(int argc, char **argv, char *msg, size_t cap, int *rest)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "outer", no_argument, NULL, 'O' },
        { "json", no_argument, NULL, 'j' },
        { "scores", required_argument, NULL, 's' },
        { NULL, 0, NULL, 0 },
    };
    msg[0] = 0;
    optind = 0;   /* 0, not 1: getopt_long starts afresh (a command parses once) */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "o:qh", opts, NULL)) != -1)
        if (c == '?') {
            assert_int_equal(vgg_cli_bad_option(argc, argv, "o:qh", opts), VGG_STATUS_INVALID);
            snprintf(msg, cap, "%s", vgg_last_error());
            break;
        }
    *rest = argc - optind;
}

#define PARSE(msg, rest, ...)                                                                \
    do {                                                                                      \
        char *args_[] = { "cmd", __VA_ARGS__, NULL };                                         \
        parse((int)(sizeof args_ / sizeof args_[0]) - 1, args_, msg, sizeof msg, rest);       \
    } while (0)

static void bad_options_are_said_in_words(void **state)
{
    (void)state;
    char msg[512];
    int rest;
    /* the case of the issue: a file named -dash.png after -o d.vggf */
    PARSE(msg, &rest, "-o", "d.vggf", "-dash.png");
    assert_string_equal(msg, "unknown option '-d' (in '-dash.png'); a file whose name starts "
                             "with '-' goes after '--', which ends the options: -- -dash.png");
    /* and with '--' it is a file, options before or after the others */
    PARSE(msg, &rest, "-o", "d.vggf", "--", "-dash.png");
    assert_string_equal(msg, "");
    assert_int_equal(rest, 1);
    PARSE(msg, &rest, "a.png", "-q", "-o", "d.vggf", "--", "-dash.png", "-q");
    assert_string_equal(msg, "");
    assert_int_equal(rest, 3);
    /* a cluster whose bad letter comes last, a lone letter */
    PARSE(msg, &rest, "-qx");
    assert_string_equal(msg, "unknown option '-x' (in '-qx'); a file whose name starts with "
                             "'-' goes after '--', which ends the options: -- -qx");
    PARSE(msg, &rest, "a.png", "-x");
    assert_string_equal(msg, "unknown option '-x'");
    /* values missing, values given to options that take none */
    PARSE(msg, &rest, "a.png", "-o");
    assert_string_equal(msg, "-o needs a value");
    PARSE(msg, &rest, "--scores");
    assert_string_equal(msg, "--scores needs a value");
    PARSE(msg, &rest, "--json=1");
    assert_string_equal(msg, "--json takes no value ('--json=1')");
    /* long options unknown or ambiguous (--out: --output or --outer) */
    PARSE(msg, &rest, "--frob", "x");
    assert_string_equal(msg, "unknown option '--frob'");
    PARSE(msg, &rest, "--out", "x");
    assert_string_equal(msg, "unknown option '--out'");
    PARSE(msg, &rest, "--x.png");
    assert_string_equal(msg, "unknown option '--x.png'; a file whose name starts with '-' goes "
                             "after '--', which ends the options: -- --x.png");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(a_byte_order_mark_is_skipped),
        cmocka_unit_test(spaces_around_labels_are_dropped),
        cmocka_unit_test(bad_options_are_said_in_words),
    };
    return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
