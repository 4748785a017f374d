#!/usr/bin/env bash
# Builds the fuzz tree (clang, libFuzzer, ASan + UBSan), replays every
# kept corpus, then fuzzes each target for FUZZ_SECONDS (default 15) of
# new inputs. What the fuzzer finds on the way is written to a scratch
# folder, never into the kept corpus: a finding worth keeping is added by
# hand with its fix (see tests/fuzz/README.md). Exits non-zero on any
# crash, leak, hang or sanitizer report, naming the input in
# build/fuzz/artifacts/. Without clang it says so and exits 0: the
# replays still run in the gcc trees (ctest's fuzz_* tests).
# usage: tests/fuzz/run.sh [TARGET...]   (default: every tests/fuzz/fuzz_*.c)
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${FUZZ_SECONDS:-15}

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang not found; skipping the fuzz runs (scripts/setup.sh installs it)"
    exit 0
fi

echo "== Fuzz build (clang, libFuzzer + ASan + UBSan)"
cmake -S . -B build/fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBYTEGPT_FUZZ=ON \
    -DBYTEGPT_WERROR=ON >/dev/null
cmake --build build/fuzz -j "$(nproc 2>/dev/null || echo 2)"
ctest --test-dir build/fuzz --output-on-failure -j 1

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for src in tests/fuzz/fuzz_*.c; do
        name=$(basename "$src" .c)
        targets+=("${name#fuzz_}")
    done
fi

artifacts=build/fuzz/artifacts
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
for t in "${targets[@]}"; do
    echo "== fuzz_$t for ${seconds}s"
    mkdir -p "$scratch/$t"
    dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    # New inputs go to the scratch folder (the first folder given); the
    # kept corpus is only read. One job: the machine is shared.
    if ! OMP_NUM_THREADS=1 "build/fuzz/tests/fuzz/fuzz_$t" "$scratch/$t" "tests/fuzz/corpus/$t" "${dict[@]}" \
            -max_total_time="$seconds" -max_len=20000 -timeout=10 -rss_limit_mb=2048 \
            -artifact_prefix="$artifacts/${t}-" -print_final_stats=1 >"$scratch/$t.log" 2>&1; then
        tail -n 60 "$scratch/$t.log"
        echo "fuzz: fuzz_$t found a problem; the input is in $artifacts/" >&2
        exit 1
    fi
    grep -E "DONE|stat::number_of_executed_units|stat::average_exec_per_sec" "$scratch/$t.log" || true
done
echo "fuzz: every target ran ${seconds}s without a finding"
