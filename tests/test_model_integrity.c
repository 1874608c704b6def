/* What a loaded model may hold: non-finite weights are refused by both loaders (naming the tensor) and by
 * the writer; a version 2 .rtj file's weights are covered by its checksum; version 1 files still load and
 * give the same answers. Checkpoints from the fixture (tests/data/bert_reference.txt), in F32, F16 and
 * BF16; .rtj files written from them and edited in place with their checksums fixed (rtj_file_fixup.h). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../include/rtj.h"
#include "../model/safetensors.h"
#include "bert_fixture.h"
#include "rtj_file_fixup.h"
#include "test_common.h"

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    *size = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = test_alloc(*size);
    cr_assert_eq(fread(b, 1, *size, f), *size);
    fclose(f);
    return b;
}

static void spit(const char *path, const unsigned char *b, size_t size)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(b, 1, size, f), size);
    cr_assert_eq(fclose(f), 0);
}

static void load_fails(const char *path, rtj_dtype dt, rtj_status want, const char *n1, const char *n2)
{
    rtj_model *m;
    rtj_error err;
    rtj_load_options o = {dt, 1};
    const rtj_status s = rtj_model_load(path, &o, &m, &err);
    cr_assert_eq(s, want, "%s: expected %s, got %s (%s)", path, rtj_strerror(want), rtj_strerror(s), s ? err.message : "");
    cr_assert(strstr(err.message, n1) && strstr(err.message, n2), "message '%s' should name '%s' and '%s'", err.message,
              n1, n2);
}

static const float specials[3] = {NAN, INFINITY, -INFINITY};
static const char *const special_names[3] = {"NaN", "+Inf", "-Inf"};

/* Element idx of tensor `name` in the checkpoint's model.safetensors set to specials[which], in the
 * tensor's own dtype; returns the file's old bytes (free them) so that the caller can put them back. */
static unsigned char *poke_safetensors(const char *dir, const char *name, size_t idx, int which, size_t *size)
{
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    unsigned char *b = slurp(path, size), *edited = test_alloc(*size);
    memcpy(edited, b, *size);
    rtj_safetensors st;
    char msg[256];
    cr_assert_eq(rtj_st_open_memory(edited, *size, &st, msg, sizeof msg), 0, "%s", msg);
    const rtj_st_tensor *t = rtj_st_find(&st, name);
    cr_assert_not_null(t, "no tensor %s", name);
    cr_assert(idx < t->numel);
    unsigned char *p = (unsigned char *)t->data;
    if (t->dtype == RTJ_ST_F32) {
        memcpy(p + 4 * idx, &specials[which], 4);
    } else {
        static const uint16_t f16[3] = {0x7e00, 0x7c00, 0xfc00}, bf16[3] = {0x7fc0, 0x7f80, 0xff80};
        const uint16_t h = t->dtype == RTJ_ST_F16 ? f16[which] : bf16[which];
        memcpy(p + 2 * idx, &h, 2);
    }
    rtj_st_close(&st);
    spit(path, edited, *size);
    free(edited);
    return b;
}

/* A NaN, +Inf or -Inf anywhere (embeddings, a layer's weight and bias, LayerNorm, pooler, an exit and its
 * mix) is refused, FP32 and INT8, naming the tensor and the value; in F32, F16 and BF16 files. */
Test(model_integrity, hf_non_finite_weights_refused)
{
    char err[256];
    bert_fixture fx;
    cr_assert_eq(bert_fixture_load(bert_fixture_path(), &fx, err, sizeof err), 0, "%s", err);
    static const char *const cases[] = {"h78_l3", "small_f16", "small_bf16"};
    static const struct { const char *name; size_t idx; } where[] = {
        {"embeddings.word_embeddings.weight", 5}, {"encoder.layer.1.attention.self.value.weight", 77},
        {"encoder.layer.0.intermediate.dense.bias", 3}, {"encoder.layer.0.output.LayerNorm.weight", 0},
        {"pooler.dense.weight", 1}, {"exits.0.classifier.weight", 2}};
    for (size_t c = 0; c < 3; c++) {
        const bert_case *bc = bert_fixture_find(&fx, cases[c]);
        cr_assert_not_null(bc, "%s", cases[c]);
        char dir[256];
        cr_assert_eq(bert_checkpoint_write(bc, dir, sizeof dir, err, sizeof err), 0, "%s", err);
        for (size_t w = 0; w < sizeof where / sizeof where[0]; w++) {
            if (strstr(where[w].name, "layer.1.") && bc->layers < 2)
                continue;
            const int which = (int)((c + w) % 3);
            size_t size;
            unsigned char *orig = poke_safetensors(dir, where[w].name, where[w].idx, which, &size);
            for (int dt = RTJ_DTYPE_FP32; dt <= RTJ_DTYPE_INT8; dt++)
                load_fails(dir, (rtj_dtype)dt, RTJ_ERR_TENSOR, where[w].name, special_names[which]);
            char path[512];
            snprintf(path, sizeof path, "%s/model.safetensors", dir);
            spit(path, orig, size);
            free(orig);
        }
        rtj_model *m;
        rtj_error e;
        rtj_load_options o = {RTJ_DTYPE_FP32, 1};
        cr_assert_eq(rtj_model_load(dir, &o, &m, &e), RTJ_OK, "%s: restored checkpoint: %s", cases[c], e.message);
        rtj_model_free(m);
        bert_checkpoint_remove(dir);
    }
    bert_fixture_free(&fx);
}

