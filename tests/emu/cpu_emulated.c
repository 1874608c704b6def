/* Test-only: the CPU as the emulated test build sees it. Linked with -Wl,--wrap=rtj_cpu_read into
 * build/emu/tests/rtj_tests only: the real reading, plus the features of the kernel sets that this build
 * compiled against SIMDe (RTJ_EMU_AVX2, RTJ_EMU_AVXVNNI, RTJ_EMU_AVX512, RTJ_EMU_AVX512VNNI, set by the
 * Makefile), so the unchanged dispatch lets them past its CPU check and the suite runs them. The library
 * never has this. */
#include "../../arch/cpu.h"

void __real_rtj_cpu_read(rtj_cpu_info *out);
void __wrap_rtj_cpu_read(rtj_cpu_info *out);

void __wrap_rtj_cpu_read(rtj_cpu_info *out)
{
    __real_rtj_cpu_read(out);
#if RTJ_EMU_AVX2
    out->osxsave = out->avx = out->avx2 = out->fma = out->f16c = true;
    out->xcr0 |= 0x6;
#endif
#if RTJ_EMU_AVX512
    out->avx512f = out->avx512dq = out->avx512bw = out->avx512vl = true;
    out->xcr0 |= 0xE6;
#endif
#if RTJ_EMU_AVX512VNNI
    out->avx512vnni = true;
#endif
#if RTJ_EMU_AVXVNNI
    out->avxvnni = true;
#endif
}
