/* This machine, measured rather than assumed: its single-core FP32 and INT8 peaks (timing the loops of
 * bench/peak_loops.h, one ISA per file under bench/<isa>/, each entered only after a runtime check) and
 * its DRAM read bandwidth, retried while other processes load the machine. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h> /* SSE2, the x86-64 baseline: the read loop only */
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

#include "bench_common.h"
#include "peak_loops.h"
#include "timing.h"

/* ---- This machine: FP32 and INT8 peaks -------------------------------------------------------------------
 * The loops (bench/peak_loops.h) of every ISA this CPU runs, each entered only after a runtime check; the
 * machine's peak is the best. */
#if !defined(__aarch64__)
/* No FMA unit this code can use (x86-64 without AVX2, unknown architectures): plain C multiply-adds,
 * 2 FLOP each; the compiler may vectorise them with the baseline vector unit. */
static float fma_loop_c(long iters)
{
    const float m = 0.999f, c = 0.001f;
    float s = 0;
#define DECL(i) float a##i = (float)(i);
#define STEP(i) a##i = a##i * m + c;
#define SUM(i) s += a##i;
    PEAK_CHAINS(iters)
#undef DECL
#undef STEP
#undef SUM
    return s;
}
#endif

/* Median GFLOP/s of one loop: calibrated to about 50 ms a repeat (20 ms with --quick). */
static double time_loop(bench_peak_loop_fn fn, double flop_per_iter)
{
    long iters = 1L << 16;
    for (;;) {
        const double t0 = bench_now();
        bench_sink += fn(iters);
        const double t = bench_now() - t0;
        if (t > 0.005)
            break;
        iters *= 4;
    }
    const double rep = bench_opt.quick ? 0.02 : 0.05;
    {
        const double t0 = bench_now();
        bench_sink += fn(iters);
        iters = (long)((double)iters * rep / (bench_now() - t0)) + 1;
    }
    double v[BENCH_MAX_REPS];
    const int reps = bench_opt.reps < BENCH_MAX_REPS ? bench_opt.reps : BENCH_MAX_REPS;
    for (int r = 0; r < reps; r++) {
        const double t0 = bench_now();
        bench_sink += fn(iters);
        v[r] = flop_per_iter * (double)iters / (bench_now() - t0) * 1e-9;
    }
    qsort(v, (size_t)reps, sizeof v[0], bench_cmp_double);
    return v[reps / 2];
}

/* A machine constant measured on a shared machine: other processes can only lower it (the two vCPUs may
 * share a physical core). So repeat the measurement, up to 6 times, while others use more than a tenth of
 * the machine, and keep the best median. */
typedef struct machine_meas {
    double value, other_load;
} machine_meas;

static machine_meas best_quiet(double (*measure)(void *), void *ctx)
{
    machine_meas best = {-1, -1};
    for (int attempt = 0; attempt < 6; attempt++) {
        bench_load_snap s0, s1;
        bench_load_read(&s0);
        const double v = measure(ctx);
        bench_load_read(&s1);
        const double o = bench_load_other(&s0, &s1);
        if (v > best.value) {
            best.value = v;
            best.other_load = o;
        }
        if (o >= 0 && o <= 0.1)
            break;
        usleep(200000);
    }
    return best;
}

/* One loop of bench/peak_loops.h (or of the plain C ones above), and when this CPU can run it. */
typedef struct peak_loop {
    bench_peak_loop_fn fn;
    double ops_per_iter;
    const char *kernel, *isa, *what;
    int (*usable)(const rtj_cpu_info *cpu);
    int fallback; /* measured only where no loop before it could run */
} peak_loop;

