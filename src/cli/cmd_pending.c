/* Commands whose issue has not landed yet: each says so with exit 2,
 * and shows its planned flags with --help. */
#include <stdio.h>

#include "args.h"
#include "cli.h"

static int pending(const char *name, int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "error: 'bytegpt %s' is not built yet; it comes in a later release\n", name);
    return 2;
}

#define PENDING(var, cname, summary, usage)                                        \
    static int run_##var(int argc, char **argv)                                   \
    {                                                                              \
        /* The same test as every built command: --help or -h. */                 \
        if (args_wants_help(argc, argv, 1)) {                                      \
            fputs(usage, stdout);                                                  \
            return 0;                                                              \
        }                                                                          \
        return pending(cname, argc, argv);                                         \
    }                                                                              \
    const struct cli_command cli_cmd_##var = {cname, summary, usage, run_##var};

PENDING(sweep, "sweep", "fixed-budget runs over a grid of settings",
        "usage: bytegpt sweep --corpus PATH --time-budget 2m [--grid 'lr=1e-3,3e-3 dim=64,128'] [--out DIR]\n")
