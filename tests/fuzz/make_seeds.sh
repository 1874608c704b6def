#!/bin/bash
# Seed corpora for the fuzz targets, made at build time (not committed: the checkpoint files are ~100 KB
# each): the tiny checkpoint tests/cli/make_tiny_model writes, the .rtj files rtj-run converts it to,
# and lines of ../shared/data. Each seed is prefixed with the selector bytes its target reads first.
# usage: make_seeds.sh OUT RTJ_RUN MAKE_TINY_MODEL VOCAB DATA_DIR
set -eu  # no pipefail: `head` closing a pipe early is how these lines end
out=$1 run=$2 make_tiny=$3 vocab=$4 data=$5
rm -rf "$out.new" && mkdir -p "$out.new"
cd "$out.new"
mkdir -p tiny json safetensors rtj_file vocab tokenizer data hf_dir
"$make_tiny" tiny >/dev/null
"$run" convert tiny -o rtj_file/tiny-fp32.rtj >/dev/null
"$run" convert tiny -o rtj_file/tiny-int8.rtj --int8 >/dev/null
cp tiny/config.json json/tiny-config.json
cp tiny/config.json hf_dir/tiny-config.json
# Variants of the config that still load: the fuzzer starts beside every branch of the config reader.
sed -e 's/"exit_temperatures": *\[[^]]*\],*//' tiny/config.json > hf_dir/no-temperatures.json
sed -e 's/"hidden_act": *"gelu"/"hidden_act": "gelu", "do_lower_case": false/' tiny/config.json > hf_dir/cased.json
cp tiny/model.safetensors safetensors/tiny.safetensors
# A small one with every float dtype and metadata: mutations of a 112 KB seed run ten times slower.
hdr='{"__metadata__":{"format":"pt"},"a.weight":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},"b.bias":{"dtype":"F16","shape":[4],"data_offsets":[24,32]},"c":{"dtype":"BF16","shape":[1,2],"data_offsets":[32,36]},"d":{"dtype":"I64","shape":[],"data_offsets":[36,44]}}'
n=${#hdr} le=""
for i in 0 1 2 3 4 5 6 7; do le="$le\\x$(printf '%02x' $(((n >> (8 * i)) & 255)))"; done
{ printf "$le"; printf '%s' "$hdr"; printf "\000\000\200\077%.0s" 1 2 3 4 5 6; printf "\000\074%.0s" 1 2 3 4; printf "\200\077\200\277"; head -c 8 /dev/zero; } > safetensors/small.safetensors
# The safetensors header alone (its JSON) for the JSON target.
hlen=$(od -An -t u8 -N 8 tiny/model.safetensors | tr -d ' ')
tail -c +9 tiny/model.safetensors | head -c "$hlen" > json/st-header.json
printf '%s' '{"a": [1, -0, 2.5e-3, true, false, null, "\u00e9\ud83d\ude00"], "b": {"c": {}}}' > json/mixed.json
cp tiny/vocab.txt vocab/tiny-vocab.txt
head -n 400 "$vocab" > vocab/bert-head.txt
printf '[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\n##a\na\n\r\nb\r\n' > vocab/dup-crlf.txt
# Tokenizer: byte 0 = flags (bit 0 lowercase, bit 1 pair, bits 2-7 max_len), byte 1 = where a pair splits.
n=0
while IFS=$'\t' read -r label text; do
    n=$((n + 1)); [ $n -gt 60 ] && break
    printf '\001\000%s' "$text" > "tokenizer/sst2-$n"
    printf '\000\000%s' "$text" > "tokenizer/sst2-cased-$n"
done < <(tail -n +2 "$data/sst2/glue_sst2_dev.tsv" | awk -F'\t' '{print $2 "\t" $1}')
n=0
while IFS=$'\t' read -r a b label; do
    n=$((n + 1)); [ $n -gt 30 ] && break
    printf '\003\200%s%s' "$a" "$b" > "tokenizer/snli-pair-$n"
    printf '\203\200%s%s' "$a" "$b" > "tokenizer/snli-pair-trunc-$n"
done < <(tail -n +2 "$data/snli/snli_dev_becel.tsv")
printf '\001\000Caf\xc3\xa9 na\xc3\xafve \xe4\xb8\xad\xe6\x96\x87 [CLS] [sep] \xff\xfe \xe2\x80\x8b tab\there' > tokenizer/unicode
# Data readers: byte 0 = format (0 TSV with header, 1 TSV --columns, 2 CSV --columns, 3 JSON lines),
# bits 2-4 the --columns spec, bit 5 AG News labels with --id-base 1, bit 6 --limit 3.
{ printf '\000'; head -n 20 "$data/sst2/glue_sst2_dev.tsv"; } > data/sst2.tsv
{ printf '\000'; head -n 20 "$data/snli/snli_dev_becel.tsv"; } > data/snli.tsv
{ printf '\042'; head -n 20 "$data/agnews/ag_news_test.csv"; } > data/agnews.csv
{ printf '\003'; head -n 20 "$data/mnli/mnli_dev_matched.jsonl"; } > data/mnli.jsonl
{ printf '\001'; tail -n +2 "$data/sst2/glue_sst2_dev.tsv" | head -n 10 | awk -F'\t' '{print $2 "\t" $1}'; } > data/columns.tsv
printf '\002%s\r\n' '0,"quoted, with ""quotes""",x' '1,"multi' 'line",y' > data/quotes.csv
cd ..
rm -rf "$out" && mv "$out.new" "$out"
