/* vggfeat extract / export / merge / info, run as programs on tiny nets:
 * agreement with an independent PyTorch computation (tests/extract_ref.py),
 * boxes (PyTorch on the crops, EXIF-rotated images, --with-image, errors
 * naming the list's line), resume after SIGKILL, damaged tails, other
 * settings, bad images, shards and merge, exports read by numpy and
 * liblinear-train. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgg/features.h"
#include "test_skip.h"

#define VGGFEAT VGG_BIN_DIR "/vggfeat"
#define REF VGG_SOURCE_DIR "/tests/extract_ref.py"
#define NETS "nets/netD.safetensors,nets/netE.safetensors"

static char tmpdir[256];
static bool have_python;  /* numpy + Pillow: nets can be made */

/* Run a shell command in tmpdir; stderr and stdout go to out.txt.  Returns
 * the exit status (or -1). */
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    char full[4200];
    snprintf(full, sizeof full, "(%s) >out.txt 2>&1", cmd);
    int rc = system(full);
    if (rc == -1 || !WIFEXITED(rc))
        return -1;
    return WEXITSTATUS(rc);
}

static char *output_text(void)
{
    static char buf[65536];
    FILE *fp = fopen("out.txt", "rb");
    size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;
    if (fp)
        fclose(fp);
    buf[n] = '\0';
    return buf;
}

static void show_output(void)
{
    print_message("%s\n", output_text());
}

#define assert_output_has(s)                                                                  \
    do {                                                                                      \
        if (!strstr(output_text(), (s))) {                                                    \
            show_output();                                                                    \
            fail_msg("output lacks '%s'", (s));                                               \
        }                                                                                     \
    } while (0)

#define assert_run_ok(...)                                                                    \
    do {                                                                                      \
        int rc_ = sh(__VA_ARGS__);                                                            \
        if (rc_ != 0) {                                                                       \
            show_output();                                                                    \
            fail_msg("exit status %d", rc_);                                                  \
        }                                                                                     \
    } while (0)

static bool same_file(const char *a, const char *b)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "cmp -s '%s' '%s'", a, b);
    return system(cmd) == 0;
}

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

static size_t store_rows(const char *path)
{
    vgg_featstore *fs = NULL;
    if (vgg_featstore_open(path, &fs) != VGG_STATUS_OK)
        fail_msg("%s", vgg_last_error());
    size_t n = vgg_featstore_rows(fs);
    vgg_featstore_close(fs);
    return n;
}

static int setup(void **state)
{
    (void)state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/vgg_extract_XXXXXX");
    if (!mkdtemp(tmpdir) || chdir(tmpdir) != 0)
        return -1;
    if (system("cp -r '" VGG_FIXTURES "/extract/imgs' imgs && "
               "cp -r '" VGG_FIXTURES "/extract/small' small") != 0)
        return -1;
    /* without numpy no nets, and each case says so; with it they must be made */
    have_python = sh("'%s' -c 'import numpy'", VGG_PYTHON) == 0;
    if (have_python && sh("'%s' '%s' nets nets", VGG_PYTHON, REF) != 0) {
        print_message("extract_ref.py could not make the nets:\n%s\n", output_text());
        return -1;
    }
    /* bad images: cut short, not an image, empty */
    if (system("head -c 2000 imgs/d.jpg > trunc.jpg && head -c 700 /dev/urandom > garbage.jpg"
               " && : > empty.jpg") != 0)
        return -1;
    /* 48 inputs for the resume tests (the six images over and over) */
    FILE *fp = fopen("many.txt", "w");
    const char *names[] = { "imgs/a.png", "imgs/b.png", "imgs/c.png", "imgs/d.jpg",
                            "imgs/sub/e.png", "imgs/sub/f.jpg" };
    for (int i = 0; i < 48; i++)
        fprintf(fp, "%s%s\tclass%d\n", i >= 6 ? "./" : "", names[i % 6], i % 3);
    fclose(fp);
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

#define NEED_NETS()                                                                           \
    do {                                                                                      \
        if (!have_python)                                                                     \
            skip_missing("%s with numpy (extract_ref.py makes the nets)", VGG_PYTHON);        \
    } while (0)

/* python reference check; 77 means torch is missing */
static void ref_check(const char *fmt, ...)
{
    char args[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof args, fmt, ap);
    va_end(ap);
    int rc = sh("'%s' '%s' check %s", VGG_PYTHON, REF, args);
    if (rc == 77) {
        print_message("%s", output_text());
        skip_missing("%s with torch and torchvision (the reference)", VGG_PYTHON);
    }
    if (rc != 0) {
        show_output();
        fail_msg("reference check failed (%d)", rc);
    }
    /* the summary line of each store checked */
    for (char *l = output_text(); l && *l;) {
        char *e = strchr(l, '\n');
        int n = e ? (int)(e - l) : (int)strlen(l);
        if (memmem(l, (size_t)n, "worst", 5))
            print_message("%.*s\n", n, l);
        l = e ? e + 1 : NULL;
    }
}

/* ---------------------------------------------------------------- agreement */

static void descriptors_match_pytorch(void **state)
{
    (void)state;
    NEED_NETS();
    /* two nets (different preprocessing), two scales stacked, flips, L2 */
    assert_run_ok("%s extract --threads 1 --net " NETS " --scales 64,96 -o agree_stack.vggf imgs",
                  VGGFEAT);
    /* the directory walk: sorted, recursive, images by content */
    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open("agree_stack.vggf", &fs), VGG_STATUS_OK);
    const char *want[] = { "imgs/a.png", "imgs/b.png", "imgs/c.png", "imgs/d.jpg",
                           "imgs/sub/e.png", "imgs/sub/f.jpg" };
    assert_int_equal(vgg_featstore_rows(fs), 6);
    for (size_t r = 0; r < 6; r++)
        assert_string_equal(vgg_featstore_name(fs, r), want[r]);
    /* 2 nets x 2 scales x fc 32 */
    assert_int_equal(vgg_featstore_dim(fs), 128);
    vgg_featstore_close(fs);
    /* scales averaged; a 10x8 image is scaled up */
    assert_run_ok("%s extract --threads 1 --net " NETS " --scales 96,64 --aggregate average "
                  "-o agree_avg.vggf imgs/a.png imgs/b.png small/tiny.png imgs/sub/e.png",
                  VGGFEAT);
    assert_int_equal(store_rows("agree_avg.vggf"), 4);
    /* c.png is 80x64: at Q = 64 there is no resize, so only arithmetic differs */
    assert_run_ok("%s extract --threads 1 --net nets/netD.safetensors --scales 64 --no-l2 "
                  "-o agree_exact.vggf imgs/c.png", VGGFEAT);
    assert_run_ok("%s extract --threads 1 --net nets/netD.safetensors --scales 64 --no-flip "
                  "--layer pool5 -o agree_pool5.vggf imgs/c.png", VGGFEAT);
    assert_run_ok("%s extract --threads 1 --net nets/netE.safetensors --scales 64 "
                  "--layer fc6 -o agree_fc6.vggf imgs/c.png", VGGFEAT);
    /* labels from a list (one line without, an empty line) */
    FILE *fp = fopen("labelled.txt", "w");
    fprintf(fp, "imgs/d.jpg\tdog\nimgs/a.png\tcat\n\nimgs/sub/f.jpg\tdog\nimgs/b.png\n");
    fclose(fp);
    assert_run_ok("%s extract --threads 1 --net " NETS " --scales 64 --list labelled.txt "
                  "-o labelled.vggf", VGGFEAT);
    fs = NULL;
    assert_int_equal(vgg_featstore_open("labelled.vggf", &fs), VGG_STATUS_OK);
    assert_string_equal(vgg_featstore_label(fs, 0), "dog");
    assert_string_equal(vgg_featstore_label(fs, 1), "cat");
    assert_string_equal(vgg_featstore_label(fs, 3), "");
    vgg_featstore_close(fs);
    assert_run_ok("%s info labelled.vggf", VGGFEAT);
    assert_output_has("labels:      3 of 4 rows");

    /* one run of the reference for all of them */
    ref_check("agree_stack.vggf --nets " NETS " --scales 64,96 --tol 1e-3"
              " + agree_avg.vggf --nets " NETS " --scales 96,64 --aggregate average --tol 1e-3"
              " + agree_exact.vggf --nets nets/netD.safetensors --scales 64 --no-l2 --tol 1e-5"
              " + agree_pool5.vggf --nets nets/netD.safetensors --scales 64 --no-flip"
              " --layer pool5 --tol 1e-5"
              " + agree_fc6.vggf --nets nets/netE.safetensors --scales 64 --layer fc6 --tol 1e-5"
              " + labelled.vggf --nets " NETS " --scales 64 --list labelled.txt --tol 1e-3");
}

