#!/usr/bin/env bash
# End-to-end tests of rtj-run on a tiny random model (2 layers, hidden 32, exits after layers 0 and 1,
# labels negative/positive, 64 positions) written by tests/cli/make_tiny_model.c. No Python: outputs are
# parsed back with grep, sed and awk.
#
# usage: tests/test_cli.sh RTJ_RUN MAKE_TINY_MODEL      (make test-cli builds both and runs this)
# Prints one line per check and a last line "N passed, M failed"; exits 1 if any check failed.
set -u
if [ $# -ne 2 ]; then
    echo "usage: $0 RTJ_RUN MAKE_TINY_MODEL" >&2
    exit 2
fi
RUN=$(realpath "$1")
MKMODEL=$(realpath "$2")
# shellcheck source=tests/checks.sh
. "$(dirname "$0")/checks.sh"
# check NAME COMMAND...: passes when the command succeeds (a test of files already produced).
check() {
    local name=$1
    shift
    if "$@" >/dev/null 2>&1; then ok "$name"; else bad "$name" "$(cat "$T/err" 2>/dev/null)"; fi
}
# run COMMAND...: runs it with stdout in $T/out, stderr in $T/err, exit status in $rc.
run() {
    "$@" >"$T/out" 2>"$T/err"
    rc=$?
}
# expect NAME RC COMMAND...: runs the command and checks its exit status (and that it did not crash).
expect() {
    local name=$1 want=$2
    shift 2
    run "$@"
    if [ "$rc" = "$want" ]; then ok "$name"; else bad "$name: exit $rc, expected $want" "$(cat "$T/err")"; fi
}
# expect_error NAME RC PATTERN COMMAND...: a failure with exactly one stderr line matching PATTERN and
# nothing on stdout.
expect_error() {
    local name=$1 want=$2 pattern=$3
    shift 3
    run "$@"
    local lines
    lines=$(wc -l <"$T/err")
    if [ "$rc" = "$want" ] && [ "$lines" = 1 ] && grep -q -- "$pattern" "$T/err" && [ ! -s "$T/out" ]; then
        ok "$name"
    else
        bad "$name: exit $rc (expected $want), $lines stderr lines (expected 1 matching '$pattern')" \
            "$(cat "$T/err" "$T/out")"
    fi
}
# The value of a JSON key in a one-line object (numbers, strings, the first array).
jget() { sed -n "s/.*\"$1\": \(\[[^]]*\]\|\"[^\"]*\"\|[^,}]*\).*/\1/p"; }
# Drops the fields that differ from run to run (times) so that outputs can be compared.
untimed() { sed 's/"time_ms": [^,}]*//; s/\t[0-9.]* ms//'; }

M=$T/model
MC=$T/miscalibrated
"$MKMODEL" "$M" --seed 7 || { echo "cannot make the tiny model"; exit 1; }
"$MKMODEL" "$MC" --seed 7 --temps 0.1,0.1 || { echo "cannot make the tiny model"; exit 1; }

# ---- data: sentences from the model's vocabulary, random labels ------------------------------------
awk 'BEGIN {
    srand(12345)
    n = split("the a movie film good great bad awful fun boring not very story acting man woman dog cat sleeps runs", w, " ")
    print "sentence\tlabel"
    for (i = 0; i < 80; i++) {
        len = 2 + int(rand() * 14); s = ""
        for (j = 0; j < len; j++) s = s (j ? " " : "") w[1 + int(rand() * n)]
        if (i % 9 == 4) s = s " , \"quoted\" text"
        print s "\t" int(rand() * 2)
    }
}' >"$T/data.tsv"
tail -n +2 "$T/data.tsv" | cut -f1 >"$T/texts.txt"
tail -n +2 "$T/data.tsv" | cut -f2 >"$T/gold.txt"
# The same instances as CRLF TSV, JSON lines with label names, and CSV without header.
sed 's/$/\r/' "$T/data.tsv" >"$T/data_crlf.tsv"
tail -n +2 "$T/data.tsv" | awk -F'\t' '{ t = $1; gsub(/"/, "\\\"", t); printf "{\"text\": \"%s\", \"label\": \"%s\"}\n", t, $2 ? "positive" : "negative" }' >"$T/data.jsonl"
tail -n +2 "$T/data.tsv" | awk -F'\t' '{ t = $1; gsub(/"/, "\"\"", t); printf "%s,\"%s\"\n", $2, t }' >"$T/data.csv"
# Pairs with an SNLI-style "-" label, and AG News style CSV: 1-based labels, title + description.
printf 'premise\thypothesis\tlabel\nthe man sleeps\ta person sleeps\t1\nthe dog runs\tthe cat sleeps\t-\na woman runs\tthe woman runs\t0\n' >"$T/pairs.tsv"
printf '"2","the movie","a great, ""fun"" story"\n"1","bad film","very boring"\n' >"$T/ag.csv"

