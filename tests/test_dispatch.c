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

/* Alder Lake and later Intel client cores: AVX2, FMA and AVX-VNNI, no AVX-512 (XCR0 0x207: x87, SSE, AVX,
 * PKRU). */
static rtj_cpu_info alder_lake_like(void)
{
    rtj_cpu_info c;
    memset(&c, 0, sizeof c);
    c.arch = RTJ_ARCH_X86_64;
    c.osxsave = c.avx = c.fma = c.f16c = c.avx2 = c.avxvnni = true;
    c.xcr0 = 0x207;
    return c;
}

/* The INT8 kernel of the table chosen (force: as RTJ_ISA), its activation range in *act_max; NULL when no
 * table. */
static const char *q8_chosen(const rtj_cpu_info *c, enum rtj_isa force, int *act_max)
{
    rtj_kernels t;
    if (rtj_kernels_select(c, force, &t) != 0)
        return NULL;
    *act_max = t.q8_act_max;
    return t.q8_gemm_ukernel_name;
}

Test(dispatch, avx_vnni_without_avx512_runs_the_avx2_table_with_the_avxvnni_int8_kernel)
{
    rtj_cpu_info c = alder_lake_like();
    rtj_kernels t;
    cr_assert_eq(rtj_kernels_select(&c, RTJ_ISA_AUTO, &t), 0);
    cr_assert_eq(t.isa, RTJ_ISA_AVX2);
    cr_assert_str_eq(t.q8_gemm_ukernel_name, "rtj_q8_gemm_ukernel_6x16__avxvnni");
    cr_assert(t.q8_gemm_ukernel == rtj_q8_gemm_ukernel_6x16__avxvnni);
    cr_assert_eq(t.q8_act_max, 255, "vpdpbusd takes full u8 activations");
    cr_assert_eq(t.q8_gemm_mr, 6);
    cr_assert_eq(t.q8_gemm_nr, 16);
    /* Everything else is the AVX2 table's. */
    cr_assert_str_eq(t.f32_gemm_ukernel_name, "rtj_f32_gemm_ukernel_6x16__avx2");
    cr_assert(t.f32_gelu == rtj_f32_gelu__avx2 && t.q8_quantize == rtj_q8_quantize_rows__avx2);
    cr_assert(rtj_cpu_has_avx_vnni(&c) && rtj_cpu_has_set(&c, RTJ_SET_avxvnni));
    cr_assert(!rtj_cpu_has_set(&c, RTJ_SET_avx512vnni));
    /* RTJ_ISA=avx2 names the table: on this CPU it still takes the AVX-VNNI INT8 kernel. */
    int amax = 0;
    cr_assert_str_eq(q8_chosen(&c, RTJ_ISA_AVX2, &amax), "rtj_q8_gemm_ukernel_6x16__avxvnni");
    cr_assert_null(q8_chosen(&c, RTJ_ISA_AVX512, &amax), "forcing avx512 must fail");
    cr_assert_str_eq(q8_chosen(&c, RTJ_ISA_SCALAR, &amax), "rtj_q8_gemm_ukernel_4x16__scalar");
}

Test(dispatch, int8_preference_is_avx512_vnni_then_avx_vnni_then_avx2)
{
    int amax = 0;
    rtj_cpu_info c = zen4_like(); /* AVX-512 VNNI, no AVX-VNNI */
    cr_assert_str_eq(q8_chosen(&c, RTJ_ISA_AUTO, &amax), "rtj_q8_gemm_ukernel_8x32__avx512vnni");
    cr_assert_str_eq(q8_chosen(&c, RTJ_ISA_AVX2, &amax), "rtj_q8_gemm_ukernel_4x16__avx2");
    cr_assert_eq(amax, 127);
    c.avxvnni = true; /* Sapphire Rapids: both */
    cr_assert_str_eq(q8_chosen(&c, RTJ_ISA_AUTO, &amax), "rtj_q8_gemm_ukernel_8x32__avx512vnni");
    cr_assert_str_eq(q8_chosen(&c, RTJ_ISA_AVX2, &amax), "rtj_q8_gemm_ukernel_6x16__avxvnni");
    cr_assert_eq(amax, 255);
    c.avx512vnni = false; /* AVX-512 without its VNNI but with AVX-VNNI: the AVX-512 table takes AVX-VNNI */
    rtj_kernels t;
    cr_assert_eq(rtj_kernels_select(&c, RTJ_ISA_AUTO, &t), 0);
    cr_assert_eq(t.isa, RTJ_ISA_AVX512);
    cr_assert_str_eq(t.q8_gemm_ukernel_name, "rtj_q8_gemm_ukernel_6x16__avxvnni");
    c.avxvnni = false; /* Skylake-X: neither */
    cr_assert_str_eq(q8_chosen(&c, RTJ_ISA_AUTO, &amax), "rtj_q8_gemm_ukernel_4x16__avx2");
    c = alder_lake_like();
    c.avxvnni = false; /* Haswell to Zen 3: AVX2 only */
    cr_assert_str_eq(q8_chosen(&c, RTJ_ISA_AUTO, &amax), "rtj_q8_gemm_ukernel_4x16__avx2");
}

Test(dispatch, avx_vnni_needs_what_avx2_needs)
{
    rtj_cpu_info c = alder_lake_like();
    c.xcr0 = 0x3; /* the OS does not save the upper YMM halves */
    cr_assert(!rtj_cpu_has_avx_vnni(&c));
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_SCALAR);
    c = alder_lake_like();
    c.osxsave = false;
    cr_assert(!rtj_cpu_has_set(&c, RTJ_SET_avxvnni));
    c = alder_lake_like();
    c.fma = false;
    cr_assert(!rtj_cpu_has_avx_vnni(&c), "the AVX-VNNI kernel's table and epilogue use FMA");
    cr_assert_eq(chosen(&c, RTJ_ISA_AUTO), RTJ_ISA_SCALAR);
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
            cr_expect_eq(c.avxvnni, strstr(line, " avx_vnni") != NULL);
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

/* The table in use, RTJ_ISA applied, is the pure choice for this CPU (the emulated run under RTJ_ISA=avx2
 * checks that the AVX2 table took the AVX-VNNI INT8 kernel; its log names it). */
Test(dispatch, table_in_use_is_the_choice_for_this_cpu)
{
    const char *env = getenv("RTJ_ISA");
    const rtj_kernels *kt = rtj_kernels_get();
    cr_assert_not_null(kt, "RTJ_ISA=%s: %s", env ? env : "", rtj_kernels_error());
    rtj_kernels want;
    cr_assert_eq(rtj_kernels_select(rtj_cpu_get(), env && *env ? rtj_isa_from_name(env) : RTJ_ISA_AUTO, &want), 0);
    cr_assert_eq(kt->isa, want.isa);
    cr_assert_str_eq(kt->q8_gemm_ukernel_name, want.q8_gemm_ukernel_name);
    if (kt->isa == RTJ_ISA_AVX2 && rtj_cpu_has_avx_vnni(rtj_cpu_get()))
        cr_assert(strstr(kt->q8_gemm_ukernel_name, "__avxvnni") != NULL, "%s", kt->q8_gemm_ukernel_name);
    cr_log_info("RTJ_ISA=%s: the %s table, INT8 kernel %s (activations 0..%d)", env ? env : "(unset)", kt->name,
                kt->q8_gemm_ukernel_name, kt->q8_act_max);
}
