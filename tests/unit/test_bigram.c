/* bigram: the byte-bigram embedding's kernels equal their twins, the row
 * set lists each touched row once, the sparse Adam update equals the dense
 * one on the touched rows and leaves the others alone, and a training step
 * keeps the table's gradient at zero between steps. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/adamw.h"
#include "bytegpt/bigram.h"
#include "bytegpt/corpus.h"
#include "bytegpt/settings.h"
#include "bytegpt/train.h"
#include "gradcheck.h"
#include "test.h"

#define B 3  /* rows */
#define T 17 /* positions */
#define W 12 /* channels */

/* Bytes from a small alphabet, so that rows repeat within the batch. */
static void fill_bytes(uint8_t *x, size_t n, struct bg_rng *r)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (uint8_t)("abcab c"[rng_range(r, 7)]);
}

static void test_forward(void)
{
    struct bg_rng r;
    rng_seed(&r, 1, 0);
    uint8_t in[B * T];
    fill_bytes(in, B * T, &r);
    float *table = fbuf(BG_BIGRAM_ROWS * W), *a = fbuf(B * T * W), *b = fbuf(B * T * W);
    fill_uniform(table, BG_BIGRAM_ROWS * W, &r, -1, 1);
    fill_uniform(a, B * T * W, &r, -1, 1);
    memcpy(b, a, B * T * W * sizeof(float));
    float first = a[T * W], second = a[(T + 1) * W];
    bigram_forward(a, in, table, B, T, W);
    bigram_forward_ref(b, in, table, B, T, W);
    /* One correctly rounded addition per element, in both. */
    check_same("forward against its twin", a, b, B * T * W);
    /* Position 0 of a row reads the row of (byte 0, its byte); position 1
     * that of (byte 0's byte, its byte). */
    CHECK(a[T * W] == first + table[bigram_row(0, in[T]) * W]);
    CHECK(a[(T + 1) * W] == second + table[bigram_row(in[T], in[T + 1]) * W]);
    free(table);
    free(a);
    free(b);
}

static void test_backward(void)
{
    struct bg_rng r;
    rng_seed(&r, 2, 0);
    uint8_t in[B * T];
    fill_bytes(in, B * T, &r);
    float *dout = fbuf(B * T * W), *a = fbuf(BG_BIGRAM_ROWS * W), *b = fbuf(BG_BIGRAM_ROWS * W);
    fill_uniform(dout, B * T * W, &r, -1, 1);
    a[bigram_row('a', 'b') * W] = b[bigram_row('a', 'b') * W] = 0.5f; /* an earlier value is added to */
    bigram_backward(a, dout, in, B, T, W);
    bigram_backward_ref(b, dout, in, B, T, W);
    /* The fast sum of k terms (and the value before) in float is within
     * gamma(k) of the sum of magnitudes; the twin's within u of its value. */
    double *tol = dbuf(BG_BIGRAM_ROWS * W), *mag = dbuf(BG_BIGRAM_ROWS * W);
    size_t *count = calloc(BG_BIGRAM_ROWS, sizeof(size_t));
    for (size_t i = 0; i < BG_BIGRAM_ROWS * W; i++)
        mag[i] = fabs(i == bigram_row('a', 'b') * W ? 0.5 : 0.0);
    for (size_t bt = 0; bt < B * T; bt++) {
        size_t row = bigram_row(bt % T ? in[bt - 1] : 0, in[bt]);
        count[row]++;
        for (size_t c = 0; c < W; c++)
            mag[row * W + c] += fabs(dout[bt * W + c]);
    }
    size_t used = 0;
    for (size_t row = 0; row < BG_BIGRAM_ROWS; row++) {
        used += count[row] > 0;
        for (size_t c = 0; c < W; c++)
            tol[row * W + c] = gam((double)count[row] + 1) * mag[row * W + c] + U32 * fabs(b[row * W + c]);
    }
    check_close("backward against its twin", a, b, tol, BG_BIGRAM_ROWS * W);
    CHECK(used > 3 && used < B * T); /* rows were shared, and some rows untouched */
    free(dout);
    free(a);
    free(b);
    free(tol);
    free(mag);
    free(count);
}

