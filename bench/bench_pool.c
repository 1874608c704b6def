/* bench_pool: what a second thread costs and when it pays, the measurements behind forward.c's work
 * thresholds per thread (MIN_*_PER_THREAD).
 *
 * 1. The hand-off: an empty job on a 2-thread pool (the caller plus one worker), back to back (the
 *    worker still spinning) and after a pause longer than RTJ_POOL_SPIN_NS (the worker asleep).
 * 2. For each operation the forward pass splits (FP32 and INT8 GEMM by output columns, attention by
 *    heads, LayerNorm by rows), at TinyBERT's and BERT-large's widths, the work swept from tiny to a
 *    128-token layer: one thread against the same work cut for two threads through the pool, as forward.c
 *    cuts it (TASKS_PER_THREAD tasks a thread); fastest repeat against fastest repeat, medians beside.
 *    The work units are forward.c's: m n k multiply-adds for a GEMM, 2 seq^2 hidden for attention,
 *    elements for a row kernel.
 * 3. The threshold forward.c uses: FLOOR_US of one thread's work at the operation's measured speed (its
 *    fastest repeat at the largest size), next to the measured crossover (the work per thread from which
 *    every larger size ran at least 1.1x faster on two threads), which on a shared machine is rarely clean.
 * The kernels are the dispatched table's (RTJ_ISA applies). On a machine others share, read the "other"
 * column: a second thread that is descheduled turns a gain into a loss, so the thresholds taken from a
 * loaded run err on the side of one thread. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../model/pool.h"
#include "bench_common.h"
#include "timing.h"

#define TASKS_PER_THREAD 4 /* as forward.c cuts operations */
#define FLOOR_US 10.0      /* the least work a thread is given, in microseconds of one thread's time */

static const rtj_kernels *kt;
static rtj_pool *pool2;

/* ---- 1. The hand-off ---------------------------------------------------------------------------------- */
static void nothing(void *arg, size_t task, size_t worker) { (void)arg, (void)task, (void)worker; }
static void empty_job(void *ctx)
{
    (void)ctx;
    rtj_pool_run(pool2, 2, 2, nothing, NULL);
}
static void empty_job_after_sleep(void *ctx)
{
    const struct timespec d = {0, 2 * RTJ_POOL_SPIN_NS};
    nanosleep(&d, NULL);
    const double t0 = bench_now();
    rtj_pool_run(pool2, 2, 2, nothing, NULL);
    *(double *)ctx += bench_now() - t0;
}

/* A task of 50 us of busy work: a job of two shows whether the worker joined (50 us) or the caller did
 * both (100 us). */
static void busy_50us(void *arg, size_t task, size_t worker)
{
    (void)arg, (void)task, (void)worker;
    const double end = bench_now() + 50e-6;
    while (bench_now() < end)
        ;
}

static double two_tasks(int sleep_first)
{
    enum { N = 101 };
    double v[N];
    for (int i = 0; i < N; i++) {
        const struct timespec d = {0, sleep_first ? 2 * RTJ_POOL_SPIN_NS : 0};
        if (sleep_first)
            nanosleep(&d, NULL);
        else
            rtj_pool_run(pool2, 2, 2, nothing, NULL); /* the worker is spinning */
        const double t0 = bench_now();
        rtj_pool_run(pool2, 2, 2, busy_50us, NULL);
        v[i] = bench_now() - t0;
    }
    qsort(v, N, sizeof v[0], bench_cmp_double);
    return v[N / 2];
}

