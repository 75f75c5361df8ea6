/* vggfeat extract: descriptors for a list of images (or boxes of them) into
 * a feature store; the options (parsed and checked by vgg_extract_cli_parse)
 * configure an extraction job (vgg/extract.h) and run it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "inputs.h"
#include "extract_cli.h"

/* the arguments (files or directories), then the list; -1 (printed) on
 * failure */
static int gather_inputs(const vgg_extract_cli *a, input_list *inputs, input_scan *scan,
                         size_t *n_boxes)
{
    *n_boxes = 0;
    for (int i = 0; i < a->n_inputs; i++) {
        struct stat sb;
        const char *p = a->inputs[i];
        int r = stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) ? inputs_add_directory(inputs, p, scan)
                                                         : input_add(inputs, p, NULL);
        if (r != 0)
            return -1;
    }
    if (a->list_file &&
        inputs_add_box_list_file(inputs, a->list_file, "vggfeat extract", n_boxes) != 0)
        return -1;
    if (inputs->n == 0) {
        fprintf(stderr, "vggfeat extract: no images found in the inputs\n");
        input_scan_print(stderr, "vggfeat extract", scan);
        return -1;
    }
    if (a->eo.with_image && *n_boxes == 0) {
        fprintf(stderr, "vggfeat extract: --with-image stacks each box's descriptor with its "
                "image's, and no line of the list has a box (path<TAB>label<TAB>"
                "box=x1,y1,x2,y2)\n");
        return -1;
    }
    return 0;
}

/* the job's items, pointing into inputs (malloc'd; NULL when out of memory) */
static vgg_extract_item *make_items(const input_list *inputs)
{
    vgg_extract_item *items = malloc((inputs->n ? inputs->n : 1) * sizeof *items);
    for (size_t i = 0; items && i < inputs->n; i++) {
        const input *in = &inputs->v[i];
        items[i] = (vgg_extract_item){ in->path, in->label, in->index,
                                       in->has_box ? &in->box : NULL, in->name, in->where };
    }
    return items;
}

static int run(const vgg_extract_cli *a, vgg_extractor *ex, vgg_extract_job *job,
               const input_scan *scan)
{
    vgg_extract_reporter rep = { stderr, a->quiet, !a->quiet && isatty(2), 0 };
    job->shard_k = a->shard_k;
    job->shard_n = a->shard_n;
    job->output = a->output;
    job->skip_errors = a->skip_errors;
    job->loaders = a->loaders;
    job->batch = a->batch;
    job->note = vgg_extract_cli_note;
    job->progress = vgg_extract_cli_progress;
    job->ctx = &rep;
    vgg_extract_result res;
    vgg_status st = vgg_signals_install();
    if (st == VGG_STATUS_OK)
        st = vgg_extract_job_run(ex, job, &res);
    else
        memset(&res, 0, sizeof res);
    vgg_signals_restore();
    int rc = vgg_extract_cli_finish(st, &res, job, &rep, vgg_extractor_dim(ex));
    if (!a->quiet || st != VGG_STATUS_OK)
        input_scan_print(stderr, "vggfeat extract", scan);
    vgg_extract_result_free(&res);
    return rc;
}

int cmd_extract(int argc, char **argv)
{
    vgg_extract_cli a;
    if (vgg_extract_cli_parse(argc, argv, &a) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat extract: %s\n", vgg_last_error());
        vgg_extract_cli_usage(stderr);
        return 2;
    }
    if (a.help) {
        vgg_extract_cli_usage(stdout);
        return 0;
    }
    int rc = 1;
    input_list inputs = { 0 };
    input_scan scan = { 0 };
    vgg_extract_nets nets;
    memset(&nets, 0, sizeof nets);
    vgg_extractor *ex = NULL;
    vgg_extract_item *items = NULL;
    vgg_extract_job job;
    vgg_extract_job_default(&job);
    size_t n_boxes;
    /* name and label slots fit every input (before sharding, so that the
     * shards and the unsharded store share one layout) */
    if (gather_inputs(&a, &inputs, &scan, &n_boxes) != 0 ||
        inputs_layout(&inputs, &job.layout, "vggfeat extract") != 0)
        goto done;
    if (!(items = make_items(&inputs))) {
        fprintf(stderr, "vggfeat extract: out of memory\n");
        goto done;
    }
    a.eo.boxes = n_boxes > 0;
    vgg_device_opts dev;
    if (vgg_device_opts_command(a.device, a.precision, a.workspace, false, &dev) != VGG_STATUS_OK ||
        vgg_extract_nets_open_opts(a.net_arg, a.models, a.device, a.threads, &dev, &nets) !=
            VGG_STATUS_OK ||
        vgg_extractor_create(nets.nets, nets.names, nets.n, &a.eo, &ex) != VGG_STATUS_OK ||
        vgg_extract_cli_check_output(&a, &nets) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat extract: %s\n", vgg_last_error());
        goto done;
    }
    job.items = items;
    job.n_items = inputs.n;
    rc = run(&a, ex, &job, &scan);
done:
    vgg_extractor_free(ex);
    vgg_extract_nets_close(&nets);
    free(items);
    inputs_free(&inputs);
    input_scan_free(&scan);
    return rc;
}
