/* Dataset readers (datasets/): class folders, Caltech splits, VOC XML
 * annotations, ILSVRC ground truth, on tiny layouts made here. */
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

#include "vgg/datasets.h"
#include "vgg/features.h"

#define ROOT "datasets_tmp"

static void write_text(const char *path, const char *text)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p == '/') {
            *p = 0;
            mkdir(dir, 0777);
            *p = '/';
        }
    }
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void touchf(const char *fmt, ...)
{
    char path[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof path, fmt, ap);
    va_end(ap);
    write_text(path, "x");
}

static char *slurp(const char *path)
{
    FILE *fp = fopen(path, "rb");
    assert_non_null(fp);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    buf[n] = 0;
    fclose(fp);
    return buf;
}

static void fresh(const char *sub)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '" ROOT "/%s' && mkdir -p '" ROOT "/%s'", sub, sub);
    assert_int_equal(system(cmd), 0);
}

static void assert_error_names(const char *what)
{
    if (!strstr(vgg_last_error(), what))
        fail_msg("error '%s' does not name '%s'", vgg_last_error(), what);
}

/* ---- class folders ---- */

static void folders_are_sorted_and_filtered(void **state)
{
    (void)state;
    fresh("f1");
    touchf(ROOT "/f1/zebra/b.jpg");
    touchf(ROOT "/f1/zebra/a.JPEG");
    touchf(ROOT "/f1/zebra/c.png");
    touchf(ROOT "/f1/zebra/notes.txt");   /* not an image name */
    touchf(ROOT "/f1/zebra/.hidden.jpg"); /* hidden */
    touchf(ROOT "/f1/zebra/sub/d.jpg");   /* in a sub-folder: not this class's */
    touchf(ROOT "/f1/Ant/x.bmp");
    touchf(ROOT "/f1/README.jpg"); /* a file beside the class folders */
    vgg_ds_folders *f;
    assert_int_equal(vgg_ds_scan_folders(ROOT "/f1", &f), VGG_STATUS_OK);
    assert_int_equal(f->n_classes, 2);
    assert_string_equal(f->classes[0], "Ant"); /* byte order: upper case first */
    assert_string_equal(f->classes[1], "zebra");
    assert_int_equal(f->n_images[0], 1);
    assert_string_equal(f->images[0][0], ROOT "/f1/Ant/x.bmp");
    assert_int_equal(f->n_images[1], 3);
    assert_string_equal(f->images[1][0], ROOT "/f1/zebra/a.JPEG");
    assert_string_equal(f->images[1][1], ROOT "/f1/zebra/b.jpg");
    assert_string_equal(f->images[1][2], ROOT "/f1/zebra/c.png");
    vgg_ds_folders_free(f);
    vgg_ds_folders_free(NULL);
}

static void folder_errors(void **state)
{
    (void)state;
    vgg_ds_folders *f = (void *)1;
    assert_int_equal(vgg_ds_scan_folders(ROOT "/no/such/dir", &f), VGG_STATUS_NOT_FOUND);
    assert_null(f);
    assert_error_names(ROOT "/no/such/dir");

    fresh("f2");
    touchf(ROOT "/f2/cat/1.jpg");
    touchf(ROOT "/f2/dog/readme.txt"); /* a class folder with no image */
    assert_int_equal(vgg_ds_scan_folders(ROOT "/f2", &f), VGG_STATUS_INVALID);
    assert_null(f);
    assert_error_names(ROOT "/f2/dog");

    fresh("f3");
    touchf(ROOT "/f3/loose.jpg");
    assert_int_equal(vgg_ds_scan_folders(ROOT "/f3", &f), VGG_STATUS_FORMAT);
    assert_null(f);
    assert_error_names(ROOT "/f3");
}

static void image_names(void **state)
{
    (void)state;
    assert_true(vgg_ds_is_image_name("a.jpg"));
    assert_true(vgg_ds_is_image_name("n01440764_10026.JPEG"));
    assert_true(vgg_ds_is_image_name("x.Png"));
    assert_false(vgg_ds_is_image_name("x.jpg.txt"));
    assert_false(vgg_ds_is_image_name(".jpg"));
    assert_false(vgg_ds_is_image_name("jpg"));
    assert_false(vgg_ds_is_image_name("Thumbs.db"));
}

/* ---- Caltech ---- */

static void caltech_roots_and_kinds(void **state)
{
    (void)state;
    fresh("c1");
    touchf(ROOT "/c1/101_ObjectCategories/BACKGROUND_Google/image_0001.jpg");
    touchf(ROOT "/c1/101_ObjectCategories/ant/image_0001.jpg");
    char *root;
    vgg_caltech_kind kind;
    assert_int_equal(vgg_caltech_find_root(ROOT "/c1", &root, &kind), VGG_STATUS_OK);
    assert_string_equal(root, ROOT "/c1/101_ObjectCategories");
    assert_int_equal(kind, VGG_CALTECH_101);
    free(root);
    assert_int_equal(vgg_caltech_find_root(ROOT "/c1/101_ObjectCategories/", &root, &kind),
                     VGG_STATUS_OK);
    assert_int_equal(kind, VGG_CALTECH_101);
    free(root);

    fresh("c2");
    touchf(ROOT "/c2/mycopy/001.ak47/001_0001.jpg");
    touchf(ROOT "/c2/mycopy/257.clutter/257_0001.jpg");
    assert_int_equal(vgg_caltech_find_root(ROOT "/c2/mycopy", &root, &kind), VGG_STATUS_OK);
    assert_string_equal(root, ROOT "/c2/mycopy");
    assert_int_equal(kind, VGG_CALTECH_256);
    free(root);

    root = (void *)1;
    assert_int_equal(vgg_caltech_find_root(ROOT "/c2/missing", &root, &kind), VGG_STATUS_NOT_FOUND);
    assert_null(root);
    assert_error_names(ROOT "/c2/missing");
}

