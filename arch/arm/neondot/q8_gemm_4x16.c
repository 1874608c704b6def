/* Armv8.2 dotprod INT8 GEMM micro-kernel, 4x16 tile (one weight panel; contract and packed layout:
 * kernels/rtj_kernels.h).
 *
 * SDOT multiplies signed by signed, and the activations are u8. Shifting them by XOR 0x80 gives
 * qa' = qa - 128 in [-128, 127], so SDOT accumulates exactly (4 products of at most 128 * 127 per lane
 * step, into int32)
 *     acc'[i][j] = sum_k (qa[i][k] - 128) qw[k][j] = acc[i][j] - 128 w_sum[j],
 * and the contract's values come back in int32:
 *     raw:       acc = acc' + 128 w_sum[j]                     (w_sum summed here: epi is NULL)
 *     dequant:   acc - za w_sum[j] = acc' - (za - 128) w_sum[j]
 * Both are exact: int32 arithmetic wraps, and the true results (|acc| <= 255 * 127 * k_pad) are far inside
 * int32, so q8_act_max stays 255.
 * The packed panel is SDOT's operand as stored: 16 bytes = 4 columns x 4 consecutive k. A row's A slice
 * of 8 k (2 groups) is one d register, and SDOT (by element) broadcasts its 32-bit lane g to 4 columns.
 * Register budget (32 q registers): 16 accumulators (4 rows x 4 vectors of 4 columns) + 4 A slices +
 * 8 W vectors + the 0x80 constant = 29, so even with every W load of a step hoisted (GCC 12's pre-RA
 * scheduler does that) nothing spills: GCC 12 -O2 and clang 14 keep the loop free of stack traffic and
 * register copies. Per 8 k: 8 W loads, 4 A loads and 4 XORs for 32 SDOTs; 16 independent accumulators
 * cover SDOT's latency on two pipes. Rejected: 8x16 needs 32 accumulators alone; 6x16 (24 + 6 A + W)
 * and 4x16 with 16 k per step (16 + 4 + 16 W hoisted = 36) both spilled in GCC 12's loop (20 and 6 stack
 * accesses per step; clang 14 kept both clean). The W panel of a tile is reused by every row tile of the
 * driver, so 4 rows cost L1 loads, not memory bandwidth. */
#include <string.h>

#include <arm_neon.h>

#include "../../../kernels/kernel_list.h"

#define MR 4
#define NR 16

/* Columns 4cb..4cb+3 of group g (lane g of the A slices), all rows: one W load, 4 SDOTs. */
#define COLS(cb, g)                                                                                    \
    do {                                                                                               \
        const int8x16_t wv = vld1q_s8(w + (g) * 4 * NR + (cb) * 16);                                   \
        acc0_##cb = vdotq_lane_s32(acc0_##cb, wv, x0, g);                                              \
        acc1_##cb = vdotq_lane_s32(acc1_##cb, wv, x1, g);                                              \
        acc2_##cb = vdotq_lane_s32(acc2_##cb, wv, x2, g);                                              \
        acc3_##cb = vdotq_lane_s32(acc3_##cb, wv, x3, g);                                              \
    } while (0)

#define GROUP(g)                                                                                       \
    do {                                                                                               \
        COLS(0, g);                                                                                    \
        COLS(1, g);                                                                                    \
        COLS(2, g);                                                                                    \
        COLS(3, g);                                                                                    \
    } while (0)

/* 8 k of a row (2 groups), u8 -> s8 minus 128. */
static inline int8x8_t load8(const uint8_t *p)
{
    return vreinterpret_s8_u8(veor_u8(vld1_u8(p), vdup_n_u8(0x80)));
}

/* 4 k of a row into lane 0 (and the others): a 4-byte load, so no byte past k_pad is read. */
static inline int8x8_t load4(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return vreinterpret_s8_u8(veor_u8(vreinterpret_u8_u32(vdup_n_u32(v)), vdup_n_u8(0x80)));
}

#define Q8_ZA_SHIFT 128
#include "../q8_epilogue_neon.h"

/* Raw accumulators: acc' + 128 w_sum (ws0..ws3 hold 128 w_sum by columns). */
#define UNSHIFT_ROW(i)                                                                                 \
    do {                                                                                               \
        acc##i##_0 = vaddq_s32(acc##i##_0, ws0);                                                       \
        acc##i##_1 = vaddq_s32(acc##i##_1, ws1);                                                       \
        acc##i##_2 = vaddq_s32(acc##i##_2, ws2);                                                       \
        acc##i##_3 = vaddq_s32(acc##i##_3, ws3);                                                       \
    } while (0)

void rtj_q8_gemm_ukernel_4x16__neondot(size_t mr, size_t nr, size_t k_pad, const uint8_t *a, size_t lda,
                                       const int8_t *w, size_t panel_stride, void *c, size_t ldc,
                                       const rtj_q8_epi *epi)
{
    (void)panel_stride; /* NR = one panel */
    const int8_t *const w0 = w;
    Q8_BEGIN_4x16();

    /* An odd number of groups (k_pad % 8 == 4): one goes alone first, with 4-byte A loads, so that the
     * 8-byte loads of the main loop end exactly at k_pad. */
    size_t k = 0;
    for (; k < k_pad % 8; k += 4, w += 4 * NR) {
        const int8x8_t x0 = load4(a0 + k), x1 = load4(a1 + k), x2 = load4(a2 + k), x3 = load4(a3 + k);
        GROUP(0);
    }
    for (; k < k_pad; k += 8, w += 8 * NR) {
        const int8x8_t x0 = load8(a0 + k), x1 = load8(a1 + k), x2 = load8(a2 + k), x3 = load8(a3 + k);
        GROUP(0);
        GROUP(1);
    }

    if (!epi) {
        /* The column sums the raw values need (epi carries w_sum only for the dequantizing path):
         * one SDOT against ones per 4 columns and group, 1/4 of the main loop's work. */
        const int8x16_t ones = vdupq_n_s8(1);
        int32x4_t ws0 = vdupq_n_s32(0), ws1 = ws0, ws2 = ws0, ws3 = ws0;
        for (const int8_t *wg = w0; wg < w; wg += 4 * NR) {
            ws0 = vdotq_s32(ws0, vld1q_s8(wg), ones);
            ws1 = vdotq_s32(ws1, vld1q_s8(wg + 16), ones);
            ws2 = vdotq_s32(ws2, vld1q_s8(wg + 32), ones);
            ws3 = vdotq_s32(ws3, vld1q_s8(wg + 48), ones);
        }
        ws0 = vshlq_n_s32(ws0, 7), ws1 = vshlq_n_s32(ws1, 7);
        ws2 = vshlq_n_s32(ws2, 7), ws3 = vshlq_n_s32(ws3, 7);
        UNSHIFT_ROW(0);
        UNSHIFT_ROW(1);
        UNSHIFT_ROW(2);
        UNSHIFT_ROW(3);
    }

    Q8_STORE_4x16();
}
