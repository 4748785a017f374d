/* fuzz_settings: a run's settings as `bytegpt train` and a sweep's grid
 * give them: name=value pairs laid over a preset, then resolved.
 *
 * Input: lines of name=value ("lr=3e-3", "preset=tiny", "time-budget=5m");
 * a line without '=' is a name with an empty value. Each pair goes through
 * settings_set, and the settings through settings_resolve and through
 * settings_resolve_over a preset (as a resumed run resolves over its
 * checkpoint's configuration). Beyond "no crash":
 *   - a refused value leaves the settings as they were, with a message;
 *   - a resolved configuration is valid (config_validate and
 *     settings_validate agree), keeps every value given (but
 *     warmup, which init-only zeroes), and every whole-number setting,
 *     written with settings_format, reads back through settings_set as
 *     the same value. */
#include <stdlib.h>
#include <string.h>

#include "bytegpt/settings.h"
#include "fuzz.h"

#define MAX_PAIRS 64

static void set_pair(struct bg_settings *s, char *line)
{
    char *eq = strchr(line, '=');
    const char *value = "";
    if (eq) {
        *eq = '\0';
        value = eq + 1;
    }
    struct bg_settings before = *s;
    struct bg_error err = {0};
    if (settings_set(s, line, value, "fuzz", &err) != BG_OK) {
        FUZZ_CHECK(memcmp(&before, s, sizeof before) == 0);
        FUZZ_CHECK(err.code != BG_OK && err.msg[0] != '\0');
    }
}

/* Whole numbers are written exactly, so they must read back unchanged. */
static void check_round_trip(const struct bg_train_config *cfg)
{
    const enum bg_setting whole[] = {BG_SET_LAYERS, BG_SET_HEADS, BG_SET_DIM, BG_SET_CTX, BG_SET_BATCH,
                                     BG_SET_ACCUM, BG_SET_STEPS, BG_SET_WARMUP, BG_SET_EVAL_EVERY,
                                     BG_SET_EVAL_BATCHES, BG_SET_SAMPLE_EVERY, BG_SET_CKPT_EVERY,
                                     BG_SET_SEED, BG_SET_THREADS};
    for (size_t i = 0; i < sizeof whole / sizeof whole[0]; i++) {
        char text[64];
        settings_format(cfg, whole[i], text, sizeof text);
        struct bg_settings back = {0};
        struct bg_error err;
        FUZZ_CHECK(settings_set(&back, settings_name(whole[i]), text, "fuzz", &err) == BG_OK);
        FUZZ_CHECK(settings_same(&back.value, cfg, whole[i]));
    }
}

static void check_resolved(const struct bg_settings *s, int rc, const struct bg_train_config *cfg,
                           const struct bg_error *err)
{
    if (rc != BG_OK) {
        FUZZ_CHECK(err->msg[0] != '\0');
        return;
    }
    struct bg_error again;
    FUZZ_CHECK(config_validate(&cfg->model, &again) == BG_OK);
    FUZZ_CHECK(settings_validate(cfg, &again) == BG_OK);
    for (int i = 0; i < BG_N_SETTINGS; i++)
        if (settings_given(s, i) && i != BG_SET_WARMUP) /* --steps 0 zeroes warmup */
            FUZZ_CHECK(settings_same(&s->value, cfg, i));
    check_round_trip(cfg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    char *lines[MAX_PAIRS];
    size_t n = fuzz_split(text, '\n', lines, MAX_PAIRS);
    struct bg_settings s = {0};
    for (size_t i = 0; i < n; i++)
        set_pair(&s, lines[i]);

    struct bg_train_config cfg, base;
    struct bg_error err = {0};
    int rc = settings_resolve(&s, &cfg, &err);
    check_resolved(&s, rc, &cfg, &err);
    FUZZ_CHECK(settings_preset("tiny", &base, &err) == BG_OK);
    rc = settings_resolve_over(&s, &base, &cfg, &err);
    check_resolved(&s, rc, &cfg, &err);
    free(text);
    return 0;
}
