/* textfile: see textfile.h. */
#include "bytegpt/textfile.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <zlib.h>

int textfile_open(struct textfile *t, const char *what, const char *path, struct bg_error *err)
{
    *t = (struct textfile){.what = what, .path = path, .nul_at = UINT64_MAX};
    errno = 0;
    t->gz = gzopen(path, "rb");
    if (!t->gz)
        return bg_fail(err, BG_ERR_INPUT, "cannot open %s %s: %s; check its permissions", what, path,
                       errno ? strerror(errno) : "out of memory");
    gzbuffer(t->gz, TEXTFILE_GZ_BUFFER);
    return BG_OK;
}

size_t textfile_read(struct textfile *t, void *buf, size_t n)
{
    if (n > (1u << 30))
        n = 1u << 30;
    int got = gzread(t->gz, buf, (unsigned)n);
    if (got <= 0)
        return 0;
    /* Only the first NUL matters, so the search stops once one is found. */
    const unsigned char *z = t->nul_at == UINT64_MAX ? memchr(buf, 0, (size_t)got) : NULL;
    if (z)
        t->nul_at = t->n + (uint64_t)(z - (const unsigned char *)buf);
    t->n += (uint64_t)got;
    return (size_t)got;
}

int textfile_check(const struct textfile *t, struct bg_error *err)
{
    int zerr = Z_OK;
    const char *zmsg = gzerror(t->gz, &zerr);
    if (zerr == Z_ERRNO)
        return bg_fail(err, BG_ERR_INPUT, "cannot read %s %s: %s; check that it is readable", t->what, t->path,
                       strerror(errno));
    if (zerr != Z_OK)
        return bg_fail(err, BG_ERR_INPUT,
                       "%s %s is %s gzip: zlib says \"%s\" at text byte %" PRIu64
                       " (compressed byte %lld); rebuild or re-download it",
                       t->what, t->path, zerr == Z_BUF_ERROR ? "truncated" : "corrupt",
                       textfile_zlib_message(zmsg, t->path), t->n, (long long)gzoffset(t->gz));
    if (t->nul_at != UINT64_MAX)
        return bg_fail(err, BG_ERR_INPUT,
                       "%s %s is not text: it contains a NUL byte at byte %" PRIu64
                       "; give plain text or gzip-compressed text",
                       t->what, t->path, t->nul_at);
    return BG_OK;
}

void textfile_close(struct textfile *t)
{
    if (t->gz)
        gzclose(t->gz);
    t->gz = NULL;
}

const char *textfile_zlib_message(const char *zmsg, const char *path)
{
    size_t n = strlen(path);
    return strncmp(zmsg, path, n) == 0 && zmsg[n] == ':' && zmsg[n + 1] == ' ' ? zmsg + n + 2 : zmsg;
}
