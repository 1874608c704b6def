#!/usr/bin/python3
"""Generates tokenizer/unicode_tables.{h,c} from the Unicode Character Database.

    apt-get install -y unicode-data            # Debian's copy of the UCD, /usr/share/unicode
    /usr/bin/python3 tokenizer/gen_unicode_tables.py [--check] [UCD_DIR]

Only the UCD files are read (UnicodeData.txt, SpecialCasing.txt, DerivedNormalizationProps.txt and
DerivedAge.txt for the version); Python's own unicodedata module is deliberately not used, so that the
tables follow the UCD package and tools/tokenizer_reference.py (which does use unicodedata) stays an
independent check. The output is deterministic: regenerating from the same UCD gives the same bytes.
--check compares the tables with Python's unicodedata on every code point that both assign.

Per code point the tables hold what BertTokenizer asks of a character:
  DROP   _clean_text removes it: U+0000, U+FFFD, and every category C* except \\t \\n \\r (transformers'
         _is_control: Cc, Cf, Co private use and Cn unassigned; Google's BERT dropped Cc and Cf only)
  WS     whitespace: _is_whitespace (space, \\t \\n \\r, Zs), plus what Python's str.split() also splits on
         and cleaning keeps (bidi class WS, B or S: U+2028, U+2029)
  CJK    _is_chinese_char: BERT's fixed list of CJK ideograph blocks (not a UCD property)
  PUNCT  _is_punctuation: category P*, or ASCII 33-47, 58-64, 91-96, 123-126
  ccc    canonical combining class, for canonical reordering
  the uncased mapping: NFD(lower(c)) without nonspacing marks (Mn), as lower() + _run_strip_accents
  the NFD mapping: full canonical decomposition, for NFC in cased mode
and one table of canonical compositions (primary composites) for NFC.
Hangul syllables are decomposed and composed arithmetically in C and have no entries here.
"""
import os
import sys

UCD = ([a for a in sys.argv[1:] if not a.startswith("--")] + ["/usr/share/unicode"])[0]
HERE = os.path.dirname(os.path.abspath(__file__))
NCP = 0x110000
S_BASE, S_COUNT = 0xAC00, 11172

F_DROP, F_WS, F_CJK, F_PUNCT, F_UMAP, F_NMAP, F_NONASCII = 1, 2, 4, 8, 16, 32, 64


