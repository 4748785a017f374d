#!/usr/bin/env bash
# The README's "Reading the code" list matches the tree: every library
# source file under src/ is named there, and every file named exists.
set -u
src=$2/src
. "$(dirname "$0")/lib.sh"
section=$(sed -n '/<!-- reading-order:start -->/,/<!-- reading-order:end -->/p' "$2/README.md")
[ -n "$section" ] && ok || bad "README has no reading-order section"
for f in "$src"/*.c; do
    name=$(basename "$f")
    grep -q "\`$name\`" <<<"$section" && ok || bad "README's reading order does not name src/$name"
done
for name in $(grep -o '`[a-z_]*\.c`' <<<"$section" | tr -d '`' | sort -u); do
    [ -f "$src/$name" ] || [ -f "$src/cli/$name" ] && ok || bad "README names $name, which is not in src/"
done
finish
