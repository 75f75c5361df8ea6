/* The feature store file (format: docs/feature-store.md).
 *
 *   header   64 fixed bytes, then the JSON description, space-padded to
 *            data_offset (a multiple of 64)
 *   rows     fixed-size records from data_offset on:
 *            u64 index, u32 crc32, u16 name_len, u16 label_len,
 *            name[name_bytes], label[label_bytes], f32 x[dim]
 * All integers little-endian.  A row's crc32 covers the whole record with
 * the crc field taken as zero; the header's covers bytes [0, data_offset)
 * with its own field taken as zero.
 */
#include "vgg/features.h"
#include "features_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shards.h"

#define MAGIC "VGGFEAT"  /* 8 bytes with the NUL */
#define FORMAT_VERSION 1u
#define FIXED_HEADER 64
#define ROW_PREFIX 16
#define MAX_JSON (1u << 20)
#define MAX_SLOT 4096
#define SYNC_SECONDS 5.0

/* ---------------------------------------------------------------- crc32 */

static uint32_t crc_table[8][256];
static int crc_ready;

static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[0][i] = c;
    }
    for (uint32_t i = 0; i < 256; i++)
        for (int t = 1; t < 8; t++)
            crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^ crc_table[0][crc_table[t - 1][i] & 0xFF];
    __atomic_store_n(&crc_ready, 1, __ATOMIC_RELEASE);
}

uint32_t vgg_feat_crc32(uint32_t crc, const void *data, size_t n)
{
    if (!__atomic_load_n(&crc_ready, __ATOMIC_ACQUIRE))
        crc_init(); /* idempotent: concurrent callers write the same values */
    const uint8_t *p = data;
    uint32_t c = ~crc;
    while (n >= 8) {
        uint32_t lo, hi;
        memcpy(&lo, p, 4);
        memcpy(&hi, p + 4, 4);
        lo ^= c;
        c = crc_table[7][lo & 0xFF] ^ crc_table[6][(lo >> 8) & 0xFF] ^
            crc_table[5][(lo >> 16) & 0xFF] ^ crc_table[4][lo >> 24] ^
            crc_table[3][hi & 0xFF] ^ crc_table[2][(hi >> 8) & 0xFF] ^
            crc_table[1][(hi >> 16) & 0xFF] ^ crc_table[0][hi >> 24];
        p += 8;
        n -= 8;
    }
    while (n--)
        c = crc_table[0][(c ^ *p++) & 0xFF] ^ (c >> 8);
    return ~c;
}

/* crc of a record or header with the 4 bytes at skip taken as zero */
static uint32_t crc_skipping(const uint8_t *p, size_t n, size_t skip)
{
    static const uint8_t zero[4];
    uint32_t c = vgg_feat_crc32(0, p, skip);
    c = vgg_feat_crc32(c, zero, 4);
    return vgg_feat_crc32(c, p + skip + 4, n - skip - 4);
}

/* --------------------------------------------------------------- layout */

typedef struct header_info {
    uint32_t dim;
    uint32_t name_bytes, label_bytes;
    uint64_t record_bytes;
    uint64_t data_offset;
    vgg_featdesc desc;
} header_info;

static uint16_t get_u16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void put_u16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put_u32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put_u64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static vgg_status check_layout(const vgg_featlayout *l, const char *path)
{
    if (l->name_bytes < 8 || l->name_bytes > MAX_SLOT || l->name_bytes % 8 ||
        l->label_bytes < 8 || l->label_bytes > MAX_SLOT || l->label_bytes % 8)
        return vgg_fail(VGG_STATUS_INVALID,
                        "'%s': name and label slots must be multiples of 8 between 8 and %d "
                        "bytes (got %d and %d)", path, MAX_SLOT, l->name_bytes, l->label_bytes);
    return VGG_STATUS_OK;
}

static vgg_status check_desc(const vgg_featdesc *d, const char *path)
{
    if (d->dim <= 0 || d->dim > (1 << 28))
        return vgg_fail(VGG_STATUS_INVALID, "'%s': feature dimension %d out of range", path,
                        d->dim);
    /* raw-pixel features (layer "pixels") are the one kind made by no net */
    const int min_nets = strcmp(d->layer, "pixels") == 0 ? 0 : 1;
    if (d->n_nets < min_nets || d->n_nets > VGG_FEAT_MAX_NETS || d->n_scales < 1 ||
        d->n_scales > VGG_FEAT_MAX_SCALES)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': description needs %d-%d nets and 1-%d scales",
                        path, min_nets, VGG_FEAT_MAX_NETS, VGG_FEAT_MAX_SCALES);
    return VGG_STATUS_OK;
}

