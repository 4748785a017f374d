#!/usr/bin/env bash
# bytegpt train from the command line: every bad input gets one line
# "error: ..." and exit 2 with nothing written; a run leaves its folder;
# output off a terminal has no control characters.
set -u
BG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# A small text: words from a short list, a few hundred KB.
words "$tmp/words.txt" 5
printf 'tiny text' > "$tmp/short.txt"

# expect_error NAME PATTERN ARGS...: exit 2, one line "error: ...PATTERN...",
# and no run folder left at $tmp/out.
expect_error() {
    local name=$1 pattern=$2
    shift 2
    rm -rf "$tmp/out"
    "$BG" train "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    local rc=$?
    if [ $rc -ne 2 ]; then bad "$name: exit $rc, want 2"; cat "$tmp/stderr"; return; fi
    if [ "$(wc -l <"$tmp/stderr")" -ne 1 ] || ! grep -q "^error: .*$pattern" "$tmp/stderr"; then
        bad "$name: stderr is not one 'error: ...$pattern' line:"; cat "$tmp/stderr"; return
    fi
    if [ -e "$tmp/out" ]; then bad "$name: left $tmp/out behind"; return; fi
    ok
}

C=(--corpus "$tmp/words.txt" --out "$tmp/out")
expect_error "unknown flag" "--bogus" "${C[@]}" --bogus 3
expect_error "missing value" "--steps" "${C[@]}" --steps
expect_error "malformed number" "--steps" "${C[@]}" --steps 12x
expect_error "unknown preset" "huge" "${C[@]}" --preset huge
expect_error "dim not divisible by heads" "divisible" "${C[@]}" --preset tiny --dim 30 --heads 4
expect_error "zero layers" "--layers" "${C[@]}" --preset tiny --layers 0
expect_error "zero batch" "--batch" "${C[@]}" --preset tiny --batch 0
expect_error "zero accum" "--accum" "${C[@]}" --preset tiny --accum 0
expect_error "negative steps" "--steps" "${C[@]}" --preset tiny --steps -5
expect_error "NaN lr" "--lr" "${C[@]}" --preset tiny --lr nan
expect_error "negative lr" "--lr" "${C[@]}" --preset tiny --lr -0.1
expect_error "negative wd" "--wd" "${C[@]}" --preset tiny --wd -1
expect_error "beta1 of 1" "--beta1" "${C[@]}" --preset tiny --beta1 1
expect_error "beta2 above 1" "--beta2" "${C[@]}" --preset tiny --beta2 1.5
expect_error "negative clip" "--clip" "${C[@]}" --preset tiny --clip -1
expect_error "bad time unit" "--time-budget" "${C[@]}" --preset tiny --time-budget 5x
expect_error "zero time budget" "--time-budget" "${C[@]}" --preset tiny --time-budget 0m
expect_error "ctx larger than the corpus allows" "short.txt" --corpus "$tmp/short.txt" --out "$tmp/out" --preset tiny
expect_error "missing corpus" "nonexistent" --corpus "$tmp/nonexistent.gz" --out "$tmp/out" --preset tiny
expect_error "no corpus" "--corpus" --out "$tmp/out" --preset tiny
expect_error "model too large for memory" "memory" "${C[@]}" --layers 1024 --dim 65536 --heads 64
expect_error "resume without a run" "neither a checkpoint nor a log" --out "$tmp/out" --resume
# Every recipe setting: a name outside its choices, or a number out of range.
for f in norm pos qk-norm act head bigram optim schedule; do
    expect_error "bad --$f" "--$f is [a-z0-9]* or [a-z0-9]*, got 'x'" "${C[@]}" --preset tiny --$f x
done
expect_error "negative softcap" "--softcap" "${C[@]}" --preset tiny --softcap -1
expect_error "NaN softcap" "--softcap" "${C[@]}" --preset tiny --softcap nan
expect_error "zero muon-lr" "--muon-lr" "${C[@]}" --preset tiny --muon-lr 0
expect_error "wd too large for muon-lr" "--wd" "${C[@]}" --preset tiny --optim muon --muon-lr 0.5 --wd 3
expect_error "decay above 1" "--decay" "${C[@]}" --preset tiny --decay 1.5
expect_error "rotary with an odd head size" "even" "${C[@]}" --preset tiny --dim 12 --heads 4 --pos rotary
# --flop-budget: a positive number of FLOPs, at least one step's (named),
# and never beside --steps.
for v in -3e9 0 nan inf abc; do
    expect_error "--flop-budget $v" "--flop-budget needs a positive number of FLOPs" "${C[@]}" --preset tiny --flop-budget "$v"
