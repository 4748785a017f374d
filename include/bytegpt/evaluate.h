/* evaluate: how well a model predicts a text, and what to compare it with.
 *
 * Three views of one question, "how many bits does each byte cost?":
 *
 *   - The eval rule (`bytegpt eval`, the README's "The eval rule"): the mean next-byte loss
 *     over the first N non-overlapping windows of ctx bytes from the start
 *     of a text. Window s has inputs bytes [s*ctx, (s+1)*ctx) and targets
 *     the same bytes shifted by one, so N windows read N*ctx + 1 bytes and
 *     score N*ctx of them. Nothing is random and nothing depends on the
 *     batch size, so another implementation can check the number.
 *
 *   - A prompt byte by byte (`bytegpt predict`): the probability the model
 *     gave each byte of the prompt given the bytes before it, and the
 *     distribution over the byte after the prompt.
 *
 *   - Baselines on the same bytes: the order-0 entropy (what a coder that
 *     knows only how often each byte occurs needs) and gzip -9 (deflate,
 *     which exploits repeated strings). A language model that has learned
 *     anything beats both.
 *
 * This module prints nothing; the CLI shows the numbers. */
#ifndef BYTEGPT_EVALUATE_H
#define BYTEGPT_EVALUATE_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/error.h"
#include "bytegpt/model.h"

/* ---- The eval rule ---- */

struct bg_eval_result {
    double nats;      /* mean next-byte loss over the scored bytes (nats per byte) */
    size_t windows;   /* N, the windows scored */
    size_t predicted; /* N * ctx, the bytes whose probability was scored */
    size_t bytes;     /* N * ctx + 1, the bytes of text the windows read */
};

/* How many windows of ctx bytes a text of n bytes holds under the eval
 * rule: floor((n - 1) / ctx), and 0 when n < ctx + 1. */
size_t evaluate_windows_fit(size_t n, size_t ctx);

/* Scores the first `windows` windows of text (n bytes) with the model's
 * ctx (windows 0: as many as fit), running them through the model in
 * batches of up to m->max_B. Fails (BG_ERR_INPUT) when the text is shorter
 * than ctx + 1 bytes or holds fewer windows than asked for. */
int evaluate_text(struct bg_model *m, const uint8_t *text, size_t n, size_t windows,
                  struct bg_eval_result *r, struct bg_error *err);

/* ---- A prompt, byte by byte ---- */

/* The context rule, the same one sampler_generate uses: the model reads
 * the boundary byte <doc> and then the prompt, as the start of a new
 * document, so that even the prompt's first byte has something to be
 * predicted from. Each byte is predicted from at most ctx bytes before it
 * (the last ctx bytes of <doc> + the bytes of the prompt before it), and
 * so is the byte after the prompt.
 *
 * surprisal (n) = -ln p(prompt[i] | what comes before it), in nats, or
 * NULL; next (V) = the probabilities of the byte after the prompt, or
 * NULL. n may be 0: then only next is filled, from <doc> alone. The
 * windows run in batches of up to m->max_B. Fails only when scratch
 * memory cannot be had (BG_ERR_RUNTIME). */
int evaluate_prompt(struct bg_model *m, const uint8_t *prompt, size_t n, float *surprisal, float *next,
                    struct bg_error *err);

/* The entropy of a distribution probs (V) in bits: -sum p log2 p, the
 * surprisal to expect from the next byte. 0 when the model is certain,
 * 8 when all 256 bytes are equally likely. */
double evaluate_entropy_bits(const float *probs, size_t V);

/* ---- Baselines ---- */

/* The order-0 entropy of text (n bytes) in bits per byte: -sum over byte
 * values of f log2 f, where f is the value's frequency in this very text.
 * (It is a bound for a coder that knows the frequencies in advance, so
 * it flatters the baseline a little.) 0 for n = 0. */
double evaluate_order0_bits(const uint8_t *text, size_t n);

/* gzip -9's cost of text (n >= 1 bytes) in bits per byte: 8 x the size of
 * zlib's compress2(..., 9) output / n. That is deflate at gzip's highest
 * level in a zlib frame (6 bytes of header and checksum; a .gz file's
 * frame is 18 or more). Fails when zlib runs out of memory. */
int evaluate_gzip_bits(const uint8_t *text, size_t n, double *bits, struct bg_error *err);

/* ---- Reading a text ---- */

/* Reads the file at path (plain text or gzip, through zlib's gzread) into
 * a new buffer *text of *n bytes, the caller frees it. max_bytes > 0 stops
 * after that many bytes. A file that cannot be opened, is corrupt or
 * truncated gzip, or holds a NUL byte (not text) fails with BG_ERR_INPUT
 * naming the file. An empty file is not an error here (*n = 0). */
int evaluate_read_text(const char *path, size_t max_bytes, uint8_t **text, size_t *n, struct bg_error *err);

#endif
