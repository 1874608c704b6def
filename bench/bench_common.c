/* The microbenchmarks' shared half: options, ISA walk, timer, machine peak and bandwidth, output, peers.
 * Portable C: the only ISA-specific code is the FMA and read loops that measure this machine, built with
 * target attributes and entered only after a runtime check, so the binary still runs on a CPU without
 * AVX2 or AVX-512. */
#include "bench_common.h"

#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__aarch64__)
#include <arm_neon.h>
#endif

bench_opts bench_opt;

/* ---- Options ---------------------------------------------------------------------------------------- */
static void usage(FILE *f, const char *prog, const char *what)
{
    fprintf(f,
            "usage: %s [--isa NAME] [--json] [--quick] [--no-peers] [--help]\n"
            "%s\n"
            "  --isa NAME   measure only this ISA's kernels: scalar, avx2, avx512, neon (or auto: the one\n"
            "               rtj would pick). Default: every ISA this CPU runs, or RTJ_ISA's when it is set.\n"
            "  --json       one JSON object per line and measurement (notices go to stderr)\n"
            "  --quick      fewer shapes and shorter repeats: a smoke test, not a measurement\n"
            "  --no-peers   do not load OpenBLAS / oneDNN\n"
            "Single-threaded. Each number is the median of several timed repeats.\n",
            prog, what);
}

int bench_init(int argc, char **argv, const char *what)
{
    bench_opt = (bench_opts){.json = 0, .quick = 0, .peers = 1, .isa = NULL, .rep_sec = 0.03, .reps = 5};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0)
            bench_opt.json = 1;
        else if (strcmp(a, "--quick") == 0)
            bench_opt.quick = 1;
        else if (strcmp(a, "--no-peers") == 0)
            bench_opt.peers = 0;
        else if (strcmp(a, "--isa") == 0 && i + 1 < argc)
            bench_opt.isa = argv[++i];
        else if (strncmp(a, "--isa=", 6) == 0)
            bench_opt.isa = a + 6;
        else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout, argv[0], what);
            return 0;
        } else {
            fprintf(stderr, "%s: unknown option '%s'\n", argv[0], a);
            usage(stderr, argv[0], what);
            return 2;
        }
    }
    if (bench_opt.quick) {
        /* Enough to see that every path runs and the numbers are plausible. */
        bench_opt.rep_sec = 0.005;
        bench_opt.reps = 3;
    }
    return -1;
}

/* ---- The ISA tables ----------------------------------------------------------------------------------- */
static void note_skipped(enum rtj_isa isa)
{
    if (rtj_cpu_can_run(rtj_cpu_get(), isa))
        bench_note("skipped: %s kernels are not built into this binary", rtj_isa_name(isa));
    else
        bench_note("skipped: CPU lacks %s", rtj_isa_name(isa));
}

int bench_tables(const rtj_kernels **out, int max)
{
    const char *env = getenv("RTJ_ISA");
    if (bench_opt.isa && strcmp(bench_opt.isa, "auto") != 0) {
        enum rtj_isa isa = rtj_isa_from_name(bench_opt.isa);
        if (isa == RTJ_ISA_AUTO) {
            fprintf(stderr, "--isa %s: not one of scalar, avx2, avx512, neon, auto\n", bench_opt.isa);
            return -1;
        }
        const rtj_kernels *t = rtj_kernels_for_isa(isa);
        if (!t) {
            note_skipped(isa);
            return 0;
        }
        out[0] = t;
        return 1;
    }
    /* --isa auto, or RTJ_ISA set: the table the library itself would run, RTJ_ISA applied. */
    if (bench_opt.isa || (env && *env)) {
        const rtj_kernels *t = rtj_kernels_get();
        if (!t) {
            /* RTJ_ISA names a real ISA this CPU lacks: skipped, as with --isa, so a benchmark run over
             * several machines does not fail. A misspelt value is an error. */
            const enum rtj_isa isa = env ? rtj_isa_from_name(env) : RTJ_ISA_AUTO;
            if (isa != RTJ_ISA_AUTO && !rtj_kernels_for_isa(isa)) {
                note_skipped(isa);
                return 0;
            }
            fprintf(stderr, "%s\n", rtj_kernels_error());
            return -1;
        }
        out[0] = t;
        return 1;
    }
    int n = 0;
    for (int isa = RTJ_ISA_SCALAR; isa < RTJ_ISA_COUNT && n < max; isa++) {
        const rtj_kernels *t = rtj_kernels_for_isa((enum rtj_isa)isa);
        if (t)
            out[n++] = t;
        else
            note_skipped((enum rtj_isa)isa);
    }
    return n;
}

/* ---- Timing ------------------------------------------------------------------------------------------- */
double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The machine is shared: CPU time of the whole system (/proc/stat) minus our own (getrusage) over the
 * wall time says how much of it others took while we measured. */
typedef struct load_snap {
    double busy, self, wall;
    int ok;
} load_snap;

static void load_read(load_snap *s)
{
    unsigned long long v[8] = {0};
    s->ok = 0;
    FILE *f = fopen("/proc/stat", "r");
    if (f) {
        s->ok = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
                       &v[4], &v[5], &v[6], &v[7]) == 8;
        fclose(f);
    }
    const double hz = (double)sysconf(_SC_CLK_TCK);
    /* busy = user + nice + system + irq + softirq + steal; idle and iowait are not busy */
    s->busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) / hz;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    s->self = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 +
              (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec * 1e-6;
    s->wall = bench_now();
}

