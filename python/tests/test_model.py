"""rtj.Model against the CLI on the bundled model (bit-identical logits and probabilities), its errors,
and several Python threads on one model."""
import json
import os
import subprocess
import threading
import time

import pytest

import rtj
from rtj import _lib

np = pytest.importorskip("numpy", reason="numpy is needed to compare float32 values exactly")

PAIRS = [("A man sleeps.", "A person rests."), ("A man sleeps.", "Nobody sleeps."),
         ("a gorgeous, witty, seductive movie", "it is bad")]


def cli_json(rtj_run, lines, *args):
    out = subprocess.run([rtj_run, "classify", "--json", "--threads", "1", *args], input="\n".join(lines) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]


def f32(values):
    # The CLI prints floats with %.9g, which round-trips float32 exactly.
    return np.array(values, dtype=np.float32)


def same_answer(r, c):
    assert (r.label, r.label_id, r.exit_index, r.exit_layer, r.layers_run, r.tokens, r.truncated) == \
        (c["label"], c["label_id"], c["exit_index"], c["exit_layer"], c["layers_run"], c["tokens"], c["truncated"])
    assert r.probs.dtype == np.float32 and np.array_equal(r.probs, f32(c["probs"]))


def test_all_exits_bit_identical_to_cli(model, rtj_run, sst2_texts):
    texts = [t.replace("\n", " ") for t in sst2_texts]
    cli = cli_json(rtj_run, texts, "--all-exits")
    res = model.classify(texts, all_exits=True)
    assert len(res) == len(cli) == 872
    for r, c in zip(res, cli):
        same_answer(r, c)
        assert len(r.exits) == len(c["exits"]) == 6
        for e, ce in zip(r.exits, c["exits"]):
            assert e.layer == ce["layer"]
            assert np.array_equal(e.logits, f32(ce["logits"])), (r, c)
            assert np.array_equal(e.probs, f32(ce["probs"]))


@pytest.mark.parametrize("threshold,flag", [(0.9, []), (0.6, ["--threshold", "0.6"]), (0.0, ["--threshold", "0"]),
                                            (None, ["--no-exit"])])
def test_thresholds_same_as_cli(model, rtj_run, sst2_texts, threshold, flag):
    texts = sst2_texts[:200]
    for r, c in zip(model.classify(texts, threshold=threshold), cli_json(rtj_run, texts, *flag)):
        same_answer(r, c)
        assert r.exits is None


def test_pairs_same_as_cli(model, rtj_run):
    cli = cli_json(rtj_run, ["%s\t%s" % p for p in PAIRS], "--pair", "--all-exits")
    res = model.classify([a for a, _ in PAIRS], [b for _, b in PAIRS], all_exits=True)
    for r, c in zip(res, cli):
        same_answer(r, c)
        for e, ce in zip(r.exits, c["exits"]):
            assert np.array_equal(e.logits, f32(ce["logits"]))


@pytest.mark.parametrize("dtype,flag", [("fp32", []), ("int8", ["--int8"])])
def test_checkpoint_directory_same_as_cli(rtj_run, tiny_checkpoint, sst2_texts, dtype, flag):
    # A Hugging Face checkpoint, loaded FP32 or quantized at load; 64 positions, so long inputs truncate.
    texts = sst2_texts[:100] + ["long " * 100]
    with rtj.Model(tiny_checkpoint, dtype=dtype, threads=1) as m:
        assert m.info.dtype == dtype and m.info.max_positions == 64
        res = m.classify(texts, all_exits=True, threshold=0.7)
    cli = cli_json(rtj_run, texts, "--model", tiny_checkpoint, "--all-exits", "--threshold", "0.7", *flag)
    assert res[-1].truncated > 0
    for r, c in zip(res, cli):
        same_answer(r, c)
        for e, ce in zip(r.exits, c["exits"]):
            assert np.array_equal(e.logits, f32(ce["logits"]))


def test_one_text_gives_one_result(model):
    r = model.classify("a charming and often affecting journey")
    assert isinstance(r, rtj.Result) and r.label == "positive" and r["label"] == "positive"
    assert r.label == model.info.labels[r.label_id]
    assert json.loads(json.dumps(r.to_dict()))["probs"] == r.probs.tolist()
    assert model.classify("A man sleeps.", "A person rests.") == model.classify(["A man sleeps."],
                                                                                ["A person rests."])[0]


