#!/usr/bin/env bash
# bytegpt sweep from the command line:
#   - a 2x2 grid that holds the base is the baseline and 3 trials: 4 rows,
#     each val_bpb the mean of `bytegpt eval` on its run folders' ckpt.bin
#     over the held-out bytes, so the best row is the lowest score there;
#     keep/discard follow the rule (two trials beat the best so far by less
#     than twice the baseline's spread: discarded), time to target follows
#     the logs;
#   - a sweep killed with SIGKILL mid-trial and run again ends with the
#     same results.tsv (but the clock's columns), and repeats nothing;
#   - --list trials with --every-seed: every trial over every seed, each
#     row the mean of its runs' result.txt, and after a SIGKILL and a rerun
#     no finished run is run again;
#   - SIGTERM stops it with exit 143, and --resume alone continues;
#   - crashing trials (a NaN loss, a model too large) are recorded and the
#     sweep goes on;
#   - the proposer protocol, and a proposer that fails or prints what is
#     not flags;
#   - every bad input: one error line, exit 2, nothing written.
# Timing decides nothing here: budgets are steps or FLOPs. The ASan build runs this
# script too.
set -u
BG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

words "$tmp/words.txt" 11
n=$(wc -c <"$tmp/words.txt")
tail -c $((n / 10)) "$tmp/words.txt" >"$tmp/heldout.txt" # the validation stream: all of it fits in 64 KiB
BASE=(--corpus "$tmp/words.txt" --preset tiny --steps 60)
GRID=(--grid 'steps=60,120 dim=32,36' --jobs 2 --threads 2)

# col FILE N: column N of results.tsv's rows; cols_but_clock FILE: every
# column but seconds (7) and target_share (12), the clock's.
col() { tail -n +2 "$1" | cut -f"$2"; }
cols_but_clock() { cut -f1-6,8-11,13 "$1"; }

# ---- A 4-trial grid: rows, scores, the rule ----
"$BG" sweep "${BASE[@]}" "${GRID[@]}" --out "$tmp/grid" >"$tmp/grid.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok || { bad "grid sweep exit $rc"; cat "$tmp/grid.out"; }
R=$tmp/grid/results.tsv
[ "$(head -1 "$R")" = "$(printf 'trial\tstatus\tval_bpb\tspread\tsteps\ttokens\tseconds\tparams\tflops\tseeds\tflags\ttarget_share\tnote')" ] \
    && ok || bad "results.tsv header: $(head -1 "$R")"
[ "$(tail -n +2 "$R" | wc -l)" -eq 4 ] && ok || { bad "grid: want 4 rows (the base is in the grid)"; cat "$R"; }
[ "$(col "$R" 11 | tr '\n' '|')" = "|--steps 60 --dim 36|--steps 120 --dim 32|--steps 120 --dim 36|" ] && ok \
    || bad "grid order: $(col "$R" 11 | tr '\n' '|')"
[ "$(col "$R" 2 | head -1)" = baseline ] && [ "$(col "$R" 10 | head -1)" = "1337,1338" ] && ok \
    || bad "row 1 is not the baseline over seeds 1337,1338"
# Every run folder scored independently by bytegpt eval on the held-out
# bytes; each row's val_bpb is the mean over its seeds' folders.
for d in "$tmp"/grid/trial-*; do
    printf '%s %s\n' "$(basename "$d")" \
        "$("$BG" eval --model "$d/ckpt.bin" --text "$tmp/heldout.txt" 2>/dev/null | awk '$1 == "model" { print $3 }')"
