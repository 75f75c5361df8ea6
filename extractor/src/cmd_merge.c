/* vggfeat merge A B ... -o C: stores made with the same settings (e.g. the
 * shards of one extraction) into one, rows in input-index order. */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/features.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggfeat merge A B ... -o C [--partial]\n"
            "Merge feature stores made with the same settings into a new store C, rows\n"
            "sorted by their input index (so the shards of one extraction, made with\n"
            "--shard K/N, come back in input order).  Each store made by vggfeat extract\n"
            "records its input list (a digest) and which shard K of N it holds: shards\n"
            "of different lists are refused, and so are a shard given twice and a\n"
            "missing shard.  A row index found in two inputs is an error.\n"
            "\n"
            "  -o, --output C   the merged store: a new regular file (never over an existing\n"
            "                   file; a device, FIFO or '-' is refused)\n"
            "      --partial    merge even though shards are missing (it says which, and\n"
            "                   C records the shards it holds), or some stores record no\n"
            "                   list (made before stores recorded one)\n");
}

int cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "partial", no_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL;
    bool partial = false;
    int c;
    optind = 1;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'p': partial = true; break;
        case 'h': usage(stdout); return 0;
        default: return vgg_cli_option_error("vggfeat", "merge", argc, argv, "o:h", opts, usage);
        }
    }
    int n = argc - optind;
    if (n < 1 || !out) {
        fprintf(stderr, "vggfeat merge: %s\n",
                !out ? "no output given (-o C)" : "no stores to merge");
        usage(stderr);
        return 2;
    }
    if (vgg_output_check(out, (const char *const *)argv + optind, (size_t)n) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat merge: %s\n", vgg_last_error());
        return 1;
    }
    vgg_featmerge_report rep;
    if (vgg_featstore_merge_partial((const char *const *)argv + optind, n, out, partial, &rep) !=
        VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat merge: %s\n", vgg_last_error());
        return 1;
    }
    if (rep.missing[0])
        fprintf(stderr, "vggfeat merge: partial merge: no input holds shard%s %s of %d (%llu "
                "inputs of the list); '%s' records the shards it holds\n",
                strpbrk(rep.missing, ",-") ? "s" : "", rep.missing, rep.shard_n,
                (unsigned long long)rep.missing_inputs, out);
    if (rep.unrecorded)
        fprintf(stderr, "vggfeat merge: partial merge: some stores record no input list, so "
                "none was checked for missing or foreign shards; '%s' records no list\n", out);
    fprintf(stderr, "vggfeat merge: %zu rows from %d stores into '%s'\n", rep.rows, n, out);
    return 0;
}
