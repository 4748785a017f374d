/* Tests for corpus: the split, the NUL joins, batches that never touch
 * validation, streaming through a corpus many times the buffer, exact
 * restarts, and a clear refusal of every kind of bad input.
 *
 * Every corpus is generated here, in a fresh folder under /tmp. Most are
 * made of 8-byte records "SSRRRRR\n" (a two-digit shard id, a five-digit
 * record number, a newline), so any window of 17 bytes or more contains a
 * whole record that says exactly where in the corpus the window is; the
 * tests use that to check that every window is real, consecutive corpus
 * text. Validation text is the letter 'V' repeated, which no record holds,
 * so one 'V' in a training batch is a leak. */
#include "bytegpt/corpus.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "test.h"

#define REC 8
#define MAX_SHARDS 40

static char tmp_root[64];

/* ---- Files ---- */

static const char *path_of(char *buf, const char *name)
{
    snprintf(buf, 512, "%s/%s", tmp_root, name);
    return buf;
}

static void write_plain(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK(fwrite(data, 1, n, f) == n);
    fclose(f);
}

static void write_gz(const char *path, const void *data, size_t n)
{
    gzFile gz = gzopen(path, "wb");
    CHECK(gz != NULL);
    if (!gz)
        return;
    CHECK(n == 0 || gzwrite(gz, data, (unsigned)n) == (int)n);
    CHECK(gzclose(gz) == Z_OK);
}

/* Writes gzip when the name ends in ".gz", plain text otherwise. */
static void write_file(const char *path, const void *data, size_t n)
{
    size_t len = strlen(path);
    if (len > 3 && strcmp(path + len - 3, ".gz") == 0)
        write_gz(path, data, n);
    else
        write_plain(path, data, n);
}

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static void rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        for (struct dirent *e; d && (e = readdir(d)) != NULL;) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rm_tree(sub);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* ---- Generated text ---- */

/* The text of shard id: n records "SSRRRRR\n". */
static char *record_text(unsigned id, size_t n)
{
    char *t = malloc(n * REC + 1);
    for (size_t r = 0; r < n; r++)
        snprintf(t + r * REC, REC + 1, "%02u%05u\n", id, (unsigned)r);
    return t;
}

/* Random lowercase words and newlines: text that compresses like text. */
static char *word_text(size_t n, uint64_t seed)
{
    struct bg_rng g;
    rng_seed(&g, seed, 7);
    char *t = malloc(n);
    for (size_t i = 0; i < n; i++) {
        uint32_t x = rng_u32(&g) % 32;
        t[i] = x < 26 ? (char)('a' + x) : x < 31 ? ' ' : '\n';
    }
    return t;
}

/* ---- Checking windows against the generated corpus ---- */

/* The training documents a window may come from, by shard id. */
struct docs {
    const char *text[MAX_SHARDS];
    size_t len[MAX_SHARDS];
    int seen[MAX_SHARDS];
};

/* The record at w (REC bytes) gives its shard id and offset in that
 * shard, or returns 0 when w is not a record. */
static int parse_record(const uint8_t *w, unsigned *id, size_t *off)
{
    for (int i = 0; i < REC - 1; i++)
        if (w[i] < '0' || w[i] > '9')
            return 0;
    if (w[REC - 1] != '\n')
        return 0;
    *id = (unsigned)((w[0] - '0') * 10 + (w[1] - '0'));
    *off = (size_t)atoi((const char[6]){ (char)w[2], (char)w[3], (char)w[4], (char)w[5],
                                         (char)w[6], 0 }) * REC;
    return 1;
}

/* The first whole record in w (n bytes): its index s in w, its shard and
 * offset. Only an aligned record has seven digits then a newline, so the
 * first match is a real record. */
static int find_record(const uint8_t *w, size_t n, size_t *s, unsigned *id, size_t *off)
{
    for (*s = 0; *s + REC <= n; (*s)++)
        if (parse_record(w + *s, id, off))
            return 1;
    return 0;
}

/* A window without NUL: it must be the text of one document from the
 * offset its first whole record implies. */
static int run_inside(struct docs *d, const uint8_t *w, size_t n)
{
    unsigned id;
    size_t s, off;
    if (!find_record(w, n, &s, &id, &off))
        return 0;
    if (id >= MAX_SHARDS || !d->text[id] || off < s)
        return 0;
    size_t start = off - s;
    if (start + n > d->len[id] || memcmp(d->text[id] + start, w, n) != 0)
        return 0;
    d->seen[id] = 1;
    return 1;
}

