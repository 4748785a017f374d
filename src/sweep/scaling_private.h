/* scaling_private: what scaling.c and scaling_run.c share, private to
 * src/sweep/: the experiment as it runs. */
#ifndef BYTEGPT_SCALING_PRIVATE_H
#define BYTEGPT_SCALING_PRIVATE_H

#include "bytegpt/model.h"
#include "bytegpt/plot_scaling.h"
#include "bytegpt/scaling.h"
#include "bytegpt/train.h"

struct bg_scaling {
    struct bg_scaling_def def;
    struct bg_sweep_options opt;
    struct bg_train_config base;           /* the base resolved: ctx and the recipe of every size */
    struct bg_scaling_size sizes[BG_SCALING_MAX_SIZES];
    size_t n_sizes;
    struct bg_sweep *pairs;                /* every (budget, size) pair, in DIR */
    struct bg_sweep *check_sweep;          /* --check's, in DIR/check */
    struct bg_scaling_point points[BG_SCALING_MAX_POINTS];
    size_t n_points;
    struct bg_scaling_fit fit;
    int fitted;
    struct bg_scaling_size check_sizes[3]; /* x0.5, the prediction, x2 */
    struct bg_scaling_check check;
    int checked;
    struct bg_scaling_view view;           /* what the charts and the page draw */
    int stopped;
};

double scaling_counted_params(const struct bg_config *m);
void scaling_rung(const struct bg_scaling_def *d, const struct bg_config *base, size_t L, struct bg_scaling_size *z);
size_t scaling_nearest_depth(const struct bg_scaling_def *d, const struct bg_config *base, double n);
void scaling_pair_flags(const char *budget, const struct bg_scaling_size *z, char *buf, size_t n);
int scaling_sweep_def(const struct bg_scaling *sc, const char *budget, const struct bg_scaling_size *first,
                      const char *list, struct bg_sweep_def *sd, struct bg_error *err);

#endif
