/* SVM training time and peak memory on a Caltech-101-shaped problem
 * (3,060 images x 24,576-D, 102 classes: D & E, three scales stacked):
 * vggsvm train, liblinear-train on the exported LIBLINEAR text file and
 * scikit-learn's LinearSVC (bench_svm.py), each in its own process, in the
 * same run, with the same solver (L2-regularised L2-loss dual), C, bias and
 * tolerance.  Times are wall seconds of each whole process (reading the
 * data included) and, for scikit-learn, of fit() alone; memory is each
 * process's peak RSS (wait4).
 *
 *   bench_svm [--n 3060] [--dim 24576] [--classes 102] [--C 1] [--cv]
 *             [--no-liblinear] [--no-sklearn] [--keep DIR]
 *
 * The features are random but separable: class centres plus noise,
 * through a ReLU and L2-normalised like real descriptors.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vgg/core.h"
#include "vgg/features.h"

static uint64_t rng = 2015;
static double gauss(void)
{
    double u, v;
    do {
        rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
        u = (double)(rng >> 11) / 9007199254740992.0;
    } while (u <= 0);
    rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
    v = (double)(rng >> 11) / 9007199254740992.0;
    return sqrt(-2 * log(u)) * cos(2 * M_PI * v);
}

typedef struct result {
    double wall;
    double cpu;
    double maxrss_mib;
    int rc;
} result;

/* Run a shell command as a child; wall time and its peak RSS. */
static result run_measured(const char *cmd)
{
    result r = { 0, 0, 0, -1 };
    double t0 = vgg_now_seconds();
    pid_t pid = fork();
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (pid > 0 && wait4(pid, &status, 0, &ru) == pid) {
        r.wall = vgg_now_seconds() - t0;
        r.maxrss_mib = ru.ru_maxrss / 1024.0;
        r.cpu = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
                ru.ru_stime.tv_usec * 1e-6;
        r.rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    if (r.rc != 0)
        fprintf(stderr, "bench_svm: '%s' failed (%d)\n", cmd, r.rc);
    return r;
}

typedef struct bench_opts {
    long n;
    int dim, K;
    double C;
    bool cv, do_ll, do_sk;
    const char *keep;
} bench_opts;

/* The command line into o; 0, or 2 after the usage. */
static int parse_opts(int argc, char **argv, bench_opts *o)
{
    static const struct option opts[] = {
        { "n", required_argument, 0, 'n' },        { "dim", required_argument, 0, 'd' },
        { "classes", required_argument, 0, 'k' },  { "C", required_argument, 0, 'c' },
        { "cv", no_argument, 0, 'v' },             { "no-liblinear", no_argument, 0, 'L' },
        { "no-sklearn", no_argument, 0, 'S' },     { "keep", required_argument, 0, 'K' },
        { 0, 0, 0, 0 },
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n': o->n = atol(optarg); break;
        case 'd': o->dim = atoi(optarg); break;
        case 'k': o->K = atoi(optarg); break;
        case 'c': o->C = atof(optarg); break;
        case 'v': o->cv = true; break;
        case 'L': o->do_ll = false; break;
        case 'S': o->do_sk = false; break;
        case 'K': o->keep = optarg; break;
        default:
            fprintf(stderr, "usage: bench_svm [--n N] [--dim D] [--classes K] [--C C] [--cv] "
                            "[--no-liblinear] [--no-sklearn] [--keep DIR]\n");
            return 2;
        }
    }
    return 0;
}

/* The store's description: one net, one scale, dim values. */
static void bench_desc(vgg_featdesc *d, int dim)
{
    memset(d, 0, sizeof *d);
    d->dim = dim;
    d->n_nets = 1;
    strcpy(d->net_names[0], "bench");
    strcpy(d->net_configs[0], "D");
    memset(d->net_digests[0], '0', 64);
    d->n_scales = 1;
    d->scales[0] = 256;
    strcpy(d->aggregate, "stack");
    strcpy(d->layer, "fc7");
    d->flip = true;
    d->l2 = true;
}

