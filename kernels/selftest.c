/* The self-test's kernel half: every listed kernel this CPU can run, on small edge-grid shapes, against the
 * double-precision references of kernels/ref.c. The bounds are the test suite's (tests/test_f32_gemm.c,
 * tests/test_q8_gemm.c, tests/test_f32_elementwise.c), restated here with their derivations in short: this
 * is what a user runs on a CPU nobody here has tried, so it must catch the same faults with the same
 * rigour, only on fewer shapes (it has to take well under a second). */
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "rtj_kernels.h"
#include "selftest.h"

#define U_F32 RTJ_U_F32
#define SENTINEL 7777.0f
#define SENTINEL_I32 0x5a5a5a5a

/* ---- bookkeeping ------------------------------------------------------------------------------------ */

void rtj_selftest_begin(rtj_selftest_state *s, const char *isa, const char *fmt, ...)
{
    memset(&s->check, 0, sizeof s->check);
    snprintf(s->check.isa, sizeof s->check.isa, "%s", isa);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->check.what, sizeof s->check.what, fmt, ap);
    va_end(ap);
    s->check.pass = 1;
    s->worst_ratio = -1;
}

static void fail_detail(rtj_selftest_state *s, const char *fmt, va_list ap)
{
    if (s->check.pass)
        vsnprintf(s->check.detail, sizeof s->check.detail, fmt, ap);
    s->check.pass = 0;
}

void rtj_selftest_value(rtj_selftest_state *s, double err, double bound, const char *where, ...)
{
    err = fabs(err);
    const int ok = err <= bound; /* NaN fails */
    const double ratio = isnan(err) ? INFINITY : bound > 0 ? err / bound : (err > 0 ? INFINITY : 0);
    if (ratio > s->worst_ratio || (!ok && s->check.pass)) {
        s->worst_ratio = ratio;
        s->check.worst = err;
        s->check.bound = bound;
    }
    if (!ok) {
        va_list ap;
        va_start(ap, where);
        fail_detail(s, where, ap);
        va_end(ap);
    }
}

void rtj_selftest_require(rtj_selftest_state *s, int ok, const char *where, ...)
{
    if (ok)
        return;
    va_list ap;
    va_start(ap, where);
    fail_detail(s, where, ap);
    va_end(ap);
}

void rtj_selftest_end(rtj_selftest_state *s)
{
    if (s->worst_ratio < 0) /* nothing measured: the check is a condition only */
        s->check.worst = s->check.bound = 0;
    if (!s->check.pass)
        s->failed++;
    if (s->report)
        s->report(&s->check, s->user);
}

/* ---- data ------------------------------------------------------------------------------------------- */

typedef struct rng {
    uint64_t s;
} rng;

static uint32_t rng_next(rng *r)
{
    r->s = r->s * 6364136223846793005u + 1442695040888963407u;
    return (uint32_t)(r->s >> 33);
}

static float uniform(rng *r, float lo, float hi) { return lo + (hi - lo) * (float)(rng_next(r) >> 8) / 16777216.0f; }

static void fill(float *x, size_t n, float lo, float hi, rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = uniform(r, lo, hi);
}

/* One allocation for a check's buffers, released in one call: the checks stay readable and leak-free. */
typedef struct arena {
    void *p[12];
    int n;
} arena;

static void *take(arena *a, size_t bytes)
{
    void *p = a->n < 12 ? calloc(1, bytes ? bytes : 1) : NULL;
    if (p)
        a->p[a->n++] = p;
    return p;
}

static void release(arena *a)
{
    for (int i = 0; i < a->n; i++)
        free(a->p[i]);
    a->n = 0;
}

/* The m values an edge grid needs for a tile of MR rows: 1, 2, MR - 1, MR, MR + 1. */
static size_t grid_m(size_t mr, size_t *out)
{
    const size_t want[] = {1, 2, mr - 1, mr, mr + 1};
    size_t n = 0;
    for (size_t i = 0; i < 5; i++)
        if (want[i] >= 1 && (n == 0 || want[i] > out[n - 1]))
            out[n++] = want[i];
    return n;
}

