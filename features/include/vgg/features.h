/* vggfeat feature store (module features/, library vggfeatures): one
 * float32 row per image with its name (and an optional label), plus a
 * description of what made the rows; the sorted name index, the label
 * numbering, subsets and merges.  This header is the only way other modules
 * (extractor/, classifier/, datasets/) read or write features.  The file
 * format (readable by numpy alone) is described in docs/feature-store.md.
 */
#ifndef VGG_FEATURES_H
#define VGG_FEATURES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

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
    char layer[16];                              /* "fc7" | "fc6" | "pool5"; "pixels" (vggfeat pixels: no nets) */
    bool flip;
    bool l2;                                     /* the final L2 over the whole row */
    bool l2_per_net;                             /* each net's part L2-normalised before stacking */
    char region[16];                             /* what a row describes: "" whole images; "box"
                                                    (a box of the image, vggfeat extract's list
                                                    boxes); "box+image" (the box's descriptor,
                                                    then its whole image's) */
    bool alpha_white;                            /* transparency composed on white (vggfeat
                                                    --alpha white); false: dropped, Pillow's
                                                    convert("RGB") (the default).  Stored as
                                                    "alpha": "white" | "drop"; a store written
                                                    before the key existed was made on white
                                                    and reads as true */
    char precision[8];                           /* the arithmetic of the nets (vggfeat extract
                                                    --precision): "fp32", "tf32", "bf16" or
                                                    "int8"; "" where not recorded: a store
                                                    from before the key (fp32, tf32 or bf16,
                                                    never int8) or of raw pixels */
    char version[32];                            /* program version that wrote it */
    /* The input list the rows come from, which vggfeat extract records so
     * that vggfeat merge can tell the shards of one list from those of
     * another, and see a shard missing (docs/feature-store.md, "Shards").
     * Not a setting: vgg_featdesc_equal ignores it.  shard_n == 0: not
     * recorded (stores made before it was, by vggfeat pixels, subsets). */
    char list_digest[65];                        /* SHA-256 (hex) of the whole list: each
                                                    input's row name, a NUL, its label, a NUL */
    uint64_t list_inputs;                        /* the inputs of the whole list */
    int shard_n;                                 /* the list dealt into N shards (input i to
                                                    shard i % N); 1: not sharded */
    char shards[96];                             /* which of the N these rows are: "1", or
                                                    after a partial merge "0-1,3"; "" when
                                                    shard_n <= 1 */
} vgg_featdesc;

/* Compare the settings that make features comparable (dim, net digests,
 * scales, aggregation, layer, flip, normalisation, region, transparency;
 * not names, version or the input list).
 * Returns true if equal; otherwise false and a sentence naming the first
 * setting that differs ("scales differ: 256,384 vs 256") in why. */
bool vgg_featdesc_equal(const vgg_featdesc *a, const vgg_featdesc *b, char *why, size_t n);

/* d without its input list (shard_n 0): for what is made of a store's
 * rows but is no shard of its list (a subset, a model). */
void vgg_featdesc_forget_list(vgg_featdesc *d);

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

/* Bytes after the last complete row (an interrupted or failed write), which
 * the reader ignores; 0 when the file ends on a row. */
size_t vgg_featstore_partial_bytes(const vgg_featstore *fs);
/* When the store at path ends in such a partial row: true, and buf
 * receives the sentence every reader of stores prints ("'F': read N rows;
 * a partial last row (B of R bytes, ...) was ignored"); false otherwise
 * (also when the file cannot be read: its opener reports that).  Reads
 * the header only. */
bool vgg_featstore_tail_note(const char *path, char *buf, size_t n);

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
 * (never overwritten).  existing_rows may be NULL.  A store is appended
 * to and resumed, so path must be a regular file or new: a device, FIFO,
 * socket, directory or "-" is INVALID before anything (the lock file
 * included) is made (vgg_output_check_kind). */
vgg_status vgg_featwriter_open(const char *path, const vgg_featdesc *d, bool resume,
                               vgg_featwriter **out, size_t *existing_rows);

/* Append one row (d->dim floats).  label may be NULL or "".  The row is
 * complete on disk (flushed) when this returns OK. */
vgg_status vgg_featwriter_append(vgg_featwriter *w, const char *name, const char *label,
                                 const float *row);

/* Flush, fsync and close.  Safe on NULL. */
vgg_status vgg_featwriter_close(vgg_featwriter *w);

