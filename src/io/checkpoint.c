/* checkpoint: see checkpoint.h for the layout and the guarantees. */
#include "bytegpt/checkpoint.h"
#include "bytegpt/fsutil.h"

#include <errno.h>
#include <sys/stat.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

/* ---- The state record: fixed-width fields, one after another ---- */

/* The record is a sequence of 8-byte fields, each a uint64 or a double
 * (stored as its bits), in the order of ckpt_fields. Writing and reading
 * walk the same list, so the two can never disagree. */
#define HEADER_BYTES 24
#define N_FIELDS 50
#define N_FIELDS_V2 38 /* version 2 had the fields up to the recipe's */
#define N_FIELDS_V3 49 /* version 3 had those up to the FLOP budget */

enum field_kind { U64, SIZE, F64, INT };
struct field {
    enum field_kind kind;
    void *p;
};

static void ckpt_fields(struct bg_ckpt_state *s, struct field f[N_FIELDS])
{
    struct bg_train_config *c = &s->cfg;
    struct field list[N_FIELDS] = {
        {SIZE, &c->model.L}, {SIZE, &c->model.NH}, {SIZE, &c->model.C}, {SIZE, &c->model.ctx},
        {SIZE, &c->model.V}, {SIZE, &c->batch}, {SIZE, &c->accum}, {U64, &c->steps},
        {F64, &c->time_budget}, {F64, &c->lr}, {F64, &c->min_lr}, {U64, &c->warmup},
        {F64, &c->weight_decay}, {F64, &c->beta1}, {F64, &c->beta2}, {F64, &c->clip},
        {U64, &c->eval_every}, {U64, &c->eval_batches}, {U64, &c->sample_every}, {U64, &c->ckpt_every},
        {U64, &c->seed}, {INT, &c->threads},
        {U64, &s->step}, {U64, &s->tokens}, {F64, &s->elapsed}, {F64, &s->warmup_progress},
        {F64, &s->best_val},
        {U64, &s->pos.epoch}, {U64, &s->pos.shard}, {U64, &s->pos.offset}, {U64, &s->pos.drawn},
        {U64, &s->pos.rng.state}, {U64, &s->pos.rng.inc},
        {U64, &s->sample_rng.state}, {U64, &s->sample_rng.inc},
        {U64, &s->corpus_bytes}, {U64, &s->corpus_fingerprint}, {U64, &s->ranks},
        {INT, &c->model.norm}, {INT, &c->model.pos}, {INT, &c->model.qk_norm}, {INT, &c->model.act},
        {INT, &c->model.head}, {INT, &c->model.bigram}, {F64, &c->model.softcap},
        {INT, &c->optim}, {F64, &c->muon_lr}, {INT, &c->schedule}, {F64, &c->decay},
        {F64, &c->flop_budget},
    };
    memcpy(f, list, sizeof list);
}

