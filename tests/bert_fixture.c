/* Test-only: parses tests/data/bert_reference.txt and writes the checkpoint directory of a case.
 *
 * DETERMINISTIC WEIGHTS (implemented identically, to the bit, here and in tools/bert_reference.py)
 *   fnv1a64(s):  h = 0xCBF29CE484222325; for each byte c of s: h = (h ^ c) * 0x100000001B3   (mod 2^64)
 *   splitmix64:  state += 0x9E3779B97F4A7C15; z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
 *                z = (z ^ (z >> 27)) * 0x94D049BB133111EB; return z ^ (z >> 31)            (mod 2^64)
 *   A tensor's stream starts at state = case_seed XOR fnv1a64(canonical name); element i (row-major) takes
 *   the (i+1)-th output x_i, and
 *       k_i = (int32_t)(x_i >> 40) - 8388608                   an integer in [-2^23, 2^23)
 *       u_i = (float)k_i * (scale_f32 * 2^-23)                 one float32 rounding: uniform in [-scale, scale)
 *   where scale_f32 = (float)scale (scale computed in double) and the 2^-23 scaling is exact.
 *   Kinds and scales (in = the Linear's input width):
 *       word / position / token_type embeddings   u, scale 1
 *       LayerNorm weight                          1.0f + u (a float32 addition), scale 0.25
 *       LayerNorm bias                            u, scale 0.1
 *       Linear weight [out, in]: query, key, value, attention.output.dense, intermediate.dense,
 *           output.dense, pooler.dense            u, scale sqrt(3.0 / in)   (std 1/sqrt(in): activations O(1))
 *       Linear bias                               u, scale 0.1
 *       exits.k.classifier.weight [labels, hidden] u, scale sqrt(12.0 / hidden) (logits of a few units)
 *       exits.k.classifier.bias                   u, scale 0.2
 *       exits.k.mix [exit_layers[k] + 1]          u, scale 1
 *   Canonical names are the contract's plain names (embeddings.*, encoder.layer.N.*, pooler.*, exits.k.*,
 *   LayerNorm.weight/bias) whatever name style the checkpoint is written in.
 *   F16 and BF16 cases store the float32 value rounded to nearest-even.
 *   weights_sum: over the canonical tensors in canonical order (as tensor_specs() lists them),
 *   s_t = sum_i bits_i * (2 i + 1) mod 2^64 with bits_i the stored bit pattern (u32 for F32, u16 for
 *   F16/BF16); H = 0, then H = (H * 0x100000001B3) ^ s_t per tensor (mod 2^64).
 * The float32 steps are separate statements so that no compiler contracts them into an FMA (GCC in ISO
 * mode never does; clang's default contracts only within one expression). */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L /* getline, mkdtemp, strdup, strtok_r when built alone */
#endif
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
#include "bert_fixture.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- the generator ----------------------------------------------------------------------------- */

uint64_t bert_fnv1a64(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001B3ull;
    return h;
}

uint64_t bert_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint32_t f32_bits(float f)
{
    uint32_t x;
    memcpy(&x, &f, sizeof x);
    return x;
}

uint16_t bert_f32_to_f16_bits(float f)
{
    const uint32_t x = f32_bits(f), ax = x & 0x7FFFFFFFu;
    const uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
    if (ax > 0x7F800000u)
        return sign | 0x7E00u; /* NaN */
    if (ax >= 0x477FF000u)     /* 65520 and up round to infinity */
        return sign | 0x7C00u;
    if (ax < 0x33000000u)      /* below 2^-25: rounds to zero */
        return sign;
    uint32_t q, rem, half;
    if (ax < 0x38800000u) { /* below 2^-14: an f16 subnormal, in units of 2^-24 */
        const uint32_t e = ax >> 23, m = (ax & 0x7FFFFFu) | 0x800000u, shift = 126 - e; /* 14..24 */
        q = m >> shift;
        rem = m & ((1u << shift) - 1);
        half = 1u << (shift - 1);
    } else { /* rebias the exponent (127 -> 15) and drop 13 mantissa bits */
        const uint32_t r = ax - 0x38000000u;
        q = r >> 13;
        rem = r & 0x1FFFu;
        half = 0x1000u;
    }
    if (rem > half || (rem == half && (q & 1)))
        q++; /* a carry into the exponent is the right answer */
    return (uint16_t)(sign | q);
}

