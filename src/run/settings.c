/* settings: see settings.h. */
#include "bytegpt/settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/parse.h"
#include "bytegpt/tokenizer.h"

/* ---- The table: each setting's name, kind and field ---- */

enum kind {
    K_COUNT,    /* a whole number >= 1 (size_t) */
    K_U64,      /* a whole number >= 0 (uint64_t) */
    K_FLOAT,    /* a finite number (double) */
    K_DURATION, /* a positive time with unit (double seconds) */
    K_FLOPS,    /* a positive finite number of FLOPs (double) */
    K_THREADS,  /* a whole number >= 0 (int; 0: all cores) */
    K_CHOICE,   /* one of the names in choices (int: its index) */
};

struct setting {
    const char *name;
    enum kind kind;
    size_t offset; /* of the field in struct bg_train_config */
    const char *const *choices; /* K_CHOICE: the names, by value */
};

/* The choices of the recipe's settings; the first is GPT-2's (value 0). */
static const char *const norms[] = {"layernorm", "rmsnorm", NULL};
static const char *const positions[] = {"learned", "rotary", NULL};
static const char *const activations[] = {"gelu", "relu2", NULL};
static const char *const heads[] = {"tied", "untied", NULL};
static const char *const switches[] = {"off", "on", NULL};
static const char *const optimisers[] = {"adamw", "muon", NULL};
static const char *const schedules[] = {"cosine", "wsd", NULL};

#define AT(field) offsetof(struct bg_train_config, field)

static const struct setting table[BG_N_SETTINGS] = {
    [BG_SET_LAYERS] = {"layers", K_COUNT, AT(model.L), NULL},
    [BG_SET_HEADS] = {"heads", K_COUNT, AT(model.NH), NULL},
    [BG_SET_DIM] = {"dim", K_COUNT, AT(model.C), NULL},
    [BG_SET_CTX] = {"ctx", K_COUNT, AT(model.ctx), NULL},
    [BG_SET_BATCH] = {"batch", K_COUNT, AT(batch), NULL},
    [BG_SET_ACCUM] = {"accum", K_COUNT, AT(accum), NULL},
    [BG_SET_STEPS] = {"steps", K_U64, AT(steps), NULL},
    [BG_SET_TIME_BUDGET] = {"time-budget", K_DURATION, AT(time_budget), NULL},
    [BG_SET_FLOP_BUDGET] = {"flop-budget", K_FLOPS, AT(flop_budget), NULL},
    [BG_SET_LR] = {"lr", K_FLOAT, AT(lr), NULL},
    [BG_SET_MIN_LR] = {"min-lr", K_FLOAT, AT(min_lr), NULL},
    [BG_SET_WARMUP] = {"warmup", K_U64, AT(warmup), NULL},
    [BG_SET_WD] = {"wd", K_FLOAT, AT(weight_decay), NULL},
    [BG_SET_BETA1] = {"beta1", K_FLOAT, AT(beta1), NULL},
    [BG_SET_BETA2] = {"beta2", K_FLOAT, AT(beta2), NULL},
    [BG_SET_CLIP] = {"clip", K_FLOAT, AT(clip), NULL},
    [BG_SET_EVAL_EVERY] = {"eval-every", K_U64, AT(eval_every), NULL},
    [BG_SET_EVAL_BATCHES] = {"eval-batches", K_U64, AT(eval_batches), NULL},
    [BG_SET_SAMPLE_EVERY] = {"sample-every", K_U64, AT(sample_every), NULL},
    [BG_SET_CKPT_EVERY] = {"ckpt-every", K_U64, AT(ckpt_every), NULL},
    [BG_SET_SEED] = {"seed", K_U64, AT(seed), NULL},
    [BG_SET_THREADS] = {"threads", K_THREADS, AT(threads), NULL},
    [BG_SET_NORM] = {"norm", K_CHOICE, AT(model.norm), norms},
    [BG_SET_POS] = {"pos", K_CHOICE, AT(model.pos), positions},
    [BG_SET_QK_NORM] = {"qk-norm", K_CHOICE, AT(model.qk_norm), switches},
    [BG_SET_ACT] = {"act", K_CHOICE, AT(model.act), activations},
    [BG_SET_HEAD] = {"head", K_CHOICE, AT(model.head), heads},
    [BG_SET_BIGRAM] = {"bigram", K_CHOICE, AT(model.bigram), switches},
    [BG_SET_SOFTCAP] = {"softcap", K_FLOAT, AT(model.softcap), NULL},
    [BG_SET_OPTIM] = {"optim", K_CHOICE, AT(optim), optimisers},
    [BG_SET_MUON_LR] = {"muon-lr", K_FLOAT, AT(muon_lr), NULL},
    [BG_SET_SCHEDULE] = {"schedule", K_CHOICE, AT(schedule), schedules},
    [BG_SET_DECAY] = {"decay", K_FLOAT, AT(decay), NULL},
};