#if defined(__x86_64__)
static int usable_avx2(const rtj_cpu_info *cpu) { return rtj_cpu_can_run(cpu, RTJ_ISA_AVX2); }
static int usable_avx512(const rtj_cpu_info *cpu) { return rtj_cpu_can_run(cpu, RTJ_ISA_AVX512); }
static int usable_vnni(const rtj_cpu_info *cpu) { return rtj_cpu_has_avx512_vnni(cpu); }
#elif defined(__aarch64__)
static int usable_neon(const rtj_cpu_info *cpu) { return rtj_cpu_can_run(cpu, RTJ_ISA_NEON); }
static int usable_dotprod(const rtj_cpu_info *cpu) { return rtj_cpu_can_run(cpu, RTJ_ISA_NEON) && cpu->dotprod; }
#endif

#if !defined(__aarch64__)
static int usable_always(const rtj_cpu_info *cpu)
{
    (void)cpu;
    return 1;
}

/* No integer SIMD this code can use: int32 multiply-adds in C, 2 ops each (unsigned: wrapping is
 * defined). Not an affine recurrence, so the compiler cannot fold the loop into a formula. */
static float i8_loop_c(long iters)
{
    uint32_t s = 0;
#define DECL(i) uint32_t x##i = (uint32_t)(i) + 1u;
#define STEP(i) x##i = x##i * 3u + 1u;
#define SUM(i) s += x##i;
    PEAK_CHAINS(iters)
#undef DECL
#undef STEP
#undef SUM
    return (float)s;
}
#endif

static double measure_loop(void *p)
{
    const peak_loop *l = p;
    return time_loop(l->fn, l->ops_per_iter);
}

/* The best of a list of loops, measured once. */
typedef struct peak_found {
    int done;
    machine_meas meas;
    const peak_loop *used;
    char lacks[160]; /* the loops, fallbacks aside, this CPU cannot run: "i8_vnni_ymm, i8_vnni_zmm" */
} peak_found;

/* Measures every loop this CPU runs (a fallback only where none before it could) and keeps the best;
 * then (every call) fills the outputs that are not NULL. */
static double find_peak(const peak_loop *loops, size_t n, peak_found *f, const char **kernel, const char **isa,
                        const char **what, double *other_load)
{
    if (!f->done) {
        f->done = 1;
        f->meas = (machine_meas){-1, -1};
        const rtj_cpu_info *cpu = rtj_cpu_get();
        size_t len = 0;
        for (size_t i = 0; i < n; i++) {
            if (!loops[i].usable(cpu)) {
                if (!loops[i].fallback && len < sizeof f->lacks)
                    len += (size_t)snprintf(f->lacks + len, sizeof f->lacks - len, "%s%s", len ? ", " : "",
                                            loops[i].kernel);
                continue;
            }
            if (loops[i].fallback && f->used)
                continue;
            const machine_meas m = best_quiet(measure_loop, (void *)&loops[i]);
            if (m.value > f->meas.value) {
                f->meas = m;
                f->used = &loops[i];
            }
        }
    }
    if (kernel)
        *kernel = f->used ? f->used->kernel : "none";
    if (isa)
        *isa = f->used ? f->used->isa : "none";
    if (what)
        *what = f->used ? f->used->what : "none";
    if (other_load)
        *other_load = f->meas.other_load;
    return f->meas.value;
}

double bench_peak_f32_gflops(const char **kernel, const char **isa, double *other_load)
{
    static peak_found found;
    /* Every loop this CPU runs; the machine's peak is the best. On Zen 4 ymm and zmm both reach
     * 32 FLOP/cycle; on cores with two 512-bit FMA units zmm doubles it. */
    static const peak_loop loops[] = {
#if defined(__x86_64__)
        {bench_peak_f32_fma_ymm__avx2, 12.0 * 8 * 2, "f32_fma_ymm", "avx2", "AVX2 FMA on ymm", usable_avx2, 0},
        {bench_peak_f32_fma_zmm__avx512, 12.0 * 16 * 2, "f32_fma_zmm", "avx512", "AVX-512 FMA on zmm",
         usable_avx512, 0},
        {fma_loop_c, 12.0 * 2, "f32_mul_add_c", "scalar", "multiply-adds in C", usable_always, 1},
#elif defined(__aarch64__)
        {bench_peak_f32_fmla__neon, 12.0 * 4 * 2, "f32_fmla_neon", "neon", "NEON fmla", usable_neon, 0},
#else
        {fma_loop_c, 12.0 * 2, "f32_mul_add_c", "scalar", "multiply-adds in C", usable_always, 1},
#endif
    };
    return find_peak(loops, sizeof loops / sizeof loops[0], &found, kernel, isa, NULL, other_load);
}