static void handoff(void)
{
    bench_result r;
    bench_time(empty_job, NULL, &r);
    double slept = 0;
    enum { N = 200 };
    for (int i = 0; i < N; i++)
        empty_job_after_sleep(&slept);
    if (bench_opt.json) {
        bench_rec rec;
        bench_rec_begin(&rec, "pool_handoff");
        bench_rec_num(&rec, "spinning_us", r.sec * 1e6);
        bench_rec_num(&rec, "asleep_us", slept / N * 1e6);
        bench_rec_num(&rec, "other_load", r.other_load);
        bench_rec_end(&rec);
    } else
        printf("hand-off of an empty job to 1 worker: %.2f us while it spins (median), %.2f us when it sleeps "
               "(mean of %d)  other %.2f\n", r.sec * 1e6, slept / N * 1e6, N, r.other_load);
    /* What forward.c's WAKE_FACTOR is about: a worker that sleeps joins late, or not at all. */
    const double spin2 = two_tasks(0), sleep2 = two_tasks(1);
    if (bench_opt.json) {
        bench_rec rec;
        bench_rec_begin(&rec, "pool_two_50us_tasks");
        bench_rec_num(&rec, "spinning_us", spin2 * 1e6);
        bench_rec_num(&rec, "asleep_us", sleep2 * 1e6);
        bench_rec_end(&rec);
    } else
        printf("a job of two 50 us tasks (one thread alone: 100 us): %.1f us with the worker spinning, %.1f us with "
               "it asleep (median of 101 each)\n", spin2 * 1e6, sleep2 * 1e6);
}

/* ---- 2. One operation on 1 and 2 threads -------------------------------------------------------------- */
enum op_kind { OP_F32_GEMM, OP_Q8_GEMM, OP_ATTENTION, OP_LAYERNORM, OP_COUNT };
static const char *const op_names[] = {"f32_gemm", "q8_gemm", "attention", "layernorm"};

typedef struct op_job {
    enum op_kind kind;
    size_t m, n, k, chunk, tasks;
    int threads;
    float *a, *c;
    rtj_f32_packed_w fw;
    rtj_q8_packed_w qw;
    rtj_q8_quantized_act qa;
    void *qbuf;
    float *gamma, *beta;
    float *attn_scratch; /* one area per worker */
    size_t attn_stride;
} op_job;

static void op_task(void *arg, size_t task, size_t worker)
{
    const op_job *j = arg;
    switch (j->kind) {
    case OP_F32_GEMM:
        rtj_f32_gemm_cols(kt, j->m, j->a, j->k, &j->fw, 1.0f, RTJ_EPI_NONE, NULL, 0, j->c, j->n, task * j->chunk,
                          task * j->chunk + j->chunk);
        break;
    case OP_Q8_GEMM:
        rtj_q8_gemm_quantized_cols(kt, j->m, j->qa.qa, j->qa.ldq, j->qa.a_scale, j->qa.a_zero, &j->qw, RTJ_EPI_NONE,
                                   NULL, 0, j->c, j->n, task * j->chunk, task * j->chunk + j->chunk);
        break;
    case OP_ATTENTION: { /* task = head; m = seq, k = head dim, n = heads * head dim */
        const float *q = j->a + task * j->k;
        rtj_f32_attention_head(kt, j->m, j->k, q, 3 * j->n, q + j->n, 3 * j->n, q + 2 * j->n, 3 * j->n, NULL,
                               j->c + task * j->k, j->n, j->attn_scratch + worker * j->attn_stride);
        break;
    }
    case OP_LAYERNORM: {
        const size_t r0 = task * j->chunk, nr = j->m - r0 < j->chunk ? j->m - r0 : j->chunk;
        kt->f32_layernorm(nr, j->n, j->a + r0 * j->n, j->n, NULL, 0, j->gamma, j->beta, 1e-12f, j->c + r0 * j->n, j->n);
        break;
    }
    default:
        break;
    }
}

static void run_op(void *ctx)
{
    op_job *j = ctx;
    rtj_pool_run(pool2, j->tasks, j->threads, op_task, j);
}

/* Work units of one call, as forward.c counts them. */
static double op_work(const op_job *j)
{
    switch (j->kind) {
    case OP_ATTENTION:
        return 2.0 * (double)j->m * (double)j->m * (double)j->n;
    case OP_LAYERNORM:
        return (double)j->m * (double)j->n;
    default:
        return (double)j->m * (double)j->n * (double)j->k;
    }
}

/* Splits the job for `threads` threads the way forward.c does. */
static void op_split(op_job *j, int threads)
{
    j->threads = threads;
    if (j->kind == OP_ATTENTION) {
        j->tasks = j->n / j->k;
        return;
    }
    const size_t want = threads == 1 ? 1 : (size_t)threads * TASKS_PER_THREAD;
    if (j->kind == OP_LAYERNORM) {
        j->chunk = (j->m + want - 1) / want;
        j->tasks = (j->m + j->chunk - 1) / j->chunk;
        return;
    }
    const size_t nr = j->kind == OP_Q8_GEMM ? kt->q8_gemm_nr : j->fw.nr, panels = (j->n + nr - 1) / nr;
    const size_t t = panels < want ? panels : want;
    j->chunk = (panels + t - 1) / t * nr;
    j->tasks = (j->n + j->chunk - 1) / j->chunk;
}

