/* info: what a corpus holds, and what a model costs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/corpus.h"
#include "bytegpt/evaluate.h"
#include "bytegpt/tokenizer.h"
#include "bytegpt/clock.h"
#include "bytegpt/cost.h"
#include "bytegpt/format.h"
#include "bytegpt/model.h"
#include "bytegpt/profile.h"
#include "bytegpt/rng.h"
#include "bytegpt/run.h"
#include "cli.h"
#include "common.h"
#include "machine.h"

static const char help[] =
    "usage: bytegpt info [--corpus PATH [--first N]] [--preset X | model flags] [--batch B] [--tokens N] [--gflops X]\n"
    "                    [--ranks N [--link 10Gbit]] [--machine]\n"
    "\n"
    "First, this machine: its CPU and vector features, OpenBLAS's version,\n"
    "the kernels OpenBLAS picked and the ones in use (and why), and sgemm's\n"
    "rate at one thread and at all (--machine: only that).\n"
    "With --corpus: the corpus' size, shards, compressed size and ratio, and\n"
    "the train/validation split (the last 10% of a single file, or every\n"
    "tenth shard of a folder). Without: what the model costs: parameters by\n"
    "group, memory (parameters, gradients, AdamW moments, activations for the\n"
    "batch), FLOPs per token (6N + 6*L*ctx*C), the FLOPs and time of a run of\n"
    "N tokens, and the same bill for GPT-2 124M and GPT-3 175B. With --ranks:\n"
    "what data parallelism over N machines costs: the bytes a ring all-reduce\n"
    "sends per step, their time on the link beside the compute time of a step\n"
    "(at the rate --gflops gives, or measured here by one training pass), and\n"
    "the efficiency at 2, 8, 64 and 512 machines.\n"
    "\n"
    "flags:\n"
    "  --corpus PATH    a .gz or text file, or a folder of them\n"
    "  --first N        with --corpus: also show its first N bytes as the tokens the model sees\n"
    "  --tokens N       training tokens to cost, e.g. 1e9 (default: the preset's\n"
    "                   steps x batch x ctx)\n"
    "  --gflops X       the training rate in GFLOP/s the times are computed at\n"
    "                   (default: sgemm's rate measured here, the ceiling a step\n"
    "                   can reach; bytegpt bench measures a real step's)\n"
    "  model flags      as train takes them: --layers --heads --dim --ctx, and the\n"
    "                   recipe (--norm --pos --qk-norm --act --head --bigram --softcap\n"
    "                   --optim ...); --optim muon adds its Newton-Schulz FLOPs per step\n"
    "  --machine        only the machine section\n"
    "  --ranks N        also the cost of training as N processes, one per machine\n"
    "  --link SPEED     with --ranks: the network between them (default 10Gbit;\n"
    "                   e.g. 1Gbit, 100Gbit, 1.6Tbit)\n"
    COMMON_MODEL_HELP;

/* The first n bytes of a corpus' first file (in the corpus' own order)
 * as the model sees them: one token per byte, shown with the tokenizer's
 * rendering and its value. */
static int info_first_bytes(const char *file, size_t n)
{
    struct bg_error err = {0};
    uint8_t *text = NULL;
    size_t len = 0;
    if (evaluate_read_text(file, n, &text, &len, &err))
        return cli_report(&err);
    printf("\nthe first %zu bytes of %s, as tokens (rendering, then byte value):\n", len, file);
    for (size_t i = 0; i < len; i++) {
        char r[BG_TOKEN_RENDER_MAX], cell[24];
        snprintf(cell, sizeof cell, "'%s' %d", tokenizer_render(r, text[i]), text[i]);
        printf("%-10s%s", cell, (i + 1) % 8 == 0 || i + 1 == len ? "\n" : "");
    }
    free(text);
    return 0;
}

