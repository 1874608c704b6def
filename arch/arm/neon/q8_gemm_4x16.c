/* NEON INT8 GEMM micro-kernel for cores without dotprod, 4x16 tile (one weight panel; contract and
 * packed layout: kernels/rtj_kernels.h).
 *
 * Exact u8 x s8 with no shift: activations are widened u8 -> u16 (0..255, also valid as s16), weights
 * s8 -> s16, and SMLAL (by element) forms each product s16 x s16 -> s32 exactly and adds it to an int32
 * lane. No partial sum ever lives in 16 bits, so nothing saturates and q8_act_max is the full 255.
 * (The alternative, SMULL.8B after an XOR 0x80 shift, adds two products in int16 before SADALP: more
 * products per instruction, but 8 accumulators of 2 columns x 2 partial sums per row, a reduction at
 * the end and a 128 * w_sum correction; 4 rows would take 32 accumulators.)
 * The packed panel stores one 32-bit lane per column (4 k); LD4 de-interleaves a group of 4 k into four
 * vectors of 16 columns, one per k, which is the operand shape multiply-by-element wants.
 * Register budget (32 q registers): 16 accumulators (4 rows x 4 vectors of 4 columns) + 4 A slices (8 k
 * of a row widened to s16) + 4 LD4 outputs + 2 widened weight halves = 26. 6 rows would need
 * 24 + 6 + 4 + 2 = 36. Per group of 4 k: 1 LD4 + 8 widenings for 64 SMLALs (256 MACs). */
#include <string.h>

#include <arm_neon.h>

#include "../../../kernels/kernel_list.h"

#define MR 4
#define NR 16

/* acc row i += (k of columns 0..7: wlo, 8..15: whi) * lane s of the row's A slice x_i. */
#define MAC_ROW(i, s)                                                                                  \
    do {                                                                                               \
        acc##i##_0 = vmlal_laneq_s16(acc##i##_0, vget_low_s16(wlo), x##i, s);                          \
        acc##i##_1 = vmlal_high_laneq_s16(acc##i##_1, wlo, x##i, s);                                   \
        acc##i##_2 = vmlal_laneq_s16(acc##i##_2, vget_low_s16(whi), x##i, s);                          \
        acc##i##_3 = vmlal_high_laneq_s16(acc##i##_3, whi, x##i, s);                                   \
    } while (0)

/* One k: wk holds it for the 16 columns; s is its lane in the A slices. */
#define STEP(wk, s)                                                                                    \
    do {                                                                                               \
        const int16x8_t wlo = vmovl_s8(vget_low_s8(wk)), whi = vmovl_high_s8(wk);                      \
        MAC_ROW(0, s);                                                                                 \
        MAC_ROW(1, s);                                                                                 \
        MAC_ROW(2, s);                                                                                 \
        MAC_ROW(3, s);                                                                                 \
    } while (0)

/* One group of 4 k (64 packed bytes at wp), lanes s0..s0+3 of the A slices. */
#define GROUP(wp, s0)                                                                                  \
    do {                                                                                               \
        const int8x16x4_t wg = vld4q_s8(wp);                                                           \
        STEP(wg.val[0], (s0) + 0);                                                                     \
        STEP(wg.val[1], (s0) + 1);                                                                     \
        STEP(wg.val[2], (s0) + 2);                                                                     \
        STEP(wg.val[3], (s0) + 3);                                                                     \
    } while (0)

/* 8 k of a row, u8 -> s16. */
static inline int16x8_t load8(const uint8_t *p) { return vreinterpretq_s16_u16(vmovl_u8(vld1_u8(p))); }

/* 4 k of a row into lanes 0..3 (repeated in 4..7): a 4-byte load, so no byte past k_pad is read. */
static inline int16x8_t load4(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return vreinterpretq_s16_u16(vmovl_u8(vreinterpret_u8_u32(vdup_n_u32(v))));
}

#define Q8_ZA_SHIFT 0
#include "../q8_epilogue_neon.h"

void rtj_q8_gemm_ukernel_4x16__neon(size_t mr, size_t nr, size_t k_pad, const uint8_t *a, size_t lda,
                                    const int8_t *w, size_t panel_stride, void *c, size_t ldc,
                                    const rtj_q8_epi *epi)
{
    (void)panel_stride; /* NR = one panel */
    Q8_BEGIN_4x16();

    /* Two groups (8 k, one 8-byte load per row) per iteration. An odd number of groups (k_pad % 8 == 4):
     * one goes alone first, with 4-byte A loads, so that the 8-byte loads end exactly at k_pad. */
    size_t k = 0;
    if (k_pad % 8) {
        const int16x8_t x0 = load4(a0), x1 = load4(a1), x2 = load4(a2), x3 = load4(a3);
        GROUP(w, 0);
        k = 4;
        w += 4 * NR;
    }
    for (; k < k_pad; k += 8, w += 8 * NR) {
        const int16x8_t x0 = load8(a0 + k), x1 = load8(a1 + k), x2 = load8(a2 + k), x3 = load8(a3 + k);
        GROUP(w, 0);
        GROUP(w + 4 * NR, 4);
    }

    Q8_STORE_4x16();
}
