/* What the NEON INT8 micro-kernels of 4x16 tiles (arch/arm/neon/q8_gemm_4x16.c and
 * arch/arm/neondot/q8_gemm_4x16.c) share: their start (Q8_BEGIN_4x16), the epilogue (dequantization,
 * bias, residual, full and partial row stores) and the store of a whole tile (Q8_STORE_4x16). The
 * including file defines MR (4), NR (16) and Q8_ZA_SHIFT (the shift its accumulators carry: 0, or 128 for
 * sdot); its kernel's parameters are named as in the kernel contract (a, lda, mr, nr, c, ldc, epi). */
#ifndef RTJ_Q8_EPILOGUE_NEON_H
#define RTJ_Q8_EPILOGUE_NEON_H

#include <arm_neon.h>
#include <string.h>

#include "../../kernels/rtj_kernels.h"

/* Columns 4j..4j+3 of row i dequantized: sa sw (acc - za w_sum) + bias [+ res]. A kernel whose
 * accumulators hold acc' = acc - Q8_ZA_SHIFT * w_sum (sdot on activations shifted into s8) gets the same
 * through acc' - (za - Q8_ZA_SHIFT) w_sum. The integer difference is exact (true value far inside int32;
 * SMLS wraps like the true value); the float part rounds as the scalar kernel does: (sa * sw) * v, then
 * + bias. w_scale, w_sum and bias are NR values (padded), so
 * whole vectors are readable even for a partial tile; res is not (see finish_partial). */
static inline float32x4_t dequant4(int32x4_t acc, size_t j, float sa, int32_t za, const rtj_q8_epi *epi,
                                   const float *res)
{
    const int32x4_t v = vmlsq_n_s32(acc, vld1q_s32(epi->w_sum + 4 * j), za - Q8_ZA_SHIFT);
    float32x4_t y = vmulq_f32(vmulq_n_f32(vld1q_f32(epi->w_scale + 4 * j), sa), vcvtq_f32_s32(v));
    if (epi->bias)
        y = vaddq_f32(y, vld1q_f32(epi->bias + 4 * j));
    if (res)
        y = vaddq_f32(y, vld1q_f32(res + 4 * j));
    return y;
}

