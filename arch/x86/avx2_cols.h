/* One row of a 16-column ymm tile, as the AVX2 FP32 GEMM (arch/x86/avx2/f32_gemm_6x16.c) and the ymm INT8
 * kernels' epilogue (arch/x86/q8_epilogue_avx2.h) read and write it: full vectors when all 16 columns are
 * valid, vmaskmov otherwise (the last panel only), which neither reads nor writes lanes past nr. */
#ifndef RTJ_AVX2_COLS_H
#define RTJ_AVX2_COLS_H

#include <immintrin.h>
#include <stddef.h>

#include "../ukernel_common.h"

/* The lane masks of columns [0, nr) for the two halves (unused when nr >= 16). */
RTJ_ALWAYS_INLINE void avx2_cols_masks(size_t nr, __m256i *m0, __m256i *m1)
{
    const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    *m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nr), lane);
    *m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32((int)nr - 8), lane);
}

RTJ_ALWAYS_INLINE __m256 avx2_load_cols(const float *p, int full, __m256i mask)
{
    return full ? _mm256_loadu_ps(p) : _mm256_maskload_ps(p, mask);
}

/* Columns 0-7 from y0, 8-15 from y1. */
RTJ_ALWAYS_INLINE void avx2_store_cols(float *cr, __m256 y0, __m256 y1, int full, __m256i m0, __m256i m1)
{
    if (full) {
        _mm256_storeu_ps(cr, y0);
        _mm256_storeu_ps(cr + 8, y1);
    } else {
        _mm256_maskstore_ps(cr, m0, y0);
        _mm256_maskstore_ps(cr + 8, m1, y1);
    }
}

#endif
