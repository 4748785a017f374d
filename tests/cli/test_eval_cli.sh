#!/usr/bin/env bash
# bytegpt sample, predict and eval (and export's --model) from the command
# line: every bad input gets one line "error: ..." naming the flag or file,
# exit 2, and nothing on standard output; valid runs print what their help
# promises, with the banner naming the model on standard error.
set -u
BG=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. "$(dirname "$0")/lib.sh"

# A text of words, some 60 KB, and a model trained on it for a few steps:
# these tests check the commands, not how well the model learned.
words "$tmp/words.txt" 8 12000
gzip -9 -c "$tmp/words.txt" >"$tmp/words.txt.gz"
"$BG" train --corpus "$tmp/words.txt" --preset tiny --steps 20 --out "$tmp/run" >"$tmp/train.out" 2>&1 ||
    { echo "  FAIL: training the test model"; cat "$tmp/train.out"; exit 1; }
RUN=$tmp/run
CTX=32 # the tiny preset's context

# expect_error NAME PATTERN COMMAND ARGS...: exit 2, exactly one line on
# stderr, "error: ...PATTERN...", and nothing on stdout.
expect_error() {
    local name=$1 pattern=$2
    shift 2
    # A command that hangs (on a FIFO, say) fails here instead of the suite.
    timeout 120 "$BG" "$@" >"$tmp/stdout" 2>"$tmp/stderr"
    local rc=$?
    if [ $rc -ne 2 ]; then bad "$name: exit $rc, want 2"; cat "$tmp/stderr"; return; fi
    if [ "$(wc -l <"$tmp/stderr")" -ne 1 ] || ! grep -q -- "^error: .*$pattern" "$tmp/stderr"; then
        bad "$name: stderr is not one 'error: ...$pattern' line:"; cat "$tmp/stderr"; return
    fi
    if [ -s "$tmp/stdout" ]; then bad "$name: wrote to stdout:"; head -3 "$tmp/stdout"; return; fi
    ok
}

# ---- Bad input ----

# A model path that is neither a run folder nor a checkpoint: the four
# commands that take --model open it the same way (src/io/modelfile.c).
mkdir -p "$tmp/empty" "$tmp/odd/best.bin"
printf 'not a checkpoint at all, just some text\n' >"$tmp/notckpt.bin"
mkfifo "$tmp/fifo"
head -c 3000 "$RUN/best.bin" >"$tmp/trunc.bin"
for cmd in sample predict eval export; do
    extra=()
    [ $cmd = predict ] && extra=(--prompt "The")
    [ $cmd = eval ] && extra=(--text "$tmp/words.txt")
    [ $cmd = export ] && extra=(--safetensors "$tmp/out.safetensors")
    expect_error "$cmd: missing model" "nonexistent" $cmd --model "$tmp/nonexistent" "${extra[@]}"
    expect_error "$cmd: folder without checkpoints" "empty is a folder with no checkpoint" \
        $cmd --model "$tmp/empty" "${extra[@]}"
    expect_error "$cmd: file that is not a checkpoint" "notckpt.bin" $cmd --model "$tmp/notckpt.bin" "${extra[@]}"
    expect_error "$cmd: a FIFO" "fifo is not a checkpoint: it is a FIFO" $cmd --model "$tmp/fifo" "${extra[@]}"
    expect_error "$cmd: a folder named best.bin" "best.bin is not a checkpoint: it is a folder" \
        $cmd --model "$tmp/odd" "${extra[@]}"
    expect_error "$cmd: a truncated checkpoint" "trunc.bin is truncated" $cmd --model "$tmp/trunc.bin" "${extra[@]}"
    expect_error "$cmd: no --model" "--model" $cmd "${extra[@]}"
    expect_error "$cmd: unknown flag" "--bogus" $cmd --model "$RUN" "${extra[@]}" --bogus 1
done
[ -e "$tmp/out.safetensors" ] && bad "export wrote a file for a bad --model" || ok

# sample: temperature, top-k and tokens out of range.
expect_error "negative temperature" "--temperature" sample --model "$RUN" --temperature -0.5
expect_error "NaN temperature" "--temperature" sample --model "$RUN" --temperature nan
expect_error "infinite temperature" "--temperature" sample --model "$RUN" --temperature inf
expect_error "top-k 0" "--top-k" sample --model "$RUN" --top-k 0
expect_error "top-k 257" "--top-k" sample --model "$RUN" --top-k 257
expect_error "tokens 0" "--tokens" sample --model "$RUN" --tokens 0
expect_error "negative tokens" "--tokens" sample --model "$RUN" --tokens -3
expect_error "malformed tokens" "--tokens" sample --model "$RUN" --tokens 10x
# Flags read numbers as settings do (parse.h): a space before a sign was
# once read as a wrapped-around seed of 18446744073709551611 (a fuzz find).
expect_error "seed with a space and a sign" "--seed" sample --model "$RUN" --seed " -5"
expect_error "tokens with a leading tab" "--tokens" sample --model "$RUN" --tokens "$(printf '\t7')"

