#!/usr/bin/env bash
# The pages in a real browser: headless Chromium (Debian's `chromium`,
# which `scripts/setup.sh --browser` installs) opens pages from disk, runs
# their script, and the DOM it leaves is checked: the chart is drawn and
# ready, the hover readout (#at=STEP) shows the log's own numbers, a live
# page reloads itself and keeps the scroll position, an ended page says
# so. Screenshots of a live run, a stopped run, a finished run, a
# comparison and a sweep are taken (kept in $BG_PAGE_SHOTS when set).
# Without Chromium the test says so and passes: it cannot run there.
set -u
BG=$1
tmp=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
. "$(dirname "$0")/lib.sh"

browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "skip: no chromium here, so the pages were not opened in a browser (scripts/setup.sh --browser installs it)"
    echo "0 passed, 0 failed"
    exit 0
fi
shots=${BG_PAGE_SHOTS:-$tmp/shots}
mkdir -p "$shots"

# chrome ARGS... : headless Chromium, as root-safe and quiet as it gets,
# with a profile of its own each time.
chrome() {
    local profile
    profile=$(mktemp -d "$tmp/profile.XXXXXX")
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --window-size=1280,1000 "$@" 2>>"$tmp/chrome.err"
}
if ! chrome --dump-dom about:blank | grep -q '<body'; then
    echo "skip: chromium is installed but cannot start here:"
    tail -3 "$tmp/chrome.err"
    echo "0 passed, 0 failed"
    exit 0
fi

# dom FILE [#HASH]: the page's DOM after its script ran.
dom() { chrome --dump-dom "file://$1$2" >"$tmp/dom.html"; }
# shot FILE NAME: a screenshot, checked to be a PNG of some substance.
shot() {
    rm -f "$shots/$2.png"
    chrome --hide-scrollbars --window-size=1400,1100 --screenshot="$shots/$2.png" "file://$1" >/dev/null
    if [ "$(head -c 4 "$shots/$2.png" 2>/dev/null | od -An -c | tr -d ' ')" = "211PNG" ] &&
        [ "$(wc -c <"$shots/$2.png")" -gt 20000 ]; then ok; else bad "screenshot $2 not taken"; fi
}
# readout_matches LOG STEP: the hover readout in $tmp/dom.html gives the
# validation loss of LOG at STEP, in nats and in bits per byte.
readout_matches() {
    python3 - "$1" "$2" "$tmp/dom.html" <<'PY'
import re, sys
rows = [l.split(",") for l in open(sys.argv[1]).read().splitlines()[1:]]
val = {int(r[0]): (float(r[5]), float(r[6])) for r in rows if r[5]}
nats, bpb = val[int(sys.argv[2])]
text = re.search(r'id="readout"[^>]*>(.*?)</div></div>', open(sys.argv[3]).read()).group(1)
m = re.search(r"validation at step (\d+): ([\d.]+) nats \(([\d.]+) bpb\)", text)
good = m and int(m.group(1)) == int(sys.argv[2]) and abs(float(m.group(2)) - nats) <= 0.0011 \
    and abs(float(m.group(3)) - bpb) <= 0.0011 and f"step {sys.argv[2]}: train" in text
print("" if good else f"readout: {text!r}; log: {nats} nats, {bpb} bpb")
sys.exit(0 if good else 1)
PY
}

words "$tmp/words.txt" 3
RUN=(--corpus "$tmp/words.txt" --preset tiny --threads 1)

# ---- A live run ----
out=$tmp/live
"$BG" train "${RUN[@]}" --steps 100000 --eval-every 10 --sample-every 20 --out "$out" >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 3000); do grep -q '"vstep":\[10,20,30,40' "$out/index.html" 2>/dev/null && break; sleep 0.02; done
cp "$out/index.html" "$tmp/live.html"
dom "$tmp/live.html" "#at=20"
grep -q '<body data-live="1"[^>]*data-chart="ready"' "$tmp/dom.html" && ok || bad "live page: script did not finish"
grep -q '<polyline class="smooth"' "$tmp/dom.html" && grep -q '<g id="cursor" visibility="visible">' "$tmp/dom.html" \
    && ok || bad "live page: chart or cursor missing"
