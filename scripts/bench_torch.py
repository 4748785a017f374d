"""bench_torch: the PyTorch peer of `bytegpt bench` and `bytegpt train`,
for scripts/bench.sh. The same model (torch_gpt.py), the same step
(forward, backward, clip, AdamW) and the same recipe (random windows from
the first 90% of the corpus, warmup then cosine over the time budget),
so that the two programs can be compared side by side on one machine.

    /usr/bin/python3 scripts/bench_torch.py step --layers 4 --dim 128 --heads 4 --ctx 128 --batch 16 --threads 2
    /usr/bin/python3 scripts/bench_torch.py quality --corpus corpus/moby-dick.txt.gz --budget 300 --threads 2 \
        --layers 4 --dim 128 --heads 4 --ctx 128 --batch 16 --lr 3e-3 --min-lr 3e-4 --warmup 100

Each mode ends with a line `result: key=value ...` that bench.sh reads.
Run it with /usr/bin/python3 (Debian's PyTorch); it is never a build or
test dependency of bytegpt.
"""

import argparse
import gzip
import math
import os
import statistics
import sys
import time

# Set before torch loads: see torch_gpt.py's note on OMP_NUM_THREADS.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_gpt as tg  # noqa: E402


def build(args):
    torch.set_num_threads(args.threads)
    cfg = tg.GPTConfig(n_layer=args.layers, n_head=args.heads, n_embd=args.dim, block_size=args.ctx)
    model = tg.init_gpt2_(tg.GPT(cfg), torch.Generator().manual_seed(1337))
    opt = tg.make_optimizer(model, args.lr, (0.9, 0.95), 0.1)
    return cfg, model, opt


def flops_per_token(cfg):
    n = tg.num_params(cfg.n_layer, cfg.n_embd, cfg.block_size)
    return 6 * n + 6 * cfg.n_layer * cfg.block_size * cfg.n_embd


def train_step(model, opt, x, y, clip):
    opt.zero_grad(set_to_none=True)
    _, loss = model(x, y)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return loss.item()


def mode_step(args):
    cfg, model, opt = build(args)
    g = torch.Generator().manual_seed(1)
    x = torch.randint(0, 256, (args.batch, args.ctx), generator=g)
    y = torch.randint(0, 256, (args.batch, args.ctx), generator=g)
    times = []
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        train_step(model, opt, x, y, 1.0)
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    tok_s = args.batch * args.ctx / med
    gflops = tok_s * flops_per_token(cfg) / 1e9
    print(f"result: ms_per_step={1e3 * med:.3f} tokens_per_s={tok_s:.1f} gflops={gflops:.2f}")


def read_corpus(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


def eval_rule(model, text, ctx, windows):
    """The eval rule (the README's "The eval rule"): the mean next-byte loss over the first N
    non-overlapping windows of ctx bytes from the start of text."""
    n = min(windows, (len(text) - 1) // ctx) if windows else (len(text) - 1) // ctx
    data = torch.tensor(list(text[: n * ctx + 1]), dtype=torch.long)
    total = 0.0
    model.eval()
    with torch.no_grad():
        for s in range(0, n, 16):
            rows = range(s, min(n, s + 16))
            x = torch.stack([data[r * ctx:(r + 1) * ctx] for r in rows])
            y = torch.stack([data[r * ctx + 1:(r + 1) * ctx + 1] for r in rows])
            _, loss = model(x, y)
            total += loss.item() * len(rows)
    model.train()
    return total / n, n


def mode_quality(args):
    cfg, model, opt = build(args)
    text = read_corpus(args.corpus)
    split = len(text) - len(text) // 10  # bytegpt's rule: the last 10% is validation
    train = torch.tensor(list(text[:split]), dtype=torch.uint8)
    val = text[split:]
    g = torch.Generator().manual_seed(1337)
    warmup_done = None
    start = time.perf_counter()
    steps = 0
    while True:
        elapsed = time.perf_counter() - start
        if elapsed >= args.budget:
            break
        progress = elapsed / args.budget
        if steps < args.warmup:
            lr = args.lr * (steps + 1) / args.warmup
        else:
            if warmup_done is None:
                warmup_done = progress
            p = min(1.0, max(0.0, (progress - warmup_done) / max(1e-9, 1 - warmup_done)))
            lr = args.min_lr + (args.lr - args.min_lr) * 0.5 * (1 + math.cos(math.pi * p))
        for group in opt.param_groups:
            group["lr"] = lr
        ix = torch.randint(0, split - args.ctx - 1, (args.batch,), generator=g)
        x = torch.stack([train[i:i + args.ctx] for i in ix]).long()
        y = torch.stack([train[i + 1:i + 1 + args.ctx] for i in ix]).long()
        train_step(model, opt, x, y, 1.0)
        steps += 1
    elapsed = time.perf_counter() - start
    loss, n = eval_rule(model, val, args.ctx, args.windows)
    print(f"trained {steps} steps, {steps * args.batch * args.ctx} tokens in {elapsed:.0f}s")
    print(f"result: steps={steps} tokens_per_s={steps * args.batch * args.ctx / elapsed:.1f} "
          f"val_nats={loss:.4f} val_bpb={loss / math.log(2):.4f} windows={n}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["step", "quality"])
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ctx", type=int, default=128)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps (step) or warmup steps (quality)")
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--min-lr", type=float, default=3e-4)
    ap.add_argument("--corpus")
    ap.add_argument("--budget", type=float, default=300)
    ap.add_argument("--windows", type=int, default=0)
    args = ap.parse_args()
    mode_step(args) if args.mode == "step" else mode_quality(args)


if __name__ == "__main__":
    main()
