/* cost: the bill's arithmetic. Parameter groups add up to the model's
 * count and match hand counts; memory is model_memory's; FLOPs follow
 * 6N + 6*L*ctx*C; the two real runs come out at their published figures
 * (GPT-3: 6*N*D = 3.15e23, the paper's 3.14e23 within 1%); ratios and
 * times agree with each other. Then `bytegpt info` prints the bill. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "bytegpt/cost.h"
#include "bytegpt/model.h"
#include "test.h"

/* The "default" preset's model: 4 layers, 4 heads, 128 wide, ctx 128. */
static const struct bg_config def = {.L = 4, .NH = 4, .C = 128, .ctx = 128, .V = 256};

static double rel(double a, double b)
{
    return fabs(a - b) / fabs(b);
}

static void test_param_groups(void)
{
    struct bg_param_groups g;
    cost_param_groups(&def, &g);
    size_t L = 4, C = 128, T = 128, V = 256;
    /* Counted by hand from the shapes in model.h. */
    CHECK(g.embeddings == V * C + T * C);
    CHECK(g.attention == L * (3 * C * C + 3 * C + C * C + C));
    CHECK(g.mlp == L * (4 * C * C + 4 * C + 4 * C * C + C));
    CHECK(g.layernorm == L * 4 * C + 2 * C);
    CHECK(g.embeddings + g.attention + g.mlp + g.layernorm == g.total);
    CHECK(g.total == config_num_params(&def));
    CHECK(g.total == 842496);
}

static void test_bill(void)
{
    struct bg_cost b;
    double tokens = 5000.0 * 16 * 128;
    cost_bill(&def, 16, tokens, 60e9, &b);
    double N = (double)config_num_params(&def);

    /* Memory is model_memory's, for this batch. */
    struct bg_memory mem;
    model_memory(&def, 16, &mem);
    CHECK(memcmp(&mem, &b.mem, sizeof mem) == 0);
    CHECK(b.mem.params == 842496 * sizeof(float));
    CHECK(b.batch == 16);

    /* FLOPs: 6N + 6*L*ctx*C per token, times the tokens. */
    CHECK_NEAR(b.flops_per_token, 6 * N + 6.0 * 4 * 128 * 128, 0.5);
    CHECK_NEAR(b.flops_per_token, 5448192.0, 0.5);
    CHECK_NEAR(b.flops, b.flops_per_token * tokens, 1e-12 * b.flops);
    CHECK_NEAR(b.seconds, b.flops / 60e9, 1e-12 * b.seconds);
    CHECK(b.rate == 60e9);

    /* The real runs: 6*N*D. */
    const struct bg_cost_ref *gpt2 = &b.refs[0], *gpt3 = &b.refs[1];
    CHECK(strstr(gpt2->name, "GPT-2") != NULL && strstr(gpt3->name, "GPT-3") != NULL);
    CHECK_NEAR(gpt3->flops, 6.0 * 175e9 * 300e9, 1.0);
    CHECK(rel(gpt3->flops, 3.15e23) <= 0.01);
    CHECK(rel(gpt3->flops, 3.14e23) <= 0.01); /* Brown et al. 2020, table D.1 */
    CHECK(rel(gpt2->flops, 6.0 * 124e6 * 10e9) <= 1e-12);
    CHECK(rel(gpt2->flops, 7.44e18) <= 0.001);

    /* Ratios and times agree: a run r times bigger takes r times longer,
     * and GPT-3 at 60 GFLOP/s takes about 166,000 years. */
    for (int i = 0; i < BG_COST_N_REFS; i++) {
        const struct bg_cost_ref *r = &b.refs[i];
        CHECK_NEAR(r->ratio, r->flops / b.flops, 1e-12 * r->ratio);
        CHECK_NEAR(r->seconds, r->ratio * b.seconds, 1e-9 * r->seconds);
        CHECK_NEAR(r->seconds, r->flops / 60e9, 1e-9 * r->seconds);
    }
    double years = gpt3->seconds / (365.25 * 86400);
    CHECK(rel(years, 166000) <= 0.005);
    CHECK(rel(gpt3->ratio / gpt2->ratio, (175e9 * 300e9) / (124e6 * 10e9)) <= 1e-12);

    /* A faster machine takes proportionally less time. */
    struct bg_cost fast;
    cost_bill(&def, 16, tokens, 120e9, &fast);
    CHECK_NEAR(fast.refs[1].seconds, gpt3->seconds / 2, 1e-9 * gpt3->seconds);
    CHECK_NEAR(fast.refs[1].ratio, gpt3->ratio, 1e-12 * gpt3->ratio);

    /* No rate given: the assumed one. Zero tokens: no ratios. */
    struct bg_cost z;
    cost_bill(&def, 1, 0, 0, &z);
    CHECK(z.rate == BG_COST_ASSUMED_FLOPS);
    CHECK(z.flops == 0 && z.refs[1].ratio == 0 && z.refs[1].flops > 0);
}

/* Data parallelism: a ring sends 2(N-1)/N of the gradient's bytes per
 * process (none for one process, the gradient itself for two, never twice
 * the gradient), and the efficiency is compute / (compute + all-reduce). */