static int run_is_suffix(struct docs *d, const uint8_t *w, size_t n)
{
    for (int i = 0; i < MAX_SHARDS; i++)
        if (d->text[i] && n <= d->len[i] && memcmp(d->text[i] + d->len[i] - n, w, n) == 0)
            return 1;
    return 0;
}

static int run_is_prefix(struct docs *d, const uint8_t *w, size_t n)
{
    for (int i = 0; i < MAX_SHARDS; i++)
        if (d->text[i] && n <= d->len[i] && memcmp(d->text[i], w, n) == 0)
            return 1;
    return 0;
}

static int run_is_whole(struct docs *d, const uint8_t *w, size_t n)
{
    for (int i = 0; i < MAX_SHARDS; i++)
        if (d->text[i] && n == d->len[i] && memcmp(d->text[i], w, n) == 0)
            return d->seen[i] = 1;
    return 0;
}

/* A window is consecutive bytes of the training stream: its NUL-separated
 * runs are the end of a document, whole documents, and the start of one. */
static int window_is_real(struct docs *d, const uint8_t *w, size_t n)
{
    size_t a = 0;
    while (a <= n) {
        size_t b = a;
        while (b < n && w[b] != 0)
            b++;
        int first = a == 0, last = b == n, ok;
        if (first && last)
            ok = run_inside(d, w, n);
        else if (first)
            ok = run_is_suffix(d, w, b);
        else if (last)
            ok = run_is_prefix(d, w + a, b - a);
        else
            ok = b > a && run_is_whole(d, w + a, b - a);
        if (!ok)
            return 0;
        a = b + 1;
    }
    return 1;
}

/* The window b of a batch, T+1 bytes: inputs then the last target. */
static void window_of(uint8_t *w, const uint8_t *in, const uint8_t *tg, size_t b, size_t T)
{
    memcpy(w, in + b * T, T);
    w[T] = tg[b * T + T - 1];
}

static int has_byte(const uint8_t *p, size_t n, uint8_t x)
{
    return memchr(p, x, n) != NULL;
}

/* ---- Opening ---- */

static int open_with(struct bg_corpus **c, const char *path, size_t ctx, size_t buffer,
                     uint64_t seed, struct bg_error *err)
{
    struct bg_corpus_options opt = { .ctx = ctx, .buffer_bytes = buffer, .seed = seed };
    bg_error_clear(err);
    return corpus_open(c, path, &opt, err);
}

static struct bg_corpus *open_ok(const char *path, size_t ctx, size_t buffer, uint64_t seed)
{
    struct bg_corpus *c = NULL;
    struct bg_error err;
    int rc = open_with(&c, path, ctx, buffer, seed, &err);
    if (rc)
        printf("  unexpected error: %s\n", err.msg);
    CHECK(rc == BG_OK && c != NULL);
    return c;
}

/* Draws n_batches batches of (B, T) into one array, n_batches*B*2*T bytes:
 * inputs and targets of each batch in turn. */
static uint8_t *draw(struct bg_corpus *c, size_t n_batches, size_t B, size_t T)
{
    uint8_t *all = malloc(n_batches * B * 2 * T);
    struct bg_error err;
    int rc = BG_OK;
    for (size_t i = 0; i < n_batches && rc == BG_OK; i++) {
        uint8_t *in = all + i * B * 2 * T;
        rc = corpus_next_batch(c, in, in + B * T, B, T, &err);
        if (rc)
            printf("  %s\n", err.msg);
    }
    CHECK(rc == BG_OK);
    return all;
}

/* ---- Tests ---- */

/* gzread reads plain files as they are, so a gzip copy of a text must give
 * the very same corpus: sizes, training batches (in memory and streamed,
 * where the gzip copy is reopened and skipped into by gzseek) and
 * validation batches. */