/* ---------------------------------------------------------------- resume */

/* These runs are compared byte for byte (resumed, batched, sharded, tail
 * runs against one uninterrupted run) on the default device, oneDNN's:
 * its algorithm choice is a rule of the layer and the image size, never of
 * timing or of the batch, so the bits do not depend on how a run was cut. */
#define MANY_ARGS "extract --threads 1 --loaders 1 --net " NETS \
                  " --scales 64,128 --list many.txt"

static void make_reference_many(void)
{
    if (file_size("many_ref.vggf") > 0)
        return;
    assert_run_ok("%s " MANY_ARGS " -o many_ref.vggf", VGGFEAT);
    assert_int_equal(store_rows("many_ref.vggf"), 48);
}

/* rows in a store being written, from its size and header (0 if none yet) */
static long rows_now(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp)
        return -1;
    unsigned char h[40];
    long n = -1;
    if (fread(h, 1, 40, fp) == 40) {
        uint64_t record, off;
        memcpy(&record, h + 24, 8);
        memcpy(&off, h + 32, 8);
        long size = file_size(path);
        n = size >= (long)off ? (long)((uint64_t)(size - (long)off) / record) : 0;
    }
    fclose(fp);
    return n;
}

/* start the extraction, which stops itself once k inputs are done, their
 * rows in the store (VGGFEAT_STOP_AT, docs/extract.md), and send it sig
 * there (then SIGCONT, unless sig is SIGKILL); returns the rows the store
 * held at the signal (-1: no store yet), *exit_status how it ended (-1:
 * killed by a signal) */
static long run_and_signal(const char *store, long k, int sig, int *exit_status)
{
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        char cmd[1024], at[32];
        snprintf(at, sizeof at, "%ld", k);
        setenv("VGGFEAT_STOP_AT", at, 1);
        snprintf(cmd, sizeof cmd, "exec %s " MANY_ARGS " --quiet -o %s 2>/dev/null", VGGFEAT,
                 store);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
    if (!WIFSTOPPED(status))
        fail_msg("the extraction ended (status 0x%x) instead of stopping after %ld inputs",
                 status, k);
    long seen = rows_now(store);
    kill(pid, sig);
    if (sig != SIGKILL)
        kill(pid, SIGCONT);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (exit_status)
        *exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return seen;
}

static long run_and_kill(const char *store, long k)
{
    return run_and_signal(store, k, SIGKILL, NULL);
}

static void resumes_after_sigkill_byte_identical(void **state)
{
    (void)state;
    NEED_NETS();
    make_reference_many();
    unlink("killed.vggf");
    /* each run resumes what the one before left and is killed mid-run */
    long kills[] = { 0, 1, 9, 23, 40 };
    for (size_t i = 0; i < sizeof kills / sizeof kills[0]; i++) {
        long seen = run_and_kill("killed.vggf", kills[i]);
        print_message("killed at %ld rows\n", seen);
        assert_int_equal(seen, kills[i]);
        /* what was left is a valid store with exactly those rows */
        assert_int_equal(store_rows("killed.vggf"), (size_t)kills[i]);
    }
    assert_run_ok("%s " MANY_ARGS " -o killed.vggf", VGGFEAT);
    assert_int_equal(store_rows("killed.vggf"), 48);
    assert_true(same_file("killed.vggf", "many_ref.vggf"));
    /* a finished store: rerunning adds nothing */
    assert_run_ok("%s " MANY_ARGS " -o killed.vggf", VGGFEAT);
    assert_output_has("resuming after 48 rows");
    assert_true(same_file("killed.vggf", "many_ref.vggf"));
}