done >"$tmp/evals.txt"
python3 - "$R" "$tmp/evals.txt" >"$tmp/check.txt" 2>&1 <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
evals = dict(line.split() for line in open(sys.argv[2]))
spread0 = float(rows[0]["spread"])
best = float(rows[0]["val_bpb"])
problems = []
for r in rows:
    t = int(r["trial"])
    runs = [f"trial-{t:03d}" + ("" if i == 0 else f"-seed{s}") for i, s in enumerate(r["seeds"].split(","))]
    scores = [float(evals[x]) for x in runs]
    mean = sum(scores) / len(scores)
    if abs(mean - float(r["val_bpb"])) > 1.5e-4:
        problems.append(f"trial {t}: val_bpb {r['val_bpb']}, eval gives {mean:.5f}")
    if len(scores) > 1 and abs(max(scores) - min(scores) - float(r["spread"])) > 1.5e-4:
        problems.append(f"trial {t}: spread {r['spread']}, eval gives {max(scores) - min(scores):.5f}")
    if t > 1:
        want = "keep" if float(r["val_bpb"]) < best - 2 * spread0 else "discard"
        if r["status"] != want:
            problems.append(f"trial {t}: {r['status']}, the rule says {want}")
        if r["status"] == "keep":
            best = float(r["val_bpb"])
lowest = min(rows, key=lambda r: float(r["val_bpb"]))
lowest_eval = min(evals, key=lambda k: float(evals[k]))
if not lowest_eval.startswith(f"trial-{int(lowest['trial']):03d}"):
    problems.append(f"the lowest row is trial {lowest['trial']}, the lowest eval is {lowest_eval}")
print("\n".join(problems) if problems else "ok")
PY
[ "$(cat "$tmp/check.txt")" = ok ] && ok || { bad "scores against bytegpt eval:"; cat "$tmp/check.txt"; cat "$R"; }
# The best is the last kept trial, as a train command: the base's flags,
# less those the trial changes, then the trial's.
best=$(tail -n +2 "$R" | awk -F'\t' '$2 == "keep" || $2 == "baseline" { t = $1 } END { print t }')
grep -q "^best: trial $best, [0-9.]* bits per byte" "$tmp/grid.out" && [ "$best" = 3 ] && ok || bad "best line"
grep -qx "  bytegpt train --corpus $tmp/words.txt --preset tiny --steps 120 --dim 32" "$tmp/grid.out" && ok \
    || bad "no ready train command"
[ -s "$tmp/grid/sweep.svg" ] && grep -q "trial-004" "$tmp/grid/sweep.svg" && ok || bad "no sweep.svg with every trial"
grep -q "runs an hour: about [0-9,]* fit in two days" "$tmp/grid.out" && ok || bad "no rate"

# Time to target, from the logs: a kept trial's share is when its curve
# first reached the baseline's final val_bpb (interpolated), over the
# baseline's time. Twice the steps learns far more, so a trial is kept.
python3 - "$tmp/grid" >"$tmp/target.txt" 2>&1 <<'PY'
import csv, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/results.tsv"), delimiter="\t"))
def curve(folder):
    return [(float(r["elapsed_s"]), float(r["tokens"]), float(r["val_bpb"]))
            for r in csv.DictReader(open(f"{d}/{folder}/log.csv")) if r["val_bpb"]]
def folders(r):
    return [f"trial-{int(r['trial']):03d}" + ("" if i == 0 else f"-seed{s}")
            for i, s in enumerate(r["seeds"].split(","))]
base = [curve(f) for f in folders(rows[0])]
target = sum(c[-1][2] for c in base) / len(base)
base_t = sum(c[-1][0] for c in base) / len(base)
base_k = sum(c[-1][1] for c in base) / len(base)
kept = [r for r in rows if r["status"] == "keep"]
problems = [] if kept else ["no trial was kept"]
for r in kept:
    ts, ks = [], []
    for f in folders(r):
        c, prev = curve(f), None
        for p in c:
            if p[2] <= target:
                w = 1.0 if prev is None else (prev[2] - target) / (prev[2] - p[2])
                a = prev or p
                ts.append(a[0] + w * (p[0] - a[0]))
                ks.append(a[1] + w * (p[1] - a[1]))
                break
            prev = p
    share = sum(ts) / len(ts) / base_t
    tok = sum(ks) / len(ks) / base_k
    if abs(share - float(r["target_share"])) > 0.006:
        problems.append(f"trial {r['trial']}: target_share {r['target_share']}, the logs give {share:.3f}")
    if f"at {tok:.2f} of its tokens" not in r["note"]:
        problems.append(f"trial {r['trial']}: note '{r['note']}', the logs give {tok:.2f} of the tokens")
