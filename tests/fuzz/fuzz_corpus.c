/* fuzz_corpus: the training corpus, through the calls training makes:
 * corpus_open on a file (plain text or gzip) or a folder of shards, then
 * training batches, validation batches, and a saved position restored.
 *
 * Input: a 9-byte header, then the text.
 *   byte 0   flags: 1 gzip the text (else write it as it is, which may
 *            itself be gzip), 2 a folder of shards (the text cut at each
 *            NUL into shards 00, 01, ...; at most 12), 4 a small training
 *            buffer (so that batches stream chunks), 8 a small
 *            validation bound
 *   byte 1   ctx - 1 (ctx 1..16)
 *   byte 2   the buffer's or the bound's size above their minimum
 *   bytes 3..8  a data-loader position to restore, as a checkpoint would
 *            hold it: epoch, shard, offset (2 bytes), drawn, and byte 8's
 *            low bit chooses whether the rng is the saved one or broken
 * Beyond "no crash": a refusal comes with a message; batches hold
 * windows of the corpus' bytes; and restoring a position saved by
 * corpus_get_pos continues the identical batch sequence. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/corpus.h"
#include "fuzz.h"

#define HEADER 9
#define MAX_SHARDS 12
#define B 2
#define MAX_CTX 16

/* Writes the text as one file or as a folder of shards; returns the path
 * to open in path. */
static void write_corpus(const uint8_t *h, const uint8_t *text, size_t n, char path[FUZZ_PATH_MAX])
{
    void (*put)(const char *, const void *, size_t) = h[0] & 1 ? fuzz_write_gz : fuzz_write;
    if (!(h[0] & 2)) {
        fuzz_path(path, "corpus.txt");
        put(path, text, n);
        return;
    }
    fuzz_path(path, "shards");
    fuzz_empty_dir(path);
    size_t start = 0;
    for (int i = 0; i < MAX_SHARDS && start <= n; i++) {
        const uint8_t *nul = memchr(text + start, 0, n - start);
        size_t end = nul && i < MAX_SHARDS - 1 ? (size_t)(nul - text) : n;
        char shard[FUZZ_PATH_MAX + 8];
        snprintf(shard, sizeof shard, "%s/%02d", path, i);
        put(shard, text + start, end - start);
        start = end + 1;
    }
}

/* Draws one training batch and checks that each row's target is its
 * input shifted by one. */
static int draw(struct bg_corpus *c, uint8_t *in, uint8_t *tgt, size_t T)
{
    struct bg_error err = {0};
    int rc = corpus_next_batch(c, in, tgt, B, T, &err);
    if (rc != BG_OK) {
        FUZZ_CHECK(err.msg[0] != '\0');
        return rc;
    }
    for (size_t b = 0; b < B; b++)
        FUZZ_CHECK(memcmp(in + b * T + 1, tgt + b * T, T - 1) == 0);
    return BG_OK;
}

/* Saves the position, draws, restores, draws again: the same batch. */
static void check_restore(struct bg_corpus *c, size_t ctx)
{
    uint8_t in1[B * MAX_CTX], tgt1[B * MAX_CTX], in2[B * MAX_CTX], tgt2[B * MAX_CTX];
    struct bg_corpus_pos pos;
    struct bg_error err = {0};
    corpus_get_pos(c, &pos);
    if (draw(c, in1, tgt1, ctx) != BG_OK)
        return;
    FUZZ_CHECK(corpus_set_pos(c, &pos, &err) == BG_OK);
    FUZZ_CHECK(draw(c, in2, tgt2, ctx) == BG_OK);
    FUZZ_CHECK(memcmp(in1, in2, B * ctx) == 0 && memcmp(tgt1, tgt2, B * ctx) == 0);
}

/* Restores a position from the header's bytes, as a damaged or foreign
 * checkpoint could hold it; afterwards only batches are drawn. */
static void restore_foreign(struct bg_corpus *c, const uint8_t *h, size_t ctx)
{
    struct bg_corpus_pos pos;
    corpus_get_pos(c, &pos);
    pos.epoch = h[3];
    pos.shard = h[4];
    pos.offset = (uint64_t)h[5] | (uint64_t)h[6] << 8;
    pos.drawn = h[7];
    if (h[8] & 1)
        pos.rng.inc ^= 1; /* even: no generator saves that */
    struct bg_error err = {0};
    if (corpus_set_pos(c, &pos, &err) != BG_OK) {
        FUZZ_CHECK(err.msg[0] != '\0');
        return;
    }
    uint8_t in[B * MAX_CTX], tgt[B * MAX_CTX];
    draw(c, in, tgt, ctx);
}

static void use_corpus(struct bg_corpus *c, const uint8_t *h, size_t ctx)
{
    uint8_t in[B * MAX_CTX], tgt[B * MAX_CTX];
    struct bg_corpus_info info;
    corpus_get_info(c, &info);
    FUZZ_CHECK(info.train_bytes >= ctx + 1 && info.val_kept_bytes >= ctx + 1);
    for (int i = 0; i < 3; i++)
        if (draw(c, in, tgt, ctx) != BG_OK || draw(c, in, tgt, 1) != BG_OK)
            return;
    for (size_t i = 0; i < 3; i++)
        corpus_val_batch(c, in, tgt, i, 3, B, ctx);
    check_restore(c, ctx);
    restore_foreign(c, h, ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < HEADER)
        return 0;
    const uint8_t *h = data;
    size_t ctx = 1 + h[1] % MAX_CTX;
    struct bg_corpus_options opt = {
        .ctx = ctx,
        /* Bounds far below the defaults keep each input fast; the flags
         * shrink them to their minimum, where the chunks turn over. */
        .buffer_bytes = h[0] & 4 ? 2 * (ctx + 1) + h[2] : (size_t)1 << 20,
        .val_max_bytes = h[0] & 8 ? ctx + 1 + h[2] : (size_t)1 << 16,
        .seed = h[3],
    };
    char path[FUZZ_PATH_MAX];
    write_corpus(h, data + HEADER, size - HEADER, path);
    struct bg_corpus *c = NULL;
    struct bg_error err = {0};
    if (corpus_open(&c, path, &opt, &err) != BG_OK) {
        FUZZ_CHECK(c == NULL && err.msg[0] != '\0');
        return 0;
    }
    use_corpus(c, h, ctx);
    corpus_close(c);
    return 0;
}
