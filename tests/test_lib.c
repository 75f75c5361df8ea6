/* libvggfeat through its public header alone (include/vgg/vggfeat.h), on
 * tiny nets: rows byte for byte those of `vggfeat extract` (files, pixel
 * buffers in RGB, BGR and gray with padded strides, boxes, other
 * settings), the stores read back with their names, labels and
 * descriptions, the options and their messages, errors naming the file,
 * the thread-local message and concurrent calls on one describer. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgg/vggfeat.h"

#define VGGFEAT VGG_BIN_DIR "/vggfeat"
#define REF VGG_SOURCE_DIR "/tests/extract_ref.py"
#define NETS "nets/netD.safetensors,nets/netE.safetensors"

static char tmpdir[256];
static bool have_python;   /* numpy + Pillow: nets and raw pixels can be made */

/* a shell command in tmpdir, its output in out.txt; the exit status */
static int sh(const char *fmt, ...)
{
    char cmd[4096], full[4200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    snprintf(full, sizeof full, "(%s) >out.txt 2>&1", cmd);
    int rc = system(full);
    return rc == -1 || !WIFEXITED(rc) ? -1 : WEXITSTATUS(rc);
}

static void show_output(void)
{
    char buf[8192];
    FILE *fp = fopen("out.txt", "rb");
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp)
        fclose(fp);
    buf[n] = '\0';
    print_message("%s\n", buf);
}

#define assert_run_ok(...)                                                                    \
    do {                                                                                      \
        int rc_ = sh(__VA_ARGS__);                                                            \
        if (rc_ != 0) {                                                                       \
            show_output();                                                                    \
            fail_msg("exit status %d", rc_);                                                  \
        }                                                                                     \
    } while (0)

#define assert_ok(call)                                                                       \
    do {                                                                                      \
        vgg_status st_ = (call);                                                              \
        if (st_ != VGG_STATUS_OK)                                                             \
            fail_msg("%s: %s", #call, vgg_last_error());                                      \
    } while (0)

#define assert_error_has(s)                                                                   \
    do {                                                                                      \
        if (!strstr(vgg_last_error(), (s)))                                                   \
            fail_msg("message '%s' lacks '%s'", vgg_last_error(), (s));                       \
    } while (0)

#define NEED_NETS()                                                                           \
    do {                                                                                      \
        if (!have_python)                                                                     \
            skip();                                                                           \
    } while (0)

/* Raw pixels of the fixtures as Pillow decodes them (PNG: no decoder
 * freedom), for the buffer cases: a.rgb (97x71 RGB) and e.gray (70x50). */
static const char make_raw[] =
    "from PIL import Image\n"
    "open('a.rgb', 'wb').write(Image.open('imgs/a.png').convert('RGB').tobytes())\n"
    "open('e.gray', 'wb').write(Image.open('imgs/sub/e.png').tobytes())\n"
    "assert Image.open('imgs/a.png').size == (97, 71)\n"
    "assert Image.open('imgs/sub/e.png').mode == 'L'\n"
    "assert Image.open('imgs/sub/e.png').size == (70, 50)\n";

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vgg_lib_XXXXXX");
    if (!mkdtemp(tmpdir) || chdir(tmpdir) != 0)
        return -1;
    if (system("cp -r '" VGG_FIXTURES "/extract/imgs' imgs") != 0)
        return -1;
    FILE *fp = fopen("make_raw.py", "w");
    if (!fp)
        return -1;
    fputs(make_raw, fp);
    fclose(fp);
    have_python = sh("'%s' '%s' nets nets && '%s' make_raw.py", VGG_PYTHON, REF,
                     VGG_PYTHON) == 0;
    if (!have_python) {
        print_message("the nets or raw pixels could not be made (numpy, Pillow missing?):\n");
        show_output();
    }
    /* the models folder: letter D is vgg16.safetensors there */
    if (have_python && system("mkdir -p models && cp nets/netD.safetensors "
                              "models/vgg16.safetensors") != 0)
        return -1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (chdir("/") != 0)
        return -1;
    return system(cmd) == 0 ? 0 : -1;
}

