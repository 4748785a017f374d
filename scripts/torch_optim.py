"""torch_optim: bytegpt's update step, written again in PyTorch, as a reference.

One step of bytegpt's trainer after the gradients are clipped, with the
tensors split as bytegpt splits them (torch_gpt.tensors, model_tensors):

  - optim="muon": Muon for each layer's qkvw, attprojw, fcw and fcprojw
    (Keller Jordan's Muon as the issue's design fixes it):
        buf = mu buf + g;  u = g + mu buf                 (Nesterov)
        X = u / (||u||_F + 1e-7);  transposed if rows > cols
        5 times: A = X X^T;  B = b A + c A A;  X = a X + B X
                 with (a, b, c) = (3.4445, -4.7750, 2.0315)
        transposed back;  p *= 1 - lr wd;  p -= lr sqrt(max(1, rows/cols)) X
    where mu = muon_momentum(t) warms up from 0.85 to 0.95 over the first
    300 steps and lr is Muon's own (--muon-lr), without warmup;
  - the bigram table: sparse Adam. Only the rows the step's inputs touch
    (torch_gpt.bigram_index) are updated; their moments and values move
    by Adam with the global step's bias correction and no weight decay,
    and every other row, moments included, stays exactly as it was;
  - every other tensor (all of them with optim="adamw"): AdamW, the update
    adamw.h documents, decayed when the tensor is (matrices and embeddings).

Steps are numbered from 1, as bytegpt's adamw_update numbers them. The
arithmetic is done in the parameters' dtype (float64 for the fixture).
"""

import numpy as np
import torch

import torch_gpt as tg

MUON_TENSORS = ("qkvw", "attprojw", "fcw", "fcprojw")
# Rounded to float32, as bytegpt's muon.h holds them (MUON_NS_A, _B, _C):
# the reference then iterates the very polynomial the C code does.
NS_COEFFS = tuple(float(np.float32(x)) for x in (3.4445, -4.7750, 2.0315))
NS_STEPS = 5
MUON_MU_START, MUON_MU_END, MUON_WARMUP = 0.85, 0.95, 300


def muon_momentum(t):
    """Muon's momentum at step t (1 for the first): 0.85 at the first step,
    rising by 0.1/300 a step to 0.95 at step 301 and after (the warmup of
    Keller Jordan's modded-nanogpt, whose steps count from 0)."""
    frac = min((t - 1) / MUON_WARMUP, 1.0)
    return MUON_MU_START + (MUON_MU_END - MUON_MU_START) * frac


def newton_schulz(u):
    """The orthogonalised direction of u (rows, cols): five iterations of
    the quintic that pushes every singular value of u/||u||_F towards 1."""
    a, b, c = NS_COEFFS
    X = u / (torch.linalg.norm(u) + 1e-7)
    wide = X.size(0) <= X.size(1)
    if not wide:  # iterate on the short side: A is then the smaller Gram matrix
        X = X.T
    for _ in range(NS_STEPS):
        A = X @ X.T
        B = b * A + c * (A @ A)
        X = a * X + B @ X
    return X if wide else X.T


class Optimizer:
    """bytegpt's update: Muon, AdamW and sparse Adam, as the module says.

    opt = Optimizer(model, lr, (beta1, beta2), weight_decay, eps, optim="muon", muon_lr=0.02)
    opt.step(t, inputs)      # t: the step's number from 1; inputs: its (B,T) bytes
    """

    def __init__(self, model, lr, betas=(0.9, 0.95), weight_decay=0.1, eps=1e-8, optim="adamw",
                 muon_lr=0.02):
        if optim not in ("adamw", "muon"):
            raise ValueError(f"optim {optim!r}: expected adamw or muon")
        self.model, self.lr, self.muon_lr = model, lr, muon_lr
        self.beta1, self.beta2 = betas
        self.wd, self.eps = weight_decay, eps
        named = dict(model.named_parameters())
        by_name = {entry[0]: entry for entry in tg.LAYOUT}
        self.groups = []  # (kind, param, decay): one per tensor and layer
        for t in tg.tensors(model.config):
            if t["size"] == 0:
                continue
            torch_name = by_name[t["name"]][1]
            for i in range(t["layers"]):
                p = named[torch_name.format(i=i)]
                if t["name"] == "bigram":
                    kind = "sparse"
                elif optim == "muon" and t["name"] in MUON_TENSORS:
                    kind = "muon"
                else:
                    kind = "adamw"
                self.groups.append((kind, p, t["decay"]))
        # Moments, zero at the start: m (Muon's buf too) and v, per parameter.
        self.m = {id(p): torch.zeros_like(p) for _, p, _ in self.groups}
        self.v = {id(p): torch.zeros_like(p) for kind, p, _ in self.groups if kind != "muon"}

    def zero_grad(self):
        for _, p, _ in self.groups:
            p.grad = None

    def params(self):
        """Every parameter once (for clip_grad_norm_)."""
        return [p for _, p, _ in self.groups]

    @torch.no_grad()
    def step(self, t, inputs, lr=None, muon_lr=None):
        """Update number t (from 1) at the given rates (default: the
        constructor's), for a step whose micro-batches' inputs are `inputs`
        ((B,T) int64, or a list of them)."""
        lr = self.lr if lr is None else lr
        muon_lr = self.muon_lr if muon_lr is None else muon_lr
        if torch.is_tensor(inputs):
            inputs = [inputs]
        rows = torch.unique(torch.cat([tg.bigram_index(x).reshape(-1) for x in inputs]))
        for kind, p, decay in self.groups:
            g = p.grad if p.grad is not None else torch.zeros_like(p)
            if kind == "muon":
                self._muon(p, g, t, muon_lr)
            elif kind == "sparse":
                self._adam(p, g, t, lr, 0.0, rows)
            else:
                self._adam(p, g, t, lr, self.wd if decay else 0.0, None)

    def _muon(self, p, g, t, lr):
        mu = muon_momentum(t)
        buf = self.m[id(p)]
        buf.mul_(mu).add_(g)
        u = g + mu * buf
        X = newton_schulz(u)
        rows, cols = p.shape
        p.mul_(1 - lr * self.wd)
        p.sub_(lr * max(1.0, rows / cols) ** 0.5 * X)

    def _adam(self, p, g, t, lr, wd, rows):
        """AdamW on p, or with rows (a 1-D index tensor) on those rows of p only."""
        m, v = self.m[id(p)], self.v[id(p)]
        if rows is not None:
            p_r, g_r, m_r, v_r = p[rows], g[rows], m[rows], v[rows]  # copies
        else:
            p_r, g_r, m_r, v_r = p, g, m, v  # in place
        p_r.mul_(1 - lr * wd)
        m_r.mul_(self.beta1).add_((1 - self.beta1) * g_r)
        v_r.mul_(self.beta2).add_((1 - self.beta2) * g_r * g_r)
        m_hat = m_r / (1 - self.beta1 ** t)
        v_hat = v_r / (1 - self.beta2 ** t)
        p_r.sub_(lr * m_hat / (v_hat.sqrt() + self.eps))
        if rows is not None:
            p[rows], m[rows], v[rows] = p_r, m_r, v_r
