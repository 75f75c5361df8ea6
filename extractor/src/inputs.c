#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
    in->has_box = false;
    in->name = in->where = NULL;
    l->n++;
    return 0;
}

void inputs_free(input_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].path);
        free(l->v[i].label);
        free(l->v[i].name);
        free(l->v[i].where);
    }
    free(l->v);
}

/* a path (or row name) or label longer than a store's slot: printed,
 * naming the list and line */
static bool too_long(const char *name, const char *label, const char *list, size_t line,
                     const char *cmd)
{
    size_t pl = strlen(name), ll = strlen(label);
    if (pl < MAX_NAME_SLOT && ll < MAX_NAME_SLOT)
        return false;
    fprintf(stderr, "%s: --list '%s', line %zu: the %s is %zu bytes, longer than the "
            "%d a store holds\n", cmd, list, line, pl >= MAX_NAME_SLOT ? "path" : "label",
            pl >= MAX_NAME_SLOT ? pl : ll, MAX_NAME_SLOT - 1);
    return true;
}

/* ---- one file by two spellings ---- */

typedef struct file_key {
    dev_t dev;
    ino_t ino;
    vgg_box box;      /* zero without one */
    size_t line;      /* the entry of the list */
} file_key;

static int cmp_key(const void *a, const void *b)
{
    const file_key *x = a, *y = b;
    if (x->dev != y->dev)
        return x->dev < y->dev ? -1 : 1;
    if (x->ino != y->ino)
        return x->ino < y->ino ? -1 : 1;
    const int xb[4] = { x->box.x1, x->box.y1, x->box.x2, x->box.y2 };
    const int yb[4] = { y->box.x1, y->box.y1, y->box.x2, y->box.y2 };
    for (int k = 0; k < 4; k++)
        if (xb[k] != yb[k])
            return xb[k] < yb[k] ? -1 : 1;
    return (x->line > y->line) - (x->line < y->line);
}

static bool same_file(const file_key *a, const file_key *b)
{
    return a->dev == b->dev && a->ino == b->ino && a->box.x1 == b->box.x1 &&
           a->box.y1 == b->box.y1 && a->box.x2 == b->box.x2 && a->box.y2 == b->box.y2;
}

/* Entries of a list (paths[i] with boxes[i], NULL when none; names[i] the
 * row names whose repeats the spelling rule already reported) that reach
 * one file by different spellings ("./a", "/abs/a", "a//b", a symbolic
 * link): warned about (by device and inode, the box the same), naming
 * both spellings and lines, the earliest repeat first.  Entries that
 * cannot be stat'ed are left to the run, which reports them. */
static void warn_same_files(const vgg_list *lines, const vgg_box *const *boxes,
                            const char *const *names, const char *list, const char *cmd)
{
    size_t n = lines->n, m = 0;
    file_key *k = malloc((n ? n : 1) * sizeof *k);
    if (!k)
        return;   /* a warning only */
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        if (stat(lines->paths[i], &sb) != 0)
            continue;
        k[m] = (file_key){ sb.st_dev, sb.st_ino, { 0, 0, 0, 0 }, i };
        if (boxes && boxes[i])
            k[m].box = *boxes[i];
        m++;
    }
    qsort(k, m, sizeof *k, cmp_key);
    size_t first = 0, again = 0, count = 0;
    for (size_t g = 0; g < m;) {
        size_t e = g + 1;
        while (e < m && same_file(&k[g], &k[e]))
            e++;
        /* the group's first entry, and each later one spelt otherwise */
        for (size_t j = g + 1; j < e; j++)
            if (strcmp(names[k[j].line], names[k[g].line]) != 0) {
                if (!count || k[j].line < again) {
                    first = k[g].line;
                    again = k[j].line;
                }
                count++;
            }
        g = e;
    }
    free(k);
    if (!count)
        return;
    fprintf(stderr, "%s: warning: --list '%s', line %zu: '%s' is the same file as '%s' (line "
            "%zu)", cmd, list, lines->lines[again], lines->paths[again], lines->paths[first],
            lines->lines[first]);
    if (count > 1)
        fprintf(stderr, ", and %zu more lines name a file named before otherwise", count - 1);
    fprintf(stderr, "; each line becomes a row\n");
}

