/* A PNG writer for 8-bit grayscale images (the rendered glyph sets), on
 * zlib alone: signature, IHDR, one IDAT of the deflated rows (filter byte 0
 * before each), IEND; every chunk closed by its CRC-32 (PNG spec, 2nd ed.,
 * sections 5 and 11.2). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include "datasets_internal.h"

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* length, type, data, CRC-32 of type and data */
static bool write_chunk(FILE *fp, const char type[4], const uint8_t *data, uint32_t n)
{
    uint8_t head[8], tail[4];
    put_be32(head, n);
    memcpy(head + 4, type, 4);
    uLong crc = crc32(0L, (const Bytef *)type, 4);
    if (n)
        crc = crc32(crc, data, n);
    put_be32(tail, (uint32_t)crc);
    return fwrite(head, 1, 8, fp) == 8 && (n == 0 || fwrite(data, 1, n, fp) == n) &&
           fwrite(tail, 1, 4, fp) == 4;
}

/* The rows, each after its filter byte 0 (None), deflated: *out malloc'd. */
static vgg_status deflate_rows(const char *path, const uint8_t *px, int w, int h, uint8_t **out,
                               uLongf *n_out)
{
    *out = NULL;
    size_t raw_n = (size_t)h * ((size_t)w + 1);
    uint8_t *raw = malloc(raw_n);
    uLongf cap = compressBound((uLong)raw_n);
    uint8_t *z = malloc(cap);
    if (!raw || !z) {
        free(raw);
        free(z);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory for a %dx%d PNG", path, w, h);
    }
    for (int y = 0; y < h; y++) {
        raw[(size_t)y * ((size_t)w + 1)] = 0;
        memcpy(raw + (size_t)y * ((size_t)w + 1) + 1, px + (size_t)y * (size_t)w, (size_t)w);
    }
    int rc = compress2(z, &cap, raw, (uLong)raw_n, Z_DEFAULT_COMPRESSION);
    free(raw);
    if (rc != Z_OK) {
        free(z);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': zlib cannot compress the image (%d)", path, rc);
    }
    *out = z;
    *n_out = cap;
    return VGG_STATUS_OK;
}

vgg_status ds_write_png_gray(const char *path, const uint8_t *px, int w, int h)
{
    if (w <= 0 || h <= 0 || w > (1 << 16) || h > (1 << 16))
        return vgg_fail(VGG_STATUS_INVALID, "'%s': a %dx%d image cannot be written", path, w, h);
    uint8_t *z = NULL;
    uLongf n_z = 0;
    vgg_status st = deflate_rows(path, px, w, h, &z, &n_z);
    if (st != VGG_STATUS_OK)
        return st;
    st = vgg_output_check_kind(path, 0);   /* never written into a device or FIFO */
    FILE *fp = st == VGG_STATUS_OK ? fopen(path, "wb") : NULL;
    if (!fp) {
        free(z);
        if (st != VGG_STATUS_OK)
            return st;
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot create: %s", path, strerror(errno));
    }
    static const uint8_t signature[8] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n' };
    uint8_t ihdr[13];
    put_be32(ihdr, (uint32_t)w);
    put_be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 0;  /* colour type: grayscale */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering (each row says its filter) */
    ihdr[12] = 0; /* no interlace */
    bool ok = fwrite(signature, 1, 8, fp) == 8 && write_chunk(fp, "IHDR", ihdr, 13) &&
              write_chunk(fp, "IDAT", z, (uint32_t)n_z) && write_chunk(fp, "IEND", NULL, 0);
    free(z);
    if (fclose(fp) != 0 || !ok)
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot write the PNG", path);
    return VGG_STATUS_OK;
}
