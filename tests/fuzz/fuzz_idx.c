/* libFuzzer harness for the idx reader of `vggtrain import-idx`: the
 * input's first two bytes (little-endian) give the length of the images
 * file, the next bytes are the images file (idx3, gzip or plain) and the
 * rest the labels file (idx1); vgg_pretrain_import_idx writes at most four images
 * into a scratch folder.  Invariants checked: on failure nothing is
 * written and the message names a file or the folder; on success the
 * images written are at most four and at most the labels' count.  Memory
 * errors, leaks and undefined behaviour are the sanitizers' to find. */
#include <stdlib.h>

#include "fuzz_util.h"
#include "vgg/pretrain.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t ilen = (size_t)data[0] | (size_t)data[1] << 8;
    data += 2;
    size -= 2;
    if (ilen > size)
        ilen = size;
    char im[64], lb[64], dir[64];
    if (fuzz_write_file("idx", ".images", data, ilen, im, sizeof im) != 0 ||
        fuzz_write_file("idx", ".labels", data + ilen, size - ilen, lb, sizeof lb) != 0)
        return 0;
    fuzz_scratch_path("idx", ".out", dir, sizeof dir);
    vgg_pretrain_idx_opts o;
    memset(&o, 0, sizeof o);
    for (int c = 0; c < 256; c++)
        o.use_class[c] = c % 2 == 0 || c < 10;
    o.limit = 4;
    size_t written = 99;
    vgg_status st = vgg_pretrain_import_idx(im, lb, &o, dir, &written);
    if (st != VGG_STATUS_OK) {
        const char *msg = vgg_last_error();
        if (written != 0 || (!strstr(msg, im) && !strstr(msg, lb) && !strstr(msg, dir) &&
                             !strstr(msg, "import-idx")))
            __builtin_trap();
        return 0;
    }
    if (written > 4 || size - ilen < 8 + written)
        __builtin_trap();
    return 0;
}