/* ---- FP32 GEMM: within rtj_f32_gemm_bound (kernels/ref.h) ------------------------------------------ */
static int check_f32_gemm(rtj_selftest_state *s, const rtj_kernels *kt)
{
    const size_t mr = kt->f32_gemm_mr, nr = kt->f32_gemm_nr;
    size_t ms[5];
    const size_t nm = grid_m(mr, ms);
    const size_t ns[] = {1, nr - 1, nr + 1, 2 * nr + 3};
    const size_t ks[] = {1, 7, kt->f32_gemm_kc + 1}; /* one K block, and just past it */
    const size_t M = mr + 1, N = 2 * nr + 3, K = kt->f32_gemm_kc + 1, ldc = N + 3;
    arena ar = {0};
    float *a = take(&ar, M * K * sizeof(float)), *w = take(&ar, N * K * sizeof(float));
    float *bias = take(&ar, N * sizeof(float)), *res = take(&ar, M * ldc * sizeof(float));
    float *c = take(&ar, M * ldc * sizeof(float));
    double *ref = take(&ar, M * ldc * sizeof(double)), *pre = take(&ar, M * ldc * sizeof(double));
    double *absb = take(&ar, M * ldc * sizeof(double));
    if (ar.n < 8) {
        release(&ar);
        return -1;
    }
    rng r = {42};
    fill(a, M * K, -1, 1, &r);
    fill(w, N * K, -1, 1, &r);
    fill(bias, N, -2, 2, &r);
    fill(res, M * ldc, -4, 4, &r);
    rtj_selftest_begin(s, kt->name, "%s", kt->f32_gemm_ukernel_name);
    unsigned cases = 0;
    for (size_t ni = 0; ni < 4; ni++) {
        const size_t n = ns[ni];
        if (n == 0 || (ni > 0 && n == ns[ni - 1]))
            continue;
        for (size_t ki = 0; ki < 3; ki++) {
            const size_t k = ks[ki];
            rtj_f32_packed_w pw;
            if (rtj_f32_pack_w(kt, n, k, w, k, 0, bias, &pw) != 0) {
                release(&ar);
                return -1;
            }
            for (size_t mi = 0; mi < nm; mi++, cases++) {
                const size_t m = ms[mi];
                const enum rtj_epi_op op = (enum rtj_epi_op)(cases % 3);
                const float alpha = cases % 4 == 3 ? 0.125f : 1.0f;
                for (size_t i = 0; i < m * ldc; i++)
                    c[i] = SENTINEL;
                rtj_f32_gemm(kt, m, a, k, &pw, alpha, op, res, ldc, c, ldc);
                rtj_f32_gemm__ref(m, n, k, a, k, w, k, bias, alpha, op, res, ldc, ref, ldc, absb);
                rtj_f32_gemm__ref(m, n, k, a, k, w, k, bias, alpha, RTJ_EPI_NONE, NULL, 0, pre, ldc, NULL);
                for (size_t i = 0; i < m; i++)
                    for (size_t j = 0; j < ldc; j++) {
                        const size_t at = i * ldc + j;
                        if (j >= n) {
                            rtj_selftest_require(s, c[at] == SENTINEL, "m=%zu n=%zu k=%zu: wrote C[%zu][%zu] outside the tile",
                                                 m, n, k, i, j);
                            continue;
                        }
                        rtj_selftest_value(s, c[at] - ref[at], rtj_f32_gemm_bound(k, op, ref[at], absb[at], pre[at]),
                                           "m=%zu n=%zu k=%zu op=%d: C[%zu][%zu] = %.9g, reference %.9g", m, n, k,
                                           (int)op, i, j, c[at], ref[at]);
                    }
            }
            rtj_f32_packed_w_free(&pw);
        }
    }
    rtj_selftest_end(s);
    release(&ar);
    return 0;
}