static void test_gzip_and_plain_agree(void)
{
    char p1[512], p2[512];
    size_t n = 60000;
    char *text = word_text(n, 1);
    write_plain(path_of(p1, "book.txt"), text, n);
    write_gz(path_of(p2, "book.txt.gz"), text, n);
    size_t buffers[2] = { 0, 4096 };
    for (int k = 0; k < 2; k++) {
        struct bg_corpus *a = open_ok(p1, 32, buffers[k], 42), *b = open_ok(p2, 32, buffers[k], 42);
        if (!a || !b)
            return;
        struct bg_corpus_info ia, ib;
        corpus_get_info(a, &ia);
        corpus_get_info(b, &ib);
        CHECK(ia.total_bytes == n && ib.total_bytes == n);
        CHECK(ia.train_bytes == ib.train_bytes && ia.val_bytes == ib.val_bytes);
        CHECK(ia.compressed_bytes == n && ib.compressed_bytes < n * 3 / 4);
        CHECK(ib.compressed_bytes == (uint64_t)file_size(p2));
        uint8_t *ba = draw(a, 300, 8, 32), *bb = draw(b, 300, 8, 32);
        CHECK(memcmp(ba, bb, 300 * 8 * 2 * 32) == 0);
        uint8_t va[2][4 * 32], vb[2][4 * 32];
        corpus_val_batch(a, va[0], va[1], 1, 3, 4, 32);
        corpus_val_batch(b, vb[0], vb[1], 1, 3, 4, 32);
        CHECK(memcmp(va, vb, sizeof va) == 0);
        free(ba);
        free(bb);
        corpus_close(a);
        corpus_close(b);
    }
    free(text);
}

/* A single file of N bytes trains on the first N - floor(N/10) bytes and
 * validates on the rest; the whole validation part comes back in one
 * window when the window is as long as it is. */
static void test_single_file_split(void)
{
    char p[512];
    size_t n = 1009; /* train 909, validation 100 */
    char *text = word_text(n, 2);
    write_plain(path_of(p, "split.txt"), text, n);
    struct bg_corpus *c = open_ok(p, 99, 0, 1);
    if (!c)
        return;
    struct bg_corpus_info info;
    corpus_get_info(c, &info);
    CHECK(!info.is_folder && info.n_shards == 1);
    CHECK(info.train_bytes == 909 && info.val_bytes == 100 && info.val_kept_bytes == 100);
    CHECK(info.buffer_bytes == 909);
    uint8_t in[99], tg[99];
    corpus_val_batch(c, in, tg, 0, 1, 1, 99);
    CHECK(memcmp(in, text + 909, 99) == 0 && tg[98] == (uint8_t)text[1008]);
    /* corpus_val_text hands out exactly the held-out last 100 bytes. */
    size_t val_n = 0;
    const uint8_t *val = corpus_val_text(c, &val_n);
    CHECK(val_n == 100 && memcmp(val, text + 909, 100) == 0);
    /* Every training window lies in the first 909 bytes. */
    int inside = 1;
    for (int i = 0; i < 500; i++) {
        struct bg_error err;
        inside &= corpus_next_batch(c, in, tg, 1, 99, &err) == BG_OK;
        int found = 0;
        for (size_t s = 0; s + 100 <= 909 && !found; s++)
            found = memcmp(text + s, in, 99) == 0 && (uint8_t)text[s + 99] == tg[98];
        inside &= found;
    }
    CHECK(inside);
    corpus_close(c);
    free(text);
}

/* Writes n shards "shard_II.txt[.gz]" of records (or 'V' for validation
 * shards), newest name first so that the folder's listing order is not
 * already sorted, and fills d with the training ones. Returns the texts. */
static void make_shards(const char *folder, size_t n, size_t records_base, size_t records_step,
                        struct docs *d, char **texts, size_t *lens)
{
    mkdir(folder, 0755);
    memset(d, 0, sizeof *d);
    for (size_t k = n; k-- > 0;) {
        size_t recs = records_base + records_step * k;
        int val = n >= 10 ? k % 10 == 9 : k == n - 1;
        texts[k] = record_text((unsigned)k, recs);
        lens[k] = recs * REC;
        if (val)
            memset(texts[k], 'V', lens[k]);
        else {
            d->text[k] = texts[k];
            d->len[k] = lens[k];
        }
        char p[512];
        snprintf(p, sizeof p, "%s/shard_%02zu.txt%s", folder, k, k % 3 == 1 ? ".gz" : "");
        write_file(p, texts[k], lens[k]);
    }
}

static void free_texts(char **texts, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(texts[i]);
}

/* Shards are joined with NUL in name order: shards 9 and 19 of 21 are the
 * validation stream "shard 9, NUL, shard 19", and the training buffer is
 * the other 19 in order, so a long window starting in shard k continues
 * into shard k+1 (skipping 9 and 19). Dotfiles and subfolders are not
 * shards. */
