/* fsutil: the one way bytegpt writes a whole file (checkpoints, exports,
 * plots, the shortened log of a resumed run, config.txt).
 *
 * A file is written to PATH.tmp, flushed and fsynced, renamed over PATH,
 * and then the folder is fsynced so that the rename itself survives a
 * power cut. A reader (a browser reloading loss.svg, a resume after a
 * kill) therefore sees the old file or the new one, never half of one,
 * and a failure at any point leaves PATH as it was and no PATH.tmp.
 *
 * Use:   struct bg_atomic_file a;
 *        if (fsutil_atomic_open(&a, path, "checkpoint", err)) return ...;
 *        fsutil_atomic_write(&a, bytes, n);   ... as often as needed ...
 *        return fsutil_atomic_commit(&a, err);   // or fsutil_atomic_abort(&a)
 * A write that fails is not checked by the caller: commit reports it.
 */
#ifndef BYTEGPT_FSUTIL_H
#define BYTEGPT_FSUTIL_H

#include <stddef.h>
#include <stdio.h>

#include "bytegpt/error.h"

/* Room for one path, its NUL included: Linux's PATH_MAX. A buffer for a
 * path built from another one says so in its size: BG_PATH_MAX + 8 for
 * the ".tmp" beside a file, + 128 for a name of ours inside a folder
 * ("/ckpt.bin", "/trial-0012"), + 256 for two such levels. The paths a
 * user gives (--out, --corpus, --model) are checked against BG_PATH_MAX
 * where they come in, so that what is appended to them always fits. */
#define BG_PATH_MAX 4096

struct bg_atomic_file {
    FILE *f;             /* the temporary file, binary; fprintf to it works too,
                            but a failed fprintf is then reported as EIO */
    const char *what;    /* names the file in messages: "checkpoint", "plot" */
    int error;           /* errno of the first failed write; 0 while all went well */
    char path[BG_PATH_MAX];    /* the file being replaced */
    char tmp[BG_PATH_MAX + 8]; /* path + ".tmp" */
};

/* Opens PATH.tmp for writing. A path that is too long or whose folder is
 * missing, read-only or not a folder is BG_ERR_INPUT. */
int fsutil_atomic_open(struct bg_atomic_file *a, const char *path, const char *what, struct bg_error *err);

/* Writes n bytes to the temporary file: BG_OK, or after a failure (a full
 * disk) its status, which every later write returns too without writing.
 * The message is commit's to give, with the errno kept here, so a caller
 * may write a file in many pieces and check once, at commit. */
int fsutil_atomic_write(struct bg_atomic_file *a, const void *data, size_t n);

/* Flushes, fsyncs, closes and renames the temporary file over the path,
 * then fsyncs the folder. Any failure on the way (a write that failed
 * earlier included: a full disk) removes the temporary file, leaves the
 * old file untouched and says so: "cannot write checkpoint PATH: No
 * space left on device (the previous checkpoint is intact)". */
int fsutil_atomic_commit(struct bg_atomic_file *a, struct bg_error *err);

/* Closes and removes the temporary file; the old file stays. */
void fsutil_atomic_abort(struct bg_atomic_file *a);

/* The whole of data written to path atomically. */
int fsutil_write_file(const char *path, const void *data, size_t n, const char *what, struct bg_error *err);

/* The one mapping from a failed file operation's errno to a status: the
 * user's mistake (a path that cannot be, no permission, a folder where a
 * file should be) is BG_ERR_INPUT; anything else (a full or failing
 * disk) is the machine's, BG_ERR_RUNTIME. */
int fsutil_errno_status(int errnum);

/* mkdir -p: creates the folder dir and its missing parents. A path
 * that cannot be a folder is BG_ERR_INPUT: "--out DIR exists and is not
 * a folder" when dir is a file. */
int fsutil_make_dirs(const char *dir, struct bg_error *err);

/* A small text file whole, or its last max bytes at most, starting at a
 * line when the file was cut: NUL-terminated and malloc'd (the caller
 * frees it); NULL when it cannot be read or memory ran out. */
char *fsutil_read_tail(const char *path, long max);

/* True when something (a file, a folder) exists at path. */
int fsutil_exists(const char *path);


/* ---- One process per folder ----
 * A run folder and a sweep folder each belong to one process at a time.
 * fsutil_lock_folder takes an flock on DIR/lock: the kernel drops it when
 * its holder exits, kill -9 included, so there is never a stale lock to
 * clean by hand. The file holds the holder's PID, for the message the
 * next process gets: "<what> DIR is in use by process PID" (BG_ERR_INPUT).
 * what names the folder ("run folder", "sweep folder"). On success *fd
 * holds the lock; fsutil_unlock_folder closes it (fd <= 0: nothing) and sets -1. */
int fsutil_lock_folder(const char *dir, const char *what, int *fd, struct bg_error *err);
void fsutil_unlock_folder(int *fd);

#endif
