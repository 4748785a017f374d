/* train: see train.h. */
#include "bytegpt/train.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "bytegpt/dist.h"
#include "bytegpt/muon.h"

/* ---- Threads ---- */

void train_set_threads(int n)
{
    /* 0 (the default) means this process's share of the cores. */
    if (n <= 0)
        n = dist_default_threads();
    openblas_set_num_threads(n);
    omp_set_num_threads(n);
}

/* ---- The trainer ---- */

void trainer_adamw_view(int optim, const struct bg_tensor t[BG_N_TENSORS], struct bg_tensor view[BG_N_TENSORS])
{
    memcpy(view, t, BG_N_TENSORS * sizeof *t);
    for (int i = 0; i < BG_N_TENSORS; i++)
        if (i == BG_TENSOR_BIGRAM || (optim == BG_OPT_MUON && muon_is_target(&t[i])))
            view[i].size = 0; /* adamw_update passes over a tensor of no floats */
}

/* The floats of the bigram table's packed gradient: a row per position of
 * the step's batches at most, and never more than the table has. */
static size_t bigram_packed_floats(const struct bg_train_config *cfg, size_t ranks)
{
    if (!cfg->model.bigram)
        return 0;
    size_t positions = cfg->batch * cfg->model.ctx * cfg->accum * ranks;
    return (positions < BG_BIGRAM_ROWS ? positions : BG_BIGRAM_ROWS) * cfg->model.C;
}

int trainer_init(struct bg_trainer *t, const struct bg_train_config *cfg, struct bg_corpus *corpus, size_t rank,
                 size_t ranks, struct bg_error *err)
{
    memset(t, 0, sizeof *t);
    t->cfg = *cfg;
    t->corpus = corpus;
    t->rank = rank;
    t->ranks = ranks;
    t->opt = (struct bg_adamw){(float)cfg->beta1, (float)cfg->beta2, 1e-8f, (float)cfg->weight_decay};
    model_tensors(&cfg->model, t->tensors);
    /* Under Muon, the Newton-Schulz scratch of the largest matrix is
     * carved here, once: every layer's matrix reuses it in turn. */
    size_t muon_floats = cfg->optim == BG_OPT_MUON ? muon_scratch_floats(t->tensors) : 0;
    trainer_adamw_view(cfg->optim, t->tensors, t->adamw_tensors);
    int rc = model_init(&t->model, &cfg->model, cfg->batch, err);
    if (rc)
        return rc;
    size_t n = cfg->batch * cfg->model.ctx, packed = bigram_packed_floats(cfg, ranks);
    size_t rows = cfg->model.bigram ? bigram_rows_bytes() : 0;
    rc = arena_init(&t->io,
                    2 * arena_round(n) + arena_round(rows) + arena_round(packed * sizeof(float)) +
                        arena_round(muon_floats * sizeof(float)),
                    err);
    if (rc) {
        model_free(&t->model);
        return rc;
    }
    t->inputs = arena_carve(&t->io, n);
    t->targets = arena_carve(&t->io, n);
    if (cfg->model.bigram) {
        bigram_rows_init(&t->rows, arena_carve(&t->io, rows));
        t->packed = arena_carve(&t->io, packed * sizeof(float));
    }
    t->muon_scratch = muon_floats ? arena_carve(&t->io, muon_floats * sizeof(float)) : NULL;
    return BG_OK;
}

void trainer_free(struct bg_trainer *t)
{
    model_free(&t->model);
    arena_free(&t->io);
}

/* The error of a step whose loss or gradient norm is not finite. It blames
 * the loss when the loss went wrong (a bad loss makes a bad gradient, so the
 * loss is the cause), else the gradient norm, and says whether the value
 * became NaN or infinite. */
static int step_diverged(uint64_t step, double loss, double norm, struct bg_error *err)
{
    const char *what = "loss";
    double bad = loss;
    if (isfinite(loss)) {
        what = "gradient norm";
        bad = norm;
    }
    return bg_fail(err, BG_ERR_RUNTIME,
                   "step %llu: the %s became %s (loss %g, gradient norm %g); the parameters were not updated. "
                   "Try a lower --lr or a smaller --clip",
                   (unsigned long long)step, what, isnan(bad) ? "NaN" : "infinite", loss, norm);
}

/* Under --optim muon, Muon for the blocks' matrices, after AdamW has
 * updated the rest. Every rank holds the same summed gradient and runs
 * the same arithmetic on it (the momentum from the step count, which all
 * share), so every rank's parameters stay the same. */
static void muon_apply(struct bg_trainer *t, double lr)
{
    struct bg_model *m = &t->model;
    struct bg_muon s = {(float)lr, (float)muon_momentum(t->step), (float)t->cfg.weight_decay};
    muon_step(&s, t->tensors, m->params, m->grads, m->m, t->muon_scratch);
}

