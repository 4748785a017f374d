/* cli: the bytegpt program. Only this folder prints to the terminal or
 * chooses exit codes: 0 success, 1 runtime failure, 2 usage or input
 * error, 130/143 stopped by SIGINT/SIGTERM. */
#ifndef BYTEGPT_CLI_H
#define BYTEGPT_CLI_H

#include "bytegpt/error.h"

/* One subcommand: its name, a one-line summary, its help, and its entry. */
struct cli_command {
    const char *name;
    const char *summary;
    const char *help;
    int (*run)(int argc, char **argv); /* argv[0] is the command name */
};

/* Prints "error: <msg>" on standard error and returns err->code as the
 * exit code (1 when the code is not set). In a run of several processes
 * an empty message prints nothing: it stands for the failure of another
 * process, which that one reported. */
int cli_report(const struct bg_error *err);

/* Prints a command's help on standard output. */
void cli_print_help(const struct cli_command *cmd);

extern const struct cli_command cli_cmd_train, cli_cmd_sample, cli_cmd_eval, cli_cmd_plot,
    cli_cmd_info, cli_cmd_export, cli_cmd_bench, cli_cmd_predict, cli_cmd_sweep, cli_cmd_scaling;

#endif
