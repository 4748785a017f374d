"""torch_gpt: bytegpt's model, written again in PyTorch, as a reference.

This is an independent implementation of exactly the model that the C code
trains (src/core/model.c and include/bytegpt/model.h), kept small so that it can be read next to
src/core/model.c. Other scripts import it:

    import torch_gpt as tg
    cfg = tg.GPTConfig(n_layer=2, n_head=2, n_embd=32, block_size=16)  # GPT-2's settings
    model = tg.init_gpt2_(tg.GPT(cfg), torch.Generator().manual_seed(1))
    logits, loss = model(idx, targets)               # idx, targets: (B,T) int64
    flat = tg.state_to_flat(model)                   # params in bytegpt's layout
    flat_g = tg.grads_to_flat(model)                 # their gradients, same layout
    model.load_state_dict(tg.flat_to_state(flat, cfg))
    opt = tg.make_optimizer(model, lr, (0.9, 0.95), 0.1)       # AdamW, as torch.optim
    opt = torch_optim.Optimizer(model, lr, ..., optim="muon")  # Muon + AdamW + sparse Adam

With its defaults, GPTConfig is GPT-2 at small sizes: a vocabulary of 256
bytes, learned position embeddings (block_size = ctx rows), L pre-LayerNorm
blocks (causal multi-head self-attention, then an MLP C -> 4C -> C with the
tanh approximation of GELU), a final LayerNorm, and an LM head that is the
token embedding itself. Module and state-dict names are nanoGPT's, which are
also the names bytegpt's safetensors export uses.

The other settings (bytegpt train --help names them by the same words) each
change one thing, as the C code does:
    norm="rmsnorm"   y = x * rsqrt(mean(x^2) + 1e-5) * w: a gain, no bias
    pos="rotary"     no wpe; q and k of each head rotated by position
                     (base 10000, the first half of the head paired with the second)
    qk_norm=True     q and k RMS-normalised over the head, no gain, before rotary
    act="relu2"      relu(x)^2 in the MLP instead of GELU
    head="untied"    an LM head of its own, lm_head.weight (V,C)
    softcap=X        logits = X tanh(logits / X) before the softmax (0: off)
    bigram=True      a table (65536,C), transformer.bigram.weight, whose row
                     prev*256 + cur is added to the token embedding (prev of
                     position 0 is byte 0)
Initialisation (init_gpt2_) zeroes the head and the blocks' two output
projections when the head is untied, and the bigram table always.

bytegpt keeps all parameters in one flat float32 block, in the order of
model_tensors in include/bytegpt/model.h: the 16 GPT-2 tensors, then
lmhead, then bigram; a tensor a setting does not use has no floats at all.
Per-layer tensors are stacked, so a tensor such as qkvw holds layer 0's
(3C,C) matrix, then layer 1's, and so on. LAYOUT below lists that order;
flat_to_state and state_to_flat convert between the block and this
model's parameters.

Run with /usr/bin/python3 (Debian's PyTorch 1.13). Nothing in the C build or
tests imports this file; it is a cross-check and a benchmark peer.
Set OMP_NUM_THREADS before torch is imported: with it unset, Debian's torch
has been seen to hang in sgemm when the libblas.so.3 and libopenblas.so.0
alternatives point at different OpenBLAS builds (pthread and OpenMP).
"""

import math
from dataclasses import dataclass, fields

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EPS = 1e-5               # LayerNorm's, RMSNorm's and QK-norm's epsilon
ROTARY_BASE = 10000.0
BIGRAM_ROWS = 256 * 256  # one row per (previous byte, byte) pair