uint16_t bert_f32_to_bf16_bits(float f)
{
    const uint64_t b = f32_bits(f);
    if ((b & 0x7FFFFFFFu) > 0x7F800000u)
        return (uint16_t)((b >> 16) | 0x40u); /* NaN stays NaN */
    return (uint16_t)((b + 0x7FFFu + ((b >> 16) & 1u)) >> 16);
}

/* ---- the tensors of a case ------------------------------------------------------------------------ */

enum { T_WEIGHT, T_POSITION_IDS, T_EXTRA_F32 };

typedef struct tensor_spec {
    char canon[96];   /* the generator's name */
    char stored[112]; /* the name in model.safetensors */
    int kind;         /* T_WEIGHT: in weights_sum, stored in the case dtype; extras are not */
    int ndim;
    size_t shape[2], count;
    double scale;
    int one_plus;
    size_t elem, offset; /* bytes per element; offset in the data section */
    uint64_t sum;
} tensor_spec;

static void add_spec(tensor_spec *t, int *n, const char *canon, int kind, size_t d0, size_t d1, double scale,
                     int one_plus)
{
    tensor_spec *s = &t[(*n)++];
    memset(s, 0, sizeof *s);
    snprintf(s->canon, sizeof s->canon, "%s", canon);
    s->kind = kind;
    s->ndim = d1 ? 2 : 1;
    s->shape[0] = d0;
    s->shape[1] = d1;
    s->count = d1 ? d0 * d1 : d0;
    s->scale = scale;
    s->one_plus = one_plus;
}

/* The canonical tensors in canonical order (the order weights_sum folds them in), then the extras. */
static int tensor_specs(const bert_case *c, tensor_spec *t)
{
    const size_t H = (size_t)c->hidden, F = (size_t)c->ffn;
    const double lin_h = sqrt(3.0 / (double)H), lin_f = sqrt(3.0 / (double)F);
    char nm[96];
    int n = 0;
    add_spec(t, &n, "embeddings.word_embeddings.weight", T_WEIGHT, (size_t)c->vocab, H, 1.0, 0);
    add_spec(t, &n, "embeddings.position_embeddings.weight", T_WEIGHT, (size_t)c->max_pos, H, 1.0, 0);
    add_spec(t, &n, "embeddings.token_type_embeddings.weight", T_WEIGHT, (size_t)c->type_vocab, H, 1.0, 0);
    add_spec(t, &n, "embeddings.LayerNorm.weight", T_WEIGHT, H, 0, 0.25, 1);
    add_spec(t, &n, "embeddings.LayerNorm.bias", T_WEIGHT, H, 0, 0.1, 0);
    static const char *const attn[] = {"attention.self.query", "attention.self.key", "attention.self.value",
                                       "attention.output.dense"};
    for (int l = 0; l < c->layers; l++) {
        for (int m = 0; m < 4; m++) {
            snprintf(nm, sizeof nm, "encoder.layer.%d.%s.weight", l, attn[m]);
            add_spec(t, &n, nm, T_WEIGHT, H, H, lin_h, 0);
            snprintf(nm, sizeof nm, "encoder.layer.%d.%s.bias", l, attn[m]);
            add_spec(t, &n, nm, T_WEIGHT, H, 0, 0.1, 0);
        }
        snprintf(nm, sizeof nm, "encoder.layer.%d.attention.output.LayerNorm.weight", l);
        add_spec(t, &n, nm, T_WEIGHT, H, 0, 0.25, 1);
        snprintf(nm, sizeof nm, "encoder.layer.%d.attention.output.LayerNorm.bias", l);
        add_spec(t, &n, nm, T_WEIGHT, H, 0, 0.1, 0);
        snprintf(nm, sizeof nm, "encoder.layer.%d.intermediate.dense.weight", l);
        add_spec(t, &n, nm, T_WEIGHT, F, H, lin_h, 0);
        snprintf(nm, sizeof nm, "encoder.layer.%d.intermediate.dense.bias", l);
        add_spec(t, &n, nm, T_WEIGHT, F, 0, 0.1, 0);
        snprintf(nm, sizeof nm, "encoder.layer.%d.output.dense.weight", l);
        add_spec(t, &n, nm, T_WEIGHT, H, F, lin_f, 0);
        snprintf(nm, sizeof nm, "encoder.layer.%d.output.dense.bias", l);
        add_spec(t, &n, nm, T_WEIGHT, H, 0, 0.1, 0);
        snprintf(nm, sizeof nm, "encoder.layer.%d.output.LayerNorm.weight", l);
        add_spec(t, &n, nm, T_WEIGHT, H, 0, 0.25, 1);
        snprintf(nm, sizeof nm, "encoder.layer.%d.output.LayerNorm.bias", l);
        add_spec(t, &n, nm, T_WEIGHT, H, 0, 0.1, 0);
    }
    add_spec(t, &n, "pooler.dense.weight", T_WEIGHT, H, H, lin_h, 0);
    add_spec(t, &n, "pooler.dense.bias", T_WEIGHT, H, 0, 0.1, 0);
    for (int k = 0; k < c->num_exits; k++) {
        snprintf(nm, sizeof nm, "exits.%d.classifier.weight", k);
        add_spec(t, &n, nm, T_WEIGHT, (size_t)c->num_labels, H, sqrt(12.0 / (double)H), 0);
        snprintf(nm, sizeof nm, "exits.%d.classifier.bias", k);
        add_spec(t, &n, nm, T_WEIGHT, (size_t)c->num_labels, 0, 0.2, 0);
        if (c->mix[k]) {
            snprintf(nm, sizeof nm, "exits.%d.mix", k);
            add_spec(t, &n, nm, T_WEIGHT, (size_t)c->exit_layers[k] + 1, 0, 1.0, 0);
        }
    }
    if (c->names == BERT_NAMES_BERT_PREFIX) { /* what real checkpoints carry and a loader must ignore */
        add_spec(t, &n, "embeddings.position_ids", T_POSITION_IDS, 1, (size_t)c->max_pos, 0, 0);
        add_spec(t, &n, "cls.predictions.bias", T_EXTRA_F32, (size_t)c->vocab, 0, 0.1, 0);
    }
    for (int i = 0; i < n; i++) {
        tensor_spec *s = &t[i];
        const int body = strncmp(s->canon, "exits.", 6) != 0 && strncmp(s->canon, "cls.", 4) != 0;
        const char *ln = strstr(s->canon, "LayerNorm.");
        if ((c->names == BERT_NAMES_BERT_PREFIX || c->names == BERT_NAMES_PLAIN_CLASSIFIER) && body)
            snprintf(s->stored, sizeof s->stored, "bert.%s", s->canon);
        else if (c->names == BERT_NAMES_PLAIN_CLASSIFIER && !body)
            snprintf(s->stored, sizeof s->stored, "classifier.%s", strrchr(s->canon, '.') + 1);
        else if (c->names == BERT_NAMES_GAMMA_BETA && ln)
            snprintf(s->stored, sizeof s->stored, "%.*sLayerNorm.%s", (int)(ln - s->canon), s->canon,
                     strcmp(ln, "LayerNorm.weight") == 0 ? "gamma" : "beta");
        else
            snprintf(s->stored, sizeof s->stored, "%s", s->canon);
        s->elem = s->kind == T_POSITION_IDS ? 8 : s->kind == T_EXTRA_F32 || c->dtype == BERT_F32 ? 4 : 2;
    }
    return n;
}

