/* AVX-512 VNNI INT8 GEMM micro-kernel, 8x32 tile = two weight panels (contract: kernels/rtj_kernels.h).
 *
 * Arithmetic: vpdpbusd acc, a, w adds to each int32 lane the 4 products of 4 u8 activations (a, the k group
 * of one row broadcast to all lanes) by the 4 s8 weights of that lane (one column's 4 k in the packed
 * layout): a 64-byte k group of one 16-column panel is exactly one zmm. Unlike vpmaddubsw there is no
 * int16 pair sum to saturate (each u8 x s8 product fits in int16, and the non-"s" form adds the four and
 * the accumulator in int32 without saturation), so the table gives activations the full u8 range,
 * q8_act_max = 255. The sums are exact in int32 while |acc| <= 255 * 127 * k, i.e. k < 66000.
 *
 * Register budget (32 zmm): 8 rows x 2 panels = 16 accumulators, 2 W vectors, the broadcast A: 19, no
 * spill. Zen 4 issues one zmm vpdpbusd per cycle (128 int8 ops) at a latency of a few cycles: 16
 * independent chains hide it. Per k group: 2 W loads + 8 broadcasts for 16 vpdpbusd. 32 columns rather
 * than 48 (notes/zen4.md: 8x48 ran at 124-128 ops/cycle, both are compute bound) pads BERT's widths less:
 * 312 -> 320 (48: 336), 1024 and 4096 exact (48: 1056, 4128).
 *
 * Short tiles: the body is one always-inline function instantiated for each mr (1..8) and for one or two
 * panels. Rows past mr are never read nor stored. nr <= 16 uses one panel and never reads the second one
 * (past the last panel it does not exist); the nr tail is written with masked stores, and w_scale, w_sum,
 * bias and res are read with masked (fault-suppressing) loads, so nothing past nr is touched. With fewer
 * than 4 rows the k groups rotate over 2 or 4 accumulator sets so that at least 4 chains are in flight.
 * Accumulators are named variables, not an array: GCC 12 spills arrays of vectors.
 *
 * NOT RUN on the machine it was written on (its hypervisor hides AVX-512): compiled with GCC and clang and
 * reviewed against the scalar kernel; the Criterion tests (tests/test_q8_gemm.c) check it where the CPU
 * has AVX-512 VNNI. */
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "../../../kernels/kernel_list.h"
#include "../../ukernel_common.h"

#define MR 8
#define NR 32

/* The 4 activation bytes of one k group, broadcast to all 16 lanes (vpbroadcastd from memory). */
RTJ_ALWAYS_INLINE __m512i bcast4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm512_set1_epi32(v);
}

/* k group g (relative to the pointers) of row r into accumulator set S: S r 0 for panel 0, S r 1 for
 * panel 1. */
