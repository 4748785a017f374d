/* checkpoint: an exact round trip, and every damaged file refused with a
 * message naming it: every truncation, wrong magic, unknown version, a
 * flipped byte anywhere; a failed save leaves the old checkpoint intact. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "bytegpt/checkpoint.h"
#include "bytegpt/settings.h"
#include "test.h"

static char dir[] = "/tmp/bg_ckpt_XXXXXX";
static char path[256], copy[256];

/* The smallest model: 1284 parameters, a checkpoint of about 16 KB, so
 * that every one of its prefixes can be tried. */
static const struct bg_config tiny = {.L = 1, .NH = 1, .C = 4, .ctx = 2, .V = 256};

static void make_model(struct bg_model *m, struct bg_ckpt_state *s, uint64_t seed)
{
    struct bg_error err;
    model_init(m, &tiny, 1, &err);
    struct bg_rng r;
    rng_seed(&r, seed, 1);
    for (size_t i = 0; i < m->num_params; i++) {
        m->params[i] = rng_normal(&r, 0, 1);
        m->m[i] = rng_normal(&r, 0, 1);
        m->v[i] = rng_uniform(&r);
    }
    memset(s, 0, sizeof *s);
    settings_preset("tiny", &s->cfg, &err);
    s->cfg.model = tiny;
    s->step = 1234;
    s->tokens = 987654321;
    s->elapsed = 12.5;
    s->warmup_progress = 0.0625;
    s->best_val = NAN;
    s->pos.epoch = 3;
    s->pos.shard = 7;
    s->pos.offset = 4096;
    s->pos.drawn = 99;
    rng_seed(&s->pos.rng, seed, 2);
    rng_seed(&s->sample_rng, seed, 3);
}

static long file_len(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (long)st.st_size : -1;
}

static void test_round_trip(void)
{
    struct bg_model a, b;
    struct bg_ckpt_state sa, sb;
    struct bg_error err;
    make_model(&a, &sa, 1);
    CHECK(checkpoint_save(path, &sa, &a, &err) == BG_OK);
    CHECK(model_init(&b, &tiny, 1, &err) == BG_OK);
    CHECK(checkpoint_load(path, &sb, &b, &err) == BG_OK);
    size_t bytes = a.num_params * sizeof(float);
    CHECK(memcmp(a.params, b.params, bytes) == 0);
    CHECK(memcmp(a.m, b.m, bytes) == 0);
    CHECK(memcmp(a.v, b.v, bytes) == 0);
    CHECK(sb.step == 1234 && sb.tokens == 987654321 && sb.elapsed == 12.5 && sb.warmup_progress == 0.0625);
    CHECK(isnan(sb.best_val));
    CHECK(sb.pos.epoch == 3 && sb.pos.shard == 7 && sb.pos.offset == 4096 && sb.pos.drawn == 99);
    CHECK(sb.pos.rng.state == sa.pos.rng.state && sb.pos.rng.inc == sa.pos.rng.inc);
    CHECK(sb.sample_rng.state == sa.sample_rng.state);
    CHECK(memcmp(&sb.cfg.model, &tiny, sizeof tiny) == 0);
    CHECK(sb.cfg.lr == sa.cfg.lr && sb.cfg.batch == sa.cfg.batch && sb.cfg.seed == sa.cfg.seed);
    /* No temporary file is left behind. */
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CHECK(file_len(tmp) == -1);
    model_free(&a);
    model_free(&b);
}

/* Copies the first n bytes of path to copy (and optionally changes one). */
static void write_variant(const unsigned char *data, long n, long flip_at)
{
    /* Removing first, not truncating: ext4 flushes a file truncated and
     * rewritten to disk on close, which would make this test slow. */
    remove(copy);
    FILE *f = fopen(copy, "wb");
    for (long i = 0; i < n; i++)
        fputc(i == flip_at ? data[i] ^ 0x5a : data[i], f);
    fclose(f);
}

static unsigned char *read_file(const char *p, long *n)
{
    *n = file_len(p);
    unsigned char *data = malloc((size_t)*n);
    FILE *f = fopen(p, "rb");
    CHECK(fread(data, 1, (size_t)*n, f) == (size_t)*n);
    fclose(f);
    return data;
}

/* Loads copy and expects an input error naming the file. */
static int refused(struct bg_model *m, const char *expect)
{
    struct bg_ckpt_state s;
    struct bg_error err = {0};
    int rc = checkpoint_load(copy, &s, m, &err);
    return rc == BG_ERR_INPUT && strstr(err.msg, copy) && (!expect || strstr(err.msg, expect));
}

