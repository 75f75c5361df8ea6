/* A feature description for classifier tests: one net of configuration net
 * ("D") whose weights' digest is 64 times digit, one scale, fc7, stacked,
 * flipped, L2. */
#ifndef VGG_TEST_FEATDESC_FIXTURE_H
#define VGG_TEST_FEATDESC_FIXTURE_H

#include <string.h>

#include "vgg/features.h"

static inline void test_featdesc(vgg_featdesc *d, int dim, const char *net, char digit,
                                 int scale)
{
    memset(d, 0, sizeof *d);
    d->dim = dim;
    d->n_nets = 1;
    strcpy(d->net_names[0], net);
    strcpy(d->net_configs[0], net);
    memset(d->net_digests[0], digit, 64);
    d->n_scales = 1;
    d->scales[0] = scale;
    strcpy(d->aggregate, "stack");
    strcpy(d->layer, "fc7");
    d->flip = true;
    d->l2 = true;
    strcpy(d->version, "test");
}

#endif
