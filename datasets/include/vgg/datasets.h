/* vggfeat datasets: reading the official layouts of the paper's datasets
 * (Caltech-101, Caltech-256, PASCAL VOC 2007/2012, ILSVRC-2012) into the
 * list files the programs take:
 *
 *   list file    one image per line: path<TAB>class          (vggfeat extract --list,
 *                                                              vggtrain train --list)
 *   labels file  path<TAB>label[,label...]; a label ending in '?' marks a class
 *                present in the image only as "difficult" objects (vggsvm --labels)
 *   class index  one class name per line; line i (0-based) is class i
 *
 * Paths in the files are the dataset directory as given, joined with the
 * path inside the dataset ("DIR/101_ObjectCategories/ant/image_0001.jpg").
 * A path holding a tab or a newline cannot be written and is an error.
 */
#ifndef VGG_DATASETS_H
#define VGG_DATASETS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vgg/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- a folder per class ---- */

/* Class folders under one root: classes sorted by name (byte order), and
 * per class its image files sorted by name.  Image files are the regular
 * files directly inside a class folder whose extension is .jpg, .jpeg,
 * .png or .bmp (any case); hidden entries and sub-folders are ignored. */
typedef struct vgg_ds_folders {
    size_t n_classes;
    char **classes;     /* folder names */
    size_t *n_images;   /* per class */
    char ***images;     /* per class: "root/class/file" */
} vgg_ds_folders;

/* Scan root.  NOT_FOUND if root is missing, FORMAT if it has no class
 * folder, INVALID naming the folder when a class folder has no image. */
vgg_status vgg_ds_scan_folders(const char *root, vgg_ds_folders **out);
void vgg_ds_folders_free(vgg_ds_folders *f);

/* Is name an image file name by its extension (see above)? */
bool vgg_ds_is_image_name(const char *name);

/* The image files directly inside dir, sorted ("dir/name"); *n may be 0. */
vgg_status vgg_ds_list_images(const char *dir, char ***out, size_t *n);
void vgg_ds_strings_free(char **s, size_t n);

/* ---- Caltech-101 / Caltech-256 ---- */

typedef enum vgg_caltech_kind {
    VGG_CALTECH_UNKNOWN = 0, /* a folder of class folders of another name */
    VGG_CALTECH_101 = 101,
    VGG_CALTECH_256 = 256
} vgg_caltech_kind;

/* Find the category folder: dir itself, or dir/101_ObjectCategories or
 * dir/256_ObjectCategories when present.  *root is malloc'd.  The kind is
 * told by the folder's name, else by its classes (BACKGROUND_Google:
 * 101; "NNN.name" folders: 256). */
vgg_status vgg_caltech_find_root(const char *dir, char **root, vgg_caltech_kind *kind);

/* One split: (class, image) pairs of the folders, sorted by class then
 * by image. */
typedef struct vgg_ds_item {
    size_t cls;
    size_t img;
} vgg_ds_item;

/* A seeded random split, the same on every machine: for split k, each
 * class's images (sorted) are shuffled by a generator seeded from (seed,
 * k); the first n_train go to training, the next n_test to testing
 * (n_test 0: all the rest).  A class with fewer than n_train + 1 images
 * is INVALID naming it.  *train and *test are malloc'd. */
vgg_status vgg_ds_split(const vgg_ds_folders *f, int n_train, int n_test, uint64_t seed, int k,
                        vgg_ds_item **train, size_t *n_train_out,
                        vgg_ds_item **test, size_t *n_test_out);

/* The rule of every list vggdata writes (docs/escaping.md, "Lists"):
 * paths and labels are written as they are, so an image path holding a
 * TAB, LF or CR or starting with '#', or a class name holding TAB, LF, CR,
 * ',' or '?', is refused: FORMAT "'<where>': the image path '<escaped>'
 * holds ...; rename it".  vgg_ds_check_names checks every class and image
 * of f before anything is written (where: the folder scanned); the writers
 * below check what they write (where: the list). */
vgg_status vgg_ds_check_names(const vgg_ds_folders *f, const char *where);

/* Write items as a list file ("path<TAB>class"), atomically. */
vgg_status vgg_ds_write_list(const char *path, const vgg_ds_folders *f,
                             const vgg_ds_item *items, size_t n);

/* Write a class index (one name per line), atomically. */
vgg_status vgg_ds_write_classes(const char *path, char *const *names, size_t n);

/* Drop from f the classes of a comma list of names: NOT_FOUND "no class
 * 'NAME'" for a name f does not hold, INVALID when none would be left. */
vgg_status vgg_ds_exclude(vgg_ds_folders *f, const char *names);

/* mkdir -p: path and the folders above it (IO naming the one that
 * cannot be made, INVALID for a path over 4095 bytes). */
vgg_status vgg_ds_make_dirs(const char *path);

/* Told of split k written, with its sizes. */
typedef void (*vgg_ds_split_note)(void *ctx, int k, size_t n_train, size_t n_test);

/* vggdata caltech's output: outdir (made if missing) gets classes.txt and
 * split<k>/{train,test}.list for k = 1..splits (vgg_ds_split with seed),
 * note (may be NULL) told after each split.  Stops at the first error. */
