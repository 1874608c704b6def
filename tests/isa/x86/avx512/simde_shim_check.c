/* The emulation shim (tests/emu/x86/simde_shim.h) against the real AVX-512 instructions, on a CPU that has
 * them: built natively with AVX-512 flags, the shim's functions called by their own names beside the
 * intrinsics they stand in for. Run by tests/test_vec_layer.c (simde_shim/matches_the_hardware). */
#include <immintrin.h>
#include <stdio.h>
#include <string.h>

#define RTJ_EMU_SHIM_NO_ALIASES
#include <simde/x86/avx512.h>

#include "../../../emu/x86/simde_shim.h"
#include "../dpbusd_check.h"

int rtj_emu_shim_check(char *msg, size_t len);
int rtj_emu_shim_check_dpbusd_evex(char *msg, size_t len);

/* EVEX vpdpbusd ymm (AVX-512 VNNI + VL): the same operation as AVX-VNNI's VEX form, so an AVX-512 VNNI
 * CPU without AVX-VNNI (Zen 4, Ice Lake server) still checks the emulated AVX-VNNI kernel's one shim
 * against hardware. */
static __m256i dpbusd_evex(__m256i src, __m256i a, __m256i b) { return _mm256_dpbusd_epi32(src, a, b); }

int rtj_emu_shim_check_dpbusd_evex(char *msg, size_t len)
{
    return rtj_dpbusd_check(dpbusd_evex, "EVEX vpdpbusd ymm (AVX-512 VNNI + VL)", msg, len);
}

static int same(const void *a, const void *b, size_t n, const char *what, int lane, char *msg, size_t len)
{
    if (memcmp(a, b, n) == 0)
        return 1;
    snprintf(msg, len, "%s differs from the hardware (case %d)", what, lane);
    return 0;
}

int rtj_emu_shim_check(char *msg, size_t len)
{
    static const float sp[] = {0.0f, -0.0f, 1e30f, -1e30f, 2.5f, -2.5f, 3.5f, 1e-40f, -1e-40f, 2147483520.0f,
                               -2147483648.0f, 4e9f, 0.49999997f, -7.5f, 255.0f, 300.7f};
    float nanv;
    uint32_t qnan = 0xFFC00001u;
    memcpy(&nanv, &qnan, 4);
    for (int c = 0; c < 64; c++) {
        float f[16], buf[16];
        int32_t i32[16];
        for (int i = 0; i < 16; i++) {
            f[i] = sp[(i + c) % 16] * (c % 3 ? 1.0f : -1.0f) + (float)(c - 32) * 0.25f;
            i32[i] = (int32_t)((uint32_t)(c * 2654435761u) ^ ((uint32_t)i * 40503u)) - (c & 1 ? 256 : 0);
        }
        if (c % 5 == 0)
            f[c % 16] = nanv;
        if (c % 7 == 0)
            f[(c + 3) % 16] = __builtin_inff();
        const __m512 vf = _mm512_loadu_ps(f);
        const __m512i vi = _mm512_loadu_si512(i32);
        __m128i b1 = _mm512_cvtepi32_epi8(vi), b2 = rtj_emu_mm512_cvtepi32_epi8(vi);
        if (!same(&b1, &b2, 16, "_mm512_cvtepi32_epi8", c, msg, len))
            return 0;
        __m512 p1 = _mm512_cvtepi32_ps(vi), p2 = rtj_emu_mm512_cvtepi32_ps(vi);
        if (!same(&p1, &p2, 64, "_mm512_cvtepi32_ps", c, msg, len))
            return 0;
        __m512i q1 = _mm512_cvtps_epi32(vf), q2 = rtj_emu_mm512_cvtps_epi32(vf);
        if (!same(&q1, &q2, 64, "_mm512_cvtps_epi32", c, msg, len))
            return 0;
        __m512 a1 = _mm512_abs_ps(vf), a2 = rtj_emu_mm512_abs_ps(vf);
        if (!same(&a1, &a2, 64, "_mm512_abs_ps", c, msg, len))
            return 0;
        float r1 = _mm512_reduce_add_ps(vf), r2 = rtj_emu_mm512_reduce_add_ps(vf);
        if (!(r1 != r1 && r2 != r2) && !same(&r1, &r2, 4, "_mm512_reduce_add_ps", c, msg, len))
            return 0;
        r1 = _mm512_reduce_max_ps(vf), r2 = rtj_emu_mm512_reduce_max_ps(vf);
        /* With a NaN lane the answer depends on the compiler's reduction tree (maxps returns its second
         * operand when either is NaN): the shim follows GCC's, so under another compiler only NaN-free
         * vectors must agree. */
#if defined(__clang__)
        const int order_matters = c % 5 == 0;
#else
        const int order_matters = 0;
#endif
        if (!order_matters && !(r1 != r1 && r2 != r2) && !same(&r1, &r2, 4, "_mm512_reduce_max_ps", c, msg, len))
            return 0;
        const __mmask16 k = (__mmask16)(c % 17 == 16 ? 0xFFFFu : ((1u << (c % 17)) - 1u) ^ (c & 8 ? 0x5555u : 0));
        __m512 l1 = _mm512_maskz_loadu_ps(k, f), l2 = rtj_emu_mm512_maskz_loadu_ps(k, f);
        if (!same(&l1, &l2, 64, "_mm512_maskz_loadu_ps", c, msg, len))
            return 0;
        __m512i m1 = _mm512_maskz_loadu_epi32(k, i32), m2 = rtj_emu_mm512_maskz_loadu_epi32(k, i32);
        if (!same(&m1, &m2, 64, "_mm512_maskz_loadu_epi32", c, msg, len))
            return 0;
        float s1[16], s2[16];
        memcpy(s1, sp, sizeof s1);
        memcpy(s2, sp, sizeof s2);
        _mm512_mask_storeu_ps(s1, k, vf);
        rtj_emu_mm512_mask_storeu_ps(s2, k, vf);
        if (!same(s1, s2, 64, "_mm512_mask_storeu_ps", c, msg, len))
            return 0;
        int32_t t1[16], t2[16];
        memset(t1, 0x3c, sizeof t1);
        memset(t2, 0x3c, sizeof t2);
        _mm512_mask_storeu_epi32(t1, k, vi);
        rtj_emu_mm512_mask_storeu_epi32(t2, k, vi);
        if (!same(t1, t2, 64, "_mm512_mask_storeu_epi32", c, msg, len))
            return 0;
        (void)buf;
    }
    return 1;
}
