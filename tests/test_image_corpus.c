/* image/: parity with Pillow over a corpus of real-world oddities.
 *
 * tests/gen_image_corpus.py makes the corpus in a temporary directory with
 * Pillow's reading of every file (what a PyTorch loader gets:
 * exif_transpose, then convert("RGB")).  Each file is decoded here with
 * the defaults and must
 *   - agree: decode to Pillow's size, within 2/255 of Pillow's pixels once
 *     both are resized to 32x32 bilinear (Pillow's BILINEAR for Pillow's,
 *     vgg_image_resize, the same filter step by step, for ours); files
 *     with transparency also with VGG_ALPHA_WHITE against Pillow's
 *     alpha_composite over white;
 *   - or be refused by both;
 *   - or, 16-bit gray only, differ on purpose: ours exactly v >> 8 (the
 *     generator checks it is within a level of v * 255 / 65535), Pillow's
 *     clipped to min(v, 255).
 * A table of every file is printed: file, outcome, largest difference at
 * 32x32 and at full size, our decoder's warnings.
 *
 * Needs python3 with Pillow and numpy, cjpeg and jpegtran: without them
 * the test is skipped (exit 77), or fails when VGG_REQUIRE_REFERENCES is
 * set (as in CI). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vgg/image.h"

static char dir[64];

static int sh(const char *cmd)
{
    int rc = system(cmd);
    return rc == -1 ? -1 : rc;
}

static char *in_dir(const char *name, const char *ext)
{
    static char buf[4][1024];
    static int i;
    char *p = buf[i++ % 4];
    snprintf(p, 1024, "%s/%s%s", dir, name, ext);
    return p;
}

/* a raw RGB file of w x h as an image (NULL if it is not that) */
static vgg_image *read_rgb(const char *path, int w, int h)
{
    char *data = NULL;
    size_t n = 0;
    if (vgg_read_file(path, 0, &data, &n) != VGG_STATUS_OK || n != (size_t)w * h * 3) {
        free(data);
        return NULL;
    }
    vgg_image *img = NULL;
    if (vgg_image_new(w, h, &img) == VGG_STATUS_OK)
        memcpy(img->px, data, n);
    free(data);
    return img;
}

/* largest absolute difference; -1 if the sizes differ */
static int max_diff(const vgg_image *a, const vgg_image *b)
{
    if (!a || !b || a->w != b->w || a->h != b->h)
        return -1;
    int m = 0;
    for (size_t i = 0; i < (size_t)a->w * a->h * 3; i++) {
        int d = abs((int)a->px[i] - (int)b->px[i]);
        m = d > m ? d : m;
    }
    return m;
}

/* ours resized to 32x32 against the reference file */
static int diff32(const vgg_image *img, const char *ref)
{
    vgg_image *small = NULL, *want = read_rgb(ref, 32, 32);
    int d = -1;
    if (want && vgg_image_resize(img, 32, 32, &small) == VGG_STATUS_OK)
        d = max_diff(small, want);
    vgg_image_free(small);
    vgg_image_free(want);
    return d;
}

typedef struct tally {
    int agree, refused, on_purpose, failed, white, warned;
} tally;

