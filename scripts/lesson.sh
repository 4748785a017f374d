#!/usr/bin/env bash
# A lesson in one command: what pre-training is, shown with the real
# program. Every figure is computed as the lesson runs; nothing is canned.
#
#   scripts/lesson.sh              about twenty minutes on 2 cores (4 minutes of pre-training)
#   scripts/lesson.sh --quick      the tiny preset and seconds of training (CI runs this)
#   scripts/lesson.sh --no-pause   run straight through (also when not on a terminal)
#
# Each step is a short paragraph, then the command it runs, shown as typed
# so that students can repeat it. Runs go to runs/lesson/ (replaced each time).
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0 pause=1
for arg in "$@"; do
    case "$arg" in
        --quick) quick=1 ;;
        --no-pause) pause=0 ;;
        -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "error: unknown flag $arg (lesson.sh takes --quick and --no-pause)" >&2; exit 2 ;;
    esac
done
[ -t 0 ] && [ -t 1 ] || pause=0

# KEPT: the changes to GPT-2's recipe that bytegpt's ablation kept, the
# flags the modern preset sets (the tiny preset has GPT-2's recipe, so the
# quick lesson gives them).
KEPT=(--optim muon)
if [ $quick -eq 1 ]; then
    PRESET=tiny PRETRAIN=20s FINETUNE=10s TRIAL=3s COMPARE=5s
    GPT2=(--preset tiny) MODERN=(--preset tiny "${KEPT[@]}")
    SCALING=(--preset tiny --budgets 1e9,3e9 --depths 1,2,3 --aspect 8 --head-size 8)
else
    PRESET=modern PRETRAIN=4m FINETUNE=60s TRIAL=20s COMPARE=60s
    GPT2=(--preset default) MODERN=(--preset modern)
    SCALING=(--preset default --budgets 2.5e11,1e12 --depths 1,2,3)
fi

# The program: BYTEGPT names a built binary; otherwise build one.
BG=${BYTEGPT:-build/release/bytegpt}
if [ ! -x "$BG" ]; then
    bash scripts/setup.sh
    cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build build/release -j "$(nproc 2>/dev/null || echo 2)" >/dev/null
fi
bash scripts/get_corpus.sh moby-dick >/dev/null
bash scripts/get_corpus.sh sotu >/dev/null

L=runs/lesson
rm -rf "$L"
mkdir -p "$L"

step_no=0
# step TITLE PARAGRAPH: a numbered heading and its explanation.
step() {
    step_no=$((step_no + 1))
    if [ $pause -eq 1 ] && [ $step_no -gt 1 ]; then
        read -r -p "(Enter for step $step_no) " _
    fi
    printf '\n=== Step %d: %s ===\n\n' "$step_no" "$1"
    printf '%s\n\n' "$2" | fold -s -w 78
}
# run CMD...: shows the command as typed, then runs it.
run() {
    local shown="\$ bytegpt" a
    for a in "${@:2}"; do
        case "$a" in *" "* | *"'"*) shown+=" \"$a\"" ;; *) shown+=" $a" ;; esac
    done
    printf '%s\n' "$shown"
    "$@"
    echo
}

step "The data" \
"Pre-training starts from a lot of text. Ours is Moby-Dick, stored compressed. \
bytegpt reads it as bytes: each byte is one token, so the vocabulary is the 256 \
byte values and there is nothing to train before we start. The last 10% of the \
book is held out: the model never trains on it, so it can tell us how well the \
model predicts text it has not seen."
run "$BG" info --corpus corpus/moby-dick.txt.gz --first 24

step "Before training" \
"A freshly initialised model knows nothing. Asked what byte follows \"The whal\", \
it gives every one of the 256 bytes about the same chance, 1/256, which is 8 bits \
of surprise each: the most a byte can carry. Its text is noise."
run "$BG" train --corpus corpus/moby-dick.txt.gz --preset $PRESET --steps 0 --out $L/untrained
run "$BG" predict --model $L/untrained --prompt "The whal" --top-k 5
run "$BG" sample --model $L/untrained --prompt "The whal" --tokens 80 --seed 1

