/* vggdata subset: the rows of a feature store that a list names. */
#include <getopt.h>
#include <stdio.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/datasets.h"
#include "vgg/features.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggdata subset STORE --list LIST -o OUT\n\n"
            "Writes a feature store OUT with the rows of STORE named by LIST's paths, in LIST's\n"
            "order, labelled with LIST's labels (path<TAB>label; without a label a row keeps its\n"
            "own).  Extract every image of a dataset once, then cut out each split's train and\n"
            "test stores.  Every path must have a row in STORE.  OUT is a regular file,\n"
            "replaced whole (a device, FIFO or '-' is refused).\n");
}

int cmd_subset(int argc, char **argv)
{
    static const struct option opts[] = {
        { "list", required_argument, NULL, 'l' }, { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    const char *list = NULL, *out = NULL;
    int c;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': list = optarg; break;
        case 'o': out = optarg; break;
        case 'h': usage(stdout); return 0;
        default:
            return vgg_cli_option_error("vggdata", "subset", argc, argv, "o:h", opts, usage);
        }
    }
    if (optind != argc - 1 || !list || !out) {
        fprintf(stderr, "vggdata subset: expected STORE, --list LIST and -o OUT\n");
        usage(stderr);
        return 2;
    }
    const char *ins[2] = { argv[optind], list };
    if (vgg_output_check(out, ins, 2) != VGG_STATUS_OK) {
        fprintf(stderr, "vggdata subset: %s\n", vgg_last_error());
        return 1;
    }
    char tail[1024];
    if (vgg_featstore_tail_note(argv[optind], tail, sizeof tail))
        fprintf(stderr, "vggdata subset: %s\n", tail);
    size_t rows;
    if (vgg_ds_subset_store(argv[optind], list, out, &rows) != VGG_STATUS_OK) {
        fprintf(stderr, "vggdata subset: %s\n", vgg_last_error());
        return 1;
    }
    printf("vggdata subset: %zu rows -> %s\n", rows, out);
    return 0;
}
