/* The nets of an extraction: --net entries resolved in the models folder
 * and loaded on one backend. */
#include "vgg/extract.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vgg/paths.h"

static const struct { const char *letter, *file; } net_files[] = {
    { "A", "vgg11" }, { "B", "vgg13" }, { "C", "vgg16c" }, { "D", "vgg16" }, { "E", "vgg19" },
};

static const char *net_file_for(const char *name)
{
    for (size_t i = 0; i < sizeof net_files / sizeof net_files[0]; i++)
        if (strcasecmp(name, net_files[i].letter) == 0 || strcmp(name, net_files[i].file) == 0)
            return net_files[i].file;
    return NULL;
}

/* path for a --net entry (malloc'd into *out) */
static vgg_status resolve_net(const char *entry, const char *models, const char *models_from,
                              char **out)
{
    *out = NULL;
    const char *file = net_file_for(entry);
    if (!file) {
        if (strchr(entry, '/') || strchr(entry, '.'))
            *out = strdup(entry);
        else
            return vgg_fail(VGG_STATUS_INVALID,
                            "--net '%s': not a configuration letter (A, B, C, D, E) or a "
                            "weights file", entry);
        return *out ? VGG_STATUS_OK : vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    }
    size_t n = strlen(models) + strlen(file) + 16;
    char *p = malloc(n);
    if (!p)
        return vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    snprintf(p, n, "%s/%s.safetensors", models, file);
    if (access(p, F_OK) != 0) {
        vgg_status st = vgg_fail(VGG_STATUS_NOT_FOUND,
                "net '%s': no weights file '%s' (models folder %s).\n"
                "  Put the weights there: convert the Oxford Caffe release with\n"
                "    vggfeat convert VGG_ILSVRC_%s_layers.caffemodel -o %s\n"
                "  or save torchvision's %s weights as safetensors under that name; or point\n"
                "  --models or $VGGFEAT_MODELS at the folder that holds them, or give --net PATH.",
                entry, p, models_from, strcmp(file, "vgg19") == 0 ? "19" : "16", p, file);
        free(p);
        return st;
    }
    *out = p;
    return VGG_STATUS_OK;
}

/* true when [p, end) names a file that exists (not a directory) */
static bool names_file(char *p, char *end)
{
    char keep = *end;
    *end = 0;
    struct stat sb;
    bool is = stat(p, &sb) == 0 && !S_ISDIR(sb.st_mode);
    *end = keep;
    return is;
}

/* The next --net entry of the list at *p, cut off in place; *p moves past
 * it (NULL at the end).  Entries are split at commas, except that a run
 * of entries that, joined by their commas, names an existing file is one
 * entry: a weights path may hold commas (the longest such run wins). */
static char *next_entry(char **p)
{
    char *s = *p;
    char *first = strchr(s, ',');
    char *end = first ? first : s + strlen(s);
    if (first) {
        /* candidates longest first: the whole rest, then back comma by comma */
        for (char *c = s + strlen(s); c > first;) {
            if (names_file(s, c)) {
                end = c;
                break;
            }
            do
                c--;
            while (c > first && *c != ',');
        }
    }
    *p = *end ? end + 1 : NULL;
    *end = 0;
    return s;
}

static vgg_status load_nets(vgg_extract_nets *o, const char *models, const char *models_from)
{
    for (char *rest = o->list, *tok; rest && (tok = next_entry(&rest)) != NULL;) {
        if (!*tok)
            continue;   /* "D,,E" or a trailing comma, as before */
        if (o->n == VGG_FEAT_MAX_NETS)
            return vgg_fail(VGG_STATUS_INVALID, "at most %d nets", VGG_FEAT_MAX_NETS);
        o->names[o->n] = tok;
        vgg_status st = resolve_net(tok, models, models_from, &o->paths[o->n]);
        if (st != VGG_STATUS_OK)
            return st;
        st = vgg_net_load(o->paths[o->n], o->be, &o->nets[o->n]);
        o->n++;
        if (st != VGG_STATUS_OK)
            return vgg_fail_context(st, "net '%s': ", tok);
    }
    if (o->n == 0)
        return vgg_fail(VGG_STATUS_INVALID, "--net names no nets");
    return VGG_STATUS_OK;
}

vgg_status vgg_extract_nets_open(const char *net_list, const char *models, const char *device,
                                 int threads, vgg_extract_nets *out)
{
    return vgg_extract_nets_open_opts(net_list, models, device, threads, NULL, out);
}

vgg_status vgg_extract_nets_open_opts(const char *net_list, const char *models, const char *device,
                                      int threads, const vgg_device_opts *dev,
                                      vgg_extract_nets *out)
{
    memset(out, 0, sizeof *out);
    const char *models_from = "from --models";
    char installed[4096];
    if (!models) {
        models = getenv("VGGFEAT_MODELS");
        models_from = "from $VGGFEAT_MODELS";
        if (!models || !*models) {
            models = "models";
            models_from = "the default ./models; set --models or $VGGFEAT_MODELS";
            /* no ./models here: an installed vggfeat's <prefix>/share/vggfeat/models */
            const char *data = vgg_data_dir();
            if (access("models", F_OK) != 0 && data &&
                snprintf(installed, sizeof installed, "%s/models", data) < (int)sizeof installed) {
                models = installed;
                models_from = "installed with vggfeat, as there is no ./models; set --models or "
                              "$VGGFEAT_MODELS";
            }
        }
    }
    vgg_status st = dev ? vgg_backend_open_opts(device, threads, dev, &out->be)
                        : vgg_backend_open(device, threads, &out->be);
    if (st != VGG_STATUS_OK)
        return vgg_fail_context(st, "--device %s: ", device);
    out->list = strdup(net_list);
    st = out->list ? load_nets(out, models, models_from) : vgg_fail(VGG_STATUS_NOMEM, "out of memory");
    if (st != VGG_STATUS_OK)
        vgg_extract_nets_close(out);
    return st;
}

void vgg_extract_nets_close(vgg_extract_nets *n)
{
    for (int j = 0; j < VGG_FEAT_MAX_NETS; j++) {
        vgg_net_free(n->nets[j]);
        free(n->paths[j]);
    }
    vgg_backend_close(n->be);
    free(n->list);
    memset(n, 0, sizeof *n);
}