static void test_folder_order_and_split(void)
{
    char folder[512], p[512];
    path_of(folder, "shards21");
    struct docs d;
    char *texts[21];
    size_t lens[21];
    make_shards(folder, 21, 20, 0, &d, texts, lens);
    write_plain(path_of(p, "shards21/.hidden"), "has\0nul", 7);
    mkdir(path_of(p, "shards21/sub"), 0755);
    write_plain(path_of(p, "shards21/sub/inner.txt"), "x\0y", 3);

    /* The expected training stream, in name order, and where each shard is. */
    uint8_t stream[21 * 161];
    size_t at = 0, where[21];
    for (size_t k = 0; k < 21; k++) {
        if (k % 10 == 9)
            continue;
        if (at > 0)
            stream[at++] = 0;
        where[k] = at;
        memcpy(stream + at, texts[k], lens[k]);
        at += lens[k];
    }
    size_t ctx = 2 * 160; /* the validation stream is 321 bytes */
    struct bg_corpus *c = open_ok(folder, ctx, 0, 5);
    if (!c)
        return;
    struct bg_corpus_info info;
    corpus_get_info(c, &info);
    CHECK(info.is_folder && info.n_shards == 21 && info.n_train_shards == 19);
    CHECK(info.n_val_shards == 2 && info.val_bytes == 321 && info.train_bytes == at);
    CHECK(info.total_bytes == 21 * 160);

    uint8_t in[320], tg[320];
    corpus_val_batch(c, in, tg, 0, 1, 1, 320);
    CHECK(memcmp(in, texts[9], 160) == 0 && in[160] == 0);
    CHECK(memcmp(in + 161, texts[19], 159) == 0 && tg[319] == 'V');

    int ok = 1;
    for (int i = 0; i < 300; i++) {
        struct bg_error err;
        ok &= corpus_next_batch(c, in, tg, 1, 320, &err) == BG_OK;
        unsigned id;
        size_t off, s;
        if (!find_record(in, 320, &s, &id, &off) || id >= 21 || id % 10 == 9) {
            ok = 0;
            continue;
        }
        size_t start = where[id] + off - s;
        ok &= memcmp(stream + start, in, 320) == 0 && stream[start + 320] == tg[319];
    }
    CHECK(ok);
    corpus_close(c);
    free_texts(texts, 21);
}

/* Fewer than ten shards: the last one is validation. */
static void test_few_shards_last_is_validation(void)
{
    char folder[512];
    path_of(folder, "shards3");
    struct docs d;
    char *texts[3];
    size_t lens[3];
    make_shards(folder, 3, 30, 10, &d, texts, lens);
    struct bg_corpus *c = open_ok(folder, 64, 0, 5);
    if (!c)
        return;
    struct bg_corpus_info info;
    corpus_get_info(c, &info);
    CHECK(info.n_train_shards == 2 && info.n_val_shards == 1);
    CHECK(info.train_bytes == lens[0] + 1 + lens[1] && info.val_bytes == lens[2]);
    corpus_close(c);
    free_texts(texts, 3);
}

/* Draws n_batches of (B, T) and checks every window: consecutive training
 * text, no validation byte. Returns the loader position at the end. */
static void check_stream(struct bg_corpus *c, struct docs *d, size_t n_batches, size_t B,
                         size_t T, struct bg_corpus_pos *end)
{
    uint8_t *in = malloc(B * T), *tg = malloc(B * T), *w = malloc(T + 1);
    struct bg_corpus_info before, after;
    corpus_get_info(c, &before);
    int real = 1, leak = 0, rc = BG_OK;
    for (size_t i = 0; i < n_batches && rc == BG_OK; i++) {
        struct bg_error err;
        rc = corpus_next_batch(c, in, tg, B, T, &err);
        for (size_t b = 0; b < B; b++) {
            window_of(w, in, tg, b, T);
            real &= window_is_real(d, w, T + 1);
            leak |= has_byte(w, T + 1, 'V');
        }
    }
    corpus_get_info(c, &after);
    CHECK(rc == BG_OK);
    CHECK(real);
    CHECK(!leak);
    CHECK(before.buffer_bytes == after.buffer_bytes);
    for (int k = 0; k < MAX_SHARDS; k++)
        CHECK(!d->text[k] || d->seen[k]); /* every training shard was reached */
    corpus_get_pos(c, end);
    free(in);
    free(tg);
    free(w);
}

/* A single file, in memory and streamed: thousands of windows, none with
 * a validation byte, each real consecutive text. */