static void test_every_truncation(void)
{
    struct bg_model a, b;
    struct bg_ckpt_state sa;
    struct bg_error err;
    make_model(&a, &sa, 2);
    checkpoint_save(path, &sa, &a, &err);
    model_init(&b, &tiny, 1, &err);
    long n;
    unsigned char *data = read_file(path, &n);
    long bad = 0;
    for (long len = 0; len < n; len++) {
        write_variant(data, len, -1);
        bad += !refused(&b, NULL);
    }
    printf("  %ld prefixes tried, %ld accepted\n", n, bad);
    CHECK(bad == 0);
    free(data);
    model_free(&a);
    model_free(&b);
}

static void test_flipped_bytes(void)
{
    struct bg_model a, b;
    struct bg_ckpt_state sa;
    struct bg_error err;
    make_model(&a, &sa, 3);
    checkpoint_save(path, &sa, &a, &err);
    model_init(&b, &tiny, 1, &err);
    long n;
    unsigned char *data = read_file(path, &n);
    /* Every byte of the header and record, then every 7th byte of the
     * tensors: each flip is caught (by magic, version, size or CRC). */
    long tried = 0, bad = 0;
    for (long i = 0; i < n; i += i < 400 ? 1 : 7) {
        write_variant(data, n, i);
        tried++;
        bad += !refused(&b, NULL);
    }
    printf("  %ld flips tried, %ld accepted\n", tried, bad);
    CHECK(bad == 0);
    /* The specific messages. */
    write_variant(data, n, 0);
    CHECK(refused(&b, "magic"));
    write_variant(data, n, 8);
    CHECK(refused(&b, "version"));
    write_variant(data, n, n - 5);
    CHECK(refused(&b, "CRC"));
    free(data);
    model_free(&a);
    model_free(&b);
}

static void test_missing(void)
{
    struct bg_ckpt_state s;
    struct bg_error err;
    CHECK(checkpoint_peek("/nonexistent/ckpt.bin", &s, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "/nonexistent/ckpt.bin") != NULL);
}

static void test_failed_save_keeps_old(void)
{
    struct bg_model a, b;
    struct bg_ckpt_state sa, sb;
    struct bg_error err;
    make_model(&a, &sa, 4);
    CHECK(checkpoint_save(path, &sa, &a, &err) == BG_OK);
    long before = file_len(path);
    /* A folder where the temporary file would go makes the save fail the
     * way a full or read-only disk does: at the open. */
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    mkdir(tmp, 0755);
    sa.step = 99999;
    CHECK(checkpoint_save(path, &sa, &a, &err) == BG_ERR_RUNTIME);
    CHECK(strstr(err.msg, path) != NULL);
    rmdir(tmp);
    CHECK(file_len(path) == before);
    model_init(&b, &tiny, 1, &err);
    CHECK(checkpoint_load(path, &sb, &b, &err) == BG_OK);
    CHECK(sb.step == 1234);
    CHECK(checkpoint_save("/nonexistent/dir/ckpt.bin", &sa, &a, &err) == BG_ERR_RUNTIME);
    CHECK(strstr(err.msg, "/nonexistent/dir/ckpt.bin") != NULL);
    model_free(&a);
    model_free(&b);
}

/* Every field of the recipe survives the round trip. */
static void test_recipe_round_trip(void)
{
    struct bg_config modern = tiny;
    modern.norm = BG_NORM_RMS;
    modern.pos = BG_POS_ROTARY;
    modern.qk_norm = 1;
    modern.act = BG_ACT_RELU2;
    modern.head = BG_HEAD_UNTIED;
    modern.softcap = 30;
    struct bg_model a, b;
    struct bg_ckpt_state sa, sb;
    struct bg_error err;
    CHECK(model_init(&a, &modern, 1, &err) == BG_OK);
    memset(&sa, 0, sizeof sa);
    settings_preset("tiny", &sa.cfg, &err);
    sa.cfg.model = modern;
    sa.cfg.optim = BG_OPT_MUON;
    sa.cfg.muon_lr = 0.01;
    sa.cfg.schedule = BG_SCHEDULE_WSD;
    sa.cfg.decay = 0.25;
    sa.cfg.flop_budget = 3e13;
    for (size_t i = 0; i < a.num_params; i++)
        a.params[i] = (float)i;
    CHECK(checkpoint_save(path, &sa, &a, &err) == BG_OK);
    CHECK(model_init(&b, &modern, 1, &err) == BG_OK);
    CHECK(checkpoint_load(path, &sb, &b, &err) == BG_OK);
    CHECK(memcmp(&sb.cfg.model, &modern, sizeof modern) == 0);
    CHECK(sb.cfg.optim == BG_OPT_MUON && sb.cfg.muon_lr == 0.01 && sb.cfg.schedule == BG_SCHEDULE_WSD &&
          sb.cfg.decay == 0.25 && sb.cfg.flop_budget == 3e13);
    CHECK(memcmp(a.params, b.params, a.num_params * sizeof(float)) == 0);
    model_free(&a);
    model_free(&b);
}

