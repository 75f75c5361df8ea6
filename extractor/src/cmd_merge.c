/* vggfeat merge A B ... -o C: stores made with the same settings (e.g. the
 * shards of one extraction) into one, rows in input-index order. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "vgg/features.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggfeat merge A B ... -o C\n"
            "Merge feature stores made with the same settings into a new store C, rows\n"
            "sorted by their input index (so the shards of one extraction, made with\n"
            "--shard K/N, come back in input order).  A row index found in two inputs\n"
            "is an error.\n");
}

typedef struct row_ref {
    uint64_t index;
    int store;
    size_t row;
} row_ref;

static int by_index(const void *a, const void *b)
{
    const row_ref *x = a, *y = b;
    return x->index < y->index ? -1 : x->index > y->index;
}

int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    int n = argc - optind;
    if (n < 1 || !out) {
        usage(stderr);
        return 2;
    }
    if (access(out, F_OK) == 0) {
        fprintf(stderr, "vggfeat merge: '%s': already exists; not overwriting it\n", out);
        return 1;
    }
    vgg_featstore **fs = calloc((size_t)n, sizeof *fs);
    row_ref *refs = NULL;
    char *tmp = NULL;
    vgg_featwriter *w = NULL;
    int rc = 1;
    if (!fs) {
        fprintf(stderr, "vggfeat merge: out of memory\n");
        return 1;
    }
    size_t total = 0;
    vgg_featlayout layout = { 8, 8 };
    for (int i = 0; i < n; i++) {
        const char *path = argv[optind + i];
        if (vgg_featstore_open(path, &fs[i]) != VGG_STATUS_OK) {
            fprintf(stderr, "vggfeat merge: %s\n", vgg_last_error());
            goto done;
        }
        char why[600];
        if (i > 0 && !vgg_featdesc_equal(vgg_featstore_desc(fs[0]), vgg_featstore_desc(fs[i]),
                                         why, sizeof why)) {
            fprintf(stderr, "vggfeat merge: '%s' and '%s' were made with other settings (%s)\n",
                    argv[optind], path, why);
            goto done;
        }
        vgg_featlayout l;
        vgg_featstore_layout(fs[i], &l);
        if (l.name_bytes > layout.name_bytes)
            layout.name_bytes = l.name_bytes;
        if (l.label_bytes > layout.label_bytes)
            layout.label_bytes = l.label_bytes;
        total += vgg_featstore_rows(fs[i]);
    }
    refs = malloc((total ? total : 1) * sizeof *refs);
    if (!refs) {
        fprintf(stderr, "vggfeat merge: out of memory\n");
        goto done;
    }
    size_t k = 0;
    for (int i = 0; i < n; i++)
        for (size_t r = 0; r < vgg_featstore_rows(fs[i]); r++)
            refs[k++] = (row_ref){ vgg_featstore_index(fs[i], r), i, r };
    qsort(refs, total, sizeof *refs, by_index);
    for (size_t r = 1; r < total; r++) {
        if (refs[r].index == refs[r - 1].index) {
            fprintf(stderr,
                    "vggfeat merge: input index %llu is in both '%s' ('%s') and '%s' ('%s'); "
                    "were the same shard or image given twice?\n",
                    (unsigned long long)refs[r].index, argv[optind + refs[r - 1].store],
                    vgg_featstore_name(fs[refs[r - 1].store], refs[r - 1].row),
                    argv[optind + refs[r].store],
                    vgg_featstore_name(fs[refs[r].store], refs[r].row));
            goto done;
        }
    }
    /* write next to C, then rename: C appears complete or not at all */
    size_t tn = strlen(out) + 32;
    tmp = malloc(tn);
    if (!tmp) {
        fprintf(stderr, "vggfeat merge: out of memory\n");
        goto done;
    }
    snprintf(tmp, tn, "%s.tmp.%ld", out, (long)getpid());
    unlink(tmp);
    vgg_status st = vgg_featwriter_open_layout(tmp, vgg_featstore_desc(fs[0]), &layout, false,
                                               &w, NULL);
    for (size_t r = 0; r < total && st == VGG_STATUS_OK; r++) {
        const vgg_featstore *s = fs[refs[r].store];
        size_t row = refs[r].row;
        st = vgg_featwriter_append_at(w, refs[r].index, vgg_featstore_name(s, row),
                                      vgg_featstore_label(s, row), vgg_featstore_row(s, row));
    }
    vgg_status cst = vgg_featwriter_close(w);
    w = NULL;
    if (st == VGG_STATUS_OK)
        st = cst;
    if (st == VGG_STATUS_OK && rename(tmp, out) != 0)
        st = vgg_fail(VGG_STATUS_IO, "'%s': cannot rename into place", out);
    if (st != VGG_STATUS_OK) {
        unlink(tmp);
        fprintf(stderr, "vggfeat merge: %s\n", vgg_last_error());
        goto done;
    }
    fprintf(stderr, "vggfeat merge: %zu rows from %d stores into '%s'\n", total, n, out);
    rc = 0;
done:
    vgg_featwriter_close(w);
    for (int i = 0; i < n; i++)
        vgg_featstore_close(fs[i]);
    free(fs);
    free(refs);
    free(tmp);
    return rc;
}