/* Three classes of 12, 7 and 5 images. */
static vgg_ds_folders *make_split_layout(void)
{
    fresh("s");
    const int sizes[3] = { 12, 7, 5 };
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < sizes[c]; i++)
            touchf(ROOT "/s/class%d/img_%02d.jpg", c, i);
    vgg_ds_folders *f;
    assert_int_equal(vgg_ds_scan_folders(ROOT "/s", &f), VGG_STATUS_OK);
    return f;
}

static void split_sizes_and_disjointness(void **state)
{
    (void)state;
    vgg_ds_folders *f = make_split_layout();
    vgg_ds_item *tr, *te;
    size_t ntr, nte;
    /* 3 train, up to 3 test: class 0 3+3, class 1 3+3, class 2 3+2 */
    assert_int_equal(vgg_ds_split(f, 3, 3, 7, 1, &tr, &ntr, &te, &nte), VGG_STATUS_OK);
    assert_int_equal(ntr, 9);
    assert_int_equal(nte, 8);
    int per_tr[3] = { 0 }, per_te[3] = { 0 };
    int used[3][12] = { { 0 } };
    for (size_t i = 0; i < ntr; i++) {
        per_tr[tr[i].cls]++;
        used[tr[i].cls][tr[i].img]++;
        if (i)
            assert_true(tr[i].cls > tr[i - 1].cls ||
                        (tr[i].cls == tr[i - 1].cls && tr[i].img > tr[i - 1].img));
    }
    for (size_t i = 0; i < nte; i++) {
        per_te[te[i].cls]++;
        used[te[i].cls][te[i].img]++;
        assert_true(te[i].img < f->n_images[te[i].cls]);
    }
    assert_int_equal(per_tr[0], 3);
    assert_int_equal(per_tr[1], 3);
    assert_int_equal(per_tr[2], 3);
    assert_int_equal(per_te[0], 3);
    assert_int_equal(per_te[1], 3);
    assert_int_equal(per_te[2], 2);
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 12; i++)
            assert_true(used[c][i] <= 1); /* train and test never share an image */
    free(tr);
    free(te);

    /* --test 0: the rest */
    assert_int_equal(vgg_ds_split(f, 4, 0, 7, 1, &tr, &ntr, &te, &nte), VGG_STATUS_OK);
    assert_int_equal(ntr, 12);
    assert_int_equal(nte, (12 - 4) + (7 - 4) + (5 - 4));
    free(tr);
    free(te);
    vgg_ds_folders_free(f);
}

static int same_split(const vgg_ds_item *a, const vgg_ds_item *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i].cls != b[i].cls || a[i].img != b[i].img)
            return 0;
    return 1;
}

static void split_is_seeded(void **state)
{
    (void)state;
    vgg_ds_folders *f = make_split_layout();
    vgg_ds_item *a, *ae, *b, *be;
    size_t na, nae, nb, nbe;
    assert_int_equal(vgg_ds_split(f, 3, 0, 42, 2, &a, &na, &ae, &nae), VGG_STATUS_OK);
    assert_int_equal(vgg_ds_split(f, 3, 0, 42, 2, &b, &nb, &be, &nbe), VGG_STATUS_OK);
    assert_int_equal(na, nb);
    assert_true(same_split(a, b, na));
    assert_true(same_split(ae, be, nae));
    free(b);
    free(be);
    /* other splits of the same seed, and other seeds, differ (9 of 2520
     * possible training sets per split: a collision in all of these is
     * practically impossible for a working generator) */
    int differ_k = 0, differ_seed = 0;
    for (int k = 3; k < 8; k++) {
        assert_int_equal(vgg_ds_split(f, 3, 0, 42, k, &b, &nb, &be, &nbe), VGG_STATUS_OK);
        differ_k += !same_split(a, b, na);
        free(b);
        free(be);
        assert_int_equal(vgg_ds_split(f, 3, 0, 1000 + (uint64_t)k, 2, &b, &nb, &be, &nbe),
                         VGG_STATUS_OK);
        differ_seed += !same_split(a, b, na);
        free(b);
        free(be);
    }
    assert_int_equal(differ_k, 5);
    assert_int_equal(differ_seed, 5);
    free(a);
    free(ae);
    vgg_ds_folders_free(f);
}

/* Each image of a class is drawn for training with probability
 * n_train / n: over 3000 splits, class 0 (12 images, 3 train) should see
 * each image about 750 times (binomial sd ~24; allow 5 sd). */
static void split_is_uniform(void **state)
{
    (void)state;
    vgg_ds_folders *f = make_split_layout();
    int count[12] = { 0 };
    const int trials = 3000;
    for (int k = 0; k < trials; k++) {
        vgg_ds_item *tr, *te;
        size_t ntr, nte;
        assert_int_equal(vgg_ds_split(f, 3, 0, 5, k, &tr, &ntr, &te, &nte), VGG_STATUS_OK);
        for (size_t i = 0; i < ntr; i++)
            if (tr[i].cls == 0)
                count[tr[i].img]++;
        free(tr);
        free(te);
    }
    for (int i = 0; i < 12; i++) {
        if (count[i] < 750 - 120 || count[i] > 750 + 120)
            fail_msg("image %d drawn %d times in %d splits, expected about 750", i, count[i], trials);
    }
    vgg_ds_folders_free(f);
}

