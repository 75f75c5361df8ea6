/* Fashion-MNIST (idx) files to PNG images, a list file and a class index. */
#include <errno.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "vgg/pretrain.h"
#include "vgg/datasets.h"

static const char *const fashion_names[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
};

static vgg_status read_be32(gzFile f, const char *path, long offset, uint32_t *v)
{
    unsigned char b[4];
    if (gzread(f, b, 4) != 4)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': file is cut short in the header (byte %ld)",
                        path, offset);
    *v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return VGG_STATUS_OK;
}

#define IDX_MAX_VALUES ((uint64_t)1 << 32)

/* magic 0x00000803 (images: n, rows, cols) or 0x00000801 (labels: n).  The
 * buffer grows as the data arrives, so a header claiming more than the file
 * holds costs no more memory than the file. */
static vgg_status read_idx(const char *path, int ndim, uint32_t dims[3], uint8_t **data)
{
    *data = NULL;
    gzFile f = gzopen(path, "rb");
    if (!f)
        return vgg_fail(VGG_STATUS_IO, "'%s': %s", path, strerror(errno ? errno : ENOENT));
    uint32_t magic = 0;
    vgg_status st = read_be32(f, path, 0, &magic);
    if (st == VGG_STATUS_OK && magic != (0x800u | (uint32_t)ndim))
        st = vgg_fail(VGG_STATUS_FORMAT, "'%s': not an idx file of %d dimension(s) of bytes "
                      "(magic 0x%08x at byte 0)", path, ndim, magic);
    uint64_t total = 1;
    for (int i = 0; i < ndim && st == VGG_STATUS_OK; i++) {
        st = read_be32(f, path, 4 + 4L * i, &dims[i]);
        /* dims[i] < 2^32 and total <= 2^32 here, so the product cannot wrap */
        if (st == VGG_STATUS_OK) {
            total *= dims[i];
            if (total == 0 || total > IDX_MAX_VALUES)
                st = vgg_fail(VGG_STATUS_FORMAT, "'%s': dimension %d (bytes %d-%d) is %u: the "
                              "file would hold %s values", path, i + 1, 4 + 4 * i, 7 + 4 * i,
                              dims[i], total == 0 ? "no" : "more than 2^32");
        }
    }
    size_t got = 0, cap = 0;
    while (st == VGG_STATUS_OK && got < total) {
        if (got == cap) {
            size_t nc = cap ? 2 * cap : ((size_t)1 << 20);
            if (nc > total)
                nc = (size_t)total;
            uint8_t *nd = realloc(*data, nc);
            if (!nd) {
                st = vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
                break;
            }
            *data = nd;
            cap = nc;
        }
        size_t want = cap - got > (1u << 30) ? (1u << 30) : cap - got;
        int r = gzread(f, *data + got, (unsigned)want);
        if (r <= 0)
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': file is cut short at byte %zu of the data "
                          "(byte %zu of the file; the header claims %llu)", path, got,
                          got + 4 + 4 * (size_t)ndim, (unsigned long long)total);
        else
            got += (size_t)r;
    }
    gzclose(f);
    if (st != VGG_STATUS_OK) {
        free(*data);
        *data = NULL;
    }
    return st;
}

static vgg_status write_png(const char *path, const uint8_t *px, int w, int h)
{
    /* plain files: one fsync per image would make 70,000 images slow; the
     * list file, written last and atomically, is what makes a set usable */
    vgg_status st = vgg_output_check_kind(path, 0);   /* never written into a device or FIFO */
    if (st != VGG_STATUS_OK)
        return st;
    FILE *fp = fopen(path, "wb");
    if (!fp)
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot create: %s", path, strerror(errno));
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!png || !info) {
        png_destroy_write_struct(&png, &info);
        fclose(fp);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        fclose(fp);
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot write the PNG", path);
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_GRAY,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (int y = 0; y < h; y++)
        png_write_row(png, (png_const_bytep)(px + (size_t)y * w));
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    if (fclose(fp) != 0)
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot write: %s", path, strerror(errno));
    return VGG_STATUS_OK;
}

/* The kept classes (selected and present), in label order: newid[c] is
 * class c's new number or -1, names[0..*n_kept) their names (Fashion-MNIST's
 * for 0..9, else the number, in numbered). */
