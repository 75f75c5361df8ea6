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

int main(int argc, char **argv)
{
    long n = 3060;
    int dim = 24576, K = 102;
    double C = 1.0;
    bool cv = false, do_ll = true, do_sk = true;
    const char *keep = NULL;
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
        case 'n': n = atol(optarg); break;
        case 'd': dim = atoi(optarg); break;
        case 'k': K = atoi(optarg); break;
        case 'c': C = atof(optarg); break;
        case 'v': cv = true; break;
        case 'L': do_ll = false; break;
        case 'S': do_sk = false; break;
        case 'K': keep = optarg; break;
        default:
            fprintf(stderr, "usage: bench_svm [--n N] [--dim D] [--classes K] [--C C] [--cv] "
                            "[--no-liblinear] [--no-sklearn] [--keep DIR]\n");
            return 2;
        }
    }
    char dir[256];
    if (keep) {
        snprintf(dir, sizeof dir, "%s", keep);
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
           n, dim, K, C);
    double t0 = vgg_now_seconds();
    vgg_featdesc d;
    memset(&d, 0, sizeof d);
    d.dim = dim;
    d.n_nets = 1;
    strcpy(d.net_names[0], "bench");
    strcpy(d.net_configs[0], "D");
    memset(d.net_digests[0], '0', 64);
    d.n_scales = 1;
    d.scales[0] = 256;
    strcpy(d.aggregate, "stack");
    strcpy(d.layer, "fc7");
    d.flip = true;
    d.l2 = true;
    unlink(store);
    vgg_featwriter *w = NULL;
    if (vgg_featwriter_open(store, &d, false, &w, NULL) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_svm: %s\n", vgg_last_error());
        return 1;
    }
    FILE *ft = do_ll ? fopen(text, "w") : NULL;
    FILE *fr = do_sk ? fopen(raw, "wb") : NULL;
    FILE *fl = do_sk ? fopen(labels, "w") : NULL;
    float *centres = malloc((size_t)K * dim * sizeof *centres);
    float *x = malloc((size_t)dim * sizeof *x);
    for (size_t i = 0; i < (size_t)K * dim; i++)
        centres[i] = (float)gauss();
    for (long i = 0; i < n; i++) {
        int k = (int)(i % K);
        double ss = 0;
        for (int j = 0; j < dim; j++) {
            double v = centres[(size_t)k * dim + j] + 1.5 * gauss();
            x[j] = v > 0 ? (float)v : 0.0f;
            ss += (double)x[j] * x[j];
        }
        float inv = (float)(1.0 / sqrt(ss));
        for (int j = 0; j < dim; j++)
            x[j] *= inv;
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
    if (vgg_featwriter_close(w) != VGG_STATUS_OK) {
        fprintf(stderr, "bench_svm: %s\n", vgg_last_error());
        return 1;
    }
    if (ft)
        fclose(ft);
    if (fr) {
        fclose(fr);
        fclose(fl);
    }
    free(centres);
    free(x);
    printf("data written in %.1f s to %s\n\n", vgg_now_seconds() - t0, dir);

    printf("%-44s %8s %8s %12s\n", "", "wall s", "CPU s", "peak RSS MiB");
    snprintf(cmd, sizeof cmd, "'%s/vggsvm' train -q --features '%s' -o '%s/vgg.model' -c %g -B 1",
             VGG_BIN_DIR, store, dir, C);
    result rv = run_measured(cmd);
    printf("%-44s %8.1f %8.1f %12.0f\n", "vggsvm train (store, fixed C)", rv.wall, rv.cpu,
           rv.maxrss_mib);
    fflush(stdout);
    result rl = { 0, 0, 0, -1 }, rs = { 0, 0, 0, -1 };
    double sk_fit = NAN;
    if (do_ll) {
        snprintf(cmd, sizeof cmd, "liblinear-train -q -s 1 -c %g -B 1 '%s' '%s/ll.model' >/dev/null",
                 C, text, dir);
        rl = run_measured(cmd);
        printf("%-44s %8.1f %8.1f %12.0f\n", "liblinear-train (text file, parse included)",
               rl.wall, rl.cpu, rl.maxrss_mib);
        fflush(stdout);
    }
    if (do_sk) {
        char out[300];
        snprintf(out, sizeof out, "%s/sk.txt", dir);
        snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' '%s' %ld %d %g > '%s'", VGG_PYTHON,
                 VGG_BENCH_SVM_SCRIPT, raw, labels, n, dim, C, out);
        rs = run_measured(cmd);
        FILE *fp = fopen(out, "r");
        if (fp) {
            if (fscanf(fp, "fit %lf", &sk_fit) != 1)
                sk_fit = NAN;
            fclose(fp);
        }
        printf("%-44s %8.1f %8.1f %12.0f   (fit() alone %.1f s wall)\n",
               "scikit-learn LinearSVC (float32 file)", rs.wall, rs.cpu, rs.maxrss_mib, sk_fit);
        fflush(stdout);
    }
    printf("\n");
    if (do_ll && rl.rc == 0 && rv.rc == 0)
        printf("ratio vggsvm / liblinear-train:  wall %.2f, CPU %.2f, memory %.2f\n",
               rv.wall / rl.wall, rv.cpu / rl.cpu, rv.maxrss_mib / rl.maxrss_mib);
    if (do_sk && rs.rc == 0 && rv.rc == 0)
        printf("ratio vggsvm / LinearSVC:        wall %.2f (vs fit() alone %.2f), CPU %.2f, "
               "memory %.2f\n", rv.wall / rs.wall, rv.wall / sk_fit, rv.cpu / rs.cpu,
               rv.maxrss_mib / rs.maxrss_mib);
    if (cv) {
        snprintf(cmd, sizeof cmd,
                 "'%s/vggsvm' train -q --features '%s' -o '%s/vgg_cv.model' -B 1", VGG_BIN_DIR,
                 store, dir);
        result rc = run_measured(cmd);
        printf("%-44s %8.1f %8.1f %12.0f\n", "vggsvm train (C from 5 values, held-out 20%)",
               rc.wall, rc.cpu, rc.maxrss_mib);
    }
    if (!keep) {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench_svm: could not remove %s\n", dir);
    }
    return rv.rc == 0 ? 0 : 1;
}
