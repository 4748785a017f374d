/* profile: see profile.h.
 *
 * Why a separate path instead of timers inside the step: a clock around
 * each of the 28 kernel calls in model.c would measure the same thing, but
 * it would turn the forward and backward passes into timing code that a
 * student has to read past. Here the step stays clean and this file says,
 * once, which kernels a step runs at which shapes. The price is that the
 * list below restates model.c's passes by shape: a change to the kernels
 * model_forward or model_backward call must be made here too
 * (tests/unit/test_profile.c checks that the matmuls below are the model's
 * weight matrices, each once). */
#include "bytegpt/profile.h"

#include <string.h>

#include "bytegpt/adamw.h"
#include "bytegpt/bigram.h"
#include "bytegpt/clock.h"
#include "bytegpt/muon.h"
#include "bytegpt/ops_attention.h"
#include "bytegpt/ops_layernorm.h"
#include "bytegpt/ops_loss.h"
#include "bytegpt/ops_matmul.h"
#include "bytegpt/ops_pointwise.h"
#include "bytegpt/ops_rotary.h"

const char *const bg_phase_names[BG_N_PHASES] = {
    "matmul forward", "matmul backward", "attention forward", "attention backward", "layernorm",
    "gelu", "softmax + loss", "embedding", "clip + AdamW", "optimizer (Muon NS)", "data loading",
};

void profile_matmuls(const struct bg_config *cfg, struct bg_matmul_shape s[BG_PROFILE_N_MATMULS])
{
    size_t L = cfg->L, C = cfg->C;
    const struct bg_matmul_shape shapes[BG_PROFILE_N_MATMULS] = {
        {L, C, 3 * C, 1, 0}, /* qkv = ln1 . qkvw^T + qkvb */
        {L, C, C, 1, 1},     /* attention output projection, + the block's input */
        {L, C, 4 * C, 1, 0}, /* MLP up: fch = ln2 . fcw^T + fcb */
        {L, 4 * C, C, 1, 1}, /* MLP down: fch_gelu . fcprojw^T + fcprojb, + residual2 */
        {1, C, cfg->V, 0, 0}, /* LM head: logits = lnf . wte^T, tied, no bias */
    };
    memcpy(s, shapes, sizeof shapes);
}

/* ---- Scratch ---- */

/* Floats in the widest activation row (the MLP's 4C or the logits' V),
 * in the weight (the largest matmul weight, or wte and wpe side by side for
 * the embedding), and in x, y and dx. */
static size_t wide(const struct bg_profile *p)
{
    return 4 * p->cfg.C > p->cfg.V ? 4 * p->cfg.C : p->cfg.V;
}

static size_t weight_size(const struct bg_profile *p)
{
    size_t rows = p->cfg.V + p->T;
    return (4 * p->cfg.C > rows ? 4 * p->cfg.C : rows) * p->cfg.C;
}

static size_t act_size(const struct bg_profile *p)
{
    return p->B * p->T * wide(p);
}

/* The float pieces of the scratch arena in carving order, sizes in floats;
 * the two byte buffers (inputs, targets) follow them. The last five are the
 * recipe's and have no floats when it does not use them: the rotary
 * table, QK-norm's rstd, the soft cap's tanh, the bigram table and its
 * gradient (a scratch pair, so that measuring never touches the trainer's
 * table, whose gradient the trainer keeps at zero between steps). */
enum { N_FLOAT_PIECES = 21 };

static void piece_sizes(const struct bg_profile *p, size_t num_params, size_t s[N_FLOAT_PIECES])
{
    size_t BT = p->B * p->T, att = p->B * p->cfg.NH * p->T * p->T;
    size_t rope = p->cfg.pos == BG_POS_ROTARY ? p->T * (p->cfg.C / p->cfg.NH) / 2 : 0;
    size_t table = p->cfg.bigram ? (size_t)BG_BIGRAM_ROWS * p->cfg.C : 0;
    size_t sizes[N_FLOAT_PIECES] = {
        act_size(p), act_size(p), act_size(p), /* x, y, dx */
        weight_size(p), weight_size(p),        /* w, dw */
        wide(p), wide(p),                      /* vec, dvec */
        BT, BT, BT,                            /* mean, rstd, losses */
        att, att,                              /* att, datt */
        num_params, num_params, num_params,    /* params, m, v */
        rope, rope,                            /* rope_cos, rope_sin */
        p->cfg.qk_norm ? BT * 2 * p->cfg.NH : 0, /* qk_rstd */
        p->cfg.softcap > 0 ? BT * p->cfg.V : 0, /* th */
        table, table,                          /* bigram, dbigram */
    };
    memcpy(s, sizes, sizeof sizes);
}

