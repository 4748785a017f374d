/* scaling: the compute-optimal frontier measured on this machine (see
 * bytegpt/scaling.h). This command reads the flags into a scaling
 * definition, shows the plan, each run and each decision as the sweep
 * makes them, and ends with the IsoFLOP chart, the fits and the check. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/format.h"
#include "bytegpt/plot_scaling.h"
#include "bytegpt/scaling.h"
#include "cli.h"
#include "common.h"
#include "machine.h"
#include "sweep_view.h"

static const char help[] =
    "usage: bytegpt scaling --corpus PATH --out DIR --budgets C1,C2,... [--depths L1,L2,...]\n"
    "                       [--sizes K] [--aspect A] [--head-size H] [--seeds K] [--check]\n"
    "                       [--check-factor F] [--max-repeat R] [--resamples R] [--preset NAME]\n"
    "                       [train flags] [--jobs J] [--threads T]\n"
    "\n"
    "How big a model should a budget of compute train, and on how many tokens?\n"
    "The IsoFLOP experiment of Hoffmann et al. (2022, Chinchilla), on this machine:\n"
    "at each budget, models of several sizes each train until they have spent it\n"
    "(--flop-budget), and each budget's best size is where its curve bottoms out.\n"
    "\n"
    "The runs. Every (budget, size) pair is a trial of a sweep in DIR (results.tsv,\n"
    "one run folder per trial and seed, the sweep's page DIR/index.html), trained\n"
    "with every seed and scored alike on the held-out bytes (see bytegpt sweep\n"
    "--help). The sizes are a ladder: depth L, width A x L, heads of H channels\n"
    "(--aspect 16, --head-size 16), the recipe and ctx of --preset (default) and\n"
    "the train flags given. Without --depths, K rungs (--sizes 5) around the size\n"
    "Chinchilla's 20 tokens per parameter expects at the middle budget.\n"
    "\n"
    "The fits (DIR/fit.txt, every number with its spread: the 5th and 95th\n"
    "percentiles of --resamples 200 fits on resampled seeds):\n"
    "  Approach 2: per budget, a parabola of bits per byte against ln N over the\n"
    "    three sizes around its lowest score; its vertex is the budget's best size,\n"
    "    unless it lies outside them: then the budget is reported as outside, with\n"
    "    the sizes to add, never as a result.\n"
    "  the frontier: N_opt = k C^a and D_opt = k' C^b across the budgets inside,\n"
    "    and the tokens per parameter at the optimum.\n"
    "  Approach 3: L(N, D) = E + A/N^alpha + B/D^beta over every run (Huber loss\n"
    "    on log loss, as in the paper); E is the floor this family reaches here.\n"
    "N counts the parameters a token is multiplied by: all but the position table\n"
    "(and the bigram table), which are looked up, not multiplied.\n"
    "\n"
    "The prediction: the best size and its loss at --check-factor 4 x the largest\n"
    "budget. --check trains that size and its neighbours (x0.5, x2) there, in a\n"
    "sweep of its own (DIR/check), and says whether the prediction was the best of\n"
    "the three and how far its loss was from the predicted one.\n"
    "\n"
    "The corpus must not repeat much: a run that would read the training text more\n"
    "than --max-repeat 4 times (the smallest model at the largest budget) is\n"
    "refused before anything runs. Build a large one with scripts/get_corpus.sh.\n"
    "\n"
    "  --jobs J, --threads T   runs at once and threads over all of them, as in sweep\n"
    "Stop with Ctrl-C; the same command again continues where it stopped: finished\n"
    "runs are not rerun. The end: the IsoFLOP chart (also DIR/scaling.svg), the\n"
    "fits and the check.\n";

/* ---- Flags ---- */

static const char *const own_names[] = {"corpus", "budgets", "depths", "sizes", "aspect", "head-size", "seeds",
                                        "check-factor", "max-repeat", "resamples", "preset"};
#define N_OWN (sizeof own_names / sizeof own_names[0])
#define N_SPECS (N_OWN + BG_N_SETTINGS + 4)

struct scaling_flags {
    const char *own[N_OWN];
    const char *settings[BG_N_SETTINGS];
    const char *out;
    size_t jobs, threads;
    int check;
};

static int read_definition(int argc, char **argv, struct scaling_flags *f, struct bg_scaling_def *d,
                           struct bg_error *err)
{
    struct arg_spec specs[N_SPECS];
    size_t n = 0, n_pos;
    memset(f, 0, sizeof *f);
    f->jobs = 1;
    for (size_t i = 0; i < N_OWN; i++)
        specs[n++] = (struct arg_spec){own_names[i], ARG_STRING, &f->own[i], 0, 0};
    for (int i = 0; i < BG_N_SETTINGS; i++)
        if (i != BG_SET_THREADS)
            specs[n++] = (struct arg_spec){settings_name(i), ARG_STRING, &f->settings[i], 0, 0};
    specs[n++] = (struct arg_spec){"out", ARG_STRING, &f->out, 0, 0};
    specs[n++] = (struct arg_spec){"jobs", ARG_SIZE, &f->jobs, 0, 0};
    specs[n++] = (struct arg_spec){"threads", ARG_SIZE, &f->threads, ARG_ZERO_OK, 0};
    specs[n++] = (struct arg_spec){"check", ARG_BOOL, &f->check, 0, 0};
    int rc = args_parse("scaling", argc, argv, 1, specs, n, NULL, 0, &n_pos, err);
    if (rc)
        return rc;
    if (!f->out)
        return bg_fail(err, BG_ERR_INPUT, "scaling: --out DIR is required (the experiment's folder)");
    scaling_def_init(d);
    for (size_t i = 0; i < N_OWN && !rc; i++)
        if (f->own[i])
            rc = scaling_def_set(d, own_names[i], f->own[i], err);
    for (int i = 0; i < BG_N_SETTINGS && !rc; i++)
        if (f->settings[i])
            rc = scaling_def_set(d, settings_name(i), f->settings[i], err);
    if (!rc && f->check)
        rc = scaling_def_set(d, "check", "1", err);
    return rc;
}

