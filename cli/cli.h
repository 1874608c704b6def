/* rtj-run's shared pieces: option parsing, messages, model loading, data files, output helpers.
 *
 * Exit codes, the same for every command: 0 success, 1 failure (a model or file that cannot be read, an
 * input that cannot be classified), 2 usage error (an unknown flag, a missing or invalid value). Every
 * failure prints one line on stderr that starts with "rtj-run COMMAND:" and names the problem. */
#ifndef RTJ_CLI_H
#define RTJ_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "rtj.h"
#include "rtj_tokenizer.h"

enum { CLI_OK = 0, CLI_FAIL = 1, CLI_USAGE = 2 };

/* ---- messages ---------------------------------------------------------------------------------------- */
extern const char *cli_cmd; /* "classify", "eval", ...: names the command in messages */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints the message and a hint to --help; returns CLI_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- option parsing ----------------------------------------------------------------------------------- */
/* Walks argv: options (--name, --name=value, -o value) and positional arguments; "--" ends the options. */
typedef struct cli_parser {
    int argc;
    char **argv;
    int i;            /* next index */
    const char *arg;  /* current argument */
    const char *name; /* current option name, without "=value" */
    size_t name_len;
    const char *inline_value; /* the part after '=', or NULL */
    int options_done;
} cli_parser;

enum cli_token { CLI_END, CLI_POSITIONAL, CLI_OPTION };
void cli_parser_init(cli_parser *p, int argc, char **argv, int first);
enum cli_token cli_next(cli_parser *p);
/* The current option is `name`. */
int cli_is(const cli_parser *p, const char *name);
/* Option values; each prints the problem and returns -1 (the caller exits with CLI_USAGE). */
int cli_flag(cli_parser *p);
int cli_string(cli_parser *p, const char **out);
int cli_int(cli_parser *p, long lo, long hi, int *out);
int cli_size(cli_parser *p, size_t *out); /* >= 1 */
int cli_threshold(cli_parser *p, float *out);
int cli_unknown(const cli_parser *p); /* returns CLI_USAGE */
/* Parses a number; 0 on success. */
int cli_parse_double(const char *s, double *out);

/* ---- models ------------------------------------------------------------------------------------------ */
typedef struct cli_model_opts {
    const char *path; /* NULL: the bundled default model */
    int int8;
    int threads;      /* 0: the library's default (every online CPU) */
} cli_model_opts;

/* Resolves NULL to the default model, loads (an INT8 .rtj as INT8 whatever was asked), prints why not. */
int cli_load_model(const cli_model_opts *o, rtj_model **out, const char **resolved_path);
/* The path (NULL: the bundled default model) and load options cli_load_model would use; prints why not and
 * returns CLI_FAIL when there is no default model. */
int cli_model_resolve(const cli_model_opts *o, const char **path, rtj_load_options *lo);
/* The bundled default model if one exists, else NULL (and the places looked in, in `looked`). */
const char *cli_default_model(char *looked, size_t looked_len);
/* 1 if path is a directory. */
int cli_is_dir(const char *path);

/* ---- output ------------------------------------------------------------------------------------------- */
void cli_json_string(FILE *f, const char *s);
void cli_json_number(FILE *f, double x); /* %.9g (float round-trip), null if not finite */
void cli_json_floats(FILE *f, const float *x, int n);
double cli_now_ms(void);

typedef struct cli_progress {
    int on;
    size_t total;
    double last_ms, start_ms;
    const char *what;
} cli_progress;
/* A progress bar on stderr, drawn only when stderr is a terminal. */
void cli_progress_start(cli_progress *p, const char *what, size_t total);
void cli_progress_update(cli_progress *p, size_t done);
void cli_progress_end(cli_progress *p);

/* Reads a line ending at '\n' (not included) into *buf; -1 at the end of the input, -2 on a read error. */
long cli_read_line(FILE *f, char **buf, size_t *cap);
/* Removes NUL bytes (the tokenizer drops them; C strings would end at them); returns the new length. */
size_t cli_drop_nuls(char *s, size_t len);

