/* png.c — PNG encoding: row filters, then libdeflate or run-length deflate.
 *
 * Design note. stb_image_write's PNG deflate uses fixed Huffman codes: slow,
 * and its files are ~48% larger than zlib's. The encoder filters the image
 * into one buffer (filter byte + row), compresses it straight into the output
 * buffer after the PNG header, and fills in the IDAT length and the CRCs
 * around it: no copy of the compressed data, no streaming state.
 *
 * Two codings, chosen per image, because measurement said so (200-image
 * corpus, gray, full size): on filtered photographs, LZ77 matches are short
 * and mostly noise, and zlib's Z_RLE strategy (distance-1 matches + Huffman)
 * is both the smallest (63.6 MB vs 67.3 MB for libdeflate level 6 and 66.1 MB
 * for Pillow's zlib 6 Z_FILTERED) and the fastest (2.2 s CPU vs 4.7 s vs
 * 18.5 s). That coding is now the rle module's (the same streams within a
 * few bytes, in about half zlib's time). On screenshots and flat graphics,
 * real matches exist and libdeflate wins. So each image's middle rows (an
 * eighth, from 8 KiB up to PNG_SAMPLE bytes) are compressed both ways and
 * the smaller coding does the whole image. The trial's LZ side runs at
 * libdeflate's level 1 whatever the level: it only asks whether matches pay
 * on this image. Against trials of a
 * quarter at the final level, on the filtered data of the bench corpus
 * (tools/bench.sh jobs; compression alone, same run): the fit-256 job's
 * thumbnails take 0.64x the time for 0.3% more bytes, the full-size gray job
 * 0.70x for 0.2% more.
 *
 * Decoding: stb_image inflates with its own slow zlib and libspng (measured,
 * Debian's build on zlib) was slower still, so the common PNG (8-bit,
 * non-interlaced, no palette or tRNS) is inflated by libdeflate in one call
 * and unfiltered here; the rest goes to stb_image.
 *
 * Filters: per row, all five are tried and the one with the smallest sum of
 * absolute values (bytes as signed) wins — libpng's default heuristic, which
 * is what Pillow and most encoders use for truecolour and greyscale images.
 */
#include "imgpool/png.h"
#include "imgpool/rle.h"

#include <libdeflate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A chunk holds at most 2^31-1 bytes; keep the single IDAT comfortably below. */
#define PNG_MAX_DATA 0x7ff00000u
/* Largest metadata block written (an ICC profile, EXIF or XMP). */
#define PNG_META_MAX (64u << 20)
#define PNG_ICC_NAME "ICC profile"
#define PNG_XMP_KEY "XML:com.adobe.xmp"
/* How much filtered data decides the coding of an image: an eighth of it,
 * within these bounds. */
#define PNG_SAMPLE (256u * 1024)
#define PNG_SAMPLE_MIN (8u * 1024)
/* libdeflate's level for the trial (see the design note). */
#define PNG_TRIAL_LEVEL 1

struct png_enc {
    struct libdeflate_compressor *zc;
    int level;                     /* of zc */
    struct libdeflate_compressor *trial;   /* at PNG_TRIAL_LEVEL */
    unsigned char *filtered;       /* h rows of (filter byte + row) */
    size_t filtered_cap;
    unsigned char *out;            /* the whole file */
    size_t out_cap;
    unsigned char *cand;           /* 4 candidate rows: sub, up, average, paeth, */
    size_t cand_cap;               /* then a row of zeroes (above the first row) */
    struct rle *rle;               /* the run-length coding, made on first use */
    unsigned char *alt;            /* the other coding's output */
    size_t alt_cap;
};

int png_enc_create(struct png_enc **out, char *err, size_t errlen)
{
    *out = calloc(1, sizeof **out);
    if (!*out) {
        snprintf(err, errlen, "out of memory creating a PNG encoder");
        return -1;
    }
    return 0;
}

void png_enc_destroy(struct png_enc *e)
{
    if (!e)
        return;
    if (e->zc)
        libdeflate_free_compressor(e->zc);
    if (e->trial)
        libdeflate_free_compressor(e->trial);
    rle_destroy(e->rle);
    free(e->filtered);
    free(e->out);
    free(e->cand);
    free(e->alt);
    free(e);
}

