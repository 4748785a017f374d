/* export: a trained model as a safetensors file for PyTorch. */
#include <stdio.h>
#include <sys/stat.h>

#include "bytegpt/export.h"
#include "bytegpt/format.h"
#include "cli.h"
#include "common.h"

static const char help[] =
    "usage: bytegpt export --model RUN|CKPT --safetensors FILE [--nanogpt]\n"
    "\n"
    "Writes the model's weights as safetensors with nanoGPT's state-dict names\n"
    "(transformer.wte.weight, transformer.h.0.attn.c_attn.weight, ...,\n"
    "lm_head.weight), all float32, and the config in the metadata (n_layer,\n"
    "n_head, n_embd, block_size, vocab_size, and each setting: norm, pos,\n"
    "qk_norm, act, head, softcap, bigram), so that PyTorch can load it:\n"
    "scripts/check_export.py does, and scores a text with it. A tensor the\n"
    "settings leave out is not written (wpe under --pos rotary, the LayerNorm\n"
    "biases under --norm rmsnorm); an untied head is lm_head.weight, and the\n"
    "bigram table is transformer.bigram.weight.\n"
    "\n"
    "flags:\n"
    "  --model PATH        a run folder (its best.bin, else ckpt.bin) or a checkpoint file\n"
    "  --safetensors FILE  the file to write (replaced atomically if it exists)\n"
    "  --nanogpt           the file nanoGPT's GPT class loads: only its five config\n"
    "                      keys; a model with a setting beside GPT-2's is refused\n";

static int run(int argc, char **argv)
{
    if (args_wants_help(argc, argv, 1)) {
        cli_print_help(&cli_cmd_export);
        return 0;
    }
    const char *model_path = NULL, *out = NULL;
    int nanogpt = 0;
    struct arg_spec specs[] = {
        COMMON_MODELFILE_SPEC(model_path),
        {"safetensors", ARG_STRING, &out, 0, 0},
        {"nanogpt", ARG_BOOL, &nanogpt, 0, 0},
    };
    size_t n_pos;
    struct bg_error err = {0};
    int rc = args_parse("export", argc, argv, 1, specs, sizeof specs / sizeof specs[0], NULL, 0, &n_pos, &err);
    if (rc)
        return cli_report(&err);
    if (!out) {
        bg_fail(&err, BG_ERR_INPUT, "export: --safetensors FILE is required (see bytegpt export --help)");
        return cli_report(&err);
    }

    struct bg_modelfile mf;
    if ((rc = common_open_model("export", model_path, 0, &mf, &err)))
        return cli_report(&err);
    /* Writing over the checkpoint being exported would lose the run. */
    struct stat a, b;
    if (stat(out, &a) == 0 && stat(mf.path, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino)
        rc = bg_fail(&err, BG_ERR_INPUT, "--safetensors %s is the checkpoint being exported; name another file", out);
    int mode = nanogpt ? BG_EXPORT_NANOGPT : BG_EXPORT_FULL;
    if (!rc)
        rc = export_safetensors(&mf.model, out, mode, &err);
    if (!rc) {
        struct bg_export_info info;
        export_plan(&mf.model.cfg, mode, &info);
        char size[FORMAT_LEN];
        common_print_model(&mf);
        printf("wrote        %s: %zu tensors, %zu parameters, F32, %llu bytes (%s; header %llu bytes)\n", out,
               info.n_tensors, mf.model.num_params, (unsigned long long)info.file_bytes,
               format_bytes(size, sizeof size, (double)info.file_bytes), (unsigned long long)info.header_bytes);
        if (mf.model.cfg.head == BG_HEAD_TIED)
            printf("names        nanoGPT's (lm_head.weight is a copy of the tied transformer.wte.weight)\n");
        else
            printf("names        nanoGPT's (lm_head.weight is the untied head)\n");
        if (!mode)
            printf("settings     in the metadata, for scripts/check_export.py (--nanogpt leaves them out)\n");
        printf("check        /usr/bin/python3 scripts/check_export.py %s TEXTFILE\n", out);
    }
    modelfile_close(&mf);
    return rc ? cli_report(&err) : 0;
}

const struct cli_command cli_cmd_export = {"export", "write a model as safetensors for PyTorch", help, run};