/* a describer with options name=value pairs, ended by NULL */
static vgg_describer *open_describer(const char *name, ...)
{
    vgg_describer_opts *o = NULL;
    assert_ok(vgg_describer_opts_new(&o));
    assert_ok(vgg_describer_opts_set(o, "threads", "1"));
    va_list ap;
    va_start(ap, name);
    for (const char *n = name; n; n = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        assert_ok(vgg_describer_opts_set(o, n, v));
    }
    va_end(ap);
    vgg_describer *d = NULL;
    assert_ok(vgg_describer_open(o, &d));
    vgg_describer_opts_free(o);
    return d;
}

/* the rows of store path, each described again from name (a path or
 * "path#x1,y1,x2,y2") by d, compared bit for bit; the descriptions equal */
static void assert_rows_equal_store(vgg_describer *d, const char *path, size_t want_rows)
{
    vgg_store *s = NULL;
    assert_ok(vgg_store_open(path, &s));
    assert_int_equal(vgg_store_rows(s), want_rows);
    assert_int_equal(vgg_store_dim(s), vgg_describer_dim(d));
    /* the same description, less the store's record of its input list
     * (the library describes images, not a list) */
    char *desc = strdup(vgg_store_description(s));
    char *list = strstr(desc, ",\"list\":{");
    if (list)
        strcpy(list, "}");
    assert_string_equal(desc, vgg_describer_description(d));
    free(desc);
    const int dim = vgg_describer_dim(d);
    float *row = malloc(sizeof *row * dim);
    for (size_t r = 0; r < want_rows; r++) {
        char name[512];
        snprintf(name, sizeof name, "%s", vgg_store_name(s, r));
        int box[4];
        char *hash = strchr(name, '#');
        if (hash) {
            *hash = '\0';
            assert_int_equal(sscanf(hash + 1, "%d,%d,%d,%d", &box[0], &box[1], &box[2], &box[3]),
                             4);
        }
        memset(row, 0xff, sizeof *row * dim);
        assert_ok(vgg_describer_file(d, name, hash ? box : NULL, row));
        if (memcmp(row, vgg_store_row(s, r), sizeof *row * dim) != 0)
            fail_msg("'%s' row %zu (%s): the library's row differs from vggfeat extract's", path,
                     r, vgg_store_name(s, r));
    }
    free(row);
    vgg_store_close(s);
}

/* ---------------------------------------------------------------- rows */

static void file_rows_equal_extract(void **state)
{
    (void)state;
    NEED_NETS();
    /* two nets of different preprocessing, two scales stacked, flips, L2 */
    assert_run_ok("%s extract --quiet --threads 1 --net " NETS " --scales 64,96 -o stack.vggf imgs",
                  VGGFEAT);
    vgg_describer *d = open_describer("nets", NETS, "scales", "64,96", NULL);
    assert_int_equal(vgg_describer_dim(d), 128);
    assert_rows_equal_store(d, "stack.vggf", 6);
    vgg_describer_close(d);
}

static void other_settings_rows_equal_extract(void **state)
{
    (void)state;
    NEED_NETS();
    assert_run_ok("%s extract --quiet --threads 1 --net " NETS " --scales 96,64 --aggregate average "
                  "--layer fc6 --no-flip --l2 per-net -o other.vggf imgs/a.png imgs/sub/f.jpg",
                  VGGFEAT);
    vgg_describer *d = open_describer("nets", NETS, "scales", "96,64", "aggregate", "average",
                                      "layer", "fc6", "flip", "no", "l2", "per-net", NULL);
    assert_rows_equal_store(d, "other.vggf", 2);
    vgg_describer_close(d);
    /* pool5, no L2; net D by its letter in the models folder */
    assert_run_ok("%s extract --quiet --threads 1 --models models --scales 64 --layer pool5 --no-l2 "
                  "-o pool5.vggf imgs/b.png imgs/c.png", VGGFEAT);
    d = open_describer("models", "models", "scales", "64", "layer", "pool5", "l2", "none", NULL);
    assert_rows_equal_store(d, "pool5.vggf", 2);
    vgg_describer_close(d);
}

/* transparency as vggfeat extract's --alpha: dropped by default, or
 * composed on white; the two give different rows */
