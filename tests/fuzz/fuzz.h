/* fuzz.h: what the fuzz targets share.
 *
 * Each target (tests/fuzz/fuzz_NAME.c) defines LLVMFuzzerTestOneInput,
 * which libFuzzer calls with one input at a time, or replay.c calls with
 * each kept input. The readers under test take paths, so a target writes
 * its input to a file in a scratch folder first, and reads it back through
 * exactly the function the program uses.
 *
 * A target must return 0, free everything it allocates (the leak checker
 * runs after each input) and abort() when an invariant it checks is
 * broken, so that libFuzzer keeps the input as a crash. */
#ifndef BYTEGPT_FUZZ_H
#define BYTEGPT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#define FUZZ_PATH_MAX 512

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Aborts with a message when cond is false: a finding, not a refusal. */
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))
void fuzz_fail(const char *file, int line, const char *what);

/* out = the path of name in this process's scratch folder, which is made
 * on first use (in /dev/shm when there is one, so that a file per input
 * costs no disk) and removed with what it holds when the process exits. */
void fuzz_path(char out[FUZZ_PATH_MAX], const char *name);

/* Writes data (n bytes) to path as it is, or gzip-compressed. */
void fuzz_write(const char *path, const void *data, size_t n);
void fuzz_write_gz(const char *path, const void *data, size_t n);

/* Makes the folder path (in the scratch folder) if needed and empties it. */
void fuzz_empty_dir(const char *path);

/* A NUL-terminated copy of the input (malloc'd), to read it as text. */
char *fuzz_text(const uint8_t *data, size_t size);

/* Cuts text in place at each sep into at most max parts (the last part
 * keeps the rest); returns how many. */
size_t fuzz_split(char *text, char sep, char **parts, size_t max);

#endif
