/* NEON FP32 GEMM micro-kernel, 8x12 tile (contract: kernels/rtj_kernels.h).
 *
 * Register budget (32 q registers): 24 accumulators (8 rows x 3 vectors of 4 columns), 3 for the W row of
 * one k, and 4 for A. A is read in place, 4 k values of a row per load, and each value is broadcast from
 * its lane by FMLA (by element). Holding the 4-k slices of all 8 rows at once would need 24 + 3 + 8 = 35
 * registers and spill, so each group of 4 k runs in two halves: rows 0-3, then rows 4-7, the second half
 * loading the same 12 W vectors again from L1. That costs 32 loads per 96 FMAs, well within what every
 * aarch64 core issues beside its FMAs, and keeps 24 independent accumulator chains: enough to hide a
 * 4-cycle FMA latency on cores with 4 FMA pipes (Cortex-X, Neoverse V, Apple), where 12 or 16 are not. */
#include <string.h>

#include "vec.h"
#include "../../../kernels/kernel_list.h"

#define MR 8
#define NR 12

/* The compiler would otherwise see that the second half's W loads repeat the first half's, keep all 12
 * W vectors live across the halves (24 + 12 + 4 registers) and spill accumulators inside the loop. An
 * empty asm with a memory clobber makes it load them again; it emits no instruction. */
#if defined(__GNUC__)
#define RELOAD_BARRIER() __asm__ __volatile__("" ::: "memory")
#else
#define RELOAD_BARRIER() ((void)0)
#endif

/* acc row i (3 vectors) += W row of k step s (w0, w1, w2) * lane s of x. */
#define FMA_ROW(i, x, s)                                                                               \
    do {                                                                                               \
        acc##i##_0 = vfmaq_laneq_f32(acc##i##_0, w0, x, s);                                            \
        acc##i##_1 = vfmaq_laneq_f32(acc##i##_1, w1, x, s);                                            \
        acc##i##_2 = vfmaq_laneq_f32(acc##i##_2, w2, x, s);                                            \
    } while (0)