static void ctrl_c_stops_cleanly_and_resumes(void **state)
{
    (void)state;
    NEED_NETS();
    make_reference_many();
    unlink("ctrlc.vggf");
    int status = 0;
    long seen = run_and_signal("ctrlc.vggf", 5, SIGINT, &status);
    /* 130 after the interruption, mid-run: the rows it had, perhaps the
     * one in hand, and no more; a valid store */
    assert_int_equal(seen, 5);
    assert_int_equal(status, 130);
    long left = rows_now("ctrlc.vggf");
    print_message("interrupted at %ld rows, %ld in the store\n", seen, left);
    assert_true(left >= 5 && left < 48);
    assert_int_equal(store_rows("ctrlc.vggf"), (size_t)left);
    assert_run_ok("%s " MANY_ARGS " -o ctrlc.vggf", VGGFEAT);
    assert_true(same_file("ctrlc.vggf", "many_ref.vggf"));
}

static void batching_changes_nothing(void **state)
{
    (void)state;
    NEED_NETS();
    make_reference_many();
    unlink("batched.vggf");
    assert_run_ok("%s " MANY_ARGS " --batch 5 --loaders 3 -o batched.vggf", VGGFEAT);
    assert_true(same_file("batched.vggf", "many_ref.vggf"));
    /* the rule: these small nets give the same bits in any batch */
    unlink("batched.vggf");
    assert_run_ok("%s " MANY_ARGS " --batch auto -o batched.vggf", VGGFEAT);
    assert_true(same_file("batched.vggf", "many_ref.vggf"));
    assert_int_equal(sh("%s " MANY_ARGS " --batch 0 -o batched0.vggf", VGGFEAT), 2);
    assert_output_has("'0' is not a usable count");
}

static void damaged_tail_is_repaired_middle_refused(void **state)
{
    (void)state;
    NEED_NETS();
    make_reference_many();
    assert_int_equal(system("cp many_ref.vggf tail.vggf"), 0);
    long size = file_size("tail.vggf");
    uint64_t rec64;
    FILE *fp = fopen("tail.vggf", "rb");
    unsigned char h[40];
    assert_int_equal(fread(h, 1, 40, fp), 40);
    fclose(fp);
    memcpy(&rec64, h + 24, 8); /* the record size, from the header */
    long record = (long)rec64;

    /* half a row of garbage at the end: cut off, nothing else changes */
    assert_int_equal(system("head -c 300 /dev/urandom >> tail.vggf"), 0);
    assert_run_ok("%s " MANY_ARGS " -o tail.vggf", VGGFEAT);
    assert_output_has("cut off 300 bytes");
    assert_true(same_file("tail.vggf", "many_ref.vggf"));

    /* a flipped bit in the last row: the row is cut and computed again */
    fp = fopen("tail.vggf", "r+b");
    fseek(fp, size - 7, SEEK_SET);
    int c = fgetc(fp);
    fseek(fp, size - 7, SEEK_SET);
    fputc(c ^ 1, fp);
    fclose(fp);
    assert_int_not_equal(sh("%s export tail.vggf --format npy -o x.npy", VGGFEAT), 0);
    assert_output_has("row 48 of 48");
    assert_run_ok("%s " MANY_ARGS " -o tail.vggf", VGGFEAT);
    assert_output_has("resuming after 47 rows");
    assert_true(same_file("tail.vggf", "many_ref.vggf"));

    /* damage in the middle: refused, the file is left alone */
    fp = fopen("tail.vggf", "r+b");
    fseek(fp, size - 10 * record + 40, SEEK_SET);
    c = fgetc(fp);
    fseek(fp, size - 10 * record + 40, SEEK_SET);
    fputc(c ^ 1, fp);
    fclose(fp);
    assert_int_equal(sh("%s " MANY_ARGS " -o tail.vggf", VGGFEAT), 1);
    assert_output_has("row 39 of 48 is damaged");
    assert_output_has("middle");
    assert_int_equal(file_size("tail.vggf"), size);
}

static void other_settings_or_inputs_are_refused(void **state)
{
    (void)state;
    NEED_NETS();
    make_reference_many();
    assert_int_equal(system("cp many_ref.vggf other.vggf"), 0);
    long size = file_size("other.vggf");
    assert_int_equal(sh("%s extract --threads 1 --net " NETS " --scales 64 --list many.txt "
                        "-o other.vggf", VGGFEAT), 1);
    assert_output_has("scales differ: 64,128 vs 64");
    assert_int_equal(sh("%s " MANY_ARGS " --no-flip -o other.vggf", VGGFEAT), 1);
    assert_output_has("flip differs");
    assert_int_equal(sh("%s extract --threads 1 --net nets/netE.safetensors,nets/netD.safetensors"
                        " --scales 64,128 --list many.txt -o other.vggf", VGGFEAT), 1);
    assert_output_has("nets differ");
    /* same settings, another input list */
    assert_int_equal(sh("%s extract --threads 1 --net " NETS " --scales 64,128 imgs "
                        "-o other.vggf", VGGFEAT), 1);
    assert_output_has("another input list");
    assert_true(same_file("other.vggf", "many_ref.vggf"));
    assert_int_equal(file_size("other.vggf"), size);
}

/* ---------------------------------------------------------------- where L2 happens */

