/* The tokenizer's API: vocabulary files and their errors, special tokens, offsets, pairs and truncation.
 * Conformance to BertTokenizer on real and hard text: test_tokenizer_corpus.c; robustness (invalid UTF-8,
 * 1 MB lines, random bytes, threads): test_tokenizer_robust.c. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "rtj_tokenizer.h"

#define VOCAB_PATH "../shared/data/vocab/bert-base-uncased-vocab.txt"

static rtj_vocab *vocab;
static rtj_tokenizer *uncased, *cased;
static rtj_tok_output out;

static void setup(void)
{
    cr_assert_eq(rtj_vocab_load_file(VOCAB_PATH, &vocab, NULL), RTJ_TOK_OK, "cannot load " VOCAB_PATH);
    rtj_tokenizer_options o = {0};
    cr_assert_eq(rtj_tokenizer_new(vocab, NULL, &uncased), RTJ_TOK_OK);
    cr_assert_eq(rtj_tokenizer_new(vocab, &o, &cased), RTJ_TOK_OK);
    rtj_tok_output_init(&out);
}

static void teardown(void)
{
    rtj_tok_output_free(&out);
    rtj_tokenizer_free(uncased);
    rtj_tokenizer_free(cased);
    rtj_vocab_free(vocab);
}

static void tokenize(const rtj_tokenizer *t, const char *a, const char *b, size_t max_len)
{
    cr_assert_eq(rtj_tokenize(t, a, strlen(a), b, b ? strlen(b) : 0, max_len, &out), RTJ_TOK_OK);
}

/* ids as a space-separated string, to compare whole outputs at once. */
static const char *ids_str(void)
{
    static char buf[4096];
    size_t k = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < out.n && k < sizeof buf - 16; i++)
        k += (size_t)snprintf(buf + k, sizeof buf - k, "%s%d", i ? " " : "", out.ids[i]);
    return buf;
}

static void expect_span(size_t i, size_t start, size_t end)
{
    cr_assert(out.offsets[i].start == start && out.offsets[i].end == end, "token %zu: [%zu, %zu), expected [%zu, %zu)",
              i, out.offsets[i].start, out.offsets[i].end, start, end);
}

/* ---- Vocabulary ------------------------------------------------------------------------------------ */
Test(tokenizer, vocab_file_lookup_and_specials, .init = setup, .fini = teardown)
{
    cr_assert_eq(rtj_vocab_size(vocab), 30522);
    cr_assert_eq(rtj_vocab_lookup(vocab, "the", 3), 1996);
    cr_assert_eq(rtj_vocab_lookup(vocab, "##ing", 5), 2075);
    cr_assert_eq(rtj_vocab_lookup(vocab, "thee", 3), 1996, "only len bytes are the key");
    cr_assert_eq(rtj_vocab_lookup(vocab, "no-such-token", 13), -1);
    cr_assert_eq(rtj_vocab_lookup(vocab, "", 0), -1);
    const int32_t want[5] = {0, 100, 101, 102, 103};
    for (int s = RTJ_TOKEN_PAD; s <= RTJ_TOKEN_MASK; s++)
        cr_assert_eq(rtj_vocab_special(vocab, (enum rtj_special_token)s), want[s]);
    size_t len;
    cr_assert_str_eq(rtj_vocab_token(vocab, 101, &len), "[CLS]");
    cr_assert_eq(len, 5);
    cr_assert_str_eq(rtj_vocab_token(vocab, 30521, NULL), "##～");
    cr_assert_null(rtj_vocab_token(vocab, 30522, NULL));
    cr_assert_null(rtj_vocab_token(vocab, -1, NULL));
    cr_assert_eq(rtj_tokenizer_vocab(uncased), vocab);
    cr_assert_str_eq(rtj_tokenizer_unicode_version(), "15.0.0");
}

static const char specials[] = "[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\n";

