/* AVX-512 vector layer for the shared templates (kernels/vmath.inc, kernels/f32_vec_kernels.inc):
 * 16 floats a vector, masked loads and stores for tails. */
#ifndef RTJ_VEC_AVX512_H
#define RTJ_VEC_AVX512_H
#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define RTJ_VSUFFIX avx512
#define VL 16
typedef __m512 vf;

static inline __mmask16 vf_tail_mask(size_t n) { return (__mmask16)((1u << n) - 1u); }
static inline vf vf_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void vf_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf vf_load_n(const float *p, size_t n) { return _mm512_maskz_loadu_ps(vf_tail_mask(n), p); }
static inline void vf_store_n(float *p, vf v, size_t n) { _mm512_mask_storeu_ps(p, vf_tail_mask(n), v); }
static inline vf vf_set1(float x) { return _mm512_set1_ps(x); }
static inline vf vf_zero(void) { return _mm512_setzero_ps(); }
static inline vf vf_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline vf vf_sub(vf a, vf b) { return _mm512_sub_ps(a, b); }
static inline vf vf_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf vf_div(vf a, vf b) { return _mm512_div_ps(a, b); }
static inline vf vf_max(vf a, vf b) { return _mm512_max_ps(a, b); }
static inline vf vf_min(vf a, vf b) { return _mm512_min_ps(a, b); }
static inline vf vf_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf vf_abs(vf a) { return _mm512_abs_ps(a); }
/* |mag| with the sign bit of sgn. vpternlogd's immediate is the truth table indexed by (a<<2)|(b<<1)|c for
 * operands a = mag, b = sgn, c = the sign mask; "c ? b : a" is set at indices 3, 4, 6, 7: 0xD8. */
static inline vf vf_copysign(vf mag, vf sgn)
{
    const __m512i sign = _mm512_set1_epi32((int)0x80000000u);
    return _mm512_castsi512_ps(_mm512_ternarylogic_epi32(_mm512_castps_si512(mag),
                                                         _mm512_castps_si512(sgn), sign, 0xD8));
}
static inline vf vf_round(vf a) { return _mm512_roundscale_ps(a, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
/* 2^n for integral n in [-126, 127]: n goes straight into the exponent field. */
static inline vf vf_pow2i(vf n)
{
    __m512i e = _mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(e, 23));
}
static inline float vf_hsum(vf a) { return _mm512_reduce_add_ps(a); }
static inline float vf_hmax(vf a) { return _mm512_reduce_max_ps(a); }
/* Stores VL bytes: v holds integral values in [0, 255]. */
static inline void vf_store_u8(uint8_t *p, vf v)
{
    _mm_storeu_si128((__m128i *)p, _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(v)));
}
#endif