/* The .rtj file of checkpoint case h78_l3 in dtype dt, written into dir. */
static void write_rtj(const char *dir, rtj_dtype dt, const char *path)
{
    rtj_model *m;
    rtj_error err;
    rtj_load_options o = {dt, 1};
    cr_assert_eq(rtj_model_load(dir, &o, &m, &err), RTJ_OK, "%s", err.message);
    cr_assert_eq(rtj_model_save(m, path, &err), RTJ_OK, "%s", err.message);
    rtj_model_free(m);
}

/* Where tensor `name` lies in an .rtj file's bytes. */
static size_t rtj_tensor_offset(const unsigned char *b, const char *name)
{
    file_header hd;
    memcpy(&hd, b, sizeof hd);
    for (uint64_t i = 0; i < hd.table_count; i++) {
        file_entry e;
        memcpy(&e, b + hd.table_offset + i * sizeof e, sizeof e);
        if (strcmp(e.name, name) == 0)
            return (size_t)e.offset;
    }
    cr_assert_fail("no tensor %s in the .rtj file", name);
    return 0;
}

static void logits_of(const char *path, float *out, int n)
{
    rtj_model *m;
    rtj_error err;
    rtj_load_options o = {RTJ_DTYPE_INT8, 1};
    cr_assert_eq(rtj_model_load(path, &o, &m, &err), RTJ_OK, "%s: %s", path, err.message);
    rtj_context *ctx;
    cr_assert_eq(rtj_context_new(m, &ctx), RTJ_OK);
    const int32_t ids[4] = {2, 7, 9, 3};
    rtj_classify_options co = {RTJ_NO_EARLY_EXIT, 1};
    rtj_result r;
    cr_assert_eq(rtj_classify_ids(ctx, 4, ids, NULL, &co, &r), RTJ_OK);
    cr_assert(r.num_exits * r.num_labels <= n);
    for (int k = 0; k < r.num_exits; k++)
        memcpy(out + k * r.num_labels, r.exits[k].logits, (size_t)r.num_labels * sizeof(float));
    rtj_context_free(ctx);
    rtj_model_free(m);
}

/* In .rtj files: a non-finite value in an FP32 array (an embedding, packed FP32 weights, INT8 weight
 * scales) behind valid checksums is refused naming the tensor; a changed weight byte behind the header's
 * checksum fails the data checksum. */
Test(model_integrity, rtj_non_finite_and_corrupt_weights_refused)
{
    char err[256], dir[256], path[512];
    bert_fixture fx;
    cr_assert_eq(bert_fixture_load(bert_fixture_path(), &fx, err, sizeof err), 0, "%s", err);
    cr_assert_eq(bert_checkpoint_write(bert_fixture_find(&fx, "h78_l3"), dir, sizeof dir, err, sizeof err), 0, "%s", err);
    snprintf(path, sizeof path, "%s/m.rtj", dir);
    static const struct { rtj_dtype dt; const char *name; } cases[] = {
        {RTJ_DTYPE_FP32, "emb.pos"}, {RTJ_DTYPE_FP32, "L1.ffn_in.w"}, {RTJ_DTYPE_FP32, "exit0.b"},
        {RTJ_DTYPE_INT8, "L0.qkv.s"}, {RTJ_DTYPE_INT8, "emb.word.s"}, {RTJ_DTYPE_INT8, "pooler.w"}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        write_rtj(dir, cases[c].dt, path);
        size_t size;
        unsigned char *b = slurp(path, &size);
        const int which = (int)(c % 3);
        memcpy(b + rtj_tensor_offset(b, cases[c].name) + 4, &specials[which], 4);
        rtj_file_fix_checksums(b, size);
        spit(path, b, size);
        load_fails(path, RTJ_DTYPE_INT8, RTJ_ERR_TENSOR, cases[c].name, special_names[which]);
        if (cases[c].dt == RTJ_DTYPE_FP32)
            load_fails(path, RTJ_DTYPE_FP32, RTJ_ERR_TENSOR, cases[c].name, special_names[which]);
        /* The same change without fixing the checksums: the data checksum catches it first. */
        write_rtj(dir, cases[c].dt, path);
        free(b);
        b = slurp(path, &size);
        b[rtj_tensor_offset(b, cases[c].name) + 5] ^= 0x01;
        spit(path, b, size);
        load_fails(path, cases[c].dt, RTJ_ERR_FORMAT, "weight data checksum", "corrupt");
        free(b);
    }
    unlink(path);
    bert_checkpoint_remove(dir);
    bert_fixture_free(&fx);
}