Test(tokenizer, vocab_buffer_line_endings_as_python_reads_them)
{
    /* Universal newlines: \r\n, \r and \n all end a line; an empty line is a token; no ending at the end. */
    const char text[] = "[PAD]\r\n[UNK]\r[CLS]\n[SEP]\n[MASK]\nhello\n\nwor ld\r\n##x";
    rtj_vocab *v;
    size_t line = 99;
    cr_assert_eq(rtj_vocab_load_buffer(text, sizeof text - 1, &v, &line), RTJ_TOK_OK);
    cr_assert_eq(line, 0);
    cr_assert_eq(rtj_vocab_size(v), 9);
    cr_assert_eq(rtj_vocab_lookup(v, "[UNK]", 5), 1);
    cr_assert_eq(rtj_vocab_lookup(v, "hello", 5), 5);
    cr_assert_eq(rtj_vocab_lookup(v, "", 0), 6);
    cr_assert_eq(rtj_vocab_lookup(v, "wor ld", 6), 7);
    cr_assert_eq(rtj_vocab_lookup(v, "##x", 3), 8);
    cr_assert_str_eq(rtj_vocab_token(v, 7, NULL), "wor ld");
    rtj_vocab_free(v);
}

Test(tokenizer, vocab_duplicate_token_takes_its_last_line)
{
    char text[128];
    snprintf(text, sizeof text, "%sx\ny\nx\n", specials);
    rtj_vocab *v;
    cr_assert_eq(rtj_vocab_load_buffer(text, strlen(text), &v, NULL), RTJ_TOK_OK);
    cr_assert_eq(rtj_vocab_size(v), 8);
    cr_assert_eq(rtj_vocab_lookup(v, "x", 1), 7, "a Python dict keeps the last assignment");
    cr_assert_str_eq(rtj_vocab_token(v, 5, NULL), "x");
    rtj_tokenizer *t;
    cr_assert_eq(rtj_tokenizer_new(v, NULL, &t), RTJ_TOK_OK);
    rtj_tok_output o = {0};
    cr_assert_eq(rtj_tokenize(t, "x y", 3, NULL, 0, 0, &o), RTJ_TOK_OK);
    cr_assert(o.n == 4 && o.ids[1] == 7 && o.ids[2] == 6);
    rtj_tok_output_free(&o);
    rtj_tokenizer_free(t);
    rtj_vocab_free(v);
}

Test(tokenizer, vocab_missing_special_token_is_named)
{
    const char *names[5] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"};
    const rtj_tok_status codes[5] = {RTJ_TOK_ERR_NO_PAD, RTJ_TOK_ERR_NO_UNK, RTJ_TOK_ERR_NO_CLS,
                                     RTJ_TOK_ERR_NO_SEP, RTJ_TOK_ERR_NO_MASK};
    for (int missing = 0; missing < 5; missing++) {
        char text[128] = "hello\n";
        for (int s = 0; s < 5; s++)
            if (s != missing)
                strcat(strcat(text, names[s]), "\n");
        strcat(text, "[cls]\n"); /* lookups are exact: the lowercase name does not count */
        rtj_vocab *v = (rtj_vocab *)1;
        rtj_tok_status st = rtj_vocab_load_buffer(text, strlen(text), &v, NULL);
        cr_assert_eq(st, codes[missing], "without %s", names[missing]);
        cr_assert_null(v);
        cr_assert(strstr(rtj_tokenizer_strerror(st), names[missing]), "%s", rtj_tokenizer_strerror(st));
    }
    rtj_vocab *v;
    cr_assert_eq(rtj_vocab_load_buffer("", 0, &v, NULL), RTJ_TOK_ERR_NO_PAD, "an empty vocabulary");
    cr_assert_eq(rtj_vocab_load_buffer(NULL, 0, &v, NULL), RTJ_TOK_ERR_NO_PAD);
}

