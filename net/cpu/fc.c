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
 * positions for an image and its flip; the panel product as it runs each
 * row count, fc_avx2.c): at fc6's K = 25088 the panel took 1.37x and
 * 1.16x the dot products' time at 2 rows (a 224 crop and its flip),
 * 1.06x and 1.05x at 8, 0.69x and 0.91x at 16 (Q=256 on 256x341),
 * 0.75x at 32, 0.80x at 64 and 0.91x at 120 (384x512); at fc7's K = 4096
 * 0.67x-0.76x at 16 and 0.82x-0.85x at 120.  oneDNN's matmul, which packs
 * the weights on every call, took 0.9-1.5x the dot products' time at 120
 * rows (bench_cpu --before, noisy) and so has no place on this class. */
#define FC_OWN_MAX_POSITIONS 4

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
