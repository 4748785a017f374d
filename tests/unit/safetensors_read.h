/* safetensors_read.h: what test_export.c reads an exported file back with,
 * header-only (static, included by that one test): the whole file, and a
 * small JSON reader for the safetensors header, independent of
 * src/io/export.c's writer. Include it after test.h. */
#ifndef BYTEGPT_SAFETENSORS_READ_H
#define BYTEGPT_SAFETENSORS_READ_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- Reading a file back ---- */

static unsigned char *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* ---- A small JSON reader for the header ----
 *
 * Enough JSON for a safetensors header: objects, arrays, strings without
 * escapes, non-negative integers. It fails (returns 0) on anything else,
 * which for this test is itself an error worth reporting. */

struct json {
    const char *p, *end;
};

static void ws(struct json *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r'))
        j->p++;
}

static int eat(struct json *j, char c)
{
    ws(j);
    if (j->p < j->end && *j->p == c) {
        j->p++;
        return 1;
    }
    return 0;
}

static int string(struct json *j, char *out, size_t n)
{
    if (!eat(j, '"'))
        return 0;
    size_t k = 0;
    while (j->p < j->end && *j->p != '"') {
        if (*j->p == '\\' || k + 1 >= n)
            return 0;
        out[k++] = *j->p++;
    }
    out[k] = '\0';
    return eat(j, '"');
}

static int number(struct json *j, unsigned long long *v)
{
    ws(j);
    if (j->p >= j->end || *j->p < '0' || *j->p > '9')
        return 0;
    *v = 0;
    while (j->p < j->end && *j->p >= '0' && *j->p <= '9')
        *v = *v * 10 + (unsigned long long)(*j->p++ - '0');
    return 1;
}

/* [a, b, ...] of at most max integers. */
static int int_array(struct json *j, unsigned long long *v, int max, int *n)
{
    *n = 0;
    if (!eat(j, '['))
        return 0;
    if (eat(j, ']'))
        return 1;
    do {
        if (*n >= max || !number(j, &v[*n]))
            return 0;
        (*n)++;
    } while (eat(j, ','));
    return eat(j, ']');
}

struct st_tensor {
    char name[96], dtype[16];
    unsigned long long shape[4], begin, end;
    int ndim, n_offsets;
};

#define MAX_TENSORS 64
#define MAX_META 24

struct st_file {
    struct st_tensor t[MAX_TENSORS];
    int n;
    char meta_key[MAX_META][32], meta_val[MAX_META][32];
    int n_meta;
};

/* {"dtype": "F32", "shape": [...], "data_offsets": [b, e]} */
static int tensor_info(struct json *j, struct st_tensor *t)
{
    int seen = 0;
    if (!eat(j, '{'))
        return 0;
    do {
        char key[32];
        unsigned long long off[4];
        if (!string(j, key, sizeof key) || !eat(j, ':'))
            return 0;
        if (strcmp(key, "dtype") == 0 && string(j, t->dtype, sizeof t->dtype))
            seen |= 1;
        else if (strcmp(key, "shape") == 0 && int_array(j, t->shape, 4, &t->ndim))
            seen |= 2;
        else if (strcmp(key, "data_offsets") == 0 && int_array(j, off, 4, &t->n_offsets) && t->n_offsets == 2) {
            t->begin = off[0];
            t->end = off[1];
            seen |= 4;
        } else
            return 0;
    } while (eat(j, ','));
    return eat(j, '}') && seen == 7;
}

static int parse_header(const char *text, size_t len, struct st_file *f)
{
    struct json j = {text, text + len};
    memset(f, 0, sizeof *f);
    if (!eat(&j, '{'))
        return 0;
    do {
        char key[96];
        if (!string(&j, key, sizeof key) || !eat(&j, ':'))
            return 0;
        if (strcmp(key, "__metadata__") == 0) {
            if (!eat(&j, '{'))
                return 0;
            do {
                if (f->n_meta >= MAX_META || !string(&j, f->meta_key[f->n_meta], 32) || !eat(&j, ':') ||
                    !string(&j, f->meta_val[f->n_meta], 32))
                    return 0;
                f->n_meta++;
            } while (eat(&j, ','));
            if (!eat(&j, '}'))
                return 0;
        } else {
            if (f->n >= MAX_TENSORS)
                return 0;
            snprintf(f->t[f->n].name, sizeof f->t[f->n].name, "%s", key);
            if (!tensor_info(&j, &f->t[f->n]))
                return 0;
            f->n++;
        }
    } while (eat(&j, ','));
    if (!eat(&j, '}'))
        return 0;
    /* Only spaces may follow the object: the padding. */
    for (; j.p < j.end; j.p++)
        if (*j.p != ' ')
            return 0;
    return 1;
}

static const char *meta(const struct st_file *f, const char *key)
{
    for (int i = 0; i < f->n_meta; i++)
        if (strcmp(f->meta_key[i], key) == 0)
            return f->meta_val[i];
    return NULL;
}

#endif
