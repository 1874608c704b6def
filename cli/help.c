/* rtj-run's help texts: the overview and one page per command, each with examples. */
#include <string.h>

#include "cli.h"

void cli_help_overview(FILE *f)
{
    fputs("usage: rtj-run [COMMAND] [OPTIONS] [ARGS]\n"
          "\n"
          "Runs BERT text classifiers with early exits (Schwartz et al. 2020, \"The Right Tool for the Job\").\n"
          "\n"
          "commands:\n"
          "  classify    classify texts or pairs (the default command: `rtj-run TEXT` = `rtj-run classify TEXT`)\n"
          "  tokenize    show the token ids (and tokens) a model sees\n"
          "  eval        accuracy against time per instance over a labelled file, for many thresholds and the\n"
          "              paper's baselines; per-exit calibration error; optional SVG plot\n"
          "  calibrate   fit one temperature per exit on a dev file and write it into the model\n"
          "  convert     turn a checkpoint directory into one .rtj file (FP32 or INT8)\n"
          "  info        what a model is: sizes, exits, temperatures, labels, dtype, kernels\n"
          "  cpu         the CPU features rtj detects and the kernel set it chose\n"
          "  selftest    check every kernel this CPU can run, and a model under every kernel set, against\n"
          "              references: run it on a CPU rtj has not been tried on\n"
          "  help [CMD]  this text, or a command's (as `rtj-run CMD --help`)\n"
          "\n"
          "A model is a Hugging Face checkpoint directory (config.json, vocab.txt, model.safetensors, with rtj's\n"
          "exit_layers) or an .rtj file made by `rtj-run convert`. Without --model, classify and tokenize use\n"
          "the bundled default model (models/default.rtj beside the binary's folder, or\n"
          "/usr/local/share/rtj/default.rtj).\n"
          "\n"
          "exit status: 0 success, 1 failure (model or file unreadable, input not classifiable), 2 usage error.\n"
          "\n"
          "environment:\n"
          "  RTJ_ISA=scalar|avx2|avx512|neon   force a kernel set (an error if this CPU cannot run it)\n"
          "\n"
          "examples:\n"
          "  rtj-run classify --model sst2-model \"a charming and often affecting journey\"\n"
          "  rtj-run eval --model sst2-model --data glue_sst2_dev.tsv --svg sst2.svg\n"
          "  rtj-run convert sst2-model -o sst2.rtj --int8\n"
          "  RTJ_ISA=avx2 rtj-run cpu\n",
          f);
}

static const char *const CLASSIFY =
    "usage: rtj-run [classify] [--model PATH] [--threshold T | --no-exit] [--threads N] [--batch N]\n"
    "                          [--int8] [--pair] [--json] [--all-exits] [--] [TEXT ...]\n"
    "\n"
    "Classifies each TEXT, or each line of standard input when no TEXT is given (lines end at '\\n' only; a\n"
    "'\\r' inside a line is text). Inputs longer than the model's max positions are truncated, and the\n"
    "number of word pieces dropped is reported.\n"
    "\n"
    "  --model PATH     checkpoint directory or .rtj file (default: the bundled default model)\n"
    "  --threshold T    leave at the first exit whose calibrated max probability is >= T, T in [0, 1]\n"
    "                   (default 0.9; 1 = full depth; 0 = always the first exit)\n"
    "  --no-exit        run to the last exit (the full model)\n"
    "  --threads N      worker threads, N >= 1 (default: every online CPU)\n"
    "  --batch N        classify N inputs at a time as one packed batch, N >= 1 (default 1): each input still\n"
    "                   leaves at its own exit and gets the same answer, bit for bit, as alone; time_ms is\n"
    "                   then the batch's time divided by its size; standard input is read N lines at a time\n"
    "  --int8           quantize the encoder's linear layers to INT8 at load\n"
    "  --pair           each input is a premise and a hypothesis separated by a TAB\n"
    "  --json           one JSON object per input: label, label_id, probs, exit_index, exit_layer, layers_run,\n"
    "                   tokens, truncated, time_ms (and exits with --all-exits)\n"
    "  --all-exits      run to the last exit and report every exit: layer, logits, probs (the answer is\n"
    "                   still the threshold's; layers_run and time_ms are then the full depth's)\n"
    "  --               the arguments after it are texts, even if they start with '-'\n"
    "\n"
    "Human-readable output, one line per input, TAB-separated: label, its probability, the exit that\n"
    "answered and its layer, layers run / layers up to the last exit, time (tokenization included).\n"
    "\n"
    "examples:\n"
    "  rtj-run --model m \"a gorgeous, witty, seductive movie\"\n"
    "  rtj-run classify --model m.rtj --threshold 0.8 --json < sentences.txt\n"
    "  printf 'A man sleeps.\\tA person rests.\\n' | rtj-run classify --model snli-model --pair --all-exits\n"
    "  rtj-run classify --model m --pair $'A man sleeps.\\tNobody sleeps.'\n";

