/* Caffe .caffemodel reader (protobuf wire format over a memory map) and its
 * conversion to vggfeat safetensors.  See vgg/caffe.h.
 *
 * Wire format: a message is a sequence of (tag, value) pairs; tag is a
 * varint (field << 3 | wire type); wire types 0 varint, 1 eight bytes,
 * 2 length-delimited (varint length, then bytes), 3/4 start/end group,
 * 5 four bytes.  Packed repeated fields are one length-delimited value.
 */
#include "vgg/caffe.h"

#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_GROUP_DEPTH 64
#define MAX_BLOB_AXES 8

struct vgg_caffe_model {
    char *name;            /* file name, for messages */
    char *net_name;
    vgg_mapped map;        /* when opened from a file */
    vgg_caffe_form form;
    int n_layers, cap_layers;
    vgg_caffe_layer *layers;   /* blobs arrays owned (freed at close) */
    void **allocs;             /* names, type strings, copied data */
    size_t n_allocs, cap_allocs;
};

/* ------------------------------------------------------------------ */
/* Messages                                                            */
/* ------------------------------------------------------------------ */

typedef struct pctx {
    vgg_caffe_model *m;
    const uint8_t *base;       /* start of the file, for byte offsets */
    int layer;                 /* index of the layer being read, -1 at top level */
    char layer_name[80];       /* its name if known (for messages) */
    int blob;                  /* index of the blob being read, -1 outside */
} pctx;

static vgg_status perr(const pctx *c, const uint8_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static vgg_status perr(const pctx *c, const uint8_t *at, const char *fmt, ...)
{
    char what[320];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    char where[200] = "";
    if (c->layer >= 0) {
        int n;
        if (c->layer_name[0])
            n = snprintf(where, sizeof where, "layer %d '%s'", c->layer, c->layer_name);
        else
            n = snprintf(where, sizeof where, "layer %d (no name)", c->layer);
        if (c->blob >= 0 && n > 0 && (size_t)n < sizeof where)
            snprintf(where + n, sizeof where - n, ", blob %d", c->blob);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': %s: %s (at byte %zu)", c->m->name, where, what,
                        (size_t)(at - c->base));
    }
    if (c->m->n_layers == 0)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': not a caffemodel: %s (at byte %zu)", c->m->name,
                        what, (size_t)(at - c->base));
    return vgg_fail(VGG_STATUS_FORMAT, "'%s': %s (at byte %zu)", c->m->name, what,
                    (size_t)(at - c->base));
}

/* ------------------------------------------------------------------ */
/* Wire-format primitives                                              */
/* ------------------------------------------------------------------ */

typedef struct cur {
    const uint8_t *p, *end;
} cur;

enum { VI_OK = 0, VI_TRUNCATED, VI_TOO_LONG };

static int get_varint(cur *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int i = 0; i < 10; i++) {
        if (r->p >= r->end)
            return VI_TRUNCATED;
        uint8_t b = *r->p++;
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return VI_OK;
        }
    }
    return VI_TOO_LONG;
}

static const char *wire_name(int wt)
{
    static const char *const names[8] = {"varint",      "64-bit",    "length-delimited",
                                         "start-group", "end-group", "32-bit",
                                         "invalid (6)", "invalid (7)"};
    return names[wt & 7];
}

static vgg_status varint_err(const pctx *c, const uint8_t *at, int rc, const char *what)
{
    if (rc == VI_TRUNCATED)
        return perr(c, at, "truncated varint (%s): the data ends in the middle of it", what);
    return perr(c, at, "varint (%s) longer than 10 bytes", what);
}

/* Read a tag; field numbers 1 .. 2^29 - 1 only. */
static vgg_status get_tag(const pctx *c, cur *r, uint32_t *field, int *wt)
{
    const uint8_t *at = r->p;
    uint64_t tag;
    int rc = get_varint(r, &tag);
    if (rc != VI_OK)
        return varint_err(c, at, rc, "field tag");
    uint64_t f = tag >> 3;
    *wt = (int)(tag & 7);
    if (f == 0 || f > 0x1fffffffu)
        return perr(c, at, "invalid field number %" PRIu64, f);
    *field = (uint32_t)f;
    if (*wt == 6 || *wt == 7)
        return perr(c, at, "field %u has invalid wire type %d", *field, *wt);
    return VGG_STATUS_OK;
}

/* A length-delimited value: *sub is its bytes. */
static vgg_status get_bytes(const pctx *c, cur *r, uint32_t field, const char *container,
                            cur *sub)
{
    const uint8_t *at = r->p;
    uint64_t len;
    int rc = get_varint(r, &len);
    if (rc != VI_OK)
        return varint_err(c, at, rc, "length");
    size_t left = (size_t)(r->end - r->p);
    if (len > left)
        return perr(c, at, "field %u: length %" PRIu64 " runs past the end of the %s (%zu bytes left)",
                    field, len, container, left);
    sub->p = r->p;
    sub->end = r->p + len;
    r->p += len;
    return VGG_STATUS_OK;
}

static vgg_status skip_field(const pctx *c, cur *r, uint32_t field, int wt, int depth,
                             const char *container)
{
    const uint8_t *at = r->p;
    switch (wt) {
    case 0: {
        uint64_t v;
        int rc = get_varint(r, &v);
        return rc == VI_OK ? VGG_STATUS_OK : varint_err(c, at, rc, "value");
    }
    case 1:
    case 5: {
        size_t n = wt == 1 ? 8 : 4;
        if ((size_t)(r->end - r->p) < n)
            return perr(c, at, "field %u: %zu-byte value runs past the end of the %s", field, n,
                        container);
        r->p += n;
        return VGG_STATUS_OK;
    }
    case 2: {
        cur sub;
        return get_bytes(c, r, field, container, &sub);
    }
    case 3:
        if (depth >= MAX_GROUP_DEPTH)
            return perr(c, at, "groups nested more than %d deep", MAX_GROUP_DEPTH);
        for (;;) {
            if (r->p >= r->end)
                return perr(c, at, "group %u has no end-group tag before the end of the %s", field,
                            container);
            uint32_t f;
            int w;
            vgg_status st = get_tag(c, r, &f, &w);
            if (st != VGG_STATUS_OK)
                return st;
            if (w == 4) {
                if (f != field)
                    return perr(c, at, "group %u closed by end-group tag of field %u", field, f);
                return VGG_STATUS_OK;
            }
            st = skip_field(c, r, f, w, depth + 1, container);
            if (st != VGG_STATUS_OK)
                return st;
        }
    case 4:
        return perr(c, at, "end-group tag of field %u without a matching start-group", field);
    default:
        return perr(c, at, "field %u has invalid wire type %d", field, wt);
    }
}

