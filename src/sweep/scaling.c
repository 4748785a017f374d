/* scaling: the IsoFLOP experiment on top of the sweep (see
 * bytegpt/scaling.h). This file opens it: the ladder of sizes, the
 * corpus' size against the budgets, and the sweep of every (budget, size)
 * pair; scaling_run.c runs it, fits and writes what it found. */
#include "bytegpt/scaling.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/corpus.h"
#include "bytegpt/format.h"
#include "bytegpt/model.h"
#include "bytegpt/strbuf.h"
#include "scaling_private.h"

/* ---- The ladder ---- */

/* The N the fit counts: every parameter but the tables a token only looks
 * up (the position table and the bigram table; scaling.h says why). */
double scaling_counted_params(const struct bg_config *m)
{
    double n = (double)config_num_params(m);
    if (m->pos == BG_POS_LEARNED)
        n -= (double)(m->ctx * m->C);
    if (m->bigram)
        n -= (double)BG_BIGRAM_ROWS * (double)m->C;
    return n;
}

/* Rung L of the ladder over the base model (ctx, the recipe). */
void scaling_rung(const struct bg_scaling_def *d, const struct bg_config *base, size_t L, struct bg_scaling_size *z)
{
    struct bg_config m = *base;
    m.L = L;
    m.C = d->aspect * L;
    m.NH = m.C / d->head_size;
    z->L = m.L;
    z->C = m.C;
    z->NH = m.NH;
    z->n = scaling_counted_params(&m);
}

/* The rung whose N is nearest n (in log), at depth 1 to 64. */
size_t scaling_nearest_depth(const struct bg_scaling_def *d, const struct bg_config *base, double n)
{
    size_t best = 1;
    double best_gap = INFINITY;
    for (size_t L = 1; L <= 64; L++) {
        struct bg_scaling_size z;
        scaling_rung(d, base, L, &z);
        double gap = fabs(log(z.n / n));
        if (gap < best_gap) {
            best_gap = gap;
            best = L;
        }
    }
    return best;
}

/* The depths to train: those given, or n_sizes rungs centred on the rung
 * nearest the size Chinchilla's rule (20 tokens per parameter, C = 6ND,
 * so N = sqrt(C / 120)) expects at the geometric middle of the budgets. */
static void choose_depths(const struct bg_scaling_def *d, const struct bg_config *base, size_t *depths, size_t *n)
{
    if (d->n_depths) {
        memcpy(depths, d->depths, d->n_depths * sizeof *depths);
        *n = d->n_depths;
        return;
    }
    double mid = sqrt(d->budgets[0] * d->budgets[d->n_budgets - 1]);
    size_t best = scaling_nearest_depth(d, base, sqrt(mid / 120.0));
    size_t first = best > d->n_sizes / 2 ? best - d->n_sizes / 2 : 1;
    for (size_t i = 0; i < d->n_sizes; i++)
        depths[i] = first + i;
    *n = d->n_sizes;
}

/* ---- The corpus against the budgets ---- */

/* The smallest model reads the most tokens for a budget. A scaling law
 * measured on text read many times over measures the repetition
 * (Muennighoff et al. 2023 find up to about 4 epochs worth nearly as much
 * as fresh text), so a corpus that the largest budget would read more
 * than max_repeat times is refused before anything runs. */
static int check_repetition(const struct bg_scaling *sc, struct bg_error *err)
{
    const struct bg_scaling_def *d = &sc->def;
    struct bg_corpus *corpus;
    struct bg_corpus_options co = {.ctx = sc->base.model.ctx, .seed = 1};
    int rc = corpus_open(&corpus, d->corpus, &co, err);
    if (rc)
        return rc;
    struct bg_corpus_info info;
    corpus_get_info(corpus, &info);
    corpus_close(corpus);
    struct bg_config m = sc->base.model;
    m.L = sc->sizes[0].L;
    m.C = sc->sizes[0].C;
    m.NH = sc->sizes[0].NH;
    double largest = d->budgets[d->n_budgets - 1] * (d->check ? d->check_factor : 1.0);
    double tokens = largest / config_flops_per_token(&m);
    double times = tokens / (double)info.train_bytes;
    if (times > d->max_repeat) {
        char text[FORMAT_LEN];
        return bg_fail(err, BG_ERR_INPUT,
                       "scaling: %s holds %s of training text, and the smallest model (%zu layers, width %zu) at "
                       "%.3g FLOPs%s reads it %.1f times, above --max-repeat %g; use a larger corpus "
                       "(scripts/get_corpus.sh library) or smaller budgets",
                       d->corpus, format_bytes(text, sizeof text, (double)info.train_bytes), m.L, m.C, largest,
                       d->check ? " (the check's budget)" : "", times, d->max_repeat);
    }
    return BG_OK;
}

