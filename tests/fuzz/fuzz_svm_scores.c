/* libFuzzer harness for vggsvm score files (TSV or JSON, chosen by the
 * content as vgg_svm_scores_read does).  Invariants checked: on failure
 * no scores come out and the message names the file; on success there is
 * at least one class, every name is set, and writing the scores as TSV and
 * reading them back gives the same images, classes and scores.  Memory
 * errors, leaks and undefined behaviour are the sanitizers' to find. */
#include <math.h>
#include <stdlib.h>

#include "fuzz_util.h"
#include "vgg/svm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int same_score(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    if (fuzz_write_file("svm_scores", ".tsv", data, size, path, sizeof path) != 0)
        return 0;
    vgg_svm_scores *s = (vgg_svm_scores *)path;
    if (vgg_svm_scores_read(path, &s) != VGG_STATUS_OK) {
        if (s != NULL)
            __builtin_trap();
        fuzz_check_failure(path);
        return 0;
    }
    if (s->n_classes < 1)
        __builtin_trap();
    for (int k = 0; k < s->n_classes; k++)
        if (!s->class_names[k])
            __builtin_trap();
    for (size_t i = 0; i < s->n; i++)
        if (!s->names[i])
            __builtin_trap();

    /* what we write, we read back the same, where the names can be written
     * as TSV (no TAB or newline in them) */
    int writable = 1;
    for (int k = 0; k < s->n_classes; k++)
        writable &= !strpbrk(s->class_names[k], "\t\n\r") && *s->class_names[k];
    for (size_t i = 0; i < s->n; i++)
        writable &= !strpbrk(s->names[i], "\t\n\r") && *s->names[i];
    if (writable) {
        char again[80];
        snprintf(again, sizeof again, "%s.again", path);
        vgg_svm_scores *r = NULL;
        if (vgg_svm_scores_write(s, again, false) != VGG_STATUS_OK ||
            vgg_svm_scores_read(again, &r) != VGG_STATUS_OK)
            __builtin_trap();
        if (r->n != s->n || r->n_classes != s->n_classes)
            __builtin_trap();
        for (int k = 0; k < s->n_classes; k++)
            if (strcmp(r->class_names[k], s->class_names[k]) != 0)
                __builtin_trap();
        for (size_t i = 0; i < s->n; i++) {
            if (strcmp(r->names[i], s->names[i]) != 0)
                __builtin_trap();
            for (int k = 0; k < s->n_classes; k++)
                if (!same_score(r->scores[i * s->n_classes + k], s->scores[i * s->n_classes + k]))
                    __builtin_trap();
        }
        vgg_svm_scores_free(r);
        remove(again);
    }
    vgg_svm_scores_free(s);
    return 0;
}
