/* The feature store's description: comparison and JSON. */
#include "vgg/features.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shards.h"

static void join_ints(const int *v, int n, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < n && at < cap; i++) {
        int k = snprintf(buf + at, cap - at, "%s%d", i ? "," : "", v[i]);
        if (k < 0)
            break;
        at += (size_t)k;
    }
}

static void join_nets(const vgg_featdesc *d, char *buf, size_t cap)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int i = 0; i < d->n_nets && at < cap; i++) {
        int k = snprintf(buf + at, cap - at, "%s%s (%.12s)", i ? "," : "", d->net_configs[i],
                         d->net_digests[i]);
        if (k < 0)
            break;
        at += (size_t)k;
    }
}

bool vgg_featdesc_equal(const vgg_featdesc *a, const vgg_featdesc *b, char *why, size_t n)
{
    char x[512], y[512];
    if (!why || n == 0) {
        static char scratch[8];
        why = scratch;
        n = 1;
    }
    why[0] = '\0';
    bool nets_same = a->n_nets == b->n_nets;
    for (int i = 0; nets_same && i < a->n_nets; i++)
        nets_same = strcmp(a->net_digests[i], b->net_digests[i]) == 0 &&
                    strcmp(a->net_configs[i], b->net_configs[i]) == 0;
    if (!nets_same) {
        join_nets(a, x, sizeof x);
        join_nets(b, y, sizeof y);
        snprintf(why, n, "nets differ: %s vs %s", x, y);
        return false;
    }
    bool scales_same = a->n_scales == b->n_scales;
    for (int i = 0; scales_same && i < a->n_scales; i++)
        scales_same = a->scales[i] == b->scales[i];
    if (!scales_same) {
        join_ints(a->scales, a->n_scales, x, sizeof x);
        join_ints(b->scales, b->n_scales, y, sizeof y);
        snprintf(why, n, "scales differ: %s vs %s", x, y);
        return false;
    }
    if (strcmp(a->aggregate, b->aggregate) != 0) {
        snprintf(why, n, "aggregation differs: %s vs %s", a->aggregate, b->aggregate);
        return false;
    }
    if (strcmp(a->layer, b->layer) != 0) {
        snprintf(why, n, "layer differs: %s vs %s", a->layer, b->layer);
        return false;
    }
    if (a->flip != b->flip) {
        snprintf(why, n, "flip differs: %s vs %s", a->flip ? "on" : "off", b->flip ? "on" : "off");
        return false;
    }
    if (a->l2 != b->l2) {
        snprintf(why, n, "L2 normalisation differs: %s vs %s", a->l2 ? "on" : "off",
                 b->l2 ? "on" : "off");
        return false;
    }
    if (a->l2_per_net != b->l2_per_net) {
        snprintf(why, n, "L2 per net differs: %s vs %s", a->l2_per_net ? "on" : "off",
                 b->l2_per_net ? "on" : "off");
        return false;
    }
    if (strcmp(a->region, b->region) != 0) {
        snprintf(why, n, "region differs: %s vs %s", *a->region ? a->region : "image",
                 *b->region ? b->region : "image");
        return false;
    }
    if (a->alpha_white != b->alpha_white) {
        snprintf(why, n, "transparency differs: %s vs %s (--alpha)",
                 a->alpha_white ? "white" : "drop", b->alpha_white ? "white" : "drop");
        return false;
    }
    /* not recorded ("") is any precision but int8, which came with the key */
    const bool prec_same = strcmp(a->precision, b->precision) == 0 ||
                           (!*a->precision && strcmp(b->precision, "int8") != 0) ||
                           (!*b->precision && strcmp(a->precision, "int8") != 0);
    if (!prec_same) {
        snprintf(why, n, "precision differs: %s vs %s (--precision)",
                 *a->precision ? a->precision : "not recorded",
                 *b->precision ? b->precision : "not recorded");
        return false;
    }
    if (a->dim != b->dim) {
        snprintf(why, n, "dimension differs: %d vs %d", a->dim, b->dim);
        return false;
    }
    return true;
}

void vgg_featdesc_forget_list(vgg_featdesc *d)
{
    memset(d->list_digest, 0, sizeof d->list_digest);
    memset(d->shards, 0, sizeof d->shards);
    d->list_inputs = 0;
    d->shard_n = 0;
}