static void split_refuses_small_class(void **state)
{
    (void)state;
    vgg_ds_folders *f = make_split_layout();
    vgg_ds_item *tr = (void *)1, *te = (void *)1;
    size_t ntr, nte;
    /* class2 has 5 images: 5 for training leaves none to test */
    assert_int_equal(vgg_ds_split(f, 5, 0, 1, 1, &tr, &ntr, &te, &nte), VGG_STATUS_INVALID);
    assert_null(tr);
    assert_null(te);
    assert_error_names("class2");
    assert_int_equal(vgg_ds_split(f, 4, 0, 1, 1, &tr, &ntr, &te, &nte), VGG_STATUS_OK);
    free(tr);
    free(te);
    vgg_ds_folders_free(f);
}

static void list_and_class_files(void **state)
{
    (void)state;
    vgg_ds_folders *f = make_split_layout();
    vgg_ds_item items[3] = { { 0, 1 }, { 2, 4 }, { 1, 0 } };
    assert_int_equal(vgg_ds_write_list(ROOT "/s.list", f, items, 3), VGG_STATUS_OK);
    assert_string_equal(slurp(ROOT "/s.list"),
                        ROOT "/s/class0/img_01.jpg\tclass0\n"
                        ROOT "/s/class2/img_04.jpg\tclass2\n"
                        ROOT "/s/class1/img_00.jpg\tclass1\n");
    assert_int_equal(vgg_ds_write_classes(ROOT "/classes.txt", f->classes, f->n_classes),
                     VGG_STATUS_OK);
    assert_string_equal(slurp(ROOT "/classes.txt"), "class0\nclass1\nclass2\n");
    char *bad[1] = { "a\tb" };
    assert_int_equal(vgg_ds_write_classes(ROOT "/bad.txt", bad, 1), VGG_STATUS_FORMAT);
    assert_int_equal(access(ROOT "/bad.txt", F_OK), -1);
    vgg_ds_item wrong = { 1, 99 };
    assert_int_equal(vgg_ds_write_list(ROOT "/w.list", f, &wrong, 1), VGG_STATUS_INVALID);
    vgg_ds_folders_free(f);
}

/* docs/escaping.md, "Lists": what a list line cannot hold is refused,
 * named in its escaped form, and nothing is written. */
static void list_names_a_list_cannot_hold(void **state)
{
    (void)state;
    char *labels[] = { "easy?", "cats,dogs", "cr\r", "nl\n", "cat ", " cat", "ok" };
    const char *shown[] = { "'easy?'", "'cats,dogs'", "'cr\\r'", "'nl\\n'",
                            "'cat ' starts or ends with a space", "' cat' starts or ends" };
    for (int i = 0; i < 6; i++) {
        assert_int_equal(vgg_ds_write_classes(ROOT "/bad.txt", labels + i, 1), VGG_STATUS_FORMAT);
        assert_error_names(shown[i]);
        assert_error_names(ROOT "/bad.txt");
        assert_int_equal(access(ROOT "/bad.txt", F_OK), -1);
    }
    /* inner spaces, quotes, a backslash and a byte outside UTF-8 go as
     * they are */
    char *odd[] = { "q \"u\\o\xff" };
    assert_int_equal(vgg_ds_write_classes(ROOT "/odd.txt", odd, 1), VGG_STATUS_OK);
    assert_string_equal(slurp(ROOT "/odd.txt"), "q \"u\\o\xff\n");

    char *img_ok[] = { "x/a.jpg", "x/b.jpg" }, *img_hash[] = { "#x/a.jpg", "#x/b.jpg" };
    char *img_tab[] = { "x/a.jpg", "x/b\t.jpg" };
    char *cls[] = { "ok" };
    char **imgs[1] = { img_ok };
    size_t n_img[1] = { 2 };
    vgg_ds_folders f = { .n_classes = 1, .classes = cls, .images = imgs, .n_images = n_img };
    assert_int_equal(vgg_ds_check_names(&f, "x"), VGG_STATUS_OK);
    imgs[0] = img_hash;
    assert_int_equal(vgg_ds_check_names(&f, "x"), VGG_STATUS_FORMAT);
    assert_error_names("'#x/a.jpg' starts with '#'");
    vgg_ds_item one = { 0, 1 };
    assert_int_equal(vgg_ds_write_list(ROOT "/h.list", &f, &one, 1), VGG_STATUS_FORMAT);
    assert_int_equal(access(ROOT "/h.list", F_OK), -1);
    imgs[0] = img_tab;
    assert_int_equal(vgg_ds_check_names(&f, "x"), VGG_STATUS_FORMAT);
    assert_error_names("'x/b\\t.jpg' holds a tab");
    cls[0] = labels[0];
    imgs[0] = img_ok;
    assert_int_equal(vgg_ds_check_names(&f, "x"), VGG_STATUS_FORMAT);
    assert_error_names("'easy?'");
}

/* ---- VOC ---- */

static const char *voc_xml_000005 =
    "<annotation>\n"
    "\t<folder>VOC2007</folder>\n\t<filename>000005.jpg</filename>\n"
    "\t<size><width>500</width><height>375</height><depth>3</depth></size>\n"
    "\t<object>\n\t\t<name>chair</name>\n\t\t<pose>Rear</pose>\n\t\t<truncated>0</truncated>\n"
    "\t\t<difficult>0</difficult>\n"
    "\t\t<bndbox><xmin>263</xmin><ymin>211</ymin><xmax>324</xmax><ymax>339</ymax></bndbox>\n"
    "\t</object>\n"
    "\t<object><name>chair</name><difficult>1</difficult></object>\n"
    "\t<object><name>pottedplant</name><difficult>1</difficult></object>\n"
    "\t<object><name>pottedplant</name><difficult>1</difficult></object>\n"
    "\t<object>\n\t\t<name>person</name>\n\t\t<difficult>0</difficult>\n"
    "\t\t<part><name>head</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>2</xmax><ymax>2</ymax></bndbox></part>\n"
    "\t\t<part><name>hand</name></part>\n"
    "\t</object>\n"
    "\t<object><name> bottle </name></object>\n" /* no <difficult>: 0; spaces trimmed */
    "</annotation>\n";

