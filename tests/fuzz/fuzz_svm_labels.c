/* libFuzzer harness for vggsvm label files ("name<TAB>label[,label...]"
 * per line): vgg_svm_labelfile_read, then the labels built from its texts
 * in the mode the input's last byte picks.  Invariants checked: on failure
 * nothing comes out and the message names the file; on success every
 * name is non-empty and unique, and the truth matrix holds only +1, -1 and
 * 0 with a single-label row's class marked +1.  Memory errors, leaks and
 * undefined behaviour are the sanitizers' to find. */
#include <stdlib.h>

#include "fuzz_util.h"
#include "vgg/svm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    if (fuzz_write_file("svm_labels", ".labels", data, size, path, sizeof path) != 0)
        return 0;
    vgg_svm_labelfile *f = (vgg_svm_labelfile *)path;
    if (vgg_svm_labelfile_read(path, &f) != VGG_STATUS_OK) {
        if (f != NULL)
            __builtin_trap();
        fuzz_check_failure(path);
        return 0;
    }
    for (size_t i = 0; i < f->n; i++) {
        if (!f->names[i] || !*f->names[i] || !f->texts[i])
            __builtin_trap();
        for (size_t j = 0; j < i && j < 64; j++)
            if (strcmp(f->names[i], f->names[i - 1 - j]) == 0)
                __builtin_trap();
    }
    vgg_svm_label_mode mode = size ? (vgg_svm_label_mode)(data[size - 1] % 3) : VGG_SVM_LABELS_AUTO;
    char what[80];
    snprintf(what, sizeof what, "'%s'", path);
    vgg_svm_labels *l = (vgg_svm_labels *)path;
    if (vgg_svm_labels_build((const char *const *)f->texts, f->n, mode, NULL, 0, what, &l) ==
        VGG_STATUS_OK) {
        if (l->n_rows != f->n || (l->multilabel && mode == VGG_SVM_LABELS_SINGLE))
            __builtin_trap();
        for (size_t i = 0; i < l->n_rows; i++)
            for (int k = 0; k < l->n_classes; k++) {
                int8_t t = l->truth[i * (size_t)l->n_classes + k];
                if (t < -1 || t > 1 || (!l->multilabel && (t == 1) != (l->cls[i] == k)))
                    __builtin_trap();
            }
        vgg_svm_labels_free(l);
    } else if (l != NULL) {
        __builtin_trap();
    } else {
        fuzz_check_failure(path);
    }
    vgg_svm_labelfile_free(f);
    return 0;
}
