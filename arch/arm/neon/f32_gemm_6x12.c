/* NEON FP32 GEMM micro-kernel, 6x12 tile (contract: kernels/rtj_kernels.h).
 *
 * A is read in place, 4 k values of a row per load, and each value is broadcast from its lane by FMLA
 * (by element), so one k step costs 3 W loads for 18 FMAs. Register budget (32 q registers):
 * 18 accumulators (6 rows x 3 vectors of 4 columns) + 6 A slices + 3 W vectors = 27, which leaves the
 * compilers' schedulers room to load the next W row early; GCC 12 -O2 and clang 14 both keep the loop
 * free of stack traffic. 18 independent accumulators cover a 4-cycle FMA latency on cores with 4 FMA
 * pipes (Cortex-X, Neoverse V, Apple), which need 16, and 6 + 12 vector loads per 72 FMAs keep every
 * core FMA-bound.
 * 8x12 (24 accumulators) does not fit: its 8 A slices make 24 + 8 + 3 = 35 registers. Split into two
 * passes of 4 rows per k group (31 registers, W loaded twice) it compiled with a spill and 10 register
 * copies in the loop (GCC 12) or a spill (clang 14), for a worse 32 loads per 96 FMAs. */
#include <arm_neon.h>
#include <string.h>

#include "../../../kernels/kernel_list.h"

#define MR 6
#define NR 12

/* acc row i (3 vectors) += W row of k step s (w0, w1, w2) * lane s of the row's A slice x_i. */
#define FMA_ROW(i, s)                                                                                  \
    do {                                                                                               \
        acc##i##_0 = vfmaq_laneq_f32(acc##i##_0, w0, x##i, s);                                         \
        acc##i##_1 = vfmaq_laneq_f32(acc##i##_1, w1, x##i, s);                                         \
        acc##i##_2 = vfmaq_laneq_f32(acc##i##_2, w2, x##i, s);                                         \
    } while (0)

/* k step s (0..3) of the current group of 4. */
#define STEP(s)                                                                                        \
    do {                                                                                               \
        const float32x4_t w0 = vld1q_f32(w + (s) * NR);                                                \
        const float32x4_t w1 = vld1q_f32(w + (s) * NR + 4);                                            \
        const float32x4_t w2 = vld1q_f32(w + (s) * NR + 8);                                            \
        FMA_ROW(0, s);                                                                                 \
        FMA_ROW(1, s);                                                                                 \
        FMA_ROW(2, s);                                                                                 \
        FMA_ROW(3, s);                                                                                 \
        FMA_ROW(4, s);                                                                                 \
        FMA_ROW(5, s);                                                                                 \
    } while (0)

/* The kc % 4 values that do not fill a group of 4: one k at a time from a scalar load, so that no load
 * reads A past column kc - 1 (the row may end a mapping) and no W row past kc is touched. They go first,
 * not last: with this loop after the main one, GCC 12 gave one accumulator different registers in the
 * two loops and paid two register copies in every main-loop iteration. */
#define ONE_K_ROW(i)                                                                                   \
    do {                                                                                               \
        const float x = a##i[k];                                                                       \
        acc##i##_0 = vfmaq_n_f32(acc##i##_0, w0, x);                                                   \
        acc##i##_1 = vfmaq_n_f32(acc##i##_1, w1, x);                                                   \
        acc##i##_2 = vfmaq_n_f32(acc##i##_2, w2, x);                                                   \
    } while (0)

#define ZERO_ROW(i)                                                                                    \
    float32x4_t acc##i##_0 = vdupq_n_f32(0.0f), acc##i##_1 = acc##i##_0, acc##i##_2 = acc##i##_0

/* Columns 4j..4j+3 of a row: y = [C +] acc, then alpha * y + bias [+ res] when this is the last K
 * block. One vector at a time: grouping a row's three in float32x4x3_t made clang 14 allocate the
 * accumulators as register triples and spill them throughout the loop. */
static inline float32x4_t finish4(float32x4_t v, size_t j, const float *cin, int accumulate,
                                  const rtj_f32_epi *epi, const float *res)
{
    if (accumulate)
        v = vaddq_f32(v, vld1q_f32(cin + 4 * j));
    if (!epi)
        return v;
    const float32x4_t alpha = vdupq_n_f32(epi->alpha);
    /* the bias is NR floats, padded: whole vectors are readable even for a partial tile */
    v = epi->bias ? vfmaq_f32(vld1q_f32(epi->bias + 4 * j), v, alpha) : vmulq_f32(v, alpha);
    if (epi->op == RTJ_EPI_RESIDUAL)
        v = vaddq_f32(v, vld1q_f32(res + 4 * j));
    return v;
}

