/* export: a model's weights as a safetensors file that PyTorch users can
 * load into scripts/torch_gpt.py (any settings) or nanoGPT's GPT class
 * (GPT-2's settings) as they are.
 *
 * safetensors (Hugging Face's format, chosen because it holds nothing but
 * tensors, so loading it cannot run code) is:
 *   8 bytes    N, the header's length, a little-endian uint64
 *   N bytes    a JSON object: for each tensor its name, "dtype", "shape"
 *              and "data_offsets" [begin, end) in the byte buffer that
 *              follows; plus "__metadata__", a map of strings to strings
 *   the rest   the byte buffer: each tensor's elements, row-major
 *              (C order), little-endian
 *
 * What bytegpt writes (the README's "Run folder and formats" too):
 *   - names from nanoGPT's state dict, in its order: transformer.wte.weight
 *     (V,C), transformer.wpe.weight (ctx,C), then for each layer i
 *     transformer.h.{i}.ln_1.weight|bias (C), .attn.c_attn.weight (3C,C)
 *     and .bias (3C), .attn.c_proj.weight (C,C) and .bias (C),
 *     .ln_2.weight|bias (C), .mlp.c_fc.weight (4C,C) and .bias (4C),
 *     .mlp.c_proj.weight (C,4C) and .bias (C), then
 *     transformer.ln_f.weight|bias (C) and lm_head.weight (V,C);
 *   - a tensor the model's settings leave out is not in the file:
 *     transformer.wpe.weight under --pos rotary, the three LayerNorm
 *     biases under --norm rmsnorm (whose gains keep the .weight names);
 *   - lm_head.weight is the head's own matrix under --head untied. Tied
 *     (GPT-2), it is wte in the model, but the format has no way to say
 *     "same bytes as", so it gets its own copy of wte's data; loading both
 *     into a tied model writes the same values twice;
 *   - with --bigram on, the table last: transformer.bigram.weight
 *     (65536,C), row prev*256 + cur;
 *   - every tensor "F32", the data contiguous from offset 0 in the order
 *     of the header, without gaps (safetensors' own reader insists the
 *     ranges tile the buffer exactly and never overlap);
 *   - __metadata__: format "pt", and n_layer, n_head, n_embd, block_size,
 *     vocab_size as decimal strings (the format allows only strings), then
 *     each setting by the word its flag takes: norm (layernorm|rmsnorm),
 *     pos (learned|rotary), qk_norm (off|on), act (gelu|relu2), head
 *     (tied|untied), softcap (a number, 0 for off, with 17 significant
 *     digits) and bigram (off|on). That is enough to rebuild the model with
 *     nothing else: scripts/check_export.py does;
 *   - the header padded with spaces (JSON allows trailing whitespace) to a
 *     multiple of 8 bytes, so the data starts 8-byte aligned and a reader
 *     that maps the file can use the floats where they lie.
 *
 * BG_EXPORT_NANOGPT (bytegpt export --nanogpt) writes the file nanoGPT's
 * GPT class loads: the same tensors, and only nanoGPT's five config keys
 * in the metadata. It refuses a model with any setting beside GPT-2's,
 * naming each, since nanoGPT's class has no place for it. */
#ifndef BYTEGPT_EXPORT_H
#define BYTEGPT_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "bytegpt/error.h"
#include "bytegpt/model.h"

/* What the file is for: any bytegpt model, its settings named in the
 * metadata; or nanoGPT's GPT class, for GPT-2's settings only. */
enum bg_export_mode { BG_EXPORT_FULL = 0, BG_EXPORT_NANOGPT = 1 };

/* The shape of an export, known from the config alone. */
struct bg_export_info {
    size_t n_tensors;      /* named tensors: 2 + 12 L + 2 + 1 (lm_head) for GPT-2 */
    uint64_t header_bytes; /* the JSON header, padding included */
    uint64_t data_bytes;   /* the byte buffer: 4 bytes per float, a tied wte twice */
    uint64_t file_bytes;   /* 8 + header_bytes + data_bytes */
};

void export_plan(const struct bg_config *cfg, int mode, struct bg_export_info *info);

/* BG_OK when nanoGPT's GPT class can hold the model (GPT-2's settings);
 * otherwise BG_ERR_INPUT with one line naming each setting it cannot. */
int export_check_nanogpt(const struct bg_config *cfg, struct bg_error *err);

/* Writes m's parameters to path as safetensors for mode, atomically: into
 * path.tmp in the same folder, flushed and fsynced, then renamed over
 * path (an existing file is replaced only by a complete new one). On any
 * failure nothing is left behind: no path, no path.tmp. A model that
 * BG_EXPORT_NANOGPT cannot express is refused as export_check_nanogpt
 * says, before anything is written. A path that
 * cannot be created (a missing folder, a folder, a path through a regular
 * file, no permission) is BG_ERR_INPUT; a failure while writing (disk
 * full) is BG_ERR_RUNTIME. */
int export_safetensors(const struct bg_model *m, const char *path, int mode, struct bg_error *err);

#endif
