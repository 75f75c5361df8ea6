#include "inputs.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

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
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "%s: --list '%s': cannot open: %s\n", cmd, path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    size_t lineno = 0;
    while (rc == 0 && (len = getline(&line, &cap, fp)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0)
            continue;
        if (strlen(line) != (size_t)len) {
            fprintf(stderr, "%s: --list '%s', line %zu: a NUL byte (not a text file?)\n", cmd,
                    path, lineno);
            rc = -1;
            break;
        }
        char *tab = strchr(line, '\t');
        const char *label = NULL;
        if (tab) {
            *tab = '\0';
            label = tab + 1;
            if (strchr(label, '\t')) {
                fprintf(stderr, "%s: --list '%s', line %zu: more than one TAB\n", cmd, path,
                        lineno);
                rc = -1;
                break;
            }
        }
        if (!*line) {
            fprintf(stderr, "%s: --list '%s', line %zu: empty path\n", cmd, path, lineno);
            rc = -1;
            break;
        }
        if ((rc = input_add(l, line, label)) != 0)
            fprintf(stderr, "%s: out of memory\n", cmd);
    }
    free(line);
    fclose(fp);
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
