/* libFuzzer harness for the caffemodel reader (net/src/caffe.c): any bytes
 * parsed with vgg_caffe_parse; on success every blob is read and the
 * architecture is inferred, and checked against each configuration.
 * Invariants checked: on failure no model comes out and the message names
 * the input; on success each blob's count is the product of its shape and
 * its data lies inside the input or in the model's own copy.  Memory
 * errors, leaks and undefined behaviour are the sanitizers' to find.
 * Seeds: tests/fuzz/corpus/caffe/ (tests/gen_caffe_fixtures.py seeds). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/caffe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile float sink;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vgg_caffe_model *m = (vgg_caffe_model *)&sink;
    if (vgg_caffe_parse(data, size, "fuzz.caffemodel", &m) != VGG_STATUS_OK) {
        if (m != NULL || !strstr(vgg_last_error(), "fuzz.caffemodel"))
            __builtin_trap();
        return 0;
    }
    for (int i = 0; i < vgg_caffe_layer_count(m); i++) {
        const vgg_caffe_layer *L = vgg_caffe_layer_at(m, i);
        if (!L || !L->name || !L->type || L->n_blobs < 0)
            __builtin_trap();
        sink += (float)(strlen(L->name) + strlen(L->type));
        for (int b = 0; b < L->n_blobs; b++) {
            const vgg_caffe_blob *bl = &L->blobs[b];
            int64_t count = 1;
            for (int d = 0; d < bl->ndim; d++)
                count *= bl->shape[d];
            /* no dims: an empty blob (0) or an empty BlobShape (a scalar) */
            bool ok = bl->ndim > 0 ? count == bl->count : (bl->count == 0 || bl->count == 1);
            if (!ok || bl->count < 0 || (uint64_t)bl->count * 4 > size)
                __builtin_trap();
            float *out = malloc((size_t)bl->count * sizeof *out + sizeof *out);
            if (!out)
                continue;
            vgg_caffe_blob_read(bl, out);
            for (int64_t j = 0; j < bl->count; j++)
                sink += out[j];
            free(out);
        }
    }
    vgg_arch a;
    (void)vgg_caffe_arch(m, NULL, &a);
    for (int c = 0; c < VGG_CONFIG_COUNT_; c++) {
        vgg_config_id id = (vgg_config_id)c;
        (void)vgg_caffe_arch(m, &id, &a);
    }
    vgg_caffe_close(m);
    return 0;
}