/* ---- What the user sees ---- */

static void print_plan(const struct bg_scaling *sc, const struct bg_scaling_def *d, const char *out)
{
    size_t n;
    const struct bg_scaling_size *z = scaling_sizes(sc, &n);
    char cnt[FORMAT_LEN];
    printf("scaling %s: %zu budgets x %zu sizes x %zu seeds = %zu runs%s\n", out, d->n_budgets, n, d->seeds,
           d->n_budgets * n * d->seeds, d->check ? ", then the check (3 sizes)" : "");
    printf("  budgets (FLOPs):");
    for (size_t i = 0; i < d->n_budgets; i++)
        printf(" %s", d->budget_text[i]);
    printf("\n  sizes (N counts all but the position table):");
    for (size_t i = 0; i < n; i++)
        printf("  %zux%zu %s", z[i].L, z[i].C, format_count(cnt, sizeof cnt, z[i].n));
    printf("\n");
    fflush(stdout);
}

static void print_value(const char *name, const struct bg_scaling_value *v, const char *what)
{
    if (isfinite(v->lo))
        printf("  %-18s %-10.4g (%.4g .. %.4g)  %s\n", name, v->value, v->lo, v->hi, what);
    else
        printf("  %-18s %-10.4g  %s\n", name, v->value, what);
}

static void print_fit(const struct bg_scaling *sc, const struct bg_scaling_def *d, const char *out)
{
    const struct bg_scaling_fit *f = scaling_result(sc);
    size_t n;
    const struct bg_scaling_point *pts = scaling_points(sc, &n);
    const struct bg_scaling_check *ck = scaling_check_result(sc);
    struct bg_scaling_view ps = {pts, n, f, ck};
    char *chart = NULL;
    struct bg_error err = {0};
    if (plot_scaling_terminal(&ps, NULL, &chart, &err) == BG_OK)
        printf("\nIsoFLOP curves (also in %s/scaling.svg):\n%s", out, chart);
    free(chart);
    printf("\nthe fits (spreads: 5th..95th percentile over %zu resamples of the seeds; all in %s/fit.txt):\n",
           f->resamples, out);
    if (f->has_frontier) {
        print_value("a (N_opt ~ C^a)", &f->a, "Chinchilla: 0.50");
        print_value("b (D_opt ~ C^b)", &f->b, "Chinchilla: 0.50");
        print_value("tokens per param", &f->tokens_per_param, "Chinchilla: about 20; nanochat: 10.5 to 12");
    } else {
        printf("  no frontier: %zu budget%s with its best size inside the sizes tried, and 2 are needed; the "
               "table above names the sizes to add\n", f->n_inside, f->n_inside == 1 ? "" : "s");
    }
    print_value("E (the floor)", &f->E, "bits per byte no size reaches");
    print_value("alpha", &f->alpha, "Chinchilla: 0.34");
    print_value("beta", &f->beta, "Chinchilla: 0.28");
    if (f->has_frontier)
        printf("  prediction at %.3g FLOPs: N %.3g, D %.3g tokens, %.4f bits per byte\n", f->c_pred,
               f->n_pred.value, f->d_pred.value, f->bpb_pred.value);
    if (d->check && !f->has_frontier)
        printf("  no check: without a frontier there is no prediction to check\n");
    if (ck)
        printf("  check: the predicted size scored %.4f (predicted %.4f, off by %+.4f); its neighbours x0.5 "
               "%.4f, x2 %.4f: the prediction %s\n", ck->bpb[1], f->bpb_pred.value, ck->error, ck->bpb[0],
               ck->bpb[2], ck->predicted_is_best ? "was the best of the three" : "was not the best");
}

/* ---- The command ---- */

static int run(int argc, char **argv)
{
    if (args_wants_help(argc, argv, 1)) {
        cli_print_help(&cli_cmd_scaling);
        return 0;
    }
    struct scaling_flags f;
    static struct bg_scaling_def def; /* large: not on the stack */
    struct bg_error err = {0};
    if (read_definition(argc, argv, &f, &def, &err))
        return cli_report(&err);
    common_passive_openmp(argc, argv, f.jobs, f.threads);
    struct sweep_view view = {isatty(STDOUT_FILENO), 0};
    struct bg_sweep_options opt = {f.out, f.jobs, (int)f.threads, &common_stop_signal, sweep_view_event, &view,
                                   {0}};
    struct bg_scaling *sc;
    common_catch_stop();
    if (scaling_open(&sc, &def, &opt, &err))
        return cli_report(&err);
    machine_announce_blas();
    print_plan(sc, &def, f.out);
    int code = scaling_run(sc, &err) ? cli_report(&err) : 0;
    sweep_view_end_live(&view);
    if (!code && scaling_stopped(sc)) {
        int sig = scaling_stopped(sc);
        printf("stopped by %s; every run's checkpoint is saved\ncontinue with the same command\n",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
        code = 128 + sig;
    } else if (!code) {
        print_fit(sc, &def, f.out);
    }
    scaling_close(sc);
    return code;
}

const struct cli_command cli_cmd_scaling = {
    "scaling", "the compute-optimal frontier: IsoFLOP runs, fitted, predicted and checked", help, run};
