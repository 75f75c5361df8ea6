#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "vgg/image.h"

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

/* ---- directories ---- */

typedef struct str_list {
    char **v;
    size_t n, cap;
} str_list;

static int str_push(str_list *l, char *s)
{
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 64;
        char **nv = realloc(l->v, nc * sizeof *nv);
        if (!nv)
            return -1;
        l->v = nv;
        l->cap = nc;
    }
    l->v[l->n++] = s;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *join_path(const char *dir, const char *name)
{
    size_t dl = strlen(dir);
    bool slash = dl > 0 && dir[dl - 1] == '/';
    size_t n = dl + strlen(name) + 2;
    char *p = malloc(n);
    if (p)
        snprintf(p, n, "%s%s%s", dir, slash ? "" : "/", name);
    return p;
}

/* every regular file under dir (symlinked files followed, symlinked
 * directories not) */
static int walk(const char *dir, str_list *out)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "vggfeat extract: '%s': cannot read directory: %s\n", dir,
                strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char *p = join_path(dir, e->d_name);
        if (!p) {
            rc = -1;
            break;
        }
        struct stat lsb, sb;
        if (lstat(p, &lsb) != 0) {
            free(p);
            continue;
        }
        if (S_ISDIR(lsb.st_mode)) {
            rc = walk(p, out);
            free(p);
        } else if (stat(p, &sb) == 0 && S_ISREG(sb.st_mode)) {
            if (str_push(out, p) != 0) {
                free(p);
                rc = -1;
            }
        } else {
            free(p);
        }
    }
    closedir(d);
    return rc;
}

int inputs_add_directory(input_list *l, const char *dir)
{
    str_list files = { 0 };
    int rc = walk(dir, &files);
    if (rc == 0) {
        qsort(files.v, files.n, sizeof *files.v, cmp_str);
        for (size_t i = 0; i < files.n && rc == 0; i++)
            if (vgg_image_sniff_file(files.v[i]))
                rc = input_add(l, files.v[i], NULL);
    }
    for (size_t i = 0; i < files.n; i++)
        free(files.v[i]);
    free(files.v);
    return rc;
}
