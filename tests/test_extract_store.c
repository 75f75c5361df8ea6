/* The feature store: description, writing, reading, resuming, repair. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vgg/features.h"

static char tmpdir[256];

static int setup_dir(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vgg_store_XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_in(char *buf, size_t n, const char *name)
{
    snprintf(buf, n, "%s/%s", tmpdir, name);
    unlink(buf);
}

static void make_desc(vgg_featdesc *d, int dim)
{
    memset(d, 0, sizeof *d);
    d->dim = dim;
    d->n_nets = 2;
    strcpy(d->net_names[0], "D");
    strcpy(d->net_configs[0], "D");
    memset(d->net_digests[0], 'a', 64);
    strcpy(d->net_names[1], "models/vgg19.safetensors");
    strcpy(d->net_configs[1], "E");
    memset(d->net_digests[1], 'b', 64);
    d->n_scales = 2;
    d->scales[0] = 256;
    d->scales[1] = 384;
    strcpy(d->aggregate, "stack");
    strcpy(d->layer, "fc7");
    d->flip = true;
    d->l2 = true;
    strcpy(d->version, VGG_VERSION_STRING);
}

static void fill_row(float *x, int dim, int seed)
{
    for (int i = 0; i < dim; i++)
        x[i] = (float)seed + (float)i * 0.25f - 3.0f;
}

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* write rows rows named img<k>.jpg, label "c<k%2>" */
static void write_store(const char *path, const vgg_featdesc *d, int rows)
{
    vgg_featwriter *w = NULL;
    size_t existing = 99;
    assert_int_equal(vgg_featwriter_open(path, d, false, &w, &existing), VGG_STATUS_OK);
    assert_int_equal(existing, 0);
    float *x = malloc(sizeof(float) * (size_t)d->dim);
    for (int k = 0; k < rows; k++) {
        char name[32], label[8];
        snprintf(name, sizeof name, "img%d.jpg", k);
        snprintf(label, sizeof label, "c%d", k % 2);
        fill_row(x, d->dim, k);
        assert_int_equal(vgg_featwriter_append(w, name, label, x), VGG_STATUS_OK);
    }
    free(x);
    assert_int_equal(vgg_featwriter_rows(w), (size_t)rows);
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
}

/* zlib's CRC-32, bit by bit (independent of the library's table) */
static uint32_t crc32_bitwise(const unsigned char *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; i++) {
        c ^= p[i];
        for (int k = 0; k < 8; k++)
            c = c & 1 ? (c >> 1) ^ 0xEDB88320u : c >> 1;
    }
    return ~c;
}