@dataclass
class GPTConfig:
    n_layer: int = 2
    n_head: int = 2
    n_embd: int = 32
    block_size: int = 16  # ctx: the longest sequence, rows of wpe
    vocab_size: int = 256  # bytes; bytegpt never uses anything else
    # The settings beside GPT-2's, valued as bytegpt's flags are; the defaults are GPT-2.
    norm: str = "layernorm"  # or "rmsnorm"
    pos: str = "learned"     # or "rotary"
    qk_norm: bool = False
    act: str = "gelu"        # or "relu2"
    head: str = "tied"       # or "untied"
    softcap: float = 0.0     # 0: off
    bigram: bool = False

    def __post_init__(self):
        choices = {"norm": ("layernorm", "rmsnorm"), "pos": ("learned", "rotary"),
                   "act": ("gelu", "relu2"), "head": ("tied", "untied")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} {getattr(self, name)!r}: expected one of {', '.join(allowed)}")
        if self.n_embd % self.n_head != 0:
            raise ValueError(f"n_embd {self.n_embd} is not divisible by n_head {self.n_head}")
        if self.pos == "rotary" and (self.n_embd // self.n_head) % 2 != 0:
            raise ValueError(f"rotary needs an even head size, not {self.n_embd // self.n_head}")
        if not self.softcap >= 0:
            raise ValueError(f"softcap {self.softcap}: expected 0 (off) or a positive number")


# The names of the settings, in the order bytegpt lists them (export metadata uses them too).
SETTINGS = ("norm", "pos", "qk_norm", "act", "head", "softcap", "bigram")


def is_gpt2(cfg):
    """True when every setting is GPT-2's (the model nanoGPT can load)."""
    default = GPTConfig()
    return all(getattr(cfg, s) == getattr(default, s) for s in SETTINGS)


def config_of(cfg, **changes):
    """A copy of cfg with some fields changed."""
    values = {f.name: getattr(cfg, f.name) for f in fields(cfg)}
    values.update(changes)
    return GPTConfig(**values)


# ---- The model ----


def rms_normalize(x):
    """x / RMS(x) over the last dimension, with bytegpt's epsilon, no gain."""
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + EPS)


class RMSNorm(nn.Module):
    """y = x * rsqrt(mean(x^2) + 1e-5) * w: LayerNorm without the mean and the bias."""

    def __init__(self, C):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(C))

    def forward(self, x):
        return rms_normalize(x) * self.weight


def make_norm(cfg):
    return RMSNorm(cfg.n_embd) if cfg.norm == "rmsnorm" else nn.LayerNorm(cfg.n_embd, eps=EPS)


