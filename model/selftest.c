/* rtj_selftest (include/rtj.h): the kernels against their references (kernels/selftest.c), then one model
 * under every kernel table this CPU can run against the same model under the scalar table.
 *
 * The model's bounds are the ones the test suite holds each table's engine to against PyTorch
 * (tests/test_bert.c): FP32 logits within 1e-4 (1 + |z|) — an independent implementation with another
 * summation order meets it, so two tables of rtj must; INT8 within a quarter of the exit's logits' RMS —
 * INT8 against FP32 (over all inputs and exits), which covers two tables whose activation quantization differs (AVX2 keeps activations
 * to 7 bits). A label or exit decision is compared only where the scalar answer is not within the bound of
 * a tie: softmax moves no probability by more than half the largest logit change (its Jacobian's rows sum
 * in absolute value to 2 p (1 - p) <= 1/2), so that is the margin a decision needs to be stable. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../kernels/selftest.h"
#include "model.h"

/* Fixed inputs: short and long, positive, negative and mixed, and a pair where the model has segments. */
static const char *const texts[] = {
    "a charming and often affecting journey",
    "unflinchingly bleak and desperate",
    "the movie was a total waste of time , and the acting was even worse than the plot , which says a lot",
    ("it is not a bad film , but it is not a good one either ; it sits somewhere in the middle of a long , "
     "slow afternoon that some will enjoy and many will forget before the credits have finished rolling"),
};
#define N_TEXTS (sizeof texts / sizeof texts[0])
static const char *const pair[2] = {"A man is sleeping on a bench in the park.", "A person rests."};
#define MAX_INPUTS (N_TEXTS + 1)
#define THRESHOLD 0.9f

/* What one table answered on every input: every exit's logits and probabilities, and the exit taken. */
typedef struct answers {
    int n_inputs, num_exits, num_labels;
    float *logits, *probs; /* [input][exit][label] */
    int exit_index[MAX_INPUTS];
} answers;

static void answers_free(answers *a)
{
    free(a->logits);
    free(a->probs);
}

static rtj_status run_model(const char *path, const rtj_load_options *lo, const rtj_kernels *kt, answers *out,
                            rtj_error *err)
{
    memset(out, 0, sizeof *out);
    rtj_model *m = NULL;
    rtj_context *ctx = NULL;
    rtj_status s = rtj_model_load_kernels(path, lo, kt, &m, err);
    if (s != RTJ_OK)
        return s;
    if ((s = rtj_context_new(m, &ctx)) != RTJ_OK) {
        rtj_model_free(m);
        return rtj_fail(err, s, "self-test: %s", rtj_strerror(s));
    }
    rtj_model_info info;
    rtj_model_get_info(m, &info);
    out->n_inputs = (int)N_TEXTS + (info.type_vocab_size >= 2);
    out->num_exits = info.num_exits;
    out->num_labels = info.num_labels;
    const size_t per = (size_t)info.num_exits * (size_t)info.num_labels;
    out->logits = malloc((size_t)out->n_inputs * per * sizeof(float));
    out->probs = malloc((size_t)out->n_inputs * per * sizeof(float));
    if (!out->logits || !out->probs)
        s = rtj_fail(err, RTJ_ERR_NOMEM, "self-test: out of memory");
    const rtj_classify_options opts = {THRESHOLD, 1};
    for (int i = 0; i < out->n_inputs && s == RTJ_OK; i++) {
        rtj_result r;
        s = (size_t)i < N_TEXTS ? rtj_classify(ctx, texts[i], NULL, &opts, &r)
                                : rtj_classify(ctx, pair[0], pair[1], &opts, &r);
        if (s != RTJ_OK) {
            rtj_fail(err, s, "self-test: classifying input %d under %s: %s", i, kt->name, rtj_strerror(s));
            break;
        }
        out->exit_index[i] = r.exit_index;
        for (int e = 0; e < r.num_exits; e++) {
            memcpy(out->logits + i * per + (size_t)e * info.num_labels, r.exits[e].logits, info.num_labels * sizeof(float));
            memcpy(out->probs + i * per + (size_t)e * info.num_labels, r.exits[e].probs, info.num_labels * sizeof(float));
        }
    }
    rtj_context_free(ctx);
    rtj_model_free(m);
    if (s != RTJ_OK)
        answers_free(out);
    return s;
}

/* INT8: a quarter of the RMS of every logit the scalar table gave (all inputs, all exits), as the test suite
 * measures INT8 against FP32 over a whole fixture; per exit it would be tight on an input near a tie. */
static double rms_logits(const answers *ref)
{
    const size_t n = (size_t)ref->n_inputs * (size_t)ref->num_exits * (size_t)ref->num_labels;
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)ref->logits[i] * ref->logits[i];
    return n ? sqrt(ss / (double)n) : 0;
}

static double logit_bound(rtj_dtype dtype, double rms, double z)
{
    return dtype == RTJ_DTYPE_FP32 ? 1e-4 * (1 + fabs(z)) : 0.25 * rms;
}

