/* The small deterministic RNG (splitmix64) behind every seeded choice:
 * augmentation, dataset splits, cross-validation folds, rendered glyphs. */
#include <math.h>

#include "vgg/core.h"

uint64_t vgg_rng_next(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double vgg_rng_uniform(uint64_t *state)
{
    return (double)(vgg_rng_next(state) >> 11) * 0x1.0p-53;
}

double vgg_rng_normal(uint64_t *state)
{
    /* Box-Muller, one value per two uniforms (no cached second value, so
     * the state alone determines the sequence). */
    double u1 = 1.0 - vgg_rng_uniform(state); /* (0, 1] */
    double u2 = vgg_rng_uniform(state);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}