static void test_single_file_never_leaks(void)
{
    char p[512];
    size_t recs = 12500, n = recs * REC; /* 100000 bytes, train 90000 */
    char *text = record_text(0, recs);
    memset(text + n - n / 10, 'V', n / 10);
    write_gz(path_of(p, "leak.txt.gz"), text, n);
    struct docs d;
    memset(&d, 0, sizeof d);
    d.text[0] = text;
    d.len[0] = n - n / 10;
    struct bg_corpus_pos end;

    struct bg_corpus *c = open_ok(p, 64, 0, 3);
    if (!c)
        return;
    check_stream(c, &d, 5000, 4, 64, &end);
    CHECK(end.epoch == 0 && end.drawn == 20000);
    corpus_close(c);

    c = open_ok(p, 64, 4096, 3);
    if (!c)
        return;
    struct bg_corpus_info info;
    corpus_get_info(c, &info);
    CHECK(info.buffer_bytes == 4096);
    check_stream(c, &d, 5000, 4, 64, &end);
    CHECK(end.epoch >= 5); /* about 1400 windows per pass over 90000 bytes */
    corpus_close(c);
    free(text);
}

/* A folder many times the buffer streams through several epochs: shards
 * of different lengths, 'V' validation shards 9, 19, 29, a 4 KiB buffer
 * (about 37 times smaller than the training stream). */
static void test_folder_streams_many_epochs(void)
{
    char folder[512];
    path_of(folder, "shards30");
    struct docs d;
    char *texts[30];
    size_t lens[30];
    make_shards(folder, 30, 100, 37, &d, texts, lens);
    struct bg_corpus *c = open_ok(folder, 32, 4096, 11);
    if (!c)
        return;
    struct bg_corpus_info info;
    corpus_get_info(c, &info);
    CHECK(info.buffer_bytes == 4096 && info.train_bytes > 30 * 4096);
    CHECK(info.val_kept_bytes == info.val_bytes);
    struct bg_corpus_pos end;
    check_stream(c, &d, 2500, 8, 32, &end);
    CHECK(end.epoch >= 3);
    /* T below ctx works too, still inside the same chunks. */
    memset(d.seen, 0, sizeof d.seen);
    check_stream(c, &d, 1500, 8, 20, &end);
    corpus_close(c);

    c = open_ok(folder, 32, 0, 11); /* the whole stream in memory */
    if (!c)
        return;
    memset(d.seen, 0, sizeof d.seen);
    check_stream(c, &d, 2000, 8, 32, &end);
    corpus_close(c);
    free_texts(texts, 30);
}

/* The 30-shard folder of test_folder_streams_many_epochs, made here if
 * that test did not run first. */
static const char *shards30(char *folder)
{
    struct stat st;
    if (stat(path_of(folder, "shards30"), &st) != 0) {
        struct docs d;
        char *texts[30];
        size_t lens[30];
        make_shards(folder, 30, 100, 37, &d, texts, lens);
        free_texts(texts, 30);
    }
    return folder;
}

/* One seed, one batch sequence; another seed, another sequence. */
static void test_seed_decides_batches(void)
{
    char folder[512];
    shards30(folder);
    size_t buffers[2] = { 0, 4096 };
    for (int k = 0; k < 2; k++) {
        struct bg_corpus *a = open_ok(folder, 32, buffers[k], 7);
        struct bg_corpus *b = open_ok(folder, 32, buffers[k], 7);
        struct bg_corpus *o = open_ok(folder, 32, buffers[k], 8);
        if (!a || !b || !o)
            return;
        size_t bytes = 400 * 4 * 2 * 32;
        uint8_t *ba = draw(a, 400, 4, 32), *bb = draw(b, 400, 4, 32), *bo = draw(o, 400, 4, 32);
        CHECK(memcmp(ba, bb, bytes) == 0);
        CHECK(memcmp(ba, bo, bytes) != 0);
        free(ba);
        free(bb);
        free(bo);
        corpus_close(a);
        corpus_close(b);
        corpus_close(o);
    }
}

/* A position saved after k windows and restored into a freshly opened
 * corpus continues the identical sequence, across refills, including when
 * saved right at a refill (k = 124 = 4096 / 33 windows per chunk). */
