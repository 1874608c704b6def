"""Shared fixtures: the repository (for rtj-run and the SST-2 dev set), the bundled model."""
import os
import pathlib
import shutil
import subprocess

import pytest

import rtj

ROOT = pathlib.Path(os.environ.get("RTJ_ROOT", pathlib.Path(__file__).resolve().parents[2]))


def _find_sst2():
    for p in (os.environ.get("RTJ_SST2"), ROOT.parent / "shared/data/sst2/glue_sst2_dev.tsv",
              ROOT / "../shared/data/sst2/glue_sst2_dev.tsv"):
        if p and os.path.isfile(p):
            return str(p)
    return None


@pytest.fixture(scope="session")
def rtj_run():
    """The CLI to compare with: RTJ_RUN, ROOT/build/rtj-run, or rtj-run on PATH."""
    for p in (os.environ.get("RTJ_RUN"), ROOT / "build/rtj-run", shutil.which("rtj-run")):
        if p and os.access(p, os.X_OK):
            return str(p)
    pytest.fail("no rtj-run to compare with: run make, or set RTJ_RUN")


@pytest.fixture(scope="session")
def sst2_texts():
    path = _find_sst2()
    if path is None:
        # A failure, not a skip: the CLI comparison and the cluster test must not pass by not running.
        pytest.fail("SST-2 dev not found beside the repository (../shared/data/sst2/glue_sst2_dev.tsv); "
                    "set RTJ_SST2=/path/glue_sst2_dev.tsv")
    from rtj.cluster import read_corpus
    texts, _ = read_corpus(path)
    assert len(texts) == 872
    return texts


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory):
    """A Hugging Face checkpoint directory (2 layers, FP32, random weights, 64 positions) written by the CLI
    tests' tests/cli/make_tiny_model.c, compiled here."""
    d = tmp_path_factory.mktemp("tiny")
    exe = d / "make_tiny_model"
    cc = os.environ.get("CC", "cc")
    subprocess.run([cc, "-std=c11", "-O1", str(ROOT / "tests/cli/make_tiny_model.c"), "-o", str(exe), "-lm"],
                   check=True)
    subprocess.run([str(exe), str(d / "hf"), "--seed", "7"], check=True, capture_output=True)
    return str(d / "hf")


@pytest.fixture(scope="session")
def model():
    with rtj.Model(threads=1) as m:
        yield m
