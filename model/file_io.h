/* Whole files: a small one read at once, and a file replaced so that it is never seen half-written (into
 * a temporary file beside it, on the same file system, flushed to disk, then renamed over it): the one
 * way the library replaces a file (rtj_model_save's .rtj, rtj_checkpoint_set_exit_temperatures'
 * config.json). Internal. */
#ifndef RTJ_FILE_IO_H
#define RTJ_FILE_IO_H

#include <stddef.h>
#include <sys/types.h>

#include "../include/rtj.h"

/* Reads a whole file of at most `limit` bytes into a fresh NUL-terminated buffer (free it) sized by the
 * file, not by the limit. */
rtj_status rtj_read_small_file(const char *path, size_t limit, char **out, size_t *len, rtj_error *err);

typedef struct rtj_atomic_file {
    const char *path;
    char *tmp;       /* PATH.tmp.XXXXXX */
    int fd;
    int failed;      /* a write failed: commit will not rename */
    int saved_errno; /* why */
} rtj_atomic_file;

/* Creates the temporary file with permissions `mode`. 0, or -1 with errno set (nothing left behind). */
int rtj_atomic_open(rtj_atomic_file *f, const char *path, mode_t mode);
/* Appends len bytes; after a failure further writes do nothing and commit fails. 0 or -1. */
int rtj_atomic_write(rtj_atomic_file *f, const void *data, size_t len);
/* Flushes, closes and renames the file into place; on any failure (this one or an earlier write) removes
 * the temporary file instead. 0, or -1 with errno saying why. Frees what open allocated either way. */
int rtj_atomic_commit(rtj_atomic_file *f);

#endif
