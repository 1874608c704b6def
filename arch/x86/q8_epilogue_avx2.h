/* What the ymm INT8 micro-kernels of 16-column panels share (arch/x86/avx2/q8_gemm_4x16.c, vpmaddubsw;
 * arch/x86/avxvnni/q8_gemm_6x16.c, vpdpbusd): the broadcast of a row's k group, the store of one row of a
 * tile (raw int32, or through the fused epilogue), the GELU on the stored rows and the entry's row switch.
 * Both are built with AVX2+FMA at least, and both sets' FP32 kernels are AVX2's, so the epilogue and its
 * GELU are the AVX2 ones whatever multiplies. */
#ifndef RTJ_Q8_EPILOGUE_AVX2_H
#define RTJ_Q8_EPILOGUE_AVX2_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "../../kernels/kernel_list.h"
#include "../ukernel_common.h"
#include "avx2_cols.h"

/* The 4 activation bytes of one k group, broadcast to all 8 lanes (vpbroadcastd from memory). */
RTJ_ALWAYS_INLINE __m256i q8_avx2_bcast4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, sizeof v);
    return _mm256_set1_epi32(v);
}

/* The 16 columns of row r (acc0: columns 0-7, acc1: 8-15), nr of them stored. epi == NULL: the raw int32
 * sums. Otherwise y = a_scale[r] * w_scale[j] * (acc - a_zero[r] * w_sum[j]) + bias[j] (+ res); w_scale,
 * w_sum and bias hold 16 padded values, so their full loads are in bounds. They are reloaded per row (L1
 * hits) rather than held across the tile, so the k loop keeps its registers. */
RTJ_ALWAYS_INLINE void q8_avx2_store_row(void *c, size_t ldc, size_t r, __m256i acc0, __m256i acc1, size_t nr,
                                         const rtj_q8_epi *epi)
{
    const int full = nr >= RTJ_Q8_PANEL;
    __m256i m0 = _mm256_setzero_si256(), m1 = m0;
    if (!full)
        avx2_cols_masks(nr, &m0, &m1);
    if (!epi) {
        int32_t *cr = (int32_t *)c + r * ldc;
        if (full) {
            _mm256_storeu_si256((__m256i *)cr, acc0);
            _mm256_storeu_si256((__m256i *)(cr + 8), acc1);
        } else {
            _mm256_maskstore_epi32((int *)cr, m0, acc0);
            _mm256_maskstore_epi32((int *)(cr + 8), m1, acc1);
        }
        return;
    }
    float *cr = (float *)c + r * ldc;
    /* acc - a_zero * w_sum in int32, exactly as the scalar kernel: |a_zero * w_sum| <= 255 * 127 * k. */
    const __m256i za = _mm256_set1_epi32(epi->a_zero[r]);
    const __m256i ws0 = _mm256_loadu_si256((const __m256i *)epi->w_sum);
    const __m256i ws1 = _mm256_loadu_si256((const __m256i *)(epi->w_sum + 8));
    const __m256i v0 = _mm256_sub_epi32(acc0, _mm256_mullo_epi32(za, ws0));
    const __m256i v1 = _mm256_sub_epi32(acc1, _mm256_mullo_epi32(za, ws1));
    const __m256 sa = _mm256_set1_ps(epi->a_scale[r]);
    const __m256 s0 = _mm256_mul_ps(sa, _mm256_loadu_ps(epi->w_scale));
    const __m256 s1 = _mm256_mul_ps(sa, _mm256_loadu_ps(epi->w_scale + 8));
    __m256 y0, y1;
    if (epi->bias) {
        y0 = _mm256_fmadd_ps(s0, _mm256_cvtepi32_ps(v0), _mm256_loadu_ps(epi->bias));
        y1 = _mm256_fmadd_ps(s1, _mm256_cvtepi32_ps(v1), _mm256_loadu_ps(epi->bias + 8));
    } else {
        y0 = _mm256_mul_ps(s0, _mm256_cvtepi32_ps(v0));
        y1 = _mm256_mul_ps(s1, _mm256_cvtepi32_ps(v1));
    }
    if (epi->op == RTJ_EPI_RESIDUAL) {
        const float *rr = epi->res + r * epi->ldres;
        y0 = _mm256_add_ps(y0, avx2_load_cols(rr, full, m0));
        y1 = _mm256_add_ps(y1, avx2_load_cols(rr + 8, full, m1));
    }
    avx2_store_cols(cr, y0, y1, full, m0, m1);
}

/* GELU on the mrc stored rows, after the last store: the accumulators are dead by then, so the calls
 * spill nothing. */
RTJ_ALWAYS_INLINE void q8_avx2_gelu_rows(size_t mrc, size_t nr, void *c, size_t ldc, const rtj_q8_epi *epi)
{
    if (epi && epi->op == RTJ_EPI_GELU)
        for (size_t r = 0; r < mrc; r++)
            rtj_f32_gelu__avx2(nr, (float *)c + r * ldc, (float *)c + r * ldc);
}

/* The body of a one-panel kernel's entry (NR = 16: panel_stride unused): the runtime mr turned into the
 * constant row count of the including file's tile(MRC, nr, k_pad, a, lda, w, c, ldc, epi). */
#define RTJ_Q8_AVX2_ONE_PANEL_ENTRY(MR)                                                                 \
    do {                                                                                                \
        (void)panel_stride;                                                                             \
        RTJ_UKERNEL_SWITCH_MR(mr, MR, RTJ_Q8_AVX2_TILE_)                                                \
    } while (0)
#define RTJ_Q8_AVX2_TILE_(m) tile(m, nr, k_pad, a, lda, w, c, ldc, epi)

#endif
