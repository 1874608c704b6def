/* The loops that measure this machine's FP32 and INT8 peaks (machine.c times them), one ISA per file under
 * bench/<isa>/, built with that ISA's flags like the library's arch/<isa>/ files, and entered only after a
 * runtime check: the benchmark binaries still run on a CPU without AVX2 or AVX-512. Benchmark-internal.
 *
 * Each loop keeps 12 independent chains: FMA latency 4 x 2 pipes (Zen 4) needs at least 8 in flight, 12
 * covers cores with 3-cycle or 5-cycle FMAs too. FP32: a = a*m + c with m < 1 converges, so no overflow
 * or denormals. INT8: each step one accumulation of the instructions an INT8 GEMM is built from; the
 * values wrap and saturate freely, as these instructions take the same time whatever they compute.
 * Distinct starting values keep the compiler from merging chains; the sum is returned and consumed so the
 * loop cannot be dropped. Each returns that sum after `iters` iterations. */
#ifndef RTJ_BENCH_PEAK_LOOPS_H
#define RTJ_BENCH_PEAK_LOOPS_H

#include <stdint.h>

#define REP12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)
/* The body of every loop, given DECL(i) (declare chain i), STEP(i) (one step of chain i) and SUM(i) (fold
 * chain i into the result): 12 chains declared, iters steps of all 12, the 12 folded. */
#define PEAK_CHAINS(iters)                                                                              \
    REP12(DECL)                                                                                         \
    for (long it_ = 0; it_ < (iters); it_++) {                                                          \
        REP12(STEP)                                                                                     \
    }                                                                                                   \
    REP12(SUM)

/* Compilers need two nudges in the INT8 loops, given by empty asm statements that emit no instruction
 * (OPAQUE: "this register may have changed"):
 *  - vpmaddubsw and smull do not read the accumulator, so the product of two loop invariants would be
 *    hoisted out of the loop and only the adds timed: the weight vector is made opaque before each step;
 *  - GCC 12 schedules all products of an iteration first and spills the accumulators, and copies the
 *    vpdpbusd accumulators between registers every iteration: making each accumulator opaque after its
 *    step keeps the steps in order and in place (checked with objdump: no stack traffic, no copies).
 * (The loop constants are made opaque once too: a multiply by a known 1 is folded into a widening.) */
#if defined(__x86_64__)
#define OPAQUE_X(v) __asm__ volatile("" : "+x"(v)) /* xmm/ymm 0-15 */
#define OPAQUE_V(v) __asm__ volatile("" : "+v"(v)) /* any AVX-512 register */
#elif defined(__aarch64__)
#define OPAQUE_W(v) __asm__ volatile("" : "+w"(v)) /* any SIMD register */
#endif

/* The lanes of a vector stored to memory, summed (wrapping). */
static inline float bench_sum_lanes_i32(const int32_t *o, int n)
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++)
        r += (uint32_t)o[i];
    return (float)r;
}

#if defined(__aarch64__)
#include <arm_neon.h>
static inline float bench_sum_lanes_s32x4(int32x4_t s)
{
    int32_t o[4];
    vst1q_s32(o, s);
    return bench_sum_lanes_i32(o, 4);
}
#endif

typedef float (*bench_peak_loop_fn)(long iters);

#if defined(__x86_64__)
/* bench/x86/avx2/peak.c: 8 FP32 FMAs a chain and step (16 FLOP); vpmaddubsw + vpmaddwd + vpaddd, 32 u8 x s8
 * multiply-adds (64 ops). */
float bench_peak_f32_fma_ymm__avx2(long iters);
float bench_peak_i8_maddubs_ymm__avx2(long iters);
/* bench/x86/avx512/peak.c: 16 FP32 FMAs (32 FLOP); vpdpbusd on ymm, 32 multiply-adds (64 ops), and on
 * zmm, 64 (128 ops). */
float bench_peak_f32_fma_zmm__avx512(long iters);
float bench_peak_i8_vnni_ymm__avx512(long iters);
float bench_peak_i8_vnni_zmm__avx512(long iters);
#elif defined(__aarch64__)
/* bench/arm/neon/peak.c: 4 FP32 FMAs (8 FLOP); smull + sadalp, 8 s8 x s8 multiply-adds (16 ops). */
float bench_peak_f32_fmla__neon(long iters);
float bench_peak_i8_smull_sadalp__neon(long iters);
/* bench/arm/neondot/peak.c: sdot, 16 s8 x s8 multiply-adds (32 ops). */
float bench_peak_i8_sdot__neondot(long iters);
#endif

#endif
