/* The tokenizer on hostile input: invalid UTF-8 (every text is copied into a heap block of exactly its
 * size, so that AddressSanitizer sees any read past it), 1 MB lines, random bytes; and many threads
 * sharing one tokenizer. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "test_common.h"

#include "rtj_tokenizer.h"

#define VOCAB_PATH "../shared/data/vocab/bert-base-uncased-vocab.txt"

static rtj_vocab *vocab;
static rtj_tokenizer *tk[2]; /* cased, uncased */

static void setup(void)
{
    cr_assert_eq(rtj_vocab_load_file(VOCAB_PATH, &vocab, NULL), RTJ_TOK_OK, "cannot load " VOCAB_PATH);
    for (int u = 0; u < 2; u++) {
        rtj_tokenizer_options o = {u};
        cr_assert_eq(rtj_tokenizer_new(vocab, &o, &tk[u]), RTJ_TOK_OK);
    }
}

static void teardown(void)
{
    rtj_tokenizer_free(tk[0]);
    rtj_tokenizer_free(tk[1]);
    rtj_vocab_free(vocab);
}

/* Tokenizes len bytes from a heap block of exactly that size. */
static void run(const rtj_tokenizer *t, const void *text, size_t len, size_t max_len, rtj_tok_output *o)
{
    char *copy = test_alloc(len);
    memcpy(copy, text, len);
    cr_assert_eq(rtj_tokenize(t, copy, len, NULL, 0, max_len, o), RTJ_TOK_OK);
    free(copy);
}

/* Whatever the input: the layout, and spans inside the text. */
static void check_invariants(const rtj_tok_output *o, size_t len, size_t max_len)
{
    cr_assert_eq(o->n, o->n_a + 2);
    cr_assert(!max_len || o->n <= max_len);
    cr_assert(o->ids[0] == 101 && o->ids[o->n - 1] == 102);
    for (size_t i = 1; i + 1 < o->n; i++) {
        cr_assert(o->ids[i] >= 0 && (size_t)o->ids[i] < rtj_vocab_size(vocab));
        cr_assert(o->offsets[i].start < o->offsets[i].end && o->offsets[i].end <= len, "token %zu: [%zu, %zu) of %zu",
                  i, o->offsets[i].start, o->offsets[i].end, len);
        cr_assert_eq(o->type_ids[i], 0);
    }
}

static int same_ids(const rtj_tok_output *a, const rtj_tok_output *b)
{
    return a->n == b->n && memcmp(a->ids, b->ids, a->n * sizeof *a->ids) == 0;
}

/* Each invalid byte is U+FFFD, which cleaning drops: the text tokenizes as if the bytes were not there. */
Test(tokenizer, invalid_utf8_bytes_are_dropped, .init = setup, .fini = teardown)
{
    static const struct { const char *bad, *clean; } cases[] = {
        {"caf\xc3", "caf"},                      /* truncated 2-byte sequence at the very end */
        {"x \xe2\x82", "x "},                    /* truncated 3-byte */
        {"\xf0\x9f\x98", ""},                    /* truncated 4-byte */
        {"\xf0\x9f\x98 ok", " ok"},
        {"a\xc0\xaf" "b", "ab"},                 /* overlong "/" */
        {"a\xe0\x80\xaf" "b", "ab"},             /* overlong, 3 bytes */
        {"a\xf0\x80\x80\xaf" "b", "ab"},         /* overlong, 4 bytes */
        {"a\xed\xa0\x80" "b", "ab"},             /* surrogate U+D800 */
        {"a\xed\xbf\xbf" "b", "ab"},             /* surrogate U+DFFF */
        {"a\xf4\x90\x80\x80" "b", "ab"},         /* U+110000 */
        {"a\xf5\x80\x80\x80" "b", "ab"},
        {"a\xf8\x88\x80\x80\x80" "b", "ab"},     /* 5-byte form */
        {"a\x80\xbf" "b", "ab"},                 /* lone continuation bytes */
        {"\xfe\xff hello", " hello"},
        {"hello \xe4\xb8 world", "hello  world"}, /* a CJK character cut short is no CJK character */
        {"[CL\xffS]", "[CLS]"},                   /* not a special token: matched on the raw bytes */
        {"\xef\xbf\xbd", ""},                     /* U+FFFD itself */
    };
    rtj_tok_output a = {0}, b = {0};
    for (int u = 0; u < 2; u++)
        for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            run(tk[u], cases[i].bad, strlen(cases[i].bad), 0, &a);
            check_invariants(&a, strlen(cases[i].bad), 0);
            if (i == 15) { /* cleaned to "[CLS]": BasicTokenizer's never_split keeps it whole when cased */
                cr_assert_eq(a.ids[1] == 101, !u);
                continue;
            }
            run(tk[u], cases[i].clean, strlen(cases[i].clean), 0, &b);
            cr_assert(same_ids(&a, &b), "case %zu (%s)", i, u ? "uncased" : "cased");
        }
    run(tk[1], "a\xff" "b", 3, 0, &a); /* the word "ab" spans the invalid byte */
    cr_assert(a.n == 3 && a.offsets[1].start == 0 && a.offsets[1].end == 3);
    rtj_tok_output_free(&a);
    rtj_tok_output_free(&b);
}

