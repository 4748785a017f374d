/* sweep: the text a sweep is planned from. A grid gives every
 * combination in a fixed order, a space's draws stay inside it (log
 * ranges spread evenly in log, whole-number settings rounded, the same
 * draws for the same seed), a trial's flags read back as written, a list
 * of trials reads to one canonical text, and a definition is written in
 * one canonical form. Every malformed part is
 * refused with a message naming it. (The runs themselves, results.tsv,
 * resume, crashes and the proposer are tested through the command line
 * by test_sweep_cli.sh.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytegpt/strbuf.h"
#include "bytegpt/sweep.h"
#include "test.h"

static struct bg_sweep_space space; /* large: not on the stack */

/* ---- Grids ---- */

static const char *point_value(const struct bg_sweep_flags *f, const char *name)
{
    for (size_t k = 0; k < f->n; k++)
        if (strcmp(settings_name(f->c[k].setting), name) == 0)
            return f->c[k].value;
    return "";
}

static void test_grid(void)
{
    struct bg_error err;
    CHECK(sweep_parse_grid("  lr=1e-3,3e-3\t\ndim=64,128,256 ", &space, &err) == BG_OK);
    CHECK(space.n == 2 && space.axis[0].setting == BG_SET_LR && space.axis[1].n == 3);
    CHECK(sweep_grid_size(&space) == 6);
    /* The last setting varies fastest. */
    const char *want[6][2] = {{"1e-3", "64"},  {"1e-3", "128"}, {"1e-3", "256"},
                              {"3e-3", "64"},  {"3e-3", "128"}, {"3e-3", "256"}};
    for (size_t i = 0; i < 6; i++) {
        struct bg_sweep_flags f = {.n = 0};
        CHECK(sweep_grid_point(&space, i, &f, &err) == BG_OK);
        CHECK(f.n == 2 && strcmp(point_value(&f, "lr"), want[i][0]) == 0 &&
              strcmp(point_value(&f, "dim"), want[i][1]) == 0);
    }
    char text[256];
    sweep_space_format(&space, text, sizeof text);
    CHECK(strcmp(text, "lr=1e-3,3e-3 dim=64,128,256") == 0);
}

/* text must be refused (BG_ERR_INPUT) with a message starting with
 * `start` and holding `part`. */
static void refused(int rc, const struct bg_error *err, const char *start, const char *part)
{
    int ok = rc == BG_ERR_INPUT && strncmp(err->msg, start, strlen(start)) == 0 && strstr(err->msg, part);
    CHECK(ok);
    if (!ok)
        printf("    got rc %d: %s (want '%s')\n", rc, err->msg, part);
}