int inputs_add_list_file(input_list *l, const char *path, const char *cmd)
{
    vgg_list *lines = NULL;
    if (vgg_list_read(path, VGG_LIST_ONE_TAB, &lines) != VGG_STATUS_OK) {
        fprintf(stderr, "%s: --list %s\n", cmd, vgg_last_error());
        return -1;
    }
    int rc = 0;
    /* an image named twice gives two rows (perhaps with two labels): said
     * once, by the rule of labels files, which refuse it */
    if (vgg_list_check_unique(lines, path) != VGG_STATUS_OK)
        fprintf(stderr, "%s: warning: --list %s; each line becomes a row\n", cmd,
                vgg_last_error());
    warn_same_files(lines, NULL, (const char *const *)lines->paths, path, cmd);
    for (size_t i = 0; i < lines->n && rc == 0; i++) {
        if (too_long(lines->paths[i], lines->labels[i], path, lines->lines[i], cmd))
            rc = -1;
        else if ((rc = input_add(l, lines->paths[i], lines->labels[i])) != 0) {
            fprintf(stderr, "%s: out of memory\n", cmd);
        }
    }
    vgg_list_free(lines);
    return rc;
}

/* Split a box list's label field "label[<TAB>box=x1,y1,x2,y2]" in place. */
static vgg_status split_box(char *label, const char *list, size_t line, bool *has, vgg_box *box)
{
    *has = false;
    char *tab = strchr(label, '\t');
    if (!tab && strncmp(label, "box=", 4) == 0)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: '%s' is where the label goes: a box "
                        "is the third field (path<TAB>label<TAB>box=x1,y1,x2,y2, or two TABs "
                        "when there is no label)", list, line, label);
    if (!tab)
        return VGG_STATUS_OK;
    *tab = 0;
    for (char *t = tab; t > label && t[-1] == ' ';)   /* "cat \tbox=...": the class cat */
        *--t = 0;
    const char *f = tab + 1;
    if (strchr(f, '\t'))
        return vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: more than three fields (path, "
                        "label, box)", list, line);
    if (strncmp(f, "box=", 4) != 0)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: the third field '%s' is not "
                        "box=x1,y1,x2,y2", list, line, f);
    if (vgg_box_parse(f + 4, box) != VGG_STATUS_OK)
        return vgg_fail_context(VGG_STATUS_FORMAT, "'%s', line %zu: ", list, line);
    *has = true;
    return VGG_STATUS_OK;
}

/* the box, its row name and where it came from into the last input */
static int set_box(input_list *l, const vgg_box *box, const char *list, size_t line)
{
    input *in = &l->v[l->n - 1];
    size_t n = strlen(list) + 32;
    in->has_box = true;
    in->box = *box;
    in->name = vgg_box_row_name(in->path, box);
    in->where = malloc(n);
    if (!in->name || !in->where)
        return -1;
    snprintf(in->where, n, "'%s', line %zu", list, line);
    return 0;
}

int inputs_add_box_list_file(input_list *l, const char *path, const char *cmd, size_t *n_boxes)
{
    *n_boxes = 0;
    vgg_list *lines = NULL;
    if (vgg_list_read(path, 0, &lines) != VGG_STATUS_OK) {
        fprintf(stderr, "%s: --list %s\n", cmd, vgg_last_error());
        return -1;
    }
    size_t first = l->n;
    int rc = 0;
    for (size_t i = 0; i < lines->n && rc == 0; i++) {
        bool has;
        vgg_box box;
        if (split_box(lines->labels[i], path, lines->lines[i], &has, &box) != VGG_STATUS_OK) {
            fprintf(stderr, "%s: --list %s\n", cmd, vgg_last_error());
            rc = -1;
        } else if (too_long(lines->paths[i], lines->labels[i], path, lines->lines[i], cmd)) {
            rc = -1;
        } else if (input_add(l, lines->paths[i], lines->labels[i]) != 0 ||
                   (has && set_box(l, &box, path, lines->lines[i]) != 0)) {
            fprintf(stderr, "%s: out of memory\n", cmd);
            rc = -1;
        }
        *n_boxes += has;
    }
    /* a repeat is the same row name (path and box) twice: the rule of every
     * list, said once, on the names */
    for (size_t i = 0; rc == 0 && i < lines->n; i++)
        if (l->v[first + i].name)
            lines->paths[i] = l->v[first + i].name;
    if (rc == 0 && vgg_list_check_unique(lines, path) != VGG_STATUS_OK)
        fprintf(stderr, "%s: warning: --list %s; each line becomes a row\n", cmd,
                vgg_last_error());
    if (rc == 0) {
        const vgg_box **boxes = malloc((lines->n ? lines->n : 1) * sizeof *boxes);
        for (size_t i = 0; boxes && i < lines->n; i++) {
            const input *in = &l->v[first + i];
            boxes[i] = in->has_box ? &in->box : NULL;
            lines->paths[i] = in->path;   /* the path again: the box goes in the key */
        }
        const char **names = malloc((lines->n ? lines->n : 1) * sizeof *names);
        for (size_t i = 0; names && i < lines->n; i++)
            names[i] = l->v[first + i].name ? l->v[first + i].name : l->v[first + i].path;
        if (boxes && names)
            warn_same_files(lines, boxes, names, path, cmd);
        free(boxes);
        free(names);
    }
    vgg_list_free(lines);
    return rc;
}

