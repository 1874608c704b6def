/* NEON vector layer for the shared templates: 4 floats a vector. NEON has no masked load or store, so a
 * tail of fewer than 4 floats goes through a small zero-filled stack buffer: it never touches memory
 * past the n floats asked for, which may be the end of a mapping. */
#ifndef RTJ_VEC_NEON_H
#define RTJ_VEC_NEON_H
#include <arm_neon.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define RTJ_VSUFFIX neon
#define VL 4
typedef float32x4_t vf;

static inline vf vf_load(const float *p) { return vld1q_f32(p); }
static inline void vf_store(float *p, vf v) { vst1q_f32(p, v); }
/* n >= VL is clamped to a full vector, as the AVX masks do. */
static inline vf vf_load_n(const float *p, size_t n)
{
    float t[VL] = {0.0f, 0.0f, 0.0f, 0.0f};
    memcpy(t, p, (n < VL ? n : VL) * sizeof *p);
    return vld1q_f32(t);
}
static inline void vf_store_n(float *p, vf v, size_t n)
{
    float t[VL];
    vst1q_f32(t, v);
    memcpy(p, t, (n < VL ? n : VL) * sizeof *p);
}
static inline vf vf_set1(float x) { return vdupq_n_f32(x); }
static inline vf vf_zero(void) { return vdupq_n_f32(0.0f); }
static inline vf vf_add(vf a, vf b) { return vaddq_f32(a, b); }
static inline vf vf_sub(vf a, vf b) { return vsubq_f32(a, b); }
static inline vf vf_mul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf vf_div(vf a, vf b) { return vdivq_f32(a, b); }
/* FMAX/FMIN return NaN when either input is NaN (x86 maxps returns its second operand instead), so a NaN
 * input stays NaN through vf_exp's clamp rather than turning into exp(-87.3). */
static inline vf vf_max(vf a, vf b) { return vmaxq_f32(a, b); }
static inline vf vf_min(vf a, vf b) { return vminq_f32(a, b); }
/* vfmaq_f32(acc, x, y) = acc + x*y: the addend comes first in ACLE. */
static inline vf vf_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
static inline vf vf_abs(vf a) { return vabsq_f32(a); }
static inline vf vf_copysign(vf mag, vf sgn)
{
    return vbslq_f32(vdupq_n_u32(0x80000000u), sgn, mag);
}
/* FRINTN: ties to even whatever FPCR says, the same as rintf under the default rounding mode. */
static inline vf vf_round(vf a) { return vrndnq_f32(a); }
/* n holds integers; vf_exp's clamp keeps them in [-126, 128]. n + 127 is shifted into the exponent field
 * with no range check, as on the other ISAs (n = 128 gives +inf). */
static inline vf vf_pow2i(vf n)
{
    int32x4_t e = vaddq_s32(vcvtnq_s32_f32(n), vdupq_n_s32(127));
    return vreinterpretq_f32_s32(vshlq_n_s32(e, 23));
}
static inline float vf_hsum(vf a) { return vaddvq_f32(a); }
static inline float vf_hmax(vf a) { return vmaxvq_f32(a); }
/* Stores VL bytes: v holds integral values in [0, 255]. */
static inline void vf_store_u8(uint8_t *p, vf v)
{
    const uint16x4_t h = vmovn_u32(vcvtq_u32_f32(v));
    uint8_t tmp[8];
    vst1_u8(tmp, vmovn_u16(vcombine_u16(h, h)));
    memcpy(p, tmp, 4);
}
#endif