/* Makes *buf at least n bytes (contents not kept). 0, or -1 out of memory. */
static int png_reserve(unsigned char **buf, size_t *cap, size_t n)
{
    if (*cap >= n)
        return 0;
    free(*buf);
    *buf = malloc(n);
    *cap = *buf ? n : 0;
    return *buf ? 0 : -1;
}

static void png_put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static uint32_t png_get32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Writes the CRC of a chunk whose length field starts at p (type + data). */
static void png_chunk_crc(unsigned char *p, size_t data_len)
{
    png_put32(p + 8 + data_len, libdeflate_crc32(0, p + 4, 4 + data_len));
}

/* Written with selects rather than && so the compiler emits conditional moves:
 * on photographs the choice is unpredictable and branches mispredict. */
static inline unsigned char png_paeth(unsigned a, unsigned b, unsigned c)
{
    int pa = abs((int)b - (int)c), pb = abs((int)a - (int)c);
    int pc = abs((int)a + (int)b - 2 * (int)c);
    unsigned bc = pb <= pc ? b : c;
    return (unsigned char)(((pa <= pb) & (pa <= pc)) ? a : bc);
}

/* A filtered byte's cost: its value taken as signed, made positive (libpng's
 * "minimum sum of absolute differences" heuristic). */
static unsigned png_cost(unsigned char v)
{
    return v < 128 ? v : 256u - v;
}

/* Eight bytes at a time as 16-bit lanes (GCC's vector extension: SSE2 on
 * x86-64, NEON on arm64): every candidate of a byte depends only on the
 * unfiltered image, so the filter search has no chain from byte to byte. */
typedef int16_t png_v8 __attribute__((vector_size(16)));
typedef unsigned char png_b8 __attribute__((vector_size(8)));

static inline png_v8 png_load8(const unsigned char *p)
{
    png_b8 b;
    memcpy(&b, p, sizeof b);
    return __builtin_convertvector(b, png_v8);
}

static inline void png_store8(unsigned char *p, png_v8 v)
{
    png_b8 b = __builtin_convertvector(v, png_b8);   /* keeps the low byte */
    memcpy(p, &b, sizeof b);
}

static inline png_v8 png_vabs(png_v8 v)
{
    png_v8 m = v >> 15;
    return (v ^ m) - m;
}

/* png_cost of the low byte of each lane. */
static inline png_v8 png_vcost(png_v8 r)
{
    return png_vabs(((r + 128) & 255) - 128);
}

/* png_paeth without branches: comparisons give all-ones or zero lanes. */
static inline png_v8 png_vpaeth(png_v8 a, png_v8 b, png_v8 c)
{
    png_v8 pa = png_vabs(b - c), pb = png_vabs(a - c), pc = png_vabs(a + b - c - c);
    png_v8 use_a = (pa <= pb) & (pa <= pc), use_b = pb <= pc;
    return (a & use_a) | (~use_a & ((b & use_b) | (~use_b & c)));
}

/* Adds the lanes of each of the 5 cost vectors to cost[] and clears them. */
static void png_flush_costs(png_v8 *vc, unsigned long *cost)
{
    for (unsigned f = 0; f < 5; f++) {
        for (unsigned l = 0; l < 8; l++)
            cost[f] += (unsigned long)vc[f][l];
        vc[f] = (png_v8){0};
    }
}

/* The four candidates of bytes [i, n) and their costs, scalar. */
static void png_filter_tail(const unsigned char *row, const unsigned char *prev, size_t i,
                            size_t n, unsigned bpp, unsigned char *const cand[4],
                            unsigned long *cost)
{
    for (; i < n; i++) {
        unsigned x = row[i], a = i >= bpp ? row[i - bpp] : 0, b = prev[i];
        unsigned c = i >= bpp ? prev[i - bpp] : 0;
        cand[0][i] = (unsigned char)(x - a);
        cand[1][i] = (unsigned char)(x - b);
        cand[2][i] = (unsigned char)(x - ((a + b) >> 1));
        cand[3][i] = (unsigned char)(x - png_paeth(a, b, c));
        cost[0] += png_cost((unsigned char)x);
        for (unsigned f = 0; f < 4; f++)
            cost[f + 1] += png_cost(cand[f][i]);
    }
}

/* Filters one row of n bytes (bpp per pixel; prev = the row above, all
 * zeroes for the first row) into dst[0] = filter type, dst[1..n] = filtered
 * bytes. The four candidates and their costs come from one pass. */
