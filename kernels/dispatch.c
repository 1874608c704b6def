/* One table per ISA, the pure choice among them, and the process's table filled once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernel_list.h"

#define VEC_KERNELS(isa)                                                                                \
    .f32_softmax = rtj_f32_softmax__##isa, .f32_layernorm = rtj_f32_layernorm__##isa,                   \
    .f32_gelu = rtj_f32_gelu__##isa, .f32_tanh = rtj_f32_tanh__##isa, .f32_embed = rtj_f32_embed__##isa, \
    .q8_quantize = rtj_q8_quantize_rows__##isa
#define GEMM_UKERNEL(fn, mr_, nr_, kc_, mc_)                                                            \
    .f32_gemm_ukernel = fn, .f32_gemm_ukernel_name = #fn, .f32_gemm_mr = mr_, .f32_gemm_nr = nr_,       \
    .f32_gemm_kc = kc_, .f32_gemm_mc = mc_

#define Q8_GEMM_UKERNEL(fn, mr_, nr_, act_max_)                                                          \
    .q8_gemm_ukernel = fn, .q8_gemm_ukernel_name = #fn, .q8_gemm_mr = mr_, .q8_gemm_nr = nr_,           \
    .q8_act_max = act_max_

/* KC and MC: the kc x NR W panel in L1/L2 and the MC x KC slice of A in L2 (1 MiB on Zen 4). The x86
 * values were measured with bench/bench_f32_gemm; the NEON ones are chosen by the same budget, unmeasured
 * (no aarch64 hardware here, and qemu timings mean nothing). */
static const rtj_kernels table_scalar = {
    .isa = RTJ_ISA_SCALAR, .name = "scalar",
    GEMM_UKERNEL(rtj_f32_gemm_ukernel_4x8__scalar, 4, 8, 256, 128),
    Q8_GEMM_UKERNEL(rtj_q8_gemm_ukernel_4x16__scalar, 4, 16, 255), VEC_KERNELS(scalar)};

#if defined(__x86_64__)
static const rtj_kernels table_avx2 = {
    .isa = RTJ_ISA_AVX2, .name = "avx2",
    GEMM_UKERNEL(rtj_f32_gemm_ukernel_6x16__avx2, 6, 16, 384, 192), VEC_KERNELS(avx2)};
static const rtj_kernels table_avx512 = {
    .isa = RTJ_ISA_AVX512, .name = "avx512",
    GEMM_UKERNEL(rtj_f32_gemm_ukernel_8x32__avx512, 8, 32, 384, 256), VEC_KERNELS(avx512)};
#endif

#if defined(__aarch64__)
static const rtj_kernels table_neon = {
    .isa = RTJ_ISA_NEON, .name = "neon",
    GEMM_UKERNEL(rtj_f32_gemm_ukernel_6x12__neon, 6, 12, 256, 120), VEC_KERNELS(neon)};
#endif

/* The table built into this binary for an ISA, or NULL. */
static const rtj_kernels *built_table(enum rtj_isa isa)
{
    switch (isa) {
    case RTJ_ISA_SCALAR:
        return &table_scalar;
#if defined(__x86_64__)
    case RTJ_ISA_AVX2:
        return &table_avx2;
    case RTJ_ISA_AVX512:
        return &table_avx512;
#endif
#if defined(__aarch64__)
    case RTJ_ISA_NEON:
        return &table_neon;
#endif
    default:
        return NULL;
    }
}

/* The INT8 kernel depends on capabilities beyond the table's ISA (VNNI, dotprod): chosen here.
 * An ISA without an INT8 kernel of its own runs the portable one. */
static void set_q8(rtj_kernels *t, rtj_q8_gemm_ukernel_fn fn, const char *name, size_t mr, size_t nr, int act_max)
{
    t->q8_gemm_ukernel = fn;
    t->q8_gemm_ukernel_name = name;
    t->q8_gemm_mr = mr;
    t->q8_gemm_nr = nr;
    t->q8_act_max = act_max;
}

