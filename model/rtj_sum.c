/* The .rtj weight checksum (rtj_file.h): fast enough to run over every weight at every load.
 *
 * FNV-1a, the header's checksum, takes one dependent multiply per byte (about 0.7 GB/s here), so over
 * BERT-large's 343 MB of INT8 weights it would cost about half a second. This one reads 8-byte words
 * into four independent lanes, two multiplies per word and no dependency between lanes, so it runs at
 * several bytes per cycle and the load is bounded by bringing the pages in, not by the sum. Each lane
 * steps acc = rotl(acc + w * K1, 31) * K2 (odd constants: each step is a bijection of acc for a fixed w,
 * so no lane forgets what it has seen); the lanes, the tail bytes and the length are then mixed by the
 * splitmix64 finaliser. It detects corruption; it is not meant to resist a forger. */
#include <string.h>

#include "rtj_file.h"

#define K1 0x9E3779B97F4A7C15ull
#define K2 0xBF58476D1CE4E5B9ull
#define K3 0x94D049BB133111EBull

static inline uint64_t rotl(uint64_t x, int r) { return x << r | x >> (64 - r); }

static inline uint64_t load64(const unsigned char *p)
{
    uint64_t w;
    memcpy(&w, p, sizeof w); /* little-endian hosts only, as the rest of the format */
    return w;
}

static void blocks(uint64_t lane[4], const unsigned char *p, size_t nblocks)
{
    uint64_t a = lane[0], b = lane[1], c = lane[2], d = lane[3];
    for (size_t i = 0; i < nblocks; i++, p += 32) {
        a = rotl(a + load64(p) * K1, 31) * K2;
        b = rotl(b + load64(p + 8) * K1, 31) * K2;
        c = rotl(c + load64(p + 16) * K1, 31) * K2;
        d = rotl(d + load64(p + 24) * K1, 31) * K2;
    }
    lane[0] = a, lane[1] = b, lane[2] = c, lane[3] = d;
}

void rtj_sum_init(rtj_sum *s)
{
    memset(s, 0, sizeof *s);
    s->lane[0] = K1, s->lane[1] = K2, s->lane[2] = K3, s->lane[3] = K1 ^ K2;
}

void rtj_sum_update(rtj_sum *s, const void *data, size_t len)
{
    const unsigned char *p = data;
    s->total += len;
    if (s->pending) {
        const size_t take = len < 32 - s->pending ? len : 32 - s->pending;
        memcpy(s->buf + s->pending, p, take);
        s->pending += take, p += take, len -= take;
        if (s->pending < 32)
            return;
        blocks(s->lane, s->buf, 1);
        s->pending = 0;
    }
    blocks(s->lane, p, len / 32);
    p += len / 32 * 32;
    s->pending = len % 32;
    memcpy(s->buf, p, s->pending);
}

static uint64_t mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * K2;
    z = (z ^ (z >> 27)) * K3;
    return z ^ (z >> 31);
}

uint64_t rtj_sum_final(const rtj_sum *s)
{
    uint64_t h = s->total * K1;
    for (int i = 0; i < 4; i++)
        h = mix(h ^ s->lane[i]);
    return mix(fnv1a(h, s->buf, s->pending));
}
