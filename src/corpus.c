/* corpus: see corpus.h.
 *
 * The file reads top to bottom in the order a corpus lives: finding its
 * files, scanning them, splitting them into a training and a validation
 * stream, reading those streams, and drawing batches.
 *
 * Two words are used throughout. A segment is one document of a stream: a
 * whole shard of a folder, or the training or validation part of a single
 * file. A stream is a list of segments read one after the other with a NUL
 * byte between neighbours, so a window that crosses from one document into
 * the next sees the boundary, as GPT-2 sees <|endoftext|>.
 *
 * The rules a user can rely on (also in corpus/README.md):
 *   - A single file of N text bytes: the first N - floor(N/10) bytes are
 *     training, the last floor(N/10) bytes are validation.
 *   - A folder: its regular files are the shards, sorted by name with
 *     strcmp; names starting with '.' and subfolders are ignored; any other
 *     entry (a FIFO, a device, a socket, a broken link) is refused, because
 *     reading it could block or fail and it is surely a mistake. Shard i
 *     (from 0) is validation when i % 10 == 9, or, with fewer than ten
 *     shards, when it is the last one. One shard alone is refused.
 *   - The training buffer holds the whole training stream when it fits
 *     (the shards in name order, read once). Otherwise it holds a chunk of
 *     buffer_bytes bytes of the endless training stream: epoch after epoch
 *     of the training shards, each epoch in its own order shuffled from
 *     (seed, epoch), with a NUL between any two documents, including across
 *     epochs. After floor(buffer_bytes / (ctx+1)) windows have been drawn
 *     from a chunk (so that on average each byte has been seen about once),
 *     the next chunk is read. Consecutive chunks overlap by ctx bytes, so
 *     every window start of the stream lies in exactly one chunk.
 *   - A position (corpus_get_pos) is the stream position where the current
 *     chunk starts, the windows drawn from it, and the rng; restoring it
 *     re-reads that chunk and continues the identical batch sequence. */
#include "bytegpt/corpus.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

#include "bytegpt/arena.h"

/* zlib's own read buffer, larger than its 8 KiB default: fewer system calls. */
#define GZ_BUFFER ((unsigned)1 << 17)

/* ---- Data structures ---- */

struct corpus_file {
    char *path;
    uint64_t bytes; /* text bytes, after decompression */
    uint64_t disk;  /* bytes on disk */
    uint32_t crc;   /* CRC32 of the text, for the corpus fingerprint */
};

/* One document of a stream: len bytes of a file's text from start. */
struct segment {
    size_t file;
    uint64_t start, len;
};

/* A place in a stream. offset == len of the segment means that the next
 * byte is the NUL after it; the position after that NUL is offset 0 of the
 * next segment, so every place has exactly one spelling. */
struct stream_pos {
    uint64_t epoch, shard, offset;
};

/* A reader streams a list of segments joined by NUL, keeping the current
 * file open between reads. With order set it shuffles the segments anew
 * each epoch and never ends; without, it reads them in the listed order. */
struct reader {
    const struct corpus_file *files;
    const struct segment *segs;
    size_t n_segs;
    size_t *order; /* n_segs: this epoch's order, or NULL */
    uint64_t seed;
    struct stream_pos at;
    gzFile gz; /* open on the current segment at at.offset, or NULL */
};

struct bg_corpus {
    char *path;
    int is_folder;
    struct corpus_file *files;
    size_t n_files;
    struct segment *train, *val; /* the two streams' documents */
    size_t n_train, n_val;
    uint64_t train_bytes, val_bytes; /* NUL joins included */

    size_t ctx, buffer_cap, val_cap;
    uint64_t seed;

    struct bg_arena arena; /* buf | val_buf */
    uint8_t *buf;          /* the training chunk, or the whole stream */
    size_t buf_len;
    int streaming;         /* the training stream is larger than buf */
    uint8_t *val_buf;      /* the first val_len bytes of validation */
    size_t val_len;

