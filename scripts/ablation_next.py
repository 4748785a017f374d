#!/usr/bin/env python3
"""ablation_next: the proposer of scripts/ablation.sh (bytegpt sweep --propose).

It reads the sweep's results.tsv on standard input and prints the next
trial's flags: the best recipe so far plus the next change of today's
recipe, one at a time, in a fixed order; nothing once every change has
been tried. The sweep runs the trial and its noise rule decides: a change
that beats the best by more than twice the baseline's seed spread (on the
mean of 2 seeds) is kept, and the next change is tried on top of it; any
other change is discarded. This is the autoresearch loop: one change at a
time, scored at a fixed budget, kept only if it beats the best.

The order puts first the changes expected to pay most at this size
(Muon, the byte-bigram table, ReLU^2, rotary positions), so that the
later, smaller ones are judged on top of a stronger model, as they were
in the speedrun.
"""
import csv
import sys

CHANGES = [
    "--optim muon",
    "--bigram on",
    "--act relu2",
    "--pos rotary",
    "--head untied",
    "--norm rmsnorm",
    "--qk-norm on",
    "--schedule wsd",
    "--softcap 15",
]

rows = list(csv.DictReader(sys.stdin, delimiter="\t"))
tried = [r for r in rows if r["status"] != "baseline"]
if len(tried) < len(CHANGES):
    kept = [r for r in tried if r["status"] == "keep"]
    best = kept[-1]["flags"] if kept else ""
    print((best + " " + CHANGES[len(tried)]).strip())
elif len(tried) == len(CHANGES):
    # Then every change at once: the whole of today's recipe against the
    # best the loop built, since changes that lose alone may pay together
    # (QK-norm and rotary act on the same scores; an untied head and ReLU^2
    # change what Muon's matrices see).
    print(" ".join(CHANGES))
else:
    # Last, each change alone on GPT-2's recipe, for the table: what it
    # does without the others (the loop's decisions are relative to the
    # best, so these are discarded unless one beats it).
    alone = [c for c in CHANGES if not any(r["flags"] == c for r in rows)]
    if alone:
        print(alone[0])
