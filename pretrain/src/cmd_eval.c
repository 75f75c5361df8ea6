/* vggtrain eval: top-1 / top-5 error as in the paper's Tables 3-6:
 * centre crop, dense (score map and flip averaged), multi-crop (grid x
 * grid x 2 flips), each at one or several scales Q, dense and multi-crop
 * combined, and ensembles of several nets (softmax averaged); the
 * arithmetic is vgg_pretrain_table (pretrain/src/table.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "vgg/pretrain.h"

#define MAX_NETS 8
#define MAX_Q VGG_PRETRAIN_MAX_Q
#define N_METHODS VGG_PRETRAIN_N_METHODS

static const char *const method_names[N_METHODS] = { "centre crop", "dense", "multi-crop",
                                                     "dense+multi-crop" };

static void usage(FILE *fp)
{
    fprintf(fp,
"usage: vggtrain eval -w WEIGHTS [-w WEIGHTS ...] (--data DIR | --list FILE --classes FILE)\n"
"                     [--scales Q,Q,...] [--methods LIST] [--grid N] [--limit N]\n"
"  -w, --weights FILE  a net (several: each alone, then their ensemble)\n"
"  --scales Q,...      test scales (smallest image side); default the net's input size;\n"
"                      given once: every net; given once per -w: the k-th for the k-th\n"
"                      net (an ensemble of nets each at its own scales, Table 6)\n"
"  --methods LIST      any of center,dense,multi,combined or all (default all)\n"
"  --grid N            multi-crop grid, N x N crops x 2 flips per scale (5)\n"
"  --limit N           the first N images only\n"
"  --threads N         compute threads (0: all)   --device cpu|cuda[:N]\n"
"Prints a table: ConvNet, test scale Q, method, top-1 and top-5 error (%%).\n");
}

static void row(const char *net, const char *q, const char *method, const vgg_pretrain_errors *a)
{
    printf("%-32s %-16s %-18s %8.2f %8.2f\n", net, q, method, a->n ? 100.0 * a->e1 / a->n : 0.0,
           a->n ? 100.0 * a->e5 / a->n : 0.0);
}

/* net k's name in the table: the file name, with its folder when two nets
 * share a name */
static void net_label(const char *const *weights, int n_nets, int k, char *name, size_t n)
{
    if (k == n_nets) {
        snprintf(name, n, "ensemble of %d", n_nets);
        return;
    }
    const char *base = strrchr(weights[k], '/');
    base = base ? base + 1 : weights[k];
    bool clash = false;
    for (int j = 0; j < n_nets; j++) {
        const char *b = strrchr(weights[j], '/');
        clash |= j != k && strcmp(b ? b + 1 : weights[j], base) == 0;
    }
    if (clash && base > weights[k] + 1) {
        const char *dir = base - 2;
        while (dir > weights[k] && dir[-1] != '/')
            dir--;
        base = dir;
    }
    snprintf(name, n, "%s", base);
}

static void join_qs(const int *qs, int nq, char *out, size_t n)
{
    out[0] = '\0';
    for (int qi = 0; qi < nq; qi++)
        snprintf(out + strlen(out), n - strlen(out), "%s%d", qi ? "," : "", qs[qi]);
}

static void print_table(const vgg_pretrain_table *t, const char *const *weights, int n_nets,
                        int (*qs)[MAX_Q], const int *nq, int methods)
{
    printf("%-32s %-16s %-18s %8s %8s\n", "ConvNet", "test scale Q", "method", "top-1", "top-5");
    printf("%-32s %-16s %-18s %8s %8s\n", "", "", "", "err (%)", "err (%)");
    /* the ensemble's scales: the one set, or each net's own */
    char qens[128];
    join_qs(qs[0], nq[0], qens, sizeof qens);
    for (int k = 1; k < n_nets; k++) {
        char other[128];
        join_qs(qs[k], nq[k], other, sizeof other);
        if (strcmp(other, qens) != 0) {
            snprintf(qens, sizeof qens, "per net");
            break;
        }
    }
    for (int k = 0; k <= n_nets; k++) {
        if (k == n_nets && n_nets < 2)
            break;
        char name[64], qall[128];
        net_label(weights, n_nets, k, name, sizeof name);
        if (k < n_nets)
            join_qs(qs[k], nq[k], qall, sizeof qall);
        else
            snprintf(qall, sizeof qall, "%s", qens);
        for (int m = 0; m < N_METHODS; m++) {
            if (!(methods & (1 << m)))
                continue;
            if (k < n_nets && nq[k] > 1)
                for (int qi = 0; qi < nq[k]; qi++) {
                    char q[16];
                    snprintf(q, sizeof q, "%d", qs[k][qi]);
                    row(name, q, method_names[m], vgg_pretrain_table_errors(t, k, m, qi));
                }
            row(name, qall, method_names[m],
                vgg_pretrain_table_errors(t, k, m, k < n_nets ? nq[k] : MAX_Q));
        }
    }
}

int cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        { "weights", 1, NULL, 'w' }, { "data", 1, NULL, 'D' }, { "list", 1, NULL, 'L' },
        { "classes", 1, NULL, 'C' }, { "scales", 1, NULL, 'q' }, { "methods", 1, NULL, 'm' },
        { "grid", 1, NULL, 'g' }, { "limit", 1, NULL, 'n' }, { "threads", 1, NULL, 't' },
        { "device", 1, NULL, 'd' }, { "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 },
    };
    const char *weights[MAX_NETS], *data = NULL, *list = NULL, *classes = NULL;
    const char *scales[MAX_NETS], *device = "cpu";
    int n_scales = 0, n_nets = 0, grid = 5, threads = 0, methods = 0;
    long limit = 0;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "w:h", opts, NULL)) != -1) {
        switch (c) {
        case 'w':
            if (n_nets == MAX_NETS) {
                fprintf(stderr, "vggtrain eval: at most %d nets\n", MAX_NETS);
                return 2;
            }
            weights[n_nets++] = optarg;
            break;
        case 'D': data = optarg; break;
        case 'L': list = optarg; break;
        case 'C': classes = optarg; break;
        case 'q':
            if (n_scales == MAX_NETS) {
                fprintf(stderr, "vggtrain eval: --scales at most once per net\n");
                return 2;
            }
            scales[n_scales++] = optarg;
            break;
        case 'm': {
            char *copy = strdup(optarg), *save = NULL;
            for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                if (!strcmp(t, "center") || !strcmp(t, "centre")) methods |= VGG_PRETRAIN_CENTER;
                else if (!strcmp(t, "dense")) methods |= VGG_PRETRAIN_DENSE;
                else if (!strcmp(t, "multi") || !strcmp(t, "multi-crop")) methods |= VGG_PRETRAIN_MULTICROP;
                else if (!strcmp(t, "combined")) methods |= VGG_PRETRAIN_COMBINED;
                else if (!strcmp(t, "all")) methods |= 15;
                else {
                    fprintf(stderr, "vggtrain eval: unknown method '%s'\n", t);
                    free(copy);
                    return 2;
                }
            }
            free(copy);
            break;
        }
        case 'g': grid = atoi(optarg); if (grid < 1 || grid > 16) { fprintf(stderr, "vggtrain eval: --grid 1..16\n"); return 2; } break;
        case 'n': limit = atol(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'd': device = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || n_nets == 0 || (!data == !list) || (list && !classes)) {
        usage(stderr);
        return 2;
    }
    if (n_scales > 1 && n_scales != n_nets) {
        fprintf(stderr, "vggtrain eval: --scales given %d times for %d nets: give it once (every "
                "net) or once per -w\n", n_scales, n_nets);
        return 2;
    }
    if (!methods)
        methods = 15;
    if (methods & VGG_PRETRAIN_COMBINED)
        methods |= VGG_PRETRAIN_DENSE | VGG_PRETRAIN_MULTICROP;

    vgg_pretrain_dataset *ds = NULL;
    vgg_backend *be = NULL;
    vgg_net *nets[MAX_NETS] = { 0 };
    vgg_pretrain_table *t = NULL;
    int rc = 1, nq[MAX_NETS] = { 0 }, qs[MAX_NETS][MAX_Q];
    const int *qsp[MAX_NETS];
    vgg_status st = data ? vgg_pretrain_dataset_from_folders(data, &ds)
                         : vgg_pretrain_dataset_from_list(list, classes, &ds);
    if (st == VGG_STATUS_OK)
        st = vgg_backend_open(device, threads, &be);
    for (int k = 0; k < n_nets && st == VGG_STATUS_OK; k++) {
        st = vgg_net_load(weights[k], be, &nets[k]);
        if (st == VGG_STATUS_OK && vgg_net_arch(nets[k])->num_classes != ds->n_classes)
            st = vgg_fail(VGG_STATUS_MISMATCH, "'%s' has %d classes, the data %d", weights[k],
                          vgg_net_arch(nets[k])->num_classes, ds->n_classes);
    }
    if (st != VGG_STATUS_OK)
        goto done;
    for (int k = 0; k < n_nets; k++) {
        qsp[k] = qs[k];
        if (n_scales == 0) {
            qs[k][0] = vgg_net_arch(nets[k])->input_size;
            nq[k] = 1;
        } else if ((st = vgg_parse_int_list(scales[n_scales > 1 ? k : 0], qs[k], MAX_Q,
                                            &nq[k])) != VGG_STATUS_OK) {
            goto done;
        }
    }
    if ((st = vgg_pretrain_table_create_per_net(n_nets, qsp, nq, methods, grid, ds->n_classes,
                                                &t)) != VGG_STATUS_OK)
        goto done;
    size_t n = ds->n;
    if (limit > 0 && (size_t)limit < n)
        n = (size_t)limit;
    long long unreadable = 0, evaluated = 0;
    vgg_decode_opts dopts;
    vgg_decode_opts_default(&dopts);
    for (size_t i = 0; i < n && st == VGG_STATUS_OK; i++) {
        vgg_image *img = NULL;
        if (vgg_image_load(ds->paths[i], &dopts, &img) != VGG_STATUS_OK) {
            fprintf(stderr, "vggtrain eval: skipped: %s\n", vgg_last_error());
            unreadable++;
            continue;
        }
        st = vgg_pretrain_table_add(t, nets, img, ds->labels[i]);
        vgg_image_free(img);
        evaluated += st == VGG_STATUS_OK;
        if ((i + 1) % 1000 == 0)
            fprintf(stderr, "vggtrain eval: %zu / %zu images\n", i + 1, n);
    }
    if (st != VGG_STATUS_OK)
        goto done;
    print_table(t, weights, n_nets, qs, nq, methods);
    printf("(%lld images", evaluated);
    if (unreadable)
        printf(", %lld unreadable skipped", unreadable);
    printf(")\n");
    rc = 0;
done:
    if (rc != 0)
        fprintf(stderr, "vggtrain eval: %s\n", vgg_last_error());
    vgg_pretrain_table_free(t);
    for (int k = 0; k < n_nets; k++)
        vgg_net_free(nets[k]);
    vgg_backend_close(be);
    vgg_pretrain_dataset_free(ds);
    return rc;
}
