#!/usr/bin/env bash
# Crash safety: starts a tiny-preset run that checkpoints at every step,
# kills it with SIGKILL at random instants (many during checkpoint writes),
# resumes it after each kill, and checks that every resume found a valid
# checkpoint and that the finished log has every step exactly once.
#
#   scripts/kill_test.sh [BYTEGPT] [KILLS]     (defaults: build/release/bytegpt, 300)
#
# tests/cli/test_resume_cli.sh runs it with 30 kills; run it by hand for more.
set -u
BG=${1:-build/release/bytegpt}
KILLS=${2:-300}
STEPS=$(( KILLS * 100 + 100 ))
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

python3 - "$tmp/words.txt" <<'PY'
import random, sys
random.seed(9)
w = "the whale ship sea captain ahab white boat harpoon water deep long time man old".split()
open(sys.argv[1], "w").write(" ".join(random.choice(w) for _ in range(30000)))
PY

out=$tmp/run
"$BG" train --corpus "$tmp/words.txt" --preset tiny --steps $STEPS --eval-every 50 --ckpt-every 1 \
    --sample-every 0 --threads 1 --out "$out" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 500); do [ -f "$out/ckpt.bin" ] && break; sleep 0.01; done
kills=0 resumes=0 failed=0
for i in $(seq 1 "$KILLS"); do
    sleep "0.$(printf '%02d' $((RANDOM % 25 + 2)))"
    kill -KILL $pid 2>/dev/null && kills=$((kills + 1))
    wait $pid 2>/dev/null
    "$BG" train --out "$out" --resume >"$tmp/resume.log" 2>&1 &
    pid=$!
    sleep 0.05
    # A resume that already exited must have finished the run (exit 0);
    # anything else means it found no valid checkpoint.
    if ! kill -0 $pid 2>/dev/null; then
        wait $pid; rc=$?
        if [ $rc -ne 0 ]; then failed=$((failed + 1)); echo "kill $i: resume exited $rc:"; cat "$tmp/resume.log"; break; fi
    fi
    resumes=$((resumes + 1))
done
wait $pid 2>/dev/null
"$BG" train --out "$out" --resume >/dev/null 2>&1
complete=0
[ "$(tail -n +2 "$out/log.csv" | cut -d, -f1 | tr '\n' ' ')" = "$(seq -s ' ' 1 $STEPS) " ] && complete=1
ls "$out"/*.tmp >/dev/null 2>&1 && leftover=1 || leftover=0
echo "kill test: $kills kills, $resumes resumes started, $failed failed; log complete: $complete; temporary files left: $leftover"
[ $failed -eq 0 ] && [ $complete -eq 1 ] && [ $leftover -eq 0 ]
