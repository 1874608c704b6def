#!/usr/bin/python3
"""Checks that rtj computes what the PyTorch model computes: loads an rtj checkpoint directory (the
contract train.py writes) into train.py's PyTorch modules (eval mode), runs the first N sentences of a
labelled TSV through both, and compares every exit's logits with `rtj-run classify --json --all-exits
--no-exit` (logits divided by the config's exit_temperatures on both sides).

  /usr/bin/python3 tools/train/check_exact.py models/sst2-tiny/hf --data ../shared/data/sst2/glue_sst2_dev.tsv

Prints the largest absolute logit difference per exit; exits 1 if any exceeds --tol (default 1e-4).
The sentences go through the PyTorch model one at a time (no padding) and once more as one padded batch
with the attention mask, so the training-time masking is checked too.
"""
import argparse
import json
import os
import struct
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train as T  # noqa: E402


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        assert e["dtype"] == "F32", name
        b, end = e["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[b:end], dtype="<f4").copy()).reshape(e["shape"])
    return out


def load_model(ckpt):
    """The checkpoint as an EarlyExitBert in eval mode; exits' mix vectors and temperatures fixed."""
    with open(os.path.join(ckpt, "config.json")) as f:
        cfg = json.load(f)
    cfg = dict(cfg, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    cfg.setdefault("num_labels", len(cfg["id2label"]))
    t = read_safetensors(os.path.join(ckpt, "model.safetensors"))
    model = T.EarlyExitBert(cfg, cfg["vocab_size"], False)
    sd = {k: v for k, v in t.items() if not k.startswith("exits.")}
    missing, unexpected = model.load_state_dict(
        dict(sd, **{"exits.%d.classifier.%s" % (k, w): t["exits.%d.classifier.%s" % (k, w)]
                    for k in range(len(cfg["exit_layers"])) for w in ("weight", "bias")}), strict=True)
    temps = cfg.get("exit_temperatures", [1.0] * len(cfg["exit_layers"]))
    for k, e in enumerate(model.exits):
        if "exits.%d.mix" % k in t:
            m = t["exits.%d.mix" % k].clone()
            e.use_mix = True
            e.mix = (lambda m=m: m)
        e.temperature = float(temps[k])
    model.eval()
    return model, cfg


@torch.no_grad()
def logits_of(model, x):
    return [z / e.temperature for z, e in zip(model(x), model.exits)]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("checkpoint")
    ap.add_argument("--data", required=True)
    ap.add_argument("-n", type=int, default=16, help="how many sentences (default 16)")
    ap.add_argument("--tol", type=float, default=1e-4)
    ap.add_argument("--rtj-run", default=os.path.join(here, "..", "..", "build", "rtj-run"))
    a = ap.parse_args()
    torch.set_num_threads(1)

    texts, _ = T.read_tsv(a.data)
    # the longest sentences first: the check covers long inputs as well as typical ones
    texts = sorted(texts, key=len, reverse=True)[:a.n // 2] + texts[:a.n - a.n // 2]
    model, cfg = load_model(a.checkpoint)
    inp = "".join(s + "\n" for s in texts).encode()
    ids = subprocess.run([a.rtj_run, "tokenize", "--model", a.checkpoint], input=inp, stdout=subprocess.PIPE,
                         check=True).stdout.decode().strip("\n").split("\n")
    ids = [[int(v) for v in line.split("\t")[0].split()] for line in ids]
    out = subprocess.run([a.rtj_run, "classify", "--model", a.checkpoint, "--json", "--all-exits", "--no-exit",
                          "--threads", "1"], input=inp, stdout=subprocess.PIPE, check=True).stdout.decode()
    rtj = [json.loads(line) for line in out.strip("\n").split("\n")]
    assert len(rtj) == len(texts) == len(ids)

    n_exits = len(cfg["exit_layers"])
    worst = [0.0] * n_exits
    worst_batch = [0.0] * n_exits
    single = []
    for s, r in zip(ids, rtj):
        z = logits_of(model, torch.tensor([s]))
        single.append(z)
        for k in range(n_exits):
            d = (z[k][0] - torch.tensor(r["exits"][k]["logits"])).abs().max().item()
            worst[k] = max(worst[k], d)
    n = max(len(s) for s in ids)
    x = torch.zeros(len(ids), n, dtype=torch.long)
    for i, s in enumerate(ids):
        x[i, :len(s)] = torch.tensor(s)
    zb = logits_of(model, x)
    for i, r in enumerate(rtj):
        for k in range(n_exits):
            d = (zb[k][i] - torch.tensor(r["exits"][k]["logits"])).abs().max().item()
            worst_batch[k] = max(worst_batch[k], d)
    print("%d sentences, %d to %d pieces; max |logit difference| rtj vs PyTorch per exit:" % (
        len(ids), min(map(len, ids)), max(map(len, ids))))
    for k in range(n_exits):
        print("  exit %d (layer %d): %.2e one at a time, %.2e in one padded batch with the mask" % (
            k, cfg["exit_layers"][k], worst[k], worst_batch[k]))
    ok = max(worst + worst_batch) <= a.tol
    print("%s (tolerance %g)" % ("OK" if ok else "FAILED", a.tol))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
