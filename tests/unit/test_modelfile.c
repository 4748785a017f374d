/* modelfile: RUN|CKPT names the right file (best.bin before ckpt.bin), the
 * model opens with the checkpoint's config and weights, and every path
 * that is no checkpoint is refused by name before anything is read: a
 * missing path, a folder with no checkpoint, a FIFO (which would block a
 * reader forever), a folder named best.bin, a truncated file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytegpt/modelfile.h"
#include "bytegpt/settings.h"
#include "test.h"

static char dir[] = "/tmp/bg_modelfile_XXXXXX";

/* The smallest model (L 1, NH 1, C 4, ctx 2), so its checkpoint is small. */
static const struct bg_config tiny = {.L = 1, .NH = 1, .C = 4, .ctx = 2, .V = 256};

/* Writes a checkpoint of the tiny model at dir/name, every parameter
 * equal to value and the step given, so that which file was read shows. */
static void write_ckpt(const char *name, float value, uint64_t step)
{
    char path[512];
    struct bg_error err;
    struct bg_model m;
    struct bg_ckpt_state s;
    memset(&s, 0, sizeof s);
    CHECK(model_init(&m, &tiny, 1, &err) == BG_OK);
    for (size_t i = 0; i < m.num_params; i++)
        m.params[i] = value;
    settings_preset("tiny", &s.cfg, &err);
    s.cfg.model = tiny;
    s.step = step;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK(checkpoint_save(path, &s, &m, &err) == BG_OK);
    model_free(&m);
}

/* Opens and loads path; returns the status, with the message in err. */
static int open_model(const char *path, struct bg_modelfile *mf, struct bg_error *err)
{
    int rc = modelfile_open(mf, path, err);
    return rc ? rc : modelfile_load(mf, 1, err);
}

/* Expects path refused as input, with a message that holds want. */
static void expect_refused(const char *path, const char *want)
{
    struct bg_modelfile mf;
    struct bg_error err = {0};
    CHECK(open_model(path, &mf, &err) == BG_ERR_INPUT);
    CHECK(strstr(err.msg, want) != NULL);
    if (!strstr(err.msg, want))
        printf("  message: %s\n  wanted:  %s\n", err.msg, want);
}

static void test_run_folder_prefers_best(void)
{
    char run[300], file[BG_MODELFILE_PATH_MAX];
    struct bg_error err;
    snprintf(run, sizeof run, "%s/run", dir);
    mkdir(run, 0755);
    write_ckpt("run/ckpt.bin", 1.0f, 20);
    CHECK(modelfile_resolve(run, file, sizeof file, &err) == BG_OK);
    CHECK(strstr(file, "run/ckpt.bin") != NULL);
    write_ckpt("run/best.bin", 2.0f, 10);
    CHECK(modelfile_resolve(run, file, sizeof file, &err) == BG_OK);
    CHECK(strstr(file, "run/best.bin") != NULL);

    /* Opened: the config and the weights of best.bin. */
    struct bg_modelfile mf;
    CHECK(open_model(run, &mf, &err) == BG_OK);
    CHECK(mf.state.step == 10 && mf.model.cfg.C == tiny.C && mf.model.cfg.ctx == tiny.ctx);
    CHECK(mf.model.params[0] == 2.0f && mf.model.params[mf.model.num_params - 1] == 2.0f);
    modelfile_close(&mf);

    /* A checkpoint file given directly is that file. */
    char ckpt[320];
    snprintf(ckpt, sizeof ckpt, "%s/ckpt.bin", run);
    CHECK(open_model(ckpt, &mf, &err) == BG_OK);
    CHECK(mf.state.step == 20 && mf.model.params[0] == 1.0f && strcmp(mf.path, ckpt) == 0);
    modelfile_close(&mf);
}

static void test_refused_paths(void)
{
    char path[300];
    snprintf(path, sizeof path, "%s/missing", dir);
    expect_refused(path, "missing");

    /* A folder with no checkpoint in it. */
    snprintf(path, sizeof path, "%s/empty", dir);
    mkdir(path, 0755);
    expect_refused(path, "is a folder with no checkpoint");

    /* A FIFO: opening it for reading would wait for a writer forever, so
     * this test would hang rather than fail if it were opened. */
    snprintf(path, sizeof path, "%s/fifo", dir);
    CHECK(mkfifo(path, 0644) == 0);
    expect_refused(path, "fifo is not a checkpoint: it is a FIFO");

    /* A run folder whose best.bin is a folder: refused by name, never
     * measured as if it were a file. */
    snprintf(path, sizeof path, "%s/odd", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/odd/best.bin", dir);
    mkdir(path, 0755);
    snprintf(path, sizeof path, "%s/odd", dir);
    expect_refused(path, "odd/best.bin is not a checkpoint: it is a folder");
}

/* Every cut of a real checkpoint (short of the whole) is refused as truncated. */
static void test_truncated(void)
{
    char whole[300], cut[300];
    write_ckpt("whole.bin", 3.0f, 5);
    snprintf(whole, sizeof whole, "%s/whole.bin", dir);
    snprintf(cut, sizeof cut, "%s/cut.bin", dir);
    struct stat st;
    CHECK(stat(whole, &st) == 0);
    const long lengths[] = {0, 8, 100, st.st_size / 2, st.st_size - 1};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
        char cmd[700];
        snprintf(cmd, sizeof cmd, "head -c %ld %s > %s", lengths[i], whole, cut);
        CHECK(system(cmd) == 0);
        expect_refused(cut, "cut.bin is truncated");
    }
}

int main(void)
{
    /* Were the FIFO opened, the test would wait forever; the alarm turns
     * that into a failure (killed by SIGALRM) within a minute. */
    alarm(60);
    CHECK(mkdtemp(dir) != NULL);
    RUN_TEST(test_run_folder_prefers_best);
    RUN_TEST(test_refused_paths);
    RUN_TEST(test_truncated);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK(system(cmd) == 0);
    return TEST_EXIT();
}
