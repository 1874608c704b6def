/* rtj: BERT text classifiers with early exits, on CPUs. The public API.
 *
 * A model is loaded once (from a Hugging Face checkpoint directory or an .rtj file) and is immutable
 * afterwards: any number of threads may share it. Each thread classifies through its own context, which
 * holds the scratch memory. Results point into the context and stay valid until its next call.
 * The library never prints and never exits; every failure is a status code, and loaders also fill an
 * rtj_error with a message naming the file, key or tensor at fault. */
#ifndef RTJ_H
#define RTJ_H

#include <stddef.h>
#include <stdint.h>

#include "rtj_api.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum rtj_status {
    RTJ_OK = 0,
    RTJ_ERR_NOMEM,        /* an allocation failed */
    RTJ_ERR_IO,           /* a file could not be opened, read, mapped or written */
    RTJ_ERR_FORMAT,       /* a file is malformed: JSON, safetensors, .rtj, vocab */
    RTJ_ERR_CONFIG,       /* config.json is well-formed but a value is missing, invalid or unsupported */
    RTJ_ERR_TENSOR,       /* a tensor is missing or has the wrong dtype or shape */
    RTJ_ERR_ARG,          /* an argument is invalid (NULL, out of range, threshold outside [0, 1]) */
    RTJ_ERR_ISA,          /* RTJ_ISA names an instruction set this CPU cannot run */
    RTJ_ERR_INPUT,        /* the input cannot be classified (no tokens, token id out of range, or the model's
                             values overflow float on it: an exit's logits are not finite) */
} rtj_status;

RTJ_API const char *rtj_strerror(rtj_status status);

/* Details of a failure: the code and a one-line message. */
typedef struct rtj_error {
    rtj_status code;
    char message[320];
} rtj_error;

typedef struct rtj_model rtj_model;
typedef struct rtj_context rtj_context;

typedef enum rtj_dtype { RTJ_DTYPE_FP32 = 0, RTJ_DTYPE_INT8 = 1 } rtj_dtype;

typedef struct rtj_load_options {
    rtj_dtype dtype; /* weights of the encoder's linear layers: FP32 or INT8 (quantized at load) */
    int threads;     /* worker threads per context; 0 = the number of online CPUs */
} rtj_load_options;

/* Loads PATH: a directory with config.json, model.safetensors and vocab.txt, or an .rtj file.
 * opts NULL = FP32, all CPUs. On failure *out is NULL and err (if not NULL) says why. */
RTJ_API rtj_status rtj_model_load(const char *path, const rtj_load_options *opts, rtj_model **out, rtj_error *err);
RTJ_API void rtj_model_free(rtj_model *model);

/* Writes the loaded model as one .rtj file (config, vocabulary, labels, temperatures and the weights in
 * the dtype it was loaded with, packed for the kernels), through a temporary file renamed into place, so
 * PATH is never left half-written. Loading it maps the file and uses the weights where they lie. */
RTJ_API rtj_status rtj_model_save(const rtj_model *model, const char *path, rtj_error *err);

/* What a loaded model is. Pointers stay valid while the model lives. */
typedef struct rtj_model_info {
    int hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab_size;
    int num_labels;
    int num_exits;
    const int *exit_layers;         /* num_exits 0-based layer indices, ascending */
    const float *exit_temperatures; /* num_exits */
    const char *const *labels;      /* num_labels names (id2label, or "LABEL_i") */
    rtj_dtype dtype;
    const char *isa;                /* the kernel set that runs it */
} rtj_model_info;
RTJ_API void rtj_model_get_info(const rtj_model *model, rtj_model_info *info);

/* The model's own tokenizer (its vocabulary and casing; include rtj_tokenizer.h to use it), the one
 * classification uses: tokenizing with it and max_len = max_positions gives the ids a text is classified
 * as. Borrowed: valid while the model lives. */
RTJ_API const struct rtj_tokenizer *rtj_model_tokenizer(const rtj_model *model);

RTJ_API rtj_status rtj_context_new(const rtj_model *model, rtj_context **out);
RTJ_API void rtj_context_free(rtj_context *ctx);

/* The threshold that never exits early: the forward pass runs to the last exit. */
#define RTJ_NO_EARLY_EXIT (-1.0f)

