/* The thread pool (model/pool.c) and the per-operation thread count (model/forward.c): every task runs
 * exactly once whatever the job's thread count, after workers have spun or fallen asleep; and a model's
 * logits are the same bits whether each operation takes the threads its work is worth, all of them, or
 * one. */
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "../include/rtj.h"
#include "../model/context.h"
#include "../model/pool.h"
#include "bert_fixture.h"
#include "test_common.h"

enum { MAX_TASKS = 40 };

typedef struct count_job {
    atomic_int runs[MAX_TASKS];
    atomic_int bad_worker;
    size_t workers_allowed;
} count_job;

static void count_task(void *arg, size_t task, size_t worker)
{
    count_job *j = arg;
    atomic_fetch_add(&j->runs[task], 1);
    if (worker >= j->workers_allowed)
        atomic_fetch_add(&j->bad_worker, 1);
}

static void run_and_count(rtj_pool *p, int pool_threads, size_t tasks, int threads)
{
    count_job j;
    for (int t = 0; t < MAX_TASKS; t++)
        atomic_init(&j.runs[t], 0);
    atomic_init(&j.bad_worker, 0);
    const int use = threads < 1 ? 1 : threads > pool_threads ? pool_threads : threads;
    j.workers_allowed = (size_t)use;
    rtj_pool_run(p, tasks, threads, count_task, &j);
    for (size_t t = 0; t < MAX_TASKS; t++)
        cr_assert_eq(atomic_load(&j.runs[t]), t < tasks, "pool of %d, %zu tasks on %d threads: task %zu ran %d times",
                     pool_threads, tasks, threads, t, atomic_load(&j.runs[t]));
    cr_assert_eq(atomic_load(&j.bad_worker), 0, "a worker outside the job's %d threads took a task", use);
}

Test(pool, every_task_once_whatever_the_thread_count)
{
    for (int pt = 1; pt <= 4; pt++) {
        rtj_pool *p = rtj_pool_new(pt);
        cr_assert_not_null(p);
        cr_assert_eq(rtj_pool_threads(p), pt);
        for (int rep = 0; rep < 20; rep++) /* back to back: the workers are still spinning */
            for (size_t tasks = 0; tasks <= 9; tasks++)
                for (int th = 0; th <= pt + 1; th++)
                    run_and_count(p, pt, tasks, th);
        rtj_pool_free(p);
    }
}

Test(pool, wakes_workers_that_fell_asleep)
{
    rtj_pool *p = rtj_pool_new(3);
    cr_assert_not_null(p);
    /* Longer than the spin: the workers are asleep on the condition variable when each job comes. */
    const struct timespec pause = {0, 3 * RTJ_POOL_SPIN_NS};
    for (int rep = 0; rep < 5; rep++) {
        nanosleep(&pause, NULL);
        run_and_count(p, 3, MAX_TASKS, 3);
        nanosleep(&pause, NULL);
        run_and_count(p, 3, 7, 2); /* one worker stays out */
    }
    rtj_pool_free(p);
}

/* A task slow enough that the caller, done with its own, sleeps waiting for a worker. */
static void slow_task(void *arg, size_t task, size_t worker)
{
    (void)worker;
    if (task == 1) {
        const struct timespec d = {0, 3 * RTJ_POOL_SPIN_NS};
        nanosleep(&d, NULL);
    }
    atomic_fetch_add((atomic_int *)arg, 1);
}

Test(pool, caller_waits_for_a_slow_worker)
{
    rtj_pool *p = rtj_pool_new(2);
    cr_assert_not_null(p);
    for (int rep = 0; rep < 3; rep++) {
        atomic_int done;
        atomic_init(&done, 0);
        rtj_pool_run(p, 2, 2, slow_task, &done);
        cr_assert_eq(atomic_load(&done), 2);
    }
    rtj_pool_free(p);
}

/* More tasks than one job's claim word holds (65535): the pool runs them as several jobs. */
static void sum_task(void *arg, size_t task, size_t worker)
{
    (void)worker;
    atomic_fetch_add((_Atomic unsigned long long *)arg, (unsigned long long)task + 1);
}

Test(pool, more_tasks_than_one_job_holds)
{
    rtj_pool *p = rtj_pool_new(2);
    cr_assert_not_null(p);
    const size_t n = 140000;
    _Atomic unsigned long long sum;
    atomic_init(&sum, 0);
    rtj_pool_run(p, n, 2, sum_task, &sum);
    cr_assert_eq(atomic_load(&sum), (unsigned long long)n * (n + 1) / 2, "every task once: the sum of 1..n");
    rtj_pool_free(p);
}

