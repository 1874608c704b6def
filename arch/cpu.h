/* What the CPU offers, read once into a plain struct (arch/cpu_*.c), kept apart from what rtj decides
 * to run on it (kernels/dispatch.c): the decision can then be tested with made-up structs. */
#ifndef RTJ_CPU_H
#define RTJ_CPU_H

#include <stdbool.h>
#include <stdint.h>

enum rtj_isa { RTJ_ISA_AUTO = 0, RTJ_ISA_SCALAR, RTJ_ISA_AVX2, RTJ_ISA_AVX512, RTJ_ISA_NEON, RTJ_ISA_COUNT };

enum rtj_cpu_arch { RTJ_ARCH_OTHER = 0, RTJ_ARCH_X86_64, RTJ_ARCH_AARCH64 };

typedef struct rtj_cpu_info {
    enum rtj_cpu_arch arch;
    /* x86: raw CPUID feature bits (leaf 1 ECX, leaf 7 EBX/ECX/EDX, leaf 7 sub-leaf 1 EAX) */
    bool osxsave, avx, fma, f16c, avx2;
    bool avx512f, avx512dq, avx512bw, avx512vl, avx512vnni, avx512bf16, avxvnni;
    /* x86: XCR0 as xgetbv(0) returned it (0 when OSXSAVE is off): which register state the OS saves */
    uint64_t xcr0;
    /* aarch64: from getauxval(AT_HWCAP / AT_HWCAP2) */
    bool neon, dotprod, i8mm;
    char vendor[13];
} rtj_cpu_info;

/* Reads this CPU. Never fails: unknown architectures report RTJ_ARCH_OTHER and no features. */
void rtj_cpu_read(rtj_cpu_info *out);

/* Pure decisions on a struct: the CPU and the OS together can run the ISA's code. */
bool rtj_cpu_can_run(const rtj_cpu_info *cpu, enum rtj_isa isa);
/* AVX-512 VNNI (vpdpbusd on zmm) usable: a capability of its own, for the INT8 kernels. */
bool rtj_cpu_has_avx512_vnni(const rtj_cpu_info *cpu);
/* AVX-VNNI (VEX vpdpbusd on ymm; Alder Lake and later client cores, Zen 5) usable: the AVX2 table's INT8
 * kernel where the CPU has it. Independent of AVX-512: CPUs have either, both or neither. */
bool rtj_cpu_has_avx_vnni(const rtj_cpu_info *cpu);

/* Kernel sets: the capability a kernel needs beyond its ISA's table (VNNI, AVX-VNNI, dotprod are capabilities
 * of their own). The lower-case names are the kernels' name suffixes (kernels/kernel_list.h pastes them), so
 * RTJ_SET_##suffix names a kernel's set. */
enum rtj_kernel_set {
    RTJ_SET_scalar = 0,
    RTJ_SET_avx2,
    RTJ_SET_avxvnni,
    RTJ_SET_avx512,
    RTJ_SET_avx512vnni,
    RTJ_SET_neon,
    RTJ_SET_neondot,
    RTJ_SET_COUNT
};
bool rtj_cpu_has_set(const rtj_cpu_info *cpu, enum rtj_kernel_set set);
const char *rtj_kernel_set_name(enum rtj_kernel_set set);
/* A table of ISA `table` may use kernels written for ISA `kernel`: scalar everywhere, its own, and AVX2's
 * inside AVX-512 (an AVX-512 CPU runs AVX2 code). */
bool rtj_isa_includes(enum rtj_isa table, enum rtj_isa kernel);

const char *rtj_isa_name(enum rtj_isa isa);
/* "scalar", "avx2", "avx512", "neon" -> the ISA; RTJ_ISA_AUTO for anything else. */
enum rtj_isa rtj_isa_from_name(const char *name);

#endif
