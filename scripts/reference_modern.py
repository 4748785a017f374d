"""reference_modern: writes tests/fixtures/reference_modern.bin, PyTorch's
answers for a tiny model with every setting beside GPT-2's turned on, for
tests/unit/test_model_modern.c. scripts/make_reference.py calls write();
its docstring says what the two fixtures share (float64 answers for
float32 inputs, hyperparameters rounded to float32, nonzero biases and gains).

The model: L=2, NH=2, C=32, ctx=16 with --norm rmsnorm --pos rotary
--qk-norm on --act relu2 --head untied --softcap 15 --bigram on, trained
with --optim muon (Muon for the blocks' matrices, AdamW for the rest,
sparse Adam for the bigram table; scripts/torch_optim.py). The tensors
bytegpt initialises to zero (lmhead, attprojw, fcprojw, the bigram rows)
get random values first: lmhead large enough that the softcap bends the
logits visibly, the bigram rows the batches touch normal(0, 0.05). The
blocks' four matrices, Muon's, are 4 times GPT-2's init and the weight
decay is 0.5, so that Muon's decoupled decay moves them by more than the
test's bound on Muon's step. write()
checks that turning any one setting off changes the loss by far more than
the C test's tolerance, so a kernel that ignores a setting fails.

Three steps, each on a batch of its own (B=2, T=16), numbered from
FIRST_STEP = 101 as if a run were resumed there with fresh optimizer
state: Muon's momentum is then in its warmup (0.85 -> 0.95 over 300
steps) rather than at its end points, and a sparse update that counted
its own steps per row instead of the global step would show. The third
batch repeats the first batch's first row, so some bigram rows are touched
at steps 1 and 3 but not 2 (sparse Adam leaves them and their moments
alone at step 2, which dense Adam would not), and the first batch repeats
a bigram inside itself (two gradients summed into one row).

Each step: zero grads, forward, backward, clip the global norm (the bigram
table included) to max_norm, half the first step's norm, so that clipping
is active at every step; then the update.

File format (little-endian, no padding):
    char     magic[8]        "BGREF02\\0"
    int32    L, NH, C, ctx, B, T, steps, first_step
    int32    norm, pos, qk_norm, act, head, bigram, optim   (bytegpt's enum values, 1 = on)
    float32  softcap
    float32  lr, beta1, beta2, eps, weight_decay, max_norm, muon_lr
    uint64   N                 parameters, bytegpt's flat layout
    uint64   N_dense           those before the bigram table (its offset, the last tensor)
    uint32   n_rows
    uint32   rows[n_rows]      the bigram rows any batch touches, ascending
    uint8    inputs[steps][B*T], targets[steps][B*T]     (row-major (B,T), step s's batch)
    float32  params0[M]        initial parameters: the N_dense floats before the
                               bigram table, then the listed rows (n_rows*C);
                               M = N_dense + n_rows*C, and every other bigram row is 0
    float32  loss              mean cross-entropy (nats) of params0 on batch 0
    float32  grads[M]          its gradient, the same way (unlisted rows: 0)
    float32  losses[steps]     the loss before each step, on its batch (losses[0] = loss)
    float32  norms[steps]      the global gradient norm before clipping, each step
    float32  mus[steps]        Muon's momentum at each step
    float32  params[M]         parameters after the steps (unlisted rows: still 0)
"""

import math
import os
import struct

import numpy as np
import torch

import torch_gpt as tg
import torch_optim as topt

MAGIC = b"BGREF02\0"
L, NH, C, CTX = 2, 2, 32, 16
B, T = 2, 16
STEPS = 3
FIRST_STEP = 101
SEED = 20261203
SOFTCAP = 15.0
CFG = tg.GPTConfig(n_layer=L, n_head=NH, n_embd=C, block_size=CTX, norm="rmsnorm", pos="rotary",
                   qk_norm=True, act="relu2", head="untied", softcap=SOFTCAP, bigram=True)
OPTIM = "muon"
# (CFG and OPTIM are what the fixture holds; a variant, say without the
# settings a branch lacks, can be written by changing them before write().
# The file format needs the bigram table on.)


def enums(cfg, optim):
    """bytegpt's enum values: bg_norm, bg_pos, qk_norm, bg_act, bg_head, bigram, bg_optim."""
    return (int(cfg.norm == "rmsnorm"), int(cfg.pos == "rotary"), int(cfg.qk_norm), int(cfg.act == "relu2"),
            int(cfg.head == "untied"), int(cfg.bigram), int(optim == "muon"))

