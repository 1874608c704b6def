#!/usr/bin/python3
"""Trains a BERT classifier with an early exit after chosen layers, FROM SCRATCH (no pretrained weights),
and writes it as an rtj checkpoint directory (config.json, model.safetensors, vocab.txt).

Run with /usr/bin/python3 (PyTorch + numpy). Never needed to build or test rtj. See tools/train/README.md.

  /usr/bin/python3 tools/train/train.py --train ../shared/data/sst2/glue_sst2_train.tsv \
      --dev ../shared/data/sst2/glue_sst2_dev.tsv --out models/sst2-tiny/hf

A CSV without a header (AG News) is read with --columns/--id-base as `rtj-run eval` reads it, and
--split-dev N holds N of its rows out as the dev set (split.py's seeded stratified rule):
  /usr/bin/python3 tools/train/train.py --train ../shared/data/agnews/ag_news_test.csv \
      --columns label,text,text --id-base 1 --split-dev 1600 --labels-file ../shared/data/agnews/classes.txt \
      --write-dev models/agnews-tiny/agnews-eval.tsv --out models/agnews-tiny/hf

The model is the rtj checkpoint contract written as PyTorch modules whose parameter names are the
contract's tensor names (so the export is a copy):
  post-LayerNorm BERT layers, exact (erf) GELU; exit k at layer L: pooled_j = tanh(W_pool h_j[CLS] + b_pool)
  with the shared pooler for every layer j <= L, x = sum_j mix[j] pooled_j (without mix: pooled_L),
  logits = W_k x + b_k (temperatures are fitted later by `rtj-run calibrate`).
Loss: the plain sum of the exits' cross-entropies (Schwartz et al. 2020).
Tokenization is rtj's own: the ids come from `rtj-run tokenize`.
"""
import argparse
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import split as SPLIT  # noqa: E402  (reading CSV/TSV data and the train/dev split; standard library only)

CLS, SEP, PAD = 101, 102, 0


# ---- data ---------------------------------------------------------------------------------------------

def read_tsv(path):
    """sentence<TAB>label with a header; returns (texts, labels)."""
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        ti, li = header.index("sentence"), header.index("label")
        texts, labels = [], []
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            cols = line.split("\t")
            texts.append(cols[ti].replace("\r", " "))
            labels.append(int(cols[li]))
    return texts, labels


def tokenize(rtj_run, vocab, texts, max_len):
    """rtj's tokenizer, one line in, one line of ids out; truncated to max_len as [CLS] ... [SEP]."""
    inp = "".join(t + "\n" for t in texts)
    out = subprocess.run([rtj_run, "tokenize", "--vocab", vocab], input=inp.encode("utf-8"),
                         stdout=subprocess.PIPE, check=True).stdout.decode("utf-8").split("\n")
    if out and out[-1] == "":
        out.pop()
    assert len(out) == len(texts), "rtj-run tokenize gave %d lines for %d inputs" % (len(out), len(texts))
    ids = []
    for line in out:
        seq = [int(x) for x in line.split("\t")[0].split()]
        assert seq[0] == CLS and seq[-1] == SEP
        if len(seq) > max_len:
            seq = seq[:max_len - 1] + [SEP]
        ids.append(seq)
    return ids


def make_batches(lengths, batch, rng, shuffle=True, pool=50):
    """Length bucketing: shuffle, sort pools of batch*pool instances by length, cut into batches, shuffle
    the batches."""
    idx = list(range(len(lengths)))
    if shuffle:
        rng.shuffle(idx)
    batches = []
    for s in range(0, len(idx), batch * pool):
        chunk = sorted(idx[s:s + batch * pool], key=lambda i: lengths[i])
        batches += [chunk[j:j + batch] for j in range(0, len(chunk), batch)]
    if shuffle:
        rng.shuffle(batches)
    return batches


def collate(ids, labels, batch):
    n = max(len(ids[i]) for i in batch)
    x = torch.zeros(len(batch), n, dtype=torch.long)
    for r, i in enumerate(batch):
        x[r, :len(ids[i])] = torch.tensor(ids[i])
    return x, torch.tensor([labels[i] for i in batch])


# ---- the model (names = the checkpoint contract's) ----------------------------------------------------

class Embeddings(nn.Module):
    def __init__(s, c, n_rows):
        super().__init__()
        s.word_embeddings = nn.Embedding(n_rows, c["hidden_size"])
        s.position_embeddings = nn.Embedding(c["max_position_embeddings"], c["hidden_size"])
        s.token_type_embeddings = nn.Embedding(c["type_vocab_size"], c["hidden_size"])
        s.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        s.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(s, x):
        pos = torch.arange(x.shape[1], device=x.device)
        e = s.word_embeddings(x) + s.position_embeddings(pos)[None] + s.token_type_embeddings.weight[0]
        return s.dropout(s.LayerNorm(e))


