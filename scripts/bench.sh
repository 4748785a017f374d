#!/usr/bin/env bash
# bytegpt beside PyTorch on this machine, side by side in one run.
#
#   scripts/bench.sh            speed: ms/step beside the step's roofline, tokens/s ratio,
#                               MFU at three sizes; 1 vs 2 threads; step time against
#                               context length; three batch sizes; peak memory
#   scripts/bench.sh context    only the table of step time against context length
#   scripts/bench.sh quality    time to quality: the default preset (GPT-2 recipe) for 300 s on
#                               moby-dick, bytegpt and PyTorch, held-out bits per byte
#   scripts/bench.sh bigcorpus  peak memory on a 1.3 GB gzip corpus (6 GB of text) beside a 20 MB one
#   scripts/bench.sh mpi        data parallelism: 2 ranks x 1 thread against 1 process x 2 threads,
#                               the all-reduce's share of a step, and `info --ranks` at 8 and 64
#
# PyTorch (Debian's python3-torch, run with /usr/bin/python3) is only a peer
# here; without it the script says how to install it and measures bytegpt alone.
# Timings alternate the two programs several times so that machine drift
# hits both; each figure is the median over the rounds.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=${BENCH_ROUNDS:-3}
THREADS=${BENCH_THREADS:-2}
BUDGET=${BENCH_BUDGET:-300}

cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release -j "$(nproc)" >/dev/null
BG=build/release/bytegpt

have_torch=1
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
    have_torch=0
    echo "note: PyTorch not found; install Debian's python3-torch (apt-get install python3-torch) to compare. Measuring bytegpt alone."
fi
export OMP_NUM_THREADS=$THREADS

# The same OpenBLAS kernels for both programs: PyTorch, on the same
# libblas, gets whatever bytegpt chose for this CPU (or the user's
# OPENBLAS_CORETYPE, which both then share); without this an OpenBLAS that
# does not know the CPU would run PyTorch on its oldest kernels.
KERNELS=$("$BG" info --machine | sed -n 's/^  kernels *//p')
KERNEL=$(sed -n 's/.*in use: \([A-Za-z0-9_]*\) .*/\1/p' <<<"$KERNELS")
TORCH_KERNEL=(env "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-$KERNEL}")
echo "OpenBLAS kernels: $KERNEL for bytegpt and PyTorch alike ($KERNELS)"

# field LINE KEY: the value of key=value in a result line.
field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

bg_step() { # L C T B [threads]
    "$BG" bench --layers "$1" --dim "$2" --heads $(( $2 / 32 > 0 ? $2 / 32 : 1 )) --ctx "$3" --batch "$4" \
        --threads "${5:-$THREADS}" --steps 10 --no-peak 2> >(grep -v '^blas: ' >&2) | grep '^result:'
}
torch_step() { # L C T B [threads]
    OMP_NUM_THREADS=${5:-$THREADS} "${TORCH_KERNEL[@]}" /usr/bin/python3 scripts/bench_torch.py step --layers "$1" --dim "$2" \
        --heads $(( $2 / 32 > 0 ? $2 / 32 : 1 )) --ctx "$3" --batch "$4" --threads "${5:-$THREADS}" --steps 10 \
        | grep '^result:'
}

load() { cut -d' ' -f1 /proc/loadavg; }