Test(tokenizer, one_megabyte_lines, .init = setup, .fini = teardown)
{
    const size_t mb = 1 << 20;
    char *text = test_alloc(mb);
    rtj_tok_output o = {0};

    /* Words and punctuation: "hello world, " is 3 tokens in 13 bytes. */
    size_t len = mb / 13 * 13, words = len / 13 * 3;
    for (size_t i = 0; i < len; i++)
        text[i] = "hello world, "[i % 13];
    run(tk[1], text, len, 0, &o);
    cr_assert_eq(o.n_a, words);
    cr_assert(o.ids[o.n - 2] == 1010 && o.offsets[o.n - 2].end == len - 1);
    run(tk[1], text, len, 512, &o);
    cr_assert(o.n == 512 && o.n_a == 510 && o.truncated_a == words - 510);

    /* One word of 1 MB: one [UNK] spanning it all; and one of 1 MB of "é", stripped to "e" uncased. */
    memset(text, 'x', mb);
    run(tk[1], text, mb, 0, &o);
    cr_assert(o.n == 3 && o.ids[1] == 100 && o.offsets[1].start == 0 && o.offsets[1].end == mb);
    for (size_t i = 0; i < mb; i += 2)
        memcpy(text + i, "\xc3\xa9", 2);
    for (int u = 0; u < 2; u++) {
        run(tk[u], text, mb, 0, &o);
        cr_assert(o.n == 3 && o.ids[1] == 100 && o.offsets[1].end == mb);
    }

    /* CJK: each ideograph is a word (1 MB is not a multiple of 3: the cut one is dropped). */
    for (size_t i = 0; i + 3 <= mb; i += 3)
        memcpy(text + i, "\xe4\xb8\xad", 3);
    run(tk[1], text, mb, 0, &o);
    cr_assert_eq(o.n_a, mb / 3);
    check_invariants(&o, mb, 0);

    /* Only punctuation, then only whitespace. */
    memset(text, '!', mb);
    run(tk[0], text, mb, 0, &o);
    cr_assert(o.n_a == mb && o.ids[mb] == 999 && o.offsets[mb].start == mb - 1);
    memset(text, ' ', mb);
    run(tk[0], text, mb, 0, &o);
    cr_assert_eq(o.n, 2);
    free(text);
    rtj_tok_output_free(&o);
}

