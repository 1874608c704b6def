/* A context: one thread's scratch for the forward pass. Token rows of a batch are packed (no padding), so
 * the row buffers grow with the largest batch seen; per-instance state grows with the batch size. */
#ifndef RTJ_CONTEXT_H
#define RTJ_CONTEXT_H

#include "model.h"

struct rtj_context {
    const rtj_model *model;
    struct rtj_pool *pool;  /* this context's threads */
    double split_scale;     /* scales forward.c's work thresholds per thread: 1; the tests set 0 so that every
                             * operation is split among all threads, however small */
    size_t max_tokens;      /* one sequence: max_position_embeddings */

    /* Rows: all tokens of the instances still in flight, instance after instance. */
    size_t rows_cap;
    float *h, *h1;          /* [rows, hidden]: layer input/output, and the state after attention */
    float *qkv;             /* [rows, 3 hidden] */
    float *attn;            /* [rows, hidden] */
    float *ffn;             /* [rows, intermediate] */
    void *q8_scratch;       /* rtj_q8_quantized_act of the widest layer input */

    float *attn_scratch;    /* one rtj_f32_attention_worker_scratch per thread */

    /* Instances. */
    size_t inst_cap;
    size_t *act;            /* the instances in flight, in row order */
    size_t *act_off;        /* their first row */
    size_t *len;            /* tokens of each instance (by input index) */
    size_t *lens;           /* rtj_classify_batch's token counts */
    int *answer, *layers_run;
    float *pooled;          /* [instances, layers, hidden]: pooled [CLS] of each layer an exit reads */
    float *cls, *cls_out;   /* [instances, hidden]: [CLS] rows gathered for the pooler, and its output */
    float *exit_x;          /* [hidden] */
    float *logits, *probs;  /* [instances, exits, labels] */
    rtj_exit_output *exit_out; /* [instances, exits] */
    int nonfinite;             /* an exit's logits left float range in this call: its answer would be made up */
    rtj_tok_output *tok;    /* [tok_cap]: tokenizer outputs, reused (zeroed = initialised) */
    size_t tok_cap;
    const int32_t **ids_ptr, **types_ptr;
    int32_t *iota;          /* [max_tokens]: 0, 1, 2, ... */
};

/* Grows the buffers to hold `rows` token rows and `instances` instances. */
rtj_status rtj_context_reserve(rtj_context *c, size_t rows, size_t instances);

/* The batch forward pass behind every classify call: each instance leaves at its own exit. */
rtj_status rtj_forward_batch(rtj_context *c, size_t n, const size_t *lens, const int32_t *const *ids,
                             const int32_t *const *types, const rtj_classify_options *opts, rtj_result *out);

#endif
