/* fsutil: see fsutil.h. */
#include "bytegpt/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

int fsutil_errno_status(int e)
{
    return e == ENOENT || e == ENOTDIR || e == EACCES || e == EPERM || e == EISDIR || e == EROFS ||
                   e == ENAMETOOLONG || e == ELOOP
               ? BG_ERR_INPUT
               : BG_ERR_RUNTIME;
}

int fsutil_sync_parent(const char *path)
{
    char dir[4096];
    size_t len = strlen(path) < sizeof dir ? strlen(path) : sizeof dir - 1;
    memcpy(dir, path, len);
    dir[len] = '\0';
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        dir[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        snprintf(dir, sizeof dir, ".");
    int fd = open(dir, O_RDONLY);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int fsutil_atomic_open(struct bg_atomic_file *a, const char *path, const char *what, struct bg_error *err)
{
    memset(a, 0, sizeof *a);
    a->what = what;
    if (strlen(path) >= sizeof a->path)
        return bg_fail(err, BG_ERR_INPUT, "%s path is too long: %.200s...", what, path);
    memcpy(a->path, path, strlen(path) + 1);
    snprintf(a->tmp, sizeof a->tmp, "%s.tmp", path);
    a->f = fopen(a->tmp, "wb");
    if (!a->f)
        return bg_fail(err, fsutil_errno_status(errno), "cannot write %s %s: %s; check that its folder exists and is writable",
                       what, path, strerror(errno));
    return BG_OK;
}

void fsutil_atomic_abort(struct bg_atomic_file *a)
{
    if (a->f) {
        fclose(a->f);
        a->f = NULL;
        remove(a->tmp);
    }
}

int fsutil_atomic_commit(struct bg_atomic_file *a, struct bg_error *err)
{
    /* Every byte must be on the disk before the rename makes it the file;
     * otherwise a power cut could leave a renamed empty file. ferror
     * catches a write that failed before this call (a full disk). */
    int e = 0;
    errno = 0;
    if (ferror(a->f) || fflush(a->f) != 0 || fsync(fileno(a->f)) != 0)
        e = errno ? errno : EIO;
    if (fclose(a->f) != 0 && !e)
        e = errno ? errno : EIO;
    a->f = NULL;
    if (!e && rename(a->tmp, a->path) != 0)
        e = errno;
    if (e) {
        remove(a->tmp);
        return bg_fail(err, fsutil_errno_status(e), "cannot write %s %s: %s (the previous file is intact)", a->what,
                       a->path, strerror(e));
    }
    fsutil_sync_parent(a->path);
    return BG_OK;
}

int fsutil_write_file(const char *path, const void *data, size_t n, const char *what, struct bg_error *err)
{
    struct bg_atomic_file a;
    int rc = fsutil_atomic_open(&a, path, what, err);
    if (rc)
        return rc;
    fwrite(data, 1, n, a.f);
    return fsutil_atomic_commit(&a, err);
}
