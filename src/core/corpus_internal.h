/* corpus_internal: what corpus.c, corpus_files.c and corpus_stream.c
 * share: the corpus' data structures and the steps each file provides.
 * Private to those three files; the public face is bytegpt/corpus.h. */
#ifndef BYTEGPT_CORPUS_INTERNAL_H
#define BYTEGPT_CORPUS_INTERNAL_H

#include <zlib.h>

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/arena.h"
#include "bytegpt/error.h"
#include "bytegpt/rng.h"

/* zlib's own read buffer, larger than its 8 KiB default: fewer system calls. */
#define GZ_BUFFER ((unsigned)1 << 17)

/* ---- Data structures ---- */

struct corpus_file {
    char *path;
    uint64_t bytes; /* text bytes, after decompression */
    uint64_t disk;  /* bytes on disk */
    uint32_t crc;   /* CRC32 of the text, for the corpus fingerprint */
};

/* One document of a stream: len bytes of a file's text from start. */
struct segment {
    size_t file;
    uint64_t start, len;
};

/* A place in a stream. offset == len of the segment means that the next
 * byte is the NUL after it; the position after that NUL is offset 0 of the
 * next segment, so every place has exactly one spelling. */
struct stream_pos {
    uint64_t epoch, shard, offset;
};

/* A reader streams a list of segments joined by NUL, keeping the current
 * file open between reads. With order set it shuffles the segments anew
 * each epoch and never ends; without, it reads them in the listed order. */
struct reader {
    const struct corpus_file *files;
    const struct segment *segs;
    size_t n_segs;
    size_t *order; /* n_segs: this epoch's order, or NULL */
    uint64_t seed;
    struct stream_pos at;
    gzFile gz; /* open on the current segment at at.offset, or NULL */
};

struct bg_corpus {
    char *path;
    int is_folder;
    struct corpus_file *files;
    size_t n_files;
    struct segment *train, *val; /* the two streams' documents */
    size_t n_train, n_val;
    uint64_t train_bytes, val_bytes; /* NUL joins included */

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


/* ---- corpus_files.c: finding, scanning and splitting the files ---- */

/* Lists c->path's files: itself, or a folder's shards in name order. */
int corpus_list_files(struct bg_corpus *c, struct bg_error *err);

/* Reads a whole file through zlib: its text size, its CRC, and whether it
 * is text (no NUL), not empty and undamaged. */
int corpus_scan_file(struct corpus_file *f, struct bg_error *err);

/* zlib's message without the "path: " it starts with, since our messages
 * name the file already. */
const char *corpus_zlib_message(const char *zmsg, const char *path);

/* Splits the files into the training and validation streams. */
int corpus_split(struct bg_corpus *c, struct bg_error *err);

/* ---- corpus_stream.c: reading a stream of segments joined by NUL ---- */

/* The segment the reader is in. */
const struct segment *corpus_reader_seg(const struct reader *r);
void corpus_reader_close(struct reader *r);
void corpus_reader_seek(struct reader *r, struct stream_pos at);
int corpus_reader_read(struct reader *r, uint8_t *dst, size_t n, struct bg_error *err);

/* Reads the first n bytes of a list of segments into dst. */
int corpus_read_prefix(const struct bg_corpus *c, const struct segment *segs, size_t n_segs, uint8_t *dst,
                       size_t n, struct bg_error *err);

#endif
