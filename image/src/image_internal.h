/* vggimage internals shared between its source files. */
#ifndef VGG_IMAGE_INTERNAL_H
#define VGG_IMAGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vgg/image.h"

/* Whether IFD0 of TIFF-structured EXIF data (starting with "II*\0" or
 * "MM\0*", i.e. after a JPEG APP1's "Exif\0\0") holds the Orientation tag,
 * read as Pillow 9.4 reads it: the last of repeated entries; entries of a
 * type it skips left out; the reading stops at an entry cut off by the end
 * or whose data lies past it.  *value: its first value when a whole number
 * (0-9, 9 for anything larger, -1 below 0), else 0.  Never reads outside
 * [tiff, tiff + n). */
bool vgg_exif_orientation_tag(const uint8_t *tiff, size_t n, int *value);

/* The EXIF Orientation (1-8): the tag's value when present and 1-8, else 1. */
int vgg_exif_orientation(const uint8_t *tiff, size_t n);

/* XMP's orientation: the digit of the first match of Pillow's
 * tiff:Orientation(="|>)([0-9]) in s[0..n) (0-9), -1 when none. */
int vgg_xmp_orientation(const uint8_t *s, size_t n);

/* The EXIF bytes of ImageMagick's "Raw profile type exif" text
 * ("\nexif\n   LEN\nHEX...", as Pillow reads it: the hex after the third
 * newline, white space between byte pairs ignored), malloc'd, *len bytes;
 * NULL when it is not such hex (Pillow fails on it) or out of memory. */
uint8_t *vgg_exif_from_raw_profile(const uint8_t *text, size_t n, size_t *len);

/* Replace *img by its EXIF-oriented version (orientation 2-8; 1 and
 * anything else leave it alone).  On failure *img is unchanged. */
vgg_status vgg_image_apply_orientation(vgg_image **img, int orientation, const char *name);

#endif
