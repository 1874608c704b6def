/* Attention for one sequence, built from the table's GEMM micro-kernel and softmax. K and V of a head are
 * packed once into micro-kernel panels; queries go RTJ_ATTN_QBLOCK rows at a time, so the live scores
 * block is QBLOCK x seq floats (128 KiB at seq 512) and K, V and scores together stay within L2. */
#include <math.h>

#include "rtj_kernels.h"

/* Floats rounded up to a 64-byte line. */
static size_t line_floats(size_t n) { return (n + 15) / 16 * 16; }

size_t rtj_f32_attention_head_layout(const rtj_kernels *kt, size_t seq, size_t head_dim, float *scratch,
                                     rtj_f32_attention_head_scratch *out)
{
    const size_t nr = kt->f32_gemm_nr;
    const size_t seq_pad = (seq + nr - 1) / nr * nr;
    const size_t k_floats = rtj_f32_packed_size(kt, seq, head_dim) / sizeof(float);
    const size_t v_floats = rtj_f32_packed_size(kt, head_dim, seq) / sizeof(float);
    if (out) {
        out->k_packed = scratch;
        out->v_packed = scratch + k_floats;
        out->scores = scratch + k_floats + v_floats;
    }
    return k_floats + v_floats + RTJ_ATTN_QBLOCK * seq_pad;
}

size_t rtj_f32_attention_scratch(const rtj_kernels *kt, size_t seq, size_t head_dim)
{
    return rtj_f32_attention_head_layout(kt, seq, head_dim, NULL, NULL);
}

size_t rtj_f32_attention_worker_layout(const rtj_kernels *kt, size_t max_seq, size_t head_dim, float *base,
                                       size_t worker, rtj_f32_attention_worker_scratch *out)
{
    const size_t stride = line_floats(rtj_f32_attention_scratch(kt, max_seq, head_dim));
    if (out)
        out->scratch = base + worker * stride;
    return stride;
}

void rtj_f32_attention_head(const rtj_kernels *kt, size_t seq, size_t head_dim, const float *q, size_t ldq,
                            const float *k, size_t ldk, const float *v, size_t ldv, const float *mask,
                            float *out, size_t ldo, float *scratch)
{
    if (seq == 0 || head_dim == 0)
        return;
    rtj_f32_attention_head_scratch s;
    rtj_f32_attention_head_layout(kt, seq, head_dim, scratch, &s);
    float *kp = s.k_packed, *vp = s.v_packed, *scores = s.scores;
    /* Q*K^T: K's rows are the output columns ([n = seq, k = d]); P*V: V is [k = seq, n = d]. */
    rtj_f32_pack_w_into(kt, seq, head_dim, k, ldk, 0, kp);
    rtj_f32_pack_w_into(kt, head_dim, seq, v, ldv, 1, vp);
    const float scale = 1.0f / sqrtf((float)head_dim);
    for (size_t q0 = 0; q0 < seq; q0 += RTJ_ATTN_QBLOCK) {
        const size_t qb = seq - q0 < RTJ_ATTN_QBLOCK ? seq - q0 : RTJ_ATTN_QBLOCK;
        rtj_f32_gemm_packed_data(kt, qb, seq, head_dim, q + q0 * ldq, ldq, kp, scale, scores, seq);
        for (size_t i = 0; i < qb; i++)
            kt->f32_softmax(seq, scores + i * seq, mask, scores + i * seq);
        rtj_f32_gemm_packed_data(kt, qb, head_dim, seq, scores, seq, vp, 1.0f, out + q0 * ldo, ldo);
    }
}

void rtj_f32_attention(const rtj_kernels *kt, size_t seq, size_t heads, size_t head_dim, const float *q,
                       size_t ldq, const float *k, size_t ldk, const float *v, size_t ldv,
                       const float *mask, float *out, size_t ldo, float *scratch)
{
    for (size_t h = 0; h < heads; h++)
        rtj_f32_attention_head(kt, seq, head_dim, q + h * head_dim, ldq, k + h * head_dim, ldk,
                               v + h * head_dim, ldv, mask, out + h * head_dim, ldo, scratch);
}
