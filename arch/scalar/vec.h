/* Portable vector layer: a "vector" of one float. The scalar ISA runs the very same templates as the SIMD
 * ones (kernels/vmath.inc, kernels/f32_vec_kernels.inc), so it is a true fallback, not a separate code path
 * to keep in step; the independent checks are the __ref functions in kernels/ref.c. */
#ifndef RTJ_VEC_SCALAR_H
#define RTJ_VEC_SCALAR_H
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RTJ_VSUFFIX scalar
#define VL 1
typedef float vf;

static inline vf vf_load(const float *p) { return *p; }
static inline void vf_store(float *p, vf v) { *p = v; }
/* VL = 1: a tail is never shorter than a vector, these exist for the templates' sake. */
static inline vf vf_load_n(const float *p, size_t n) { return n ? *p : 0.0f; }
static inline void vf_store_n(float *p, vf v, size_t n) { if (n) *p = v; }
static inline vf vf_set1(float x) { return x; }
static inline vf vf_zero(void) { return 0.0f; }
static inline vf vf_add(vf a, vf b) { return a + b; }
static inline vf vf_sub(vf a, vf b) { return a - b; }
static inline vf vf_mul(vf a, vf b) { return a * b; }
static inline vf vf_div(vf a, vf b) { return a / b; }
static inline vf vf_max(vf a, vf b) { return a > b ? a : b; }
static inline vf vf_min(vf a, vf b) { return a < b ? a : b; }
/* not fmaf: without hardware FMA it is a slow library call */
static inline vf vf_fma(vf a, vf b, vf c) { return a * b + c; }
static inline vf vf_abs(vf a) { return fabsf(a); }
static inline vf vf_copysign(vf mag, vf sgn) { return copysignf(mag, sgn); }
static inline vf vf_round(vf a) { return rintf(a); }
/* n integral in [-126, 128] (vf_exp's clamp); a NaN n (from a NaN input) must not reach the int conversion,
 * which C leaves undefined: it gives 2^0 and the NaN carries on through the other factor. */
static inline vf vf_pow2i(vf n)
{
    uint32_t bits = (uint32_t)((n == n ? (int32_t)n : 0) + 127) << 23;
    float r;
    memcpy(&r, &bits, sizeof r);
    return r;
}
static inline float vf_hsum(vf a) { return a; }
static inline float vf_hmax(vf a) { return a; }
/* Stores VL bytes: v holds an integral value in [0, 255]. */
static inline void vf_store_u8(uint8_t *p, vf v) { *p = (uint8_t)v; }
#endif
