/* sweep (runs): what a caller reads of a sweep it has run, and a second
 * sweep in a folder inside the first, as `bytegpt scaling` keeps its
 * check in DIR/check.
 *   - A tiny sweep with --list, --every-seed and --seeds 2 plans the
 *     baseline and each distinct item once (an item equal to the base or
 *     to an earlier one is not planned again), runs both seeds of every
 *     trial, and each run's own score (sweep_run_score) is what decided
 *     its row: the row's val_bpb is the mean of its seeds', its spread
 *     their difference, its parameters those of the trial's resolved
 *     configuration.
 *   - DIR/check is a sweep folder of its own (its lock, sweep.txt and
 *     results.tsv), open at the same time as DIR, and DIR resumed with
 *     DIR/check among its runs reads the same scores from its run folders
 *     and runs nothing again.
 * The runs train for a few steps of the tiny preset: a second or two in all. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bytegpt/model.h"
#include "bytegpt/rng.h"
#include "bytegpt/sweep.h"
#include "test.h"

static struct bg_sweep_def def, check_def; /* large: not on the stack */
static char root[] = "/tmp/bg_sweep_runs_XXXXXX";
static char dir[64], corpus[64], check_dir[80]; /* ROOT/sweep, ROOT/words.txt, ROOT/sweep/check */
static double scores[3][2];               /* the first session's, per trial and seed */
static char results[8192];                /* DIR/results.tsv after the first session */

/* ---- Set-up ---- */

/* A text of words the tiny model can learn something of in a few steps. */
static void write_corpus(const char *path)
{
    const char *words[] = {"the", "whale", "ship", "sea", "captain", "white", "boat", "deep", "long", "old"};
    struct bg_rng rng;
    rng_seed(&rng, 7, 0);
    FILE *f = fopen(path, "w");
    for (int i = 0; f && i < 20000; i++)
        fprintf(f, "%s ", words[rng_range(&rng, 10)]);
    if (f)
        fclose(f);
}

static int set_all(struct bg_sweep_def *d, const char *const *pairs, size_t n)
{
    struct bg_error err;
    sweep_def_init(d);
    for (size_t i = 0; i + 1 < n; i += 2)
        if (sweep_def_set(d, pairs[i], pairs[i + 1], &err) != BG_OK) {
            printf("    %s: %s\n", pairs[i], err.msg);
            return 0;
        }
    return 1;
}

static void refused(int rc, const struct bg_error *err, const char *part)
{
    int ok = rc == BG_ERR_INPUT && strstr(err->msg, part);
    CHECK(ok);
    if (!ok)
        printf("    got rc %d: %s (want '%s')\n", rc, err->msg, part);
}

static const struct bg_sweep_options options = {.out = dir, .jobs = 1, .threads = 1};

/* ---- A list, every seed, and each run's score ---- */

/* Each run of each trial: finished, its own seed, its figures, and its
 * trial's row made from them. Fills scores[][] when first is set, else
 * checks that the scores read now are those. */
static void check_scores(const struct bg_sweep *s, int first)
{
    struct bg_error err;
    size_t n;
    const struct bg_sweep_row *rows = sweep_rows(s, &n);
    CHECK(n == 3);
    for (size_t t = 1; t <= 3 && n == 3; t++) {
        const struct bg_train_config *c = sweep_trial_config(s, t);
        double b[2] = {NAN, NAN};
        for (size_t k = 0; k < 2; k++) {
            struct bg_sweep_score sc;
            CHECK(sweep_run_score(s, t, k, &sc, &err) == BG_OK);
            CHECK(sc.finished && !sc.crashed && sc.seed == 1337 + k && isfinite(sc.bpb));
            CHECK(sc.steps == 8 && sc.tokens == (double)(8 * c->batch * c->accum * c->model.ctx));
            CHECK(sc.params == (double)config_num_params(&c->model) && sc.params == rows[t - 1].params);
            CHECK(sc.flops > 0);
            b[k] = sc.bpb;
            if (first)
                scores[t - 1][k] = sc.bpb;
            else
                CHECK(sc.bpb == scores[t - 1][k]);
        }
        /* Two seeds are two runs: their scores differ, and the row holds
         * their mean and spread (results.tsv keeps 4 decimals, result.txt 6). */
        CHECK(b[0] != b[1]);
        CHECK(strcmp(rows[t - 1].seeds, "1337,1338") == 0);
        CHECK_NEAR(rows[t - 1].val_bpb, (b[0] + b[1]) / 2, 5.1e-5);
        CHECK_NEAR(rows[t - 1].spread, fabs(b[0] - b[1]), 5.1e-5);
    }
}

