/* The reading half of CPU detection: CPUID + XCR0 on x86-64, getauxval on aarch64. Built without any
 * ISA flag: xgetbv is inline asm so that this portable file needs no -mxsave. */
#include "cpu.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>

static uint64_t read_xcr0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

void rtj_cpu_read(rtj_cpu_info *out)
{
    memset(out, 0, sizeof *out);
    out->arch = RTJ_ARCH_X86_64;
    unsigned a, b, c, d;
    unsigned max_leaf = __get_cpuid_max(0, NULL);
    if (__get_cpuid(0, &a, &b, &c, &d)) {
        memcpy(out->vendor, &b, 4);
        memcpy(out->vendor + 4, &d, 4);
        memcpy(out->vendor + 8, &c, 4);
    }
    if (max_leaf >= 1 && __get_cpuid(1, &a, &b, &c, &d)) {
        out->fma = (c >> 12) & 1;
        out->osxsave = (c >> 27) & 1;
        out->avx = (c >> 28) & 1;
        out->f16c = (c >> 29) & 1;
    }
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b, c, d);
        out->avx2 = (b >> 5) & 1;
        out->avx512f = (b >> 16) & 1;
        out->avx512dq = (b >> 17) & 1;
        out->avx512bw = (b >> 30) & 1;
        out->avx512vl = (b >> 31) & 1;
        out->avx512vnni = (c >> 11) & 1;
        __cpuid_count(7, 1, a, b, c, d);
        out->avxvnni = (a >> 4) & 1;
        out->avx512bf16 = (a >> 5) & 1;
    }
    out->xcr0 = out->osxsave ? read_xcr0() : 0;
}

#elif defined(__aarch64__)
#include <sys/auxv.h>

#ifndef HWCAP_ASIMD
#define HWCAP_ASIMD (1UL << 1)
#endif
#ifndef HWCAP_ASIMDDP
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#ifndef HWCAP2_I8MM
#define HWCAP2_I8MM (1UL << 13)
#endif

void rtj_cpu_read(rtj_cpu_info *out)
{
    memset(out, 0, sizeof *out);
    out->arch = RTJ_ARCH_AARCH64;
    unsigned long hw = getauxval(AT_HWCAP), hw2 = getauxval(AT_HWCAP2);
    /* Advanced SIMD is mandatory in the AArch64 Linux ABI; the bit is checked anyway. */
    out->neon = (hw & HWCAP_ASIMD) != 0;
    out->dotprod = (hw & HWCAP_ASIMDDP) != 0;
    out->i8mm = (hw2 & HWCAP2_I8MM) != 0;
    strcpy(out->vendor, "arm");
}

#else
void rtj_cpu_read(rtj_cpu_info *out)
{
    memset(out, 0, sizeof *out);
    out->arch = RTJ_ARCH_OTHER;
}
#endif