Test(tokenizer, vocab_file_errors)
{
    rtj_vocab *v = (rtj_vocab *)1;
    size_t line = 99;
    cr_assert_eq(rtj_vocab_load_file("tests/data/no-such-vocab.txt", &v, &line), RTJ_TOK_ERR_IO);
    cr_assert_null(v);
    cr_assert_eq(line, 0);
    cr_assert_eq(rtj_vocab_load_file(NULL, &v, NULL), RTJ_TOK_ERR_ARG);
    cr_assert_eq(rtj_vocab_load_file(VOCAB_PATH, NULL, NULL), RTJ_TOK_ERR_ARG);
    cr_assert_eq(rtj_vocab_load_buffer(NULL, 3, &v, NULL), RTJ_TOK_ERR_ARG);
    cr_assert_eq(rtj_vocab_load_file(".", &v, NULL), RTJ_TOK_ERR_IO, "a directory");

    /* Not UTF-8 on line 7, in a file and in memory; line 8 would be fine. */
    char text[128];
    snprintf(text, sizeof text, "%sok\ncaf\xc3\nfine\n", specials);
    char path[] = "/tmp/rtj_vocab_XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cr_assert_eq(rtj_vocab_load_file(path, &v, &line), RTJ_TOK_ERR_VOCAB_UTF8);
    cr_assert_eq(line, 7);
    unlink(path);
    line = 0;
    cr_assert_eq(rtj_vocab_load_buffer(text, strlen(text), &v, &line), RTJ_TOK_ERR_VOCAB_UTF8);
    cr_assert_eq(line, 7);
    const char *bad[] = {"\xed\xa0\x80", "\xc0\xaf", "\xf4\x90\x80\x80", "\x80", "\xe2\x82"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(text, sizeof text, "%s%s\n", specials, bad[i]);
        cr_assert_eq(rtj_vocab_load_buffer(text, strlen(text), &v, &line), RTJ_TOK_ERR_VOCAB_UTF8, "case %zu", i);
        cr_assert_eq(line, 6);
    }
}

Test(tokenizer, strerror_says_something_for_every_status)
{
    for (int s = RTJ_TOK_OK; s <= RTJ_TOK_ERR_TOO_LONG; s++) {
        const char *m = rtj_tokenizer_strerror((rtj_tok_status)s);
        cr_assert(m && *m && !strstr(m, "unknown"), "status %d", s);
        for (int t = RTJ_TOK_OK; t < s; t++)
            cr_assert_str_neq(m, rtj_tokenizer_strerror((rtj_tok_status)t));
    }
    cr_assert(strstr(rtj_tokenizer_strerror((rtj_tok_status)1000), "unknown"));
}

Test(tokenizer, bad_arguments, .init = setup, .fini = teardown)
{
    rtj_tokenizer *t = (rtj_tokenizer *)1;
    cr_assert_eq(rtj_tokenizer_new(NULL, NULL, &t), RTJ_TOK_ERR_ARG);
    cr_assert_null(t);
    cr_assert_eq(rtj_tokenizer_new(vocab, NULL, NULL), RTJ_TOK_ERR_ARG);
    cr_assert_eq(rtj_tokenize(NULL, "a", 1, NULL, 0, 0, &out), RTJ_TOK_ERR_ARG);
    cr_assert_eq(rtj_tokenize(uncased, "a", 1, NULL, 0, 0, NULL), RTJ_TOK_ERR_ARG);
    cr_assert_eq(rtj_tokenize(uncased, NULL, 1, NULL, 0, 0, &out), RTJ_TOK_ERR_ARG);
    cr_assert_eq(rtj_tokenize(uncased, "a", 1, NULL, 0, 2, &out), RTJ_TOK_ERR_ARG, "max_len 1-2 has no room");
    cr_assert_eq(rtj_tokenize(uncased, "a", 1, "b", 1, 1, &out), RTJ_TOK_ERR_ARG);
    cr_assert_eq(rtj_tokenize(uncased, NULL, 0, NULL, 0, 0, &out), RTJ_TOK_OK, "NULL is fine when empty");
    cr_assert_eq(out.n, 2);
    rtj_vocab_free(NULL);
    rtj_tokenizer_free(NULL);
    rtj_tok_output_free(NULL);
    cr_assert_eq(rtj_vocab_size(NULL), 0);
    cr_assert_eq(rtj_vocab_lookup(NULL, "a", 1), -1);
    cr_assert_eq(rtj_vocab_special(vocab, (enum rtj_special_token)5), -1);
}