double bench_peak_i8_gops(const char **kernel, const char **isa, const char **what, const char **not_run,
                          double *other_load)
{
    static peak_found found;
    static const peak_loop loops[] = {
#if defined(__x86_64__)
        {bench_peak_i8_maddubs_ymm__avx2, 12.0 * 32 * 2, "i8_maddubs_ymm", "avx2",
         "AVX2 vpmaddubsw+vpmaddwd+vpaddd on ymm", usable_avx2, 0},
        {bench_peak_i8_vnni_ymm__avx512, 12.0 * 32 * 2, "i8_vnni_ymm", "avx512", "AVX-512 VNNI vpdpbusd on ymm",
         usable_vnni, 0},
        {bench_peak_i8_vnni_zmm__avx512, 12.0 * 64 * 2, "i8_vnni_zmm", "avx512", "AVX-512 VNNI vpdpbusd on zmm",
         usable_vnni, 0},
        {i8_loop_c, 12.0 * 2, "i32_mul_add_c", "scalar", "int32 multiply-adds in C", usable_always, 1},
#elif defined(__aarch64__)
        {bench_peak_i8_sdot__neondot, 12.0 * 16 * 2, "i8_sdot_neon", "neon", "NEON dotprod sdot", usable_dotprod, 0},
        {bench_peak_i8_smull_sadalp__neon, 12.0 * 8 * 2, "i8_smull_sadalp_neon", "neon",
         "NEON smull+sadalp (no dotprod)", usable_neon, 1},
#else
        {i8_loop_c, 12.0 * 2, "i32_mul_add_c", "scalar", "int32 multiply-adds in C", usable_always, 1},
#endif
    };
    const double v = find_peak(loops, sizeof loops / sizeof loops[0], &found, kernel, isa, what, other_load);
    if (not_run) /* said in the report, so a reader knows the peak is not the VNNI or dotprod one */
        *not_run = found.lacks;
    return v;
}

void bench_report_peak_i8(double *peak)
{
    const char *kernel = "", *isa = "", *what = "", *not_run = "";
    double other = -1;
    *peak = bench_peak_i8_gops(&kernel, &isa, &what, &not_run, &other);
    if (bench_opt.json) {
        bench_rec rec;
        bench_rec_begin(&rec, "machine");
        bench_rec_str(&rec, "kernel", kernel);
        bench_rec_str(&rec, "isa", isa);
        bench_rec_str(&rec, "what", what);
        bench_rec_str(&rec, "cpu_lacks", not_run);
        bench_rec_int(&rec, "threads", 1);
        bench_rec_num(&rec, "gops", *peak);
        bench_rec_num(&rec, "other_load", other);
        bench_rec_end(&rec);
        return;
    }
    printf("== INT8 peak %.1f GOP/s: %s (%s, 12 chains; other load %.2f)", *peak, what, kernel, other);
    if (*not_run)
        printf("; not run, CPU lacks: %s", not_run);
    printf("\n");
}

/* ---- This machine: read bandwidth ------------------------------------------------------------------------ */
/* Sums n floats (n a multiple of 32) with 8 independent vector accumulators: enough loads in flight
 * that the loop waits on DRAM, never on the adder. The baseline vector unit of each architecture
 * (SSE2, NEON) already reads far faster than one core's share of DRAM. */
