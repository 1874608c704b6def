/* The thread pool of pool.h: a mutex, two condition variables and a job generation number. Tasks are
 * claimed with an atomic counter so that uneven tasks balance themselves; workers wait on a condition
 * variable (no spinning) between jobs, since requests may be far apart. */
#include "pool.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

struct rtj_pool {
    int threads;
    pthread_t *workers;
    int started;
    pthread_mutex_t lock;
    pthread_cond_t job_ready, job_done;
    unsigned long generation; /* bumped for every job; workers run each generation once */
    int stopping;
    rtj_task_fn fn;
    void *arg;
    size_t tasks;
    atomic_size_t next_task;
    int busy; /* workers still inside the current job */
};

typedef struct {
    rtj_pool *pool;
    size_t index;
} worker_arg;

static void run_tasks(rtj_pool *p, size_t worker)
{
    for (;;) {
        size_t t = atomic_fetch_add_explicit(&p->next_task, 1, memory_order_relaxed);
        if (t >= p->tasks)
            return;
        p->fn(p->arg, t, worker);
    }
}

static void *worker_main(void *v)
{
    worker_arg *wa = v;
    rtj_pool *p = wa->pool;
    const size_t index = wa->index;
    free(wa);
    unsigned long seen = 0;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->stopping && p->generation == seen)
            pthread_cond_wait(&p->job_ready, &p->lock);
        if (p->stopping)
            break;
        seen = p->generation;
        pthread_mutex_unlock(&p->lock);
        run_tasks(p, index);
        pthread_mutex_lock(&p->lock);
        if (--p->busy == 0)
            pthread_cond_signal(&p->job_done);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

rtj_pool *rtj_pool_new(int threads)
{
    if (threads < 1)
        return NULL;
    rtj_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->threads = threads;
    atomic_init(&p->next_task, 0);
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return NULL;
    }
    pthread_cond_init(&p->job_ready, NULL);
    pthread_cond_init(&p->job_done, NULL);
    p->workers = calloc((size_t)threads, sizeof *p->workers);
    if (!p->workers) {
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

void rtj_pool_run(rtj_pool *p, size_t tasks, rtj_task_fn fn, void *arg)
{
    if (tasks == 0)
        return;
    if (p->threads == 1 || tasks == 1) {
        for (size_t t = 0; t < tasks; t++)
            fn(arg, t, 0);
        return;
    }
    pthread_mutex_lock(&p->lock);
    p->fn = fn;
    p->arg = arg;
    p->tasks = tasks;
    atomic_store_explicit(&p->next_task, 0, memory_order_relaxed);
    p->busy = p->threads - 1;
    p->generation++;
    pthread_cond_broadcast(&p->job_ready);
    pthread_mutex_unlock(&p->lock);
    run_tasks(p, 0);
    pthread_mutex_lock(&p->lock);
    while (p->busy > 0)
        pthread_cond_wait(&p->job_done, &p->lock);
    pthread_mutex_unlock(&p->lock);
}

void rtj_pool_free(rtj_pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = 1;
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
