/* bench: how fast this machine trains. It measures the sgemm peak (the
 * ceiling for a transformer, whose FLOPs are almost all matmuls), then
 * times real training steps and shows where each step's time goes. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/clock.h"
#include "bytegpt/corpus.h"
#include "bytegpt/dist.h"
#include "bytegpt/profile.h"
#include "bytegpt/roofline.h"
#include "bytegpt/train.h"
#include "bytegpt/run.h"
#include "cli.h"
#include "common.h"
#include "machine.h"

static const char help[] =
    "usage: bytegpt bench [model flags] [--threads N] [--steps N] [--warmup-steps N] [--no-peak]\n"
    "\n"
    "Measures this machine's sgemm peak (square products of 512, 1024 and 2048,\n"
    "best of 5), then times training steps (forward, backward, clip, AdamW, with\n"
    "--optim muon Muon's Newton-Schulz products, and drawing the batch) on a\n"
    "generated text: ms per step (median and spread),\n"
    "tokens/s, GFLOP/s by 6N + 6*L*ctx*C per token, and MFU (achieved over peak),\n"
    "with a breakdown of one step by phase, measured over as many more steps by\n"
    "running each phase's kernels again at the step's shapes (the timed steps\n"
    "carry no timers), each beside its roofline: the least time it could take\n"
    "here (its matrix products timed alone, best of 5, plus the larger of its\n"
    "bytes over the measured memory bandwidth and its operations over the\n"
    "measured vector rate). The last line is machine-readable.\n"
    "\n"
    "flags:\n" COMMON_MODEL_HELP
    "                   (--optim muon adds a line for Muon's update of the blocks' matrices)\n"
    "  --threads N        OpenBLAS and OpenMP threads (default: all cores)\n"
    "  --steps N          timed steps (default 10)\n"
    "  --warmup-steps N   untimed steps first (default 3)\n"
    "  --no-peak          skip the sgemm measurement (MFU then not shown)\n";

/* ---- The sgemm peak ---- */

static double measure_peak(void)
{
    const int sizes[3] = {512, 1024, 2048};
    double peak = 0;
    printf("sgemm peak:");
    for (int i = 0; i < 3; i++) {
        double g = roofline_sgemm_gflops(sizes[i], 5);
        printf("  %d: %.1f GFLOP/s", sizes[i], g);
        peak = g > peak ? g : peak;
    }
    printf("  -> peak %.1f GFLOP/s\n", peak);
    return peak;
}

/* ---- Timed steps ---- */

/* A text of a few hundred KB to draw batches from, so that the timed step
 * includes the real data path. */
static int write_text(const char *path, size_t bytes)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    static const char *words[] = {"the", "whale", "sea", "ship", "and", "of", "white", "captain", "a", "to"};
    struct bg_rng r;
    rng_seed(&r, 1, BG_STREAM_BENCH_TEXT);
    for (size_t n = 0; n < bytes;)
        n += (size_t)fprintf(f, "%s ", words[rng_range(&r, 10)]);
    return fclose(f);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* "12.3 MiB" or "456 KiB": a byte count for the roofline's notes. */
static void print_bytes(double bytes)
{
    if (bytes >= 1 << 20)
        printf("%.1f MiB", bytes / (1 << 20));
    else
        printf("%.0f KiB", bytes / (1 << 10));
}

/* What sets phase ph's limit: its products alone, and its memory traffic
 * or its arithmetic, whichever roofline.c found the larger. */
static void print_limit_note(const struct bg_roofline *r, int ph)
{
    if (r->products[ph] > 0)
        printf("products alone %.2f ms + ", 1e3 * r->products[ph]);
    if (r->memory_bound[ph]) {
        print_bytes(r->bytes[ph]);
        printf(" at %.0f GB/s\n", r->bandwidth[ph] / 1e9);
    } else {
        printf("%.3g G operations\n", r->ops[ph] / 1e9);
    }
}

static void print_machine(const struct bg_roofline *r)
{
    printf("memory bandwidth (read-modify-write sweeps, best of %d):", ROOFLINE_REPS);
    for (int i = 0; i < ROOFLINE_N_SIZES; i++) {
        printf("  ");
        print_bytes((double)r->bw_size[i]);
        printf(" %.0f", r->bw[i] / 1e9);
    }
    printf(" GB/s\nvector arithmetic (multiplies and adds, all threads): %.0f G operations/s\n", r->vector_ops / 1e9);
}

/* Each phase's mean time per step beside its limit, then the rest (step
 * minus phases, whose limit is 0), then the whole step (median). */
