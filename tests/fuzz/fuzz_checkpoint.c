/* fuzz_checkpoint: ckpt.bin and best.bin as sample, eval and a resumed
 * or --init-from run read them.
 *
 * Input: the file's bytes (format v2, checkpoint.h). They are read as
 * the program reads a checkpoint: checkpoint_peek for the configuration,
 * a model built for it, checkpoint_load for the tensors, and the
 * configuration resolved as a resumed run resolves it (settings_resolve_
 * over with nothing given, which validates the training settings).
 * A configuration resolved that way must be one a user could have typed
 * (check_typeable).
 *
 * A mutated file almost never has the right CRC, so the loader would
 * stop at the CRC check every time. Each input is therefore read twice:
 * as it is, and with its size field and CRC made right, so that the
 * fuzzer also reaches everything the CRC guards. Beyond "no crash": a
 * refusal comes with a message, and a model is built only for a
 * configuration that config_validate accepts. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bytegpt/checkpoint.h"
#include "bytegpt/settings.h"
#include "fuzz.h"

/* A configuration a resumed run accepts is one its user could have typed:
 * each whole-number setting, written as a flag value, is a value
 * settings_set takes, the time budget is none (0) or a positive
 * number of seconds, and the FLOP budget none or a positive number. (The other numbers are settings_validate's.) */
static void check_typeable(const struct bg_train_config *cfg)
{
    const enum bg_setting whole[] = {BG_SET_LAYERS, BG_SET_HEADS, BG_SET_DIM, BG_SET_CTX, BG_SET_BATCH,
                                     BG_SET_ACCUM, BG_SET_STEPS, BG_SET_WARMUP, BG_SET_EVAL_EVERY,
                                     BG_SET_EVAL_BATCHES, BG_SET_SAMPLE_EVERY, BG_SET_CKPT_EVERY,
                                     BG_SET_SEED, BG_SET_THREADS};
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
        char text[64];
        struct bg_settings typed = {0};
        struct bg_error err;
        settings_format(cfg, whole[i], text, sizeof text);
        FUZZ_CHECK(settings_set(&typed, settings_name(whole[i]), text, "fuzz", &err) == BG_OK);
    }
    FUZZ_CHECK(cfg->time_budget == 0 || (isfinite(cfg->time_budget) && cfg->time_budget > 0));
    FUZZ_CHECK(cfg->flop_budget == 0 || (isfinite(cfg->flop_budget) && cfg->flop_budget > 0));
}

static void read_checkpoint(const char *path)
{
    struct bg_ckpt_state *s = malloc(sizeof *s);
    struct bg_error err = {0};
    if (!s)
        abort();
    if (checkpoint_peek(path, s, &err) != BG_OK) {
        FUZZ_CHECK(err.msg[0] != '\0');
        goto out;
    }
    FUZZ_CHECK(config_validate(&s->cfg.model, &err) == BG_OK);
    FUZZ_CHECK(memchr(s->corpus, '\0', sizeof s->corpus) != NULL);
    struct bg_model m;
    FUZZ_CHECK(model_init(&m, &s->cfg.model, 1, &err) == BG_OK);
    if (checkpoint_load(path, s, &m, &err) == BG_OK) {
        struct bg_settings none = {0};
        struct bg_train_config cfg;
        if (settings_resolve_over(&none, &s->cfg, &cfg, &err) == BG_OK)
            check_typeable(&cfg);
    } else {
        FUZZ_CHECK(err.msg[0] != '\0');
    }
    model_free(&m);
out:
    free(s);
}

/* Makes the size field (offset 16) and the CRC32 (offset 12, over every
 * byte from 16 on) agree with the file, as checkpoint_save would. */
static void make_consistent(uint8_t *b, size_t n)
{
    if (n < 24)
        return;
    for (int i = 0; i < 8; i++)
        b[16 + i] = (uint8_t)((uint64_t)n >> (8 * i));
    uint32_t crc = (uint32_t)crc32_z(crc32(0L, Z_NULL, 0), b + 16, n - 16);
    for (int i = 0; i < 4; i++)
        b[12 + i] = (uint8_t)(crc >> (8 * i));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[FUZZ_PATH_MAX];
    fuzz_path(path, "ckpt.bin");
    fuzz_write(path, data, size);
    read_checkpoint(path);

    uint8_t *fixed = malloc(size ? size : 1);
    if (!fixed)
        abort();
    memcpy(fixed, data, size);
    make_consistent(fixed, size);
    if (size >= 24 && memcmp(fixed, data, size) != 0) {
        fuzz_write(path, fixed, size);
        read_checkpoint(path);
    }
    free(fixed);
    return 0;
}