/* A version 1 file (no data checksum: what rtj wrote before) still loads, and answers as the version 2
 * file it was made from does, bit for bit. */
Test(model_integrity, rtj_version_1_still_loads)
{
    char err[256], dir[256], v2[512], v1[512];
    bert_fixture fx;
    cr_assert_eq(bert_fixture_load(bert_fixture_path(), &fx, err, sizeof err), 0, "%s", err);
    cr_assert_eq(bert_checkpoint_write(bert_fixture_find(&fx, "h78_l3"), dir, sizeof dir, err, sizeof err), 0, "%s", err);
    snprintf(v2, sizeof v2, "%s/v2.rtj", dir);
    snprintf(v1, sizeof v1, "%s/v1.rtj", dir);
    write_rtj(dir, RTJ_DTYPE_INT8, v2);
    size_t size;
    unsigned char *b = slurp(v2, &size);
    file_header hd;
    memcpy(&hd, b, sizeof hd);
    cr_assert_eq(hd.version, RTJ_FILE_VERSION, "the writer writes the current version");
    hd.version = 1;
    hd.data_checksum = 0;
    memcpy(b, &hd, sizeof hd);
    rtj_file_fix_checksums(b, size);
    spit(v1, b, size);
    float l1[64], l2[64];
    memset(l1, 0, sizeof l1), memset(l2, 0, sizeof l2);
    logits_of(v1, l1, 64);
    logits_of(v2, l2, 64);
    cr_assert(memcmp(l1, l2, sizeof l1) == 0, "version 1 and 2 files answer differently");
    /* A version this build does not know is refused by number. */
    hd.version = RTJ_FILE_VERSION + 1;
    memcpy(b, &hd, sizeof hd);
    rtj_file_fix_checksums(b, size);
    spit(v1, b, size);
    load_fails(v1, RTJ_DTYPE_INT8, RTJ_ERR_FORMAT, "version 3", "1 to 2");
    free(b);
    unlink(v1), unlink(v2);
    bert_checkpoint_remove(dir);
    bert_fixture_free(&fx);
}

/* The data checksum is one value however it is computed: streamed in pieces of any size (the writer) or
 * chunk by chunk on any number of threads (the loader), at lengths around the chunk size; and any one
 * changed byte changes it (each step is a bijection of the lane it feeds, so this holds for every byte). */
Test(model_integrity, data_checksum_streamed_or_threaded)
{
    const size_t C = RTJ_SUM_CHUNK, lens[] = {0, 1, 31, 32, 33, C - 1, C, C + 1, 3 * C + 77};
    unsigned char *b = test_alloc(3 * C + 77);
    test_rng rng = {5};
    for (size_t i = 0; i < 3 * C + 77; i++)
        b[i] = (unsigned char)rng_next(&rng);
    for (size_t l = 0; l < sizeof lens / sizeof lens[0]; l++) {
        const size_t n = lens[l];
        const uint64_t want = rtj_data_checksum(b, n, 1);
        for (int t = 2; t <= 7; t += 5)
            cr_assert_eq(rtj_data_checksum(b, n, t), want, "length %zu, %d threads", n, t);
        rtj_data_sum d;
        rtj_data_sum_init(&d);
        for (size_t off = 0; off < n;) {
            const size_t piece = 1 + rng_next(&rng) % (n < 100 ? 7 : 1000003);
            const size_t take = piece < n - off ? piece : n - off;
            rtj_data_sum_update(&d, b + off, take);
            off += take;
        }
        cr_assert_eq(rtj_data_sum_final(&d), want, "length %zu streamed", n);
        if (n) {
            const size_t at = rng_next(&rng) % n;
            b[at] ^= 0x10;
            cr_assert_neq(rtj_data_checksum(b, n, 2), want, "length %zu: byte %zu changed, same checksum", n, at);
            b[at] ^= 0x10;
        }
    }
    free(b);
}
