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
/* A 7x7 window (fc6) by Winograd F(2x2, 7x7) from this many positions an
 * image on: against the panel product (its patches gathered), an image
 * and its flip, 2 threads, fc6 of VGG (c = 512, cout = 4096), the same
 * sittings (bench_fc --maps): 0.64-0.67x the panel's speed at 2x4
 * positions an image (Q=256 on 256x341: the weights' reading and
 * transform weigh there), 0.86x at 3x5 (9x11 maps: 6 tiles, 62% of their
 * outputs used), 1.22-1.51x at 3x6 (Q=288 on 288x384), 1.33-1.37x at
 * 4x6, 1.53-1.55x at 4x7, 1.85x at 5x8, 2.16-2.17x at 6x10 (Q=384 on
 * 384x512), 2.14x at 10x15 (Q=512) and 2.12x at 18x26 (Q=768).  Its
 * rounding costs the descriptors little: VGG-16/19's from cpu-ref went
 * from 2.7-2.9e-7 to 3.1-3.5e-7 at Q=256 with it forced, 1.6-1.7e-7 to
 * 1.9-2.2e-7 at Q=320 (test_net_fast's photographs). */
#define FC_WINO7_MIN_POSITIONS 18
/* On AVX-512 with bf16, against oneDNN's AVX-512 matmul, in the chain
 * (bench_cpu --before: the chain on oneDNN alone alternating with this
 * rule; VGG-16, an image and its flip, 2 threads, a 2-core Emerald
 * Rapids): fc6 by the dot products 15.0 against 20.8 ms at 1 position
 * (fc7 2.4 against 2.3), by the panel (its AVX-512 tile) 18.6-22.9
 * against 26.7-27.8 ms at 8 (fc7 3.2-4.5 against 3.8-4.0); past 8
 * positions oneDNN's is faster even than that tile: at 18 fc6 48.8
 * against 38.3, fc7 7.8 against 5.9 ms; fc6 by the Winograd with its products
 * on AVX-512 38.1 against 37.9 ms at 18 positions, 47.5 against 50.9 at
 * 28, 54.6 against 65.3 at 40, 59.9 against 89.5 at 60. */
#define FC512_PANEL_MAX_POSITIONS 8
#define FC512_WINO7_MIN_POSITIONS 28

vgg_fc_algo vgg_fc_choose(int isa, int positions, int k, int side)
{
    (void)k;
    if (!vgg_fc_supported())
        return VGG_FC_ONEDNN;
    if (isa == VGG_ISA_AVX2) {
        if (side == 7 && positions >= FC_WINO7_MIN_POSITIONS)
            return VGG_FC_WINO7;
        return positions <= FC_OWN_MAX_POSITIONS ? VGG_FC_OWN : VGG_FC_PANEL;
    }
    if (isa == VGG_ISA_AVX512_BF16) {
        if (positions <= FC_OWN_MAX_POSITIONS)
            return VGG_FC_OWN;
        if (positions <= FC512_PANEL_MAX_POSITIONS)
            return VGG_FC_PANEL;
        if (side == 7 && positions >= FC512_WINO7_MIN_POSITIONS)
            return VGG_FC_WINO7;
    }
    return VGG_FC_ONEDNN;
}

const char *vgg_fc_algo_name(vgg_fc_algo a)
{
    return a == VGG_FC_OWN     ? "own"
           : a == VGG_FC_PANEL ? "panel"
           : a == VGG_FC_WINO7 ? "wino7"
                               : "onednn";
}