/* A fixed pattern in [-1, 1). The kernels do the same work whatever the
 * values (only the clip's work depends on them, see clip_and_update), so
 * finite values of a sensible size time as real ones do. */
static void fill(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((i * 2654435761u) % 2048) / 1024.0f - 1.0f;
}

int profile_init(struct bg_profile *p, const struct bg_trainer *t, struct bg_error *err)
{
    memset(p, 0, sizeof *p);
    p->cfg = t->cfg.model;
    p->B = t->cfg.batch;
    p->T = t->cfg.model.ctx;
    p->accum = t->cfg.accum;
    profile_matmuls(&p->cfg, p->mm);

    p->muon = t->cfg.optim == BG_OPT_MUON;
    memcpy(p->tensors, t->tensors, sizeof p->tensors);
    size_t ns = p->muon ? muon_scratch_floats(p->tensors) : 0;
    size_t s[N_FLOAT_PIECES], BT = p->B * p->T, total = 2 * arena_round(BT) + arena_round(ns * sizeof(float));
    piece_sizes(p, t->model.num_params, s);
    for (int i = 0; i < N_FLOAT_PIECES; i++)
        total += arena_round(s[i] * sizeof(float));
    int rc = arena_init(&p->arena, total, err);
    if (rc)
        return rc;
    float **pieces[N_FLOAT_PIECES] = {
        &p->x,    &p->y,    &p->dx,     &p->w,   &p->dw,   &p->vec, &p->dvec, &p->mean,
        &p->rstd, &p->losses, &p->att, &p->datt, &p->params, &p->m,  &p->v,
        &p->rope_cos, &p->rope_sin, &p->qk_rstd, &p->th, &p->bigram, &p->dbigram,
    };
    for (int i = 0; i < N_FLOAT_PIECES; i++)
        *pieces[i] = arena_carve(&p->arena, s[i] * sizeof(float));
    p->inputs = arena_carve(&p->arena, BT);
    p->targets = arena_carve(&p->arena, BT);
    /* The iterates stay bounded only from a norm at or below 1 (muon.h),
     * as muon_update makes them: the pattern, scaled down. */
    p->ns = ns ? arena_carve(&p->arena, ns * sizeof(float)) : NULL;
    fill(p->ns, ns);
    for (size_t i = 0; i < ns; i++)
        p->ns[i] /= (float)ns;
    fill(p->x, act_size(p));
    fill(p->w, weight_size(p));
    fill(p->vec, wide(p));
    fill(p->bigram, s[19]);
    if (p->cfg.pos == BG_POS_ROTARY)
        rotary_table(p->rope_cos, p->rope_sin, p->T, p->cfg.C / p->cfg.NH);
    return BG_OK;
}

void profile_free(struct bg_profile *p)
{
    arena_free(&p->arena);
    memset(p, 0, sizeof *p);
}

/* ---- The kernels of one micro-batch, by phase ----
 *
 * Each function runs every call model_forward and model_backward make to
 * one kind of kernel, at the same shapes: x is read, y written (and read
 * as the gradient flowing back), dx, dw and dvec take the gradients. */

/* The projections into the residual stream add it in the same sweep
 * (x stands for the stream: it is only read). */
static void matmul_forwards(struct bg_profile *p)
{
    size_t BT = p->B * p->T;
    for (int i = 0; i < BG_PROFILE_N_MATMULS; i++) {
        const struct bg_matmul_shape *s = &p->mm[i];
        for (size_t n = 0; n < s->count; n++)
            matmul_forward_residual(p->y, p->x, p->w, s->bias ? p->vec : NULL, s->residual ? p->x : NULL, BT, s->C,
                                    s->OC);
    }
}

static void matmul_backwards(struct bg_profile *p)
{
    size_t BT = p->B * p->T;
    for (int i = 0; i < BG_PROFILE_N_MATMULS; i++)
        for (size_t n = 0; n < p->mm[i].count; n++)
            matmul_backward_into(p->dx, p->dw, p->mm[i].bias ? p->dvec : NULL, p->y, p->x, p->w, BT, p->mm[i].C,
                            p->mm[i].OC);
}

/* One causal self-attention per block, after QK-norm and rotary on q and
 * k in place when the recipe has them (x stands for qkv). */