/* One random row of class k: its centre plus noise, ReLU, L2-normalised. */
static void random_row(const float *centre, int dim, float *x)
{
    double ss = 0;
    for (int j = 0; j < dim; j++) {
        double v = centre[j] + 1.5 * gauss();
        x[j] = v > 0 ? (float)v : 0.0f;
        ss += (double)x[j] * x[j];
    }
    float inv = (float)(1.0 / sqrt(ss));
    for (int j = 0; j < dim; j++)
        x[j] *= inv;
}

/* The data: the store, and for the others the LIBLINEAR text file (ft)
 * and the raw float32 rows with their labels (fr, fl); 0 or 1. */
static int write_data(const char *store, FILE *ft, FILE *fr, FILE *fl, const bench_opts *o)
{
    const int dim = o->dim, K = o->K;
    vgg_featdesc d;
    bench_desc(&d, dim);
    unlink(store);
    vgg_featwriter *w = NULL;
    if (vgg_featwriter_open(store, &d, false, &w, NULL) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_svm: %s\n", vgg_last_error());
        return 1;
    }
    float *centres = malloc((size_t)K * dim * sizeof *centres);
    float *x = malloc((size_t)dim * sizeof *x);
    for (size_t i = 0; i < (size_t)K * dim; i++)
        centres[i] = (float)gauss();
    for (long i = 0; i < o->n; i++) {
        int k = (int)(i % K);
        random_row(centres + (size_t)k * dim, dim, x);
        char name[32], lab[16];
        snprintf(name, sizeof name, "img%05ld.jpg", i);
        snprintf(lab, sizeof lab, "c%03d", k);
        if (vgg_featwriter_append(w, name, lab, x) != VGG_STATUS_OK) {
            fprintf(stderr, "bench_svm: %s\n", vgg_last_error());
            return 1;
        }
        if (ft) {
            fprintf(ft, "%d", k + 1);
            for (int j = 0; j < dim; j++)
                if (x[j] != 0.0f)
                    fprintf(ft, " %d:%.9g", j + 1, (double)x[j]);
            fputc('\n', ft);
        }
        if (fr) {
            fwrite(x, sizeof *x, (size_t)dim, fr);
            fprintf(fl, "%d\n", k);
        }
    }
    free(centres);
    free(x);
    if (vgg_featwriter_close(w) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_svm: %s\n", vgg_last_error());
        return 1;
    }
    return 0;
}

/* scikit-learn's LinearSVC on the raw rows (bench_svm.py); *fit its fit()
 * alone. */
static result run_sklearn(const char *dir, const char *raw, const char *labels,
                          const bench_opts *o, double *fit)
{
    char out[300], cmd[2048];
    snprintf(out, sizeof out, "%s/sk.txt", dir);
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' '%s' %ld %d %g > '%s'", VGG_PYTHON,
             VGG_BENCH_SVM_SCRIPT, raw, labels, o->n, o->dim, o->C, out);
    result rs = run_measured(cmd);
    *fit = NAN;
    FILE *fp = fopen(out, "r");
    if (fp) {
        if (fscanf(fp, "fit %lf", fit) != 1)
            *fit = NAN;
        fclose(fp);
    }
    return rs;
}

/* vggsvm's times and memory over liblinear-train's and LinearSVC's. */
static void print_ratios(const bench_opts *o, result rv, result rl, result rs, double sk_fit)
{
    printf("\n");
    if (o->do_ll && rl.rc == 0 && rv.rc == 0)
        printf("ratio vggsvm / liblinear-train:  wall %.2f, CPU %.2f, memory %.2f\n",
               rv.wall / rl.wall, rv.cpu / rl.cpu, rv.maxrss_mib / rl.maxrss_mib);
    if (o->do_sk && rs.rc == 0 && rv.rc == 0)
        printf("ratio vggsvm / LinearSVC:        wall %.2f (vs fit() alone %.2f), CPU %.2f, "
               "memory %.2f\n", rv.wall / rs.wall, rv.wall / sk_fit, rv.cpu / rs.cpu,
               rv.maxrss_mib / rs.maxrss_mib);
}

