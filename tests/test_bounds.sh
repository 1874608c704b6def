#!/usr/bin/env bash
# Bounded resources and files never half-written, driven through the real rtj-run:
# 1. Checkpoints whose headers promise absurd sizes (hidden_size 10^9, num_hidden_layers 10^5,
#    max_position_embeddings 10^9, a tensor of shape [2^31, 2^31], and hidden_size 16384 with the layer
#    tensors missing, which once reserved 3 GiB before noticing) are refused with a message naming the key
#    or tensor, while the address space is limited to 64 MiB (so nothing may even be reserved beyond it),
#    with the peak RSS measured and under 64 MiB too.
# 2. rtj-run convert killed with SIGKILL at many points of its run: the file at the output's name is
#    always either the old output, intact, or the complete new one, never a half-written file.
#
# usage: tests/test_bounds.sh RTJ_RUN MAKE_TINY_MODEL RUN_BOUNDED NEW_MODEL
#   NEW_MODEL: a model of some MiB (models/default.rtj), so that its write takes long enough to be hit.
set -u
if [ $# -ne 4 ]; then
    echo "usage: $0 RTJ_RUN MAKE_TINY_MODEL RUN_BOUNDED NEW_MODEL" >&2
    exit 2
fi
RUN=$(realpath "$1") MKMODEL=$(realpath "$2") BOUNDED=$(realpath "$3") NEW=$(realpath "$4")
# shellcheck source=tests/checks.sh
. "$(dirname "$0")/checks.sh"
LIMIT_MIB=64

# safetensors FILE HEADER_JSON DATA_BYTES: the 8-byte little-endian header length, the header, zeros.
safetensors() {
    local n=${#2} le="" i
    for i in 0 1 2 3 4 5 6 7; do le="$le\\x$(printf '%02x' $(((n >> (8 * i)) & 255)))"; done
    { printf "$le"; printf '%s' "$2"; head -c "$3" /dev/zero; } >"$1"
}

# bounded NAME PATTERN DIR: rtj-run info DIR under the limit fails (exit 1) with one message matching
# PATTERN (not "out of memory"), and its peak RSS stays under the limit.
bounded() {
    local name=$1 pattern=$2 dir=$3
    "$BOUNDED" "$LIMIT_MIB" "$T/rss" "$RUN" info "$dir" >"$T/out" 2>"$T/err"
    local rc=$? rss
    rss=$(sed -n 's/^peak_rss_kib //p' "$T/rss" 2>/dev/null)
    if [ "$rc" = 1 ] && grep -q -- "$pattern" "$T/err" && ! grep -q "out of memory" "$T/err" &&
        [ -n "$rss" ] && [ "$rss" -lt $((LIMIT_MIB * 1024)) ]; then
        ok "$name: refused within $LIMIT_MIB MiB of address space, peak RSS $rss KiB"
    else
        bad "$name: exit $rc, peak RSS ${rss:-?} KiB, expected exit 1 naming '$pattern'" "$(cat "$T/err")"
    fi
}

M=$T/tiny
"$MKMODEL" "$M" >/dev/null || { echo "cannot make the tiny model"; exit 1; }
expect_ok() { if "$BOUNDED" "$LIMIT_MIB" "$T/rss" "$RUN" info "$M" >/dev/null 2>"$T/err"; then ok "$1"; else bad "$1" "$(cat "$T/err")"; fi; }
expect_ok "the tiny checkpoint itself loads within $LIMIT_MIB MiB"

# ---- absurd sizes in config.json, beside the tiny model's real files ---------------------------------
edit() { # edit NAME SED_EXPR: a copy of the tiny checkpoint with config.json edited
    mkdir -p "$T/$1" && cp "$M/vocab.txt" "$M/model.safetensors" "$T/$1/" && sed -e "$2" "$M/config.json" >"$T/$1/config.json"
}
edit hidden 's/"hidden_size": *[0-9]*/"hidden_size": 1000000000/'
bounded "hidden_size 10^9" '"hidden_size" is 1000000000' "$T/hidden"
edit layers 's/"num_hidden_layers": *[0-9]*/"num_hidden_layers": 100000/'
bounded "num_hidden_layers 10^5" '"num_hidden_layers" is 100000' "$T/layers"
edit positions 's/"max_position_embeddings": *[0-9]*/"max_position_embeddings": 1000000000/'
bounded "max_position_embeddings 10^9" '"max_position_embeddings" is 1000000000' "$T/positions"
edit bigvocab 's/"vocab_size": *[0-9]*/"vocab_size": 1000000/; s/"hidden_size": *[0-9]*/"hidden_size": 16384/; s/"num_attention_heads": *[0-9]*/"num_attention_heads": 1/'
bounded "vocab 10^6 x hidden 16384 against a 100 KiB file" "embeddings.word_embeddings.weight' has shape" "$T/bigvocab"

# ---- a tensor of shape [2^31, 2^31] ----------------------------------------------------------------
mkdir -p "$T/shape" && cp "$M/vocab.txt" "$M/config.json" "$T/shape/"
safetensors "$T/shape/model.safetensors" \
    '{"embeddings.word_embeddings.weight":{"dtype":"F32","shape":[2147483648,2147483648],"data_offsets":[0,16]}}' 16
bounded "a tensor of shape [2^31, 2^31]" 'embeddings.word_embeddings.weight.*overflows\|embeddings.word_embeddings.weight.*needs' "$T/shape"

# ---- hidden_size 16384 with every embedding present and the layer tensors missing --------------------
# Once the loader reserved Q, K and V of layer 0 (3 x 16384^2 floats, 3 GiB) before looking for them.
D=$T/nolayers
mkdir -p "$D"
printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\nb\nc\n' >"$D/vocab.txt"
cat >"$D/config.json" <<'JSON'
{"hidden_size": 16384, "num_hidden_layers": 1, "num_attention_heads": 1, "intermediate_size": 16,
 "vocab_size": 8, "max_position_embeddings": 1, "type_vocab_size": 1, "hidden_act": "gelu",
 "num_labels": 2, "exit_layers": [0]}
JSON
H=16384 W=$((8 * 16384 * 2)) R=$((16384 * 2))
safetensors "$D/model.safetensors" "{\"embeddings.word_embeddings.weight\":{\"dtype\":\"F16\",\"shape\":[8,$H],\"data_offsets\":[0,$W]},\
\"embeddings.position_embeddings.weight\":{\"dtype\":\"F16\",\"shape\":[1,$H],\"data_offsets\":[$W,$((W + R))]},\
\"embeddings.token_type_embeddings.weight\":{\"dtype\":\"F16\",\"shape\":[1,$H],\"data_offsets\":[$((W + R)),$((W + 2 * R))]},\
\"embeddings.LayerNorm.weight\":{\"dtype\":\"F16\",\"shape\":[$H],\"data_offsets\":[$((W + 2 * R)),$((W + 3 * R))]},\
\"embeddings.LayerNorm.bias\":{\"dtype\":\"F16\",\"shape\":[$H],\"data_offsets\":[$((W + 3 * R)),$((W + 4 * R))]}}" \
    $((W + 4 * R))
bounded "hidden_size 16384, layer tensors missing" "encoder.layer.0.attention.self.query.weight' is missing" "$D"
"$BOUNDED" "$LIMIT_MIB" "$T/rss" "$RUN" classify --int8 --model "$D" "a b" >/dev/null 2>"$T/err"
if grep -q "encoder.layer.0.attention.self.query.weight' is missing" "$T/err"; then ok "the same loaded as INT8"; else bad "the same loaded as INT8" "$(cat "$T/err")"; fi

# ---- a NaN weight: refused at load, so convert writes nothing --------------------------------------------
mkdir -p "$T/nan" && cp "$M/vocab.txt" "$M/config.json" "$M/model.safetensors" "$T/nan/"
hlen=$(od -An -t u8 -N 8 "$M/model.safetensors" | tr -d ' ')
printf '\x00\x00\xc0\x7f' | dd of="$T/nan/model.safetensors" bs=1 seek=$((8 + hlen + 8)) conv=notrunc 2>/dev/null
for dt in "" --int8; do
    "$RUN" convert $dt "$T/nan" -o "$T/nan.rtj" >"$T/out" 2>"$T/err"
    rc=$?
    if [ "$rc" = 1 ] && grep -q "tensor '.*' holds NaN at \[.*weights must be finite" "$T/err" && [ ! -e "$T/nan.rtj" ]; then
        ok "convert ${dt:-(FP32)} refuses a checkpoint holding a NaN, naming the tensor, and writes nothing"
    else
        bad "convert ${dt:-(FP32)} of a NaN checkpoint: exit $rc" "$(cat "$T/err")"
    fi
done

# ---- convert killed with SIGKILL: the old output or the whole new one, nothing in between -------------
OUT=$T/kill/out.rtj
mkdir -p "$T/kill"
"$RUN" convert "$M" -o "$OUT" >/dev/null 2>&1 || bad "convert the old output"
"$RUN" convert "$NEW" -o "$T/new.rtj" >/dev/null 2>&1 || bad "convert the new output once, whole"
old_sum=$(cksum <"$OUT") new_sum=$(cksum <"$T/new.rtj")
start=$(date +%s%N)
"$RUN" convert "$NEW" -o "$T/timing.rtj" >/dev/null 2>&1
span_us=$((($(date +%s%N) - start) / 1000))
kills=0 mid_write=0 wrong=0 became_new=0
for i in $(seq 0 39); do
    rm -f "$OUT".tmp.*
    "$RUN" convert "$NEW" -o "$OUT" >/dev/null 2>&1 &
    pid=$!
    # 40 points spread over one run's duration (plus a little: a loaded machine runs slower).
    sleep "$(awk -v us="$span_us" -v i="$i" 'BEGIN { printf "%.6f", us * 1.2 * i / 40 / 1e6 }')"
    ls "$OUT".tmp.* >/dev/null 2>&1 && mid_write=$((mid_write + 1))
    kill -KILL "$pid" 2>/dev/null && kills=$((kills + 1))
    wait "$pid" 2>/dev/null
    sum=$(cksum <"$OUT")
    if [ "$sum" = "$new_sum" ]; then
        became_new=$((became_new + 1)) # the kill came after the rename: start again from the old output
        "$RUN" convert "$M" -o "$OUT" >/dev/null 2>&1
        old_sum=$(cksum <"$OUT")
    elif [ "$sum" != "$old_sum" ]; then
        wrong=$((wrong + 1))
    fi
done
rm -f "$OUT".tmp.*
if [ "$wrong" = 0 ] && [ "$kills" -gt 0 ] && [ "$mid_write" -gt 0 ]; then
    ok "convert killed $kills times ($mid_write while its temporary file existed, $became_new after the rename): the output was always the old file or the new one, whole"
else
    bad "convert killed $kills times, $mid_write mid-write: $wrong times the output was neither the old nor the new file"
fi
if "$RUN" info "$OUT" >/dev/null 2>&1; then ok "the output left by the kills loads"; else bad "the output left by the kills loads"; fi
summary
