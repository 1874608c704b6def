"""rtj next to ONNX Runtime in one run, on the same random BERT (a developer tool: make bench-peers).

One random model per shape (TinyBERT 312/4/12/1200, BERT-large 1024/24/16/4096; weights uniform with the
scales of bench/random_model.c, from a fixed seed) is written as a Hugging Face checkpoint that rtj loads
as users load theirs, with exits on several layers, and the same weights become an ONNX graph (built node
by node with onnx.helper: the graph a BERT export gives, plus the pooler and the last exit's classifier).
ORT's INT8 model is its own quantize_dynamic (per-channel, signed weights) of that graph. Two variants of
each checkpoint:
  plain  exits reading one layer's pooled [CLS] each (bench_bert's random model)
  mix    each exit reading a mix of the pooled [CLS] of every layer up to its own (the paper's setup, the
         path of issue 17): ORT computes the same pooler on every layer and the same mix.
Timed, median of --reps after warm-up, ORT and rtj alternating shape by shape:
  batch 1     tokens 128 and 32, threads 1 and 2, FP32 and INT8: ORT; rtj through the public API (the
              Python package over ctypes: rtj_classify per call, --no-exit); rtj-run classify --model DIR
              [--int8] --no-exit --threads T over N+1 lines minus over 1 line, divided by N (load excluded),
              and rtj-run's own time_ms per line (--json; median of the lines after the first)
  batch 32    32 real SST-2 dev sentences: ORT padded to the longest with an attention mask; rtj packed
              (rtj_classify_batch) at full depth and with per-instance exit at --threshold
Prints one table line per measurement with rtj/ORT (ORT's time over rtj's: above 1, rtj is faster) and
writes every number as JSON lines to --out.
"""
import argparse
import json
import math
import os
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import QuantType, quantize_dynamic

SHAPES = {"tiny": (312, 4, 12, 1200, [0, 1, 2, 3]), "large": (1024, 24, 16, 4096, [0, 4, 12, 23])}
VOCAB, POSITIONS, TYPES, LABELS = 30522, 512, 2, 2


# ---- the checkpoint --------------------------------------------------------------------------------------
def make_weights(hidden, layers, ffn, exit_layers, mix, seed):
    """name -> float32 array in the Hugging Face BERT layout plus rtj's exit heads."""
    rng = np.random.default_rng(seed)
    t = {}

    def u(name, shape, base, scale):
        t[name] = (base + scale * (2 * rng.random(shape, dtype=np.float32) - 1)).astype(np.float32)

    u("embeddings.word_embeddings.weight", (VOCAB, hidden), 0, 0.05)
    u("embeddings.position_embeddings.weight", (POSITIONS, hidden), 0, 0.05)
    u("embeddings.token_type_embeddings.weight", (TYPES, hidden), 0, 0.05)
    u("embeddings.LayerNorm.weight", (hidden,), 1, 0.1)
    u("embeddings.LayerNorm.bias", (hidden,), 0, 0.05)
    for i in range(exit_layers[-1] + 1):
        p = "encoder.layer.%d." % i
        for q in ("query", "key", "value"):
            u(p + "attention.self.%s.weight" % q, (hidden, hidden), 0, 0.035)
            u(p + "attention.self.%s.bias" % q, (hidden,), 0, 0.02)
        u(p + "attention.output.dense.weight", (hidden, hidden), 0, 0.035)
        u(p + "attention.output.dense.bias", (hidden,), 0, 0.02)
        u(p + "attention.output.LayerNorm.weight", (hidden,), 1, 0.1)
        u(p + "attention.output.LayerNorm.bias", (hidden,), 0, 0.05)
        u(p + "intermediate.dense.weight", (ffn, hidden), 0, 0.035)
        u(p + "intermediate.dense.bias", (ffn,), 0, 0.02)
        u(p + "output.dense.weight", (hidden, ffn), 0, 0.035)
        u(p + "output.dense.bias", (hidden,), 0, 0.02)
        u(p + "output.LayerNorm.weight", (hidden,), 1, 0.1)
        u(p + "output.LayerNorm.bias", (hidden,), 0, 0.05)
    u("pooler.dense.weight", (hidden, hidden), 0, 0.035)
    u("pooler.dense.bias", (hidden,), 0, 0.02)
    for k, layer in enumerate(exit_layers):
        u("exits.%d.classifier.weight" % k, (LABELS, hidden), 0, 1.0)
        u("exits.%d.classifier.bias" % k, (LABELS,), 0, 0.1)
        if mix:
            n = layer + 1
            u("exits.%d.mix" % k, (n,), 1.0 / n, 0.5 / n)
    return t


