/* Orientation: a small bounds-checked reader of the EXIF Orientation tag
 * (0x0112) in IFD0, of XMP's tiff:Orientation and of ImageMagick's hex
 * "Raw profile type exif", read as Pillow 9.4 reads them (Image.getexif,
 * TiffImagePlugin's IFD loader), and the eight transforms of its
 * ImageOps.exif_transpose. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "image_internal.h"

static uint32_t rd16(const uint8_t *p, int le)
{
    return le ? (uint32_t)p[0] | (uint32_t)p[1] << 8 : (uint32_t)p[0] << 8 | (uint32_t)p[1];
}

static uint32_t rd32(const uint8_t *p, int le)
{
    return le ? rd16(p, 1) | rd16(p + 2, 1) << 16 : rd16(p, 0) << 16 | rd16(p + 2, 0);
}

static uint64_t rd64(const uint8_t *p, int le)
{
    return le ? (uint64_t)rd32(p, 1) | (uint64_t)rd32(p + 4, 1) << 32
              : (uint64_t)rd32(p, 0) << 32 | rd32(p + 4, 0);
}

/* bytes per value of a TIFF type Pillow loads; 0 for a type it skips */
static uint32_t type_size(uint32_t type)
{
    switch (type) {
    case 1: case 2: case 6: case 7: return 1;     /* BYTE ASCII SBYTE UNDEFINED */
    case 3: case 8: return 2;                     /* SHORT SSHORT */
    case 4: case 9: case 11: case 13: return 4;   /* LONG SLONG FLOAT IFD */
    case 5: case 10: case 12: case 16: return 8;  /* RATIONAL SRATIONAL DOUBLE LONG8 */
    default: return 0;
    }
}

/* Pillow's value of the first element: an integer (or a rational or float
 * equal to one), which exif_transpose applies when it is 2-8; 0 for the
 * types it reads as bytes or text (BYTE, ASCII, UNDEFINED), which it never
 * applies, and for values that are not whole numbers. */
static int first_value(uint32_t type, const uint8_t *p, int le)
{
    double v;
    switch (type) {
    case 3: return (int)rd16(p, le);
    case 4: case 13: return rd32(p, le) > 9 ? 9 : (int)rd32(p, le);
    case 6: return (int)(int8_t)p[0];
    case 8: return (int)(int16_t)rd16(p, le);
    case 9: {
        int32_t s = (int32_t)rd32(p, le);
        return s > 9 ? 9 : s < 0 ? -1 : (int)s;
    }
    case 16: return rd64(p, le) > 9 ? 9 : (int)rd64(p, le);
    case 5: case 10: {
        uint32_t num = rd32(p, le), den = rd32(p + 4, le);
        if (type == 10) {
            int32_t sn = (int32_t)num, sd = (int32_t)den;
            return sd != 0 && sn % sd == 0 && sn / sd >= 0 && sn / sd <= 9 ? sn / sd : 0;
        }
        return den != 0 && num % den == 0 && num / den <= 9 ? (int)(num / den) : 0;
    }
    case 11: {
        float f;
        uint32_t u = rd32(p, le);
        memcpy(&f, &u, sizeof f);
        v = f;
        break;
    }
    case 12: {
        uint64_t u = rd64(p, le);
        memcpy(&v, &u, sizeof v);
        break;
    }
    default: return 0;
    }
    return isfinite(v) && v == floor(v) && v >= 0 && v <= 9 ? (int)v : 0;
}

bool vgg_exif_orientation_tag(const uint8_t *t, size_t n, int *value)
{
    *value = 0;
    if (!t || n < 8)
        return false;
    int le;
    if (t[0] == 'I' && t[1] == 'I')
        le = 1;
    else if (t[0] == 'M' && t[1] == 'M')
        le = 0;
    else
        return false;
    /* Pillow accepts the magic 42 in either byte order (not BigTIFF) */
    if (!((t[2] == 42 && t[3] == 0) || (t[2] == 0 && t[3] == 42)))
        return false;
    uint32_t ifd = rd32(t + 4, le);
    if (ifd >= n || n - ifd < 2)
        return false;
    size_t count = rd16(t + ifd, le);
    bool found = false;
    for (size_t i = 0; i < count; i++) {
        /* an entry cut off by the end stops the reading, the entries
         * before it kept */
        size_t at = (size_t)ifd + 2 + 12 * i;
        if (at > n || n - at < 12)
            break;
        const uint8_t *e = t + at;
        uint32_t tag = rd16(e, le), type = rd16(e + 2, le), cnt = rd32(e + 4, le);
        uint32_t unit = type_size(type);
        if (unit == 0)
            continue;                         /* a type Pillow skips */
        uint64_t size = (uint64_t)cnt * unit;
        const uint8_t *data = e + 8;
        if (size > 4) {
            uint32_t off = rd32(e + 8, le);
            if (off > n || size > n - off)
                break;                        /* Pillow stops at data past the end */
            data = t + off;
        }
        if (size == 0 || tag != 0x0112)
            continue;
        found = true;                         /* the last of repeated entries counts */
        *value = first_value(type, data, le);
    }
    return found;
}

