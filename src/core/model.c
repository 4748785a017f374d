/* model: the GPT-2-style transformer. See model.h for the picture. */
#include "bytegpt/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bytegpt/bigram.h"
#include "bytegpt/ops_attention.h"
#include "bytegpt/ops_layernorm.h"
#include "bytegpt/ops_loss.h"
#include "bytegpt/ops_matmul.h"
#include "bytegpt/ops_pointwise.h"
#include "bytegpt/tokenizer.h"

/* ---- Configuration ---- */

/* The recipe's fields, which a checkpoint's record may hold any value of:
 * each must be one of its choices. */
static int config_validate_recipe(const struct bg_config *cfg, struct bg_error *err)
{
    if ((unsigned)cfg->norm > BG_NORM_RMS || (unsigned)cfg->pos > BG_POS_ROTARY || (unsigned)cfg->qk_norm > 1 ||
        (unsigned)cfg->act > BG_ACT_RELU2 || (unsigned)cfg->head > BG_HEAD_UNTIED || (unsigned)cfg->bigram > 1)
        return bg_fail(err, BG_ERR_INPUT, "the model's recipe names a choice this bytegpt does not have");
    if (!isfinite(cfg->softcap) || cfg->softcap < 0 || cfg->softcap > 1e6)
        return bg_fail(err, BG_ERR_INPUT, "--softcap must be 0 (off) or a positive cap of at most 1e6, got %g",
                       cfg->softcap);
    if (cfg->pos == BG_POS_ROTARY && (cfg->C / cfg->NH) % 2 != 0)
        return bg_fail(err, BG_ERR_INPUT,
                       "--pos rotary turns pairs of a head's channels, so the head size (dim %zu / heads %zu = "
                       "%zu) must be even",
                       cfg->C, cfg->NH, cfg->C / cfg->NH);
    return BG_OK;
}

int config_validate(const struct bg_config *cfg, struct bg_error *err)
{
    if (cfg->L == 0 || cfg->NH == 0 || cfg->C == 0 || cfg->ctx == 0)
        return bg_fail(err, BG_ERR_INPUT, "model sizes must be at least 1 (layers %zu, heads %zu, dim %zu, ctx %zu)",
                       cfg->L, cfg->NH, cfg->C, cfg->ctx);
    if (cfg->V != BG_VOCAB)
        return bg_fail(err, BG_ERR_INPUT, "vocabulary must be %d bytes, got %zu", BG_VOCAB, cfg->V);
    if (cfg->C % cfg->NH != 0)
        return bg_fail(err, BG_ERR_INPUT,
                       "--dim %zu is not divisible by --heads %zu; pick a dim that is a multiple of heads", cfg->C,
                       cfg->NH);
    /* Bounds that keep every size product far from overflow while leaving
     * room for any model a CPU could train (C 65536, 1024 layers). */
    if (cfg->L > 1024 || cfg->C > 65536 || cfg->ctx > 65536 || cfg->NH > cfg->C)
        return bg_fail(err, BG_ERR_INPUT, "model sizes out of range (at most 1024 layers, dim 65536, ctx 65536)");
    return config_validate_recipe(cfg, err);
}

int config_is_gpt2(const struct bg_config *cfg)
{
    return cfg->norm == BG_NORM_LAYER && cfg->pos == BG_POS_LEARNED && !cfg->qk_norm && cfg->act == BG_ACT_GELU &&
           cfg->head == BG_HEAD_TIED && !cfg->bigram && cfg->softcap == 0.0;
}

