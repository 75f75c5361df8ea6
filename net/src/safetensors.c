/* safetensors: reading (memory-mapped, fully validated) and atomic writing.
 *
 * Layout: u64 little-endian header length N, N bytes of UTF-8 JSON mapping
 * tensor names to {"dtype", "shape", "data_offsets": [begin, end]} (offsets
 * relative to the data buffer that follows the header) plus an optional
 * "__metadata__" object of strings; the tensors tile the data buffer. */
#include <json-c/json.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"
#include "vgg/caffe.h"

#define ST_MAX_HEADER 100000000ull

struct vgg_safetensors {
    char *path;
    vgg_mapped map;
    vgg_st_tensor *tensors;
    int n;
    char **meta_keys;
    char **meta_values;
    int n_meta;
};

static const struct { const char *name; vgg_dtype dtype; size_t size; } dtypes[] = {
    {"F32", VGG_DTYPE_F32, 4},
    {"F16", VGG_DTYPE_F16, 2},
    {"BF16", VGG_DTYPE_BF16, 2},
    {"F64", VGG_DTYPE_F64, 8},
    {"I64", VGG_DTYPE_I64, 8},
};

size_t vgg_dtype_size(vgg_dtype d)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].dtype == d)
            return dtypes[i].size;
    return 0;
}

static const char *dtype_name(vgg_dtype d)
{
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++)
        if (dtypes[i].dtype == d)
            return dtypes[i].name;
    return NULL;
}

void vgg_st_close(vgg_safetensors *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->n; i++)
        free((char *)st->tensors[i].name);
    free(st->tensors);
    for (int i = 0; i < st->n_meta; i++) {
        free(st->meta_keys[i]);
        free(st->meta_values[i]);
    }
    free(st->meta_keys);
    free(st->meta_values);
    vgg_unmap_file(&st->map);
    free(st->path);
    free(st);
}

static bool get_u64(json_object *o, uint64_t *v)
{
    if (!o || !json_object_is_type(o, json_type_int))
        return false;
    int64_t s = json_object_get_int64(o);
    if (s < 0)
        return false;
    if (s == INT64_MAX) {   /* json-c saturates; take the unsigned reading */
        uint64_t u = json_object_get_uint64(o);
        if (u > (uint64_t)INT64_MAX)
            return false;
    }
    *v = (uint64_t)s;
    return true;
}

static vgg_status parse_metadata(vgg_safetensors *st, json_object *meta)
{
    const char *path = st->path;
    if (!json_object_is_type(meta, json_type_object))
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': __metadata__ is not an object", path);
    int n = json_object_object_length(meta);
    st->meta_keys = calloc(n ? n : 1, sizeof(char *));
    st->meta_values = calloc(n ? n : 1, sizeof(char *));
    if (!st->meta_keys || !st->meta_values)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    json_object_object_foreach(meta, key, val)
    {
        if (!json_object_is_type(val, json_type_string))
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': metadata value of '%s' is not a string",
                            path, key);
        char *k = strdup(key), *v = strdup(json_object_get_string(val));
        if (!k || !v) {
            free(k);
            free(v);
            return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
        }
        st->meta_keys[st->n_meta] = k;
        st->meta_values[st->n_meta] = v;
        st->n_meta++;
    }
    return VGG_STATUS_OK;
}

