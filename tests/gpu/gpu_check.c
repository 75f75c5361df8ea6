/* The whole-net parts of tests/gpu/check.sh, one mode per call.  Checks
 * print table rows "| check | value | bound | verdict | detail |" as they
 * go (line-buffered, so that the rows printed before a crash survive it)
 * and exit 0 when every row is within its bound, 1 otherwise or on an
 * error (with its message on stderr), 77 when cuda:0 cannot be opened
 * (with the driver's message).
 *
 *   gpu_check probe             open cuda:0; print "DEVICE <its line>"
 *   gpu_check dlopen LIB...     dlopen each library (cuDNN opens its
 *                               sub-libraries so): one row each
 *   gpu_check descriptors       VGG-16 dense descriptors (fc7, global
 *                               average pooled, with the flip) at Q=256
 *                               and 384, cuda:0 in fp32 and in tf32
 *                               against cpu-ref: four rows
 *   gpu_check gradients N       one training step of VGG-16 at batch N in
 *                               fp32: every gradient against cpu-ref
 *   gpu_check nccl              two deterministic training steps of
 *                               VGG-16 on cuda:0, the gradients summed by a
 *                               one-rank NCCL communicator (ncclCommInitAll
 *                               over the one device, the trainer's
 *                               allreduce_sum), against the same steps
 *                               without it: the same bytes
 *   gpu_check time PRECISION SECONDS KEY...
 *                               one process for every timing of one
 *                               precision; KEY dense:NET:Q:B (B images of
 *                               Q x 4Q/3 and their flips, NET D or E) or
 *                               train:D:224:B (one SGD step at batch B);
 *                               "RESULT KEY images/s TFLOP/s" per key
 *   gpu_check write-net NET PATH
 *                               a weights file of NET (D or E) with the
 *                               fast initialisation below (no GPU needed)
 *
 * Every net here is filled by a hash of (seed, tensor, index): uniform
 * weights with He's variance 2 / fan_in, biases 0.  It takes a fraction of
 * a second for VGG-16 where Box-Muller takes seconds, and is the same on
 * every backend, which is all that agreement and timing need. */
#include <dlfcn.h>
#include <link.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vgg/net.h"
#include "vgg/train.h"

static int failures;

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static void die(const char *what)
{
    fprintf(stderr, "gpu_check: %s: %s\n", what, vgg_last_error());
    exit(1);
}

