"""What tools/tokenizer_reference.py puts in the conformance corpus: real sentences from ../shared/data, hard
cases written by hand, and a sweep over the Unicode table. Each item is (mode, max_len, text_a, text_b);
texts are str, or bytes when they must hold invalid UTF-8."""
import unicodedata

DATA = "../shared/data/"


def data_cases(read_tsv, json, csv):
    sst2_dev = [s for (s,) in read_tsv(DATA + "sst2/glue_sst2_dev.tsv", [0])]
    yield "sst2 dev (all)", [("u", 0, s, None) for s in sst2_dev]
    train = [s for (s,) in read_tsv(DATA + "sst2/glue_sst2_train.tsv", [0])]
    yield "sst2 train (every 20th)", [("u", 0, s, None) for s in train[::20]]
    snli = read_tsv(DATA + "snli/snli_dev_becel.tsv", [0, 1]) + read_tsv(DATA + "snli/snli_test_becel.tsv", [0, 1])
    yield "snli pairs (every 16th)", [("u", 0, p, h) for p, h in snli[::16]]
    yield "snli pairs, cased (every 60th)", [("c", 0, p, h) for p, h in snli[5::60]]
    yield "snli pairs truncated", [("u", (8, 12, 16, 24)[i % 4], p, h) for i, (p, h) in enumerate(snli[7::40])]
    with open(DATA + "mnli/mnli_dev_matched.jsonl", encoding="utf-8") as f:
        mnli = [json.loads(line) for line in f]
    mnli = [(r["premise"], r["hypothesis"]) for r in mnli]
    yield "mnli pairs (every 8th)", [("u", 0, p, h) for p, h in mnli[::8]]
    yield "mnli pairs, cased (every 40th)", [("c", 0, p, h) for p, h in mnli[3::40]]
    yield "mnli pairs truncated", [("u", (5, 10, 20, 32, 48)[i % 5], p, h) for i, (p, h) in enumerate(mnli[1::25])]
    with open(DATA + "agnews/ag_news_test.csv", encoding="utf-8", newline="") as f:
        ag = [(r[1], r[2]) for r in csv.reader(f)]
    yield "ag news title + description (every 10th)", [("u", 0, t, d) for t, d in ag[::10]]
    yield "ag news, single text truncated", [("u", (3, 16, 64)[i % 3], t + " " + d, None)
                                              for i, (t, d) in enumerate(ag[2::50])]