static void op_make(op_job *j, enum op_kind kind, size_t m, size_t n, size_t k)
{
    memset(j, 0, sizeof *j);
    j->kind = kind, j->m = m, j->n = n, j->k = k;
    const size_t a_cols = kind == OP_ATTENTION ? 3 * n : kind == OP_LAYERNORM ? n : k;
    j->a = bench_alloc_filled(m * a_cols, 1, -1, 1);
    j->c = bench_alloc_filled(m * n, 2, 0, 0);
    if (kind == OP_F32_GEMM || kind == OP_Q8_GEMM) {
        float *w = bench_alloc_filled(n * k, 3, -0.05f, 0.05f);
        if (kind == OP_F32_GEMM ? rtj_f32_pack_w(kt, n, k, w, k, 0, NULL, &j->fw) != 0
                                : rtj_q8_pack_w(n, k, w, k, NULL, &j->qw) != 0) {
            fprintf(stderr, "bench_pool: out of memory\n");
            exit(1);
        }
        rtj_free(w);
        if (kind == OP_Q8_GEMM) {
            j->qbuf = bench_xalloc(rtj_q8_quantized_act_layout(m, k, NULL, NULL));
            rtj_q8_quantized_act_layout(m, k, j->qbuf, &j->qa);
            kt->q8_quantize(m, k, j->a, k, kt->q8_act_max, j->qa.qa, j->qa.ldq, j->qa.a_scale, j->qa.a_zero);
        }
    } else if (kind == OP_ATTENTION) {
        j->attn_stride = rtj_f32_attention_worker_layout(kt, m, k, NULL, 0, NULL);
        j->attn_scratch = bench_xalloc(2 * j->attn_stride * sizeof(float));
    } else {
        j->gamma = bench_alloc_filled(n, 4, 0.9f, 1.1f);
        j->beta = bench_alloc_filled(n, 5, -0.1f, 0.1f);
    }
}

static void op_free(op_job *j)
{
    rtj_free(j->a), rtj_free(j->c), rtj_free(j->qbuf), rtj_free(j->gamma), rtj_free(j->beta);
    rtj_free(j->attn_scratch);
    if (j->kind == OP_F32_GEMM)
        rtj_f32_packed_w_free(&j->fw);
    if (j->kind == OP_Q8_GEMM)
        rtj_q8_packed_w_free(&j->qw);
}