static vgg_status expect_wt(const pctx *c, const uint8_t *at, uint32_t field, const char *fname,
                            int wt, int want)
{
    if (wt == want)
        return VGG_STATUS_OK;
    return perr(c, at, "field %u (%s) has wire type %d (%s), expected %d (%s)", field, fname, wt,
                wire_name(wt), want, wire_name(want));
}

/* Find a layer's name (field name_field, length-delimited) without
 * complaining about anything: used only to make messages say which layer. */
static void prescan_name(const uint8_t *p, const uint8_t *end, uint32_t name_field, char *out,
                         size_t cap)
{
    out[0] = '\0';
    cur r = {p, end};
    while (r.p < r.end) {
        uint64_t tag, v;
        if (get_varint(&r, &tag) != VI_OK)
            return;
        uint32_t f = (uint32_t)(tag >> 3);
        switch (tag & 7) {
        case 0:
            if (get_varint(&r, &v) != VI_OK)
                return;
            break;
        case 1:
            if (r.end - r.p < 8)
                return;
            r.p += 8;
            break;
        case 5:
            if (r.end - r.p < 4)
                return;
            r.p += 4;
            break;
        case 2: {
            if (get_varint(&r, &v) != VI_OK)
                return;
            size_t left = (size_t)(r.end - r.p);
            if (f == name_field) {
                size_t n = v < left ? (size_t)v : left;
                if (n >= cap)
                    n = cap - 1;
                for (size_t i = 0; i < n; i++)
                    out[i] = isprint(r.p[i]) ? (char)r.p[i] : '?';
                out[n] = '\0';
                return;
            }
            if (v > left)
                return;
            r.p += v;
            break;
        }
        default:
            return;
        }
    }
}

/* ------------------------------------------------------------------ */
/* Model storage                                                       */
/* ------------------------------------------------------------------ */

static vgg_status keep(vgg_caffe_model *m, void *p)
{
    if (m->n_allocs == m->cap_allocs) {
        size_t cap = m->cap_allocs ? 2 * m->cap_allocs : 64;
        void **a = realloc(m->allocs, cap * sizeof *a);
        if (!a) {
            free(p);
            return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", m->name);
        }
        m->allocs = a;
        m->cap_allocs = cap;
    }
    m->allocs[m->n_allocs++] = p;
    return VGG_STATUS_OK;
}

static vgg_status keep_string(vgg_caffe_model *m, const uint8_t *p, size_t n, const char **out)
{
    char *s = malloc(n + 1);
    if (!s)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", m->name);
    if (n)
        memcpy(s, p, n);
    s[n] = '\0';
    vgg_status st = keep(m, s);
    if (st == VGG_STATUS_OK)
        *out = s;
    return st;
}

void vgg_caffe_close(vgg_caffe_model *m)
{
    if (!m)
        return;
    for (int i = 0; i < m->n_layers; i++)
        free((void *)m->layers[i].blobs);
    free(m->layers);
    for (size_t i = 0; i < m->n_allocs; i++)
        free(m->allocs[i]);
    free(m->allocs);
    vgg_unmap_file(&m->map);
    free(m->net_name);
    free(m->name);
    free(m);
}

/* ------------------------------------------------------------------ */
/* BlobProto                                                           */
/* ------------------------------------------------------------------ */

/* The blob's float values: the first packed chunk is used in place; any
 * further value (unpacked, or a second chunk) switches to a copy. */
typedef struct fbuf {
    const uint8_t *chunk;
    size_t chunk_n;           /* floats in chunk */
    uint8_t *own;             /* copied values, own_n floats */
    size_t own_n, own_cap;
} fbuf;

static bool fbuf_append(fbuf *b, const uint8_t *bytes, size_t n)
{
    if (!b->own && !b->chunk) {
        b->chunk = bytes;
        b->chunk_n = n;
        return true;
    }
    size_t need = (b->own ? b->own_n : b->chunk_n) + n;
    if (need > b->own_cap) {
        size_t cap = b->own_cap ? b->own_cap : 64;
        while (cap < need)
            cap *= 2;
        uint8_t *p = realloc(b->own, cap * 4);
        if (!p)
            return false;
        if (!b->own && b->chunk_n)
            memcpy(p, b->chunk, b->chunk_n * 4);
        if (!b->own)
            b->own_n = b->chunk_n;
        b->own = p;
        b->own_cap = cap;
    }
    memcpy(b->own + b->own_n * 4, bytes, n * 4);
    b->own_n += n;
    return true;
}

static vgg_status parse_blob_shape(pctx *c, cur r, vgg_caffe_blob *b)
{
    while (r.p < r.end) {
        const uint8_t *at = r.p;
        uint32_t f;
        int wt;
        vgg_status st = get_tag(c, &r, &f, &wt);
        if (st != VGG_STATUS_OK)
            return st;
        if (f != 1) {
            st = skip_field(c, &r, f, wt, 0, "blob shape");
            if (st != VGG_STATUS_OK)
                return st;
            continue;
        }
        cur vals;
        if (wt == 2) {
            st = get_bytes(c, &r, f, "blob shape", &vals);
            if (st != VGG_STATUS_OK)
                return st;
        } else if (wt == 0) {
            vals.p = r.p;
            vals.end = r.end;
        } else {
            return expect_wt(c, at, f, "BlobShape.dim", wt, 0);
        }
        /* one value (unpacked) or all of them (packed) */
        do {
            const uint8_t *vat = vals.p;
            uint64_t v;
            int rc = get_varint(&vals, &v);
            if (rc != VI_OK)
                return varint_err(c, vat, rc, "BlobShape.dim");
            if ((int64_t)v < 0)
                return perr(c, vat, "negative dimension %" PRId64, (int64_t)v);
            if (b->ndim >= MAX_BLOB_AXES)
                return perr(c, vat, "more than %d dimensions", MAX_BLOB_AXES);
            b->shape[b->ndim++] = (int64_t)v;
        } while (wt == 2 && vals.p < vals.end);
        if (wt == 0)
            r.p = vals.p;
    }
    return VGG_STATUS_OK;
}

