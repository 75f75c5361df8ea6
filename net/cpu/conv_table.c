/* Which algorithm each 3x3 convolution of the "cpu" chain gets: a fixed
 * table by the CPU's class and the layer's channels (wino.h), measured
 * offline with bench/wino_table.sh and pinned by
 * tests/test_cpu_conv_table.c.  Nothing here is timed at run time: the
 * choice, and with it the bits of every descriptor, depends on the layer
 * and the CPU's class alone, so resumed and sharded extractions stay
 * byte-exact. */
#include "wino.h"

#include <dnnl.h>
#include <pthread.h>

const vgg_conv_rule vgg_conv_table[] = {
    /* AVX2 + FMA (no AVX-512): oneDNN 2.6 has no Winograd here, its direct
     * kernel (jit:avx2) runs at 70-105 GFLOP/s on a 2-core Zen 3 */
    {VGG_ISA_AVX2, 7, 1 << 30, VGG_CONV_ONEDNN},             /* conv1_1: 3 channels */
    {VGG_ISA_AVX2, 1 << 30, 1 << 30, VGG_CONV_WINO4},
    /* AVX-512 without bf16 (Skylake-X to Ice Lake): oneDNN's Winograd
     * and direct kernels; not measured */
    {VGG_ISA_AVX512, 1 << 30, 1 << 30, VGG_CONV_ONEDNN},
    /* AVX-512 with bf16, measured on a 2-core Xeon (Emerald Rapids, no
     * AMX), 2 threads, an image and its flip, at Q=256 and Q=384
     * (bench_wino --algos onednn,wino4-avx2,wino4): our F(4x4) with its
     * products on AVX-512 against oneDNN's choice (its F(2x2) "wino_2x3"
     * on these layers, direct on conv1_1) took 0.69-0.79x oneDNN's time on
     * conv1_1, 0.77-0.84x on conv1_2, 0.71-0.79x on conv2_1, 0.64-0.69x on
     * conv2_2; from 128 -> 256 channels on, oneDNN's F(4x4) ("wino_4x3")
     * is faster: ours took 1.05-1.08x its time on conv3_1, 1.04-1.27x on
     * conv3_x to conv5_x.  conv1_1 (3 channels) by our direct kernel
     * (direct_avx512.c): in the chain (bench_cpu --before, VGG-16) 4.3-4.4
     * against oneDNN's 8.7 ms at 256x341 + flip, 9.0-9.2 against
     * 19.6-20.0 at 384x512 (our F(4x4): 7.5 and 15.0) */
    {VGG_ISA_AVX512_BF16, 8, 1 << 30, VGG_CONV_DIRECT8},
    {VGG_ISA_AVX512_BF16, 128, 128, VGG_CONV_WINO4},
    {VGG_ISA_AVX512_BF16, 1 << 30, 1 << 30, VGG_CONV_ONEDNN},
    /* anything else: oneDNN */
    {VGG_ISA_BASE, 1 << 30, 1 << 30, VGG_CONV_ONEDNN},
};
const int vgg_conv_table_len = (int)(sizeof vgg_conv_table / sizeof vgg_conv_table[0]);

vgg_conv_algo vgg_conv_choose(vgg_cpu_isa isa, int cin, int cout)
{
    for (int i = 0; i < vgg_conv_table_len; i++) {
        const vgg_conv_rule *r = &vgg_conv_table[i];
        if (r->isa == isa && cin <= r->cin_max && cout <= r->cout_max)
            return r->algo;
    }
    return VGG_CONV_ONEDNN;
}

static pthread_once_t isa_once = PTHREAD_ONCE_INIT;
static vgg_cpu_isa isa_found;

static void find_isa(void)
{
    const dnnl_cpu_isa_t isa = dnnl_get_effective_cpu_isa();
    if ((isa & dnnl_cpu_isa_avx512_core_bf16) == dnnl_cpu_isa_avx512_core_bf16)
        isa_found = VGG_ISA_AVX512_BF16;
    else if ((isa & dnnl_cpu_isa_avx512_core) == dnnl_cpu_isa_avx512_core)
        isa_found = VGG_ISA_AVX512;
    else if ((isa & dnnl_cpu_isa_avx2) == dnnl_cpu_isa_avx2 && vgg_wino_supported())
        isa_found = VGG_ISA_AVX2;
    else
        isa_found = VGG_ISA_BASE;
}

vgg_cpu_isa vgg_cpu_isa_class(void)
{
    pthread_once(&isa_once, find_isa);
    return isa_found;
}

const char *vgg_conv_algo_name(vgg_conv_algo a)
{
    switch (a) {
    case VGG_CONV_AUTO: return "auto";
    case VGG_CONV_ONEDNN: return "onednn";
    case VGG_CONV_ONEDNN_DIRECT: return "onednn-direct";
    case VGG_CONV_ONEDNN_WINOGRAD: return "onednn-winograd";
    case VGG_CONV_WINO4: return "wino4";
    case VGG_CONV_WINO2: return "wino2";
    case VGG_CONV_DIRECT8: return "direct8";
    }
    return "?";
}

const char *vgg_cpu_isa_name(vgg_cpu_isa isa)
{
    switch (isa) {
    case VGG_ISA_BASE: return "base";
    case VGG_ISA_AVX2: return "avx2";
    case VGG_ISA_AVX512: return "avx512";
    case VGG_ISA_AVX512_BF16: return "avx512+bf16";
    }
    return "?";
}
