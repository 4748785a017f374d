#!/usr/bin/env bash
# What a run folder guarantees beyond "resume exactly": one process owns
# it (a lock that dies with its holder, kill -9 included); a resume after a
# kill repeats nothing (samples.txt and best.bin cut back to the
# checkpoint, as log.csv is); a resume on a changed corpus is refused;
# --init-from takes a run folder; a folder or a FIFO is never read as a
# checkpoint; bad output paths are refused before training; a full disk
# while logging stops with exit 1 and a resumable run.
set -u
BG=$1
tmp=$(mktemp -d)
cleanup() {
    mountpoint -q "$tmp/full" 2>/dev/null && umount "$tmp/full"
    mountpoint -q "$tmp/ro" 2>/dev/null && umount "$tmp/ro"
    rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

words "$tmp/words.txt" 11
RUN=(--corpus "$tmp/words.txt" --preset tiny --threads 1)

# ---- One process per run folder ----
"$BG" train "${RUN[@]}" --steps 100000 --out "$tmp/locked" >/dev/null 2>&1 &
holder=$!
wait_rows "$tmp/locked/log.csv" 2 || bad "lock: first run did not start"
before=$(ls -l --time-style=+%s.%N "$tmp/locked" | md5sum)
for args in "--resume" ""; do
    # shellcheck disable=SC2086
    "$BG" train "${RUN[@]}" --steps 10 --out "$tmp/locked" $args >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc -eq 2 ] && grep -q "^error: run folder $tmp/locked is in use by process $holder\$" "$tmp/err" \
        && ok || { bad "lock ($args): exit $rc"; cat "$tmp/err"; }
done
kill -9 $holder; wait $holder 2>/dev/null
# The holder is gone: the lock went with it, and the run resumes.
"$BG" train --out "$tmp/locked" --resume --steps 100000 >"$tmp/after.log" 2>&1 &
pid=$!
sleep 0.5
grep -q "in use" "$tmp/after.log" && bad "lock survived kill -9 of its holder" || ok
kill -TERM $pid; wait $pid
[ $? -eq 143 ] && ok || { bad "resume after the holder's kill -9"; cat "$tmp/after.log"; }

# ---- A resume repeats nothing: samples cut back to the checkpoint ----
S=(--steps 60 --ckpt-every 20 --sample-every 5 --eval-every 5)
"$BG" train "${RUN[@]}" "${S[@]}" --out "$tmp/whole" >/dev/null 2>&1 || bad "uninterrupted run"
"$BG" train "${RUN[@]}" "${S[@]}" --out "$tmp/killed" >/dev/null 2>&1 &
pid=$!
wait_rows "$tmp/killed/log.csv" 47 || bad "sampled run did not get going"
kill -9 $pid; wait $pid 2>/dev/null
"$BG" train --out "$tmp/killed" --resume >/dev/null 2>&1 || bad "resume of the killed run"
steps() { grep -o '^--- step [0-9]*' "$1" | tr '\n' ' '; }
[ "$(steps "$tmp/killed/samples.txt")" = "$(steps "$tmp/whole/samples.txt")" ] && ok \
    || { bad "samples after kill and resume: $(steps "$tmp/killed/samples.txt")"; }
cmp -s "$tmp/killed/samples.txt" "$tmp/whole/samples.txt" && ok || bad "samples differ from the uninterrupted run's"
# best.bin's weights (its tail; the header holds wall-clock seconds).
[ "$(tail -c 400000 "$tmp/killed/best.bin" | md5sum)" = "$(tail -c 400000 "$tmp/whole/best.bin" | md5sum)" ] \
    && ok || bad "best.bin differs from the uninterrupted run's"

# ---- A resume on a changed corpus is refused, naming both ----
cp "$tmp/words.txt" "$tmp/words2.txt"
"$BG" train --corpus "$tmp/words2.txt" --preset tiny --steps 100 --out "$tmp/changing" >/dev/null 2>&1 \
    || bad "run on words2"
