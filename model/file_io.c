/* Whole files read and replaced (file_io.h). */
#include "file_io.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model.h"

rtj_status rtj_read_small_file(const char *path, size_t limit, char **out, size_t *len, rtj_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return rtj_fail(err, RTJ_ERR_IO, "%s: %s", path, strerror(errno));
    /* The buffer follows the file, not the limit: a 300-byte config.json costs 300 bytes, not the 1 MiB it
     * may grow to. A regular file's size is known up front (one more byte is asked for, to notice a file
     * that grew since); a pipe's is found by doubling. */
    struct stat sb;
    size_t cap = 1 << 12;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode)) {
        if ((uint64_t)sb.st_size > limit) {
            fclose(f);
            return rtj_fail(err, RTJ_ERR_FORMAT, "%s: larger than %zu bytes", path, limit);
        }
        cap = (size_t)sb.st_size + 1;
    }
    cap = cap > limit + 1 ? limit + 1 : cap;
    char *buf = malloc(cap + 1);
    size_t n = 0;
    int bad = 0;
    while (buf) {
        n += fread(buf + n, 1, cap - n, f);
        if (n < cap || cap == limit + 1 || (bad = ferror(f)) != 0)
            break;
        const size_t grown_cap = cap > (limit + 1) / 2 ? limit + 1 : 2 * cap;
        char *grown = realloc(buf, grown_cap + 1);
        if (!grown)
            free(buf);
        buf = grown, cap = grown_cap;
    }
    bad |= ferror(f);
    fclose(f);
    if (!buf)
        return rtj_fail(err, RTJ_ERR_NOMEM, "out of memory reading %s", path);
    if (bad || n > limit) {
        free(buf);
        return bad ? rtj_fail(err, RTJ_ERR_IO, "%s: read error", path)
                   : rtj_fail(err, RTJ_ERR_FORMAT, "%s: larger than %zu bytes", path, limit);
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return RTJ_OK;
}

int rtj_atomic_open(rtj_atomic_file *f, const char *path, mode_t mode)
{
    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->path = path;
    const size_t n = strlen(path) + sizeof ".tmp.XXXXXX";
    f->tmp = malloc(n);
    if (!f->tmp) {
        errno = ENOMEM;
        return -1;
    }
    snprintf(f->tmp, n, "%s.tmp.XXXXXX", path);
    f->fd = mkstemp(f->tmp);
    /* mkstemp makes the file 0600: give it the permissions asked for, as cp or an editor would. */
    if (f->fd < 0 || fchmod(f->fd, mode) != 0) {
        const int e = errno;
        if (f->fd >= 0)
            close(f->fd), unlink(f->tmp);
        free(f->tmp);
        f->tmp = NULL;
        errno = e;
        return -1;
    }
    return 0;
}

int rtj_atomic_write(rtj_atomic_file *f, const void *data, size_t len)
{
    const char *p = data;
    while (!f->failed && len) {
        ssize_t w = write(f->fd, p, len > (1u << 30) ? (1u << 30) : len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            f->failed = 1;
            f->saved_errno = w < 0 ? errno : EIO;
            break;
        }
        p += w, len -= (size_t)w;
    }
    return f->failed ? -1 : 0;
}

int rtj_atomic_commit(rtj_atomic_file *f)
{
    if (!f->failed && fsync(f->fd) != 0)
        f->failed = 1, f->saved_errno = errno;
    if (close(f->fd) != 0 && !f->failed)
        f->failed = 1, f->saved_errno = errno;
    if (!f->failed && rename(f->tmp, f->path) != 0)
        f->failed = 1, f->saved_errno = errno;
    if (f->failed)
        unlink(f->tmp);
    free(f->tmp);
    f->tmp = NULL;
    f->fd = -1;
    errno = f->failed ? f->saved_errno : errno;
    return f->failed ? -1 : 0;
}
