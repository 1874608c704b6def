/* The timer (bench_now, bench_time), the measure of what other processes take of the machine while a
 * benchmark runs, and the inputs every benchmark fills the same way. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "bench_common.h"
#include "timing.h"

/* ---- Timing ------------------------------------------------------------------------------------------- */
double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int bench_cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void bench_load_read(bench_load_snap *s)
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

double bench_load_other(const bench_load_snap *a, const bench_load_snap *b)
{
    const double ncpu = (double)sysconf(_SC_NPROCESSORS_ONLN), w = b->wall - a->wall;
    if (!a->ok || !b->ok || w <= 0 || ncpu <= 0)
        return -1;
    const double o = ((b->busy - a->busy) - (b->self - a->self)) / (w * ncpu);
    return o < 0 ? 0 : o > 1 ? 1 : o;
}

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
    const int reps = bench_opt.reps < BENCH_MAX_REPS ? bench_opt.reps : BENCH_MAX_REPS;
    double v[BENCH_MAX_REPS];
    bench_load_snap s0, s1;
    bench_load_read(&s0);
    for (int rep = 0; rep < reps; rep++) {
        const double t0 = bench_now();
        for (long i = 0; i < calls; i++)
            fn(ctx);
        v[rep] = (bench_now() - t0) / (double)calls;
    }
    bench_load_read(&s1);
    qsort(v, (size_t)reps, sizeof v[0], bench_cmp_double);
    r->sec = v[reps / 2];
    r->min_sec = v[0];
    r->max_sec = v[reps - 1];
    r->other_load = bench_load_other(&s0, &s1);
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

volatile double bench_sink;

void bench_consume(const float *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i];
    bench_sink += s;
}