void model_tensors(const struct bg_config *cfg, struct bg_tensor t[BG_N_TENSORS])
{
    size_t L = cfg->L, C = cfg->C, V = cfg->V;
    /* The rows of the tensors a recipe may leave out (0: not used). */
    size_t T = cfg->pos == BG_POS_LEARNED ? cfg->ctx : 0;
    size_t CB = cfg->norm == BG_NORM_LAYER ? C : 0;
    size_t VH = cfg->head == BG_HEAD_UNTIED ? V : 0;
    size_t NB = cfg->bigram ? BG_BIGRAM_ROWS : 0;
    /* name, layers, rows, cols, decay: in the order of struct bg_params.
     * The bigram table is not decayed: its update touches only the rows a
     * step used, and decay would have to visit every row. */
    const struct { const char *name; size_t layers, rows, cols; int decay; } spec[BG_N_TENSORS] = {
        {"wte", 1, V, C, 1},         {"wpe", 1, T, C, 1},
        {"ln1w", L, C, 1, 0},        {"ln1b", L, CB, 1, 0},
        {"qkvw", L, 3 * C, C, 1},    {"qkvb", L, 3 * C, 1, 0},
        {"attprojw", L, C, C, 1},    {"attprojb", L, C, 1, 0},
        {"ln2w", L, C, 1, 0},        {"ln2b", L, CB, 1, 0},
        {"fcw", L, 4 * C, C, 1},     {"fcb", L, 4 * C, 1, 0},
        {"fcprojw", L, C, 4 * C, 1}, {"fcprojb", L, C, 1, 0},
        {"lnfw", 1, C, 1, 0},        {"lnfb", 1, CB, 1, 0},
        {"lmhead", 1, VH, C, 1},     {"bigram", 1, NB, C, 0},
    };
    size_t offset = 0;
    for (int i = 0; i < BG_N_TENSORS; i++) {
        t[i].name = spec[i].name;
        t[i].layers = spec[i].layers;
        t[i].rows = spec[i].rows;
        t[i].cols = spec[i].cols;
        t[i].decay = spec[i].decay;
        t[i].sparse = i == BG_N_TENSORS - 1; /* the bigram table */
        t[i].size = spec[i].layers * spec[i].rows * spec[i].cols;
        t[i].offset = offset;
        offset += t[i].size;
    }
}

const char *config_describe(const struct bg_config *cfg, char *buf, size_t n)
{
    int k = snprintf(buf, n, "%zu layer%s, %zu head%s, dim %zu, ctx %zu", cfg->L, cfg->L == 1 ? "" : "s",
                     cfg->NH, cfg->NH == 1 ? "" : "s", cfg->C, cfg->ctx);
    /* Then what differs from GPT-2, in the order of the struct. */
    const char *word[6] = {cfg->norm ? "rmsnorm" : NULL, cfg->pos ? "rotary" : NULL, cfg->qk_norm ? "qk-norm" : NULL,
                           cfg->act ? "relu2" : NULL,    cfg->head ? "untied head" : NULL,
                           cfg->bigram ? "bigram" : NULL};
    for (int i = 0; i < 6; i++)
        if (word[i] && k >= 0 && (size_t)k < n)
            k += snprintf(buf + k, n - (size_t)k, ", %s", word[i]);
    if (cfg->softcap > 0 && k >= 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, ", softcap %g", cfg->softcap);
    return buf;
}

size_t config_num_params(const struct bg_config *cfg)
{
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(cfg, t);
    return t[BG_N_TENSORS - 1].offset + t[BG_N_TENSORS - 1].size;
}

double config_flops_per_token(const struct bg_config *cfg)
{
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(cfg, t);
    double n = (double)(config_num_params(cfg) - t[BG_N_TENSORS - 1].size); /* without the bigram table */
    return 6.0 * n + 6.0 * (double)cfg->L * (double)cfg->ctx * (double)cfg->C;
}

/* ---- Memory: one list of sizes, used to estimate and to carve ---- */

/* The activation tensors in carving order, sizes in floats for batch B.
 * model_memory sums them; model_init carves them in the same order. */
enum { N_ACTS = 19, N_ACT_GRADS = 7 };

static void act_sizes(const struct bg_config *cfg, size_t B, size_t s[N_ACTS])
{
    size_t L = cfg->L, T = cfg->ctx, C = cfg->C, NH = cfg->NH, V = cfg->V, BT = B * T;
    size_t sizes[N_ACTS] = {
        BT * C,                                 /* encoded */
        L * BT * C, L * BT, L * BT,             /* ln1, mean, rstd */
        L * BT * 3 * C,                         /* qkv */
        L * BT * C,                             /* atty */
        L * B * NH * T * T,                     /* att */
        L * BT * C,                             /* residual2 */
        L * BT * C, L * BT, L * BT,             /* ln2, mean, rstd */
        L * BT * 4 * C, L * BT * 4 * C,         /* fch, fch_gelu */
        L * BT * C,                             /* residual3 */
        BT * C, BT, BT,                         /* lnf, mean, rstd */
        BT * V, BT,                             /* probs, losses */
    };
    memcpy(s, sizes, sizeof sizes);
}

