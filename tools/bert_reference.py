#!/usr/bin/python3
"""Golden references for rtj's BERT exactness tests: writes tests/data/bert_reference.txt.

Run as /usr/bin/python3 tools/bert_reference.py [--out PATH] [--int8-study]; needs torch and numpy, and
is never needed to build or test rtj. The committed fixture holds no weights: tests/bert_fixture.c
regenerates them from the spec below, writes the checkpoint directory, and checks its weights against
the fixture's weights_sum before the engine sees them.

DETERMINISTIC WEIGHTS (implemented identically, to the bit, here and in tests/bert_fixture.c)
  fnv1a64(s):    h = 0xCBF29CE484222325; for each byte c of s: h = (h ^ c) * 0x100000001B3   (mod 2^64)
  splitmix64:    state += 0x9E3779B97F4A7C15; z = state; z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
                 z = (z ^ (z >> 27)) * 0x94D049BB133111EB; return z ^ (z >> 31)             (mod 2^64)
  A tensor's stream starts at state = case_seed XOR fnv1a64(canonical name); element i (row-major)
  takes the (i+1)-th output x_i, and
      k_i = (int32_t)(x_i >> 40) - 8388608                        an integer in [-2^23, 2^23)
      u_i = (float)k_i * (scale_f32 * 2^-23)                      one float32 rounding: uniform in [-scale, scale)
  where scale_f32 = (float)scale (scale computed in double) and the 2^-23 scaling is exact.
  Kinds and scales (in = the Linear's input width):
      word / position / token_type embeddings   u, scale 1
      LayerNorm weight                          1.0f + u (a float32 addition), scale 0.25
      LayerNorm bias                            u, scale 0.1
      Linear weight [out, in]: query, key, value, attention.output.dense, intermediate.dense,
          output.dense, pooler.dense            u, scale sqrt(3.0 / in)   (std 1/sqrt(in): activations O(1))
      Linear bias                               u, scale 0.1
      exits.k.classifier.weight [labels, hidden] u, scale sqrt(12.0 / hidden)  (logits of a few units)
      exits.k.classifier.bias                   u, scale 0.2
      exits.k.mix [exit_layers[k] + 1]          u, scale 1
  Canonical names are the contract's plain names (embeddings.*, encoder.layer.N.*, pooler.*, exits.k.*,
  LayerNorm.weight/bias) whatever name style the checkpoint is written in.
  F16 and BF16 cases store the float32 value rounded to nearest-even; the reference uses those values.
  weights_sum: over the canonical tensors in canonical order (embeddings word, position, token_type,
  LayerNorm weight, bias; per layer query w, b, key w, b, value w, b, attention.output.dense w, b,
  attention.output.LayerNorm w, b, intermediate.dense w, b, output.dense w, b, output.LayerNorm w, b;
  pooler w, b; per exit classifier w, b, then mix if any): s_t = sum_i bits_i * (2 i + 1) mod 2^64 with
  bits_i the stored bit pattern (u32 for F32, u16 for F16/BF16), and H = 0 then H = (H * 0x100000001B3)
  ^ s_t per tensor (mod 2^64).

THE REFERENCE MODEL is built from PyTorch's own modules in float32, eval mode: nn.Embedding x3 + nn.LayerNorm,
one nn.TransformerEncoderLayer(post-norm, exact GELU, dropout 0) per BERT layer with in_proj = cat(query,
key, value), the shared pooler nn.Linear + tanh, and per exit the mix and nn.Linear classifier, the logits
divided by the exit's temperature. A hand-written float64 BERT (explicit matmuls, softmax, erf GELU,
LayerNorm) checks the mapping; see self_check().
"""
import argparse
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

M64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3

# ---- the cases --------------------------------------------------------------------------------------
# Inputs: (length, "single" | "pair"). Length 1 is [CLS] alone, 2 is [CLS][SEP].
ALL_LENGTHS = [(1, "single"), (2, "single"), (17, "single"), (17, "pair"), (128, "single"), (128, "pair"),
               (512, "single"), (512, "pair")]
SMALL = dict(hidden=48, layers=2, heads=2, ffn=96, vocab=64, max_pos=64, type_vocab=2, eps=1e-12)
SMALL_INPUTS = [(1, "single"), (2, "single"), (17, "single"), (17, "pair"), (64, "pair")]


