/* vggfeat export FEATURES --format npy|liblinear|csv -o FILE */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/features.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggfeat export FEATURES --format npy|liblinear|csv -o FILE\n"
            "  npy        float32 matrix (rows, dim), for numpy.load\n"
            "  liblinear  'label 1:v1 2:v2 ...' per row (zeros left out); labels that are\n"
            "             all integers are kept, others are numbered 1, 2, ... in sorted\n"
            "             order (as vggsvm numbers classes) and the numbering is written\n"
            "             to FILE.labels;\n"
            "             a store without labels gets label 0 on every row\n"
            "  csv        name,label,x1,...,xD with a header line\n"
            "Rows are written in the store's order, a row at a time.\n");
}

static vgg_status write_npy(const vgg_featstore *fs, FILE *fp, const char *out)
{
    size_t rows = vgg_featstore_rows(fs);
    int dim = vgg_featstore_dim(fs);
    char dict[256];
    int n = snprintf(dict, sizeof dict,
                     "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %d), }", rows,
                     dim);
    /* magic(6) + version(2) + len(2) + dict + padding + '\n', multiple of 64 */
    size_t total = (10 + (size_t)n + 1 + 63) / 64 * 64;
    size_t hlen = total - 10;
    unsigned char pre[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xFF),
                              (unsigned char)(hlen >> 8) };
    char header[512];
    memcpy(header, dict, (size_t)n);
    memset(header + n, ' ', hlen - (size_t)n - 1);
    header[hlen - 1] = '\n';
    vgg_status st = vgg_write_all(fp, pre, 10, out);
    if (st == VGG_STATUS_OK)
        st = vgg_write_all(fp, header, hlen, out);
    for (size_t r = 0; r < rows && st == VGG_STATUS_OK; r++)
        st = vgg_write_all(fp, vgg_featstore_row(fs, r), sizeof(float) * (size_t)dim, out);
    return st;
}

/* label numbers for liblinear: vgg_featlabels (features.h), the numbering
 * vggsvm's model files use, so liblinear-predict's accuracy line is right on
 * vggsvm models too */
static vgg_status write_liblinear(const vgg_featstore *fs, FILE *fp, const vgg_featlabels *m)
{
    size_t rows = vgg_featstore_rows(fs);
    int dim = vgg_featstore_dim(fs);
    for (size_t r = 0; r < rows; r++) {
        const float *x = vgg_featstore_row(fs, r);
        fprintf(fp, "%ld", vgg_featlabels_number(m, vgg_featstore_label(fs, r)));
        for (int i = 0; i < dim; i++)
            if (x[i] != 0.0f)
                fprintf(fp, " %d:%.9g", i + 1, (double)x[i]);
        fputc('\n', fp);
    }
    return VGG_STATUS_OK;   /* write errors surface in vgg_atomic_commit */
}

/* names and labels by the one escaping rule (docs/escaping.md) */
static vgg_status write_csv(const vgg_featstore *fs, FILE *fp)
{
    size_t rows = vgg_featstore_rows(fs);
    int dim = vgg_featstore_dim(fs);
    fputs("name,label", fp);
    for (int i = 0; i < dim; i++)
        fprintf(fp, ",x%d", i + 1);
    fputc('\n', fp);
    for (size_t r = 0; r < rows; r++) {
        const float *x = vgg_featstore_row(fs, r);
        vgg_csv_put(fp, vgg_featstore_name(fs, r));
        fputc(',', fp);
        vgg_csv_put(fp, vgg_featstore_label(fs, r));
        for (int i = 0; i < dim; i++)
            fprintf(fp, ",%.9g", (double)x[i]);
        fputc('\n', fp);
    }
    return VGG_STATUS_OK;   /* write errors surface in vgg_atomic_commit */
}

static vgg_status write_label_names(const char *out, const vgg_featlabels *m)
{
    size_t n = strlen(out) + 8;
    char *path = malloc(n);
    if (!path)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    snprintf(path, n, "%s.labels", out);
    vgg_atomic_file af;
    vgg_status st = vgg_atomic_open(path, &af);
    for (size_t i = 0; st == VGG_STATUS_OK && i < m->n; i++) {
        fprintf(af.fp, "%zu\t", i + 1);
        vgg_tsv_put(af.fp, m->names[i]);
        fputc('\n', af.fp);
    }
    if (st == VGG_STATUS_OK)
        st = vgg_atomic_commit(&af);
    else
        vgg_atomic_abort(&af);
    free(path);
    return st;
}

int cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        { "format", required_argument, NULL, 'f' },
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *format = NULL, *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f': format = optarg; break;
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !format || !out) {
        usage(stderr);
        return 2;
    }
    if (strcmp(format, "npy") != 0 && strcmp(format, "liblinear") != 0 &&
        strcmp(format, "csv") != 0) {
        fprintf(stderr, "vggfeat export: unknown format '%s' (npy, liblinear or csv)\n", format);
        return 2;
    }
    const char *in = argv[optind];
    vgg_featstore *fs = NULL;
    if (vgg_output_check(out, &in, 1) != VGG_STATUS_OK ||
        vgg_featstore_open(in, &fs) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat export: %s\n", vgg_last_error());
        return 1;
    }
    char tail[1024];
    if (vgg_featstore_tail_note(in, tail, sizeof tail))
        fprintf(stderr, "vggfeat export: %s\n", tail);
    vgg_featlabels m;
    memset(&m, 0, sizeof m);
    vgg_status st = VGG_STATUS_OK;
    if (strcmp(format, "liblinear") == 0) {
        st = vgg_featlabels_build(fs, &m);
        if (st != VGG_STATUS_OK)
            vgg_fail_context(st, "'%s': ", in);
    }
    vgg_atomic_file af;
    if (st == VGG_STATUS_OK)
        st = vgg_atomic_open(out, &af);
    if (st == VGG_STATUS_OK) {
        if (strcmp(format, "npy") == 0)
            st = write_npy(fs, af.fp, out);
        else if (strcmp(format, "liblinear") == 0)
            st = write_liblinear(fs, af.fp, &m);
        else
            st = write_csv(fs, af.fp);
        if (st == VGG_STATUS_OK)
            st = vgg_atomic_commit(&af);
        else
            vgg_atomic_abort(&af);
    }
    if (st == VGG_STATUS_OK && m.n > 0)
        st = write_label_names(out, &m);
    size_t rows = vgg_featstore_rows(fs), named = m.n;
    vgg_featstore_close(fs);
    vgg_featlabels_free(&m);
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat export: %s\n", vgg_last_error());
        return 1;
    }
    fprintf(stderr, "vggfeat export: %zu rows to '%s' (%s)", rows, out, format);
    if (named)
        fprintf(stderr, "; label numbers in '%s.labels'", out);
    fputc('\n', stderr);
    return 0;
}
