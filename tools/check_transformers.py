#!/usr/bin/env python3
"""Developer tool (never needed by `make test`): checks rtj against Hugging Face `transformers` itself on an
rtj checkpoint directory (config.json with exit_layers, model.safetensors, vocab.txt).

Reference side, all from `transformers`/`safetensors`, reading only local files:
  - token ids: transformers.BertTokenizer (the Python one) and BertTokenizerFast (the Rust `tokenizers`),
    from the checkpoint's vocab.txt, do_lower_case as the config says;
  - the encoder: transformers.BertModel.from_pretrained(DIR) (eval mode, output_hidden_states), whose own
    pooler gives pooled_j = tanh(W_p h_j[CLS] + b_p) for every layer output h_j;
  - the exits, by the checkpoint contract: x = sum_j mix[j] pooled_j (no mix: pooled_L),
    logits = (W x + b) / T_k, with exits.k.* read by safetensors.
rtj side: `rtj-run tokenize --model DIR` and `rtj-run classify --model DIR --json --all-exits --no-exit`.

  /work/venv/bin/python tools/check_transformers.py DIR --data ../shared/data/sst2/glue_sst2_dev.tsv -n 16
  /work/venv/bin/python tools/check_transformers.py DIR "a charming and often affecting journey" "dull"

Prints the token-id agreement and the largest absolute logit difference per exit (one sentence at a time,
and once more as one padded batch with the attention mask); exits 1 if ids differ or a difference exceeds
--tol (default 1e-4).
"""
import argparse
import json
import os
import subprocess
import sys

