/* The int8 chain's FINISH step (quant.h) with AVX2 + FMA: eight channels
 * a vector, each lane the plain code's expression (the same bits).  This
 * file is compiled with -mavx2 -mfma (net/CMakeLists.txt); nothing in it
 * runs unless vgg_wino_supported() (wino.c) said yes. */
#include "quant.h"

#include <omp.h>
#include <stdint.h>
#include <stdlib.h>

#if defined(__x86_64__) && defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>

const bool vgg_finish_compiled = true;

/* v = fma(x, a, b), then max(v, 0) if relu, for 8 channels at k */
static inline __m256 value8(const vgg_finish_shape *s, const void *x, size_t k, __m256 a,
                            __m256 b)
{
    const __m256 xv = s->in_s32
                          ? _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)((
                                                                      const int32_t *)x + k)))
                          : _mm256_loadu_ps((const float *)x + k);
    const __m256 v = _mm256_fmadd_ps(xv, a, b);
    return s->relu ? _mm256_max_ps(v, _mm256_setzero_ps()) : v;
}

void vgg_finish_avx2(const vgg_finish_shape *s, const void *x, void *y, const float *sin,
                     float *sout, const float *scales, const float *bias)
{
    const int n = s->n, ch = s->c;
    const size_t hw = s->hw, per = hw * (size_t)ch;
    /* each image's multipliers and the biases, channel by channel */
    float *ab = malloc(((size_t)n + 1) * ch * sizeof *ab);
    float *part = malloc(256 * sizeof *part);
    if (!ab || !part) {   /* (a few KB; the plain code needs none) */
        free(ab);
        free(part);
        vgg_finish_plain(s, x, y, sin, sout, scales, bias);
        return;
    }
    float *b = ab + (size_t)n * ch;
    for (int c = 0; c < ch; c++) {
        b[c] = bias ? bias[c] : 0.0f;
        for (int i = 0; i < n; i++)
            ab[(size_t)i * ch + c] = s->in_s32 ? (sin ? sin[i] : 1.0f) * scales[c] : 1.0f;
    }
    int threads = s->threads < 1 ? 1 : s->threads > 256 ? 256 : s->threads;
#pragma omp parallel num_threads(threads)
    {
        const int me = omp_get_thread_num(), nth = omp_get_num_threads();
        const size_t p0 = hw * me / nth, p1 = hw * (me + 1) / nth;
        for (int i = 0; i < n; i++) {
            const float *a = ab + (size_t)i * ch;
            const size_t base = (size_t)i * per;
            __m256 m8 = _mm256_setzero_ps();
            for (size_t p = p0; p < p1; p++)
                for (int c = 0; c < ch; c += 8) {
                    const size_t k = base + p * ch + c;
                    const __m256 v = value8(s, x, k, _mm256_loadu_ps(a + c), _mm256_loadu_ps(b + c));
                    if (!s->out_u8)
                        _mm256_storeu_ps((float *)y + k, v);
                    m8 = _mm256_max_ps(m8, v);
                }
            if (!s->out_u8)
                continue;
            /* the image's largest value: the threads' maxima, combined once */
            float lanes[8];
            _mm256_storeu_ps(lanes, m8);
            float m = 0.0f;
            for (int l = 0; l < 8; l++)
                m = lanes[l] > m ? lanes[l] : m;
            part[me] = m;
#pragma omp barrier
            m = 0.0f;
            for (int t = 0; t < nth; t++)
                m = part[t] > m ? part[t] : m;
            const float inv = m > 0.0f ? 255.0f / m : 1.0f;
#pragma omp barrier
            if (me == 0)
                sout[i] = m > 0.0f ? m / 255.0f : 1.0f;
            const __m256 inv8 = _mm256_set1_ps(inv), half = _mm256_set1_ps(0.5f);
            const __m256 zero = _mm256_setzero_ps(), top = _mm256_set1_ps(255.0f);
            for (size_t p = p0; p < p1; p++)
                for (int c = 0; c < ch; c += 8) {
                    const size_t k = base + p * ch + c;
                    const __m256 v = value8(s, x, k, _mm256_loadu_ps(a + c), _mm256_loadu_ps(b + c));
                    const __m256 q = _mm256_min_ps(
                        _mm256_max_ps(_mm256_fmadd_ps(v, inv8, half), zero), top);
                    const __m256i q32 = _mm256_cvttps_epi32(q);
                    const __m128i q16 = _mm_packus_epi32(_mm256_castsi256_si128(q32),
                                                         _mm256_extracti128_si256(q32, 1));
                    _mm_storel_epi64((__m128i *)((uint8_t *)y + k), _mm_packus_epi16(q16, q16));
                }
        }
    }
    free(ab);
    free(part);
}

#else /* no AVX2 at compile time: vgg_finish_run uses the plain code */

const bool vgg_finish_compiled = false;

void vgg_finish_avx2(const vgg_finish_shape *s, const void *x, void *y, const float *sin,
                     float *sout, const float *scales, const float *bias)
{
    vgg_finish_plain(s, x, y, sin, sout, scales, bias);
}

#endif
