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

#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

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
    bool l2;                           /* true: the whole row L2-normalised at the end */
    bool l2_per_net;                   /* false; true: each net's part (all its scales)
                                          L2-normalised before stacking, then the final
                                          L2 when l2 is on */
    bool boxes;                        /* false; true: rows describe boxes (an image
                                          prepared without a box is its own box); recorded
                                          as the description's region "box" */
    bool with_image;                   /* false; true (implies boxes): the whole image's
                                          descriptor stacked after the box's, each part
                                          made and normalised as alone, then the final L2
                                          over both when l2 is on; dim doubles; region
                                          "box+image" */
    vgg_alpha_mode alpha;              /* VGG_ALPHA_DROP (Pillow's convert("RGB")); or
                                          WHITE: transparency composed on white; recorded
                                          as the description's alpha */
    size_t max_input_pixels;           /* the budget of an image's network input at each
                                          scale (vgg_image_check_input); 0: the default,
                                          VGG_IMAGE_MAX_INPUT_PIXELS; not recorded (it
                                          changes which images are refused, no row) */
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

/* How this extractor's images are to be decoded: the defaults, with its
 * option alpha. */
void vgg_extractor_decode_opts(const vgg_extractor *ex, vgg_decode_opts *o);

/* A w x h image (or box) within the budget at every scale: TOO_LARGE with
 * vgg_image_check_input's message (naming name, the pixels and memory,
 * the budget max_input_pixels, the flip's second view and the option
 * --max-input-pixels) otherwise. */
vgg_status vgg_extractor_check_size(const vgg_extractor *ex, const char *name, int w, int h);

/* ---- boxes ----
 *
 * A region of an image: columns x1 .. x2-1 and rows y1 .. y2-1 in pixels
 * of the image as shown (after its EXIF orientation), 0-based, x2 and y2
 * exclusive: the box of Pillow's Image.crop.  (A VOC devkit box xmin,
 * ymin, xmax, ymax, 1-based and inclusive, is xmin-1, ymin-1, xmax, ymax.) */
typedef struct vgg_box {
    int x1, y1, x2, y2;
} vgg_box;

/* "x1,y1,x2,y2": four integers, 0 <= x1 < x2, 0 <= y1 < y2; INVALID with a
 * message naming what is wrong ("box '3,4,3,9' is empty: x2 must be above
 * x1") otherwise. */
vgg_status vgg_box_parse(const char *text, vgg_box *out);
/* INVALID ("box 0,0,50,10 reaches past the 40x24 image (its size after
 * EXIF orientation)") unless b lies inside a w x h image. */
vgg_status vgg_box_check(const vgg_box *b, int w, int h);
/* A row's name: path, or "path#x1,y1,x2,y2" with a box (malloc'd; NULL
 * when out of memory). */
char *vgg_box_row_name(const char *path, const vgg_box *b);

/* An image resized to every scale: made by vgg_extractor_prepare, which
 * is reentrant (worker threads call it while the nets run).  With a box
 * (vgg_extractor_prepare_box; NULL: the whole image) the crop is resized
 * as a whole image would be (smallest side Q); with the option with_image
 * the whole image is prepared too.  INVALID when the box is not inside
 * img, TOO_LARGE when a resized size is over the budget
 * (vgg_extractor_check_size; the message says "image" or "box ...";
 * callers add the path). */
typedef struct vgg_prepared vgg_prepared;
vgg_status vgg_extractor_prepare(const vgg_extractor *ex, const vgg_image *img,
                                 vgg_prepared **out);
vgg_status vgg_extractor_prepare_box(const vgg_extractor *ex, const vgg_image *img,
                                     const vgg_box *box, vgg_prepared **out);
void vgg_prepared_free(vgg_prepared *p);

/* Batching by rule (batch 0, --batch auto): consecutive images of the
 * same resized size share a forward call while the call's input (images
 * times views times pixels) stays within VGG_FEAT_BATCH_PIXELS, at most
 * VGG_FEAT_BATCH_MAX images.  On the CPU (bench_extract --batch, VGG-16,
 * image and flip) two images at Q=256 ran 20% faster than one, while at
 * Q=384 more than one gained nothing and at Q=768 it raised the peak
 * memory of D+E from 2.7 to 3.7 GB: the budget lets Q=256 pair up and
 * keeps larger images alone; small images go up to the maximum.
 * It is not the default (batch 1): oneDNN may pick other kernels for
 * another batch, so a batched row can differ from the same image's row
 * alone in the last bits (about 5e-7 relative, test_net_bf16), and a
 * resumed or sharded run, which cuts the batches elsewhere, would then not
 * be byte-identical to an uninterrupted one. */
