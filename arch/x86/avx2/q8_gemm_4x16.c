/* AVX2 INT8 GEMM micro-kernel, 4x16 tile, one weight panel (contract: kernels/rtj_kernels.h).
 *
 * Arithmetic: vpmaddubsw (u8 activations x s8 weights -> int16 sums of adjacent pairs), vpmaddwd with a
 * vector of int16 ones (-> int32 sums of the two pairs: one 32-bit lane = the 4 k of one column that the
 * packed layout puts there), vpaddd into int32 accumulators.
 * Why no saturation: vpmaddubsw saturates a pair sum to int16. The table sets q8_act_max = 127, so
 * activations are in [0, 127]; weights are in [-127, 127] (the packing never makes -128). A pair sum is
 * then at most 2 * 127 * 127 = 32258 <= 32767 in magnitude: never saturated, every product exact. (With
 * activations up to 255 it would be 2 * 255 * 127 = 64770: saturated.) vpmaddwd by 1 and vpaddd are exact
 * in int32 as long as the K sum is: |acc| <= 127 * 127 * k, fine for k < 133000.
 *
 * Tile: per row and k group of 4, two vpmaddubsw + two vpmaddwd (the multiply pipes: 2 per cycle on Zen 4,
 * so 64 int8 ops per cycle at best, twice FP32's 32 FLOP) and two vpaddd. Register budget (16 ymm): 4 x 2
 * accumulators, 2 for the 16 x 4 bytes of W, the ones, the broadcast A and one product temporary: 13. The
 * accumulating chain is vpaddd (1 cycle latency), so 8 accumulators keep the pipes busy, and loads (6 per
 * 16 multiplies) are far from the limit: 5x16, 6x16 (W then read as a vpmaddubsw memory operand, or one
 * accumulator spilled), 2x32 and 3x32 all measured within noise of 4x16 in an L1-resident loop. 4x16 is
 * kept: it splits M = 8, 32, 128 into full tiles, pads N only to 16, and has no spill.
 *
 * The body is one always-inline function instantiated for each mr (1..4) through a switch: rows past mr are
 * never read nor stored. Accumulators are named variables, not an array: GCC 12 spills arrays. The row
 * stores and the epilogue are shared with the AVX-VNNI kernel (arch/x86/q8_epilogue_avx2.h). */
#include <immintrin.h>
#include <stdint.h>

#include "../../../kernels/kernel_list.h"
#include "../../ukernel_common.h"
#include "../q8_epilogue_avx2.h"

#define MR 4
#define NR 16

/* The current k group of row r: acc += sum over its 4 k of a[r][k] * W[k][col], 8 columns per vector. */
#define ROW_DOT(r)                                                                                      \
    if (MRC > r) {                                                                                      \
        const __m256i va = q8_avx2_bcast4(a##r);                                                        \
        c##r##0 = _mm256_add_epi32(c##r##0, _mm256_madd_epi16(_mm256_maddubs_epi16(va, w0), ones));     \
        c##r##1 = _mm256_add_epi32(c##r##1, _mm256_madd_epi16(_mm256_maddubs_epi16(va, w1), ones));     \
    }
#define K_GROUP()                                                                                       \
    {                                                                                                   \
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)w);                                      \
        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + 32));                               \
        ROW_DOT(0) ROW_DOT(1) ROW_DOT(2) ROW_DOT(3)                                                     \
    }

#define ROW_STORE(r)                                                                                    \
    if (MRC > r)                                                                                        \
        q8_avx2_store_row(c, ldc, r, c##r##0, c##r##1, nr, epi);

RTJ_ALWAYS_INLINE void tile(const size_t MRC, size_t nr, size_t k_pad, const uint8_t *a, size_t lda,
                            const int8_t *w, void *c, size_t ldc, const rtj_q8_epi *epi)
{
    /* Row pointers for rows < MRC only; the others are dead code in this instantiation. */
    const uint8_t *a0 = a, *a1 = a, *a2 = a, *a3 = a;
    if (MRC > 1) a1 = a0 + lda;
    if (MRC > 2) a2 = a1 + lda;
    if (MRC > 3) a3 = a2 + lda;

    const __m256i ones = _mm256_set1_epi16(1);
    __m256i c00 = _mm256_setzero_si256(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00,
            c31 = c00;

    /* One k group per iteration, not unrolled: GCC reassociates the integer adds of an unrolled body
     * into trees that need more than 16 registers and spill accumulators to the stack. */
    for (size_t g = 0; g < k_pad / 4; g++) {
        K_GROUP()
        w += 4 * NR;
        a0 += 4; a1 += 4; a2 += 4; a3 += 4;
    }

    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3)
    q8_avx2_gelu_rows(MRC, nr, c, ldc, epi);
}

void rtj_q8_gemm_ukernel_4x16__avx2(size_t mr, size_t nr, size_t k_pad, const uint8_t *a, size_t lda,
                                    const int8_t *w, size_t panel_stride, void *c, size_t ldc,
                                    const rtj_q8_epi *epi)
{
    RTJ_Q8_AVX2_ONE_PANEL_ENTRY(MR);
}
