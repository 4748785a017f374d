/* evaluate and sampler: the eval rule against the model's own forward pass
 * window by window, per-byte surprisals against the prompt's loss and a
 * context computed here, the baselines against their definitions, and
 * the sampler's seeds, greedy chain and top-k against the model. The
 * model is a tiny one with GPT-2's random init: no training is needed to
 * check that the bookkeeping around the forward pass is right. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "bytegpt/evaluate.h"
#include "bytegpt/model.h"
#include "bytegpt/rng.h"
#include "bytegpt/sampler.h"
#include "bytegpt/tokenizer.h"
#include "test.h"

/* A loss is a float near ln 256 = 5.5, whose rounding is about 5e-7;
 * batches of different sizes may round the matmuls differently (the BLAS
 * blocks rows differently), a few units of that. Means of such losses
 * are summed in double, which adds nothing visible. */
#define LOSS_TOL 1e-5
/* Probabilities are floats near 1/256; their sum over 256 bytes collects
 * at most 256 roundings of 2^-24 relative each, about 1e-7 in all. */
#define PROB_SUM_TOL 1e-5

#define CTX 8
#define MAX_B 3

/* A model with ctx 8 and batches of up to 3, so that the eval rule's last
 * batch is a short one and prompts slide past the context. */
static int make_model(struct bg_model *m, uint64_t seed)
{
    struct bg_config cfg = {.L = 2, .NH = 2, .C = 16, .ctx = CTX, .V = BG_VOCAB};
    struct bg_error err;
    if (model_init(m, &cfg, MAX_B, &err) != BG_OK) {
        printf("  model_init: %s\n", err.msg);
        return 0;
    }
    struct bg_rng rng;
    rng_seed(&rng, seed, 1);
    model_init_weights(m, &rng);
    return 1;
}

/* Deterministic text-like bytes: letters and spaces. */
static void make_text(uint8_t *text, size_t n, uint64_t seed)
{
    struct bg_rng rng;
    rng_seed(&rng, seed, 7);
    for (size_t i = 0; i < n; i++)
        text[i] = rng_range(&rng, 5) == 0 ? ' ' : (uint8_t)('a' + rng_range(&rng, 26));
}

/* probs (V) = the model's distribution after the last ctx bytes of text
 * (len >= 1 bytes), computed here with a forward pass of our own. The
 * targets are only there so that the pass computes losses too; the
 * probabilities do not depend on them. */
static void next_probs(struct bg_model *m, const uint8_t *text, size_t len, float *probs)
{
    size_t T = len < CTX ? len : CTX;
    const uint8_t *w = text + (len - T);
    uint8_t targets[CTX] = {0};
    memcpy(targets, w + 1, T - 1);
    model_forward(m, w, targets, 1, T);
    memcpy(probs, model_probs(m, 0, T - 1), BG_VOCAB * sizeof(float));
}

/* The loss of text[i] given the at most ctx bytes before it (i >= 1). */
static double byte_loss(struct bg_model *m, const uint8_t *text, size_t i)
{
    size_t T = i < CTX ? i : CTX, start = i - T;
    model_forward(m, text + start, text + start + 1, 1, T);
    return m->a.losses[T - 1];
}

static size_t argmax(const float *p)
{
    size_t best = 0;
    for (size_t i = 1; i < BG_VOCAB; i++)
        if (p[i] > p[best])
            best = i;
    return best;
}

/* ---- The eval rule ---- */

static void test_windows_fit(void)
{
    CHECK(evaluate_windows_fit(0, CTX) == 0);
    CHECK(evaluate_windows_fit(CTX, CTX) == 0);
    CHECK(evaluate_windows_fit(CTX + 1, CTX) == 1);
    CHECK(evaluate_windows_fit(2 * CTX, CTX) == 1);
    CHECK(evaluate_windows_fit(2 * CTX + 1, CTX) == 2);
}