static vgg_status parse_tensor(vgg_safetensors *st, const char *name, json_object *desc,
                               uint64_t data_size, uint64_t *begin, uint64_t *end)
{
    const char *path = st->path;
    if (!json_object_is_type(desc, json_type_object))
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': tensor '%s' is not described by an object",
                        path, name);
    json_object *jd = NULL, *js = NULL, *jo = NULL;
    if (!json_object_object_get_ex(desc, "dtype", &jd) ||
        !json_object_is_type(jd, json_type_string))
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': tensor '%s' has no dtype", path, name);
    if (!json_object_object_get_ex(desc, "shape", &js) || !json_object_is_type(js, json_type_array))
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': tensor '%s' has no shape", path, name);
    if (!json_object_object_get_ex(desc, "data_offsets", &jo) ||
        !json_object_is_type(jo, json_type_array) || json_object_array_length(jo) != 2)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': tensor '%s' has no data_offsets [begin, end]",
                        path, name);
    vgg_st_tensor *t = &st->tensors[st->n];
    memset(t, 0, sizeof *t);
    const char *ds = json_object_get_string(jd);
    size_t esize = 0;
    for (size_t i = 0; i < sizeof dtypes / sizeof dtypes[0]; i++) {
        if (strcmp(ds, dtypes[i].name) == 0) {
            t->dtype = dtypes[i].dtype;
            esize = dtypes[i].size;
        }
    }
    if (!esize)
        return vgg_fail(VGG_STATUS_FORMAT,
                        "'%s': tensor '%s' has unknown dtype '%s' (F32, F16, BF16, F64, I64 are read)",
                        path, name, ds);
    size_t nd = json_object_array_length(js);
    if (nd > 8)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': tensor '%s' has %zu dimensions (at most 8)",
                        path, name, nd);
    uint64_t numel = 1;
    for (size_t d = 0; d < nd; d++) {
        uint64_t v;
        if (!get_u64(json_object_array_get_idx(js, d), &v))
            return vgg_fail(VGG_STATUS_FORMAT,
                            "'%s': tensor '%s': shape entry %zu is not a non-negative integer",
                            path, name, d);
        if (v > (uint64_t)INT64_MAX || __builtin_mul_overflow(numel, v, &numel))
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': tensor '%s': shape is too large", path,
                            name);
        t->shape[d] = (int64_t)v;
    }
    t->ndim = (int)nd;
    if (!get_u64(json_object_array_get_idx(jo, 0), begin) ||
        !get_u64(json_object_array_get_idx(jo, 1), end))
        return vgg_fail(VGG_STATUS_FORMAT,
                        "'%s': tensor '%s': data_offsets are not non-negative integers", path,
                        name);
    if (*begin > *end || *end > data_size)
        return vgg_fail(VGG_STATUS_FORMAT,
                        "'%s': tensor '%s': data_offsets [%llu, %llu] out of range (data buffer "
                        "is %llu bytes)",
                        path, name, (unsigned long long)*begin, (unsigned long long)*end,
                        (unsigned long long)data_size);
    uint64_t nbytes;
    if (__builtin_mul_overflow(numel, (uint64_t)esize, &nbytes) || nbytes != *end - *begin)
        return vgg_fail(VGG_STATUS_FORMAT,
                        "'%s': tensor '%s': %llu bytes of data, but its shape and dtype %s "
                        "need %llu",
                        path, name, (unsigned long long)(*end - *begin), ds,
                        (unsigned long long)numel * esize);
    t->name = strdup(name);
    if (!t->name)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    t->nbytes = (size_t)nbytes;
    st->n++;
    return VGG_STATUS_OK;
}

typedef struct span {
    uint64_t begin, end;
    int index;
} span;

static int cmp_span(const void *a, const void *b)
{
    const span *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return 0;
}

/* a name of the header's top level, as written (escapes kept) */
typedef struct raw_key {
    const char *s;
    size_t n;
} raw_key;

static int cmp_raw_key(const void *a, const void *b)
{
    const raw_key *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? -1 : 1;
    return memcmp(x->s, y->s, x->n);
}

/* json-c keeps the last of two equal keys: the names of the top-level
 * object of a header it has parsed (text[0, len)) are counted here, and
 * when there are more than the n it kept, the one given twice is named */
