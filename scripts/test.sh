#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds a Release tree and
# an AddressSanitizer + UndefinedBehaviorSanitizer tree (warnings are
# errors in both), and runs ctest on each (which replays every fuzz
# target's kept corpus), then fuzzes each target briefly with clang's
# libFuzzer (tests/fuzz/run.sh). Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh --browser

jobs=$(nproc 2>/dev/null || echo 2)

echo "== Release build"
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DBYTEGPT_WERROR=ON >/dev/null
cmake --build build/release -j "$jobs"
ctest --test-dir build/release --output-on-failure -j 1

echo "== ASan + UBSan build"
cmake -S . -B build/asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBYTEGPT_SANITIZE=ON -DBYTEGPT_WERROR=ON >/dev/null
cmake --build build/asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:allocator_may_return_null=1 UBSAN_OPTIONS=print_stacktrace=1 \
    ctest --test-dir build/asan --output-on-failure -j 1

echo "== Fuzzing (libFuzzer, ${FUZZ_SECONDS:-15}s per target)"
bash tests/fuzz/run.sh
