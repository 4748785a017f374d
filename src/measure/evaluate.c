/* evaluate: see evaluate.h. */
#include "bytegpt/evaluate.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "bytegpt/textfile.h"
#include "bytegpt/tokenizer.h"

/* ---- The eval rule ---- */

size_t evaluate_windows_fit(size_t n, size_t ctx)
{
    return n < ctx + 1 ? 0 : (n - 1) / ctx;
}

int evaluate_text(struct bg_model *m, const uint8_t *text, size_t n, size_t windows,
                  struct bg_eval_result *r, struct bg_error *err)
{
    size_t ctx = m->cfg.ctx, fit = evaluate_windows_fit(n, ctx);
    if (fit == 0)
        return bg_fail(err, BG_ERR_INPUT,
                       "the text is %zu bytes; scoring needs at least ctx + 1 = %zu (one window of %zu bytes "
                       "and the byte after it)", n, ctx + 1, ctx);
    if (windows == 0)
        windows = fit;
    if (windows > fit)
        return bg_fail(err, BG_ERR_INPUT, "the text holds %zu windows of %zu bytes, not %zu; ask for fewer",
                       fit, ctx, windows);
    /* Consecutive non-overlapping windows lie end to end in the text, so a
     * batch of B of them is already a (B,ctx) array of inputs, and the
     * same array one byte later is its targets: nothing to copy. Each
     * batch's mean is weighted by its rows, since the last batch may be
     * shorter, and summed in double so that thousands of windows lose
     * nothing. */
    double total = 0.0;
    for (size_t s = 0; s < windows; s += m->max_B) {
        size_t B = windows - s < m->max_B ? windows - s : m->max_B;
        const uint8_t *inputs = text + s * ctx;
        total += model_forward(m, inputs, inputs + 1, B, ctx) * (double)B;
    }
    r->nats = total / (double)windows;
    r->windows = windows;
    r->predicted = windows * ctx;
    r->bytes = windows * ctx + 1;
    return BG_OK;
}

/* ---- A prompt, byte by byte ---- */

/* A forward pass needs a target for every position to compute the
 * losses; the last position of the last window predicts the byte after
 * the prompt, which does not exist yet. It gets this placeholder, and its
 * loss is ignored: only its probabilities are kept. */
#define PLACEHOLDER_TARGET BG_DOC_BOUNDARY

/* Scratch for evaluate_prompt: the text x = <doc> + prompt, and one batch
 * of windows with their targets. */
struct prompt_scratch {
    uint8_t *x;       /* (N) */
    uint8_t *inputs;  /* (max_B, T) */
    uint8_t *targets; /* (max_B, T) */
};

/* Runs windows starting at first .. first+B-1 of x (N bytes), each T long,
 * and keeps what each one scores. Window 0 scores all its positions; a
 * later window s scores only its last, x[s+T], because every earlier byte
 * was scored with a longer context by an earlier window. */
static void prompt_batch(struct bg_model *m, struct prompt_scratch *w, size_t N, size_t T, size_t first,
                         size_t B, float *surprisal, float *next)
{
    for (size_t b = 0; b < B; b++) {
        size_t s = first + b;
        memcpy(w->inputs + b * T, w->x + s, T);
        /* Targets are x shifted by one; past the end, the placeholder.
         * Windows never start after N - T, so x[s+1 .. s+T-1] exist, and
         * T >= 1 because x holds at least <doc>. */
        uint8_t *tg = w->targets + b * T;
        memcpy(tg, w->x + s + 1, T - 1);
        tg[T - 1] = s + T < N ? w->x[s + T] : PLACEHOLDER_TARGET;
    }
    model_forward(m, w->inputs, w->targets, B, T);
    for (size_t b = 0; b < B; b++) {
        size_t s = first + b;
        /* Position t of window s predicts x[s+t+1], which is prompt byte
         * s+t; the losses are -ln p, computed from the logits so that
         * even a byte given probability 0 in float has a finite cost. */
        for (size_t t = s == 0 ? 0 : T - 1; t < T; t++) {
            size_t i = s + t;
            if (i + 1 < N) {
                if (surprisal)
                    surprisal[i] = m->a.losses[b * T + t];
            } else if (next) {
                memcpy(next, model_probs(m, b, t), m->cfg.V * sizeof(float));
            }
        }
    }
}

