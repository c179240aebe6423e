/* rle.c — run-length deflate into zlib streams (see rle.h).
 *
 * Design note. PNG's filtered photographs compress best as runs of the byte
 * before plus Huffman-coded literals (png.c's design note), which is zlib's
 * Z_RLE strategy. With that strategy zlib still runs its general machinery
 * (a window refilled a slide at a time, a pending buffer, a tally per
 * symbol checked against its limits) around a simple coding, and took about
 * twice this module's time on the same thumbnails. This module writes the
 * same kind of stream, block by block:
 *
 *   RLE_BLOCK tokens (a literal, or a run of 3..258 copies of the byte
 *   before: length code + distance 1), counted as they are made
 *   -> Huffman code lengths at most 15 bits (Moffat and Katajainen's
 *      in-place construction; the Kraft-sum repair zlib also uses when a
 *      code runs too long)
 *   -> the block with those codes, or stored when coding would not pay.
 *
 * The tokens are the ones zlib's deflate_rle chooses and its blocks are as
 * long (32768 symbols at memLevel 9), so the files come out within a few
 * bytes a block of zlib's (zlib may also pick its fixed codes for a small
 * block); tests/test_rle.c checks every stream with zlib's inflate.
 */
#include "imgpool/rle.h"

#include <libdeflate.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define RLE_BLOCK 32768u        /* tokens a block */
_Static_assert(RLE_BLOCK < 65536, "a block's counts fit rle_sorted's 16 bits");
#define RLE_MIN_RUN 3
#define RLE_MAX_RUN 258
#define RLE_END 256             /* end of block */
#define RLE_LITLEN 286          /* 0-255 literals, 256 end, 257-285 lengths */
#define RLE_CODELEN 19          /* the code-length alphabet */
#define RLE_MAX_BITS 15
#define RLE_CL_MAX_BITS 7
#define RLE_STORED_MAX 65535u
/* Bits a stored chunk costs besides its bytes: header, worst alignment, LEN
 * and NLEN. */
#define RLE_STORED_BITS (3 + 7 + 32)

static const uint16_t rle_len_base[29] = {3,  4,  5,  6,  7,  8,  9,   10,  11,  13,
                                          15, 17, 19, 23, 27, 31, 35,  43,  51,  59,
                                          67, 83, 99, 115, 131, 163, 195, 227, 258};
static const uint8_t rle_len_extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                          2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
/* The order in which a block header gives the code-length code's lengths. */
static const uint8_t rle_cl_order[RLE_CODELEN] = {16, 17, 18, 0, 8,  7, 9,  6, 10, 5,
                                                  11, 4,  12, 3, 13, 2, 14, 1, 15};

struct rle {
    uint16_t tok[RLE_BLOCK];            /* < 256 a literal, else 256 + run length */
    uint32_t freq[RLE_LITLEN];          /* of the block's literal/length symbols */
    uint8_t len_code[RLE_MAX_RUN + 1];  /* run length -> index into rle_len_base */
};

/* Output bits, least significant first, as deflate packs them. */
struct rle_bits {
    uint64_t acc;
    unsigned n;                 /* bits in acc, < 32 between calls */
    unsigned char *p, *end;
    int full;                   /* out ran out: the stream is lost */
};

static inline void rle_put(struct rle_bits *b, uint32_t v, unsigned n)
{
    b->acc |= (uint64_t)v << b->n;
    b->n += n;
    if (b->n < 32)
        return;
    if (b->end - b->p < 4) {
        b->full = 1;
        b->n -= 32;
        b->acc >>= 32;
        return;
    }
    for (unsigned i = 0; i < 4; i++)
        b->p[i] = (unsigned char)(b->acc >> (8 * i));
    b->p += 4;
    b->acc >>= 32;
    b->n -= 32;
}

/* Pads to a byte boundary and writes out every pending bit. */
static void rle_flush(struct rle_bits *b)
{
    unsigned bytes = (b->n + 7) / 8;
    if ((size_t)(b->end - b->p) < bytes) {
        b->full = 1;
        bytes = 0;
    }
    for (unsigned i = 0; i < bytes; i++)
        b->p[i] = (unsigned char)(b->acc >> (8 * i));
    b->p += bytes;
    b->acc = 0;
    b->n = 0;
}

int rle_create(struct rle **out)
{
    struct rle *r = malloc(sizeof *r);
    if (!r)
        return -1;
    for (unsigned k = 0, len = RLE_MIN_RUN; len <= RLE_MAX_RUN; len++) {
        while (k + 1 < 29 && rle_len_base[k + 1] <= len)
            k++;
        r->len_code[len] = (uint8_t)k;
    }
    *out = r;
    return 0;
}