class SelfAttention(nn.Module):
    def __init__(s, c):
        super().__init__()
        h = c["hidden_size"]
        s.heads = c["num_attention_heads"]
        s.query, s.key, s.value = nn.Linear(h, h), nn.Linear(h, h), nn.Linear(h, h)
        s.dropout = nn.Dropout(c["attention_probs_dropout_prob"])

    def forward(s, h, mask):
        B, S, H = h.shape
        d = H // s.heads
        split = lambda t: t.view(B, S, s.heads, d).transpose(1, 2)
        q, k, v = split(s.query(h)), split(s.key(h)), split(s.value(h))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d) + mask
        p = s.dropout(torch.softmax(scores, dim=-1))
        return (p @ v).transpose(1, 2).reshape(B, S, H)


class DenseLN(nn.Module):
    """BERT's SelfOutput / Output: LayerNorm(dropout(dense(x)) + residual)."""
    def __init__(s, c, d_in):
        super().__init__()
        s.dense = nn.Linear(d_in, c["hidden_size"])
        s.LayerNorm = nn.LayerNorm(c["hidden_size"], eps=c["layer_norm_eps"])
        s.dropout = nn.Dropout(c["hidden_dropout_prob"])

    def forward(s, x, res):
        return s.LayerNorm(s.dropout(s.dense(x)) + res)