#define VGG_FEAT_BATCH_PIXELS ((size_t)4 * 256 * 384)
#define VGG_FEAT_BATCH_MAX 16

/* Run the nets on prepared images: out receives n * dim floats (row k for
 * p[k]).  Images of the same resized size are batched (up to batch at a
 * time, 1: none; 0: the rule above); a batched row may differ from the
 * same image's row alone in its last bits (above).  NUMERIC, and no rows,
 * when a net's part of a row is all zero before any normalisation (a net
 * that gives no response) or not finite, naming the net; and the nets'
 * NUMERIC errors (vgg_net_forward_pooled).  Not reentrant. */
vgg_status vgg_extractor_run(vgg_extractor *ex, vgg_prepared *const *p, int n, int batch,
                             float *out);

/* prepare + run for one image. */
vgg_status vgg_extractor_compute(vgg_extractor *ex, const vgg_image *img, float *out);

/* ---- the nets of an extraction ---- */

/* Nets named by a comma list (letters A-E, resolved in the models folder
 * as vgg11 vgg13 vgg16c vgg16 vgg19 .safetensors, or weight files) loaded
 * on one backend.  models NULL: $VGGFEAT_MODELS, else ./models, else
 * (no ./models) an installed vggfeat's <datadir>/vggfeat/models (vgg/paths.h).  INVALID
 * or NOT_FOUND with a message saying what to do when a net is unknown or
 * its weights file is missing. */
typedef struct vgg_extract_nets {
    vgg_backend *be;
    int n;
    vgg_net *nets[VGG_FEAT_MAX_NETS];
    const char *names[VGG_FEAT_MAX_NETS];   /* the list's entries */
    char *paths[VGG_FEAT_MAX_NETS];
    char *list;                             /* the names point into it */
} vgg_extract_nets;

vgg_status vgg_extract_nets_open(const char *net_list, const char *models, const char *device,
                                 int threads, vgg_extract_nets *out);
/* The same with explicit device options (vgg_backend_open_opts); dev
 * NULL: vgg_backend_open's (the defaults and the environment). */
vgg_status vgg_extract_nets_open_opts(const char *net_list, const char *models, const char *device,
                                      int threads, const vgg_device_opts *dev,
                                      vgg_extract_nets *out);
void vgg_extract_nets_close(vgg_extract_nets *n);

/* ---- the extraction job ---- */

/* One input: its path, label (NULL or "" for none) and position in the
 * full input list; optionally a box (the row then describes the box and
 * is named "path#x1,y1,x2,y2", vgg_box_row_name) and where the input was
 * given, for messages ("'list.txt', line 4"). */
typedef struct vgg_extract_item {
    const char *path;
    const char *label;
    uint64_t index;
    const vgg_box *box;     /* NULL: the whole image */
    const char *name;       /* the row's name (NULL: path; with a box, give
                               vgg_box_row_name's) */
    const char *where;      /* NULL, or prefixed to a box's errors */
} vgg_extract_item;

/* What the job reports while it runs (the program prints these). */
typedef enum vgg_extract_note_kind {
    VGG_EXTRACT_NOTE_INFO,     /* "'F': resuming after N rows", "cut off N bytes ..." */
    VGG_EXTRACT_NOTE_SKIP,     /* "skipping 'P': why" (--on-error skip) */
} vgg_extract_note_kind;

typedef struct vgg_extract_progress {
    size_t done;          /* this shard's inputs handled, resumed rows included */
    size_t total;         /* this shard's inputs */
    size_t done_run;      /* handled by this run */
    size_t left_run;      /* left for this run */
    double seconds;       /* since this run started */
} vgg_extract_progress;

typedef struct vgg_extract_job {
    const vgg_extract_item *items;   /* every input, in order */
    size_t n_items;
    int shard_k, shard_n;            /* items with index % n == k (0/1: all) */
    const char *output;              /* the store: created, or resumed */
    vgg_featlayout layout;           /* its slots (fit every item) */
    bool skip_errors;                /* on an unreadable image: skip it (else stop) */
    int loaders;                     /* threads decoding and resizing ahead (>= 1) */
    int batch;                       /* images per net run (>= 1; 0: the rule above) */
    const volatile sig_atomic_t *stop; /* may be NULL; non-zero: stop, rows so far kept
                                        * (SIGINT/SIGTERM recorded by vgg_signals_install
                                        * stop the job the same way, within 0.1 s) */
    void (*note)(void *ctx, vgg_extract_note_kind kind, const char *text);
    void (*progress)(void *ctx, const vgg_extract_progress *p);
    void *ctx;                       /* for note and progress */
} vgg_extract_job;