/* The rest of a step, split by the clocks profile.h puts on the real
 * model: split[0] its model_zero_grad, split[1] its forward and backward,
 * of which the kernels' phases (kernels) are the part timed alone. */
static void print_other(double step, double known, double kernels, const double split[2])
{
    double between = split[1] - kernels, rest = step - known - split[0] - between;
    printf("  %-20s %6.2f ms %5.1f%% %6.2f ms %6s  %s\n", "other", 1e3 * (step - known), 100 * (step - known) / step,
           0.0, "", "nothing; measured in the real step, it is:");
    printf("    %-18s %6.2f ms %5.1f%%  model_zero_grad, timed alone\n", "zeroing gradients", 1e3 * split[0],
           100 * split[0] / step);
    printf("    %-18s %6.2f ms %5.1f%%  the real forward and backward (%.2f ms) less their kernels timed alone\n",
           "between kernels", 1e3 * between, 100 * between / step, 1e3 * split[1]);
    printf("    %-18s %6.2f ms %5.1f%%  the step's own time less all the above (its noise included)\n", "the rest",
           1e3 * rest, 100 * rest / step);
}

static void print_breakdown(const double *profile, const double split[2], double step, const struct bg_roofline *r)
{
    print_machine(r);
    printf("where one step's time goes, beside the least it could take on this machine (its roofline):\n");
    printf("  %-20s %9s %6s %9s %6s  %s\n", "phase", "time", "share", "limit", "ratio",
           "the limit: what it must at least do");
    double known = 0, kernels = 0;
    for (int p = 0; p < BG_N_PHASES; p++) {
        if (p == BG_PH_MUON && profile[p] == 0 && r->limit[p] == 0)
            continue; /* no Muon in this run: AdamW updates everything */
        kernels += p < BG_PH_OPTIM ? profile[p] : 0.0;
        printf("  %-20s %6.2f ms %5.1f%% %6.2f ms ", bg_phase_names[p], 1e3 * profile[p], 100 * profile[p] / step,
               1e3 * r->limit[p]);
        /* A limit under a microsecond (the data's few KiB) makes no ratio worth reading. */
        if (r->limit[p] >= 1e-6)
            printf("%5.2fx  ", profile[p] / r->limit[p]);
        else
            printf("%6s  ", "");
        print_limit_note(r, p);
        known += profile[p];
    }
    print_other(step, known, kernels, split);
    printf("  %-20s %6.2f ms %6s %6.2f ms %5.2fx  %s\n", "step (median)", 1e3 * step, "", 1e3 * r->step_limit,
           step / r->step_limit, "the sum");
}

/* Times n_steps training steps after warmup untimed ones (times[i] in
 * seconds), then measures n_steps more phase by phase (profile.h),
 * leaving each phase's mean in phases, and the step's roofline in roof.
 * The timed steps run with no measuring inside them, so their times are
 * those of training. */
static int measure(struct bg_trainer *t, size_t n_steps, size_t warmup, double *times, double *phases,
                   double split[2], struct bg_roofline *roof, struct bg_error *err)
{
    struct bg_step_result res;
    int rc = BG_OK;
    for (size_t i = 0; i < warmup + n_steps && !rc; i++) {
        double t0 = clock_now();
        rc = trainer_step(t, 1e-4, 1e-4, &res, err);
        if (i >= warmup)
            times[i - warmup] = clock_now() - t0;
    }
    struct bg_profile prof;
    if (rc || (rc = profile_init(&prof, t, err)))
        return rc;
    for (size_t i = 0; i < n_steps && !rc; i++)
        rc = profile_step(&prof, t, 1e-4, err);
    for (int p = 0; p < BG_N_PHASES; p++)
        phases[p] = prof.seconds[p] / (double)n_steps;
    split[0] = prof.zero_seconds / (double)n_steps;
    split[1] = prof.pass_seconds / (double)n_steps;
    if (!rc)
        rc = roofline_measure(roof, &prof, err);
    profile_free(&prof);
    return rc;
}

