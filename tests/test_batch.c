/* The layer scheduler: packed batches with per-instance early exit give every instance exactly (bit for
 * bit) what it gets alone, whatever the batch, its order and the thread count; several contexts on one
 * model run from several threads at once (the CI runs this suite under ThreadSanitizer too). */
#include <pthread.h>
#include <string.h>

#include "../include/rtj.h"
#include "bert_fixture.h"
#include "test_common.h"

typedef struct loaded {
    bert_fixture fx;
    const bert_case *bc;
    char dir[256];
    rtj_model *m;
} loaded;

static void load_case(loaded *L, const char *name, rtj_dtype dtype, int threads)
{
    char err[256];
    cr_assert_eq(bert_fixture_load(bert_fixture_path(), &L->fx, err, sizeof err), 0, "%s", err);
    L->bc = bert_fixture_find(&L->fx, name);
    cr_assert_not_null(L->bc, "fixture has no case %s", name);
    cr_assert_eq(bert_checkpoint_write(L->bc, L->dir, sizeof L->dir, err, sizeof err), 0, "%s", err);
    rtj_load_options o = {dtype, threads};
    rtj_error e;
    cr_assert_eq(rtj_model_load(L->dir, &o, &L->m, &e), RTJ_OK, "%s", e.message);
}

static void unload(loaded *L)
{
    rtj_model_free(L->m);
    bert_checkpoint_remove(L->dir);
    bert_fixture_free(&L->fx);
}

/* Every exit's logits of every input up to 128 tokens, each classified alone: the reference the batches
 * must equal. */
static float *alone(const loaded *L, rtj_context *c, float threshold, int all_exits, rtj_result *res)
{
    const bert_case *bc = L->bc;
    const size_t per = (size_t)bc->num_exits * (size_t)bc->num_labels;
    float *logits = test_alloc((size_t)bc->num_inputs * per * sizeof(float));
    rtj_classify_options o = {threshold, all_exits};
    for (int i = 0; i < bc->num_inputs; i++) {
        const bert_input *in = &bc->inputs[i];
        memset(&res[i], 0, sizeof res[i]);
        if (in->n > 128)
            continue;
        cr_assert_eq(rtj_classify_ids(c, (size_t)in->n, in->ids, in->types, &o, &res[i]), RTJ_OK);
        for (int k = 0; all_exits && k < res[i].num_exits; k++)
            memcpy(logits + (size_t)i * per + (size_t)k * (size_t)bc->num_labels, res[i].exits[k].logits,
                   (size_t)bc->num_labels * sizeof(float));
        if (!all_exits)
            memcpy(logits + (size_t)i * per, res[i].probs, (size_t)bc->num_labels * sizeof(float));
    }
    return logits;
}

/* The inputs in the order perm, as one batch; compares each with its alone result, bit for bit. */
static void check_batch(const loaded *L, rtj_context *c, const int *perm, int n, float threshold, int all_exits,
                        const float *ref, const rtj_result *ref_res)
{
    const bert_case *bc = L->bc;
    const size_t per = (size_t)bc->num_exits * (size_t)bc->num_labels;
    size_t lens[16];
    const int32_t *ids[16], *types[16];
    rtj_result out[16];
    for (int j = 0; j < n; j++) {
        const bert_input *in = &bc->inputs[perm[j]];
        lens[j] = (size_t)in->n, ids[j] = in->ids, types[j] = in->types;
    }
    rtj_classify_options o = {threshold, all_exits};
    cr_assert_eq(rtj_classify_ids_batch(c, (size_t)n, lens, ids, types, &o, out), RTJ_OK);
    for (int j = 0; j < n; j++) {
        const int i = perm[j];
        const rtj_result *r = &out[j], *a = &ref_res[i];
        cr_assert_eq(r->exit_index, a->exit_index, "input %d at %d: exit %d in the batch, %d alone", i, j,
                     r->exit_index, a->exit_index);
        cr_assert_eq(r->layers_run, a->layers_run, "input %d: layers run %d vs %d", i, r->layers_run, a->layers_run);
        cr_assert_eq(r->label_id, a->label_id);
        for (int k = 0; all_exits && k < r->num_exits; k++)
            cr_assert(memcmp(r->exits[k].logits, ref + (size_t)i * per + (size_t)k * (size_t)bc->num_labels,
                             (size_t)bc->num_labels * sizeof(float)) == 0,
                      "input %d (batch position %d): exit %d logits differ from the alone run", i, j, k);
        if (!all_exits)
            cr_assert(memcmp(r->probs, ref + (size_t)i * per, (size_t)bc->num_labels * sizeof(float)) == 0,
                      "input %d: probabilities differ from the alone run", i);
    }
}