/* Build the header bytes (malloc'd, *n bytes). */
static vgg_status build_header(const vgg_featdesc *d, const vgg_featlayout *l, const char *path,
                               uint8_t **out, size_t *n)
{
    *out = NULL;
    char *desc_json = NULL;
    vgg_status st = vgg_featdesc_to_json(d, &desc_json);
    if (st != VGG_STATUS_OK)
        return vgg_fail_context(st, "'%s': ", path);
    uint64_t record = ROW_PREFIX + (uint64_t)l->name_bytes + (uint64_t)l->label_bytes +
                      4 * (uint64_t)d->dim;
    /* the JSON also spells out the layout, so the file explains itself */
    char *json = NULL;
    size_t jcap = strlen(desc_json) + 1024;
    uint64_t data_offset = 0;
    for (int pass = 0; pass < 8; pass++) {
        free(json);
        json = malloc(jcap);
        if (!json) {
            free(desc_json);
            return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
        }
        snprintf(json, jcap,
                 "{\"format\":\"vggfeat-features-%u\",\"desc\":%s,\"layout\":{"
                 "\"data_offset\":%llu,\"record_bytes\":%llu,\"dim\":%d,"
                 "\"name_bytes\":%d,\"label_bytes\":%d,"
                 "\"record\":\"<u8 index, <u4 crc32, <u2 name_len, <u2 label_len, "
                 "S%d name, S%d label, <f4[%d] x\"}}\n",
                 FORMAT_VERSION, desc_json, (unsigned long long)data_offset,
                 (unsigned long long)record, d->dim, l->name_bytes, l->label_bytes,
                 l->name_bytes, l->label_bytes, d->dim);
        /* the printed offset must be the final one: repeat until stable */
        uint64_t need = (FIXED_HEADER + strlen(json) + 63) / 64 * 64;
        if (need == data_offset)
            break;
        data_offset = need;
    }
    free(desc_json);
    size_t jl = strlen(json);
    if (jl > MAX_JSON || FIXED_HEADER + jl > data_offset) {
        free(json);
        return vgg_fail(VGG_STATUS_INVALID, "'%s': description too long", path);
    }
    uint8_t *h = malloc(data_offset);
    if (!h) {
        free(json);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    memset(h, 0, FIXED_HEADER);
    memset(h + FIXED_HEADER, ' ', data_offset - FIXED_HEADER);
    memcpy(h, MAGIC, 8);
    put_u32(h + 8, FORMAT_VERSION);
    put_u32(h + 12, (uint32_t)d->dim);
    put_u32(h + 16, (uint32_t)l->name_bytes);
    put_u32(h + 20, (uint32_t)l->label_bytes);
    put_u64(h + 24, record);
    put_u64(h + 32, data_offset);
    put_u32(h + 40, (uint32_t)jl);
    memcpy(h + FIXED_HEADER, json, jl);
    free(json);
    put_u32(h + 44, crc_skipping(h, data_offset, 44));
    *out = h;
    *n = data_offset;
    return VGG_STATUS_OK;
}

/* Parse a header from buf (avail bytes of the file's start; file_size the
 * whole file's).  On NOT enough bytes for the full header: FORMAT. */
static vgg_status parse_header(const uint8_t *buf, size_t avail, uint64_t file_size,
                               const char *path, header_info *hi)
{
    memset(hi, 0, sizeof *hi);
    if (file_size < 8 || avail < 8 || memcmp(buf, MAGIC, 8) != 0)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': not a vggfeat feature store", path);
    if (file_size < FIXED_HEADER || avail < FIXED_HEADER)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': feature store header is cut short", path);
    uint32_t version = get_u32(buf + 8);
    if (version != FORMAT_VERSION)
        return vgg_fail(VGG_STATUS_FORMAT,
                        "'%s': feature store format %u, this program reads format %u", path,
                        version, FORMAT_VERSION);
    hi->dim = get_u32(buf + 12);
    hi->name_bytes = get_u32(buf + 16);
    hi->label_bytes = get_u32(buf + 20);
    hi->record_bytes = get_u64(buf + 24);
    hi->data_offset = get_u64(buf + 32);
    uint32_t jl = get_u32(buf + 40);
    if (hi->data_offset < FIXED_HEADER || hi->data_offset % 64 || jl > MAX_JSON ||
        FIXED_HEADER + (uint64_t)jl > hi->data_offset || hi->data_offset > MAX_JSON + 4096)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': feature store header is malformed", path);
    if (file_size < hi->data_offset || avail < hi->data_offset)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': feature store header is cut short", path);
    if (crc_skipping(buf, hi->data_offset, 44) != get_u32(buf + 44))
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': feature store header fails its checksum",
                        path);
    vgg_featlayout l = { (int)hi->name_bytes, (int)hi->label_bytes };
    if (hi->name_bytes > MAX_SLOT || hi->label_bytes > MAX_SLOT || check_layout(&l, path) ||
        hi->dim == 0 || hi->dim > (1u << 28) ||
        hi->record_bytes != ROW_PREFIX + (uint64_t)hi->name_bytes + hi->label_bytes +
                                4 * (uint64_t)hi->dim)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': feature store layout is inconsistent", path);
    char *json = malloc((size_t)jl + 1);
    if (!json)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    memcpy(json, buf + FIXED_HEADER, jl);
    json[jl] = '\0';
    json_object *o = json_tokener_parse(json);
    free(json);
    json_object *dj;
    if (!o || !json_object_object_get_ex(o, "desc", &dj)) {
        json_object_put(o);
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': feature store description is malformed",
                        path);
    }
    vgg_status st = vgg_featdesc_from_json(json_object_to_json_string(dj), &hi->desc);
    json_object_put(o);
    if (st != VGG_STATUS_OK)
        return vgg_fail_context(st, "'%s': ", path);
    if ((uint32_t)hi->desc.dim != hi->dim)
        return vgg_fail(VGG_STATUS_FORMAT, "'%s': description's dim %d disagrees with header's %u",
                        path, hi->desc.dim, hi->dim);
    return VGG_STATUS_OK;
}

