/* Labelled data files for eval and calibrate.
 *
 * Formats, told apart by the file name: *.jsonl / *.json: JSON lines, one object per line with "text" or
 * "sentence" (or "premise" and "hypothesis") and "label"; *.csv: CSV without a header (RFC 4180 quoting,
 * "" inside quotes), its columns named with --columns; anything else: TAB-separated with a header row
 * naming the columns (GLUE's TSVs, unquoted), or without one when --columns is given.
 * Lines end at '\n'; one '\r' before it is dropped (CRLF files), any other '\r' is text.
 * Labels are model label names (exact, then ignoring case) or integer ids (minus --id-base); instances
 * with a label the model does not know ("-" in SNLI) are skipped and counted. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rtj_json.h"
#include "cli.h"

int cli_columns_parse(const char *spec, cli_columns *out)
{
    out->n = 0;
    const char *s = spec;
    for (;;) {
        const char *end = strchr(s, ',');
        const size_t len = end ? (size_t)(end - s) : strlen(s);
        static const struct { const char *name; enum cli_column col; } names[] = {
            {"label", COL_LABEL}, {"text", COL_TEXT}, {"sentence", COL_TEXT}, {"premise", COL_PREMISE},
            {"hypothesis", COL_HYPOTHESIS}, {"-", COL_SKIP}, {"skip", COL_SKIP}};
        int found = -1;
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)
            if (strlen(names[i].name) == len && memcmp(names[i].name, s, len) == 0)
                found = (int)i;
        if (found < 0) {
            cli_usage_error("--columns: unknown column name '%.*s' (use label, text, premise, hypothesis or -)",
                            (int)len, s);
            return -1;
        }
        if (out->n == (int)(sizeof out->col / sizeof *out->col)) {
            cli_usage_error("--columns: more than %d columns", out->n);
            return -1;
        }
        out->col[out->n++] = names[found].col;
        if (!end)
            break;
        s = end + 1;
    }
    return 0;
}

/* ---- labels ------------------------------------------------------------------------------------------ */
typedef struct loader {
    const cli_data_opts *o;
    const rtj_model_info *info;
    cli_dataset *d;
    size_t line;
    /* distinct unknown labels, for the report */
    char unknown[5][24];
    size_t unknown_count[5];
    int n_unknown, more_unknown;
    int saw_base; /* an integer label equal to --id-base was seen */
} loader;

static int map_label(loader *ld, const char *s)
{
    const rtj_model_info *info = ld->info;
    for (int i = 0; i < info->num_labels; i++)
        if (strcmp(s, info->labels[i]) == 0)
            return i;
    for (int i = 0; i < info->num_labels; i++)
        if (strcasecmp(s, info->labels[i]) == 0)
            return i;
    char *end;
    errno = 0;
    long id = strtol(s, &end, 10);
    if (end != s && *end == '\0' && errno == 0 && isdigit((unsigned char)s[0])) {
        id -= ld->o->id_base;
        ld->saw_base |= id == 0;
        if (id >= 0 && id < info->num_labels)
            return (int)id;
    }
    return -1;
}

static void note_unknown(loader *ld, const char *label)
{
    ld->d->skipped++;
    for (int i = 0; i < ld->n_unknown; i++)
        if (strncmp(ld->unknown[i], label, sizeof ld->unknown[i] - 1) == 0) {
            ld->unknown_count[i]++;
            return;
        }
    if (ld->n_unknown < 5) {
        snprintf(ld->unknown[ld->n_unknown], sizeof ld->unknown[0], "%s", label);
        ld->unknown_count[ld->n_unknown++] = 1;
    } else {
        ld->more_unknown = 1;
    }
}