static void alpha_rows_equal_extract(void **state)
{
    (void)state;
    NEED_NETS();
    assert_int_equal(sh("'%s' -c \"from PIL import Image; im = Image.open('imgs/a.png')"
                        ".convert('RGBA'); im.putalpha(Image.linear_gradient('L')"
                        ".resize(im.size)); im.save('rgba.png')\"", VGG_PYTHON), 0);
    assert_run_ok("%s extract --quiet --threads 1 --net " NETS " --scales 64 -o drop.vggf rgba.png",
                  VGGFEAT);
    assert_run_ok("%s extract --quiet --threads 1 --net " NETS " --scales 64 --alpha white "
                  "-o white.vggf rgba.png", VGGFEAT);
    vgg_describer *d = open_describer("nets", NETS, "scales", "64", NULL);
    assert_rows_equal_store(d, "drop.vggf", 1);
    vgg_describer_close(d);
    d = open_describer("nets", NETS, "scales", "64", "alpha", "white", NULL);
    assert_rows_equal_store(d, "white.vggf", 1);
    vgg_describer_close(d);
    vgg_store *a = NULL, *b = NULL;
    assert_ok(vgg_store_open("drop.vggf", &a));
    assert_ok(vgg_store_open("white.vggf", &b));
    assert_true(memcmp(vgg_store_row(a, 0), vgg_store_row(b, 0),
                       sizeof(float) * (size_t)vgg_store_dim(a)) != 0);
    vgg_store_close(a);
    vgg_store_close(b);
    vgg_describer_opts *o = NULL;
    assert_ok(vgg_describer_opts_new(&o));
    assert_int_equal(vgg_describer_opts_set(o, "alpha", "black"), VGG_STATUS_INVALID);
    assert_non_null(strstr(vgg_last_error(), "drop or white"));
    assert_int_equal(vgg_describer_opts_set(o, "max-input-pixels", "0"), VGG_STATUS_INVALID);
    vgg_describer_opts_free(o);
}

static void box_rows_equal_extract(void **state)
{
    (void)state;
    NEED_NETS();
    FILE *fp = fopen("boxes.txt", "w");
    fprintf(fp, "imgs/d.jpg\tdog\tbox=0,0,120,90\n"
                "imgs/d.jpg\tcat\tbox=60,30,120,90\n"
                "imgs/a.png\t\tbox=0,5,40,71\n");
    fclose(fp);
    assert_run_ok("%s extract --quiet --threads 1 --net nets/netE.safetensors --scales 32 "
                  "--list boxes.txt -o boxes.vggf", VGGFEAT);
    assert_run_ok("%s extract --quiet --threads 1 --net nets/netE.safetensors --scales 32 "
                  "--with-image --list boxes.txt -o boxes_img.vggf", VGGFEAT);
    vgg_describer *d = open_describer("nets", "nets/netE.safetensors", "scales", "32", NULL);
    vgg_store *s = NULL;
    assert_ok(vgg_store_open("boxes.vggf", &s));
    assert_string_equal(vgg_store_name(s, 1), "imgs/d.jpg#60,30,120,90");
    assert_string_equal(vgg_store_label(s, 1), "cat");
    assert_string_equal(vgg_store_label(s, 2), "");
    vgg_store_close(s);
    /* the store's description says "region": "box"; the rows are the same */
    float row[64];
    assert_ok(vgg_describer_file(d, "imgs/d.jpg", (const int[]){ 60, 30, 120, 90 }, row));
    assert_ok(vgg_store_open("boxes.vggf", &s));
    assert_memory_equal(row, vgg_store_row(s, 1), sizeof(float) * 32);
    vgg_store_close(s);
    vgg_describer_close(d);
    d = open_describer("nets", "nets/netE.safetensors", "scales", "32", "with_image", "yes", NULL);
    assert_int_equal(vgg_describer_dim(d), 64);
    assert_rows_equal_store(d, "boxes_img.vggf", 3);
    vgg_describer_close(d);
}

/* p's h rows of w * bpp bytes into a buffer of stride bytes a row, the
 * padding filled with junk; bgr: the channels reversed */
static uint8_t *restride(const uint8_t *p, int w, int h, int bpp, size_t stride, bool bgr)
{
    uint8_t *b = malloc(stride * h);
    memset(b, 0xa5, stride * h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w * bpp; x++) {
            int c = x % bpp, px = x / bpp;
            b[y * stride + x] = p[(size_t)y * w * bpp + px * bpp + (bgr ? bpp - 1 - c : c)];
        }
    return b;
}