def ucd_lines(name):
    with open(os.path.join(UCD, name), encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                yield [x.strip() for x in line.split(";")]


def read_version():
    with open(os.path.join(UCD, "DerivedAge.txt"), encoding="utf-8") as f:
        first = f.readline()  # "# DerivedAge-15.0.0.txt"
    return first.split("-", 1)[1].rsplit(".txt", 1)[0]


def read_unicode_data():
    cat, bidi, ccc, dec, lower = {}, {}, {}, {}, {}
    first = None
    for f in ucd_lines("UnicodeData.txt"):
        cp = int(f[0], 16)
        if f[1].endswith(", First>"):
            first = cp
            continue
        lo = first if f[1].endswith(", Last>") else cp
        first = None
        for c in range(lo, cp + 1):
            cat[c], bidi[c], ccc[c] = f[2], f[4], int(f[3])
            if f[5] and not f[5].startswith("<"):
                dec[c] = [int(x, 16) for x in f[5].split()]
            if f[13]:
                lower[c] = [int(f[13], 16)]
    return cat, bidi, ccc, dec, lower


def main():
    version = read_version()
    cat, bidi, ccc, dec, lower = read_unicode_data()
    # Python's str.lower() uses the full mappings of SpecialCasing.txt where they are unconditional
    # (U+0130 -> "i\u0307"); the conditional ones (Final_Sigma and the language-specific rules) are left
    # out: BertTokenizer lowers one character at a time, so no context ever applies.
    for f in ucd_lines("SpecialCasing.txt"):
        if len(f) >= 5 and f[4]:
            continue
        cp = int(f[0], 16)
        lower[cp] = [int(x, 16) for x in f[1].split()]
    full_excl = set()
    for f in ucd_lines("DerivedNormalizationProps.txt"):
        if f[1] == "Full_Composition_Exclusion":
            a, _, b = f[0].partition("..")
            full_excl.update(range(int(a, 16), int(b or a, 16) + 1))

    def is_hangul(c):
        return S_BASE <= c < S_BASE + S_COUNT

    def nfd(c):
        if is_hangul(c):
            raise ValueError("Hangul is decomposed in C")
        if c not in dec:
            return [c]
        return [x for d in dec[c] for x in nfd(d)]

    def reorder(s):
        # Canonical ordering: a stable sort by ccc of every run of non-starters.
        out, run = [], []
        for c in s + [None]:
            if c is not None and ccc.get(c, 0):
                run.append(c)
                continue
            out += sorted(run, key=lambda x: ccc.get(x, 0))
            run = []
            if c is not None:
                out.append(c)
        return out

    def is_cjk(c):
        return (0x4E00 <= c <= 0x9FFF or 0x3400 <= c <= 0x4DBF or 0x20000 <= c <= 0x2A6DF
                or 0x2A700 <= c <= 0x2B73F or 0x2B740 <= c <= 0x2B81F or 0x2B820 <= c <= 0x2CEAF
                or 0xF900 <= c <= 0xFAFF or 0x2F800 <= c <= 0x2FA1F)

    def base_flags(c):
        g = cat.get(c, "Cn")
        if c == 0 or c == 0xFFFD or (g[0] == "C" and c not in (9, 10, 13)):
            return F_DROP
        fl = 0
        if c in (9, 10, 13, 32) or g == "Zs" or bidi.get(c) in ("WS", "B", "S"):
            fl |= F_WS
        if is_cjk(c):
            fl |= F_CJK
        if 33 <= c <= 47 or 58 <= c <= 64 or 91 <= c <= 96 or 123 <= c <= 126 or g.startswith("P"):
            fl |= F_PUNCT
        return fl

    records, record_index, pool, pool_index = [], {}, [], {}

    def pool_put(seq):
        key = tuple(seq)
        if key not in pool_index:
            pool_index[key] = len(pool)
            pool.extend(seq)
        return pool_index[key]

    ascii_flags = []
    cp_record = [0] * NCP
    for c in range(NCP):
        fl = base_flags(c)
        # The C tokenizer classifies (drop, whitespace, CJK) the input character, BertTokenizer its
        # lowercase: they must agree. Punctuation is classified after mapping, as BertTokenizer does.
        lo = lower.get(c, [c])
        assert all(base_flags(x) & (F_DROP | F_WS | F_CJK) == fl & (F_DROP | F_WS | F_CJK) for x in lo), c
        umap = nmap = None
        if not is_hangul(c) and not fl & (F_DROP | F_WS):
            u = [x for x in reorder([y for l in lo for y in nfd(l)]) if cat.get(x, "Cn") != "Mn"]
            if u != [c]:
                umap = u
            n = nfd(c)
            if n != [c]:
                nmap = n
            for x in (umap or []) + (nmap or []):
                assert not base_flags(x) & (F_DROP | F_WS), (c, x)
                assert bool(base_flags(x) & F_CJK) == bool(fl & F_CJK), (c, x)
        if fl & (F_DROP | F_WS | F_CJK | F_PUNCT):
            assert ccc.get(c, 0) == 0, c  # these never take part in canonical reordering
        if umap is not None:
            fl |= F_UMAP
        if nmap is not None:
            fl |= F_NMAP
        rec = (fl, ccc.get(c, 0),
               pool_put(umap) if umap else 0, len(umap) if umap else 0,
               pool_put(nmap) if nmap else 0, len(nmap) if nmap else 0)
        if rec not in record_index:
            record_index[rec] = len(records)
            records.append(rec)
        cp_record[c] = record_index[rec]
        if c < 128:
            ascii_flags.append(fl & (F_DROP | F_WS | F_PUNCT))
    assert len(records) < 65536 and len(pool) < 65536
    # tokenizer/unicode.c writes a mapping into room for 4 code points (Hangul syllables take 3).
    assert max(max(r[3], r[5]) for r in records) <= 4

    comps = []
    for c, d in dec.items():
        if len(d) == 2 and c not in full_excl:
            for x in (c, d[0], d[1]):
                assert not base_flags(x) & (F_DROP | F_WS | F_CJK), c
            comps.append((d[0], d[1], c))
    comps.sort()

    if "--check" in sys.argv:
        check_against_python(cp_record, records, pool, comps, ccc, cat)

    # Two-stage table: pick the block size that makes stage 1 + stage 2 smallest.
    best = None
    for shift in range(5, 10):
        size = 1 << shift
        blocks, block_index, stage1 = [], {}, []
        for b in range(NCP >> shift):
            blk = tuple(cp_record[b * size:(b + 1) * size])
            if blk not in block_index:
                block_index[blk] = len(blocks)
                blocks.append(blk)
            stage1.append(block_index[blk])
        s1_bytes = 1 if len(blocks) < 256 else 2
        total = len(stage1) * s1_bytes + len(blocks) * size * 2
        if best is None or total < best[0]:
            best = (total, shift, stage1, blocks, s1_bytes)
    total, shift, stage1, blocks, s1_bytes = best
    byte_class = ascii_flags + [F_NONASCII] * 128
    write(version, shift, stage1, blocks, s1_bytes, records, pool, comps, byte_class)
    print(f"Unicode {version}: shift {shift}, {len(blocks)} blocks, {len(records)} records, "
          f"{len(pool)} pool code points, {len(comps)} compositions; "
          f"{total + len(records) * 8 + len(pool) * 4 + len(comps) * 12} bytes of tables")


def check_against_python(cp_record, records, pool, comps, ccc, cat):
    """Compares the tables with Python's unicodedata and str.lower() on every code point: what differs may
    only be code points that Python's older Unicode leaves unassigned (and so drops)."""
    import unicodedata as ud
    comp = {(a, b): c for a, b, c in comps}

    def compose(s):  # UAX #15 canonical composition, with the generated table
        out, starter, last = [], None, -1
        for c in s:
            cc = ccc.get(c, 0)
            if starter is not None and (last < cc or last == 0) and (out[starter], c) in comp:
                out[starter] = comp[(out[starter], c)]
                continue
            if cc == 0:
                starter, last = len(out), 0
            else:
                last = cc if starter is not None else 256
            out.append(c)
        return out

    bad = newer = 0
    for c in range(NCP):
        ch = chr(c) if not 0xD800 <= c < 0xE000 else None
        if ch is None or S_BASE <= c < S_BASE + S_COUNT:
            continue
        fl, cc, uoff, ulen, noff, nlen = records[cp_record[c]]
        g = ud.category(ch)
        if g == "Cn" and cat.get(c, "Cn") != "Cn":
            newer += 1
            continue
        want = F_DROP if c in (0, 0xFFFD) or (g[0] == "C" and ch not in "\t\n\r") else 0
        if not want:
            want |= F_WS if ch.isspace() or g == "Zs" else 0
            want |= F_PUNCT if 33 <= c <= 47 or 58 <= c <= 64 or 91 <= c <= 96 or 123 <= c <= 126 or g[0] == "P" else 0
        u = pool[uoff:uoff + ulen] if fl & F_UMAP else [c]
        n = pool[noff:noff + nlen] if fl & F_NMAP else [c]
        py_u = [ord(x) for x in ud.normalize("NFD", ch.lower()) if ud.category(x) != "Mn"]
        py_n = [ord(x) for x in ud.normalize("NFD", ch)]
        checks = [(fl & (F_DROP | F_WS | F_PUNCT), want), (cc, ud.combining(ch))]
        if not fl & (F_DROP | F_WS):  # dropped and whitespace characters are never mapped
            checks += [(u, py_u), (n, py_n), (compose(n), [ord(x) for x in ud.normalize("NFC", ch)])]
        for mine, theirs in checks:
            if mine != theirs:
                bad += 1
                print(f"U+{c:04X}: tables {mine}, Python {theirs}", file=sys.stderr)
    print(f"--check: Python's unicodedata {ud.unidata_version}: "
          f"{'agrees' if not bad else f'{bad} differences'} on every code point but the {newer} "
          f"it leaves unassigned and the UCD assigns")
    if bad:
        sys.exit(1)


def fmt_array(ctype, name, values, per_line, width):
    out = [f"const {ctype} {name}[{len(values)}] = {{"]
    for i in range(0, len(values), per_line):
        out.append("    " + ",".join(f"{v:>{width}}" for v in values[i:i + per_line]) + ",")
    out.append("};")
    return "\n".join(out)


def write(version, shift, stage1, blocks, s1_bytes, records, pool, comps, byte_class):
    s1_type = "uint8_t" if s1_bytes == 1 else "uint16_t"
    header = f"""/* Generated by tokenizer/gen_unicode_tables.py from the Unicode Character Database {version}
 * (Debian's unicode-data package). Do not edit; regenerate. What each field means: see the generator. */
#ifndef RTJ_UNICODE_TABLES_H
#define RTJ_UNICODE_TABLES_H

#include <stdint.h>

#define RTJ_UC_VERSION "{version}"

enum {{
    RTJ_UC_DROP = {F_DROP},   /* removed by cleaning: U+0000, U+FFFD, Cc and Cf except \\t \\n \\r */
    RTJ_UC_WS = {F_WS},     /* whitespace */
    RTJ_UC_CJK = {F_CJK},    /* a CJK ideograph: BERT puts spaces around it */
    RTJ_UC_PUNCT = {F_PUNCT},  /* punctuation: split off as a word of its own */
    RTJ_UC_UMAP = {F_UMAP},  /* the uncased mapping is not the character itself */
    RTJ_UC_NMAP = {F_NMAP},  /* the canonical decomposition is not the character itself */
    RTJ_UC_NONASCII = {F_NONASCII}, /* rtj_uc_byte_class only: a byte of a multi-byte character */
}};

typedef struct rtj_uc_record {{
    uint8_t flags;
    uint8_t ccc;       /* canonical combining class */
    uint8_t umap_len;  /* uncased mapping: NFD(lower(c)) less Mn; may be empty */
    uint8_t nmap_len;  /* full canonical decomposition */
    uint16_t umap_off; /* into rtj_uc_pool */
    uint16_t nmap_off;
}} rtj_uc_record;

typedef struct rtj_uc_composition {{
    uint32_t first, second, composite;
}} rtj_uc_composition;

#define RTJ_UC_SHIFT {shift}
extern const {s1_type} rtj_uc_stage1[{len(stage1)}];
extern const uint16_t rtj_uc_stage2[{len(blocks) << shift}];
extern const rtj_uc_record rtj_uc_records[{len(records)}];
extern const uint32_t rtj_uc_pool[{len(pool)}];
#define RTJ_UC_NCOMPOSITIONS {len(comps)}
extern const rtj_uc_composition rtj_uc_compositions[{len(comps)}]; /* sorted by (first, second) */
/* For the fast path, by byte: the flags of an ASCII character, RTJ_UC_NONASCII for any other byte. */
extern const uint8_t rtj_uc_byte_class[256];

#endif
"""
    flat = [r for blk in blocks for r in blk]
    body = [f"/* Generated by tokenizer/gen_unicode_tables.py from the Unicode Character Database {version}.\n"
            " * Do not edit; regenerate. */",
            '#include "unicode_tables.h"', "",
            fmt_array(s1_type, "rtj_uc_stage1", stage1, 48, 3), "",
            fmt_array("uint16_t", "rtj_uc_stage2", flat, 40, 4), "",
            f"const rtj_uc_record rtj_uc_records[{len(records)}] = {{"]
    for i in range(0, len(records), 10):
        body.append("    " + " ".join("{%d,%d,%d,%d,%d,%d}," % (r[0], r[1], r[3], r[5], r[2], r[4])
                                      for r in records[i:i + 10]))
    body += ["};", "", fmt_array("uint32_t", "rtj_uc_pool", [f"0x{v:X}" for v in pool], 24, 7), "",
             f"const rtj_uc_composition rtj_uc_compositions[{len(comps)}] = {{"]
    for i in range(0, len(comps), 8):
        body.append("    " + " ".join("{0x%X,0x%X,0x%X}," % c for c in comps[i:i + 8]))
    body += ["};", "", fmt_array("uint8_t", "rtj_uc_byte_class", byte_class, 32, 2), ""]
    with open(os.path.join(HERE, "unicode_tables.h"), "w", encoding="ascii", newline="\n") as f:
        f.write(header)
    with open(os.path.join(HERE, "unicode_tables.c"), "w", encoding="ascii", newline="\n") as f:
        f.write("\n".join(body))


if __name__ == "__main__":
    main()