/* ---- INT8 GEMM ----------------------------------------------------------------------------------------
 * The int32 accumulators are exact: compared with int64 sums, bound 0. The fused epilogue is then checked
 * against dequantization of the exact sums in double, within rtj_q8_epilogue__ref's bound. */
static int q8_exact_case(rtj_selftest_state *s, const rtj_kernels *kt, size_t n, size_t k, const size_t *ms,
                         size_t nm, rng *r)
{
    const size_t M = ms[nm - 1];
    arena ar = {0};
    float *w = take(&ar, n * k * sizeof(float));
    int8_t *qw = take(&ar, n * k);
    if (ar.n < 2)
        return release(&ar), -1;
    fill(w, n * k, -1, 1, r);
    rtj_q8_packed_w pw;
    if (rtj_q8_pack_w(n, k, w, k, NULL, &pw) != 0)
        return release(&ar), -1;
    const size_t ldq = pw.k_pad + 4, ldc = n + 3;
    uint8_t *qa = take(&ar, M * ldq);
    int32_t *acc = take(&ar, M * ldc * sizeof(int32_t)), *ref = take(&ar, M * ldc * sizeof(int32_t));
    if (ar.n < 5) {
        rtj_q8_packed_w_free(&pw);
        return release(&ar), -1;
    }
    rtj_q8_unpack_w(&pw, qw);
    /* The full activation range, with the largest value often: the extremes are what overflows int16 pairs. */
    for (size_t i = 0; i < M * ldq; i++)
        qa[i] = (uint8_t)(i % 7 == 0 ? (uint32_t)kt->q8_act_max : rng_next(r) % (uint32_t)(kt->q8_act_max + 1));
    for (size_t mi = 0; mi < nm; mi++) {
        const size_t m = ms[mi];
        for (size_t i = 0; i < m * ldc; i++)
            acc[i] = SENTINEL_I32;
        rtj_q8_gemm_exact(kt, m, qa, ldq, &pw, acc, ldc);
        rtj_q8_gemm__ref(m, n, k, qa, ldq, qw, k, ref, ldc);
        for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < ldc; j++) {
                if (j >= n) {
                    rtj_selftest_require(s, acc[i * ldc + j] == SENTINEL_I32,
                                         "m=%zu n=%zu k=%zu: wrote C[%zu][%zu] outside the tile", m, n, k, i, j);
                    continue;
                }
                rtj_selftest_value(s, (double)acc[i * ldc + j] - ref[i * ldc + j], 0,
                                   "m=%zu n=%zu k=%zu: acc[%zu][%zu] = %d, exact %d", m, n, k, i, j,
                                   (int)acc[i * ldc + j], (int)ref[i * ldc + j]);
            }
    }
    rtj_q8_packed_w_free(&pw);
    release(&ar);
    return 0;
}