static void l2_per_net_matches_numpy_and_pytorch(void **state)
{
    (void)state;
    NEED_NETS();
    /* the same images without any L2, with the final L2 and per net */
    const char *const modes[] = { "none", "final", "per-net" };
    for (int m = 0; m < 3; m++) {
        char out[64];
        snprintf(out, sizeof out, "l2_%s.vggf", modes[m]);
        unlink(out);
        assert_run_ok("%s extract --quiet --threads 1 --net " NETS " --scales 64,96 --l2 %s "
                      "-o %s imgs", VGGFEAT, modes[m], out);
    }
    /* numpy alone: the unnormalised rows, each net's 2 x 32 floats divided
     * by their norm, then the row by its norm (sqrt(2) for two unit parts) */
    assert_run_ok(
        "'%s' -c \"\n"
        "import sys; sys.path.insert(0, '" VGG_SOURCE_DIR "/tests')\n"
        "import numpy as np\n"
        "from extract_ref import read_store\n"
        "x = {m: np.asarray(read_store('l2_%%s.vggf' %% m)[1]['x'], np.float64)"
        " for m in ('none', 'final', 'per-net')}\n"
        "info = read_store('l2_per-net.vggf')[0]['desc']\n"
        "assert info['l2'] is True and info['l2_per_net'] is True, info\n"
        "assert 'l2_per_net' not in read_store('l2_final.vggf')[0]['desc']\n"
        "raw = x['none']\n"
        "assert raw.shape == (6, 128), raw.shape\n"
        "d, e = raw[:, :64], raw[:, 64:]\n"
        "want = np.hstack([d / np.linalg.norm(d, axis=1, keepdims=True),"
        " e / np.linalg.norm(e, axis=1, keepdims=True)]) / np.sqrt(2)\n"
        "got = x['per-net']\n"
        "assert np.abs(got - want).max() < 1e-6, np.abs(got - want).max()\n"
        "assert np.allclose(np.linalg.norm(got[:, :64], axis=1), 1 / np.sqrt(2), atol=1e-6)\n"
        "fin = raw / np.linalg.norm(raw, axis=1, keepdims=True)\n"
        "assert np.abs(x['final'] - fin).max() < 1e-6\n"
        "assert np.abs(got - fin).max() > 1e-3, 'per net made no difference'\n"
        "print('per-net L2 agrees')\n\"",
        VGG_PYTHON);
    /* a store of one kind is never resumed with the other */
    assert_int_equal(sh("%s extract --threads 1 --net " NETS " --scales 64,96 --l2 final "
                        "-o l2_per-net.vggf imgs", VGGFEAT), 1);
    assert_output_has("L2 per net differs: on vs off");
    assert_int_equal(sh("%s extract --net " NETS " --l2 both -o x.vggf imgs", VGGFEAT), 2);
    assert_output_has("final, per-net or none");
    assert_run_ok("%s info l2_per-net.vggf", VGGFEAT);
    assert_output_has("l2:          per net, then final");
    ref_check("l2_per-net.vggf --nets " NETS " --scales 64,96 --l2 per-net --tol 1e-3");
}

/* ---------------------------------------------------------------- boxes */

/* boxes of the images as shown: an EXIF-rotated JPEG (stored 40x24, shown
 * 24x40, so its box lies outside the stored image), boxes touching each
 * border, a box that is the whole image, one that needs no resize */
static void write_box_list(void)
{
    FILE *fp = fopen("boxes.txt", "w");
    fprintf(fp, "imgs/d.jpg\tdog\tbox=0,0,120,90\n"
                "imgs/d.jpg\tcat\tbox=60,30,120,90\n"
                "imgs/a.png\t\tbox=0,5,40,71\n"
                "exif6.jpg\tperson\tbox=0,10,24,40\n"
                "exif3.jpg\t\tbox=10,4,40,24\n"
                "imgs/c.png\tcat\tbox=16,0,80,64\n");
    fclose(fp);
}

static void boxes_match_pytorch(void **state)
{
    (void)state;
    NEED_NETS();
    assert_run_ok("cp '" VGG_FIXTURES "/image/exif_6.jpg' exif6.jpg && "
                  "cp '" VGG_FIXTURES "/image/exif_3.jpg' exif3.jpg");
    write_box_list();
    unlink("boxes.vggf");
    unlink("boxes_img.vggf");
    unlink("whole_d.vggf");
    /* one row per line, named path#box; the same image twice (d.jpg, two
     * boxes) is no repeat: neither run warns of a line given twice */
    assert_run_ok("%s extract --threads 1 --net " NETS " --scales 64 --list boxes.txt "
                  "-o boxes.vggf", VGGFEAT);
    assert_null(strstr(output_text(), "given twice"));
    assert_run_ok("%s extract --threads 1 --net " NETS " --scales 64 --list boxes.txt "
                  "--with-image -o boxes_img.vggf", VGGFEAT);
    assert_null(strstr(output_text(), "given twice"));
    assert_run_ok("%s extract --threads 1 --net " NETS " --scales 64 -o whole_d.vggf imgs/d.jpg",
                  VGGFEAT);
    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open("boxes_img.vggf", &fs), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_rows(fs), 6);
    assert_int_equal(vgg_featstore_dim(fs), 128);   /* (box, image) x 2 nets x fc 32 */
    assert_string_equal(vgg_featstore_name(fs, 1), "imgs/d.jpg#60,30,120,90");
    assert_string_equal(vgg_featstore_label(fs, 1), "cat");
    assert_string_equal(vgg_featstore_desc(fs)->region, "box+image");
    vgg_featstore_close(fs);
    /* numpy: the whole image as its box is the image's row; with
     * --with-image each half is a row of its own divided by sqrt(2) */
    assert_run_ok(
        "'%s' -c \"\n"
        "import sys; sys.path.insert(0, '" VGG_SOURCE_DIR "/tests')\n"
        "import numpy as np\n"
        "from extract_ref import read_store\n"
        "b = np.asarray(read_store('boxes.vggf')[1]['x'], np.float64)\n"
        "bi = np.asarray(read_store('boxes_img.vggf')[1]['x'], np.float64)\n"
        "w = np.asarray(read_store('whole_d.vggf')[1]['x'], np.float64)[0]\n"
        "assert read_store('boxes.vggf')[0]['desc']['region'] == 'box'\n"
        "assert np.abs(b[0] - w).max() < 1e-7, np.abs(b[0] - w).max()\n"
        "assert np.abs(bi[:, :64] * np.sqrt(2) - b).max() < 1e-6\n"
        "assert np.abs(bi[0:2, 64:] * np.sqrt(2) - w).max() < 1e-6\n"
        "assert np.abs(b[0] - b[1]).max() > 1e-3\n"
        "print('box rows agree')\n\"",
        VGG_PYTHON);
    /* the rows resume by name (path and box) */
    assert_run_ok("%s extract --threads 1 --net " NETS " --scales 64 --list boxes.txt "
                  "--with-image -o boxes_img.vggf", VGGFEAT);
    assert_output_has("0 images, 0 skipped");
    ref_check("boxes.vggf --nets " NETS " --scales 64 --list boxes.txt --tol 1e-4"
              " + boxes_img.vggf --nets " NETS " --scales 64 --list boxes.txt --with-image"
              " --tol 1e-4");
}

