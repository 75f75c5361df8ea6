/* The vggtrain program end to end, on a tiny image set made here through
 * `vggtrain import-idx` from idx files written by the test: the loss
 * falls, the same seed gives the same weights, a run killed with SIGKILL
 * and resumed ends bit-identical to an uninterrupted one, unreadable
 * images are replaced and counted, an empty class folder is refused before
 * training, eval prints the table, and the final weights load as a net. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgg/image.h"
#include "vgg/net.h"
#include "test_skip.h"

static char dir[256];   /* the test's scratch folder */
static char bin[512];

/* Run argv (NULL-terminated) with stdout+stderr to log; return the exit
 * status, or -signal. */
static int run(const char *log, char *const argv[])
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execv(argv[0], argv);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

static char *slurp(const char *path)
{
    char *text = NULL;
    size_t len;
    if (vgg_read_file(path, 0, &text, &len) != VGG_STATUS_OK)
        return NULL;
    return text;
}

static bool same_file(const char *a, const char *b)
{
    char *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    bool same = vgg_read_file(a, 0, &x, &nx) == VGG_STATUS_OK &&
                vgg_read_file(b, 0, &y, &ny) == VGG_STATUS_OK && nx == ny &&
                memcmp(x, y, nx) == 0;
    free(x);
    free(y);
    return same;
}

static void put_be32(FILE *f, uint32_t v)
{
    unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };
    fwrite(b, 1, 4, f);
}

/* n images of 28x28 in 3 classes: class c is a bright bar in the c-th third
 * of the image (columns), plus noise. */
static void write_idx(const char *images, const char *labels, int n)
{
    FILE *fi = fopen(images, "wb"), *fl = fopen(labels, "wb");
    assert_non_null(fi);
    assert_non_null(fl);
    put_be32(fi, 0x803);
    put_be32(fi, n);
    put_be32(fi, 28);
    put_be32(fi, 28);
    put_be32(fl, 0x801);
    put_be32(fl, n);
    uint64_t s = 99;
    for (int i = 0; i < n; i++) {
        int c = i % 3;
        for (int y = 0; y < 28; y++)
            for (int x = 0; x < 28; x++) {
                s = s * 6364136223846793005ULL + 1442695040888963407ULL;
                int v = (int)(s >> 59);   /* 0..31 noise */
                if (x >= c * 9 && x < c * 9 + 9 && y > 3 && y < 24)
                    v += 200;
                fputc(v, fi);
            }
        fputc(c, fl);
    }
    fclose(fi);
    fclose(fl);
}

