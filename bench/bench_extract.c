/* The paper's descriptor (vgg_extractor: resize to each Q, dense forward to
 * fc7, global average pool, flip average, scales stacked, nets stacked,
 * L2) for a handful of 500x375 images, full-size nets with random weights
 * made on the fly, on the CPU; then the same computation in PyTorch CPU at
 * its fastest (bench_extract.py: traced, frozen, optimize_for_inference;
 * same threads) in the same run.  Both sides time the images after one
 * untimed image (plans, traces).  Prints images/s for both, their ratio,
 * and the peak RSS of each side; for ours also the cores busy on average
 * (the process's processor time over the timed run's).
 *
 * --batch N runs N prepared images at a time (vggfeat extract --batch);
 * --precision P computes as vggfeat extract --precision P does (the
 * PyTorch side stays fp32, its fastest exact mode).
 *
 * --job DIR measures vggfeat extract's own pipeline instead (time_job):
 * the job over --images inputs, DIR's image files in turn, against the
 * same inputs run in process, alternating --rounds times; no PyTorch.
 *
 *   bench_extract [--net D|E|D,E] [--scales 256,384] [--images N] [--threads N]
 *                 [--size WxH] [--batch N] [--precision P] [--no-torch]
 *   bench_extract --job DIR [--loaders N] [--rounds R] [--net D|E|D,E] [--scales 256,384]
 *                 [--images N] [--threads N] [--batch N]
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_util.h"
#include "vgg/extract.h"

static void picture(vgg_image *img, int k)
{
    for (int y = 0; y < img->h; y++)
        for (int x = 0; x < img->w; x++)
            for (int c = 0; c < 3; c++)
                img->px[(y * img->w + x) * 3 + c] =
                    (uint8_t)(128 + 100 * sin((x + 7 * k) / (9.0 + c) + y / 13.0));
}

/* Up to two full-size nets, D or E as net_text lists them, with random
 * weights; their count, or -1 (printed). */
static int make_nets(const char *net_text, vgg_backend *be, vgg_net *nets[2],
                     const char *names[2])
{
    int n_nets = 0;
    for (const char *p = net_text; *p && n_nets < 2; p++) {
        if (*p == ',')
            continue;
        vgg_arch a;
        vgg_arch_default(&a, *p == 'E' ? VGG_CONFIG_E : VGG_CONFIG_D);
        if (vgg_net_create(&a, be, &nets[n_nets]) != VGG_STATUS_OK) {
            fprintf(stderr, "bench_extract: %s\n", vgg_last_error());
            return -1;
        }
        bench_random_weights(nets[n_nets], 0x9E3779B97F4A7C15ull + (uint64_t)n_nets, 0.01f);
        names[n_nets] = *p == 'E' ? "E" : "D";
        n_nets++;
    }
    return n_nets;
}

/* The same computation in PyTorch (bench_extract.py) and the ratios to
 * ours (images/s) and our_rss (MB). */
static void run_pytorch(const char *net_text, const char *scales_text, int n_images,
                        int threads, int w, int h, double ours, double our_rss)
{
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s' --net %s --scales %s --images %d --threads %d "
             "--size %dx%d", VGG_PYTHON, VGG_BENCH_SCRIPT, net_text, scales_text, n_images,
             threads, w, h);
    FILE *pp = popen(cmd, "r");
    if (!pp) {
        printf("  PyTorch: could not run %s\n", VGG_BENCH_SCRIPT);
        return;
    }
    char line[512];
    double theirs = 0, rss = 0;
    while (fgets(line, sizeof line, pp)) {
        double v;
        if (sscanf(line, "images_per_s %lf", &v) == 1)
            theirs = v;
        else if (sscanf(line, "peak_rss_mb %lf", &v) == 1)
            rss = v;
        else
            fputs(line, stdout);
    }
    int rc = pclose(pp);
    if (rc != 0 || theirs <= 0) {
        printf("  PyTorch side failed or is not installed (status %d)\n", rc);
        return;
    }
    printf("  PyTorch: %.3f images/s, peak RSS %.0f MB\n", theirs, rss);
    printf("  speed vggfeat/PyTorch: %.2f; memory vggfeat/PyTorch: %.2f\n", ours / theirs,
           our_rss / rss);
}