readout_matches "$out/log.csv" 20 && ok || bad "live page: hover readout"
grep -q 'id="age" class="age">updated [0-9]* s ago' "$tmp/dom.html" && ok || bad "live page: no age"
shot "$out/index.html" live

# The reload keeps the scroll position: a frame opens the page scrolled
# to 400 (#y=400), notes where it is scrolled just before the reload
# (5 s), and reads where the reloaded page put itself.
cat >"$tmp/frame.html" <<EOF
<!DOCTYPE html><html><body><div id="result">waiting</div>
<iframe id="f" src="live.html#y=400" style="width:1200px;height:600px"></iframe>
<script>
var f = document.getElementById('f'), seen = [];
f.addEventListener('load', function () {
  seen.push(f.contentDocument.body.getAttribute('data-scroll'));
  if (seen.length === 1) setTimeout(function () { seen.push('before ' + Math.round(f.contentWindow.pageYOffset)); }, 4500);
  if (seen.length === 3) { document.getElementById('result').textContent = seen.join('|'); f.remove(); }
});
</script></body></html>
EOF
chrome --allow-file-access-from-files --virtual-time-budget=15000 --dump-dom "file://$tmp/frame.html" >"$tmp/dom.html"
result=$(sed -n 's/.*<div id="result">\([^<]*\)<.*/\1/p' "$tmp/dom.html")
before=$(sed -n 's/.*before \([0-9]*\).*/\1/p' <<<"$result")
[[ "$result" == "address 400|before "*"|storage $before" ]] && [ "${before:-0}" -gt 300 ] && ok \
    || bad "reload lost the scroll position: $result"

kill -INT $pid
wait $pid
pid=
dom "$out/index.html" ""
grep -q '<body data-live="0"[^>]*data-chart="ready"' "$tmp/dom.html" && grep -q 'class="state stopped">stopped<' "$tmp/dom.html" \
    && ok || bad "stopped page"
shot "$out/index.html" stopped

# ---- A finished run ----
out=$tmp/finished
"$BG" train "${RUN[@]}" --steps 120 --eval-every 10 --sample-every 40 --out "$out" >/dev/null 2>&1
dom "$out/index.html" "#at=60"
grep -q '<body data-live="0"[^>]*data-chart="ready"' "$tmp/dom.html" && grep -q 'class="state finished">finished<' "$tmp/dom.html" \
    && ok || bad "finished page"
readout_matches "$out/log.csv" 60 && ok || bad "finished page: hover readout"
shot "$out/index.html" finished

# ---- Runs compared, and a sweep ----
"$BG" plot "$tmp/live/log.csv" "$tmp/finished/log.csv" --html "$tmp/compare.html" >/dev/null
dom "$tmp/compare.html" "#at=50"
grep -q 'data-chart="ready"' "$tmp/dom.html" && [ "$(grep -o '<div>[a-z]*; step 50: train' "$tmp/dom.html" | wc -l)" -eq 2 ] \
    && ok || bad "compare page: no readout per run"
shot "$tmp/compare.html" compare

make_sweep=$(dirname "$BG")/test_page
if [ -x "$make_sweep" ] && "$make_sweep" --write-sweep "$tmp/sweep"; then
    dom "$tmp/sweep/index.html" ""
    grep -q 'data-chart="ready"' "$tmp/dom.html" && grep -q '<tr class="best"><td class="text"><a href="trial-001/index.html">' "$tmp/dom.html" \
        && [ "$(grep -c '<polyline class="smooth"' "$tmp/dom.html")" -eq 3 ] && ok || bad "sweep page"
    shot "$tmp/sweep/index.html" sweep
else
    echo "  skip: the sweep page (no test_page binary beside $BG to write one)"
fi

echo "  screenshots: $shots"
finish