/* The corpus' sizes and split, and with first > 0 its first bytes. */
static int info_corpus(const char *path, const struct bg_train_config *cfg, size_t first)
{
    struct bg_error err = {0};
    struct bg_corpus *c = NULL;
    struct bg_corpus_options opt = {.ctx = cfg->model.ctx, .seed = cfg->seed};
    int rc = corpus_open(&c, path, &opt, &err);
    if (rc)
        return cli_report(&err);
    struct bg_corpus_info in;
    corpus_get_info(c, &in);
    char a[FORMAT_LEN], b[FORMAT_LEN], d[FORMAT_LEN];
    printf("corpus       %s (%s, %zu shard%s)\n", path, in.is_folder ? "folder" : "file", in.n_shards,
           in.n_shards == 1 ? "" : "s");
    printf("text         %s (%llu bytes)\n", format_bytes(a, sizeof a, (double)in.total_bytes),
           (unsigned long long)in.total_bytes);
    printf("on disk      %s, ratio %.2f:1 (%.2f bits per byte)\n",
           format_bytes(b, sizeof b, (double)in.compressed_bytes),
           in.compressed_bytes ? (double)in.total_bytes / (double)in.compressed_bytes : 0.0,
           in.total_bytes ? 8.0 * (double)in.compressed_bytes / (double)in.total_bytes : 0.0);
    printf("train        %llu bytes (%zu shard%s)\n", (unsigned long long)in.train_bytes, in.n_train_shards,
           in.n_train_shards == 1 ? "" : "s");
    printf("validation   %llu bytes (%zu shard%s, %s)\n", (unsigned long long)in.val_bytes, in.n_val_shards,
           in.n_val_shards == 1 ? "" : "s",
           in.is_folder ? "every tenth shard, or the last when fewer than ten" : "the last 10% of the file");
    printf("buffer       %s for training windows, %s of validation kept\n",
           format_bytes(d, sizeof d, (double)in.buffer_bytes), format_bytes(a, sizeof a, (double)in.val_kept_bytes));
    int code = first ? info_first_bytes(corpus_first_file(c), first) : 0;
    corpus_close(c);
    return code;
}

/* ---- The model's bill ---- */

/* The FLOP/s the times are computed at: the rate given with --gflops,
 * else sgemm's rate measured by the machine section (0 when it was not
 * measured: then cost.h's assumed rate). Sets *given for --gflops. */
static double machine_rate(double gflops, double sgemm_rate, int *given)
{
    *given = gflops > 0;
    return gflops > 0 ? gflops * 1e9 : sgemm_rate;
}

static double percent(size_t part, size_t whole)
{
    return whole ? 100.0 * (double)part / (double)whole : 0.0;
}

/* The embeddings line: the tables the recipe has, and where the head is. */
static void print_embeddings(const struct bg_config *m, const struct bg_param_groups *g)
{
    char a[FORMAT_LEN], pos[64] = "", big[64] = "";
    if (m->pos == BG_POS_LEARNED)
        snprintf(pos, sizeof pos, " + position %zux%zu", m->ctx, m->C);
    if (m->bigram)
        snprintf(big, sizeof big, " + bigram %dx%zu", BG_BIGRAM_ROWS, m->C);
    printf("  embeddings %12s %5.1f%%  token %zux%zu%s%s%s\n", format_grouped(a, sizeof a, (double)g->embeddings),
           percent(g->embeddings, g->total), m->V, m->C,
           m->head == BG_HEAD_UNTIED ? " + its own LM head" : " (also the LM head: tied)", pos, big);
}

