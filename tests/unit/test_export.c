/* export: tiny models written as safetensors and read back by a separate
 * little parser (safetensors_read.h): the header length, the JSON (every
 * expected name exactly once with its dtype and shape, the offsets tiling
 * the buffer in order, the metadata), the file's size, and each tensor's
 * bytes against the model's own parameters; for GPT-2's settings in both
 * modes, for a model with every other setting in the full one, which
 * nanoGPT's mode refuses, naming the settings. Then the failures: a
 * missing folder, a path through a regular file, a folder, each leaving
 * nothing behind; and the CLI's answer to the same bad input (exit 2, one
 * line naming the path). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bytegpt/export.h"
#include "bytegpt/model.h"
#include "bytegpt/rng.h"
#include "test.h"
#include "safetensors_read.h"

static char dir[] = "/tmp/bg_export_XXXXXX";
static const struct bg_config cfg = {.L = 2, .NH = 2, .C = 32, .ctx = 16, .V = 256};
/* Every setting beside GPT-2's on. */
static const struct bg_config modern_cfg = {.L = 2, .NH = 2, .C = 32, .ctx = 16, .V = 256, .norm = BG_NORM_RMS,
                                            .pos = BG_POS_ROTARY, .qk_norm = 1, .act = BG_ACT_RELU2,
                                            .head = BG_HEAD_UNTIED, .bigram = 1, .softcap = 15};
static struct bg_model model, modern;

/* ---- What the file must hold ---- */

struct expected {
    char name[96];
    size_t rows, cols; /* cols 0: a vector */
    const float *data; /* where the model keeps it */
};

static size_t at_least_1(size_t c)
{
    return c ? c : 1;
}

/* The list export.h fixes for m's settings, with the model's own pointers
 * (struct bg_params, not export.c's offsets) for the data. */
static int expected_list(const struct bg_model *m, struct expected *e)
{
    const struct bg_config *c = &m->cfg;
    const struct bg_params *p = &m->p;
    size_t C = c->C, V = c->V, T = c->ctx, n = 0;
    int ln = c->norm == BG_NORM_LAYER; /* LayerNorm has biases, RMSNorm not */
#define EXPECT(nm, r, cl, ptr)                                                \
    do {                                                                      \
        snprintf(e[n].name, sizeof e[n].name, "%s", nm);                      \
        e[n].rows = (r), e[n].cols = (cl), e[n].data = (ptr);                 \
        n++;                                                                  \
    } while (0)
    EXPECT("transformer.wte.weight", V, C, p->wte);
    if (c->pos == BG_POS_LEARNED)
        EXPECT("transformer.wpe.weight", T, C, p->wpe);
    for (size_t i = 0; i < c->L; i++) {
        char b[96];
#define LAYER(suffix, r, cl, base)                                            \
    do {                                                                      \
        snprintf(b, sizeof b, "transformer.h.%zu.%s", i, suffix);            \
        EXPECT(b, r, cl, (base) + i * (r) * at_least_1(cl));                   \
    } while (0)
        LAYER("ln_1.weight", C, 0, p->ln1w);
        if (ln)
            LAYER("ln_1.bias", C, 0, p->ln1b);
        LAYER("attn.c_attn.weight", 3 * C, C, p->qkvw);
        LAYER("attn.c_attn.bias", 3 * C, 0, p->qkvb);
        LAYER("attn.c_proj.weight", C, C, p->attprojw);
        LAYER("attn.c_proj.bias", C, 0, p->attprojb);
        LAYER("ln_2.weight", C, 0, p->ln2w);
        if (ln)
            LAYER("ln_2.bias", C, 0, p->ln2b);
        LAYER("mlp.c_fc.weight", 4 * C, C, p->fcw);
        LAYER("mlp.c_fc.bias", 4 * C, 0, p->fcb);
        LAYER("mlp.c_proj.weight", C, 4 * C, p->fcprojw);
        LAYER("mlp.c_proj.bias", C, 0, p->fcprojb);
#undef LAYER
    }
    EXPECT("transformer.ln_f.weight", C, 0, p->lnfw);
    if (ln)
        EXPECT("transformer.ln_f.bias", C, 0, p->lnfb);
    EXPECT("lm_head.weight", V, C, c->head == BG_HEAD_UNTIED ? p->lmhead : p->wte);
    if (c->bigram)
        EXPECT("transformer.bigram.weight", (size_t)BG_BIGRAM_ROWS, C, p->bigram);
#undef EXPECT
    return (int)n;
}