static void png_filter_row(struct png_enc *e, const unsigned char *row,
                           const unsigned char *prev, size_t n, unsigned bpp,
                           unsigned char *dst)
{
    unsigned char *const cand[4] = {e->cand, e->cand + n, e->cand + 2 * n, e->cand + 3 * n};
    unsigned long cost[5] = {0};
    size_t lead = bpp < n ? bpp : n, i = lead;
    png_filter_tail(row, prev, 0, lead, bpp, cand, cost);
    png_v8 vc[5] = {{0}};
    /* Lanes of vc grow by at most 128 a step: flush before 255 steps. */
    for (unsigned steps = 0; i + 8 <= n; i += 8) {
        png_v8 x = png_load8(row + i), a = png_load8(row + i - bpp);
        png_v8 b = png_load8(prev + i), c = png_load8(prev + i - bpp);
        png_v8 r[4] = {x - a, x - b, x - ((a + b) >> 1), x - png_vpaeth(a, b, c)};
        vc[0] += png_vcost(x);
#pragma GCC unroll 4   /* keeps r and vc in registers, not on the stack */
        for (unsigned f = 0; f < 4; f++) {
            png_store8(cand[f] + i, r[f]);
            vc[f + 1] += png_vcost(r[f]);
        }
        if (++steps == 250) {
            png_flush_costs(vc, cost);
            steps = 0;
        }
    }
    png_flush_costs(vc, cost);
    png_filter_tail(row, prev, i, n, bpp, cand, cost);
    unsigned best = 0;
    for (unsigned f = 1; f < 5; f++)
        if (cost[f] < cost[best])
            best = f;
    dst[0] = (unsigned char)best;
    memcpy(dst + 1, best ? cand[best - 1] : row, n);
}

/* Makes e->zc a compressor for level, and e->trial the trial's. */
static int png_compressor(struct png_enc *e, int level)
{
    if (!e->trial && !(e->trial = libdeflate_alloc_compressor(PNG_TRIAL_LEVEL)))
        return -1;
    if (e->zc && e->level == level)
        return 0;
    if (e->zc)
        libdeflate_free_compressor(e->zc);
    e->zc = libdeflate_alloc_compressor(level);
    e->level = level;
    return e->zc ? 0 : -1;
}

/* Run-length zlib stream of in[0..n) into out (cap bytes); its size, 0 on
 * failure. */
static size_t png_rle(struct png_enc *e, const unsigned char *in, size_t n, unsigned char *out,
                      size_t cap)
{
    if (!e->rle && rle_create(&e->rle) != 0)
        return 0;
    return rle_zlib_compress(e->rle, in, n, out, cap);
}

/* Upper bound of both codings' output for n input bytes. */
static size_t png_bound(struct png_enc *e, size_t n)
{
    size_t a = libdeflate_zlib_compress_bound(e->zc, n), b = rle_zlib_bound(n);
    return a > b ? a : b;
}

/* Compresses the filtered image (n bytes) into out (cap bytes) with the
 * coding that suits it (see the design note). Its size, 0 on failure. */
static size_t png_compress(struct png_enc *e, size_t n, unsigned char *out, size_t cap)
{
    const unsigned char *in = e->filtered;
    size_t sample = n / 8;
    if (sample < PNG_SAMPLE_MIN)
        sample = n < PNG_SAMPLE_MIN ? n : PNG_SAMPLE_MIN;
    if (sample > PNG_SAMPLE)
        sample = PNG_SAMPLE;
    size_t from = (n - sample) / 2;
    size_t sample_cap = png_bound(e, sample);
    if (png_reserve(&e->alt, &e->alt_cap, sample_cap) != 0)
        return 0;
    size_t rle = png_rle(e, in + from, sample, e->alt, sample_cap);
    if (sample == n) {          /* a tiny image: its trial codings are the results */
        size_t lz = libdeflate_zlib_compress(e->zc, in, n, out, cap);
        if (!rle || (lz && lz < rle))
            return lz;
        memcpy(out, e->alt, rle);
        return rle;
    }
    size_t lz = libdeflate_zlib_compress(e->trial, in + from, sample, e->alt, sample_cap);
    if (rle && (!lz || rle <= lz))
        return png_rle(e, in, n, out, cap);
    return libdeflate_zlib_compress(e->zc, in, n, out, cap);
}

