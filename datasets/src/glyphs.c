/* Rendered glyph sets: a class per character, drawn with FreeType from
 * installed font faces (see vgg_glyphs_render in vgg/datasets.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <ft2build.h>
#include FT_FREETYPE_H
#include FT_OUTLINE_H

#include "vgg/datasets.h"
#include "datasets_internal.h"

/* Debian's CJK faces (fonts-noto-cjk, fonts-arphic-ukai/uming,
 * fonts-ipafont-gothic/mincho, fonts-wqy-microhei). */
static const char *const default_faces[] = {
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Bold.ttc",
    "/usr/share/fonts/truetype/arphic/ukai.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/opentype/ipafont-gothic/ipag.ttf",
    "/usr/share/fonts/opentype/ipafont-mincho/ipam.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
};

void vgg_glyph_opts_default(vgg_glyph_opts *o)
{
    *o = (vgg_glyph_opts){
        .faces = default_faces,
        .n_faces = (int)(sizeof default_faces / sizeof default_faces[0]),
        .first = 0x4E00,
        .last = 0x9FFF,
        .n_classes = 1000,
        .per_class = 80,
        .seed = 1,
        .size = 32,
        .min_coverage = 0.25,
    };
}

int vgg_glyph_default_faces(const char *const **faces)
{
    *faces = default_faces;
    return (int)(sizeof default_faces / sizeof default_faces[0]);
}

/* ---- faces ---- */

typedef struct face_set {
    FT_Library lib;
    FT_Face *faces;
    int n;
} face_set;

static void faces_close(face_set *fs)
{
    for (int i = 0; i < fs->n; i++)
        if (fs->faces[i])
            FT_Done_Face(fs->faces[i]);
    free(fs->faces);
    if (fs->lib)
        FT_Done_FreeType(fs->lib);
    memset(fs, 0, sizeof *fs);
}

/* "path" or "path:index" (a face of a collection). */
static vgg_status open_face(FT_Library lib, const char *spec, FT_Face *out)
{
    char path[4096];
    long index = 0;
    if (snprintf(path, sizeof path, "%s", spec) >= (int)sizeof path)
        return vgg_fail(VGG_STATUS_INVALID, "'%s': font path too long", spec);
    char *colon = strrchr(path, ':');
    if (colon && colon[1]) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (*end == '\0' && v >= 0) {
            index = v;
            *colon = '\0';
        }
    }
    struct stat sb;
    if (stat(path, &sb) != 0)
        return vgg_fail(VGG_STATUS_NOT_FOUND,
                        "font '%s': %s (the CJK faces come from Debian's fonts-noto-cjk, "
                        "fonts-arphic-ukai, fonts-arphic-uming, fonts-ipafont-gothic, "
                        "fonts-ipafont-mincho, fonts-wqy-microhei; sh pipelines/setup.sh "
                        "installs them)", path, strerror(errno));
    FT_Error e = FT_New_Face(lib, path, index, out);
    if (e) {
        *out = NULL;
        return vgg_fail(VGG_STATUS_FORMAT, "font '%s': FreeType cannot open face %ld (error %d)",
                        path, index, (int)e);
    }
    if (!FT_IS_SCALABLE(*out)) {
        FT_Done_Face(*out);
        *out = NULL;
        return vgg_fail(VGG_STATUS_FORMAT, "font '%s': not a scalable (outline) face", path);
    }
    return VGG_STATUS_OK;
}

static vgg_status faces_open(const vgg_glyph_opts *o, face_set *fs)
{
    memset(fs, 0, sizeof *fs);
    if (o->n_faces < 1)
        return vgg_fail(VGG_STATUS_INVALID, "glyphs: no font face given");
    if (FT_Init_FreeType(&fs->lib))
        return vgg_fail(VGG_STATUS_NOMEM, "glyphs: FreeType cannot start");
    fs->faces = calloc((size_t)o->n_faces, sizeof *fs->faces);
    if (!fs->faces) {
        faces_close(fs);
        return vgg_fail(VGG_STATUS_NOMEM, "glyphs: out of memory");
    }
    fs->n = o->n_faces;
    for (int i = 0; i < o->n_faces; i++) {
        vgg_status st = open_face(fs->lib, o->faces[i], &fs->faces[i]);
        if (st != VGG_STATUS_OK) {
            faces_close(fs);
            return st;
        }
    }
    return VGG_STATUS_OK;
}

/* Leave out the faces that cover less than min_coverage of the range
 * (Han-only faces for a Hangul set); an error when none is left. */