const char *settings_name(enum bg_setting s)
{
    return table[s].name;
}

int settings_find(const char *name)
{
    for (int i = 0; i < BG_N_SETTINGS; i++)
        if (strcmp(table[i].name, name) == 0)
            return i;
    return -1;
}

int settings_whole(enum bg_setting i)
{
    return table[i].kind == K_COUNT || table[i].kind == K_U64 || table[i].kind == K_THREADS;
}

const char *const *settings_choices(enum bg_setting i)
{
    return table[i].choices;
}

/* The index of text among choices, or -1. */
static int choice_index(const char *const *choices, const char *text)
{
    for (int k = 0; choices[k]; k++)
        if (strcmp(choices[k], text) == 0)
            return k;
    return -1;
}

/* ---- Parsing one value ---- */

/* The limit on counts keeps products like batch * ctx far from overflow;
 * the model's own limits are checked by config_validate. */
#define COUNT_MAX ((uint64_t)1 << 40)

static int parse_into(const struct setting *t, struct bg_train_config *c, const char *text, const char *cmd,
                      struct bg_error *err)
{
    char *field = (char *)c + t->offset;
    uint64_t u;
    double d;
    switch (t->kind) {
    case K_COUNT:
    case K_U64:
    case K_THREADS:
        if (parse_u64(text, &u))
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s needs a non-negative whole number, got '%s'", cmd, t->name,
                           text);
        if (t->kind == K_COUNT && u == 0)
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s must be at least 1, got '%s'", cmd, t->name, text);
        if (t->kind != K_U64 && u > (t->kind == K_THREADS ? BG_THREADS_MAX : COUNT_MAX))
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s is out of range: '%s'", cmd, t->name, text);
        if (t->kind == K_COUNT)
            *(size_t *)field = (size_t)u;
        else if (t->kind == K_THREADS)
            *(int *)field = (int)u;
        else
            *(uint64_t *)field = u;
        return BG_OK;
    case K_FLOAT:
        if (parse_finite(text, &d))
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s needs a finite number, got '%s'", cmd, t->name, text);
        *(double *)field = d;
        return BG_OK;
    case K_FLOPS:
        if (parse_finite(text, &d) || d <= 0)
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s needs a positive number of FLOPs (e.g. 3e13), got '%s'",
                           cmd, t->name, text);
        *(double *)field = d;
        return BG_OK;
    case K_DURATION:
        if (parse_duration(text, &d))
            return bg_fail(err, BG_ERR_INPUT,
                           "%s: --%s needs a positive time with unit s, m or h (e.g. 90s, 5m, 1h), got '%s'", cmd,
                           t->name, text);
        *(double *)field = d;
        return BG_OK;
    case K_CHOICE: {
        int k = choice_index(t->choices, text);
        if (k < 0)
            return bg_fail(err, BG_ERR_INPUT, "%s: --%s is %s or %s, got '%s'", cmd, t->name, t->choices[0],
                           t->choices[1], text);
        *(int *)field = k;
        return BG_OK;
    }
    }
    return BG_OK;
}

int settings_set(struct bg_settings *s, const char *name, const char *text, const char *cmd, struct bg_error *err)
{
    if (strcmp(name, "preset") == 0) {
        struct bg_train_config probe;
        int rc = settings_preset(text, &probe, err);
        if (rc)
            return rc;
        snprintf(s->preset, sizeof s->preset, "%s", text);
        return BG_OK;
    }
    int i = settings_find(name);
    if (i < 0)
        return bg_fail(err, BG_ERR_INPUT, "%s: unknown setting '%s'", cmd, name);
    int rc = parse_into(&table[i], &s->value, text, cmd, err);
    if (!rc)
        s->given |= (uint64_t)1 << i;
    return rc;
}

/* A budget as short as it can be written and still read back as the
 * same double ("3e+13", not "30000000000000"), so that a sweep's
 * definition written to sweep.txt and read again is the same sweep. */
static void format_exact(char *buf, size_t n, double v)
{
    for (int digits = 6; digits < 17; digits++) {
        snprintf(buf, n, "%.*g", digits, v);
        if (strtod(buf, NULL) == v)
            return;
    }
    snprintf(buf, n, "%.17g", v);
}

void settings_format(const struct bg_train_config *cfg, enum bg_setting i, char *buf, size_t n)
{
    const char *field = (const char *)cfg + table[i].offset;
    switch (table[i].kind) {
    case K_COUNT:
        snprintf(buf, n, "%zu", *(const size_t *)field);
        break;
    case K_U64:
        snprintf(buf, n, "%llu", (unsigned long long)*(const uint64_t *)field);
        break;
    case K_THREADS:
        snprintf(buf, n, "%d", *(const int *)field);
        break;
    case K_FLOAT:
        snprintf(buf, n, "%.6g", *(const double *)field);
        break;
    case K_DURATION:
        snprintf(buf, n, "%.6gs", *(const double *)field);
        break;
    case K_FLOPS:
        format_exact(buf, n, *(const double *)field);
        break;
    case K_CHOICE: {
        /* A record's value outside the list (config_validate and
         * settings_validate refuse it) is shown as its number. */
        int k = *(const int *)field;
        if (k == 0 || k == 1)
            snprintf(buf, n, "%s", table[i].choices[k]);
        else
            snprintf(buf, n, "%d", k);
        break;
    }
    }
}

