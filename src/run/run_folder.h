/* run_folder: private to run.c (see run_folder.c). Each returns a status
 * and fills err, as the library does everywhere. */
#ifndef BYTEGPT_RUN_FOLDER_H
#define BYTEGPT_RUN_FOLDER_H

#include "bytegpt/run.h"

/* Fills r's paths for the folder out; refuses a path too long for them. */
int run_set_paths(struct bg_run *r, const char *out, struct bg_error *err);

/* mkdir -p: creates dir and its missing parents. */
int run_make_dirs(const char *dir, struct bg_error *err);

/* Takes the folder's lock (DIR/lock, an flock the kernel drops when its
 * holder exits, kill -9 included), or refuses: "run folder X is in use by
 * process PID". */
int run_lock_folder(struct bg_run *r, struct bg_error *err);
void run_unlock_folder(struct bg_run *r);

/* A new run needs a folder without a run; a resume needs a checkpoint. */
int run_check_folder(const struct bg_run *r, int resume, struct bg_error *err);

/* config.txt: the run in words, for people (nothing reads it back). */
int run_write_config(const struct bg_run *r, const char *preset, struct bg_error *err);

/* Opens log.csv: a new run creates it; a resume first cuts samples.txt,
 * best.bin and log.csv back to the checkpoint's step. */
int run_open_files(struct bg_run *r, struct bg_error *err);

#endif
