/* libvggfeat: the public API (include/vgg/vggfeat.h) over the extractor
 * and the feature store.  A file is described exactly as one input of
 * `vggfeat extract` is (job.c's loader, then one net run of batch 1), so
 * that the rows are byte for byte the same. */
#include "vgg/extract.h"
#include "vgg/features.h"
#include "vgg/image.h"
#include "vgg/net.h"

/* after vgg/core.h: its status type and message functions are the API's */
#include "vgg/vggfeat.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Static_assert(VGGFEAT_VERSION_MAJOR == VGG_LIB_VERSION_MAJOR &&
                   VGGFEAT_VERSION_MINOR == VGG_LIB_VERSION_MINOR &&
                   VGGFEAT_VERSION_PATCH == VGG_LIB_VERSION_PATCH,
               "include/vgg/vggfeat.h's version is not the project's (CMakeLists.txt)");

const char *vgg_version(void)
{
    return VGG_LIB_VERSION_STRING;
}

/* ------------------------------------------------------------ options */

struct vgg_describer_opts {
    char *nets, *models, *device, *precision, *workspace;
    int threads;
    vgg_extract_opts eo;
};

vgg_status vgg_describer_opts_new(vgg_describer_opts **out)
{
    *out = NULL;
    vgg_describer_opts *o = calloc(1, sizeof *o);
    if (!o || !(o->nets = strdup("D")) || !(o->device = strdup("cpu"))) {
        vgg_describer_opts_free(o);
        return vgg_fail(VGG_STATUS_NOMEM, "describer options: out of memory");
    }
    vgg_extract_opts_default(&o->eo);
    *out = o;
    return VGG_STATUS_OK;
}

void vgg_describer_opts_free(vgg_describer_opts *o)
{
    if (!o)
        return;
    free(o->nets);
    free(o->models);
    free(o->device);
    free(o->precision);
    free(o->workspace);
    free(o);
}

/* name equals want, '_' matching '-' */
static bool name_is(const char *name, const char *want)
{
    for (; *name && *want; name++, want++)
        if (*name != *want && !(*name == '_' && *want == '-'))
            return false;
    return *name == *want;
}

static vgg_status set_string(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return vgg_fail(VGG_STATUS_NOMEM, "describer options: out of memory");
    free(*slot);
    *slot = copy;
    return VGG_STATUS_OK;
}

static vgg_status parse_bool(const char *name, const char *value, bool *out)
{
    static const char *const yes[] = { "yes", "true", "1", "on" };
    static const char *const no[] = { "no", "false", "0", "off" };
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcmp(value, yes[i]) == 0) {
            *out = true;
            return VGG_STATUS_OK;
        }
        if (strcmp(value, no[i]) == 0) {
            *out = false;
            return VGG_STATUS_OK;
        }
    }
    return vgg_fail(VGG_STATUS_INVALID, "option %s '%s': yes or no", name, value);
}