static void generate(uint64_t seed, const tensor_spec *t, float *out)
{
    uint64_t st = seed ^ bert_fnv1a64(t->canon);
    const float scale = (float)t->scale;
    const float m = scale * 0x1p-23f; /* exact: a power-of-two scaling */
    for (size_t i = 0; i < t->count; i++) {
        const int32_t k = (int32_t)(bert_splitmix64(&st) >> 40) - 8388608;
        float u = (float)k * m;
        if (t->one_plus)
            u = 1.0f + u;
        out[i] = u;
    }
}

/* The stored little-endian bytes of t into buf, and t->sum. */
static void encode(const bert_case *c, tensor_spec *t, const float *v, unsigned char *buf)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < t->count; i++) {
        uint64_t bits;
        if (t->kind == T_POSITION_IDS)
            bits = (uint64_t)(i % t->shape[1]);
        else if (t->elem == 4)
            bits = f32_bits(v[i]);
        else
            bits = c->dtype == BERT_F16 ? bert_f32_to_f16_bits(v[i]) : bert_f32_to_bf16_bits(v[i]);
        for (size_t b = 0; b < t->elem; b++)
            buf[i * t->elem + b] = (unsigned char)(bits >> (8 * b));
        sum += bits * (2 * (uint64_t)i + 1);
    }
    t->sum = sum;
}

/* ---- the checkpoint ------------------------------------------------------------------------------ */

static const char *dtype_name(const bert_case *c, const tensor_spec *t)
{
    if (t->kind == T_POSITION_IDS)
        return "I64";
    if (t->kind == T_EXTRA_F32)
        return "F32";
    return c->dtype == BERT_F32 ? "F32" : c->dtype == BERT_F16 ? "F16" : "BF16";
}