/* A full-width row straight from the accumulators: vector code only, no calls. */
#define STORE_RAW(i)                                                                                   \
    do {                                                                                               \
        int32_t *ci = (int32_t *)c + (i) * ldc;                                                        \
        vst1q_s32(ci, acc##i##_0);                                                                     \
        vst1q_s32(ci + 4, acc##i##_1);                                                                 \
        vst1q_s32(ci + 8, acc##i##_2);                                                                 \
        vst1q_s32(ci + 12, acc##i##_3);                                                                \
    } while (0)

#define FINISH_FULL(i)                                                                                 \
    do {                                                                                               \
        float *ci = (float *)c + (i) * ldc;                                                            \
        const float *ri = res ? res + (i) * epi->ldres : NULL;                                         \
        const float sa = epi->a_scale[i];                                                              \
        const int32_t za = epi->a_zero[i];                                                             \
        vst1q_f32(ci, dequant4(acc##i##_0, 0, sa, za, epi, ri));                                       \
        vst1q_f32(ci + 4, dequant4(acc##i##_1, 1, sa, za, epi, ri));                                   \
        vst1q_f32(ci + 8, dequant4(acc##i##_2, 2, sa, za, epi, ri));                                   \
        vst1q_f32(ci + 12, dequant4(acc##i##_3, 3, sa, za, epi, ri));                                  \
    } while (0)

#define STORE_TILE(i)                                                                                  \
    do {                                                                                               \
        vst1q_s32(tile[i], acc##i##_0);                                                                \
        vst1q_s32(tile[i] + 4, acc##i##_1);                                                            \
        vst1q_s32(tile[i] + 8, acc##i##_2);                                                            \
        vst1q_s32(tile[i] + 12, acc##i##_3);                                                           \
    } while (0)

/* A row narrower than NR through stack copies: no column at or past nr of C or res is touched (they
 * belong to the next tile or lie past the end of the buffer). Raw rows must arrive unshifted. */
static void finish_partial(const int32_t *t, size_t i, void *c, size_t nr, const rtj_q8_epi *epi,
                           const float *res)
{
    if (!epi) {
        memcpy(c, t, nr * sizeof(int32_t));
        return;
    }
    float ybuf[NR], rbuf[NR] = {0};
    if (res)
        memcpy(rbuf, res, nr * sizeof *res);
    for (size_t j = 0; j < NR / 4; j++)
        vst1q_f32(ybuf + 4 * j,
                  dequant4(vld1q_s32(t + 4 * j), j, epi->a_scale[i], epi->a_zero[i], epi, res ? rbuf : NULL));
    memcpy(c, ybuf, nr * sizeof(float));
}

/* The start of a 4x16 micro-kernel: row pointers a0..a3 into a (rows at or past mr read the last valid
 * row: always mapped, and their sums are never stored) and the 16 accumulators acc<i>_<0..3>, zero. */
#define ZERO_ROW(i)                                                                                    \
    int32x4_t acc##i##_0 = vdupq_n_s32(0), acc##i##_1 = acc##i##_0, acc##i##_2 = acc##i##_0,           \
              acc##i##_3 = acc##i##_0
#define Q8_BEGIN_4x16()                                                                                \
    const uint8_t *a0 = a;                                                                             \
    const uint8_t *a1 = mr > 1 ? a0 + lda : a0;                                                        \
    const uint8_t *a2 = mr > 2 ? a1 + lda : a1;                                                        \
    const uint8_t *a3 = mr > 3 ? a2 + lda : a2;                                                        \
    ZERO_ROW(0);                                                                                       \
    ZERO_ROW(1);                                                                                       \
    ZERO_ROW(2);                                                                                       \
    ZERO_ROW(3)

/* OP(i) for each row i < mr (mr >= 1). */
#define Q8_EACH_ROW(OP)                                                                                \
    do {                                                                                               \
        OP(0);                                                                                         \
        if (mr > 1)                                                                                    \
            OP(1);                                                                                     \
        if (mr > 2)                                                                                    \
            OP(2);                                                                                     \
        if (mr > 3)                                                                                    \
            OP(3);                                                                                     \
    } while (0)

/* The end of a 4x16 micro-kernel: its mr x nr tile stored from the accumulators (raw int32 when epi is
 * NULL, else dequantized with the epilogue), then GELU. Expects mr, nr, c, ldc and epi in scope and raw
 * accumulators unshifted. */
#define Q8_STORE_4x16()                                                                                \
    do {                                                                                               \
        const float *res = epi && epi->op == RTJ_EPI_RESIDUAL ? epi->res : NULL;                       \
        if (nr == NR && !epi) {                                                                        \
            Q8_EACH_ROW(STORE_RAW);                                                                    \
        } else if (nr == NR) {                                                                         \
            Q8_EACH_ROW(FINISH_FULL);                                                                  \
        } else {                                                                                       \
            /* memcpy is a call, which clobbers the q registers: the sums go to the stack first. */    \
            int32_t tile[MR][NR];                                                                      \
            STORE_TILE(0);                                                                             \
            STORE_TILE(1);                                                                             \
            STORE_TILE(2);                                                                             \
            STORE_TILE(3);                                                                             \
            const size_t csize = epi ? sizeof(float) : sizeof(int32_t);                                \
            for (size_t i = 0; i < mr; i++)                                                            \
                finish_partial(tile[i], i, (char *)c + i * ldc * csize, nr, epi,                       \
                               res ? res + i * epi->ldres : NULL);                                     \
        }                                                                                              \
        /* GELU last, on stored rows (it needs the whole row of y; no accumulator is live now). */    \
        if (epi && epi->op == RTJ_EPI_GELU)                                                            \
            for (size_t i = 0; i < mr; i++)                                                            \
                rtj_f32_gelu__neon(nr, (float *)c + i * ldc, (float *)c + i * ldc);                    \
    } while (0)

#endif
