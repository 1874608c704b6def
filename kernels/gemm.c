/* The ISA-independent half of the FP32 GEMM: weight packing and the BLIS-style loops around one
 * register-tile micro-kernel taken from the dispatch table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rtj_kernels.h"

void *rtj_alloc(size_t bytes)
{
    if (bytes == 0)
        return NULL;
    void *p = NULL;
    /* Round up: aligned_alloc wants a multiple of the alignment. */
    size_t rounded = (bytes + 63) & ~(size_t)63;
    if (rounded < bytes || posix_memalign(&p, 64, rounded) != 0)
        return NULL;
    return p;
}

void rtj_free(void *p) { free(p); }

static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

size_t rtj_f32_packed_size(const rtj_kernels *kt, size_t n, size_t k)
{
    return round_up(n, kt->f32_gemm_nr) * k * sizeof(float);
}

void rtj_f32_pack_w_into(const rtj_kernels *kt, size_t n, size_t k, const float *w, size_t ldw,
                         int w_is_kn, float *data)
{
    const size_t nr = kt->f32_gemm_nr, kc = kt->f32_gemm_kc, n_pad = round_up(n, nr);
    for (size_t k0 = 0; k0 < k; k0 += kc) {
        const size_t kcb = k - k0 < kc ? k - k0 : kc;
        float *block = data + k0 * n_pad;
        for (size_t p = 0; p < n_pad / nr; p++) {
            float *panel = block + p * kcb * nr;
            for (size_t kk = 0; kk < kcb; kk++) {
                for (size_t j = 0; j < nr; j++) {
                    const size_t col = p * nr + j, row = k0 + kk;
                    float v = 0.0f;
                    if (col < n)
                        v = w_is_kn ? w[row * ldw + col] : w[col * ldw + row];
                    panel[kk * nr + j] = v;
                }
            }
        }
    }
}

int rtj_f32_pack_w(const rtj_kernels *kt, size_t n, size_t k, const float *w, size_t ldw, int w_is_kn,
                   const float *bias, rtj_f32_packed_w *out)
{
    memset(out, 0, sizeof *out);
    const size_t nr = kt->f32_gemm_nr, n_pad = round_up(n, nr);
    out->n = n;
    out->k = k;
    out->n_pad = n_pad;
    out->nr = nr;
    out->kc = kt->f32_gemm_kc;
    out->data = rtj_alloc(rtj_f32_packed_size(kt, n, k));
    out->bias = rtj_alloc(n_pad * sizeof(float));
    if ((k && n && !out->data) || !out->bias) {
        rtj_f32_packed_w_free(out);
        return -1;
    }
    if (out->data)
        rtj_f32_pack_w_into(kt, n, k, w, ldw, w_is_kn, out->data);
    for (size_t j = 0; j < n_pad; j++)
        out->bias[j] = bias && j < n ? bias[j] : 0.0f;
    return 0;
}

void rtj_f32_unpack_w(const rtj_f32_packed_w *w, float *out)
{
    for (size_t k0 = 0; k0 < w->k; k0 += w->kc) {
        const size_t kcb = w->k - k0 < w->kc ? w->k - k0 : w->kc;
        const float *block = w->data + k0 * w->n_pad;
        for (size_t j = 0; j < w->n; j++)
            for (size_t kk = 0; kk < kcb; kk++)
                out[j * w->k + k0 + kk] = block[(j / w->nr) * kcb * w->nr + kk * w->nr + j % w->nr];
    }
}

void rtj_f32_packed_w_free(rtj_f32_packed_w *w)
{
    rtj_free(w->data);
    rtj_free(w->bias);
    memset(w, 0, sizeof *w);
}

/* Loop order (BLIS's, with W packed ahead of time and A read in place):
 *   M blocks of MC rows  -> the A slice MC x KC stays in L2 while every W panel of the K block passes
 *   K blocks of KC       -> W is laid out block after block, so for M <= MC all of W streams once, in order
 *   NR-column panels     -> one kc x NR panel (KC*NR*4 bytes) is reused by all MC/MR tiles from L1/L2
 *   MR-row tiles         -> the micro-kernel
 * A is not packed: the micro-kernel broadcasts from MR row pointers, which the prefetchers follow. */