static void attention_forwards(struct bg_profile *p)
{
    size_t B = p->B, T = p->T, C = p->cfg.C, NH = p->cfg.NH;
    for (size_t l = 0; l < p->cfg.L; l++) {
        if (p->cfg.qk_norm)
            qknorm_forward(p->x, p->qk_rstd, B * T, C, NH);
        if (p->cfg.pos == BG_POS_ROTARY)
            rotary_forward(p->x, p->rope_cos, p->rope_sin, B, T, C, NH);
        attention_forward(p->y, p->att, p->x, B, T, C, NH);
    }
}

static void attention_backwards(struct bg_profile *p)
{
    size_t B = p->B, T = p->T, C = p->cfg.C, NH = p->cfg.NH;
    for (size_t l = 0; l < p->cfg.L; l++) {
        attention_backward_into(p->dx, p->datt, p->y, p->x, p->att, B, T, C, NH);
        if (p->cfg.qk_norm)
            qknorm_backward(p->dx, p->x, p->qk_rstd, B * T, C, NH);
        if (p->cfg.pos == BG_POS_ROTARY)
            rotary_backward(p->dx, p->rope_cos, p->rope_sin, B, T, C, NH);
    }
}

/* ln_1 and ln_2 in each block and ln_f, forward and backward: LayerNorm
 * or RMSNorm. */
static void layernorms(struct bg_profile *p)
{
    size_t BT = p->B * p->T, C = p->cfg.C, n = 2 * p->cfg.L + 1;
    int rms = p->cfg.norm == BG_NORM_RMS;
    for (size_t i = 0; i < n; i++)
        if (rms)
            rmsnorm_forward(p->y, p->rstd, p->x, p->vec, BT, C);
        else
            layernorm_forward(p->y, p->mean, p->rstd, p->x, p->vec, p->vec + C, BT, C);
    for (size_t i = 0; i < n; i++)
        if (rms)
            rmsnorm_backward(p->dx, p->dvec, p->y, p->x, p->vec, p->rstd, BT, C);
        else
            layernorm_backward(p->dx, p->dvec, p->dvec + C, p->y, p->x, p->vec, p->mean, p->rstd, BT, C);
}

/* The MLP's activation in each block, forward and backward (in place, as
 * the model does): GELU or ReLU^2. */
static void activations(struct bg_profile *p)
{
    size_t N = p->B * p->T * 4 * p->cfg.C;
    int relu2 = p->cfg.act == BG_ACT_RELU2;
    for (size_t l = 0; l < p->cfg.L; l++)
        if (relu2)
            relu2_forward(p->y, p->x, N);
        else
            gelu_forward(p->y, p->x, N);
    for (size_t l = 0; l < p->cfg.L; l++)
        if (relu2)
            relu2_backward_into(p->y, p->x, p->y, N);
        else
            gelu_backward_into(p->y, p->x, p->y, N);
}

/* The soft cap when the recipe has it, then softmax and cross-entropy
 * over the logits, in place as the model does. */
static void losses(struct bg_profile *p)
{
    size_t BT = p->B * p->T, V = p->cfg.V;
    if (p->cfg.softcap > 0)
        softcap_forward(p->y, p->th, p->y, (float)p->cfg.softcap, BT * V);
    crossentropy_forward(p->y, p->losses, p->y, p->targets, BT, V);
    crossentropy_backward(p->dx, p->y, p->targets, BT, V, 1.0f / (float)BT);
    if (p->cfg.softcap > 0)
        softcap_backward_into(p->dx, p->th, p->dx, BT * V);
}

/* The input: the token embedding with the position embedding (wte and wpe
 * side by side in w) or without it under rotary, and the bigram table's
 * rows when the recipe has one. */
static void embeddings(struct bg_profile *p)
{
    size_t wpe = p->cfg.V * p->cfg.C, B = p->B, T = p->T, C = p->cfg.C;
    int table = p->cfg.pos == BG_POS_LEARNED;
    encoder_forward(p->y, p->inputs, p->w, table ? p->w + wpe : NULL, B, T, C);
    encoder_backward(p->dw, table ? p->dw + wpe : NULL, p->y, p->inputs, B, T, C);
    if (p->cfg.bigram) {
        bigram_forward(p->y, p->inputs, p->bigram, B, T, C);
        bigram_backward(p->dbigram, p->y, p->inputs, B, T, C);
    }
}

