/* A small persistent thread pool: the calling thread plus threads - 1 workers that sleep between jobs.
 * One job at a time: rtj_pool_run hands out tasks 0..n-1 and returns when all are done. Each context owns
 * its pool, so contexts on different user threads never share one. */
#ifndef RTJ_POOL_H
#define RTJ_POOL_H

#include <stddef.h>

typedef struct rtj_pool rtj_pool;
/* worker: 0 for the calling thread, 1..threads-1 for the pool's own; a task may use per-worker scratch. */
typedef void (*rtj_task_fn)(void *arg, size_t task, size_t worker);

/* NULL on failure (out of memory or no thread could be started). threads >= 1. */
rtj_pool *rtj_pool_new(int threads);
int rtj_pool_threads(const rtj_pool *pool);
void rtj_pool_run(rtj_pool *pool, size_t tasks, rtj_task_fn fn, void *arg);
void rtj_pool_free(rtj_pool *pool);

#endif