static void put_u64(unsigned char *b, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        b[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t get_u64(const unsigned char *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)b[i] << (8 * i);
    return v;
}

static void record_write(unsigned char *b, const struct bg_ckpt_state *s)
{
    struct field f[N_FIELDS];
    ckpt_fields((struct bg_ckpt_state *)s, f);
    for (int i = 0; i < N_FIELDS; i++) {
        uint64_t v = 0;
        if (f[i].p && f[i].kind == U64)
            v = *(uint64_t *)f[i].p;
        else if (f[i].p && f[i].kind == SIZE)
            v = *(size_t *)f[i].p;
        else if (f[i].p && f[i].kind == INT)
            v = (uint64_t)(int64_t)*(int *)f[i].p;
        else if (f[i].p)
            memcpy(&v, f[i].p, 8);
        put_u64(b + 8 * i, v);
    }
}

/* Reads the first n fields; a version 2 record stops before the recipe,
 * whose fields then keep GPT-2's choices (zero) and the defaults, and a
 * version 3 record before the FLOP budget, which stays 0 (none): its run
 * was counted in steps or time. */
static void record_read(const unsigned char *b, struct bg_ckpt_state *s, int n)
{
    struct field f[N_FIELDS];
    memset(s, 0, sizeof *s);
    s->cfg.muon_lr = BG_MUON_LR_DEFAULT;
    s->cfg.decay = BG_DECAY_DEFAULT;
    ckpt_fields(s, f);
    for (int i = 0; i < n; i++) {
        uint64_t v = get_u64(b + 8 * i);
        if (f[i].p && f[i].kind == U64)
            *(uint64_t *)f[i].p = v;
        else if (f[i].p && f[i].kind == SIZE)
            *(size_t *)f[i].p = (size_t)v;
        else if (f[i].p && f[i].kind == INT)
            *(int *)f[i].p = (int)(int64_t)v;
        else if (f[i].p)
            memcpy(f[i].p, &v, 8);
    }
}

/* The floats are written as they sit in memory, which is the file's
 * little-endian order only on a little-endian machine. */
static int host_is_little_endian(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one == 1;
}

/* The fixed part: header, record, the parameter count N and the length
 * of the corpus path that follows it. Its size depends on the version
 * (the record's fields); HEAD_BYTES is the largest. */
#define HEAD_BYTES (HEADER_BYTES + N_FIELDS * 8 + 16)

static int record_fields(uint32_t version)
{
    return version == 2 ? N_FIELDS_V2 : version == 3 ? N_FIELDS_V3 : N_FIELDS;
}

static size_t head_bytes(uint32_t version)
{
    return HEADER_BYTES + (size_t)record_fields(version) * 8 + 16;
}

static uint64_t file_size(uint32_t version, size_t n_params, uint64_t path_len)
{
    return head_bytes(version) + path_len + 3 * (uint64_t)n_params * sizeof(float);
}

/* ---- Saving ---- */

/* The fixed part of the file, CRC and version left for the caller. */
static void head_write(unsigned char *head, const struct bg_ckpt_state *s, size_t n, uint64_t path_len)
{
    memcpy(head, BG_CKPT_MAGIC, 8);
    put_u64(head + 16, file_size(BG_CKPT_VERSION, n, path_len));
    record_write(head + HEADER_BYTES, s);
    put_u64(head + HEADER_BYTES + N_FIELDS * 8, n);
    put_u64(head + HEADER_BYTES + N_FIELDS * 8 + 8, path_len);
}

int checkpoint_save(const char *path, const struct bg_ckpt_state *s, const struct bg_model *m,
                    struct bg_error *err)
{
    if (!host_is_little_endian())
        return bg_fail(err, BG_ERR_RUNTIME, "checkpoints are little-endian; this machine is not");
    size_t n = m->num_params, bytes = n * sizeof(float), path_len = strnlen(s->corpus, sizeof s->corpus);
    unsigned char head[HEAD_BYTES];
    head_write(head, s, n, path_len);

    /* The CRC covers everything after its own field: offset 16 on. */
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, head + 16, (uInt)(sizeof head - 16));
    crc = crc32(crc, (const Bytef *)s->corpus, (uInt)path_len);
    const float *arrays[3] = {m->params, m->m, m->v};
    for (int a = 0; a < 3; a++)
        crc = crc32_z(crc, (const Bytef *)arrays[a], bytes);
    uint32_t version = BG_CKPT_VERSION, crc32v = (uint32_t)crc;
    for (int i = 0; i < 4; i++) {
        head[8 + i] = (unsigned char)(version >> (8 * i));
        head[12 + i] = (unsigned char)(crc32v >> (8 * i));
    }

    struct bg_atomic_file f;
    int rc = fsutil_atomic_open(&f, path, "checkpoint", err);
    if (!rc) {
        fsutil_atomic_write(&f, head, sizeof head);
        fsutil_atomic_write(&f, s->corpus, path_len);
        for (int a = 0; a < 3; a++)
            fsutil_atomic_write(&f, arrays[a], bytes);
        rc = fsutil_atomic_commit(&f, err);
    }
    /* A checkpoint goes into a run folder this program made and checked
     * when the run began, so a save that fails later (a full disk, a
     * folder removed under a running training) is the machine's failure,
     * never a flag the user could fix: exit 1, whatever the errno. */
    if (rc && err)
        err->code = BG_ERR_RUNTIME;
    return rc ? BG_ERR_RUNTIME : BG_OK;
}

/* ---- Loading ---- */

/* Opens a checkpoint file for reading, refusing what cannot be one: a
 * folder or a FIFO (whose "size" would otherwise be reported). */
static FILE *open_checkpoint(const char *path, struct bg_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        bg_fail(err, BG_ERR_INPUT, "cannot open checkpoint %s: %s", path, strerror(errno));
        return NULL;
    }
    if (S_ISDIR(st.st_mode)) {
        bg_fail(err, BG_ERR_INPUT, "%s is a folder with no checkpoint (ckpt.bin or best.bin)", path);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        bg_fail(err, BG_ERR_INPUT, "%s is not a checkpoint (not a regular file)", path);
        return NULL;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        bg_fail(err, BG_ERR_INPUT, "cannot open checkpoint %s: %s", path, strerror(errno));
    return f;
}

/* Reads the header, record and corpus path and checks what can be
 * checked without the tensors: magic, version, the size the header
 * states against the file's real size and against the size the record
 * implies. Sets *head_len to the fixed part's size, which the version
 * decides: version 2 (before the recipe settings) still loads, as GPT-2,
 * and version 3 (before the FLOP budget) as a run without one. */
