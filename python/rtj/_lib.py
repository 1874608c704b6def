"""ctypes declarations of librtj's public API (include/rtj.h, include/rtj_tokenizer.h), and where the
library and the default model are found.

ctypes releases the GIL around every call into a CDLL, so classification in one Python thread runs while
other threads run Python.
"""
import ctypes
import ctypes.util
import os

# ---- rtj.h ------------------------------------------------------------------------------------------
STATUS_NAMES = ("RTJ_OK", "RTJ_ERR_NOMEM", "RTJ_ERR_IO", "RTJ_ERR_FORMAT", "RTJ_ERR_CONFIG", "RTJ_ERR_TENSOR",
                "RTJ_ERR_ARG", "RTJ_ERR_ISA", "RTJ_ERR_INPUT")
RTJ_OK = 0
RTJ_ERR_IO = 2
RTJ_ERR_ARG = 6
RTJ_ERR_INPUT = 8
DTYPE_FP32, DTYPE_INT8 = 0, 1
NO_EARLY_EXIT = -1.0
P_float = ctypes.POINTER(ctypes.c_float)
P_int = ctypes.POINTER(ctypes.c_int)
P_int32 = ctypes.POINTER(ctypes.c_int32)


class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", ctypes.c_char * 320)]


class LoadOptions(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("threads", ctypes.c_int)]


class ModelInfo(ctypes.Structure):
    _fields_ = [(n, ctypes.c_int) for n in ("hidden", "layers", "heads", "intermediate", "vocab_size",
                                            "max_positions", "type_vocab_size", "num_labels", "num_exits")] + [
        ("exit_layers", P_int), ("exit_temperatures", P_float), ("labels", ctypes.POINTER(ctypes.c_char_p)),
        ("dtype", ctypes.c_int), ("isa", ctypes.c_char_p)]


class ClassifyOptions(ctypes.Structure):
    _fields_ = [("threshold", ctypes.c_float), ("all_exits", ctypes.c_int)]


class ExitOutput(ctypes.Structure):
    _fields_ = [("layer", ctypes.c_int), ("logits", P_float), ("probs", P_float)]


class Result(ctypes.Structure):
    _fields_ = [("label_id", ctypes.c_int), ("label", ctypes.c_char_p), ("probs", P_float),
                ("num_labels", ctypes.c_int), ("exit_index", ctypes.c_int), ("exit_layer", ctypes.c_int),
                ("layers_run", ctypes.c_int), ("tokens", ctypes.c_int), ("truncated", ctypes.c_int),
                ("num_exits", ctypes.c_int), ("exits", ctypes.POINTER(ExitOutput))]


class SelftestCheck(ctypes.Structure):
    _fields_ = [("isa", ctypes.c_char * 16), ("what", ctypes.c_char * 96), ("worst", ctypes.c_double),
                ("bound", ctypes.c_double), ("passed", ctypes.c_int), ("detail", ctypes.c_char * 160)]


SELFTEST_REPORT = ctypes.CFUNCTYPE(None, ctypes.POINTER(SelftestCheck), ctypes.c_void_p)


# ---- rtj_tokenizer.h --------------------------------------------------------------------------------
class TokSpan(ctypes.Structure):
    _fields_ = [("start", ctypes.c_size_t), ("end", ctypes.c_size_t)]


class TokOutput(ctypes.Structure):
    _fields_ = [("ids", P_int32), ("type_ids", P_int32), ("offsets", ctypes.POINTER(TokSpan)),
                ("n", ctypes.c_size_t), ("n_a", ctypes.c_size_t), ("n_b", ctypes.c_size_t),
                ("truncated_a", ctypes.c_size_t), ("truncated_b", ctypes.c_size_t),
                ("capacity", ctypes.c_size_t), ("scratch", ctypes.c_void_p)]


