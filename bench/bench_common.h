/* What every microbenchmark shares, one job a file: options and the walk over the ISA tables (options.c),
 * the timer and the inputs (timing.c), this machine's FP32 and INT8 peaks and memory bandwidth, measured,
 * not assumed (machine.c, with its loops in bench/<isa>/peak.c), the output, a table or one JSON object
 * per line (output.c), and the peers, OpenBLAS and oneDNN, loaded with dlopen so they never become build
 * dependencies (peers.c). Benchmark programs may exit on allocation failure: unlike the library, they own
 * the process. */
#ifndef RTJ_BENCH_COMMON_H
#define RTJ_BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "../kernels/rtj_kernels.h"

/* ---- Options --------------------------------------------------------------------------------------- */
typedef struct bench_opts {
    int json;          /* --json: one JSON object per line and measurement instead of the table */
    int quick;         /* --quick: fewer shapes and shorter repeats (a smoke test, numbers less stable) */
    int peers;         /* 0 with --no-peers */
    const char *isa;   /* --isa NAME, or NULL */
    const char *model; /* --model NAME (a bench_shape's name), or NULL: every shape */
    double rep_sec;    /* seconds of calls in one timed repeat */
    int reps;          /* timed repeats; the median is reported */
} bench_opts;

extern bench_opts bench_opt;

/* Parses the common options. Returns -1 when the program should go on, else its exit code (0 after
 * --help, 2 on a bad option). what: one line saying what the program measures, for --help. */
int bench_init(int argc, char **argv, const char *what);

/* ---- The ISA tables to walk ------------------------------------------------------------------------ */
/* Fills out[] with the tables to measure: the one of --isa NAME, else the process's table when RTJ_ISA is
 * set (through rtj_kernels_get), else every ISA this CPU runs, scalar first. Prints a "skipped: CPU lacks
 * X" line for each ISA left out because this CPU cannot run it. Returns how many, or -1 (message printed)
 * when --isa or RTJ_ISA names no ISA. */
int bench_tables(const rtj_kernels **out, int max);
/* The same selection of ISAs, walked by the family's kernel list (kernels/kernel_list.h) instead: one table
 * per listed kernel this CPU runs (its ISA's table with that kernel in it, stored in store[]), so every
 * listed kernel is measured, not only the one dispatch prefers; a "skipped: CPU lacks SET" line for each
 * listed kernel left out. Returns how many, or -1 as bench_tables. */
int bench_kernel_tables(enum rtj_kernel_family family, rtj_kernels *store, const rtj_kernels **out, int max);

/* ---- Timing ------------------------------------------------------------------------------------------ */
typedef void (*bench_fn)(void *ctx);
typedef struct bench_result {
    double sec;        /* median seconds per call over the timed repeats */
    double min_sec, max_sec;
    double other_load; /* share of the machine other processes used while timing (0..1), -1 unknown */
    long calls;        /* calls per repeat */
} bench_result;

double bench_now(void);
/* Warms up, picks a call count that fills bench_opt.rep_sec, then times bench_opt.reps repeats. */
void bench_time(bench_fn fn, void *ctx, bench_result *r);

/* ---- Data ------------------------------------------------------------------------------------------- */
/* 64-byte aligned (rtj_alloc); exits with a message when out of memory. Free with rtj_free. */
void *bench_xalloc(size_t bytes);
/* n floats uniform in [lo, hi) from a fixed seed, so every run and every implementation sees the same
 * inputs. */
void bench_fill(float *x, size_t n, uint32_t seed, float lo, float hi);
float *bench_alloc_filled(size_t n, uint32_t seed, float lo, float hi);
/* Folds results into a global the compiler must keep: nothing measured can be dropped as dead. */
void bench_consume(const float *x, size_t n);

/* ---- This machine ----------------------------------------------------------------------------------- */
/* Single-core FP32 peak in GFLOP/s: FMA loops with 12 independent accumulators on every vector width this
 * CPU runs (the best is kept), median of the repeats, retried while other processes load the machine.
 * Measured on the first call. kernel, isa: which loop won ("f32_fma_ymm", "avx2"); other_load: the
 * others' share of the machine while it ran. Any output pointer may be NULL. */
double bench_peak_f32_gflops(const char **kernel, const char **isa, double *other_load);
/* Single-core DRAM read bandwidth in GB/s: a summing read over 256 MB, median of the repeats, retried
 * the same way. */