static const char *const blob_legacy_names[4] = {"num", "channels", "height", "width"};

/* BlobProto field f (1..4: num, channels, height, width) into legacy. */
static vgg_status parse_blob_legacy_dim(pctx *c, cur *r, const uint8_t *at, uint32_t f, int wt,
                                        int64_t legacy[4])
{
    vgg_status st = expect_wt(c, at, f, blob_legacy_names[f - 1], wt, 0);
    if (st != VGG_STATUS_OK)
        return st;
    const uint8_t *vat = r->p;
    uint64_t v;
    int rc = get_varint(r, &v);
    if (rc != VI_OK)
        return varint_err(c, vat, rc, blob_legacy_names[f - 1]);
    /* int32 fields: negative values are sign-extended to 64 bits */
    if ((int64_t)v < 0 || v > INT32_MAX)
        return perr(c, vat, "%s is %" PRId64, blob_legacy_names[f - 1], (int64_t)v);
    legacy[f - 1] = (int64_t)v;
    return VGG_STATUS_OK;
}

/* BlobProto.data (field 5), packed (wire type 2) or one float (5), onto fb. */
static vgg_status parse_blob_data(pctx *c, cur *r, const uint8_t *at, int wt, fbuf *fb)
{
    if (wt == 2) {
        cur d;
        vgg_status st = get_bytes(c, r, 5, "blob", &d);
        if (st != VGG_STATUS_OK)
            return st;
        size_t n = (size_t)(d.end - d.p);
        if (n % 4)
            return perr(c, at, "packed float data of %zu bytes, not a multiple of 4", n);
        if (!fbuf_append(fb, d.p, n / 4))
            return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", c->m->name);
        return VGG_STATUS_OK;
    }
    if (wt == 5) {
        if (r->end - r->p < 4)
            return perr(c, at, "float value runs past the end of the blob");
        if (!fbuf_append(fb, r->p, 1))
            return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", c->m->name);
        r->p += 4;
        return VGG_STATUS_OK;
    }
    return expect_wt(c, at, 5, "BlobProto.data", wt, 2);
}

/* b's count from its shape (or none without one), checked against the
 * nvals data values read. */
static vgg_status blob_check_count(pctx *c, const uint8_t *start, vgg_caffe_blob *b, size_t nvals,
                                   bool have_shape, bool have_double)
{
    if (!have_shape) {
        if (nvals)
            return perr(c, start, "%zu data values but no shape (neither BlobShape nor num/"
                                  "channels/height/width)", nvals);
        b->count = 0;
    } else {
        int64_t count = 1;
        for (int i = 0; i < b->ndim; i++) {
            if (b->shape[i] && count > INT64_MAX / 4 / b->shape[i])
                return perr(c, start, "shape too large");
            count *= b->shape[i];
        }
        b->count = count;
    }
    if ((uint64_t)b->count != nvals) {
        char sh[160];
        int n = 0;
        sh[0] = '\0';
        for (int i = 0; i < b->ndim && n < (int)sizeof sh - 24; i++)
            n += snprintf(sh + n, sizeof sh - n, "%s%" PRId64, i ? ", " : "", b->shape[i]);
        return perr(c, start, "shape (%s) holds %" PRId64 " values but the blob has %zu data "
                              "values%s", sh, b->count, nvals,
                    (!nvals && have_double) ? " (double_data is not supported)" : "");
    }
    return VGG_STATUS_OK;
}

static vgg_status parse_blob(pctx *c, cur r, vgg_caffe_blob *b)
{
    const uint8_t *start = r.p;
    memset(b, 0, sizeof *b);
    int64_t legacy[4] = {0, 0, 0, 0};
    bool have_legacy = false, have_shape = false, have_double = false;
    fbuf fb = {0};
    vgg_status st = VGG_STATUS_OK;

    while (r.p < r.end && st == VGG_STATUS_OK) {
        const uint8_t *at = r.p;
        uint32_t f;
        int wt;
        st = get_tag(c, &r, &f, &wt);
        if (st != VGG_STATUS_OK)
            break;
        if (f >= 1 && f <= 4) {
            st = parse_blob_legacy_dim(c, &r, at, f, wt, legacy);
            have_legacy = true;
        } else if (f == 5) {
            st = parse_blob_data(c, &r, at, wt, &fb);
        } else if (f == 7) {
            st = expect_wt(c, at, f, "BlobProto.shape", wt, 2);
            cur s;
            if (st == VGG_STATUS_OK)
                st = get_bytes(c, &r, f, "blob", &s);
            if (st == VGG_STATUS_OK)
                st = parse_blob_shape(c, s, b);
            have_shape = true;
        } else {
            if (f == 8)
                have_double = true;
            st = skip_field(c, &r, f, wt, 0, "blob");
        }
    }
    if (st != VGG_STATUS_OK)
        goto fail;

    size_t nvals = fb.own ? fb.own_n : fb.chunk_n;
    if (!have_shape && have_legacy) {
        b->ndim = 4;
        memcpy(b->shape, legacy, sizeof legacy);
        b->legacy_shape = true;
    }
    st = blob_check_count(c, start, b, nvals, have_shape || have_legacy, have_double);
    if (st != VGG_STATUS_OK)
        goto fail;
    if (fb.own) {
        st = keep(c->m, fb.own);
        fb.own = NULL;
        if (st != VGG_STATUS_OK)
            return st;
        b->data = c->m->allocs[c->m->n_allocs - 1];
    } else {
        b->data = fb.chunk;
    }
    return VGG_STATUS_OK;
fail:
    free(fb.own);
    return st;
}

/* ------------------------------------------------------------------ */
/* Layers                                                              */
/* ------------------------------------------------------------------ */

typedef struct v1_type {
    int id;
    const char *name;
} v1_type;