/* ---- The sweep of the pairs ---- */

/* "--flop-budget B --layers L --dim C --heads H" for a pair. */
void scaling_pair_flags(const char *budget, const struct bg_scaling_size *z, char *buf, size_t n)
{
    snprintf(buf, n, "--flop-budget %s --layers %zu --dim %zu --heads %zu", budget, z->L, z->C, z->NH);
}

/* A sweep definition that trains `first` as its base and the pairs in
 * list (each pair's flags, "; " between) after it, every one with every
 * seed. */
int scaling_sweep_def(const struct bg_scaling *sc, const char *budget, const struct bg_scaling_size *first,
                      const char *list, struct bg_sweep_def *sd, struct bg_error *err)
{
    const struct bg_scaling_def *d = &sc->def;
    char seeds[16];
    sweep_def_init(sd);
    sd->base = d->base;
    snprintf(seeds, sizeof seeds, "%zu", d->seeds);
    int rc = sweep_def_set(sd, "corpus", d->corpus, err);
    if (!rc)
        rc = sweep_def_set(sd, "seeds", seeds, err);
    if (!rc)
        rc = sweep_def_set(sd, "every-seed", "1", err);
    char value[BG_SWEEP_VALUE_LEN];
    const struct { const char *name; size_t v; } shape[] = {{"layers", first->L}, {"dim", first->C},
                                                          {"heads", first->NH}};
    for (size_t i = 0; i < 3 && !rc; i++) {
        snprintf(value, sizeof value, "%zu", shape[i].v);
        rc = settings_set(&sd->base, shape[i].name, value, "scaling", err);
    }
    if (!rc)
        rc = settings_set(&sd->base, "flop-budget", budget, "scaling", err);
    if (!rc && list[0])
        rc = sweep_def_set(sd, "list", list, err);
    return rc;
}

static int open_pairs(struct bg_scaling *sc, const struct bg_sweep_options *o, struct bg_error *err)
{
    struct bg_strbuf list = {0};
    char flags[256];
    for (size_t b = 0; b < sc->def.n_budgets; b++)
        for (size_t i = 0; i < sc->n_sizes; i++) {
            if (b == 0 && i == 0)
                continue; /* the base */
            scaling_pair_flags(sc->def.budget_text[b], &sc->sizes[i], flags, sizeof flags);
            strbuf_printf(&list, "%s%s", list.len ? "; " : "", flags);
        }
    char *text = strbuf_take(&list);
    if (!text)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    static struct bg_sweep_def sd; /* large: not on the stack */
    int rc = scaling_sweep_def(sc, sc->def.budget_text[0], &sc->sizes[0], text, &sd, err);
    free(text);
    if (!rc)
        rc = sweep_open(&sc->pairs, &sd, o, err);
    return rc;
}

int scaling_open(struct bg_scaling **out, const struct bg_scaling_def *d, const struct bg_sweep_options *o,
                 struct bg_error *err)
{
    struct bg_scaling *sc = calloc(1, sizeof *sc);
    if (!sc)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    sc->def = *d;
    sc->opt = *o;
    int rc = scaling_def_check(d, err);
    if (!rc)
        rc = settings_resolve(&d->base, &sc->base, err);
    if (!rc) {
        size_t depths[BG_SCALING_MAX_SIZES];
        choose_depths(d, &sc->base.model, depths, &sc->n_sizes);
        for (size_t i = 0; i < sc->n_sizes; i++)
            scaling_rung(d, &sc->base.model, depths[i], &sc->sizes[i]);
        rc = check_repetition(sc, err);
    }
    if (!rc)
        rc = open_pairs(sc, o, err);
    if (rc) {
        scaling_close(sc);
        return rc;
    }
    *out = sc;
    return BG_OK;
}

const struct bg_scaling_size *scaling_sizes(const struct bg_scaling *sc, size_t *n)
{
    *n = sc->n_sizes;
    return sc->sizes;
}

const struct bg_sweep *scaling_sweep(const struct bg_scaling *sc)
{
    return sc->pairs;
}

int scaling_stopped(const struct bg_scaling *sc)
{
    return sc->stopped;
}

void scaling_close(struct bg_scaling *sc)
{
    if (!sc)
        return;
    sweep_close(sc->check_sweep);
    sweep_close(sc->pairs);
    free(sc);
}
