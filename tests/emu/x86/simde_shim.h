/* Test-only: the AVX-512 and AVX-VNNI intrinsics the kernels use that SIMDe 0.7.4 does not provide (or gets
 * wrong), written from Intel's documented semantics lane by lane. Masked loads read, and masked stores write,
 * only the selected lanes (as the hardware suppresses faults on the others), so ASan sees exactly what the
 * real kernel touches. The reductions follow GCC 12's avx512fintrin.h tree (halves, then quarters, then
 * pairs), so the emulated kernels round as natively built ones do. tests/isa/x86/avx512/simde_shim_check.c
 * and tests/isa/x86/avxvnni/simde_shim_check.c check each against the real instruction on a CPU that has it
 * (tests/test_vec_layer.c, simde_shim/). */
#ifndef RTJ_EMU_SIMDE_SHIM_H
#define RTJ_EMU_SIMDE_SHIM_H
#include <math.h>
#include <stdint.h>
#include <string.h>

typedef union { simde__m512 v; float f[16]; } rtj_emu_f16x;
typedef union { simde__m512i v; int32_t i[16]; } rtj_emu_i16x;

/* vpmovdb: each dword truncated to its low byte. */
static inline simde__m128i rtj_emu_mm512_cvtepi32_epi8(simde__m512i a)
{
    rtj_emu_i16x x = {.v = a};
    int8_t b[16];
    for (int i = 0; i < 16; i++)
        b[i] = (int8_t)(uint8_t)((uint32_t)x.i[i] & 0xFFu);
    return simde_mm_loadu_si128(b);
}
/* vcvtdq2ps: rounds by MXCSR (round to nearest even by default), as a C conversion does. */
static inline simde__m512 rtj_emu_mm512_cvtepi32_ps(simde__m512i a)
{
    rtj_emu_i16x x = {.v = a};
    rtj_emu_f16x y;
    for (int i = 0; i < 16; i++)
        y.f[i] = (float)x.i[i];
    return y.v;
}
/* vcvtps2dq: rounds by MXCSR; NaN and out-of-range values give the integer indefinite 0x80000000. */
static inline simde__m512i rtj_emu_mm512_cvtps_epi32(simde__m512 a)
{
    rtj_emu_f16x x = {.v = a};
    rtj_emu_i16x y;
    for (int i = 0; i < 16; i++) {
        float r = nearbyintf(x.f[i]);
        y.i[i] = (r != r || r >= 2147483648.0f || r < -2147483648.0f) ? INT32_MIN : (int32_t)r;
    }
    return y.v;
}
static inline void rtj_emu_mm512_mask_storeu_epi32(void *p, uint16_t k, simde__m512i a)
{
    rtj_emu_i16x x = {.v = a};
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1)
            memcpy((char *)p + 4 * i, &x.i[i], 4);
}
static inline void rtj_emu_mm512_mask_storeu_ps(void *p, uint16_t k, simde__m512 a)
{
    rtj_emu_f16x x = {.v = a};
    for (int i = 0; i < 16; i++)
        if ((k >> i) & 1)
            memcpy((char *)p + 4 * i, &x.f[i], 4);
}
static inline simde__m512i rtj_emu_mm512_maskz_loadu_epi32(uint16_t k, const void *p)
{
    rtj_emu_i16x y;
    for (int i = 0; i < 16; i++) {
        y.i[i] = 0;
        if ((k >> i) & 1)
            memcpy(&y.i[i], (const char *)p + 4 * i, 4);
    }
    return y.v;
}
static inline simde__m512 rtj_emu_mm512_maskz_loadu_ps(uint16_t k, const void *p)
{
    rtj_emu_f16x y;
    for (int i = 0; i < 16; i++) {
        y.f[i] = 0.0f;
        if ((k >> i) & 1)
            memcpy(&y.f[i], (const char *)p + 4 * i, 4);
    }
    return y.v;
}
/* vandps with 0x7FFFFFFF, as the hardware does it: SIMDe 0.7.4's portable _mm512_abs_ps is "x < 0 ? -x : x",
 * which keeps the sign of -0 and of -NaN (found by tests/test_vec_layer.c). */
