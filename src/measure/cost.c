/* cost: see cost.h. */
#include "bytegpt/cost.h"

#include <math.h>
#include <string.h>

#include "bytegpt/muon.h"

/* ---- Two real pre-training runs, for scale ---- */

/* GPT-2 124M (the smallest GPT-2): OpenAI did not publish how many tokens
 * it was trained on. 10B tokens is the figure of the public reproductions:
 * Karpathy's llm.c ("Reproducing GPT-2 (124M) in llm.c in 90 minutes for
 * $20", github.com/karpathy/llm.c discussion #481, 10B tokens of
 * FineWeb) and build-nanogpt (nanoGPT rewritten step by step, 10B tokens
 * of FineWeb-Edu), which match GPT-2 124M's HellaSwag score. (nanoGPT's
 * older OpenWebText config ran about 300B tokens.)
 *
 * GPT-3 175B: Brown et al. 2020, "Language Models are Few-Shot Learners",
 * 300B training tokens (section 2.2), and table D.1 gives the total
 * training compute as 3.14e23 FLOPs, which is 6*N*D with N = 174.6B.
 *
 * Both are counted by 6*N*D, the rule without the attention term, as the
 * GPT-3 paper counts; for these models the term is a few percent. */
const struct bg_cost_ref bg_cost_refs[BG_COST_N_REFS] = {
    {"GPT-2 124M", "10B tokens: the llm.c / build-nanogpt reproductions (Karpathy 2024)", 124e6, 10e9, 0, 0, 0},
    {"GPT-3 175B", "300B tokens: Brown et al. 2020, table D.1 (3.14e23 FLOPs)", 175e9, 300e9, 0, 0, 0},
};

/* ---- Parameters by group ---- */

void cost_param_groups(const struct bg_config *cfg, struct bg_param_groups *g)
{
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(cfg, t);
    memset(g, 0, sizeof *g);
    for (int i = 0; i < BG_N_TENSORS; i++) {
        const char *n = t[i].name;
        size_t *to;
        if (strcmp(n, "wte") == 0 || strcmp(n, "wpe") == 0 || strcmp(n, "lmhead") == 0 || strcmp(n, "bigram") == 0)
            to = &g->embeddings; /* the tables and the head, tied or not */
        else if (strncmp(n, "ln", 2) == 0)
            to = &g->layernorm;
        else if (strncmp(n, "qkv", 3) == 0 || strncmp(n, "attproj", 7) == 0)
            to = &g->attention;
        else
            to = &g->mlp; /* fcw fcb fcprojw fcprojb */
        *to += t[i].size;
        g->total += t[i].size;
    }
}

/* ---- The bill ---- */

void cost_bill(const struct bg_config *cfg, size_t batch, double tokens, double rate, struct bg_cost *bill)
{
    memset(bill, 0, sizeof *bill);
    cost_param_groups(cfg, &bill->groups);
    model_memory(cfg, batch, &bill->mem);
    bill->batch = batch;
    bill->flops_per_token = config_flops_per_token(cfg);
    bill->tokens = tokens;
    bill->flops = bill->flops_per_token * tokens;
    bill->rate = rate > 0 ? rate : BG_COST_ASSUMED_FLOPS;
    bill->seconds = bill->flops / bill->rate;
    for (int i = 0; i < BG_COST_N_REFS; i++) {
        struct bg_cost_ref *r = &bill->refs[i];
        *r = bg_cost_refs[i];
        r->flops = 6.0 * r->params * r->tokens;
        r->ratio = bill->flops > 0 ? r->flops / bill->flops : 0.0;
        r->seconds = r->flops / bill->rate;
    }
}

double cost_train_flops(const struct bg_train_config *c, double tokens, double steps)
{
    double flops = config_flops_per_token(&c->model) * tokens;
    if (c->optim == BG_OPT_MUON) {
        struct bg_tensor t[BG_N_TENSORS];
        model_tensors(&c->model, t);
        flops += muon_flops_per_step(t) * steps;
    }
    return flops;
}

/* The tokens of one update: every process's batch * accum windows. */
static double step_tokens(const struct bg_train_config *c, size_t ranks)
{
    return (double)c->batch * (double)c->accum * (double)ranks * (double)c->model.ctx;
}

double cost_step_flops(const struct bg_train_config *c, size_t ranks)
{
    return cost_train_flops(c, step_tokens(c, ranks), 1.0);
}

uint64_t cost_steps_within(const struct bg_train_config *c, size_t ranks, double budget)
{
    double tokens = step_tokens(c, ranks), k = floor(budget / cost_step_flops(c, ranks));
    /* The division rounds, and the log multiplies rather than adds up
     * steps, so k may be one off the count the log would show; the exact
     * answer is a step or two away, by the log's own formula. */
    while (k > 0 && cost_train_flops(c, k * tokens, k) > budget)
        k -= 1;
    while (cost_train_flops(c, (k + 1) * tokens, k + 1) <= budget)
        k += 1;
    return (uint64_t)k;
}

void cost_add_optimizer(struct bg_cost *bill, const struct bg_train_config *c, double steps)
{
    bill->optimizer_flops = cost_train_flops(c, 0.0, 1.0);
    if (bill->optimizer_flops == 0)
        return;
    bill->flops += bill->optimizer_flops * steps;
    bill->seconds = bill->flops / bill->rate;
    for (int i = 0; i < BG_COST_N_REFS; i++)
        bill->refs[i].ratio = bill->flops > 0 ? bill->refs[i].flops / bill->flops : 0.0;
}

/* ---- Data parallelism ---- */

void cost_data_parallel(size_t n_params, double step_tokens, double compute_seconds, double link_bytes_per_s,
                        int ranks, struct bg_dp_cost *c)
{
    double N = ranks;
    c->ranks = ranks;
    c->bytes = 2.0 * (N - 1) / N * (double)sizeof(float) * (double)n_params;
    c->comm_seconds = c->bytes / link_bytes_per_s;
    c->compute_seconds = compute_seconds;
    c->efficiency = compute_seconds / (compute_seconds + c->comm_seconds);
    c->tokens_per_s = N * step_tokens / (compute_seconds + c->comm_seconds);
}
