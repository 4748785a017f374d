/* train: see train.h. */
#include "bytegpt/train.h"

#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "bytegpt/dist.h"
#include "bytegpt/tokenizer.h"

/* ---- Presets ---- */

const char *const bg_preset_names[] = {"tiny", "default", "small", "medium", NULL};

/* Settings every preset shares unless it says otherwise: AdamW as GPT-3
 * and nanoGPT use it, clipping at 1, evaluation every 100 steps. */
static struct bg_train_config preset_base(void)
{
    struct bg_train_config c;
    memset(&c, 0, sizeof c);
    c.model.V = BG_VOCAB;
    c.accum = 1;
    c.weight_decay = 0.1;
    c.beta1 = 0.9;
    c.beta2 = 0.95;
    c.clip = 1.0;
    c.eval_every = 100;
    c.eval_batches = 20;
    c.sample_every = 500;
    c.ckpt_every = 200;
    c.seed = 1337;
    c.threads = 0; /* all cores */
    return c;
}

int train_preset(const char *name, struct bg_train_config *cfg, struct bg_error *err)
{
    struct bg_train_config c = preset_base();
    if (strcmp(name, "tiny") == 0) {
        /* Seconds on one core: for tests and a first look. */
        c.model = (struct bg_config){.L = 2, .NH = 2, .C = 32, .ctx = 32, .V = BG_VOCAB};
        c.batch = 8;
        c.steps = 200;
        c.lr = 3e-3;
        c.min_lr = 3e-4;
        c.warmup = 20;
        c.eval_every = 50;
        c.eval_batches = 8;
        c.sample_every = 100;
        c.ckpt_every = 50;
    } else if (strcmp(name, "default") == 0) {
        /* Learns English words from moby-dick in a few minutes on 2 cores. */
        c.model = (struct bg_config){.L = 4, .NH = 4, .C = 128, .ctx = 128, .V = BG_VOCAB};
        c.batch = 16;
        c.steps = 5000;
        c.lr = 3e-3;
        c.min_lr = 3e-4;
        c.warmup = 100;
    } else if (strcmp(name, "small") == 0) {
        c.model = (struct bg_config){.L = 6, .NH = 8, .C = 256, .ctx = 256, .V = BG_VOCAB};
        c.batch = 16;
        c.steps = 10000;
        c.lr = 1e-3;
        c.min_lr = 1e-4;
        c.warmup = 200;
    } else if (strcmp(name, "medium") == 0) {
        c.model = (struct bg_config){.L = 6, .NH = 12, .C = 384, .ctx = 256, .V = BG_VOCAB};
        c.batch = 8;
        c.steps = 20000;
        c.lr = 6e-4;
        c.min_lr = 6e-5;
        c.warmup = 400;
    } else {
        return bg_fail(err, BG_ERR_INPUT, "unknown preset '%s'; the presets are tiny, default, small, medium", name);
    }
    *cfg = c;
    return BG_OK;
}

int train_config_validate(const struct bg_train_config *c, struct bg_error *err)
{
    if (c->batch == 0 || c->accum == 0)
        return bg_fail(err, BG_ERR_INPUT, "--batch and --accum must be at least 1");
    if (c->batch > 65536 || c->accum > 65536)
        return bg_fail(err, BG_ERR_INPUT, "--batch and --accum must be at most 65536");
    /* steps 0 without a time budget is a run that only initialises. */
    if (!isfinite(c->lr) || c->lr <= 0 || c->lr > 1)
        return bg_fail(err, BG_ERR_INPUT, "--lr must be a number in (0, 1], got %g", c->lr);
    if (!isfinite(c->min_lr) || c->min_lr < 0 || c->min_lr > c->lr)
        return bg_fail(err, BG_ERR_INPUT, "--min-lr must be in [0, lr=%g], got %g", c->lr, c->min_lr);
    if (!isfinite(c->weight_decay) || c->weight_decay < 0 || c->weight_decay >= 1.0 / c->lr)
        return bg_fail(err, BG_ERR_INPUT, "--wd must be >= 0 and below 1/lr, got %g", c->weight_decay);
    if (!isfinite(c->beta1) || c->beta1 < 0 || c->beta1 >= 1)
        return bg_fail(err, BG_ERR_INPUT, "--beta1 must be in [0, 1), got %g", c->beta1);
    if (!isfinite(c->beta2) || c->beta2 < 0 || c->beta2 >= 1)
        return bg_fail(err, BG_ERR_INPUT, "--beta2 must be in [0, 1), got %g", c->beta2);
    if (!isfinite(c->clip) || c->clip < 0)
        return bg_fail(err, BG_ERR_INPUT, "--clip must be >= 0 (0 turns clipping off), got %g", c->clip);
    if (c->steps > 0 && c->warmup > c->steps)
        return bg_fail(err, BG_ERR_INPUT, "--warmup %llu is longer than the run (--steps %llu)",
                       (unsigned long long)c->warmup, (unsigned long long)c->steps);
    if (c->eval_batches == 0)
        return bg_fail(err, BG_ERR_INPUT, "--eval-batches must be at least 1");
    /* The flags cannot give these, but a checkpoint's record can (its CRC
     * guards against damage, not against a file made to pass it); a
     * resumed run would train forever with a NaN budget, or ask OpenMP
     * for a billion threads (found by tests/fuzz/fuzz_checkpoint). */
    if (!isfinite(c->time_budget) || c->time_budget < 0)
        return bg_fail(err, BG_ERR_INPUT, "--time-budget must be a positive time, got %g s", c->time_budget);
    if (c->threads < 0 || c->threads > BG_THREADS_MAX)
        return bg_fail(err, BG_ERR_INPUT, "--threads must be in [0, %d], got %d", BG_THREADS_MAX, c->threads);
    return BG_OK;
}