/* one line of corpus.txt: checked, a row of the table printed */
static void check_file(char *line, tally *t)
{
    char *name = strtok(line, "\t"), *kind = strtok(NULL, "\t"), *ws = strtok(NULL, "\t");
    char *hs = strtok(NULL, "\t"), *flags = strtok(NULL, "\t"), *note = strtok(NULL, "\n");
    if (!name || !kind || !ws || !hs || !flags) {
        print_error("corpus.txt: bad line\n");
        t->failed++;
        return;
    }
    const int w = atoi(ws), h = atoi(hs);
    vgg_image *img = NULL;
    vgg_status st = vgg_image_load(in_dir(name, ""), NULL, &img);
    const char *outcome = "FAILED";
    char detail[512] = "";
    int d32 = -1, dfull = -1;
    bool ok = false;
    if (!strcmp(kind, "refused")) {
        ok = st != VGG_STATUS_OK;
        outcome = ok ? "refused by both" : "FAILED: we decode, Pillow refuses";
        snprintf(detail, sizeof detail, "%s | Pillow: %s", ok ? vgg_last_error() : "", note);
        t->refused += ok;
    } else if (st != VGG_STATUS_OK) {
        outcome = "FAILED: we refuse, Pillow decodes";
        snprintf(detail, sizeof detail, "%s", vgg_last_error());
    } else {
        vgg_image *ref = read_rgb(in_dir(name, ".ref"), w, h);
        dfull = max_diff(img, ref);
        d32 = dfull < 0 ? -1 : diff32(img, in_dir(name, ".ref32"));
        if (!strcmp(kind, "differ16")) {
            /* ours is the correct scaling exactly; Pillow's clipped */
            vgg_image *pil = read_rgb(in_dir(name, ".pil"), w, h);
            int dpil = max_diff(img, pil);
            ok = dfull == 0 && dpil > 2;
            outcome = ok ? "differ on purpose" : "FAILED: 16-bit gray";
            snprintf(detail, sizeof detail, "ours v>>8 exactly; Pillow's clipped differs by up "
                     "to %d", dpil);
            vgg_image_free(pil);
            t->on_purpose += ok;
        } else {
            ok = d32 >= 0 && d32 <= 2;
            outcome = ok ? "agree" : d32 < 0 ? "FAILED: size" : "FAILED: pixels";
            if (d32 < 0)
                snprintf(detail, sizeof detail, "ours %dx%d, Pillow %dx%d", img->w, img->h, w,
                         h);
            t->agree += ok;
        }
        vgg_image_free(ref);
        if (ok && !strcmp(flags, "white")) {
            vgg_decode_opts o;
            vgg_decode_opts_default(&o);
            o.alpha = VGG_ALPHA_WHITE;
            vgg_image *wimg = NULL;
            int dw = vgg_image_load(in_dir(name, ""), &o, &wimg) == VGG_STATUS_OK
                         ? diff32(wimg, in_dir(name, ".white32")) : -1;
            vgg_image_free(wimg);
            ok = dw >= 0 && dw <= 2;
            if (!ok)
                outcome = "FAILED: on white";
            size_t k = strlen(detail);
            snprintf(detail + k, sizeof detail - k, "%son white: %d", k ? "; " : "", dw);
            t->white += ok;
        }
        if (img->warnings) {
            size_t k = strlen(detail);
            snprintf(detail + k, sizeof detail - k, "%s%d warning%s: %s", k ? "; " : "",
                     img->warnings, img->warnings == 1 ? "" : "s", img->warning);
            t->warned++;
        }
    }
    t->failed += !ok;
    print_message("%-34s %-18s %6d %6d  %s%s%s\n", name, outcome, d32, dfull,
                  !strcmp(kind, "refused") ? "" : note ? note : "",
                  *detail && strcmp(kind, "refused") ? " | " : "", detail);
    vgg_image_free(img);
}

static void corpus_agrees_with_pillow(void **state)
{
    (void)state;
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/gen_image_corpus.py' '%s'", VGG_PYTHON,
             VGG_SOURCE_DIR, dir);
    assert_int_equal(sh(cmd), 0);
    FILE *fp = fopen(in_dir("corpus.txt", ""), "r");
    assert_non_null(fp);
    tally t = { 0 };
    char line[2048];
    int files = 0;
    print_message("%-34s %-18s %6s %6s  %s\n", "file", "outcome", "max32", "full", "what");
    while (fgets(line, sizeof line, fp)) {
        check_file(line, &t);
        files++;
    }
    fclose(fp);
    print_message("%d files: %d agree (%d also on white), %d refused by both, %d differ on "
                  "purpose (16-bit gray), %d failed; %d decoded with warnings\n", files, t.agree,
                  t.white, t.refused, t.on_purpose, t.failed, t.warned);
    assert_true(files > 150);
    assert_true(t.on_purpose >= 4);
    assert_true(t.refused >= 10);
    assert_int_equal(t.failed, 0);
}

static bool have_references(void)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' -c 'import PIL, numpy' >/dev/null 2>&1", VGG_PYTHON);
    return sh(cmd) == 0 &&
           sh("command -v cjpeg >/dev/null 2>&1 && command -v jpegtran >/dev/null 2>&1") == 0;
}

int main(void)
{
    if (!have_references()) {
        const char *req = getenv("VGG_REQUIRE_REFERENCES");
        fprintf(stderr, "test_image_corpus: python3 with Pillow and numpy, cjpeg or jpegtran "
                "missing (Debian: python3-pil python3-numpy libjpeg-turbo-progs)\n");
        return req && *req && strcmp(req, "0") ? 1 : 77;
    }
    snprintf(dir, sizeof dir, "image_corpus_XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(corpus_agrees_with_pillow),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (rc == 0 && sh(cmd) != 0)
        rc = 1;
    return rc;
}