/* Random bytes weighted towards what breaks tokenizers: ASCII, brackets, marks, CJK, invalid bytes. */
static size_t random_text(test_rng *r, char *buf, size_t max)
{
    static const char *const atoms[] = {
        "a", "B", " ", "!", "[", "[SEP]", "[CLS]", "\xcc\x81", "\xc3\xa9", "\xe4\xb8\xad", "\xea\xb0\x80", "\xe1\x84\x80",
        "\xe1\x85\xa1", "\xe2\x80\x8b", "\xf0\x9f\x98\x80", "\xc2\xa0", "\x00", "\x01", "\xff", "\x80", "\xc3", "\xe2\x82",
        "\xf0\x9f", "\xed\xa0\x80", "\xc4\xb0", "\xce\xa3", "\xef\xac\x81", "\xf0\x9d\x85\xa5", "\xf0\x9d\x85\xad", "<",
        "\xcc\xb8", "\xe2\x89\xa0", "\xe1\xbe\xbc", "##", "\xe3\x82\x99", "\xe0\xa4\xbc", "\xe0\xa5\x8d", "\t", "\n",
    };
    size_t n = 0, count = rng_next(r) % 60;
    for (size_t i = 0; i < count; i++) {
        const char *a = atoms[rng_next(r) % (sizeof atoms / sizeof atoms[0])];
        size_t len = a[0] ? strlen(a) : 1;
        if (rng_next(r) % 8 == 0) { /* a raw random byte */
            buf[n++] = (char)rng_next(r);
        } else if (n + len <= max) {
            memcpy(buf + n, a, len);
            n += len;
        }
        if (n + 8 > max)
            break;
    }
    return n;
}

Test(tokenizer, random_bytes_keep_the_invariants, .init = setup, .fini = teardown)
{
    test_rng rng = {0x9E3779B97F4A7C15ull};
    char buf[512];
    rtj_tok_output reused = {0}, fresh = {0};
    for (int iter = 0; iter < 3000; iter++) {
        size_t len = random_text(&rng, buf, sizeof buf);
        size_t max_len = iter % 3 ? 0 : 3 + rng_next(&rng) % 20;
        int u = iter & 1;
        run(tk[u], buf, len, max_len, &reused);
        check_invariants(&reused, len, max_len);
        rtj_tok_output_init(&fresh);
        run(tk[u], buf, len, max_len, &fresh);
        cr_assert(same_ids(&reused, &fresh), "iteration %d: a reused output must give what a fresh one gives", iter);
        rtj_tok_output_free(&fresh);
    }
    rtj_tok_output_free(&reused);
}

/* ---- Threads ---------------------------------------------------------------------------------------- */
#define THREADS 4
#define TEXTS 64

typedef struct job {
    const rtj_tokenizer *tok;
    const char *const *texts;
    const rtj_tok_output *expected;
    int mismatches;
} job;

static void *worker(void *arg)
{
    job *j = arg;
    rtj_tok_output o = {0};
    for (int rep = 0; rep < 20; rep++)
        for (int i = 0; i < TEXTS; i++) {
            if (rtj_tokenize(j->tok, j->texts[i], strlen(j->texts[i]), NULL, 0, 0, &o) != RTJ_TOK_OK ||
                !same_ids(&o, &j->expected[i]))
                j->mismatches++;
        }
    rtj_tok_output_free(&o);
    return NULL;
}

Test(tokenizer, threads_share_one_tokenizer, .init = setup, .fini = teardown)
{
    static char storage[TEXTS][256];
    const char *texts[TEXTS];
    rtj_tok_output expected[TEXTS];
    test_rng rng = {12345};
    for (int i = 0; i < TEXTS; i++) {
        size_t len = random_text(&rng, storage[i], sizeof storage[i] - 1);
        for (size_t k = 0; k < len; k++)
            storage[i][k] = storage[i][k] ? storage[i][k] : 'z'; /* strlen below */
        storage[i][len] = '\0';
        texts[i] = storage[i];
        rtj_tok_output_init(&expected[i]);
        cr_assert_eq(rtj_tokenize(tk[1], texts[i], len, NULL, 0, 0, &expected[i]), RTJ_TOK_OK);
    }
    pthread_t th[THREADS];
    job jobs[THREADS];
    for (int t = 0; t < THREADS; t++) {
        jobs[t] = (job){tk[1], texts, expected, 0};
        cr_assert_eq(pthread_create(&th[t], NULL, worker, &jobs[t]), 0);
    }
    for (int t = 0; t < THREADS; t++) {
        pthread_join(th[t], NULL);
        cr_assert_eq(jobs[t].mismatches, 0, "thread %d", t);
    }
    for (int i = 0; i < TEXTS; i++)
        rtj_tok_output_free(&expected[i]);
}
