/* main: dispatches `bytegpt COMMAND ...` to the command's entry point,
 * inside the job of processes that mpirun may have started (dist.h). */
#include <stdio.h>
#include <string.h>

#include "bytegpt/blas.h"
#include "bytegpt/dist.h"
#include "cli.h"
#include "machine.h"

static const struct cli_command *const commands[] = {
    &cli_cmd_train, &cli_cmd_sample, &cli_cmd_predict, &cli_cmd_eval, &cli_cmd_plot,
    &cli_cmd_info,  &cli_cmd_export, &cli_cmd_bench,   &cli_cmd_sweep,  &cli_cmd_scaling,
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

int cli_report(const struct bg_error *err)
{
    if (err->msg[0] || dist_size() == 1)
        fprintf(stderr, "error: %s\n", err->msg);
    return err->code ? err->code : BG_ERR_RUNTIME;
}

void cli_print_help(const struct cli_command *cmd)
{
    fputs(cmd->help, stdout);
}

static void print_usage(FILE *out)
{
    fprintf(out,
            "bytegpt: pre-train a byte-level GPT on a text corpus, on the CPU.\n"
            "\n"
            "usage: bytegpt COMMAND [flags]    (bytegpt COMMAND --help for its flags)\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++)
        fprintf(out, "  %-8s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out, "\nexit codes: 0 ok, 1 runtime failure, 2 usage or input error, 130/143 stopped by a signal\n");
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stderr);
        fprintf(stderr, "error: no command given; try bytegpt --help\n");
        return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_usage(stdout);
        return 0;
    }
    /* Only training knows how to share its work; any other command run
     * by several processes would do the same thing several times, or
     * write the same files at once. */
    if (dist_size() > 1 && strcmp(argv[1], "train") != 0) {
        if (dist_rank() == 0)
            fprintf(stderr, "error: only bytegpt train runs as several processes; run bytegpt %s without mpirun\n",
                    argv[1]);
        return 2;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[1], commands[i]->name) == 0)
            return commands[i]->run(argc - 1, argv + 1);
    fprintf(stderr, "error: unknown command '%s'; the commands are listed by bytegpt --help\n", argv[1]);
    return 2;
}

/* `bytegpt --blas-check KERNEL`: the check of one of OpenBLAS's kernels,
 * in the child process blas_check_kernel starts. Its answer is one line
 * on standard output, which the parent reads from a pipe. */
static int blas_check_main(const char *kernel)
{
    struct bg_error err = {0};
    int rc = blas_check_child(kernel, &err);
    printf("%s\n", rc ? err.msg : "ok");
    return rc ? BG_ERR_RUNTIME : 0;
}

int main(int argc, char **argv)
{
    struct bg_error err = {0};
    if (argc == 3 && strcmp(argv[1], BLAS_CHECK_ARG) == 0)
        return blas_check_main(argv[2]);
    /* OpenBLAS's kernels are chosen first, before MPI starts: choosing a
     * better one restarts the program (blas.h). */
    struct bg_blas_choice blas;
    if (blas_choose(argv, &blas, &err))
        return cli_report(&err);
    machine_set_blas(&blas);
    if (dist_init(&argc, &argv, &err))
        return cli_report(&err);
    /* Rank 0 speaks for the job. The others' standard output goes
     * nowhere; they still report on standard error what fails on them
     * alone. */
    if (dist_rank() > 0 && !freopen("/dev/null", "w", stdout))
        return cli_report(&(struct bg_error){BG_ERR_RUNTIME, "cannot open /dev/null"});
    int code = dispatch(argc, argv);
    dist_finalize();
    return code;
}
