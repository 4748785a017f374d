"""torch_gpt: bytegpt's model, written again in PyTorch, as a reference.

This is an independent implementation of exactly the model that the C code
trains (src/core/model.c and include/bytegpt/model.h), kept small so that it can be read next to
src/core/model.c. Other scripts import it:

    import torch_gpt as tg
    model = tg.GPT(tg.GPTConfig(n_layer=2, n_head=2, n_embd=32, block_size=16))
    tg.init_gpt2_(model, torch.Generator().manual_seed(1))
    logits, loss = model(idx, targets)               # idx, targets: (B,T) int64
    flat = tg.state_to_flat(model)                   # params in bytegpt's layout
    flat_g = tg.grads_to_flat(model)                 # their gradients, same layout
    model.load_state_dict(tg.flat_to_state(flat, L, NH, C, ctx))
    opt = tg.make_optimizer(model, lr, (0.9, 0.95), 0.1)

The architecture is GPT-2's at small sizes: a vocabulary of 256 bytes,
learned position embeddings (block_size = ctx rows), L pre-LayerNorm blocks
(causal multi-head self-attention, then an MLP C -> 4C -> C with the tanh
approximation of GELU), a final LayerNorm, and an LM head that is the token
embedding itself. Module and state-dict names are nanoGPT's, which are also
the names bytegpt's safetensors export uses.

bytegpt keeps all parameters in one flat float32 block, in the order of
struct bg_params in include/bytegpt/model.h. Per-layer tensors are stacked,
so a tensor such as qkvw holds layer 0's (3C,C) matrix, then layer 1's, and
so on. LAYOUT below lists that order; flat_to_state and state_to_flat
convert between the block and this model's parameters.

Run with /usr/bin/python3 (Debian's PyTorch 1.13). Nothing in the C build or
tests imports this file; it is a cross-check and a benchmark peer.
Set OMP_NUM_THREADS before torch is imported: with it unset, Debian's torch
has been seen to hang in sgemm when the libblas.so.3 and libopenblas.so.0
alternatives point at different OpenBLAS builds (pthread and OpenMP).
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class GPTConfig:
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 32
    block_size: int = 16  # ctx: the longest sequence, rows of wpe
    vocab_size: int = 256  # bytes; bytegpt never uses anything else


# ---- The model ----


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        assert cfg.n_embd % cfg.n_head == 0
        self.n_head = cfg.n_head
        self.n_embd = cfg.n_embd
        # Rows 0..C-1 of c_attn make q, rows C..2C-1 make k, rows 2C..3C-1
        # make v: the same split as bytegpt's qkvw.
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        mask = torch.tril(torch.ones(cfg.block_size, cfg.block_size, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, cfg.block_size, cfg.block_size),
                             persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        NH, HS = self.n_head, C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)
        # (B,T,C) -> (B,NH,T,HS): head h uses channels h*HS .. (h+1)*HS-1.
        q = q.view(B, T, NH, HS).transpose(1, 2)
        k = k.view(B, T, NH, HS).transpose(1, 2)
        v = v.view(B, T, NH, HS).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(HS))  # (B,NH,T,T)
        att = att.masked_fill(~self.mask[:, :, :T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v  # (B,NH,T,HS)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd, eps=1e-5)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd, eps=1e-5)
        self.mlp = MLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.config = cfg
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(cfg.vocab_size, cfg.n_embd),
            wpe=nn.Embedding(cfg.block_size, cfg.n_embd),
            h=nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)]),
            ln_f=nn.LayerNorm(cfg.n_embd, eps=1e-5),
        ))
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        # Tied: the LM head is the token embedding, one tensor, counted once.
        self.lm_head.weight = self.transformer.wte.weight

    def forward(self, idx, targets=None):
        """idx (B,T) int64 bytes -> logits (B,T,V), and with targets (B,T)
        the mean cross-entropy in nats (else None)."""
        B, T = idx.shape
        assert T <= self.config.block_size, "sequence longer than block_size"
        pos = torch.arange(T, device=idx.device)
        x = self.transformer.wte(idx) + self.transformer.wpe(pos)
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss


# ---- Initialisation ----


@torch.no_grad()
def init_gpt2_(model, generator):
    """GPT-2's init, as model_init_weights does it (model.h), drawn from a torch.Generator:
    normal(0, 0.02) for weights and embeddings, 0.02/sqrt(2L) for the two
    output projections of each block, zero biases, LayerNorm weights one.
    Parameters are drawn in the order of model.named_parameters(). (The
    numbers differ from bytegpt's own RNG; only the distribution agrees.)"""
    std_proj = 0.02 / math.sqrt(2 * model.config.n_layer)
    for name, p in model.named_parameters():
        if name.endswith(".bias"):
            p.zero_()
        elif ".ln_" in name or name.startswith("transformer.ln_f"):
            p.fill_(1.0)
        elif name.endswith("c_proj.weight"):
            p.normal_(0.0, std_proj, generator=generator)
        else:
            p.normal_(0.0, 0.02, generator=generator)
    return model


# ---- bytegpt's flat layout ----

# (bytegpt name, nanoGPT name with {i} for the layer or None, per_layer,
# shape of one slice as a function of (C, ctx, V)), in struct bg_params order.
LAYOUT = [
    ("wte", "transformer.wte.weight", False, lambda C, ctx, V: (V, C)),
    ("wpe", "transformer.wpe.weight", False, lambda C, ctx, V: (ctx, C)),
    ("ln1w", "transformer.h.{i}.ln_1.weight", True, lambda C, ctx, V: (C,)),
    ("ln1b", "transformer.h.{i}.ln_1.bias", True, lambda C, ctx, V: (C,)),
    ("qkvw", "transformer.h.{i}.attn.c_attn.weight", True, lambda C, ctx, V: (3 * C, C)),
    ("qkvb", "transformer.h.{i}.attn.c_attn.bias", True, lambda C, ctx, V: (3 * C,)),
    ("attprojw", "transformer.h.{i}.attn.c_proj.weight", True, lambda C, ctx, V: (C, C)),
    ("attprojb", "transformer.h.{i}.attn.c_proj.bias", True, lambda C, ctx, V: (C,)),
    ("ln2w", "transformer.h.{i}.ln_2.weight", True, lambda C, ctx, V: (C,)),
    ("ln2b", "transformer.h.{i}.ln_2.bias", True, lambda C, ctx, V: (C,)),
    ("fcw", "transformer.h.{i}.mlp.c_fc.weight", True, lambda C, ctx, V: (4 * C, C)),
    ("fcb", "transformer.h.{i}.mlp.c_fc.bias", True, lambda C, ctx, V: (4 * C,)),
    ("fcprojw", "transformer.h.{i}.mlp.c_proj.weight", True, lambda C, ctx, V: (C, 4 * C)),
    ("fcprojb", "transformer.h.{i}.mlp.c_proj.bias", True, lambda C, ctx, V: (C,)),
    ("lnfw", "transformer.ln_f.weight", False, lambda C, ctx, V: (C,)),
    ("lnfb", "transformer.ln_f.bias", False, lambda C, ctx, V: (C,)),
]


def flat_entries(L, C, ctx, V=256):
    """The flat block in order: a list of (nanoGPT name, offset, shape), one
    entry per tensor and layer. Sum of sizes = num_params(L, C, ctx)."""
    entries, off = [], 0
    for _, name, per_layer, shape_of in LAYOUT:
        shape = shape_of(C, ctx, V)
        n = int(np.prod(shape))
        # A per-layer tensor is stored layer by layer: all of layer 0, then layer 1...
        for i in range(L if per_layer else 1):
            entries.append((name.format(i=i), off, shape))
            off += n
    return entries


def num_params(L, C, ctx, V=256):
    """config_num_params: the LM head is tied, so it is not counted."""
    _, off, shape = flat_entries(L, C, ctx, V)[-1]
    return off + int(np.prod(shape))


def flat_to_state(flat, L, NH, C, ctx, V=256):
    """A flat vector in bytegpt's layout (numpy or torch, any float dtype) ->
    a state dict for GPT (torch tensors, copies, the vector's dtype; float32
    for numpy float32). lm_head.weight is the same tensor as wte. NH does not
    change the layout; it is taken so that calls name the whole config."""
    assert C % NH == 0
    if not torch.is_tensor(flat):
        flat = torch.from_numpy(np.array(flat))  # a copy: the input may be read-only
    assert flat.dim() == 1 and flat.numel() == num_params(L, C, ctx, V), \
        f"expected {num_params(L, C, ctx, V)} floats, got {flat.numel()}"
    state = {}
    for name, off, shape in flat_entries(L, C, ctx, V):
        n = int(np.prod(shape))
        state[name] = flat[off:off + n].reshape(shape).clone()
    state["lm_head.weight"] = state["transformer.wte.weight"]
    return state


def _to_flat(model, get):
    cfg = model.config
    named = dict(model.named_parameters())
    parts = [get(named[name]).reshape(-1)
             for name, _, _ in flat_entries(cfg.n_layer, cfg.n_embd, cfg.block_size, cfg.vocab_size)]
    return torch.cat(parts).detach().clone()


def state_to_flat(model):
    """The model's parameters in bytegpt's flat layout: a 1-D torch tensor
    in the parameters' dtype (use .float().numpy() for float32 numpy)."""
    return _to_flat(model, lambda p: p)


def grads_to_flat(model):
    """The parameters' .grad in bytegpt's flat layout (zeros where None).
    The tied wte/lm_head gradient is the sum of both uses, as in bytegpt."""
    return _to_flat(model, lambda p: p.grad if p.grad is not None else torch.zeros_like(p))


# ---- Optimizer ----


def make_optimizer(model, lr, betas=(0.9, 0.95), weight_decay=0.1, eps=1e-8):
    """torch.optim.AdamW with nanoGPT's two groups: decay on every parameter
    with dim >= 2 (wte, wpe and all matrices), none on biases and LayerNorm
    parameters. This is bytegpt's bg_tensor.decay rule. PyTorch's AdamW
    (p *= 1 - lr*wd, then the bias-corrected Adam step with eps outside the
    square root) is the update adamw.h documents."""
    params = [p for p in model.parameters() if p.requires_grad]  # tied wte once
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps)