def test_batch_size_does_not_change_answers(model, sst2_texts):
    texts = sst2_texts[:100]
    one = model.classify(texts, batch_size=1, all_exits=True)
    assert model.classify(texts, batch_size=7, all_exits=True) == one
    assert model.classify(texts, batch_size=100, all_exits=True) == one


def test_empty_list_and_empty_text(model):
    assert model.classify([]) == []
    r = model.classify("")
    assert r.tokens == 2


def test_long_text_is_truncated(model):
    n = model.info.max_positions + 100   # one piece a word, past the model's positions whatever they are
    r = model.classify("good " * n)
    assert r.tokens == model.info.max_positions and r.truncated == n - (model.info.max_positions - 2)


def test_tokenize_same_as_cli(model, rtj_run):
    text = "Unflinchingly bleak and desperate. Café über-naïve"
    out = subprocess.run([rtj_run, "tokenize", "--tokens", text], capture_output=True, text=True,
                         check=True).stdout
    ids, toks = out.rstrip("\n").split("\t")
    t = model.tokenize(text)
    assert t.ids == [int(i) for i in ids.split()]
    assert t.tokens == toks.split()
    assert t.type_ids == [0] * len(t.ids) and t.truncated == 0
    # Character offsets: "Café" is the 4 characters 35..39 whatever its UTF-8 bytes.
    i = t.tokens.index("cafe")
    assert t.offsets[i] == (35, 39) and text[35:39] == "Café"
    assert t.offsets[0] == (0, 0)


def test_tokenize_pair(model):
    t = model.tokenize("A man sleeps.", "A person rests.")
    assert t.tokens == ["[CLS]", "a", "man", "sleeps", ".", "[SEP]", "a", "person", "rests", ".", "[SEP]"]
    assert t.type_ids == [0] * 6 + [1] * 5
    assert t.offsets[7] == (2, 8)


def test_info(model):
    i = model.info
    assert (i.layers, i.hidden, i.num_labels, i.labels, i.exit_layers, i.dtype) == \
        (6, 384, 2, ["negative", "positive"], [0, 1, 2, 3, 4, 5], "int8")
    assert i.isa in ("scalar", "avx2", "avx512", "neon") and len(i.exit_temperatures) == 6
    assert os.path.basename(i.path) == "default.rtj"


# ---- errors -------------------------------------------------------------------------------------------
def test_bad_path_raises_io_error(tmp_path):
    with pytest.raises(rtj.Error) as e:
        rtj.Model(str(tmp_path / "missing.rtj"))
    assert e.value.status_name == "RTJ_ERR_IO" and e.value.status == 2
    assert "missing.rtj" in e.value.message


def test_bad_file_raises_format_error(tmp_path):
    p = tmp_path / "junk.rtj"
    p.write_bytes(b"RTJMODEL" + b"\0" * 200)
    with pytest.raises(rtj.Error) as e:
        rtj.Model(p)
    assert e.value.status_name == "RTJ_ERR_FORMAT" and "junk.rtj" in str(e.value)


def test_checkpoint_dir_without_files_raises(tmp_path):
    with pytest.raises(rtj.Error) as e:
        rtj.Model(tmp_path)
    assert "config.json" in e.value.message


def test_fp32_of_an_int8_file_raises_rtjs_message():
    with pytest.raises(rtj.ArgumentError) as e:
        rtj.Model(dtype="fp32")
    assert "INT8" in e.value.message and e.value.status_name == "RTJ_ERR_ARG"


@pytest.mark.parametrize("kwargs", [dict(dtype="int4"), dict(threads=-1), dict(threads=1.5)])
def test_bad_load_arguments_raise(kwargs):
    with pytest.raises(ValueError):
        rtj.Model(**kwargs)


@pytest.mark.parametrize("kwargs", [dict(threshold=1.5), dict(threshold=-0.1), dict(threshold="high"),
                                    dict(batch_size=0), dict(pairs=["x", "y"])])
def test_bad_classify_arguments_raise(model, kwargs):
    with pytest.raises(rtj.ArgumentError):
        model.classify(["a", "b", "c"], **kwargs)