static void *xmalloc(size_t bytes)
{
    void *p = malloc(bytes);
    if (!p) {
        fprintf(stderr, "gpu_check: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

static vgg_backend *open_gpu(vgg_precision precision, bool deterministic)
{
    vgg_device_opts o;
    if (vgg_device_opts_default(&o) != VGG_STATUS_OK)
        die("device options");
    o.precision = precision;
    o.deterministic = deterministic;
    vgg_backend *be = NULL;
    if (vgg_backend_open_opts("cuda:0", 0, &o, &be) != VGG_STATUS_OK) {
        printf("gpu_check: no usable GPU: %s\n", vgg_last_error());
        exit(77);
    }
    return be;
}

static vgg_backend *open_cpu_ref(void)
{
    vgg_backend *be = NULL;
    if (vgg_backend_open("cpu-ref", 0, &be) != VGG_STATUS_OK)
        die("cpu-ref");
    return be;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* uniform in [-1, 1) from a hash of (seed, i) */
static float hash_uniform(uint64_t seed, uint64_t i)
{
    return (float)((mix64(seed + 0x9e3779b97f4a7c15ULL * (i + 1)) >> 40) * (1.0 / 8388608.0)) -
           1.0f;
}

static void fast_init(vgg_net *net, uint64_t seed)
{
    for (int i = 0; i < vgg_net_param_count(net); i++) {
        vgg_param *p = vgg_net_param(net, i);
        if (p->running)
            continue;
        if (p->ndim < 2) {
            memset(p->data, 0, sizeof(float) * p->numel);
            continue;
        }
        size_t fan_in = 1;
        for (int d = 1; d < p->ndim; d++)
            fan_in *= (size_t)p->shape[d];
        const float a = (float)sqrt(6.0 / (double)fan_in);
        const uint64_t s = mix64(seed ^ ((uint64_t)i << 48));
        for (size_t j = 0; j < p->numel; j++)
            p->data[j] = a * hash_uniform(s, j);
    }
    if (vgg_net_params_changed(net) != VGG_STATUS_OK)
        die("parameters");
}

static vgg_net *make_net(vgg_backend *be, vgg_config_id cfg)
{
    vgg_arch a;
    vgg_arch_default(&a, cfg);
    vgg_net *net = NULL;
    if (vgg_net_create(&a, be, &net) != VGG_STATUS_OK)
        die("net");
    fast_init(net, 7);
    return net;
}

/* n images of (3, h, w) in [-2, 2), each followed by its horizontal flip
 * when flips: (n or 2n, 3, h, w) */
static float *images(int n, int h, int w, uint64_t seed, bool flips)
{
    const size_t plane = (size_t)3 * h * w;
    float *x = xmalloc(sizeof *x * plane * n * (flips ? 2 : 1));
    for (int k = 0; k < n; k++) {
        float *img = x + plane * k * (flips ? 2 : 1);
        for (size_t i = 0; i < plane; i++)
            img[i] = 2.0f * hash_uniform(seed + (uint64_t)k, i);
        if (flips)
            for (size_t r = 0; r < (size_t)3 * h; r++)
                for (int c = 0; c < w; c++)
                    img[plane + r * w + c] = img[r * w + w - 1 - c];
    }
    return x;
}

static void row(const char *check, double value, double bound, const char *detail)
{
    bool ok = value <= bound;   /* a NaN is not */
    failures += !ok;
    printf("| %s | %.3g | %.0e | %s | %s |\n", check, value, bound, ok ? "ok" : "FAIL", detail);
}

/* the descriptor of each image: the mean of its and its flip's pooled
 * fc7 (x holds n pairs) */
static void describe(vgg_net *net, const float *x, int n, int h, int w, float *d)
{
    int oc, oh, ow;
    if (vgg_net_output_shape(net, h, w, VGG_OUTPUT_FC7, &oc, &oh, &ow) != VGG_STATUS_OK)
        die("shape");
    float *p = xmalloc(sizeof *p * 2 * n * oc);
    if (vgg_net_forward_pooled(net, x, 2 * n, h, w, VGG_OUTPUT_FC7, p) != VGG_STATUS_OK)
        die("forward");
    for (int k = 0; k < n; k++)
        for (int c = 0; c < oc; c++)
            d[(size_t)k * oc + c] = 0.5f * (p[(size_t)2 * k * oc + c] + p[(size_t)(2 * k + 1) * oc + c]);
    free(p);
}

static double rel_l2(const float *a, const float *ref, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        num += ((double)a[i] - ref[i]) * ((double)a[i] - ref[i]);
        den += (double)ref[i] * ref[i];
    }
    return den > 0 ? sqrt(num / den) : sqrt(num);
}

static int probe(void)
{
    vgg_backend *be = open_gpu(VGG_PRECISION_FP32, false);
    char buf[2048];
    int n = vgg_backend_list_gpus(buf, sizeof buf);
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
        printf("%s%s\n", strncmp(line, "cuda:", 5) == 0 ? "DEVICE " : "", line);
    vgg_backend_close(be);
    return n > 0 ? 0 : 1;
}

static int open_libraries(int n, char **libs)
{
    for (int i = 0; i < n; i++) {
        char check[160];
        snprintf(check, sizeof check, "dlopen %s", libs[i]);
        void *h = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            const char *e = dlerror();
            printf("| %s | - | - | FAIL | %s |\n", check, e ? e : "not found");
            failures++;
            continue;
        }
        struct link_map *map = NULL;
        const char *where = dlinfo(h, RTLD_DI_LINKMAP, &map) == 0 && map ? map->l_name : "?";
        printf("| %s | - | - | ok | %s |\n", check, where);
        dlclose(h);
    }
    return failures ? 1 : 0;
}

static int descriptors(void)
{
    vgg_backend *cpu = open_cpu_ref();
    vgg_backend *gpu[2] = { open_gpu(VGG_PRECISION_FP32, false),
                            open_gpu(VGG_PRECISION_TF32, false) };
    const char *names[2] = { "fp32", "tf32" };
    const double bounds[2] = { 1e-5, 1e-2 };
    const int qs[2] = { 256, 384 };
    vgg_net *c = make_net(cpu, VGG_CONFIG_D);
    float *ref[2], *x[2];
    for (int k = 0; k < 2; k++) {
        const int h = qs[k], w = qs[k] * 4 / 3;
        x[k] = images(1, h, w, 11u + k, true);
        ref[k] = xmalloc(sizeof(float) * 4096);
        describe(c, x[k], 1, h, w, ref[k]);
    }
    vgg_net_free(c);
    vgg_backend_close(cpu);
    for (int p = 0; p < 2; p++) {
        vgg_net *g = make_net(gpu[p], VGG_CONFIG_D);
        for (int k = 0; k < 2; k++) {
            const int h = qs[k], w = qs[k] * 4 / 3;
            float d[4096];
            describe(g, x[k], 1, h, w, d);
            char check[96], detail[96];
            snprintf(check, sizeof check, "%s VGG-16 descriptor Q=%d +flip", names[p], h);
            snprintf(detail, sizeof detail, "%dx%d, relative L2 against cpu-ref", h, w);
            row(check, rel_l2(d, ref[k], 4096), bounds[p], detail);
        }
        vgg_net_free(g);
        vgg_backend_close(gpu[p]);
    }
    for (int k = 0; k < 2; k++)
        free(x[k]), free(ref[k]);
    return failures ? 1 : 0;
}

static void step_grads(vgg_trainer *t, const float *x, const int32_t *labels, int n)
{
    double loss = 0;
    if (vgg_trainer_zero_grad(t) != VGG_STATUS_OK ||
        vgg_trainer_accumulate(t, x, labels, n, 0, n, &loss, NULL) != VGG_STATUS_OK)
        die("training step");
}

static int gradients(int n)
{
    if (n < 1 || n > 64) {
        fprintf(stderr, "gpu_check gradients: batch %d outside 1..64\n", n);
        return 2;
    }
    vgg_backend *bes[2] = { open_gpu(VGG_PRECISION_FP32, true), open_cpu_ref() };
    vgg_net *nets[2];
    vgg_trainer *t[2];
    vgg_train_opts o;
    vgg_train_opts_default(&o);
    o.micro_batch = n;
    float *x = images(n, 224, 224, 5u, false);
    int32_t labels[64];
    for (int i = 0; i < n; i++)
        labels[i] = (i * 379) % 1000;
    for (int k = 0; k < 2; k++) {
        nets[k] = make_net(bes[k], VGG_CONFIG_D);
        if (vgg_trainer_create(nets[k], &o, &t[k]) != VGG_STATUS_OK)
            die("trainer");
        step_grads(t[k], x, labels, n);
    }
    double worst = 0;
    const char *worst_name = "";
    for (int i = 0; i < vgg_net_param_count(nets[0]); i++) {
        const vgg_param *p = vgg_net_param(nets[0], i);
        float *a = xmalloc(sizeof *a * p->numel), *b = xmalloc(sizeof *b * p->numel);
        if (vgg_trainer_get_grad(t[0], i, a) != VGG_STATUS_OK ||
            vgg_trainer_get_grad(t[1], i, b) != VGG_STATUS_OK)
            die("gradients");
        double md = 0, mr = 0;
        for (size_t j = 0; j < p->numel; j++) {
            md = fmax(md, fabs((double)a[j] - b[j]));
            mr = fmax(mr, fabs((double)b[j]));
            if (isnan(a[j]))
                md = NAN;
        }
        free(a), free(b);
        double e = mr > 0 ? md / mr : md;
        if (isnan(e) || e > worst) {
            worst = e;
            worst_name = p->name;
            if (isnan(e))
                break;
        }
    }
    char check[64], detail[128];
    snprintf(check, sizeof check, "fp32 VGG-16 step gradients n=%d", n);
    snprintf(detail, sizeof detail, "worst tensor %s (max abs difference / max abs), against cpu-ref",
             worst_name);
    row(check, worst, 1e-4, detail);
    return failures ? 1 : 0;
}

static int nccl(void)
{
    enum { N = 4, STEPS = 2 };
    vgg_backend *be = open_gpu(VGG_PRECISION_FP32, true);
    if (vgg_backend_join_nccl_all(&be, 1) != VGG_STATUS_OK)
        die("one-rank NCCL communicator");
    vgg_train_opts o;
    vgg_train_opts_default(&o);
    o.micro_batch = N;
    vgg_net *nets[2] = { make_net(be, VGG_CONFIG_D), make_net(be, VGG_CONFIG_D) };
    vgg_trainer *t[2];
    float *x = images(N, 224, 224, 17u, false);
    int32_t labels[N] = { 3, 141, 592, 653 };
    for (int k = 0; k < 2; k++)
        if (vgg_trainer_create(nets[k], &o, &t[k]) != VGG_STATUS_OK)
            die("trainer");
    for (int s = 0; s < STEPS; s++)
        for (int k = 0; k < 2; k++) {
            step_grads(t[k], x, labels, N);
            /* trainer 1: the gradients through ncclAllReduce over one rank */
            if (k == 1 && vgg_trainer_reduce_grad(t[k], NULL, NULL) != VGG_STATUS_OK)
                die("allreduce_sum through NCCL");
            if (vgg_trainer_apply(t[k], 0.01f) != VGG_STATUS_OK)
                die("update");
        }
    int differ = 0, total = vgg_net_param_count(nets[0]);
    const char *first = "";
    for (int k = 0; k < 2; k++)
        if (vgg_trainer_sync_host(t[k]) != VGG_STATUS_OK)
            die("weights");
    for (int i = 0; i < total; i++) {
        const vgg_param *a = vgg_net_param(nets[0], i), *b = vgg_net_param(nets[1], i);
        if (memcmp(a->data, b->data, sizeof(float) * a->numel) != 0) {
            if (!differ)
                first = a->name;
            differ++;
        }
    }
    char detail[160];
    snprintf(detail, sizeof detail,
             "tensors that differ after %d steps at batch %d (of %d)%s%s", STEPS, N, total,
             differ ? "; first " : "", first);
    row("1-rank NCCL step == plain step, bytes", differ, 0, detail);
    return failures ? 1 : 0;
}

/* forward FLOPs of a (h, w) image through the conv layers and the dense fc layers */
static double flops(vgg_net *net, int h, int w)
{
    vgg_layer_info L[64];
    int nl = 0;
    vgg_arch_layers(vgg_net_arch(net), L, 64, &nl);
    double f = 0;
    for (int l = 0; l < nl; l++) {
        if (L[l].kind == VGG_LAYER_POOL) {
            h /= 2, w /= 2;
        } else if (L[l].kind == VGG_LAYER_CONV || L[l].kind == VGG_LAYER_FC) {
            if (L[l].kind == VGG_LAYER_FC)
                h = h - L[l].kernel + 1, w = w - L[l].kernel + 1;
            f += 2.0 * L[l].in_channels * L[l].out_channels * L[l].kernel * L[l].kernel * h * w;
        }
    }
    return f;
}

/* repeat one() until at least seconds and 3 runs have passed, after 2
 * untimed runs; runs per second */
typedef void (*work_fn)(void *ctx);
static double rate(work_fn one, void *ctx, double seconds)
{
    for (int i = 0; i < 2; i++)
        one(ctx);
    int runs = 0;
    double t0 = now_s(), t = 0;
    while ((t = now_s() - t0) < seconds || runs < 3) {
        one(ctx);
        runs++;
    }
    return runs / t;
}

typedef struct dense_job {
    vgg_net *net;
    const float *x;
    int n, h, w;
    float *d;
} dense_job;

static void dense_once(void *ctx)
{
    dense_job *j = ctx;
    describe(j->net, j->x, j->n, j->h, j->w, j->d);
}

typedef struct train_job {
    vgg_trainer *t;
    const float *x;
    const int32_t *labels;
    int n;
} train_job;

static void train_once(void *ctx)
{
    train_job *j = ctx;
    float loss;
    if (vgg_trainer_step(j->t, j->x, j->labels, j->n, 1e-4f, &loss, NULL) != VGG_STATUS_OK)
        die("training step");
}

/* dense:NET:Q:B (NET D or E) or train:D:224:B; false for anything else */
static bool parse_key(const char *key, char *kind_out, char *cfg_out, int *q_out, int *b_out)
{
    char kind[16], cfg[4], end;
    int q = 0, b = 0;
    if (sscanf(key, "%15[a-z]:%3[A-Z]:%d:%d%c", kind, cfg, &q, &b, &end) != 4 || b < 1 ||
        b > 256 || q < 224 || q > 1024 || (strcmp(cfg, "D") && strcmp(cfg, "E")) ||
        (strcmp(kind, "dense") && strcmp(kind, "train")) ||
        (strcmp(kind, "train") == 0 && (strcmp(cfg, "D") || q != 224)))
        return false;
    if (kind_out) {
        strcpy(kind_out, kind);
        strcpy(cfg_out, cfg);
        *q_out = q;
        *b_out = b;
    }
    return true;
}

static int timings(const char *precision, double seconds, int nkeys, char **keys)
{
    vgg_precision p;
    if (strcmp(precision, "fp32") == 0)
        p = VGG_PRECISION_FP32;
    else if (strcmp(precision, "tf32") == 0)
        p = VGG_PRECISION_TF32;
    else {
        fprintf(stderr, "gpu_check time: precision '%s': expected fp32 or tf32\n", precision);
        return 2;
    }
    for (int k = 0; k < nkeys; k++)   /* every key checked before the GPU is opened */
        if (!parse_key(keys[k], NULL, NULL, NULL, NULL)) {
            fprintf(stderr, "gpu_check time: bad key '%s' (dense:D|E:Q:B or train:D:224:B)\n",
                    keys[k]);
            return 2;
        }
    vgg_backend *be = open_gpu(p, false);
    vgg_net *nets[2] = { NULL, NULL };   /* D, E: made when first asked for */
    for (int k = 0; k < nkeys; k++) {
        char kind[16], cfg[4];
        int q = 0, b = 0;
        parse_key(keys[k], kind, cfg, &q, &b);
        const int e = cfg[0] == 'E';
        if (!nets[e])
            nets[e] = make_net(be, e ? VGG_CONFIG_E : VGG_CONFIG_D);
        double ips, tflops;
        if (strcmp(kind, "dense") == 0) {
            const int h = q, w = q * 4 / 3;
            float *x = images(b, h, w, 3u, true), *d = xmalloc(sizeof(float) * 4096 * b);
            dense_job j = { nets[e], x, b, h, w, d };
            ips = b * rate(dense_once, &j, seconds);   /* images, each with its flip */
            tflops = ips * 2 * flops(nets[e], h, w) / 1e12;
            free(x), free(d);
        } else {
            vgg_train_opts o;
            vgg_train_opts_default(&o);
            o.micro_batch = b;
            vgg_trainer *t = NULL;
            if (vgg_trainer_create(nets[e], &o, &t) != VGG_STATUS_OK)
                die("trainer");
            float *x = images(b, 224, 224, 9u, false);
            int32_t *labels = xmalloc(sizeof *labels * b);
            for (int i = 0; i < b; i++)
                labels[i] = i % 1000;
            train_job j = { t, x, labels, b };
            ips = b * rate(train_once, &j, seconds);
            tflops = ips * 3 * flops(nets[e], 224, 224) / 1e12;
            vgg_trainer_free(t);
            free(x), free(labels);
        }
        printf("RESULT %s %.3f %.2f\n", keys[k], ips, tflops);
    }
    for (int e = 0; e < 2; e++)
        vgg_net_free(nets[e]);
    vgg_backend_close(be);
    return 0;
}

static int write_net(const char *cfg_name, const char *path)
{
    vgg_config_id cfg;
    if (vgg_config_parse(cfg_name, &cfg) != VGG_STATUS_OK)
        die("config");
    vgg_backend *cpu = open_cpu_ref();
    vgg_net *net = make_net(cpu, cfg);
    if (vgg_net_save(net, path) != VGG_STATUS_OK)
        die("save");
    vgg_net_free(net);
    vgg_backend_close(cpu);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 2 && strcmp(argv[1], "probe") == 0)
        return probe();
    if (argc >= 3 && strcmp(argv[1], "dlopen") == 0)
        return open_libraries(argc - 2, argv + 2);
    if (argc == 2 && strcmp(argv[1], "descriptors") == 0)
        return descriptors();
    if (argc == 3 && strcmp(argv[1], "gradients") == 0)
        return gradients(atoi(argv[2]));
    if (argc == 2 && strcmp(argv[1], "nccl") == 0)
        return nccl();
    if (argc >= 5 && strcmp(argv[1], "time") == 0)
        return timings(argv[2], atof(argv[3]), argc - 4, argv + 4);
    if (argc == 4 && strcmp(argv[1], "write-net") == 0)
        return write_net(argv[2], argv[3]);
    fprintf(stderr, "usage: gpu_check probe | dlopen LIB... | descriptors | gradients N | nccl |\n"
                    "       time fp32|tf32 SECONDS KEY... | write-net D|E PATH\n");
    return 2;
}