static void test_data_parallel(void)
{
    struct bg_dp_cost d;
    cost_data_parallel(1000, 256, 0.01, 1e6, 1, &d);
    CHECK(d.bytes == 0 && d.comm_seconds == 0 && d.efficiency == 1.0);
    CHECK_NEAR(d.tokens_per_s, 25600, 1e-9);
    cost_data_parallel(1000, 256, 0.01, 1e6, 2, &d);
    CHECK_NEAR(d.bytes, 4000, 1e-9);
    cost_data_parallel(1000, 256, 0.01, 1e6, 8, &d);
    CHECK(d.ranks == 8);
    CHECK_NEAR(d.bytes, 7000, 1e-9);          /* 2 * 7/8 * 4 bytes * 1000 */
    CHECK_NEAR(d.comm_seconds, 7e-3, 1e-15);  /* over 1 MB/s */
    CHECK(d.compute_seconds == 0.01);
    CHECK_NEAR(d.efficiency, 0.01 / 0.017, 1e-12);
    CHECK_NEAR(d.tokens_per_s, 8 * 256 / 0.017, 1e-6);
    cost_data_parallel(1000, 256, 0.01, 1e6, 1000, &d);
    CHECK(d.bytes < 8000 && d.bytes > 7990);
}

/* Runs a shell command; returns its exit code, with stdout+stderr in out. */
static int run(const char *cmd, char *out, size_t n)
{
    char full[1024];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p)
        return -1;
    size_t k = fread(out, 1, n - 1, p);
    out[k] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_info_cli(void)
{
    static char out[16384];
    CHECK(run(BG_CLI " info --preset default", out, sizeof out) == 0);
    CHECK(strstr(out, "842,496") != NULL);
    CHECK(strstr(out, "6N + 6*L*ctx*C") != NULL);
    CHECK(strstr(out, "10,240,000 tokens") != NULL); /* 5000 steps x 16 x 128 */
    /* Without --gflops, the times are at sgemm's rate as the machine
     * section measured it, and say so. */
    CHECK(strstr(out, "sgemm's rate measured above") != NULL);
    CHECK(strstr(out, "years on this machine (at sgemm's rate, its best case)") != NULL);
    CHECK(run(BG_CLI " info --preset default --gflops 60", out, sizeof out) == 0);
    CHECK(strstr(out, "GPT-3 175B would take 166,000 years") != NULL);
    CHECK(strstr(out, "Brown et al. 2020") != NULL);
    CHECK(run(BG_CLI " info --preset tiny --tokens 1e9", out, sizeof out) == 0);
    CHECK(strstr(out, "1,000,000,000 tokens") != NULL);
    /* A measured rate, as bytegpt bench reports it: half the rate, twice the time. */
    CHECK(run(BG_CLI " info --preset default --gflops 30", out, sizeof out) == 0);
    CHECK(strstr(out, "GPT-3 175B would take 333,000 years on this machine.") != NULL);
    CHECK(strstr(out, "given with --gflops") != NULL);
    CHECK(run(BG_CLI " info --gflops -1", out, sizeof out) == 2);
    CHECK(strncmp(out, "error: ", 7) == 0 && strstr(out, "--gflops"));
    CHECK(run(BG_CLI " info --tokens 0", out, sizeof out) == 2);
    CHECK(strncmp(out, "error: ", 7) == 0 && strstr(out, "--tokens"));
    CHECK(run(BG_CLI " info --tokens lots", out, sizeof out) == 2);
    CHECK(strncmp(out, "error: ", 7) == 0 && strstr(out, "--tokens"));
}

/* info --ranks: the tiny model (34,688 parameters: 138,752 bytes of
 * gradient) at 10 GFLOP/s computes a step of 8 x 32 tokens x 220,416 FLOP
 * in 5.64 ms; at 8 processes a ring sends 2 * 7/8 of the gradient, 237.1
 * KiB, which takes 1.94 ms at 1 Gbit/s: 5.64 / (5.64 + 1.94) = 74.4%. */
static void test_info_ranks_cli(void)
{
    static char out[16384];
    CHECK(run(BG_CLI " info --preset tiny --ranks 8 --link 1Gbit --gflops 10", out, sizeof out) == 0);
    CHECK(strstr(out, "2(N-1)/N x gradient / link") != NULL);
    CHECK(strstr(out, "compute / (compute + all-reduce)") != NULL);
    CHECK(strstr(out, "5.64 ms per step per process") != NULL);
    CHECK(strstr(out, "        8        237.1 KiB      1.94 ms     7.59 ms       74.4%") != NULL);
    const char *rows[4] = {"\n          2 ", "\n          8 ", "\n         64 ", "\n        512 "};
    const char *at = out;
    for (int i = 0; i < 4; i++) /* all four, in order */
        CHECK(at && (at = strstr(at, rows[i])) != NULL);
    /* Another count takes its place among them. */
    CHECK(run(BG_CLI " info --preset tiny --ranks 3 --gflops 10", out, sizeof out) == 0);
    const char *two = strstr(out, "\n          2 "), *three = strstr(out, "\n          3 "),
               *eight = strstr(out, "\n          8 ");
    CHECK(two && three && eight && two < three && three < eight);
    CHECK(strstr(out, "10Gbit") != NULL);
    /* Without --gflops the rate is measured here. */
    CHECK(run(BG_CLI " info --preset tiny --ranks 2", out, sizeof out) == 0);
    CHECK(strstr(out, "measured here by one training pass of 8 rows") != NULL);
    CHECK(run(BG_CLI " info --ranks 2 --link 10x", out, sizeof out) == 2);
    CHECK(strncmp(out, "error: ", 7) == 0 && strstr(out, "--link"));
    CHECK(run(BG_CLI " info --link 1Gbit", out, sizeof out) == 2);
    CHECK(strstr(out, "error: info: --link needs --ranks") != NULL);
}

int main(void)
{
    RUN_TEST(test_param_groups);
    RUN_TEST(test_bill);
    RUN_TEST(test_info_cli);
    RUN_TEST(test_data_parallel);
    RUN_TEST(test_info_ranks_cli);
    return TEST_EXIT();
}