# predict: the prompt is needed, and not empty; top-k in range.
expect_error "predict without prompt" "--prompt" predict --model "$RUN"
expect_error "predict with empty prompt" "--prompt" predict --model "$RUN" --prompt ""
expect_error "predict top-k 0" "--top-k" predict --model "$RUN" --prompt "The" --top-k 0
expect_error "predict top-k 300" "--top-k" predict --model "$RUN" --prompt "The" --top-k 300

# eval: the text must exist, be text, and hold what is asked for.
head -c $CTX "$tmp/words.txt" >"$tmp/ctx.txt" # one byte short of a window
head -c 100 "$tmp/words.txt" >"$tmp/100.txt"  # three windows of 32
printf 'abc\0def' >"$tmp/nul.txt"
head -c 200 "$tmp/words.txt.gz" >"$tmp/cut.gz"
: >"$tmp/zero.txt"
expect_error "eval without text" "--text" eval --model "$RUN"
expect_error "eval missing text" "nonexistent.txt" eval --model "$RUN" --text "$tmp/nonexistent.txt"
expect_error "eval empty text" "zero.txt" eval --model "$RUN" --text "$tmp/zero.txt"
expect_error "eval text of ctx bytes" "ctx.txt.*ctx + 1 = 33" eval --model "$RUN" --text "$tmp/ctx.txt"
expect_error "eval text with NUL" "nul.txt.*NUL" eval --model "$RUN" --text "$tmp/nul.txt"
expect_error "eval truncated gzip" "cut.gz.*gzip" eval --model "$RUN" --text "$tmp/cut.gz"
expect_error "eval --windows 0" "--windows" eval --model "$RUN" --text "$tmp/words.txt" --windows 0
expect_error "eval more windows than the text holds" "100.txt.*holds 3 windows" \
    eval --model "$RUN" --text "$tmp/100.txt" --windows 4

# ---- Valid runs ----

# sample: the prompt, then exactly --tokens bytes (no newline off a
# terminal); a seed fixes the text, another seed changes it.
"$BG" sample --model "$RUN" --prompt "The whale" --tokens 40 --seed 7 >"$tmp/s1" 2>"$tmp/s1.err"
rc=$?
[ $rc -eq 0 ] && ok || { bad "sample exit $rc"; cat "$tmp/s1.err"; }
head -c 9 "$tmp/s1" | grep -q "^The whale$" && ok || bad "sample does not start with the prompt"
# 40 bytes, or more when a generated <doc> is written as 5 characters.
n=$(wc -c <"$tmp/s1")
[ "$n" -ge 49 ] && ok || bad "sample wrote $n bytes, want at least 9 + 40"
grep -q "seed 7" "$tmp/s1.err" && ok || bad "sample does not report its settings on stderr"
# The banner: the file a run folder stands for, its step and shape, on
# stderr for every command (src/cli/common.c, common_print_model).
banner="^model  *$RUN/best.bin (step [0-9]*): [0-9]* layers, .* ctx $CTX$"
grep -q "$banner" "$tmp/s1.err" && ok || { bad "sample: no banner on stderr"; cat "$tmp/s1.err"; }
"$BG" sample --model "$RUN" --prompt "The whale" --tokens 40 --seed 7 >"$tmp/s2" 2>/dev/null
"$BG" sample --model "$RUN" --prompt "The whale" --tokens 40 --seed 8 --temperature 1.5 --top-k 256 >"$tmp/s3" 2>/dev/null
cmp -s "$tmp/s1" "$tmp/s2" && ok || bad "the same seed gave different text"
cmp -s "$tmp/s1" "$tmp/s3" && bad "another seed gave the same text" || ok
# Greedy is deterministic whatever the seed.
"$BG" sample --model "$RUN" --tokens 30 --temperature 0 --seed 1 >"$tmp/g1" 2>/dev/null
"$BG" sample --model "$RUN" --tokens 30 --temperature 0 --seed 2 >"$tmp/g2" 2>/dev/null
cmp -s "$tmp/g1" "$tmp/g2" && ok || bad "greedy sampling depends on the seed"
# A prompt longer than the context: said on stderr, and it still runs.
long=$(head -c 100 "$tmp/words.txt")
"$BG" sample --model "$RUN" --prompt "$long" --tokens 5 >"$tmp/s4" 2>"$tmp/s4.err"
[ $? -eq 0 ] && grep -q "last $CTX bytes" "$tmp/s4.err" && ok || { bad "long prompt not reported"; cat "$tmp/s4.err"; }