static void (*const kernel_phases[BG_PH_OPTIM])(struct bg_profile *) = {
    [BG_PH_MATMUL_FWD] = matmul_forwards, [BG_PH_MATMUL_BWD] = matmul_backwards,
    [BG_PH_ATTN_FWD] = attention_forwards, [BG_PH_ATTN_BWD] = attention_backwards,
    [BG_PH_LAYERNORM] = layernorms,        [BG_PH_GELU] = activations,
    [BG_PH_LOSS] = losses,                 [BG_PH_EMBED] = embeddings,
};

/* ---- One step ---- */

/* Draws the step's micro-batches, as trainer_step does. */
static int draw_batches(struct bg_profile *p, struct bg_trainer *t, struct bg_error *err)
{
    for (size_t micro = 0; micro < p->accum; micro++) {
        int rc = corpus_next_batch(t->corpus, p->inputs, p->targets, p->B, p->T, err);
        if (rc)
            return rc;
    }
    return BG_OK;
}

/* Clip + AdamW (and Muon), on the model itself so that the update meets the same
 * memory as in a step, then undone. The clip's work depends on the
 * gradient (it rescales only one whose norm is above --clip), and the
 * gradient trainer_step leaves behind is already clipped, so a fresh one
 * is made first: that of the last micro-batch drawn, its zeroing and its
 * forward and backward timed apart from the phases (see profile.h). The copy of
 * the parameters and moments is taken before that forward and backward,
 * which push them out of the cache as a step does before its update. */
static void clip_and_update(struct bg_profile *p, struct bg_trainer *t, double lr)
{
    struct bg_model *m = &t->model;
    size_t bytes = m->num_params * sizeof(float);
    memcpy(p->params, m->params, bytes);
    memcpy(p->m, m->m, bytes);
    memcpy(p->v, m->v, bytes);
    double t0 = clock_now();
    model_zero_grad_dense(m); /* as trainer_step: the bigram table's gradient is zero already */
    p->zero_seconds += clock_now() - t0;
    t0 = clock_now();
    model_forward(m, p->inputs, p->targets, p->B, p->T);
    model_backward(m, 1.0f);
    p->pass_seconds += (clock_now() - t0) * (double)p->accum;

    t0 = clock_now();
    size_t packed = 0;
    if (t->cfg.model.bigram) { /* the table's rows, as trainer_step takes them */
        bigram_rows_clear(&t->rows);
        bigram_rows_mark(&t->rows, p->inputs, p->B, p->T);
        bigram_rows_gather(&t->rows, m->g.bigram, t->packed, p->cfg.C);
        packed = t->rows.n * p->cfg.C;
    }
    adamw_clip_parts(m->grads, config_dense_params(&m->cfg), t->packed, packed, t->cfg.clip);
    adamw_update(&t->opt, t->adamw_tensors, m->params, m->grads, m->m, m->v, (float)lr, t->step + 1);
    if (t->cfg.model.bigram)
        adamw_update_rows(&t->opt, &t->tensors[BG_TENSOR_BIGRAM], t->rows.list, t->rows.n, m->params, t->packed,
                          m->m, m->v, (float)lr, t->step + 1);
    p->seconds[BG_PH_OPTIM] += clock_now() - t0;
    if (p->muon) {
        struct bg_muon s = {(float)lr, (float)muon_momentum(t->step), (float)t->cfg.weight_decay};
        t0 = clock_now();
        muon_step(&s, t->tensors, m->params, m->grads, m->m, t->muon_scratch);
        p->seconds[BG_PH_MUON] += clock_now() - t0;
    }

    memcpy(m->params, p->params, bytes);
    memcpy(m->m, p->m, bytes);
    memcpy(m->v, p->v, bytes);
}

int profile_step(struct bg_profile *p, struct bg_trainer *t, double lr, struct bg_error *err)
{
    double t0 = clock_now();
    int rc = draw_batches(p, t, err);
    if (rc)
        return rc;
    p->seconds[BG_PH_DATA] += clock_now() - t0;

    clip_and_update(p, t, lr);

    /* The gradients accumulate (+=) as in backward; starting each step
     * from zero keeps them from growing without bound over many steps. */
    memset(p->dx, 0, act_size(p) * sizeof(float));
    memset(p->dw, 0, weight_size(p) * sizeof(float));
    memset(p->dvec, 0, wide(p) * sizeof(float));
    for (int phase = 0; phase < BG_PH_OPTIM; phase++) {
        t0 = clock_now();
        for (size_t micro = 0; micro < p->accum; micro++)
            kernel_phases[phase](p);
        p->seconds[phase] += clock_now() - t0;
    }
    p->steps++;
    return BG_OK;
}
