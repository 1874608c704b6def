"""rtj.Model: a loaded model, shared by every Python thread; each thread classifies through its own rtj
context (made on its first call), and ctypes releases the GIL during each call, so threads run in parallel.
"""
import ctypes
import os
import threading
import weakref

from . import _lib
from ._lib import lib

try:
    import numpy as _np
except ImportError:  # numpy is optional: lists of floats without it
    _np = None

_DTYPES = {"int8": _lib.DTYPE_INT8, "fp32": _lib.DTYPE_FP32}


class Error(Exception):
    """A failure reported by rtj: .status is rtj's status code (an int, rtj_status), .status_name its
    name ("RTJ_ERR_IO", ...), .message rtj's own message."""

    def __init__(self, status, message):
        self.status = status
        self.status_name = (_lib.STATUS_NAMES[status] if 0 <= status < len(_lib.STATUS_NAMES)
                            else "RTJ_ERR_%d" % status)
        self.message = message
        super().__init__("%s [%s]" % (message, self.status_name))


class ArgumentError(Error, ValueError):
    """An invalid argument (status RTJ_ERR_ARG): also a ValueError."""

    def __init__(self, message):
        super().__init__(_lib.RTJ_ERR_ARG, message)


def _strerror(status):
    return lib.rtj_strerror(status).decode()


def _raise(status, message=None):
    if status == _lib.RTJ_ERR_ARG:
        raise ArgumentError(message or _strerror(status))
    raise Error(status, message or _strerror(status))


def _floats(ptr, n):
    if _np is not None:
        return _np.ctypeslib.as_array(ptr, shape=(n,)).copy()
    return [float(v) for v in ptr[:n]]


class _Record:
    """A plain result object: attributes, result["name"] as in a Hugging Face pipeline, to_dict()."""
    __slots__ = ()

    def __getitem__(self, key):
        if key not in self.__slots__:
            raise KeyError(key)
        return getattr(self, key)

    def keys(self):
        return list(self.__slots__)

    def to_dict(self):
        """Plain Python values (lists for arrays), ready for json.dumps."""
        def plain(v):
            if isinstance(v, _Record):
                return v.to_dict()
            if isinstance(v, (list, tuple)):
                return [plain(x) for x in v]
            if _np is not None and isinstance(v, _np.ndarray):
                return v.tolist()
            return v
        return {k: plain(getattr(self, k)) for k in self.__slots__}

    def __eq__(self, other):
        if type(self) is not type(other):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __repr__(self):
        return "%s(%s)" % (type(self).__name__,
                           ", ".join("%s=%r" % (k, getattr(self, k)) for k in self.__slots__))


class Exit(_Record):
    """One exit's output (with all_exits=True): its layer, calibrated logits and probabilities."""
    __slots__ = ("layer", "logits", "probs")

    def __init__(self, layer, logits, probs):
        self.layer, self.logits, self.probs = layer, logits, probs


class Result(_Record):
    """The answer for one input. probs: softmax of the answering exit's calibrated logits (a float32
    numpy array when numpy is installed). exits: every exit's Exit with all_exits=True, else None."""
    __slots__ = ("label", "label_id", "probs", "exit_index", "exit_layer", "layers_run", "tokens", "truncated",
                 "exits")

    def __init__(self, r):
        self.label = r.label.decode()
        self.label_id = r.label_id
        self.probs = _floats(r.probs, r.num_labels)
        self.exit_index, self.exit_layer, self.layers_run = r.exit_index, r.exit_layer, r.layers_run
        self.tokens, self.truncated = r.tokens, r.truncated
        self.exits = ([Exit(e.layer, _floats(e.logits, r.num_labels), _floats(e.probs, r.num_labels))
                       for e in r.exits[:r.num_exits]] if r.num_exits else None)


class Tokens(_Record):
    """A text (or pair) as the model sees it: ids and type_ids, the tokens' strings, each token's
    (start, end) character offsets into its own text (text for type 0, pair for type 1; [CLS] and [SEP]:
    (0, 0)), and the word pieces dropped from each text to fit max_positions."""
    __slots__ = ("ids", "type_ids", "tokens", "offsets", "truncated", "truncated_pair")


class ModelInfo(_Record):
    """What a loaded model is (rtj_model_info), plus the path it was loaded from."""
    __slots__ = ("path", "dtype", "isa", "hidden", "layers", "heads", "intermediate", "vocab_size",
                 "max_positions", "type_vocab_size", "num_labels", "labels", "exit_layers", "exit_temperatures")


def _encode(name, s):
    if not isinstance(s, str):
        raise TypeError("%s must be str, not %s" % (name, type(s).__name__))
    if "\0" in s:
        raise ArgumentError("%s holds a NUL character, which rtj's C strings cannot carry" % name)
    return s.encode("utf-8")


