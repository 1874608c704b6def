/* Loading malformed models: each fault gives its status code and a message naming what is wrong, never
 * a crash. A good checkpoint (the fixture's h78_l3 case) is written, then broken one way at a time. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../include/rtj.h"
#include "bert_fixture.h"
#include "test_common.h"

typedef struct good {
    bert_fixture fx;
    char dir[256];
    char config[8192];
    size_t config_len;
} good;

static void write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void make_good(good *g)
{
    char err[256];
    cr_assert_eq(bert_fixture_load(bert_fixture_path(), &g->fx, err, sizeof err), 0, "%s", err);
    const bert_case *bc = bert_fixture_find(&g->fx, "h78_l3");
    cr_assert_not_null(bc);
    cr_assert_eq(bert_checkpoint_write(bc, g->dir, sizeof g->dir, err, sizeof err), 0, "%s", err);
    char path[512];
    snprintf(path, sizeof path, "%s/config.json", g->dir);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    g->config_len = fread(g->config, 1, sizeof g->config - 1, f);
    g->config[g->config_len] = '\0';
    fclose(f);
}

static void drop_good(good *g)
{
    bert_checkpoint_remove(g->dir);
    bert_fixture_free(&g->fx);
}

/* Loads path and expects status want with a message containing needle. */
static void expect(const char *path, rtj_dtype dt, rtj_status want, const char *needle)
{
    rtj_model *m = (rtj_model *)1;
    rtj_error err;
    rtj_load_options o = {dt, 1};
    rtj_status s = rtj_model_load(path, &o, &m, &err);
    cr_assert_eq(s, want, "expected %s, got %s: %s", rtj_strerror(want), rtj_strerror(s), s ? err.message : "");
    if (s == RTJ_OK) {
        rtj_model_free(m);
        return;
    }
    cr_assert_null(m, "a failed load must leave *out NULL");
    cr_assert(strstr(err.message, needle) != NULL, "message '%s' does not name '%s'", err.message, needle);
}

/* in with the first occurrence of from replaced by to, into out. */
static void replace(const char *in, const char *from, const char *to, char *out, size_t cap)
{
    const char *at = strstr(in, from);
    cr_assert_not_null(at, "config.json has no '%s'", from);
    snprintf(out, cap, "%.*s%s%s", (int)(at - in), in, to, at + strlen(from));
}

/* config.json with the first occurrence of from replaced by to. */
static void with_config(good *g, const char *from, const char *to)
{
    char text[8192];
    replace(g->config, from, to, text, sizeof text);
    write_file(g->dir, "config.json", text, strlen(text));
}

Test(model_load, config_faults)
{
    good g;
    make_good(&g);
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_OK, "");
    with_config(&g, "\"hidden_size\"", "\"hidden_sizes\"");
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_CONFIG, "hidden_size");
    with_config(&g, "\"exit_layers\": [", "\"exit_layers\": [7, ");
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_CONFIG, "exit_layers");
    with_config(&g, "\"exit_layers\": [", "\"exit_layers\": [-1, ");
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_CONFIG, "exit_layers");
    with_config(&g, "{", "{,");
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_FORMAT, "config.json");
    with_config(&g, "\"num_attention_heads\": 3", "\"num_attention_heads\": 5");
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_CONFIG, "num_attention_heads");
    with_config(&g, "\"hidden_act\": \"gelu\"", "\"hidden_act\": \"relu\"");
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_CONFIG, "hidden_act");
    /* A tensor the config asks for and the file lacks; a shape the config contradicts. */
    char four[8192], tmp[8192];
    replace(g.config, "\"num_hidden_layers\": 3", "\"num_hidden_layers\": 4", tmp, sizeof tmp);
    replace(tmp, "\"exit_layers\": [", "\"exit_layers\": [0, 1, 2, 3], \"unused\": [", four, sizeof four);
    replace(four, "\"exit_temperatures\": [", "\"exit_temperatures\": [1, ", tmp, sizeof tmp);
    memcpy(four, tmp, sizeof four);
    write_file(g.dir, "config.json", four, strlen(four));
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_TENSOR, "encoder.layer.3.");
    with_config(&g, "\"intermediate_size\": 200", "\"intermediate_size\": 201");
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_TENSOR, "intermediate.dense.weight");
    write_file(g.dir, "config.json", g.config, g.config_len);
    drop_good(&g);
}

Test(model_load, file_faults)
{
    good g;
    make_good(&g);
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", g.dir);
    /* Truncated weights. */
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    fseek(f, 0, SEEK_END);
    const long size = ftell(f);
    fclose(f);
    cr_assert_eq(truncate(path, size / 2), 0);
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_FORMAT, "model.safetensors");
    cr_assert_eq(truncate(path, 4), 0);
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_FORMAT, "model.safetensors");
    unlink(path);
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_IO, "model.safetensors");
    /* No vocabulary; one without [CLS]. */
    snprintf(path, sizeof path, "%s/vocab.txt", g.dir);
    unlink(path);
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_IO, "vocab.txt");
    write_file(g.dir, "vocab.txt", "[PAD]\n[UNK]\n[SEP]\n[MASK]\n", 26);
    expect(g.dir, RTJ_DTYPE_FP32, RTJ_ERR_FORMAT, "vocab.txt");
    expect("/nonexistent/rtj/model", RTJ_DTYPE_FP32, RTJ_ERR_IO, "/nonexistent/rtj/model");
    drop_good(&g);
}

/* .rtj files: a corrupt header, a truncated file, a flipped byte in the table, the wrong dtype. */
Test(model_load, rtj_file_faults)
{
    good g;
    make_good(&g);
    rtj_model *m;
    rtj_error err;
    rtj_load_options o8 = {RTJ_DTYPE_INT8, 1};
    cr_assert_eq(rtj_model_load(g.dir, &o8, &m, &err), RTJ_OK, "%s", err.message);
    char path[512];
    snprintf(path, sizeof path, "%s/m.rtj", g.dir);
    cr_assert_eq(rtj_model_save(m, path, &err), RTJ_OK, "%s", err.message);
    rtj_model_free(m);
    expect(path, RTJ_DTYPE_INT8, RTJ_OK, "");
    expect(path, RTJ_DTYPE_FP32, RTJ_ERR_ARG, "INT8");
    FILE *f = fopen(path, "r+b");
    cr_assert_not_null(f);
    unsigned char byte;
    /* A byte of the metadata (inside the checksum), flipped. */
    fseek(f, 140, SEEK_SET);
    cr_assert_eq(fread(&byte, 1, 1, f), 1);
    fseek(f, 140, SEEK_SET);
    byte ^= 0x20;
    fwrite(&byte, 1, 1, f);
    fclose(f);
    expect(path, RTJ_DTYPE_INT8, RTJ_ERR_FORMAT, "checksum");
    f = fopen(path, "r+b");
    fseek(f, 0, SEEK_SET);
    fwrite("XTJ", 1, 3, f);
    fclose(f);
    expect(path, RTJ_DTYPE_INT8, RTJ_ERR_FORMAT, "not an .rtj");
    cr_assert_eq(truncate(path, 100), 0);
    expect(path, RTJ_DTYPE_INT8, RTJ_ERR_FORMAT, "not an .rtj");
    drop_good(&g);
}
