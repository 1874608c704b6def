/* A context: one thread's scratch for the forward pass, sized for the model's longest input. */
#ifndef RTJ_CONTEXT_H
#define RTJ_CONTEXT_H

#include "model.h"

struct rtj_context {
    const rtj_model *model;
    size_t max_tokens;
    float *h, *h1;      /* [tokens, hidden]: the layer's input/output and the post-attention state */
    float *qkv;         /* [tokens, 3 hidden] */
    float *attn;        /* [tokens, hidden] */
    float *ffn;         /* [tokens, intermediate] */
    struct rtj_pool *pool;  /* this context's threads */
    float *attn_scratch;    /* one area of attn_scratch_len floats per thread */
    size_t attn_scratch_len;
    void *q8_scratch;   /* quantized activations of the widest input */
    float *pooled;      /* [layers, hidden]: pooled [CLS] of each layer some exit reads */
    float *exit_x;      /* [hidden]: an exit's mixed input */
    float *logits, *probs; /* [exits, labels] */
    rtj_exit_output *exit_out;
    rtj_tok_output tok_out;
};

#endif
