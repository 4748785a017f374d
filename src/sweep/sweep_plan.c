/* sweep_plan: the text a sweep is planned from (see sweep.h): a trial's
 * flags, --list, --grid and --space. Every value is checked by
 * settings_set, the reader `bytegpt train` uses, so a grid or a list
 * refuses what train refuses with the same words. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/parse.h"
#include "bytegpt/strbuf.h"
#include "bytegpt/sweep.h"
#include "sweep_plan.h"

/* ---- Words ---- */

/* The next whitespace-separated word of *p, copied into w (n bytes);
 * 0 at the end of the text. A word too long for w is cut, and *cut says
 * so, for the caller to refuse. */
static int next_word(const char **p, char *w, size_t n, int *cut)
{
    const char *s = *p;
    while (isspace((unsigned char)*s))
        s++;
    if (!*s)
        return 0;
    size_t len = 0;
    while (s[len] && !isspace((unsigned char)s[len]))
        len++;
    *cut = len >= n;
    if (len >= n)
        len = n - 1;
    memcpy(w, s, len);
    w[len] = '\0';
    while (*s && !isspace((unsigned char)*s))
        s++;
    *p = s;
    return 1;
}

/* The setting called name, or -1 with err filled. threads is refused:
 * the sweep splits the cores between its jobs itself. */
static int find_setting(const char *name, const char *what, struct bg_error *err)
{
    int i = settings_find(name);
    if (i < 0)
        bg_fail(err, BG_ERR_INPUT, "%s: unknown setting '%s'; any setting of bytegpt train can be swept (lr, dim, "
                "layers, ctx, batch, warmup, wd, ...)", what, name);
    else if (i == BG_SET_THREADS)
        bg_fail(err, BG_ERR_INPUT, "%s: threads cannot be swept: the sweep gives each trial its share of "
                "--threads (see --jobs)", what);
    return i == BG_SET_THREADS ? -1 : i;
}

/* ---- A trial's flags ---- */

int sweep_flags_put(struct bg_sweep_flags *f, const char *name, const char *value, const char *what,
                    struct bg_error *err)
{
    int i = find_setting(name, what, err);
    if (i < 0)
        return err->code;
    if (strlen(value) >= BG_SWEEP_VALUE_LEN)
        return bg_fail(err, BG_ERR_INPUT, "%s: the value of %s is too long: '%.40s...'", what, name, value);
    /* Checked as train would check it, on a scratch copy. */
    struct bg_settings probe;
    memset(&probe, 0, sizeof probe);
    int rc = settings_set(&probe, name, value, what, err);
    if (rc)
        return rc;
    size_t k = 0;
    while (k < f->n && f->c[k].setting != i)
        k++;
    if (k == f->n)
        f->n++;
    f->c[k].setting = i;
    snprintf(f->c[k].value, sizeof f->c[k].value, "%s", value);
    return BG_OK;
}

void sweep_flags_format(const struct bg_sweep_flags *f, char *buf, size_t n)
{
    struct bg_strbuf b = {0};
    for (size_t k = 0; k < f->n; k++)
        strbuf_printf(&b, "%s--%s %s", k ? " " : "", settings_name(f->c[k].setting), f->c[k].value);
    sweep_take_text(&b, buf, n);
}

/* Copies a built string into buf (n bytes) and frees it; "" when the
 * memory ran out. */
void sweep_take_text(struct bg_strbuf *b, char *buf, size_t n)
{
    char *t = strbuf_take(b);
    snprintf(buf, n, "%s", t ? t : "");
    free(t);
}

int sweep_flags_parse(const char *text, const char *what, struct bg_sweep_flags *f, struct bg_error *err)
{
    char word[256], value[256];
    const char *p = text;
    int cut = 0;
    memset(f, 0, sizeof *f);
    while (next_word(&p, word, sizeof word, &cut)) {
        if (cut || strncmp(word, "--", 2) != 0 || !word[2])
            return bg_fail(err, BG_ERR_INPUT, "%s '%.60s', which is not flags (like --lr 3e-3 --dim 128)", what,
                           word);
        char *eq = strchr(word, '=');
        if (eq) {
            *eq = '\0';
            snprintf(value, sizeof value, "%s", eq + 1);
        } else if (!next_word(&p, value, sizeof value, &cut)) {
            return bg_fail(err, BG_ERR_INPUT, "%s %s without a value", what, word);
        }
        int rc = sweep_flags_put(f, word + 2, value, what, err);
        if (rc)
            return rc;
    }
    return BG_OK;
}

