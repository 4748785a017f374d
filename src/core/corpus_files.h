/* corpus_files: finding a corpus' files, scanning each once, and
 * splitting them into the training and validation streams
 * (corpus_files.c). Each step takes what it needs and fills a struct of
 * its own, which corpus.c keeps. Private to the corpus' files. */
#ifndef BYTEGPT_CORPUS_FILES_H
#define BYTEGPT_CORPUS_FILES_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/error.h"
#include "corpus_stream.h"

/* A corpus' files: the path itself, or a folder's shards in name order. */
struct corpus_files {
    int is_folder;
    struct corpus_file *files;
    size_t n_files;
};

/* The two streams' documents, and their lengths with the NULs between. */
struct corpus_split {
    struct segment *train, *val;
    size_t n_train, n_val;
    uint64_t train_bytes, val_bytes;
};

/* Lists path's files into fs (zeroed first). On failure fs holds what was
 * listed so far, for corpus_files_free. */
int corpus_list_files(const char *path, struct corpus_files *fs, struct bg_error *err);
void corpus_files_free(struct corpus_files *fs);

/* Reads a whole file through zlib: its text size, its CRC, and whether it
 * is text (no NUL), not empty and undamaged. */
int corpus_scan_file(struct corpus_file *f, struct bg_error *err);

/* Splits the scanned files of the corpus at path into the training and
 * validation streams, each of which must hold a window of ctx+1 bytes. On
 * failure sp holds what was allocated so far, for corpus_split_free. */
int corpus_split(const char *path, const struct corpus_files *fs, size_t ctx, struct corpus_split *sp,
                 struct bg_error *err);
void corpus_split_free(struct corpus_split *sp);

#endif
