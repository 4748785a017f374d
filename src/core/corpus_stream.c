/* corpus_stream: reading a stream (a list of segments joined by NUL)
 * through zlib, keeping the current file open between reads. */
#include "corpus_stream.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "bytegpt/rng.h"
#include "bytegpt/tokenizer.h"

/* ---- Reading a stream ---- */

const struct segment *corpus_reader_seg(const struct reader *r)
{
    return &r->segs[r->order ? r->order[r->at.shard] : r->at.shard];
}

/* Fisher-Yates with a generator derived from (seed, epoch) alone, so an
 * epoch's order is recomputed, never stored, and a restart agrees. */
static void corpus_reader_shuffle(struct reader *r)
{
    if (!r->order)
        return;
    struct bg_rng g;
    rng_seed(&g, r->seed ^ (r->at.epoch * 0x9E3779B97F4A7C15ULL), BG_STREAM_ORDER);
    for (size_t i = 0; i < r->n_segs; i++)
        r->order[i] = i;
    for (size_t i = r->n_segs; i > 1; i--) {
        size_t j = (size_t)rng_range(&g, i);
        size_t t = r->order[i - 1];
        r->order[i - 1] = r->order[j];
        r->order[j] = t;
    }
}

void corpus_reader_close(struct reader *r)
{
    if (r->gz)
        gzclose(r->gz);
    r->gz = NULL;
}

void corpus_reader_seek(struct reader *r, struct stream_pos at)
{
    corpus_reader_close(r);
    r->at = at;
    corpus_reader_shuffle(r);
}

/* Opens the current segment's file at the current offset. gzseek skips
 * forward by decompressing, which is how a restart finds its place. */
static int corpus_reader_open(struct reader *r, struct bg_error *err)
{
    const struct segment *s = corpus_reader_seg(r);
    const char *path = r->files[s->file].path;
    r->gz = gzopen(path, "rb");
    if (!r->gz)
        return bg_fail(err, BG_ERR_INPUT, "cannot reopen corpus file %s: %s; was it moved "
                       "or deleted after the corpus was opened?", path, strerror(errno));
    gzbuffer(r->gz, TEXTFILE_GZ_BUFFER);
    z_off_t target = (z_off_t)(s->start + r->at.offset);
    if (target > 0 && gzseek(r->gz, target, SEEK_SET) != target) {
        corpus_reader_close(r);
        return bg_fail(err, BG_ERR_INPUT, "cannot seek to text byte %lld of corpus file %s; "
                       "was it changed after the corpus was opened?", (long long)target, path);
    }
    return BG_OK;
}

/* Steps past the NUL that ends a document, into the next one. */
static void corpus_reader_next_doc(struct reader *r)
{
    corpus_reader_close(r);
    r->at.offset = 0;
    if (++r->at.shard == r->n_segs) {
        r->at.shard = 0;
        r->at.epoch++;
        corpus_reader_shuffle(r);
    }
}

/* dst (n) = the next n bytes of the stream. */
int corpus_reader_read(struct reader *r, uint8_t *dst, size_t n, struct bg_error *err)
{
    while (n > 0) {
        const struct segment *s = corpus_reader_seg(r);
        if (r->at.offset == s->len) {
            *dst++ = BG_DOC_BOUNDARY;
            n--;
            corpus_reader_next_doc(r);
            continue;
        }
        int rc = r->gz ? BG_OK : corpus_reader_open(r, err);
        if (rc)
            return rc;
        uint64_t left = s->len - r->at.offset;
        unsigned want = (unsigned)(n < left ? n : left);
        if (want > (1u << 30))
            want = 1u << 30; /* gzread counts in int */
        int got = gzread(r->gz, dst, want);
        if (got != (int)want) {
            int zerr = Z_OK;
            const char *zmsg = gzerror(r->gz, &zerr);
            bg_fail(err, BG_ERR_INPUT, "corpus file %s changed after the corpus was opened: "
                    "read %d of %u bytes at text byte %" PRIu64 " (%s); restart training",
                    r->files[s->file].path, got, want, s->start + r->at.offset,
                    zerr != Z_OK ? textfile_zlib_message(zmsg, r->files[s->file].path) : "it is shorter");
            corpus_reader_close(r);
            return BG_ERR_INPUT;
        }
        dst += want;
        n -= want;
        r->at.offset += want;
    }
    return BG_OK;
}

/* dst (n) = the first n bytes of a stream read in listed order. */
int corpus_read_prefix(const struct corpus_file *files, const struct segment *segs, size_t n_segs,
                       uint8_t *dst, size_t n, struct bg_error *err)
{
    struct reader r = { .files = files, .segs = segs, .n_segs = n_segs };
    int rc = corpus_reader_read(&r, dst, n, err);
    corpus_reader_close(&r);
    return rc;
}