/* One k step (s in 0..3 of the current group of 4) for four rows whose A slices are x_i0..x_i3. */
#define STEP4(s, i0, i1, i2, i3)                                                                       \
    do {                                                                                               \
        const float32x4_t w0 = vld1q_f32(w + (s) * NR);                                                \
        const float32x4_t w1 = vld1q_f32(w + (s) * NR + 4);                                            \
        const float32x4_t w2 = vld1q_f32(w + (s) * NR + 8);                                            \
        FMA_ROW(i0, x##i0, s);                                                                         \
        FMA_ROW(i1, x##i1, s);                                                                         \
        FMA_ROW(i2, x##i2, s);                                                                         \
        FMA_ROW(i3, x##i3, s);                                                                         \
        RELOAD_BARRIER();                                                                              \
    } while (0)

/* 4 k values of rows i0..i3 from k, then the 4 k steps. */
#define QUAD4(i0, i1, i2, i3)                                                                          \
    do {                                                                                               \
        const float32x4_t x##i0 = vld1q_f32(a##i0 + k);                                                \
        const float32x4_t x##i1 = vld1q_f32(a##i1 + k);                                                \
        const float32x4_t x##i2 = vld1q_f32(a##i2 + k);                                                \
        const float32x4_t x##i3 = vld1q_f32(a##i3 + k);                                                \
        STEP4(0, i0, i1, i2, i3);                                                                      \
        STEP4(1, i0, i1, i2, i3);                                                                      \
        STEP4(2, i0, i1, i2, i3);                                                                      \
        STEP4(3, i0, i1, i2, i3);                                                                      \
    } while (0)

/* The last kc % 4 values of a row: one k at a time, A broadcast by a scalar load, so that no load reads
 * past column kc - 1 of A (the row may end a mapping) and no W row past kc is touched. */
#define TAIL_ROW(i)                                                                                    \
    do {                                                                                               \
        const float32x4_t x = vld1q_dup_f32(a##i + k);                                                 \
        acc##i##_0 = vfmaq_f32(acc##i##_0, w0, x);                                                     \
        acc##i##_1 = vfmaq_f32(acc##i##_1, w1, x);                                                     \
        acc##i##_2 = vfmaq_f32(acc##i##_2, w2, x);                                                     \
    } while (0)

#define ZERO_ROW(i) float32x4_t acc##i##_0 = vdupq_n_f32(0.0f), acc##i##_1 = acc##i##_0, acc##i##_2 = acc##i##_0

/* Row i of C from its accumulators v0..v2: C (accumulate), alpha, bias, residual, store, GELU. A row
 * shorter than NR goes through a stack copy so that no column at or past nr of C or res is read or
 * written (they may belong to the next tile, or lie past the end of the buffer). */
static inline void finish_row(float32x4_t v0, float32x4_t v1, float32x4_t v2, float *c, size_t nr,
                              int accumulate, const rtj_f32_epi *epi, const float *res)
{
    float cbuf[NR], rbuf[NR];
    float *cp = c;
    const float *rp = res;
    if (nr < NR) {
        memset(cbuf, 0, sizeof cbuf);
        if (accumulate)
            memcpy(cbuf, c, nr * sizeof *c);
        cp = cbuf;
        if (epi && epi->op == RTJ_EPI_RESIDUAL) {
            memset(rbuf, 0, sizeof rbuf);
            memcpy(rbuf, res, nr * sizeof *res);
            rp = rbuf;
        }
    }
    if (accumulate) {
        v0 = vaddq_f32(v0, vld1q_f32(cp));
        v1 = vaddq_f32(v1, vld1q_f32(cp + 4));
        v2 = vaddq_f32(v2, vld1q_f32(cp + 8));
    }
    if (epi) {
        const float32x4_t alpha = vdupq_n_f32(epi->alpha);
        if (epi->bias) {
            /* the bias is NR floats, padded: read whole even for a partial tile */
            v0 = vfmaq_f32(vld1q_f32(epi->bias), v0, alpha);
            v1 = vfmaq_f32(vld1q_f32(epi->bias + 4), v1, alpha);
            v2 = vfmaq_f32(vld1q_f32(epi->bias + 8), v2, alpha);
        } else {
            v0 = vmulq_f32(v0, alpha);
            v1 = vmulq_f32(v1, alpha);
            v2 = vmulq_f32(v2, alpha);
        }
        if (epi->op == RTJ_EPI_RESIDUAL) {
            v0 = vaddq_f32(v0, vld1q_f32(rp));
            v1 = vaddq_f32(v1, vld1q_f32(rp + 4));
            v2 = vaddq_f32(v2, vld1q_f32(rp + 8));
        }
    }
    vst1q_f32(cp, v0);
    vst1q_f32(cp + 4, v1);
    vst1q_f32(cp + 8, v2);
    if (nr < NR)
        memcpy(c, cbuf, nr * sizeof *c);
    if (epi && epi->op == RTJ_EPI_GELU)
        rtj_f32_gelu__neon(nr, c, c);
}

void rtj_f32_gemm_ukernel_8x12__neon(size_t mr, size_t nr, size_t kc, const float *a, size_t lda,
                                     const float *w, float *c, size_t ldc, int accumulate,
                                     const rtj_f32_epi *epi)
{
    /* Rows at or past mr read the last valid row: always mapped, and their sums are never stored. */
    const float *a0 = a;
    const float *a1 = mr > 1 ? a0 + lda : a0;
    const float *a2 = mr > 2 ? a1 + lda : a1;
    const float *a3 = mr > 3 ? a2 + lda : a2;
    const float *a4 = mr > 4 ? a3 + lda : a3;
    const float *a5 = mr > 5 ? a4 + lda : a4;
    const float *a6 = mr > 6 ? a5 + lda : a5;
    const float *a7 = mr > 7 ? a6 + lda : a6;
    ZERO_ROW(0);
    ZERO_ROW(1);
    ZERO_ROW(2);
    ZERO_ROW(3);
    ZERO_ROW(4);
    ZERO_ROW(5);
    ZERO_ROW(6);
    ZERO_ROW(7);

    size_t k = 0;
    if (mr > 4) {
        for (; k + 4 <= kc; k += 4, w += 4 * NR) {
            QUAD4(0, 1, 2, 3);
            RELOAD_BARRIER();
            QUAD4(4, 5, 6, 7);
        }
        for (; k < kc; k++, w += NR) {
            const float32x4_t w0 = vld1q_f32(w), w1 = vld1q_f32(w + 4), w2 = vld1q_f32(w + 8);
            TAIL_ROW(0);
            TAIL_ROW(1);
            TAIL_ROW(2);
            TAIL_ROW(3);
            TAIL_ROW(4);
            TAIL_ROW(5);
            TAIL_ROW(6);
            TAIL_ROW(7);
        }
    } else {
        /* Up to 4 rows (the M edge, and m = 1 pooler-style products): half the FMAs, no W reloads. */
        for (; k + 4 <= kc; k += 4, w += 4 * NR)
            QUAD4(0, 1, 2, 3);
        for (; k < kc; k++, w += NR) {
            const float32x4_t w0 = vld1q_f32(w), w1 = vld1q_f32(w + 4), w2 = vld1q_f32(w + 8);
            TAIL_ROW(0);
            TAIL_ROW(1);
            TAIL_ROW(2);
            TAIL_ROW(3);
        }
    }

    const float *res = epi && epi->op == RTJ_EPI_RESIDUAL ? epi->res : NULL;
    const size_t ldres = res ? epi->ldres : 0;
    finish_row(acc0_0, acc0_1, acc0_2, c, nr, accumulate, epi, res);
    if (mr > 1)
        finish_row(acc1_0, acc1_1, acc1_2, c + ldc, nr, accumulate, epi, res ? res + ldres : NULL);
    if (mr > 2)
        finish_row(acc2_0, acc2_1, acc2_2, c + 2 * ldc, nr, accumulate, epi, res ? res + 2 * ldres : NULL);
    if (mr > 3)
        finish_row(acc3_0, acc3_1, acc3_2, c + 3 * ldc, nr, accumulate, epi, res ? res + 3 * ldres : NULL);
    if (mr > 4)
        finish_row(acc4_0, acc4_1, acc4_2, c + 4 * ldc, nr, accumulate, epi, res ? res + 4 * ldres : NULL);
    if (mr > 5)
        finish_row(acc5_0, acc5_1, acc5_2, c + 5 * ldc, nr, accumulate, epi, res ? res + 5 * ldres : NULL);
    if (mr > 6)
        finish_row(acc6_0, acc6_1, acc6_2, c + 6 * ldc, nr, accumulate, epi, res ? res + 6 * ldres : NULL);
    if (mr > 7)
        finish_row(acc7_0, acc7_1, acc7_2, c + 7 * ldc, nr, accumulate, epi, res ? res + 7 * ldres : NULL);
}