/* The largest logit change the bound allows on this exit's logits. */
static double exit_bound(int num_labels, rtj_dtype dtype, double rms, const float *z_ref)
{
    double b = 0;
    for (int j = 0; j < num_labels; j++) {
        const double bj = logit_bound(dtype, rms, z_ref[j]);
        b = bj > b ? bj : b;
    }
    return b;
}

static void compare(rtj_selftest_state *s, const answers *ref, const answers *got, rtj_dtype dtype)
{
    const int nl = ref->num_labels;
    const size_t per = (size_t)ref->num_exits * (size_t)nl;
    const double rms = rms_logits(ref);
    for (int i = 0; i < ref->n_inputs; i++) {
        int exit_stable = 1; /* every decision up to the scalar's exit is clear of the threshold */
        for (int e = 0; e < ref->num_exits; e++) {
            const float *zr = ref->logits + i * per + (size_t)e * nl, *zg = got->logits + i * per + (size_t)e * nl;
            const float *pr = ref->probs + i * per + (size_t)e * nl;
            for (int j = 0; j < nl; j++)
                rtj_selftest_value(s, zg[j] - zr[j], logit_bound(dtype, rms, zr[j]),
                                   "input %d exit %d: logit %d = %.7g, scalar %.7g", i, e, j, zg[j], zr[j]);
            const double b = exit_bound(nl, dtype, rms, zr);
            const int top = rtj_top_label(zr, nl);
            double second = -INFINITY;
            for (int j = 0; j < nl; j++)
                if (j != top && zr[j] > second)
                    second = zr[j];
            if (zr[top] - second > 2 * b)
                rtj_selftest_require(s, rtj_top_label(zg, nl) == top, "input %d exit %d: label %d, scalar %d", i, e,
                                     rtj_top_label(zg, nl), top);
            if (e <= ref->exit_index[i] && fabs(pr[rtj_top_label(pr, nl)] - THRESHOLD) <= 0.5 * b)
                exit_stable = 0;
        }
        if (exit_stable)
            rtj_selftest_require(s, got->exit_index[i] == ref->exit_index[i], "input %d: exit %d at threshold %.1f, scalar %d",
                                 i, got->exit_index[i], (double)THRESHOLD, ref->exit_index[i]);
    }
}

/* Every runnable table but scalar's against ref, the model's answers under the scalar table. */
static rtj_status check_model(rtj_selftest_state *s, const char *path, const rtj_load_options *lo, const answers *r,
                              rtj_error *err)
{
    const answers ref = *r;
    rtj_status st = RTJ_OK;
    const char *base = strrchr(path, '/');
    base = base && base[1] ? base + 1 : path;
    for (int isa = RTJ_ISA_SCALAR + 1; isa < RTJ_ISA_COUNT && st == RTJ_OK; isa++) {
        const rtj_kernels *kt = rtj_kernels_for_isa((enum rtj_isa)isa);
        if (!kt)
            continue;
        answers got;
        if ((st = run_model(path, lo, kt, &got, err)) != RTJ_OK)
            break;
        rtj_selftest_begin(s, kt->name, "model %.48s %s: %d inputs x %d exits", base,
                           lo->dtype == RTJ_DTYPE_INT8 ? "int8" : "fp32", ref.n_inputs, ref.num_exits);
        compare(s, &ref, &got, lo->dtype);
        rtj_selftest_end(s);
        answers_free(&got);
    }
    return st;
}

rtj_status rtj_selftest(const char *model_path, const rtj_load_options *opts, rtj_selftest_report_fn report, void *user,
                        int *failed, rtj_error *err)
{
    if (err) {
        err->code = RTJ_OK;
        err->message[0] = '\0';
    }
    if (failed)
        *failed = 0;
    if (opts && opts->dtype != RTJ_DTYPE_FP32 && opts->dtype != RTJ_DTYPE_INT8)
        return rtj_fail(err, RTJ_ERR_ARG, "rtj_selftest: unknown dtype %d", (int)opts->dtype);
    /* The model under the scalar table first: a model that does not load is reported before any check. */
    const rtj_load_options lo = {opts ? opts->dtype : RTJ_DTYPE_FP32, 1};
    answers ref;
    if (model_path) {
        rtj_status st = run_model(model_path, &lo, rtj_kernels_for_isa(RTJ_ISA_SCALAR), &ref, err);
        if (st != RTJ_OK)
            return st;
    }
    rtj_selftest_state s = {.report = report, .user = user};
    rtj_status st = rtj_selftest_kernels(&s) == 0 ? RTJ_OK : rtj_fail(err, RTJ_ERR_NOMEM, "self-test: out of memory");
    if (model_path) {
        if (st == RTJ_OK)
            st = check_model(&s, model_path, &lo, &ref, err);
        answers_free(&ref);
    }
    if (failed)
        *failed = s.failed;
    return st;
}