step "Pre-training" \
"Now the model reads windows of the book and, at every position, predicts the \
next byte; the error is the loss (in nats; ln 256 = 5.545 at the start). \
Backpropagation tells each of its weights which way to move to lower it. That \
is all pre-training is: next-token prediction, over and over, on a lot of text. \
Watch the loss fall and the FLOPs pile up ($PRETRAIN)."
echo "open $L/pretrained/index.html in a browser to watch it learn (the page follows the run)"
echo
run "$BG" train --corpus corpus/moby-dick.txt.gz --preset $PRESET --time-budget $PRETRAIN --out $L/pretrained --sample-every 0

step "After training" \
"The same question again: now most of the probability sits on a few bytes. \
With --per-byte we see every byte of a sentence with the probability the model \
gave it: the middle of a word is easy (few bits), the start of a word is hard. \
And its text has English words in it."
run "$BG" predict --model $L/pretrained --prompt "The whal" --top-k 5
run "$BG" predict --model $L/pretrained --prompt "Call me Ishmael. Some years ago" --per-byte --top-k 3
run "$BG" sample --model $L/pretrained --prompt "The whale" --tokens 300 --seed 1

step "What it learned, measured" \
"Bits per byte on the held-out part of the book, beside two baselines computed \
on the same bytes: the order-0 entropy (knowing only how often each byte occurs) \
and gzip. Predicting well is compressing well: a model below gzip has found \
structure in English that gzip's repeated-string matching does not."
n=$(gzip -dc corpus/moby-dick.txt.gz | wc -c)
gzip -dc corpus/moby-dick.txt.gz | tail -c $((n / 10)) >$L/heldout.txt
printf '$ gzip -dc corpus/moby-dick.txt.gz | tail -c %d > %s   # the last 10%%\n' $((n / 10)) $L/heldout.txt
run "$BG" eval --model $L/pretrained --text $L/heldout.txt

step "What it cost" \
"Every token costs about 6 FLOPs per parameter to train (2 forward, 4 backward), \
plus the attention's share. Here is the bill of the run we just did, at the rate \
this machine reached, beside the pre-training of GPT-2 and GPT-3."
last=$(tail -1 $L/pretrained/log.csv)
tokens=$(cut -d, -f2 <<<"$last")
rate=$(awk -F, '{ printf "%.3g", $3 / $10 / 1e9 }' <<<"$last")
run "$BG" info --preset $PRESET --tokens "$tokens" --gflops "$rate"