vgg_status vgg_ds_write_splits(const vgg_ds_folders *f, const char *outdir, int n_train,
                               int n_test, int splits, uint64_t seed, vgg_ds_split_note note,
                               void *ctx);

/* Write a feature store at out_path holding, in the list's order, the row
 * of in_path named by each line of list_path (read by vgg_list_read, the
 * one list rule), labelled with the line's label (else the row's own).  Same description as the input.  Written
 * under a temporary name and renamed into place; an existing out_path is
 * replaced.  NOT_FOUND naming the first few list paths the store lacks
 * (nothing is written then).  rows_out may be NULL.  Uses vggfeatures
 * (vgg_featstore_subset). */
vgg_status vgg_ds_subset_store(const char *in_path, const char *list_path, const char *out_path,
                               size_t *rows_out);

/* ---- PASCAL VOC ---- */

/* One object class present in an image; difficult when every object of
 * that class in the image is marked <difficult>1</difficult>. */
typedef struct vgg_voc_label {
    char *name;
    bool difficult;
} vgg_voc_label;

typedef struct vgg_voc_image {
    char *id;             /* "000005" */
    char *path;           /* "VOCDIR/JPEGImages/000005.jpg" */
    size_t n_labels;
    vgg_voc_label *labels; /* sorted by name, each class once */
} vgg_voc_image;

typedef struct vgg_voc_set {
    size_t n_images;
    vgg_voc_image *images; /* in the order of the image set file */
    size_t n_classes;
    char **classes;        /* every class seen, sorted */
} vgg_voc_set;

/* Parse one annotation file: the <name> and <difficult> of each <object>
 * (direct children only: the <name> of a <part> is not a class).  A
 * missing <difficult> is 0.  FORMAT naming the file if it is not
 * well-formed XML or an object has no name. */
vgg_status vgg_voc_read_annotation(const char *xml_path, vgg_voc_image *img);
void vgg_voc_image_clear(vgg_voc_image *img);

/* Read voc_dir/ImageSets/Main/<set>.txt and each listed image's
 * voc_dir/Annotations/<id>.xml.  NOT_FOUND naming the missing file. */
vgg_status vgg_voc_load(const char *voc_dir, const char *set, vgg_voc_set **out);
void vgg_voc_set_free(vgg_voc_set *s);

/* Write "path<TAB>label[,label...]" lines (difficult labels end in '?'),
 * atomically. */
vgg_status vgg_voc_write_labels(const vgg_voc_set *s, const char *path);

/* ---- VOC-2012 action classification ---- */

/* The ten actions, sorted (the devkit's eleventh, "other", is a person
 * doing none of them: a negative of every action). */
#define VGG_VOC_N_ACTIONS 10
extern const char *const vgg_voc_actions[VGG_VOC_N_ACTIONS];

/* One person of an action image set. */
typedef struct vgg_voc_person {
    char *id;          /* the image id, "2010_000001" */
    char *path;        /* "VOCDIR/JPEGImages/<id>.jpg" */
    int object;        /* 1-based index of its <object> in the annotation (the devkit's
                          object number) */
    int box[4];        /* xmin, ymin, xmax, ymax as annotated: 1-based, inclusive, clipped
                          to the annotation's <size> where it gives one */
    bool actions[VGG_VOC_N_ACTIONS];
    bool ignored[VGG_VOC_N_ACTIONS];   /* 0 in <action>_<set>.txt: the devkit's evaluation
                                          leaves the person out of that action */
} vgg_voc_person;

typedef struct vgg_voc_persons {
    size_t n;
    vgg_voc_person *v;   /* in the image set's order, then the annotation's */
} vgg_voc_persons;

/* Read voc_dir/ImageSets/Action/<set>.txt (the first word of each line is
 * an image id) and each image's Annotations/<id>.xml: every <object> with
 * an <actions> element is a person (its <bndbox> and each action's 0 or 1;
 * a missing action is 0).  Then each ImageSets/Action/<action>_<set>.txt
 * that exists, "id object gt" per person: gt 0 marks the person ignored
 * for that action, 1 and -1 must agree with the annotation.  NOT_FOUND
 * naming the missing file; FORMAT naming the file and object (or line)
 * for a box or flag that does not read, a disagreement, a line naming no
 * person of the set, or an image with no person. */
vgg_status vgg_voc_load_actions(const char *voc_dir, const char *set, vgg_voc_persons **out);
void vgg_voc_persons_free(vgg_voc_persons *p);

/* Write vggfeat extract's box list, atomically: one line per person,
 * "path<TAB>action[,action...]<TAB>box=x1,y1,x2,y2" (an ignored action
 * written "action?", which vggsvm leaves out of that action) with the box in
 * vggfeat's convention (0-based, x2 and y2 exclusive: xmin-1, ymin-1,
 * xmax, ymax) and an empty label for a person doing none of the ten. */
vgg_status vgg_voc_write_actions(const vgg_voc_persons *p, const char *path);

/* Release the XML parser's global memory; call once before the program
 * exits, after the last VOC call (optional; for leak checkers). */