double bench_read_bw_gbps(double *other_load);
/* Measures the peak (and, with_bw, the bandwidth) and reports them: the title line of the table, or JSON
 * objects with bench "machine". bw may be NULL when !with_bw. */
void bench_report_machine(const char *title, int with_bw, double *peak, double *bw);
/* Single-core INT8 peak in GOP/s (one u8/s8 x s8 multiply-add = 2 ops), measured like the FP32 peak: loops
 * of 12 independent accumulator chains of the instructions an INT8 GEMM is built from, on every one this
 * CPU runs (the best is kept), each entered only after a runtime check:
 *   x86   vpmaddubsw + vpmaddwd + vpaddd on ymm (AVX2: u8 x s8 pair sums in int16), and vpdpbusd on ymm
 *         and zmm when rtj_cpu_has_avx512_vnni;
 *   arm   sdot when the CPU has dotprod, else smull + sadalp (s8 x s8 -> s16, pairwise into s32);
 *   other int32 multiply-adds in C.
 * kernel, isa: which loop won ("i8_maddubs_ymm", "avx2"); what: a phrase naming that peak for the reader;
 * not_run: the non-fallback loops this CPU cannot run ("i8_vnni_ymm, i8_vnni_zmm"; "" if none); other_load
 * as for the FP32 peak. Measured on the first call. Any output pointer may be NULL. */
double bench_peak_i8_gops(const char **kernel, const char **isa, const char **what, const char **not_run,
                          double *other_load);
/* Measures the INT8 peak and reports it: one line in the table (saying which peak it is), or a JSON
 * object with bench "machine". */
void bench_report_peak_i8(double *peak);

/* ---- Output -------------------------------------------------------------------------------------------- */
/* A notice for the reader ("skipped: ...", "peer X: not installed"): stdout in table mode; stderr with a
 * leading "# " in JSON mode, so stdout stays one JSON object per line. */
void bench_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One JSON object, built field by field and printed on one line. Non-finite numbers print as null. */
typedef struct bench_rec {
    char buf[2048];
    size_t len;
} bench_rec;
void bench_rec_begin(bench_rec *r, const char *bench);
void bench_rec_str(bench_rec *r, const char *key, const char *val);
void bench_rec_int(bench_rec *r, const char *key, long long val);
void bench_rec_num(bench_rec *r, const char *key, double val);
void bench_rec_end(bench_rec *r);

/* ---- Peers ------------------------------------------------------------------------------------------- */
/* Loads OpenBLAS and oneDNN single-threaded (OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set to 1 before
 * dlopen) unless --no-peers; notes what was found, or "peer X: not installed", once. */
void bench_peers_load(void);
int bench_have_openblas(void);
int bench_have_onednn(void);

/* C[m, n] = A[m, k] * W^T with W [n, k] row-major (the Hugging Face layout rtj packs): cblas_sgemm
 * row-major, NoTrans x Trans. */
void bench_openblas_sgemm_nt(size_t m, size_t n, size_t k, const float *a, const float *w, float *c);

/* A oneDNN f32 matmul C[m, n] = A[m, k] * W^T on the caller's A and C, with W [n, k] reordered into the
 * layout the primitive prefers (format_tag_any), outside any timing, into `copies` separate buffers
 * that each run uses in turn (copies > 1: weights come from DRAM). NULL when oneDNN refuses. */
typedef struct bench_onednn_mm bench_onednn_mm;
bench_onednn_mm *bench_onednn_mm_create(size_t m, size_t n, size_t k, const float *a, const float *w,
                                        float *c, size_t copies);
void bench_onednn_mm_run(bench_onednn_mm *mm);
const char *bench_onednn_mm_impl(const bench_onednn_mm *mm);
/* Bytes of one reordered weight copy. */
size_t bench_onednn_mm_weight_bytes(const bench_onednn_mm *mm);
void bench_onednn_mm_destroy(bench_onednn_mm *mm);

/* The same for oneDNN's integer matmul C[m, n] (s32) = A[m, k] (u8, row-major) * W^T (s8, W [n, k]
 * row-major): the u8 x s8 -> s32 product an INT8 GEMM's kernel computes, with no zero points or scales.
 * Run, query and destroy it with the functions above. NULL when oneDNN refuses. */
bench_onednn_mm *bench_onednn_mm_create_u8s8(size_t m, size_t n, size_t k, const uint8_t *a, const int8_t *w,
                                             int32_t *c, size_t copies);

#endif