void vgg_extract_job_default(vgg_extract_job *job);

typedef struct vgg_extract_result {
    size_t total;          /* this shard's inputs */
    size_t existing;       /* rows the store held when resumed */
    size_t written;        /* rows appended by this run */
    size_t rows;           /* rows in the store now */
    double seconds;
    double cpu_seconds;    /* the process's processor time (user + system) over those
                            * seconds: cpu_seconds / seconds cores were busy on average */
    /* the two rates of the pipeline: the loaders' images decoded and
     * resized per second of their busy time, times the loaders (what they
     * can deliver together), and the images per second inside the nets;
     * the loaders keep up while the first is the larger.  0 where nothing
     * was decoded or run. */
    double decode_rate, net_rate;
    bool ran;              /* the store was opened and the inputs run (a summary applies) */
    bool interrupted;      /* *stop or a signal was seen */
    size_t n_skipped;
    char **skipped_paths;  /* and why, for the summary */
    char **skipped_whys;
    size_t n_warned;       /* images decoded despite decoder warnings (vgg_image's
                              warnings; their rows are written, as Pillow decodes them) */
    size_t n_warnings;     /* the warnings of those images together */
    char *warned_path;     /* the first such image, and its first warning */
    char *warned_why;
    const char *stopped_at;   /* the input an error stopped the job at (NULL if none) */
} vgg_extract_result;

/* INVALID when an item has a box and ex was not made with the option
 * boxes.  Resume check (the store's rows must be this shard's first inputs, with
 * their names and labels: MISMATCH otherwise), then decode ahead in
 * job->loaders threads, run ex on batches and append the rows in input
 * order.  An image that cannot be read, or whose row the nets cannot make
 * (NUMERIC: an all-zero or non-finite descriptor; a batch that has one
 * runs again one image at a time to find it), stops the job with its
 * error naming it (the store keeps every row so far and resumes from
 * there) or, with skip_errors, is noted, counted and left out.  res is
 * filled in both cases; free it with vgg_extract_result_free. */
vgg_status vgg_extract_job_run(vgg_extractor *ex, const vgg_extract_job *job,
                               vgg_extract_result *res);
void vgg_extract_result_free(vgg_extract_result *res);

/* ---- describing a weights file (vggfeat info) ---- */

/* Write what a safetensors weights file holds to fp: tensors, the
 * architecture and preprocessing the net loads with (on the CPU), its
 * digest, and the file's metadata.  Errors as vgg_st_open and
 * vgg_net_load (the metadata is still written when the net does not
 * load), IO when writing to fp fails. */
vgg_status vgg_weights_describe(const char *path, FILE *fp);

/* ---- raw-pixel baseline features (vggfeat pixels) ---- */

/* The row of one image: decoded with transparency as alpha says, resized
 * to exactly size x size (Pillow bilinear) whatever its shape, RGB in
 * [0, 1], CHW (3 * size * size floats), L2-normalised if l2.  The image's
 * status (IO, FORMAT, TOO_LARGE ...) on failure. */
vgg_status vgg_pixels_row(const char *path, int size, bool l2, vgg_alpha_mode alpha, float *row);
/* The description of such a store: no nets, one scale (size), layer
 * "pixels", no flip, alpha. */
void vgg_pixels_desc(int size, bool l2, vgg_alpha_mode alpha, vgg_featdesc *d);

#define VGG_PIXELS_N_WHY 5
/* Why images were skipped: "empty", "truncated", "not an image", "too
 * large", "unreadable" (anything else). */
extern const char *const vgg_pixels_why_names[VGG_PIXELS_N_WHY];
typedef struct vgg_pixels_report {
    size_t done, skipped;
    size_t why[VGG_PIXELS_N_WHY];   /* skipped images by reason */
} vgg_pixels_report;

/* The rows of items[0..n) appended to w at their index.  An image that
 * cannot be read stops the run with its status or, with skip, is counted
 * and skipped (skipped, if not NULL, told its message).  FORMAT "no image
 * could be read" when no row was written.  r is filled either way. */
vgg_status vgg_pixels_write(vgg_featwriter *w, const vgg_extract_item *items, size_t n, int size,
                            bool l2, vgg_alpha_mode alpha, bool skip, void (*skipped)(void *ctx, const char *why),
                            void *ctx, vgg_pixels_report *r);
/* The run's summary line to fp: "vggfeat pixels: L listed, N images
 * (D-D), S skipped (by reason), T s". */
void vgg_pixels_report_print(FILE *fp, size_t listed, int dim, const vgg_pixels_report *r,
                             double secs);

#ifdef __cplusplus
}
#endif
#endif