print("\n".join(problems) if problems else "ok")
PY
[ "$(cat "$tmp/target.txt")" = ok ] && ok || { bad "time to target:"; cat "$tmp/target.txt"; }
# Each trial evaluated 20 times (every 60 / 20 = 3 steps), on one batch.
[ "$(tail -n +2 "$tmp/grid/trial-002/log.csv" | cut -d, -f7 | grep -c .)" -eq 20 ] && ok || bad "not 20 evaluations"
grep -q "^eval_batches = 1$" "$tmp/grid/trial-002/config.txt" && ok || bad "trials do not evaluate on one batch"

# Under a time budget the steps are not known ahead: the trial's child
# paces its evaluations once its first steps show the speed, so there are
# more than the final one (about 20; how many depends on the clock).
"$BG" sweep --corpus "$tmp/words.txt" --preset tiny --time-budget 2s --seeds 1 --out "$tmp/timed" >/dev/null 2>&1
[ "$(tail -n +2 "$tmp/timed/trial-001/log.csv" | cut -d, -f7 | grep -c .)" -gt 1 ] && ok \
    || bad "a timed trial evaluated only at its end"

# ---- A FLOP budget in the base, and a grid over it ----
# Each trial ends within one step of its own budget: results.tsv's flops
# (and its run's last log row) <= the budget < that + one step's FLOPs
# (the log's first row), and its steps are the log's.
"$BG" sweep --corpus "$tmp/words.txt" --preset tiny --flop-budget 2e9 --grid 'flop-budget=1e9,3e9' --seeds 1 \
    --out "$tmp/flop" >"$tmp/flop.out" 2>&1 || { bad "flop-budget sweep failed"; cat "$tmp/flop.out"; }
python3 - "$tmp/flop" >"$tmp/flop.txt" 2>&1 <<'PY'
import csv, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/results.tsv"), delimiter="\t"))
problems = [] if [r["flags"] for r in rows] == ["", "--flop-budget 1e9", "--flop-budget 3e9"] else [f"rows {rows}"]
for r in rows:
    budget = float(r["flags"].split()[-1]) if r["flags"] else 2e9
    log = list(csv.DictReader(open(f"{d}/trial-{int(r['trial']):03d}/log.csv")))
    step, last, flops = float(log[0]["flops"]), float(log[-1]["flops"]), float(r["flops"])
    if not (last <= budget < last + step and flops <= budget < flops + step):
        problems.append(f"trial {r['trial']}: flops {r['flops']} (log {last}), one step {step}, budget {budget}")
    if r["steps"] != log[-1]["step"]:
        problems.append(f"trial {r['trial']}: steps {r['steps']}, the log's {log[-1]['step']}")
print("\n".join(problems) if problems else "ok")
PY
[ "$(cat "$tmp/flop.txt")" = ok ] && ok || { bad "flop-budget sweep:"; cat "$tmp/flop.txt" "$tmp/flop/results.tsv"; }

# ---- Killed with SIGKILL mid-trial, run again: the same results ----
"$BG" sweep "${BASE[@]}" "${GRID[@]}" --out "$tmp/killed" >/dev/null 2>&1 &
kill_at_rows $! "$tmp/killed/trial-003/log.csv" 20
[ ! -f "$tmp/killed/trial-003/result.txt" ] && ok || bad "the kill did not land mid-trial"
# The trial's child dies with the sweep (and its lock with it).
wait_unlocked "$tmp/killed" && ok || bad "a run outlived its killed sweep"
before=$(finished_sums "$tmp/killed")
"$BG" sweep "${BASE[@]}" "${GRID[@]}" --out "$tmp/killed" >"$tmp/again.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok || { bad "rerun after SIGKILL: exit $rc"; cat "$tmp/again.out"; }
grep -q "trial 3/[0-9]* (seed 1337): --steps 120 --dim 32, resumed from its checkpoint" "$tmp/again.out" && ok \
    || { bad "the interrupted trial did not resume"; cat "$tmp/again.out"; }