/* The set lists each row once, in the order first touched, and clearing
 * empties it for the next step. Gathering moves the rows' gradients out
 * and leaves zeros. */
static void test_rows(void)
{
    void *mem = calloc(1, bigram_rows_bytes());
    struct bg_bigram_rows s;
    bigram_rows_init(&s, mem);
    const uint8_t in[2 * 4] = {'a', 'b', 'a', 'b', 'b', 'a', 'b', 'a'};
    bigram_rows_mark(&s, in, 2, 4);
    /* (0,a) (a,b) (b,a) then (0,b) from the second row. */
    uint32_t want[4] = {(uint32_t)bigram_row(0, 'a'), (uint32_t)bigram_row('a', 'b'), (uint32_t)bigram_row('b', 'a'),
                        (uint32_t)bigram_row(0, 'b')};
    CHECK(s.n == 4 && memcmp(s.list, want, sizeof want) == 0);
    float *table = fbuf(BG_BIGRAM_ROWS * 2), packed[8];
    for (size_t k = 0; k < 4; k++) {
        table[want[k] * 2] = (float)k + 1;
        table[want[k] * 2 + 1] = -(float)k - 1;
    }
    bigram_rows_gather(&s, table, packed, 2);
    const float packed_want[8] = {1, -1, 2, -2, 3, -3, 4, -4};
    CHECK(memcmp(packed, packed_want, sizeof packed) == 0);
    int zero = 1;
    for (size_t i = 0; i < BG_BIGRAM_ROWS * 2; i++)
        zero &= table[i] == 0.0f;
    CHECK(zero);
    bigram_rows_clear(&s);
    CHECK(s.n == 0);
    bigram_rows_mark(&s, in, 1, 2);
    CHECK(s.n == 2 && s.list[0] == want[0] && s.list[1] == want[1]);
    free(table);
    free(mem);
}

/* The sparse update of the touched rows equals the dense AdamW update of
 * the whole table, with zero gradient elsewhere, on those rows, bit for
 * bit; the other rows keep their values and moments. */
static void test_sparse_update(void)
{
    struct bg_config cfg = {.L = 1, .NH = 1, .C = 4, .ctx = 4, .V = 256, .bigram = 1};
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(&cfg, t);
    const struct bg_tensor *tab = &t[BG_TENSOR_BIGRAM];
    CHECK(tab->rows == BG_BIGRAM_ROWS && tab->cols == 4 && !tab->decay);
    size_t n = tab->offset + tab->size;
    float *p = fbuf(n), *m = fbuf(n), *v = fbuf(n), *p2 = fbuf(n), *m2 = fbuf(n), *v2 = fbuf(n), *g = fbuf(n);
    struct bg_rng r;
    rng_seed(&r, 3, 0);
    fill_uniform(p, n, &r, -1, 1);
    fill_uniform(m, n, &r, -0.1f, 0.1f);
    fill_uniform(v, n, &r, 0, 0.01f);
    memcpy(p2, p, n * sizeof(float));
    memcpy(m2, m, n * sizeof(float));
    memcpy(v2, v, n * sizeof(float));
    float *p0 = fbuf(n), *m0 = fbuf(n), *v0 = fbuf(n);
    memcpy(p0, p, n * sizeof(float));
    memcpy(m0, m, n * sizeof(float));
    memcpy(v0, v, n * sizeof(float));
    const uint32_t rows[3] = {70, 3, 65535};
    float packed[12];
    fill_uniform(packed, 12, &r, -1, 1);
    for (int k = 0; k < 3; k++)
        memcpy(g + tab->offset + rows[k] * 4, packed + 4 * k, 4 * sizeof(float));
    struct bg_adamw opt = {0.9f, 0.95f, 1e-8f, 0.1f};
    adamw_update_rows(&opt, tab, rows, 3, p, packed, m, v, 1e-2f, 7);
    /* The dense reference: the table alone as a plain tensor. */
    struct bg_tensor only[BG_N_TENSORS];
    memset(only, 0, sizeof only);
    only[0] = *tab;
    adamw_update(&opt, only, p2, g, m2, v2, 1e-2f, 7);
    int same = 1, kept = 1, dense_moved = 0;
    for (size_t row = 0; row < BG_BIGRAM_ROWS; row++) {
        int touched = row == 70 || row == 3 || row == 65535;
        size_t o = tab->offset + row * 4;
        for (size_t c = 0; c < 4; c++)
            if (touched) {
                same &= p[o + c] == p2[o + c] && m[o + c] == m2[o + c] && v[o + c] == v2[o + c];
            } else {
                kept &= p[o + c] == p0[o + c] && m[o + c] == m0[o + c] && v[o + c] == v0[o + c];
                dense_moved |= p2[o + c] != p0[o + c];
            }
    }
    CHECK(same);
    CHECK(kept);
    CHECK(dense_moved); /* momentum moves untouched rows in a dense pass: the two differ there */
    /* The trainer's view of the layout leaves the table to
     * adamw_update_rows: adamw_update through it does not touch it, under
     * either optimiser, while it still updates the dense tensors. */
    for (int optim = BG_OPT_ADAMW; optim <= BG_OPT_MUON; optim++) {
        struct bg_tensor view[BG_N_TENSORS];
        trainer_adamw_view(optim, t, view);
        CHECK(view[BG_TENSOR_BIGRAM].size == 0 && view[0].size == t[0].size);
        float before = p[tab->offset], wte_before = p[0];
        g[0] = 1.0f;
        adamw_update(&opt, view, p, g, m, v, 1e-2f, 8);
        CHECK(p[tab->offset] == before && p[0] != wte_before);
    }
    free(p);
    free(m);
    free(v);
    free(p2);
    free(m2);
    free(v2);
    free(g);
    free(p0);
    free(m0);
    free(v0);
}