static const tensor_spec *g_sort_specs;
static int by_stored_name(const void *a, const void *b)
{
    return strcmp(g_sort_specs[*(const int *)a].stored, g_sort_specs[*(const int *)b].stored);
}

/* model.safetensors with the tensors in name order (as the safetensors library writes them), so that a
 * loader cannot lean on any order; checks the weights against the fixture's weights_sum. */
static int write_safetensors(const bert_case *c, const char *path, char *err, size_t errlen)
{
    const int max_specs = 5 + 16 * c->layers + 2 + 3 * c->num_exits + 2;
    tensor_spec *t = calloc((size_t)max_specs, sizeof *t);
    int *order = calloc((size_t)max_specs, sizeof *order);
    size_t hcap = 256 + (size_t)max_specs * 200;
    char *header = malloc(hcap);
    float *vals = NULL;
    unsigned char *bytes = NULL;
    FILE *f = NULL;
    int rc = -1;
    if (!t || !order || !header) {
        fail(err, errlen, "out of memory");
        goto done;
    }
    const int n = tensor_specs(c, t);
    size_t largest = 0, off = 0, hlen = 0;
    for (int i = 0; i < n; i++) {
        order[i] = i;
        largest = t[i].count > largest ? t[i].count : largest;
    }
    g_sort_specs = t;
    qsort(order, (size_t)n, sizeof *order, by_stored_name);
    hlen += (size_t)snprintf(header + hlen, hcap - hlen, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int j = 0; j < n; j++) {
        tensor_spec *s = &t[order[j]];
        s->offset = off;
        off += s->count * s->elem;
        hlen += (size_t)snprintf(header + hlen, hcap - hlen, ",\"%s\":{\"dtype\":\"%s\",\"shape\":[%zu", s->stored,
                                 dtype_name(c, s), s->shape[0]);
        if (s->ndim == 2)
            hlen += (size_t)snprintf(header + hlen, hcap - hlen, ",%zu", s->shape[1]);
        hlen += (size_t)snprintf(header + hlen, hcap - hlen, "],\"data_offsets\":[%zu,%zu]}", s->offset, off);
        if (hlen + 8 >= hcap) {
            fail(err, errlen, "safetensors header of %s outgrew its buffer", c->name);
            goto done;
        }
    }
    header[hlen++] = '}';
    while (hlen % 8) /* the data section starts 8-aligned, padded with spaces as the format allows */
        header[hlen++] = ' ';
    vals = malloc(largest * sizeof *vals);
    bytes = malloc(largest * 8);
    if (!vals || !bytes) {
        fail(err, errlen, "out of memory (%zu elements)", largest);
        goto done;
    }
    f = fopen(path, "wb");
    if (!f) {
        fail(err, errlen, "%s: %s", path, strerror(errno));
        goto done;
    }
    unsigned char len8[8];
    for (int b = 0; b < 8; b++)
        len8[b] = (unsigned char)((uint64_t)hlen >> (8 * b));
    int ok = fwrite(len8, 1, 8, f) == 8 && fwrite(header, 1, hlen, f) == hlen;
    for (int j = 0; ok && j < n; j++) {
        tensor_spec *s = &t[order[j]];
        if (s->kind != T_POSITION_IDS)
            generate(c->seed, s, vals);
        encode(c, s, vals, bytes);
        ok = fwrite(bytes, s->elem, s->count, f) == s->count;
    }
    if (fclose(f) != 0 || !ok) {
        f = NULL;
        fail(err, errlen, "%s: write failed: %s", path, strerror(errno));
        goto done;
    }
    f = NULL;
    uint64_t h = 0;
    for (int i = 0; i < n; i++)
        if (t[i].kind == T_WEIGHT)
            h = (h * 0x100000001B3ull) ^ t[i].sum;
    if (h != c->weights_sum) {
        fail(err, errlen, "case %s: generated weights_sum 0x%016llX, the fixture says 0x%016llX: "
             "tests/bert_fixture.c and tools/bert_reference.py no longer generate the same weights",
             c->name, (unsigned long long)h, (unsigned long long)c->weights_sum);
        goto done;
    }
    rc = 0;
done:
    if (f)
        fclose(f);
    free(t), free(order), free(header), free(vals), free(bytes);
    return rc;
}