LR, BETA1, BETA2, EPS, WD, MUON_LR = (float(np.float32(x)) for x in (1e-2, 0.9, 0.95, 1e-8, 0.5, 0.02))
# Muon's matrices 4 times GPT-2's init and a weight decay of 0.5: Muon's
# decay, lr wd p a step, is then well above the test's worst-case bound on
# Muon's step, so a Muon that skipped the decay would fail.
MATRIX_SCALE = 4.0
HEAD_STD = 0.5     # logits of a few units: tanh(x/15) departs from x/15 by percents
BIGRAM_STD = 0.05
LOSS_TOL = 64 * 2.0 ** -24 * 5.6  # test_model_modern.c's tolerance for the loss


def make_batches(gen):
    """STEPS batches of (inputs, targets), (B,T) uint8 each; see the docstring."""
    streams = torch.randint(0, 256, (STEPS, B, T + 1), generator=gen, dtype=torch.int64).numpy()
    streams[2, 0] = streams[0, 0]          # rows touched at steps 1 and 3, not 2
    streams[0, 1, 8:12] = streams[0, 0, 0:4]  # the same bigrams twice in one batch
    return [(s[:, :T].astype(np.uint8), s[:, 1:].astype(np.uint8)) for s in streams]


def touched_rows(batches):
    idx = [tg.bigram_index(torch.from_numpy(x.astype(np.int64))).reshape(-1) for x, _ in batches]
    return torch.unique(torch.cat(idx)).numpy()