def _char_offsets(text):
    """byte offset -> character offset of a str's UTF-8 encoding (a list of len(bytes) + 1)."""
    out = []
    for i, ch in enumerate(text):
        out.extend([i] * len(ch.encode("utf-8")))
    out.append(len(text))
    return out


class _ThreadContext:
    """A thread's rtj context, kept in the model's threading.local: when the thread ends, its local values
    go, and this frees the context (close() frees those of threads still alive)."""
    __slots__ = ("ptr", "owner")

    def __init__(self, ptr, owner):
        self.ptr, self.owner = ptr, weakref.ref(owner)

    def __del__(self):
        owner = self.owner()
        if owner is not None:
            try:
                owner._drop_context(self.ptr)
            except Exception:  # noqa: BLE001 - interpreter shutdown: nothing left to free into
                pass


class Model:
    """A model loaded from an .rtj file or a Hugging Face checkpoint directory.

    path: None = the bundled default model (found as rtj-run finds it; see rtj._lib.default_model_path).
    dtype: "int8" (the encoder's linear layers quantized at load, or as stored in an INT8 .rtj file) or
    "fp32" (an INT8 .rtj file cannot be loaded as FP32: that raises). threads: worker threads of each
    context; 0 = every online CPU. With several Python threads, each has a context with that many
    workers: give threads=1 to keep the machine from being oversubscribed.
    """

    def __init__(self, path=None, dtype="int8", threads=0):
        if dtype not in _DTYPES:
            raise ArgumentError("dtype must be 'int8' or 'fp32', got %r" % (dtype,))
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 0:
            raise ArgumentError("threads must be an int >= 0 (0 = every CPU), got %r" % (threads,))
        self._model = None
        self._closed = False
        if path is None:
            path, looked = _lib.default_model_path()
            if path is None:
                raise Error(_lib.RTJ_ERR_IO, "no path given and the bundled default model is not installed "
                            "(looked for %s)" % ", ".join(looked))
        path = os.fspath(path)
        opts = _lib.LoadOptions(_DTYPES[dtype], threads)
        err = _lib.Error()
        handle = ctypes.c_void_p()
        st = lib.rtj_model_load(_encode("path", path), ctypes.byref(opts), ctypes.byref(handle), ctypes.byref(err))
        if st != _lib.RTJ_OK:
            _raise(st, err.message.decode(errors="replace") or None)
        self._model = handle
        self._path = path
        self._lock = threading.Condition()
        self._active = 0
        self._contexts = []
        self._local = threading.local()
        self.info = self._read_info()

    def _read_info(self):
        i = _lib.ModelInfo()
        lib.rtj_model_get_info(self._model, ctypes.byref(i))
        info = ModelInfo()
        for k in ("hidden", "layers", "heads", "intermediate", "vocab_size", "max_positions", "type_vocab_size",
                  "num_labels"):
            setattr(info, k, getattr(i, k))
        info.path = self._path
        info.dtype = "int8" if i.dtype == _lib.DTYPE_INT8 else "fp32"
        info.isa = i.isa.decode()
        info.labels = [i.labels[k].decode() for k in range(i.num_labels)]
        info.exit_layers = [i.exit_layers[k] for k in range(i.num_exits)]
        info.exit_temperatures = [i.exit_temperatures[k] for k in range(i.num_exits)]
        return info

    # ---- lifetime ---------------------------------------------------------------------------------------
    def close(self):
        """Frees the model and every thread's context; waits for calls under way in other threads."""
        if self._model is None:
            return
        with self._lock:
            if self._closed:
                return
            self._closed = True  # no new call starts; the ones under way still use the model
            while self._active:
                self._lock.wait()
            for c in self._contexts:
                lib.rtj_context_free(c)
            self._contexts = []
            model, self._model = self._model, None
        lib.rtj_model_free(model)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        if getattr(self, "_model", None) is not None:
            self.close()

    def __repr__(self):
        state = "closed" if self._closed else "%s, %s" % (self.info.dtype, self.info.isa)
        return "rtj.Model(%r, %s)" % (self._path, state)

    def _hold(self):
        """Marks a call under way (close() waits for it); raises if the model is closed."""
        with self._lock:
            if self._closed:
                raise Error(_lib.RTJ_ERR_ARG, "the model is closed")
            self._active += 1

    def _enter(self):
        """_hold, then this thread's context (made at its first call)."""
        self._hold()
        held = getattr(self._local, "ctx", None)
        if held is None:
            ctx = ctypes.c_void_p()
            st = lib.rtj_context_new(self._model, ctypes.byref(ctx))
            if st != _lib.RTJ_OK:
                self._leave()
                _raise(st, "cannot make a context: " + _strerror(st))
            with self._lock:
                self._contexts.append(ctx.value)
            held = self._local.ctx = _ThreadContext(ctx.value, self)
        return held.ptr

    def _drop_context(self, ptr):
        with self._lock:
            if ptr in self._contexts:  # not yet freed by close()
                self._contexts.remove(ptr)
                lib.rtj_context_free(ptr)

    def _leave(self):
        with self._lock:
            self._active -= 1
            self._lock.notify_all()

    # ---- classification ---------------------------------------------------------------------------------
    def classify(self, texts, pairs=None, threshold=0.9, all_exits=False, batch_size=32):
        """Classifies a text (str: returns one Result) or a sequence of texts (returns a list of Results,
        in order). pairs: the second texts of sentence pairs (a str for one text; for a sequence, one str
        or None per text). threshold in [0, 1]: each input leaves at the first exit whose calibrated max
        probability reaches it; None = no early exit. all_exits=True runs every input to the last exit
        and fills Result.exits. Inputs run batch_size at a time as one packed batch; results are the same,
        bit for bit, whatever batch_size (and thread count) is used."""
        single = isinstance(texts, str)
        if single:
            if pairs is not None and not isinstance(pairs, str):
                raise TypeError("with one text, pairs must be one str or None")
            texts, pairs = [texts], None if pairs is None else [pairs]
        texts = list(texts)
        if pairs is not None:
            pairs = list(pairs)
            if len(pairs) != len(texts):
                raise ArgumentError("pairs has %d items for %d texts" % (len(pairs), len(texts)))
        if threshold is None:
            threshold = _lib.NO_EARLY_EXIT
        elif isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
            raise ArgumentError("threshold must be a number in [0, 1] or None, got %r" % (threshold,))
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ArgumentError("batch_size must be an int >= 1, got %r" % (batch_size,))
        enc = [_encode("texts[%d]" % i, t) for i, t in enumerate(texts)]
        enc_pairs = (None if pairs is None else
                     [None if p is None else _encode("pairs[%d]" % i, p) for i, p in enumerate(pairs)])
        opts = _lib.ClassifyOptions(threshold, 1 if all_exits else 0)
        out = []
        ctx = self._enter()
        try:
            for s in range(0, len(enc), batch_size):
                out += self._batch(ctx, enc[s:s + batch_size], enc_pairs and enc_pairs[s:s + batch_size], opts, s)
        finally:
            self._leave()
        return out[0] if single else out

    def _batch(self, ctx, texts, pairs, opts, first):
        n = len(texts)
        c_texts = (ctypes.c_char_p * n)(*texts)
        c_pairs = None if pairs is None else (ctypes.c_char_p * n)(*pairs)
        res = (_lib.Result * n)()
        st = lib.rtj_classify_batch(ctx, n, c_texts, c_pairs, ctypes.byref(opts), res)
        if st != _lib.RTJ_OK:
            # Name the input at fault: classified alone, the first that fails.
            for i in range(n):
                one = (_lib.Result * 1)()
                p1 = None if pairs is None else (ctypes.c_char_p * 1)(pairs[i])
                s1 = lib.rtj_classify_batch(ctx, 1, (ctypes.c_char_p * 1)(texts[i]), p1, ctypes.byref(opts), one)
                if s1 != _lib.RTJ_OK:
                    _raise(s1, "texts[%d]: %s" % (first + i, _strerror(s1)))
            _raise(st)
        return [Result(r) for r in res]

    # ---- tokenization -----------------------------------------------------------------------------------
    def tokenize(self, text, pair=None):
        """The tokens the model classifies text (and pair) as: its own vocabulary and casing, truncated
        to max_positions as classification truncates. Returns Tokens."""
        a = _encode("text", text)
        b = None if pair is None else _encode("pair", pair)
        self._hold()
        try:
            tok = lib.rtj_model_tokenizer(self._model)
            out = _lib.TokOutput()
            lib.rtj_tok_output_init(ctypes.byref(out))
            try:
                st = lib.rtj_tokenize(tok, a, len(a), b, 0 if b is None else len(b), self.info.max_positions,
                                      ctypes.byref(out))
                if st != 0:
                    raise Error(_lib.RTJ_ERR_INPUT, "tokenize: " + lib.rtj_tokenizer_strerror(st).decode())
                vocab = lib.rtj_tokenizer_vocab(tok)
                t = Tokens()
                t.ids = out.ids[:out.n]
                t.type_ids = out.type_ids[:out.n]
                t.tokens = [lib.rtj_vocab_token(vocab, i, None).decode("utf-8", "replace") for i in t.ids]
                maps = (_char_offsets(text), None if pair is None else _char_offsets(pair))
                t.offsets = [(maps[ty][o.start], maps[ty][o.end]) if o.end > o.start else (0, 0)
                             for ty, o in zip(t.type_ids, out.offsets[:out.n])]
                t.truncated, t.truncated_pair = out.truncated_a, out.truncated_b
            finally:
                lib.rtj_tok_output_free(ctypes.byref(out))
        finally:
            self._leave()
        return t


for _cls in (Error, ArgumentError, Exit, Result, Tokens, ModelInfo, Model):
    _cls.__module__ = "rtj"
