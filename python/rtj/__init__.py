"""rtj from Python: BERT text classifiers with early exits on CPUs, over librtj.so with ctypes.

    import rtj
    with rtj.Model() as model:                      # the bundled default model (SST-2 sentiment, INT8)
        r = model.classify("a charming and often affecting journey")
        print(r.label, r.probs, r.exit_layer, r.layers_run)

Guide: docs/python.md in the repository.
"""
from .model import ArgumentError, Error, Exit, Model, ModelInfo, Result, Tokens
from .system import SelftestCheck, cpu_report, selftest

__version__ = "0.1.0"
__all__ = ["Model", "Result", "Exit", "Tokens", "ModelInfo", "Error", "ArgumentError", "cpu_report", "selftest",
           "SelftestCheck", "__version__"]
