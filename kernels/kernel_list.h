/* Every kernel built into this library, one X-macro list per family, read by dispatch (kernels/dispatch.c),
 * the tests (tests/test_common.h) and the benchmarks alike, so a kernel added here is dispatched, tested and
 * benchmarked with no other list to keep in step. Names: <what>_<type>_<tile>__<set>, where the set is the
 * CPU capability the kernel needs (enum rtj_kernel_set, arch/cpu.h).
 *
 * Each list is LIST(X, P): it calls X(P, ...) once per kernel, P passed through untouched (the tests pass
 * the suite and test name in it). Order is preference: dispatch takes the first kernel an ISA's table may
 * use and the CPU can run. */
#ifndef RTJ_KERNEL_LIST_H
#define RTJ_KERNEL_LIST_H

#include "rtj_kernels.h"

/* Row and elementwise kernels (softmax, LayerNorm, GELU, tanh, embedding, activation quantization),
 * compiled once per ISA from kernels/f32_vec_kernels.inc: X(P, suffix, set, isa). */
/* FP32 GEMM micro-kernels: X(P, function, set, isa, MR, NR, KC, MC). KC and MC keep the kc x NR W panel in
 * L1/L2 and the MC x KC slice of A in L2 (1 MiB on Zen 4); the x86 values were measured with
 * bench/bench_f32_gemm, the NEON ones chosen by the same budget, unmeasured (qemu timings mean nothing). */
/* INT8 GEMM micro-kernels: X(P, function, set, isa, MR, NR, activation max). An ISA's table may use the
 * INT8 kernels of the ISAs it includes (rtj_isa_includes): AVX-512 VNNI where the CPU has it, else AVX-VNNI
 * (an AVX2-table kernel: the AVX2 table takes it too), else the AVX2 kernel, whose vpmaddubsw needs
 * activations kept to 127 (see its file); NEON: SDOT with dotprod, else SMLAL. */
#if defined(__x86_64__)
#define RTJ_F32_ROW_KERNELS_ARCH(X, P) X(P, avx2, avx2, RTJ_ISA_AVX2) X(P, avx512, avx512, RTJ_ISA_AVX512)
#define RTJ_F32_GEMM_UKERNELS_ARCH(X, P)                                                                \
    X(P, rtj_f32_gemm_ukernel_8x32__avx512, avx512, RTJ_ISA_AVX512, 8, 32, 384, 256)                   \
    X(P, rtj_f32_gemm_ukernel_6x16__avx2, avx2, RTJ_ISA_AVX2, 6, 16, 384, 192)
#define RTJ_Q8_GEMM_UKERNELS_ARCH(X, P)                                                                 \
    X(P, rtj_q8_gemm_ukernel_8x32__avx512vnni, avx512vnni, RTJ_ISA_AVX512, 8, 32, 255)                 \
    X(P, rtj_q8_gemm_ukernel_6x16__avxvnni, avxvnni, RTJ_ISA_AVX2, 6, 16, 255)                         \
    X(P, rtj_q8_gemm_ukernel_4x16__avx2, avx2, RTJ_ISA_AVX2, 4, 16, 127)
#elif defined(__aarch64__)
#define RTJ_F32_ROW_KERNELS_ARCH(X, P) X(P, neon, neon, RTJ_ISA_NEON)
#define RTJ_F32_GEMM_UKERNELS_ARCH(X, P) X(P, rtj_f32_gemm_ukernel_6x12__neon, neon, RTJ_ISA_NEON, 6, 12, 256, 120)
#define RTJ_Q8_GEMM_UKERNELS_ARCH(X, P)                                                                 \
    X(P, rtj_q8_gemm_ukernel_4x16__neondot, neondot, RTJ_ISA_NEON, 4, 16, 255)                         \
    X(P, rtj_q8_gemm_ukernel_4x16__neon, neon, RTJ_ISA_NEON, 4, 16, 255)
#else
#define RTJ_F32_ROW_KERNELS_ARCH(X, P)
#define RTJ_F32_GEMM_UKERNELS_ARCH(X, P)
#define RTJ_Q8_GEMM_UKERNELS_ARCH(X, P)
#endif

#define RTJ_F32_ROW_KERNELS(X, P) RTJ_F32_ROW_KERNELS_ARCH(X, P) X(P, scalar, scalar, RTJ_ISA_SCALAR)
#define RTJ_F32_GEMM_UKERNELS(X, P)                                                                     \
    RTJ_F32_GEMM_UKERNELS_ARCH(X, P) X(P, rtj_f32_gemm_ukernel_4x8__scalar, scalar, RTJ_ISA_SCALAR, 4, 8, 256, 128)
#define RTJ_Q8_GEMM_UKERNELS(X, P)                                                                      \
    RTJ_Q8_GEMM_UKERNELS_ARCH(X, P) X(P, rtj_q8_gemm_ukernel_4x16__scalar, scalar, RTJ_ISA_SCALAR, 4, 16, 255)

/* The declarations, from the lists. */
#define RTJ_DECLARE_ROW_KERNELS_(P, sfx, set, isa)                                                     \
    void rtj_f32_softmax__##sfx(size_t n, const float *x, const float *mask, float *y);                \
    void rtj_f32_layernorm__##sfx(size_t rows, size_t n, const float *x, size_t ldx, const float *res, \
                                  size_t ldres, const float *gamma, const float *beta, float eps,       \
                                  float *y, size_t ldy);                                                \
    void rtj_f32_gelu__##sfx(size_t n, const float *x, float *y);                                       \
    void rtj_f32_tanh__##sfx(size_t n, const float *x, float *y);                                       \
    void rtj_f32_embed__##sfx(size_t seq, const int32_t *ids, const int32_t *types, size_t pos0,        \
                              const float *word, const float *pos, const float *type, size_t hidden,    \
                              float *out, size_t ldo);                                                  \
    void rtj_q8_quantize_rows__##sfx(size_t m, size_t k, const float *x, size_t ldx, int qmax, uint8_t *q, \
                                     size_t ldq, float *scale, int32_t *zero);
#define RTJ_DECLARE_GEMM_UKERNEL_(P, fn, set, isa, mr, nr, kc, mc)                                     \
    void fn(size_t mr_, size_t nr_, size_t kc_, const float *a, size_t lda, const float *w, float *c, \
            size_t ldc, int accumulate, const rtj_f32_epi *epi);
#define RTJ_DECLARE_Q8_GEMM_UKERNEL_(P, fn, set, isa, mr, nr, act_max)                                 \
    void fn(size_t mr_, size_t nr_, size_t k_pad, const uint8_t *a, size_t lda, const int8_t *w,       \
            size_t panel_stride, void *c, size_t ldc, const rtj_q8_epi *epi);
RTJ_F32_ROW_KERNELS(RTJ_DECLARE_ROW_KERNELS_, ~)
RTJ_F32_GEMM_UKERNELS(RTJ_DECLARE_GEMM_UKERNEL_, ~)
RTJ_Q8_GEMM_UKERNELS(RTJ_DECLARE_Q8_GEMM_UKERNEL_, ~)

#endif