static void test_eval_equals_mean_of_window_losses(void)
{
    struct bg_model m;
    if (!make_model(&m, 11))
        return;
    /* 7 windows of 8 read 57 bytes; 60 leaves three over, unused. With
     * batches of up to 3 that is 3 + 3 + 1 windows. */
    uint8_t text[60];
    make_text(text, sizeof text, 1);
    struct bg_eval_result r;
    struct bg_error err;
    CHECK(evaluate_text(&m, text, sizeof text, 0, &r, &err) == BG_OK);
    CHECK(r.windows == 7 && r.predicted == 56 && r.bytes == 57);
    double sum = 0.0, sum3 = 0.0;
    for (size_t s = 0; s < 7; s++) {
        double loss = model_forward(&m, text + s * CTX, text + s * CTX + 1, 1, CTX);
        sum += loss;
        if (s < 3)
            sum3 += loss;
    }
    CHECK_NEAR(r.nats, sum / 7, LOSS_TOL);
    /* --windows 3 scores the first three only. */
    CHECK(evaluate_text(&m, text, sizeof text, 3, &r, &err) == BG_OK);
    CHECK(r.windows == 3 && r.predicted == 24 && r.bytes == 25);
    CHECK_NEAR(r.nats, sum3 / 3, LOSS_TOL);
    /* A fresh model knows nothing: about ln 256 per byte. */
    CHECK(fabs(r.nats - log(256.0)) < 0.1);
    model_free(&m);
}

static void test_eval_refuses_short_text_and_too_many_windows(void)
{
    struct bg_model m;
    if (!make_model(&m, 11))
        return;
    uint8_t text[2 * CTX + 1];
    make_text(text, sizeof text, 2);
    struct bg_eval_result r;
    struct bg_error err;
    CHECK(evaluate_text(&m, text, CTX, 0, &r, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "ctx + 1") != NULL);
    CHECK(evaluate_text(&m, text, CTX + 1, 0, &r, &err) == BG_OK && r.windows == 1);
    CHECK(evaluate_text(&m, text, sizeof text, 3, &r, &err) == BG_ERR_INPUT);
    CHECK(evaluate_text(&m, text, sizeof text, 2, &r, &err) == BG_OK && r.windows == 2);
    model_free(&m);
}

/* ---- A prompt, byte by byte ---- */

static void test_surprisals_add_up_to_the_prompt_loss(void)
{
    struct bg_model m;
    if (!make_model(&m, 12))
        return;
    /* x = <doc> + 7 prompt bytes fits the context of 8: one forward with
     * inputs x[0..7) and targets x[1..8) is the prompt's loss. */
    uint8_t x[CTX];
    x[0] = BG_DOC_BOUNDARY;
    make_text(x + 1, CTX - 1, 3);
    float surprisal[CTX - 1], next[BG_VOCAB];
    struct bg_error err;
    CHECK(evaluate_prompt(&m, x + 1, CTX - 1, surprisal, next, &err) == BG_OK);
    double loss = model_forward(&m, x, x + 1, 1, CTX - 1), sum = 0.0;
    for (size_t i = 0; i < CTX - 1; i++)
        sum += surprisal[i];
    CHECK_NEAR(sum, loss * (CTX - 1), (CTX - 1) * LOSS_TOL);
    model_free(&m);
}

static void test_long_prompt_slides_the_context(void)
{
    struct bg_model m;
    if (!make_model(&m, 13))
        return;
    /* 20 bytes with ctx 8: every byte from the 8th on is predicted from
     * exactly the 8 bytes before it, the first ones from <doc> on. */
    enum { N = 20 };
    uint8_t x[N + 1];
    x[0] = BG_DOC_BOUNDARY;
    make_text(x + 1, N, 4);
    float surprisal[N], next[BG_VOCAB], expect[BG_VOCAB];
    struct bg_error err;
    CHECK(evaluate_prompt(&m, x + 1, N, surprisal, next, &err) == BG_OK);
    int all_near = 1;
    for (size_t i = 0; i < N; i++)
        all_near &= fabs(surprisal[i] - byte_loss(&m, x, i + 1)) <= LOSS_TOL;
    CHECK(all_near);
    next_probs(&m, x, N + 1, expect);
    double maxdiff = 0.0;
    for (size_t v = 0; v < BG_VOCAB; v++)
        maxdiff = fmax(maxdiff, fabs(next[v] - expect[v]));
    CHECK(maxdiff < 1e-6);
    model_free(&m);
}

static void test_next_byte_distribution(void)
{
    struct bg_model m;
    if (!make_model(&m, 14))
        return;
    const char *prompt = "the whale";
    float next[BG_VOCAB];
    struct bg_error err;
    CHECK(evaluate_prompt(&m, (const uint8_t *)prompt, strlen(prompt), NULL, next, &err) == BG_OK);
    double sum = 0.0;
    for (size_t v = 0; v < BG_VOCAB; v++)
        sum += next[v];
    CHECK_NEAR(sum, 1.0, PROB_SUM_TOL);
    /* The top-k list: most likely first, never increasing, no repeats. */
    uint8_t idx[10];
    sampler_top_k(next, 10, idx);
    CHECK(idx[0] == argmax(next));
    int sorted = 1, distinct = 1;
    for (size_t r = 1; r < 10; r++) {
        sorted &= next[idx[r]] <= next[idx[r - 1]];
        for (size_t q = 0; q < r; q++)
            distinct &= idx[q] != idx[r];
    }
    CHECK(sorted && distinct);
    /* An empty prompt is <doc> alone, and still a distribution. */
    CHECK(evaluate_prompt(&m, NULL, 0, NULL, next, &err) == BG_OK);
    sum = 0.0;
    for (size_t v = 0; v < BG_VOCAB; v++)
        sum += next[v];
    CHECK_NEAR(sum, 1.0, PROB_SUM_TOL);
    model_free(&m);
}