/* V1LayerParameter.LayerType (caffe.proto) */
static const v1_type v1_types[] = {
    {0, "NONE"},        {35, "ABSVAL"},    {1, "ACCURACY"},      {30, "ARGMAX"},
    {2, "BNLL"},        {3, "CONCAT"},     {37, "CONTRASTIVE_LOSS"}, {4, "CONVOLUTION"},
    {5, "DATA"},        {39, "DECONVOLUTION"}, {6, "DROPOUT"},   {32, "DUMMY_DATA"},
    {7, "EUCLIDEAN_LOSS"}, {25, "ELTWISE"}, {38, "EXP"},         {8, "FLATTEN"},
    {9, "HDF5_DATA"},   {10, "HDF5_OUTPUT"}, {28, "HINGE_LOSS"}, {11, "IM2COL"},
    {12, "IMAGE_DATA"}, {13, "INFOGAIN_LOSS"}, {14, "INNER_PRODUCT"}, {15, "LRN"},
    {29, "MEMORY_DATA"}, {16, "MULTINOMIAL_LOGISTIC_LOSS"}, {34, "MVN"}, {17, "POOLING"},
    {26, "POWER"},      {18, "RELU"},      {19, "SIGMOID"},      {27, "SIGMOID_CROSS_ENTROPY_LOSS"},
    {36, "SILENCE"},    {20, "SOFTMAX"},   {21, "SOFTMAX_LOSS"}, {22, "SPLIT"},
    {33, "SLICE"},      {23, "TANH"},      {24, "WINDOW_DATA"},  {31, "THRESHOLD"},
};

static vgg_caffe_kind kind_of_type(const char *t)
{
    if (!strcmp(t, "Convolution") || !strcmp(t, "CONVOLUTION") || !strcmp(t, "conv"))
        return VGG_CAFFE_KIND_CONV;
    if (!strcmp(t, "InnerProduct") || !strcmp(t, "INNER_PRODUCT") || !strcmp(t, "innerproduct"))
        return VGG_CAFFE_KIND_FC;
    if (!strcmp(t, "LRN") || !strcmp(t, "lrn"))
        return VGG_CAFFE_KIND_LRN;
    return VGG_CAFFE_KIND_OTHER;
}

typedef struct layer_fields {
    uint32_t name, type, blobs;
    bool type_is_enum;
    const char *what;          /* message name of the layer message */
} layer_fields;

static const layer_fields FIELDS_V1 = {4, 5, 6, true, "V1LayerParameter"};
static const layer_fields FIELDS_NEW = {1, 2, 7, false, "LayerParameter"};
static const layer_fields FIELDS_V0 = {1, 2, 50, false, "V0LayerParameter"};

static vgg_status add_blob(pctx *c, vgg_caffe_layer *L, int *cap, cur sub)
{
    if (L->n_blobs == *cap) {
        int ncap = *cap ? 2 * *cap : 4;
        vgg_caffe_blob *nb = realloc((void *)L->blobs, (size_t)ncap * sizeof *nb);
        if (!nb)
            return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", c->m->name);
        L->blobs = nb;
        *cap = ncap;
    }
    c->blob = L->n_blobs;
    vgg_caffe_blob *b = (vgg_caffe_blob *)&L->blobs[L->n_blobs];
    vgg_status st = parse_blob(c, sub, b);
    c->blob = -1;
    if (st == VGG_STATUS_OK)
        L->n_blobs++;
    return st;
}

/* Read one layer message into L (whose name/type may already be set by an
 * enclosing message: V0 inside V1). */
static vgg_status parse_layer_fields(pctx *c, cur r, const layer_fields *lf, vgg_caffe_layer *L,
                                     int *cap, int depth)
{
    while (r.p < r.end) {
        const uint8_t *at = r.p;
        uint32_t f;
        int wt;
        vgg_status st = get_tag(c, &r, &f, &wt);
        if (st != VGG_STATUS_OK)
            return st;
        if (f == lf->name) {
            cur s;
            st = expect_wt(c, at, f, "name", wt, 2);
            if (st == VGG_STATUS_OK)
                st = get_bytes(c, &r, f, "layer", &s);
            if (st == VGG_STATUS_OK && (!L->name || !L->name[0]))
                st = keep_string(c->m, s.p, (size_t)(s.end - s.p), &L->name);
            if (st != VGG_STATUS_OK)
                return st;
        } else if (f == lf->type && lf->type_is_enum) {
            st = expect_wt(c, at, f, "type", wt, 0);
            if (st != VGG_STATUS_OK)
                return st;
            const uint8_t *vat = r.p;
            uint64_t v;
            int rc = get_varint(&r, &v);
            if (rc != VI_OK)
                return varint_err(c, vat, rc, "type");
            const char *tn = NULL;
            for (size_t i = 0; i < sizeof v1_types / sizeof v1_types[0]; i++)
                if ((uint64_t)v1_types[i].id == v)
                    tn = v1_types[i].name;
            if (tn) {
                L->type = tn;
            } else {
                char buf[40];
                int n = snprintf(buf, sizeof buf, "V1 type %" PRIu64, v);
                st = keep_string(c->m, (const uint8_t *)buf, (size_t)n, &L->type);
                if (st != VGG_STATUS_OK)
                    return st;
            }
        } else if (f == lf->type) {
            cur s;
            st = expect_wt(c, at, f, "type", wt, 2);
            if (st == VGG_STATUS_OK)
                st = get_bytes(c, &r, f, "layer", &s);
            if (st == VGG_STATUS_OK && (!L->type || !L->type[0]))
                st = keep_string(c->m, s.p, (size_t)(s.end - s.p), &L->type);
            if (st != VGG_STATUS_OK)
                return st;
        } else if (f == lf->blobs) {
            cur s;
            st = expect_wt(c, at, f, "blobs", wt, 2);
            if (st == VGG_STATUS_OK)
                st = get_bytes(c, &r, f, "layer", &s);
            if (st == VGG_STATUS_OK)
                st = add_blob(c, L, cap, s);
            if (st != VGG_STATUS_OK)
                return st;
        } else if (lf == &FIELDS_V1 && f == 1 && wt == 2 && depth == 0) {
            /* V1LayerParameter.layer: a V0LayerParameter (the oldest form) */
            cur s;
            st = get_bytes(c, &r, f, "layer", &s);
            if (st == VGG_STATUS_OK)
                st = parse_layer_fields(c, s, &FIELDS_V0, L, cap, depth + 1);
            if (st != VGG_STATUS_OK)
                return st;
        } else {
            st = skip_field(c, &r, f, wt, 0, "layer");
            if (st != VGG_STATUS_OK)
                return st;
        }
    }
    return VGG_STATUS_OK;
}

