/* sampler: see sampler.h. */
#include "bytegpt/sampler.h"

#include <math.h>
#include <string.h>

#include "bytegpt/tokenizer.h"

void sampler_top_k(const float *probs, size_t k, uint8_t *idx)
{
    /* A selection pass per rank: k is at most 256, so k * 256 comparisons
     * are nothing beside a forward pass, and ties resolve by byte value. */
    unsigned char taken[BG_VOCAB] = {0};
    for (size_t r = 0; r < k; r++) {
        int best = -1;
        for (int i = 0; i < BG_VOCAB; i++)
            if (!taken[i] && (best < 0 || probs[i] > probs[best]))
                best = i;
        taken[best] = 1;
        idx[r] = (uint8_t)best;
    }
}

uint8_t sampler_pick(const float *probs, const struct bg_sample_options *opt, struct bg_rng *rng)
{
    uint8_t idx[BG_VOCAB];
    size_t k = opt->top_k == 0 || opt->top_k > BG_VOCAB ? BG_VOCAB : opt->top_k;
    if (opt->temperature <= 0.0) {
        sampler_top_k(probs, 1, idx);
        return idx[0];
    }
    sampler_top_k(probs, k, idx);
    /* Temperature T reshapes the distribution as p^(1/T), which is the
     * softmax of logits / T. Weights are relative to the top byte so that
     * a low temperature cannot underflow them all to zero. */
    double w[BG_VOCAB], total = 0.0, top = probs[idx[0]] > 0 ? probs[idx[0]] : 1e-30;
    for (size_t r = 0; r < k; r++) {
        w[r] = pow((double)probs[idx[r]] / top, 1.0 / opt->temperature);
        total += w[r];
    }
    double u = (double)rng_uniform(rng) * total, acc = 0.0;
    for (size_t r = 0; r < k; r++) {
        acc += w[r];
        if (u < acc)
            return idx[r];
    }
    return idx[k - 1];
}

size_t sampler_context(uint8_t *window, size_t ctx, const uint8_t *prompt, size_t n_prompt)
{
    /* The text is <doc> + prompt, n_prompt + 1 bytes; the window holds its
     * last ctx bytes, so <doc> is kept only while it fits. */
    if (n_prompt + 1 <= ctx) {
        window[0] = BG_DOC_BOUNDARY;
        if (n_prompt > 0)
            memcpy(window + 1, prompt, n_prompt);
        return n_prompt + 1;
    }
    memcpy(window, prompt + (n_prompt - ctx), ctx);
    return ctx;
}

void sampler_generate(struct bg_model *m, const uint8_t *prompt, size_t n_prompt, uint8_t *out, size_t n,
                      uint8_t *window, const struct bg_sample_options *opt, struct bg_rng *rng,
                      bg_sample_emit emit, void *emit_ctx)
{
    size_t ctx = m->cfg.ctx, len = sampler_context(window, ctx, prompt, n_prompt);
    for (size_t i = 0; i < n; i++) {
        model_forward(m, window, NULL, 1, len);
        uint8_t next = sampler_pick(model_probs(m, 0, len - 1), opt, rng);
        if (out)
            out[i] = next;
        if (emit && emit(emit_ctx, next))
            return;
        if (len == ctx) {
            memmove(window, window + 1, ctx - 1);
            len--;
        }
        window[len++] = next;
    }
}