static void test_distribution_entropy(void)
{
    float p[BG_VOCAB];
    for (size_t v = 0; v < BG_VOCAB; v++)
        p[v] = 1.0f / BG_VOCAB;
    CHECK_NEAR(evaluate_entropy_bits(p, BG_VOCAB), 8.0, 1e-5);
    memset(p, 0, sizeof p);
    p['e'] = 1.0f;
    CHECK_NEAR(evaluate_entropy_bits(p, BG_VOCAB), 0.0, 0);
    p['e'] = p['a'] = 0.5f;
    CHECK_NEAR(evaluate_entropy_bits(p, BG_VOCAB), 1.0, 1e-12);
}

/* ---- Baselines ---- */

static void test_order0_entropy(void)
{
    uint8_t text[4 * BG_VOCAB];
    memset(text, 'a', sizeof text);
    CHECK_NEAR(evaluate_order0_bits(text, sizeof text), 0.0, 0);
    /* Every byte value four times, in a scrambled order (order-0 does not
     * care): exactly 8 bits. */
    for (size_t i = 0; i < sizeof text; i++)
        text[i] = (uint8_t)((i * 37) % BG_VOCAB);
    CHECK_NEAR(evaluate_order0_bits(text, sizeof text), 8.0, 1e-12);
    /* Two values equally often: one bit. */
    const uint8_t ab[] = "abbaabab";
    CHECK_NEAR(evaluate_order0_bits(ab, 8), 1.0, 1e-12);
    CHECK_NEAR(evaluate_order0_bits(ab, 0), 0.0, 0);
}

/* Deflate at level 9 through zlib's streaming interface, independently of
 * compress2: the same algorithm must give the same size. */
static size_t deflate9_size(const uint8_t *text, size_t n)
{
    unsigned char out[1 << 16];
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit(&z, 9) != Z_OK)
        return 0;
    z.next_in = (Bytef *)text;
    z.avail_in = (uInt)n;
    size_t total = 0;
    int zrc;
    do {
        z.next_out = out;
        z.avail_out = sizeof out;
        zrc = deflate(&z, Z_FINISH);
        total += sizeof out - z.avail_out;
    } while (zrc == Z_OK);
    deflateEnd(&z);
    return zrc == Z_STREAM_END ? total : 0;
}

static void test_gzip_baseline(void)
{
    enum { N = 20000 };
    static uint8_t text[N];
    make_text(text, N, 5);
    double bits;
    struct bg_error err;
    CHECK(evaluate_gzip_bits(text, N, &bits, &err) == BG_OK);
    size_t size = deflate9_size(text, N);
    CHECK(size > 0);
    CHECK_NEAR(bits, 8.0 * (double)size / N, 0);
    /* Letters and spaces drawn at random: about log2(27) = 4.75 bits of
     * information per byte, which deflate's Huffman codes get close to. */
    CHECK(bits > 4.7 && bits < 5.5);
    /* One byte repeated costs almost nothing; random bytes cannot be
     * compressed at all and cost a little more than 8 bits. */
    memset(text, 'a', N);
    CHECK(evaluate_gzip_bits(text, N, &bits, &err) == BG_OK && bits < 0.05);
    struct bg_rng rng;
    rng_seed(&rng, 5, 9);
    for (size_t i = 0; i < N; i++)
        text[i] = (uint8_t)rng_u32(&rng);
    CHECK(evaluate_gzip_bits(text, N, &bits, &err) == BG_OK && bits > 8.0 && bits < 8.1);
}

/* ---- Reading a text ---- */

static void write_file(const char *path, const void *data, size_t n, int gz)
{
    if (gz) {
        gzFile f = gzopen(path, "wb9");
        gzwrite(f, data, (unsigned)n);
        gzclose(f);
    } else {
        FILE *f = fopen(path, "wb");
        fwrite(data, 1, n, f);
        fclose(f);
    }
}