static vgg_status check_duplicate_names(const char *path, const char *text, size_t len, int n)
{
    size_t cap = 64, count = 0;
    raw_key *keys = malloc(cap * sizeof *keys);
    if (!keys)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    int depth = 0;
    bool want_key = false;
    for (size_t i = 0; i < len; i++) {
        const char c = text[i];
        if (c == '/' && i + 1 < len && (text[i + 1] == '*' || text[i + 1] == '/')) {
            /* json-c's comments: to the end of the line, or to the next star-slash */
            const bool line = text[i + 1] == '/';
            i += 2;
            while (i < len && (line ? text[i] != '\n'
                                    : !(text[i] == '*' && i + 1 < len && text[i + 1] == '/')))
                i++;
            i += line ? 0 : 1;
        } else if (c == '"' || c == '\'') {
            size_t j = i + 1;
            while (j < len && text[j] != c)
                j += text[j] == '\\' ? 2 : 1;
            if (depth == 1 && want_key) {
                if (count == cap) {
                    raw_key *k = realloc(keys, 2 * cap * sizeof *keys);
                    if (!k) {
                        free(keys);
                        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
                    }
                    keys = k;
                    cap *= 2;
                }
                keys[count++] = (raw_key){ text + i + 1, (j < len ? j : len) - i - 1 };
                want_key = false;
            }
            i = j;
        } else if (c == '{' || c == '[') {
            depth++;
            want_key = depth == 1 && c == '{';
        } else if (c == '}' || c == ']') {
            depth--;
        } else if (c == ',' && depth == 1) {
            want_key = true;
        }
    }
    vgg_status st = VGG_STATUS_OK;
    if (count > (size_t)n) {
        qsort(keys, count, sizeof *keys, cmp_raw_key);
        size_t i = 0;
        while (i + 1 < count && cmp_raw_key(&keys[i], &keys[i + 1]) != 0)
            i++;
        if (i + 1 < count)
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': the name \"%.*s\" is given twice in the "
                          "header (each tensor needs a name of its own)", path,
                          keys[i].n > 200 ? 200 : (int)keys[i].n, keys[i].s);
        else
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s': a name is given twice in the header (written "
                          "with other escapes; each tensor needs a name of its own)", path);
    }
    free(keys);
    return st;
}

static vgg_status parse_header(vgg_safetensors *st, const char *text, size_t len,
                               uint64_t data_size, const uint8_t *data)
{
    const char *path = st->path;
    json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
    if (!tok)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    json_object *root = json_tokener_parse_ex(tok, text, (int)len);
    enum json_tokener_error jerr = json_tokener_get_error(tok);
    size_t used = json_tokener_get_parse_end(tok);
    json_tokener_free(tok);
    if (!root || jerr != json_tokener_success) {
        json_object_put(root);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': header is not valid JSON (%s)", path,
                        root ? json_tokener_error_desc(jerr) : "incomplete or malformed");
    }
    for (size_t i = used; i < len; i++) {
        if (text[i] != ' ' && text[i] != '\t' && text[i] != '\n' && text[i] != '\r' &&
            text[i] != '\0') {
            json_object_put(root);
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': header has trailing bytes after the JSON",
                            path);
        }
    }
    if (!json_object_is_type(root, json_type_object)) {
        json_object_put(root);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': header is not a JSON object", path);
    }
    int count = json_object_object_length(root);
    vgg_status st_ = check_duplicate_names(path, text, used, count);
    if (st_ != VGG_STATUS_OK) {
        json_object_put(root);
        return st_;
    }
    st->tensors = calloc(count ? count : 1, sizeof *st->tensors);
    span *spans = calloc(count ? count : 1, sizeof *spans);
    if (!st->tensors || !spans) {
        free(spans);
        json_object_put(root);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    json_object_object_foreach(root, key, val)
    {
        if (strcmp(key, "__metadata__") == 0) {
            st_ = parse_metadata(st, val);
        } else {
            int i = st->n;
            st_ = parse_tensor(st, key, val, data_size, &spans[i].begin, &spans[i].end);
            spans[i].index = i;
        }
        if (st_ != VGG_STATUS_OK)
            break;
    }
    json_object_put(root);
    if (st_ == VGG_STATUS_OK) {
        /* the tensors must tile the data buffer: no gaps, no overlaps */
        qsort(spans, st->n, sizeof *spans, cmp_span);
        uint64_t pos = 0;
        for (int i = 0; i < st->n && st_ == VGG_STATUS_OK; i++) {
            const char *nm = st->tensors[spans[i].index].name;
            if (spans[i].begin < pos)
                st_ = vgg_fail(VGG_STATUS_FORMAT,
                               "'%s': tensor '%s' at [%llu, %llu] overlaps the tensor before it "
                               "(which ends at %llu)",
                               path, nm, (unsigned long long)spans[i].begin,
                               (unsigned long long)spans[i].end, (unsigned long long)pos);
            else if (spans[i].begin > pos)
                st_ = vgg_fail(VGG_STATUS_FORMAT,
                               "'%s': gap in the data buffer: bytes [%llu, %llu) before tensor "
                               "'%s' belong to no tensor",
                               path, (unsigned long long)pos, (unsigned long long)spans[i].begin,
                               nm);
            else
                pos = spans[i].end;
        }
        if (st_ == VGG_STATUS_OK && pos != data_size)
            st_ = vgg_fail(VGG_STATUS_FORMAT,
                           "'%s': gap in the data buffer: bytes [%llu, %llu) at its end belong "
                           "to no tensor",
                           path, (unsigned long long)pos, (unsigned long long)data_size);
        for (int i = 0; i < st->n; i++)
            st->tensors[spans[i].index].data = data + spans[i].begin;
    }
    free(spans);
    return st_;
}

