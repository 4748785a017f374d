/* run_dist: a run of several processes (see run_dist.h). */
#include "run_dist.h"

#include <string.h>
#include <zlib.h>

#include "bytegpt/dist.h"

int run_dist_agree(int rc, struct bg_error *err)
{
    if (dist_size() == 1)
        return rc;
    /* The worst status, and rank 0's. */
    double v[2] = {rc, dist_rank() == 0 ? rc : 0};
    dist_max_doubles(v, 2);
    int worst = (int)v[0], rank0 = (int)v[1];
    /* Rank 0 speaks for the job: when it failed too (every rank failing
     * alike, say, to open a corpus that is missing), the others keep
     * quiet. */
    if (err && dist_rank() > 0 && (!rc || rank0))
        err->msg[0] = '\0';
    if (!rc && err)
        err->code = worst;
    return rc ? rc : worst;
}

int run_dist_check_ranks(const struct bg_run *r, struct bg_error *err)
{
    unsigned long long had = r->state.ranks;
    int have = dist_size();
    if (had == (unsigned long long)have)
        return BG_OK;
    if (had == 1)
        return bg_fail(err, BG_ERR_INPUT,
                       "the run in %s was trained by 1 process; this run has %d: resume it without mpirun", r->out,
                       have);
    return bg_fail(err, BG_ERR_INPUT, "the run in %s was trained by %llu processes; this run has %d: resume with mpirun -np %llu",
                   r->out, had, have, had);
}

int run_dist_share_config(struct bg_run *r, struct bg_train_config *cfg, int rc, struct bg_error *err)
{
    if (dist_size() == 1 || (rc = run_dist_agree(rc, err)))
        return rc;
    dist_broadcast(cfg, sizeof *cfg);
    dist_broadcast(&r->state, sizeof r->state);
    return BG_OK;
}

/* ---- The model ---- */

static uint32_t params_crc(const struct bg_model *m)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    return (uint32_t)crc32_z(crc, (const Bytef *)m->params, m->num_params * sizeof(float));
}

/* The corpus this rank opened must be the one rank 0 opened (whose size
 * and fingerprint r->state holds): each machine reads its own copy. */
static int check_corpus(const struct bg_run *r, struct bg_error *err)
{
    const struct bg_corpus_info *in = &r->corpus_info;
    if (in->fingerprint == r->state.corpus_fingerprint && in->total_bytes == r->state.corpus_bytes)
        return BG_OK;
    return bg_fail(err, BG_ERR_INPUT,
                   "rank %d reads another text at %s than rank 0 does (%llu bytes, fingerprint %08x; rank 0's: "
                   "%llu bytes, %08x): every machine needs the same corpus at the same path",
                   dist_rank(), r->state.corpus, (unsigned long long)in->total_bytes, (unsigned)in->fingerprint,
                   (unsigned long long)r->state.corpus_bytes, (unsigned)r->state.corpus_fingerprint);
}

/* What a rank other than 0 takes from rank 0's state once it holds it. */
static int follow(struct bg_run *r, int copy, uint32_t crc, uint32_t crc0, struct bg_error *err)
{
    struct bg_trainer *t = &r->trainer;
    int rc = check_corpus(r, err);
    if (!rc && !copy && crc != crc0)
        rc = bg_fail(err, BG_ERR_RUNTIME,
                     "the initial weights of rank %d differ from rank 0's (CRC32 %08x, rank 0's %08x): every "
                     "process must run the same bytegpt build on the same kind of machine",
                     dist_rank(), (unsigned)crc, (unsigned)crc0);
    if (!rc && r->resumed) {
        t->step = r->state.step;
        t->tokens = r->state.tokens;
        rc = corpus_set_pos(t->corpus, &r->state.pos, err);
    }
    return rc;
}

int run_dist_share_model(struct bg_run *r, int copy, int rc, struct bg_error *err)
{
    if (dist_size() == 1 || (rc = run_dist_agree(rc, err)))
        return rc;
    struct bg_model *m = &r->trainer.model;
    size_t bytes = m->num_params * sizeof(float);
    /* Collective calls first, on every rank alike; then each rank's own
     * checks, whose outcome all agree on. */
    dist_broadcast(&r->state, sizeof r->state);
    uint32_t crc = params_crc(m), crc0 = crc;
    dist_broadcast(&crc0, sizeof crc0);
    if (copy) {
        dist_broadcast(m->params, bytes);
        dist_broadcast(m->m, bytes);
        dist_broadcast(m->v, bytes);
    }
    if (!r->writer)
        rc = follow(r, copy, crc, crc0, err);
    return run_dist_agree(rc, err);
}

/* ---- The loop ---- */

void run_dist_agree_step(struct bg_run *r, double elapsed)
{
    if (dist_size() == 1)
        return; /* one process decides by its own clock and flag */
    double v[2] = {elapsed, r->stop ? (double)*r->stop : 0.0};
    dist_max_doubles(v, 2);
    r->agreed_elapsed = v[0];
    r->agreed_stop = (int)v[1];
    /* Every rank stops as if it had received the signal itself, and exits
     * with its code. */
    if (r->stop && r->agreed_stop)
        *r->stop = r->agreed_stop;
}