static uint64_t get_le(const unsigned char *p, int bytes)
{
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

/* every byte of a slot of n bytes after its first len is zero */
static bool zero_padded(const unsigned char *p, size_t len, size_t n)
{
    for (size_t i = len; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void flip_byte(const char *path, long at)
{
    FILE *fp = fopen(path, "r+b");
    assert_non_null(fp);
    assert_int_equal(fseek(fp, at, SEEK_SET), 0);
    int c = fgetc(fp);
    assert_int_equal(fseek(fp, at, SEEK_SET), 0);
    fputc(c ^ 0x40, fp);
    fclose(fp);
}

static void crc32_matches_zlib_check_value(void **state)
{
    (void)state;
    /* the standard check value of CRC-32 (zlib, PNG): "123456789" */
    assert_int_equal(vgg_feat_crc32(0, "123456789", 9), 0xCBF43926u);
    /* streaming in pieces gives the same */
    uint32_t c = vgg_feat_crc32(0, "1234", 4);
    assert_int_equal(vgg_feat_crc32(c, "56789", 5), 0xCBF43926u);
    assert_int_equal(vgg_feat_crc32(0, "", 0), 0u);
}

static void desc_json_round_trip_and_equality(void **state)
{
    (void)state;
    vgg_featdesc a, b;
    make_desc(&a, 16384);
    char *json = NULL;
    assert_int_equal(vgg_featdesc_to_json(&a, &json), VGG_STATUS_OK);
    assert_non_null(strstr(json, "\"scales\":[256,384]"));
    assert_int_equal(vgg_featdesc_from_json(json, &b), VGG_STATUS_OK);
    free(json);
    assert_memory_equal(&a, &b, sizeof a);
    char why[256];
    assert_true(vgg_featdesc_equal(&a, &b, why, sizeof why));

    /* names and version do not matter */
    strcpy(b.net_names[0], "other.safetensors");
    strcpy(b.version, "9.9.9");
    assert_true(vgg_featdesc_equal(&a, &b, why, sizeof why));

    b = a;
    b.n_scales = 1;
    assert_false(vgg_featdesc_equal(&a, &b, why, sizeof why));
    assert_string_equal(why, "scales differ: 256,384 vs 256");
    b = a;
    b.flip = false;
    assert_false(vgg_featdesc_equal(&a, &b, why, sizeof why));
    assert_string_equal(why, "flip differs: on vs off");
    b = a;
    strcpy(b.aggregate, "average");
    assert_false(vgg_featdesc_equal(&a, &b, why, sizeof why));
    assert_string_equal(why, "aggregation differs: stack vs average");
    b = a;
    b.net_digests[1][3] = 'c';
    assert_false(vgg_featdesc_equal(&a, &b, why, sizeof why));
    assert_non_null(strstr(why, "nets differ"));
    b = a;
    strcpy(b.layer, "pool5");
    assert_false(vgg_featdesc_equal(&a, &b, why, sizeof why));
    assert_string_equal(why, "layer differs: fc7 vs pool5");
    b = a;
    b.l2 = false;
    assert_false(vgg_featdesc_equal(&a, &b, why, sizeof why));
    b = a;
    b.dim = 8192;
    assert_false(vgg_featdesc_equal(&a, &b, why, sizeof why));
    assert_string_equal(why, "dimension differs: 16384 vs 8192");

    assert_int_equal(vgg_featdesc_from_json("{\"dim\":3}", &b), VGG_STATUS_FORMAT);
    assert_int_equal(vgg_featdesc_from_json("not json", &b), VGG_STATUS_FORMAT);
    assert_int_equal(vgg_featdesc_from_json("[1,2]", &b), VGG_STATUS_FORMAT);
}

static void rows_read_back_exactly(void **state)
{
    (void)state;
    char path[300];
    path_in(path, sizeof path, "a.vggf");
    vgg_featdesc d;
    make_desc(&d, 37);
    write_store(path, &d, 5);

    assert_true(vgg_featstore_sniff_file(path));
    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_rows(fs), 5);
    assert_int_equal(vgg_featstore_dim(fs), 37);
    char why[256];
    assert_true(vgg_featdesc_equal(vgg_featstore_desc(fs), &d, why, sizeof why));
    assert_string_equal(vgg_featstore_desc(fs)->net_names[1], "models/vgg19.safetensors");
    vgg_featlayout l;
    vgg_featstore_layout(fs, &l);
    assert_int_equal(l.name_bytes, VGG_FEAT_NAME_BYTES_DEFAULT);
    assert_int_equal(l.label_bytes, VGG_FEAT_LABEL_BYTES_DEFAULT);
    float x[37];
    for (size_t r = 0; r < 5; r++) {
        char name[32];
        snprintf(name, sizeof name, "img%zu.jpg", r);
        assert_string_equal(vgg_featstore_name(fs, r), name);
        assert_string_equal(vgg_featstore_label(fs, r), r % 2 ? "c1" : "c0");
        assert_int_equal(vgg_featstore_index(fs, r), r);
        fill_row(x, 37, (int)r);
        assert_memory_equal(vgg_featstore_row(fs, r), x, sizeof x);
    }
    vgg_featstore_close(fs);

    /* the bytes themselves, read as docs/feature-store.md lays them out:
     * the header, then 5 whole records of 16 + 256 + 64 + 4 * 37 bytes and
     * nothing else */
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    long size = file_size(path);
    unsigned char *b = malloc((size_t)size);
    assert_int_equal(fread(b, 1, (size_t)size, fp), (size_t)size);
    fclose(fp);
    assert_memory_equal(b, "VGGFEAT\0", 8);
    assert_int_equal(get_le(b + 8, 4), 1);
    assert_int_equal(get_le(b + 12, 4), 37);
    uint64_t name_bytes = get_le(b + 16, 4), label_bytes = get_le(b + 20, 4);
    uint64_t record = get_le(b + 24, 8), offset = get_le(b + 32, 8);
    assert_int_equal(name_bytes, VGG_FEAT_NAME_BYTES_DEFAULT);
    assert_int_equal(label_bytes, VGG_FEAT_LABEL_BYTES_DEFAULT);
    assert_int_equal(record, 16 + name_bytes + label_bytes + 4 * 37);
    assert_int_equal(record, 484);
    assert_int_equal(offset % 64, 0);
    assert_true(offset >= 64 + get_le(b + 40, 4));
    assert_int_equal((uint64_t)size, offset + 5 * record);
    unsigned char crc[4];
    memcpy(crc, b + 44, 4);
    memset(b + 44, 0, 4);
    assert_int_equal(get_le(crc, 4), crc32_bitwise(b, offset));
    for (size_t r = 0; r < 5; r++) {
        unsigned char *rec = b + offset + r * record;
        char name[32], label[8];
        snprintf(name, sizeof name, "img%zu.jpg", r);
        snprintf(label, sizeof label, "c%zu", r % 2);
        assert_int_equal(get_le(rec, 8), r);   /* the input index */
        assert_int_equal(get_le(rec + 12, 2), strlen(name));
        assert_int_equal(get_le(rec + 14, 2), strlen(label));
        assert_memory_equal(rec + 16, name, strlen(name));
        assert_true(zero_padded(rec + 16, strlen(name), name_bytes));
        assert_memory_equal(rec + 16 + name_bytes, label, strlen(label));
        assert_true(zero_padded(rec + 16 + name_bytes, strlen(label), label_bytes));
        fill_row(x, 37, (int)r);
        for (int i = 0; i < 37; i++) {   /* little-endian float32 */
            uint32_t bits;
            memcpy(&bits, &x[i], 4);
            assert_int_equal(get_le(rec + 16 + name_bytes + label_bytes + 4 * (size_t)i, 4), bits);
        }
        memcpy(crc, rec + 8, 4);
        memset(rec + 8, 0, 4);
        assert_int_equal(get_le(crc, 4), crc32_bitwise(rec, record));
    }
    free(b);
}

static void explicit_indices_and_layout(void **state)
{
    (void)state;
    char path[300];
    path_in(path, sizeof path, "idx.vggf");
    vgg_featdesc d;
    make_desc(&d, 4);
    vgg_featlayout l = { 16, 8 };
    vgg_featwriter *w = NULL;
    assert_int_equal(vgg_featwriter_open_layout(path, &d, &l, false, &w, NULL), VGG_STATUS_OK);
    float x[4] = { 1, 2, 3, 4 };
    assert_int_equal(vgg_featwriter_append_at(w, 3, "a", NULL, x), VGG_STATUS_OK);
    assert_int_equal(vgg_featwriter_append_at(w, 7, "b", "", x), VGG_STATUS_OK);
    /* indices must increase */
    assert_int_equal(vgg_featwriter_append_at(w, 7, "c", "", x), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "row index 7"));
    /* 15 bytes fit a 16-byte slot, 16 do not */
    assert_int_equal(vgg_featwriter_append_at(w, 8, "0123456789abcde", "", x), VGG_STATUS_OK);
    assert_int_equal(vgg_featwriter_append_at(w, 9, "0123456789abcdef", "", x),
                     VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "0123456789abcdef"));
    assert_int_equal(vgg_featwriter_append_at(w, 9, "x", "longlabel", x), VGG_STATUS_INVALID);
    /* the plain append continues after the last index */
    assert_int_equal(vgg_featwriter_append(w, "d", "", x), VGG_STATUS_OK);
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);

    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_rows(fs), 4);
    assert_int_equal(vgg_featstore_index(fs, 0), 3);
    assert_int_equal(vgg_featstore_index(fs, 1), 7);
    assert_int_equal(vgg_featstore_index(fs, 2), 8);
    assert_int_equal(vgg_featstore_index(fs, 3), 9);
    assert_string_equal(vgg_featstore_label(fs, 0), "");
    vgg_featstore_layout(fs, &l);
    assert_int_equal(l.name_bytes, 16);
    assert_int_equal(l.label_bytes, 8);
    vgg_featstore_close(fs);

    /* bad layouts are refused */
    vgg_featlayout bad = { 12, 8 };
    path_in(path, sizeof path, "bad.vggf");
    assert_int_equal(vgg_featwriter_open_layout(path, &d, &bad, false, &w, NULL),
                     VGG_STATUS_INVALID);
    assert_null(w);
    assert_int_equal(file_size(path), -1);
}

