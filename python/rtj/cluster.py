"""Batch inference past one machine, on Dask distributed: a corpus file (TSV or JSONL) is cut into chunks,
each chunk is classified on a Dask worker by that worker's one rtj.Model (loaded at its first chunk and
kept), and the results come back in corpus order and are written as JSON lines.

    python -m rtj.cluster corpus.tsv -o results.jsonl --local-workers 2     # a cluster on this machine
    python -m rtj.cluster corpus.tsv -o results.jsonl --scheduler tcp://host:8786   # an existing cluster

From Python: classify_file(client, "corpus.tsv", "results.jsonl"), or classify_corpus(client, texts).

Why Dask and not Ray Data: the job is a map over chunks with a model cached per worker process, which
Dask's futures do in a few lines; Dask distributed is a pure-Python wheel (tornado, msgpack, cloudpickle,
...) that starts a scheduler and two workers in about a second on a 2-core machine and speaks plain TCP,
where Ray brings a large binary wheel, a raylet, a GCS server and an object store that take the cores and
the memory a small machine has for the model itself. Nothing here depends on Dask but `client.map` and
`client.gather`, so the same chunk function can be run by Ray's map_batches or Spark's mapPartitions.

On several machines: start `dask scheduler` on one and `dask worker tcp://SCHED:8786 --nthreads 1
--nworkers N` on each (N = its cores, each worker then classifies with threads=1), with the rtj package
installed in the same Python on every machine (pip install ./python). The model is loaded by each worker
from its own disk: model=None takes the default model bundled in each machine's package; any other model
must be at the same path on every worker (a shared filesystem, or copied there first).
"""
import argparse
import csv
import json
import os
import sys
import time

from .model import Model

# ---- reading a corpus -------------------------------------------------------------------------------
_TEXT_KEYS = ("sentence", "text", "premise", "sentence1", "question")
_PAIR_KEYS = ("hypothesis", "pair", "sentence2")


def _pick(row, keys, where):
    for k in keys:
        if k in row:
            return k
    raise ValueError("%s: no column named %s" % (where, " or ".join(keys)))


def read_corpus(path):
    """(texts, pairs or None) from a corpus file. *.jsonl / *.json: one object per line. Anything else:
    TAB-separated with a header, as GLUE's files are. The text is the column sentence, text, premise,
    sentence1 or question; a pair's second text, if there is one, hypothesis, pair or sentence2; other
    columns (a label) are ignored."""
    if path.endswith((".jsonl", ".json")):
        with open(path, encoding="utf-8") as f:
            rows = [json.loads(line) for line in f if line.strip()]
    else:
        with open(path, encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    if not rows:
        return [], None
    tk = _pick(rows[0], _TEXT_KEYS, path)
    pk = next((k for k in _PAIR_KEYS if k in rows[0]), None)
    texts = [r[tk] for r in rows]
    pairs = [r[pk] for r in rows] if pk else None
    return texts, pairs


# ---- what runs on a worker ----------------------------------------------------------------------------
_models = {}  # (path, dtype, threads) -> Model: one per worker process, kept between chunks


def _worker_model(model, dtype, threads):
    key = (model, dtype, threads)
    m = _models.get(key)
    if m is None:
        m = _models[key] = Model(model, dtype=dtype, threads=threads)
    return m


def classify_chunk(texts, pairs=None, model=None, dtype="int8", threads=1, threshold=0.9, all_exits=False,
                   batch_size=32):
    """Classifies one chunk with this process's model; returns plain dicts (Result.to_dict())."""
    m = _worker_model(model, dtype, threads)
    return [r.to_dict() for r in m.classify(texts, pairs, threshold=threshold, all_exits=all_exits,
                                              batch_size=batch_size)]


def _load_only(model=None, dtype="int8", threads=1):
    _worker_model(model, dtype, threads)
    return os.getpid()


def warm_up(client, model=None, dtype="int8", threads=1):
    """Loads the model on every worker now (otherwise each loads it at its first chunk); returns
    {worker address: pid}."""
    return client.run(_load_only, model, dtype, threads)


def classify_corpus(client, texts, pairs=None, model=None, dtype="int8", threads=1, threshold=0.9,
                    all_exits=False, batch_size=32, chunk_size=128):
    """Classifies texts (and pairs) on the cluster behind client, chunk_size inputs per task; returns one
    dict per input, in order. Answers equal a single-process Model.classify, bit for bit."""
    chunks = [texts[s:s + chunk_size] for s in range(0, len(texts), chunk_size)]
    pchunks = [None] * len(chunks) if pairs is None else [pairs[s:s + chunk_size]
                                                          for s in range(0, len(texts), chunk_size)]
    futures = client.map(classify_chunk, chunks, pchunks, model=model, dtype=dtype, threads=threads,
                         threshold=threshold, all_exits=all_exits, batch_size=batch_size, pure=False)
    out = []
    for part in client.gather(futures):
        out += part
    return out


def write_results(path, texts, results):
    """One JSON object a line: the input's index and text, then its result."""
    with open(path, "w", encoding="utf-8") as f:
        for i, (t, r) in enumerate(zip(texts, results)):
            f.write(json.dumps(dict(index=i, text=t, **r), ensure_ascii=False) + "\n")


def classify_file(client, corpus, output, **kwargs):
    """read_corpus + classify_corpus + write_results; returns the number of inputs classified."""
    texts, pairs = read_corpus(corpus)
    results = classify_corpus(client, texts, pairs, **kwargs)
    write_results(output, texts, results)
    return len(results)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m rtj.cluster", description=__doc__.split("\n\n")[0])
    p.add_argument("corpus", help="a TSV (with a header) or JSONL file")
    p.add_argument("-o", "--output", required=True, help="where to write the results (JSON lines)")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--scheduler", help="address of a running Dask scheduler, e.g. tcp://10.0.0.1:8786")
    g.add_argument("--local-workers", type=int, help="start a cluster of N worker processes on this machine")
    p.add_argument("--model", help="model path on every worker (default: the bundled default model)")
    p.add_argument("--dtype", default="int8", choices=("int8", "fp32"))
    p.add_argument("--threads", type=int, default=1, help="rtj threads per worker thread (default 1)")
    p.add_argument("--threshold", type=float, default=0.9)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--chunk-size", type=int, default=128, help="inputs per Dask task (default 128)")
    a = p.parse_args(argv)
    from distributed import Client, LocalCluster

    if a.local_workers:
        cluster = LocalCluster(n_workers=a.local_workers, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:0")
        client = Client(cluster)
    else:
        cluster, client = None, Client(a.scheduler)
    try:
        kw = dict(model=a.model, dtype=a.dtype, threads=a.threads)
        warm_up(client, **kw)
        t0 = time.perf_counter()
        n = classify_file(client, a.corpus, a.output, threshold=a.threshold, batch_size=a.batch_size,
                          chunk_size=a.chunk_size, **kw)
        dt = time.perf_counter() - t0
        workers = len(client.scheduler_info()["workers"])
        print("classified %d inputs on %d workers in %.2f s (%.0f inputs/s); wrote %s"
              % (n, workers, dt, n / dt if dt else 0, a.output), file=sys.stderr)
    finally:
        client.close()
        if cluster:
            cluster.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
