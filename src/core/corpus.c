/* corpus: see corpus.h for the rules a user relies on (the split, the
 * shards, the bounded buffer).
 *
 * A corpus lives in three files, read in this order: corpus_stream.c
 * reads a stream of documents joined by NUL through zlib; corpus_files.c
 * finds the corpus' files, scans each once and splits them into a
 * training and a validation stream; this file holds the corpus itself:
 * the training buffer, the batches drawn from it, and the exact data
 * position a checkpoint saves.
 *
 * Two words are used throughout. A segment is one document of a stream: a
 * whole shard of a folder, or the training or validation part of a single
 * file. A stream is a list of segments read one after the other with a NUL
 * byte between neighbours, so a window that crosses from one document into
 * the next sees the boundary, as GPT-2 sees <|endoftext|>.
 *
 * The training buffer holds the whole training stream when it fits (the
 * shards in name order, read once). Otherwise it holds a chunk of
 * buffer_bytes bytes of the endless training stream: epoch after epoch of
 * the training shards, each epoch in its own order shuffled from (seed,
 * epoch). After floor(buffer_bytes / (ctx+1)) windows have been drawn
 * from a chunk (so that on average each byte has been seen about once),
 * the next chunk is read. Consecutive chunks overlap by ctx bytes, so
 * every window start of the stream lies in exactly one chunk. A position
 * (corpus_get_pos) is the stream position where the current chunk starts,
 * the windows drawn from it, and the rng; restoring it re-reads that chunk
 * and continues the identical batch sequence. */
#include "bytegpt/corpus.h"

#include <stdlib.h>
#include <string.h>

#include "bytegpt/arena.h"
#include "corpus_files.h"
#include "corpus_stream.h"

struct bg_corpus {
    char *path;
    struct corpus_files fs;      /* its files, scanned */
    struct corpus_split split;   /* the two streams' documents */

    size_t ctx, buffer_cap, val_cap;
    uint64_t seed;

    struct bg_arena arena; /* buf | val_buf */
    uint8_t *buf;          /* the training chunk, or the whole stream */
    size_t buf_len;
    int streaming;         /* the training stream is larger than buf */
    uint8_t *val_buf;      /* the first val_len bytes of validation */
    size_t val_len;

    struct reader rd;              /* streams the training shards */
    struct stream_pos chunk_start; /* where the chunk in buf starts */
    struct stream_pos next_start;  /* where the next chunk will start */
    uint64_t per_chunk;            /* windows drawn before a refill */
    uint64_t drawn;                /* windows drawn from this chunk */
    struct bg_rng rng;             /* the batch windows */
};

/* ---- The training buffer ---- */

/* Reads the chunk that starts at `at`. The position ctx bytes before the
 * chunk's end is where the next chunk starts, noted on the way past. */
static int chunk_fill(struct bg_corpus *c, struct stream_pos at, struct bg_error *err)
{
    corpus_reader_seek(&c->rd, at);
    c->chunk_start = at;
    c->drawn = 0;
    int rc = corpus_reader_read(&c->rd, c->buf, c->buf_len - c->ctx, err);
    if (rc)
        return rc;
    c->next_start = c->rd.at;
    return corpus_reader_read(&c->rd, c->buf + c->buf_len - c->ctx, c->ctx, err);
}

/* Moves on to the next chunk: its first ctx bytes are the last ctx of the
 * current one, and the reader is already where the rest begins. */
static int chunk_refill(struct bg_corpus *c, struct bg_error *err)
{
    memmove(c->buf, c->buf + c->buf_len - c->ctx, c->ctx);
    c->chunk_start = c->next_start;
    c->drawn = 0;
    int rc = corpus_reader_read(&c->rd, c->buf + c->ctx, c->buf_len - 2 * c->ctx, err);
    if (rc)
        return rc;
    c->next_start = c->rd.at;
    return corpus_reader_read(&c->rd, c->buf + c->buf_len - c->ctx, c->ctx, err);
}