/* Adds an instance (text and pair are copied); 1 when the limit is reached, -1 out of memory. */
static int add_example(loader *ld, const char *text, const char *pair, const char *label)
{
    cli_dataset *d = ld->d;
    if (ld->o->limit && d->n >= ld->o->limit)
        return 1;
    const int id = map_label(ld, label);
    if (id < 0) {
        note_unknown(ld, label);
        return 0;
    }
    if (d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 256;
        cli_example *ex = realloc(d->ex, cap * sizeof *ex);
        if (!ex)
            return -1;
        d->ex = ex, d->cap = cap;
    }
    char *t = strdup(text), *q = pair ? strdup(pair) : NULL;
    if (!t || (pair && !q)) {
        free(t), free(q);
        return -1;
    }
    cli_drop_nuls(t, strlen(t));
    d->ex[d->n++] = (cli_example){t, q, id};
    return ld->o->limit && d->n >= ld->o->limit;
}

/* ---- rows of fields (TSV and CSV) ------------------------------------------------------------------ */
typedef struct row {
    char *field[32];
    int n;
} row;

/* Builds text, pair and label from a row's fields by role, and adds the instance. */
static int add_row(loader *ld, const cli_columns *cols, const row *r, char **join, size_t *join_cap)
{
    if (r->n != cols->n) {
        cli_error("%s line %zu: %d fields, expected %d", ld->o->path, ld->line, r->n, cols->n);
        return -2;
    }
    const char *label = NULL, *premise = NULL, *hyp = NULL;
    size_t need = 1;
    for (int i = 0; i < r->n; i++)
        need += strlen(r->field[i]) + 1;
    if (need > *join_cap) {
        char *j = realloc(*join, need);
        if (!j)
            return -1;
        *join = j, *join_cap = need;
    }
    (*join)[0] = '\0';
    size_t jl = 0;
    for (int i = 0; i < r->n; i++) {
        switch (cols->col[i]) {
        case COL_LABEL: label = r->field[i]; break;
        case COL_PREMISE: premise = r->field[i]; break;
        case COL_HYPOTHESIS: hyp = r->field[i]; break;
        case COL_TEXT: /* several text columns (AG News: title, description) are joined with a space */
            jl += (size_t)sprintf(*join + jl, "%s%s", jl ? " " : "", r->field[i]);
            break;
        case COL_SKIP: break;
        }
    }
    return ld->d->is_pair ? add_example(ld, premise, hyp, label) : add_example(ld, *join, NULL, label);
}

/* Checks that the columns name a label and either text or premise + hypothesis. */
static int check_roles(loader *ld, const cli_columns *cols, const char *what)
{
    int label = 0, text = 0, prem = 0, hyp = 0;
    for (int i = 0; i < cols->n; i++)
        label += cols->col[i] == COL_LABEL, text += cols->col[i] == COL_TEXT, prem += cols->col[i] == COL_PREMISE,
            hyp += cols->col[i] == COL_HYPOTHESIS;
    if (label != 1 || prem > 1 || hyp > 1 || (text && (prem || hyp)) || (!text && !(prem && hyp))) {
        cli_error("%s: %s must name one label column and either text columns or one premise and one "
                  "hypothesis column", ld->o->path, what);
        return -1;
    }
    ld->d->is_pair = prem > 0;
    return 0;
}

static int split_tab(char *line, row *r)
{
    r->n = 0;
    for (char *s = line;;) {
        if (r->n == (int)(sizeof r->field / sizeof *r->field))
            return -1;
        r->field[r->n++] = s;
        char *tab = strchr(s, '\t');
        if (!tab)
            return 0;
        *tab = '\0';
        s = tab + 1;
    }
}

