/* Scalar references (__ref) of every kernel family, computed in double from the float inputs: the
 * independent answer the tests and the self-test (kernels/selftest.c) compare each ISA's kernels with, and
 * the error bounds they allow. Written for clarity, not speed. */
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

/* ---- The error bounds the tests and the self-test hold the kernels to --------------------------------- */
#define RTJ_U_F32 (1.0 / 16777216.0) /* unit roundoff of float, 2^-24 */

/* One FP32 GEMM element (tests/test_f32_gemm.c derives it): a float dot product of k terms is within
 * k u S of exact in any order, with or without FMA (Higham 3.1), S = sum|alpha a w| (absb of the reference);
 * alpha, the bias and the residual each add a rounding: (k + 2) u S + 2 u (|pre| + |y|). GELU's slope is at
 * most 1.13 and it adds its own 1.3e-7 relative error (kernels/vmath.inc). pre: the value before GELU. */
double rtj_f32_gemm_bound(size_t k, enum rtj_epi_op op, double y, double s, double pre);
/* LayerNorm of one row of n values (x + res; res may be NULL): the mean is within n u mean|v| of exact and
 * the centred value carries that times rstd |gamma|, the variance's error is of the same order:
 * tol[j] = ((n + 6) u mean|v| rstd + 4 u |z_j|) |gamma_j| + 2 u |beta_j|. For n >= 2 (one value has no
 * spread: its answer is beta up to eps). */
void rtj_f32_layernorm_bound(size_t n, const float *x, const float *res, const float *gamma, const float *beta,
                             float eps, double *tol);
/* The INT8 GEMM's fused epilogue on an exact accumulator, in double: y = sa sw (acc - za w_sum) + bias,
 * then GELU or + res; *tol its bound: the integer difference (exact below 2^24, else within u), the product
 * of scales and the bias add round within 4 u (|v| + |bias|), the store u |y|, plus GELU's error. */
double rtj_q8_epilogue__ref(int32_t acc, float a_scale, int32_t a_zero, float w_scale, int32_t w_sum, float bias,
                            enum rtj_epi_op op, float res, double *tol);

#endif