static void voc_annotation_labels(void **state)
{
    (void)state;
    fresh("v1");
    write_text(ROOT "/v1/a.xml", voc_xml_000005);
    vgg_voc_image img = { 0 };
    assert_int_equal(vgg_voc_read_annotation(ROOT "/v1/a.xml", &img), VGG_STATUS_OK);
    assert_int_equal(img.n_labels, 4);
    assert_string_equal(img.labels[0].name, "bottle");
    assert_false(img.labels[0].difficult);
    assert_string_equal(img.labels[1].name, "chair"); /* one non-difficult chair */
    assert_false(img.labels[1].difficult);
    assert_string_equal(img.labels[2].name, "person"); /* parts are not classes */
    assert_false(img.labels[2].difficult);
    assert_string_equal(img.labels[3].name, "pottedplant"); /* only difficult ones */
    assert_true(img.labels[3].difficult);
    vgg_voc_image_clear(&img);
}

static void voc_annotation_errors(void **state)
{
    (void)state;
    fresh("v2");
    vgg_voc_image img = { 0 };
    write_text(ROOT "/v2/broken.xml", "<annotation><object><name>cat</name></object>\n");
    assert_int_equal(vgg_voc_read_annotation(ROOT "/v2/broken.xml", &img), VGG_STATUS_FORMAT);
    assert_error_names(ROOT "/v2/broken.xml");
    vgg_voc_image_clear(&img);

    write_text(ROOT "/v2/noname.xml", "<annotation><object><difficult>0</difficult></object></annotation>");
    assert_int_equal(vgg_voc_read_annotation(ROOT "/v2/noname.xml", &img), VGG_STATUS_FORMAT);
    assert_error_names("no <name>");
    vgg_voc_image_clear(&img);

    write_text(ROOT "/v2/other.xml", "<html><object><name>cat</name></object></html>");
    assert_int_equal(vgg_voc_read_annotation(ROOT "/v2/other.xml", &img), VGG_STATUS_FORMAT);
    assert_error_names("<annotation>");
    vgg_voc_image_clear(&img);

    write_text(ROOT "/v2/diff.xml",
               "<annotation><object><name>cat</name><difficult>yes</difficult></object></annotation>");
    assert_int_equal(vgg_voc_read_annotation(ROOT "/v2/diff.xml", &img), VGG_STATUS_FORMAT);
    assert_error_names(ROOT "/v2/diff.xml");
    vgg_voc_image_clear(&img);

    assert_int_equal(vgg_voc_read_annotation(ROOT "/v2/missing.xml", &img), VGG_STATUS_NOT_FOUND);
    assert_error_names(ROOT "/v2/missing.xml");
    vgg_voc_image_clear(&img);
}

static void make_voc(void)
{
    fresh("VOC2007");
    write_text(ROOT "/VOC2007/ImageSets/Main/trainval.txt", "000005\n000007\n\n");
    write_text(ROOT "/VOC2007/ImageSets/Main/test.txt", "000001\n");
    write_text(ROOT "/VOC2007/Annotations/000005.xml", voc_xml_000005);
    write_text(ROOT "/VOC2007/Annotations/000007.xml",
               "<annotation><object><name>car</name><difficult>0</difficult></object></annotation>");
    touchf(ROOT "/VOC2007/JPEGImages/000005.jpg");
    touchf(ROOT "/VOC2007/JPEGImages/000007.jpg");
}

static void voc_set_and_labels_file(void **state)
{
    (void)state;
    make_voc();
    vgg_voc_set *s;
    assert_int_equal(vgg_voc_load(ROOT "/VOC2007", "trainval", &s), VGG_STATUS_OK);
    assert_int_equal(s->n_images, 2);
    assert_string_equal(s->images[0].id, "000005");
    assert_string_equal(s->images[1].path, ROOT "/VOC2007/JPEGImages/000007.jpg");
    assert_int_equal(s->n_classes, 5);
    assert_string_equal(s->classes[0], "bottle");
    assert_string_equal(s->classes[1], "car");
    assert_string_equal(s->classes[4], "pottedplant");
    assert_int_equal(vgg_voc_write_labels(s, ROOT "/voc.labels"), VGG_STATUS_OK);
    assert_string_equal(slurp(ROOT "/voc.labels"),
                        ROOT "/VOC2007/JPEGImages/000005.jpg\tbottle,chair,person,pottedplant?\n"
                        ROOT "/VOC2007/JPEGImages/000007.jpg\tcar\n");
    vgg_voc_set_free(s);

    /* test.txt names an image without an annotation */
    s = (void *)1;
    assert_int_equal(vgg_voc_load(ROOT "/VOC2007", "test", &s), VGG_STATUS_NOT_FOUND);
    assert_null(s);
    assert_error_names("000001.xml");
    assert_int_equal(vgg_voc_load(ROOT "/VOC2007", "val", &s), VGG_STATUS_NOT_FOUND);
    assert_error_names("val.txt");
    assert_int_equal(vgg_voc_load(ROOT "/nowhere", "val", &s), VGG_STATUS_NOT_FOUND);
    assert_error_names(ROOT "/nowhere");

    write_text(ROOT "/VOC2007/Annotations/000007.xml", "<annotation><object><name>car</name>");
    assert_int_equal(vgg_voc_load(ROOT "/VOC2007", "trainval", &s), VGG_STATUS_FORMAT);
    assert_null(s);
    assert_error_names("000007.xml");
}