speed() {
    peak=$("$BG" bench --preset tiny --threads "$THREADS" --steps 1 | sed -n 's/^result: .*peak_gflops=\([^ ]*\).*/\1/p')
    echo "sgemm peak on $THREADS threads: $peak GFLOP/s (bytegpt bench); OpenBLAS kernels: $KERNEL"
    echo
    # limit: the step's roofline from bytegpt bench (matrix products timed
    # alone + bytes over bandwidth or operations over the vector rate).
    printf '%-14s %10s %10s %7s %10s %12s %12s %7s %7s %7s %5s\n' "L,C,T,B" "bytegpt ms" "limit ms" "x limit" "torch ms" \
        "bytegpt tok/s" "torch tok/s" "ratio" "MFU bg" "MFU pt" "load"
    for cfg in "2 64 64 8" "4 128 128 16" "6 384 256 8"; do
        set -- $cfg
        bms=() pms=() bgf=() pgf=() lim=()
        for _ in $(seq 1 "$ROUNDS"); do
            r=$(bg_step "$@"); bms+=("$(field "$r" ms_per_step)"); bgf+=("$(field "$r" gflops)"); lim+=("$(field "$r" limit_ms)")
            if [ $have_torch -eq 1 ]; then
                r=$(torch_step "$@"); pms+=("$(field "$r" ms_per_step)"); pgf+=("$(field "$r" gflops)")
            fi
        done
        b=$(printf '%s\n' "${bms[@]}" | median); bg=$(printf '%s\n' "${bgf[@]}" | median)
        l=$(printf '%s\n' "${lim[@]}" | median)
        tok=$(( $4 * $3 ))
        if [ $have_torch -eq 1 ]; then
            p=$(printf '%s\n' "${pms[@]}" | median); pg=$(printf '%s\n' "${pgf[@]}" | median)
        else
            p=nan pg=nan
        fi
        awk -v c="$1,$2,$3,$4" -v b="$b" -v l="$l" -v p="$p" -v t="$tok" -v bg="$bg" -v pg="$pg" -v pk="$peak" -v ld="$(load)" 'BEGIN {
            printf "%-14s %10.2f %10.2f %6.2fx %10.2f %12.0f %12.0f %6.2fx %6.1f%% %6.1f%% %5s\n", c, b, l, b/l, p, t*1000/b, t*1000/p, p/b, 100*bg/pk, 100*pg/pk, ld }'
    done
    echo
    echo "parallel efficiency at 4,128,128,16 (tokens/s, alternated, median of $ROUNDS):"
    ones=() twos=()
    for _ in $(seq 1 "$ROUNDS"); do
        ones+=("$(field "$(bg_step 4 128 128 16 1)" tokens_per_s)"); twos+=("$(field "$(bg_step 4 128 128 16 2)" tokens_per_s)")
    done
    one=$(printf '%s\n' "${ones[@]}" | median); two=$(printf '%s\n' "${twos[@]}" | median)
    awk -v a="$one" -v b="$two" -v ld="$(load)" 'BEGIN { printf "  1 thread %.0f, 2 threads %.0f: %.2fx (load %s)\n", a, b, b/a, ld }'
    echo
    context
    echo
    echo "step time at three batch sizes (6,384,256):"
    for b in 4 8 16; do
        r=$(bg_step 6 384 256 $b)
        printf '  batch %2d: %8.1f ms/step, %6.0f tokens/s\n' $b "$(field "$r" ms_per_step)" "$(field "$r" tokens_per_s)"
    done
    echo
    memory
}

# How cost grows with the context: 4 layers at dim 128, 2048 tokens a step
# (batch 2048/ctx), ctx 64 to 1024. Per token, the weights cost 6N FLOPs
# whatever the context, attention 6*L*ctx*C (its T x T scores): the
# attention columns show the share of each in the FLOPs and in the time.
context() {
    echo "step time against context length (4 layers, dim 128, 4 heads, 2048 tokens a step):"
    printf '  %5s %5s %10s %10s %12s %14s %16s %5s\n' "ctx" "batch" "ms/step" "limit ms" "tokens/s" "attention ms" "attention FLOPs" "load"
    for T in 64 128 256 512 1024; do
        r=$(bg_step 4 128 "$T" $(( 2048 / T )))
        awk -v T="$T" -v ms="$(field "$r" ms_per_step)" -v l="$(field "$r" limit_ms)" -v tok="$(field "$r" tokens_per_s)" \
            -v att="$(field "$r" attention_ms)" -v ld="$(load)" 'BEGIN {
            C = 128; L = 4; N = L * 12 * C * C + L * 13 * C + 256 * C + T * C + 2 * C
            printf "  %5d %5d %10.2f %10.2f %12.0f %7.2f (%4.1f%%) %15.1f%% %5s\n", T, 2048 / T, ms, l, tok, att, 100 * att / ms,
                100 * 6 * L * T * C / (6 * N + 6 * L * T * C), ld }'
    done
}

# Peak RSS of a short training run beside the arenas `bytegpt info` sizes.
memory() {
    local tmp; tmp=$(mktemp -d)
    python3 -c "import random; random.seed(1); w='the whale sea ship'.split(); print(' '.join(random.choice(w) for _ in range(200000)))" >"$tmp/t.txt"
    rss() { /usr/bin/time -v "$BG" train --corpus "$tmp/t.txt" --out "$tmp/$1" --steps 5 --sample-every 0 --eval-batches 1 "${@:2}" 2>&1 >/dev/null \
        | sed -n 's/.*Maximum resident set size (kbytes): //p'; }
    base=$(rss base --layers 1 --dim 8 --heads 1 --ctx 8 --batch 1)
    big=$(rss big --layers 6 --dim 384 --heads 12 --ctx 256 --batch 8)
    arena_mib=$("$BG" info --layers 6 --dim 384 --heads 12 --ctx 256 --batch 8 | sed -n 's/^ *arenas *\([0-9.]*\) MiB.*/\1/p')
    corpus_kb=$(( $(stat -c %s "$tmp/t.txt") / 1024 ))
    echo "memory (6,384,256,8): peak RSS ${big} KiB; base process (a 1-layer, dim-8 model) ${base} KiB;"
    awk -v big="$big" -v base="$base" -v arena="$arena_mib" -v corp="$corpus_kb" 'BEGIN {
        printf "  RSS - base = %.1f MiB vs arenas %.1f MiB + corpus buffer %.1f MiB: %.2fx\n", (big-base)/1024, arena, corp/1024, (big-base)/1024/(arena + corp/1024) }'
    rm -rf "$tmp"
}

