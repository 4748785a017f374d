/* scaling_fake: a made-up IsoFLOP grid and the fit of it, for the tests
 * of the scaling charts (test_plot_scaling.c) and of the sweep page's
 * scaling section (test_page.c). The numbers are plausible, not fitted:
 * four budgets from 1e12 to 3e13 FLOPs, sizes from 50k to 5M parameters,
 * two seeds, scores from about 2.3 to 3.1 bits per byte. Each budget's
 * runs lie on a parabola in ln n around the best size 0.2 c^0.5 (so the
 * frontier's a is 0.5), give or take 0.01 a seed; the last budget tried
 * only sizes below its best, so its vertex is outside (above).
 * (inline: a test that does not use a function gets no warning.) */
#ifndef BYTEGPT_TEST_SCALING_FAKE_H
#define BYTEGPT_TEST_SCALING_FAKE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bytegpt/plot_scaling.h"

#define FAKE_BUDGETS 4
#define FAKE_SIZES 5
#define FAKE_SEEDS 2

struct scaling_fake {
    struct bg_scaling_point pts[FAKE_BUDGETS * FAKE_SIZES * FAKE_SEEDS];
    size_t n_pts;
    struct bg_scaling_fit fit;
    struct bg_scaling_check check;
    struct bg_scaling_view view; /* points into the fields above */
};

static inline struct bg_scaling_value scaling_fake_value(double v, double lo, double hi)
{
    return (struct bg_scaling_value){v, lo, hi};
}

/* Budget b's parabola, from its vertex (n_opt, bpb_opt) and curvature q2
 * per (ln n)^2, over the sizes sizes[0..FAKE_SIZES). */
static inline void scaling_fake_budget(struct scaling_fake *fk, size_t b, double c, double bpb_opt,
                                       const double *sizes)
{
    const double q2 = 0.06, n_opt = 0.2 * sqrt(c), x0 = log(n_opt);
    struct bg_scaling_parabola *p = &fk->fit.par[b];
    *p = (struct bg_scaling_parabola){c, q2 * x0 * x0 + bpb_opt, -2 * q2 * x0, q2, sizes[0], sizes[FAKE_SIZES - 1],
                                      BG_SCALING_INSIDE, n_opt, bpb_opt, c / (6 * n_opt)};
    if (n_opt > p->n_hi) {
        p->where = BG_SCALING_ABOVE;
        p->d_opt = NAN;
    }
    for (size_t s = 0; s < FAKE_SIZES; s++)
        for (size_t seed = 0; seed < FAKE_SEEDS; seed++) {
            double x = log(sizes[s]) - x0;
            fk->pts[fk->n_pts++] = (struct bg_scaling_point){c, sizes[s], c / (6 * sizes[s]),
                                                             bpb_opt + q2 * x * x + (seed ? -0.01 : 0.01), b, s, seed};
        }
}

static inline void scaling_fake_init(struct scaling_fake *fk, int with_check)
{
    static const double sizes[FAKE_BUDGETS][FAKE_SIZES] = {{5e4, 1e5, 2e5, 5e5, 1e6},
                                                           {1e5, 2e5, 5e5, 1e6, 2e6},
                                                           {2e5, 5e5, 1e6, 2e6, 5e6},
                                                           {5e4, 1e5, 2e5, 3e5, 5e5}};
    static const double budgets[FAKE_BUDGETS] = {1e12, 3e12, 1e13, 3e13}, best[FAKE_BUDGETS] = {2.9, 2.7, 2.5, 2.35};
    *fk = (struct scaling_fake){0};
    fk->fit.n_budgets = FAKE_BUDGETS;
    for (size_t b = 0; b < FAKE_BUDGETS; b++)
        scaling_fake_budget(fk, b, budgets[b], best[b], sizes[b]);
    struct bg_scaling_fit *f = &fk->fit;
    f->n_inside = 3;
    f->has_frontier = 1;
    f->n_power = (struct bg_scaling_power){0.2, 0.5};
    f->d_power = (struct bg_scaling_power){0.83, 0.5};
    f->a = scaling_fake_value(0.5, 0.45, 0.55);
    f->b = scaling_fake_value(0.5, 0.45, 0.55);
    f->tokens_per_param = scaling_fake_value(20.5, 16.0, 26.0);
    f->law = (struct bg_scaling_law){1.35, 42.0, 0.31, 260.0, 0.27, 2.1e-4};
    f->E = scaling_fake_value(1.35, 1.2, 1.5);
    f->alpha = scaling_fake_value(0.31, 0.27, 0.36);
    f->beta = scaling_fake_value(0.27, 0.23, 0.30);
    f->A = scaling_fake_value(42.0, 30.0, 60.0);
    f->B = scaling_fake_value(260.0, 180.0, 400.0);
    f->c_pred = 1e14;
    f->n_pred = scaling_fake_value(2e6, 1.5e6, 2.7e6);
    f->d_pred = scaling_fake_value(4.1e7, 3.0e7, 5.5e7);
    f->bpb_pred = scaling_fake_value(2.05, 2.0, 2.1);
    f->resamples = 200;
    fk->check = (struct bg_scaling_check){1e14, {1e6, 2e6, 4e6}, {2.09, 2.06, 2.08}, {0.004, 0.006, 0.003}, 1, 0.01};
    fk->view = (struct bg_scaling_view){fk->pts, fk->n_pts, &fk->fit, with_check ? &fk->check : NULL};
}

/* Writes the made-up grid's scaling.svg and terminal chart (scaling.txt)
 * into dir, for a person to look at; 0 on success. */
static inline int scaling_fake_write(const char *dir)
{
    struct scaling_fake fk;
    struct bg_error err;
    char path[1024], *text = NULL;
    scaling_fake_init(&fk, 1);
    snprintf(path, sizeof path, "%s/scaling.svg", dir);
    int rc = plot_scaling_svg_write(path, &fk.view, &err);
    if (!rc)
        rc = plot_scaling_terminal(&fk.view, NULL, &text, &err);
    snprintf(path, sizeof path, "%s/scaling.txt", dir);
    FILE *f = rc ? NULL : fopen(path, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
    free(text);
    if (rc)
        fprintf(stderr, "error: %s\n", err.msg);
    return rc || !f;
}

#endif