static void resume_appends_and_never_overwrites(void **state)
{
    (void)state;
    char path[300];
    path_in(path, sizeof path, "r.vggf");
    vgg_featdesc d;
    make_desc(&d, 9);
    write_store(path, &d, 3);
    long before = file_size(path);

    vgg_featwriter *w = NULL;
    assert_int_equal(vgg_featwriter_open(path, &d, false, &w, NULL), VGG_STATUS_INVALID);
    assert_null(w);
    assert_non_null(strstr(vgg_last_error(), path));
    assert_int_equal(file_size(path), before);

    size_t existing = 0;
    /* another name or version is still the same store */
    vgg_featdesc d2 = d;
    strcpy(d2.net_names[0], "elsewhere/vgg16.safetensors");
    assert_int_equal(vgg_featwriter_open(path, &d2, true, &w, &existing), VGG_STATUS_OK);
    assert_int_equal(existing, 3);
    assert_int_equal(vgg_featwriter_cut_bytes(w), 0);
    /* a second writer on the same store is refused while the first holds it */
    vgg_featwriter *w2 = NULL;
    assert_int_equal(vgg_featwriter_open(path, &d, true, &w2, NULL), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "another process"));
    float x[9];
    fill_row(x, 9, 3);
    assert_int_equal(vgg_featwriter_append(w, "img3.jpg", "c1", x), VGG_STATUS_OK);
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);

    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_rows(fs), 4);
    assert_int_equal(vgg_featstore_index(fs, 3), 3);
    assert_memory_equal(vgg_featstore_row(fs, 3), x, sizeof x);
    vgg_featstore_close(fs);

    /* the resumed store equals one written in one go */
    char whole[300];
    path_in(whole, sizeof whole, "whole.vggf");
    write_store(whole, &d, 4);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", path, whole);
    assert_int_equal(system(cmd), 0);
}