/* A Caffe NetParameter is a protobuf message: it starts with field 1
 * (name, tag 0x0a), 2 (the V1 "layers", 0x12), 3 (input, 0x1a) or 100
 * (layer, 0xa2 0x06), each followed by a varint length that fits the file.
 * The name decides when it says .caffemodel. */
static bool looks_like_caffemodel(const char *path, const uint8_t *b, size_t size)
{
    if (vgg_caffe_is_caffemodel_name(path))
        return true;
    size_t i = 0;
    if (b[0] == 0x0a || b[0] == 0x12 || b[0] == 0x1a)
        i = 1;
    else if (b[0] == 0xa2 && b[1] == 0x06)
        i = 2;
    else
        return false;
    uint64_t len = 0;
    for (int shift = 0; i < size && shift < 64; shift += 7, i++) {
        len |= (uint64_t)(b[i] & 0x7f) << shift;
        if (!(b[i] & 0x80))
            return len <= size - i - 1;
    }
    return false;
}

vgg_status vgg_st_open(const char *path, vgg_safetensors **out)
{
    *out = NULL;
    vgg_safetensors *st = calloc(1, sizeof *st);
    if (!st || !(st->path = strdup(path))) {
        free(st);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    vgg_status s = vgg_map_file(path, &st->map);
    if (s != VGG_STATUS_OK) {
        vgg_st_close(st);
        return s;
    }
    const uint8_t *b = st->map.data;
    size_t size = st->map.size;
    if (size < 8) {
        s = vgg_fail(VGG_STATUS_FORMAT,
                     "'%s': not a safetensors file: %zu bytes, too short for the 8-byte header "
                     "length",
                     path, size);
    } else {
        uint64_t n = 0;
        for (int i = 7; i >= 0; i--)
            n = (n << 8) | b[i];
        if (n > size - 8 && looks_like_caffemodel(path, b, size))
            s = vgg_fail(VGG_STATUS_FORMAT,
                         "'%s': this is a Caffe .caffemodel, not a safetensors file; convert it "
                         "once with 'vggfeat convert %s -o NAME.safetensors' and use that",
                         path, path);
        else if (n > ST_MAX_HEADER)
            s = vgg_fail(VGG_STATUS_FORMAT,
                         "'%s': header length %llu is over the limit of 100,000,000 bytes", path,
                         (unsigned long long)n);
        else if (n > size - 8)
            s = vgg_fail(VGG_STATUS_FORMAT,
                         "'%s': header length %llu is longer than the file (%zu bytes after "
                         "the length)",
                         path, (unsigned long long)n, size - 8);
        else if (n < 2)
            s = vgg_fail(VGG_STATUS_FORMAT, "'%s': header of %llu bytes cannot hold a JSON object",
                         path, (unsigned long long)n);
        else
            s = parse_header(st, (const char *)b + 8, (size_t)n, size - 8 - n, b + 8 + n);
    }
    if (s != VGG_STATUS_OK) {
        vgg_st_close(st);
        return s;
    }
    *out = st;
    return VGG_STATUS_OK;
}

void vgg_st_take_map(vgg_safetensors *st, vgg_mapped *out)
{
    *out = st->map;
    st->map.data = NULL;
    st->map.size = 0;
}

int vgg_st_count(const vgg_safetensors *st) { return st->n; }

const vgg_st_tensor *vgg_st_tensor_at(const vgg_safetensors *st, int i)
{
    return (i >= 0 && i < st->n) ? &st->tensors[i] : NULL;
}

const vgg_st_tensor *vgg_st_find(const vgg_safetensors *st, const char *name)
{
    for (int i = 0; i < st->n; i++)
        if (strcmp(st->tensors[i].name, name) == 0)
            return &st->tensors[i];
    return NULL;
}

const char *vgg_st_meta(const vgg_safetensors *st, const char *key)
{
    for (int i = 0; i < st->n_meta; i++)
        if (strcmp(st->meta_keys[i], key) == 0)
            return st->meta_values[i];
    return NULL;
}

int vgg_st_meta_count(const vgg_safetensors *st) { return st->n_meta; }

void vgg_st_meta_at(const vgg_safetensors *st, int i, const char **key, const char **value)
{
    if (i < 0 || i >= st->n_meta) {
        *key = *value = NULL;
        return;
    }
    *key = st->meta_keys[i];
    *value = st->meta_values[i];
}

const char *vgg_st_path(const vgg_safetensors *st) { return st->path; }

float vgg_half_to_float(uint16_t h)
{
    uint32_t sign = h >> 15, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
    float v;
    if (exp == 0)
        v = ldexpf((float)mant, -24);
    else if (exp == 31)
        v = mant ? NAN : INFINITY;
    else
        v = ldexpf((float)(mant | 0x400), (int)exp - 25);
    return sign ? -v : v;
}

vgg_status vgg_st_to_f32(const vgg_safetensors *st, const vgg_st_tensor *t, float *out)
{
    size_t esize = vgg_dtype_size(t->dtype);
    if (!esize)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': tensor '%s' has an unknown dtype",
                        st ? st->path : "?", t->name);
    size_t n = t->nbytes / esize;
    const uint8_t *p = t->data;
    switch (t->dtype) {
    case VGG_DTYPE_F32:
        memcpy(out, p, n * 4);
        break;
    case VGG_DTYPE_F16:
        for (size_t i = 0; i < n; i++)
            out[i] = vgg_half_to_float((uint16_t)(p[2 * i] | (p[2 * i + 1] << 8)));
        break;
    case VGG_DTYPE_BF16:
        for (size_t i = 0; i < n; i++) {
            uint32_t bits = (uint32_t)(p[2 * i] | (p[2 * i + 1] << 8)) << 16;
            memcpy(&out[i], &bits, 4);
        }
        break;
    case VGG_DTYPE_F64:
        for (size_t i = 0; i < n; i++) {
            double d;
            memcpy(&d, p + 8 * i, 8);
            out[i] = (float)d;
        }
        break;
    case VGG_DTYPE_I64:
        for (size_t i = 0; i < n; i++) {
            int64_t v;
            memcpy(&v, p + 8 * i, 8);
            out[i] = (float)v;
        }
        break;
    }
    return VGG_STATUS_OK;
}

