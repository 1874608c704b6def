#!/bin/bash
# make bench-peers: rtj next to ONNX Runtime in one run (bench/peers_ort/peers_ort.py says what is timed).
# A developer tool, never needed by make or make test: it makes a venv with PyPI's onnxruntime, onnx and
# numpy the first time ($RTJ_PEERS_VENV, default /work/venv-ort, else ./build/venv-ort when /work is not
# writable) and runs the script with the repository's rtj-run and librtj.so. Arguments go to the script
# (--quick, --models tiny, --reps N, ...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
VENV=${RTJ_PEERS_VENV:-/work/venv-ort}
if [ -z "${RTJ_PEERS_VENV:-}" ] && ! { [ -d "$VENV" ] || mkdir -p "$VENV" 2>/dev/null; }; then
    VENV=$PWD/build/venv-ort
fi
if ! "$VENV/bin/python" -c 'import onnxruntime, onnx, numpy' 2>/dev/null; then
    echo "bench-peers: making the venv $VENV (onnxruntime, onnx, numpy from PyPI)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q onnxruntime onnx numpy
fi
[ -x build/rtj-run ] && [ -e build/librtj.so.0 ] || { echo "bench-peers: build first (make)" >&2; exit 1; }
export RTJ_LIBRARY=$PWD/build/librtj.so.0
# ONNX Runtime and rtj get their thread counts from the script; nothing from the environment
unset OMP_NUM_THREADS OPENBLAS_NUM_THREADS
exec nice -n 10 "$VENV/bin/python" -s bench/peers_ort/peers_ort.py "$@"