/* The metadata's value for each key, for m's config and mode. */
static void check_metadata(const struct st_file *f, const struct bg_config *c, int mode)
{
    char v[5][32];
    snprintf(v[0], 32, "%zu", c->L), snprintf(v[1], 32, "%zu", c->NH), snprintf(v[2], 32, "%zu", c->C);
    snprintf(v[3], 32, "%zu", c->ctx), snprintf(v[4], 32, "%zu", c->V);
    const char *sizes[5] = {"n_layer", "n_head", "n_embd", "block_size", "vocab_size"};
    for (int i = 0; i < 5; i++)
        CHECK(meta(f, sizes[i]) && strcmp(meta(f, sizes[i]), v[i]) == 0);
    CHECK(meta(f, "format") && strcmp(meta(f, "format"), "pt") == 0);
    char cap[32];
    snprintf(cap, sizeof cap, "%.17g", c->softcap);
    const char *keys[7] = {"norm", "pos", "qk_norm", "act", "head", "softcap", "bigram"};
    const char *want[7] = {c->norm ? "rmsnorm" : "layernorm", c->pos ? "rotary" : "learned", c->qk_norm ? "on" : "off",
                           c->act ? "relu2" : "gelu",         c->head ? "untied" : "tied",   cap,
                           c->bigram ? "on" : "off"};
    for (int i = 0; i < 7; i++) {
        if (mode == BG_EXPORT_NANOGPT) {
            CHECK(meta(f, keys[i]) == NULL); /* nanoGPT's file: its own keys only */
        } else {
            CHECK(meta(f, keys[i]) && strcmp(meta(f, keys[i]), want[i]) == 0);
        }
    }
    CHECK(f->n_meta == (mode == BG_EXPORT_NANOGPT ? 6 : 13));
}

/* Every expected name exactly once, nothing else, right dtype and shape,
 * and its bytes the model's parameters, bit for bit. */
static void check_tensors(const struct st_file *f, const struct bg_model *m, const unsigned char *data,
                          size_t data_len)
{
    static struct expected e[MAX_TENSORS];
    int ne = expected_list(m, e);
    CHECK(f->n == ne);
    for (int k = 0; k < ne; k++) {
        int found = -1, count = 0;
        for (int i = 0; i < f->n; i++)
            if (strcmp(f->t[i].name, e[k].name) == 0) {
                found = i;
                count++;
            }
        CHECK(count == 1);
        if (count != 1) {
            printf("  tensor %s found %d times\n", e[k].name, count);
            continue;
        }
        const struct st_tensor *t = &f->t[found];
        CHECK(strcmp(t->dtype, "F32") == 0);
        if (e[k].cols) {
            CHECK(t->ndim == 2 && t->shape[0] == e[k].rows && t->shape[1] == e[k].cols);
        } else {
            CHECK(t->ndim == 1 && t->shape[0] == e[k].rows);
        }
        size_t count_f = e[k].rows * (e[k].cols ? e[k].cols : 1);
        CHECK(t->end - t->begin == 4 * count_f);
        if (t->end - t->begin == 4 * count_f && t->end <= data_len)
            CHECK(memcmp(data + t->begin, e[k].data, 4 * count_f) == 0);
    }
}

/* Exports m in mode and reads the file back: the header, the metadata,
 * the tensors, the tiling of the buffer, and export_plan's prediction. */
static void check_export(const struct bg_model *m, int mode, const char *file)
{
    char path[256], tmp[300];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    struct bg_error err = {0};
    CHECK(export_safetensors(m, path, mode, &err) == BG_OK);
    CHECK(!exists(tmp));
    size_t size = 0;
    unsigned char *b = read_all(path, &size);
    CHECK(b != NULL && size > 8);
    if (!b || size <= 8) {
        free(b);
        return;
    }

    /* The header length: 8 bytes, little-endian. */
    unsigned long long hl = 0;
    for (int i = 0; i < 8; i++)
        hl |= (unsigned long long)b[i] << (8 * i);
    CHECK(hl > 0 && 8 + hl <= size);
    CHECK(hl % 8 == 0); /* the data starts 8-byte aligned */
    if (!(hl > 0 && 8 + hl <= size)) {
        free(b);
        return;
    }
    CHECK(b[8] == '{');

    static struct st_file f;
    CHECK(parse_header((const char *)b + 8, (size_t)hl, &f));
    check_metadata(&f, &m->cfg, mode);
    check_tensors(&f, m, b + 8 + hl, size - 8 - hl);

    /* The offsets, in header order, start at 0 and tile the buffer; each
     * size is 4 x the product of the shape; the buffer ends the file. */
    unsigned long long at = 0;
    int tiled = 1, sized = 1;
    for (int i = 0; i < f.n; i++) {
        unsigned long long prod = 1;
        for (int d = 0; d < f.t[i].ndim; d++)
            prod *= f.t[i].shape[d];
        tiled &= f.t[i].begin == at && f.t[i].end >= f.t[i].begin;
        sized &= f.t[i].end - f.t[i].begin == 4 * prod;
        at = f.t[i].end;
    }
    CHECK(tiled);
    CHECK(sized);
    CHECK(size == 8 + hl + at);

    /* export_plan predicts the same sizes. */
    struct bg_export_info info;
    export_plan(&m->cfg, mode, &info);
    CHECK(info.n_tensors == (size_t)f.n);
    CHECK(info.header_bytes == hl);
    CHECK(info.data_bytes == at);
    CHECK(info.file_bytes == size);
    free(b);
    remove(path);
}

