/* modelfile: the trained model a command is given as RUN|CKPT.
 *
 * sample, predict, eval and export all read a model from a path that is
 * either a run folder or a checkpoint file. This module is the one place
 * that decides what such a path means and opens it:
 *   - a run folder means its best.bin (the best validation loss), else its
 *     ckpt.bin (the latest); a folder with neither is refused;
 *   - the checkpoint must be a regular file. A FIFO, a device, a socket or
 *     a folder named best.bin is refused before it is opened: reading a
 *     FIFO would wait forever for a writer, and a checkpoint's size is
 *     measured and the file read twice, which only a regular file allows.
 * Then checkpoint.c reads it, checking magic, version, size and CRC.
 *
 * Opening is two steps, so that a caller can read the model's shape (its
 * context, say) and choose the batch before the model is built:
 *     modelfile_open   the path and the checkpoint's header (the config)
 *     modelfile_load   the model, built and filled with the weights
 *     modelfile_close  frees it
 * A failed open or load holds nothing: there is nothing to close. */
#ifndef BYTEGPT_MODELFILE_H
#define BYTEGPT_MODELFILE_H

#include <stddef.h>

#include "bytegpt/checkpoint.h"
#include "bytegpt/error.h"
#include "bytegpt/fsutil.h"
#include "bytegpt/model.h"

/* Room for a path of BG_PATH_MAX bytes and "/best.bin" after it. */
#define BG_MODELFILE_PATH_MAX (BG_PATH_MAX + 128)

struct bg_modelfile {
    char path[BG_MODELFILE_PATH_MAX]; /* the checkpoint file read: PATH, PATH/best.bin or PATH/ckpt.bin */
    struct bg_ckpt_state state;       /* its header: the config (state.cfg), the step, ... */
    struct bg_model model;            /* built by modelfile_load for state.cfg.model */
};

/* The checkpoint file that path names, written into file (n bytes): path
 * itself when it is a regular file, or a run folder's best.bin, else its
 * ckpt.bin. Fails (BG_ERR_INPUT, naming the path) when path is missing, a
 * folder with no checkpoint, not a regular file, or too long. */
int modelfile_resolve(const char *path, char *file, size_t n, struct bg_error *err);

/* Resolves path and reads the checkpoint's header into mf->state, checking
 * it; the model is not built yet. */
int modelfile_open(struct bg_modelfile *mf, const char *path, struct bg_error *err);

/* Builds mf->model for batches of up to max_B rows and reads the weights,
 * checking the CRC. */
int modelfile_load(struct bg_modelfile *mf, size_t max_B, struct bg_error *err);

/* Frees the model; mf can be opened again. */
void modelfile_close(struct bg_modelfile *mf);

#endif