static vgg_status parse_layer(pctx *c, cur r, const layer_fields *lf)
{
    vgg_caffe_model *m = c->m;
    if (m->n_layers == m->cap_layers) {
        int cap = m->cap_layers ? 2 * m->cap_layers : 32;
        vgg_caffe_layer *nl = realloc(m->layers, (size_t)cap * sizeof *nl);
        if (!nl)
            return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", m->name);
        m->layers = nl;
        m->cap_layers = cap;
    }
    c->layer = m->n_layers;
    prescan_name(r.p, r.end, lf->name, c->layer_name, sizeof c->layer_name);
    if (!c->layer_name[0] && lf == &FIELDS_V1) {
        /* a V0 layer inside: its name is field 1 of field 1 */
        cur v = r;
        while (v.p < v.end) {
            uint64_t tag, len;
            if (get_varint(&v, &tag) != VI_OK || (tag & 7) != 2 || get_varint(&v, &len) != VI_OK ||
                len > (uint64_t)(v.end - v.p))
                break;
            if ((tag >> 3) == 1) {
                prescan_name(v.p, v.p + len, 1, c->layer_name, sizeof c->layer_name);
                break;
            }
            v.p += len;
        }
    }
    vgg_caffe_layer *L = &m->layers[m->n_layers++];
    memset(L, 0, sizeof *L);
    int cap = 0;
    vgg_status st = parse_layer_fields(c, r, lf, L, &cap, 0);
    if (!L->name)
        L->name = "";
    if (!L->type)
        L->type = "";
    L->kind = kind_of_type(L->type);
    c->layer = -1;
    c->layer_name[0] = '\0';
    return st;
}

static vgg_status parse_net(pctx *c, cur r)
{
    vgg_caffe_model *m = c->m;
    bool v1 = false, v2 = false;
    while (r.p < r.end) {
        const uint8_t *at = r.p;
        uint32_t f;
        int wt;
        vgg_status st = get_tag(c, &r, &f, &wt);
        if (st != VGG_STATUS_OK)
            return st;
        if (f == 2 || f == 100) {
            const char *fname = f == 2 ? "NetParameter.layers" : "NetParameter.layer";
            st = expect_wt(c, at, f, fname, wt, 2);
            if (st != VGG_STATUS_OK)
                return st;
            const layer_fields *lf = f == 2 ? &FIELDS_V1 : &FIELDS_NEW;
            const uint8_t *lat = r.p;
            uint64_t len;
            int rc = get_varint(&r, &len);
            if (rc != VI_OK)
                return varint_err(c, lat, rc, "layer length");
            size_t left = (size_t)(r.end - r.p);
            if (len > left) {
                pctx lc = *c;
                lc.layer = m->n_layers;
                prescan_name(r.p, r.end, lf->name, lc.layer_name, sizeof lc.layer_name);
                return perr(&lc, lat,
                            "length %" PRIu64 " runs past the end of the file (%zu bytes left): "
                            "the file is cut short or corrupt", len, left);
            }
            cur sub = {r.p, r.p + len};
            r.p += len;
            st = parse_layer(c, sub, lf);
            if (st != VGG_STATUS_OK)
                return st;
            if (f == 2)
                v1 = true;
            else
                v2 = true;
        } else if (f == 1) {
            cur s;
            st = expect_wt(c, at, f, "NetParameter.name", wt, 2);
            if (st == VGG_STATUS_OK)
                st = get_bytes(c, &r, f, "file", &s);
            if (st != VGG_STATUS_OK)
                return st;
            free(m->net_name);
            size_t n = (size_t)(s.end - s.p);
            m->net_name = malloc(n + 1);
            if (!m->net_name)
                return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", m->name);
            memcpy(m->net_name, s.p, n);
            m->net_name[n] = '\0';
        } else {
            st = skip_field(c, &r, f, wt, 0, "file");
            if (st != VGG_STATUS_OK)
                return st;
        }
    }
    if (m->n_layers == 0)
        return vgg_fail(VGG_STATUS_FORMAT,
                        "'%s': not a caffemodel: no layers (NetParameter field 2 or 100) in %zu bytes",
                        m->name, (size_t)(r.end - c->base));
    m->form = v1 && v2 ? VGG_CAFFE_FORM_MIXED : v1 ? VGG_CAFFE_FORM_V1 : VGG_CAFFE_FORM_NEW;
    return VGG_STATUS_OK;
}

static bool host_is_little_endian(void)
{
    const uint16_t one = 1;
    uint8_t b;
    memcpy(&b, &one, 1);
    return b == 1;
}

static vgg_status model_new(const char *name, vgg_caffe_model **out)
{
    *out = NULL;
    vgg_caffe_model *m = calloc(1, sizeof *m);
    if (!m || !(m->name = strdup(name ? name : "(memory)"))) {
        free(m);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", name ? name : "(memory)");
    }
    *out = m;
    return VGG_STATUS_OK;
}

static vgg_status parse_into(vgg_caffe_model *m, const uint8_t *data, size_t size)
{
    if (!host_is_little_endian())
        return vgg_fail(VGG_STATUS_UNSUPPORTED,
                        "'%s': caffemodel float data is little-endian; this host is not", m->name);
    if (size == 0)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': not a caffemodel: the file is empty", m->name);
    pctx c = {.m = m, .base = data, .layer = -1, .blob = -1};
    cur r = {data, data + size};
    return parse_net(&c, r);
}

vgg_status vgg_caffe_parse(const void *data, size_t size, const char *name,
                           vgg_caffe_model **out)
{
    *out = NULL;
    vgg_caffe_model *m;
    vgg_status st = model_new(name, &m);
    if (st != VGG_STATUS_OK)
        return st;
    st = parse_into(m, data, size);
    if (st != VGG_STATUS_OK) {
        vgg_caffe_close(m);
        return st;
    }
    *out = m;
    return VGG_STATUS_OK;
}

vgg_status vgg_caffe_open(const char *path, vgg_caffe_model **out)
{
    *out = NULL;
    vgg_caffe_model *m;
    vgg_status st = model_new(path, &m);
    if (st != VGG_STATUS_OK)
        return st;
    st = vgg_map_file(path, &m->map);
    if (st == VGG_STATUS_OK)
        st = parse_into(m, m->map.data, m->map.size);
    if (st != VGG_STATUS_OK) {
        vgg_caffe_close(m);
        return st;
    }
    *out = m;
    return VGG_STATUS_OK;
}

const char *vgg_caffe_name(const vgg_caffe_model *m) { return m->name; }
const char *vgg_caffe_net_name(const vgg_caffe_model *m) { return m->net_name ? m->net_name : ""; }
vgg_caffe_form vgg_caffe_form_of(const vgg_caffe_model *m) { return m->form; }
int vgg_caffe_layer_count(const vgg_caffe_model *m) { return m->n_layers; }