static void choose_q8(const rtj_cpu_info *cpu, rtj_kernels *t)
{
    (void)cpu;
    set_q8(t, table_scalar.q8_gemm_ukernel, table_scalar.q8_gemm_ukernel_name, table_scalar.q8_gemm_mr,
           table_scalar.q8_gemm_nr, table_scalar.q8_act_max);
#if defined(__x86_64__)
    /* x86 INT8: VNNI where the CPU has it (activations to 255: vpdpbusd has no int16 step); otherwise
     * the AVX2 kernel, whose vpmaddubsw needs activations kept to 127 (see its file). */
    if (t->isa == RTJ_ISA_AVX512 && rtj_cpu_has_avx512_vnni(cpu))
        set_q8(t, rtj_q8_gemm_ukernel_8x32__avx512vnni, "rtj_q8_gemm_ukernel_8x32__avx512vnni", 8, 32, 255);
    else if (t->isa == RTJ_ISA_AVX2 || t->isa == RTJ_ISA_AVX512)
        set_q8(t, rtj_q8_gemm_ukernel_4x16__avx2, "rtj_q8_gemm_ukernel_4x16__avx2", 4, 16, 127);
#endif
#if defined(__aarch64__)
    /* aarch64 INT8: SDOT where the CPU has dotprod (Armv8.2+), else widening SMLAL; both exact for
     * activations to 255 (no int16 partial sums). */
    if (t->isa == RTJ_ISA_NEON) {
        if (cpu->dotprod)
            set_q8(t, rtj_q8_gemm_ukernel_4x16__neondot, "rtj_q8_gemm_ukernel_4x16__neondot", 4, 16, 255);
        else
            set_q8(t, rtj_q8_gemm_ukernel_4x16__neon, "rtj_q8_gemm_ukernel_4x16__neon", 4, 16, 255);
    }
#endif
}

/* Best first. */
static const enum rtj_isa preference[] = {RTJ_ISA_AVX512, RTJ_ISA_AVX2, RTJ_ISA_NEON, RTJ_ISA_SCALAR};

int rtj_kernels_select(const rtj_cpu_info *cpu, enum rtj_isa force, rtj_kernels *out)
{
    if (force != RTJ_ISA_AUTO) {
        const rtj_kernels *t = built_table(force);
        if (!t || !rtj_cpu_can_run(cpu, force))
            return -1;
        *out = *t;
        choose_q8(cpu, out);
        return 0;
    }
    for (size_t i = 0; i < sizeof preference / sizeof preference[0]; i++) {
        const rtj_kernels *t = built_table(preference[i]);
        if (t && rtj_cpu_can_run(cpu, preference[i])) {
            *out = *t;
            choose_q8(cpu, out);
            return 0;
        }
    }
    return -1; /* unreachable: scalar always runs */
}

/* The dispatch state: written once under pthread_once, read-only after. */
static pthread_once_t dispatch_once = PTHREAD_ONCE_INIT;
static rtj_cpu_info dispatch_cpu;
static rtj_kernels dispatch_table;
static const rtj_kernels *dispatch_active;
static char dispatch_error[160];
static rtj_kernels dispatch_isa_tables[RTJ_ISA_COUNT];
static bool dispatch_isa_ok[RTJ_ISA_COUNT];

static void dispatch_init(void)
{
    rtj_cpu_read(&dispatch_cpu);
    for (int i = RTJ_ISA_SCALAR; i < RTJ_ISA_COUNT; i++)
        dispatch_isa_ok[i] = rtj_kernels_select(&dispatch_cpu, (enum rtj_isa)i, &dispatch_isa_tables[i]) == 0;
    const char *env = getenv("RTJ_ISA");
    enum rtj_isa force = RTJ_ISA_AUTO;
    if (env && *env && !(env[0] == 'a' && env[1] == 'u')) {
        force = rtj_isa_from_name(env);
        if (force == RTJ_ISA_AUTO) {
            snprintf(dispatch_error, sizeof dispatch_error,
                     "RTJ_ISA=%.40s is not one of scalar, avx2, avx512, neon (or auto)", env);
            return;
        }
    }
    if (rtj_kernels_select(&dispatch_cpu, force, &dispatch_table) != 0) {
        snprintf(dispatch_error, sizeof dispatch_error,
                 "RTJ_ISA=%s: this CPU (or this build) cannot run %s kernels", env, rtj_isa_name(force));
        return;
    }
    dispatch_active = &dispatch_table;
}

const rtj_kernels *rtj_kernels_get(void)
{
    pthread_once(&dispatch_once, dispatch_init);
    return dispatch_active;
}

const char *rtj_kernels_error(void)
{
    pthread_once(&dispatch_once, dispatch_init);
    return dispatch_active ? NULL : dispatch_error;
}

const rtj_cpu_info *rtj_cpu_get(void)
{
    pthread_once(&dispatch_once, dispatch_init);
    return &dispatch_cpu;
}

const rtj_kernels *rtj_kernels_for_isa(enum rtj_isa isa)
{
    pthread_once(&dispatch_once, dispatch_init);
    if ((unsigned)isa >= RTJ_ISA_COUNT || isa == RTJ_ISA_AUTO)
        return NULL;
    return dispatch_isa_ok[isa] ? &dispatch_isa_tables[isa] : NULL;
}