    struct reader rd;              /* streams the training shards */
    struct stream_pos chunk_start; /* where the chunk in buf starts */
    struct stream_pos next_start;  /* where the next chunk will start */
    uint64_t per_chunk;            /* windows drawn before a refill */
    uint64_t drawn;                /* windows drawn from this chunk */
    struct bg_rng rng;             /* the batch windows */
};

/* ---- Finding the files ---- */

static int add_file(struct bg_corpus *c, char *path, struct bg_error *err)
{
    struct corpus_file *grown = realloc(c->files, (c->n_files + 1) * sizeof *grown);
    if (!grown) {
        free(path);
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory listing corpus files");
    }
    c->files = grown;
    c->files[c->n_files++] = (struct corpus_file){ .path = path };
    return BG_OK;
}

static char *join_path(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    int slash = n > 0 && dir[n - 1] == '/';
    char *p = malloc(n + strlen(name) + 2);
    if (p)
        sprintf(p, "%s%s%s", dir, slash ? "" : "/", name);
    return p;
}

/* Decides what one folder entry is: a shard (added), ignored, or refused. */
static int add_entry(struct bg_corpus *c, const char *dir, const char *name,
                     struct bg_error *err)
{
    if (name[0] == '.')
        return BG_OK; /* ".", "..", and hidden files such as .DS_Store */
    char *p = join_path(dir, name);
    if (!p)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory listing corpus files");
    struct stat st;
    if (stat(p, &st) != 0) {
        int rc = bg_fail(err, BG_ERR_INPUT, "cannot read corpus shard %s: %s; remove or fix it",
                         p, strerror(errno));
        free(p);
        return rc;
    }
    if (S_ISDIR(st.st_mode)) {
        free(p); /* shards are the folder's own files, not nested ones */
        return BG_OK;
    }
    if (!S_ISREG(st.st_mode)) {
        int rc = bg_fail(err, BG_ERR_INPUT,
                         "corpus shard %s is not a regular file (a FIFO, device or socket); "
                         "remove it from the folder", p);
        free(p);
        return rc;
    }
    return add_file(c, p, err);
}

static int cmp_files(const void *a, const void *b)
{
    /* All paths share the folder prefix, so this orders by file name. */
    return strcmp(((const struct corpus_file *)a)->path, ((const struct corpus_file *)b)->path);
}

static int list_folder(struct bg_corpus *c, struct bg_error *err)
{
    int rc = BG_OK;
    DIR *d = opendir(c->path);
    if (!d)
        return bg_fail(err, BG_ERR_INPUT, "cannot read corpus folder %s: %s; check its permissions",
                       c->path, strerror(errno));
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        rc = add_entry(c, c->path, e->d_name, err);
        if (rc)
            goto out;
    }
    if (c->n_files == 0) {
        rc = bg_fail(err, BG_ERR_INPUT,
                     "corpus folder %s holds no shards; put text or .gz files in it "
                     "(names starting with '.' and subfolders are ignored)", c->path);
        goto out;
    }
    qsort(c->files, c->n_files, sizeof *c->files, cmp_files);
out:
    closedir(d);
    return rc;
}

/* A path is a single file or a folder of shards; anything else is refused
 * before it is opened, since opening a FIFO would wait for a writer. */
static int list_files(struct bg_corpus *c, struct bg_error *err)
{
    struct stat st;
    if (stat(c->path, &st) != 0)
        return bg_fail(err, BG_ERR_INPUT, "cannot read corpus %s: %s; check the path, "
                       "or build a corpus with scripts/get_corpus.sh", c->path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        c->is_folder = 1;
        return list_folder(c, err);
    }
    if (!S_ISREG(st.st_mode))
        return bg_fail(err, BG_ERR_INPUT, "corpus %s is not a regular file or a folder "
                       "(a FIFO, device or socket); give a text or .gz file, or a folder of them",
                       c->path);
    char *p = strdup(c->path);
    if (!p)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory listing corpus files");
    return add_file(c, p, err);
}

/* ---- Scanning: every file read once, completely ---- */