static int q8_epilogue_case(rtj_selftest_state *s, const rtj_kernels *kt, rng *r)
{
    enum { M = 7, N = 45, K = 130, LDQ = 192 }; /* n and k neither multiples of 16 nor of 4 */
    arena ar = {0};
    float *w = take(&ar, N * K * sizeof(float)), *x = take(&ar, M * K * sizeof(float));
    float *res = take(&ar, M * N * sizeof(float)), *c = take(&ar, M * N * sizeof(float));
    int8_t *qw = take(&ar, N * K);
    if (ar.n < 5)
        return release(&ar), -1;
    float bias[N], sa[M];
    uint8_t qa[M * LDQ];
    int32_t za[M], acc[M * N];
    fill(w, N * K, -0.05f, 0.05f, r);
    fill(x, M * K, -1.5f, 2.5f, r);
    fill(bias, N, -1, 1, r);
    fill(res, M * N, -3, 3, r);
    rtj_q8_packed_w pw;
    if (rtj_q8_pack_w(N, K, w, K, bias, &pw) != 0)
        return release(&ar), -1;
    rtj_q8_unpack_w(&pw, qw);
    rtj_q8_quantize_rows(M, K, x, K, kt->q8_act_max, qa, LDQ, sa, za);
    rtj_q8_gemm__ref(M, N, K, qa, LDQ, qw, K, acc, N);
    for (int op = RTJ_EPI_NONE; op <= RTJ_EPI_RESIDUAL; op++) {
        rtj_q8_gemm_quantized_cols(kt, M, qa, LDQ, sa, za, &pw, (enum rtj_epi_op)op, res, N, c, N, 0, N);
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                double tol;
                const double y = rtj_q8_epilogue__ref(acc[i * N + j], sa[i], za[i], pw.w_scale[j], pw.w_sum[j], bias[j],
                                                      (enum rtj_epi_op)op, res[i * N + j], &tol);
                rtj_selftest_value(s, c[i * N + j] - y, tol, "epilogue op %d: y[%zu][%zu] = %.9g, expected %.9g", op,
                                   i, j, c[i * N + j], y);
            }
    }
    rtj_q8_packed_w_free(&pw);
    release(&ar);
    return 0;
}

static int check_q8_gemm(rtj_selftest_state *s, const rtj_kernels *kt)
{
    size_t ms[5];
    const size_t nm = grid_m(kt->q8_gemm_mr, ms), nr = kt->q8_gemm_nr;
    const size_t ns[] = {1, 15, 16, 17, nr + 1, 2 * nr + 3};
    const size_t ks[] = {1, 3, 4, 5, 65}; /* below, at and past the 4-k group, and several groups */
    rng r = {7};
    rtj_selftest_begin(s, kt->name, "%s", kt->q8_gemm_ukernel_name);
    for (size_t ni = 0; ni < 6; ni++) {
        if (ni > 0 && ns[ni] <= ns[ni - 1])
            continue;
        for (size_t ki = 0; ki < 5; ki++)
            if (q8_exact_case(s, kt, ns[ni], ks[ki], ms, nm, &r) != 0)
                return -1;
    }
    if (q8_epilogue_case(s, kt, &r) != 0)
        return -1;
    rtj_selftest_end(s);
    return 0;
}

/* ---- row and elementwise kernels ---------------------------------------------------------------------
 * Lengths around every vector width (4, 8, 16) so that each tail length is taken, and BERT's 26 and 312. */
static const size_t row_lengths[] = {1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 26, 31, 33, 64, 65, 312};
#define N_LENGTHS (sizeof row_lengths / sizeof row_lengths[0])

/* Softmax: exp within 2 u, the sum of n terms within n u of its value, the division u:
 * |err| <= (n + 8) u p (masked entries are e^-87, not 0; both round to nothing beside 1). */
static void check_softmax(rtj_selftest_state *s, const rtj_kernels *kt, const char *sfx)
{
    rtj_selftest_begin(s, kt->name, "rtj_f32_softmax__%s", sfx);
    rng r = {3};
    float x[320], mask[320], y[320];
    double ref[320];
    for (size_t l = 0; l < N_LENGTHS; l++) {
        const size_t n = row_lengths[l];
        fill(x, n, -10, 10, &r);
        for (size_t j = 0; j < n; j++)
            mask[j] = j % 3 == 2 ? -10000.0f : 0.0f;
        const float *mk = l % 2 ? mask : NULL;
        kt->f32_softmax(n, x, mk, y);
        rtj_f32_softmax__ref(n, x, mk, ref);
        for (size_t j = 0; j < n; j++)
            rtj_selftest_value(s, y[j] - ref[j], (n + 8) * U_F32 * ref[j] + 1e-30, "n=%zu mask=%d: y[%zu] = %.9g, reference %.9g",
                               n, mk != NULL, j, y[j], ref[j]);
    }
    rtj_selftest_end(s);
}