/* Check one record; prev_index is the previous row's index or -1. */
static bool record_ok(const uint8_t *r, const header_info *hi, int64_t prev_index)
{
    if (crc_skipping(r, hi->record_bytes, 8) != get_u32(r + 8))
        return false;
    uint16_t nl = get_u16(r + 12), ll = get_u16(r + 14);
    if (nl >= hi->name_bytes || ll >= hi->label_bytes || r[ROW_PREFIX + nl] != 0 ||
        r[ROW_PREFIX + hi->name_bytes + ll] != 0)
        return false;
    if (prev_index >= 0 && get_u64(r) <= (uint64_t)prev_index)
        return false;
    return true;
}

/* --------------------------------------------------------------- reader */

struct vgg_featstore {
    char *path;
    vgg_mapped map;
    header_info hi;
    size_t rows;
};

bool vgg_featstore_sniff_file(const char *path)
{
    FILE *fp = NULL;
    if (vgg_fopen_regular(path, &fp) != VGG_STATUS_OK) {
        vgg_clear_error();
        return false;
    }
    char buf[8];
    bool ok = fread(buf, 1, 8, fp) == 8 && memcmp(buf, MAGIC, 8) == 0;
    fclose(fp);
    return ok;
}

/* Row r of full is damaged: a rerun of the extraction cuts a damaged tail
 * and redoes it, but refuses a store whose later rows are intact. */
static vgg_status damaged_row(const vgg_featstore *fs, const char *path, size_t r, size_t full)
{
    for (size_t k = r + 1; k < full; k++)
        if (record_ok(fs->map.data + fs->hi.data_offset + k * fs->hi.record_bytes, &fs->hi, -1))
            return vgg_fail(VGG_STATUS_FORMAT,
                            "'%s': row %zu of %zu is damaged (bad checksum, lengths or order) "
                            "while later rows are intact: the file was altered after it was "
                            "written, and rerunning the extraction will not repair it; "
                            "restore it from a copy or extract into a new store", path, r + 1,
                            full);
    return vgg_fail(VGG_STATUS_FORMAT,
                    "'%s': row %zu of %zu is damaged (bad checksum, lengths or order) and no "
                    "later row is intact, a damaged tail; rerunning the extraction that wrote "
                    "it cuts the tail off and redoes those images", path, r + 1, full);
}