/* ---- row indices, layouts, repair (see docs/feature-store.md) ---- */

/* Fixed byte sizes of the name and label slots of every row (multiples of
 * 8; names and labels are stored NUL-padded, and one longer than its slot
 * cannot be appended).  vgg_featwriter_open uses 256 and 64. */
typedef struct vgg_featlayout {
    int name_bytes;
    int label_bytes;
} vgg_featlayout;

#define VGG_FEAT_NAME_BYTES_DEFAULT 256
#define VGG_FEAT_LABEL_BYTES_DEFAULT 64

/* vgg_featwriter_open with an explicit layout for a new store (NULL: the
 * defaults).  When resuming, the existing store's layout is kept. */
vgg_status vgg_featwriter_open_layout(const char *path, const vgg_featdesc *d,
                                      const vgg_featlayout *layout, bool resume,
                                      vgg_featwriter **out, size_t *existing_rows);

/* Append a row with an explicit input index (the row's position in the
 * full input list; shards and skipped images leave gaps; merge sorts by
 * it).  vgg_featwriter_append uses "one more than the last row's index"
 * (0 for the first row).  Indices must increase: INVALID otherwise. */
vgg_status vgg_featwriter_append_at(vgg_featwriter *w, uint64_t index, const char *name,
                                    const char *label, const float *row);

/* Rows in the store now (existing plus appended). */
size_t vgg_featwriter_rows(const vgg_featwriter *w);

/* Bytes cut off a damaged or incomplete tail when a store was resumed
 * (0 if none). */
size_t vgg_featwriter_cut_bytes(const vgg_featwriter *w);

/* The row's input index. */
uint64_t vgg_featstore_index(const vgg_featstore *fs, size_t row);

/* The store's layout. */
void vgg_featstore_layout(const vgg_featstore *fs, vgg_featlayout *out);

/* Write what the store at path holds to fp (`vggfeat info`): the writer,
 * nets, layer, scales, aggregation, flip, L2, dimension, rows, labels,
 * indices and slots.  IO when writing to fp fails. */
vgg_status vgg_featstore_describe(const vgg_featstore *fs, const char *path, FILE *fp);

/* ---- exports (vggfeat export) ---- */

typedef enum vgg_feat_export_format {
    VGG_FEAT_EXPORT_NPY,        /* float32 (rows, dim), for numpy.load */
    VGG_FEAT_EXPORT_LIBLINEAR,  /* "label 1:v1 2:v2 ..." (zeros left out) */
    VGG_FEAT_EXPORT_CSV,        /* name,label,x1,...,xD with a header line */
} vgg_feat_export_format;

/* "npy", "liblinear" or "csv"; INVALID naming anything else. */
vgg_status vgg_feat_export_format_parse(const char *text, vgg_feat_export_format *out);
/* The rows of fs (read from store_path) in format f to out, a row at a
 * time: a regular file replaced atomically, or a stream written in place
 * ("-", /dev/stdout, a character device, a FIFO: vgg_atomic_open_stream).
 * LIBLINEAR's labels are vgg_featlabels' numbers; when they are not the
 * labels themselves, the numbering goes to out.labels ("number<TAB>name"
 * lines, a regular file; INVALID, before anything is written, when out is
 * a stream) and *n_names is its line count (0 otherwise). */
vgg_status vgg_featstore_export(const vgg_featstore *fs, const char *store_path,
                                vgg_feat_export_format f, const char *out, size_t *n_names);

/* True if the file starts with the feature store's magic bytes. */
bool vgg_featstore_sniff_file(const char *path);

/* CRC-32 (zlib's polynomial; Python's zlib.crc32), as used for each row. */
uint32_t vgg_feat_crc32(uint32_t crc, const void *data, size_t n);

/* ---- the name index ---- */

/* Names (borrowed) sorted bytewise, each with its position; lookups find the
 * first position of a name.  Build it over any array of names or over a
 * store's rows. */
typedef struct vgg_featindex vgg_featindex;

vgg_status vgg_featindex_build(const char *const *names, size_t n, vgg_featindex **out);
/* Over the rows of fs (names borrowed from fs: keep it open). */
vgg_status vgg_featindex_of_store(const vgg_featstore *fs, vgg_featindex **out);
void vgg_featindex_free(vgg_featindex *ix);
/* The first position of name, or VGG_FEAT_NO_ROW. */
#define VGG_FEAT_NO_ROW ((size_t)-1)
size_t vgg_featindex_find(const vgg_featindex *ix, const char *name);
/* A name given more than once (the one sorted first), or NULL. */
const char *vgg_featindex_duplicate(const vgg_featindex *ix);

