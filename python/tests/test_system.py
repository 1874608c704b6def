"""rtj.cpu_report and rtj.selftest: the same as `rtj-run cpu` and `rtj-run selftest --json`."""
import json
import subprocess

import pytest

import rtj


def test_cpu_report_is_what_rtj_run_cpu_prints(rtj_run):
    out = subprocess.run([rtj_run, "cpu"], check=True, capture_output=True, text=True).stdout
    assert rtj.cpu_report() == out
    assert "\ncompiled " in out and "\nkernels " in out


def test_selftest_passes_and_matches_the_cli(rtj_run):
    checks, failed = rtj.selftest()
    assert failed == 0, [c for c in checks if not c.passed]
    cli = [json.loads(line) for line in
           subprocess.run([rtj_run, "selftest", "--json"], check=True, capture_output=True, text=True).stdout.splitlines()]
    assert [(c.isa, c.check) for c in checks] == [(c["isa"], c["check"]) for c in cli]
    assert any(c.check.startswith("model default.rtj") for c in checks) or \
        rtj.cpu_report().split("\nrunnable")[1].split("\n")[0].split() == ["scalar"]


def test_selftest_kernels_only_and_errors():
    checks, failed = rtj.selftest(kernels_only=True)
    assert failed == 0 and checks and not any(c.check.startswith("model ") for c in checks)
    assert all(c.worst_error <= c.bound or c.bound == 0 and c.worst_error == 0 for c in checks)
    with pytest.raises(rtj.Error) as e:
        rtj.selftest(model="/nonexistent/model.rtj")
    assert e.value.status_name == "RTJ_ERR_IO" and "/nonexistent/model.rtj" in e.value.message
    with pytest.raises(ValueError):
        rtj.selftest(dtype="int4")
