/* libFuzzer harness for vggsvm model files: the input up to its first NUL
 * byte is the JSON sidecar (model.json), the rest the LIBLINEAR model text;
 * "@SHA@" in the sidecar is replaced by the text's SHA-256, so the fuzzer
 * reaches the text parser with a sidecar that matches.  Loaded with
 * vgg_svm_model_load.  Invariants checked: on failure no model comes out
 * and the message names the model or its sidecar; on success the model
 * scores a feature vector, and saving and loading it again gives the same
 * classes, dimension and weights.  Memory errors, leaks and undefined
 * behaviour are the sanitizers' to find. */
#include <stdlib.h>

#include "fuzz_util.h"
#include "vgg/svm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static volatile double sink;

static void check_roundtrip(const vgg_svm_model *m, const char *path)
{
    char again[96];
    snprintf(again, sizeof again, "%s.again", path);
    if (vgg_svm_model_save(m, again) != VGG_STATUS_OK)
        __builtin_trap();
    vgg_svm_model *r = NULL;
    if (vgg_svm_model_load(again, &r) != VGG_STATUS_OK)
        __builtin_trap();
    int K = vgg_svm_model_classes(m), dim = vgg_svm_model_dim(m);
    if (vgg_svm_model_classes(r) != K || vgg_svm_model_dim(r) != dim)
        __builtin_trap();
    for (int k = 0; k < K; k++) {
        if (strcmp(vgg_svm_model_class_name(m, k), vgg_svm_model_class_name(r, k)) != 0)
            __builtin_trap();
        for (int j = 0; j < dim; j++)
            if (vgg_svm_model_weight(m, k, j) != vgg_svm_model_weight(r, k, j))
                __builtin_trap();
    }
    vgg_svm_model_free(r);
    char side[128];
    snprintf(side, sizeof side, "%s.json", again);
    remove(again);
    remove(side);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t side_len = nul ? (size_t)(nul - data) : size;
    const uint8_t *text = nul ? nul + 1 : data + size;
    size_t text_len = size - side_len - (nul ? 1 : 0);

    char hex[65];
    vgg_sha256 sh;
    if (vgg_sha256_init(&sh) != VGG_STATUS_OK)
        return 0;
    vgg_sha256_update(&sh, text, text_len);
    vgg_sha256_final_hex(&sh, hex);
    /* the sidecar with each "@SHA@" replaced */
    char *side = malloc(side_len * 13 + 1);
    if (!side)
        return 0;
    size_t n = 0;
    for (size_t i = 0; i < side_len;) {
        if (side_len - i >= 5 && memcmp(data + i, "@SHA@", 5) == 0) {
            memcpy(side + n, hex, 64);
            n += 64;
            i += 5;
        } else {
            side[n++] = (char)data[i++];
        }
    }

    char path[64], sp[80];
    int bad = fuzz_write_file("svm_model", ".model", text, text_len, path, sizeof path);
    snprintf(sp, sizeof sp, "%s.json", path);
    FILE *fp = bad ? NULL : fopen(sp, "wb");
    if (!fp || (n && fwrite(side, 1, n, fp) != n)) {
        if (fp)
            fclose(fp);
        free(side);
        return 0;
    }
    fclose(fp);
    free(side);

    vgg_svm_model *m = (vgg_svm_model *)&sink;
    vgg_status st = vgg_svm_model_load(path, &m);
    if (st != VGG_STATUS_OK) {
        if (m != NULL)
            __builtin_trap();
        fuzz_check_failure(path);   /* the model's path is a prefix of its sidecar's */
        return 0;
    }
    int K = vgg_svm_model_classes(m), dim = vgg_svm_model_dim(m);
    if (K < 2 || dim <= 0 || (size_t)dim > text_len)
        __builtin_trap();
    float *x = calloc((size_t)dim, sizeof *x);
    double *scores = calloc((size_t)K, sizeof *scores);
    if (x && scores) {
        x[0] = 1.0f;
        if (vgg_svm_model_score(m, x, dim, scores) == VGG_STATUS_OK)
            sink += scores[K - 1];
    }
    free(x);
    free(scores);
    check_roundtrip(m, path);
    vgg_svm_model_free(m);
    return 0;
}
