#!/usr/bin/env bash
# The run's page from real training: index.html is read over and over
# while a run writes it, and every read is a whole, well-formed page (the
# atomic replace); the finished page carries the log's last step and
# validation bits per byte and the validation text's baselines (checked
# against Python's own zlib and entropy on the held-out bytes); stopped,
# --steps 0 and failed runs say so and stop reloading; and
# `bytegpt plot --html` writes the comparison page, or refuses a bad path.
set -u
BG=$1
SRC=$2
CHECK="python3 $SRC/tests/cli/html_check.py"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

words "$tmp/words.txt" 7
RUN=(--corpus "$tmp/words.txt" --preset tiny --threads 1)

# field PAGE ID: the number a stat tile shows ("stat-val" -> 0.842).
field() { sed -n "s/.*id=\"$2\"><b>\([^<]*\)<.*/\1/p" "$1" | head -1; }

# ---- Read while it is written: always a whole page ----
out=$tmp/live
"$BG" train "${RUN[@]}" --steps 300 --eval-every 3 --sample-every 30 --out "$out" >/dev/null 2>"$tmp/err" &
pid=$!
reads=0
mkdir -p "$tmp/snaps"
# A tight loop of copies, each kept under its checksum; all are checked
# afterwards, so that reading is not slowed down by the checking.
while kill -0 $pid 2>/dev/null; do
    if cp "$out/index.html" "$tmp/snap.html" 2>/dev/null; then
        reads=$((reads + 1))
        sum=$(md5sum <"$tmp/snap.html")
        mv "$tmp/snap.html" "$tmp/snaps/${sum%% *}.html"
    fi
done
wait $pid
rc=$?
versions=$(find "$tmp/snaps" -name '*.html' | wc -l)
broken=$($CHECK "$tmp/snaps"/*.html | cut -d: -f1 | sort -u | wc -l)
echo "  read index.html $reads times while training: $versions versions, $broken broken"
[ $rc -eq 0 ] && ok || { bad "training exited $rc"; cat "$tmp/err"; }
[ $broken -eq 0 ] && [ $reads -ge 3 ] && [ "$versions" -ge 2 ] && ok \
    || bad "reads while writing: $reads reads, $versions versions, $broken broken"

# ---- The finished page carries the run's numbers ----
page=$out/index.html
$CHECK "$page" && ok || bad "finished page is not well-formed"
ls "$out"/*.tmp >/dev/null 2>&1 && bad "temporary file left in the run folder" || ok
grep -q 'data-live="0"' "$page" && grep -q 'class="state finished"' "$page" && ! grep -q 'http-equiv' "$page" \
    && ok || bad "finished page still live"
last=$(tail -1 "$out/log.csv")
[ "$(field "$page" stat-step)" = "300" ] && grep -q '<span>step, of 300</span>' "$page" && ok || bad "step: $(field "$page" stat-step), log ends at ${last%%,*}"
want=$(awk -F, 'NR > 1 && $7 != "" { v = $7 } END { printf "%.3f", v }' "$out/log.csv")
[ "$(field "$page" stat-val)" = "$want" ] && ok || bad "val bpb: page $(field "$page" stat-val), log $want"
grep -q "\"vstep\":\[3,6,9," "$page" && ok || bad "the chart's data lacks the evaluations"
grep -q '<h3>step 300 (temperature 0.8, top-k 40)</h3>' "$page" && ok || bad "latest sample missing"
grep -q 'preset = tiny' "$page" && ok || bad "config missing"
# The baselines, on the held-out last 10% of the corpus, by Python.
read -r order0 gzip9 < <(python3 - "$tmp/words.txt" <<'PY'
import math, sys, zlib
text = open(sys.argv[1], "rb").read()
val = text[len(text) - len(text) // 10:]
counts = [val.count(bytes([b])) for b in range(256)]
h = -sum(c / len(val) * math.log2(c / len(val)) for c in counts if c)
print(f"{h:.3f} {8 * len(zlib.compress(val, 9)) / len(val):.3f}")
PY
)
[ "$(field "$page" stat-order0)" = "$order0" ] && [ "$(field "$page" stat-gzip)" = "$gzip9" ] && ok \
    || bad "baselines: page $(field "$page" stat-order0) / $(field "$page" stat-gzip), python $order0 / $gzip9"

# ---- Stopped, never trained, failed: said, and no more reloading ----
out=$tmp/stopped
"$BG" train "${RUN[@]}" --steps 100000 --eval-every 10 --out "$out" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1500); do grep -q '"vstep":\[10' "$out/index.html" 2>/dev/null && break; sleep 0.02; done
grep -q 'data-live="1"' "$out/index.html" && grep -q 'http-equiv="refresh"' "$out/index.html" \
    && ok || bad "a running run's page is not live"
kill -INT $pid
wait $pid
rc=$?
[ $rc -eq 130 ] && grep -q 'class="state stopped"' "$out/index.html" && grep -q 'data-live="0"' "$out/index.html" \
    && grep -q -- "--out $out --resume" "$out/index.html" && ok || bad "stopped run: exit $rc, page not stopped"

"$BG" train "${RUN[@]}" --steps 0 --out "$tmp/init" >/dev/null 2>&1
grep -q 'class="state ended"' "$tmp/init/index.html" && grep -q 'data-live="0"' "$tmp/init/index.html" \
    && grep -q 'initialised and saved untrained' "$tmp/init/index.html" && ok || bad "--steps 0 page"

"$BG" train "${RUN[@]}" --test-nan-at 25 --steps 100 --eval-every 10 --out "$tmp/nan" >/dev/null 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'class="state ended"' "$tmp/nan/index.html" && grep -q 'data-live="0"' "$tmp/nan/index.html" \
    && grep -q 'an error stopped it' "$tmp/nan/index.html" && ok || bad "failed run: exit $rc, page not ended"
$CHECK "$tmp/stopped/index.html" "$tmp/init/index.html" "$tmp/nan/index.html" && ok || bad "end pages not well-formed"

# ---- bytegpt plot --html ----
"$BG" plot "$tmp/live/log.csv" "$tmp/stopped/log.csv" --html "$tmp/cmp.html" --svg "$tmp/cmp.svg" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 0 ] && grep -q "wrote $tmp/cmp.html" "$tmp/out" && [ -s "$tmp/cmp.svg" ] && $CHECK "$tmp/cmp.html" \
    && ok || { bad "plot --html: exit $rc"; cat "$tmp/out"; }
grep -q '<pre class="table">run ' "$tmp/cmp.html" && [ "$(grep -c '<span class="swatch"' "$tmp/cmp.html")" -eq 2 ] \
    && grep -q '>live</li>' "$tmp/cmp.html" && grep -q '>stopped</li>' "$tmp/cmp.html" && ok || bad "plot --html content"
"$BG" plot "$tmp/live/log.csv" --html "$tmp/none/cmp.html" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "^error: cannot write page $tmp/none/cmp.html" "$tmp/err" \
    && [ ! -e "$tmp/none" ] && ok || { bad "plot --html to a missing folder: exit $rc"; cat "$tmp/err"; }
"$BG" plot "$tmp/live/log.csv" --html >/dev/null 2>"$tmp/err"
[ $? -eq 2 ] && grep -q -- "--html" "$tmp/err" && ok || bad "plot --html without a file"

finish