static uint8_t *read_raw(const char *path, size_t n)
{
    uint8_t *b = malloc(n);
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(b, 1, n, fp), n);
    fclose(fp);
    return b;
}

static void pixel_buffers_equal_files(void **state)
{
    (void)state;
    NEED_NETS();
    vgg_describer *d = open_describer("nets", NETS, "scales", "64,72", NULL);
    const int dim = vgg_describer_dim(d);
    float *want = malloc(sizeof(float) * dim), *got = malloc(sizeof(float) * dim);
    uint8_t *rgb = read_raw("a.rgb", 97 * 71 * 3), *gray = read_raw("e.gray", 70 * 50);

    assert_ok(vgg_describer_file(d, "imgs/a.png", NULL, want));
    assert_ok(vgg_describer_pixels(d, rgb, 97, 71, 97 * 3, VGG_PIXEL_RGB, NULL, got));
    assert_memory_equal(got, want, sizeof(float) * dim);
    uint8_t *bgr = restride(rgb, 97, 71, 3, 97 * 3 + 13, true);
    assert_ok(vgg_describer_pixels(d, bgr, 97, 71, 97 * 3 + 13, VGG_PIXEL_BGR, NULL, got));
    assert_memory_equal(got, want, sizeof(float) * dim);
    /* the same bytes read as RGB are another image */
    assert_ok(vgg_describer_pixels(d, bgr, 97, 71, 97 * 3 + 13, VGG_PIXEL_RGB, NULL, got));
    assert_memory_not_equal(got, want, sizeof(float) * dim);

    /* a box of the buffer is the box of the file */
    const int box[4] = { 10, 3, 90, 60 };
    assert_ok(vgg_describer_file(d, "imgs/a.png", box, want));
    assert_ok(vgg_describer_pixels(d, rgb, 97, 71, 97 * 3, VGG_PIXEL_RGB, box, got));
    assert_memory_equal(got, want, sizeof(float) * dim);

    /* gray, replicated as the decoder does */
    assert_ok(vgg_describer_file(d, "imgs/sub/e.png", NULL, want));
    uint8_t *gray_padded = restride(gray, 70, 50, 1, 77, false);
    assert_ok(vgg_describer_pixels(d, gray_padded, 70, 50, 77, VGG_PIXEL_GRAY, NULL, got));
    assert_memory_equal(got, want, sizeof(float) * dim);

    free(gray_padded);
    free(bgr);
    free(rgb);
    free(gray);
    free(want);
    free(got);
    vgg_describer_close(d);
}

/* ---------------------------------------------------------------- stores */

static void store_read_back(void **state)
{
    (void)state;
    NEED_NETS();
    FILE *fp = fopen("labels.txt", "w");
    fprintf(fp, "imgs/c.png\tcat\nimgs/sub/e.png\t\nimgs/b.png\tdog\n");
    fclose(fp);
    assert_run_ok("%s extract --quiet --threads 1 --net nets/netE.safetensors --scales 32 "
                  "--shard 1/2 --list labels.txt -o read.vggf", VGGFEAT);
    /* numpy's view of the file: each row's floats and the stride between */
    assert_run_ok("'%s' -c \"import sys; sys.path.insert(0, '%s/tests'); "
                  "from extract_ref import read_store; import numpy as np; "
                  "info, rows = read_store('read.vggf'); "
                  "np.ascontiguousarray(rows['x']).tofile('read.f32'); "
                  "print(rows.dtype.itemsize)\" > stride.txt", VGG_PYTHON, VGG_SOURCE_DIR);
    vgg_store *s = NULL;
    assert_ok(vgg_store_open("read.vggf", &s));
    /* shard 1/2: inputs 1 only (e.png, unlabelled) */
    assert_int_equal(vgg_store_rows(s), 1);
    assert_int_equal(vgg_store_dim(s), 32);
    assert_string_equal(vgg_store_name(s, 0), "imgs/sub/e.png");
    assert_string_equal(vgg_store_label(s, 0), "");
    assert_int_equal(vgg_store_index(s, 0), 1);
    assert_non_null(strstr(vgg_store_description(s), "\"scales\":[32]"));
    uint8_t *x = read_raw("read.f32", 32 * sizeof(float));
    assert_memory_equal(vgg_store_row(s, 0), x, 32 * sizeof(float));
    free(x);
    FILE *sf = fopen("stride.txt", "r");
    size_t stride = 0;
    assert_int_equal(fscanf(sf, "%zu", &stride), 1);
    fclose(sf);
    assert_int_equal(vgg_store_row_stride(s), stride);
    /* past the last row: NULL, never an abort */
    assert_null(vgg_store_row(s, 1));
    assert_null(vgg_store_name(s, 1));
    assert_null(vgg_store_label(s, 7));
    assert_int_equal(vgg_store_index(s, 1), 0);
    vgg_store_close(s);

    /* three rows: the stride is the distance between them */
    assert_run_ok("%s extract --quiet --threads 1 --net nets/netE.safetensors --scales 32 "
                  "--list labels.txt -o read3.vggf", VGGFEAT);
    assert_ok(vgg_store_open("read3.vggf", &s));
    assert_int_equal(vgg_store_rows(s), 3);
    assert_int_equal((const char *)vgg_store_row(s, 2) - (const char *)vgg_store_row(s, 1),
                     vgg_store_row_stride(s));
    assert_int_equal(vgg_store_row_stride(s), stride);
    assert_string_equal(vgg_store_label(s, 2), "dog");
    vgg_store_close(s);
    vgg_store_close(NULL);
}

