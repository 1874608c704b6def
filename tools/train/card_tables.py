#!/usr/bin/python3
"""Markdown tables for a model card from `rtj-run eval --json` outputs (standard library only).

  /usr/bin/python3 tools/train/card_tables.py exits NAME=EVAL.json ...   per-exit accuracy and ECE, side by side
  /usr/bin/python3 tools/train/card_tables.py rows EVAL.json             the speed/accuracy table of one eval
"""
import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def exits(args):
    named = [a.split("=", 1) for a in args]
    docs = [(n, load(p)) for n, p in named]
    head = "| exit (layer) | " + " | ".join("%s accuracy | %s ECE" % (n, n) for n, _ in docs) + " |"
    print(head)
    print("|---" * (1 + 2 * len(docs)) + "|")
    for k, e in enumerate(docs[0][1]["exits"]):
        cells = []
        for _, d in docs:
            x = d["exits"][k]
            cells += ["%.2f%%" % (100 * x["accuracy"]), "%.4f" % x["ece"]]
        print("| %d (%d, %d of %d layers) | %s |" % (k, e["layer"], e["layer"] + 1,
                                                    docs[0][1]["exits"][-1]["layer"] + 1, " | ".join(cells)))


def rows(path):
    d = load(path)
    last = d["exits"][-1]["layer"] + 1
    print("| method | threshold | accuracy | mean layers | layer reduction | exit shares | time/instance | speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    ee = [r for r in d["rows"] if r["method"] == "early exit"]
    key = lambda r: 2.0 if r["threshold"] == "no-exit" else r["threshold"]
    for r in sorted(ee, key=key) + [r for r in d["rows"] if r["method"] != "early exit"]:
        t = r["threshold"]
        t = "" if t is None else (t if isinstance(t, str) else "%g" % t)
        print("| %s | %s | %.2f%% | %.2f | %.2fx | %s | %.3f ms | %.2fx |" % (
            r["method"], t, 100 * r["accuracy"], r["mean_layers"], last / r["mean_layers"],
            " / ".join("%.0f%%" % (100 * s) for s in r["exit_shares"]), r["time_ms"], r["speedup"]))


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("exits", "rows"):
        sys.exit(__doc__)
    exits(sys.argv[2:]) if sys.argv[1] == "exits" else rows(sys.argv[2])
