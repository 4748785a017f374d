#!/usr/bin/env bash
# Data parallelism over MPI: two ranks with --batch 4 learn what one
# process with --batch 4 --accum 2 learns (per-step loss and gradient norm,
# and the final parameters, within a tolerance derived below); --seed
# changes both alike; rank 0 alone writes and prints; SIGTERM to mpirun
# and then --resume gives the uninterrupted log; kill -9 of one rank leaves
# a run that resumes to the same log; a resume with another number of
# processes, a corpus that differs between ranks, and a build without MPI
# started by mpirun are refused with one error and no files written.
#
# Skipped (exit 77) when mpirun is missing or the build has no MPI; CMake
# sets BYTEGPT_BUILD_MPI and BYTEGPT_NOMPI (the same program built without
# MPI) for this test.
set -u
BG=$1   # the bytegpt binary; $2 is the source folder
if ! command -v mpirun >/dev/null 2>&1; then
    echo "SKIP: mpirun is not installed (scripts/setup.sh installs OpenMPI)"
    exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# OpenMPI refuses to run as root (CI runs as root) unless told twice; two
# cores hold two ranks only with --oversubscribe; its shared-memory
# transport's single-copy mode needs ptrace rights a container may lack;
# and a rank waiting for the other yields its core rather than spinning,
# which on a machine busy with other work is several times faster.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_mpi_yield_when_idle=1
# Under AddressSanitizer, leak checking is off in the processes mpirun
# starts: OpenMPI leaves allocations made by plugins it unloads at the end,
# which LeakSanitizer cannot tell from ours (the MPI code here allocates
# nothing; the one-process runs below keep checking the rest).
# timeout --foreground passes a signal on to mpirun once; without it,
# timeout signals its whole process group as well, and mpirun, signalled
# twice, kills the job at once (a second Ctrl-C does the same).
MPI2=(timeout --foreground 120 env "ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0" mpirun --oversubscribe -np 2)

words "$tmp/words.txt" 9

# ---- A build without MPI under mpirun: refused before any file ----
# (Without MPI, the program under test is itself that build.)
NOMPI=${BYTEGPT_NOMPI:-$BG}
"${MPI2[@]}" "$NOMPI" train --corpus "$tmp/words.txt" --preset tiny --out "$tmp/nompi" >"$tmp/nompi.log" 2>&1
rc=$?
[ $rc -eq 2 ] && ok || { bad "no-MPI build under mpirun: exit $rc, want 2"; cat "$tmp/nompi.log"; }
grep -q "^error: this bytegpt was built without MPI but was started as one of 2 processes" "$tmp/nompi.log" && ok \
    || { bad "no-MPI build under mpirun: no clear error"; cat "$tmp/nompi.log"; }
[ ! -e "$tmp/nompi" ] && ok || bad "no-MPI build under mpirun created its run folder"
if [ -z "${BYTEGPT_BUILD_MPI:-}" ]; then
    echo "test_mpi_cli: $pass passed, $fail failed"
    [ $fail -eq 0 ] || exit 1
    echo "SKIP: the rest: this build has no MPI (install libopenmpi-dev and rebuild)"
    exit 77
fi

# ---- Equivalence: 2 ranks x --batch 4 == 1 process x --batch 4 --accum 2 ----
# One thread per process, so that OpenBLAS sums in one fixed order.
RUN=(--corpus "$tmp/words.txt" --preset tiny --steps 20 --batch 4 --eval-every 10 --sample-every 0 --threads 1)