vgg_status vgg_featstore_open(const char *path, vgg_featstore **out)
{
    *out = NULL;
    vgg_featstore *fs = calloc(1, sizeof *fs);
    if (!fs || !(fs->path = strdup(path))) {
        free(fs);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    vgg_status st = vgg_map_file(path, &fs->map);
    if (st == VGG_STATUS_OK)
        st = parse_header(fs->map.data, fs->map.size, fs->map.size, path, &fs->hi);
    if (st == VGG_STATUS_OK) {
        size_t full = (fs->map.size - fs->hi.data_offset) / fs->hi.record_bytes;
        int64_t prev = -1;
        for (size_t r = 0; r < full; r++) {
            const uint8_t *rec = fs->map.data + fs->hi.data_offset + r * fs->hi.record_bytes;
            if (!record_ok(rec, &fs->hi, prev)) {
                st = damaged_row(fs, path, r, full);
                break;
            }
            prev = (int64_t)get_u64(rec);
        }
        fs->rows = full;
    }
    if (st != VGG_STATUS_OK) {
        vgg_featstore_close(fs);
        return st;
    }
    *out = fs;
    return VGG_STATUS_OK;
}

void vgg_featstore_close(vgg_featstore *fs)
{
    if (!fs)
        return;
    vgg_unmap_file(&fs->map);
    free(fs->path);
    free(fs);
}

size_t vgg_featstore_partial_bytes(const vgg_featstore *fs)
{
    return fs->map.size - fs->hi.data_offset - fs->rows * fs->hi.record_bytes;
}

bool vgg_featstore_tail_note(const char *path, char *buf, size_t n)
{
    /* the header only: the rows are neither read nor checked here */
    vgg_mapped map;
    header_info hi;
    bool partial = false;
    if (vgg_map_file(path, &map) == VGG_STATUS_OK &&
        parse_header(map.data, map.size, map.size, path, &hi) == VGG_STATUS_OK) {
        size_t body = map.size - hi.data_offset, rows = body / hi.record_bytes;
        size_t part = body - rows * hi.record_bytes;
        if ((partial = part > 0))
            snprintf(buf, n, "'%s': read %zu rows; a partial last row (%zu of %zu bytes, "
                     "left by an interrupted or failed write) was ignored", path, rows, part,
                     (size_t)hi.record_bytes);
    }
    vgg_unmap_file(&map);
    vgg_clear_error();
    return partial;
}

static const uint8_t *rec_at(const vgg_featstore *fs, size_t row)
{
    VGG_ASSERT(row < fs->rows);
    return fs->map.data + fs->hi.data_offset + row * fs->hi.record_bytes;
}

const vgg_featdesc *vgg_featstore_desc(const vgg_featstore *fs) { return &fs->hi.desc; }
size_t vgg_featstore_rows(const vgg_featstore *fs) { return fs->rows; }
int vgg_featstore_dim(const vgg_featstore *fs) { return (int)fs->hi.dim; }

const char *vgg_featstore_name(const vgg_featstore *fs, size_t row)
{
    return (const char *)rec_at(fs, row) + ROW_PREFIX;
}

const char *vgg_featstore_label(const vgg_featstore *fs, size_t row)
{
    return (const char *)rec_at(fs, row) + ROW_PREFIX + fs->hi.name_bytes;
}

const float *vgg_featstore_row(const vgg_featstore *fs, size_t row)
{
    return (const float *)(const void *)(rec_at(fs, row) + ROW_PREFIX + fs->hi.name_bytes +
                                         fs->hi.label_bytes);
}

uint64_t vgg_featstore_index(const vgg_featstore *fs, size_t row)
{
    return get_u64(rec_at(fs, row));
}

void vgg_featstore_layout(const vgg_featstore *fs, vgg_featlayout *out)
{
    out->name_bytes = (int)fs->hi.name_bytes;
    out->label_bytes = (int)fs->hi.label_bytes;
}

/* --------------------------------------------------------------- writer */

struct vgg_featwriter {
    char *path;
    int fd;
    header_info hi;
    size_t rows;
    int64_t last_index;
    size_t cut_bytes;
    uint8_t *rec;
    double last_sync;
    vgg_lock *lock;     /* "<path>.lock", held until close */
};

static vgg_status pwrite_all(int fd, const void *buf, size_t n, off_t at, const char *path)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t k = pwrite(fd, p, n, at);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return vgg_fail(VGG_STATUS_IO, "'%s': cannot write: %s", path,
                            k < 0 ? strerror(errno) : "no progress");
        p += k;
        n -= (size_t)k;
        at += k;
    }
    return VGG_STATUS_OK;
}

