/* corpus: the data side of pre-training, bytes in and batches out.
 *
 * A corpus is a file (gzip or plain text, both read through zlib's gzread)
 * or a folder of such files (shards, in sorted name order). Each file is
 * one document; documents are joined with the boundary byte NUL, which is
 * why a file containing NUL is refused as not text.
 *
 * Validation is held out deterministically and never trained on: for a
 * single file its last 10% of bytes; for a folder every tenth shard in
 * sorted name order (the 10th, 20th, ...), or the last shard when there
 * are fewer than ten (and at least two).
 *
 * Training batches are random windows of ctx+1 bytes drawn with the
 * corpus' own rng from a bounded buffer. The buffer holds the whole
 * training stream when it fits; otherwise it holds a chunk of it and is
 * refilled by streaming on through the training shards (in a seeded order
 * per epoch), so memory does not grow with the corpus. Validation batches
 * are fixed windows spread evenly over (a bounded prefix of) the
 * validation stream, the same at every evaluation. */
#ifndef BYTEGPT_CORPUS_H
#define BYTEGPT_CORPUS_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/error.h"
#include "bytegpt/rng.h"

/* Default bound on the training buffer, and on the validation bytes kept. */
#define BG_CORPUS_BUFFER_DEFAULT ((size_t)64 << 20)
#define BG_CORPUS_VAL_MAX ((size_t)16 << 20)

struct bg_corpus;

/* What the corpus holds, for the CLI to show at start. A single file
 * counts as one shard holding both parts: n_shards, n_train_shards and
 * n_val_shards are all 1. */
struct bg_corpus_info {
    int is_folder;
    size_t n_shards, n_train_shards, n_val_shards;
    uint64_t compressed_bytes; /* bytes on disk, all files */
    uint64_t total_bytes;      /* bytes of text, all files, without joins */
    uint64_t train_bytes;      /* the training stream, NUL joins included */
    uint64_t val_bytes;        /* the validation stream, NUL joins included */
    size_t buffer_bytes;       /* the training buffer actually allocated:
                                  min(buffer bound, train_bytes) */
    size_t val_kept_bytes;     /* validation bytes held for evaluation */
    uint32_t fingerprint;      /* CRC32 over every shard's text CRC32 and
                                  length, in order: a changed corpus has
                                  another (checkpoints record it) */
};

/* Where the loader is, enough to continue the identical batch sequence
 * after a restart: the chunk of the training stream in the buffer, how
 * many windows were drawn from it, and the rng. When the whole training
 * stream fits in the buffer there are no chunks: epoch, shard and offset
 * stay 0 and drawn counts every window drawn. offset may equal the shard's
 * length, meaning the chunk starts with the NUL after that shard. */
struct bg_corpus_pos {
    uint64_t epoch;       /* passes over the training shards started */
    uint64_t shard;       /* index into this epoch's shard order */
    uint64_t offset;      /* byte offset within that shard's text */
    uint64_t drawn;       /* windows drawn from the current buffer */
    struct bg_rng rng;
};

struct bg_corpus_options {
    size_t ctx;          /* window length: rows are ctx+1 bytes; >= 1 */
    size_t buffer_bytes; /* training buffer bound (0: default); >= 2*(ctx+1) */
    size_t val_max_bytes;/* validation bytes kept (0: default); >= ctx+1 */
    uint64_t seed;       /* batch windows and shard order */
};

/* Opens path, checks every file (readable, regular, valid gzip or plain
 * text without NUL, not empty), computes the split, and fills the buffers.
 * The split: a single file of N bytes trains on its first N - floor(N/10)
 * bytes and validates on the last floor(N/10). A folder's shards are its
 * regular files sorted by name (strcmp); names starting with '.' and
 * subfolders are ignored, other entries (FIFOs, devices, sockets, broken
 * links) are refused, and a folder of one shard is refused.
 * When the training stream is larger than the buffer, the buffer holds a
 * chunk of the endless stream (epochs of the training shards, each epoch
 * in an order shuffled from (seed, epoch), NUL between all documents);
 * after floor(buffer_bytes / (ctx+1)) windows the next chunk is read,
 * overlapping the last by ctx bytes.
 * Every failure is BG_ERR_INPUT with a message naming the file and what to
 * do, except running out of memory (BG_ERR_RUNTIME). */
int corpus_open(struct bg_corpus **out, const char *path,
                const struct bg_corpus_options *opt, struct bg_error *err);
void corpus_close(struct bg_corpus *c);

void corpus_get_info(const struct bg_corpus *c, struct bg_corpus_info *info);

/* The file the corpus' text starts with: the path itself, or the first of
 * a folder's shards in the order above. It belongs to the corpus and
 * lives until corpus_close. */
const char *corpus_first_file(const struct bg_corpus *c);

/* inputs (B,T) and targets (B,T): B random training windows of T+1
 * consecutive bytes (T <= ctx), targets shifted by one. Refilling the
 * buffer reads files, which can fail (a file changed under us). */
int corpus_next_batch(struct bg_corpus *c, uint8_t *inputs, uint8_t *targets,
                      size_t B, size_t T, struct bg_error *err);

/* inputs (B,T) and targets (B,T): batch number index of n_batches fixed
 * validation batches. Window k = index*B + b of K = n_batches*B starts at
 * byte floor(k * (len - T - 1) / max(K - 1, 1)) of the validation bytes kept.
 * T must be <= ctx: this function cannot fail, so it does not check. */
void corpus_val_batch(const struct bg_corpus *c, uint8_t *inputs, uint8_t *targets,
                      size_t index, size_t n_batches, size_t B, size_t T);

/* The validation bytes kept for evaluation (*n = val_kept_bytes of
 * them, NUL joins included), the text every validation batch is cut from:
 * what a baseline on "the validation text" is computed on. The bytes
 * belong to the corpus and live until corpus_close. */
const uint8_t *corpus_val_text(const struct bg_corpus *c, size_t *n);

void corpus_get_pos(const struct bg_corpus *c, struct bg_corpus_pos *pos);

/* Restores a position saved by corpus_get_pos on a corpus opened with the
 * same path and options; refills the buffer from the saved chunk. After a
 * failure the corpus is in no defined state: close it. */
int corpus_set_pos(struct bg_corpus *c, const struct bg_corpus_pos *pos, struct bg_error *err);

#endif
