/* bench_q8_gemm: the INT8 GEMM rtj_q8_gemm (weights quantized and packed once, activations quantized per
 * row inside the timed call, one thread) on the matrix products of BERT-large and TinyBERT, for every listed
 * INT8 micro-kernel this CPU runs, next to the same table's FP32 GEMM and oneDNN's u8 x s8 -> s32 matmul.
 *
 *   warm  weights packed once and reused (they stay in L2/L3): the arithmetic is measured. "kern" is the
 *         same product with A quantized beforehand (rtj_q8_gemm_quantized_cols): the GEMM alone.
 *   cold  (M = 1 and 8) calls rotate over >= 128 MB of packed INT8 weight copies, so weights come from
 *         DRAM as in a whole model; time_vs_bw = time / (K*N bytes / measured read bandwidth): 1.0 is the
 *         memory bound, the target is <= 1.3. The FP32 and oneDNN numbers beside it are cold too.
 *
 * GOP/s counts 2*M*N*K; peak% is against this machine's INT8 peak, measured at start (the title says
 * which instructions it is the peak of). x f32 is the speed-up over rtj_f32_gemm of the same table on the
 * same inputs, timed right after. oneDNN gets A and W with the very values rtj's kernel multiplies (the
 * quantized activations of that table and the packed weights, unpacked), so it does the same integer work
 * without rtj's quantization and dequantization around it.
 * Every result is checked: the quantized rows against the portable quantizer, the raw int32 sums of the
 * kernel exactly, and the dequantized output against a recomputation from the quantized values. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

typedef struct shape {
    size_t k, n;
} shape;

/* K x N: BERT-large attention projections, FFN up, FFN down; the same three for TinyBERT (hidden 312). */
static const shape shapes_full[] = {{1024, 1024}, {1024, 4096}, {4096, 1024}, {312, 312}, {312, 1200}, {1200, 312}};
static const shape shapes_quick[] = {{312, 1200}, {1024, 1024}};
static const size_t ms_full[] = {1, 8, 32, 128, 512};
static const size_t ms_quick[] = {1, 128};
static const size_t ms_cold_full[] = {1, 8};
static const size_t ms_cold_quick[] = {1};
#define COLD_BYTES ((size_t)128 << 20) /* 4x a 32 MB L3: a copy is evicted before its next turn */
#define MAX_ACT 2                      /* distinct q8_act_max values: 127 and 255 */

static double g_peak, g_bw;
static int g_failed;

/* ---- Data that goes with one shape ---------------------------------------------------------------- */
typedef struct shape_data {
    size_t k, n, ldq;            /* buffers hold up to m_max rows, the largest M of the shape */
    const float *a;              /* A [m_max, k] */
    const rtj_q8_packed_w *q8;   /* W [n, k] quantized and packed (the layout is the same for every ISA) */
    int8_t *w_s8;                /* the packed values unpacked to [n, k]: oneDNN's W and the reference's */
    float *c;                    /* C [m_max, n] */
    int32_t *c32;                /* int32 C [m_max, n]: oneDNN's output and the kernel's raw sums */
    void *scratch;               /* rtj_q8_gemm's */
    /* A quantized per table act_max, for the kernel-only run and oneDNN: [m_max, ldq] and [m_max, k] */
    uint8_t *qa, *qa_plain;
    float *a_scale;
    int32_t *a_zero;
} shape_data;

static int8_t q8_at(const rtj_q8_packed_w *w, size_t j, size_t k)
{
    return w->data[(j / RTJ_Q8_PANEL) * w->k_pad * RTJ_Q8_PANEL + (k / 4) * RTJ_Q8_PANEL * 4 +
                   (j % RTJ_Q8_PANEL) * 4 + k % 4];
}

/* ---- Correctness ------------------------------------------------------------------------------------------ */
/* sum_k qa[k] * qw[j][k] in int64 (the exact value; the kernel's int32 holds it for these K). */
static int64_t ref_dot(const shape_data *d, const uint8_t *qa, size_t j)
{
    int64_t s = 0;
    for (size_t kk = 0; kk < d->k; kk++)
        s += (int64_t)qa[kk] * d->w_s8[j * d->k + kk];
    return s;
}