[ "$(cols_but_clock "$tmp/killed/results.tsv")" = "$(cols_but_clock "$R")" ] && ok \
    || { bad "results after kill and rerun differ:"; diff <(cols_but_clock "$R") <(cols_but_clock "$tmp/killed/results.tsv"); }
# Nothing twice: runs finished before the kill were not run again, and
# every log has each step once.
after=$(echo "$before" | while read -r _ f; do [ -n "$f" ] && md5sum "$f"; done)
[ -n "$before" ] && [ "$before" = "$after" ] && ok || bad "a finished run was run again"
for log in "$tmp"/killed/trial-*/log.csv; do
    last=$(tail -1 "$log" | cut -d, -f1)
    [ "$(tail -n +2 "$log" | cut -d, -f1 | tr '\n' ' ')" = "$(seq -s ' ' 1 "$last") " ] && [ "$last" -ge 60 ] \
        || bad "steps in $log"
done
ok

# ---- --list and --every-seed, killed with SIGKILL mid-trial and run again ----
# The list's third item is the first again: planned once.
LIST=(--corpus "$tmp/words.txt" --preset tiny --steps 60 --seeds 2 --every-seed
      --list '--dim 48; --layers 1 --dim 48; --dim=48')
"$BG" sweep "${LIST[@]}" --out "$tmp/list" >"$tmp/list1.out" 2>&1 &
kill_at_rows $! "$tmp/list/trial-002/log.csv" 15
[ ! -f "$tmp/list/trial-002/result.txt" ] && ok || bad "the kill did not land mid-trial 2"
grep -q "^sweep $tmp/list: 3 trials planned ahead, every trial over 2 seeds;" "$tmp/list1.out" && ok \
    || { bad "--list's start line"; cat "$tmp/list1.out"; }
wait_unlocked "$tmp/list" || bad "a run outlived its killed --list sweep"
done_before=$(cd "$tmp/list" && ls -d trial-*/result.txt | sed 's|/result.txt||' | LC_ALL=C sort | tr '\n' ' ')
sums=$(cd "$tmp/list" && for d in $done_before; do md5sum "$d/ckpt.bin"; done)
"$BG" sweep "${LIST[@]}" --out "$tmp/list" >"$tmp/list2.out" 2>&1
rc=$?
[ $rc -eq 0 ] && ok || { bad "--list rerun after SIGKILL: exit $rc"; cat "$tmp/list2.out"; }
L=$tmp/list/results.tsv
[ "$(col "$L" 11 | tr '\n' '|')" = "|--dim 48|--layers 1 --dim 48|" ] && [ "$(col "$L" 10 | sort -u)" = "1337,1338" ] && ok \
    || { bad "--list --every-seed rows"; cat "$L"; }
# The rerun started exactly the runs without a result (the baseline's two
# were done before the kill), trial 2's first from its checkpoint.
[ "$done_before" = "trial-001 trial-001-seed1338 " ] && ok || bad "finished before the kill: '$done_before'"
[ "$(grep -c '^trial [0-9]*/3 (seed [0-9]*): ' "$tmp/list2.out")" -eq 4 ] \
    && grep -q "^trial 2/3 (seed 1337): --dim 48, resumed from its checkpoint" "$tmp/list2.out" \
    && ! grep -q "^trial 1/3 (seed" "$tmp/list2.out" && ok || { bad "runs started by the rerun"; cat "$tmp/list2.out"; }
[ "$(cd "$tmp/list" && for d in $done_before; do md5sum "$d/ckpt.bin"; done)" = "$sums" ] && ok \
    || bad "a run finished before the kill was run again"
for log in "$tmp"/list/trial-*/log.csv; do
    [ "$(tail -n +2 "$log" | cut -d, -f1 | tr '\n' ' ')" = "$(seq -s ' ' 1 60) " ] || bad "steps in $log"
done
# Each row is the mean and spread of its runs' own scores (result.txt),
# and the noise rule decided on that mean.
python3 - "$tmp/list" >"$tmp/check.txt" 2>&1 <<'PY'
import csv, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(f"{d}/results.tsv"), delimiter="\t"))
def score(folder):
    fields = dict(l.rstrip("\n").split("\t", 1) for l in open(f"{d}/{folder}/result.txt") if "\t" in l)
    return float(fields["val_bpb"])