quality() {
    bash scripts/get_corpus.sh moby-dick >/dev/null
    local tmp; tmp=$(mktemp -d)
    # The held-out text: moby-dick's last 10%, the validation part.
    python3 -c "
import gzip; t = gzip.open('corpus/moby-dick.txt.gz').read(); open('$tmp/val.txt', 'wb').write(t[len(t) - len(t)//10:])"
    # Like with like: the default preset is GPT-2's recipe, which is what
    # bench_torch.py builds; the modern preset's recipe has no PyTorch
    # speed peer here (its PyTorch twin, torch_gpt.py, checks its math).
    echo "time to quality: the default preset (GPT-2's recipe, in both programs) for ${BUDGET}s on moby-dick, $THREADS threads"
    "$BG" train --corpus corpus/moby-dick.txt.gz --out "$tmp/run" --preset default --time-budget "${BUDGET}s" \
        --threads "$THREADS" --sample-every 0 | tail -3
    "$BG" eval --model "$tmp/run" --text "$tmp/val.txt" | tee "$tmp/eval.txt"
    if [ $have_torch -eq 1 ]; then
        # The same model and recipe, read from the run's config.txt.
        conf() { sed -n "s/^$1 = //p" "$tmp/run/config.txt"; }
        L=$(conf layers) C=$(conf dim) NH=$(conf heads) T=$(conf ctx) B=$(conf batch)
        LR=$(conf lr) MIN=$(conf min_lr) WARM=$(conf warmup)
        "${TORCH_KERNEL[@]}" /usr/bin/python3 scripts/bench_torch.py quality --corpus corpus/moby-dick.txt.gz --budget "$BUDGET" \
            --threads "$THREADS" --layers "$L" --dim "$C" --heads "$NH" --ctx "$T" --batch "$B" --lr "$LR" \
            --min-lr "$MIN" --warmup "$WARM" | tee "$tmp/torch.txt"
        bg=$(sed -n 's/^ *model *[0-9.]* *\([0-9.]*\)$/\1/p' "$tmp/eval.txt")
        pt=$(sed -n 's/^result: .*val_bpb=\([^ ]*\).*/\1/p' "$tmp/torch.txt")
        awk -v b="$bg" -v p="$pt" 'BEGIN { printf "held-out bits per byte after the same budget: bytegpt %.3f, PyTorch %.3f (bytegpt lower by %.3f)\n", b, p, p - b }'
    fi
    rm -rf "$tmp"
}

# A corpus far larger than the training buffer trains in the same memory
# as a small one: peak RSS of a few hundred steps on a generated ~1.3 GB gzip
# corpus (6 GB of text) beside a ~20 MB gzip one (90 MB of text, larger
# than the 64 MiB training buffer, so both hold a full buffer; only the
# validation bytes kept, at most 16 MiB, still differ). Needs ~1.5 GB in /tmp.
bigcorpus() {
    local tmp; tmp=$(mktemp -d)
    python3 -c "
import random; random.seed(3)
w = open('/usr/share/dict/words').read().split() if __import__('os').path.exists('/usr/share/dict/words') else \
    'the whale sea ship captain ahab white boat harpoon water deep long time man old queequeg starbuck stubb'.split()
print(' '.join(random.choice(w) for _ in range(700000)))" >"$tmp/block.txt"
    local blk; blk=$(stat -c %s "$tmp/block.txt")
    # gzip's window is 32 KiB, so repeating a block of several MB compresses
    # no better than the block itself.
    make() { for _ in $(seq 1 "$2"); do cat "$tmp/block.txt"; done | gzip -1 >"$tmp/$1.txt.gz"; }
    make small $(( 90000000 / blk + 1 ))
    echo "small corpus: $(du -h "$tmp/small.txt.gz" | cut -f1) gzip"
    make big $(( 6000000000 / blk + 1 ))
    echo "big corpus:   $(du -h "$tmp/big.txt.gz" | cut -f1) gzip"
    rss() { /usr/bin/time -v "$BG" train --corpus "$tmp/$1.txt.gz" --out "$tmp/run-$1" --steps 300 --sample-every 0 \
        --eval-every 100 --threads "$THREADS" 2>&1 >/dev/null | sed -n 's/.*Maximum resident set size (kbytes): //p'; }
    a=$(rss small); b=$(rss big)
    awk -v a="$a" -v b="$b" 'BEGIN { printf "peak RSS, default preset, 300 steps: 20 MB gzip corpus %.1f MiB, 1.3 GB gzip corpus (6 GB of text) %.1f MiB (%+.1f%%)\n", a/1024, b/1024, 100*(b-a)/a }'
    rm -rf "$tmp"
}

# Data parallelism on one machine: the same update (2 ranks with --batch B
# against one process with --batch B --accum 2) as 2 ranks of 1 thread and
# as 1 process of 2 threads, alternated ROUNDS times. tokens/s is the median
# of the log's per-step figure after two warm-up steps; the all-reduce's
# share is its seconds (from the run's summary) over the steps' seconds.
mpi() {
    if ! command -v mpirun >/dev/null 2>&1; then
        echo "error: mpirun not found; scripts/setup.sh installs OpenMPI" >&2
        exit 1
    fi
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_btl_vader_single_copy_mechanism=none
    local tmp; tmp=$(mktemp -d)
    python3 -c "import random; random.seed(1); w='the whale sea ship captain ahab boat'.split(); print(' '.join(random.choice(w) for _ in range(300000)))" >"$tmp/t.txt"
    # tok_s RUN: the median tokens/s of a run's steps after the first two.
    tok_s() { tail -n +4 "$1/log.csv" | cut -d, -f9 | median; }
    # reduce_share RUN TOKENS_PER_STEP: all-reduce seconds over step seconds.
    reduce_share() {
        local s; s=$(sed -n 's/^all-reduce: \([0-9.e+-]*\) s of.*/\1/p' "$1.out")
        tail -n +2 "$1/log.csv" | awk -F, -v s="$s" -v t="$2" '{ sum += t / $9 } END { printf "%.1f", 100 * s / sum }'
    }
    echo "data parallelism on this machine ($(nproc) cores): the same update as 2 ranks x 1 thread and 1 process x 2 threads"
    printf '%-16s %16s %16s %8s %12s %5s\n' "L,C,T,B" "1x2 tok/s" "2x1 tok/s" "ratio" "all-reduce" "load"
    for cfg in "4 128 128 16 40" "6 384 256 8 8"; do
        set -- $cfg
        local model=(--corpus "$tmp/t.txt" --layers "$1" --dim "$2" --heads $(( $2 / 32 )) --ctx "$3" --batch "$4"
                     --steps "$5" --eval-every 0 --eval-batches 1 --sample-every 0 --ckpt-every 0)
        local one=() two=() share=()
        for i in $(seq 1 "$ROUNDS"); do
            "$BG" train "${model[@]}" --accum 2 --threads 2 --out "$tmp/one-$1-$i" >/dev/null
            mpirun --oversubscribe -np 2 "$BG" train "${model[@]}" --threads 1 --out "$tmp/two-$1-$i" \
                >"$tmp/two-$1-$i.out" 2>&1 || { echo "error: the 2-rank run failed:" >&2; tail -5 "$tmp/two-$1-$i.out" >&2; exit 1; }
            one+=("$(tok_s "$tmp/one-$1-$i")") two+=("$(tok_s "$tmp/two-$1-$i")")
            share+=("$(reduce_share "$tmp/two-$1-$i" $(( 2 * $4 * $3 )))")
        done
        local a b c
        a=$(printf '%s\n' "${one[@]}" | median); b=$(printf '%s\n' "${two[@]}" | median)
        c=$(printf '%s\n' "${share[@]}" | median)
        awk -v cfg="$1,$2,$3,$4" -v a="$a" -v b="$b" -v c="$c" -v ld="$(load)" \
            'BEGIN { printf "%-16s %16.0f %16.0f %7.2fx %11.1f%% %5s\n", cfg, a, b, b / a, c, ld }'
    done
    echo
    for n in 8 64; do
        echo "bytegpt info --preset default --ranks $n (10 Gbit/s):"
        "$BG" info --preset default --ranks "$n" | sed -n '/^data parallel/,$p'
        echo
    done
    rm -rf "$tmp"
}

case "${1:-speed}" in
    speed) speed ;;
    context) context ;;
    quality) quality ;;
    bigcorpus) bigcorpus ;;
    mpi) mpi ;;
    *) echo "usage: scripts/bench.sh [speed|context|quality|bigcorpus|mpi]" >&2; exit 2 ;;
esac
