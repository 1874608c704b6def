/* A random BERT built straight into the engine's structures (model/model.h), as a checkpoint loader would
 * leave it: weights uniform with the scales of a trained BERT (std about 0.02 for linear layers). */
#include "random_model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../model/model.h"

const bench_shape bench_tinybert = {"tiny", 312, 4, 12, 1200, 4, {0, 1, 2, 3}};
const bench_shape bench_bert_large = {"large", 1024, 24, 16, 4096, 4, {0, 4, 12, 23}};

static void die(const char *what)
{
    fprintf(stderr, "bench: cannot build the random model: %s\n", what);
    exit(1);
}

static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* n floats uniform in [base - scale, base + scale). */
static float *randf(size_t n, float base, float scale, uint64_t *s)
{
    float *x = rtj_alloc(n * sizeof(float));
    if (!x)
        die("out of memory");
    for (size_t i = 0; i < n; i++)
        x[i] = base + scale * ((float)(next(s) >> 40) / 8388608.0f - 1.0f);
    return x;
}

static void linear(rtj_model *m, rtj_linear *l, size_t n, size_t k, uint64_t *s)
{
    float *w = randf(n * k, 0, 0.035f, s), *b = randf(n, 0, 0.02f, s);
    if (rtj_linear_init(m, l, n, k, w, b) != RTJ_OK)
        die("out of memory");
    rtj_free(w), rtj_free(b);
}

rtj_model *bench_random_model(const bench_shape *sh, rtj_dtype dtype, int threads)
{
    const char *vocab = getenv("RTJ_VOCAB");
    if (!vocab)
        vocab = "../shared/data/vocab/bert-base-uncased-vocab.txt";
    char config[512];
    int n = snprintf(config, sizeof config,
                     "{\"hidden_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d, "
                     "\"intermediate_size\": %d, \"vocab_size\": 30522, \"max_position_embeddings\": 512, "
                     "\"num_labels\": 2, \"exit_layers\": [",
                     sh->hidden, sh->layers, sh->heads, sh->ffn);
    for (int k = 0; k < sh->num_exits; k++)
        n += snprintf(config + n, sizeof config - (size_t)n, "%s%d", k ? ", " : "", sh->exit_layers[k]);
    snprintf(config + n, sizeof config - (size_t)n, "]}");
    rtj_model *m = calloc(1, sizeof *m);
    rtj_error err;
    if (!m)
        die("out of memory");
    m->kt = rtj_kernels_get();
    if (!m->kt)
        die(rtj_kernels_error());
    m->dtype = dtype;
    m->threads = threads;
    if (rtj_config_parse(config, strlen(config), &m->cfg, &err) != RTJ_OK)
        die(err.message);
    FILE *f = fopen(vocab, "rb");
    if (!f)
        die("cannot open the vocabulary (set RTJ_VOCAB)");
    m->vocab_text = malloc(1 << 20);
    if (!m->vocab_text)
        die("out of memory");
    m->vocab_len = fread(m->vocab_text, 1, 1 << 20, f);
    fclose(f);
    if (rtj_model_init_tokenizer(m, &err) != RTJ_OK)
        die(err.message);
    const rtj_config *c = &m->cfg;
    const size_t h = (size_t)c->hidden, ff = (size_t)c->intermediate;
    uint64_t s = 42;
    m->word_emb = randf((size_t)c->vocab_size * h, 0, 0.05f, &s);
    if (dtype == RTJ_DTYPE_INT8 && rtj_model_quantize_embeddings(m) != RTJ_OK)
        die("out of memory");
    m->pos_emb = randf((size_t)c->max_positions * h, 0, 0.05f, &s);
    m->type_emb = randf((size_t)c->type_vocab_size * h, 0, 0.05f, &s);
    m->emb_ln_g = randf(h, 1, 0.1f, &s);
    m->emb_ln_b = randf(h, 0, 0.05f, &s);
    if (rtj_model_alloc_layers(m) != RTJ_OK)
        die("out of memory");
    for (int i = 0; i < m->run_layers; i++) {
        rtj_layer_weights *l = &m->layer[i];
        linear(m, &l->qkv, 3 * h, h, &s);
        linear(m, &l->attn_out, h, h, &s);
        linear(m, &l->ffn_in, ff, h, &s);
        linear(m, &l->ffn_out, h, ff, &s);
        l->ln1_g = randf(h, 1, 0.1f, &s), l->ln1_b = randf(h, 0, 0.05f, &s);
        l->ln2_g = randf(h, 1, 0.1f, &s), l->ln2_b = randf(h, 0, 0.05f, &s);
    }
    float *pw = randf(h * h, 0, 0.035f, &s), *pb = randf(h, 0, 0.02f, &s);
    if (rtj_f32_pack_w(m->kt, h, h, pw, h, 0, pb, &m->pooler.f32) != 0)
        die("out of memory");
    rtj_free(pw), rtj_free(pb);
    for (int k = 0; k < c->num_exits; k++) {
        rtj_exit_head *e = &m->exits[k];
        e->layer = c->exit_layers[k];
        e->temperature = c->exit_temps[k];
        /* Large enough that the exits disagree in confidence, so thresholds split the inputs. */
        e->weight = randf((size_t)c->num_labels * h, 0, 1.0f, &s);
        e->bias = randf((size_t)c->num_labels, 0, 0.1f, &s);
        m->pool_needed[e->layer] = 1;
    }
    return m;
}

void bench_model_limit_exits(rtj_model *m, int exits)
{
    m->cfg.num_exits = exits;
    m->run_layers = m->cfg.exit_layers[exits - 1] + 1;
}

void bench_model_set_threads(rtj_model *m, int threads) { m->threads = threads; }
