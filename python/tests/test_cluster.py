"""rtj.cluster on a local Dask cluster of 2 worker processes (loopback only): SST-2 dev classified on the
cluster gives every answer a single process gives, bit for bit; throughput against one process is
printed."""
import json
import logging
import time

import pytest

import rtj
from rtj import cluster

distributed = pytest.importorskip("distributed", reason="Dask distributed is not installed: the cluster test "
                                                        "cannot run (pip install 'dask[distributed]')")


@pytest.fixture(scope="module")
def client():
    lc = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                  dashboard_address="127.0.0.1:0", silence_logs=logging.WARNING)
    c = distributed.Client(lc)
    yield c
    c.close()
    lc.close()


def single_process(texts, threads=1, threshold=0.9):
    with rtj.Model(threads=threads) as m:
        m.classify(texts[:10])
        t0 = time.perf_counter()
        res = [r.to_dict() for r in m.classify(texts, threshold=threshold)]
        return res, time.perf_counter() - t0


@pytest.mark.parametrize("threshold", [0.9, None], ids=["threshold 0.9", "full depth"])
def test_cluster_equals_single_process(client, sst2_texts, capsys, threshold):
    assert len(client.scheduler_info()["workers"]) == 2
    pids = cluster.warm_up(client)
    assert len(set(pids.values())) == 2  # two processes, one model each
    want, t_one = single_process(sst2_texts, threshold=threshold)
    t0 = time.perf_counter()
    got = cluster.classify_corpus(client, sst2_texts, threshold=threshold, chunk_size=64)
    t_cluster = time.perf_counter() - t0
    _, t_two_threads = single_process(sst2_texts, threads=2, threshold=threshold)
    assert len(got) == len(want) == 872
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, (i, g, w)
    n = len(sst2_texts)
    with capsys.disabled():
        print("\n[cluster] SST-2 dev, %d sentences, %s: 1 process (threads=1) %.0f/s; "
              "1 process (threads=2) %.0f/s; Dask, 2 workers x 1 thread %.0f/s (%.2fx one process)"
              % (n, "threshold 0.9" if threshold else "full depth", n / t_one, n / t_two_threads,
                 n / t_cluster, t_one / t_cluster))


def test_cluster_all_exits_and_pairs(client):
    texts = ["A man sleeps.", "A man sleeps.", "fine", "awful"] * 5
    pairs = ["A person rests.", "Nobody sleeps.", None, None] * 5
    with rtj.Model(threads=1) as m:
        want = [r.to_dict() for r in m.classify(texts, pairs, all_exits=True)]
    assert cluster.classify_corpus(client, texts, pairs, all_exits=True, chunk_size=3) == want


def test_classify_file_tsv_and_jsonl(client, tmp_path, sst2_texts):
    tsv = tmp_path / "corpus.tsv"
    tsv.write_text("sentence\tlabel\n" + "".join("%s\t1\n" % t for t in sst2_texts[:50]), encoding="utf-8")
    jsonl = tmp_path / "corpus.jsonl"
    jsonl.write_text("".join(json.dumps({"text": t}) + "\n" for t in sst2_texts[:50]), encoding="utf-8")
    with rtj.Model(threads=1) as m:
        want = [r.to_dict() for r in m.classify(sst2_texts[:50])]
    for corpus in (tsv, jsonl):
        out = tmp_path / (corpus.name + ".out")
        assert cluster.classify_file(client, str(corpus), str(out), chunk_size=16) == 50
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
        assert [r["index"] for r in rows] == list(range(50))
        assert [r["text"] for r in rows] == sst2_texts[:50]
        assert [{k: v for k, v in r.items() if k not in ("index", "text")} for r in rows] == want


def test_command_line_on_a_local_cluster(tmp_path, sst2_texts):
    corpus = tmp_path / "c.jsonl"
    corpus.write_text("".join(json.dumps({"sentence": t}) + "\n" for t in sst2_texts[:20]), encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert cluster.main([str(corpus), "-o", str(out), "--local-workers", "2", "--chunk-size", "5"]) == 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == 20
