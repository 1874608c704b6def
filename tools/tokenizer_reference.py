#!/usr/bin/python3
"""An independent reference for rtj's WordPiece tokenizer, and the generator of its conformance corpus.

It follows Hugging Face transformers' slow BertTokenizer (transformers 4.x: PreTrainedTokenizer.tokenize,
BasicTokenizer, WordpieceTokenizer, truncation="longest_first") step by step, with Python's own
unicodedata and str.lower(); it shares no code or table with the C library, whose tables come from the
UCD files of Debian's unicode-data package. Nothing here is fast or clever on purpose.

    tools/tokenizer_reference.py tokenize [--cased] [--max-len N] TEXT [TEXT_B]
    tools/tokenizer_reference.py corpus [--out tests/data/tokenizer_corpus.tsv]   # run from the repo root

The corpus is a TSV file, one case a line: mode, max_len, text_a, text_b, expected ids. mode is "u"
(do_lower_case=True) or "c" (False); max_len 0 = no truncation;
text_b is \\N for a single text. Texts are bytes, escaped: \\\\ \\t \\n \\r, and \\xHH for control
characters, U+2028/U+2029 and bytes that are not UTF-8. Lines starting with # are comments.
"""
import csv
import json
import re
import sys
import unicodedata

VOCAB = "../shared/data/vocab/bert-base-uncased-vocab.txt"
SPECIALS = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"]


# ---- transformers' tokenization_bert.py, as it reads ------------------------------------------------------
def load_vocab(path):
    vocab = {}
    with open(path, "r", encoding="utf-8") as reader:
        tokens = reader.readlines()
    for index, token in enumerate(tokens):
        vocab[token.rstrip("\n")] = index
    return vocab


def whitespace_tokenize(text):
    text = text.strip()
    if not text:
        return []
    return text.split()


def _is_whitespace(char):
    if char == " " or char == "\t" or char == "\n" or char == "\r":
        return True
    return unicodedata.category(char) == "Zs"


def _is_control(char):  # transformers' (tokenization_utils.py), not Google's: any C*, unassigned too
    if char == "\t" or char == "\n" or char == "\r":
        return False
    return unicodedata.category(char).startswith("C")


def _is_punctuation(char):
    cp = ord(char)
    if (33 <= cp <= 47) or (58 <= cp <= 64) or (91 <= cp <= 96) or (123 <= cp <= 126):
        return True
    return unicodedata.category(char).startswith("P")


class BasicTokenizer:
    def __init__(self, do_lower_case=True, never_split=None, tokenize_chinese_chars=True, strip_accents=None):
        self.do_lower_case = do_lower_case
        self.never_split = set(never_split or [])
        self.tokenize_chinese_chars = tokenize_chinese_chars
        self.strip_accents = strip_accents

    def tokenize(self, text, never_split=None):
        never_split = self.never_split.union(set(never_split)) if never_split else self.never_split
        text = self._clean_text(text)
        if self.tokenize_chinese_chars:
            text = self._tokenize_chinese_chars(text)
        unicode_normalized_text = unicodedata.normalize("NFC", text)
        orig_tokens = whitespace_tokenize(unicode_normalized_text)
        split_tokens = []
        for token in orig_tokens:
            if token not in never_split:
                if self.do_lower_case:
                    token = token.lower()
                    if self.strip_accents is not False:
                        token = self._run_strip_accents(token)
                elif self.strip_accents:
                    token = self._run_strip_accents(token)
            split_tokens.extend(self._run_split_on_punc(token, never_split))
        return whitespace_tokenize(" ".join(split_tokens))

    def _run_strip_accents(self, text):
        text = unicodedata.normalize("NFD", text)
        return "".join(c for c in text if unicodedata.category(c) != "Mn")

    def _run_split_on_punc(self, text, never_split=None):
        if never_split is not None and text in never_split:
            return [text]
        output, start_new_word = [], True
        for char in text:
            if _is_punctuation(char):
                output.append([char])
                start_new_word = True
            else:
                if start_new_word:
                    output.append([])
                start_new_word = False
                output[-1].append(char)
        return ["".join(x) for x in output]

    def _tokenize_chinese_chars(self, text):
        output = []
        for char in text:
            if self._is_chinese_char(ord(char)):
                output += [" ", char, " "]
            else:
                output.append(char)
        return "".join(output)

    @staticmethod
    def _is_chinese_char(cp):
        return ((0x4E00 <= cp <= 0x9FFF) or (0x3400 <= cp <= 0x4DBF) or (0x20000 <= cp <= 0x2A6DF)
                or (0x2A700 <= cp <= 0x2B73F) or (0x2B740 <= cp <= 0x2B81F) or (0x2B820 <= cp <= 0x2CEAF)
                or (0xF900 <= cp <= 0xFAFF) or (0x2F800 <= cp <= 0x2FA1F))

    def _clean_text(self, text):
        output = []
        for char in text:
            cp = ord(char)
            if cp == 0 or cp == 0xFFFD or _is_control(char):
                continue
            output.append(" " if _is_whitespace(char) else char)
        return "".join(output)


class WordpieceTokenizer:
    def __init__(self, vocab, unk_token, max_input_chars_per_word=100):
        self.vocab, self.unk_token, self.max_input_chars_per_word = vocab, unk_token, max_input_chars_per_word

    def tokenize(self, text):
        output_tokens = []
        for token in whitespace_tokenize(text):
            chars = list(token)
            if len(chars) > self.max_input_chars_per_word:
                output_tokens.append(self.unk_token)
                continue
            is_bad, start, sub_tokens = False, 0, []
            while start < len(chars):
                end, cur_substr = len(chars), None
                while start < end:
                    substr = "".join(chars[start:end])
                    if start > 0:
                        substr = "##" + substr
                    if substr in self.vocab:
                        cur_substr = substr
                        break
                    end -= 1
                if cur_substr is None:
                    is_bad = True
                    break
                sub_tokens.append(cur_substr)
                start = end
            output_tokens.extend([self.unk_token] if is_bad else sub_tokens)
        return output_tokens