/* Bytes the metadata chunks may take, compressed iCCP at its bound; 0 with
 * none. SIZE_MAX if a blob is too large for a chunk. */
static size_t png_meta_bound(struct png_enc *e, const struct img_meta *m)
{
    if (!m)
        return 0;
    if (m->icc_len > PNG_META_MAX || m->exif_len > PNG_META_MAX || m->xmp_len > PNG_META_MAX)
        return SIZE_MAX;
    size_t n = 0;
    if (m->icc && m->icc_len)
        n += 12 + sizeof PNG_ICC_NAME + 1 + libdeflate_zlib_compress_bound(e->zc, m->icc_len);
    if (m->exif && m->exif_len)
        n += 12 + m->exif_len;
    if (m->xmp && m->xmp_len)
        n += 12 + sizeof PNG_XMP_KEY + 4 + m->xmp_len;
    return n;
}

/* Starts a chunk at o: length, type, then head[0..head_len) and body[0..n)
 * (body may be NULL: the caller fills it); returns where the data ends (the
 * CRC goes there, by png_chunk_end). */
static unsigned char *png_chunk(unsigned char *o, const char *type, const void *head,
                                size_t head_len, const void *body, size_t n)
{
    png_put32(o, (uint32_t)(head_len + n));
    memcpy(o + 4, type, 4);
    memcpy(o + 8, head, head_len);
    if (body)
        memcpy(o + 8 + head_len, body, n);
    return o + 8 + head_len + n;
}

/* Fills in the CRC of the chunk at o; returns the byte after it. */
static unsigned char *png_chunk_end(unsigned char *o)
{
    size_t n = png_get32(o);
    png_chunk_crc(o, n);
    return o + 12 + n;
}

/* Writes iCCP, eXIf and iTXt (XMP) at o, before the image data, as readers
 * expect them (iCCP must precede IDAT); returns the byte after them, or NULL
 * if the profile cannot be compressed. */
static unsigned char *png_meta_write(struct png_enc *e, const struct img_meta *m,
                                     unsigned char *o, size_t bound)
{
    if (m && m->icc && m->icc_len) {
        static const char head[] = PNG_ICC_NAME "\0";   /* name, NUL, method 0 */
        unsigned char *z = o + 8 + sizeof head;
        size_t zn = libdeflate_zlib_compress(e->zc, m->icc, m->icc_len, z,
                                             bound - 12 - sizeof head);
        if (!zn)
            return NULL;
        png_chunk(o, "iCCP", head, sizeof head, NULL, zn);
        o = png_chunk_end(o);
    }
    if (m && m->exif && m->exif_len) {
        png_chunk(o, "eXIf", "", 0, m->exif, m->exif_len);
        o = png_chunk_end(o);
    }
    if (m && m->xmp && m->xmp_len) {
        /* keyword, NUL, uncompressed, method 0, no language, no translation */
        static const char head[] = PNG_XMP_KEY "\0\0\0\0";
        png_chunk(o, "iTXt", head, sizeof head, m->xmp, m->xmp_len);
        o = png_chunk_end(o);
    }
    return o;
}

