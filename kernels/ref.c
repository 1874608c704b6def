/* Scalar references in double: see ref.h. */
#include "ref.h"

#include <math.h>
#include <stdlib.h>

static double gelu_d(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }

void rtj_f32_gemm__ref(size_t m, size_t n, size_t k, const float *a, size_t lda, const float *w,
                       size_t ldw, const float *bias, float alpha, enum rtj_epi_op op, const float *res,
                       size_t ldres, double *c, size_t ldc, double *absb)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0, sa = 0;
            for (size_t kk = 0; kk < k; kk++) {
                double p = (double)a[i * lda + kk] * w[j * ldw + kk];
                s += p;
                sa += fabs(p);
            }
            double y = alpha * s + (bias ? bias[j] : 0.0);
            if (op == RTJ_EPI_GELU)
                y = gelu_d(y);
            else if (op == RTJ_EPI_RESIDUAL)
                y += res[i * ldres + j];
            c[i * ldc + j] = y;
            if (absb)
                absb[i * ldc + j] = fabs(alpha) * sa;
        }
}

void rtj_f32_softmax__ref(size_t n, const float *x, const float *mask, double *y)
{
    double mx = -INFINITY, s = 0;
    for (size_t i = 0; i < n; i++) {
        double v = (double)x[i] + (mask ? mask[i] : 0.0);
        mx = v > mx ? v : mx;
    }
    for (size_t i = 0; i < n; i++) {
        y[i] = exp((double)x[i] + (mask ? mask[i] : 0.0) - mx);
        s += y[i];
    }
    for (size_t i = 0; i < n; i++)
        y[i] /= s;
}

void rtj_f32_layernorm__ref(size_t n, const float *x, const float *res, const float *gamma,
                            const float *beta, float eps, double *y)
{
    double mean = 0, var = 0;
    for (size_t i = 0; i < n; i++)
        mean += (double)x[i] + (res ? res[i] : 0.0);
    mean /= (double)n;
    for (size_t i = 0; i < n; i++) {
        double d = (double)x[i] + (res ? res[i] : 0.0) - mean;
        var += d * d;
    }
    var /= (double)n;
    for (size_t i = 0; i < n; i++)
        y[i] = ((double)x[i] + (res ? res[i] : 0.0) - mean) / sqrt(var + eps) * gamma[i] + beta[i];
}

double rtj_f32_gelu__ref(double x) { return gelu_d(x); }
double rtj_f32_tanh__ref(double x) { return tanh(x); }

void rtj_f32_embed__ref(size_t seq, const int32_t *ids, const int32_t *types, size_t pos0,
                        const float *word, const float *pos, const float *type, size_t hidden, double *out)
{
    for (size_t t = 0; t < seq; t++)
        for (size_t i = 0; i < hidden; i++)
            out[t * hidden + i] = (double)word[(size_t)ids[t] * hidden + i] + pos[(pos0 + t) * hidden + i] +
                                  type[(types ? (size_t)types[t] : 0) * hidden + i];
}

void rtj_f32_attention__ref(size_t seq, size_t heads, size_t d, const float *q, size_t ldq, const float *k,
                            size_t ldk, const float *v, size_t ldv, const float *mask, double *out,
                            size_t ldo)
{
    double *p = malloc(seq * sizeof *p);
    if (!p) { /* no answer: NaN, which no comparison passes */
        for (size_t i = 0; i < seq; i++)
            for (size_t t = 0; t < heads * d; t++)
                out[i * ldo + t] = NAN;
        return;
    }
    for (size_t h = 0; h < heads; h++)
        for (size_t i = 0; i < seq; i++) {
            double mx = -INFINITY, s = 0;
            for (size_t j = 0; j < seq; j++) {
                double dot = 0;
                for (size_t t = 0; t < d; t++)
                    dot += (double)q[i * ldq + h * d + t] * k[j * ldk + h * d + t];
                p[j] = dot / sqrt((double)d) + (mask ? mask[j] : 0.0);
                mx = p[j] > mx ? p[j] : mx;
            }
            for (size_t j = 0; j < seq; j++) {
                p[j] = exp(p[j] - mx);
                s += p[j];
            }
            for (size_t t = 0; t < d; t++) {
                double o = 0;
                for (size_t j = 0; j < seq; j++)
                    o += p[j] / s * v[j * ldv + h * d + t];
                out[i * ldo + h * d + t] = o;
            }
        }
    free(p);
}

void rtj_q8_gemm__ref(size_t m, size_t n, size_t k, const uint8_t *qa, size_t lda, const int8_t *qw,
                      size_t ldw, int32_t *acc, size_t ldc)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            int64_t s = 0;
            for (size_t kk = 0; kk < k; kk++)
                s += (int64_t)qa[i * lda + kk] * qw[j * ldw + kk];
            acc[i * ldc + j] = (int32_t)s;
        }
}

/* ---- error bounds ---------------------------------------------------------------------------------- */

double rtj_f32_gemm_bound(size_t k, enum rtj_epi_op op, double y, double s, double pre)
{
    double t = (double)(k + 2) * RTJ_U_F32 * s + 2 * RTJ_U_F32 * (fabs(pre) + fabs(y)) + 1e-30;
    if (op == RTJ_EPI_GELU)
        t = 1.13 * t + 2e-7 * fabs(pre) + 4 * RTJ_U_F32 * fabs(y);
    return t;
}

void rtj_f32_layernorm_bound(size_t n, const float *x, const float *res, const float *gamma, const float *beta,
                             float eps, double *tol)
{
    double mean_abs = 0, mean = 0, var = 0;
    for (size_t j = 0; j < n; j++) {
        const double v = (double)x[j] + (res ? res[j] : 0.0);
        mean_abs += fabs(v) / n;
        mean += v / n;
    }
    for (size_t j = 0; j < n; j++) {
        const double v = (double)x[j] + (res ? res[j] : 0.0) - mean;
        var += v * v / n;
    }
    const double rstd = 1 / sqrt(var + eps);
    for (size_t j = 0; j < n; j++) {
        const double z = ((double)x[j] + (res ? res[j] : 0.0) - mean) * rstd;
        tol[j] = ((n + 6) * RTJ_U_F32 * mean_abs * rstd + 4 * RTJ_U_F32 * fabs(z)) * fabs(gamma[j]) +
                 2 * RTJ_U_F32 * fabs(beta[j]) + 1e-30;
    }
}

double rtj_q8_epilogue__ref(int32_t acc, float a_scale, int32_t a_zero, float w_scale, int32_t w_sum, float bias,
                            enum rtj_epi_op op, float res, double *tol)
{
    const double v = (double)a_scale * w_scale * (acc - (double)a_zero * w_sum);
    double y = v + bias, t = 4 * RTJ_U_F32 * (fabs(v) + fabs(bias));
    if (op == RTJ_EPI_GELU) {
        t = 1.13 * t + 1.3e-7 * fabs(y);
        y = gelu_d(y);
    } else if (op == RTJ_EPI_RESIDUAL) {
        y += res;
    }
    *tol = t + 2 * RTJ_U_F32 * fabs(y) + 1e-30;
    return y;
}