void rle_destroy(struct rle *r)
{
    free(r);
}

size_t rle_zlib_bound(size_t n)
{
    /* Stored at worst: a chunk a block and a chunk per 64 KiB (a block holds
     * at least RLE_BLOCK bytes unless it is the last), 6 bytes each; zlib's
     * header, Adler-32 and the last partial byte. */
    return n + 6 * (n / 16384 + 2) + 8;
}

/* Moffat and Katajainen's in-place Huffman construction: a[0..n) are
 * weights in ascending order (n >= 2); on return, a[i] is the code length
 * of the i-th (lengths never increase with i). */
static void rle_huffman(uint32_t *a, unsigned n)
{
    /* Pass 1: the tree. a[next] becomes internal node next's weight, then
     * (once it is a child) its parent's index. */
    unsigned root = 0, leaf = 2;
    a[0] += a[1];
    for (unsigned next = 1; next + 1 < n; next++) {
        if (leaf >= n || a[root] < a[leaf]) {
            a[next] = a[root];
            a[root++] = next;
        } else {
            a[next] = a[leaf++];
        }
        if (leaf >= n || (root < next && a[root] < a[leaf])) {
            a[next] += a[root];
            a[root++] = next;
        } else {
            a[next] += a[leaf++];
        }
    }
    /* Pass 2: depths of the internal nodes, from the root (n - 2) down. */
    a[n - 2] = 0;
    for (unsigned next = n - 2; next-- > 0;)
        a[next] = a[a[next]] + 1;
    /* Pass 3: depths of the leaves, level by level. */
    unsigned avail = 1, used = 0, depth = 0, next = n;
    int node = (int)n - 2;
    while (avail > 0) {
        while (node >= 0 && a[node] == depth) {
            used++;
            node--;
        }
        while (avail > used) {
            a[--next] = depth;
            avail--;
        }
        avail = 2 * used;
        depth++;
        used = 0;
    }
}

/* Symbols with freq > 0 in ascending order of freq (ties by symbol): an
 * LSD radix sort on the 16 bits a block's counts need. Their number. */
static unsigned rle_sorted(const uint32_t *freq, unsigned n, uint16_t *sym)
{
    uint16_t tmp[RLE_LITLEN];
    unsigned used = 0;
    for (unsigned s = 0; s < n; s++)
        if (freq[s])
            tmp[used++] = (uint16_t)s;
    for (unsigned shift = 0; shift < 16; shift += 8) {
        unsigned count[257] = {0};
        uint16_t *from = shift ? sym : tmp, *to = shift ? tmp : sym;
        for (unsigned i = 0; i < used; i++)
            count[((freq[from[i]] >> shift) & 255) + 1]++;
        for (unsigned d = 0; d < 256; d++)
            count[d + 1] += count[d];
        for (unsigned i = 0; i < used; i++)
            to[count[(freq[from[i]] >> shift) & 255]++] = from[i];
    }
    memcpy(sym, tmp, used * sizeof *sym);
    return used;
}

/* Code lengths of at most limit bits for n symbols (0: unused). The code is
 * always complete: with fewer than two symbols used, symbols 0 and 1 get a
 * bit each (zlib's inflate refuses an incomplete code). */
static void rle_lengths(const uint32_t *freq, unsigned n, unsigned limit, uint8_t *len)
{
    uint16_t sym[RLE_LITLEN];
    uint32_t a[RLE_LITLEN];
    memset(len, 0, n);
    unsigned used = rle_sorted(freq, n, sym);
    if (used < 2) {
        len[0] = len[1] = 1;
        if (used == 1 && sym[0] > 1)
            len[1] = 0, len[sym[0]] = 1;
        return;
    }
    for (unsigned i = 0; i < used; i++)
        a[i] = freq[sym[i]];
    rle_huffman(a, used);
    /* Too long: cut to limit, then while the code is over-full take a code
     * off the last level and split a shorter code into two longer ones. */
    unsigned num[RLE_MAX_BITS + 1] = {0};
    for (unsigned i = 0; i < used; i++)
        num[a[i] > limit ? limit : a[i]]++;
    uint32_t total = 0;
    for (unsigned l = 1; l <= limit; l++)
        total += num[l] << (limit - l);
    for (; total > (1u << limit); total--) {
        num[limit]--;
        for (unsigned l = limit - 1; l > 0; l--)
            if (num[l]) {
                num[l]--;
                num[l + 1] += 2;
                break;
            }
    }
    /* The longest codes to the rarest symbols. */
    unsigned i = 0;
    for (unsigned l = limit; l > 0; l--)
        for (unsigned k = num[l]; k > 0; k--)
            len[sym[i++]] = (uint8_t)l;
}