static vgg_status pread_all(int fd, void *buf, size_t n, off_t at, const char *path)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t k = pread(fd, p, n, at);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return vgg_fail(VGG_STATUS_IO, "'%s': cannot read: %s", path, strerror(errno));
        if (k == 0)
            return vgg_fail(VGG_STATUS_FORMAT, "'%s': cut short", path);
        p += k;
        n -= (size_t)k;
        at += k;
    }
    return VGG_STATUS_OK;
}

/* messages name shown: the store, also when path is its temporary */
static vgg_status open_locked(const char *path, const char *shown, int *fd_out)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot open for writing: %s", shown,
                        strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        close(fd);
        if (e == EWOULDBLOCK)
            return vgg_fail(VGG_STATUS_INVALID, "'%s': another process is writing this store",
                            shown);
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot lock: %s", shown, strerror(e));
    }
    *fd_out = fd;
    return VGG_STATUS_OK;
}

/* Open an existing store for appending: check its description, find the
 * valid rows, cut a damaged tail. */
static vgg_status resume_existing(vgg_featwriter *w, const vgg_featdesc *d)
{
    struct stat sb;
    if (fstat(w->fd, &sb) != 0)
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot stat: %s", w->path, strerror(errno));
    uint64_t size = (uint64_t)sb.st_size;
    uint8_t fixed[FIXED_HEADER];
    size_t avail = size < FIXED_HEADER ? (size_t)size : FIXED_HEADER;
    vgg_status st = pread_all(w->fd, fixed, avail, 0, w->path);
    if (st != VGG_STATUS_OK)
        return st;
    uint64_t off = avail >= FIXED_HEADER ? get_u64(fixed + 32) : FIXED_HEADER;
    if (off > MAX_JSON + 4096 || off < FIXED_HEADER)
        off = FIXED_HEADER;
    size_t hn = size < off ? (size_t)size : (size_t)off;
    uint8_t *hb = malloc(hn ? hn : 1);
    if (!hb)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", w->path);
    st = pread_all(w->fd, hb, hn, 0, w->path);
    if (st == VGG_STATUS_OK)
        st = parse_header(hb, hn, size, w->path, &w->hi);
    free(hb);
    if (st != VGG_STATUS_OK)
        return st;
    char why[600];
    if (!vgg_featdesc_equal(&w->hi.desc, d, why, sizeof why))
        return vgg_fail(VGG_STATUS_MISMATCH,
                        "'%s': store was made with other settings (%s, store vs now); not "
                        "appending to it", w->path, why);
    if (shards_other_list(&w->hi.desc, d)) {
        char was[200], now[200];
        shards_describe(&w->hi.desc, was, sizeof was);
        shards_describe(d, now, sizeof now);
        return vgg_fail(VGG_STATUS_MISMATCH, "'%s': the store holds %s, this run %s: another "
                        "input list or shard; not appending to it", w->path, was, now);
    }
    uint64_t full = (size - w->hi.data_offset) / w->hi.record_bytes;
    w->rec = malloc(w->hi.record_bytes);
    if (!w->rec)
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", w->path);
    uint64_t good = 0;
    int64_t prev = -1;
    for (; good < full; good++) {
        st = pread_all(w->fd, w->rec, w->hi.record_bytes,
                       (off_t)(w->hi.data_offset + good * w->hi.record_bytes), w->path);
        if (st != VGG_STATUS_OK)
            return st;
        if (!record_ok(w->rec, &w->hi, prev))
            break;
        prev = (int64_t)get_u64(w->rec);
    }
    /* rows after the first bad one must all be bad too: a damaged tail is
     * cut, damage in the middle is refused */
    for (uint64_t r = good + 1; r < full; r++) {
        st = pread_all(w->fd, w->rec, w->hi.record_bytes,
                       (off_t)(w->hi.data_offset + r * w->hi.record_bytes), w->path);
        if (st != VGG_STATUS_OK)
            return st;
        if (record_ok(w->rec, &w->hi, -1))
            return vgg_fail(VGG_STATUS_FORMAT,
                            "'%s': row %llu of %llu is damaged but later rows are intact; "
                            "refusing to append to a store damaged in the middle", w->path,
                            (unsigned long long)good + 1, (unsigned long long)full);
    }
    uint64_t keep = w->hi.data_offset + good * w->hi.record_bytes;
    if (keep < size) {
        if (ftruncate(w->fd, (off_t)keep) != 0 || fsync(w->fd) != 0)
            return vgg_fail(VGG_STATUS_IO, "'%s': cannot cut off the damaged tail: %s",
                            w->path, strerror(errno));
        w->cut_bytes = (size_t)(size - keep);
    }
    w->rows = (size_t)good;
    w->last_index = prev;
    return VGG_STATUS_OK;
}