static double busy_cores;   /* time_ours's processor time over its time */

/* images/s of n images of w x h, batch at a time (prepared, then run as
 * one call), after one untimed batch (the plans for the size); -1 after
 * printing the error */
static double time_ours(vgg_extractor *ex, int n, int batch, int w, int h)
{
    const int dim = vgg_extractor_dim(ex);
    float *rows = malloc(sizeof(float) * (size_t)dim * batch);
    vgg_prepared **p = calloc((size_t)batch, sizeof *p);
    /* the pictures, made before the clock starts (the untimed batch's
     * are the first ones) */
    vgg_image **img = calloc((size_t)(n > batch ? n : batch), sizeof *img);
    double t0 = 0, c0 = 0, rate = -1;
    if (!rows || !p || !img)
        goto done;
    for (int k = 0; k < (n > batch ? n : batch); k++) {
        if (vgg_image_new(w, h, &img[k]) != VGG_STATUS_OK)
            goto done;
        picture(img[k], k);
    }
    for (int k = -batch; k < n; k += batch) {
        if (k == 0) {
            t0 = vgg_now_seconds();
            c0 = vgg_cpu_seconds();
        }
        const int m = n - k < batch ? n - k : batch;
        for (int j = 0; j < m; j++)
            if (vgg_extractor_prepare(ex, img[k < 0 ? j : k + j], &p[j]) != VGG_STATUS_OK)
                goto done;
        vgg_status st = vgg_extractor_run(ex, p, m, batch, rows);
        for (int j = 0; j < m; j++) {
            vgg_prepared_free(p[j]);
            p[j] = NULL;
        }
        if (st != VGG_STATUS_OK)
            goto done;
    }
    {
        const double secs = vgg_now_seconds() - t0;
        rate = n / secs;
        busy_cores = (vgg_cpu_seconds() - c0) / secs;
    }
done:
    if (rate < 0)
        fprintf(stderr, "bench_extract: %s\n", vgg_last_error());
    for (int j = 0; p && j < batch; j++)
        vgg_prepared_free(p[j]);
    for (int k = 0; img && k < (n > batch ? n : batch); k++)
        vgg_image_free(img[k]);
    free(img);
    free(p);
    free(rows);
    return rate;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The regular files in dir, sorted, as malloc'd paths; their count, or -1 */
static int list_files(const char *dir, char ***out)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "bench_extract: '%s': %s\n", dir, strerror(errno));
        return -1;
    }
    char **files = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (e->d_name[0] == '.' || stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(files, (size_t)cap * sizeof *files);
            if (!grown)
                break;
            files = grown;
        }
        files[n++] = strdup(path);
    }
    closedir(d);
    qsort(files, (size_t)n, sizeof *files, cmp_str);
    *out = files;
    return n;
}

/* --job DIR: vggfeat extract's own pipeline (vgg_extract_job_run: loaders
 * decoding and resizing ahead in threads, the nets on this one, the rows
 * appended to a store in a temporary folder) over n inputs, DIR's images
 * in turn, against the same images' prepared inputs run in process one
 * after another (vgg_extractor_run alone, nothing else in the process),
 * alternating, rounds times, after one untimed run of the first image (its
 * size's plans).  Prints the job's whole rate, its "nets" rate (what
 * vggfeat extract prints: images over the seconds inside the nets) and
 * the in-process rate (mean and best image) with their ratio. */
