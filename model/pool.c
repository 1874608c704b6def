/* The thread pool of pool.h. A job is published in two atomic words: job = (generation << 16) | threads
 * wakes the workers and tells each whether it takes part; claim = (generation << 32) | (tasks << 16) |
 * next task is what every thread, the caller included, claims tasks from by compare-and-swap. A claim
 * succeeds only within the claimed job, so a worker that wakes late finds the job gone instead of taking a
 * task of the next one; the job's other fields (fn, arg, base) are written before the words and cannot
 * change while a claimed task is unfinished. The caller waits for tasks done, not for workers: when a
 * worker is slow to wake (asleep, or descheduled on a loaded machine) the caller claims the tasks itself,
 * and the job costs at most what one thread would take. Waiting, on both sides, spins for RTJ_POOL_SPIN_NS
 * and then sleeps on a condition variable; a sleeper announces itself (sleepers, caller_sleeping) before
 * its last look, and the other side looks at the announcement after its own store (both sequentially
 * consistent), so either the sleeper sees the store or the other side sees the sleeper and wakes it under
 * the lock. The claim word's 32-bit generation would let a worker descheduled through 2^32 jobs (an hour
 * at the fastest) mistake a new job for its own: not guarded against. */
#include "pool.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREAD_BITS 16 /* the CLI allows up to 4096 threads */
#define TASK_BITS 16   /* tasks per job in the claim word; rtj_pool_run cuts longer lists into jobs */
#define MAX_JOB_TASKS ((1u << TASK_BITS) - 1)

struct rtj_pool {
    int threads;
    pthread_t *workers;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t job_ready, job_done;
    rtj_task_fn fn;
    void *arg;
    size_t base; /* the job's task t is the caller's task base + t */
    /* Each on its own cache line: spinning workers read job while tasks are claimed and counted. */
    alignas(64) _Atomic uint64_t job;
    alignas(64) _Atomic uint64_t claim;
    alignas(64) atomic_uint done; /* tasks of the current job finished */
    atomic_int sleepers;          /* workers asleep (or about to be) on job_ready */
    atomic_int caller_sleeping;   /* the caller asleep (or about to be) on job_done */
    atomic_int stopping;
};

typedef struct {
    rtj_pool *pool;
    size_t index;
} worker_arg;

static void cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Claims and runs tasks of job gen until none is left; signals the caller if it finished the last one
 * while the caller sleeps. */
static void run_tasks(rtj_pool *p, uint32_t gen, size_t worker)
{
    uint64_t w = atomic_load(&p->claim);
    for (;;) {
        const unsigned tasks = (unsigned)(w >> TASK_BITS) & MAX_JOB_TASKS, t = (unsigned)w & MAX_JOB_TASKS;
        if ((uint32_t)(w >> 32) != gen || t >= tasks)
            return;
        if (!atomic_compare_exchange_weak(&p->claim, &w, w + 1))
            continue; /* w now holds the current word */
        p->fn(p->arg, p->base + t, worker);
        if (atomic_fetch_add(&p->done, 1) + 1 == tasks && atomic_load(&p->caller_sleeping)) {
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->job_done);
            pthread_mutex_unlock(&p->lock);
        }
        w = atomic_load(&p->claim);
    }
}

/* The job word once it differs from seen (or seen itself when stopping): spins, then sleeps. */
static uint64_t wait_job(rtj_pool *p, uint64_t seen)
{
    uint64_t w;
    long long deadline = 0;
    for (unsigned i = 0;; i++) {
        if ((w = atomic_load_explicit(&p->job, memory_order_acquire)) != seen || atomic_load(&p->stopping))
            return w;
        cpu_relax();
        if (i % 64 == 63) { /* reading the clock costs more than a pause */
            const long long t = now_ns();
            if (!deadline)
                deadline = t + RTJ_POOL_SPIN_NS;
            else if (t > deadline)
                break;
        }
    }
    pthread_mutex_lock(&p->lock);
    atomic_fetch_add(&p->sleepers, 1);
    while ((w = atomic_load(&p->job)) == seen && !atomic_load(&p->stopping))
        pthread_cond_wait(&p->job_ready, &p->lock);
    atomic_fetch_sub(&p->sleepers, 1);
    pthread_mutex_unlock(&p->lock);
    return w;
}

static void *worker_main(void *v)
{
    worker_arg *wa = v;
    rtj_pool *p = wa->pool;
    const size_t index = wa->index;
    free(wa);
    uint64_t seen = 0;
    for (;;) {
        seen = wait_job(p, seen);
        if (atomic_load(&p->stopping))
            break;
        if (index >= (seen & ((1u << THREAD_BITS) - 1)))
            continue; /* not needed for this job */
        run_tasks(p, (uint32_t)(seen >> THREAD_BITS), index);
    }
    return NULL;
}

