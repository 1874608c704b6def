/* Between the timer (timing.c) and the machine measurements (machine.c), which time their loops their
 * own way. Benchmark-internal. */
#ifndef RTJ_BENCH_TIMING_H
#define RTJ_BENCH_TIMING_H

/* The most repeats a measurement keeps (bench_opt.reps is clamped to it). */
#define BENCH_MAX_REPS 32

/* Results folded in here cannot be dropped as dead code. */
extern volatile double bench_sink;

/* qsort comparison of doubles, ascending. */
int bench_cmp_double(const void *a, const void *b);

/* The machine is shared: CPU time of the whole system (/proc/stat) minus our own (getrusage) over the
 * wall time says how much of it others took while we measured. */
typedef struct bench_load_snap {
    double busy, self, wall;
    int ok;
} bench_load_snap;
void bench_load_read(bench_load_snap *s);
/* Others' share of the machine (0..1) between two snapshots, or -1 when unknown. */
double bench_load_other(const bench_load_snap *a, const bench_load_snap *b);

#endif