static void print_results(const struct bg_train_config *cfg, double *times, size_t n_steps, const double *profile,
                          const double split[2], const struct bg_roofline *roof, double peak)
{
    qsort(times, n_steps, sizeof(double), cmp_double);
    double med = times[n_steps / 2], tokens = (double)(cfg->batch * cfg->accum * cfg->model.ctx);
    double tok_s = tokens / med, gflops = tok_s * config_flops_per_token(&cfg->model) / 1e9;
    printf("step: median %.2f ms (min %.2f, max %.2f) over %zu steps, %.0f tokens/step\n", 1e3 * med,
           1e3 * times[0], 1e3 * times[n_steps - 1], n_steps, tokens);
    printf("throughput: %.0f tokens/s, %.1f GFLOP/s (6N + 6*L*ctx*C = %.3g FLOP per token)", tok_s, gflops,
           config_flops_per_token(&cfg->model));
    char kernels[64];
    if (peak > 0)
        printf(", MFU %.1f%% of %.1f GFLOP/s (sgemm's peak on %s)", 100 * gflops / peak, peak,
               machine_kernel_words(kernels, sizeof kernels));
    printf("\n");
    print_breakdown(profile, split, med, roof);
    printf("result: ms_per_step=%.3f tokens_per_s=%.1f gflops=%.2f peak_gflops=%.2f mfu=%.4f limit_ms=%.3f "
           "attention_ms=%.3f\n",
           1e3 * med, tok_s, gflops, peak, peak > 0 ? gflops / peak : 0.0, 1e3 * roof->step_limit,
           1e3 * (profile[BG_PH_ATTN_FWD] + profile[BG_PH_ATTN_BWD]));
}

static int time_steps(struct bg_train_config *cfg, size_t n_steps, size_t warmup, double peak, struct bg_error *err)
{
    char path[] = "/tmp/bytegpt_bench_XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return bg_fail(err, BG_ERR_RUNTIME, "cannot create a temporary text in /tmp");
    close(fd);
    struct bg_corpus *c = NULL;
    struct bg_trainer t;
    double *times = calloc(n_steps, sizeof(double)), profile[BG_N_PHASES] = {0}, split[2] = {0};
    struct bg_roofline roof;
    struct bg_corpus_options opt = {.ctx = cfg->model.ctx, .seed = 1};
    size_t text = 20 * (cfg->model.ctx + 1) * 20 + (1u << 20);
    int rc = write_text(path, text) ? bg_fail(err, BG_ERR_RUNTIME, "cannot write %s", path) : BG_OK;
    if (!rc)
        rc = corpus_open(&c, path, &opt, err);
    if (!rc && !(rc = trainer_init(&t, cfg, c, (size_t)dist_rank(), (size_t)dist_size(), err))) {
        struct bg_rng r;
        rng_seed(&r, 1, BG_STREAM_INIT);
        model_init_weights(&t.model, &r);
        rc = measure(&t, n_steps, warmup, times, profile, split, &roof, err);
        trainer_free(&t);
    }
    if (!rc)
        print_results(cfg, times, n_steps, profile, split, &roof, peak);
    corpus_close(c);
    free(times);
    remove(path);
    return rc;
}

static int run(int argc, char **argv)
{
    if (args_wants_help(argc, argv, 1)) {
        cli_print_help(&cli_cmd_bench);
        return 0;
    }
    struct common_model_flags mf = {0};
    size_t threads = 0, steps = 10, warmup = 3;
    int no_peak = 0;
    struct arg_spec specs[] = {COMMON_MODEL_SPECS(mf), {"threads", ARG_SIZE, &threads, 0, 0},
                               {"steps", ARG_SIZE, &steps, 0, 0}, {"warmup-steps", ARG_SIZE, &warmup, ARG_ZERO_OK, 0},
                               {"no-peak", ARG_BOOL, &no_peak, 0, 0}};
    size_t n_specs = sizeof specs / sizeof specs[0], n_pos;
    struct bg_error err = {0};
    struct bg_train_config cfg;
    if (args_parse("bench", argc, argv, 1, specs, n_specs, NULL, 0, &n_pos, &err) ||
        common_apply_model("bench", &mf, specs, n_specs, &cfg, &err) ||
        run_check_memory(&cfg.model, cfg.batch, &err))
        return cli_report(&err);
    cfg.threads = (int)threads;
    machine_announce_blas();
    train_set_threads((int)threads);
    int n_threads = threads ? (int)threads : (int)sysconf(_SC_NPROCESSORS_ONLN);
    char shape[BG_CONFIG_DESCRIBE_LEN];
    printf("bench: %s, batch %zu, %d thread%s, OpenBLAS's %s kernels\n",
           config_describe(&cfg.model, shape, sizeof shape), cfg.batch, n_threads, n_threads == 1 ? "" : "s",
           openblas_get_corename());
    double peak = no_peak ? 0.0 : measure_peak();
    if (time_steps(&cfg, steps, warmup, peak, &err))
        return cli_report(&err);
    return 0;
}

const struct cli_command cli_cmd_bench = {"bench", "measure sgemm peak, step time, tokens/s and MFU", help, run};