/* each bad box: exit status and the message naming the list and line */
static void bad_box(const char *line, const char *opts, int status, const char *want)
{
    FILE *fp = fopen("badbox.txt", "w");
    fprintf(fp, "imgs/b.png\tcat\tbox=1,1,20,20\n%s\n", line);
    fclose(fp);
    unlink("badbox.vggf");
    int rc = sh("%s extract --threads 1 --net nets/netE.safetensors --scales 32 %s "
                "--list badbox.txt -o badbox.vggf", VGGFEAT, opts);
    if (rc != status) {
        show_output();
        fail_msg("'%s': exit status %d, expected %d", line, rc, status);
    }
    assert_output_has(want);
}

static void box_errors_name_the_line(void **state)
{
    (void)state;
    NEED_NETS();
    assert_run_ok("cp '" VGG_FIXTURES "/image/exif_6.jpg' exif6.jpg");
    /* at list reading */
    bad_box("imgs/a.png\tcat\tbox=1,2,3", "", 1,
            "'badbox.txt', line 2: box '1,2,3': expected x1,y1,x2,y2");
    bad_box("imgs/a.png\tcat\tbox=1,2,3,x", "", 1, "'badbox.txt', line 2: box '1,2,3,x'");
    bad_box("imgs/a.png\tcat\tbox=-1,2,3,4", "", 1, "'badbox.txt', line 2: box '-1,2,3,4'");
    bad_box("imgs/a.png\tcat\tbox=5,5,5,9", "", 1,
            "'badbox.txt', line 2: box '5,5,5,9' is empty: x2 must be above x1");
    bad_box("imgs/a.png\tcat\tbox=5,9,8,2", "", 1, "y2 must be above y1");
    bad_box("imgs/a.png\tbox=1,2,3,4", "", 1,
            "'badbox.txt', line 2: 'box=1,2,3,4' is where the label goes");
    bad_box("imgs/a.png\tcat\t1,2,3,4", "", 1,
            "'badbox.txt', line 2: the third field '1,2,3,4' is not box=x1,y1,x2,y2");
    bad_box("imgs/a.png\tcat\tbox=1,2,3,4\tx", "", 1, "line 2: more than three fields");
    /* after decoding: a.png is 97x71; exif6 is stored 40x24 and shown 24x40 */
    bad_box("imgs/a.png\tcat\tbox=0,0,98,71", "", 1,
            "'badbox.txt', line 2: 'imgs/a.png': box 0,0,98,71 reaches past the 97x71 image");
    bad_box("exif6.jpg\tcat\tbox=0,0,40,24", "", 1,
            "'badbox.txt', line 2: 'exif6.jpg': box 0,0,40,24 reaches past the 24x40 image");
    assert_output_has("stopped at 'exif6.jpg#0,0,40,24'; the store holds 1 rows");
    /* skipped like an unreadable image with --on-error skip */
    bad_box("imgs/a.png\tcat\tbox=0,60,97,72", "--on-error skip", 0,
            "skipped 'imgs/a.png#0,60,97,72': 'badbox.txt', line 2: 'imgs/a.png'");
    /* a line given twice is warned about; --with-image needs boxes */
    bad_box("imgs/b.png\tdog\tbox=1,1,20,20", "", 0,
            "'badbox.txt', line 2: 'imgs/b.png#1,1,20,20' is given twice (first on line 1)");
    assert_int_equal(sh("%s extract --net nets/netE.safetensors --scales 32 --with-image "
                        "-o nobox.vggf imgs/a.png", VGGFEAT), 1);
    assert_output_has("--with-image stacks each box's descriptor with its image's");
    /* a store of boxes is never resumed as one of boxes and images */
    bad_box("imgs/a.png\tcat\tbox=0,0,97,71", "", 0, "2 images, 0 skipped");
    assert_int_equal(sh("%s extract --threads 1 --net nets/netE.safetensors --scales 32 "
                        "--with-image --list badbox.txt -o badbox.vggf", VGGFEAT), 1);
    assert_output_has("region differs: box vs box+image");
}

/* ---------------------------------------------------------------- bad inputs */

static void bad_images_fail_or_skip(void **state)
{
    (void)state;
    NEED_NETS();
    FILE *fp = fopen("bad.txt", "w");
    fprintf(fp, "imgs/a.png\nimgs/b.png\ntrunc.jpg\nimgs/c.png\ngarbage.jpg\nempty.jpg\n"
                "imgs/d.jpg\n");
    fclose(fp);
    unlink("bad.vggf");
    /* fail: stops at the first bad file, naming it; the rows before it stay */
    assert_int_equal(sh("%s extract --threads 1 --net " NETS " --list bad.txt -o bad.vggf",
                        VGGFEAT), 1);
    assert_output_has("trunc.jpg");
    assert_output_has("resumes from there");
    assert_int_equal(store_rows("bad.vggf"), 2);
    /* skip: resumes the same store, logs and counts the bad ones, exits 0 */
    assert_run_ok("%s extract --threads 1 --net " NETS " --list bad.txt --on-error skip "
                  "-o bad.vggf", VGGFEAT);
    assert_output_has("resuming after 2 rows");
    assert_output_has("2 images, 3 skipped");
    assert_output_has("skipped 'trunc.jpg'");
    assert_output_has("skipped 'garbage.jpg'");
    assert_output_has("skipped 'empty.jpg'");
    vgg_featstore *fs = NULL;
    assert_int_equal(vgg_featstore_open("bad.vggf", &fs), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_rows(fs), 4);
    assert_string_equal(vgg_featstore_name(fs, 2), "imgs/c.png");
    assert_int_equal(vgg_featstore_index(fs, 2), 3);
    assert_string_equal(vgg_featstore_name(fs, 3), "imgs/d.jpg");
    assert_int_equal(vgg_featstore_index(fs, 3), 6);
    vgg_featstore_close(fs);
    /* the same rows as a clean run over the good files alone */
    assert_run_ok("%s extract --threads 1 --net " NETS " -o good.vggf imgs/a.png imgs/b.png "
                  "imgs/c.png imgs/d.jpg", VGGFEAT);
    vgg_featstore *a = NULL, *b = NULL;
    assert_int_equal(vgg_featstore_open("bad.vggf", &a), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_open("good.vggf", &b), VGG_STATUS_OK);
    assert_int_equal(vgg_featstore_rows(b), 4);
    assert_int_equal(vgg_featstore_dim(a), 64); /* 2 nets x fc 32 at the default Q = 256 */
    assert_int_equal(vgg_featstore_dim(b), 64);
    for (size_t r = 0; r < 4; r++) {
        assert_string_equal(vgg_featstore_name(a, r), vgg_featstore_name(b, r));
        assert_memory_equal(vgg_featstore_row(a, r), vgg_featstore_row(b, r), 4 * 64);
    }
    vgg_featstore_close(a);
    vgg_featstore_close(b);
    /* nothing at all extracted: exit 1 even with skip */
    assert_int_equal(sh("%s extract --threads 1 --net " NETS " --on-error skip -o none.vggf "
                        "garbage.jpg empty.jpg", VGGFEAT), 1);
    assert_output_has("0 images, 2 skipped");
}