const unsigned char *png_encode(struct png_enc *e, const unsigned char *px, unsigned w,
                                unsigned h, unsigned ch, int level, const struct img_meta *meta,
                                size_t *len, char *err, size_t errlen)
{
    static const unsigned char color_type[5] = {0, 0, 4, 2, 6};
    if (!px || w < 1 || h < 1 || ch < 1 || ch > 4 || level < PNG_LEVEL_MIN ||
        level > PNG_LEVEL_MAX) {
        snprintf(err, errlen, "PNG: bad arguments (%ux%u, %u channels, level %d)", w, h, ch,
                 level);
        return NULL;
    }
    size_t stride = (size_t)w * ch, frow = stride + 1;
    if (stride > PNG_MAX_DATA || frow * h > PNG_MAX_DATA) {
        snprintf(err, errlen, "PNG: %ux%u is too large for one image chunk", w, h);
        return NULL;
    }
    if (png_compressor(e, level) != 0 ||
        png_reserve(&e->filtered, &e->filtered_cap, frow * h) != 0 ||
        png_reserve(&e->cand, &e->cand_cap, 5 * stride) != 0) {
        snprintf(err, errlen, "PNG: out of memory encoding %ux%u", w, h);
        return NULL;
    }
    size_t meta_bound = png_meta_bound(e, meta);
    if (meta_bound == SIZE_MAX) {
        snprintf(err, errlen, "PNG: a metadata block over %u bytes", PNG_META_MAX);
        return NULL;
    }
    const unsigned char *zeroes = memset(e->cand + 4 * stride, 0, stride);
    for (unsigned y = 0; y < h; y++)
        png_filter_row(e, px + y * stride, y ? px + (y - 1) * stride : zeroes, stride, ch,
                       e->filtered + y * frow);

    /* signature, IHDR (8+13+4), metadata, IDAT header (8), data, IDAT CRC, IEND (12) */
    size_t bound = png_bound(e, frow * h);
    if (png_reserve(&e->out, &e->out_cap, 33 + meta_bound + 8 + bound + 4 + 12) != 0) {
        snprintf(err, errlen, "PNG: out of memory encoding %ux%u", w, h);
        return NULL;
    }
    unsigned char *o = e->out, *idat = png_meta_write(e, meta, o + 33, meta_bound);
    if (!idat) {
        snprintf(err, errlen, "PNG: cannot compress the ICC profile");
        return NULL;
    }
    size_t z = png_compress(e, frow * h, idat + 8, bound);
    if (z == 0 || z > PNG_MAX_DATA) {
        snprintf(err, errlen, "PNG: compression failed for %ux%u", w, h);
        return NULL;
    }
    memcpy(o, "\x89PNG\r\n\x1a\n", 8);
    png_put32(o + 8, 13);
    memcpy(o + 12, "IHDR", 4);
    png_put32(o + 16, w);
    png_put32(o + 20, h);
    o[24] = 8;                  /* bit depth */
    o[25] = color_type[ch];
    o[26] = o[27] = o[28] = 0;  /* deflate, adaptive filtering, no interlace */
    png_chunk_crc(o + 8, 13);
    png_put32(idat, (uint32_t)z);
    memcpy(idat + 4, "IDAT", 4);
    png_chunk_crc(idat, z);
    unsigned char *end = idat + 8 + z + 4;
    memcpy(end, "\0\0\0\0IEND\xae\x42\x60\x82", 12);
    *len = (size_t)(end + 12 - o);
    return o;
}

/* ---- decoding ---- */

struct png_dec {
    struct libdeflate_decompressor *zd;
    unsigned char *idat;           /* the IDAT data joined, when there are several */
    size_t idat_cap;
    unsigned char *raw;            /* the inflated rows (filter byte + row) */
    size_t raw_cap;
    unsigned char *zero;           /* a row of zeroes: "above" the first row */
    size_t zero_cap;
};

int png_dec_create(struct png_dec **out, char *err, size_t errlen)
{
    struct png_dec *d = calloc(1, sizeof *d);
    if (d)
        d->zd = libdeflate_alloc_decompressor();
    if (!d || !d->zd) {
        free(d);
        snprintf(err, errlen, "out of memory creating a PNG decoder");
        return -1;
    }
    *out = d;
    return 0;
}

void png_dec_destroy(struct png_dec *d)
{
    if (!d)
        return;
    libdeflate_free_decompressor(d->zd);
    free(d->idat);
    free(d->raw);
    free(d->zero);
    free(d);
}

/* Channels of an 8-bit, non-interlaced colour type this path takes; 0 if not. */
static unsigned png_dec_channels(const unsigned char *ihdr)
{
    static const unsigned char ch[7] = {1, 0, 3, 0, 2, 0, 4};
    if (ihdr[8] != 8 || ihdr[9] > 6 || ihdr[10] || ihdr[11] || ihdr[12])
        return 0;
    return ch[ihdr[9]];
}

/* Walks the chunks after IHDR and finds the compressed image data: *z, *zlen
 * (one IDAT in place, several joined in d->idat). 0, or 1 if the file has
 * anything the fast path leaves to stb_image: tRNS, PLTE, an unknown
 * critical chunk, no IEND, a chunk running past the end. */
