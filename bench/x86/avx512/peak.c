/* The peak loops of AVX-512 (F, VL, VNNI; bench/peak_loops.h), built with AVX-512 flags. */
#include <immintrin.h>

#include "../../peak_loops.h"

float bench_peak_f32_fma_zmm__avx512(long iters)
{
    const __m512 m = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(0.001f);
    __m512 s = _mm512_setzero_ps();
#define DECL(i) __m512 a##i = _mm512_set1_ps((float)(i));
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, m, c);
#define SUM(i) s = _mm512_add_ps(s, a##i);
    PEAK_CHAINS(iters)
#undef DECL
#undef STEP
#undef SUM
    float o[16];
    _mm512_storeu_ps(o, s);
    float r = 0;
    for (int i = 0; i < 16; i++)
        r += o[i];
    return r;
}

/* vpdpbusd: 4 u8 x s8 products added into each int32 lane, 8 lanes (ymm, AVX512-VL) or 16 (zmm). It reads
 * its accumulator, so nothing can be hoisted. */
float bench_peak_i8_vnni_ymm__avx512(long iters)
{
    __m256i a = _mm256_set1_epi8(1), w = _mm256_set1_epi8(2);
    OPAQUE_V(a);
    OPAQUE_V(w);
    __m256i s = _mm256_setzero_si256();
#define DECL(i) __m256i x##i = _mm256_set1_epi32(i);
#define STEP(i)                                                                                          \
    x##i = _mm256_dpbusd_epi32(x##i, a, w);                                                              \
    OPAQUE_V(x##i);
#define SUM(i) s = _mm256_add_epi32(s, x##i);
    PEAK_CHAINS(iters)
#undef DECL
#undef STEP
#undef SUM
    int32_t o[8];
    _mm256_storeu_si256((__m256i *)o, s);
    return bench_sum_lanes_i32(o, 8);
}

float bench_peak_i8_vnni_zmm__avx512(long iters)
{
    __m512i a = _mm512_set1_epi8(1), w = _mm512_set1_epi8(2);
    OPAQUE_V(a);
    OPAQUE_V(w);
    __m512i s = _mm512_setzero_si512();
#define DECL(i) __m512i x##i = _mm512_set1_epi32(i);
#define STEP(i)                                                                                          \
    x##i = _mm512_dpbusd_epi32(x##i, a, w);                                                              \
    OPAQUE_V(x##i);
#define SUM(i) s = _mm512_add_epi32(s, x##i);
    PEAK_CHAINS(iters)
#undef DECL
#undef STEP
#undef SUM
    int32_t o[16];
    _mm512_storeu_si512((void *)o, s);
    return bench_sum_lanes_i32(o, 16);
}
