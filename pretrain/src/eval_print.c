/* vggtrain eval's table on stdout: ConvNet, test scale Q, method, top-1
 * and top-5 error, a row per net and scale, then the ensemble; the count
 * of images under it, and the progress lines on stderr. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

#define MAX_Q VGG_PRETRAIN_MAX_Q
#define N_METHODS VGG_PRETRAIN_N_METHODS

static const char *const method_names[N_METHODS] = { "centre crop", "dense", "multi-crop",
                                                     "dense+multi-crop" };

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

void eval_print_table(const vgg_pretrain_table *t, const char *const *weights, int n_nets,
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

void eval_print_counts(long long evaluated, long long unreadable)
{
    printf("(%lld images", evaluated);
    if (unreadable)
        printf(", %lld unreadable skipped", unreadable);
    printf(")\n");
}

void eval_note_line(void *ctx, size_t done, size_t n, const char *skipped)
{
    (void)ctx;
    if (skipped)
        fprintf(stderr, "vggtrain eval: skipped: %s\n", skipped);
    else
        fprintf(stderr, "vggtrain eval: %zu / %zu images\n", done, n);
}