static int setup(void **state)
{
    (void)state;
    snprintf(bin, sizeof bin, "%s/vggtrain", VGG_BIN_DIR);
    snprintf(dir, sizeof dir, "vggtrain_test_%d", (int)getpid());
    mkdir(dir, 0777);
    char im[512], lb[512], out[512], log[512];
    snprintf(im, sizeof im, "%s/img.idx", dir);
    snprintf(lb, sizeof lb, "%s/lab.idx", dir);
    snprintf(out, sizeof out, "%s/set", dir);
    snprintf(log, sizeof log, "%s/import.log", dir);
    write_idx(im, lb, 60);
    char *argv[] = { bin, "import-idx", im, lb, "-o", out, NULL };
    return run(log, argv) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void import_idx_writes_pngs_list_and_classes(void **state)
{
    (void)state;
    char p[512];
    snprintf(p, sizeof p, "%s/set/classes.txt", dir);
    char *classes = slurp(p);
    assert_non_null(classes);
    /* labels 0, 1, 2 are Fashion-MNIST's first three classes */
    assert_string_equal(classes, "T-shirt/top\nTrouser\nPullover\n");
    snprintf(p, sizeof p, "%s/set/list.txt", dir);
    char *list = slurp(p);
    assert_non_null(list);
    int lines = 0;
    for (char *c = list; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, 60);
    char want[512];
    snprintf(want, sizeof want, "%s/set/images/00004.png\tTrouser\n", dir);
    assert_non_null(strstr(list, want));
    /* the PNG decodes to the idx pixels (grey: R = G = B) */
    snprintf(p, sizeof p, "%s/set/images/00004.png", dir);
    vgg_image *img = NULL;
    vgg_decode_opts o;
    vgg_decode_opts_default(&o);
    assert_int_equal(vgg_image_load(p, &o, &img), VGG_STATUS_OK);
    assert_int_equal(img->w, 28);
    assert_int_equal(img->h, 28);
    /* image 4 is class 1: the bar spans columns 9..17, rows 4..23 */
    assert_true(img->px[3 * (10 * 28 + 12)] >= 200);
    assert_true(img->px[3 * (10 * 28 + 2)] < 32);
    assert_int_equal(img->px[3 * 40], img->px[3 * 40 + 1]);
    vgg_image_free(img);
    free(classes);
    free(list);
    /* a labels file of another length is refused, naming both files */
    char im[512], lb[512], log[512], out[512];
    snprintf(im, sizeof im, "%s/img.idx", dir);
    snprintf(lb, sizeof lb, "%s/lab_short.idx", dir);
    snprintf(out, sizeof out, "%s/bad", dir);
    snprintf(log, sizeof log, "%s/bad_import.log", dir);
    FILE *f = fopen(lb, "wb");
    put_be32(f, 0x801);
    put_be32(f, 2);
    fputc(0, f);
    fputc(1, f);
    fclose(f);
    char *argv[] = { bin, "import-idx", im, lb, "-o", out, NULL };
    assert_int_equal(run(log, argv), 1);
    char *msg = slurp(log);
    assert_non_null(strstr(msg, "lab_short.idx"));
    free(msg);
}

/* the common options of a tiny run */
#define TINY "--config", "A", "--width", "0.0625", "--fc-dim", "16", "--input-size", "32", \
             "--init", "he", "--batch", "12", "--scale-jitter", "32,36", "--threads", "1", \
             "--loaders", "2", "--print-every", "1"

static int train(const char *tag, const char *extra1, const char *extra2, const char *iters,
                 const char *seed, char *out, size_t outn)
{
    char list[512], classes[512], log[512], metrics[512], ckpt[512];
    snprintf(list, sizeof list, "%s/set/list.txt", dir);
    snprintf(classes, sizeof classes, "%s/set/classes.txt", dir);
    snprintf(out, outn, "%s/%s.safetensors", dir, tag);
    snprintf(log, sizeof log, "%s/%s.log", dir, tag);
    snprintf(metrics, sizeof metrics, "%s/%s.jsonl", dir, tag);
    snprintf(ckpt, sizeof ckpt, "%s/%s.ckpt", dir, tag);
    char *argv[48] = { bin, "train", "--list", list, "--classes", classes, TINY,
                       "--iterations", (char *)iters, "--seed", (char *)seed, "--log", metrics,
                       "--checkpoint", ckpt, "--checkpoint-every", "3", "-o", out };
    int n = 0;
    while (argv[n])
        n++;
    if (extra1)
        argv[n++] = (char *)extra1;
    if (extra2)
        argv[n++] = (char *)extra2;
    argv[n] = NULL;
    return run(log, argv);
}

/* the mean of the "loss" fields of the first / last k lines */
static void losses(const char *metrics, int k, double *first, double *last)
{
    char *text = slurp(metrics);
    assert_non_null(text);
    double v[1000];
    int n = 0;
    for (char *p = strstr(text, "\"loss\":"); p && n < 1000; p = strstr(p + 1, "\"loss\":"))
        v[n++] = atof(p + 7);
    assert_true(n >= 2 * k);
    *first = *last = 0;
    for (int i = 0; i < k; i++) {
        *first += v[i] / k;
        *last += v[n - 1 - i] / k;
    }
    free(text);
}

static void loss_falls_and_weights_load(void **state)
{
    (void)state;
    char out[512], metrics[512];
    assert_int_equal(train("falls", "--dropout", "0", "40", "3", out, sizeof out), 0);
    snprintf(metrics, sizeof metrics, "%s/falls.jsonl", dir);
    double first, last;
    losses(metrics, 5, &first, &last);
    print_message("loss: first iterations %.3f, last %.3f\n", first, last);
    assert_true(first > 0.9);          /* about ln 3 at the start */
    assert_true(last < 0.6 * first);
    /* the weights are a net vggfeat can load: A, 3 classes, input 32 */
    vgg_backend *be = NULL;
    vgg_net *net = NULL;
    assert_int_equal(vgg_backend_open("cpu", 1, &be), VGG_STATUS_OK);
    assert_int_equal(vgg_net_load(out, be, &net), VGG_STATUS_OK);
    assert_int_equal(vgg_net_arch(net)->config, VGG_CONFIG_A);
    assert_int_equal(vgg_net_arch(net)->num_classes, 3);
    assert_int_equal(vgg_net_arch(net)->input_size, 32);
    vgg_net_free(net);
    vgg_backend_close(be);
}

static void plot_script_draws_the_curves(void **state)
{
    (void)state;
    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        skip_missing("gnuplot (gnuplot-nox)");
    /* a metrics log of its own: the case stands alone */
    char metrics[512], prefix[512], cmd[2048], png[600], out[512];
    assert_int_equal(train("plot", NULL, NULL, "6", "3", out, sizeof out), 0);
    snprintf(metrics, sizeof metrics, "%s/plot.jsonl", dir);
    snprintf(prefix, sizeof prefix, "%s/curves", dir);
    snprintf(cmd, sizeof cmd, "sh %s/pipelines/plot_training.sh %s %s >/dev/null 2>&1",
             VGG_SOURCE_DIR, metrics, prefix);
    assert_int_equal(system(cmd), 0);
    snprintf(png, sizeof png, "%s.png", prefix);
    char *data = slurp(png);
    assert_non_null(data);
    assert_memory_equal(data, "\x89PNG", 4);
    free(data);
    snprintf(png, sizeof png, "%s.svg", prefix);
    data = slurp(png);
    assert_non_null(data);
    assert_non_null(strstr(data, "<svg"));
    free(data);
}

static void same_seed_same_weights(void **state)
{
    (void)state;
    char a[512], b[512], c[512];
    assert_int_equal(train("seed_a", NULL, NULL, "6", "5", a, sizeof a), 0);
    /* a different number of decoding threads must not matter */
    assert_int_equal(train("seed_b", "--loaders", "1", "6", "5", b, sizeof b), 0);
    assert_int_equal(train("seed_c", NULL, NULL, "6", "6", c, sizeof c), 0);
    assert_true(same_file(a, b));
    assert_false(same_file(a, c));
}

static void resume_after_kill_is_bit_identical(void **state)
{
    (void)state;
    char whole[512], cut[512];
    assert_int_equal(train("whole", NULL, NULL, "30", "8", whole, sizeof whole), 0);

    /* the same run, killed with SIGKILL once its first checkpoint exists:
     * it stops itself after iteration 4's progress line (VGGTRAIN_STOP_AFTER,
     * pretrain/README.md), when iteration 3's checkpoint is saved */
    char list[512], classes[512], log[512], metrics[512], ckpt[512];
    snprintf(list, sizeof list, "%s/set/list.txt", dir);
    snprintf(classes, sizeof classes, "%s/set/classes.txt", dir);
    snprintf(cut, sizeof cut, "%s/cut.safetensors", dir);
    snprintf(log, sizeof log, "%s/cut.log", dir);
    snprintf(metrics, sizeof metrics, "%s/cut.jsonl", dir);
    snprintf(ckpt, sizeof ckpt, "%s/cut.ckpt", dir);
    char *argv[] = { bin, "train", "--list", list, "--classes", classes, TINY,
                     "--iterations", "30", "--seed", "8", "--log", metrics, "--checkpoint", ckpt,
                     "--checkpoint-every", "3", "-o", cut, NULL };
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        setenv("VGGTRAIN_STOP_AFTER", "iter 4/", 1);
        execv(bin, argv);
        _exit(127);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
    assert_true(WIFSTOPPED(status));    /* it is mid-run */
    struct stat sb;
    assert_int_equal(stat(ckpt, &sb), 0); /* with a checkpoint */
    kill(pid, SIGKILL);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFSIGNALED(status));
    assert_int_equal(stat(cut, &sb), -1); /* and had not written its weights */

    char *argv2[48];
    int n = 0;
    while (argv[n]) {
        argv2[n] = argv[n];
        n++;
    }
    argv2[n++] = "--resume";
    argv2[n] = NULL;
    char log2[512];
    snprintf(log2, sizeof log2, "%s/cut_resumed.log", dir);
    assert_int_equal(run(log2, argv2), 0);
    char *text = slurp(log2);
    assert_non_null(strstr(text, "resumed from"));
    free(text);
    assert_true(same_file(whole, cut));
    /* the metrics log has each iteration once */
    text = slurp(metrics);
    for (int it = 1; it <= 30; it++) {
        char key[32];
        snprintf(key, sizeof key, "{\"iter\":%d,", it);
        char *p = strstr(text, key);
        assert_non_null(p);
        assert_null(strstr(p + 1, key));
    }
    free(text);
}

