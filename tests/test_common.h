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

/* The kernel table of an ISA, or skip the test visibly when this CPU (or this build) lacks it. */
static inline const rtj_kernels *isa_or_skip(enum rtj_isa isa)
{
    const rtj_kernels *kt = rtj_kernels_for_isa(isa);
    if (!kt)
        cr_skip_test("this CPU or build cannot run the %s kernels", rtj_isa_name(isa));
    return kt;
}

/* TEST_EACH_ISA(suite, name) { body using kt } : one Criterion test per ISA, named name__<isa>. */
#define TEST_EACH_ISA(suite, name)                                                                      \
    static void name(const rtj_kernels *kt);                                                           \
    Test(suite, name##__scalar) { name(isa_or_skip(RTJ_ISA_SCALAR)); }                                 \
    Test(suite, name##__avx2) { name(isa_or_skip(RTJ_ISA_AVX2)); }                                     \
    Test(suite, name##__avx512) { name(isa_or_skip(RTJ_ISA_AVX512)); }                                 \
    Test(suite, name##__neon) { name(isa_or_skip(RTJ_ISA_NEON)); }                                     \
    static void name(const rtj_kernels *kt)

#endif