static int load_tsv(loader *ld, char *buf, size_t len)
{
    cli_columns header;
    const cli_columns *cols = ld->o->columns;
    row r;
    char *join = NULL;
    size_t join_cap = 0;
    int rc = 0;
    for (char *s = buf; rc == 0 && s < buf + len;) {
        char *nl = memchr(s, '\n', (size_t)(buf + len - s));
        char *end = nl ? nl : buf + len;
        if (end > s && end[-1] == '\r')
            end[-1] = '\0';
        *end = '\0';
        char *line = s;
        s = end + 1;
        ld->line++;
        if (line[0] == '\0')
            continue;
        if (split_tab(line, &r) != 0) {
            cli_error("%s line %zu: more than 32 fields", ld->o->path, ld->line);
            rc = -2;
        } else if (!cols) {
            /* The header: known names take their roles, other columns (idx, ...) are ignored. */
            header.n = r.n;
            for (int i = 0; i < r.n; i++) {
                const char *h = r.field[i];
                header.col[i] = strcmp(h, "label") == 0 ? COL_LABEL
                              : strcmp(h, "sentence") == 0 || strcmp(h, "text") == 0 ? COL_TEXT
                              : strcmp(h, "premise") == 0 ? COL_PREMISE
                              : strcmp(h, "hypothesis") == 0 ? COL_HYPOTHESIS : COL_SKIP;
            }
            cols = &header;
            if (check_roles(ld, cols, "the header row") != 0)
                rc = -2;
        } else {
            rc = add_row(ld, cols, &r, &join, &join_cap);
        }
    }
    free(join);
    return rc < 0 ? rc : 0;
}

/* CSV records: fields separated by ',', optionally in double quotes with "" for a quote; a quoted field
 * may hold commas and newlines. */
static int load_csv(loader *ld, char *buf, size_t len)
{
    row r;
    char *join = NULL;
    size_t join_cap = 0;
    int rc = 0;
    char *s = buf, *const end = buf + len;
    while (rc == 0 && s < end) {
        ld->line++;
        const size_t first_line = ld->line;
        r.n = 0;
        for (;;) { /* one field */
            if (r.n == (int)(sizeof r.field / sizeof *r.field)) {
                cli_error("%s line %zu: more than 32 fields", ld->o->path, first_line);
                free(join);
                return -2;
            }
            char *out = s;
            r.field[r.n++] = out;
            if (s < end && *s == '"') {
                s++;
                for (;;) {
                    if (s >= end) {
                        cli_error("%s line %zu: a quoted field is not closed", ld->o->path, first_line);
                        free(join);
                        return -2;
                    }
                    if (*s == '"' && s + 1 < end && s[1] == '"')
                        *out++ = '"', s += 2;
                    else if (*s == '"') {
                        s++;
                        break;
                    } else {
                        ld->line += *s == '\n';
                        *out++ = *s++;
                    }
                }
                if (s < end && *s == '\r' && (s + 1 == end || s[1] == '\n'))
                    s++;
                if (s < end && *s != ',' && *s != '\n') {
                    cli_error("%s line %zu: text after a closing quote", ld->o->path, ld->line);
                    free(join);
                    return -2;
                }
            } else {
                while (s < end && *s != ',' && *s != '\n')
                    *out++ = *s++;
                if (out > r.field[r.n - 1] && out[-1] == '\r' && (s == end || *s == '\n'))
                    out--;
            }
            const char sep = s < end ? *s : '\n';
            *out = '\0'; /* out <= s: writing here never clobbers unread input */
            s++;
            if (sep == '\n')
                break;
        }
        if (r.n == 1 && r.field[0][0] == '\0')
            continue; /* an empty line */
        rc = add_row(ld, ld->o->columns, &r, &join, &join_cap);
    }
    free(join);
    return rc < 0 ? rc : 0;
}

