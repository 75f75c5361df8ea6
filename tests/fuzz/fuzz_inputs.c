/* libFuzzer harness for vggfeat's input list files ("path[<TAB>label]" per
 * line): inputs_add_list_file, then inputs_layout.  Invariants checked: on
 * success every entry has a non-empty path without TAB, NUL or newline, a
 * label that is NULL or non-empty, and its position as index; the slots
 * the layout picks hold every name and label.  Memory errors, leaks and
 * undefined behaviour are the sanitizers' to find.  The parser prints its
 * errors; run with -close_fd_mask=2 to keep them out of the log. */
#include <stdlib.h>

#include "fuzz_util.h"
#include "inputs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    if (fuzz_write_file("inputs", ".list", data, size, path, sizeof path) != 0)
        return 0;
    input_list l = { 0 };
    if (inputs_add_list_file(&l, path, "fuzz") == 0) {
        for (size_t i = 0; i < l.n; i++) {
            const input *in = &l.v[i];
            if (!in->path || !*in->path || strpbrk(in->path, "\t\n") || in->index != i ||
                (in->label && (!*in->label || strpbrk(in->label, "\t\n"))))
                __builtin_trap();
        }
        /* nothing longer than the file can be in it */
        size_t lines = 0;
        for (size_t i = 0; i < size; i++)
            lines += data[i] == '\n';
        if (l.n > lines + 1)
            __builtin_trap();
        vgg_featlayout layout;
        memset(&layout, 0, sizeof layout);
        if (inputs_layout(&l, &layout, "fuzz") == 0)
            for (size_t i = 0; i < l.n; i++)
                if (strlen(l.v[i].path) >= (size_t)layout.name_bytes ||
                    (l.v[i].label && strlen(l.v[i].label) >= (size_t)layout.label_bytes))
                    __builtin_trap();
    }
    inputs_free(&l);
    return 0;
}