static void act_grad_sizes(const struct bg_config *cfg, size_t B, size_t s[N_ACT_GRADS])
{
    size_t T = cfg->ctx, C = cfg->C, NH = cfg->NH, V = cfg->V, BT = B * T;
    size_t sizes[N_ACT_GRADS] = {
        BT * C, BT * C, BT * 3 * C, BT * C, B * NH * T * T, BT * 4 * C, BT * V,
    };
    memcpy(s, sizes, sizeof sizes);
}

void model_memory(const struct bg_config *cfg, size_t B, struct bg_memory *mem)
{
    size_t sa[N_ACTS], sg[N_ACT_GRADS];
    act_sizes(cfg, B, sa);
    act_grad_sizes(cfg, B, sg);
    memset(mem, 0, sizeof *mem);
    mem->params = config_num_params(cfg) * sizeof(float);
    mem->param_arena = 4 * arena_round(mem->params);
    for (int i = 0; i < N_ACTS; i++) {
        mem->acts += sa[i] * sizeof(float);
        mem->act_arena += arena_round(sa[i] * sizeof(float));
    }
    for (int i = 0; i < N_ACT_GRADS; i++) {
        mem->act_grads += sg[i] * sizeof(float);
        mem->act_arena += arena_round(sg[i] * sizeof(float));
    }
    mem->total = mem->param_arena + mem->act_arena;
}

/* ---- Allocation ---- */

/* The fields of p, in the order of the tensor layout. */
static void param_fields(struct bg_params *p, float **fields[BG_N_TENSORS])
{
    float **f[BG_N_TENSORS] = {
        &p->wte,  &p->wpe,  &p->ln1w, &p->ln1b,    &p->qkvw,    &p->qkvb,    &p->attprojw, &p->attprojb,
        &p->ln2w, &p->ln2b, &p->fcw,  &p->fcb,     &p->fcprojw, &p->fcprojb, &p->lnfw,     &p->lnfb,
        &p->lmhead, &p->bigram,
    };
    memcpy(fields, f, sizeof f);
}

/* Points each field of p at its tensor inside block. */
static void point_params(struct bg_params *p, float *block, const struct bg_config *cfg)
{
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(cfg, t);
    float **fields[BG_N_TENSORS];
    param_fields(p, fields);
    for (int i = 0; i < BG_N_TENSORS; i++)
        *fields[i] = block + t[i].offset;
}

static void carve_acts(struct bg_model *m)
{
    size_t sa[N_ACTS], sg[N_ACT_GRADS];
    act_sizes(&m->cfg, m->max_B, sa);
    act_grad_sizes(&m->cfg, m->max_B, sg);
    struct bg_acts *a = &m->a;
    float **acts[N_ACTS] = {
        &a->encoded,  &a->ln1,      &a->ln1_mean, &a->ln1_rstd, &a->qkv,      &a->atty,     &a->att,
        &a->residual2, &a->ln2,     &a->ln2_mean, &a->ln2_rstd, &a->fch,      &a->fch_gelu, &a->residual3,
        &a->lnf,      &a->lnf_mean, &a->lnf_rstd, &a->probs,    &a->losses,
    };
    struct bg_act_grads *d = &m->d;
    float **grads[N_ACT_GRADS] = {
        &d->residual, &d->ln, &d->qkv, &d->atty, &d->att, &d->fch_gelu, &d->logits,
    };
    for (int i = 0; i < N_ACTS; i++)
        *acts[i] = arena_carve(&m->act_arena, sa[i] * sizeof(float));
    for (int i = 0; i < N_ACT_GRADS; i++)
        *grads[i] = arena_carve(&m->act_arena, sg[i] * sizeof(float));
}

int model_init(struct bg_model *m, const struct bg_config *cfg, size_t max_B, struct bg_error *err)
{
    memset(m, 0, sizeof *m);
    int rc = config_validate(cfg, err);
    if (rc)
        return rc;
    if (max_B == 0)
        return bg_fail(err, BG_ERR_INPUT, "batch size must be at least 1");
    m->cfg = *cfg;
    m->max_B = max_B;
    m->num_params = config_num_params(cfg);

    struct bg_memory mem;
    model_memory(cfg, max_B, &mem);
    rc = arena_init(&m->param_arena, mem.param_arena, err);
    if (rc)
        goto out;
    rc = arena_init(&m->act_arena, mem.act_arena, err);
    if (rc)
        goto out;

    size_t bytes = m->num_params * sizeof(float);
    m->params = arena_carve(&m->param_arena, bytes);
    m->grads = arena_carve(&m->param_arena, bytes);
    m->m = arena_carve(&m->param_arena, bytes);
    m->v = arena_carve(&m->param_arena, bytes);
    point_params(&m->p, m->params, cfg);
    point_params(&m->g, m->grads, cfg);
    carve_acts(m);
out:
    if (rc)
        model_free(m);
    return rc;
}

