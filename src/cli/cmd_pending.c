/* Commands whose issue has not landed yet: each says so with exit 2,
 * and shows its planned flags with --help. */
#include <stdio.h>

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
        for (int i = 1; i < argc; i++)                                             \
            if (argv[i][0] == '-' && (argv[i][1] == 'h' || argv[i][2] == 'h')) {   \
                fputs(usage, stdout);                                              \
                return 0;                                                          \
            }                                                                      \
        return pending(cname, argc, argv);                                         \
    }                                                                              \
    const struct cli_command cli_cmd_##var = {cname, summary, usage, run_##var};

PENDING(sample, "sample", "generate text from a trained model",
        "usage: bytegpt sample --model RUN|CKPT [--prompt TEXT] [--tokens N] [--temperature T] [--top-k K] [--seed S]\n")
PENDING(predict, "predict", "show the next-byte probabilities (the teaching view)",
        "usage: bytegpt predict --model RUN|CKPT --prompt TEXT [--top-k K] [--per-byte]\n")
PENDING(eval, "eval", "score a text: nats and bits per byte, beside gzip",
        "usage: bytegpt eval --model RUN|CKPT --text FILE [--windows N]\n")
PENDING(plot, "plot", "plot and compare loss logs (terminal or SVG)",
        "usage: bytegpt plot LOG.csv [LOG2.csv ...] [--svg FILE]\n")
PENDING(export, "export", "write a model as safetensors for PyTorch",
        "usage: bytegpt export --model RUN|CKPT --safetensors FILE\n")
PENDING(bench, "bench", "measure sgemm peak, step time, tokens/s and MFU",
        "usage: bytegpt bench [model flags] [--batch B] [--threads N]\n")
PENDING(sweep, "sweep", "fixed-budget runs over a grid of settings",
        "usage: bytegpt sweep --corpus PATH --time-budget 2m [--grid 'lr=1e-3,3e-3 dim=64,128'] [--out DIR]\n")
