#!/usr/bin/env bash
# bytegpt export, read back by PyTorch: for a model of GPT-2's settings and
# one with every other setting on, scripts/check_export.py rebuilds the
# model from the file alone (its names and metadata) and scores a text by
# the eval rule; its loss must agree with `bytegpt eval` on the same
# windows (check_export.py --compare: within 1e-4 nats). nanoGPT's file
# (--nanogpt) of the GPT-2 model, which names no setting, scores the same;
# for the modern model --nanogpt is refused with one line naming the
# settings, exit 2, and no file.
#
# Skipped (exit 77) when /usr/bin/python3 cannot import torch: PyTorch is
# the independent implementation this test compares with, and not a
# dependency of the build (scripts/setup.sh does not install it).
set -u
BG=$1
ROOT=$2
PY=/usr/bin/python3
if ! OMP_NUM_THREADS=1 "$PY" -c 'import torch' >/dev/null 2>&1; then
    echo "SKIP: $PY cannot import torch (Debian: apt-get install python3-torch)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

words "$tmp/words.txt" 5 12000
WINDOWS=20

# rescore NAME FILE: bytegpt eval's loss on the model's run, then
# check_export.py's on FILE, compared.
rescore() {
    local name=$1 file=$2 nats
    nats=$("$BG" eval --model "$tmp/$name" --text "$tmp/words.txt" --windows $WINDOWS 2>/dev/null |
        awk '$1 == "model" { print $2 }')
    if [ -z "$nats" ]; then bad "$name: bytegpt eval printed no loss"; return; fi
    if OMP_NUM_THREADS=1 "$PY" "$ROOT/scripts/check_export.py" "$file" "$tmp/words.txt" --windows $WINDOWS \
        --compare "$nats" >"$tmp/check.out" 2>&1; then
        ok
    else
        bad "$name: check_export.py does not agree with bytegpt eval ($nats nats):"; cat "$tmp/check.out"
    fi
}

train() {
    local name=$1
    shift
    "$BG" train --corpus "$tmp/words.txt" --preset tiny --steps 20 --out "$tmp/$name" "$@" >"$tmp/train.out" 2>&1 ||
        { bad "training the $name model"; cat "$tmp/train.out"; return 1; }
}

# ---- GPT-2's settings: both files ----
if train gpt2; then
    "$BG" export --model "$tmp/gpt2" --safetensors "$tmp/gpt2.safetensors" >/dev/null 2>&1 && ok || bad "export gpt2"
    rescore gpt2 "$tmp/gpt2.safetensors"
    "$BG" export --model "$tmp/gpt2" --safetensors "$tmp/nanogpt.safetensors" --nanogpt >/dev/null 2>&1 && ok ||
        bad "export gpt2 --nanogpt"
    rescore gpt2 "$tmp/nanogpt.safetensors"
fi

# ---- Every other setting ----
if train modern --norm rmsnorm --pos rotary --qk-norm on --act relu2 --head untied --softcap 15 --bigram on \
    --optim muon; then
    "$BG" export --model "$tmp/modern" --safetensors "$tmp/modern.safetensors" >/dev/null 2>&1 && ok ||
        bad "export modern"
    rescore modern "$tmp/modern.safetensors"
    grep -q "^settings  --norm rmsnorm, --pos rotary, --qk-norm on, --act relu2, --head untied, --softcap 15, --bigram on" \
        "$tmp/check.out" && ok || { bad "check_export.py does not name the settings:"; cat "$tmp/check.out"; }

    "$BG" export --model "$tmp/modern" --safetensors "$tmp/refused.safetensors" --nanogpt >"$tmp/stdout" 2>"$tmp/stderr"
    rc=$?
    [ $rc -eq 2 ] && ok || bad "export --nanogpt of the modern model: exit $rc, want 2"
    if [ "$(wc -l <"$tmp/stderr")" -eq 1 ] && grep -q "^error: --nanogpt: .*--norm rmsnorm.*--softcap 15" "$tmp/stderr"; then
        ok
    else
        bad "export --nanogpt: stderr is not one error line naming the settings:"; cat "$tmp/stderr"
    fi
    [ -s "$tmp/stdout" ] && bad "export --nanogpt wrote to stdout" || ok
    [ -e "$tmp/refused.safetensors" ] || [ -e "$tmp/refused.safetensors.tmp" ] && bad "a refused export left a file" || ok
fi

finish
