/* libFuzzer harness for the safetensors reader: any bytes, written to a
 * file and opened with vgg_st_open; on success every tensor of at most a
 * million elements is converted to float32 and every metadata entry read.
 * Invariants checked: on failure no handle comes out and the message names
 * the file; on success every tensor lies inside the mapped file and its
 * byte count matches its shape and dtype.  Memory errors, leaks and
 * undefined behaviour are the sanitizers' to find. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgg/net.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile float sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    if (fuzz_write_file("safetensors", ".st", data, size, path, sizeof path) != 0)
        return 0;

    vgg_safetensors *st = (vgg_safetensors *)&sink;
    vgg_status s = vgg_st_open(path, &st);
    if (s != VGG_STATUS_OK) {
        if (st != NULL)
            __builtin_trap();
        fuzz_check_failure(path);
        return 0;
    }
    for (int i = 0; i < vgg_st_count(st); i++) {
        const vgg_st_tensor *t = vgg_st_tensor_at(st, i);
        size_t numel = 1;
        for (int d = 0; d < t->ndim; d++)
            numel *= (size_t)t->shape[d];
        size_t esize = vgg_dtype_size(t->dtype);
        if (esize == 0 || t->nbytes != numel * esize || vgg_st_find(st, t->name) == NULL)
            __builtin_trap();
        if (numel <= 1000000) {
            float *out = malloc((numel ? numel : 1) * sizeof(float));
            if (out && vgg_st_to_f32(st, t, out) == VGG_STATUS_OK && numel)
                sink += out[numel - 1];
            free(out);
        }
    }
    for (int i = 0; i < vgg_st_meta_count(st); i++) {
        const char *k, *v;
        vgg_st_meta_at(st, i, &k, &v);
        if (!k || !v || vgg_st_meta(st, k) == NULL)
            __builtin_trap();
    }
    vgg_st_close(st);
    return 0;
}
