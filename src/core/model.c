/* model: the GPT-2-style transformer's forward and backward passes.
 * See model.h for the picture; model_layout.c sizes, allocates and
 * initialises what these run on. */
#include "bytegpt/model.h"

#include <string.h>

#include "bytegpt/bigram.h"
#include "bytegpt/ops_attention.h"
#include "bytegpt/ops_layernorm.h"
#include "bytegpt/ops_loss.h"
#include "bytegpt/ops_matmul.h"
#include "bytegpt/ops_pointwise.h"
#include "bytegpt/ops_rotary.h"
#include "model_layout.h"

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
    model_param_fields(&p, fields);
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
    size_t mean_rows = m->cfg.norm == BG_NORM_LAYER ? rows : 0; /* RMSNorm keeps no mean */
    struct bg_acts a = m->a;
    a.ln1 += rows * C;
    a.ln1_mean += mean_rows;
    a.ln1_rstd += rows;
    a.qkv += rows * 3 * C;
    if (m->cfg.qk_norm)
        a.qk_rstd += rows * 2 * m->cfg.NH;
    a.atty += rows * C;
    a.att += rows * m->cfg.NH * m->cfg.ctx;
    a.residual2 += rows * C;
    a.ln2 += rows * C;
    a.ln2_mean += mean_rows;
    a.ln2_rstd += rows;
    a.fch += rows * 4 * C;
    a.fch_act += rows * 4 * C;
    a.residual3 += rows * C;
    return a;
}

/* The input of block l (B,T,C): the embeddings, or the previous block's output. */
static const float *block_input(const struct bg_model *m, size_t l)
{
    return l == 0 ? m->a.encoded : layer_acts(m, l - 1).residual3;
}

/* ---- The recipe's choices ---- */

/* The three normalisations (ln_1, ln_2, ln_f): LayerNorm with its weight
 * and bias, or RMSNorm with the weight alone, in which case bias is a
 * tensor of size 0 and mean is neither written nor read.
 * out (BT,C), mean (BT), rstd (BT) = the normalisation of x (BT,C). */
static void norm_forward(const struct bg_model *m, float *out, float *mean, float *rstd, const float *x,
                         const float *weight, const float *bias, size_t BT)
{
    if (m->cfg.norm == BG_NORM_RMS)
        rmsnorm_forward(out, rstd, x, weight, BT, m->cfg.C);
    else
        layernorm_forward(out, mean, rstd, x, weight, bias, BT, m->cfg.C);
}

/* dx (BT,C), dweight (C), dbias (C) += the gradients of norm_forward given dout (BT,C). */
static void norm_backward(const struct bg_model *m, float *dx, float *dweight, float *dbias, const float *dout,
                          const float *x, const float *weight, const float *mean, const float *rstd, size_t BT)
{
    if (m->cfg.norm == BG_NORM_RMS)
        rmsnorm_backward(dx, dweight, dout, x, weight, rstd, BT, m->cfg.C);
    else
        layernorm_backward(dx, dweight, dbias, dout, x, weight, mean, rstd, BT, m->cfg.C);
}

/* The MLP's activation: out (N) = GELU or ReLU^2 of inp (N). */
static void act_forward(const struct bg_model *m, float *out, const float *inp, size_t N)
{
    if (m->cfg.act == BG_ACT_RELU2)
        relu2_forward(out, inp, N);
    else
        gelu_forward(out, inp, N);
}

/* dinp (N) = the activation's slope at inp (N) times dout (N); dinp may be dout. */
static void act_backward_into(const struct bg_model *m, float *dinp, const float *inp, const float *dout, size_t N)
{
    if (m->cfg.act == BG_ACT_RELU2)
        relu2_backward_into(dinp, inp, dout, N);
    else
        gelu_backward_into(dinp, inp, dout, N);
}

/* The LM head's matrix (V,C) in p (parameters or gradients): the token
 * embedding itself when tied, a matrix of its own, lmhead, when untied. */
