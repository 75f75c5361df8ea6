/* libFuzzer harness for the image decoder: any bytes, through
 * vgg_image_decode with options picked by the input's last byte, then a
 * small resize of whatever decoded.  Invariants checked: on failure no
 * image comes out and the message names the input; on success the size is
 * within the pixel limit.  Memory errors, leaks and undefined behaviour are
 * the sanitizers' to find. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "vgg/image.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile unsigned sink; /* keeps the pixel reads */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vgg_decode_opts o;
    vgg_decode_opts_default(&o);
    o.max_pixels = (size_t)1 << 20; /* keep each run small */
    unsigned sel = size ? data[size - 1] : 0;
    o.allow_damaged = sel & 1;
    o.alpha = (sel & 2) ? VGG_ALPHA_DROP : VGG_ALPHA_WHITE;
    o.ignore_exif = (sel & 4) != 0;
    o.min_side = (sel & 8) ? 5 : 0;

    vgg_image *img = (vgg_image *)&o;
    vgg_status st = vgg_image_decode(data, size, "fuzz-input", &o, &img);
    if (st != VGG_STATUS_OK) {
        if (img != NULL || !strstr(vgg_last_error(), "'fuzz-input'"))
            __builtin_trap();
        return 0;
    }
    if (!img || img->w <= 0 || img->h <= 0 || (size_t)img->w * img->h > o.max_pixels)
        __builtin_trap();
    vgg_image *small = NULL;
    if (vgg_image_resize_short(img, 3, &small) == VGG_STATUS_OK) {
        for (size_t i = 0; i < (size_t)small->w * small->h * 3; i++)
            sink += small->px[i];
        vgg_image_free(small);
    }
    vgg_image_free(img);
    return 0;
}