Test(pool, rejects_bad_thread_counts)
{
    cr_assert_null(rtj_pool_new(0));
    cr_assert_null(rtj_pool_new(-1));
}

/* Every input alone (at full depth, every exit reported) through contexts of 1, 2 and 3 threads, with
 * split_scale 1 (each operation takes the threads its work is worth, so short inputs run on one) and 0
 * (every operation split among all threads): the same logits, bit for bit; then the inputs as one batch. */
static void same_bits_any_split(const char *name, rtj_dtype dtype)
{
    bert_fixture fx;
    char err[256], dir[256];
    cr_assert_eq(bert_fixture_load(bert_fixture_path(), &fx, err, sizeof err), 0, "%s", err);
    const bert_case *bc = bert_fixture_find(&fx, name);
    cr_assert_not_null(bc, "fixture has no case %s", name);
    cr_assert_eq(bert_checkpoint_write(bc, dir, sizeof dir, err, sizeof err), 0, "%s", err);
    const size_t per = (size_t)bc->num_exits * (size_t)bc->num_labels;
    float *ref = test_alloc((size_t)bc->num_inputs * per * sizeof(float));
    const rtj_classify_options o = {RTJ_NO_EARLY_EXIT, 1};
    size_t lens[16];
    const int32_t *ids[16], *types[16];
    int n = 0, idx[16];
    for (int i = 0; i < bc->num_inputs && n < 16; i++)
        if (bc->inputs[i].n <= 128) /* the 512-token inputs add time and no new case */
            idx[n] = i, lens[n] = (size_t)bc->inputs[i].n, ids[n] = bc->inputs[i].ids, types[n] = bc->inputs[i].types, n++;
    /* 1 thread first (the reference), then 2 threads as thresholds decide and with every operation split,
     * then 3 threads split (a worker index past 1). */
    static const int configs[][2] = {{1, 1}, {2, 1}, {2, 0}, {3, 0}};
    for (size_t cfg = 0; cfg < sizeof configs / sizeof configs[0]; cfg++) {
        const int threads = configs[cfg][0], scale = configs[cfg][1];
        rtj_load_options lo = {dtype, threads};
        rtj_model *m;
        rtj_context *c;
        rtj_error e;
        cr_assert_eq(rtj_model_load(dir, &lo, &m, &e), RTJ_OK, "%s", e.message);
        cr_assert_eq(rtj_context_new(m, &c), RTJ_OK);
        c->split_scale = scale;
        for (int j = 0; j < n; j++) {
            rtj_result r;
            cr_assert_eq(rtj_classify_ids(c, lens[j], ids[j], types[j], &o, &r), RTJ_OK);
            for (int k = 0; k < r.num_exits; k++) {
                float *want = ref + (size_t)j * per + (size_t)k * (size_t)bc->num_labels;
                if (threads == 1 && scale == 1)
                    memcpy(want, r.exits[k].logits, (size_t)bc->num_labels * sizeof(float));
                else
                    cr_assert(memcmp(want, r.exits[k].logits, (size_t)bc->num_labels * sizeof(float)) == 0,
                              "%s input %d (%zu tokens), exit %d: %d threads, split_scale %d differ from 1 thread",
                              name, idx[j], lens[j], k, threads, scale);
            }
        }
        rtj_result out[16];
        cr_assert_eq(rtj_classify_ids_batch(c, (size_t)n, lens, ids, types, &o, out), RTJ_OK);
        for (int j = 0; j < n; j++)
            for (int k = 0; k < out[j].num_exits; k++)
                cr_assert(memcmp(ref + (size_t)j * per + (size_t)k * (size_t)bc->num_labels, out[j].exits[k].logits,
                                 (size_t)bc->num_labels * sizeof(float)) == 0,
                          "%s batch position %d, exit %d: %d threads, split_scale %d", name, j, k, threads, scale);
        rtj_context_free(c);
        rtj_model_free(m);
    }
    free(ref);
    bert_checkpoint_remove(dir);
    bert_fixture_free(&fx);
}

/* In the batch suite, which the qemu runs leave out for time, as they leave out test_batch.c. */
Test(batch, same_bits_any_split_fp32) { same_bits_any_split("h78_l3", RTJ_DTYPE_FP32); }
Test(batch, same_bits_any_split_int8) { same_bits_any_split("h78_l3", RTJ_DTYPE_INT8); }
Test(batch, same_bits_any_split_tinybert_int8) { same_bits_any_split("tinybert_4l_312", RTJ_DTYPE_INT8); }
