/* export: a tiny model written as safetensors and read back by a separate
 * little parser here: the header length, the JSON (every expected name
 * exactly once with its dtype and shape, the offsets tiling the buffer in
 * order, the metadata), the file's size, and each tensor's bytes against
 * the model's own parameters. Then the failures: a missing folder, a path
 * through a regular file, a folder, each leaving nothing behind; and the
 * CLI's answer to the same bad input (exit 2, one line naming the path). */
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

static char dir[] = "/tmp/bg_export_XXXXXX";
static const struct bg_config cfg = {.L = 2, .NH = 2, .C = 32, .ctx = 16, .V = 256};
static struct bg_model model;

/* ---- Reading a file back ---- */

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- A small JSON reader for the header ----
 *
 * Enough JSON for a safetensors header: objects, arrays, strings without
 * escapes, non-negative integers. It fails (returns 0) on anything else,
 * which for this test is itself an error worth reporting. */

struct json {
    const char *p, *end;
};

static void ws(struct json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
        j->p++;
}

static int eat(struct json *j, char c)
{
    ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return 1;
    }
    return 0;
}

static int string(struct json *j, char *out, size_t n)
{
    if (!eat(j, '"'))
        return 0;
    size_t k = 0;
    while (j->p < j->end && *j->p != '"') {
        if (*j->p == '\\' || k + 1 >= n)
            return 0;
        out[k++] = *j->p++;
    }
    out[k] = '\0';
    return eat(j, '"');
}

static int number(struct json *j, unsigned long long *v)
{
    ws(j);
    if (j->p >= j->end || *j->p < '0' || *j->p > '9')
        return 0;
    *v = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        *v = *v * 10 + (unsigned long long)(*j->p++ - '0');
    return 1;
}

/* [a, b, ...] of at most max integers. */
static int int_array(struct json *j, unsigned long long *v, int max, int *n)
{
    *n = 0;
    if (!eat(j, '['))
        return 0;
    if (eat(j, ']'))
        return 1;
    do {
        if (*n >= max || !number(j, &v[*n]))
            return 0;
        (*n)++;
    } while (eat(j, ','));
    return eat(j, ']');
}

struct st_tensor {
    char name[96], dtype[16];
    unsigned long long shape[4], begin, end;
    int ndim, n_offsets;
};

#define MAX_TENSORS 64
#define MAX_META 16

struct st_file {
    struct st_tensor t[MAX_TENSORS];
    int n;
    char meta_key[MAX_META][32], meta_val[MAX_META][32];
    int n_meta;
};

/* {"dtype": "F32", "shape": [...], "data_offsets": [b, e]} */
static int tensor_info(struct json *j, struct st_tensor *t)
{
    int seen = 0;
    if (!eat(j, '{'))
        return 0;
    do {
        char key[32];
        unsigned long long off[4];
        if (!string(j, key, sizeof key) || !eat(j, ':'))
            return 0;
        if (strcmp(key, "dtype") == 0 && string(j, t->dtype, sizeof t->dtype))
            seen |= 1;
        else if (strcmp(key, "shape") == 0 && int_array(j, t->shape, 4, &t->ndim))
            seen |= 2;
        else if (strcmp(key, "data_offsets") == 0 && int_array(j, off, 4, &t->n_offsets) && t->n_offsets == 2) {
            t->begin = off[0];
            t->end = off[1];
            seen |= 4;
        } else
            return 0;
    } while (eat(j, ','));
    return eat(j, '}') && seen == 7;
}

static int parse_header(const char *text, size_t len, struct st_file *f)
{
    struct json j = {text, text + len};
    memset(f, 0, sizeof *f);
    if (!eat(&j, '{'))
        return 0;
    do {
        char key[96];
        if (!string(&j, key, sizeof key) || !eat(&j, ':'))
            return 0;
        if (strcmp(key, "__metadata__") == 0) {
            if (!eat(&j, '{'))
                return 0;
            do {
                if (f->n_meta >= MAX_META || !string(&j, f->meta_key[f->n_meta], 32) || !eat(&j, ':') ||
                    !string(&j, f->meta_val[f->n_meta], 32))
                    return 0;
                f->n_meta++;
            } while (eat(&j, ','));
            if (!eat(&j, '}'))
                return 0;
        } else {
            if (f->n >= MAX_TENSORS)
                return 0;
            snprintf(f->t[f->n].name, sizeof f->t[f->n].name, "%s", key);
            if (!tensor_info(&j, &f->t[f->n]))
                return 0;
            f->n++;
        }
    } while (eat(&j, ','));
    if (!eat(&j, '}'))
        return 0;
    /* Only spaces may follow the object: the padding. */
    for (; j.p < j.end; j.p++)
        if (*j.p != ' ')
            return 0;
    return 1;
}

static const char *meta(const struct st_file *f, const char *key)
{
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta_key[i], key) == 0)
            return f->meta_val[i];
    return NULL;
}

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

/* The list export.h fixes, with the model's own pointers (struct
 * bg_params, not export.c's offsets) for the data. */