done
expect_error "flop budget below one step" "--flop-budget 1e+06 is less than one step, which costs [0-9.e+]* FLOP" \
    "${C[@]}" --preset tiny --flop-budget 1e6
expect_error "flop budget with steps" "--flop-budget and --steps exclude each other" "${C[@]}" --preset tiny --flop-budget 3e9 --steps 10

# A run: the folder and its files, the log's header and one row per step.
"$BG" train "${C[@]}" --preset tiny --steps 30 --eval-every 10 --sample-every 15 >"$tmp/run.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok || { bad "tiny run exit $rc"; cat "$tmp/run.out"; }
for f in log.csv ckpt.bin best.bin samples.txt config.txt; do
    [ -s "$tmp/out/$f" ] && ok || bad "run folder lacks $f"
done
[ "$(head -1 "$tmp/out/log.csv")" = "step,tokens,flops,lr,train_loss,val_loss,val_bpb,grad_norm,tokens_per_s,elapsed_s" ] && ok || bad "log header"
[ "$(tail -n +2 "$tmp/out/log.csv" | cut -d, -f1 | tr '\n' ' ')" = "$(seq -s ' ' 1 30) " ] && ok || bad "log rows are not steps 1..30"
# Evaluations at steps 10, 20, 30: val columns filled there and only there.
[ "$(awk -F, 'NR>1 && $6!="" {print $1}' "$tmp/out/log.csv" | tr '\n' ' ')" = "10 20 30 " ] && ok || bad "val columns not at 10,20,30"
grep -q -- "--- step 15 " "$tmp/out/samples.txt" && ok || bad "no sample at step 15"
# Off a terminal: plain lines, no carriage returns or escape sequences.
if LC_ALL=C grep -q $'[\r\033]' "$tmp/run.out"; then bad "control bytes in non-terminal output"; else ok; fi
grep -q "^done: 30 steps" "$tmp/run.out" && ok || bad "no summary line"

# info --first shows the corpus' first bytes as tokens with their values.
"$BG" info --corpus "$tmp/words.txt" --first 4 >"$tmp/info.out" 2>&1
first=$(head -c 4 "$tmp/words.txt" | od -An -tu1 | awk '{print $1}')
grep -q "'$(head -c 1 "$tmp/words.txt")' $first" "$tmp/info.out" && ok || { bad "info --first"; cat "$tmp/info.out"; }

# --steps 0 initialises only: a step-0 checkpoint and an empty log.
"$BG" train --corpus "$tmp/words.txt" --out "$tmp/init" --preset tiny --steps 0 >"$tmp/init.out" 2>&1
[ $? -eq 0 ] && [ -s "$tmp/init/ckpt.bin" ] && [ "$(wc -l <"$tmp/init/log.csv")" -eq 1 ] && grep -q "at step 0, untrained" "$tmp/init.out" \
    && ok || { bad "--steps 0 did not initialise only"; cat "$tmp/init.out"; }
# ... and its config.txt says what was asked: 0 steps (it once said 1).
grep -qx "steps = 0" "$tmp/init/config.txt" && grep -qx "warmup = 0" "$tmp/init/config.txt" \
    && ok || { bad "--steps 0: config.txt does not say steps = 0"; cat "$tmp/init/config.txt"; }

# info and bench take the recipe as train does: info's bill names it (the
# choices on the model line, the tables the embeddings have, a gain-only
# norm, N without the bigram table) and its bad values get train's error.
"$BG" info --preset tiny --pos rotary --bigram on --head untied --norm rmsnorm --optim muon --gflops 50 \
    >"$tmp/recipe.info" 2>&1 || bad "info with the recipe failed"
grep -q "^model .*rmsnorm, rotary, untied head, bigram" "$tmp/recipe.info" \
    && grep -q "token 256x32 + its own LM head + bigram 65536x32$" "$tmp/recipe.info" \
    && grep -q "RMSNorm .*a gain, no bias" "$tmp/recipe.info" && grep -q "(N without the bigram table" "$tmp/recipe.info" \
    && grep -q "^  optimizer .*Newton-Schulz" "$tmp/recipe.info" && ok || { bad "info does not show the recipe"; cat "$tmp/recipe.info"; }
for cmd in info bench; do
    "$BG" $cmd --preset tiny --norm batchnorm >"$tmp/recipe.out" 2>"$tmp/recipe.err"
    rc=$?
    [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/recipe.err")" -eq 1 ] && grep -q "^error: $cmd: --norm is layernorm or rmsnorm, got 'batchnorm'" "$tmp/recipe.err" \
        && ok || { bad "$cmd --norm batchnorm: exit $rc"; cat "$tmp/recipe.err"; }
done