/* rtj_q8_gemm's result for m rows, read after the timed calls (same A each call), against A quantized
 * here by the portable rtj_q8_quantize_rows (which the table's vectorised quantizer must match bit for bit):
 *  - the table's micro-kernel gives the exact int32 sums for the first row tile (epi == NULL);
 *  - C rows 0 and m-1 equal a_scale * w_scale[j] * (sum - a_zero * w_sum[j]) computed in double from the
 *    quantized values. The kernel rounds three times (a_scale * w_scale, the int32 -> float conversion,
 *    the product), so within 3 units of 2^-24 relative: 2 * FLT_EPSILON bounds it. A quantized value off
 *    by one step moves C by far more than that. */
static void check_q8(const rtj_kernels *kt, size_t m, shape_data *d)
{
    const char *who = kt->q8_gemm_ukernel_name;
    const size_t k = d->k, n = d->n, ldq = d->ldq;
    rtj_q8_quantize_rows(m, k, d->a, k, kt->q8_act_max, d->qa, ldq, d->a_scale, d->a_zero);

    /* Raw sums of the first row tile, every column tile, straight from the micro-kernel. */
    const size_t mr = m < kt->q8_gemm_mr ? m : kt->q8_gemm_mr, nr = kt->q8_gemm_nr;
    const size_t panel_stride = d->q8->k_pad * RTJ_Q8_PANEL;
    for (size_t j0 = 0; j0 < n; j0 += nr) {
        const size_t nb = n - j0 < nr ? n - j0 : nr;
        kt->q8_gemm_ukernel(mr, nb, d->q8->k_pad, d->qa, ldq, d->q8->data + (j0 / RTJ_Q8_PANEL) * panel_stride,
                            panel_stride, d->c32 + j0, n, NULL);
    }
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < n; j++) {
            const int64_t s = ref_dot(d, d->qa + i * ldq, j);
            if (d->c32[i * n + j] != s) {
                bench_note("CHECK FAILED: %s M=%zu K=%zu N=%zu: int32 sum [%zu][%zu] = %d, exact %lld", who, m,
                           k, n, i, j, d->c32[i * n + j], (long long)s);
                g_failed++;
                return;
            }
        }

    const size_t rows[2] = {0, m - 1};
    for (int r = 0; r < (m > 1 ? 2 : 1); r++) {
        const size_t i = rows[r];
        for (size_t j = 0; j < n; j++) {
            const int64_t v = ref_dot(d, d->qa + i * ldq, j) - (int64_t)d->a_zero[i] * d->q8->w_sum[j];
            const double y = (double)d->a_scale[i] * (double)d->q8->w_scale[j] * (double)v;
            const double tol = 2.0 * FLT_EPSILON * fabs(y) + 1e-30;
            const double got = d->c[i * n + j];
            if (!(fabs(got - y) <= tol)) {
                bench_note("CHECK FAILED: %s M=%zu K=%zu N=%zu: C[%zu][%zu] = %.9g, recomputed from the "
                           "quantized values %.9g (tolerance %.2g)",
                           who, m, k, n, i, j, got, y, tol);
                g_failed++;
                return;
            }
        }
    }
}

/* oneDNN's int32 rows 0 and m-1 against the exact sums. A mismatch is oneDNN's, not rtj's (without VNNI
 * its u8 x s8 path saturates int16 pair sums once activations use all 8 bits, as rtj's AVX2 kernel would:
 * hence its q8_act_max of 127), so it is said once, and oneDNN is left out, from then on, next to every
 * table with that act_max; not counted as a failure. Returns 1 when exact. */
static int onednn_inexact[256]; /* by act_max: once seen, oneDNN is not run again with such activations */