void model_free(struct bg_model *m)
{
    arena_free(&m->param_arena);
    arena_free(&m->act_arena);
    memset(m, 0, sizeof *m);
}

/* ---- Initialisation ---- */

static void fill_normal(float *x, size_t n, float std, struct bg_rng *rng)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rng_normal(rng, 0.0f, std);
}

static void fill_const(float *x, size_t n, float value)
{
    for (size_t i = 0; i < n; i++)
        x[i] = value;
}

/* The tensors that start at zero besides the biases. The bigram table
 * starts as "no bigram knowledge" and is learned. With an untied head, the
 * head and the projections that write into the residual stream start at
 * zero (as the modded-nanogpt speedrun does): at the first step every
 * block is the identity and the logits are uniform, and each of them
 * still gets a gradient, since its input is not zero. */
static int zero_init(const struct bg_config *cfg, const char *name)
{
    if (strcmp(name, "bigram") == 0)
        return 1;
    return cfg->head == BG_HEAD_UNTIED &&
           (strcmp(name, "lmhead") == 0 || strcmp(name, "attprojw") == 0 || strcmp(name, "fcprojw") == 0);
}

void model_init_weights(struct bg_model *m, struct bg_rng *rng)
{
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(&m->cfg, t);
    /* GPT-2 scales the init of the projections that write into the
     * residual stream by 1/sqrt(2L), since 2L of them add up along it. */
    float std_proj = 0.02f / sqrtf(2.0f * (float)m->cfg.L);
    for (int i = 0; i < BG_N_TENSORS; i++) {
        float *x = m->params + t[i].offset;
        const char *name = t[i].name;
        if (strcmp(name, "ln1w") == 0 || strcmp(name, "ln2w") == 0 || strcmp(name, "lnfw") == 0)
            fill_const(x, t[i].size, 1.0f);
        else if (t[i].cols == 1 || zero_init(&m->cfg, name))
            fill_const(x, t[i].size, 0.0f); /* biases, and what starts at zero */
        else if (strcmp(name, "attprojw") == 0 || strcmp(name, "fcprojw") == 0)
            fill_normal(x, t[i].size, std_proj, rng);
        else
            fill_normal(x, t[i].size, 0.02f, rng);
    }
}

/* ---- One layer's view ---- */

/* A per-layer tensor holds all L layers one after another; these return
 * copies of the parameter, gradient and activation structs whose fields
 * point at layer l's slice, so that a block's code names its tensors
 * plainly (w.qkvw, a.fch) instead of working out offsets. The tensors
 * that are not per layer (wte, wpe, lnf, encoded, probs...) stay as they
 * are. */
static struct bg_params layer_params(const struct bg_model *m, const struct bg_params *all, size_t l)
{
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(&m->cfg, t);
    struct bg_params p = *all;
    float **fields[BG_N_TENSORS];
    param_fields(&p, fields);
    for (int i = 0; i < BG_N_TENSORS; i++)
        if (t[i].layers > 1)
            *fields[i] += l * t[i].rows * t[i].cols;
    return p;
}

/* Activations are laid out for max_B, so layer l of a tensor of the given
 * width per position starts at l * (max_B * ctx * width); the first B*T
 * rows of it are used. */
static struct bg_acts layer_acts(const struct bg_model *m, size_t l)
{
    size_t C = m->cfg.C, rows = l * m->max_B * m->cfg.ctx;
    struct bg_acts a = m->a;
    a.ln1 += rows * C;
    a.ln1_mean += rows;
    a.ln1_rstd += rows;
    a.qkv += rows * 3 * C;
    a.atty += rows * C;
    a.att += rows * m->cfg.NH * m->cfg.ctx;
    a.residual2 += rows * C;
    a.ln2 += rows * C;
    a.ln2_mean += rows;
    a.ln2_rstd += rows;
    a.fch += rows * 4 * C;
    a.fch_gelu += rows * 4 * C;
    a.residual3 += rows * C;
    return a;
}

