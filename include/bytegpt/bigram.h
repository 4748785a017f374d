/* bigram: the byte-bigram embedding, a table with one row of C floats per
 * (previous byte, byte) pair, added to the token embedding at the input:
 *
 *   x[b,t] = wte[byte] (+ wpe[t]) + bigram[256 * previous byte + byte]
 *
 * The first position of a window has no previous byte in the window; it
 * takes byte 0, the document boundary, in training and sampling alike.
 *
 * The table is large (65,536 rows) and a step touches few of its rows (at
 * most one per position), so it is never swept whole in the step: the
 * step lists the rows its batches touch, its gradient travels packed (one
 * row per touched row, in the order first touched), and its Adam update
 * (adamw_update_rows) visits those rows alone. A row a step does not touch
 * keeps its value and its moments, as PyTorch's SparseAdam does. The
 * modded-nanogpt speedrun's record 62 used a hashed bigram table; with 256
 * bytes the table can be exact. */
#ifndef BYTEGPT_BIGRAM_H
#define BYTEGPT_BIGRAM_H

#include <stddef.h>
#include <stdint.h>

/* The table row of byte `cur` after byte `prev`. */
static inline size_t bigram_row(uint8_t prev, uint8_t cur)
{
    return (size_t)prev * 256 + cur;
}

/* out (B,T,C) += the table row of each position of inputs (B,T). */
void bigram_forward(float *out, const uint8_t *inputs, const float *table, size_t B, size_t T, size_t C);
void bigram_forward_ref(float *out, const uint8_t *inputs, const float *table, size_t B, size_t T, size_t C);

/* dtable += dout (B,T,C) summed into each position's row. */
void bigram_backward(float *dtable, const float *dout, const uint8_t *inputs, size_t B, size_t T, size_t C);
void bigram_backward_ref(float *dtable, const float *dout, const uint8_t *inputs, size_t B, size_t T, size_t C);

/* The rows a step touched, in the order first touched. */
struct bg_bigram_rows {
    uint8_t *seen;  /* 65,536 flags */
    uint32_t *list; /* the touched rows */
    size_t n;
};

/* The bytes the trainer carves for the row set (flags and list). */
size_t bigram_rows_bytes(void);

/* Points r at mem (bigram_rows_bytes() zeroed bytes): an empty set. */
void bigram_rows_init(struct bg_bigram_rows *r, void *mem);

/* Empties the set (touching only the rows it holds). */
void bigram_rows_clear(struct bg_bigram_rows *r);

/* Adds the rows of inputs (B,T). */
void bigram_rows_mark(struct bg_bigram_rows *r, const uint8_t *inputs, size_t B, size_t T);

/* packed (r->n, C) = the rows of dtable in the set, which are then set to
 * zero: the table's gradient is zero between steps, so that the next
 * step's backward can add into it without a sweep over the table. */
void bigram_rows_gather(const struct bg_bigram_rows *r, float *dtable, float *packed, size_t C);

#endif
