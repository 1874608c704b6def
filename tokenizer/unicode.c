/* The normalizing steps of BertTokenizer on code points: what lower() + NFD + dropping Mn does in uncased
 * mode, and NFC (decompose, reorder, compose) in cased mode. Only text outside ASCII comes here. */
#include "unicode.h"

int rtj_utf8_valid(const uint8_t *p, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = rtj_utf8_decode(p + i, n - i, &cp);
        if (k == 0)
            return 0;
        i += k;
    }
    return 1;
}

size_t rtj_uc_map(const rtj_uc_char *c, int uncased, rtj_uc_char *out)
{
    uint32_t cp = c->cp;
    if (rtj_is_hangul_syllable(cp)) {
        /* Jamo have no case and are not Mn: both modes decompose alike. */
        uint32_t s = cp - RTJ_HANGUL_S, t = s % RTJ_HANGUL_TCOUNT;
        out[0] = (rtj_uc_char){RTJ_HANGUL_L + s / RTJ_HANGUL_NCOUNT, c->start, c->end};
        out[1] = (rtj_uc_char){RTJ_HANGUL_V + (s % RTJ_HANGUL_NCOUNT) / RTJ_HANGUL_TCOUNT, c->start, c->end};
        if (t == 0)
            return 2;
        out[2] = (rtj_uc_char){RTJ_HANGUL_T + t, c->start, c->end};
        return 3;
    }
    const rtj_uc_record *r = rtj_uc_get(cp);
    unsigned flag = uncased ? RTJ_UC_UMAP : RTJ_UC_NMAP;
    if (!(r->flags & flag)) {
        out[0] = *c;
        return 1;
    }
    size_t len = uncased ? r->umap_len : r->nmap_len;
    const uint32_t *seq = rtj_uc_pool + (uncased ? r->umap_off : r->nmap_off);
    for (size_t i = 0; i < len; i++)
        out[i] = (rtj_uc_char){seq[i], c->start, c->end};
    return len;
}

void rtj_uc_reorder(rtj_uc_char *s, size_t n)
{
    /* Insertion sort: runs of non-starters are short (a few marks), and it is stable. */
    for (size_t i = 1; i < n; i++) {
        unsigned ci = rtj_uc_get(s[i].cp)->ccc;
        if (ci == 0)
            continue;
        size_t j = i;
        rtj_uc_char x = s[i];
        while (j > 0) {
            unsigned cj = rtj_uc_get(s[j - 1].cp)->ccc;
            if (cj <= ci)
                break;
            s[j] = s[j - 1];
            j--;
        }
        s[j] = x;
    }
}

/* The primary composite of (a, b), or 0. */
static uint32_t compose_pair(uint32_t a, uint32_t b)
{
    if (a - RTJ_HANGUL_L < 19 && b - RTJ_HANGUL_V < RTJ_HANGUL_VCOUNT)
        return RTJ_HANGUL_S + ((a - RTJ_HANGUL_L) * RTJ_HANGUL_VCOUNT + (b - RTJ_HANGUL_V)) * RTJ_HANGUL_TCOUNT;
    if (rtj_is_hangul_syllable(a) && (a - RTJ_HANGUL_S) % RTJ_HANGUL_TCOUNT == 0 && b - RTJ_HANGUL_T - 1 < 27)
        return a + (b - RTJ_HANGUL_T);
    size_t lo = 0, hi = RTJ_UC_NCOMPOSITIONS;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const rtj_uc_composition *m = &rtj_uc_compositions[mid];
        if (m->first < a || (m->first == a && m->second < b))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < RTJ_UC_NCOMPOSITIONS && rtj_uc_compositions[lo].first == a && rtj_uc_compositions[lo].second == b)
        return rtj_uc_compositions[lo].composite;
    return 0;
}

size_t rtj_uc_compose(rtj_uc_char *s, size_t n)
{
    if (n == 0)
        return 0;
    /* UAX #15's canonical composition: a character joins the last starter unless a character between them
     * has a combining class >= its own (it is blocked). last_cc is the class of the last character kept;
     * 256 after a leading non-starter, which has no starter to join. */
    size_t starter = 0, kept = 1;
    unsigned last_cc = rtj_uc_get(s[0].cp)->ccc ? 256 : 0;
    for (size_t i = 1; i < n; i++) {
        unsigned cc = rtj_uc_get(s[i].cp)->ccc;
        uint32_t comp = (last_cc < cc || last_cc == 0) ? compose_pair(s[starter].cp, s[i].cp) : 0;
        if (comp) {
            s[starter].cp = comp;
            if (s[i].start < s[starter].start)
                s[starter].start = s[i].start;
            if (s[i].end > s[starter].end)
                s[starter].end = s[i].end;
            continue;
        }
        if (cc == 0) {
            starter = kept;
            last_cc = 0;
        } else {
            last_cc = cc;
        }
        s[kept++] = s[i];
    }
    return kept;
}
