/* A small persistent thread pool: the calling thread plus threads - 1 workers. One job at a time:
 * rtj_pool_run hands out tasks 0..n-1 and returns when all are done. Each context owns its pool, so
 * contexts on different user threads never share one.
 *
 * Between jobs the workers spin for RTJ_POOL_SPIN_NS, then sleep: a forward pass is a few hundred jobs
 * of microseconds to milliseconds each, back to back, where a sleep and a wake-up (a futex round trip,
 * often longer than the job) per job would cost more than the second thread saves; a context left idle
 * costs nothing after the spin. */
#ifndef RTJ_POOL_H
#define RTJ_POOL_H

#include <stddef.h>

/* How long a worker (and the caller waiting for workers) spins before it sleeps: longer than the serial
 * work between two jobs of one forward pass (a few microseconds: pooler, exit heads, moving rows), so a
 * pass never sleeps between its jobs. Not longer: on a machine others load, spinning threads use up their
 * share of the scheduler and are then the ones descheduled: INT8 TinyBERT at 128 tokens on 2 threads,
 * fastest of 60 calls in 5 alternating rounds, 5.2-9.6 ms spinning 200 us against 5.5-6.4 ms at 20 us
 * (AMD EPYC Zen 4, 2 vCPUs, load average 5-12 from others' builds).
 * Between requests the workers sleep, and the first job of the next finds the caller taking its tasks. */
#define RTJ_POOL_SPIN_NS 20000L

typedef struct rtj_pool rtj_pool;
/* worker: 0 for the calling thread, 1..threads-1 for the pool's own; a task may use per-worker scratch. */
typedef void (*rtj_task_fn)(void *arg, size_t task, size_t worker);

/* NULL on failure (out of memory or no thread could be started). threads >= 1. */
rtj_pool *rtj_pool_new(int threads);
int rtj_pool_threads(const rtj_pool *pool);
/* Workers asleep now (not spinning): a job would have to wake them, at a cost bench_pool measures. */
int rtj_pool_sleeping(const rtj_pool *pool);
/* Runs fn(arg, t, worker) once for every t < tasks on at most `threads` threads (the caller and workers
 * 1..threads-1; threads clamped to 1..rtj_pool_threads and to tasks); workers not needed take no part.
 * Tasks go to whichever thread claims them first: give a few per thread, so that the caller can take a
 * slow worker's share. */
void rtj_pool_run(rtj_pool *pool, size_t tasks, int threads, rtj_task_fn fn, void *arg);
void rtj_pool_free(rtj_pool *pool);

#endif