static int write_config(const bert_case *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    const int plain = c->names == BERT_NAMES_PLAIN_CLASSIFIER;
    /* Keys a real HF config carries and a loader must skip, around the ones it needs. */
    fprintf(f, "{\n  \"architectures\": [\"%s\"],\n  \"model_type\": \"bert\",\n",
            plain ? "BertForSequenceClassification" : "BertWithExits");
    fprintf(f, "  \"attention_probs_dropout_prob\": 0.1,\n  \"hidden_act\": \"gelu\",\n"
               "  \"hidden_dropout_prob\": 0.1,\n  \"hidden_size\": %d,\n  \"initializer_range\": 0.02,\n"
               "  \"intermediate_size\": %d,\n  \"layer_norm_eps\": %.9g,\n  \"max_position_embeddings\": %d,\n"
               "  \"num_attention_heads\": %d,\n  \"num_hidden_layers\": %d,\n  \"pad_token_id\": 0,\n"
               "  \"position_embedding_type\": \"absolute\",\n  \"torch_dtype\": \"%s\",\n"
               "  \"type_vocab_size\": %d,\n  \"use_cache\": true,\n  \"vocab_size\": %d",
            c->hidden, c->ffn, c->eps, c->max_pos, c->heads, c->layers,
            c->dtype == BERT_F32 ? "float32" : c->dtype == BERT_F16 ? "float16" : "bfloat16", c->type_vocab,
            c->vocab);
    if (c->id2label) {
        fprintf(f, ",\n  \"id2label\": {");
        for (int i = 0; i < c->num_labels; i++)
            fprintf(f, "%s\"%d\": \"%s\"", i ? ", " : "", i, c->id2label[i]);
        fprintf(f, "},\n  \"label2id\": {");
        for (int i = 0; i < c->num_labels; i++)
            fprintf(f, "%s\"%s\": %d", i ? ", " : "", c->id2label[i], i);
        fprintf(f, "}");
    }
    if (!plain) {
        fprintf(f, ",\n  \"num_labels\": %d,\n  \"exit_layers\": [", c->num_labels);
        int all_one = 1;
        for (int k = 0; k < c->num_exits; k++) {
            fprintf(f, "%s%d", k ? ", " : "", c->exit_layers[k]);
            all_one &= c->temperatures[k] == 1.0f;
        }
        fprintf(f, "]");
        if (!all_one) { /* all 1: leave the key out, the default */
            fprintf(f, ",\n  \"exit_temperatures\": [");
            for (int k = 0; k < c->num_exits; k++)
                fprintf(f, "%s%.9g", k ? ", " : "", (double)c->temperatures[k]);
            fprintf(f, "]");
        }
    }
    fprintf(f, "\n}\n");
    const int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return fail(err, errlen, "%s: write failed", path);
    return 0;
}

static int write_vocab(const bert_case *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    for (int i = 0; i < c->vocab; i++) {
        if (c->vocab_bert_style) {
            if (i == 0)
                fputs("[PAD]\n", f);
            else if (i < 100)
                fprintf(f, "[unused%d]\n", i - 1);
            else if (i <= 103)
                fprintf(f, "%s\n", (const char *[]){"[UNK]", "[CLS]", "[SEP]", "[MASK]"}[i - 100]);
            else
                fprintf(f, "tok%d\n", i);
        } else if (i < 5) {
            fprintf(f, "%s\n", (const char *[]){"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"}[i]);
        } else {
            fprintf(f, "tok%d\n", i);
        }
    }
    const int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return fail(err, errlen, "%s: write failed", path);
    return 0;
}

static const char *const ckpt_files[] = {"config.json", "model.safetensors", "vocab.txt"};

int bert_checkpoint_remove(const char *dir)
{
    char p[4096];
    int rc = 0;
    for (size_t i = 0; i < sizeof ckpt_files / sizeof ckpt_files[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, ckpt_files[i]);
        if (unlink(p) != 0 && errno != ENOENT)
            rc = -1;
    }
    return rmdir(dir) == 0 ? rc : -1;
}

/* A test process that dies between writing and removing its checkpoint (a crash in the loader under
 * test) leaves it behind; directories are named rtj_bert_<pid>_XXXXXX so that later runs remove those
 * whose process is gone. A reused pid only postpones the removal. */
static void sweep_stale(const char *tmp)
{
    DIR *d = opendir(tmp);
    if (!d)
        return;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        long pid;
        char tail[16];
        int end = 0;
        if (sscanf(e->d_name, "rtj_bert_%ld_%15[A-Za-z0-9]%n", &pid, tail, &end) != 2 || e->d_name[end] ||
            strlen(tail) != 6 || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char p[4096];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", tmp, e->d_name) < sizeof p)
            bert_checkpoint_remove(p);
    }
    closedir(d);
}

