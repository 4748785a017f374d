#!/usr/bin/env bash
# Never lose a run: a run stopped by SIGTERM or SIGKILL and resumed gives
# the same log, bit for bit, as a run never stopped; SIGINT and SIGTERM
# save and exit 130/143; a NaN stops without saving the bad state; a full
# disk fails with a clear error and the previous checkpoint intact; bad
# checkpoints are refused; 30 random SIGKILLs never leave a run that
# cannot resume. (scripts/kill_test.sh runs the long version.)
set -u
BG=$1   # the bytegpt binary; $2 is the source folder
tmp=$(mktemp -d)
cleanup() { mountpoint -q "$tmp/full" 2>/dev/null && umount "$tmp/full"; rm -rf "$tmp"; }
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

words "$tmp/words.txt" 9
BASE=(--corpus "$tmp/words.txt" --preset tiny --eval-every 10 --ckpt-every 10 --sample-every 0 --threads 2)
RUN=("${BASE[@]}" --steps 60)
RESUME=() # flags given again on resume (stop_and_resume)

# The columns that must match: step, lr, train_loss, val_loss, grad_norm.
cols() { cut -d, -f1,4,5,6,8 "$1"; }

"$BG" train "${RUN[@]}" --out "$tmp/whole" >/dev/null 2>&1 || bad "uninterrupted run failed"

WAIT_TRIES=600 # wait_rows tries every 0.02 s: 12 s

# stop_and_resume SIGNAL WANT_EXIT [NAME FLAGS...]: stops a run part way,
# resumes it, and compares its log with the uninterrupted one ($tmp/NAME,
# run with FLAGS; $tmp/whole by default).
stop_and_resume() {
    local sig=$1 want=$2 whole=${3:-whole} out=$tmp/stopped-$1-${3:-whole}
    local flags=("${@:4}")
    "$BG" train "${RUN[@]}" ${flags[@]+"${flags[@]}"} --out "$out" >"$out.log" 2>&1 &
    local pid=$!
    wait_rows "$out/log.csv" 25 || bad "$sig: run did not get going"
    kill -"$sig" $pid
    wait $pid
    local rc=$?
    [ $rc -eq "$want" ] && ok || { bad "$sig: exit $rc, want $want"; cat "$out.log"; }
    if [ "$sig" != KILL ]; then
        grep -q "resume with: bytegpt train --out $out --resume" "$out.log" && ok || bad "$sig: no resume hint"
    fi
    "$BG" train --out "$out" --resume ${RESUME[@]+"${RESUME[@]}"} >>"$out.log" 2>&1 \
        || { bad "$sig: resume failed"; tail -3 "$out.log"; }
    if [ "$(cols "$tmp/$whole/log.csv")" = "$(cols "$out/log.csv")" ]; then ok; else
        bad "$sig: resumed log differs from the uninterrupted one ($whole)"
        diff <(cols "$tmp/$whole/log.csv") <(cols "$out/log.csv") | head -5
    fi
}
stop_and_resume TERM 143
stop_and_resume KILL 137
stop_and_resume INT 130

# The same under today's whole recipe (the modern preset's choices on the
# tiny model): Muon's momentum buffers live in the checkpoint's first-
# moment block and its momentum warmup follows the step count; the bigram
# table's moments are in the checkpoint like every other tensor's and its
# gradient is rebuilt from zero each step; WSD follows the run's progress.
# So a stopped run resumes to the uninterrupted log, bit for bit.
MODERN=(--optim muon --bigram on --act relu2 --pos rotary --head untied --norm rmsnorm --qk-norm on --schedule wsd
    --softcap 15)
"$BG" train "${RUN[@]}" "${MODERN[@]}" --out "$tmp/whole-muon" >/dev/null 2>&1 || bad "uninterrupted modern run failed"
stop_and_resume TERM 143 whole-muon "${MODERN[@]}"
stop_and_resume KILL 137 whole-muon "${MODERN[@]}"
# The commands that read a model read a modern one as they read GPT-2's:
# the recipe comes from its checkpoint.
M=$tmp/whole-muon
"$BG" sample --model "$M" --prompt "the " --tokens 40 --seed 1 >"$tmp/m.sample" 2>"$tmp/m.err" \
    && [ "$(wc -c <"$tmp/m.sample")" -ge 40 ] && grep -q "rmsnorm, rotary, qk-norm, relu2, untied head, bigram, softcap 15" "$tmp/m.err" \
    && ok || { bad "sample on a modern model"; cat "$tmp/m.err"; }
"$BG" predict --model "$M" --prompt "the whal" --top-k 3 >"$tmp/m.predict" 2>&1 && grep -q "%" "$tmp/m.predict" \
    && ok || { bad "predict on a modern model"; cat "$tmp/m.predict"; }
"$BG" eval --model "$M" --text "$tmp/words.txt" >"$tmp/m.eval" 2>&1 \
    && grep -Eq '^ *model *[0-9.]+ *[0-9.]+$' "$tmp/m.eval" && ok || { bad "eval on a modern model"; cat "$tmp/m.eval"; }

