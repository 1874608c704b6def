/* FP32 GEMM (packed W, blocked driver, each ISA's micro-kernel) against the double-precision reference.
 *
 * Tolerance, per element: a float dot product of k terms, in any order and with or without FMA, is within
 * k*u * sum|a_i w_i| of the exact value (u = 2^-24; Higham, Accuracy and Stability, 3.1). alpha, the bias
 * and the residual each add one rounding of the running value, so
 *     tol = (k + 2) u S + 3 u |y|,   S = |alpha| sum|a_i w_i|,
 * and GELU, whose slope is at most 1.13, scales that and adds its own error (kernels/vmath.inc: at most
 * 1.3e-7 |y| + rounding). The check is not loose: a dropped k step or a wrong column misses by O(S/k). */
#include <string.h>

#include "test_common.h"

#define SENTINEL 7777.0f

typedef struct {
    size_t m, n, k, lda, ldc;
    enum rtj_epi_op op;
    float alpha;
    int with_bias;
} gemm_case;

static double tolerance(const gemm_case *g, double y, double s, double pre)
{
    return rtj_f32_gemm_bound(g->k, g->op, y, s, pre); /* kernels/ref.h: the bound above */
}

/* Runs one case, checks every element of C and that nothing outside the m x n tile was written. */
static void check_gemm(const rtj_kernels *kt, const gemm_case *g, uint64_t seed)
{
    test_rng rng = {seed * 2654435761u + 1};
    float *a = test_alloc(g->m * g->lda * sizeof(float));
    float *w = test_alloc(g->n * g->k * sizeof(float) + 1);
    float *bias = test_alloc(g->n * sizeof(float));
    float *res = test_alloc(g->m * g->ldc * sizeof(float));
    float *c = test_alloc(g->m * g->ldc * sizeof(float));
    double *ref = test_alloc(g->m * g->ldc * sizeof(double));
    double *pre = test_alloc(g->m * g->ldc * sizeof(double));
    double *absb = test_alloc(g->m * g->ldc * sizeof(double));
    fill_uniform(a, g->m * g->lda, -1, 1, &rng);
    fill_uniform(w, g->n * g->k, -1, 1, &rng);
    fill_uniform(bias, g->n, -2, 2, &rng);
    fill_uniform(res, g->m * g->ldc, -4, 4, &rng);
    for (size_t i = 0; i < g->m * g->ldc; i++)
        c[i] = SENTINEL;
    const float *b = g->with_bias ? bias : NULL;

    rtj_f32_packed_w pw;
    cr_assert_eq(rtj_f32_pack_w(kt, g->n, g->k, w, g->k, 0, b, &pw), 0);
    rtj_f32_gemm(kt, g->m, a, g->lda, &pw, g->alpha, g->op, res, g->ldc, c, g->ldc);
    rtj_f32_gemm__ref(g->m, g->n, g->k, a, g->lda, w, g->k, b, g->alpha, g->op, res, g->ldc, ref, g->ldc,
                      absb);
    /* The value before GELU, which the GELU error is relative to. */
    rtj_f32_gemm__ref(g->m, g->n, g->k, a, g->lda, w, g->k, b, g->alpha, RTJ_EPI_NONE, NULL, 0, pre, g->ldc,
                      NULL);
    for (size_t i = 0; i < g->m; i++)
        for (size_t j = 0; j < g->ldc; j++) {
            const size_t at = i * g->ldc + j;
            if (j >= g->n) {
                cr_assert_eq(c[at], SENTINEL, "%s m=%zu n=%zu k=%zu: wrote C[%zu][%zu] outside the tile",
                             kt->name, g->m, g->n, g->k, i, j);
                continue;
            }
            const double tol = tolerance(g, ref[at], absb[at], pre[at]);
            cr_assert(fabs(c[at] - ref[at]) <= tol,
                      "%s m=%zu n=%zu k=%zu op=%d alpha=%g bias=%d: C[%zu][%zu] = %.9g, reference %.9g "
                      "(|diff| %.3g > tol %.3g)",
                      kt->name, g->m, g->n, g->k, (int)g->op, g->alpha, g->with_bias, i, j, c[at], ref[at],
                      fabs(c[at] - ref[at]), tol);
        }

    /* Column slices (the unit a thread takes) give bit-identical results: per-element arithmetic never
     * depends on how the columns are split. */
    if (g->n > pw.nr && g->op != RTJ_EPI_RESIDUAL) {
        float *c2 = test_alloc(g->m * g->ldc * sizeof(float));
        const size_t split = (g->n / 2 + pw.nr - 1) / pw.nr * pw.nr;
        rtj_f32_gemm_cols(kt, g->m, a, g->lda, &pw, g->alpha, g->op, res, g->ldc, c2, g->ldc, split, g->n);
        rtj_f32_gemm_cols(kt, g->m, a, g->lda, &pw, g->alpha, g->op, res, g->ldc, c2, g->ldc, 0, split);
        for (size_t i = 0; i < g->m; i++)
            cr_assert(memcmp(c2 + i * g->ldc, c + i * g->ldc, g->n * sizeof(float)) == 0,
                      "%s: column-split GEMM differs from the whole one in row %zu", kt->name, i);
        free(c2);
    }
    rtj_f32_packed_w_free(&pw);
    free(a), free(w), free(bias), free(res), free(c), free(ref), free(pre), free(absb);
}

