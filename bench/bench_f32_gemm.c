/* bench_f32_gemm: rtj_f32_gemm (packed weights, one thread) on the matrix products of BERT-large and
 * TinyBERT, for every listed FP32 GEMM micro-kernel this CPU runs, next to OpenBLAS and oneDNN on the same inputs.
 *
 *   warm  weights packed once and reused: they stay in L2/L3, the kernel's arithmetic is measured;
 *   cold  (M = 1 and 8) calls rotate over >= 128 MB of weight copies, so weights come from DRAM as in a
 *         whole model; time_vs_bw = time / (K*N*4 bytes / measured read bandwidth): 1.0 is the memory
 *         bound, the target is <= 1.5.
 *
 * GFLOP/s counts 2*M*N*K; peak% is against this machine's FP32 peak, measured at start. Every result is
 * checked against a double-precision reference (two rows), so a fast wrong kernel cannot pass unseen. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

typedef struct shape {
    size_t k, n;
    int ffn_up; /* the FFN's first product: where BERT applies GELU, so a fused-GELU line is shown */
} shape;

/* K x N: BERT-large attention projections, FFN up, FFN down; the same three for TinyBERT (hidden 312). */
static const shape shapes_full[] = {{1024, 1024, 0}, {1024, 4096, 1}, {4096, 1024, 0},
                                    {312, 312, 0},   {312, 1200, 1},  {1200, 312, 0}};
static const shape shapes_quick[] = {{312, 1200, 1}, {1024, 1024, 0}};
/* M = tokens in the batch: one token (decode-like), a short sentence, up to 4 x 128-token sequences. */
static const size_t ms_full[] = {1, 8, 32, 128, 512};
static const size_t ms_quick[] = {1, 128};
static const size_t ms_cold_full[] = {1, 8};
static const size_t ms_cold_quick[] = {1};
#define M_GELU 128
#define COLD_BYTES ((size_t)128 << 20) /* 4x a 32 MB L3: a copy is evicted before its next turn */

static double g_peak, g_bw;
static int g_failed;

/* ---- Correctness: the numbers are worth nothing if the product is wrong ---------------------------- */
static double gelu_ref(double x) { return 0.5 * x * (1.0 + erf(x / sqrt(2.0))); }

/* Rows 0 and m-1 of C against a double reference. FP32 summation error is bounded by about
 * k * eps * sum|a*w|; twice that leaves room for any blocking order. GELU's slope is at most 1.13. */
static void check(const char *who, size_t m, size_t n, size_t k, const float *a, const float *w,
                  const float *c, enum rtj_epi_op op)
{
    const size_t rows[2] = {0, m - 1};
    for (int r = 0; r < (m > 1 ? 2 : 1); r++) {
        const size_t i = rows[r];
        for (size_t j = 0; j < n; j++) {
            double s = 0, abs_s = 0;
            for (size_t p = 0; p < k; p++) {
                const double t = (double)a[i * k + p] * (double)w[j * k + p];
                s += t;
                abs_s += fabs(t);
            }
            double tol = 2.0 * (double)k * FLT_EPSILON * abs_s + 1e-6;
            if (op == RTJ_EPI_GELU) {
                s = gelu_ref(s);
                tol = 1.13 * tol + 1e-6 * fabs(s) + 1e-6;
            }
            const double got = c[i * n + j];
            if (!(fabs(got - s) <= tol)) {
                bench_note("CHECK FAILED: %s M=%zu K=%zu N=%zu: C[%zu][%zu] = %.7g, reference %.7g "
                           "(tolerance %.2g)",
                           who, m, k, n, i, j, got, s, tol);
                g_failed++;
                return;
            }
        }
    }
}

/* ---- What is timed -------------------------------------------------------------------------------------- */
typedef struct rtj_ctx {
    const rtj_kernels *kt;
    size_t m;
    const float *a;
    const rtj_f32_packed_w *w; /* nw copies, used in turn */
    size_t nw, next;
    enum rtj_epi_op op;
    float *c;
} rtj_ctx;