HARD = [
    # empty, whitespace, punctuation only
    "", " ", "   \t\n\r  ", "\u00a0\u3000\u2003", "!", "!!!", "...", "?!,.;:'\"", "()[]{}<>", "-_-", "\u2014\u2026\u00bf\u00a1",
    # accents and case in many scripts
    "Café Résumé NAÏVE Ångström Œuvre façade Crème Brûlée", "ÀÁÂÃÄÅ àáâãäå ÇçÑñ Ýÿ ÐðÞþ Øø",
    "ΟΔΥΣΣΕΥΣ Ἀθῆναι ἀλήθεια ΣΊΣΥΦΟΣ ΌΣΟΣ ς σ Σ ᾼ ᾳ ΐ ΰ",
    "Москва ЁЛКА Йогурт Ўзбек Ґанок ЇЖАК Љубав", "İSTANBUL ıstanbul Iİıi İi Dİ",
    "Straße STRASSE ẞ groß Maß ß", "Łódź Żółć Gęś Ćma", "Tiếng Việt Nguyễn Phở",
    "Ερμής ΕΡΜΗΣ Ἑρμῆς", "Երևան ԵՐԵՎԱՆ և ﬓ", "ქართული ᲥᲐᲠᲗᲣᲚᲘ", "ᎠᎡᎢ ꭰꭱ Ꭰꭰ",
    "𐐀𐐁 𐐨𐐩 Ⰰⰰ 𞤀𞤢", "ǅ ǆ Ǆ ǈ ǲ", "Ⅻ ⅻ Ⓐ ⓐ", "ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ", "K Å Ω ℵ", "ŉ ǰ ẖ ẗ ẘ ẙ ẚ",
    # CJK, kana, Hangul
    "中文分词测试，我们来看看。", "日本語のテキスト、カタカナとひらがな。", "ｶﾀｶﾅ ＡＢＣ１２３！＃",
    "豈 更 車 賈 𠀀𠀁𪜀 丽 丸", "한국어 텍스트 입니다.", "\u1112\u1161\u11ab\u1100\u1173\u11af", "한\u11ab 가\u11a8",
    "㐀㐁 䶵 鿿 ꀀ", "abc中def", "中a文b", "ア゙ イ゙ か\u3099",
    # emoji, ZWJ sequences, flags, keycaps, skin tones, variation selectors
    "I ❤️ NY 👍🏽 👨\u200d👩\u200d👧\u200d👦 🏳️\u200d🌈 ☕ 🙂", "🇺🇸🇫🇷 1️⃣ #️⃣ ©️ ™", "good😀bad 😂😂😂",
    "a\ufe0fb a\ufe0eb \U000E0067\U000E0062",
    # combining marks, canonical reordering
    "e\u0301 a\u0308 \u0301x o\u0323\u0302 x\u0335y", "a\u0301\u0323 a\u0323\u0301 q\u0307\u0323 q\u0323\u0307",
    "\u0301\u0302\u0303", "x\U0001D16D\U0001D165 x\U0001D165\U0001D16D", "\u0915\u093c\u094d \u0915\u094d\u093c",
    "שָׁלוֹם עוֹלָם", "مَرْحَبًا بِكُمْ", "नमस्ते दुनिया", "สวัสดีครับ", "வணக்கம்", "ᄀᄁ ᅡᅢ ᆨᆩ",
    "Å A\u030a Å \u212b", "≠ a≠b a=\u0338b ≮ <\u0338 ≯", "ǭ ǭ ǭ", "\u1fef\u0060 \u037e \u0387",
    # control and format characters
    "a\x00b", "a\x01b\x02c", "a\u200bb", "a\u200cb a\u200db", "a\ufeffb", "soft\u00adhyphen", "\u202eabc\u202c",
    "a\x7fb", "a\x85b", "a\x1cb\x1dc\x1ed\x1fe", "a\u2028b\u2029c", "\ufffd", "a\ufffdb", "\x0b\x0ca\x0b\x0c",
    "a\u180eb", "\u2066x\u2069", "a\u0600b", "a\U000E0001b", "\ue000\uf8ff \U000F0000",
    # the Unicode spaces
    "a\u00a0b", "a\u1680b", "a\u2000b\u2001c\u2002d\u2003e\u2004f\u2005g\u2006h\u2007i\u2008j\u2009k\u200al",
    "a\u202fb\u205fc\u3000d", "a\tb\nc\rd", "  leading and trailing  ",
    # punctuation of every category, and symbols that are not
    "a_b a‿b a⁀b", "a-b a–b a—b a‐b a⸗b", "(a)[b]{c}（d）【e】「f」", "«a» “b” ‘c’ ‹d› ⸂e⸃",
    "a!b¡c¿d§e¶f·g。h、i", "$5 €5 £5 ¥5 ©2024 ®™ 30° ±1 2×3 6÷2", "a$b+c<d=e>f^g`h|i~j",
    "a@b#c%d&e*f\\g/h", "‰ ‱ ′ ″ ※ ⁂ ⁋ ⸘ ⸮", "a\u2e3bb \u2e52 \u30fb",
    # long words
    "a" * 100, "a" * 101, "ab" * 50, "é" * 100, "é" * 101, "E\u0301" * 60, "x" * 99 + " " + "y" * 101,
    "pneumonoultramicroscopicsilicovolcanoconiosis " * 3, "supercalifragilisticexpialidocious" * 3,
    "Ａ" * 101, "\u0301" * 150 + "a", "z" * 100 + "\u0301",
    # URLs, numbers, mixed
    "https://www.example.com/path/to/page?q=1&x=y#frag", "john.doe+tag@example.org", "C:\\Program Files\\x",
    "#hashtag @user http://t.co/AbC123", "3.14159 1,000,000 -42 1e10 0x1F", "½ ² ¾ ① ٣ ७ ๓ 〇 Ⅳ",
    "$100.00 50% 2nd 10th 24/7 9:30am", "I'm don't won't y'all rock'n'roll", "U.S.A. e.g. i.e. etc.",
    "HELLO World hElLo", "The Quick Brown Fox Jumps Over The Lazy Dog",
    "unaffable unbelievably antidisestablishmentarianism", "naïveté coöperate façade",
    # special tokens in the text
    "[CLS]", "[SEP] hello [SEP]", "x[MASK]y", "[cls] [Cls]", "[ CLS ]", "[CL\x00S]", "[CL\u200bS] x",
    "[CLS", "[[SEP]]", "[UNK] [PAD][PAD]", "[MASK]ed", "hello[SEP]world", "[SEP\u0301]", "[\u00a0SEP]",
    "[unused0] [unused1]", "##ing ## #",
]

