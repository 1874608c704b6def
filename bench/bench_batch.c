/* The layer scheduler on real sentences (random weights): throughput and mean batch latency for
 * (a) padded batches without exit (every instance padded with [PAD] to the longest of its batch: how
 *     padded engines run; built here and run through the public API, see pad_corpus),
 * (b) packed batches without exit (all tokens stacked, no padding), and (c) packed batches with
 * per-instance early exit at a few thresholds; batch sizes 1, 8 and 32, 1 and 2 threads, TinyBERT and
 * BERT-large shapes, on the SST-2 dev sentences and SNLI test pairs of ../shared/data.
 * Only the forward pass is timed: every text is tokenized once, before. Random weights make the exits'
 * confidences arbitrary but real: the layers saved are reported next to the speed-up they bring. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../include/rtj.h"
#include "../include/rtj_tokenizer.h"
#include "bench_common.h"
#include "random_model.h"

typedef struct corpus {
    const char *name;
    size_t n;
    size_t *len;
    int32_t **ids, **types;
} corpus;

/* Reads the first max lines of a TSV (after its header): column 0, or columns 0 and 1 as a pair. */
static void read_corpus(corpus *c, const char *name, const char *path, int pair, size_t max, const rtj_model *m)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "bench_batch: cannot open %s (run from the repository root)\n", path);
        exit(1);
    }
    c->name = name;
    c->n = 0;
    c->len = malloc(max * sizeof *c->len);
    c->ids = malloc(max * sizeof *c->ids);
    c->types = malloc(max * sizeof *c->types);
    char line[8192];
    rtj_tok_output out;
    rtj_tok_output_init(&out);
    if (!fgets(line, sizeof line, f)) /* header */
        exit(1);
    while (c->n < max && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        const char *b = pair ? tab + 1 : NULL;
        if (pair) {
            char *tab2 = strchr(tab + 1, '\t');
            if (tab2)
                *tab2 = '\0';
        }
        if (rtj_tokenize(rtj_model_tokenizer(m), line, strlen(line), b, b ? strlen(b) : 0, 512, &out) != RTJ_TOK_OK)
            exit(1);
        c->len[c->n] = out.n;
        c->ids[c->n] = malloc(out.n * sizeof(int32_t));
        c->types[c->n] = malloc(out.n * sizeof(int32_t));
        memcpy(c->ids[c->n], out.ids, out.n * sizeof(int32_t));
        memcpy(c->types[c->n], out.type_ids, out.n * sizeof(int32_t));
        c->n++;
    }
    rtj_tok_output_free(&out);
    fclose(f);
}

/* The padded baseline: each batch of `batch` instances padded with [PAD] tokens (type 0) to the longest
 * of the batch, so a padded batch is n x longest token rows through every GEMM and longest x longest
 * attention per instance, at full depth (no exit), as a padded engine runs it. The only work of a padded
 * engine missing here is the attention mask's add (one float per score row entry, on the softmax's
 * input): the public API has no mask, which changes what the padded instances answer but not what they
 * cost, and the answers are not used. */
static void pad_corpus(const corpus *c, size_t batch, int32_t pad_id, corpus *out)
{
    out->name = c->name;
    out->n = c->n;
    out->len = malloc(c->n * sizeof *out->len);
    out->ids = malloc(c->n * sizeof *out->ids);
    out->types = malloc(c->n * sizeof *out->types);
    if (!out->len || !out->ids || !out->types)
        exit(1);
    for (size_t i = 0; i < c->n; i += batch) {
        const size_t b = c->n - i < batch ? c->n - i : batch;
        size_t longest = 0;
        for (size_t j = i; j < i + b; j++)
            longest = c->len[j] > longest ? c->len[j] : longest;
        for (size_t j = i; j < i + b; j++) {
            out->len[j] = longest;
            out->ids[j] = malloc(longest * sizeof(int32_t));
            out->types[j] = calloc(longest, sizeof(int32_t));
            if (!out->ids[j] || !out->types[j])
                exit(1);
            memcpy(out->ids[j], c->ids[j], c->len[j] * sizeof(int32_t));
            memcpy(out->types[j], c->types[j], c->len[j] * sizeof(int32_t));
            for (size_t t = c->len[j]; t < longest; t++)
                out->ids[j][t] = pad_id;
        }
    }
}

