/* The cases on which the emulation shim's vpdpbusd (tests/emu/x86/simde_shim.h) is compared with a real
 * instruction of the same semantics: VEX vpdpbusd ymm where the CPU has AVX-VNNI
 * (tests/isa/x86/avxvnni/simde_shim_check.c), else EVEX vpdpbusd ymm on an AVX-512 VNNI + VL CPU
 * (tests/isa/x86/avx512/simde_shim_check.c): Intel documents both as the same operation on ymm. Included
 * by those two files only, after <immintrin.h> and the shim. */
#ifndef RTJ_TEST_DPBUSD_CHECK_H
#define RTJ_TEST_DPBUSD_CHECK_H

#include <stdio.h>
#include <string.h>

typedef __m256i (*rtj_dpbusd_fn)(__m256i src, __m256i a, __m256i b);

/* The byte extremes (0, 255 against -128, 127: every pair of them) and accumulators at the int32 limits,
 * where a saturating or 16-bit-summing emulation would differ from the wrapping instruction, then random
 * bytes. 1 when every case agrees, else 0 with msg saying which. */
static int rtj_dpbusd_check(rtj_dpbusd_fn hw, const char *what, char *msg, size_t len)
{
    static const uint8_t edge_u[] = {0, 1, 127, 128, 254, 255};
    static const int8_t edge_s[] = {-128, -127, -1, 0, 1, 127};
    static const int32_t edge_acc[] = {0, -1, INT32_MAX, INT32_MIN, INT32_MAX - 1000, INT32_MIN + 1000};
    uint64_t st = 0x9E3779B97F4A7C15u;
    for (int c = 0; c < 256; c++) {
        uint8_t a[32];
        int8_t b[32];
        int32_t acc[8];
        for (int i = 0; i < 32; i++) {
            st ^= st << 13, st ^= st >> 7, st ^= st << 17;
            a[i] = c < 36 ? edge_u[(c / 6 + i) % 6] : (uint8_t)(st >> 24);
            b[i] = c < 36 ? edge_s[(c % 6 + i) % 6] : (int8_t)(st >> 40);
        }
        for (int j = 0; j < 8; j++)
            acc[j] = c % 2 ? edge_acc[(c / 2 + j) % 6] : (int32_t)(st >> 32) + j;
        const __m256i va = _mm256_loadu_si256((const __m256i *)a), vb = _mm256_loadu_si256((const __m256i *)b);
        const __m256i vc = _mm256_loadu_si256((const __m256i *)acc);
        const __m256i ref = hw(vc, va, vb), emu = rtj_emu_mm256_dpbusd_avx_epi32(vc, va, vb);
        if (memcmp(&ref, &emu, sizeof ref) != 0) {
            snprintf(msg, len, "the shim's _mm256_dpbusd_avx_epi32 differs from %s (case %d)", what, c);
            return 0;
        }
    }
    return 1;
}

#endif