static int expected_list(struct expected *e)
{
    const struct bg_params *p = &model.p;
    size_t C = cfg.C, V = cfg.V, T = cfg.ctx, n = 0;
#define EXPECT(nm, r, c, ptr)                                                 \
    do {                                                                      \
        snprintf(e[n].name, sizeof e[n].name, "%s", nm);                      \
        e[n].rows = (r), e[n].cols = (c), e[n].data = (ptr);                  \
        n++;                                                                  \
    } while (0)
    EXPECT("transformer.wte.weight", V, C, p->wte);
    EXPECT("transformer.wpe.weight", T, C, p->wpe);
    for (size_t i = 0; i < cfg.L; i++) {
        char b[96];
#define LAYER(suffix, r, c, base)                                             \
    do {                                                                      \
        snprintf(b, sizeof b, "transformer.h.%zu.%s", i, suffix);            \
        EXPECT(b, r, c, (base) + i * (r) * at_least_1(c));                     \
    } while (0)
        LAYER("ln_1.weight", C, 0, p->ln1w);
        LAYER("ln_1.bias", C, 0, p->ln1b);
        LAYER("attn.c_attn.weight", 3 * C, C, p->qkvw);
        LAYER("attn.c_attn.bias", 3 * C, 0, p->qkvb);
        LAYER("attn.c_proj.weight", C, C, p->attprojw);
        LAYER("attn.c_proj.bias", C, 0, p->attprojb);
        LAYER("ln_2.weight", C, 0, p->ln2w);
        LAYER("ln_2.bias", C, 0, p->ln2b);
        LAYER("mlp.c_fc.weight", 4 * C, C, p->fcw);
        LAYER("mlp.c_fc.bias", 4 * C, 0, p->fcb);
        LAYER("mlp.c_proj.weight", C, 4 * C, p->fcprojw);
        LAYER("mlp.c_proj.bias", C, 0, p->fcprojb);
#undef LAYER
    }
    EXPECT("transformer.ln_f.weight", C, 0, p->lnfw);
    EXPECT("transformer.ln_f.bias", C, 0, p->lnfb);
    EXPECT("lm_head.weight", V, C, p->wte);
#undef EXPECT
    return (int)n;
}

/* ---- Tests ---- */

static void test_file_layout_and_bytes(void)
{
    char path[256], tmp[300];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    struct bg_error err = {0};
    CHECK(export_safetensors(&model, path, &err) == BG_OK);
    CHECK(!exists(tmp));
    size_t size = 0;
    unsigned char *b = read_all(path, &size);
    CHECK(b != NULL && size > 8);
    if (!b || size <= 8)
        return;

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

    /* Metadata: the config as strings. */
    CHECK(meta(&f, "n_layer") && strcmp(meta(&f, "n_layer"), "2") == 0);
    CHECK(meta(&f, "n_head") && strcmp(meta(&f, "n_head"), "2") == 0);
    CHECK(meta(&f, "n_embd") && strcmp(meta(&f, "n_embd"), "32") == 0);
    CHECK(meta(&f, "block_size") && strcmp(meta(&f, "block_size"), "16") == 0);
    CHECK(meta(&f, "vocab_size") && strcmp(meta(&f, "vocab_size"), "256") == 0);

    /* Every expected name exactly once, nothing else, right dtype and shape. */
    static struct expected e[MAX_TENSORS];
    int ne = expected_list(e);
    CHECK(ne == 2 + 12 * 2 + 2 + 1);
    CHECK(f.n == ne);
    const unsigned char *data = b + 8 + hl;
    for (int k = 0; k < ne; k++) {
        int found = -1, count = 0;
        for (int i = 0; i < f.n; i++)
            if (strcmp(f.t[i].name, e[k].name) == 0) {
                found = i;
                count++;
            }
        CHECK(count == 1);
        if (count != 1) {
            printf("  tensor %s found %d times\n", e[k].name, count);
            continue;
        }
        const struct st_tensor *t = &f.t[found];
        CHECK(strcmp(t->dtype, "F32") == 0);
        if (e[k].cols) {
            CHECK(t->ndim == 2 && t->shape[0] == e[k].rows && t->shape[1] == e[k].cols);
        } else {
            CHECK(t->ndim == 1 && t->shape[0] == e[k].rows);
        }
        /* Its bytes are the model's parameters, bit for bit. */
        size_t count_f = e[k].rows * (e[k].cols ? e[k].cols : 1);
        CHECK(t->end - t->begin == 4 * count_f);
        if (t->end - t->begin == 4 * count_f && 8 + hl + t->end <= size)
            CHECK(memcmp(data + t->begin, e[k].data, 4 * count_f) == 0);
    }

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
    export_plan(&cfg, &info);
    CHECK(info.n_tensors == (size_t)ne);
    CHECK(info.header_bytes == hl);
    CHECK(info.data_bytes == at);
    CHECK(info.file_bytes == size);
    free(b);
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
    CHECK(export_safetensors(&model, path, &err) == BG_OK);
    struct bg_export_info info;
    export_plan(&cfg, &info);
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
    int rc = export_safetensors(&model, path, &err);
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

int main(void)
{
    CHECK(mkdtemp(dir) != NULL);
    struct bg_error err = {0};
    CHECK(model_init(&model, &cfg, 1, &err) == BG_OK);
    struct bg_rng rng;
    rng_seed(&rng, 42, 0);
    model_init_weights(&model, &rng);
    /* Biases and LayerNorm parameters start at 0 and 1; perturb them so
     * that a mix-up between two tensors of one shape cannot pass. */
    for (size_t i = 0; i < model.num_params; i++)
        model.params[i] += 1e-3f * (float)(i % 97);

    RUN_TEST(test_file_layout_and_bytes);
    RUN_TEST(test_overwrites_atomically);
    RUN_TEST(test_bad_paths);
    RUN_TEST(test_cli_bad_input);
    RUN_TEST(test_cli_export_and_bad_targets);

    model_free(&model);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return TEST_EXIT();
}
