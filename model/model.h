/* The loaded model and the pieces of the engine that see inside it. Internal. */
#ifndef RTJ_MODEL_H
#define RTJ_MODEL_H

#include <stdarg.h>

#include "../include/rtj.h"
#include "../include/rtj_tokenizer.h"
#include "../kernels/rtj_kernels.h"

/* What config.json says, validated. */
typedef struct rtj_config {
    int hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab_size;
    float eps;
    int num_labels;
    int num_exits;
    int *exit_layers;    /* num_exits, ascending, each < layers */
    float *exit_temps;   /* num_exits, > 0 */
    char **labels;       /* num_labels */
    int has_exit_layers; /* 0: a plain BertForSequenceClassification, one exit at the top */
    int do_lower_case;
} rtj_config;

/* One linear layer in the dtype the model was loaded with. */
typedef struct rtj_linear {
    rtj_f32_packed_w f32;
    rtj_q8_packed_w q8;
    int is_q8;
    int borrowed; /* the arrays lie in a mapped .rtj file: not ours to free */
} rtj_linear;

typedef struct rtj_layer_weights {
    rtj_linear qkv;      /* query, key and value fused: N = 3 * hidden, one GEMM instead of three */
    rtj_linear attn_out; /* + residual, then LayerNorm 1 */
    rtj_linear ffn_in;   /* + exact GELU */
    rtj_linear ffn_out;  /* + residual, then LayerNorm 2 */
    float *ln1_g, *ln1_b, *ln2_g, *ln2_b;
} rtj_layer_weights;

typedef struct rtj_exit_head {
    int layer;
    float temperature;
    float *mix;    /* layer + 1 weights, or NULL: the pooled vector of `layer` alone */
    float *weight; /* [num_labels, hidden] */
    float *bias;   /* [num_labels] */
} rtj_exit_head;

struct rtj_model {
    rtj_config cfg;
    const rtj_kernels *kt;
    rtj_dtype dtype;
    int threads;
    int run_layers; /* layers that can ever run: the last exit's layer + 1 */
    float *word_emb, *pos_emb, *type_emb, *emb_ln_g, *emb_ln_b;
    /* INT8 models: the word embeddings as INT8 rows with a scale each (31M of BERT-large's 335M weights
     * and most of a small model's file); word_emb is then NULL. */
    int8_t *word_q;
    float *word_scale;
    int word_q_owned; /* quantized here (not borrowed from a mapped file) */
    rtj_layer_weights *layer;
    rtj_linear pooler; /* always FP32 */
    rtj_exit_head *exits;
    unsigned char *pool_needed; /* per layer: some exit reads this layer's pooled [CLS] */
    char *vocab_text;           /* vocab.txt as read: kept so that the model can be saved whole */
    size_t vocab_len;
    rtj_vocab *vocab;
    rtj_tokenizer *tok;
    void *map; /* a mapped .rtj file: the raw arrays (embeddings, LayerNorm, exits) point into it */
    size_t map_size;
    int map_owned; /* map is our mmap, unmapped by rtj_model_free (not a caller's buffer) */
};

/* model/ in layers, each file calling only files below it (none calls back up):
 *   api.c                        public entry points: dispatches a load to one of the two loaders
 *   load_hf.c, rtj_file_load.c   the loaders;  rtj_file.c, config_write.c: the writers
 *   build.c                      model construction and freeing, shared by the loaders
 *   config.c, safetensors.c      what the loaders parse;  file_io.c: whole files read and replaced;
 *                                rtj_sum.c: the .rtj weight checksum
 *   error.c, json.c              messages and the JSON reader, at the bottom
 * forward.c, context.c and pool.c run a built model and call none of the files above. */

/* Returns the status of expr from the calling function unless it is RTJ_OK. */
#define TRY(expr)                                                                                       \
    do {                                                                                               \
        rtj_status s_ = (expr);                                                                        \
        if (s_ != RTJ_OK)                                                                              \
            return s_;                                                                                 \
    } while (0)

/* ---- error.c ----------------------------------------------------------------------------------------- */
/* Formats a message into err (which may be NULL) and returns code. */
rtj_status rtj_fail(rtj_error *err, rtj_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- build.c: construction, below the loaders -------------------------------------------------------- */
/* Allocates the layer, exit and pool_needed arrays for m->cfg and sets run_layers (layers above the last
 * exit are never loaded nor run). */
rtj_status rtj_model_alloc_layers(rtj_model *m);

/* Builds the vocabulary and tokenizer from m->vocab_text. */
rtj_status rtj_model_init_tokenizer(rtj_model *m, rtj_error *err);

/* INT8 models: quantizes m->word_emb into word_q / word_scale (symmetric, one scale per row) and frees
 * the FP32 table (unless it lies in a mapped file). */
rtj_status rtj_model_quantize_embeddings(rtj_model *m);

/* The index of the first NaN or ±Inf among x[0..n), or n when every value is finite: a non-finite weight
 * would reach the forward pass as a made-up answer (and the INT8 quantizers as a meaningless range), so
 * both loaders and the writer refuse one, naming the tensor. */
size_t rtj_first_nonfinite(const float *x, size_t n);
/* "NaN", "+Inf" or "-Inf": what x is, for those messages. */
const char *rtj_nonfinite_name(float x);

/* Packs W [n, k] (+ bias) in the model's dtype. */
rtj_status rtj_linear_init(const rtj_model *m, rtj_linear *l, size_t n, size_t k, const float *w,
                           const float *bias);
void rtj_linear_free(rtj_linear *l);

/* ---- config.c ---------------------------------------------------------------------------------------- */
rtj_status rtj_config_parse(const char *text, size_t len, rtj_config *cfg, rtj_error *err);
void rtj_config_free(rtj_config *cfg);

/* ---- the loaders ------------------------------------------------------------------------------------- */
/* Loads a Hugging Face checkpoint directory into a model whose cfg, kt, dtype and threads are set. */
rtj_status rtj_load_hf_dir(const char *dir, rtj_model *m, rtj_error *err);

/* Loads an .rtj file into a model whose kt, dtype and threads are set. */
rtj_status rtj_load_rtj_file(const char *path, rtj_model *m, rtj_error *err);
/* The same from the caller's 64-byte aligned buffer of size bytes (name stands for the path in messages),
 * which the model borrows: it must outlive the model (for the fuzz tests, which need exact bounds). */
rtj_status rtj_load_rtj_buffer(const void *base, size_t size, const char *name, rtj_model *m, rtj_error *err);

/* rtj_model_load with the kernel table given rather than this process's (api.c): how the self-test runs
 * one model under every table the CPU can run. */
rtj_status rtj_model_load_kernels(const char *path, const rtj_load_options *opts, const rtj_kernels *kt,
                                  rtj_model **out, rtj_error *err);

#endif