# A FLOP budget is a step count fixed when the run begins, and the
# checkpoint keeps it: stopped and resumed, with the budget given again
# (as a sweep's trial resumes) or not, the run ends where the
# uninterrupted one did, bit for bit. Another budget is refused by name.
RUN=("${BASE[@]}" --flop-budget 3.4e9)
"$BG" train "${RUN[@]}" --out "$tmp/whole-flop" >/dev/null 2>&1 || bad "uninterrupted flop-budget run failed"
[ "$(tail -1 "$tmp/whole-flop/log.csv" | cut -d, -f1)" -gt 30 ] && ok || bad "the flop budget bought too few steps"
RESUME=(--flop-budget 3.4e9)
stop_and_resume TERM 143 whole-flop
RESUME=()
stop_and_resume KILL 137 whole-flop
"$BG" train --out "$tmp/whole-flop" --resume --flop-budget 1e10 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^error: --flop-budget differs" "$tmp/err" && ok || { bad "changed --flop-budget not refused"; cat "$tmp/err"; }
RUN=("${BASE[@]}" --steps 60)

# Two SIGINTs in quick succession: the second lands during the save and
# must not corrupt it.
out=$tmp/twice
"$BG" train "${RUN[@]}" --steps 100000 --out "$out" >/dev/null 2>&1 &
pid=$!
wait_rows "$out/log.csv" 5
kill -INT $pid; sleep 0.001; kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] && ok || bad "double SIGINT: exit $rc"
last=$(tail -1 "$out/log.csv" | cut -d, -f1)
"$BG" train --out "$out" --resume --steps 100000 >"$tmp/twice.log" 2>&1 &
pid=$!
sleep 0.5; kill -TERM $pid; wait $pid
grep -q "resuming $out at step $last" "$tmp/twice.log" && ok || { bad "double SIGINT: checkpoint not at step $last"; head -5 "$tmp/twice.log"; }

# Resume refuses changed settings, naming the flag, and a bad checkpoint.
"$BG" train --out "$tmp/whole" --resume --lr 0.1 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^error: --lr differs" "$tmp/err" && ok || { bad "changed --lr not refused"; cat "$tmp/err"; }
"$BG" train --out "$tmp/whole" --resume --steps 100 >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^error: --steps differs" "$tmp/err" && ok || { bad "changed --steps not refused"; cat "$tmp/err"; }
cp -r "$tmp/whole" "$tmp/damaged"
printf '\x42' | dd of="$tmp/damaged/ckpt.bin" bs=1 seek=5000 conv=notrunc 2>/dev/null
"$BG" train --out "$tmp/damaged" --resume >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^error: checkpoint .*ckpt.bin is damaged: CRC32" "$tmp/err" && ok || { bad "damaged checkpoint"; cat "$tmp/err"; }
head -c 1000 "$tmp/whole/ckpt.bin" >"$tmp/damaged/ckpt.bin"
"$BG" train --out "$tmp/damaged" --resume >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "^error: .*truncated" "$tmp/err" && ok || { bad "truncated checkpoint"; cat "$tmp/err"; }

# A NaN stops at once: exit 1, the step named, the last good checkpoint
# (step 20) intact and resumable.
out=$tmp/nan
"$BG" train "${RUN[@]}" --test-nan-at 25 --out "$out" >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 1 ] && grep -q "^error: step 25: the loss became NaN" "$tmp/err" && grep -q "lower --lr" "$tmp/err" && ok || { bad "NaN: exit $rc"; cat "$tmp/err"; }
"$BG" train --out "$out" --resume >"$tmp/nan.log" 2>&1 && grep -q "resuming $out at step 20" "$tmp/nan.log" && ok || { bad "NaN: last good checkpoint not resumable"; head -3 "$tmp/nan.log"; }

# A full disk: a real tmpfs, part filled, so that the step-0 checkpoint
# fits but the second one does not. The error names the file, exit 1, the
# step-0 checkpoint survives and no temporary file is left.
mkdir -p "$tmp/full"
if mount -t tmpfs -o size=1024k tmpfs "$tmp/full" 2>/dev/null; then
    dd if=/dev/zero of="$tmp/full/filler" bs=1k count=250 2>/dev/null
    "$BG" train "${RUN[@]}" --ckpt-every 5 --eval-every 1000 --out "$tmp/full/run" >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc -eq 1 ] && grep -q "^error: cannot write checkpoint $tmp/full/run/ckpt.bin: No space left on device (the previous checkpoint is intact)" "$tmp/err" \
        && ok || { bad "disk full: exit $rc"; cat "$tmp/err"; }
    ls "$tmp/full/run/"*.tmp >/dev/null 2>&1 && bad "disk full: temporary file left" || ok
    cp -r "$tmp/full/run" "$tmp/after-full"
    "$BG" train --out "$tmp/after-full" --resume >"$tmp/full.log" 2>&1 && grep -q "at step 0" "$tmp/full.log" \
        && ok || { bad "disk full: previous checkpoint not resumable"; cat "$tmp/full.log"; }
    umount "$tmp/full"
else
    echo "  SKIP: disk-full test needs root to mount a tmpfs"
fi

# Random SIGKILLs, some during checkpoint writes (one per step): every
# resume must find a valid checkpoint, and the final log has every step
# exactly once. The long version is the same script with hundreds of kills.
if bash "$2/scripts/kill_test.sh" "$BG" 30; then ok; else bad "kill test"; fi

finish
