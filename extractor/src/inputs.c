#include "inputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_NAME_SLOT 4096

int input_add(input_list *l, const char *path, const char *label)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 64;
        input *nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    input *in = &l->v[l->n];
    in->path = strdup(path);
    in->label = label && *label ? strdup(label) : NULL;
    if (!in->path || (label && *label && !in->label)) {
        free(in->path);
        free(in->label);
        return -1;
    }
    in->index = l->n;
    l->n++;
    return 0;
}

void inputs_free(input_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        free(l->v[i].label);
    }
    free(l->v);
}

int inputs_add_list_file(input_list *l, const char *path, const char *cmd)
{
    vgg_list *lines = NULL;
    if (vgg_list_read(path, VGG_LIST_ONE_TAB, &lines) != VGG_STATUS_OK) {
        fprintf(stderr, "%s: --list %s\n", cmd, vgg_last_error());
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < lines->n && rc == 0; i++)
        if ((rc = input_add(l, lines->paths[i], lines->labels[i])) != 0)
            fprintf(stderr, "%s: out of memory\n", cmd);
    vgg_list_free(lines);
    return rc;
}

int inputs_layout(const input_list *l, vgg_featlayout *layout, const char *cmd)
{
    size_t longest_name = 0, longest_label = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t a = strlen(l->v[i].path), b = l->v[i].label ? strlen(l->v[i].label) : 0;
        if (a > longest_name)
            longest_name = a;
        if (b > longest_label)
            longest_label = b;
    }
    if (longest_name >= MAX_NAME_SLOT || longest_label >= MAX_NAME_SLOT) {
        fprintf(stderr, "%s: a path or label is longer than %d bytes\n", cmd, MAX_NAME_SLOT - 1);
        return -1;
    }
    layout->name_bytes = (int)((longest_name + 1 + 7) / 8 * 8);
    layout->label_bytes = (int)((longest_label + 1 + 7) / 8 * 8);
    return 0;
}