# ---- help and cpu ----------------------------------------------------------------------------------
expect "help exits 0" 0 "$RUN" help
check "help lists every command" bash -c "for c in classify tokenize eval calibrate convert info cpu selftest; do grep -q \"^  \$c\" '$T/out' || exit 1; done"
for c in classify tokenize eval calibrate convert info cpu selftest; do
    expect "$c --help exits 0" 0 "$RUN" $c --help
    check "$c --help has usage and an example" bash -c "grep -q '^usage: rtj-run' '$T/out' && grep -qi 'example' '$T/out'"
done
expect "help eval = eval --help" 0 "$RUN" help eval
check "eval --help documents how time is measured" grep -q "How time is measured" "$T/out"
expect_error "help of an unknown command" 2 "no command 'bogus'" "$RUN" help bogus
expect "cpu" 0 "$RUN" cpu
check "cpu names the kernels" grep -q '^kernels ' "$T/out"
check "cpu: runnable and compiled sets" bash -c "grep -q '^runnable  *scalar' '$T/out' && grep -q '^compiled  *scalar' '$T/out'"
impossible=neon
[ "$(uname -m)" = aarch64 ] && impossible=avx2
expect "cpu with an impossible RTJ_ISA exits 2" 2 env RTJ_ISA=$impossible "$RUN" cpu
check "cpu with an impossible RTJ_ISA says why, after the features" bash -c "grep -q 'cannot run $impossible' '$T/err' &&
    grep -q '^compiled ' '$T/out' && ! grep -q '^kernels ' '$T/out'"

# ---- selftest ------------------------------------------------------------------------------------------
expect "selftest on the bundled model" 0 "$RUN" selftest
check "selftest: a row per runnable GEMM kernel, the model, a passing summary" bash -c "
    grep -q '^scalar  *rtj_f32_gemm_ukernel_4x8__scalar .* pass\$' '$T/out' &&
    grep -q '^scalar  *rtj_q8_gemm_ukernel_4x16__scalar .* pass\$' '$T/out' &&
    grep -q '^scalar  *rtj_f32_gelu__scalar .* pass\$' '$T/out' &&
    ! grep -q FAIL '$T/out' && grep -q '^selftest: passed, 0 checks failed' '$T/out'"
runnable=$(sed -n 's/^runnable  *//p' <("$RUN" cpu 2>/dev/null))
for isa in $runnable; do
    [ "$isa" = scalar ] && continue
    check "selftest checks the model under $isa" grep -q "^$isa  *model default.rtj int8: .* pass\$" "$T/out"
done
expect "selftest --no-model --json" 0 "$RUN" selftest --no-model --json
check "selftest --json: one object per check, no model" bash -c "
    grep -q '^{\"isa\": \"scalar\", \"check\": \"rtj_f32_softmax__scalar\", \"worst_error\": ' '$T/out' &&
    ! grep -v '\"pass\": true' '$T/out' && ! grep -q '\"check\": \"model' '$T/out'"
expect "selftest on a checkpoint directory, FP32" 0 "$RUN" selftest --model "$M"
check "selftest: the FP32 checkpoint's row" bash -c "grep -q 'model model fp32: ' '$T/out' || [ \"$runnable\" = scalar ]"
# Finite weights whose products overflow float: an error naming the input, never a made-up answer.
"$MKMODEL" "$T/overflow" --seed 7 --weight-scale 1e30 || { echo "cannot make the overflowing model"; exit 1; }
expect_error "classify on a model whose values overflow" 1 "input 1 cannot be classified.*float range" \
    "$RUN" classify --model "$T/overflow" "a great movie"
expect_error "classify --json on a model whose values overflow" 1 "cannot be classified" \
    "$RUN" classify --model "$T/overflow" --json --all-exits "a great movie"
expect_error "selftest of a missing model" 1 "no such file" "$RUN" selftest --model "$T/nonexistent"
expect_error "selftest with an unknown flag" 2 "unknown option" "$RUN" selftest --bogus
expect_error "selftest with --model and --no-model" 2 "cannot be used together" "$RUN" selftest --no-model --model "$M"

