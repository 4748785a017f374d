/* sweep_def: a sweep's definition, set item by item from flags or from
 * sweep.txt, and written back as sweep.txt's lines. The lines are
 * canonical (settings as settings_format spells them, one fixed order,
 * only what takes effect), so that "the same sweep" means the same lines
 * and a resumed sweep can name the first line that differs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/parse.h"
#include "bytegpt/strbuf.h"
#include "bytegpt/sweep.h"
#include "sweep_def.h"

/* The longest line of sweep.txt: the list's, with its name. */
#define LINE_MAX_LEN (BG_SWEEP_LIST_LEN + 64)

void sweep_def_init(struct bg_sweep_def *d)
{
    memset(d, 0, sizeof *d);
    d->seeds = 2;
    d->factor = 2.0;
    d->space_seed = 1;
    /* What a patient researcher tries first: the optimiser, then the
     * shape of the model and of its batches. */
    const int vary[] = {BG_SET_LR, BG_SET_WARMUP, BG_SET_WD, BG_SET_BATCH, BG_SET_DIM, BG_SET_LAYERS, BG_SET_CTX};
    for (size_t i = 0; i < sizeof vary / sizeof vary[0]; i++)
        d->vary[d->n_vary++] = vary[i];
}

/* ---- Setting one item ---- */

static int set_count(size_t *v, const char *name, const char *text, size_t lo, size_t hi, struct bg_error *err)
{
    uint64_t u;
    if (parse_u64(text, &u) || u < lo || u > hi)
        return bg_fail(err, BG_ERR_INPUT, "sweep: --%s needs a whole number from %zu to %zu, got '%s'", name, lo,
                       hi, text);
    *v = (size_t)u;
    return BG_OK;
}

/* --vary 'lr,wd dim': setting names separated by commas or spaces. */
static int set_vary(struct bg_sweep_def *d, const char *text, struct bg_error *err)
{
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", text);
    d->n_vary = 0;
    for (char *save = NULL, *w = strtok_r(copy, ", \t", &save); w; w = strtok_r(NULL, ", \t", &save)) {
        int i = settings_find(w);
        if (i < 0 || i == BG_SET_THREADS)
            return bg_fail(err, BG_ERR_INPUT, "sweep --vary: '%s' is not a setting greedy can change", w);
        int seen = 0;
        for (size_t k = 0; k < d->n_vary; k++)
            seen |= d->vary[k] == i;
        if (!seen)
            d->vary[d->n_vary++] = i;
    }
    if (d->n_vary == 0)
        return bg_fail(err, BG_ERR_INPUT, "sweep --vary is empty; name settings like 'lr,wd,dim'");
    return BG_OK;
}

static int set_text(char *dst, size_t n, const char *name, const char *text, struct bg_error *err)
{
    if (strlen(text) >= n)
        return bg_fail(err, BG_ERR_INPUT, "sweep: --%s is too long (%zu bytes)", name, strlen(text));
    if (strpbrk(text, "\t\n\r"))
        return bg_fail(err, BG_ERR_INPUT, "sweep: --%s must be one line without tabs", name);
    snprintf(dst, n, "%s", text);
    return BG_OK;
}

static int set_strategy(struct bg_sweep_def *d, const char *name, const char *v, struct bg_error *err)
{
    double x;
    uint64_t u;
    if (strcmp(name, "grid") == 0)
        return (d->has_grid = sweep_parse_grid(v, &d->grid, err) == BG_OK) ? BG_OK : err->code;
    if (strcmp(name, "space") == 0)
        return (d->has_space = sweep_parse_space(v, &d->space, err) == BG_OK) ? BG_OK : err->code;
    if (strcmp(name, "random") == 0)
        return set_count(&d->random_n, name, v, 1, BG_SWEEP_MAX_TRIALS, err);
    if (strcmp(name, "greedy") == 0)
        return set_count(&d->greedy_n, name, v, 1, BG_SWEEP_MAX_TRIALS, err);
    if (strcmp(name, "list") == 0)
        return sweep_parse_list(v, d->list, sizeof d->list, &d->list_n, err);
    if (strcmp(name, "seeds") == 0)
        return set_count(&d->seeds, name, v, 1, BG_SWEEP_MAX_SEEDS, err);
    if (strcmp(name, "every-seed") == 0) {
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
            return bg_fail(err, BG_ERR_INPUT, "sweep: every-seed is 1 or 0, got '%s'", v);
        d->every_seed = v[0] == '1';
        return BG_OK;
    }
    if (strcmp(name, "space-seed") == 0) {
        if (parse_u64(v, &u))
            return bg_fail(err, BG_ERR_INPUT, "sweep: --space-seed needs a whole number, got '%s'", v);
        d->space_seed = u;
        return BG_OK;
    }
    if (strcmp(name, "factor") == 0) {
        if (parse_finite(v, &x) || x <= 1.0 || x > 100.0)
            return bg_fail(err, BG_ERR_INPUT, "sweep: --factor needs a number above 1 (and at most 100), got '%s'",
                           v);
        d->factor = x;
        return BG_OK;
    }
    if (strcmp(name, "vary") == 0)
        return set_vary(d, v, err);
    if (strcmp(name, "propose") == 0) {
        if (!*v)
            return bg_fail(err, BG_ERR_INPUT, "sweep: --propose needs a command");
        return set_text(d->propose, sizeof d->propose, name, v, err);
    }
    return bg_fail(err, BG_ERR_INPUT, "sweep: unknown item '%s'", name);
}