def _declare(lib):
    vp, cp, sz, st = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int
    sigs = {
        "rtj_strerror": (cp, [st]),
        "rtj_model_load": (st, [cp, ctypes.POINTER(LoadOptions), ctypes.POINTER(vp), ctypes.POINTER(Error)]),
        "rtj_model_free": (None, [vp]),
        "rtj_model_get_info": (None, [vp, ctypes.POINTER(ModelInfo)]),
        "rtj_model_tokenizer": (vp, [vp]),
        "rtj_context_new": (st, [vp, ctypes.POINTER(vp)]),
        "rtj_context_free": (None, [vp]),
        "rtj_classify_batch": (st, [vp, sz, ctypes.POINTER(cp), ctypes.POINTER(cp),
                                    ctypes.POINTER(ClassifyOptions), ctypes.POINTER(Result)]),
        "rtj_model_file_dtype": (st, [cp, P_int]),
        "rtj_cpu_report": (st, [ctypes.c_char_p, sz, ctypes.POINTER(sz), ctypes.POINTER(Error)]),
        "rtj_selftest": (st, [cp, ctypes.POINTER(LoadOptions), SELFTEST_REPORT, vp, P_int, ctypes.POINTER(Error)]),
        "rtj_tokenizer_strerror": (cp, [st]),
        "rtj_tokenizer_vocab": (vp, [vp]),
        "rtj_vocab_token": (cp, [vp, ctypes.c_int32, ctypes.POINTER(sz)]),
        "rtj_tok_output_init": (None, [ctypes.POINTER(TokOutput)]),
        "rtj_tok_output_free": (None, [ctypes.POINTER(TokOutput)]),
        "rtj_tokenize": (st, [vp, cp, sz, cp, sz, sz, ctypes.POINTER(TokOutput)]),
    }
    for name, (res, args) in sigs.items():
        f = getattr(lib, name)
        f.restype = res
        f.argtypes = args
    return lib


def _candidates():
    """Where librtj.so may be, in order: RTJ_LIBRARY, the copy inside this package (pip install ./python),
    then the system's (make install; ldconfig or LD_LIBRARY_PATH)."""
    env = os.environ.get("RTJ_LIBRARY")
    if env:
        return [env]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "librtj.so")
    out = [here] if os.path.exists(here) else []
    found = ctypes.util.find_library("rtj")
    out += [found] if found else []
    return out + ["librtj.so.0", "/usr/local/lib/librtj.so.0"]


def _load():
    tried = []
    for path in _candidates():
        try:
            return _declare(ctypes.CDLL(path)), path
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError("rtj: cannot load librtj.so; tried " + "; ".join(tried) +
                      ". Build it (make build/librtj.so) and set RTJ_LIBRARY, or `make install`")


lib, lib_path = _load()


def default_model_path():
    """The bundled default model, found as rtj-run finds it but from the library's folder instead of the
    binary's: DIR/../models/default.rtj (DIR = build/ of a repository), DIR/models/default.rtj (the copy
    inside this package), DIR/../share/rtj/default.rtj (make install), /usr/local/share/rtj/default.rtj.
    Returns (path or None, the paths looked at)."""
    real = lib_path
    if os.sep not in real:  # a bare soname: the file the dynamic loader opened
        try:
            with open("/proc/self/maps", encoding="utf-8", errors="replace") as f:
                for line in f:
                    p = line.split(None, 5)[-1].strip()
                    if os.path.basename(p).startswith("librtj.so"):
                        real = p
                        break
        except OSError:
            pass
    d = os.path.dirname(os.path.realpath(real)) if os.sep in real else ""
    cands = []
    if d:
        cands += [os.path.join(d, "..", "models", "default.rtj"), os.path.join(d, "models", "default.rtj"),
                  os.path.join(d, "..", "share", "rtj", "default.rtj")]
    cands.append("/usr/local/share/rtj/default.rtj")
    for c in cands:
        if os.access(c, os.R_OK):
            return os.path.normpath(c), cands
    return None, cands
