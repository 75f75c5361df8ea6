/* vggdata glyphs: a seeded character set rendered from installed fonts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/cli.h"
#include "vgg/datasets.h"

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: vggdata glyphs [--range A-B] [--classes N] [--per-class N] [--seed S]\n"
            "                      [--faces F1,F2,...] [--exclude CLASSES] [--size P] -o DIR\n"
            "  --range A-B       code points, hexadecimal (default 4E00-9FFF, CJK ideographs;\n"
            "                    AC00-D7A3 is Hangul)\n"
            "  --classes N       characters drawn by the seed from those every face covers\n"
            "                    (default 1000; 0: all of them)\n"
            "  --per-class N     renders per character (default 80)\n"
            "  --seed S          (default 1): the same options give the same bytes\n"
            "  --faces LIST      font files, comma-separated, 'path:index' for a face of a\n"
            "                    collection (default: the nine Debian CJK faces)\n"
            "  --exclude FILE    a classes.txt whose characters are left out (a target set\n"
            "                    that shares no character with a source)\n"
            "  --size P          image side in pixels (default 32)\n"
            "  -o DIR            writes DIR/images/U+XXXX/NNNN.png, DIR/list.txt\n"
            "                    (path<TAB>class), DIR/classes.txt\n"
            "Each render draws a face, size, rotation (+-12 degrees), shear, scale, stroke,\n"
            "shift, contrast and noise; a light glyph on a dark ground, as MNIST.\n");
}

static int parse_range(const char *text, uint32_t *a, uint32_t *b)
{
    char *end;
    const char *p = text;
    if (strncasecmp(p, "U+", 2) == 0)
        p += 2;
    unsigned long x = strtoul(p, &end, 16);
    if (end == p || *end != '-')
        return -1;
    p = end + 1;
    if (strncasecmp(p, "U+", 2) == 0)
        p += 2;
    unsigned long y = strtoul(p, &end, 16);
    if (end == p || *end || y < x || y > 0x10FFFF)
        return -1;
    *a = (uint32_t)x;
    *b = (uint32_t)y;
    return 0;
}

static int parse_count(const char *text, long lo, long *out)
{
    char *end;
    long v = strtol(text, &end, 10);
    if (end == text || *end || v < lo || v > 100000000L)
        return -1;
    *out = v;
    return 0;
}

/* Split a comma-separated list in place. */
static int split_faces(char *text, const char ***out)
{
    int n = 1;
    for (const char *p = text; *p; p++)
        n += *p == ',';
    const char **v = calloc((size_t)n, sizeof *v);
    if (!v)
        return -1;
    int k = 0;
    for (char *tok = strtok(text, ","); tok; tok = strtok(NULL, ","))
        v[k++] = tok;
    *out = v;
    return k;
}

int cmd_glyphs(int argc, char **argv)
{
    static const struct option opts[] = {
        { "range", required_argument, NULL, 'r' },   { "classes", required_argument, NULL, 'c' },
        { "per-class", required_argument, NULL, 'n' }, { "seed", required_argument, NULL, 's' },
        { "faces", required_argument, NULL, 'f' },   { "exclude", required_argument, NULL, 'x' },
        { "size", required_argument, NULL, 'p' },    { "output", required_argument, NULL, 'o' },
        { "help", no_argument, NULL, 'h' },          { NULL, 0, NULL, 0 },
    };
    vgg_glyph_opts o;
    vgg_glyph_opts_default(&o);
    const char *dir = NULL;
    char *faces_text = NULL;
    const char **faces = NULL;
    long v;
    int c;
    opterr = 0;   /* the messages are ours */
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case 'r': if (parse_range(optarg, &o.first, &o.last)) bad = "--range"; break;
        case 'c': if (parse_count(optarg, 0, &v)) bad = "--classes"; else o.n_classes = (int)v; break;
        case 'n': if (parse_count(optarg, 1, &v)) bad = "--per-class"; else o.per_class = (int)v; break;
        case 's': if (parse_count(optarg, 0, &v)) bad = "--seed"; else o.seed = (uint64_t)v; break;
        case 'p': if (parse_count(optarg, 8, &v)) bad = "--size"; else o.size = (int)v; break;
        case 'f': faces_text = optarg; break;
        case 'x': o.exclude = optarg; break;
        case 'o': dir = optarg; break;
        case 'h': usage(stdout); return 0;
        default:
            return vgg_cli_option_error("vggdata", "glyphs", argc, argv, "o:h", opts, usage);
        }
        if (bad) {
            fprintf(stderr, "vggdata glyphs: bad %s '%s'\n", bad, optarg);
            return 2;
        }
    }
    if (optind != argc || !dir) {
        fprintf(stderr, "vggdata glyphs: expected -o DIR and no other argument\n");
        usage(stderr);
        return 2;
    }
    if (faces_text) {
        int n = split_faces(faces_text, &faces);
        if (n < 1) {
            fprintf(stderr, "vggdata glyphs: bad --faces '%s'\n", faces_text);
            free(faces);
            return 2;
        }
        o.faces = faces;
        o.n_faces = n;
    }
    if (make_dirs("glyphs", dir) != 0) {
        free(faces);
        return 1;
    }
    vgg_glyph_report rep;
    vgg_status st = vgg_glyphs_render(&o, dir, &rep);
    free(faces);
    if (st != VGG_STATUS_OK) {
        fprintf(stderr, "vggdata glyphs: %s\n", vgg_last_error());
        return 1;
    }
    printf("vggdata glyphs: %zu classes x %d renders = %zu images from %zu faces -> %s "
           "(U+%04X-U+%04X: %zu faces covering under %.0f%% of it left out; %zu characters "
           "some face lacks left out, %zu excluded)\n",
           rep.classes, o.per_class, rep.images, rep.faces, dir, (unsigned)o.first,
           (unsigned)o.last, rep.faces_left_out, 100 * o.min_coverage, rep.uncovered,
           rep.excluded);
    return 0;
}