step "Pre-training comes first" \
"A pre-trained model is a starting point. We fine-tune it briefly on other text, \
the State of the Union addresses, and train a second model of the same size on \
them from scratch for the same time. Both are scored on held-out addresses: the \
pre-trained start learns the new text faster, because it already knows English."
run "$BG" train --corpus corpus/sotu --preset $PRESET --init-from $L/pretrained/best.bin --time-budget $FINETUNE --out $L/finetuned --sample-every 0
run "$BG" train --corpus corpus/sotu --preset $PRESET --time-budget $FINETUNE --out $L/scratch --sample-every 0
heldout=$(ls corpus/sotu/*.gz | sort | sed -n '10p')
gzip -dc "$heldout" >$L/sotu-heldout.txt
printf '$ gzip -dc %s > %s   # the 10th address, a validation shard\n' "$heldout" $L/sotu-heldout.txt
run "$BG" eval --model $L/finetuned --text $L/sotu-heldout.txt
run "$BG" eval --model $L/scratch --text $L/sotu-heldout.txt
# bpb MODEL TEXT: the model's bits per byte on TEXT, as eval prints it.
bpb() { "$BG" eval --model "$1" --text "$2" 2>/dev/null | sed -n 's/^ *model *[0-9.]* *\([0-9.]*\)$/\1/p'; }
echo "held-out bits per byte on sotu: pre-trained then fine-tuned $(bpb $L/finetuned $L/sotu-heldout.txt)," \
    "from scratch $(bpb $L/scratch $L/sotu-heldout.txt)"
echo
run "$BG" sample --model $L/finetuned --prompt "My fellow citizens" --tokens 200 --seed 1
run "$BG" sample --model $L/scratch --prompt "My fellow citizens" --tokens 200 --seed 1

step "The loss curves" \
"All three runs on one chart: the loss falling during pre-training, and the \
fine-tuned run starting far below the run from scratch. The same chart as an \
SVG opens in any browser."
run "$BG" plot $L/pretrained/log.csv $L/finetuned/log.csv $L/scratch/log.csv --smooth 0.9
run "$BG" plot $L/pretrained/log.csv $L/finetuned/log.csv $L/scratch/log.csv --svg $L/loss.svg
echo "open $L/loss.svg in a browser to see the curves"
echo

step "The experiment loop" \
"How do we know the default settings are good ones? By experiment: change one \
thing, train for a fixed short budget, score the model on the same held-out \
bytes, keep the change only if it beats the best so far by more than the noise \
between seeds, and go again, hundreds of times. bytegpt sweep runs that loop \
unattended; here, the base settings and two other learning rates for $TRIAL each \
(one seed each, so every improvement counts; a real sweep uses more)."
run "$BG" sweep --corpus corpus/moby-dick.txt.gz --preset $PRESET --time-budget $TRIAL --seeds 1 --grid 'lr=1e-3,1e-2' --out $L/sweep
step "What changed since GPT-2" \
"GPT-2's recipe is from 2019. Each change below is one line of today's public \
recipes (the modded-nanogpt speedrun, nanochat), and each is a flag of bytegpt. \
Which of them pay depends on the model's size and the budget, so bytegpt's own \
experiment loop measured them one at a time on this machine, 5 minutes each \
(scripts/ablation.sh; the README has the table). At this size it kept Muon: \
about a tenth of a bit per byte in 5 minutes; the others lost on top of it. \
Here are GPT-2's recipe and the kept one trained side by side for $COMPARE \
each on the same text, then scored on the same held-out bytes."
cat <<'LIST'
  --optim muon        each weight matrix of the blocks moves by its momentum made
                      orthogonal (Newton-Schulz), so every direction learns at once
  --bigram on         a table row per pair of bytes added at the input: what follows
                      which byte is known from the first steps
  --act relu2         the MLP's activation max(0,x)^2: cheaper than GELU, and sparse
  --pos rotary        no position table: q and k are turned by an angle that grows with
                      the position, so attention sees distances
  --head untied       the output layer has its own weights; it and each block's output
                      start at zero, so every block starts as the identity
  --norm rmsnorm      normalise by the root mean square alone: no mean, no bias
  --qk-norm on        each head's q and k normalised before the scores, so the softmax
                      cannot saturate
  --schedule wsd      hold the peak learning rate, then decay in a straight line at the end
  --softcap 15        logits squashed into (-15, 15) by tanh, so none can run away
LIST
echo
run "$BG" train --corpus corpus/moby-dick.txt.gz "${GPT2[@]}" --time-budget $COMPARE --out $L/gpt2 --sample-every 0
run "$BG" train --corpus corpus/moby-dick.txt.gz "${MODERN[@]}" --time-budget $COMPARE --out $L/modern --sample-every 0
echo "held-out bits per byte after $COMPARE: GPT-2's recipe $(bpb $L/gpt2 $L/heldout.txt)," \
    "the kept recipe's $(bpb $L/modern $L/heldout.txt)"
echo
run "$BG" plot $L/gpt2/log.csv $L/modern/log.csv --smooth 0.9

step "How big a model for the compute?" \
"Every pre-training run starts from one question: for the compute I have, how \
big a model, trained on how many tokens? Too small a model learns little however \
much text it reads; too large a one is so slow per token that the budget ends \
before it has read enough. bytegpt scaling measures it: at each budget (counted \
in FLOPs, so it means the same on every machine) it trains models of several \
sizes until each has spent exactly that budget, and scores them alike. Here: two \
small budgets, three sizes, one seed, on the State of the Union addresses: \
about two minutes."
run "$BG" scaling --corpus corpus/sotu "${SCALING[@]}" --seeds 1 --resamples 20 --jobs 2 --out $L/scaling
echo "What you just saw: at each budget one size ends lowest, the compute-optimal size"
echo "for that budget, and with four times the compute the best size is larger (where"
echo "the table says \"outside\", the best lies beyond the sizes tried: the experiment says"
echo "which way to look rather than guess). The tokens grow with it. Chinchilla (2022)"
echo "measured about 20 tokens per parameter at the optimum for large models, and every"
echo "large run since has been planned from such a fit; models this small want far more."
echo "Two budgets and one seed make a rough line; the README's run uses four budgets,"
echo "five sizes and two seeds, and checks its own prediction at a larger budget."
echo "Open $L/scaling/index.html to see the curves."
echo
echo "The lesson's runs are in $L. The code behind each step: README.md, \"What is pre-training?\"."
