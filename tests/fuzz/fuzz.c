/* fuzz.c: see fuzz.h. */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static char scratch[64]; /* /dev/shm/bytegpt-fuzz-XXXXXX */

void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", file, line, what);
    abort();
}

/* Removes every file in dir (one level of folders deep), then dir. */
static void remove_tree(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        char p[FUZZ_PATH_MAX + 256];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (unlink(p) != 0 && depth > 0)
            remove_tree(p, depth - 1);
    }
    closedir(d);
    rmdir(dir);
}

static void remove_scratch(void)
{
    remove_tree(scratch, 1);
}

void fuzz_path(char out[FUZZ_PATH_MAX], const char *name)
{
    if (!scratch[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(scratch, sizeof scratch, "%s/bytegpt-fuzz-XXXXXX", base);
        if (!mkdtemp(scratch)) {
            perror("fuzz: cannot make a scratch folder");
            abort();
        }
        atexit(remove_scratch);
    }
    snprintf(out, FUZZ_PATH_MAX, "%s/%s", scratch, name);
}

void fuzz_write(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, n, f) != n || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

void fuzz_write_gz(const char *path, const void *data, size_t n)
{
    /* Level 1: the fastest, since a fuzzer writes one file per input. */
    gzFile gz = gzopen(path, "wb1");
    if (!gz || (n > 0 && gzwrite(gz, data, (unsigned)n) != (int)n) || gzclose(gz) != Z_OK) {
        fprintf(stderr, "fuzz: cannot write %s\n", path);
        abort();
    }
}

void fuzz_empty_dir(const char *path)
{
    remove_tree(path, 0);
    if (mkdir(path, 0700) != 0) {
        perror(path);
        abort();
    }
}

char *fuzz_text(const uint8_t *data, size_t size)
{
    char *t = malloc(size + 1);
    if (!t)
        abort();
    memcpy(t, data, size);
    t[size] = '\0';
    return t;
}

size_t fuzz_split(char *text, char sep, char **parts, size_t max)
{
    size_t n = 0;
    if (max == 0)
        return 0;
    parts[n++] = text;
    for (char *p = text; *p && n < max; p++)
        if (*p == sep) {
            *p = '\0';
            parts[n++] = p + 1;
        }
    return n;
}
