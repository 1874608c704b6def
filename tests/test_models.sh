#!/usr/bin/env bash
# Tests of the shipped models: each models/*/MODEL_CARD.md lists the accuracies it promises in lines
#     rtj-test model=FILE.rtj data=DATA threshold=T accuracy=A
# (FILE relative to the card's folder; DATA relative to the repository's parent folder, or to the card's
# folder when it starts with ./ (a split shipped with the model); T a threshold or no-exit). For each such
# line this runs `rtj-run eval --json` on DATA and checks the row of T against A within 0.5 points.
# Also: the default model (models/default.rtj) is a shipped model and rtj-run finds it without --model.
# Needs only the shell, awk and grep.
#
# usage: tests/test_models.sh [RTJ_RUN]      (default build/rtj-run; run from anywhere)
# Prints one line per check and a last line "N passed, M failed"; exits 1 if any check failed.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUN=$(realpath "${1:-$ROOT/build/rtj-run}")
DATA_ROOT=$(cd "$ROOT/.." && pwd)
TOL=0.005
# shellcheck source=tests/checks.sh
. "$ROOT/tests/checks.sh"

if [ ! -x "$RUN" ]; then
    bad "rtj-run exists ($RUN): build it with make"
    echo "$pass passed, $fail failed"
    exit 1
fi

# ---- the default model ----------------------------------------------------------------------------------
DEF="$ROOT/models/default.rtj"
if [ -L "$DEF" ] && [ -f "$DEF" ] && case "$(readlink "$DEF")" in /*) false ;; *) true ;; esac; then
    ok "models/default.rtj is a relative symlink to a file ($(readlink "$DEF"))"
else
    bad "models/default.rtj is a relative symlink to a file"
fi
S1="it 's a charming and often affecting journey . "
S2="unflinchingly bleak and desperate "
if "$RUN" classify --json -- "$S1" "$S2" >"$T/def" 2>"$T/err" &&
    "$RUN" classify --json --model "$DEF" -- "$S1" "$S2" >"$T/exp" 2>>"$T/err"; then
    # time_ms differs between runs; everything else must be the same
    if [ "$(sed 's/"time_ms": [^,}]*//' "$T/def")" = "$(sed 's/"time_ms": [^,}]*//' "$T/exp")" ]; then
        ok "rtj-run classify without --model uses models/default.rtj"
    else
        bad "rtj-run classify without --model uses models/default.rtj" "$(cat "$T/def" "$T/exp")"
    fi
else
    bad "rtj-run classify without --model runs" "$(cat "$T/err")"
fi

# ---- each card's promised accuracies ---------------------------------------------------------------------
cards=$(ls "$ROOT"/models/*/MODEL_CARD.md 2>/dev/null)
if [ -z "$cards" ]; then
    bad "at least one models/*/MODEL_CARD.md"
fi
for card in $cards; do
    dir=$(dirname "$card")
    name=$(basename "$dir")
    lines=$(grep -E '^rtj-test ' "$card")
    if [ -z "$lines" ]; then
        bad "$name: MODEL_CARD.md has rtj-test lines"
        continue
    fi
    # one eval per (model, data), with every threshold the card names
    printf '%s\n' "$lines" | awk '{for (i = 2; i <= NF; i++) {split($i, kv, "="); v[kv[1]] = kv[2]}
        print v["model"], v["data"], v["threshold"], v["accuracy"]}' >"$T/want"
    awk '{print $1, $2}' "$T/want" | sort -u | while read -r model data; do
        ths=$(awk -v m="$model" -v d="$data" '$1 == m && $2 == d && $3 != "no-exit" {print $3}' "$T/want" |
            paste -sd, -)
        [ -n "$ths" ] || ths=1
        out="$T/$(echo "$name-$model-$data" | tr '/' '_').json"
        case "$data" in ./*) path="$dir/$data" ;; *) path="$DATA_ROOT/$data" ;; esac
        if ! "$RUN" eval --model "$dir/$model" --data "$path" --thresholds "$ths" --json \
            >"$out" 2>"$T/err"; then
            echo "EVALFAIL $model $data" >>"$T/evalfail"
            cp "$T/err" "$T/evalfail.err"
        fi
    done
    while read -r model data th want; do
        what="$name: $model on $data, threshold $th: accuracy $want +- $TOL"
        out="$T/$(echo "$name-$model-$data" | tr '/' '_').json"
        if [ ! -s "$out" ]; then
            bad "$what" "$(cat "$T/evalfail.err" 2>/dev/null)"
            continue
        fi
        if [ "$th" = "no-exit" ]; then
            got=$(grep '"method": "early exit", "threshold": "no-exit"' "$out" |
                sed 's/.*"accuracy": \([^,]*\),.*/\1/')
        else
            got=$(grep '"method": "early exit", "threshold": ' "$out" | grep -v no-exit |
                awk -v t="$th" '{
                    th = $0; sub(/.*"threshold": /, "", th); sub(/,.*/, "", th)
                    acc = $0; sub(/.*"accuracy": /, "", acc); sub(/,.*/, "", acc)
                    if (th + 0 == t + 0) print acc}')
        fi
        if [ -z "$got" ]; then
            bad "$what" "no row for threshold $th in the eval output"
        elif awk -v g="$got" -v w="$want" -v tol="$TOL" 'BEGIN {d = g - w; if (d < 0) d = -d; exit !(d <= tol)}'
        then
            ok "$what (got $got)"
        else
            bad "$what (got $got)"
        fi
    done <"$T/want"
done

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
