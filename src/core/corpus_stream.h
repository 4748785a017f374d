/* corpus_stream: a corpus' files and the streams read from them
 * (corpus_stream.c). A stream is a list of segments, each a document,
 * read one after the other with a NUL between neighbours. Private to
 * the corpus' files; the public face is bytegpt/corpus.h. */
#ifndef BYTEGPT_CORPUS_STREAM_H
#define BYTEGPT_CORPUS_STREAM_H

#include <zlib.h>

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/error.h"
#include "bytegpt/textfile.h"

/* One file of a corpus, as the scan found it. */
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

/* The segment the reader is in. */
const struct segment *corpus_reader_seg(const struct reader *r);
void corpus_reader_close(struct reader *r);
void corpus_reader_seek(struct reader *r, struct stream_pos at);
int corpus_reader_read(struct reader *r, uint8_t *dst, size_t n, struct bg_error *err);

/* Reads the first n bytes of a list of segments of files into dst. */
int corpus_read_prefix(const struct corpus_file *files, const struct segment *segs, size_t n_segs, uint8_t *dst,
                       size_t n, struct bg_error *err);

#endif