/* ---------------------------------------------------------------- shards */

static void shards_merge_back_to_the_whole(void **state)
{
    (void)state;
    NEED_NETS();
    make_reference_many();
    for (int k = 0; k < 3; k++) {
        char name[32];
        snprintf(name, sizeof name, "shard%d.vggf", k);
        unlink(name);
        assert_run_ok("%s " MANY_ARGS " --shard %d/3 -o %s", VGGFEAT, k, name);
        assert_int_equal(store_rows(name), 16);
    }
    unlink("merged.vggf");
    assert_run_ok("%s merge shard2.vggf shard0.vggf shard1.vggf -o merged.vggf", VGGFEAT);
    assert_true(same_file("merged.vggf", "many_ref.vggf"));
    /* never over an existing file, never the same rows twice, never mixed settings */
    assert_int_equal(sh("%s merge shard0.vggf -o merged.vggf", VGGFEAT), 1);
    assert_output_has("already exists");
    assert_int_equal(sh("%s merge shard0.vggf shard1.vggf shard0.vggf -o twice.vggf", VGGFEAT), 1);
    assert_output_has("is in both");
    assert_int_equal(file_size("twice.vggf"), -1);
    /* a store of the same images at another scale (made here: the case
     * stands alone) */
    unlink("shard_other.vggf");
    assert_run_ok("%s extract --threads 1 --net " NETS " --scales 64 -o shard_other.vggf "
                  "imgs/a.png", VGGFEAT);
    assert_int_equal(sh("%s merge shard0.vggf shard_other.vggf -o mixed.vggf", VGGFEAT), 1);
    assert_output_has("other settings");
    assert_int_equal(sh("%s extract --shard 3/3 --net " NETS " -o x.vggf imgs", VGGFEAT), 2);
}

/* ---------------------------------------------------------------- exports */

static void exports_read_by_numpy_and_liblinear(void **state)
{
    (void)state;
    NEED_NETS();
    make_reference_many();
    assert_run_ok("%s export many_ref.vggf --format npy -o many.npy", VGGFEAT);
    assert_run_ok("%s export many_ref.vggf --format csv -o many.csv", VGGFEAT);
    assert_run_ok("%s export many_ref.vggf --format liblinear -o many.svm", VGGFEAT);
    assert_output_has("many.svm.labels");
    /* numpy: np.load, csv and the liblinear text all hold the store's rows */
    assert_run_ok(
        "'%s' -c \"\n"
        "import sys, csv; sys.path.insert(0, '" VGG_SOURCE_DIR "/tests')\n"
        "import numpy as np\n"
        "from extract_ref import read_store\n"
        "info, rows = read_store('many_ref.vggf')\n"
        "x = np.asarray(rows['x'])\n"
        "a = np.load('many.npy')\n"
        "assert a.dtype == np.float32 and a.shape == (48, 128), (a.dtype, a.shape)\n"
        "assert np.array_equal(a, x)\n"
        "r = list(csv.reader(open('many.csv')))\n"
        "assert r[0][:3] == ['name', 'label', 'x1'] and len(r) == 49\n"
        "assert [q[0] for q in r[1:]] == [n.decode() for n in rows['name']]\n"
        "assert np.array_equal(np.array([[float(v) for v in q[2:]] for q in r[1:]], "
        "dtype=np.float32), x)\n"
        "names = dict(l.rstrip().split('\\t')[::-1] for l in open('many.svm.labels'))\n"
        "assert names == {'class0': '1', 'class1': '2', 'class2': '3'}, names\n"
        "for line, row in zip(open('many.svm'), rows):\n"
        "    f = line.split()\n"
        "    assert f[0] == names[row['label'].decode()]\n"
        "    d = np.zeros(128, np.float32)\n"
        "    for t in f[1:]:\n"
        "        i, v = t.split(':'); d[int(i) - 1] = float(v)\n"
        "    assert np.array_equal(d, row['x'])\n"
        "print('exports agree')\n\"",
        VGG_PYTHON);
    /* Debian's liblinear-train reads it */
    if (system("command -v liblinear-train >/dev/null 2>&1") != 0)
        skip_missing("liblinear-train (liblinear-tools)");
    unlink("many.model");
    assert_run_ok("liblinear-train -q many.svm many.model");
    assert_true(file_size("many.model") > 0);
    assert_run_ok("liblinear-predict many.svm many.model pred.txt");
    assert_output_has("Accuracy");
}

/* ---------------------------------------------------------------- info, nets */

