#!/usr/bin/env bash
# ablation: what each change since GPT-2 buys on this machine, measured by
# bytegpt's own experiment loop (bytegpt sweep --propose).
#
#   scripts/ablation.sh [--out DIR] [--time-budget T] [--resume] [BG=path/to/bytegpt]
#
# The baseline is the default preset (GPT-2's recipe) at T (default 300s)
# on 2 threads, on Moby-Dick, with 2 seeds. Then scripts/ablation_next.py
# proposes today's changes one at a time on top of the best recipe so far;
# the sweep's noise rule keeps a change only when the mean of 2 seeds beats
# the best by more than twice the baseline's seed spread (a change that
# loses on its first seed is discarded on that seed). Then every change at
# once, against the best the loop built; last, each change alone on GPT-2's
# recipe. About two hours at 300 s: run it with nothing else on the
# machine, since every trial is a time budget. Stopped (Ctrl-C), it
# continues with --resume.
set -euo pipefail
cd "$(dirname "$0")/.."
BG=${BG:-build/release/bytegpt}
out=sweeps/ablation
budget=300s
resume=()
while [ $# -gt 0 ]; do
    case $1 in
    --out) out=$2; shift 2 ;;
    --time-budget) budget=$2; shift 2 ;;
    --resume) resume=(--resume); shift ;;
    *) echo "error: unknown argument '$1' (see the header of $0)" >&2; exit 2 ;;
    esac
done
[ -x "$BG" ] || { echo "error: $BG is not built; run scripts/test.sh or cmake first" >&2; exit 2; }
[ -f corpus/moby-dick.txt.gz ] || bash scripts/get_corpus.sh moby-dick
if [ ${#resume[@]} -gt 0 ]; then
    exec "$BG" sweep --out "$out" --resume
fi
exec "$BG" sweep --corpus corpus/moby-dick.txt.gz --out "$out" --preset default --time-budget "$budget" \
    --threads 2 --seeds 2 --propose "python3 $PWD/scripts/ablation_next.py"