vgg_status vgg_featdesc_to_json(const vgg_featdesc *d, char **out)
{
    *out = NULL;
    json_object *o = json_object_new_object();
    if (!o)
        return vgg_fail(VGG_STATUS_NOMEM, "feature description: out of memory");
    json_object_object_add(o, "dim", json_object_new_int(d->dim));
    json_object *nets = json_object_new_array();
    for (int i = 0; i < d->n_nets; i++) {
        json_object *net = json_object_new_object();
        json_object_object_add(net, "name", json_object_new_string(d->net_names[i]));
        json_object_object_add(net, "config", json_object_new_string(d->net_configs[i]));
        json_object_object_add(net, "digest", json_object_new_string(d->net_digests[i]));
        json_object_array_add(nets, net);
    }
    json_object_object_add(o, "nets", nets);
    json_object *scales = json_object_new_array();
    for (int i = 0; i < d->n_scales; i++)
        json_object_array_add(scales, json_object_new_int(d->scales[i]));
    json_object_object_add(o, "scales", scales);
    json_object_object_add(o, "aggregate", json_object_new_string(d->aggregate));
    json_object_object_add(o, "layer", json_object_new_string(d->layer));
    json_object_object_add(o, "flip", json_object_new_boolean(d->flip));
    json_object_object_add(o, "l2", json_object_new_boolean(d->l2));
    /* written only when on: older readers ignore unknown keys, and stores
     * made without it stay byte for byte what they were */
    if (d->l2_per_net)
        json_object_object_add(o, "l2_per_net", json_object_new_boolean(true));
    /* the same for rows of boxes: written only for them */
    if (*d->region)
        json_object_object_add(o, "region", json_object_new_string(d->region));
    /* always written: without it a store reads as made on white, as every
     * store was before the key existed */
    json_object_object_add(o, "alpha", json_object_new_string(d->alpha_white ? "white" : "drop"));
    /* where recorded (every store of vggfeat extract since the key exists) */
    if (*d->precision)
        json_object_object_add(o, "precision", json_object_new_string(d->precision));
    json_object_object_add(o, "version", json_object_new_string(d->version));
    /* the input list, where recorded (after the settings: a store without
     * it stays byte for byte what it was) */
    if (d->shard_n > 0) {
        json_object *l = json_object_new_object();
        json_object_object_add(l, "sha256", json_object_new_string(d->list_digest));
        json_object_object_add(l, "inputs", json_object_new_int64((int64_t)d->list_inputs));
        if (d->shard_n > 1) {
            json_object_object_add(l, "shards", json_object_new_string(d->shards));
            json_object_object_add(l, "of", json_object_new_int(d->shard_n));
        }
        json_object_object_add(o, "list", l);
    }
    const char *s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
    char *copy = s ? strdup(s) : NULL;
    json_object_put(o);
    if (!copy)
        return vgg_fail(VGG_STATUS_NOMEM, "feature description: out of memory");
    *out = copy;
    return VGG_STATUS_OK;
}

static vgg_status get_string(json_object *o, const char *key, char *dst, size_t cap)
{
    json_object *v;
    if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
        return vgg_fail(VGG_STATUS_FORMAT, "feature description: '%s' missing or not a string",
                        key);
    const char *s = json_object_get_string(v);
    if (strlen(s) >= cap)
        return vgg_fail(VGG_STATUS_FORMAT, "feature description: '%s' is too long", key);
    strcpy(dst, s);
    return VGG_STATUS_OK;
}