/* ---------------------------------------------------------------- errors */

static void errors_name_the_file(void **state)
{
    (void)state;
    NEED_NETS();
    vgg_describer *d = open_describer("nets", "nets/netE.safetensors", "scales", "32", NULL);
    float row[32];
    assert_int_equal(vgg_describer_file(d, "nowhere/x.png", NULL, row), VGG_STATUS_NOT_FOUND);
    assert_error_has("'nowhere/x.png'");
    assert_int_equal(system("head -c 300 /dev/zero > zeros.png"), 0);
    assert_int_equal(vgg_describer_file(d, "zeros.png", NULL, row), VGG_STATUS_FORMAT);
    assert_error_has("'zeros.png'");
    assert_int_equal(vgg_describer_file(d, "imgs/a.png", (const int[]){ 0, 0, 98, 10 }, row),
                     VGG_STATUS_INVALID);
    assert_error_has("'imgs/a.png'");
    assert_error_has("box 0,0,98,10 reaches past the 97x71 image");
    assert_int_equal(vgg_describer_file(d, "imgs/a.png", (const int[]){ 5, 0, 5, 10 }, row),
                     VGG_STATUS_INVALID);

    uint8_t px[12 * 10 * 3] = { 0 };
    assert_int_equal(vgg_describer_pixels(d, px, 12, 10, 35, VGG_PIXEL_RGB, NULL, row),
                     VGG_STATUS_INVALID);
    assert_error_has("'12x10 pixel buffer': a row takes 36 bytes, more than the stride 35");
    assert_int_equal(vgg_describer_pixels(d, px, 0, 10, 36, VGG_PIXEL_RGB, NULL, row),
                     VGG_STATUS_INVALID);
    assert_int_equal(vgg_describer_pixels(d, px, 12, 10, 36, (vgg_pixel_format)7, NULL, row),
                     VGG_STATUS_INVALID);
    assert_error_has("unknown pixel format 7");
    assert_int_equal(vgg_describer_pixels(d, NULL, 12, 10, 36, VGG_PIXEL_RGB, NULL, row),
                     VGG_STATUS_INVALID);
    /* 12x1 (a banner) is described; past the pixel budget it is TOO_LARGE
     * (at Q=32 it is 384x32 = 12288 pixels) */
    assert_int_equal(vgg_describer_pixels(d, px, 12, 1, 36, VGG_PIXEL_RGB, NULL, row),
                     VGG_STATUS_OK);
    vgg_describer *small = open_describer("nets", "nets/netE.safetensors", "scales", "32",
                                          "max-input-pixels", "12287", NULL);
    assert_int_equal(vgg_describer_pixels(small, px, 12, 1, 36, VGG_PIXEL_RGB, NULL, row),
                     VGG_STATUS_TOO_LARGE);
    assert_error_has("12x1 pixel buffer");
    assert_error_has("max-input-pixels");
    vgg_describer_close(small);
    assert_int_equal(vgg_describer_pixels(d, px, 12, 10, 36, VGG_PIXEL_RGB,
                                          (const int[]){ 0, 0, 13, 10 }, row),
                     VGG_STATUS_INVALID);
    assert_error_has("'12x10 pixel buffer': box 0,0,13,10");
    vgg_describer_close(d);

    vgg_store *s = (vgg_store *)1;
    assert_int_equal(vgg_store_open("nowhere.vggf", &s), VGG_STATUS_NOT_FOUND);
    assert_null(s);
    assert_error_has("'nowhere.vggf'");
    assert_int_equal(vgg_store_open("imgs/a.png", &s), VGG_STATUS_FORMAT);
    assert_error_has("'imgs/a.png'");
}

