#!/usr/bin/python3
"""check_export: load a bytegpt safetensors export into PyTorch and score a text.

    /usr/bin/python3 scripts/check_export.py MODEL.safetensors TEXTFILE [--windows N] [--compare NATS]

This is the proof that `bytegpt export` writes what it claims: a file any
PyTorch user can load with nothing but the names and the metadata in it.
The script

  1. reads the file with a small reader written here (json + numpy: the
     `safetensors` package is not needed), checking the header as it goes;
  2. builds the model from the metadata alone (n_layer, n_head, n_embd,
     block_size, vocab_size, and the settings norm, pos, qk_norm, act,
     head, softcap, bigram; a file without them, such as `bytegpt export
     --nanogpt` writes, is GPT-2's) with scripts/torch_gpt.py, an
     independent PyTorch implementation with nanoGPT's module names;
  3. loads the tensors with load_state_dict(strict=True), so a missing,
     extra or misshapen tensor is an error;
  4. prints the model's loss on TEXTFILE by `bytegpt eval`'s rule (the
     README's "The eval rule"): the mean next-byte loss over the first N non-overlapping
     windows of ctx bytes from the start of the file, window s taking
     inputs bytes[s*ctx, (s+1)*ctx) and targets one byte later; N is as
     many windows as fit (the last target must exist), or --windows N.

With --compare NATS (the figure `bytegpt eval --model M --text TEXTFILE
--windows N` printed), it exits 1 unless the two agree within 1e-4 nats.
TEXTFILE may be plain text or gzip, as for bytegpt.

Run by hand with Debian's /usr/bin/python3 and python3-torch; nothing in
the C build or tests depends on it.
"""

import argparse
import gzip
import json
import math
import os
import struct
import sys

# Set before torch loads: see torch_gpt.py's note on OMP_NUM_THREADS.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_gpt as tg  # noqa: E402

TOLERANCE = 1e-4  # nats: float32 sums over a few thousand bytes agree far better


class FormatError(Exception):
    pass


# ---- Reading safetensors ----

DTYPES = {"F32": np.float32, "F16": np.float16, "F64": np.float64,
          "I64": np.int64, "I32": np.int32, "U8": np.uint8}


def read_safetensors(path):
    """-> (tensors: name -> numpy array, metadata: dict of str). Checks what
    the format promises: a sane header length, a JSON object, known dtypes,
    each range the size its shape and dtype imply, and the ranges tiling
    the data buffer exactly (sorted by offset: no gaps, no overlaps)."""
    with open(path, "rb") as f:
        blob = f.read()
    if len(blob) < 8:
        raise FormatError(f"{path}: {len(blob)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", blob[:8])
    if n > len(blob) - 8:
        raise FormatError(f"{path}: header length {n} runs past the end of the file ({len(blob)} bytes)")
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    if not isinstance(header, dict):
        raise FormatError(f"{path}: the header is not a JSON object")
    metadata = header.pop("__metadata__", {})
    data = memoryview(blob)[8 + n:]
    spans, tensors = [], {}
    for name, info in header.items():
        dtype = DTYPES.get(info.get("dtype"))
        if dtype is None:
            raise FormatError(f"{path}: {name}: unsupported dtype {info.get('dtype')!r}")
        shape = tuple(int(d) for d in info["shape"])
        begin, end = (int(x) for x in info["data_offsets"])
        count = int(np.prod(shape)) if shape else 1
        if end - begin != count * np.dtype(dtype).itemsize or not 0 <= begin <= end <= len(data):
            raise FormatError(f"{path}: {name}: data_offsets [{begin},{end}) do not fit shape {shape} "
                              f"of {info['dtype']} in a {len(data)}-byte buffer")
        arr = np.frombuffer(data[begin:end], dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape)
        tensors[name] = arr.astype(arr.dtype.newbyteorder("="))  # a native-order copy
        spans.append((begin, end, name))
    at = 0
    for begin, end, name in sorted(spans):
        if begin != at:
            raise FormatError(f"{path}: {name} starts at byte {begin}, expected {at} (a gap or an overlap)")
        at = end
    if at != len(data):
        raise FormatError(f"{path}: the tensors cover {at} of {len(data)} data bytes")
    return tensors, metadata


# ---- The model from the file alone ----


# The settings' values in the metadata: the words bytegpt's flags take.
SWITCHES = {"on": True, "off": False}


def setting_from_metadata(key, value):
    """One setting's metadata string -> GPTConfig's value for it."""
    if key in ("qk_norm", "bigram"):
        if value not in SWITCHES:
            raise FormatError(f"__metadata__ {key} {value!r}: expected on or off")
        return SWITCHES[value]
    if key == "softcap":
        try:
            cap = float(value)
        except ValueError:
            cap = float("nan")
        if not (math.isfinite(cap) and cap >= 0):
            raise FormatError(f"__metadata__ softcap {value!r}: expected 0 (off) or a positive number")
        return cap
    return value  # a word: GPTConfig checks it is one it knows


