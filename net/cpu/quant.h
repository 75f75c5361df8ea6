/* The int8 chain's FINISH step (dnnl.c, --precision int8): from the NHWC
 * map of an int8 convolution's exact s32 sums (or of f32 values), the
 * real values, and from them the next convolution's u8 input with one
 * scale an image, or f32.
 *
 * For image i, channel c and position p, with x its value:
 *   a = sin[i] * scales[c] (s32 sums; sin NULL: 1), or 1 (f32 values)
 *   v = fma(x, a, bias[c])            (bias NULL: 0), then max(v, 0) if relu
 * f32 out: v.  u8 out: m = the largest v of the image,
 *   q = (int)min(max(fma(v, 255 / m, 0.5), 0), 255)   (m 0: 255 / m is 1)
 * and sout[i] = m / 255 (1 where m is 0), so that v ~ q * sout[i].
 * Every value is the same expression of its own x, image and channel, by
 * fused multiply-adds, so the vector code (quant_avx2.c) and the plain
 * code give the same bits. */
#ifndef VGG_NET_CPU_QUANT_H
#define VGG_NET_CPU_QUANT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct vgg_finish_shape {
    int n, c;          /* images, channels */
    size_t hw;         /* positions an image */
    bool in_s32;       /* x: s32 sums (else f32 values) */
    bool out_u8;       /* y: u8 (else f32) */
    bool relu;
    int threads;
} vgg_finish_shape;

/* The step, by the vector code where the CPU has AVX2 + FMA and c is a
 * multiple of 8, else by vgg_finish_plain. */
void vgg_finish_run(const vgg_finish_shape *s, const void *x, void *y, const float *sin,
                    float *sout, const float *scales, const float *bias);
/* the plain code (the reference of the vector code's bits) */
void vgg_finish_plain(const vgg_finish_shape *s, const void *x, void *y, const float *sin,
                      float *sout, const float *scales, const float *bias);

/* quant_avx2.c: the vector code (c a multiple of 8; AVX2 + FMA, which
 * vgg_wino_supported() checks); vgg_finish_compiled says whether it was
 * built */
extern const bool vgg_finish_compiled;
void vgg_finish_avx2(const vgg_finish_shape *s, const void *x, void *y, const float *sin,
                     float *sout, const float *scales, const float *bias);

#endif
