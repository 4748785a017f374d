/* corpus_files: finding a corpus' files, scanning each once, and
 * splitting them into training and validation (corpus_files.h; the rules
 * are in corpus.h and corpus/README.md). */
#include "corpus_files.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- Finding the files ---- */

static int add_file(struct corpus_files *fs, char *path, struct bg_error *err)
{
    struct corpus_file *grown = realloc(fs->files, (fs->n_files + 1) * sizeof *grown);
    if (!grown) {
        free(path);
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory listing corpus files");
    }
    fs->files = grown;
    fs->files[fs->n_files++] = (struct corpus_file){ .path = path };
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
static int add_entry(struct corpus_files *fs, const char *dir, const char *name,
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
    return add_file(fs, p, err);
}

static int cmp_files(const void *a, const void *b)
{
    /* All paths share the folder prefix, so this orders by file name. */
    return strcmp(((const struct corpus_file *)a)->path, ((const struct corpus_file *)b)->path);
}

static int list_folder(const char *path, struct corpus_files *fs, struct bg_error *err)
{
    int rc = BG_OK;
    DIR *d = opendir(path);
    if (!d)
        return bg_fail(err, BG_ERR_INPUT, "cannot read corpus folder %s: %s; check its permissions",
                       path, strerror(errno));
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        rc = add_entry(fs, path, e->d_name, err);
        if (rc)
            goto out;
    }
    if (fs->n_files == 0) {
        rc = bg_fail(err, BG_ERR_INPUT,
                     "corpus folder %s holds no shards; put text or .gz files in it "
                     "(names starting with '.' and subfolders are ignored)", path);
        goto out;
    }
    qsort(fs->files, fs->n_files, sizeof *fs->files, cmp_files);
out:
    closedir(d);
    return rc;
}

/* A path is a single file or a folder of shards; anything else is refused
 * before it is opened, since opening a FIFO would wait for a writer. */
int corpus_list_files(const char *path, struct corpus_files *fs, struct bg_error *err)
{
    *fs = (struct corpus_files){0};
    struct stat st;
    if (stat(path, &st) != 0)
        return bg_fail(err, BG_ERR_INPUT, "cannot read corpus %s: %s; check the path, "
                       "or build a corpus with scripts/get_corpus.sh", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        fs->is_folder = 1;
        return list_folder(path, fs, err);
    }
    if (!S_ISREG(st.st_mode))
        return bg_fail(err, BG_ERR_INPUT, "corpus %s is not a regular file or a folder "
                       "(a FIFO, device or socket); give a text or .gz file, or a folder of them",
                       path);
    char *p = strdup(path);
    if (!p)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory listing corpus files");
    return add_file(fs, p, err);
}

void corpus_files_free(struct corpus_files *fs)
{
    for (size_t i = 0; i < fs->n_files; i++)
        free(fs->files[i].path);
    free(fs->files);
    *fs = (struct corpus_files){0};
}

/* ---- Scanning: every file read once, completely ---- */

/* Reads a whole file through zlib to learn its text size, its CRC32 (free
 * here, since every byte passes through anyway) and whether it is
 * undamaged text, not empty. */
int corpus_scan_file(struct corpus_file *f, struct bg_error *err)
{
    struct stat st;
    if (stat(f->path, &st) != 0)
        return bg_fail(err, BG_ERR_INPUT, "cannot read corpus file %s: %s", f->path, strerror(errno));
    f->disk = (uint64_t)st.st_size;
    struct textfile t;
    int rc = textfile_open(&t, "corpus file", f->path, err);
    if (rc)
        return rc;
    unsigned char buf[1 << 16];
    uLong sum = crc32(0L, Z_NULL, 0);
    for (size_t got; (got = textfile_read(&t, buf, sizeof buf)) > 0;)
        sum = crc32(sum, buf, (uInt)got);
    f->crc = (uint32_t)sum;
    rc = textfile_check(&t, err);
    if (rc == BG_OK && t.n == 0)
        rc = bg_fail(err, BG_ERR_INPUT, "corpus file %s is empty; remove it or give a file with text",
                     f->path);
    textfile_close(&t);
    f->bytes = t.n;
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

static int split_folder(const char *path, const struct corpus_files *fs, struct corpus_split *sp,
                        struct bg_error *err)
{
    size_t n = fs->n_files;
    if (n == 1)
        return bg_fail(err, BG_ERR_INPUT,
                       "corpus folder %s holds a single shard (%s), which cannot hold a validation "
                       "part; give that file itself as the corpus, or add shards", path,
                       fs->files[0].path);
    sp->train = malloc(n * sizeof *sp->train);
    sp->val = malloc(n * sizeof *sp->val);
    if (!sp->train || !sp->val)
        return bg_fail(err, BG_ERR_RUNTIME, "out of memory splitting the corpus");
    for (size_t i = 0; i < n; i++) {
        struct segment s = { .file = i, .start = 0, .len = fs->files[i].bytes };
        if (is_val_shard(i, n))
            sp->val[sp->n_val++] = s;
        else
            sp->train[sp->n_train++] = s;
    }
    return BG_OK;
}

int corpus_split(const char *path, const struct corpus_files *fs, size_t ctx, struct corpus_split *sp,
                 struct bg_error *err)
{
    *sp = (struct corpus_split){0};
    if (fs->is_folder) {
        int rc = split_folder(path, fs, sp, err);
        if (rc)
            return rc;
    } else {
        /* train = total - floor(total/10) bytes: validation gets the
         * rounding, so a file of 19 bytes trains on 18 and validates on 1. */
        uint64_t total = fs->files[0].bytes, val = total / 10;
        sp->train = malloc(sizeof *sp->train);
        sp->val = malloc(sizeof *sp->val);
        if (!sp->train || !sp->val)
            return bg_fail(err, BG_ERR_RUNTIME, "out of memory splitting the corpus");
        sp->train[0] = (struct segment){ .file = 0, .start = 0, .len = total - val };
        sp->val[0] = (struct segment){ .file = 0, .start = total - val, .len = val };
        sp->n_train = sp->n_val = 1;
    }
    sp->train_bytes = stream_bytes(sp->train, sp->n_train);
    sp->val_bytes = stream_bytes(sp->val, sp->n_val);
    if (sp->train_bytes < ctx + 1 || sp->val_bytes < ctx + 1)
        return bg_fail(err, BG_ERR_INPUT,
                       "corpus %s is too small for ctx %zu: %" PRIu64 " training and %" PRIu64
                       " validation bytes, each needs at least %zu; use more text or a smaller ctx",
                       path, ctx, sp->train_bytes, sp->val_bytes, ctx + 1);
    return BG_OK;
}

void corpus_split_free(struct corpus_split *sp)
{
    free(sp->train);
    free(sp->val);
    *sp = (struct corpus_split){0};
}