/* LayerNorm: within rtj_f32_layernorm_bound, on rows with a large common offset. */
static void check_layernorm(rtj_selftest_state *s, const rtj_kernels *kt, const char *sfx)
{
    rtj_selftest_begin(s, kt->name, "rtj_f32_layernorm__%s", sfx);
    rng r = {5};
    enum { ROWS = 2, LD = 320 };
    float x[ROWS * LD], res[ROWS * LD], g[LD], b[LD], y[ROWS * LD];
    double ref[LD], tol[LD];
    for (size_t l = 1; l < N_LENGTHS; l++) /* n = 1 has no spread: its answer is beta up to eps */
        for (int with_res = 0; with_res < 2; with_res++) {
            const size_t n = row_lengths[l];
            fill(x, ROWS * LD, 20, 24, &r); /* a large common offset, as BERT's residual stream has */
            fill(res, ROWS * LD, -3, 3, &r);
            fill(g, n, 0.5f, 1.5f, &r);
            fill(b, n, -0.5f, 0.5f, &r);
            const float *rs = with_res ? res : NULL;
            kt->f32_layernorm(ROWS, n, x, LD, rs, LD, g, b, 1e-12f, y, LD);
            for (size_t row = 0; row < ROWS; row++) {
                rtj_f32_layernorm__ref(n, x + row * LD, rs ? rs + row * LD : NULL, g, b, 1e-12f, ref);
                rtj_f32_layernorm_bound(n, x + row * LD, rs ? rs + row * LD : NULL, g, b, 1e-12f, tol);
                for (size_t j = 0; j < n; j++)
                    rtj_selftest_value(s, y[row * LD + j] - ref[j], tol[j], "n=%zu res=%d row %zu: y[%zu] = %.9g, reference %.9g",
                                       n, with_res, row, j, y[row * LD + j], ref[j]);
            }
        }
    rtj_selftest_end(s);
}

/* GELU and tanh over the whole float range that reaches them: a grid over [-100, 100], the special values
 * (signed zeros, tiny and denormal values, +-80, huge magnitudes, +-Inf, NaN), each run at every length
 * 1..33 so the special values land in every lane and tail. Bounds: GELU 1.3e-7 |x| (erf's 2.5e-7 times
 * |x|/2) + 4 u |gelu(x)| + 1e-37; tanh 2.5e-7 absolute (kernels/vmath.inc). */
enum { N_UNARY = 240 };

static void unary_inputs(float *x)
{
    static const float special[] = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e-40f, -1e-40f, 80.0f, -80.0f, 100.0f, -100.0f,
                                    1e30f, -1e30f, FLT_MAX, -FLT_MAX, INFINITY, -INFINITY, NAN, 3.0f, -3.0f, 0.5f};
    const size_t ns = sizeof special / sizeof special[0];
    for (size_t i = 0; i < N_UNARY; i++)
        x[i] = i < ns ? special[i] : -100.0f + 200.0f * (float)(i - ns) / (float)(N_UNARY - ns - 1);
}

/* The expected value where the double reference has none (NaN in, +-Inf in) or a finite value: NaN in gives
 * NaN, gelu(+Inf) = +Inf, gelu(-Inf) = 0, tanh(+-Inf) = +-1. */
