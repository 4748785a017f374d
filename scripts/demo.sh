#!/usr/bin/env bash
# The first command: installs what is missing, builds, fetches the default
# corpus (Moby-Dick), pre-trains the modern preset for a few minutes with
# a live progress line, then shows a sample and where the run folder is.
#
#   scripts/demo.sh                 # about 3 minutes of training
#   BYTEGPT_DEMO_BUDGET=10m scripts/demo.sh
#   scripts/demo.sh --time-budget 90s --preset tiny   (flags go to train)
set -euo pipefail
cd "$(dirname "$0")/.."

budget=${BYTEGPT_DEMO_BUDGET:-3m}

bash scripts/setup.sh   # also npm, which get_corpus.sh uses to fetch the text
echo "== building"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
BG=build/release/bytegpt

echo "== corpus"
bash scripts/get_corpus.sh moby-dick

run=runs/demo-$(date +%Y%m%d-%H%M%S)
# The modern preset: the default's size with the recipe bytegpt's own
# ablation kept (Muon); a --preset given to this script comes later and wins.
echo "== pre-training the modern preset for $budget (Ctrl-C stops and saves; --resume continues)"
echo "open $run/index.html in a browser to follow the run live"
"$BG" train --corpus corpus/moby-dick.txt.gz --out "$run" --time-budget "$budget" --preset modern "$@"

echo
echo "== a sample from the model (bytegpt sample --model $run --prompt 'The whale')"
if "$BG" sample --help >/dev/null 2>&1; then
    "$BG" sample --model "$run" --prompt "The whale" --tokens 400 --seed 1
    echo
else
    tail -n 8 "$run/samples.txt"
fi

echo
echo "== the run folder: $run"
echo "  log.csv      one row per step: loss, validation bits per byte, tokens/s, FLOPs"
echo "  ckpt.bin     the latest checkpoint (bytegpt train --out $run --resume continues it)"
echo "  best.bin     the checkpoint with the best validation loss"
echo "  samples.txt  text the model wrote as it learned"
echo "  config.txt   the run's settings"
echo "  index.html   the run's page: loss chart, progress, samples (open it in a browser)"
[ -f "$run/loss.svg" ] && echo "  loss.svg     the loss curves (open it in a browser)"
echo "next: $BG plot $run/log.csv    $BG predict --model $run --prompt 'The whale'"
