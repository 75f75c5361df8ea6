/* vggimage internals shared between its source files. */
#ifndef VGG_IMAGE_INTERNAL_H
#define VGG_IMAGE_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "vgg/image.h"

/* The EXIF Orientation (1-8) from TIFF-structured EXIF data (starting with
 * "II*\0" or "MM\0*", i.e. after a JPEG APP1's "Exif\0\0").  Returns 1 for
 * anything missing, out of range or malformed; never reads outside
 * [tiff, tiff + n). */
int vgg_exif_orientation(const uint8_t *tiff, size_t n);

/* Replace *img by its EXIF-oriented version (orientation 2-8; 1 and
 * anything else leave it alone).  On failure *img is unchanged. */
vgg_status vgg_image_apply_orientation(vgg_image **img, int orientation, const char *name);

#endif