typedef struct rtj_classify_options {
    float threshold; /* in [0, 1]: leave at the first exit whose calibrated max probability >= it;
                        RTJ_NO_EARLY_EXIT: run to the last exit */
    int all_exits;   /* 1: run to the last exit and report every exit's logits and probabilities */
} rtj_classify_options;

typedef struct rtj_exit_output {
    int layer;           /* 0-based encoder layer */
    const float *logits; /* num_labels, divided by the exit's temperature */
    const float *probs;  /* num_labels */
} rtj_exit_output;

typedef struct rtj_result {
    int label_id;
    const char *label;
    const float *probs; /* num_labels: softmax of the answering exit's calibrated logits */
    int num_labels;
    int exit_index;     /* which exit answered */
    int exit_layer;     /* its 0-based layer */
    int layers_run;     /* encoder layers computed for this input */
    int tokens;         /* tokens fed to the model, [CLS] and [SEP] included */
    int truncated;      /* word pieces dropped to fit max_positions */
    int num_exits;      /* with all_exits: every exit; otherwise 0 */
    const rtj_exit_output *exits;
} rtj_result;

/* Classifies a text, or a pair (text_pair not NULL), tokenized with the model's vocabulary. */
RTJ_API rtj_status rtj_classify(rtj_context *ctx, const char *text, const char *text_pair,
                                const rtj_classify_options *opts, rtj_result *out);
/* Classifies a sequence of token ids as the model sees it ([CLS] ... [SEP] ...); types may be NULL
 * (all 0). n must be 1..max_positions and every id below vocab_size. */
RTJ_API rtj_status rtj_classify_ids(rtj_context *ctx, size_t n, const int32_t *ids, const int32_t *types,
                                    const rtj_classify_options *opts, rtj_result *out);

/* Classifies n texts (pairs: pairs not NULL, pairs[i] the second text of texts[i]) as one packed batch:
 * no padding, and each instance leaves at its own exit. out[i] answers texts[i]; an instance's result is
 * the same, bit for bit, as when it is classified alone. */
RTJ_API rtj_status rtj_classify_batch(rtj_context *ctx, size_t n, const char *const *texts, const char *const *pairs,
                                      const rtj_classify_options *opts, rtj_result *out);
/* The same for token-id sequences: lens[i] ids in ids[i]; types NULL or types[i] per instance. */
RTJ_API rtj_status rtj_classify_ids_batch(rtj_context *ctx, size_t n, const size_t *lens, const int32_t *const *ids,
                                          const int32_t *const *types, const rtj_classify_options *opts,
                                          rtj_result *out);

/* ---- For callers that replay or adjust what classification does (rtj-run eval and calibrate) ---------- */

/* The label a probability (or logit) vector answers: the index of its largest value, the first one among
 * ties; 0 when n <= 0. rtj_result.label_id is chosen by exactly this rule, so a caller that recomputes
 * answers from rtj_exit_output.probs agrees with classification. */
RTJ_API int rtj_top_label(const float *probs, int n);

/* The early-exit rule, the one every classify call applies at each exit but the last (which answers
 * whatever this says): 1 if an instance whose exit gives the calibrated probabilities probs[num_labels]
 * leaves there under `threshold`, i.e. threshold is in [0, 1) and probs[rtj_top_label(probs,
 * num_labels)] >= threshold; 0 otherwise. Threshold 1 and RTJ_NO_EARLY_EXIT never leave early (an FP32
 * softmax can round to exactly 1, and threshold 1 means full depth, as in the paper). Exposed so that a
 * caller replaying many thresholds over one all_exits run decides exactly as classification would. */
RTJ_API int rtj_exit_taken(float threshold, const float *probs, int num_labels);

/* Replaces the exit temperatures of a loaded model: n must equal its num_exits and every value be finite
 * and > 0 (else RTJ_ERR_ARG and nothing changes). Exit k's logits are divided by temps[k] from the next
 * classify call on, rtj_model_get_info reports them and rtj_model_save writes them. The one exception to
 * "a loaded model is immutable": call it only while no context classifies with the model. */
RTJ_API rtj_status rtj_model_set_exit_temperatures(rtj_model *model, const float *temps, int n);

