/* A random BERT written as a Hugging Face checkpoint (config.json, model.safetensors, vocab.txt) and
 * loaded with rtj_model_load. The weights are generated and written one tensor at a time, so BERT-large
 * (1.3 GB of FP32) never needs a second copy in memory; writing it takes a few seconds, and each load
 * packs (or quantizes) the weights exactly as a user's load does. */
#include "random_model.h"

#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const bench_shape bench_tinybert = {"tiny", 312, 4, 12, 1200, 4, {0, 1, 2, 3}, 0};
const bench_shape bench_bert_large = {"large", 1024, 24, 16, 4096, 4, {0, 4, 12, 23}, 0};
const bench_shape bench_tinybert_mix = {"tiny-mix", 312, 4, 12, 1200, 4, {0, 1, 2, 3}, 1};
const bench_shape bench_bert_large_mix = {"large-mix", 1024, 24, 16, 4096, 4, {0, 4, 12, 23}, 1};

enum { VOCAB = 30522, POSITIONS = 512, TYPES = 2, LABELS = 2, MAX_TENSORS = 32 * 16 + 16 };

struct bench_checkpoint {
    char dir[PATH_MAX];
    int num_exits;
};

static void die(const char *what, const char *detail)
{
    fprintf(stderr, "bench: cannot build the random model: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
    exit(1);
}

/* A path of at most PATH_MAX bytes into out[PATH_MAX], formatted; exits when it would not fit. */
static void path_of(char *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void path_of(char *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const int n = vsnprintf(out, PATH_MAX, fmt, ap);
    va_end(ap);
    if (n < 0 || n >= PATH_MAX)
        die("path too long", fmt);
}

/* One tensor to write: its name, shape (rows 0 for a vector) and the uniform range of its values. */
typedef struct spec {
    char name[80];
    size_t rows, cols;
    float base, scale;
} spec;

typedef struct spec_list {
    spec t[MAX_TENSORS];
    int n;
} spec_list;

static void add(spec_list *l, size_t rows, size_t cols, float base, float scale, const char *fmt, int i)
{
    if (l->n == MAX_TENSORS)
        die("too many tensors", NULL);
    spec *t = &l->t[l->n++];
    snprintf(t->name, sizeof t->name, fmt, i);
    t->rows = rows, t->cols = cols, t->base = base, t->scale = scale;
}

/* The tensors of shape s in the Hugging Face BERT layout, plus rtj's exit heads. */
static void list_tensors(const bench_shape *s, spec_list *l)
{
    const size_t h = (size_t)s->hidden, ff = (size_t)s->ffn;
    l->n = 0;
    add(l, VOCAB, h, 0, 0.05f, "embeddings.word_embeddings.weight", 0);
    add(l, POSITIONS, h, 0, 0.05f, "embeddings.position_embeddings.weight", 0);
    add(l, TYPES, h, 0, 0.05f, "embeddings.token_type_embeddings.weight", 0);
    add(l, 0, h, 1, 0.1f, "embeddings.LayerNorm.weight", 0);
    add(l, 0, h, 0, 0.05f, "embeddings.LayerNorm.bias", 0);
    const int layers = s->exit_layers[s->num_exits - 1] + 1; /* none above the last exit is ever read */
    for (int i = 0; i < layers; i++) {
        static const char *const qkv[] = {"query", "key", "value"};
        char fmt[96];
        for (int j = 0; j < 3; j++) {
            snprintf(fmt, sizeof fmt, "encoder.layer.%%d.attention.self.%s.weight", qkv[j]);
            add(l, h, h, 0, 0.035f, fmt, i);
            snprintf(fmt, sizeof fmt, "encoder.layer.%%d.attention.self.%s.bias", qkv[j]);
            add(l, 0, h, 0, 0.02f, fmt, i);
        }
        add(l, h, h, 0, 0.035f, "encoder.layer.%d.attention.output.dense.weight", i);
        add(l, 0, h, 0, 0.02f, "encoder.layer.%d.attention.output.dense.bias", i);
        add(l, 0, h, 1, 0.1f, "encoder.layer.%d.attention.output.LayerNorm.weight", i);
        add(l, 0, h, 0, 0.05f, "encoder.layer.%d.attention.output.LayerNorm.bias", i);
        add(l, ff, h, 0, 0.035f, "encoder.layer.%d.intermediate.dense.weight", i);
        add(l, 0, ff, 0, 0.02f, "encoder.layer.%d.intermediate.dense.bias", i);
        add(l, h, ff, 0, 0.035f, "encoder.layer.%d.output.dense.weight", i);
        add(l, 0, h, 0, 0.02f, "encoder.layer.%d.output.dense.bias", i);
        add(l, 0, h, 1, 0.1f, "encoder.layer.%d.output.LayerNorm.weight", i);
        add(l, 0, h, 0, 0.05f, "encoder.layer.%d.output.LayerNorm.bias", i);
    }
    add(l, h, h, 0, 0.035f, "pooler.dense.weight", 0);
    add(l, 0, h, 0, 0.02f, "pooler.dense.bias", 0);
    for (int k = 0; k < s->num_exits; k++) {
        /* Large enough that the exits disagree in confidence, so thresholds split the inputs. */
        add(l, LABELS, h, 0, 1.0f, "exits.%d.classifier.weight", k);
        add(l, 0, LABELS, 0, 0.1f, "exits.%d.classifier.bias", k);
        if (s->mix) { /* positive weights around 1 / (layers mixed) */
            const float n = (float)(s->exit_layers[k] + 1);
            add(l, 0, (size_t)n, 1.0f / n, 0.5f / n, "exits.%d.mix", k);
        }
    }
}

static size_t numel(const spec *t) { return (t->rows ? t->rows : 1) * t->cols; }

static uint64_t next(uint64_t *s) /* splitmix64 */
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* The safetensors file: an 8-byte little-endian header length, the JSON header (padded with spaces to a
 * multiple of 8), then each tensor's F32 values in list order, generated as they are written. */
static void write_weights(const char *path, const spec_list *l)
{
    char *hdr = malloc((size_t)l->n * 200 + 64);
    if (!hdr)
        die("out of memory", NULL);
    size_t len = (size_t)sprintf(hdr, "{\"__metadata__\":{\"format\":\"pt\"}"), off = 0;
    for (int i = 0; i < l->n; i++) {
        const spec *t = &l->t[i];
        const size_t bytes = numel(t) * sizeof(float);
        char shape[48];
        if (t->rows)
            snprintf(shape, sizeof shape, "%zu,%zu", t->rows, t->cols);
        else
            snprintf(shape, sizeof shape, "%zu", t->cols);
        len += (size_t)sprintf(hdr + len, ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%s],\"data_offsets\":[%zu,%zu]}",
                               t->name, shape, off, off + bytes);
        off += bytes;
    }
    hdr[len++] = '}';
    while (len % 8)
        hdr[len++] = ' ';
    FILE *f = fopen(path, "wb");
    if (!f)
        die("cannot create", path);
    unsigned char n8[8];
    for (int i = 0; i < 8; i++)
        n8[i] = (unsigned char)((uint64_t)len >> (8 * i));
    int bad = fwrite(n8, 1, 8, f) != 8 || fwrite(hdr, 1, len, f) != len;
    free(hdr);
    enum { CHUNK = 1 << 16 };
    float *buf = malloc(CHUNK * sizeof(float));
    if (!buf)
        die("out of memory", NULL);
    uint64_t seed = 42;
    for (int i = 0; i < l->n && !bad; i++) { /* little-endian hosts only: x86-64 and aarch64 */
        const spec *t = &l->t[i];
        for (size_t done = 0, n = numel(t); done < n && !bad; done += CHUNK) {
            const size_t c = n - done < CHUNK ? n - done : CHUNK;
            for (size_t j = 0; j < c; j++) /* uniform in [base - scale, base + scale) */
                buf[j] = t->base + t->scale * ((float)(next(&seed) >> 40) / 8388608.0f - 1.0f);
            bad = fwrite(buf, sizeof(float), c, f) != c;
        }
    }
    free(buf);
    if (fclose(f) != 0 || bad)
        die("cannot write", path);
}

static void link_to(const char *target, const char *dir, const char *name)
{
    char path[PATH_MAX];
    path_of(path, "%s/%s", dir, name);
    if (symlink(target, path) != 0)
        die("cannot link", path);
}

/* dir/e<k>/: config.json with the first k exits, and links to the weights and the vocabulary. */
static void write_variant(const bench_checkpoint *ck, const bench_shape *s, int k)
{
    char sub[PATH_MAX], path[PATH_MAX];
    path_of(sub, "%s/e%d", ck->dir, k);
    if (mkdir(sub, 0700) != 0)
        die("cannot create", sub);
    path_of(path, "%s/config.json", sub);
    FILE *f = fopen(path, "w");
    if (!f)
        die("cannot create", path);
    fprintf(f,
            "{\"hidden_size\": %d, \"num_hidden_layers\": %d, \"num_attention_heads\": %d, \"intermediate_size\": %d, "
            "\"vocab_size\": %d, \"max_position_embeddings\": %d, \"type_vocab_size\": %d, \"num_labels\": %d, "
            "\"exit_layers\": [",
            s->hidden, s->layers, s->heads, s->ffn, VOCAB, POSITIONS, TYPES, LABELS);
    for (int j = 0; j < k; j++)
        fprintf(f, "%s%d", j ? ", " : "", s->exit_layers[j]);
    if (fprintf(f, "]}\n") < 0 || fclose(f) != 0)
        die("cannot write", path);
    link_to("../model.safetensors", sub, "model.safetensors");
    link_to("../vocab.txt", sub, "vocab.txt");
}

bench_checkpoint *bench_random_checkpoint(const bench_shape *s)
{
    bench_checkpoint *ck = calloc(1, sizeof *ck);
    spec_list *l = malloc(sizeof *l);
    if (!ck || !l)
        die("out of memory", NULL);
    const char *tmp = getenv("TMPDIR");
    snprintf(ck->dir, sizeof ck->dir, "%s/rtj_bench_XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(ck->dir))
        die("cannot create a temporary directory in", tmp && *tmp ? tmp : "/tmp");
    ck->num_exits = s->num_exits;
    const char *vocab = getenv("RTJ_VOCAB");
    char vocab_abs[PATH_MAX];
    if (!realpath(vocab ? vocab : "../shared/data/vocab/bert-base-uncased-vocab.txt", vocab_abs))
        die("cannot find the vocabulary (run from the repository root, or set RTJ_VOCAB)", vocab);
    link_to(vocab_abs, ck->dir, "vocab.txt");
    char path[PATH_MAX];
    path_of(path, "%s/model.safetensors", ck->dir);
    list_tensors(s, l);
    write_weights(path, l);
    free(l);
    for (int k = 1; k <= s->num_exits; k++)
        write_variant(ck, s, k);
    return ck;
}

rtj_model *bench_checkpoint_load(const bench_checkpoint *ck, int exits, rtj_dtype dtype, int threads)
{
    char dir[PATH_MAX];
    path_of(dir, "%s/e%d", ck->dir, exits);
    const rtj_load_options o = {dtype, threads};
    rtj_model *m;
    rtj_error err;
    if (rtj_model_load(dir, &o, &m, &err) != RTJ_OK)
        die("cannot load it", err.message);
    return m;
}

void bench_checkpoint_remove(bench_checkpoint *ck)
{
    char path[PATH_MAX];
    static const char *const files[] = {"config.json", "model.safetensors", "vocab.txt"};
    for (int k = 1; k <= ck->num_exits; k++) {
        for (int i = 0; i < 3; i++) {
            path_of(path, "%s/e%d/%s", ck->dir, k, files[i]);
            unlink(path);
        }
        path_of(path, "%s/e%d", ck->dir, k);
        rmdir(path);
    }
    for (int i = 1; i < 3; i++) {
        path_of(path, "%s/%s", ck->dir, files[i]);
        unlink(path);
    }
    rmdir(ck->dir);
    free(ck);
}