/* the parsing of `vggfeat extract`'s options of the same names */
static vgg_status set_one(vgg_describer_opts *o, const char *name, const char *value)
{
    vgg_extract_opts *eo = &o->eo;
    if (name_is(name, "nets")) {
        if (!*value)
            return vgg_fail(VGG_STATUS_INVALID, "option nets '': names no nets");
        return set_string(&o->nets, value);
    }
    if (name_is(name, "models"))
        return set_string(&o->models, value);
    if (name_is(name, "device"))
        return set_string(&o->device, value);
    if (name_is(name, "scales")) {
        vgg_extract_opts t = *eo;
        if (vgg_parse_int_list(value, t.scales, VGG_FEAT_MAX_SCALES, &t.n_scales) != VGG_STATUS_OK)
            return vgg_fail_context(VGG_STATUS_INVALID, "option scales: ");
        for (int s = 0; s < t.n_scales; s++)
            if (t.scales[s] > 100000)
                return vgg_fail(VGG_STATUS_INVALID, "option scales: %d is not a usable size",
                                t.scales[s]);
        *eo = t;
        return VGG_STATUS_OK;
    }
    if (name_is(name, "aggregate")) {
        if (strcmp(value, "stack") != 0 && strcmp(value, "average") != 0)
            return vgg_fail(VGG_STATUS_INVALID, "option aggregate '%s': stack or average", value);
        eo->aggregate = value[0] == 's' ? VGG_AGGREGATE_STACK : VGG_AGGREGATE_AVERAGE;
        return VGG_STATUS_OK;
    }
    if (name_is(name, "layer")) {
        vgg_output layer;
        if (vgg_extract_layer_parse(value, &layer) != VGG_STATUS_OK)
            return vgg_fail_context(VGG_STATUS_INVALID, "option ");
        eo->layer = layer;
        return VGG_STATUS_OK;
    }
    if (name_is(name, "flip"))
        return parse_bool("flip", value, &eo->flip);
    if (name_is(name, "with-image"))
        return parse_bool("with-image", value, &eo->with_image);
    if (name_is(name, "l2")) {
        if (strcmp(value, "final") == 0)
            eo->l2 = true, eo->l2_per_net = false;
        else if (strcmp(value, "per-net") == 0)
            eo->l2 = true, eo->l2_per_net = true;
        else if (strcmp(value, "none") == 0)
            eo->l2 = false, eo->l2_per_net = false;
        else
            return vgg_fail(VGG_STATUS_INVALID, "option l2 '%s': final, per-net or none", value);
        return VGG_STATUS_OK;
    }
    if (name_is(name, "precision") || name_is(name, "workspace")) {
        const bool prec = name_is(name, "precision");
        vgg_device_opts check;
        memset(&check, 0, sizeof check);
        if (vgg_device_opts_set(&check, prec ? "precision" : "workspace", value) != VGG_STATUS_OK)
            return VGG_STATUS_INVALID;
        return set_string(prec ? &o->precision : &o->workspace, value);
    }
    if (name_is(name, "alpha")) {
        if (vgg_alpha_mode_parse(value, &eo->alpha) != VGG_STATUS_OK)
            return vgg_fail(VGG_STATUS_INVALID, "option alpha '%s': drop or white", value);
        return VGG_STATUS_OK;
    }
    if (name_is(name, "max-input-pixels")) {
        char *end;
        errno = 0;
        long long v = strtoll(value, &end, 10);
        if (*end || end == value || errno || v < 1 || v > 2147483647LL)
            return vgg_fail(VGG_STATUS_INVALID, "option max-input-pixels '%s': a number of "
                            "pixels from 1 to 2147483647", value);
        eo->max_input_pixels = (size_t)v;
        return VGG_STATUS_OK;
    }
    if (name_is(name, "threads")) {
        char *end;
        long v = strtol(value, &end, 10);
        if (*end || end == value || v < 0 || v > 1024)
            return vgg_fail(VGG_STATUS_INVALID, "option threads '%s': a count from 0 (all cores) "
                            "to 1024", value);
        o->threads = (int)v;
        return VGG_STATUS_OK;
    }
    return vgg_fail(VGG_STATUS_INVALID, "option '%s': unknown (nets, models, scales, aggregate, "
                    "layer, flip, l2, with-image, alpha, max-input-pixels, device, precision, "
                    "workspace, threads)", name);
}

vgg_status vgg_describer_opts_set(vgg_describer_opts *o, const char *name, const char *value)
{
    if (!o || !name || !value)
        return vgg_fail(VGG_STATUS_INVALID, "describer options: NULL %s",
                        !o ? "options" : !name ? "name" : "value");
    return set_one(o, name, value);
}

/* ------------------------------------------------------------ describer */

struct vgg_describer {
    pthread_mutex_t run_lock;   /* the nets run one call at a time */
    vgg_extract_nets nets;
    vgg_extractor *ex;
    char *description;
};