/* Writes temps (n values, each finite and > 0) into the "exit_temperatures" key of the config.json of the
 * Hugging Face checkpoint directory DIR, adding the key after the last member if it is missing and keeping
 * every other byte of the file; through a temporary file renamed into place, so config.json is never left
 * half-written. Each temperature is printed with 9 significant digits, so loading DIR gives temps back
 * exactly. Nothing is written unless the edited config would load: RTJ_ERR_ARG for a value that is not
 * finite and > 0, RTJ_ERR_FORMAT when config.json is not a JSON object, RTJ_ERR_CONFIG when n is not the
 * number of exits it declares (or the edited config is otherwise one the loader rejects), RTJ_ERR_IO when
 * it cannot be read or replaced; err (if not NULL) says which. */
RTJ_API rtj_status rtj_checkpoint_set_exit_temperatures(const char *dir, const float *temps, int n, rtj_error *err);

/* The dtype of the weights in an .rtj file, read from its first bytes without loading it, so that a
 * caller can load an INT8 file as INT8 (its FP32 weights are not in it) without being told.
 * RTJ_ERR_FORMAT when PATH is not an .rtj file (a checkpoint directory, say), RTJ_ERR_IO when it cannot
 * be opened, RTJ_ERR_ARG when an argument is NULL. */
RTJ_API rtj_status rtj_model_file_dtype(const char *path, rtj_dtype *out);

/* ---- This CPU, and checking rtj's kernels on it ---------------------------------------------------- */

/* The report `rtj-run cpu` prints, as lines of text: the architecture, the CPU features rtj reads (CPUID and
 * XCR0, or the aarch64 hwcaps), the kernel tables this CPU can run ("runnable"), every kernel set compiled
 * into this library ("compiled") and the table classification uses ("kernels"). Written into buf (always
 * NUL-terminated when size > 0, truncated to size - 1 bytes); *length (if not NULL) gets the length of the
 * whole report, so a buffer of *length + 1 bytes holds it. Returns RTJ_ERR_ISA when RTJ_ISA names a set this
 * CPU cannot run or an unknown one (the report then ends before the "kernels" line; err says why),
 * RTJ_ERR_ARG when buf is NULL with size > 0, else RTJ_OK. */
RTJ_API rtj_status rtj_cpu_report(char *buf, size_t size, size_t *length, rtj_error *err);

/* One line of the self-test's table. */
typedef struct rtj_selftest_check {
    char isa[16];    /* the kernel table checked: "scalar", "avx2", "avx512", "neon" */
    char what[96];   /* a kernel's function name, or "model <file> <dtype>: <n> inputs" */
    double worst;    /* the worst error found: |got - reference| where it was largest relative to its bound */
    double bound;    /* the bound at that place (0: must be exact) */
    int pass;        /* every value within its bound (and, for a model, every label and exit equal) */
    char detail[160]; /* on failure: where and what; otherwise empty */
} rtj_selftest_check;

typedef void (*rtj_selftest_report_fn)(const rtj_selftest_check *check, void *user);

/* Checks rtj on this CPU, for a CPU nobody has tried it on: every listed kernel this CPU can run (each FP32
 * and INT8 GEMM micro-kernel, each table's row kernels and activation quantizer) against the double-
 * precision references on small edge-grid shapes (integer accumulators exactly, floats within the error
 * bound derived for each kernel, as the test suite does); then, when model_path is not NULL, that model
 * loaded once per runnable table (opts as for rtj_model_load; threads are ignored: one) on a few fixed
 * inputs, against the scalar table: every exit's label and the exit taken at threshold 0.9 equal (where the
 * scalar answer is not within the bound of a tie), logits within 1e-4 (1 + |z|) for FP32 and a quarter of
 * the RMS of all its logits (every input and exit) for INT8 (the bounds the test suite holds each table to against PyTorch). report (may be
 * NULL) is called once per check, in order. *failed (if not NULL) gets the number of failed checks.
 * Returns RTJ_OK when the checks ran (whether or not they passed), an error when they could not run (the
 * model did not load, out of memory; err says why). Takes well under a second on the bundled model. */
RTJ_API rtj_status rtj_selftest(const char *model_path, const rtj_load_options *opts, rtj_selftest_report_fn report,
                                void *user, int *failed, rtj_error *err);


#ifdef __cplusplus
}
#endif
#endif
