/* pretrain/ (library vggpretrain): data sets (a folder per class, or a
 * list file with a class index), the augmenting multithreaded loader, the
 * learning rate schedule, ILSVRC-style evaluation and the Fashion-MNIST
 * importer; vggtrain's commands are written over it.  Names read
 * vgg_pretrain_*. */
#ifndef VGG_PRETRAIN_H
#define VGG_PRETRAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vgg/core.h"
#include "vgg/image.h"
#include "vgg/net.h"
#include "vgg/train.h"

/* ---- data sets ---- */

typedef struct vgg_pretrain_dataset {
    size_t n;            /* images */
    char **paths;
    int32_t *labels;     /* 0..n_classes-1 */
    int n_classes;
    char **classes;      /* class names, index order */
} vgg_pretrain_dataset;

/* A folder per class (ILSVRC layout: root/<class>/<image>); classes sorted
 * by name.  A class folder without images is VGG_STATUS_INVALID naming
 * it; a root without class folders is FORMAT. */
vgg_status vgg_pretrain_dataset_from_folders(const char *root, vgg_pretrain_dataset **out);

/* A list file of "path<TAB>class" lines, class being a name of the class
 * index file (one name per line; line i is class i) or a 0-based number.
 * Empty lines are skipped.  FORMAT naming the file and line otherwise. */
vgg_status vgg_pretrain_dataset_from_list(const char *list, const char *classes, vgg_pretrain_dataset **out);
void vgg_pretrain_dataset_free(vgg_pretrain_dataset *d);

/* ---- augmentation and loading ---- */

typedef struct vgg_pretrain_aug {
    int crop;            /* the net's input size */
    int smin, smax;      /* training scale S: fixed when equal, else jittered per image */
    bool flip;           /* random horizontal flip */
    float color_sigma;   /* RGB colour shift, 0.1 in the paper; 0: off */
    vgg_preproc pp;
} vgg_pretrain_aug;

/* One training sample: load, rescale the smaller side to S, random crop,
 * flip, colour shift, into out (3 * crop * crop floats).  All randomness
 * comes from *rng. */
vgg_status vgg_pretrain_prepare_sample(const char *path, const vgg_pretrain_aug *aug, uint64_t *rng, float *out);

typedef struct vgg_pretrain_loader vgg_pretrain_loader;

/* A stream of training batches, shuffled every epoch from seed: sample
 * k of epoch e is the image perm_e[k]; batches follow each other through
 * the epochs (a batch may straddle two).  Every sample's augmentation is
 * drawn from a generator seeded by (seed, epoch, k), so the stream does
 * not depend on the thread count.  An image that cannot be read is
 * replaced by another one drawn from the same generator, and counted.
 * threads decode ahead of the consumer (double buffered). */
vgg_status vgg_pretrain_loader_create(const vgg_pretrain_dataset *d, const vgg_pretrain_aug *aug, int batch, int threads,
                            uint64_t seed, int64_t epoch, size_t pos, vgg_pretrain_loader **out);
/* The loader of one rank of a data-parallel run: of every batch of
 * `batch` samples (positions, images and augmentation exactly those of
 * the whole batch in the stream above) it decodes only samples [first,
 * first + count), and returns those count samples. */
vgg_status vgg_pretrain_loader_create_slice(const vgg_pretrain_dataset *d,
                                            const vgg_pretrain_aug *aug, int batch, int first,
                                            int count, int threads, uint64_t seed,
                                            int64_t epoch, size_t pos,
                                            vgg_pretrain_loader **out);
void vgg_pretrain_loader_free(vgg_pretrain_loader *l);

typedef struct vgg_pretrain_batch {
    float *x;            /* (batch, 3, crop, crop), owned by the loader until the next call */
    int32_t *labels;
    int64_t epoch;       /* position after this batch */
    size_t pos;
    int n_bad;           /* images replaced in this batch */
    char bad_msg[4][512];/* the first few reasons */
} vgg_pretrain_batch;

/* The next batch (blocks until ready).  A status other than OK is a
 * failure the loader could not work around (e.g. 100 unreadable images in
 * a row). */
vgg_status vgg_pretrain_loader_next(vgg_pretrain_loader *l, vgg_pretrain_batch **out);

/* ---- schedule ---- */