int sweep_def_set(struct bg_sweep_def *d, const char *name, const char *value, struct bg_error *err)
{
    if (strcmp(name, "corpus") == 0)
        return set_text(d->corpus, sizeof d->corpus, name, value, err);
    if (strcmp(name, "corpus-fingerprint") == 0) {
        char *end;
        unsigned long fp = strtoul(value, &end, 16);
        if (!*value || *end)
            return bg_fail(err, BG_ERR_INPUT, "sweep: corpus-fingerprint needs 8 hex digits, got '%s'", value);
        d->fingerprint = (uint32_t)fp;
        return BG_OK;
    }
    if (strcmp(name, "threads") == 0)
        return bg_fail(err, BG_ERR_INPUT, "sweep: --threads is the sweep's, not the definition's");
    if (strcmp(name, "preset") == 0 || settings_find(name) >= 0)
        return settings_set(&d->base, name, value, "sweep", err);
    return set_strategy(d, name, value, err);
}

int sweep_def_check(const struct bg_sweep_def *d, struct bg_error *err)
{
    if (!d->corpus[0])
        return bg_fail(err, BG_ERR_INPUT,
                       "sweep needs --corpus PATH (try scripts/get_corpus.sh, then --corpus corpus/moby-dick.txt.gz)");
    if (!settings_given(&d->base, BG_SET_STEPS) && !settings_given(&d->base, BG_SET_TIME_BUDGET) &&
        !settings_given(&d->base, BG_SET_FLOP_BUDGET))
        return bg_fail(err, BG_ERR_INPUT,
                       "sweep needs a budget for each trial: --time-budget T (like 60s), --steps N or --flop-budget F");
    if (settings_given(&d->base, BG_SET_STEPS) && d->base.value.steps == 0)
        return bg_fail(err, BG_ERR_INPUT, "sweep: --steps 0 trains nothing; give each trial some steps");
    if (d->random_n && !d->has_space)
        return bg_fail(err, BG_ERR_INPUT, "sweep --random N draws from --space 'lr=1e-4..1e-2:log batch=8,16,32'; "
                                          "give it one");
    if (d->has_space && !d->random_n)
        return bg_fail(err, BG_ERR_INPUT, "sweep --space is drawn from by --random N; give it");
    struct bg_train_config cfg;
    return settings_resolve(&d->base, &cfg, err);
}

/* ---- sweep.txt ---- */

char *sweep_def_text(const struct bg_sweep_def *d)
{
    struct bg_strbuf b = {0};
    char v[4096];
    strbuf_puts(&b, "# bytegpt sweep: this sweep's definition. The same command again, or\n"
                    "# bytegpt sweep --out DIR --resume, continues it; a changed one is refused.\n");
    strbuf_printf(&b, "corpus\t%s\ncorpus-fingerprint\t%08x\n", d->corpus, (unsigned)d->fingerprint);
    if (d->base.preset[0])
        strbuf_printf(&b, "preset\t%s\n", d->base.preset);
    for (int i = 0; i < BG_N_SETTINGS; i++)
        if (settings_given(&d->base, i)) {
            settings_format(&d->base.value, i, v, sizeof v);
            strbuf_printf(&b, "%s\t%s\n", settings_name(i), v);
        }
    if (d->list_n)
        strbuf_printf(&b, "list\t%s\n", d->list);
    if (d->has_grid) {
        sweep_space_format(&d->grid, v, sizeof v);
        strbuf_printf(&b, "grid\t%s\n", v);
    }
    if (d->random_n) {
        sweep_space_format(&d->space, v, sizeof v);
        strbuf_printf(&b, "random\t%zu\nspace\t%s\nspace-seed\t%llu\n", d->random_n, v,
                      (unsigned long long)d->space_seed);
    }
    if (d->greedy_n) {
        strbuf_printf(&b, "greedy\t%zu\nvary\t", d->greedy_n);
        for (size_t k = 0; k < d->n_vary; k++)
            strbuf_printf(&b, "%s%s", k ? "," : "", settings_name(d->vary[k]));
        strbuf_printf(&b, "\nfactor\t%g\n", d->factor);
    }
    if (d->propose[0])
        strbuf_printf(&b, "propose\t%s\n", d->propose);
    strbuf_printf(&b, "seeds\t%zu\n", d->seeds);
    /* With one seed there are no repeats, so --every-seed changes nothing. */
    if (d->every_seed && d->seeds > 1)
        strbuf_puts(&b, "every-seed\t1\n");
    return strbuf_take(&b);
}