static void test_position_restores_sequence(void)
{
    char folder[512];
    shards30(folder);
    size_t ks[] = { 0, 1, 61, 123, 124, 125, 1000, 4321 };
    size_t buffers[2] = { 4096, 0 };
    for (int m = 0; m < 2; m++) {
        for (size_t i = 0; i < sizeof ks / sizeof ks[0]; i++) {
            struct bg_corpus *a = open_ok(folder, 32, buffers[m], 99);
            struct bg_corpus *b = open_ok(folder, 32, buffers[m], 99);
            if (!a || !b)
                return;
            free(draw(a, ks[i], 1, 32));
            struct bg_corpus_pos pos, back;
            corpus_get_pos(a, &pos);
            struct bg_error err;
            CHECK(corpus_set_pos(b, &pos, &err) == BG_OK);
            corpus_get_pos(b, &back);
            CHECK(memcmp(&pos, &back, sizeof pos) == 0);
            uint8_t *sa = draw(a, 400, 2, 32), *sb = draw(b, 400, 2, 32);
            CHECK(memcmp(sa, sb, 400 * 2 * 2 * 32) == 0);
            free(sa);
            free(sb);
            corpus_close(a);
            corpus_close(b);
        }
    }
    /* A position that cannot belong to this corpus is refused. */
    struct bg_corpus *c = open_ok(folder, 32, 4096, 99);
    if (!c)
        return;
    struct bg_corpus_pos pos;
    struct bg_error err;
    corpus_get_pos(c, &pos);
    pos.shard = 1000;
    CHECK(corpus_set_pos(c, &pos, &err) == BG_ERR_INPUT && strstr(err.msg, "shards30"));
    corpus_close(c);
}

/* The shard id that epoch's order puts at index k: a corpus with the
 * smallest buffer, 2*(ctx+1) bytes, restored to the chunk that starts at
 * (epoch, k, offset 0), holds only that shard's first bytes, and any window
 * of it shows a whole record naming the shard. */
static int shard_at(struct bg_corpus *c, uint64_t epoch, uint64_t k)
{
    struct bg_corpus_pos pos;
    struct bg_error err;
    corpus_get_pos(c, &pos);
    pos.epoch = epoch;
    pos.shard = k;
    pos.offset = 0;
    pos.drawn = 0;
    uint8_t in[32], tg[32];
    unsigned id;
    size_t s, off;
    if (corpus_set_pos(c, &pos, &err) != BG_OK || corpus_next_batch(c, in, tg, 1, 32, &err) != BG_OK
        || !find_record(in, 32, &s, &id, &off))
        return -1;
    return (int)id;
}

/* Each epoch visits every training shard once, in an order that changes
 * from epoch to epoch and from seed to seed and is recomputed, not stored:
 * two corpora opened apart agree on it. */
static void test_epoch_orders(void)
{
    char folder[512];
    shards30(folder);
    struct bg_corpus *a = open_ok(folder, 32, 66, 5), *b = open_ok(folder, 32, 66, 6);
    struct bg_corpus *a2 = open_ok(folder, 32, 66, 5);
    if (!a || !b || !a2)
        return;
    int order[4][27], perm_ok = 1;
    for (int e = 0; e < 3; e++) {
        int seen[30] = { 0 };
        for (int k = 0; k < 27; k++) {
            order[e][k] = shard_at(a, (uint64_t)e * 1000, (uint64_t)k);
            perm_ok &= order[e][k] >= 0 && order[e][k] < 30 && order[e][k] % 10 != 9
                       && !seen[order[e][k]]++;
        }
    }
    for (int k = 0; k < 27; k++)
        order[3][k] = shard_at(b, 0, (uint64_t)k);
    CHECK(perm_ok);
    CHECK(memcmp(order[0], order[1], sizeof order[0]) != 0);
    CHECK(memcmp(order[1], order[2], sizeof order[0]) != 0);
    CHECK(memcmp(order[0], order[3], sizeof order[0]) != 0);
    CHECK(shard_at(a2, 1000, 13) == order[1][13] && shard_at(a2, 0, 26) == order[0][26]);
    corpus_close(a);
    corpus_close(b);
    corpus_close(a2);
}

/* Validation windows start where the header's formula says. */
static void test_val_batch_formula(void)
{
    char p[512];
    size_t n = 5000; /* validation: the last 500 bytes */
    char *text = word_text(n, 3);
    write_plain(path_of(p, "val.txt"), text, n);
    struct bg_corpus_options opt = { .ctx = 16, .val_max_bytes = 200, .seed = 1 };
    struct bg_corpus *c = NULL;
    struct bg_error err;
    CHECK(corpus_open(&c, p, &opt, &err) == BG_OK);
    if (!c)
        return;
    struct bg_corpus_info info;
    corpus_get_info(c, &info);
    CHECK(info.val_bytes == 500 && info.val_kept_bytes == 200);
    const char *val = text + 4500;
    size_t K = 3 * 4, ok = 1;
    for (size_t i = 0; i < 3; i++) {
        uint8_t in[4 * 16], tg[4 * 16];
        corpus_val_batch(c, in, tg, i, 3, 4, 16);
        for (size_t b = 0; b < 4; b++) {
            size_t k = i * 4 + b, s = k * (200 - 16 - 1) / (K - 1);
            ok &= memcmp(in + b * 16, val + s, 16) == 0 && memcmp(tg + b * 16, val + s + 1, 16) == 0;
        }
    }
    CHECK(ok);
    corpus_close(c);
    free(text);
}

