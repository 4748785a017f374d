"""make_reference: writes the answers a PyTorch implementation of bytegpt's
model (scripts/torch_gpt.py, scripts/torch_optim.py) gives for tiny models,
for the C tests to match:

    tests/fixtures/reference_tiny.bin     GPT-2's settings, AdamW  (tests/unit/test_model.c)
    tests/fixtures/reference_modern.bin   every other setting on, Muon (tests/unit/test_model_modern.c)

    /usr/bin/python3 scripts/make_reference.py [--fixtures tests/fixtures]

Both use L=2, NH=2, C=32, ctx=16 and batches of B=2 rows of T=16 bytes, and
are deterministic byte for byte. The parameters start from bytegpt's init
(seeded), and then every bias and norm gain is moved to a small random
nonzero value (gains 1 + 0.1 randn, biases 0.05 randn), and in the modern
model also every tensor bytegpt initialises to zero (the untied head, the
blocks' output projections, the bigram rows the batches use): with zero or
unit values, a kernel that forgot a bias, a gain or a tensor would still
pass. Each batch is B*(T+1) random bytes, each row's targets being its
inputs shifted by one.

Everything is computed in float64 from the float32 initial parameters, and
stored rounded to float32: the stored numbers are the exact answers for the
fp32 inputs, so a test can derive its tolerance from fp32 arithmetic alone.
The hyperparameters are also rounded to float32 before use, since that is
what the C optimizer is given.

reference_tiny.bin (little-endian, no padding):
    char     magic[8]        "BGREF01\\0"
    int32    L, NH, C, ctx, B, T, steps          (steps = 3)
    float32  lr, beta1, beta2, eps, weight_decay, max_norm
    uint64   N                                   (number of parameters)
    uint8    inputs[B*T], targets[B*T]           (row-major (B,T))
    float32  params0[N]      initial parameters, bytegpt's flat layout
    float32  loss            mean cross-entropy (nats) of params0 on the batch
    float32  grads[N]        its gradient, bytegpt's flat layout
    float32  losses[steps]   the loss before each step (losses[0] = loss)
    float32  norms[steps]    the global gradient norm before clipping, each step
    float32  params[N]       parameters after the steps

Each step, on the same batch: zero grads, forward, backward, clip the
global norm to max_norm (torch.nn.utils.clip_grad_norm_: scale by
max_norm / (norm + 1e-6) when norm > max_norm), AdamW step t (torch.optim.AdamW,
decay on 2-D tensors only, constant lr). max_norm is half the first step's
norm, so clipping is active at every step (the script checks this).

reference_modern.bin is described in scripts/reference_modern.py.
"""

import argparse
import math
import os
import struct
import sys

# One thread: the reference is tiny, and Debian's torch can deadlock in
# sgemm when two OpenBLAS builds (pthread libblas.so.3 and OpenMP
# libopenblas.so.0, as scripts/setup.sh selects) are loaded together and
# OpenMP picks its own thread count.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import reference_modern  # noqa: E402
import torch_gpt as tg  # noqa: E402

# Binary layout, little-endian: see the docstring above.
MAGIC = b"BGREF01\0"

L, NH, C, CTX = 2, 2, 32, 16
B, T = 2, 16
STEPS = 3
SEED = 20240601
CFG = tg.GPTConfig(n_layer=L, n_head=NH, n_embd=C, block_size=CTX)
# Rounded to float32 up front: the C side receives exactly these values.
LR, BETA1, BETA2, EPS, WD = (float(np.float32(x)) for x in (1e-2, 0.9, 0.95, 1e-8, 0.1))


def f32(x):
    return float(np.float32(x))


def initial_model(gen):
    """GPT-2's init, then small random nonzero biases and LayerNorm params."""
    model = tg.init_gpt2_(tg.GPT(CFG), gen)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.dim() != 1:
                continue
            noise = torch.randn(p.shape, generator=gen)
            if name.endswith(".weight"):  # LayerNorm weights
                p.copy_(1.0 + 0.1 * noise)
            else:  # every bias, LayerNorm's and the Linear layers'
                p.copy_(0.05 * noise)
    return model