/* Canonical codes for the lengths, bit-reversed for deflate's order. */
static void rle_codes(const uint8_t *len, unsigned n, uint16_t *code)
{
    unsigned count[RLE_MAX_BITS + 1] = {0}, next[RLE_MAX_BITS + 1];
    for (unsigned s = 0; s < n; s++)
        count[len[s]]++;
    count[0] = 0;
    for (unsigned b = 1, c = 0; b <= RLE_MAX_BITS; b++)
        next[b] = c = (c + count[b - 1]) << 1;
    for (unsigned s = 0; s < n; s++) {
        if (!len[s])
            continue;
        unsigned c = next[len[s]]++, r = 0;
        for (unsigned b = 0; b < len[s]; b++, c >>= 1)
            r = (r << 1) | (c & 1);
        code[s] = (uint16_t)r;
    }
}

/* A block's header: its code lengths, run-length coded as deflate's
 * code-length alphabet (16: repeat the last 3-6 times, 17: 3-10 zeroes,
 * 18: 11-138 zeroes). */
struct rle_header {
    unsigned nlit, ncl, ntok;
    uint8_t ll_len[RLE_LITLEN], cl_len[RLE_CODELEN];
    uint16_t ll_code[RLE_LITLEN], cl_code[RLE_CODELEN];
    uint8_t cl_sym[RLE_LITLEN + 2], cl_extra[RLE_LITLEN + 2];
    uint32_t cl_freq[RLE_CODELEN];
};

static void rle_cl_add(struct rle_header *h, unsigned sym, unsigned extra)
{
    h->cl_sym[h->ntok] = (uint8_t)sym;
    h->cl_extra[h->ntok++] = (uint8_t)extra;
    h->cl_freq[sym]++;
}

static void rle_cl_tokens(struct rle_header *h, const uint8_t *all, unsigned total)
{
    for (unsigned i = 0; i < total;) {
        unsigned v = all[i], run = 1;
        while (i + run < total && all[i + run] == v)
            run++;
        i += run;
        if (v == 0) {
            for (; run >= 11; run -= run > 138 ? 138 : run)
                rle_cl_add(h, 18, (run > 138 ? 138 : run) - 11);
            if (run >= 3)
                rle_cl_add(h, 17, run - 3), run = 0;
        } else {
            rle_cl_add(h, v, 0), run--;
            for (; run >= 3; run -= run > 6 ? 6 : run)
                rle_cl_add(h, 16, (run > 6 ? 6 : run) - 3);
        }
        for (; run > 0; run--)
            rle_cl_add(h, v, 0);
    }
}

/* Fills h for the block counted in freq; returns the block's size in bits,
 * coded this way. */
static uint64_t rle_header_make(struct rle_header *h, const uint32_t *freq)
{
    static const uint8_t cl_extra_bits[RLE_CODELEN] = {[16] = 2, [17] = 3, [18] = 7};
    rle_lengths(freq, RLE_LITLEN, RLE_MAX_BITS, h->ll_len);
    h->nlit = RLE_LITLEN;
    while (h->nlit > 257 && !h->ll_len[h->nlit - 1])
        h->nlit--;
    uint8_t all[RLE_LITLEN + 2];
    memcpy(all, h->ll_len, h->nlit);
    all[h->nlit] = all[h->nlit + 1] = 1;   /* distance codes 0 and 1: a bit each */
    h->ntok = 0;
    memset(h->cl_freq, 0, sizeof h->cl_freq);
    rle_cl_tokens(h, all, h->nlit + 2);
    rle_lengths(h->cl_freq, RLE_CODELEN, RLE_CL_MAX_BITS, h->cl_len);
    h->ncl = RLE_CODELEN;
    while (h->ncl > 4 && !h->cl_len[rle_cl_order[h->ncl - 1]])
        h->ncl--;
    rle_codes(h->ll_len, RLE_LITLEN, h->ll_code);
    rle_codes(h->cl_len, RLE_CODELEN, h->cl_code);

    uint64_t bits = 3 + 5 + 5 + 4 + 3 * h->ncl;
    for (unsigned s = 0; s < RLE_CODELEN; s++)
        bits += (uint64_t)h->cl_freq[s] * (h->cl_len[s] + cl_extra_bits[s]);
    for (unsigned s = 0; s < RLE_LITLEN; s++)
        bits += (uint64_t)freq[s] * h->ll_len[s];
    for (unsigned k = 0; k < 29; k++)     /* extra bits and the distance bit */
        bits += (uint64_t)freq[257 + k] * (rle_len_extra[k] + 1u);
    return bits;
}