def rotary_table(ctx, d):
    """cos and sin (ctx, d/2) of t * theta_i, theta_i = 10000^(-2i/d),
    computed in float64 and rounded to float32, as bytegpt's model_init
    computes its table: the reference then starts from the same numbers."""
    i = torch.arange(d // 2, dtype=torch.float64)
    theta = ROTARY_BASE ** (-2.0 * i / d)
    angle = torch.arange(ctx, dtype=torch.float64)[:, None] * theta[None, :]
    return torch.cos(angle).float(), torch.sin(angle).float()


def apply_rotary(x, cos, sin):
    """x (B,NH,T,d): the pair (x_i, x_{i+d/2}) at position t rotated by t theta_i."""
    T, half = x.size(-2), x.size(-1) // 2
    c, s = cos[:T].to(x.dtype), sin[:T].to(x.dtype)
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * c - x2 * s, x1 * s + x2 * c], dim=-1)


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head = cfg.n_head
        self.n_embd = cfg.n_embd
        self.qk_norm = cfg.qk_norm
        self.rotary = cfg.pos == "rotary"
        # Rows 0..C-1 of c_attn make q, rows C..2C-1 make k, rows 2C..3C-1
        # make v: the same split as bytegpt's qkvw.
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        mask = torch.tril(torch.ones(cfg.block_size, cfg.block_size, dtype=torch.bool))
        self.register_buffer("mask", mask.view(1, 1, cfg.block_size, cfg.block_size),
                             persistent=False)
        if self.rotary:
            cos, sin = rotary_table(cfg.block_size, cfg.n_embd // cfg.n_head)
            self.register_buffer("cos", cos, persistent=False)
            self.register_buffer("sin", sin, persistent=False)

    def forward(self, x):
        B, T, C = x.shape
        NH, HS = self.n_head, C // self.n_head
        q, k, v = self.c_attn(x).split(C, dim=2)
        # (B,T,C) -> (B,NH,T,HS): head h uses channels h*HS .. (h+1)*HS-1.
        q = q.view(B, T, NH, HS).transpose(1, 2)
        k = k.view(B, T, NH, HS).transpose(1, 2)
        v = v.view(B, T, NH, HS).transpose(1, 2)
        if self.qk_norm:  # before rotary, which keeps the norm anyway
            q, k = rms_normalize(q), rms_normalize(k)
        if self.rotary:
            q, k = apply_rotary(q, self.cos, self.sin), apply_rotary(k, self.cos, self.sin)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(HS))  # (B,NH,T,T)
        att = att.masked_fill(~self.mask[:, :, :T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v  # (B,NH,T,HS)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.relu2 = cfg.act == "relu2"
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd)

    def forward(self, x):
        h = self.c_fc(x)
        h = F.relu(h).pow(2) if self.relu2 else F.gelu(h, approximate="tanh")
        return self.c_proj(h)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln_1 = make_norm(cfg)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = make_norm(cfg)
        self.mlp = MLP(cfg)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


def bigram_index(idx):
    """idx (B,T) -> the bigram table's row of each position, prev*256 + cur,
    where the byte before each row's first position counts as 0."""
    prev = torch.cat([torch.zeros_like(idx[:, :1]), idx[:, :-1]], dim=1)
    return prev * 256 + idx


class GPT(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.config = cfg
        parts = dict(wte=nn.Embedding(cfg.vocab_size, cfg.n_embd))
        if cfg.pos == "learned":
            parts["wpe"] = nn.Embedding(cfg.block_size, cfg.n_embd)
        parts["h"] = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        parts["ln_f"] = make_norm(cfg)
        if cfg.bigram:
            parts["bigram"] = nn.Embedding(BIGRAM_ROWS, cfg.n_embd)
        self.transformer = nn.ModuleDict(parts)
        self.lm_head = nn.Linear(cfg.n_embd, cfg.vocab_size, bias=False)
        if cfg.head == "tied":
            # The LM head is the token embedding, one tensor, counted once.
            self.lm_head.weight = self.transformer.wte.weight

    def forward(self, idx, targets=None):
        """idx (B,T) int64 bytes -> logits (B,T,V), and with targets (B,T)
        the mean cross-entropy in nats (else None)."""
        cfg = self.config
        B, T = idx.shape
        assert T <= cfg.block_size, "sequence longer than block_size"
        x = self.transformer.wte(idx)
        if cfg.bigram:
            x = x + self.transformer.bigram(bigram_index(idx))
        if cfg.pos == "learned":
            x = x + self.transformer.wpe(torch.arange(T, device=idx.device))
        for block in self.transformer.h:
            x = block(x)
        x = self.transformer.ln_f(x)
        logits = self.lm_head(x)
        if cfg.softcap > 0:
            logits = cfg.softcap * torch.tanh(logits / cfg.softcap)
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.reshape(-1))
        return logits, loss


# ---- Initialisation ----


@torch.no_grad()
def init_gpt2_(model, generator):
    """bytegpt's init, as model_init_weights does it (model.h), drawn from a torch.Generator:
    normal(0, 0.02) for weights and embeddings, 0.02/sqrt(2L) for the two
    output projections of each block, zero biases, norm weights one. With
    head="untied", the LM head and those two projections are zero instead;
    the bigram table is always zero. Parameters are drawn in the order of
    model.named_parameters(). (The numbers differ from bytegpt's own RNG;
    only the distribution agrees.)"""
    cfg = model.config
    std_proj = 0.02 / math.sqrt(2 * cfg.n_layer)
    zero_proj = cfg.head == "untied"
    for name, p in model.named_parameters():
        if name.endswith(".bias") or name == "transformer.bigram.weight":
            p.zero_()
        elif ".ln_" in name:
            p.fill_(1.0)
        elif name.endswith("c_proj.weight") or name == "lm_head.weight":
            if zero_proj:
                p.zero_()
            else:  # only c_proj: a tied lm_head is wte and is not listed again
                p.normal_(0.0, std_proj, generator=generator)
        else:
            p.normal_(0.0, 0.02, generator=generator)
    return model


# ---- bytegpt's flat layout ----


def _layer_norm_only(shape):
    return lambda c: shape(c) if c.norm == "layernorm" else None


def _vec(k):
    return lambda c: (k * c.n_embd,)


# (bytegpt name, nanoGPT name with {i} for the layer, per_layer, shape of
# one slice for a GPTConfig, or None when the setting leaves the tensor
# out), in model_tensors order.
LAYOUT = [
    ("wte", "transformer.wte.weight", False, lambda c: (c.vocab_size, c.n_embd)),
    ("wpe", "transformer.wpe.weight", False,
     lambda c: (c.block_size, c.n_embd) if c.pos == "learned" else None),
    ("ln1w", "transformer.h.{i}.ln_1.weight", True, _vec(1)),
    ("ln1b", "transformer.h.{i}.ln_1.bias", True, _layer_norm_only(_vec(1))),
    ("qkvw", "transformer.h.{i}.attn.c_attn.weight", True, lambda c: (3 * c.n_embd, c.n_embd)),
    ("qkvb", "transformer.h.{i}.attn.c_attn.bias", True, _vec(3)),
    ("attprojw", "transformer.h.{i}.attn.c_proj.weight", True, lambda c: (c.n_embd, c.n_embd)),
    ("attprojb", "transformer.h.{i}.attn.c_proj.bias", True, _vec(1)),
    ("ln2w", "transformer.h.{i}.ln_2.weight", True, _vec(1)),
    ("ln2b", "transformer.h.{i}.ln_2.bias", True, _layer_norm_only(_vec(1))),
    ("fcw", "transformer.h.{i}.mlp.c_fc.weight", True, lambda c: (4 * c.n_embd, c.n_embd)),
    ("fcb", "transformer.h.{i}.mlp.c_fc.bias", True, _vec(4)),
    ("fcprojw", "transformer.h.{i}.mlp.c_proj.weight", True, lambda c: (c.n_embd, 4 * c.n_embd)),
    ("fcprojb", "transformer.h.{i}.mlp.c_proj.bias", True, _vec(1)),
    ("lnfw", "transformer.ln_f.weight", False, _vec(1)),
    ("lnfb", "transformer.ln_f.bias", False, _layer_norm_only(_vec(1))),
    ("lmhead", "lm_head.weight", False,
     lambda c: (c.vocab_size, c.n_embd) if c.head == "untied" else None),
    ("bigram", "transformer.bigram.weight", False,
     lambda c: (BIGRAM_ROWS, c.n_embd) if c.bigram else None),
]


def _as_config(cfg_or_L, C=None, ctx=None, V=256):
    """Layout functions take a GPTConfig; (L, C, ctx[, V]) still means GPT-2's settings."""
    if isinstance(cfg_or_L, GPTConfig):
        return cfg_or_L
    return GPTConfig(n_layer=cfg_or_L, n_head=1, n_embd=C, block_size=ctx, vocab_size=V)


def tensors(cfg):
    """model_tensors for cfg: a list of dicts (name, offset, size, layers,
    rows, cols, decay), all 18 of them, size 0 for a tensor left out."""
    out, off = [], 0
    for name, _, per_layer, shape_of in LAYOUT:
        shape = shape_of(cfg)
        layers = cfg.n_layer if per_layer else 1
        rows, cols = (0, 1) if shape is None else (shape[0], shape[1] if len(shape) == 2 else 1)
        size = layers * rows * cols
        # Decay on matrices and embeddings, as nanoGPT; the bigram table is
        # an embedding but takes none (its rows are updated sparsely).
        decay = int(shape is not None and len(shape) == 2 and name != "bigram")
        out.append(dict(name=name, offset=off, size=size, layers=layers, rows=rows, cols=cols, decay=decay))
        off += size
    return out


def flat_entries(cfg_or_L, C=None, ctx=None, V=256):
    """The flat block in order: a list of (nanoGPT name, offset, shape), one
    entry per tensor and layer, none for a tensor the settings leave out.
    Sum of sizes = num_params(cfg)."""
    cfg = _as_config(cfg_or_L, C, ctx, V)
    entries, off = [], 0
    for _, name, per_layer, shape_of in LAYOUT:
        shape = shape_of(cfg)
        if shape is None:
            continue
        n = int(np.prod(shape))
        # A per-layer tensor is stored layer by layer: all of layer 0, then layer 1...
        for i in range(cfg.n_layer if per_layer else 1):
            entries.append((name.format(i=i), off, shape))
            off += n
    return entries


def num_params(cfg_or_L, C=None, ctx=None, V=256):
    """config_num_params: a tied LM head is not counted (it is wte)."""
    _, off, shape = flat_entries(cfg_or_L, C, ctx, V)[-1]
    return off + int(np.prod(shape))


def flat_to_state(flat, cfg):
    """A flat vector in bytegpt's layout (numpy or torch, any float dtype) ->
    a state dict for GPT(cfg) (torch tensors, copies, the vector's dtype;
    float32 for numpy float32). A tied lm_head.weight is the same tensor as wte."""
    if not torch.is_tensor(flat):
        flat = torch.from_numpy(np.array(flat))  # a copy: the input may be read-only
    n = num_params(cfg)
    assert flat.dim() == 1 and flat.numel() == n, f"expected {n} floats, got {flat.numel()}"
    state = {}
    for name, off, shape in flat_entries(cfg):
        state[name] = flat[off:off + int(np.prod(shape))].reshape(shape).clone()
    if cfg.head == "tied":
        state["lm_head.weight"] = state["transformer.wte.weight"]
    return state


def _to_flat(model, get):
    named = dict(model.named_parameters())
    parts = [get(named[name]).reshape(-1) for name, _, _ in flat_entries(model.config)]
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
    parameters. This is bytegpt's bg_tensor.decay rule for GPT-2's
    settings. PyTorch's AdamW (p *= 1 - lr*wd, then the bias-corrected Adam
    step with eps outside the square root) is the update adamw.h documents.
    For Muon, an untied head or the bigram table use torch_optim.Optimizer."""
    params = [p for p in model.parameters() if p.requires_grad]  # tied wte once
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=lr, betas=betas, eps=eps)