static void test_read_text(void)
{
    char dir[] = "/tmp/bg_test_evaluate_XXXXXX";
    if (!mkdtemp(dir)) {
        CHECK(!"mkdtemp");
        return;
    }
    char plain[64], packed[64], nul[64], broken[64];
    snprintf(plain, sizeof plain, "%s/a.txt", dir);
    snprintf(packed, sizeof packed, "%s/a.txt.gz", dir);
    snprintf(nul, sizeof nul, "%s/nul.txt", dir);
    snprintf(broken, sizeof broken, "%s/broken.gz", dir);
    enum { N = 5000 };
    static uint8_t text[N];
    make_text(text, N, 6);
    write_file(plain, text, N, 0);
    write_file(packed, text, N, 1);
    uint8_t *got = NULL;
    size_t n = 0;
    struct bg_error err;
    CHECK(evaluate_read_text(plain, 0, &got, &n, &err) == BG_OK && n == N && memcmp(got, text, N) == 0);
    free(got);
    CHECK(evaluate_read_text(packed, 0, &got, &n, &err) == BG_OK && n == N && memcmp(got, text, N) == 0);
    free(got);
    CHECK(evaluate_read_text(packed, 100, &got, &n, &err) == BG_OK && n == 100 && memcmp(got, text, 100) == 0);
    free(got);
    /* A NUL byte means not text. */
    text[1234] = 0;
    write_file(nul, text, N, 0);
    CHECK(evaluate_read_text(nul, 0, &got, &n, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "NUL byte at byte 1234") != NULL);
    /* A gzip file cut in half is truncated, and zlib says so. */
    FILE *f = fopen(packed, "rb");
    static unsigned char z[N];
    size_t zn = fread(z, 1, sizeof z, f);
    fclose(f);
    write_file(broken, z, zn / 2, 0);
    CHECK(evaluate_read_text(broken, 0, &got, &n, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, broken) != NULL && strstr(err.msg, "truncated gzip") != NULL);
    /* The corpus' wording: where in the compressed file, and what to do. */
    CHECK(strstr(err.msg, "compressed byte") != NULL && strstr(err.msg, "re-download") != NULL);
    CHECK(evaluate_read_text("/nonexistent/text.txt", 0, &got, &n, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "/nonexistent/text.txt") != NULL);
    CHECK(evaluate_read_text(dir, 0, &got, &n, &err) == BG_ERR_INPUT && strstr(err.msg, "folder") != NULL);
    unlink(plain);
    unlink(packed);
    unlink(nul);
    unlink(broken);
    rmdir(dir);
}

/* ---- The sampler ---- */

#define GEN 24 /* more than ctx, so that the window slides */

static void test_seed_fixes_the_text(void)
{
    struct bg_model m;
    if (!make_model(&m, 15))
        return;
    struct bg_sample_options opt = {.temperature = 1.0, .top_k = BG_VOCAB};
    uint8_t a[GEN], b[GEN], c[GEN], window[CTX];
    struct bg_rng rng;
    const uint8_t *prompt = (const uint8_t *)"ab";
    rng_seed(&rng, 1, 3);
    sampler_generate(&m, prompt, 2, a, GEN, window, &opt, &rng, NULL, NULL);
    rng_seed(&rng, 1, 3);
    sampler_generate(&m, prompt, 2, b, GEN, window, &opt, &rng, NULL, NULL);
    rng_seed(&rng, 2, 3);
    sampler_generate(&m, prompt, 2, c, GEN, window, &opt, &rng, NULL, NULL);
    CHECK(memcmp(a, b, GEN) == 0);
    /* A fresh model's distribution is nearly uniform over 256 bytes, so
     * two seeds agreeing on 24 bytes would be a broken generator. */
    CHECK(memcmp(a, c, GEN) != 0);
    model_free(&m);
}

/* The greedy chain, computed here: <doc> + prompt, then again and again
 * the most likely byte after the last ctx bytes. */
static void greedy_chain(struct bg_model *m, const char *prompt, uint8_t *out, size_t n)
{
    size_t np = strlen(prompt);
    uint8_t text[64];
    float p[BG_VOCAB];
    text[0] = BG_DOC_BOUNDARY;
    memcpy(text + 1, prompt, np);
    for (size_t i = 0; i < n; i++) {
        next_probs(m, text, np + 1 + i, p);
        out[i] = text[np + 1 + i] = (uint8_t)argmax(p);
    }
}

