/* rtj tokenizer: BERT's WordPiece tokenizer, token for token what Hugging Face's (slow, Python)
 * BertTokenizer produces, on any input bytes. Rules, Unicode version and invalid UTF-8: tokenizer/README.md.
 *
 * A vocabulary is loaded once and a tokenizer made from it; both are immutable afterwards, so any number
 * of threads may share them. Each thread tokenizes into its own rtj_tok_output, which also keeps the
 * scratch memory, so that a reused output does not allocate once it has grown to the largest input.
 * The library never prints and never exits; every failure is a status code. */
#ifndef RTJ_TOKENIZER_H
#define RTJ_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "rtj_api.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rtj_tok_status {
    RTJ_TOK_OK = 0,
    RTJ_TOK_ERR_ARG,         /* an argument is invalid (NULL, max_len below 3) */
    RTJ_TOK_ERR_NOMEM,       /* an allocation failed */
    RTJ_TOK_ERR_IO,          /* the vocabulary file cannot be opened or read (errno says why) */
    RTJ_TOK_ERR_VOCAB_UTF8,  /* a vocabulary line is not valid UTF-8 */
    RTJ_TOK_ERR_VOCAB_SIZE,  /* more than INT32_MAX tokens */
    RTJ_TOK_ERR_NO_PAD,      /* the vocabulary has no "[PAD]" */
    RTJ_TOK_ERR_NO_UNK,      /* ... no "[UNK]" */
    RTJ_TOK_ERR_NO_CLS,      /* ... no "[CLS]" */
    RTJ_TOK_ERR_NO_SEP,      /* ... no "[SEP]" */
    RTJ_TOK_ERR_NO_MASK,     /* ... no "[MASK]" */
    RTJ_TOK_ERR_TOO_LONG,    /* an input text of 4 GiB or more */
} rtj_tok_status;

/* A one-line English message for a status; never NULL. */
RTJ_API const char *rtj_tokenizer_strerror(rtj_tok_status status);
/* The version of the Unicode Character Database the tables come from, e.g. "15.0.0". */
RTJ_API const char *rtj_tokenizer_unicode_version(void);

/* ---- Vocabulary ------------------------------------------------------------------------------------ */
/* vocab.txt: one token a line, id = 0-based line number. Lines end at "\n", "\r\n" or "\r" (as Python's
 * universal newlines read them); a token that appears twice maps to its last line, as in Hugging Face's
 * load_vocab. The five special tokens must be present. */
typedef struct rtj_vocab rtj_vocab;

enum rtj_special_token { RTJ_TOKEN_PAD, RTJ_TOKEN_UNK, RTJ_TOKEN_CLS, RTJ_TOKEN_SEP, RTJ_TOKEN_MASK };

/* err_line, if not NULL, receives the 1-based line of a RTJ_TOK_ERR_VOCAB_UTF8 error and 0 otherwise.
 * On failure *out is NULL. */
RTJ_API rtj_tok_status rtj_vocab_load_file(const char *path, rtj_vocab **out, size_t *err_line);
/* The same from memory (a model file that embeds its vocabulary); the bytes are copied. */
RTJ_API rtj_tok_status rtj_vocab_load_buffer(const void *data, size_t len, rtj_vocab **out, size_t *err_line);
RTJ_API void rtj_vocab_free(rtj_vocab *vocab);

RTJ_API size_t rtj_vocab_size(const rtj_vocab *vocab);
/* The id of a token (exact bytes), or -1. */
RTJ_API int32_t rtj_vocab_lookup(const rtj_vocab *vocab, const char *token, size_t len);
/* The text of an id, NUL-terminated (*len, if not NULL, gets its length), or NULL when out of range. */
RTJ_API const char *rtj_vocab_token(const rtj_vocab *vocab, int32_t id, size_t *len);
RTJ_API int32_t rtj_vocab_special(const rtj_vocab *vocab, enum rtj_special_token which);

/* ---- Tokenizer ------------------------------------------------------------------------------------- */
/* "[CLS]", "[SEP]", "[PAD]", "[UNK]" and "[MASK]" written in a text become those tokens, as in Hugging
 * Face (whose split_special_tokens=True rtj does not offer: BertTokenizer still keeps a "[SEP]" that
 * stands alone). */
typedef struct rtj_tokenizer_options {
    /* 1 (uncased models, Hugging Face's default): lowercase and strip accents. 0 (cased): neither. */
    int do_lower_case;
} rtj_tokenizer_options;

#define RTJ_TOKENIZER_OPTIONS_DEFAULT ((rtj_tokenizer_options){1})

typedef struct rtj_tokenizer rtj_tokenizer;

/* opts NULL = RTJ_TOKENIZER_OPTIONS_DEFAULT. The tokenizer borrows vocab: free it first. */
RTJ_API rtj_tok_status rtj_tokenizer_new(const rtj_vocab *vocab, const rtj_tokenizer_options *opts,
                                         rtj_tokenizer **out);
RTJ_API void rtj_tokenizer_free(rtj_tokenizer *tok);
RTJ_API const rtj_vocab *rtj_tokenizer_vocab(const rtj_tokenizer *tok);

/* Where a token comes from: bytes [start, end) of the text it belongs to (text_a when its type id is 0,
 * text_b when 1). [CLS] and [SEP] added by rtj_tokenize have start == end == 0; every other token has
 * start < end. Pieces of one word that came from the same character share that character's bytes. */
typedef struct rtj_tok_span {
    size_t start, end;
} rtj_tok_span;

/* The result of rtj_tokenize. Zero it (or rtj_tok_output_init) before the first call, reuse it for the
 * next calls, free it with rtj_tok_output_free. The arrays belong to it and change at the next call. */
typedef struct rtj_tok_output {
    int32_t *ids;          /* n token ids: [CLS] a [SEP], or [CLS] a [SEP] b [SEP] */
    int32_t *type_ids;     /* n: 0 up to and including the first [SEP], 1 after */
    rtj_tok_span *offsets; /* n */
    size_t n;
    size_t n_a, n_b;                 /* word pieces of a and b kept */
    size_t truncated_a, truncated_b; /* word pieces of a and b dropped to fit max_len */
    /* private */
    size_t capacity;
    struct rtj_tok_scratch *scratch;
} rtj_tok_output;

RTJ_API void rtj_tok_output_init(rtj_tok_output *out);
RTJ_API void rtj_tok_output_free(rtj_tok_output *out);

/* Tokenizes text_a, or the pair (text_a, text_b) when text_b is not NULL, into BERT's model input.
 * Texts are UTF-8 of the given byte length (not NUL-terminated; NUL bytes are text, and cleaning drops
 * them); a text may be NULL when its length is 0. Invalid UTF-8 is not an error: every byte that does not
 * begin a well-formed sequence becomes U+FFFD, which cleaning drops, as Hugging Face does with text
 * decoded with errors="replace".
 * max_len > 0 truncates to at most max_len tokens, special tokens included, as Hugging Face's
 * truncation="longest_first" does (a pair loses one piece at a time from the longer side, from b on a
 * tie); it must then be at least 3. max_len == 0 never truncates. What was dropped is counted in
 * truncated_a and truncated_b. */
RTJ_API rtj_tok_status rtj_tokenize(const rtj_tokenizer *tok, const char *text_a, size_t len_a, const char *text_b,
                                    size_t len_b, size_t max_len, rtj_tok_output *out);

#ifdef __cplusplus
}
#endif
#endif
