/* config.json: the standard Hugging Face BERT keys plus rtj's exit_layers / exit_temperatures, read
 * strictly. Every value is range-checked before anything is allocated from it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rtj_json.h"
#include "model.h"

#define CFG_FAIL(...) rtj_fail(err, RTJ_ERR_CONFIG, "config.json: " __VA_ARGS__)

/* An integer key in [lo, hi]; absent keys take dflt, or fail when required. */
static rtj_status get_int(const rtj_json *root, const char *key, int required, int dflt, int64_t lo, int64_t hi,
                          int *out, rtj_error *err)
{
    const rtj_json *v = rtj_json_get(root, key);
    if (!v) {
        if (required)
            return CFG_FAIL("missing key \"%s\"", key);
        *out = dflt;
        return RTJ_OK;
    }
    int64_t x;
    if (!rtj_json_as_int64(v, &x))
        return CFG_FAIL("\"%s\" must be an integer", key);
    if (x < lo || x > hi)
        return CFG_FAIL("\"%s\" is %lld, outside [%lld, %lld]", key, (long long)x, (long long)lo, (long long)hi);
    *out = (int)x;
    return RTJ_OK;
}

static rtj_status parse_labels(const rtj_json *root, rtj_config *c, rtj_error *err)
{
    const rtj_json *id2label = rtj_json_get(root, "id2label");
    const rtj_json *nl = rtj_json_get(root, "num_labels");
    if (id2label && id2label->type != RTJ_JSON_OBJECT)
        return CFG_FAIL("\"id2label\" must be an object");
    if (!nl && !id2label)
        return CFG_FAIL("neither \"num_labels\" nor \"id2label\" is given");
    c->num_labels = (int)rtj_json_count(id2label);
    if (nl) {
        int n;
        TRY(get_int(root, "num_labels", 1, 0, 1, 100000, &n, err));
        if (id2label && n != c->num_labels)
            return CFG_FAIL("\"num_labels\" is %d but \"id2label\" has %d entries", n, c->num_labels);
        c->num_labels = n;
    }
    if (c->num_labels < 1)
        return CFG_FAIL("\"id2label\" is empty");
    c->labels = calloc((size_t)c->num_labels, sizeof *c->labels);
    if (!c->labels)
        return rtj_fail(err, RTJ_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < rtj_json_count(id2label); i++) {
        const rtj_json_key *k = rtj_json_key_at(id2label, i);
        size_t len;
        const char *name = rtj_json_as_string(rtj_json_value_at(id2label, i), &len);
        char *end;
        long id = strtol(k->str, &end, 10);
        if (k->len == 0 || *end != '\0' || (size_t)(end - k->str) != k->len || id < 0 || id >= c->num_labels ||
            !(k->str[0] >= '0' && k->str[0] <= '9'))
            return CFG_FAIL("\"id2label\" key \"%.40s\" is not a label id in [0, %d)", k->str, c->num_labels);
        if (!name || memchr(name, '\0', len))
            return CFG_FAIL("\"id2label\" value of \"%.40s\" must be a string", k->str);
        if (c->labels[id])
            return CFG_FAIL("\"id2label\" has label id %ld twice", id);
        if (!(c->labels[id] = strdup(name)))
            return rtj_fail(err, RTJ_ERR_NOMEM, "out of memory");
    }
    for (int i = 0; i < c->num_labels; i++)
        if (!c->labels[i]) {
            char name[32];
            snprintf(name, sizeof name, "LABEL_%d", i); /* HF's default name */
            if (!(c->labels[i] = strdup(name)))
                return rtj_fail(err, RTJ_ERR_NOMEM, "out of memory");
        }
    return RTJ_OK;
}