static double load_other(const load_snap *a, const load_snap *b)
{
    const double ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN), w = b->wall - a->wall;
    if (!a->ok || !b->ok || w <= 0 || ncpu <= 0)
        return -1;
    const double o = ((b->busy - a->busy) - (b->self - a->self)) / (w * ncpu);
    return o < 0 ? 0 : o > 1 ? 1 : o;
}

#define MAX_REPS 32

void bench_time(bench_fn fn, void *ctx, bench_result *r)
{
    /* Warm-up (first touch, lazy initialisation in the peers, caches), then double the call count until
     * a batch lasts a quarter of a repeat: that also warms up, and gives the time per call. */
    fn(ctx);
    long n = 1;
    double t;
    for (;;) {
        const double t0 = bench_now();
        for (long i = 0; i < n; i++)
            fn(ctx);
        t = bench_now() - t0;
        if (t >= bench_opt.rep_sec / 4 || n >= (1L << 30))
            break;
        n *= 2;
    }
    long calls = (long)ceil((double)n * bench_opt.rep_sec / (t > 0 ? t : 1e-9));
    if (calls < 1)
        calls = 1;
    const int reps = bench_opt.reps < MAX_REPS ? bench_opt.reps : MAX_REPS;
    double v[MAX_REPS];
    load_snap s0, s1;
    load_read(&s0);
    for (int rep = 0; rep < reps; rep++) {
        const double t0 = bench_now();
        for (long i = 0; i < calls; i++)
            fn(ctx);
        v[rep] = (bench_now() - t0) / (double)calls;
    }
    load_read(&s1);
    qsort(v, (size_t)reps, sizeof v[0], cmp_double);
    r->sec = v[reps / 2];
    r->min_sec = v[0];
    r->max_sec = v[reps - 1];
    r->other_load = load_other(&s0, &s1);
    r->calls = calls;
}

/* ---- Data ----------------------------------------------------------------------------------------------- */
void *bench_xalloc(size_t bytes)
{
    void *p = rtj_alloc(bytes ? bytes : 1);
    if (!p) {
        fprintf(stderr, "bench: out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    return p;
}

void bench_fill(float *x, size_t n, uint32_t seed, float lo, float hi)
{
    /* xorshift32: fast, deterministic, and the same on every platform */
    uint32_t s = seed ? seed : 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        x[i] = lo + (hi - lo) * (float)(s >> 8) * (1.0f / 16777216.0f);
    }
}

float *bench_alloc_filled(size_t n, uint32_t seed, float lo, float hi)
{
    float *x = bench_xalloc(n * sizeof(float));
    bench_fill(x, n, seed, lo, hi);
    return x;
}

static volatile double bench_sink;

void bench_consume(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    bench_sink += s;
}

/* ---- This machine: FP32 peak ----------------------------------------------------------------------------
 * Each loop keeps 12 independent FMA chains: latency 4 x 2 FMA pipes (Zen 4) needs at least 8 in flight,
 * 12 covers cores with 3-cycle or 5-cycle FMAs too. a = a*m + c with m < 1 converges, so no overflow or
 * denormals. Distinct starting values keep the compiler from merging chains; the sum is returned and
 * consumed so the loop cannot be dropped. */
#define REP12(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

typedef float (*fma_loop_fn)(long iters);

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static float fma_loop_ymm(long iters)
{
    const __m256 m = _mm256_set1_ps(0.999f), c = _mm256_set1_ps(0.001f);
#define DECL(i) __m256 a##i = _mm256_set1_ps((float)(i));
    REP12(DECL)
#undef DECL
    for (long it = 0; it < iters; it++) {
#define STEP(i) a##i = _mm256_fmadd_ps(a##i, m, c);
        REP12(STEP)
#undef STEP
    }
    __m256 s = _mm256_setzero_ps();
#define SUM(i) s = _mm256_add_ps(s, a##i);
    REP12(SUM)
#undef SUM
    float o[8];
    _mm256_storeu_ps(o, s);
    return o[0] + o[1] + o[2] + o[3] + o[4] + o[5] + o[6] + o[7];
}

__attribute__((target("avx512f"))) static float fma_loop_zmm(long iters)
{
    const __m512 m = _mm512_set1_ps(0.999f), c = _mm512_set1_ps(0.001f);
#define DECL(i) __m512 a##i = _mm512_set1_ps((float)(i));
    REP12(DECL)
#undef DECL
    for (long it = 0; it < iters; it++) {
#define STEP(i) a##i = _mm512_fmadd_ps(a##i, m, c);
        REP12(STEP)
#undef STEP
    }
    __m512 s = _mm512_setzero_ps();
#define SUM(i) s = _mm512_add_ps(s, a##i);
    REP12(SUM)
#undef SUM
    float o[16];
    _mm512_storeu_ps(o, s);
    float r = 0;
    for (int i = 0; i < 16; i++)
        r += o[i];
    return r;
}
#elif defined(__aarch64__)
/* NEON is part of the aarch64 baseline: no target attribute needed. */
static float fma_loop_neon(long iters)
{
    const float32x4_t m = vdupq_n_f32(0.999f), c = vdupq_n_f32(0.001f);
#define DECL(i) float32x4_t a##i = vdupq_n_f32((float)(i));
    REP12(DECL)
#undef DECL
    for (long it = 0; it < iters; it++) {
#define STEP(i) a##i = vfmaq_f32(c, a##i, m);
        REP12(STEP)
#undef STEP
    }
    float32x4_t s = vdupq_n_f32(0.0f);
#define SUM(i) s = vaddq_f32(s, a##i);
    REP12(SUM)
#undef SUM
    return vaddvq_f32(s);
}
#endif

#if !defined(__aarch64__)
/* No FMA unit this code can use (x86-64 without AVX2, unknown architectures): plain C multiply-adds,
 * 2 FLOP each; the compiler may vectorise them with the baseline vector unit. */
static float fma_loop_c(long iters)
{
    const float m = 0.999f, c = 0.001f;
#define DECL(i) float a##i = (float)(i);
    REP12(DECL)
#undef DECL
    for (long it = 0; it < iters; it++) {
#define STEP(i) a##i = a##i * m + c;
        REP12(STEP)
#undef STEP
    }
    float s = 0;
#define SUM(i) s += a##i;
    REP12(SUM)
#undef SUM
    return s;
}
#endif

/* Median GFLOP/s of one loop: calibrated to about 50 ms a repeat (20 ms with --quick). */
static double time_fma_loop(fma_loop_fn fn, double flop_per_iter)
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
    double v[MAX_REPS];
    const int reps = bench_opt.reps < MAX_REPS ? bench_opt.reps : MAX_REPS;
    for (int r = 0; r < reps; r++) {
        const double t0 = bench_now();
        bench_sink += fn(iters);
        v[r] = flop_per_iter * (double)iters / (bench_now() - t0) * 1e-9;
    }
    qsort(v, (size_t)reps, sizeof v[0], cmp_double);
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
        load_snap s0, s1;
        load_read(&s0);
        const double v = measure(ctx);
        load_read(&s1);
        const double o = load_other(&s0, &s1);
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

typedef struct fma_loop {
    fma_loop_fn fn;
    double flop_per_iter;
    const char *kernel, *isa;
} fma_loop;

static double measure_fma(void *p)
{
    const fma_loop *l = p;
    return time_fma_loop(l->fn, l->flop_per_iter);
}

double bench_peak_f32_gflops(const char **kernel, const char **isa, double *other_load)
{
    static machine_meas peak = {-1, -1};
    static const fma_loop *used;
    /* Every loop this CPU runs; the machine's peak is the best. On Zen 4 ymm and zmm both reach
     * 32 FLOP/cycle; on cores with two 512-bit FMA units zmm doubles it. */
    static const fma_loop loops[] = {
#if defined(__x86_64__)
        {fma_loop_ymm, 12.0 * 8 * 2, "f32_fma_ymm", "avx2"},
        {fma_loop_zmm, 12.0 * 16 * 2, "f32_fma_zmm", "avx512"},
        {fma_loop_c, 12.0 * 2, "f32_mul_add_c", "scalar"},
#elif defined(__aarch64__)
        {fma_loop_neon, 12.0 * 4 * 2, "f32_fmla_neon", "neon"},
#else
        {fma_loop_c, 12.0 * 2, "f32_mul_add_c", "scalar"},
#endif
    };
    if (peak.value < 0) {
        const rtj_cpu_info *cpu = rtj_cpu_get();
        for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++) {
            const enum rtj_isa isa = rtj_isa_from_name(loops[i].isa);
            /* the plain C loop only where no FMA loop could run */
            if (!rtj_cpu_can_run(cpu, isa) || (isa == RTJ_ISA_SCALAR && used))
                continue;
            const machine_meas m = best_quiet(measure_fma, (void *)&loops[i]);
            if (m.value > peak.value) {
                peak = m;
                used = &loops[i];
            }
        }
    }
    if (kernel)
        *kernel = used ? used->kernel : "none";
    if (isa)
        *isa = used ? used->isa : "none";
    if (other_load)
        *other_load = peak.other_load;
    return peak.value;
}