# compare ONE TWO [exact]: the logs' step, tokens, flops and lr agree
# exactly; the train loss, validation loss and gradient norm of every step
# within REL; and the parameters in the checkpoints within ABS (with
# `exact`: all of it, AdamW's moments too, to the bit).
#
# The tolerances, from the reduction. Both runs add the same per-position
# gradient contributions of the same 2 x 4 windows of 32 bytes, only in
# another order: one process accumulates the second micro-batch onto the
# first inside the kernels, two ranks add two finished sums. A float sum
# of n terms in any order lies within gamma_n * sum|terms| of the exact
# sum (gamma_n = n*u / (1 - n*u), u = 2^-24), so two orders differ by at
# most 2*gamma_n relative to sum|terms|: with n = 2*4*32 = 256 positions,
# 2*gamma_256 = 3.1e-5. Step 1 starts from identical weights, so its loss
# (a double sum of the same float means) is identical and its gradient
# norm within 3.1e-5; later steps add what the weights drifted, which is
# rounding of the same size passed on step by step. We allow REL = 1e-4.
# AdamW moves a weight by at most about 5.8 lr per step (|m/sqrt(v)| <=
# (1-b1)/sqrt(1-b2) / (1 - b1/sqrt(b2)) with b1 = 0.9, b2 = 0.95), and
# relative rounding delta in the gradient moves that step by delta of it,
# or by up to kappa * delta where the sum cancels (kappa = sum|terms| /
# |sum|). Over 20 steps at lr 3e-3 with kappa up to 10: 20 * 5.8 * 3e-3 *
# 3.1e-5 * 10 = 1.1e-4, so ABS = 1e-4. A wrong share of the data or a
# missing reduction moves weights by ~lr per step and the loss by ~1e-2:
# far outside both.
compare() {
    python3 - "$1" "$2" "${3:-}" <<'PY'
import array, csv, struct, sys
REL, ABS = (0.0, 0.0) if sys.argv[3] == "exact" else (1e-4, 1e-4)
a, b = (list(csv.DictReader(open(d + "/log.csv"))) for d in sys.argv[1:3])
errs = []
if len(a) != len(b) or not a:
    errs.append("logs have %d and %d rows" % (len(a), len(b)))
for x, y in zip(a, b):
    for k in ("step", "tokens", "flops", "lr"):
        if x[k] != y[k]:
            errs.append("step %s: %s %s vs %s" % (x["step"], k, x[k], y[k]))
    for k in ("train_loss", "val_loss", "grad_norm"):
        if (x[k] == "") != (y[k] == ""):
            errs.append("step %s: %s present in one log only" % (x["step"], k))
        elif x[k] and abs(float(x[k]) - float(y[k])) > REL * abs(float(x[k])):
            errs.append("step %s: %s %s vs %s" % (x["step"], k, x[k], y[k]))
def params(d):
    # ckpt.bin: 24-byte header, 50 fields of 8 bytes (version 4), N, path length, the
    # path, then N parameters and AdamW's N + N moments (checkpoint.h).
    data = open(d + "/ckpt.bin", "rb").read()
    n, plen = struct.unpack_from("<QQ", data, 24 + 50 * 8)
    p = array.array("f")
    p.frombytes(data[24 + 50 * 8 + 16 + plen:][:4 * (3 * n if ABS == 0 else n)])
    return p
p, q = params(sys.argv[1]), params(sys.argv[2])
worst = max(abs(u - v) for u, v in zip(p, q)) if len(p) == len(q) else float("inf")
if worst > ABS:
    errs.append("parameters differ by up to %g (%d and %d of them)" % (worst, len(p), len(q)))
print("\n".join(errs[:5]))
sys.exit(1 if errs else 0)
PY
}