/* Every m up to MR+1 and n up to NR+1 (and two panels plus a tail), k around the K block. */
TEST_EACH_F32_GEMM(f32_gemm, edge_grid)
{
    const size_t kc = kt->f32_gemm_kc, mr = kt->f32_gemm_mr, nr = kt->f32_gemm_nr;
    const size_t ks[] = {1, 2, 7, kc - 1, kc, kc + 1, 2 * kc, 2 * kc + 3};
    uint64_t seed = 1;
    for (size_t ki = 0; ki < sizeof ks / sizeof ks[0]; ki++)
        for (size_t m = 1; m <= mr + 1; m++)
            for (size_t n = 1; n <= 2 * nr + 3; n += (n <= nr + 1 ? 1 : nr + 1)) {
                /* Odd strides: A rows 3 floats longer than k, C rows 5 longer than n. */
                gemm_case g = {m, n, ks[ki], ks[ki] + 3, n + 5, (enum rtj_epi_op)(seed % 3),
                               seed % 2 ? 1.0f : 0.125f, seed % 5 != 0};
                check_gemm(kt, &g, seed++);
            }
}

/* The shapes BERT-large and TinyBERT run (hidden 1024/312, FFN 4096/1200) and odd sizes from real models,
 * with M = 9 rows (one full micro-tile and a remainder on every ISA). */
TEST_EACH_F32_GEMM(f32_gemm, model_shapes)
{
    static const size_t kn[][2] = {{1024, 1024}, {1024, 4096}, {4096, 1024}, {312, 312}, {312, 1200},
                                   {1200, 312},  {513, 257},   {257, 2323}, {26, 128},  {128, 26}};
    for (size_t s = 0; s < sizeof kn / sizeof kn[0]; s++) {
        const enum rtj_epi_op op = kn[s][1] > kn[s][0] ? RTJ_EPI_GELU : RTJ_EPI_RESIDUAL;
        gemm_case g = {9, kn[s][1], kn[s][0], kn[s][0], kn[s][1], op, 1.0f, 1};
        check_gemm(kt, &g, 100 + s);
    }
}

/* M = 1 (a single token) and M = 0 / K = 0 degenerate products. */
TEST_EACH_F32_GEMM(f32_gemm, degenerate)
{
    gemm_case one = {1, 1000, 333, 333, 1000, RTJ_EPI_NONE, 1.0f, 1};
    check_gemm(kt, &one, 7);
    gemm_case k0 = {3, 17, 0, 1, 17, RTJ_EPI_GELU, 1.0f, 1};
    check_gemm(kt, &k0, 8);
    float c = SENTINEL, w = 1.0f, a = 1.0f;
    rtj_f32_packed_w pw;
    cr_assert_eq(rtj_f32_pack_w(kt, 1, 1, &w, 1, 0, NULL, &pw), 0);
    rtj_f32_gemm(kt, 0, &a, 1, &pw, 1.0f, RTJ_EPI_NONE, NULL, 0, &c, 1);
    cr_assert_eq(c, SENTINEL, "M = 0 wrote to C");
    rtj_f32_packed_w_free(&pw);
}

