/* The pure half of CPU detection: what a feature struct allows. Portable, no intrinsics. */
#include "cpu.h"

#include <string.h>

/* XCR0 bits: 1 SSE (XMM) state, 2 AVX (upper YMM) state, 5-7 AVX-512 (opmask, ZMM0-15 upper halves,
 * ZMM16-31). The OS must save all of them, or the registers are silently clobbered on a context switch. */
#define XCR0_YMM 0x6u
#define XCR0_ZMM 0xE6u

bool rtj_cpu_can_run(const rtj_cpu_info *cpu, enum rtj_isa isa)
{
    switch (isa) {
    case RTJ_ISA_SCALAR:
        return true;
    case RTJ_ISA_AVX2:
        return cpu->arch == RTJ_ARCH_X86_64 && cpu->osxsave && cpu->avx && cpu->avx2 && cpu->fma &&
               (cpu->xcr0 & XCR0_YMM) == XCR0_YMM;
    case RTJ_ISA_AVX512:
        /* The AVX-512 kernels also use AVX2/FMA forms on ymm and the BW/DQ/VL subsets (masks on
         * byte and dword lanes), so all of them are required. */
        return rtj_cpu_can_run(cpu, RTJ_ISA_AVX2) && cpu->avx512f && cpu->avx512dq && cpu->avx512bw &&
               cpu->avx512vl && (cpu->xcr0 & XCR0_ZMM) == XCR0_ZMM;
    case RTJ_ISA_NEON:
        return cpu->arch == RTJ_ARCH_AARCH64 && cpu->neon;
    default:
        return false;
    }
}

bool rtj_cpu_has_avx512_vnni(const rtj_cpu_info *cpu)
{
    return rtj_cpu_can_run(cpu, RTJ_ISA_AVX512) && cpu->avx512vnni;
}

/* VEX-encoded ymm code: the AVX2 conditions (YMM state saved by the OS) plus the CPUID bit. */
bool rtj_cpu_has_avx_vnni(const rtj_cpu_info *cpu)
{
    return rtj_cpu_can_run(cpu, RTJ_ISA_AVX2) && cpu->avxvnni;
}

bool rtj_cpu_has_set(const rtj_cpu_info *cpu, enum rtj_kernel_set set)
{
    switch (set) {
    case RTJ_SET_scalar:
        return true;
    case RTJ_SET_avx2:
        return rtj_cpu_can_run(cpu, RTJ_ISA_AVX2);
    case RTJ_SET_avxvnni:
        return rtj_cpu_has_avx_vnni(cpu);
    case RTJ_SET_avx512:
        return rtj_cpu_can_run(cpu, RTJ_ISA_AVX512);
    case RTJ_SET_avx512vnni:
        return rtj_cpu_has_avx512_vnni(cpu);
    case RTJ_SET_neon:
        return rtj_cpu_can_run(cpu, RTJ_ISA_NEON);
    case RTJ_SET_neondot:
        return rtj_cpu_can_run(cpu, RTJ_ISA_NEON) && cpu->dotprod;
    default:
        return false;
    }
}

static const char *const set_names[RTJ_SET_COUNT] = {"scalar", "avx2", "avxvnni", "avx512", "avx512vnni",
                                                      "neon", "neondot"};

const char *rtj_kernel_set_name(enum rtj_kernel_set set)
{
    return (unsigned)set < RTJ_SET_COUNT ? set_names[set] : "?";
}

bool rtj_isa_includes(enum rtj_isa table, enum rtj_isa kernel)
{
    return kernel == RTJ_ISA_SCALAR || kernel == table || (table == RTJ_ISA_AVX512 && kernel == RTJ_ISA_AVX2);
}

static const char *const isa_names[RTJ_ISA_COUNT] = {"auto", "scalar", "avx2", "avx512", "neon"};

const char *rtj_isa_name(enum rtj_isa isa)
{
    return (unsigned)isa < RTJ_ISA_COUNT ? isa_names[isa] : "?";
}

enum rtj_isa rtj_isa_from_name(const char *name)
{
    for (int i = RTJ_ISA_SCALAR; i < RTJ_ISA_COUNT; i++)
        if (name && strcmp(name, isa_names[i]) == 0)
            return (enum rtj_isa)i;
    return RTJ_ISA_AUTO;
}