/* Reads gz to its end: n = the text bytes read, nul_at = the offset of
 * the first NUL byte (UINT64_MAX when there is none), crc = the CRC32 of
 * the text (free here, since every byte passes through anyway). */
static void scan_stream(gzFile gz, uint64_t *n, uint64_t *nul_at, uint32_t *crc)
{
    unsigned char buf[1 << 16];
    int got;
    uLong sum = crc32(0L, Z_NULL, 0);
    *n = 0;
    *nul_at = UINT64_MAX;
    while ((got = gzread(gz, buf, sizeof buf)) > 0) {
        const unsigned char *z = *nul_at == UINT64_MAX ? memchr(buf, 0, (size_t)got) : NULL;
        if (z)
            *nul_at = *n + (uint64_t)(z - buf);
        *n += (uint64_t)got;
        sum = crc32(sum, buf, (uInt)got);
    }
    *crc = (uint32_t)sum;
}

/* zlib's message without the "path: " it starts with, since our message
 * names the file already. */
static const char *zlib_message(const char *zmsg, const char *path)
{
    size_t n = strlen(path);
    return strncmp(zmsg, path, n) == 0 && zmsg[n] == ':' && zmsg[n + 1] == ' ' ? zmsg + n + 2 : zmsg;
}

/* Reads a whole file through zlib to learn its text size and to check it.
 * A NUL byte is reported only if zlib finds nothing wrong, since a damaged
 * gzip stream decompresses to garbage that may hold NULs, and the damage
 * is then the real story. zlib's message must be copied out before
 * gzclose, which frees it. */
static int scan_file(struct corpus_file *f, struct bg_error *err)
{
    struct stat st;
    if (stat(f->path, &st) != 0)
        return bg_fail(err, BG_ERR_INPUT, "cannot read corpus file %s: %s", f->path, strerror(errno));
    f->disk = (uint64_t)st.st_size;
    gzFile gz = gzopen(f->path, "rb");
    if (!gz)
        return bg_fail(err, BG_ERR_INPUT, "cannot open corpus file %s: %s; check its permissions",
                       f->path, errno ? strerror(errno) : "out of memory");
    gzbuffer(gz, GZ_BUFFER);
    uint64_t n, nul_at;
    scan_stream(gz, &n, &nul_at, &f->crc);
    int zerr = Z_OK, rc = BG_OK;
    const char *zmsg = gzerror(gz, &zerr);
    if (zerr != Z_OK)
        rc = bg_fail(err, BG_ERR_INPUT,
                     "corpus file %s is %s gzip: zlib says \"%s\" at text byte %" PRIu64
                     " (compressed byte %lld); rebuild or re-download it",
                     f->path, zerr == Z_BUF_ERROR ? "truncated" : "corrupt",
                     zlib_message(zmsg, f->path), n,
                     (long long)gzoffset(gz));
    else if (nul_at != UINT64_MAX)
        rc = bg_fail(err, BG_ERR_INPUT,
                     "corpus file %s is not text: it contains a NUL byte at byte %" PRIu64
                     "; give plain text or gzip-compressed text", f->path, nul_at);
    else if (n == 0)
        rc = bg_fail(err, BG_ERR_INPUT, "corpus file %s is empty; remove it or give a file with text",
                     f->path);
    gzclose(gz);
    f->bytes = n;
    return rc;
}

/* ---- The split into training and validation ---- */

static uint64_t stream_bytes(const struct segment *s, size_t n)
{
    uint64_t sum = n > 0 ? n - 1 : 0; /* the NULs between documents */
    for (size_t i = 0; i < n; i++)
        sum += s[i].len;
    return sum;
}

static int is_val_shard(size_t i, size_t n)
{
    return n >= 10 ? i % 10 == 9 : i == n - 1;
}