static float *head_of(const struct bg_model *m, const struct bg_params *p)
{
    return m->cfg.head == BG_HEAD_UNTIED ? p->lmhead : p->wte;
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
    norm_forward(m, a.ln1, a.ln1_mean, a.ln1_rstd, x, w.ln1w, w.ln1b, BT);      /* ln1 (B,T,C) */
    matmul_forward(a.qkv, a.ln1, w.qkvw, w.qkvb, BT, C, 3 * C);                  /* qkv (B,T,3C) */
    if (m->cfg.qk_norm)
        qknorm_forward(a.qkv, a.qk_rstd, BT, C, NH);                             /* q, k over their rms, in place */
    if (m->cfg.pos == BG_POS_ROTARY)
        rotary_forward(a.qkv, a.rope_cos, a.rope_sin, B, T, C, NH);              /* q, k turned by position, in place */
    attention_forward(a.atty, a.att, a.qkv, B, T, C, NH);                        /* atty (B,T,C), att (B,NH,T,T) */
    matmul_forward_residual(a.residual2, a.atty, w.attprojw, w.attprojb, x, BT, C, C); /* residual2 (B,T,C) */

    /* The MLP half: x = x + c_proj(act(c_fc(ln_2(x)))), act GELU or ReLU^2. */
    norm_forward(m, a.ln2, a.ln2_mean, a.ln2_rstd, a.residual2, w.ln2w, w.ln2b, BT); /* ln2 (B,T,C) */
    matmul_forward(a.fch, a.ln2, w.fcw, w.fcb, BT, C, 4 * C);                    /* fch (B,T,4C) */
    act_forward(m, a.fch_act, a.fch, BT * 4 * C);                                /* fch_act (B,T,4C) */
    /* residual3 (B,T,C) = residual2 + the MLP's projection */
    matmul_forward_residual(a.residual3, a.fch_act, w.fcprojw, w.fcprojb, a.residual2, BT, 4 * C, C);
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

    /* Rotary positions have no table: the token rows alone. */
    const float *wpe = m->cfg.pos == BG_POS_ROTARY ? NULL : p->wpe;
    encoder_forward(a->encoded, inputs, p->wte, wpe, B, T, C);                   /* encoded (B,T,C) */
    if (m->cfg.bigram)
        bigram_forward(a->encoded, inputs, p->bigram, B, T, C);                   /* encoded += bigram rows */
    for (size_t l = 0; l < L; l++)
        block_forward(m, l, block_input(m, l), B, T);                            /* residual3[l] (B,T,C) */
    norm_forward(m, a->lnf, a->lnf_mean, a->lnf_rstd, block_input(m, L), p->lnfw, p->lnfb, BT); /* lnf */
    /* The LM head: logits = lnf . head^T, no bias, the head being the
     * token embedding (tied) or lmhead (untied). Soft-capping, when on,
     * squashes the logits in place and keeps their tanh for backward. The
     * logits are turned into probabilities in place; without targets the
     * loss is 0 and only the probabilities are computed. */
    matmul_forward(a->probs, a->lnf, head_of(m, p), NULL, BT, C, V);             /* logits (B,T,V) */
    if (m->cfg.softcap > 0)
        softcap_forward(a->probs, a->logits_tanh, a->probs, (float)m->cfg.softcap, BT * V); /* capped logits */
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

void model_zero_grad_dense(struct bg_model *m)
{
    zero_floats(m->grads, config_dense_params(&m->cfg));
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
    matmul_backward_into(d->fch_act, g.fcprojw, g.fcprojb, dres, a.fch_act, w.fcprojw, BT, 4 * C, C); /* fch_act */
    /* In place: d->fch_act becomes the gradient of fch (B,T,4C). */
    act_backward_into(m, d->fch_act, a.fch, d->fch_act, BT * 4 * C);
    matmul_backward_into(d->ln, g.fcw, g.fcb, d->fch_act, a.ln2, w.fcw, BT, C, 4 * C); /* ln2 (B,T,C) */
    /* dres (B,T,C) += the gradient through ln_2 */
    norm_backward(m, dres, g.ln2w, g.ln2b, d->ln, a.residual2, w.ln2w, a.ln2_mean, a.ln2_rstd, BT);

    /* The attention half: now dres is the gradient of residual2. */
    matmul_backward_into(d->atty, g.attprojw, g.attprojb, dres, a.atty, w.attprojw, BT, C, C); /* atty (B,T,C) */
    attention_backward_into(d->qkv, d->att, d->atty, a.qkv, a.att, B, T, C, NH); /* qkv (B,T,3C) */
    /* In place, back through rotary and QK-norm to the projection's q and
     * k: QK-norm's backward first, on the rotated q and k that a.qkv holds,
     * which is exact because rotating keeps a head's norm (ops_rotary.c). */
    if (m->cfg.qk_norm)
        qknorm_backward(d->qkv, a.qkv, a.qk_rstd, BT, C, NH);
    if (m->cfg.pos == BG_POS_ROTARY)
        rotary_backward(d->qkv, a.rope_cos, a.rope_sin, B, T, C, NH);
    matmul_backward_into(d->ln, g.qkvw, g.qkvb, d->qkv, a.ln1, w.qkvw, BT, C, 3 * C); /* ln1 (B,T,C) */
    /* dres (B,T,C) += the gradient through ln_1: now that of x */
    norm_backward(m, dres, g.ln1w, g.ln1b, d->ln, x, w.ln1w, a.ln1_mean, a.ln1_rstd, BT);
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
    if (m->cfg.softcap > 0) /* in place: now the gradient of the logits before the cap */
        softcap_backward_into(d->logits, a->logits_tanh, d->logits, BT * V);
    /* lnf (B,T,C), and the head: wte's first share of its gradient when
     * tied (the encoder adds the rest), lmhead's whole one when untied. */
    matmul_backward_into(d->ln, head_of(m, g), NULL, d->logits, a->lnf, head_of(m, p), BT, C, V);
    zero_floats(d->residual, BT * C);
    /* d->residual (B,T,C) = the gradient of the last block's output, through ln_f */
    norm_backward(m, d->residual, g->lnfw, g->lnfb, d->ln, block_input(m, L), p->lnfw, a->lnf_mean, a->lnf_rstd,
                  BT);
    for (size_t l = L; l-- > 0;)
        block_backward(m, l, block_input(m, l), B, T);                           /* of block l's input */
    float *dwpe = m->cfg.pos == BG_POS_ROTARY ? NULL : g->wpe;
    encoder_backward(g->wte, dwpe, d->residual, m->inputs, B, T, C);            /* wte (and wpe) */
    if (m->cfg.bigram)
        bigram_backward(g->bigram, d->residual, m->inputs, B, T, C);             /* the rows used */
}