/* Rewrites the checkpoint at path as an older version laid it out: its
 * record cut to the first `fields` fields (of the 50 that version 4
 * has), the version, the size and the CRC set to match. */
static void rewrite_as(unsigned version, size_t fields)
{
    FILE *f = fopen(path, "rb");
    long n = file_len(path);
    unsigned char *d = malloc((size_t)n);
    CHECK(f && d && fread(d, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    size_t cut = 24 + fields * 8, gone = (50 - fields) * 8, m = (size_t)n - gone;
    memmove(d + cut, d + cut + gone, (size_t)n - cut - gone);
    d[8] = (unsigned char)version;
    for (int i = 0; i < 8; i++)
        d[16 + i] = (unsigned char)((uint64_t)m >> (8 * i));
    uint32_t crc = (uint32_t)crc32(crc32(0L, Z_NULL, 0), d + 16, (uInt)(m - 16));
    for (int i = 0; i < 4; i++)
        d[12 + i] = (unsigned char)(crc >> (8 * i));
    f = fopen(path, "wb");
    CHECK(f && fwrite(d, 1, m, f) == m);
    fclose(f);
    free(d);
}

/* A version 2 checkpoint (written before the recipe settings) still
 * loads, as GPT-2's recipe with the default Muon rate and decay share:
 * the 11 recipe fields and the FLOP budget (96 bytes after the 38 older
 * ones) removed. */
static void test_version_2(void)
{
    struct bg_model a, b;
    struct bg_ckpt_state sa, sb;
    struct bg_error err;
    make_model(&a, &sa, 5);
    CHECK(checkpoint_save(path, &sa, &a, &err) == BG_OK);
    rewrite_as(2, 38);
    CHECK(model_init(&b, &tiny, 1, &err) == BG_OK);
    CHECK(checkpoint_load(path, &sb, &b, &err) == BG_OK);
    CHECK(memcmp(&sb.cfg.model, &tiny, sizeof tiny) == 0 && config_is_gpt2(&sb.cfg.model));
    CHECK(sb.cfg.optim == BG_OPT_ADAMW && sb.cfg.muon_lr == BG_MUON_LR_DEFAULT && sb.cfg.decay == BG_DECAY_DEFAULT);
    CHECK(sb.step == 1234 && sb.cfg.seed == sa.cfg.seed && sb.pos.offset == 4096);
    CHECK(memcmp(a.params, b.params, a.num_params * sizeof(float)) == 0);
    CHECK(memcmp(a.v, b.v, a.num_params * sizeof(float)) == 0);
    /* An unknown version is still refused, naming those it reads. */
    FILE *f = fopen(path, "r+b");
    CHECK(f && fseek(f, 8, SEEK_SET) == 0 && fputc(9, f) == 9);
    fclose(f);
    CHECK(checkpoint_load(path, &sb, &b, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "version 9") != NULL && strstr(err.msg, "versions 2 to 4") != NULL);
    model_free(&a);
    model_free(&b);
}

/* A version 3 checkpoint (written before the FLOP budget) loads with its
 * recipe and no budget: its run was counted in steps or time. */
static void test_version_3(void)
{
    struct bg_model a, b;
    struct bg_ckpt_state sa, sb;
    struct bg_error err;
    make_model(&a, &sa, 6);
    sa.cfg.optim = BG_OPT_MUON;
    sa.cfg.decay = 0.25;
    sa.cfg.flop_budget = 1e12;
    CHECK(checkpoint_save(path, &sa, &a, &err) == BG_OK);
    rewrite_as(3, 49);
    CHECK(model_init(&b, &tiny, 1, &err) == BG_OK);
    CHECK(checkpoint_load(path, &sb, &b, &err) == BG_OK);
    CHECK(sb.cfg.optim == BG_OPT_MUON && sb.cfg.decay == 0.25 && sb.cfg.flop_budget == 0);
    CHECK(sb.step == 1234 && sb.cfg.steps == sa.cfg.steps);
    CHECK(memcmp(a.params, b.params, a.num_params * sizeof(float)) == 0);
    model_free(&a);
    model_free(&b);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/ckpt.bin", dir);
    snprintf(copy, sizeof copy, "%s/copy.bin", dir);
    RUN_TEST(test_round_trip);
    RUN_TEST(test_recipe_round_trip);
    RUN_TEST(test_version_2);
    RUN_TEST(test_version_3);
    RUN_TEST(test_every_truncation);
    RUN_TEST(test_flipped_bytes);
    RUN_TEST(test_missing);
    RUN_TEST(test_failed_save_keeps_old);
    remove(path);
    remove(copy);
    rmdir(dir);
    return TEST_EXIT();
}
