/* The calls that let a caller replay or adjust what classification does (include/rtj.h): the label and
 * early-exit rules against what classify answers, exit temperatures set on a model and written into a
 * checkpoint's config.json, the model's own tokenizer, an .rtj file's dtype. On the fixture's h78_l3
 * checkpoint (3 labels, an exit on every layer). */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../include/rtj.h"
#include "../include/rtj_tokenizer.h"
#include "bert_fixture.h"
#include "test_common.h"

Test(public_api, top_label_takes_the_first_maximum)
{
    const float p[] = {0.1f, 0.4f, 0.4f, 0.1f};
    cr_assert_eq(rtj_top_label(p, 4), 1);
    cr_assert_eq(rtj_top_label(p, 1), 0);
    cr_assert_eq(rtj_top_label(p, 0), 0);
    const float q[] = {-3.0f, -1.0f, -2.0f};
    cr_assert_eq(rtj_top_label(q, 3), 1, "logits as well as probabilities");
}

Test(public_api, exit_rule_thresholds)
{
    const float p[] = {0.25f, 0.75f}, one[] = {0.0f, 1.0f};
    cr_assert(rtj_exit_taken(0.0f, p, 2));
    cr_assert(rtj_exit_taken(0.75f, p, 2), ">=, not >");
    cr_assert(!rtj_exit_taken(nextafterf(0.75f, 1.0f), p, 2));
    cr_assert(!rtj_exit_taken(1.0f, one, 2), "threshold 1 is full depth even when a softmax rounds to 1");
    cr_assert(!rtj_exit_taken(RTJ_NO_EARLY_EXIT, one, 2));
}

typedef struct loaded {
    bert_fixture fx;
    const bert_case *c;
    char dir[256];
    rtj_model *m;
    rtj_context *ctx;
    rtj_model_info info; /* as loaded */
} loaded;

static void load(loaded *L, rtj_dtype dt)
{
    char err[256];
    cr_assert_eq(bert_fixture_load(bert_fixture_path(), &L->fx, err, sizeof err), 0, "%s", err);
    L->c = bert_fixture_find(&L->fx, "h78_l3");
    cr_assert_not_null(L->c);
    cr_assert_eq(bert_checkpoint_write(L->c, L->dir, sizeof L->dir, err, sizeof err), 0, "%s", err);
    rtj_load_options o = {dt, 1};
    rtj_error e;
    cr_assert_eq(rtj_model_load(L->dir, &o, &L->m, &e), RTJ_OK, "%s", e.message);
    cr_assert_eq(rtj_context_new(L->m, &L->ctx), RTJ_OK);
    rtj_model_get_info(L->m, &L->info);
}

static void unload(loaded *L)
{
    rtj_context_free(L->ctx);
    rtj_model_free(L->m);
    bert_checkpoint_remove(L->dir);
    bert_fixture_free(&L->fx);
}

/* Replaying the rule over one all_exits run gives, at every threshold, the exit classify answers with
 * (what rtj-run eval relies on). */
Test(public_api, exit_rule_replayed_equals_classify)
{
    loaded L;
    load(&L, RTJ_DTYPE_FP32);
    const float thresholds[] = {0.0f, 0.34f, 0.4f, 0.5f, 0.6f, 0.8f, 0.95f, 1.0f, RTJ_NO_EARLY_EXIT};
    const rtj_classify_options all = {RTJ_NO_EARLY_EXIT, 1};
    for (int i = 0; i < L.c->num_inputs; i++) {
        const bert_input *in = &L.c->inputs[i];
        rtj_result r;
        cr_assert_eq(rtj_classify_ids(L.ctx, (size_t)in->n, in->ids, in->types, &all, &r), RTJ_OK);
        cr_assert_eq(r.num_exits, L.c->num_exits);
        float probs[BERT_MAX_EXITS][16];
        for (int k = 0; k < r.num_exits; k++)
            memcpy(probs[k], r.exits[k].probs, (size_t)r.num_labels * sizeof(float));
        const int labels = r.num_labels, exits = r.num_exits;
        for (size_t t = 0; t < sizeof thresholds / sizeof thresholds[0]; t++) {
            int k = 0;
            while (k + 1 < exits && !rtj_exit_taken(thresholds[t], probs[k], labels))
                k++;
            const rtj_classify_options o = {thresholds[t], 0};
            cr_assert_eq(rtj_classify_ids(L.ctx, (size_t)in->n, in->ids, in->types, &o, &r), RTJ_OK);
            cr_assert_eq(r.exit_index, k, "input %d, threshold %g", i, (double)thresholds[t]);
            cr_assert_eq(r.label_id, rtj_top_label(probs[k], labels), "input %d, threshold %g", i,
                         (double)thresholds[t]);
        }
    }
    unload(&L);
}