static const char *const TOKENIZE =
    "usage: rtj-run tokenize [--model PATH | --vocab FILE] [--pair] [--tokens] [--] [TEXT ...]\n"
    "\n"
    "Prints the token ids of each TEXT (or each line of standard input), one input per line, as the model\n"
    "sees it: [CLS] text [SEP], or [CLS] premise [SEP] hypothesis [SEP] with --pair (a TAB separates the\n"
    "two). Columns, TAB-separated: ids; tokens (with --tokens); token type ids (with --pair).\n"
    "\n"
    "  --model PATH   the model's vocabulary, casing and max positions (default: the bundled model)\n"
    "  --vocab FILE   a bare vocab.txt instead: uncased (lowercase, strip accents), at most 512 tokens\n"
    "  --pair         premise<TAB>hypothesis\n"
    "  --tokens       also print the tokens\n"
    "\n"
    "examples:\n"
    "  rtj-run tokenize --vocab vocab.txt --tokens \"Hello, world!\"\n"
    "  printf 'A man.\\tA person.\\n' | rtj-run tokenize --model m --pair --tokens\n";

static const char *const EVAL =
    "usage: rtj-run eval --model PATH --data FILE [--thresholds LIST] [--svg OUT.svg] [--json]\n"
    "                    [--columns COLS] [--id-base N] [--int8] [--threads N] [--limit N]\n"
    "\n"
    "Accuracy, mean layers run, the share of instances leaving at each exit, time per instance and speed-up\n"
    "over full depth, for each threshold and for no-exit; then the paper's baselines: standard (full depth:\n"
    "the last exit), efficient (each lower exit forced), oracle (each instance answered by the cheapest exit\n"
    "that is right; when none is, by the last exit); then each exit's accuracy and ECE (15 equal-width bins).\n"
    "\n"
    "How it runs: each instance runs once to the last exit with every exit's probabilities, and every row is\n"
    "derived from those with the library's own rule (the first exit whose float max probability >= T;\n"
    "T = 1 or no-exit: the last exit), so each row is what `classify --threshold T` answers.\n"
    "How time is measured: wall-clock at batch size 1, tokenization included. Each instance i is timed\n"
    "running to the last exit (t_full(i)) and once more with threshold 0, which leaves at the first exit\n"
    "(t_first(i)); rho = the median over instances of t_first(i) / t_full(i) (a median, so that one\n"
    "preempted run does not move it). Leaving at exit k is estimated linearly in encoder layers run\n"
    "(BERT's layers all cost the same):\n"
    "    t_k(i) = t_full(i) * (rho + (1 - rho) * (layers_k - layers_0) / (layers_last - layers_0))\n"
    "A row's time is the mean over instances of t at the exit each one leaves at; speed-up = mean t_full /\n"
    "that. The first 3 instances run once untimed before anything is timed (warm-up).\n"
    "\n"
    "  --model PATH       checkpoint directory or .rtj file (required)\n"
    "  --data FILE        labelled instances (required):\n"
    "                       *.tsv (or any other name): TAB-separated with a header naming the columns:\n"
    "                         sentence or text, and label; or premise, hypothesis and label\n"
    "                       *.jsonl / *.json: one object per line with the same keys\n"
    "                       *.csv: no header; name the columns with --columns (quoted fields, \"\" escapes)\n"
    "                     Labels are model label names or integer ids. Instances with labels the model does\n"
    "                     not know (SNLI's \"-\") are skipped and counted. CRLF line ends are accepted.\n"
    "  --thresholds LIST  comma-separated thresholds in [0, 1] and ranges FROM:TO:STEP\n"
    "                     (default 0.5:1:0.05); the no-exit row is always added\n"
    "  --svg OUT.svg      also draw accuracy against time per instance (the paper's Figure 3)\n"
    "  --json             one JSON document: model, data, instances, skipped, timing, exits [index, layer,\n"
    "                     accuracy, ece], rows [method, threshold, accuracy, mean_layers, exit_shares,\n"
    "                     time_ms, speedup]; one row per line\n"
    "  --columns COLS     the columns of a file without header: label, text (several are joined with a\n"
    "                     space), premise, hypothesis, - (ignored); e.g. label,text,text\n"
    "  --id-base N        integer labels in the file count from N (AG News: 1)\n"
    "  --int8, --threads N  as for classify\n"
    "  --limit N          only the first N usable instances (a quick run)\n"
    "\n"
    "A progress bar is drawn on stderr when it is a terminal.\n"
    "\n"
    "examples:\n"
    "  rtj-run eval --model sst2-model --data glue_sst2_dev.tsv --svg sst2.svg\n"
    "  rtj-run eval --model snli.rtj --data snli_dev_becel.tsv --thresholds 0.6,0.8,0.9:1:0.02 --json\n"
    "  rtj-run eval --model ag.rtj --data ag_news_test.csv --columns label,text,text --id-base 1 --limit 500\n";