/* a VOC-2012 action annotation: a non-person object first (the devkit
 * numbers every object), a person doing two actions, one doing "other",
 * a box with a decimal coordinate and one reaching past <size> */
static const char *voc_action_xml =
    "<annotation><filename>2010_000001.jpg</filename>\n"
    "<size><width>500</width><height>375</height><depth>3</depth></size>\n"
    "<object><name>horse</name><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>9</xmax>"
    "<ymax>9</ymax></bndbox></object>\n"
    "<object><name>person</name><actions><jumping>0</jumping><other>0</other>"
    "<phoning>1</phoning><playinginstrument>0</playinginstrument><reading>0</reading>"
    "<ridingbike>0</ridingbike><ridinghorse>0</ridinghorse><running>0</running>"
    "<takingphoto>0</takingphoto><usingcomputer>0</usingcomputer><walking>1</walking>"
    "</actions><bndbox><xmin>11</xmin><ymin>20.6</ymin><xmax>100</xmax><ymax>375</ymax>"
    "</bndbox></object>\n"
    "<object><name>person</name><actions><other>1</other><walking>0</walking></actions>"
    "<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>501</xmax><ymax>30</ymax></bndbox></object>\n"
    "</annotation>\n";

static void voc_actions_box_list(void **state)
{
    (void)state;
    fresh("VOC2012");
    write_text(ROOT "/VOC2012/ImageSets/Action/train.txt", "2010_000001\n2010_000002\n");
    write_text(ROOT "/VOC2012/Annotations/2010_000001.xml", voc_action_xml);
    write_text(ROOT "/VOC2012/Annotations/2010_000002.xml",
               "<annotation><object><name>person</name><actions><running>1</running>"
               "</actions><bndbox><xmin>5</xmin><ymin>6</ymin><xmax>5</xmax><ymax>9</ymax>"
               "</bndbox></object></annotation>");
    /* the per-action files: 0 leaves a person out of that action (the
     * devkit's evaluation ignores it); a missing file is the annotation's */
    write_text(ROOT "/VOC2012/ImageSets/Action/jumping_train.txt",
               "2010_000001  2  0\n2010_000001  3 -1\n\n2010_000002  1 -1\n");
    write_text(ROOT "/VOC2012/ImageSets/Action/phoning_train.txt",
               "2010_000002 1 -1\r\n2010_000001 2 1\r\n2010_000001 3 -1\r\n");
    vgg_voc_persons *ps = NULL;
    assert_int_equal(vgg_voc_load_actions(ROOT "/VOC2012", "train", &ps), VGG_STATUS_OK);
    assert_int_equal(ps->n, 3);
    assert_int_equal(ps->v[0].object, 2);       /* the horse is object 1 */
    assert_int_equal(ps->v[1].object, 3);
    assert_int_equal(ps->v[1].box[2], 500);     /* clipped to <size> */
    assert_int_equal(vgg_voc_write_actions(ps, ROOT "/actions.list"), VGG_STATUS_OK);
    /* 1-based inclusive -> 0-based, x2 and y2 exclusive; a 1-pixel-wide box */
    assert_string_equal(slurp(ROOT "/actions.list"),
                        ROOT "/VOC2012/JPEGImages/2010_000001.jpg\tjumping?,phoning,walking\t"
                        "box=10,20,100,375\n"
                        ROOT "/VOC2012/JPEGImages/2010_000001.jpg\t\tbox=0,0,500,30\n"
                        ROOT "/VOC2012/JPEGImages/2010_000002.jpg\trunning\tbox=4,5,5,9\n");
    vgg_voc_persons_free(ps);
    /* a per-action file disagreeing with the annotation, or naming no person */
    write_text(ROOT "/VOC2012/ImageSets/Action/phoning_train.txt", "2010_000001 3 1\n");
    assert_int_equal(vgg_voc_load_actions(ROOT "/VOC2012", "train", &ps), VGG_STATUS_FORMAT);
    assert_error_names("phoning_train.txt', line 1: 2010_000001 object 3 is 1 here and 0 in its "
                       "annotation");
    write_text(ROOT "/VOC2012/ImageSets/Action/phoning_train.txt", "\n2010_000001 1 1\n");
    assert_int_equal(vgg_voc_load_actions(ROOT "/VOC2012", "train", &ps), VGG_STATUS_FORMAT);
    assert_error_names("phoning_train.txt', line 2: 2010_000001 object 1 is no person");
    write_text(ROOT "/VOC2012/ImageSets/Action/phoning_train.txt", "2010_000001 2 yes\n");
    assert_int_equal(vgg_voc_load_actions(ROOT "/VOC2012", "train", &ps), VGG_STATUS_FORMAT);
    assert_error_names("phoning_train.txt', line 1: expected");
    unlink(ROOT "/VOC2012/ImageSets/Action/phoning_train.txt");
    /* errors name the file and the object */
    write_text(ROOT "/VOC2012/Annotations/2010_000002.xml",
               "<annotation><object><name>person</name><actions><running>yes</running>"
               "</actions><bndbox><xmin>5</xmin><ymin>6</ymin><xmax>7</xmax><ymax>9</ymax>"
               "</bndbox></object></annotation>");
    assert_int_equal(vgg_voc_load_actions(ROOT "/VOC2012", "train", &ps), VGG_STATUS_FORMAT);
    assert_null(ps);
    assert_error_names("2010_000002.xml': object 1: <running> is not 0 or 1");
    write_text(ROOT "/VOC2012/Annotations/2010_000002.xml",
               "<annotation><object><name>person</name><actions><running>1</running>"
               "</actions><bndbox><xmin>5</xmin><ymin>6</ymin><ymax>9</ymax>"
               "</bndbox></object></annotation>");
    assert_int_equal(vgg_voc_load_actions(ROOT "/VOC2012", "train", &ps), VGG_STATUS_FORMAT);
    assert_error_names("2010_000002.xml': object 1: <bndbox> has no whole number <xmax>");
    write_text(ROOT "/VOC2012/Annotations/2010_000002.xml",
               "<annotation><object><name>dog</name></object></annotation>");
    assert_int_equal(vgg_voc_load_actions(ROOT "/VOC2012", "train", &ps), VGG_STATUS_FORMAT);
    assert_error_names("2010_000002.xml': no <object> with <actions>");
    assert_int_equal(vgg_voc_load_actions(ROOT "/VOC2012", "val", &ps), VGG_STATUS_NOT_FOUND);
    assert_error_names("ImageSets/Action/val.txt");
}

