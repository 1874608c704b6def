/* The public entry points on a whole model that are not the forward pass: loading (dispatched to the
 * checkpoint or .rtj loader) and what a loaded model is. Construction and freeing: build.c; errors:
 * error.c. Nothing below calls back into this file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"

rtj_status rtj_model_load(const char *path, const rtj_load_options *opts, rtj_model **out, rtj_error *err)
{
    if (err) {
        err->code = RTJ_OK;
        err->message[0] = '\0';
    }
    if (!out)
        return rtj_fail(err, RTJ_ERR_ARG, "rtj_model_load: out is NULL");
    *out = NULL;
    if (!path)
        return rtj_fail(err, RTJ_ERR_ARG, "rtj_model_load: path is NULL");
    if (opts && opts->dtype != RTJ_DTYPE_FP32 && opts->dtype != RTJ_DTYPE_INT8)
        return rtj_fail(err, RTJ_ERR_ARG, "rtj_model_load: unknown dtype %d", (int)opts->dtype);
    if (opts && opts->threads < 0)
        return rtj_fail(err, RTJ_ERR_ARG, "rtj_model_load: threads must be >= 0, got %d", opts->threads);
    const rtj_kernels *kt = rtj_kernels_get();
    if (!kt)
        return rtj_fail(err, RTJ_ERR_ISA, "%s", rtj_kernels_error());
    return rtj_model_load_kernels(path, opts, kt, out, err);
}

rtj_status rtj_model_load_kernels(const char *path, const rtj_load_options *opts, const rtj_kernels *kt,
                                  rtj_model **out, rtj_error *err)
{
    struct stat sb;
    if (stat(path, &sb) != 0)
        return rtj_fail(err, RTJ_ERR_IO, "%s: no such file or directory", path);
    rtj_model *m = calloc(1, sizeof *m);
    if (!m)
        return rtj_fail(err, RTJ_ERR_NOMEM, "out of memory");
    m->kt = kt;
    m->dtype = opts ? opts->dtype : RTJ_DTYPE_FP32;
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    m->threads = opts && opts->threads > 0 ? opts->threads : (cpus > 0 ? (int)cpus : 1);
    rtj_status s = S_ISDIR(sb.st_mode) ? rtj_load_hf_dir(path, m, err) : rtj_load_rtj_file(path, m, err);
    if (s != RTJ_OK) {
        rtj_model_free(m);
        return s;
    }
    *out = m;
    return RTJ_OK;
}

void rtj_model_get_info(const rtj_model *m, rtj_model_info *info)
{
    const rtj_config *c = &m->cfg;
    *info = (rtj_model_info){c->hidden, c->layers, c->heads, c->intermediate, c->vocab_size, c->max_positions,
                             c->type_vocab_size, c->num_labels, c->num_exits, c->exit_layers, c->exit_temps,
                             (const char *const *)c->labels, m->dtype, m->kt->name};
}

rtj_status rtj_model_set_exit_temperatures(rtj_model *m, const float *temps, int n)
{
    if (!m || !temps || n != m->cfg.num_exits)
        return RTJ_ERR_ARG;
    for (int k = 0; k < n; k++)
        if (!(isfinite(temps[k]) && temps[k] > 0))
            return RTJ_ERR_ARG;
    for (int k = 0; k < n; k++) {
        m->cfg.exit_temps[k] = temps[k];
        m->exits[k].temperature = temps[k];
    }
    return RTJ_OK;
}

const rtj_tokenizer *rtj_model_tokenizer(const rtj_model *m)
{
    return m ? m->tok : NULL;
}