/* dim and nets of the description object o into d */
static vgg_status read_nets(json_object *o, vgg_featdesc *d)
{
    json_object *v;
    if (!json_object_object_get_ex(o, "dim", &v) || !json_object_is_type(v, json_type_int) ||
        json_object_get_int64(v) <= 0 || json_object_get_int64(v) > (1 << 28))
        return vgg_fail(VGG_STATUS_FORMAT, "feature description: 'dim' missing or out of range");
    d->dim = (int)json_object_get_int64(v);
    /* raw-pixel features (layer "pixels") are the one kind made by no net */
    json_object *layer_v;
    const size_t min_nets =
        json_object_object_get_ex(o, "layer", &layer_v) &&
                json_object_is_type(layer_v, json_type_string) &&
                strcmp(json_object_get_string(layer_v), "pixels") == 0
            ? 0 : 1;
    if (!json_object_object_get_ex(o, "nets", &v) || !json_object_is_type(v, json_type_array) ||
        json_object_array_length(v) < min_nets || json_object_array_length(v) > VGG_FEAT_MAX_NETS)
        return vgg_fail(VGG_STATUS_FORMAT, "feature description: 'nets' missing or of bad length");
    d->n_nets = (int)json_object_array_length(v);
    vgg_status st = VGG_STATUS_OK;
    for (int i = 0; i < d->n_nets && st == VGG_STATUS_OK; i++) {
        json_object *net = json_object_array_get_idx(v, (size_t)i);
        if (!json_object_is_type(net, json_type_object))
            return vgg_fail(VGG_STATUS_FORMAT, "feature description: net %d is not an object", i);
        st = get_string(net, "name", d->net_names[i], sizeof d->net_names[i]);
        if (st == VGG_STATUS_OK)
            st = get_string(net, "config", d->net_configs[i], sizeof d->net_configs[i]);
        if (st == VGG_STATUS_OK)
            st = get_string(net, "digest", d->net_digests[i], sizeof d->net_digests[i]);
    }
    return st;
}

static vgg_status read_scales(json_object *o, vgg_featdesc *d)
{
    json_object *v;
    if (!json_object_object_get_ex(o, "scales", &v) || !json_object_is_type(v, json_type_array) ||
        json_object_array_length(v) < 1 || json_object_array_length(v) > VGG_FEAT_MAX_SCALES)
        return vgg_fail(VGG_STATUS_FORMAT,
                        "feature description: 'scales' missing or of bad length");
    d->n_scales = (int)json_object_array_length(v);
    for (int i = 0; i < d->n_scales; i++) {
        json_object *q = json_object_array_get_idx(v, (size_t)i);
        if (!json_object_is_type(q, json_type_int) || json_object_get_int64(q) <= 0 ||
            json_object_get_int64(q) > 1000000)
            return vgg_fail(VGG_STATUS_FORMAT, "feature description: scale %d is not a positive "
                                               "integer", i);
        d->scales[i] = (int)json_object_get_int64(q);
    }
    return VGG_STATUS_OK;
}

/* flip, l2 and the keys that may be missing: l2_per_net, region, alpha */
static vgg_status read_flags(json_object *o, vgg_featdesc *d)
{
    json_object *v;
    if (!json_object_object_get_ex(o, "flip", &v) || !json_object_is_type(v, json_type_boolean))
        return vgg_fail(VGG_STATUS_FORMAT, "feature description: 'flip' missing or not a boolean");
    d->flip = json_object_get_boolean(v);
    if (!json_object_object_get_ex(o, "l2", &v) || !json_object_is_type(v, json_type_boolean))
        return vgg_fail(VGG_STATUS_FORMAT, "feature description: 'l2' missing or not a boolean");
    d->l2 = json_object_get_boolean(v);
    if (json_object_object_get_ex(o, "l2_per_net", &v)) {
        if (!json_object_is_type(v, json_type_boolean))
            return vgg_fail(VGG_STATUS_FORMAT,
                            "feature description: 'l2_per_net' is not a boolean");
        d->l2_per_net = json_object_get_boolean(v);
    }
    if (json_object_object_get_ex(o, "region", &v)) {
        const char *r = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
        if (strcmp(r, "box") != 0 && strcmp(r, "box+image") != 0)
            return vgg_fail(VGG_STATUS_FORMAT, "feature description: 'region' is not \"box\" or "
                            "\"box+image\"");
        snprintf(d->region, sizeof d->region, "%s", r);
    }
    d->alpha_white = true;  /* stores from before the key: composed on white */
    if (json_object_object_get_ex(o, "alpha", &v)) {
        const char *a = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
        if (strcmp(a, "drop") != 0 && strcmp(a, "white") != 0)
            return vgg_fail(VGG_STATUS_FORMAT, "feature description: 'alpha' is not \"drop\" or "
                            "\"white\"");
        d->alpha_white = a[0] == 'w';
    }
    if (json_object_object_get_ex(o, "precision", &v)) {
        const char *p = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "";
        if (strcmp(p, "fp32") != 0 && strcmp(p, "tf32") != 0 && strcmp(p, "bf16") != 0 &&
            strcmp(p, "int8") != 0)
            return vgg_fail(VGG_STATUS_FORMAT, "feature description: 'precision' is not \"fp32\", "
                            "\"tf32\", \"bf16\" or \"int8\"");
        snprintf(d->precision, sizeof d->precision, "%s", p);
    }
    return VGG_STATUS_OK;
}

