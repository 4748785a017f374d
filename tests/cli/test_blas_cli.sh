#!/usr/bin/env bash
# The choice of OpenBLAS's kernels as a user meets it: one "blas:" line on
# standard error per run, info's machine section, a user's
# OPENBLAS_CORETYPE left untouched, BYTEGPT_BLAS=off and a bad value of it,
# and, with the test build's seams (BYTEGPT_SEAMS, set by CMake: the same
# program, which can pretend OpenBLAS picked its oldest kernels and make a
# candidate's check crash or compute wrong), the switch to a better
# kernel, the fall back past a rejected one, and a sweep's one line.
set -u
BG=$1   # the bytegpt binary; $2 is the source folder
SEAMS=${BYTEGPT_SEAMS:?BYTEGPT_SEAMS: the test build of bytegpt, set by CMake}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
# The variables this test sets itself, none inherited.
unset OPENBLAS_CORETYPE BYTEGPT_BLAS BYTEGPT_BLAS_CHOSEN
words "$tmp/words.txt" 5 20000
train() { "$@" train --corpus "$tmp/words.txt" --preset tiny --steps 3 --eval-every 3 --out "$tmp/run$RANDOM"; }

# A run says once what it found and chose, and info shows the machine.
train "$BG" >"$tmp/out" 2>"$tmp/err" || bad "train: exit $?"
[ "$(grep -c '^blas: OpenBLAS [0-9.]* picked [A-Za-z0-9_]* kernels for this CPU' "$tmp/err")" = 1 ] && ok \
    || { bad "train: not one blas line"; cat "$tmp/err"; }
grep -q "on OpenBLAS's [A-Za-z0-9_]* kernels" "$tmp/out" && ok || bad "train summary names no kernel"
"$BG" info --machine >"$tmp/info" 2>&1 || bad "info --machine: exit $?"
for want in '^  CPU ' '^  vectors ' '^  OpenBLAS   [0-9]' '^  kernels    OpenBLAS picked .*; in use: ' \
    '^  sgemm      [0-9.]* GFLOP/s on 1 thread, [0-9.]* GFLOP/s on '; do
    grep -q "$want" "$tmp/info" && ok || { bad "info --machine lacks $want"; cat "$tmp/info"; }
done
grep -q "^parameters" "$tmp/info" && bad "info --machine shows the model too" || ok
"$BG" info --machine --corpus "$tmp/words.txt" >"$tmp/e" 2>&1
[ $? -eq 2 ] && grep -q "^error: info: --machine shows the machine alone" "$tmp/e" && ok || bad "info --machine --corpus"

# bench names the kernels beside its MFU and says once what was chosen;
# its "other" is split by what the real step measured.
"$BG" bench --preset tiny --steps 2 --warmup-steps 1 >"$tmp/out" 2>"$tmp/err" || bad "bench: exit $?"
[ "$(grep -c '^blas: ' "$tmp/err")" = 1 ] && ok || { bad "bench: not one blas line"; cat "$tmp/err"; }
grep -q "MFU .* (sgemm's peak on OpenBLAS's [A-Za-z0-9_]* kernels)" "$tmp/out" && ok || { bad "bench names no kernel"; cat "$tmp/out"; }
for row in "zeroing gradients" "between kernels" "the rest"; do
    grep -q "^    $row .* ms " "$tmp/out" && ok || { bad "bench's other lacks '$row'"; cat "$tmp/out"; }
done

# A user's OPENBLAS_CORETYPE is left as it is, even where bytegpt would
# switch, and the kernel it names is the one in use.
OPENBLAS_CORETYPE=Prescott train "$BG" >/dev/null 2>"$tmp/err" || bad "train with OPENBLAS_CORETYPE: exit $?"
grep -q "^blas: OPENBLAS_CORETYPE=Prescott set in the environment: left as it is" "$tmp/err" && ok \
    || { bad "user's variable not reported"; cat "$tmp/err"; }
OPENBLAS_CORETYPE=Prescott BYTEGPT_TEST_BLAS_PICKED=Prescott "$SEAMS" info --machine >"$tmp/info" 2>&1
grep -q "in use: Prescott (OPENBLAS_CORETYPE, set in the environment)" "$tmp/info" && ok \
    || { bad "user's variable overridden"; cat "$tmp/info"; }
BYTEGPT_BLAS=off BYTEGPT_TEST_BLAS_PICKED=Prescott train "$SEAMS" >/dev/null 2>"$tmp/err"
grep -q "picked Prescott kernels .*; kept them (BYTEGPT_BLAS=off)" "$tmp/err" && ok || { bad "BYTEGPT_BLAS=off"; cat "$tmp/err"; }
BYTEGPT_BLAS=fast "$BG" info --machine >"$tmp/e" 2>&1
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/e")" = 1 ] && grep -q "^error: BYTEGPT_BLAS must be 'off'" "$tmp/e" && ok \
    || { bad "BYTEGPT_BLAS=fast"; cat "$tmp/e"; }

# The switch: told OpenBLAS picked Prescott, the test build checks the
# best kernel this CPU runs and restarts with it.
BYTEGPT_TEST_BLAS_PICKED=Prescott train "$SEAMS" >/dev/null 2>"$tmp/err" || bad "switched train: exit $?"
best=$(sed -n 's/^blas: OpenBLAS [0-9.]* picked Prescott kernels for this CPU (.*); using \([A-Za-z0-9_]*\) (checked)$/\1/p' "$tmp/err")
if grep -q '^flags.* avx ' /proc/cpuinfo; then
    [ -n "$best" ] && [ "$best" != Prescott ] && ok || { bad "no switch"; cat "$tmp/err"; }
    BYTEGPT_TEST_BLAS_PICKED=Prescott "$SEAMS" info --machine >"$tmp/info" 2>&1
    grep -q "OpenBLAS picked Prescott; in use: $best (chosen by bytegpt for this CPU and checked)" "$tmp/info" && ok \
        || { bad "info after the switch"; cat "$tmp/info"; }
    # The best one crashes, then computes wrong: the next one is used,
    # and the line says why the first was rejected.
    for how in crash wrong; do
        BYTEGPT_TEST_BLAS_PICKED=Prescott BYTEGPT_TEST_BLAS_REJECT=$best:$how train "$SEAMS" >/dev/null 2>"$tmp/err" \
            || bad "train with $best rejected ($how): exit $?"
        grep -q "^blas: .*picked Prescott kernels.*$best rejected: " "$tmp/err" && ok \
            || { bad "$best rejected ($how) not said"; cat "$tmp/err"; }
        grep -q "using $best " "$tmp/err" && bad "a rejected kernel used" || ok
    done
    grep -q "$best rejected: wrong product: element" "$tmp/err" && ok || bad "the wrong product not named"
    # A sweep chooses once (its trials are forked from it, with its kernels).
    BYTEGPT_TEST_BLAS_PICKED=Prescott "$SEAMS" sweep --corpus "$tmp/words.txt" --preset tiny --steps 2 --eval-every 2 \
        --grid 'lr=1e-3' --seeds 1 --out "$tmp/sweep" >"$tmp/out" 2>"$tmp/err" || { bad "sweep: exit $?"; cat "$tmp/err"; }
    [ "$(grep -c "^blas: .*using $best (checked)" "$tmp/err")" = 1 ] && ok || { bad "sweep: not one blas line"; cat "$tmp/err"; }
else
    echo "  (no AVX on this CPU: nothing better than Prescott to switch to; switch not tested)"
fi
finish