static int split_folder(struct bg_corpus *c, struct bg_error *err)
{
    size_t n = c->n_files;
    if (n == 1)
        return bg_fail(err, BG_ERR_INPUT,
                       "corpus folder %s holds a single shard (%s), which cannot hold a validation "
                       "part; give that file itself as the corpus, or add shards", c->path,
                       c->files[0].path);
    c->train = malloc(n * sizeof *c->train);
    c->val = malloc(n * sizeof *c->val);
    if (!c->train || !c->val)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory splitting the corpus");
    for (size_t i = 0; i < n; i++) {
        struct segment s = { .file = i, .start = 0, .len = c->files[i].bytes };
        if (is_val_shard(i, n))
            c->val[c->n_val++] = s;
        else
            c->train[c->n_train++] = s;
    }
    return BG_OK;
}

static int split(struct bg_corpus *c, struct bg_error *err)
{
    if (c->is_folder) {
        int rc = split_folder(c, err);
        if (rc)
            return rc;
    } else {
        /* train = total - floor(total/10) bytes: validation gets the
         * rounding, so a file of 19 bytes trains on 18 and validates on 1. */
        uint64_t total = c->files[0].bytes, val = total / 10;
        c->train = malloc(sizeof *c->train);
        c->val = malloc(sizeof *c->val);
        if (!c->train || !c->val)
            return bg_fail(err, BG_ERR_RUNTIME, "out of memory splitting the corpus");
        c->train[0] = (struct segment){ .file = 0, .start = 0, .len = total - val };
        c->val[0] = (struct segment){ .file = 0, .start = total - val, .len = val };
        c->n_train = c->n_val = 1;
    }
    c->train_bytes = stream_bytes(c->train, c->n_train);
    c->val_bytes = stream_bytes(c->val, c->n_val);
    if (c->train_bytes < c->ctx + 1 || c->val_bytes < c->ctx + 1)
        return bg_fail(err, BG_ERR_INPUT,
                       "corpus %s is too small for ctx %zu: %" PRIu64 " training and %" PRIu64
                       " validation bytes, each needs at least %zu; use more text or a smaller ctx",
                       c->path, c->ctx, c->train_bytes, c->val_bytes, c->ctx + 1);
    return BG_OK;
}

/* ---- Reading a stream ---- */

static const struct segment *reader_seg(const struct reader *r)
{
    return &r->segs[r->order ? r->order[r->at.shard] : r->at.shard];
}

/* Fisher-Yates with a generator derived from (seed, epoch) alone, so an
 * epoch's order is recomputed, never stored, and a restart agrees. */
static void reader_shuffle(struct reader *r)
{
    if (!r->order)
        return;
    struct bg_rng g;
    rng_seed(&g, r->seed ^ (r->at.epoch * 0x9E3779B97F4A7C15ULL), BG_STREAM_ORDER);
    for (size_t i = 0; i < r->n_segs; i++)
        r->order[i] = i;
    for (size_t i = r->n_segs; i > 1; i--) {
        size_t j = (size_t)rng_range(&g, i);
        size_t t = r->order[i - 1];
        r->order[i - 1] = r->order[j];
        r->order[j] = t;
    }
}

static void reader_close(struct reader *r)
{
    if (r->gz)
        gzclose(r->gz);
    r->gz = NULL;
}

static void reader_seek(struct reader *r, struct stream_pos at)
{
    reader_close(r);
    r->at = at;
    reader_shuffle(r);
}

/* Opens the current segment's file at the current offset. gzseek skips
 * forward by decompressing, which is how a restart finds its place. */
static int reader_open(struct reader *r, struct bg_error *err)
{
    const struct segment *s = reader_seg(r);
    const char *path = r->files[s->file].path;
    r->gz = gzopen(path, "rb");
    if (!r->gz)
        return bg_fail(err, BG_ERR_INPUT, "cannot reopen corpus file %s: %s; was it moved "
                       "or deleted after the corpus was opened?", path, strerror(errno));
    gzbuffer(r->gz, GZ_BUFFER);
    z_off_t target = (z_off_t)(s->start + r->at.offset);
    if (target > 0 && gzseek(r->gz, target, SEEK_SET) != target) {
        reader_close(r);
        return bg_fail(err, BG_ERR_INPUT, "cannot seek to text byte %lld of corpus file %s; "
                       "was it changed after the corpus was opened?", (long long)target, path);
    }
    return BG_OK;
}