/* ---- ILSVRC ---- */

static void make_ilsvrc(void)
{
    fresh("ilsvrc");
    /* sorted wnid order: n01 < n02 < n03 */
    touchf(ROOT "/ilsvrc/train/n03000000/n03000000_1.JPEG");
    touchf(ROOT "/ilsvrc/train/n01000000/n01000000_2.JPEG");
    touchf(ROOT "/ilsvrc/train/n01000000/n01000000_1.JPEG");
    touchf(ROOT "/ilsvrc/train/n02000000/n02000000_7.JPEG");
    for (int i = 1; i <= 4; i++)
        touchf(ROOT "/ilsvrc/val/ILSVRC2012_val_%08d.JPEG", i);
    /* devkit IDs are not in sorted order: ID 1 = n02, ID 2 = n03, ID 3 = n01 */
    write_text(ROOT "/ilsvrc/gt.txt", "2\n3\n1\n2\n");
    write_text(ROOT "/ilsvrc/map_tab.txt", "n02000000\t1\nn03000000\t2\nn01000000\t3\n");
    write_text(ROOT "/ilsvrc/map_csv.txt", "wordnet_id,ilsvrc2012_id\nn01000000,3\nn03000000,2\nn02000000,1\n");
    write_text(ROOT "/ilsvrc/map_lines.txt", "n02000000 cat, domestic cat\nn03000000 dog\nn01000000 fish\n");
    write_text(ROOT "/ilsvrc/LOC_val_solution.csv",
               "ImageId,PredictionString\n"
               "ILSVRC2012_val_00000003,n01000000 1 2 3 4 n01000000 5 6 7 8\n"
               "ILSVRC2012_val_00000001,n03000000 1 2 3 4\n"
               "ILSVRC2012_val_00000002,n03000000 1 2 3 4\n"
               "ILSVRC2012_val_00000004,n02000000 1 2 3 4\n");
}

static void check_val(const vgg_ilsvrc *d, const size_t *want)
{
    assert_int_equal(d->n_val, 4);
    for (int i = 0; i < 4; i++)
        if (d->val_class[i] != want[i])
            fail_msg("val image %d: class %zu, expected %zu", i + 1, d->val_class[i], want[i]);
}

static void ilsvrc_ground_truth(void **state)
{
    (void)state;
    make_ilsvrc();
    /* gt IDs 2,3,1,2 -> wnids n03,n01,n02,n03 -> sorted indexes 2,0,1,2 */
    const size_t want[4] = { 2, 0, 1, 2 };
    const char *maps[3] = { ROOT "/ilsvrc/map_tab.txt", ROOT "/ilsvrc/map_csv.txt",
                            ROOT "/ilsvrc/map_lines.txt" };
    for (int m = 0; m < 3; m++) {
        vgg_ilsvrc_opts o = { .gt_path = ROOT "/ilsvrc/gt.txt", .synsets_path = maps[m] };
        vgg_ilsvrc *d;
        assert_int_equal(vgg_ilsvrc_load(ROOT "/ilsvrc", &o, &d), VGG_STATUS_OK);
        assert_int_equal(d->train->n_classes, 3);
        assert_string_equal(d->train->classes[0], "n01000000");
        assert_int_equal(d->train->n_images[0], 2);
        check_val(d, want);
        if (m == 0) {
            assert_int_equal(vgg_ilsvrc_write_lists(d, ROOT "/ilsvrc/train.list", ROOT "/ilsvrc/val.list"),
                             VGG_STATUS_OK);
            assert_string_equal(slurp(ROOT "/ilsvrc/train.list"),
                                ROOT "/ilsvrc/train/n01000000/n01000000_1.JPEG\tn01000000\n"
                                ROOT "/ilsvrc/train/n01000000/n01000000_2.JPEG\tn01000000\n"
                                ROOT "/ilsvrc/train/n02000000/n02000000_7.JPEG\tn02000000\n"
                                ROOT "/ilsvrc/train/n03000000/n03000000_1.JPEG\tn03000000\n");
            assert_string_equal(slurp(ROOT "/ilsvrc/val.list"),
                                ROOT "/ilsvrc/val/ILSVRC2012_val_00000001.JPEG\tn03000000\n"
                                ROOT "/ilsvrc/val/ILSVRC2012_val_00000002.JPEG\tn01000000\n"
                                ROOT "/ilsvrc/val/ILSVRC2012_val_00000003.JPEG\tn02000000\n"
                                ROOT "/ilsvrc/val/ILSVRC2012_val_00000004.JPEG\tn03000000\n");
        }
        vgg_ilsvrc_free(d);
    }
}