def test_bad_texts_raise(model):
    with pytest.raises(TypeError):
        model.classify([b"bytes"])
    with pytest.raises(TypeError):
        model.classify(None)
    with pytest.raises(rtj.ArgumentError):
        model.classify("a\0b")


def test_c_argument_errors_carry_rtjs_status(model):
    # Past the Python checks: the C library's own refusal, as an exception with its status and message.
    ctx = model._enter()
    try:
        with pytest.raises(rtj.ArgumentError) as e:
            model._batch(ctx, [b"x"], None, _lib.ClassifyOptions(2.0, 0), 0)
    finally:
        model._leave()
    assert e.value.message == "texts[0]: " + _lib.lib.rtj_strerror(_lib.RTJ_ERR_ARG).decode()


def test_closed_model_raises():
    m = rtj.Model(threads=1)
    m.classify("fine")
    m.close()
    m.close()  # twice is fine
    with pytest.raises(rtj.Error, match="closed"):
        m.classify("x")
    with rtj.Model(threads=1) as m2:
        assert m2.classify("x").tokens == 3
    with pytest.raises(rtj.Error):
        m2.tokenize("x")


# ---- threads ------------------------------------------------------------------------------------------
def test_threads_share_one_model(model, sst2_texts):
    texts = sst2_texts[:240]
    want = model.classify(texts, all_exits=True)
    got, errors = {}, []

    def work(k):
        try:
            got[k] = model.classify(texts[k::4], all_exits=True, batch_size=8)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for k in range(4):
        assert got[k] == want[k::4]
    assert not errors and all(len(got[k]) == 60 for k in range(4))


def test_close_waits_for_a_call_under_way(sst2_texts):
    m = rtj.Model(threads=1)
    out, started = [], threading.Event()

    def work():
        started.set()
        out.append(m.classify(sst2_texts, threshold=None, batch_size=len(sst2_texts)))

    t = threading.Thread(target=work)
    t.start()
    started.wait()
    time.sleep(0.05)
    m.close()  # returns once the classification has finished with the model
    t.join()
    assert len(out) == 1 and len(out[0]) == len(sst2_texts)
    with pytest.raises(rtj.Error, match="closed"):
        m.classify("x")


def test_a_thread_context_is_freed_when_the_thread_ends():
    import gc
    with rtj.Model(threads=1) as m:
        m.classify("x")
        assert len(m._contexts) == 1
        t = threading.Thread(target=m.classify, args=("y",))
        t.start()
        t.join()
        gc.collect()
        assert len(m._contexts) == 1  # the main thread's only
        m.tokenize("tokenizing needs no context")
        assert len(m._contexts) == 1


def test_gil_released_during_classification(sst2_texts):
    """A pure-Python counter thread keeps running while another thread is inside one long C call."""
    m = rtj.Model(threads=1)
    texts = sst2_texts * 2
    count, stop = [0], threading.Event()

    def counter():
        while not stop.is_set():
            count[0] += 1

    t = threading.Thread(target=counter)
    t.start()
    time.sleep(0.2)
    c0, t0 = count[0], time.perf_counter()
    time.sleep(0.3)
    rate = (count[0] - c0) / (time.perf_counter() - t0)  # counts/s with the GIL free
    c0, t0 = count[0], time.perf_counter()
    m.classify(texts, threshold=None, batch_size=len(texts))  # one C call of about a second or more
    dt = time.perf_counter() - t0
    during = count[0] - c0
    stop.set()
    t.join()
    m.close()
    # Holding the GIL through the call would leave the counter only the Python parts (a few %).
    assert during > 0.1 * rate * dt, (during, rate, dt)


def test_threads_scale(sst2_texts, capsys):
    """Two Python threads (threads=1 contexts) against one: reported; checked only to be no slower."""
    m = rtj.Model(threads=1)
    texts = sst2_texts[:400]
    m.classify(texts[:10])
    t0 = time.perf_counter()
    m.classify(texts)
    one = time.perf_counter() - t0
    ts = [threading.Thread(target=m.classify, args=(texts[k::2],)) for k in range(2)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    two = time.perf_counter() - t0
    m.close()
    with capsys.disabled():
        print("\n[threads] 400 SST-2 sentences: 1 thread %.0f/s, 2 Python threads on one model %.0f/s (%.2fx)"
              % (400 / one, 400 / two, one / two))
    assert two < one * 1.5
