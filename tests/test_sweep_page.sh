#!/usr/bin/env bash
# A sweep's folder has its web page: DIR/index.html, well-formed and
# self-contained, with a row and a link to the run page for every trial,
# and, once the sweep has ended, no reloading.
set -u
BG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "  FAIL: $*"; }
python3 - "$tmp/words.txt" <<'PY'
import random, sys
random.seed(7)
w = "the whale ship sea captain ahab white boat harpoon water deep long time man old".split()
open(sys.argv[1], "w").write(" ".join(random.choice(w) for _ in range(30000)))
PY
"$BG" sweep --corpus "$tmp/words.txt" --out "$tmp/sw" --preset tiny --steps 15 --seeds 1 --threads 1 \
    --grid 'lr=1e-3,3e-3' >"$tmp/out" 2>&1 && ok || { bad "sweep failed"; tail -5 "$tmp/out"; }
[ -s "$tmp/sw/index.html" ] && ok || bad "no DIR/index.html"
python3 "$2/tests/html_check.py" "$tmp/sw/index.html" && ok || bad "the sweep page is not well-formed"
for t in trial-001 trial-002 trial-003; do
    grep -q "href=\"$t/index.html\"" "$tmp/sw/index.html" && [ -s "$tmp/sw/$t/index.html" ] \
        && ok || bad "no link to $t's page"
done
grep -q 'http-equiv="refresh"' "$tmp/sw/index.html" && bad "an ended sweep's page still reloads" || ok
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