def config_from_metadata(metadata):
    try:
        sizes = dict(n_layer=int(metadata["n_layer"]), n_head=int(metadata["n_head"]),
                     n_embd=int(metadata["n_embd"]), block_size=int(metadata["block_size"]),
                     vocab_size=int(metadata["vocab_size"]))
    except KeyError as e:
        raise FormatError(f"__metadata__ lacks {e.args[0]}: cannot rebuild the model") from None
    # A setting the file does not name is GPT-2's: nanoGPT's file names none.
    settings = {k: setting_from_metadata(k, metadata[k]) for k in tg.SETTINGS if k in metadata}
    try:
        return tg.GPTConfig(**sizes, **settings)
    except ValueError as e:
        raise FormatError(f"__metadata__: {e}") from None


def describe(cfg):
    """The settings beside GPT-2's, as bytegpt's flags say them."""
    words = []
    for key in tg.SETTINGS:
        value = getattr(cfg, key)
        if value != getattr(tg.GPTConfig(), key):
            flag = "--" + key.replace("_", "-")
            words.append(f"{flag} {'on' if value is True else f'{value:g}' if key == 'softcap' else value}")
    return ", ".join(words) if words else "GPT-2's settings"


def build_model(tensors, metadata):
    cfg = config_from_metadata(metadata)
    model = tg.GPT(cfg)
    state = {name: torch.from_numpy(arr) for name, arr in tensors.items()}
    # strict: every parameter named, nothing extra, every shape right. A
    # tied lm_head.weight and transformer.wte.weight are one tensor in the
    # model; the file holds two copies, which must agree.
    if cfg.head == "tied" and "lm_head.weight" in state and "transformer.wte.weight" in state and \
            not torch.equal(state["lm_head.weight"], state["transformer.wte.weight"]):
        raise FormatError("lm_head.weight differs from transformer.wte.weight, but they are tied")
    model.load_state_dict(state, strict=True)
    model.eval()
    return model, cfg


# ---- eval's rule ----


def read_text(path):
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return np.frombuffer(raw, dtype=np.uint8)


@torch.no_grad()
def eval_loss(model, ctx, data, windows=None, batch=16):
    """Mean next-byte loss (nats) over the first N windows of ctx bytes:
    inputs data[s*ctx:(s+1)*ctx], targets data[s*ctx+1:(s+1)*ctx+1]."""
    fit = (len(data) - 1) // ctx
    if fit < 1:
        raise ValueError(f"the text has {len(data)} bytes; one window needs ctx + 1 = {ctx + 1}")
    n = fit if windows is None else windows
    if n > fit:
        raise ValueError(f"--windows {n}: only {fit} windows of {ctx} bytes fit in {len(data)} bytes")
    total = 0.0
    for s0 in range(0, n, batch):
        s1 = min(n, s0 + batch)
        x = np.stack([data[s * ctx:(s + 1) * ctx] for s in range(s0, s1)]).astype(np.int64)
        y = np.stack([data[s * ctx + 1:(s + 1) * ctx + 1] for s in range(s0, s1)]).astype(np.int64)
        logits, _ = model(torch.from_numpy(x))
        losses = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)).double(),
                                                   torch.from_numpy(y).reshape(-1), reduction="sum")
        total += float(losses)
    return total / (n * ctx), n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model", help="a .safetensors file written by bytegpt export")
    ap.add_argument("text", help="a text file (or .gz) to score")
    ap.add_argument("--windows", type=int, default=None, help="windows of ctx bytes (default: as many as fit)")
    ap.add_argument("--compare", type=float, default=None, metavar="NATS",
                    help=f"bytegpt eval's loss; exit 1 unless |diff| <= {TOLERANCE}")
    args = ap.parse_args()
    if args.windows is not None and args.windows < 1:
        ap.error("--windows must be at least 1")
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    try:
        tensors, metadata = read_safetensors(args.model)
        model, cfg = build_model(tensors, metadata)
        data = read_text(args.text)
        loss, n = eval_loss(model, cfg.block_size, data, args.windows)
    except (OSError, FormatError, ValueError, RuntimeError, json.JSONDecodeError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model     {args.model}: n_layer {cfg.n_layer}, n_head {cfg.n_head}, n_embd {cfg.n_embd}, "
          f"block_size {cfg.block_size}, {n_params} parameters, {len(tensors)} tensors loaded (strict)")
    print(f"settings  {describe(cfg)}")
    print(f"text      {args.text}: {len(data)} bytes, {n} windows of {cfg.block_size} "
          f"({n * cfg.block_size} predictions)")
    print(f"loss      {loss:.6f} nats per byte, {loss / math.log(2):.6f} bits per byte (PyTorch)")
    if args.compare is not None:
        diff = abs(loss - args.compare)
        ok = diff <= TOLERANCE
        print(f"compare   bytegpt {args.compare:.6f}, PyTorch {loss:.6f}, |diff| {diff:.2e} "
              f"{'<=' if ok else '>'} {TOLERANCE:g}: {'agree' if ok else 'DISAGREE'}")
        return 0 if ok else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