const vgg_caffe_layer *vgg_caffe_layer_at(const vgg_caffe_model *m, int i)
{
    return i >= 0 && i < m->n_layers ? &m->layers[i] : NULL;
}

const vgg_caffe_layer *vgg_caffe_find_layer(const vgg_caffe_model *m, const char *name)
{
    const vgg_caffe_layer *first = NULL;
    for (int i = 0; i < m->n_layers; i++)
        if (!strcmp(m->layers[i].name, name)) {
            if (m->layers[i].n_blobs > 0)
                return &m->layers[i];
            if (!first)
                first = &m->layers[i];
        }
    return first;
}

void vgg_caffe_blob_read(const vgg_caffe_blob *b, float *out)
{
    if (b->count > 0)
        memcpy(out, b->data, (size_t)b->count * sizeof *out);
}

bool vgg_caffe_is_caffemodel_name(const char *path)
{
    static const char ext[] = ".caffemodel";
    size_t n = strlen(path), e = sizeof ext - 1;
    return n >= e && !strcasecmp(path + n - e, ext);
}

/* ------------------------------------------------------------------ */
/* Architecture                                                        */
/* ------------------------------------------------------------------ */

/* Shape with leading 1s dropped (legacy blobs pad to 4 dims with 1s). */
static int squeeze(const int64_t *shape, int ndim, int64_t *out)
{
    int i = 0;
    while (i < ndim - 1 && shape[i] == 1)
        i++;
    int n = 0;
    for (; i < ndim; i++)
        out[n++] = shape[i];
    return n;
}

static bool same_dims(const int64_t *a, int na, const int64_t *b, int nb)
{
    int64_t sa[8], sb[8];
    na = squeeze(a, na, sa);
    nb = squeeze(b, nb, sb);
    if (na != nb)
        return false;
    for (int i = 0; i < na; i++)
        if (sa[i] != sb[i])
            return false;
    return true;
}

static void fmt_dims(char *buf, size_t cap, const int64_t *d, int n)
{
    size_t k = 0;
    k += (size_t)snprintf(buf, cap, "(");
    for (int i = 0; i < n && k < cap; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%s%" PRId64, i ? ", " : "", d[i]);
    if (k < cap)
        snprintf(buf + k, cap - k, ")");
}

static bool is_conv_name(const char *s)
{
    int a, b, n = 0;
    return sscanf(s, "conv%d_%d%n", &a, &b, &n) == 2 && s[n] == '\0';
}

/* A weight layer with two blobs, else NOT_FOUND / FORMAT naming it. */
static vgg_status weight_layer(const vgg_caffe_model *m, const char *name, vgg_caffe_kind kind,
                               const char *cfg, const vgg_caffe_layer **out)
{
    const vgg_caffe_layer *L = vgg_caffe_find_layer(m, name);
    *out = NULL;
    if (!L) {
        if (cfg)
            return vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': layer '%s' is missing (configuration %s)",
                            m->name, name, cfg);
        return vgg_fail(VGG_STATUS_NOT_FOUND, "'%s': layer '%s' is missing: not a VGG caffemodel",
                        m->name, name);
    }
    int dup = 0;
    for (int i = 0; i < m->n_layers; i++)
        dup += !strcmp(m->layers[i].name, name) && m->layers[i].n_blobs > 0;
    if (dup > 1)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': layer '%s' occurs %d times with weights",
                        m->name, name, dup);
    bool ok_kind = L->kind == kind || (kind == VGG_CAFFE_KIND_FC && L->kind == VGG_CAFFE_KIND_CONV);
    if (!ok_kind)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': layer '%s' is of type '%s', expected %s", m->name,
                        name, L->type[0] ? L->type : "(none)",
                        kind == VGG_CAFFE_KIND_CONV ? "a convolution" : "an inner product");
    if (L->n_blobs != 2)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': layer '%s' has %d blobs, expected 2 (weights and bias)",
                        m->name, name, L->n_blobs);
    *out = L;
    return VGG_STATUS_OK;
}

static vgg_status check_layer(const vgg_caffe_model *m, const vgg_arch *a, const vgg_layer_info *li)
{
    const char *cfg = vgg_config_name(a->config);
    const vgg_caffe_layer *L;
    vgg_status st = weight_layer(m, li->name,
                                 li->kind == VGG_LAYER_CONV ? VGG_CAFFE_KIND_CONV : VGG_CAFFE_KIND_FC,
                                 cfg, &L);
    if (st != VGG_STATUS_OK)
        return st;
    const vgg_caffe_blob *w = &L->blobs[0], *b = &L->blobs[1];
    int64_t e4[4] = {li->out_channels, li->in_channels, li->kernel, li->kernel};
    int64_t e2[2] = {li->out_channels, (int64_t)li->in_channels * li->kernel * li->kernel};
    bool ok = same_dims(w->shape, w->ndim, e4, 4) ||
              (li->kind == VGG_LAYER_FC && same_dims(w->shape, w->ndim, e2, 2));
    char got[160], want[160];
    if (!ok) {
        fmt_dims(got, sizeof got, w->shape, w->ndim);
        if (li->kind == VGG_LAYER_FC)
            fmt_dims(want, sizeof want, e2, 2);
        else
            fmt_dims(want, sizeof want, e4, 4);
        return vgg_fail(VGG_STATUS_FORMAT,
                        "'%s': layer '%s': weights are %s, expected %s (configuration %s, width %g)",
                        m->name, li->name, got, want, cfg, (double)a->width);
    }
    int64_t eb[1] = {li->out_channels};
    if (!same_dims(b->shape, b->ndim, eb, 1)) {
        fmt_dims(got, sizeof got, b->shape, b->ndim);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': layer '%s': bias is %s, expected (%d)", m->name,
                        li->name, got, li->out_channels);
    }
    return VGG_STATUS_OK;
}

static vgg_status arch_for(const vgg_caffe_model *m, vgg_config_id id, const vgg_arch *base,
                           vgg_arch *a, vgg_layer_info *layers, int *count)
{
    vgg_arch_default(a, id);
    a->width = base->width;
    a->fc_dim = base->fc_dim;
    a->num_classes = base->num_classes;
    a->input_size = base->input_size;
    a->pool_round = VGG_POOL_CEIL;
    vgg_status st = vgg_arch_validate(a);
    if (st == VGG_STATUS_OK)
        st = vgg_arch_layers(a, layers, 64, count);
    if (st != VGG_STATUS_OK)
        return vgg_fail_context(st, "'%s': ", m->name);
    return VGG_STATUS_OK;
}

