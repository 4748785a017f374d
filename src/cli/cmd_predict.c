/* predict: the teaching view. What does the model think comes next, and
 * which bytes of a text did it find easy or hard? */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/evaluate.h"
#include "bytegpt/sampler.h"
#include "bytegpt/tokenizer.h"
#include "cli.h"
#include "common.h"

static const char help[] =
    "usage: bytegpt predict --model RUN|CKPT --prompt TEXT [--top-k K] [--per-byte]\n"
    "\n"
    "Shows the model's probabilities for the byte after TEXT: the K most likely\n"
    "bytes as a bar chart, and the entropy of the whole distribution in bits\n"
    "(0: the model is certain; 8: all 256 bytes equally likely). The model reads\n"
    "TEXT as the start of a new document (the boundary byte <doc>, then TEXT),\n"
    "exactly as `bytegpt sample` does, so this is the distribution sample draws\n"
    "its first byte from (at temperature 1, top-k 256). It sees at most ctx bytes:\n"
    "a longer TEXT keeps its last ctx bytes. Bytes are shown as text, with \\n \\t \\r\n"
    "escaped, <doc> for the boundary and <E2> (hex) for other bytes.\n"
    "\n"
    "With --per-byte, first each byte of TEXT with the probability the model gave\n"
    "it, given the bytes before it (the first byte given <doc> alone), and its\n"
    "surprisal -log2 p in bits: the bytes it found easy are short bars, the hard\n"
    "ones long. Their mean is the model's loss on TEXT in bits per byte.\n"
    "\n"
    "flags:\n"
    "  --model PATH    a run folder (its best.bin, else ckpt.bin) or a checkpoint file\n"
    "  --prompt TEXT   the text to read (required, not empty)\n"
    "  --top-k K       how many of the most likely next bytes to show, 1 to 256 (default 10)\n"
    "  --per-byte      also show each byte of TEXT with its probability and surprisal\n";

struct predict_flags {
    const char *model, *prompt;
    size_t top_k;
    int per_byte;
    int all; /* hidden: every byte's probability, one per line, for tests and scripts */
};

static int check_flags(const struct predict_flags *f, struct bg_error *err)
{
    if (!f->prompt || f->prompt[0] == '\0')
        return bg_fail(err, BG_ERR_INPUT,
                       "predict: --prompt TEXT is required and must not be empty; give the text whose next byte "
                       "to predict");
    if (f->top_k > BG_VOCAB)
        return bg_fail(err, BG_ERR_INPUT,
                       "predict: --top-k must be between 1 and %d (the byte vocabulary), got %zu", BG_VOCAB,
                       f->top_k);
    return BG_OK;
}

/* ---- Drawing ---- */

/* A horizontal bar of `cells` character cells, drawn with the Unicode
 * block elements in eighths of a cell so that small values still show. */
