/* Benchmark-only: a BERT of any shape with random weights, written as a Hugging Face checkpoint into a
 * temporary directory and loaded through the public API (include/rtj.h), as a user's checkpoint would be:
 * the benchmarks reach no engine internals. It carries the real uncased vocabulary, so that real
 * sentences can be tokenized. */
#ifndef RTJ_BENCH_RANDOM_MODEL_H
#define RTJ_BENCH_RANDOM_MODEL_H

#include "../include/rtj.h"

typedef struct bench_shape {
    const char *name; /* "tiny", "large" */
    int hidden, layers, heads, ffn;
    int num_exits;
    int exit_layers[8];
    int mix; /* 1: each exit reads a mix of the pooled [CLS] of every layer up to its own (exits.k.mix) */
} bench_shape;

extern const bench_shape bench_tinybert, bench_bert_large;
/* The same with mixed pooled layers, the paper's setup: "tiny-mix", "large-mix". */
extern const bench_shape bench_tinybert_mix, bench_bert_large_mix;

typedef struct bench_checkpoint bench_checkpoint;

/* Writes a random checkpoint of shape s (weights uniform with the scales of a trained BERT: std about 0.02
 * for linear layers) under $TMPDIR (else /tmp): one model.safetensors and, for each count k of exits
 * kept, a directory whose config.json lists the first k exits only (the loader then reads and runs no
 * layer above the last of them: how the benchmarks force an exit). The vocabulary is $RTJ_VOCAB, else
 * ../shared/data/vocab/bert-base-uncased-vocab.txt. Exits the program with a message on failure. */
bench_checkpoint *bench_random_checkpoint(const bench_shape *s);
/* Loads the checkpoint with its first `exits` exits (1..num_exits), in dtype, with `threads` threads per
 * context. Exits the program with a message on failure. */
rtj_model *bench_checkpoint_load(const bench_checkpoint *ck, int exits, rtj_dtype dtype, int threads);
/* Deletes the files and frees ck. */
void bench_checkpoint_remove(bench_checkpoint *ck);

#endif
