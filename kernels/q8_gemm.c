/* The ISA-independent half of the INT8 GEMM: per-channel weight quantization and packing, per-row
 * activation quantization, and the loops around the table's INT8 micro-kernel. */
#include <float.h>
#include <math.h>
#include <string.h>

#include "rtj_kernels.h"

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

size_t rtj_q8_row_stride(size_t k) { return round_up(k ? k : 1, 64); }

void rtj_q8_quantize_rows_symmetric(size_t m, size_t k, const float *x, size_t ldx, int8_t *q, size_t ldq,
                                    float *scale)
{
    for (size_t i = 0; i < m; i++) {
        const float *xi = x + i * ldx;
        float amax = 0.0f;
        int finite = 1;
        for (size_t kk = 0; kk < k; kk++) {
            amax = fmaxf(amax, fabsf(xi[kk]));
            finite &= isfinite(xi[kk]) != 0;
        }
        /* Symmetric, so the zero point is 0 and a weight channel's sum is the only compensation needed. */
        const float inv = amax > 0 ? 127.0f / amax : 0.0f;
        /* A row holding NaN or Inf (the loaders refuse those), or so small that 127 / amax overflows
         * (|x| < 2^-119 everywhere), is stored as zeros with scale 0: otherwise a NaN would reach the
         * integer conversion. */
        if (!finite || !(inv <= FLT_MAX)) {
            memset(q + i * ldq, 0, k);
            scale[i] = 0.0f;
            continue;
        }
        for (size_t kk = 0; kk < k; kk++) {
            long v = lrintf(xi[kk] * inv);
            q[i * ldq + kk] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
        }
        scale[i] = amax / 127.0f;
    }
}

int rtj_q8_pack_w(size_t n, size_t k, const float *w, size_t ldw, const float *bias, rtj_q8_packed_w *out)
{
    memset(out, 0, sizeof *out);
    out->n = n;
    out->k = k;
    out->n_pad = round_up(n ? n : 1, RTJ_Q8_PANEL);
    out->k_pad = round_up(k ? k : 1, 4);
    out->data = rtj_alloc(out->n_pad * out->k_pad);
    out->w_scale = rtj_alloc(out->n_pad * sizeof(float));
    out->w_sum = rtj_alloc(out->n_pad * sizeof(int32_t));
    out->bias = rtj_alloc(out->n_pad * sizeof(float));
    int8_t *row = rtj_alloc(out->k_pad); /* one channel quantized, before it is scattered into its panel */
    if (!out->data || !out->w_scale || !out->w_sum || !out->bias || !row) {
        rtj_free(row);
        rtj_q8_packed_w_free(out);
        return -1;
    }
    memset(out->data, 0, out->n_pad * out->k_pad);
    for (size_t j = 0; j < out->n_pad; j++) {
        float scale = 0.0f;
        if (j < n)
            rtj_q8_quantize_rows_symmetric(1, k, w + j * ldw, ldw, row, k, &scale);
        int8_t *panel = out->data + (j / RTJ_Q8_PANEL) * out->k_pad * RTJ_Q8_PANEL;
        int32_t sum = 0;
        for (size_t kk = 0; j < n && kk < k; kk++) {
            panel[(kk / 4) * RTJ_Q8_PANEL * 4 + (j % RTJ_Q8_PANEL) * 4 + kk % 4] = row[kk];
            sum += row[kk];
        }
        out->w_scale[j] = scale;
        out->w_sum[j] = sum;
        out->bias[j] = bias && j < n ? bias[j] : 0.0f;
    }
    rtj_free(row);
    return 0;
}

void rtj_q8_packed_w_free(rtj_q8_packed_w *w)
{
    rtj_free(w->data);
    rtj_free(w->w_scale);
    rtj_free(w->w_sum);
    rtj_free(w->bias);
    memset(w, 0, sizeof *w);
}

void rtj_q8_quantize_rows(size_t m, size_t k, const float *x, size_t ldx, int qmax, uint8_t *q, size_t ldq,
                          float *scale, int32_t *zero)
{
    const size_t k4 = round_up(k, 4);
    for (size_t i = 0; i < m; i++) {
        const float *xi = x + i * ldx;
        float lo = 0.0f, hi = 0.0f;
        int finite = 1;
        for (size_t kk = 0; kk < k; kk++) {
            lo = fminf(lo, xi[kk]);
            hi = fmaxf(hi, xi[kk]);
            finite &= isfinite(xi[kk]) != 0;
        }
        float s = (hi - lo) / (float)qmax;
        uint8_t *qi = q + i * ldq;
        if (!rtj_q8_act_row_ok(finite, s)) {
            memset(qi, 0, k4);
            scale[i] = 1.0f;
            zero[i] = 0;
            continue;
        }
        if (!(s > 0.0f))
            s = 1.0f; /* an all-zero row: any scale represents it exactly */
        const float inv = 1.0f / s;
        long z = lrintf(-lo * inv);
        z = z < 0 ? 0 : z > qmax ? qmax : z;
        for (size_t kk = 0; kk < k; kk++) {
            long v = lrintf(xi[kk] * inv) + z;
            qi[kk] = (uint8_t)(v < 0 ? 0 : v > qmax ? qmax : v);
        }
        for (size_t kk = k; kk < k4; kk++)
            qi[kk] = (uint8_t)z; /* meets zero weights: adds nothing */
        scale[i] = s;
        zero[i] = (int32_t)z;
    }
}

