/* Scalar references (__ref) of every kernel family, computed in double from the float inputs: the
 * independent answer the tests compare each ISA's kernels with. Written for clarity, not speed. */
#ifndef RTJ_REF_H
#define RTJ_REF_H

#include <stddef.h>
#include <stdint.h>

#include "rtj_kernels.h"

/* C[m, n] = epilogue(alpha * A[m, k] * W[n, k]^T + bias) with W as Hugging Face stores it;
 * absb (may be NULL) gets sum_k |a_ik w_jk| per element: the scale FP32 rounding error is measured in. */
void rtj_f32_gemm__ref(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *w,
                       size_t ldw, const float *bias, float alpha, enum rtj_epi_op op, const float *res,
                       size_t ldres, double *c, size_t ldc, double *absb);
void rtj_f32_softmax__ref(size_t n, const float *x, const float *mask, double *y);
void rtj_f32_layernorm__ref(size_t n, const float *x, const float *res, const float *gamma,
                            const float *beta, float eps, double *y);
double rtj_f32_gelu__ref(double x);
double rtj_f32_tanh__ref(double x);
void rtj_f32_embed__ref(size_t seq, const int32_t *ids, const int32_t *types, size_t pos0,
                        const float *word, const float *pos, const float *type, size_t hidden, double *out);
/* out[seq, heads * d] for one sequence, naive: full scores matrix per head. */
void rtj_f32_attention__ref(size_t seq, size_t heads, size_t d, const float *q, size_t ldq, const float *k,
                            size_t ldk, const float *v, size_t ldv, const float *mask, double *out,
                            size_t ldo);

/* Exact int32 sums acc[i][j] = sum_k qa[i][k] * qw[j][k] (qw [n, k] row-major, HF layout). */
void rtj_q8_gemm__ref(size_t m, size_t n, size_t k, const uint8_t *qa, size_t lda, const int8_t *qw,
                      size_t ldw, int32_t *acc, size_t ldc);

#endif