int evaluate_prompt(struct bg_model *m, const uint8_t *prompt, size_t n, float *surprisal, float *next,
                    struct bg_error *err)
{
    size_t N = n + 1, ctx = m->cfg.ctx, T = N < ctx ? N : ctx;
    /* Window 0 starts at x[0]; windows 1 .. N-T slide by one byte each, so
     * that every byte past the first ctx still sees ctx bytes before it. */
    size_t n_windows = 1 + (N - T), max_B = m->max_B;
    struct prompt_scratch w = {0};
    int rc = BG_OK;
    w.x = malloc(N);
    w.inputs = malloc(max_B * T);
    w.targets = malloc(max_B * T);
    if (!w.x || !w.inputs || !w.targets) {
        rc = bg_fail(err, BG_ERR_RUNTIME, "out of memory scoring a prompt of %zu bytes", n);
        goto out;
    }
    w.x[0] = BG_DOC_BOUNDARY;
    if (n > 0)
        memcpy(w.x + 1, prompt, n);
    for (size_t s = 0; s < n_windows; s += max_B) {
        size_t B = n_windows - s < max_B ? n_windows - s : max_B;
        prompt_batch(m, &w, N, T, s, B, surprisal, next);
    }
out:
    free(w.x);
    free(w.inputs);
    free(w.targets);
    return rc;
}

double evaluate_entropy_bits(const float *probs, size_t V)
{
    /* p log p tends to 0 as p does, so bytes of probability 0 add nothing. */
    double h = 0.0;
    for (size_t i = 0; i < V; i++)
        if (probs[i] > 0.0f)
            h -= (double)probs[i] * log2((double)probs[i]);
    return h;
}

/* ---- Baselines ---- */

double evaluate_order0_bits(const uint8_t *text, size_t n)
{
    size_t count[BG_VOCAB] = {0};
    for (size_t i = 0; i < n; i++)
        count[text[i]]++;
    double h = 0.0;
    for (int v = 0; v < BG_VOCAB; v++) {
        if (count[v] == 0)
            continue;
        double f = (double)count[v] / (double)n;
        h -= f * log2(f);
    }
    return h;
}

int evaluate_gzip_bits(const uint8_t *text, size_t n, double *bits, struct bg_error *err)
{
    uLongf size = compressBound((uLong)n);
    Bytef *buf = malloc(size);
    if (!buf)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory compressing %zu bytes for the gzip baseline", n);
    int zrc = compress2(buf, &size, text, (uLong)n, 9);
    free(buf);
    if (zrc != Z_OK)
        return bg_fail(err, BG_ERR_RUNTIME, "zlib could not compress the text for the gzip baseline: %s",
                       zError(zrc));
    *bits = 8.0 * (double)size / (double)n;
    return BG_OK;
}

/* ---- Reading a text ---- */

/* Grows *buf by doubling until it holds need bytes. Returns 0, or -1
 * when memory ran out. */
static int grow(uint8_t **buf, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t cap2 = *cap ? *cap : 1 << 16;
    while (cap2 < need)
        cap2 *= 2;
    uint8_t *b = realloc(*buf, cap2);
    if (!b)
        return -1;
    *buf = b;
    *cap = cap2;
    return 0;
}

int evaluate_read_text(const char *path, size_t max_bytes, uint8_t **text, size_t *n, struct bg_error *err)
{
    uint8_t *buf = NULL;
    size_t cap = 0, len = 0, limit = max_bytes ? max_bytes : SIZE_MAX;
    struct stat st;
    if (stat(path, &st) != 0)
        return bg_fail(err, BG_ERR_INPUT, "cannot read text file %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return bg_fail(err, BG_ERR_INPUT, "text file %s is a folder; give one plain or .gz text file", path);
    struct textfile t;
    int rc = textfile_open(&t, "text file", path, err);
    if (rc)
        return rc;
    for (;;) {
        size_t want = limit - len < (1u << 20) ? limit - len : (1u << 20);
        if (want == 0)
            break;
        if (grow(&buf, &cap, len + want) != 0) {
            rc = bg_fail(err, BG_ERR_RUNTIME, "out of memory reading text file %s after %zu bytes", path, len);
            goto out;
        }
        size_t got = textfile_read(&t, buf + len, want);
        if (got == 0)
            break;
        len += got;
    }
    rc = textfile_check(&t, err);
out:
    textfile_close(&t);
    if (rc) {
        free(buf);
        return rc;
    }
    *text = buf;
    *n = len;
    return BG_OK;
}