size_t rtj_q8_quantized_act_layout(size_t m, size_t k, void *buf, rtj_q8_quantized_act *out)
{
    const size_t ldq = rtj_q8_row_stride(k);
    if (out) {
        out->qa = buf;
        out->ldq = ldq;
        out->a_scale = (float *)(out->qa + m * ldq); /* m * ldq is a multiple of 64: aligned */
        out->a_zero = (int32_t *)(out->a_scale + m);
    }
    return m * ldq + m * (sizeof(float) + sizeof(int32_t)) + 64;
}

size_t rtj_q8_gemm_scratch(size_t m, size_t k) { return rtj_q8_quantized_act_layout(m, k, NULL, NULL); }

void rtj_q8_gemm_quantized_cols(const rtj_kernels *kt, size_t m, const uint8_t *qa, size_t ldq,
                                const float *a_scale, const int32_t *a_zero, const rtj_q8_packed_w *w,
                                enum rtj_epi_op op, const float *res, size_t ldres, float *c, size_t ldc,
                                size_t col0, size_t col1)
{
    const size_t mr = kt->q8_gemm_mr, nr = kt->q8_gemm_nr;
    const size_t panel_stride = w->k_pad * RTJ_Q8_PANEL;
    if (col1 > w->n)
        col1 = w->n;
    /* col0 is a multiple of NR (the contract), so tiles start on the same columns whatever the slice.
     * Rows go in blocks of about 256 KiB of quantized A, which then stays in L2 while every weight panel
     * of the slice passes (the weights stream once per block; at M <= the block, once in all). */
    size_t mc = ((size_t)256 << 10) / (ldq ? ldq : 1) / mr * mr;
    mc = mc < mr ? mr : mc;
    for (size_t m0 = 0; m0 < m; m0 += mc) {
        const size_t m1 = m - m0 < mc ? m : m0 + mc;
        for (size_t j0 = col0; j0 < col1; j0 += nr) {
            const size_t je = col1 - j0 < nr ? col1 : j0 + nr;
            const int8_t *wp = w->data + (j0 / RTJ_Q8_PANEL) * panel_stride;
            for (size_t i = m0; i < m1; i += mr) {
                const size_t mrb = m1 - i < mr ? m1 - i : mr;
                const rtj_q8_epi epi = {a_scale + i, a_zero + i, w->w_scale + j0, w->w_sum + j0, w->bias + j0, op,
                                        op == RTJ_EPI_RESIDUAL ? res + i * ldres + j0 : NULL, ldres};
                kt->q8_gemm_ukernel(mrb, je - j0, w->k_pad, qa + i * ldq, ldq, wp, panel_stride, c + i * ldc + j0,
                                    ldc, &epi);
            }
        }
    }
}

void rtj_q8_gemm(const rtj_kernels *kt, size_t m, const float *x, size_t ldx, const rtj_q8_packed_w *w,
                 enum rtj_epi_op op, const float *res, size_t ldres, float *c, size_t ldc, void *scratch)
{
    if (m == 0)
        return;
    rtj_q8_quantized_act a;
    rtj_q8_quantized_act_layout(m, w->k, scratch, &a);
    kt->q8_quantize(m, w->k, x, ldx, kt->q8_act_max, a.qa, a.ldq, a.a_scale, a.a_zero);
    rtj_q8_gemm_quantized_cols(kt, m, a.qa, a.ldq, a.a_scale, a.a_zero, w, op, res, ldres, c, ldc, 0, w->n);
}

void rtj_q8_unpack_w(const rtj_q8_packed_w *w, int8_t *out)
{
    for (size_t j = 0; j < w->n; j++)
        for (size_t k = 0; k < w->k; k++)
            out[j * w->k + k] = w->data[(j / RTJ_Q8_PANEL) * w->k_pad * RTJ_Q8_PANEL + (k / 4) * RTJ_Q8_PANEL * 4 +
                                        (j % RTJ_Q8_PANEL) * 4 + k % 4];
}

void rtj_q8_gemm_exact(const rtj_kernels *kt, size_t m, const uint8_t *qa, size_t ldq, const rtj_q8_packed_w *w,
                       int32_t *acc, size_t ldc)
{
    const size_t mr = kt->q8_gemm_mr, nr = kt->q8_gemm_nr, panel_stride = w->k_pad * RTJ_Q8_PANEL;
    for (size_t j0 = 0; j0 < w->n; j0 += nr)
        for (size_t i = 0; i < m; i += mr)
            kt->q8_gemm_ukernel(m - i < mr ? m - i : mr, w->n - j0 < nr ? w->n - j0 : nr, w->k_pad, qa + i * ldq, ldq,
                                w->data + (j0 / RTJ_Q8_PANEL) * panel_stride, panel_stride, acc + i * ldc + j0, ldc,
                                NULL);
}