static float read_sum(const float *x, size_t n)
{
#if defined(__x86_64__)
#define DECL(i) __m128 s##i = _mm_setzero_ps();
#define STEP(i) s##i = _mm_add_ps(s##i, _mm_load_ps(x + j + 4 * (i)));
#define LANES 4
#define ADD(a, b) _mm_add_ps(a, b)
#elif defined(__aarch64__)
#define DECL(i) float32x4_t s##i = vdupq_n_f32(0.0f);
#define STEP(i) s##i = vaddq_f32(s##i, vld1q_f32(x + j + 4 * (i)));
#define LANES 4
#define ADD(a, b) vaddq_f32(a, b)
#else
#define DECL(i) float s##i = 0;
#define STEP(i) s##i += x[j + (i)];
#define LANES 1
#define ADD(a, b) ((a) + (b))
#endif
#define REP8(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7)
    REP8(DECL)
    for (size_t j = 0; j < n; j += 8 * LANES) {
        REP8(STEP)
    }
    s0 = ADD(ADD(ADD(s0, s1), ADD(s2, s3)), ADD(ADD(s4, s5), ADD(s6, s7)));
#if defined(__x86_64__)
    float o[4];
    _mm_storeu_ps(o, s0);
    return o[0] + o[1] + o[2] + o[3];
#elif defined(__aarch64__)
    return vaddvq_f32(s0);
#else
    return s0;
#endif
#undef DECL
#undef STEP
#undef LANES
#undef ADD
#undef REP8
}

static double measure_read_bw(void *p)
{
    /* 256 MB: 8 times a 32 MB L3, so almost every byte comes from DRAM. */
    const float *x = p;
    const size_t n = (size_t)64 << 20;
    bench_sink += read_sum(x, n); /* warm-up: TLB, clock */
    double v[BENCH_MAX_REPS];
    const int reps = bench_opt.reps < BENCH_MAX_REPS ? bench_opt.reps : BENCH_MAX_REPS;
    for (int r = 0; r < reps; r++) {
        const double t0 = bench_now();
        bench_sink += read_sum(x, n);
        v[r] = (double)n * sizeof(float) / (bench_now() - t0) * 1e-9;
    }
    qsort(v, (size_t)reps, sizeof v[0], bench_cmp_double);
    return v[reps / 2];
}

double bench_read_bw_gbps(double *other_load)
{
    static machine_meas bw = {-1, -1};
    if (bw.value < 0) {
        float *x = bench_alloc_filled((size_t)64 << 20, 7, -1.0f, 1.0f);
        bw = best_quiet(measure_read_bw, x);
        rtj_free(x);
    }
    if (other_load)
        *other_load = bw.other_load;
    return bw.value;
}

void bench_report_machine(const char *title, int with_bw, double *peak, double *bw)
{
    const char *kernel = "", *isa = "";
    double peak_other = -1, bw_other = -1;
    *peak = bench_peak_f32_gflops(&kernel, &isa, &peak_other);
    if (with_bw)
        *bw = bench_read_bw_gbps(&bw_other);
    if (bench_opt.json) {
        bench_rec rec;
        bench_rec_begin(&rec, "machine");
        bench_rec_str(&rec, "kernel", kernel);
        bench_rec_str(&rec, "isa", isa);
        bench_rec_int(&rec, "threads", 1);
        bench_rec_num(&rec, "gflops", *peak);
        bench_rec_num(&rec, "other_load", peak_other);
        bench_rec_end(&rec);
        if (with_bw) {
            bench_rec_begin(&rec, "machine");
            bench_rec_str(&rec, "kernel", "read_sum_256MB");
            bench_rec_int(&rec, "threads", 1);
            bench_rec_num(&rec, "gbps", *bw);
            bench_rec_num(&rec, "other_load", bw_other);
            bench_rec_end(&rec);
        }
        return;
    }
    printf("== %s, 1 thread. Measured here: FP32 peak %.1f GFLOP/s (%s, other load %.2f)", title, *peak,
           kernel, peak_other);
    if (with_bw)
        printf(", DRAM read %.1f GB/s (other load %.2f)", *bw, bw_other);
    printf("\n");
}

