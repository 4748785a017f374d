/* fuzz_sweep_grid: the parsers of a sweep's --grid, --space and --list,
 * and of a trial's flags (what a --propose command prints).
 *
 * Input: the text itself (up to its first NUL, as a C string would be),
 * given to all four readers. Beyond "no crash, no undefined behaviour":
 *   - a refusal has a message that starts with what was being read;
 *   - a grid that is read has between 1 and BG_SWEEP_MAX_TRIALS
 *     combinations, each of which (the first, the last, one between)
 *     becomes flags that settings_set accepts and that read back through
 *     sweep_flags_parse as the same flags; written back with
 *     sweep_space_format it reads again to the same text;
 *   - a space that is read gives draws inside its ranges (up to the four
 *     figures a drawn fraction is written with), and writes back the same
 *     way;
 *   - flags that are read write back to text that reads to the same flags;
 *   - a list that is read has items that read as flags one by one, and
 *     its canonical text reads again to itself. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/sweep.h"
#include "fuzz.h"

static struct bg_sweep_space space, again; /* large: not on the stack */

static int starts(const struct bg_error *err, const char *what)
{
    return err->msg[0] && strncmp(err->msg, what, strlen(what)) == 0;
}

/* Flags written out read back the same. */
static void check_flags_round_trip(const struct bg_sweep_flags *f)
{
    char text[1024];
    struct bg_sweep_flags back;
    struct bg_error err;
    sweep_flags_format(f, text, sizeof text);
    FUZZ_CHECK(sweep_flags_parse(text, "fuzz", &back, &err) == BG_OK);
    FUZZ_CHECK(back.n == f->n);
    for (size_t k = 0; k < f->n; k++)
        FUZZ_CHECK(back.c[k].setting == f->c[k].setting && strcmp(back.c[k].value, f->c[k].value) == 0);
}

/* A space written out reads back to the same text. */
static void check_format_round_trip(const struct bg_sweep_space *s, int grid)
{
    static char text[8192], text2[8192];
    struct bg_error err;
    sweep_space_format(s, text, sizeof text);
    int rc = grid ? sweep_parse_grid(text, &again, &err) : sweep_parse_space(text, &again, &err);
    FUZZ_CHECK(rc == BG_OK);
    sweep_space_format(&again, text2, sizeof text2);
    FUZZ_CHECK(strcmp(text, text2) == 0);
}

static void check_grid(const char *text)
{
    struct bg_error err = {0};
    if (sweep_parse_grid(text, &space, &err) != BG_OK) {
        FUZZ_CHECK(starts(&err, "sweep --grid"));
        return;
    }
    size_t n = sweep_grid_size(&space);
    FUZZ_CHECK(space.n >= 1 && n >= 1 && n <= BG_SWEEP_MAX_TRIALS);
    size_t points[3] = {0, n / 2, n - 1};
    for (int i = 0; i < 3; i++) {
        struct bg_sweep_flags f = {.n = 0};
        FUZZ_CHECK(sweep_grid_point(&space, points[i], &f, &err) == BG_OK);
        FUZZ_CHECK(f.n == space.n);
        check_flags_round_trip(&f);
    }
    check_format_round_trip(&space, 1);
}

static void check_space(const char *text)
{
    struct bg_error err = {0};
    if (sweep_parse_space(text, &space, &err) != BG_OK) {
        FUZZ_CHECK(starts(&err, "sweep --space"));
        return;
    }
    struct bg_rng rng;
    rng_seed(&rng, 1, 1);
    for (int d = 0; d < 4; d++) {
        struct bg_sweep_flags f = {.n = 0};
        FUZZ_CHECK(sweep_space_draw(&space, &rng, &f, &err) == BG_OK);
        FUZZ_CHECK(f.n == space.n);
        for (size_t k = 0; k < space.n; k++) {
            const struct bg_sweep_axis *a = &space.axis[k];
            if (a->kind == BG_SWEEP_LIST)
                continue;
            double x = strtod(f.c[k].value, NULL), slack = 1e-3 * fmax(fabs(a->lo), fabs(a->hi));
            FUZZ_CHECK(x >= a->lo - slack && x <= a->hi + slack);
        }
        check_flags_round_trip(&f);
    }
    check_format_round_trip(&space, 0);
}

static void check_flags(const char *text)
{
    struct bg_sweep_flags f;
    struct bg_error err = {0};
    if (sweep_flags_parse(text, "fuzz", &f, &err) != BG_OK) {
        FUZZ_CHECK(starts(&err, "fuzz"));
        return;
    }
    check_flags_round_trip(&f);
}

static void check_list(const char *text)
{
    static char canon[BG_SWEEP_LIST_LEN], again_text[BG_SWEEP_LIST_LEN];
    struct bg_error err = {0};
    size_t n = 0, m = 0;
    if (sweep_parse_list(text, canon, sizeof canon, &n, &err) != BG_OK) {
        FUZZ_CHECK(starts(&err, "sweep --list"));
        return;
    }
    FUZZ_CHECK(n >= 1 && n <= BG_SWEEP_MAX_TRIALS);
    size_t items[3] = {0, n / 2, n - 1};
    for (int i = 0; i < 3; i++) {
        struct bg_sweep_flags f;
        FUZZ_CHECK(sweep_list_item(canon, items[i], &f, &err) == BG_OK && f.n >= 1);
        check_flags_round_trip(&f);
    }
    FUZZ_CHECK(sweep_list_item(canon, n, &(struct bg_sweep_flags){.n = 0}, &err) == BG_ERR_INPUT);
    FUZZ_CHECK(sweep_parse_list(canon, again_text, sizeof again_text, &m, &err) == BG_OK);
    FUZZ_CHECK(m == n && strcmp(canon, again_text) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    check_grid(text);
    check_space(text);
    check_flags(text);
    check_list(text);
    free(text);
    return 0;
}