Test(public_api, exit_temperatures_set_on_a_model)
{
    loaded L;
    load(&L, RTJ_DTYPE_FP32);
    rtj_model_info info = L.info;
    const int e = info.num_exits;
    float t1[BERT_MAX_EXITS], t2[BERT_MAX_EXITS], before[BERT_MAX_EXITS];
    for (int k = 0; k < e; k++)
        t1[k] = 1.0f, t2[k] = 2.0f, before[k] = info.exit_temperatures[k];
    cr_assert_eq(rtj_model_set_exit_temperatures(L.m, t1, e - 1), RTJ_ERR_ARG, "one per exit");
    t2[e - 1] = 0.0f;
    cr_assert_eq(rtj_model_set_exit_temperatures(L.m, t2, e), RTJ_ERR_ARG, "> 0");
    t2[e - 1] = NAN;
    cr_assert_eq(rtj_model_set_exit_temperatures(L.m, t2, e), RTJ_ERR_ARG, "finite");
    t2[e - 1] = 2.0f;
    cr_assert_eq(memcmp(info.exit_temperatures, before, (size_t)e * sizeof(float)), 0, "a refusal changes nothing");

    const bert_input *in = &L.c->inputs[0];
    const rtj_classify_options all = {RTJ_NO_EARLY_EXIT, 1};
    rtj_result r;
    float z1[BERT_MAX_EXITS][16];
    cr_assert_eq(rtj_model_set_exit_temperatures(L.m, t1, e), RTJ_OK);
    cr_assert_eq(rtj_classify_ids(L.ctx, (size_t)in->n, in->ids, in->types, &all, &r), RTJ_OK);
    for (int k = 0; k < e; k++)
        memcpy(z1[k], r.exits[k].logits, (size_t)r.num_labels * sizeof(float));
    cr_assert_eq(rtj_model_set_exit_temperatures(L.m, t2, e), RTJ_OK);
    rtj_model_get_info(L.m, &info);
    cr_assert_eq(memcmp(info.exit_temperatures, t2, (size_t)e * sizeof(float)), 0);
    cr_assert_eq(rtj_classify_ids(L.ctx, (size_t)in->n, in->ids, in->types, &all, &r), RTJ_OK);
    /* Halving is exact in binary, so T = 2 gives exactly half of the T = 1 logits. */
    for (int k = 0; k < e; k++)
        for (int l = 0; l < r.num_labels; l++)
            cr_assert_eq(r.exits[k].logits[l], z1[k][l] / 2, "exit %d label %d", k, l);
    unload(&L);
}

static size_t read_text(const char *path, char *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s", path);
    size_t n = fread(buf, 1, cap - 1, f);
    fclose(f);
    buf[n] = '\0';
    return n;
}

