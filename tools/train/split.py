#!/usr/bin/python3
"""Reads labelled data files as rtj-run does, and splits one file reproducibly into train and eval parts
(standard library only; train.py uses the same functions).

  /usr/bin/python3 tools/train/split.py ../shared/data/agnews/ag_news_test.csv --columns label,text,text \
      --id-base 1 --eval 1600 --seed 1 --eval-out models/agnews-tiny/agnews-eval.tsv

The split rule (stratified, deterministic, independent of any random number generator's implementation):
number the file's usable rows 0, 1, ... in file order; give row i the key sha256("SEED:i") (hex digest of
that ASCII string); in each class, the rows with the smallest keys go to eval, as many as the class's share
of the eval size (n_eval * class rows / rows, rounded down, the remaining places to the classes with the
largest remainders, ties to the lower label id); every other row is train. Both parts keep file order.

Formats (as `rtj-run eval --data`): *.csv: CSV without a header (RFC 4180 quoting), its columns named by
--columns (label, text, -; several text columns are joined with one space, as rtj-run does); anything else:
TAB-separated with a header naming the columns sentence (or text) and label. Integer labels count from
--id-base (AG News: 1). --eval-out / --train-out write a part as `sentence<TAB>label` TSV with a header and
0-based label ids, which rtj-run eval/calibrate, train.py, check_exact.py and agreement.py all read.
"""
import argparse
import csv
import hashlib
import os
import sys


def read_labelled(path, columns=None, id_base=0):
    """Returns (texts, labels) with 0-based integer labels. CSV (*.csv) needs columns ("label,text,text")."""
    texts, labels = [], []
    if path.endswith(".csv"):
        if not columns:
            raise SystemExit("%s: a CSV file needs --columns (e.g. label,text,text)" % path)
        cols = columns.split(",")
        assert cols.count("label") == 1 and "text" in cols, "--columns needs one label and a text column"
        with open(path, encoding="utf-8", newline="") as f:
            for n, r in enumerate(csv.reader(f), 1):
                if not r:
                    continue
                if len(r) != len(cols):
                    raise SystemExit("%s line %d: %d fields, expected %d" % (path, n, len(r), len(cols)))
                texts.append(" ".join(v for c, v in zip(cols, r) if c == "text"))
                labels.append(int(r[cols.index("label")]) - id_base)
        return texts, labels
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        ti = header.index("sentence") if "sentence" in header else header.index("text")
        li = header.index("label")
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            cols = line.split("\t")
            texts.append(cols[ti].replace("\r", " "))
            labels.append(int(cols[li]) - id_base)
    return texts, labels


def stratified_split(labels, n_eval, seed):
    """(train indices, eval indices), both ascending; the rule is in the module docstring."""
    n = len(labels)
    assert 0 < n_eval < n
    classes = sorted(set(labels))
    count = {c: labels.count(c) for c in classes}
    quota = {c: n_eval * count[c] // n for c in classes}
    rest = n_eval - sum(quota.values())
    for c in sorted(classes, key=lambda c: (-(n_eval * count[c] % n), c))[:rest]:
        quota[c] += 1
    key = lambda i: hashlib.sha256(("%d:%d" % (seed, i)).encode("ascii")).hexdigest()
    ev = set()
    for c in classes:
        rows = sorted((i for i in range(n) if labels[i] == c), key=key)
        ev.update(rows[:quota[c]])
    return [i for i in range(n) if i not in ev], sorted(ev)


def write_tsv(path, texts, labels):
    """sentence<TAB>label with a header, 0-based ids, '\\n' line ends (texts must hold no TAB or newline)."""
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("sentence\tlabel\n")
        for t, y in zip(texts, labels):
            assert "\t" not in t and "\n" not in t and "\r" not in t, t
            f.write("%s\t%d\n" % (t, y))
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data")
    ap.add_argument("--columns", help="CSV columns, e.g. label,text,text")
    ap.add_argument("--id-base", type=int, default=0, help="integer labels in the file count from N")
    ap.add_argument("--eval", type=int, required=True, help="eval rows")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--eval-out", help="write the eval part here (TSV)")
    ap.add_argument("--train-out", help="write the train part here (TSV)")
    ap.add_argument("--check", help="exit 1 unless this TSV holds exactly the eval part")
    a = ap.parse_args()
    texts, labels = read_labelled(a.data, a.columns, a.id_base)
    tr, ev = stratified_split(labels, a.eval, a.seed)
    per = lambda idx: " ".join("%d:%d" % (c, sum(labels[i] == c for i in idx)) for c in sorted(set(labels)))
    print("%s: %d rows -> %d train (%s), %d eval (%s); seed %d" % (
        a.data, len(labels), len(tr), per(tr), len(ev), per(ev), a.seed))
    if a.eval_out:
        write_tsv(a.eval_out, [texts[i] for i in ev], [labels[i] for i in ev])
    if a.train_out:
        write_tsv(a.train_out, [texts[i] for i in tr], [labels[i] for i in tr])
    if a.check:
        got = read_labelled(a.check)
        ok = got == ([texts[i] for i in ev], [labels[i] for i in ev])
        print("%s: %s" % (a.check, "the eval part, identical" if ok else "DIFFERS from the eval part"))
        sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
