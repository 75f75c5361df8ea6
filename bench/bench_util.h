/* Helpers shared by the benchmarks (header only). */
#ifndef VGG_BENCH_UTIL_H
#define VGG_BENCH_UTIL_H

#include <math.h>
#include <stdint.h>

#include "vgg/net.h"

/* Every weight uniform with the variance of He initialisation, biases
 * uniform in [-bias, bias], from a seeded LCG. */
static inline void bench_random_weights(vgg_net *net, uint64_t seed, float bias)
{
    uint64_t s = seed;
    for (int i = 0; i < vgg_net_param_count(net); i++) {
        vgg_param *p = vgg_net_param(net, i);
        double fan_in = p->ndim == 4 ? (double)(p->shape[1] * p->shape[2] * p->shape[3]) : 1.0;
        float scale = p->ndim == 4 ? (float)sqrt(6.0 / fan_in) : bias;
        for (size_t j = 0; j < p->numel; j++) {
            s = s * 6364136223846793005ull + 1442695040888963407ull;
            p->data[j] = ((float)(s >> 40) / 16777216.0f * 2.0f - 1.0f) * scale;
        }
    }
}

#endif