static int info_model(const struct bg_train_config *cfg, const char *preset, double tokens, int from_preset,
                      double gflops, double sgemm_rate)
{
    const struct bg_config *m = &cfg->model;
    int given;
    double rate = machine_rate(gflops, sgemm_rate, &given);
    struct bg_cost bill;
    cost_bill(m, cfg->batch, tokens, rate, &bill);
    cost_add_optimizer(&bill, cfg, from_preset ? (double)cfg->steps : tokens / (double)(cfg->batch * cfg->accum * m->ctx));
    const struct bg_param_groups *g = &bill.groups;
    const struct bg_memory *mem = &bill.mem;
    size_t L = m->L, C = m->C;
    char a[FORMAT_LEN], b[FORMAT_LEN], c[FORMAT_LEN], d[FORMAT_LEN], e[FORMAT_LEN];

    char shape[BG_CONFIG_DESCRIBE_LEN];
    printf("model        %s: %s, vocab %zu (bytes)\n", preset ? preset : "default",
           config_describe(m, shape, sizeof shape), m->V);

    printf("\nparameters   %s\n", format_grouped(a, sizeof a, (double)g->total));
    print_embeddings(m, g);
    printf("  attention  %12s %5.1f%%  per layer: qkv %zux%zu and output %zux%zu, with biases\n",
           format_grouped(a, sizeof a, (double)g->attention), percent(g->attention, g->total), 3 * C, C, C, C);
    printf("  MLP        %12s %5.1f%%  per layer: %zu -> %zu -> %zu, with biases\n",
           format_grouped(a, sizeof a, (double)g->mlp), percent(g->mlp, g->total), C, 4 * C, C);
    printf("  %-10s %12s %5.1f%%  ln_1 and ln_2 per layer, ln_f: %s\n", m->norm ? "RMSNorm" : "LayerNorm",
           format_grouped(a, sizeof a, (double)g->layernorm), percent(g->layernorm, g->total),
           m->norm ? "a gain, no bias" : "weight and bias");

    printf("\nmemory       %s for batch %zu x ctx %zu\n", format_bytes(a, sizeof a, (double)mem->total),
           cfg->batch, m->ctx);
    printf("  parameters   %10s  fp32\n", format_bytes(a, sizeof a, (double)mem->params));
    printf("  gradients    %10s  one per parameter\n", format_bytes(a, sizeof a, (double)mem->params));
    printf("  AdamW m, v   %10s  two moments per parameter\n", format_bytes(a, sizeof a, 2.0 * (double)mem->params));
    printf("  activations  %10s  what the forward pass keeps for backward\n",
           format_bytes(a, sizeof a, (double)mem->acts));
    printf("  their grads  %10s  one layer's worth, reused layer by layer\n",
           format_bytes(a, sizeof a, (double)mem->act_grads));
    printf("  arenas       %10s  parameter arena %s + activation arena %s, aligned\n",
           format_bytes(a, sizeof a, (double)mem->total), format_bytes(b, sizeof b, (double)mem->param_arena),
           format_bytes(c, sizeof c, (double)mem->act_arena));

    double n_flop = (double)config_dense_params(m); /* the N of 6N: without a bigram table */
    printf("\ncompute      %s per token = 6N + 6*L*ctx*C = 6*%s + 6*%zu*%zu*%zu%s\n",
           format_si(a, sizeof a, bill.flops_per_token, "FLOP"), format_grouped(b, sizeof b, n_flop), L, m->ctx, C,
           m->bigram ? " (N without the bigram table, a lookup)" : "");
    if (bill.optimizer_flops > 0)
        printf("  optimizer  %s per step, in this run's FLOP below: Muon's Newton-Schulz, 5 x (4 r r c + 2 r r r) per (r,c) matrix, r <= c\n",
               format_si(a, sizeof a, bill.optimizer_flops, "FLOP"));
    if (from_preset)
        printf("  this run   %s tokens (%s steps x batch %zu%s x ctx %zu) = %s FLOP\n",
               format_grouped(a, sizeof a, bill.tokens),
               format_grouped(b, sizeof b, (double)cfg->steps), cfg->batch, cfg->accum > 1 ? " x accum" : "", m->ctx,
               format_sci(c, sizeof c, bill.flops));
    else
        printf("  this run   %s tokens (--tokens) = %s FLOP\n", format_grouped(a, sizeof a, bill.tokens),
               format_sci(c, sizeof c, bill.flops));
    printf("  rate       %s/s (%s)\n", format_si(a, sizeof a, bill.rate, "FLOP"),
           given ? "given with --gflops"
                 : "sgemm's rate measured above: the ceiling; a training step reaches part of it, which bytegpt\n"
                   "             bench measures; pass that with --gflops");
    printf("  time       %s for this run at that rate\n", format_duration(a, sizeof a, bill.seconds));

    printf("\nbeside real pre-training runs (6*N*D; this run counts attention too):\n");
    const char *row = "  %-11s %7s %7s %9s %12s  %s\n";
    printf(row, "", "N", "D", "FLOP", "x this run", "on this machine");
    printf(row, "this run", format_count(a, sizeof a, (double)g->total), format_count(b, sizeof b, bill.tokens),
           format_sci(c, sizeof c, bill.flops), "1", format_duration(e, sizeof e, bill.seconds));
    for (int i = 0; i < BG_COST_N_REFS; i++) {
        const struct bg_cost_ref *r = &bill.refs[i];
        printf(row, r->name, format_count(a, sizeof a, r->params), format_count(b, sizeof b, r->tokens),
               format_sci(c, sizeof c, r->flops), format_round3(d, sizeof d, r->ratio),
               format_duration(e, sizeof e, r->seconds));
    }
    const struct bg_cost_ref *big = &bill.refs[BG_COST_N_REFS - 1];
    printf("  %s would take %s on this machine%s.\n", big->name, format_duration(a, sizeof a, big->seconds),
           given ? "" : " (at sgemm's rate, its best case)");
    printf("sources\n");
    for (int i = 0; i < BG_COST_N_REFS; i++)
        printf("  %-11s %s\n", bill.refs[i].name, bill.refs[i].source);
    return 0;
}

