/* config.json written back: the exit temperatures replaced in place (rtj_checkpoint_set_exit_temperatures),
 * every other byte of the file kept, so that a calibrated checkpoint differs from the trained one by that
 * one value. The value is found with the JSON reader's byte offsets; the edit is checked to load before
 * the file is replaced. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file_io.h"
#include "model.h"
#include "rtj_json.h"

#define CONFIG_LIMIT ((size_t)1 << 20) /* as the loader reads it */

/* text with [at, cut) replaced by prefix and value; NULL when out of memory. */
static char *splice(const char *text, size_t len, size_t at, size_t cut, const char *prefix, const char *value,
                    size_t *out_len)
{
    const size_t pl = strlen(prefix), vl = strlen(value), n = len - (cut - at) + pl + vl;
    char *out = malloc(n + 1);
    if (!out)
        return NULL;
    memcpy(out, text, at);
    memcpy(out + at, prefix, pl);
    memcpy(out + at + pl, value, vl);
    memcpy(out + at + pl + vl, text + cut, len - cut);
    out[n] = '\0';
    *out_len = n;
    return out;
}

/* The text with the top-level "exit_temperatures" replaced by value, or added after the last member. */
static rtj_status edit(const char *path, const char *text, size_t len, const char *value, char **out,
                       size_t *out_len, rtj_error *err)
{
    char msg[256];
    rtj_json *root;
    if (rtj_json_parse(text, len, &root, msg, sizeof msg) != 0)
        return strcmp(msg, "out of memory") == 0 ? rtj_fail(err, RTJ_ERR_NOMEM, "out of memory")
                                                 : rtj_fail(err, RTJ_ERR_FORMAT, "%s: %s", path, msg);
    if (root->type != RTJ_JSON_OBJECT) {
        rtj_json_free(root);
        return rtj_fail(err, RTJ_ERR_FORMAT, "%s: the top level is not an object", path);
    }
    const char *prefix = "";
    size_t at, cut;
    const rtj_json *old = rtj_json_get(root, "exit_temperatures");
    if (old) {
        at = old->offset, cut = old->end;
    } else {
        const size_t n = rtj_json_count(root);
        prefix = n ? ",\n  \"exit_temperatures\": " : "\"exit_temperatures\": ";
        at = cut = n ? rtj_json_value_at(root, n - 1)->end : root->offset + 1;
    }
    rtj_json_free(root);
    *out = splice(text, len, at, cut, prefix, value, out_len);
    return *out ? RTJ_OK : rtj_fail(err, RTJ_ERR_NOMEM, "out of memory");
}

rtj_status rtj_checkpoint_set_exit_temperatures(const char *dir, const float *temps, int n, rtj_error *err)
{
    if (!dir || !temps || n <= 0)
        return rtj_fail(err, RTJ_ERR_ARG, "rtj_checkpoint_set_exit_temperatures: no directory or temperatures");
    char path[4096];
    if (snprintf(path, sizeof path, "%s/config.json", dir) >= (int)sizeof path)
        return rtj_fail(err, RTJ_ERR_ARG, "path too long: %s", dir);
    for (int k = 0; k < n; k++)
        if (!(isfinite(temps[k]) && temps[k] > 0))
            return rtj_fail(err, RTJ_ERR_ARG, "exit %d: temperature %g is not a number > 0", k, (double)temps[k]);
    /* "[t0, t1, ...]", each %.9g: a float read back exactly. */
    const size_t cap = 2 + (size_t)n * 24;
    char *value = malloc(cap), *text = NULL, *out = NULL;
    if (!value)
        return rtj_fail(err, RTJ_ERR_NOMEM, "out of memory");
    size_t vl = (size_t)snprintf(value, cap, "[");
    for (int k = 0; k < n; k++)
        vl += (size_t)snprintf(value + vl, cap - vl, "%s%.9g", k ? ", " : "", (double)temps[k]);
    snprintf(value + vl, cap - vl, "]");
    size_t len = 0, out_len = 0;
    rtj_status s = rtj_read_small_file(path, CONFIG_LIMIT, &text, &len, err);
    if (s == RTJ_OK)
        s = edit(path, text, len, value, &out, &out_len, err);
    free(text), free(value);
    /* What is written must load: the same parse the loader makes (exit count, values). */
    rtj_config check;
    if (s == RTJ_OK && (s = rtj_config_parse(out, out_len, &check, err)) == RTJ_OK)
        rtj_config_free(&check);
    struct stat sb;
    const mode_t mode = stat(path, &sb) == 0 ? sb.st_mode & 0777 : 0644;
    rtj_atomic_file af;
    if (s == RTJ_OK && rtj_atomic_open(&af, path, mode) != 0)
        s = rtj_fail(err, RTJ_ERR_IO, "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
    else if (s == RTJ_OK && (rtj_atomic_write(&af, out, out_len), rtj_atomic_commit(&af)) != 0)
        s = rtj_fail(err, RTJ_ERR_IO, "%s: write failed: %s", path, strerror(errno));
    free(out);
    return s;
}
