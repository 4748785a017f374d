#!/usr/bin/env bash
# Writes the seed inputs of every fuzz target into tests/fuzz/corpus/NAME/
# (seed_* files; what the fuzzer found and kept sits beside them). The
# checkpoint and the log come from a real tiny training run, so that the
# seeds are what the program itself writes.
# usage: tests/fuzz/make_seeds.sh path/to/bytegpt
set -euo pipefail
cli=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
out=$here/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"/{corpus,checkpoint,trainlog,parse,settings,args}

text="It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a wife. However little known the feelings or views of such a man may be on his first entering a neighbourhood, this truth is so well fixed in the minds of the surrounding families."
printf '%s\n' "$text" > "$tmp/text.txt"

# ---- checkpoint and trainlog: a real run of the smallest model ----
# (1 layer, 1 head, dim 4, ctx 2: 1284 parameters, a 16 KB checkpoint)
(cd "$tmp" && "$cli" train --corpus text.txt --out run --layers 1 --heads 1 --dim 4 --ctx 2 --batch 2 \
    --steps 6 --eval-every 2 --ckpt-every 3 --threads 1 >/dev/null)
cp "$tmp/run/ckpt.bin" "$out/checkpoint/seed_tiny.bin"
head -c 352 "$tmp/run/ckpt.bin" > "$out/checkpoint/seed_head_only.bin"
cp "$tmp/run/log.csv" "$out/trainlog/seed_run.csv"
head -n 1 "$tmp/run/log.csv" > "$out/trainlog/seed_header_only.csv"
head -c 300 "$tmp/run/log.csv" > "$out/trainlog/seed_partial_row.csv"
{ head -n 1 "$tmp/run/log.csv"
  echo "0,0,0,0.001,5.5452,5.5452,8,0,0,0"
  echo "10,1e3,1e12,3e-3,inf,,,1e-30,12.5,1.5"
  echo "20,2000,-1,0,0,0,0,0,0,-0"; } > "$out/trainlog/seed_odd_numbers.csv"

# ---- corpus: a 9-byte header (see fuzz_corpus.c), then the text ----
python3 - "$out/corpus" "$tmp/text.txt" <<'PY'
import gzip, sys
out, text = sys.argv[1], open(sys.argv[2], 'rb').read()
def seed(name, flags, ctx, size, body, pos=(0, 0, 0, 0, 0, 0)):
    open(f"{out}/seed_{name}", "wb").write(bytes([flags, ctx - 1, size, *pos]) + body)
gz = lambda b: gzip.compress(b, mtime=0)
shards = lambda n: b"\0".join(text[i::n] for i in range(n))
seed("plain", 0, 8, 0, text)
seed("gzip_by_harness", 1, 8, 0, text)
seed("gzip_file", 0, 8, 0, gz(text))
seed("gzip_two_members", 0, 4, 0, gz(text[:100]) + gz(text[100:]))
seed("gzip_truncated", 0, 4, 0, gz(text)[:60])
seed("not_text", 0, 4, 0, text[:50] + b"\0" + text[50:])
seed("folder_3", 2, 8, 0, shards(3))
seed("folder_11_gzip", 3, 4, 0, shards(11))
seed("streaming", 4, 4, 3, text, pos=(1, 0, 40, 2, 1, 0))
seed("streaming_folder", 6, 4, 5, shards(4), pos=(2, 1, 10, 0, 0, 0))
seed("small_val", 8, 16, 1, text)
seed("too_small", 0, 16, 0, text[:20])
PY

# ---- the parsers: one value per file, or lines ----
i=0
for v in 0 42 007 18446744073709551615 18446744073709551616 -5 " 5" +5 3e-3 0.1 1e309 nan inf 0x1p3 \
         90s 5m 1.5h 0 12x ""; do
    printf '%s' "$v" > "$out/parse/seed_$i"; i=$((i + 1))
done
printf 'lr=3e-3\nsteps=100' > "$out/settings/seed_lr_steps"
printf 'preset=tiny\ndim=64\nheads=4\nlayers=2\nctx=32' > "$out/settings/seed_model"
printf 'time-budget=5m\nwarmup=10\nmin-lr=1e-4' > "$out/settings/seed_budget"
printf 'steps=0\nseed=7\nthreads=2\nbatch=4\naccum=2' > "$out/settings/seed_init_only"
printf 'wd=0.1\nbeta1=0.9\nbeta2=0.95\nclip=1\neval-every=10\neval-batches=2\nsample-every=0\nckpt-every=5' \
    > "$out/settings/seed_optim"
printf 'dim=10\nheads=3' > "$out/settings/seed_bad_heads"
printf -- '--tokens\n10\n--seed=5\n--temperature\n0.8\nrun' > "$out/args/seed_values"
printf -- '--time-budget=1.5h\n--per-byte\n--prompt\nhello world\nlog.csv' > "$out/args/seed_duration_bool"
printf -- '--warmup-steps\n0\n--tokens=0' > "$out/args/seed_zero"
printf -- '--seed\n-5\n--nope' > "$out/args/seed_refused"
printf -- '--help' > "$out/args/seed_help"
echo "seeds written to $out"