class Attention(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.self = SelfAttention(c)
        s.output = DenseLN(c, c["hidden_size"])


class Intermediate(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.dense = nn.Linear(c["hidden_size"], c["intermediate_size"])


class Layer(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.attention = Attention(c)
        s.intermediate = Intermediate(c)
        s.output = DenseLN(c, c["intermediate_size"])

    def forward(s, h, mask):
        a = s.attention.output(s.attention.self(h, mask), h)
        return s.output(F.gelu(s.intermediate.dense(a)), a)   # F.gelu: exact erf GELU


class Encoder(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.layer = nn.ModuleList([Layer(c) for _ in range(c["num_hidden_layers"])])


class Pooler(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.dense = nn.Linear(c["hidden_size"], c["hidden_size"])


class Exit(nn.Module):
    """classifier + optional mix over the pooled [CLS] of layers 0..L. mix is trained as
    gamma * softmax(w) (the authors' scalar mix); the exported vector is that product."""
    def __init__(s, c, layer, use_mix):
        super().__init__()
        s.layer = layer
        s.classifier = nn.Linear(c["hidden_size"], c["num_labels"])
        if use_mix:
            s.mix_w = nn.Parameter(torch.zeros(layer + 1))
            s.mix_gamma = nn.Parameter(torch.ones(()))
        s.use_mix = use_mix

    def mix(s):
        return s.mix_gamma * torch.softmax(s.mix_w, 0)


class EarlyExitBert(nn.Module):
    def __init__(s, c, n_rows, use_mix):
        super().__init__()
        s.c = c
        s.embeddings = Embeddings(c, n_rows)
        s.encoder = Encoder(c)
        s.pooler = Pooler(c)
        s.exits = nn.ModuleList([Exit(c, L, use_mix) for L in c["exit_layers"]])
        s.dropout = nn.Dropout(c["hidden_dropout_prob"])
        # True: the exits below the last one see the encoder and pooler through a stop-gradient, so they are
        # trained as probes of the encoder the last exit alone shapes (finetune.py --detach-early-exits)
        s.detach_early = False
        s.apply(s._init)

    @staticmethod
    def _init(m):   # BERT's initialisation
        if isinstance(m, (nn.Linear, nn.Embedding)):
            m.weight.data.normal_(0.0, 0.02)
        if isinstance(m, nn.Linear):
            m.bias.data.zero_()
        if isinstance(m, nn.LayerNorm):
            m.weight.data.fill_(1.0)
            m.bias.data.zero_()

    def forward(s, x):
        """x: [B, S] ids, 0 = padding. Returns the list of every exit's logits [B, labels]."""
        mask = ((x == PAD).float() * -10000.0)[:, None, None, :]
        h = s.embeddings(x)
        pooled, logits = [], []
        last = s.c["exit_layers"][-1]
        for j in range(last + 1):
            h = s.encoder.layer[j](h, mask)
            if s.detach_early and j < last:
                d = s.pooler.dense
                pooled.append(torch.tanh(F.linear(h[:, 0].detach(), d.weight.detach(), d.bias.detach())))
            else:
                pooled.append(torch.tanh(s.pooler.dense(h[:, 0])))
        for e in s.exits:
            if e.use_mix:
                xk = (torch.stack(pooled[:e.layer + 1], 0) * e.mix()[:, None, None]).sum(0)
            else:
                xk = pooled[e.layer]
            logits.append(e.classifier(s.dropout(xk)))
        return logits


# ---- export -------------------------------------------------------------------------------------------

def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def export(model, full_word_emb, row_ids, config, vocab, out):
    """Writes the checkpoint contract. The trained model holds only the rows of the word embeddings that
    occur in the data (row r = vocabulary id row_ids[r]); every other row keeps its initial value, as it
    would when training the full table (Adam never moves a row whose gradient is always 0; no weight
    decay on embeddings)."""
    os.makedirs(out, exist_ok=True)
    sd = {k: v for k, v in model.state_dict().items()}
    wemb = full_word_emb.clone()
    wemb[torch.tensor(row_ids)] = sd["embeddings.word_embeddings.weight"]
    t = {"embeddings.word_embeddings.weight": wemb}
    for k, v in sd.items():
        if k.startswith("exits.") or k == "embeddings.word_embeddings.weight":
            continue
        t[k] = v
    for k, e in enumerate(model.exits):
        t["exits.%d.classifier.weight" % k] = e.classifier.weight
        t["exits.%d.classifier.bias" % k] = e.classifier.bias
        if e.use_mix:
            t["exits.%d.mix" % k] = e.mix()
    write_safetensors(os.path.join(out, "model.safetensors"), t)
    keep = ("hidden_size", "num_hidden_layers", "num_attention_heads", "intermediate_size", "vocab_size",
            "max_position_embeddings", "type_vocab_size", "layer_norm_eps", "hidden_act", "id2label",
            "num_labels", "do_lower_case", "exit_layers")
    cfg = {k: config[k] for k in keep}
    cfg["model_type"] = "bert"
    cfg["label2id"] = {v: int(k) for k, v in config["id2label"].items()}
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    shutil.copyfile(vocab, os.path.join(out, "vocab.txt"))


# ---- training -----------------------------------------------------------------------------------------

@torch.no_grad()
def evaluate(model, ids, labels, batch=128):
    model.eval()
    n_exits = len(model.exits)
    correct = [0] * n_exits
    for b in make_batches([len(s) for s in ids], batch, None, shuffle=False):
        x, y = collate(ids, labels, b)
        for k, z in enumerate(model(x)):
            correct[k] += (z.argmax(-1) == y).sum().item()
    model.train()
    return [c / len(ids) for c in correct]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--train", required=True, help="TSV with header: sentence<TAB>label; or *.csv without "
                    "header, columns named by --columns")
    ap.add_argument("--dev", help="TSV with header: sentence<TAB>label, or *.csv (selects the epoch); "
                    "or --split-dev")
    ap.add_argument("--columns", help="columns of a *.csv file, as rtj-run's --columns: label, text (several "
                    "are joined with a space), -; e.g. label,text,text")
    ap.add_argument("--id-base", type=int, default=0, help="integer labels in the files count from N "
                    "(AG News: 1)")
    ap.add_argument("--split-dev", type=int, default=0, help="hold out N rows of --train as the dev set "
                    "(stratified, seeded: the rule in split.py) instead of --dev")
    ap.add_argument("--split-seed", type=int, default=1, help="seed of --split-dev's rule")
    ap.add_argument("--write-dev", help="also write the dev set as a sentence<TAB>label TSV (0-based ids)")
    ap.add_argument("--out", required=True, help="checkpoint directory to write")
    ap.add_argument("--vocab", default=os.path.join(root, "..", "shared", "data", "vocab",
                                                    "bert-base-uncased-vocab.txt"))
    ap.add_argument("--rtj-run", default=os.path.join(root, "build", "rtj-run"))
    ap.add_argument("--labels", default="negative,positive", help="label names of ids 0, 1, ...")
    ap.add_argument("--labels-file", help="label names of ids 0, 1, ..., one a line (overrides --labels)")
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--hidden", type=int, default=312)
    ap.add_argument("--heads", type=int, default=12)
    ap.add_argument("--ffn", type=int, default=1200)
    ap.add_argument("--max-pos", type=int, default=128)
    ap.add_argument("--exit-layers", default="0,1,2,3", help="0-based layers with an exit, ascending")
    ap.add_argument("--no-mix", action="store_true", help="exit k reads pooled_L only (no mix vector)")
    ap.add_argument("--epochs", type=float, default=3, help="may be fractional (the schedule's length)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--warmup", type=float, default=0.06, help="share of the steps with linear warm-up")
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--evals-per-epoch", type=int, default=1, help="dev evaluations (selection points) "
                    "per epoch")
    ap.add_argument("--max-minutes", type=float, default=0, help="stop (keeping the best so far) when the "
                    "next selection point would end after this many minutes of training; 0 = no limit")
    ap.add_argument("--measure", type=int, default=0, help="only time this many training steps and "
                    "project an epoch's time")
    ap.add_argument("--log-every", type=int, default=100)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)

    t0 = time.time()
    if bool(a.dev) == bool(a.split_dev):
        ap.error("give either --dev or --split-dev")
    tr_text, tr_y = SPLIT.read_labelled(a.train, a.columns, a.id_base)
    if a.split_dev:
        tr_idx, dv_idx = SPLIT.stratified_split(tr_y, a.split_dev, a.split_seed)
        dv_text, dv_y = [tr_text[i] for i in dv_idx], [tr_y[i] for i in dv_idx]
        tr_text, tr_y = [tr_text[i] for i in tr_idx], [tr_y[i] for i in tr_idx]
        count = lambda ys: "/".join(str(ys.count(c)) for c in sorted(set(ys)))
        print("split: %d rows of %s -> %d train (%s per class), %d dev (%s), seed %d" % (
            len(tr_idx) + len(dv_idx), a.train, len(tr_y), count(tr_y), len(dv_y), count(dv_y), a.split_seed),
            flush=True)
    else:
        dv_text, dv_y = SPLIT.read_labelled(a.dev, a.columns, a.id_base)
    if a.write_dev:
        SPLIT.write_tsv(a.write_dev, dv_text, dv_y)
        print("wrote the dev set to %s" % a.write_dev, flush=True)
    tr_ids = tokenize(a.rtj_run, a.vocab, tr_text, a.max_pos)
    dv_ids = tokenize(a.rtj_run, a.vocab, dv_text, a.max_pos)
    with open(a.vocab, encoding="utf-8") as f:
        vocab_size = sum(1 for _ in f)
    if a.labels_file:
        with open(a.labels_file, encoding="utf-8") as f:
            labels = [line.strip() for line in f if line.strip()]
    else:
        labels = a.labels.split(",")
    assert 0 <= min(tr_y + dv_y) and max(tr_y + dv_y) < len(labels), "labels outside 0..%d" % (len(labels) - 1)
    exit_layers = [int(x) for x in a.exit_layers.split(",")]
    assert exit_layers == sorted(set(exit_layers)) and 0 <= exit_layers[0] and exit_layers[-1] < a.layers
    print("data: %d train, %d dev; mean train length %.1f pieces, max %d; tokenized in %.1f s" % (
        len(tr_ids), len(dv_ids), np.mean([len(s) for s in tr_ids]), max(len(s) for s in tr_ids),
        time.time() - t0), flush=True)

    # Compact word embeddings: the rows of the ids in train or dev (plus specials); see export().
    row_ids = sorted(set([PAD, 100, CLS, SEP, 103]) | {i for s in tr_ids + dv_ids for i in s})
    remap = {v: r for r, v in enumerate(row_ids)}
    tr_c = [[remap[i] for i in s] for s in tr_ids]
    dv_c = [[remap[i] for i in s] for s in dv_ids]
    assert remap[PAD] == 0
    print("word embedding rows trained: %d of %d" % (len(row_ids), vocab_size), flush=True)

    config = dict(hidden_size=a.hidden, num_hidden_layers=a.layers, num_attention_heads=a.heads,
                  intermediate_size=a.ffn, vocab_size=vocab_size, max_position_embeddings=a.max_pos,
                  type_vocab_size=2, layer_norm_eps=1e-12, hidden_act="gelu",
                  id2label={str(i): l for i, l in enumerate(labels)}, num_labels=len(labels),
                  do_lower_case=True, exit_layers=exit_layers,
                  hidden_dropout_prob=a.dropout, attention_probs_dropout_prob=a.dropout)
    # The full table's initial values (one seeded draw), then the model with the compact rows copied in.
    g = torch.Generator().manual_seed(a.seed)
    full_word_emb = torch.randn(vocab_size, a.hidden, generator=g) * 0.02
    model = EarlyExitBert(config, len(row_ids), not a.no_mix)
    model.embeddings.word_embeddings.weight.data.copy_(full_word_emb[torch.tensor(row_ids)])
    n_params = sum(p.numel() for p in model.parameters()) + (vocab_size - len(row_ids)) * a.hidden
    print("model: %d layers, hidden %d, %d heads, FFN %d, exits after layers %s%s; %.2fM parameters" % (
        a.layers, a.hidden, a.heads, a.ffn, exit_layers, "" if a.no_mix else " (with mix)", n_params / 1e6),
        flush=True)

    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if (p.dim() < 2 or "embeddings" in n or "mix" in n) else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": a.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=a.lr, betas=(0.9, 0.999),
                            eps=1e-6)
    steps_per_epoch = math.ceil(len(tr_c) / a.batch)
    total = max(1, int(round(a.epochs * steps_per_epoch)))
    warm = max(1, int(a.warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    evals = sorted({min(total, int(round((e + 1) * steps_per_epoch / a.evals_per_epoch)))
                    for e in range(int(math.ceil(a.epochs * a.evals_per_epoch)))} | {total})
    print("schedule: %g epochs = %d steps of %d (%d per epoch), lr %g, warm-up %d steps then linear decay "
          "to 0; dev evaluation at steps %s" % (a.epochs, total, a.batch, steps_per_epoch, a.lr, warm,
                                                 evals), flush=True)

    model.train()
    step, best, best_state, history = 0, None, None, []
    t_train = time.time()
    t_last_eval = t_train
    done = False
    epoch = 0
    run_loss, run_n = 0.0, 0
    while not done:
        for b in make_batches([len(s) for s in tr_c], a.batch, rng):
            x, y = collate(tr_c, tr_y, b)
            logits = model(x)
            loss = sum(F.cross_entropy(z, y) for z in logits)   # the paper's loss: plain sum over exits
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            step += 1
            run_loss += loss.item()
            run_n += 1
            if a.measure and step == a.measure:
                dt = time.time() - t_train
                print("measure: %d steps in %.1f s = %.3f s/step; one epoch (%d steps) ~ %.1f min" % (
                    step, dt, dt / step, steps_per_epoch, dt / step * steps_per_epoch / 60), flush=True)
                return
            if step % a.log_every == 0:
                el = time.time() - t_train
                print("step %d/%d (epoch %.2f) loss %.4f lr %.2e  %.1f min elapsed, ~%.1f min to go" % (
                    step, total, step / steps_per_epoch, run_loss / run_n, sched.get_last_lr()[0], el / 60,
                    el / step * (total - step) / 60), flush=True)
                run_loss, run_n = 0.0, 0
            if step in evals:
                accs = evaluate(model, dv_c, dv_y)
                el = time.time() - t_train
                history.append(dict(step=step, epoch=round(step / steps_per_epoch, 3), minutes=round(el / 60, 2),
                                    dev_acc=[round(v, 4) for v in accs]))
                mark = ""
                if best is None or accs[-1] > best["dev_acc"][-1]:
                    best = history[-1]
                    best_state = {k: v.clone() for k, v in model.state_dict().items()}
                    mark = "  (best so far)"
                print("EVAL step %d epoch %.2f: dev accuracy per exit %s%s" % (
                    step, step / steps_per_epoch, " ".join("%.4f" % v for v in accs), mark), flush=True)
                nxt = [e for e in evals if e > step]
                if a.max_minutes and nxt:
                    per_step = el / step
                    if el + per_step * (nxt[0] - step) + (time.time() - t_last_eval) * 0 > a.max_minutes * 60:
                        print("stopping: the next evaluation (step %d) would end after %.1f min > --max-minutes"
                              " %g" % (nxt[0], (el + per_step * (nxt[0] - step)) / 60, a.max_minutes),
                              flush=True)
                        done = True
                t_last_eval = time.time()
            if step >= total or done:
                done = True
                break
        epoch += 1

    train_min = (time.time() - t_train) / 60
    model.load_state_dict(best_state)
    model.eval()
    export(model, full_word_emb, row_ids, config, a.vocab, a.out)
    log = dict(command="/usr/bin/python3 " + " ".join(sys.argv), args=vars(a), train_minutes=round(train_min, 2),
               total_minutes=round((time.time() - t0) / 60, 2), parameters=n_params, history=history, best=best,
               torch=torch.__version__, threads=a.threads)
    with open(os.path.join(a.out, "train_log.json"), "w") as f:
        json.dump(log, f, indent=1)
        f.write("\n")
    print("best: step %d (epoch %.2f), dev accuracy per exit %s; training %.1f min, total %.1f min; wrote %s"
          % (best["step"], best["epoch"], best["dev_acc"], train_min, (time.time() - t0) / 60, a.out),
          flush=True)


if __name__ == "__main__":
    main()