# equivalent SEED [NAME FLAGS...]: the two runs at this seed (with FLAGS,
# in folders named after NAME) agree.
equivalent() {
    local one=$tmp/one-$1${2:-} two=$tmp/two-$1${2:-} seed=$1
    local flags=("${@:3}")
    "$BG" train "${RUN[@]}" ${flags[@]+"${flags[@]}"} --accum 2 --seed "$seed" --out "$one" >/dev/null 2>&1 \
        || bad "seed $seed${2:-}: one process failed"
    "${MPI2[@]}" "$BG" train "${RUN[@]}" ${flags[@]+"${flags[@]}"} --seed "$seed" --out "$two" >"$two.log" 2>&1 \
        || { bad "seed $seed${2:-}: two ranks failed"; tail -5 "$two.log"; }
    compare "$one" "$two" && ok || bad "seed $seed${2:-}: two ranks and one process with --accum 2 differ"
}
equivalent 1337
equivalent 7
# --optim muon: every rank orthogonalises the same all-reduced gradient
# with the same arithmetic, so the same holds, by the same compare. The
# loss and gradient norm follow the REL argument above unchanged. For the
# parameters, Muon's step is lr sqrt(rows/cols) NS5(U / ||U||): a relative
# difference delta in the momentum U changes NS5's input by at most
# 2 delta (the normalisation), and NS5 passes it on multiplied by at most
# phi(s)/s for U's smallest singular value s (phi the five iterations'
# polynomial: a^5 = 482 as s -> 0, about 1 for s near 1; test_muon.c).
# The worst case, 20 * 0.02 * 2 * 482 * 2 * 3.1e-5 * kappa, says nothing
# useful, so this check holds Muon to AdamW's ABS; runs agree to about
# 2e-6, and a wrong share of the data or a missing reduction changes
# Muon's direction itself, moving weights by ~lr = 0.02 a step.
equivalent 1337 -muon --optim muon
# --bigram on: the table's gradient travels as packed rows, which every
# rank lists from every micro-batch in the same order, and its sparse Adam
# is AdamW's update row by row, so AdamW's argument and tolerances hold.
# A rank that listed only its own rows would pack them in another order
# and sum other rows' gradients together: far outside them.
equivalent 1337 -bigram --bigram on
# --flop-budget: a step of two ranks holds both ranks' windows, so a
# budget buys two ranks the steps it buys one process with --accum 2 (half
# what one process alone gets), and the two are the same run, by the same
# compare, which also finds logs of different lengths.
FLOP=(--corpus "$tmp/words.txt" --preset tiny --flop-budget 1.1e9 --batch 4 --eval-every 10 --sample-every 0 --threads 1)
"$BG" train "${FLOP[@]}" --accum 2 --out "$tmp/one-flop" >/dev/null 2>&1 || bad "flop budget: one process failed"
"${MPI2[@]}" "$BG" train "${FLOP[@]}" --out "$tmp/two-flop" >"$tmp/two-flop.log" 2>&1 \
    || { bad "flop budget: two ranks failed"; tail -5 "$tmp/two-flop.log"; }
compare "$tmp/one-flop" "$tmp/two-flop" && ok \
    || bad "flop budget: two ranks and one process with --accum 2 differ"

# --seed changed both runs alike: the seeds' logs differ from step 1 on.
first_loss() { sed -n 2p "$1/log.csv" | cut -d, -f5; }
[ "$(first_loss "$tmp/two-1337")" != "$(first_loss "$tmp/two-7")" ] && ok || bad "--seed 7 changed nothing"

# The all-reduce in pieces (here of 1000 floats, as a gradient above
# INT_MAX elements would go) gives the very same run, bit for bit.
"${MPI2[@]}" "$BG" train "${RUN[@]}" --test-dist-chunk 1000 --out "$tmp/chunked" >/dev/null 2>&1 \
    || bad "chunked all-reduce run failed"
compare "$tmp/two-1337" "$tmp/chunked" exact && ok || bad "an all-reduce in pieces changed the run"

# ---- One writer ----
two=$tmp/two-1337
n_rows=$(($(wc -l <"$two/log.csv") - 1))
[ "$n_rows" -eq 20 ] && ok || bad "the 2-rank log has $n_rows rows, want 20"
grep -qx "processes = 2" "$two/config.txt" && ok || bad "config.txt does not say processes = 2"
[ "$(grep -c '^run folder:' "$two.log")" -eq 1 ] && [ "$(grep -c '^done:' "$two.log")" -eq 1 ] && ok \
    || { bad "the 2-rank run did not print once"; cat "$two.log"; }