static void run_rtj(void *p)
{
    rtj_ctx *x = p;
    const rtj_f32_packed_w *w = &x->w[x->next];
    if (++x->next == x->nw)
        x->next = 0;
    rtj_f32_gemm(x->kt, x->m, x->a, w->k, w, 1.0f, x->op, NULL, 0, x->c, w->n);
}

typedef struct openblas_ctx {
    size_t m, n, k;
    const float *a, *w; /* nw copies of W [n, k], one after the other */
    size_t nw, next;
    float *c;
} openblas_ctx;

static void run_openblas(void *p)
{
    openblas_ctx *x = p;
    const float *w = x->w + x->next * x->n * x->k;
    if (++x->next == x->nw)
        x->next = 0;
    bench_openblas_sgemm_nt(x->m, x->n, x->k, x->a, w, x->c);
}

static void run_onednn(void *p) { bench_onednn_mm_run(p); }

/* ---- Output ---------------------------------------------------------------------------------------------- */
typedef struct peer_res {
    double openblas_sec, onednn_sec; /* NAN: not measured */
    char onednn_impl[96];
} peer_res;

static void print_header(void)
{
    if (bench_opt.json)
        return;
    printf("%-4s %-6s %-31s %4s %5s %5s %-4s %9s %8s %6s %5s | %7s %7s | %8s %7s | %5s  %s\n", "mode",
           "isa", "kernel", "M", "K", "N", "epi", "us/call", "GFLOP/s", "peak%", "t/bw", "onednn",
           "rtj/dnn", "openblas", "rtj/obl", "other", "onednn impl");
}

static void fmt_or_dash(char *buf, size_t len, const char *fmt, double v)
{
    if (isfinite(v))
        snprintf(buf, len, fmt, v);
    else
        snprintf(buf, len, "-");
}

/* One rtj measurement, with the peers' numbers on the same inputs when given (p) and the DRAM bound
 * when cold (time_vs_bw finite). */
static void emit(const char *mode, const rtj_kernels *kt, enum rtj_epi_op op, size_t m, size_t k, size_t n,
                 const bench_result *r, const peer_res *p, double time_vs_bw)
{
    const double flop = 2.0 * (double)m * (double)n * (double)k;
    const double gf = flop / r->sec * 1e-9, frac = g_peak > 0 ? gf / g_peak : NAN;
    const double ob = p ? flop / p->openblas_sec * 1e-9 : NAN;
    const double dn = p ? flop / p->onednn_sec * 1e-9 : NAN;
    const char *epi = op == RTJ_EPI_GELU ? "gelu" : "none";
    if (bench_opt.json) {
        bench_rec rec;
        bench_rec_begin(&rec, "f32_gemm");
        bench_rec_str(&rec, "kernel", kt->f32_gemm_ukernel_name);
        bench_rec_str(&rec, "isa", kt->name);
        bench_rec_str(&rec, "mode", mode);
        bench_rec_str(&rec, "epi", epi);
        bench_rec_int(&rec, "m", (long long)m);
        bench_rec_int(&rec, "n", (long long)n);
        bench_rec_int(&rec, "k", (long long)k);
        bench_rec_int(&rec, "threads", 1);
        bench_rec_num(&rec, "us", r->sec * 1e6);
        bench_rec_num(&rec, "gflops", gf);
        bench_rec_num(&rec, "frac_peak", frac);
        bench_rec_num(&rec, "peak_gflops", g_peak);
        if (isfinite(time_vs_bw)) {
            bench_rec_num(&rec, "bw_gbps", g_bw);
            bench_rec_num(&rec, "time_vs_bw", time_vs_bw);
        }
        if (isfinite(dn)) {
            bench_rec_num(&rec, "onednn_gflops", dn);
            bench_rec_num(&rec, "onednn_ratio", gf / dn);
            bench_rec_str(&rec, "onednn_impl", p->onednn_impl);
        }
        if (isfinite(ob)) {
            bench_rec_num(&rec, "openblas_gflops", ob);
            bench_rec_num(&rec, "openblas_ratio", gf / ob);
        }
        bench_rec_num(&rec, "other_load", r->other_load);
        bench_rec_end(&rec);
        return;
    }
    char tb[16], dg[16], dr[16], og[16], orr[16], ol[16];
    fmt_or_dash(tb, sizeof tb, "%.2f", time_vs_bw);
    fmt_or_dash(dg, sizeof dg, "%.1f", dn);
    fmt_or_dash(dr, sizeof dr, "%.2f", gf / dn);
    fmt_or_dash(og, sizeof og, "%.1f", ob);
    fmt_or_dash(orr, sizeof orr, "%.2f", gf / ob);
    fmt_or_dash(ol, sizeof ol, "%.2f", r->other_load >= 0 ? r->other_load : NAN);
    printf("%-4s %-6s %-31s %4zu %5zu %5zu %-4s %9.1f %8.1f %6.1f %5s | %7s %7s | %8s %7s | %5s  %s\n",
           mode, kt->name, kt->f32_gemm_ukernel_name, m, k, n, epi, r->sec * 1e6, gf, 100.0 * frac, tb,
           dg, dr, og, orr, ol, isfinite(dn) ? p->onednn_impl : "");
    fflush(stdout);
}