static void options_and_opening(void **state)
{
    (void)state;
    vgg_describer_opts *o = NULL;
    assert_ok(vgg_describer_opts_new(&o));
    assert_int_equal(vgg_describer_opts_set(o, "colour", "yes"), VGG_STATUS_INVALID);
    assert_error_has("option 'colour': unknown");
    assert_int_equal(vgg_describer_opts_set(o, "scales", "256,0"), VGG_STATUS_INVALID);
    assert_error_has("scales");
    assert_int_equal(vgg_describer_opts_set(o, "scales", "200000"), VGG_STATUS_INVALID);
    assert_int_equal(vgg_describer_opts_set(o, "l2", "both"), VGG_STATUS_INVALID);
    assert_error_has("option l2 'both'");
    assert_int_equal(vgg_describer_opts_set(o, "flip", "maybe"), VGG_STATUS_INVALID);
    assert_int_equal(vgg_describer_opts_set(o, "layer", "fc8"), VGG_STATUS_INVALID);
    assert_error_has("fc8");
    assert_int_equal(vgg_describer_opts_set(o, "aggregate", "max"), VGG_STATUS_INVALID);
    assert_int_equal(vgg_describer_opts_set(o, "threads", "-1"), VGG_STATUS_INVALID);
    assert_int_equal(vgg_describer_opts_set(o, "precision", "fp8"), VGG_STATUS_INVALID);
    assert_int_equal(vgg_describer_opts_set(o, "nets", ""), VGG_STATUS_INVALID);
    assert_int_equal(vgg_describer_opts_set(o, NULL, "x"), VGG_STATUS_INVALID);
    assert_int_equal(vgg_describer_opts_set(NULL, "flip", "no"), VGG_STATUS_INVALID);
    assert_ok(vgg_describer_opts_set(o, "with_image", "on"));
    assert_ok(vgg_describer_opts_set(o, "with-image", "off"));

    /* a letter missing from the models folder: the file to put there */
    assert_ok(vgg_describer_opts_set(o, "models", "nowhere"));
    vgg_describer *d = (vgg_describer *)1;
    assert_int_equal(vgg_describer_open(o, &d), VGG_STATUS_NOT_FOUND);
    assert_null(d);
    assert_error_has("nowhere/vgg16.safetensors");
    assert_ok(vgg_describer_opts_set(o, "nets", "Q"));
    assert_int_equal(vgg_describer_open(o, &d), VGG_STATUS_INVALID);
    assert_error_has("'Q'");
    assert_ok(vgg_describer_opts_set(o, "nets", "nets/missing.safetensors"));
    assert_int_equal(vgg_describer_open(o, &d), VGG_STATUS_NOT_FOUND);
    assert_error_has("nets/missing.safetensors");
    if (have_python) {
        /* netD's smallest input is 32 */
        assert_ok(vgg_describer_opts_set(o, "nets", "nets/netD.safetensors"));
        assert_ok(vgg_describer_opts_set(o, "scales", "16"));
        assert_int_equal(vgg_describer_open(o, &d), VGG_STATUS_INVALID);
        assert_error_has("scale 16");
        /* a weights file that is no such file */
        assert_ok(vgg_describer_opts_set(o, "nets", "imgs/a.png"));
        assert_ok(vgg_describer_opts_set(o, "scales", "64"));
        assert_int_equal(vgg_describer_open(o, &d), VGG_STATUS_FORMAT);
        assert_error_has("imgs/a.png");
    }
    assert_int_equal(vgg_describer_open(NULL, &d), VGG_STATUS_INVALID);
    vgg_describer_opts_free(o);
    vgg_describer_opts_free(NULL);
    vgg_describer_close(NULL);
}

