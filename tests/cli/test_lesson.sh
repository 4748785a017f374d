#!/usr/bin/env bash
# The lesson runs straight through in its quick form (tiny preset, seconds
# of training), shows every step's heading, and prints the held-out bits
# per byte of the fine-tuned model and the model trained from scratch.
set -u
BG=$1 SRC=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
. "$(dirname "$0")/lib.sh"

(cd "$SRC" && BYTEGPT=$BG bash scripts/lesson.sh --quick --no-pause) >"$out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok || { bad "lesson.sh --quick --no-pause exited $rc"; tail -20 "$out"; }
n=0
for title in "The data" "Before training" "Pre-training" "After training" "What it learned, measured" \
    "What it cost" "Pre-training comes first" "The loss curves" "The experiment loop" "What changed since GPT-2"; do
    n=$((n + 1))
    grep -q "^=== Step $n: $title ===" "$out" && ok || bad "no heading 'Step $n: $title'"
done
grep -Eq "^held-out bits per byte on sotu: pre-trained then fine-tuned [0-9.]+, from scratch [0-9.]+$" "$out" \
    && ok || bad "no sotu bits-per-byte line"
grep -q '^\$ bytegpt train --corpus corpus/moby-dick.txt.gz' "$out" && ok || bad "commands are not shown as typed"
grep -Eq "^held-out bits per byte after [0-9]+s: GPT-2's recipe [0-9.]+, the kept recipe's [0-9.]+$" "$out" \
    && ok || bad "no line comparing GPT-2's recipe with today's"
grep -q '^\$ bytegpt train .* --optim muon ' "$out" && ok || bad "the kept recipe is not shown as flags"
grep -q '^best: trial [0-9], [0-9.]* bits per byte on the held-out bytes' "$out" && ok || bad "the sweep found no best trial"
# The run's page: where to open it is said at the start of pre-training,
# and it is there once the run is done.
grep -q '^open runs/lesson/pretrained/index.html in a browser' "$out" && [ -f "$SRC/runs/lesson/pretrained/index.html" ] \
    && grep -q 'class="state finished"' "$SRC/runs/lesson/pretrained/index.html" && ok || bad "no page for the pre-training run"
finish
