/* The input lists of vggfeat's commands: image paths with optional labels,
 * from arguments, folders or list files ("path[<TAB>label]" per line). */
#ifndef VGGFEAT_INPUTS_H
#define VGGFEAT_INPUTS_H

#include <stddef.h>

#include "vgg/features.h"

typedef struct input {
    char *path;
    char *label;     /* NULL if none */
    size_t index;    /* position in the full input list */
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

/* Append every image file under dir (searched recursively, sorted, images
 * recognised by content); errors printed as "vggfeat extract: ...";
 * returns 0 or -1. */
int inputs_add_directory(input_list *l, const char *dir);

/* Name and label slots that fit every input; -1 (printed as "<cmd>: ...")
 * if a path or label is too long for a store. */
int inputs_layout(const input_list *l, vgg_featlayout *layout, const char *cmd);

#endif
