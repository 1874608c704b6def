/* Shared by the Criterion suites: deterministic random data, and one test per ISA for each check so
 * that an ISA this CPU cannot run shows up as skipped, never as a silent pass. */
#ifndef RTJ_TEST_COMMON_H
#define RTJ_TEST_COMMON_H

#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "../kernels/ref.h"
#include "../kernels/rtj_kernels.h"

/* Unit roundoff of float: every FP32 tolerance below is a multiple of it. */
#define U_F32 (FLT_EPSILON / 2)

typedef struct { uint64_t s; } test_rng;
static inline uint32_t rng_next(test_rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return (uint32_t)(r->s >> 32);
}
/* Uniform in [lo, hi). */
static inline float rng_uniform(test_rng *r, float lo, float hi)
{
    return lo + (hi - lo) * (float)(rng_next(r) >> 8) * (1.0f / 16777216.0f);
}
static inline void fill_uniform(float *x, size_t n, float lo, float hi, test_rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rng_uniform(r, lo, hi);
}
/* A malloc that fails the test rather than returning NULL. */
static inline void *test_alloc(size_t bytes)
{
    void *p = malloc(bytes ? bytes : 1);
    cr_assert(p != NULL, "out of memory (%zu bytes)", bytes);
    return p;
}

#include "../kernels/kernel_list.h"

/* The kernel table of an ISA, or skip the test visibly when this CPU (or this build) lacks it. make test's
 * kernel-set summary (tests/kernel_sets.sh) fails when a built set ran in no test run, natively or
 * emulated, so a skip here never hides a kernel. */
static inline const rtj_kernels *isa_or_skip(enum rtj_isa isa)
{
    const rtj_kernels *kt = rtj_kernels_for_isa(isa);
    if (!kt)
        cr_skip_test("this CPU or build cannot run the %s kernels", rtj_isa_name(isa));
    return kt;
}
/* The table of a listed kernel's ISA with that kernel in it, or skip visibly. */
static inline const rtj_kernels *f32_gemm_or_skip(rtj_f32_gemm_ukernel_fn fn, const char *name,
                                                  rtj_kernels *buf)
{
    if (rtj_kernels_with_f32_gemm(fn, buf) != 0)
        cr_skip_test("this CPU cannot run %s", name);
    return buf;
}
static inline const rtj_kernels *q8_gemm_or_skip(rtj_q8_gemm_ukernel_fn fn, const char *name, rtj_kernels *buf)
{
    if (rtj_kernels_with_q8_gemm(fn, buf) != 0)
        cr_skip_test("this CPU cannot run %s", name);
    return buf;
}

/* One Criterion test per listed kernel, named name__<set>, generated from the kernel lists
 * (kernels/kernel_list.h), so a kernel added there is tested with no other edit. The lists pass P = (suite,
 * name) through; the extra macro levels let P's parts expand before they are pasted. */
#define TEST_P_SUITE_(s, n) s
#define TEST_P_NAME_(s, n) n
#define TEST_ISA_(P, sfx, set, isa) TEST_ISA2_(TEST_P_SUITE_ P, TEST_P_NAME_ P, set, isa)
#define TEST_ISA2_(s, n, set, isa) TEST_ISA3_(s, n, set, isa)
#define TEST_ISA3_(s, n, set, isa) Test(s, n##__##set) { n(isa_or_skip(isa)); }
#define TEST_F32_GEMM_(P, fn, set, ...) TEST_F32_GEMM2_(TEST_P_SUITE_ P, TEST_P_NAME_ P, fn, set)
#define TEST_F32_GEMM2_(s, n, fn, set) TEST_F32_GEMM3_(s, n, fn, set)
#define TEST_F32_GEMM3_(s, n, fn, set)                                                                  \
    Test(s, n##__##set) { rtj_kernels t_; n(f32_gemm_or_skip(fn, #fn, &t_)); }
#define TEST_Q8_GEMM_(P, fn, set, ...) TEST_Q8_GEMM2_(TEST_P_SUITE_ P, TEST_P_NAME_ P, fn, set)
#define TEST_Q8_GEMM2_(s, n, fn, set) TEST_Q8_GEMM3_(s, n, fn, set)
#define TEST_Q8_GEMM3_(s, n, fn, set)                                                                   \
    Test(s, n##__##set) { rtj_kernels t_; n(q8_gemm_or_skip(fn, #fn, &t_)); }

/* TEST_EACH_ISA(suite, name) { body using kt }: one test per ISA's table (its row kernels, its FP32 GEMM). */
#define TEST_EACH_ISA(suite, name)                                                                      \
    static void name(const rtj_kernels *kt);                                                           \
    RTJ_F32_ROW_KERNELS(TEST_ISA_, (suite, name))                                                       \
    static void name(const rtj_kernels *kt)
/* TEST_EACH_F32_GEMM / TEST_EACH_Q8_GEMM(suite, name) { body using kt }: one test per listed GEMM
 * micro-kernel, kt being its ISA's table with that kernel in it. */
#define TEST_EACH_F32_GEMM(suite, name)                                                                 \
    static void name(const rtj_kernels *kt);                                                           \
    RTJ_F32_GEMM_UKERNELS(TEST_F32_GEMM_, (suite, name))                                                \
    static void name(const rtj_kernels *kt)
#define TEST_EACH_Q8_GEMM(suite, name)                                                                  \
    static void name(const rtj_kernels *kt);                                                           \
    RTJ_Q8_GEMM_UKERNELS(TEST_Q8_GEMM_, (suite, name))                                                  \
    static void name(const rtj_kernels *kt)

#endif