/* One family at one width: the sweep, and the threshold it gives. */
static void sweep(enum op_kind kind, const char *shape, size_t n, size_t k, const size_t *ms, size_t count)
{
    double threshold = -1, best1 = 0;
    for (size_t i = 0; i < count; i++) {
        op_job j;
        op_make(&j, kind, ms[i], n, k);
        bench_result r1, r2;
        op_split(&j, 1);
        bench_time(run_op, &j, &r1);
        op_split(&j, 2);
        bench_time(run_op, &j, &r2);
        /* The fastest repeats: what the hardware gives when both threads have a core (the medians are
         * printed too, and show what a loaded machine takes away). */
        const double speedup = r1.min_sec / r2.min_sec, per_thread = op_work(&j) / 2;
        best1 = r1.min_sec;
        if (speedup >= 1.1 && threshold < 0)
            threshold = per_thread;
        else if (speedup < 1.1)
            threshold = -1; /* a larger size that does not pay: the threshold lies above it */
        if (bench_opt.json) {
            bench_rec rec;
            bench_rec_begin(&rec, "pool_split");
            bench_rec_str(&rec, "op", op_names[kind]);
            bench_rec_str(&rec, "shape", shape);
            bench_rec_int(&rec, "m", (long long)ms[i]);
            bench_rec_num(&rec, "work_per_thread", per_thread);
            bench_rec_num(&rec, "us_1t", r1.sec * 1e6);
            bench_rec_num(&rec, "us_2t", r2.sec * 1e6);
            bench_rec_num(&rec, "us_1t_min", r1.min_sec * 1e6);
            bench_rec_num(&rec, "us_2t_min", r2.min_sec * 1e6);
            bench_rec_num(&rec, "speedup_min", speedup);
            bench_rec_num(&rec, "other_load", r2.other_load);
            bench_rec_end(&rec);
        } else
            printf("%-10s %-19s m %4zu  work/thread %10.0f  min: 1 thread %9.2f us  2 threads %9.2f us  x%.2f"
                   "  (median %9.2f / %9.2f us)  other %.2f\n", op_names[kind], shape, ms[i], per_thread,
                   r1.min_sec * 1e6, r2.min_sec * 1e6, speedup, r1.sec * 1e6, r2.sec * 1e6, r2.other_load);
        op_free(&j);
    }
    /* The rule forward.c follows: a thread gets at least what one thread does in FLOOR_US at this
     * operation's speed (its fastest repeat at the largest size), ten times the cost of handing a job to a
     * spinning worker and moving its operands between the cores' caches, so a split gains at least what
     * it can lose. */
    const double units_per_us = op_work(&(op_job){.kind = kind, .m = ms[count - 1], .n = n, .k = k}) / (best1 * 1e6);
    if (bench_opt.json) {
        bench_rec rec;
        bench_rec_begin(&rec, "pool_threshold");
        bench_rec_str(&rec, "op", op_names[kind]);
        bench_rec_str(&rec, "shape", shape);
        bench_rec_num(&rec, "units_per_us_1t", units_per_us);
        bench_rec_num(&rec, "threshold", FLOOR_US * units_per_us);
        bench_rec_num(&rec, "crossover", threshold);
        bench_rec_end(&rec);
    } else
        printf("%-10s %-19s %.0f units/us on 1 thread: threshold %.0f units per thread (%g us of work); measured "
               "crossover (x1.1): %s%.0f\n", op_names[kind], shape, units_per_us, FLOOR_US * units_per_us, FLOOR_US,
               threshold < 0 ? "none up to " : "", threshold < 0 ? op_work(&(op_job){.kind = kind, .m = ms[count - 1],
               .n = n, .k = k}) / 2 : threshold);
}

int main(int argc, char **argv)
{
    int rc = bench_init(argc, argv, "the thread pool's hand-off cost and where a second thread pays, per operation");
    if (rc >= 0)
        return rc;
    kt = rtj_kernels_get();
    if (!kt) {
        fprintf(stderr, "bench_pool: %s\n", rtj_kernels_error());
        return 1;
    }
    pool2 = rtj_pool_new(2);
    if (!pool2) {
        fprintf(stderr, "bench_pool: cannot start a 2-thread pool\n");
        return 1;
    }
    double peak;
    bench_report_machine("bench_pool: 2 threads against 1, per operation", 0, &peak, NULL);
    bench_note("kernels: %s", kt->name);
    handoff();
    static const size_t rows[] = {1, 2, 4, 8, 16, 32, 64, 128};
    static const size_t seqs[] = {4, 8, 16, 32, 64, 128};
    static const size_t ln_rows[] = {1, 4, 16, 64, 128, 256, 512};
    const size_t nrows = bench_opt.quick ? 4 : 8;
    sweep(OP_F32_GEMM, "tiny qkv 936x312", 936, 312, rows, nrows);
    sweep(OP_F32_GEMM, "large qkv 3072x1024", 3072, 1024, rows, nrows);
    sweep(OP_Q8_GEMM, "tiny qkv 936x312", 936, 312, rows, nrows);
    sweep(OP_Q8_GEMM, "large qkv 3072x1024", 3072, 1024, rows, nrows);
    sweep(OP_ATTENTION, "tiny 12 x 26", 312, 26, seqs, 6);
    sweep(OP_ATTENTION, "large 16 x 64", 1024, 64, seqs, 6);
    sweep(OP_LAYERNORM, "tiny 312", 312, 0, ln_rows, 7);
    sweep(OP_LAYERNORM, "large 1024", 1024, 0, ln_rows, 7);
    rtj_pool_free(pool2);
    return 0;
}