# Each rank runs in a folder of its own with a relative --out: rank 1's
# folder must stay empty.
mkdir -p "$tmp/cwd/rank0" "$tmp/cwd/rank1"
in_rank_dir=(bash -c 'cd "$0/rank$OMPI_COMM_WORLD_RANK" && exec "$@"' "$tmp/cwd")
"${MPI2[@]}" "${in_rank_dir[@]}" "$BG" train --corpus "$tmp/words.txt" --preset tiny --steps 12 --ckpt-every 5 \
    --sample-every 5 --out run >"$tmp/cwd.log" 2>&1 || bad "2-rank run with relative --out failed"
[ -f "$tmp/cwd/rank0/run/ckpt.bin" ] && [ -s "$tmp/cwd/rank0/run/samples.txt" ] && [ -f "$tmp/cwd/rank0/run/loss.svg" ] \
    && ok || bad "rank 0 did not write the run folder"
[ -z "$(ls -A "$tmp/cwd/rank1")" ] && ok || { bad "rank 1 wrote files"; ls -R "$tmp/cwd/rank1"; }
# Without --threads each rank takes its share of the cores: at most half
# of them (fewer when mpirun bound it to fewer).
threads=$(sed -n 's/^processes: 2 (2 on this machine), \([0-9]*\) threads* each$/\1/p' "$tmp/cwd.log")
half=$(( $(getconf _NPROCESSORS_ONLN) / 2 ))
[ -n "$threads" ] && [ "$threads" -ge 1 ] && [ "$threads" -le $(( half > 1 ? half : 1 )) ] && ok \
    || { bad "the processes line is missing or gives more than half the cores"; grep processes "$tmp/cwd.log"; }
# A corpus that differs between the ranks' machines (here, their
# folders) is refused by the rank that sees it, once, and no run folder
# is made.
cp "$tmp/words.txt" "$tmp/cwd/rank0/text.txt"
head -c 100000 "$tmp/words.txt" >"$tmp/cwd/rank1/text.txt"
"${MPI2[@]}" "${in_rank_dir[@]}" "$BG" train --corpus text.txt --preset tiny --out other >"$tmp/other.log" 2>&1
rc=$?
[ $rc -eq 2 ] && [ "$(grep -c '^error:' "$tmp/other.log")" -eq 1 ] \
    && grep -q "^error: rank 1 reads another text at text.txt than rank 0 does" "$tmp/other.log" && ok \
    || { bad "a corpus that differs on rank 1: exit $rc"; cat "$tmp/other.log"; }
[ ! -e "$tmp/cwd/rank0/other" ] && ok || bad "a refused 2-rank run left its folder"
# A failure on rank 0 is said once; every rank exits with its code.
"${MPI2[@]}" "$BG" train --corpus "$tmp/missing.txt" --preset tiny --out "$tmp/missing" >"$tmp/missing.log" 2>&1
rc=$?
[ $rc -eq 2 ] && [ "$(grep -c '^error:' "$tmp/missing.log")" -eq 1 ] && ok \
    || { bad "missing corpus under mpirun: exit $rc"; cat "$tmp/missing.log"; }
# Other commands do not run as several processes.
"${MPI2[@]}" "$BG" info --preset tiny >"$tmp/info.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "^error: only bytegpt train runs as several processes" "$tmp/info.log" && ok \
    || { bad "info under mpirun: exit $rc"; cat "$tmp/info.log"; }

# ---- Stop, kill, resume ----
# On SIGTERM, OpenMPI's mpirun waits odls_base_sigkill_timeout seconds (1
# by default), passes SIGTERM on to the ranks and kills them as long
# after; 5 seconds here, so that a loaded machine (the ASan tree in CI)
# still finishes the step and the save in time. How many steps a rank
# takes meanwhile depends on the machine, so these runs have no end of
# their own (--steps 1000000, a schedule that barely moves): each is
# stopped by SIGTERM to mpirun, and logs are compared on the steps both
# hold.
RUN=(--corpus "$tmp/words.txt" --preset tiny --batch 4 --steps 1000000 --warmup 20 --eval-every 100
     --ckpt-every 50 --sample-every 0 --threads 1)
cols() { cut -d, -f1,2,4,5,6,8 "$1"; } # step tokens lr train_loss val_loss grad_norm

WAIT_TRIES=6000 # wait_rows tries every 0.02 s: 120 s

