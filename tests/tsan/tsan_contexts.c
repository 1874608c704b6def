/* Concurrency check run under ThreadSanitizer (`make test-tsan`); Criterion cannot start under TSan, so
 * this is a plain program. Four user threads each make a context (with a 2-thread pool of its own) on one
 * shared model (two of them splitting every operation among the pool's threads, the others as the work
 * thresholds decide) and classify the fixture's inputs, singly and as packed batches with early exit; every
 * result must equal, bit for bit, the one computed first on the main thread. Exit status 0 = all equal;
 * TSan makes it non-zero if it saw a race. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../include/rtj.h"
#include "../../model/context.h"
#include "../bert_fixture.h"

#define MAX_IN 16

typedef struct shared {
    const rtj_model *m;
    const bert_case *bc;
    float ref[MAX_IN][64]; /* every exit's logits, exits x labels */
    int ok[8];
} shared;

typedef struct arg {
    shared *s;
    int id;
} arg;

static int same(const shared *s, int i, const rtj_result *r)
{
    const size_t nl = (size_t)r->num_labels;
    for (int k = 0; k < r->num_exits; k++)
        if (memcmp(r->exits[k].logits, s->ref[i] + (size_t)k * nl, nl * sizeof(float)) != 0)
            return 0;
    return 1;
}

static void *drive(void *p)
{
    arg *a = p;
    shared *s = a->s;
    const bert_case *bc = s->bc;
    rtj_context *c;
    int ok = rtj_context_new(s->m, &c) == RTJ_OK;
    if (ok)
        c->split_scale = a->id % 2 ? 0.0 : 1.0; /* every operation split, however small: the pool runs */
    rtj_classify_options all = {RTJ_NO_EARLY_EXIT, 1};
    for (int rep = 0; rep < 2 && ok; rep++) {
        size_t lens[MAX_IN];
        const int32_t *ids[MAX_IN], *types[MAX_IN];
        rtj_result res[MAX_IN];
        int n = 0;
        for (int i = 0; i < bc->num_inputs && ok; i++) {
            if (bc->inputs[i].n > 128)
                continue; /* TSan slows everything down 10x: the short inputs are enough */
            ok = rtj_classify_ids(c, (size_t)bc->inputs[i].n, bc->inputs[i].ids, bc->inputs[i].types, &all,
                                  &res[0]) == RTJ_OK && same(s, i, &res[0]);
            lens[n] = (size_t)bc->inputs[i].n, ids[n] = bc->inputs[i].ids, types[n] = bc->inputs[i].types;
            n++;
        }
        /* The same inputs as one batch, with early exit on (threshold 0.6) but all exits reported. */
        rtj_classify_options early = {0.6f, 1};
        ok = ok && rtj_classify_ids_batch(c, (size_t)n, lens, ids, types, &early, res) == RTJ_OK;
        for (int i = 0, j = 0; ok && i < bc->num_inputs; i++)
            if (bc->inputs[i].n <= 128)
                ok = same(s, i, &res[j++]);
    }
    rtj_context_free(c);
    s->ok[a->id] = ok;
    return NULL;
}

int main(void)
{
    bert_fixture fx;
    char err[256], dir[256];
    if (bert_fixture_load(bert_fixture_path(), &fx, err, sizeof err) != 0) {
        fprintf(stderr, "tsan_contexts: %s\n", err);
        return 1;
    }
    shared s = {0};
    s.bc = bert_fixture_find(&fx, "h78_l3");
    if (!s.bc || s.bc->num_inputs > MAX_IN || bert_checkpoint_write(s.bc, dir, sizeof dir, err, sizeof err) != 0) {
        fprintf(stderr, "tsan_contexts: no fixture model: %s\n", err);
        return 1;
    }
    rtj_model *m;
    rtj_error e;
    rtj_load_options o = {RTJ_DTYPE_FP32, 2};
    if (rtj_model_load(dir, &o, &m, &e) != RTJ_OK) {
        fprintf(stderr, "tsan_contexts: %s\n", e.message);
        return 1;
    }
    s.m = m;
    rtj_context *c;
    rtj_classify_options all = {RTJ_NO_EARLY_EXIT, 1};
    if (rtj_context_new(m, &c) != RTJ_OK)
        return 1;
    for (int i = 0; i < s.bc->num_inputs; i++) {
        rtj_result r;
        if (rtj_classify_ids(c, (size_t)s.bc->inputs[i].n, s.bc->inputs[i].ids, s.bc->inputs[i].types, &all, &r) != RTJ_OK)
            return 1;
        for (int k = 0; k < r.num_exits; k++)
            memcpy(s.ref[i] + (size_t)k * (size_t)r.num_labels, r.exits[k].logits, (size_t)r.num_labels * sizeof(float));
    }
    rtj_context_free(c);
    enum { N = 4 };
    pthread_t th[N];
    arg args[N];
    for (int i = 0; i < N; i++) {
        args[i] = (arg){&s, i};
        if (pthread_create(&th[i], NULL, drive, &args[i]) != 0)
            return 1;
    }
    int failed = 0;
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        if (!s.ok[i]) {
            fprintf(stderr, "tsan_contexts: thread %d got a different result or an error\n", i);
            failed = 1;
        }
    }
    rtj_model_free(m);
    bert_checkpoint_remove(dir);
    bert_fixture_free(&fx);
    printf("tsan_contexts: %d threads x 1 shared model: %s\n", N, failed ? "FAILED" : "all results identical");
    return failed;
}