/* The input of block l (B,T,C): the embeddings, or the previous block's output. */
static const float *block_input(const struct bg_model *m, size_t l)
{
    return l == 0 ? m->a.encoded : layer_acts(m, l - 1).residual3;
}

/* ---- Forward ---- */

/* One transformer block: a.residual3 (B,T,C) = block l applied to x (B,T,C),
 * keeping in a what backward needs. */
static void block_forward(struct bg_model *m, size_t l, const float *x, size_t B, size_t T)
{
    size_t C = m->cfg.C, NH = m->cfg.NH, BT = B * T;
    struct bg_params w = layer_params(m, &m->p, l);
    struct bg_acts a = layer_acts(m, l);

    /* The attention half: x = x + attn(ln_1(x)). The projection writes
     * straight into residual2, adding the block's input in the same sweep. */
    layernorm_forward(a.ln1, a.ln1_mean, a.ln1_rstd, x, w.ln1w, w.ln1b, BT, C);  /* ln1 (B,T,C) */
    matmul_forward(a.qkv, a.ln1, w.qkvw, w.qkvb, BT, C, 3 * C);                  /* qkv (B,T,3C) */
    attention_forward(a.atty, a.att, a.qkv, B, T, C, NH);                        /* atty (B,T,C), att (B,NH,T,T) */
    matmul_forward_residual(a.residual2, a.atty, w.attprojw, w.attprojb, x, BT, C, C); /* residual2 (B,T,C) */

    /* The MLP half: x = x + c_proj(gelu(c_fc(ln_2(x)))). */
    layernorm_forward(a.ln2, a.ln2_mean, a.ln2_rstd, a.residual2, w.ln2w, w.ln2b, BT, C); /* ln2 (B,T,C) */
    matmul_forward(a.fch, a.ln2, w.fcw, w.fcb, BT, C, 4 * C);                    /* fch (B,T,4C) */
    gelu_forward(a.fch_gelu, a.fch, BT * 4 * C);                                 /* fch_gelu (B,T,4C) */
    /* residual3 (B,T,C) = residual2 + the MLP's projection */
    matmul_forward_residual(a.residual3, a.fch_gelu, w.fcprojw, w.fcprojb, a.residual2, BT, 4 * C, C);
}

double model_forward(struct bg_model *m, const uint8_t *inputs, const uint8_t *targets,
                     size_t B, size_t T)
{
    size_t C = m->cfg.C, V = m->cfg.V, L = m->cfg.L, BT = B * T;
    struct bg_acts *a = &m->a;
    const struct bg_params *p = &m->p;
    m->B = B;
    m->T = T;
    m->inputs = inputs;
    m->targets = targets;

    encoder_forward(a->encoded, inputs, p->wte, p->wpe, B, T, C);                /* encoded (B,T,C) */
    if (m->cfg.bigram)
        bigram_forward(a->encoded, inputs, p->bigram, B, T, C);                   /* encoded += bigram rows */
    for (size_t l = 0; l < L; l++)
        block_forward(m, l, block_input(m, l), B, T);                            /* residual3[l] (B,T,C) */
    layernorm_forward(a->lnf, a->lnf_mean, a->lnf_rstd, block_input(m, L), p->lnfw, p->lnfb, BT, C); /* lnf */
    /* The LM head is the token embedding: logits = lnf . wte^T, no bias.
     * The logits are turned into probabilities in place; without targets
     * the loss is 0 and only the probabilities are computed. */
    matmul_forward(a->probs, a->lnf, p->wte, NULL, BT, C, V);                    /* logits (B,T,V) */
    m->loss = crossentropy_forward(a->probs, a->losses, a->probs, targets, BT, V); /* probs (B,T,V) */
    return m->loss;
}

const float *model_probs(const struct bg_model *m, size_t b, size_t t)
{
    return m->a.probs + (b * m->T + t) * m->cfg.V;
}

/* ---- Backward ---- */

/* x (n) = 0, the threads sharing fixed spans: a memset of tens of MB on
 * one core would leave the others idle. */
#define ZERO_SPAN 16384

static void zero_floats(float *x, size_t n)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i += ZERO_SPAN)
        memset(x + i, 0, (n - i < ZERO_SPAN ? n - i : ZERO_SPAN) * sizeof(float));
}

void model_zero_grad(struct bg_model *m)
{
    zero_floats(m->grads, m->num_params);
}

