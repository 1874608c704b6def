/* Attention for one sequence against the naive double reference (full scores matrix).
 * Tolerance: scores carry the GEMM bound d*u*sum|q k|/sqrt(d); softmax turns an absolute score error e
 * into a relative weight error of about 2e; the output is a convex combination of V rows, so
 *     tol = (2 e_max + (seq + 8) u) * max|v| + (seq + 2) u * max|v|,
 * with e_max the score bound at the largest |q||k| of the data. Values are O(1) as in a trained model. */
#include "test_common.h"

static void check_attention(const rtj_kernels *kt, size_t seq, size_t heads, size_t d, int with_mask)
{
    test_rng rng = {seq * 977 + d * 31 + heads};
    const size_t ld = 3 * heads * d + 5; /* q, k, v side by side as a fused QKV projection leaves them */
    float *qkv = test_alloc(seq * ld * sizeof(float));
    fill_uniform(qkv, seq * ld, -1, 1, &rng);
    float *mask = test_alloc(seq * sizeof(float));
    for (size_t j = 0; j < seq; j++)
        mask[j] = with_mask && j % 3 == 2 && j + 1 < seq ? -10000.0f : 0.0f;
    const size_t ldo = heads * d + 3;
    float *out = test_alloc(seq * ldo * sizeof(float));
    double *ref = test_alloc(seq * ldo * sizeof(double));
    float *scratch = test_alloc(rtj_f32_attention_scratch(kt, seq, d) * sizeof(float) + 64);
    const float *q = qkv, *k = qkv + heads * d, *v = qkv + 2 * heads * d;
    rtj_f32_attention(kt, seq, heads, d, q, ld, k, ld, v, ld, with_mask ? mask : NULL, out, ldo, scratch);
    rtj_f32_attention__ref(seq, heads, d, q, ld, k, ld, v, ld, with_mask ? mask : NULL, ref, ldo);
    /* |q|, |k|, |v| <= 1: sum |q k| <= d. */
    const double e_score = (d + 2) * U_F32 * d / sqrt((double)d);
    const double tol = 2 * e_score + (2 * seq + 10) * U_F32;
    for (size_t i = 0; i < seq; i++)
        for (size_t c = 0; c < heads * d; c++) {
            double got = out[i * ldo + c], want = ref[i * ldo + c];
            cr_assert(fabs(got - want) <= tol,
                      "%s attention seq=%zu heads=%zu d=%zu mask=%d: out[%zu][%zu] = %.9g, reference %.9g "
                      "(tol %.3g)", kt->name, seq, heads, d, with_mask, i, c, got, want, tol);
        }
    free(qkv), free(mask), free(out), free(ref), free(scratch);
}

/* Sequence lengths 1, 7, 128 and 512 (crossing the query block), head dims 64 (BERT-large) and 26
 * (TinyBERT), with and without a padding mask. */
TEST_EACH_ISA(f32_attention, seq_lengths)
{
    static const size_t cases[][3] = {{1, 2, 64}, {7, 3, 26}, {128, 2, 64}, {128, 12, 26},
                                      {65, 1, 26}, {512, 1, 64}, {512, 1, 26}};
    for (size_t s = 0; s < sizeof cases / sizeof cases[0]; s++)
        for (int m = 0; m < 2; m++)
            check_attention(kt, cases[s][0], cases[s][1], cases[s][2], m);
}