static void ilsvrc_csv_and_folders(void **state)
{
    (void)state;
    make_ilsvrc();
    vgg_ilsvrc_opts o = { .val_csv_path = ROOT "/ilsvrc/LOC_val_solution.csv" };
    vgg_ilsvrc *d;
    assert_int_equal(vgg_ilsvrc_load(ROOT "/ilsvrc", &o, &d), VGG_STATUS_OK);
    const size_t want[4] = { 2, 2, 0, 1 };
    check_val(d, want);
    vgg_ilsvrc_free(d);

    /* val sorted into folders needs no ground truth */
    assert_int_equal(system("rm -rf " ROOT "/ilsvrc/val && mkdir -p " ROOT "/ilsvrc/val/n02000000 " ROOT
                            "/ilsvrc/val/n03000000"), 0);
    touchf(ROOT "/ilsvrc/val/n02000000/a.JPEG");
    touchf(ROOT "/ilsvrc/val/n03000000/b.JPEG");
    touchf(ROOT "/ilsvrc/val/n03000000/c.JPEG");
    assert_int_equal(vgg_ilsvrc_load(ROOT "/ilsvrc", NULL, &d), VGG_STATUS_OK);
    assert_int_equal(d->n_val, 3);
    assert_string_equal(d->val_paths[0], ROOT "/ilsvrc/val/n02000000/a.JPEG");
    assert_int_equal(d->val_class[0], 1);
    assert_int_equal(d->val_class[1], 2);
    assert_int_equal(d->val_class[2], 2);
    vgg_ilsvrc_free(d);

    touchf(ROOT "/ilsvrc/val/n09999999/z.JPEG"); /* a class train/ does not have */
    assert_int_equal(vgg_ilsvrc_load(ROOT "/ilsvrc", NULL, &d), VGG_STATUS_MISMATCH);
    assert_null(d);
    assert_error_names("n09999999");
}

static void ilsvrc_errors(void **state)
{
    (void)state;
    make_ilsvrc();
    vgg_ilsvrc *d = (void *)1;
    /* no ground truth given */
    assert_int_equal(vgg_ilsvrc_load(ROOT "/ilsvrc", NULL, &d), VGG_STATUS_INVALID);
    assert_null(d);
    assert_error_names("--devkit-gt");

    /* an ID the mapping does not know */
    write_text(ROOT "/ilsvrc/gt_bad.txt", "2\n3\n9\n2\n");
    vgg_ilsvrc_opts o = { .gt_path = ROOT "/ilsvrc/gt_bad.txt", .synsets_path = ROOT "/ilsvrc/map_tab.txt" };
    assert_int_equal(vgg_ilsvrc_load(ROOT "/ilsvrc", &o, &d), VGG_STATUS_FORMAT);
    assert_error_names("gt_bad.txt");
    assert_error_names("line 3");

    /* a ground truth file shorter than val/ */
    write_text(ROOT "/ilsvrc/gt_short.txt", "2\n3\n");
    o.gt_path = ROOT "/ilsvrc/gt_short.txt";
    assert_int_equal(vgg_ilsvrc_load(ROOT "/ilsvrc", &o, &d), VGG_STATUS_FORMAT);
    assert_error_names("ILSVRC2012_val_00000003.JPEG");

    /* an ID given twice, and a line that is no mapping */
    write_text(ROOT "/ilsvrc/map_dup.txt", "n02000000 1\nn03000000 1\n");
    char **map;
    size_t n;
    bool line_order;
    assert_int_equal(vgg_ilsvrc_read_synsets(ROOT "/ilsvrc/map_dup.txt", &map, &n, &line_order),
                     VGG_STATUS_FORMAT);
    assert_null(map);
    assert_error_names("ID 1 is given twice");
    write_text(ROOT "/ilsvrc/map_junk.txt", "n02000000 1\nhello world\n");
    assert_int_equal(vgg_ilsvrc_read_synsets(ROOT "/ilsvrc/map_junk.txt", &map, &n, &line_order),
                     VGG_STATUS_FORMAT);
    assert_error_names("line 2");

    /* a sorted one-wnid-per-line mapping (LOC_synset_mapping.txt) is not
     * the devkit's ID order: refused with the ground truth file */
    FILE *fp = fopen(ROOT "/ilsvrc/LOC_synset_mapping.txt", "w");
    assert_non_null(fp);
    for (int i = 0; i < 1000; i++)
        fprintf(fp, "n%08d name %d\n", 1000000 + i * 1000, i);
    fclose(fp);
    assert_int_equal(vgg_ilsvrc_read_synsets(ROOT "/ilsvrc/LOC_synset_mapping.txt", &map, &n, &line_order),
                     VGG_STATUS_OK);
    assert_int_equal(n, 1000);
    assert_true(line_order);
    assert_string_equal(map[1], "n01000000");
    assert_string_equal(map[1000], "n01999000");
    vgg_ds_strings_free(map, n + 1);
    o.gt_path = ROOT "/ilsvrc/gt.txt";
    o.synsets_path = ROOT "/ilsvrc/LOC_synset_mapping.txt";
    assert_int_equal(vgg_ilsvrc_load(ROOT "/ilsvrc", &o, &d), VGG_STATUS_INVALID);
    assert_null(d);
    assert_error_names("--val-csv");

    /* missing folders */
    assert_int_equal(vgg_ilsvrc_load(ROOT "/nowhere", NULL, &d), VGG_STATUS_NOT_FOUND);
    assert_int_equal(system("rm -rf " ROOT "/ilsvrc/val"), 0);
    assert_int_equal(vgg_ilsvrc_load(ROOT "/ilsvrc", NULL, &d), VGG_STATUS_NOT_FOUND);
    assert_error_names(ROOT "/ilsvrc/val");
}