def initial_model(gen, rows):
    """bytegpt's init for CFG, then every gain, bias and zero-initialised tensor nonzero."""
    model = tg.init_gpt2_(tg.GPT(CFG), gen)
    std_proj = MATRIX_SCALE * 0.02 / math.sqrt(2 * L)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("c_attn.weight") or name.endswith("c_fc.weight"):
                p.mul_(MATRIX_SCALE)
            elif name == "transformer.bigram.weight":
                p[torch.from_numpy(rows)] = BIGRAM_STD * torch.randn(len(rows), C, generator=gen)
            elif name == "lm_head.weight":
                p.copy_(HEAD_STD * torch.randn(p.shape, generator=gen))
            elif name.endswith("c_proj.weight"):
                p.copy_(std_proj * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1 and name.endswith(".weight"):  # RMSNorm gains
                p.copy_(1.0 + 0.1 * torch.randn(p.shape, generator=gen))
            elif p.dim() == 1:  # the Linear layers' biases
                p.copy_(0.05 * torch.randn(p.shape, generator=gen))
    return model


def as_tensors(batch):
    x, y = batch
    return torch.from_numpy(x.astype(np.int64)), torch.from_numpy(y.astype(np.int64))


def load(flat0, dtype):
    model = tg.GPT(CFG).to(dtype)
    model.load_state_dict(tg.flat_to_state(torch.from_numpy(flat0).to(dtype), CFG))
    return model


def run(flat0, batches, dtype, max_norm=None):
    """Loss and grads of flat0 on batch 0; with max_norm, then the steps."""
    model = load(flat0, dtype)
    x, y = as_tensors(batches[0])
    _, loss = model(x, y)
    loss.backward()
    loss0, grads0 = loss.item(), tg.grads_to_flat(model).numpy()
    if max_norm is None:
        return loss0, grads0, None, None, None, None
    opt = topt.Optimizer(model, LR, (BETA1, BETA2), WD, EPS, optim=OPTIM, muon_lr=MUON_LR)
    losses, norms, mus = [], [], []
    for s in range(STEPS):
        x, y = as_tensors(batches[s])
        opt.zero_grad()
        _, loss = model(x, y)
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(opt.params(), max_norm)
        losses.append(loss.item())
        norms.append(norm.item())
        mus.append(topt.muon_momentum(FIRST_STEP + s))
        opt.step(FIRST_STEP + s, x)
    return loss0, grads0, losses, norms, mus, tg.state_to_flat(model).numpy()


def each_setting_matters(flat0, batch, loss):
    """The loss with one setting turned back to GPT-2's, for each setting:
    every one must move the loss by more than 100 times the C tolerance."""
    off = dict(norm="layernorm", pos="learned", qk_norm=False, act="gelu", head="tied", softcap=0.0,
               bigram=False)
    x, y = as_tensors(batch)
    full = tg.flat_to_state(torch.from_numpy(flat0).double(), CFG)
    for setting in tg.SETTINGS:
        cfg = tg.config_of(CFG, **{setting: off[setting]})
        model = tg.GPT(cfg).double()
        state = {k: v for k, v in full.items() if k in model.state_dict()}
        # What the changed model has and CFG's does not (wpe, LayerNorm's biases) starts at zero.
        model.load_state_dict({**{k: torch.zeros_like(v) for k, v in model.state_dict().items()}, **state})
        if cfg.head == "tied":
            model.lm_head.weight = model.transformer.wte.weight
        with torch.no_grad():
            _, other = model(x, y)
        delta = abs(other.item() - loss)
        print(f"  {setting:8s} off: loss {other.item():.6f} ({delta:.2e} from the fixture's, "
              f"{delta / LOSS_TOL:.0f} times the tolerance)")
        assert delta > 100 * LOSS_TOL, f"turning {setting} off barely changes the loss"


def sparse(flat, n_dense, rows):
    """flat's dense part then its listed bigram rows, as float32 little-endian bytes."""
    table = flat[n_dense:].reshape(tg.BIGRAM_ROWS, C)
    unlisted = np.ones(tg.BIGRAM_ROWS, dtype=bool)
    unlisted[rows] = False
    assert not np.any(table[unlisted]), "an unlisted bigram row is not zero"
    part = np.concatenate([flat[:n_dense], table[rows].reshape(-1)])
    return part.astype("<f4").tobytes()


def write(path, check_settings=True):
    gen = torch.Generator().manual_seed(SEED)
    batches = make_batches(gen)
    rows = touched_rows(batches)
    model = initial_model(gen, rows)
    flat0 = tg.state_to_flat(model).numpy().astype(np.float32)
    N = flat0.size
    n_dense = [t for t in tg.tensors(CFG) if t["name"] == "bigram"][0]["offset"]
    assert N == tg.num_params(CFG) and N == n_dense + tg.BIGRAM_ROWS * C

    loss, grads, _, _, _, _ = run(flat0, batches, torch.float64)
    max_norm = float(np.float32(0.5 * np.sqrt(np.sum(grads.astype(np.float64) ** 2))))
    loss, grads, losses, norms, mus, params = run(flat0, batches, torch.float64, max_norm)
    assert all(n > max_norm for n in norms), "clipping must be active at every step"
    loss32, grads32, losses32, norms32, _, params32 = run(flat0, batches, torch.float32, max_norm)

    tmp = path + ".tmp"
    le = np.dtype("<f4")
    with open(tmp, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<8i", L, NH, C, CTX, B, T, STEPS, FIRST_STEP))
        f.write(struct.pack("<7i", *enums(CFG, OPTIM)))
        f.write(struct.pack("<f", CFG.softcap))
        f.write(struct.pack("<7f", LR, BETA1, BETA2, EPS, WD, max_norm, MUON_LR))
        f.write(struct.pack("<QQI", N, n_dense, len(rows)))
        f.write(rows.astype("<u4").tobytes())
        for x, _ in batches:
            f.write(x.tobytes(order="C"))
        for _, y in batches:
            f.write(y.tobytes(order="C"))
        f.write(sparse(flat0, n_dense, rows))
        f.write(np.array([loss], dtype=le).tobytes())
        f.write(sparse(grads, n_dense, rows))
        f.write(np.array(losses + norms + mus, dtype=le).tobytes())
        f.write(sparse(params, n_dense, rows))
    os.replace(tmp, path)

    M = n_dense + len(rows) * C
    size = os.path.getsize(path)
    expect = 8 + 15 * 4 + 4 + 7 * 4 + 8 + 8 + 4 + 4 * len(rows) + 2 * STEPS * B * T + 4 * (3 * M + 1 + 3 * STEPS)
    assert size == expect, (size, expect)

    print(f"wrote {path} ({size} bytes)")
    print(f"config L={L} NH={NH} C={C} ctx={CTX} B={B} T={T} steps={STEPS} from step {FIRST_STEP}  "
          f"N={N} ({n_dense} before the bigram table, {len(rows)} of its rows used)")
    print(f"settings {', '.join(f'{k} {getattr(CFG, k)}' for k in tg.SETTINGS)}, optim {OPTIM} "
          f"(muon lr {MUON_LR:g}, momentum {', '.join(f'{m:.6f}' for m in mus)})")
    print(f"loss {loss:.9f}  (ln 256 = {math.log(256):.9f})")
    print(f"grad norms before clipping {', '.join(f'{n:.9f}' for n in norms)}; max_norm {max_norm:.9f}")
    print(f"losses before each step {', '.join(f'{x:.9f}' for x in losses)}")
    print("float32 torch vs the float64 answers (max abs difference):")
    print(f"  loss {abs(loss32 - loss):.3e}  grads {np.abs(grads32 - grads).max():.3e}  "
          f"norms {max(abs(a - b) for a, b in zip(norms32, norms)):.3e}  "
          f"params after steps {np.abs(params32 - params).max():.3e}")
    for t in tg.tensors(CFG):
        if t["size"]:
            sl = slice(t["offset"], t["offset"] + t["size"])
            print(f"  {t['name']:9s} grads {np.abs(grads32[sl] - grads[sl]).max():.3e} "
                  f"(max |g| {np.abs(grads[sl]).max():.3e})  params {np.abs(params32[sl] - params[sl]).max():.3e} "
                  f"(moved up to {np.abs(params[sl] - flat0[sl]).max():.3e})")
    if check_settings:
        print("each setting turned off alone:")
        each_setting_matters(flat0, batches[0], loss)