/* The configuration-independent part of the architecture from the file:
 * width from conv1_1, fc_dim from fc6, classes from fc8, the input size
 * from fc6's k x k. */
static vgg_status caffe_base_arch(const vgg_caffe_model *m, vgg_arch *base)
{
    const vgg_caffe_layer *c11, *fc6, *fc8;
    vgg_status st = weight_layer(m, "conv1_1", VGG_CAFFE_KIND_CONV, NULL, &c11);
    if (st == VGG_STATUS_OK)
        st = weight_layer(m, "fc6", VGG_CAFFE_KIND_FC, NULL, &fc6);
    if (st == VGG_STATUS_OK)
        st = weight_layer(m, "fc8", VGG_CAFFE_KIND_FC, NULL, &fc8);
    if (st != VGG_STATUS_OK)
        return st;

    vgg_arch_default(base, VGG_CONFIG_D);
    const int64_t c1 = c11->blobs[1].count, fc_dim = fc6->blobs[1].count;
    if (c1 <= 0 || c1 > 64 * 64 || fc_dim <= 0 || fc_dim > INT32_MAX || fc8->blobs[1].count <= 0 ||
        fc8->blobs[1].count > INT32_MAX)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': conv1_1 has %" PRId64 " outputs, fc6 %" PRId64
                        ", fc8 %" PRId64 ": not a VGG caffemodel", m->name, c1, fc_dim,
                        fc8->blobs[1].count);
    base->width = (float)c1 / 64.0f;
    base->fc_dim = (int)fc_dim;
    base->num_classes = (int)fc8->blobs[1].count;
    int64_t c5 = lroundf(512.0f * base->width);
    if (c5 < 1)
        c5 = 1;
    /* kk * c5 * fc_dim <= count by construction, so nothing overflows */
    const int64_t kk = fc6->blobs[0].count / fc_dim / c5;
    int64_t k = (int64_t)llround(sqrt((double)kk));
    if (kk <= 0 || k * k != kk || kk * c5 * fc_dim != fc6->blobs[0].count || k > 4096)
        return vgg_fail(VGG_STATUS_FORMAT,
                        "'%s': layer 'fc6': %" PRId64 " weights are not %" PRId64
                        " outputs x %" PRId64 " channels x k x k for a square k", m->name,
                        fc6->blobs[0].count, fc_dim, c5);
    base->input_size = (int)(32 * k);
    return VGG_STATUS_OK;
}

/* The configuration whose conv layers best match the file's. */
static vgg_status best_config(const vgg_caffe_model *m, const vgg_arch *base, vgg_config_id *id)
{
    static const vgg_config_id order[] = {VGG_CONFIG_E, VGG_CONFIG_D, VGG_CONFIG_C,
                                          VGG_CONFIG_B, VGG_CONFIG_A_LRN, VGG_CONFIG_A};
    vgg_layer_info layers[64];
    int count = 0, file_convs = 0;
    bool has_lrn = false;
    for (int i = 0; i < m->n_layers; i++) {
        file_convs += is_conv_name(m->layers[i].name) && m->layers[i].n_blobs > 0;
        has_lrn |= m->layers[i].kind == VGG_CAFFE_KIND_LRN;
    }
    int best = -1, best_cost = 1 << 30;
    for (size_t ci = 0; ci < sizeof order / sizeof order[0]; ci++) {
        if ((order[ci] == VGG_CONFIG_A_LRN) != has_lrn &&
            (order[ci] == VGG_CONFIG_A_LRN || order[ci] == VGG_CONFIG_A))
            continue;
        vgg_arch t;
        vgg_status st = arch_for(m, order[ci], base, &t, layers, &count);
        if (st != VGG_STATUS_OK)
            return st;
        int missing = 0, present = 0;
        for (int i = 0; i < count; i++) {
            if (layers[i].kind != VGG_LAYER_CONV)
                continue;
            const vgg_caffe_layer *L = vgg_caffe_find_layer(m, layers[i].name);
            const vgg_caffe_blob *w = L && L->n_blobs > 0 ? &L->blobs[0] : NULL;
            if (!w || w->ndim < 2 || w->shape[w->ndim - 1] != layers[i].kernel)
                missing++;
            else
                present++;
        }
        int cost = missing + (file_convs - present);
        if (cost < best_cost) {
            best_cost = cost;
            best = (int)ci;
        }
    }
    *id = order[best];
    return VGG_STATUS_OK;
}

vgg_status vgg_caffe_arch(const vgg_caffe_model *m, const vgg_config_id *config, vgg_arch *out)
{
    vgg_arch base;
    vgg_status st = caffe_base_arch(m, &base);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_config_id id;
    if (config)
        id = *config;
    else if ((st = best_config(m, &base, &id)) != VGG_STATUS_OK)
        return st;
    vgg_layer_info layers[64];
    int count = 0;
    vgg_arch a;
    st = arch_for(m, id, &base, &a, layers, &count);
    if (st != VGG_STATUS_OK)
        return st;
    for (int i = 0; i < count; i++) {
        if (layers[i].kind != VGG_LAYER_CONV && layers[i].kind != VGG_LAYER_FC)
            continue;
        st = check_layer(m, &a, &layers[i]);
        if (st != VGG_STATUS_OK)
            return st;
    }
    for (int i = 0; i < m->n_layers; i++) {
        const vgg_caffe_layer *L = &m->layers[i];
        if (!is_conv_name(L->name) || L->n_blobs == 0)
            continue;
        bool known = false;
        for (int j = 0; j < count && !known; j++)
            known = !strcmp(layers[j].name, L->name);
        if (!known)
            return vgg_fail(VGG_STATUS_FORMAT,
                            "'%s': layer '%s' has weights but configuration %s has no such layer",
                            m->name, L->name, vgg_config_name(a.config));
    }
    *out = a;
    return VGG_STATUS_OK;
}

/* ------------------------------------------------------------------ */
/* Writing                                                             */
/* ------------------------------------------------------------------ */

/* Every value of the layer's two blobs finite: a NaN or an infinity would
 * be written, then refused by every command that loads the weights.
 * NUMERIC naming the layer, the blob, the key it would be written under
 * and the first bad element. */