/* A tiny run with the table: the table's gradient is zero after every
 * step (the rows gathered and cleared), rows no batch used stay at their
 * zero start, the rows used moved, and the loss falls. */
static void test_training(void)
{
    char dir[] = "/tmp/bg_bigram_XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/text.txt", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 3000; i++)
        fputs(i % 3 ? "the whale and the sea " : "a ship on the deep ", f);
    fclose(f);
    struct bg_train_config cfg;
    struct bg_error err;
    settings_preset("tiny", &cfg, &err);
    cfg.model.bigram = 1;
    struct bg_corpus *c = NULL;
    struct bg_corpus_options opt = {.ctx = cfg.model.ctx, .seed = 1};
    CHECK(corpus_open(&c, path, &opt, &err) == BG_OK);
    struct bg_trainer t;
    CHECK(trainer_init(&t, &cfg, c, 0, 1, &err) == BG_OK);
    struct bg_rng init;
    rng_seed(&init, 1, BG_STREAM_INIT);
    model_init_weights(&t.model, &init);
    struct bg_step_result first, last;
    int grads_zero = 1;
    for (int i = 0; i < 60; i++) {
        CHECK(trainer_step(&t, 3e-3, cfg.muon_lr, i ? &last : &first, &err) == BG_OK);
        for (size_t k = 0; k < BG_BIGRAM_ROWS * cfg.model.C; k++)
            grads_zero &= t.model.g.bigram[k] == 0.0f;
    }
    CHECK(grads_zero);
    CHECK(last.loss < first.loss - 1.0);
    size_t moved = 0, untouched_zero = 1;
    for (size_t row = 0; row < BG_BIGRAM_ROWS; row++) {
        int any = 0;
        for (size_t k = 0; k < cfg.model.C; k++)
            any |= t.model.p.bigram[row * cfg.model.C + k] != 0.0f;
        moved += any;
        /* 'z' never follows anything in this text. */
        if ((row & 255) == 'z')
            untouched_zero &= !any;
    }
    printf("  loss %.3f -> %.3f; %zu rows of the table moved\n", first.loss, last.loss, moved);
    CHECK(moved >= 10 && moved < 100 && untouched_zero);
    trainer_free(&t);
    corpus_close(c);
    remove(path);
    rmdir(dir);
}

int main(void)
{
    RUN_TEST(test_forward);
    RUN_TEST(test_backward);
    RUN_TEST(test_rows);
    RUN_TEST(test_sparse_update);
    RUN_TEST(test_training);
    return TEST_EXIT();
}
