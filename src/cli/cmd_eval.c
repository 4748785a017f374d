/* eval: a model's loss on a text by the eval rule (evaluate.h), beside what
 * two compressors that know nothing about language need for the same
 * bytes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "bytegpt/evaluate.h"
#include "cli.h"
#include "common.h"

static const char help[] =
    "usage: bytegpt eval --model RUN|CKPT --text FILE [--windows N]\n"
    "\n"
    "Scores FILE (plain text or .gz) by the eval rule: the mean next-byte loss\n"
    "over the first N non-overlapping windows of ctx bytes from the start of the\n"
    "file (window s: inputs bytes [s*ctx, (s+1)*ctx), targets shifted by one), so\n"
    "N windows read N*ctx+1 bytes and score N*ctx. Nothing is random: another\n"
    "implementation can check the number. Printed in nats and bits per byte\n"
    "(bits = nats / ln 2), beside two baselines on the same N*ctx scored bytes:\n"
    "  order-0 entropy  the bits per byte a coder needs that knows only how often\n"
    "                   each byte value occurs in this text\n"
    "  gzip -9          8 x the size zlib's deflate at level 9 (compress2) makes\n"
    "                   of the bytes, / the number of bytes\n"
    "A model that has learned anything beats both; a fresh one scores about\n"
    "ln 256 = 5.545 nats = 8 bits per byte.\n"
    "\n"
    "flags:\n"
    "  --model PATH    a run folder (its best.bin, else ckpt.bin) or a checkpoint file\n"
    "  --text FILE     the text to score, at least ctx+1 bytes\n"
    "  --windows N     score the first N windows (default: as many as the file holds)\n";

/* Bytes per forward pass: enough rows to keep the matmuls busy and to
 * pay each parallel region's start-up once for many windows, few enough
 * that the activations stay small. The batch is this many bytes of
 * windows, so it shrinks as the model's context grows (common_open_model
 * reads the context from the checkpoint before it builds the model). */
#define EVAL_BATCH_BYTES 4096

struct eval_flags {
    const char *model, *text;
    size_t windows;
};

/* The model and baselines on the scored bytes. */
struct eval_report {
    struct bg_eval_result r;
    double order0_bits, gzip_bits;
};

static int check_flags(const struct eval_flags *f, struct bg_error *err)
{
    if (!f->text)
        return bg_fail(err, BG_ERR_INPUT, "eval: --text FILE is required (see bytegpt eval --help)");
    return BG_OK;
}

/* Checks that the text holds what was asked for, naming the file. */
static int check_text(const struct eval_flags *f, size_t n, size_t ctx, struct bg_error *err)
{
    size_t fit = evaluate_windows_fit(n, ctx);
    if (fit == 0)
        return bg_fail(err, BG_ERR_INPUT,
                       "--text %s is %zu bytes; eval needs at least ctx + 1 = %zu (one window of the model's "
                       "%zu bytes and the byte after it); give a longer text", f->text, n, ctx + 1, ctx);
    if (f->windows > fit)
        return bg_fail(err, BG_ERR_INPUT,
                       "--text %s holds %zu windows of %zu bytes (%zu bytes), fewer than --windows %zu; "
                       "ask for at most %zu", f->text, fit, ctx, n, f->windows, fit);
    return BG_OK;
}

static int score(struct bg_model *m, const struct eval_flags *f, struct eval_report *out, size_t *n_read,
                 struct bg_error *err)
{
    size_t ctx = m->cfg.ctx, n = 0;
    uint8_t *text = NULL;
    /* With --windows only the bytes the windows read are needed; without
     * (or with a count too large to be a size), the whole file, to see how
     * many windows it holds. */
    size_t want = f->windows && f->windows <= (SIZE_MAX - 1) / ctx ? f->windows * ctx + 1 : 0;
    int rc = evaluate_read_text(f->text, want, &text, &n, err);
    if (!rc)
        rc = check_text(f, n, ctx, err);
    if (!rc)
        rc = evaluate_text(m, text, n, f->windows, &out->r, err);
    /* The baselines code the bytes the model predicted: bytes 1 .. N*ctx. */
    if (!rc) {
        out->order0_bits = evaluate_order0_bits(text + 1, out->r.predicted);
        rc = evaluate_gzip_bits(text + 1, out->r.predicted, &out->gzip_bits, err);
    }
    *n_read = n;
    free(text);
    return rc;
}

static void print_report(const struct eval_report *e, const struct eval_flags *f, size_t n_read, size_t ctx)
{
    const double ln2 = log(2.0);
    printf("text         %s: the first %zu windows of %zu bytes%s = %zu bytes scored", f->text, e->r.windows,
           ctx, f->windows ? "" : " (all it holds)", e->r.predicted);
    if (f->windows)
        printf(" (%zu read)\n", e->r.bytes);
    else
        printf(" (%zu of its %zu bytes read)\n", e->r.bytes, n_read);
    printf("\n");
    printf("                     nats/byte  bits/byte\n");
    printf("  model                %8.4f   %8.4f\n", e->r.nats, e->r.nats / ln2);
    printf("  order-0 entropy      %8.4f   %8.4f\n", e->order0_bits * ln2, e->order0_bits);
    printf("  gzip -9              %8.4f   %8.4f\n", e->gzip_bits * ln2, e->gzip_bits);
}

static int run(int argc, char **argv)
{
    if (args_wants_help(argc, argv, 1)) {
        cli_print_help(&cli_cmd_eval);
        return 0;
    }
    struct eval_flags f = {0};
    struct arg_spec specs[] = {
        COMMON_MODELFILE_SPEC(f.model),
        {"text", ARG_STRING, &f.text, 0, 0},
        {"windows", ARG_SIZE, &f.windows, 0, 0},
    };
    size_t n_pos, n_read = 0;
    struct bg_error err = {0};
    int rc = args_parse("eval", argc, argv, 1, specs, sizeof specs / sizeof specs[0], NULL, 0, &n_pos, &err);
    if (!rc)
        rc = check_flags(&f, &err);
    if (rc)
        return cli_report(&err);

    struct bg_modelfile mf;
    if ((rc = common_open_model("eval", f.model, EVAL_BATCH_BYTES, &mf, &err)))
        return cli_report(&err);
    struct eval_report e;
    /* The banner comes after scoring, so that a text refused by score
     * leaves its one error line alone on standard error. */
    rc = score(&mf.model, &f, &e, &n_read, &err);
    if (!rc) {
        common_print_model(&mf);
        print_report(&e, &f, n_read, mf.model.cfg.ctx);
    }
    modelfile_close(&mf);
    if (!rc && (fflush(stdout) != 0 || ferror(stdout)))
        rc = bg_fail(&err, BG_ERR_RUNTIME, "eval: cannot write to standard output");
    return rc ? cli_report(&err) : 0;
}

const struct cli_command cli_cmd_eval = {"eval", "score a text: nats and bits per byte, beside gzip", help, run};