void vgg_voc_cleanup(void);

/* ---- ILSVRC-2012 ---- */

/* Where the validation labels come from (one of):
 *   gt_path + synsets_path: the devkit's ILSVRC2012_validation_ground_truth.txt
 *       (one 1-based ILSVRC2012_ID per line, line i for ILSVRC2012_val_<i>.JPEG)
 *       and a synset mapping text file (see vgg_ilsvrc_read_synsets);
 *   val_csv_path: LOC_val_solution.csv ("ImageId,PredictionString", the
 *       first word of the prediction string being the wnid);
 *   none of them: val/ is already sorted into val/<wnid>/ folders. */
typedef struct vgg_ilsvrc_opts {
    const char *gt_path;
    const char *synsets_path;
    const char *val_csv_path;
} vgg_ilsvrc_opts;

typedef struct vgg_ilsvrc {
    vgg_ds_folders *train;  /* DIR/train/<wnid>/ images; the class order is train->classes */
    size_t n_val;
    char **val_paths;       /* sorted */
    size_t *val_class;      /* index into train->classes */
} vgg_ilsvrc;

/* Read a synset mapping: lines "wnid<TAB or space or comma>ID" or
 * "ID<sep>wnid" give the ILSVRC2012_ID of each wnid explicitly (a header
 * line such as "wordnet_id,ilsvrc2012_id" is skipped); lines holding a
 * wnid and no integer ("n01440764 tench, Tinca tinca") give IDs by line
 * order, the first line being ID 1.  *wnid_of_id has n_ids + 1 entries,
 * index 0 unused, NULL for an ID not given.  *line_order tells which form
 * the file had. */
vgg_status vgg_ilsvrc_read_synsets(const char *path, char ***wnid_of_id, size_t *n_ids,
                                   bool *line_order);

vgg_status vgg_ilsvrc_load(const char *dir, const vgg_ilsvrc_opts *o, vgg_ilsvrc **out);
void vgg_ilsvrc_free(vgg_ilsvrc *d);

/* Lists: train (every training image) and val. */
vgg_status vgg_ilsvrc_write_lists(const vgg_ilsvrc *d, const char *train_path,
                                  const char *val_path);

/* ---- rendered glyph sets (the offline many-class source) ---- */

/* A class per character, per class per_class renders of size x size
 * pixels, 8-bit gray PNG, a light glyph on a dark ground (as MNIST).  Each
 * render draws, from a generator seeded by (seed, character, render
 * index): the face, the size (0.72-0.95 of the image), a rotation in
 * +-12 degrees, a shear in +-0.2, x and y scales in 0.88-1.08, a stroke
 * change (FreeType emboldening, -0.35 to +1.1 pixels), a shift of up to
 * 2.5 pixels from the centred glyph box, ground and ink levels (0-60,
 * 170-255) and Gaussian noise (sigma 0-10).  The same options give the
 * same bytes on every run. */
typedef struct vgg_glyph_opts {
    const char *const *faces; /* font files, "path" or "path:index" (a face of a
                                 collection); the Debian CJK faces by default */
    int n_faces;
    uint32_t first, last;     /* code point range; U+4E00-U+9FFF */
    int n_classes;            /* characters drawn from the range; 1000 (0: all) */
    int per_class;            /* renders per character; 80 */
    uint64_t seed;            /* 1 */
    int size;                 /* 32 */
    const char *exclude;      /* a classes.txt (U+XXXX per line) whose characters
                                 are left out (a target set disjoint from a
                                 source); NULL */
    double min_coverage;      /* a face covering less than this fraction of the
                                 range is left out (counted); 0.25 */
} vgg_glyph_opts;

typedef struct vgg_glyph_report {
    size_t classes;    /* characters rendered */
    size_t images;     /* images written */
    size_t uncovered;  /* characters of the range some face lacks (left out) */
    size_t excluded;   /* characters left out by opts.exclude */
    size_t faces;      /* faces used */
    size_t faces_left_out; /* faces under opts.min_coverage (left out) */
} vgg_glyph_report;

void vgg_glyph_opts_default(vgg_glyph_opts *o);

/* The default faces (static storage); returns their number. */
int vgg_glyph_default_faces(const char *const **faces);

/* Render the set into dir: dir/images/U+XXXX/NNNN.png, dir/list.txt
 * (path<TAB>U+XXXX, dir as given; written last, atomically) and
 * dir/classes.txt (U+XXXX per line, code point order).  The characters
 * are those of [first, last] that every face covers (FT_Get_Char_Index
 * != 0; the others are counted in rep->uncovered, never drawn as a
 * "notdef" box) and exclude does not name; n_classes of them are drawn
 * by the seed.  Statuses: NOT_FOUND naming a missing font file; FORMAT
 * for a file FreeType cannot open or a render with no ink; INVALID for
 * bad options or fewer covered characters than n_classes; NOT_FOUND when
 * no face covers min_coverage of the range; IO. */
vgg_status vgg_glyphs_render(const vgg_glyph_opts *o, const char *dir, vgg_glyph_report *rep);

#ifdef __cplusplus
}
#endif
#endif