def write_safetensors(path, tensors):
    """The safetensors layout: 8-byte header length, JSON header, the F32 data in order."""
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for name, a in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [off, off + a.nbytes]}
        off += a.nbytes
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for a in tensors.values():
            f.write(np.ascontiguousarray(a, dtype="<f4").tobytes())


def write_checkpoint(d, shape, exit_layers, tensors, vocab):
    hidden, layers, heads, ffn, _ = shape
    os.makedirs(d, exist_ok=True)
    cfg = {"hidden_size": hidden, "num_hidden_layers": layers, "num_attention_heads": heads,
           "intermediate_size": ffn, "vocab_size": VOCAB, "max_position_embeddings": POSITIONS,
           "type_vocab_size": TYPES, "num_labels": LABELS, "exit_layers": exit_layers}
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f)
    write_safetensors(os.path.join(d, "model.safetensors"), tensors)
    link = os.path.join(d, "vocab.txt")
    if not os.path.exists(link):
        os.symlink(os.path.abspath(vocab), link)


# ---- the ONNX graph --------------------------------------------------------------------------------------
def build_onnx(path, shape, exit_layers, t, mix):
    """input_ids [B, S] int64 and attention_mask [B, S] float (1 = token) -> logits [B, 2] of the last
    exit, computed as rtj does: post-LayerNorm encoder, exact (erf) GELU, pooler tanh(W h[CLS] + b) on
    each layer the last exit reads, the mix, the classifier."""
    hidden, _, heads, _, _ = shape
    d = hidden // heads
    nodes, inits = [], []
    n = [0]

    made = set()

    def const(name, a):
        if name not in made:
            made.add(name)
            inits.append(numpy_helper.from_array(np.asarray(a), name))
        return name

    def node(op, ins, **kw):
        n[0] += 1
        out = "%s_%d" % (op.lower(), n[0])
        nodes.append(helper.make_node(op, ins, [out], **kw))
        return out

    def linear(x, wname, bname):  # x [.., k] @ W^T + b, W stored [k, n] as a MatMul initializer
        w = const(wname + ".T", np.ascontiguousarray(t[wname].T))
        return node("Add", [node("MatMul", [x, w]), const(bname, t[bname])])

    def layernorm(x, g, b):
        return node("LayerNormalization", [x, const(g, t[g]), const(b, t[b])], axis=-1, epsilon=1e-12)

    ids, mask = "input_ids", "attention_mask"
    seq = node("Gather", [node("Shape", [ids]), const("one_idx", np.array(1, np.int64))], axis=0)
    pos = node("Slice", [const("pos_emb", t["embeddings.position_embeddings.weight"]),
                         const("zero_1d", np.array([0], np.int64)),
                         node("Unsqueeze", [seq, const("axes0", np.array([0], np.int64))])])
    x = node("Add", [node("Gather", [const("word_emb", t["embeddings.word_embeddings.weight"]), ids]), pos])
    x = node("Add", [x, const("type0", t["embeddings.token_type_embeddings.weight"][0])])
    x = layernorm(x, "embeddings.LayerNorm.weight", "embeddings.LayerNorm.bias")
    # additive mask [B, 1, 1, S]: 0 for tokens, -10000 for padding
    m = node("Mul", [node("Sub", [const("one_f", np.array(1, np.float32)), mask]), const("neg", np.array(-10000, np.float32))])
    m = node("Unsqueeze", [m, const("axes12", np.array([1, 2], np.int64))])
    split_shape = const("split_shape", np.array([0, 0, heads, d], np.int64))
    merge_shape = const("merge_shape", np.array([0, 0, hidden], np.int64))
    scale = const("scale", np.array(1 / math.sqrt(d), np.float32))
    last = exit_layers[-1]
    read = list(range(last + 1)) if mix else [last]
    pooled = []
    for i in range(last + 1):
        p = "encoder.layer.%d." % i
        q, k, v = (node("Reshape", [linear(x, p + "attention.self.%s.weight" % s, p + "attention.self.%s.bias" % s),
                                    split_shape]) for s in ("query", "key", "value"))
        q = node("Transpose", [q], perm=[0, 2, 1, 3])
        k = node("Transpose", [k], perm=[0, 2, 3, 1])
        v = node("Transpose", [v], perm=[0, 2, 1, 3])
        s = node("Add", [node("Mul", [node("MatMul", [q, k]), scale]), m])
        ctx = node("MatMul", [node("Softmax", [s], axis=-1), v])
        ctx = node("Reshape", [node("Transpose", [ctx], perm=[0, 2, 1, 3]), merge_shape])
        a = node("Add", [linear(ctx, p + "attention.output.dense.weight", p + "attention.output.dense.bias"), x])
        a = layernorm(a, p + "attention.output.LayerNorm.weight", p + "attention.output.LayerNorm.bias")
        f = linear(a, p + "intermediate.dense.weight", p + "intermediate.dense.bias")
        f = node("Mul", [node("Mul", [f, const("half", np.array(0.5, np.float32))]),
                         node("Add", [const("one_g", np.array(1, np.float32)),
                                      node("Erf", [node("Div", [f, const("sqrt2", np.array(math.sqrt(2), np.float32))])])])])
        o = node("Add", [linear(f, p + "output.dense.weight", p + "output.dense.bias"), a])
        x = layernorm(o, p + "output.LayerNorm.weight", p + "output.LayerNorm.bias")
        if i in read:
            cls = node("Gather", [x, const("zero_idx", np.array(0, np.int64))], axis=1)
            pooled.append(node("Tanh", [linear(cls, "pooler.dense.weight", "pooler.dense.bias")]))
    k = len(exit_layers) - 1
    if mix:
        w = t["exits.%d.mix" % k]
        acc = node("Mul", [pooled[0], const("mix0", w[0:1])])
        for j in range(1, len(pooled)):
            acc = node("Add", [acc, node("Mul", [pooled[j], const("mix%d" % j, w[j:j + 1])])])
        pooled_x = acc
    else:
        pooled_x = pooled[0]
    logits = linear(pooled_x, "exits.%d.classifier.weight" % k, "exits.%d.classifier.bias" % k)
    nodes.append(helper.make_node("Identity", [logits], ["logits"]))
    g = helper.make_graph(nodes, "bert", [helper.make_tensor_value_info(ids, TensorProto.INT64, ["B", "S"]),
                                          helper.make_tensor_value_info(mask, TensorProto.FLOAT, ["B", "S"])],
                          [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["B", LABELS])], inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    # BERT-large's weights pass protobuf's 2 GB limit: keep them in a file beside the graph
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=os.path.basename(path) + ".data", size_threshold=1024)


