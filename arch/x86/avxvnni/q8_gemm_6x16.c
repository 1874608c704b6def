/* AVX-VNNI INT8 GEMM micro-kernel, 6x16 tile, one weight panel (contract: kernels/rtj_kernels.h).
 *
 * For the CPUs that have VEX-encoded vpdpbusd on ymm but no AVX-512 (Intel client cores since Alder Lake;
 * CPUID.(7,1):EAX bit 4) and for AMD Zen 5. Built with -mavx2 -mfma -mavxvnni; its table is AVX2's, so the
 * row kernels, the FP32 GEMM and the epilogue's GELU are the AVX2 ones (arch/x86/q8_epilogue_avx2.h).
 *
 * Arithmetic: vpdpbusd acc, a, w adds to each int32 lane the 4 products of 4 u8 activations (a: one row's
 * k group broadcast to all lanes) by the 4 s8 weights of that lane (one column's 4 k in the packed layout);
 * a panel's k group is 64 bytes, two ymm. There is no int16 pair sum to saturate as with vpmaddubsw (each
 * u8 x s8 product fits in int16; the non-"s" form adds the four and the accumulator in int32, wrapping,
 * never saturating), so the table gives activations the full u8 range, q8_act_max = 255, which halves the
 * activation rounding step of the AVX2 kernel. Sums are exact while |acc| <= 255 * 127 * k: k < 66000.
 *
 * Tile, by the register budget (16 ymm): 6 rows x 2 halves of the panel = 12 accumulators, the 2 W
 * vectors, the broadcast A: 15, no spill. vpdpbusd ymm is listed (uops.info, Alder Lake-P) at two per
 * cycle with a latency of 5, so about 10 independent chains are needed to hide it; 4x16 (the AVX2
 * kernel's tile) would leave it latency-bound at 8 chains. Per k group: 2 W loads and 6 broadcasts for 12
 * vpdpbusd, within 3 loads per cycle. 32 columns (two panels) would need 4 W registers and at most 2 rows:
 * fewer chains again. NOT MEASURED: no machine here has AVX-VNNI (see the README).
 *
 * Short tiles: the body is one always-inline function instantiated for each mr (1..6); rows past mr are
 * never read nor stored. With 1 or 2 rows the k groups rotate over 4 or 2 accumulator sets, so that 8
 * chains are still in flight; 3 rows keep one set (6 chains): two sets, 12 accumulators beside W and A,
 * were measured in the disassembly to spill one ymm per 4 k groups with GCC 12. Accumulators are named
 * variables, not an array: GCC 12 spills arrays of vectors. */
#include <immintrin.h>
#include <stdint.h>

#include "../../../kernels/kernel_list.h"
#include "../../ukernel_common.h"
#include "../q8_epilogue_avx2.h"

#define MR 6
#define NR 16

/* k group g (relative to the pointers) of row r into accumulator set S: S r 0 for columns 0-7, S r 1 for
 * columns 8-15. */
#define ROW_DOT(S, r, g)                                                                                \
    if (MRC > r) {                                                                                      \
        const __m256i va = q8_avx2_bcast4(a##r + 4 * (g));                                              \
        S##r##0 = _mm256_dpbusd_avx_epi32(S##r##0, va, w0);                                             \
        S##r##1 = _mm256_dpbusd_avx_epi32(S##r##1, va, w1);                                             \
    }
#define K_GROUP(S, g)                                                                                   \
    {                                                                                                   \
        const __m256i w0 = _mm256_loadu_si256((const __m256i *)(w + (g) * 4 * NR));                     \
        const __m256i w1 = _mm256_loadu_si256((const __m256i *)(w + (g) * 4 * NR + 32));                \
        ROW_DOT(S, 0, g) ROW_DOT(S, 1, g) ROW_DOT(S, 2, g) ROW_DOT(S, 3, g) ROW_DOT(S, 4, g)            \
        ROW_DOT(S, 5, g)                                                                                \
    }
/* Wrapping int32 adds: the total is exact whenever the true sum fits, whatever the partial sums did. */
#define SUM_SET(S, r)                                                                                   \
    c##r##0 = _mm256_add_epi32(c##r##0, S##r##0);                                                       \
    c##r##1 = _mm256_add_epi32(c##r##1, S##r##1);

#define ROW_STORE(r)                                                                                    \
    if (MRC > r)                                                                                        \
        q8_avx2_store_row(c, ldc, r, c##r##0, c##r##1, nr, epi);

RTJ_ALWAYS_INLINE void tile(const size_t MRC, size_t nr, size_t k_pad, const uint8_t *a, size_t lda,
                            const int8_t *w, void *c, size_t ldc, const rtj_q8_epi *epi)
{
    /* Row pointers for rows < MRC only; the others are dead code in this instantiation. */
    const uint8_t *a0 = a, *a1 = a, *a2 = a, *a3 = a, *a4 = a, *a5 = a;
    if (MRC > 1) a1 = a0 + lda;
    if (MRC > 2) a2 = a1 + lda;
    if (MRC > 3) a3 = a2 + lda;
    if (MRC > 4) a4 = a3 + lda;
    if (MRC > 5) a5 = a4 + lda;

    /* Accumulator sets: c always; d for MRC <= 2, e and f for MRC == 1 (see the top). */
#define SETS(r) __m256i c##r##0 = _mm256_setzero_si256(), c##r##1 = c##r##0, d##r##0 = c##r##0,        \
                        d##r##1 = c##r##0, e##r##0 = c##r##0, e##r##1 = c##r##0, f##r##0 = c##r##0,     \
                        f##r##1 = c##r##0;
    SETS(0) SETS(1) SETS(2) SETS(3) SETS(4) SETS(5)
#undef SETS

    /* k groups unrolled by 4 (16 k). vpdpbusd accumulates inside the instruction, so GCC cannot
     * reassociate the unrolled sums into register-hungry trees as it does with the AVX2 kernel's vpaddd. */
    size_t g = k_pad / 4;
    for (; g >= 4; g -= 4) {
        if (MRC == 1) {
            K_GROUP(c, 0) K_GROUP(d, 1) K_GROUP(e, 2) K_GROUP(f, 3)
        } else if (MRC == 2) {
            K_GROUP(c, 0) K_GROUP(d, 1) K_GROUP(c, 2) K_GROUP(d, 3)
        } else {
            K_GROUP(c, 0) K_GROUP(c, 1) K_GROUP(c, 2) K_GROUP(c, 3)
        }
        w += 4 * 4 * NR;
        a0 += 16; a1 += 16; a2 += 16; a3 += 16; a4 += 16; a5 += 16;
    }
    for (; g > 0; g--) {
        K_GROUP(c, 0)
        w += 4 * NR;
        a0 += 4; a1 += 4; a2 += 4; a3 += 4; a4 += 4; a5 += 4;
    }
    if (MRC <= 2) {
        SUM_SET(d, 0) SUM_SET(d, 1)
    }
    if (MRC == 1) {
        SUM_SET(e, 0) SUM_SET(f, 0)
    }

    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3) ROW_STORE(4) ROW_STORE(5)
    q8_avx2_gelu_rows(MRC, nr, c, ldc, epi);
}

void rtj_q8_gemm_ukernel_6x16__avxvnni(size_t mr, size_t nr, size_t k_pad, const uint8_t *a, size_t lda,
                                       const int8_t *w, size_t panel_stride, void *c, size_t ldc,
                                       const rtj_q8_epi *epi)
{
    RTJ_Q8_AVX2_ONE_PANEL_ENTRY(MR);
}
