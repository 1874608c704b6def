"""What rtj finds on this CPU, and its self-test: rtj.cpu_report() and rtj.selftest(), the library's
rtj_cpu_report and rtj_selftest (what `rtj-run cpu` and `rtj-run selftest` print)."""
import ctypes

from . import _lib
from ._lib import lib
from .model import _DTYPES, Error, _raise


def cpu_report():
    """The lines `rtj-run cpu` prints, as one string. Raises rtj.Error when RTJ_ISA names a kernel set this
    CPU cannot run (the message says why)."""
    need = ctypes.c_size_t(0)
    err = _lib.Error()
    lib.rtj_cpu_report(None, 0, ctypes.byref(need), ctypes.byref(err))
    buf = ctypes.create_string_buffer(need.value + 1)
    status = lib.rtj_cpu_report(buf, len(buf), None, ctypes.byref(err))
    if status != _lib.RTJ_OK:
        _raise(status, err.message.decode(errors="replace") or None)
    return buf.value.decode()


class SelftestCheck(dict):
    """One check of the self-test: isa, check, worst_error, bound, passed, detail (a dict, as the CLI's
    --json objects, with attribute access)."""
    __getattr__ = dict.__getitem__


def selftest(model=None, dtype="int8", kernels_only=False):
    """Runs rtj's self-test on this CPU: every kernel it can run against the references, then `model` (a
    path; default: the bundled model, as rtj.Model finds it) under every runnable kernel set against the
    scalar one. dtype applies to a checkpoint directory (an .rtj file is checked in its own dtype).
    Returns (checks, failed): the list of SelftestCheck in order, and how many failed."""
    if dtype not in _DTYPES:
        raise ValueError("dtype must be 'int8' or 'fp32', got %r" % (dtype,))
    path = None
    if not kernels_only:
        path = model
        if path is None:
            path, looked = _lib.default_model_path()
            if path is None:
                raise Error(_lib.RTJ_ERR_IO, "the bundled default model is not installed (looked for %s)"
                            % ", ".join(looked))
    checks = []

    def report(c, _user):
        c = c.contents
        checks.append(SelftestCheck(isa=c.isa.decode(), check=c.what.decode(), worst_error=c.worst,
                                    bound=c.bound, passed=bool(c.passed), detail=c.detail.decode()))

    callback = _lib.SELFTEST_REPORT(report)
    opts = _lib.LoadOptions(_DTYPES[dtype], 1)
    failed = ctypes.c_int(0)
    err = _lib.Error()
    rtj_dtype = ctypes.c_int(0)
    encoded = None if path is None else str(path).encode()
    if encoded is not None and lib.rtj_model_file_dtype(encoded, ctypes.byref(rtj_dtype)) == _lib.RTJ_OK:
        opts.dtype = rtj_dtype.value
    status = lib.rtj_selftest(encoded, ctypes.byref(opts), callback, None, ctypes.byref(failed), ctypes.byref(err))
    if status != _lib.RTJ_OK:
        _raise(status, err.message.decode(errors="replace") or None)
    return checks, failed.value