# ---- timing ----------------------------------------------------------------------------------------------
def timed(fn, reps, warm):
    for _ in range(warm):
        fn()
    v = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        v.append(time.perf_counter() - t0)
    v.sort()
    return v[len(v) // 2], v[0]


def other_load(t0_stat, t1_stat, self0, self1, wall):
    """Share of the machine other processes used between two /proc/stat snapshots."""
    busy = lambda s: sum(s[i] for i in (0, 1, 2, 5, 6, 7))
    hz, ncpu = os.sysconf("SC_CLK_TCK"), os.cpu_count()
    o = ((busy(t1_stat) - busy(t0_stat)) / hz - (self1 - self0)) / (wall * ncpu)
    return max(0.0, min(1.0, o))


def proc_stat():
    with open("/proc/stat") as f:
        return [int(x) for x in f.readline().split()[1:9]]


def self_cpu():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class Report:
    def __init__(self, out):
        self.out = open(out, "w") if out else None
        self.rows = []

    def issue17(self):
        """The path users take (rtj-run on the mixed-pooling checkpoint) against the benchmark's figure
        (the public API on the plain checkpoint, bench_bert's model), same shape, dtype and threads."""
        key = lambda r: (r["model"], r["dtype"], r["seq"], r["threads"])
        api = {key(r): r["ms"] for r in self.rows if r["batch"] == 1 and r["variant"] == "plain" and "API" in r["what"]}
        for r in self.rows:
            if r["batch"] == 1 and r["variant"] == "mix" and r["what"].startswith("rtj-run") and key(r) in api:
                print("# issue 17: %s %s seq %s threads %d: %s on the mixed checkpoint %.3f ms, public API on the "
                      "plain one %.3f ms: x%.3f" % (r["model"], r["dtype"], r["seq"], r["threads"], r["what"], r["ms"],
                                                    api[key(r)], r["ms"] / api[key(r)]))

    def row(self, rec):
        self.rows.append(rec)
        if self.out:
            self.out.write(json.dumps(rec) + "\n")
            self.out.flush()
        r = rec.get("rtj_over_ort")
        print("%-6s %-5s %-5s batch %2d seq %-7s threads %d  %-34s %10.3f ms  ORT %10.3f ms  %s  other %.2f" % (
            rec["model"], rec["variant"], rec["dtype"], rec["batch"], rec["seq"], rec["threads"], rec["what"],
            rec["ms"], rec["ort_ms"], "rtj/ORT x%.2f" % r if r else "", rec["other_load"]), flush=True)


def ort_session(path, threads):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    so.log_severity_level = 3
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def cli_per_seq(rtj_run, d, int8, threads, text, n, reps):
    """(wall of 1 + n lines - wall of 1 line) / n through rtj-run, fastest of reps each."""
    cmd = [rtj_run, "classify", "--model", d, "--no-exit", "--threads", str(threads)] + (["--int8"] if int8 else [])

    def wall(lines):
        data = (text + "\n") * lines
        best = None
        for _ in range(reps):
            t0 = time.perf_counter()
            subprocess.run(cmd, input=data.encode(), stdout=subprocess.DEVNULL, check=True)
            w = time.perf_counter() - t0
            best = w if best is None or w < best else best
        return best

    # rtj-run's own time per line (--json time_ms: the classify call, tokenizing included), median of the
    # lines after the first: what the process spends per sentence, without its start and load
    out = subprocess.run(cmd + ["--json"], input=((text + "\n") * (1 + n)).encode(), capture_output=True,
                         check=True).stdout.decode().splitlines()
    own = sorted(json.loads(l)["time_ms"] for l in out[1:])
    return (wall(1 + n) - wall(1)) / n, own[len(own) // 2] / 1e3


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default="tiny,large", help="comma list of tiny, large")
    ap.add_argument("--quick", action="store_true", help="BERT-large: 128 tokens, INT8 and FP32 at batch 1, the plain "
                    "variant's CLI skipped, no batch 32; TinyBERT in full")
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--cli-lines", type=int, default=0, help="N of the rtj-run measurement (default: 40 tiny, 4 large)")
    ap.add_argument("--threshold", type=float, default=0.9, help="rtj's early-exit threshold at batch 32")
    ap.add_argument("--rtj-run", default="build/rtj-run")
    ap.add_argument("--vocab", default="../shared/data/vocab/bert-base-uncased-vocab.txt")
    ap.add_argument("--sst2", default="../shared/data/sst2/glue_sst2_dev.tsv")
    ap.add_argument("--work", default=None, help="folder for the checkpoints and ONNX files (default: a temporary one)")
    ap.add_argument("--out", default=None, help="JSON lines file (default: WORK/peers_ort.jsonl)")
    a = ap.parse_args()
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "python"))
    import rtj  # the repository's package over build/librtj.so (RTJ_LIBRARY)

    work = a.work or tempfile.mkdtemp(prefix="rtj_peers_")
    os.makedirs(work, exist_ok=True)
    rep = Report(a.out or os.path.join(work, "peers_ort.jsonl"))
    print("# ONNX Runtime %s, onnx %s, numpy %s; rtj %s; work folder %s" % (
        ort.__version__, onnx.__version__, np.__version__, a.rtj_run, work))
    cpu = subprocess.run([a.rtj_run, "cpu"], capture_output=True, text=True).stdout
    print("# " + "\n# ".join(l for l in cpu.splitlines() if l.startswith(("cpuid", "kernels"))))
    with open(a.sst2) as f:
        rows = [l.rstrip("\n").split("\t") for l in f][1:]
    sst = [r[0] for r in rows[:32]]
    for name in a.models.split(","):
        hidden, layers, heads, ffn, exits = SHAPES[name]
        shape = SHAPES[name]
        large = name == "large"
        for variant in ("plain", "mix"):
            d = os.path.join(work, "%s-%s" % (name, variant))
            t = make_weights(hidden, layers, ffn, exits, variant == "mix", seed=42)
            write_checkpoint(d, shape, exits, t, a.vocab)
            build_onnx(os.path.join(d, "model.onnx"), shape, exits, t, variant == "mix")
            del t
            quantize_dynamic(os.path.join(d, "model.onnx"), os.path.join(d, "model_int8.onnx"), per_channel=True,
                             weight_type=QuantType.QInt8, use_external_data_format=large)
        # The two variants one after the other for each dtype and thread count, so that the issue-17
        # comparison (rtj-run on mix against the API on plain) is made seconds apart, not minutes.
        for dtype in ("int8", "fp32"):
            for threads in (1, 2):
                for variant in ("plain", "mix"):
                    d = os.path.join(work, "%s-%s" % (name, variant))
                    onnx_path = os.path.join(d, "model_int8.onnx" if dtype == "int8" else "model.onnx")
                    sess = ort_session(onnx_path, threads)
                    model = rtj.Model(d, dtype=dtype, threads=threads)
                    for seq in ((128,) if large and a.quick else (128, 32)):
                        text = " ".join(["the"] * (seq - 2))  # [CLS] the ... [SEP]: seq tokens
                        ids = np.array([model.tokenize(text).ids], np.int64)
                        assert ids.shape[1] == seq
                        feed = {"input_ids": ids, "attention_mask": np.ones(ids.shape, np.float32)}
                        # the same model on both sides: ORT's answer against rtj's (INT8: each its own rounding)
                        lg = sess.run(None, feed)[0][0]
                        p_ort = np.exp(lg - lg.max()) / np.exp(lg - lg.max()).sum()
                        p_rtj = np.asarray(model.classify(text, threshold=None).probs)
                        diff = float(np.abs(p_ort - p_rtj).max())
                        if dtype == "fp32" and diff > 1e-3:
                            sys.exit("peers_ort: rtj and ORT disagree on %s-%s seq %d: probs %s vs %s" % (
                                name, variant, seq, p_rtj, p_ort))
                        reps = max(3, a.reps // 2) if large else a.reps
                        s0, c0, w0 = proc_stat(), self_cpu(), time.perf_counter()
                        ort_ms = timed(lambda: sess.run(None, feed), reps, 1 if large else 3)[0] * 1e3
                        api_ms = timed(lambda: model.classify(text, threshold=None), reps, 1 if large else 3)[0] * 1e3
                        cli_ms = None
                        if not (large and a.quick and variant == "plain"):
                            n = a.cli_lines or (4 if large else 40)
                            cli_s, cli_own_s = cli_per_seq(a.rtj_run, d, dtype == "int8", threads, text, n, 3)
                            cli_ms, cli_own_ms = cli_s * 1e3, cli_own_s * 1e3
                        load = other_load(s0, proc_stat(), c0, self_cpu(), time.perf_counter() - w0)
                        base = {"model": name, "variant": variant, "dtype": dtype, "batch": 1, "seq": seq,
                                "threads": threads, "ort_ms": ort_ms, "other_load": load, "max_prob_diff": diff}
                        rep.row(dict(base, what="rtj public API (rtj_classify)", ms=api_ms, rtj_over_ort=ort_ms / api_ms))
                        if cli_ms is not None:
                            rep.row(dict(base, what="rtj-run classify (per line)", ms=cli_ms, rtj_over_ort=ort_ms / cli_ms))
                            rep.row(dict(base, what="rtj-run classify (its time_ms)", ms=cli_own_ms,
                                         rtj_over_ort=ort_ms / cli_own_ms))
                    if not (large and a.quick):
                        toks = [model.tokenize(s).ids for s in sst]
                        longest = max(len(x) for x in toks)
                        ids = np.zeros((32, longest), np.int64)
                        mask = np.zeros((32, longest), np.float32)
                        for i, x in enumerate(toks):
                            ids[i, :len(x)], mask[i, :len(x)] = x, 1
                        feed = {"input_ids": ids, "attention_mask": mask}
                        reps = 3 if large else a.reps
                        s0, c0, w0 = proc_stat(), self_cpu(), time.perf_counter()
                        ort_ms = timed(lambda: sess.run(None, feed), reps, 1)[0] * 1e3
                        full_ms = timed(lambda: model.classify(sst, threshold=None, batch_size=32), reps, 1)[0] * 1e3
                        ex_ms = timed(lambda: model.classify(sst, threshold=a.threshold, batch_size=32), reps, 1)[0] * 1e3
                        res = model.classify(sst, threshold=a.threshold, batch_size=32)
                        layers_mean = sum(r.layers_run for r in res) / len(res)
                        load = other_load(s0, proc_stat(), c0, self_cpu(), time.perf_counter() - w0)
                        seqd = "sst2 %d-%d" % (min(len(x) for x in toks), longest)
                        base = {"model": name, "variant": variant, "dtype": dtype, "batch": 32, "seq": seqd,
                                "threads": threads, "ort_ms": ort_ms, "other_load": load}
                        rep.row(dict(base, what="rtj packed, full depth", ms=full_ms, rtj_over_ort=ort_ms / full_ms))
                        rep.row(dict(base, what="rtj packed, exit@%g (%.2f layers)" % (a.threshold, layers_mean),
                                     ms=ex_ms, rtj_over_ort=ort_ms / ex_ms, layers_mean=layers_mean))
                    model.close()
                    del sess
    rep.issue17()
    print("# JSON lines: %s" % (a.out or os.path.join(work, "peers_ort.jsonl")))


if __name__ == "__main__":
    main()