# ---- info --------------------------------------------------------------------------------------------
expect "info on the checkpoint directory" 0 "$RUN" info "$M"
check "info: format, dtype, labels, exits, temperatures" bash -c "grep -q 'checkpoint directory' '$T/out' &&
    grep -q '^dtype  *FP32' '$T/out' && grep -q '0=negative 1=positive' '$T/out' && grep -q '^exits  *2' '$T/out' &&
    grep -q 'exit 1 .*after layer 1.*temperature 1\$' '$T/out' && grep -q '^kernels ' '$T/out'"

# ---- classify --------------------------------------------------------------------------------------
expect "classify, human output" 0 "$RUN" classify --model "$M" "a great movie" "the dog sleeps"
check "human output: 2 lines of label, probability, exit, layers, time" awk -F'\t' '
    NF < 5 || ($1 != "negative" && $1 != "positive") || $2 !~ /^0\.[0-9]+$|^1\.0+$/ || $3 !~ /^exit [01] \(layer [01]\)$/ ||
    $4 !~ /^layers [12]\/2$/ || $5 !~ / ms$/ { exit 1 } END { exit NR != 2 }' "$T/out"
cp "$T/out" "$T/human.txt"
expect "classify is the default command" 0 "$RUN" --model "$M" "a great movie" "the dog sleeps"
check "default command gives the same answers" bash -c "diff <(cut -f1-4 '$T/out') <(cut -f1-4 '$T/human.txt')"

expect "classify --json --all-exits" 0 "$RUN" classify --model "$M" --json --all-exits "a great movie" "boring"
check "json: every field, one object per input" awk '
    !/^\{"label": "(negative|positive)", "label_id": [01], "probs": \[[-0-9.e]+, [-0-9.e]+\], "exit_index": [01], "exit_layer": [01], "layers_run": 2, "tokens": [0-9]+, "truncated": 0, "time_ms": [0-9.e-]+, "exits": \[\{"layer": 0, "logits": \[.*\], "probs": \[.*\]\}, \{"layer": 1, "logits": \[.*\], "probs": \[.*\]\}\]\}$/ { exit 1 }
    END { exit NR != 2 }' "$T/out"
check "json: probs sum to 1 and label_id is their argmax" awk '{
    match($0, /"probs": \[[^]]*\]/); split(substr($0, RSTART + 10, RLENGTH - 11), p, ", ")
    match($0, /"label_id": [01]/); id = substr($0, RSTART + 12, 1)
    if ((p[1] + p[2] - 1) ^ 2 > 1e-10 || (p[2] > p[1]) != id) exit 1 }' "$T/out"

printf 'a great movie\nthe dog sleeps\r\n\nnot very good\n' >"$T/stdin.txt"
run "$RUN" classify --model "$M" --json <"$T/stdin.txt"
check "standard input: one output per line, empty lines included" test "$rc" = 0 -a "$(wc -l <"$T/out")" = 4
expect "empty standard input: no output" 0 "$RUN" classify --model "$M" </dev/null
check "empty standard input printed nothing" test ! -s "$T/out"
"$RUN" classify --model "$M" --json --all-exits --threshold 0.7 <"$T/texts.txt" | untimed >"$T/single.jsonl"
for b in 3 80 200; do
    run "$RUN" classify --model "$M" --json --all-exits --threshold 0.7 --batch $b <"$T/texts.txt"
    check "--batch $b gives the answers of one at a time, bit for bit" bash -c "test $rc = 0 && diff <(sed 's/\"time_ms\": [^,}]*//' '$T/out') '$T/single.jsonl'"
done
expect "--batch with --pair" 0 "$RUN" classify --model "$M" --pair --batch 2 < <(printf 'the man\ta dog\nthe cat\tthe dog\nruns\tsleeps\n')
check "--batch 2 with --pair: three answers" test "$(wc -l <"$T/out")" = 3

expect "--threshold 0" 0 "$RUN" classify --model "$M" --json --threshold 0 <"$T/texts.txt"
check "--threshold 0: every input leaves at exit 0 after 1 layer" awk '!/"exit_index": 0, "exit_layer": 0, "layers_run": 1,/ { exit 1 }' "$T/out"
expect "--no-exit" 0 "$RUN" classify --model "$M" --json --no-exit <"$T/texts.txt"
check "--no-exit: every input runs both layers" awk '!/"exit_index": 1, "exit_layer": 1, "layers_run": 2,/ { exit 1 }' "$T/out"
cp "$T/out" "$T/noexit.jsonl"
expect "--threshold 1" 0 "$RUN" classify --model "$M" --json --threshold 1 <"$T/texts.txt"
check "--threshold 1 answers = --no-exit answers" bash -c "diff <(sed 's/\"time_ms\": [^,}]*//' '$T/out') <(sed 's/\"time_ms\": [^,}]*//' '$T/noexit.jsonl')"