static vgg_status faces_for_range(const vgg_glyph_opts *o, face_set *fs, vgg_glyph_report *rep)
{
    if (o->last < o->first || o->last > 0x10FFFF)
        return vgg_fail(VGG_STATUS_INVALID, "glyphs: bad character range U+%04X-U+%04X",
                        (unsigned)o->first, (unsigned)o->last);
    double span = (double)(o->last - o->first) + 1;
    int kept = 0;
    for (int f = 0; f < fs->n; f++) {
        size_t covered = 0;
        for (uint32_t cp = o->first; cp <= o->last; cp++)
            covered += FT_Get_Char_Index(fs->faces[f], cp) != 0;
        if ((double)covered < o->min_coverage * span || covered == 0) {
            FT_Done_Face(fs->faces[f]);
            rep->faces_left_out++;
        } else {
            fs->faces[kept++] = fs->faces[f];
        }
    }
    fs->n = kept;
    if (kept == 0)
        return vgg_fail(VGG_STATUS_NOT_FOUND,
                        "glyphs: none of the %d faces covers %.0f%% of U+%04X-U+%04X",
                        o->n_faces, 100 * o->min_coverage, (unsigned)o->first,
                        (unsigned)o->last);
    rep->faces = (size_t)kept;
    return VGG_STATUS_OK;
}

/* ---- choosing the characters ---- */

