/* Private to features/: what derive.c needs of the store writer. */
#ifndef VGG_FEATURES_INTERNAL_H
#define VGG_FEATURES_INTERNAL_H

#include "vgg/features.h"

/* A writer for a new store at tmp, a temporary of this process that is
 * renamed to shown once complete (vgg_featnew): created with O_EXCL (never
 * an existing file), not locked (no other process writes it), and every
 * message names shown, the output the user asked for, not the temporary.
 * shown must pass vgg_output_check_kind(shown, 0). */
vgg_status featwriter_open_temp(const char *tmp, const char *shown, const vgg_featdesc *d,
                                const vgg_featlayout *layout, vgg_featwriter **out);

#endif