void rtj_f32_gemm_cols(const rtj_kernels *kt, size_t m, const float *a, size_t lda,
                       const rtj_f32_packed_w *w, float alpha, enum rtj_epi_op op, const float *res,
                       size_t ldres, float *c, size_t ldc, size_t col0, size_t col1)
{
    const size_t mr = kt->f32_gemm_mr, nr = w->nr, kc = w->kc, mc = kt->f32_gemm_mc;
    const size_t k = w->k;
    if (col1 > w->n)
        col1 = w->n;
    if (m == 0 || col0 >= col1)
        return;
    if (k == 0) {
        /* Empty product: only the epilogue of zero remains. */
        for (size_t i = 0; i < m; i++) {
            float *ci = c + i * ldc;
            for (size_t j = col0; j < col1; j++)
                ci[j] = w->bias ? w->bias[j] : 0.0f;
            if (op == RTJ_EPI_GELU)
                kt->f32_gelu(col1 - col0, ci + col0, ci + col0);
            else if (op == RTJ_EPI_RESIDUAL)
                for (size_t j = col0; j < col1; j++)
                    ci[j] += res[i * ldres + j];
        }
        return;
    }
    const size_t p0 = col0 / nr, p1 = (col1 + nr - 1) / nr;
    for (size_t m0 = 0; m0 < m; m0 += mc) {
        const size_t m1 = m - m0 < mc ? m : m0 + mc;
        for (size_t k0 = 0; k0 < k; k0 += kc) {
            const size_t kcb = k - k0 < kc ? k - k0 : kc;
            const int last = k0 + kcb == k;
            const float *block = w->data + k0 * w->n_pad;
            for (size_t p = p0; p < p1; p++) {
                const size_t j0 = p * nr;
                const size_t nrb = col1 - j0 < nr ? col1 - j0 : nr;
                const float *panel = block + p * kcb * nr;
                /* Rows shared evenly among the fewest tiles (M = 8 on a 6-row tile: 4 + 4, not 6 + 2): a
                 * short tile has too few FMA chains to hide their latency. A row's arithmetic does not
                 * depend on its tile, so this changes speed, never results. */
                const size_t tiles = (m1 - m0 + mr - 1) / mr, base = (m1 - m0) / tiles, extra = (m1 - m0) % tiles;
                for (size_t t = 0, i = m0; t < tiles; t++) {
                    const size_t mrb = base + (t < extra);
                    rtj_f32_epi epi = {alpha, w->bias ? w->bias + j0 : NULL, op,
                                       op == RTJ_EPI_RESIDUAL ? res + i * ldres + j0 : NULL, ldres};
                    kt->f32_gemm_ukernel(mrb, nrb, kcb, a + i * lda + k0, lda, panel, c + i * ldc + j0,
                                         ldc, k0 > 0, last ? &epi : NULL);
                    i += mrb;
                }
            }
        }
    }
}

void rtj_f32_gemm(const rtj_kernels *kt, size_t m, const float *a, size_t lda, const rtj_f32_packed_w *w,
                  float alpha, enum rtj_epi_op op, const float *res, size_t ldres, float *c, size_t ldc)
{
    rtj_f32_gemm_cols(kt, m, a, lda, w, alpha, op, res, ldres, c, ldc, 0, w->n);
}

void rtj_f32_gemm_packed_data(const rtj_kernels *kt, size_t m, size_t n, size_t k, const float *a,
                              size_t lda, const float *wdata, float alpha, float *c, size_t ldc)
{
    const rtj_f32_packed_w view = {n, k, round_up(n, kt->f32_gemm_nr), kt->f32_gemm_nr, kt->f32_gemm_kc,
                                   (float *)wdata, NULL};
    rtj_f32_gemm_cols(kt, m, a, lda, &view, alpha, RTJ_EPI_NONE, NULL, 0, c, ldc, 0, n);
}

size_t rtj_f32_gemm_batched_scratch(const rtj_kernels *kt, size_t n, size_t k)
{
    return rtj_f32_packed_size(kt, n, k) / sizeof(float);
}

void rtj_f32_gemm_batched(const rtj_kernels *kt, size_t batch, size_t m, size_t n, size_t k, float alpha,
                          const float *a, size_t lda, size_t stride_a, const float *bm, size_t ldb,
                          size_t stride_b, int b_is_kn, float *c, size_t ldc, size_t stride_c,
                          float *scratch)
{
    for (size_t b = 0; b < batch; b++) {
        rtj_f32_pack_w_into(kt, n, k, bm + b * stride_b, ldb, b_is_kn, scratch);
        rtj_f32_gemm_packed_data(kt, m, n, k, a + b * stride_a, lda, scratch, alpha, c + b * stride_c, ldc);
    }
}