static int png_dec_idat(struct png_dec *d, const unsigned char *b, size_t len,
                        const unsigned char **z, size_t *zlen)
{
    size_t pos = 33, total = 0, first = 0, count = 0;
    int end = 0;
    while (!end && pos + 12 <= len) {
        size_t n = png_get32(b + pos);
        const unsigned char *type = b + pos + 4;
        if (n > len - pos - 12)
            return 1;
        if (memcmp(type, "IDAT", 4) == 0) {
            first = count++ ? first : pos + 8;
            total += n;
        } else if (memcmp(type, "IEND", 4) == 0) {
            end = 1;
        } else if (memcmp(type, "tRNS", 4) == 0 || !(type[0] & 0x20)) {
            return 1;                   /* transparency, or a critical chunk (PLTE, ...) */
        }
        pos += 12 + n;
    }
    if (!end || count == 0)
        return 1;
    if (count == 1) {
        *z = b + first;
        *zlen = total;
        return 0;
    }
    if (png_reserve(&d->idat, &d->idat_cap, total) != 0)
        return 1;
    size_t at = 0;
    for (pos = 33; at < total; pos += 12 + png_get32(b + pos)) {
        size_t n = png_get32(b + pos);
        if (memcmp(b + pos + 4, "IDAT", 4) == 0) {
            memcpy(d->idat + at, b + pos + 8, n);
            at += n;
        }
    }
    *z = d->idat;
    *zlen = total;
    return 0;
}

/* Undoes one row's filter: src (n bytes, filter type f) into dst, prev = the
 * decoded row above. 0, or 1 for an unknown filter type. */
static int png_unfilter_row(unsigned f, const unsigned char *src, const unsigned char *prev,
                            size_t n, unsigned bpp, unsigned char *dst)
{
    size_t lead = bpp < n ? bpp : n;
    switch (f) {
    case 0:
        memcpy(dst, src, n);
        return 0;
    case 1:
        memcpy(dst, src, lead);
        for (size_t i = lead; i < n; i++)
            dst[i] = (unsigned char)(src[i] + dst[i - bpp]);
        return 0;
    case 2:
        for (size_t i = 0; i < n; i++)
            dst[i] = (unsigned char)(src[i] + prev[i]);
        return 0;
    case 3:
        for (size_t i = 0; i < lead; i++)
            dst[i] = (unsigned char)(src[i] + (prev[i] >> 1));
        for (size_t i = lead; i < n; i++)
            dst[i] = (unsigned char)(src[i] + ((dst[i - bpp] + prev[i]) >> 1));
        return 0;
    case 4:
        for (size_t i = 0; i < lead; i++)
            dst[i] = (unsigned char)(src[i] + prev[i]);
        for (size_t i = lead; i < n; i++)
            dst[i] = (unsigned char)(src[i] + png_paeth(dst[i - bpp], prev[i], prev[i - bpp]));
        return 0;
    default:
        return 1;
    }
}

int png_decode(struct png_dec *d, const unsigned char *buf, size_t len,
               unsigned long long max_pixels, unsigned char **px, unsigned *w, unsigned *h,
               unsigned *ch)
{
    const unsigned char *z;
    size_t zlen, got;
    if (len < 45 || memcmp(buf, "\x89PNG\r\n\x1a\n", 8) != 0 || png_get32(buf + 8) != 13 ||
        memcmp(buf + 12, "IHDR", 4) != 0)
        return 1;
    uint32_t iw = png_get32(buf + 16), ih = png_get32(buf + 20);
    unsigned c = png_dec_channels(buf + 16);
    if (!c || iw < 1 || ih < 1 || iw > (1u << 24) || ih > (1u << 24) ||
        (max_pixels && (unsigned long long)iw * ih > max_pixels))
        return 1;
    size_t stride = (size_t)iw * c, raw_len = (stride + 1) * ih;
    if (png_dec_idat(d, buf, len, &z, &zlen) != 0 ||
        png_reserve(&d->raw, &d->raw_cap, raw_len) != 0 ||
        png_reserve(&d->zero, &d->zero_cap, stride) != 0)
        return 1;
    if (libdeflate_zlib_decompress(d->zd, z, zlen, d->raw, raw_len, &got) != LIBDEFLATE_SUCCESS ||
        got != raw_len)
        return 1;
    unsigned char *out = malloc(stride * ih);
    if (!out)
        return 1;
    memset(d->zero, 0, stride);
    for (uint32_t y = 0; y < ih; y++) {
        const unsigned char *row = d->raw + y * (stride + 1);
        unsigned char *dst = out + y * stride;
        if (png_unfilter_row(row[0], row + 1, y ? dst - stride : d->zero, stride, c, dst) != 0) {
            free(out);
            return 1;
        }
    }
    *px = out;
    *w = iw;
    *h = ih;
    *ch = c;
    return 0;
}