static int time_job(vgg_extractor *ex, const char *dir, int n, int loaders, int batch,
                    int rounds)
{
    if (batch > 64) {
        fprintf(stderr, "bench_extract: --job takes --batch up to 64\n");
        return -1;
    }
    char **files = NULL;
    const int nf = list_files(dir, &files);
    if (nf <= 0) {
        if (nf == 0)
            fprintf(stderr, "bench_extract: no files in '%s'\n", dir);
        return -1;
    }
    const int dim = vgg_extractor_dim(ex);
    int rc = -1;
    vgg_extract_item *items = calloc((size_t)n, sizeof *items);
    char (*names)[32] = calloc((size_t)n, sizeof *names);
    vgg_prepared **prep = calloc((size_t)nf, sizeof *prep);
    float *rows = malloc(sizeof(float) * (size_t)dim * batch);
    char tmp[] = "/tmp/bench_extract.XXXXXX", store[64] = "";
    if (!items || !names || !prep || !rows || !mkdtemp(tmp))
        goto out;
    snprintf(store, sizeof store, "%s/rows.vgf", tmp);
    for (int k = 0; k < n; k++) {
        snprintf(names[k], sizeof names[k], "%d", k);
        items[k].path = files[k % nf];
        items[k].name = names[k];
        items[k].index = (uint64_t)k;
    }
    for (int f = 0; f < nf; f++) {
        vgg_image *img = NULL;
        vgg_decode_opts dopts;
        vgg_extractor_decode_opts(ex, &dopts);
        vgg_status st = vgg_image_load(files[f], &dopts, &img);
        if (st == VGG_STATUS_OK)
            st = vgg_extractor_prepare(ex, img, &prep[f]);
        vgg_image_free(img);
        if (st != VGG_STATUS_OK) {
            fprintf(stderr, "bench_extract: '%s': %s\n", files[f], vgg_last_error());
            goto out;
        }
    }
    if (vgg_extractor_run(ex, prep, 1, 1, rows) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_extract: %s\n", vgg_last_error());
        goto out;
    }
    printf("  the job (%d loaders, batch %d) against the same inputs prepared and run in "
           "process, alternating, %d images each:\n", loaders, batch, n);
    for (int r = 0; r < rounds; r++) {
        vgg_extract_job job;
        vgg_extract_job_default(&job);
        job.items = items;
        job.n_items = (size_t)n;
        job.output = store;
        job.loaders = loaders;
        job.batch = batch;
        vgg_extract_result res;
        remove(store);
        vgg_status st = vgg_extract_job_run(ex, &job, &res);
        remove(store);
        if (st != VGG_STATUS_OK || res.written != (size_t)n) {
            fprintf(stderr, "bench_extract: the job: %s\n", vgg_last_error());
            vgg_extract_result_free(&res);
            goto out;
        }
        const double whole = n / res.seconds, nets = res.net_rate;
        const double busy = res.cpu_seconds / res.seconds;
        vgg_extract_result_free(&res);
        double total = 0, best = 1e30;
        for (int k = 0; k < n; k += batch) {
            const int m = n - k < batch ? n - k : batch;
            vgg_prepared *group[64];
            for (int j = 0; j < m; j++)
                group[j] = prep[(k + j) % nf];
            const double t0 = vgg_now_seconds();
            if (vgg_extractor_run(ex, group, m, batch, rows) != VGG_STATUS_OK) {
                fprintf(stderr, "bench_extract: %s\n", vgg_last_error());
                goto out;
            }
            const double t = vgg_now_seconds() - t0;
            total += t;
            best = t / m < best ? t / m : best;
        }
        const double inproc = n / total;
        printf("    round %d: job %.3f images/s whole, nets %.3f images/s (%.2f cores busy); in "
               "process %.3f images/s (best image %.3f); nets / in process %.3f\n", r + 1,
               whole, nets, busy, inproc, 1 / best, nets / inproc);
        fflush(stdout);
    }
    rc = 0;
out:
    for (int f = 0; f < nf; f++) {
        if (prep)
            vgg_prepared_free(prep[f]);
        free(files[f]);
    }
    if (store[0])
        remove(store);
    rmdir(tmp);
    free(files);
    free(prep);
    free(items);
    free(names);
    free(rows);
    return rc;
}

