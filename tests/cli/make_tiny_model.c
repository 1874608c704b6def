/* make_tiny_model: writes a small random BERT checkpoint with early exits for the CLI tests
 * (tests/test_cli.sh): config.json, vocab.txt and model.safetensors in the Hugging Face layout plus rtj's
 * exit heads. 2 layers, hidden 32, 2 heads, FFN 64, 64 positions (so that truncation is easy to reach),
 * exits after layers 0 and 1 (exit 1 with a `mix`), labels negative/positive.
 *
 * usage: make_tiny_model DIR [--seed N] [--temps T0,T1] [--weight-scale S]
 * (--weight-scale multiplies every matrix: 1e30 gives finite weights whose products overflow float)
 *
 * It lives in tests/cli/ rather than tests/ because every .c file directly in tests/ is linked into the Criterion suite,
 * whose main() this program's would replace. No dependencies: the tests must not need Python. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum { HIDDEN = 32, LAYERS = 2, HEADS = 2, FFN = 64, POSITIONS = 64, TYPES = 2, LABELS = 2 };

static uint64_t rng_state;

static double uniform(void) /* splitmix64, in [0, 1) */
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

typedef struct tensor {
    char name[96];
    int ndim;
    size_t shape[2];
    float *data;
} tensor;

static tensor tensors[128];
static float weight_scale = 1; /* --weight-scale */
static int n_tensors;

