#!/usr/bin/python3
"""Prediction agreement of two models (e.g. INT8 and FP32 .rtj) over the texts of a labelled TSV, computed
from `rtj-run classify --json` outputs: per exit (every exit's argmax, from --all-exits --no-exit) and for
the answer at each threshold given (the label each model answers with, and whether both leave at the same
exit). Needs only the Python standard library.

  /usr/bin/python3 tools/train/agreement.py models/sst2-tiny/sst2-tiny-fp32.rtj \
      models/sst2-tiny/sst2-tiny-int8.rtj --data ../shared/data/sst2/glue_sst2_dev.tsv --thresholds 0.9,0.95

Prints a Markdown table; --json writes the numbers as one JSON object instead.
"""
import argparse
import json
import os
import subprocess


def classify(rtj_run, model, texts, extra):
    inp = "".join(t + "\n" for t in texts).encode()
    out = subprocess.run([rtj_run, "classify", "--model", model, "--json", "--threads", "1"] + extra,
                         input=inp, stdout=subprocess.PIPE, check=True).stdout.decode()
    res = [json.loads(line) for line in out.strip("\n").split("\n")]
    assert len(res) == len(texts)
    return res


def argmax(v):
    return max(range(len(v)), key=lambda i: v[i])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("model_a")
    ap.add_argument("model_b")
    ap.add_argument("--data", required=True, help="TSV with a header naming the sentence column")
    ap.add_argument("--thresholds", default="0.9", help="comma-separated thresholds")
    ap.add_argument("--rtj-run", default=os.path.join(here, "..", "..", "build", "rtj-run"))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    with open(a.data, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        col = header.index("sentence")
        texts = [line.rstrip("\n").split("\t")[col] for line in f if line.strip()]
    n = len(texts)
    res = {"a": a.model_a, "b": a.model_b, "data": a.data, "instances": n, "exits": [], "thresholds": []}
    ra = classify(a.rtj_run, a.model_a, texts, ["--all-exits", "--no-exit"])
    rb = classify(a.rtj_run, a.model_b, texts, ["--all-exits", "--no-exit"])
    for k in range(len(ra[0]["exits"])):
        same = sum(argmax(x["exits"][k]["logits"]) == argmax(y["exits"][k]["logits"]) for x, y in zip(ra, rb))
        dp = max(abs(p - q) for x, y in zip(ra, rb) for p, q in zip(x["exits"][k]["probs"], y["exits"][k]["probs"]))
        res["exits"].append(dict(index=k, layer=ra[0]["exits"][k]["layer"], agreement=same / n, disagree=n - same,
                                 max_prob_diff=dp))
    for t in [float(v) for v in a.thresholds.split(",")]:
        ta = classify(a.rtj_run, a.model_a, texts, ["--threshold", repr(t)])
        tb = classify(a.rtj_run, a.model_b, texts, ["--threshold", repr(t)])
        same = sum(x["label_id"] == y["label_id"] for x, y in zip(ta, tb))
        same_exit = sum(x["exit_index"] == y["exit_index"] for x, y in zip(ta, tb))
        res["thresholds"].append(dict(threshold=t, agreement=same / n, disagree=n - same,
                                      same_exit=same_exit / n))
    if a.json:
        print(json.dumps(res))
        return
    print("%d instances of %s; A = %s, B = %s\n" % (n, a.data, a.model_a, a.model_b))
    print("| prediction | agreement | disagreements | max abs prob difference / same exit taken |")
    print("|---|---|---|---|")
    for e in res["exits"]:
        print("| exit %d (layer %d), forced | %.2f%% | %d | %.4f |" % (
            e["index"], e["layer"], 100 * e["agreement"], e["disagree"], e["max_prob_diff"]))
    for t in res["thresholds"]:
        print("| threshold %g | %.2f%% | %d | %.2f%% same exit |" % (
            t["threshold"], 100 * t["agreement"], t["disagree"], 100 * t["same_exit"]))


if __name__ == "__main__":
    main()
