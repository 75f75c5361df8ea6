/* Exports of a feature store (vggfeat export): a numpy .npy matrix,
 * LIBLINEAR's text format with vggsvm's label numbers, or CSV
 * (vgg_featstore_export in vgg/features.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/features.h"

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

/* "<out>.labels" (malloc'd, NULL when out of memory) */
static char *labels_path(const char *out)
{
    size_t n = strlen(out) + 8;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s.labels", out);
    return path;
}

static vgg_status write_label_names(const char *out, const vgg_featlabels *m)
{
    char *path = labels_path(out);
    if (!path)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
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

vgg_status vgg_feat_export_format_parse(const char *text, vgg_feat_export_format *out)
{
    static const char *const names[] = { "npy", "liblinear", "csv" };
    for (int i = 0; i < 3; i++)
        if (strcmp(text, names[i]) == 0) {
            *out = (vgg_feat_export_format)i;
            return VGG_STATUS_OK;
        }
    return vgg_fail(VGG_STATUS_INVALID, "unknown format '%s' (npy, liblinear or csv)", text);
}

/* the matrix in format f to out, atomically (a regular file) or in place
 * (a stream: standard output, a character device, a FIFO) */
static vgg_status write_matrix(const vgg_featstore *fs, vgg_feat_export_format f,
                               const vgg_featlabels *m, const char *out)
{
    vgg_atomic_file af;
    vgg_status st = vgg_atomic_open_stream(out, &af);
    if (st != VGG_STATUS_OK)
        return st;
    if (f == VGG_FEAT_EXPORT_NPY)
        st = write_npy(fs, af.fp, out);
    else if (f == VGG_FEAT_EXPORT_LIBLINEAR)
        st = write_liblinear(fs, af.fp, m);
    else
        st = write_csv(fs, af.fp);
    if (st == VGG_STATUS_OK)
        return vgg_atomic_commit(&af);
    vgg_atomic_abort(&af);
    return st;
}

vgg_status vgg_featstore_export(const vgg_featstore *fs, const char *store_path,
                                vgg_feat_export_format f, const char *out, size_t *n_names)
{
    *n_names = 0;
    vgg_featlabels m;
    memset(&m, 0, sizeof m);
    vgg_status st = VGG_STATUS_OK;
    if (f == VGG_FEAT_EXPORT_LIBLINEAR) {
        st = vgg_featlabels_build(fs, &m);
        if (st != VGG_STATUS_OK)
            vgg_fail_context(st, "'%s': ", store_path);
    }
    /* the numbering goes to "<out>.labels", a regular file beside a regular
     * out (a stream has no place for it): both checked before writing */
    if (st == VGG_STATUS_OK && m.n > 0 && vgg_output_is_stream(out))
        st = vgg_fail(VGG_STATUS_INVALID, "'%s': the labels of '%s' are not all integers, so "
                      "their numbering is written to a file beside the output (FILE.labels); "
                      "-o must name a regular file, not a stream", out, store_path);
    if (st == VGG_STATUS_OK && m.n > 0) {
        char *lp = labels_path(out);
        st = lp ? vgg_output_check_kind(lp, 0) : vgg_fail(VGG_STATUS_NOMEM, "out of memory");
        free(lp);
    }
    if (st == VGG_STATUS_OK)
        st = write_matrix(fs, f, &m, out);
    if (st == VGG_STATUS_OK && m.n > 0)
        st = write_label_names(out, &m);
    if (st == VGG_STATUS_OK)
        *n_names = m.n;
    vgg_featlabels_free(&m);
    return st;
}
