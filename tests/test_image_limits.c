/* image/: the budget of the resized network input.  A 3000x1 PNG at scale
 * 256 (768000x256 after resizing, ~590 MB) must be refused quickly and
 * before any large allocation: it runs in a child under a 256 MiB
 * address-space limit. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgg/image.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

static void make_png(const char *path, int w, int h)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "%s -c 'from PIL import Image; "
             "Image.new(\"RGB\", (%d, %d), (200, 10, 30)).save(\"%s\")'", VGG_PYTHON, w, h, path);
    assert_int_equal(system(cmd), 0);
}

static void strip_3000x1_at_256_is_refused_under_a_memory_limit(void **state)
{
    (void)state;
    const char *path = "limits_strip.png";
    make_png(path, 3000, 1);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
#ifndef UNDER_ASAN
        /* (AddressSanitizer reserves terabytes of address space for its
         * shadow, so under it the limit is left out; the refusal and its
         * message are checked all the same) */
        struct rlimit as = { (rlim_t)256 << 20, (rlim_t)256 << 20 };
        setrlimit(RLIMIT_AS, &as);
#endif
        alarm(10);
        vgg_image *img = NULL, *out = NULL;
        if (vgg_image_load(path, NULL, &img) != VGG_STATUS_OK)
            _exit(2);
        if (vgg_image_check_scale(path, img->w, img->h, 256) != VGG_STATUS_TOO_LARGE)
            _exit(3);
        const char *want = "'limits_strip.png': image is 3000x1; at scale 256 it would be "
                           "768000x256 = 196608000 pixels of network input";
        if (strncmp(vgg_last_error(), want, strlen(want)) != 0) {
            fprintf(stderr, "message: %s\n", vgg_last_error());
            _exit(4);
        }
        /* the resize itself refuses too, before allocating */
        if (vgg_image_resize_short(img, 256, &out) != VGG_STATUS_TOO_LARGE || out)
            _exit(5);
        if (!strstr(vgg_last_error(), "768000x256"))
            _exit(6);
        vgg_image_free(img);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    unlink(path);
}

static void input_pixel_limit_names_image_size_and_scale(void **state)
{
    (void)state;
    /* 4:3 at 768 is fine (1024x768); 4:3 at 2600 is 3466x2600 = 9,011,600 */
    assert_int_equal(vgg_image_check_scale("p.jpg", 640, 480, 768), VGG_STATUS_OK);
    assert_int_equal(vgg_image_check_scale("p.jpg", 640, 480, 2600), VGG_STATUS_TOO_LARGE);
    assert_string_equal(vgg_last_error(),
                        "'p.jpg': image is 640x480; at scale 2600 it would be 3466x2600 = "
                        "9011600 pixels of network input, about 4.3 GiB of the net's memory "
                        "(512 bytes a pixel), over the budget of 8388608 pixels (4.0 GiB); "
                        "use a smaller scale");
    /* no int overflow: 100 megapixels in one row at 768 */
    assert_int_equal(vgg_image_check_scale("row.png", 100000000, 1, 768), VGG_STATUS_TOO_LARGE);
    assert_non_null(strstr(vgg_last_error(), "76800000000x768"));
    assert_int_equal(vgg_image_check_scale("p.jpg", 640, 480, 0), VGG_STATUS_INVALID);
}

static void fifo_named_like_an_image_does_not_block(void **state)
{
    (void)state;
    const char *fifo = "limits_fifo.jpg";
    unlink(fifo);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    alarm(10);  /* a blocking open would hang: the alarm fails the test */
    vgg_image *img = NULL;
    assert_int_equal(vgg_image_load(fifo, NULL, &img), VGG_STATUS_IO);
    assert_null(img);
    assert_string_equal(vgg_last_error(), "'limits_fifo.jpg': is a FIFO (named pipe), not a "
                                          "regular file; give the path of a file");
    assert_false(vgg_image_sniff_file(fifo));
    alarm(0);
    unlink(fifo);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strip_3000x1_at_256_is_refused_under_a_memory_limit),
        cmocka_unit_test(input_pixel_limit_names_image_size_and_scale),
        cmocka_unit_test(fifo_named_like_an_image_does_not_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