static void info_describes_weights_and_stores(void **state)
{
    (void)state;
    NEED_NETS();
    /* torchvision key names, no metadata: the architecture is inferred */
    assert_run_ok("%s info nets/netD_tv.safetensors", VGGFEAT);
    assert_output_has("config:      D");
    assert_output_has("width:       0.0625");
    assert_output_has("input size:  64");
    assert_output_has("parameters:  63342");
    assert_output_has("metadata:    none");
    assert_run_ok("%s info nets/netE.safetensors", VGGFEAT);
    assert_output_has("config:      E");
    assert_output_has("preprocess:  BGR, range 255, mean 103.939,116.779,123.68");
    assert_output_has("meta format");
    assert_run_ok("%s extract --quiet --threads 1 --net nets/netD.safetensors --no-l2 "
                  "--layer pool5 --scales 64,80 --aggregate average -o info.vggf imgs/a.png",
                  VGGFEAT);
    assert_string_equal(output_text(), "");
    assert_run_ok("%s info info.vggf", VGGFEAT);
    assert_output_has("rows:        1");
    assert_output_has("dim:         32");
    assert_output_has("scales:      64,80");
    assert_output_has("aggregate:   average");
    assert_output_has("layer:       pool5");
    assert_output_has("l2:          no");
    assert_output_has("labels:      none");
    assert_output_has("(config D, digest ");
    assert_int_equal(sh("%s info imgs/notes.txt", VGGFEAT), 1);
    assert_output_has("neither a vggfeat feature store nor a safetensors weights file");
    assert_int_equal(sh("%s info no-such-file", VGGFEAT), 1);
    assert_output_has("no-such-file");
}

static void missing_nets_and_devices_are_explained(void **state)
{
    (void)state;
    NEED_NETS();
    assert_int_equal(sh("%s extract --models nowhere --net D,E -o x.vggf imgs", VGGFEAT), 1);
    assert_output_has("nowhere/vgg16.safetensors");
    assert_output_has("vggfeat convert");
    assert_int_equal(sh("VGGFEAT_MODELS=elsewhere %s extract --net E -o x.vggf imgs", VGGFEAT), 1);
    assert_output_has("elsewhere/vgg19.safetensors");
    assert_output_has("$VGGFEAT_MODELS");
    /* a letter resolved in the models folder */
    assert_int_equal(system("mkdir -p models && cp nets/netD.safetensors models/vgg16.safetensors"),
                     0);
    assert_run_ok("%s extract --threads 1 --net D --scales 64 -o letter.vggf imgs/a.png", VGGFEAT);
    assert_int_equal(file_size("x.vggf"), -1);
    /* cuda: works in a CUDA build, otherwise says it is not available */
    int rc = sh("%s extract --device cuda:0 --net D --scales 64 -o cuda.vggf imgs/a.png",
                VGGFEAT);
    if (rc != 0) {
        assert_int_equal(rc, 1);
        assert_output_has("cuda");
    }
    assert_int_equal(sh("%s extract --net D --scales 64 --layer fc8 -o y.vggf imgs", VGGFEAT), 2);
    assert_int_equal(sh("%s extract --net D --scales 32 -o y.vggf imgs", VGGFEAT), 1);
    assert_output_has("below");
    assert_int_equal(sh("%s extract --net D imgs", VGGFEAT), 2);
    assert_int_equal(sh("%s nonsense", VGGFEAT), 2);
}

static void device_options_are_checked(void **state)
{
    (void)state;
    NEED_NETS();
#define ONE "extract --threads 1 --net nets/netD.safetensors --scales 64 --quiet"
    /* bad values: usage errors naming the option */
    assert_int_equal(sh("%s " ONE " --precision fp16 -o dev.vggf imgs/a.png", VGGFEAT), 2);
    assert_output_has("--precision 'fp16': expected fp32, tf32, bf16 or int8");
    assert_int_equal(sh("%s " ONE " --workspace 0 -o dev.vggf imgs/a.png", VGGFEAT), 2);
    assert_output_has("--workspace '0': expected a positive number of MiB");
    assert_int_equal(sh("%s " ONE " --workspace 12MB -o dev.vggf imgs/a.png", VGGFEAT), 2);
    assert_output_has("--workspace '12MB'");
    /* tf32 on the CPU is refused before anything is written */
    assert_int_equal(sh("%s " ONE " --device cpu --precision tf32 -o dev.vggf imgs/a.png",
                        VGGFEAT), 1);
    assert_output_has("device 'cpu' computes in fp32 only: precision tf32 needs a GPU");
    assert_int_equal(file_size("dev.vggf"), -1);
    /* a GPU that is not there: the cause */
    int rc = sh("%s " ONE " --device cuda:0 --precision tf32 --workspace 64 -o dev.vggf "
                "imgs/a.png", VGGFEAT);
    if (rc != 0) {
        assert_int_equal(rc, 1);
        assert_output_has("--device cuda:0: device 'cuda:0': ");
        assert_true(strstr(output_text(), "built without CUDA") ||
                    strstr(output_text(), "cudaGetDeviceCount") ||
                    strstr(output_text(), "this machine has 0 GPUs"));
        assert_int_equal(file_size("dev.vggf"), -1);
    }
    /* on the CPU fp32, the workspace and a shell's VGG_PRECISION change nothing */
    unlink("dev.vggf");
    assert_run_ok("%s " ONE " -o dev_plain.vggf imgs/a.png", VGGFEAT);
    assert_run_ok("%s " ONE " --precision fp32 --workspace 64 -o dev.vggf imgs/a.png", VGGFEAT);
    assert_true(same_file("dev.vggf", "dev_plain.vggf"));
    unlink("dev.vggf");
    assert_run_ok("VGG_PRECISION=tf32 %s " ONE " -o dev.vggf imgs/a.png", VGGFEAT);
    assert_true(same_file("dev.vggf", "dev_plain.vggf"));
    /* the option wins over the environment */
    assert_int_equal(sh("VGG_PRECISION=fp32 %s " ONE " --device cpu --precision tf32 "
                        "-o dev2.vggf imgs/a.png", VGGFEAT), 1);
    assert_output_has("fp32 only");
    /* int8: refused on the reference and, before anything is written,
     * where oneDNN may not use VNNI; where it may, a store of rows as wide
     * as fp32's, not the same bits */
    assert_int_equal(sh("%s " ONE " --device cpu-ref --precision int8 -o i8.vggf imgs/a.png",
                        VGGFEAT), 1);
    assert_output_has("precision int8 needs the device cpu");
    assert_int_equal(sh("ONEDNN_MAX_CPU_ISA=AVX512_CORE %s " ONE " --precision int8 -o i8.vggf "
                        "imgs/a.png", VGGFEAT), 1);
    assert_output_has("no VNNI");
    assert_output_has("--precision fp32");
    assert_int_equal(file_size("i8.vggf"), -1);
    rc = sh("%s " ONE " --precision int8 -o i8.vggf imgs/a.png", VGGFEAT);
    if (rc != 0) {
        assert_int_equal(rc, 1);
        assert_output_has("no VNNI");
        assert_int_equal(file_size("i8.vggf"), -1);
    } else {
        assert_int_equal(file_size("i8.vggf"), file_size("dev_plain.vggf"));
        assert_false(same_file("i8.vggf", "dev_plain.vggf"));
        /* the store says so, and is not resumed in another precision */
        assert_run_ok("%s info i8.vggf", VGGFEAT);
        assert_output_has("precision:   int8");
        const long before = file_size("i8.vggf");
        assert_int_equal(sh("%s " ONE " -o i8.vggf imgs/a.png imgs/b.png", VGGFEAT), 1);
        assert_output_has("precision differs");
        assert_int_equal(file_size("i8.vggf"), before);
    }
    assert_run_ok("%s info dev_plain.vggf", VGGFEAT);
    assert_output_has("precision:   fp32");
    assert_run_ok("%s extract --help", VGGFEAT);
    assert_output_has("--precision P");
    assert_output_has("int8 (--device cpu with VNNI");
    assert_output_has("--workspace MB");
#undef ONE
}

