/* The thread pool of pool.h. A job is published as one atomic word, (generation << 16) | threads, so a
 * worker learns from one load both that there is a new job and whether it takes part; the job's other
 * fields are written before that word and stay unchanged until every worker taking part has finished.
 * Tasks are claimed with an atomic counter, so that uneven tasks balance themselves. Waiting, on both
 * sides, spins for RTJ_POOL_SPIN_NS and then sleeps on a condition variable; a sleeper announces itself
 * (sleepers, caller_sleeping) before its last look, and the other side, after its store, looks at that
 * announcement (both sequentially consistent), so either the sleeper sees the store or the other side sees
 * the sleeper and wakes it under the lock. */
#include "pool.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define THREAD_BITS 16 /* the CLI allows up to 4096 threads */

struct rtj_pool {
    int threads;
    pthread_t *workers;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t job_ready, job_done;
    rtj_task_fn fn;
    void *arg;
    size_t tasks;
    /* Each on its own cache line: spinning workers read job while the tasks' claims hit next_task. */
    alignas(64) _Atomic uint64_t job;
    alignas(64) atomic_size_t next_task;
    alignas(64) atomic_int busy; /* workers still inside the current job */
    atomic_int sleepers;         /* workers asleep (or about to be) on job_ready */
    atomic_int caller_sleeping;  /* the caller asleep (or about to be) on job_done */
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

static void run_tasks(rtj_pool *p, size_t worker)
{
    for (;;) {
        size_t t = atomic_fetch_add_explicit(&p->next_task, 1, memory_order_relaxed);
        if (t >= p->tasks)
            return;
        p->fn(p->arg, t, worker);
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
        run_tasks(p, index);
        if (atomic_fetch_sub(&p->busy, 1) == 1 && atomic_load(&p->caller_sleeping)) {
            pthread_mutex_lock(&p->lock);
            pthread_cond_signal(&p->job_done);
            pthread_mutex_unlock(&p->lock);
        }
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
    atomic_init(&p->next_task, 0);
    atomic_init(&p->busy, 0);
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

void rtj_pool_run(rtj_pool *p, size_t tasks, int threads, rtj_task_fn fn, void *arg)
{
    if (tasks == 0)
        return;
    size_t use = threads < 1 ? 1 : threads > p->threads ? (size_t)p->threads : (size_t)threads;
    if (use > tasks)
        use = tasks;
    if (use == 1) {
        for (size_t t = 0; t < tasks; t++)
            fn(arg, t, 0);
        return;
    }
    p->fn = fn;
    p->arg = arg;
    p->tasks = tasks;
    atomic_store_explicit(&p->next_task, 0, memory_order_relaxed);
    atomic_store_explicit(&p->busy, (int)use - 1, memory_order_relaxed);
    const uint64_t gen = (atomic_load_explicit(&p->job, memory_order_relaxed) >> THREAD_BITS) + 1;
    atomic_store(&p->job, gen << THREAD_BITS | use);
    if (atomic_load(&p->sleepers) > 0) {
        pthread_mutex_lock(&p->lock);
        pthread_cond_broadcast(&p->job_ready);
        pthread_mutex_unlock(&p->lock);
    }
    run_tasks(p, 0);
    long long deadline = 0;
    for (unsigned i = 0; atomic_load_explicit(&p->busy, memory_order_acquire) > 0; i++) {
        cpu_relax();
        if (i % 64 == 63) {
            const long long t = now_ns();
            if (!deadline)
                deadline = t + RTJ_POOL_SPIN_NS;
            else if (t > deadline)
                break;
        }
    }
    if (atomic_load(&p->busy) > 0) {
        pthread_mutex_lock(&p->lock);
        atomic_store(&p->caller_sleeping, 1);
        while (atomic_load(&p->busy) > 0)
            pthread_cond_wait(&p->job_done, &p->lock);
        atomic_store(&p->caller_sleeping, 0);
        pthread_mutex_unlock(&p->lock);
    }
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
