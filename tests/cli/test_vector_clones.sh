#!/usr/bin/env bash
# Every kernel built for several vector units (VECTOR_CLONES, in
# src/ops_vec.h) is vectorised in each of its AVX2 and AVX-512 builds: the
# AVX2 clone uses ymm registers, the AVX-512 clone zmm ones. GCC may
# vectorise a loop for AVX-512, whose masks absorb a choice inside the
# loop, and leave the AVX2 build of the same loop scalar: GELU's backward
# pass once ran 15 times its roofline on an AVX2-only CPU that way, with
# every numerical test passing. This reads the program's machine code, so
# it checks the clones of every CPU on any CPU. It sees a clone with no
# vector instruction at all; one loop left scalar among vectorised ones
# (the attention softmax's exponentials, found the same day) takes a
# profiler: bytegpt bench's ratio to the roofline points at it. Skipped
# (77) where objdump is missing, the build has no clones or is a
# sanitizer build.
set -u
BG=$1   # the bytegpt binary; $2 is the source folder
. "$(dirname "$0")/lib.sh"
command -v objdump >/dev/null || { echo "SKIP: objdump not found (binutils)"; exit 77; }
dump=$(mktemp)
trap 'rm -f "$dump"' EXIT
objdump -d --no-show-raw-insn "$BG" >"$dump"
# The sanitizers' checks on every load and store keep GCC from
# vectorising: their build is not the one that runs fast, the Release one is.
grep -q '<__asan_init>:\|call.*<__asan_report' "$dump" && { echo "SKIP: a sanitizer build (the Release build is checked)"; exit 77; }
clones=$(sed -n 's/^[0-9a-f]* <\(.*\)\.avx2>:$/\1/p' "$dump" | sort -u)
[ -n "$clones" ] || { echo "SKIP: no target clones in this build (not GCC on x86-64?)"; exit 77; }
# count FUNCTION REGISTER: the instructions of FUNCTION naming REGISTER.
count() { awk -v f="<$1>:" '$2 == f { p = 1; next } p && /^$/ { p = 0 } p' "$dump" | grep -c "%$2"; }
for f in $clones; do
    [ "$(count "$f.avx2" ymm)" -gt 0 ] && ok || bad "$f: its AVX2 build is scalar (no ymm register)"
    [ "$(count "$f.avx512f" zmm)" -gt 0 ] && ok || bad "$f: its AVX-512 build is not vectorised (no zmm register)"
done
echo "$(wc -w <<<"$clones") kernels with AVX2 and AVX-512 builds"
finish