static void unreadable_images_are_replaced_and_counted(void **state)
{
    (void)state;
    char list[512], bad[512], missing[512], p[512];
    snprintf(list, sizeof list, "%s/set/list.txt", dir);
    snprintf(bad, sizeof bad, "%s/broken.png", dir);
    snprintf(missing, sizeof missing, "%s/missing.png", dir);
    FILE *f = fopen(bad, "wb");
    fputs("\x89PNG\r\n\x1a\n this is not a PNG", f);
    fclose(f);
    char *text = slurp(list);
    snprintf(p, sizeof p, "%s/set/list_bad.txt", dir);
    f = fopen(p, "wb");
    fputs(text, f);
    for (int i = 0; i < 6; i++)
        fprintf(f, "%s\tTrouser\n%s\tPullover\n", bad, missing);
    fclose(f);
    free(text);
    char classes[512], out[512], log[512], metrics[512];
    snprintf(classes, sizeof classes, "%s/set/classes.txt", dir);
    snprintf(out, sizeof out, "%s/bad.safetensors", dir);
    snprintf(log, sizeof log, "%s/bad.log", dir);
    snprintf(metrics, sizeof metrics, "%s/bad.jsonl", dir);
    char *argv[] = { bin, "train", "--list", p, "--classes", classes, TINY, "--iterations", "8",
                     "--log", metrics, "-o", out, NULL };
    assert_int_equal(run(log, argv), 0);
    text = slurp(log);
    assert_non_null(strstr(text, "unreadable image replaced"));
    assert_non_null(strstr(text, "broken.png"));
    /* 12 of 72 images are bad: 96 draws meet some */
    char *sum = strstr(text, "unreadable images replaced");
    assert_non_null(sum);
    char *q = sum;
    while (q > text && q[-1] != ',')
        q--;
    long count = strtol(q + 1, NULL, 10);
    print_message("unreadable images replaced: %ld\n", count);
    assert_true(count > 0);
    free(text);
    text = slurp(metrics);
    assert_non_null(strstr(text, "\"bad_images\":"));
    free(text);
}

