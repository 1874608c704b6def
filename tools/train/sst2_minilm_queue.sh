#!/bin/bash
# Fine-tunes the SST-2 models of issue 12 on all-MiniLM-L6-v2, one after another, on ONE core
# (torch and OpenBLAS limited to one thread: the other core is for building and testing C code).
#   INIT=/path/to/all-MiniLM-L6-v2 OUT=/path/to/runs PY=/work/venv/bin/python tools/train/sst2_minilm_queue.sh
# Runs, in order (each a directory under $OUT, its log $OUT/NAME.log; a rerun resumes an unfinished one):
#   multiexit  exits after layers 0,1,3,5 (1, 2, 4, 6 of 6 layers), the authors' mix, summed loss
#   standard   one classifier on layer 5 (the paper's "standard" baseline)
#   eff1 eff2 eff4  separately fine-tuned models truncated to 1, 2, 4 layers (the "efficient baselines")
# Every run holds back the same 2,000 training rows (split.py's rule, seed 1) for selection and
# calibration; SST-2 dev is evaluated once at the end of each run, for the report. The exit classifiers
# and mixes learn at HEAD_LR (default 1e-3; at the encoder's 5e-5 the exits on layers 0 and 1 were still at
# the majority class after 500 steps), the pretrained encoder at LR (5e-5).
set -u
cd "$(dirname "$0")/../.."
PY=${PY:-/work/venv/bin/python}
INIT=${INIT:?INIT: the pretrained model directory}
OUT=${OUT:?OUT: where the runs go}
RTJ=${RTJ:-build/rtj-run}
DATA=${DATA:-../shared/data/sst2}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
mkdir -p "$OUT"
run() {   # name, minutes budget, then finetune.py arguments
  local name=$1 mins=$2; shift 2
  if [ -f "$OUT/$name/DONE" ]; then echo "$name: done already"; return; fi
  echo "$(date -u +%H:%M:%S) start $name" >> "$OUT/queue.log"
  "$PY" tools/train/finetune.py --init "$INIT" --source "${SOURCE:-}" --train "$DATA/glue_sst2_train.tsv" \
      --heldout 2000 --split-seed 1 --write-heldout "$OUT/heldout.tsv" --dev "$DATA/glue_sst2_dev.tsv" \
      --rtj-run "$RTJ" --threads 1 --max-len 64 --batch 32 --lr "${LR:-5e-5}" --head-lr "${HEAD_LR:-1e-3}" --seed 1234 --eval-every 500 \
      --save-every 250 --max-minutes "$mins" --resume --out "$OUT/$name" "$@" >> "$OUT/$name.log" 2>&1 \
    && touch "$OUT/$name/DONE"
  echo "$(date -u +%H:%M:%S) end $name rc=$?" >> "$OUT/queue.log"
}
# The pretrained [CLS] of layers 0-2 hardly depends on the input (across-input std 0.001 against 0.14 at
# layer 5): at lr 5e-5 (heads 1e-3), or even 2e-4 with the early exits' losses weighted 4x, the exits on
# layers 0 and 1 stay at the majority class in the joint model. The 1-layer model alone, at lr 3e-4, breaks
# out after ~150 steps; so the joint model starts from a short such run (warm1: layer 0, pooler, exit 0).
# With the authors' mix, that warm model's exits were all alike (held-out 86.6/86.5/86.6/86.7 at step
# 1000, the top exit's mix nearly uniform over layers 0-5), so the joint model reads pooled_L alone
# (--no-mix, the DeeBERT head); at step 500 it gave 84.7/84.6/85.0/85.3, against 88.6 for the top exit of
# the same run without the warm start (whose exits on layers 0 and 1 were at the majority class).
run warm1     5 --exit-layers 0 --keep-layers 1 --lr 3e-4 --head-lr 3e-3 --epochs 0.25 --eval-every 250
run multiexit 40 --warm "$OUT/warm1" --exit-layers 0,1,3,5 --no-mix --epochs 1.25
run standard  26 --exit-layers 5 --epochs 1
run eff1      8 --exit-layers 0 --keep-layers 1 --lr 3e-4 --head-lr 3e-3 --epochs 1
run eff2      12 --exit-layers 1 --keep-layers 2 --lr 3e-4 --head-lr 3e-3 --epochs 1
run eff4      20 --exit-layers 3 --keep-layers 4 --epochs 1
echo "$(date -u +%H:%M:%S) queue finished" >> "$OUT/queue.log"
