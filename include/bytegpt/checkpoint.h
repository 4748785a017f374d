/* checkpoint: ckpt.bin and best.bin, the run's state on disk.
 *
 * Layout (little-endian):
 *   offset  0  8 bytes   magic "BYTEGPT\0"
 *   offset  8  uint32    format version (BG_CKPT_VERSION)
 *   offset 12  uint32    CRC32 (zlib) of every byte from offset 16 to the end
 *   offset 16  uint64    total file size in bytes
 *   offset 24  the run:  model config (L, NH, C, ctx, V), the training
 *              settings, step, tokens, elapsed seconds, the schedule's
 *              warmup point, best validation loss, the data loader's
 *              position and rng, the sampler's rng (see checkpoint.c,
 *              struct ckpt_record, for each field's width)
 *              (version 2 adds the corpus' size and fingerprint and the
 *              number of processes; version 3 the recipe: norm, pos,
 *              qk-norm, act, head, bigram, softcap, optim, muon-lr,
 *              schedule, decay; version 4 the FLOP budget. Version 2
 *              still loads, as GPT-2's recipe, and version 3 as a run
 *              without a FLOP budget.)
 *   then       uint64 N, uint64 P, P bytes of the corpus path (no NUL),
 *              and N floats each of parameters, AdamW m, AdamW v.
 *
 * A checkpoint is written through fsutil's atomic write (PATH.tmp, fsync,
 * rename, fsync the folder): a kill at any instant leaves either the old
 * or the new checkpoint, complete. Loading checks the magic, the
 * version, the size and the CRC before trusting a byte of it. */
#ifndef BYTEGPT_CHECKPOINT_H
#define BYTEGPT_CHECKPOINT_H

#include <stdint.h>

#include "bytegpt/corpus.h"
#include "bytegpt/error.h"
#include "bytegpt/fsutil.h"
#include "bytegpt/model.h"
#include "bytegpt/rng.h"
#include "bytegpt/train.h"

#define BG_CKPT_MAGIC "BYTEGPT"
#define BG_CKPT_VERSION 4u

/* Everything but the tensors. */
struct bg_ckpt_state {
    struct bg_train_config cfg;
    uint64_t step, tokens;
    double elapsed;          /* seconds of training so far, over all sessions */
    double warmup_progress;  /* run progress when warmup ended (schedule.h) */
    double best_val;         /* best validation loss so far (NaN: none yet) */
    struct bg_corpus_pos pos;
    struct bg_rng sample_rng;
    uint64_t corpus_bytes;       /* text bytes of the corpus trained on */
    uint64_t corpus_fingerprint; /* its bg_corpus_info.fingerprint */
    uint64_t ranks;              /* processes that trained it (1 without MPI) */
    char corpus[BG_PATH_MAX];    /* the corpus path, as given to train */
};

/* Writes state and the model's parameters and AdamW moments to path,
 * atomically (fsutil). On failure (disk full, read-only folder) the file
 * at path is untouched, no temporary file is left, and the status is
 * BG_ERR_RUNTIME: the run folder was checked when the run began. */
int checkpoint_save(const char *path, const struct bg_ckpt_state *s, const struct bg_model *m,
                    struct bg_error *err);

/* Reads and checks the header and state only (magic, version, size), so
 * that a caller can build a model of the right shape before loading. */
int checkpoint_peek(const char *path, struct bg_ckpt_state *s, struct bg_error *err);

/* Reads a checkpoint into a model built for s->cfg.model, checking the
 * CRC over the whole file. Every defect is BG_ERR_INPUT naming the file. */
int checkpoint_load(const char *path, struct bg_ckpt_state *s, struct bg_model *m, struct bg_error *err);

#endif
