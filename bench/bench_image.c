/* Decode + resize throughput on one core: vggimage against Pillow on the
 * same generated JPEGs in the same run, full-size decoding and reduced-scale
 * decoding (libjpeg-turbo DCT scaling; Pillow's draft()), then the resize to
 * short side Q (Pillow BILINEAR).  Also prints how far reduced-scale results
 * are from full-size ones.
 *
 *   bench_image [--n 32] [--q 256,128] [--size 500x375] [--seconds 2]
 *               [--python /usr/bin/python3] [--keep DIR]
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vgg/image.h"

static int run_cmd(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "bench_image: '%s' failed (%d)\n", cmd, rc);
    return rc;
}

/* CPU time of this process: images per CPU-second is images/s per core,
 * and other work on the machine disturbs it less than wall time */
static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double c_rate(char **files, int n, int q, int min_side, double seconds)
{
    vgg_decode_opts o;
    vgg_decode_opts_default(&o);
    o.min_side = min_side;
    long done = 0;
    double t0 = cpu_seconds(), dt;
    do {
        for (int i = 0; i < n; i++) {
            vgg_image *img = NULL, *r = NULL;
            if (vgg_image_load(files[i], &o, &img) != VGG_STATUS_OK ||
                vgg_image_resize_short(img, q, &r) != VGG_STATUS_OK) {
                fprintf(stderr, "bench_image: %s\n", vgg_last_error());
                exit(1);
            }
            vgg_image_free(img);
            vgg_image_free(r);
        }
        done += n;
        dt = cpu_seconds() - t0;
    } while (dt < seconds);
    return done / dt;
}

/* reduced-scale against full-size decoding, both resized to short side q */
static void difference(char **files, int n, int q, double *mean_abs, int *max_abs, int *denom)
{
    vgg_decode_opts full, red;
    vgg_decode_opts_default(&full);
    vgg_decode_opts_default(&red);
    red.min_side = q;
    double sum = 0;
    size_t cnt = 0;
    *max_abs = 0;
    *denom = 1;
    for (int i = 0; i < n; i++) {
        vgg_image *a = NULL, *b = NULL, *ra = NULL, *rb = NULL;
        if (vgg_image_load(files[i], &full, &a) || vgg_image_load(files[i], &red, &b) ||
            vgg_image_resize_short(a, q, &ra) || vgg_image_resize_short(b, q, &rb)) {
            fprintf(stderr, "bench_image: %s\n", vgg_last_error());
            exit(1);
        }
        *denom = a->w / b->w;
        for (size_t k = 0; k < (size_t)ra->w * ra->h * 3; k++) {
            int d = abs((int)ra->px[k] - (int)rb->px[k]);
            sum += d;
            if (d > *max_abs)
                *max_abs = d;
        }
        cnt += (size_t)ra->w * ra->h * 3;
        vgg_image_free(a);
        vgg_image_free(b);
        vgg_image_free(ra);
        vgg_image_free(rb);
    }
    *mean_abs = sum / (double)cnt;
}

/* One Q: vggimage's and Pillow's rates, full-size and reduced-scale, and
 * how far reduced-scale is from full-size. */
static void print_q(char **files, int n, int q, double seconds, const char *python,
                    const char *dir)
{
    double full = c_rate(files, n, q, 0, seconds);
    double red = c_rate(files, n, q, q, seconds);
    char out[64] = "", cmd[1024];
    snprintf(cmd, sizeof cmd, "'%s' '%s' time '%s' %d %g", python, VGG_IMAGE_BENCH_SCRIPT, dir,
             q, seconds);
    double pf = NAN, pd = NAN, pfc = NAN, pdc = NAN;
    FILE *pp = popen(cmd, "r");
    if (pp) {
        while (fgets(out, sizeof out, pp)) {
            sscanf(out, "full %lf", &pf);
            sscanf(out, "draft %lf", &pd);
            sscanf(out, "full_cached %lf", &pfc);
            sscanf(out, "draft_cached %lf", &pdc);
        }
        pclose(pp);
    }
    double mean_abs;
    int max_abs, denom;
    difference(files, n, q, &mean_abs, &max_abs, &denom);
    printf("%5d  %-13s %9.1f %9.1f %6.2fx %9.1f %6.2fx\n", q, "full size", full, pf, full / pf,
           pfc, full / pfc);
    char label[32];
    snprintf(label, sizeof label, "reduced 1/%d", denom);
    printf("%5d  %-13s %9.1f %9.1f %6.2fx %9.1f %6.2fx   vs full: mean |diff| %.2f, max %d\n",
           q, denom > 1 ? label : "reduced (n/a)", red, pd, red / pd, pdc, red / pdc, mean_abs,
           max_abs);
}

int main(int argc, char **argv)
{
    int n = 32, w = 500, h = 375;
    double seconds = 2.0;
    const char *qlist = "256,128", *python = VGG_PYTHON, *keep = NULL;
    static const struct option opts[] = {
        { "n", required_argument, 0, 'n' },       { "q", required_argument, 0, 'q' },
        { "size", required_argument, 0, 's' },    { "seconds", required_argument, 0, 't' },
        { "python", required_argument, 0, 'p' },  { "keep", required_argument, 0, 'k' },
        { 0, 0, 0, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n': n = atoi(optarg); break;
        case 'q': qlist = optarg; break;
        case 's':
            if (sscanf(optarg, "%dx%d", &w, &h) != 2)
                return 2;
            break;
        case 't': seconds = atof(optarg); break;
        case 'p': python = optarg; break;
        case 'k': keep = optarg; break;
        default:
            fprintf(stderr, "usage: bench_image [--n N] [--q Q,...] [--size WxH] [--seconds S] "
                            "[--python PATH] [--keep DIR]\n");
            return 2;
        }
    }
    int qs[8], nq = 0;
    if (vgg_parse_int_list(qlist, qs, 8, &nq) != VGG_STATUS_OK || n <= 0) {
        fprintf(stderr, "bench_image: %s\n", vgg_last_error());
        return 2;
    }

    char dir[256], cmd[1024];
    if (keep) {
        snprintf(dir, sizeof dir, "%s", keep);
    } else {
        snprintf(dir, sizeof dir, "/tmp/bench_image.XXXXXX");
        if (!mkdtemp(dir)) {
            perror("bench_image: mkdtemp");
            return 1;
        }
    }
    snprintf(cmd, sizeof cmd, "'%s' '%s' gen '%s' %d %dx%d", python, VGG_IMAGE_BENCH_SCRIPT, dir,
             n, w, h);
    if (run_cmd(cmd) != 0)
        return 1;
    char **files = calloc((size_t)n, sizeof *files);
    for (int i = 0; i < n; i++) {
        files[i] = malloc(strlen(dir) + 32);
        sprintf(files[i], "%s/img%04d.jpg", dir, i);
    }

    printf("decode + resize to short side Q, %d JPEGs of %dx%d, one thread,\n"
           "images per CPU-second (images/s per core)\n", n, w, h);
    printf("(Pillow: defaults; Pillow+c: with its block cache, set_blocks_max(64))\n");
    printf("%5s  %-13s %9s %9s %7s %9s %7s\n", "Q", "decoding", "vggimage", "Pillow", "ratio",
           "Pillow+c", "ratio");
    for (int k = 0; k < nq; k++) {
        print_q(files, n, qs[k], seconds, python, dir);
    }
    if (!keep) {
        for (int i = 0; i < n; i++)
            unlink(files[i]);
        rmdir(dir);
    }
    for (int i = 0; i < n; i++)
        free(files[i]);
    free(files);
    return 0;
}