static void check_unary_value(rtj_selftest_state *s, int is_gelu, float x, float y, size_t n, size_t i)
{
    const char *f = is_gelu ? "gelu" : "tanh";
    if (isnan(x)) {
        rtj_selftest_require(s, isnan(y), "n=%zu lane %zu: %s(NaN) = %.9g, not NaN", n, i, f, y);
        return;
    }
    double want;
    if (isinf(x))
        want = is_gelu ? (x > 0 ? INFINITY : 0.0) : (x > 0 ? 1.0 : -1.0);
    else
        want = is_gelu ? rtj_f32_gelu__ref(x) : rtj_f32_tanh__ref(x);
    if (is_gelu && isinf(x)) {
        rtj_selftest_require(s, y == want, "n=%zu lane %zu: %s(%g) = %.9g, not %g", n, i, f, x, y, want);
        return;
    }
    const double tol = is_gelu ? 1.3e-7 * fabs(x) + 4 * U_F32 * fabs(want) + 1e-37 : 2.5e-7;
    rtj_selftest_value(s, y - want, tol, "n=%zu lane %zu: %s(%.9g) = %.9g, reference %.9g", n, i, f, x, y, want);
}

static void check_unary(rtj_selftest_state *s, const rtj_kernels *kt, const char *sfx, int is_gelu)
{
    rtj_selftest_begin(s, kt->name, "rtj_f32_%s__%s", is_gelu ? "gelu" : "tanh", sfx);
    rtj_f32_unary_fn fn = is_gelu ? kt->f32_gelu : kt->f32_tanh;
    float x[N_UNARY], y[N_UNARY];
    unary_inputs(x);
    for (size_t n = 1; n <= 33; n++) /* every tail, with the special values in every lane */
        for (size_t off = 0; off + n <= 20 + n && off + n <= N_UNARY; off += n) {
            fn(n, x + off, y);
            for (size_t i = 0; i < n; i++)
                check_unary_value(s, is_gelu, x[off + i], y[i], n, i);
        }
    fn(N_UNARY, x, y);
    for (size_t i = 0; i < N_UNARY; i++)
        check_unary_value(s, is_gelu, x[i], y[i], N_UNARY, i);
    rtj_selftest_end(s);
}

/* Embedding gather-sum: two float additions, |err| <= u |w + p| + u |fl(w + p) + t| <= 2 u (1 + u) (|w| + |p| + |t|). */
static int check_embed(rtj_selftest_state *s, const rtj_kernels *kt, const char *sfx)
{
    enum { VOCAB = 11, POS = 12, TYPES = 2, SEQ = 5, H = 313, LDO = 320 };
    arena ar = {0};
    float *word = take(&ar, VOCAB * H * sizeof(float)), *pos = take(&ar, POS * H * sizeof(float));
    float *type = take(&ar, TYPES * H * sizeof(float)), *out = take(&ar, SEQ * LDO * sizeof(float));
    double *ref = take(&ar, SEQ * H * sizeof(double));
    if (ar.n < 5)
        return release(&ar), -1;
    rtj_selftest_begin(s, kt->name, "rtj_f32_embed__%s", sfx);
    rng r = {9};
    fill(word, VOCAB * H, -1, 1, &r);
    fill(pos, POS * H, -0.5f, 0.5f, &r);
    fill(type, TYPES * H, -0.1f, 0.1f, &r);
    const int32_t ids[SEQ] = {3, 0, 10, 7, 3}, types[SEQ] = {0, 1, 1, 0, 1};
    for (size_t hi = 0; hi < 3; hi++) {
        const size_t h = hi == 0 ? 26 : hi == 1 ? 65 : H;
        for (int with_types = 0; with_types < 2; with_types++) {
            const int32_t *ty = with_types ? types : NULL;
            kt->f32_embed(SEQ, ids, ty, 2, word, pos, type, h, out, LDO);
            rtj_f32_embed__ref(SEQ, ids, ty, 2, word, pos, type, h, ref);
            for (size_t t = 0; t < SEQ; t++)
                for (size_t i = 0; i < h; i++) {
                    const double mag = fabs(word[ids[t] * h + i]) + fabs(pos[(2 + t) * h + i]) +
                                       fabs(type[(ty ? ty[t] : 0) * h + i]);
                    rtj_selftest_value(s, out[t * LDO + i] - ref[t * h + i], 2 * U_F32 * (1 + U_F32) * mag + 1e-30,
                                       "hidden %zu: out[%zu][%zu] = %.9g, reference %.9g", h, t, i, out[t * LDO + i],
                                       ref[t * h + i]);
                }
        }
    }
    rtj_selftest_end(s);
    release(&ar);
    return 0;
}

