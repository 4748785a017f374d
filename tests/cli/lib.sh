# Shared by the command-line test scripts (tests/cli/test_*.sh), sourced after
# each has made its temporary folder: the pass and fail counts, a generated
# text to train on, waiting for a run's log to grow, and the last line.

pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "  FAIL: $*"; }

# words FILE SEED [COUNT]: COUNT words (30,000 unless given) drawn by
# Python's seeded random from a short list of whaling words: a corpus the
# tiny model learns quickly, the same bytes for the same seed.
words() {
    python3 - "$1" "$2" "${3:-30000}" <<'PY'
import random, sys
random.seed(int(sys.argv[2]))
w = "the whale ship sea captain ahab white boat harpoon water deep long time man old".split()
open(sys.argv[1], "w").write(" ".join(random.choice(w) for _ in range(int(sys.argv[3]))))
PY
}

# wait_rows LOG N: waits until LOG has at least N data rows, trying every
# 0.02 s, WAIT_TRIES times (1500, 30 s, unless the script sets it).
wait_rows() {
    for _ in $(seq 1 "${WAIT_TRIES:-1500}"); do
        [ -f "$1" ] && [ "$(($(wc -l <"$1") - 1))" -ge "$2" ] && return 0
        sleep 0.02
    done
    return 1
}

# kill_at_rows PID LOG N: kills PID with SIGKILL once LOG has N lines
# (trying every 0.01 s, 3000 times), and reaps it: a kill mid-run.
kill_at_rows() {
    for _ in $(seq 1 3000); do
        [ -f "$2" ] && [ "$(wc -l <"$2")" -ge "$3" ] && break
        sleep 0.01
    done
    kill -9 "$1"
    wait "$1" 2>/dev/null
}

# wait_unlocked DIR: waits until no run of the sweep in DIR holds its lock
# (a killed sweep's runs die with it); returns 1 if one still does.
wait_unlocked() {
    local holders
    for _ in $(seq 1 500); do
        holders=$(cat "$1"/trial-*/lock 2>/dev/null | xargs -r ps -o pid= -p 2>/dev/null | wc -l)
        [ "$holders" -eq 0 ] && return 0
        sleep 0.01
    done
    return 1
}

# finished_sums DIR: "md5 path" of the ckpt.bin of every run in the sweep
# DIR that has finished (has its result.txt), to show that a rerun leaves
# them alone.
finished_sums() {
    for f in "$1"/trial-*/ckpt.bin; do [ -f "${f%ckpt.bin}result.txt" ] && md5sum "$f"; done
}

# finish: the counts, and the script's exit status (0 when nothing failed).
finish() {
    echo "$pass passed, $fail failed"
    [ $fail -eq 0 ]
}