def case(name, seed, shape, labels, exit_layers, temps, mix, inputs, dtype="F32", names="plain",
         vocab_style="compact", id2label=None):
    c = dict(name=name, seed=seed, num_labels=labels, exit_layers=exit_layers, temperatures=temps, mix=mix,
             inputs=inputs, dtype=dtype, names=names, vocab_style=vocab_style, id2label=id2label)
    c.update(shape)
    assert len(temps) == len(exit_layers) == len(mix)
    assert all(0 <= l < c["layers"] for l in exit_layers) and exit_layers == sorted(set(exit_layers))
    return c


# Temperatures rise on early exits and fall on late ones so that, as in a calibrated model, thresholds
# between the exits' confidences select exits beyond the first on some inputs of every multi-exit case.
# small_gamma_beta's temperature is 1: its config.json leaves exit_temperatures out (the default).
CASES = [
    # hidden 78 = 3 heads of 26: a head dim that is no multiple of any vector width; BERT's vocab layout.
    case("h78_l3", 0x5EED0001,
         dict(hidden=78, layers=3, heads=3, ffn=200, vocab=128, max_pos=512, type_vocab=2, eps=1e-12),
         3, [0, 1, 2], [1.5, 1.0, 0.75], [0, 1, 1], ALL_LENGTHS, vocab_style="bert"),
    # The same shape with the exits below the top layer: layer 2 exists in the file and is never run.
    case("h78_l3_top_unused", 0x5EED0002,
         dict(hidden=78, layers=3, heads=3, ffn=200, vocab=120, max_pos=512, type_vocab=2, eps=1e-12),
         2, [0, 1], [1.5, 0.5], [1, 0], [(1, "single"), (2, "single"), (17, "single"), (128, "pair"),
                                           (512, "pair")]),
    # TinyBERT general 4L-312D: exits after every layer, mix on exits 1 and 3.
    case("tinybert_4l_312", 0x5EED0003,
         dict(hidden=312, layers=4, heads=12, ffn=1200, vocab=256, max_pos=512, type_vocab=2, eps=1e-12),
         2, [0, 1, 2, 3], [2.0, 1.5, 1.0, 0.75], [0, 1, 0, 1], ALL_LENGTHS),
    # Two layers of BERT-large (1024 / 16 heads of 64 / 4096); no 512-token inputs (run time).
    case("bert_large_2l", 0x5EED0004,
         dict(hidden=1024, layers=2, heads=16, ffn=4096, vocab=200, max_pos=512, type_vocab=2, eps=1e-12),
         3, [0, 1], [1.5, 0.75], [0, 1], ALL_LENGTHS[:6]),
    # Small cases for the checkpoint variants; the 64-token input fills max_position_embeddings.
    case("small_bert_prefix", 0x5EED0005, SMALL, 2, [0, 1], [1.5, 0.75], [0, 1], SMALL_INPUTS,
         names="bert-prefix"),
    case("small_gamma_beta", 0x5EED0006, dict(SMALL, eps=1e-5), 4, [1], [1.0], [1], SMALL_INPUTS,
         names="gamma-beta"),
    case("small_f16", 0x5EED0007, SMALL, 2, [0, 1], [1.25, 1.0], [1, 1], SMALL_INPUTS, dtype="F16"),
    case("small_bf16", 0x5EED0008, SMALL, 3, [0, 1], [2.0, 0.5], [0, 1], SMALL_INPUTS, dtype="BF16"),
    case("small_plain_classifier", 0x5EED0009, SMALL, 3, [1], [1.0], [0], SMALL_INPUTS,
         names="plain-classifier", id2label=["negative", "neutral", "positive"]),
]

# ---- deterministic weights --------------------------------------------------------------------------


def fnv1a64(s):
    h = FNV_OFFSET
    for c in s.encode():
        h = ((h ^ c) * FNV_PRIME) & M64
    return h


