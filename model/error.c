/* Errors: the public status strings and the message helper every layer of model/ reports through. The
 * bottom of model/: it calls nothing else of the library. */
#include <stdarg.h>
#include <stdio.h>

#include "model.h"

const char *rtj_strerror(rtj_status status)
{
    switch (status) {
    case RTJ_OK: return "success";
    case RTJ_ERR_NOMEM: return "out of memory";
    case RTJ_ERR_IO: return "file cannot be read or written";
    case RTJ_ERR_FORMAT: return "malformed file";
    case RTJ_ERR_CONFIG: return "invalid model configuration";
    case RTJ_ERR_TENSOR: return "missing or mis-shaped tensor";
    case RTJ_ERR_ARG: return "invalid argument";
    case RTJ_ERR_ISA: return "instruction set not available on this CPU";
    case RTJ_ERR_INPUT: return "input cannot be classified (no tokens, a token id out of range, or the model's values left float range on it)";
    }
    return "unknown error";
}

rtj_status rtj_fail(rtj_error *err, rtj_status code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return code;
}