static void free_corpus(corpus *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->ids[i]), free(c->types[i]);
    free(c->len), free(c->ids), free(c->types);
}

typedef struct run {
    rtj_context *ctx;
    const corpus *cp;
    size_t batch;
    float threshold;
    rtj_result *res;
    double layers; /* mean layers run, from the last pass */
} run;

/* The whole corpus once, batch after batch. */
static void run_all(void *p)
{
    run *r = p;
    double layers = 0;
    for (size_t i = 0; i < r->cp->n; i += r->batch) {
        const size_t b = r->cp->n - i < r->batch ? r->cp->n - i : r->batch;
        rtj_classify_options o = {r->threshold, 0};
        if (rtj_classify_ids_batch(r->ctx, b, r->cp->len + i, (const int32_t *const *)r->cp->ids + i,
                                   (const int32_t *const *)r->cp->types + i, &o, r->res) != RTJ_OK) {
            fprintf(stderr, "bench_batch: forward failed\n");
            exit(1);
        }
        for (size_t j = 0; j < b; j++)
            layers += r->res[j].layers_run;
        bench_consume(r->res[0].probs, (size_t)r->res[0].num_labels);
    }
    r->layers = layers / (double)r->cp->n;
}

static int cmp_float(const void *a, const void *b)
{
    const float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

static void measure(const bench_shape *s, rtj_model *m, const corpus *cp, int threads)
{
    rtj_context *ctx;
    if (rtj_context_new(m, &ctx) != RTJ_OK)
        exit(1);
    rtj_result *res = malloc(32 * sizeof *res);
    static const size_t batches[] = {1, 8, 32};
    /* Thresholds at the quartiles of the first exit's confidence over this corpus, so that about 1/4,
     * 1/2 and 3/4 of the inputs can leave there (random weights have no meaningful fixed threshold). */
    float thresholds[3];
    {
        float *conf = malloc(cp->n * sizeof *conf);
        rtj_classify_options all = {RTJ_NO_EARLY_EXIT, 1};
        for (size_t i = 0; i < cp->n; i++) {
            rtj_result r;
            if (rtj_classify_ids(ctx, cp->len[i], cp->ids[i], cp->types[i], &all, &r) != RTJ_OK)
                exit(1);
            conf[i] = r.exits[0].probs[0] > r.exits[0].probs[1] ? r.exits[0].probs[0] : r.exits[0].probs[1];
        }
        qsort(conf, cp->n, sizeof *conf, cmp_float);
        for (int q = 0; q < 3; q++)
            thresholds[q] = conf[cp->n * (size_t)(3 - q) / 4 < cp->n ? cp->n * (size_t)(3 - q) / 4 : cp->n - 1];
        free(conf);
    }
    double tokens = 0;
    for (size_t i = 0; i < cp->n; i++)
        tokens += (double)cp->len[i];
    const int32_t pad_id = rtj_vocab_special(rtj_tokenizer_vocab(rtj_model_tokenizer(m)), RTJ_TOKEN_PAD);
    for (size_t bi = 0; bi < 3; bi++) {
        double packed_full = 0;
        corpus padded = {0};
        if (batches[bi] > 1)
            pad_corpus(cp, batches[bi], pad_id, &padded);
        for (int mode = 0; mode < 5; mode++) {
            /* mode 0: padded, no exit; 1: packed, no exit; 2..4: packed with exit at thresholds[mode - 2]. */
            if (batches[bi] == 1 && mode == 0)
                continue; /* a batch of one has nothing to pad */
            if (bench_opt.quick && mode > 2)
                continue;
            run r = {ctx, mode == 0 ? &padded : cp, batches[bi], mode < 2 ? RTJ_NO_EARLY_EXIT : thresholds[mode - 2],
                     res, 0};
            bench_result br;
            bench_time(run_all, &r, &br);
            const double seq_s = (double)cp->n / br.sec;
            const double batch_ms = br.sec / (double)((cp->n + batches[bi] - 1) / batches[bi]) * 1e3;
            if (mode == 1)
                packed_full = seq_s;
            const double full_layers = s->exit_layers[s->num_exits - 1] + 1;
            /* With exits: the speed-up over packed-without-exit against the ideal, layers saved. */
            const double speedup = mode >= 2 && packed_full > 0 ? seq_s / packed_full : -1;
            const double ideal = full_layers / r.layers;
            char what[32];
            snprintf(what, sizeof what, mode == 0 ? "padded" : mode == 1 ? "packed" : "packed+exit@%.4f",
                     mode >= 2 ? (double)thresholds[mode - 2] : 0.0);
            if (bench_opt.json) {
                bench_rec rec;
                bench_rec_begin(&rec, "batch");
                bench_rec_str(&rec, "model", s->name);
                bench_rec_str(&rec, "data", cp->name);
                bench_rec_str(&rec, "mode", mode == 0 ? "padded" : mode == 1 ? "packed" : "packed_exit");
                bench_rec_num(&rec, "threshold", mode >= 2 ? (double)thresholds[mode - 2] : -1);
                bench_rec_int(&rec, "batch", (long long)batches[bi]);
                bench_rec_int(&rec, "threads", threads);
                bench_rec_num(&rec, "seq_per_s", seq_s);
                bench_rec_num(&rec, "batch_ms", batch_ms);
                bench_rec_num(&rec, "mean_layers", r.layers);
                bench_rec_num(&rec, "speedup_vs_packed", speedup);
                bench_rec_num(&rec, "ideal_speedup", mode >= 2 ? ideal : -1);
                bench_rec_num(&rec, "other_load", br.other_load);
                bench_rec_end(&rec);
            } else {
                printf("%-5s %-5s batch %2zu threads %d %-20s %9.1f seq/s %9.2f ms/batch  layers %5.2f", s->name,
                       cp->name, batches[bi], threads, what, seq_s, batch_ms, r.layers);
                if (mode >= 2)
                    printf("  x%.2f vs packed (ideal x%.2f: %.0f%%)", speedup, ideal, 100 * speedup / ideal);
                printf("  other %.2f\n", br.other_load);
            }
        }
        if (batches[bi] > 1)
            free_corpus(&padded);
    }
    (void)tokens;
    free(res);
    rtj_context_free(ctx);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0); /* a long run shows its lines as they come */
    int rc = bench_init(argc, argv, "batches with per-instance early exit vs padded and packed batches, real sentences");
    if (rc >= 0)
        return rc;
    double peak;
    bench_report_machine("bench_batch: sequences/s over real sentences", 0, &peak, NULL);
    const bench_shape *shapes[] = {&bench_tinybert, &bench_bert_large};
    for (size_t si = 0; si < (bench_opt.quick ? 1 : 2); si++) {
        if (bench_opt.model && strcmp(bench_opt.model, shapes[si]->name) != 0)
            continue;
        bench_checkpoint *ck = bench_random_checkpoint(shapes[si]);
        rtj_model *m = bench_checkpoint_load(ck, shapes[si]->num_exits, RTJ_DTYPE_FP32, 1);
        /* BERT-large takes about 1/40 s per SST-2 sentence: 32 sentences, SST-2 and 1 thread only, keep
         * its lines near ten seconds each (TinyBERT: the whole dev set, both corpora, 1 and 2 threads). */
        const size_t max = bench_opt.quick ? 16 : si == 0 ? 872 : 32;
        corpus sst, snli;
        read_corpus(&sst, "sst2", "../shared/data/sst2/glue_sst2_dev.tsv", 0, max, m);
        read_corpus(&snli, "snli", "../shared/data/snli/snli_test_becel.tsv", 1, max, m);
        for (int threads = 1; threads <= (bench_opt.quick || si == 1 ? 1 : 2); threads++) {
            /* Threads are a load option: a model of its own for each count (the corpora, tokenized once,
             * do not depend on it). */
            rtj_model *mt = threads == 1 ? m : bench_checkpoint_load(ck, shapes[si]->num_exits, RTJ_DTYPE_FP32, threads);
            measure(shapes[si], mt, &sst, threads);
            if (!bench_opt.quick && si == 0)
                measure(shapes[si], mt, &snli, threads);
            if (mt != m)
                rtj_model_free(mt);
        }
        free_corpus(&sst), free_corpus(&snli);
        rtj_model_free(m);
        bench_checkpoint_remove(ck);
    }
    return 0;
}
