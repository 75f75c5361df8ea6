/* Batch normalisation in a net: its parameters, and the conv folded with
 * its running statistics for the forward pass (torchvision's vgg*_bn). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"

vgg_status vgg_net_bn_add(vgg_net *net, int l)
{
    static const char *const parts[4] = {"weight", "bias", "running_mean", "running_var"};
    const vgg_layer_info *L = &net->layers[l];
    const int64_t shape[1] = {L->out_channels};
    int first = net->n_params;
    for (int j = 0; j < 4; j++) {
        vgg_status st = vgg_net_add_param_(net, L->bn_key, parts[j], 1, shape);
        if (st != VGG_STATUS_OK)
            return st;
    }
    for (int c = 0; c < L->out_channels; c++) {
        net->params[first].data[c] = 1.0f;       /* scale */
        net->params[first + 3].data[c] = 1.0f;   /* running variance */
    }
    net->params[first + 2].running = true;
    net->params[first + 3].running = true;
    net->layer_bn[l] = first;
    const size_t wn = net->params[net->layer_param[l]].numel;
    net->fold_w[l] = malloc(sizeof(float) * wn);
    net->fold_b[l] = malloc(sizeof(float) * L->out_channels);
    if (!net->fold_w[l] || !net->fold_b[l])
        return vgg_fail(VGG_STATUS_NOMEM, "net: out of memory for layer %s", L->name);
    if (!net->dev_owned) {
        net->fold_dev_w[l] = net->fold_w[l];
        net->fold_dev_b[l] = net->fold_b[l];
        return VGG_STATUS_OK;
    }
    vgg_status st = net->be->ops->alloc(net->be, sizeof(float) * wn, (void **)&net->fold_dev_w[l]);
    if (st == VGG_STATUS_OK)
        st = net->be->ops->alloc(net->be, sizeof(float) * L->out_channels,
                                 (void **)&net->fold_dev_b[l]);
    return st;
}

vgg_status vgg_net_bn_fold(vgg_net *net)
{
    for (int l = 0; l < net->n_layers; l++) {
        int p = net->layer_param[l], q = net->layer_bn[l];
        if (p < 0 || q < 0)
            continue;
        const vgg_param *w = &net->params[p];
        const float *b = net->params[p + 1].data, *gamma = net->params[q].data,
                    *beta = net->params[q + 1].data, *mean = net->params[q + 2].data,
                    *var = net->params[q + 3].data;
        const int cout = (int)w->shape[0];
        const size_t per = w->numel / (size_t)cout;
        for (int o = 0; o < cout; o++) {
            double s = (double)gamma[o] / sqrt((double)var[o] + VGG_BN_EPS);
            for (size_t i = 0; i < per; i++)
                net->fold_w[l][o * per + i] = (float)(w->data[o * per + i] * s);
            net->fold_b[l][o] = (float)(((double)b[o] - mean[o]) * s + beta[o]);
        }
        if (net->dev_owned) {
            vgg_status st = net->be->ops->upload(net->be, net->fold_dev_w[l], net->fold_w[l],
                                                 sizeof(float) * w->numel);
            if (st == VGG_STATUS_OK)
                st = net->be->ops->upload(net->be, net->fold_dev_b[l], net->fold_b[l],
                                          sizeof(float) * cout);
            if (st != VGG_STATUS_OK)
                return st;
        }
    }
    return VGG_STATUS_OK;
}

void vgg_net_bn_free(vgg_net *net)
{
    for (int l = 0; l < VGG_MAX_LAYERS; l++) {
        if (net->dev_owned) {
            if (net->fold_dev_w[l])
                net->be->ops->release(net->be, net->fold_dev_w[l]);
            if (net->fold_dev_b[l])
                net->be->ops->release(net->be, net->fold_dev_b[l]);
        }
        free(net->fold_w[l]);
        free(net->fold_b[l]);
        net->fold_w[l] = net->fold_b[l] = net->fold_dev_w[l] = net->fold_dev_b[l] = NULL;
    }
}