static int load_jsonl(loader *ld, char *buf, size_t len)
{
    char msg[200];
    int rc = 0;
    for (char *s = buf; rc == 0 && s < buf + len;) {
        char *nl = memchr(s, '\n', (size_t)(buf + len - s));
        char *end = nl ? nl : buf + len;
        size_t n = (size_t)(end - s);
        if (n && s[n - 1] == '\r')
            n--;
        char *line = s;
        s = end + 1;
        ld->line++;
        size_t k = 0;
        while (k < n && (line[k] == ' ' || line[k] == '\t'))
            k++;
        if (k == n)
            continue;
        rtj_json *root;
        if (rtj_json_parse(line, n, &root, msg, sizeof msg) != 0) {
            cli_error("%s line %zu: not JSON: %s", ld->o->path, ld->line, msg);
            return -2;
        }
        const rtj_json *text = rtj_json_get(root, "text"), *sent = rtj_json_get(root, "sentence");
        const rtj_json *prem = rtj_json_get(root, "premise"), *hyp = rtj_json_get(root, "hypothesis");
        const rtj_json *lab = rtj_json_get(root, "label");
        const char *t = rtj_json_as_string(text ? text : sent, NULL);
        const char *a = rtj_json_as_string(prem, NULL), *b = rtj_json_as_string(hyp, NULL);
        char label[64] = "";
        int64_t li;
        const char *ls = rtj_json_as_string(lab, NULL);
        const int have_label = ls || rtj_json_as_int64(lab, &li);
        if (ls)
            snprintf(label, sizeof label, "%s", ls);
        else if (have_label)
            snprintf(label, sizeof label, "%lld", (long long)li);
        if (ld->d->n == 0 && ld->d->skipped == 0)
            ld->d->is_pair = a && b;
        if (root->type != RTJ_JSON_OBJECT || !have_label ||
            (ld->d->is_pair ? !(a && b) : !t)) {
            cli_error("%s line %zu: expected an object with a string or integer \"label\" and string %s", ld->o->path,
                      ld->line, ld->d->is_pair ? "\"premise\" and \"hypothesis\"" : "\"text\" or \"sentence\"");
            rc = -2;
        } else {
            rc = ld->d->is_pair ? add_example(ld, a, b, label) : add_example(ld, t, NULL, label);
        }
        rtj_json_free(root);
    }
    return rc < 0 ? rc : 0;
}

static int ends_with(const char *s, const char *suffix)
{
    const size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcasecmp(s + a - b, suffix) == 0;
}

/* Reads a whole file; NULL (and a message) on failure. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error("cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *b = realloc(buf, 2 * cap + 1);
        if (!b) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = b, cap *= 2;
    }
    const int bad = ferror(f);
    const int saved = errno;
    fclose(f);
    if (!buf || bad) {
        cli_error("cannot read %s: %s", path, buf ? strerror(saved) : "out of memory");
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The usage errors of a data file's options, before anything is read. CLI_OK or CLI_USAGE. */
static int check_opts(const cli_data_opts *o, int jsonl, int csv)
{
    if (jsonl && o->columns)
        return cli_usage_error("--columns applies to TSV and CSV files; %s is JSON lines (keys text/sentence or "
                               "premise/hypothesis, and label)", o->path);
    if (csv && !o->columns)
        return cli_usage_error("%s is CSV without a header: name its columns with --columns (AG News: "
                               "--columns label,text,text)", o->path);
    return CLI_OK;
}

int cli_data_load(const cli_data_opts *o, const rtj_model_info *info, cli_dataset *d)
{
    memset(d, 0, sizeof *d);
    const int rc = check_opts(o, ends_with(o->path, ".jsonl") || ends_with(o->path, ".json"), ends_with(o->path, ".csv"));
    if (rc != CLI_OK)
        return rc;
    if (cli_is_dir(o->path)) {
        cli_error("%s is a directory, not a data file", o->path);
        return CLI_FAIL;
    }
    size_t len;
    char *buf = read_file(o->path, &len);
    if (!buf)
        return CLI_FAIL;
    const int parsed = cli_data_parse(o, info, buf, len, d);
    free(buf);
    return parsed;
}