static void test_list_every_seed(void)
{
    struct bg_error err = {0};
    const char *pairs[] = {"corpus", corpus, "preset", "tiny", "steps", "8", "seeds", "2", "every-seed", "1",
                           "list", "--dim 48; --steps 8; --layers 1 --dim 48; --dim=48"};
    CHECK(set_all(&def, pairs, 12));
    struct bg_sweep *s = NULL;
    CHECK(sweep_open(&s, &def, &options, &err) == BG_OK);
    if (!s) {
        printf("    %s\n", err.msg);
        return;
    }
    /* The base, then the list's two distinct trials, in order. */
    CHECK(sweep_trial_count(s) == 3);
    CHECK(strcmp(sweep_trial_flags(s, 1), "") == 0 && strcmp(sweep_trial_flags(s, 2), "--dim 48") == 0);
    CHECK(strcmp(sweep_trial_flags(s, 3), "--layers 1 --dim 48") == 0);
    CHECK(sweep_trial_flags(s, 0) == NULL && sweep_trial_flags(s, 4) == NULL && sweep_trial_config(s, 4) == NULL);
    const struct bg_train_config *c = sweep_trial_config(s, 3);
    CHECK(c && c->model.L == 1 && c->model.C == 48 && c->model.NH == 2 && c->steps == 8);
    struct bg_sweep_score sc;
    CHECK(sweep_run_score(s, 2, 1, &sc, &err) == BG_OK && !sc.finished && isnan(sc.bpb) && sc.seed == 1338);
    refused(sweep_run_score(s, 0, 0, &sc, &err), &err, "no trial 0");
    refused(sweep_run_score(s, 4, 0, &sc, &err), &err, "no trial 4");
    refused(sweep_run_score(s, 1, 2, &sc, &err), &err, "no run 2 of trial 1");
    int rc = sweep_run(s, &err);
    CHECK(rc == BG_OK);
    if (rc)
        printf("    %s\n", err.msg);
    check_scores(s, 1);
    sweep_close(s);
    char path[128];
    snprintf(path, sizeof path, "%s/results.tsv", dir);
    CHECK(test_read_file(path, results, sizeof results) > 0);
}

/* ---- A second sweep inside the first's folder ---- */

static void test_check_folder(void)
{
    struct bg_error err = {0};
    const char *pairs[] = {"corpus", corpus, "preset", "tiny", "steps", "6", "seeds", "1", "list", "--dim 40"};
    CHECK(set_all(&check_def, pairs, 10));
    struct bg_sweep_options check_opt = options;
    check_opt.out = check_dir;
    /* DIR resumed, and DIR/check made and run while DIR is open: each
     * folder has its own lock. */
    struct bg_sweep *s = NULL, *c = NULL, *again = NULL;
    CHECK(sweep_open(&s, &def, &options, &err) == BG_OK);
    refused(sweep_open(&again, &def, &options, &err), &err, "is in use by process");
    CHECK(sweep_open(&c, &check_def, &check_opt, &err) == BG_OK);
    CHECK(c && sweep_run(c, &err) == BG_OK);
    size_t n = 0;
    if (c)
        sweep_rows(c, &n);
    CHECK(n == 2);
    sweep_close(c);
    sweep_close(s);
    char path[128], text[8192];
    snprintf(path, sizeof path, "%s/results.tsv", check_dir);
    CHECK(test_read_file(path, text, sizeof text) > 0 && strstr(text, "\t--dim 40\t"));
    snprintf(path, sizeof path, "%s/sweep.txt", check_dir);
    CHECK(test_read_file(path, text, sizeof text) > 0 && strstr(text, "\nlist\t--dim 40\n"));
    /* DIR/check holds its own definition, not DIR's. */
    refused(sweep_open(&c, &def, &check_opt, &err), &err, "holds a sweep with another definition");
    /* DIR, resumed with DIR/check among its runs: the same rows and
     * scores, read from the folders, and no run again. */
    s = NULL;
    CHECK(sweep_open(&s, &def, &options, &err) == BG_OK);
    if (!s)
        return;
    CHECK(sweep_run(s, &err) == BG_OK);
    struct bg_sweep_info info;
    sweep_info(s, &info);
    CHECK(info.runs == 0);
    check_scores(s, 0);
    sweep_close(s);
    snprintf(path, sizeof path, "%s/results.tsv", dir);
    CHECK(test_read_file(path, text, sizeof text) > 0 && strcmp(text, results) == 0);
}

int main(void)
{
    if (!mkdtemp(root))
        return 1;
    snprintf(dir, sizeof dir, "%s/sweep", root);
    snprintf(corpus, sizeof corpus, "%s/words.txt", root);
    snprintf(check_dir, sizeof check_dir, "%s/check", dir);
    write_corpus(corpus);
    RUN_TEST(test_list_every_seed);
    RUN_TEST(test_check_folder);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", root);
    if (system(cmd) != 0)
        printf("  could not remove %s\n", root);
    return TEST_EXIT();
}
