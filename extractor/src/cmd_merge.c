/* vggfeat merge A B ... -o C: stores made with the same settings (e.g. the
 * shards of one extraction) into one, rows in input-index order. */
#include <getopt.h>
#include <stdio.h>
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
            "is an error.  C is a new regular file (a device, FIFO or '-' is refused).\n");
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
    size_t total = 0;
    if (vgg_output_check(out, (const char *const *)argv + optind, (size_t)n) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat merge: %s\n", vgg_last_error());
        return 1;
    }
    if (vgg_featstore_merge((const char *const *)argv + optind, n, out, &total) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat merge: %s\n", vgg_last_error());
        return 1;
    }
    fprintf(stderr, "vggfeat merge: %zu rows from %d stores into '%s'\n", total, n, out);
    return 0;
}