static const char *const CALIBRATE =
    "usage: rtj-run calibrate --model PATH --data DEV [-o OUT] [--columns COLS] [--id-base N] [--int8]\n"
    "                         [--threads N] [--limit N]\n"
    "\n"
    "Fits one temperature T_k per exit on a dev file by minimising the negative log-likelihood of\n"
    "softmax(z_k / T_k) (golden-section search over log T in [0.01, 100]; z_k are the exit's logits at\n"
    "temperature 1: the model's current temperatures are multiplied back out), prints each exit's NLL and ECE\n"
    "(15 bins) before and after, and writes the temperatures, through a temporary file renamed into place:\n"
    "  - a checkpoint directory without -o: config.json's \"exit_temperatures\" (other keys kept as they are)\n"
    "  - an .rtj file: rewritten in place, or written to -o OUT\n"
    "  - a checkpoint directory with -o OUT.rtj: the calibrated model as an .rtj file (config.json untouched)\n"
    "Temperature scaling never changes an exit's answer, only its confidence, hence where inputs leave.\n"
    "\n"
    "  --model PATH   checkpoint directory or .rtj file (required)\n"
    "  --data DEV     labelled dev file, formats as for eval (required)\n"
    "  -o OUT         where to write (see above)\n"
    "  --int8         calibrate the INT8 model (with -o OUT.rtj for a directory)\n"
    "  --columns, --id-base, --threads, --limit   as for eval\n"
    "\n"
    "examples:\n"
    "  rtj-run calibrate --model sst2-model --data glue_sst2_dev.tsv\n"
    "  rtj-run calibrate --model snli.rtj --data snli_dev_becel.tsv -o snli-calibrated.rtj\n";