#define ROW_DOT(S, r, g)                                                                                \
    if (MRC > r) {                                                                                      \
        const __m512i va = bcast4(a##r + 4 * (g));                                                      \
        S##r##0 = _mm512_dpbusd_epi32(S##r##0, va, w0);                                                 \
        if (NP > 1)                                                                                     \
            S##r##1 = _mm512_dpbusd_epi32(S##r##1, va, w1);                                             \
    }
#define K_GROUP(S, g)                                                                                   \
    {                                                                                                   \
        const __m512i w0 = _mm512_loadu_si512((const void *)(w + (g) * 4 * RTJ_Q8_PANEL));              \
        __m512i w1 = w0;                                                                                \
        if (NP > 1)                                                                                     \
            w1 = _mm512_loadu_si512((const void *)(wp1 + (g) * 4 * RTJ_Q8_PANEL));                      \
        ROW_DOT(S, 0, g) ROW_DOT(S, 1, g) ROW_DOT(S, 2, g) ROW_DOT(S, 3, g)                             \
        ROW_DOT(S, 4, g) ROW_DOT(S, 5, g) ROW_DOT(S, 6, g) ROW_DOT(S, 7, g)                             \
    }
#define SUM_SET(S, r)                                                                                   \
    c##r##0 = _mm512_add_epi32(c##r##0, S##r##0);                                                       \
    c##r##1 = _mm512_add_epi32(c##r##1, S##r##1);

/* The 16 columns of one panel of row r: raw int32 (epi == NULL) or
 * y = a_scale[r] * w_scale[j] * (acc - a_zero[r] * w_sum[j]) + bias[j] (+ res), lanes outside m left
 * untouched in C and unread in w_scale, w_sum, bias and res. */
RTJ_ALWAYS_INLINE void store_half(void *c, size_t ldc, size_t r, size_t j0, __m512i acc, __mmask16 m,
                                  const rtj_q8_epi *epi)
{
    if (!epi) {
        _mm512_mask_storeu_epi32((int32_t *)c + r * ldc + j0, m, acc);
        return;
    }
    /* acc - a_zero * w_sum in int32, exactly as the scalar kernel: |a_zero * w_sum| <= 255 * 127 * k. */
    const __m512i ws = _mm512_maskz_loadu_epi32(m, epi->w_sum + j0);
    const __m512i v = _mm512_sub_epi32(acc, _mm512_mullo_epi32(_mm512_set1_epi32(epi->a_zero[r]), ws));
    const __m512 sw = _mm512_maskz_loadu_ps(m, epi->w_scale + j0);
    const __m512 s = _mm512_mul_ps(_mm512_set1_ps(epi->a_scale[r]), sw);
    __m512 y;
    if (epi->bias)
        y = _mm512_fmadd_ps(s, _mm512_cvtepi32_ps(v), _mm512_maskz_loadu_ps(m, epi->bias + j0));
    else
        y = _mm512_mul_ps(s, _mm512_cvtepi32_ps(v));
    if (epi->op == RTJ_EPI_RESIDUAL)
        y = _mm512_add_ps(y, _mm512_maskz_loadu_ps(m, epi->res + r * epi->ldres + j0));
    _mm512_mask_storeu_ps((float *)c + r * ldc + j0, m, y);
}

#define ROW_STORE(r)                                                                                    \
    if (MRC > r) {                                                                                      \
        store_half(c, ldc, r, 0, c##r##0, m0, epi);                                                     \
        if (NP > 1)                                                                                     \
            store_half(c, ldc, r, RTJ_Q8_PANEL, c##r##1, m1, epi);                                      \
    }

RTJ_ALWAYS_INLINE void tile(const size_t MRC, const int NP, size_t nr, size_t k_pad, const uint8_t *a,
                            size_t lda, const int8_t *w, size_t panel_stride, void *c, size_t ldc,
                            const rtj_q8_epi *epi)
{
    /* Row pointers for rows < MRC only; the others are dead code in this instantiation. */
    const uint8_t *a0 = a, *a1 = a, *a2 = a, *a3 = a, *a4 = a, *a5 = a, *a6 = a, *a7 = a;
    if (MRC > 1) a1 = a0 + lda;
    if (MRC > 2) a2 = a1 + lda;
    if (MRC > 3) a3 = a2 + lda;
    if (MRC > 4) a4 = a3 + lda;
    if (MRC > 5) a5 = a4 + lda;
    if (MRC > 6) a6 = a5 + lda;
    if (MRC > 7) a7 = a6 + lda;
    const int8_t *wp1 = NP > 1 ? w + panel_stride : w; /* the second panel exists only when NP == 2 */

    /* Accumulator sets: c always; d, e, f only in short tiles (see the top). */
#define SETS(r) __m512i c##r##0 = _mm512_setzero_si512(), c##r##1 = c##r##0, d##r##0 = c##r##0,        \
                        d##r##1 = c##r##0, e##r##0 = c##r##0, e##r##1 = c##r##0, f##r##0 = c##r##0,     \
                        f##r##1 = c##r##0;
    SETS(0) SETS(1) SETS(2) SETS(3) SETS(4) SETS(5) SETS(6) SETS(7)
#undef SETS

    /* k groups unrolled by 4 (16 k). vpdpbusd accumulates inside the instruction, so GCC cannot
     * reassociate the unrolled sums into register-hungry trees as it does with vpaddd. */
    size_t g = k_pad / 4;
    for (; g >= 4; g -= 4) {
        if (MRC == 1) {
            K_GROUP(c, 0) K_GROUP(d, 1) K_GROUP(e, 2) K_GROUP(f, 3)
        } else if (MRC <= 3) {
            K_GROUP(c, 0) K_GROUP(d, 1) K_GROUP(c, 2) K_GROUP(d, 3)
        } else {
            K_GROUP(c, 0) K_GROUP(c, 1) K_GROUP(c, 2) K_GROUP(c, 3)
        }
        w += 4 * 4 * RTJ_Q8_PANEL;
        wp1 += 4 * 4 * RTJ_Q8_PANEL;
        a0 += 16; a1 += 16; a2 += 16; a3 += 16; a4 += 16; a5 += 16; a6 += 16; a7 += 16;
    }
    for (; g > 0; g--) {
        K_GROUP(c, 0)
        w += 4 * RTJ_Q8_PANEL;
        wp1 += 4 * RTJ_Q8_PANEL;
        a0 += 4; a1 += 4; a2 += 4; a3 += 4; a4 += 4; a5 += 4; a6 += 4; a7 += 4;
    }
    if (MRC <= 3) {
        SUM_SET(d, 0) SUM_SET(d, 1) SUM_SET(d, 2)
    }
    if (MRC == 1) {
        SUM_SET(e, 0) SUM_SET(f, 0)
    }

    const uint32_t valid = nr >= NR ? 0xFFFFFFFFu : (1u << nr) - 1u;
    const __mmask16 m0 = (__mmask16)valid, m1 = (__mmask16)(valid >> 16);
    (void)m1;
    ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3)
    ROW_STORE(4) ROW_STORE(5) ROW_STORE(6) ROW_STORE(7)
    /* GELU on the stored rows: the accumulators are dead by now, so the calls spill nothing. */
    if (epi && epi->op == RTJ_EPI_GELU)
        for (size_t r = 0; r < MRC; r++)
            rtj_f32_gelu__avx512(nr, (float *)c + r * ldc, (float *)c + r * ldc);
}

/* One instantiation per (mr, panels): nr <= 16 must not read the second panel. */
#define TILE(m)                                                                                         \
    do {                                                                                                \
        if (two)                                                                                        \
            tile(m, 2, nr, k_pad, a, lda, w, panel_stride, c, ldc, epi);                                \
        else                                                                                            \
            tile(m, 1, nr, k_pad, a, lda, w, panel_stride, c, ldc, epi);                                \
    } while (0)

void rtj_q8_gemm_ukernel_8x32__avx512vnni(size_t mr, size_t nr, size_t k_pad, const uint8_t *a, size_t lda,
                                          const int8_t *w, size_t panel_stride, void *c, size_t ldc,
                                          const rtj_q8_epi *epi)
{
    const int two = nr > RTJ_Q8_PANEL;
    RTJ_UKERNEL_SWITCH_MR(mr, MR, TILE)
}