/* A tensor filled with uniform values in [center - scale, center + scale]. */
static void add(const char *name, size_t rows, size_t cols, float center, float scale)
{
    tensor *t = &tensors[n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = rows ? 2 : 1;
    t->shape[0] = rows ? rows : cols;
    t->shape[1] = cols;
    const size_t n = (rows ? rows : 1) * cols;
    t->data = malloc(n * sizeof(float));
    if (!t->data) {
        fprintf(stderr, "make_tiny_model: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < n; i++)
        t->data[i] = (center + scale * (float)(2.0 * uniform() - 1.0)) * (rows ? weight_scale : 1);
}

static size_t numel(const tensor *t) { return t->ndim == 2 ? t->shape[0] * t->shape[1] : t->shape[0]; }

/* A vocabulary in which every lowercase text tokenizes into something: the special tokens, some words,
 * every ASCII letter, digit and punctuation mark, and their ## continuations. */
static int write_vocab(const char *dir)
{
    static const char *const words[] = {
        "the", "a", "an", "and", "is", "it", "of", "to", "in", "this", "that", "was", "movie", "film",
        "good", "great", "bad", "awful", "fun", "boring", "not", "very", "story", "acting", "man", "woman",
        "dog", "cat", "sleeps", "runs", "person", "people", "two", "play", "##s", "##ing", "##ed", "##ly"};
    char path[4096];
    snprintf(path, sizeof path, "%s/vocab.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int n = 0;
    fprintf(f, "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n");
    n += 5;
    for (size_t i = 0; i < sizeof words / sizeof *words; i++, n++)
        fprintf(f, "%s\n", words[i]);
    for (int c = 33; c < 127; c++) {
        if (c >= 'A' && c <= 'Z')
            continue;
        fprintf(f, "%c\n##%c\n", c, c);
        n += 2;
    }
    return fclose(f) == 0 ? n : -1;
}

static int write_config(const char *dir, int vocab_size, const char *temps)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fprintf(f,
            "{\n  \"architectures\": [\"BertForSequenceClassification\"],\n  \"model_type\": \"bert\",\n"
            "  \"hidden_size\": %d,\n  \"num_hidden_layers\": %d,\n  \"num_attention_heads\": %d,\n"
            "  \"intermediate_size\": %d,\n  \"vocab_size\": %d,\n  \"max_position_embeddings\": %d,\n"
            "  \"type_vocab_size\": %d,\n  \"layer_norm_eps\": 1e-12,\n  \"hidden_act\": \"gelu\",\n"
            "  \"id2label\": {\"0\": \"negative\", \"1\": \"positive\"},\n"
            "  \"label2id\": {\"negative\": 0, \"positive\": 1},\n  \"exit_layers\": [0, 1]",
            HIDDEN, LAYERS, HEADS, FFN, vocab_size, POSITIONS, TYPES);
    if (temps)
        fprintf(f, ",\n  \"exit_temperatures\": [%s]", temps);
    fprintf(f, "\n}\n");
    return fclose(f);
}

static int write_safetensors(const char *dir)
{
    size_t cap = 64 * 1024, len = 0, off = 0;
    char *hdr = malloc(cap);
    if (!hdr)
        return -1;
    len += (size_t)snprintf(hdr + len, cap - len, "{\"__metadata__\": {\"format\": \"pt\"}");
    for (int i = 0; i < n_tensors; i++) {
        const tensor *t = &tensors[i];
        const size_t bytes = numel(t) * sizeof(float);
        if (t->ndim == 2)
            len += (size_t)snprintf(hdr + len, cap - len, ", \"%s\": {\"dtype\": \"F32\", \"shape\": [%zu, %zu], "
                                    "\"data_offsets\": [%zu, %zu]}", t->name, t->shape[0], t->shape[1], off, off + bytes);
        else
            len += (size_t)snprintf(hdr + len, cap - len, ", \"%s\": {\"dtype\": \"F32\", \"shape\": [%zu], "
                                    "\"data_offsets\": [%zu, %zu]}", t->name, t->shape[0], off, off + bytes);
        off += bytes;
    }
    len += (size_t)snprintf(hdr + len, cap - len, "}");
    while (len % 8) /* the header is padded with spaces to 8 bytes, as the reference writer does */
        hdr[len++] = ' ';
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    FILE *f = fopen(path, "wb");
    if (!f) {
        free(hdr);
        return -1;
    }
    unsigned char n8[8];
    for (int i = 0; i < 8; i++)
        n8[i] = (unsigned char)((uint64_t)len >> (8 * i));
    int bad = fwrite(n8, 1, 8, f) != 8 || fwrite(hdr, 1, len, f) != len;
    for (int i = 0; i < n_tensors && !bad; i++) /* little-endian hosts only: x86-64 and aarch64 */
        bad = fwrite(tensors[i].data, sizeof(float), numel(&tensors[i]), f) != numel(&tensors[i]);
    free(hdr);
    return fclose(f) != 0 || bad ? -1 : 0;
}

int main(int argc, char **argv)
{
    const char *dir = NULL, *temps = NULL;
    uint64_t seed = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--temps") == 0 && i + 1 < argc)
            temps = argv[++i];
        else if (strcmp(argv[i], "--weight-scale") == 0 && i + 1 < argc)
            weight_scale = strtof(argv[++i], NULL);
        else if (argv[i][0] != '-' && !dir)
            dir = argv[i];
        else {
            fprintf(stderr, "usage: make_tiny_model DIR [--seed N] [--temps T0,T1] [--weight-scale S]\n");
            return 2;
        }
    }
    if (!dir) {
        fprintf(stderr, "usage: make_tiny_model DIR [--seed N] [--temps T0,T1] [--weight-scale S]\n");
        return 2;
    }
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "make_tiny_model: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    rng_state = seed;
    const int vocab = write_vocab(dir);
    if (vocab < 0 || write_config(dir, vocab, temps) != 0) {
        fprintf(stderr, "make_tiny_model: cannot write into %s\n", dir);
        return 1;
    }
    /* Scales: large enough that the exits' confidence varies from input to input (some leave at exit 0
     * at a threshold of 0.7, some do not), which is what the eval and calibration tests need. */
    add("embeddings.word_embeddings.weight", (size_t)vocab, HIDDEN, 0, 1.0f);
    add("embeddings.position_embeddings.weight", POSITIONS, HIDDEN, 0, 0.5f);
    add("embeddings.token_type_embeddings.weight", TYPES, HIDDEN, 0, 0.5f);
    add("embeddings.LayerNorm.weight", 0, HIDDEN, 1, 0.1f);
    add("embeddings.LayerNorm.bias", 0, HIDDEN, 0, 0.1f);
    char name[96];
    for (int l = 0; l < LAYERS; l++) {
        static const char *const lin[][2] = {{"attention.self.query", "h"}, {"attention.self.key", "h"},
                                             {"attention.self.value", "h"}, {"attention.output.dense", "h"},
                                             {"intermediate.dense", "f"}, {"output.dense", "o"}};
        for (int j = 0; j < 6; j++) {
            const size_t out = lin[j][1][0] == 'f' ? FFN : HIDDEN, in = lin[j][1][0] == 'o' ? FFN : HIDDEN;
            snprintf(name, sizeof name, "encoder.layer.%d.%s.weight", l, lin[j][0]);
            add(name, out, in, 0, 1.0f / sqrtf((float)in) * 1.7f);
            snprintf(name, sizeof name, "encoder.layer.%d.%s.bias", l, lin[j][0]);
            add(name, 0, out, 0, 0.1f);
        }
        static const char *const ln[] = {"attention.output.LayerNorm", "output.LayerNorm"};
        for (int j = 0; j < 2; j++) {
            snprintf(name, sizeof name, "encoder.layer.%d.%s.weight", l, ln[j]);
            add(name, 0, HIDDEN, 1, 0.1f);
            snprintf(name, sizeof name, "encoder.layer.%d.%s.bias", l, ln[j]);
            add(name, 0, HIDDEN, 0, 0.1f);
        }
    }
    add("pooler.dense.weight", HIDDEN, HIDDEN, 0, 0.5f);
    add("pooler.dense.bias", 0, HIDDEN, 0, 0.1f);
    for (int k = 0; k < 2; k++) {
        snprintf(name, sizeof name, "exits.%d.classifier.weight", k);
        add(name, LABELS, HIDDEN, 0, 0.6f);
        snprintf(name, sizeof name, "exits.%d.classifier.bias", k);
        add(name, 0, LABELS, 0, 0.2f);
    }
    add("exits.1.mix", 0, 2, 0.5f, 0.2f);
    int rc = write_safetensors(dir);
    for (int i = 0; i < n_tensors; i++)
        free(tensors[i].data);
    if (rc != 0) {
        fprintf(stderr, "make_tiny_model: cannot write %s/model.safetensors\n", dir);
        return 1;
    }
    return 0;
}