/* Steps past the NUL that ends a document, into the next one. */
static void reader_next_doc(struct reader *r)
{
    reader_close(r);
    r->at.offset = 0;
    if (++r->at.shard == r->n_segs) {
        r->at.shard = 0;
        r->at.epoch++;
        reader_shuffle(r);
    }
}

/* dst (n) = the next n bytes of the stream. */
static int reader_read(struct reader *r, uint8_t *dst, size_t n, struct bg_error *err)
{
    while (n > 0) {
        const struct segment *s = reader_seg(r);
        if (r->at.offset == s->len) {
            *dst++ = 0; /* the document boundary */
            n--;
            reader_next_doc(r);
            continue;
        }
        int rc = r->gz ? BG_OK : reader_open(r, err);
        if (rc)
            return rc;
        uint64_t left = s->len - r->at.offset;
        unsigned want = (unsigned)(n < left ? n : left);
        if (want > (1u << 30))
            want = 1u << 30; /* gzread counts in int */
        int got = gzread(r->gz, dst, want);
        if (got != (int)want) {
            int zerr = Z_OK;
            const char *zmsg = gzerror(r->gz, &zerr);
            bg_fail(err, BG_ERR_INPUT, "corpus file %s changed after the corpus was opened: "
                    "read %d of %u bytes at text byte %" PRIu64 " (%s); restart training",
                    r->files[s->file].path, got, want, s->start + r->at.offset,
                    zerr != Z_OK ? zlib_message(zmsg, r->files[s->file].path) : "it is shorter");
            reader_close(r);
            return BG_ERR_INPUT;
        }
        dst += want;
        n -= want;
        r->at.offset += want;
    }
    return BG_OK;
}

/* dst (n) = the first n bytes of a stream read in listed order. */
static int read_prefix(const struct bg_corpus *c, const struct segment *segs, size_t n_segs,
                       uint8_t *dst, size_t n, struct bg_error *err)
{
    struct reader r = { .files = c->files, .segs = segs, .n_segs = n_segs };
    int rc = reader_read(&r, dst, n, err);
    reader_close(&r);
    return rc;
}

/* ---- The training buffer ---- */

/* Reads the chunk that starts at `at`. The position ctx bytes before the
 * chunk's end is where the next chunk starts, noted on the way past. */
static int chunk_fill(struct bg_corpus *c, struct stream_pos at, struct bg_error *err)
{
    reader_seek(&c->rd, at);
    c->chunk_start = at;
    c->drawn = 0;
    int rc = reader_read(&c->rd, c->buf, c->buf_len - c->ctx, err);
    if (rc)
        return rc;
    c->next_start = c->rd.at;
    return reader_read(&c->rd, c->buf + c->buf_len - c->ctx, c->ctx, err);
}

/* Moves on to the next chunk: its first ctx bytes are the last ctx of the
 * current one, and the reader is already where the rest begins. */
static int chunk_refill(struct bg_corpus *c, struct bg_error *err)
{
    memmove(c->buf, c->buf + c->buf_len - c->ctx, c->ctx);
    c->chunk_start = c->next_start;
    c->drawn = 0;
    int rc = reader_read(&c->rd, c->buf + c->ctx, c->buf_len - 2 * c->ctx, err);
    if (rc)
        return rc;
    c->next_start = c->rd.at;
    return reader_read(&c->rd, c->buf + c->buf_len - c->ctx, c->ctx, err);
}