/* ---- One setting of a configuration: copy and compare ---- */

static size_t field_size(enum bg_setting i)
{
    switch (table[i].kind) {
    case K_COUNT:
        return sizeof(size_t);
    case K_THREADS:
    case K_CHOICE:
        return sizeof(int);
    case K_U64:
        return sizeof(uint64_t);
    default:
        return sizeof(double);
    }
}

void settings_copy(struct bg_train_config *dst, const struct bg_train_config *src, enum bg_setting i)
{
    memcpy((char *)dst + table[i].offset, (const char *)src + table[i].offset, field_size(i));
}

int settings_same(const struct bg_train_config *a, const struct bg_train_config *b, enum bg_setting i)
{
    return memcmp((const char *)a + table[i].offset, (const char *)b + table[i].offset, field_size(i)) == 0;
}

/* ---- Presets ---- */

const char *const bg_preset_names[] = {"tiny", "default", "modern", "small", "medium", NULL};

/* Settings every preset shares unless it says otherwise: AdamW as GPT-3
 * and nanoGPT use it, clipping at 1, evaluation every 100 steps. */
static struct bg_train_config preset_base(void)
{
    struct bg_train_config c;
    memset(&c, 0, sizeof c);
    c.model.V = BG_VOCAB;
    c.accum = 1;
    c.weight_decay = 0.1;
    c.beta1 = 0.9;
    c.beta2 = 0.95;
    c.clip = 1.0;
    c.muon_lr = BG_MUON_LR_DEFAULT;
    c.decay = BG_DECAY_DEFAULT;
    c.eval_every = 100;
    c.eval_batches = 20;
    c.sample_every = 500;
    c.ckpt_every = 200;
    c.seed = 1337;
    c.threads = 0; /* all cores */
    return c;
}

/* Today's recipe, as bytegpt's own ablation kept it (scripts/ablation.sh,
 * 300 s on Moby-Dick, 2 seeds): Muon alone. Every other change lost, on
 * top of Muon, at this size and budget; the README's table has them all. */
static void modern_recipe(struct bg_train_config *c)
{
    c->optim = BG_OPT_MUON;
}

int settings_preset(const char *name, struct bg_train_config *cfg, struct bg_error *err)
{
    struct bg_train_config c = preset_base();
    if (strcmp(name, "tiny") == 0) {
        /* Seconds on one core: for tests and a first look. */
        c.model = (struct bg_config){.L = 2, .NH = 2, .C = 32, .ctx = 32, .V = BG_VOCAB};
        c.batch = 8;
        c.steps = 200;
        c.lr = 3e-3;
        c.min_lr = 3e-4;
        c.warmup = 20;
        c.eval_every = 50;
        c.eval_batches = 8;
        c.sample_every = 100;
        c.ckpt_every = 50;
    } else if (strcmp(name, "default") == 0) {
        /* Learns English words from moby-dick in a few minutes on 2 cores. */
        c.model = (struct bg_config){.L = 4, .NH = 4, .C = 128, .ctx = 128, .V = BG_VOCAB};
        c.batch = 16;
        c.steps = 5000;
        c.lr = 3e-3;
        c.min_lr = 3e-4;
        c.warmup = 100;
    } else if (strcmp(name, "modern") == 0) {
        /* The default's size with the changes since GPT-2 that bytegpt's
         * own ablation kept at 300 s on Moby-Dick. */
        c.model = (struct bg_config){.L = 4, .NH = 4, .C = 128, .ctx = 128, .V = BG_VOCAB};
        modern_recipe(&c);
        c.batch = 16;
        c.steps = 5000;
        c.lr = 3e-3;
        c.min_lr = 3e-4;
        c.warmup = 100;
    } else if (strcmp(name, "small") == 0) {
        c.model = (struct bg_config){.L = 6, .NH = 8, .C = 256, .ctx = 256, .V = BG_VOCAB};
        c.batch = 16;
        c.steps = 10000;
        c.lr = 1e-3;
        c.min_lr = 1e-4;
        c.warmup = 200;
    } else if (strcmp(name, "medium") == 0) {
        c.model = (struct bg_config){.L = 6, .NH = 12, .C = 384, .ctx = 256, .V = BG_VOCAB};
        c.batch = 8;
        c.steps = 20000;
        c.lr = 6e-4;
        c.min_lr = 6e-5;
        c.warmup = 400;
    } else {
        return bg_fail(err, BG_ERR_INPUT, "unknown preset '%s'; the presets are tiny, default, modern, small, medium",
                       name);
    }
    *cfg = c;
    return BG_OK;
}
