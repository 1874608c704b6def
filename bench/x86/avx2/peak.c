/* The peak loops of AVX2+FMA (bench/peak_loops.h), built with AVX2 flags. */
#include <immintrin.h>

#include "../../peak_loops.h"

float bench_peak_f32_fma_ymm__avx2(long iters)
{
    const __m256 m = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(0.001f);
    __m256 s = _mm256_setzero_ps();
#define DECL(i) __m256 a##i = _mm256_set1_ps((float)(i));
#define STEP(i) a##i = _mm256_fmadd_ps(a##i, m, c);
#define SUM(i) s = _mm256_add_ps(s, a##i);
    PEAK_CHAINS(iters)
#undef DECL
#undef STEP
#undef SUM
    float o[8];
    _mm256_storeu_ps(o, s);
    return o[0] + o[1] + o[2] + o[3] + o[4] + o[5] + o[6] + o[7];
}

/* One step = 32 u8 x s8 multiply-adds = 64 ops: vpmaddubsw forms 16 int16 pair sums, vpmaddwd by ones
 * adds pairs of those into 8 int32, vpaddd accumulates. Both multiplies use the multiply pipes. Registers:
 * 12 accumulators, a, w, ones and the product: all 16 ymm. */
float bench_peak_i8_maddubs_ymm__avx2(long iters)
{
    __m256i a = _mm256_set1_epi8(1), ones = _mm256_set1_epi16(1), w = _mm256_set1_epi8(3);
    OPAQUE_X(a);
    OPAQUE_X(ones);
    __m256i s = _mm256_setzero_si256();
#define DECL(i) __m256i x##i = _mm256_set1_epi32(i);
#define STEP(i)                                                                                          \
    OPAQUE_X(w);                                                                                         \
    x##i = _mm256_add_epi32(x##i, _mm256_madd_epi16(_mm256_maddubs_epi16(a, w), ones));                  \
    OPAQUE_X(x##i);
#define SUM(i) s = _mm256_add_epi32(s, x##i);
    PEAK_CHAINS(iters)
#undef DECL
#undef STEP
#undef SUM
    int32_t o[8];
    _mm256_storeu_si256((__m256i *)o, s);
    return bench_sum_lanes_i32(o, 8);
}