static void test_grid_refusals(void)
{
    const char *bad[][2] = {
        {"lr", "'lr' has no values"},
        {"lr=", "lr= has no values"},
        {"lr=1e-3,,3e-3", "lr has an empty value in '1e-3,,3e-3'"},
        {"lr=1e-3,", "empty value"},
        {"lr=abc", "--lr needs a finite number, got 'abc'"},
        {"dim=0,64", "--dim must be at least 1"},
        {"steps=-5", "--steps needs a non-negative whole number, got '-5'"},
        {"foo=1,2", "unknown setting 'foo'"},
        {"preset=tiny", "unknown setting 'preset'"},
        {"lr=1e-3 dim=64 lr=3e-3", "names lr twice"},
        {"threads=1,2", "threads cannot be swept"},
        {"", "is empty"},
        {" \t\n", "is empty"},
        {"dim=8..64", "got '8..64'"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bg_error err = {0};
        refused(sweep_parse_grid(bad[i][0], &space, &err), &err, "sweep --grid", bad[i][1]);
    }
    struct bg_error err = {0};
    char many[1024] = "seed=0";
    for (int v = 1; v <= 64; v++)
        snprintf(many + strlen(many), sizeof many - strlen(many), ",%d", v);
    refused(sweep_parse_grid(many, &space, &err), &err, "sweep --grid", "more than 64 values");
    const char *huge = "seed=1,2,3,4,5,6,7,8,9,10 batch=1,2,3,4,5,6,7,8,9,10 dim=1,2,3,4,5,6,7,8,9,10 "
                       "ctx=1,2,3,4,5,6,7,8,9,10 layers=1,2";
    refused(sweep_parse_grid(huge, &space, &err), &err, "sweep --grid", "more than 10000 combinations");
}

/* ---- Spaces ---- */

static void test_space_draws(void)
{
    struct bg_error err;
    CHECK(sweep_parse_space("lr=1e-4..1e-2:log batch=8,16,32 wd=0..0.2 dim=16..64", &space, &err) == BG_OK);
    CHECK(space.n == 4 && space.axis[0].kind == BG_SWEEP_LOG_RANGE && space.axis[1].kind == BG_SWEEP_LIST &&
          space.axis[2].kind == BG_SWEEP_RANGE);
    struct bg_rng rng, again;
    rng_seed(&rng, 7, 99);
    rng_seed(&again, 7, 99);
    int inside = 1, whole = 1, same = 1, below_1e3 = 0, batches[3] = {0};
    const int N = 2000;
    for (int i = 0; i < N; i++) {
        struct bg_sweep_flags f = {.n = 0}, g = {.n = 0};
        CHECK(sweep_space_draw(&space, &rng, &f, &err) == BG_OK);
        CHECK(sweep_space_draw(&space, &again, &g, &err) == BG_OK);
        same &= memcmp(&f, &g, sizeof f) == 0;
        double lr = atof(point_value(&f, "lr")), wd = atof(point_value(&f, "wd"));
        int batch = atoi(point_value(&f, "batch"));
        const char *dim = point_value(&f, "dim");
        inside &= lr >= 1e-4 * 0.9999 && lr <= 1e-2 * 1.0001 && wd >= 0 && wd <= 0.2;
        inside &= atoi(dim) >= 16 && atoi(dim) <= 64;
        whole &= strspn(dim, "0123456789") == strlen(dim);
        below_1e3 += lr < 1e-3;
        batches[0] += batch == 8;
        batches[1] += batch == 16;
        batches[2] += batch == 32;
    }
    CHECK(inside && whole && same);
    /* Uniform in log: half the draws below the geometric middle, 1e-3
     * (the binomial spread of 2000 draws is about 0.011). */
    CHECK_NEAR((double)below_1e3 / N, 0.5, 0.05);
    CHECK(batches[0] + batches[1] + batches[2] == N && batches[0] > 500 && batches[1] > 500 && batches[2] > 500);
    char text[256];
    sweep_space_format(&space, text, sizeof text);
    CHECK(strcmp(text, "lr=1e-4..1e-2:log batch=8,16,32 wd=0..0.2 dim=16..64") == 0);
}

static void test_space_refusals(void)
{
    const char *bad[][2] = {
        {"lr=1e-2..1e-4", "goes from high to low; write it as 1e-4..1e-2"},
        {"lr=0..1e-2:log", "on a log scale, so both bounds must be above 0"},
        {"lr=1e-4..1e-2:sqrt", "ends in ':sqrt'; a range may end in :log"},
        {"lr=a..b", "is not a range of two numbers"},
        {"lr=..1e-2", "is not a range of two numbers"},
        {"lr=1e-4..1e-2..1", "is not a range of two numbers"},
        {"dim=0..8", "--dim must be at least 1"},
        {"seed=0..18446744073709551615", "goes above 2^53"},
        {"batch=", "batch= has no values"},
        {"", "is empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct bg_error err = {0};
        refused(sweep_parse_space(bad[i][0], &space, &err), &err, "sweep --space", bad[i][1]);
    }
}

/* ---- A trial's flags ---- */

static void test_flags(void)
{
    struct bg_sweep_flags f;
    struct bg_error err;
    char text[256];
    CHECK(sweep_flags_parse("  --lr 3e-3\n--dim=128  ", "test", &f, &err) == BG_OK);
    sweep_flags_format(&f, text, sizeof text);
    CHECK(strcmp(text, "--lr 3e-3 --dim 128") == 0);
    /* A later value replaces an earlier one, in place. */
    CHECK(sweep_flags_put(&f, "lr", "1e-2", "test", &err) == BG_OK);
    sweep_flags_format(&f, text, sizeof text);
    CHECK(strcmp(text, "--lr 1e-2 --dim 128") == 0);
    CHECK(sweep_flags_parse("", "test", &f, &err) == BG_OK && f.n == 0);
    const char *bad[][2] = {
        {"lr 3e-3", "test 'lr', which is not flags"},
        {"--lr", "test --lr without a value"},
        {"-- 3", "'--', which is not flags"},
        {"--foo 1", "unknown setting 'foo'"},
        {"--lr abc", "--lr needs a finite number, got 'abc'"},
        {"--threads 2", "threads cannot be swept"},
        {"--dim 64 hello", "'hello', which is not flags"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused(sweep_flags_parse(bad[i][0], "test", &f, &err), &err, "test", bad[i][1]);
}

/* ---- Lists ---- */

static char canon[BG_SWEEP_LIST_LEN];

static void test_list(void)
{
    struct bg_sweep_flags f;
    struct bg_error err;
    size_t n = 0;
    /* Any spacing and --name=value read to one canonical text, in order. */
    CHECK(sweep_parse_list("  --layers 2 --dim 64 --heads 2;--layers=3\t--dim 96 --heads 3 ", canon, sizeof canon,
                           &n, &err) == BG_OK);
    CHECK(n == 2 && strcmp(canon, "--layers 2 --dim 64 --heads 2; --layers 3 --dim 96 --heads 3") == 0);
    CHECK(sweep_list_item(canon, 1, &f, &err) == BG_OK && f.n == 3);
    CHECK(strcmp(point_value(&f, "layers"), "3") == 0 && strcmp(point_value(&f, "dim"), "96") == 0);
    CHECK(sweep_list_item(canon, 0, &f, &err) == BG_OK && strcmp(point_value(&f, "heads"), "2") == 0);
    refused(sweep_list_item(canon, 2, &f, &err), &err, "sweep --list", "no item 3");
    /* The canonical text reads back to itself. */
    char again[256];
    size_t m = 0;
    CHECK(sweep_parse_list(canon, again, sizeof again, &m, &err) == BG_OK && m == 2 && strcmp(again, canon) == 0);
    /* A scaling run's list (40 trials of about 50 characters) fits. */
    struct bg_strbuf b = {0};
    for (int i = 0; i < 40; i++)
        strbuf_printf(&b, "%s--layers %d --dim %d --heads %d --steps %d", i ? "; " : "", 1 + i % 8, 32 * (1 + i % 6),
                      1 + i % 2, 1000 + 37 * i);
    char *long_list = strbuf_take(&b);
    CHECK(long_list && sweep_parse_list(long_list, canon, sizeof canon, &n, &err) == BG_OK && n == 40);
    CHECK(long_list && strcmp(canon, long_list) == 0);
    free(long_list);
    const char *bad[][2] = {
        {"--dim 64; dim 96", "sweep --list item 2 'dim', which is not flags"},
        {"--dim 64;; --dim 96", "sweep --list item 2 is empty"},
        {"--dim 64;", "sweep --list item 2 is empty"},
        {"", "sweep --list item 1 is empty"},
        {"--colour red", "sweep --list item 1: unknown setting 'colour'"},
        {"--dim 64; --layers 2 --lr abc", "sweep --list item 2: --lr needs a finite number, got 'abc'"},
        {"--dim", "sweep --list item 1 --dim without a value"},
        {"--threads 2", "sweep --list item 1: threads cannot be swept"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        refused(sweep_parse_list(bad[i][0], canon, sizeof canon, &n, &err), &err, bad[i][1], "");
    /* Too long: the canonical text past the room for it, named at the
     * item that went past. */
    refused(sweep_parse_list("--dim 64; --dim 96; --dim 128", again, 20, &n, &err), &err,
            "sweep --list is too long: item 3 goes past 19 bytes", "");
}

/* ---- The definition ---- */

static struct bg_sweep_def def, other;

static int set_all(struct bg_sweep_def *d, const char *const *pairs, size_t n)
{
    struct bg_error err;
    sweep_def_init(d);
    for (size_t i = 0; i + 1 < n; i += 2)
        if (sweep_def_set(d, pairs[i], pairs[i + 1], &err) != BG_OK)
            return 0;
    return 1;
}

static void test_definition(void)
{
    struct bg_error err;
    const char *a[] = {"corpus", "c.txt", "preset", "tiny", "steps", "30", "lr", "3e-3",
                       "grid", "dim=32,64  layers=1,2", "seeds", "3", "list", "--dim 48;--layers=1", "every-seed", "1"};
    const char *b[] = {"every-seed", "1", "list", " --dim 48 ; --layers 1", "seeds", "3", "grid",
                       "dim=32,64 layers=1,2", "lr", "0.003", "steps", "30", "preset", "tiny", "corpus", "c.txt"};
    CHECK(set_all(&def, a, 16) && set_all(&other, b, 16));
    CHECK(def.list_n == 2 && def.every_seed == 1);
    CHECK(sweep_def_check(&def, &err) == BG_OK);
    /* One canonical text whatever the order and spelling. */
    char *ta = sweep_def_text(&def), *tb = sweep_def_text(&other);
    CHECK(ta && tb && strcmp(ta, tb) == 0);
    CHECK(strstr(ta, "\nlr\t0.003\n") && strstr(ta, "\ngrid\tdim=32,64 layers=1,2\n") && strstr(ta, "\nseeds\t3\n"));
    CHECK(strstr(ta, "\nlist\t--dim 48; --layers 1\n") && strstr(ta, "\nevery-seed\t1\n"));
    /* sweep.txt reads back to the same definition. */
    char dir[] = "/tmp/bg_sweep_XXXXXX", path[64];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(path, sizeof path, "%s/sweep.txt", dir);
    FILE *f = fopen(path, "w");
    fputs(ta, f);
    fclose(f);
    CHECK(sweep_def_load(&other, dir, &err) == BG_OK);
    char *tc = sweep_def_text(&other);
    CHECK(tc && strcmp(ta, tc) == 0);
    CHECK(other.list_n == 2 && other.every_seed == 1 && strcmp(other.list, def.list) == 0);
    /* With one seed every trial has all its seeds anyway: --every-seed
     * changes nothing, so the text leaves it out. */
    CHECK(sweep_def_set(&def, "seeds", "1", &err) == BG_OK);
    char *td = sweep_def_text(&def);
    CHECK(td && !strstr(td, "every-seed"));
    free(td);
    remove(path);
    rmdir(dir);
    free(ta);
    free(tb);
    free(tc);
}

static void test_definition_refusals(void)
{
    struct bg_error err = {0};
    const char *no_corpus[] = {"steps", "30"}, *no_budget[] = {"corpus", "c.txt"},
               *zero_steps[] = {"corpus", "c.txt", "steps", "0"},
               *random_alone[] = {"corpus", "c.txt", "steps", "9", "random", "4"},
               *space_alone[] = {"corpus", "c.txt", "steps", "9", "space", "lr=1e-4..1e-2"},
               *bad_base[] = {"corpus", "c.txt", "steps", "9", "heads", "3"};
    CHECK(set_all(&def, no_corpus, 2));
    refused(sweep_def_check(&def, &err), &err, "sweep needs --corpus", "");
    CHECK(set_all(&def, no_budget, 2));
    refused(sweep_def_check(&def, &err), &err, "sweep needs a budget", "--time-budget T");
    CHECK(set_all(&def, zero_steps, 4));
    refused(sweep_def_check(&def, &err), &err, "sweep: --steps 0", "");
    CHECK(set_all(&def, random_alone, 6));
    refused(sweep_def_check(&def, &err), &err, "sweep --random N draws from --space", "");
    CHECK(set_all(&def, space_alone, 6));
    refused(sweep_def_check(&def, &err), &err, "sweep --space is drawn from by --random", "");
    CHECK(set_all(&def, bad_base, 6));
    refused(sweep_def_check(&def, &err), &err, "", "divisible");
    const char *bad[][3] = {
        {"seeds", "0", "--seeds needs a whole number from 1 to 16"},
        {"seeds", "17", "--seeds needs a whole number from 1 to 16"},
        {"greedy", "x", "--greedy needs a whole number"},
        {"factor", "1", "--factor needs a number above 1"},
        {"vary", "lr,foo", "'foo' is not a setting greedy can change"},
        {"vary", " , ", "--vary is empty"},
        {"propose", "", "--propose needs a command"},
        {"propose", "a\nb", "--propose must be one line"},
        {"threads", "2", "--threads is the sweep's"},
        {"lr", "nan", "--lr needs a finite number"},
        {"preset", "huge", "unknown preset 'huge'"},
        {"every-seed", "yes", "every-seed is 1 or 0, got 'yes'"},
        {"list", "--dim 48;", "sweep --list item 2 is empty"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sweep_def_init(&def);
        refused(sweep_def_set(&def, bad[i][0], bad[i][1], &err), &err, "", bad[i][2]);
    }
}

int main(void)
{
    RUN_TEST(test_grid);
    RUN_TEST(test_grid_refusals);
    RUN_TEST(test_space_draws);
    RUN_TEST(test_space_refusals);
    RUN_TEST(test_flags);
    RUN_TEST(test_list);
    RUN_TEST(test_definition);
    RUN_TEST(test_definition_refusals);
    return TEST_EXIT();
}