static rtj_status parse_exits(const rtj_json *root, rtj_config *c, rtj_error *err)
{
    const rtj_json *el = rtj_json_get(root, "exit_layers");
    const rtj_json *et = rtj_json_get(root, "exit_temperatures");
    c->has_exit_layers = el != NULL;
    if (el && (el->type != RTJ_JSON_ARRAY || el->count == 0))
        return CFG_FAIL("\"exit_layers\" must be a non-empty array of layer indices");
    c->num_exits = el ? (int)el->count : 1;
    if (c->num_exits > c->layers)
        return CFG_FAIL("\"exit_layers\" has %d entries for %d layers", c->num_exits, c->layers);
    c->exit_layers = malloc((size_t)c->num_exits * sizeof *c->exit_layers);
    c->exit_temps = malloc((size_t)c->num_exits * sizeof *c->exit_temps);
    if (!c->exit_layers || !c->exit_temps)
        return rtj_fail(err, RTJ_ERR_NOMEM, "out of memory");
    for (int k = 0; k < c->num_exits; k++) {
        int64_t l = c->layers - 1;
        if (el && !rtj_json_as_int64(rtj_json_at(el, (size_t)k), &l))
            return CFG_FAIL("\"exit_layers\"[%d] must be an integer", k);
        if (l < 0 || l >= c->layers)
            return CFG_FAIL("\"exit_layers\"[%d] is %lld, outside [0, %d)", k, (long long)l, c->layers);
        if (k > 0 && l <= c->exit_layers[k - 1])
            return CFG_FAIL("\"exit_layers\" must be strictly ascending (%lld after %d)", (long long)l,
                            c->exit_layers[k - 1]);
        c->exit_layers[k] = (int)l;
        c->exit_temps[k] = 1.0f;
    }
    if (et) {
        if (et->type != RTJ_JSON_ARRAY || (int)et->count != c->num_exits)
            return CFG_FAIL("\"exit_temperatures\" must be an array of %d numbers, one per exit", c->num_exits);
        for (int k = 0; k < c->num_exits; k++) {
            double t;
            if (!rtj_json_as_number(rtj_json_at(et, (size_t)k), &t) || !(t > 0) || !isfinite((float)t))
                return CFG_FAIL("\"exit_temperatures\"[%d] must be a finite number > 0", k);
            c->exit_temps[k] = (float)t;
        }
    }
    return RTJ_OK;
}

static rtj_status parse_root(const rtj_json *root, rtj_config *c, rtj_error *err)
{
    if (root->type != RTJ_JSON_OBJECT)
        return CFG_FAIL("the top level must be an object");
    /* Bounds: generous for any BERT, small enough that no product of two overflows 32 bits of floats. */
    TRY(get_int(root, "hidden_size", 1, 0, 1, 16384, &c->hidden, err));
    TRY(get_int(root, "num_hidden_layers", 1, 0, 1, 1024, &c->layers, err));
    TRY(get_int(root, "num_attention_heads", 1, 0, 1, 1024, &c->heads, err));
    TRY(get_int(root, "intermediate_size", 1, 0, 1, 65536, &c->intermediate, err));
    TRY(get_int(root, "vocab_size", 1, 0, 1, 1000000, &c->vocab_size, err));
    TRY(get_int(root, "max_position_embeddings", 1, 0, 1, 8192, &c->max_positions, err));
    TRY(get_int(root, "type_vocab_size", 0, 2, 1, 1024, &c->type_vocab_size, err));
    if (c->hidden % c->heads != 0)
        return CFG_FAIL("hidden_size %d is not a multiple of num_attention_heads %d", c->hidden, c->heads);
    const rtj_json *eps = rtj_json_get(root, "layer_norm_eps");
    double e = 1e-12;
    if (eps && (!rtj_json_as_number(eps, &e) || !(e > 0) || e > 1))
        return CFG_FAIL("\"layer_norm_eps\" must be a number in (0, 1]");
    c->eps = (float)e;
    const rtj_json *act = rtj_json_get(root, "hidden_act");
    if (act) {
        size_t len;
        const char *a = rtj_json_as_string(act, &len);
        if (!a || strcmp(a, "gelu") != 0)
            return CFG_FAIL("\"hidden_act\" must be \"gelu\" (exact erf GELU), got %s%.40s%s", a ? "\"" : "",
                            a ? a : "a non-string", a ? "\"" : "");
    }
    const rtj_json *lc = rtj_json_get(root, "do_lower_case");
    bool lower = true;
    if (lc && !rtj_json_as_bool(lc, &lower))
        return CFG_FAIL("\"do_lower_case\" must be true or false");
    c->do_lower_case = lower;
    TRY(parse_labels(root, c, err));
    return parse_exits(root, c, err);
}

rtj_status rtj_config_parse(const char *text, size_t len, rtj_config *c, rtj_error *err)
{
    memset(c, 0, sizeof *c);
    char msg[256];
    rtj_json *root;
    if (rtj_json_parse(text, len, &root, msg, sizeof msg) != 0)
        return strcmp(msg, "out of memory") == 0 ? rtj_fail(err, RTJ_ERR_NOMEM, "out of memory")
                                                 : rtj_fail(err, RTJ_ERR_FORMAT, "config.json: %s", msg);
    rtj_status s = parse_root(root, c, err);
    rtj_json_free(root);
    if (s != RTJ_OK)
        rtj_config_free(c);
    return s;
}

void rtj_config_free(rtj_config *c)
{
    if (c->labels)
        for (int i = 0; i < c->num_labels; i++)
            free(c->labels[i]);
    free(c->labels);
    free(c->exit_layers);
    free(c->exit_temps);
    memset(c, 0, sizeof *c);
}