long=$(for i in $(seq 100); do printf 'good movie '; done)
expect "an over-long input" 0 "$RUN" classify --model "$M" --json "$long"
check "over-long input truncated to 64 tokens and counted" grep -q '"tokens": 64, "truncated": 138,' "$T/out"
expect "over-long input, human output" 0 "$RUN" classify --model "$M" "$long"
check "human output counts the truncated word pieces" grep -q 'truncated 138 word pieces' "$T/out"

expect "--pair from standard input" 0 "$RUN" classify --model "$M" --pair --json < <(printf 'the man sleeps\ta person sleeps\nthe dog runs\tthe cat runs\n')
check "--pair: two outputs" test "$(wc -l <"$T/out")" = 2
expect "--pair from arguments" 0 "$RUN" classify --model "$M" --pair --json "$(printf 'the man sleeps\ta person sleeps')"
expect "-- ends the options" 0 "$RUN" classify --model "$M" -- "-not an option"

# ---- tokenize ------------------------------------------------------------------------------------------
expect "tokenize --tokens" 0 "$RUN" tokenize --model "$M" --tokens "The dogs, run!"
check "tokenize: ids then tokens" grep -qP '^2( [0-9]+)+ 3\t\[CLS\] the dog ##s , r ##u ##n ! \[SEP\]$' "$T/out"
cp "$T/out" "$T/tok_model.txt"
expect "tokenize --vocab" 0 "$RUN" tokenize --vocab "$M/vocab.txt" --tokens "The dogs, run!"
check "tokenize: --vocab and --model agree" diff "$T/out" "$T/tok_model.txt"
expect "tokenize --pair" 0 "$RUN" tokenize --model "$M" --pair "$(printf 'the man\ta dog')"
check "tokenize --pair: ids and types" grep -qP '^2 [0-9]+ [0-9]+ 3 [0-9]+ [0-9]+ 3\t0 0 0 0 1 1 1$' "$T/out"
expect "tokenize from standard input" 0 "$RUN" tokenize --model "$M" <"$T/stdin.txt"
check "tokenize: one line per input" test "$(wc -l <"$T/out")" = 4
expect "tokenize an over-long input" 0 "$RUN" tokenize --model "$M" "$long"
check "tokenize truncates to the model's 64 and warns" bash -c "test \$(wc -w <'$T/out') = 64 && grep -q 'dropped to fit 64' '$T/err'"

# ---- eval ------------------------------------------------------------------------------------------------
expect "eval --json" 0 "$RUN" eval --model "$M" --data "$T/data.tsv" --json --thresholds 0.5,0.6:0.8:0.05,0.9
cp "$T/out" "$T/eval.json"
check "eval: 80 instances, none skipped" grep -q '"instances": 80, "skipped": 0' "$T/eval.json"
check "eval: 7 threshold rows + no-exit + standard + efficient + oracle" test "$(grep -c '"method"' "$T/eval.json")" = 11
check "eval: thresholds as asked" bash -c "diff <(grep '\"early exit\"' '$T/eval.json' | sed -n 's/.*\"threshold\": \([^,]*\),.*/\1/p' | tr '\n' ' ') <(echo -n '0.5 0.6 0.65 0.7 0.75 0.8 0.9 \"no-exit\" ')"
check "eval: exit shares sum to 1 in every row" awk '/"exit_shares"/ { match($0, /"exit_shares": \[[^]]*\]/); split(substr($0, RSTART + 16, RLENGTH - 17), s, ", "); if ((s[1] + s[2] - 1) ^ 2 > 1e-12) exit 1 }' "$T/eval.json"
check "eval: standard has speed-up 1 and 2 layers" grep -q '"method": "standard (full depth)", "threshold": null, .*"mean_layers": 2, "exit_shares": \[0, 1\], .*"speedup": 1}' "$T/eval.json"
check "eval: efficient exit 0 runs 1 layer" grep -q '"method": "efficient (exit 0)", "threshold": null, .*"mean_layers": 1, "exit_shares": \[1, 0\]' "$T/eval.json"
check "eval: the oracle is at least as accurate as every exit" awk '
    /"index"/ { match($0, /"accuracy": [0-9.e-]+/); a = substr($0, RSTART + 12, RLENGTH - 12) + 0; if (a > best) best = a }
    /"oracle"/ { match($0, /"accuracy": [0-9.e-]+/); o = substr($0, RSTART + 12, RLENGTH - 12) + 0 }
    END { exit !(o >= best && o > 0) }' "$T/eval.json"
