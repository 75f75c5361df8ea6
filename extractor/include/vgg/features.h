/* vggfeat feature store: one float32 row per image with its name (and an
 * optional label), plus a description of what made the rows.  This header
 * is the only way other modules (classifier/) read features.
 */
#ifndef VGG_FEATURES_H
#define VGG_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vgg/core.h"

#ifdef __cplusplus
extern "C" {
#endif

#define VGG_FEAT_MAX_NETS 8
#define VGG_FEAT_MAX_SCALES 16

/* What made a store's rows.  Two stores (or a store and an SVM model) are
 * compatible only if their descriptions are equal. */
typedef struct vgg_featdesc {
    int dim;                                     /* floats per row */
    int n_nets;
    char net_names[VGG_FEAT_MAX_NETS][64];       /* as given: "D", "models/vgg16.safetensors" */
    char net_configs[VGG_FEAT_MAX_NETS][8];      /* "D" */
    char net_digests[VGG_FEAT_MAX_NETS][65];     /* vgg_net_digest */
    int n_scales;
    int scales[VGG_FEAT_MAX_SCALES];
    char aggregate[16];                          /* "stack" | "average" */
    char layer[16];                              /* "fc7" | "fc6" | "pool5" */
    bool flip;
    bool l2;
    char version[32];                            /* program version that wrote it */
} vgg_featdesc;

/* Compare the settings that make features comparable (dim, net digests,
 * scales, aggregation, layer, flip, normalisation; not names or version).
 * Returns true if equal; otherwise false and a sentence naming the first
 * setting that differs ("scales differ: 256,384 vs 256") in why. */
bool vgg_featdesc_equal(const vgg_featdesc *a, const vgg_featdesc *b, char *why, size_t n);

/* The description as a one-line JSON object (malloc'd) and back. */
vgg_status vgg_featdesc_to_json(const vgg_featdesc *d, char **out);
vgg_status vgg_featdesc_from_json(const char *json, vgg_featdesc *d);

/* ---- reading ---- */

typedef struct vgg_featstore vgg_featstore;

/* Open a store read-only.  A store whose last row is incomplete (an
 * interrupted writer) opens with the complete rows only.  FORMAT naming
 * the file for anything malformed. */
vgg_status vgg_featstore_open(const char *path, vgg_featstore **out);
void vgg_featstore_close(vgg_featstore *fs);

const vgg_featdesc *vgg_featstore_desc(const vgg_featstore *fs);
size_t vgg_featstore_rows(const vgg_featstore *fs);
int vgg_featstore_dim(const vgg_featstore *fs);
const char *vgg_featstore_name(const vgg_featstore *fs, size_t row);
/* The row's label text ("" when the row has none). */
const char *vgg_featstore_label(const vgg_featstore *fs, size_t row);
/* The row's dim floats (borrowed, valid until close). */
const float *vgg_featstore_row(const vgg_featstore *fs, size_t row);

/* ---- writing ---- */

typedef struct vgg_featwriter vgg_featwriter;

/* Create a new store at path with description d (d->dim > 0).  If a store
 * already exists there: with resume, it is opened for appending when its
 * description equals d (VGG_STATUS_MISMATCH naming the differing setting
 * otherwise), an incomplete last row is cut off, and *existing_rows tells
 * how many complete rows it holds; without resume, VGG_STATUS_INVALID
 * (never overwritten).  existing_rows may be NULL. */
vgg_status vgg_featwriter_open(const char *path, const vgg_featdesc *d, bool resume,
                               vgg_featwriter **out, size_t *existing_rows);

/* Append one row (d->dim floats).  label may be NULL or "".  The row is
 * complete on disk (flushed) when this returns OK. */
vgg_status vgg_featwriter_append(vgg_featwriter *w, const char *name, const char *label,
                                 const float *row);

/* Flush, fsync and close.  Safe on NULL. */
vgg_status vgg_featwriter_close(vgg_featwriter *w);

#ifdef __cplusplus
}
#endif
#endif