static void batch_equals_alone(const char *name, rtj_dtype dtype)
{
    loaded L;
    load_case(&L, name, dtype, 1);
    rtj_context *c1, *c2;
    cr_assert_eq(rtj_context_new(L.m, &c1), RTJ_OK);
    cr_assert(L.bc->num_inputs <= 16);
    rtj_result ref_res[16];
    /* The inputs up to 128 tokens (the 512-token ones add time, under qemu minutes, and no new case). */
    int short_in[16], n = 0;
    for (int i = 0; i < L.bc->num_inputs; i++)
        if (L.bc->inputs[i].n <= 128)
            short_in[n++] = i;
    int fwd[16], rev[16], odd[16];
    for (int i = 0; i < n; i++)
        fwd[i] = short_in[i], rev[i] = short_in[n - 1 - i], odd[i] = short_in[(i * 5 + 3) % n];
    /* Full depth with every exit reported, and early exit at thresholds that split the batch. */
    const float thresholds[] = {RTJ_NO_EARLY_EXIT, 0.0f, 0.5f, 0.7f, 0.9f};
    for (size_t t = 0; t < sizeof thresholds / sizeof thresholds[0]; t++)
        for (int all = 0; all < 2; all++) {
            float *ref = alone(&L, c1, thresholds[t], all, ref_res);
            check_batch(&L, c1, fwd, n, thresholds[t], all, ref, ref_res);
            check_batch(&L, c1, rev, n, thresholds[t], all, ref, ref_res);
            if (n % 5 != 0) /* a permutation */
                check_batch(&L, c1, odd, n, thresholds[t], all, ref, ref_res);
            check_batch(&L, c1, rev + 1, n - 1, thresholds[t], all, ref, ref_res);
            free(ref);
        }
    /* Two threads: the same bits. */
    rtj_model *m2;
    rtj_load_options o2 = {dtype, 2};
    rtj_error e;
    cr_assert_eq(rtj_model_load(L.dir, &o2, &m2, &e), RTJ_OK, "%s", e.message);
    cr_assert_eq(rtj_context_new(m2, &c2), RTJ_OK);
    float *ref = alone(&L, c1, RTJ_NO_EARLY_EXIT, 1, ref_res);
    loaded L2 = L;
    L2.m = m2;
    check_batch(&L2, c2, rev, n, RTJ_NO_EARLY_EXIT, 1, ref, ref_res);
    free(ref);
    rtj_context_free(c2);
    rtj_model_free(m2);
    rtj_context_free(c1);
    unload(&L);
}

Test(batch, packed_batch_equals_alone_fp32) { batch_equals_alone("h78_l3", RTJ_DTYPE_FP32); }
Test(batch, packed_batch_equals_alone_int8) { batch_equals_alone("h78_l3", RTJ_DTYPE_INT8); }
Test(batch, packed_batch_equals_alone_tinybert) { batch_equals_alone("tinybert_4l_312", RTJ_DTYPE_FP32); }

/* Early exit really shortens the work: with threshold 0 every instance leaves at the first exit. */
Test(batch, threshold_zero_leaves_at_the_first_exit)
{
    loaded L;
    load_case(&L, "tinybert_4l_312", RTJ_DTYPE_FP32, 1);
    rtj_context *c;
    cr_assert_eq(rtj_context_new(L.m, &c), RTJ_OK);
    rtj_result res[16];
    float *p = alone(&L, c, 0.0f, 0, res);
    for (int i = 0; i < L.bc->num_inputs; i++) {
        if (L.bc->inputs[i].n > 128)
            continue;
        cr_assert_eq(res[i].exit_index, 0);
        cr_assert_eq(res[i].layers_run, L.bc->exit_layers[0] + 1);
    }
    free(p);
    rtj_context_free(c);
    unload(&L);
}

/* Several user threads, each with its own context on one shared model, at once. */
typedef struct worker {
    const loaded *L;
    const float *ref;
    int ok;
} worker;

static void *drive(void *arg)
{
    worker *w = arg;
    const bert_case *bc = w->L->bc;
    const size_t per = (size_t)bc->num_exits * (size_t)bc->num_labels;
    rtj_context *c;
    w->ok = rtj_context_new(w->L->m, &c) == RTJ_OK;
    rtj_classify_options o = {RTJ_NO_EARLY_EXIT, 1};
    for (int rep = 0; rep < 3 && w->ok; rep++)
        for (int i = 0; i < bc->num_inputs && w->ok; i++) {
            const bert_input *in = &bc->inputs[i];
            if (in->n > 128)
                continue; /* keep the TSan run short */
            rtj_result r;
            w->ok = rtj_classify_ids(c, (size_t)in->n, in->ids, in->types, &o, &r) == RTJ_OK;
            for (int k = 0; w->ok && k < r.num_exits; k++)
                w->ok = memcmp(r.exits[k].logits, w->ref + (size_t)i * per + (size_t)k * (size_t)bc->num_labels,
                               (size_t)bc->num_labels * sizeof(float)) == 0;
        }
    rtj_context_free(c);
    return NULL;
}

Test(batch, contexts_on_one_model_from_many_threads)
{
    loaded L;
    load_case(&L, "h78_l3", RTJ_DTYPE_FP32, 2); /* each context also runs its own 2-thread pool */
    rtj_context *c;
    cr_assert_eq(rtj_context_new(L.m, &c), RTJ_OK);
    rtj_result res[16];
    float *ref = alone(&L, c, RTJ_NO_EARLY_EXIT, 1, res);
    rtj_context_free(c);
    enum { N = 4 };
    pthread_t th[N];
    worker w[N];
    for (int i = 0; i < N; i++) {
        w[i] = (worker){&L, ref, 0};
        cr_assert_eq(pthread_create(&th[i], NULL, drive, &w[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        cr_assert(w[i].ok, "thread %d got a different result or an error", i);
    }
    free(ref);
    unload(&L);
}
