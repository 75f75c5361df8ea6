/* Whether the Winograd kernels of wino_avx2.c may run on this CPU.  This
 * file is compiled for any x86-64 (no -mavx2): it only asks. */
#include "wino.h"

#include <stdatomic.h>

bool vgg_wino_supported(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    /* the checks include the system's saving of the YMM registers */
    return vgg_wino_compiled && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

static atomic_int tile512_forced = -1;

bool vgg_tile512_possible(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    /* the check includes the system's saving of the ZMM registers */
    return vgg_wino_supported() && __builtin_cpu_supports("avx512f");
#else
    return false;
#endif
}

bool vgg_tile512(void)
{
    return atomic_load(&tile512_forced) != 0 && vgg_tile512_possible();
}

void vgg_set_tile512(int on)
{
    tile512_forced = on < 0 ? -1 : on != 0;
}
