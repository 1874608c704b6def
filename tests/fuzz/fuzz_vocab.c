/* The vocabulary reader (rtj_vocab_load_buffer) on arbitrary bytes, then a tokenizer on that vocabulary
 * over the same bytes as text. Invariants: a load either fails or every token's text looks up to an id
 * holding that same text (duplicates: the later line wins, as in Hugging Face), the special tokens exist,
 * and tokenizing gives ids inside the vocabulary. */
#include <string.h>

#include "rtj_tokenizer.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    rtj_vocab *v = NULL;
    size_t line = 0;
    if (rtj_vocab_load_buffer(data, size, &v, &line) != RTJ_TOK_OK) {
        FUZZ_CHECK(v == NULL, "a failed load must leave no vocabulary");
        return 0;
    }
    const size_t n = rtj_vocab_size(v);
    for (size_t id = 0; id < n; id++) {
        size_t len;
        const char *tok = rtj_vocab_token(v, (int32_t)id, &len);
        FUZZ_CHECK(tok != NULL, "token %zu", id);
        const int32_t found = rtj_vocab_lookup(v, tok, len);
        size_t flen;
        const char *ftok = rtj_vocab_token(v, found, &flen);
        FUZZ_CHECK(ftok && flen == len && memcmp(ftok, tok, len) == 0, "token %zu looks up to %d", id, found);
    }
    for (int s = RTJ_TOKEN_PAD; s <= RTJ_TOKEN_MASK; s++)
        FUZZ_CHECK(rtj_vocab_special(v, (enum rtj_special_token)s) >= 0, "special token %d missing", s);
    for (int lower = 0; lower <= 1; lower++) {
        rtj_tokenizer *tok;
        rtj_tokenizer_options o = {lower};
        FUZZ_CHECK(rtj_tokenizer_new(v, &o, &tok) == RTJ_TOK_OK, "tokenizer_new");
        rtj_tok_output out;
        rtj_tok_output_init(&out);
        if (rtj_tokenize(tok, (const char *)data, size, NULL, 0, 0, &out) == RTJ_TOK_OK)
            for (size_t i = 0; i < out.n; i++)
                FUZZ_CHECK(out.ids[i] >= 0 && (size_t)out.ids[i] < n, "id %d outside the vocabulary", out.ids[i]);
        rtj_tok_output_free(&out);
        rtj_tokenizer_free(tok);
    }
    rtj_vocab_free(v);
    return 0;
}
