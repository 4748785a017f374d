/* export: a trained model as a safetensors file for PyTorch. */
#include <stdio.h>
#include <sys/stat.h>

#include "bytegpt/checkpoint.h"
#include "bytegpt/export.h"
#include "bytegpt/format.h"
#include "cli.h"
#include "common.h"

static const char help[] =
    "usage: bytegpt export --model RUN|CKPT --safetensors FILE\n"
    "\n"
    "Writes the model's weights as safetensors with nanoGPT's state-dict names\n"
    "(transformer.wte.weight, transformer.h.0.attn.c_attn.weight, ...,\n"
    "lm_head.weight), all float32, and the config in the metadata (n_layer,\n"
    "n_head, n_embd, block_size, vocab_size), so that PyTorch can load it:\n"
    "scripts/check_export.py does, and scores a text with it.\n"
    "\n"
    "flags:\n"
    "  --model PATH        a run folder (its best.bin, else ckpt.bin) or a checkpoint file\n"
    "  --safetensors FILE  the file to write (replaced atomically if it exists)\n";

static int run(int argc, char **argv)
{
    if (args_wants_help(argc, argv, 1)) {
        cli_print_help(&cli_cmd_export);
        return 0;
    }
    const char *model_path = NULL, *out = NULL;
    struct arg_spec specs[] = {
        {"model", ARG_STRING, &model_path, 0, 0},
        {"safetensors", ARG_STRING, &out, 0, 0},
    };
    size_t n_pos;
    struct bg_error err = {0};
    int rc = args_parse("export", argc, argv, 1, specs, sizeof specs / sizeof specs[0], NULL, 0, &n_pos, &err);
    if (rc)
        return cli_report(&err);
    if (!model_path || !out) {
        bg_fail(&err, BG_ERR_INPUT, "export: %s is required (see bytegpt export --help)",
                !model_path ? "--model RUN|CKPT" : "--safetensors FILE");
        return cli_report(&err);
    }

    struct bg_model m;
    struct bg_ckpt_state state;
    char used[4200];
    rc = common_load_model(model_path, 1, &m, &state, used, sizeof used, &err);
    if (rc)
        return cli_report(&err);
    /* Writing over the checkpoint being exported would lose the run. */
    struct stat a, b;
    if (stat(out, &a) == 0 && stat(used, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        rc = bg_fail(&err, BG_ERR_INPUT, "--safetensors %s is the checkpoint being exported; name another file", out);
    if (!rc)
        rc = export_safetensors(&m, out, &err);
    if (!rc) {
        struct bg_export_info info;
        export_plan(&m.cfg, &info);
        char size[FORMAT_LEN];
        printf("model        %s (step %llu): %zu layers, %zu heads, dim %zu, ctx %zu, %zu parameters\n", used,
               (unsigned long long)state.step, m.cfg.L, m.cfg.NH, m.cfg.C, m.cfg.ctx, m.num_params);
        printf("wrote        %s: %zu tensors, F32, %llu bytes (%s; header %llu bytes)\n", out, info.n_tensors,
               (unsigned long long)info.file_bytes, format_bytes(size, sizeof size, (double)info.file_bytes),
               (unsigned long long)info.header_bytes);
        printf("names        nanoGPT's (lm_head.weight is a copy of the tied transformer.wte.weight)\n");
        printf("check        /usr/bin/python3 scripts/check_export.py %s TEXTFILE\n", out);
    }
    model_free(&m);
    return rc ? cli_report(&err) : 0;
}

const struct cli_command cli_cmd_export = {"export", "write a model as safetensors for PyTorch", help, run};
