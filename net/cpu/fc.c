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

/* Ours up to this many positions an image, measured on a 2-core Zen 3
 * (bench_cpu --before, VGG-16, 2 threads; net/README.md): fc6 (K = 25088)
 * took 0.70x oneDNN's time at 8 positions (256x341), 0.84x at 18, 0.92x
 * at 28 and 1.28x at 60 (384x512), where the product is bound by
 * arithmetic and oneDNN's packed blocks do it better; fc7 (K = 4096) took
 * 0.57x to 0.75x at every size up to 60. */
#define FC_OWN_MAX_POSITIONS 32
#define FC_OWN_MAX_POSITIONS_SMALL_K 64
#define FC_SMALL_K 4096

vgg_fc_algo vgg_fc_choose(int isa, int positions, int k)
{
    if (isa != VGG_ISA_AVX2 || !vgg_fc_supported())
        return VGG_FC_ONEDNN;
    if (positions <= FC_OWN_MAX_POSITIONS ||
        (k <= FC_SMALL_K && positions <= FC_OWN_MAX_POSITIONS_SMALL_K))
        return VGG_FC_OWN;
    return VGG_FC_ONEDNN;
}

const char *vgg_fc_algo_name(vgg_fc_algo a)
{
    return a == VGG_FC_OWN ? "own" : "onednn";
}