/* ---- Bad input ---- */

/* Opening must fail with BG_ERR_INPUT and a message naming `name` and
 * holding `word`, and must leave no corpus behind. */
static void expect_refused(const char *path, size_t ctx, const char *name, const char *word)
{
    struct bg_corpus *c = (struct bg_corpus *)&c; /* not NULL: open must clear it */
    struct bg_error err;
    int rc = open_with(&c, path, ctx, 0, 1, &err);
    int ok = rc == BG_ERR_INPUT && c == NULL && strstr(err.msg, name) && strstr(err.msg, word)
             && !strchr(err.msg, '\n');
    if (!ok)
        printf("  %s: rc %d, message \"%s\" (wanted \"%s\" and \"%s\")\n", path, rc, err.msg, name,
               word);
    CHECK(ok);
    if (rc == BG_OK)
        corpus_close(c);
}

static void test_refuses_missing_and_non_regular(void)
{
    char p[512], q[512];
    expect_refused(path_of(p, "no_such_corpus.txt"), 8, "no_such_corpus.txt", "No such file");
    /* Root reads any file whatever its mode, so unreadable is tested with a
     * path through a regular file (ENOTDIR), a dangling link and a FIFO;
     * chmod 000 only when not root. */
    write_plain(path_of(q, "regular.txt"), "some text\n", 10);
    expect_refused(path_of(p, "regular.txt/inner.txt"), 8, "regular.txt/inner.txt", "Not a directory");
    CHECK(mkfifo(path_of(p, "fifo"), 0600) == 0);
    expect_refused(p, 8, "fifo", "not a regular file");
    if (geteuid() != 0) {
        char *t = word_text(2000, 4);
        write_plain(path_of(p, "locked.txt"), t, 2000);
        chmod(p, 0);
        expect_refused(p, 8, "locked.txt", "ermission");
        free(t);
    }
    /* In a folder: a FIFO and a dangling link are refused by name. */
    char *t = word_text(3000, 5);
    mkdir(path_of(p, "withfifo"), 0755);
    write_plain(path_of(q, "withfifo/a.txt"), t, 1500);
    write_plain(path_of(q, "withfifo/b.txt"), t + 1500, 1500);
    CHECK(mkfifo(path_of(q, "withfifo/pipe"), 0600) == 0);
    expect_refused(p, 8, "withfifo/pipe", "not a regular file");
    mkdir(path_of(p, "withlink"), 0755);
    write_plain(path_of(q, "withlink/a.txt"), t, 1500);
    write_plain(path_of(q, "withlink/b.txt"), t + 1500, 1500);
    CHECK(symlink("/nonexistent/target", path_of(q, "withlink/c.txt")) == 0);
    expect_refused(p, 8, "withlink/c.txt", "cannot read");
    free(t);
}

static void test_refuses_empty_and_single_shard_folders(void)
{
    char p[512], q[512];
    mkdir(path_of(p, "empty_folder"), 0755);
    expect_refused(p, 8, "empty_folder", "no shards");
    mkdir(path_of(p, "hidden_only"), 0755);
    write_plain(path_of(q, "hidden_only/.notes"), "text\n", 5);
    mkdir(path_of(q, "hidden_only/sub"), 0755);
    expect_refused(p, 8, "hidden_only", "no shards");
    char *t = word_text(5000, 6);
    mkdir(path_of(p, "one_shard"), 0755);
    write_plain(path_of(q, "one_shard/only.txt"), t, 5000);
    expect_refused(p, 8, "one_shard/only.txt", "single shard");
    free(t);
}

static void test_refuses_damaged_gzip(void)
{
    char p[512];
    size_t n = 40000;
    char *t = word_text(n, 7);
    write_gz(path_of(p, "corrupt.txt.gz"), t, n);
    long size = file_size(p);
    FILE *f = fopen(p, "r+b");
    CHECK(f != NULL && size > 100);
    if (!f)
        return;
    unsigned char junk[16];
    fseek(f, size / 2, SEEK_SET);
    CHECK(fread(junk, 1, sizeof junk, f) == sizeof junk);
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] ^= 0xA5;
    fseek(f, size / 2, SEEK_SET);
    CHECK(fwrite(junk, 1, sizeof junk, f) == sizeof junk);
    fclose(f);
    expect_refused(p, 8, "corrupt.txt.gz", "corrupt gzip");
    expect_refused(p, 8, "corrupt.txt.gz", "compressed byte");

    write_gz(path_of(p, "truncated.txt.gz"), t, n);
    CHECK(truncate(p, file_size(p) / 2) == 0);
    expect_refused(p, 8, "truncated.txt.gz", "truncated gzip");
    expect_refused(p, 8, "truncated.txt.gz", "unexpected end of file");
    free(t);
}