static void print_bar(double cells)
{
    static const char *const eighths[] = {"", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a", "\u2589"};
    long units = lround(cells * 8.0);
    for (long i = 0; i < units / 8; i++)
        fputs("\u2588", stdout);
    fputs(eighths[units % 8], stdout);
}

/* A byte as the teaching views show it, in quotes so that a space is seen. */
static const char *quoted(char buf[BG_TOKEN_RENDER_MAX + 2], uint8_t byte)
{
    char r[BG_TOKEN_RENDER_MAX];
    snprintf(buf, BG_TOKEN_RENDER_MAX + 2, "'%s'", tokenizer_render(r, byte));
    return buf;
}

/* The context the model read, rendered, abbreviated in the middle when it
 * is long. */
static void print_context(const uint8_t *window, size_t len)
{
    char r[BG_TOKEN_RENDER_MAX];
    for (size_t i = 0; i < len; i++) {
        if (len > 64 && i == 24) {
            printf(" ... ");
            i = len - 32;
        }
        fputs(tokenizer_render(r, window[i]), stdout);
    }
}

/* ---- The views ---- */

/* 40 cells stand for probability 1, so bars compare across prompts. */
#define PROB_CELLS 40.0
/* One cell per quarter bit of surprisal; a bar stops at 40 cells (10 bits). */
#define BITS_CELLS 4.0
#define MAX_CELLS 40.0

static void print_per_byte(const uint8_t *prompt, size_t n, const float *surprisal)
{
    char q[BG_TOKEN_RENDER_MAX + 2];
    double total = 0.0;
    printf("the prompt byte by byte (each given the bytes before it):\n");
    printf("  %-7s %8s %10s\n", "byte", "p", "surprisal");
    for (size_t i = 0; i < n; i++) {
        double bits = surprisal[i] / log(2.0);
        total += bits;
        printf("  %-7s %7.2f%% %6.2f bits  ", quoted(q, prompt[i]), 100.0 * exp(-(double)surprisal[i]), bits);
        print_bar(fmin(bits * BITS_CELLS, MAX_CELLS));
        printf("%s\n", bits * BITS_CELLS > MAX_CELLS ? "+" : "");
    }
    printf("  total %.2f bits for %zu bytes: %.3f bits per byte (loss %.4f nats per byte)\n\n", total, n,
           total / (double)n, total / (double)n * log(2.0));
}

static void print_next(const uint8_t *window, size_t len, const float *next, size_t k)
{
    uint8_t idx[BG_VOCAB];
    char q[BG_TOKEN_RENDER_MAX + 2];
    sampler_top_k(next, k, idx);
    printf("context      ");
    print_context(window, len);
    printf("  (%zu bytes)\n", len);
    printf("next byte    the %zu most likely of 256:\n", k);
    double shown = 0.0;
    for (size_t r = 0; r < k; r++) {
        shown += next[idx[r]];
        printf("  %-7s %7.2f%%  ", quoted(q, idx[r]), 100.0 * next[idx[r]]);
        print_bar(next[idx[r]] * PROB_CELLS);
        putchar('\n');
    }
    if (k < BG_VOCAB)
        printf("  (the other %zu bytes: %.2f%%)\n", BG_VOCAB - k, 100.0 * fmax(0.0, 1.0 - shown));
    printf("entropy      %.3f bits (0: certain; 8: all 256 bytes equally likely)\n",
           evaluate_entropy_bits(next, BG_VOCAB));
}

static int predict(struct bg_modelfile *mf, const struct predict_flags *f, struct bg_error *err)
{
    struct bg_model *m = &mf->model;
    size_t n = strlen(f->prompt), ctx = m->cfg.ctx;
    const uint8_t *prompt = (const uint8_t *)f->prompt;
    float next[BG_VOCAB];
    float *surprisal = malloc(n * sizeof(float));
    uint8_t *window = malloc(ctx);
    int rc = BG_OK;
    if (!surprisal || !window) {
        rc = bg_fail(err, BG_ERR_RUNTIME, "predict: out of memory");
        goto out;
    }
    if ((rc = evaluate_prompt(m, prompt, n, surprisal, next, err)))
        goto out;
    if (f->all) {
        for (int v = 0; v < BG_VOCAB; v++)
            printf("%d %.9g\n", v, next[v]);
        goto out;
    }
    common_print_model(mf);
    if (n > ctx)
        fprintf(stderr, "note: the prompt is %zu bytes, longer than the model's context of %zu; "
                        "the next byte is predicted from its last %zu bytes\n", n, ctx, ctx);
    if (f->per_byte)
        print_per_byte(prompt, n, surprisal);
    print_next(window, sampler_context(window, ctx, prompt, n), next, f->top_k);
out:
    free(surprisal);
    free(window);
    return rc;
}

static int run(int argc, char **argv)
{
    if (args_wants_help(argc, argv, 1)) {
        cli_print_help(&cli_cmd_predict);
        return 0;
    }
    struct predict_flags f = {.top_k = 10};
    struct arg_spec specs[] = {
        COMMON_MODELFILE_SPEC(f.model),         {"prompt", ARG_STRING, &f.prompt, 0, 0},
        {"top-k", ARG_SIZE, &f.top_k, 0, 0},    {"per-byte", ARG_BOOL, &f.per_byte, 0, 0},
        {"all", ARG_BOOL, &f.all, 0, 0},
    };
    size_t n_pos;
    struct bg_error err = {0};
    int rc = args_parse("predict", argc, argv, 1, specs, sizeof specs / sizeof specs[0], NULL, 0, &n_pos, &err);
    if (!rc)
        rc = check_flags(&f, &err);
    if (rc)
        return cli_report(&err);

    struct bg_modelfile mf;
    if ((rc = common_open_model("predict", f.model, 0, &mf, &err)))
        return cli_report(&err);
    rc = predict(&mf, &f, &err);
    modelfile_close(&mf);
    if (!rc && (fflush(stdout) != 0 || ferror(stdout)))
        rc = bg_fail(&err, BG_ERR_RUNTIME, "predict: cannot write to standard output");
    return rc ? cli_report(&err) : 0;
}

const struct cli_command cli_cmd_predict = {"predict", "show the next-byte probabilities (the teaching view)",
                                            help, run};