int main(int argc, char **argv)
{
    const char *net_text = "D", *scales_text = "256";
    int n_images = 3, threads = 2, run_torch = 1, w = 500, h = 375, batch = 1;
    int loaders = 2, rounds = 2;
    const char *job_dir = NULL, *precision = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--net") == 0 && i + 1 < argc)
            net_text = argv[++i];
        else if (strcmp(argv[i], "--scales") == 0 && i + 1 < argc)
            scales_text = argv[++i];
        else if (strcmp(argv[i], "--images") == 0 && i + 1 < argc)
            n_images = atoi(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (strcmp(argv[i], "--size") == 0 && i + 1 < argc &&
                 sscanf(argv[i + 1], "%dx%d", &w, &h) == 2)
            i++;
        else if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0)
            batch = atoi(argv[++i]);
        else if (strcmp(argv[i], "--no-torch") == 0)
            run_torch = 0;
        else if (strcmp(argv[i], "--job") == 0 && i + 1 < argc)
            job_dir = argv[++i];
        else if (strcmp(argv[i], "--loaders") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0)
            loaders = atoi(argv[++i]);
        else if (strcmp(argv[i], "--rounds") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0)
            rounds = atoi(argv[++i]);
        else if (strcmp(argv[i], "--precision") == 0 && i + 1 < argc)
            precision = argv[++i];
        else {
            fprintf(stderr, "usage: bench_extract [--net D,E] [--scales 256,384] [--images N] "
                            "[--threads N] [--size WxH] [--batch N] [--precision P] [--no-torch]\n"
                            "       bench_extract --job DIR [--loaders N] [--rounds R] [--net "
                            "D,E] [--scales 256,384] [--images N] [--threads N] [--batch N]\n");
            return 2;
        }
    }
    vgg_extract_opts o;
    vgg_extract_opts_default(&o);
    if (vgg_parse_int_list(scales_text, o.scales, VGG_FEAT_MAX_SCALES, &o.n_scales) !=
        VGG_STATUS_OK) {
        fprintf(stderr, "bench_extract: %s\n", vgg_last_error());
        return 2;
    }
    vgg_backend *be = NULL;
    vgg_device_opts dopts;
    if (vgg_device_opts_command("cpu", precision, NULL, false, &dopts) != VGG_STATUS_OK ||
        vgg_backend_open_opts("cpu", threads, &dopts, &be) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_extract: %s\n", vgg_last_error());
        return 1;
    }
    vgg_net *nets[2] = { NULL, NULL };
    const char *names[2] = { NULL, NULL };
    int n_nets = make_nets(net_text, be, nets, names);
    if (n_nets < 0)
        return 1;
    vgg_extractor *ex = NULL;
    if (vgg_extractor_create(nets, names, n_nets, &o, &ex) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_extract: %s\n", vgg_last_error());
        return 1;
    }
    int dim = vgg_extractor_dim(ex);
    if (job_dir) {
        printf("descriptor: nets %s, scales %s, flip, stacked, L2 (%d-D); %d inputs from '%s'; "
               "CPU, %d threads\n", net_text, scales_text, dim, n_images, job_dir, threads);
        fflush(stdout);
        const int rc = time_job(ex, job_dir, n_images, loaders, batch, rounds);
        vgg_extractor_free(ex);
        for (int j = 0; j < n_nets; j++)
            vgg_net_free(nets[j]);
        vgg_backend_close(be);
        return rc == 0 ? 0 : 1;
    }
    printf("descriptor: nets %s, scales %s, flip, stacked, L2 (%d-D); %d images %dx%d, "
           "batch %d; CPU, %d threads, %s\n", net_text, scales_text, dim, n_images, w, h, batch,
           threads, precision ? precision : "fp32");
    fflush(stdout);
    double ours = time_ours(ex, n_images, batch, w, h);
    if (ours < 0)
        return 1;
    double our_rss = vgg_peak_rss_bytes() / 1048576.0;
    printf("  vggfeat: %.3f images/s, peak RSS %.0f MB, %.2f cores busy on average (processor "
           "time over the run's; each image resized on the calling thread, then run)\n", ours,
           our_rss, busy_cores);
    fflush(stdout);
    vgg_extractor_free(ex);
    for (int j = 0; j < n_nets; j++)
        vgg_net_free(nets[j]);
    vgg_backend_close(be);
    if (run_torch)
        run_pytorch(net_text, scales_text, n_images, threads, w, h, ours, our_rss);
    return 0;
}
