/* export: see export.h for the format and the guarantees. */
#include "bytegpt/export.h"
#include "bytegpt/fsutil.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- The list of tensors, in the file's order ---- */

/* nanoGPT's name for each per-layer tensor of struct bg_params, indexed
 * by its position in model_tensors (2 = ln1w ... 13 = fcprojb). The
 * order of struct bg_params inside a block is already nanoGPT's order. */
static const char *const layer_names[BG_N_TENSORS] = {
    [2] = "ln_1.weight",        [3] = "ln_1.bias",
    [4] = "attn.c_attn.weight", [5] = "attn.c_attn.bias",
    [6] = "attn.c_proj.weight", [7] = "attn.c_proj.bias",
    [8] = "ln_2.weight",        [9] = "ln_2.bias",
    [10] = "mlp.c_fc.weight",   [11] = "mlp.c_fc.bias",
    [12] = "mlp.c_proj.weight", [13] = "mlp.c_proj.bias",
};

/* Where model_tensors puts the tensors that have no per-layer name. */
enum { T_WTE = 0, T_WPE = 1, T_LNFW = 14, T_LNFB = 15, T_LMHEAD = 16, T_BIGRAM = 17 };

/* One tensor of the file: its name, shape, and where its floats are in
 * the parameter block (a per-layer tensor's slice for one layer). */
struct entry {
    char name[64];
    size_t rows, cols; /* cols 1: a vector of rows elements */
    size_t offset;     /* floats from the start of the parameter block */
};

/* Appends tensor t's slice for one layer, unless the settings leave t out
 * (size 0: wpe under rotary, the LayerNorm biases under RMSNorm). With e
 * NULL it only counts. */
static void add(struct entry *e, size_t *n, const char *name, const struct bg_tensor *t, size_t layer)
{
    if (t->size == 0)
        return;
    if (e) {
        struct entry *x = &e[*n];
        snprintf(x->name, sizeof x->name, "%s", name);
        x->rows = t->rows;
        x->cols = t->cols;
        x->offset = t->offset + layer * t->rows * t->cols;
    }
    (*n)++;
}

/* Fills e (or with e NULL, only counts) in the file's order: nanoGPT's
 * state dict, then the bigram table; returns the number of tensors. */
static size_t entry_list(const struct bg_config *cfg, struct entry *e)
{
    struct bg_tensor t[BG_N_TENSORS];
    model_tensors(cfg, t);
    size_t n = 0;
    char name[64];
    add(e, &n, "transformer.wte.weight", &t[T_WTE], 0);
    add(e, &n, "transformer.wpe.weight", &t[T_WPE], 0);
    for (size_t i = 0; i < cfg->L; i++)
        for (int k = 2; k <= 13; k++) {
            snprintf(name, sizeof name, "transformer.h.%zu.%s", i, layer_names[k]);
            add(e, &n, name, &t[k], i);
        }
    add(e, &n, "transformer.ln_f.weight", &t[T_LNFW], 0);
    add(e, &n, "transformer.ln_f.bias", &t[T_LNFB], 0);
    /* A tied LM head is wte: the same floats, written a second time. */
    add(e, &n, "lm_head.weight", cfg->head == BG_HEAD_UNTIED ? &t[T_LMHEAD] : &t[T_WTE], 0);
    add(e, &n, "transformer.bigram.weight", &t[T_BIGRAM], 0);
    return n;
}

/* ---- The settings nanoGPT cannot load ---- */

/* Each setting beside GPT-2's, as the flag that chose it ("--norm
 * rmsnorm"), joined by ", " into buf; empty for GPT-2's settings. */
static void describe_settings(const struct bg_config *cfg, char *buf, size_t n)
{
    const char *flag[6] = {cfg->norm ? "--norm rmsnorm" : NULL, cfg->pos ? "--pos rotary" : NULL,
                           cfg->qk_norm ? "--qk-norm on" : NULL,  cfg->act ? "--act relu2" : NULL,
                           cfg->head ? "--head untied" : NULL,    cfg->bigram ? "--bigram on" : NULL};
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < 6; i++)
        if (flag[i] && len < n)
            len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? ", " : "", flag[i]);
    if (cfg->softcap > 0 && len < n)
        snprintf(buf + len, n - len, "%s--softcap %g", len ? ", " : "", cfg->softcap);
}

/* The message fits struct bg_error's 256 bytes with every setting named
 * (test_export checks that it ends whole). */
int export_check_nanogpt(const struct bg_config *cfg, struct bg_error *err)
{
    if (config_is_gpt2(cfg))
        return BG_OK;
    char which[256];
    describe_settings(cfg, which, sizeof which);
    return bg_fail(err, BG_ERR_INPUT,
                   "--nanogpt: nanoGPT cannot load a model with %s; export without --nanogpt: the file then names "
                   "its settings for scripts/check_export.py",
                   which);
}

/* ---- The JSON header ---- */

/* A string being built. With p NULL it only counts, so the header's
 * length is known (for export_plan, and to allocate) before writing it. */
struct text {
    char *p;
    size_t len, cap;
};

static void put(struct text *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct text *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = s->p && s->len < s->cap ? s->cap - s->len : 0;
    int n = vsnprintf(room ? s->p + s->len : NULL, room, fmt, ap);
    va_end(ap);
    s->len += n > 0 ? (size_t)n : 0;
}

/* The settings beside the sizes, each by the word its flag takes, so that
 * a reader rebuilds the very model (torch_gpt.GPTConfig takes the same
 * words). softcap is written with 17 digits: read back, it is the same
 * double. */