problems, best = [], None
for r in rows:
    t = int(r["trial"])
    s = [score(f"trial-{t:03d}"), score(f"trial-{t:03d}-seed1338")]
    if abs(sum(s) / 2 - float(r["val_bpb"])) > 5.1e-5 or abs(abs(s[0] - s[1]) - float(r["spread"])) > 5.1e-5:
        problems.append(f"trial {t}: {r['val_bpb']} {r['spread']}, its runs scored {s}")
    if t == 1:
        best, spread0 = float(r["val_bpb"]), float(r["spread"])
        continue
    want = "keep" if float(r["val_bpb"]) < best - 2 * spread0 else "discard"
    if r["status"] != want:
        problems.append(f"trial {t}: {r['status']}, the rule says {want}")
    if want == "keep":
        best = float(r["val_bpb"])
print("\n".join(problems) if problems else "ok")
PY
[ "$(cat "$tmp/check.txt")" = ok ] && ok || { bad "--every-seed rows against result.txt:"; cat "$tmp/check.txt" "$L"; }

# ---- SIGTERM: exit 143 with checkpoints; --resume alone continues ----
"$BG" sweep "${BASE[@]}" --steps 100000 --seeds 1 --out "$tmp/term" >"$tmp/term.out" 2>&1 &
pid=$!
for _ in $(seq 1 3000); do
    [ -f "$tmp/term/trial-001/log.csv" ] && [ "$(wc -l <"$tmp/term/trial-001/log.csv")" -ge 5 ] && break
    sleep 0.01
done
kill -TERM $pid
wait $pid
rc=$?
[ $rc -eq 143 ] && grep -q "^continue with: bytegpt sweep --out $tmp/term --resume$" "$tmp/term.out" && ok \
    || { bad "SIGTERM: exit $rc"; cat "$tmp/term.out"; }
step=$(tail -1 "$tmp/term/trial-001/log.csv" | cut -d, -f1)
"$BG" sweep --out "$tmp/term" --resume --steps 100 >"$tmp/term2.out" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "^error: $tmp/term holds a sweep with another definition: --steps was '100000', now '100'" \
    "$tmp/term2.out" && ok || { bad "a changed definition on resume: exit $rc"; cat "$tmp/term2.out"; }
timeout 5 "$BG" sweep --out "$tmp/term" --resume >"$tmp/term3.out" 2>&1 # resumes, then the timeout stops it
grep -q "resumed from its checkpoint" "$tmp/term3.out" && [ "$(sed -n 2p "$tmp/term/trial-001/log.csv" | cut -d, -f1)" = 1 ] \
    && [ "$(tail -1 "$tmp/term/trial-001/log.csv" | cut -d, -f1)" -gt "$step" ] && ok || { bad "--resume"; cat "$tmp/term3.out"; }

# ---- Crashes are recorded and the sweep goes on ----
# Steps 40 reach the NaN injected at step 20, steps 10 (the base) do not;
# dim 65536 is too large for memory; the last trial runs after them all.
"$BG" sweep "${BASE[@]}" --test-nan-at 20 --steps 10 --seeds 1 --grid 'steps=40,10 dim=32,65536,48' \
    --out "$tmp/crash" >"$tmp/crash.out" 2>&1
rc=$?
C=$tmp/crash/results.tsv
[ $rc -eq 0 ] && ok || { bad "sweep with crashes: exit $rc"; cat "$tmp/crash.out"; }
[ "$(col "$C" 2 | head -5 | tr '\n' ' ')" = "baseline crash crash crash crash " ] && [ "$(col "$C" 2 | sed -n 6p)" != crash ] \
    && ok || bad "statuses: $(col "$C" 2 | tr '\n' ' ')"
[ "$(col "$C" 11 | sed -n 2p)" = "--steps 40 --dim 32" ] && col "$C" 13 | sed -n 2p | grep -q "^step 20: the loss became NaN" \
    && ok || { bad "the NaN crash's row"; cat "$C"; }