/* ---- Tests ---- */

/* GPT-2's settings: nanoGPT's file, and the full one, which differs only
 * by naming the settings in the metadata. */
static void test_file_layout_and_bytes(void)
{
    struct expected e[MAX_TENSORS];
    CHECK(expected_list(&model, e) == 2 + 12 * 2 + 2 + 1);
    check_export(&model, BG_EXPORT_NANOGPT, "nanogpt.safetensors");
    check_export(&model, BG_EXPORT_FULL, "model.safetensors");
}

/* Every setting on: no wpe, no LayerNorm biases, the untied head as
 * lm_head.weight, the bigram table, and each setting in the metadata. */
static void test_modern_model(void)
{
    static struct expected e[MAX_TENSORS];
    CHECK(expected_list(&modern, e) == 1 + 10 * 2 + 1 + 1 + 1);
    check_export(&modern, BG_EXPORT_FULL, "modern.safetensors");
}

/* nanoGPT's file refuses what nanoGPT cannot load, in one line that names
 * every setting beside GPT-2's, and writes nothing. */
static void test_nanogpt_refuses_modern(void)
{
    char path[256], tmp[300];
    snprintf(path, sizeof path, "%s/refused.safetensors", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    struct bg_error err = {0};
    CHECK(export_safetensors(&modern, path, BG_EXPORT_NANOGPT, &err) == BG_ERR_INPUT);
    printf("  %s\n", err.msg);
    const char *flags[7] = {"--norm rmsnorm", "--pos rotary", "--qk-norm on", "--act relu2",
                            "--head untied",  "--bigram on",  "--softcap 15"};
    for (int i = 0; i < 7; i++)
        CHECK(strstr(err.msg, flags[i]) != NULL);
    CHECK(strchr(err.msg, '\n') == NULL);
    CHECK(strstr(err.msg, "check_export.py") != NULL); /* whole, not cut at the buffer's end */
    CHECK(!exists(path) && !exists(tmp));

    /* One setting at a time: that one is named, and no other. */
    for (int i = 0; i < 7; i++) {
        struct bg_config c = cfg;
        int *field[6] = {&c.norm, &c.pos, &c.qk_norm, &c.act, &c.head, &c.bigram};
        if (i < 6)
            *field[i] = 1;
        else
            c.softcap = 15;
        CHECK(export_check_nanogpt(&c, &err) == BG_ERR_INPUT);
        for (int k = 0; k < 7; k++)
            CHECK((strstr(err.msg, flags[k]) != NULL) == (k == i));
    }
    CHECK(export_check_nanogpt(&cfg, &err) == BG_OK);
}

static void test_overwrites_atomically(void)
{
    char path[256], tmp[300];
    snprintf(path, sizeof path, "%s/again.safetensors", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(path, "w");
    fputs("an older file", f);
    fclose(f);
    struct bg_error err = {0};
    CHECK(export_safetensors(&model, path, BG_EXPORT_FULL, &err) == BG_OK);
    struct bg_export_info info;
    export_plan(&cfg, BG_EXPORT_FULL, &info);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (uint64_t)st.st_size == info.file_bytes);
    CHECK(!exists(tmp));
    remove(path);
}

/* A failed export names the path, is the user's error (2), and leaves
 * neither the file nor its temporary behind. */
static void expect_refused(const char *path)
{
    char tmp[500];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    struct bg_error err = {0};
    int rc = export_safetensors(&model, path, BG_EXPORT_FULL, &err);
    CHECK(rc == BG_ERR_INPUT);
    CHECK(strstr(err.msg, path) != NULL);
    struct stat st;
    CHECK(!(stat(path, &st) == 0 && S_ISREG(st.st_mode)));
    CHECK(!exists(tmp));
}

static void test_bad_paths(void)
{
    char p[400], file[256];
    snprintf(p, sizeof p, "%s/no/such/folder/m.safetensors", dir);
    expect_refused(p);
    snprintf(file, sizeof file, "%s/plain.txt", dir);
    FILE *f = fopen(file, "w");
    fputs("a regular file", f);
    fclose(f);
    snprintf(p, sizeof p, "%s/m.safetensors", file);
    expect_refused(p);
    expect_refused(dir); /* a folder */
    remove(file);
}

/* ---- The CLI ---- */

/* Runs a shell command; returns its exit code, with stdout+stderr in out. */
static int run(const char *cmd, char *out, size_t n)
{
    char full[2048];
    snprintf(full, sizeof full, "%s 2>&1", cmd);
    FILE *p = popen(full, "r");
    if (!p)
        return -1;
    size_t k = fread(out, 1, n - 1, p);
    out[k] = '\0';
    int st = pclose(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int one_error_line(const char *out)
{
    const char *nl = strchr(out, '\n');
    return strncmp(out, "error: ", 7) == 0 && nl && nl[1] == '\0';
}

static void test_cli_bad_input(void)
{
    char cmd[1024], out[4096], target[256], file[256];
    snprintf(target, sizeof target, "%s/cli.safetensors", dir);

    /* --model neither a run folder nor a checkpoint. */
    snprintf(cmd, sizeof cmd, "%s export --model %s/missing --safetensors %s", BG_CLI, dir, target);
    CHECK(run(cmd, out, sizeof out) == 2);
    CHECK(one_error_line(out) && strstr(out, "missing"));
    snprintf(cmd, sizeof cmd, "%s export --model %s --safetensors %s", BG_CLI, dir, target);
    CHECK(run(cmd, out, sizeof out) == 2); /* a folder without a checkpoint */
    CHECK(one_error_line(out) && strstr(out, dir));
    snprintf(file, sizeof file, "%s/not_a_ckpt.bin", dir);
    FILE *f = fopen(file, "w");
    fputs("this is not a checkpoint, just some text long enough to have a header's worth of bytes in it.\n", f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s export --model %s --safetensors %s", BG_CLI, file, target);
    CHECK(run(cmd, out, sizeof out) == 2);
    CHECK(one_error_line(out) && strstr(out, "not_a_ckpt.bin"));
    CHECK(!exists(target));

    /* Flags missing. */
    snprintf(cmd, sizeof cmd, "%s export --safetensors %s", BG_CLI, target);
    CHECK(run(cmd, out, sizeof out) == 2);
    CHECK(one_error_line(out) && strstr(out, "--model"));
    remove(file);
}

/* A real checkpoint for the CLI: train a few steps of a tiny model on a
 * small text (this repository's design notes, which are plain text). */
static void test_cli_export_and_bad_targets(void)
{
    char cmd[2048], out[8192], run_dir[256], corpus[256];
    snprintf(run_dir, sizeof run_dir, "%s/run", dir);
    snprintf(corpus, sizeof corpus, "%s/corpus.txt", dir);
    FILE *f = fopen(corpus, "w");
    for (int i = 0; i < 200; i++)
        fprintf(f, "Line %d: pre-training is next-token prediction on a large corpus of text.\n", i);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "%s train --corpus %s --out %s --preset tiny --steps 2 --warmup 1 --eval-every 2 --eval-batches 1 "
             "--sample-every 100 --ckpt-every 2 --threads 1",
             BG_CLI, corpus, run_dir);
    int rc = run(cmd, out, sizeof out);
    CHECK(rc == 0);
    if (rc != 0) {
        printf("  train said:\n%s\n", out);
        return;
    }

    char target[256], tmp[300];
    snprintf(target, sizeof target, "%s/tiny.safetensors", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", target);
    snprintf(cmd, sizeof cmd, "%s export --model %s --safetensors %s", BG_CLI, run_dir, target);
    CHECK(run(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, target) && strstr(out, "tensors"));
    CHECK(exists(target) && !exists(tmp));
    remove(target);
    /* GPT-2's settings: nanoGPT's file too. */
    snprintf(cmd, sizeof cmd, "%s export --model %s --safetensors %s --nanogpt", BG_CLI, run_dir, target);
    CHECK(run(cmd, out, sizeof out) == 0);
    CHECK(exists(target) && !exists(tmp));
    remove(target);

    /* An unwritable --safetensors: a missing folder, a path through a file. */
    const char *bad[2] = {"%s/nowhere/m.safetensors", "%s/corpus.txt/m.safetensors"};
    for (int i = 0; i < 2; i++) {
        char path[300], tmp2[320];
        snprintf(path, sizeof path, bad[i], dir);
        snprintf(cmd, sizeof cmd, "%s export --model %s --safetensors %s", BG_CLI, run_dir, path);
        CHECK(run(cmd, out, sizeof out) == 2);
        CHECK(one_error_line(out) && strstr(out, path));
        snprintf(tmp2, sizeof tmp2, "%s.tmp", path);
        CHECK(!exists(path) && !exists(tmp2));
    }
    /* Nor over the checkpoint being exported. */
    char ckpt[300];
    snprintf(ckpt, sizeof ckpt, "%s/ckpt.bin", run_dir);
    struct stat before, after;
    CHECK(stat(ckpt, &before) == 0);
    snprintf(cmd, sizeof cmd, "%s export --model %s --safetensors %s", BG_CLI, ckpt, ckpt);
    CHECK(run(cmd, out, sizeof out) == 2);
    CHECK(one_error_line(out) && strstr(out, ckpt));
    CHECK(stat(ckpt, &after) == 0 && after.st_size == before.st_size && after.st_ino == before.st_ino);

    snprintf(cmd, sizeof cmd, "rm -rf %s", run_dir);
    CHECK(system(cmd) == 0);
    remove(corpus);
}

/* A model with every setting beside GPT-2's: exported with its settings,
 * and refused by --nanogpt in one line naming them, with nothing written. */
static void test_cli_modern(void)
{
    char cmd[2048], out[8192], run_dir[256], corpus[256], target[256], tmp[300];
    snprintf(run_dir, sizeof run_dir, "%s/modern", dir);
    snprintf(corpus, sizeof corpus, "%s/modern.txt", dir);
    FILE *f = fopen(corpus, "w");
    for (int i = 0; i < 200; i++)
        fprintf(f, "Line %d: the settings of today's recipes, one flag each.\n", i);
    fclose(f);
    snprintf(cmd, sizeof cmd,
             "%s train --corpus %s --out %s --preset tiny --steps 2 --warmup 1 --eval-every 2 --eval-batches 1 "
             "--sample-every 100 --ckpt-every 2 --threads 1 --norm rmsnorm --pos rotary --qk-norm on --act relu2 "
             "--head untied --softcap 15 --bigram on --optim muon",
             BG_CLI, corpus, run_dir);
    int rc = run(cmd, out, sizeof out);
    CHECK(rc == 0);
    if (rc != 0) {
        printf("  train said:\n%s\n", out);
        return;
    }
    snprintf(target, sizeof target, "%s/modern.safetensors", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", target);
    snprintf(cmd, sizeof cmd, "%s export --model %s --safetensors %s --nanogpt", BG_CLI, run_dir, target);
    CHECK(run(cmd, out, sizeof out) == 2);
    CHECK(one_error_line(out) && strstr(out, "--nanogpt") && strstr(out, "--norm rmsnorm") &&
          strstr(out, "--bigram on") && strstr(out, "--softcap 15"));
    CHECK(!exists(target) && !exists(tmp));
    snprintf(cmd, sizeof cmd, "%s export --model %s --safetensors %s", BG_CLI, run_dir, target);
    CHECK(run(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, "untied") && strstr(out, "settings"));
    CHECK(exists(target) && !exists(tmp));
    remove(target);
    snprintf(cmd, sizeof cmd, "rm -rf %s", run_dir);
    CHECK(system(cmd) == 0);
    remove(corpus);
}

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    struct bg_error err = {0};
    CHECK(model_init(&model, &cfg, 1, &err) == BG_OK);
    struct bg_rng rng;
    rng_seed(&rng, 42, 0);
    model_init_weights(&model, &rng);
    CHECK(model_init(&modern, &modern_cfg, 1, &err) == BG_OK);
    model_init_weights(&modern, &rng);
    /* Biases and LayerNorm parameters start at 0 and 1 (and the modern
     * model's head, projections and bigram table at 0); perturb them so
     * that a mix-up between two tensors of one shape cannot pass. */
    for (size_t i = 0; i < model.num_params; i++)
        model.params[i] += 1e-3f * (float)(i % 97);
    for (size_t i = 0; i < modern.num_params; i++)
        modern.params[i] += 1e-3f * (float)(i % 89);

    RUN_TEST(test_file_layout_and_bytes);
    RUN_TEST(test_modern_model);
    RUN_TEST(test_nanogpt_refuses_modern);
    RUN_TEST(test_overwrites_atomically);
    RUN_TEST(test_bad_paths);
    RUN_TEST(test_cli_bad_input);
    RUN_TEST(test_cli_export_and_bad_targets);
    RUN_TEST(test_cli_modern);

    model_free(&model);
    model_free(&modern);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return TEST_EXIT();
}
