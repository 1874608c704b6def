/* The .rtj weight checksum (rtj_file.h): fast enough to run over every weight at every load.
 *
 * FNV-1a, the header's checksum, takes one dependent multiply per byte (about 0.7 GB/s here), so over
 * BERT-large's 343 MB of INT8 weights it would cost about half a second. This one reads 8-byte words
 * into four independent lanes, two multiplies per word and no dependency between lanes, so it runs at
 * several bytes per cycle and the load is bounded by bringing the pages in, not by the sum. Each lane
 * steps acc = rotl(acc + w * K1, 31) * K2 (odd constants: each step is a bijection of acc for a fixed w,
 * so no lane forgets what it has seen); the lanes, the tail bytes and the length are then mixed by the
 * splitmix64 finaliser. It detects corruption; it is not meant to resist a forger.
 *
 * The data checksum cuts the bytes into chunks of RTJ_SUM_CHUNK, sums each chunk, then sums the chunks'
 * sums in order: the chunks are independent, so a load checks them on all its threads, and a writer
 * streams them one after another. */
#include <pthread.h>
#include <stdlib.h>
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

void rtj_data_sum_init(rtj_data_sum *d)
{
    rtj_sum_init(&d->chunk);
    rtj_sum_init(&d->sums);
    d->in_chunk = 0;
}

static void add_chunk_sum(rtj_sum *sums, uint64_t v)
{
    unsigned char le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (unsigned char)(v >> (8 * i));
    rtj_sum_update(sums, le, sizeof le);
}

void rtj_data_sum_update(rtj_data_sum *d, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len) {
        const size_t take = len < RTJ_SUM_CHUNK - d->in_chunk ? len : RTJ_SUM_CHUNK - d->in_chunk;
        rtj_sum_update(&d->chunk, p, take);
        p += take, len -= take, d->in_chunk += take;
        if (d->in_chunk == RTJ_SUM_CHUNK) {
            add_chunk_sum(&d->sums, rtj_sum_final(&d->chunk));
            rtj_sum_init(&d->chunk);
            d->in_chunk = 0;
        }
    }
}

uint64_t rtj_data_sum_final(const rtj_data_sum *d)
{
    rtj_sum sums = d->sums;
    if (d->in_chunk)
        add_chunk_sum(&sums, rtj_sum_final(&d->chunk));
    return rtj_sum_final(&sums);
}

typedef struct chunk_job {
    const unsigned char *data;
    size_t len, first, last; /* chunks [first, last) */
    uint64_t *sums;
} chunk_job;

static void *sum_chunks(void *arg)
{
    const chunk_job *j = arg;
    for (size_t c = j->first; c < j->last; c++) {
        const size_t off = c * RTJ_SUM_CHUNK, n = j->len - off < RTJ_SUM_CHUNK ? j->len - off : RTJ_SUM_CHUNK;
        rtj_sum s;
        rtj_sum_init(&s);
        rtj_sum_update(&s, j->data + off, n);
        j->sums[c] = rtj_sum_final(&s);
    }
    return NULL;
}

uint64_t rtj_data_checksum(const void *data, size_t len, int threads)
{
    enum { MAX_THREADS = 16 };
    const size_t chunks = (len + RTJ_SUM_CHUNK - 1) / RTJ_SUM_CHUNK;
    size_t nt = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : (size_t)threads;
    nt = nt > chunks ? (chunks ? chunks : 1) : nt;
    uint64_t *sums = nt > 1 ? malloc(chunks * sizeof *sums) : NULL;
    if (!sums) { /* one thread (or no memory for the sums): the streaming form gives the same value */
        rtj_data_sum d;
        rtj_data_sum_init(&d);
        rtj_data_sum_update(&d, data, len);
        return rtj_data_sum_final(&d);
    }
    chunk_job jobs[MAX_THREADS];
    pthread_t tid[MAX_THREADS];
    int started[MAX_THREADS] = {0};
    for (size_t t = 0; t < nt; t++)
        jobs[t] = (chunk_job){data, len, chunks * t / nt, chunks * (t + 1) / nt, sums};
    /* Threads that cannot be started leave their chunks to this one. */
    for (size_t t = 1; t < nt; t++)
        started[t] = pthread_create(&tid[t], NULL, sum_chunks, &jobs[t]) == 0;
    sum_chunks(&jobs[0]);
    for (size_t t = 1; t < nt; t++) {
        if (started[t])
            pthread_join(tid[t], NULL);
        else
            sum_chunks(&jobs[t]);
    }
    rtj_sum all;
    rtj_sum_init(&all);
    for (size_t c = 0; c < chunks; c++)
        add_chunk_sum(&all, sums[c]);
    free(sums);
    return rtj_sum_final(&all);
}