/* A full-width row straight from the accumulators: vector code only, no calls, so the accumulators of
 * the rows still to come stay in registers. */
#define FINISH_FULL(i)                                                                                 \
    do {                                                                                               \
        float *ci = c + (i) * ldc;                                                                     \
        const float *ri = res ? res + (i) * ldres : NULL;                                              \
        vst1q_f32(ci, finish4(acc##i##_0, 0, ci, accumulate, epi, ri));                                \
        vst1q_f32(ci + 4, finish4(acc##i##_1, 1, ci, accumulate, epi, ri));                            \
        vst1q_f32(ci + 8, finish4(acc##i##_2, 2, ci, accumulate, epi, ri));                            \
    } while (0)

#define STORE_TILE(i)                                                                                  \
    do {                                                                                               \
        vst1q_f32(tile[i], acc##i##_0);                                                                \
        vst1q_f32(tile[i] + 4, acc##i##_1);                                                            \
        vst1q_f32(tile[i] + 8, acc##i##_2);                                                            \
    } while (0)

/* A row narrower than NR goes through stack copies, so that no column at or past nr of C or res is read
 * or written: those belong to the next tile or lie past the end of the buffer. */
static void finish_partial(const float *t, float *c, size_t nr, int accumulate, const rtj_f32_epi *epi,
                           const float *res)
{
    float cbuf[NR] = {0}, rbuf[NR] = {0};
    if (accumulate)
        memcpy(cbuf, c, nr * sizeof *c);
    if (res)
        memcpy(rbuf, res, nr * sizeof *res);
    for (size_t j = 0; j < 3; j++)
        vst1q_f32(cbuf + 4 * j, finish4(vld1q_f32(t + 4 * j), j, cbuf, accumulate, epi, rbuf));
    memcpy(c, cbuf, nr * sizeof *c);
}

void rtj_f32_gemm_ukernel_6x12__neon(size_t mr, size_t nr, size_t kc, const float *a, size_t lda,
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
    ZERO_ROW(0);
    ZERO_ROW(1);
    ZERO_ROW(2);
    ZERO_ROW(3);
    ZERO_ROW(4);
    ZERO_ROW(5);

    size_t k = 0;
    for (; k < kc % 4; k++, w += NR) {
        const float32x4_t w0 = vld1q_f32(w), w1 = vld1q_f32(w + 4), w2 = vld1q_f32(w + 8);
        ONE_K_ROW(0);
        ONE_K_ROW(1);
        ONE_K_ROW(2);
        ONE_K_ROW(3);
        ONE_K_ROW(4);
        ONE_K_ROW(5);
    }
    for (; k < kc; k += 4, w += 4 * NR) {
        const float32x4_t x0 = vld1q_f32(a0 + k), x1 = vld1q_f32(a1 + k), x2 = vld1q_f32(a2 + k);
        const float32x4_t x3 = vld1q_f32(a3 + k), x4 = vld1q_f32(a4 + k), x5 = vld1q_f32(a5 + k);
        STEP(0);
        STEP(1);
        STEP(2);
        STEP(3);
    }

    const float *res = epi && epi->op == RTJ_EPI_RESIDUAL ? epi->res : NULL;
    const size_t ldres = res ? epi->ldres : 0;
    if (nr == NR) {
        FINISH_FULL(0);
        if (mr > 1)
            FINISH_FULL(1);
        if (mr > 2)
            FINISH_FULL(2);
        if (mr > 3)
            FINISH_FULL(3);
        if (mr > 4)
            FINISH_FULL(4);
        if (mr > 5)
            FINISH_FULL(5);
    } else {
        /* memcpy is a call, which clobbers every q register: the sums go to the stack first. */
        float tile[MR][NR];
        STORE_TILE(0);
        STORE_TILE(1);
        STORE_TILE(2);
        STORE_TILE(3);
        STORE_TILE(4);
        STORE_TILE(5);
        for (size_t i = 0; i < mr; i++)
            finish_partial(tile[i], c + i * ldc, nr, accumulate, epi, res ? res + i * ldres : NULL);
    }
    /* GELU is the table's vector kernel, a call: run on the stored rows, when no accumulator is live. */
    if (epi && epi->op == RTJ_EPI_GELU)
        for (size_t i = 0; i < mr; i++)
            rtj_f32_gelu__neon(nr, c + i * ldc, c + i * ldc);
}