Test(public_api, exit_temperatures_written_into_config_json)
{
    loaded L;
    load(&L, RTJ_DTYPE_FP32);
    const int e = L.info.num_exits;
    rtj_model_info info;
    char path[512], before[16384], after[16384];
    snprintf(path, sizeof path, "%s/config.json", L.dir);
    read_text(path, before, sizeof before);
    cr_assert_not_null(strstr(before, "\"exit_temperatures\""), "the fixture writes temperatures");
    float t[BERT_MAX_EXITS + 1];
    for (int k = 0; k <= e; k++)
        t[k] = 0.1f * (float)(k + 3);
    rtj_error err;
    cr_assert_eq(rtj_checkpoint_set_exit_temperatures(L.dir, t, e, &err), RTJ_OK, "%s", err.message);
    read_text(path, after, sizeof after);
    /* Every byte but the value is kept: the same text up to the key, and after the array. */
    const size_t key = (size_t)(strstr(before, "\"exit_temperatures\"") - before);
    cr_assert_eq(memcmp(before, after, key), 0);
    cr_assert_str_eq(strchr(before + key, ']'), strchr(after + key, ']'));
    rtj_model *m2;
    rtj_load_options o = {RTJ_DTYPE_FP32, 1};
    cr_assert_eq(rtj_model_load(L.dir, &o, &m2, &err), RTJ_OK, "%s", err.message);
    rtj_model_get_info(m2, &info);
    cr_assert_eq(memcmp(info.exit_temperatures, t, (size_t)e * sizeof(float)), 0, "printed with 9 digits, read back exactly");
    rtj_model_free(m2);
    /* Written again: the same file. */
    cr_assert_eq(rtj_checkpoint_set_exit_temperatures(L.dir, t, e, &err), RTJ_OK, "%s", err.message);
    char again[16384];
    read_text(path, again, sizeof again);
    cr_assert_str_eq(after, again);
    /* Refused, file untouched: a count the config's exits do not have, a bad value, a missing directory. */
    cr_assert_eq(rtj_checkpoint_set_exit_temperatures(L.dir, t, e + 1, &err), RTJ_ERR_CONFIG, "%s", err.message);
    t[0] = -1.0f;
    cr_assert_eq(rtj_checkpoint_set_exit_temperatures(L.dir, t, e, &err), RTJ_ERR_ARG);
    read_text(path, again, sizeof again);
    cr_assert_str_eq(after, again);
    t[0] = 1.0f;
    char missing[600];
    snprintf(missing, sizeof missing, "%s/nothing", L.dir);
    cr_assert_eq(rtj_checkpoint_set_exit_temperatures(missing, t, e, &err), RTJ_ERR_IO);
    cr_assert(strstr(err.message, "nothing/config.json") != NULL, "%s", err.message);
    unload(&L);
}

Test(public_api, model_tokenizer_and_file_dtype)
{
    loaded L;
    load(&L, RTJ_DTYPE_INT8);
    const rtj_tokenizer *tok = rtj_model_tokenizer(L.m);
    cr_assert_not_null(tok);
    cr_assert_not_null(rtj_tokenizer_vocab(tok));
    char path[512];
    rtj_error err;
    rtj_dtype dt = RTJ_DTYPE_FP32;
    cr_assert_eq(rtj_model_file_dtype(L.dir, &dt), RTJ_ERR_FORMAT, "a directory is not an .rtj file");
    snprintf(path, sizeof path, "%s/m.rtj", L.dir);
    cr_assert_eq(rtj_model_save(L.m, path, &err), RTJ_OK, "%s", err.message);
    cr_assert_eq(rtj_model_file_dtype(path, &dt), RTJ_OK);
    cr_assert_eq(dt, RTJ_DTYPE_INT8);
    snprintf(path, sizeof path, "%s/config.json", L.dir);
    cr_assert_eq(rtj_model_file_dtype(path, &dt), RTJ_ERR_FORMAT);
    snprintf(path, sizeof path, "%s/none.rtj", L.dir);
    cr_assert_eq(rtj_model_file_dtype(path, &dt), RTJ_ERR_IO);
    unlink(path);
    snprintf(path, sizeof path, "%s/m.rtj", L.dir);
    unlink(path);
    unload(&L);
}