/* The vectorised activation quantizer gives the portable reference's bits: every byte (padding included),
 * scale and zero point, for both activation ranges. */
static void check_quantize(rtj_selftest_state *s, const rtj_kernels *kt, const char *sfx)
{
    rtj_selftest_begin(s, kt->name, "rtj_q8_quantize_rows__%s", sfx);
    enum { M = 3, LDQ = 384 };
    float x[M * 320];
    uint8_t q[M * LDQ], qr[M * LDQ];
    float sc[M], scr[M];
    int32_t z[M], zr[M];
    rng r = {13};
    for (int qmax = 127; qmax <= 255; qmax += 128)
        for (size_t l = 0; l < N_LENGTHS; l++) {
            const size_t k = row_lengths[l];
            fill(x, M * k, -2, 3, &r);
            for (size_t kk = 0; kk < k; kk++)
                x[k + kk] = fabsf(x[k + kk]); /* a row of one sign: the range still includes 0 */
            memset(q, 0xA5, sizeof q);
            memset(qr, 0xA5, sizeof qr);
            kt->q8_quantize(M, k, x, k, qmax, q, LDQ, sc, z);
            rtj_q8_quantize_rows(M, k, x, k, qmax, qr, LDQ, scr, zr);
            const size_t padded = (k + 3) / 4 * 4;
            for (size_t i = 0; i < M; i++) {
                rtj_selftest_require(s, sc[i] == scr[i] && z[i] == zr[i],
                                     "qmax %d k=%zu row %zu: scale %.9g zero %d, reference %.9g %d", qmax, k, i, sc[i],
                                     (int)z[i], scr[i], (int)zr[i]);
                for (size_t kk = 0; kk < padded; kk++)
                    rtj_selftest_value(s, (double)q[i * LDQ + kk] - qr[i * LDQ + kk], 0,
                                       "qmax %d k=%zu: q[%zu][%zu] = %d, reference %d", qmax, k, i, kk,
                                       q[i * LDQ + kk], qr[i * LDQ + kk]);
            }
        }
    rtj_selftest_end(s);
}

/* ---- every list ------------------------------------------------------------------------------------- */

int rtj_selftest_kernels(rtj_selftest_state *s)
{
    size_t n;
    const rtj_kernel_entry *rows = rtj_kernel_list(RTJ_FAMILY_F32_ROWS, &n);
    for (size_t i = n; i-- > 0;) { /* scalar first: the reference table is checked before the others */
        rtj_kernels t;
        if (rtj_kernels_with(RTJ_FAMILY_F32_ROWS, i, &t) != 0)
            continue;
        const char *sfx = strstr(rows[i].name, "__");
        sfx = sfx ? sfx + 2 : rows[i].name;
        check_softmax(s, &t, sfx);
        check_layernorm(s, &t, sfx);
        check_unary(s, &t, sfx, 1);
        check_unary(s, &t, sfx, 0);
        if (check_embed(s, &t, sfx) != 0)
            return -1;
        check_quantize(s, &t, sfx);
    }
    for (int fam = RTJ_FAMILY_F32_GEMM; fam <= RTJ_FAMILY_Q8_GEMM; fam++) {
        rtj_kernel_list((enum rtj_kernel_family)fam, &n);
        for (size_t i = n; i-- > 0;) {
            rtj_kernels t;
            if (rtj_kernels_with((enum rtj_kernel_family)fam, i, &t) != 0)
                continue;
            if ((fam == RTJ_FAMILY_F32_GEMM ? check_f32_gemm(s, &t) : check_q8_gemm(s, &t)) != 0)
                return -1;
        }
    }
    return 0;
}