int main(int argc, char **argv)
{
    bench_opts o = { .n = 3060, .dim = 24576, .K = 102, .C = 1.0, .do_ll = true, .do_sk = true };
    if (parse_opts(argc, argv, &o) != 0)
        return 2;
    char dir[256];
    if (o.keep) {
        snprintf(dir, sizeof dir, "%s", o.keep);
    } else {
        strcpy(dir, "/tmp/bench_svm.XXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
    }
    char store[300], text[300], raw[300], labels[300], cmd[2048];
    snprintf(store, sizeof store, "%s/f.store", dir);
    snprintf(text, sizeof text, "%s/f.liblinear", dir);
    snprintf(raw, sizeof raw, "%s/f.f32", dir);
    snprintf(labels, sizeof labels, "%s/f.labels", dir);

    printf("bench_svm: %ld images x %d-D, %d classes, C %g, L2-loss dual (-s 1), bias 1, eps 0.1\n",
           o.n, o.dim, o.K, o.C);
    double t0 = vgg_now_seconds();
    FILE *ft = o.do_ll ? fopen(text, "w") : NULL;
    FILE *fr = o.do_sk ? fopen(raw, "wb") : NULL;
    FILE *fl = o.do_sk ? fopen(labels, "w") : NULL;
    if (write_data(store, ft, fr, fl, &o) != 0)
        return 1;
    if (ft)
        fclose(ft);
    if (fr) {
        fclose(fr);
        fclose(fl);
    }
    printf("data written in %.1f s to %s\n\n", vgg_now_seconds() - t0, dir);

    printf("%-44s %8s %8s %12s\n", "", "wall s", "CPU s", "peak RSS MiB");
    snprintf(cmd, sizeof cmd, "'%s/vggsvm' train -q --features '%s' -o '%s/vgg.model' -c %g -B 1",
             VGG_BIN_DIR, store, dir, o.C);
    result rv = run_measured(cmd);
    printf("%-44s %8.1f %8.1f %12.0f\n", "vggsvm train (store, fixed C)", rv.wall, rv.cpu,
           rv.maxrss_mib);
    fflush(stdout);
    result rl = { 0, 0, 0, -1 }, rs = { 0, 0, 0, -1 };
    double sk_fit = NAN;
    if (o.do_ll) {
        snprintf(cmd, sizeof cmd, "liblinear-train -q -s 1 -c %g -B 1 '%s' '%s/ll.model' >/dev/null",
                 o.C, text, dir);
        rl = run_measured(cmd);
        printf("%-44s %8.1f %8.1f %12.0f\n", "liblinear-train (text file, parse included)",
               rl.wall, rl.cpu, rl.maxrss_mib);
        fflush(stdout);
    }
    if (o.do_sk) {
        rs = run_sklearn(dir, raw, labels, &o, &sk_fit);
        printf("%-44s %8.1f %8.1f %12.0f   (fit() alone %.1f s wall)\n",
               "scikit-learn LinearSVC (float32 file)", rs.wall, rs.cpu, rs.maxrss_mib, sk_fit);
        fflush(stdout);
    }
    print_ratios(&o, rv, rl, rs, sk_fit);
    if (o.cv) {
        snprintf(cmd, sizeof cmd,
                 "'%s/vggsvm' train -q --features '%s' -o '%s/vgg_cv.model' -B 1", VGG_BIN_DIR,
                 store, dir);
        result rc = run_measured(cmd);
        printf("%-44s %8.1f %8.1f %12.0f\n", "vggsvm train (C from 5 values, held-out 20%)",
               rc.wall, rc.cpu, rc.maxrss_mib);
    }
    if (!o.keep) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_svm: could not remove %s\n", dir);
    }
    return rv.rc == 0 ? 0 : 1;
}
