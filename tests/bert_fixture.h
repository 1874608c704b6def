/* Test-only: the BERT golden references of tests/data/bert_reference.txt (written by
 * tools/bert_reference.py) and the checkpoints they describe. The fixture holds no weights; the writer
 * regenerates them bit for bit with the generator specified at the top of bert_fixture.c (and of the
 * script), and refuses to write a checkpoint whose weights do not match the fixture's weights_sum. */
#ifndef RTJ_BERT_FIXTURE_H
#define RTJ_BERT_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#define BERT_MAX_EXITS 32

typedef enum bert_dtype { BERT_F32, BERT_F16, BERT_BF16 } bert_dtype;

/* How tensors are named in model.safetensors (see the fixture's header comment). */
typedef enum bert_names {
    BERT_NAMES_PLAIN,
    BERT_NAMES_BERT_PREFIX,     /* "bert." on the body, exits.k.* as is, plus tensors to ignore */
    BERT_NAMES_GAMMA_BETA,      /* LayerNorm.gamma / LayerNorm.beta */
    BERT_NAMES_PLAIN_CLASSIFIER /* BertForSequenceClassification: bert.* + classifier.*, no exit keys */
} bert_names;

typedef struct bert_input {
    int n;         /* tokens, [CLS] and [SEP] included */
    int pair;      /* 1: [CLS] a [SEP] b [SEP] */
    int32_t *ids;  /* n */
    int32_t *types;/* n */
    float *logits; /* num_exits x num_labels, each exit's logits divided by its temperature */
} bert_input;

typedef struct bert_case {
    char name[64];
    uint64_t seed;
    int hidden, layers, heads, ffn, vocab, max_pos, type_vocab;
    double eps;
    int num_labels;
    char **id2label; /* num_labels names, or NULL: config.json has num_labels only */
    int num_exits;
    int exit_layers[BERT_MAX_EXITS];
    float temperatures[BERT_MAX_EXITS];
    int mix[BERT_MAX_EXITS];
    bert_dtype dtype;
    bert_names names;
    int vocab_bert_style; /* 1: [PAD] 0, [unused0..98], [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103 */
    uint64_t weights_sum;
    int num_inputs;
    bert_input *inputs;
} bert_case;

typedef struct bert_fixture {
    int num_cases;
    bert_case *cases;
} bert_fixture;

/* The fixture's path: $RTJ_BERT_FIXTURE, else tests/data/bert_reference.txt next to this source file. */
const char *bert_fixture_path(void);
/* Parses the fixture at path. Returns 0, or -1 with a message in err (errlen bytes). */
int bert_fixture_load(const char *path, bert_fixture *out, char *err, size_t errlen);
void bert_fixture_free(bert_fixture *f);
const bert_case *bert_fixture_find(const bert_fixture *f, const char *name);

/* Expected label name of label i ("LABEL_i" unless the case has id2label); buf of 32+ bytes. */
const char *bert_case_label(const bert_case *c, int i, char *buf, size_t buflen);

/* Creates a fresh directory ($TMPDIR or /tmp, mkdtemp, named rtj_bert_<pid>_XXXXXX; those left by dead
 * processes are removed on the way) holding config.json, model.safetensors and
 * vocab.txt for case c; its path goes to dir (dirlen >= 64). Returns 0, or -1 with a message in err (and
 * nothing left on disk). */
int bert_checkpoint_write(const bert_case *c, char *dir, size_t dirlen, char *err, size_t errlen);
/* Removes what bert_checkpoint_write created. Returns 0, or -1 if something could not be removed. */
int bert_checkpoint_remove(const char *dir);

/* The generator, exposed for tests of the fixture itself. */
uint64_t bert_fnv1a64(const char *s);
uint64_t bert_splitmix64(uint64_t *state);
uint16_t bert_f32_to_f16_bits(float f);
uint16_t bert_f32_to_bf16_bits(float f);

#endif