/* ---- Data parallelism ---- */

/* A link speed in bits per second written as a number and Mbit, Gbit or
 * Tbit ("10Gbit"), converted to bytes per second. */
static int parse_link(const char *text, double *bytes_per_s)
{
    const char *units[3] = {"Mbit", "Gbit", "Tbit"};
    char *end;
    double v = strtod(text, &end);
    for (int i = 0; i < 3; i++)
        if (end != text && strcmp(end, units[i]) == 0 && v > 0 && v <= 1e6) {
            *bytes_per_s = v * pow(1000.0, i + 2) / 8.0;
            return 1;
        }
    return 0;
}

/* This machine's training rate for the model, in FLOP/s: one forward and
 * backward pass, timed after an untimed one that warms the caches and
 * threads, on as many rows as make about 3 GFLOP (at least one, at most
 * the batch), of random bytes. Sets *rows to the rows used. */
static int measure_rate(const struct bg_train_config *cfg, double *rate, size_t *rows, struct bg_error *err)
{
    const struct bg_config *m = &cfg->model;
    double per_row = config_flops_per_token(m) * (double)m->ctx;
    double want = floor(3e9 / per_row);
    *rows = want < 1 ? 1 : want > (double)cfg->batch ? cfg->batch : (size_t)want;
    struct bg_model model;
    int rc = run_check_memory(m, *rows, err);
    if (rc || (rc = model_init(&model, m, *rows, err)))
        return rc;
    size_t n = *rows * m->ctx;
    uint8_t *bytes = malloc(2 * n);
    if (!bytes) {
        model_free(&model);
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    }
    struct bg_rng rng;
    rng_seed(&rng, cfg->seed, BG_STREAM_INIT);
    model_init_weights(&model, &rng);
    for (size_t i = 0; i < 2 * n; i++)
        bytes[i] = (uint8_t)rng_range(&rng, 256);
    double seconds = 0;
    for (int pass = 0; pass < 2; pass++) {
        double t0 = clock_now();
        model_zero_grad(&model);
        model_forward(&model, bytes, bytes + n, *rows, m->ctx);
        model_backward(&model, 1.0f);
        seconds = clock_now() - t0;
    }
    *rate = per_row * (double)*rows / seconds;
    free(bytes);
    model_free(&model);
    return BG_OK;
}