int bert_checkpoint_write(const bert_case *c, char *dir, size_t dirlen, char *err, size_t errlen)
{
    const uint16_t one = 1;
    if (*(const unsigned char *)&one != 1)
        return fail(err, errlen, "the checkpoint writer assumes a little-endian host");
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    sweep_stale(tmp);
    if ((size_t)snprintf(dir, dirlen, "%s/rtj_bert_%ld_XXXXXX", tmp, (long)getpid()) >= dirlen)
        return fail(err, errlen, "temporary directory name too long");
    if (!mkdtemp(dir))
        return fail(err, errlen, "mkdtemp %s: %s", dir, strerror(errno));
    char p[4096];
    int rc = 0;
    snprintf(p, sizeof p, "%s/config.json", dir);
    rc = write_config(c, p, err, errlen);
    snprintf(p, sizeof p, "%s/vocab.txt", dir);
    rc = rc ? rc : write_vocab(c, p, err, errlen);
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    rc = rc ? rc : write_safetensors(c, p, err, errlen);
    if (rc)
        bert_checkpoint_remove(dir);
    return rc;
}

/* ---- the fixture --------------------------------------------------------------------------------- */

const char *bert_fixture_path(void)
{
    static char path[4096];
    const char *env = getenv("RTJ_BERT_FIXTURE");
    if (env && *env)
        return env;
    const char *src = __FILE__, *slash = strrchr(src, '/');
    snprintf(path, sizeof path, "%.*sdata/bert_reference.txt", slash ? (int)(slash - src + 1) : 0, src);
    return path;
}

const char *bert_case_label(const bert_case *c, int i, char *buf, size_t buflen)
{
    if (c->id2label)
        return c->id2label[i];
    snprintf(buf, buflen, "LABEL_%d", i);
    return buf;
}

const bert_case *bert_fixture_find(const bert_fixture *f, const char *name)
{
    for (int i = 0; i < f->num_cases; i++)
        if (strcmp(f->cases[i].name, name) == 0)
            return &f->cases[i];
    return NULL;
}

static void free_case(bert_case *c)
{
    if (c->id2label)
        for (int i = 0; i < c->num_labels; i++)
            free(c->id2label[i]);
    free(c->id2label);
    for (int i = 0; c->inputs && i < c->num_inputs; i++)
        free(c->inputs[i].ids), free(c->inputs[i].types), free(c->inputs[i].logits);
    free(c->inputs);
}

void bert_fixture_free(bert_fixture *f)
{
    for (int i = 0; i < f->num_cases; i++)
        free_case(&f->cases[i]);
    free(f->cases);
    memset(f, 0, sizeof *f);
}

/* Reads whitespace-separated numbers from *p: 1 and the value, 0 at the end of the line, -1 on junk. */
static int next_long(char **p, long *v)
{
    while (**p == ' ')
        (*p)++;
    if (!**p)
        return 0;
    char *end;
    errno = 0;
    *v = strtol(*p, &end, 10);
    if (end == *p || errno || (*end && *end != ' '))
        return -1;
    *p = end;
    return 1;
}

static int next_float(char **p, float *v)
{
    while (**p == ' ')
        (*p)++;
    if (!**p)
        return 0;
    char *end;
    *v = strtof(*p, &end);
    if (end == *p || (*end && *end != ' '))
        return -1;
    *p = end;
    return 1;
}

/* Exactly n integers in [lo, hi] into out (int or int32_t via the setter). */
static int parse_ints(char *p, int n, long lo, long hi, int32_t *out32, int *out)
{
    long v;
    for (int i = 0; i < n; i++) {
        if (next_long(&p, &v) != 1 || v < lo || v > hi)
            return -1;
        if (out32)
            out32[i] = (int32_t)v;
        else
            out[i] = (int)v;
    }
    return next_long(&p, &v) == 0 ? 0 : -1;
}

static int count_words(const char *p)
{
    int n = 0;
    for (int in = 0; *p; p++) {
        if (*p != ' ' && !in)
            n++;
        in = *p != ' ';
    }
    return n;
}