int sweep_flags_apply(const struct bg_sweep_flags *f, struct bg_settings *s, struct bg_error *err)
{
    for (size_t k = 0; k < f->n; k++) {
        int rc = settings_set(s, settings_name(f->c[k].setting), f->c[k].value, "sweep", err);
        if (rc)
            return rc;
    }
    return BG_OK;
}

/* ---- Lists ---- */

/* Item number no (from 1) of a list, the len bytes at start, into f.
 * Every message starts "sweep --list item N", so that the user finds the
 * item among dozens. */
static int parse_item(const char *start, size_t len, size_t no, struct bg_sweep_flags *f, struct bg_error *err)
{
    char what[48], text[BG_SWEEP_FLAGS_LEN];
    snprintf(what, sizeof what, "sweep --list item %zu", no);
    char *item = malloc(len + 1);
    if (!item)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    memcpy(item, start, len);
    item[len] = '\0';
    int rc = sweep_flags_parse(item, what, f, err);
    free(item);
    if (rc)
        return rc;
    if (f->n == 0)
        return bg_fail(err, BG_ERR_INPUT, "%s is empty; give each trial its flags, like '--dim 64; --dim 96'", what);
    /* A trial's flags are a column of results.tsv, of a bounded width. */
    sweep_flags_format(f, text, sizeof text);
    if (strlen(text) + 1 >= sizeof text)
        return bg_fail(err, BG_ERR_INPUT, "%s is too long: its flags take more than %d bytes", what,
                       BG_SWEEP_FLAGS_LEN - 2);
    return BG_OK;
}

/* The item after *p (which is then moved past its ';'): its start and
 * length; 0 after the last. */
static int next_item(const char **p, const char **start, size_t *len)
{
    if (!*p)
        return 0;
    const char *semi = strchr(*p, ';');
    *start = *p;
    *len = semi ? (size_t)(semi - *p) : strlen(*p);
    *p = semi ? semi + 1 : NULL;
    return 1;
}

int sweep_parse_list(const char *text, char *canon, size_t n, size_t *items, struct bg_error *err)
{
    struct bg_strbuf b = {0};
    const char *p = text, *start;
    size_t len, no = 0;
    int rc = BG_OK;
    while (!rc && next_item(&p, &start, &len)) {
        struct bg_sweep_flags f;
        char one[BG_SWEEP_FLAGS_LEN];
        if (++no > BG_SWEEP_MAX_TRIALS)
            rc = bg_fail(err, BG_ERR_INPUT, "sweep --list has more than %d items", BG_SWEEP_MAX_TRIALS);
        if (!rc)
            rc = parse_item(start, len, no, &f, err);
        if (rc)
            break;
        sweep_flags_format(&f, one, sizeof one);
        strbuf_printf(&b, "%s%s", no > 1 ? "; " : "", one);
        if (b.len >= n)
            rc = bg_fail(err, BG_ERR_INPUT, "sweep --list is too long: item %zu goes past %zu bytes", no, n - 1);
    }
    char *t = strbuf_take(&b);
    if (!rc && !t)
        rc = bg_fail(err, BG_ERR_RUNTIME, "out of memory");
    if (!rc) {
        memcpy(canon, t, strlen(t) + 1);
        *items = no;
    }
    free(t);
    return rc;
}

int sweep_list_item(const char *list, size_t i, struct bg_sweep_flags *f, struct bg_error *err)
{
    const char *p = list, *start;
    size_t len;
    for (size_t no = 0; next_item(&p, &start, &len); no++)
        if (no == i)
            return parse_item(start, len, no + 1, f, err);
    return bg_fail(err, BG_ERR_INPUT, "sweep --list has no item %zu", i + 1);
}

/* ---- Grids and spaces ---- */

