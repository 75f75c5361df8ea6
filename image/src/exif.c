/* EXIF orientation: a small bounds-checked reader of the Orientation tag
 * (0x0112) in IFD0, and the eight transforms of Pillow's exif_transpose. */
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

int vgg_exif_orientation(const uint8_t *t, size_t n)
{
    if (!t || n < 8)
        return 1;
    int le;
    if (t[0] == 'I' && t[1] == 'I')
        le = 1;
    else if (t[0] == 'M' && t[1] == 'M')
        le = 0;
    else
        return 1;
    if (rd16(t + 2, le) != 42)
        return 1;
    uint32_t ifd = rd32(t + 4, le);
    if (ifd >= n || n - ifd < 2)
        return 1;
    size_t count = rd16(t + ifd, le);
    size_t room = (n - ifd - 2) / 12;
    if (count > room)
        count = room;
    for (size_t i = 0; i < count; i++) {
        const uint8_t *e = t + ifd + 2 + 12 * i;
        if (rd16(e, le) != 0x0112)
            continue;
        uint32_t type = rd16(e + 2, le), cnt = rd32(e + 4, le);
        uint32_t v;
        if (type == 3 && cnt >= 1)          /* SHORT, stored in the entry */
            v = rd16(e + 8, le);
        else if (type == 4 && cnt == 1)     /* LONG */
            v = rd32(e + 8, le);
        else
            return 1;
        return v >= 1 && v <= 8 ? (int)v : 1;
    }
    return 1;
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
    vgg_image_free(in);
    *img = out;
    return VGG_STATUS_OK;
}