/* ---- label numbering ---- */

/* Class names are numbered in bytewise (strcmp) order: this sorts n names
 * into that order.  vggsvm's model files number class k (0-based here) as
 * k + 1, and vggfeat export's LIBLINEAR text uses the same numbers. */
void vgg_feat_classes_sort(char **names, size_t n);

/* The numbering of a store's single labels for LIBLINEAR text: when every
 * label is an integer they are kept; otherwise the distinct labels are
 * sorted (vgg_feat_classes_sort) and numbered from 1.  Spaces around a
 * label are not part of it ("cat " in a store written before lists
 * dropped them is the class cat, as vggsvm reads it).  A store without any
 * label numbers every row 0; one with some rows unlabelled is INVALID. */
typedef struct vgg_featlabels {
    char **names;       /* the distinct labels in number order (n == 0 when numeric or none) */
    size_t n;
    bool numeric;
    bool none;
} vgg_featlabels;

vgg_status vgg_featlabels_build(const vgg_featstore *fs, vgg_featlabels *out);
long vgg_featlabels_number(const vgg_featlabels *m, const char *label);
void vgg_featlabels_free(vgg_featlabels *m);

/* ---- derived stores: written next to their path, renamed into place ---- */

/* A new store at path that appears complete or not at all: rows go to
 * "<path>.tmp.<pid>", vgg_featnew_commit closes it and renames it over
 * path, vgg_featnew_abort removes it (both safe on NULL).  layout NULL:
 * the defaults.  path must be a regular file or new (a device, FIFO or
 * "-" is INVALID: vgg_output_check_kind); messages (a full disk) name
 * path, not the temporary. */
typedef struct vgg_featnew vgg_featnew;

vgg_status vgg_featnew_open(const char *path, const vgg_featdesc *d, const vgg_featlayout *layout,
                            vgg_featnew **out);
vgg_featwriter *vgg_featnew_writer(vgg_featnew *n);
vgg_status vgg_featnew_commit(vgg_featnew *n);
void vgg_featnew_abort(vgg_featnew *n);

/* The rows of the store in_path named by names[0..n) (in that order) as a
 * new store out_path; labels[i] (may be NULL or "") replaces row i's label.
 * Every name must be in the store before anything is written (NOT_FOUND
 * naming up to two missing ones; list_path names the list in messages).
 * A name given several times in the store takes its first row.  The new
 * store records no input list (its rows are no shard of the old one's). */
vgg_status vgg_featstore_subset(const char *in_path, const char *const *names,
                                const char *const *labels, size_t n, const char *list_path,
                                const char *out_path);

/* Stores made with equal descriptions into a new store out_path (never
 * overwritten: INVALID when it exists), rows sorted by input index; an
 * index in two inputs is INVALID.  *rows_out (may be NULL): rows written.
 * The inputs' lists (vgg_featdesc's list_digest and shards) must agree:
 * shards of different lists are MISMATCH; a shard in two inputs, a shard
 * of the list that no input holds, or inputs of which only some record
 * their list are INVALID, naming the stores and shards, unless partial
 * (vgg_featstore_merge_partial).  The merged store records the list: the
 * whole of it when every shard is there (then it equals the store an
 * unsharded extraction writes), else the shards it holds. */
vgg_status vgg_featstore_merge(const char *const *paths, int n, const char *out_path,
                               size_t *rows_out);

/* What a merge left out. */
typedef struct vgg_featmerge_report {
    size_t rows;                 /* rows written */
    int shard_n;                 /* the list's N (0: not recorded) */
    char missing[96];            /* the shards no input held ("2", "2-4,7"); "" if none */
    uint64_t missing_inputs;     /* the inputs of the list in them */
    bool unrecorded;             /* some inputs recorded no list: none could be checked */
} vgg_featmerge_report;

/* vgg_featstore_merge; with partial, missing shards and inputs without a
 * record of their list are allowed (said in *rep, which may be NULL: a
 * caller says what is missing), the merged store recording the shards it
 * holds (or no list, when some input recorded none).  Shards of different
 * lists, and a shard given twice, stay refused. */
vgg_status vgg_featstore_merge_partial(const char *const *paths, int n, const char *out_path,
                                       bool partial, vgg_featmerge_report *rep);

#ifdef __cplusplus
}
#endif
#endif