last_step() { tail -1 "$1/log.csv" | cut -d, -f1; }
# mpirun may return while the ranks it killed are still dying, one of them
# holding the run folder's lock: wait until they are gone.
wait_unlocked() {
    for _ in $(seq 1 500); do
        flock -n "$1/lock" true && return 0
        sleep 0.02
    done
    return 1
}

# The step a checkpoint holds (the 23rd field of its record, checkpoint.c).
ckpt_step() { od -An -t u8 -j $((24 + 22 * 8)) -N 8 "$1/ckpt.bin" | tr -d ' '; }

# stop_at OUT STEPS [train flags]: runs 2 ranks until they have taken
# STEPS steps past OUT's checkpoint (if any), then sends SIGTERM to mpirun.
# (Sooner, mpirun might still be starting the job, and ends it at once.)
# The ranks stop after the same step, and rank 0 saves it: the log and the
# checkpoint end there. (Rank 0 also says so, but mpirun, ending the job,
# sometimes drops that last output.)
stop_at() {
    local out=$1 rows=$2
    shift 2
    [ -f "$out/ckpt.bin" ] && rows=$((rows + $(ckpt_step "$out")))
    "${MPI2[@]}" --mca odls_base_sigkill_timeout 5 "$BG" train "$@" --out "$out" >>"$out.log" 2>&1 &
    local pid=$!
    wait_rows "$out/log.csv" "$rows" || bad "$out: the run did not get going"
    # SIGTERM to timeout, which (with --foreground) passes it to mpirun once,
    # as a user's kill or Ctrl-C would; mpirun passes it on to the ranks.
    kill -TERM $pid
    wait $pid
    wait_unlocked "$out" || bad "$out: the ranks outlived mpirun"
    local step
    step=$(last_step "$out")
    [ "$(ckpt_step "$out")" = "$step" ] && ok \
        || { bad "$out: the checkpoint holds step $(ckpt_step "$out"), the log ends at $step"; tail -c 300 "$out.log"; }
}

# same_prefix OUT FROM: OUT's log equals the uninterrupted one on the
# steps both hold, which reach past step FROM (where OUT resumed).
same_prefix() {
    local n
    n=$(( $(last_step "$1") < $(last_step "$tmp/whole") ? $(last_step "$1") : $(last_step "$tmp/whole") ))
    [ "$n" -gt "$2" ] && ok || bad "$1: the logs overlap only to step $n, not past step $2"
    if [ "$(cols "$tmp/whole/log.csv" | head -$((n + 1)))" = "$(cols "$1/log.csv" | head -$((n + 1)))" ]; then ok; else
        bad "$1: the resumed log differs from the uninterrupted one"
        diff <(cols "$tmp/whole/log.csv" | head -$((n + 1))) <(cols "$1/log.csv" | head -$((n + 1))) | head -5
    fi
}

# SIGTERM, then --resume, continues exactly.
stop_at "$tmp/stopped" 80 "${RUN[@]}"
first=$(last_step "$tmp/stopped")
stop_at "$tmp/stopped" 100 --resume

# kill -9 of rank 1: mpirun ends the job; the folder resumes exactly.
out=$tmp/killed
mkdir -p "$tmp/pids"
"${MPI2[@]}" bash -c 'echo $$ >"$0/$OMPI_COMM_WORLD_RANK" && exec "$@"' "$tmp/pids" "$BG" train "${RUN[@]}" \
    --out "$out" >"$out.log" 2>&1 &
pid=$!
wait_rows "$out/log.csv" 70 || bad "KILL: the run did not get going"
kill -KILL "$(cat "$tmp/pids/1")"
wait $pid
rc=$?
[ $rc -ne 0 ] && [ $rc -ne 124 ] && ok || bad "KILL: mpirun exit $rc (124: it did not end the job)"
wait_unlocked "$out" || bad "KILL: the ranks outlived mpirun"
stop_at "$out" 100 --resume