/* The value of item name in a definition's text (copied into v), or 0. */
static int item(const char *text, const char *name, char *v, size_t n)
{
    size_t len = strlen(name);
    for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, name, len) != 0 || line[len] != '\t')
            continue;
        const char *start = line + len + 1, *end = strchr(start, '\n');
        size_t m = end ? (size_t)(end - start) : strlen(start);
        snprintf(v, n, "%.*s", (int)(m < n ? m : n - 1), start);
        return 1;
    }
    return 0;
}

/* The item after item p of a list (NULL after the last), past its ';'
 * and the spaces after it. */
static const char *next_list_item(const char *p)
{
    p += strcspn(p, ";");
    if (!*p)
        return NULL;
    return p + 1 + strspn(p + 1, " ");
}

/* Names the first item that differs between two lists, into why: a long
 * list would be cut off in the message before its difference. */
static void list_difference(const char *was, const char *now, char *why, size_t n)
{
    const char *a = was, *b = now;
    size_t no = 1, la = 0, lb = 0;
    for (; a && b; no++) {
        la = strcspn(a, ";");
        lb = strcspn(b, ";");
        if (la != lb || strncmp(a, b, la) != 0)
            break;
        a = next_list_item(a);
        b = next_list_item(b);
    }
    la = a ? strcspn(a, ";") : 0;
    lb = b ? strcspn(b, ";") : 0;
    snprintf(why, n, "--list item %zu was %s%.*s%s, now %s%.*s%s", no, a ? "'" : "", a ? (int)la : 9,
             a ? a : "not given", a ? "'" : "", b ? "'" : "", b ? (int)lb : 9, b ? b : "not given", b ? "'" : "");
}

/* Names the first item whose value differs between two definitions'
 * texts, into why (n bytes); 0 when they are the same. */
static int first_difference(const char *was, const char *now, char *why, size_t n)
{
    for (int pass = 0; pass < 2; pass++) {
        const char *text = pass ? was : now;
        for (const char *line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
            char name[64], a[LINE_MAX_LEN] = "", b[LINE_MAX_LEN] = "";
            if (line[0] == '#' || sscanf(line, "%63[^\t\n]", name) != 1)
                continue;
            int in_was = item(was, name, a, sizeof a), in_now = item(now, name, b, sizeof b);
            if (in_was == in_now && strcmp(a, b) == 0)
                continue;
            if (strcmp(name, "corpus-fingerprint") == 0)
                snprintf(why, n, "the corpus has changed since the sweep began (fingerprint %s, now %s)", a, b);
            else if (strcmp(name, "list") == 0 && in_was && in_now)
                list_difference(a, b, why, n);
            else
                snprintf(why, n, "--%s was %s%s%s, now %s%s%s", name, in_was ? "'" : "", in_was ? a : "not given",
                         in_was ? "'" : "", in_now ? "'" : "", in_now ? b : "not given", in_now ? "'" : "");
            return 1;
        }
    }
    return 0;
}

int sweep_def_compare(const char *was, const char *now, const char *dir, struct bg_error *err)
{
    char why[2400];
    if (!first_difference(was, now, why, sizeof why))
        return BG_OK;
    return bg_fail(err, BG_ERR_INPUT,
                   "%s holds a sweep with another definition: %.160s; continue it with the same flags (or "
                   "--resume alone), or pick a new --out", dir, why);
}

int sweep_def_load(struct bg_sweep_def *d, const char *dir, struct bg_error *err)
{
    char path[BG_PATH_MAX + 128];
    snprintf(path, sizeof path, "%s/sweep.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return bg_fail(err, BG_ERR_INPUT, "%s holds no sweep to resume (no sweep.txt); start one with its flags",
                       dir);
    sweep_def_init(d);
    char line[LINE_MAX_LEN];
    int rc = BG_OK;
    for (int no = 1; !rc && fgets(line, sizeof line, f); no++) {
        line[strcspn(line, "\n")] = '\0';
        char *tab = strchr(line, '\t');
        if (line[0] == '#' || !line[0])
            continue;
        if (!tab) {
            rc = bg_fail(err, BG_ERR_INPUT, "%s line %d: not 'name<TAB>value'", path, no);
            break;
        }
        *tab = '\0';
        struct bg_error e;
        if ((rc = sweep_def_set(d, line, tab + 1, &e)))
            bg_fail(err, rc, "%s line %d: %s", path, no, e.msg);
    }
    fclose(f);
    return rc;
}