static void put_settings(const struct bg_config *cfg, struct text *s)
{
    put(s, ",\"norm\":\"%s\",\"pos\":\"%s\",\"qk_norm\":\"%s\",\"act\":\"%s\",\"head\":\"%s\"",
        cfg->norm == BG_NORM_RMS ? "rmsnorm" : "layernorm", cfg->pos == BG_POS_ROTARY ? "rotary" : "learned",
        cfg->qk_norm ? "on" : "off", cfg->act == BG_ACT_RELU2 ? "relu2" : "gelu",
        cfg->head == BG_HEAD_UNTIED ? "untied" : "tied");
    put(s, ",\"softcap\":\"%.17g\",\"bigram\":\"%s\"", cfg->softcap, cfg->bigram ? "on" : "off");
}

/* Writes the header, padded with spaces to a multiple of 8 bytes (no
 * terminating NUL counted), into s. */
static void build_header(const struct bg_config *cfg, int mode, const struct entry *e, size_t n, struct text *s)
{
    put(s, "{\"__metadata__\":{\"format\":\"pt\",\"n_layer\":\"%zu\",\"n_head\":\"%zu\",\"n_embd\":\"%zu\","
           "\"block_size\":\"%zu\",\"vocab_size\":\"%zu\"",
        cfg->L, cfg->NH, cfg->C, cfg->ctx, cfg->V);
    /* nanoGPT's file holds its own keys only, as it always has. */
    if (mode != BG_EXPORT_NANOGPT)
        put_settings(cfg, s);
    put(s, "}");
    uint64_t begin = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t end = begin + (uint64_t)e[i].rows * e[i].cols * sizeof(float);
        put(s, ",\"%s\":{\"dtype\":\"F32\",\"shape\":", e[i].name);
        if (e[i].cols == 1)
            put(s, "[%zu]", e[i].rows);
        else
            put(s, "[%zu,%zu]", e[i].rows, e[i].cols);
        put(s, ",\"data_offsets\":[%llu,%llu]}", (unsigned long long)begin, (unsigned long long)end);
        begin = end;
    }
    put(s, "}");
    while (s->len % 8 != 0)
        put(s, " ");
}

void export_plan(const struct bg_config *cfg, int mode, struct bg_export_info *info)
{
    size_t n = entry_list(cfg, NULL);
    struct entry *e = malloc(n * sizeof *e);
    memset(info, 0, sizeof *info);
    info->n_tensors = n;
    if (!e)
        return;
    entry_list(cfg, e);
    struct text s = {0};
    build_header(cfg, mode, e, n, &s);
    info->header_bytes = s.len;
    for (size_t i = 0; i < n; i++)
        info->data_bytes += (uint64_t)e[i].rows * e[i].cols * sizeof(float);
    info->file_bytes = 8 + info->header_bytes + info->data_bytes;
    free(e);
}

/* ---- Writing ---- */

/* The floats are written as they sit in memory, which is the format's
 * little-endian order only on a little-endian machine. */
static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* Fills *e with the tensors and s with the JSON header, both malloc'd;
 * the caller frees them, also after a failure. */
static int build_file_head(const struct bg_config *cfg, int mode, struct entry **e, size_t *n, struct text *s,
                           struct bg_error *err)
{
    *n = entry_list(cfg, NULL);
    *e = malloc(*n * sizeof **e);
    if (!*e)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory building the safetensors header");
    entry_list(cfg, *e);
    /* The header, built twice: once to count its bytes, once to write. */
    build_header(cfg, mode, *e, *n, s);
    s->cap = s->len + 1;
    s->p = malloc(s->cap);
    if (!s->p)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory building the safetensors header");
    s->len = 0;
    build_header(cfg, mode, *e, *n, s);
    return BG_OK;
}

/* The file: header length, header, then every tensor's floats. A failed
 * write is kept by f and reported by the commit. */
static void write_file_body(struct bg_atomic_file *f, const struct bg_model *m, const struct entry *e, size_t n,
                            const struct text *s)
{
    unsigned char len8[8];
    for (int i = 0; i < 8; i++)
        len8[i] = (unsigned char)((uint64_t)s->len >> (8 * i));
    fsutil_atomic_write(f, len8, 8);
    fsutil_atomic_write(f, s->p, s->len);
    for (size_t i = 0; i < n; i++)
        fsutil_atomic_write(f, m->params + e[i].offset, e[i].rows * e[i].cols * sizeof(float));
}

int export_safetensors(const struct bg_model *m, const char *path, int mode, struct bg_error *err)
{
    /* Refused before anything is written: no file, no temporary. */
    int rc = mode == BG_EXPORT_NANOGPT ? export_check_nanogpt(&m->cfg, err) : BG_OK;
    if (rc)
        return rc;
    if (!host_is_little_endian())
        return bg_fail(err, BG_ERR_RUNTIME, "safetensors is little-endian; this machine is not");
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return bg_fail(err, BG_ERR_INPUT, "cannot write %s: it is a folder; give a file name such as %s/model.safetensors",
                       path, path);
    struct entry *e = NULL;
    struct text s = {0};
    size_t n = 0;
    struct bg_atomic_file f;
    rc = build_file_head(&m->cfg, mode, &e, &n, &s, err);
    if (!rc)
        rc = fsutil_atomic_open(&f, path, "safetensors file", err);
    if (!rc) {
        write_file_body(&f, m, e, n, &s);
        rc = fsutil_atomic_commit(&f, err);
    }
    free(s.p);
    free(e);
    return rc;
}