/* Batched strided GEMM as attention uses it: heads side by side in one row-major matrix. */
static void check_batched(const rtj_kernels *kt, size_t heads, size_t d, size_t seq, int b_is_kn)
{
    test_rng rng = {heads * 131 + d};
    const size_t ld = heads * d + 1; /* odd row stride */
    /* Q*K^T: A = Q [seq, d], B = K [seq(n), d(k)], C [seq, seq]. P*V: A = P [seq, seq], B = V [seq(k), d(n)]. */
    const size_t n = b_is_kn ? d : seq, k = b_is_kn ? seq : d;
    const size_t lda = b_is_kn ? heads * seq : ld, stride_a = b_is_kn ? seq : d;
    float *a = test_alloc(seq * lda * sizeof(float));
    float *bm = test_alloc(seq * ld * sizeof(float));
    const size_t ldc = heads * n;
    float *c = test_alloc(seq * ldc * sizeof(float));
    double *ref = test_alloc(seq * n * sizeof(double)), *absb = test_alloc(seq * n * sizeof(double));
    float *wt = test_alloc(n * k * sizeof(float));
    float *scratch = test_alloc(rtj_f32_gemm_batched_scratch(kt, n, k) * sizeof(float) + 64);
    fill_uniform(a, seq * lda, -1, 1, &rng);
    fill_uniform(bm, seq * ld, -1, 1, &rng);
    const float alpha = 1.0f / sqrtf((float)d);
    rtj_f32_gemm_batched(kt, heads, seq, n, k, alpha, a, lda, stride_a, bm, ld, d, b_is_kn, c, ldc, n,
                         scratch);
    for (size_t h = 0; h < heads; h++) {
        /* The reference wants W as [n, k]: transpose this head's B. */
        for (size_t j = 0; j < n; j++)
            for (size_t t = 0; t < k; t++)
                wt[j * k + t] = b_is_kn ? bm[t * ld + h * d + j] : bm[j * ld + h * d + t];
        rtj_f32_gemm__ref(seq, n, k, a + h * stride_a, lda, wt, k, NULL, alpha, RTJ_EPI_NONE, NULL, 0, ref, n,
                          absb);
        for (size_t i = 0; i < seq; i++)
            for (size_t j = 0; j < n; j++) {
                double got = c[i * ldc + h * n + j], want = ref[i * n + j];
                double tol = (k + 2) * U_F32 * absb[i * n + j] + 3 * U_F32 * fabs(want) + 1e-30;
                cr_assert(fabs(got - want) <= tol, "%s batched %s head %zu/%zu d=%zu seq=%zu: [%zu][%zu] %.9g vs %.9g",
                          kt->name, b_is_kn ? "P*V" : "Q*K^T", h, heads, d, seq, i, j, got, want);
            }
    }
    free(a), free(bm), free(c), free(ref), free(absb), free(wt), free(scratch);
}

TEST_EACH_ISA(f32_gemm, batched_heads)
{
    static const size_t shapes[][3] = {{16, 64, 7}, {12, 26, 128}, {2, 64, 128}, {3, 26, 1}, {4, 13, 33}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int kn = 0; kn < 2; kn++)
            check_batched(kt, shapes[s][0], shapes[s][1], shapes[s][2], kn);
}

/* A row's result does not depend on how many rows the GEMM has or which tile row it lands on: the
 * property that makes an instance's logits independent of its batch (tests/test_batch.c). */
TEST_EACH_F32_GEMM(f32_gemm, rows_independent_of_m)
{
    test_rng rng = {77};
    const size_t n = 2 * kt->f32_gemm_nr + 5, k = kt->f32_gemm_kc + 9, m = 2 * kt->f32_gemm_mr + 3;
    float *a = test_alloc(m * k * sizeof(float)), *w = test_alloc(n * k * sizeof(float)), bias[256];
    float *all = test_alloc(m * n * sizeof(float)), *one = test_alloc(n * sizeof(float));
    fill_uniform(a, m * k, -1, 1, &rng);
    fill_uniform(w, n * k, -1, 1, &rng);
    fill_uniform(bias, n, -1, 1, &rng);
    rtj_f32_packed_w pw;
    cr_assert_eq(rtj_f32_pack_w(kt, n, k, w, k, 0, bias, &pw), 0);
    for (int op = RTJ_EPI_NONE; op <= RTJ_EPI_GELU; op++) {
        rtj_f32_gemm(kt, m, a, k, &pw, 1.0f, (enum rtj_epi_op)op, NULL, 0, all, n);
        for (size_t i = 0; i < m; i++) {
            rtj_f32_gemm(kt, 1, a + i * k, k, &pw, 1.0f, (enum rtj_epi_op)op, NULL, 0, one, n);
            cr_assert(memcmp(one, all + i * n, n * sizeof(float)) == 0,
                      "%s: row %zu of an M=%zu GEMM differs from the same row alone (op %d)", kt->name, i, m, op);
        }
    }
    rtj_f32_packed_w_free(&pw);
    free(a), free(w), free(all), free(one);
}
