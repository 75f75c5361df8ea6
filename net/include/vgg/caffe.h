/* vggfeat Caffe import: a reader for .caffemodel files (the Oxford
 * VGG_ILSVRC_16/19_layers releases and their kind) and their conversion to
 * vggfeat's safetensors weights.
 *
 * The reader is a small protobuf wire-format parser over a read-only memory
 * map of the file: no message-size limit, and packed float data is never
 * copied (a blob's data points into the mapping).  Both forms of a Caffe
 * NetParameter are read:
 *   old (V1): field 2 `layers`, V1LayerParameter name 4, type enum 5, blobs 6
 *   new:      field 100 `layer`, LayerParameter name 1, type string 2, blobs 7
 * BlobProto: legacy dims num 1, channels 2, height 3, width 4, or shape 7
 * (BlobShape, dim 1, packed or not); data 5, packed or not.  Unknown fields
 * of every wire type are skipped.  Any malformed input is
 * VGG_STATUS_FORMAT with a message naming the file, the layer (index and
 * name where known) and the problem.
 *
 * Float data is read as little-endian IEEE float32, as Caffe writes it;
 * on a big-endian host the reader returns VGG_STATUS_UNSUPPORTED.
 */
#ifndef VGG_CAFFE_H
#define VGG_CAFFE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vgg/core.h"
#include "vgg/net.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vgg_caffe_form {
    VGG_CAFFE_FORM_V1 = 1,   /* NetParameter.layers (field 2) */
    VGG_CAFFE_FORM_NEW = 2,  /* NetParameter.layer (field 100) */
    VGG_CAFFE_FORM_MIXED = 3 /* both fields occur */
} vgg_caffe_form;

/* What a layer computes, as far as the converter cares. */
typedef enum vgg_caffe_kind {
    VGG_CAFFE_KIND_OTHER = 0,
    VGG_CAFFE_KIND_CONV,     /* V1 CONVOLUTION (4), "Convolution" */
    VGG_CAFFE_KIND_FC,       /* V1 INNER_PRODUCT (14), "InnerProduct" */
    VGG_CAFFE_KIND_LRN       /* V1 LRN (15), "LRN" */
} vgg_caffe_kind;

/* One blob.  shape is what the file says: BlobShape dims when present,
 * else the legacy (num, channels, height, width).  data holds count
 * little-endian float32 values; it may point into the file's mapping and
 * so may be unaligned: read it with memcpy or vgg_caffe_blob_read(). */
typedef struct vgg_caffe_blob {
    int ndim;
    int64_t shape[8];
    int64_t count;           /* product of shape; equals the number of values */
    const void *data;        /* count * 4 bytes; borrowed from the model */
    bool legacy_shape;       /* true: shape came from num/channels/height/width */
} vgg_caffe_blob;

typedef struct vgg_caffe_layer {
    const char *name;        /* "" if the layer has none */
    const char *type;        /* new form: the type string; V1: the enum name ("CONVOLUTION") */
    vgg_caffe_kind kind;
    int n_blobs;
    const vgg_caffe_blob *blobs;
} vgg_caffe_layer;

typedef struct vgg_caffe_model vgg_caffe_model;

/* Map and parse a .caffemodel file.  Errors: NOT_FOUND / IO (cannot open
 * or map), FORMAT (malformed: truncated varint, length past the end, wrong
 * wire type for a known field, blob data size != shape, no layers at all,
 * not a caffemodel), NOMEM. */
vgg_status vgg_caffe_open(const char *path, vgg_caffe_model **out);

/* Parse a caffemodel held in memory; name is used in messages.  data is
 * borrowed and must outlive the model (blob data points into it). */
vgg_status vgg_caffe_parse(const void *data, size_t size, const char *name,
                           vgg_caffe_model **out);

void vgg_caffe_close(vgg_caffe_model *m);

const char *vgg_caffe_name(const vgg_caffe_model *m);    /* the file name given */
const char *vgg_caffe_net_name(const vgg_caffe_model *m); /* NetParameter.name, "" if none */
vgg_caffe_form vgg_caffe_form_of(const vgg_caffe_model *m);
int vgg_caffe_layer_count(const vgg_caffe_model *m);
const vgg_caffe_layer *vgg_caffe_layer_at(const vgg_caffe_model *m, int i);
/* The first layer named name that has blobs, else the first named name;
 * NULL if none. */
const vgg_caffe_layer *vgg_caffe_find_layer(const vgg_caffe_model *m, const char *name);

/* Copy a blob's values to out (count floats, aligned). */
void vgg_caffe_blob_read(const vgg_caffe_blob *b, float *out);

/* The architecture of a VGG caffemodel: the configuration from the conv
 * layer names and kernel sizes (or *config when config is not NULL, as
 * `--arch` does), the width multiplier from conv1_1, fc_dim from fc6,
 * num_classes from fc8, input_size from fc6's input (C5 * k * k, input
 * 32 k).  Pool rounding is ceil (Caffe).  Every weight layer of the
 * configuration is checked: present, a convolution / inner product, two
 * blobs (weights and bias) of the expected shapes.  Errors: NOT_FOUND (a
 * layer is missing), FORMAT (a blob of the wrong size or kind, a layer
 * list matching no configuration), each naming the file and the layer. */
vgg_status vgg_caffe_arch(const vgg_caffe_model *m, const vgg_config_id *config,
                          vgg_arch *out);

/* Write the weights as safetensors with torchvision keys (features.N.*,
 * classifier.0/3/6.*; fc6's weight as (fc_dim, C, k, k)) and the Caffe
 * conventions in the metadata (BGR, range 255, mean 103.939,116.779,123.68,
 * std 1, pool_round ceil, the configuration, width, fc_dim, num_classes,
 * input_size).  Tensor data is written straight from the mapping; the
 * output is written atomically (nothing is left at out_path on failure).
 * A NaN or infinite value in a blob is NUMERIC naming the layer, the blob
 * and its key, and nothing is written (loading would refuse it). */
vgg_status vgg_caffe_write_safetensors(const vgg_caffe_model *m, const vgg_arch *arch,
                                       const char *out_path);

/* Open, infer (or check) the architecture and write: the whole of
 * `vggfeat convert`.  arch_out (may be NULL) receives the architecture. */
vgg_status vgg_caffe_convert(const char *in_path, const char *out_path,
                             const vgg_config_id *config, vgg_arch *arch_out);

/* Write a listing of a caffemodel's layers and blob shapes to out (the
 * caller's stream; this is `vggfeat info` on a .caffemodel), and the
 * architecture when one can be inferred.  Errors as vgg_caffe_open, or IO
 * when writing to out fails. */
vgg_status vgg_caffe_describe(const char *path, FILE *out);

/* True if path's name ends in ".caffemodel" (any case). */
bool vgg_caffe_is_caffemodel_name(const char *path);

#ifdef __cplusplus
}
#endif
#endif