typedef struct vgg_pretrain_schedule {
    float lr;
    int n_steps;
    int64_t steps[16];   /* fixed: lr /= 10 at each of these iterations */
    int patience;        /* plateau: validations without improvement before lr /= 10; 0: off */
    float min_delta;     /* an improvement is more than this (accuracy, 0..1) */
    int max_drops;       /* stop after this many plateau drops (3 in the paper); 0: never */
    int64_t warmup;      /* lr rises linearly over the first warmup iterations; 0: off */
    int64_t cosine_end;  /* > 0: after the warm-up, lr follows a half cosine down to 0 at
                            this iteration (on top of the steps and plateau drops) */
    /* state */
    double best;
    int bad;
    int drops;
} vgg_pretrain_schedule;

/* Learning rate in force at iteration it (0-based): lr, times 0.1 per step
 * passed, times (it + 1) / warmup during the warm-up, times
 * (1 + cos(pi (it - warmup) / (cosine_end - warmup))) / 2 after it. */
float vgg_pretrain_schedule_lr(const vgg_pretrain_schedule *s, int64_t it);
/* Report a validation accuracy; returns true when training should stop. */
bool vgg_pretrain_schedule_validate(vgg_pretrain_schedule *s, double acc);

/* ---- evaluation ---- */

typedef enum vgg_pretrain_method {
    VGG_PRETRAIN_CENTER = 1,      /* rescale to Q, centre crop of the input size */
    VGG_PRETRAIN_DENSE = 2,       /* whole image at Q, score map averaged, flip averaged */
    VGG_PRETRAIN_MULTICROP = 4,   /* grid x grid crops x 2 flips at Q */
    VGG_PRETRAIN_COMBINED = 8     /* dense and multi-crop posteriors averaged */
} vgg_pretrain_method;

/* Class posteriors of one image with one net at scale q by method (one of
 * CENTER, DENSE, MULTICROP), into prob[classes]. */
vgg_status vgg_pretrain_eval_image(vgg_net *net, const vgg_image *img, int q, vgg_pretrain_method m, int grid,
                         float *prob);

/* Rank of label among scores (0: the top one). */
int vgg_pretrain_rank(const float *scores, int n, int label);

/* ---- Tables 3-6: methods, scales, combinations and ensembles ---- */

#define VGG_PRETRAIN_N_METHODS 4   /* centre, dense, multi-crop, dense+multi-crop */
#define VGG_PRETRAIN_MAX_Q 8

typedef struct vgg_pretrain_errors {
    long long n, e1, e5;           /* images, top-1 errors, top-5 errors */
} vgg_pretrain_errors;

/* The error counts of n_nets nets and their ensemble at scales qs[0..nq)
 * and all scales together, by each method in methods (a mask of
 * vgg_pretrain_method; COMBINED implies DENSE and MULTICROP). */
typedef struct vgg_pretrain_table vgg_pretrain_table;

vgg_status vgg_pretrain_table_create(int n_nets, const int *qs, int nq, int methods, int grid,
                                     int classes, vgg_pretrain_table **out);
/* The same with a scale set per net (the paper's Table 6: each net of an
 * ensemble at its own scales): net k at qs[k][0..nq[k]).  Each net's
 * all-scales posterior is the mean over its own scales; the ensemble
 * averages those. */
vgg_status vgg_pretrain_table_create_per_net(int n_nets, const int *const *qs, const int *nq,
                                             int methods, int grid, int classes,
                                             vgg_pretrain_table **out);
void vgg_pretrain_table_free(vgg_pretrain_table *t);

/* One image of class label through every net, method and scale.  A net's
 * all-scales posterior is the mean over scales; COMBINED is the mean of
 * the dense and multi-crop posteriors; the ensemble is the mean of the
 * nets' all-scales posteriors (the paper's softmax averaging). */
vgg_status vgg_pretrain_table_add(vgg_pretrain_table *t, vgg_net *const *nets,
                                  const vgg_image *img, int label);

/* vggtrain eval's nets: weights[0..n_nets) loaded on be into nets[k]
 * (MISMATCH when a net's classes are not the data's), and each one's
 * scales into qs[k][0..nq[k]): scales[0] for all (n_scales 1), scales[k]
 * (n_scales == n_nets), or the net's input size (n_scales 0); INVALID for
 * a bad scale list.  On failure the nets loaded so far stay in nets for
 * the caller to free. */