/* name=a,b,c into a list axis. */
static int parse_list(struct bg_sweep_axis *a, const char *name, const char *list, const char *what,
                      struct bg_error *err)
{
    a->kind = BG_SWEEP_LIST;
    a->n = 0;
    for (const char *v = list;;) {
        const char *end = strchr(v, ',');
        size_t len = end ? (size_t)(end - v) : strlen(v);
        if (len == 0)
            return bg_fail(err, BG_ERR_INPUT, "%s: %s has an empty value in '%s'", what, name, list);
        if (a->n == BG_SWEEP_MAX_VALUES)
            return bg_fail(err, BG_ERR_INPUT, "%s: %s has more than %d values", what, name, BG_SWEEP_MAX_VALUES);
        if (len >= BG_SWEEP_VALUE_LEN)
            return bg_fail(err, BG_ERR_INPUT, "%s: a value of %s is too long: '%.40s...'", what, name, v);
        memcpy(a->values[a->n], v, len);
        a->values[a->n][len] = '\0';
        struct bg_sweep_flags probe = {.n = 0};
        int rc = sweep_flags_put(&probe, name, a->values[a->n], what, err);
        if (rc)
            return rc;
        a->n++;
        if (!end)
            return BG_OK;
        v = end + 1;
    }
}

/* name=lo..hi or lo..hi:log into a range axis. Bounds are plain numbers,
 * each a value train accepts for the setting. */
static int parse_range(struct bg_sweep_axis *a, const char *name, const char *text, const char *what,
                       struct bg_error *err)
{
    char lo[BG_SWEEP_VALUE_LEN], hi[BG_SWEEP_VALUE_LEN];
    const char *dots = strstr(text, ".."), *colon = strchr(dots + 2, ':');
    size_t nl = (size_t)(dots - text), nh = colon ? (size_t)(colon - dots - 2) : strlen(dots + 2);
    if (nl >= sizeof lo || nh >= sizeof hi)
        return bg_fail(err, BG_ERR_INPUT, "%s: the range of %s is too long: '%.40s'", what, name, text);
    memcpy(lo, text, nl);
    lo[nl] = '\0';
    memcpy(hi, dots + 2, nh);
    hi[nh] = '\0';
    if (colon && strcmp(colon, ":log") != 0)
        return bg_fail(err, BG_ERR_INPUT, "%s: %s=%s ends in '%s'; a range may end in :log, nothing else", what,
                       name, text, colon);
    if (parse_finite(lo, &a->lo) || parse_finite(hi, &a->hi))
        return bg_fail(err, BG_ERR_INPUT, "%s: %s=%s is not a range of two numbers lo..hi", what, name, text);
    struct bg_sweep_flags probe = {.n = 0};
    int rc = sweep_flags_put(&probe, name, lo, what, err);
    if (!rc)
        rc = sweep_flags_put(&probe, name, hi, what, err);
    if (rc)
        return rc;
    if (a->lo > a->hi)
        return bg_fail(err, BG_ERR_INPUT, "%s: %s=%s goes from high to low; write it as %s..%s", what, name, text,
                       hi, lo);
    a->kind = colon ? BG_SWEEP_LOG_RANGE : BG_SWEEP_RANGE;
    if (a->kind == BG_SWEEP_LOG_RANGE && a->lo <= 0)
        return bg_fail(err, BG_ERR_INPUT, "%s: %s=%s is on a log scale, so both bounds must be above 0", what,
                       name, text);
    if (settings_whole(a->setting) && a->hi > 9007199254740992.0)
        return bg_fail(err, BG_ERR_INPUT, "%s: %s=%s goes above 2^53, past the whole numbers a draw can hit", what,
                       name, text);
    memcpy(a->lo_text, lo, sizeof lo);
    memcpy(a->hi_text, hi, sizeof hi);
    return BG_OK;
}

/* One word name=... of a grid or space. */
static int parse_axis(struct bg_sweep_space *s, char *word, int ranges, const char *what, struct bg_error *err)
{
    char *eq = strchr(word, '=');
    if (!eq)
        return bg_fail(err, BG_ERR_INPUT, "%s: '%s' has no values; write name=value,value (like lr=1e-3,3e-3)",
                       what, word);
    *eq = '\0';
    const char *name = word, *values = eq + 1;
    int i = find_setting(name, what, err);
    if (i < 0)
        return err->code;
    for (size_t k = 0; k < s->n; k++)
        if (s->axis[k].setting == i)
            return bg_fail(err, BG_ERR_INPUT, "%s names %s twice", what, name);
    if (!*values)
        return bg_fail(err, BG_ERR_INPUT, "%s: %s= has no values", what, name);
    struct bg_sweep_axis *a = &s->axis[s->n];
    memset(a, 0, sizeof *a);
    a->setting = i;
    int rc = ranges && strstr(values, "..") ? parse_range(a, name, values, what, err)
                                            : parse_list(a, name, values, what, err);
    if (!rc)
        s->n++;
    return rc;
}