# predict: the chart, the entropy, and --all's 256 probabilities summing to 1.
"$BG" predict --model "$RUN" --prompt "The whale" >"$tmp/p1" 2>"$tmp/p1.err"
rc=$?
[ $rc -eq 0 ] && ok || { bad "predict exit $rc"; cat "$tmp/p1.err"; }
[ "$(grep -c "^  '.*' *[0-9.]*%" "$tmp/p1")" -eq 10 ] && ok || { bad "predict does not show 10 bytes"; cat "$tmp/p1"; }
grep -q "^entropy  *[0-9.]* bits" "$tmp/p1" && ok || bad "predict shows no entropy"
grep -q "^context  *<doc>The whale" "$tmp/p1" && ok || bad "predict does not show its context"
grep -q "$banner" "$tmp/p1.err" && ! grep -q "^model" "$tmp/p1" && ok || bad "predict: banner not on stderr alone"
"$BG" predict --model "$RUN" --prompt "The whale" --top-k 3 --per-byte >"$tmp/p2" 2>&1
[ "$(grep -c "^  '.*' *[0-9.]*%  *[0-9.]* bits" "$tmp/p2")" -eq 9 ] && ok || { bad "--per-byte does not show 9 bytes"; cat "$tmp/p2"; }
grep -q "total .* bits for 9 bytes" "$tmp/p2" && ok || bad "--per-byte shows no total"
[ "$(grep -c "^  '.*' *[0-9.]*%  *[^ ]*$" "$tmp/p2")" -ge 1 ] && ok || bad "--top-k 3 chart missing"
"$BG" predict --model "$RUN" --prompt "The whale" --all >"$tmp/p3" 2>/dev/null
[ "$(wc -l <"$tmp/p3")" -eq 256 ] && ok || bad "--all does not print 256 lines"
awk '{s += $2} END {exit !(s > 0.99999 && s < 1.00001)}' "$tmp/p3" && ok || bad "--all probabilities do not sum to 1"
# The chart's top byte is --all's most likely byte.
top=$(sort -k2 -g -r "$tmp/p3" | head -1 | cut -d' ' -f1)
first=$(grep -m1 "^  '" "$tmp/p1" | sed "s/^  '\(.*\)' .*/\1/")
if [ "$top" -ge 33 ] && [ "$top" -le 126 ]; then
    [ "$(printf "\\$(printf %03o "$top")")" = "$first" ] && ok || bad "chart's top byte '$first' is not byte $top"
else
    ok # a space or escape: rendered differently, checked by test_evaluate
fi

# eval: the table, on plain and gzip text alike, by the windows rule.
"$BG" eval --model "$RUN" --text "$tmp/words.txt" >"$tmp/e1" 2>"$tmp/e1.err"
rc=$?
[ $rc -eq 0 ] && ok || { bad "eval exit $rc"; cat "$tmp/e1.err"; }
size=$(wc -c <"$tmp/words.txt")
windows=$(((size - 1) / CTX))
grep -q "the first $windows windows of $CTX bytes" "$tmp/e1" && ok || { bad "eval does not use all $windows windows"; cat "$tmp/e1"; }
grep -q "$banner" "$tmp/e1.err" && ! grep -q "^model" "$tmp/e1" && ok || bad "eval: banner not on stderr alone"
for row in "model" "order-0 entropy" "gzip -9"; do
    grep -q "^  $row  *[0-9.]*  *[0-9.]*$" "$tmp/e1" && ok || bad "eval table lacks the $row row"
done
# bits = nats / ln 2 on the model's row.
awk '/^  model / {exit !(($3 - $2 / log(2))^2 < 1e-6)}' "$tmp/e1" && ok || bad "bits are not nats / ln 2"
"$BG" eval --model "$RUN" --text "$tmp/words.txt.gz" >"$tmp/e2" 2>/dev/null
# (From the second line: the first names the text, which differs.)
diff <(tail -n +2 "$tmp/e1") <(tail -n +2 "$tmp/e2") >/dev/null && ok || bad "gzip text scores differently from plain"
"$BG" eval --model "$RUN" --text "$tmp/100.txt" --windows 3 >"$tmp/e3" 2>/dev/null
grep -q "the first 3 windows of $CTX bytes = 96 bytes scored (97 read)" "$tmp/e3" && ok || { bad "--windows 3"; cat "$tmp/e3"; }
# The run folder and its checkpoint file are the same model.
"$BG" eval --model "$RUN/best.bin" --text "$tmp/words.txt" >"$tmp/e4" 2>/dev/null
# (The whole of stdout: the banner, which names the file, is on stderr.)
cmp -s "$tmp/e1" "$tmp/e4" && ok || bad "run folder and best.bin differ"

# Every command has --help.
for cmd in sample predict eval; do
    "$BG" $cmd --help | grep -q "^usage: bytegpt $cmd" && ok || bad "$cmd --help"
done

finish