vgg_status vgg_describer_open(const vgg_describer_opts *o, vgg_describer **out)
{
    if (!out)
        return vgg_fail(VGG_STATUS_INVALID, "describer: NULL out");
    *out = NULL;
    if (!o)
        return vgg_fail(VGG_STATUS_INVALID, "describer: NULL options");
    vgg_describer *d = calloc(1, sizeof *d);
    if (!d)
        return vgg_fail(VGG_STATUS_NOMEM, "describer: out of memory");
    if (pthread_mutex_init(&d->run_lock, NULL) != 0) {
        free(d);
        return vgg_fail(VGG_STATUS_NOMEM, "describer: cannot make a lock");
    }
    /* as `vggfeat extract`: the device options (environment, then the
     * options given), the nets, the extractor */
    vgg_device_opts dev;
    vgg_status st = vgg_device_opts_command(o->device, o->precision, o->workspace, false, &dev);
    if (st == VGG_STATUS_OK)
        st = vgg_extract_nets_open_opts(o->nets, o->models, o->device, o->threads, &dev,
                                        &d->nets);
    if (st == VGG_STATUS_OK)
        st = vgg_extractor_create(d->nets.nets, d->nets.names, d->nets.n, &o->eo, &d->ex);
    if (st == VGG_STATUS_OK)
        st = vgg_featdesc_to_json(vgg_extractor_desc(d->ex), &d->description);
    if (st != VGG_STATUS_OK) {
        vgg_describer_close(d);
        return st;
    }
    *out = d;
    return VGG_STATUS_OK;
}

void vgg_describer_close(vgg_describer *d)
{
    if (!d)
        return;
    vgg_extractor_free(d->ex);
    vgg_extract_nets_close(&d->nets);
    free(d->description);
    pthread_mutex_destroy(&d->run_lock);
    free(d);
}

int vgg_describer_dim(const vgg_describer *d)
{
    return d ? vgg_extractor_dim(d->ex) : 0;
}

const char *vgg_describer_description(const vgg_describer *d)
{
    return d ? d->description : NULL;
}

/* box[4] -> vgg_box (NULL stays NULL) */
static const vgg_box *box_of(const int *box, vgg_box *b)
{
    if (!box)
        return NULL;
    *b = (vgg_box){ box[0], box[1], box[2], box[3] };
    return b;
}

/* img (whose messages say name) prepared and run: the loader's checks
 * of job.c (every scale on the whole image, then the box) */
static vgg_status describe_image(vgg_describer *d, const vgg_image *img, const char *name,
                                 const int *box, float *out)
{
    /* the resized sizes within the budget (a box's are checked by
     * prepare), as job.c's loader does */
    vgg_status st = VGG_STATUS_OK;
    if (!box)
        st = vgg_extractor_check_size(d->ex, name, img->w, img->h);
    vgg_prepared *prep = NULL;
    vgg_box b;
    if (st == VGG_STATUS_OK) {
        st = vgg_extractor_prepare_box(d->ex, img, box_of(box, &b), &prep);
        if (st != VGG_STATUS_OK && box)
            vgg_fail_context(st, "'%s': ", name);
    }
    if (st == VGG_STATUS_OK) {
        pthread_mutex_lock(&d->run_lock);
        st = vgg_extractor_run(d->ex, &prep, 1, 1, out);
        pthread_mutex_unlock(&d->run_lock);
        if (st != VGG_STATUS_OK)
            vgg_fail_context(st, "'%s': ", name);
    }
    vgg_prepared_free(prep);
    return st;
}

vgg_status vgg_describer_file(vgg_describer *d, const char *path, const int *box, float *out)
{
    if (!d || !path || !out)
        return vgg_fail(VGG_STATUS_INVALID, "describer: NULL %s",
                        !d ? "describer" : !path ? "path" : "output");
    vgg_decode_opts dopts;
    vgg_extractor_decode_opts(d->ex, &dopts);
    vgg_image *img = NULL;
    vgg_status st = vgg_image_load(path, &dopts, &img);
    if (st == VGG_STATUS_OK)
        st = describe_image(d, img, path, box, out);
    vgg_image_free(img);
    return st;
}