static int parse_line(bert_fixture *fx, char *key, char *rest, int *cur_input, int *cur_exit, char *err,
                      size_t errlen)
{
    bert_case *c = fx->num_cases ? &fx->cases[fx->num_cases - 1] : NULL;
    static const struct { const char *key; size_t off; long lo, hi; } ints[] = {
        {"hidden", offsetof(bert_case, hidden), 1, 1 << 16},
        {"layers", offsetof(bert_case, layers), 1, 1024},
        {"heads", offsetof(bert_case, heads), 1, 1024},
        {"ffn", offsetof(bert_case, ffn), 1, 1 << 20},
        {"vocab", offsetof(bert_case, vocab), 1, 1 << 24},
        {"max_pos", offsetof(bert_case, max_pos), 1, 1 << 20},
        {"type_vocab", offsetof(bert_case, type_vocab), 1, 1024},
        {"labels", offsetof(bert_case, num_labels), 1, 1 << 16},
    };
    if (strcmp(key, "case") == 0) {
        bert_case *nc = realloc(fx->cases, (size_t)(fx->num_cases + 1) * sizeof *nc);
        if (!nc)
            return fail(err, errlen, "out of memory");
        fx->cases = nc;
        c = &fx->cases[fx->num_cases++];
        memset(c, 0, sizeof *c);
        snprintf(c->name, sizeof c->name, "%s", rest);
        *cur_input = -1;
        return 0;
    }
    if (!c)
        return fail(err, errlen, "'%s' before any 'case'", key);
    for (size_t i = 0; i < sizeof ints / sizeof ints[0]; i++)
        if (strcmp(key, ints[i].key) == 0)
            return parse_ints(rest, 1, ints[i].lo, ints[i].hi, NULL, (int *)((char *)c + ints[i].off)) == 0
                       ? 0 : fail(err, errlen, "bad %s", key);
    if (strcmp(key, "seed") == 0 || strcmp(key, "weights_sum") == 0) {
        char *end;
        errno = 0;
        const uint64_t v = strtoull(rest, &end, 16);
        if (errno || end == rest || *end)
            return fail(err, errlen, "bad %s", key);
        *(key[0] == 's' ? &c->seed : &c->weights_sum) = v;
        return 0;
    }
    if (strcmp(key, "eps") == 0) {
        char *end;
        c->eps = strtod(rest, &end);
        return end != rest && !*end && c->eps > 0 ? 0 : fail(err, errlen, "bad eps");
    }
    if (strcmp(key, "id2label") == 0) {
        if (strcmp(rest, "none") == 0)
            return 0;
        if (!c->num_labels || count_words(rest) != c->num_labels)
            return fail(err, errlen, "id2label needs labels first and one name per label");
        if (!(c->id2label = calloc((size_t)c->num_labels, sizeof *c->id2label)))
            return fail(err, errlen, "out of memory");
        char *save = NULL, *w = strtok_r(rest, " ", &save);
        for (int i = 0; w; i++, w = strtok_r(NULL, " ", &save))
            if (!(c->id2label[i] = strdup(w)))
                return fail(err, errlen, "out of memory");
        return 0;
    }
    if (strcmp(key, "exit_layers") == 0) {
        c->num_exits = count_words(rest);
        if (c->num_exits < 1 || c->num_exits > BERT_MAX_EXITS || !c->layers ||
            parse_ints(rest, c->num_exits, 0, c->layers - 1, NULL, c->exit_layers))
            return fail(err, errlen, "bad exit_layers (1..%d indices below layers)", BERT_MAX_EXITS);
        return 0;
    }
    if (strcmp(key, "mix") == 0)
        return c->num_exits && parse_ints(rest, c->num_exits, 0, 1, NULL, c->mix) == 0 ? 0
               : fail(err, errlen, "bad mix (one 0/1 per exit, after exit_layers)");
    if (strcmp(key, "temperatures") == 0) {
        char *p = rest;
        int k = 0, r;
        float v;
        while ((r = next_float(&p, &v)) == 1 && k < c->num_exits && v > 0)
            c->temperatures[k++] = v;
        return r == 0 && k == c->num_exits && k ? 0 : fail(err, errlen, "bad temperatures");
    }
    if (strcmp(key, "dtype") == 0) {
        c->dtype = strcmp(rest, "F16") == 0 ? BERT_F16 : strcmp(rest, "BF16") == 0 ? BERT_BF16 : BERT_F32;
        return c->dtype != BERT_F32 || strcmp(rest, "F32") == 0 ? 0 : fail(err, errlen, "bad dtype");
    }
    if (strcmp(key, "names") == 0) {
        static const char *const styles[] = {"plain", "bert-prefix", "gamma-beta", "plain-classifier"};
        for (int i = 0; i < 4; i++)
            if (strcmp(rest, styles[i]) == 0) {
                c->names = (bert_names)i;
                return 0;
            }
        return fail(err, errlen, "bad names");
    }
    if (strcmp(key, "vocab_style") == 0) {
        c->vocab_bert_style = strcmp(rest, "bert") == 0;
        return c->vocab_bert_style || strcmp(rest, "compact") == 0 ? 0 : fail(err, errlen, "bad vocab_style");
    }
    if (strcmp(key, "inputs") == 0) {
        if (parse_ints(rest, 1, 1, 1 << 20, NULL, &c->num_inputs) || c->inputs)
            return fail(err, errlen, "bad inputs");
        if (!(c->inputs = calloc((size_t)c->num_inputs, sizeof *c->inputs)))
            return fail(err, errlen, "out of memory");
        return 0;
    }
    if (strcmp(key, "input") == 0) {
        char kind[16];
        int n;
        if (!c->inputs || ++*cur_input >= c->num_inputs || sscanf(rest, "%d %15s", &n, kind) != 2 || n < 1 ||
            n > c->max_pos || !c->num_exits || !c->num_labels)
            return fail(err, errlen, "bad input (or more than 'inputs' said, or before the model keys)");
        bert_input *in = &c->inputs[*cur_input];
        in->n = n;
        in->pair = strcmp(kind, "pair") == 0;
        in->ids = malloc((size_t)n * sizeof *in->ids);
        in->types = malloc((size_t)n * sizeof *in->types);
        in->logits = malloc((size_t)c->num_exits * (size_t)c->num_labels * sizeof *in->logits);
        *cur_exit = 0;
        return in->ids && in->types && in->logits ? 0 : fail(err, errlen, "out of memory");
    }
    bert_input *in = c->inputs && *cur_input >= 0 ? &c->inputs[*cur_input] : NULL;
    if (strcmp(key, "ids") == 0 || strcmp(key, "types") == 0) {
        const int ids = key[0] == 'i';
        if (!in || parse_ints(rest, in->n, 0, ids ? c->vocab - 1 : c->type_vocab - 1, ids ? in->ids : in->types,
                              NULL))
            return fail(err, errlen, "bad %s (want %d values in range)", key, in ? in->n : 0);
        return 0;
    }
    if (strcmp(key, "logits") == 0) {
        long k;
        char *p = rest;
        if (!in || next_long(&p, &k) != 1 || k != *cur_exit || k >= c->num_exits)
            return fail(err, errlen, "bad logits: exit index out of order");
        float *z = in->logits + k * c->num_labels;
        for (int i = 0; i < c->num_labels; i++)
            if (next_float(&p, &z[i]) != 1 || !isfinite(z[i]))
                return fail(err, errlen, "bad logits: want %d values", c->num_labels);
        float extra;
        ++*cur_exit;
        return next_float(&p, &extra) == 0 ? 0 : fail(err, errlen, "bad logits: too many values");
    }
    if (strcmp(key, "end") == 0) {
        if (!c->inputs || *cur_input != c->num_inputs - 1 || *cur_exit != c->num_exits || !c->hidden ||
            !c->heads || c->hidden % c->heads || !c->ffn || !c->vocab || !c->max_pos || !c->type_vocab)
            return fail(err, errlen, "case %s is incomplete", c->name);
        for (int k = 1; k < c->num_exits; k++)
            if (c->exit_layers[k] <= c->exit_layers[k - 1])
                return fail(err, errlen, "exit_layers not ascending");
        if (c->names == BERT_NAMES_PLAIN_CLASSIFIER &&
            (c->num_exits != 1 || c->exit_layers[0] != c->layers - 1 || c->mix[0] || c->temperatures[0] != 1.0f))
            return fail(err, errlen, "plain-classifier: one exit at the top, no mix, temperature 1");
        return 0;
    }
    return fail(err, errlen, "unknown key '%s'", key);
}

int bert_fixture_load(const char *path, bert_fixture *out, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, cur_input = -1, cur_exit = 0, rc = 0;
    char msg[256];
    while (rc == 0 && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        char *sp = strchr(line, ' ');
        char *rest = sp ? sp + 1 : line + len;
        if (sp)
            *sp = '\0';
        if (parse_line(out, line, rest, &cur_input, &cur_exit, msg, sizeof msg) != 0)
            rc = fail(err, errlen, "%s:%d: %s", path, lineno, msg);
    }
    if (rc == 0 && ferror(f))
        rc = fail(err, errlen, "%s: read error", path);
    if (rc == 0 && out->num_cases == 0)
        rc = fail(err, errlen, "%s: no cases", path);
    free(line);
    fclose(f);
    if (rc)
        bert_fixture_free(out);
    return rc;
}