static void empty_class_folder_is_an_error(void **state)
{
    (void)state;
    char root[512], p[2048], out[1024], log[1024];
    snprintf(root, sizeof root, "%s/folders", dir);
    mkdir(root, 0777);
    snprintf(p, sizeof p, "%s/cat", root);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "cp %s/set/images/00000.png %s/cat/a.png", dir, root);
    assert_int_equal(system(p), 0);
    snprintf(p, sizeof p, "%s/dog", root);
    mkdir(p, 0777);
    snprintf(out, sizeof out, "%s/empty.safetensors", dir);
    snprintf(log, sizeof log, "%s/empty.log", dir);
    char *argv[] = { bin, "train", "--data", root, TINY, "--iterations", "2", "-o", out, NULL };
    assert_int_equal(run(log, argv), 1);
    char *text = slurp(log);
    assert_non_null(strstr(text, "dog"));
    assert_null(strstr(text, "iter 1/"));   /* before any training */
    free(text);
    struct stat sb;
    assert_int_equal(stat(out, &sb), -1);
}

static bool log_has(const char *tag, const char *part)
{
    char log[512];
    snprintf(log, sizeof log, "%s/%s.log", dir, tag);
    char *text = slurp(log);
    bool has = text && strstr(text, part);
    if (!has)
        print_message("%s.log lacks '%s':\n%s\n", tag, part, text ? text : "(none)");
    free(text);
    return has;
}