static void other_settings_are_refused(void **state)
{
    (void)state;
    char path[300];
    path_in(path, sizeof path, "m.vggf");
    vgg_featdesc d;
    make_desc(&d, 9);
    write_store(path, &d, 2);
    long before = file_size(path);
    vgg_featdesc o = d;
    o.scales[1] = 512;
    vgg_featwriter *w = NULL;
    assert_int_equal(vgg_featwriter_open(path, &o, true, &w, NULL), VGG_STATUS_MISMATCH);
    assert_null(w);
    assert_non_null(strstr(vgg_last_error(), "scales differ: 256,384 vs 256,512"));
    assert_non_null(strstr(vgg_last_error(), path));
    o = d;
    o.l2 = false;
    assert_int_equal(vgg_featwriter_open(path, &o, true, &w, NULL), VGG_STATUS_MISMATCH);
    assert_non_null(strstr(vgg_last_error(), "L2"));
    assert_int_equal(file_size(path), before);
}

static void incomplete_last_row_is_ignored_then_cut(void **state)
{
    (void)state;
    char path[300];
    path_in(path, sizeof path, "t.vggf");
    vgg_featdesc d;
    make_desc(&d, 9);
    write_store(path, &d, 4);
    long size = file_size(path);
    long record = 16 + 256 + 64 + 36;
    assert_int_equal(truncate(path, size - 10), 0);

    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_rows(fs), 3);
    vgg_featstore_close(fs);

    vgg_featwriter *w = NULL;
    size_t existing = 0;
    assert_int_equal(vgg_featwriter_open(path, &d, true, &w, &existing), VGG_STATUS_OK);
    assert_int_equal(existing, 3);
    assert_int_equal(vgg_featwriter_cut_bytes(w), (size_t)(record - 10));
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
    assert_int_equal(file_size(path), size - record);
}

