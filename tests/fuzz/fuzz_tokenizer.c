/* The tokenizer on arbitrary bytes with the real bert-base-uncased vocabulary ($RTJ_FUZZ_VOCAB), single
 * texts and pairs, lowercasing on and off, with and without truncation. The first byte chooses: bit 0
 * lowercase, bit 1 a pair, bits 2-7 max_len (0: none, else 2 + value); a pair is split where the second
 * byte says. Invariants: the output is [CLS] a [SEP] (b [SEP]), type ids 0 then 1, every id inside the
 * vocabulary, every offset inside its text, the counts add up, and truncation keeps to max_len. */
#include <string.h>

#include "rtj_tokenizer.h"
#include "fuzz.h"

static rtj_vocab *vocab;
static rtj_tokenizer *toks[2];
static rtj_tok_output out; /* reused across inputs, as a caller would */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    const char *path = fuzz_env_path("RTJ_FUZZ_VOCAB");
    size_t line;
    if (rtj_vocab_load_file(path, &vocab, &line) != RTJ_TOK_OK) {
        fprintf(stderr, "fuzz_tokenizer: cannot load %s\n", path);
        exit(2);
    }
    for (int lower = 0; lower <= 1; lower++) {
        rtj_tokenizer_options o = {lower};
        if (rtj_tokenizer_new(vocab, &o, &toks[lower]) != RTJ_TOK_OK)
            exit(2);
    }
    rtj_tok_output_init(&out);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const int lower = data[0] & 1, pair = data[0] >> 1 & 1;
    const size_t max_len = (data[0] >> 2) ? 2 + (data[0] >> 2) : 0;
    const char *text = (const char *)data + 2;
    const size_t len = size - 2;
    const size_t len_a = pair ? len * data[1] / 255 : len, len_b = pair ? len - len_a : 0;
    const char *b = pair ? text + len_a : NULL;
    const rtj_tok_status s = rtj_tokenize(toks[lower], text, len_a, b, len_b, max_len, &out);
    FUZZ_CHECK(s == RTJ_TOK_OK, "tokenize: %s", rtj_tokenizer_strerror(s));
    const int32_t cls = rtj_vocab_special(vocab, RTJ_TOKEN_CLS), sep = rtj_vocab_special(vocab, RTJ_TOKEN_SEP);
    const size_t specials = pair ? 3 : 2, nv = rtj_vocab_size(vocab);
    FUZZ_CHECK(out.n == out.n_a + out.n_b + specials, "n %zu = %zu + %zu + %zu", out.n, out.n_a, out.n_b, specials);
    FUZZ_CHECK(pair || (out.n_b == 0 && out.truncated_b == 0), "pieces of b without a b");
    FUZZ_CHECK(!max_len || out.n <= max_len, "%zu tokens for max_len %zu", out.n, max_len);
    FUZZ_CHECK(max_len || (out.truncated_a == 0 && out.truncated_b == 0), "truncated without max_len");
    FUZZ_CHECK(out.ids[0] == cls && out.ids[1 + out.n_a] == sep && out.ids[out.n - 1] == sep, "special tokens");
    for (size_t i = 0; i < out.n; i++) {
        FUZZ_CHECK(out.ids[i] >= 0 && (size_t)out.ids[i] < nv, "id %d at %zu", out.ids[i], i);
        const int32_t want_type = i > 1 + out.n_a;
        FUZZ_CHECK(out.type_ids[i] == want_type, "type id %d at %zu", out.type_ids[i], i);
        const rtj_tok_span sp = out.offsets[i];
        const int special = i == 0 || i == 1 + out.n_a || i == out.n - 1;
        if (special)
            FUZZ_CHECK(sp.start == 0 && sp.end == 0, "span of special token %zu", i);
        else
            FUZZ_CHECK(sp.start < sp.end && sp.end <= (want_type ? len_b : len_a), "span [%zu, %zu) at %zu", sp.start,
                       sp.end, i);
    }
    return 0;
}