static int check_onednn(size_t m, int act_max, const shape_data *d)
{
    const size_t rows[2] = {0, m - 1};
    for (int r = 0; r < (m > 1 ? 2 : 1); r++) {
        const size_t i = rows[r];
        for (size_t j = 0; j < d->n; j++) {
            const int64_t s = ref_dot(d, d->qa_plain + i * d->k, j);
            if (d->c32[i * d->n + j] == s)
                continue;
            onednn_inexact[act_max & 255] = 1;
            bench_note("peer onednn: its u8 x s8 -> s32 product is not exact with activations up to %d "
                       "(M=%zu K=%zu N=%zu: C[%zu][%zu] = %d, exact %lld): left out next to tables with that "
                       "activation range",
                       act_max, m, d->k, d->n, i, j, d->c32[i * d->n + j], (long long)s);
            return 0;
        }
    }
    return 1;
}

/* ---- What is timed ------------------------------------------------------------------------------------------ */
typedef struct q8_ctx {
    const rtj_kernels *kt;
    size_t m;
    const float *a;
    const rtj_q8_packed_w *w; /* nw copies, used in turn */
    size_t nw, next;
    float *c;
    void *scratch;
} q8_ctx;

static void run_q8(void *p)
{
    q8_ctx *x = p;
    const rtj_q8_packed_w *w = &x->w[x->next];
    if (++x->next == x->nw)
        x->next = 0;
    rtj_q8_gemm(x->kt, x->m, x->a, w->k, w, RTJ_EPI_NONE, NULL, 0, x->c, w->n, x->scratch);
}

typedef struct q8_cols_ctx {
    const rtj_kernels *kt;
    size_t m, ldq;
    const uint8_t *qa;
    const float *a_scale;
    const int32_t *a_zero;
    const rtj_q8_packed_w *w;
    float *c;
} q8_cols_ctx;

static void run_q8_cols(void *p)
{
    q8_cols_ctx *x = p;
    rtj_q8_gemm_quantized_cols(x->kt, x->m, x->qa, x->ldq, x->a_scale, x->a_zero, x->w, RTJ_EPI_NONE, NULL, 0,
                               x->c, x->w->n, 0, x->w->n);
}

typedef struct f32_ctx {
    const rtj_kernels *kt;
    size_t m;
    const float *a;
    const rtj_f32_packed_w *w;
    size_t nw, next;
    float *c;
} f32_ctx;

static void run_f32(void *p)
{
    f32_ctx *x = p;
    const rtj_f32_packed_w *w = &x->w[x->next];
    if (++x->next == x->nw)
        x->next = 0;
    rtj_f32_gemm(x->kt, x->m, x->a, w->k, w, 1.0f, RTJ_EPI_NONE, NULL, 0, x->c, w->n);
}

static void run_onednn(void *p) { bench_onednn_mm_run(p); }

/* ---- Output --------------------------------------------------------------------------------------------------- */
typedef struct q8_res {
    bench_result q8;     /* rtj_q8_gemm */
    double kern_sec;     /* rtj_q8_gemm_quantized_cols (warm only; NAN otherwise) */
    double f32_sec;      /* rtj_f32_gemm, same table and inputs */
    double onednn_sec;   /* NAN: not measured */
    const char *onednn_impl;
} q8_res;

static void print_header(void)
{
    if (bench_opt.json)
        return;
    printf("%-4s %-6s %-36s %4s %5s %5s %9s %7s %6s %7s | %7s %6s | %5s | %7s %7s | %5s  %s\n", "mode", "isa",
           "kernel", "M", "K", "N", "us/call", "GOP/s", "peak%", "kern", "f32 GF", "x f32", "t/bw", "onednn",
           "rtj/dnn", "other", "onednn impl");
}

static void fmt_or_dash(char *buf, size_t len, const char *fmt, double v)
{
    if (isfinite(v))
        snprintf(buf, len, fmt, v);
    else
        snprintf(buf, len, "-");
}