static vgg_status read_exclude(const char *path, uint32_t **cps, size_t *n)
{
    *cps = NULL;
    *n = 0;
    if (!path)
        return VGG_STATUS_OK;
    vgg_list *l = NULL;
    vgg_status st = vgg_list_read(path, VGG_LIST_COMMENTS, &l);
    if (st != VGG_STATUS_OK)
        return st;
    uint32_t *v = malloc(sizeof *v * (l->n ? l->n : 1));
    if (!v) {
        vgg_list_free(l);
        return vgg_fail(VGG_STATUS_NOMEM, "'%s': out of memory", path);
    }
    for (size_t i = 0; i < l->n; i++) {
        unsigned long cp;
        char *end;
        const char *s = l->paths[i];
        if (strncmp(s, "U+", 2) != 0 || (cp = strtoul(s + 2, &end, 16), *end != '\0') ||
            cp > 0x10FFFF) {
            st = vgg_fail(VGG_STATUS_FORMAT, "'%s', line %zu: '%s' is not a class U+XXXX", path,
                          l->lines[i], s);
            free(v);
            vgg_list_free(l);
            return st;
        }
        v[i] = (uint32_t)cp;
    }
    *n = l->n;
    *cps = v;
    vgg_list_free(l);
    return VGG_STATUS_OK;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

/* The characters of [first, last] every face covers, less the excluded
 * ones; then n_classes of them drawn by the seed, in code point order. */
static vgg_status choose_chars(const vgg_glyph_opts *o, const face_set *fs, uint32_t **out,
                               size_t *n_out, vgg_glyph_report *rep)
{
    *out = NULL;
    *n_out = 0;
    if (o->last < o->first || o->last > 0x10FFFF)
        return vgg_fail(VGG_STATUS_INVALID, "glyphs: bad character range U+%04X-U+%04X",
                        (unsigned)o->first, (unsigned)o->last);
    uint32_t *ex = NULL;
    size_t n_ex = 0;
    vgg_status st = read_exclude(o->exclude, &ex, &n_ex);
    if (st != VGG_STATUS_OK)
        return st;
    if (n_ex)
        qsort(ex, n_ex, sizeof *ex, cmp_u32);
    size_t span = (size_t)(o->last - o->first) + 1;
    uint32_t *cps = malloc(sizeof *cps * span);
    if (!cps) {
        free(ex);
        return vgg_fail(VGG_STATUS_NOMEM, "glyphs: out of memory");
    }
    size_t n = 0;
    for (uint32_t cp = o->first; cp <= o->last; cp++) {
        bool all = true;
        for (int f = 0; f < fs->n && all; f++)
            all = FT_Get_Char_Index(fs->faces[f], cp) != 0;
        if (!all) {
            rep->uncovered++;
            continue;
        }
        if (n_ex && bsearch(&cp, ex, n_ex, sizeof *ex, cmp_u32)) {
            rep->excluded++;
            continue;
        }
        cps[n++] = cp;
    }
    free(ex);
    if (o->n_classes > 0 && (size_t)o->n_classes > n) {
        free(cps);
        return vgg_fail(VGG_STATUS_INVALID,
                        "glyphs: %d classes asked for, but only %zu characters of U+%04X-U+%04X "
                        "are covered by every face (%zu are not) and not excluded",
                        o->n_classes, n, (unsigned)o->first, (unsigned)o->last, rep->uncovered);
    }
    if (n == 0) {
        free(cps);
        return vgg_fail(VGG_STATUS_INVALID,
                        "glyphs: no character of U+%04X-U+%04X is covered by every face",
                        (unsigned)o->first, (unsigned)o->last);
    }
    size_t k = o->n_classes > 0 ? (size_t)o->n_classes : n;
    /* a partial Fisher-Yates shuffle: the first k are the chosen */
    uint64_t rng = o->seed ^ 0x67c1a55e7d0f3b29ull;
    for (size_t i = 0; i < k; i++) {
        size_t j = i + (size_t)(vgg_rng_uniform(&rng) * (double)(n - i));
        uint32_t t = cps[i];
        cps[i] = cps[j];
        cps[j] = t;
    }
    qsort(cps, k, sizeof *cps, cmp_u32);
    *out = cps;
    *n_out = k;
    return VGG_STATUS_OK;
}

/* ---- rendering ---- */

static double uniform(uint64_t *rng, double a, double b)
{
    return a + (b - a) * vgg_rng_uniform(rng);
}

/* One render of cp into px (size x size, 8-bit gray, light glyph on a dark
 * ground).  The random draws depend on seed only. */
static vgg_status render_one(const face_set *fs, uint32_t cp, int size, uint64_t seed,
                             uint8_t *px)
{
    uint64_t rng = seed;
    int f = (int)(vgg_rng_uniform(&rng) * fs->n);
    FT_Face face = fs->faces[f];
    double em = uniform(&rng, 0.72, 0.95) * size;          /* scale */
    double angle = uniform(&rng, -12.0, 12.0) * M_PI / 180; /* rotation */
    double shear = uniform(&rng, -0.2, 0.2);
    double sx = uniform(&rng, 0.88, 1.08), sy = uniform(&rng, 0.88, 1.08);
    double stroke = uniform(&rng, -0.35, 1.1);               /* pixels of embolden */
    double dx = uniform(&rng, -2.5, 2.5), dy = uniform(&rng, -2.5, 2.5);
    double ground = uniform(&rng, 0, 60), ink = uniform(&rng, 170, 255);
    double noise = uniform(&rng, 0, 10);

    FT_UInt gi = FT_Get_Char_Index(face, cp);
    if (gi == 0)
        return vgg_fail(VGG_STATUS_NOT_FOUND, "font '%s': no glyph for U+%04X",
                        face->family_name ? face->family_name : "?", (unsigned)cp);
    FT_Error e = FT_Set_Char_Size(face, 0, (FT_F26Dot6)lround(em * 64), 72, 72);
    /* rotation x shear x scale, 16.16 fixed point */
    double c = cos(angle), s = sin(angle);
    double m00 = c * sx, m01 = (c * shear - s) * sy, m10 = s * sx, m11 = (s * shear + c) * sy;
    FT_Matrix mat = {
        .xx = (FT_Fixed)lround(m00 * 65536), .xy = (FT_Fixed)lround(m01 * 65536),
        .yx = (FT_Fixed)lround(m10 * 65536), .yy = (FT_Fixed)lround(m11 * 65536),
    };
    if (!e) {
        FT_Set_Transform(face, &mat, NULL);
        e = FT_Load_Glyph(face, gi, FT_LOAD_NO_BITMAP | FT_LOAD_NO_HINTING);
    }
    if (!e && face->glyph->format == FT_GLYPH_FORMAT_OUTLINE)
        e = FT_Outline_Embolden(&face->glyph->outline, (FT_Pos)lround(stroke * 64));
    if (!e)
        e = FT_Render_Glyph(face->glyph, FT_RENDER_MODE_NORMAL);
    FT_Set_Transform(face, NULL, NULL);
    if (e)
        return vgg_fail(VGG_STATUS_FORMAT, "font '%s': FreeType cannot render U+%04X (error %d)",
                        face->family_name ? face->family_name : "?", (unsigned)cp, (int)e);
    const FT_Bitmap *bm = &face->glyph->bitmap;
    /* the glyph's box centred, then shifted */
    int x0 = (int)lround((size - (double)bm->width) / 2 + dx);
    int y0 = (int)lround((size - (double)bm->rows) / 2 + dy);
    int inked = 0;
    for (int y = 0; y < size; y++) {
        for (int x = 0; x < size; x++) {
            int bx = x - x0, by = y - y0;
            double cov = 0;
            if (bx >= 0 && by >= 0 && bx < (int)bm->width && by < (int)bm->rows)
                cov = bm->buffer[by * bm->pitch + bx] / 255.0;
            inked += cov >= 0.5;
            double v = ground + (ink - ground) * cov + noise * vgg_rng_normal(&rng);
            px[y * size + x] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : lround(v));
        }
    }
    if (inked < 4)
        return vgg_fail(VGG_STATUS_FORMAT, "font '%s': U+%04X renders blank (%d inked pixels)",
                        face->family_name ? face->family_name : "?", (unsigned)cp, inked);
    return VGG_STATUS_OK;
}