/* ---- store subsets ---- */

static void subset_copies_named_rows_in_list_order(void **state)
{
    (void)state;
    fresh("sub");
    vgg_featdesc d;
    memset(&d, 0, sizeof d);
    d.dim = 3;
    d.n_nets = 1;
    strcpy(d.net_names[0], "D");
    strcpy(d.net_configs[0], "D");
    memset(d.net_digests[0], 'a', 64);
    d.n_scales = 1;
    d.scales[0] = 256;
    strcpy(d.aggregate, "stack");
    strcpy(d.layer, "fc7");
    d.flip = true;
    d.l2 = true;
    strcpy(d.version, "test");
    vgg_featwriter *w;
    assert_int_equal(vgg_featwriter_open(ROOT "/sub/all.vgf", &d, false, &w, NULL), VGG_STATUS_OK);
    const char *names[4] = { "img/a.jpg", "img/b.jpg", "img/c.jpg", "img/d.jpg" };
    for (int i = 0; i < 4; i++) {
        float row[3] = { (float)i, (float)i + 0.5f, -(float)i };
        assert_int_equal(vgg_featwriter_append(w, names[i], i == 1 ? "old" : "", row), VGG_STATUS_OK);
    }
    assert_int_equal(vgg_featwriter_close(w), VGG_STATUS_OK);

    write_text(ROOT "/sub/split.list", "img/d.jpg\tdog\n\nimg/b.jpg\n");
    size_t rows;
    assert_int_equal(vgg_ds_subset_store(ROOT "/sub/all.vgf", ROOT "/sub/split.list",
                                         ROOT "/sub/split.vgf", &rows), VGG_STATUS_OK);
    assert_int_equal(rows, 2);
    vgg_featstore *fs;
    assert_int_equal(vgg_featstore_open(ROOT "/sub/split.vgf", &fs), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_rows(fs), 2);
    char why[128];
    assert_true(vgg_featdesc_equal(vgg_featstore_desc(fs), &d, why, sizeof why));
    assert_string_equal(vgg_featstore_name(fs, 0), "img/d.jpg");
    assert_string_equal(vgg_featstore_label(fs, 0), "dog"); /* the list's label */
    assert_float_equal(vgg_featstore_row(fs, 0)[1], 3.5f, 0);
    assert_string_equal(vgg_featstore_name(fs, 1), "img/b.jpg");
    assert_string_equal(vgg_featstore_label(fs, 1), "old"); /* no label in the list: the row's */
    assert_float_equal(vgg_featstore_row(fs, 1)[2], -1.0f, 0);
    vgg_featstore_close(fs);

    /* rerun over an existing output replaces it */
    write_text(ROOT "/sub/one.list", "img/c.jpg\tcat\n");
    assert_int_equal(vgg_ds_subset_store(ROOT "/sub/all.vgf", ROOT "/sub/one.list",
                                         ROOT "/sub/split.vgf", &rows), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_open(ROOT "/sub/split.vgf", &fs), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_rows(fs), 1);
    assert_string_equal(vgg_featstore_name(fs, 0), "img/c.jpg");
    vgg_featstore_close(fs);

    /* a name the store lacks: nothing written */
    write_text(ROOT "/sub/bad.list", "img/a.jpg\tx\nimg/zz.jpg\tx\n");
    assert_int_equal(vgg_ds_subset_store(ROOT "/sub/all.vgf", ROOT "/sub/bad.list",
                                         ROOT "/sub/bad.vgf", NULL), VGG_STATUS_NOT_FOUND);
    assert_error_names("img/zz.jpg");
    assert_int_equal(access(ROOT "/sub/bad.vgf", F_OK), -1);
    assert_int_equal(vgg_ds_subset_store(ROOT "/sub/missing.vgf", ROOT "/sub/one.list",
                                         ROOT "/sub/bad.vgf", NULL), VGG_STATUS_NOT_FOUND);
    assert_error_names(ROOT "/sub/missing.vgf");
}

int main(void)
{
    mkdir(ROOT, 0777);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(folders_are_sorted_and_filtered),
        cmocka_unit_test(folder_errors),
        cmocka_unit_test(image_names),
        cmocka_unit_test(caltech_roots_and_kinds),
        cmocka_unit_test(split_sizes_and_disjointness),
        cmocka_unit_test(split_is_seeded),
        cmocka_unit_test(split_is_uniform),
        cmocka_unit_test(split_refuses_small_class),
        cmocka_unit_test(list_and_class_files),
        cmocka_unit_test(list_names_a_list_cannot_hold),
        cmocka_unit_test(voc_annotation_labels),
        cmocka_unit_test(voc_annotation_errors),
        cmocka_unit_test(voc_set_and_labels_file),
        cmocka_unit_test(voc_actions_box_list),
        cmocka_unit_test(ilsvrc_ground_truth),
        cmocka_unit_test(ilsvrc_csv_and_folders),
        cmocka_unit_test(ilsvrc_errors),
        cmocka_unit_test(subset_copies_named_rows_in_list_order),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    vgg_voc_cleanup();
    return rc;
}
