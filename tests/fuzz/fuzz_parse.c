/* fuzz_parse: the readers of typed numbers (parse.h) behind every flag,
 * setting and grid value.
 *
 * Input: the text itself (up to its first NUL, as a C string would be).
 * Beyond "no crash, no undefined behaviour", each parser's promise:
 *   - parse_u64 accepts only digits, and its value prints back as the
 *     text without leading zeros;
 *   - parse_finite stores only finite numbers;
 *   - parse_duration stores only positive finite seconds, and a text
 *     without a unit means the same seconds as parse_finite reads;
 *   - a parser that refuses stores nothing. */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytegpt/parse.h"
#include "fuzz.h"

static void check_u64(const char *text)
{
    uint64_t v = 12345;
    if (parse_u64(text, &v) != BG_OK) {
        FUZZ_CHECK(v == 12345);
        return;
    }
    for (const char *p = text; *p; p++)
        FUZZ_CHECK(isdigit((unsigned char)*p));
    const char *digits = text;
    while (digits[0] == '0' && digits[1] != '\0')
        digits++;
    char back[32];
    snprintf(back, sizeof back, "%" PRIu64, v);
    FUZZ_CHECK(strcmp(back, digits) == 0);
}

static void check_numbers(const char *text)
{
    double x = -7.0, s = -7.0;
    int finite = parse_finite(text, &x) == BG_OK;
    FUZZ_CHECK(finite ? isfinite(x) : x == -7.0);
    int duration = parse_duration(text, &s) == BG_OK;
    FUZZ_CHECK(duration ? isfinite(s) && s > 0 : s == -7.0);
    /* A bare number is seconds: both readers agree on it. */
    if (finite && x > 0)
        FUZZ_CHECK(duration && s == x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    check_u64(text);
    check_numbers(text);
    free(text);
    return 0;
}