/* A new store's header: atomically at path, or, for a temporary of this
 * process (temp), straight into it, messages naming shown (the output the
 * temporary becomes) */
static vgg_status create_store(const char *path, const char *shown, bool temp,
                               const vgg_featdesc *d, const vgg_featlayout *l)
{
    uint8_t *h = NULL;
    size_t hn = 0;
    vgg_status st = build_header(d, l, shown, &h, &hn);
    if (st == VGG_STATUS_OK && temp) {
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0)
            st = vgg_fail(VGG_STATUS_IO, "'%s': cannot create: %s", shown, strerror(errno));
        if (st == VGG_STATUS_OK)
            st = pwrite_all(fd, h, hn, 0, shown);
        if (fd >= 0)
            close(fd);
    } else if (st == VGG_STATUS_OK) {
        vgg_atomic_file af;
        st = vgg_atomic_open(path, &af);
        if (st == VGG_STATUS_OK) {
            st = vgg_write_all(af.fp, h, hn, path);
            if (st == VGG_STATUS_OK)
                st = vgg_atomic_commit(&af);
            else
                vgg_atomic_abort(&af);
        }
    }
    free(h);
    return st;
}

/* vgg_featwriter_open_layout, for path itself (temp false: locked, created
 * atomically) or for a temporary of this process that becomes shown
 * (featwriter_open_temp) */
static vgg_status open_writer(const char *path, const char *shown, bool temp,
                              const vgg_featdesc *d, const vgg_featlayout *layout, bool resume,
                              vgg_featwriter **out, size_t *existing_rows)
{
    *out = NULL;
    if (existing_rows)
        *existing_rows = 0;
    vgg_featlayout l = { VGG_FEAT_NAME_BYTES_DEFAULT, VGG_FEAT_LABEL_BYTES_DEFAULT };
    if (layout)
        l = *layout;
    /* a store is appended to and resumed: a regular file, never a device,
     * FIFO or standard output (refused before the lock file is made) */
    vgg_status st = vgg_output_check_kind(shown, 0);
    if (st == VGG_STATUS_OK)
        st = check_desc(d, shown);
    if (st == VGG_STATUS_OK)
        st = check_layout(&l, shown);
    if (st != VGG_STATUS_OK)
        return st;
    vgg_featwriter *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(shown))) {
        free(w);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", shown);
    }
    w->fd = -1;
    w->last_index = -1;
    /* one writer per store, decided before anything is created or read
     * (a temporary of this process has no other writer) */
    st = temp ? VGG_STATUS_OK : vgg_lock_acquire(path, &w->lock);
    if (st == VGG_STATUS_INVALID)
        vgg_fail_context(st, "another process is writing this store: ");
    if (st != VGG_STATUS_OK) {
        vgg_featwriter_close(w);
        return st;
    }
    struct stat sb;
    if (stat(path, &sb) == 0) {
        if (!resume || temp) {
            vgg_featwriter_close(w);
            return vgg_fail(VGG_STATUS_INVALID, "'%s': already exists; not overwriting it",
                            path);
        }
    } else {
        st = create_store(path, shown, temp, d, &l);
    }
    if (st == VGG_STATUS_OK)
        st = open_locked(path, shown, &w->fd);
    if (st == VGG_STATUS_OK)
        st = resume_existing(w, d);
    if (st != VGG_STATUS_OK) {
        vgg_featwriter_close(w);
        return st;
    }
    w->last_sync = vgg_now_seconds();
    if (existing_rows)
        *existing_rows = w->rows;
    *out = w;
    return VGG_STATUS_OK;
}