/* ---- Measurements ---------------------------------------------------------------------------------------- */
/* The peers on A[m, k] and W (copies > 1: rotated copies, cold). */
static void measure_peers(size_t m, size_t n, size_t k, const float *a, const float *w, size_t copies,
                          float *c, peer_res *pr)
{
    pr->openblas_sec = pr->onednn_sec = NAN;
    pr->onednn_impl[0] = 0;
    bench_result r;
    if (bench_have_openblas()) {
        float *ws = NULL; /* cold: copies of W, one after the other */
        if (copies > 1) {
            ws = bench_xalloc(copies * n * k * sizeof(float));
            for (size_t i = 0; i < copies; i++)
                memcpy(ws + i * n * k, w, n * k * sizeof(float));
        }
        openblas_ctx x = {m, n, k, a, ws ? ws : w, copies, 0, c};
        memset(c, 0, m * n * sizeof(float));
        bench_time(run_openblas, &x, &r);
        check("openblas", m, n, k, a, w, c, RTJ_EPI_NONE);
        bench_consume(c, m * n);
        pr->openblas_sec = r.sec;
        rtj_free(ws);
    }
    if (bench_have_onednn()) {
        bench_onednn_mm *mm = bench_onednn_mm_create(m, n, k, a, w, c, copies);
        if (mm) {
            memset(c, 0, m * n * sizeof(float));
            bench_time(run_onednn, mm, &r);
            check("onednn", m, n, k, a, w, c, RTJ_EPI_NONE);
            bench_consume(c, m * n);
            pr->onednn_sec = r.sec;
            snprintf(pr->onednn_impl, sizeof pr->onednn_impl, "%s", bench_onednn_mm_impl(mm));
            bench_onednn_mm_destroy(mm);
        }
    }
}

static void measure_rtj(const char *mode, const rtj_kernels *kt, enum rtj_epi_op op, size_t m, size_t n,
                        size_t k, const float *a, const float *w, const rtj_f32_packed_w *pw, size_t copies,
                        float *c, const peer_res *pr)
{
    bench_result r;
    rtj_ctx x = {kt, m, a, pw, copies, 0, op, c};
    memset(c, 0, m * n * sizeof(float));
    bench_time(run_rtj, &x, &r);
    check(kt->f32_gemm_ukernel_name, m, n, k, a, w, c, op);
    bench_consume(c, m * n);
    /* DRAM bound: the K*N*4 bytes the model's weights occupy (packing pads N to NR; that is rtj's cost). */
    const double tvb = copies > 1 ? r.sec / ((double)k * (double)n * sizeof(float) / (g_bw * 1e9)) : NAN;
    emit(mode, kt, op, m, k, n, &r, pr, tvb);
}

/* Scalar GEMM runs at a few GFLOP/s: only the small M, so that `make bench` stays within minutes. */
static int runs_m(const rtj_kernels *kt, size_t m) { return kt->isa != RTJ_ISA_SCALAR || m == 1 || m == 8; }