def splitmix64_stream(seed, n):
    """The first n outputs of splitmix64 started at state seed, as uint64 (wrapping arithmetic)."""
    with np.errstate(over="ignore"):
        i = np.arange(1, n + 1, dtype=np.uint64)
        z = np.uint64(seed) + i * np.uint64(GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def tensor_specs(c):
    """The canonical tensors in canonical order: (name, shape, kind, scale)."""
    H, F = c["hidden"], c["ffn"]
    lin = lambda fan_in: math.sqrt(3.0 / fan_in)
    t = [("embeddings.word_embeddings.weight", (c["vocab"], H), "u", 1.0),
         ("embeddings.position_embeddings.weight", (c["max_pos"], H), "u", 1.0),
         ("embeddings.token_type_embeddings.weight", (c["type_vocab"], H), "u", 1.0),
         ("embeddings.LayerNorm.weight", (H,), "1+u", 0.25),
         ("embeddings.LayerNorm.bias", (H,), "u", 0.1)]
    for n in range(c["layers"]):
        p = "encoder.layer.%d." % n
        for m in ("attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"):
            t += [(p + m + ".weight", (H, H), "u", lin(H)), (p + m + ".bias", (H,), "u", 0.1)]
        t += [(p + "attention.output.LayerNorm.weight", (H,), "1+u", 0.25),
              (p + "attention.output.LayerNorm.bias", (H,), "u", 0.1),
              (p + "intermediate.dense.weight", (F, H), "u", lin(H)), (p + "intermediate.dense.bias", (F,), "u", 0.1),
              (p + "output.dense.weight", (H, F), "u", lin(F)), (p + "output.dense.bias", (H,), "u", 0.1),
              (p + "output.LayerNorm.weight", (H,), "1+u", 0.25), (p + "output.LayerNorm.bias", (H,), "u", 0.1)]
    t += [("pooler.dense.weight", (H, H), "u", lin(H)), ("pooler.dense.bias", (H,), "u", 0.1)]
    for k, L in enumerate(c["exit_layers"]):
        t += [("exits.%d.classifier.weight" % k, (c["num_labels"], H), "u", math.sqrt(12.0 / H)),
              ("exits.%d.classifier.bias" % k, (c["num_labels"],), "u", 0.2)]
        if c["mix"][k]:
            t += [("exits.%d.mix" % k, (L + 1,), "u", 1.0)]
    return t


def f32_to_bf16_bits(v):
    b = v.view(np.uint32).astype(np.uint64)
    return ((b + np.uint64(0x7FFF) + ((b >> np.uint64(16)) & np.uint64(1))) >> np.uint64(16)).astype(np.uint16)


def generate(c, name, shape, kind, scale):
    """(float32 values as the model sees them, stored bit patterns)."""
    n = int(np.prod(shape))
    x = splitmix64_stream(c["seed"] ^ fnv1a64(name), n)
    k = (x >> np.uint64(40)).astype(np.int64) - 8388608
    m = np.float32(np.float32(scale) * np.float32(2.0 ** -23))
    u = k.astype(np.float32) * m
    if kind == "1+u":
        u = np.float32(1.0) + u
    assert u.dtype == np.float32
    if c["dtype"] == "F32":
        bits = u.view(np.uint32)
        val = u
    elif c["dtype"] == "F16":
        h = u.astype(np.float16)
        bits = h.view(np.uint16)
        val = h.astype(np.float32)
    else:
        bits = f32_to_bf16_bits(u)
        val = (bits.astype(np.uint32) << np.uint32(16)).view(np.float32)
    return val.reshape(shape), bits


def generate_all(c):
    W, H = {}, 0
    for name, shape, kind, scale in tensor_specs(c):
        val, bits = generate(c, name, shape, kind, scale)
        W[name] = torch.from_numpy(np.ascontiguousarray(val))
        with np.errstate(over="ignore"):
            w = np.arange(len(bits), dtype=np.uint64) * np.uint64(2) + np.uint64(1)
            s = int(np.sum(bits.astype(np.uint64) * w, dtype=np.uint64))
        H = ((H * FNV_PRIME) & M64) ^ s
    return W, H

# ---- inputs -----------------------------------------------------------------------------------------


def specials(c):
    if c["vocab_style"] == "bert":  # [PAD] 0, [unused0..98] 1..99, [UNK] 100, [CLS] 101, [SEP] 102, [MASK] 103
        return 0, 100, 101, 102, 103
    return 0, 1, 2, 3, 4            # [PAD] [UNK] [CLS] [SEP] [MASK], then tok5 ...


def make_input(c, j, n, kind):
    pad, unk, cls, sep, mask = specials(c)
    words = np.array([i for i in range(c["vocab"]) if i not in (pad, cls, sep, mask)], dtype=np.int64)
    x = splitmix64_stream(c["seed"] ^ fnv1a64("input.%d" % j), n)
    body = [int(words[int(v % np.uint64(len(words)))]) for v in x]
    if n >= 17:
        body[1] = c["vocab"] - 1  # the last id of the vocabulary
    ids, types = [cls], [0]
    if n == 1:
        pass
    elif kind == "single":
        ids += body[1:n - 1] + [sep]
        types += [0] * (n - 1)
    else:
        la = (n - 3) // 2 + 1
        lb = n - 3 - la
        ids += body[1:1 + la] + [sep] + body[1 + la:1 + la + lb] + [sep]
        types += [0] * (la + 1) + [1] * (lb + 1)
    assert len(ids) == n and len(types) == n
    return ids, types

# ---- the PyTorch model ------------------------------------------------------------------------------


class TorchBert(nn.Module):
    def __init__(self, c, W):
        super().__init__()
        H = c["hidden"]
        self.c = c
        self.word = nn.Embedding(c["vocab"], H)
        self.pos = nn.Embedding(c["max_pos"], H)
        self.types = nn.Embedding(c["type_vocab"], H)
        self.emb_ln = nn.LayerNorm(H, eps=c["eps"])
        self.layers = nn.ModuleList(
            nn.TransformerEncoderLayer(d_model=H, nhead=c["heads"], dim_feedforward=c["ffn"], dropout=0.0,
                                       activation="gelu", layer_norm_eps=c["eps"], batch_first=True,
                                       norm_first=False) for _ in range(c["layers"]))
        self.pooler = nn.Linear(H, H)
        self.classifiers = nn.ModuleList(nn.Linear(H, c["num_labels"]) for _ in c["exit_layers"])
        with torch.no_grad():
            self.word.weight.copy_(W["embeddings.word_embeddings.weight"])
            self.pos.weight.copy_(W["embeddings.position_embeddings.weight"])
            self.types.weight.copy_(W["embeddings.token_type_embeddings.weight"])
            self.emb_ln.weight.copy_(W["embeddings.LayerNorm.weight"])
            self.emb_ln.bias.copy_(W["embeddings.LayerNorm.bias"])
            for n, layer in enumerate(self.layers):
                p = "encoder.layer.%d." % n
                q, k, v = ("attention.self." + s for s in ("query", "key", "value"))
                layer.self_attn.in_proj_weight.copy_(torch.cat([W[p + q + ".weight"], W[p + k + ".weight"],
                                                                W[p + v + ".weight"]]))
                layer.self_attn.in_proj_bias.copy_(torch.cat([W[p + q + ".bias"], W[p + k + ".bias"],
                                                              W[p + v + ".bias"]]))
                layer.self_attn.out_proj.weight.copy_(W[p + "attention.output.dense.weight"])
                layer.self_attn.out_proj.bias.copy_(W[p + "attention.output.dense.bias"])
                layer.norm1.weight.copy_(W[p + "attention.output.LayerNorm.weight"])
                layer.norm1.bias.copy_(W[p + "attention.output.LayerNorm.bias"])
                layer.linear1.weight.copy_(W[p + "intermediate.dense.weight"])
                layer.linear1.bias.copy_(W[p + "intermediate.dense.bias"])
                layer.linear2.weight.copy_(W[p + "output.dense.weight"])
                layer.linear2.bias.copy_(W[p + "output.dense.bias"])
                layer.norm2.weight.copy_(W[p + "output.LayerNorm.weight"])
                layer.norm2.bias.copy_(W[p + "output.LayerNorm.bias"])
            self.pooler.weight.copy_(W["pooler.dense.weight"])
            self.pooler.bias.copy_(W["pooler.dense.bias"])
            for k, lin in enumerate(self.classifiers):
                lin.weight.copy_(W["exits.%d.classifier.weight" % k])
                lin.bias.copy_(W["exits.%d.classifier.bias" % k])
        self.mix = [W.get("exits.%d.mix" % k) for k in range(len(c["exit_layers"]))]
        self.eval()

    @torch.no_grad()
    def forward(self, ids, types):
        """Every exit's calibrated logits, and every run layer's output."""
        c = self.c
        ids = torch.tensor([ids], dtype=torch.long)
        types = torch.tensor([types], dtype=torch.long)
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        h = self.emb_ln(self.word(ids) + self.pos(pos) + self.types(types))
        hs = []
        for n in range(c["exit_layers"][-1] + 1):
            h = self.layers[n](h)
            hs.append(h[0])
        pooled = [torch.tanh(self.pooler(x[0])) for x in hs]
        logits = []
        for k, L in enumerate(c["exit_layers"]):
            if self.mix[k] is None:
                x = pooled[L]
            else:
                x = self.mix[k][0] * pooled[0]
                for j in range(1, L + 1):
                    x = x + self.mix[k][j] * pooled[j]
            logits.append(self.classifiers[k](x) / torch.tensor(c["temperatures"][k], dtype=torch.float32))
        return logits, hs

# ---- the hand-written float64 BERT (self-check) -----------------------------------------------------


def layer_norm64(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * w + b


def gelu64(x):
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def softmax64(s):
    e = torch.exp(s - s.max(-1, keepdim=True).values)
    return e / e.sum(-1, keepdim=True)


def bert_layer64(c, W, n, x, quant=None):
    """One HF BERT layer by hand: x [seq, H] float64. quant(x, w) replaces the Linear products if given."""
    p = "encoder.layer.%d." % n
    g = lambda s: W[p + s].double()
    mm = (lambda a, w: a @ w.T) if quant is None else quant
    H, heads = c["hidden"], c["heads"]
    d = H // heads
    q = mm(x, g("attention.self.query.weight")) + g("attention.self.query.bias")
    k = mm(x, g("attention.self.key.weight")) + g("attention.self.key.bias")
    v = mm(x, g("attention.self.value.weight")) + g("attention.self.value.bias")
    ctx = torch.empty_like(q)
    for h in range(heads):
        sl = slice(h * d, (h + 1) * d)
        ctx[:, sl] = softmax64(q[:, sl] @ k[:, sl].T / math.sqrt(d)) @ v[:, sl]
    a = mm(ctx, g("attention.output.dense.weight")) + g("attention.output.dense.bias")
    x = layer_norm64(x + a, g("attention.output.LayerNorm.weight"), g("attention.output.LayerNorm.bias"), c["eps"])
    f = gelu64(mm(x, g("intermediate.dense.weight")) + g("intermediate.dense.bias"))
    f = mm(f, g("output.dense.weight")) + g("output.dense.bias")
    return layer_norm64(x + f, g("output.LayerNorm.weight"), g("output.LayerNorm.bias"), c["eps"])


def bert64(c, W, ids, types, quant=None):
    ids, types = torch.tensor(ids), torch.tensor(types)
    D = lambda s: W[s].double()
    h = D("embeddings.word_embeddings.weight")[ids] + D("embeddings.position_embeddings.weight")[:len(ids)] \
        + D("embeddings.token_type_embeddings.weight")[types]
    h = layer_norm64(h, D("embeddings.LayerNorm.weight"), D("embeddings.LayerNorm.bias"), c["eps"])
    hs = []
    for n in range(c["exit_layers"][-1] + 1):
        h = bert_layer64(c, W, n, h, quant)
        hs.append(h)
    pooled = [torch.tanh(D("pooler.dense.weight") @ x[0] + D("pooler.dense.bias")) for x in hs]
    logits = []
    for k, L in enumerate(c["exit_layers"]):
        mix = W.get("exits.%d.mix" % k)
        x = pooled[L] if mix is None else sum(float(mix[j]) * pooled[j] for j in range(L + 1))
        z = D("exits.%d.classifier.weight" % k) @ x + D("exits.%d.classifier.bias" % k)
        logits.append(z / c["temperatures"][k])
    return logits, hs


def self_check(c, W, model, inputs, results):
    """Max |difference| between PyTorch's float32 modules and the float64 hand-written BERT: each layer on
    the same input (the mapping; on the longest input), and end to end (every run layer's output and every
    exit's logits; on every input but the second 512-token one, to save time)."""
    j = max(range(len(inputs)), key=lambda i: len(inputs[i][0]))
    ids, types = inputs[j]
    layer_diff = 0.0
    with torch.no_grad():
        t = torch.tensor([ids])
        x = model.emb_ln(model.word(t) + model.pos(torch.arange(len(ids)).unsqueeze(0))
                         + model.types(torch.tensor([types])))[0]
    for n, h32 in enumerate(results[j][1]):
        with torch.no_grad():
            y32 = model.layers[n](x.unsqueeze(0))[0].double()
        layer_diff = max(layer_diff, float((y32 - bert_layer64(c, W, n, x.double())).abs().max()))
        x = h32
    hidden_diff = logit_diff = 0.0
    seen512 = False
    for (ids, types), (logits, hs) in zip(inputs, results):
        if len(ids) == 512:
            if seen512:
                continue
            seen512 = True
        l64, h64 = bert64(c, W, ids, types)
        for a, b in zip(hs, h64):
            hidden_diff = max(hidden_diff, float((a.double() - b).abs().max()))
        for a, b in zip(logits, l64):
            logit_diff = max(logit_diff, float((a.double() - b).abs().max()))
    return layer_diff, hidden_diff, logit_diff

# ---- INT8 study: rtj's quantization scheme simulated (per-channel symmetric s8 weights, per-row
# asymmetric u8 activations with the range widened to include 0) -------------------------------------


def make_quant(qmax):
    def quant(x, w):
        amax = w.abs().max(1, keepdim=True).values
        wq = torch.clamp(torch.round(w * (127.0 / amax)), -127, 127) * (amax / 127.0)
        lo = torch.clamp(x.min(1, keepdim=True).values, max=0.0)
        hi = torch.clamp(x.max(1, keepdim=True).values, min=0.0)
        s = (hi - lo) / qmax
        z = torch.clamp(torch.round(-lo / s), 0, qmax)
        xq = (torch.clamp(torch.round(x / s) + z, 0, qmax) - z) * s
        return xq @ wq.T
    return quant


def int8_study(c, W, inputs, results):
    for qmax in (255, 127):
        quant = make_quant(qmax)
        worst, agree, total = 0.0, 0, 0
        for (ids, types), (logits, _) in zip(inputs, results):
            lq, _ = bert64(c, W, ids, types, quant)
            for a, b in zip(logits, lq):
                a = a.double()
                worst = max(worst, float((a - b).abs().max()))
                agree += int(int(a.argmax()) == int(b.argmax()))
                total += 1
        # tests/test_bert.c bounds |dlogit| by a multiple of this RMS (over every exit and input).
        rms = math.sqrt(np.mean([float((r.double() ** 2).mean()) for lg, _ in results for r in lg]))
        print("  int8 qmax %d: max |dlogit| %.4f = %.3f x the logits' rms %.3f; argmax agrees %d/%d"
              % (qmax, worst, worst / rms, rms, agree, total))

# ---- the fixture ------------------------------------------------------------------------------------


FORMAT_DOC = """\
# rtj BERT golden reference: written by tools/bert_reference.py (do not edit; rerun it). Read by
# tests/bert_fixture.c, which regenerates each case's weights (spec at the top of both) into a checkpoint.
# Line-oriented; '#' lines are comments; tokens separated by single spaces. Per case:
#   case NAME
#   seed HEX                     case seed (hex, 64-bit) of the weight generator
#   hidden H / layers N / heads A / ffn F / vocab V / max_pos P / type_vocab T    one key per line
#   eps E                        layer_norm_eps
#   labels C                     num_labels
#   id2label none | NAME...      label names written to config.json (none: num_labels only)
#   exit_layers L0 L1 ...        0-based, ascending
#   temperatures T0 T1 ...       one per exit (%.9g of the float32 value)
#   mix M0 M1 ...                1 if exit k has exits.k.mix, else 0
#   dtype F32 | F16 | BF16       dtype of every tensor in model.safetensors
#   names plain | bert-prefix | gamma-beta | plain-classifier
#       plain: the contract's names. bert-prefix: "bert." before every embeddings/encoder/pooler tensor,
#       exits.k.* unprefixed, plus two tensors to ignore: bert.embeddings.position_ids (I64 [1, P]) and
#       cls.predictions.bias (F32 [V]). gamma-beta: LayerNorm.gamma / LayerNorm.beta. plain-classifier: a
#       BertForSequenceClassification as HF writes it: bert.* plus classifier.weight/bias (the one exit,
#       at the top layer), and config.json without exit_layers / exit_temperatures / num_labels.
#   vocab_style compact | bert   compact: [PAD] [UNK] [CLS] [SEP] [MASK] = 0..4, then tok5 ...;
#                                bert: [PAD] 0, [unused0..98] 1..99, [UNK] 100, [CLS] 101, [SEP] 102,
#                                [MASK] 103, then tok104 ...
#   weights_sum HEX              checksum of the stored weights (spec in the generator's comment)
#   inputs K                     then K times:
#     input LEN single|pair
#     ids I0 I1 ...              LEN token ids
#     types Y0 Y1 ...            LEN token types
#     logits k Z0 Z1 ...         for every exit k in order: its logits divided by its temperature (%.9g)
#   end
"""


def g9(x):
    return "%.9g" % float(np.float32(x))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "data", "bert_reference.txt"))
    ap.add_argument("--int8-study", action="store_true", help="also simulate INT8 and print its logit error")
    args = ap.parse_args()
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    t0 = time.time()
    out = [FORMAT_DOC]
    worst = [0.0, 0.0, 0.0]
    for c in CASES:
        t1 = time.time()
        W, wsum = generate_all(c)
        model = TorchBert(c, W)
        inputs = [make_input(c, j, n, kind) for j, (n, kind) in enumerate(c["inputs"])]
        results = [model(ids, types) for ids, types in inputs]
        checks = self_check(c, W, model, inputs, results)
        worst = [max(a, b) for a, b in zip(worst, checks)]
        print("%-24s self-check vs float64 hand-written BERT: one layer %.2e, hidden states %.2e, logits %.2e"
              "  (%.1f s)" % ((c["name"],) + checks + (time.time() - t1,)))
        if args.int8_study:
            int8_study(c, W, inputs, results)
        o = ["case " + c["name"], "seed 0x%016X" % c["seed"]]
        for k in ("hidden", "layers", "heads", "ffn", "vocab", "max_pos", "type_vocab"):
            o.append("%s %d" % (k, c[k]))
        o.append("eps %.9g" % c["eps"])
        o.append("labels %d" % c["num_labels"])
        o.append("id2label " + (" ".join(c["id2label"]) if c["id2label"] else "none"))
        o.append("exit_layers " + " ".join(str(l) for l in c["exit_layers"]))
        o.append("temperatures " + " ".join(g9(t) for t in c["temperatures"]))
        o.append("mix " + " ".join(str(m) for m in c["mix"]))
        o.append("dtype " + c["dtype"])
        o.append("names " + c["names"])
        o.append("vocab_style " + c["vocab_style"])
        o.append("weights_sum 0x%016X" % wsum)
        o.append("inputs %d" % len(inputs))
        for (n, kind), (ids, types), (logits, _) in zip(c["inputs"], inputs, results):
            o.append("input %d %s" % (n, kind))
            o.append("ids " + " ".join(map(str, ids)))
            o.append("types " + " ".join(map(str, types)))
            for k, z in enumerate(logits):
                o.append("logits %d " % k + " ".join(g9(v) for v in z.tolist()))
        o.append("end")
        out.append("\n".join(o) + "\n")
    ok = worst[0] <= 1e-5 and worst[2] <= 1e-5
    print("self-check %s: worst one-layer difference %.2e, hidden states %.2e, logits %.2e (bound 1e-5)"
          % ("PASSED" if ok else "FAILED", worst[0], worst[1], worst[2]))
    if not ok:
        return 1
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write("".join(out))
    print("wrote %s (%d bytes) in %.1f s" % (args.out, os.path.getsize(args.out), time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