static void test_greedy_and_top1_are_the_argmax_chain(void)
{
    struct bg_model m;
    if (!make_model(&m, 16))
        return;
    uint8_t expect[GEN], got[GEN], top1[GEN], window[CTX];
    greedy_chain(&m, "whale", expect, GEN);
    struct bg_rng rng;
    rng_seed(&rng, 1, 3);
    struct bg_sample_options greedy = {.temperature = 0.0, .top_k = 40};
    sampler_generate(&m, (const uint8_t *)"whale", 5, got, GEN, window, &greedy, &rng, NULL, NULL);
    CHECK(memcmp(got, expect, GEN) == 0);
    /* Top-k 1 leaves one byte to draw, whatever the temperature. */
    struct bg_sample_options k1 = {.temperature = 0.8, .top_k = 1};
    sampler_generate(&m, (const uint8_t *)"whale", 5, top1, GEN, window, &k1, &rng, NULL, NULL);
    CHECK(memcmp(top1, expect, GEN) == 0);
    /* predict's distribution is the one sample draws its first byte from. */
    float next[BG_VOCAB];
    struct bg_error err;
    CHECK(evaluate_prompt(&m, (const uint8_t *)"whale", 5, NULL, next, &err) == BG_OK);
    CHECK(argmax(next) == expect[0]);
    model_free(&m);
}

static void test_top_k_draws_only_the_k_most_likely(void)
{
    struct bg_model m;
    if (!make_model(&m, 17))
        return;
    enum { K = 5 };
    struct bg_sample_options opt = {.temperature = 1.5, .top_k = K};
    uint8_t out[GEN], window[CTX], text[64];
    struct bg_rng rng;
    rng_seed(&rng, 3, 3);
    sampler_generate(&m, (const uint8_t *)"sea", 3, out, GEN, window, &opt, &rng, NULL, NULL);
    /* Replay the text and ask the model at each step: a byte is among the
     * K most likely when fewer than K bytes are strictly more likely
     * (which lets ties at the K-th place count either way). */
    text[0] = BG_DOC_BOUNDARY;
    memcpy(text + 1, "sea", 3);
    size_t len = 4;
    int all_in = 1;
    for (size_t i = 0; i < GEN; i++) {
        float p[BG_VOCAB];
        next_probs(&m, text, len, p);
        size_t above = 0;
        for (size_t v = 0; v < BG_VOCAB; v++)
            above += p[v] > p[out[i]];
        all_in &= above < K;
        text[len++] = out[i];
    }
    CHECK(all_in);
    model_free(&m);
}

/* The emit callback sees every byte, in order, and can stop early. */
struct collect {
    uint8_t bytes[GEN];
    size_t n, stop_at;
};

static int collect_byte(void *ctx, uint8_t byte)
{
    struct collect *c = ctx;
    c->bytes[c->n++] = byte;
    return c->n == c->stop_at;
}

static void test_emit_sees_every_byte(void)
{
    struct bg_model m;
    if (!make_model(&m, 18))
        return;
    struct bg_sample_options opt = {.temperature = 0.8, .top_k = 40};
    uint8_t out[GEN], window[CTX];
    struct bg_rng rng;
    rng_seed(&rng, 4, 3);
    struct collect c = {.stop_at = 0};
    sampler_generate(&m, NULL, 0, out, GEN, window, &opt, &rng, collect_byte, &c);
    CHECK(c.n == GEN && memcmp(c.bytes, out, GEN) == 0);
    rng_seed(&rng, 4, 3);
    struct collect early = {.stop_at = 5};
    sampler_generate(&m, NULL, 0, NULL, GEN, window, &opt, &rng, collect_byte, &early);
    CHECK(early.n == 5 && memcmp(early.bytes, out, 5) == 0);
    model_free(&m);
}

int main(void)
{
    RUN_TEST(test_windows_fit);
    RUN_TEST(test_eval_equals_mean_of_window_losses);
    RUN_TEST(test_eval_refuses_short_text_and_too_many_windows);
    RUN_TEST(test_surprisals_add_up_to_the_prompt_loss);
    RUN_TEST(test_long_prompt_slides_the_context);
    RUN_TEST(test_next_byte_distribution);
    RUN_TEST(test_distribution_entropy);
    RUN_TEST(test_order0_entropy);
    RUN_TEST(test_gzip_baseline);
    RUN_TEST(test_read_text);
    /* The sampler runs the model without targets; these come last so that
     * everything above reports even if that path is broken. */
    RUN_TEST(test_seed_fixes_the_text);
    RUN_TEST(test_greedy_and_top1_are_the_argmax_chain);
    RUN_TEST(test_top_k_draws_only_the_k_most_likely);
    RUN_TEST(test_emit_sees_every_byte);
    return TEST_EXIT();
}
