/* Helpers shared by the dataset readers. */
#ifndef VGG_DATASETS_INTERNAL_H
#define VGG_DATASETS_INTERNAL_H

#include <stdint.h>

#include "vgg/datasets.h"

typedef struct ds_strvec {
    char **s;
    size_t n, cap;
} ds_strvec;

/* Takes ownership of s (freed on failure; NULL s is NOMEM). */
vgg_status ds_strvec_push(ds_strvec *v, char *s);

char *ds_join(const char *a, const char *b); /* "a/b", malloc'd, NULL if out of memory */
bool ds_is_dir(const char *path);
bool ds_is_file(const char *path);
void ds_sort_strings(char **s, size_t n);
vgg_status ds_list_dir(const char *dir, bool want_dirs, bool join, char ***out, size_t *n);
/* FORMAT naming the list path and the escaped name unless the name reads
 * back from a list as it is: an image path holds no TAB, LF or CR and does
 * not start with '#'; a label or class name holds none of TAB, LF, CR, ','
 * and '?' (docs/escaping.md, "Lists"). */
vgg_status ds_check_path(const char *path, const char *s);
vgg_status ds_check_label(const char *path, const char *s);
/* Commit an atomic file, or abort it if a write failed. */
vgg_status ds_finish(vgg_atomic_file *af, const char *path);
/* Write px, w x h 8-bit gray pixels row by row, as a PNG at path (zlib
 * only; png_gray.c).  INVALID for a size outside 1..65536, IO, NOMEM. */
vgg_status ds_write_png_gray(const char *path, const uint8_t *px, int w, int h);

#endif