/* ---- Texts ------------------------------------------------------------------------------------------ */
Test(tokenizer, empty_blank_and_punctuation_only, .init = setup, .fini = teardown)
{
    const char *blank[] = {"", " ", "   \t\n\r ", "\xc2\xa0\xe3\x80\x80", "\x01\x02\x7f", "\xe2\x80\x8b\xef\xbb\xbf"};
    for (size_t i = 0; i < sizeof blank / sizeof blank[0]; i++) {
        tokenize(uncased, blank[i], NULL, 0);
        cr_assert_str_eq(ids_str(), "101 102", "case %zu", i);
        cr_assert(out.n_a == 0 && out.truncated_a == 0 && out.type_ids[1] == 0);
    }
    tokenize(uncased, "", "", 0);
    cr_assert_str_eq(ids_str(), "101 102 102");
    cr_assert(out.type_ids[0] == 0 && out.type_ids[1] == 0 && out.type_ids[2] == 1);
    tokenize(uncased, "!?.", NULL, 0);
    cr_assert_str_eq(ids_str(), "101 999 1029 1012 102");
    expect_span(1, 0, 1);
    expect_span(2, 1, 2);
    expect_span(3, 2, 3);
    tokenize(uncased, "\xc2\xbf\xe3\x80\x82", NULL, 0); /* ¿。: punctuation outside ASCII */
    cr_assert_eq(out.n_a, 2);
    expect_span(1, 0, 2);
    expect_span(2, 2, 5);
}

Test(tokenizer, offsets_point_at_the_input_bytes, .init = setup, .fini = teardown)
{
    tokenize(uncased, "tokenization unaffable", NULL, 0);
    cr_assert_str_eq(ids_str(), "101 19204 3989 14477 20961 3468 102");
    expect_span(0, 0, 0);
    expect_span(1, 0, 5);
    expect_span(2, 5, 12);
    expect_span(3, 13, 16);
    expect_span(5, 19, 22);
    expect_span(6, 0, 0);
    tokenize(uncased, "H\xc3\xa9llo  w\xc3\xb6rld", NULL, 0); /* Héllo wörld: accents stripped */
    cr_assert_str_eq(ids_str(), "101 7592 2088 102");
    expect_span(1, 0, 6);
    expect_span(2, 8, 14);
    tokenize(uncased, "\xc4\xb0stanbul \xe4\xb8\xad\xe6\x96\x87", NULL, 0); /* İstanbul 中文 */
    cr_assert_str_eq(ids_str(), "101 9960 1746 1861 102");
    expect_span(1, 0, 9);
    expect_span(2, 10, 13);
    expect_span(3, 13, 16);
    tokenize(uncased, "e\xcc\x81x", NULL, 0); /* e + combining acute, stripped: "ex" spans all 4 bytes */
    cr_assert_eq(out.n_a, 1);
    expect_span(1, 0, 4);
    tokenize(uncased, "\xea\xb0\x80", NULL, 0); /* 가 decomposes into 2 jamo pieces, each spanning it */
    cr_assert_eq(out.n_a, 2);
    expect_span(1, 0, 3);
    expect_span(2, 0, 3);
    tokenize(uncased, "xx a", "b  c", 0);
    cr_assert_str_eq(ids_str(), "101 22038 1037 102 1038 1039 102");
    cr_assert(out.type_ids[3] == 0 && out.type_ids[4] == 1 && out.type_ids[6] == 1);
    expect_span(4, 0, 1); /* into text_b */
    expect_span(5, 3, 4);
}

Test(tokenizer, special_tokens_written_in_the_text, .init = setup, .fini = teardown)
{
    tokenize(uncased, "hello[SEP]world [MASK]", NULL, 0);
    cr_assert_str_eq(ids_str(), "101 7592 102 2088 103 102");
    expect_span(2, 5, 10);
    expect_span(4, 16, 22);
    tokenize(uncased, "[cls] [ CLS ]", NULL, 0); /* case-sensitive, and whole */
    cr_assert_str_eq(ids_str(), "101 1031 18856 2015 1033 1031 18856 2015 1033 102");
    /* Cased, a control character inside is cleaned away first: BasicTokenizer's never_split keeps the
     * result whole. Uncased, HF lowercases before cleaning, so it is never "[CLS]" again. */
    tokenize(cased, "[CL\x01S]", NULL, 0);
    cr_assert_str_eq(ids_str(), "101 101 102");
    expect_span(1, 0, 6);
    tokenize(uncased, "[CL\x01S]", NULL, 0);
    cr_assert_str_eq(ids_str(), "101 1031 18856 2015 1033 102");
}