vgg_status vgg_pretrain_eval_nets_load(const char *const *weights, int n_nets,
                                       const char *const *scales, int n_scales,
                                       const vgg_pretrain_dataset *ds, vgg_backend *be,
                                       vgg_net **nets, int (*qs)[VGG_PRETRAIN_MAX_Q], int *nq);

/* Told of progress: done of n images so far, and skipped, the message of
 * an image that could not be decoded (NULL on a progress call). */
typedef void (*vgg_pretrain_note)(void *ctx, size_t done, size_t n, const char *skipped);

/* vggtrain eval's pass: the first limit images of ds (0 or more than
 * ds->n: all) decoded and added (vgg_pretrain_table_add).  An image that
 * cannot be decoded is skipped and counted in *unreadable, and note told
 * of it; note also hears of progress every 1000 images (note may be
 * NULL).  *evaluated counts the images added.  Stops at the first failure
 * of a net. */
vgg_status vgg_pretrain_table_add_dataset(vgg_pretrain_table *t, vgg_net *const *nets,
                                          const vgg_pretrain_dataset *ds, size_t limit,
                                          vgg_pretrain_note note, void *ctx,
                                          long long *evaluated, long long *unreadable);

/* "center,dense,multi,combined" or "all" (also "centre", "multi-crop")
 * into a mask of vgg_pretrain_method, COMBINED bringing DENSE and
 * MULTICROP; INVALID naming an unknown method. */
vgg_status vgg_pretrain_parse_methods(const char *text, int *methods);

/* Counts for net k (n_nets: the ensemble), method index m (0..3: centre,
 * dense, multi-crop, combined) and scale index qi (the net's own number of
 * scales, or more: all its scales; the ensemble has only that one). */
const vgg_pretrain_errors *vgg_pretrain_table_errors(const vgg_pretrain_table *t, int k, int m,
                                                     int qi);

/* ---- a freshly initialised net (vggtrain init) ---- */

/* The number of non-empty lines of a class-index file (INVALID if none). */
vgg_status vgg_pretrain_count_classes(const char *path, int *n);
/* A net of arch on the CPU, initialised by scheme (std for the normal
 * scheme) from seed exactly as `vggtrain train` starts, saved to out
 * (replaced atomically).  INVALID for a bad architecture. */
vgg_status vgg_pretrain_init_save(const vgg_arch *arch, vgg_init_scheme scheme, float std,
                                  uint64_t seed, const char *out);

/* ---- Fashion-MNIST idx import ---- */

typedef struct vgg_pretrain_idx_opts {
    bool use_class[256];  /* which labels to keep (those present in the file) */
    size_t limit;         /* 0: all */
} vgg_pretrain_idx_opts;

/* Read idx3 images and idx1 labels (gzip or plain), write dir/images/NNNNN.png,
 * dir/list.txt ("path<TAB>class name") and dir/classes.txt (the kept
 * classes' names in label order).  *written receives the image count. */
vgg_status vgg_pretrain_import_idx(const char *images, const char *labels, const vgg_pretrain_idx_opts *o,
                         const char *dir, size_t *written);

/* ---- validation during training ---- */

typedef struct vgg_pretrain_val {
    double top1, top5, loss;   /* accuracies 0..1, mean loss */
    size_t n;                  /* images read */
} vgg_pretrain_val;

/* Centre crop at scale q of the first limit (0: all) images of val;
 * unreadable images are left out (FORMAT if none is readable).  A SIGINT
 * or SIGTERM recorded by vgg_signals_install() stops it between two
 * images (INTERRUPTED, *r unset). */
vgg_status vgg_pretrain_validate(vgg_net *net, const vgg_pretrain_dataset *val, int q, int limit,
                                 vgg_pretrain_val *r);

/* ---- checkpoint state ---- */

/* Where a run stands, saved with the trainer's checkpoint as "pt.*"
 * metadata: the run's identity (seed, batch, images: a resumed run must
 * match them) and its position, schedule and bad-image count; and what the
 * checkpoint's iteration still owes: its validation (interrupted by a
 * signal) and a metrics log line the run could not write (a full disk),
 * both done first by a resumed run.  A checkpoint without these two keys
 * owes nothing. */
