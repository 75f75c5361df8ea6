/* vggfeat descriptor computation: the paper's dense multi-scale
 * descriptor (appendix B) for one or more nets.
 *
 * Per net and scale Q: resize the image so its smaller side is Q (Pillow
 * BILINEAR, torchvision rounding), run the net densely up to the chosen
 * layer (fc7 by default, after ReLU), global-average-pool the map, and
 * average with the same for the horizontally flipped image.  Scales are
 * stacked or averaged, nets stacked in the order given, and the result is
 * optionally L2-normalised.
 */
#ifndef VGG_EXTRACT_H
#define VGG_EXTRACT_H

#include <stdbool.h>

#include "vgg/core.h"
#include "vgg/features.h"
#include "vgg/image.h"
#include "vgg/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vgg_aggregate {
    VGG_AGGREGATE_STACK = 0,   /* scales side by side (the paper's Caltech setting) */
    VGG_AGGREGATE_AVERAGE      /* scales averaged (its VOC setting) */
} vgg_aggregate;

typedef struct vgg_extract_opts {
    int n_scales;
    int scales[VGG_FEAT_MAX_SCALES];   /* 256 */
    vgg_aggregate aggregate;           /* stack */
    vgg_output layer;                  /* VGG_OUTPUT_FC7; FC6 or POOL5 */
    bool flip;                         /* true */
    bool l2;                           /* true */
} vgg_extract_opts;

void vgg_extract_opts_default(vgg_extract_opts *o);

/* "fc7", "fc6", "pool5" <-> vgg_output (INVALID for anything else). */
vgg_status vgg_extract_layer_parse(const char *text, vgg_output *out);
const char *vgg_extract_layer_name(vgg_output layer);

typedef struct vgg_extractor vgg_extractor;

/* An extractor over n_nets nets (borrowed; they must outlive it).
 * net_names are the names recorded in the description (borrowed, copied;
 * one longer than 63 bytes is kept as "..." and its last 60 bytes).
 * INVALID if a scale is below a net's minimum input (vgg_net_min_input). */
vgg_status vgg_extractor_create(vgg_net *const *nets, const char *const *net_names,
                                int n_nets, const vgg_extract_opts *o, vgg_extractor **out);
void vgg_extractor_free(vgg_extractor *ex);

/* The description of the descriptors this extractor makes. */
const vgg_featdesc *vgg_extractor_desc(const vgg_extractor *ex);
int vgg_extractor_dim(const vgg_extractor *ex);

/* An image resized to every scale: made by vgg_extractor_prepare, which
 * is reentrant (worker threads call it while the nets run). */
typedef struct vgg_prepared vgg_prepared;
vgg_status vgg_extractor_prepare(const vgg_extractor *ex, const vgg_image *img,
                                 vgg_prepared **out);
void vgg_prepared_free(vgg_prepared *p);

/* Run the nets on prepared images: out receives n * dim floats (row k for
 * p[k]).  Images of the same resized size are batched (up to batch at a
 * time, 1: none); batching never changes a descriptor.  Not reentrant. */
vgg_status vgg_extractor_run(vgg_extractor *ex, vgg_prepared *const *p, int n, int batch,
                             float *out);

/* prepare + run for one image. */
vgg_status vgg_extractor_compute(vgg_extractor *ex, const vgg_image *img, float *out);

#ifdef __cplusplus
}
#endif
#endif
