#!/usr/bin/env bash
# bytegpt scaling from the command line, on tiny models and tiny budgets:
#   - a real run finishes with results.tsv (every pair, every seed), fit.txt,
#     scaling.svg and the sweep's page with the scaling section; every run
#     spent its budget within one step; the fit's budgets are those asked;
#   - killed with SIGKILL mid-run and run again, it finishes with the same
#     results.tsv (but the clock's columns), and no finished run is rerun;
#   - every bad input: one error line, exit 2, before anything is written.
# Timing decides nothing: budgets are FLOPs, so every run is a step count.
set -u
BG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

words "$tmp/words.txt" 5
# Three sizes of a ladder at aspect 8 (widths 8, 16, 24), two budgets, two
# seeds: 12 runs of a few dozen to a few hundred steps.
RUN=(--corpus "$tmp/words.txt" --preset tiny --budgets 1e9,2e9 --depths 1,2,3 --aspect 8 --head-size 8
    --resamples 20 --jobs 2 --threads 2)
cols_but_clock() { cut -f1-6,8-11,13 "$1"; }

# ---- A real run ----
"$BG" scaling "${RUN[@]}" --out "$tmp/s" >"$tmp/s.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok || { bad "scaling exit $rc"; cat "$tmp/s.out"; }
R=$tmp/s/results.tsv
[ "$(tail -n +2 "$R" | wc -l)" -eq 6 ] && ok || { bad "results.tsv has not 6 trials"; cat "$R"; }
[ "$(tail -n +2 "$R" | cut -f10 | grep -c '^1337,1338$')" -eq 6 ] && ok || bad "a trial did not run both seeds"
for f in fit.txt scaling.svg index.html; do
    [ -s "$tmp/s/$f" ] && ok || bad "no $f"
done
grep -q '<svg' "$tmp/s/index.html" && grep -qi 'scaling' "$tmp/s/index.html" && ok \
    || bad "the page has no scaling section"
[ "$(grep -c '^budget' "$tmp/s/fit.txt")" -eq 2 ] && ok || { bad "fit.txt has not 2 budgets"; cat "$tmp/s/fit.txt"; }
grep -q '^E	' "$tmp/s/fit.txt" && grep -q '^alpha	' "$tmp/s/fit.txt" && grep -q '^beta	' "$tmp/s/fit.txt" && ok \
    || bad "fit.txt lacks Approach 3's E, alpha, beta"
# Each run spent its budget within one step: flops <= budget < flops + one
# step's FLOPs (the first logged row is one step).
within=1
for d in "$tmp"/s/trial-*; do
    budget=$(grep -m1 '^flop_budget = ' "$d/config.txt" | awk '{print $NF}')
    one=$(sed -n 2p "$d/log.csv" | cut -d, -f3)
    last=$(tail -1 "$d/log.csv" | cut -d, -f3)
    python3 -c "import sys; b,o,l=map(float,sys.argv[1:]); sys.exit(0 if l <= b < l + o else 1)" \
        "$budget" "$one" "$last" || { within=0; echo "  $d: budget $budget, last $last, one step $one"; }
done
[ $within -eq 1 ] && ok || bad "a run did not end within one step of its budget"

# ---- Killed with SIGKILL mid-run, run again: the same results ----
"$BG" scaling "${RUN[@]}" --out "$tmp/k" >/dev/null 2>&1 &
kill_at_rows $! "$tmp/k/trial-003/log.csv" 5
[ ! -f "$tmp/k/fit.txt" ] && ok || bad "the kill did not land before the end"
wait_unlocked "$tmp/k" && ok || bad "a run outlived its killed scaling run"
before=$(finished_sums "$tmp/k")
"$BG" scaling "${RUN[@]}" --out "$tmp/k" >"$tmp/k.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok || { bad "rerun after SIGKILL: exit $rc"; cat "$tmp/k.out"; }
[ "$(cols_but_clock "$tmp/k/results.tsv")" = "$(cols_but_clock "$R")" ] && ok \
    || { bad "results after kill and rerun differ:"; diff <(cols_but_clock "$R") <(cols_but_clock "$tmp/k/results.tsv"); }
after=$(echo "$before" | while read -r _ f; do [ -n "$f" ] && md5sum "$f"; done)
[ -n "$before" ] && [ "$before" = "$after" ] && ok || bad "a finished run was run again"
cmp -s "$tmp/k/fit.txt" "$tmp/s/fit.txt" && ok || { bad "fit.txt differs after kill and rerun"; diff "$tmp/s/fit.txt" "$tmp/k/fit.txt"; }

# ---- Bad input: one error line, exit 2, nothing written ----
words "$tmp/small.txt" 6 2000
refuse() {
    local what=$1
    shift
    "$BG" scaling "$@" --out "$tmp/bad" >"$tmp/bad.out" 2>"$tmp/bad.err"
    local rc=$?
    if [ $rc -eq 2 ] && [ "$(wc -l <"$tmp/bad.err")" -eq 1 ] && grep -q '^error: ' "$tmp/bad.err" && [ ! -e "$tmp/bad" ]
    then ok; else bad "$what: exit $rc, $(cat "$tmp/bad.err")"; fi
    rm -rf "$tmp/bad"
}
C=(--corpus "$tmp/words.txt" --preset tiny --aspect 8 --head-size 8)
refuse "one budget" "${C[@]}" --budgets 1e9 --depths 1,2,3
refuse "budgets not increasing" "${C[@]}" --budgets 2e9,1e9 --depths 1,2,3
refuse "a budget that is no number" "${C[@]}" --budgets 1e9,abc --depths 1,2,3
refuse "two sizes" "${C[@]}" --budgets 1e9,2e9 --depths 1,2
refuse "two sizes by count" "${C[@]}" --budgets 1e9,2e9 --sizes 2
refuse "a size the experiment chooses" "${C[@]}" --budgets 1e9,2e9 --depths 1,2,3 --layers 3
refuse "a corpus the largest budget reads too often" --corpus "$tmp/small.txt" --preset tiny --aspect 8 \
    --head-size 8 --budgets 1e9,2e10 --depths 1,2,3
refuse "no corpus" --preset tiny --budgets 1e9,2e9 --depths 1,2,3
"$BG" scaling --corpus "$tmp/small.txt" --preset tiny --aspect 8 --head-size 8 --budgets 1e9,2e10 --depths 1,2,3 \
    --out "$tmp/bad" 2>&1 | grep -q 'times, above --max-repeat 4' && ok || bad "the repetition is not named"
rm -rf "$tmp/bad"
finish