/* ---- This machine: INT8 peak ------------------------------------------------------------------------------
 * 12 independent accumulators, as in the FP32 loops, each step one accumulation of the instructions an
 * INT8 GEMM is built from. Compilers need two nudges here, given by empty asm statements that emit no
 * instruction (OPAQUE: "this register may have changed"):
 *  - vpmaddubsw and smull do not read the accumulator, so the product of two loop invariants would be
 *    hoisted out of the loop and only the adds timed: the weight vector is made opaque before each step;
 *  - GCC 12 schedules all products of an iteration first and spills the accumulators, and copies the
 *    vpdpbusd accumulators between registers every iteration: making each accumulator opaque after its
 *    step keeps the steps in order and in place (checked with objdump: no stack traffic, no copies).
 * The values wrap and saturate freely: these instructions take the same time whatever they compute. */
typedef struct i8_loop {
    fma_loop_fn fn;
    double ops_per_iter;
    const char *kernel, *isa, *what;
    int (*usable)(const rtj_cpu_info *cpu);
    int fallback; /* measured only where no loop before it could run */
} i8_loop;

/* (The loop constants are made opaque once too: a multiply by a known 1 is folded into a widening.) */

/* The lanes of a vector stored to memory, summed (wrapping): vectors are not passed by value between
 * functions built for different targets. */
static float i8_sum_lanes(const int32_t *o, int n)
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++)
        r += (uint32_t)o[i];
    return (float)r;
}

#if defined(__x86_64__)
#define OPAQUE_X(v) __asm__ volatile("" : "+x"(v)) /* xmm/ymm 0-15 */
#define OPAQUE_V(v) __asm__ volatile("" : "+v"(v)) /* any AVX-512 register */

static int usable_avx2(const rtj_cpu_info *cpu) { return rtj_cpu_can_run(cpu, RTJ_ISA_AVX2); }
static int usable_vnni(const rtj_cpu_info *cpu) { return rtj_cpu_has_avx512_vnni(cpu); }

/* One step = 32 u8 x s8 multiply-adds = 64 ops: vpmaddubsw forms 16 int16 pair sums, vpmaddwd by ones
 * adds pairs of those into 8 int32, vpaddd accumulates. Both multiplies use the multiply pipes. Registers:
 * 12 accumulators, a, w, ones and the product: all 16 ymm. */