INVALID_UTF8 = [
    b"\xff", b"a\xffb", b"\xc3", b"caf\xc3", b"caf\xc3 x", b"\xe2\x82", b"a\xe2\x82b", b"\xf0\x9f\x98",
    b"\xf0\x9f\x98a", b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xe0\x9f\xbf", b"\xf0\x80\x80\xaf",
    b"\xf0\x8f\xbf\xbf", b"\xed\xa0\x80", b"a\xed\xbf\xbfb", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80",
    b"\xf8\x88\x80\x80\x80", b"\x80", b"a\x80\x80b", b"\xbf", b"\xfe\xff", b"hello \xe4\xb8 world",
    b"\xe4\xb8\xad\xe6\x96", b"\xce\x91\xce", b"x\xc3\x28y", b"[CL\xffS]", b"\xef\xbf\xbd\xef\xbf",
    b"ok \xf4\x8f\xbf\xbf ok",
]


def unicode_sweep(modes):
    """Every code point Python's unicodedata assigns, each as "a<c>a", 40 to a line; big uniform blocks
    (CJK ideographs, Hangul syllables, private use, Tangut) sampled."""
    big = [(0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xE000, 0xF8FF), (0x17000, 0x18AFF),
           (0x18D00, 0x18D08), (0x20000, 0x323AF), (0xF0000, 0x10FFFF)]
    cps = []
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000 or unicodedata.category(chr(cp)) == "Cn":
            continue
        if any(lo <= cp <= hi for lo, hi in big) and cp % 97:
            continue
        cps.append(cp)
    items = []
    for mode in modes:
        sel = cps
        if mode == "c":  # cased mode differs only where NFC can change something
            sel = [c for c in cps if unicodedata.decomposition(chr(c)) or unicodedata.combining(chr(c))
                   or unicodedata.normalize("NFC", chr(c)) != chr(c)]
        for i in range(0, len(sel), 40):
            items.append((mode, 0, " ".join("a" + chr(c) + "a" for c in sel[i:i + 40]), None))
    return items


def marks_sweep():
    """Every combining mark after a few bases and after each other: composition and reordering."""
    marks = [cp for cp in range(0x110000) if not 0xD800 <= cp < 0xE000 and unicodedata.combining(chr(cp))]
    items = []
    for mode in ("u", "c"):
        for i in range(0, len(marks), 40):
            group = marks[i:i + 40]
            items.append((mode, 0, " ".join(b + chr(m) for m in group for b in "aEo<"), None))
            items.append((mode, 0, " ".join("x" + chr(m) + chr(n) for m, n in zip(group, group[1:] + group[:1])),
                          None))
    return items


# Pieces that interact: marks and what they compose with or reorder against, punctuation, special tokens,
# CJK, jamo and syllables, controls, invalid bytes. random_mixes() strings them together.
ATOMS = [b"a", b"B", b"e", b"I", b" ", b"  ", b"!", b".", b"[", b"]", b"[SEP]", b"[CLS]", b"[MASK]", b"##", b"<",
         b"=", b"ing", b"the", b"\t", b"\n", b"\x00", b"\x01", b"\x7f", b"\xff", b"\x80", b"\xc3", b"\xe2\x82",
         b"\xed\xa0\x80", b"\xc0\xaf"] + [c.encode() for c in [
    "\u0301", "\u0308", "\u0323", "\u0338", "\u0345", "\u05b4", "\u093c", "\u094d", "\u3099", "\U0001D165",
    "\U0001D16D", "\u0f71", "\u0f72", "é", "É", "İ", "ı", "Σ", "ς", "ß", "ẞ", "ﬁ", "Å", "Å", "ᾼ", "ǅ", "中", "豈",
    "\U00020000", "가", "\u1100", "\u1161", "\u11a8", "ア", "\u00a0", "\u3000", "\u2028", "\u200b", "\u200d",
    "\ufeff", "\u00ad", "\ufffd", "¿", "—", "«", "、", "€", "😀", "\ufe0f", "\U000E0061", "≠", "½", "Ⅻ", "ǰ"]]