typedef struct vgg_pretrain_state {
    uint64_t seed;
    int batch;
    size_t images;
    int64_t epoch;
    size_t pos;
    long long bad_images;
    bool validate;              /* the validation at this iteration is still to do */
    char log_line[512];         /* a log line still to write, with its newline ("": none) */
} vgg_pretrain_state;

/* What a checkpoint records of the run that wrote it ("run.*" metadata),
 * each setting by the option that gives it and its value as text: the data
 * (the class names in order and the images with their labels in order, as
 * SHA-256 digests; the validation set and its --val-every, --val-limit),
 * the net (--config, --width, --fc-dim, --input-size, --batch-norm, the
 * preprocessing), the optimiser (--micro-batch/--accum, --momentum,
 * --weight-decay, --dropout), the augmentation (--scale/--scale-jitter,
 * --no-flip, --color-shift), and the schedule (--lr, --lr-steps,
 * --warmup, --lr-cosine with the iteration its cosine ends at,
 * --patience, --min-delta, --max-drops: schedule true).  A run resumed
 * with any of them changed is another run: vgg_pretrain_state_load refuses
 * it (the schedule's may change when asked).  Free to change: the length
 * (the run goes on to its new end; with --lr-cosine it moves the cosine's
 * end, a change of the schedule), the device and its arithmetic,
 * --threads, --loaders, the ranks and --slices, the checkpoint's period,
 * the progress lines and the log. */
#define VGG_PRETRAIN_MAX_SETTINGS 32
typedef struct vgg_pretrain_setting {
    const char *key;       /* "run.lr", the checkpoint's metadata key */
    const char *option;    /* "--lr", for messages */
    char value[192];
    bool schedule;         /* part of the schedule or the length */
} vgg_pretrain_setting;
typedef struct vgg_pretrain_settings {
    int n;
    vgg_pretrain_setting s[VGG_PRETRAIN_MAX_SETTINGS];
} vgg_pretrain_settings;

typedef struct vgg_pretrain_config vgg_pretrain_config;   /* below */

/* The settings of the run a (every default filled in) on data and val
 * (NULL: none), with the net's preprocessing pp, the schedule (its steps
 * as parsed, its cosine's end) and validation period (pretrain/src/
 * settings.c). */
void vgg_pretrain_settings_make(const vgg_pretrain_config *a, const vgg_pretrain_dataset *data,
                                const vgg_pretrain_dataset *val, const vgg_preproc *pp,
                                const vgg_pretrain_schedule *sched, long long val_every,
                                vgg_pretrain_settings *out);

/* Save the state, the schedule's state and the run's settings with the
 * trainer's checkpoint. */
vgg_status vgg_pretrain_state_save(vgg_trainer *tr, const char *ckpt, const vgg_pretrain_state *s,
                                   const vgg_pretrain_schedule *sched,
                                   const vgg_pretrain_settings *run);
/* Load the checkpoint into tr; s's seed, batch and images and every one
 * of run's settings must match the saved ones (MISMATCH naming the first
 * that differs, by its option, with both values; with new_schedule the
 * schedule's may differ); the rest of s and sched's state
 * are set from it. */
vgg_status vgg_pretrain_state_load(vgg_trainer *tr, const char *ckpt, vgg_pretrain_state *s,
                                   vgg_pretrain_schedule *sched,
                                   const vgg_pretrain_settings *run, bool new_schedule);

/* Keep the lines of a JSON-lines log up to iteration upto (a resumed run
 * repeats what came after its checkpoint); a last line cut short (no
 * newline: a write that failed or was killed) goes too.  A missing file
 * is OK. */
vgg_status vgg_pretrain_log_truncate(const char *path, long long upto);

/* ---- the ranks of a data-parallel run (pretrain/src/dist.c) ---- */

/* Under an MPI launcher (mpirun, srun: its environment says so) in a build
 * with MPI, the processes of the job, MPI's world; otherwise one process
 * alone.  Each rank computes a contiguous slice of every global batch;
 * the gradients are summed in one collective per step. */
typedef struct vgg_pretrain_dist vgg_pretrain_dist;

/* Join the job (MPI_Init).  UNSUPPORTED when a launcher started several
 * ranks but this build has no MPI; DEVICE with MPI's message. */