static const char *const CONVERT =
    "usage: rtj-run convert CHECKPOINT_DIR -o FILE.rtj [--int8] [--threads N]\n"
    "\n"
    "Writes the model as one .rtj file: config, vocabulary, labels, temperatures and the weights, packed for\n"
    "the kernels, in FP32 or (--int8) INT8 for the encoder's linear layers. Layers above the last exit are\n"
    "left out. Loading an .rtj file maps it: no parsing, no packing (on a CPU with the same GEMM tile).\n"
    "The file is written beside its final name and renamed into place.\n"
    "\n"
    "examples:\n"
    "  rtj-run convert bert-large-sst2/ -o sst2.rtj\n"
    "  rtj-run convert bert-large-sst2/ -o sst2-int8.rtj --int8\n";

static const char *const INFO =
    "usage: rtj-run info PATH\n"
    "\n"
    "What a model is: format and size on disk, dtype, the kernel set that would run it on this CPU, the\n"
    "encoder's shape, vocabulary and positions, labels, and every exit with its layer and temperature.\n"
    "\n"
    "example:\n"
    "  rtj-run info sst2.rtj\n";

static const char *const CPU =
    "usage: rtj-run cpu\n"
    "\n"
    "The CPU features rtj detects (CPUID and XCR0 on x86-64, hwcaps on aarch64) and the kernel set it runs.\n"
    "RTJ_ISA=scalar|avx2|avx512|neon forces a set; one this CPU cannot run is an error (exit 2).\n"
    "A set's INT8 kernel is the best one the CPU offers within it: with RTJ_ISA=avx2 a CPU with AVX-VNNI\n"
    "still runs the AVX-VNNI INT8 kernel (full u8 activations), as RTJ_ISA=avx512 runs AVX-512 VNNI's.\n"
    "\n"
    "example:\n"
    "  RTJ_ISA=scalar rtj-run cpu\n";

static const char *const SELFTEST =
    "usage: rtj-run selftest [--model PATH [--int8] | --no-model] [--json]\n"
    "\n"
    "Checks rtj on this CPU. Every listed kernel the CPU can run (each FP32 and INT8 GEMM micro-kernel, each\n"
    "kernel set's softmax, LayerNorm, GELU, tanh, embedding and activation quantizer) is run on small edge-grid\n"
    "shapes and special values (+-0, +-Inf, NaN, +-80, denormals, every tail length) against double-precision\n"
    "references: INT8 accumulators must be exact, floats within the error bound derived for each kernel.\n"
    "Then a model (default: the bundled one) is run on a few fixed inputs under every kernel set the CPU can\n"
    "run and compared with the scalar set: every exit's label and the exit taken at threshold 0.9 must be the\n"
    "same, logits within 1e-4 (1 + |z|) for FP32 and a quarter of the logits' RMS (all inputs and exits) for INT8. RTJ_ISA does not\n"
    "narrow it: every set is checked. Takes well under a second on the bundled model.\n"
    "\n"
    "  --model PATH   the model to check (checkpoint directory or .rtj file)\n"
    "  --int8         load a checkpoint directory as INT8 (an .rtj file is checked in its own dtype)\n"
    "  --no-model     the kernels only\n"
    "  --json         one JSON object per check: isa, check, worst_error, bound, pass, detail\n"
    "\n"
    "Output: a table (kernel set, check, worst error, the bound at that place, pass or FAIL with where), then\n"
    "one summary line. Exit status 1 when any check fails.\n"
    "\n"
    "example:\n"
    "  rtj-run selftest\n";

int cli_help_command(const char *name, FILE *f)
{
    static const char *const names[] = {"classify", "tokenize", "eval", "calibrate", "convert", "info", "cpu", "selftest"};
    const char *const texts[] = {CLASSIFY, TOKENIZE, EVAL, CALIBRATE, CONVERT, INFO, CPU, SELFTEST};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (name && strcmp(name, names[i]) == 0) {
            fputs(texts[i], f);
            return 0;
        }
    return -1;
}
