/* info: what a corpus holds, and what a model costs. */
#include <stdio.h>

#include "bytegpt/corpus.h"
#include "bytegpt/model.h"
#include "cli.h"
#include "common.h"

static const char help[] =
    "usage: bytegpt info [--corpus PATH] [model flags]\n"
    "\n"
    "With --corpus: the corpus' size, shards, compressed size and ratio, and\n"
    "the train/validation split (the last 10% of a single file, or every\n"
    "tenth shard of a folder). Without: the model's parameters, memory and\n"
    "FLOPs per token.\n"
    "\n"
    "flags:\n"
    "  --corpus PATH    a .gz or text file, or a folder of them\n"
    COMMON_MODEL_HELP;

static int info_corpus(const char *path, const struct bg_train_config *cfg)
{
    struct bg_error err = {0};
    struct bg_corpus *c = NULL;
    struct bg_corpus_options opt = {.ctx = cfg->model.ctx, .seed = cfg->seed};
    int rc = corpus_open(&c, path, &opt, &err);
    if (rc)
        return cli_report(&err);
    struct bg_corpus_info in;
    corpus_get_info(c, &in);
    char a[32], b[32], d[32];
    printf("corpus       %s (%s, %zu shard%s)\n", path, in.is_folder ? "folder" : "file", in.n_shards,
           in.n_shards == 1 ? "" : "s");
    printf("text         %s (%llu bytes)\n", common_bytes(a, sizeof a, (double)in.total_bytes),
           (unsigned long long)in.total_bytes);
    printf("on disk      %s, ratio %.2f:1 (%.2f bits per byte)\n",
           common_bytes(b, sizeof b, (double)in.compressed_bytes),
           in.compressed_bytes ? (double)in.total_bytes / (double)in.compressed_bytes : 0.0,
           in.total_bytes ? 8.0 * (double)in.compressed_bytes / (double)in.total_bytes : 0.0);
    printf("train        %llu bytes (%zu shard%s)\n", (unsigned long long)in.train_bytes, in.n_train_shards,
           in.n_train_shards == 1 ? "" : "s");
    printf("validation   %llu bytes (%zu shard%s, %s)\n", (unsigned long long)in.val_bytes, in.n_val_shards,
           in.n_val_shards == 1 ? "" : "s",
           in.is_folder ? "every tenth shard, or the last when fewer than ten" : "the last 10% of the file");
    printf("buffer       %s for training windows, %s of validation kept\n",
           common_bytes(d, sizeof d, (double)in.buffer_bytes), common_bytes(a, sizeof a, (double)in.val_kept_bytes));
    corpus_close(c);
    return 0;
}

static int info_model(const struct bg_train_config *cfg, const char *preset)
{
    const struct bg_config *m = &cfg->model;
    struct bg_memory mem;
    model_memory(m, cfg->batch, &mem);
    char a[32], b[32], c[32], d[32];
    printf("model        %s: %zu layers, %zu heads, dim %zu, ctx %zu, vocab %zu (bytes)\n",
           preset ? preset : "default", m->L, m->NH, m->C, m->ctx, m->V);
    printf("parameters   %zu\n", config_num_params(m));
    printf("memory       %s = params %s x 4 (weights, gradients, AdamW m and v) + activations %s (batch %zu)\n",
           common_bytes(a, sizeof a, (double)mem.total), common_bytes(b, sizeof b, (double)mem.params),
           common_bytes(c, sizeof c, (double)(mem.act_arena)), cfg->batch);
    printf("FLOPs/token  %s (6N + 6*L*ctx*C)\n", common_si(d, sizeof d, config_flops_per_token(m), "FLOP"));
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
    struct arg_spec specs[] = {COMMON_MODEL_SPECS(mf), {"corpus", ARG_STRING, &corpus, 0, 0}};
    size_t n_specs = sizeof specs / sizeof specs[0], n_pos;
    struct bg_error err = {0};
    int rc = args_parse("info", argc, argv, 1, specs, n_specs, NULL, 0, &n_pos, &err);
    struct bg_train_config cfg;
    if (!rc)
        rc = common_apply_model(&mf, specs, n_specs, &cfg, &err);
    if (rc)
        return cli_report(&err);
    return corpus ? info_corpus(corpus, &cfg) : info_model(&cfg, mf.preset);
}

const struct cli_command cli_cmd_info = {"info", "what a corpus holds and what a model costs", help, run};