vgg_status vgg_pretrain_dist_open(vgg_pretrain_dist **out);
int vgg_pretrain_dist_rank(const vgg_pretrain_dist *d);
int vgg_pretrain_dist_size(const vgg_pretrain_dist *d);
/* End every rank of the job now (MPI_Abort), for a rank that failed: the
 * others may be waiting for it in a collective.  Returns only with one
 * rank. */
void vgg_pretrain_dist_abort(vgg_pretrain_dist *d, int code);
/* Leave the job (MPI_Finalize); d may be NULL. */
void vgg_pretrain_dist_close(vgg_pretrain_dist *d);

/* ---- a training run (vggtrain train) ---- */

typedef enum vgg_pretrain_say {
    VGG_PRETRAIN_SAY_NOTE,       /* "resumed from ...", "N layers copied from ..." */
    VGG_PRETRAIN_SAY_PROGRESS,   /* "iter ...", "validation at iter ..." */
} vgg_pretrain_say;

typedef struct vgg_pretrain_config {
    const char *data, *list, *classes;            /* a folder per class, or a list + index */
    const char *val_data, *val_list, *val_classes;
    vgg_arch arch;
    const char *init, *init_from;
    const char *weights;          /* start from every weight of this net */
    bool arch_given[4];           /* config, width, fc dim, input size given */
    float init_std;
    int batch, accum, micro;
    float lr, momentum, wd, dropout;
    const char *lr_steps;
    long long warmup;             /* linear warm-up iterations (0: none) */
    bool cosine;                  /* half-cosine decay to 0 over the run after the warm-up */
    int patience, max_drops;
    float min_delta;
    double epochs;
    long long iterations;         /* > 0: instead of epochs */
    int smin, smax;               /* training scale (jitter range) */
    bool no_flip;
    float color;
    uint64_t seed;
    int threads, loaders;
    const char *device;
    /* device options (vgg_device_opts_command): precision "fp32"/"tf32" and
     * workspace MiB, NULL: the environment's or the default; deterministic:
     * only reproducible GPU algorithms */
    const char *precision, *workspace;
    bool deterministic;
    const char *output, *checkpoint, *log;
    long long ckpt_every, val_every, print_every;
    bool resume;
    bool new_schedule;            /* with resume: the schedule and length of this command line */
    int val_limit;
    int scale;                    /* --scale as given (0: none), checked against the jitter */
    /* data parallelism: the ranks (NULL: one process), --slices (the
     * global batch computed as this many contiguous slices, each one's
     * gradient alone, summed slice 0 first: one process doing what as
     * many ranks do), --devices (several devices of this node, one
     * thread each: "cuda:0,1,2,3"; NCCL between GPUs) */
    vgg_pretrain_dist *dist;
    int slices;
    const char *devices;
    void (*say)(void *ctx, vgg_pretrain_say kind, const char *text);
    void *ctx;
} vgg_pretrain_config;

/* vggtrain train's defaults, the paper's schedule (section 3.1):
 * configuration A, batch 256, lr 0.01, momentum 0.9, weight decay 5e-4,
 * dropout 0.5, lr / 10 after one validation (once per epoch) without
 * improvement, at most three such drops (the next plateau stops), at most
 * 74 epochs. */
void vgg_pretrain_config_default(vgg_pretrain_config *c);

/* vggtrain train's options by long name, ended by a NULL name. */
typedef struct vgg_pretrain_option {
    const char *name;
    bool takes_value;
} vgg_pretrain_option;
extern const vgg_pretrain_option vgg_pretrain_options[];

/* Set option name (a vgg_pretrain_options name; value NULL for a flag)
 * in c.  INVALID with "bad value 'V' for --NAME" (or the device options'
 * own message) on a bad value, NOT_FOUND for an unknown name. */
vgg_status vgg_pretrain_config_set(vgg_pretrain_config *c, const char *name, const char *value);
/* The checks across options, once they are all set (the defaults that
 * follow from others filled in): INVALID saying what to give. */
vgg_status vgg_pretrain_config_check(vgg_pretrain_config *c);

/* Load the sets, build or load the net, initialise it, resume from the
 * checkpoint when asked, train with the schedule, validate, checkpoint,
 * log JSON lines and save the weights to c->output. */
vgg_status vgg_pretrain_run(vgg_pretrain_config *c);

#endif