int vgg_exif_orientation(const uint8_t *t, size_t n)
{
    int v;
    if (!vgg_exif_orientation_tag(t, n, &v) || v < 1 || v > 8)
        return 1;
    return v;
}

int vgg_xmp_orientation(const uint8_t *s, size_t n)
{
    static const char key[] = "tiff:Orientation";
    const size_t k = sizeof key - 1;
    /* the first place where tiff:Orientation(="|>)([0-9]) matches */
    for (size_t i = 0; s && i + k < n; i++) {
        if (memcmp(s + i, key, k) != 0)
            continue;
        size_t j = i + k;
        if (s[j] == '=' && j + 1 < n && s[j + 1] == '"')
            j += 2;
        else if (s[j] == '>')
            j += 1;
        else
            continue;
        if (j < n && s[j] >= '0' && s[j] <= '9')
            return s[j] - '0';
    }
    return -1;
}

static int hex_digit(uint8_t c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

uint8_t *vgg_exif_from_raw_profile(const uint8_t *text, size_t n, size_t *len)
{
    *len = 0;
    /* Pillow: bytes.fromhex("".join(text.split("\n")[3:])): after the third
     * newline, hex digits in pairs, ASCII white space between pairs */
    size_t at = 0;
    for (int lines = 0; lines < 3; at++) {
        if (at >= n)
            return NULL;
        lines += text[at] == '\n';
    }
    uint8_t *out = malloc(n - at < 2 ? 1 : (n - at) / 2);
    if (!out)
        return NULL;
    size_t k = 0;
    while (at < n) {
        uint8_t c = text[at];
        if (c == '\n' || c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f') {
            at++;
            continue;
        }
        /* the pair's second digit may follow a newline ("".join drops them) */
        size_t b = at + 1;
        while (b < n && text[b] == '\n')
            b++;
        int hi = hex_digit(c), lo = b < n ? hex_digit(text[b]) : -1;
        if (hi < 0 || lo < 0) {
            free(out);     /* Pillow fails on it: no EXIF */
            return NULL;
        }
        out[k++] = (uint8_t)(hi << 4 | lo);
        at = b + 1;
    }
    *len = k;
    return out;
}

vgg_status vgg_image_apply_orientation(vgg_image **img, int orientation, const char *name)
{
    vgg_image *in = *img;
    if (orientation < 2 || orientation > 8)
        return VGG_STATUS_OK;
    const int w = in->w, h = in->h;
    int swap = orientation >= 5;
    vgg_image *out = NULL;
    vgg_status st = vgg_image_new(swap ? h : w, swap ? w : h, &out);
    if (st != VGG_STATUS_OK)
        return vgg_fail_context(st, "'%s': ", name);
    const int ow = out->w, oh = out->h;
    for (int y = 0; y < oh; y++) {
        uint8_t *d = out->px + (size_t)y * ow * 3;
        for (int x = 0; x < ow; x++, d += 3) {
            int sx, sy;
            switch (orientation) {
            case 2: sx = w - 1 - x; sy = y; break;             /* mirror */
            case 3: sx = w - 1 - x; sy = h - 1 - y; break;     /* 180 */
            case 4: sx = x; sy = h - 1 - y; break;             /* flip */
            case 5: sx = y; sy = x; break;                     /* transpose */
            case 6: sx = y; sy = h - 1 - x; break;             /* 90 clockwise */
            case 7: sx = w - 1 - y; sy = h - 1 - x; break;     /* transverse */
            default: sx = w - 1 - y; sy = x; break;            /* 8: 90 anticlockwise */
            }
            memcpy(d, in->px + ((size_t)sy * w + sx) * 3, 3);
        }
    }
    out->damaged = in->damaged;
    out->warnings = in->warnings;
    memcpy(out->warning, in->warning, sizeof out->warning);
    vgg_image_free(in);
    *img = out;
    return VGG_STATUS_OK;
}
