/* textfile: reading a file of text through zlib, whose gzread reads plain
 * and gzip-compressed files alike, and refusing what is not text. Text
 * never holds the byte 0x00 (NUL), which the corpus uses as its document
 * boundary, so a file that holds one is refused as not text. The corpus'
 * scan and `eval --text` both read through here, so that a damaged or
 * binary file gets the same one-line error from either. */
#ifndef BYTEGPT_TEXTFILE_H
#define BYTEGPT_TEXTFILE_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/error.h"

/* zlib's read buffer for every text file, larger than its 8 KiB default:
 * fewer system calls. */
#define TEXTFILE_GZ_BUFFER ((unsigned)1 << 17)

/* An open text file. The messages call it "<what> <path>", for example
 * "corpus file corpus/a.txt.gz", so that the user knows which file of
 * which input is meant. */
struct textfile {
    struct gzFile_s *gz; /* zlib's gzFile */
    const char *what, *path;
    uint64_t n;      /* text bytes read so far */
    uint64_t nul_at; /* offset of the first NUL read, or UINT64_MAX */
};

/* Opens path for reading; what and path must outlive t. */
int textfile_open(struct textfile *t, const char *what, const char *path, struct bg_error *err);

/* Reads up to n bytes (at most 1 GiB, as gzread counts in int) into buf
 * and returns how many it read: 0 at the end or when zlib failed, which
 * textfile_check tells apart. */
size_t textfile_read(struct textfile *t, void *buf, size_t n);

/* Whether what was read so far is undamaged text: fails with BG_ERR_INPUT
 * when zlib failed (corrupt or truncated gzip, with zlib's message and
 * where) or when a NUL byte was read. A NUL is reported only when zlib
 * found nothing wrong, since a damaged stream decompresses to garbage that
 * may hold NULs, and the damage is then the real story. Call it before
 * textfile_close, which frees zlib's message. */
int textfile_check(const struct textfile *t, struct bg_error *err);

void textfile_close(struct textfile *t);

/* zlib's message without the "path: " it starts with, since our messages
 * name the file already. */
const char *textfile_zlib_message(const char *zmsg, const char *path);

#endif