static void summary_reports_both_rates(void **state)
{
    (void)state;
    NEED_NETS();
    unlink("rates.vggf");
    assert_run_ok("%s extract --threads 1 --loaders 1 --net nets/netD.safetensors --scales 64 "
                  "-o rates.vggf imgs/a.png imgs/b.png", VGGFEAT);
    const char *line = strstr(output_text(), "vggfeat extract: decoding ");
    assert_non_null(line);
    double decode = 0, net = 0, all = 0;
    assert_int_equal(sscanf(line, "vggfeat extract: decoding %lf images/s (1 loader), nets %lf "
                            "images/s", &decode, &net), 2);
    const char *sum = strstr(output_text(), "2 images, 0 skipped, ");
    assert_non_null(sum);
    assert_int_equal(sscanf(strchr(sum + 21, ',') + 1, "%lf images/s;", &all), 1);
    assert_true(decode > 0);
    /* the nets' time is part of the whole run's (printed to 2 decimals) */
    assert_true(net > 0 && net + 0.01 >= all);
    /* the processor time: cores busy on average, more than none and at
     * most the machine's (rounded to 2 decimals) */
    const char *cpu = strstr(output_text(), "s of processor time in ");
    assert_non_null(cpu);
    const char *busy = strstr(cpu, ": ");
    assert_non_null(busy);
    double cores_busy = 0;
    long cores = 0;
    assert_int_equal(sscanf(busy, ": %lf of the machine's %ld cores busy on average",
                            &cores_busy, &cores), 2);
    assert_int_equal(cores, sysconf(_SC_NPROCESSORS_ONLN));
    assert_true(cores_busy > 0 && cores_busy <= (double)cores + 0.01);
    /* resumed with nothing left: no rates to report */
    assert_run_ok("%s extract --threads 1 --net nets/netD.safetensors --scales 64 "
                  "-o rates.vggf imgs/a.png imgs/b.png", VGGFEAT);
    assert_null(strstr(output_text(), "decoding "));
    assert_null(strstr(output_text(), "processor time"));
    unlink("rates.vggf");
}

static void progress_line_only_on_a_terminal(void **state)
{
    (void)state;
    NEED_NETS();
    if (system("command -v script >/dev/null 2>&1") != 0)
        skip_missing("script (bsdutils)");
    make_reference_many();
    unlink("progress.vggf");
    /* script(1) gives the program a terminal; a progress line after every
     * input, not only after half a second (docs/extract.md) */
    assert_run_ok("VGGFEAT_PROGRESS_EVERY=0 script -qec \"%s " MANY_ARGS " -o progress.vggf\" "
                  "/dev/null", VGGFEAT);
    assert_output_has("\r0/48 images");    /* the first input, at once */
    assert_output_has("\r47/48 images");
    assert_output_has("images/s  ETA ");
    assert_output_has("48 images, 0 skipped");
    assert_true(same_file("progress.vggf", "many_ref.vggf"));
    /* not a terminal: the summary only */
    unlink("progress.vggf");
    assert_run_ok("VGGFEAT_PROGRESS_EVERY=0 %s " MANY_ARGS " -o progress.vggf", VGGFEAT);
    assert_null(strstr(output_text(), "ETA"));
    assert_output_has("48 images, 0 skipped");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(descriptors_match_pytorch),
        cmocka_unit_test(resumes_after_sigkill_byte_identical),
        cmocka_unit_test(ctrl_c_stops_cleanly_and_resumes),
        cmocka_unit_test(batching_changes_nothing),
        cmocka_unit_test(damaged_tail_is_repaired_middle_refused),
        cmocka_unit_test(other_settings_or_inputs_are_refused),
        cmocka_unit_test(l2_per_net_matches_numpy_and_pytorch),
        cmocka_unit_test(boxes_match_pytorch),
        cmocka_unit_test(box_errors_name_the_line),
        cmocka_unit_test(bad_images_fail_or_skip),
        cmocka_unit_test(shards_merge_back_to_the_whole),
        cmocka_unit_test(exports_read_by_numpy_and_liblinear),
        cmocka_unit_test(info_describes_weights_and_stores),
        cmocka_unit_test(missing_nets_and_devices_are_explained),
        cmocka_unit_test(device_options_are_checked),
        cmocka_unit_test(summary_reports_both_rates),
        cmocka_unit_test(progress_line_only_on_a_terminal),
    };
    return tests_exit(cmocka_run_group_tests(tests, setup, teardown));
}