check "eval: every exit has an ECE in [0, 1]" awk '/"index"/ { match($0, /"ece": [0-9.e-]+/); e = substr($0, RSTART + 7) + 0; if (e < 0 || e > 1) exit 1; n++ } END { exit n != 2 }' "$T/eval.json"
check "eval: times positive, the timing method stated" bash -c "grep -q '\"timing\": \"wall-clock' '$T/eval.json' && ! grep -q '\"time_ms\": \\(0,\\|-\\|null\\)' '$T/eval.json'"
# The table against classify, instance by instance: accuracy, mean layers and exit shares must agree.
for th in 0.5 0.65 0.7 0.75 0.9 no-exit; do
    if [ "$th" = no-exit ]; then opt=(--no-exit); key='"no-exit"'; else opt=(--threshold "$th"); key=$th; fi
    "$RUN" classify --model "$M" --json "${opt[@]}" <"$T/texts.txt" >"$T/cls.jsonl" 2>"$T/err"
    want=$(paste -d' ' "$T/gold.txt" <(sed 's/.*"label_id": \([0-9]*\),.*"exit_index": \([0-9]*\),.*"layers_run": \([0-9]*\),.*/\1 \2 \3/' "$T/cls.jsonl") |
        awk '{ c += $1 == $2; e0 += $3 == 0; l += $4; n++ } END { printf "%.6f %.6f %.6f", c / n, l / n, e0 / n }')
    got=$(grep "\"threshold\": $key," "$T/eval.json" | head -1 | awk '{
        match($0, /"accuracy": [0-9.e-]+/); a = substr($0, RSTART + 12, RLENGTH - 12)
        match($0, /"mean_layers": [0-9.e-]+/); l = substr($0, RSTART + 15, RLENGTH - 15)
        match($0, /"exit_shares": \[[0-9.e-]+/); s = substr($0, RSTART + 16, RLENGTH - 16)
        printf "%.6f %.6f %.6f", a, l, s }')
    if [ -n "$got" ] && [ "$want" = "$got" ]; then ok "eval row $th = classify per instance ($got)"; else bad "eval row $th: eval '$got', classify '$want'"; fi
done
shares=$(awk '/"early exit"/ { match($0, /"exit_shares": \[[0-9.e-]+/); print substr($0, RSTART + 16, RLENGTH - 16) }' "$T/eval.json" | sort -u | wc -l)
check "eval: the thresholds give more than one mix of exits (the test model is not degenerate)" test "$shares" -ge 3

expect "eval, table and SVG" 0 "$RUN" eval --model "$M" --data "$T/data.tsv" --svg "$T/plot.svg"
check "eval table: header, 11 thresholds, no-exit and baselines" bash -c "grep -q '^method  *threshold  *accuracy  *layers  *exit 0  *exit 1  *ms/inst  *speed-up' '$T/out' &&
    test \$(grep -c '^early exit ' '$T/out') = 12 && grep -q '^early exit  *no-exit ' '$T/out' && grep -q '^early exit  *0.75 ' '$T/out' &&
    grep -q '^standard (full depth) ' '$T/out' && grep -q '^efficient (exit 0) ' '$T/out' && grep -q '^oracle ' '$T/out' &&
    grep -q '^exit  *layer  *accuracy  *mean conf  *ECE' '$T/out' && grep -q '^time  *wall-clock' '$T/out'"
check "eval: accuracy in the table = in the JSON" bash -c "diff <(awk '/^early exit  *0.7 /{print \$4}' '$T/out') <(grep '\"threshold\": 0.7,' '$T/eval.json' | sed 's/.*\"accuracy\": \([^,]*\),.*/\1/' | awk '{printf \"%.4f\n\", \$1}')"
check "SVG: a complete SVG document with axes, points and a legend" bash -c "head -1 '$T/plot.svg' | grep -q '^<?xml' &&
    grep -q '<svg xmlns=\"http://www.w3.org/2000/svg\"' '$T/plot.svg' && tail -1 '$T/plot.svg' | grep -q '^</svg>\$' &&
    grep -q '<polyline' '$T/plot.svg' && grep -q '>time per instance (ms)<' '$T/plot.svg' && grep -q '>accuracy<' '$T/plot.svg' &&
    grep -q '>oracle<' '$T/plot.svg' && grep -q '>standard (full depth)<' '$T/plot.svg' && test \$(grep -c '<circle' '$T/plot.svg') -ge 12"
if command -v xmllint >/dev/null; then check "SVG is well-formed XML" xmllint --noout "$T/plot.svg"; fi
expect "eval --limit" 0 "$RUN" eval --model "$M" --data "$T/data.tsv" --json --limit 10
check "eval --limit 10 reads 10 instances" grep -q '"instances": 10,' "$T/out"

# The same instances in every format give the same table (times aside).
rows() { grep -E '"(method|index)"' | sed 's/"time_ms": [^,}]*//; s/"speedup": [^,}]*//'; }
rows <"$T/eval.json" >"$T/rows_tsv"
for f in data_crlf.tsv data.jsonl "data.csv --columns label,text"; do
    # shellcheck disable=SC2086
    run "$RUN" eval --model "$M" --data "$T"/$f --json --thresholds 0.5,0.6:0.8:0.05,0.9
    if [ "$rc" = 0 ] && diff <(rows <"$T/out") "$T/rows_tsv" >/dev/null; then ok "eval on $f = on the TSV"; else bad "eval on $f differs from the TSV (exit $rc)" "$(cat "$T/err")"; fi
done
expect "eval on pairs with an unknown label" 0 "$RUN" eval --model "$M" --data "$T/pairs.tsv" --json
check "pairs: 2 instances, 1 skipped, reported on stderr" bash -c "grep -q '\"instances\": 2, \"skipped\": 1,.*\"pairs\": true' '$T/out' && grep -q \"skipped 1 instances with labels the model does not know: '-'\" '$T/err'"
expect "eval on AG News style CSV (--id-base 1, two text columns)" 0 "$RUN" eval --model "$M" --data "$T/ag.csv" --columns label,text,text --id-base 1 --json
check "AG News style CSV: 2 instances" grep -q '"instances": 2, "skipped": 0' "$T/out"

# ---- convert, info and classify on the .rtj ----------------------------------------------------------
expect "convert to .rtj" 0 "$RUN" convert "$M" -o "$T/m.rtj"
check "convert reports the file written" grep -q "^wrote $T/m.rtj: FP32" "$T/out"
expect "info on the .rtj" 0 "$RUN" info "$T/m.rtj"
check "info .rtj: same model as the directory" bash -c "grep -q '.rtj single file' '$T/out' && diff <(grep -E '^(encoder|inputs|labels|exits|  exit)' '$T/out') <('$RUN' info '$M' | grep -E '^(encoder|inputs|labels|exits|  exit)')"
"$RUN" classify --model "$M" --json --all-exits --threshold 0.7 <"$T/texts.txt" | untimed >"$T/dir.jsonl"
"$RUN" classify --model "$T/m.rtj" --json --all-exits --threshold 0.7 <"$T/texts.txt" | untimed >"$T/rtj.jsonl"
check "classify on the .rtj = on the directory (every exit's logits)" bash -c "test -s '$T/dir.jsonl' && diff -q '$T/dir.jsonl' '$T/rtj.jsonl'"
expect "convert --int8" 0 "$RUN" convert "$M" -o "$T/m8.rtj" --int8
run "$RUN" info "$T/m8.rtj"
check "info: the INT8 file is INT8" grep -q '^dtype  *INT8' "$T/out"
"$RUN" classify --model "$M" --int8 --json --all-exits <"$T/texts.txt" | untimed >"$T/dir8.jsonl"
"$RUN" classify --model "$T/m8.rtj" --json --all-exits <"$T/texts.txt" | untimed >"$T/rtj8.jsonl"
check "classify on the INT8 .rtj = --int8 on the directory" bash -c "test -s '$T/dir8.jsonl' && diff -q '$T/dir8.jsonl' '$T/rtj8.jsonl'"

# ---- calibrate ------------------------------------------------------------------------------------------
cp -r "$MC" "$T/mc_rtj_src"
cp -r "$M" "$T/plain"
cp "$MC/config.json" "$T/mc_config.before"
"$RUN" convert "$MC" -o "$T/mc.rtj" >/dev/null 2>&1
expect "calibrate a miscalibrated directory in place" 0 "$RUN" calibrate --model "$MC" --data "$T/data.tsv"
check "calibrate lowers every exit's NLL" awk '$1 ~ /^[0-9]+$/ { n++; if (!($6 < $5)) exit 1 } END { exit n != 2 }' "$T/out"
check "calibrate starts from the model's temperatures (0.1)" awk '$1 ~ /^[0-9]+$/ && $3 != 0.1 { exit 1 }' "$T/out"
awk '$1 ~ /^[0-9]+$/ { print $4 }' "$T/out" >"$T/temps_dir"
check "config.json: new exit_temperatures, other keys kept" bash -c "grep -q '\"exit_temperatures\": \[[0-9.e+-]*, [0-9.e+-]*\]' '$MC/config.json' &&
    ! grep -q '\"exit_temperatures\": \[0.1, 0.1\]' '$MC/config.json' && grep -q '\"label2id\": {\"negative\": 0, \"positive\": 1}' '$MC/config.json' &&
    grep -q '\"architectures\": \[\"BertForSequenceClassification\"\]' '$MC/config.json' && ! ls '$MC'/config.json.tmp* 2>/dev/null"
check "config.json: every other byte kept" bash -c "diff <(grep -v exit_temperatures '$T/mc_config.before') <(grep -v exit_temperatures '$MC/config.json')"
expect "calibrate a directory whose config.json has no exit_temperatures" 0 "$RUN" calibrate --model "$T/plain" --data "$T/data.tsv"
check "exit_temperatures added, every other byte kept" bash -c "grep -q '^  \"exit_temperatures\": \[[0-9.e+-]*, [0-9.e+-]*\]$' '$T/plain/config.json' &&
    diff <(grep -v exit_temperatures '$M/config.json' | sed 's/,$//') <(grep -v exit_temperatures '$T/plain/config.json' | sed 's/,$//')"
expect "the calibrated directory loads" 0 "$RUN" info "$T/plain"
expect "calibrate again: already calibrated" 0 "$RUN" calibrate --model "$MC" --data "$T/data.tsv"
check "calibrating again keeps the temperatures" awk '$1 ~ /^[0-9]+$/ { d = $3 / $4; if (d < 0.999 || d > 1.001) exit 1 }' "$T/out"
expect "calibrate an .rtj file in place" 0 "$RUN" calibrate --model "$T/mc.rtj" --data "$T/data.tsv"
check ".rtj calibration finds the same temperatures" bash -c "diff <(awk '\$1 ~ /^[0-9]+\$/ { print \$4 }' '$T/out') '$T/temps_dir'"
run "$RUN" info "$T/mc.rtj"
check "info shows the .rtj file's new temperatures" bash -c "grep -q 'temperature $(sed -n 1p "$T/temps_dir")' '$T/out'"
cp "$T/mc_rtj_src/config.json" "$T/config.before"
expect "calibrate a directory into -o OUT.rtj" 0 "$RUN" calibrate --model "$T/mc_rtj_src" --data "$T/data.tsv" -o "$T/mc2.rtj"
check "-o OUT.rtj leaves config.json alone" cmp "$T/config.before" "$T/mc_rtj_src/config.json"
check "-o OUT.rtj holds the new temperatures" bash -c "'$RUN' info '$T/mc2.rtj' | grep -q 'temperature $(sed -n 1p "$T/temps_dir")'"

# ---- bad input ------------------------------------------------------------------------------------------
expect_error "unknown option" 2 "unknown option '--bogus'" "$RUN" classify --model "$M" --bogus x
expect_error "missing value" 2 "--model needs a value" "$RUN" classify --model
expect_error "threshold above 1" 2 "--threshold must be a number in \[0, 1\], got '1.5'" "$RUN" classify --model "$M" --threshold 1.5 x
expect_error "threshold not a number" 2 "--threshold must be" "$RUN" classify --model "$M" --threshold abc x
expect_error "threshold NaN" 2 "--threshold must be" "$RUN" classify --model "$M" --threshold nan x
expect_error "zero threads" 2 "--threads must be an integer in \[1," "$RUN" classify --model "$M" --threads 0 x
expect_error "zero batch" 2 "--batch must be" "$RUN" classify --model "$M" --batch 0 x
expect_error "threshold and no-exit" 2 "contradict" "$RUN" classify --model "$M" --threshold 0.5 --no-exit x
expect_error "flag with a value" 2 "--json takes no value" "$RUN" classify --model "$M" --json=1 x
# Without --model: the bundled model beside the build; a copy of the binary with none beside it (and none
# installed) must say so.
expect "the bundled default model" 0 "$RUN" classify "a charming and often affecting journey"
mkdir -p "$T/lone/bin" && cp "$RUN" "$T/lone/bin/rtj-run"
if [ -e /usr/local/share/rtj/default.rtj ]; then
    ok "no default model (skipped: one is installed in /usr/local/share/rtj)"
else
    expect_error "no default model" 1 "default model" "$T/lone/bin/rtj-run" classify "a text"
fi
expect_error "model that does not exist" 1 "cannot load model $T/nope" "$RUN" classify --model "$T/nope" x
mkdir -p "$T/broken" && cp "$M"/* "$T/broken/" && echo '{"hidden_size": 32,' >"$T/broken/config.json"
expect_error "malformed config.json" 1 "cannot load model.*config.json" "$RUN" classify --model "$T/broken" x
head -c 1000 "$T/m.rtj" >"$T/cut.rtj"
expect_error "truncated .rtj" 1 "cannot load model" "$RUN" info "$T/cut.rtj"
expect_error "--pair without a TAB" 1 "standard input line 1: --pair needs" "$RUN" classify --model "$M" --pair < <(echo "no tab here")
expect_error "eval without --data" 2 "--data FILE is required" "$RUN" eval --model "$M"
expect_error "eval without --model" 2 "--model PATH is required" "$RUN" eval --data "$T/data.tsv"
expect_error "eval with a bad threshold list" 2 "'2' is not a threshold" "$RUN" eval --model "$M" --data "$T/data.tsv" --thresholds 0.5,2
expect_error "eval with a bad range" 2 "FROM:TO:STEP" "$RUN" eval --model "$M" --data "$T/data.tsv" --thresholds 0.9:0.5:0.1
expect_error "eval with an unknown column name" 2 "unknown column name 'title'" "$RUN" eval --model "$M" --data "$T/ag.csv" --columns label,title
expect_error "eval on CSV without --columns" 2 "name its columns with --columns" "$RUN" eval --model "$M" --data "$T/ag.csv"
expect_error "eval with a positional argument" 2 "unexpected argument" "$RUN" eval --model "$M" --data "$T/data.tsv" extra
expect_error "eval on a missing data file" 1 "cannot open $T/nothing.tsv" "$RUN" eval --model "$M" --data "$T/nothing.tsv"
expect_error "eval on a directory as data" 1 "is a directory, not a data file" "$RUN" eval --model "$M" --data "$T"
printf 'sentence\tlabel\na good movie\t1\nno label here\n' >"$T/short.tsv"
expect_error "TSV row with a missing field" 1 "short.tsv line 3: 1 fields, expected 2" "$RUN" eval --model "$M" --data "$T/short.tsv"
printf 'text\tscore\nx\t1\n' >"$T/nolabel.tsv"
expect_error "TSV without a label column" 1 "nolabel.tsv: the header row must name one label column" "$RUN" eval --model "$M" --data "$T/nolabel.tsv"
printf '{"text": "good", "label": 1}\n{"text": "bad", "label": \n' >"$T/bad.jsonl"
expect_error "malformed JSON line" 1 "bad.jsonl line 2: not JSON" "$RUN" eval --model "$M" --data "$T/bad.jsonl"
printf '1,"an unclosed quote\n' >"$T/bad.csv"
expect_error "unclosed CSV quote" 1 "bad.csv line 1: a quoted field is not closed" "$RUN" eval --model "$M" --data "$T/bad.csv" --columns label,text
printf 'sentence\tlabel\ngood\tWorld\nbad\tSports\n' >"$T/unknown.tsv"
expect_error "labels the model does not know" 1 "none of its 2 instances has a label the model knows (first unknown: 'World'" "$RUN" eval --model "$M" --data "$T/unknown.tsv"
expect_error "calibrate a directory with -o not .rtj" 2 "-o must name an .rtj file" "$RUN" calibrate --model "$M" --data "$T/data.tsv" -o "$T/out_dir"
expect_error "calibrate on a missing data file" 1 "cannot open" "$RUN" calibrate --model "$M" --data "$T/nothing.tsv"
expect_error "convert without -o" 2 "missing -o FILE.rtj" "$RUN" convert "$M"
expect_error "convert into a directory" 1 "is a directory" "$RUN" convert "$M" -o "$T"
expect_error "convert of a missing checkpoint" 1 "cannot load model" "$RUN" convert "$T/nope" -o "$T/x.rtj"
expect_error "info without a path" 2 "missing the model path" "$RUN" info
expect_error "info with two paths" 2 "one model path only" "$RUN" info "$M" "$M"
expect_error "tokenize with --model and --vocab" 2 "not both" "$RUN" tokenize --model "$M" --vocab "$M/vocab.txt" x
expect_error "tokenize with a missing vocabulary" 1 "nothing.txt" "$RUN" tokenize --vocab "$T/nothing.txt" x
expect_error "cpu with an argument" 2 "unexpected argument" "$RUN" cpu extra

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