/* "list" (present only where vggfeat extract recorded it): sha256, inputs,
 * and for a shard "shards" of "of" */
static vgg_status read_list(json_object *o, vgg_featdesc *d)
{
    json_object *l, *v = NULL;
    if (!json_object_object_get_ex(o, "list", &l))
        return VGG_STATUS_OK;
    const char *bad = NULL;
    if (!json_object_is_type(l, json_type_object))
        bad = "not an object";
    else if (get_string(l, "sha256", d->list_digest, sizeof d->list_digest) != VGG_STATUS_OK ||
             strlen(d->list_digest) != 64 || strspn(d->list_digest, "0123456789abcdef") != 64)
        bad = "'sha256' is not 64 hexadecimal digits";
    else if (!json_object_object_get_ex(l, "inputs", &v) || !json_object_is_type(v, json_type_int) ||
             json_object_get_int64(v) < 0)
        bad = "'inputs' is not a count";
    if (bad)
        return vgg_fail(VGG_STATUS_FORMAT, "feature description: 'list': %s", bad);
    d->list_inputs = (uint64_t)json_object_get_int64(v);
    d->shard_n = 1;
    json_object *of, *sh;
    bool has_of = json_object_object_get_ex(l, "of", &of);
    bool has_shards = json_object_object_get_ex(l, "shards", &sh);
    if (!has_of && !has_shards)
        return VGG_STATUS_OK;
    shard_span *spans = NULL;
    size_t count = 0;
    if (!has_of || !json_object_is_type(of, json_type_int) || json_object_get_int64(of) < 2 ||
        json_object_get_int64(of) > INT_MAX)
        bad = "'of' is not a number of shards (2 or more)";
    else if (!has_shards || !json_object_is_type(sh, json_type_string) ||
             strlen(json_object_get_string(sh)) >= sizeof d->shards ||
             !shards_parse(json_object_get_string(sh), (int)json_object_get_int64(of), &spans,
                           &count))
        bad = "'shards' is not a list of shards below 'of' (\"1\", \"0-1,3\")";
    free(spans);
    if (bad)
        return vgg_fail(VGG_STATUS_FORMAT, "feature description: 'list': %s", bad);
    d->shard_n = (int)json_object_get_int64(of);
    snprintf(d->shards, sizeof d->shards, "%s", json_object_get_string(sh));
    return VGG_STATUS_OK;
}

vgg_status vgg_featdesc_from_json(const char *json, vgg_featdesc *d)
{
    memset(d, 0, sizeof *d);
    json_tokener *tok = json_tokener_new();
    if (!tok)
        return vgg_fail(VGG_STATUS_NOMEM, "feature description: out of memory");
    json_object *o = json_tokener_parse_ex(tok, json, (int)strlen(json));
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    json_tokener_free(tok);
    if (!o || jerr != json_tokener_success) {
        json_object_put(o);
        return vgg_fail(VGG_STATUS_FORMAT, "feature description: not valid JSON");
    }
    vgg_status st = VGG_STATUS_OK;
    if (!json_object_is_type(o, json_type_object))
        st = vgg_fail(VGG_STATUS_FORMAT, "feature description: not a JSON object");
    if (st == VGG_STATUS_OK)
        st = read_nets(o, d);
    if (st == VGG_STATUS_OK)
        st = read_scales(o, d);
    if (st == VGG_STATUS_OK)
        st = get_string(o, "aggregate", d->aggregate, sizeof d->aggregate);
    if (st == VGG_STATUS_OK)
        st = get_string(o, "layer", d->layer, sizeof d->layer);
    if (st == VGG_STATUS_OK)
        st = get_string(o, "version", d->version, sizeof d->version);
    if (st == VGG_STATUS_OK)
        st = read_flags(o, d);
    if (st == VGG_STATUS_OK)
        st = read_list(o, d);
    json_object_put(o);
    if (st != VGG_STATUS_OK)
        memset(d, 0, sizeof *d);
    return st;
}
