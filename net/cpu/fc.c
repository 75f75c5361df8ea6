/* Whether the fully connected kernel of fc_avx2.c may run on this CPU, and
 * which implementation a layer of the chain gets (see fc.h).  This file is
 * compiled for any x86-64 (no -mavx2). */
#include "fc.h"
#include "wino.h"

bool vgg_fc_supported(void)
{
    /* the CPU features our Winograd asks for (wino.c), and fc_avx2.c
     * compiled for them */
    return vgg_fc_compiled && vgg_wino_supported();
}

/* The dot products up to this many positions an image, the panel product
 * past it, measured on a 2-core Zen 3 (bench_fc, 2 threads, rows = 2 x
 * positions for an image and its flip): at fc6's K = 25088 the panel took
 * 1.43x the dot products' time at 16 rows (Q=256 on 256x341), 1.08x at
 * 36, 0.97x at 64, 0.94x at 72, 0.80x at 120 (384x512) and 0.70x at 300;
 * at fc7's K = 4096, 1.27x at 16, 0.98x at 36, 0.90x at 56, 0.74x at 120.
 * oneDNN's matmul, which packs the weights on every call, took 0.9-1.5x
 * the dot products' time at 120 rows (bench_cpu --before, noisy) and so
 * no longer has a place on this class. */
#define FC_OWN_MAX_POSITIONS 20

vgg_fc_algo vgg_fc_choose(int isa, int positions, int k)
{
    (void)k;
    if (isa != VGG_ISA_AVX2 || !vgg_fc_supported())
        return VGG_FC_ONEDNN;
    return positions <= FC_OWN_MAX_POSITIONS ? VGG_FC_OWN : VGG_FC_PANEL;
}

const char *vgg_fc_algo_name(vgg_fc_algo a)
{
    return a == VGG_FC_OWN ? "own" : a == VGG_FC_PANEL ? "panel" : "onednn";
}
