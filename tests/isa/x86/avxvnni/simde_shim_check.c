/* The emulation shim's VEX vpdpbusd (tests/emu/x86/simde_shim.h) against the real AVX-VNNI instruction, on a
 * CPU that has it: built natively with -mavxvnni. Run by tests/test_vec_layer.c
 * (simde_shim/avxvnni_matches_the_hardware). */
#include <immintrin.h>

#define RTJ_EMU_SHIM_NO_ALIASES
#include <simde/x86/avx512.h>

#include "../../../emu/x86/simde_shim.h"
#include "../dpbusd_check.h"

int rtj_emu_shim_check_avxvnni(char *msg, size_t len);

static __m256i dpbusd_vex(__m256i src, __m256i a, __m256i b) { return _mm256_dpbusd_avx_epi32(src, a, b); }

int rtj_emu_shim_check_avxvnni(char *msg, size_t len)
{
    return rtj_dpbusd_check(dpbusd_vex, "VEX vpdpbusd (AVX-VNNI)", msg, len);
}
