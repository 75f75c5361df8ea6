/* vggfeat convert IN.caffemodel -o OUT.safetensors [--arch CONFIG]:
 * convert Caffe weights (the Oxford VGG_ILSVRC_16/19_layers releases, old
 * V1 or new form) to vggfeat's safetensors, with the Caffe preprocessing
 * (BGR, 0-255, mean pixel, std 1) and ceil pooling in the metadata. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/caffe.h"
#include "vgg/core.h"
#include "vgg/net.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggfeat convert IN.caffemodel -o OUT.safetensors [--arch CONFIG]\n"
            "Convert a Caffe .caffemodel (V1 'layers' or new 'layer' form) to safetensors\n"
            "with torchvision's key names.  The configuration (A, A-LRN, B, C, D, E), width,\n"
            "fc width, classes and input size are inferred from the layer names and blob\n"
            "shapes; --arch names the configuration instead (vgg16 = D, vgg19 = E).\n"
            "The metadata records Caffe's conventions: BGR, 0-255, mean pixel\n"
            "(103.939, 116.779, 123.68), std 1, pooled sizes rounded up.  The output is\n"
            "written atomically.  A NaN or infinite weight is refused, naming the layer and\n"
            "blob, and nothing is written.  For PyTorch .pth files use\n"
            "pipelines/pth2safetensors.py.\n"
            "\n"
            "  -o, --output FILE   the safetensors file to write (required; a regular file,\n"
            "                      never a device, FIFO or '-')\n"
            "  -a, --arch CONFIG   the configuration, instead of inferring it\n"
            "  -q, --quiet         print nothing on success\n");
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && !strcasecmp(s + n - k, suffix);
}

int cmd_convert(int argc, char **argv)
{
    static const struct option opts[] = {
        { "output", required_argument, NULL, 'o' },
        { "arch", required_argument, NULL, 'a' },
        { "quiet", no_argument, NULL, 'q' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *out = NULL, *arch = NULL;
    bool quiet = false;
    int c;
    optind = 1;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "o:a:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'a': arch = optarg; break;
        case 'q': quiet = true; break;
        case 'h': usage(stdout); return 0;
        default:
            return vgg_cli_option_error("vggfeat", "convert", argc, argv, "o:a:qh", opts, usage);
        }
    }
    if (optind != argc - 1 || !out) {
        usage(stderr);
        return 2;
    }
    const char *in = argv[optind];
    vgg_config_id config;
    if (arch && vgg_config_parse(arch, &config) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat convert: %s\n", vgg_last_error());
        return 2;
    }
    if (ends_with(in, ".pth") || ends_with(in, ".pt")) {
        fprintf(stderr, "vggfeat convert: '%s' is a PyTorch file: convert it with "
                        "pipelines/pth2safetensors.py\n", in);
        return 1;
    }
    if (vgg_output_check_kind(out, 0) != VGG_STATUS_OK ||   /* weights: a regular file */
        vgg_output_check(out, &in, 1) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat convert: %s\n", vgg_last_error());
        return 1;
    }
    double t0 = vgg_now_seconds();
    vgg_arch a;
    if (vgg_caffe_convert(in, out, arch ? &config : NULL, &a) != VGG_STATUS_OK) {
        fprintf(stderr, "vggfeat convert: %s\n", vgg_last_error());
        return 1;
    }
    double dt = vgg_now_seconds() - t0;
    if (!quiet) {
        printf("vggfeat convert: wrote '%s': configuration %s, width %g, fc %d, %d classes, "
               "input %d, %lld parameters, BGR 0-255, ceil pooling\n",
               out, vgg_config_name(a.config), (double)a.width, a.fc_dim, a.num_classes,
               a.input_size, (long long)vgg_arch_param_count(&a));
        printf("vggfeat convert: %.2f s, peak RSS %.1f MB\n", dt,
               (double)vgg_peak_rss_bytes() / (1024.0 * 1024.0));
    }
    return 0;
}