static void device_options_are_checked(void **state)
{
    (void)state;
    char out[512], plain[512];
    struct stat sb;
    /* bad values: usage errors naming the option */
    assert_int_equal(train("dev_bad1", "--precision", "fp16", "2", "5", out, sizeof out), 2);
    assert_true(log_has("dev_bad1", "--precision 'fp16': expected fp32, tf32, bf16 or int8"));
    assert_int_equal(train("dev_bad2", "--workspace", "-1", "2", "5", out, sizeof out), 2);
    assert_true(log_has("dev_bad2", "--workspace '-1': expected a positive number of MiB"));
    /* tf32 on the CPU is refused before training */
    assert_int_equal(train("dev_tf32", "--precision", "tf32", "2", "5", out, sizeof out), 1);
    assert_true(log_has("dev_tf32", "device 'cpu' computes in fp32 only: precision tf32 needs a GPU"));
    assert_false(log_has("dev_tf32", "iter 1/"));
    assert_int_equal(stat(out, &sb), -1);
    /* a GPU that is not there: the cause */
    char list[512], classes[512], log[512];
    snprintf(list, sizeof list, "%s/set/list.txt", dir);
    snprintf(classes, sizeof classes, "%s/set/classes.txt", dir);
    snprintf(out, sizeof out, "%s/dev_cuda.safetensors", dir);
    snprintf(log, sizeof log, "%s/dev_cuda.log", dir);
    char *argv[] = { bin, "train", "--list", list, "--classes", classes, TINY, "--iterations", "2",
                     "--device", "cuda:0", "--precision", "tf32", "--workspace", "64",
                     "--deterministic", "-o", out, NULL };
    int rc = run(log, argv);
    if (rc != 0) {
        assert_int_equal(rc, 1);
        assert_true(log_has("dev_cuda", "device 'cuda:0': "));
        char *text = slurp(log);
        assert_non_null(text);
        assert_true(strstr(text, "built without CUDA") || strstr(text, "cudaGetDeviceCount") ||
                    strstr(text, "this machine has 0 GPUs"));
        free(text);
        assert_int_equal(stat(out, &sb), -1);
    }
    /* on the CPU fp32, the workspace and determinism change nothing (it
     * repeats bit for bit anyway) */
    assert_int_equal(train("dev_plain", NULL, NULL, "4", "5", plain, sizeof plain), 0);
    assert_int_equal(train("dev_det", "--deterministic", NULL, "4", "5", out, sizeof out), 0);
    assert_true(same_file(out, plain));
    assert_int_equal(train("dev_ws", "--workspace", "64", "4", "5", out, sizeof out), 0);
    assert_true(same_file(out, plain));
    assert_int_equal(train("dev_fp32", "--precision", "fp32", "4", "5", out, sizeof out), 0);
    assert_true(same_file(out, plain));
}