__attribute__((target("avx2"))) static float i8_loop_maddubs_ymm(long iters)
{
    __m256i a = _mm256_set1_epi8(1), ones = _mm256_set1_epi16(1), w = _mm256_set1_epi8(3);
    OPAQUE_X(a);
    OPAQUE_X(ones);
#define DECL(i) __m256i x##i = _mm256_set1_epi32(i);
    REP12(DECL)
#undef DECL
    for (long it = 0; it < iters; it++) {
#define STEP(i)                                                                                          \
    OPAQUE_X(w);                                                                                         \
    x##i = _mm256_add_epi32(x##i, _mm256_madd_epi16(_mm256_maddubs_epi16(a, w), ones));                  \
    OPAQUE_X(x##i);
        REP12(STEP)
#undef STEP
    }
    __m256i s = _mm256_setzero_si256();
#define SUM(i) s = _mm256_add_epi32(s, x##i);
    REP12(SUM)
#undef SUM
    int32_t o[8];
    _mm256_storeu_si256((__m256i *)o, s);
    return i8_sum_lanes(o, 8);
}

/* vpdpbusd: 4 u8 x s8 products added into each int32 lane, 8 lanes (ymm, AVX512-VL) or 16 (zmm). It reads
 * its accumulator, so nothing can be hoisted. */
__attribute__((target("avx512f,avx512vl,avx512vnni"))) static float i8_loop_vnni_ymm(long iters)
{
    __m256i a = _mm256_set1_epi8(1), w = _mm256_set1_epi8(2);
    OPAQUE_V(a);
    OPAQUE_V(w);
#define DECL(i) __m256i x##i = _mm256_set1_epi32(i);
    REP12(DECL)
#undef DECL
    for (long it = 0; it < iters; it++) {
#define STEP(i)                                                                                          \
    x##i = _mm256_dpbusd_epi32(x##i, a, w);                                                              \
    OPAQUE_V(x##i);
        REP12(STEP)
#undef STEP
    }
    __m256i s = _mm256_setzero_si256();
#define SUM(i) s = _mm256_add_epi32(s, x##i);
    REP12(SUM)
#undef SUM
    int32_t o[8];
    _mm256_storeu_si256((__m256i *)o, s);
    return i8_sum_lanes(o, 8);
}

__attribute__((target("avx512f,avx512vnni"))) static float i8_loop_vnni_zmm(long iters)
{
    __m512i a = _mm512_set1_epi8(1), w = _mm512_set1_epi8(2);
    OPAQUE_V(a);
    OPAQUE_V(w);
#define DECL(i) __m512i x##i = _mm512_set1_epi32(i);
    REP12(DECL)
#undef DECL
    for (long it = 0; it < iters; it++) {
#define STEP(i)                                                                                          \
    x##i = _mm512_dpbusd_epi32(x##i, a, w);                                                              \
    OPAQUE_V(x##i);
        REP12(STEP)
#undef STEP
    }
    __m512i s = _mm512_setzero_si512();
#define SUM(i) s = _mm512_add_epi32(s, x##i);
    REP12(SUM)
#undef SUM
    int32_t o[16];
    _mm512_storeu_si512((void *)o, s);
    return i8_sum_lanes(o, 16);
}
#elif defined(__aarch64__)
#define OPAQUE_W(v) __asm__ volatile("" : "+w"(v)) /* any SIMD register */

static int usable_neon(const rtj_cpu_info *cpu) { return rtj_cpu_can_run(cpu, RTJ_ISA_NEON); }
static int usable_dotprod(const rtj_cpu_info *cpu) { return rtj_cpu_can_run(cpu, RTJ_ISA_NEON) && cpu->dotprod; }

static float i8_sum_neon(int32x4_t s)
{
    int32_t o[4];
    vst1q_s32(o, s);
    return i8_sum_lanes(o, 4);
}

/* sdot: 4 s8 x s8 products added into each of 4 int32 lanes: 16 multiply-adds = 32 ops. clang 14's
 * arm_neon.h declares vdotq_s32 only when the whole file is built with dotprod, so there the one
 * instruction is written out (the function's target attribute lets its assembler accept it). */
#if defined(__clang__)
#define RTJ_TARGET_DOTPROD __attribute__((target("dotprod")))
#define SDOT(acc, a, w) __asm__("sdot %0.4s, %1.16b, %2.16b" : "+w"(acc) : "w"(a), "w"(w))
#else
#define RTJ_TARGET_DOTPROD __attribute__((target("arch=armv8.2-a+dotprod")))
#define SDOT(acc, a, w) acc = vdotq_s32(acc, a, w)
#endif
RTJ_TARGET_DOTPROD static float i8_loop_sdot(long iters)
{
    int8x16_t a = vdupq_n_s8(1), w = vdupq_n_s8(2);
    OPAQUE_W(a);
    OPAQUE_W(w);
#define DECL(i) int32x4_t x##i = vdupq_n_s32(i);
    REP12(DECL)
#undef DECL
    for (long it = 0; it < iters; it++) {
#define STEP(i)                                                                                          \
    SDOT(x##i, a, w);                                                                                    \
    OPAQUE_W(x##i);
        REP12(STEP)
#undef STEP
    }
    int32x4_t s = vdupq_n_s32(0);
#define SUM(i) s = vaddq_s32(s, x##i);
    REP12(SUM)
#undef SUM
    return i8_sum_neon(s);
}

/* smull: 8 s8 x s8 -> s16 products; sadalp adds their pairs into 4 int32 lanes: 8 multiply-adds = 16 ops. */
static float i8_loop_smull_sadalp(long iters)
{
    int8x8_t a = vdup_n_s8(1), w = vdup_n_s8(3);
    OPAQUE_W(a);
#define DECL(i) int32x4_t x##i = vdupq_n_s32(i);
    REP12(DECL)
#undef DECL
    for (long it = 0; it < iters; it++) {
#define STEP(i)                                                                                          \
    OPAQUE_W(w);                                                                                         \
    x##i = vpadalq_s16(x##i, vmull_s8(a, w));                                                            \
    OPAQUE_W(x##i);
        REP12(STEP)
#undef STEP
    }
    int32x4_t s = vdupq_n_s32(0);
#define SUM(i) s = vaddq_s32(s, x##i);
    REP12(SUM)
#undef SUM
    return i8_sum_neon(s);
}
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
#define DECL(i) uint32_t x##i = (uint32_t)(i) + 1u;
    REP12(DECL)
#undef DECL
    for (long it = 0; it < iters; it++) {
#define STEP(i) x##i = x##i * 3u + 1u;
        REP12(STEP)
#undef STEP
    }
    uint32_t s = 0;
#define SUM(i) s += x##i;
    REP12(SUM)
#undef SUM
    return (float)s;
}
#endif

static double measure_i8(void *p)
{
    const i8_loop *l = p;
    return time_fma_loop(l->fn, l->ops_per_iter);
}

double bench_peak_i8_gops(const char **kernel, const char **isa, const char **what, const char **not_run,
                          double *other_load)
{
    static machine_meas peak = {-1, -1};
    static const i8_loop *used;
    static const i8_loop loops[] = {
#if defined(__x86_64__)
        {i8_loop_maddubs_ymm, 12.0 * 32 * 2, "i8_maddubs_ymm", "avx2",
         "AVX2 vpmaddubsw+vpmaddwd+vpaddd on ymm", usable_avx2, 0},
        {i8_loop_vnni_ymm, 12.0 * 32 * 2, "i8_vnni_ymm", "avx512", "AVX-512 VNNI vpdpbusd on ymm", usable_vnni, 0},
        {i8_loop_vnni_zmm, 12.0 * 64 * 2, "i8_vnni_zmm", "avx512", "AVX-512 VNNI vpdpbusd on zmm", usable_vnni, 0},
        {i8_loop_c, 12.0 * 2, "i32_mul_add_c", "scalar", "int32 multiply-adds in C", usable_always, 1},
#elif defined(__aarch64__)
        {i8_loop_sdot, 12.0 * 16 * 2, "i8_sdot_neon", "neon", "NEON dotprod sdot", usable_dotprod, 0},
        {i8_loop_smull_sadalp, 12.0 * 8 * 2, "i8_smull_sadalp_neon", "neon", "NEON smull+sadalp (no dotprod)",
         usable_neon, 1},
#else
        {i8_loop_c, 12.0 * 2, "i32_mul_add_c", "scalar", "int32 multiply-adds in C", usable_always, 1},
#endif
    };
    static char lacks[160];
    if (peak.value < 0) {
        const rtj_cpu_info *cpu = rtj_cpu_get();
        size_t len = 0;
        for (size_t i = 0; i < sizeof loops / sizeof loops[0]; i++) {
            if (!loops[i].usable(cpu)) {
                /* Said in the report, so a reader knows the peak is not the VNNI or dotprod one. */
                if (!loops[i].fallback && len < sizeof lacks)
                    len += (size_t)snprintf(lacks + len, sizeof lacks - len, "%s%s", len ? ", " : "",
                                            loops[i].kernel);
                continue;
            }
            if (loops[i].fallback && used)
                continue;
            const machine_meas m = best_quiet(measure_i8, (void *)&loops[i]);
            if (m.value > peak.value) {
                peak = m;
                used = &loops[i];
            }
        }
    }
    if (kernel)
        *kernel = used ? used->kernel : "none";
    if (isa)
        *isa = used ? used->isa : "none";
    if (what)
        *what = used ? used->what : "none";
    if (other_load)
        *other_load = peak.other_load;
    if (not_run)
        *not_run = lacks;
    return peak.value;
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
    double v[MAX_REPS];
    const int reps = bench_opt.reps < MAX_REPS ? bench_opt.reps : MAX_REPS;
    for (int r = 0; r < reps; r++) {
        const double t0 = bench_now();
        bench_sink += read_sum(x, n);
        v[r] = (double)n * sizeof(float) / (bench_now() - t0) * 1e-9;
    }
    qsort(v, (size_t)reps, sizeof v[0], cmp_double);
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

/* ---- Output ------------------------------------------------------------------------------------------------ */
void bench_note(const char *fmt, ...)
{
    FILE *f = bench_opt.json ? stderr : stdout;
    va_list ap;
    va_start(ap, fmt);
    if (bench_opt.json)
        fputs("# ", f);
    vfprintf(f, fmt, ap);
    fputc('\n', f);
    va_end(ap);
    fflush(f);
}

static void rec_put(bench_rec *r, const char *s)
{
    size_t n = strlen(s);
    if (r->len + n < sizeof r->buf) {
        memcpy(r->buf + r->len, s, n + 1);
        r->len += n;
    }
}

static void rec_key(bench_rec *r, const char *key)
{
    rec_put(r, r->len > 1 ? ",\"" : "\"");
    rec_put(r, key);
    rec_put(r, "\":");
}

void bench_rec_begin(bench_rec *r, const char *bench)
{
    r->len = 0;
    r->buf[0] = 0;
    rec_put(r, "{");
    bench_rec_str(r, "bench", bench);
}

void bench_rec_str(bench_rec *r, const char *key, const char *val)
{
    rec_key(r, key);
    rec_put(r, "\"");
    /* Escape what JSON requires; the strings here are names, so control characters just become '?'. */
    char one[2] = {0, 0};
    for (const char *p = val ? val : ""; *p; p++) {
        if (*p == '"' || *p == '\\') {
            rec_put(r, "\\");
            one[0] = *p;
        } else
            one[0] = (unsigned char)*p < 0x20 ? '?' : *p;
        rec_put(r, one);
    }
    rec_put(r, "\"");
}

void bench_rec_int(bench_rec *r, const char *key, long long val)
{
    char b[32];
    snprintf(b, sizeof b, "%lld", val);
    rec_key(r, key);
    rec_put(r, b);
}

void bench_rec_num(bench_rec *r, const char *key, double val)
{
    char b[40];
    if (isfinite(val) && val == floor(val) && fabs(val) < 1e15)
        snprintf(b, sizeof b, "%.0f", val); /* counts (bytes) stay exact */
    else if (isfinite(val))
        snprintf(b, sizeof b, "%.6g", val);
    else
        snprintf(b, sizeof b, "null");
    rec_key(r, key);
    rec_put(r, b);
}

void bench_rec_end(bench_rec *r)
{
    rec_put(r, "}");
    puts(r->buf);
    fflush(stdout);
}

/* ---- Peers: OpenBLAS ------------------------------------------------------------------------------------ */
/* cblas_sgemm with the LP64 interface Debian's libopenblas.so.0 exports (blasint = int); the CBLAS enums
 * are int-sized: CblasRowMajor 101, CblasNoTrans 111, CblasTrans 112. */
typedef void (*cblas_sgemm_fn)(int order, int transa, int transb, int m, int n, int k, float alpha,
                               const float *a, int lda, const float *b, int ldb, float beta, float *c,
                               int ldc);
static cblas_sgemm_fn ob_sgemm;

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#else
#define MULTIARCH "unknown"
#endif

static void load_openblas(void)
{
    /* Its pthread build first (the one gemm.sh measures), then whatever the loader finds. */
    static const char *const paths[] = {"/usr/lib/" MULTIARCH "/openblas-pthread/libopenblas.so.0",
                                        "libopenblas.so.0"};
    void *h = NULL;
    const char *path = NULL;
    for (size_t i = 0; i < sizeof paths / sizeof paths[0] && !h; i++)
        if ((h = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL)))
            path = paths[i];
    if (!h) {
        bench_note("peer openblas: not installed");
        return;
    }
    ob_sgemm = (cblas_sgemm_fn)dlsym(h, "cblas_sgemm");
    if (!ob_sgemm) {
        bench_note("peer openblas: %s has no cblas_sgemm, not used", path);
        return;
    }
    /* The environment was set before dlopen; this covers a library that was already loaded. */
    void (*set_threads)(int) = (void (*)(int))dlsym(h, "openblas_set_num_threads");
    if (set_threads)
        set_threads(1);
    char *(*config)(void) = (char *(*)(void))dlsym(h, "openblas_get_config");
    bench_note("peer openblas: %s, 1 thread (%s)", config ? config() : "?", path);
}

int bench_have_openblas(void) { return ob_sgemm != NULL; }

void bench_openblas_sgemm_nt(size_t m, size_t n, size_t k, const float *a, const float *w, float *c)
{
    ob_sgemm(101, 111, 112, (int)m, (int)n, (int)k, 1.0f, a, (int)k, w, (int)k, 0.0f, c, (int)n);
}

/* ---- Peers: oneDNN 2.x ----------------------------------------------------------------------------------
 * The few types and functions used, declared here with the ABI of oneDNN 2.x (checked against the 2.6.3
 * headers) so that oneDNN is never needed to build. Handles are opaque pointers. dnnl_memory_desc_t
 * (696 bytes) and dnnl_matmul_desc_t (2800 bytes) are only filled by the library and passed back by
 * pointer, so storage of at least their size and alignment stands in for them. */
typedef void *dn_handle; /* dnnl_engine_t, dnnl_stream_t, dnnl_primitive_desc_t, dnnl_primitive_t, ... */
typedef union dn_md {
    int64_t align;
    unsigned char bytes[1024];
} dn_md;
typedef union dn_matmul_desc {
    int64_t align;
    unsigned char bytes[4096];
} dn_matmul_desc;
typedef struct dn_exec_arg {
    int arg;
    dn_handle memory;
} dn_exec_arg;
typedef struct dn_version {
    int major, minor, patch;
    const char *hash;
    unsigned cpu_runtime, gpu_runtime;
} dn_version;

enum {
    DN_SUCCESS = 0,           /* dnnl_success */
    DN_F32 = 3,               /* dnnl_f32 */
    DN_TAG_ANY = 1,           /* dnnl_format_tag_any */
    DN_TAG_AB = 3,            /* dnnl_ab: row-major [rows, cols] */
    DN_TAG_BA = 22,           /* dnnl_ba: [K, N] stored N-major, i.e. W [n, k] row-major */
    DN_ENGINE_CPU = 1,        /* dnnl_cpu */
    DN_STREAM_DEFAULT = 1,    /* dnnl_stream_default_flags */
    DN_QUERY_IMPL_INFO = 8,   /* dnnl_query_impl_info_str */
    DN_QUERY_WEIGHTS_MD = 131, /* dnnl_query_weights_md */
    DN_ARG_SRC = 1,           /* DNNL_ARG_SRC, DNNL_ARG_FROM */
    DN_ARG_DST = 17,          /* DNNL_ARG_DST, DNNL_ARG_TO */
    DN_ARG_WEIGHTS = 33,      /* DNNL_ARG_WEIGHTS */
};
#define DN_MEMORY_ALLOCATE ((void *)(size_t)-1)

static struct {
    dn_handle engine, stream;
    const dn_version *(*version)(void);
    int (*engine_create)(dn_handle *engine, int kind, size_t index);
    int (*stream_create)(dn_handle *stream, dn_handle engine, unsigned flags);
    int (*stream_wait)(dn_handle stream);
    int (*md_init_by_tag)(dn_md *md, int ndims, const int64_t *dims, int data_type, int tag);
    size_t (*md_get_size)(const dn_md *md);
    int (*matmul_desc_init)(dn_matmul_desc *desc, const dn_md *src, const dn_md *weights,
                            const dn_md *bias, const dn_md *dst);
    int (*pd_create)(dn_handle *pd, const void *op_desc, const void *attr, dn_handle engine,
                     const void *hint);
    int (*pd_query)(dn_handle pd, int what, int index, void *result);
    const dn_md *(*pd_query_md)(dn_handle pd, int what, int index);
    int (*pd_destroy)(dn_handle pd);
    int (*reorder_pd_create)(dn_handle *pd, const dn_md *src, dn_handle src_engine, const dn_md *dst,
                             dn_handle dst_engine, const void *attr);
    int (*memory_create)(dn_handle *mem, const dn_md *md, dn_handle engine, void *handle);
    int (*memory_destroy)(dn_handle mem);
    int (*primitive_create)(dn_handle *prim, dn_handle pd);
    int (*primitive_execute)(dn_handle prim, dn_handle stream, int nargs, const dn_exec_arg *args);
    int (*primitive_destroy)(dn_handle prim);
    int ok;
} dn;

static void load_onednn(void)
{
    void *h = dlopen("libdnnl.so.2", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        bench_note("peer onednn: not installed");
        return;
    }
    int missing = 0;
#define SYM(field, name) missing |= !(dn.field = (__typeof__(dn.field))dlsym(h, name));
    SYM(version, "dnnl_version")
    SYM(engine_create, "dnnl_engine_create")
    SYM(stream_create, "dnnl_stream_create")
    SYM(stream_wait, "dnnl_stream_wait")
    SYM(md_init_by_tag, "dnnl_memory_desc_init_by_tag")
    SYM(md_get_size, "dnnl_memory_desc_get_size")
    SYM(matmul_desc_init, "dnnl_matmul_desc_init")
    SYM(pd_create, "dnnl_primitive_desc_create")
    SYM(pd_query, "dnnl_primitive_desc_query")
    SYM(pd_query_md, "dnnl_primitive_desc_query_md")
    SYM(pd_destroy, "dnnl_primitive_desc_destroy")
    SYM(reorder_pd_create, "dnnl_reorder_primitive_desc_create")
    SYM(memory_create, "dnnl_memory_create")
    SYM(memory_destroy, "dnnl_memory_destroy")
    SYM(primitive_create, "dnnl_primitive_create")
    SYM(primitive_execute, "dnnl_primitive_execute")
    SYM(primitive_destroy, "dnnl_primitive_destroy")
#undef SYM
    const dn_version *v = dn.version ? dn.version() : NULL;
    if (missing || !v || v->major != 2) {
        /* oneDNN 3 replaced the descriptor-init API: our declarations would not match it. */
        bench_note("peer onednn: libdnnl.so.2 is not the oneDNN 2.x this benchmark speaks, not used");
        return;
    }
    if (dn.engine_create(&dn.engine, DN_ENGINE_CPU, 0) != DN_SUCCESS ||
        dn.stream_create(&dn.stream, dn.engine, DN_STREAM_DEFAULT) != DN_SUCCESS) {
        bench_note("peer onednn: no CPU engine, not used");
        return;
    }
    dn.ok = 1;
    bench_note("peer onednn: oneDNN %d.%d.%d, 1 thread, weights reordered to its preferred layout "
               "(untimed)", v->major, v->minor, v->patch);
}

int bench_have_onednn(void) { return dn.ok; }

void bench_peers_load(void)
{
    static int done;
    if (done || !bench_opt.peers)
        return;
    done = 1;
    /* Before dlopen: OpenBLAS's pthread pool and oneDNN's OpenMP runtime read these once, at load.
     * Both peers run on one thread, as rtj does here. */
    setenv("OPENBLAS_NUM_THREADS", "1", 1);
    setenv("OMP_NUM_THREADS", "1", 1);
    load_openblas();
    load_onednn();
}

struct bench_onednn_mm {
    dn_handle prim, a, c, *w;
    size_t copies, next, w_bytes;
    char impl[96];
};

#define DN_CHECK(call)                                                                                     \
    do {                                                                                                   \
        int st_ = (call);                                                                                  \
        if (st_ != DN_SUCCESS) {                                                                           \
            bench_note("peer onednn: %s failed (status %d)", #call, st_);                                 \
            goto fail;                                                                                     \
        }                                                                                                  \
    } while (0)

/* ---- Peers: oneDNN integer matmul ------------------------------------------------------------------------
 * The data types the u8 x s8 -> s32 matmul needs, as oneDNN 2.6's dnnl_types.h numbers dnnl_data_type_t.
 * No attributes: oneDNN then computes the plain integer product, as rtj's kernel does before its
 * epilogue. Weights are reordered into the layout the primitive prefers (format_tag_any) outside any
 * timing, which for int8 may append the compensation oneDNN needs for its own u8 shift. */
enum {
    DN_S32 = 4, /* dnnl_s32 */
    DN_S8 = 5,  /* dnnl_s8 */
    DN_U8 = 6,  /* dnnl_u8 */
};

/* A oneDNN matmul with the data types of A, W and C as parameters: A, C and the plain W are the caller's
 * buffers, the very inputs rtj gets. */
static bench_onednn_mm *onednn_mm_create_dt(size_t m, size_t n, size_t k, const void *a, int a_dt, const void *w,
                                            int w_dt, void *c, int c_dt, size_t copies)
{
    if (!dn.ok)
        return NULL;
    bench_onednn_mm *mm = calloc(1, sizeof *mm);
    if (!mm || !(mm->w = calloc(copies, sizeof *mm->w))) {
        free(mm);
        return NULL;
    }
    mm->copies = copies;
    dn_handle pd = NULL, rpd = NULL, rprim = NULL, wplain = NULL;
    dn_md a_md, w_md, w_any, c_md;
    dn_matmul_desc desc;
    int64_t ad[12] = {(int64_t)m, (int64_t)k}, wd[12] = {(int64_t)k, (int64_t)n},
            cd[12] = {(int64_t)m, (int64_t)n};
    DN_CHECK(dn.md_init_by_tag(&a_md, 2, ad, a_dt, DN_TAG_AB));
    DN_CHECK(dn.md_init_by_tag(&w_md, 2, wd, w_dt, DN_TAG_BA));
    DN_CHECK(dn.md_init_by_tag(&w_any, 2, wd, w_dt, DN_TAG_ANY));
    DN_CHECK(dn.md_init_by_tag(&c_md, 2, cd, c_dt, DN_TAG_AB));
    DN_CHECK(dn.matmul_desc_init(&desc, &a_md, &w_any, NULL, &c_md));
    DN_CHECK(dn.pd_create(&pd, &desc, NULL, dn.engine, NULL));
    const char *impl = NULL;
    if (dn.pd_query(pd, DN_QUERY_IMPL_INFO, 0, &impl) != DN_SUCCESS || !impl)
        impl = "?";
    snprintf(mm->impl, sizeof mm->impl, "%s", impl);
    const dn_md *wmd = dn.pd_query_md(pd, DN_QUERY_WEIGHTS_MD, 0);
    if (!wmd)
        goto fail;
    mm->w_bytes = dn.md_get_size(wmd);
    DN_CHECK(dn.memory_create(&mm->a, &a_md, dn.engine, (void *)a));
    DN_CHECK(dn.memory_create(&mm->c, &c_md, dn.engine, c));
    DN_CHECK(dn.memory_create(&wplain, &w_md, dn.engine, (void *)w));
    DN_CHECK(dn.reorder_pd_create(&rpd, &w_md, dn.engine, wmd, dn.engine, NULL));
    DN_CHECK(dn.primitive_create(&rprim, rpd));
    for (size_t i = 0; i < copies; i++) {
        DN_CHECK(dn.memory_create(&mm->w[i], wmd, dn.engine, DN_MEMORY_ALLOCATE));
        const dn_exec_arg args[2] = {{DN_ARG_SRC, wplain}, {DN_ARG_DST, mm->w[i]}};
        DN_CHECK(dn.primitive_execute(rprim, dn.stream, 2, args));
        DN_CHECK(dn.stream_wait(dn.stream));
    }
    DN_CHECK(dn.primitive_create(&mm->prim, pd));
    dn.primitive_destroy(rprim);
    dn.pd_destroy(rpd);
    dn.memory_destroy(wplain);
    dn.pd_destroy(pd);
    return mm;
fail:
    if (rprim)
        dn.primitive_destroy(rprim);
    if (rpd)
        dn.pd_destroy(rpd);
    if (wplain)
        dn.memory_destroy(wplain);
    if (pd)
        dn.pd_destroy(pd);
    bench_onednn_mm_destroy(mm);
    return NULL;
}

bench_onednn_mm *bench_onednn_mm_create(size_t m, size_t n, size_t k, const float *a, const float *w,
                                        float *c, size_t copies)
{
    return onednn_mm_create_dt(m, n, k, a, DN_F32, w, DN_F32, c, DN_F32, copies);
}

void bench_onednn_mm_run(bench_onednn_mm *mm)
{
    const dn_exec_arg args[3] = {
        {DN_ARG_SRC, mm->a}, {DN_ARG_WEIGHTS, mm->w[mm->next]}, {DN_ARG_DST, mm->c}};
    if (++mm->next == mm->copies)
        mm->next = 0;
    dn.primitive_execute(mm->prim, dn.stream, 3, args);
    dn.stream_wait(dn.stream);
}

const char *bench_onednn_mm_impl(const bench_onednn_mm *mm) { return mm->impl; }

size_t bench_onednn_mm_weight_bytes(const bench_onednn_mm *mm) { return mm->w_bytes; }

void bench_onednn_mm_destroy(bench_onednn_mm *mm)
{
    if (!mm)
        return;
    if (mm->prim)
        dn.primitive_destroy(mm->prim);
    for (size_t i = 0; i < mm->copies; i++)
        if (mm->w[i])
            dn.memory_destroy(mm->w[i]);
    if (mm->a)
        dn.memory_destroy(mm->a);
    if (mm->c)
        dn.memory_destroy(mm->c);
    free(mm->w);
    free(mm);
}

bench_onednn_mm *bench_onednn_mm_create_u8s8(size_t m, size_t n, size_t k, const uint8_t *a, const int8_t *w,
                                             int32_t *c, size_t copies)
{
    return onednn_mm_create_dt(m, n, k, a, DN_U8, w, DN_S8, c, DN_S32, copies);
}