def random_mixes(count):
    import random
    rng = random.Random(20240601)
    items = []
    for i in range(count):
        text = b"".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 24)))
        items.append(("uc"[i % 2], 0, text, None))
    return items


# Code points that Unicode 15.0 assigned and Python 3.11's unicodedata (14.0) leaves unassigned, which
# BertTokenizer then drops (as category Cn): all 45 ranges, sampled. tests/test_tokenizer_corpus.c explains
# what the C tokenizer, on UCD 15.0, does with them instead.
UNICODE15_RANGES = [
    (0xCF3, 0xCF3), (0xECE, 0xECE), (0x10EFD, 0x10EFF), (0x1123F, 0x11241), (0x11B00, 0x11B09), (0x11F00, 0x11F10),
    (0x11F12, 0x11F3A), (0x11F3E, 0x11F59), (0x1342F, 0x1342F), (0x13439, 0x13455), (0x1B132, 0x1B132),
    (0x1B155, 0x1B155), (0x1D2C0, 0x1D2D3), (0x1DF25, 0x1DF2A), (0x1E030, 0x1E06D), (0x1E08F, 0x1E08F),
    (0x1E4D0, 0x1E4F9), (0x1F6DC, 0x1F6DC), (0x1F774, 0x1F776), (0x1F77B, 0x1F77F), (0x1F7D9, 0x1F7D9),
    (0x1FA75, 0x1FA77), (0x1FA87, 0x1FA88), (0x1FAAD, 0x1FAAF), (0x1FABB, 0x1FABD), (0x1FABF, 0x1FABF),
    (0x1FACE, 0x1FACF), (0x1FADA, 0x1FADB), (0x1FAE8, 0x1FAE8), (0x1FAF7, 0x1FAF8), (0x2B739, 0x2B739),
    (0x31350, 0x323AF)]
UNICODE15 = sorted({c for lo, hi in UNICODE15_RANGES for c in range(lo, hi + 1) if hi - lo < 64 or c % 97 == 0 or c in (lo, hi)})

# Unassigned in both versions (noncharacters, gaps, unassigned planes, a gap inside a CJK block): dropped.
UNASSIGNED = [0x0378, 0x0380, 0x05FF, 0x2072, 0xFDD0, 0xFDEF, 0xFFFE, 0xFFFF, 0x1FFFE, 0x2FFFE, 0xE0000, 0xE0080,
              0xEFFFF, 0x10FFFF, 0x3134B, 0x323B0, 0x40000, 0x2B73A, 0x2A6E0, 0x2CEA2]


def sections(read_tsv, json, csv):
    yield from data_cases(read_tsv, json, csv)
    yield "hard cases", [(m, 0, t, None) for m in ("u", "c") for t in HARD]
    yield "invalid UTF-8", [(m, 0, t, None) for m in ("u", "c") for t in INVALID_UTF8]
    yield "random mixes of tricky pieces", random_mixes(1500)
    pairs = [("", ""), ("a", ""), ("", "b"), ("[SEP]", "[CLS]"), (" ", "\t"), ("Hello!", "World?")]
    long_a = "the quick brown fox jumps over the lazy dog " * 4
    long_b = "a stitch in time saves nine , they say ! " * 3
    yield "pairs", [("u", 0, a, b) for a, b in pairs]
    yield "pairs truncated on both sides", [("u", n, a, b) for n in (3, 4, 5, 6, 7, 10, 17, 30, 60)
                                             for a, b in ((long_a, long_b), (long_b, long_a), (long_a, long_a),
                                                          ("one two", long_b), (long_a, "x"))]
    yield "single truncated", [("u", n, long_a, None) for n in (3, 4, 5, 20, 37, 38, 39, 40)]
    yield "unicode sweep", unicode_sweep(("u", "c"))
    yield "combining marks sweep", marks_sweep()
    yield "unassigned code points", [(m, 0, "a" + chr(c) + "b " + chr(c), None) for m in ("u", "c") for c in UNASSIGNED]
    yield "unicode 15.0 additions", [(m, 0, "a" + chr(c) + "b", None) for m in ("u", "c") for c in UNICODE15]