# ---- BertTokenizer with PreTrainedTokenizer's tokenize() and prepare_for_model() -------------------------
class BertTokenizer:
    def __init__(self, vocab, do_lower_case=True):
        self.vocab = vocab
        self.do_lower_case = do_lower_case
        self.basic_tokenizer = BasicTokenizer(do_lower_case=do_lower_case)
        self.wordpiece_tokenizer = WordpieceTokenizer(vocab, "[UNK]")
        self.trie = re.compile("(" + "|".join(re.escape(s) for s in SPECIALS) + ")")

    def tokenize(self, text):
        if self.do_lower_case:
            # PreTrainedTokenizer.tokenize lowercases before anything else, one character at a time
            # ("(.+?)" matches one character), leaving special tokens as they are: so str.lower() never
            # sees a word, and a final capital sigma becomes σ, not ς.
            pattern = r"(" + r"|".join(re.escape(s) for s in SPECIALS) + r")|" + r"(.+?)"
            text = re.sub(pattern, lambda m: m.groups()[0] or m.groups()[1].lower(), text)
        # The added-tokens trie: special tokens are cut out of the raw text wherever they are. (Their
        # AddedToken lstrip/rstrip only trims whitespace next to them, which tokenizing drops anyway.)
        tokens = []
        for piece in self.trie.split(text):
            if not piece:
                continue
            if piece in SPECIALS:
                tokens.append(piece)
                continue
            for token in self.basic_tokenizer.tokenize(piece, never_split=SPECIALS):
                tokens += self.wordpiece_tokenizer.tokenize(token)
        return tokens

    def ids(self, text):
        return [self.vocab.get(t, self.vocab["[UNK]"]) for t in self.tokenize(text)]

    def encode(self, text_a, text_b=None, max_len=0):
        a = self.ids(text_a)
        b = self.ids(text_b) if text_b is not None else None
        if max_len:
            remove = len(a) + (len(b) + 3 if b is not None else 2) - max_len
            for _ in range(max(remove, 0)):  # truncate_sequences, "longest_first"
                if b is None or len(a) > len(b):
                    a = a[:-1]
                else:
                    b = b[:-1]
        cls, sep = self.vocab["[CLS]"], self.vocab["[SEP]"]
        return [cls] + a + [sep] + (b + [sep] if b is not None else [])


# ---- The corpus file ---------------------------------------------------------------------------------------
def escape(raw):
    out = []
    for ch in raw.decode("utf-8", "surrogateescape"):
        cp = ord(ch)
        if 0xDC80 <= cp <= 0xDCFF:
            out.append("\\x%02X" % (cp - 0xDC00))
        elif ch in "\\\t\n\r":
            out.append({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}[ch])
        elif cp < 0x20 or 0x7F <= cp < 0xA0 or cp in (0x2028, 0x2029):
            out.extend("\\x%02X" % b for b in ch.encode("utf-8"))
        else:
            out.append(ch)
    return "".join(out)


def case_line(tokenizers, mode, max_len, a, b=None):
    """a, b: str or bytes (bytes may be invalid UTF-8; the tokenizer sees them decoded with "replace")."""
    a = a if isinstance(a, bytes) else a.encode("utf-8", "surrogatepass")
    b = b if isinstance(b, bytes) or b is None else b.encode("utf-8")
    tok = tokenizers[mode]
    ids = tok.encode(a.decode("utf-8", "replace"), None if b is None else b.decode("utf-8", "replace"), max_len)
    return "\t".join([mode, str(max_len), escape(a), "\\N" if b is None else escape(b), " ".join(map(str, ids))])


def read_tsv(path, cols):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
    return [tuple(r[c] for c in cols) for r in rows[1:]]


def main():
    args = sys.argv[1:]
    if not args or args[0] not in ("tokenize", "corpus"):
        print(__doc__)
        return 2
    vocab = load_vocab(VOCAB)
    if args[0] == "tokenize":
        cased = "--cased" in args
        max_len = int(args[args.index("--max-len") + 1]) if "--max-len" in args else 0
        texts = [a for i, a in enumerate(args[1:], 1) if not a.startswith("--") and args[i - 1] != "--max-len"]
        tok = BertTokenizer(vocab, do_lower_case=not cased)
        ids = tok.encode(texts[0], texts[1] if len(texts) > 1 else None, max_len)
        inv = {i: t for t, i in vocab.items()}
        print(" ".join(f"{inv[i]}:{i}" for i in ids))
        return 0
    out = args[args.index("--out") + 1] if "--out" in args else "tests/data/tokenizer_corpus.tsv"
    import tokenizer_corpus_cases as cases  # the hard cases and the data sample, beside this file
    tokenizers = {m: BertTokenizer(vocab, do_lower_case=m == "u") for m in ("u", "c")}
    lines = [f"# Generated by tools/tokenizer_reference.py corpus: expected ids from transformers' BertTokenizer",
             f"# algorithm re-implemented in Python {sys.version.split()[0]} with unicodedata "
             f"{unicodedata.unidata_version}; vocab {VOCAB}.",
             "# mode\tmax_len\ttext_a\ttext_b\tids"]
    for section, items in cases.sections(read_tsv, json, csv):
        lines.append(f"# section: {section}")
        lines += [case_line(tokenizers, *item) for item in items]
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\n".join(lines) + "\n")
    print(f"{out}: {sum(not l.startswith('#') for l in lines)} cases")
    return 0


if __name__ == "__main__":
    sys.exit(main())