static int parse_space(const char *text, struct bg_sweep_space *s, int ranges, const char *what,
                       struct bg_error *err)
{
    char word[4096];
    int cut = 0;
    memset(s, 0, sizeof *s);
    for (const char *p = text; next_word(&p, word, sizeof word, &cut);) {
        if (cut)
            return bg_fail(err, BG_ERR_INPUT, "%s: '%.40s...' is too long", what, word);
        int rc = parse_axis(s, word, ranges, what, err);
        if (rc)
            return rc;
    }
    if (s->n == 0)
        return bg_fail(err, BG_ERR_INPUT, "%s is empty; give settings like 'lr=1e-3,3e-3 dim=64,128'", what);
    return BG_OK;
}

int sweep_parse_grid(const char *text, struct bg_sweep_space *g, struct bg_error *err)
{
    int rc = parse_space(text, g, 0, "sweep --grid", err);
    if (!rc && sweep_grid_size(g) > BG_SWEEP_MAX_TRIALS)
        return bg_fail(err, BG_ERR_INPUT, "sweep --grid has more than %d combinations", BG_SWEEP_MAX_TRIALS);
    return rc;
}

int sweep_parse_space(const char *text, struct bg_sweep_space *s, struct bg_error *err)
{
    return parse_space(text, s, 1, "sweep --space", err);
}

size_t sweep_grid_size(const struct bg_sweep_space *g)
{
    size_t n = 1;
    for (size_t k = 0; k < g->n; k++)
        n = n > (size_t)BG_SWEEP_MAX_TRIALS ? n : n * g->axis[k].n; /* stops growing past the limit */
    return n;
}

int sweep_grid_point(const struct bg_sweep_space *g, size_t i, struct bg_sweep_flags *f, struct bg_error *err)
{
    size_t pick[BG_N_SETTINGS];
    for (size_t k = g->n; k-- > 0;) {
        pick[k] = i % g->axis[k].n;
        i /= g->axis[k].n;
    }
    for (size_t k = 0; k < g->n; k++) {
        const struct bg_sweep_axis *a = &g->axis[k];
        int rc = sweep_flags_put(f, settings_name(a->setting), a->values[pick[k]], "sweep --grid", err);
        if (rc)
            return rc;
    }
    return BG_OK;
}

int sweep_space_draw(const struct bg_sweep_space *s, struct bg_rng *rng, struct bg_sweep_flags *f,
                     struct bg_error *err)
{
    for (size_t k = 0; k < s->n; k++) {
        const struct bg_sweep_axis *a = &s->axis[k];
        char v[BG_SWEEP_VALUE_LEN];
        if (a->kind == BG_SWEEP_LIST) {
            snprintf(v, sizeof v, "%s", a->values[rng_range(rng, a->n)]);
        } else {
            double u = rng_uniform(rng), x;
            if (a->kind == BG_SWEEP_LOG_RANGE)
                x = exp(log(a->lo) + u * (log(a->hi) - log(a->lo)));
            else
                x = a->lo + u * (a->hi - a->lo);
            if (settings_whole(a->setting))
                snprintf(v, sizeof v, "%.0f", round(x));
            else
                snprintf(v, sizeof v, "%.4g", x);
        }
        int rc = sweep_flags_put(f, settings_name(a->setting), v, "sweep --space", err);
        if (rc)
            return rc;
    }
    return BG_OK;
}

void sweep_space_format(const struct bg_sweep_space *s, char *buf, size_t n)
{
    struct bg_strbuf b = {0};
    for (size_t k = 0; k < s->n; k++) {
        const struct bg_sweep_axis *a = &s->axis[k];
        strbuf_printf(&b, "%s%s=", k ? " " : "", settings_name(a->setting));
        if (a->kind != BG_SWEEP_LIST)
            strbuf_printf(&b, "%s..%s%s", a->lo_text, a->hi_text, a->kind == BG_SWEEP_LOG_RANGE ? ":log" : "");
        for (size_t v = 0; a->kind == BG_SWEEP_LIST && v < a->n; v++)
            strbuf_printf(&b, "%s%s", v ? "," : "", a->values[v]);
    }
    sweep_take_text(&b, buf, n);
}