/* ---- writing ---- */

typedef struct sbuf {
    char *s;
    size_t len, cap;
    bool oom;
} sbuf;

static void sb_putn(sbuf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *p = realloc(b->s, cap);
        if (!p) {
            b->oom = true;
            return;
        }
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_puts(sbuf *b, const char *s) { sb_putn(b, s, strlen(s)); }

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    char tmp[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0)
        sb_putn(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

static void sb_json_string(sbuf *b, const char *s)
{
    sb_puts(b, "\"");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            sb_putn(b, e, 2);
        } else if (*p < 0x20) {
            sb_printf(b, "\\u%04x", *p);
        } else {
            sb_putn(b, (const char *)p, 1);
        }
    }
    sb_puts(b, "\"");
}

vgg_status vgg_st_write(const char *path, const vgg_st_entry *entries, int n,
                        const char *const *meta_keys, const char *const *meta_values, int n_meta)
{
    sbuf h = {0};
    sb_puts(&h, "{");
    bool first = true;
    if (n_meta > 0) {
        sb_puts(&h, "\"__metadata__\":{");
        for (int i = 0; i < n_meta; i++) {
            if (i)
                sb_puts(&h, ",");
            sb_json_string(&h, meta_keys[i]);
            sb_puts(&h, ":");
            sb_json_string(&h, meta_values[i]);
        }
        sb_puts(&h, "}");
        first = false;
    }
    uint64_t offset = 0;
    for (int i = 0; i < n; i++) {
        const vgg_st_entry *e = &entries[i];
        const char *dn = dtype_name(e->dtype);
        if (!dn || e->ndim < 0 || e->ndim > 8) {
            free(h.s);
            return vgg_fail(VGG_STATUS_INVALID, "'%s': tensor '%s' has a bad dtype or rank", path,
                            e->name);
        }
        uint64_t numel = 1;
        for (int d = 0; d < e->ndim; d++)
            numel *= (uint64_t)e->shape[d];
        uint64_t nbytes = numel * vgg_dtype_size(e->dtype);
        if (!first)
            sb_puts(&h, ",");
        first = false;
        sb_json_string(&h, e->name);
        sb_printf(&h, ":{\"dtype\":\"%s\",\"shape\":[", dn);
        for (int d = 0; d < e->ndim; d++)
            sb_printf(&h, "%s%lld", d ? "," : "", (long long)e->shape[d]);
        sb_printf(&h, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)offset,
                  (unsigned long long)(offset + nbytes));
        offset += nbytes;
    }
    sb_puts(&h, "}");
    while (!h.oom && h.len % 8 != 0)
        sb_puts(&h, " ");
    if (h.oom) {
        free(h.s);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    vgg_atomic_file af;
    vgg_status st = vgg_atomic_open(path, &af);
    if (st != VGG_STATUS_OK) {
        free(h.s);
        return st;
    }
    uint8_t len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (uint8_t)((uint64_t)h.len >> (8 * i));
    st = vgg_write_all(af.fp, len8, 8, path);
    if (st == VGG_STATUS_OK)
        st = vgg_write_all(af.fp, h.s, h.len, path);
    free(h.s);
    for (int i = 0; i < n && st == VGG_STATUS_OK; i++) {
        const vgg_st_entry *e = &entries[i];
        size_t numel = 1;
        for (int d = 0; d < e->ndim; d++)
            numel *= (size_t)e->shape[d];
        st = vgg_write_all(af.fp, e->data, numel * vgg_dtype_size(e->dtype), path);
    }
    if (st == VGG_STATUS_OK)
        st = vgg_atomic_commit(&af);
    vgg_atomic_abort(&af);
    return st;
}
