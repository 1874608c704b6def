/* Every ISA's kernels by name: <what>_<type>_<tile>__<isa>. The dispatch table (kernels/dispatch.c) is the
 * one list that tests and benchmarks walk: each ISA's table holds exactly one kernel of each family. */
#ifndef RTJ_KERNEL_LIST_H
#define RTJ_KERNEL_LIST_H

#include "rtj_kernels.h"

#define RTJ_DECLARE_VEC_KERNELS(isa)                                                                    \
    void rtj_f32_softmax__##isa(size_t n, const float *x, const float *mask, float *y);                \
    void rtj_f32_layernorm__##isa(size_t rows, size_t n, const float *x, size_t ldx, const float *res, \
                                  size_t ldres, const float *gamma, const float *beta, float eps,       \
                                  float *y, size_t ldy);                                                \
    void rtj_f32_gelu__##isa(size_t n, const float *x, float *y);                                       \
    void rtj_f32_tanh__##isa(size_t n, const float *x, float *y);                                       \
    void rtj_f32_embed__##isa(size_t seq, const int32_t *ids, const int32_t *types, size_t pos0,        \
                              const float *word, const float *pos, const float *type, size_t hidden,    \
                              float *out, size_t ldo);                                                  \
    void rtj_q8_quantize_rows__##isa(size_t m, size_t k, const float *x, size_t ldx, int qmax, uint8_t *q,  \
                                     size_t ldq, float *scale, int32_t *zero);

#define RTJ_DECLARE_GEMM_UKERNEL(name)                                                                  \
    void name(size_t mr, size_t nr, size_t kc, const float *a, size_t lda, const float *w, float *c,   \
              size_t ldc, int accumulate, const rtj_f32_epi *epi);

#define RTJ_DECLARE_Q8_GEMM_UKERNEL(name)                                                               \
    void name(size_t mr, size_t nr, size_t k_pad, const uint8_t *a, size_t lda, const int8_t *w,       \
              size_t panel_stride, void *c, size_t ldc, const rtj_q8_epi *epi);

RTJ_DECLARE_VEC_KERNELS(scalar)
RTJ_DECLARE_Q8_GEMM_UKERNEL(rtj_q8_gemm_ukernel_4x16__scalar)
RTJ_DECLARE_GEMM_UKERNEL(rtj_f32_gemm_ukernel_4x8__scalar)

#if defined(__x86_64__)
RTJ_DECLARE_VEC_KERNELS(avx2)
RTJ_DECLARE_VEC_KERNELS(avx512)
RTJ_DECLARE_GEMM_UKERNEL(rtj_f32_gemm_ukernel_6x16__avx2)
RTJ_DECLARE_GEMM_UKERNEL(rtj_f32_gemm_ukernel_8x32__avx512)
RTJ_DECLARE_Q8_GEMM_UKERNEL(rtj_q8_gemm_ukernel_4x16__avx2)
RTJ_DECLARE_Q8_GEMM_UKERNEL(rtj_q8_gemm_ukernel_8x32__avx512vnni)
#endif

#if defined(__aarch64__)
RTJ_DECLARE_VEC_KERNELS(neon)
RTJ_DECLARE_GEMM_UKERNEL(rtj_f32_gemm_ukernel_6x12__neon)
RTJ_DECLARE_Q8_GEMM_UKERNEL(rtj_q8_gemm_ukernel_4x16__neon)
RTJ_DECLARE_Q8_GEMM_UKERNEL(rtj_q8_gemm_ukernel_4x16__neondot)
#endif

#endif