static vgg_status check_finite(const vgg_caffe_model *m, const vgg_caffe_layer *L,
                               const vgg_layer_info *li, const char *out_path)
{
    static const char *const what[2] = {"weights", "bias"};
    for (int k = 0; k < 2; k++) {
        const vgg_caffe_blob *b = &L->blobs[k];
        const uint8_t *p = b->data;
        for (int64_t i = 0; i < b->count; i++) {
            float v;
            memcpy(&v, p + 4 * i, 4);
            if (!isfinite(v))
                return vgg_fail(VGG_STATUS_NUMERIC,
                                "'%s': layer '%s', blob %d (%s, %s.%s) holds %s at element %lld "
                                "of %lld; not writing '%s': the caffemodel is damaged (download "
                                "it again)", m->name, li->name, k, what[k], li->weight_key,
                                k ? "bias" : "weight", isnan(v) ? "NaN" : "an infinity",
                                (long long)i, (long long)b->count, out_path);
        }
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_caffe_write_safetensors(const vgg_caffe_model *m, const vgg_arch *arch,
                                       const char *out_path)
{
    vgg_layer_info layers[64];
    int count = 0;
    vgg_status st = vgg_arch_layers(arch, layers, 64, &count);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_st_entry entries[128];
    char names[128][64];
    int n = 0;
    for (int i = 0; i < count; i++) {
        const vgg_layer_info *li = &layers[i];
        if (li->kind != VGG_LAYER_CONV && li->kind != VGG_LAYER_FC)
            continue;
        st = check_layer(m, arch, li);
        if (st != VGG_STATUS_OK)
            return st;
        const vgg_caffe_layer *L = vgg_caffe_find_layer(m, li->name);
        st = check_finite(m, L, li, out_path);
        if (st != VGG_STATUS_OK)
            return st;
        vgg_st_entry *w = &entries[n], *b = &entries[n + 1];
        memset(w, 0, 2 * sizeof *w);
        snprintf(names[n], sizeof names[n], "%s.weight", li->weight_key);
        snprintf(names[n + 1], sizeof names[n + 1], "%s.bias", li->weight_key);
        w->name = names[n];
        b->name = names[n + 1];
        w->dtype = b->dtype = VGG_DTYPE_F32;
        w->shape[0] = li->out_channels;
        w->shape[1] = li->in_channels;
        if (li->kind == VGG_LAYER_CONV || li->kernel > 1) {
            w->ndim = 4;
            w->shape[2] = w->shape[3] = li->kernel;
        } else {
            w->ndim = 2;
        }
        w->data = L->blobs[0].data;
        b->ndim = 1;
        b->shape[0] = li->out_channels;
        b->data = L->blobs[1].data;
        n += 2;
    }

    char width[32], fc_dim[16], classes[16], input[16], source[512];
    snprintf(width, sizeof width, "%g", (double)arch->width);
    snprintf(fc_dim, sizeof fc_dim, "%d", arch->fc_dim);
    snprintf(classes, sizeof classes, "%d", arch->num_classes);
    snprintf(input, sizeof input, "%d", arch->input_size);
    const char *base = strrchr(m->name, '/');
    snprintf(source, sizeof source, "caffe:%s", base ? base + 1 : m->name);
    const char *keys[] = {"format", "config", "width", "fc_dim", "num_classes", "input_size",
                          "pool_round", "channel_order", "input_range", "mean", "std", "source"};
    const char *vals[] = {"vggfeat-weights-1", vgg_config_name(arch->config), width, fc_dim,
                          classes, input, arch->pool_round == VGG_POOL_CEIL ? "ceil" : "floor",
                          "BGR", "255", "103.939,116.779,123.68", "1,1,1", source};
    return vgg_st_write(out_path, entries, n, keys, vals, (int)(sizeof keys / sizeof keys[0]));
}

vgg_status vgg_caffe_convert(const char *in_path, const char *out_path,
                             const vgg_config_id *config, vgg_arch *arch_out)
{
    vgg_caffe_model *m;
    vgg_status st = vgg_caffe_open(in_path, &m);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_arch a;
    st = vgg_caffe_arch(m, config, &a);
    if (st == VGG_STATUS_OK)
        st = vgg_caffe_write_safetensors(m, &a, out_path);
    if (st == VGG_STATUS_OK && arch_out)
        *arch_out = a;
    vgg_caffe_close(m);
    return st;
}

/* ------------------------------------------------------------------ */
/* Listing                                                             */
/* ------------------------------------------------------------------ */

vgg_status vgg_caffe_describe(const char *path, FILE *out)
{
    vgg_caffe_model *m;
    vgg_status st = vgg_caffe_open(path, &m);
    if (st != VGG_STATUS_OK)
        return st;
    static const char *const forms[] = {"", "V1 (NetParameter.layers)", "new (NetParameter.layer)",
                                        "mixed (both NetParameter.layers and .layer)"};
    fprintf(out, "file:    %s\nformat:  caffemodel, %s\n", path, forms[m->form]);
    if (m->net_name && m->net_name[0])
        fprintf(out, "net:     %s\n", m->net_name);
    int64_t params = 0;
    fprintf(out, "layers:  %d\n", m->n_layers);
    for (int i = 0; i < m->n_layers; i++) {
        const vgg_caffe_layer *L = &m->layers[i];
        fprintf(out, "  %3d  %-12s %-14s", i, L->name[0] ? L->name : "(no name)", L->type);
        for (int b = 0; b < L->n_blobs; b++) {
            char d[160];
            fmt_dims(d, sizeof d, L->blobs[b].shape, L->blobs[b].ndim);
            fprintf(out, " %s", d);
            params += L->blobs[b].count;
        }
        fputc('\n', out);
    }
    fprintf(out, "values:  %" PRId64 "\n", params);
    vgg_arch a;
    st = vgg_caffe_arch(m, NULL, &a);
    if (st == VGG_STATUS_OK)
        fprintf(out, "arch:    config %s, width %g, fc %d, %d classes, input %d, pooling ceil\n",
                vgg_config_name(a.config), (double)a.width, a.fc_dim, a.num_classes, a.input_size);
    else
        fprintf(out, "arch:    not a VGG configuration: %s\n", vgg_last_error());
    vgg_clear_error();
    st = VGG_STATUS_OK;
    if (fflush(out) != 0 || ferror(out))
        st = vgg_fail(VGG_STATUS_IO, "'%s': cannot write the listing", path);
    vgg_caffe_close(m);
    return st;
}