static void emit(const char *mode, const rtj_kernels *kt, size_t m, size_t k, size_t n, const q8_res *r,
                 double time_vs_bw)
{
    const double ops = 2.0 * (double)m * (double)n * (double)k;
    const double gops = ops / r->q8.sec * 1e-9, frac = g_peak > 0 ? gops / g_peak : NAN;
    const double kern = ops / r->kern_sec * 1e-9, f32 = ops / r->f32_sec * 1e-9, dn = ops / r->onednn_sec * 1e-9;
    if (bench_opt.json) {
        bench_rec rec;
        bench_rec_begin(&rec, "q8_gemm");
        bench_rec_str(&rec, "kernel", kt->q8_gemm_ukernel_name);
        bench_rec_str(&rec, "isa", kt->name);
        bench_rec_str(&rec, "mode", mode);
        bench_rec_int(&rec, "m", (long long)m);
        bench_rec_int(&rec, "n", (long long)n);
        bench_rec_int(&rec, "k", (long long)k);
        bench_rec_int(&rec, "threads", 1);
        bench_rec_int(&rec, "act_max", kt->q8_act_max);
        bench_rec_num(&rec, "us", r->q8.sec * 1e6);
        bench_rec_num(&rec, "gops", gops);
        bench_rec_num(&rec, "frac_peak", frac);
        bench_rec_num(&rec, "peak_gops", g_peak);
        /* Every key on every line; null where it does not apply (warm: time_vs_bw; cold and scalar:
         * kernel_only_gops; oneDNN not installed or not exact: onednn_*). */
        bench_rec_num(&rec, "kernel_only_gops", kern);
        bench_rec_str(&rec, "f32_kernel", kt->f32_gemm_ukernel_name);
        bench_rec_num(&rec, "f32_gflops", f32);
        bench_rec_num(&rec, "speedup_vs_f32", r->f32_sec / r->q8.sec);
        bench_rec_num(&rec, "bw_gbps", isfinite(time_vs_bw) ? g_bw : NAN);
        bench_rec_num(&rec, "time_vs_bw", time_vs_bw);
        bench_rec_num(&rec, "onednn_gops", dn);
        bench_rec_num(&rec, "onednn_ratio", gops / dn);
        bench_rec_str(&rec, "onednn_impl", isfinite(dn) ? r->onednn_impl : "");
        bench_rec_num(&rec, "other_load", r->q8.other_load);
        bench_rec_end(&rec);
        return;
    }
    char kb[16], tb[16], dg[16], dr[16], ol[16];
    fmt_or_dash(kb, sizeof kb, "%.1f", kern);
    fmt_or_dash(tb, sizeof tb, "%.2f", time_vs_bw);
    fmt_or_dash(dg, sizeof dg, "%.1f", dn);
    fmt_or_dash(dr, sizeof dr, "%.2f", gops / dn);
    fmt_or_dash(ol, sizeof ol, "%.2f", r->q8.other_load >= 0 ? r->q8.other_load : NAN);
    printf("%-4s %-6s %-36s %4zu %5zu %5zu %9.1f %7.1f %6.1f %7s | %7.1f %6.2f | %5s | %7s %7s | %5s  %s\n", mode,
           kt->name, kt->q8_gemm_ukernel_name, m, k, n, r->q8.sec * 1e6, gops, 100.0 * frac, kb, f32,
           r->f32_sec / r->q8.sec, tb, dg, dr, ol, isfinite(dn) ? r->onednn_impl : "");
    fflush(stdout);
}

/* ---- Measurements ------------------------------------------------------------------------------------------------ */
/* Quantizes A's first m rows as table kt does (its act_max), into d->qa (rtj's layout) and d->qa_plain
 * (contiguous [m, k], oneDNN's). */
static void quantize_a(const rtj_kernels *kt, size_t m, shape_data *d)
{
    kt->q8_quantize(m, d->k, d->a, d->k, kt->q8_act_max, d->qa, d->ldq, d->a_scale, d->a_zero);
    for (size_t i = 0; i < m; i++)
        memcpy(d->qa_plain + i * d->k, d->qa + i * d->ldq, d->k);
}

