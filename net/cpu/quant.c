/* The int8 chain's FINISH step (quant.h): the plain code and the choice
 * of the vector code.  Compiled for any x86-64 (and elsewhere). */
#include "quant.h"

#include <math.h>
#include <stdint.h>

#include "wino.h"

void vgg_finish_run(const vgg_finish_shape *s, const void *x, void *y, const float *sin,
                    float *sout, const float *scales, const float *bias)
{
    if (vgg_finish_compiled && s->c % 8 == 0 && vgg_wino_supported())
        vgg_finish_avx2(s, x, y, sin, sout, scales, bias);
    else
        vgg_finish_plain(s, x, y, sin, sout, scales, bias);
}

/* channel c's multiplier for image i */
static float mult(const vgg_finish_shape *s, const float *sin, const float *scales, int i, int c)
{
    return s->in_s32 ? (sin ? sin[i] : 1.0f) * scales[c] : 1.0f;
}

static float value(const vgg_finish_shape *s, const void *x, size_t k, float a, float b)
{
    const float v = fmaf(s->in_s32 ? (float)((const int32_t *)x)[k] : ((const float *)x)[k], a, b);
    return s->relu ? (v > 0.0f ? v : 0.0f) : v;   /* as _mm256_max_ps(v, 0): +0 for -0 */
}

void vgg_finish_plain(const vgg_finish_shape *s, const void *x, void *y, const float *sin,
                      float *sout, const float *scales, const float *bias)
{
    const int n = s->n, ch = s->c;
    const size_t hw = s->hw, per = hw * (size_t)ch;
    for (int i = 0; i < n; i++) {
        float m = 0.0f;
#pragma omp parallel for schedule(static) num_threads(s->threads) reduction(max : m)
        for (size_t p = 0; p < hw; p++)
            for (int c = 0; c < ch; c++) {
                const size_t k = (size_t)i * per + p * ch + c;
                const float v = value(s, x, k, mult(s, sin, scales, i, c), bias ? bias[c] : 0.0f);
                if (!s->out_u8)
                    ((float *)y)[k] = v;
                m = v > m ? v : m;
            }
        if (!s->out_u8)
            continue;
        const float inv = m > 0.0f ? 255.0f / m : 1.0f;
        sout[i] = m > 0.0f ? m / 255.0f : 1.0f;
#pragma omp parallel for schedule(static) num_threads(s->threads)
        for (size_t p = 0; p < hw; p++)
            for (int c = 0; c < ch; c++) {
                const size_t k = (size_t)i * per + p * ch + c;
                const float v = value(s, x, k, mult(s, sin, scales, i, c), bias ? bias[c] : 0.0f);
                const float t = fmaf(v, inv, 0.5f);
                const float q = t > 0.0f ? (t < 255.0f ? t : 255.0f) : 0.0f;
                ((uint8_t *)y)[k] = (uint8_t)(int)q;
            }
    }
}