/* The step's gradient: forward and backward over this rank's micro-
 * batches, their gradients summed, so they are zeroed once, before the
 * first. Each micro-batch's loss is the mean over its positions; scaling
 * by 1/all makes the sum the mean over the whole batch. Every rank draws
 * every micro-batch (a copy of bytes, cheap), so that all copies of the
 * corpus stay at the same place, and computes only its own block of k
 * (train.h). Adds this rank's share of the loss to *loss. */
static int step_gradients(struct bg_trainer *t, double *loss, struct bg_error *err)
{
    struct bg_model *m = &t->model;
    size_t B = t->cfg.batch, T = t->cfg.model.ctx, k = t->cfg.accum, all = t->ranks * k;
    int bigram = t->cfg.model.bigram;
    model_zero_grad_dense(m);
    if (bigram)
        bigram_rows_clear(&t->rows);
    for (size_t micro = 0; micro < all; micro++) {
        int rc = corpus_next_batch(t->corpus, t->inputs, t->targets, B, T, err);
        if (rc)
            return rc;
        /* Every rank lists every micro-batch's bigram rows, so that all
         * ranks hold the same list, in the same order. */
        if (bigram)
            bigram_rows_mark(&t->rows, t->inputs, B, T);
        if (micro / k != t->rank)
            continue;
        *loss += model_forward(m, t->inputs, t->targets, B, T) / (double)all;
        model_backward(m, 1.0f / (float)all);
    }
    return BG_OK;
}

/* The ranks' partial sums become the whole step's, on every rank: the
 * dense gradients, the bigram table's rows (packed out of the table, which
 * is left at zero for the next step), and the loss. Returns the floats of
 * the packed rows. */
static size_t step_reduce(struct bg_trainer *t, double *loss)
{
    struct bg_model *m = &t->model;
    size_t packed = 0;
    if (t->cfg.model.bigram) {
        bigram_rows_gather(&t->rows, m->g.bigram, t->packed, t->cfg.model.C);
        packed = t->rows.n * t->cfg.model.C;
    }
    dist_sum_floats(m->grads, config_dense_params(&m->cfg));
    if (packed) /* the same on every rank: the same rows */
        dist_sum_floats(t->packed, packed);
    dist_sum_doubles(loss, 1);
    return packed;
}

/* The update: AdamW for its tensors, the bigram table's rows, and under
 * --optim muon Muon for the blocks' matrices. */
static void step_update(struct bg_trainer *t, double lr, double muon_lr)
{
    struct bg_model *m = &t->model;
    adamw_update(&t->opt, t->adamw_tensors, m->params, m->grads, m->m, m->v, (float)lr, t->step + 1);
    if (t->cfg.model.bigram)
        adamw_update_rows(&t->opt, &t->tensors[BG_TENSOR_BIGRAM], t->rows.list, t->rows.n, m->params, t->packed,
                          m->m, m->v, (float)lr, t->step + 1);
    if (t->cfg.optim == BG_OPT_MUON)
        muon_apply(t, muon_lr);
}

int trainer_step(struct bg_trainer *t, double lr, double muon_lr, struct bg_step_result *r, struct bg_error *err)
{
    struct bg_model *m = &t->model;
    double loss = 0.0;
    int rc = step_gradients(t, &loss, err);
    if (rc)
        return rc;
    size_t packed = step_reduce(t, &loss);
    double norm = adamw_clip_parts(m->grads, config_dense_params(&m->cfg), t->packed, packed, t->cfg.clip);
    if (!isfinite(loss) || !isfinite(norm)) {
        rc = step_diverged(t->step + 1, loss, norm, err);
        if (t->rank > 0 && err) /* every rank stops here; rank 0 says why */
            err->msg[0] = '\0';
        return rc;
    }
    step_update(t, lr, muon_lr);
    t->step++;
    t->tokens += (uint64_t)(t->cfg.batch * t->cfg.model.ctx * t->ranks * t->cfg.accum);
    r->loss = loss;
    r->grad_norm = norm;
    r->lr = lr;
    return BG_OK;
}

double trainer_evaluate(struct bg_trainer *t)
{
    size_t B = t->cfg.batch, T = t->cfg.model.ctx, n = t->cfg.eval_batches;
    double sum = 0.0;
    for (size_t i = t->rank; i < n; i += t->ranks) {
        corpus_val_batch(t->corpus, t->inputs, t->targets, i, n, B, T);
        sum += model_forward(&t->model, t->inputs, t->targets, B, T);
    }
    dist_sum_doubles(&sum, 1);
    return sum / (double)n;
}