/* oneDNN on the quantized A of act_max and the packed weights (copies > 1: cold). NAN when not run. */
static double measure_onednn(const rtj_kernels *kt, size_t m, shape_data *d, size_t copies, char *impl,
                             size_t impl_len)
{
    if (!bench_have_onednn() || onednn_inexact[kt->q8_act_max & 255])
        return NAN;
    quantize_a(kt, m, d);
    bench_onednn_mm *mm = bench_onednn_mm_create_u8s8(m, d->n, d->k, d->qa_plain, d->w_s8, d->c32, copies);
    if (!mm)
        return NAN;
    /* Checked before it is timed: a wrong result is not worth the time. */
    memset(d->c32, 0, m * d->n * sizeof(int32_t));
    bench_onednn_mm_run(mm);
    bench_result r = {.sec = NAN};
    if (check_onednn(m, kt->q8_act_max, d))
        bench_time(run_onednn, mm, &r);
    snprintf(impl, impl_len, "%s", bench_onednn_mm_impl(mm));
    bench_onednn_mm_destroy(mm);
    return r.sec;
}

/* oneDNN's time depends on M and the shape, not on the activation values, but it is given the values of
 * each table: measured once per act_max (127 for the AVX2 kernel, 255 for VNNI, NEON and scalar). */
typedef struct onednn_cache {
    int act_max[MAX_ACT];
    double sec[MAX_ACT];
    char impl[MAX_ACT][96];
    int n;
} onednn_cache;

static double onednn_for(onednn_cache *oc, const rtj_kernels *kt, size_t m, shape_data *d, size_t copies,
                         const char **impl)
{
    for (int i = 0; i < oc->n; i++)
        if (oc->act_max[i] == kt->q8_act_max) {
            *impl = oc->impl[i];
            return oc->sec[i];
        }
    const int i = oc->n < MAX_ACT ? oc->n++ : MAX_ACT - 1;
    oc->act_max[i] = kt->q8_act_max;
    oc->impl[i][0] = 0;
    oc->sec[i] = measure_onednn(kt, m, d, copies, oc->impl[i], sizeof oc->impl[i]);
    *impl = oc->impl[i];
    return oc->sec[i];
}

/* Scalar runs at a few GOP/s: only the small M, so that `make bench` stays within a minute. */
static int runs_m(const rtj_kernels *kt, size_t m) { return kt->isa != RTJ_ISA_SCALAR || m == 1 || m == 8; }

static void measure_warm(const rtj_kernels *kt, size_t m, shape_data *d, const rtj_f32_packed_w *f32w,
                         onednn_cache *oc)
{
    q8_res r = {.kern_sec = NAN, .onednn_sec = NAN, .onednn_impl = ""};
    q8_ctx x = {kt, m, d->a, d->q8, 1, 0, d->c, d->scratch};
    memset(d->c, 0, m * d->n * sizeof(float));
    bench_time(run_q8, &x, &r.q8);
    check_q8(kt, m, d);
    bench_consume(d->c, m * d->n);

    /* The GEMM alone, A quantized beforehand. Not for scalar: its kernel dwarfs the quantization. */
    if (kt->isa != RTJ_ISA_SCALAR) {
        quantize_a(kt, m, d);
        q8_cols_ctx xc = {kt, m, d->ldq, d->qa, d->a_scale, d->a_zero, d->q8, d->c};
        bench_result rk;
        bench_time(run_q8_cols, &xc, &rk);
        bench_consume(d->c, m * d->n);
        r.kern_sec = rk.sec;
    }

    f32_ctx xf = {kt, m, d->a, f32w, 1, 0, d->c};
    bench_result rf;
    bench_time(run_f32, &xf, &rf);
    bench_consume(d->c, m * d->n);
    r.f32_sec = rf.sec;

    r.onednn_sec = onednn_for(oc, kt, m, d, 1, &r.onednn_impl);
    emit("warm", kt, m, d->k, d->n, &r, NAN);
}

