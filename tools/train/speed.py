#!/usr/bin/python3
"""Measured (not estimated) early-exit speed-ups: runs `rtj-run classify` over every sentence of a data
file at each threshold and at full depth (--no-exit), at batch 1 and at batch 32, one thread, and compares
the wall-clock time of the whole run. Settings are interleaved and repeated (--repeat), and each one's
median is reported, so a burst of load from other jobs moves one repetition, not one setting.

`rtj-run eval` times each instance at full depth and at the first exit and interpolates between them; this
tool checks that estimate end to end (tokenization, the scheduler, the exits' own cost, packed batches).

  /usr/bin/python3 tools/train/speed.py MODEL.rtj --data ../shared/data/sst2/glue_sst2_dev.tsv \\
      --thresholds 0.8,0.9 --batches 1,32 --repeat 5
Standard library only.
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import split as SPLIT  # noqa: E402


def run_once(rtj_run, model, text_file, batch, setting):
    flag = ["--no-exit"] if setting == "no-exit" else ["--threshold", setting]
    cmd = [rtj_run, "classify", "--model", model, "--threads", "1", "--batch", str(batch)] + flag
    with open(text_file, "rb") as f:
        t = time.perf_counter()
        out = subprocess.run(cmd, stdin=f, capture_output=True, check=True).stdout
        el = time.perf_counter() - t
    layers = [int(line.split(b"\t")[3].split(b" ")[1].split(b"/")[0]) for line in out.splitlines()]
    return el, sum(layers) / len(layers)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("model")
    ap.add_argument("--data", required=True)
    ap.add_argument("--columns")
    ap.add_argument("--id-base", type=int, default=0)
    ap.add_argument("--thresholds", default="0.9")
    ap.add_argument("--batches", default="1,32")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rtj-run", default=os.path.join(here, "..", "..", "build", "rtj-run"))
    a = ap.parse_args()
    texts, _ = SPLIT.read_labelled(a.data, a.columns, a.id_base)
    settings = ["no-exit"] + a.thresholds.split(",")
    batches = [int(b) for b in a.batches.split(",")]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("".join(t.replace("\n", " ") + "\n" for t in texts))
        text_file = f.name
    try:
        times = {(b, s): [] for b in batches for s in settings}
        layers = {}
        run_once(a.rtj_run, a.model, text_file, 1, "no-exit")   # warm the page cache and the CPU
        for _ in range(a.repeat):
            for b in batches:
                for s in settings:
                    el, layers[(b, s)] = run_once(a.rtj_run, a.model, text_file, b, s)
                    times[(b, s)].append(el)
    finally:
        os.unlink(text_file)
    print("%d sentences of %s, %s, 1 thread, median of %d interleaved runs (process start and model load "
          "included in every run)" % (len(texts), a.data, a.model, a.repeat))
    print("batch  threshold  mean layers  seconds (min..max)      speed-up")
    for b in batches:
        full = statistics.median(times[(b, "no-exit")])
        for s in settings:
            t = statistics.median(times[(b, s)])
            print("%5d  %9s  %11.2f  %7.3f (%.3f..%.3f)  %8.2fx" % (
                b, s, layers[(b, s)], t, min(times[(b, s)]), max(times[(b, s)]), full / t))


if __name__ == "__main__":
    main()