/* A short time: "2.71 ms", "1.93 s", then as format_duration gives it. */
static const char *short_time(char *buf, size_t n, double s)
{
    /* Three figures, trailing zeros kept ("66.0 ms", not "66 ms"), so that
     * the rows of a column read alike. */
    if (s < 0.9995) /* 999.7 ms would print as 1.00e+03 ms */
        snprintf(buf, n, "%#.3g ms", s * 1e3);
    else if (s < 60.0)
        snprintf(buf, n, "%#.3g s", s);
    else
        format_duration(buf, n, s);
    return buf;
}

/* One row of the table: the step at n processes. */
static void dp_row(size_t params, double tokens, double compute, double link_bytes, int n)
{
    struct bg_dp_cost d;
    cost_data_parallel(params, tokens, compute, link_bytes, n, &d);
    char a[FORMAT_LEN], b[FORMAT_LEN], c[FORMAT_LEN], e[FORMAT_LEN];
    printf("  %9d %16s %12s %11s %10.1f%% %14s\n", n, format_bytes(a, sizeof a, d.bytes),
           short_time(b, sizeof b, d.comm_seconds), short_time(c, sizeof c, d.compute_seconds + d.comm_seconds),
           100.0 * d.efficiency, format_grouped(e, sizeof e, d.tokens_per_s));
}

static int info_ranks(const struct bg_train_config *cfg, int ranks, const char *link, double link_bytes,
                      double gflops)
{
    const struct bg_config *m = &cfg->model;
    double rate = gflops * 1e9, tokens = (double)(cfg->batch * cfg->accum * m->ctx);
    size_t rows = 0;
    struct bg_error err = {0};
    if (gflops <= 0 && measure_rate(cfg, &rate, &rows, &err))
        return cli_report(&err);
    size_t params = config_num_params(m);
    double compute = tokens * config_flops_per_token(m) / rate;
    char a[FORMAT_LEN], b[FORMAT_LEN], c[FORMAT_LEN], r[80];
    printf("\ndata parallel  %d processes, one per machine, each training batch %zu x accum %zu x ctx %zu = %s "
           "tokens per step\n",
           ranks, cfg->batch, cfg->accum, m->ctx, format_grouped(a, sizeof a, tokens));
    printf("  gradient   %s per step (%s fp32 parameters), summed over the processes by one all-reduce\n",
           format_bytes(a, sizeof a, 4.0 * (double)params), format_grouped(b, sizeof b, (double)params));
    printf("  all-reduce 2(N-1)/N x gradient / link: a ring sends that much per process per step, and\n"
           "             receives as much\n");
    printf("  link       %s = %s/s, one per machine (--link)\n", link, format_bytes(a, sizeof a, link_bytes));
    if (rows)
        snprintf(r, sizeof r, "measured here by one training pass of %zu row%s", rows, rows == 1 ? "" : "s");
    else
        snprintf(r, sizeof r, "given with --gflops");
    printf("  compute    %s per step per process: %s tokens x %s at %.1f GFLOP/s (%s)\n",
           short_time(c, sizeof c, compute), format_grouped(a, sizeof a, tokens),
           format_si(b, sizeof b, config_flops_per_token(m), "FLOP"), rate / 1e9, r);
    printf("  efficiency compute / (compute + all-reduce), the all-reduce after the backward pass; the\n"
           "             latency of its 2(N-1) messages left out, so these are best cases\n\n");
    printf("  %9s %16s %12s %11s %11s %14s\n", "processes", "sent/process", "all-reduce", "step", "efficiency",
           "tokens/s (all)");
    /* From a pair of machines to a cluster, with the count asked for in
     * its place among them. */
    const int n_list[4] = {2, 8, 64, 512};
    for (int i = 0; i < 4; i++) {
        if (ranks > (i ? n_list[i - 1] : 1) && ranks < n_list[i])
            dp_row(params, tokens, compute, link_bytes, ranks);
        dp_row(params, tokens, compute, link_bytes, n_list[i]);
    }
    if (ranks > n_list[3])
        dp_row(params, tokens, compute, link_bytes, ranks);
    return 0;
}