static void measure_cold(const rtj_kernels *kt, size_t m, shape_data *d, const rtj_f32_packed_w *f32w,
                         onednn_cache *oc)
{
    const size_t k = d->k, n = d->n;
    /* Copies of the packed data share w_scale, w_sum and bias: only the weights must come from DRAM. */
    const size_t qbytes = (d->q8->n_pad * d->q8->k_pad + 63) / 64 * 64;
    size_t copies = (COLD_BYTES + qbytes - 1) / qbytes;
    copies = copies < 2 ? 2 : copies;
    int8_t *qdata = bench_xalloc(copies * qbytes);
    rtj_q8_packed_w *qw = malloc(copies * sizeof *qw);
    if (!qw) {
        fprintf(stderr, "bench_q8_gemm: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < copies; i++) {
        qw[i] = *d->q8;
        qw[i].data = qdata + i * qbytes;
        memcpy(qw[i].data, d->q8->data, d->q8->n_pad * d->q8->k_pad);
    }
    q8_res r = {.kern_sec = NAN, .onednn_sec = NAN, .onednn_impl = ""};
    q8_ctx x = {kt, m, d->a, qw, copies, 0, d->c, d->scratch};
    memset(d->c, 0, m * n * sizeof(float));
    bench_time(run_q8, &x, &r.q8);
    check_q8(kt, m, d);
    bench_consume(d->c, m * n);
    free(qw);
    rtj_free(qdata);

    /* FP32 cold beside it: its own >= 128 MB of copies (4x the bytes per copy, so fewer of them). */
    const size_t fbytes = rtj_f32_packed_size(kt, n, k);
    size_t fcopies = (COLD_BYTES + fbytes - 1) / fbytes;
    fcopies = fcopies < 2 ? 2 : fcopies;
    const size_t fstride = (fbytes + 63) / 64 * 64;
    char *fdata = bench_xalloc(fcopies * fstride);
    rtj_f32_packed_w *fw = malloc(fcopies * sizeof *fw);
    if (!fw) {
        fprintf(stderr, "bench_q8_gemm: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < fcopies; i++) {
        fw[i] = *f32w;
        fw[i].data = (float *)(fdata + i * fstride);
        memcpy(fw[i].data, f32w->data, fbytes);
    }
    f32_ctx xf = {kt, m, d->a, fw, fcopies, 0, d->c};
    bench_result rf;
    bench_time(run_f32, &xf, &rf);
    bench_consume(d->c, m * n);
    r.f32_sec = rf.sec;
    free(fw);
    rtj_free(fdata);

    r.onednn_sec = onednn_for(oc, kt, m, d, (COLD_BYTES + k * n - 1) / (k * n), &r.onednn_impl);
    /* DRAM bound: the K*N bytes of INT8 weights a model holds (packing pads N to 16: rtj's cost). */
    const double tvb = r.q8.sec / ((double)k * (double)n / (g_bw * 1e9));
    emit("cold", kt, m, k, n, &r, tvb);
}

static void bench_shape(const shape *s, const size_t *ms, size_t nms, const size_t *ms_cold, size_t nms_cold,
                        const rtj_kernels *const *tables, int nt)
{
    const size_t k = s->k, n = s->n;
    size_t m_max = 1;
    for (size_t i = 0; i < nms; i++)
        m_max = ms[i] > m_max ? ms[i] : m_max;
    for (size_t i = 0; i < nms_cold; i++)
        m_max = ms_cold[i] > m_max ? ms_cold[i] : m_max;
    /* The inputs of bench_f32_gemm: W as Hugging Face stores a Linear ([out, in] = [N, K]), values in
     * [-1, 1), and A in [-1, 1). */
    float *w = bench_alloc_filled(n * k, 0x5eed + (uint32_t)(k * 7 + n), -1.0f, 1.0f);
    float *a = bench_alloc_filled(m_max * k, 0xa11ce + (uint32_t)k, -1.0f, 1.0f);
    rtj_q8_packed_w q8;
    if (rtj_q8_pack_w(n, k, w, k, NULL, &q8) != 0) {
        fprintf(stderr, "bench_q8_gemm: out of memory packing %zux%zu\n", k, n);
        exit(1);
    }
    shape_data d = {.k = k, .n = n, .ldq = rtj_q8_row_stride(k), .a = a, .q8 = &q8};
    d.w_s8 = bench_xalloc(n * k);
    for (size_t j = 0; j < n; j++)
        for (size_t kk = 0; kk < k; kk++)
            d.w_s8[j * k + kk] = q8_at(&q8, j, kk);
    d.c = bench_xalloc(m_max * n * sizeof(float));
    d.c32 = bench_xalloc(m_max * n * sizeof(int32_t));
    d.scratch = bench_xalloc(rtj_q8_gemm_scratch(m_max, k));
    d.qa = bench_xalloc(m_max * d.ldq);
    d.qa_plain = bench_xalloc(m_max * k);
    d.a_scale = bench_xalloc(m_max * sizeof(float));
    d.a_zero = bench_xalloc(m_max * sizeof(int32_t));
    rtj_f32_packed_w f32w[RTJ_ISA_COUNT];
    for (int t = 0; t < nt; t++)
        if (rtj_f32_pack_w(tables[t], n, k, w, k, 0, NULL, &f32w[t]) != 0) {
            fprintf(stderr, "bench_q8_gemm: out of memory packing %zux%zu\n", k, n);
            exit(1);
        }

    for (size_t mi = 0; mi < nms; mi++) {
        onednn_cache oc = {.n = 0};
        for (int t = 0; t < nt; t++)
            if (runs_m(tables[t], ms[mi]))
                measure_warm(tables[t], ms[mi], &d, &f32w[t], &oc);
    }
    for (size_t mi = 0; mi < nms_cold; mi++) {
        onednn_cache oc = {.n = 0};
        for (int t = 0; t < nt; t++)
            if (runs_m(tables[t], ms_cold[mi]))
                measure_cold(tables[t], ms_cold[mi], &d, &f32w[t], &oc);
    }

    for (int t = 0; t < nt; t++)
        rtj_f32_packed_w_free(&f32w[t]);
    rtj_free(d.a_zero);
    rtj_free(d.a_scale);
    rtj_free(d.qa_plain);
    rtj_free(d.qa);
    rtj_free(d.scratch);
    rtj_free(d.c32);
    rtj_free(d.c);
    rtj_free(d.w_s8);
    rtj_q8_packed_w_free(&q8);
    rtj_free(a);
    rtj_free(w);
}

int main(int argc, char **argv)
{
    const int rc = bench_init(argc, argv,
                              "INT8 GEMM C[M,N] = dequant(quant(A[M,K]) * Wq[N,K]^T) (rtj_q8_gemm: per-channel "
                              "weights packed once,\nper-row activations quantized in the call) on BERT-large and "
                              "TinyBERT shapes, warm and cold weights,\nevery listed kernel, next to rtj_f32_gemm and "
                              "oneDNN's u8 x s8 -> s32 matmul when installed.");
    if (rc >= 0)
        return rc;
    rtj_kernels store[16];
    const rtj_kernels *tables[16];
    const int nt = bench_kernel_tables(RTJ_FAMILY_Q8_GEMM, store, tables, 16);
    if (nt < 0)
        return 2;
    if (nt == 0)
        return 0;

    double f32_peak;
    bench_report_machine("q8_gemm: C[M,N] = dequant(quant(A[M,K]) * Wq[N,K]^T)", 1, &f32_peak, &g_bw);
    bench_report_peak_i8(&g_peak);
    bench_peers_load();
    print_header();

    const shape *shapes = bench_opt.quick ? shapes_quick : shapes_full;
    const size_t nshapes = bench_opt.quick ? sizeof shapes_quick / sizeof shapes_quick[0]
                                           : sizeof shapes_full / sizeof shapes_full[0];
    const size_t *ms = bench_opt.quick ? ms_quick : ms_full;
    const size_t nms = bench_opt.quick ? sizeof ms_quick / sizeof ms_quick[0] : sizeof ms_full / sizeof ms_full[0];
    const size_t *msc = bench_opt.quick ? ms_cold_quick : ms_cold_full;
    const size_t nmsc = bench_opt.quick ? sizeof ms_cold_quick / sizeof ms_cold_quick[0]
                                        : sizeof ms_cold_full / sizeof ms_cold_full[0];
    for (size_t s = 0; s < nshapes; s++) {
        /* --quick: cold weights on the first shape only */
        bench_shape(&shapes[s], ms, nms, msc, bench_opt.quick && s > 0 ? 0 : nmsc, tables, nt);
    }
    if (g_failed) {
        bench_note("%d correctness check(s) FAILED: those lines measure a wrong result", g_failed);
        return 1;
    }
    return 0;
}