static inline simde__m512 rtj_emu_mm512_abs_ps(simde__m512 a)
{
    rtj_emu_f16x x = {.v = a};
    for (int i = 0; i < 16; i++) {
        uint32_t u;
        memcpy(&u, &x.f[i], 4);
        u &= 0x7FFFFFFFu;
        memcpy(&x.f[i], &u, 4);
    }
    return x.v;
}
/* maxps(a, b) = a > b ? a : b: the second operand when either is NaN or both are zeros. */
static inline float rtj_emu_maxps(float a, float b) { return a > b ? a : b; }
static inline float rtj_emu_mm512_reduce_add_ps(simde__m512 a)
{
    rtj_emu_f16x x = {.v = a};
    float t3[8], t6[4];
    for (int i = 0; i < 8; i++)
        t3[i] = x.f[8 + i] + x.f[i];
    for (int i = 0; i < 4; i++)
        t6[i] = t3[4 + i] + t3[i];
    return (t6[0] + t6[2]) + (t6[1] + t6[3]);
}
static inline float rtj_emu_mm512_reduce_max_ps(simde__m512 a)
{
    rtj_emu_f16x x = {.v = a};
    float t3[8], t6[4];
    for (int i = 0; i < 8; i++)
        t3[i] = rtj_emu_maxps(x.f[8 + i], x.f[i]);
    for (int i = 0; i < 4; i++)
        t6[i] = rtj_emu_maxps(t3[4 + i], t3[i]);
    return rtj_emu_maxps(rtj_emu_maxps(t6[0], t6[2]), rtj_emu_maxps(t6[1], t6[3]));
}

/* VEX vpdpbusd ymm (AVX-VNNI), which SIMDe 0.7.4 does not name (it has only the EVEX _mm256_dpbusd_epi32):
 * each dword of src plus the four products of a's unsigned bytes by b's signed bytes in that dword, every
 * product exact in 16 bits, the sum wrapping modulo 2^32 (no saturation: that is vpdpbusds). */
typedef union { simde__m256i v; int32_t i[8]; uint8_t u[32]; int8_t s[32]; } rtj_emu_i8x;
static inline simde__m256i rtj_emu_mm256_dpbusd_avx_epi32(simde__m256i src, simde__m256i a, simde__m256i b)
{
    rtj_emu_i8x s = {.v = src}, x = {.v = a}, y = {.v = b};
    for (int j = 0; j < 8; j++) {
        uint32_t t = (uint32_t)s.i[j];
        for (int q = 4 * j; q < 4 * j + 4; q++)
            t += (uint32_t)(int32_t)((int16_t)x.u[q] * (int16_t)y.s[q]);
        s.i[j] = (int32_t)t;
    }
    return s.v;
}

#ifndef RTJ_EMU_SHIM_NO_ALIASES
#undef _mm512_abs_ps
#define _mm512_abs_ps rtj_emu_mm512_abs_ps
#define _mm512_cvtepi32_epi8 rtj_emu_mm512_cvtepi32_epi8
#define _mm512_cvtepi32_ps rtj_emu_mm512_cvtepi32_ps
#define _mm512_cvtps_epi32 rtj_emu_mm512_cvtps_epi32
#define _mm512_mask_storeu_epi32 rtj_emu_mm512_mask_storeu_epi32
#define _mm512_mask_storeu_ps rtj_emu_mm512_mask_storeu_ps
#define _mm512_maskz_loadu_epi32 rtj_emu_mm512_maskz_loadu_epi32
#define _mm512_maskz_loadu_ps rtj_emu_mm512_maskz_loadu_ps
#define _mm512_reduce_add_ps rtj_emu_mm512_reduce_add_ps
#define _mm512_reduce_max_ps rtj_emu_mm512_reduce_max_ps
#undef _mm256_dpbusd_avx_epi32
#define _mm256_dpbusd_avx_epi32 rtj_emu_mm256_dpbusd_avx_epi32
#endif
#endif
