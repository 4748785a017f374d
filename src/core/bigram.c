/* bigram: see bigram.h. */
#include "bytegpt/bigram.h"

#include <string.h>

#include "bytegpt/model.h"

/* The previous byte of position t of a row: byte 0 at the window's start. */
static uint8_t previous(const uint8_t *row, size_t t)
{
    return t > 0 ? row[t - 1] : 0;
}

void bigram_forward(float *out, const uint8_t *inputs, const float *table, size_t B, size_t T, size_t C)
{
    /* Each position reads one row and writes its own output: independent. */
#pragma omp parallel for schedule(static)
    for (size_t bt = 0; bt < B * T; bt++) {
        const uint8_t *row = inputs + (bt / T) * T;
        const float *w = table + bigram_row(previous(row, bt % T), inputs[bt]) * C;
        float *o = out + bt * C;
        for (size_t c = 0; c < C; c++)
            o[c] += w[c];
    }
}

void bigram_forward_ref(float *out, const uint8_t *inputs, const float *table, size_t B, size_t T, size_t C)
{
    for (size_t b = 0; b < B; b++)
        for (size_t t = 0; t < T; t++) {
            size_t r = 256 * (size_t)(t > 0 ? inputs[b * T + t - 1] : 0) + inputs[b * T + t];
            for (size_t c = 0; c < C; c++)
                out[(b * T + t) * C + c] = (float)((double)out[(b * T + t) * C + c] + (double)table[r * C + c]);
        }
}

void bigram_backward(float *dtable, const float *dout, const uint8_t *inputs, size_t B, size_t T, size_t C)
{
    /* Several positions may share a row, so the sums run in position
     * order, on one thread: B*T*C additions, a fraction of a millisecond,
     * and the same bits for any thread count. */
    for (size_t bt = 0; bt < B * T; bt++) {
        const uint8_t *row = inputs + (bt / T) * T;
        float *g = dtable + bigram_row(previous(row, bt % T), inputs[bt]) * C;
        const float *d = dout + bt * C;
        for (size_t c = 0; c < C; c++)
            g[c] += d[c];
    }
}

void bigram_backward_ref(float *dtable, const float *dout, const uint8_t *inputs, size_t B, size_t T, size_t C)
{
    /* Row by row: each row's gradient is the sum, in double, of the
     * gradients of the positions that read it, rounded once. */
    for (size_t r = 0; r < BG_BIGRAM_ROWS; r++)
        for (size_t c = 0; c < C; c++) {
            double sum = dtable[r * C + c];
            int used = 0;
            for (size_t b = 0; b < B; b++)
                for (size_t t = 0; t < T; t++)
                    if (256 * (size_t)(t > 0 ? inputs[b * T + t - 1] : 0) + inputs[b * T + t] == r) {
                        sum += dout[(b * T + t) * C + c];
                        used = 1;
                    }
            if (used)
                dtable[r * C + c] = (float)sum;
        }
}

/* ---- The rows a step touched ---- */

size_t bigram_rows_bytes(void)
{
    return BG_BIGRAM_ROWS + BG_BIGRAM_ROWS * sizeof(uint32_t);
}

void bigram_rows_init(struct bg_bigram_rows *r, void *mem)
{
    r->list = mem;
    r->seen = (uint8_t *)mem + BG_BIGRAM_ROWS * sizeof(uint32_t);
    r->n = 0;
}

void bigram_rows_clear(struct bg_bigram_rows *r)
{
    for (size_t k = 0; k < r->n; k++)
        r->seen[r->list[k]] = 0;
    r->n = 0;
}

void bigram_rows_mark(struct bg_bigram_rows *r, const uint8_t *inputs, size_t B, size_t T)
{
    for (size_t bt = 0; bt < B * T; bt++) {
        size_t row = bigram_row(previous(inputs + (bt / T) * T, bt % T), inputs[bt]);
        if (!r->seen[row]) {
            r->seen[row] = 1;
            r->list[r->n++] = (uint32_t)row;
        }
    }
}

void bigram_rows_gather(const struct bg_bigram_rows *r, float *dtable, float *packed, size_t C)
{
#pragma omp parallel for schedule(static)
    for (size_t k = 0; k < r->n; k++) {
        float *g = dtable + (size_t)r->list[k] * C;
        memcpy(packed + k * C, g, C * sizeof(float));
        memset(g, 0, C * sizeof(float));
    }
}