/* Sizes the buffers, allocates them in one arena, and fills them. */
static int load(struct bg_corpus *c, struct bg_error *err)
{
    c->streaming = c->split.train_bytes > c->buffer_cap;
    c->buf_len = c->streaming ? c->buffer_cap : (size_t)c->split.train_bytes;
    c->val_len = c->split.val_bytes < c->val_cap ? (size_t)c->split.val_bytes : c->val_cap;
    c->per_chunk = c->buf_len / (c->ctx + 1);
    int rc = arena_init(&c->arena, arena_round(c->buf_len) + arena_round(c->val_len), err);
    if (rc)
        return rc;
    c->buf = arena_carve(&c->arena, c->buf_len);
    c->val_buf = arena_carve(&c->arena, c->val_len);
    rng_seed(&c->rng, c->seed, BG_STREAM_WINDOWS);
    rc = corpus_read_prefix(c->fs.files, c->split.val, c->split.n_val, c->val_buf, c->val_len, err);
    if (rc)
        return rc;
    if (!c->streaming)
        return corpus_read_prefix(c->fs.files, c->split.train, c->split.n_train, c->buf, c->buf_len, err);
    c->rd = (struct reader){ .files = c->fs.files, .segs = c->split.train, .n_segs = c->split.n_train,
                             .seed = c->seed };
    c->rd.order = malloc(c->split.n_train * sizeof *c->rd.order);
    if (!c->rd.order)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory for the shard order");
    return chunk_fill(c, (struct stream_pos){ 0, 0, 0 }, err);
}

/* ---- Opening and closing ---- */

static int configure(struct bg_corpus *c, const char *path, const struct bg_corpus_options *opt,
                     struct bg_error *err)
{
    c->ctx = opt->ctx;
    c->buffer_cap = opt->buffer_bytes ? opt->buffer_bytes : BG_CORPUS_BUFFER_DEFAULT;
    c->val_cap = opt->val_max_bytes ? opt->val_max_bytes : BG_CORPUS_VAL_MAX;
    c->seed = opt->seed;
    c->path = strdup(path);
    if (!c->path)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory opening the corpus");
    if (c->ctx == 0)
        return bg_fail(err, BG_ERR_INPUT, "corpus ctx must be at least 1");
    /* Two windows per chunk at least, and a chunk longer than its overlap. */
    if (c->buffer_cap < 2 * (c->ctx + 1))
        return bg_fail(err, BG_ERR_INPUT, "corpus buffer of %zu bytes is too small for ctx %zu: "
                       "give at least %zu bytes", c->buffer_cap, c->ctx, 2 * (c->ctx + 1));
    if (c->val_cap < c->ctx + 1)
        return bg_fail(err, BG_ERR_INPUT, "validation bound of %zu bytes is too small for ctx %zu: "
                       "give at least %zu bytes", c->val_cap, c->ctx, c->ctx + 1);
    return BG_OK;
}

int corpus_open(struct bg_corpus **out, const char *path, const struct bg_corpus_options *opt,
                struct bg_error *err)
{
    *out = NULL;
    struct bg_corpus *c = calloc(1, sizeof *c);
    if (!c)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory opening the corpus");
    int rc = configure(c, path, opt, err);
    if (rc)
        goto out;
    rc = corpus_list_files(c->path, &c->fs, err);
    if (rc)
        goto out;
    for (size_t i = 0; i < c->fs.n_files && rc == BG_OK; i++)
        rc = corpus_scan_file(&c->fs.files[i], err);
    if (rc)
        goto out;
    rc = corpus_split(c->path, &c->fs, c->ctx, &c->split, err);
    if (rc)
        goto out;
    rc = load(c, err);
out:
    if (rc)
        corpus_close(c);
    else
        *out = c;
    return rc;
}

void corpus_close(struct bg_corpus *c)
{
    if (!c)
        return;
    corpus_reader_close(&c->rd);
    free(c->rd.order);
    arena_free(&c->arena);
    corpus_files_free(&c->fs);
    corpus_split_free(&c->split);
    free(c->path);
    free(c);
}

const uint8_t *corpus_val_text(const struct bg_corpus *c, size_t *n)
{
    *n = c->val_len;
    return c->val_buf;
}

const char *corpus_first_file(const struct bg_corpus *c)
{
    return c->fs.files[0].path; /* an open corpus has at least one file */
}