static void eval_prints_the_table(void **state)
{
    (void)state;
    char out[512], list[512], classes[512], log[512];
    assert_int_equal(train("evalnet", "--dropout", "0", "30", "3", out, sizeof out), 0);
    snprintf(list, sizeof list, "%s/set/list.txt", dir);
    snprintf(classes, sizeof classes, "%s/set/classes.txt", dir);
    snprintf(log, sizeof log, "%s/eval.log", dir);
    char *argv[] = { bin, "eval", "-w", out, "-w", out, "--list", list, "--classes", classes,
                     "--scales", "32,40", "--grid", "2", NULL };
    assert_int_equal(run(log, argv), 0);
    char *text = slurp(log);
    print_message("%s", text);
    const char *rows[] = { "centre crop", "dense", "multi-crop", "dense+multi-crop",
                           "ensemble of 2", "32,40", "(60 images)" };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        assert_non_null(strstr(text, rows[i]));
    free(text);
    /* a net of another class count is refused */
    char root[300], cmd[4096];
    snprintf(root, sizeof root, "%s/two", dir);
    snprintf(cmd, sizeof cmd, "mkdir -p %s/a %s/b && cp %s/set/images/00000.png %s/a/ && "
             "cp %s/set/images/00001.png %s/b/", root, root, dir, root, dir, root);
    assert_int_equal(system(cmd), 0);
    char *argv2[] = { bin, "eval", "-w", out, "--data", root, NULL };
    assert_int_equal(run(log, argv2), 1);
    text = slurp(log);
    assert_non_null(strstr(text, "3 classes, the data 2"));
    free(text);
}

/* Each command's usage errors say what is wrong in a line of their own
 * ("vggtrain CMD: ..."), as vggfeat's and vggsvm's do, before the usage;
 * not glibc's "unrecognized option" nor the usage alone. */
static void option_errors_are_named(void **state)
{
    (void)state;
    static const struct {
        const char *cmd, *arg, *want;
    } cases[] = {
        { "train", "--frob", "vggtrain train: unknown option '--frob'\n" },
        { "train", "-x", "vggtrain train: unknown option '-x'\n" },
        { "train", "--help=1", "vggtrain train: --help takes no value ('--help=1')\n" },
        { "eval", "--frob", "vggtrain eval: unknown option '--frob'\n" },
        { "eval", "--grid", "vggtrain eval: --grid needs a value\n" },
        { "eval", "-w", "vggtrain eval: -w needs a value\n" },
        { "eval", NULL, "vggtrain eval: -w WEIGHTS is required (a trained net)\n" },
        { "init", "--frob", "vggtrain init: unknown option '--frob'\n" },
        { "init", "-dash.st", "vggtrain init: unknown option '-d' (in '-dash.st'); a file whose "
                              "name starts with '-' goes after '--', which ends the options: "
                              "-- -dash.st\n" },
        { "init", NULL, "vggtrain init: -o WEIGHTS is required\n" },
        { "import-idx", "--frob", "vggtrain import-idx: unknown option '--frob'\n" },
        { "import-idx", NULL, "vggtrain import-idx: -o DIR is required\n" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char log[512];
        snprintf(log, sizeof log, "%s/opt%zu.log", dir, i);
        char *argv[] = { bin, (char *)cases[i].cmd, (char *)cases[i].arg, NULL };
        int rc = run(log, argv);
        char *text = slurp(log);
        assert_non_null(text);
        if (rc != 2 || strncmp(text, cases[i].want, strlen(cases[i].want)) != 0)
            print_message("vggtrain %s %s: exit %d, printed:\n%s\nwanted first:\n%s", cases[i].cmd,
                          cases[i].arg ? cases[i].arg : "", rc, text, cases[i].want);
        assert_int_equal(rc, 2);
        assert_int_equal(strncmp(text, cases[i].want, strlen(cases[i].want)), 0);
        /* then the command's usage */
        char usage[64];
        snprintf(usage, sizeof usage, "usage: vggtrain %s", cases[i].cmd);
        assert_non_null(strstr(text, usage));
        free(text);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(import_idx_writes_pngs_list_and_classes),
        cmocka_unit_test(loss_falls_and_weights_load),
        cmocka_unit_test(plot_script_draws_the_curves),
        cmocka_unit_test(same_seed_same_weights),
        cmocka_unit_test(resume_after_kill_is_bit_identical),
        cmocka_unit_test(unreadable_images_are_replaced_and_counted),
        cmocka_unit_test(empty_class_folder_is_an_error),
        cmocka_unit_test(eval_prints_the_table),
        cmocka_unit_test(device_options_are_checked),
        cmocka_unit_test(option_errors_are_named),
    };
    return tests_exit(cmocka_run_group_tests(tests, setup, teardown));
}