# The uninterrupted run, taken past the steps of both, to compare them with.
most=$(( $(last_step "$tmp/stopped") > $(last_step "$out") ? $(last_step "$tmp/stopped") : $(last_step "$out") ))
stop_at "$tmp/whole" $((most + 50)) "${RUN[@]}"
same_prefix "$tmp/stopped" "$first"
same_prefix "$out" 70

# ---- Resume with another number of processes: refused, naming both ----
before=$(cat "$tmp/whole/log.csv")
"$BG" train --out "$tmp/whole" --resume >"$tmp/n1.log" 2>&1
rc=$?
[ $rc -eq 2 ] && grep -q "^error: the run in $tmp/whole was trained by 2 processes; this run has 1: resume with mpirun -np 2" \
    "$tmp/n1.log" && ok || { bad "1-process resume of a 2-rank run: exit $rc"; cat "$tmp/n1.log"; }
"$BG" train --corpus "$tmp/words.txt" --preset tiny --steps 5 --out "$tmp/single" >/dev/null 2>&1
"${MPI2[@]}" "$BG" train --out "$tmp/single" --resume >"$tmp/n2.log" 2>&1
rc=$?
[ $rc -eq 2 ] && [ "$(grep -c '^error:' "$tmp/n2.log")" -eq 1 ] \
    && grep -q "trained by 1 process; this run has 2: resume it without mpirun" "$tmp/n2.log" && ok \
    || { bad "2-rank resume of a 1-process run: exit $rc"; cat "$tmp/n2.log"; }
[ "$before" = "$(cat "$tmp/whole/log.csv")" ] && ok || bad "a refused resume changed the log"

# ---- The kernel choice: made in every rank, said once ----
# The test build (BYTEGPT_SEAMS) pretends OpenBLAS picked its oldest
# kernels: each rank checks a better one and restarts with it before MPI
# starts; rank 0 alone prints the line, having heard every rank chose the
# same. Each rank's choice is its own: with one rank's check made to
# crash, the two differ, and the line says so.
if [ -n "${BYTEGPT_SEAMS:-}" ] && grep -q '^flags.* avx ' /proc/cpuinfo; then
    BLAS_RUN=(train --corpus "$tmp/words.txt" --preset tiny --steps 3 --threads 1)
    "${MPI2[@]}" env BYTEGPT_TEST_BLAS_PICKED=Prescott "$BYTEGPT_SEAMS" "${BLAS_RUN[@]}" --out "$tmp/blas" \
        >"$tmp/blas.log" 2>&1 || bad "blas: mpirun exit $?"
    [ "$(grep -c '^blas' "$tmp/blas.log")" -eq 1 ] \
        && grep -q "^blas: OpenBLAS .* picked Prescott kernels .*; using [A-Za-z0-9_]* (checked); the same in every process" \
        "$tmp/blas.log" && ok || { bad "blas: not one line for the two ranks"; cat "$tmp/blas.log"; }
    best=$(sed -n 's/.*; using \([A-Za-z0-9_]*\) (checked).*/\1/p' "$tmp/blas.log")
    "${MPI2[@]:0:$((${#MPI2[@]} - 1))}" 1 env BYTEGPT_TEST_BLAS_PICKED=Prescott "$BYTEGPT_SEAMS" "${BLAS_RUN[@]}" \
        --out "$tmp/blas2" : -np 1 env BYTEGPT_TEST_BLAS_PICKED=Prescott BYTEGPT_TEST_BLAS_REJECT="$best:crash" \
        "$BYTEGPT_SEAMS" "${BLAS_RUN[@]}" --out "$tmp/blas2" >"$tmp/blas2.log" 2>&1 || bad "blas: mpirun (2 apps) exit $?"
    grep -q "^blas: .*using $best (checked); other processes chose otherwise: see their lines" "$tmp/blas2.log" \
        && grep -q "^blas (process 1): .*$best rejected: crashed" "$tmp/blas2.log" && ok \
        || { bad "blas: ranks that chose differently"; cat "$tmp/blas2.log"; }
fi

echo "test_mpi_cli: $pass passed, $fail failed"
[ $fail -eq 0 ]