size_t model_dense_params(const struct bg_model *m)
{
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(&m->cfg, t);
    return m->num_params - t[BG_N_TENSORS - 1].size;
}

void model_zero_grad_dense(struct bg_model *m)
{
    zero_floats(m->grads, model_dense_params(m));
}

/* The gradient of block l, last operation first. On entry d->residual
 * holds the gradient of the block's output (residual3); on exit, of its
 * input x. Each kernel adds (+=) into the gradient it computes, so that
 * buffer is zeroed just before it, except where a matmul's input gradient
 * is fresh: matmul_backward_into writes it (=) and needs no zeroing.
 * Comments name the gradient computed. */
static void block_backward(struct bg_model *m, size_t l, const float *x, size_t B, size_t T)
{
    size_t C = m->cfg.C, NH = m->cfg.NH, BT = B * T;
    struct bg_params w = layer_params(m, &m->p, l), g = layer_params(m, &m->g, l);
    struct bg_acts a = layer_acts(m, l);
    struct bg_act_grads *d = &m->d;
    float *dres = d->residual;

    /* The MLP half. residual3 = residual2 + mlp, so the residual stream's
     * gradient passes through unchanged (dres keeps it) and is also the
     * gradient of the MLP's output. */
    matmul_backward_into(d->fch_gelu, g.fcprojw, g.fcprojb, dres, a.fch_gelu, w.fcprojw, BT, 4 * C, C); /* fch_gelu */
    /* In place: d->fch_gelu becomes the gradient of fch (B,T,4C). */
    gelu_backward_into(d->fch_gelu, a.fch, d->fch_gelu, BT * 4 * C);
    matmul_backward_into(d->ln, g.fcw, g.fcb, d->fch_gelu, a.ln2, w.fcw, BT, C, 4 * C); /* ln2 (B,T,C) */
    /* dres (B,T,C) += the gradient through ln_2 */
    layernorm_backward(dres, g.ln2w, g.ln2b, d->ln, a.residual2, w.ln2w, a.ln2_mean, a.ln2_rstd, BT, C);

    /* The attention half: now dres is the gradient of residual2. */
    matmul_backward_into(d->atty, g.attprojw, g.attprojb, dres, a.atty, w.attprojw, BT, C, C); /* atty (B,T,C) */
    attention_backward_into(d->qkv, d->att, d->atty, a.qkv, a.att, B, T, C, NH); /* qkv (B,T,3C) */
    matmul_backward_into(d->ln, g.qkvw, g.qkvb, d->qkv, a.ln1, w.qkvw, BT, C, 3 * C); /* ln1 (B,T,C) */
    /* dres (B,T,C) += the gradient through ln_1: now that of x */
    layernorm_backward(dres, g.ln1w, g.ln1b, d->ln, x, w.ln1w, a.ln1_mean, a.ln1_rstd, BT, C);
}

void model_backward(struct bg_model *m, float loss_scale)
{
    size_t B = m->B, T = m->T, C = m->cfg.C, V = m->cfg.V, L = m->cfg.L, BT = B * T;
    const struct bg_acts *a = &m->a;
    const struct bg_params *p = &m->p, *g = &m->g;
    struct bg_act_grads *d = &m->d;

    /* The loss is the mean over BT positions, so each position's loss has
     * gradient loss_scale / BT. */
    zero_floats(d->logits, BT * V);
    crossentropy_backward(d->logits, a->probs, m->targets, BT, V, loss_scale / (float)BT); /* logits (B,T,V) */
    matmul_backward_into(d->ln, g->wte, NULL, d->logits, a->lnf, p->wte, BT, C, V); /* lnf (B,T,C), wte */
    zero_floats(d->residual, BT * C);
    /* d->residual (B,T,C) = the gradient of the last block's output, through ln_f */
    layernorm_backward(d->residual, g->lnfw, g->lnfb, d->ln, block_input(m, L), p->lnfw, a->lnf_mean, a->lnf_rstd,
                       BT, C);
    for (size_t l = L; l-- > 0;)
        block_backward(m, l, block_input(m, l), B, T);                           /* of block l's input */
    encoder_backward(g->wte, g->wpe, d->residual, m->inputs, B, T, C);           /* wte, wpe */
    if (m->cfg.bigram)
        bigram_backward(g->bigram, d->residual, m->inputs, B, T, C);             /* the rows used */
}
