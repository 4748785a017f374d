#!/usr/bin/env bash
# A sweep's folder has its web page: DIR/index.html, well-formed and
# self-contained, with a row and a link to the run page for every trial,
# and, once the sweep has ended, no reloading.
set -u
BG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"
words "$tmp/words.txt" 7
"$BG" sweep --corpus "$tmp/words.txt" --out "$tmp/sw" --preset tiny --steps 15 --seeds 1 --threads 1 \
    --grid 'lr=1e-3,3e-3' >"$tmp/out" 2>&1 && ok || { bad "sweep failed"; tail -5 "$tmp/out"; }
[ -s "$tmp/sw/index.html" ] && ok || bad "no DIR/index.html"
python3 "$2/tests/cli/html_check.py" "$tmp/sw/index.html" && ok || bad "the sweep page is not well-formed"
for t in trial-001 trial-002 trial-003; do
    grep -q "href=\"$t/index.html\"" "$tmp/sw/index.html" && [ -s "$tmp/sw/$t/index.html" ] \
        && ok || bad "no link to $t's page"
done
grep -q 'http-equiv="refresh"' "$tmp/sw/index.html" && bad "an ended sweep's page still reloads" || ok
finish