int cli_data_parse(const cli_data_opts *o, const rtj_model_info *info, char *buf, size_t len, cli_dataset *d)
{
    memset(d, 0, sizeof *d);
    const int jsonl = ends_with(o->path, ".jsonl") || ends_with(o->path, ".json");
    const int csv = ends_with(o->path, ".csv");
    if (check_opts(o, jsonl, csv) != CLI_OK)
        return CLI_USAGE;
    loader ld = {.o = o, .info = info, .d = d};
    if (o->columns && check_roles(&ld, o->columns, "--columns") != 0)
        return CLI_USAGE;
    int rc = jsonl ? load_jsonl(&ld, buf, len) : csv ? load_csv(&ld, buf, len) : load_tsv(&ld, buf, len);
    if (rc == -1)
        cli_error("out of memory reading %s", o->path);
    if (rc == 0 && d->n == 0) {
        if (d->skipped) {
            char names[200];
            size_t used = 0;
            for (int i = 0; i < info->num_labels && used < sizeof names; i++)
                used += (size_t)snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "", info->labels[i]);
            cli_error("%s: none of its %zu instances has a label the model knows (first unknown: '%s'; the "
                      "model's labels: %s, or ids from %d)", o->path, d->skipped, ld.unknown[0], names, o->id_base);
        }
        else
            cli_error("%s holds no instances", o->path);
        rc = -2;
    }
    if (rc != 0) {
        cli_data_free(d);
        return CLI_FAIL;
    }
    size_t used = 0;
    for (int i = 0; i < ld.n_unknown && used < sizeof d->skipped_desc; i++)
        used += (size_t)snprintf(d->skipped_desc + used, sizeof d->skipped_desc - used, "%s'%s' x%zu",
                                 i ? ", " : "", ld.unknown[i], ld.unknown_count[i]);
    if (ld.more_unknown && used < sizeof d->skipped_desc)
        used += (size_t)snprintf(d->skipped_desc + used, sizeof d->skipped_desc - used, ", ...");
    /* 1-based integer labels (AG News) leave the top one unknown and 0 unseen: say what fixes it. */
    int one_past = 0;
    for (int i = 0; i < ld.n_unknown; i++) {
        char *end;
        const long id = strtol(ld.unknown[i], &end, 10);
        one_past |= *end == '\0' && end != ld.unknown[i] && id == info->num_labels + o->id_base;
    }
    if (one_past && !ld.saw_base && used < sizeof d->skipped_desc)
        snprintf(d->skipped_desc + used, sizeof d->skipped_desc - used, " (integer labels counting from 1? try --id-base 1)");
    return CLI_OK;
}

void cli_data_report_skipped(const cli_dataset *d)
{
    if (d->skipped)
        cli_warn("skipped %zu instances with labels the model does not know: %s", d->skipped, d->skipped_desc);
}

void cli_data_free(cli_dataset *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->ex[i].text), free(d->ex[i].pair);
    free(d->ex);
    memset(d, 0, sizeof *d);
}

int cli_data_model_option(cli_parser *p, cli_data_opts *dopt, cli_columns *cols, cli_model_opts *mo, int *rc)
{
    if (cli_is(p, "--columns")) {
        const char *c;
        *rc = cli_string(p, &c) || cli_columns_parse(c, cols) ? CLI_USAGE : (dopt->columns = cols, CLI_OK);
    } else if (cli_is(p, "--int8")) {
        *rc = cli_flag(p) ? CLI_USAGE : (mo->int8 = 1, CLI_OK);
    } else if (cli_is(p, "--threads")) {
        *rc = cli_int(p, 1, 4096, &mo->threads) ? CLI_USAGE : CLI_OK;
    } else if (cli_is(p, "--limit")) {
        *rc = cli_size(p, &dopt->limit) ? CLI_USAGE : CLI_OK;
    } else if (cli_is(p, "--id-base")) {
        *rc = cli_int(p, -1000000, 1000000, &dopt->id_base) ? CLI_USAGE : CLI_OK;
    } else {
        return 0;
    }
    return 1;
}

int cli_load_model_data(const cli_model_opts *mo, const cli_data_opts *dopt, rtj_model **model,
                        rtj_model_info *info, cli_dataset *d, rtj_context **ctx)
{
    int rc = cli_load_model(mo, model, NULL);
    if (rc == CLI_OK) {
        rtj_model_get_info(*model, info);
        rc = cli_data_load(dopt, info, d);
    }
    if (rc == CLI_OK && rtj_context_new(*model, ctx) != RTJ_OK) {
        cli_error("out of memory creating a context");
        rc = CLI_FAIL;
    }
    return rc;
}