int inputs_layout(const input_list *l, vgg_featlayout *layout, const char *cmd)
{
    size_t longest_name = 0, longest_label = 0;
    for (size_t i = 0; i < l->n; i++) {
        const input *in = &l->v[i];
        size_t a = strlen(in->name ? in->name : in->path), b = in->label ? strlen(in->label) : 0;
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

typedef input_names str_list;

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

/* every file under dir (symlinked files followed, symlinked directories
 * not): regular files into out, anything else (FIFO, device, socket, a
 * dangling link) into special */
static int walk(const char *dir, str_list *out, str_list *special)
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
            rc = walk(p, out, special);
            free(p);
        } else if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) {
            free(p);    /* a link to a directory: not followed */
        } else if (str_push(stat(p, &sb) == 0 && S_ISREG(sb.st_mode) ? out : special, p) != 0) {
            free(p);
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

bool input_named_as_image(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    if (!dot || (slash && dot < slash))
        return false;
    return !strcasecmp(dot, ".jpg") || !strcasecmp(dot, ".jpeg") || !strcasecmp(dot, ".png");
}

static void strs_free(str_list *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int inputs_add_directory(input_list *l, const char *dir, input_scan *scan)
{
    str_list files = { 0 }, special = { 0 };
    int rc = walk(dir, &files, &special);
    if (rc == 0) {
        if (files.n)
            qsort(files.v, files.n, sizeof *files.v, cmp_str);
        if (special.n)
            qsort(special.v, special.n, sizeof *special.v, cmp_str);
        for (size_t i = 0; i < files.n && rc == 0; i++) {
            /* an image by its name (then a file that does not decode is an
             * error of the run) or by its content; the rest is listed */
            if (input_named_as_image(files.v[i]) || vgg_image_sniff_file(files.v[i]))
                rc = input_add(l, files.v[i], NULL);
            else if (str_push(&scan->others, files.v[i]) == 0)
                files.v[i] = NULL;
            else
                rc = -1;
        }
        for (size_t i = 0; i < special.n && rc == 0; i++) {
            if (str_push(&scan->special, special.v[i]) != 0)
                rc = -1;
            else
                special.v[i] = NULL;
        }
    }
    strs_free(&files);
    strs_free(&special);
    return rc;
}

void input_scan_free(input_scan *scan)
{
    strs_free(&scan->others);
    strs_free(&scan->special);
}

/* "N files are not images: a, b, c, ..." (at most 10 named) */
static void print_names(FILE *fp, const char *cmd, const str_list *l, const char *one,
                        const char *many)
{
    if (l->n == 0)
        return;
    fprintf(fp, "%s: %zu %s: ", cmd, l->n, l->n == 1 ? one : many);
    for (size_t i = 0; i < l->n && i < 10; i++)
        fprintf(fp, "%s%s", i ? ", " : "", l->v[i]);
    fprintf(fp, "%s\n", l->n > 10 ? ", ..." : "");
}

void input_scan_print(FILE *fp, const char *cmd, const input_scan *scan)
{
    print_names(fp, cmd, &scan->others, "file is not an image",
                "files are not images");
    print_names(fp, cmd, &scan->special,
                "entry is not a regular file (FIFO, device, socket or broken link)",
                "entries are not regular files (FIFOs, devices, sockets or broken links)");
}