/* Sizes the buffers, allocates them in one arena, and fills them. */
static int load(struct bg_corpus *c, struct bg_error *err)
{
    c->streaming = c->train_bytes > c->buffer_cap;
    c->buf_len = c->streaming ? c->buffer_cap : (size_t)c->train_bytes;
    c->val_len = c->val_bytes < c->val_cap ? (size_t)c->val_bytes : c->val_cap;
    c->per_chunk = c->buf_len / (c->ctx + 1);
    int rc = arena_init(&c->arena, arena_round(c->buf_len) + arena_round(c->val_len), err);
    if (rc)
        return rc;
    c->buf = arena_carve(&c->arena, c->buf_len);
    c->val_buf = arena_carve(&c->arena, c->val_len);
    rng_seed(&c->rng, c->seed, BG_STREAM_WINDOWS);
    rc = read_prefix(c, c->val, c->n_val, c->val_buf, c->val_len, err);
    if (rc)
        return rc;
    if (!c->streaming)
        return read_prefix(c, c->train, c->n_train, c->buf, c->buf_len, err);
    c->rd = (struct reader){ .files = c->files, .segs = c->train, .n_segs = c->n_train,
                             .seed = c->seed };
    c->rd.order = malloc(c->n_train * sizeof *c->rd.order);
    if (!c->rd.order)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory for the shard order");
    return chunk_fill(c, (struct stream_pos){ 0, 0, 0 }, err);
}

/* ---- Opening and closing ---- */

static int configure(struct bg_corpus *c, const char *path, const struct bg_corpus_options *opt,
                     struct bg_error *err)
{
    c->ctx = opt->ctx;
    c->buffer_cap = opt->buffer_bytes ? opt->buffer_bytes : BG_CORPUS_BUFFER_DEFAULT;
    c->val_cap = opt->val_max_bytes ? opt->val_max_bytes : BG_CORPUS_VAL_MAX;
    c->seed = opt->seed;
    c->path = strdup(path);
    if (!c->path)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory opening the corpus");
    if (c->ctx == 0)
        return bg_fail(err, BG_ERR_INPUT, "corpus ctx must be at least 1");
    /* Two windows per chunk at least, and a chunk longer than its overlap. */
    if (c->buffer_cap < 2 * (c->ctx + 1))
        return bg_fail(err, BG_ERR_INPUT, "corpus buffer of %zu bytes is too small for ctx %zu: "
                       "give at least %zu bytes", c->buffer_cap, c->ctx, 2 * (c->ctx + 1));
    if (c->val_cap < c->ctx + 1)
        return bg_fail(err, BG_ERR_INPUT, "validation bound of %zu bytes is too small for ctx %zu: "
                       "give at least %zu bytes", c->val_cap, c->ctx, c->ctx + 1);
    return BG_OK;
}

int corpus_open(struct bg_corpus **out, const char *path, const struct bg_corpus_options *opt,
                struct bg_error *err)
{
    *out = NULL;
    struct bg_corpus *c = calloc(1, sizeof *c);
    if (!c)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory opening the corpus");
    int rc = configure(c, path, opt, err);
    if (rc)
        goto out;
    rc = list_files(c, err);
    if (rc)
        goto out;
    for (size_t i = 0; i < c->n_files && rc == BG_OK; i++)
        rc = scan_file(&c->files[i], err);
    if (rc)
        goto out;
    rc = split(c, err);
    if (rc)
        goto out;
    rc = load(c, err);
out:
    if (rc)
        corpus_close(c);
    else
        *out = c;
    return rc;
}

void corpus_close(struct bg_corpus *c)
{
    if (!c)
        return;
    reader_close(&c->rd);
    free(c->rd.order);
    arena_free(&c->arena);
    for (size_t i = 0; i < c->n_files; i++)
        free(c->files[i].path);
    free(c->files);
    free(c->train);
    free(c->val);
    free(c->path);
    free(c);
}

const uint8_t *corpus_val_text(const struct bg_corpus *c, size_t *n)
{
    *n = c->val_len;
    return c->val_buf;
}