col "$C" 13 | sed -n 3p | grep -q "^the model needs .* of memory" && ok || bad "the memory crash's row"
[ "$(col "$C" 11 | tail -1)" = "--steps 10 --dim 48" ] && [ -n "$(col "$C" 3 | tail -1)" ] && ok \
    || bad "the trial after the crashes did not run"
grep -q "^  trial 2 (seed 1337) crashed: step 20: the loss became NaN" "$tmp/crash.out" && ok || bad "crash not shown"

# ---- The proposer ----
cat >"$tmp/propose.sh" <<'EOF'
#!/bin/sh
# Proposes from the rows it reads: two trials, then nothing.
dir=$(dirname "$0")
cat >"$dir/seen.$(($(ls "$dir" | grep -c '^seen\.') + 1))"
echo "$BYTEGPT_SWEEP_DIR" >"$dir/sweep_dir"
case $(($(wc -l <"$dir/seen.$(ls "$dir" | grep -c '^seen\.')") - 1)) in
1) printf '  --dim 48\n' ;;
2) echo "--layers=1 --dim 48" ;;
esac
EOF
P=(--corpus "$tmp/words.txt" --preset tiny --steps 10 --seeds 1)
"$BG" sweep "${P[@]}" --propose "sh $tmp/propose.sh" --out "$tmp/prop" >"$tmp/prop.out" 2>&1
rc=$?
[ $rc -eq 0 ] && [ "$(col "$tmp/prop/results.tsv" 11 | tr '\n' '|')" = "|--dim 48|--layers 1 --dim 48|" ] && ok \
    || { bad "proposer: exit $rc"; cat "$tmp/prop.out" "$tmp/prop/results.tsv"; }
# It was asked three times, each time with the rows so far on stdin.
[ "$(ls "$tmp" | grep -c '^seen\.')" -eq 3 ] && cmp -s "$tmp/seen.3" "$tmp/prop/results.tsv" \
    && [ "$(wc -l <"$tmp/seen.1")" -eq 2 ] && ok || bad "the proposer did not get results.tsv on stdin"
[ "$(cat "$tmp/sweep_dir")" = "$tmp/prop" ] && ok || bad "BYTEGPT_SWEEP_DIR"
# Run again: the decided trials are not proposed again, only what comes next.
rm -f "$tmp"/seen.*
"$BG" sweep "${P[@]}" --propose "sh $tmp/propose.sh" --out "$tmp/prop" >/dev/null 2>&1
[ $? -eq 0 ] && [ "$(ls "$tmp" | grep -c '^seen\.')" -eq 1 ] && ok || bad "a rerun asked the proposer again"

# expect_propose_error NAME SCRIPT MESSAGE: exit 2, one error line (beside
# the sweep's "blas:" line, said once it started), and the baseline's row
# in results.tsv intact.
expect_propose_error() {
    printf '%s\n' "$2" >"$tmp/p.sh"
    rm -rf "$tmp/perr"
    "$BG" sweep "${P[@]}" --propose "sh $tmp/p.sh" --out "$tmp/perr" >/dev/null 2>"$tmp/err"
    local rc=$?
    if [ $rc -eq 2 ] && [ "$(grep -v '^blas: ' "$tmp/err" | grep -c .)" -eq 1 ] && grep -q "^error: $3" "$tmp/err" &&
        [ "$(col "$tmp/perr/results.tsv" 2)" = baseline ]; then
        ok
    else
        bad "proposer $1: exit $rc"
        cat "$tmp/err"
    fi
}
expect_propose_error "failing" 'exit 3' "--propose command 'sh $tmp/p.sh' failed (exit status 3)"
expect_propose_error "words" 'echo try a bigger model' \
    "--propose command 'sh $tmp/p.sh' printed 'try', which is not flags (like --lr 3e-3 --dim 128)"