rtj_pool *rtj_pool_new(int threads)
{
    if (threads < 1 || threads >= (1 << THREAD_BITS))
        return NULL;
    void *mem = NULL;
    if (posix_memalign(&mem, 64, sizeof(rtj_pool)) != 0) /* calloc would not honour the alignas */
        return NULL;
    rtj_pool *p = memset(mem, 0, sizeof(rtj_pool));
    p->threads = threads;
    atomic_init(&p->job, 0);
    atomic_init(&p->claim, 0);
    atomic_init(&p->done, 0);
    atomic_init(&p->sleepers, 0);
    atomic_init(&p->caller_sleeping, 0);
    atomic_init(&p->stopping, 0);
    /* pthread_*_init with default attributes cannot fail on glibc or musl: no separate unwinding. */
    if (pthread_mutex_init(&p->lock, NULL) != 0 || pthread_cond_init(&p->job_ready, NULL) != 0 ||
        pthread_cond_init(&p->job_done, NULL) != 0 || !(p->workers = calloc((size_t)threads, sizeof *p->workers))) {
        rtj_pool_free(p);
        return NULL;
    }
    for (int i = 1; i < threads; i++) {
        worker_arg *wa = malloc(sizeof *wa);
        if (!wa || (wa->pool = p, wa->index = (size_t)i, pthread_create(&p->workers[i], NULL, worker_main, wa) != 0)) {
            free(wa);
            rtj_pool_free(p);
            return NULL;
        }
        p->started = i;
    }
    return p;
}

int rtj_pool_threads(const rtj_pool *p) { return p->threads; }

int rtj_pool_sleeping(const rtj_pool *p) { return atomic_load((atomic_int *)&p->sleepers); }

/* One job of at most MAX_JOB_TASKS tasks on `use` threads (>= 2). */
static void run_job(rtj_pool *p, size_t base, unsigned tasks, size_t use, rtj_task_fn fn, void *arg)
{
    p->fn = fn;
    p->arg = arg;
    p->base = base;
    atomic_store(&p->done, 0);
    const uint64_t gen = (atomic_load_explicit(&p->job, memory_order_relaxed) >> THREAD_BITS) + 1;
    atomic_store(&p->claim, (uint64_t)(uint32_t)gen << 32 | (uint64_t)tasks << TASK_BITS);
    atomic_store(&p->job, gen << THREAD_BITS | use);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->job_ready);
        pthread_mutex_unlock(&p->lock);
    }
    run_tasks(p, (uint32_t)gen, 0);
    long long deadline = 0;
    for (unsigned i = 0; atomic_load(&p->done) < tasks; i++) {
        cpu_relax();
        if (i % 64 == 63) {
            const long long t = now_ns();
            if (!deadline)
                deadline = t + RTJ_POOL_SPIN_NS;
            else if (t > deadline)
                break;
        }
    }
    if (atomic_load(&p->done) < tasks) {
        pthread_mutex_lock(&p->lock);
        atomic_store(&p->caller_sleeping, 1);
        while (atomic_load(&p->done) < tasks)
            pthread_cond_wait(&p->job_done, &p->lock);
        atomic_store(&p->caller_sleeping, 0);
        pthread_mutex_unlock(&p->lock);
    }
}

void rtj_pool_run(rtj_pool *p, size_t tasks, int threads, rtj_task_fn fn, void *arg)
{
    size_t use = threads < 1 ? 1 : threads > p->threads ? (size_t)p->threads : (size_t)threads;
    if (use > tasks)
        use = tasks;
    if (use <= 1) {
        for (size_t t = 0; t < tasks; t++)
            fn(arg, t, 0);
        return;
    }
    for (size_t base = 0; base < tasks; base += MAX_JOB_TASKS)
        run_job(p, base, (unsigned)(tasks - base < MAX_JOB_TASKS ? tasks - base : MAX_JOB_TASKS), use, fn, arg);
}

void rtj_pool_free(rtj_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    atomic_store(&p->stopping, 1);
    pthread_cond_broadcast(&p->job_ready);
    pthread_mutex_unlock(&p->lock);
    for (int i = 1; i <= p->started; i++)
        pthread_join(p->workers[i], NULL);
    pthread_cond_destroy(&p->job_ready);
    pthread_cond_destroy(&p->job_done);
    pthread_mutex_destroy(&p->lock);
    free(p->workers);
    free(p);
}