/* ---- data files (cli/data.c) ------------------------------------------------------------------------- */
enum cli_column { COL_SKIP, COL_LABEL, COL_TEXT, COL_PREMISE, COL_HYPOTHESIS };
typedef struct cli_columns {
    int n;
    enum cli_column col[32];
} cli_columns;
/* Parses --columns (e.g. "label,text,text"); -1 and a message when it is invalid. */
int cli_columns_parse(const char *spec, cli_columns *out);

typedef struct cli_example {
    char *text, *pair; /* pair NULL for single texts */
    int label;
} cli_example;

typedef struct cli_dataset {
    cli_example *ex;
    size_t n, cap;
    int is_pair;
    size_t skipped;    /* instances whose label the model does not know */
    char skipped_desc[256];
} cli_dataset;

typedef struct cli_data_opts {
    const char *path;
    const cli_columns *columns; /* NULL: the file's header (TSV) or keys (JSON lines) */
    int id_base;                /* integer labels count from this */
    size_t limit;               /* 0: every instance */
} cli_data_opts;

/* Reads a labelled file; returns CLI_OK, or CLI_FAIL / CLI_USAGE after printing why. */
int cli_data_load(const cli_data_opts *o, const rtj_model_info *info, cli_dataset *out);
/* The same on the file's bytes in buf: len bytes and one writable byte after them (the parser cuts fields
 * in place); the format follows o->path's name as for a file (the fuzz tests call this). */
int cli_data_parse(const cli_data_opts *o, const rtj_model_info *info, char *buf, size_t len, cli_dataset *out);
/* The options eval and calibrate share (--columns, --int8, --threads, --limit, --id-base): 1 and *rc set
 * when the parser's current option is one of them, else 0. */
/* Loads the model, the data set against its labels, and a context; prints the failure. CLI_OK or CLI_FAIL. */
int cli_load_model_data(const cli_model_opts *mo, const cli_data_opts *dopt, rtj_model **model,
                        rtj_model_info *info, cli_dataset *d, rtj_context **ctx);
int cli_data_model_option(cli_parser *p, cli_data_opts *dopt, cli_columns *cols, cli_model_opts *mo, int *rc);
void cli_data_free(cli_dataset *d);
/* Prints "N instances (M skipped: ...)" on stderr when some were skipped. */
void cli_data_report_skipped(const cli_dataset *d);

/* ---- statistics (cli/eval.c) ------------------------------------------------------------------------ */
#define CLI_ECE_BINS 15
/* Expected calibration error with 15 equal-width bins of confidence: probs [n][stride], first `labels`. */
double cli_ece(size_t n, const float *probs, size_t stride, int labels, const int *gold);

/* ---- commands --------------------------------------------------------------------------------------- */
int cmd_classify(int argc, char **argv, int first);
int cmd_tokenize(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_calibrate(int argc, char **argv);
int cmd_convert(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_selftest(int argc, char **argv);

/* Help texts (cli/help.c): the overview, and one per command (NULL name: unknown). */
void cli_help_overview(FILE *f);
int cli_help_command(const char *name, FILE *f); /* 0 if it knows the command */

/* ---- SVG (cli/svg.c) --------------------------------------------------------------------------------- */
typedef struct cli_plot_point {
    double x, y;
    const char *label; /* drawn beside the point, or NULL */
} cli_plot_point;
typedef struct cli_plot_series {
    const char *name;
    int marker; /* 0 circle, 1 square, 2 triangle, 3 diamond */
    const char *color;
    int line;   /* 1: join the points */
    const cli_plot_point *pts;
    int n;
} cli_plot_series;
/* Writes an SVG plot; 0, or -1 with errno set. */
int cli_svg_write(const char *path, const char *title, const char *xlabel, const char *ylabel,
                  const cli_plot_series *series, int n_series);

#endif