static void version_and_statuses(void **state)
{
    (void)state;
    char want[32];
    snprintf(want, sizeof want, "%d.%d.%d", VGGFEAT_VERSION_MAJOR, VGGFEAT_VERSION_MINOR,
             VGGFEAT_VERSION_PATCH);
    assert_string_equal(vgg_version(), want);
    assert_string_equal(vgg_version(), VGG_PROJECT_VERSION);
    /* the header's numbering is the library's */
    assert_string_equal(vgg_status_name(VGG_STATUS_OK), "ok");
    assert_string_equal(vgg_status_name(VGG_STATUS_IO), "i/o error");
    assert_string_equal(vgg_status_name(VGG_STATUS_FORMAT), "format error");
    assert_string_equal(vgg_status_name(VGG_STATUS_INVALID), "invalid argument");
    assert_string_equal(vgg_status_name(VGG_STATUS_NOT_FOUND), "not found");
    assert_string_equal(vgg_status_name(VGG_STATUS_DEVICE), "device error");
    assert_string_equal(vgg_status_name(VGG_STATUS_COUNT_), "unknown status");
}

/* ---------------------------------------------------------------- threads */

static void *fail_in_thread(void *arg)
{
    (void)arg;
    vgg_store *s;
    vgg_status st = vgg_store_open("other_thread.vggf", &s);
    return strstr(vgg_last_error(), "other_thread.vggf") && st == VGG_STATUS_NOT_FOUND
               ? (void *)1 : NULL;
}

typedef struct job {
    vgg_describer *d;
    const char *path;
    float row[128];
    vgg_status st;
} job;

static void *describe_in_thread(void *arg)
{
    job *j = arg;
    for (int k = 0; k < 3 && j->st == VGG_STATUS_OK; k++)
        j->st = vgg_describer_file(j->d, j->path, NULL, j->row);
    return NULL;
}

static void messages_and_calls_across_threads(void **state)
{
    (void)state;
    vgg_clear_error();
    assert_string_equal(vgg_last_error(), "");
    pthread_t t;
    void *ok = NULL;
    assert_int_equal(pthread_create(&t, NULL, fail_in_thread, NULL), 0);
    assert_int_equal(pthread_join(t, &ok), 0);
    assert_non_null(ok);
    assert_string_equal(vgg_last_error(), "");   /* the other thread's message stayed there */

    if (!have_python)
        skip();
    /* one describer, four threads at once: each gets its image's row */
    vgg_describer *d = open_describer("nets", NETS, "scales", "64,96", NULL);
    const char *paths[4] = { "imgs/a.png", "imgs/d.jpg", "imgs/sub/e.png", "imgs/b.png" };
    job jobs[4];
    pthread_t ts[4];
    for (int i = 0; i < 4; i++) {
        jobs[i] = (job){ .d = d, .path = paths[i], .st = VGG_STATUS_OK };
        assert_int_equal(pthread_create(&ts[i], NULL, describe_in_thread, &jobs[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        assert_int_equal(pthread_join(ts[i], NULL), 0);
    for (int i = 0; i < 4; i++) {
        float alone[128];
        assert_int_equal(jobs[i].st, VGG_STATUS_OK);
        assert_ok(vgg_describer_file(d, paths[i], NULL, alone));
        assert_memory_equal(jobs[i].row, alone, sizeof alone);
    }
    vgg_describer_close(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(file_rows_equal_extract),
        cmocka_unit_test(other_settings_rows_equal_extract),
        cmocka_unit_test(alpha_rows_equal_extract),
        cmocka_unit_test(box_rows_equal_extract),
        cmocka_unit_test(pixel_buffers_equal_files),
        cmocka_unit_test(store_read_back),
        cmocka_unit_test(errors_name_the_file),
        cmocka_unit_test(options_and_opening),
        cmocka_unit_test(version_and_statuses),
        cmocka_unit_test(messages_and_calls_across_threads),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