expect_propose_error "unknown setting" 'echo --colour blue' "--propose command 'sh $tmp/p.sh' printed: unknown setting 'colour'"
expect_propose_error "refused value" 'echo --lr fast' "--propose command 'sh $tmp/p.sh' printed: --lr needs a finite number, got 'fast'"
expect_propose_error "refused trial" 'echo --heads 3' "sweep --propose: the trial --heads 3 is refused: "
expect_propose_error "the same trial again" 'echo --steps 10' \
    "--propose command 'sh $tmp/p.sh' proposed --steps 10, the same run as trial 1"

# ---- Bad input: one line, exit 2, nothing written ----
# expect_error NAME MESSAGE ARGS...
expect_error() {
    local name=$1 msg=$2
    shift 2
    rm -rf "$tmp/new"
    "$BG" sweep "$@" >"$tmp/out" 2>"$tmp/err"
    local rc=$?
    if [ $rc -eq 2 ] && [ "$(grep -c . "$tmp/err")" -eq 1 ] && grep -q "^error: " "$tmp/err" &&
        grep -qF -e "$msg" "$tmp/err" && [ ! -s "$tmp/out" ] && [ ! -e "$tmp/new" ]; then
        ok
    else
        bad "$name: exit $rc"
        cat "$tmp/out" "$tmp/err"
    fi
}
N=(--corpus "$tmp/words.txt" --preset tiny --steps 10 --out "$tmp/new")
expect_error "grid without =" "sweep --grid: 'lr' has no values" "${N[@]}" --grid lr
expect_error "empty grid list" "sweep --grid: lr= has no values" "${N[@]}" --grid 'lr='
expect_error "empty grid value" "sweep --grid: lr has an empty value in '1e-3,,3e-3'" "${N[@]}" --grid 'lr=1e-3,,3e-3'
expect_error "empty grid" "sweep --grid is empty" "${N[@]}" --grid ' '
expect_error "unknown setting" "sweep --grid: unknown setting 'colour'" "${N[@]}" --grid 'colour=red,blue'
expect_error "grid value refused" "sweep --grid: --lr needs a finite number, got 'abc'" "${N[@]}" --grid 'lr=1e-3,abc'
expect_error "grid trial refused" "sweep --grid: the trial --heads 3 is refused: " "${N[@]}" --grid 'heads=1,3'
expect_error "grid flop budget refused" "sweep --grid: --flop-budget needs a positive number of FLOPs (e.g. 3e13), got '-1'" \
    "${N[@]}" --grid 'flop-budget=-1'
expect_error "flop budget beside steps" "sweep --grid: the trial --flop-budget 3e9 is refused: --flop-budget and --steps exclude" \
    "${N[@]}" --grid 'flop-budget=3e9'
expect_error "space backwards" "sweep --space: lr=1e-2..1e-4 goes from high to low" "${N[@]}" --random 3 --space 'lr=1e-2..1e-4'
expect_error "space log at 0" "sweep --space: lr=0..1:log is on a log scale" "${N[@]}" --random 3 --space 'lr=0..1:log'
expect_error "space not a range" "sweep --space: lr=a..b is not a range" "${N[@]}" --random 3 --space 'lr=a..b'
expect_error "random trial refused" "sweep --random: the trial --heads 3 is refused: " "${N[@]}" --random 5 --space 'heads=3'
expect_error "random without space" "sweep --random N draws from --space" "${N[@]}" --random 3
expect_error "space without random" "sweep --space is drawn from by --random N" "${N[@]}" --space 'lr=1e-4..1e-2'
expect_error "no budget" "sweep needs a budget for each trial" --corpus "$tmp/words.txt" --out "$tmp/new"
expect_error "no corpus" "sweep needs --corpus PATH" --steps 10 --out "$tmp/new"
expect_error "missing corpus" "cannot read corpus $tmp/nothing.txt" --corpus "$tmp/nothing.txt" --steps 10 --out "$tmp/new"
expect_error "base refused" "--dim 32 is not divisible by --heads 3" "${N[@]}" --heads 3
expect_error "zero seeds" "sweep: --seeds needs a whole number from 1 to 16, got '0'" "${N[@]}" --seeds 0
expect_error "zero jobs" "sweep: --jobs must be at least 1" "${N[@]}" --jobs 0
expect_error "unknown flag" "sweep: unknown flag --colour" "${N[@]}" --colour red
expect_error "a lone dash" "sweep: unexpected argument '-'" -
expect_error "a lone dash, then a word starting with h" "sweep: unexpected argument '-'" - hello
expect_error "a flag with h third" "sweep: unknown flag --hx" --hx
echo text >"$tmp/afile"
expect_error "out is a file" "--out $tmp/afile exists and is not a folder" "${N[@]}" --out "$tmp/afile"
mkdir -p "$tmp/full" && echo x >"$tmp/full/notes.txt"
expect_error "out holds something else" "$tmp/full is not empty and holds no sweep" "${N[@]}" --out "$tmp/full"
[ "$(ls "$tmp/full")" = notes.txt ] && ok || bad "the non-sweep folder was written to"
expect_error "resume without a sweep" "$tmp/full holds no sweep to resume" --out "$tmp/full" --resume
listing() { ls -lR --time-style=+%s.%N "$tmp/grid" | md5sum; }
before=$(listing)
expect_error "a changed grid" "$tmp/grid holds a sweep with another definition: --grid was 'steps=60,120 dim=32,36', now 'steps=60,120 dim=32,40'" \
    "${BASE[@]}" --grid 'steps=60,120 dim=32,40' --out "$tmp/grid"