# --schedule wsd: after 2 warmup steps the peak holds until the last half
# of the 20 steps, then falls in a straight line (equal steps down) to
# min-lr; config.txt records the recipe under the flags' names.
rm -rf "$tmp/wsd"
"$BG" train --corpus "$tmp/words.txt" --out "$tmp/wsd" --preset tiny --steps 20 --warmup 2 --lr 0.002 \
    --min-lr 0.0002 --schedule wsd --decay 0.5 >/dev/null 2>&1 || bad "wsd run failed"
lrs=$(tail -n +2 "$tmp/wsd/log.csv" | cut -d, -f4 | tr '\n' ' ')
python3 - "$lrs" <<'PY' && ok || bad "wsd learning rates: $lrs"
import sys
lr = [float(x) for x in sys.argv[1].split()]
assert len(lr) == 20 and lr[0] == 0.001 and all(x == 0.002 for x in lr[1:11]), lr
down = [a - b for a, b in zip(lr[10:], lr[11:])]
assert all(abs(d - down[0]) < 1e-12 and d > 0 for d in down), down
PY
grep -qx "schedule = wsd" "$tmp/wsd/config.txt" && grep -qx "norm = layernorm" "$tmp/wsd/config.txt" && ok \
    || bad "config.txt lacks the recipe"

# --flop-budget F ends the run within one step of F, by the log's own
# count (its flops column; one step's FLOPs are the first row's): the last
# row's flops <= F < the last row's + one step's, under AdamW and under
# Muon, whose Newton-Schulz products each step pays too. The start line
# and the summary name the budget, config.txt records it, and the run is
# the step-counted run of as many steps, bit for bit: the same warmup,
# the same schedule down to its last learning rate, the same losses.
# within LOG F: the last row is within one step of F.
within() {
    python3 - "$1" "$2" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
budget, step, last = float(sys.argv[2]), float(rows[0]["flops"]), float(rows[-1]["flops"])
assert len(rows) > 1 and last <= budget < last + step, (len(rows), step, last, budget)
PY
}
for optim in adamw muon; do
    rm -rf "$tmp/flop-$optim"
    "$BG" train --corpus "$tmp/words.txt" --out "$tmp/flop-$optim" --preset tiny --optim $optim --flop-budget 3e9 \
        >"$tmp/flop-$optim.out" 2>&1 || { bad "--flop-budget under $optim failed"; cat "$tmp/flop-$optim.out"; }
    within "$tmp/flop-$optim/log.csv" 3e9 && ok || bad "--flop-budget 3e9 under $optim: not within one step"
    n=$(tail -1 "$tmp/flop-$optim/log.csv" | cut -d, -f1)
    grep -q "^flop budget 3e+09: $n steps of " "$tmp/flop-$optim.out" && grep -q "^done: $n steps, .* of a 3e+09 FLOP budget" \
        "$tmp/flop-$optim.out" && grep -qx "flop_budget = 3e+09" "$tmp/flop-$optim/config.txt" && ok \
        || { bad "--flop-budget under $optim: the budget is not named"; cat "$tmp/flop-$optim.out"; }
done
n=$(tail -1 "$tmp/flop-adamw/log.csv" | cut -d, -f1)
"$BG" train --corpus "$tmp/words.txt" --out "$tmp/flop-steps" --preset tiny --steps "$n" >/dev/null 2>&1 \
    || bad "the step-counted twin failed"
[ "$(cut -d, -f1-8 "$tmp/flop-adamw/log.csv")" = "$(cut -d, -f1-8 "$tmp/flop-steps/log.csv")" ] && ok \
    || bad "--flop-budget 3e9 is not the run of --steps $n"
"$BG" train --help | grep -q -- "--flop-budget F" && ok || bad "train --help lacks --flop-budget"

# The same folder again without --resume is refused and left as it was.
before=$(md5sum "$tmp/out/log.csv")
"$BG" train "${C[@]}" --preset tiny --steps 30 >/dev/null 2>"$tmp/stderr"
rc=$?
[ $rc -eq 2 ] && grep -q "^error: .*already holds a run" "$tmp/stderr" && ok || { bad "existing run not refused (exit $rc)"; cat "$tmp/stderr"; }
[ "$(md5sum "$tmp/out/log.csv")" = "$before" ] && ok || bad "refused run changed the log"

# The same seed twice gives the same loss column, bit for bit.
"$BG" train --corpus "$tmp/words.txt" --out "$tmp/again" --preset tiny --steps 30 --eval-every 10 --sample-every 15 >/dev/null 2>&1
[ "$(cut -d, -f5 "$tmp/out/log.csv")" = "$(cut -d, -f5 "$tmp/again/log.csv")" ] && ok || bad "same seed, different losses"

finish