static int read_head(FILE *f, const char *path, unsigned char *head, size_t *head_len, struct bg_ckpt_state *s,
                     struct bg_error *err)
{
    if (fseek(f, 0, SEEK_END) != 0)
        return bg_fail(err, BG_ERR_INPUT, "cannot read checkpoint %s: %s", path, strerror(errno));
    long real = ftell(f);
    rewind(f);
    size_t got = fread(head, 1, HEADER_BYTES, f);
    if (got >= 8 && memcmp(head, BG_CKPT_MAGIC, 8) != 0)
        return bg_fail(err, BG_ERR_INPUT, "%s is not a bytegpt checkpoint (wrong magic)", path);
    uint32_t version = got == HEADER_BYTES ? (uint32_t)(get_u64(head + 8) & 0xffffffffu) : BG_CKPT_VERSION;
    if (got == HEADER_BYTES && (version < 2 || version > BG_CKPT_VERSION))
        return bg_fail(err, BG_ERR_INPUT,
                       "checkpoint %s has format version %u; this bytegpt reads versions 2 to %u", path, version,
                       BG_CKPT_VERSION);
    *head_len = head_bytes(version);
    got += fread(head + got, 1, *head_len - got, f);
    if (got < *head_len)
        return bg_fail(err, BG_ERR_INPUT, "checkpoint %s is truncated (%ld bytes, the header alone needs %zu)",
                       path, real, *head_len);
    int fields = record_fields(version);
    record_read(head + HEADER_BYTES, s, fields);
    uint64_t n = get_u64(head + HEADER_BYTES + fields * 8), stated = get_u64(head + 16);
    uint64_t path_len = get_u64(head + HEADER_BYTES + fields * 8 + 8);
    struct bg_error cfg_err;
    if (config_validate(&s->cfg.model, &cfg_err) != BG_OK || config_num_params(&s->cfg.model) != n ||
        path_len >= sizeof s->corpus || stated != file_size(version, n, path_len))
        return bg_fail(err, BG_ERR_INPUT, "checkpoint %s is corrupt (its header is inconsistent)", path);
    if ((uint64_t)real != stated)
        return bg_fail(err, BG_ERR_INPUT, "checkpoint %s is truncated or damaged: %ld bytes, expected %llu",
                       path, real, (unsigned long long)stated);
    if (fread(s->corpus, 1, path_len, f) != path_len)
        return bg_fail(err, BG_ERR_INPUT, "checkpoint %s is truncated", path);
    s->corpus[path_len] = '\0';
    return BG_OK;
}

int checkpoint_peek(const char *path, struct bg_ckpt_state *s, struct bg_error *err)
{
    FILE *f = open_checkpoint(path, err);
    if (!f)
        return err ? err->code : BG_ERR_INPUT;
    unsigned char head[HEAD_BYTES];
    size_t head_len;
    int rc = read_head(f, path, head, &head_len, s, err);
    fclose(f);
    return rc;
}

int checkpoint_load(const char *path, struct bg_ckpt_state *s, struct bg_model *m, struct bg_error *err)
{
    if (!host_is_little_endian())
        return bg_fail(err, BG_ERR_RUNTIME, "checkpoints are little-endian; this machine is not");
    FILE *f = open_checkpoint(path, err);
    if (!f)
        return err ? err->code : BG_ERR_INPUT;
    unsigned char head[HEAD_BYTES];
    size_t head_len;
    int rc = read_head(f, path, head, &head_len, s, err);
    if (rc)
        goto out;
    if (config_num_params(&s->cfg.model) != m->num_params) {
        rc = bg_fail(err, BG_ERR_INPUT, "checkpoint %s holds a different model than the one built for it", path);
        goto out;
    }
    size_t bytes = m->num_params * sizeof(float);
    float *arrays[3] = {m->params, m->m, m->v};
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, head + 16, (uInt)(head_len - 16));
    crc = crc32(crc, (const Bytef *)s->corpus, (uInt)strlen(s->corpus));
    for (int a = 0; a < 3; a++) {
        if (fread(arrays[a], 1, bytes, f) != bytes) {
            rc = bg_fail(err, BG_ERR_INPUT, "checkpoint %s is truncated", path);
            goto out;
        }
        crc = crc32_z(crc, (const Bytef *)arrays[a], bytes);
    }
    uint32_t stored = (uint32_t)(get_u64(head + 8) >> 32);
    if ((uint32_t)crc != stored)
        rc = bg_fail(err, BG_ERR_INPUT,
                     "checkpoint %s is damaged: CRC32 %08x, expected %08x; use an earlier checkpoint (best.bin?)",
                     path, (unsigned)crc, (unsigned)stored);
out:
    fclose(f);
    return rc;
}