void corpus_get_info(const struct bg_corpus *c, struct bg_corpus_info *info)
{
    *info = (struct bg_corpus_info){
        .is_folder = c->is_folder,
        .n_shards = c->n_files,
        .n_train_shards = c->n_train,
        .n_val_shards = c->n_val,
        .train_bytes = c->train_bytes,
        .val_bytes = c->val_bytes,
        .buffer_bytes = c->buf_len,
        .val_kept_bytes = c->val_len,
    };
    /* The fingerprint chains every file's text CRC and length in shard
     * order: what the data position depends on, and nothing else (a
     * recompressed or moved corpus keeps it). */
    uLong fp = crc32(0L, Z_NULL, 0);
    for (size_t i = 0; i < c->n_files; i++) {
        unsigned char rec[12];
        for (int k = 0; k < 4; k++)
            rec[k] = (unsigned char)(c->files[i].crc >> (8 * k));
        for (int k = 0; k < 8; k++)
            rec[4 + k] = (unsigned char)(c->files[i].bytes >> (8 * k));
        fp = crc32(fp, rec, sizeof rec);
        info->compressed_bytes += c->files[i].disk;
        info->total_bytes += c->files[i].bytes;
    }
    info->fingerprint = (uint32_t)fp;
}

/* ---- Batches ---- */

int corpus_next_batch(struct bg_corpus *c, uint8_t *inputs, uint8_t *targets, size_t B, size_t T,
                      struct bg_error *err)
{
    if (T == 0 || T > c->ctx)
        return bg_fail(err, BG_ERR_INPUT, "batch window T=%zu must be between 1 and ctx=%zu",
                       T, c->ctx);
    for (size_t b = 0; b < B; b++) {
        if (c->streaming && c->drawn >= c->per_chunk) {
            int rc = chunk_refill(c, err);
            if (rc)
                return rc;
        }
        /* A window is T+1 bytes, so it may start anywhere up to len-T-1. */
        size_t start = (size_t)rng_range(&c->rng, c->buf_len - T);
        memcpy(inputs + b * T, c->buf + start, T);
        memcpy(targets + b * T, c->buf + start + 1, T);
        c->drawn++;
    }
    return BG_OK;
}

void corpus_val_batch(const struct bg_corpus *c, uint8_t *inputs, uint8_t *targets, size_t index,
                      size_t n_batches, size_t B, size_t T)
{
    uint64_t K = (uint64_t)n_batches * B;
    uint64_t span = c->val_len - T - 1, denom = K > 1 ? K - 1 : 1;
    for (size_t b = 0; b < B; b++) {
        uint64_t k = (uint64_t)index * B + b;
        size_t start = (size_t)(k * span / denom);
        memcpy(inputs + b * T, c->val_buf + start, T);
        memcpy(targets + b * T, c->val_buf + start + 1, T);
    }
}

/* ---- Position ---- */

void corpus_get_pos(const struct bg_corpus *c, struct bg_corpus_pos *pos)
{
    pos->epoch = c->chunk_start.epoch;
    pos->shard = c->chunk_start.shard;
    pos->offset = c->chunk_start.offset;
    pos->drawn = c->drawn;
    pos->rng = c->rng;
}

static int pos_mismatch(const struct bg_corpus *c, struct bg_error *err)
{
    return bg_fail(err, BG_ERR_INPUT, "saved data-loader position does not fit corpus %s; "
                   "was the corpus or its buffer size changed since it was saved?", c->path);
}

int corpus_set_pos(struct bg_corpus *c, const struct bg_corpus_pos *pos, struct bg_error *err)
{
    if ((pos->rng.inc & 1) == 0)
        return pos_mismatch(c, err);
    if (!c->streaming) {
        /* The whole stream is in memory: only the rng and count matter. */
        if (pos->epoch != 0 || pos->shard != 0 || pos->offset != 0)
            return pos_mismatch(c, err);
    } else {
        if (pos->shard >= c->n_train || pos->drawn > c->per_chunk)
            return pos_mismatch(c, err);
        struct stream_pos at = { pos->epoch, pos->shard, pos->offset };
        reader_seek(&c->rd, at);
        if (at.offset > reader_seg(&c->rd)->len)
            return pos_mismatch(c, err);
        int rc = chunk_fill(c, at, err);
        if (rc)
            return rc;
    }
    c->drawn = pos->drawn;
    c->rng = pos->rng;
    return BG_OK;
}
