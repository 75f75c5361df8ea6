/* libFuzzer harness for the feature store reader: any bytes, written to a
 * file and opened with vgg_featstore_open; on success every row is read,
 * the name index built and searched, and the label numbering made; then the
 * file is reopened for resuming with its own description (the writer's
 * reader of an existing store, which cuts a damaged tail).  Invariants
 * checked: on failure no handle comes out and the message names the file;
 * on success names and labels are NUL-terminated inside their slots, input
 * indices increase, every name is found by the index at a row of that
 * name, and a resumed writer holds no more rows than the reader saw.
 * Memory errors, leaks and undefined behaviour are the sanitizers' to find. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vgg/features.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile float sink;

static void check_rows(const vgg_featstore *fs)
{
    vgg_featlayout l;
    vgg_featstore_layout(fs, &l);
    size_t n = vgg_featstore_rows(fs);
    int dim = vgg_featstore_dim(fs);
    for (size_t r = 0; r < n; r++) {
        if (strlen(vgg_featstore_name(fs, r)) >= (size_t)l.name_bytes ||
            strlen(vgg_featstore_label(fs, r)) >= (size_t)l.label_bytes)
            __builtin_trap();
        if (r && vgg_featstore_index(fs, r) <= vgg_featstore_index(fs, r - 1))
            __builtin_trap();
        sink += vgg_featstore_row(fs, r)[dim - 1];
    }
    vgg_featindex *ix = NULL;
    if (vgg_featindex_of_store(fs, &ix) == VGG_STATUS_OK) {
        for (size_t r = 0; r < n; r++) {
            size_t hit = vgg_featindex_find(ix, vgg_featstore_name(fs, r));
            if (hit > r || strcmp(vgg_featstore_name(fs, hit), vgg_featstore_name(fs, r)) != 0)
                __builtin_trap();
        }
        vgg_featindex_free(ix);
    }
    vgg_featlabels m;
    if (vgg_featlabels_build(fs, &m) == VGG_STATUS_OK)
        for (size_t r = 0; r < n; r++)
            sink += (float)vgg_featlabels_number(&m, vgg_featstore_label(fs, r));
    vgg_featlabels_free(&m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    if (fuzz_write_file("store", ".vggf", data, size, path, sizeof path) != 0)
        return 0;

    vgg_featstore *fs = (vgg_featstore *)&sink;
    vgg_status s = vgg_featstore_open(path, &fs);
    if (s != VGG_STATUS_OK) {
        if (fs != NULL)
            __builtin_trap();
        fuzz_check_failure(path);
        unlink(path);
        return 0;
    }
    check_rows(fs);
    vgg_featdesc d = *vgg_featstore_desc(fs);
    size_t rows = vgg_featstore_rows(fs);
    vgg_featstore_close(fs);

    vgg_featwriter *w = NULL;
    size_t existing = 0;
    if (vgg_featwriter_open(path, &d, true, &w, &existing) == VGG_STATUS_OK) {
        if (existing > rows)
            __builtin_trap();
        vgg_featwriter_close(w);
    } else if (w != NULL) {
        __builtin_trap();
    }
    unlink(path);
    return 0;
}
