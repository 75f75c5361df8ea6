/* ILSVRC-style evaluation of one image: centre crop, dense, multi-crop. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vgg/pretrain.h"

int vgg_pretrain_rank(const float *scores, int n, int label)
{
    int r = 0;
    for (int i = 0; i < n; i++)
        r += scores[i] > scores[label] || (scores[i] == scores[label] && i < label);
    return r;
}

static void softmax_add(const double *z, int n, double weight, float *prob)
{
    double m = z[0], s = 0;
    for (int i = 1; i < n; i++)
        m = z[i] > m ? z[i] : m;
    for (int i = 0; i < n; i++)
        s += exp(z[i] - m);
    for (int i = 0; i < n; i++)
        prob[i] += (float)(weight * exp(z[i] - m) / s);
}

/* Dense: the scores map of the whole scaled image averaged over its
 * positions, softmax, for the image and its flip (each half). */
static vgg_status eval_dense(vgg_net *net, const vgg_image *scaled, double *z, float *prob)
{
    const vgg_preproc *pp = vgg_net_preproc(net);
    const int C = vgg_net_arch(net)->num_classes;
    float *in = NULL, *out = NULL;
    int oc, oh, ow;
    vgg_status st = vgg_net_output_shape(net, scaled->h, scaled->w, VGG_OUTPUT_SCORES, &oc, &oh,
                                         &ow);
    if (st == VGG_STATUS_OK) {
        in = malloc(sizeof(float) * 3 * scaled->w * scaled->h);
        out = malloc(sizeof(float) * (size_t)oc * oh * ow);
        if (!in || !out)
            st = vgg_fail(VGG_STATUS_NOMEM, "eval: out of memory");
    }
    for (int flip = 0; flip < 2 && st == VGG_STATUS_OK; flip++) {
        vgg_image_to_input(scaled, pp, flip, in);
        st = vgg_net_forward(net, in, 1, scaled->h, scaled->w, VGG_OUTPUT_SCORES, out);
        if (st != VGG_STATUS_OK)
            break;
        const size_t P = (size_t)oh * ow;
        for (int c = 0; c < C; c++) {
            double s = 0;
            for (size_t p = 0; p < P; p++)
                s += out[c * P + p];
            z[c] = s / P;
        }
        softmax_add(z, C, 0.5, prob);
    }
    free(in);
    free(out);
    return st;
}

/* Centre crop, or the grid x grid crops and their flips (multi-crop):
 * the softmax of each crop's scores, averaged. */
static vgg_status eval_crops(vgg_net *net, const vgg_image *scaled, int q, vgg_pretrain_method m,
                             int grid, double *z, float *prob)
{
    const vgg_preproc *pp = vgg_net_preproc(net);
    const int C = vgg_net_arch(net)->num_classes, S = vgg_net_arch(net)->input_size;
    if (scaled->w < S || scaled->h < S)
        return vgg_fail(VGG_STATUS_INVALID, "eval: scale %d gives %dx%d, smaller than the "
                        "crop %d", q, scaled->w, scaled->h, S);
    int n = m == VGG_PRETRAIN_CENTER ? 1 : 2 * grid * grid;
    int xs[16], ys[16];
    if (m == VGG_PRETRAIN_MULTICROP) {
        if (grid < 1 || grid > 16)
            return vgg_fail(VGG_STATUS_INVALID, "eval: grid %d outside 1..16", grid);
        vgg_image_grid_offsets(scaled->w, scaled->h, S, grid, xs, ys);
    }
    const size_t per = (size_t)3 * S * S;
    float *in = malloc(sizeof(float) * per * n);
    float *out = malloc(sizeof(float) * (size_t)C * n);
    vgg_status st = VGG_STATUS_OK;
    if (!in || !out)
        st = vgg_fail(VGG_STATUS_NOMEM, "eval: out of memory");
    for (int i = 0; i < n && st == VGG_STATUS_OK; i++) {
        vgg_image *crop = NULL;
        if (m == VGG_PRETRAIN_CENTER)
            st = vgg_image_center_crop(scaled, S, S, &crop);
        else
            st = vgg_image_crop(scaled, xs[(i / 2) % grid], ys[(i / 2) / grid], S, S, &crop);
        if (st == VGG_STATUS_OK)
            vgg_image_to_input(crop, pp, m != VGG_PRETRAIN_CENTER && (i & 1), in + i * per);
        vgg_image_free(crop);
    }
    if (st == VGG_STATUS_OK)
        st = vgg_net_forward(net, in, n, S, S, VGG_OUTPUT_SCORES, out);
    for (int i = 0; i < n && st == VGG_STATUS_OK; i++) {
        for (int c = 0; c < C; c++)
            z[c] = out[(size_t)i * C + c];
        softmax_add(z, C, 1.0 / n, prob);
    }
    free(in);
    free(out);
    return st;
}

vgg_status vgg_pretrain_eval_image(vgg_net *net, const vgg_image *img, int q, vgg_pretrain_method m, int grid,
                         float *prob)
{
    const int C = vgg_net_arch(net)->num_classes;
    memset(prob, 0, sizeof(float) * C);
    vgg_image *scaled = NULL;
    vgg_status st = vgg_image_resize_short(img, q, &scaled);
    if (st != VGG_STATUS_OK)
        return st;
    double *z = calloc(C, sizeof *z);
    if (!z) {
        vgg_image_free(scaled);
        return vgg_fail(VGG_STATUS_NOMEM, "eval: out of memory");
    }
    if (m == VGG_PRETRAIN_DENSE)
        st = eval_dense(net, scaled, z, prob);
    else
        st = eval_crops(net, scaled, q, m, grid, z, prob);
    free(z);
    vgg_image_free(scaled);
    return st;
}