static void test_refuses_not_text_and_empty(void)
{
    char p[512], q[512];
    char *t = word_text(4000, 8);
    t[1234] = 0;
    write_plain(path_of(p, "nul.txt"), t, 4000);
    expect_refused(p, 8, "nul.txt", "NUL byte at byte 1234");
    write_gz(path_of(p, "nul.txt.gz"), t, 4000);
    expect_refused(p, 8, "nul.txt.gz", "not text");
    /* Bytes that are neither gzip nor text: zlib passes them through, and
     * their NUL bytes mark them as not text. */
    uint8_t bin[512];
    for (size_t i = 0; i < sizeof bin; i++)
        bin[i] = (uint8_t)(i * 37);
    write_plain(path_of(p, "binary.bin"), bin, sizeof bin);
    expect_refused(p, 8, "binary.bin", "not text");
    mkdir(path_of(p, "nul_shard"), 0755);
    write_plain(path_of(q, "nul_shard/a.txt"), t + 2000, 2000);
    write_plain(path_of(q, "nul_shard/b.txt"), t, 2000);
    expect_refused(p, 8, "nul_shard/b.txt", "not text");

    write_plain(path_of(p, "empty.txt"), "", 0);
    expect_refused(p, 8, "empty.txt", "empty");
    write_gz(path_of(p, "empty.txt.gz"), "", 0);
    expect_refused(p, 8, "empty.txt.gz", "empty");
    free(t);
}

static void test_refuses_too_small(void)
{
    char p[512], q[512];
    char *t = word_text(4000, 9);
    /* 500 bytes: 50 of validation, fewer than ctx+1 = 65. */
    write_plain(path_of(p, "small.txt"), t, 500);
    expect_refused(p, 64, "small.txt", "too small for ctx 64: 450 training and 50 validation");
    struct bg_corpus *c = open_ok(p, 49, 0, 1); /* exactly enough */
    corpus_close(c);
    mkdir(path_of(p, "small_val"), 0755);
    write_plain(path_of(q, "small_val/a.txt"), t, 3000);
    write_plain(path_of(q, "small_val/b.txt"), t + 3000, 20);
    expect_refused(p, 64, "small_val", "at least 65");
    /* Options that cannot work are refused too. */
    struct bg_error err;
    CHECK(open_with(&c, path_of(p, "small.txt"), 0, 0, 1, &err) == BG_ERR_INPUT);
    CHECK(open_with(&c, p, 32, 40, 1, &err) == BG_ERR_INPUT && strstr(err.msg, "buffer"));
    c = open_ok(p, 16, 0, 1);
    if (c) {
        uint8_t in[17], tg[17];
        CHECK(corpus_next_batch(c, in, tg, 1, 17, &err) == BG_ERR_INPUT);
        corpus_close(c);
    }
    free(t);
}

int main(void)
{
    snprintf(tmp_root, sizeof tmp_root, "/tmp/bg_corpus_XXXXXX");
    if (!mkdtemp(tmp_root)) {
        printf("cannot make a temporary folder\n");
        return 1;
    }
    RUN_TEST(test_gzip_and_plain_agree);
    RUN_TEST(test_single_file_split);
    RUN_TEST(test_folder_order_and_split);
    RUN_TEST(test_few_shards_last_is_validation);
    RUN_TEST(test_single_file_never_leaks);
    RUN_TEST(test_folder_streams_many_epochs);
    RUN_TEST(test_seed_decides_batches);
    RUN_TEST(test_position_restores_sequence);
    RUN_TEST(test_epoch_orders);
    RUN_TEST(test_val_batch_formula);
    RUN_TEST(test_refuses_missing_and_non_regular);
    RUN_TEST(test_refuses_empty_and_single_shard_folders);
    RUN_TEST(test_refuses_damaged_gzip);
    RUN_TEST(test_refuses_not_text_and_empty);
    RUN_TEST(test_refuses_too_small);
    rm_tree(tmp_root);
    return TEST_EXIT();
}