static void kept_classes(const vgg_pretrain_idx_opts *o, const uint8_t *lab, uint32_t n,
                         int newid[256], const char *names[256], char numbered[256][8],
                         int *n_kept)
{
    bool present[256] = { false };
    for (uint32_t i = 0; i < n; i++)
        present[lab[i]] = true;
    *n_kept = 0;
    for (int c = 0; c < 256; c++) {
        newid[c] = -1;
        if (o->use_class[c] && present[c]) {
            newid[c] = *n_kept;
            if (c < 10) {
                names[*n_kept] = fashion_names[c];
            } else {
                snprintf(numbered[c], sizeof numbered[c], "%d", c);
                names[*n_kept] = numbered[c];
            }
            (*n_kept)++;
        }
    }
}

/* dir/images/NNNNN.png for each image of a kept class (at most o->limit)
 * and dir/list.txt naming them with their class; *n images written. */
static vgg_status write_images(const char *dir, const vgg_pretrain_idx_opts *o,
                               const uint8_t *px, const uint32_t di[3], const uint8_t *lab,
                               const int newid[256], const char *const names[256], size_t *n)
{
    size_t plen = strlen(dir) + 32;
    char *p = malloc(plen);
    if (!p)
        return vgg_fail(VGG_STATUS_NOMEM, "import-idx: out of memory");
    snprintf(p, plen, "%s/images", dir);
    vgg_status st = vgg_ds_make_dirs(p);
    vgg_atomic_file list = { 0 };
    if (st == VGG_STATUS_OK) {
        snprintf(p, plen, "%s/list.txt", dir);
        st = vgg_atomic_open(p, &list);
    }
    *n = 0;
    for (uint32_t i = 0; st == VGG_STATUS_OK && i < di[0]; i++) {
        if (o->limit && *n >= o->limit)
            break;
        if (newid[lab[i]] < 0)
            continue;
        snprintf(p, plen, "%s/images/%05u.png", dir, i);
        st = write_png(p, px + (size_t)i * di[1] * di[2], (int)di[2], (int)di[1]);
        if (st == VGG_STATUS_OK && fprintf(list.fp, "%s\t%s\n", p, names[newid[lab[i]]]) < 0)
            st = vgg_fail(VGG_STATUS_IO, "'%s': cannot write", list.path);
        (*n)++;
    }
    if (st == VGG_STATUS_OK)
        st = vgg_atomic_commit(&list);
    vgg_atomic_abort(&list);
    free(p);
    return st;
}

vgg_status vgg_pretrain_import_idx(const char *images, const char *labels, const vgg_pretrain_idx_opts *o,
                         const char *dir, size_t *written)
{
    *written = 0;
    uint32_t di[3] = { 0 }, dl[3] = { 0 };
    uint8_t *px = NULL, *lab = NULL;
    vgg_status st = read_idx(images, 3, di, &px);
    if (st == VGG_STATUS_OK)
        st = read_idx(labels, 1, dl, &lab);
    if (st == VGG_STATUS_OK && dl[0] != di[0])
        st = vgg_fail(VGG_STATUS_MISMATCH, "'%s' has %u images but '%s' %u labels", images,
                      di[0], labels, dl[0]);
    int newid[256], n_kept = 0;
    const char *names[256];
    char numbered[256][8];
    if (st == VGG_STATUS_OK) {
        kept_classes(o, lab, dl[0], newid, names, numbered, &n_kept);
        if (n_kept == 0)
            st = vgg_fail(VGG_STATUS_INVALID, "import-idx: no class selected");
    }
    size_t n = 0;
    if (st == VGG_STATUS_OK)
        st = write_images(dir, o, px, di, lab, newid, names, &n);
    if (st == VGG_STATUS_OK) {
        size_t plen = strlen(dir) + 16;
        char *p = malloc(plen);
        if (!p)
            st = vgg_fail(VGG_STATUS_NOMEM, "import-idx: out of memory");
        else
            snprintf(p, plen, "%s/classes.txt", dir);
        if (p)
            st = vgg_ds_write_classes(p, (char *const *)names, (size_t)n_kept);
        free(p);
    }
    free(px);
    free(lab);
    if (st == VGG_STATUS_OK)
        *written = n;
    return st;
}
