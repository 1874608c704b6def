/* The JSON reader (include/rtj_json.h) on arbitrary bytes, then config.json's checks on whatever parses.
 * Invariants: a parse either fails with a message or gives a tree whose every node lies inside the text
 * (offset < end <= len, children inside their parent), whose object keys are each found by lookup, and
 * which parses the same when its own bytes are parsed again. */
#include <string.h>

#include "../../model/model.h"
#include "rtj_json.h"
#include "fuzz.h"

static void walk(const rtj_json *v, size_t lo, size_t hi, int depth)
{
    FUZZ_CHECK(v->offset >= lo && v->offset < v->end && v->end <= hi, "node [%zu, %zu) outside [%zu, %zu)",
               v->offset, v->end, lo, hi);
    FUZZ_CHECK(depth <= RTJ_JSON_DEFAULT_DEPTH + 1, "depth %d past the limit", depth);
    size_t len;
    switch (v->type) {
    case RTJ_JSON_STRING:
        FUZZ_CHECK(rtj_json_as_string(v, &len) == v->string && len == v->length && v->string[len] == '\0', "string");
        break;
    case RTJ_JSON_NUMBER: {
        double d;
        int64_t i;
        FUZZ_CHECK(rtj_json_as_number(v, &d), "number");
        if (rtj_json_as_int64(v, &i))
            FUZZ_CHECK(v->is_integer && i == v->integer, "integer");
        break;
    }
    case RTJ_JSON_ARRAY:
        for (size_t i = 0; i < v->count; i++)
            walk(rtj_json_at(v, i), v->offset, v->end, depth + 1);
        FUZZ_CHECK(rtj_json_at(v, v->count) == NULL, "array read past its count");
        break;
    case RTJ_JSON_OBJECT:
        for (size_t i = 0; i < v->count; i++) {
            const rtj_json_key *k = rtj_json_key_at(v, i);
            FUZZ_CHECK(rtj_json_get_n(v, k->str, k->len) == rtj_json_value_at(v, i), "key %zu not found by lookup", i);
            walk(rtj_json_value_at(v, i), v->offset, v->end, depth + 1);
        }
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    char msg[256];
    rtj_json *root = NULL;
    if (rtj_json_parse(text, size, &root, msg, sizeof msg) != 0) {
        FUZZ_CHECK(root == NULL && msg[0] != '\0', "a failed parse must say why and leave no tree");
    } else {
        walk(root, 0, size, 0);
        /* The value's own bytes parse to the same shape. */
        rtj_json *again = NULL;
        FUZZ_CHECK(rtj_json_parse(text + root->offset, root->end - root->offset, &again, msg, sizeof msg) == 0,
                   "the root's bytes do not parse again: %s", msg);
        FUZZ_CHECK(again->type == root->type && rtj_json_count(again) == rtj_json_count(root), "reparse differs");
        rtj_json_free(again);
        rtj_json_free(root);
    }
    /* A shallow limit: refused or parsed, never past it. */
    rtj_json_limits lim = {.max_depth = 3, .max_bytes = 1 << 16};
    if (rtj_json_parse_ex(text, size, &lim, &root, msg, sizeof msg) == 0)
        rtj_json_free(root);
    /* config.json's semantic checks: every fault a message, everything freed. */
    rtj_config cfg;
    rtj_error err;
    if (rtj_config_parse(text, size, &cfg, &err) == RTJ_OK) {
        FUZZ_CHECK(cfg.num_exits >= 1 && cfg.exit_layers[cfg.num_exits - 1] < cfg.layers, "exits");
        rtj_config_free(&cfg);
    } else {
        FUZZ_CHECK(err.message[0] != '\0', "config error without a message");
    }
    return 0;
}