static int run(int argc, char **argv)
{
    if (args_wants_help(argc, argv, 1)) {
        cli_print_help(&cli_cmd_info);
        return 0;
    }
    struct common_model_flags mf = {0};
    const char *corpus = NULL;
    const char *link = "10Gbit";
    double tokens = 0, gflops = 0, link_bytes = 0;
    size_t first = 0, ranks = 0;
    int machine_only = 0;
    struct arg_spec specs[] = {COMMON_MODEL_SPECS(mf), {"corpus", ARG_STRING, &corpus, 0, 0},
                               {"tokens", ARG_FLOAT, &tokens, 0, 0}, {"gflops", ARG_FLOAT, &gflops, 0, 0},
                               {"first", ARG_SIZE, &first, 0, 0}, {"ranks", ARG_SIZE, &ranks, 0, 0},
                               {"link", ARG_STRING, &link, 0, 0}, {"machine", ARG_BOOL, &machine_only, 0, 0}};
    size_t n_specs = sizeof specs / sizeof specs[0], n_pos;
    struct bg_error err = {0};
    int rc = args_parse("info", argc, argv, 1, specs, n_specs, NULL, 0, &n_pos, &err);
    struct bg_train_config cfg;
    if (!rc)
        rc = common_apply_model("info", &mf, specs, n_specs, &cfg, &err);
    if (!rc && args_find(specs, n_specs, "tokens")->seen && !(tokens >= 1 && tokens <= 1e30))
        rc = bg_fail(&err, BG_ERR_INPUT, "info: --tokens must be a count from 1 to 1e30, got %g", tokens);
    if (!rc && args_find(specs, n_specs, "gflops")->seen && !(gflops > 0 && gflops <= 1e12))
        rc = bg_fail(&err, BG_ERR_INPUT, "info: --gflops must be a rate above 0 (GFLOP/s, e.g. 45.2), got %g", gflops);
    if (rc)
        return cli_report(&err);
    if (first && !corpus)
        rc = bg_fail(&err, BG_ERR_INPUT, "info: --first needs --corpus");
    if (!rc && args_find(specs, n_specs, "link")->seen && !ranks)
        rc = bg_fail(&err, BG_ERR_INPUT, "info: --link needs --ranks");
    if (!rc && ranks && corpus)
        rc = bg_fail(&err, BG_ERR_INPUT, "info: --ranks costs a model, not a corpus: leave out --corpus");
    if (!rc && machine_only && (corpus || ranks))
        rc = bg_fail(&err, BG_ERR_INPUT, "info: --machine shows the machine alone: leave out --corpus and --ranks");
    if (!rc && ranks > 1000000)
        rc = bg_fail(&err, BG_ERR_INPUT, "info: --ranks must be at most 1000000, got %zu", ranks);
    if (!rc && !parse_link(link, &link_bytes))
        rc = bg_fail(&err, BG_ERR_INPUT, "info: --link needs a speed such as 1Gbit, 10Gbit or 1.6Tbit, got '%s'", link);
    if (rc)
        return cli_report(&err);
    if (corpus)
        return info_corpus(corpus, &cfg, first);
    /* Without --tokens, the run the preset describes. */
    int from_preset = !args_find(specs, n_specs, "tokens")->seen;
    if (from_preset)
        tokens = (double)cfg.steps * (double)cfg.batch * (double)cfg.accum * (double)cfg.model.ctx;
    double sgemm_rate = 0;
    machine_print_section(&sgemm_rate);
    if (machine_only)
        return 0;
    printf("\n");
    int code = info_model(&cfg, mf.preset, tokens, from_preset, gflops, sgemm_rate);
    return code || !ranks ? code : info_ranks(&cfg, (int)ranks, link, link_bytes, gflops);
}

const struct cli_command cli_cmd_info = {"info", "what a corpus holds and what a model costs", help, run};