def run(flat0, inputs, targets, dtype, max_norm=None):
    """Loss and grads of flat0, then STEPS clipped AdamW steps, in dtype.
    With max_norm None, only the first loss and grads are computed."""
    model = tg.GPT(CFG).to(dtype)
    model.load_state_dict(tg.flat_to_state(torch.from_numpy(flat0).to(dtype), CFG))
    idx = torch.from_numpy(inputs.astype(np.int64))
    tgt = torch.from_numpy(targets.astype(np.int64))

    _, loss = model(idx, tgt)
    loss.backward()
    loss0, grads0 = loss.item(), tg.grads_to_flat(model).numpy()
    if max_norm is None:
        return loss0, grads0, None, None, None

    model.zero_grad(set_to_none=True)
    opt = tg.make_optimizer(model, LR, (BETA1, BETA2), WD, EPS)
    params = [p for p in model.parameters()]  # the tied wte once
    losses, norms = [], []
    for _ in range(STEPS):
        opt.zero_grad(set_to_none=True)
        _, loss = model(idx, tgt)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
        losses.append(loss.item())
        norms.append(norm.item())
        opt.step()
    return loss0, grads0, losses, norms, tg.state_to_flat(model).numpy()


def write_tiny(path):
    torch.manual_seed(SEED)  # nothing should draw from it, but be safe
    gen = torch.Generator().manual_seed(SEED)
    model = initial_model(gen)
    flat0 = tg.state_to_flat(model).numpy().astype(np.float32)
    N = flat0.size
    assert N == tg.num_params(CFG)

    stream = torch.randint(0, 256, (B, T + 1), generator=gen, dtype=torch.int64).numpy()
    inputs = stream[:, :T].astype(np.uint8)
    targets = stream[:, 1:].astype(np.uint8)

    # The first norm decides max_norm, so that clipping bites at every step.
    loss, grads, _, _, _ = run(flat0, inputs, targets, torch.float64)
    norm0 = float(np.sqrt(np.sum(grads.astype(np.float64) ** 2)))
    max_norm = f32(0.5 * norm0)

    loss, grads, losses, norms, params = run(flat0, inputs, targets, torch.float64, max_norm)
    assert all(n > max_norm for n in norms), "clipping must be active at every step"

    # The same in float32, only to show how far plain fp32 lands from the exact answers.
    loss32, grads32, losses32, norms32, params32 = run(flat0, inputs, targets, torch.float32, max_norm)

    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<7i", L, NH, C, CTX, B, T, STEPS))
        f.write(struct.pack("<6f", LR, BETA1, BETA2, EPS, WD, max_norm))
        f.write(struct.pack("<Q", N))
        f.write(inputs.tobytes(order="C"))
        f.write(targets.tobytes(order="C"))
        le = np.dtype("<f4")
        f.write(flat0.astype(le).tobytes())
        f.write(np.array([loss], dtype=le).tobytes())
        f.write(grads.astype(le).tobytes())
        f.write(np.array(losses, dtype=le).tobytes())
        f.write(np.array(norms, dtype=le).tobytes())
        f.write(params.astype(le).tobytes())
    os.replace(tmp, path)

    size = os.path.getsize(path)
    expect = 8 + 7 * 4 + 6 * 4 + 8 + 2 * B * T + 4 * (N + 1 + N + 2 * STEPS + N)
    assert size == expect, (size, expect)

    ag = np.abs(grads.astype(np.float64))
    print(f"wrote {path} ({size} bytes)")
    print(f"config L={L} NH={NH} C={C} ctx={CTX} B={B} T={T} steps={STEPS}  N={N}")
    print(f"loss {loss:.9f}  (ln 256 = {math.log(256):.9f})")
    print(f"grad: max |g| {ag.max():.3e}, min |g| {ag.min():.3e}, "
          f"{int((ag < 1e-6).sum())} entries below 1e-6")
    print(f"grad norms before clipping {', '.join(f'{n:.9f}' for n in norms)}; max_norm {max_norm:.9f}")
    print(f"losses before each step {', '.join(f'{x:.9f}' for x in losses)}")
    print("float32 torch vs the float64 answers (max abs difference):")
    print(f"  loss {abs(loss32 - loss):.3e}  grads {np.abs(grads32 - grads).max():.3e}  "
          f"norms {max(abs(a - b) for a, b in zip(norms32, norms)):.3e}  "
          f"params after steps {np.abs(params32 - params).max():.3e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--fixtures", default=os.path.join(root, "tests", "fixtures"),
                    help="the folder to write both files to")
    args = ap.parse_args()
    write_tiny(os.path.join(args.fixtures, "reference_tiny.bin"))
    print()
    reference_modern.write(os.path.join(args.fixtures, "reference_modern.bin"))


if __name__ == "__main__":
    main()