expect_error "a changed base" "$tmp/grid holds a sweep with another definition: --lr was not given, now '0.01'" \
    "${BASE[@]}" "${GRID[@]}" --lr 1e-2 --out "$tmp/grid"
[ "$(listing)" = "$before" ] && ok || bad "a refused resume changed the folder"
expect_error "list not flags" "sweep --list item 2 'dim', which is not flags" "${N[@]}" --list '--dim 48; dim 64'
expect_error "list unknown setting" "sweep --list item 1: unknown setting 'colour'" "${N[@]}" --list '--colour red'
expect_error "list bad value" "sweep --list item 2: --lr needs a finite number, got 'abc'" "${N[@]}" --list '--dim 48; --lr abc'
expect_error "list empty item" "sweep --list item 2 is empty" "${N[@]}" --list '--dim 48;; --dim 64'
expect_error "list trial refused" "sweep --list item 1: the trial --heads 3 is refused: " "${N[@]}" --list '--heads 3'
expect_error "list too long" "sweep --list is too long: item 656 goes past 16383 bytes" "${N[@]}" \
    --list "$(seq -f '--lr 0.001234567890%04g' 1 800 | paste -sd';')"
expect_error "a changed list" "$tmp/list holds a sweep with another definition: --list item 2 was '--layers 1 --dim 48', now '--layers 2 --dim 48'" \
    "${LIST[@]::9}" --list '--dim 48; --layers 2 --dim 48' --out "$tmp/list"
expect_error "every-seed dropped" "$tmp/list holds a sweep with another definition: --every-seed was '1', now not given" \
    "${LIST[@]::8}" "${LIST[@]:9}" --out "$tmp/list"

# One process per sweep folder.
"$BG" sweep "${BASE[@]}" --steps 100000 --seeds 1 --out "$tmp/locked" >/dev/null 2>&1 &
holder=$!
for _ in $(seq 1 3000); do [ -f "$tmp/locked/trial-001/log.csv" ] && break; sleep 0.01; done
"$BG" sweep "${BASE[@]}" --steps 100000 --seeds 1 --out "$tmp/locked" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "^error: sweep folder $tmp/locked is in use by process $holder\$" "$tmp/err" && ok \
    || { bad "lock: exit $rc"; cat "$tmp/err"; }
kill -TERM $holder
wait $holder

# --help, -h, and --help after other flags: the usage, exit 0.
for args in "--help" "-h" "--corpus x.txt --help"; do
    # shellcheck disable=SC2086
    "$BG" sweep $args >"$tmp/out" 2>"$tmp/err"
    [ $? -eq 0 ] && grep -q "^usage: bytegpt sweep" "$tmp/out" && grep -q "64 KiB" "$tmp/out" && [ ! -s "$tmp/err" ] && ok \
        || bad "help ($args)"
done

finish