static void rle_put_dynamic(struct rle *r, struct rle_bits *b, const struct rle_header *h,
                            unsigned ntok, int final)
{
    rle_put(b, (unsigned)final | 2u << 1, 3);
    rle_put(b, h->nlit - 257, 5);
    rle_put(b, 2 - 1, 5);
    rle_put(b, h->ncl - 4, 4);
    for (unsigned k = 0; k < h->ncl; k++)
        rle_put(b, h->cl_len[rle_cl_order[k]], 3);
    for (unsigned i = 0; i < h->ntok; i++) {
        unsigned s = h->cl_sym[i];
        rle_put(b, h->cl_code[s], h->cl_len[s]);
        if (s >= 16)
            rle_put(b, h->cl_extra[i], s == 16 ? 2 : s == 17 ? 3 : 7);
    }
    for (unsigned i = 0; i < ntok; i++) {
        unsigned t = r->tok[i];
        if (t < 256) {
            rle_put(b, h->ll_code[t], h->ll_len[t]);
            continue;
        }
        unsigned run = t - 256, k = r->len_code[run], s = 257 + k;
        /* length code, its extra bits, then distance code 0 (a 0 bit) */
        rle_put(b, h->ll_code[s] | (run - rle_len_base[k]) << h->ll_len[s],
                h->ll_len[s] + rle_len_extra[k] + 1u);
    }
    rle_put(b, h->ll_code[RLE_END], h->ll_len[RLE_END]);
}

static void rle_put_stored(struct rle_bits *b, const unsigned char *in, size_t n, int final)
{
    do {
        size_t part = n < RLE_STORED_MAX ? n : RLE_STORED_MAX;
        rle_put(b, final && part == n, 3);   /* BTYPE 00 */
        rle_flush(b);
        unsigned char head[4] = {(unsigned char)part, (unsigned char)(part >> 8),
                                 (unsigned char)~part, (unsigned char)(~part >> 8)};
        if ((size_t)(b->end - b->p) < 4 + part) {
            b->full = 1;
            return;
        }
        memcpy(b->p, head, 4);
        memcpy(b->p + 4, in, part);
        b->p += 4 + part;
        in += part;
        n -= part;
    } while (n > 0);
}

/* Tokens of in[i..n) into r->tok, counted in r->freq, until the block is
 * full; returns where the block ends, *ntok its tokens. */
static size_t rle_tokens(struct rle *r, const unsigned char *in, size_t i, size_t n,
                         unsigned *ntok)
{
    uint32_t *freq = r->freq;
    unsigned nt = 0;
    memset(freq, 0, sizeof r->freq);
    while (i < n && nt < RLE_BLOCK) {
        unsigned char c = in[i];
        if (i > 0 && c == in[i - 1] && n - i >= RLE_MIN_RUN && in[i + 1] == c && in[i + 2] == c) {
            size_t max = n - i < RLE_MAX_RUN ? n - i : RLE_MAX_RUN, run = RLE_MIN_RUN;
            while (run < max && in[i + run] == c)
                run++;
            r->tok[nt++] = (uint16_t)(256 + run);
            freq[257 + r->len_code[run]]++;
            i += run;
        } else {
            r->tok[nt++] = c;
            freq[c]++;
            i++;
        }
    }
    freq[RLE_END] = 1;
    *ntok = nt;
    return i;
}

size_t rle_zlib_compress(struct rle *r, const unsigned char *in, size_t n, unsigned char *out,
                         size_t cap)
{
    if (cap < 6)
        return 0;
    out[0] = 0x78, out[1] = 0x01;   /* deflate, 32 KiB window, fastest */
    struct rle_bits b = {.p = out + 2, .end = out + cap - 4};
    struct rle_header h;
    size_t i = 0;
    do {
        size_t start = i;
        unsigned ntok;
        i = rle_tokens(r, in, i, n, &ntok);
        int final = i == n;
        size_t bytes = i - start;
        uint64_t chunks = bytes ? (bytes + RLE_STORED_MAX - 1) / RLE_STORED_MAX : 1;
        uint64_t stored = chunks * RLE_STORED_BITS + 8 * (uint64_t)bytes;
        if (rle_header_make(&h, r->freq) <= stored)
            rle_put_dynamic(r, &b, &h, ntok, final);
        else
            rle_put_stored(&b, in + start, bytes, final);
    } while (i < n && !b.full);
    rle_flush(&b);
    if (b.full)
        return 0;
    uint32_t adler = libdeflate_adler32(1, in, n);
    for (unsigned k = 0; k < 4; k++)
        b.p[k] = (unsigned char)(adler >> (24 - 8 * k));
    return (size_t)(b.p + 4 - out);
}
