/* The input lists of vggfeat's commands: image paths with optional labels,
 * from arguments, folders or list files ("path[<TAB>label]" per line;
 * vggfeat extract's also "path<TAB>label<TAB>box=x1,y1,x2,y2"). */
#ifndef VGGFEAT_INPUTS_H
#define VGGFEAT_INPUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "vgg/extract.h"
#include "vgg/features.h"

typedef struct input {
    char *path;
    char *label;     /* NULL if none */
    size_t index;    /* position in the full input list */
    bool has_box;
    vgg_box box;
    char *name;      /* with a box: the row's name (vgg_box_row_name); else NULL */
    char *where;     /* from a list: "'<list>', line <n>"; else NULL */
} input;

typedef struct input_list {
    input *v;
    size_t n, cap;
} input_list;

/* Append one input; -1 when out of memory. */
int input_add(input_list *l, const char *path, const char *label);
void inputs_free(input_list *l);

/* Append the lines of a list file (vgg_list_read with VGG_LIST_ONE_TAB:
 * blank lines are skipped, a line with two TABs or an empty path is an
 * error).  Errors are printed as
 * "<cmd>: ..."; returns 0 or -1. */
int inputs_add_list_file(input_list *l, const char *path, const char *cmd);

/* The same for a list whose lines may end in a box, a third field
 * "box=x1,y1,x2,y2" (vgg_box_parse; "path<TAB><TAB>box=..." when there
 * is no label); a malformed or empty box, a box in the label's place or a
 * fourth field is an error naming the list and the line.  A line named
 * twice (the same path and box) is warned about, as the plain list does;
 * the same path with other boxes is not a repeat.  *n_boxes counts the
 * lines with a box. */
int inputs_add_box_list_file(input_list *l, const char *path, const char *cmd, size_t *n_boxes);

/* What a directory scan left out (docs/extract.md): regular files that
 * are not images, and entries that are not regular files. */
typedef struct input_names {
    char **v;
    size_t n, cap;
} input_names;

typedef struct input_scan {
    input_names others;    /* not .jpg/.jpeg/.png and not JPEG or PNG inside */
    input_names special;   /* FIFOs, devices, sockets, broken links */
} input_scan;

/* True when the name ends in .jpg, .jpeg or .png, in any case. */
bool input_named_as_image(const char *path);

/* Append every image under dir (searched recursively, sorted): a file
 * named .jpg/.jpeg/.png (any case) is an input whatever it holds (one that
 * does not decode is an error of the run); another file is an input when
 * its content is JPEG or PNG; the rest go to scan.  Errors printed as
 * "vggfeat extract: ..."; returns 0 or -1. */
int inputs_add_directory(input_list *l, const char *dir, input_scan *scan);
void input_scan_free(input_scan *scan);

/* "<cmd>: 3 files are not images: notes.txt, ..." and the same for
 * entries that are not regular files; nothing when the scan left none. */
void input_scan_print(FILE *fp, const char *cmd, const input_scan *scan);

/* Name (with a box: the row's name) and label slots that fit every
 * input; -1 (printed as "<cmd>: ...") if a path or label is too long for
 * a store. */
int inputs_layout(const input_list *l, vgg_featlayout *layout, const char *cmd);

#endif