void train_set_threads(int n)
{
    /* 0 (the default) means this process's share of the cores. */
    if (n <= 0)
        n = dist_default_threads();
    openblas_set_num_threads(n);
    omp_set_num_threads(n);
}

/* ---- The trainer ---- */

int trainer_init(struct bg_trainer *t, const struct bg_train_config *cfg, struct bg_corpus *corpus,
                 struct bg_error *err)
{
    memset(t, 0, sizeof *t);
    int rc = train_config_validate(cfg, err);
    if (rc)
        return rc;
    t->cfg = *cfg;
    t->corpus = corpus;
    t->rank = (size_t)dist_rank();
    t->ranks = (size_t)dist_size();
    t->opt = (struct bg_adamw){(float)cfg->beta1, (float)cfg->beta2, 1e-8f, (float)cfg->weight_decay};
    model_tensors(&cfg->model, t->tensors);
    rc = model_init(&t->model, &cfg->model, cfg->batch, err);
    if (rc)
        return rc;
    size_t n = cfg->batch * cfg->model.ctx;
    rc = arena_init(&t->io, 2 * arena_round(n), err);
    if (rc) {
        model_free(&t->model);
        return rc;
    }
    t->inputs = arena_carve(&t->io, n);
    t->targets = arena_carve(&t->io, n);
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

int trainer_step(struct bg_trainer *t, double lr, struct bg_step_result *r, struct bg_error *err)
{
    struct bg_model *m = &t->model;
    size_t B = t->cfg.batch, T = t->cfg.model.ctx, k = t->cfg.accum, all = t->ranks * k;
    double loss = 0.0;

    /* The gradients of all the step's micro-batches are summed, so they
     * are zeroed once, before the first. Each micro-batch's loss is the
     * mean over its positions; scaling by 1/all makes the sum the mean over
     * the whole batch. Every rank draws every micro-batch (a copy of bytes,
     * cheap), so that all copies of the corpus stay at the same place, and
     * computes only its own block of k (train.h). */
    model_zero_grad(m);
    for (size_t micro = 0; micro < all; micro++) {
        int rc = corpus_next_batch(t->corpus, t->inputs, t->targets, B, T, err);
        if (rc)
            return rc;
        if (micro / k != t->rank)
            continue;
        loss += model_forward(m, t->inputs, t->targets, B, T) / (double)all;
        model_backward(m, 1.0f / (float)all);
    }
    /* The ranks' partial sums become the whole step's, on every rank. */
    dist_sum_floats(m->grads, m->num_params);
    dist_sum_doubles(&loss, 1);
    double norm = adamw_clip(m->grads, m->num_params, t->cfg.clip);
    if (!isfinite(loss) || !isfinite(norm)) {
        int rc = step_diverged(t->step + 1, loss, norm, err);
        if (t->rank > 0 && err) /* every rank stops here; rank 0 says why */
            err->msg[0] = '\0';
        return rc;
    }
    adamw_update(&t->opt, t->tensors, m->params, m->grads, m->m, m->v, (float)lr, t->step + 1);

    t->step++;
    t->tokens += (uint64_t)(B * T * all);
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