vgg_status vgg_describer_pixels(vgg_describer *d, const uint8_t *pixels, int w, int h,
                                size_t stride, vgg_pixel_format format, const int *box,
                                float *out)
{
    if (!d || !pixels || !out)
        return vgg_fail(VGG_STATUS_INVALID, "describer: NULL %s",
                        !d ? "describer" : !pixels ? "pixels" : "output");
    /* messages name the buffer by its size, as a file's name its path */
    char name[64];
    snprintf(name, sizeof name, "%dx%d pixel buffer", w, h);
    size_t bpp;
    switch (format) {
    case VGG_PIXEL_RGB: case VGG_PIXEL_BGR: bpp = 3; break;
    case VGG_PIXEL_GRAY: bpp = 1; break;
    default:
        return vgg_fail(VGG_STATUS_INVALID, "'%s': unknown pixel format %d (RGB 0, BGR 1, "
                        "GRAY 2)", name, (int)format);
    }
    if (w < 1 || h < 1)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': both sides must be 1 or more", name);
    if (stride < (size_t)w * bpp)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': a row takes %zu bytes, more than the stride "
                        "%zu", name, (size_t)w * bpp, stride);
    if ((size_t)w * (size_t)h > VGG_IMAGE_MAX_PIXELS)
        return vgg_fail(VGG_STATUS_TOO_LARGE, "'%s': over the limit of %zu pixels", name,
                        VGG_IMAGE_MAX_PIXELS);
    vgg_image *img = NULL;
    vgg_status st = vgg_image_new(w, h, &img);
    if (st != VGG_STATUS_OK)
        return vgg_fail_context(st, "'%s': ", name);
    for (int y = 0; y < h; y++) {
        const uint8_t *src = pixels + (size_t)y * stride;
        uint8_t *dst = img->px + (size_t)y * w * 3;
        if (format == VGG_PIXEL_RGB)
            memcpy(dst, src, (size_t)w * 3);
        else if (format == VGG_PIXEL_BGR)
            for (int x = 0; x < w; x++) {
                dst[3 * x] = src[3 * x + 2];
                dst[3 * x + 1] = src[3 * x + 1];
                dst[3 * x + 2] = src[3 * x];
            }
        else
            for (int x = 0; x < w; x++)
                dst[3 * x] = dst[3 * x + 1] = dst[3 * x + 2] = src[x];
    }
    st = describe_image(d, img, name, box, out);
    vgg_image_free(img);
    return st;
}

/* ------------------------------------------------------------ stores */

struct vgg_store {
    vgg_featstore *fs;
    char *description;
    size_t stride;
};

vgg_status vgg_store_open(const char *path, vgg_store **out)
{
    if (!out)
        return vgg_fail(VGG_STATUS_INVALID, "store: NULL out");
    *out = NULL;
    if (!path)
        return vgg_fail(VGG_STATUS_INVALID, "store: NULL path");
    vgg_store *s = calloc(1, sizeof *s);
    if (!s)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    vgg_status st = vgg_featstore_open(path, &s->fs);
    if (st == VGG_STATUS_OK)
        st = vgg_featdesc_to_json(vgg_featstore_desc(s->fs), &s->description);
    if (st != VGG_STATUS_OK) {
        vgg_store_close(s);
        return st;
    }
    /* the record of docs/feature-store.md: 16 bytes, the name and label
     * slots, the floats */
    vgg_featlayout lay;
    vgg_featstore_layout(s->fs, &lay);
    s->stride = 16 + (size_t)lay.name_bytes + (size_t)lay.label_bytes +
                sizeof(float) * (size_t)vgg_featstore_dim(s->fs);
    *out = s;
    return VGG_STATUS_OK;
}

void vgg_store_close(vgg_store *s)
{
    if (!s)
        return;
    vgg_featstore_close(s->fs);
    free(s->description);
    free(s);
}

size_t vgg_store_rows(const vgg_store *s) { return s ? vgg_featstore_rows(s->fs) : 0; }
int vgg_store_dim(const vgg_store *s) { return s ? vgg_featstore_dim(s->fs) : 0; }
size_t vgg_store_row_stride(const vgg_store *s) { return s ? s->stride : 0; }
const char *vgg_store_description(const vgg_store *s) { return s ? s->description : NULL; }

static bool has_row(const vgg_store *s, size_t r)
{
    return s && r < vgg_featstore_rows(s->fs);
}

const float *vgg_store_row(const vgg_store *s, size_t r)
{
    return has_row(s, r) ? vgg_featstore_row(s->fs, r) : NULL;
}

const char *vgg_store_name(const vgg_store *s, size_t r)
{
    return has_row(s, r) ? vgg_featstore_name(s->fs, r) : NULL;
}

const char *vgg_store_label(const vgg_store *s, size_t r)
{
    return has_row(s, r) ? vgg_featstore_label(s->fs, r) : NULL;
}

uint64_t vgg_store_index(const vgg_store *s, size_t r)
{
    return has_row(s, r) ? vgg_featstore_index(s->fs, r) : 0;
}