vgg_status vgg_featwriter_open_layout(const char *path, const vgg_featdesc *d,
                                      const vgg_featlayout *layout, bool resume,
                                      vgg_featwriter **out, size_t *existing_rows)
{
    return open_writer(path, path, false, d, layout, resume, out, existing_rows);
}

vgg_status featwriter_open_temp(const char *tmp, const char *shown, const vgg_featdesc *d,
                                const vgg_featlayout *layout, vgg_featwriter **out)
{
    return open_writer(tmp, shown, true, d, layout, false, out, NULL);
}

vgg_status vgg_featwriter_open(const char *path, const vgg_featdesc *d, bool resume,
                               vgg_featwriter **out, size_t *existing_rows)
{
    return vgg_featwriter_open_layout(path, d, NULL, resume, out, existing_rows);
}

vgg_status vgg_featwriter_append_at(vgg_featwriter *w, uint64_t index, const char *name,
                                    const char *label, const float *row)
{
    if (!name)
        name = "";
    if (!label)
        label = "";
    size_t nl = strlen(name), ll = strlen(label);
    if (nl >= w->hi.name_bytes)
        return vgg_fail(VGG_STATUS_INVALID,
                        "'%s': row name '%s' is %zu bytes, this store holds names up to %u",
                        w->path, name, nl, w->hi.name_bytes - 1);
    if (ll >= w->hi.label_bytes)
        return vgg_fail(VGG_STATUS_INVALID,
                        "'%s': label '%s' is %zu bytes, this store holds labels up to %u",
                        w->path, label, ll, w->hi.label_bytes - 1);
    if (w->last_index >= 0 && index <= (uint64_t)w->last_index)
        return vgg_fail(VGG_STATUS_INVALID,
                        "'%s': row index %llu does not follow the last row's %lld", w->path,
                        (unsigned long long)index, (long long)w->last_index);
    uint8_t *r = w->rec;
    memset(r, 0, w->hi.record_bytes);
    put_u64(r, index);
    put_u16(r + 12, (uint16_t)nl);
    put_u16(r + 14, (uint16_t)ll);
    memcpy(r + ROW_PREFIX, name, nl);
    memcpy(r + ROW_PREFIX + w->hi.name_bytes, label, ll);
    memcpy(r + ROW_PREFIX + w->hi.name_bytes + w->hi.label_bytes, row, 4 * (size_t)w->hi.dim);
    put_u32(r + 8, crc_skipping(r, w->hi.record_bytes, 8));
    off_t at = (off_t)(w->hi.data_offset + w->rows * w->hi.record_bytes);
    vgg_status st = pwrite_all(w->fd, r, w->hi.record_bytes, at, w->path);
    if (st != VGG_STATUS_OK) {
        /* leave the store as it was: complete rows only */
        if (ftruncate(w->fd, at) != 0) {
            /* the partial row is cut on the next resume */
        }
        return st;
    }
    w->rows++;
    w->last_index = (int64_t)index;
    double now = vgg_now_seconds();
    if (now - w->last_sync > SYNC_SECONDS) {
        if (fdatasync(w->fd) != 0)
            return vgg_fail(VGG_STATUS_IO, "'%s': cannot sync: %s", w->path, strerror(errno));
        w->last_sync = now;
    }
    return VGG_STATUS_OK;
}

vgg_status vgg_featwriter_append(vgg_featwriter *w, const char *name, const char *label,
                                 const float *row)
{
    return vgg_featwriter_append_at(w, (uint64_t)(w->last_index + 1), name, label, row);
}

size_t vgg_featwriter_rows(const vgg_featwriter *w) { return w->rows; }
size_t vgg_featwriter_cut_bytes(const vgg_featwriter *w) { return w->cut_bytes; }

vgg_status vgg_featwriter_close(vgg_featwriter *w)
{
    if (!w)
        return VGG_STATUS_OK;
    vgg_status st = VGG_STATUS_OK;
    if (w->fd >= 0) {
        if (fsync(w->fd) != 0)
            st = vgg_fail(VGG_STATUS_IO, "'%s': cannot sync: %s", w->path, strerror(errno));
        close(w->fd);
    }
    vgg_lock_release(w->lock);
    free(w->rec);
    free(w->path);
    free(w);
    return st;
}