static void damaged_tail_is_repaired_middle_refused(void **state)
{
    (void)state;
    char path[300];
    path_in(path, sizeof path, "c.vggf");
    vgg_featdesc d;
    make_desc(&d, 9);
    write_store(path, &d, 4);
    long size = file_size(path);
    long record = 16 + 256 + 64 + 36;

    /* a flipped bit in the last row's floats: the reader refuses it */
    flip_byte(path, size - 5);
    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_FORMAT);
    assert_null(fs);
    assert_non_null(strstr(vgg_last_error(), "row 4 of 4"));
    assert_non_null(strstr(vgg_last_error(), path));

    /* a resuming writer cuts it off */
    vgg_featwriter *w = NULL;
    size_t existing = 0;
    assert_int_equal(vgg_featwriter_open(path, &d, true, &w, &existing), VGG_STATUS_OK);
    assert_int_equal(existing, 3);
    assert_int_equal(vgg_featwriter_cut_bytes(w), (size_t)record);
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
    assert_int_equal(file_size(path), size - record);

    /* a zero-filled tail (a lost write) is cut too */
    assert_int_equal(truncate(path, size + record), 0);
    assert_int_equal(vgg_featwriter_open(path, &d, true, &w, &existing), VGG_STATUS_OK);
    assert_int_equal(existing, 3);
    assert_int_equal(vgg_featwriter_cut_bytes(w), (size_t)(2 * record));
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);

    /* damage in the middle (row 2 of 3) is refused, nothing cut */
    long now = file_size(path);
    flip_byte(path, now - 2 * record + 20);
    assert_int_equal(vgg_featwriter_open(path, &d, true, &w, &existing), VGG_STATUS_FORMAT);
    assert_null(w);
    assert_non_null(strstr(vgg_last_error(), "row 2 of 3"));
    assert_non_null(strstr(vgg_last_error(), "middle"));
    assert_int_equal(file_size(path), now);
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_FORMAT);
}

static void damaged_header_and_non_stores_are_refused(void **state)
{
    (void)state;
    char path[300];
    path_in(path, sizeof path, "h.vggf");
    vgg_featdesc d;
    make_desc(&d, 9);
    write_store(path, &d, 1);
    flip_byte(path, 100); /* inside the JSON */
    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_FORMAT);
    assert_non_null(strstr(vgg_last_error(), "header fails its checksum"));
    vgg_featwriter *w = NULL;
    assert_int_equal(vgg_featwriter_open(path, &d, true, &w, NULL), VGG_STATUS_FORMAT);

    path_in(path, sizeof path, "garbage.bin");
    FILE *fp = fopen(path, "wb");
    fputs("this is not a feature store at all, just words", fp);
    fclose(fp);
    assert_false(vgg_featstore_sniff_file(path));
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_FORMAT);
    assert_non_null(strstr(vgg_last_error(), "not a vggfeat feature store"));
    assert_int_equal(vgg_featwriter_open(path, &d, true, &w, NULL), VGG_STATUS_FORMAT);

    /* magic only: cut short */
    fp = fopen(path, "wb");
    fwrite("VGGFEAT\0\1\0\0\0", 1, 12, fp);
    fclose(fp);
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_FORMAT);
    assert_non_null(strstr(vgg_last_error(), "cut short"));

    path_in(path, sizeof path, "missing.vggf");
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_NOT_FOUND);
    assert_null(fs);
    vgg_featstore_close(NULL);
    assert_int_equal(vgg_featwriter_close(NULL), VGG_STATUS_OK);
}

