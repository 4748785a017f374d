/* model_layout: the model's sizes and where everything lives. The
 * configuration's checks, the tensor layout of the parameter block, the
 * memory both arenas need (worked out before anything is allocated),
 * allocation and carving, and the initial weights. model.c runs the
 * model on what this file lays out. See model.h for the picture. */
#include "bytegpt/model.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bytegpt/ops_rotary.h"
#include "bytegpt/tokenizer.h"
#include "model_layout.h"

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

size_t config_dense_params(const struct bg_config *cfg)
{
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(cfg, t);
    return t[BG_TENSOR_BIGRAM].offset;
}

double config_flops_per_token(const struct bg_config *cfg)
{
    return 6.0 * (double)config_dense_params(cfg) + 6.0 * (double)cfg->L * (double)cfg->ctx * (double)cfg->C;
}

/* ---- Memory: one list of sizes, used to estimate and to carve ---- */

/* The activation tensors in carving order, sizes in floats for batch B.
 * model_memory sums them; model_init carves them in the same order. What
 * a recipe does not use has size 0 and takes no memory, so GPT-2's
 * arenas are what they always were. */
enum { N_ACTS = 23, N_ACT_GRADS = 7 };

static void act_sizes(const struct bg_config *cfg, size_t B, size_t s[N_ACTS])
{
    size_t L = cfg->L, T = cfg->ctx, C = cfg->C, NH = cfg->NH, V = cfg->V, BT = B * T;
    size_t M = cfg->norm == BG_NORM_LAYER ? BT : 0;   /* RMSNorm keeps no mean */
    size_t TH = cfg->softcap > 0 ? BT * V : 0;        /* tanh of the capped logits */
    size_t QR = cfg->qk_norm ? L * BT * 2 * NH : 0;  /* QK-norm's rstd per head of q and k */
    size_t RT = cfg->pos == BG_POS_ROTARY ? T * (C / NH) / 2 : 0; /* rotary's cos (and sin) table */
    size_t sizes[N_ACTS] = {
        BT * C,                                 /* encoded */
        L * BT * C, L * M, L * BT,              /* ln1, mean, rstd */
        L * BT * 3 * C,                         /* qkv */
        L * BT * C,                             /* atty */
        L * B * NH * T * T,                     /* att */
        L * BT * C,                             /* residual2 */
        L * BT * C, L * M, L * BT,              /* ln2, mean, rstd */
        L * BT * 4 * C, L * BT * 4 * C,         /* fch, fch_act */
        L * BT * C,                             /* residual3 */
        BT * C, M, BT,                          /* lnf, mean, rstd */
        BT * V, BT,                             /* probs, losses */
        TH,                                     /* logits_tanh */
        QR,                                     /* qk_rstd */
        RT, RT,                                 /* rope_cos, rope_sin */
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

void model_param_fields(struct bg_params *p, float **fields[BG_N_TENSORS])
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
    model_param_fields(p, fields);
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
        &a->residual2, &a->ln2,     &a->ln2_mean, &a->ln2_rstd, &a->fch,      &a->fch_act,  &a->residual3,
        &a->lnf,      &a->lnf_mean, &a->lnf_rstd, &a->probs,    &a->losses,   &a->logits_tanh,
        &a->qk_rstd,  &a->rope_cos, &a->rope_sin,
    };
    struct bg_act_grads *d = &m->d;
    float **grads[N_ACT_GRADS] = {
        &d->residual, &d->ln, &d->qkv, &d->atty, &d->att, &d->fch_act, &d->logits,
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
    /* Rotary's angles depend on the position and the head size alone:
     * computed once, here, in double. */
    if (cfg->pos == BG_POS_ROTARY)
        rotary_table(m->a.rope_cos, m->a.rope_sin, cfg->ctx, cfg->C / cfg->NH);
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
 * block is the identity and the logits are uniform. The first gradient
 * reaches the head alone (what flows back through a zero head is zero);
 * once the head has moved, the projections get theirs, since their
 * inputs are not zero. */
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