void corpus_get_info(const struct bg_corpus *c, struct bg_corpus_info *info)
{
    *info = (struct bg_corpus_info){
        .is_folder = c->fs.is_folder,
        .n_shards = c->fs.n_files,
        .n_train_shards = c->split.n_train,
        .n_val_shards = c->split.n_val,
        .train_bytes = c->split.train_bytes,
        .val_bytes = c->split.val_bytes,
        .buffer_bytes = c->buf_len,
        .val_kept_bytes = c->val_len,
    };
    /* The fingerprint chains every file's text CRC and length in shard
     * order: what the data position depends on, and nothing else (a
     * recompressed or moved corpus keeps it). */
    uLong fp = crc32(0L, Z_NULL, 0);
    for (size_t i = 0; i < c->fs.n_files; i++) {
        const struct corpus_file *f = &c->fs.files[i];
        unsigned char rec[12];
        for (int k = 0; k < 4; k++)
            rec[k] = (unsigned char)(f->crc >> (8 * k));
        for (int k = 0; k < 8; k++)
            rec[4 + k] = (unsigned char)(f->bytes >> (8 * k));
        fp = crc32(fp, rec, sizeof rec);
        info->compressed_bytes += f->disk;
        info->total_bytes += f->bytes;
    }
    info->fingerprint = (uint32_t)fp;
}

/* ---- Batches ---- */

int corpus_next_batch(struct bg_corpus *c, uint8_t *inputs, uint8_t *targets, size_t B, size_t T,
                      struct bg_error *err)
{
    if (T == 0 || T > c->ctx)
        return bg_fail(err, BG_ERR_INPUT, "batch window T=%zu must be between 1 and ctx=%zu",
                       T, c->ctx);
    for (size_t b = 0; b < B; b++) {
        if (c->streaming && c->drawn >= c->per_chunk) {
            int rc = chunk_refill(c, err);
            if (rc)
                return rc;
        }
        /* A window is T+1 bytes, so it may start anywhere up to len-T-1. */
        size_t start = (size_t)rng_range(&c->rng, c->buf_len - T);
        memcpy(inputs + b * T, c->buf + start, T);
        memcpy(targets + b * T, c->buf + start + 1, T);
        c->drawn++;
    }
    return BG_OK;
}

void corpus_val_batch(const struct bg_corpus *c, uint8_t *inputs, uint8_t *targets, size_t index,
                      size_t n_batches, size_t B, size_t T)
{
    uint64_t K = (uint64_t)n_batches * B;
    uint64_t span = c->val_len - T - 1, denom = K > 1 ? K - 1 : 1;
    for (size_t b = 0; b < B; b++) {
        uint64_t k = (uint64_t)index * B + b;
        size_t start = (size_t)(k * span / denom);
        memcpy(inputs + b * T, c->val_buf + start, T);
        memcpy(targets + b * T, c->val_buf + start + 1, T);
    }
}

/* ---- Position ---- */

void corpus_get_pos(const struct bg_corpus *c, struct bg_corpus_pos *pos)
{
    pos->epoch = c->chunk_start.epoch;
    pos->shard = c->chunk_start.shard;
    pos->offset = c->chunk_start.offset;
    pos->drawn = c->drawn;
    pos->rng = c->rng;
}

static int pos_mismatch(const struct bg_corpus *c, struct bg_error *err)
{
    return bg_fail(err, BG_ERR_INPUT, "saved data-loader position does not fit corpus %s; "
                   "was the corpus or its buffer size changed since it was saved?", c->path);
}

int corpus_set_pos(struct bg_corpus *c, const struct bg_corpus_pos *pos, struct bg_error *err)
{
    if ((pos->rng.inc & 1) == 0)
        return pos_mismatch(c, err);
    if (!c->streaming) {
        /* The whole stream is in memory: only the rng and count matter. */
        if (pos->epoch != 0 || pos->shard != 0 || pos->offset != 0)
            return pos_mismatch(c, err);
    } else {
        if (pos->shard >= c->split.n_train || pos->drawn > c->per_chunk)
            return pos_mismatch(c, err);
        struct stream_pos at = { pos->epoch, pos->shard, pos->offset };
        corpus_reader_seek(&c->rd, at);
        if (at.offset > corpus_reader_seg(&c->rd)->len)
            return pos_mismatch(c, err);
        int rc = chunk_fill(c, at, err);
        if (rc)
            return rc;
    }
    c->drawn = pos->drawn;
    c->rng = pos->rng;
    return BG_OK;
}