static vgg_status make_dir(const char *path)
{
    if (mkdir(path, 0777) != 0 && errno != EEXIST)
        return vgg_fail(VGG_STATUS_IO, "'%s': cannot create folder: %s", path, strerror(errno));
    return VGG_STATUS_OK;
}

/* The seed of render k of class cp: a hash of (seed, cp, k). */
static uint64_t render_seed(uint64_t seed, uint32_t cp, int k)
{
    uint64_t z = seed ^ 0x2545f4914f6cdd1dull;
    uint64_t parts[2] = {cp, (uint64_t)k};
    for (int i = 0; i < 2; i++) {
        z += parts[i] + 0x9e3779b97f4a7c15ull;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
        z ^= z >> 31;
    }
    return z;
}

vgg_status vgg_glyphs_render(const vgg_glyph_opts *o, const char *dir, vgg_glyph_report *rep)
{
    memset(rep, 0, sizeof *rep);
    if (o->per_class < 1 || o->size < 8 || o->size > 1024)
        return vgg_fail(VGG_STATUS_INVALID, "glyphs: %d renders per class of %d pixels",
                        o->per_class, o->size);
    face_set fs;
    vgg_status st = faces_open(o, &fs);
    if (st != VGG_STATUS_OK)
        return st;
    uint32_t *cps = NULL;
    size_t n = 0;
    st = faces_for_range(o, &fs, rep);
    if (st == VGG_STATUS_OK)
        st = choose_chars(o, &fs, &cps, &n, rep);
    char path[4096];
    char **names = NULL;
    uint8_t *px = malloc((size_t)o->size * o->size);
    FILE *list = NULL;
    vgg_atomic_file af = {0};
    bool af_open = false;
    if (st == VGG_STATUS_OK && !px)
        st = vgg_fail(VGG_STATUS_NOMEM, "glyphs: out of memory");
    /* the list holds DIR/images/U+XXXX/NNNN.png: DIR must fit in a list line */
    snprintf(path, sizeof path, "%s/list.txt", dir);
    if (st == VGG_STATUS_OK)
        st = ds_check_path(path, dir);
    if (st == VGG_STATUS_OK)
        st = make_dir(dir);
    snprintf(path, sizeof path, "%s/images", dir);
    if (st == VGG_STATUS_OK)
        st = make_dir(path);
    snprintf(path, sizeof path, "%s/list.txt", dir);
    if (st == VGG_STATUS_OK && (st = vgg_atomic_open(path, &af)) == VGG_STATUS_OK) {
        af_open = true;
        list = af.fp;
    }
    for (size_t c = 0; c < n && st == VGG_STATUS_OK; c++) {
        char cls[16];
        snprintf(cls, sizeof cls, "U+%04X", (unsigned)cps[c]);
        if (snprintf(path, sizeof path, "%s/images/%s", dir, cls) >= (int)sizeof path) {
            st = vgg_fail(VGG_STATUS_INVALID, "'%s': path too long", dir);
            break;
        }
        st = make_dir(path);
        for (int k = 0; k < o->per_class && st == VGG_STATUS_OK; k++) {
            st = render_one(&fs, cps[c], o->size, render_seed(o->seed, cps[c], k), px);
            snprintf(path, sizeof path, "%s/images/%s/%04d.png", dir, cls, k);
            if (st == VGG_STATUS_OK)
                st = ds_write_png_gray(path, px, o->size, o->size);
            if (st == VGG_STATUS_OK && fprintf(list, "%s\t%s\n", path, cls) < 0)
                st = vgg_fail(VGG_STATUS_IO, "'%s/list.txt': cannot write", dir);
            rep->images += st == VGG_STATUS_OK;
        }
    }
    if (st == VGG_STATUS_OK) {
        names = calloc(n, sizeof *names);
        if (!names)
            st = vgg_fail(VGG_STATUS_NOMEM, "glyphs: out of memory");
        for (size_t c = 0; c < n && st == VGG_STATUS_OK; c++) {
            names[c] = malloc(16);
            if (!names[c])
                st = vgg_fail(VGG_STATUS_NOMEM, "glyphs: out of memory");
            else
                snprintf(names[c], 16, "U+%04X", (unsigned)cps[c]);
        }
        snprintf(path, sizeof path, "%s/classes.txt", dir);
        if (st == VGG_STATUS_OK)
            st = vgg_ds_write_classes(path, names, n);
    }
    /* the list last: it is what makes the set usable */
    if (af_open) {
        if (st == VGG_STATUS_OK)
            st = vgg_atomic_commit(&af);
        else
            vgg_atomic_abort(&af);
    }
    if (st == VGG_STATUS_OK)
        rep->classes = n;
    if (names)
        vgg_ds_strings_free(names, n);
    free(px);
    free(cps);
    faces_close(&fs);
    return st;
}
