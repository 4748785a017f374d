/* fsutil: the one atomic write. The old file stays readable until the
 * commit and the new one replaces it whole; an abort, a missing folder, a
 * folder in the way and a full disk all leave the old file and no .tmp,
 * with the right status and a message that names the file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytegpt/fsutil.h"
#include "test.h"

static char dir[] = "/tmp/bg_fsutil_XXXXXX";

static int exists(const char *path)
{
    return access(path, F_OK) == 0;
}

/* Writes text to path directly: the "old" file a test replaces. */
static void put_old(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
}

/* path.tmp, the temporary file fsutil writes beside path. */
static const char *tmp_of(const char *path)
{
    static char tmp[512];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    return tmp;
}

static void test_commit_replaces_atomically(void)
{
    char path[256], buf[256];
    snprintf(path, sizeof path, "%s/file.txt", dir);
    put_old(path, "old content");
    struct bg_atomic_file a;
    struct bg_error err = {0};
    CHECK(fsutil_atomic_open(&a, path, "test file", &err) == BG_OK);
    CHECK(fsutil_atomic_write(&a, "new ", 4) == 0);
    CHECK(fsutil_atomic_write(&a, "content, longer", 15) == 0);
    fflush(a.f);
    /* Until the commit a reader sees the old file, whole. */
    CHECK(test_read_file(path, buf, sizeof buf) == 11 && strcmp(buf, "old content") == 0);
    CHECK(exists(tmp_of(path)));
    CHECK(fsutil_atomic_commit(&a, &err) == BG_OK);
    CHECK(test_read_file(path, buf, sizeof buf) == 19 && strcmp(buf, "new content, longer") == 0);
    CHECK(!exists(tmp_of(path)));
    CHECK(a.f == NULL);

    /* fsutil_write_file is the same in one call. */
    CHECK(fsutil_write_file(path, "short", 5, "test file", &err) == BG_OK);
    CHECK(test_read_file(path, buf, sizeof buf) == 5 && strcmp(buf, "short") == 0);
    CHECK(!exists(tmp_of(path)));
    remove(path);
}

static void test_abort_keeps_old(void)
{
    char path[256], buf[256];
    snprintf(path, sizeof path, "%s/kept.txt", dir);
    put_old(path, "old content");
    struct bg_atomic_file a;
    struct bg_error err = {0};
    CHECK(fsutil_atomic_open(&a, path, "test file", &err) == BG_OK);
    fsutil_atomic_write(&a, "never committed", 15);
    fsutil_atomic_abort(&a);
    CHECK(test_read_file(path, buf, sizeof buf) == 11 && strcmp(buf, "old content") == 0);
    CHECK(!exists(tmp_of(path)));
    fsutil_atomic_abort(&a); /* a second abort is harmless */
    remove(path);
}

/* Paths the user can fix are BG_ERR_INPUT and name the path; nothing is
 * created. */
static void test_bad_paths_are_input_errors(void)
{
    char path[300];
    struct bg_atomic_file a;
    struct bg_error err = {0};
    snprintf(path, sizeof path, "%s/no/such/folder/f.txt", dir);
    CHECK(fsutil_atomic_open(&a, path, "test file", &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, path) != NULL && strstr(err.msg, "test file") != NULL);
    CHECK(fsutil_write_file(path, "x", 1, "test file", &err) == BG_ERR_INPUT);
    CHECK(!exists(path) && !exists(tmp_of(path)));

    /* A folder where the file should be: the rename fails at commit. */
    char folder[300];
    snprintf(folder, sizeof folder, "%s/a_folder", dir);
    CHECK(mkdir(folder, 0755) == 0);
    CHECK(fsutil_write_file(folder, "x", 1, "test file", &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, folder) != NULL);
    struct stat st;
    CHECK(stat(folder, &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(!exists(tmp_of(folder)));
    rmdir(folder);

    char longer[5000];
    memset(longer, 'a', sizeof longer - 1);
    longer[sizeof longer - 1] = '\0';
    CHECK(fsutil_atomic_open(&a, longer, "test file", &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, "too long") != NULL);
}

static void test_errno_status(void)
{
    const int input[] = {ENOENT, ENOTDIR, EACCES, EPERM, EISDIR, EROFS, ENAMETOOLONG, ELOOP};
    for (size_t i = 0; i < sizeof input / sizeof input[0]; i++)
        CHECK(fsutil_errno_status(input[i]) == BG_ERR_INPUT);
    CHECK(fsutil_errno_status(ENOSPC) == BG_ERR_RUNTIME);
    CHECK(fsutil_errno_status(EIO) == BG_ERR_RUNTIME);
    CHECK(fsutil_errno_status(EDQUOT) == BG_ERR_RUNTIME);
}

/* A real full disk: a 64 KiB tmpfs. The writes fail long before the
 * commit; the commit reports the disk's own errno, keeps the old file and
 * leaves no .tmp. Mounting needs root; elsewhere the case is skipped. */
static void test_full_disk_keeps_old(void)
{
    char mnt[256], path[300], fresh[300], buf[256];
    snprintf(mnt, sizeof mnt, "%s/full", dir);
    mkdir(mnt, 0755);
    if (mount("tmpfs", mnt, "tmpfs", 0, "size=64k") != 0) {
        printf("  SKIP: the full-disk case needs root to mount a tmpfs (%s)\n", strerror(errno));
        rmdir(mnt);
        return;
    }
    snprintf(path, sizeof path, "%s/file.txt", mnt);
    put_old(path, "old content");
    size_t big = 256 * 1024;
    char *data = calloc(big, 1);
    struct bg_error err = {0};
    CHECK(data != NULL && fsutil_write_file(path, data, big, "test file", &err) == BG_ERR_RUNTIME);
    CHECK(strstr(err.msg, path) != NULL && strstr(err.msg, strerror(ENOSPC)) != NULL);
    CHECK(strstr(err.msg, "(the previous test file is intact)") != NULL);
    CHECK(test_read_file(path, buf, sizeof buf) == 11 && strcmp(buf, "old content") == 0);
    CHECK(!exists(tmp_of(path)));

    /* A new file: no "previous" to speak of, and nothing left behind. */
    snprintf(fresh, sizeof fresh, "%s/fresh.txt", mnt);
    CHECK(data != NULL && fsutil_write_file(fresh, data, big, "test file", &err) == BG_ERR_RUNTIME);
    CHECK(strstr(err.msg, strerror(ENOSPC)) != NULL && strstr(err.msg, "previous") == NULL);
    CHECK(!exists(fresh) && !exists(tmp_of(fresh)));
    free(data);
    CHECK(umount(mnt) == 0);
    rmdir(mnt);
}

int main(void)
{
    if (!mkdtemp(dir))
        return 1;
    RUN_TEST(test_commit_replaces_atomically);
    RUN_TEST(test_abort_keeps_old);
    RUN_TEST(test_bad_paths_are_input_errors);
    RUN_TEST(test_errno_status);
    RUN_TEST(test_full_disk_keeps_old);
    rmdir(dir);
    return TEST_EXIT();
}
