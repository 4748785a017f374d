/* fsutil: see fsutil.h. */
#include "bytegpt/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

int fsutil_errno_status(int e)
{
    return e == ENOENT || e == ENOTDIR || e == EACCES || e == EPERM || e == EISDIR || e == EROFS ||
                   e == ENAMETOOLONG || e == ELOOP
               ? BG_ERR_INPUT
               : BG_ERR_RUNTIME;
}

int fsutil_make_dirs(const char *dir, struct bg_error *err)
{
    char buf[BG_PATH_MAX];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return bg_fail(err, BG_ERR_INPUT, "cannot create folder %s: %s", buf, strerror(errno));
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return bg_fail(err, BG_ERR_INPUT, "cannot create folder %s: %s", buf, strerror(errno));
    struct stat st;
    if (stat(buf, &st) != 0 || !S_ISDIR(st.st_mode))
        return bg_fail(err, BG_ERR_INPUT, "--out %s exists and is not a folder", dir);
    return BG_OK;
}

/* fsyncs the folder that holds path, so that a rename in it survives a
 * power cut. Its failure is not reported: by then the new file is written,
 * synced and renamed into place, and at worst a power cut brings back
 * the previous one, which is what an atomic write allows. */
static void sync_parent(const char *path)
{
    char dir[BG_PATH_MAX];
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
        return;
    fsync(fd);
    close(fd);
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

int fsutil_atomic_write(struct bg_atomic_file *a, const void *data, size_t n)
{
    /* The errno of a failed fwrite is kept here because anything the
     * caller does before commit (even a successful call) may change it. */
    if (!a->error) {
        errno = 0;
        if (fwrite(data, 1, n, a->f) != n)
            a->error = errno ? errno : EIO;
    }
    return a->error ? fsutil_errno_status(a->error) : BG_OK;
}

int fsutil_atomic_commit(struct bg_atomic_file *a, struct bg_error *err)
{
    /* Every byte must be on the disk before the rename makes it the file;
     * otherwise a power cut could leave a renamed empty file. ferror
     * catches a write to a.f that failed without fsutil_atomic_write. */
    int e = a->error;
    errno = 0;
    if (!e && (ferror(a->f) || fflush(a->f) != 0 || fsync(fileno(a->f)) != 0))
        e = errno ? errno : EIO;
    if (fclose(a->f) != 0 && !e)
        e = errno ? errno : EIO;
    a->f = NULL;
    if (!e && rename(a->tmp, a->path) != 0)
        e = errno;
    if (e) {
        remove(a->tmp);
        /* "Intact" only where there is an old file to keep. */
        char intact[96] = "";
        struct stat st;
        if (stat(a->path, &st) == 0)
            snprintf(intact, sizeof intact, " (the previous %s is intact)", a->what);
        return bg_fail(err, fsutil_errno_status(e), "cannot write %s %s: %s%s", a->what, a->path, strerror(e),
                       intact);
    }
    sync_parent(a->path);
    return BG_OK;
}

int fsutil_write_file(const char *path, const void *data, size_t n, const char *what, struct bg_error *err)
{
    struct bg_atomic_file a;
    int rc = fsutil_atomic_open(&a, path, what, err);
    if (rc)
        return rc;
    fsutil_atomic_write(&a, data, n);
    return fsutil_atomic_commit(&a, err);
}

/* ---- One process per folder ---- */

int fsutil_lock_folder(const char *dir, const char *what, int *fd, struct bg_error *err)
{
    char path[BG_PATH_MAX + 128], pid[32] = "";
    snprintf(path, sizeof path, "%s/lock", dir);
    int f = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (f < 0)
        return bg_fail(err, fsutil_errno_status(errno), "cannot lock %s %s: %s", what, dir, strerror(errno));
    if (flock(f, LOCK_EX | LOCK_NB) != 0) {
        ssize_t n = read(f, pid, sizeof pid - 1);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        close(f);
        return bg_fail(err, BG_ERR_INPUT, "%s %s is in use by process %s", what, dir, pid[0] ? pid : "(unknown)");
    }
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(f, 0) != 0 || pwrite(f, pid, (size_t)len, 0) != len) {
        close(f);
        return bg_fail(err, BG_ERR_RUNTIME, "cannot write %s: %s", path, strerror(errno));
    }
    *fd = f;
    return BG_OK;
}

void fsutil_unlock_folder(int *fd)
{
    if (*fd > 0) /* 0 is a cleared struct's, never a lock's */
        close(*fd); /* closing drops the lock; the file stays, harmless */
    *fd = -1;
}

int fsutil_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

char *fsutil_read_tail(const char *path, long max)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    long from = size > max ? size - max : 0;
    char *text = size >= 0 ? malloc((size_t)(size - from) + 1) : NULL;
    size_t n = text && fseek(f, from, SEEK_SET) == 0 ? fread(text, 1, (size_t)(size - from), f) : 0;
    fclose(f);
    if (!text)
        return NULL;
    text[n] = '\0';
    char *line = from > 0 ? strchr(text, '\n') : NULL;
    if (line)
        memmove(text, line + 1, strlen(line + 1) + 1);
    return text;
}