import torch


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("checkpoint")
    ap.add_argument("texts", nargs="*", help="sentences (default: from --data)")
    ap.add_argument("--data", help="sentence<TAB>label TSV with a header: its longest n/2 and first n/2 rows")
    ap.add_argument("-n", type=int, default=16)
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--rtj-run", default=os.path.join(here, "..", "build", "rtj-run"))
    a = ap.parse_args()
    torch.set_num_threads(1)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import transformers
    from safetensors.torch import load_file
    from transformers import BertConfig, BertModel, BertTokenizer, BertTokenizerFast

    texts = list(a.texts)
    if not texts:
        if not a.data:
            ap.error("give sentences or --data")
        with open(a.data, encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            col = header.index("sentence") if "sentence" in header else header.index("text")
            rows = [line.rstrip("\n").split("\t")[col] for line in f if line.strip()]
        texts = sorted(rows, key=len, reverse=True)[:a.n // 2] + rows[:a.n - a.n // 2]

    d = a.checkpoint
    with open(os.path.join(d, "config.json")) as f:
        cfg = json.load(f)
    exit_layers = cfg.get("exit_layers", [cfg["num_hidden_layers"] - 1])
    temps = cfg.get("exit_temperatures", [1.0] * len(exit_layers))
    lower = cfg.get("do_lower_case", True)
    tok = BertTokenizer(os.path.join(d, "vocab.txt"), do_lower_case=lower)
    tok_fast = BertTokenizerFast(os.path.join(d, "vocab.txt"), do_lower_case=lower)
    t = load_file(os.path.join(d, "model.safetensors"))
    # BertModel built from the checkpoint's config.json and given its tensors (from_pretrained would do the
    # same, but refuses safetensors files without {"format": "pt"} metadata, which rtj does not need)
    bert = BertModel(BertConfig.from_pretrained(d, local_files_only=True), add_pooling_layer=True)
    sd = {(k[5:] if k.startswith("bert.") else k).replace("LayerNorm.gamma", "LayerNorm.weight")
          .replace("LayerNorm.beta", "LayerNorm.bias"): v.float() for k, v in t.items()}
    missing, _ = bert.load_state_dict({k: v for k, v in sd.items() if k in bert.state_dict()}, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    assert not missing, "tensors missing for BertModel: %s" % missing
    bert.eval()
    heads = []
    for k, L in enumerate(exit_layers):
        if "exits.%d.classifier.weight" % k in t:
            W, b = t["exits.%d.classifier.weight" % k], t["exits.%d.classifier.bias" % k]
        else:   # a plain BertForSequenceClassification checkpoint
            W, b = t["classifier.weight"], t["classifier.bias"]
        heads.append((L, W.float(), b.float(), t.get("exits.%d.mix" % k), float(temps[k])))

    maxlen = cfg.get("max_position_embeddings", 512)
    ids_py = [tok.encode(s, truncation=True, max_length=maxlen) for s in texts]
    ids_fast = [tok_fast.encode(s, truncation=True, max_length=maxlen) for s in texts]
    inp = "".join(s + "\n" for s in texts).encode("utf-8")
    out = subprocess.run([a.rtj_run, "tokenize", "--model", d], input=inp, stdout=subprocess.PIPE,
                         check=True).stdout.decode("utf-8").rstrip("\n").split("\n")
    ids_rtj = [[int(v) for v in line.split("\t")[0].split()] for line in out]
    out = subprocess.run([a.rtj_run, "classify", "--model", d, "--json", "--all-exits", "--no-exit", "--threads",
                          "1"], input=inp, stdout=subprocess.PIPE, check=True).stdout.decode("utf-8")
    rtj = [json.loads(line) for line in out.rstrip("\n").split("\n")]
    assert len(rtj) == len(texts) == len(ids_rtj)
    id_bad = sum(1 for p, q, r in zip(ids_py, ids_fast, ids_rtj) if not (p == q == r))

    @torch.no_grad()
    def exits_of(ids, mask):
        hs = bert(input_ids=ids, attention_mask=mask, token_type_ids=torch.zeros_like(ids),
                  output_hidden_states=True).hidden_states          # [embeddings, layer 0, layer 1, ...]
        pooled = [bert.pooler(h) for h in hs[1:]]                    # BertPooler: tanh(dense(h[:, 0]))
        res = []
        for L, W, b, mix, T in heads:
            x = pooled[L] if mix is None else sum(mix[j] * pooled[j] for j in range(L + 1))
            res.append((x @ W.T + b) / T)
        return res

    n_exits = len(heads)
    worst, worst_b = [0.0] * n_exits, [0.0] * n_exits
    for ids, r in zip(ids_rtj, rtj):
        x = torch.tensor([ids])
        z = exits_of(x, torch.ones_like(x))
        for k in range(n_exits):
            worst[k] = max(worst[k], (z[k][0] - torch.tensor(r["exits"][k]["logits"])).abs().max().item())
    n = max(map(len, ids_rtj))
    x = torch.zeros(len(ids_rtj), n, dtype=torch.long)
    m = torch.zeros_like(x)
    for i, ids in enumerate(ids_rtj):
        x[i, :len(ids)] = torch.tensor(ids)
        m[i, :len(ids)] = 1
    zb = exits_of(x, m)
    for i, r in enumerate(rtj):
        for k in range(n_exits):
            worst_b[k] = max(worst_b[k], (zb[k][i] - torch.tensor(r["exits"][k]["logits"])).abs().max().item())
    print("transformers %s, torch %s; %s" % (transformers.__version__, torch.__version__, d))
    print("%d sentences, %d to %d pieces; token ids: BertTokenizer, BertTokenizerFast and rtj agree on %d of %d"
          % (len(texts), min(map(len, ids_rtj)), max(map(len, ids_rtj)), len(texts) - id_bad, len(texts)))
    print("max |logit difference| rtj vs transformers BertModel + exit heads, per exit:")
    for k in range(n_exits):
        print("  exit %d (layer %d): %.2e one at a time, %.2e in one padded batch with the attention mask" % (
            k, heads[k][0], worst[k], worst_b[k]))
    ok = id_bad == 0 and max(worst + worst_b) <= a.tol
    print("%s (tolerance %g)" % ("OK" if ok else "FAILED", a.tol))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
