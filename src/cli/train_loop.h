/* train_loop: the run loop of `bytegpt train`, after the command has
 * resolved its configuration and prepared the run folder. */
#ifndef BYTEGPT_CLI_TRAIN_LOOP_H
#define BYTEGPT_CLI_TRAIN_LOOP_H

#include "bytegpt/checkpoint.h"
#include "bytegpt/corpus.h"
#include "bytegpt/train.h"
#include "bytegpt/trainlog.h"

struct train_run {
    const char *out;              /* the run folder */
    char ckpt_path[4200], best_path[4200], samples_path[4200];
    struct bg_trainer trainer;    /* model, optimiser, batches */
    struct bg_ckpt_state state;   /* everything a checkpoint saves besides tensors */
    struct bg_trainlog log;
    int interactive;              /* standard output is a terminal */
};

/* Trains until the run's steps or time budget are spent or a signal
 * arrives; returns the exit code (0, 1, 130, 143). */
int train_loop_run(struct train_run *run);

#endif
