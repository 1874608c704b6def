/* CPU detection and the choice of kernel table, on made-up CPUs and on this one. */
#include <stdio.h>
#include <string.h>

#include "test_common.h"

static enum rtj_isa chosen(const rtj_cpu_info *c, enum rtj_isa force)
{
    rtj_kernels t;
    return rtj_kernels_select(c, force, &t) == 0 ? t.isa : RTJ_ISA_AUTO;
}

#if defined(__x86_64__)
static rtj_cpu_info zen4_like(void)
{
    rtj_cpu_info c;
    memset(&c, 0, sizeof c);
    c.arch = RTJ_ARCH_X86_64;
    c.osxsave = c.avx = c.fma = c.f16c = c.avx2 = true;
    c.avx512f = c.avx512dq = c.avx512bw = c.avx512vl = c.avx512vnni = true;
    c.xcr0 = 0xE7; /* x87, SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM */
    return c;
}

Test(dispatch, full_avx512_picks_avx512)
{
    rtj_cpu_info c = zen4_like();
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_AVX512);
    cr_assert(rtj_cpu_has_avx512_vnni(&c));
}

Test(dispatch, avx512_bits_without_os_zmm_state_fall_back_to_avx2)
{
    rtj_cpu_info c = zen4_like();
    c.xcr0 = 0x7; /* the OS saves YMM but not the AVX-512 state */
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_AVX2);
    cr_assert(!rtj_cpu_has_avx512_vnni(&c));
    cr_assert_eq(chosen(&c, RTJ_ISA_AVX512), RTJ_ISA_AUTO, "forcing avx512 must fail");
    c.xcr0 = 0xA7; /* ZMM_Hi256 missing */
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_AVX2);
}

Test(dispatch, avx2_without_os_ymm_state_or_osxsave_is_scalar)
{
    rtj_cpu_info c = zen4_like();
    c.xcr0 = 0x3;
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_SCALAR);
    c = zen4_like();
    c.osxsave = false;
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_SCALAR);
}

Test(dispatch, partial_avx512_subsets_are_not_enough)
{
    rtj_cpu_info c = zen4_like();
    c.avx512bw = false; /* e.g. Knights Landing: F + CD + ER + PF, no BW/DQ/VL */
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_AVX2);
    c = zen4_like();
    c.fma = false; /* AVX2 without FMA: no FP32 SIMD path */
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_SCALAR);
}

Test(dispatch, vnni_is_its_own_capability)
{
    rtj_cpu_info c = zen4_like();
    c.avx512vnni = false; /* Skylake-X: AVX-512 without VNNI */
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_AVX512);
    cr_assert(!rtj_cpu_has_avx512_vnni(&c));
}

/* The struct read from this CPU agrees with what the kernel says in /proc/cpuinfo. */
Test(dispatch, cpuid_agrees_with_proc_cpuinfo)
{
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        cr_skip_test("no /proc/cpuinfo");
    char line[8192];
    int found = 0;
    rtj_cpu_info c;
    rtj_cpu_read(&c);
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "flags", 5) == 0) {
            found = 1;
            cr_expect_eq(c.avx2, strstr(line, " avx2") != NULL);
            cr_expect_eq(c.fma, strstr(line, " fma") != NULL);
            cr_expect_eq(c.avx512f, strstr(line, " avx512f") != NULL);
            cr_expect_eq(c.avx512bw, strstr(line, " avx512bw") != NULL);
            cr_expect_eq(c.avx512vnni, strstr(line, " avx512_vnni") != NULL);
            break;
        }
    fclose(f);
    cr_assert(found, "no flags line in /proc/cpuinfo");
}
#endif

Test(dispatch, arm_neon_and_other_arches)
{
    rtj_cpu_info c;
    memset(&c, 0, sizeof c);
    c.arch = RTJ_ARCH_AARCH64;
    c.neon = true;
#if defined(__aarch64__)
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_NEON);
#else
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_SCALAR, "an x86 build has no NEON table");
#endif
    cr_assert_eq(chosen(&c, RTJ_ISA_AVX2), RTJ_ISA_AUTO);
    c.arch = RTJ_ARCH_OTHER;
    c.neon = false;
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_SCALAR);
    cr_assert_eq(chosen(&c, RTJ_ISA_SCALAR), RTJ_ISA_SCALAR);
}

Test(dispatch, isa_names_round_trip)
{
    for (int i = RTJ_ISA_SCALAR; i < RTJ_ISA_COUNT; i++)
        cr_assert_eq(rtj_isa_from_name(rtj_isa_name((enum rtj_isa)i)), (enum rtj_isa)i);
    cr_assert_eq(rtj_isa_from_name("avx3"), RTJ_ISA_AUTO);
    cr_assert_eq(rtj_isa_from_name(NULL), RTJ_ISA_AUTO);
}

/* RTJ_ISA is read once per process; Criterion runs each test in a process of its own. */
Test(dispatch, env_forces_scalar)
{
    setenv("RTJ_ISA", "scalar", 1);
    const rtj_kernels *kt = rtj_kernels_get();
    cr_assert_not_null(kt);
    cr_assert_eq(kt->isa, RTJ_ISA_SCALAR);
    cr_assert_null(rtj_kernels_error());
}

Test(dispatch, env_unknown_isa_is_a_clear_error)
{
    setenv("RTJ_ISA", "avx1024", 1);
    cr_assert_null(rtj_kernels_get());
    cr_assert(strstr(rtj_kernels_error(), "avx1024") != NULL, "error: %s", rtj_kernels_error());
}

Test(dispatch, env_isa_this_cpu_lacks_is_a_clear_error)
{
#if defined(__x86_64__)
    setenv("RTJ_ISA", "neon", 1);
#else
    setenv("RTJ_ISA", "avx512", 1);
#endif
    cr_assert_null(rtj_kernels_get());
    cr_assert(strstr(rtj_kernels_error(), "cannot run") != NULL, "error: %s", rtj_kernels_error());
}

Test(dispatch, default_is_the_best_runnable)
{
    unsetenv("RTJ_ISA");
    const rtj_kernels *kt = rtj_kernels_get();
    cr_assert_not_null(kt);
    rtj_kernels best;
    cr_assert_eq(rtj_kernels_select(rtj_cpu_get(), RTJ_ISA_AUTO, &best), 0);
    cr_assert_eq(kt->isa, best.isa);
    cr_log_info("this CPU runs the %s kernels", kt->name);
}
