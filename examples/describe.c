/* Describe images with VGG-16 (net D, vgg16.safetensors in MODELS) and
 * write their rows, dim float32 each, one after the other, to OUT.
 *
 *     cc describe.c $(pkg-config --cflags --libs vggfeat) -o describe
 *     ./describe MODELS OUT IMAGE...
 */
#include <stdio.h>
#include <stdlib.h>

#include <vgg/vggfeat.h>

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s MODELS OUT IMAGE...\n", argv[0]);
        return 2;
    }
    vgg_describer_opts *o = NULL;
    vgg_describer *d = NULL;
    FILE *out = NULL;
    float *row = NULL;
    int ok = vgg_describer_opts_new(&o) == VGG_STATUS_OK &&
             vgg_describer_opts_set(o, "nets", "D") == VGG_STATUS_OK &&
             vgg_describer_opts_set(o, "models", argv[1]) == VGG_STATUS_OK &&
             vgg_describer_open(o, &d) == VGG_STATUS_OK;
    if (ok && !((out = fopen(argv[2], "wb")) &&
                (row = malloc(sizeof *row * vgg_describer_dim(d)))))
        ok = 0, fprintf(stderr, "%s: cannot write '%s'\n", argv[0], argv[2]);
    for (int i = 3; ok && i < argc; i++)
        ok = vgg_describer_file(d, argv[i], NULL, row) == VGG_STATUS_OK &&
             fwrite(row, sizeof *row, vgg_describer_dim(d), out) == (size_t)vgg_describer_dim(d);
    if (!ok && *vgg_last_error())
        fprintf(stderr, "%s: %s\n", argv[0], vgg_last_error());
    if (out && fclose(out) != 0)
        ok = 0;
    free(row);
    vgg_describer_close(d);
    vgg_describer_opts_free(o);
    return ok ? 0 : 1;
}