echo " and a harpoon" >>"$tmp/words2.txt"
"$BG" train --out "$tmp/changing" --resume --steps 100 >/dev/null 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q "^error: the corpus $tmp/words2.txt has changed since the run began" "$tmp/err" \
    && ok || { bad "changed corpus: exit $rc"; cat "$tmp/err"; }

# ---- --init-from a run folder; folders and FIFOs are not checkpoints ----
"$BG" train "${RUN[@]}" --steps 5 --init-from "$tmp/whole" --out "$tmp/init" >"$tmp/init.log" 2>&1 \
    && ok || { bad "--init-from a run folder"; cat "$tmp/init.log"; }
mkdir "$tmp/empty"
mkfifo "$tmp/fifo"
"$BG" train "${RUN[@]}" --steps 5 --init-from "$tmp/empty" --out "$tmp/x" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "is a folder with no checkpoint" "$tmp/err" && ! grep -q truncated "$tmp/err" \
    && ok || { bad "--init-from an empty folder"; cat "$tmp/err"; }
timeout 10 "$BG" train "${RUN[@]}" --steps 5 --init-from "$tmp/fifo" --out "$tmp/x" >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "is not a checkpoint" "$tmp/err" && ok || { bad "--init-from a FIFO"; cat "$tmp/err"; }
[ -e "$tmp/x" ] && bad "a refused --init-from left a run folder" || ok

# ---- Output paths refused before training ----
long=$tmp/$(printf 'a%.0s' $(seq 1 300))
"$BG" train "${RUN[@]}" --steps 5 --out "$long" >"$tmp/out" 2>"$tmp/err"
[ $? -eq 2 ] && ! grep -q "^step" "$tmp/out" && ok || { bad "too-long --out"; cat "$tmp/err"; }
mkdir -p "$tmp/ro"
if mount -t tmpfs -o size=64k,ro tmpfs "$tmp/ro" 2>/dev/null; then
    "$BG" train "${RUN[@]}" --steps 5 --out "$tmp/ro/run" >"$tmp/out" 2>"$tmp/err"
    [ $? -eq 2 ] && grep -q "Read-only" "$tmp/err" && ! grep -q "^step" "$tmp/out" \
        && ok || { bad "read-only parent"; cat "$tmp/err"; }
else
    echo "  skip: read-only parent (cannot mount a tmpfs here: not root?)"
fi

# ---- Disk full while appending the log ----
mkdir -p "$tmp/full"
if mount -t tmpfs -o size=512k tmpfs "$tmp/full" 2>/dev/null; then
    # A 1-layer dim-8 model (checkpoint ~40 KB) so that the log, not a
    # checkpoint, is what fills this disk.
    M=(--corpus "$tmp/words.txt" --layers 1 --dim 8 --heads 1 --ctx 8 --batch 2 --threads 1)
    dd if=/dev/zero of="$tmp/full/filler" bs=1k count=400 2>/dev/null
    "$BG" train "${M[@]}" --steps 3000 --ckpt-every 100000 --eval-every 100000 --sample-every 0 \
        --out "$tmp/full/run" >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc -eq 1 ] && [ "$(grep -vc '^blas: ' "$tmp/err")" -le 2 ] && grep -q "^error: cannot write .*log.csv" "$tmp/err" \
        && ok || { bad "disk full while logging: exit $rc"; cat "$tmp/err"; }
    rm -f "$tmp/full/filler"
    "$BG" train --out "$tmp/full/run" --resume >/dev/null 2>"$tmp/err" \
        && ok || { bad "resume after space was freed"; cat "$tmp/err"; }
    [ "$(tail -n +2 "$tmp/full/run/log.csv" | cut -d, -f1 | tr '\n' ' ')" = "$(seq -s ' ' 1 3000) " ] \
        && ok || bad "log not complete after the disk-full resume"
    umount "$tmp/full"
else
    echo "  skip: disk full while logging (cannot mount a tmpfs here: not root?)"
fi

finish
