/* modelfile: see modelfile.h. */
#include "bytegpt/modelfile.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

/* What a path that is not a regular file is, for the message. */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
        return "folder";
    if (S_ISFIFO(mode))
        return "FIFO (a named pipe)";
    if (S_ISSOCK(mode))
        return "socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "device";
    return "special file";
}

/* A checkpoint is read with a measured size and more than one pass, so
 * only a regular file will do; anything else is refused by name before
 * it is opened. */
static int check_regular(const char *file, const struct stat *st, struct bg_error *err)
{
    if (S_ISREG(st->st_mode))
        return BG_OK;
    return bg_fail(err, BG_ERR_INPUT,
                   "%s is not a checkpoint: it is a %s, not a regular file; give a run folder or a checkpoint file",
                   file, file_kind(st->st_mode));
}

/* file = dir, or dir/name when name is given; refuses a path that does
 * not fit rather than open a truncated one. */
static int join(char *file, size_t n, const char *dir, const char *name, struct bg_error *err)
{
    int len = name ? snprintf(file, n, "%s/%s", dir, name) : snprintf(file, n, "%s", dir);
    if (len < 0 || (size_t)len >= n)
        return bg_fail(err, BG_ERR_INPUT, "the model path %.60s... is too long (%zu bytes at most)", dir, n - 1);
    return BG_OK;
}

int modelfile_resolve(const char *path, char *file, size_t n, struct bg_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return bg_fail(err, BG_ERR_INPUT, "cannot open model %s: %s; give a run folder or a checkpoint file", path,
                       strerror(errno));
    if (!S_ISDIR(st.st_mode)) {
        int rc = join(file, n, path, NULL, err);
        return rc ? rc : check_regular(file, &st, err);
    }
    /* A run folder: its best validation checkpoint if there is one, else
     * its latest. A best.bin that is there but unreadable or not a file is
     * reported, not silently passed over for an older ckpt.bin. */
    static const char *const names[] = {"best.bin", "ckpt.bin"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        int rc = join(file, n, path, names[i], err);
        if (rc)
            return rc;
        if (stat(file, &st) == 0)
            return check_regular(file, &st, err);
        if (errno != ENOENT)
            return bg_fail(err, BG_ERR_INPUT, "cannot open checkpoint %s: %s", file, strerror(errno));
    }
    return bg_fail(err, BG_ERR_INPUT,
                   "%s is a folder with no checkpoint (neither best.bin nor ckpt.bin); give a run folder or a "
                   "checkpoint file", path);
}

int modelfile_open(struct bg_modelfile *mf, const char *path, struct bg_error *err)
{
    /* Zeroed, so that modelfile_close is safe whatever fails below. */
    memset(mf, 0, sizeof *mf);
    int rc = modelfile_resolve(path, mf->path, sizeof mf->path, err);
    if (!rc)
        rc = checkpoint_peek(mf->path, &mf->state, err);
    return rc;
}

int modelfile_load(struct bg_modelfile *mf, size_t max_B, struct bg_error *err)
{
    int rc = model_init(&mf->model, &mf->state.cfg.model, max_B, err);
    if (!rc && (rc = checkpoint_load(mf->path, &mf->state, &mf->model, err)))
        model_free(&mf->model);
    return rc;
}

void modelfile_close(struct bg_modelfile *mf)
{
    model_free(&mf->model);
}