static void bad_descriptions_are_refused(void **state)
{
    (void)state;
    char path[300];
    path_in(path, sizeof path, "bd.vggf");
    vgg_featdesc d;
    make_desc(&d, 0);
    vgg_featwriter *w = NULL;
    assert_int_equal(vgg_featwriter_open(path, &d, false, &w, NULL), VGG_STATUS_INVALID);
    make_desc(&d, 4);
    d.n_nets = 0;
    assert_int_equal(vgg_featwriter_open(path, &d, false, &w, NULL), VGG_STATUS_INVALID);
    assert_null(w);
    assert_int_equal(file_size(path), -1);
}

/* the name index finds a name's first row; label numbers sort bytewise */
static void name_index_and_label_numbers(void **state)
{
    (void)state;
    const char *names[] = { "b", "a", "c", "a", "B" };
    vgg_featindex *ix = NULL;
    assert_int_equal(vgg_featindex_build(names, 5, &ix), VGG_STATUS_OK);
    assert_int_equal(vgg_featindex_find(ix, "a"), 1);
    assert_int_equal(vgg_featindex_find(ix, "B"), 4);
    assert_int_equal(vgg_featindex_find(ix, "c"), 2);
    assert_true(vgg_featindex_find(ix, "d") == VGG_FEAT_NO_ROW);
    assert_true(vgg_featindex_find(ix, "") == VGG_FEAT_NO_ROW);
    assert_string_equal(vgg_featindex_duplicate(ix), "a");
    vgg_featindex_free(ix);
    assert_int_equal(vgg_featindex_build(names, 3, &ix), VGG_STATUS_OK);
    assert_null(vgg_featindex_duplicate(ix));
    vgg_featindex_free(ix);

    char path[512];
    path_in(path, sizeof path, "labels.vggf");
    unlink(path);
    vgg_featdesc d;
    make_desc(&d, 2);
    vgg_featwriter *w = NULL;
    assert_int_equal(vgg_featwriter_open(path, &d, false, &w, NULL), VGG_STATUS_OK);
    const float x[2] = { 1, 2 };
    const char *labels[] = { "dog", "Cat", "cat", "dog" };
    for (int i = 0; i < 4; i++)
        assert_int_equal(vgg_featwriter_append(w, names[i], labels[i], x), VGG_STATUS_OK);
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);
    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open(path, &fs), VGG_STATUS_OK);
    vgg_featlabels m;
    assert_int_equal(vgg_featlabels_build(fs, &m), VGG_STATUS_OK);
    /* "Cat" < "cat" < "dog" bytewise: 1, 2, 3 */
    assert_int_equal(m.n, 3);
    assert_int_equal(vgg_featlabels_number(&m, "Cat"), 1);
    assert_int_equal(vgg_featlabels_number(&m, "cat"), 2);
    assert_int_equal(vgg_featlabels_number(&m, "dog"), 3);
    vgg_featlabels_free(&m);
    vgg_featstore_close(fs);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(crc32_matches_zlib_check_value),
        cmocka_unit_test(name_index_and_label_numbers),
        cmocka_unit_test(desc_json_round_trip_and_equality),
        cmocka_unit_test(rows_read_back_exactly),
        cmocka_unit_test(explicit_indices_and_layout),
        cmocka_unit_test(resume_appends_and_never_overwrites),
        cmocka_unit_test(other_settings_are_refused),
        cmocka_unit_test(incomplete_last_row_is_ignored_then_cut),
        cmocka_unit_test(damaged_tail_is_repaired_middle_refused),
        cmocka_unit_test(damaged_header_and_non_stores_are_refused),
        cmocka_unit_test(bad_descriptions_are_refused),
    };
    return cmocka_run_group_tests(tests, setup_dir, remove_dir);
}