static void bench_shape(const shape *s, const size_t *ms, size_t nms, const size_t *ms_cold, size_t nms_cold,
                        const rtj_kernels *const *tables, int nt)
{
    const size_t k = s->k, n = s->n;
    size_t max_m = 1;
    for (size_t i = 0; i < nms; i++)
        max_m = ms[i] > max_m ? ms[i] : max_m;
    /* Weights as Hugging Face stores a Linear ([out, in] = [N, K]); values in [-1, 1). */
    float *w = bench_alloc_filled(n * k, 0x5eed + (uint32_t)(k * 7 + n), -1.0f, 1.0f);
    float *a = bench_alloc_filled(max_m * k, 0xa11ce + (uint32_t)k, -1.0f, 1.0f);
    float *c = bench_xalloc(max_m * n * sizeof(float));
    rtj_f32_packed_w packed[RTJ_ISA_COUNT];
    for (int t = 0; t < nt; t++) {
        if (rtj_f32_pack_w(tables[t], n, k, w, k, 0, NULL, &packed[t]) != 0) {
            fprintf(stderr, "bench_f32_gemm: out of memory packing %zux%zu\n", k, n);
            exit(1);
        }
    }

    for (size_t mi = 0; mi < nms; mi++) {
        const size_t m = ms[mi];
        peer_res pr;
        measure_peers(m, n, k, a, w, 1, c, &pr);
        for (int t = 0; t < nt; t++)
            if (runs_m(tables[t], m))
                measure_rtj("warm", tables[t], RTJ_EPI_NONE, m, n, k, a, w, &packed[t], 1, c, &pr);
        if (s->ffn_up && m == M_GELU)
            for (int t = 0; t < nt; t++)
                if (runs_m(tables[t], m))
                    measure_rtj("warm", tables[t], RTJ_EPI_GELU, m, n, k, a, w, &packed[t], 1, c, NULL);
    }

    const size_t wbytes = n * k * sizeof(float);
    size_t copies = (COLD_BYTES + wbytes - 1) / wbytes;
    copies = copies < 2 ? 2 : copies;
    for (size_t mi = 0; mi < nms_cold; mi++) {
        const size_t m = ms_cold[mi];
        peer_res pr;
        measure_peers(m, n, k, a, w, copies, c, &pr);
        for (int t = 0; t < nt; t++) {
            if (!runs_m(tables[t], m))
                continue;
            /* Copies of the packed data share the (zero) bias: only the weights must come from DRAM. */
            const size_t bytes = rtj_f32_packed_size(tables[t], n, k);
            rtj_f32_packed_w *cw = malloc(copies * sizeof *cw);
            if (!cw) {
                fprintf(stderr, "bench_f32_gemm: out of memory\n");
                exit(1);
            }
            for (size_t i = 0; i < copies; i++) {
                cw[i] = packed[t];
                cw[i].data = bench_xalloc(bytes);
                memcpy(cw[i].data, packed[t].data, bytes);
            }
            measure_rtj("cold", tables[t], RTJ_EPI_NONE, m, n, k, a, w, cw, copies, c, &pr);
            for (size_t i = 0; i < copies; i++)
                rtj_free(cw[i].data);
            free(cw);
        }
    }

    for (int t = 0; t < nt; t++)
        rtj_f32_packed_w_free(&packed[t]);
    rtj_free(c);
    rtj_free(a);
    rtj_free(w);
}

int main(int argc, char **argv)
{
    const int rc = bench_init(argc, argv,
                              "FP32 GEMM C[M,N] = A[M,K] * W[N,K]^T (rtj_f32_gemm, packed weights) on BERT-large "
                              "and TinyBERT shapes,\nwarm and cold weights, every listed kernel, next to OpenBLAS and "
                              "oneDNN when installed.");
    if (rc >= 0)
        return rc;
    rtj_kernels store[16];
    const rtj_kernels *tables[16];
    const int nt = bench_kernel_tables(RTJ_FAMILY_F32_GEMM, store, tables, 16);
    if (nt < 0)
        return 2;
    if (nt == 0)
        return 0;

    bench_report_machine("f32_gemm: C[M,N] = A[M,K] * W[N,K]^T", 1, &g_peak, &g_bw);
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
