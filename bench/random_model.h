/* Benchmark-only: a BERT of any shape with random weights, built in memory (no checkpoint on disk), with
 * the real uncased vocabulary so that real sentences can be tokenized. */
#ifndef RTJ_BENCH_RANDOM_MODEL_H
#define RTJ_BENCH_RANDOM_MODEL_H

#include "../include/rtj.h"

typedef struct bench_shape {
    const char *name; /* "tiny", "large" */
    int hidden, layers, heads, ffn;
    int num_exits;
    int exit_layers[8];
} bench_shape;

extern const bench_shape bench_tinybert, bench_bert_large;

/* The vocabulary file: $RTJ_VOCAB, else ../shared/data/vocab/bert-base-uncased-vocab.txt. Exits the
 * program with a message when the model cannot be built. */
rtj_model *bench_random_model(const bench_shape *s, rtj_dtype dtype, int threads);
/* Limits the model to its first `exits` exits (the forward pass then stops at the last of them): how the
 * benchmarks force an exit. Not thread-safe. Set the full count back before rtj_model_free, which frees
 * what the count covers. */
void bench_model_limit_exits(rtj_model *m, int exits);
/* Threads of the contexts made from now on. */
void bench_model_set_threads(rtj_model *m, int threads);

#endif