Test(tokenizer, cased_mode_composes_and_keeps_case, .init = setup, .fini = teardown)
{
    tokenize(cased, "caf\xc3\xa9", NULL, 0);
    char composed[64];
    strcpy(composed, ids_str());
    tokenize(cased, "cafe\xcc\x81", NULL, 0); /* NFC: e + U+0301 = é */
    cr_assert_str_eq(ids_str(), composed);
    tokenize(cased, "Hello", NULL, 0);
    cr_assert_str_eq(ids_str(), "101 100 102", "no uppercase H in an uncased vocabulary");
    tokenize(uncased, "Hello", NULL, 0);
    cr_assert_str_eq(ids_str(), "101 7592 102");
}

Test(tokenizer, words_over_100_characters_are_unk, .init = setup, .fini = teardown)
{
    char text[512];
    memset(text, 'a', 100);
    text[100] = '\0';
    tokenize(uncased, text, NULL, 0);
    cr_assert_gt(out.n_a, 1, "100 characters: WordPiece");
    strcat(text, "a");
    tokenize(uncased, text, NULL, 0);
    cr_assert_str_eq(ids_str(), "101 100 102", "101 characters");
    expect_span(1, 0, 101);
    /* The limit counts characters after normalization: 101 x "e" + U+0301 is 101 characters uncased. */
    text[0] = '\0';
    for (int i = 0; i < 101; i++)
        strcat(text, "e\xcc\x81");
    tokenize(uncased, text, NULL, 0);
    cr_assert_str_eq(ids_str(), "101 100 102");
    text[300] = '\0'; /* 100 of them */
    tokenize(uncased, text, NULL, 0);
    cr_assert_gt(out.n_a, 1);
}

/* ---- Truncation ------------------------------------------------------------------------------------- */
/* transformers' truncate_sequences, "longest_first", one token at a time. */
static void hf_longest_first(size_t na, size_t nb, int pair, size_t max_len, size_t *ka, size_t *kb)
{
    size_t total = na + nb + (pair ? 3 : 2);
    for (size_t r = total > max_len ? total - max_len : 0; r > 0; r--) {
        if (!pair || na > nb)
            na--;
        else
            nb--;
    }
    *ka = na;
    *kb = nb;
}

Test(tokenizer, truncation_longest_first_as_hf, .init = setup, .fini = teardown)
{
    char a[64], b[64];
    for (size_t na = 0; na <= 12; na++)
        for (size_t nb = 0; nb <= 12; nb++)
            for (int pair = 0; pair <= 1; pair++) {
                if (!pair && nb)
                    continue;
                /* "a a a ..." is one token a word; b's words are "b". */
                for (size_t i = 0; i < na; i++)
                    memcpy(a + 2 * i, "a ", 3);
                a[2 * na] = '\0';
                for (size_t i = 0; i < nb; i++)
                    memcpy(b + 2 * i, "b ", 3);
                b[2 * nb] = '\0';
                for (size_t max_len = 3; max_len <= 30; max_len++) {
                    size_t ka, kb;
                    hf_longest_first(na, nb, pair, max_len, &ka, &kb);
                    tokenize(uncased, a, pair ? b : NULL, max_len);
                    cr_assert(out.n_a == ka && out.n_b == kb, "na %zu nb %zu max_len %zu: kept %zu+%zu, HF %zu+%zu",
                              na, nb, max_len, out.n_a, out.n_b, ka, kb);
                    cr_assert(out.truncated_a == na - ka && out.truncated_b == nb - kb);
                    cr_assert_eq(out.n, ka + kb + (pair ? 3 : 2));
                    for (size_t i = 1; i <= ka; i++)
                        cr_assert(out.ids[i] == 1037 && out.type_ids[i] == 0 && out.offsets[i].start == 2 * (i - 1));
                    cr_assert(out.ids[ka + 1] == 102 && out.type_ids[ka + 1] == 0);
                    for (size_t i = 0; i < kb; i++)
                        cr_assert(out.ids[ka + 2 + i] == 1038 && out.type_ids[ka + 2 + i] == 1 &&
                                  out.offsets[ka + 2 + i].start == 2 * i);
                    cr_assert(out.ids[out.n - 1] == 102 && out.offsets[out.n - 1].end == 0);
                }
                tokenize(uncased, a, pair ? b : NULL, 0);
                cr_assert(out.n_a == na && out.n_b == nb && out.truncated_a == 0 && out.truncated_b == 0);
            }
}
